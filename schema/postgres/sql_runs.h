/* schema/postgres/sql_runs.h - the statements of runs.c (storing, loading, counting runs). */
#ifndef QB_SCHEMA_POSTGRES_SQL_RUNS_H
#define QB_SCHEMA_POSTGRES_SQL_RUNS_H

/* The columns pg_read_info reads: the run row with its counts and names. */
#define PG_RUN_COLUMNS                                                                             \
  "SELECT r.id, p.name, b.name, m.name, r.commit_sha, r.commit_time, r.started_at, "               \
  "r.ingested_at, r.format, r.tool_version, r.content_hash, r.machine_info, r.extra, "             \
  "r.n_benches, r.n_results, r.n_samples FROM "
#define PG_RUN_JOINS                                                                               \
  "JOIN project p ON p.id = r.project_id JOIN branch b ON b.id = r.branch_id JOIN machine m ON "   \
  "m.id = r.machine_id "

#define PG_SQL_RUNS(X)                                                                             \
  X(P_PROJECT_GET, "SELECT id FROM project WHERE name = :name")                                    \
  X(P_PROJECT_ADD, "INSERT INTO project(name) VALUES (:name) ON CONFLICT (name) DO NOTHING "       \
                   "RETURNING id")                                                                 \
  X(P_BRANCH_GET, "SELECT id FROM branch WHERE project_id = :project AND name = :name")            \
  X(P_BRANCH_ADD, "INSERT INTO branch(project_id, name) VALUES (:project, :name) ON CONFLICT "     \
                  "(project_id, name) DO NOTHING RETURNING id")                                    \
  X(P_MACHINE_GET, "SELECT id FROM machine WHERE name = :name")                                    \
  X(P_MACHINE_ADD, "INSERT INTO machine(name, info) VALUES (:name, :info) ON CONFLICT (name) DO "  \
                   "NOTHING RETURNING id")                                                         \
  /* unchanged info is not rewritten */                                                            \
  X(P_MACHINE_INFO, "UPDATE machine SET info = :info::text WHERE id = :id AND :info::text IS NOT " \
                    "NULL AND info IS DISTINCT FROM :info::text")                                  \
  X(P_RUN_BY_HASH, "SELECT id FROM run WHERE project_id = :project AND content_hash = :hash "      \
                   "FOR KEY SHARE") /* a prune cannot delete it before the key is recorded */      \
  /* a run of the same content stored meanwhile by another server: no row (the caller reads it) */ \
  X(P_RUN_ADD,                                                                                     \
    "INSERT INTO run(project_id, branch_id, machine_id, commit_sha, commit_time, started_at, "     \
    "ingested_at, format, tool_version, machine_info, extra, content_hash) VALUES (:project, "     \
    ":branch, :machine, :sha, :ctime, :started, :ingested, :format, :tool, :minfo, :extra, "       \
    ":hash) ON CONFLICT (project_id, content_hash) DO NOTHING RETURNING id")                       \
  X(P_TAG_ADD, "INSERT INTO run_tag(run_id, key, value) VALUES (:run, :key, :value)")              \
  X(P_BENCH_GET, "SELECT id FROM benchmark WHERE project_id = :project AND name = :name AND grp "  \
                 "IS NOT DISTINCT FROM :grp::text AND params IS NOT DISTINCT FROM :params::text")  \
  X(P_BENCH_UPSERT, "INSERT INTO benchmark(project_id, name, grp, params) VALUES (:project, "      \
                    ":name, :grp, :params) ON CONFLICT (project_id, name) DO UPDATE SET grp = "    \
                    "excluded.grp, params = excluded.params RETURNING id")                         \
  X(P_RUN_BENCH_ADD,                                                                               \
    "INSERT INTO run_benchmark(run_id, benchmark_id, extra) VALUES (:run, :bench, :extra)")        \
  X(P_METRIC_GET,                                                                                  \
    "SELECT id FROM metric WHERE name = :name AND unit = :unit AND direction = :dir")              \
  X(P_METRIC_ADD, "INSERT INTO metric(name, unit, direction) VALUES (:name, :unit, :dir) ON "      \
                  "CONFLICT (name, unit, direction) DO NOTHING RETURNING id")                      \
  X(P_SERIES_GET, "SELECT id FROM series WHERE branch_id = :branch AND machine_id = :machine AND " \
                  "benchmark_id = :bench AND metric_id = :metric")                                 \
  X(P_SERIES_ADD, "INSERT INTO series(branch_id, machine_id, benchmark_id, metric_id) VALUES "     \
                  "(:branch, :machine, :bench, :metric) ON CONFLICT (branch_id, machine_id, "      \
                  "benchmark_id, metric_id) DO NOTHING RETURNING id")                              \
  X(P_RESULT_ADD,                                                                                  \
    "INSERT INTO result(run_id, benchmark_id, metric_id, series_id, n, min, max, mean, median, "   \
    "stddev, p95, p99, q1, q3, outliers, estimate, ci_lo, ci_hi, extra, run_time) VALUES (:run, "  \
    ":bench, :metric, :series, :n, :min, :max, :mean, :median, :stddev, :p95, :p99, :q1, :q3, "    \
    ":outliers, :estimate, :ci_lo, :ci_hi, :extra, :run_time) RETURNING id")                       \
  X(P_SAMPLES_ADD, "INSERT INTO sample_set(result_id, n, data) VALUES (:result, :n, :data)")       \
  X(P_RUN_COUNTS, "UPDATE run SET n_benches = :benches, n_results = :results, n_samples = "        \
                  ":samples WHERE id = :run")                                                      \
  /* a result of the run that is not the last of its series (a backfill) */                        \
  X(P_RUN_BACKFILL,                                                                                \
    "SELECT 1 FROM result x WHERE x.run_id = :run AND EXISTS (SELECT 1 FROM result y WHERE "       \
    "y.series_id = x.series_id AND (y.run_time, y.run_id) > (x.run_time, x.run_id)) LIMIT 1")      \
  X(P_GENERATION_BUMP, "UPDATE data_generation SET generation = generation + 1 WHERE id = 1")      \
  X(P_SERIES_UNMARK_RUN,                                                                           \
    "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = NULL WHERE id IN "  \
    "(SELECT series_id FROM result WHERE run_id = :run) AND analysed_n > 0 AND (analysed_time IS " \
    "NULL OR (analysed_time, analysed_run_id) > (:time::bigint, :run))")                           \
  X(P_IDEM_GET, "SELECT i.run_id, i.request_hash FROM idempotency i JOIN project p ON p.id = "     \
                "i.project_id WHERE p.name = :project AND i.token_id = :token AND i.key = :key")   \
  X(P_IDEM_PUT, "INSERT INTO idempotency(project_id, token_id, key, request_hash, run_id, "        \
                "created_at) VALUES (:project, :token, :key, :hash, :run, :now) ON CONFLICT "      \
                "(project_id, token_id, key) DO NOTHING RETURNING run_id")                         \
  X(P_IDEM_TAKEN, "SELECT run_id, request_hash FROM idempotency WHERE project_id = :project AND "  \
                  "token_id = :token AND key = :key")                                              \
  X(P_RUN_INFO, PG_RUN_COLUMNS "run r " PG_RUN_JOINS "WHERE r.id = :id")                           \
  X(P_RUN_TAGS, "SELECT key, value FROM run_tag WHERE run_id = :run ORDER BY key")                 \
  X(P_RUN_RESULTS,                                                                                 \
    "SELECT b.name, b.grp, b.params, rb.extra, m.name, m.unit, m.direction, x.n, x.min, x.max, "   \
    "x.mean, x.median, x.stddev, x.p95, x.p99, x.q1, x.q3, x.outliers, x.estimate, x.ci_lo, "      \
    "x.ci_hi, x.extra, x.id, ss.data FROM result x JOIN benchmark b ON b.id = x.benchmark_id "     \
    "JOIN metric m ON m.id = x.metric_id LEFT JOIN run_benchmark rb ON rb.run_id = x.run_id AND "  \
    "rb.benchmark_id = x.benchmark_id LEFT JOIN sample_set ss ON ss.result_id = x.id AND "         \
    ":samples::boolean WHERE x.run_id = :run ORDER BY x.id")                                       \
  X(P_COUNTS, "SELECT (SELECT count(*) FROM project), (SELECT count(*) FROM branch), (SELECT "     \
              "count(*) FROM machine), (SELECT count(*) FROM run), (SELECT count(*) FROM "         \
              "benchmark), (SELECT count(*) FROM metric), (SELECT count(*) FROM result), (SELECT " \
              "coalesce(sum(n), 0)::bigint FROM sample_set)")

#endif

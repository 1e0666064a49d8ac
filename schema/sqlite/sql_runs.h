/* schema/sqlite/sql_runs.h - the statements of runs.c (storing, loading, counting runs). */
#ifndef QB_SCHEMA_SQLITE_SQL_RUNS_H
#define QB_SCHEMA_SQLITE_SQL_RUNS_H

/* The columns sq_read_info reads, from the run row (its counts too: migration 0012) and its
 * names, then what names them. */
#define SQ_RUN_COLUMNS                                                                             \
  "SELECT r.id, p.name, b.name, m.name, r.commit_sha, r.commit_time, r.started_at, "               \
  "r.ingested_at, r.format, r.tool_version, r.content_hash, r.machine_info, r.extra, "             \
  "r.n_benches, r.n_results, r.n_samples FROM "
#define SQ_RUN_JOINS                                                                               \
  "CROSS JOIN project p ON p.id = r.project_id CROSS JOIN branch b ON b.id = r.branch_id CROSS "   \
  "JOIN machine m ON m.id = r.machine_id "

#define SQ_SQL_RUNS(X)                                                                             \
  X(S_PROJECT_GET, "SELECT id FROM project WHERE name = :name")                                    \
  X(S_PROJECT_ADD, "INSERT INTO project(name) VALUES (:name)")                                     \
  X(S_BRANCH_GET, "SELECT id FROM branch WHERE project_id = :project AND name = :name")            \
  X(S_BRANCH_ADD, "INSERT INTO branch(project_id, name) VALUES (:project, :name)")                 \
  X(S_MACHINE_GET, "SELECT id FROM machine WHERE name = :name")                                    \
  X(S_MACHINE_ADD, "INSERT INTO machine(name, info) VALUES (:name, :info)")                        \
  X(S_MACHINE_INFO, "UPDATE machine SET info = :info WHERE id = :id AND :info IS NOT NULL AND "    \
                    "info IS NOT :info") /* unchanged: not rewritten */                            \
  X(S_RUN_BY_HASH, "SELECT id FROM run WHERE project_id = :project AND content_hash = :hash")      \
  X(S_RUN_ADD,                                                                                     \
    "INSERT INTO run(project_id, branch_id, machine_id, commit_sha, commit_time, started_at, "     \
    "ingested_at, format, tool_version, machine_info, extra, content_hash) VALUES (:project, "     \
    ":branch, :machine, :sha, :ctime, :started, :ingested, :format, :tool, :minfo, :extra, "       \
    ":hash)")                                                                                      \
  X(S_TAG_ADD, "INSERT INTO run_tag(run_id, key, value) VALUES (:run, :key, :value)")              \
  /* the benchmark as stored: when group and params are the same, nothing is written */            \
  X(S_BENCH_GET, "SELECT id FROM benchmark WHERE project_id = :project AND name = :name AND grp "  \
                 "IS :grp AND params IS :params")                                                  \
  X(S_BENCH_UPSERT,                                                                                \
    "INSERT INTO benchmark(project_id, name, grp, params) VALUES (:project, :name, :grp, "         \
    ":params) ON CONFLICT (project_id, name) DO UPDATE SET grp = excluded.grp, "                   \
    "params = excluded.params RETURNING id")                                                       \
  X(S_RUN_BENCH_ADD,                                                                               \
    "INSERT INTO run_benchmark(run_id, benchmark_id, extra) VALUES (:run, :bench, :extra)")        \
  X(S_METRIC_GET,                                                                                  \
    "SELECT id FROM metric WHERE name = :name AND unit = :unit AND direction = :dir")              \
  X(S_METRIC_ADD, "INSERT INTO metric(name, unit, direction) VALUES (:name, :unit, :dir)")         \
  X(S_SERIES_GET, "SELECT id FROM series WHERE branch_id = :branch AND machine_id = :machine "     \
                  "AND benchmark_id = :bench AND metric_id = :metric")                             \
  X(S_SERIES_ADD, "INSERT INTO series(branch_id, machine_id, benchmark_id, metric_id) VALUES "     \
                  "(:branch, :machine, :bench, :metric)")                                          \
  X(S_RESULT_ADD,                                                                                  \
    "INSERT INTO result(run_id, benchmark_id, metric_id, series_id, n, min, max, mean, "           \
    "median, stddev, p95, p99, q1, q3, outliers, estimate, ci_lo, ci_hi, extra, run_time) "        \
    "VALUES (:run, :bench, :metric, :series, :n, :min, :max, :mean, :median, :stddev, :p95, "      \
    ":p99, :q1, :q3, :outliers, :estimate, :ci_lo, :ci_hi, :extra, :run_time)")                    \
  X(S_SAMPLES_ADD, "INSERT INTO sample_set(result_id, n, data) VALUES (:result, :n, :data)")       \
  /* a new run's counts (migration 0012), from the rows just stored in its transaction */          \
  /* what count(DISTINCT benchmark_id), count(*) and sum(sample_set.n) over the run's results      \
   * give, counted by sq_insert_run as it stores them */                                           \
  X(S_RUN_COUNTS,                                                                                  \
    "UPDATE run SET n_benches = :benches, n_results = :results, n_samples = :samples WHERE id "    \
    "= :run")                                                                                      \
  /* a result of the run that is not the last of its series: the run was stored before the end     \
   * of a series (a backfill), which changes the histories of runs after it */                     \
  X(S_RUN_BACKFILL,                                                                                \
    "SELECT 1 FROM result x WHERE x.run_id = :run AND EXISTS (SELECT 1 FROM result y WHERE "       \
    "y.series_id = x.series_id AND (y.run_time, y.run_id) > (x.run_time, x.run_id)) LIMIT 1")      \
  X(S_GENERATION_BUMP, "UPDATE data_generation SET generation = generation + 1 WHERE id = 1")      \
  /* a point stored before the analysed ones: the marker no longer describes a prefix (for         \
   * every series of a new run at once: its results share one run_time) */                         \
  X(S_SERIES_UNMARK_RUN,                                                                           \
    "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = NULL WHERE id "     \
    "IN (SELECT series_id FROM result WHERE run_id = :run) AND analysed_n > 0 AND "                \
    "(analysed_time IS NULL OR (analysed_time, analysed_run_id) > (:time, :run))")                 \
  /* idempotency keys (migration 0011): per project and token; the primary key decides which       \
   * of two concurrent requests with one key records it */                                         \
  X(S_IDEM_GET, "SELECT i.run_id, i.request_hash FROM idempotency i JOIN project p ON p.id = "     \
                "i.project_id WHERE p.name = :project AND i.token_id = :token AND i.key = :key")   \
  X(S_IDEM_PUT, "INSERT INTO idempotency(project_id, token_id, key, request_hash, run_id, "        \
                "created_at) VALUES (:project, :token, :key, :hash, :run, :now) ON CONFLICT "      \
                "(project_id, token_id, key) DO NOTHING RETURNING run_id")                         \
  X(S_IDEM_TAKEN, "SELECT run_id, request_hash FROM idempotency WHERE project_id = :project "      \
                  "AND token_id = :token AND key = :key")                                          \
  X(S_RUN_INFO, SQ_RUN_COLUMNS "run r " SQ_RUN_JOINS "WHERE r.id = :id")                           \
  X(S_RUN_TAGS, "SELECT key, value FROM run_tag WHERE run_id = :run ORDER BY key")                 \
  X(S_RUN_RESULTS,                                                                                 \
    "SELECT b.name, b.grp, b.params, rb.extra, m.name, m.unit, m.direction, x.n, x.min, "          \
    "x.max, x.mean, x.median, x.stddev, x.p95, x.p99, x.q1, x.q3, x.outliers, x.estimate, "        \
    "x.ci_lo, x.ci_hi, x.extra, x.id FROM result x JOIN benchmark b ON b.id = x.benchmark_id "     \
    "JOIN metric m ON m.id = x.metric_id LEFT JOIN run_benchmark rb ON rb.run_id = x.run_id "      \
    "AND rb.benchmark_id = x.benchmark_id WHERE x.run_id = :run ORDER BY x.id")                    \
  X(S_SAMPLES_GET, "SELECT data FROM sample_set WHERE result_id = :result")                        \
  X(S_COUNTS, "SELECT (SELECT count(*) FROM project), (SELECT count(*) FROM branch), "             \
              "(SELECT count(*) FROM machine), (SELECT count(*) FROM run), "                       \
              "(SELECT count(*) FROM benchmark), (SELECT count(*) FROM metric), "                  \
              "(SELECT count(*) FROM result), (SELECT coalesce(sum(n), 0) FROM sample_set)")

#endif

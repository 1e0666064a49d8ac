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
  /* A run's rows go in a few statements whatever its size: its lists travel as arrays (binary,    \
   * runs.c), unnest(...) WITH ORDINALITY numbers them in the run's order. New rows take ids       \
   * drawn in that order (the first use: the k-th new row takes the k-th smallest value drawn,     \
   * an array subscript), but are inserted in the order of their unique key, so that servers       \
   * storing overlapping sets wait on each other in one order instead of deadlocking. A row is     \
   * looked up by a scalar subquery on its unique key (one index probe each, whatever the plan),   \
   * never by a join, whose plan made for 100 entries (generic) may scan a table per entry. */     \
  X(P_TAGS_ADD, "INSERT INTO run_tag(run_id, key, value) SELECT :run::bigint, k, v FROM "          \
                "unnest(:keys::text[], :vals::text[]) AS t(k, v)")                                 \
  /* (o: the place in :names, the id; negated when the group or parameters differ; NULL: none) */  \
  X(P_BENCHES_GET,                                                                                 \
    "SELECT o, (SELECT CASE WHEN (b.grp, b.params) IS NOT DISTINCT FROM (v.grp, v.params) THEN "   \
    "b.id ELSE -b.id END FROM benchmark b WHERE b.project_id = :project::bigint AND b.name = "     \
    "v.name) FROM unnest(:names::text[], :grps::text[], :params::text[]) WITH ORDINALITY AS "      \
    "v(name, grp, params, o)")                                                                     \
  /* what P_BENCHES_GET found (:ids, NULL: none; :current) written: the missing inserted, the      \
   * others updated to a name's last entry where it differs (a row another server inserted         \
   * meanwhile is updated too) */                                                                  \
  X(P_BENCHES_PUT,                                                                                 \
    "INSERT INTO benchmark(id, project_id, name, grp, params) WITH u AS (SELECT *, row_number() "  \
    "OVER (PARTITION BY id IS NULL ORDER BY first) AS k FROM (SELECT DISTINCT ON (name) name, "    \
    "grp, params, id, cur, first FROM (SELECT *, min(o) OVER (PARTITION BY name) AS first FROM "   \
    "unnest(:names::text[], :grps::text[], :params::text[], :ids::bigint[], :current::bool[]) "    \
    "WITH ORDINALITY AS v(name, grp, params, id, cur, o)) f ORDER BY name, o DESC) d), ids AS "    \
    "(SELECT array_agg(id ORDER BY id) AS a FROM (SELECT nextval((SELECT "                         \
    "pg_get_serial_sequence('benchmark', 'id')::regclass)) AS id FROM u WHERE u.id IS NULL) d) "   \
    "SELECT coalesce(u.id, ids.a[u.k::int]), :project::bigint, name, grp, params FROM u CROSS "    \
    "JOIN ids WHERE u.id IS NULL OR NOT u.cur ORDER BY name ON CONFLICT (project_id, name) DO "    \
    "UPDATE SET grp = excluded.grp, params = excluded.params")                                     \
  X(P_RUN_BENCHES_ADD, "INSERT INTO run_benchmark(run_id, benchmark_id, extra) SELECT "            \
                       ":run::bigint, b, e FROM unnest(:benches::bigint[], :extras::text[]) AS "   \
                       "t(b, e)")                                                                  \
  /* (o: the place in the lists of distinct metrics, the id; NULL: none) */                        \
  X(P_METRICS_GET, "SELECT o, (SELECT m.id FROM metric m WHERE m.name = v.name AND m.unit = "      \
                   "v.unit AND m.direction = v.dir) FROM unnest(:names::text[], :units::text[], "  \
                   ":dirs::bigint[]) WITH ORDINALITY AS v(name, unit, dir, o)")                    \
  /* the metrics P_METRICS_GET did not find; one another server inserted meanwhile is left to      \
   * it */                                                                                         \
  X(P_METRICS_PUT,                                                                                 \
    "INSERT INTO metric(id, name, unit, direction) WITH ids AS (SELECT array_agg(id ORDER BY id) " \
    "AS a FROM (SELECT nextval((SELECT pg_get_serial_sequence('metric', 'id')::regclass)) AS id "  \
    "FROM generate_series(1, cardinality(:names::text[]))) d) SELECT ids.a[o::int], name, unit, "  \
    "dir FROM unnest(:names::text[], :units::text[], :dirs::bigint[]) WITH ORDINALITY AS "         \
    "v(name, unit, dir, o) CROSS JOIN ids ORDER BY name, unit, dir ON CONFLICT (name, unit, "      \
    "direction) DO NOTHING")                                                                       \
  /* the missing series of :benches x :metrics (one pair a result) on the run's branch and         \
   * machine; one another server inserted meanwhile is left to it */                               \
  X(P_SERIES_PUT,                                                                                  \
    "INSERT INTO series(id, branch_id, machine_id, benchmark_id, metric_id) WITH u AS (SELECT b, " \
    "m, row_number() OVER (ORDER BY first) AS k FROM (SELECT b, m, min(o) AS first FROM "          \
    "unnest(:benches::bigint[], :metrics::bigint[]) WITH ORDINALITY AS v(b, m, o) GROUP BY b, m) " \
    "v WHERE (SELECT s.id FROM series s WHERE s.branch_id = :branch::bigint AND s.machine_id = "   \
    ":machine::bigint AND s.benchmark_id = v.b AND s.metric_id = v.m) IS NULL), ids AS (SELECT "   \
    "array_agg(id ORDER BY id) AS a FROM (SELECT nextval((SELECT "                                 \
    "pg_get_serial_sequence('series', 'id')::regclass)) AS id FROM u) d) SELECT ids.a[k::int], "   \
    ":branch::bigint, :machine::bigint, b, m FROM u CROSS JOIN ids ORDER BY b, m ON CONFLICT "     \
    "(branch_id, machine_id, benchmark_id, metric_id) DO NOTHING")                                 \
  /* results (ids in the run's order) with their series, which exist by now, and their samples     \
   * (a NULL :samples entry: none); the results inserted */                                        \
  X(P_RESULTS_ADD,                                                                                 \
    "WITH ids AS (SELECT array_agg(id ORDER BY id) AS a FROM (SELECT nextval((SELECT "             \
    "pg_get_serial_sequence('result', 'id')::regclass)) AS id FROM "                               \
    "generate_series(1, cardinality(:benches::bigint[]))) d), res AS (INSERT INTO result(id, "     \
    "run_id, benchmark_id, metric_id, series_id, n, min, max, mean, median, stddev, p95, p99, "    \
    "q1, q3, outliers, estimate, ci_lo, ci_hi, extra, run_time) SELECT ids.a[x.o::int], "          \
    ":run::bigint, x.b, x.m, (SELECT s.id FROM series s WHERE s.branch_id = :branch::bigint AND "  \
    "s.machine_id = :machine::bigint AND s.benchmark_id = x.b AND s.metric_id = x.m), x.n, "       \
    "x.min, x.max, x.mean, x.median, x.stddev, x.p95, x.p99, x.q1, x.q3, x.outliers, "             \
    "x.estimate, x.ci_lo, x.ci_hi, x.extra, :run_time::bigint FROM unnest(:benches::bigint[], "    \
    ":metrics::bigint[], :count::bigint[], :min::float8[], :max::float8[], :mean::float8[], "      \
    ":median::float8[], :stddev::float8[], :p95::float8[], :p99::float8[], :q1::float8[], "        \
    ":q3::float8[], :outliers::bigint[], :estimate::float8[], :ci_lo::float8[], "                  \
    ":ci_hi::float8[], :extra::text[]) WITH ORDINALITY AS x(b, m, n, min, max, mean, median, "     \
    "stddev, p95, p99, q1, q3, outliers, estimate, ci_lo, ci_hi, extra, o) CROSS JOIN ids ORDER "  \
    "BY x.o RETURNING 1), smp AS (INSERT INTO sample_set(result_id, n, data) SELECT "              \
    "ids.a[y.o::int], y.n, y.data FROM unnest(:sample_n::bigint[], :samples::bytea[]) WITH "       \
    "ORDINALITY AS y(n, data, o) CROSS JOIN ids WHERE y.data IS NOT NULL ORDER BY y.o) SELECT "    \
    "count(*) FROM res")                                                                           \
  X(P_RUN_COUNTS, "UPDATE run SET n_benches = :benches, n_results = :results, n_samples = "        \
                  ":samples WHERE id = :run")                                                      \
  /* a result of the run that is not the last of its series (a backfill) */                        \
  X(P_RUN_BACKFILL,                                                                                \
    "SELECT 1 FROM result x WHERE x.run_id = :run AND EXISTS (SELECT 1 FROM result y WHERE "       \
    "y.series_id = x.series_id AND (y.run_time, y.run_id) > (x.run_time, x.run_id)) LIMIT 1")      \
  X(P_GENERATION_BUMP, "UPDATE data_generation SET generation = generation + 1 WHERE id = 1")      \
  /* the rows are locked in id order, the order detection writes them in (service/detect.c): */    \
  /* two transactions that update several series rows never wait for each other in a circle */     \
  X(P_SERIES_UNMARK_RUN,                                                                           \
    "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = NULL FROM (SELECT " \
    "id FROM series WHERE id IN (SELECT series_id FROM result WHERE run_id = :run) AND "           \
    "analysed_n > 0 AND (analysed_time IS NULL OR (analysed_time, analysed_run_id) > "             \
    "(:time::bigint, :run)) ORDER BY id FOR NO KEY UPDATE) k WHERE series.id = k.id")              \
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

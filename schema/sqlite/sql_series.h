/* schema/sqlite/sql_series.h - the statements of series.c (series, their points, detection
 * markers, benchmarks). */
#ifndef QB_SCHEMA_SQLITE_SQL_SERIES_H
#define QB_SCHEMA_SQLITE_SQL_SERIES_H

/* The series columns read_series and sq_series_list read, after SELECT. */
#define SQ_SERIES_COLUMNS                                                                          \
  "SELECT s.id, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, s.analysed_n, "   \
  "coalesce(s.analysed_run_id, 0), s.analysed_time, s.analysed_opts FROM "
/* Every filter of qb_series_filter, checked on the rows the statement's driving index found. */
#define SQ_SERIES_FILTERS                                                                          \
  "(:project IS NULL OR p.name = :project) AND (:branch IS NULL OR b.name = :branch) AND "         \
  "(:machine IS NULL OR m.name = :machine) AND (:metric IS NULL OR mt.name = :metric) AND "        \
  "(:glob IS NULL OR bm.name GLOB :glob) AND (:bench IS NULL OR bm.name = :bench) "                \
  "ORDER BY p.name, b.name, m.name, bm.name, mt.name"

#define SQ_SQL_SERIES(X)                                                                           \
  /* benchmarks and the metrics they have series of: a probe of series_by_benchmark per            \
   * benchmark and metric (the metric table is small), not a pass over every series */             \
  X(S_BENCH_METRICS,                                                                               \
    "SELECT p.name, bm.name, mt.name FROM project p CROSS JOIN benchmark bm ON bm.project_id = "   \
    "p.id CROSS JOIN metric mt WHERE (:project IS NULL OR p.name = :project) AND EXISTS "          \
    "(SELECT 1 FROM series s WHERE s.benchmark_id = bm.id AND s.metric_id = mt.id) ORDER BY "      \
    "p.name, bm.name, mt.name")                                                                    \
  /* Series lists, each driven by its most selective filter (sq_series_list picks): every          \
   * series (no filter that narrows), the series of a run (its results), of a benchmark of a       \
   * project or of a benchmark (series_by_benchmark), of a branch (branch_by_name, then the        \
   * series key), of a project (its branches); the other filters are checked on what it finds */   \
  X(S_SERIES_LIST, SQ_SERIES_COLUMNS                                                               \
    "series s JOIN branch b ON b.id = s.branch_id JOIN project p ON p.id = b.project_id JOIN "     \
    "machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN metric mt " \
    "ON mt.id = s.metric_id WHERE " SQ_SERIES_FILTERS)                                             \
  X(S_SERIES_OF_RUN, SQ_SERIES_COLUMNS                                                             \
    "result x CROSS JOIN series s ON s.id = x.series_id JOIN branch b ON b.id = s.branch_id JOIN " \
    "project p ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON " \
    "bm.id = s.benchmark_id JOIN metric mt ON mt.id = s.metric_id WHERE x.run_id = :run "          \
    "AND " SQ_SERIES_FILTERS)                                                                      \
  X(S_SERIES_BY_PROJECT_BENCH, SQ_SERIES_COLUMNS                                                   \
    "project p CROSS JOIN benchmark bm ON bm.project_id = p.id CROSS JOIN series s ON "            \
    "s.benchmark_id = bm.id JOIN branch b ON b.id = s.branch_id JOIN machine m ON m.id = "         \
    "s.machine_id JOIN metric mt ON mt.id = s.metric_id WHERE p.name = :project AND bm.name = "    \
    ":bench AND " SQ_SERIES_FILTERS)                                                               \
  X(S_SERIES_BY_BENCH, SQ_SERIES_COLUMNS                                                           \
    "benchmark bm CROSS JOIN series s ON s.benchmark_id = bm.id JOIN branch b ON b.id = "          \
    "s.branch_id JOIN project p ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id "     \
    "JOIN metric mt ON mt.id = s.metric_id WHERE bm.name = :bench AND " SQ_SERIES_FILTERS)         \
  X(S_SERIES_BY_BRANCH, SQ_SERIES_COLUMNS                                                          \
    "branch b CROSS JOIN series s ON s.branch_id = b.id JOIN project p ON p.id = b.project_id "    \
    "JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN "      \
    "metric mt ON mt.id = s.metric_id WHERE b.name = :branch AND " SQ_SERIES_FILTERS)              \
  X(S_SERIES_BY_PROJECT, SQ_SERIES_COLUMNS                                                         \
    "project p CROSS JOIN branch b ON b.project_id = p.id CROSS JOIN series s ON s.branch_id = "   \
    "b.id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN " \
    "metric mt ON mt.id = s.metric_id WHERE p.name = :project AND " SQ_SERIES_FILTERS)             \
  X(S_SERIES_POINTS,                                                                               \
    "SELECT x.run_id, r.commit_sha, x.run_time, coalesce(x.median, x.mean, x.estimate), "          \
    "x.ci_lo, x.ci_hi, x.n, CASE WHEN x.median IS NOT NULL THEN 0 WHEN x.mean IS NOT NULL THEN 1 " \
    "ELSE 2 END FROM result x JOIN run r ON r.id = x.run_id WHERE x.series_id = :series ORDER BY " \
    "x.run_time, x.run_id")                                                                        \
  /* the newest :limit points of every series of a branch (qb_store_series_recent): per series,    \
   * its point count and the (run_time, run_id) of its :limit-th newest point, then the range      \
   * from there, all from result_series_time alone (a window function over the branch's results    \
   * reads every point: 20 times slower at 200 series x 1000 runs). No ORDER BY: the series come   \
   * in id order and each range in index order (a sort of every row cost as much as the reads);    \
   * series.c checks that and sorts when a plan ever gives another order */                        \
  X(S_SERIES_RECENT,                                                                               \
    "WITH ss AS MATERIALIZED (SELECT s.id, (SELECT count(*) FROM result c WHERE c.series_id = "    \
    "s.id) AS total, (SELECT y.run_time FROM result y WHERE y.series_id = s.id ORDER BY "          \
    "y.run_time DESC, y.run_id DESC LIMIT 1 OFFSET :limit - 1) AS t0, (SELECT y.run_id FROM "      \
    "result y WHERE y.series_id = s.id ORDER BY y.run_time DESC, y.run_id DESC LIMIT 1 OFFSET "    \
    ":limit - 1) AS r0 FROM project p CROSS JOIN branch b ON b.project_id = p.id CROSS JOIN "      \
    "series s ON s.branch_id = b.id WHERE p.name = :project AND b.name = :branch ORDER BY s.id) "  \
    "SELECT ss.id, x.run_id, x.run_time, coalesce(x.median, x.mean, x.estimate), ss.total FROM "   \
    "ss CROSS JOIN result x ON x.series_id = ss.id AND (x.run_time, x.run_id) >= "                 \
    "(coalesce(ss.t0, -9223372036854775807), coalesce(ss.r0, 0))")                                 \
  /* the raw samples of a series' points, in the order of S_SERIES_POINTS */                       \
  X(S_SERIES_SAMPLES,                                                                              \
    "SELECT x.run_id, ss.data FROM result x JOIN sample_set ss ON ss.result_id = x.id WHERE "      \
    "x.series_id = :series ORDER BY x.run_time, x.run_id")                                         \
  X(S_SERIES_VALUES, "SELECT run_id, coalesce(median, mean, estimate) AS v FROM result WHERE "     \
                     "series_id = :series AND v IS NOT NULL ORDER BY run_time, run_id")            \
  X(S_SERIES_CHANGES, "SELECT run_id, coalesce(prev_run_id, 0), before, after, change_pct, "       \
                      "p_value, coalesce(position, -1) FROM regression WHERE series_id = "         \
                      ":series AND active = 1")                                                    \
  /* the marker moves forward only, except that other options replace it (a full analysis) */      \
  X(S_SERIES_ANALYSED, "UPDATE series SET analysed_n = :n, analysed_run_id = nullif(:run, 0), "    \
                       "analysed_time = :time, analysed_opts = :opts WHERE id = :series AND "      \
                       "(analysed_n <= :n OR analysed_opts IS NOT :opts)")                         \
  X(S_POINT_TIME, "SELECT run_time FROM result WHERE run_id = :run AND series_id = :series")       \
  X(S_SERIES_BEFORE, "SELECT run_id, coalesce(median, mean, estimate) AS v, run_time FROM "        \
                     "result WHERE "                                                               \
                     "series_id = :series AND v IS NOT NULL AND (run_time, run_id) <= (:time, "    \
                     ":run) ORDER BY run_time DESC, run_id DESC LIMIT :limit")                     \
  X(S_SERIES_AFTER, "SELECT run_id, coalesce(median, mean, estimate) AS v, run_time FROM "         \
                    "result WHERE "                                                                \
                    "series_id = :series AND v IS NOT NULL AND (run_time, run_id) > (:time, "      \
                    ":run) ORDER BY run_time, run_id")

#endif

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
    "x.ci_lo, x.ci_hi, x.n FROM result x JOIN run r ON r.id = x.run_id WHERE x.series_id = "       \
    ":series ORDER BY x.run_time, x.run_id")                                                       \
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

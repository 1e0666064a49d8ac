/* schema/postgres/sql_series.h - the statements of series.c (series, their points and histories,
 * detection markers, benchmarks). */
#ifndef QB_SCHEMA_POSTGRES_SQL_SERIES_H
#define QB_SCHEMA_POSTGRES_SQL_SERIES_H

/* The series columns pg_series_list reads, after SELECT. */
#define PG_SER_COLUMNS                                                                             \
  "SELECT s.id, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, s.analysed_n, "   \
  "coalesce(s.analysed_run_id, 0), s.analysed_time, s.analysed_opts FROM "
/* Every filter of qb_series_filter, checked on the rows the statement's driving filter found;
 * :glob is the regex pg_glob_regex makes of the GLOB. Series of one key that differ only in
 * their metric's unit or direction come in id order. */
#define PG_SER_FILTERS                                                                             \
  "(:project::text IS NULL OR p.name = :project::text) AND (:branch::text IS NULL OR b.name = "    \
  ":branch::text) AND (:machine::text IS NULL OR m.name = :machine::text) AND (:metric::text IS "  \
  "NULL OR mt.name = :metric::text) AND (:glob::text IS NULL OR bm.name ~ :glob::text) AND "       \
  "(:bench::text IS NULL OR bm.name = :bench::text) ORDER BY p.name, b.name, m.name, bm.name, "    \
  "mt.name, s.id"
/* The joins from a series to what names it, less the tables a statement starts from. */
#define PG_SER_JOIN_BRANCH  "JOIN branch b ON b.id = s.branch_id "
#define PG_SER_JOIN_PROJECT "JOIN project p ON p.id = b.project_id "
#define PG_SER_JOIN_MACHINE "JOIN machine m ON m.id = s.machine_id "
#define PG_SER_JOIN_BENCH   "JOIN benchmark bm ON bm.id = s.benchmark_id "
#define PG_SER_JOIN_METRIC  "JOIN metric mt ON mt.id = s.metric_id "

/* The value of a point: median, else mean, else the tool's estimate. */
#define PG_SER_VALUE "coalesce(median, mean, estimate)"

/* The end of a series around a marker in one snapshot: up to :limit points with a value up to
 * and including (:time, :run) (read newest first), then every point after it, all in series
 * order; the first column tells which part a row is of. */
#define PG_SER_TAIL_SQL                                                                            \
  "SELECT k.part, k.run_id, k.v, k.run_time FROM (SELECT false AS part, run_id, " PG_SER_VALUE     \
  " AS v, run_time FROM result WHERE series_id = :series AND " PG_SER_VALUE " IS NOT NULL AND "    \
  "(run_time, run_id) <= (:time::bigint, :run::bigint) ORDER BY run_time DESC, run_id DESC "       \
  "LIMIT :limit::bigint) k UNION ALL SELECT true, run_id, " PG_SER_VALUE ", run_time FROM "        \
  "result WHERE series_id = :series AND " PG_SER_VALUE " IS NOT NULL AND (run_time, run_id) > "    \
  "(:time::bigint, :run::bigint) ORDER BY 1, 4, 2"

/* Benchmarks and the metrics they have series of: a probe of series_by_benchmark per benchmark
 * and metric (the metric table is small), not a pass over every series. A subquery with a LIMIT
 * is not made a join, so it stays one probe per row. */
#define PG_SER_BENCH_METRICS_SQL                                                                   \
  "SELECT p.name, bm.name, mt.name FROM project p JOIN benchmark bm ON bm.project_id = p.id "      \
  "CROSS JOIN metric mt WHERE (:project::text IS NULL OR p.name = :project::text) AND (SELECT "    \
  "true FROM series s WHERE s.benchmark_id = bm.id AND s.metric_id = mt.id LIMIT 1) ORDER BY "     \
  "p.name, bm.name, mt.name"

/* Series lists, each driven by its most selective filter (pg_series_list picks): every series,
 * those of a run (its results), of a benchmark of a project, of a benchmark, of a branch, of a
 * project; the other filters are checked on what it finds. */
#define PG_SER_LIST_SQL                                                                            \
  PG_SER_COLUMNS "series s " PG_SER_JOIN_BRANCH PG_SER_JOIN_PROJECT PG_SER_JOIN_MACHINE            \
      PG_SER_JOIN_BENCH PG_SER_JOIN_METRIC "WHERE " PG_SER_FILTERS
#define PG_SER_OF_RUN_SQL                                                                          \
  PG_SER_COLUMNS                                                                                   \
  "result x JOIN series s ON s.id = x.series_id " PG_SER_JOIN_BRANCH PG_SER_JOIN_PROJECT           \
      PG_SER_JOIN_MACHINE PG_SER_JOIN_BENCH PG_SER_JOIN_METRIC                                     \
  "WHERE x.run_id = :run AND " PG_SER_FILTERS
#define PG_SER_BY_PROJECT_BENCH_SQL                                                                \
  PG_SER_COLUMNS                                                                                   \
  "project p JOIN benchmark bm ON bm.project_id = p.id JOIN series s ON "                          \
  "s.benchmark_id = bm.id " PG_SER_JOIN_BRANCH PG_SER_JOIN_MACHINE PG_SER_JOIN_METRIC              \
  "WHERE p.name = :project::text AND bm.name = "                                                   \
  ":bench::text AND " PG_SER_FILTERS
#define PG_SER_BY_BENCH_SQL                                                                        \
  PG_SER_COLUMNS "benchmark bm JOIN series s ON s.benchmark_id = bm.id " PG_SER_JOIN_BRANCH        \
      PG_SER_JOIN_PROJECT PG_SER_JOIN_MACHINE PG_SER_JOIN_METRIC                                   \
                 "WHERE bm.name = :bench::text AND " PG_SER_FILTERS
#define PG_SER_BY_BRANCH_SQL                                                                       \
  PG_SER_COLUMNS                                                                                   \
  "branch b JOIN series s ON s.branch_id = b.id " PG_SER_JOIN_PROJECT PG_SER_JOIN_MACHINE          \
      PG_SER_JOIN_BENCH PG_SER_JOIN_METRIC "WHERE b.name = :branch::text AND " PG_SER_FILTERS
#define PG_SER_BY_PROJECT_SQL                                                                      \
  PG_SER_COLUMNS "project p JOIN branch b ON b.project_id = p.id JOIN series s ON s.branch_id = "  \
                 "b.id " PG_SER_JOIN_MACHINE PG_SER_JOIN_BENCH PG_SER_JOIN_METRIC                  \
                 "WHERE p.name = :project::text AND " PG_SER_FILTERS

#define PG_SQL_SERIES(X)                                                                           \
  /* detection serialised per series across servers (session locks, in id order; the key pair      \
   * (QB_APPLICATION_ID, id) is apart from every other advisory lock) */                           \
  X(P_SERIES_LOCK, "SELECT count(pg_advisory_lock(1902338146, (k % 2147483647)::int)) FROM "       \
                   "(SELECT k FROM unnest(:ids::bigint[]) k ORDER BY k) t")                        \
  X(P_SERIES_UNLOCK, "SELECT pg_advisory_unlock_all()")                                            \
  X(P_SER_BENCH_METRICS, PG_SER_BENCH_METRICS_SQL)                                                 \
  X(P_SER_LIST, PG_SER_LIST_SQL)                                                                   \
  X(P_SER_OF_RUN, PG_SER_OF_RUN_SQL)                                                               \
  X(P_SER_BY_PROJECT_BENCH, PG_SER_BY_PROJECT_BENCH_SQL)                                           \
  X(P_SER_BY_BENCH, PG_SER_BY_BENCH_SQL)                                                           \
  X(P_SER_BY_BRANCH, PG_SER_BY_BRANCH_SQL)                                                         \
  X(P_SER_BY_PROJECT, PG_SER_BY_PROJECT_SQL)                                                       \
  X(P_SER_POINTS,                                                                                  \
    "SELECT x.run_id, r.commit_sha, x.run_time, coalesce(x.median, x.mean, x.estimate), "          \
    "x.ci_lo, x.ci_hi, x.n, CASE WHEN x.median IS NOT NULL THEN 0 WHEN x.mean IS NOT NULL THEN 1 " \
    "ELSE 2 END FROM result x JOIN run r ON r.id = x.run_id WHERE x.series_id = :series ORDER BY " \
    "x.run_time, x.run_id")                                                                        \
  /* the raw samples of a series' points, in the order of P_SER_POINTS */                          \
  X(P_SER_SAMPLES,                                                                                 \
    "SELECT x.run_id, ss.data FROM result x JOIN sample_set ss ON ss.result_id = x.id WHERE "      \
    "x.series_id = :series ORDER BY x.run_time, x.run_id")                                         \
  /* the newest :limit points of every series of a branch (qb_store_series_recent): per series a   \
   * LATERAL range of result_series_time read backwards from its end, and its point count */       \
  X(P_SER_RECENT,                                                                                  \
    "SELECT s.id, x.run_id, x.run_time, x.v, c.total FROM project p JOIN branch b ON "             \
    "b.project_id = p.id JOIN series s ON s.branch_id = b.id CROSS JOIN LATERAL (SELECT count(*) " \
    "AS total FROM result WHERE series_id = s.id) c CROSS JOIN LATERAL (SELECT run_id, run_time, " \
    "coalesce(median, mean, estimate) AS v FROM result WHERE series_id = s.id ORDER BY run_time "  \
    "DESC, run_id DESC LIMIT :limit::bigint) x WHERE p.name = :project::text AND b.name = "        \
    ":branch::text ORDER BY s.id, x.run_time, x.run_id")                                           \
  X(P_SER_VALUES,                                                                                  \
    "SELECT run_id, " PG_SER_VALUE " FROM result WHERE series_id = :series AND " PG_SER_VALUE      \
    " IS NOT NULL ORDER BY run_time, run_id")                                                      \
  X(P_SER_CHANGES, "SELECT run_id, coalesce(prev_run_id, 0), before, after, change_pct, "          \
                   "p_value, coalesce(position, -1) FROM regression WHERE series_id = :series "    \
                   "AND active = 1 ORDER BY run_time, run_id")                                     \
  X(P_SER_ANALYSED, "UPDATE series SET analysed_n = :n, analysed_run_id = nullif(:run::bigint, "   \
                    "0), analysed_time = :time::bigint, analysed_opts = :opts::text WHERE id = "   \
                    ":series AND (analysed_n <= :n OR analysed_opts IS DISTINCT FROM "             \
                    ":opts::text)")                                                                \
  X(P_SER_POINT_TIME, "SELECT run_time FROM result WHERE run_id = :run AND series_id = :series")   \
  X(P_SER_TAIL, PG_SER_TAIL_SQL)

/* P_SER_VALUES: one range of result_series_time, read from the index alone. P_SER_CHANGES: in
 * series order, as SQLite reads them (regression_by_series_time). P_SER_ANALYSED: the marker
 * moves forward only, except that other options replace it (a full analysis); an update of the
 * row by another connection is waited for and the condition checked again on its outcome. */

#endif

/* schema/sqlite/sql_history.h - the statements of history.c (the recent points of a run's series
 * for the noise model, their change-point marks, a run's points for detection). */
#ifndef QB_SCHEMA_SQLITE_SQL_HISTORY_H
#define QB_SCHEMA_SQLITE_SQL_HISTORY_H

/* The data generation a history is read at is S_GENERATION (sql_admin.h). */
#define SQ_SQL_HISTORY(X)                                                                          \
  X(S_HISTORY, "SELECT x.series_id, b.name, m.name, x.run_time FROM result x JOIN benchmark b "    \
               "ON b.id = x.benchmark_id JOIN metric m ON m.id = x.metric_id WHERE x.run_id = "    \
               ":head ORDER BY b.name, m.name")                                                    \
  /* S_HISTORY with the run's own point and, per series, the run of the point before it */         \
  X(S_HISTORY_HEAD,                                                                                \
    "SELECT x.series_id, b.name, m.name, x.run_time, x.median, x.mean, x.estimate, (SELECT "       \
    "y.run_id FROM result y WHERE y.series_id = x.series_id AND (y.run_time, y.run_id) < "         \
    "(x.run_time, x.run_id) ORDER BY y.run_time DESC, y.run_id DESC LIMIT 1) FROM result x "       \
    "JOIN benchmark b ON b.id = x.benchmark_id JOIN metric m ON m.id = x.metric_id WHERE "         \
    "x.run_id = :head ORDER BY b.name, m.name")                                                    \
  X(S_HISTORY_SERIES,                                                                              \
    "SELECT x.run_id, x.run_time, x.median, x.mean, x.estimate FROM result x WHERE "               \
    "x.series_id = :series AND (x.run_time, x.run_id) <= (:t, :run) ORDER BY x.run_time DESC, "    \
    "x.run_id DESC LIMIT :limit")                                                                  \
  /* the active change points of the run's series up to it, all in one statement (a subquery       \
   * per point, or a statement per series, cost as much as reading the points) */                  \
  X(S_HISTORY_CHANGES,                                                                             \
    "SELECT g.series_id, g.run_id FROM result x JOIN regression g ON g.series_id = "               \
    "x.series_id AND g.active = 1 AND (g.run_time, g.run_id) <= (x.run_time, x.run_id) WHERE "     \
    "x.run_id = :head ORDER BY g.series_id")                                                       \
  /* the run's point in each series, the run of the point before it with a value, and whether      \
   * it is the series' last (qb_store_run_points) */                                               \
  X(S_RUN_POINTS,                                                                                  \
    "SELECT x.series_id, x.run_time, coalesce(x.median, x.mean, x.estimate), (SELECT y.run_id "    \
    "FROM result y WHERE y.series_id = x.series_id AND coalesce(y.median, y.mean, y.estimate) "    \
    "IS NOT NULL AND (y.run_time, y.run_id) < (x.run_time, x.run_id) ORDER BY y.run_time "         \
    "DESC, y.run_id DESC LIMIT 1), NOT EXISTS (SELECT 1 FROM result z WHERE z.series_id = "        \
    "x.series_id AND (z.run_time, z.run_id) > (x.run_time, x.run_id)) FROM result x WHERE "        \
    "x.run_id = :run ORDER BY x.series_id")

#endif

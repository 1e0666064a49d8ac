/* schema/postgres/sql_history.h - the statements of history.c (the recent points of a run's
 * series for the noise model, their change-point marks, a run's points for detection). */
#ifndef QB_SCHEMA_POSTGRES_SQL_HISTORY_H
#define QB_SCHEMA_POSTGRES_SQL_HISTORY_H

#define PG_SQL_HISTORY(X)                                                                          \
  /* the data generation (one row, even for a run without results), then the run's series by       \
   * benchmark and metric, each with the run's own point, the run of the point before it (when     \
   * :pred, for a kept history) and the runs where an active change point begins up to it (a       \
   * list: SQLite's S_HISTORY_CHANGES, read in the same statement) */                              \
  X(P_HISTORY_HEAD,                                                                                \
    "SELECT g.gen, x.series_id, b.name, m.name, x.run_time, x.median, x.mean, x.estimate, CASE "   \
    "WHEN :pred::boolean THEN (SELECT y.run_id FROM result y WHERE y.series_id = x.series_id AND " \
    "(y.run_time, y.run_id) < (x.run_time, x.run_id) ORDER BY y.run_time DESC, y.run_id DESC "     \
    "LIMIT 1) END, (SELECT string_agg(c.run_id::text, ',') FROM regression c WHERE c.series_id = " \
    "x.series_id AND c.active = 1 AND (c.run_time, c.run_id) <= (x.run_time, x.run_id)) FROM "     \
    "(SELECT coalesce((SELECT generation FROM data_generation WHERE id = 1), 0) AS gen) g LEFT "   \
    "JOIN (result x JOIN benchmark b ON b.id = x.benchmark_id JOIN metric m ON m.id = "            \
    "x.metric_id) ON x.run_id = :head ORDER BY b.name, m.name")                                    \
  /* the at most :limit (NULL: all) newest points up to (t, :run) of each series of a list, in     \
   * one statement: a backwards range scan of result_series_time per series */                     \
  X(P_HISTORY_POINTS,                                                                              \
    "SELECT h.ord, p.run_id, p.run_time, p.median, p.mean, p.estimate FROM "                       \
    "unnest(:series::bigint[], :times::bigint[]) WITH ORDINALITY AS h(series, t, ord) CROSS JOIN " \
    "LATERAL (SELECT x.run_id, x.run_time, x.median, x.mean, x.estimate FROM result x WHERE "      \
    "x.series_id = h.series AND (x.run_time, x.run_id) <= (h.t, :run::bigint) ORDER BY "           \
    "x.run_time DESC, x.run_id DESC LIMIT :limit) p ORDER BY h.ord, p.run_time DESC, p.run_id "    \
    "DESC")                                                                                        \
  /* the active change points of the run's series up to it (qb_store_history_marks) */             \
  X(P_HISTORY_CHANGES,                                                                             \
    "SELECT g.series_id, g.run_id FROM result x JOIN regression g ON g.series_id = x.series_id "   \
    "AND g.active = 1 AND (g.run_time, g.run_id) <= (x.run_time, x.run_id) WHERE x.run_id = "      \
    ":head ORDER BY g.series_id")                                                                  \
  /* the run's point in each series, the run of the point before it with a value, and whether it   \
   * is the series' last (qb_store_run_points) */                                                  \
  X(P_HISTORY_RUN_POINTS,                                                                          \
    "SELECT x.series_id, x.run_time, coalesce(x.median, x.mean, x.estimate), (SELECT y.run_id "    \
    "FROM result y WHERE y.series_id = x.series_id AND coalesce(y.median, y.mean, y.estimate) IS " \
    "NOT NULL AND (y.run_time, y.run_id) < (x.run_time, x.run_id) ORDER BY y.run_time DESC, "      \
    "y.run_id DESC LIMIT 1), NOT EXISTS (SELECT 1 FROM result z WHERE z.series_id = x.series_id "  \
    "AND (z.run_time, z.run_id) > (x.run_time, x.run_id)) FROM result x WHERE x.run_id = :run "    \
    "ORDER BY x.series_id")

#endif

/* schema/postgres/sql_regressions.h - the statements of regressions.c (change-point records,
 * triage) and reports. */
#ifndef QB_SCHEMA_POSTGRES_SQL_REGRESSIONS_H
#define QB_SCHEMA_POSTGRES_SQL_REGRESSIONS_H

/* A severity as a number (none 0 .. critical 4). */
#define PG_REG_SEV                                                                                 \
  "CASE g.severity WHEN 'none' THEN 0 WHEN 'minor' THEN 1 WHEN 'moderate' THEN 2 WHEN 'major' "    \
  "THEN 3 ELSE 4 END"
/* A regression list: the record, its series' names, its runs' commits, its time, its severity
 * as a number (the columns pg_regressions_list reads). */
#define PG_REG_SELECT                                                                              \
  "SELECT g.id, g.series_id, g.run_id, coalesce(g.prev_run_id, 0), g.kind, g.severity, "           \
  "g.status, g.note, g.triaged_by, g.before, g.after, g.change_pct, g.p_value, g.triaged_at, "     \
  "g.detected_at, g.active, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, "     \
  "r.commit_sha, pr.commit_sha, g.run_time, g.gone_at, g.superseded_by, " PG_REG_SEV               \
  " AS sev FROM regression g JOIN series "                                                         \
  "s ON s.id = g.series_id JOIN branch b ON b.id = s.branch_id JOIN project p ON p.id = "          \
  "b.project_id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = "               \
  "s.benchmark_id JOIN metric mt ON mt.id = s.metric_id JOIN run r ON r.id = g.run_id LEFT JOIN "  \
  "run pr ON pr.id = g.prev_run_id WHERE "
/* Every filter of qb_regression_filter, then the order (newest first: SQLite's NULL times sort
 * last in a descending order) and the page (:limit NULL: all). */
#define PG_REG_FILTERS                                                                             \
  "(:project::text IS NULL OR p.name = :project) AND (:status::text IS NULL OR g.status = "        \
  ":status) AND (:kind::text IS NULL OR g.kind = :kind) AND (:series::bigint = 0 OR g.series_id "  \
  "= :series) AND " PG_REG_SEV " >= :minsev::bigint AND (:active::bigint = 0 OR g.active = 1) "    \
  "ORDER BY g.run_time DESC NULLS LAST, g.run_id DESC, sev DESC, bm.name, mt.name LIMIT "          \
  ":limit::bigint"

#define PG_SQL_REGRESSIONS(X)                                                                      \
  /* the records of a series, locked until the commit (the series lock already keeps other         \
   * detections out; this keeps a triage from changing one between the reads and the writes)   */  \
  X(P_REGR_OF_SERIES, "SELECT id, run_id, active FROM regression WHERE series_id = :series "       \
                      "ORDER BY id FOR UPDATE")                                                    \
  /* the records of a series no longer detected (run not among :runs, an array) are kept           \
   * (migration 0014), inactive, with the time they went */                                        \
  X(P_REGR_DEACTIVATE_STALE, "UPDATE regression SET active = 0, gone_at = :now WHERE series_id = " \
                             ":series AND active = 1 AND run_id <> ALL (:runs::bigint[])")         \
  /* the records of a series after a detection wrote them, to find which took whose place */       \
  X(P_REGR_ROWS, "SELECT id, run_id, coalesce(run_time, 0), CASE WHEN kind = 'improvement' THEN "  \
                 "1 ELSE 0 END, active, coalesce(triaged_at, 0), coalesce(position, -1) FROM "     \
                 "regression WHERE series_id = :series")                                           \
  X(P_REGR_SUPERSEDE, "UPDATE regression SET superseded_by = :by WHERE id = :id")                  \
  X(P_REGR_INHERIT, "UPDATE regression SET (status, note, triaged_by, triaged_at) = (SELECT "      \
                    "x.status, x.note, x.triaged_by, x.triaged_at FROM regression x WHERE x.id = " \
                    ":from) WHERE id = :id AND triaged_at IS NULL")                                \
  /* a record at the same run is updated in place (keeping its status and triage); a new one is    \
   * inserted, or, when another server inserted it meanwhile, updated by the constraint. The       \
   * update comes first so that an existing record takes no id from the sequence (SQLite's         \
   * upsert takes none: the ids of later records stay the same) */                                 \
  X(P_REGR_UPSERT,                                                                                 \
    "WITH u AS (UPDATE regression SET active = 1, gone_at = NULL, superseded_by = NULL, "          \
    "prev_run_id = :prev::bigint, kind = "                                                         \
    ":kind::text, before = :before::float8, after = :after::float8, change_pct = "                 \
    ":change::float8, p_value = :p::float8, severity = :severity::text, position = "               \
    ":position::bigint WHERE series_id = :series::bigint AND run_id = :run::bigint RETURNING id) " \
    "INSERT INTO regression(series_id, run_id, prev_run_id, kind, before, after, change_pct, "     \
    "p_value, severity, detected_at, position, run_time) SELECT :series, :run, :prev, :kind, "     \
    ":before, :after, :change, :p, :severity, :now::bigint, :position, (SELECT "                   \
    "coalesce(commit_time, started_at) FROM run WHERE id = :run) WHERE NOT EXISTS (SELECT 1 FROM " \
    "u) ON CONFLICT (series_id, run_id) DO UPDATE SET active = 1, gone_at = NULL, superseded_by "  \
    "= "                                                                                           \
    "NULL, prev_run_id = "                                                                         \
    "excluded.prev_run_id, kind = excluded.kind, before = excluded.before, after = "               \
    "excluded.after, change_pct = excluded.change_pct, p_value = excluded.p_value, severity = "    \
    "excluded.severity, position = excluded.position RETURNING (xmax = 0)")                        \
  /* regression lists, newest first: every record, those of a status, those of a series (each      \
   * with the condition its index serves first) */                                                 \
  X(P_REGR_LIST, PG_REG_SELECT PG_REG_FILTERS)                                                     \
  X(P_REGR_LIST_STATUS, PG_REG_SELECT "g.status = :status AND " PG_REG_FILTERS)                    \
  X(P_REGR_LIST_SERIES, PG_REG_SELECT "g.series_id = :series AND " PG_REG_FILTERS)                 \
  X(P_REGR_TRIAGE, "UPDATE regression SET status = :status, note = :note, triaged_by = :who, "     \
                   "triaged_at = :now WHERE id = :id")                                             \
  X(P_REPORT_ADD,                                                                                  \
    "INSERT INTO report(project, created_at, window_start, window_end, max_regression_id, "        \
    "max_detected_at, new_regressions, new_improvements, format) VALUES (:project, :created, "     \
    ":start, :created, :max_id, :max_detected, :n_reg, :n_imp, :format) RETURNING id")             \
  X(P_REPORT_ITEM_ADD,                                                                             \
    "INSERT INTO report_item(report_id, regression_id, series_id, run_id, kind, severity) VALUES " \
    "(:report, :regression, :series, :run, :kind, :severity) ON CONFLICT DO NOTHING")              \
  X(P_REPORT_LAST, "SELECT id, project, created_at, window_start, max_regression_id, "             \
                   "max_detected_at, new_regressions, new_improvements, format FROM report WHERE " \
                   "project = :project ORDER BY id DESC LIMIT 1")                                  \
  X(P_REPORT_ITEMS,                                                                                \
    "SELECT i.regression_id, i.series_id, i.run_id, i.kind, i.severity FROM report_item i JOIN "   \
    "report r ON r.id = i.report_id WHERE r.project = :project ORDER BY i.series_id, i.run_id, "   \
    "i.regression_id")

#endif

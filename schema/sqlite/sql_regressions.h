/* schema/sqlite/sql_regressions.h - the statements of regressions.c (change-point records,
 * triage) and reports. */
#ifndef QB_SCHEMA_SQLITE_SQL_REGRESSIONS_H
#define QB_SCHEMA_SQLITE_SQL_REGRESSIONS_H

/* A regression list: the record, its series' names, its runs' commits, its time, its severity
 * as a number; the record is the outer loop (its index gives the order). */
#define SQ_REG_SELECT                                                                              \
  "SELECT g.id, g.series_id, g.run_id, coalesce(g.prev_run_id, 0), g.kind, g.severity, "           \
  "g.status, g.note, g.triaged_by, g.before, g.after, g.change_pct, g.p_value, g.triaged_at, "     \
  "g.detected_at, g.active, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, "     \
  "r.commit_sha, pr.commit_sha, g.run_time AS t, g.gone_at, g.superseded_by, CASE g.severity "     \
  "WHEN 'none' THEN 0 WHEN "                                                                       \
  "'minor' THEN 1 WHEN 'moderate' THEN 2 WHEN 'major' THEN 3 ELSE 4 END AS sev FROM regression g " \
  "CROSS JOIN series s ON s.id = g.series_id JOIN branch b ON b.id = s.branch_id JOIN project p "  \
  "ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = "     \
  "s.benchmark_id JOIN metric mt ON mt.id = s.metric_id JOIN run r ON r.id = g.run_id LEFT JOIN "  \
  "run pr ON pr.id = g.prev_run_id WHERE "
/* Every filter of qb_regression_filter, then the order and the page. */
#define SQ_REG_FILTERS                                                                             \
  "(:project IS NULL OR p.name = :project) AND (:status IS NULL OR g.status = :status) AND "       \
  "(:kind IS NULL OR g.kind = :kind) AND (:series = 0 OR g.series_id = :series) AND sev >= "       \
  ":minsev AND (:active = 0 OR g.active = 1) ORDER BY g.run_time DESC, g.run_id DESC, sev DESC, "  \
  "bm.name, mt.name LIMIT :limit"

#define SQ_SQL_REGRESSIONS(X)                                                                      \
  X(S_REG_OF_SERIES, "SELECT id, run_id, active FROM regression WHERE series_id = :series")        \
  /* a record no longer detected is kept (migration 0014), inactive, with the time it went */      \
  X(S_REG_DEACTIVATE, "UPDATE regression SET active = 0, gone_at = :now WHERE id = :id")           \
  /* the records of a series after a detection wrote them, to find which took whose place */       \
  X(S_REG_ROWS,                                                                                    \
    "SELECT id, run_id, coalesce(run_time, 0), kind = 'improvement', active, "                     \
    "coalesce(triaged_at, 0), coalesce(position, -1) FROM regression WHERE series_id = "           \
    ":series")                                                                                     \
  X(S_REG_SUPERSEDE, "UPDATE regression SET superseded_by = :by WHERE id = :id")                   \
  X(S_REG_INHERIT, "UPDATE regression SET (status, note, triaged_by, triaged_at) = (SELECT "       \
                   "status, note, triaged_by, triaged_at FROM regression WHERE id = :from) WHERE " \
                   "id = :id AND triaged_at IS NULL")                                              \
  X(S_REG_UPSERT,                                                                                  \
    "INSERT INTO regression(series_id, run_id, prev_run_id, kind, before, after, change_pct, "     \
    "p_value, severity, detected_at, position, run_time) VALUES (:series, :run, :prev, :kind, "    \
    ":before, :after, :change, :p, :severity, :now, :position, (SELECT coalesce(commit_time, "     \
    "started_at) FROM run WHERE id = :run)) ON CONFLICT (series_id, run_id) DO "                   \
    "UPDATE SET active = 1, gone_at = NULL, superseded_by = NULL, prev_run_id = "                  \
    "excluded.prev_run_id, kind = excluded.kind, before "                                          \
    "= excluded.before, after = excluded.after, change_pct = excluded.change_pct, p_value = "      \
    "excluded.p_value, severity = excluded.severity, position = excluded.position")                \
  /* regression lists, newest first, each read in order from its index (migration 0012):           \
   * every record, those of a status, those of a series */                                         \
  X(S_REG_LIST, SQ_REG_SELECT SQ_REG_FILTERS)                                                      \
  X(S_REG_LIST_STATUS, SQ_REG_SELECT "g.status = :status AND " SQ_REG_FILTERS)                     \
  X(S_REG_LIST_SERIES, SQ_REG_SELECT "g.series_id = :series AND " SQ_REG_FILTERS)                  \
  X(S_REG_TRIAGE, "UPDATE regression SET status = :status, note = :note, triaged_by = :who, "      \
                  "triaged_at = :now WHERE id = :id")                                              \
  X(S_REPORT_ADD,                                                                                  \
    "INSERT INTO report(project, created_at, window_start, window_end, max_regression_id, "        \
    "max_detected_at, new_regressions, new_improvements, format) VALUES (:project, :created, "     \
    ":start, :created, :max_id, :max_detected, :n_reg, :n_imp, :format)")                          \
  X(S_REPORT_ITEM_ADD,                                                                             \
    "INSERT OR IGNORE INTO report_item(report_id, regression_id, series_id, run_id, kind, "        \
    "severity) VALUES (:report, :regression, :series, :run, :kind, :severity)")                    \
  X(S_REPORT_LAST, "SELECT id, project, created_at, window_start, max_regression_id, "             \
                   "max_detected_at, new_regressions, new_improvements, format FROM report "       \
                   "WHERE project = :project ORDER BY id DESC LIMIT 1")                            \
  X(S_REPORT_ITEMS,                                                                                \
    "SELECT i.regression_id, i.series_id, i.run_id, i.kind, i.severity FROM report_item i "        \
    "JOIN report r ON r.id = i.report_id WHERE r.project = :project "                              \
    "ORDER BY i.series_id, i.run_id, i.regression_id")

#endif

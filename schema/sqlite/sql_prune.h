/* schema/sqlite/sql_prune.h - the statements of prune.c (retention). */
#ifndef QB_SCHEMA_SQLITE_SQL_PRUNE_H
#define QB_SCHEMA_SQLITE_SQL_PRUNE_H

/* qbdb prune: the runs to keep and to delete go through temporary tables of this connection.
 * Kept (why 1): the points of a series within :context of an open (still detected) or
 * acknowledged regression's first bad run (the run before it included), so that detection still
 * finds it; (why 2) the newest run of each project, branch and machine. */
#define SQ_SQL_PRUNE(X)                                                                            \
  X(S_PRUNE_TEMP, "CREATE TEMP TABLE IF NOT EXISTS prune_run(id INTEGER PRIMARY KEY)")             \
  X(S_PRUNE_TEMP_KEEP,                                                                             \
    "CREATE TEMP TABLE IF NOT EXISTS prune_keep(id INTEGER PRIMARY KEY, why INTEGER)")             \
  X(S_PRUNE_CLEAR, "DELETE FROM temp.prune_run")                                                   \
  X(S_PRUNE_CLEAR_KEEP, "DELETE FROM temp.prune_keep")                                             \
  X(S_PRUNE_KEEP_ANCHORS,                                                                          \
    "INSERT OR IGNORE INTO temp.prune_keep(id, why) WITH open_reg AS (SELECT series_id, run_id "   \
    "FROM regression WHERE status = 'acknowledged' OR (status = 'open' AND active = 1)), pts AS "  \
    "(SELECT x.series_id, "                                                                        \
    "x.run_id, row_number() OVER (PARTITION BY x.series_id ORDER BY x.run_time, x.run_id) AS "     \
    "k FROM result x WHERE x.series_id IN (SELECT series_id FROM open_reg)), at AS (SELECT "       \
    "p.series_id, p.k FROM pts p JOIN open_reg g ON g.series_id = p.series_id AND g.run_id = "     \
    "p.run_id) SELECT DISTINCT p.run_id, 1 FROM pts p JOIN at a ON a.series_id = p.series_id "     \
    "WHERE p.k BETWEEN a.k - :context - 1 AND a.k + :context")                                     \
  X(S_PRUNE_KEEP_NEWEST,                                                                           \
    "INSERT OR IGNORE INTO temp.prune_keep(id, why) SELECT id, 2 FROM (SELECT id, "                \
    "row_number() OVER (PARTITION BY project_id, branch_id, machine_id ORDER BY started_at "       \
    "DESC, id DESC) AS k FROM run) WHERE k = 1")                                                   \
  X(S_PRUNE_PICK,                                                                                  \
    "INSERT INTO temp.prune_run SELECT r.id FROM run r JOIN branch b ON b.id = r.branch_id "       \
    "WHERE r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob) AND r.id NOT IN "       \
    "(SELECT id FROM temp.prune_keep)")                                                            \
  /* the old runs kept, by why */                                                                  \
  X(S_PRUNE_OLD,                                                                                   \
    "SELECT count(*) FILTER (WHERE k.why = 1), count(*) FILTER (WHERE k.why = 2) FROM run r "      \
    "JOIN branch b ON b.id = r.branch_id JOIN temp.prune_keep k ON k.id = r.id WHERE "             \
    "r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob)")                             \
  X(S_PRUNE_COUNT, "SELECT (SELECT count(*) FROM temp.prune_run), (SELECT count(*) FROM result "   \
                   "WHERE run_id IN (SELECT id FROM temp.prune_run)), (SELECT coalesce(sum(n), "   \
                   "0) FROM sample_set WHERE result_id IN (SELECT id FROM result WHERE run_id IN " \
                   "(SELECT id FROM temp.prune_run)))")                                            \
  X(S_PRUNE_UNMARK, "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = "   \
                    "NULL WHERE id IN (SELECT series_id FROM result WHERE run_id IN (SELECT id "   \
                    "FROM temp.prune_run))")                                                       \
  X(S_PRUNE_DELETE, "DELETE FROM run WHERE id IN (SELECT id FROM temp.prune_run)")                 \
  X(S_PRUNE_SAMPLES_COUNT,                                                                         \
    "SELECT count(DISTINCT x.run_id), coalesce(sum(ss.n), 0) FROM sample_set ss JOIN result x "    \
    "ON x.id = ss.result_id JOIN run r ON r.id = x.run_id JOIN branch b ON b.id = r.branch_id "    \
    "WHERE r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob) AND r.id NOT IN "       \
    "(SELECT id FROM temp.prune_run)")                                                             \
  X(S_PRUNE_SAMPLES_DELETE,                                                                        \
    "DELETE FROM sample_set WHERE result_id IN (SELECT x.id FROM result x JOIN run r ON r.id "     \
    "= x.run_id JOIN branch b ON b.id = r.branch_id WHERE r.started_at < :before AND (:glob "      \
    "IS NULL OR b.name GLOB :glob) AND r.id NOT IN (SELECT id FROM temp.prune_run))")              \
  /* the runs whose samples S_PRUNE_SAMPLES_DELETE dropped count what they still have (0) */       \
  X(S_PRUNE_SAMPLES_RECOUNT,                                                                       \
    "UPDATE run SET n_samples = (SELECT coalesce(sum(ss.n), 0) FROM result x JOIN sample_set "     \
    "ss ON ss.result_id = x.id WHERE x.run_id = run.id) WHERE n_samples > 0 AND started_at < "     \
    ":before AND (:glob IS NULL OR branch_id IN (SELECT id FROM branch WHERE name GLOB :glob)) "   \
    "AND id NOT IN (SELECT id FROM temp.prune_run)")

#endif

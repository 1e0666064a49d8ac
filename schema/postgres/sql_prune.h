/* schema/postgres/sql_prune.h - the statements of prune.c (retention). */
#ifndef QB_SCHEMA_POSTGRES_SQL_PRUNE_H
#define QB_SCHEMA_POSTGRES_SQL_PRUNE_H

/* qbdb prune: the runs to keep and to delete go through temporary tables of this connection,
 * created once per session (outside the prune's transaction, so that a rollback does not drop
 * them and the statements prepared on them stay valid) and emptied by every commit. Kept (why
 * 1): the points of a series within :context of an open (still detected) or acknowledged
 * regression's first bad run (the run before it included), so that detection still finds it; (why
 * 2) the newest run of each project, branch and machine. :glob is a regular expression from
 * pg_glob_regex (NULL: every branch); :before a start time (no cut-off: one before every run). */
#define PG_PRUNE_GLOB "(:glob::text IS NULL OR b.name ~ :glob::text)"
#define PG_SQL_PRUNE(X)                                                                            \
  X(P_PRUNE_TEMP, "CREATE TEMP TABLE IF NOT EXISTS prune_run(id bigint PRIMARY KEY) ON COMMIT "    \
                  "DELETE ROWS")                                                                   \
  X(P_PRUNE_TEMP_KEEP, "CREATE TEMP TABLE IF NOT EXISTS prune_keep(id bigint PRIMARY KEY, why "    \
                       "bigint NOT NULL) ON COMMIT DELETE ROWS")                                   \
  /* emptied anyway: a caller's transaction may hold an earlier prune's rows */                    \
  X(P_PRUNE_CLEAR, "TRUNCATE pg_temp.prune_run, pg_temp.prune_keep")                               \
  /* what a prune writes, as SQLite's one writer does: new runs (with their results and samples),  \
   * detection's markers and regressions and their triage wait for its commit; reads go on */      \
  X(P_PRUNE_LOCK, "LOCK TABLE run, series, regression IN EXCLUSIVE MODE")                          \
  X(P_PRUNE_KEEP_ANCHORS,                                                                          \
    "WITH open_reg AS (SELECT series_id, run_id FROM regression WHERE status = 'acknowledged' OR " \
    "(status = 'open' AND active = 1)), pts AS (SELECT x.series_id, x.run_id, row_number() OVER "  \
    "(PARTITION BY "                                                                               \
    "x.series_id ORDER BY x.run_time, x.run_id) AS k FROM result x WHERE x.series_id IN (SELECT "  \
    "series_id FROM open_reg)), at AS (SELECT p.series_id, p.k FROM pts p JOIN open_reg g ON "     \
    "g.series_id = p.series_id AND g.run_id = p.run_id) INSERT INTO pg_temp.prune_keep(id, why) "  \
    "SELECT DISTINCT p.run_id, 1 FROM pts p JOIN at a ON a.series_id = p.series_id WHERE p.k "     \
    "BETWEEN a.k - :context::bigint - 1 AND a.k + :context::bigint ON CONFLICT (id) DO NOTHING")   \
  X(P_PRUNE_KEEP_NEWEST,                                                                           \
    "INSERT INTO pg_temp.prune_keep(id, why) SELECT id, 2 FROM (SELECT id, row_number() OVER "     \
    "(PARTITION BY project_id, branch_id, machine_id ORDER BY started_at DESC, id DESC) AS k "     \
    "FROM run) n WHERE k = 1 ON CONFLICT (id) DO NOTHING")                                         \
  X(P_PRUNE_PICK, "INSERT INTO pg_temp.prune_run SELECT r.id FROM run r JOIN branch b ON b.id = "  \
                  "r.branch_id WHERE r.started_at < :before AND " PG_PRUNE_GLOB " AND NOT "        \
                  "EXISTS (SELECT 1 FROM pg_temp.prune_keep k WHERE k.id = r.id)")                 \
  /* the old runs kept, by why */                                                                  \
  X(P_PRUNE_OLD, "SELECT count(*) FILTER (WHERE k.why = 1), count(*) FILTER (WHERE k.why = 2) "    \
                 "FROM run r JOIN branch b ON b.id = r.branch_id JOIN pg_temp.prune_keep k ON "    \
                 "k.id = r.id WHERE r.started_at < :before AND " PG_PRUNE_GLOB)                    \
  X(P_PRUNE_COUNT,                                                                                 \
    "SELECT (SELECT count(*) FROM pg_temp.prune_run), (SELECT count(*) FROM result WHERE run_id "  \
    "IN (SELECT id FROM pg_temp.prune_run)), (SELECT coalesce(sum(n), 0)::bigint FROM sample_set " \
    "WHERE result_id IN (SELECT id FROM result WHERE run_id IN (SELECT id FROM "                   \
    "pg_temp.prune_run)))")                                                                        \
  X(P_PRUNE_UNMARK, "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = "   \
                    "NULL WHERE id IN (SELECT series_id FROM result WHERE run_id IN (SELECT id "   \
                    "FROM pg_temp.prune_run))")                                                    \
  /* with the runs go their tags, benchmark extras, results, samples, regressions and keys (ON     \
   * DELETE CASCADE) */                                                                            \
  X(P_PRUNE_DELETE, "DELETE FROM run WHERE id IN (SELECT id FROM pg_temp.prune_run)")              \
  X(P_PRUNE_SAMPLES_COUNT,                                                                         \
    "SELECT count(DISTINCT x.run_id), coalesce(sum(ss.n), 0)::bigint FROM sample_set ss JOIN "     \
    "result x ON x.id = ss.result_id JOIN run r ON r.id = x.run_id JOIN branch b ON b.id = "       \
    "r.branch_id WHERE r.started_at < :before AND " PG_PRUNE_GLOB " AND NOT EXISTS (SELECT 1 "     \
    "FROM pg_temp.prune_run p WHERE p.id = r.id)")                                                 \
  X(P_PRUNE_SAMPLES_DELETE,                                                                        \
    "DELETE FROM sample_set WHERE result_id IN (SELECT x.id FROM result x JOIN run r ON r.id = "   \
    "x.run_id JOIN branch b ON b.id = r.branch_id WHERE r.started_at < :before AND " PG_PRUNE_GLOB \
    " AND NOT EXISTS (SELECT 1 FROM pg_temp.prune_run p WHERE p.id = r.id))")                      \
  /* the runs whose samples P_PRUNE_SAMPLES_DELETE dropped count what they still have (0) */       \
  X(P_PRUNE_SAMPLES_RECOUNT,                                                                       \
    "UPDATE run SET n_samples = (SELECT coalesce(sum(ss.n), 0)::bigint FROM result x JOIN "        \
    "sample_set ss ON ss.result_id = x.id WHERE x.run_id = run.id) WHERE n_samples > 0 AND "       \
    "started_at < :before AND (:glob::text IS NULL OR branch_id IN (SELECT id FROM branch WHERE "  \
    "name ~ :glob::text)) AND NOT EXISTS (SELECT 1 FROM pg_temp.prune_run p WHERE p.id = run.id)") \
  /* the size qbdb vacuum reports: the whole database's files */                                   \
  X(P_DB_SIZE, "SELECT pg_database_size(current_database())")

/* qb_store_vacuum: every table of qbdb's schema rewritten (prune.c says how). Run as plain text
 * by pg_exec, outside any transaction block; a table a later migration adds belongs here too. */
#define PG_VACUUM_SQL                                                                              \
  "VACUUM (FULL, ANALYZE) qbdb_schema, project, branch, machine, run, run_tag, benchmark, "        \
  "metric, series, run_benchmark, result, sample_set, setting, regression, target, token, "        \
  "report, report_item, bisect, idempotency, data_generation"

#endif

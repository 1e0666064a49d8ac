/* schema/sqlite/sql_bisect.h - the statements of bisect.c (`qbdb bisect` sessions, migration
 * 0015). */
#ifndef QB_SCHEMA_SQLITE_SQL_BISECT_H
#define QB_SCHEMA_SQLITE_SQL_BISECT_H

/* A session's columns as bisect.c reads them; its state only when :with_state is 1 (a listing
 * reads no state: SQLite then leaves its overflow pages alone). */
#define SQ_BISECT_SELECT                                                                           \
  "SELECT id, coalesce(regression_id, 0), project, benchmark, metric, machine, good_commit, "      \
  "bad_commit, status, started_at, updated_at, CASE WHEN :with_state = 1 THEN state END FROM "     \
  "bisect WHERE "
/* The optional filters of qb_bisect_filter, then the order (newest first) and the page. */
#define SQ_BISECT_FILTERS                                                                          \
  "(:project IS NULL OR project = :project) AND (:status IS NULL OR status = :status) ORDER BY "   \
  "id DESC LIMIT :limit"

#define SQ_SQL_BISECT(X)                                                                           \
  X(S_BISECT_ADD,                                                                                  \
    "INSERT INTO bisect(project, regression_id, benchmark, metric, machine, good_commit, "         \
    "bad_commit, status, started_at, updated_at, state) VALUES (:project, :regression, "           \
    ":benchmark, :metric, :machine, :good, :bad, :status, :started, :started, :state)")            \
  X(S_BISECT_UPDATE, "UPDATE bisect SET status = :status, state = :state, updated_at = :updated "  \
                     "WHERE id = :id")                                                             \
  X(S_BISECT_GET, SQ_BISECT_SELECT "id = :id")                                                     \
  /* sessions, newest first: every one, or those of a regression record (its index) */             \
  X(S_BISECT_LIST, SQ_BISECT_SELECT SQ_BISECT_FILTERS)                                             \
  X(S_BISECT_LIST_REGRESSION, SQ_BISECT_SELECT "regression_id = :regression "                      \
                                               "AND " SQ_BISECT_FILTERS)

#endif

/* schema/postgres/sql_bisect.h - the statements of bisect.c (`qbdb bisect` sessions, migration
 * 0015). */
#ifndef QB_SCHEMA_POSTGRES_SQL_BISECT_H
#define QB_SCHEMA_POSTGRES_SQL_BISECT_H

/* A session's columns as bisect.c reads them; its state only when :with_state is 1 (a listing
 * reads no state: the server then leaves its TOAST alone). */
#define PG_BISECT_SELECT                                                                           \
  "SELECT id, coalesce(regression_id, 0), project, benchmark, metric, machine, good_commit, "      \
  "bad_commit, status, started_at, updated_at, CASE WHEN :with_state::bigint = 1 THEN state END "  \
  "FROM bisect WHERE "
/* The optional filters of qb_bisect_filter, then the order (newest first) and the page (:limit
 * NULL: all). */
#define PG_BISECT_FILTERS                                                                          \
  "(:project::text IS NULL OR project = :project) AND (:status::text IS NULL OR status = "         \
  ":status) ORDER BY id DESC LIMIT :limit::bigint"

#define PG_SQL_BISECT(X)                                                                           \
  X(P_BISECT_ADD,                                                                                  \
    "INSERT INTO bisect(project, regression_id, benchmark, metric, machine, good_commit, "         \
    "bad_commit, status, started_at, updated_at, state) VALUES (:project, :regression::bigint, "   \
    ":benchmark, :metric, :machine, :good, :bad, :status, :started::bigint, :started, :state) "    \
    "RETURNING id")                                                                                \
  X(P_BISECT_UPDATE, "UPDATE bisect SET status = :status, state = :state, updated_at = :updated "  \
                     "WHERE id = :id")                                                             \
  X(P_BISECT_GET, PG_BISECT_SELECT "id = :id::bigint")                                             \
  /* sessions, newest first: every one, or those of a regression record (its index) */             \
  X(P_BISECT_LIST, PG_BISECT_SELECT PG_BISECT_FILTERS)                                             \
  X(P_BISECT_LIST_REGRESSION,                                                                      \
    PG_BISECT_SELECT "regression_id = :regression::bigint AND " PG_BISECT_FILTERS)

#endif

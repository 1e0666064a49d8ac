/* schema/sqlite/sql.h - every SQL statement of the SQLite backend, with its id.
 *
 * X(id, text): the ids form an enum (S_*), the texts the SQL table (conn.c). Parameters are
 * named (:name) and bound by name, except S_RESULT_ADD's, bound by position (runs.c checks their
 * order). A statement is prepared once per connection and cached (sq_stmt). */
#ifndef QB_SCHEMA_SQLITE_SQL_H
#define QB_SCHEMA_SQLITE_SQL_H

#include "schema/sqlite/sql_runs.h"
#include "schema/sqlite/sql_series.h"
#include "schema/sqlite/sql_history.h"
#include "schema/sqlite/sql_regressions.h"
#include "schema/sqlite/sql_admin.h"
#include "schema/sqlite/sql_listing.h"
#include "schema/sqlite/sql_prune.h"
#include "schema/sqlite/sql_bisect.h"

/* Every statement: the lists of the entity files. */
#define SQ_SQL(X)                                                                                  \
  SQ_SQL_RUNS(X)                                                                                   \
  SQ_SQL_LISTING(X)                                                                                \
  SQ_SQL_SERIES(X)                                                                                 \
  SQ_SQL_HISTORY(X) SQ_SQL_REGRESSIONS(X) SQ_SQL_ADMIN(X) SQ_SQL_PRUNE(X) SQ_SQL_BISECT(X)

enum {
#define SQ_SQL_ID(id, text) id,
  SQ_SQL(SQ_SQL_ID)
#undef SQ_SQL_ID
      S_COUNT_
};

#endif

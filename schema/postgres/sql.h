/* schema/postgres/sql.h - every SQL statement of the PostgreSQL backend, with its id.
 *
 * X(id, text): the ids form an enum (P_*), the texts a table. Parameters are named (:name, as
 * in the SQLite backend) and become $n when a connection first prepares the statement; a
 * parameter whose type the server cannot infer from its use carries a cast (:x::bigint).
 * Row writes that can race with another server use ON CONFLICT, so a constraint decides. */
#ifndef QB_SCHEMA_POSTGRES_SQL_H
#define QB_SCHEMA_POSTGRES_SQL_H

#include "schema/postgres/sql_runs.h"
#include "schema/postgres/sql_series.h"
#include "schema/postgres/sql_history.h"
#include "schema/postgres/sql_regressions.h"
#include "schema/postgres/sql_admin.h"
#include "schema/postgres/sql_listing.h"
#include "schema/postgres/sql_prune.h"
#include "schema/postgres/sql_bisect.h"

/* Every statement: the lists of the entity files. */
#define PG_SQL(X)                                                                                  \
  PG_SQL_RUNS(X)                                                                                   \
  PG_SQL_LISTING(X)                                                                                \
  PG_SQL_SERIES(X)                                                                                 \
  PG_SQL_HISTORY(X) PG_SQL_REGRESSIONS(X) PG_SQL_ADMIN(X) PG_SQL_PRUNE(X) PG_SQL_BISECT(X)

enum {
#define PG_SQL_ID(id, text) id,
  PG_SQL(PG_SQL_ID)
#undef PG_SQL_ID
      P_COUNT_
};

#endif

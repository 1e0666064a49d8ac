/* schema/postgres/prune.c - retention (qbdb prune) and vacuum in PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_prune(qb_store_ops *ops) {
  (void)ops;
}

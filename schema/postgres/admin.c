/* schema/postgres/admin.c - settings, targets, tokens, idempotency keys, fingerprint and data
 * generation in PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_admin(qb_store_ops *ops) {
  (void)ops;
}

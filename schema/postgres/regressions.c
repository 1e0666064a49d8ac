/* schema/postgres/regressions.c - change-point records and their triage; recorded reports in
 * PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_regressions(qb_store_ops *ops) {
  (void)ops;
}

/* schema/postgres/history.c - the histories of a run's series (noise model) and a run's points
 * (detection after an upload) in PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_history(qb_store_ops *ops) {
  (void)ops;
}

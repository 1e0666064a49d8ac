/* schema/postgres/series.c - series, their points and histories, detection markers, benchmark
 * listings in PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_series(qb_store_ops *ops) {
  (void)ops;
}

/* schema/postgres/listing.c - run listings, projects, run references (BRANCH@latest, BRANCH~N, sha
 * prefixes) and baseline candidates in PostgreSQL. */
#include "schema/postgres/pg.h"

void pg_ops_listing(qb_store_ops *ops) {
  (void)ops;
}

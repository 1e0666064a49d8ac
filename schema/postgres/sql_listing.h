/* schema/postgres/sql_listing.h - the statements of listing.c (run listings, projects, run
 * references, baseline candidates). */
#ifndef QB_SCHEMA_POSTGRES_SQL_LISTING_H
#define QB_SCHEMA_POSTGRES_SQL_LISTING_H

#define PG_SQL_LISTING(X)

#endif

/* schema/postgres/sql_series.h - the statements of series.c (series, their points and histories,
 * detection markers, benchmarks). */
#ifndef QB_SCHEMA_POSTGRES_SQL_SERIES_H
#define QB_SCHEMA_POSTGRES_SQL_SERIES_H

#define PG_SQL_SERIES(X)

#endif

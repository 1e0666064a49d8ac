/* schema/postgres/sql_prune.h - the statements of prune.c (retention). */
#ifndef QB_SCHEMA_POSTGRES_SQL_PRUNE_H
#define QB_SCHEMA_POSTGRES_SQL_PRUNE_H

#define PG_SQL_PRUNE(X)

#endif

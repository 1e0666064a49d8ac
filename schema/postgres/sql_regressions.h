/* schema/postgres/sql_regressions.h - the statements of regressions.c (change-point records,
 * triage) and reports. */
#ifndef QB_SCHEMA_POSTGRES_SQL_REGRESSIONS_H
#define QB_SCHEMA_POSTGRES_SQL_REGRESSIONS_H

#define PG_SQL_REGRESSIONS(X)

#endif

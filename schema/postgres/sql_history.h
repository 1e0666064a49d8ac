/* schema/postgres/sql_history.h - the statements of history.c (the recent points of a run's
 * series for the noise model, their change-point marks, a run's points for detection). */
#ifndef QB_SCHEMA_POSTGRES_SQL_HISTORY_H
#define QB_SCHEMA_POSTGRES_SQL_HISTORY_H

#define PG_SQL_HISTORY(X)

#endif

/* schema/postgres/sql_admin.h - the statements of admin.c (settings, targets, tokens, idempotency
 * keys, fingerprint, generation). */
#ifndef QB_SCHEMA_POSTGRES_SQL_ADMIN_H
#define QB_SCHEMA_POSTGRES_SQL_ADMIN_H

#define PG_SQL_ADMIN(X)

#endif

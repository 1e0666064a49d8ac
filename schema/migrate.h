/* schema/migrate.h - the embedded, numbered, forward-only schema migrations.
 *
 * migrations/NNNN_description.sql are compiled into qb_migrations[] (in version order) by
 * cmake/embed_migrations.cmake. The schema version of a database is PRAGMA user_version; qbdb
 * files carry PRAGMA application_id = QB_APPLICATION_ID. */
#ifndef QB_SCHEMA_MIGRATE_H
#define QB_SCHEMA_MIGRATE_H

#define QB_APPLICATION_ID 0x71626462 /* "qbdb" */

typedef struct qb_migration {
  int version;      /* the user_version the database has after this file ran */
  const char *name; /* file name, e.g. "0001_initial.sql" */
  const char *sql;  /* its text */
} qb_migration;

extern const qb_migration qb_migrations[];
extern const int qb_migrations_count; /* == the newest schema version this binary knows */
/* The PostgreSQL backend's (migrations/postgresql/): qb_pg_migrations_count entries, from its
 * base schema's version on, the last one's version == qb_migrations_count. */
extern const qb_migration qb_pg_migrations[];
extern const int qb_pg_migrations_count;

struct sqlite3;
struct qb_err;

/* Check that db (opened from path) is a qbdb database or empty, refuse it (QB_EDB) when it is
 * another application's file or newer than this binary, and apply the missing migrations, each
 * in its own transaction that also sets user_version (and application_id on a new file). */
int qb_migrate_sqlite(struct sqlite3 *db, const char *path, struct qb_err *err);

#endif

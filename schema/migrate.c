/* schema/migrate.c - apply the embedded migrations to a SQLite database. */
#include "schema/migrate.h"

#include <sqlite3.h>
#include <stdio.h>

#include "core/err.h"

/* Run a one-integer query; returns 0 and sets *out, or a SQLite error code. */
static int pragma_int(sqlite3 *db, const char *sql, long long *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

int qb_migrate_sqlite(sqlite3 *db, const char *path, qb_err *err) {
  long long app = 0, ver = 0, objects = 0;
  int rc = pragma_int(db, "PRAGMA application_id", &app);
  if (rc == SQLITE_NOTADB)
    return qb_err_set(err, QB_EDB, "%s: not a qbdb database (not an SQLite file)", path);
  if (rc == SQLITE_OK) rc = pragma_int(db, "PRAGMA user_version", &ver);
  if (rc == SQLITE_OK) rc = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &objects);
  /* a WAL database in a read-only directory: its -wal and -shm files cannot be created */
  if (rc == SQLITE_CANTOPEN)
    return qb_err_set(err, QB_EDB,
                      "%s: cannot open: %s (cannot create its -wal/-shm files: is the directory "
                      "read-only?)",
                      path, sqlite3_errmsg(db));
  if (rc != SQLITE_OK) {
    int code = QB_EINTERNAL;
    if (rc == SQLITE_NOTADB || rc == SQLITE_BUSY || rc == SQLITE_READONLY) code = QB_EDB;
    if (rc == SQLITE_IOERR || rc == SQLITE_FULL) code = QB_EIO;
    return qb_err_set(err, code, "%s: cannot read: %s", path, sqlite3_errmsg(db));
  }
  if (app != QB_APPLICATION_ID && !(app == 0 && ver == 0 && objects == 0))
    return qb_err_set(err, QB_EDB,
                      "%s: not a qbdb database (application_id 0x%08llx, %lld schema objects)",
                      path, app, objects);
  if (ver > qb_migrations_count)
    return qb_err_set(err, QB_EDB,
                      "%s: database schema version %lld is newer than this qbdb supports (%d); "
                      "upgrade qbdb",
                      path, ver, qb_migrations_count);
  for (int i = (int)ver; i < qb_migrations_count; i++) {
    const qb_migration *m = &qb_migrations[i];
    char *msg = NULL;
    char tail[96];
    snprintf(tail, sizeof tail, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             QB_APPLICATION_ID, m->version);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, m->sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, tail, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
      qb_err_set(err, QB_EDB, "%s: migration %s failed: %s", path, m->name,
                 msg ? msg : sqlite3_errmsg(db));
      sqlite3_free(msg);
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return QB_EDB;
    }
  }
  return QB_OK;
}

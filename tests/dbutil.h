/* tests/dbutil.h - the database a test runs on (header-only, test code only; include it after
 * <cmocka.h>).
 *
 * The store, ingest and API tests run twice: as themselves on SQLite files, and as their _pg
 * twins (CMakeLists.txt) on PostgreSQL, where QBDB_TEST_PG names the socket directory of the
 * throwaway cluster tests/pg/cluster.sh started for the test run. qbt_db_fresh gives a new,
 * empty database either way; qbt_sql_* read and write it with raw SQL (text that both SQLite
 * and PostgreSQL accept), for the checks a store function cannot make. */
#ifndef QB_TESTS_DBUTIL_H
#define QB_TESTS_DBUTIL_H

#include <ctype.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/postgres/pq.h"

/* The cluster's socket directory when this is a _pg twin, else NULL. */
static inline const char *qbt_pg(void) {
  const char *d = getenv("QBDB_TEST_PG");
  return d && *d ? d : NULL;
}

/* Run sql on the cluster's `postgres` database (CREATE/DROP DATABASE); fails the test on error. */
static inline void qbt_pg_admin(const char *sql) {
  qb_err err = QB_ERR_INIT;
  const qb_pq_api *pq = qb_pq(&err);
  if (!pq) fail_msg("libpq: %s", err.msg);
  char url[512];
  snprintf(url, sizeof url, "postgresql:///postgres?host=%s&user=postgres", qbt_pg());
  PGconn *c = pq->connectdb(url);
  if (pq->status(c) != CONNECTION_OK) fail_msg("%s: %s", url, pq->error_message(c));
  PGresult *r = pq->exec(c, sql);
  if (pq->result_status(r) != PGRES_COMMAND_OK && pq->result_status(r) != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, pq->result_error_message(r));
  pq->clear(r);
  pq->finish(c);
}

/* A new, empty database for test `name` of suite `suite` (its TMP directory for SQLite): the
 * file dir/name without its -wal and -shm, or the PostgreSQL database qbt_<suite>_<name>
 * (letters, digits and _ kept, at most 63 bytes) dropped and created again. Returns its
 * location in a static buffer, valid until the next call. */
static inline const char *qbt_db_fresh(const char *dir, const char *name) {
  static char loc[600];
  if (!qbt_pg()) {
    char side[700];
    snprintf(loc, sizeof loc, "%s/%s", dir, name);
    unlink(loc);
    snprintf(side, sizeof side, "%s-wal", loc);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", loc);
    unlink(side);
    return loc;
  }
  char db[64];
  const char *base = strrchr(dir, '/');
  base = base ? base + 1 : dir;
  size_t n = (size_t)snprintf(db, sizeof db, "qbt_%s_%s", base, name);
  if (n >= sizeof db) n = sizeof db - 1;
  for (size_t i = 0; i < n; i++)
    db[i] = isalnum((unsigned char)db[i]) ? (char)tolower((unsigned char)db[i]) : '_';
  char sql[160];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
  qbt_pg_admin(sql);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
  qbt_pg_admin(sql);
  snprintf(loc, sizeof loc, "postgresql:///%s?host=%s&user=postgres", db, qbt_pg());
  return loc;
}

/* Run sql (statements without results) on the database at loc; fails the test on error. */
static inline void qbt_sql_exec(const char *loc, const char *sql) {
  if (strncmp(loc, "postgresql://", 13) != 0) {
    sqlite3 *db;
    char *msg = NULL;
    if (sqlite3_open(loc, &db) != SQLITE_OK) fail_msg("%s: %s", loc, sqlite3_errmsg(db));
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
    return;
  }
  qb_err err = QB_ERR_INIT;
  const qb_pq_api *pq = qb_pq(&err);
  if (!pq) fail_msg("libpq: %s", err.msg);
  PGconn *c = pq->connectdb(loc);
  if (pq->status(c) != CONNECTION_OK) fail_msg("%s: %s", loc, pq->error_message(c));
  PGresult *r = pq->exec(c, sql);
  if (pq->result_status(r) != PGRES_COMMAND_OK && pq->result_status(r) != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, pq->result_error_message(r));
  pq->clear(r);
  pq->finish(c);
}

/* The first column of the first row of query sql on the database at loc, as an integer (NULL
 * and no row: 0); fails the test on error. */
static inline int64_t qbt_sql_int(const char *loc, const char *sql) {
  int64_t v = 0;
  if (strncmp(loc, "postgresql://", 13) != 0) {
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(loc, &db) != SQLITE_OK) fail_msg("%s: %s", loc, sqlite3_errmsg(db));
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
      fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }
  qb_err err = QB_ERR_INIT;
  const qb_pq_api *pq = qb_pq(&err);
  if (!pq) fail_msg("libpq: %s", err.msg);
  PGconn *c = pq->connectdb(loc);
  if (pq->status(c) != CONNECTION_OK) fail_msg("%s: %s", loc, pq->error_message(c));
  PGresult *r = pq->exec(c, sql);
  if (pq->result_status(r) != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, pq->result_error_message(r));
  if (pq->ntuples(r) > 0 && !pq->getisnull(r, 0, 0)) v = strtoll(pq->getvalue(r, 0, 0), NULL, 10);
  pq->clear(r);
  pq->finish(c);
  return v;
}

/* Skip the rest of a test that is about SQLite's files alone (on a _pg twin). */
#define QBT_SQLITE_ONLY()                                                                          \
  do {                                                                                             \
    if (qbt_pg()) skip();                                                                          \
  } while (0)

#endif

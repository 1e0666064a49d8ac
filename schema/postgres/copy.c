/* schema/postgres/copy.c - moving data in and out of PostgreSQL (qbdb db copy, db info): every
 * row of every table in one snapshot, rows inserted as they are, the id sequences set after. */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/postgres/pg.h"

/* Rows fetched at a time from the dump's cursor (bounds the memory of a dump of any size). */
#define DUMP_BATCH      2000
#define DUMP_BATCH_TEXT "2000"

enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };
enum { OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_VARCHAR = 1043 };

/* A fixed query (no parameters) with binary results; *out on success. */
static int query(pg_store *s, const char *sql, const char *what, PGresult **out, qb_err *err) {
  PGresult *r = s->pq->exec_params(s->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
  ExecStatusType st = r ? s->pq->result_status(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const char *msg = r ? s->pq->result_error_field(r, 'M') : NULL;
    char line[QB_ERR_MSG_MAX];
    snprintf(line, sizeof line, "%s", msg ? msg : s->pq->error_message(s->conn));
    line[strcspn(line, "\n")] = '\0';
    s->pq->clear(r);
    return qb_err_set(err, QB_EDB, "%s: %s: %s", s->where, what, line);
  }
  *out = r;
  return QB_OK;
}

/* Row `row` of r as values (text and bytes borrowed from r). */
static void row_values(pg_store *s, const PGresult *r, int row, qb_value *v, int n) {
  for (int i = 0; i < n; i++) {
    memset(&v[i], 0, sizeof v[i]);
    if (s->pq->getisnull(r, row, i)) continue; /* QB_V_NULL */
    switch (s->pq->ftype(r, i)) {
      case OID_INT8:
      case OID_INT4:
      case OID_INT2:
      case OID_BOOL:
        v[i].type = QB_V_INT;
        v[i].i = pg_col_int(s, r, row, i);
        break;
      case OID_FLOAT8:
      case OID_FLOAT4:
        v[i].type = QB_V_REAL;
        v[i].d = pg_col_real(s, r, row, i);
        break;
      case OID_BYTEA:
        v[i].type = QB_V_BLOB;
        v[i].p = pg_col_blob(s, r, row, i, &v[i].n);
        break;
      default: /* text, varchar */
        v[i].type = QB_V_TEXT;
        v[i].p = pg_col_text(s, r, row, i);
        v[i].n = strlen(v[i].p);
    }
  }
}

static int pg_dump(qb_store *base, qb_row_fn fn, void *ctx, qb_err *err) {
  pg_store *s = PG(base);
  int began, rc = pg_tx_begin_read(s, &began, err);
  if (rc) return rc;
  qb_value v[32];
  for (size_t t = 0; t < qb_db_tables_count && !rc; t++) {
    const qb_db_table *tb = &qb_db_tables[t];
    char sql[768];
    snprintf(sql, sizeof sql, "DECLARE qb_dump NO SCROLL CURSOR FOR SELECT %s FROM %s ORDER BY %s",
             tb->columns, tb->name, tb->order);
    if ((rc = pg_exec(s, sql, err))) break;
    for (;;) {
      PGresult *r;
      if ((rc = query(s, "FETCH " DUMP_BATCH_TEXT " FROM qb_dump", tb->name, &r, err))) break;
      int rows = s->pq->ntuples(r), n = s->pq->nfields(r);
      if (n > 32) n = 32;
      for (int i = 0; i < rows && !rc; i++) {
        row_values(s, r, i, v, n);
        rc = fn(ctx, tb, v, (size_t)n, err);
      }
      s->pq->clear(r);
      if (rc || rows < DUMP_BATCH) break;
    }
    if (!rc) rc = pg_exec(s, "CLOSE qb_dump", err);
  }
  return pg_tx_end(s, began, rc, err);
}

static int pg_load(qb_store *base, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  pg_store *s = PG(base);
  char sql[1024], num[32][32];
  const char *vals[32];
  int lens[32], fmts[32];
  if (n > 32) return qb_err_set(err, QB_EINTERNAL, "%s: more than 32 columns", t->name);
  size_t at =
      (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
  for (size_t i = 0; i < n && at < sizeof sql - 16; i++)
    at += (size_t)snprintf(sql + at, sizeof sql - at, "%s$%zu", i ? ", " : "", i + 1);
  snprintf(sql + at, sizeof sql - at, ")%s",
           !strcmp(t->name, "data_generation")
               ? " ON CONFLICT (id) DO UPDATE SET generation = excluded.generation"
               : "");
  for (size_t i = 0; i < n; i++) {
    lens[i] = 0;
    fmts[i] = 0;
    vals[i] = NULL;
    switch (v[i].type) {
      case QB_V_INT:
        snprintf(num[i], sizeof num[i], "%lld", (long long)v[i].i);
        vals[i] = num[i];
        break;
      case QB_V_REAL: /* binary float8: the exact bits (a text round trip is exact too) */
        if (v[i].d != v[i].d) {
          snprintf(num[i], sizeof num[i], "NaN");
        } else {
          double d = v[i].d;
          uint64_t u;
          memcpy(&u, &d, 8);
          u = htobe64(u);
          memcpy(num[i], &u, 8);
          lens[i] = 8;
          fmts[i] = 1;
        }
        vals[i] = num[i];
        break;
      case QB_V_TEXT:
        vals[i] = v[i].p;
        break;
      case QB_V_BLOB:
        vals[i] = v[i].p ? v[i].p : "";
        lens[i] = (int)v[i].n;
        fmts[i] = 1;
        break;
      default:
        break;
    }
  }
  /* the types of the binary parameters: float8 and bytea; the others are inferred */
  Oid types[32];
  for (size_t i = 0; i < n; i++)
    types[i] = fmts[i] ? (v[i].type == QB_V_REAL ? OID_FLOAT8 : OID_BYTEA) : 0;
  PGresult *r = s->pq->exec_params(s->conn, sql, (int)n, types, vals, lens, fmts, 1);
  ExecStatusType st = r ? s->pq->result_status(r) : PGRES_FATAL_ERROR;
  int rc = QB_OK;
  if (st != PGRES_COMMAND_OK) {
    const char *msg = r ? s->pq->result_error_field(r, 'M') : NULL;
    char line[QB_ERR_MSG_MAX];
    snprintf(line, sizeof line, "%s", msg ? msg : s->pq->error_message(s->conn));
    line[strcspn(line, "\n")] = '\0';
    rc = qb_err_set(err, QB_EDB, "%s: load %s: %s", s->where, t->name, line);
  }
  s->pq->clear(r);
  return rc;
}

/* Rows came with their ids: each identity sequence goes on after the largest. */
static int pg_load_done(qb_store *base, qb_err *err) {
  pg_store *s = PG(base);
  for (size_t t = 0; t < qb_db_tables_count; t++) {
    if (!qb_db_tables[t].has_id) continue;
    char sql[256];
    PGresult *r;
    snprintf(sql, sizeof sql,
             "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, false) "
             "FROM %s",
             qb_db_tables[t].name, qb_db_tables[t].name);
    int rc = query(s, sql, "sequences", &r, err);
    if (rc) return rc;
    s->pq->clear(r);
  }
  return QB_OK;
}

static int pg_info(qb_store *base, qb_store_info *out, qb_err *err) {
  pg_store *s = PG(base);
  PGresult *r;
  int rc =
      query(s, "SELECT pg_database_size(current_database()), current_setting('server_version')",
            "info", &r, err);
  if (rc) return rc;
  out->bytes = pg_col_int(s, r, 0, 0);
  out->wal_bytes = -1;
  snprintf(out->server, sizeof out->server, "%s", pg_col_text(s, r, 0, 1));
  s->pq->clear(r);
  return QB_OK;
}

void pg_ops_copy(qb_store_ops *ops) {
  ops->dump = pg_dump;
  ops->load = pg_load;
  ops->load_done = pg_load_done;
  ops->info = pg_info;
}

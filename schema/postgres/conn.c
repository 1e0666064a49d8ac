/* schema/postgres/conn.c - the PostgreSQL backend's connection: open and migrate, statements and
 * their parameters, results, transactions, errors, and the ops table. */
#include <endian.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "schema/migrate.h"
#include "schema/postgres/pg.h"

/* Type oids of the binary results (pg_type.h, stable across server versions). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };
enum { OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_VARCHAR = 1043 };

/* ---- statements: :name parameters become $n, once per process ------------------------------ */

static const char *const SQL_TEXT[P_COUNT_] = {
#define PG_SQL_TEXT(id, text) [id] = text,
    PG_SQL(PG_SQL_TEXT)
#undef PG_SQL_TEXT
};

typedef struct pg_form {
  char *text;                      /* with $1.. in place of the names */
  int n;                           /* parameters */
  const char *name[PG_MAX_PARAMS]; /* each at its colon in SQL_TEXT */
  size_t name_len[PG_MAX_PARAMS];  /* with the colon */
} pg_form;

static pg_form forms[P_COUNT_];
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int forms_ok;

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Turn sql's :names into $n in f (a name used twice is one parameter). 0, or -1 when out of
 * memory or over PG_MAX_PARAMS (a bug in sql.h). */
static int form_make(const char *sql, pg_form *f) {
  size_t len = strlen(sql);
  char *out = malloc(len + 1), *o = out;
  if (!out) return -1;
  for (const char *p = sql; *p;) {
    if (*p == '\'' || *p == '"') { /* a literal or a quoted identifier: copied as it is */
      char q = *p;
      *o++ = *p++;
      while (*p && *p != q) *o++ = *p++;
      if (*p) *o++ = *p++;
    } else if (p[0] == ':' && p[1] == ':') { /* a cast */
      *o++ = *p++;
      *o++ = *p++;
    } else if (p[0] == ':' && is_name_char(p[1])) {
      size_t n = 1;
      while (is_name_char(p[n])) n++;
      int k = 0;
      while (k < f->n && !(f->name_len[k] == n && !memcmp(f->name[k], p, n))) k++;
      if (k == f->n) {
        if (f->n == PG_MAX_PARAMS) {
          free(out);
          return -1;
        }
        f->name[k] = p;
        f->name_len[k] = n;
        f->n++;
      }
      o += sprintf(o, "$%d", k + 1); /* "$k" is never longer than ":name" with k <= 24 */
      p += n;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  f->text = out;
  return 0;
}

static void forms_build(void) {
  for (int i = 0; i < P_COUNT_; i++)
    if (form_make(SQL_TEXT[i], &forms[i])) return;
  forms_ok = 1;
}

void pg_q_init(pg_q *q, pg_store *s, int id) {
  q->s = s;
  q->id = id;
  q->replan = 0;
  for (int i = 0; i < PG_MAX_PARAMS; i++) {
    q->v[i] = NULL;
    q->len[i] = 0;
    q->fmt[i] = 0;
  }
}

/* The position of parameter name in q's statement; a name it lacks is a bug. */
static int param(const pg_q *q, const char *name) {
  const pg_form *f = &forms[q->id];
  size_t n = strlen(name);
  for (int k = 0; k < f->n; k++)
    if (f->name_len[k] == n && !memcmp(f->name[k], name, n)) return k;
  fprintf(stderr, "qbdb: bug: statement %d has no parameter %s\n", q->id, name);
  abort();
}

void pg_text(pg_q *q, const char *name, const char *v) {
  int k = param(q, name);
  q->v[k] = v;
  q->fmt[k] = 0;
}

void pg_int(pg_q *q, const char *name, int64_t v) {
  int k = param(q, name);
  snprintf(q->num[k], sizeof q->num[k], "%lld", (long long)v);
  q->v[k] = q->num[k];
  q->fmt[k] = 0;
}

void pg_opt_time(pg_q *q, const char *name, int64_t v) {
  if (v == QB_TIME_NONE)
    pg_text(q, name, NULL);
  else
    pg_int(q, name, v);
}

void pg_opt_count(pg_q *q, const char *name, int64_t v) {
  if (v < 0)
    pg_text(q, name, NULL);
  else
    pg_int(q, name, v);
}

void pg_real(pg_q *q, const char *name, double v) {
  int k = param(q, name);
  q->fmt[k] = 0;
  if (isnan(v)) {
    q->v[k] = NULL;
    return;
  }
  if (v == 0) v = 0; /* -0 as 0: SQLite stores whole reals as integers and loses the sign */
  if (isinf(v))      /* float8in's spelling */
    snprintf(q->num[k], sizeof q->num[k], "%s", v > 0 ? "Infinity" : "-Infinity");
  else
    snprintf(q->num[k], sizeof q->num[k], "%.17g", v); /* exact: float8in rounds correctly */
  q->v[k] = q->num[k];
}

void pg_blob(pg_q *q, const char *name, const void *data, size_t n) {
  int k = param(q, name);
  q->v[k] = data ? data : "";
  q->len[k] = (int)n;
  q->fmt[k] = 1;
}

/* ---- errors --------------------------------------------------------------------------------- */

/* The location with its password (postgresql://user:PASS@host, ?password=PASS) masked, for
 * messages; NULL when out of memory. */
static char *where_of(const char *location) {
  const char *auth = strstr(location, "://");
  const char *at = auth ? strchr(auth + 3, '@') : NULL;
  const char *slash = auth ? strchr(auth + 3, '/') : NULL;
  const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - (auth + 3))) : NULL;
  size_t n = strlen(location) + 8;
  char *w = malloc(n);
  if (!w) return NULL;
  if (colon && !(slash && slash < at))
    snprintf(w, n, "%.*s:***%s", (int)(colon - location), location, at);
  else
    snprintf(w, n, "%s", location);
  char *pw = strstr(w, "password=");
  if (pw) {
    pw += 9;
    size_t rest = strcspn(pw, "&");
    memmove(pw + 3, pw + rest, strlen(pw + rest) + 1);
    memcpy(pw, "***", 3);
  }
  return w;
}

/* 1 when SQLSTATE state says the server is gone, starting or stopping, or out of resources: the
 * request may succeed when retried later (QB_EUNAVAILABLE, HTTP 503). */
static int unavailable(const char *state) {
  return !strncmp(state, "08", 2) || !strncmp(state, "53", 2) || !strcmp(state, "57P01") ||
         !strcmp(state, "57P02") || !strcmp(state, "57P03");
}

/* Record the failure of result r (NULL: the connection's) in err and s->sqlstate. */
static int fail(pg_store *s, PGresult *r, const char *what, qb_err *err) {
  const qb_pq_api *pq = s->pq;
  const char *state = r ? pq->result_error_field(r, 'C') : NULL; /* PG_DIAG_SQLSTATE */
  const char *msg = r ? pq->result_error_field(r, 'M') : NULL;   /* PG_DIAG_MESSAGE_PRIMARY */
  snprintf(s->sqlstate, sizeof s->sqlstate, "%s", state ? state : "");
  if (!msg || !*msg) msg = pq->error_message(s->conn);
  int code = QB_EINTERNAL;
  if (pq->status(s->conn) == CONNECTION_BAD || (state && unavailable(state)))
    code = QB_EUNAVAILABLE;
  else if (state && !strcmp(state, "25006")) { /* read_only_sql_transaction */
    /* a write reached a hot standby: a server whose --db names a replica (docs/deploy.md,
     * "Reads from replicas"), or one still on the old primary's standby during a failover */
    return qb_err_set(err, QB_EUNAVAILABLE,
                      "%s: %s: the database is a read-only standby; writes go to a server on the "
                      "primary",
                      s->where, what);
  } else if (state && !strcmp(state, "23505"))
    code = QB_EEXISTS;
  else if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
    code = QB_EDB; /* a serialization failure or deadlock: the caller may retry */
  char line[QB_ERR_MSG_MAX];
  snprintf(line, sizeof line, "%s", msg ? msg : "unknown error");
  line[strcspn(line, "\n")] = '\0';
  return qb_err_set(err, code, "%s: %s: %s", s->where, what, line);
}

/* Before a statement: a connection the server dropped is opened again (outside a transaction:
 * one that was open is lost, and the caller is told). */
static int ensure_connected(pg_store *s, qb_err *err) {
  /* an idle connection the server closed (a restart, a failover) still says CONNECTION_OK
   * until it is read: read what is waiting (nothing, or the server's goodbye and the EOF),
   * so the statement goes to a new connection instead of failing on the dead one */
  if (!s->tx) /* twice: the first read may take the goodbye, the second then sees the EOF */
    for (int i = 0; i < 2 && s->pq->consume_input(s->conn); i++) {
    }
  if (s->pq->status(s->conn) == CONNECTION_OK) return QB_OK;
  if (s->tx) return fail(s, NULL, "connection lost inside a transaction", err);
  s->pq->reset(s->conn);
  memset(s->prepared, 0, sizeof s->prepared);
  if (s->pq->status(s->conn) != CONNECTION_OK) return fail(s, NULL, "reconnect", err);
  return QB_OK;
}

int pg_run(pg_q *q, const char *what, PGresult **res, qb_err *err) {
  pg_store *s = q->s;
  const qb_pq_api *pq = s->pq;
  const pg_form *f = &forms[q->id];
  char name[16];
  int rc;
  *res = NULL;
  s->sqlstate[0] = '\0';
  if ((rc = ensure_connected(s, err))) return rc;
  snprintf(name, sizeof name, "q%d", q->id);
  if (q->replan) {
    PGresult *r = pq->exec_params(s->conn, f->text, f->n, NULL, q->v, q->len, q->fmt, 1);
    ExecStatusType st = r ? pq->result_status(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      rc = fail(s, r, what, err);
      pq->clear(r);
      return rc;
    }
    *res = r;
    return QB_OK;
  }
  if (!s->prepared[q->id]) {
    PGresult *p = pq->prepare(s->conn, name, f->text, f->n, NULL);
    if (!p || pq->result_status(p) != PGRES_COMMAND_OK) {
      rc = fail(s, p, what, err);
      pq->clear(p);
      return rc;
    }
    pq->clear(p);
    s->prepared[q->id] = 1;
  }
  PGresult *r = pq->exec_prepared(s->conn, name, f->n, q->v, q->len, q->fmt, 1);
  ExecStatusType st = r ? pq->result_status(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    rc = fail(s, r, what, err);
    pq->clear(r);
    return rc;
  }
  *res = r;
  return QB_OK;
}

int pg_do(pg_q *q, const char *what, int64_t *changed, qb_err *err) {
  PGresult *r;
  int rc = pg_run(q, what, &r, err);
  if (rc) return rc;
  if (changed) *changed = strtoll(q->s->pq->cmd_tuples(r), NULL, 10);
  q->s->pq->clear(r);
  return QB_OK;
}

int pg_one(pg_q *q, const char *what, int64_t *out, int *found, qb_err *err) {
  PGresult *r;
  int rc = pg_run(q, what, &r, err);
  if (rc) return rc;
  int got = q->s->pq->ntuples(r) > 0;
  if (got) *out = pg_col_int(q->s, r, 0, 0);
  if (found) *found = got;
  q->s->pq->clear(r);
  return QB_OK;
}

int pg_exec(pg_store *s, const char *sql, qb_err *err) {
  int rc = ensure_connected(s, err);
  if (rc) return rc;
  PGresult *r = s->pq->exec(s->conn, sql);
  ExecStatusType st = r ? s->pq->result_status(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    char what[64];
    snprintf(what, sizeof what, "%.40s", sql);
    what[strcspn(what, "\n")] = '\0';
    rc = fail(s, r, what, err);
  }
  s->pq->clear(r);
  return rc;
}

/* ---- results -------------------------------------------------------------------------------- */

int pg_isnull(const pg_store *s, const PGresult *r, int row, int col) {
  return s->pq->getisnull(r, row, col);
}

int64_t pg_col_int(const pg_store *s, const PGresult *r, int row, int col) {
  if (s->pq->getisnull(r, row, col)) return 0;
  const char *v = s->pq->getvalue(r, row, col);
  switch (s->pq->ftype(r, col)) {
    case OID_INT8: {
      uint64_t u;
      memcpy(&u, v, 8);
      return (int64_t)be64toh(u);
    }
    case OID_INT4: {
      uint32_t u;
      memcpy(&u, v, 4);
      return (int32_t)be32toh(u);
    }
    case OID_INT2: {
      uint16_t u;
      memcpy(&u, v, 2);
      return (int16_t)be16toh(u);
    }
    case OID_BOOL:
      return v[0] != 0;
    default:
      fprintf(stderr, "qbdb: bug: column %d is not an integer (type %u)\n", col,
              (unsigned)s->pq->ftype(r, col));
      abort();
  }
}

int64_t pg_col_time(const pg_store *s, const PGresult *r, int row, int col) {
  return s->pq->getisnull(r, row, col) ? QB_TIME_NONE : pg_col_int(s, r, row, col);
}

double pg_col_real(const pg_store *s, const PGresult *r, int row, int col) {
  if (s->pq->getisnull(r, row, col)) return NAN;
  const char *v = s->pq->getvalue(r, row, col);
  switch (s->pq->ftype(r, col)) {
    case OID_FLOAT8: {
      uint64_t u;
      double d;
      memcpy(&u, v, 8);
      u = be64toh(u);
      memcpy(&d, &u, 8);
      return d;
    }
    case OID_FLOAT4: {
      uint32_t u;
      float f;
      memcpy(&u, v, 4);
      u = be32toh(u);
      memcpy(&f, &u, 4);
      return f;
    }
    default:
      return (double)pg_col_int(s, r, row, col);
  }
}

const char *pg_col_text(const pg_store *s, const PGresult *r, int row, int col) {
  if (s->pq->getisnull(r, row, col)) return NULL;
  Oid t = s->pq->ftype(r, col);
  if (t != OID_TEXT && t != OID_VARCHAR) {
    fprintf(stderr, "qbdb: bug: column %d is not text (type %u)\n", col, (unsigned)t);
    abort();
  }
  return s->pq->getvalue(r, row, col); /* libpq ends every value with a NUL */
}

char *pg_col_dup(const pg_store *s, const PGresult *r, int row, int col, int *oom) {
  const char *t = pg_col_text(s, r, row, col);
  if (!t) return NULL;
  char *c = strdup(t);
  if (!c) *oom = 1;
  return c;
}

const void *pg_col_blob(const pg_store *s, const PGresult *r, int row, int col, size_t *n) {
  *n = 0;
  if (s->pq->getisnull(r, row, col)) return NULL;
  *n = (size_t)s->pq->getlength(r, row, col);
  return s->pq->getvalue(r, row, col);
}

/* ---- GLOB ---------------------------------------------------------------------------------- */

char *pg_glob_regex(const char *glob) {
  size_t n = strlen(glob);
  char *out = malloc(2 * n + 3), *o = out; /* each character at most doubled, ^ $ and NUL */
  if (!out) return NULL;
  *o++ = '^';
  for (const char *p = glob; *p; p++) {
    /* a class ends at the first ] after its first member (which may itself be ]) */
    int neg = p[0] == '[' && p[1] == '^';
    const char *close = *p == '[' && p[1] && p[1 + neg] ? strchr(p + 2 + neg, ']') : NULL;
    if (*p == '*') {
      *o++ = '.';
      *o++ = '*';
    } else if (*p == '?') {
      *o++ = '.';
    } else if (close) { /* a class: copied, backslashes escaped */
      *o++ = '[';
      p++;
      if (*p == '^') *o++ = *p++;
      for (; p < close; p++) {
        if (*p == '\\') *o++ = '\\';
        *o++ = *p;
      }
      *o++ = ']';
    } else {
      if (strchr("\\.+()[]{}|^$", *p)) *o++ = '\\';
      *o++ = *p;
    }
  }
  *o++ = '$';
  *o = '\0';
  return out;
}

/* ---- transactions --------------------------------------------------------------------------- */

/* Begin with sql unless a transaction is open; while it is, s->tx is set (so that a lost
 * connection is an error, not a silent reconnect outside it, and nested calls join it). */
static int tx_begin(pg_store *s, const char *sql, int *began, qb_err *err) {
  *began = 0;
  if (s->tx) return QB_OK;
  int rc = pg_exec(s, sql, err);
  if (!rc) *began = s->tx = 1;
  return rc;
}

int pg_tx_begin(pg_store *s, int *began, qb_err *err) {
  return tx_begin(s, "BEGIN", began, err);
}

int pg_tx_begin_read(pg_store *s, int *began, qb_err *err) {
  return tx_begin(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", began, err);
}

int pg_tx_end(pg_store *s, int began, int rc, qb_err *err) {
  if (!began) return rc;
  if (rc) {
    s->tx = 0;
    pg_exec(s, "ROLLBACK", NULL);
    return rc;
  }
  /* s->tx still set: a connection lost since the last statement fails the COMMIT, instead of
   * a reconnect committing nothing (and the caller told that its writes are stored) */
  rc = pg_exec(s, "COMMIT", err);
  s->tx = 0;
  return rc;
}

static int pgs_begin(qb_store *base, qb_err *err) {
  pg_store *s = PG(base);
  int rc = pg_exec(s, "BEGIN", err);
  if (!rc) s->tx = 1;
  return rc;
}

/* One snapshot for every read until the commit, as SQLite's read transaction gives. */
static int pgs_begin_read(qb_store *base, qb_err *err) {
  pg_store *s = PG(base);
  int rc = pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
  if (!rc) s->tx = 1;
  return rc;
}

static int pgs_commit(qb_store *base, qb_err *err) {
  pg_store *s = PG(base);
  int rc = pg_exec(s, "COMMIT", err); /* inside the transaction still, as in pg_tx_end */
  s->tx = 0;
  return rc;
}

static void pgs_rollback(qb_store *base) {
  pg_store *s = PG(base);
  s->tx = 0;
  pg_exec(s, "ROLLBACK", NULL);
}

/* ---- open, migrate, close ------------------------------------------------------------------- */

static void pgs_close(qb_store *base) {
  pg_store *s = PG(base);
  if (s->conn) s->pq->finish(s->conn);
  free(s->where);
  free(s);
}

static int pgs_schema_version(qb_store *base) {
  return PG(base)->version;
}

/* Notices (e.g. "relation already exists, skipping") are not qbdb's output. */
static void quiet(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* One row of one integer column from a fixed query (no parameters): *out, or *found 0. */
static int query_int(pg_store *s, const char *sql, int64_t *out, int *found, qb_err *err) {
  PGresult *r = s->pq->exec_params(s->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
  int rc = QB_OK;
  if (!r || s->pq->result_status(r) != PGRES_TUPLES_OK) {
    rc = fail(s, r, "read the schema version", err);
  } else {
    *found = s->pq->ntuples(r) > 0 && !s->pq->getisnull(r, 0, 0);
    if (*found) *out = pg_col_int(s, r, 0, 0);
  }
  s->pq->clear(r);
  return rc;
}

/* The migrate step of open, in one transaction that holds an advisory lock, so that servers
 * started together migrate one after the other: check that the database is qbdb's (or has no
 * tables), refuse a newer schema, apply the missing migrations. */
static int migrate(pg_store *s, int create, qb_err *err) {
  int64_t version = 0, tables = 0;
  int found = 0, rc;
  if ((rc = pg_exec(s, "BEGIN", err))) return rc;
  char lock[96];
  snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", QB_APPLICATION_ID);
  if ((rc = pg_exec(s, lock, err))) goto done;
  if ((rc = query_int(s,
                      "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN "
                      "('r', 'p', 'v', 'm', 'f')",
                      &tables, &found, err)))
    goto done;
  if ((rc = query_int(s,
                      "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = current_schema() AND c.relname = "
                      "'qbdb_schema'",
                      &version, &found, err)))
    goto done;
  if (found) {
    if ((rc = query_int(s, "SELECT version FROM qbdb_schema WHERE id = 1 AND application = 'qbdb'",
                        &version, &found, err)))
      goto done;
    if (!found) {
      rc = qb_err_set(err, QB_EDB,
                      "%s: not a qbdb database (its qbdb_schema table has no qbdb row)", s->where);
      goto done;
    }
  } else if (tables > 0) {
    rc = qb_err_set(err, QB_EDB,
                    "%s: not a qbdb database (%lld tables in its schema, none of them qbdb_schema)",
                    s->where, (long long)tables);
    goto done;
  } else if (!create) {
    rc = qb_err_set(err, QB_ENOTFOUND, "%s: no qbdb database there yet (it has no tables)",
                    s->where);
    goto done;
  }
  if (version > qb_migrations_count) {
    rc = qb_err_set(err, QB_EDB,
                    "%s: database schema version %lld is newer than this qbdb supports (%d); "
                    "upgrade qbdb",
                    s->where, (long long)version, qb_migrations_count);
    goto done;
  }
  int64_t standby = 0;
  if (version < qb_migrations_count &&
      (rc = query_int(s, "SELECT pg_is_in_recovery()::int", &standby, &found, err)))
    goto done;
  if (standby) { /* migrating is a write: the primary's server does it, the standby replays it */
    rc = qb_err_set(err, QB_EUNAVAILABLE,
                    "%s: the database is a read-only standby at schema version %lld and this "
                    "qbdb needs %d: start a server of this version on the primary first",
                    s->where, (long long)version, qb_migrations_count);
    goto done;
  }
  for (int i = 0; i < qb_pg_migrations_count; i++) {
    const qb_migration *m = &qb_pg_migrations[i];
    if (m->version <= version) continue;
    if (version && i == 0) continue; /* the base schema is for an empty database only */
    char mark[160];
    snprintf(mark, sizeof mark,
             "INSERT INTO qbdb_schema (id, application, version) VALUES (1, 'qbdb', %d) ON "
             "CONFLICT (id) DO UPDATE SET version = excluded.version",
             m->version);
    if ((rc = pg_exec(s, m->sql, err)) || (rc = pg_exec(s, mark, err))) {
      qb_err_prefix(err, "migration %s", m->name);
      goto done;
    }
    version = m->version;
  }
  s->version = (int)version;
done:
  if (rc) {
    pg_exec(s, "ROLLBACK", NULL);
    return rc;
  }
  return pg_exec(s, "COMMIT", err);
}

static qb_store_ops PG_OPS = {
    .name = "postgresql",
    .version = QB_STORE_OPS_VERSION,
    .close = pgs_close,
    .schema_version = pgs_schema_version,
    .begin = pgs_begin,
    .begin_read = pgs_begin_read,
    .commit = pgs_commit,
    .rollback = pgs_rollback,
};

/* Once per process: the statement table, and the ops from the entity files. */
static void setup(void) {
  forms_build();
  pg_ops_runs(&PG_OPS);
  pg_ops_listing(&PG_OPS);
  pg_ops_series(&PG_OPS);
  pg_ops_history(&PG_OPS);
  pg_ops_regressions(&PG_OPS);
  pg_ops_admin(&PG_OPS);
  pg_ops_prune(&PG_OPS);
  pg_ops_copy(&PG_OPS);
  pg_ops_bisect(&PG_OPS);
}

int qb_store_pg_open(qb_store **out, const char *location, int flags, qb_err *err) {
  *out = NULL;
  const qb_pq_api *pq = qb_pq(err);
  if (!pq) return err ? err->code : QB_EDB;
  if (pthread_once(&setup_once, setup) != 0 || !forms_ok)
    return qb_err_set(err, QB_EINTERNAL, "postgresql: cannot prepare the statement table");
  pg_store *s = calloc(1, sizeof *s);
  if (!s || !(s->where = where_of(location))) {
    free(s);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  s->base.ops = &PG_OPS;
  s->pq = pq;
  s->conn = pq->connectdb(location);
  int rc;
  if (!s->conn) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto fail;
  }
  if (pq->status(s->conn) != CONNECTION_OK) {
    char line[QB_ERR_MSG_MAX];
    snprintf(line, sizeof line, "%s", pq->error_message(s->conn));
    line[strcspn(line, "\n")] = '\0';
    rc = qb_err_set(err, QB_EUNAVAILABLE, "%s: cannot connect: %s", s->where, line);
    goto fail;
  }
  pq->set_notice_processor(s->conn, quiet, NULL);
  if ((rc = migrate(s, (flags & QB_STORE_CREATE) != 0, err))) goto fail;
  *out = &s->base;
  return QB_OK;
fail:
  pgs_close(&s->base);
  return rc;
}

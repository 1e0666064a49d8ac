/* schema/postgres/pg.h - the PostgreSQL backend's internals (private to schema/postgres/).
 *
 * One pg_store is one libpq connection. Statements come from the PG_SQL list (sql.h): each is
 * prepared on a connection the first time it runs there, with its named :params turned into
 * $n once per process. Parameters travel as text (bytea, and the arrays runs.c inserts a run's
 * rows with, as binary); results come back binary and are decoded by type (pg_int, pg_real,
 * pg_text, pg_blob), so doubles round-trip exactly.
 * User text only ever reaches the server as a parameter. */
#ifndef QB_SCHEMA_POSTGRES_PG_H
#define QB_SCHEMA_POSTGRES_PG_H

#include <stdint.h>

#include "schema/postgres/pq.h"
#include "schema/postgres/sql.h"
#include "schema/store_impl.h"

#define PG_MAX_PARAMS 24

typedef struct pg_store {
  qb_store base;
  const qb_pq_api *pq;
  PGconn *conn;
  char *where;      /* the location as given, password masked: for messages */
  int version;      /* schema version */
  int tx;           /* 1 inside a transaction opened by qb_store_begin / begin_read */
  char sqlstate[6]; /* of the last failure ("" when it had none) */
  unsigned char prepared[P_COUNT_]; /* statement prepared on this connection */
} pg_store;

/* One execution of statement id: its parameters, by position ($n). The values are borrowed
 * until pg_run returns. */
typedef struct pg_q {
  pg_store *s;
  int id;
  int replan; /* 1: planned for these parameters every time, not prepared (a statement with
                 optional filters, `:x IS NULL OR ...`, whose generic plan reads everything) */
  const char *v[PG_MAX_PARAMS];
  int len[PG_MAX_PARAMS], fmt[PG_MAX_PARAMS];
  char num[PG_MAX_PARAMS][32]; /* numbers formatted as text */
} pg_q;

static inline pg_store *PG(qb_store *s) {
  return (pg_store *)s;
}

/* Start q for statement id (every parameter NULL). */
void pg_q_init(pg_q *q, pg_store *s, int id);
/* Set parameter `name` (with its colon) of q; a name the statement lacks aborts (a bug). */
void pg_text(pg_q *q, const char *name, const char *v); /* NULL: NULL */
void pg_int(pg_q *q, const char *name, int64_t v);
void pg_opt_time(pg_q *q, const char *name, int64_t v);  /* QB_TIME_NONE: NULL */
void pg_opt_count(pg_q *q, const char *name, int64_t v); /* negative: NULL */
void pg_real(pg_q *q, const char *name, double v);       /* NAN: NULL */
void pg_blob(pg_q *q, const char *name, const void *data, size_t n);

/* Run q; *res (caller clears with s->pq->clear) holds its rows. A failure is mapped to a code
 * by SQLSTATE (QB_EEXISTS for a unique violation, QB_EDB for a lost or refused connection, a
 * deadlock or a serialization failure, else QB_EINTERNAL) with a message naming `what`. */
int pg_run(pg_q *q, const char *what, PGresult **res, qb_err *err);
/* Run q for its effect only; *changed (may be NULL) gets the rows it changed. */
int pg_do(pg_q *q, const char *what, int64_t *changed, qb_err *err);
/* Run q, which returns at most one row whose first column is an integer: *out gets it and
 * *found (may be NULL) tells whether a row came. */
int pg_one(pg_q *q, const char *what, int64_t *out, int *found, qb_err *err);
/* Run a fixed SQL text without parameters (BEGIN, COMMIT, migrations). */
int pg_exec(pg_store *s, const char *sql, qb_err *err);

/* Column accessors of a binary result; NULL gives 0, NAN, NULL. */
int pg_isnull(const pg_store *s, const PGresult *r, int row, int col);
int64_t pg_col_int(const pg_store *s, const PGresult *r, int row, int col);
int64_t pg_col_time(const pg_store *s, const PGresult *r, int row, int col); /* NULL: NONE */
double pg_col_real(const pg_store *s, const PGresult *r, int row, int col);
const char *pg_col_text(const pg_store *s, const PGresult *r, int row, int col);
/* A malloc'd copy of a text column (NULL stays NULL); sets *oom on allocation failure. */
char *pg_col_dup(const pg_store *s, const PGresult *r, int row, int col, int *oom);
const void *pg_col_blob(const pg_store *s, const PGresult *r, int row, int col, size_t *n);

/* Transactions of the backend's own ops: begin unless the caller's transaction is open; end
 * (commit, or roll back when rc != 0) only what pg_tx_begin began. */
int pg_tx_begin(pg_store *s, int *began, qb_err *err);
/* The same for reads in one snapshot (REPEATABLE READ READ ONLY), as SQLite's read transaction. */
int pg_tx_begin_read(pg_store *s, int *began, qb_err *err);
int pg_tx_end(pg_store *s, int began, int rc, qb_err *err);

/* The POSIX regular expression (for PostgreSQL's ~) that matches what SQLite's GLOB pattern
 * glob matches: * any text, ? one character, [...] a class ([^...] its complement), everything
 * else itself; anchored at both ends. A malloc'd string, or NULL when out of memory. */
char *pg_glob_regex(const char *glob);

/* A run's header from row `row` of a result whose columns are PG_RUN_COLUMNS' (sql_runs.h), with
 * its tags (one more statement); dispose *info with qb_run_info_dispose() also on failure. */
int pg_read_info(pg_store *s, const PGresult *r, int row, qb_run_info *info, qb_err *err);

/* Each entity file fills in the ops it implements (conn.c calls them all once). */
void pg_ops_runs(qb_store_ops *ops);
void pg_ops_listing(qb_store_ops *ops);
void pg_ops_series(qb_store_ops *ops);
void pg_ops_history(qb_store_ops *ops);
void pg_ops_regressions(qb_store_ops *ops);
void pg_ops_admin(qb_store_ops *ops);
void pg_ops_prune(qb_store_ops *ops);
void pg_ops_copy(qb_store_ops *ops);
void pg_ops_bisect(qb_store_ops *ops);

#endif

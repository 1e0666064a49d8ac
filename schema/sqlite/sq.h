/* schema/sqlite/sq.h - the SQLite backend's internals (private to schema/sqlite/).
 *
 * One sq_store is one SQLite connection. Statements come from the SQ_SQL list (sql.h): each is
 * prepared once per connection (named :params, SQLITE_PREPARE_PERSISTENT), cached in the store
 * and reset after each use; user text only ever reaches SQLite as bound parameters. Every op
 * starts with sq_reset_all, so that no read transaction outlives a call. */
#ifndef QB_SCHEMA_SQLITE_SQ_H
#define QB_SCHEMA_SQLITE_SQ_H

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "schema/sqlite/sql.h"
#include "schema/store_impl.h"

typedef struct sq_store {
  qb_store base;
  sqlite3 *db;
  char *path;
  int version;
  int64_t busy_since; /* when the current wait for the write lock began (us, monotonic) */
  int64_t busy_limit; /* how long a wait may last (us): BUSY_TIMEOUT_US, shorter for retries */
  int bg_checkpoint;  /* QB_STORE_BG_CHECKPOINT: checkpoints are left to qb_store_checkpoint_due */
  struct series_slot *series_ids; /* series ids by key, as read (runs.c, series_id_kept) */
  size_t series_cap, series_used;
  struct series_slot *series_new; /* read in the open write transaction: kept once it commits */
  size_t series_new_n, series_new_cap;
  sqlite3_stmt *st[S_COUNT_];
} sq_store;

static inline sq_store *SQ(qb_store *s) {
  return (sq_store *)s;
}

/* ---- statements (conn.c) ------------------------------------------------------------------- */

/* Reset every cached statement, ending any read transaction one left open: each entry point
 * starts from a fresh snapshot, and BEGIN IMMEDIATE can wait for other writers instead of
 * failing at once on a stale snapshot (WAL mode). */
void sq_reset_all(sq_store *s);
/* Record the connection's last error in err with code (QB_EINTERNAL unless told). */
int sq_fail(sq_store *s, int code, const char *what, qb_err *err);
/* The cached statement id, prepared on first use and reset with bindings cleared. */
int sq_stmt(sq_store *s, int id, sqlite3_stmt **out, qb_err *err);
/* Run a fixed SQL text without parameters (BEGIN, COMMIT, PRAGMA). */
int sq_exec(sq_store *s, const char *sql, qb_err *err);
/* Step a statement that returns at most one integer row; *found tells whether it did. */
int sq_step_id(sq_store *s, sqlite3_stmt *st, int64_t *out, int *found, qb_err *err);
/* Step an INSERT; *out_id gets the new rowid. */
int sq_step_insert(sq_store *s, sqlite3_stmt *st, int64_t *out_id, qb_err *err);
/* Make room for one more element of elem bytes in *arr (n used, *cap allocated). */
int sq_grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err);

/* Binding helpers by parameter name; a missing name is a programming error. */
static inline int pidx(sqlite3_stmt *st, const char *name) {
  int i = sqlite3_bind_parameter_index(st, name);
  return i;
}
static inline void b_text(sqlite3_stmt *st, const char *name, const char *v) {
  if (v)
    sqlite3_bind_text(st, pidx(st, name), v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, pidx(st, name));
}
static inline void b_int(sqlite3_stmt *st, const char *name, int64_t v) {
  sqlite3_bind_int64(st, pidx(st, name), v);
}
/* An int64 where QB_TIME_NONE or a negative count means NULL. */
static inline void b_opt_int(sqlite3_stmt *st, const char *name, int64_t v, int64_t none_below) {
  if (v < none_below || v == QB_TIME_NONE)
    sqlite3_bind_null(st, pidx(st, name));
  else
    sqlite3_bind_int64(st, pidx(st, name), v);
}
/* A double where NAN means NULL. */
static inline void b_real(sqlite3_stmt *st, const char *name, double v) {
  if (isnan(v))
    sqlite3_bind_null(st, pidx(st, name));
  else
    sqlite3_bind_double(st, pidx(st, name), v);
}

/* Copy a text column (NULL stays NULL). */
static inline char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? strdup((const char *)t) : NULL;
}
static inline int64_t col_opt_int(sqlite3_stmt *st, int i, int64_t none) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? none : sqlite3_column_int64(st, i);
}
static inline double col_real(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* ---- transactions (conn.c) ----------------------------------------------------------------- */

/* End the write transaction: COMMIT, or ROLLBACK when rollback; then wake waiting writers (a
 * COMMIT that wrote nothing and a ROLLBACK do not reach the WAL hook). */
int sq_write_end(sq_store *s, int rollback, qb_err *err);

/* ---- runs (runs.c) ------------------------------------------------------------------------- */

/* The write transaction ended: keep the series ids it read when it committed, else forget them
 * (the series ids kept by a connection). */
void sq_series_new_end(sq_store *s, int committed);
/* Fill info from a row of SQ_RUN_COLUMNS (sql_runs.h) and load its tags. */
int sq_read_info(sq_store *s, sqlite3_stmt *row, qb_run_info *info, qb_err *err);

/* Each entity file fills in the ops it implements (conn.c calls them all once). */
void sq_ops_runs(qb_store_ops *ops);
void sq_ops_listing(qb_store_ops *ops);
void sq_ops_series(qb_store_ops *ops);
void sq_ops_history(qb_store_ops *ops);
void sq_ops_regressions(qb_store_ops *ops);
void sq_ops_admin(qb_store_ops *ops);
void sq_ops_prune(qb_store_ops *ops);
void sq_ops_bisect(qb_store_ops *ops);

#endif

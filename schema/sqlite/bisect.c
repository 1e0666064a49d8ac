/* schema/sqlite/bisect.c - `qbdb bisect` sessions (migration 0015) in SQLite: one row each, its
 * state a JSON text the service writes and the store keeps as it is. */
#include <stdlib.h>
#include <string.h>

#include "schema/sqlite/sq.h"

static int sq_bisect_add(qb_store *base, const qb_bisect_record *rec, int64_t *out_id,
                         qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_BISECT_ADD, &st, err);
  if (rc) return rc;
  b_text(st, ":project", rec->project);
  b_opt_int(st, ":regression", rec->regression_id, 1);
  b_text(st, ":benchmark", rec->benchmark);
  b_text(st, ":metric", rec->metric);
  b_text(st, ":machine", rec->machine);
  b_text(st, ":good", rec->good_commit);
  b_text(st, ":bad", rec->bad_commit);
  b_text(st, ":status", rec->status);
  b_int(st, ":started", rec->started_at);
  b_text(st, ":state", rec->state);
  return sq_step_insert(s, st, out_id, err);
}

static int sq_bisect_update(qb_store *base, int64_t id, const char *status, const char *state,
                            int64_t updated_at, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_BISECT_UPDATE, &st, err);
  if (rc) return rc;
  b_text(st, ":status", status);
  b_text(st, ":state", state);
  b_int(st, ":updated", updated_at);
  b_int(st, ":id", id);
  if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no bisect session with id %lld", (long long)id);
  return QB_OK;
}

/* Fill r from the current row of a SQ_BISECT_SELECT statement; QB_ENOMEM when a copy failed. */
static int read_row(sqlite3_stmt *st, qb_bisect_record *r, qb_err *err) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  r->regression_id = sqlite3_column_int64(st, 1);
  r->project = col_text(st, 2);
  r->benchmark = col_text(st, 3);
  r->metric = col_text(st, 4);
  r->machine = col_text(st, 5);
  r->good_commit = col_text(st, 6);
  r->bad_commit = col_text(st, 7);
  r->status = col_text(st, 8);
  r->started_at = sqlite3_column_int64(st, 9);
  r->updated_at = sqlite3_column_int64(st, 10);
  r->state = col_text(st, 11);
  if (!r->project || !r->benchmark || !r->metric || !r->machine || !r->good_commit ||
      !r->bad_commit || !r->status || (sqlite3_column_type(st, 11) != SQLITE_NULL && !r->state))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int sq_bisect_get(qb_store *base, int64_t id, qb_bisect_record *out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_BISECT_GET, &st, err), step;
  if (rc) return rc;
  b_int(st, ":id", id);
  b_int(st, ":with_state", 1);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    if ((rc = read_row(st, out, err))) qb_bisect_record_dispose(out);
  } else if (step == SQLITE_DONE)
    rc = qb_err_set(err, QB_ENOTFOUND, "no bisect session with id %lld", (long long)id);
  else
    rc = sq_fail(s, QB_EINTERNAL, "bisect", err);
  sqlite3_reset(st);
  return rc;
}

static int sq_bisects_list(qb_store *base, const qb_bisect_filter *f, qb_bisect_record **out,
                           size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_bisect_record *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, f->regression_id ? S_BISECT_LIST_REGRESSION : S_BISECT_LIST, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", f->project);
  b_text(st, ":status", f->status);
  if (f->regression_id) b_int(st, ":regression", f->regression_id);
  b_int(st, ":with_state", f->with_state ? 1 : 0);
  b_int(st, ":limit", f->limit > 0 ? f->limit : -1);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    rc = read_row(st, &arr[n++], err);
    if (rc) goto done;
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "bisect sessions", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_bisect_records_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

void sq_ops_bisect(qb_store_ops *ops) {
  ops->bisect_add = sq_bisect_add;
  ops->bisect_update = sq_bisect_update;
  ops->bisect_get = sq_bisect_get;
  ops->bisects_list = sq_bisects_list;
}

/* schema/postgres/bisect.c - `qbdb bisect` sessions (migration 0015) in PostgreSQL: one row
 * each, its state a JSON text the service writes and the store keeps as it is. */
#include <stdlib.h>
#include <string.h>

#include "schema/postgres/pg.h"

static int pg_bisect_add(qb_store *base, const qb_bisect_record *rec, int64_t *out_id,
                         qb_err *err) {
  pg_store *s = PG(base);
  int found = 0;
  pg_q q;
  pg_q_init(&q, s, P_BISECT_ADD);
  pg_text(&q, ":project", rec->project);
  if (rec->regression_id > 0)
    pg_int(&q, ":regression", rec->regression_id);
  else
    pg_text(&q, ":regression", NULL);
  pg_text(&q, ":benchmark", rec->benchmark);
  pg_text(&q, ":metric", rec->metric);
  pg_text(&q, ":machine", rec->machine);
  pg_text(&q, ":good", rec->good_commit);
  pg_text(&q, ":bad", rec->bad_commit);
  pg_text(&q, ":status", rec->status);
  pg_int(&q, ":started", rec->started_at);
  pg_text(&q, ":state", rec->state);
  int rc = pg_one(&q, "add bisect session", out_id, &found, err);
  if (!rc && !found) rc = qb_err_set(err, QB_EINTERNAL, "%s: add bisect session: no id", s->where);
  return rc;
}

static int pg_bisect_update(qb_store *base, int64_t id, const char *status, const char *state,
                            int64_t updated_at, qb_err *err) {
  pg_store *s = PG(base);
  int64_t changed = 0;
  pg_q q;
  pg_q_init(&q, s, P_BISECT_UPDATE);
  pg_text(&q, ":status", status);
  pg_text(&q, ":state", state);
  pg_int(&q, ":updated", updated_at);
  pg_int(&q, ":id", id);
  int rc = pg_do(&q, "update bisect session", &changed, err);
  if (rc) return rc;
  if (changed == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no bisect session with id %lld", (long long)id);
  return QB_OK;
}

/* Fill r from row `row` of a PG_BISECT_SELECT result; QB_ENOMEM when a copy failed. */
static int read_row(pg_store *s, const PGresult *res, int row, qb_bisect_record *r, qb_err *err) {
  int oom = 0;
  memset(r, 0, sizeof *r);
  r->id = pg_col_int(s, res, row, 0);
  r->regression_id = pg_col_int(s, res, row, 1);
  r->project = pg_col_dup(s, res, row, 2, &oom);
  r->benchmark = pg_col_dup(s, res, row, 3, &oom);
  r->metric = pg_col_dup(s, res, row, 4, &oom);
  r->machine = pg_col_dup(s, res, row, 5, &oom);
  r->good_commit = pg_col_dup(s, res, row, 6, &oom);
  r->bad_commit = pg_col_dup(s, res, row, 7, &oom);
  r->status = pg_col_dup(s, res, row, 8, &oom);
  r->started_at = pg_col_int(s, res, row, 9);
  r->updated_at = pg_col_int(s, res, row, 10);
  r->state = pg_col_dup(s, res, row, 11, &oom);
  return oom ? qb_err_set(err, QB_ENOMEM, "out of memory") : QB_OK;
}

static int pg_bisect_get(qb_store *base, int64_t id, qb_bisect_record *out, qb_err *err) {
  pg_store *s = PG(base);
  PGresult *res;
  pg_q q;
  pg_q_init(&q, s, P_BISECT_GET);
  pg_int(&q, ":id", id);
  pg_int(&q, ":with_state", 1);
  int rc = pg_run(&q, "bisect session", &res, err);
  if (rc) return rc;
  if (s->pq->ntuples(res) == 0)
    rc = qb_err_set(err, QB_ENOTFOUND, "no bisect session with id %lld", (long long)id);
  else if ((rc = read_row(s, res, 0, out, err)))
    qb_bisect_record_dispose(out);
  s->pq->clear(res);
  return rc;
}

static int pg_bisects_list(qb_store *base, const qb_bisect_filter *f, qb_bisect_record **out,
                           size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  PGresult *res;
  pg_q q;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, f->regression_id ? P_BISECT_LIST_REGRESSION : P_BISECT_LIST);
  q.replan = 1; /* optional filters: a generic plan would read every session */
  pg_text(&q, ":project", f->project);
  pg_text(&q, ":status", f->status);
  if (f->regression_id) pg_int(&q, ":regression", f->regression_id);
  pg_int(&q, ":with_state", f->with_state ? 1 : 0);
  pg_opt_count(&q, ":limit", f->limit > 0 ? f->limit : -1);
  int rc = pg_run(&q, "bisect sessions", &res, err);
  if (rc) return rc;
  int n = s->pq->ntuples(res);
  qb_bisect_record *arr = n > 0 ? calloc((size_t)n, sizeof *arr) : NULL;
  if (n > 0 && !arr) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  for (int i = 0; i < n && !rc; i++) rc = read_row(s, res, i, &arr[i], err);
  s->pq->clear(res);
  if (rc) {
    qb_bisect_records_free(arr, arr ? (size_t)n : 0);
    return rc;
  }
  *out = arr;
  *n_out = (size_t)n;
  return QB_OK;
}

void pg_ops_bisect(qb_store_ops *ops) {
  ops->bisect_add = pg_bisect_add;
  ops->bisect_update = pg_bisect_update;
  ops->bisect_get = pg_bisect_get;
  ops->bisects_list = pg_bisects_list;
}

/* schema/postgres/regressions.c - change-point records and their triage; recorded reports in
 * PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "schema/postgres/pg.h"
#include "schema/supersede.h"

/* ---- change-point records ------------------------------------------------------------------- */

/* The run ids of recs[0..n) as a bigint[] literal ("{1,2}") in *out (malloc'd). */
static int runs_array(const qb_regression *recs, size_t n, char **out, qb_err *err) {
  size_t cap = 3 + n * 21, at = 0; /* 20 characters and a comma per id, braces, NUL */
  char *a = malloc(cap);
  if (!a) return qb_err_set(err, QB_ENOMEM, "out of memory");
  a[at++] = '{';
  for (size_t i = 0; i < n; i++)
    at += (size_t)snprintf(a + at, cap - at, "%s%lld", i ? "," : "", (long long)recs[i].run_id);
  a[at++] = '}';
  a[at] = '\0';
  *out = a;
  return QB_OK;
}

/* After a detection wrote the records of a series: the records it made inactive (stale ids) that
 * another it made active took the place of (schema/supersede.h) get superseded_by, and the new
 * one their triage when it has none. fresh[i]: this call made recs[i] active. */
static int supersede(pg_store *s, int64_t series_id, const int64_t *stale, size_t n_stale,
                     qb_regression *recs, size_t n, const int *fresh, qb_err *err) {
  pg_q q;
  PGresult *res;
  pg_q_init(&q, s, P_REGR_ROWS);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "regressions", &res, err);
  if (rc) return rc;
  int n_rows = s->pq->ntuples(res);
  size_t m = n_rows > 0 ? (size_t)n_rows : 1;
  qb_supersede_row *rows = calloc(m, sizeof *rows);
  long *by = malloc(m * sizeof *by), *inherit = malloc(m * sizeof *inherit);
  if (!rows || !by || !inherit) {
    s->pq->clear(res);
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < n_rows; i++) {
    qb_supersede_row *r = &rows[i];
    r->id = pg_col_int(s, res, i, 0);
    r->run_id = pg_col_int(s, res, i, 1);
    r->run_time = pg_col_int(s, res, i, 2);
    r->improvement = (int)pg_col_int(s, res, i, 3);
    r->active = (int)pg_col_int(s, res, i, 4);
    r->triaged_at = pg_col_int(s, res, i, 5);
    r->position = pg_col_int(s, res, i, 6);
    for (size_t k = 0; k < n_stale; k++) r->stale |= stale[k] == r->id;
    for (size_t k = 0; k < n; k++) r->fresh |= fresh[k] && recs[k].run_id == r->run_id;
  }
  s->pq->clear(res);
  qb_supersede_match(rows, (size_t)(n_rows > 0 ? n_rows : 0), by, inherit);
  for (int i = 0; i < n_rows && !rc; i++) {
    if (by[i] >= 0) {
      const qb_supersede_row *y = &rows[by[i]];
      for (size_t k = 0; k < n; k++)
        if (recs[k].run_id == y->run_id && !recs[k].supersedes) recs[k].supersedes = rows[i].id;
      pg_q_init(&q, s, P_REGR_SUPERSEDE);
      pg_int(&q, ":by", y->id);
      pg_int(&q, ":id", rows[i].id);
      if ((rc = pg_do(&q, "regressions", NULL, err))) break;
    }
    if (inherit[i] >= 0) {
      pg_q_init(&q, s, P_REGR_INHERIT);
      pg_int(&q, ":from", rows[inherit[i]].id);
      pg_int(&q, ":id", rows[i].id);
      rc = pg_do(&q, "regressions", NULL, err);
    }
  }
done:
  free(rows);
  free(by);
  free(inherit);
  return rc;
}

/* The records of the series are read and locked first (FOR UPDATE: a triage waits for the
 * commit), then the stale ones are made inactive (never deleted: a record a user saw, and maybe
 * triaged, stays listed with --all), each record is written at its run, and the stale ones that
 * a new one took the place of are linked to it. Inside a transaction: the caller's, or one of
 * its own. */
static int replace_in_tx(pg_store *s, int64_t series_id, qb_regression *recs, size_t n,
                         const char *runs, qb_err *err) {
  pg_q q;
  PGresult *res = NULL;
  int64_t *stale = NULL;
  size_t n_stale = 0;
  int *fresh = malloc((n ? n : 1) * sizeof *fresh); /* this call makes recs[i] active */
  if (!fresh) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) fresh[i] = 1, recs[i].supersedes = 0;
  pg_q_init(&q, s, P_REGR_OF_SERIES);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "regressions", &res, err);
  if (rc) goto done;
  int n_rows = s->pq->ntuples(res);
  if (!(stale = malloc((n_rows > 0 ? (size_t)n_rows : 1) * sizeof *stale))) {
    s->pq->clear(res);
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < n_rows; i++) {
    int64_t run = pg_col_int(s, res, i, 1);
    int active = (int)pg_col_int(s, res, i, 2), found = 0;
    for (size_t k = 0; k < n; k++)
      if (recs[k].run_id == run) fresh[k] = !active, found = 1;
    if (!found && active) stale[n_stale++] = pg_col_int(s, res, i, 0);
  }
  s->pq->clear(res);
  int64_t now = qb_time_now();
  pg_q_init(&q, s, P_REGR_DEACTIVATE_STALE);
  pg_int(&q, ":series", series_id);
  pg_text(&q, ":runs", runs);
  pg_int(&q, ":now", now);
  if ((rc = pg_do(&q, "regressions", NULL, err))) goto done;
  for (size_t i = 0; i < n; i++) {
    qb_regression *r = &recs[i];
    pg_q_init(&q, s, P_REGR_UPSERT);
    pg_int(&q, ":series", series_id);
    pg_int(&q, ":run", r->run_id);
    pg_opt_count(&q, ":prev", r->prev_run_id >= 1 ? r->prev_run_id : -1);
    pg_text(&q, ":kind", r->kind);
    pg_real(&q, ":before", r->before);
    pg_real(&q, ":after", r->after);
    pg_real(&q, ":change", r->change_pct);
    pg_real(&q, ":p", r->p_value);
    pg_text(&q, ":severity", r->severity);
    pg_int(&q, ":now", now);
    pg_opt_count(&q, ":position", r->position); /* negative (unknown): NULL */
    /* a row comes back only from the INSERT: true when it inserted, false when another
     * server's insert of the record won and this one updated it */
    int64_t inserted = 0;
    int found = 0;
    if ((rc = pg_one(&q, "insert", &inserted, &found, err))) goto done;
    r->inserted = found && inserted;
  }
  if (n_stale) rc = supersede(s, series_id, stale, n_stale, recs, n, fresh, err);
done:
  free(stale);
  free(fresh);
  return rc;
}

static int pg_regressions_replace(qb_store *base, int64_t series_id, qb_regression *recs, size_t n,
                                  qb_err *err) {
  pg_store *s = PG(base);
  char *runs = NULL;
  int began, rc = runs_array(recs, n, &runs, err);
  if (rc) return rc;
  if ((rc = pg_tx_begin(s, &began, err)) == QB_OK) {
    rc = replace_in_tx(s, series_id, recs, n, runs, err);
    rc = pg_tx_end(s, began, rc, err);
  }
  free(runs);
  return rc;
}

static int pg_regressions_list(qb_store *base, const qb_regression_filter *f, qb_regression **out,
                               size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *res;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s,
            f->series_id ? P_REGR_LIST_SERIES
            : f->status  ? P_REGR_LIST_STATUS
                         : P_REGR_LIST);
  pg_text(&q, ":project", f->project);
  pg_text(&q, ":status", f->status);
  pg_text(&q, ":kind", f->kind);
  pg_int(&q, ":series", f->series_id);
  pg_int(&q, ":minsev", f->min_severity);
  pg_int(&q, ":active", f->active_only);
  pg_opt_count(&q, ":limit", f->limit > 0 ? f->limit : -1);
  int rc = pg_run(&q, "regressions", &res, err);
  if (rc) return rc;
  int n = s->pq->ntuples(res), oom = 0;
  qb_regression *arr = n > 0 ? calloc((size_t)n, sizeof *arr) : NULL;
  if (n > 0 && !arr) {
    s->pq->clear(res);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    qb_regression *r = &arr[i];
    r->id = pg_col_int(s, res, i, 0);
    r->series_id = pg_col_int(s, res, i, 1);
    r->run_id = pg_col_int(s, res, i, 2);
    r->prev_run_id = pg_col_int(s, res, i, 3);
    r->kind = pg_col_dup(s, res, i, 4, &oom);
    r->severity = pg_col_dup(s, res, i, 5, &oom);
    r->status = pg_col_dup(s, res, i, 6, &oom);
    r->note = pg_col_dup(s, res, i, 7, &oom);
    r->triaged_by = pg_col_dup(s, res, i, 8, &oom);
    r->before = pg_col_real(s, res, i, 9);
    r->after = pg_col_real(s, res, i, 10);
    r->change_pct = pg_col_real(s, res, i, 11);
    r->p_value = pg_col_real(s, res, i, 12);
    r->triaged_at = pg_col_time(s, res, i, 13);
    r->detected_at = pg_col_time(s, res, i, 14);
    r->active = (int)pg_col_int(s, res, i, 15);
    /* the series it belongs to, for display */
    r->series.id = r->series_id;
    r->series.project = pg_col_dup(s, res, i, 16, &oom);
    r->series.branch = pg_col_dup(s, res, i, 17, &oom);
    r->series.machine = pg_col_dup(s, res, i, 18, &oom);
    r->series.bench = pg_col_dup(s, res, i, 19, &oom);
    r->series.metric = pg_col_dup(s, res, i, 20, &oom);
    r->series.unit = pg_col_dup(s, res, i, 21, &oom);
    r->series.higher_is_better = pg_col_int(s, res, i, 22) == QB_HIGHER_IS_BETTER;
    r->commit_sha = pg_col_dup(s, res, i, 23, &oom);
    r->prev_commit_sha = pg_col_dup(s, res, i, 24, &oom);
    r->time = pg_col_int(s, res, i, 25);
    r->gone_at = pg_col_time(s, res, i, 26);
    r->superseded_by = pg_col_int(s, res, i, 27);
  }
  s->pq->clear(res);
  if (oom) {
    qb_regressions_free(arr, (size_t)n);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  *out = arr;
  *n_out = (size_t)n;
  return QB_OK;
}

static int pg_regression_triage(qb_store *base, int64_t id, const char *status, const char *note,
                                const char *who, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  int64_t changed = 0;
  pg_q_init(&q, s, P_REGR_TRIAGE);
  pg_text(&q, ":status", status);
  pg_text(&q, ":note", note);
  pg_text(&q, ":who", who);
  pg_int(&q, ":now", qb_time_now());
  pg_int(&q, ":id", id);
  int rc = pg_do(&q, "insert", &changed, err);
  if (rc) return rc;
  if (changed == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no regression with id %lld", (long long)id);
  return QB_OK;
}

/* ---- reports (migration 0008) --------------------------------------------------------------- */

/* Insert the report row, then one item per change it listed as new (in one transaction, or the
 * caller's). */
static int report_add_in_tx(pg_store *s, const qb_report_record *rec, const qb_report_item *items,
                            size_t n, int64_t *id, qb_err *err) {
  pg_q q;
  int found = 0;
  pg_q_init(&q, s, P_REPORT_ADD);
  pg_text(&q, ":project", rec->project ? rec->project : "");
  pg_int(&q, ":created", rec->created_at);
  pg_opt_time(&q, ":start", rec->window_start);
  pg_int(&q, ":max_id", rec->max_regression_id);
  pg_opt_time(&q, ":max_detected", rec->max_detected_at);
  pg_int(&q, ":n_reg", rec->new_regressions);
  pg_int(&q, ":n_imp", rec->new_improvements);
  pg_text(&q, ":format", rec->format);
  int rc = pg_one(&q, "insert", id, &found, err);
  if (rc) return rc;
  if (!found) return qb_err_set(err, QB_EINTERNAL, "%s: report not stored", s->where);
  for (size_t i = 0; i < n; i++) {
    pg_q_init(&q, s, P_REPORT_ITEM_ADD);
    pg_int(&q, ":report", *id);
    pg_int(&q, ":regression", items[i].regression_id);
    pg_int(&q, ":series", items[i].series_id);
    pg_int(&q, ":run", items[i].run_id);
    pg_text(&q, ":kind", items[i].kind);
    pg_text(&q, ":severity", items[i].severity);
    if ((rc = pg_do(&q, "insert", NULL, err))) return rc;
  }
  return QB_OK;
}

static int pg_report_add(qb_store *base, const qb_report_record *rec, const qb_report_item *items,
                         size_t n, int64_t *out_id, qb_err *err) {
  pg_store *s = PG(base);
  int64_t id = 0;
  int began, rc = pg_tx_begin(s, &began, err);
  if (rc) return rc;
  rc = report_add_in_tx(s, rec, items, n, &id, err);
  if ((rc = pg_tx_end(s, began, rc, err))) return rc;
  if (out_id) *out_id = id;
  return QB_OK;
}

/* The newest report row of a scope ("" = every project). */
static int pg_report_last(qb_store *base, const char *project, qb_report_record *out, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *res;
  memset(out, 0, sizeof *out);
  pg_q_init(&q, s, P_REPORT_LAST);
  pg_text(&q, ":project", project);
  int rc = pg_run(&q, "report", &res, err), oom = 0;
  if (rc) return rc;
  if (s->pq->ntuples(res) == 0) {
    s->pq->clear(res);
    return qb_err_set(err, QB_ENOTFOUND, "no report recorded for %s%s",
                      *project ? "project " : "every project", project);
  }
  out->id = pg_col_int(s, res, 0, 0);
  out->project = pg_col_dup(s, res, 0, 1, &oom);
  out->created_at = pg_col_int(s, res, 0, 2);
  out->window_start = pg_col_time(s, res, 0, 3);
  out->max_regression_id = pg_col_int(s, res, 0, 4);
  out->max_detected_at = pg_col_time(s, res, 0, 5);
  out->new_regressions = pg_col_int(s, res, 0, 6);
  out->new_improvements = pg_col_int(s, res, 0, 7);
  out->format = pg_col_dup(s, res, 0, 8, &oom);
  s->pq->clear(res);
  if (oom) {
    qb_report_record_dispose(out);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  return QB_OK;
}

/* Every item of the reports of a scope. */
static int pg_report_items(qb_store *base, const char *project, qb_report_item **out, size_t *n_out,
                           qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *res;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_REPORT_ITEMS);
  pg_text(&q, ":project", project);
  int rc = pg_run(&q, "report items", &res, err);
  if (rc) return rc;
  int n = s->pq->ntuples(res);
  qb_report_item *arr = n > 0 ? calloc((size_t)n, sizeof *arr) : NULL;
  if (n > 0 && !arr) {
    s->pq->clear(res);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    qb_report_item *it = &arr[i];
    const char *k = pg_col_text(s, res, i, 3), *v = pg_col_text(s, res, i, 4);
    it->regression_id = pg_col_int(s, res, i, 0);
    it->series_id = pg_col_int(s, res, i, 1);
    it->run_id = pg_col_int(s, res, i, 2);
    snprintf(it->kind, sizeof it->kind, "%s", k ? k : "");
    snprintf(it->severity, sizeof it->severity, "%s", v ? v : "");
  }
  s->pq->clear(res);
  *out = arr;
  *n_out = (size_t)n;
  return QB_OK;
}

void pg_ops_regressions(qb_store_ops *ops) {
  ops->regressions_replace = pg_regressions_replace;
  ops->regressions_list = pg_regressions_list;
  ops->regression_triage = pg_regression_triage;
  ops->report_add = pg_report_add;
  ops->report_last = pg_report_last;
  ops->report_items = pg_report_items;
}

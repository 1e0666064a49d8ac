/* schema/sqlite/regressions.c - change-point records and their triage; recorded reports in
 * SQLite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "schema/sqlite/sq.h"
#include "schema/supersede.h"

/* ---- change-point records ------------------------------------------------------------------- */

/* After a detection wrote the records of a series: the records it made inactive (stale ids) that
 * another it made active took the place of (schema/supersede.h) get superseded_by, and the new
 * one their triage when it has none. fresh_runs: the runs of recs made active by this call. */
static int sq_supersede(sq_store *s, int64_t series_id, const int64_t *stale, size_t n_stale,
                        qb_regression *recs, size_t n, const int *fresh, qb_err *err) {
  sqlite3_stmt *st = NULL;
  qb_supersede_row *rows = NULL;
  long *by = NULL, *inherit = NULL;
  size_t n_rows = 0, cap = 0;
  int rc = sq_stmt(s, S_REG_ROWS, &st, err), step;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&rows, &cap, n_rows, sizeof *rows, err))) break;
    qb_supersede_row *r = &rows[n_rows++];
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->run_id = sqlite3_column_int64(st, 1);
    r->run_time = sqlite3_column_int64(st, 2);
    r->improvement = sqlite3_column_int(st, 3);
    r->active = sqlite3_column_int(st, 4);
    r->triaged_at = sqlite3_column_int64(st, 5);
    r->position = sqlite3_column_int64(st, 6);
    for (size_t k = 0; k < n_stale; k++) r->stale |= stale[k] == r->id;
    for (size_t k = 0; k < n; k++) r->fresh |= fresh[k] && recs[k].run_id == r->run_id;
  }
  sqlite3_reset(st);
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "regressions", err);
  if (rc) goto done;
  if (!(by = malloc((n_rows ? n_rows : 1) * sizeof *by)) ||
      !(inherit = malloc((n_rows ? n_rows : 1) * sizeof *inherit))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  qb_supersede_match(rows, n_rows, by, inherit);
  for (size_t i = 0; i < n_rows && !rc; i++) {
    if (by[i] >= 0) {
      const qb_supersede_row *y = &rows[by[i]];
      for (size_t k = 0; k < n; k++)
        if (recs[k].run_id == y->run_id && !recs[k].supersedes) recs[k].supersedes = rows[i].id;
      if ((rc = sq_stmt(s, S_REG_SUPERSEDE, &st, err))) break;
      b_int(st, ":by", y->id);
      b_int(st, ":id", rows[i].id);
      if ((rc = sq_step_insert(s, st, NULL, err))) break;
    }
    if (inherit[i] >= 0) {
      if ((rc = sq_stmt(s, S_REG_INHERIT, &st, err))) break;
      b_int(st, ":from", rows[inherit[i]].id);
      b_int(st, ":id", rows[i].id);
      rc = sq_step_insert(s, st, NULL, err);
    }
  }
done:
  free(rows);
  free(by);
  free(inherit);
  return rc;
}

static int sq_regressions_replace(qb_store *base, int64_t series_id, qb_regression *recs, size_t n,
                                  qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *stale = NULL;
  int *fresh = NULL; /* fresh[i]: this call makes recs[i] active (new, or found again) */
  size_t n_stale = 0, cap = 0;
  int rc = sq_stmt(s, S_REG_OF_SERIES, &st, err), step;
  if (rc) return rc;
  if (!(fresh = malloc((n ? n : 1) * sizeof *fresh)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  /* records whose run is no longer a change point: kept, inactive (never deleted: a record a
   * user saw, and maybe triaged, stays listed with --all) */
  b_int(st, ":series", series_id);
  for (size_t i = 0; i < n; i++) recs[i].inserted = 1, fresh[i] = 1, recs[i].supersedes = 0;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 1);
    int active = sqlite3_column_int(st, 2), found = 0;
    for (size_t i = 0; i < n; i++)
      if (recs[i].run_id == run) recs[i].inserted = 0, fresh[i] = !active, found = 1;
    if (found || !active) continue;
    if ((rc = sq_grow((void **)&stale, &cap, n_stale, sizeof *stale, err))) goto done;
    stale[n_stale++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_reset(st);
  if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "regressions", err);
    goto done;
  }
  int64_t now = qb_time_now();
  for (size_t i = 0; i < n_stale; i++) {
    if ((rc = sq_stmt(s, S_REG_DEACTIVATE, &st, err))) goto done;
    b_int(st, ":id", stale[i]);
    b_int(st, ":now", now);
    if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  }
  for (size_t i = 0; i < n; i++) {
    const qb_regression *r = &recs[i];
    if ((rc = sq_stmt(s, S_REG_UPSERT, &st, err))) goto done;
    b_int(st, ":series", series_id);
    b_int(st, ":run", r->run_id);
    b_opt_int(st, ":prev", r->prev_run_id, 1);
    b_text(st, ":kind", r->kind);
    b_real(st, ":before", r->before);
    b_real(st, ":after", r->after);
    b_real(st, ":change", r->change_pct);
    b_real(st, ":p", r->p_value);
    b_text(st, ":severity", r->severity);
    b_int(st, ":now", now);
    b_opt_int(st, ":position", r->position, 0);
    if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  }
  if (n_stale) rc = sq_supersede(s, series_id, stale, n_stale, recs, n, fresh, err);
done:
  free(stale);
  free(fresh);
  return rc;
}

static int sq_regressions_list(qb_store *base, const qb_regression_filter *f, qb_regression **out,
                               size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_regression *arr = NULL;
  size_t n = 0, cap = 0;
  int id = f->series_id ? S_REG_LIST_SERIES : f->status ? S_REG_LIST_STATUS : S_REG_LIST;
  int rc = sq_stmt(s, id, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", f->project);
  b_text(st, ":status", f->status);
  b_text(st, ":kind", f->kind);
  b_int(st, ":series", f->series_id);
  b_int(st, ":minsev", f->min_severity);
  b_int(st, ":active", f->active_only);
  b_int(st, ":limit", f->limit > 0 ? f->limit : -1);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_regression *r = &arr[n++];
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->series_id = sqlite3_column_int64(st, 1);
    r->run_id = sqlite3_column_int64(st, 2);
    r->prev_run_id = sqlite3_column_int64(st, 3);
    r->kind = col_text(st, 4);
    r->severity = col_text(st, 5);
    r->status = col_text(st, 6);
    r->note = col_text(st, 7);
    r->triaged_by = col_text(st, 8);
    r->before = col_real(st, 9);
    r->after = col_real(st, 10);
    r->change_pct = col_real(st, 11);
    r->p_value = col_real(st, 12);
    r->triaged_at = col_opt_int(st, 13, QB_TIME_NONE);
    r->detected_at = col_opt_int(st, 14, QB_TIME_NONE);
    r->active = sqlite3_column_int(st, 15);
    /* the series it belongs to, for display */
    r->series.id = r->series_id;
    r->series.project = col_text(st, 16);
    r->series.branch = col_text(st, 17);
    r->series.machine = col_text(st, 18);
    r->series.bench = col_text(st, 19);
    r->series.metric = col_text(st, 20);
    r->series.unit = col_text(st, 21);
    r->series.higher_is_better = sqlite3_column_int(st, 22) == QB_HIGHER_IS_BETTER;
    r->commit_sha = col_text(st, 23);
    r->prev_commit_sha = col_text(st, 24);
    r->time = sqlite3_column_int64(st, 25);
    r->gone_at = col_opt_int(st, 26, QB_TIME_NONE);
    r->superseded_by = sqlite3_column_int64(st, 27);
    if (!r->kind || !r->severity || !r->status || !r->series.bench) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "regressions", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_regressions_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_regression_triage(qb_store *base, int64_t id, const char *status, const char *note,
                                const char *who, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_REG_TRIAGE, &st, err);
  if (rc) return rc;
  b_text(st, ":status", status);
  b_text(st, ":note", note);
  b_text(st, ":who", who);
  b_int(st, ":now", qb_time_now());
  b_int(st, ":id", id);
  if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no regression with id %lld", (long long)id);
  return QB_OK;
}

/* ---- reports (migration 0008) ---------------------------------------------------------------- */

/* Insert the report row, then one item per change it listed as new. */
static int sq_report_add(qb_store *base, const qb_report_record *rec, const qb_report_item *items,
                         size_t n, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  int rc = sq_stmt(s, S_REPORT_ADD, &st, err);
  if (rc) return rc;
  b_text(st, ":project", rec->project ? rec->project : "");
  b_int(st, ":created", rec->created_at);
  b_opt_int(st, ":start", rec->window_start, INT64_MIN);
  b_int(st, ":max_id", rec->max_regression_id);
  b_opt_int(st, ":max_detected", rec->max_detected_at, INT64_MIN);
  b_int(st, ":n_reg", rec->new_regressions);
  b_int(st, ":n_imp", rec->new_improvements);
  b_text(st, ":format", rec->format);
  if ((rc = sq_step_insert(s, st, &id, err))) return rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = sq_stmt(s, S_REPORT_ITEM_ADD, &st, err))) return rc;
    b_int(st, ":report", id);
    b_int(st, ":regression", items[i].regression_id);
    b_int(st, ":series", items[i].series_id);
    b_int(st, ":run", items[i].run_id);
    b_text(st, ":kind", items[i].kind);
    b_text(st, ":severity", items[i].severity);
    if ((rc = sq_step_insert(s, st, NULL, err))) return rc;
  }
  if (out_id) *out_id = id;
  return QB_OK;
}

/* The newest report row of a scope ("" = every project). */
static int sq_report_last(qb_store *base, const char *project, qb_report_record *out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_REPORT_LAST, &st, err), step;
  memset(out, 0, sizeof *out);
  if (rc) return rc;
  b_text(st, ":project", project);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    out->project = col_text(st, 1);
    out->created_at = sqlite3_column_int64(st, 2);
    out->window_start = col_opt_int(st, 3, QB_TIME_NONE);
    out->max_regression_id = sqlite3_column_int64(st, 4);
    out->max_detected_at = col_opt_int(st, 5, QB_TIME_NONE);
    out->new_regressions = sqlite3_column_int64(st, 6);
    out->new_improvements = sqlite3_column_int64(st, 7);
    out->format = col_text(st, 8);
    if (!out->project) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  } else if (step == SQLITE_DONE) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no report recorded for %s%s",
                    *project ? "project " : "every project", project);
  } else {
    rc = sq_fail(s, QB_EINTERNAL, "report", err);
  }
  sqlite3_reset(st);
  if (rc) qb_report_record_dispose(out);
  return rc;
}

/* Every item of the reports of a scope. */
static int sq_report_items(qb_store *base, const char *project, qb_report_item **out, size_t *n_out,
                           qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_report_item *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_REPORT_ITEMS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_report_item *it = &arr[n++];
    memset(it, 0, sizeof *it);
    it->regression_id = sqlite3_column_int64(st, 0);
    it->series_id = sqlite3_column_int64(st, 1);
    it->run_id = sqlite3_column_int64(st, 2);
    const char *k = (const char *)sqlite3_column_text(st, 3);
    const char *v = (const char *)sqlite3_column_text(st, 4);
    snprintf(it->kind, sizeof it->kind, "%s", k ? k : "");
    snprintf(it->severity, sizeof it->severity, "%s", v ? v : "");
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "report items", err);
done:
  sqlite3_reset(st);
  if (rc) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

void sq_ops_regressions(qb_store_ops *ops) {
  ops->regressions_replace = sq_regressions_replace;
  ops->regressions_list = sq_regressions_list;
  ops->regression_triage = sq_regression_triage;
  ops->report_add = sq_report_add;
  ops->report_last = sq_report_last;
  ops->report_items = sq_report_items;
}

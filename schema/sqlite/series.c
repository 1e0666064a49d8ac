/* schema/sqlite/series.c - series, their points, detection markers, benchmark listings in
 * SQLite. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/samples.h"
#include "schema/sqlite/sq.h"

static int sq_bench_metrics(qb_store *base, const char *project, qb_bench_metric **out,
                            size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_bench_metric *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_BENCH_METRICS, &st, err), step;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_bench_metric *b = &arr[n++];
    b->project = col_text(st, 0);
    b->bench = col_text(st, 1);
    b->metric = col_text(st, 2);
    if (!b->project || !b->bench || !b->metric) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "benchmarks", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_bench_metrics_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Fill a series info from columns first.. of a row (id, project, branch, machine, bench,
 * metric, unit, direction). 0, or QB_ENOMEM. */
static int read_series(sqlite3_stmt *st, int first, qb_series_info *x, qb_err *err) {
  x->id = sqlite3_column_int64(st, first);
  x->project = col_text(st, first + 1);
  x->branch = col_text(st, first + 2);
  x->machine = col_text(st, first + 3);
  x->bench = col_text(st, first + 4);
  x->metric = col_text(st, first + 5);
  x->unit = col_text(st, first + 6);
  x->higher_is_better = sqlite3_column_int(st, first + 7) == QB_HIGHER_IS_BETTER;
  if (!x->project || !x->branch || !x->machine || !x->bench || !x->metric || !x->unit)
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int sq_series_list(qb_store *base, const qb_series_filter *f, qb_series_info **out,
                          size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_series_info *arr = NULL;
  size_t n = 0, cap = 0;
  /* the statement driven by the most selective filter given */
  int id = f->run_id                ? S_SERIES_OF_RUN
           : f->bench && f->project ? S_SERIES_BY_PROJECT_BENCH
           : f->bench               ? S_SERIES_BY_BENCH
           : f->branch              ? S_SERIES_BY_BRANCH
           : f->project             ? S_SERIES_BY_PROJECT
                                    : S_SERIES_LIST;
  int rc = sq_stmt(s, id, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":bench", f->bench);
  b_text(st, ":project", f->project);
  b_text(st, ":branch", f->branch);
  b_text(st, ":machine", f->machine);
  b_text(st, ":metric", f->metric);
  b_text(st, ":glob", f->bench_glob);
  if (f->run_id) b_int(st, ":run", f->run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    memset(&arr[n], 0, sizeof *arr);
    if ((rc = read_series(st, 0, &arr[n], err))) goto done;
    sqlite3_int64 an = sqlite3_column_int64(st, 8);
    arr[n].analysed_n = an > 0 ? (size_t)an : 0;
    arr[n].analysed_run = sqlite3_column_int64(st, 9);
    arr[n].analysed_time =
        sqlite3_column_type(st, 10) == SQLITE_NULL ? QB_TIME_NONE : sqlite3_column_int64(st, 10);
    if (sqlite3_column_type(st, 11) != SQLITE_NULL && !(arr[n].analysed_opts = col_text(st, 11))) {
      n++;
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    n++;
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_series_infos_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* The raw samples of a series' points, one point decoded at a time (qb_store_series_samples). */
static int sq_series_samples(qb_store *base, int64_t series_id, qb_point_samples_fn fn, void *ctx,
                             qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_SERIES_SAMPLES, &st, err), step;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
    double *v = NULL;
    size_t n = 0;
    if (!(rc = qb_samples_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                                 &v, NULL, &n, err)))
      rc = fn(ctx, sqlite3_column_int64(st, 0), v, n, err);
    free(v);
  }
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series samples", err);
  sqlite3_reset(st);
  return rc;
}

static int sq_series_points(qb_store *base, int64_t series_id, qb_series_point **out, size_t *n_out,
                            qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_series_point *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_SERIES_POINTS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_series_point *p = &arr[n++];
    p->run_id = sqlite3_column_int64(st, 0);
    p->commit_sha = col_text(st, 1);
    p->time = sqlite3_column_int64(st, 2);
    p->value = col_real(st, 3);
    p->ci_lo = col_real(st, 4);
    p->ci_hi = col_real(st, 5);
    p->n = col_opt_int(st, 6, -1);
    p->centre_kind = sqlite3_column_int(st, 7);
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series points", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_series_points_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_series_values(qb_store *base, int64_t series_id, int64_t **run_ids, double **values,
                            size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *ids = NULL;
  double *vals = NULL;
  size_t n = 0, cap = 0, cap2 = 0;
  int rc = sq_stmt(s, S_SERIES_VALUES, &st, err), step;
  *run_ids = NULL;
  *values = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&ids, &cap, n, sizeof *ids, err)) ||
        (rc = sq_grow((void **)&vals, &cap2, n, sizeof *vals, err)))
      goto done;
    ids[n] = sqlite3_column_int64(st, 0);
    vals[n++] = sqlite3_column_double(st, 1);
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series values", err);
done:
  sqlite3_reset(st);
  if (rc) {
    free(ids);
    free(vals);
    return rc;
  }
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  return QB_OK;
}

/* Order of qb_recent_point: series id, then series order (run_time, then run id). */
static int cmp_recent(const void *a, const void *b) {
  const qb_recent_point *x = a, *y = b;
  if (x->series_id != y->series_id) return x->series_id < y->series_id ? -1 : 1;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return (x->run_id > y->run_id) - (x->run_id < y->run_id);
}

static int sq_series_recent(qb_store *base, const char *project, const char *branch,
                            size_t per_series, qb_recent_point **out, size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_recent_point *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_SERIES_RECENT, &st, err), step;
  if (rc) return rc;
  b_text(st, ":project", project);
  b_text(st, ":branch", branch);
  b_int(st, ":limit", per_series > INT32_MAX ? INT32_MAX : (int64_t)per_series);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    arr[n++] = (qb_recent_point){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                 sqlite3_column_int64(st, 2), col_real(st, 3),
                                 sqlite3_column_int64(st, 4)};
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "recent points", err);
  /* the statement's plan gives this order (no ORDER BY: see S_SERIES_RECENT); made sure of */
  for (size_t i = 1; !rc && i < n; i++)
    if (cmp_recent(&arr[i - 1], &arr[i]) > 0) {
      qsort(arr, n, sizeof *arr, cmp_recent);
      break;
    }
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

static int sq_series_changes(qb_store *base, int64_t series_id, qb_stored_change **out,
                             size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_stored_change *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_SERIES_CHANGES, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    arr[n++] = (qb_stored_change){sqlite3_column_int64(st, 0),
                                  sqlite3_column_int64(st, 1),
                                  col_real(st, 2),
                                  col_real(st, 3),
                                  col_real(st, 4),
                                  col_real(st, 5),
                                  sqlite3_column_int64(st, 6)};
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series changes", err);
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

static int sq_series_analysed(qb_store *base, int64_t series_id, size_t n, int64_t last_run,
                              int64_t last_time, const char *opts, int *updated, qb_err *err) {
  sq_store *s = SQ(base);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_SERIES_ANALYSED, &st, err);
  *updated = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":n", (int64_t)n);
  b_int(st, ":run", last_run);
  b_opt_int(st, ":time", last_time, INT64_MIN);
  b_text(st, ":opts", opts);
  if (sqlite3_step(st) != SQLITE_DONE)
    rc = sq_fail(s, QB_EINTERNAL, "series analysed", err);
  else
    *updated = sqlite3_changes(s->db) > 0;
  sqlite3_reset(st);
  return rc;
}

static int sq_point_time(qb_store *base, int64_t series_id, int64_t run, int64_t *time,
                         qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_POINT_TIME, &st, err), step;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":run", run);
  if ((step = sqlite3_step(st)) == SQLITE_ROW)
    *time = sqlite3_column_int64(st, 0);
  else if (step == SQLITE_DONE)
    rc = qb_err_set(err, QB_ENOTFOUND, "run %lld has no point in series %lld", (long long)run,
                    (long long)series_id);
  else
    rc = sq_fail(s, QB_EINTERNAL, "point time", err);
  sqlite3_reset(st);
  return rc;
}

/* Run one of the series-point queries (bound already) and append its rows (run_id, value,
 * run_time) to ids/vals; *time: the run_time of the last row read (untouched when none). */
static int read_points(sq_store *s, sqlite3_stmt *st, int64_t **ids, double **vals, size_t *n,
                       size_t *cap, size_t *cap2, int64_t *time, qb_err *err) {
  int rc = QB_OK, step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)ids, cap, *n, sizeof **ids, err)) ||
        (rc = sq_grow((void **)vals, cap2, *n, sizeof **vals, err)))
      break;
    (*ids)[*n] = sqlite3_column_int64(st, 0);
    (*vals)[(*n)++] = sqlite3_column_double(st, 1);
    *time = sqlite3_column_int64(st, 2);
  }
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series points", err);
  sqlite3_reset(st);
  return rc;
}

static int sq_series_tail(qb_store *base, int64_t series_id, int64_t time, int64_t run,
                          size_t n_before, int64_t **run_ids, double **values, size_t *n_out,
                          size_t *n_got_before, int64_t *last_time, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *ids = NULL;
  double *vals = NULL;
  size_t n = 0, cap = 0, cap2 = 0;
  int64_t newest = QB_TIME_NONE, t = QB_TIME_NONE;
  *run_ids = NULL;
  *values = NULL;
  *n_out = *n_got_before = 0;
  *last_time = QB_TIME_NONE;
  int rc = sq_stmt(s, S_SERIES_BEFORE, &st, err);
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":time", time);
  b_int(st, ":run", run);
  b_int(st, ":limit", n_before > INT64_MAX ? INT64_MAX : (int64_t)n_before);
  if ((rc = read_points(s, st, &ids, &vals, &n, &cap, &cap2, &t, err))) goto done;
  /* newest first: into series order; the newest is the first row read */
  for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
    int64_t ti = ids[i];
    ids[i] = ids[j];
    ids[j] = ti;
    double tv = vals[i];
    vals[i] = vals[j];
    vals[j] = tv;
  }
  *n_got_before = n;
  if ((rc = sq_stmt(s, S_SERIES_AFTER, &st, err))) goto done;
  b_int(st, ":series", series_id);
  b_int(st, ":time", time);
  b_int(st, ":run", run);
  size_t before = n;
  if ((rc = read_points(s, st, &ids, &vals, &n, &cap, &cap2, &t, err))) goto done;
  if (n > before)
    newest = t;
  else if (n) /* no point after the marker: the last is the marker's own (at `time`) */
    newest = time;
done:
  if (rc) {
    free(ids);
    free(vals);
    *n_got_before = 0;
    return rc;
  }
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  *last_time = newest;
  return QB_OK;
}

void sq_ops_series(qb_store_ops *ops) {
  ops->bench_metrics = sq_bench_metrics;
  ops->series_list = sq_series_list;
  ops->series_points = sq_series_points;
  ops->series_samples = sq_series_samples;
  ops->series_values = sq_series_values;
  ops->series_recent = sq_series_recent;
  ops->series_changes = sq_series_changes;
  ops->series_analysed = sq_series_analysed;
  ops->series_tail = sq_series_tail;
  ops->point_time = sq_point_time;
}

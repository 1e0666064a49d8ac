/* schema/postgres/series.c - series, their points and histories, detection markers, benchmark
 * listings in PostgreSQL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/time.h"
#include "schema/postgres/pg.h"
#include "schema/samples.h"

/* A zeroed array of n elements of size elem for the rows of a result (NULL when n is 0). */
static int rows_alloc(void **arr, size_t n, size_t elem, qb_err *err) {
  *arr = NULL;
  if (!n) return QB_OK;
  if (!(*arr = calloc(n, elem))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int pg_bench_metrics(qb_store *base, const char *project, qb_bench_metric **out,
                            size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  qb_bench_metric *arr = NULL;
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_SER_BENCH_METRICS);
  pg_text(&q, ":project", project);
  int rc = pg_run(&q, "benchmarks", &r, err), oom = 0;
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = rows_alloc((void **)&arr, n, sizeof *arr, err)))
    for (size_t i = 0; i < n; i++) {
      arr[i].project = pg_col_dup(s, r, (int)i, 0, &oom);
      arr[i].bench = pg_col_dup(s, r, (int)i, 1, &oom);
      arr[i].metric = pg_col_dup(s, r, (int)i, 2, &oom);
    }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) {
    qb_bench_metrics_free(arr, arr ? n : 0);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int pg_series_list(qb_store *base, const qb_series_filter *f, qb_series_info **out,
                          size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  qb_series_info *arr = NULL;
  char *glob = NULL;
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  /* the statement driven by the most selective filter given */
  int id = f->run_id                ? P_SER_OF_RUN
           : f->bench && f->project ? P_SER_BY_PROJECT_BENCH
           : f->bench               ? P_SER_BY_BENCH
           : f->branch              ? P_SER_BY_BRANCH
           : f->project             ? P_SER_BY_PROJECT
                                    : P_SER_LIST;
  if (f->bench_glob && !(glob = pg_glob_regex(f->bench_glob)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  pg_q_init(&q, s, id);
  /* the optional filters make a prepared plan that suits every filter and none: planned for
   * the filters given (bench_pg.sh: the series of a run read every series of the database) */
  q.replan = 1;
  pg_text(&q, ":bench", f->bench);
  pg_text(&q, ":project", f->project);
  pg_text(&q, ":branch", f->branch);
  pg_text(&q, ":machine", f->machine);
  pg_text(&q, ":metric", f->metric);
  pg_text(&q, ":glob", glob);
  if (f->run_id) pg_int(&q, ":run", f->run_id);
  int rc = pg_run(&q, "series", &r, err), oom = 0;
  free(glob);
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = rows_alloc((void **)&arr, n, sizeof *arr, err)))
    for (size_t i = 0; i < n; i++) {
      qb_series_info *x = &arr[i];
      int row = (int)i;
      x->id = pg_col_int(s, r, row, 0);
      x->project = pg_col_dup(s, r, row, 1, &oom);
      x->branch = pg_col_dup(s, r, row, 2, &oom);
      x->machine = pg_col_dup(s, r, row, 3, &oom);
      x->bench = pg_col_dup(s, r, row, 4, &oom);
      x->metric = pg_col_dup(s, r, row, 5, &oom);
      x->unit = pg_col_dup(s, r, row, 6, &oom);
      x->higher_is_better = pg_col_int(s, r, row, 7) == QB_HIGHER_IS_BETTER;
      int64_t an = pg_col_int(s, r, row, 8);
      x->analysed_n = an > 0 ? (size_t)an : 0;
      x->analysed_run = pg_col_int(s, r, row, 9);
      x->analysed_time = pg_col_time(s, r, row, 10);
      x->analysed_opts = pg_col_dup(s, r, row, 11, &oom);
    }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) {
    qb_series_infos_free(arr, arr ? n : 0);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* The raw samples of a series' points, one point decoded at a time (qb_store_series_samples). */
static int pg_series_samples(qb_store *base, int64_t series_id, qb_point_samples_fn fn, void *ctx,
                             qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_SER_SAMPLES);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "series samples", &r, err);
  if (rc) return rc;
  for (int i = 0, n = s->pq->ntuples(r); i < n && !rc; i++) {
    size_t len, ns = 0;
    const void *data = pg_col_blob(s, r, i, 1, &len);
    double *v = NULL;
    if (!(rc = qb_samples_decode(data, len, &v, NULL, &ns, err)))
      rc = fn(ctx, pg_col_int(s, r, i, 0), v, ns, err);
    free(v);
  }
  s->pq->clear(r);
  return rc;
}

static int pg_series_points(qb_store *base, int64_t series_id, qb_series_point **out, size_t *n_out,
                            qb_err *err) {
  pg_store *s = PG(base);
  qb_series_point *arr = NULL;
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_SER_POINTS);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "series points", &r, err), oom = 0;
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = rows_alloc((void **)&arr, n, sizeof *arr, err)))
    for (size_t i = 0; i < n; i++) {
      qb_series_point *p = &arr[i];
      int row = (int)i;
      p->run_id = pg_col_int(s, r, row, 0);
      p->commit_sha = pg_col_dup(s, r, row, 1, &oom);
      p->time = pg_col_int(s, r, row, 2);
      p->value = pg_col_real(s, r, row, 3);
      p->ci_lo = pg_col_real(s, r, row, 4);
      p->ci_hi = pg_col_real(s, r, row, 5);
      p->n = pg_isnull(s, r, row, 6) ? -1 : pg_col_int(s, r, row, 6);
      p->centre_kind = (int)pg_col_int(s, r, row, 7);
    }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) {
    qb_series_points_free(arr, arr ? n : 0);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Allocate *ids and *vals for n points (both NULL when n is 0). */
static int points_alloc(size_t n, int64_t **ids, double **vals, qb_err *err) {
  *ids = NULL;
  *vals = NULL;
  if (!n) return QB_OK;
  *ids = malloc(n * sizeof **ids);
  *vals = malloc(n * sizeof **vals);
  if (*ids && *vals) return QB_OK;
  free(*ids);
  free(*vals);
  *ids = NULL;
  *vals = NULL;
  return qb_err_set(err, QB_ENOMEM, "out of memory");
}

static int pg_series_values(qb_store *base, int64_t series_id, int64_t **run_ids, double **values,
                            size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  int64_t *ids;
  double *vals;
  pg_q q;
  PGresult *r;
  *run_ids = NULL;
  *values = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_SER_VALUES);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "series values", &r, err);
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = points_alloc(n, &ids, &vals, err)))
    for (size_t i = 0; i < n; i++) {
      ids[i] = pg_col_int(s, r, (int)i, 0);
      vals[i] = pg_col_real(s, r, (int)i, 1);
    }
  s->pq->clear(r);
  if (rc) return rc;
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  return QB_OK;
}

static int pg_series_recent(qb_store *base, const char *project, const char *branch,
                            size_t per_series, qb_recent_point **out, size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  qb_recent_point *arr = NULL;
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_SER_RECENT);
  pg_text(&q, ":project", project);
  pg_text(&q, ":branch", branch);
  pg_int(&q, ":limit", per_series > INT32_MAX ? INT32_MAX : (int64_t)per_series);
  int rc = pg_run(&q, "recent points", &r, err);
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = rows_alloc((void **)&arr, n, sizeof *arr, err)))
    for (size_t i = 0; i < n; i++) {
      int row = (int)i;
      arr[i] = (qb_recent_point){pg_col_int(s, r, row, 0), pg_col_int(s, r, row, 1),
                                 pg_col_int(s, r, row, 2), pg_col_real(s, r, row, 3),
                                 pg_col_int(s, r, row, 4)};
    }
  s->pq->clear(r);
  if (rc) return rc;
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int pg_series_changes(qb_store *base, int64_t series_id, qb_stored_change **out,
                             size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  qb_stored_change *arr = NULL;
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_SER_CHANGES);
  pg_int(&q, ":series", series_id);
  int rc = pg_run(&q, "series changes", &r, err);
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r);
  if (!(rc = rows_alloc((void **)&arr, n, sizeof *arr, err)))
    for (size_t i = 0; i < n; i++) {
      int row = (int)i;
      arr[i] = (qb_stored_change){pg_col_int(s, r, row, 0),  pg_col_int(s, r, row, 1),
                                  pg_col_real(s, r, row, 2), pg_col_real(s, r, row, 3),
                                  pg_col_real(s, r, row, 4), pg_col_real(s, r, row, 5),
                                  pg_col_int(s, r, row, 6)};
    }
  s->pq->clear(r);
  if (rc) return rc;
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* One conditional UPDATE: the row lock orders it after a concurrent one, whose outcome its
 * condition is then checked on (the detection that got further wins). */
static int pg_series_analysed(qb_store *base, int64_t series_id, size_t n, int64_t last_run,
                              int64_t last_time, const char *opts, int *updated, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  int64_t changed = 0;
  *updated = 0;
  pg_q_init(&q, s, P_SER_ANALYSED);
  pg_int(&q, ":series", series_id);
  pg_int(&q, ":n", n > INT64_MAX ? INT64_MAX : (int64_t)n);
  pg_int(&q, ":run", last_run);
  pg_opt_time(&q, ":time", last_time);
  pg_text(&q, ":opts", opts);
  int rc = pg_do(&q, "series analysed", &changed, err);
  if (!rc) *updated = changed > 0;
  return rc;
}

static int pg_point_time(qb_store *base, int64_t series_id, int64_t run, int64_t *time,
                         qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  int found = 0;
  pg_q_init(&q, s, P_SER_POINT_TIME);
  pg_int(&q, ":series", series_id);
  pg_int(&q, ":run", run);
  int rc = pg_one(&q, "point time", time, &found, err);
  if (!rc && !found)
    rc = qb_err_set(err, QB_ENOTFOUND, "run %lld has no point in series %lld", (long long)run,
                    (long long)series_id);
  return rc;
}

static int pg_series_tail(qb_store *base, int64_t series_id, int64_t time, int64_t run,
                          size_t n_before, int64_t **run_ids, double **values, size_t *n_out,
                          size_t *n_got_before, int64_t *last_time, qb_err *err) {
  pg_store *s = PG(base);
  int64_t *ids;
  double *vals;
  pg_q q;
  PGresult *r;
  *run_ids = NULL;
  *values = NULL;
  *n_out = *n_got_before = 0;
  *last_time = QB_TIME_NONE;
  pg_q_init(&q, s, P_SER_TAIL);
  pg_int(&q, ":series", series_id);
  pg_int(&q, ":time", time);
  pg_int(&q, ":run", run);
  pg_int(&q, ":limit", n_before > INT64_MAX ? INT64_MAX : (int64_t)n_before);
  int rc = pg_run(&q, "series points", &r, err);
  if (rc) return rc;
  size_t n = (size_t)s->pq->ntuples(r), before = 0;
  int64_t newest = QB_TIME_NONE;
  if (!(rc = points_alloc(n, &ids, &vals, err))) {
    for (size_t i = 0; i < n; i++) {
      int row = (int)i;
      if (!pg_col_int(s, r, row, 0)) before++;
      ids[i] = pg_col_int(s, r, row, 1);
      vals[i] = pg_col_real(s, r, row, 2);
    }
    if (n > before) /* the last point after the marker */
      newest = pg_col_int(s, r, (int)n - 1, 3);
    else if (n) /* no point after the marker: the last is the marker's own (at `time`) */
      newest = time;
  }
  s->pq->clear(r);
  if (rc) return rc;
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  *n_got_before = before;
  *last_time = newest;
  return QB_OK;
}

/* Hold the advisory locks of series ids[0..n) (qb_store_series_lock). */
static int pg_series_lock(qb_store *base, const int64_t *ids, size_t n, qb_err *err) {
  pg_store *s = PG(base);
  size_t cap = 3 + n * 21, at = 0; /* "{", ids with commas, "}", NUL */
  char *a = malloc(cap);
  if (!a) return qb_err_set(err, QB_ENOMEM, "out of memory");
  a[at++] = '{';
  for (size_t i = 0; i < n; i++)
    at += (size_t)snprintf(a + at, cap - at, "%s%lld", i ? "," : "", (long long)ids[i]);
  snprintf(a + at, cap - at, "}");
  pg_q q;
  int64_t got;
  pg_q_init(&q, s, P_SERIES_LOCK);
  pg_text(&q, ":ids", a);
  int rc = pg_one(&q, "lock series", &got, NULL, err);
  free(a);
  return rc;
}

static void pg_series_unlock(qb_store *base) {
  pg_q q;
  pg_q_init(&q, PG(base), P_SERIES_UNLOCK);
  pg_do(&q, "unlock series", NULL, NULL); /* a lost connection released them anyway */
}

void pg_ops_series(qb_store_ops *ops) {
  ops->series_lock = pg_series_lock;
  ops->series_unlock = pg_series_unlock;
  ops->bench_metrics = pg_bench_metrics;
  ops->series_list = pg_series_list;
  ops->series_points = pg_series_points;
  ops->series_samples = pg_series_samples;
  ops->series_values = pg_series_values;
  ops->series_recent = pg_series_recent;
  ops->series_changes = pg_series_changes;
  ops->series_analysed = pg_series_analysed;
  ops->series_tail = pg_series_tail;
  ops->point_time = pg_point_time;
}

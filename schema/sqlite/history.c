/* schema/sqlite/history.c - the histories of a run's series (noise model) and a run's points
 * (detection after an upload) in SQLite. */
#include <stdlib.h>
#include <string.h>

#include "schema/sqlite/sq.h"

/* ---- marks ---------------------------------------------------------------------------------- */

/* Mark pts[0..n) (history points of run_id's series) with the active change points stored now:
 * one statement for every series of the run. */
static int history_marks(sq_store *s, int64_t run_id, qb_history_point *pts, size_t n,
                         qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_HISTORY_CHANGES, &st, err), step;
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) pts[i].change = 0;
  b_int(st, ":head", run_id);
  size_t at = 0; /* the points are grouped by series; the rows come by series id */
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t series = sqlite3_column_int64(st, 0), run = sqlite3_column_int64(st, 1);
    if (at >= n || pts[at].series_id != series) /* find the series' first point */
      for (at = 0; at < n && pts[at].series_id != series; at++) {
      }
    for (size_t i = at; i < n && pts[i].series_id == series; i++)
      pts[i].change |= pts[i].run_id == run;
  }
  sqlite3_reset(st);
  return step == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, "history", err);
}

static int sq_history_marks(qb_store *base, int64_t run_id, qb_history_point *pts, size_t n,
                            qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  return history_marks(s, run_id, pts, n, err);
}

/* ---- history -------------------------------------------------------------------------------- */

/* Append to *arr the at most per_series points of series (bench and metric names owned by its first
 * point: taken) up to (t, run), newest first, read with S_HISTORY_SERIES. */
static int history_series(sq_store *s, int64_t series, int64_t run, int64_t t, int per_series,
                          char *bench, char *metric, qb_history_point **arr, size_t *n, size_t *cap,
                          qb_err *err) {
  sqlite3_stmt *pt = NULL;
  int rc = sq_stmt(s, S_HISTORY_SERIES, &pt, err), ps;
  if (rc) {
    free(bench);
    free(metric);
    return rc;
  }
  b_int(pt, ":series", series);
  b_int(pt, ":run", run);
  b_int(pt, ":t", t);
  b_int(pt, ":limit", per_series);
  int first = 1;
  while ((ps = sqlite3_step(pt)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)arr, cap, *n, sizeof **arr, err))) break;
    qb_history_point *h = &(*arr)[(*n)++];
    h->owns = first;
    h->bench = bench;
    h->metric = metric;
    first = 0;
    h->run_id = sqlite3_column_int64(pt, 0);
    h->started_at = sqlite3_column_int64(pt, 1);
    h->median = col_real(pt, 2);
    h->mean = col_real(pt, 3);
    h->estimate = col_real(pt, 4);
    h->change = 0;
    h->series_id = series;
  }
  sqlite3_reset(pt);
  if (first) { /* no point took the names */
    free(bench);
    free(metric);
  }
  if (rc) return rc;
  return ps == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, "history", err);
}

/* A series of the run a history is read for (a row of S_HISTORY_HEAD). */
typedef struct history_head {
  int64_t series, time, pred; /* pred: the run of the point before (0: none) */
  double median, mean, estimate;
  char *bench, *metric;
} history_head;

static int sq_history(qb_store *base, int64_t run_id, int per_series, qb_history_lookup lookup,
                      void *ctx, int64_t *generation, qb_history_point **out, size_t *n_out,
                      qb_err *err) {
  /* the run's series (with its own point and the run before it in each, when a kept history may
   * serve), then each series' points: from the kept history of the run before, or a backwards
   * range scan of the covering index result_series_time: O(series x per_series), whatever the
   * length of the history; all in one read transaction */
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_history_point *arr = NULL, *prev = NULL;
  history_head *heads = NULL;
  size_t n = 0, cap = 0, n_heads = 0, cap_heads = 0, n_prev = 0;
  int64_t gen = 0;
  int rc, step, own_txn = sqlite3_get_autocommit(s->db);
  *out = NULL;
  *n_out = 0;
  if (own_txn && (rc = sq_exec(s, "BEGIN DEFERRED", err))) return rc;
  if ((rc = sq_stmt(s, S_GENERATION, &st, err))) goto done;
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = sq_fail(s, QB_EINTERNAL, "generation", err);
    goto done;
  }
  gen = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if ((rc = sq_stmt(s, lookup ? S_HISTORY_HEAD : S_HISTORY, &st, err))) goto done;
  b_int(st, ":head", run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&heads, &cap_heads, n_heads, sizeof *heads, err))) goto done;
    history_head *h = &heads[n_heads++];
    memset(h, 0, sizeof *h);
    h->series = sqlite3_column_int64(st, 0);
    h->time = sqlite3_column_int64(st, 3);
    if (lookup) {
      h->median = col_real(st, 4);
      h->mean = col_real(st, 5);
      h->estimate = col_real(st, 6);
      h->pred = sqlite3_column_int64(st, 7); /* NULL: 0 */
    }
    if (!(h->bench = col_text(st, 1)) || !(h->metric = col_text(st, 2))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  sqlite3_reset(st);
  if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "history", err);
    goto done;
  }
  /* the run before, in the first series that has one (an upload's series usually share it) */
  int64_t pred = 0;
  for (size_t i = 0; i < n_heads && !pred; i++) pred = heads[i].pred;
  if (pred && !lookup(ctx, pred, per_series, gen, &prev, &n_prev)) prev = NULL, n_prev = 0;
  size_t at = 0; /* prev's series come in the same order (benchmark, metric) */
  for (size_t i = 0; i < n_heads; i++) {
    history_head *h = &heads[i];
    const qb_history_point *from = NULL;
    size_t k = 0;
    if (prev && h->pred == pred) {
      while (at < n_prev &&
             (strcmp(prev[at].bench, h->bench) < 0 ||
              (!strcmp(prev[at].bench, h->bench) && strcmp(prev[at].metric, h->metric) < 0)))
        at++;
      for (size_t j = at; j < n_prev && prev[j].series_id == h->series; j++) k++;
      /* the kept series, if its newest point is the one just before */
      if (k && prev[at].run_id == pred) from = &prev[at];
    }
    char *bench = h->bench, *metric = h->metric;
    h->bench = h->metric = NULL; /* taken by the points */
    if (!from) {
      if ((rc = history_series(s, h->series, run_id, h->time, per_series, bench, metric, &arr, &n,
                               &cap, err)))
        goto done;
      continue;
    }
    for (size_t j = 0; j < k + 1 && (int)j < per_series; j++) {
      if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) {
        if (!j) {
          free(bench);
          free(metric);
        }
        goto done;
      }
      qb_history_point *p = &arr[n++];
      if (j == 0) /* the run's own point */
        *p = (qb_history_point){bench,   metric,      run_id, h->time, h->median,
                                h->mean, h->estimate, 0,      1,       h->series};
      else
        *p = (qb_history_point){bench,
                                metric,
                                from[j - 1].run_id,
                                from[j - 1].started_at,
                                from[j - 1].median,
                                from[j - 1].mean,
                                from[j - 1].estimate,
                                0,
                                0,
                                h->series};
    }
  }
  rc = history_marks(s, run_id, arr, n, err);
done:
  if (st) sqlite3_reset(st);
  if (own_txn) {
    if (rc)
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
      rc = sq_exec(s, "COMMIT", err);
  }
  for (size_t i = 0; i < n_heads; i++) {
    free(heads[i].bench);
    free(heads[i].metric);
  }
  free(heads);
  qb_history_free(prev, n_prev);
  if (rc) {
    qb_history_free(arr, n);
    return rc;
  }
  if (generation) *generation = gen;
  *out = arr; /* in order: series by name and metric (S_HISTORY), each newest first */
  *n_out = n;
  return QB_OK;
}

/* ---- run points ----------------------------------------------------------------------------- */

static int sq_run_points(qb_store *base, int64_t run_id, qb_run_point **out, size_t *n_out,
                         qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_run_point *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_RUN_POINTS, &st, err), step;
  if (rc) return rc;
  b_int(st, ":run", run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) break;
    arr[n++] =
        (qb_run_point){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), col_real(st, 2),
                       sqlite3_column_int64(st, 3), sqlite3_column_int(st, 4)};
  }
  sqlite3_reset(st);
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "run points", err);
  if (rc) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

void sq_ops_history(qb_store_ops *ops) {
  ops->history = sq_history;
  ops->history_marks = sq_history_marks;
  ops->run_points = sq_run_points;
}

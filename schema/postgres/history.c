/* schema/postgres/history.c - the histories of a run's series (noise model) and a run's points
 * (detection after an upload) in PostgreSQL.
 *
 * These run on every upload, so each call costs a fixed number of statements whatever the run's
 * series: a history is the run's series (with their change points), then the points of every
 * series a kept history does not serve, in one statement. */
#include <stdlib.h>
#include <string.h>

#include "schema/postgres/pg.h"

/* ---- marks ---------------------------------------------------------------------------------- */

/* Mark the points of series (grouped by series in pts[0..n)) that begin at run: *at remembers
 * where the last series was found. */
static void mark(qb_history_point *pts, size_t n, int64_t series, int64_t run, size_t *at) {
  if (*at >= n || pts[*at].series_id != series) /* find the series' first point */
    for (*at = 0; *at < n && pts[*at].series_id != series; (*at)++) {
    }
  for (size_t i = *at; i < n && pts[i].series_id == series; i++)
    pts[i].change |= pts[i].run_id == run;
}

static int pg_history_marks(qb_store *base, int64_t run_id, qb_history_point *pts, size_t n,
                            qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_HISTORY_CHANGES);
  pg_int(&q, ":head", run_id);
  int rc = pg_run(&q, "history", &r, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) pts[i].change = 0;
  size_t at = 0; /* the rows come by series id */
  for (int i = 0, rows = s->pq->ntuples(r); i < rows; i++)
    mark(pts, n, pg_col_int(s, r, i, 0), pg_col_int(s, r, i, 1), &at);
  s->pq->clear(r);
  return QB_OK;
}

/* ---- history -------------------------------------------------------------------------------- */

/* A series of the run a history is read for (a row of P_HISTORY_HEAD). */
typedef struct history_head {
  int64_t series, time, pred; /* pred: the run of the point before (0: none) */
  double median, mean, estimate;
  char *bench, *metric;         /* owned until the series' first point takes them */
  char *changes;                /* the runs where an active change point begins: "id,id,..." */
  const qb_history_point *from; /* the kept points after the run's own (NULL: read them) */
  size_t k;                     /* how many */
} history_head;

/* The run's series in heads[0..*n) (by benchmark and metric) and the data generation, read with
 * P_HISTORY_HEAD; with_pred: also the run of each series' point before the run's. */
static int history_heads(pg_store *s, int64_t run_id, int with_pred, history_head **heads,
                         size_t *n, int64_t *gen, qb_err *err) {
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_HISTORY_HEAD);
  pg_int(&q, ":head", run_id);
  pg_text(&q, ":pred", with_pred ? "true" : "false");
  int rc = pg_run(&q, "history", &r, err), oom = 0;
  if (rc) return rc;
  int rows = s->pq->ntuples(r);
  if (rows < 1) { /* the statement always gives a row */
    s->pq->clear(r);
    return qb_err_set(err, QB_EINTERNAL, "%s: history: no data generation", s->where);
  }
  *gen = pg_col_int(s, r, 0, 0);
  if (pg_isnull(s, r, 0, 1)) { /* the run has no results (or does not exist) */
    s->pq->clear(r);
    return QB_OK;
  }
  if (!(*heads = calloc((size_t)rows, sizeof **heads))) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < rows; i++) {
    history_head *h = &(*heads)[(*n)++];
    h->series = pg_col_int(s, r, i, 1);
    h->bench = pg_col_dup(s, r, i, 2, &oom);
    h->metric = pg_col_dup(s, r, i, 3, &oom);
    h->time = pg_col_int(s, r, i, 4); /* NULL: 0, as SQLite reads it */
    h->median = pg_col_real(s, r, i, 5);
    h->mean = pg_col_real(s, r, i, 6);
    h->estimate = pg_col_real(s, r, i, 7);
    h->pred = pg_col_int(s, r, i, 8); /* NULL: 0 */
    h->changes = pg_col_dup(s, r, i, 9, &oom);
  }
  s->pq->clear(r);
  return oom ? qb_err_set(err, QB_ENOMEM, "out of memory") : QB_OK;
}

/* The points of the series of heads[0..n) that no kept history serves, read with
 * P_HISTORY_POINTS: rows (ordinal among those series, 1 on; run, time, median, mean, estimate),
 * by series then newest first. *r is NULL when every series is served. */
static int history_series(pg_store *s, int64_t run_id, int per_series, const history_head *heads,
                          size_t n, PGresult **r, qb_err *err) {
  size_t m = 0;
  *r = NULL;
  for (size_t i = 0; i < n; i++) m += !heads[i].from;
  if (!m) return QB_OK;
  char *series = malloc(m * 21 + 3), *times = malloc(m * 21 + 3); /* "{n,n,...}" */
  if (!series || !times) {
    free(series);
    free(times);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  char *ps = series, *pt = times;
  *ps++ = '{';
  *pt++ = '{';
  for (size_t i = 0; i < n; i++) {
    if (heads[i].from) continue;
    const char *sep = ps - series > 1 ? "," : "";
    ps += sprintf(ps, "%s%lld", sep, (long long)heads[i].series);
    pt += sprintf(pt, "%s%lld", sep, (long long)heads[i].time);
  }
  strcpy(ps, "}");
  strcpy(pt, "}");
  pg_q q;
  pg_q_init(&q, s, P_HISTORY_POINTS);
  pg_text(&q, ":series", series);
  pg_text(&q, ":times", times);
  pg_int(&q, ":run", run_id);
  pg_opt_count(&q, ":limit", per_series); /* negative: every point, as SQLite's LIMIT -1 */
  int rc = pg_run(&q, "history", r, err);
  free(series);
  free(times);
  return rc;
}

/* Serve what heads can from prev[0..n_prev), the kept history of run pred: a series whose point
 * before the run's is pred's, and whose kept points begin with pred's own. */
static void history_serve(history_head *heads, size_t n, int64_t pred, const qb_history_point *prev,
                          size_t n_prev) {
  size_t at = 0; /* prev's series come in the same order (benchmark, metric) */
  for (size_t i = 0; i < n; i++) {
    history_head *h = &heads[i];
    size_t k = 0;
    if (h->pred != pred) continue;
    while (at < n_prev &&
           (strcmp(prev[at].bench, h->bench) < 0 ||
            (!strcmp(prev[at].bench, h->bench) && strcmp(prev[at].metric, h->metric) < 0)))
      at++;
    for (size_t j = at; j < n_prev && prev[j].series_id == h->series; j++) k++;
    if (k && prev[at].run_id == pred) {
      h->from = &prev[at];
      h->k = k;
    }
  }
}

static int pg_history(qb_store *base, int64_t run_id, int per_series, qb_history_lookup lookup,
                      void *ctx, int64_t *generation, qb_history_point **out, size_t *n_out,
                      qb_err *err) {
  /* the run's series (with its own point, the run before it in each when a kept history may
   * serve, and the change points), then the points of every series the kept history of the run
   * before does not serve, in one statement of a backwards range scan of result_series_time per
   * series: O(series x per_series), whatever the length of the history; in one snapshot */
  pg_store *s = PG(base);
  qb_history_point *arr = NULL, *prev = NULL;
  history_head *heads = NULL;
  PGresult *pts = NULL;
  size_t n = 0, n_heads = 0, n_prev = 0;
  int64_t gen = 0;
  int began, rc;
  *out = NULL;
  *n_out = 0;
  if ((rc = pg_tx_begin_read(s, &began, err))) return rc;
  if ((rc = history_heads(s, run_id, lookup != NULL, &heads, &n_heads, &gen, err))) goto done;
  /* the run before, in the first series that has one (an upload's series usually share it) */
  int64_t pred = 0;
  for (size_t i = 0; lookup && i < n_heads && !pred; i++) pred = heads[i].pred;
  if (pred && !lookup(ctx, pred, per_series, gen, &prev, &n_prev)) prev = NULL, n_prev = 0;
  if (prev) history_serve(heads, n_heads, pred, prev, n_prev);
  if ((rc = history_series(s, run_id, per_series, heads, n_heads, &pts, err))) goto done;
  /* the points: each series' own from the kept history (the run's point, then the kept ones) or
   * from the rows read, in the order of heads */
  int rows = pts ? s->pq->ntuples(pts) : 0, row = 0;
  size_t cap = (size_t)rows;
  for (size_t i = 0; i < n_heads; i++)
    if (heads[i].from && per_series > 0)
      cap += heads[i].k + 1 < (size_t)per_series ? heads[i].k + 1 : (size_t)per_series;
  if (cap && !(arr = calloc(cap, sizeof *arr))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  int64_t ord = 0;
  for (size_t i = 0; i < n_heads; i++) {
    history_head *h = &heads[i];
    size_t first = n;
    if (h->from) {
      for (size_t j = 0; j < h->k + 1 && (int)j < per_series; j++) {
        qb_history_point *p = &arr[n++];
        if (j == 0) /* the run's own point */
          *p = (qb_history_point){h->bench, h->metric,   run_id, h->time, h->median,
                                  h->mean,  h->estimate, 0,      0,       h->series};
        else
          *p = (qb_history_point){h->bench,
                                  h->metric,
                                  h->from[j - 1].run_id,
                                  h->from[j - 1].started_at,
                                  h->from[j - 1].median,
                                  h->from[j - 1].mean,
                                  h->from[j - 1].estimate,
                                  0,
                                  0,
                                  h->series};
      }
    } else {
      for (ord++; row < rows && pg_col_int(s, pts, row, 0) == ord; row++)
        arr[n++] = (qb_history_point){h->bench,
                                      h->metric,
                                      pg_col_int(s, pts, row, 1),
                                      pg_col_int(s, pts, row, 2),
                                      pg_col_real(s, pts, row, 3),
                                      pg_col_real(s, pts, row, 4),
                                      pg_col_real(s, pts, row, 5),
                                      0,
                                      0,
                                      h->series};
    }
    /* the change points (as qb_store_history_marks marks them) */
    for (const char *c = h->changes; c && *c; c += *c == ',') {
      char *end;
      long long run = strtoll(c, &end, 10);
      if (end == c) break; /* not a number: never from the statement */
      for (size_t j = first; j < n; j++) arr[j].change |= arr[j].run_id == run;
      c = end;
    }
    if (n > first) { /* the series' first point owns the names */
      arr[first].owns = 1;
      h->bench = h->metric = NULL;
    }
  }
done:
  if (pts) s->pq->clear(pts);
  rc = pg_tx_end(s, began, rc, err);
  for (size_t i = 0; i < n_heads; i++) {
    free(heads[i].bench);
    free(heads[i].metric);
    free(heads[i].changes);
  }
  free(heads);
  qb_history_free(prev, n_prev);
  if (rc) {
    qb_history_free(arr, n);
    return rc;
  }
  if (generation) *generation = gen;
  *out = arr; /* in order: series by name and metric, each newest first */
  *n_out = n;
  return QB_OK;
}

/* ---- run points ----------------------------------------------------------------------------- */

static int pg_run_points(qb_store *base, int64_t run_id, qb_run_point **out, size_t *n_out,
                         qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_HISTORY_RUN_POINTS); /* one statement: one snapshot */
  pg_int(&q, ":run", run_id);
  int rc = pg_run(&q, "run points", &r, err);
  if (rc) return rc;
  int rows = s->pq->ntuples(r);
  qb_run_point *arr = rows ? malloc((size_t)rows * sizeof *arr) : NULL;
  if (rows && !arr) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < rows; i++)
    arr[i] = (qb_run_point){pg_col_int(s, r, i, 0), pg_col_int(s, r, i, 1), pg_col_real(s, r, i, 2),
                            pg_col_int(s, r, i, 3), (int)pg_col_int(s, r, i, 4)};
  s->pq->clear(r);
  *out = arr;
  *n_out = (size_t)rows;
  return QB_OK;
}

void pg_ops_history(qb_store_ops *ops) {
  ops->history = pg_history;
  ops->history_marks = pg_history_marks;
  ops->run_points = pg_run_points;
}

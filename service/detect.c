/* service/detect.c - change-point detection into regression records: per series, incremental from
 * the stored markers, under the store's series locks; and the history step after an ingest. */
#include "service/history.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "service/run_cache.h"
#include "core/time.h"
#include "service/history_internal.h"

/* ---- change points -------------------------------------------------------------------------- */

int qb_series_values(const qb_series_point *pts, size_t n, double **x, size_t **idx, size_t *nx,
                     qb_err *err) {
  *x = malloc((n ? n : 1) * sizeof **x);
  *idx = malloc((n ? n : 1) * sizeof **idx);
  if (!*x || !*idx) {
    free(*x);
    free(*idx);
    *x = NULL;
    *idx = NULL;
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(pts[i].value)) {
      (*x)[k] = pts[i].value;
      (*idx)[k++] = i;
    }
  *nx = k;
  return QB_OK;
}

/* The stored (active) change points of a series as analysis input for its first n points:
 * indices into ids. *n_prev = SIZE_MAX when a stored run is not among them (then analyse in
 * full). *prev is malloc'd; the caller frees it. */
static int stored_changes(qb_store *s, int64_t series_id, const int64_t *ids, size_t n,
                          qb_changepoint **prev, size_t *n_prev, qb_err *err) {
  qb_stored_change *st = NULL;
  size_t n_st = 0;
  int rc = qb_store_series_changes(s, series_id, &st, &n_st, err);
  if (rc) return rc;
  *n_prev = 0;
  if (!(*prev = calloc(n_st ? n_st : 1, sizeof **prev))) {
    free(st);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n_st; i++) {
    size_t k = 0;
    while (k < n && ids[k] != st[i].run_id) k++;
    if (k == n) {
      *n_prev = (size_t)-1;
      break;
    }
    /* change as the analysis computes it, so the copied points equal a full analysis */
    double change = st[i].before != 0 ? st[i].after / st[i].before - 1 : NAN;
    (*prev)[(*n_prev)++] = (qb_changepoint){k, st[i].p_value, st[i].before, st[i].after, change};
  }
  free(st);
  /* in increasing index order (insertion sort: a series has few change points) */
  for (size_t i = 1; *n_prev != (size_t)-1 && i < *n_prev; i++)
    for (size_t k = i; k > 0 && (*prev)[k - 1].index > (*prev)[k].index; k--) {
      qb_changepoint t = (*prev)[k];
      (*prev)[k] = (*prev)[k - 1];
      (*prev)[k - 1] = t;
    }
  return QB_OK;
}

/* The outcome of analysing one series, written in a second step. */
typedef struct series_work {
  int write;           /* 0: nothing new in the series (its stored records stand) */
  qb_regression *recs; /* the change points as records (malloc'd) */
  size_t n_recs;
  size_t nx;         /* points analysed */
  int64_t last_run;  /* the run of the last of them */
  int64_t last_time; /* its run_time */
  int had_records;   /* 0: the series had no active record (known), so none is to go inactive */
  int stored;        /* 1: its records were written (recs[].inserted tells which were new) */
  char opts[128];    /* the detection options, as qb_cp_opts_key writes them, and ";cp=" and
                        QB_CP_VERSION */
} series_work;

void qb_detect_opts_for(const qb_setting *settings, size_t n, const char *project,
                        const char *bench, const char *metric, qb_cp_opts *out) {
  qb_compare_settings cs;
  qb_compare_settings_metric(settings, n, project, bench, metric, &cs);
  qb_cp_opts_from_settings(&cs, out);
}

/* The stored change points of a series by their recorded positions, as analysis input for its
 * first n_old points, of which ids[from..n_old) are known: *n_prev = SIZE_MAX when a position is
 * unknown or out of order, or a known point disagrees with its run (then read everything).
 * *prev and *st (the records, kept to name the runs of the copied points) are malloc'd; the
 * caller frees both. */
static int changes_at(qb_store *s, int64_t series_id, const int64_t *ids, size_t from, size_t n_old,
                      qb_changepoint **prev, size_t *n_prev, qb_stored_change **st, size_t *n_st,
                      qb_err *err) {
  int rc = qb_store_series_changes(s, series_id, st, n_st, err);
  if (rc) return rc;
  *n_prev = 0;
  if (!(*prev = calloc(*n_st ? *n_st : 1, sizeof **prev)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < *n_st; i++) {
    const qb_stored_change *c = &(*st)[i];
    if (c->position < 1 || (size_t)c->position >= n_old ||
        ((size_t)c->position >= from && ids[c->position] != c->run_id)) {
      *n_prev = (size_t)-1;
      return QB_OK;
    }
    double change = c->before != 0 ? c->after / c->before - 1 : NAN;
    (*prev)[(*n_prev)++] =
        (qb_changepoint){(size_t)c->position, c->p_value, c->before, c->after, change};
  }
  for (size_t i = 1; i < *n_prev; i++) /* by position (a series has few change points) */
    for (size_t k = i; k > 0 && (*prev)[k - 1].index >= (*prev)[k].index; k--) {
      if ((*prev)[k - 1].index == (*prev)[k].index) {
        *n_prev = (size_t)-1; /* two records at one position */
        return QB_OK;
      }
      qb_changepoint t = (*prev)[k];
      (*prev)[k] = (*prev)[k - 1];
      (*prev)[k - 1] = t;
    }
  return QB_OK;
}

/* The series' end as qb_store_series_tail(s, ser, marker, n_old - from) gives it, from the run
 * cache's tail kept under the series' marker and the points read after the marker (the marker's
 * own point and the new ones: one short range), with the candidates of its blocks kept with it
 * into *memo (when not NULL). *tids stays NULL (and *memo empty) when the cache cannot serve it
 * (the caller reads the store). */
static int cached_tail(qb_store *s, struct qb_run_cache *cache, const qb_series_info *ser,
                       const qb_run_point *rp, int64_t rp_run, size_t n_old, size_t from,
                       int64_t **tids, double **tx, size_t *tn, size_t *tb, int64_t *last_time,
                       qb_cp_memo *memo, qb_err *err) {
  size_t cfrom = 0, nn = 0, nb = 0;
  int64_t *cids = NULL, *nids = NULL;
  double *cx = NULL, *nxv = NULL;
  int rc = QB_OK;
  *tids = NULL;
  *tx = NULL;
  if (!qb_run_cache_tail_get(cache, ser->id, n_old, ser->analysed_run, ser->analysed_time, from,
                             &cfrom, &cids, &cx, memo))
    return QB_OK;
  if (rp && rp->last && rp->prev_run == ser->analysed_run && !isnan(rp->value)) {
    /* the run just stored is the one point after the marker (what the store would read) */
    nn = 2;
    nb = 1;
    if (!(nids = malloc(2 * sizeof *nids)) || !(nxv = malloc(2 * sizeof *nxv))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    nids[0] = ser->analysed_run;
    nids[1] = rp_run;
    nxv[0] = NAN; /* the marker's own value: not used (only its run is checked) */
    nxv[1] = rp->value;
    *last_time = rp->time;
  } else if ((rc = qb_store_series_tail(s, ser->id, ser->analysed_time, ser->analysed_run, 1, &nids,
                                        &nxv, &nn, &nb, last_time, err))) {
    goto done;
  }
  if (nb == 1 && nids[0] == ser->analysed_run) { /* the marker is where it was */
    size_t kept = n_old - from, added = nn - 1;
    if (!(*tids = malloc((kept + added) * sizeof **tids)) ||
        !(*tx = malloc((kept + added) * sizeof **tx))) {
      free(*tids);
      *tids = NULL;
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    memcpy(*tids, cids + (from - cfrom), kept * sizeof **tids);
    memcpy(*tx, cx + (from - cfrom), kept * sizeof **tx);
    memcpy(*tids + kept, nids + 1, added * sizeof **tids);
    memcpy(*tx + kept, nxv + 1, added * sizeof **tx);
    *tn = kept + added;
    *tb = kept;
  } else {
    *last_time = QB_TIME_NONE;
  }
done:
  if (!*tids && memo) qb_cp_memo_dispose(memo); /* the kept tail is not the series' end */
  free(cids);
  free(cx);
  free(nids);
  free(nxv);
  return rc;
}

/* Analyse one series (reads only): its change points as records into *w.
 * Three ways, cheapest first: (1) when the series' detection marker stands and the series is long,
 * only its end is read (the points after the marker and the last ones before it that the update
 * looks at) and the change points are updated from the stored ones by their positions; (2) else,
 * or when the update needs more, every point is read and the update starts from the marker when
 * it still names a prefix of the series; (3) else a full analysis. */
static int analyse_series(qb_store *s, const qb_detect_opts *o, const qb_series_info *ser,
                          const qb_run_point *rp, const qb_setting *settings, size_t n_settings,
                          qb_detect_result *res, series_work *w, qb_err *err) {
  int64_t *ids = NULL, *tids = NULL;
  double *x = NULL, *tx = NULL;
  size_t nx = 0, n_cp = 0, n_prev = 0, n_st = 0, from = 0, n_old = ser->analysed_n;
  int64_t last_time = QB_TIME_NONE;
  int had_records = 1; /* unknown: assume there are */
  qb_changepoint *cps = NULL, *prev = NULL;
  qb_stored_change *st = NULL;
  qb_regression *recs = NULL;
  qb_cp_memo memo = {0}, memo_next = {0}; /* the blocks' candidates, kept with the tail */
  int rc = QB_OK, analysed = 0;
  memset(w, 0, sizeof *w);
  qb_cp_opts cpo;
  char key[128];
  qb_detect_opts_for(settings, n_settings, ser->project, ser->bench, ser->metric, &cpo);
  if (o->cp_given & QB_CP_WINDOW) cpo.window = o->cp.window;
  if (o->cp_given & QB_CP_MAX_P) cpo.max_p = o->cp.max_p;
  if (o->cp_given & QB_CP_MIN_CHANGE) { /* never below the metric's own floor */
    qb_compare_settings ms;
    qb_compare_settings_metric(settings, n_settings, ser->project, ser->bench, ser->metric, &ms);
    cpo.min_magnitude =
        o->cp.min_magnitude > ms.metric_min / 100.0 ? o->cp.min_magnitude : ms.metric_min / 100.0;
  }
  /* the options as text, and the version of the algorithm (change points stored by another are
   * no start for an update): formatted once per thread for the options most series share */
  static _Thread_local qb_cp_opts last_cpo;
  static _Thread_local char last_key[128];
  if (!last_key[0] || last_cpo.window != cpo.window || last_cpo.max_p != cpo.max_p ||
      last_cpo.min_magnitude != cpo.min_magnitude) {
    qb_cp_opts_key(&cpo, last_key, sizeof last_key);
    size_t kl = strlen(last_key);
    snprintf(last_key + kl, sizeof last_key - kl, ";cp=%d", QB_CP_VERSION);
    last_cpo = cpo;
  }
  memcpy(key, last_key, sizeof key);
  /* the stored change points help only when found with the same options */
  int marked = o->incremental && n_old >= 1 && ser->analysed_run != 0 && ser->analysed_opts &&
               !strcmp(ser->analysed_opts, key);
  if (marked && ser->analysed_time != QB_TIME_NONE &&
      (from = qb_changepoints_tail_start(n_old, &cpo)) > 0) {
    size_t tn = 0, tb = 0;
    if ((rc = cached_tail(s, o->cache, ser, rp, o->filter.run_id, n_old, from, &tids, &tx, &tn, &tb,
                          &last_time, &memo, err)))
      goto done;
    if (!tids && (rc = qb_store_series_tail(s, ser->id, ser->analysed_time, ser->analysed_run,
                                            n_old - from, &tids, &tx, &tn, &tb, &last_time, err)))
      goto done;
    if (tb == n_old - from && tids[tb - 1] == ser->analysed_run) {
      nx = n_old + (tn - tb);
      res->series++;
      res->points += tn;
      if (nx == n_old) goto done; /* nothing new in this series */
      if (!(ids = calloc(nx, sizeof *ids)) || !(x = calloc(nx, sizeof *x))) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
      memcpy(ids + from, tids, tn * sizeof *ids);
      memcpy(x + from, tx, tn * sizeof *x);
      int need_all = 1;
      if ((rc = changes_at(s, ser->id, ids, from, n_old, &prev, &n_prev, &st, &n_st, err)))
        goto done;
      if (n_prev != (size_t)-1 && (rc = qb_changepoints_update_memo(
                                       x, from, nx, n_old, prev, n_prev, &cpo, &memo,
                                       o->cache ? &memo_next : NULL, &cps, &n_cp, &need_all, err)))
        goto done;
      analysed = !need_all;
      had_records = n_st > 0;
      if (!analysed) { /* start again from every point */
        res->series--;
        res->points -= tn;
        free(ids), free(x), free(prev), free(st);
        ids = NULL, x = NULL, prev = NULL, st = NULL, n_st = 0, nx = 0, had_records = 1;
        last_time = QB_TIME_NONE;
      }
    }
    if (!analysed) from = 0;
  }
  if (!analysed) {
    if (marked && ser->analysed_time != QB_TIME_NONE) { /* a short series kept whole */
      size_t tn = 0, tb = 0;
      free(tids); /* what the first way read, when it needed every point */
      free(tx);
      if ((rc = cached_tail(s, o->cache, ser, rp, o->filter.run_id, n_old, 0, &tids, &tx, &tn, &tb,
                            &last_time, NULL, err)))
        goto done;
      ids = tids, x = tx, nx = tn;
      tids = NULL, tx = NULL;
    }
    if (!ids && (rc = qb_store_series_values(s, ser->id, &ids, &x, &nx, err))) goto done;
    res->series++;
    res->points += nx;
    /* incremental when the marker names the run of the last analysed point and that run is
     * still at that place (nothing was added before it since) */
    int incremental = marked && n_old <= nx && ids[n_old - 1] == ser->analysed_run;
    if (incremental && n_old == nx) goto done; /* nothing new in this series */
    if (incremental && (rc = stored_changes(s, ser->id, ids, n_old, &prev, &n_prev, err)))
      goto done;
    if (incremental && n_prev != (size_t)-1) had_records = n_prev > 0;
    if (incremental && n_prev != (size_t)-1)
      rc = qb_changepoints_update(x, nx, n_old, prev, n_prev, &cpo, &cps, &n_cp, err);
    else
      rc = qb_changepoints(x, nx, &cpo, &cps, &n_cp, err);
    if (rc) goto done;
  }
  qb_compare_settings cs;
  qb_compare_settings_metric(settings, n_settings, ser->project, ser->bench, ser->metric, &cs);
  double floor_pct = qb_settings_threshold(&cs); /* threshold, or min_change.METRIC */
  if (!(recs = calloc(n_cp ? n_cp : 1, sizeof *recs))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n_cp; i++) {
    qb_regression *r = &recs[i];
    const qb_changepoint *c = &cps[i];
    double pct = c->change * 100.0;
    int worse = ser->higher_is_better ? pct < 0 : pct > 0;
    if (c->index > from) { /* both runs read */
      r->run_id = ids[c->index];
      r->prev_run_id = ids[c->index - 1];
    } else { /* a stored change point, copied: its runs as stored */
      for (size_t k = 0; k < n_st; k++)
        if (st[k].position == (int64_t)c->index) {
          r->run_id = st[k].run_id;
          r->prev_run_id = st[k].prev_run_id;
        }
      if (!r->run_id) {
        rc = qb_err_set(err, QB_EINTERNAL, "series %lld: change point %zu has no run",
                        (long long)ser->id, c->index);
        goto done;
      }
    }
    r->position = (int64_t)c->index;
    r->kind = worse ? "regression" : "improvement";
    r->before = c->before;
    r->after = c->after;
    r->change_pct = pct;
    r->p_value = c->p;
    qb_severity sev = isnan(pct) || fabs(pct) <= floor_pct ? QB_SEV_NONE : qb_severity_of(pct, &cs);
    r->severity = (char *)qb_severity_name(sev);
    if (sev != QB_SEV_NONE) {
      if (worse)
        res->regressions++;
      else
        res->improvements++;
    }
  }
  res->changes += n_cp;
  if (nx && last_time == QB_TIME_NONE &&
      (rc = qb_store_point_time(s, ser->id, ids[nx - 1], &last_time, err)))
    goto done;
  { /* the series' end for the next update, under the marker this analysis writes */
    size_t next = nx ? qb_changepoints_tail_start(nx, &cpo) : 0;
    if (o->cache && !o->dry_run && nx && next >= from)
      qb_run_cache_tail_put(o->cache, ser->id, nx, ids[nx - 1], last_time, next, ids, x,
                            analysed ? &memo_next : NULL);
  }
  *w = (series_work){1, recs, n_cp, nx, nx ? ids[nx - 1] : 0, last_time, had_records, 0, ""};
  snprintf(w->opts, sizeof w->opts, "%s", key);
  recs = NULL;
done:
  qb_cp_memo_dispose(&memo);
  qb_cp_memo_dispose(&memo_next);
  free(recs);
  free(cps);
  free(prev);
  free(st);
  free(x);
  free(ids);
  free(tx);
  free(tids);
  return rc;
}

/* Store what analyse_series found, unless the series was analysed further meanwhile (by a
 * detection that ran concurrently on a newer snapshot): then its records stand. A series that
 * had no record and has no change point now is only marked. */
static int store_series(qb_store *s, const qb_series_info *ser, series_work *w, qb_err *err) {
  int updated, rc;
  if (!w->write) return QB_OK;
  if ((rc = qb_store_series_analysed(s, ser->id, w->nx, w->last_run, w->last_time, w->opts,
                                     &updated, err)))
    return rc;
  if (!updated || (w->n_recs == 0 && !w->had_records)) return QB_OK;
  /* even where the change points stay, their levels and p-values move as the segment after the
   * last one grows */
  w->stored = 1;
  return qb_store_regressions_replace(s, ser->id, w->recs, w->n_recs, err);
}

/* Take the series locks of the series f selects (qb_store_series_lock), when the backend has
 * them: their ids are listed first, outside the read transaction that follows (whose snapshot
 * must be taken after the wait). *ids is malloc'd, *n of them held. */
static int lock_series(qb_store *s, const qb_series_filter *f, int64_t **ids, size_t *n,
                       qb_err *err) {
  *ids = NULL;
  *n = 0;
  if (!qb_store_has_series_locks(s)) return QB_OK;
  qb_series_info *series = NULL;
  size_t k = 0;
  int rc = qb_store_series_list(s, f, &series, &k, err);
  if (!rc && k && !(*ids = malloc(k * sizeof **ids)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < k; i++) (*ids)[i] = series[i].id;
  qb_series_infos_free(series, k);
  if (!rc && (rc = qb_store_series_lock(s, *ids, k, err)) == QB_OK) *n = k;
  if (rc) {
    free(*ids);
    *ids = NULL;
  }
  return rc;
}

static int by_series_id(const void *a, const void *b) {
  const qb_series_info *x = *(qb_series_info *const *)a, *y = *(qb_series_info *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

int qb_detect(qb_store *s, const qb_detect_opts *o, qb_detect_result *res, qb_err *err) {
  /* Two steps, so that the write lock is held only to write: the series are read and analysed
   * in one read transaction (a consistent snapshot; other writers go on), then the records are
   * written in one write transaction. A series some other detection has meanwhile analysed at
   * least as far is left as that one stored it. */
  qb_series_info *series = NULL;
  qb_setting *settings = NULL;
  series_work *work = NULL;
  qb_run_point *points = NULL;
  size_t n = 0, n_settings = 0, n_points = 0;
  int64_t *lock_ids = NULL;
  size_t n_locked = 0;
  qb_series_info **order = NULL;
  memset(res, 0, sizeof *res);
  /* several servers on one database (PostgreSQL): one detection at a time per series, from its
   * read to its commit, so the last one reads every point stored before it began and the records
   * end as a full detection gives them (SQLite: nothing to do) */
  int rc = lock_series(s, &o->filter, &lock_ids, &n_locked, err);
  if (rc) return rc;
  if ((rc = qb_store_begin_read(s, err))) goto done;
  if ((rc = qb_store_series_list(s, &o->filter, &series, &n, err)) ||
      (rc = qb_store_settings(s, NULL, &settings, &n_settings, err)))
    goto read_done;
  if (!(work = calloc(n ? n : 1, sizeof *work))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto read_done;
  }
  /* after an upload (the series of one run, with a cache of series ends): the run's point in
   * each series, read at once, instead of a read of each series' end after its marker */
  if (o->cache && o->filter.run_id > 0 && o->incremental &&
      (rc = qb_store_run_points(s, o->filter.run_id, &points, &n_points, err)))
    goto read_done;
  for (size_t i = 0; i < n && !rc; i++) {
    const qb_run_point *rp = NULL;
    for (size_t lo = 0, hi = n_points; lo < hi && !rp;) { /* by series id */
      size_t mid = lo + (hi - lo) / 2;
      if (points[mid].series_id == series[i].id)
        rp = &points[mid];
      else if (points[mid].series_id < series[i].id)
        lo = mid + 1;
      else
        hi = mid;
    }
    /* a scratch branch of `qbdb bisect` (docs/cli/bisect.md): repeated runs of a few commits,
     * not a history (its work stays zero: nothing is written) */
    if (series[i].branch && !strncmp(series[i].branch, "bisect/", 7)) continue;
    rc = analyse_series(s, o, &series[i], rp, settings, n_settings, res, &work[i], err);
  }
read_done:
  if (rc)
    qb_store_rollback(s);
  else
    rc = qb_store_commit(s, err);
  if (rc || o->dry_run) goto done;
  if ((rc = qb_store_begin(s, err))) goto done;
  /* in series id order: the order in which an upload's transaction locks series rows too
   * (PostgreSQL: neither waits for the other in a circle) */
  if (!(order = malloc((n ? n : 1) * sizeof *order)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) order[i] = &series[i];
  if (!rc) qsort(order, n, sizeof *order, by_series_id);
  for (size_t i = 0; i < n && !rc; i++)
    rc = store_series(s, order[i], &work[order[i] - series], err);
  if (rc)
    qb_store_rollback(s);
  else
    rc = qb_store_commit(s, err);
  /* committed: announce what is new; a record that took the place of one no longer found (the
   * change moved to a neighbouring run) is that change, announced before */
  for (size_t i = 0; i < n && !rc && o->on_new; i++)
    for (size_t k = 0; work[i].stored && k < work[i].n_recs; k++)
      if (work[i].recs[k].inserted && !work[i].recs[k].supersedes)
        o->on_new(o->on_new_ctx, series[i].id, work[i].recs[k].run_id);
done:
  if (n_locked) qb_store_series_unlock(s);
  free(lock_ids);
  free(order);
  for (size_t i = 0; work && i < n; i++) free(work[i].recs);
  free(work);
  free(points);
  qb_series_infos_free(series, n);
  qb_settings_free(settings, n_settings);
  return rc;
}

/* ---- after an ingest ------------------------------------------------------------------------ */

int qb_after_ingest_run(qb_store *s, int64_t run_id, qb_after_ingest *out, qb_err *err) {
  return qb_after_ingest_run_cached(s, run_id, NULL, out, err);
}

/* qb_detect_opts.on_new of an upload: the change is kept for its notification (a change that
 * cannot be kept for want of memory is left out of it, never announced twice). */
static void keep_fresh(void *ctx, int64_t series_id, int64_t run_id) {
  qb_after_ingest *a = ctx;
  if (a->n_fresh == a->fresh_cap) {
    size_t cap = a->fresh_cap ? 2 * a->fresh_cap : 8;
    int64_t(*f)[2] = realloc(a->fresh, cap * sizeof *f);
    if (!f) return;
    a->fresh = f;
    a->fresh_cap = cap;
  }
  a->fresh[a->n_fresh][0] = series_id;
  a->fresh[a->n_fresh][1] = run_id;
  a->n_fresh++;
}

int qb_after_ingest_run_cached(qb_store *s, int64_t run_id, struct qb_run_cache *cache,
                               qb_after_ingest *out, qb_err *err) {
  memset(out, 0, sizeof *out);
  qb_detect_opts o = QB_DETECT_OPTS_INIT;
  o.filter.run_id = run_id;
  o.incremental = 1;
  o.cache = cache;
  o.on_new = keep_fresh;
  o.on_new_ctx = out;
  int rc = qb_detect(s, &o, &out->detect, err);
  if (rc) return rc;
  return qb_targets_check(s, run_id, &out->checks, &out->n_checks, err);
}

void qb_after_ingest_dispose(qb_after_ingest *a) {
  qb_target_checks_free(a->checks, a->n_checks);
  free(a->fresh);
  memset(a, 0, sizeof *a);
}

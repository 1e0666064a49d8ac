/* service/trend.c - the trend of one series: its points, change points and segments. */
#include "service/history.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "analysis/describe.h"
#include "analysis/noise.h"
#include "service/history_internal.h"

/* ---- trends --------------------------------------------------------------------------------- */

void qb_trend_report_free(qb_trend_report *r) {
  if (!r) return;
  qb_series_info_dispose(&r->series);
  qb_series_points_free(r->points, r->n_points);
  free(r->changes);
  free(r->drifts);
  free(r->intervals);
  for (size_t i = 0; i < r->n_branches; i++) free(r->branches[i]);
  free(r->branches);
  for (size_t i = 0; i < r->n_machines; i++) free(r->machines[i]);
  free(r->machines);
  free(r->repo_url);
  free(r);
}

const char *qb_settings_repo_url(const qb_setting *rows, size_t n, const char *project) {
  for (size_t i = 0; project && i < n; i++)
    if (!strcmp(rows[i].key, "repo_url") && rows[i].text && !*rows[i].bench_glob &&
        !strcmp(rows[i].project, project))
      return rows[i].text;
  return NULL;
}

int qb_repo_url(qb_store *s, const char *project, char **out, qb_err *err) {
  qb_setting *rows = NULL;
  size_t n = 0;
  *out = NULL;
  int rc = qb_store_settings(s, project, &rows, &n, err);
  const char *url = rc ? NULL : qb_settings_repo_url(rows, n, project);
  if (url && !(*out = strdup(url))) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_settings_free(rows, n);
  return rc;
}

/* Walking a series' raw samples into its points' intervals (qb_store_series_samples). */
typedef struct interval_walk {
  qb_trend_report *r;
  size_t at; /* the samples come in the points' order: the next point to look at */
} interval_walk;

static int on_point_samples(void *ctx, int64_t run_id, double *values, size_t n, qb_err *err) {
  interval_walk *w = ctx;
  qb_trend_report *r = w->r;
  (void)err;
  size_t at = w->at;
  while (at < r->n_points && r->points[at].run_id != run_id) at++;
  if (at == r->n_points) return QB_OK; /* a point stored since the points were read */
  w->at = at + 1;
  const qb_series_point *p = &r->points[at];
  for (size_t i = 0; i < n; i++)
    if (isnan(values[i])) return QB_OK; /* a NaN sample: no interval from these */
  qb_sort_doubles(values, n);
  r->intervals[at] = qb_interval_of((qb_centre_kind)p->centre_kind, values, n, p->ci_lo, p->ci_hi);
  return QB_OK;
}

/* Each point's interval: from its raw samples when it has them, else the tool's interval. */
static int point_intervals(qb_store *s, qb_trend_report *r, qb_err *err) {
  if (!(r->intervals = calloc(r->n_points ? r->n_points : 1, sizeof *r->intervals)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < r->n_points; i++)
    r->intervals[i] = qb_interval_of((qb_centre_kind)r->points[i].centre_kind, NULL, 0,
                                     r->points[i].ci_lo, r->points[i].ci_hi);
  interval_walk w = {r, 0};
  return qb_store_series_samples(s, r->series.id, on_point_samples, &w, err);
}

/* The runs of a compare's noise history (service/compare.c: the newest 30 of the baseline's
 * series). */
#define SEGMENT_HISTORY 30

/* The last segment of r (after its last change point) and its noise band, with the noise model
 * of a compare's row (service/compare.c, row_noise): the consecutive differences of the log
 * values of the segment's newest SEGMENT_HISTORY points when it has at least noise_runs of them,
 * else those within each segment of the newest SEGMENT_HISTORY points (never across a change
 * point). */
static int trend_segment(qb_trend_report *r, double noise_runs, qb_err *err) {
  qb_trend_segment *g = &r->segment;
  memset(g, 0, sizeof *g);
  g->centre = g->noise_pct = g->low = g->high = NAN;
  size_t from = r->n_changes ? r->changes[r->n_changes - 1].index : 0, k = 0;
  double *v = malloc((r->n_points - from + 1) * sizeof *v);
  if (!v) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = from; i < r->n_points; i++)
    if (r->points[i].value > 0 && isfinite(r->points[i].value)) v[k++] = r->points[i].value;
  g->from = from;
  g->runs = k;
  if (k) {
    g->present = 1;
    qb_sort_doubles(v, k);
    g->centre = qb_quantile_sorted(v, k, 0.5);
  }
  free(v);
  if (!k) return QB_OK;
  /* the differences, newest first as a compare reads its history */
  double d[SEGMENT_HISTORY];
  size_t nd = 0, in_cur = 0, runs = 0, seg_points = 0, seg_diffs = 0, ci = r->n_changes;
  int cur = 1;
  double prev = NAN;
  size_t lo = r->n_points > SEGMENT_HISTORY ? r->n_points - SEGMENT_HISTORY : 0;
  for (size_t i = r->n_points; i-- > lo;) {
    double c = r->points[i].value;
    if (c > 0 && isfinite(c)) {
      if (cur) in_cur++;
      seg_points++;
      if (!isnan(prev)) {
        d[nd++] = prev - log(c);
        seg_diffs++;
      }
      prev = log(c);
    }
    int change = ci && r->changes[ci - 1].index == i;
    if (change) ci--;
    while (ci && r->changes[ci - 1].index > i) ci--;
    if (change || i == lo) {
      if (seg_diffs) runs += seg_points;
      seg_diffs = seg_points = 0;
      cur = 0;
      prev = NAN;
    }
  }
  qb_noise noise = {0, NAN, NAN};
  if (in_cur >= 3 && (double)in_cur >= noise_runs) {
    qb_noise_from_diffs(d, in_cur - 1, &noise);
    g->history_runs = in_cur;
  } else if (nd >= 2) {
    qb_noise_from_diffs(d, nd, &noise);
    g->history_runs = runs;
  }
  g->noise_known = g->history_runs >= 3 && !isnan(noise.df) &&
                   noise.df >= noise_runs - QB_NOISE_DF_OFFSET - 1e-9;
  if (g->noise_known) {
    g->noise_pct = qb_noise_band(0.05, (double)g->runs, &noise);
    g->low = g->centre / (1.0 + g->noise_pct / 100.0);
    g->high = g->centre * (1.0 + g->noise_pct / 100.0);
  }
  return QB_OK;
}

/* Add name to the sorted list (*list, *n) unless it is there. */
static int name_add(char ***list, size_t *n, const char *name, qb_err *err) {
  size_t at = 0;
  while (at < *n && strcmp((*list)[at], name) < 0) at++;
  if (at < *n && !strcmp((*list)[at], name)) return QB_OK;
  char **grown = realloc(*list, (*n + 1) * sizeof *grown), *copy = strdup(name);
  if (grown) *list = grown;
  if (!grown || !copy) {
    free(copy);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  memmove(grown + at + 1, grown + at, (*n - at) * sizeof *grown);
  grown[at] = copy;
  (*n)++;
  return QB_OK;
}

/* The branches having r's benchmark and metric on its machine, and the machines having it on
 * its branch (one series listing of the benchmark in the project). */
static int trend_overlays(qb_store *s, qb_trend_report *r, qb_err *err) {
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *all = NULL;
  size_t n = 0;
  f.project = r->series.project;
  f.metric = r->series.metric;
  f.bench = r->series.bench;
  int rc = qb_store_series_list(s, &f, &all, &n, err);
  for (size_t i = 0; i < n && !rc; i++) {
    if (strcmp(all[i].bench, r->series.bench) || strcmp(all[i].unit, r->series.unit)) continue;
    if (!strcmp(all[i].machine, r->series.machine))
      rc = name_add(&r->branches, &r->n_branches, all[i].branch, err);
    if (!rc && !strcmp(all[i].branch, r->series.branch))
      rc = name_add(&r->machines, &r->n_machines, all[i].machine, err);
  }
  qb_series_infos_free(all, n);
  return rc;
}

int qb_trend_series(qb_store *s, const char *project, const char *bench, const char *metric,
                    const char *branch, const char *machine, const qb_cp_opts *cp,
                    qb_trend_report **out, qb_err *err) {
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *series = NULL;
  qb_trend_report *r = NULL;
  double *x = NULL;
  size_t *idx = NULL, n = 0, nx = 0, n_cp = 0;
  qb_changepoint *cps = NULL;
  qb_cp_opts defaults = QB_CP_OPTS_INIT;
  qb_setting *settings = NULL;
  size_t n_settings = 0;
  *out = NULL;
  f.project = project;
  f.branch = branch;
  f.machine = machine;
  f.metric = metric;
  f.bench = bench; /* the series of that benchmark only (series_by_benchmark) */
  int rc = qb_store_series_list(s, &f, &series, &n, err);
  if (rc) return rc;
  size_t match = n, count = 0;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(series[i].bench, bench)) {
      if (!count) match = i;
      count++;
    }
  if (!count) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no series for benchmark '%s'%s%s", bench,
                    metric ? " and metric " : "", metric ? metric : "");
    goto done;
  }
  if (count > 1) {
    char list[256] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && at < sizeof list - 1; i++)
      if (!strcmp(series[i].bench, bench)) {
        int w = snprintf(list + at, sizeof list - at, "%s%s/%s/%s/%s", at ? ", " : "",
                         series[i].project, series[i].branch, series[i].machine, series[i].metric);
        at += w > 0 ? (size_t)w : 0;
      }
    rc = qb_err_set(err, QB_EUSAGE,
                    "benchmark '%s' has %zu series (project/branch/machine/metric: %s); narrow "
                    "with --project, --branch, --machine or --metric",
                    bench, count, list);
    goto done;
  }
  if (!(r = calloc(1, sizeof *r))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  r->series = series[match];
  memset(&series[match], 0, sizeof series[match]); /* moved into the report */
  if ((rc = qb_store_series_points(s, r->series.id, &r->points, &r->n_points, err)) ||
      (rc = qb_series_values(r->points, r->n_points, &x, &idx, &nx, err)) ||
      (rc = qb_store_settings(s, r->series.project, &settings, &n_settings, err)))
    goto done;
  if (!cp)
    qb_detect_opts_for(settings, n_settings, r->series.project, r->series.bench, r->series.metric,
                       &defaults);
  const char *url = qb_settings_repo_url(settings, n_settings, r->series.project);
  if (url && !(r->repo_url = strdup(url))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_changepoints(x, nx, cp ? cp : &defaults, &cps, &n_cp, err)) ||
      (rc = qb_cp_drifts(x, nx, cps, n_cp, cp ? cp : &defaults, &r->drifts, &r->n_drifts, err)))
    goto done;
  /* change points and drifts as indices into points, not into the NaN-free values */
  for (size_t i = 0; i < n_cp; i++) cps[i].index = idx[cps[i].index];
  for (size_t i = 0; i < r->n_drifts; i++) {
    r->drifts[i].from = idx[r->drifts[i].from];
    r->drifts[i].to = idx[r->drifts[i].to - 1] + 1;
  }
  r->changes = cps;
  r->n_changes = n_cp;
  cps = NULL;
  size_t from = r->n_changes ? r->changes[r->n_changes - 1].index : 0, k = 0;
  while (k < nx && idx[k] < from) k++;
  if ((rc = qb_trend_of(x, nx, k, r->series.higher_is_better, &r->trend, err))) goto done;
  r->trend.from = nx ? idx[k < nx ? k : nx - 1] : 0;
  qb_compare_settings cs;
  qb_compare_settings_for(settings, n_settings, r->series.project, r->series.bench, &cs);
  if ((rc = point_intervals(s, r, err)) || (rc = trend_segment(r, cs.noise_runs, err)) ||
      (rc = trend_overlays(s, r, err)))
    goto done;
  *out = r;
  r = NULL;
done:
  qb_trend_report_free(r);
  qb_series_infos_free(series, n);
  qb_settings_free(settings, n_settings);
  free(cps);
  free(x);
  free(idx);
  return rc;
}

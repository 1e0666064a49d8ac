/* service/trend.c - the trend of one series: its points, change points and segments. */
#include "service/history.h"

#include <jansson.h>
#include <string.h>

#include "service/history_internal.h"

/* ---- trends --------------------------------------------------------------------------------- */

void qb_trend_report_free(qb_trend_report *r) {
  if (!r) return;
  free(r->series.project);
  free(r->series.branch);
  free(r->series.machine);
  free(r->series.bench);
  free(r->series.metric);
  free(r->series.unit);
  free(r->series.analysed_opts);
  qb_series_points_free(r->points, r->n_points);
  free(r->changes);
  free(r->drifts);
  free(r);
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
      (!cp && (rc = qb_store_settings(s, r->series.project, &settings, &n_settings, err))))
    goto done;
  if (!cp) qb_detect_opts_for(settings, n_settings, r->series.project, r->series.bench, &defaults);
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

/* service/scaling.c - how a benchmark family scales with its numeric parameter. */
#include "service/history.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "analysis/describe.h"
#include "service/family.h"
#include "service/history_internal.h"

#define MAD_TO_SIGMA 1.4826
#define IQR_TO_SIGMA 1.3489795003921634 /* 2 x the normal's 75% quantile */
#define SQRT_HALF_PI 1.2533141373155003 /* se of a median / se of a mean, normal data */
#define Z_975        1.959963984540054  /* a 95% interval is +- 1.96 standard errors */

/* ---- scaling -------------------------------------------------------------------------------- */

void qb_scaling_report_free(qb_scaling_report *r) {
  if (!r) return;
  qb_run_info_dispose(&r->run);
  free(r->family);
  free(r->param_name);
  free(r->metric);
  free(r->unit);
  for (size_t i = 0; i < r->n_points; i++) free(r->points[i].bench);
  free(r->points);
  free(r);
}

int qb_bench_numeric_param(const char *params, char *name, size_t n, double *value) {
  if (!params) return -1;
  json_t *o = json_loads(params, 0, NULL);
  int found = 0;
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    if (!json_is_number(v)) continue;
    if (found++) break;
    snprintf(name, n, "%s", key);
    *value = json_number_value(v);
  }
  json_decref(o);
  return found == 1 ? 0 : -1;
}

/* The standard error of a result's centre (qb_result_centre: median, else mean, else estimate)
 * and where it came from (docs/statistics.md, Scaling): for a median sqrt(pi/2) sigma / sqrt(n),
 * sigma from the samples' MAD (x 1.4826), else the stored IQR (/ 1.349), else the stored standard
 * deviation; for a mean sigma / sqrt(n) (the samples' or the stored standard deviation); else
 * the stored 95% interval's half-width / 1.96. NAN (and *from NULL) when none is there. */
static double centre_se(const qb_result *res, const char **from) {
  const qb_stats *x = &res->stats;
  int median = !isnan(x->median), mean = !median && !isnan(x->mean);
  double c = median ? SQRT_HALF_PI : 1.0;
  *from = NULL;
  if ((median || mean) && res->samples && res->n_samples >= 2) {
    double sigma = NAN;
    qb_err e = QB_ERR_INIT;
    if (median) {
      double mad;
      if (!qb_mad(res->samples, res->n_samples, &mad, &e)) sigma = MAD_TO_SIGMA * mad;
    } else {
      qb_summary sum;
      if (!qb_describe(res->samples, res->n_samples, &sum, &e)) sigma = sum.stddev;
    }
    if (!isnan(sigma)) {
      *from = "samples";
      return c * sigma / sqrt((double)res->n_samples);
    }
  }
  if (x->n >= 2 && median && isfinite(x->q1) && isfinite(x->q3) && x->q3 >= x->q1) {
    *from = "iqr";
    return c * (x->q3 - x->q1) / IQR_TO_SIGMA / sqrt((double)x->n);
  }
  if (x->n >= 2 && (median || mean) && isfinite(x->stddev) && x->stddev >= 0) {
    *from = "stddev";
    return c * x->stddev / sqrt((double)x->n);
  }
  if (isfinite(x->ci_lo) && isfinite(x->ci_hi) && x->ci_hi >= x->ci_lo) {
    *from = "ci";
    return (x->ci_hi - x->ci_lo) / (2.0 * Z_975);
  }
  return NAN;
}

static int cmp_scaling_point(const void *a, const void *b) {
  const qb_scaling_point *x = a, *y = b;
  return (x->param > y->param) - (x->param < y->param);
}

int qb_scaling_family(qb_store *s, const char *project, const char *family, const char *ref,
                      const char *metric, qb_scaling_report **out, qb_err *err) {
  qb_scaling_report *r = calloc(1, sizeof *r);
  qb_run *run = NULL;
  qb_run_info *list = NULL;
  size_t n_list = 0, cap = 0;
  int64_t id = 0;
  int rc = QB_OK;
  *out = NULL;
  if (!r) return qb_err_set(err, QB_ENOMEM, "out of memory");
  if (!metric) metric = "latency";
  if (ref) {
    if ((rc = qb_store_resolve_run(s, project, ref, &id, err))) goto done;
  } else {
    qb_run_filter f = QB_RUN_FILTER_INIT;
    f.project = project;
    f.limit = 1;
    if ((rc = qb_store_list_runs(s, &f, &list, &n_list, err))) goto done;
    if (!n_list) {
      rc = qb_err_set(err, QB_ENOTFOUND, "no runs%s%s", project ? " in project " : "",
                      project ? project : "");
      goto done;
    }
    id = list[0].id;
  }
  if ((rc = qb_store_load_run(s, id, QB_LOAD_VALUES, &r->run, &run, err))) goto done;
  size_t flen = strlen(family);
  char pname[64] = "";
  int rate = 0; /* the metric is a rate (higher is better), not a time */
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    /* Its group, its name's family (service/family.h: what the dashboard groups by), or a
     * prefix of its name that ends at a component: "sort" and "sort/" take "sort/n=100", not
     * "sorted/n=100". */
    qb_bench_split sp;
    qb_bench_family_split(b->name, &sp);
    int in_family =
        (b->group && !strcmp(b->group, family)) ||
        (sp.family_len == flen && !strncmp(b->name, family, flen)) ||
        (!strncmp(b->name, family, flen) &&
         (!flen || family[flen - 1] == '/' || b->name[flen] == '/' || b->name[flen] == '['));
    char name[64];
    double param = NAN;
    if (!in_family || qb_bench_numeric_param(b->params, name, sizeof name, &param) || !(param > 0))
      continue;
    if (!*pname) snprintf(pname, sizeof pname, "%s", name);
    if (strcmp(pname, name) != 0) continue; /* a family varies one parameter */
    for (size_t k = 0; k < b->n_results; k++) {
      const qb_result *res = &b->results[k];
      if (strcmp(res->metric, metric) != 0) continue;
      double v = qb_result_centre(&res->stats);
      if (!(v > 0)) continue;
      if (r->n_points == cap) {
        size_t nc = cap ? cap * 2 : 8;
        qb_scaling_point *p = realloc(r->points, nc * sizeof *p);
        if (!p) {
          rc = qb_err_set(err, QB_ENOMEM, "out of memory");
          goto done;
        }
        r->points = p;
        cap = nc;
      }
      qb_scaling_point *p = &r->points[r->n_points++];
      p->bench = strdup(b->name);
      p->param = param;
      p->value = v;
      p->se = centre_se(res, &p->noise);
      if (!r->unit) r->unit = strdup(res->unit);
      if (!r->metric) r->metric = strdup(res->metric);
      rate = res->direction == QB_HIGHER_IS_BETTER;
    }
  }
  if (r->n_points < 2) {
    rc = qb_err_set(err, QB_ENOTFOUND,
                    "family '%s': fewer than 2 benchmarks with one numeric parameter and a %s "
                    "result in run %lld",
                    family, metric, (long long)id);
    goto done;
  }
  qsort(r->points, r->n_points, sizeof *r->points, cmp_scaling_point);
  double *ns = malloc(r->n_points * sizeof *ns), *ts = malloc(r->n_points * sizeof *ts);
  double *ses = malloc(r->n_points * sizeof *ses);
  if (!ns || !ts || !ses) {
    free(ns);
    free(ts);
    free(ses);
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < r->n_points; i++) {
    qb_scaling_point *p = &r->points[i];
    ns[i] = p->param;
    /* fit time per operation: a rate is turned back into time (1 / rate) */
    ts[i] = rate ? 1.0 / p->value : p->value;
    /* the same relative error: se(1 / r) = se(r) / r^2 */
    ses[i] = rate ? p->se / (p->value * p->value) : p->se;
    if (i == 0) {
      p->efficiency = NAN;
    } else {
      double pr = p->param / r->points[i - 1].param, vr = p->value / r->points[i - 1].value;
      p->efficiency = rate ? vr / pr : pr / vr;
    }
  }
  rc = qb_scaling_weighted(ns, ts, ses, r->n_points, &r->fit, err);
  if (!rc) rc = qb_scaling(ns, ts, r->n_points, &r->unweighted, err);
  free(ns);
  free(ts);
  free(ses);
  if (rc) goto done;
  r->family = strdup(family);
  r->param_name = strdup(pname);
  if (!r->family || !r->param_name || !r->unit || !r->metric) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  *out = r;
  r = NULL;
done:
  qb_scaling_report_free(r);
  qb_run_free(run);
  qb_run_infos_free(list, n_list);
  return rc;
}

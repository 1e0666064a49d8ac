/* service/targets.c - performance targets: parsing, and checking a run against them. */
#include "service/history.h"

#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/units.h"
#include "service/history_internal.h"

/* ---- targets -------------------------------------------------------------------------------- */

int qb_target_parse_value(const char *text, double *value, const char **base_unit, qb_err *err) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || !isfinite(v))
    return qb_err_set(err, QB_EUSAGE, "target value '%s': expected a number with a unit, e.g. 2ms",
                      text);
  while (isspace((unsigned char)*end)) end++;
  if (!*end) {
    *value = v;
    *base_unit = NULL;
    return QB_OK;
  }
  qb_unit u;
  if (qb_unit_parse(end, &u))
    return qb_err_set(err, QB_EUSAGE, "target value '%s': unknown unit '%s'", text, end);
  *value = v * u.factor;
  *base_unit = u.base;
  return QB_OK;
}

int qb_target_holds(const char *op, double value, double target) {
  if (!strcmp(op, "<")) return value < target;
  if (!strcmp(op, "<=")) return value <= target;
  if (!strcmp(op, ">")) return value > target;
  if (!strcmp(op, ">=")) return value >= target;
  return 0;
}

void qb_target_checks_free(qb_target_check *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(c[i].bench);
    free(c[i].metric);
    free(c[i].unit);
    free(c[i].op);
  }
  free(c);
}

/* The compared centre of a result: median, else mean, else the tool's estimate. */
double qb_result_centre(const qb_stats *x) {
  return !isnan(x->median) ? x->median : !isnan(x->mean) ? x->mean : x->estimate;
}

int qb_targets_check(qb_store *s, int64_t run_id, qb_target_check **out, size_t *n_out,
                     qb_err *err) {
  qb_run_info info;
  qb_run *run = NULL;
  qb_target *targets = NULL;
  qb_target_check *arr = NULL;
  size_t n_t = 0, n = 0, cap = 0;
  *out = NULL;
  *n_out = 0;
  /* the run's results are only loaded when its project has targets (most have none) */
  int rc = qb_store_load_run(s, run_id, 0, &info, NULL, err);
  if (rc) return rc;
  if ((rc = qb_store_targets(s, info.project, &targets, &n_t, err))) goto done;
  if (n_t > 0) {
    qb_run_info_dispose(&info);
    if ((rc = qb_store_load_run(s, run_id, 0, &info, &run, err))) goto done;
  }
  for (size_t t = 0; t < n_t; t++)
    for (size_t i = 0; i < run->n_benches; i++) {
      const qb_bench *b = &run->benches[i];
      if (fnmatch(targets[t].bench_glob, b->name, 0) != 0) continue;
      for (size_t k = 0; k < b->n_results; k++) {
        const qb_result *r = &b->results[k];
        if (strcmp(r->metric, targets[t].metric) || strcmp(r->unit, targets[t].unit)) continue;
        double v = qb_result_centre(&r->stats);
        if (isnan(v)) continue;
        if (n == cap) {
          size_t nc = cap ? cap * 2 : 8;
          qb_target_check *p = realloc(arr, nc * sizeof *p);
          if (!p) {
            rc = qb_err_set(err, QB_ENOMEM, "out of memory");
            goto done;
          }
          arr = p;
          cap = nc;
        }
        qb_target_check *c = &arr[n++];
        c->bench = strdup(b->name);
        c->metric = strdup(r->metric);
        c->unit = strdup(r->unit);
        c->op = strdup(targets[t].op);
        c->target = targets[t].value;
        c->value = v;
        c->met = qb_target_holds(targets[t].op, v, targets[t].value);
        c->target_id = targets[t].id;
        if (!c->bench || !c->metric || !c->unit || !c->op) {
          rc = qb_err_set(err, QB_ENOMEM, "out of memory");
          goto done;
        }
      }
    }
  *out = arr;
  *n_out = n;
  arr = NULL;
  n = 0;
done:
  qb_target_checks_free(arr, n);
  qb_targets_free(targets, n_t);
  qb_run_free(run);
  qb_run_info_dispose(&info);
  return rc;
}

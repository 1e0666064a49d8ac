/* analysis/describe.c - descriptive statistics on top of GSL. */
#include "analysis/describe.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double qb_quantile_sorted(const double *sorted, size_t n, double p) {
  return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}

int qb_describe(const double *x, size_t n, qb_summary *out, qb_err *err) {
  if (n == 0) return qb_err_set(err, QB_EINTERNAL, "qb_describe: empty sample");
  double *s = malloc(n * sizeof *s);
  if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", n);
  memcpy(s, x, n * sizeof *s);
  gsl_sort(s, 1, n);
  out->n = n;
  out->min = s[0];
  out->max = s[n - 1];
  out->mean = gsl_stats_mean(s, 1, n);
  out->stddev = n > 1 ? gsl_stats_sd_m(s, 1, n, out->mean) : NAN;
  out->median = qb_quantile_sorted(s, n, 0.5);
  out->q1 = qb_quantile_sorted(s, n, 0.25);
  out->q3 = qb_quantile_sorted(s, n, 0.75);
  out->p95 = qb_quantile_sorted(s, n, 0.95);
  out->p99 = qb_quantile_sorted(s, n, 0.99);
  double iqr = out->q3 - out->q1, lo = out->q1 - 1.5 * iqr, hi = out->q3 + 1.5 * iqr;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += s[i] < lo || s[i] > hi;
  out->outliers = k;
  free(s);
  return QB_OK;
}

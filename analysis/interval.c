/* analysis/interval.c - the interval of a result's centre (tool CI, CI from samples, range). */
#include "analysis/interval.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

#include "analysis/describe.h"

/* The level of every interval here. */
#define CONF 0.95

const char *qb_interval_name(qb_interval_kind k) {
  switch (k) {
    case QB_INTERVAL_CI:
      return "ci";
    case QB_INTERVAL_CI_SAMPLES:
      return "ci-samples";
    case QB_INTERVAL_MIN_MAX:
      return "min-max";
    default:
      return NULL;
  }
}

void qb_mean_ci(const double *x, size_t n, double conf, double *lo, double *hi) {
  *lo = *hi = NAN;
  if (n < 2 || !(conf > 0 && conf < 1)) return;
  /* two passes (mean, then squared deviations): no cancellation for values far from 0 */
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return;
    sum += x[i];
  }
  double mean = sum / (double)n, ss = 0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  double s = sqrt(ss / (double)(n - 1));
  double t = gsl_cdf_tdist_Pinv(1.0 - (1.0 - conf) / 2.0, (double)(n - 1));
  double half = t * s / sqrt((double)n);
  *lo = mean - half;
  *hi = mean + half;
}

qb_interval qb_interval_of(qb_centre_kind kind, const double *sorted, size_t n, double tool_lo,
                           double tool_hi) {
  qb_interval out = {QB_INTERVAL_NONE, NAN, NAN};
  int tool = !isnan(tool_lo) && !isnan(tool_hi);
  if (kind == QB_CENTRE_ESTIMATE && tool) return (qb_interval){QB_INTERVAL_CI, tool_lo, tool_hi};
  if (n) {
    double lo = NAN, hi = NAN;
    if (kind == QB_CENTRE_MEDIAN)
      qb_median_ci(sorted, n, CONF, &lo, &hi);
    else if (kind == QB_CENTRE_MEAN)
      qb_mean_ci(sorted, n, CONF, &lo, &hi);
    if (!isnan(lo) && !isnan(hi)) return (qb_interval){QB_INTERVAL_CI_SAMPLES, lo, hi};
    return (qb_interval){QB_INTERVAL_MIN_MAX, sorted[0], sorted[n - 1]};
  }
  if (tool) return (qb_interval){QB_INTERVAL_CI, tool_lo, tool_hi};
  return out;
}

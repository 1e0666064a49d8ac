/* analysis/noise.c - run-to-run noise from consecutive differences, and the test against it. */
#include "analysis/noise.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

#include "analysis/describe.h"

enum { MAX_RUNS = 256 }; /* longer series: the newest MAX_RUNS centres */

#define CLIP        2.5            /* winsorising bound in robust standard deviations */
#define CLIP_BIAS   0.988716331135 /* sqrt(E[min(Z^2, 2.5^2)]) for a standard normal Z */
#define DF_PER_DIFF 0.7            /* t degrees of freedom per difference (docs/statistics.md) */

int qb_noise_estimate(const double *x, size_t n, qb_noise *out, qb_err *err) {
  double d[MAX_RUNS], a[MAX_RUNS];
  out->runs = 0;
  out->sigma = out->df = NAN;
  if (n > MAX_RUNS) {
    x += n - MAX_RUNS;
    n = MAX_RUNS;
  }
  for (size_t i = 0; i < n; i++)
    if (!(x[i] > 0) || !isfinite(x[i]))
      return qb_err_set(err, QB_EUSAGE, "noise: value %zu is %g, not a positive number", i, x[i]);
  out->runs = n;
  if (n < 3) return QB_OK;
  size_t k = n - 1;
  for (size_t i = 0; i < k; i++) d[i] = log(x[i + 1]) - log(x[i]);
  for (size_t i = 0; i < k; i++) a[i] = d[i];
  qb_sort_doubles(a, k);
  double m = k % 2 ? a[k / 2] : (a[k / 2 - 1] + a[k / 2]) / 2;
  for (size_t i = 0; i < k; i++) a[i] = fabs(d[i] - m);
  qb_sort_doubles(a, k);
  double s = 1.4826 * (k % 2 ? a[k / 2] : (a[k / 2 - 1] + a[k / 2]) / 2);
  double ss = 0;
  for (size_t i = 0; i < k; i++) {
    double e = d[i] - m;
    if (e > CLIP * s) e = CLIP * s;
    if (e < -CLIP * s) e = -CLIP * s;
    ss += e * e;
  }
  /* k - 1: one degree of freedom went to the median of the differences */
  out->sigma = sqrt(ss / (double)(k - 1) / 2.0) / CLIP_BIAS;
  out->df = DF_PER_DIFF * (double)(k - 1);
  if (out->df < 1) out->df = 1;
  return QB_OK;
}

/* The scale of log(head / base) under no change. */
static double diff_scale(double n_base, const qb_noise *noise) {
  return noise->sigma * sqrt(1.0 + 1.0 / (n_base >= 1 ? n_base : 1));
}

double qb_noise_p(double base, double head, double n_base, const qb_noise *noise) {
  if (isnan(noise->sigma) || isnan(noise->df) || !(base > 0) || !(head > 0)) return NAN;
  double diff = log(head / base);
  if (noise->sigma == 0) return diff == 0 ? 1.0 : 0.0;
  double t = fabs(diff) / diff_scale(n_base, noise);
  double p = 2.0 * gsl_cdf_tdist_Q(t, noise->df);
  return p > 1 ? 1 : p;
}

double qb_noise_band(double p, double n_base, const qb_noise *noise) {
  if (isnan(noise->sigma) || isnan(noise->df) || !(p > 0 && p < 1)) return NAN;
  double t = gsl_cdf_tdist_Qinv(p / 2.0, noise->df);
  return (exp(t * diff_scale(n_base, noise)) - 1.0) * 100.0;
}

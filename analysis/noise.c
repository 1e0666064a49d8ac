/* analysis/noise.c - run-to-run noise from consecutive differences, and the test against it. */
#include "analysis/noise.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"

enum { MAX_RUNS = 256 }; /* longer series: the newest MAX_RUNS centres */

/* Degrees of freedom: runs - 1.8. Calibrated by simulation (4 x 10^6 normal series of 5, 10
 * and 30 runs; docs/statistics.md): the rate of p <= 0.05, 0.005 and 0.0005 under no change is
 * 1.00, 1.04 and 1.16 times nominal at 5 runs, 0.95, 0.87 and 0.75 times at 10. */
#define DF_OFFSET QB_NOISE_DF_OFFSET

int qb_noise_from_diffs(const double *d, size_t k, qb_noise *out) {
  double a[MAX_RUNS];
  out->runs = k + 1;
  out->sigma = out->df = NAN;
  if (k > MAX_RUNS - 1) {
    d += k - (MAX_RUNS - 1);
    k = MAX_RUNS - 1;
    out->runs = MAX_RUNS;
  }
  if (k < 2) return QB_OK;
  memcpy(a, d, k * sizeof *a);
  qb_sort_doubles(a, k);
  /* a drift's slope, robustly: it is not noise */
  double m = k % 2 ? a[k / 2] : (a[k / 2 - 1] + a[k / 2]) / 2;
  double ss = 0;
  for (size_t i = 0; i < k; i++) ss += (d[i] - m) * (d[i] - m);
  out->sigma = sqrt(ss / (double)k / 2.0);
  out->df = (double)(k + 1) - DF_OFFSET;
  if (out->df < 1) out->df = 1;
  return QB_OK;
}

int qb_noise_estimate(const double *x, size_t n, qb_noise *out, qb_err *err) {
  double d[MAX_RUNS];
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
  for (size_t i = 0; i + 1 < n; i++) d[i] = log(x[i + 1]) - log(x[i]);
  return qb_noise_from_diffs(d, n - 1, out);
}

/* x with trigamma(x) = y > 0 (trigamma is decreasing on x > 0): Newton on 1 / trigamma, which
 * is nearly linear (Smyth 2004, appendix). */
static double trigamma_inverse(double y) {
  if (y > 1e7) return 1.0 / sqrt(y);
  if (y < 1e-6) return 1.0 / y;
  double x = 0.5 + 1.0 / y;
  for (int i = 0; i < 50; i++) {
    double tri = gsl_sf_psi_1(x);
    double dif = tri * (1.0 - tri / y) / gsl_sf_psi_n(2, x);
    x += dif;
    if (-dif / x < 1e-10) break;
  }
  return x;
}

double qb_noise_chisq_df(const qb_noise *noise) {
  if (noise->runs < 3 || isnan(noise->df)) return NAN;
  double a = (double)noise->runs - 2.0, b = 0.7 * (double)(noise->runs - 1);
  return a < b ? a : b;
}

/* A row qb_noise_moderate uses: sigma finite and > 0, df in [1, 1e6] (GSL's digamma and
 * trigamma are then in range: its error handler would abort the process). */
static int usable(const qb_noise *x) {
  return x->sigma > 0 && isfinite(x->sigma) && x->df >= 1 && x->df <= 1e6;
}

void qb_noise_moderate(qb_noise *x, size_t n, qb_noise_prior *out) {
  double sum = 0, sum_e2 = 0, sum_tri = 0;
  size_t g = 0;
  out->rows = 0;
  out->s0 = out->d0 = NAN;
  for (size_t i = 0; i < n; i++) {
    if (!usable(&x[i])) continue;
    double h = x[i].df / 2.0;
    sum += log(x[i].sigma * x[i].sigma) - gsl_sf_psi(h) + log(h);
    g++;
  }
  out->rows = g;
  if (g < 3) return;
  double m = sum / (double)g;
  for (size_t i = 0; i < n; i++) {
    if (!usable(&x[i])) continue;
    double h = x[i].df / 2.0;
    double e = log(x[i].sigma * x[i].sigma) - gsl_sf_psi(h) + log(h) - m;
    sum_e2 += e * e;
    sum_tri += gsl_sf_psi_1(h);
  }
  double rhs = (sum_e2 / (double)(g - 1) * (double)g - sum_tri) / (double)g;
  double d0, s0sq;
  if (rhs > 0) {
    d0 = 2.0 * trigamma_inverse(rhs);
    s0sq = exp(m + gsl_sf_psi(d0 / 2.0) - log(d0 / 2.0));
  } else {
    d0 = INFINITY;
    s0sq = exp(m);
  }
  out->s0 = sqrt(s0sq);
  out->d0 = d0;
  for (size_t i = 0; i < n; i++) {
    if (!usable(&x[i])) continue;
    double v = x[i].sigma * x[i].sigma, d = x[i].df;
    if (isinf(d0)) {
      x[i].sigma = out->s0;
      x[i].df = 1e6;
    } else {
      x[i].sigma = sqrt((d0 * s0sq + d * v) / (d0 + d));
      x[i].df = d0 + d > 1e6 ? 1e6 : d0 + d;
    }
  }
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

/* gsl_cdf_tdist_Qinv(q, df), remembered for the last few (q, df) of this thread: the rows of a
 * compare mostly share them (one alpha per family; series of one length, one prior), and the
 * inversion is iterative. The same value as the call. */
static double t_quantile(double q, double df) {
  enum { SLOTS = 8 };
  static _Thread_local struct { double q, df, t; } memo[SLOTS];
  static _Thread_local unsigned used, next;
  for (unsigned i = 0; i < used; i++)
    if (memo[i].q == q && memo[i].df == df) return memo[i].t;
  double t = gsl_cdf_tdist_Qinv(q, df);
  memo[next].q = q;
  memo[next].df = df;
  memo[next].t = t;
  next = (next + 1) % SLOTS;
  if (used < SLOTS) used++;
  return t;
}

double qb_noise_band(double p, double n_base, const qb_noise *noise) {
  if (isnan(noise->sigma) || isnan(noise->df) || !(p > 0 && p < 1)) return NAN;
  double t = t_quantile(p / 2.0, noise->df);
  return (exp(t * diff_scale(n_base, noise)) - 1.0) * 100.0;
}

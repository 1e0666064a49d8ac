/* analysis/sprt.c - Wald's sequential probability ratio test of a normal mean (analysis/sprt.h). */
#include "analysis/sprt.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

double qb_sprt_llr(const double *x, size_t n, double mu0, double mu1, double sd) {
  if (!(sd > 0) || !isfinite(sd) || !isfinite(mu0) || !isfinite(mu1)) return NAN;
  double k = (mu1 - mu0) / (sd * sd), mid = (mu0 + mu1) / 2, sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return NAN;
    sum += x[i] - mid;
  }
  return k * sum;
}

void qb_sprt_bounds(double alpha, double beta, double *lower, double *upper) {
  *lower = log(beta / (1 - alpha));
  *upper = log((1 - beta) / alpha);
}

qb_sprt_verdict qb_sprt_verdict_of(double llr, double alpha, double beta) {
  double lo, hi;
  qb_sprt_bounds(alpha, beta, &lo, &hi);
  if (isnan(llr)) return QB_SPRT_MORE;
  if (llr <= lo) return QB_SPRT_H0;
  if (llr >= hi) return QB_SPRT_H1;
  return QB_SPRT_MORE;
}

size_t qb_fixed_n(double sep, double sd, double alpha) {
  if (!(sep > 0) || !(sd > 0) || !(alpha > 0 && alpha < 0.5) || !isfinite(sep) || !isfinite(sd))
    return 0;
  double z = gsl_cdf_ugaussian_Qinv(alpha), r = z * sd / (sep / 2), n = ceil(r * r - 1e-9);
  if (!(n < 1e15)) return (size_t)1e15; /* more than anyone runs (and no overflow to size_t) */
  return n < 1 ? 1 : (size_t)n;
}

double qb_sd_upper(double s, double df, double level) {
  if (!(s >= 0) || !isfinite(s) || !(df > 0) || !isfinite(df) || !(level > 0 && level < 1))
    return NAN;
  return s * sqrt(df / gsl_cdf_chisq_Pinv(level, df));
}

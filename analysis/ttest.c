/* analysis/ttest.c - Welch's two-sample t-test from summary statistics. */
#include "analysis/ttest.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

int qb_welch(double n1, double mean1, double sd1, double n2, double mean2, double sd2,
             qb_welch_result *out, qb_err *err) {
  /* t = (mean2 - mean1) / sqrt(v1 + v2) with vi = sdi^2 / ni; Welch-Satterthwaite
   * df = (v1 + v2)^2 / (v1^2 / (n1 - 1) + v2^2 / (n2 - 1)); p = 2 Q_t(|t|; df). Both are
   * computed from the standard errors divided by the larger one, so that no square overflows or
   * underflows into a NaN df (which GSL would answer by calling its error handler, abort() by
   * default): df stays in [min(n1, n2) - 1, n1 + n2 - 2]. Allocates nothing. */
  if (!(isfinite(n1) && isfinite(n2) && isfinite(mean1) && isfinite(mean2) && isfinite(sd1) &&
        isfinite(sd2)))
    return qb_err_set(err, QB_EUSAGE, "welch: non-finite n, mean or stddev");
  if (n1 < 2 || n2 < 2)
    return qb_err_set(err, QB_EUSAGE, "welch: need n >= 2 on both sides (got %g and %g)", n1, n2);
  if (sd1 < 0 || sd2 < 0)
    return qb_err_set(err, QB_EUSAGE, "welch: negative stddev (%g, %g)", sd1, sd2);
  double se1 = sd1 / sqrt(n1), se2 = sd2 / sqrt(n2), diff = mean2 - mean1;
  double m = se1 > se2 ? se1 : se2;
  if (m == 0) {
    /* no spread on either side: the means either agree or differ for certain */
    out->df = NAN;
    out->t = diff == 0 ? 0.0 : diff > 0 ? INFINITY : -INFINITY;
    out->p = diff == 0 ? 1.0 : 0.0;
    return QB_OK;
  }
  double a1 = se1 / m, a2 = se2 / m, s = a1 * a1 + a2 * a2; /* s in [1, 2] */
  out->t = diff / m / sqrt(s);
  out->df = s * s / (a1 * a1 * a1 * a1 / (n1 - 1) + a2 * a2 * a2 * a2 / (n2 - 1));
  if (isinf(out->t)) {
    out->p = 0.0; /* a difference beyond the range of doubles, relative to the spread */
    return QB_OK;
  }
  double p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
  out->p = p > 1.0 ? 1.0 : p;
  return QB_OK;
}

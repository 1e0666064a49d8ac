/* analysis/ttest.h - Welch's two-sample t-test from summary statistics (GSL's t distribution). */
#ifndef QB_ANALYSIS_TTEST_H
#define QB_ANALYSIS_TTEST_H

#include "core/err.h"

typedef struct qb_welch_result {
  double t;  /* (mean2 - mean1) / sqrt(s1^2/n1 + s2^2/n2) */
  double df; /* Welch-Satterthwaite degrees of freedom */
  double p;  /* two-sided p-value in [0, 1] */
} qb_welch_result;

/* Welch's t-test of sample 2 against sample 1 given n, mean and (n - 1)-stddev of each.
 * Requires n1, n2 >= 2, finite inputs and stddevs >= 0 (QB_EUSAGE otherwise). Both stddevs
 * zero: p = 1 when the means are equal, else 0 (t = 0 or +-INFINITY, df = NAN). */
int qb_welch(double n1, double mean1, double sd1, double n2, double mean2, double sd2,
             qb_welch_result *out, qb_err *err);

#endif

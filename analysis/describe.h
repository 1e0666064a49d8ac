/* analysis/describe.h - descriptive statistics of one sample (pure functions, no I/O).
 * Nothing here keeps memory; qb_describe allocates a scratch copy and frees it. */
#ifndef QB_ANALYSIS_DESCRIBE_H
#define QB_ANALYSIS_DESCRIBE_H

#include <stddef.h>

#include "core/err.h"

typedef struct qb_summary {
  size_t n;
  double min, max, mean, median;
  double stddev;           /* sample standard deviation (divisor n - 1); NAN when n < 2 */
  double q1, q3, p95, p99; /* quantiles by linear interpolation (Hyndman-Fan type 7, numpy's
                              default): position (n - 1) * p in the sorted sample */
  size_t outliers;         /* values outside [q1 - 1.5 IQR, q3 + 1.5 IQR] (Tukey) */
} qb_summary;

/* Summarise x[0..n). n must be >= 1. Returns QB_ENOMEM if the scratch copy cannot be made. */
int qb_describe(const double *x, size_t n, qb_summary *out, qb_err *err);

/* Sort x[0..n) ascending in place (no NaNs allowed). */
void qb_sort_doubles(double *x, size_t n);

/* Type-7 quantile p in [0, 1] of an ascending sorted array of n >= 1 values. */
double qb_quantile_sorted(const double *sorted, size_t n, double p);

#endif

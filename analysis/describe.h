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

/* Median absolute deviation of x[0..n) around its median, unscaled (multiply by 1.4826 for a
 * normal-consistent sigma). Allocates scratch; QB_ENOMEM when it cannot, QB_EUSAGE for n = 0
 * or a NaN value. */
int qb_mad(const double *x, size_t n, double *out, qb_err *err);

/* Distribution-free confidence interval of the median of a sorted sample from order statistics
 * (binomial(n, 1/2) ranks, as benchstat does): the narrowest symmetric pair of order statistics
 * covering at least conf. *lo and *hi are NAN when n is too small for conf. */
void qb_median_ci(const double *sorted, size_t n, double conf, double *lo, double *hi);

/* Percentile bootstrap confidence interval of statistic(sample) with `resamples` resamples, a
 * fixed-seed generator (same seed, same interval on every machine). statistic receives a
 * scratch array it may reorder. QB_EUSAGE for n = 0, resamples = 0, no statistic, conf outside
 * (0, 1) or a NaN statistic (then lo and hi are NAN); QB_ENOMEM when scratch fails. */
typedef double (*qb_statistic_fn)(double *x, size_t n);
int qb_bootstrap_ci(const double *x, size_t n, qb_statistic_fn statistic, size_t resamples,
                    double conf, unsigned long long seed, double *lo, double *hi, qb_err *err);

/* Summarise x[0..n). n must be >= 1. Returns QB_ENOMEM if the scratch copy cannot be made. */
int qb_describe(const double *x, size_t n, qb_summary *out, qb_err *err);

/* Sort x[0..n) ascending in place (no NaNs allowed). */
void qb_sort_doubles(double *x, size_t n);

/* Type-7 quantile p in [0, 1] of an ascending sorted array of n >= 1 values. */
double qb_quantile_sorted(const double *sorted, size_t n, double p);

#endif

/* analysis/interval.h - the interval of a result's centre: the tool's own 95% CI, a 95% CI
 * computed from the raw samples when the tool stored none, or their range (docs/statistics.md,
 * "The interval of a point").
 *
 * Pure functions on arrays; nothing is allocated. */
#ifndef QB_ANALYSIS_INTERVAL_H
#define QB_ANALYSIS_INTERVAL_H

#include <stddef.h>

/* Which statistic a stored result's centre (its point value) is: the median when the result has
 * one, else the mean, else the tool's estimate (criterion's slope). */
typedef enum qb_centre_kind { QB_CENTRE_MEDIAN, QB_CENTRE_MEAN, QB_CENTRE_ESTIMATE } qb_centre_kind;

/* Where an interval came from. */
typedef enum qb_interval_kind {
  QB_INTERVAL_NONE = 0,   /* nothing to make one from: lo and hi are NAN */
  QB_INTERVAL_CI,         /* the tool's own 95% CI of its estimate */
  QB_INTERVAL_CI_SAMPLES, /* a 95% CI of the centre computed from the raw samples */
  QB_INTERVAL_MIN_MAX     /* the range of the raw samples (too few for a CI) */
} qb_interval_kind;

typedef struct qb_interval {
  qb_interval_kind kind;
  double lo, hi;
} qb_interval;

/* "ci", "ci-samples", "min-max", or NULL for QB_INTERVAL_NONE. */
const char *qb_interval_name(qb_interval_kind k);

/* Student's t interval of the mean of x[0..n): mean -+ t(1 - (1 - conf) / 2, n - 1) s / sqrt(n),
 * s the sample standard deviation (divisor n - 1). *lo and *hi are NAN when n < 2, conf is not in
 * (0, 1) or a value is not finite. */
void qb_mean_ci(const double *x, size_t n, double conf, double *lo, double *hi);

/* The 95% interval of a centre of kind `kind` from what a result stores: its raw samples
 * sorted[0..n) (ascending; n 0 when none) and the tool's interval tool_lo, tool_hi (NAN when
 * none). In this order:
 *   - the tool's interval (QB_INTERVAL_CI) when the centre is the tool's estimate, the statistic
 *     that interval belongs to;
 *   - from the samples (QB_INTERVAL_CI_SAMPLES): for a median the distribution-free interval
 *     between two order statistics (qb_median_ci: binomial(n, 1/2) ranks; n >= 6), for a mean
 *     Student's t (qb_mean_ci; n >= 2);
 *   - the samples' range sorted[0], sorted[n - 1] (QB_INTERVAL_MIN_MAX) when n is too small for
 *     a CI or the centre is an estimate without the tool's interval;
 *   - the tool's interval when there are no samples (QB_INTERVAL_CI; it belongs to the tool's
 *     estimate, reported as stored);
 *   - else QB_INTERVAL_NONE. */
qb_interval qb_interval_of(qb_centre_kind kind, const double *sorted, size_t n, double tool_lo,
                           double tool_hi);

#endif

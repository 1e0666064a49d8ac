/* analysis/noise.h - the run-to-run noise of a series and the test of a new run against it
 * (docs/statistics.md, "Baselines and noise").
 *
 * A run's centre (median, mean or the tool's estimate) moves from run to run by more than its
 * own samples suggest: the machine, the build and the data layout differ between runs. The
 * noise of a series is estimated from the consecutive differences of the logs of its centres
 * within one segment (after its last change point), so that slow drifts and the steps before it
 * do not count as noise, and robustly (winsorised), so that one odd run does not widen it.
 * Pure functions on arrays; nothing is allocated that the caller must free. */
#ifndef QB_ANALYSIS_NOISE_H
#define QB_ANALYSIS_NOISE_H

#include <stddef.h>

#include "core/err.h"

typedef struct qb_noise {
  size_t runs;  /* centres the estimate used (k); 0 when there was nothing to estimate from */
  double sigma; /* run-to-run standard deviation of log(centre) (0 when the centres are all
                   equal); NAN when runs < 2 */
  double df;    /* degrees of freedom of sigma for a Student t reference: 0.7 (k - 2), at least
                   1; NAN when runs < 3 */
} qb_noise;

/* The noise of the series whose centres are x[0..n), oldest first, all > 0 (QB_EUSAGE for a
 * value that is not finite and positive). With d the n - 1 differences of log x, m their median
 * and s = 1.4826 median |d - m|: each d - m is clipped to [-2.5 s, 2.5 s] and
 * sigma = sqrt(sum (d - m)^2 / (n - 2) / 2) / 0.98872 (the clipping's bias under a normal
 * distribution). n < 3 gives runs = n and NAN. */
int qb_noise_estimate(const double *x, size_t n, qb_noise *out, qb_err *err);

/* The two-sided p-value of a head centre `head` against a baseline level `base` (both > 0) when
 * the baseline level is the centre of n_base pooled runs: t = log(head / base) /
 * (sigma sqrt(1 + 1 / n_base)), referred to Student's t with noise->df degrees of freedom.
 * sigma 0: p is 0 for any difference and 1 for none. NAN when the noise is not known. */
double qb_noise_p(double base, double head, double n_base, const qb_noise *noise);

/* The relative change (in percent, > 0) at which qb_noise_p reaches p for this noise: the band
 * within which a new run stays with probability 1 - p. NAN when the noise is not known. */
double qb_noise_band(double p, double n_base, const qb_noise *noise);

#endif

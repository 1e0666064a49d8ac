/* analysis/noise.h - the run-to-run noise of a series and the test of a new run against it
 * (docs/statistics.md, "Baselines and noise").
 *
 * A run's centre (median, mean or the tool's estimate) moves from run to run by more than its
 * own samples suggest: the machine, the build, the data layout and the load differ between
 * runs. The noise of a series is estimated from the consecutive differences of the logs of its
 * centres within one segment (after its last change point), so that slow drifts and the steps
 * before it do not count as noise. An odd run does count: under load, odd runs are what the
 * noise is (docs/statistics.md says why the estimate is not winsorised).
 * Pure functions on arrays; nothing is allocated that the caller must free. */
#ifndef QB_ANALYSIS_NOISE_H
#define QB_ANALYSIS_NOISE_H

#include <stddef.h>

#include "core/err.h"

/* df = runs - QB_NOISE_DF_OFFSET (qb_noise_estimate). */
#define QB_NOISE_DF_OFFSET 1.8

typedef struct qb_noise {
  size_t runs;  /* centres the estimate used (k); 0 when there was nothing to estimate from */
  double sigma; /* run-to-run standard deviation of log(centre) (0 when the centres are all
                   equal); NAN when runs < 3 */
  double df;    /* degrees of freedom of sigma for a Student t reference: runs - 1.8, at
                   least 1; NAN when runs < 3 */
} qb_noise;

/* The noise of the series whose centres are x[0..n), oldest first, all > 0 (QB_EUSAGE for a
 * value that is not finite and positive); only the newest 256 count. With d the n - 1
 * differences of log x and m their median (a drift's slope): sigma = sqrt(sum (d - m)^2 /
 * (n - 1) / 2). n < 3 gives runs = n and NAN. */
int qb_noise_estimate(const double *x, size_t n, qb_noise *out, qb_err *err);

/* The same from k differences of log centres that are already known (e.g. the differences
 * within each segment of a series, leaving out those across a change point): runs = k + 1 (as
 * if one series), sigma and df as above; k < 2 gives NAN; only the newest 255 count. */
int qb_noise_from_diffs(const double *d, size_t k, qb_noise *out);

/* The noise shared by the benchmarks of one compare (Smyth's empirical Bayes prior, as limma's
 * moderated t): a prior standard deviation s0 with d0 degrees of freedom estimated from the
 * rows' own (sigma, df), so that a row with a short history borrows strength from the others
 * in proportion to how alike they are. */
typedef struct qb_noise_prior {
  size_t rows; /* rows the prior was estimated from (sigma > 0 and df known); < 3: none */
  double s0;   /* prior standard deviation of log(centre); NAN when none */
  double d0;   /* prior degrees of freedom: 0 when the rows disagree too much to borrow,
                  INFINITY when they agree beyond their sampling error; NAN when none */
} qb_noise_prior;

/* Estimate the prior from x[0..n) and moderate each x[i] with sigma finite and > 0 and df in
 * [1, 1e6] (the others are left alone and not used):
 * sigma^2 <- (d0 s0^2 + df sigma^2) / (d0 + df), df <- d0 + df (at most 1e6). With e_i =
 * log sigma_i^2 - digamma(df_i / 2) + log(df_i / 2) and m their mean over the G rows,
 * d0 solves trigamma(d0 / 2) = mean((e_i - m)^2 G / (G - 1) - trigamma(df_i / 2)) (INFINITY
 * when that is <= 0), and log s0^2 = m + digamma(d0 / 2) - log(d0 / 2) (exp(m) when d0 is
 * INFINITY) (Smyth 2004, section 6.2). Rows with sigma 0 (constant metrics) or unknown sigma
 * are left alone; fewer than 3 usable rows: nothing changes and out->rows says so. */
void qb_noise_moderate(qb_noise *x, size_t n, qb_noise_prior *out);

/* The degrees of freedom of a chi-square whose log has the spread of this estimate's log
 * sigma^2: min(runs - 2, 0.7 (runs - 1)), measured by simulation (10^5 normal series each:
 * 1.0, 2.0, 2.9, 3.6, 6.5 and 20 at 3, 4, 5, 6, 10 and 30 runs). qb_noise_moderate fits its
 * prior with these (its formulas assume sigma^2 ~ s^2 chi^2_df / df); the t reference keeps df.
 * NAN when runs < 3. */
double qb_noise_chisq_df(const qb_noise *noise);

/* The two-sided p-value of a head centre `head` against a baseline level `base` (both > 0) when
 * the baseline level is the centre of n_base pooled runs: t = log(head / base) /
 * (sigma sqrt(1 + 1 / n_base)), referred to Student's t with noise->df degrees of freedom.
 * sigma 0: p is 0 for any difference and 1 for none. NAN when the noise is not known. */
double qb_noise_p(double base, double head, double n_base, const qb_noise *noise);

/* The relative change (in percent, > 0) at which qb_noise_p reaches p for this noise: the band
 * within which a new run stays with probability 1 - p. NAN when the noise is not known. */
double qb_noise_band(double p, double n_base, const qb_noise *noise);

#endif

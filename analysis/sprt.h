/* analysis/sprt.h - Wald's sequential probability ratio test for the mean of normal observations
 * with a known standard deviation, and the fixed sample size that reaches the same error rates
 * (docs/statistics.md, "Bisection"; qbdb bisect).
 *
 * Pure functions on arrays; nothing is allocated. */
#ifndef QB_ANALYSIS_SPRT_H
#define QB_ANALYSIS_SPRT_H

#include <stddef.h>

/* The verdict of a sequential test after the observations so far. */
typedef enum qb_sprt_verdict {
  QB_SPRT_MORE = 0, /* neither bound crossed: observe again */
  QB_SPRT_H0,       /* the log likelihood ratio reached the lower bound */
  QB_SPRT_H1        /* it reached the upper bound */
} qb_sprt_verdict;

/* The log likelihood ratio of H1 (mean mu1) against H0 (mean mu0) of x[0..n), independent normal
 * observations with standard deviation sd: sum (mu1 - mu0) / sd^2 * (x_i - (mu0 + mu1) / 2).
 * NAN when sd is not positive or an input is not finite; 0 for n = 0. */
double qb_sprt_llr(const double *x, size_t n, double mu0, double mu1, double sd);

/* Wald's bounds for error rates alpha (accepting H1 when H0 holds) and beta (the reverse), both in
 * (0, 0.5): *lower = ln(beta / (1 - alpha)), *upper = ln((1 - beta) / alpha). */
void qb_sprt_bounds(double alpha, double beta, double *lower, double *upper);

/* The verdict for a log likelihood ratio llr with Wald's bounds for alpha and beta. */
qb_sprt_verdict qb_sprt_verdict_of(double llr, double alpha, double beta);

/* Observations a test with a fixed number n of them needs to tell a mean mu0 from a mean mu1 at
 * distance sep = |mu1 - mu0| (sd as above), deciding by the nearer one (the threshold halfway),
 * with each error rate at most alpha: the least n with sqrt(n) * (sep / 2) / sd >= z(1 - alpha),
 * z the standard normal quantile; at least 1, at most 1e15. 0 when an input is out of range (sep or
 * sd not positive, alpha not in (0, 0.5)). */
size_t qb_fixed_n(double sep, double sd, double alpha);

/* An upper confidence bound of a standard deviation: s * sqrt(df / q), q the quantile of the
 * chi-square distribution with df degrees of freedom at level `level` (in (0, 1); 0.2 gives the
 * bound that the true value stays under with 80% confidence). NAN when s is not a finite value
 * >= 0, df is not positive or level is not in (0, 1). */
double qb_sd_upper(double s, double df, double level);

#endif

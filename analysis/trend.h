/* analysis/trend.h - trend direction of a series, robust slopes, complexity (scaling) fits and
 * the run grade. Pure functions; nothing here allocates memory the caller must free. */
#ifndef QB_ANALYSIS_TREND_H
#define QB_ANALYSIS_TREND_H

#include <stddef.h>

#include "core/err.h"

/* Theil-Sen slope of y against x (median of pairwise slopes; pairs with equal x skipped) and
 * its intercept (median(y) - slope * median(x), scipy 1.10's default method='separate'), as
 * scipy.stats.theilslopes computes them. 2 <= n <= QB_THEIL_SEN_MAX (the n(n-1)/2 slopes are
 * held in a scratch array, 16 MB at the cap); QB_EUSAGE otherwise, for a non-finite value or
 * when all x are equal; QB_ENOMEM when the scratch array cannot be allocated. */
#define QB_THEIL_SEN_MAX 2048
int qb_theil_sen(const double *x, const double *y, size_t n, double *slope, double *intercept,
                 qb_err *err);

typedef enum qb_trend_direction {
  QB_TREND_STABLE = 0,
  QB_TREND_IMPROVING,
  QB_TREND_DEGRADING,
  QB_TREND_VOLATILE
} qb_trend_direction;

const char *qb_trend_name(qb_trend_direction d); /* "stable", "improving", ... */

typedef struct qb_trend {
  qb_trend_direction direction;
  double strength;          /* 0..1: how clearly the data shows the direction */
  double slope_pct_per_run; /* Theil-Sen slope over the last segment, % of its median per run */
  double noise_pct;         /* robust run-to-run noise of the last segment, % of its median */
  size_t from;              /* first index of the segment analysed */
  size_t n;                 /* points in it */
  double tau;               /* Kendall's tau-b of the segment against the run index */
  double p;                 /* its two-sided p-value (scipy.stats.kendalltau) */
} qb_trend;

#define QB_TREND_MAX_POINTS 500 /* only the last 500 points of a segment are analysed */

/* The trend of y[from..n) (the last segment after the last change point), for a metric where
 * higher_is_better says which way is good. The rule is documented in docs/statistics.md.
 * QB_EUSAGE when from > n or a value analysed is not finite; QB_ENOMEM. */
int qb_trend_of(const double *y, size_t n, size_t from, int higher_is_better, qb_trend *out,
                qb_err *err);

typedef enum qb_complexity {
  QB_O_1 = 0,
  QB_O_LOG_N,
  QB_O_N,
  QB_O_N_LOG_N,
  QB_O_N2,
  QB_O_N3
} qb_complexity;

#define QB_N_COMPLEXITIES 6

const char *qb_complexity_name(qb_complexity c); /* "O(1)", "O(log n)", ... */

/* The unweighted fit (Google Benchmark's): each model t = a * f(n) by least squares through the
 * origin, the best = the smallest RMS error. Kept for comparison; qb_scaling_weighted decides. */
typedef struct qb_scaling_fit {
  qb_complexity best;             /* the model with the smallest RMS error */
  double coef[QB_N_COMPLEXITIES]; /* least-squares a in t = a * f(n) (+ b for O(1): t = b) */
  double rms[QB_N_COMPLEXITIES];  /* RMS error of each model, relative to the mean of t */
} qb_scaling_fit;

/* Fit t (e.g. time per iteration) against the parameter n (> 0) of k >= 2 points with every
 * model, by least squares through the origin (logarithms base 2; docs/statistics.md, Scaling).
 * QB_EUSAGE for k < 2, n <= 0, a non-finite value or a mean of t that is not positive. */
int qb_scaling(const double *n, const double *t, size_t k, qb_scaling_fit *out, qb_err *err);

#define QB_SCALING_MIN_REL_SE 1e-3 /* a size's relative noise is at least 0.1% */
#define QB_SCALING_DELTA_AIC  2.0  /* models closer than this in AIC are not distinguishable */

/* The weighted fit: each model ln t = ln a + ln f(n), weighted by each size's own relative noise,
 * compared by AIC with a scatter factor fitted per model (docs/statistics.md, Scaling). Models
 * that do not apply (f(n) <= 0 at some n: log n and n log n at n <= 1) have NAN in every array
 * and weight 0. */
typedef struct qb_scaling_wfit {
  qb_complexity best;               /* the smallest AIC (ties within 1e-9: the simplest model) */
  qb_complexity second;             /* the runner-up by AIC */
  int distinguishable;              /* 1: the runner-up's delta >= QB_SCALING_DELTA_AIC */
  size_t k;                         /* points */
  size_t n_noise;                   /* points whose noise was given (the others: the median) */
  double p;                         /* P(chi2_{k-1} >= chi2 of the best): does it fit within the
                                       given noise? NAN when no noise was given or k < 2 */
  double coef[QB_N_COMPLEXITIES];   /* a = exp(weighted mean of ln(t / f(n))) */
  double rms[QB_N_COMPLEXITIES];    /* sqrt(mean(r^2)), r = ln(t / (a f(n))): relative RMS error */
  double chi2[QB_N_COMPLEXITIES];   /* sum((r / sigma)^2), sigma = the relative noise */
  double scale[QB_N_COMPLEXITIES];  /* s^2 = max(1, chi2 / k): the scatter around the model in
                                       units of the noise, squared */
  double aic[QB_N_COMPLEXITIES];    /* chi2 / s^2 + k ln s^2 + 2 */
  double delta[QB_N_COMPLEXITIES];  /* aic - aic of the best */
  double weight[QB_N_COMPLEXITIES]; /* Akaike weight exp(-delta / 2) / sum */
} qb_scaling_wfit;

/* Fit t > 0 against n > 0 (k >= 2 points) given se[i], the standard error of t[i] in t's unit
 * (NAN or se == NULL: unknown). QB_EUSAGE for k < 2, n <= 0, t <= 0, a non-finite n or t, a
 * negative se or an n whose n^3 overflows. No allocation. */
int qb_scaling_weighted(const double *n, const double *t, const double *se, size_t k,
                        qb_scaling_wfit *out, qb_err *err);

/* Whether model c is not distinguishable from the best (c != best, delta < the threshold). */
int qb_scaling_close(const qb_scaling_wfit *f, qb_complexity c);

/* The grade of a run. */
typedef struct qb_grade_input {
  size_t benchmarks;          /* benchmarks in the run */
  size_t baseline_benchmarks; /* benchmarks in the baseline it was compared with (0: none) */
  size_t compared;            /* benchmarks present in both */
  size_t regressions[5];      /* regressions by severity: [0] unused, [1] minor .. [4] critical */
  size_t improvements;        /* reported, not scored */
  size_t targets;             /* targets that apply to the run */
  size_t targets_met;         /* of those, the ones met */
  double noise_pct;           /* median run-to-run noise of its series (NAN when unknown) */
} qb_grade_input;

typedef struct qb_grade {
  double score;   /* 0..100; NAN when no component applies */
  char letter[3]; /* "A+", "A", "B", "C", "D"; "-" when no component applies */
  /* the components, 0..100 each; NAN when one does not apply (left out of the score) */
  double regressions_score, targets_score, stability_score, coverage_score;
} qb_grade;

/* The documented formula (docs/statistics.md, Grades). */
void qb_grade_of(const qb_grade_input *in, qb_grade *out);

#endif

/* analysis/shift.h - the Hodges-Lehmann shift estimate between two samples and its confidence
 * interval. Pure functions; scratch memory is freed before returning. */
#ifndef QB_ANALYSIS_SHIFT_H
#define QB_ANALYSIS_SHIFT_H

#include <stddef.h>

#include "core/err.h"

typedef struct qb_shift {
  double estimate; /* median of the nx*ny differences y_j - x_i */
  double lo, hi;   /* distribution-free confidence interval from the Mann-Whitney null
                      distribution (order statistics of the differences); NAN when the samples
                      are too small for the requested confidence */
  double conf;     /* the confidence level actually used: with the exact null distribution the
                      coverage 1 - 2 P(U <= k) the chosen order statistics achieve (>= the level
                      asked for); with the normal approximation, or a NAN interval, the level
                      asked for */
} qb_shift;

/* Shift of y relative to x (nx, ny >= 1) with a conf-level interval (0 < conf < 1). Runs in
 * O((nx + ny) log(nx + ny)) time beyond sorting (selection over the implicit sorted matrix of
 * differences), never materialising the nx*ny differences. The interval drops k differences at
 * each end: exact k (no ties in the pooled sample, nx, ny <= QB_MWU_EXACT_MAX) or the normal
 * approximation's, see docs/statistics.md. QB_EUSAGE for an empty sample, a NaN or infinite
 * value, or conf outside (0, 1); QB_ENOMEM when the scratch copy cannot be made. */
int qb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double conf,
                      qb_shift *out, qb_err *err);

/* The same for samples already sorted ascending (saves the copy and the sorts). */
int qb_hodges_lehmann_sorted(const double *xs, size_t nx, const double *ys, size_t ny, double conf,
                             qb_shift *out, qb_err *err);

/* The k-th smallest (0-based) of the nx*ny differences y_j - x_i (as rounded in double), with
 * x and y sorted ascending and finite: always one of the differences (zero as +0). NAN when
 * k >= nx*ny or a sample is empty. O((nx + ny) log range): at most 64 counting passes. */
double qb_shift_kth_difference(const double *xs, size_t nx, const double *ys, size_t ny,
                               unsigned long long k);

#endif

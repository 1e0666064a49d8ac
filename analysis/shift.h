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
  double conf;     /* the confidence level actually used (e.g. 0.95) */
} qb_shift;

/* Shift of y relative to x (nx, ny >= 1) with a conf-level interval (0 < conf < 1). Runs in
 * O((nx + ny) log(nx + ny)) time beyond sorting (selection over the implicit sorted matrix of
 * differences), never materialising the nx*ny differences. */
int qb_hodges_lehmann(const double *x, size_t nx, const double *y, size_t ny, double conf,
                      qb_shift *out, qb_err *err);

/* The k-th smallest (0-based) of the nx*ny differences y_j - x_i, with x and y sorted
 * ascending. O((nx + ny) log range) or better. */
double qb_shift_kth_difference(const double *xs, size_t nx, const double *ys, size_t ny,
                               unsigned long long k);

#endif

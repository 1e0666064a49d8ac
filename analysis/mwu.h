/* analysis/mwu.h - the two-sided Mann-Whitney U test (Wilcoxon rank-sum), pure functions.
 * Nothing here keeps memory; the functions allocate scratch space and free it. */
#ifndef QB_ANALYSIS_MWU_H
#define QB_ANALYSIS_MWU_H

#include <stddef.h>

#include "core/err.h"

/* Largest samples for which the exact null distribution is used: without ties both n <= 50,
 * with ties both n <= 25. Larger samples use the normal approximation. */
#define QB_MWU_EXACT_MAX      50
#define QB_MWU_EXACT_TIES_MAX 25

typedef struct qb_mwu_result {
  double u;  /* U of x: #(x_i > y_j) + 0.5 #(x_i == y_j) (scipy's `statistic`) */
  double p;  /* two-sided p-value, clamped to [0, 1] */
  double z;  /* the normal score when approximated (tie- and continuity-corrected), else NAN */
  int exact; /* 1: p from the exact permutation distribution (with ties: over tie groups) */
} qb_mwu_result;

/* Test x[0..nx) against y[0..ny) (nx, ny >= 1). The exact p is 2 * min(P(U <= u), P(U >= u))
 * under the permutation distribution of U given the observed ties (clamped to 1); the
 * approximation uses the tie-corrected variance and a 0.5 continuity correction. All values
 * equal (zero variance) gives p = 1. QB_EUSAGE for an empty sample or a NaN value (infinities
 * are ranked like any other value); QB_ENOMEM when the scratch space cannot be allocated. */
int qb_mwu(const double *x, size_t nx, const double *y, size_t ny, qb_mwu_result *out, qb_err *err);

/* The exact null distribution of U without ties (all C(nx + ny, nx) assignments of the ranks
 * equally likely): cdf[u] = P(U <= u) for u = 0..nx*ny, into the caller's array of nx*ny + 1
 * values (summed from the low end, so the lower tail keeps full relative precision). Meant for
 * nx, ny <= QB_MWU_EXACT_MAX; allocates O(nx * nx * ny) scratch and frees it. */
int qb_mwu_exact_cdf(size_t nx, size_t ny, double *cdf, qb_err *err);

/* The largest k with P(U <= k) <= p under the same distribution (*k = -1 when even P(U = 0) is
 * larger), and *cdf_k = P(U <= k) (0 when *k is -1): the same numbers as a scan of
 * qb_mwu_exact_cdf, without copying the distribution (it is kept per (nx, ny) in a cache). */
int qb_mwu_exact_lower(size_t nx, size_t ny, double p, long long *k, double *cdf_k, qb_err *err);

/* The same for samples already sorted ascending (saves the copy and the sorts). */
int qb_mwu_sorted(const double *xs, size_t nx, const double *ys, size_t ny, qb_mwu_result *out,
                  qb_err *err);

#endif

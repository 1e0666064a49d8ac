/* analysis/fdr.h - multiple comparisons and summaries across the rows of one compare. */
#ifndef QB_ANALYSIS_FDR_H
#define QB_ANALYSIS_FDR_H

#include <stddef.h>

#include "core/err.h"

/* Benjamini-Hochberg adjusted p-values: adj[i] = min over k >= rank(i) of p_(k) * n / k,
 * clamped to 1 (what R's p.adjust(method = "BH") gives). NaN inputs are ignored (their
 * adjusted value is NaN and they do not count in n). adj may alias p. QB_EUSAGE for a p outside
 * [0, 1], QB_ENOMEM when the scratch index cannot be allocated. */
int qb_fdr_bh(const double *p, size_t n, double *adj, qb_err *err);

/* Geometric mean of n positive ratios (NaN and non-positive ratios are skipped); NAN when none
 * remain. */
double qb_geomean(const double *ratios, size_t n);

#endif

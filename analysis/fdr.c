/* analysis/fdr.c - Benjamini-Hochberg adjusted p-values and the geometric mean of ratios. */
#include "analysis/fdr.h"

#include <math.h>
#include <stdlib.h>

typedef struct ranked {
  double p;
  size_t at; /* index in the caller's array */
} ranked;

/* qsort order: ascending p, then ascending index (so the order is total and stable). */
static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->p != y->p) return x->p < y->p ? -1 : 1;
  return (x->at > y->at) - (x->at < y->at);
}

int qb_fdr_bh(const double *p, size_t n, double *adj, qb_err *err) {
  /* Sort the m non-NaN p-values ascending (a scratch copy, freed here, so adj may alias p),
   * then walk from the largest down keeping the running minimum of p_(k) * m / k. O(m log m). */
  int rc = QB_OK;
  ranked *r = NULL;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(p[i])) continue;
    if (p[i] < 0 || p[i] > 1) return qb_err_set(err, QB_EUSAGE, "fdr: p[%zu] = %g", i, p[i]);
    m++;
  }
  if (m && !(r = malloc(m * sizeof *r))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for %zu p-values", m);
    goto done;
  }
  m = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(p[i])) continue;
    r[m].p = p[i];
    r[m++].at = i;
  }
  for (size_t i = 0; i < n; i++) /* after the copy, so adj may alias p */
    if (isnan(p[i])) adj[i] = NAN;
  if (m) qsort(r, m, sizeof *r, cmp_ranked);
  double run = 1.0;
  for (size_t k = m; k > 0; k--) {
    double v = r[k - 1].p * (double)m / (double)k;
    if (v < run) run = v;
    adj[r[k - 1].at] = run;
  }
done:
  free(r);
  return rc;
}

double qb_geomean(const double *ratios, size_t n) {
  /* exp of the mean of the logs of the positive ratios. Allocates nothing. */
  double sum = 0;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(ratios[i] > 0)) continue; /* NaN, zero and negative */
    sum += log(ratios[i]);
    m++;
  }
  return m ? exp(sum / (double)m) : NAN;
}

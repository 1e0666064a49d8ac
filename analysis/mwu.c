/* analysis/mwu.c - the two-sided Mann-Whitney U test: exact permutation distribution (with or
 * without ties) for small samples, tie-corrected normal approximation otherwise.
 * See docs/statistics.md for the definitions and their references. */
#include "analysis/mwu.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"

/* Counts of the permutation distribution of the rank-sum statistic, by dynamic programming over
 * the tie groups of the pooled sorted sample.
 *
 * The groups, in ascending value order, have sizes ties[0..n_groups) (summing to nx + ny). Every
 * choice of which nx of the nx + ny positions belong to x is equally likely; choosing c of a
 * group of size t can be done in C(t, c) ways. An x value in a group gets 1 for every y below it
 * and 1/2 for every y tied with it, so with `scale` = 2 (doubled U, integral even with ties) a
 * group where c of the t values go to x, after T positions of which k went to x, adds
 * c * (2 * (T - k) + (t - c)). With scale = 1 (only allowed when every group has size 1) it
 * adds c * (T - k): plain U.
 *
 * The state after the first T positions is (k = x values so far, partial statistic v); row k of
 * the table holds the counts over v. Rows are updated in place, from the highest k down, so the
 * rows read (k - c, c >= 1) still hold the previous group's counts. Only states that leave at
 * most ny values to y are visited; a row k holds values up to scale * k * ny.
 *
 * On success *out_counts is a malloc'd array whose first scale * nx * ny + 1 entries are the
 * number of assignments giving each statistic value (as doubles: at most C(100, 50) ~ 1e29, far
 * below DBL_MAX, and every term is a positive sum, so the relative error stays near the number of
 * additions times DBL_EPSILON). The caller frees it with free(). Time O(sum_g t_g * nx * scale *
 * nx * ny), memory O(nx * scale * nx * ny). */
static int null_counts(double **out_counts, const size_t *ties, size_t n_groups, size_t nx,
                       size_t ny, size_t scale, qb_err *err) {
  int rc = QB_OK;
  size_t width = scale * nx * ny + 1;
  double *f = NULL, *binom = NULL;
  *out_counts = NULL;
  size_t max_t = 1;
  for (size_t g = 0; g < n_groups; g++)
    if (ties[g] > max_t) max_t = ties[g];
  f = calloc((nx + 1) * width, sizeof *f);
  binom = malloc((max_t + 1) * sizeof *binom);
  if (!f || !binom) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for the exact distribution (%zu x %zu)", nx, ny);
    goto done;
  }
  f[0] = 1.0;
  size_t T = 0; /* positions processed so far */
  for (size_t g = 0; g < n_groups; g++) {
    size_t t = ties[g];
    /* C(t, c) for c = 0..t: exact integers in doubles for the group sizes that reach here
     * (t <= 50, since ties are only handled exactly up to 25 + 25; C(50, 25) < 2^53) */
    binom[0] = 1.0;
    for (size_t c = 1; c <= t; c++) binom[c] = binom[c - 1] * (double)(t - c + 1) / (double)c;
    /* states before: k in [kmin_old, kmax_old]; after: k' in [kmin_new, kmax_new] */
    size_t kmin_old = T > ny ? T - ny : 0, kmax_old = T < nx ? T : nx;
    size_t kmin_new = T + t > ny ? T + t - ny : 0, kmax_new = T + t < nx ? T + t : nx;
    for (size_t kn = kmax_new + 1; kn-- > kmin_new;) {
      double *dst = f + kn * width;
      /* dst already holds the c = 0 term (the old row kn, or zeros when kn > kmax_old) */
      for (size_t c = 1; c <= t && c <= kn; c++) {
        size_t k = kn - c;
        if (k < kmin_old || k > kmax_old) continue;
        const double *src = f + k * width;
        size_t shift = c * (scale * (T - k) + (scale - 1) * (t - c));
        size_t ylt = T - k < ny ? T - k : ny;
        size_t vmax = scale * k * ylt; /* largest value row k can hold after T positions */
        double w = binom[c];
        for (size_t v = 0; v <= vmax; v++) dst[v + shift] += w * src[v];
      }
    }
    T += t;
  }
  /* the answer is row nx; move it to the front so the caller sees one array */
  memmove(f, f + nx * width, width * sizeof *f);
  *out_counts = f;
  f = NULL;
done:
  free(binom);
  free(f);
  return rc;
}

/* ---- the untied null distributions, cached ---------------------------------------------------
 * Without ties the exact distribution of U depends on (nx, ny) only, and computing it costs
 * O((nx + ny) nx^2 ny): about 0.5-0.9 ms at 50 x 50, so a compare of 100 benchmarks with 50
 * rounds each spent most of its time here. Each one is computed once per process and kept as its
 * running sums from both ends, so that a test is two lookups. At most CACHE_SIZE (nx, ny) pairs
 * are kept (each at most 2 x 2501 doubles); the oldest one is replaced first. */
enum { CACHE_SIZE = 64 };

typedef struct dist {
  size_t nx, ny;
  double *lower; /* lower[v] = counts[0] + ... + counts[v] (in that order) */
  double *upper; /* upper[v] = counts[v] + ... + counts[top] */
  double total;
} dist;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static dist cache[CACHE_SIZE];
static size_t cache_next; /* the slot replaced next */

/* The cached distribution of (nx, ny), computed and added first when missing: use(d, arg) is
 * called with it while the cache is locked (so it must be quick). 0, or QB_ENOMEM. */
static int with_dist(size_t nx, size_t ny, void (*use)(const dist *d, void *arg), void *arg,
                     qb_err *err) {
  pthread_mutex_lock(&cache_mu);
  for (size_t i = 0; i < CACHE_SIZE; i++)
    if (cache[i].lower && cache[i].nx == nx && cache[i].ny == ny) {
      use(&cache[i], arg);
      pthread_mutex_unlock(&cache_mu);
      return QB_OK;
    }
  pthread_mutex_unlock(&cache_mu);
  /* not there: computed without the lock (another thread may do the same; one copy is kept) */
  size_t top = nx * ny, *ones = malloc((nx + ny) * sizeof *ones);
  double *counts = NULL, *lower = malloc((top + 1) * sizeof *lower),
         *upper = malloc((top + 1) * sizeof *upper);
  int rc = QB_OK;
  if (!ones || !lower || !upper) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for the exact distribution (%zu x %zu)", nx, ny);
    goto done;
  }
  for (size_t i = 0; i < nx + ny; i++) ones[i] = 1;
  if ((rc = null_counts(&counts, ones, nx + ny, nx, ny, 1, err))) goto done;
  double acc = 0;
  for (size_t v = 0; v <= top; v++) lower[v] = acc += counts[v];
  acc = 0;
  for (size_t v = top + 1; v-- > 0;) upper[v] = acc += counts[v];
  pthread_mutex_lock(&cache_mu);
  dist *d = NULL;
  for (size_t i = 0; i < CACHE_SIZE && !d; i++)
    if (cache[i].lower && cache[i].nx == nx && cache[i].ny == ny) d = &cache[i];
  if (!d) {
    d = &cache[cache_next];
    cache_next = (cache_next + 1) % CACHE_SIZE;
    free(d->lower);
    free(d->upper);
    *d = (dist){nx, ny, lower, upper, lower[top]};
    lower = upper = NULL;
  }
  use(d, arg);
  pthread_mutex_unlock(&cache_mu);
done:
  free(ones);
  free(counts);
  free(lower);
  free(upper);
  return rc;
}

/* with_dist callbacks: the two tails at one value, and the whole CDF. */
typedef struct tails {
  size_t obs;
  double lower, upper, total;
} tails;

static void read_tails(const dist *d, void *arg) {
  tails *t = arg;
  t->lower = d->lower[t->obs];
  t->upper = d->upper[t->obs];
  t->total = d->total;
}

typedef struct cdf_out {
  double *cdf;
} cdf_out;

static void read_cdf(const dist *d, void *arg) {
  cdf_out *c = arg;
  /* the running sum over the total, as the CDF has always been computed */
  for (size_t u = 0; u <= d->nx * d->ny; u++) c->cdf[u] = d->lower[u] / d->total;
}

int qb_mwu_exact_cdf(size_t nx, size_t ny, double *cdf, qb_err *err) {
  /* No ties: nx + ny groups of size 1, plain U. cdf[u] = (counts[0] + ... + counts[u]) / total,
   * summed from the low end, so the lower tail keeps full relative precision. */
  if (nx == 0 || ny == 0) return qb_err_set(err, QB_EUSAGE, "qb_mwu_exact_cdf: empty sample");
  cdf_out c = {cdf};
  return with_dist(nx, ny, read_cdf, &c, err);
}

typedef struct lower_q {
  double p;
  long long k;
  double cdf_k;
} lower_q;

static void read_lower(const dist *d, void *arg) {
  lower_q *q = arg;
  /* lower[] / total is non-decreasing: the last u with lower[u] / total <= p by bisection, with
   * the same division as read_cdf so the answer is the one a scan of the CDF gives */
  size_t lo = 0, hi = d->nx * d->ny + 1; /* the answer + 1 lies in [lo, hi] */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->lower[mid] / d->total <= q->p)
      lo = mid + 1;
    else
      hi = mid;
  }
  q->k = (long long)lo - 1;
  q->cdf_k = q->k >= 0 ? d->lower[q->k] / d->total : 0;
}

int qb_mwu_exact_lower(size_t nx, size_t ny, double p, long long *k, double *cdf_k, qb_err *err) {
  if (nx == 0 || ny == 0) return qb_err_set(err, QB_EUSAGE, "qb_mwu_exact_lower: empty sample");
  lower_q q = {p, -1, 0};
  int rc = with_dist(nx, ny, read_lower, &q, err);
  *k = q.k;
  *cdf_k = q.cdf_k;
  return rc;
}

/* 1 when some value of x[0..n) is NaN. */
static int has_nan(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isnan(x[i])) return 1;
  return 0;
}

int qb_mwu_sorted(const double *xs, size_t nx, const double *ys, size_t ny, qb_mwu_result *out,
                  qb_err *err) {
  int rc = QB_OK;
  double *counts = NULL;
  size_t *ties = NULL;
  if (nx == 0 || ny == 0)
    return qb_err_set(err, QB_EUSAGE, "mann-whitney: empty sample (nx = %zu, ny = %zu)", nx, ny);
  if (has_nan(xs, nx) || has_nan(ys, ny))
    return qb_err_set(err, QB_EUSAGE, "mann-whitney: sample contains nan");
  size_t N = nx + ny;
  if (!(ties = malloc(N * sizeof *ties))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", N);
    goto done;
  }

  /* Merge the two sorted samples into tie groups: a group of value v has cx values of x and cy
   * of y; each x in it is above the ylt values of y seen so far and tied with cy of them, so
   * 2U gains cx * (2 * ylt + cy). */
  unsigned long long u2 = 0, tie_term = 0;
  size_t n_groups = 0, i = 0, j = 0;
  int tied = 0;
  while (i < nx || j < ny) {
    double v = i < nx && (j >= ny || xs[i] <= ys[j]) ? xs[i] : ys[j];
    size_t cx = 0, cy = 0;
    while (i < nx && xs[i] == v) i++, cx++;
    while (j < ny && ys[j] == v) j++, cy++;
    unsigned long long t = cx + cy;
    u2 += (unsigned long long)cx * (2ULL * (j - cy) + cy);
    tie_term += t * t * t - t;
    ties[n_groups++] = (size_t)t;
    if (t > 1) tied = 1;
  }
  out->u = (double)u2 / 2.0;
  out->z = NAN;

  int exact = tied ? nx <= QB_MWU_EXACT_TIES_MAX && ny <= QB_MWU_EXACT_TIES_MAX
                   : nx <= QB_MWU_EXACT_MAX && ny <= QB_MWU_EXACT_MAX;
  out->exact = exact;
  if (exact && !tied) {
    /* U is an integer here; its distribution comes from the cache */
    tails t = {(size_t)(u2 / 2), 0, 0, 1};
    if ((rc = with_dist(nx, ny, read_tails, &t, err))) goto done;
    double p = 2.0 * (t.lower < t.upper ? t.lower : t.upper) / t.total;
    out->p = p > 1.0 ? 1.0 : p;
  } else if (exact) {
    /* with ties the distribution depends on the tie groups: computed here, in 2U */
    size_t scale = tied ? 2 : 1;
    if ((rc = null_counts(&counts, ties, n_groups, nx, ny, scale, err))) goto done;
    size_t top = scale * nx * ny, obs = (size_t)(tied ? u2 : u2 / 2);
    double lower = 0, upper = 0, total = 0;
    for (size_t v = 0; v <= top; v++) {
      total += counts[v];
      if (v <= obs) lower += counts[v];
      if (v >= obs) upper += counts[v];
    }
    double p = 2.0 * (lower < upper ? lower : upper) / total;
    out->p = p > 1.0 ? 1.0 : p;
  } else {
    /* scipy's order of operations, so the p-values agree to the last bits */
    double n = (double)N, n1n2 = (double)nx * (double)ny;
    double var = n1n2 / 12.0 * ((n + 1.0) - (double)tie_term / (n * (n - 1.0)));
    double mu = n1n2 / 2.0, d = fabs(out->u - mu) - 0.5; /* continuity, toward the mean */
    if (!(var > 0)) {
      out->z = 0; /* all values equal: U sits at its mean */
      out->p = 1.0;
    } else {
      double z = (d > 0 ? d : 0.0) / sqrt(var);
      double p = 2.0 * gsl_cdf_ugaussian_Q(z);
      out->z = out->u < mu ? -z : z;
      out->p = p > 1.0 ? 1.0 : p < 0.0 ? 0.0 : p;
    }
  }
done:
  free(counts);
  free(ties);
  return rc;
}

int qb_mwu(const double *x, size_t nx, const double *y, size_t ny, qb_mwu_result *out,
           qb_err *err) {
  if (nx == 0 || ny == 0)
    return qb_err_set(err, QB_EUSAGE, "mann-whitney: empty sample (nx = %zu, ny = %zu)", nx, ny);
  if (has_nan(x, nx) || has_nan(y, ny))
    return qb_err_set(err, QB_EUSAGE, "mann-whitney: sample contains nan");
  double *s = malloc((nx + ny) * sizeof *s);
  if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", nx + ny);
  memcpy(s, x, nx * sizeof *s);
  memcpy(s + nx, y, ny * sizeof *s);
  qb_sort_doubles(s, nx);
  qb_sort_doubles(s + nx, ny);
  int rc = qb_mwu_sorted(s, nx, s + nx, ny, out, err);
  free(s);
  return rc;
}

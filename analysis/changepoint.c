/* analysis/changepoint.c - change points of a series: E-Divisive means with a pooled Student's
 * t-test on a fixed grid of overlapping windows (candidates), then a merge pass whose tests look
 * beyond the window when that helps: up to 6 windows into the past and 1.5 into the future to
 * prove a small persistent step (a jump that a slope through both sides does not explain: slow
 * wander is no step), and over runs of same-direction change points to tell a step from a drift
 * that only looks like a staircase (docs/statistics.md, "Change points"). Every statistic
 * is computed from the points it covers only (block-local prefix sums, stretches cleaned per
 * cluster, direct sums in the merge), so a result never depends on where an analysis started:
 * that is what lets qb_changepoints_update re-analyse only the tail and still equal
 * qb_changepoints bit for bit. qb_cp_drifts describes the stretches between change points that
 * drift. Nothing here keeps memory between calls. */
#include "analysis/changepoint.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Fewest points a segment may have on either side of a split: a single outlier (or a pair) can
 * never become a segment of its own. */
#define CP_MIN_SEG 3

/* A value further than CP_OUTLIER_K noise sds from the median of its neighbourhood (5 values)
 * is an outlier and is replaced by that median; the noise sd is estimated as the median absolute
 * difference of consecutive values divided by CP_MAD_DIFF_SD (Phi^-1(3/4) sqrt 2, its value for
 * normal noise). */
#define CP_OUTLIER_K   5.0
#define CP_MAD_DIFF_SD 0.9538725524089398

/* The long sides of the merge's tests reach CP_LONG_MULT windows into the past (W) and one and
 * a half windows into the future (R = w + w / 2): the past does not change when points are
 * added, so it costs the incremental update nothing; the future does. A long past also lets a
 * slow wander average out on the left side instead of looking like the level before a step. */
#define CP_LONG_MULT 6

/* Candidates less than CP_CLUSTER_MULT windows apart are merged together: a staircase of points
 * that a drift leaves is judged as one run. */
#define CP_CLUSTER_MULT 2

/* The segments of a run of same-direction change points "slope" when lines fit them better than
 * levels at this level (F-test on the slopes); each change must then be a jump between the
 * segments' lines, not only between their means. */
#define CP_SLOPE_P 0.001

/* A step that only the long sides prove must also be visible on the local sides at this
 * (corrected) level: a slow wander builds up a difference over long sides without a step. */
#define CP_LONG_LOCAL_P 0.05

/* A split of a block that misses the first pass but reaches this level with the positions of its
 * span as the only choices is a candidate for the long test (a small step that may persist). */
#define CP_LOOSE_P 0.01

/* The sides of a long test must be levels: the largest partial sum of a side's residuals is at
 * most CP_STABLE_T sqrt(n) residual sds (1.36: the 5% point of Kolmogorov's distribution, the
 * supremum of a Brownian bridge), and the difference of the means at least CP_LONG_MIN_SD
 * residual sds. */
#define CP_STABLE_T    1.36
#define CP_LONG_MIN_SD 1.1

/* And the step must be a jump, not a slope: with one slope common to both sides (two parallel
 * lines), the jump between the lines must still be significant at this level (uncorrected). A
 * slow wander that crosses the candidate rises (or falls) through both sides, and a line takes
 * it; a persistent step keeps most of its jump. */
#define CP_LONG_SLOPE_P 0.003

/* Lag-1 autocorrelation above this is taken as this (the variance factor (1 + r)/(1 - r) is at
 * most 19). */
#define CP_AR_MAX 0.9

/* A candidate is stored as 2 index + (1 when it is for the long test only). */
#define CAND_POS(c)  ((c) >> 1)
#define CAND_LONG(c) ((int)((c)&1))

/* The parameters of one analysis, checked and derived from qb_cp_opts. */
typedef struct cp_cfg {
  size_t w;       /* window: points on each side of a candidate; blocks are 2w long, w apart */
  size_t W;       /* long sides' reach into the past (CP_LONG_MULT w, at most n) */
  size_t R;       /* long sides' reach into the future (w + w / 2) */
  size_t D;       /* candidates less than D apart (CP_CLUSTER_MULT w) are merged together */
  size_t M;       /* farthest move of a change point to the least-squares place of its step
                     (w / 2, at least CP_MIN_SEG - 1) */
  size_t batch;   /* batch size of the wander check (var_factor): w / 3, at least CP_MIN_SEG */
  double max_p;   /* final significance level (merge) */
  double weak_p;  /* first-pass level of the split step (looser, as Otava's weak change points) */
  double min_mag; /* smallest relative change kept */
} cp_cfg;

/* A growable array of indices (the candidate change points). v is malloc'd; idx_dispose frees. */
typedef struct idxvec {
  size_t *v;
  size_t n, cap;
} idxvec;

/* Append i; QB_ENOMEM when the array cannot grow. */
static int idx_push(idxvec *a, size_t i, qb_err *err) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 64;
    size_t *v = realloc(a->v, cap * sizeof *v);
    if (!v) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (candidates)");
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = i;
  return QB_OK;
}

/* Free the array's storage. */
static void idx_dispose(idxvec *a) {
  free(a->v);
  a->v = NULL;
  a->n = a->cap = 0;
}

/* qsort comparator for size_t. */
static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* Sort a's indices ascending and drop duplicates. */
static void idx_sort_unique(idxvec *a) {
  if (a->n < 2) return;
  qsort(a->v, a->n, sizeof *a->v, cmp_size);
  size_t k = 1;
  for (size_t i = 1; i < a->n; i++)
    if (a->v[i] != a->v[k - 1]) a->v[k++] = a->v[i];
  a->n = k;
}

/* The two-sided p-value of a Student t statistic t with df degrees of freedom, multiplied by
 * `choices` (Bonferroni) and returned at most 1; *raw (when not NULL) gets the product before that
 * cut (an order between failing tests that does not saturate at 1). NaN t gives 1 (raw: choices),
 * infinite t 0. */
static double t_pvalue(double t, double df, double choices, double *raw) {
  double p;
  if (isnan(t))
    p = choices;
  else if (isinf(t))
    p = 0;
  else
    p = 2 * gsl_cdf_tdist_Q(t, df) * choices;
  if (raw) *raw = p;
  return p > 1 ? 1.0 : p;
}

/* The p-value of a split into sides of m and k points whose means differ by d and whose sums of
 * squared deviations from their own means add up to ssd: the two-sided p-value of the pooled
 * (equal-variance) two-sample Student's t-test, t = d / sqrt(ssd / (m + k - 2) (1/m + 1/k)),
 * df = m + k - 2, multiplied by `choices`, the number of splits the search chose this one among
 * (Bonferroni), at most 1 (*raw, when not NULL: before the cut at 1). No difference gives 1, a
 * difference with no spread 0; no degree of freedom (or a NaN input, from values whose differences
 * overflow) gives 1. */
static double split_p(double m, double k, double d, double ssd, double choices, double *raw) {
  double df = m + k - 2;
  if (df < 1 || d == 0 || isnan(d) || isnan(ssd)) {
    if (raw) *raw = choices;
    return 1.0;
  }
  double sp2 = ssd / df;
  if (!(sp2 > 0)) {
    if (raw) *raw = 0;
    return 0.0;
  }
  return t_pvalue(fabs(d) / sqrt(sp2 * (1 / m + 1 / k)), df, choices, raw);
}

/* The variance factor of a mean of values whose residuals have lag-1 autocovariance sum ac and
 * sum of squares ss: (1 + r)/(1 - r) with r = ac / ss (the effective number of independent
 * values is n (1 - r)/(1 + r) for AR(1) noise); 1 when r <= 0 or ss is not positive; r at most
 * CP_AR_MAX. Runs that drift together from one to the next have a positive r. */
static double ar_factor(double ac, double ss) {
  if (!(ss > 0) || !(ac > 0)) return 1.0;
  double r = ac / ss;
  if (r > CP_AR_MAX) r = CP_AR_MAX;
  return (1 + r) / (1 - r);
}

/* The positions at which a span of m + k points can be split with CP_MIN_SEG points on each
 * side (at least 1): the first factor of every Bonferroni count. */
static double positions(size_t m, size_t k) {
  return m + k >= 2 * CP_MIN_SEG ? (double)(m + k - 2 * CP_MIN_SEG + 1) : 1.0;
}

/* |after / before - 1|, the relative magnitude of a change: infinite from 0 to anything else, 0
 * when both are 0. */
static double magnitude(double before, double after) {
  if (before == 0) return after == 0 ? 0.0 : INFINITY;
  return fabs(after / before - 1);
}

/* The median of the 3 values a, b, c. */
static double med3(double a, double b, double c) {
  return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
}

/* The median of v[lo..hi] (3 or 5 values), by insertion sort of a copy. */
static double med_small(const double *v, size_t lo, size_t hi) {
  if (hi - lo == 2) return med3(v[lo], v[lo + 1], v[lo + 2]);
  double a[5];
  for (int i = 0; i < 5; i++) {
    double x = v[lo + i];
    int j = i;
    for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
    a[j] = x;
  }
  return a[2];
}

/* The k-th smallest (0-based) of a[0..n), k < n, by Hoare's selection with a median-of-three
 * pivot; reorders a so that a[0..k) <= a[k] <= a[k + 1..n). Expected O(n). */
static double select_kth(double *a, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    double pivot = med3(a[lo], a[lo + (hi - lo) / 2], a[hi]);
    size_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        if (j == 0) break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break; /* a[j + 1..i) all equal the pivot */
  }
  return a[k];
}

/* The median of a[0..n), n >= 1 (the mean of the two middle values for even n, as np.median);
 * reorders a. */
static double median_of(double *a, size_t n) {
  double hi = select_kth(a, n, n / 2);
  if (n % 2) return hi;
  double lo = a[0];
  for (size_t i = 1; i < n / 2; i++) lo = a[i] > lo ? a[i] : lo;
  return lo + (hi - lo) / 2;
}

/* Copy v[0..n) to y with single-run outliers replaced: the neighbourhood of v[i] is
 * v[i - 2 .. i + 2], narrowed at the ends to 3 values (v[0..2] for i = 0 and 1, v[n - 3 .. n - 1]
 * for the last two), and v[i] is replaced by the neighbourhood's median when it is more than
 * limit = CP_OUTLIER_K sigma from it, sigma = median(|v[j + 1] - v[j]|) / CP_MAD_DIFF_SD. A run
 * of three or more values on one level is the median of each of its neighbourhoods, so segments
 * are kept; one or two values off their neighbours are removed. No replacement when sigma is 0
 * (mostly equal values) or n < 5. Only v[0..n) is read, so the result depends on no other point.
 * When the neighbourhood holds, besides v[i], at least half of the others within limit of v[i],
 * the median is within limit too (more than half of the values lie in [v[i] - limit, v[i] +
 * limit]), so it need not be computed. Each pair within 2 runs is compared once (|a - b| and
 * |b - a| are the same double): near1[j] for v[j], v[j + 1] and near2[j] for v[j], v[j + 2], kept
 * as bytes in scratch once the median is known. scratch holds n values. */
static void clean_outliers(const double *v, size_t n, double *y, double *scratch) {
  memcpy(y, v, n * sizeof *y);
  if (n < 5) return;
  for (size_t i = 0; i + 1 < n; i++) scratch[i] = fabs(v[i + 1] - v[i]);
  double limit = CP_OUTLIER_K * median_of(scratch, n - 1) / CP_MAD_DIFF_SD;
  if (!(limit > 0) || isinf(limit)) return;
  unsigned char *near1 = (unsigned char *)scratch, *near2 = near1 + n;
  for (size_t j = 0; j + 1 < n; j++) near1[j] = fabs(v[j + 1] - v[j]) <= limit;
  for (size_t j = 0; j + 2 < n; j++) near2[j] = fabs(v[j + 2] - v[j]) <= limit;
  for (size_t i = 0; i < n; i++) {
    size_t lo, hi, near; /* the others of v[lo..hi] within limit of v[i] */
    if (i < 2) {
      lo = 0, hi = 2, near = i ? near1[0] + near1[1] : near1[0] + near2[0];
    } else if (i > n - 3) {
      lo = n - 3, hi = n - 1;
      near = i == n - 2 ? near1[n - 3] + near1[n - 2] : near2[n - 3] + near1[n - 2];
    } else {
      lo = i - 2, hi = i + 2, near = near1[i - 1] + near1[i] + near2[i - 2] + near2[i];
    }
    if (2 * near >= hi - lo) continue;
    double m = med_small(v, lo, hi);
    if (fabs(v[i] - m) > limit) y[i] = m;
  }
}

/* The power of two s that brings max |v[i] - ref| (i < n) into [1/2, 1): statistics of
 * (v - ref) s are those of v - ref bit for bit (scaling by a power of two is exact), without
 * squares that overflow or underflow for values far from 1. 1 when all differences are 0 or one
 * is not finite. */
static double unit_scale(const double *v, size_t n, double ref) {
  double amax = 0;
  for (size_t i = 0; i < n; i++) {
    double a = fabs(v[i] - ref);
    amax = a > amax ? a : amax;
  }
  if (!(amax > 0) || isinf(amax)) return 1.0;
  int e;
  frexp(amax, &e);
  return ldexp(1.0, -e);
}

/* Sums of one stretch of residuals e[0..len) that tell how far a mean of them can be trusted:
 * the sum of squares, the lag-1 autocovariance sum and, over the full batches of `batch`
 * consecutive values (aligned to the end of the stretch when from_end, else to its start), the
 * sum over batches of (batch sum)^2 / batch and the number of batches. Added into *s. */
typedef struct resid_sums {
  double ss, ac, bm;
  size_t nb;
  double ks; /* the largest |cumulative sum| of the residuals (of the last stretch added) */
} resid_sums;

/* Add the stretch e[0..len) to *s (above). */
static void add_resid(const double *e, size_t len, size_t batch, int from_end, resid_sums *s) {
  double cs = 0;
  s->ks = 0;
  for (size_t j = 0; j < len; j++) {
    s->ss += e[j] * e[j];
    if (j + 1 < len) s->ac += e[j] * e[j + 1];
    cs += e[j];
    if (fabs(cs) > s->ks) s->ks = fabs(cs);
  }
  size_t nb = len / batch, off = from_end ? len - nb * batch : 0;
  for (size_t b = 0; b < nb; b++) {
    double t = 0;
    for (size_t j = 0; j < batch; j++) t += e[off + b * batch + j];
    s->bm += t * t / (double)batch;
  }
  s->nb += nb;
}

/* The variance factor of a mean of residuals with sums s (df: the residuals' degrees of
 * freedom): the larger of ar_factor (run-to-run correlation) and the batch-means ratio (the
 * variance of batch means times the batch size, over the residual variance: slow wander that
 * consecutive runs do not show), at least 1. */
static double var_factor(const resid_sums *s, double df) {
  double f = ar_factor(s->ac, s->ss);
  if (s->nb >= 2 && s->ss > 0 && df > 0) {
    double r = (s->bm / (double)s->nb) / (s->ss / df);
    if (r > f) f = r;
  }
  return f;
}

/* One side of a long test, v[0..len): its mean and its residuals around it, summed by add_resid
 * (batches aligned to the change point: from the end for the left side). e is scratch (len
 * values). */
typedef struct side_fit {
  double mean;
  resid_sums lv;
} side_fit;

/* Fit one side (above). */
static void fit_side(const double *v, size_t len, int left, size_t batch, double *e, side_fit *f) {
  double s = 0;
  for (size_t j = 0; j < len; j++) s += v[j];
  f->mean = s / (double)len;
  for (size_t j = 0; j < len; j++) e[j] = v[j] - f->mean;
  memset(&f->lv, 0, sizeof f->lv);
  add_resid(e, len, batch, left, &f->lv);
}

/* The result of a long test (long_test). before and after are in the units of its input. */
typedef struct long_result {
  int stable;           /* each side holds its level and the step is a jump (not a common slope);
                           when not, p is 1 */
  double p, raw;        /* corrected p-value (at most 1) and before that cut */
  double before, after; /* the means of the two sides */
} long_result;

/* The long test of a split of v[0..m + k) into [0, m) and [m, m + k) (m, k >= CP_MIN_SEG; values
 * centred and scaled; e: scratch of m + k values): the pooled t-test of the difference of the
 * means with the variance multiplied by var_factor of the residuals (df = (m + k) / factor - 2, at
 * least 1) and p by choices. It compares two levels, so it asks for levels: each side's partial
 * sums of residuals stay within CP_STABLE_T sqrt(n) residual sds (Kolmogorov's bound; a side that
 * wanders or slopes exceeds it), and the means differ by at least CP_LONG_MIN_SD residual sds
 * (smaller differences over long sides are no different from slow wander). And it asks for a
 * jump: fitted with one slope b common to both sides (b from the residuals around the side means
 * against the positions centred in each side), the jump between the two parallel lines,
 * d - b (m + k) / 2, must have a two-sided t-test p <= CP_LONG_SLOPE_P (variance s^2 (1/m + 1/k +
 * ((m + k) / 2)^2 / Suu) times the same factor, s^2 the residual variance of the lines, df =
 * (m + k) / factor - 3, at least 1): a wander that runs through the candidate is a slope across
 * both sides, and explains the difference of the means without a jump. Else p is 1. */
static void long_test(const double *v, size_t m, size_t k, size_t batch, double choices, double *e,
                      long_result *r) {
  side_fit L, R;
  fit_side(v, m, 1, batch, e, &L);
  fit_side(v + m, k, 0, batch, e + m, &R);
  double fm = (double)m, fk = (double)k, ss = L.lv.ss + R.lv.ss, d = R.mean - L.mean;
  resid_sums s = {ss, L.lv.ac + R.lv.ac, L.lv.bm + R.lv.bm, L.lv.nb + R.lv.nb, 0};
  double f = var_factor(&s, fm + fk - 2), df = (fm + fk) / f - 2;
  double var = ss / (fm + fk - 2) * (1 / fm + 1 / fk) * f;
  if (df < 1) df = 1;
  r->before = L.mean;
  r->after = R.mean;
  r->stable = !(L.lv.ss > 0 && L.lv.ks > CP_STABLE_T * sqrt(L.lv.ss / (fm - 1) * fm)) &&
              !(R.lv.ss > 0 && R.lv.ks > CP_STABLE_T * sqrt(R.lv.ss / (fk - 1) * fk)) &&
              !(fabs(d) < CP_LONG_MIN_SD * sqrt(ss / (fm + fk - 2)));
  if (r->stable) { /* the jump between two parallel lines */
    double cl = (fm - 1) / 2, cr = (fk - 1) / 2, sue = 0;
    for (size_t j = 0; j < m; j++) sue += ((double)j - cl) * e[j];
    for (size_t j = 0; j < k; j++) sue += ((double)j - cr) * e[m + j];
    double suu = fm * (fm * fm - 1) / 12 + fk * (fk * fk - 1) / 12, b = sue / suu;
    double jump = d - b * (fm + fk) / 2, rss = ss - b * sue, dfj = (fm + fk) / f - 3;
    double vj = (rss > 0 ? rss : 0) / (fm + fk - 3) *
                (1 / fm + 1 / fk + (fm + fk) * (fm + fk) / 4 / suu) * f;
    if (dfj < 1) dfj = 1;
    double pj = jump == 0 || isnan(jump) ? 1.0
                : !(vj > 0)              ? 0.0
                                         : t_pvalue(fabs(jump) / sqrt(vj), dfj, 1, NULL);
    r->stable = pj <= CP_LONG_SLOPE_P;
  }
  if (!r->stable || d == 0 || isnan(d) || isnan(ss)) {
    r->p = 1;
    r->raw = choices;
  } else if (!(ss > 0)) {
    r->p = r->raw = 0;
  } else {
    r->p = t_pvalue(fabs(d) / sqrt(var), df, choices, &r->raw);
  }
}

/* Scratch space of the split step, sized for blocks of 2w points: the block's cleaned values,
 * room for clean_outliers, prefix sums of the cleaned values and squares (centred on the first
 * value), the reciprocals 1/j and the values j (j = 1..2w), the divergences of one split's right
 * ends and a stack of intervals. One malloc'd buffer; split_dispose frees it. */
typedef struct split_scratch {
  double *y, *tmp, *ps, *pq, *rec, *num, *q;
  size_t *stack;
  void *mem;
} split_scratch;

/* Allocate the scratch for window w; QB_ENOMEM when it cannot. */
static int split_init(split_scratch *s, size_t w, qb_err *err) {
  size_t len = 2 * w + 1, depth = 2 * (2 * w / CP_MIN_SEG + 2);
  s->mem = malloc(7 * len * sizeof(double) + depth * sizeof(size_t));
  if (!s->mem) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (window %zu)", w);
  s->y = s->mem;
  s->tmp = s->y + len;
  s->ps = s->tmp + len;
  s->pq = s->ps + len;
  s->rec = s->pq + len;
  s->num = s->rec + len;
  s->q = s->num + len;
  s->stack = (size_t *)(s->q + len);
  s->rec[0] = s->num[0] = 0;
  for (size_t j = 1; j < len; j++) {
    s->rec[j] = 1.0 / (double)j;
    s->num[j] = (double)j;
  }
  return QB_OK;
}

/* Free the scratch space. */
static void split_dispose(split_scratch *s) {
  free(s->mem);
  s->mem = NULL;
}

/* The split step on one block x[b0..b1), cleaned of outliers: binary segmentation of E-Divisive
 * means. In an interval [a, b) of the block, every t with at least CP_MIN_SEG points on each side
 * is a candidate, with the left side L = [max(a, t - w), t) (at most w points) and every right
 * side R = [t, e) with CP_MIN_SEG <= e - t <= w, e <= b (Otava's search over kappa); the divergence
 * of a split is Q = m k / (m + k) (mean(L) - mean(R))^2, m and k the sides' sizes, each costing
 * O(1) through the prefix sums. The pair (t, e) with the largest Q (the first on ties, by t then
 * e) is tested with split_p on L and R, the choices being the positions of the span times the
 * right ends tried at t; it is kept when p <= weak_p and the relative change reaches min_mag, and
 * then [a, t) and [t, b) are segmented the same way. Appends the kept indices (absolute) to out,
 * coded as 2 index. A split that is not kept but whose p with the positions of the span as the
 * only choices reaches CP_LOOSE_P is appended as 2 index + 1: a candidate for the long test
 * only (a small step that the local sides cannot prove, and that may persist), placed at the t of
 * [a, b) where sides of up to w points without an end search differ most. */
static int split_block(const double *x, size_t b0, size_t b1, const cp_cfg *c, split_scratch *s,
                       idxvec *out, qb_err *err) {
  size_t len = b1 - b0, w = c->w;
  const double *y = s->y, *rec = s->rec, *num = s->num;
  clean_outliers(x + b0, len, s->y, s->tmp);
  double x0 = y[0], sc = unit_scale(y, len, x0), *ps = s->ps, *pq = s->pq;
  ps[0] = pq[0] = 0;
  for (size_t i = 0; i < len; i++) {
    double v = (y[i] - x0) * sc;
    ps[i + 1] = ps[i] + v;
    pq[i + 1] = pq[i] + v * v;
  }
  size_t *stack = s->stack, top = 0;
  stack[top++] = 0;
  stack[top++] = len;
  while (top) {
    size_t b = stack[--top], a = stack[--top];
    if (b - a < 2 * CP_MIN_SEG) continue;
    size_t best = 0, best_e = 0;
    double best_q = -1;
    for (size_t t = a + CP_MIN_SEG; t + CP_MIN_SEG <= b; t++) {
      size_t lo = t - a > w ? t - w : a, m = t - lo, last = b - t > w ? t + w : b;
      double base = ps[t], ml = (base - ps[lo]) * rec[m], fm = num[m], *qv = s->q;
      const double *pt = ps + t, *rm = rec + m;
      /* every right end's divergence, then the first largest: two loops the compiler can
       * vectorise (fm * num[k] is m k exactly, as (double)(m * k) was) */
      for (size_t k = CP_MIN_SEG; k <= last - t; k++) {
        double d = (pt[k] - base) * rec[k] - ml;
        qv[k] = d * d * (fm * num[k]) * rm[k];
      }
      for (size_t k = CP_MIN_SEG; k <= last - t; k++)
        if (qv[k] > best_q) {
          best_q = qv[k];
          best = t;
          best_e = t + k;
        }
    }
    if (!best) continue; /* every divergence NaN: values too large to compare */
    size_t t = best, e = best_e, lo = t - a > w ? t - w : a, ends = (b - t > w ? w : b - t);
    double m = (double)(t - lo), k = (double)(e - t);
    double sl = ps[t] - ps[lo], sr = ps[e] - ps[t];
    double ml = sl / m, mr = sr / k;
    double ssl = pq[t] - pq[lo] - sl * ml, ssr = pq[e] - pq[t] - sr * mr;
    double choices = positions(t - lo, e - t) * (double)(ends - CP_MIN_SEG + 1);
    double ssd = (ssl > 0 ? ssl : 0) + (ssr > 0 ? ssr : 0);
    double p = split_p(m, k, mr - ml, ssd, choices, NULL);
    if (!(p <= c->weak_p) || magnitude(x0 + ml / sc, x0 + mr / sc) < c->min_mag) {
      /* not a candidate here; but as a step that may persist, for the long test */
      int rc = QB_OK;
      if (split_p(m, k, mr - ml, ssd, positions(t - lo, e - t), NULL) <= CP_LOOSE_P) {
        /* placed where the two sides without an end search differ most (a persistent step) */
        size_t at = t;
        double bq = -1;
        for (size_t u = a + CP_MIN_SEG; u + CP_MIN_SEG <= b; u++) {
          size_t l2 = u - a > w ? u - w : a, h2 = b - u > w ? u + w : b, m2 = u - l2, k2 = h2 - u;
          double d = (ps[h2] - ps[u]) * rec[k2] - (ps[u] - ps[l2]) * rec[m2];
          double q = d * d * (double)(m2 * k2) * rec[m2 + k2];
          if (q > bq) {
            bq = q;
            at = u;
          }
        }
        rc = idx_push(out, 2 * (b0 + at) + 1, err);
      }
      if (rc) return rc;
      continue;
    }
    int rc = idx_push(out, 2 * (b0 + t), err);
    if (rc) return rc;
    stack[top++] = a;
    stack[top++] = t;
    stack[top++] = t;
    stack[top++] = b;
  }
  return QB_OK;
}

/* 1 when memo m holds candidates found with options o. */
static int memo_fits(const qb_cp_memo *m, const qb_cp_opts *o) {
  return m && m->start && m->opts.window == o->window && m->opts.max_p == o->max_p &&
         m->opts.min_magnitude == o->min_magnitude;
}

/* Record block k's code (SIZE_MAX: the block has none) in keep. */
static int keep_pair(idxvec *keep, size_t k, size_t code, qb_err *err) {
  int rc = idx_push(keep, k, err);
  return rc ? rc : idx_push(keep, code, err);
}

/* The raw candidates of the blocks k_from <= k < k_to of x[0..n): block k is
 * x[k w .. min(k w + 2w, n)), for every k whose block has at least 2 CP_MIN_SEG points. Block
 * k's candidates lie in [k w + CP_MIN_SEG, k w + 2w - CP_MIN_SEG]. Appends them to raw as
 * split_block codes them (unsorted): from memo when it holds k (memo NULL: none), else searched.
 * Every complete block's (k w + 2w <= n) are also recorded as (k, code) pairs in keep (when not
 * NULL), in the order they are appended. */
static int collect_raw(const double *x, size_t n, const cp_cfg *c, size_t k_from, size_t k_to,
                       const qb_cp_memo *memo, idxvec *keep, idxvec *raw, qb_err *err) {
  split_scratch s = {0};
  int rc = QB_OK;
  for (size_t k = k_from; k < k_to && k * c->w + 2 * CP_MIN_SEG <= n && !rc; k++) {
    size_t b0 = k * c->w, b1 = n - b0 > 2 * c->w ? b0 + 2 * c->w : n, before = raw->n;
    if (memo && k >= memo->k_from && k < memo->k_to) {
      for (size_t i = memo->start[k - memo->k_from]; i < memo->start[k - memo->k_from + 1] && !rc;
           i++)
        rc = idx_push(raw, memo->code[i], err);
    } else {
      if (!s.mem && (rc = split_init(&s, c->w, err))) break;
      rc = split_block(x, b0, b1, c, &s, raw, err);
    }
    if (rc || !keep || b1 != b0 + 2 * c->w) continue;
    if (raw->n == before) rc = keep_pair(keep, k, SIZE_MAX, err);
    for (size_t i = before; i < raw->n && !rc; i++) rc = keep_pair(keep, k, raw->v[i], err);
  }
  split_dispose(&s);
  return rc;
}

/* The memo of the (k, code) pairs in keep (the blocks collect_raw recorded, contiguous
 * together), for options o, into *out. */
static int memo_build(const idxvec *keep, const qb_cp_opts *o, qb_cp_memo *out, qb_err *err) {
  memset(out, 0, sizeof *out);
  size_t np = keep->n / 2, k_from = SIZE_MAX, k_to = 0, *at = NULL;
  const size_t *pr = keep->v;
  if (!np) return QB_OK;
  for (size_t i = 0; i < np; i++) {
    k_from = pr[2 * i] < k_from ? pr[2 * i] : k_from;
    k_to = pr[2 * i] + 1 > k_to ? pr[2 * i] + 1 : k_to;
  }
  size_t nb = k_to - k_from;
  if (!(out->start = calloc(nb + 1, sizeof *out->start)) ||
      !(out->code = malloc(np * sizeof *out->code)) || !(at = calloc(nb, sizeof *at))) {
    qb_cp_memo_dispose(out);
    return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory");
  }
  /* a counting sort by block that keeps each block's codes in their order */
  for (size_t i = 0; i < np; i++)
    if (pr[2 * i + 1] != SIZE_MAX) out->start[pr[2 * i] - k_from + 1]++;
  for (size_t b = 0; b < nb; b++) out->start[b + 1] += out->start[b];
  for (size_t i = 0; i < np; i++) {
    size_t b = pr[2 * i] - k_from;
    if (pr[2 * i + 1] != SIZE_MAX) out->code[out->start[b] + at[b]++] = pr[2 * i + 1];
  }
  free(at);
  out->opts = *o;
  out->k_from = k_from;
  out->k_to = k_to;
  return QB_OK;
}

void qb_cp_memo_dispose(qb_cp_memo *m) {
  if (!m) return;
  free(m->start);
  free(m->code);
  memset(m, 0, sizeof *m);
}

int qb_cp_memo_copy(const qb_cp_memo *m, qb_cp_memo *out, qb_err *err) {
  memset(out, 0, sizeof *out);
  if (!m || !m->start) return QB_OK;
  size_t nb = m->k_to - m->k_from, nc = m->start[nb];
  if (!(out->start = malloc((nb + 1) * sizeof *out->start)) ||
      !(out->code = malloc((nc ? nc : 1) * sizeof *out->code))) {
    qb_cp_memo_dispose(out);
    return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory");
  }
  memcpy(out->start, m->start, (nb + 1) * sizeof *out->start);
  memcpy(out->code, m->code, nc * sizeof *out->code);
  out->opts = m->opts;
  out->k_from = m->k_from;
  out->k_to = m->k_to;
  return QB_OK;
}

size_t qb_cp_memo_bytes(const qb_cp_memo *m) {
  if (!m || !m->start) return 0;
  return (m->k_to - m->k_from + 1 + m->start[m->k_to - m->k_from]) * sizeof(size_t);
}

/* The candidates from the raw ones (collect_raw), into out (replaced): sorted, unique, coded as
 * split_block codes them (CAND_POS, CAND_LONG; a long-only candidate at the position of another is
 * dropped). With the raw candidates of every block from k_lo on, the result is complete on
 * [(k_lo + 1) w, n) (on [0, n) for k_lo = 0). Sorts raw. */
static int finish_candidates(idxvec *raw, idxvec *out, qb_err *err) {
  idx_sort_unique(raw);
  out->n = 0;
  for (size_t i = 0; i < raw->n; i++) {
    size_t v = raw->v[i];
    if (CAND_LONG(v) && out->n && CAND_POS(out->v[out->n - 1]) == CAND_POS(v)) continue;
    int rc = idx_push(out, v, err);
    if (rc) return rc;
  }
  return QB_OK;
}

/* The merge state of one change point within its cluster: its step test (local and long), the
 * test of the run of same-direction change points it belongs to (when that run's segments slope,
 * the jump at the point between the segments' lines decides), and the outcome. */
typedef struct cp_state {
  size_t index;
  size_t prev, next;                 /* neighbours in the cluster's linked list (SIZE_MAX: none) */
  int lng;                           /* a candidate for the long test only */
  int by_long;                       /* the step test's outcome is the long test's */
  int dir;                           /* sign of the local step (-1, 0, 1): runs are of one sign */
  int short_side;                    /* a local side has fewer than CP_MIN_SEG points */
  double sp, sraw, sbefore, safter;  /* the step test */
  int sloped;                        /* its run slopes: the jump test decides */
  double jp, jraw, jbefore, jafter;  /* the jump test */
  double p, raw, mag, before, after; /* the outcome */
  int fails;
} cp_state;

/* What the merge of one cluster works with: the series, the options, scratch space (y, tmp: for
 * local tests and relocate; e: a run's stretch; ps: relocate's prefix sums; bd and seg: a run's
 * segments, 1 and 5 values per segment), the cluster's outer bounds and the candidates after
 * it. */
typedef struct merge_ctx {
  const double *x;
  size_t n;
  const cp_cfg *c;
  double *y, *tmp, *e, *ps, *seg;
  size_t *bd;
  size_t lb, rb; /* the cluster's outer bounds: the last change point kept before it (0: none),
                    the next cluster's first candidate (n: none) */
  /* the stretch the cluster's long tests and runs read, [z_lo, z_hi), cleaned of outliers once
   * and stored as (value - z0) zs in zv */
  double *zv, z0, zs;
  double *zp; /* prefix sums of zv (zp[j] = zv[0] + .. + zv[j - 1]) */
  size_t z_lo, z_hi;
  const size_t *fut; /* the candidates after the cluster (as finish_candidates codes them) */
  size_t nfut;
} merge_ctx;

/* The step test of change point c (st->index) of x[0..n) between its bounds lo_nb and hi_nb (its
 * neighbouring change points, or the cluster's outer bounds):
 *
 * - local: the span [lo, hi) = [max(lo_nb, c - w), min(hi_nb, c + w)) is cleaned of outliers
 *   into y (tmp is clean_outliers' scratch) and the sides [lo, c) and [c, hi) give the means and
 *   sums of squared deviations (summed directly, two passes, on the differences from the span's
 *   first value scaled by unit_scale) and split_p. The choices are the positions of the span
 *   times, for each side that ends at a neighbouring change point rather than at its window or
 *   the series' end, the w - CP_MIN_SEG + 1 places it could have ended.
 * - long: on the long span [max(lo_nb, c - W), min(hi_nb, c + R)) (up to W points of the past, up
 *   to R of the future: the past does not change when points are added), as cleaned for the whole
 *   cluster (merge_cluster), long_test; the choices are the long span's positions, the ends
 *   factor above for each side bounded short of its reach by a neighbour, and 2 (two scales).
 *
 * A candidate passes when the local test passes, or when the long test (run only when the local
 * one fails but reaches CP_LONG_LOCAL_P, and the long span is longer than the local one) gives a
 * smaller p that passes: a step must be visible where it happens, a slow wander that builds up a
 * difference over long sides is not one. A long-only candidate (st->lng) passes by the long test
 * only, which it must reach the same way. sp, sraw, sbefore and safter are those of the test that
 * decides (by_long: the long one); dir is the sign of the local step. */
static void test_step(const merge_ctx *g, size_t lo_nb, size_t hi_nb, cp_state *st) {
  const cp_cfg *c = g->c;
  const double *x = g->x;
  size_t n = g->n;
  double *y = g->y, *tmp = g->tmp;
  size_t i = st->index, lo = i - lo_nb > c->w ? i - c->w : lo_nb;
  size_t hi = hi_nb - i > c->w ? i + c->w : hi_nb, m = i - lo, k = hi - i;
  clean_outliers(x + lo, hi - lo, y, tmp);
  double y0 = y[0], sc = unit_scale(y, m + k, y0), sl = 0, sr = 0, ssd = 0;
  for (size_t j = 0; j < m; j++) sl += (y[j] - y0) * sc;
  for (size_t j = m; j < m + k; j++) sr += (y[j] - y0) * sc;
  double ml = sl / (double)m, mr = sr / (double)k;
  for (size_t j = 0; j < m; j++) ssd += ((y[j] - y0) * sc - ml) * ((y[j] - y0) * sc - ml);
  for (size_t j = m; j < m + k; j++) ssd += ((y[j] - y0) * sc - mr) * ((y[j] - y0) * sc - mr);
  double choices = positions(m, k), ends = (double)(c->w - CP_MIN_SEG + 1);
  if (m < c->w && lo_nb > 0) choices *= ends;
  if (k < c->w && hi_nb < n) choices *= ends;
  double p_local = split_p((double)m, (double)k, mr - ml, ssd, choices, &st->sraw);
  st->sp = p_local;
  st->sbefore = y0 + ml / sc;
  st->safter = y0 + mr / sc;
  st->dir = mr > ml ? 1 : mr < ml ? -1 : 0;
  st->short_side = m < CP_MIN_SEG || k < CP_MIN_SEG;
  st->by_long = 0;
  size_t lo2 = i - lo_nb > c->W ? i - c->W : lo_nb, hi2 = hi_nb - i > c->R ? i + c->R : hi_nb;
  size_t m2 = i - lo2, k2 = hi2 - i;
  if (st->short_side || (!st->lng && (p_local <= c->max_p || (m2 == m && k2 == k))) ||
      !(p_local <= CP_LONG_LOCAL_P)) {
    if (st->lng) st->sp = 1; /* a long-only candidate passes by the long test only */
    return;
  }
  double z0 = g->z0, zs = g->zs;
  double ch2 = positions(m2, k2) * 2;
  if (m2 < c->W && lo_nb > 0) ch2 *= ends;
  if (k2 < c->R && hi_nb < n) ch2 *= ends;
  long_result r;
  long_test(g->zv + (lo2 - g->z_lo), m2, k2, c->batch, ch2, g->e, &r);
  if (st->lng || r.raw < st->sraw) {
    st->sp = r.p;
    st->sraw = r.raw;
    st->sbefore = z0 + r.before / zs;
    st->safter = z0 + r.after / zs;
    st->by_long = 1;
  }
}

/* The jump tests of the run of change points s .. e (consecutive in the cluster's list, all of
 * one direction): the stretch [a, b) from the change point before the run (or the last one kept
 * before the cluster; at most W before s) to the one after it (or the series' end; at most R
 * after e), as cleaned for the whole cluster, is cut into segments at the run's points and, after
 * the cluster's last point, at the next clusters' candidates (where other steps may be), and a
 * line is fitted on each segment. When the lines fit significantly better than the levels
 * (F-test on the slopes, p <= CP_SLOPE_P: the levels do not stay put between the steps), or one
 * line through the whole stretch fits it at least as well as the levels do (a drift that the
 * cuts turned into steps: they were placed where the noise made the jumps largest, which hides
 * the slope inside the segments), each point's jump between the lines of its two segments at
 * the point is tested against its standard error (variance allowing for wandering noise,
 * var_factor; df = N / factor - parameters), the choices being the positions of its two
 * segments, the ends factor for each that ends at another change point, and 2; before and after
 * are the lines' values at the point. Otherwise no point of the run is judged by its jump. A
 * smooth drift seen as a staircase has no jump between its lines, and goes; so does a bend where
 * a drift starts or stops; a step on a drift stays. */
static void test_run(const merge_ctx *g, cp_state *st, size_t s, size_t e) {
  const cp_cfg *c = g->c;
  size_t n = g->n, k = 0, K, *bd = g->bd;
  size_t a = st[s].prev != SIZE_MAX ? st[st[s].prev].index : g->lb;
  size_t b = st[e].next != SIZE_MAX ? st[st[e].next].index : n;
  int capped_a = 0, capped_b = 0;
  if (st[s].index - a > c->W) a = st[s].index - c->W, capped_a = 1;
  if (b - st[e].index > c->R) b = st[e].index + c->R, capped_b = 1;
  bd[0] = a;
  for (size_t i = s;; i = st[i].next) {
    st[i].sloped = 0;
    bd[++k] = st[i].index;
    if (i == e) break;
  }
  K = k; /* after the cluster's last point, the next clusters' candidates cut segments too */
  if (st[e].next == SIZE_MAX)
    for (size_t j = 0; j < g->nfut && CAND_POS(g->fut[j]) < b; j++)
      if (!CAND_LONG(g->fut[j]) && CAND_POS(g->fut[j]) > bd[K]) bd[++K] = CAND_POS(g->fut[j]);
  bd[K + 1] = b;
  size_t len = b - a;
  const double *v = g->zv + (a - g->z_lo);
  double *ee = g->e, z0 = g->z0, zs = g->zs, syy = 0, rss = 0, params = 0;
  double *mean = g->seg, *ubar = mean + (K + 1), *slope = ubar + (K + 1), *suu = slope + (K + 1);
  double *suy = suu + (K + 1), sy_short = 0, su_short = 0;
  size_t n_short = 0;
  for (size_t q = 0; q <= K; q++) { /* segment q is [bd[q], bd[q + 1]) */
    size_t from = bd[q], to = bd[q + 1];
    double sum = 0, nn = (double)(to - from), sy = 0;
    for (size_t j = from; j < to; j++) sum += v[j - a];
    mean[q] = sum / nn;
    ubar[q] = ((double)from + (double)to - 1) / 2;
    suu[q] = nn * (nn * nn - 1) / 12;
    suy[q] = 0;
    for (size_t j = from; j < to; j++) {
      double d = v[j - a] - mean[q];
      suy[q] += ((double)j - ubar[q]) * d;
      sy += d * d;
    }
    syy += sy;
    if (to - from < c->w && suu[q] > 0) {
      n_short++;
      sy_short += suy[q];
      su_short += suu[q];
    }
  }
  /* a segment of w points or more has its own slope; the shorter ones share one when there are
   * two or more of them, and a single short one takes the slope common to all the segments (one
   * short segment may hold a step placed a few runs off, which is no slope) */
  double sy_all = sy_short, su_all = su_short;
  for (size_t q = 0; q <= K; q++)
    if (bd[q + 1] - bd[q] >= c->w && suu[q] > 0) {
      sy_all += suy[q];
      su_all += suu[q];
    }
  double b_short = n_short >= 2 ? sy_short / su_short : su_all > 0 ? sy_all / su_all : 0;
  double u_short = n_short >= 2 ? su_short : su_all;
  for (size_t q = 0; q <= K; q++) {
    int own = bd[q + 1] - bd[q] >= c->w && suu[q] > 0;
    slope[q] = own ? suy[q] / suu[q] : (suu[q] > 0 ? b_short : 0);
    if (!own) suu[q] = suu[q] > 0 ? u_short : 0; /* the shared slope's, or a level */
    rss += slope[q] * suy[q];
    params += own ? 2 : 1;
  }
  rss = syy - rss;
  if (n_short) params += 1;
  double N = (double)len, dfc = N - params, gain = syy - rss;
  if (dfc < 1) return;
  if (rss < 0) rss = 0;
  /* the stretch as one line, without the cuts */
  double sum = 0, uc = ((double)a + (double)b - 1) / 2, suy1 = 0, syy1 = 0;
  for (size_t j = 0; j < len; j++) sum += v[j];
  double mean1 = sum / N, suu1 = N * (N * N - 1) / 12;
  for (size_t j = 0; j < len; j++) {
    double d = v[j] - mean1;
    suy1 += ((double)(a + j) - uc) * d;
    syy1 += d * d;
  }
  double rss_line = syy1 - suy1 * (suy1 / suu1), dfn = params - (double)(K + 1);
  int slopes = gain > 0 && dfn > 0 &&
               (!(rss > 0) || gsl_cdf_fdist_Q(gain / dfn / (rss / dfc), dfn, dfc) <= CP_SLOPE_P);
  if (!slopes && !(rss_line <= syy)) return;
  resid_sums rs = {0}; /* residuals around the segments' lines */
  for (size_t q = 0; q <= K; q++) {
    size_t from = bd[q], to = bd[q + 1];
    for (size_t j = from; j < to; j++)
      ee[j - from] = v[j - a] - mean[q] - slope[q] * ((double)j - ubar[q]);
    add_resid(ee, to - from, c->batch, q == 0, &rs);
  }
  double f = var_factor(&rs, dfc), df = N / f - params, s2 = rss / dfc;
  double ends = (double)(c->w - CP_MIN_SEG + 1);
  if (df < 1) df = 1;
  size_t q = 1;
  for (size_t i = s;; i = st[i].next, q++) {
    size_t nl = bd[q] - bd[q - 1], nr = bd[q + 1] - bd[q];
    double u0 = (double)bd[q] - 0.5, dl = u0 - ubar[q - 1], dr = u0 - ubar[q];
    double at_l = mean[q - 1] + slope[q - 1] * dl, at_r = mean[q] + slope[q] * dr;
    double va_l = 1 / (double)nl + (suu[q - 1] > 0 ? dl * dl / suu[q - 1] : 0);
    double va_r = 1 / (double)nr + (suu[q] > 0 ? dr * dr / suu[q] : 0);
    double d = at_r - at_l, var = s2 * f * (va_l + va_r), ch = positions(nl, nr) * 2;
    if (bd[q - 1] > 0 && !(q == 1 && capped_a)) ch *= ends;
    if (bd[q + 1] < n && !(q == K && capped_b)) ch *= ends;
    cp_state *p = &st[i];
    p->sloped = 1;
    if (d == 0 || isnan(d)) {
      p->jp = 1;
      p->jraw = ch;
    } else if (!(var > 0)) {
      p->jp = p->jraw = 0;
    } else {
      p->jp = t_pvalue(fabs(d) / sqrt(var), df, ch, &p->jraw);
    }
    p->jbefore = z0 + at_l / zs;
    p->jafter = z0 + at_r / zs;
    if (i == e) break;
  }
}

/* The outcome of st's tests: the jump test when its run slopes, else the step test. A long-only
 * candidate whose run slopes fails: it is a step only the long test can prove, and that test
 * needs level sides. */
static void settle(const cp_cfg *c, cp_state *st) {
  if (st->sloped) {
    st->p = st->jp;
    st->raw = st->jraw;
    st->before = st->jbefore;
    st->after = st->jafter;
  } else {
    st->p = st->sp;
    st->raw = st->sraw;
    st->before = st->sbefore;
    st->after = st->safter;
  }
  st->mag = magnitude(st->before, st->after);
  st->fails =
      st->short_side || !(st->p <= c->max_p) || st->mag < c->min_mag || (st->lng && st->sloped);
}

/* The first and the last change point of the run (maximal stretch of consecutive change points
 * of one direction; 0 is a direction of its own) that st[i] belongs to. */
static size_t run_start(const cp_state *st, size_t i) {
  while (st[i].dir && st[i].prev != SIZE_MAX && st[st[i].prev].dir == st[i].dir) i = st[i].prev;
  return i;
}
static size_t run_end(const cp_state *st, size_t i) {
  while (st[i].dir && st[i].next != SIZE_MAX && st[st[i].next].dir == st[i].dir) i = st[i].next;
  return i;
}

/* Test the runs from the one st[from] belongs to up to the one st[to] belongs to (from not after
 * to in the list) with test_run, and settle their change points. */
static void test_runs(const merge_ctx *g, cp_state *st, size_t from, size_t to) {
  size_t s = run_start(st, from), last = run_end(st, to);
  for (;;) {
    size_t e = run_end(st, s);
    test_run(g, st, s, e);
    for (size_t i = s;; i = st[i].next) {
      settle(g->c, &st[i]);
      if (i == e) break;
    }
    if (e == last || st[e].next == SIZE_MAX) return;
    s = st[e].next;
  }
}

/* Append a result to the growable array *out (capacity *cap); QB_ENOMEM when it cannot grow. */
static int cp_push(qb_changepoint **out, size_t *n_out, size_t *cap, const qb_changepoint *cp,
                   qb_err *err) {
  if (*n_out == *cap) {
    size_t ncap = *cap ? 2 * *cap : 16;
    qb_changepoint *v = realloc(*out, ncap * sizeof *v);
    if (!v) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (results)");
    *out = v;
    *cap = ncap;
  }
  (*out)[(*n_out)++] = *cp;
  return QB_OK;
}

/* The bounds of st[i]'s sides: its neighbouring change point in the cluster, or the cluster's
 * outer bound (the last change point kept before the cluster, 0 for none; the next cluster's first
 * candidate, n for none). */
static size_t left_of(const merge_ctx *g, const cp_state *st, size_t i) {
  return st[i].prev != SIZE_MAX ? st[st[i].prev].index : g->lb;
}
static size_t right_of(const merge_ctx *g, const cp_state *st, size_t i) {
  return st[i].next != SIZE_MAX ? st[st[i].next].index : g->rb;
}

/* The step test of st[i] between its bounds. */
static void retest(const merge_ctx *g, cp_state *st, size_t i) {
  test_step(g, left_of(g, st, i), right_of(g, st, i), &st[i]);
}

/* The position t in [from, to] (at, when within, is tried first) that best splits the stretch
 * [lo, hi) = [max(lb, from - R), min(rb, to + R)) in two levels: the largest
 * Q = m k / (m + k) (mean([t, hi)) - mean([lo, t)))^2 on the cluster's cleaned stretch (the first
 * on ties). The outer ends stay put while t moves (windows that slide with t add the noise of the
 * points entering and leaving at their far ends; with fixed ends this is the least-squares place
 * of one step in the stretch, for a persistent step as good as with all of its points). */
static size_t long_argmax(const merge_ctx *g, size_t at, size_t from, size_t to, size_t lb,
                          size_t rb) {
  const cp_cfg *c = g->c;
  const double *ps = g->zp;
  size_t best = at, o = g->z_lo;
  size_t lo = from - lb > c->R ? from - c->R : lb, hi = rb - to > c->R ? to + c->R : rb;
  double best_q = -1;
  int have = at >= from && at <= to;
  for (size_t pass = have ? 0 : 1; pass < 2; pass++)
    for (size_t t = pass ? from : at; t <= (pass ? to : at); t++) {
      if (pass && have && t == at) continue;
      double m = (double)(t - lo), k = (double)(hi - t);
      double d = (ps[hi - o] - ps[t - o]) / k - (ps[t - o] - ps[lo - o]) / m;
      double q = m * k / (m + k) * d * d;
      if (q > best_q) {
        best_q = q;
        best = t;
      }
    }
  return best;
}

/* Move change point i to long_argmax within M runs of it (and at least CP_MIN_SEG from its
 * bounds). */
static size_t relocate_long(const merge_ctx *g, const cp_state *st, size_t i) {
  size_t at = st[i].index, l = left_of(g, st, i), r = right_of(g, st, i), M = g->c->M;
  size_t from = at - l >= M + CP_MIN_SEG ? at - M : l + CP_MIN_SEG;
  size_t to = r - at >= M + CP_MIN_SEG ? at + M : r - CP_MIN_SEG;
  return long_argmax(g, at, from, to, l, r);
}

/* Remove failing change points from the list starting at *head until none fails: each time the
 * failing one with the largest p (compared before the cut at 1; then, when min_magnitude is set,
 * the smallest magnitude; then the lowest index) goes, its two neighbours' step tests are redone
 * against their new neighbours and the runs that can have changed (those of the neighbours and
 * of their other neighbours) are tested again. The order never depends on where zero is or on the
 * unit: p-values are the same for x + a and b x (b > 0). */
static void prune(const merge_ctx *g, cp_state *st, size_t *head) {
  for (;;) {
    size_t worst = SIZE_MAX;
    for (size_t i = *head; i != SIZE_MAX; i = st[i].next) {
      if (!st[i].fails) continue;
      if (worst == SIZE_MAX || st[i].raw > st[worst].raw ||
          (st[i].raw == st[worst].raw && g->c->min_mag > 0 && st[i].mag < st[worst].mag))
        worst = i;
    }
    if (worst == SIZE_MAX) return;
    size_t l = st[worst].prev, r = st[worst].next;
    if (l != SIZE_MAX)
      st[l].next = r;
    else
      *head = r;
    if (r != SIZE_MAX) st[r].prev = l;
    if (l != SIZE_MAX) retest(g, st, l);
    if (r != SIZE_MAX) retest(g, st, r);
    /* the runs that can change: those of l, r and their other neighbours */
    if (l == SIZE_MAX && r == SIZE_MAX) return;
    size_t a = l != SIZE_MAX ? (st[l].prev != SIZE_MAX ? st[l].prev : l) : r;
    size_t b = r != SIZE_MAX ? (st[r].next != SIZE_MAX ? st[r].next : r) : l;
    test_runs(g, st, a, b);
  }
}

/* Move the change point at `at`, between the change points l and r, to the position t within
 * CP_MIN_SEG - 1 runs of it and at least CP_MIN_SEG from l and r whose split has the largest
 * divergence as the split step measures it, inside at's own test span [lo, hi) = [max(l, at - w),
 * min(r, at + w)) (which holds no candidate of another cluster): the left side [max(lo, t - w),
 * t), the best right side [t, e) with CP_MIN_SEG <= e - t <= w, e <= hi, and Q = m k / (m + k)
 * (mean(R) - mean(L))^2, on the span cleaned of outliers (into y; tmp is clean_outliers'
 * scratch; ps holds the prefix sums). Its own position wins ties, then the leftmost. */
static size_t relocate(const double *x, size_t l, size_t r, size_t at, const cp_cfg *c, double *y,
                       double *tmp, double *ps) {
  size_t w = c->w, from = at - l >= 2 * CP_MIN_SEG - 1 ? at - CP_MIN_SEG + 1 : l + CP_MIN_SEG;
  size_t to = r - at >= 2 * CP_MIN_SEG - 1 ? at + CP_MIN_SEG - 1 : r - CP_MIN_SEG;
  size_t lo = at - l > w ? at - w : l, hi = r - at > w ? at + w : r;
  clean_outliers(x + lo, hi - lo, y, tmp);
  double ref = y[0], sc = unit_scale(y, hi - lo, ref), best_q = -1;
  ps[0] = 0;
  for (size_t j = 0; j < hi - lo; j++) ps[j + 1] = ps[j] + (y[j] - ref) * sc;
  size_t best = at;
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t t = pass ? from : at; t <= (pass ? to : at); t++) {
      if (pass && t == at) continue;
      size_t a = t - lo > w ? t - w : lo, last = hi - t > w ? t + w : hi, m = t - a;
      double ml = (ps[t - lo] - ps[a - lo]) / (double)m, q = -1;
      for (size_t e = t + CP_MIN_SEG; e <= last; e++) {
        double d = (ps[e - lo] - ps[t - lo]) / (double)(e - t) - ml;
        double qe = (double)(m * (e - t)) / (double)(m + e - t) * d * d;
        q = qe > q ? qe : q;
      }
      if (q > best_q) {
        best_q = q;
        best = t;
      }
    }
  return best;
}

/* The merge pass on one cluster of candidates pos[0..np) (as finish_candidates codes them;
 * consecutive candidates less than D apart, the candidates around it at least D away, all of one
 * kind), g->lb and g->rb bounding its sides, relocations and runs. The stretch its long tests and
 * runs read is cleaned of outliers once (into g->zv, with prefix sums g->zp).
 *
 * Candidates: (1) every candidate is tested (step tests, then runs) and the cluster pruned.
 * (2) Each survivor, left to right, is relocated between its (already relocated) left and its
 * right neighbour: by relocate_long (up to M runs, to the least-squares place of one step
 * between its neighbours, wider than the split's own window) or, when its run slopes (levels do
 * not describe its sides), by relocate (up to CP_MIN_SEG - 1 runs, by the split step's measure).
 * (3) Every survivor is tested again and the cluster pruned again.
 *
 * Long-only candidates: the one position of [first - M, last + M] (inside the bounds) that
 * long_argmax chooses is tested (it must pass the long test).
 *
 * The survivors are appended to *out. Only the points from W + M before the cluster's candidates
 * (not below lb) to R + M after them (not beyond rb) are read, and no point moves by more than M.
 * Allocates the cluster's state and frees it. */
static int merge_cluster(merge_ctx *g, const size_t *pos, size_t np, qb_changepoint **out,
                         size_t *n_out, size_t *cap, qb_err *err) {
  int rc = QB_OK;
  const cp_cfg *c = g->c;
  size_t first = CAND_POS(pos[0]), last = CAND_POS(pos[np - 1]), M = c->M;
  size_t reach = c->W + M, ahead = c->R + M;
  g->z_lo = first - g->lb > reach ? first - reach : g->lb;
  g->z_hi = g->n - last > ahead ? last + ahead : g->n;
  clean_outliers(g->x + g->z_lo, g->z_hi - g->z_lo, g->zv, g->tmp);
  g->z0 = g->zv[0];
  g->zs = unit_scale(g->zv, g->z_hi - g->z_lo, g->z0);
  g->zp[0] = 0;
  for (size_t j = 0; j < g->z_hi - g->z_lo; j++) {
    g->zv[j] = (g->zv[j] - g->z0) * g->zs;
    g->zp[j + 1] = g->zp[j] + g->zv[j];
  }
  int loose = CAND_LONG(pos[0]);
  size_t ns = loose ? 1 : np;
  cp_state *st = malloc(ns * sizeof *st);
  if (!st) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (merge)");
  for (size_t i = 0; i < ns; i++) {
    st[i].index = CAND_POS(pos[i]);
    st[i].lng = loose;
    st[i].prev = i ? i - 1 : SIZE_MAX;
    st[i].next = i + 1 < ns ? i + 1 : SIZE_MAX;
  }
  size_t head = 0;
  if (loose) {
    size_t lo = g->lb + CP_MIN_SEG, hi = g->rb >= CP_MIN_SEG ? g->rb - CP_MIN_SEG : 0;
    size_t from = first > lo + M ? first - M : lo, to = last + M < hi ? last + M : hi;
    if (from > to) {
      head = SIZE_MAX;
    } else {
      st[0].index = long_argmax(g, first, from, to, g->lb, g->rb);
      retest(g, st, 0);
      test_runs(g, st, 0, 0);
      if (st[0].fails) head = SIZE_MAX;
    }
  } else {
    for (size_t i = 0; i < np; i++) retest(g, st, i);
    test_runs(g, st, 0, np - 1);
    prune(g, st, &head);
    for (size_t i = head; i != SIZE_MAX; i = st[i].next)
      st[i].index = !st[i].sloped ? relocate_long(g, st, i)
                                  : relocate(g->x, left_of(g, st, i), right_of(g, st, i),
                                             st[i].index, c, g->y, g->tmp, g->ps);
    size_t tail = head;
    for (size_t i = head; i != SIZE_MAX; i = st[i].next) {
      retest(g, st, i);
      tail = i;
    }
    if (head != SIZE_MAX) test_runs(g, st, head, tail);
    prune(g, st, &head);
  }
  for (size_t i = head; i != SIZE_MAX; i = st[i].next) {
    qb_changepoint cp = {st[i].index, st[i].p, st[i].before, st[i].after,
                         st[i].before != 0 ? st[i].after / st[i].before - 1 : NAN};
    rc = cp_push(out, n_out, cap, &cp, err);
    if (rc) break;
  }
  free(st);
  return rc;
}

/* The merge pass on the sorted candidates pos[0..np) (as finish_candidates codes them), cluster
 * by cluster (a new cluster starts where two consecutive candidates are at least D apart; a
 * cluster with a candidate that is not long-only drops its long-only ones), left to right: a
 * cluster's sides reach back at most to the last change point kept so far (in *out, which may
 * already hold the change points before pos[0]) and forward at most to the next candidate that is
 * not long-only (its runs reach R further, cut at the candidates there). Appends the survivors to
 * *out. Allocates the tests' scratch space and frees it. */
static int merge_all(const double *x, size_t n, const size_t *pos, size_t np, const cp_cfg *c,
                     qb_changepoint **out, size_t *n_out, size_t *cap, qb_err *err) {
  int rc = QB_OK;
  if (!np) return rc;
  size_t span = 0, most = 0; /* the widest cluster and the most candidates in one */
  for (size_t i = 0, j; i < np; i = j) {
    for (j = i + 1; j < np && CAND_POS(pos[j]) - CAND_POS(pos[j - 1]) < c->D; j++) {
    }
    size_t sp = CAND_POS(pos[j - 1]) - CAND_POS(pos[i]);
    span = sp > span ? sp : span;
    most = j - i > most ? j - i : most;
  }
  /* the stretch a cluster reads, and 2w for the local tests */
  size_t len = span + c->W + c->R + 2 * c->M + 2 * c->w + 2;
  most += c->R + 2; /* a run's segments: the cluster's candidates and those within R after it */
  double *y = malloc((6 * len + 5 * most + 6) * sizeof *y);
  size_t *bd = malloc((most + 2) * sizeof *bd), *kept = malloc(most * sizeof *kept);
  if (!y || !bd || !kept) {
    free(y);
    free(bd);
    free(kept);
    return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (merge)");
  }
  merge_ctx g = {x,  n,    c, y,           y + len, y + 2 * len, y + 3 * len, y + 6 * len + 1,
                 bd, 0,    n, y + 4 * len, 0,       1,           y + 5 * len, 0,
                 0,  NULL, 0};
  size_t i = 0, f = 0; /* pos[f]: the next candidate (not long-only) at or after pos[j] */
  while (i < np && !rc) {
    size_t j = i + 1;
    while (j < np && CAND_POS(pos[j]) - CAND_POS(pos[j - 1]) < c->D) j++;
    if (f < j) f = j;
    while (f < np && CAND_LONG(pos[f])) f++;
    g.lb = *n_out ? (*out)[*n_out - 1].index : 0;
    g.rb = f < np ? CAND_POS(pos[f]) : n;
    g.fut = pos + j;
    g.nfut = np - j;
    /* a cluster with a candidate that is not long-only is merged without its long-only ones */
    size_t nk = 0;
    for (size_t q = i; q < j; q++)
      if (!CAND_LONG(pos[q])) kept[nk++] = pos[q];
    rc = nk ? merge_cluster(&g, kept, nk, out, n_out, cap, err)
            : merge_cluster(&g, pos + i, j - i, out, n_out, cap, err);
    i = j;
  }
  free(y);
  free(bd);
  free(kept);
  return rc;
}

/* Check the options (NULL: the defaults) and x, and derive the configuration for n points: a
 * window wider than the series behaves as a window of n points (the sides are clipped at the ends
 * either way), so w, W and D are narrowed to n to keep the block arithmetic small. QB_EUSAGE for a
 * window below CP_MIN_SEG, max_p outside [0, 1], a negative or NaN min_magnitude, or a non-finite
 * value in x (named by its index). */
static int setup(const double *x, size_t n, const qb_cp_opts *o, cp_cfg *c, qb_err *err) {
  qb_cp_opts d = QB_CP_OPTS_INIT;
  if (!o) o = &d;
  if (o->window < CP_MIN_SEG)
    return qb_err_set(err, QB_EUSAGE, "changepoints: window %zu is below the minimum %d", o->window,
                      CP_MIN_SEG);
  if (!(o->max_p >= 0 && o->max_p <= 1))
    return qb_err_set(err, QB_EUSAGE, "changepoints: max_p %g is outside [0, 1]", o->max_p);
  if (!(o->min_magnitude >= 0))
    return qb_err_set(err, QB_EUSAGE, "changepoints: min_magnitude %g is not >= 0",
                      o->min_magnitude);
  if (n && !x) return qb_err_set(err, QB_EUSAGE, "changepoints: no values");
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return qb_err_set(err, QB_EUSAGE, "changepoints: x[%zu] is %s", i,
                        isnan(x[i]) ? "NaN" : "infinite");
  c->w = o->window > n ? n : o->window;
  c->W = o->window > n / CP_LONG_MULT ? n : o->window * CP_LONG_MULT;
  c->R = c->w + c->w / 2; /* from the narrowed w: a reach past the series' end binds nowhere */
  c->D = o->window > n / CP_CLUSTER_MULT ? n : o->window * CP_CLUSTER_MULT;
  c->M = c->w / 2 > CP_MIN_SEG - 1 ? c->w / 2 : CP_MIN_SEG - 1;
  c->batch = c->w / 3 > CP_MIN_SEG ? c->w / 3 : CP_MIN_SEG;
  c->max_p = o->max_p;
  c->weak_p = o->max_p < 0.05 ? 10 * o->max_p : o->max_p < 0.5 ? 2 * o->max_p : o->max_p;
  c->min_mag = o->min_magnitude;
  return QB_OK;
}

int qb_changepoints(const double *x, size_t n, const qb_cp_opts *o, qb_changepoint **out,
                    size_t *n_out, qb_err *err) {
  /* Candidates from every block, then the merge pass over all of them. Allocates *out (NULL when
   * there are no change points); the caller frees it. */
  *out = NULL;
  *n_out = 0;
  cp_cfg c;
  idxvec raw = {0}, cand = {0};
  size_t cap = 0;
  int rc = setup(x, n, o, &c, err);
  if (rc || n < 2 * CP_MIN_SEG) return rc;
  if ((rc = collect_raw(x, n, &c, 0, SIZE_MAX, NULL, NULL, &raw, err))) goto done;
  if ((rc = finish_candidates(&raw, &cand, err))) goto done;
  rc = merge_all(x, n, cand.v, cand.n, &c, out, n_out, &cap, err);
done:
  idx_dispose(&raw);
  idx_dispose(&cand);
  if (rc) {
    free(*out);
    *out = NULL;
    *n_out = 0;
  }
  return rc;
}

/* The largest cut C <= a (a: where the candidates of the two series may begin to differ) that
 * separates the merge pass into a part that is the same in both series and a part to redo:
 * (1) no candidate lies in [C - gap + 1, C - 1], and that window lies where the candidates are
 * known completely ([exact_lo, n); all of [0, n) when exact_lo is 0); (2) the clusters left of C
 * read the same points and candidates in both series: the last candidate below C (known, or below
 * exact_lo) is at least `reach` (how far a cluster reads past its last candidate) before a.
 * SIZE_MAX when no cut qualifies among the known candidates. Candidates c[0..nc) are sorted (as
 * finish_candidates codes them). */
static size_t find_cut(const size_t *c, size_t nc, size_t gap, size_t a, size_t exact_lo,
                       size_t reach) {
  size_t i = 0, cut = a;
  while (i < nc && CAND_POS(c[i]) < a) i++; /* c[i - 1] is the last candidate below the cut */
  for (;; i--) {
    if (exact_lo && cut + 1 < exact_lo + gap) return SIZE_MAX;
    size_t last = i ? CAND_POS(c[i - 1]) : 0;
    if (i == 0 || last + gap <= cut) {
      if (i == 0 || last < exact_lo) {
        if (!exact_lo || exact_lo - 1 + reach <= a) return cut; /* the last is below exact_lo */
      } else if (last + reach <= a) {
        return cut;
      }
      if (i == 0) return SIZE_MAX;
    }
    cut = last;
  }
}

/* Whether the update after n_old points can start short of the series' beginning (window w, not
 * narrowed to the series): the first block that reaches past n_old must exist, and W (hence R and
 * D) must not be narrowed in either series. */
static int update_is_partial(size_t n_old, size_t w) {
  return w >= CP_MIN_SEG && w < n_old && n_old >= 2 * w && w <= n_old / CP_LONG_MULT;
}

/* The first block of one try of the update's search for a cut (window w), looking back `look`
 * points before a (where the candidates may start to differ): *k_lo, and *exact_lo the start of
 * the region where the candidates are then complete (0: everywhere). */
static void update_blocks(size_t a, size_t look, size_t w, size_t *k_lo, size_t *exact_lo) {
  size_t target = a + 1 > look ? a + 1 - look : 0;
  *k_lo = target >= 2 * w ? target / w - 1 : 0;
  *exact_lo = *k_lo ? (*k_lo + 1) * w : 0;
}

/* The first point one try of the update reads: its first block, and the long sides of the points
 * right of the cut (a cut is at least gap - 1 past exact_lo; a point moves left by at most M and
 * its long side reaches W further back: back = W + M). */
static size_t update_first_read(size_t k_lo, size_t exact_lo, size_t w, size_t back, size_t gap) {
  if (!exact_lo) return 0;
  size_t low_cut = exact_lo + gap - 1, reach = back;
  size_t s = low_cut > reach ? low_cut - reach : 0;
  return s < k_lo * w ? s : k_lo * w;
}

size_t qb_changepoints_tail_start(size_t n_old, const qb_cp_opts *o) {
  qb_cp_opts d = QB_CP_OPTS_INIT;
  if (!o) o = &d;
  size_t w = o->window;
  if (!update_is_partial(n_old, w)) return 0;
  size_t W = w * CP_LONG_MULT, M = w / 2 > CP_MIN_SEG - 1 ? w / 2 : CP_MIN_SEG - 1;
  size_t D = w * CP_CLUSTER_MULT, reach = w + w / 2 + M, gap = D > 2 * M ? D : 2 * M + 1;
  size_t a = ((n_old - 2 * w) / w + 1) * w, k_lo, exact_lo;
  /* what the first two tries of the search for a cut read: the second goes back twice as far */
  update_blocks(a, 2 * (gap > reach ? gap : reach), w, &k_lo, &exact_lo);
  return update_first_read(k_lo, exact_lo, w, W + M, gap);
}

int qb_changepoints_update(const double *x, size_t n, size_t n_old, const qb_changepoint *prev,
                           size_t n_prev, const qb_cp_opts *o, qb_changepoint **out, size_t *n_out,
                           qb_err *err) {
  int need_all;
  return qb_changepoints_update_tail(x, 0, n, n_old, prev, n_prev, o, out, n_out, &need_all, err);
}

int qb_changepoints_update_tail(const double *x, size_t from, size_t n, size_t n_old,
                                const qb_changepoint *prev, size_t n_prev, const qb_cp_opts *o,
                                qb_changepoint **out, size_t *n_out, int *need_all, qb_err *err) {
  return qb_changepoints_update_memo(x, from, n, n_old, prev, n_prev, o, NULL, NULL, out, n_out,
                                     need_all, err);
}

int qb_changepoints_update_memo(const double *x, size_t from, size_t n, size_t n_old,
                                const qb_changepoint *prev, size_t n_prev, const qb_cp_opts *o,
                                const qb_cp_memo *memo, qb_cp_memo *memo_out, qb_changepoint **out,
                                size_t *n_out, int *need_all, qb_err *err) {
  /* Why this equals qb_changepoints(x, n) (docs/statistics.md, "Incremental update"): a block
   * that ends at or before n_old holds the same points in both series and gives the same
   * candidates, so with A the start of the first block that does not, the candidates below A are
   * the same. The merge pass decides the clusters (candidates less than D apart) left to right,
   * each from its own candidates, the last change point kept before it (lb), the next candidate
   * that is not long-only (rb), the candidates within R + M after it and the points from W + M
   * before it to R + M after it, moving none of its change points by more than M. A cut C <= A
   * with no candidate in the gap = max(D, 2M + 1) points before it separates the clusters in both
   * series; when the last candidate before C is also at least R + M before A (find_cut), the
   * clusters left of C read the same points and candidates in both series and give the same
   * change points, all below C - M: exactly those of prev below C - M (the clusters right of C
   * give none there). Right of C the candidates are recomputed from the blocks of the cut's search
   * region on and merged as the full analysis does, from lb = the last copied change point. The
   * cut is searched for from A leftwards, in a stretch that doubles (adding blocks to the left of
   * those already analysed) until one is found (at worst C = 0: a full analysis). Allocates *out;
   * the caller frees it. */
  *out = NULL;
  *n_out = 0;
  *need_all = 0;
  qb_cp_memo_dispose(memo_out);
  cp_cfg c;
  idxvec raw = {0}, cand = {0}, keep = {0};
  size_t cap = 0;
  int rc = setup(x, n, o, &c, err);
  if (rc) return rc;
  if (from > n_old)
    return qb_err_set(err, QB_EUSAGE, "changepoints: from %zu is beyond n_old %zu", from, n_old);
  if (n_old > n)
    return qb_err_set(err, QB_EUSAGE, "changepoints: n_old %zu is beyond n %zu", n_old, n);
  if (n_prev && !prev) return qb_err_set(err, QB_EUSAGE, "changepoints: no previous points");
  for (size_t i = 0; i < n_prev; i++)
    if (prev[i].index == 0 || prev[i].index >= n_old || (i && prev[i].index <= prev[i - 1].index))
      return qb_err_set(err, QB_EUSAGE,
                        "changepoints: prev[%zu].index %zu is not increasing within [1, %zu)", i,
                        prev[i].index, n_old);
  qb_cp_opts d = QB_CP_OPTS_INIT;
  if (!o) o = &d;
  if (!memo_fits(memo, o)) memo = NULL;
  if (n < 2 * CP_MIN_SEG || !update_is_partial(n_old, o->window)) {
    if (from) { /* a full analysis reads every point */
      *need_all = 1;
      return QB_OK;
    }
    return qb_changepoints(x, n, o, out, n_out, err);
  }
  /* here w, W, R and D are not narrowed: W <= n_old <= n */
  size_t w = c.w, a = ((n_old - 2 * w) / w + 1) * w, cut = SIZE_MAX, reach = c.R + c.M;
  size_t gap = c.D > 2 * c.M ? c.D : 2 * c.M + 1, k_lo, exact_lo, k_done = SIZE_MAX;
  size_t look = gap > reach ? gap : reach;
  for (;;) {
    update_blocks(a, look, w, &k_lo, &exact_lo);
    if (from && update_first_read(k_lo, exact_lo, w, c.W + c.M, gap) < from) {
      *need_all = 1;
      goto done;
    }
    /* the blocks from k_lo on, adding to those of the tries before */
    if ((rc = collect_raw(x, n, &c, k_lo, k_done, memo, memo_out ? &keep : NULL, &raw, err)))
      goto done;
    k_done = k_lo;
    if ((rc = finish_candidates(&raw, &cand, err))) goto done;
    cut = find_cut(cand.v, cand.n, gap, a, exact_lo, reach);
    if (cut != SIZE_MAX) break; /* always found once exact_lo is 0 */
    look *= 2;
  }
  for (size_t i = 0; i < n_prev && prev[i].index + c.M < cut; i++) {
    rc = cp_push(out, n_out, &cap, &prev[i], err);
    if (rc) goto done;
  }
  size_t first = 0;
  while (first < cand.n && CAND_POS(cand.v[first]) < cut) first++;
  rc = merge_all(x, n, cand.v + first, cand.n - first, &c, out, n_out, &cap, err);
  if (!rc && memo_out) rc = memo_build(&keep, o, memo_out, err);
done:
  idx_dispose(&raw);
  idx_dispose(&cand);
  idx_dispose(&keep);
  if (rc) {
    free(*out);
    *out = NULL;
    *n_out = 0;
  }
  return rc;
}

/* A ramp fit on a stretch v[0..len) (centred and scaled values) at positions u = 0..len - 1:
 * y = a + b clamp(u, k1, k2), least squares in the regressor z = clamp(u, k1, k2) (k1 < k2 <
 * len), whose sums come in O(1) from the prefix sums ps[i] = v[0] + .. + v[i - 1] and
 * pu[i] = sum of j v[j] (j < i); sum is ps[len]. *slope and *icpt (when not NULL) get b and a;
 * returns the residual sum of squares given syy, the sum of squares of v around its mean. */
static double ramp_fit(const double *ps, const double *pu, double sum, double syy, size_t len,
                       size_t k1, size_t k2, double *slope, double *icpt) {
  double n1 = (double)(k1 + 1), n3 = (double)(len - k2), f1 = (double)k1, f2 = (double)k2;
  double nm = (double)(k2 - k1 - 1), su = (f1 + f2) * nm / 2, suu = 0; /* u = k1 + 1 .. k2 - 1 */
  if (nm > 0) suu = (f2 - 1) * f2 * (2 * f2 - 1) / 6 - f1 * (f1 + 1) * (2 * f1 + 1) / 6;
  double sz = f1 * n1 + su + f2 * n3, szz = f1 * f1 * n1 + suu + f2 * f2 * n3;
  double szy = f1 * ps[k1 + 1] + (pu[k2] - pu[k1 + 1]) + f2 * (ps[len] - ps[k2]);
  double N = (double)len, czz = szz - sz * sz / N, czy = szy - sz * sum / N;
  if (!(czz > 0)) return syy;
  double b = czy / czz, rss = syy - b * czy;
  if (slope) *slope = b;
  if (icpt) *icpt = (sum - b * sz) / N;
  return rss > 0 ? rss : 0;
}

int qb_cp_drifts(const double *x, size_t n, const qb_changepoint *cps, size_t n_cps,
                 const qb_cp_opts *o, qb_cp_drift **out, size_t *n_out, qb_err *err) {
  /* Each stretch between change points (and the series' ends) of at least max(w, 2 CP_MIN_SEG)
   * points is cleaned of outliers and a line fitted; it drifts when the slope is significant at
   * max_p (t-test, the variance times var_factor of the residuals, df = n / factor - 2: runs
   * that drift together or wander slowly do not make a drift) and the change over the stretch
   * reaches min_magnitude. The drifting part is the ramp a + b clamp(u, k1, k2) (at least as many
   * points as a stretch) that fits best, k1 and k2 on a grid of at most 64 places each, then
   * refined to the run; it is kept instead of the whole stretch when it fits better by more than
   * its two extra parameters cost (Schwarz: len log(RSS_line / RSS_ramp) > 2 log len). Allocates
   * *out (NULL when none); the caller frees it. */
  *out = NULL;
  *n_out = 0;
  cp_cfg c;
  int rc = setup(x, n, o, &c, err);
  if (rc) return rc;
  if (n_cps && !cps) return qb_err_set(err, QB_EUSAGE, "changepoints: no change points");
  for (size_t i = 0; i < n_cps; i++)
    if (cps[i].index == 0 || cps[i].index >= n || (i && cps[i].index <= cps[i - 1].index))
      return qb_err_set(err, QB_EUSAGE,
                        "changepoints: cps[%zu].index %zu is not increasing within [1, %zu)", i,
                        cps[i].index, n);
  size_t cap = 0, most = 0, min_len = c.w > 2 * CP_MIN_SEG ? c.w : 2 * CP_MIN_SEG;
  for (size_t i = 0; i <= n_cps; i++) {
    size_t s = i ? cps[i - 1].index : 0, e = i < n_cps ? cps[i].index : n;
    most = e - s > most ? e - s : most;
  }
  double *mem = malloc((5 * most + 2) * sizeof *mem);
  if (!mem) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (drifts)");
  double *y = mem, *tmp = y + most, *e = tmp + most, *ps = e + most, *pu = ps + most + 1;
  for (size_t i = 0; i <= n_cps && !rc; i++) {
    size_t s = i ? cps[i - 1].index : 0, len = (i < n_cps ? cps[i].index : n) - s;
    if (len < min_len) continue;
    clean_outliers(x + s, len, y, tmp);
    double y0 = y[0], sc = unit_scale(y, len, y0), suy = 0, syy = 0;
    ps[0] = pu[0] = 0;
    for (size_t j = 0; j < len; j++) {
      y[j] = (y[j] - y0) * sc;
      ps[j + 1] = ps[j] + y[j];
      pu[j + 1] = pu[j] + (double)j * y[j];
    }
    double N = (double)len, sum = ps[len], mean = sum / N, ub = (N - 1) / 2;
    double suu = N * (N * N - 1) / 12;
    for (size_t j = 0; j < len; j++) {
      double d = y[j] - mean;
      suy += ((double)j - ub) * d;
      syy += d * d;
    }
    double b = suy / suu, rss = syy - b * suy;
    if (rss < 0) rss = 0;
    resid_sums r = {0};
    for (size_t j = 0; j < len; j++) e[j] = y[j] - mean - b * ((double)j - ub);
    add_resid(e, len, c.batch, 0, &r);
    double f = var_factor(&r, N - 2), df = N / f - 2, p;
    if (df < 1) df = 1;
    if (b == 0 || isnan(b))
      p = 1;
    else if (!(rss > 0))
      p = 0;
    else
      p = t_pvalue(fabs(b) / sqrt(rss / (N - 2) / suu * f), df, 1, NULL);
    if (!(p <= c.max_p)) continue;
    /* where it drifts: the best ramp of at least min_len points, coarse then fine */
    size_t step = len > 64 ? (len + 63) / 64 : 1, b1 = 0, b2 = len - 1;
    double best = rss;
    for (size_t k1 = 0; k1 + min_len <= len; k1 += step)
      for (size_t d2 = 0; k1 + min_len + d2 <= len; d2 += step) {
        double q = ramp_fit(ps, pu, sum, syy, len, k1, len - 1 - d2, NULL, NULL);
        if (q < best) {
          best = q;
          b1 = k1;
          b2 = len - 1 - d2;
        }
      }
    if (step > 1) {
      size_t c1 = b1, c2 = b2;
      for (size_t k1 = c1 > step ? c1 - step : 0; k1 <= c1 + step; k1++)
        for (size_t k2 = c2 > step ? c2 - step : 0; k2 <= c2 + step && k2 < len; k2++) {
          if (k2 < k1 + min_len - 1) continue;
          double q = ramp_fit(ps, pu, sum, syy, len, k1, k2, NULL, NULL);
          if (q < best) {
            best = q;
            b1 = k1;
            b2 = k2;
          }
        }
    }
    double before = mean + b * (0 - ub), after = mean + b * ((double)(len - 1) - ub);
    if ((b1 || b2 != len - 1) && best > 0 && N * log(rss / best) > 2 * log(N)) {
      double slope = 0, icpt = 0;
      ramp_fit(ps, pu, sum, syy, len, b1, b2, &slope, &icpt);
      before = icpt + slope * (double)b1;
      after = icpt + slope * (double)b2;
    } else {
      b1 = 0;
      b2 = len - 1;
    }
    before = y0 + before / sc;
    after = y0 + after / sc;
    if (magnitude(before, after) < c.min_mag) continue;
    if (*n_out == cap) {
      size_t ncap = cap ? 2 * cap : 8;
      qb_cp_drift *v = realloc(*out, ncap * sizeof *v);
      if (!v) {
        rc = qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (drifts)");
        break;
      }
      *out = v;
      cap = ncap;
    }
    (*out)[(*n_out)++] =
        (qb_cp_drift){s + b1, s + b2 + 1, p, before, after, before != 0 ? after / before - 1 : NAN};
  }
  free(mem);
  if (rc) {
    free(*out);
    *out = NULL;
    *n_out = 0;
  }
  return rc;
}

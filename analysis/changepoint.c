/* analysis/changepoint.c - change points of a series: E-Divisive means with a pooled Student's
 * t-test, on a fixed grid of overlapping windows, then a merge pass (docs/statistics.md, "Change
 * points"). Every statistic is computed from the points it covers only (block-local prefix sums,
 * direct sums in the merge), so a result never depends on where an analysis started: that is what
 * lets qb_changepoints_update re-analyse only the tail and still equal qb_changepoints bit for
 * bit. Nothing here keeps memory between calls. */
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

/* The parameters of one analysis, checked and derived from qb_cp_opts. */
typedef struct cp_cfg {
  size_t w;       /* window: points on each side of a candidate; blocks are 2w long, w apart */
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

/* The p-value of a split into sides of m and k points whose means differ by d and whose sums of
 * squared deviations from their own means add up to ssd: the two-sided p-value of the pooled
 * (equal-variance) two-sample Student's t-test, t = d / sqrt(ssd / (m + k - 2) (1/m + 1/k)),
 * df = m + k - 2, multiplied by `choices`, the number of splits the search chose this one among
 * (Bonferroni), at most 1. No difference gives 1, a difference with no spread 0; no degree of
 * freedom (or a NaN input, from values whose differences overflow) gives 1. */
static double split_p(double m, double k, double d, double ssd, double choices) {
  double df = m + k - 2;
  if (df < 1 || d == 0 || isnan(d) || isnan(ssd)) return 1.0;
  double sp2 = ssd / df;
  if (!(sp2 > 0)) return 0.0;
  double t = fabs(d) / sqrt(sp2 * (1 / m + 1 / k));
  if (isnan(t)) return 1.0;
  if (isinf(t)) return 0.0;
  double p = 2 * gsl_cdf_tdist_Q(t, df) * choices;
  return p > 1 ? 1.0 : p;
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
 * limit]), so it need not be computed. scratch holds n values. */
static void clean_outliers(const double *v, size_t n, double *y, double *scratch) {
  memcpy(y, v, n * sizeof *y);
  if (n < 5) return;
  for (size_t i = 0; i + 1 < n; i++) scratch[i] = fabs(v[i + 1] - v[i]);
  double limit = CP_OUTLIER_K * median_of(scratch, n - 1) / CP_MAD_DIFF_SD;
  if (!(limit > 0) || isinf(limit)) return;
  for (size_t i = 0; i < n; i++) {
    size_t lo = i < 2 ? 0 : i > n - 3 ? n - 3 : i - 2, hi = i < 2 ? 2 : i > n - 3 ? n - 1 : i + 2;
    size_t near = 0;
    for (size_t j = lo; j <= hi; j++) near += j != i && fabs(v[j] - v[i]) <= limit;
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

/* Scratch space of the split step, sized for blocks of 2w points: the block's cleaned values,
 * room for clean_outliers, prefix sums of the cleaned values and squares (centred on the first
 * value), the reciprocals 1/j (j = 1..2w) and a stack of intervals. One malloc'd buffer;
 * split_dispose frees it. */
typedef struct split_scratch {
  double *y, *tmp, *ps, *pq, *rec;
  size_t *stack;
  void *mem;
} split_scratch;

/* Allocate the scratch for window w; QB_ENOMEM when it cannot. */
static int split_init(split_scratch *s, size_t w, qb_err *err) {
  size_t len = 2 * w + 1, depth = 2 * (2 * w / CP_MIN_SEG + 2);
  s->mem = malloc(5 * len * sizeof(double) + depth * sizeof(size_t));
  if (!s->mem) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (window %zu)", w);
  s->y = s->mem;
  s->tmp = s->y + len;
  s->ps = s->tmp + len;
  s->pq = s->ps + len;
  s->rec = s->pq + len;
  s->stack = (size_t *)(s->rec + len);
  s->rec[0] = 0;
  for (size_t j = 1; j < len; j++) s->rec[j] = 1.0 / (double)j;
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
 * then [a, t) and [t, b) are segmented the same way. Appends the kept indices (absolute) to out. */
static int split_block(const double *x, size_t b0, size_t b1, const cp_cfg *c, split_scratch *s,
                       idxvec *out, qb_err *err) {
  size_t len = b1 - b0, w = c->w;
  const double *y = s->y, *rec = s->rec;
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
      double base = ps[t], ml = (base - ps[lo]) * rec[m];
      for (size_t e = t + CP_MIN_SEG; e <= last; e++) {
        size_t k = e - t;
        double d = (ps[e] - base) * rec[k] - ml;
        double q = d * d * (double)(m * k) * rec[m + k];
        if (q > best_q) {
          best_q = q;
          best = t;
          best_e = e;
        }
      }
    }
    if (!best) continue; /* every divergence NaN: values too large to compare */
    size_t t = best, e = best_e, lo = t - a > w ? t - w : a, ends = (b - t > w ? w : b - t);
    double m = (double)(t - lo), k = (double)(e - t);
    double sl = ps[t] - ps[lo], sr = ps[e] - ps[t];
    double ml = sl / m, mr = sr / k;
    double ssl = pq[t] - pq[lo] - sl * ml, ssr = pq[e] - pq[t] - sr * mr;
    double choices = positions(t - lo, e - t) * (double)(ends - CP_MIN_SEG + 1);
    double p = split_p(m, k, mr - ml, (ssl > 0 ? ssl : 0) + (ssr > 0 ? ssr : 0), choices);
    if (!(p <= c->weak_p) || magnitude(x0 + ml / sc, x0 + mr / sc) < c->min_mag) continue;
    int rc = idx_push(out, b0 + t, err);
    if (rc) return rc;
    stack[top++] = a;
    stack[top++] = t;
    stack[top++] = t;
    stack[top++] = b;
  }
  return QB_OK;
}

/* The candidates (weak change points) of the blocks k >= k_lo of x[0..n): block k is
 * x[k w .. min(k w + 2w, n)), for every k whose block has at least 2 CP_MIN_SEG points. Block k's
 * candidates lie in [k w + CP_MIN_SEG, k w + 2w - CP_MIN_SEG], so the result is the complete
 * candidate set on [(k_lo + 1) w, n) (on [0, n) for k_lo = 0). Appends to out, sorted, unique. */
static int collect_candidates(const double *x, size_t n, const cp_cfg *c, size_t k_lo, idxvec *out,
                              qb_err *err) {
  split_scratch s = {0};
  int rc = split_init(&s, c->w, err);
  if (rc) return rc;
  for (size_t b0 = k_lo * c->w; b0 + 2 * CP_MIN_SEG <= n; b0 += c->w) {
    size_t b1 = n - b0 > 2 * c->w ? b0 + 2 * c->w : n;
    rc = split_block(x, b0, b1, c, &s, out, err);
    if (rc) goto done;
  }
  idx_sort_unique(out);
done:
  split_dispose(&s);
  return rc;
}

/* The merge test of one change point: its state within a cluster. */
typedef struct cp_state {
  size_t index;
  size_t prev, next; /* neighbours in the cluster's linked list (SIZE_MAX: none) */
  double p, mag, before, after;
  int fails;
} cp_state;

/* Test change point c (st->index) of x[0..n) between its neighbouring change points (or the
 * series' ends) lo_nb and hi_nb: the span [lo, hi) = [max(lo_nb, c - w), min(hi_nb, c + w)) is
 * cleaned of outliers into y (tmp is clean_outliers' scratch; both hold 2w values), and the sides
 * [lo, c) and [c, hi) give the means and sums of squared deviations (summed directly, two passes,
 * on the differences from the span's first value scaled by unit_scale) and split_p. The choices are
 * the positions of the span times, for each side that ends at a neighbouring change point rather
 * than at its window or the series' end, the w - CP_MIN_SEG + 1 places it could have ended. The
 * point fails when a side has fewer than CP_MIN_SEG points, p > max_p or the relative change is
 * below min_mag. */
static void test_point(const double *x, size_t n, size_t lo_nb, size_t hi_nb, const cp_cfg *c,
                       double *y, double *tmp, cp_state *st) {
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
  st->p = split_p((double)m, (double)k, mr - ml, ssd, choices);
  ml = y0 + ml / sc;
  mr = y0 + mr / sc;
  st->before = ml;
  st->after = mr;
  st->mag = magnitude(ml, mr);
  st->fails = m < CP_MIN_SEG || k < CP_MIN_SEG || !(st->p <= c->max_p) || st->mag < c->min_mag;
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

/* The index of st[i]'s neighbour change point on the left (0 at the series' start) and on the
 * right (n at its end). */
static size_t left_of(const cp_state *st, size_t i) {
  return st[i].prev != SIZE_MAX ? st[st[i].prev].index : 0;
}
static size_t right_of(const cp_state *st, size_t i, size_t n) {
  return st[i].next != SIZE_MAX ? st[st[i].next].index : n;
}

/* Remove failing change points from the list starting at *head until none fails: each time the
 * failing one with the largest p (then the smallest magnitude, then the lowest index) goes and its
 * two neighbours are re-tested against their new neighbours. */
static void prune(const double *x, size_t n, cp_state *st, size_t *head, const cp_cfg *c, double *y,
                  double *tmp) {
  for (;;) {
    size_t worst = SIZE_MAX;
    for (size_t i = *head; i != SIZE_MAX; i = st[i].next) {
      if (!st[i].fails) continue;
      if (worst == SIZE_MAX || st[i].p > st[worst].p ||
          (st[i].p == st[worst].p && st[i].mag < st[worst].mag))
        worst = i;
    }
    if (worst == SIZE_MAX) return;
    size_t l = st[worst].prev, r = st[worst].next;
    if (l != SIZE_MAX)
      st[l].next = r;
    else
      *head = r;
    if (r != SIZE_MAX) st[r].prev = l;
    if (l != SIZE_MAX) test_point(x, n, left_of(st, l), right_of(st, l, n), c, y, tmp, &st[l]);
    if (r != SIZE_MAX) test_point(x, n, left_of(st, r), right_of(st, r, n), c, y, tmp, &st[r]);
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

/* The merge pass on one cluster of candidates pos[0..np) (consecutive candidates less than w
 * apart; the candidates around it are at least w away). (1) Every candidate is tested and the
 * cluster pruned. (2) Each survivor, left to right, is relocated between its (already relocated)
 * left and its right neighbour: a first split that fell between two nearby steps in the same
 * direction, one or two runs short of the second, moves onto it (the recursion could not place a
 * split that close to it). (3) Every survivor is re-tested and the cluster pruned again. The
 * survivors are appended to *out. Only the cluster's candidates and the points within
 * w + CP_MIN_SEG - 1 of them are read, and no point moves by more than CP_MIN_SEG - 1.
 * Allocates the cluster's state and frees it. */
static int merge_cluster(const double *x, size_t n, const size_t *pos, size_t np, const cp_cfg *c,
                         double *y, double *tmp, double *ps, qb_changepoint **out, size_t *n_out,
                         size_t *cap, qb_err *err) {
  int rc = QB_OK;
  cp_state *st = malloc(np * sizeof *st);
  if (!st) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (merge)");
  for (size_t i = 0; i < np; i++) {
    st[i].index = pos[i];
    st[i].prev = i ? i - 1 : SIZE_MAX;
    st[i].next = i + 1 < np ? i + 1 : SIZE_MAX;
  }
  size_t head = 0;
  for (size_t i = 0; i < np; i++)
    test_point(x, n, left_of(st, i), right_of(st, i, n), c, y, tmp, &st[i]);
  prune(x, n, st, &head, c, y, tmp);
  for (size_t i = head; i != SIZE_MAX; i = st[i].next)
    st[i].index = relocate(x, left_of(st, i), right_of(st, i, n), st[i].index, c, y, tmp, ps);
  for (size_t i = head; i != SIZE_MAX; i = st[i].next)
    test_point(x, n, left_of(st, i), right_of(st, i, n), c, y, tmp, &st[i]);
  prune(x, n, st, &head, c, y, tmp);
  for (size_t i = head; i != SIZE_MAX; i = st[i].next) {
    qb_changepoint cp = {st[i].index, st[i].p, st[i].before, st[i].after,
                         st[i].before != 0 ? st[i].after / st[i].before - 1 : NAN};
    rc = cp_push(out, n_out, cap, &cp, err);
    if (rc) break;
  }
  free(st);
  return rc;
}

/* The merge pass on the sorted candidates pos[0..np), cluster by cluster (a new cluster starts
 * where two consecutive candidates are at least w apart). Appends the survivors to *out.
 * Allocates the tests' scratch space and frees it. */
static int merge_all(const double *x, size_t n, const size_t *pos, size_t np, const cp_cfg *c,
                     qb_changepoint **out, size_t *n_out, size_t *cap, qb_err *err) {
  int rc = QB_OK;
  if (!np) return rc;
  size_t len = 2 * c->w + 2 * CP_MIN_SEG; /* the longest span: a relocation's */
  double *y = malloc(3 * len * sizeof *y);
  if (!y) return qb_err_set(err, QB_ENOMEM, "changepoints: out of memory (merge)");
  size_t i = 0;
  while (i < np && !rc) {
    size_t j = i + 1;
    while (j < np && pos[j] - pos[j - 1] < c->w) j++;
    rc = merge_cluster(x, n, pos + i, j - i, c, y, y + len, y + 2 * len, out, n_out, cap, err);
    i = j;
  }
  free(y);
  return rc;
}

/* Check the options (NULL: the defaults) and x, and derive the configuration. QB_EUSAGE for a
 * window below CP_MIN_SEG, max_p outside [0, 1], a negative or NaN min_magnitude, or a
 * non-finite value in x (named by its index). */
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
  c->w = o->window;
  c->max_p = o->max_p;
  c->weak_p = o->max_p < 0.05 ? 10 * o->max_p : o->max_p < 0.5 ? 2 * o->max_p : o->max_p;
  c->min_mag = o->min_magnitude;
  return QB_OK;
}

int qb_changepoints(const double *x, size_t n, const qb_cp_opts *o, qb_changepoint **out,
                    size_t *n_out, qb_err *err) {
  /* Candidates from every block, then the merge pass over all of them. A window wider than the
   * series behaves as a window of n points (the sides are clipped at the ends either way), so it
   * is narrowed to n to keep the block arithmetic small. Allocates *out (NULL when there are no
   * change points); the caller frees it. */
  *out = NULL;
  *n_out = 0;
  cp_cfg c;
  idxvec cand = {0};
  size_t cap = 0;
  int rc = setup(x, n, o, &c, err);
  if (rc || n < 2 * CP_MIN_SEG) return rc;
  if (c.w > n) c.w = n;
  rc = collect_candidates(x, n, &c, 0, &cand, err);
  if (rc) goto done;
  rc = merge_all(x, n, cand.v, cand.n, &c, out, n_out, &cap, err);
done:
  idx_dispose(&cand);
  if (rc) {
    free(*out);
    *out = NULL;
    *n_out = 0;
  }
  return rc;
}

/* The largest cut C <= a such that no candidate lies in [C - gap + 1, C - 1], among the cuts
 * whose window [C - gap + 1, C) lies where the candidates are known completely ([exact_lo, n);
 * all of [0, n) when exact_lo is 0); SIZE_MAX when there is none. Candidates c[0..nc) are
 * sorted. */
static size_t find_cut(const size_t *c, size_t nc, size_t gap, size_t a, size_t exact_lo) {
  size_t i = 0, cut = a;
  while (i < nc && c[i] < a) i++; /* c[i - 1] is the last candidate below the cut */
  for (;; i--) {
    if (exact_lo && cut + 1 < exact_lo + gap) return SIZE_MAX;
    if (i == 0 || c[i - 1] + gap <= cut) return cut;
    cut = c[i - 1];
  }
}

/* The block the update's search for a cut starts at (k_lo of its first try) after n_old points
 * with window w, and the first point that search reads (CP_MIN_SEG - 1 before the block: the
 * merge pass reads up to w + CP_MIN_SEG - 1 before a cut, and a cut is at least w past the
 * block's start). 0 when the update is a full analysis. */
static size_t tail_block(size_t n_old, size_t w) {
  size_t k_a = (n_old - 2 * w) / w + 1, gap = w + 2 * (CP_MIN_SEG - 1);
  size_t span = 1 + (gap - 1 + w - 1) / w;
  return k_a > span ? k_a - span : 0;
}

size_t qb_changepoints_tail_start(size_t n_old, const qb_cp_opts *o) {
  qb_cp_opts d = QB_CP_OPTS_INIT;
  if (!o) o = &d;
  size_t w = o->window;
  if (w < CP_MIN_SEG || w >= n_old || n_old < 2 * w) return 0;
  size_t k = tail_block(n_old, w);
  return k && k * w > CP_MIN_SEG ? k * w - CP_MIN_SEG : 0;
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
  /* Why this equals qb_changepoints(x, n) (docs/statistics.md, "Incremental update"): a block
   * that ends at or before n_old holds the same points in both series and gives the same
   * candidates, so with A the start of the first block that does not, the candidates below A are
   * the same. The merge pass decides each cluster of candidates on its own (candidates w or more
   * apart never meet), moving none by more than CP_MIN_SEG - 1 and reading only points within
   * w + CP_MIN_SEG - 1 of it. A cut C <= A with no candidate in the gap = w + 2 (CP_MIN_SEG - 1)
   * points before it separates clusters in both series; the clusters left of it read points
   * below C <= n_old only, so their change points are the same, and they are exactly those of
   * prev below C - CP_MIN_SEG + 1 (the clusters right of C give none there). Right of C the
   * candidates are recomputed from the blocks that reach past C (k >= k_lo) and merged as the
   * full analysis does. The cut is searched for from A leftwards, in a stretch that doubles until
   * one is found (at worst C = 0: a full analysis). Allocates *out; the caller frees it. */
  *out = NULL;
  *n_out = 0;
  *need_all = 0;
  cp_cfg c;
  idxvec cand = {0};
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
  if (n < 2 * CP_MIN_SEG || c.w >= n_old || n_old < 2 * c.w) {
    if (from) { /* a full analysis reads every point */
      *need_all = 1;
      return QB_OK;
    }
    return qb_changepoints(x, n, o, out, n_out, err);
  }
  size_t w = c.w, k_a = (n_old - 2 * w) / w + 1, a = k_a * w, cut = SIZE_MAX;
  size_t gap = w + 2 * (CP_MIN_SEG - 1), span = 1 + (gap - 1 + w - 1) / w; /* A fits first */
  for (;;) {
    size_t k_lo = k_a > span ? k_a - span : 0;
    /* the blocks from k_lo and the merge pass right of the cut read from k_lo w - CP_MIN_SEG + 1
     * on (all of x when k_lo is 0) */
    if (from && (k_lo == 0 || k_lo * w < from + CP_MIN_SEG)) {
      *need_all = 1;
      goto done;
    }
    cand.n = 0;
    rc = collect_candidates(x, n, &c, k_lo, &cand, err);
    if (rc) goto done;
    cut = find_cut(cand.v, cand.n, gap, a, k_lo ? (k_lo + 1) * w : 0);
    if (cut != SIZE_MAX) break; /* always found once k_lo = 0 */
    span *= 2;
  }
  /* the cut is at least w past k_lo w, so every prev entry below `from` is copied */
  for (size_t i = 0; i < n_prev && prev[i].index + CP_MIN_SEG - 1 < cut; i++) {
    rc = cp_push(out, n_out, &cap, &prev[i], err);
    if (rc) goto done;
  }
  size_t first = 0;
  while (first < cand.n && cand.v[first] < cut) first++;
  rc = merge_all(x, n, cand.v + first, cand.n - first, &c, out, n_out, &cap, err);
done:
  idx_dispose(&cand);
  if (rc) {
    free(*out);
    *out = NULL;
    *n_out = 0;
  }
  return rc;
}

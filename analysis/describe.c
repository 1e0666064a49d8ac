/* analysis/describe.c - descriptive statistics on top of GSL. */
#include "analysis/describe.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Insertion sort of x[0..n), for the small partitions of qb_sort_doubles. */
static void insertion_sort(double *x, size_t n) {
  for (size_t i = 1; i < n; i++) {
    double v = x[i];
    size_t j = i;
    for (; j > 0 && x[j - 1] > v; j--) x[j] = x[j - 1];
    x[j] = v;
  }
}

/* Quicksort with a median-of-three pivot, recursing into the smaller side (so the stack stays
 * O(log n)), insertion sort below 24 elements. */
static void quick_sort(double *x, size_t n) {
  while (n > 24) {
    double a = x[0], b = x[n / 2], c = x[n - 1];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    size_t i = 0, j = n - 1;
    for (;;) {
      while (x[i] < pivot) i++;
      while (x[j] > pivot) j--;
      if (i >= j) break;
      double t = x[i];
      x[i] = x[j];
      x[j] = t;
      i++;
      j--;
    }
    size_t left = j + 1; /* x[0..left) <= pivot <= x[left..n) */
    if (left < n - left) {
      quick_sort(x, left);
      x += left;
      n -= left;
    } else {
      quick_sort(x + left, n - left);
      n = left;
    }
  }
  insertion_sort(x, n);
}

/* The bits of d as an unsigned key in the same order as the doubles (negative values have all
 * bits flipped, positive ones the sign bit set); -0 sorts before +0. */
static uint64_t sort_key(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b >> 63 ? ~b : b | (1ULL << 63);
}

static double key_value(uint64_t k) {
  uint64_t b = k >> 63 ? k & ~(1ULL << 63) : ~k;
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}

/* LSD radix sort on the 8 bytes of the keys; bytes that are the same in every key (the sign and
 * exponent of samples of one benchmark, typically) are skipped. O(8 n + 8 * 256). Returns 0,
 * or -1 when the scratch buffer cannot be allocated. */
static int radix_sort(double *x, size_t n) {
  uint64_t *a = malloc(2 * n * sizeof *a);
  if (!a) return -1;
  uint64_t *b = a + n;
  size_t count[8][256];
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = sort_key(x[i]);
    a[i] = k;
    for (int d = 0; d < 8; d++) count[d][(k >> (8 * d)) & 255]++;
  }
  for (int d = 0; d < 8; d++) {
    size_t *c = count[d];
    if (c[(a[0] >> (8 * d)) & 255] == n) continue; /* every key has this byte */
    size_t sum = 0;
    for (int v = 0; v < 256; v++) {
      size_t t = c[v];
      c[v] = sum;
      sum += t;
    }
    for (size_t i = 0; i < n; i++) b[c[(a[i] >> (8 * d)) & 255]++] = a[i];
    uint64_t *t = a;
    a = b;
    b = t;
  }
  for (size_t i = 0; i < n; i++) x[i] = key_value(a[i]);
  free(a < b ? a : b); /* the lower pointer is the start of the one allocation */
  return 0;
}

void qb_sort_doubles(double *x, size_t n) {
  /* Radix sort from a few hundred values up (several times faster than comparison sorts on
   * the sample sizes compare sees), quicksort below that or when memory is short. */
  if (n >= 256 && radix_sort(x, n) == 0) return;
  quick_sort(x, n);
}

double qb_quantile_sorted(const double *sorted, size_t n, double p) {
  return gsl_stats_quantile_from_sorted_data(sorted, 1, n, p);
}

int qb_describe(const double *x, size_t n, qb_summary *out, qb_err *err) {
  if (n == 0) return qb_err_set(err, QB_EINTERNAL, "qb_describe: empty sample");
  double *s = malloc(n * sizeof *s);
  if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", n);
  memcpy(s, x, n * sizeof *s);
  qb_sort_doubles(s, n);
  out->n = n;
  out->min = s[0];
  out->max = s[n - 1];
  out->mean = gsl_stats_mean(s, 1, n);
  out->stddev = n > 1 ? gsl_stats_sd_m(s, 1, n, out->mean) : NAN;
  out->median = qb_quantile_sorted(s, n, 0.5);
  out->q1 = qb_quantile_sorted(s, n, 0.25);
  out->q3 = qb_quantile_sorted(s, n, 0.75);
  out->p95 = qb_quantile_sorted(s, n, 0.95);
  out->p99 = qb_quantile_sorted(s, n, 0.99);
  double iqr = out->q3 - out->q1, lo = out->q1 - 1.5 * iqr, hi = out->q3 + 1.5 * iqr;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += s[i] < lo || s[i] > hi;
  out->outliers = k;
  free(s);
  return QB_OK;
}

int qb_mad(const double *x, size_t n, double *out, qb_err *err) {
  /* median(|x_i - median(x)|), both medians type 7 (numpy's np.median). Allocates a scratch
   * copy of x and frees it. O(n log n). */
  if (n == 0) return qb_err_set(err, QB_EUSAGE, "mad: empty sample");
  for (size_t i = 0; i < n; i++)
    if (isnan(x[i])) return qb_err_set(err, QB_EUSAGE, "mad: x[%zu] is nan", i);
  double *s = malloc(n * sizeof *s);
  if (!s) return qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", n);
  memcpy(s, x, n * sizeof *s);
  qb_sort_doubles(s, n);
  double med = qb_quantile_sorted(s, n, 0.5);
  for (size_t i = 0; i < n; i++) s[i] = fabs(s[i] - med);
  qb_sort_doubles(s, n);
  *out = qb_quantile_sorted(s, n, 0.5);
  free(s);
  return QB_OK;
}

void qb_median_ci(const double *sorted, size_t n, double conf, double *lo, double *hi) {
  /* [x_(k), x_(n+1-k)] (1-based) covers the population median with probability
   * 1 - 2 P(B <= k - 1), B ~ binomial(n, 1/2) (continuous distributions). k is the largest
   * integer in [1, (n + 1) / 2] with P(B <= k - 1) <= (1 - conf) / 2, found by bisection on
   * GSL's binomial CDF: O(log n) evaluations, no allocation. NAN when even k = 1 falls short. */
  *lo = *hi = NAN;
  if (n == 0 || n > UINT_MAX || !(conf > 0 && conf < 1)) return;
  /* k depends on n and conf only: remembered for the usual 95% and n < 4096 (k + 1, 0 while
   * unknown; threads that race store the same value) */
  static _Atomic unsigned known[4096];
  int cached = conf == 0.95 && n < 4096;
  unsigned k1 = cached ? atomic_load_explicit(&known[n], memory_order_relaxed) : 0;
  size_t a = 0;
  if (k1) {
    a = k1 - 1;
  } else {
    double half_alpha = (1.0 - conf) / 2.0;
    size_t b = (n + 1) / 2; /* the answer is in [a, b]; a = 0 means none */
    while (a < b) {
      size_t mid = a + (b - a + 1) / 2;
      if (gsl_cdf_binomial_P((unsigned)(mid - 1), 0.5, (unsigned)n) <= half_alpha)
        a = mid;
      else
        b = mid - 1;
    }
    if (cached) atomic_store_explicit(&known[n], (unsigned)a + 1, memory_order_relaxed);
  }
  if (a == 0) return;
  *lo = sorted[a - 1];
  *hi = sorted[n - a];
}

/* splitmix64 step: advances *state and returns the next output (seeds the generator below). */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Left rotation of a 64-bit word. */
static uint64_t rotl64(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** step (Blackman and Vigna): advances s[4] and returns the next output. */
static uint64_t xoshiro256ss(uint64_t s[4]) {
  uint64_t result = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return result;
}

/* A uniform integer in [0, n) (n >= 1), without modulo bias: outputs below 2^64 mod n are
 * redrawn, the rest are reduced mod n. */
static uint64_t uniform_below(uint64_t s[4], uint64_t n) {
  uint64_t threshold = (0 - n) % n, r;
  do r = xoshiro256ss(s);
  while (r < threshold);
  return r % n;
}

int qb_bootstrap_ci(const double *x, size_t n, qb_statistic_fn statistic, size_t resamples,
                    double conf, unsigned long long seed, double *lo, double *hi, qb_err *err) {
  /* xoshiro256** seeded from splitmix64(seed); each resample draws n indices in order with
   * uniform_below, the statistic sees them in a scratch array; the interval is the type-7
   * quantiles (1 - conf) / 2 and 1 - (1 - conf) / 2 of the sorted statistics. Allocates
   * n + resamples doubles and frees them. O(resamples * (n + cost of statistic)). */
  int rc = QB_OK;
  double *scratch = NULL, *stats = NULL;
  *lo = *hi = NAN;
  if (n == 0 || resamples == 0 || !statistic || !(conf > 0 && conf < 1))
    return qb_err_set(err, QB_EUSAGE, "bootstrap: need n >= 1, resamples >= 1, 0 < conf < 1");
  scratch = malloc(n * sizeof *scratch);
  stats = malloc(resamples * sizeof *stats);
  if (!scratch || !stats) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory for %zu resamples", resamples);
    goto done;
  }
  uint64_t sm = seed, s[4];
  for (int i = 0; i < 4; i++) s[i] = splitmix64(&sm);
  for (size_t r = 0; r < resamples; r++) {
    for (size_t i = 0; i < n; i++) scratch[i] = x[uniform_below(s, n)];
    stats[r] = statistic(scratch, n);
    if (isnan(stats[r])) {
      rc = qb_err_set(err, QB_EUSAGE, "bootstrap: the statistic gave nan on resample %zu", r);
      goto done;
    }
  }
  qb_sort_doubles(stats, resamples);
  double alpha = 1.0 - conf;
  *lo = qb_quantile_sorted(stats, resamples, alpha / 2.0);
  *hi = qb_quantile_sorted(stats, resamples, 1.0 - alpha / 2.0);
done:
  free(stats);
  free(scratch);
  return rc;
}

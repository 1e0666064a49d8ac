/* analysis/describe.c - descriptive statistics on top of GSL. */
#include "analysis/describe.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
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

void qb_sort_doubles(double *x, size_t n) {
  /* Quicksort with a median-of-three pivot, recursing into the smaller side (so the stack stays
   * O(log n)), insertion sort below 24 elements. Several times faster than gsl_sort (heapsort)
   * on the sample sizes ingest sees. */
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
      qb_sort_doubles(x, left);
      x += left;
      n -= left;
    } else {
      qb_sort_doubles(x + left, n - left);
      n = left;
    }
  }
  insertion_sort(x, n);
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

/* tests/analysis/test_shift.c - the Hodges-Lehmann shift and its interval against brute-force
 * numpy reference values (tests/data/analysis/shift_ref.json, made by gen_compare_ref.py next
 * to it: the median and order statistics of all nx*ny differences, up to 10,000 x 10,000),
 * the selection against brute force on tie-heavy samples, symmetry, shift invariance and
 * speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/describe.h"
#include "analysis/mwu.h"
#include "analysis/shift.h"
#include "tests/testutil.h"

/* Order statistics are values of the data: they must agree exactly (NaN with NaN). */
static void check_same(double got, double want, const char *name, const char *what) {
  if (got == want || (isnan(got) && isnan(want))) return;
  print_error("%s: %s = %.17g, want %.17g\n", name, what, got, want);
  fail();
}

static void test_shift__matches_numpy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/shift_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  assert_true(json_array_size(cases) >= 15);
  size_t i;
  json_array_foreach(cases, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t nx, ny;
    double *x = qbt_load_sample(json_object_get(c, "x"), &nx);
    double *y = qbt_load_sample(json_object_get(c, "y"), &ny);
    qb_shift sh;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_hodges_lehmann(x, nx, y, ny, qbt_num(c, "conf"), &sh, &err), QB_OK);
    check_same(sh.estimate, qbt_num(c, "estimate"), name, "estimate");
    check_same(sh.lo, qbt_num(c, "lo"), name, "lo");
    check_same(sh.hi, qbt_num(c, "hi"), name, "hi");
    assert_close(sh.conf, qbt_num(c, "achieved_conf"), 1e-12);
    free(x);
    free(y);
  }
  json_decref(ref);
}

/* A 64-bit LCG for the property tests. */
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Every k-th difference equals the brute-force sorted list, on samples with many ties, signed
 * zeros, negative values, tiny and huge magnitudes; out of range gives NaN. */
static void test_shift__kth_matches_brute_force(void **state) {
  (void)state;
  uint64_t s = 7;
  double x[30], y[30], d[900];
  for (int trial = 0; trial < 200; trial++) {
    size_t nx = 1 + lcg(&s) % 30, ny = 1 + lcg(&s) % 30;
    int kind = trial % 4;
    for (size_t i = 0; i < nx + ny; i++) {
      double v;
      uint64_t r = lcg(&s);
      if (kind == 0)
        v = (double)(r % 4) - 1.5; /* heavy ties */
      else if (kind == 1)
        v = r % 3 == 0 ? -0.0 : r % 3 == 1 ? 0.0 : 1.0; /* signed zeros */
      else if (kind == 2)
        v = ((double)r * 0x1p-53 - 0.5) * (r % 2 ? 1e-300 : 1e300);
      else
        v = (double)r * 0x1p-53 * 100.0 - 50.0;
      if (i < nx)
        x[i] = v;
      else
        y[i - nx] = v;
    }
    qb_sort_doubles(x, nx);
    qb_sort_doubles(y, ny);
    size_t N = 0;
    for (size_t i = 0; i < nx; i++)
      for (size_t j = 0; j < ny; j++) d[N++] = y[j] - x[i];
    qsort(d, N, sizeof *d, cmp_double);
    for (size_t k = 0; k < N; k++) {
      double got = qb_shift_kth_difference(x, nx, y, ny, k);
      if (got != d[k]) fail_msg("trial %d k %zu: %.17g, want %.17g", trial, k, got, d[k]);
    }
    assert_true(isnan(qb_shift_kth_difference(x, nx, y, ny, N)));
  }
  assert_true(isnan(qb_shift_kth_difference(x, 0, y, 3, 0)));
}

/* The shift and its interval from the selection over the sorted samples equal the exhaustive
 * computation: all nx*ny differences materialised and sorted, the median as numpy takes it, the
 * interval ends the (k+1)-th and (N-k)-th of them with k from its definition (exact for untied
 * samples up to QB_MWU_EXACT_MAX, the normal approximation otherwise). Random samples with and
 * without ties, nx, ny in 1..200; qb_hodges_lehmann (unsorted input) gives the same bits. */
static void test_shift__sorted_matches_exhaustive(void **state) {
  (void)state;
  uint64_t s = 20261207;
  enum { MAXN = 200 };
  double x[MAXN], y[MAXN], ux[MAXN], uy[MAXN];
  double *d = malloc((size_t)MAXN * MAXN * sizeof *d);
  assert_non_null(d);
  for (int trial = 0; trial < 300; trial++) {
    size_t nx = 1 + lcg(&s) % MAXN, ny = 1 + lcg(&s) % MAXN;
    if (trial % 5 == 0) nx = 1 + lcg(&s) % 60, ny = 1 + lcg(&s) % 60; /* the exact k's range */
    int kind = trial % 3;
    for (size_t i = 0; i < nx + ny; i++) {
      uint64_t r = lcg(&s);
      double v = kind == 0   ? (double)(r % 7) * 0.25 - 0.5             /* heavy ties */
                 : kind == 1 ? 1e-6 * (1.0 + (double)(r % 40) / 1000.0) /* timings, some ties */
                             : (double)r * 0x1p-53 * 3.0 + (i < nx ? 0.0 : 0.3); /* untied */
      if (i < nx)
        ux[i] = x[i] = v;
      else
        uy[i - nx] = y[i - nx] = v;
    }
    qb_sort_doubles(x, nx);
    qb_sort_doubles(y, ny);
    size_t N = 0;
    for (size_t i = 0; i < nx; i++)
      for (size_t j = 0; j < ny; j++) d[N++] = y[j] - x[i];
    qsort(d, N, sizeof *d, cmp_double);
    double want = N % 2 ? d[N / 2] : (d[N / 2 - 1] + d[N / 2]) / 2.0;
    int tied = 0;
    for (size_t i = 0; i < nx && !tied; i++)
      for (size_t j = 0; j < ny && !tied; j++) tied = x[i] == y[j];
    for (size_t i = 1; i < nx && !tied; i++) tied = x[i] == x[i - 1];
    for (size_t j = 1; j < ny && !tied; j++) tied = y[j] == y[j - 1];
    double conf = 0.95;
    long long k;
    qb_err err = QB_ERR_INIT;
    if (!tied && nx <= QB_MWU_EXACT_MAX && ny <= QB_MWU_EXACT_MAX) {
      double cdf_k;
      assert_int_equal(qb_mwu_exact_lower(nx, ny, (1.0 - conf) / 2.0, &k, &cdf_k, &err), QB_OK);
    } else {
      double z = gsl_cdf_ugaussian_Pinv(1.0 - (1.0 - conf) / 2.0);
      double kd = floor((double)N / 2.0 - z * sqrt((double)N * (double)(nx + ny + 1) / 12.0));
      k = kd >= 0 ? (long long)kd : -1;
    }
    double want_lo = k >= 0 ? d[k] + 0.0 : NAN, want_hi = k >= 0 ? d[N - 1 - k] + 0.0 : NAN;
    qb_shift a, b;
    assert_int_equal(qb_hodges_lehmann_sorted(x, nx, y, ny, conf, &a, &err), QB_OK);
    assert_int_equal(qb_hodges_lehmann(ux, nx, uy, ny, conf, &b, &err), QB_OK);
    char name[64];
    snprintf(name, sizeof name, "trial %d (%zu x %zu)", trial, nx, ny);
    check_same(a.estimate, want, name, "estimate");
    check_same(a.lo, want_lo, name, "lo");
    check_same(a.hi, want_hi, name, "hi");
    check_same(b.estimate, a.estimate, name, "unsorted estimate");
    check_same(b.lo, a.lo, name, "unsorted lo");
    check_same(b.hi, a.hi, name, "unsorted hi");
  }
  free(d);
}

/* Swapping the samples negates the estimate and mirrors the interval, exactly. */
static void test_shift__swap_symmetry(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/shift_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t nx, ny;
    double *x = qbt_load_sample(json_object_get(c, "x"), &nx);
    double *y = qbt_load_sample(json_object_get(c, "y"), &ny);
    qb_shift a, b;
    qb_err err = QB_ERR_INIT;
    double conf = qbt_num(c, "conf");
    assert_int_equal(qb_hodges_lehmann(x, nx, y, ny, conf, &a, &err), QB_OK);
    assert_int_equal(qb_hodges_lehmann(y, ny, x, nx, conf, &b, &err), QB_OK);
    assert_true(b.estimate == -a.estimate);
    assert_true((isnan(a.lo) && isnan(b.hi)) || b.hi == -a.lo);
    assert_true((isnan(a.hi) && isnan(b.lo)) || b.lo == -a.hi);
    assert_close(b.conf, a.conf, 1e-12);
    free(x);
    free(y);
  }
  json_decref(ref);
}

/* Adding c to y moves the estimate and both bounds by exactly c (integer data, so every
 * difference is exact); adding c to both samples changes nothing. */
static void test_shift__shift_invariance(void **state) {
  (void)state;
  uint64_t s = 11;
  for (int trial = 0; trial < 50; trial++) {
    size_t nx = 1 + lcg(&s) % 80, ny = 1 + lcg(&s) % 80;
    double x[80], y[80], x2[80], y2[80], c = (double)(lcg(&s) % 2001) - 1000.0;
    for (size_t i = 0; i < nx; i++) x[i] = (double)(lcg(&s) % (trial % 2 ? 30 : 100000));
    for (size_t j = 0; j < ny; j++) y[j] = (double)(lcg(&s) % (trial % 2 ? 30 : 100000));
    qb_shift a, b;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_hodges_lehmann(x, nx, y, ny, 0.95, &a, &err), QB_OK);
    for (size_t j = 0; j < ny; j++) y2[j] = y[j] + c;
    assert_int_equal(qb_hodges_lehmann(x, nx, y2, ny, 0.95, &b, &err), QB_OK);
    assert_true(b.estimate == a.estimate + c);
    assert_true((isnan(a.lo) && isnan(b.lo)) || b.lo == a.lo + c);
    assert_true((isnan(a.hi) && isnan(b.hi)) || b.hi == a.hi + c);
    for (size_t i = 0; i < nx; i++) x2[i] = x[i] + c;
    assert_int_equal(qb_hodges_lehmann(x2, nx, y2, ny, 0.95, &b, &err), QB_OK);
    assert_true(b.estimate == a.estimate);
    assert_true((isnan(a.lo) && isnan(b.lo)) || b.lo == a.lo);
    assert_true((isnan(a.hi) && isnan(b.hi)) || b.hi == a.hi);
  }
}

/* 10,000 values per side (1e8 implicit differences): a few hundred counting passes. */
static void test_shift__large_is_fast(void **state) {
  (void)state;
  enum { N = 10000 };
  double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  uint64_t s = 3;
  for (size_t i = 0; i < N; i++) {
    x[i] = (double)lcg(&s) * 0x1p-53;
    y[i] = (double)lcg(&s) * 0x1p-53 + 0.01;
  }
  qb_shift sh;
  qb_err err = QB_ERR_INIT;
  clock_t t0 = clock();
  assert_int_equal(qb_hodges_lehmann(x, N, y, N, 0.95, &sh, &err), QB_OK);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  print_message("hodges-lehmann 10000 x 10000: %.1f ms, %.4g [%.4g, %.4g]\n", secs * 1e3,
                sh.estimate, sh.lo, sh.hi);
  assert_true(sh.lo < sh.estimate && sh.estimate < sh.hi);
  assert_true(secs < 2.0);
  free(x);
  free(y);
}

static void test_shift__rejects_bad_input(void **state) {
  (void)state;
  double x[2] = {1, 2}, nan2[2] = {1, NAN}, inf2[2] = {1, INFINITY};
  qb_shift sh;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_hodges_lehmann(x, 0, x, 2, 0.95, &sh, &err), QB_EUSAGE);
  assert_int_equal(qb_hodges_lehmann(x, 2, nan2, 2, 0.95, &sh, &err), QB_EUSAGE);
  assert_int_equal(qb_hodges_lehmann(inf2, 2, x, 2, 0.95, &sh, &err), QB_EUSAGE);
  assert_int_equal(qb_hodges_lehmann(x, 2, x, 2, 1.0, &sh, &err), QB_EUSAGE);
  assert_int_equal(qb_hodges_lehmann(x, 2, x, 2, 0.0, &sh, &err), QB_EUSAGE);
  assert_int_equal(qb_hodges_lehmann(x, 2, x, 2, NAN, &sh, &err), QB_EUSAGE);
  /* a level so close to 1 that 1 - alpha/2 rounds to 1: no interval, no overflow */
  double big[60];
  for (int i = 0; i < 60; i++) big[i] = (double)(i % 7);
  assert_int_equal(qb_hodges_lehmann(big, 60, big, 60, 0.9999999999999999, &sh, &err), QB_OK);
  assert_true(isnan(sh.lo) && isnan(sh.hi) && sh.estimate == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shift__matches_numpy),
      cmocka_unit_test(test_shift__kth_matches_brute_force),
      cmocka_unit_test(test_shift__sorted_matches_exhaustive),
      cmocka_unit_test(test_shift__swap_symmetry),
      cmocka_unit_test(test_shift__shift_invariance),
      cmocka_unit_test(test_shift__large_is_fast),
      cmocka_unit_test(test_shift__rejects_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

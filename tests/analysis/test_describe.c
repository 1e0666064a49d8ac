/* tests/analysis/test_describe.c - qb_describe against numpy/scipy reference values
 * (tests/data/analysis/describe_ref.json, made by gen_describe_ref.py next to it); qb_mad,
 * qb_median_ci and qb_bootstrap_ci against tests/data/analysis/median_ci_ref.json (made by
 * gen_compare_ref.py: scipy's median_abs_deviation and binomial distribution, and a Python
 * re-implementation of the seeded bootstrap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/describe.h"
#include "tests/testutil.h"

static void test_describe__matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/describe_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases");
  assert_true(json_array_size(cases) >= 6);
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    json_t *xs = json_object_get(c, "x");
    size_t n = json_array_size(xs);
    double *x = malloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++) x[k] = json_real_value(json_array_get(xs, k));
    qb_summary s;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_describe(x, n, &s, &err), QB_OK);
    assert_int_equal(s.n, (size_t)json_integer_value(json_object_get(c, "n")));
    assert_close(s.min, json_real_value(json_object_get(c, "min")), 1e-12);
    assert_close(s.max, json_real_value(json_object_get(c, "max")), 1e-12);
    assert_close(s.mean, json_real_value(json_object_get(c, "mean")), 1e-12);
    assert_close(s.median, json_real_value(json_object_get(c, "median")), 1e-12);
    assert_close(s.q1, json_real_value(json_object_get(c, "q1")), 1e-12);
    assert_close(s.q3, json_real_value(json_object_get(c, "q3")), 1e-12);
    assert_close(s.p95, json_real_value(json_object_get(c, "p95")), 1e-12);
    assert_close(s.p99, json_real_value(json_object_get(c, "p99")), 1e-12);
    json_t *sd = json_object_get(c, "stddev");
    if (json_is_null(sd))
      assert_true(isnan(s.stddev));
    else
      assert_close(s.stddev, json_real_value(sd), 1e-10);
    assert_int_equal(s.outliers, (size_t)json_integer_value(json_object_get(c, "outliers")));
    free(x);
  }
  json_decref(ref);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* qb_sort_doubles agrees with libc qsort on shapes that break naive quicksorts. */
static void test_describe__sort_matches_qsort(void **state) {
  (void)state;
  enum { N = 5000 };
  static double a[N], b[N];
  uint64_t seed = 12345;
  for (int shape = 0; shape < 7; shape++) {
    for (size_t n = 0; n <= N; n = n ? n * 3 + 1 : 1) {
      for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double r = (double)(seed >> 11) / 9007199254740992.0;
        switch (shape) {
          case 0:
            a[i] = r;
            break; /* random */
          case 1:
            a[i] = (double)i;
            break; /* sorted */
          case 2:
            a[i] = (double)(n - i);
            break; /* reversed */
          case 3:
            a[i] = 7.0;
            break; /* all equal */
          case 4:
            a[i] = (double)((int)(r * 3));
            break; /* few distinct */
          case 5:
            a[i] = i % 2 ? (double)i : -(double)i;
            break; /* organ pipe-ish */
          default:
            a[i] = i < n / 2 ? (double)i : (double)(n - i);
            break;
        }
        b[i] = a[i];
      }
      qb_sort_doubles(a, n);
      qsort(b, n, sizeof *b, cmp_double);
      assert_memory_equal(a, b, n * sizeof *a);
    }
  }
}

static void test_describe__empty_is_refused(void **state) {
  (void)state;
  qb_summary s;
  qb_err err = QB_ERR_INIT;
  double x = 1;
  assert_int_equal(qb_describe(&x, 0, &s, &err), QB_EINTERNAL);
}

/* The numbers of a JSON array into a malloc'd array the caller frees. */
static double *load_array(json_t *a, size_t *n) {
  *n = json_array_size(a);
  double *x = malloc((*n ? *n : 1) * sizeof *x);
  for (size_t i = 0; i < *n; i++) x[i] = json_number_value(json_array_get(a, i));
  return x;
}

static void test_describe__mad_matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/median_ci_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "mad"), *c;
  assert_true(json_array_size(cases) >= 5);
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n;
    double *x = load_array(json_object_get(c, "x"), &n), mad;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_mad(x, n, &mad, &err), QB_OK);
    assert_close(mad, qbt_num(c, "mad"), 1e-12);
    free(x);
  }
  double mad, bad[2] = {1, NAN};
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_mad(bad, 0, &mad, &err), QB_EUSAGE);
  assert_int_equal(qb_mad(bad, 2, &mad, &err), QB_EUSAGE);
  json_decref(ref);
}

/* The order statistics chosen from binomial(n, 1/2), on x_i = 10 + 0.5 i. */
static void test_describe__median_ci_matches_binomial(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/median_ci_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "median_ci"), *c;
  assert_true(json_array_size(cases) >= 50);
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
    double *x = malloc(n * sizeof *x), lo, hi;
    for (size_t k = 0; k < n; k++) x[k] = 10.0 + 0.5 * (double)k;
    qb_median_ci(x, n, qbt_num(c, "conf"), &lo, &hi);
    double want_lo = qbt_num(c, "lo"), want_hi = qbt_num(c, "hi");
    if (!((lo == want_lo && hi == want_hi) || (isnan(lo) && isnan(want_lo) && isnan(hi))))
      fail_msg("n %zu conf %g: [%g, %g], want [%g, %g]", n, qbt_num(c, "conf"), lo, hi, want_lo,
               want_hi);
    free(x);
  }
  double lo, hi, x[3] = {1, 2, 3};
  qb_median_ci(x, 0, 0.95, &lo, &hi);
  assert_true(isnan(lo) && isnan(hi));
  qb_median_ci(x, 3, 1.0, &lo, &hi);
  assert_true(isnan(lo) && isnan(hi));
  json_decref(ref);
}

/* Statistics for the bootstrap tests: the type-7 median (reorders x) and the mean. */
static double stat_median(double *x, size_t n) {
  qb_sort_doubles(x, n);
  return qb_quantile_sorted(x, n, 0.5);
}

static double stat_mean(double *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  return s / (double)n;
}

/* The same intervals as the Python re-implementation of the generator and the resampling. */
static void test_describe__bootstrap_matches_python(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/median_ci_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "bootstrap"), *c;
  assert_true(json_array_size(cases) >= 4);
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n;
    double *x = load_array(json_object_get(c, "x"), &n), lo, hi;
    const char *stat = json_string_value(json_object_get(c, "statistic"));
    qb_err err = QB_ERR_INIT;
    assert_int_equal(
        qb_bootstrap_ci(
            x, n, !strcmp(stat, "median") ? stat_median : stat_mean,
            (size_t)json_integer_value(json_object_get(c, "resamples")), qbt_num(c, "conf"),
            (unsigned long long)json_integer_value(json_object_get(c, "seed")), &lo, &hi, &err),
        QB_OK);
    assert_close(lo, qbt_num(c, "lo"), 1e-12);
    assert_close(hi, qbt_num(c, "hi"), 1e-12);
    free(x);
  }
  json_decref(ref);
}

/* Same seed, same interval (bit for bit); another seed, another interval; the caller's data is
 * left alone; bad arguments are refused. */
static void test_describe__bootstrap_seeded(void **state) {
  (void)state;
  double x[25], copy[25], a_lo, a_hi, b_lo, b_hi, c_lo, c_hi;
  for (int i = 0; i < 25; i++) x[i] = copy[i] = (double)((i * 7919) % 101) / 10.0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_median, 500, 0.95, 1, &a_lo, &a_hi, &err), QB_OK);
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_median, 500, 0.95, 1, &b_lo, &b_hi, &err), QB_OK);
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_mean, 500, 0.95, 2, &c_lo, &c_hi, &err), QB_OK);
  assert_true(a_lo == b_lo && a_hi == b_hi);
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_mean, 500, 0.95, 1, &b_lo, &b_hi, &err), QB_OK);
  assert_true(b_lo != c_lo || b_hi != c_hi);
  assert_true(a_lo <= a_hi && b_lo <= b_hi);
  assert_memory_equal(x, copy, sizeof x);
  assert_int_equal(qb_bootstrap_ci(x, 0, stat_mean, 500, 0.95, 1, &a_lo, &a_hi, &err), QB_EUSAGE);
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_mean, 0, 0.95, 1, &a_lo, &a_hi, &err), QB_EUSAGE);
  assert_int_equal(qb_bootstrap_ci(x, 25, NULL, 10, 0.95, 1, &a_lo, &a_hi, &err), QB_EUSAGE);
  assert_int_equal(qb_bootstrap_ci(x, 25, stat_mean, 10, 1.0, 1, &a_lo, &a_hi, &err), QB_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe__matches_scipy),
      cmocka_unit_test(test_describe__sort_matches_qsort),
      cmocka_unit_test(test_describe__empty_is_refused),
      cmocka_unit_test(test_describe__mad_matches_scipy),
      cmocka_unit_test(test_describe__median_ci_matches_binomial),
      cmocka_unit_test(test_describe__bootstrap_matches_python),
      cmocka_unit_test(test_describe__bootstrap_seeded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

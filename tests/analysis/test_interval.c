/* tests/analysis/test_interval.c - analysis/interval.c against scipy: the median's order-statistic
 * 95% CI (scipy.stats.binom ranks) and the mean's Student t 95% CI (scipy.stats.t.ppf), on the
 * real pytest-benchmark samples of tests/data/pytest, a run of tests/data/history and hand-made
 * edges, from tests/data/analysis/interval_ref.json (made by
 * `/usr/bin/python3 tests/data/analysis/gen_interval_ref.py`, next to it); and which interval
 * qb_interval_of picks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analysis/describe.h"
#include "analysis/interval.h"
#include "tests/testutil.h"

/* The reference's number at key, NAN for null. */
static double ref_num(json_t *c, const char *key) {
  json_t *v = json_object_get(c, key);
  return json_is_null(v) ? NAN : json_number_value(v);
}

static void test_interval__matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/interval_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  assert_int_equal(json_array_size(cases), 12);
  size_t i;
  json_array_foreach(cases, i, c) {
    json_t *xs = json_object_get(c, "x");
    size_t n = json_array_size(xs);
    double *x = malloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++) x[k] = json_number_value(json_array_get(xs, k));
    const char *name = json_string_value(json_object_get(c, "name"));
    /* the mean's t interval, on the samples in their stored order */
    double lo, hi;
    qb_mean_ci(x, n, 0.95, &lo, &hi);
    double want_lo = ref_num(c, "mean_lo"), want_hi = ref_num(c, "mean_hi");
    if (isnan(want_lo)) {
      assert_true(isnan(lo) && isnan(hi));
    } else {
      qbt_check_rel(lo, want_lo, 1e-9, name);
      qbt_check_rel(hi, want_hi, 1e-9, name);
    }
    /* the median's: two of the samples themselves, bit for bit */
    qb_sort_doubles(x, n);
    qb_interval m = qb_interval_of(QB_CENTRE_MEDIAN, x, n, NAN, NAN);
    want_lo = ref_num(c, "median_lo");
    want_hi = ref_num(c, "median_hi");
    if (isnan(want_lo)) { /* too few for a 95% CI: the range */
      assert_int_equal(m.kind, QB_INTERVAL_MIN_MAX);
      assert_true(m.lo == ref_num(c, "min") && m.hi == ref_num(c, "max"));
    } else {
      assert_int_equal(m.kind, QB_INTERVAL_CI_SAMPLES);
      if (m.lo != want_lo || m.hi != want_hi)
        fail_msg("%s: median CI [%.17g, %.17g], scipy [%.17g, %.17g]", name, m.lo, m.hi, want_lo,
                 want_hi);
    }
    qb_interval t = qb_interval_of(QB_CENTRE_MEAN, x, n, NAN, NAN);
    if (n >= 2) {
      assert_int_equal(t.kind, QB_INTERVAL_CI_SAMPLES);
      qbt_check_rel(t.lo, ref_num(c, "mean_lo"), 1e-9, name);
    } else {
      assert_int_equal(t.kind, QB_INTERVAL_MIN_MAX);
    }
    free(x);
  }
  json_decref(ref);
}

/* Exact values: pytest's run1 test_sum_squares[10] has 328 rounds; k = 146 (coverage
 * 1 - 2 binom.cdf(145, 328, 0.5) >= 0.95, from the reference), so the CI is x_(146), x_(183). */
static void test_interval__ranks(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/interval_ref.json");
  json_t *c = json_array_get(json_object_get(ref, "cases"), 0);
  assert_string_equal(json_string_value(json_object_get(c, "name")),
                      "pytest/run1/test_sum_squares[10]");
  assert_int_equal(json_integer_value(json_object_get(c, "median_k")), 146);
  assert_true(ref_num(c, "median_coverage") >= 0.95);
  json_decref(ref);
  /* six values: k = 1 (binom.cdf(0, 6, .5) = 1/64 <= 0.025), the CI is the range; five: none */
  double six[] = {1, 2, 3, 4, 5, 6};
  double lo, hi;
  qb_median_ci(six, 6, 0.95, &lo, &hi);
  assert_true(lo == 1 && hi == 6);
  qb_median_ci(six, 5, 0.95, &lo, &hi);
  assert_true(isnan(lo) && isnan(hi));
  qb_mean_ci(six, 6, 1.5, &lo, &hi); /* no such level */
  assert_true(isnan(lo));
  double bad[] = {1, NAN, 3};
  qb_mean_ci(bad, 3, 0.95, &lo, &hi);
  assert_true(isnan(lo));
}

/* Which interval: the tool's for its estimate; the samples' CI over the tool's for a median or a
 * mean; the range when the samples are too few; the tool's when there are no samples. */
static void test_interval__choice(void **state) {
  (void)state;
  double s[] = {10, 11, 12, 13, 14, 15, 16, 17};
  qb_interval r = qb_interval_of(QB_CENTRE_ESTIMATE, s, 8, 9.5, 16.5);
  assert_int_equal(r.kind, QB_INTERVAL_CI);
  assert_true(r.lo == 9.5 && r.hi == 16.5);
  assert_string_equal(qb_interval_name(r.kind), "ci");
  r = qb_interval_of(QB_CENTRE_MEDIAN, s, 8, 9.5, 16.5);
  assert_int_equal(r.kind, QB_INTERVAL_CI_SAMPLES);
  assert_string_equal(qb_interval_name(r.kind), "ci-samples");
  /* n = 8: k = 1 (scipy.stats.binom.cdf(1, 8, 0.5) = 0.0352 > 0.025): the extremes */
  assert_true(r.lo == 10 && r.hi == 17);
  r = qb_interval_of(QB_CENTRE_ESTIMATE, s, 8, NAN, NAN);
  assert_int_equal(r.kind, QB_INTERVAL_MIN_MAX);
  assert_string_equal(qb_interval_name(r.kind), "min-max");
  r = qb_interval_of(QB_CENTRE_MEDIAN, s, 3, NAN, NAN);
  assert_int_equal(r.kind, QB_INTERVAL_MIN_MAX);
  assert_true(r.lo == 10 && r.hi == 12);
  r = qb_interval_of(QB_CENTRE_MEDIAN, NULL, 0, 9.5, 16.5);
  assert_int_equal(r.kind, QB_INTERVAL_CI);
  r = qb_interval_of(QB_CENTRE_MEAN, NULL, 0, NAN, NAN);
  assert_int_equal(r.kind, QB_INTERVAL_NONE);
  assert_true(isnan(r.lo) && isnan(r.hi));
  assert_null(qb_interval_name(r.kind));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interval__matches_scipy),
      cmocka_unit_test(test_interval__ranks),
      cmocka_unit_test(test_interval__choice),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/analysis/test_sprt.c - analysis/sprt.c against scipy: the log likelihood ratio of Wald's
 * SPRT (sum of scipy.stats.norm.logpdf differences) on seeded draws, after every observation, with
 * the verdict each prefix gets; Wald's bounds; and the fixed sample size (the least n with
 * sqrt(n) * (sep / 2) / sd >= scipy.stats.norm.isf(alpha), found by a loop), from
 * tests/data/analysis/sprt_ref.json (made by `/usr/bin/python3
 * tests/data/analysis/gen_sprt_ref.py`, next to it); and the edges analysis/sprt.h documents. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/sprt.h"
#include "tests/testutil.h"

#define REF QB_TEST_DATA "/analysis/sprt_ref.json"

/* The reference's number at key. */
static double ref_num(json_t *c, const char *key) {
  json_t *v = json_object_get(c, key);
  assert_true(json_is_number(v));
  return json_number_value(v);
}

/* The verdict named as the reference names it ("h0", "h1", "more"). */
static qb_sprt_verdict verdict_named(const char *s) {
  assert_non_null(s);
  if (!strcmp(s, "h0")) return QB_SPRT_H0;
  if (!strcmp(s, "h1")) return QB_SPRT_H1;
  assert_string_equal(s, "more");
  return QB_SPRT_MORE;
}

/* The llr of every prefix x[0..k) of every case, and its verdict, as scipy's; and where the test
 * observed one at a time would stop. */
static void test_sprt__llr_matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(REF);
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "llr"), *c;
  assert_int_equal(json_array_size(cases), 12);
  size_t i;
  json_array_foreach(cases, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *xs = json_object_get(c, "x"), *prefix = json_object_get(c, "prefix_llr"),
           *verdicts = json_object_get(c, "verdicts");
    size_t n = json_array_size(xs);
    assert_int_equal(n, (size_t)json_integer_value(json_object_get(c, "n")));
    assert_int_equal(json_array_size(prefix), n);
    assert_int_equal(json_array_size(verdicts), n);
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++) x[k] = json_number_value(json_array_get(xs, k));
    double mu0 = ref_num(c, "mu0"), mu1 = ref_num(c, "mu1"), sd = ref_num(c, "sd");
    double alpha = ref_num(c, "alpha"), beta = ref_num(c, "beta");
    char what[128];
    snprintf(what, sizeof what, "%s: llr of all %zu", name, n);
    qbt_check_rel(qb_sprt_llr(x, n, mu0, mu1, sd), ref_num(c, "llr"), 1e-12, what);
    size_t stop = 0;
    for (size_t k = 1; k <= n; k++) {
      double llr = qb_sprt_llr(x, k, mu0, mu1, sd);
      snprintf(what, sizeof what, "%s: llr of the first %zu", name, k);
      qbt_check_rel(llr, json_number_value(json_array_get(prefix, k - 1)), 1e-12, what);
      qb_sprt_verdict v = qb_sprt_verdict_of(llr, alpha, beta);
      if (v != verdict_named(json_string_value(json_array_get(verdicts, k - 1))))
        fail_msg("%s: verdict after %zu: %d, scipy's %s", name, k, (int)v,
                 json_string_value(json_array_get(verdicts, k - 1)));
      if (!stop && v != QB_SPRT_MORE) stop = k;
    }
    json_t *want_stop = json_object_get(c, "stop");
    assert_int_equal(stop, json_is_null(want_stop) ? 0 : (size_t)json_integer_value(want_stop));
    free(x);
  }
  json_decref(ref);
}

/* Wald's bounds, and the verdicts at them and just inside them. */
static void test_sprt__bounds(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(REF);
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "bounds"), *c;
  assert_int_equal(json_array_size(cases), 7);
  size_t i;
  json_array_foreach(cases, i, c) {
    double alpha = ref_num(c, "alpha"), beta = ref_num(c, "beta"), lo = NAN, hi = NAN;
    qb_sprt_bounds(alpha, beta, &lo, &hi);
    char what[96];
    snprintf(what, sizeof what, "lower bound, alpha %g beta %g", alpha, beta);
    qbt_check_rel(lo, ref_num(c, "lower"), 1e-12, what);
    snprintf(what, sizeof what, "upper bound, alpha %g beta %g", alpha, beta);
    qbt_check_rel(hi, ref_num(c, "upper"), 1e-12, what);
    /* a bound reached is a verdict; a hair inside it is not */
    assert_int_equal(qb_sprt_verdict_of(lo, alpha, beta), QB_SPRT_H0);
    assert_int_equal(qb_sprt_verdict_of(hi, alpha, beta), QB_SPRT_H1);
    assert_int_equal(qb_sprt_verdict_of(nextafter(lo, 0), alpha, beta), QB_SPRT_MORE);
    assert_int_equal(qb_sprt_verdict_of(nextafter(hi, 0), alpha, beta), QB_SPRT_MORE);
    assert_int_equal(qb_sprt_verdict_of(nextafter(lo, -INFINITY), alpha, beta), QB_SPRT_H0);
    assert_int_equal(qb_sprt_verdict_of(nextafter(hi, INFINITY), alpha, beta), QB_SPRT_H1);
    assert_int_equal(qb_sprt_verdict_of(0, alpha, beta), QB_SPRT_MORE);
    assert_int_equal(qb_sprt_verdict_of(-INFINITY, alpha, beta), QB_SPRT_H0);
    assert_int_equal(qb_sprt_verdict_of(INFINITY, alpha, beta), QB_SPRT_H1);
    /* no ratio (qb_sprt_llr's NAN): no verdict */
    assert_int_equal(qb_sprt_verdict_of(NAN, alpha, beta), QB_SPRT_MORE);
  }
  /* alpha sets the upper bound, beta the lower: 0.01 and 0.2 give -1.599 and 4.382 (scipy) */
  double lo, hi;
  qb_sprt_bounds(0.01, 0.2, &lo, &hi);
  assert_true(lo > -1.6 && lo < -1.599 && hi > 4.382 && hi < 4.383);
  assert_int_equal(qb_sprt_verdict_of(-2, 0.01, 0.2), QB_SPRT_H0);
  assert_int_equal(qb_sprt_verdict_of(-2, 0.2, 0.01), QB_SPRT_MORE);
  json_decref(ref);
}

/* qb_fixed_n against scipy's loop, the exact boundary included. */
static void test_sprt__fixed_n_matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(REF);
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "fixed_n"), *c;
  assert_int_equal(json_array_size(cases), 11);
  size_t i, boundary = 0;
  json_array_foreach(cases, i, c) {
    double sep = ref_num(c, "sep"), sd = ref_num(c, "sd"), alpha = ref_num(c, "alpha");
    size_t want = (size_t)json_integer_value(json_object_get(c, "n"));
    size_t got = qb_fixed_n(sep, sd, alpha);
    if (got != want)
      fail_msg("qb_fixed_n(%.17g, %.17g, %.17g) = %zu, scipy's loop %zu", sep, sd, alpha, got,
               want);
    boundary += json_is_true(json_object_get(c, "at_boundary"));
  }
  assert_int_equal(boundary, 1);
  json_decref(ref);
}

/* The edges analysis/sprt.h documents: NAN for a bad sd or a value that is not finite, 0 for no
 * observations, qb_fixed_n 0 for an input out of range and at least 1 otherwise. */
static void test_sprt__edges(void **state) {
  (void)state;
  double x[] = {1.0, 2.0, 3.0};
  assert_true(qb_sprt_llr(x, 0, 0, 1, 1) == 0);
  assert_true(qb_sprt_llr(NULL, 0, 0, 1, 1) == 0);
  assert_true(isnan(qb_sprt_llr(x, 3, 0, 1, 0)));
  assert_true(isnan(qb_sprt_llr(x, 3, 0, 1, -1)));
  assert_true(isnan(qb_sprt_llr(x, 3, 0, 1, -0.0)));
  assert_true(isnan(qb_sprt_llr(x, 3, 0, 1, NAN)));
  assert_true(isnan(qb_sprt_llr(x, 3, 0, 1, INFINITY)));
  assert_true(isnan(qb_sprt_llr(x, 3, NAN, 1, 1)));
  assert_true(isnan(qb_sprt_llr(x, 3, 0, INFINITY, 1)));
  assert_true(isnan(qb_sprt_llr(x, 3, -INFINITY, 1, 1)));
  double bad[] = {1.0, NAN, 3.0}, inf[] = {1.0, 2.0, INFINITY};
  assert_true(isnan(qb_sprt_llr(bad, 3, 0, 1, 1)));
  assert_true(isnan(qb_sprt_llr(inf, 3, 0, 1, 1)));
  assert_true(qb_sprt_llr(bad, 1, 0, 1, 1) == 0.5); /* the NAN is not among the first 1 */
  /* (1 - 0) / 1 * ((1 - 0.5) + (2 - 0.5) + (3 - 0.5)) = 4.5, exactly; the reverse: -4.5 */
  assert_true(qb_sprt_llr(x, 3, 0, 1, 1) == 4.5);
  assert_true(qb_sprt_llr(x, 3, 1, 0, 1) == -4.5);
  assert_true(qb_sprt_llr(x, 3, 2, 2, 1) == 0); /* equal means: no evidence either way */

  /* qb_fixed_n: 0 for sep or sd not positive or not finite, alpha not in (0, 0.5) */
  assert_int_equal(qb_fixed_n(0, 1, 0.05), 0);
  assert_int_equal(qb_fixed_n(-1, 1, 0.05), 0);
  assert_int_equal(qb_fixed_n(NAN, 1, 0.05), 0);
  assert_int_equal(qb_fixed_n(INFINITY, 1, 0.05), 0);
  assert_int_equal(qb_fixed_n(1, 0, 0.05), 0);
  assert_int_equal(qb_fixed_n(1, -1, 0.05), 0);
  assert_int_equal(qb_fixed_n(1, NAN, 0.05), 0);
  assert_int_equal(qb_fixed_n(1, INFINITY, 0.05), 0);
  assert_int_equal(qb_fixed_n(1, 1, 0), 0);
  assert_int_equal(qb_fixed_n(1, 1, 0.5), 0);
  assert_int_equal(qb_fixed_n(1, 1, -0.05), 0);
  assert_int_equal(qb_fixed_n(1, 1, 0.7), 0);
  assert_int_equal(qb_fixed_n(1, 1, NAN), 0);
  /* a change far above the noise still needs one observation */
  assert_int_equal(qb_fixed_n(100, 1e-3, 0.01), 1);
  assert_int_equal(qb_fixed_n(1, 1, 0.4999999), 1);
  /* only sep / sd counts: scaling both leaves n alone (1.645^2 * 4 = 10.8: 11) */
  assert_int_equal(qb_fixed_n(1, 1, 0.05), 11);
  assert_int_equal(qb_fixed_n(1e-6, 1e-6, 0.05), 11);
  assert_int_equal(qb_fixed_n(1e6, 1e6, 0.05), 11);
}

/* qb_sd_upper against scipy: s * sqrt(df / scipy.stats.chi2.ppf(level, df)), printed by
 *   /usr/bin/python3 -c "from scipy import stats; import math; print(repr(0.03 * math.sqrt(8 /
 *   stats.chi2.ppf(0.2, 8))))"  (and likewise for each row; scipy 1.10.1) */
static void test_sprt__sd_upper_matches_scipy(void **state) {
  (void)state;
  static const double ref[][4] = {
      {0.03, 8, 0.2, 0.039590492837238346},   {1.0, 1, 0.2, 3.9471538755427455},
      {0.5, 30, 0.2, 0.5665731221781773},     {2.0, 200, 0.05, 2.180372054857202},
      {0.01, 3.5, 0.9, 0.007057790034096129},
  };
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    double got = qb_sd_upper(ref[i][0], ref[i][1], ref[i][2]);
    if (!(fabs(got - ref[i][3]) <= 1e-12 * ref[i][3]))
      fail_msg("row %zu: qb_sd_upper %.17g, scipy %.17g", i, got, ref[i][3]);
  }
  assert_true(isnan(qb_sd_upper(-1, 8, 0.2)));
  assert_true(isnan(qb_sd_upper(1, 0, 0.2)));
  assert_true(isnan(qb_sd_upper(1, 8, 1)));
  assert_true(isnan(qb_sd_upper(NAN, 8, 0.2)));
  assert_true(qb_sd_upper(0, 8, 0.2) == 0);
  assert_int_equal(qb_fixed_n(1e-200, 1, 0.05), (size_t)1e15); /* clamped, no overflow */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sprt__llr_matches_scipy),      cmocka_unit_test(test_sprt__bounds),
      cmocka_unit_test(test_sprt__fixed_n_matches_scipy),  cmocka_unit_test(test_sprt__edges),
      cmocka_unit_test(test_sprt__sd_upper_matches_scipy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

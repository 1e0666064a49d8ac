/* tests/analysis/test_ttest.c - Welch's t-test against scipy.stats.ttest_ind_from_stats
 * (tests/data/analysis/welch_ref.json, made by gen_compare_ref.py next to it), plus the
 * degenerate and invalid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/ttest.h"
#include "tests/testutil.h"

/* A number of a reference case. */
static double num(json_t *c, const char *key) {
  return json_number_value(json_object_get(c, key));
}

static void test_ttest__matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/welch_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  assert_true(json_array_size(cases) >= 10);
  size_t i;
  json_array_foreach(cases, i, c) {
    qb_welch_result w, s;
    qb_err err = QB_ERR_INIT;
    double n1 = num(c, "n1"), m1 = num(c, "mean1"), s1 = num(c, "sd1");
    double n2 = num(c, "n2"), m2 = num(c, "mean2"), s2 = num(c, "sd2");
    assert_int_equal(qb_welch(n1, m1, s1, n2, m2, s2, &w, &err), QB_OK);
    assert_close(w.t, num(c, "t"), 1e-12);
    assert_close(w.df, num(c, "df"), 1e-12);
    assert_close(w.p, num(c, "p"), 1e-12);
    /* swapping the samples negates t and keeps df and p */
    assert_int_equal(qb_welch(n2, m2, s2, n1, m1, s1, &s, &err), QB_OK);
    assert_true(s.t == -w.t);
    assert_close(s.df, w.df, 1e-15);
    assert_true(s.p == w.p);
  }
  json_decref(ref);
}

/* Both stddevs zero: certain difference or none; df is undefined. */
static void test_ttest__zero_spread(void **state) {
  (void)state;
  qb_welch_result w;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_welch(5, 2.0, 0.0, 7, 2.0, 0.0, &w, &err), QB_OK);
  assert_true(w.p == 1.0 && w.t == 0.0 && isnan(w.df));
  assert_int_equal(qb_welch(5, 2.0, 0.0, 7, 2.5, 0.0, &w, &err), QB_OK);
  assert_true(w.p == 0.0 && w.t == INFINITY);
  assert_int_equal(qb_welch(5, 2.5, 0.0, 7, 2.0, 0.0, &w, &err), QB_OK);
  assert_true(w.p == 0.0 && w.t == -INFINITY);
}

/* Standard errors near the ends of the double range give a finite df and a p in [0, 1]
 * (never a NaN df, which GSL's t distribution would answer with abort()). */
static void test_ttest__extreme_scales(void **state) {
  (void)state;
  const double ns[] = {2, 3, 1e3, 1e9}, sds[] = {0, 1e-300, 1, 1e150, 1e300};
  const double means[] = {-1e300, 0, 1e-300, 1, 1e300};
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 5; b++)
      for (int c = 0; c < 5; c++)
        for (int d = 0; d < 5; d++)
          for (int e = 0; e < 5; e++) {
            qb_welch_result w;
            qb_err err = QB_ERR_INIT;
            assert_int_equal(qb_welch(ns[a], means[d], sds[b], 5, means[e], sds[c], &w, &err),
                             QB_OK);
            assert_true(w.p >= 0 && w.p <= 1);
            assert_true(isnan(w.df) || (w.df >= 1 && w.df <= ns[a] + 3));
          }
}

static void test_ttest__rejects_bad_input(void **state) {
  (void)state;
  qb_welch_result w;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_welch(1, 2.0, 1.0, 7, 2.0, 1.0, &w, &err), QB_EUSAGE);
  assert_int_equal(qb_welch(5, 2.0, 1.0, 1.5, 2.0, 1.0, &w, &err), QB_EUSAGE);
  assert_int_equal(qb_welch(5, NAN, 1.0, 7, 2.0, 1.0, &w, &err), QB_EUSAGE);
  assert_int_equal(qb_welch(5, 2.0, INFINITY, 7, 2.0, 1.0, &w, &err), QB_EUSAGE);
  assert_int_equal(qb_welch(5, 2.0, -1.0, 7, 2.0, 1.0, &w, &err), QB_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ttest__matches_scipy),
      cmocka_unit_test(test_ttest__zero_spread),
      cmocka_unit_test(test_ttest__extreme_scales),
      cmocka_unit_test(test_ttest__rejects_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

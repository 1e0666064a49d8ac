/* tests/analysis/test_describe.c - qb_describe against numpy/scipy reference values
 * (tests/data/analysis/describe_ref.json, made by gen_describe_ref.py next to it). */
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

static void test_describe__empty_is_refused(void **state) {
  (void)state;
  qb_summary s;
  qb_err err = QB_ERR_INIT;
  double x = 1;
  assert_int_equal(qb_describe(&x, 0, &s, &err), QB_EINTERNAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe__matches_scipy),
      cmocka_unit_test(test_describe__empty_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

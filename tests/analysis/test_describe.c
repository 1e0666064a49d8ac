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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_describe__matches_scipy),
      cmocka_unit_test(test_describe__sort_matches_qsort),
      cmocka_unit_test(test_describe__empty_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

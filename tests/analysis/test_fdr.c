/* tests/analysis/test_fdr.c - Benjamini-Hochberg and the geometric mean against numpy/scipy
 * reference values (tests/data/analysis/fdr_ref.json, made by gen_compare_ref.py next to it),
 * plus in-place use and the properties of adjusted p-values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/fdr.h"
#include "tests/testutil.h"

/* The numbers of a JSON array (null as NaN) into a malloc'd array the caller frees. */
static double *load_array(json_t *a, size_t *n) {
  *n = json_array_size(a);
  double *x = malloc((*n ? *n : 1) * sizeof *x);
  for (size_t i = 0; i < *n; i++) {
    json_t *v = json_array_get(a, i);
    x[i] = json_is_null(v) ? NAN : json_number_value(v);
  }
  return x;
}

static void test_fdr__bh_matches_definition(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/fdr_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "bh"), *c;
  assert_true(json_array_size(cases) >= 8);
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n, m;
    double *p = load_array(json_object_get(c, "p"), &n);
    double *want = load_array(json_object_get(c, "adj"), &m);
    double *adj = malloc((n ? n : 1) * sizeof *adj);
    assert_int_equal(n, m);
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_fdr_bh(p, n, adj, &err), QB_OK);
    for (size_t k = 0; k < n; k++) {
      assert_close(adj[k], want[k], 1e-12);
      /* adjusted p-values are never below the raw ones, and keep their order */
      if (!isnan(p[k])) assert_true(adj[k] >= p[k] && adj[k] <= 1.0);
      for (size_t j = 0; j < n; j++)
        if (p[k] < p[j]) assert_true(adj[k] <= adj[j]);
    }
    /* in place (adj aliasing p) gives the same values */
    assert_int_equal(qb_fdr_bh(p, n, p, &err), QB_OK);
    for (size_t k = 0; k < n; k++) assert_true(p[k] == adj[k] || (isnan(p[k]) && isnan(adj[k])));
    free(p);
    free(want);
    free(adj);
  }
  json_decref(ref);
}

static void test_fdr__bh_rejects_out_of_range(void **state) {
  (void)state;
  double p[3] = {0.1, 1.5, 0.2}, adj[3];
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_fdr_bh(p, 3, adj, &err), QB_EUSAGE);
  p[1] = -0.1;
  assert_int_equal(qb_fdr_bh(p, 3, adj, &err), QB_EUSAGE);
}

static void test_fdr__geomean_matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/fdr_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "geomean"), *c;
  assert_true(json_array_size(cases) >= 4);
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n;
    double *r = load_array(json_object_get(c, "ratios"), &n);
    json_t *g = json_object_get(c, "geomean");
    assert_close(qb_geomean(r, n), json_is_null(g) ? NAN : json_number_value(g), 1e-12);
    free(r);
  }
  assert_true(isnan(qb_geomean(NULL, 0)));
  json_decref(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fdr__bh_matches_definition),
      cmocka_unit_test(test_fdr__bh_rejects_out_of_range),
      cmocka_unit_test(test_fdr__geomean_matches_scipy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

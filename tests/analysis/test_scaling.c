/* tests/analysis/test_scaling.c - the weighted scaling fit (qb_scaling_weighted) against
 * tests/data/analysis/scaling_ref.json (made by gen_scaling_ref.py next to it: scipy's
 * curve_fit(sigma=, absolute_sigma=True) per model in log space, cross-checked with numpy's
 * weighted lstsq), including the real qsort runs of tests/data/scaling, plus the decision on a
 * few hand-made families and invalid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/trend.h"
#include "tests/testutil.h"

/* A number of a reference case's array field at i; NaN for null. */
static double at(json_t *c, const char *key, size_t i) {
  json_t *a = json_object_get(c, key);
  assert_non_null(a);
  json_t *v = json_array_get(a, i);
  assert_non_null(v);
  return json_is_null(v) ? NAN : json_number_value(v);
}

/* A number field of a reference case; NaN for null. */
static double num(json_t *c, const char *key) {
  json_t *v = json_object_get(c, key);
  assert_non_null(v);
  return json_is_null(v) ? NAN : json_number_value(v);
}

/* Fail unless got is within rel (relative) or abs_tol (absolute) of want; NaN matches NaN. */
static void check(double got, double want, double rel, double abs_tol, const char *name,
                  const char *what, int m) {
  if (isnan(got) && isnan(want)) return;
  if (fabs(got - want) <= abs_tol || fabs(got - want) <= rel * fabs(want)) return;
  print_error("%s: %s[%s] = %.17g, expected %.17g\n", name, what,
              m >= 0 ? qb_complexity_name((qb_complexity)m) : "-", got, want);
  fail();
}

/* The model named s. */
static qb_complexity model_of(const char *s) {
  for (int m = 0; m < QB_N_COMPLEXITIES; m++)
    if (!strcmp(qb_complexity_name((qb_complexity)m), s)) return (qb_complexity)m;
  fail_msg("no model %s", s);
  return QB_O_1;
}

/* Every case of scaling_ref.json: coefficients, log RMS, chi2, scale, AIC, deltas and weights
 * per model, the best, the runner-up, the decision, the models close to the best, p, and what
 * the unweighted fit (qb_scaling) picks. */
static void test_scaling__matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/scaling_ref.json"), *c;
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "scaling_weighted");
  assert_true(json_array_size(cases) >= 14);
  size_t idx;
  json_array_foreach(cases, idx, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t k = json_array_size(json_object_get(c, "n"));
    double n[16], t[16], se[16];
    assert_true(k <= 16);
    for (size_t i = 0; i < k; i++) {
      n[i] = at(c, "n", i);
      t[i] = at(c, "t", i);
      se[i] = at(c, "se", i);
    }
    qb_scaling_wfit f;
    qb_scaling_fit u;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_scaling_weighted(n, t, se, k, &f, &err), QB_OK);
    assert_int_equal(qb_scaling(n, t, k, &u, &err), QB_OK);
    for (int m = 0; m < QB_N_COMPLEXITIES; m++) {
      check(f.coef[m], at(c, "coef", (size_t)m), 1e-10, 0, name, "coef", m);
      check(f.rms[m], at(c, "rms", (size_t)m), 1e-9, 1e-12, name, "rms", m);
      check(f.chi2[m], at(c, "chi2", (size_t)m), 1e-9, 1e-9, name, "chi2", m);
      check(f.scale[m], at(c, "scale", (size_t)m), 1e-9, 0, name, "scale", m);
      check(f.aic[m], at(c, "aic", (size_t)m), 1e-9, 1e-9, name, "aic", m);
      check(f.delta[m], at(c, "delta", (size_t)m), 1e-9, 1e-9, name, "delta", m);
      check(f.weight[m], at(c, "weight", (size_t)m), 1e-9, 1e-12, name, "weight", m);
    }
    assert_string_equal(qb_complexity_name(f.best), json_string_value(json_object_get(c, "best")));
    assert_string_equal(qb_complexity_name(f.second),
                        json_string_value(json_object_get(c, "second")));
    assert_int_equal(f.distinguishable, json_is_true(json_object_get(c, "distinguishable")));
    assert_int_equal(f.n_noise, (size_t)json_integer_value(json_object_get(c, "n_noise")));
    assert_int_equal(f.k, k);
    check(f.p, num(c, "p"), 1e-9, 1e-15, name, "p", -1);
    json_t *close = json_object_get(c, "close");
    size_t n_close = 0;
    for (int m = 0; m < QB_N_COMPLEXITIES; m++) n_close += qb_scaling_close(&f, (qb_complexity)m);
    assert_int_equal(n_close, json_array_size(close));
    for (size_t i = 0; i < json_array_size(close); i++)
      assert_true(qb_scaling_close(&f, model_of(json_string_value(json_array_get(close, i)))));
    assert_string_equal(qb_complexity_name(u.best),
                        json_string_value(json_object_get(c, "unweighted_best")));
  }
  json_decref(ref);
}

/* The qsort misfit of qbdb issue 16, from the real noisy run (tests/data/scaling/README.md): the
 * unweighted fit says O(n^2), the weighted one O(n log n), ahead of O(n). Values from
 * scaling_ref.json, case qsort_noisy (gen_scaling_ref.py). */
static void test_scaling__qsort_noisy_median(void **state) {
  (void)state;
  /* median latency (ns) and sqrt(pi/2) 1.4826 MAD / sqrt(15) of qsort_noisy.jsonl */
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/scaling_ref.json"), *c, *q = NULL;
  assert_non_null(ref);
  size_t idx;
  json_array_foreach(json_object_get(ref, "scaling_weighted"), idx, c) {
    if (!strcmp(json_string_value(json_object_get(c, "name")), "qsort_noisy")) q = c;
  }
  assert_non_null(q);
  double n[4], t[4], se[4];
  for (size_t i = 0; i < 4; i++) n[i] = at(q, "n", i), t[i] = at(q, "t", i), se[i] = at(q, "se", i);
  qb_scaling_wfit f;
  qb_scaling_fit u;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_scaling(n, t, 4, &u, &err), QB_OK);
  assert_int_equal(u.best, QB_O_N2);
  assert_int_equal(qb_scaling_weighted(n, t, se, 4, &f, &err), QB_OK);
  assert_int_equal(f.best, QB_O_N_LOG_N);
  assert_int_equal(f.second, QB_O_N);
  assert_true(f.distinguishable);
  assert_false(qb_scaling_close(&f, QB_O_N));
  /* delta of O(n) printed by gen_scaling_ref.py: 5.229; O(n^2) far behind */
  check(f.delta[QB_O_N], 5.229, 0, 5e-4, "qsort_noisy", "delta", QB_O_N);
  assert_true(f.delta[QB_O_N2] > 10);
  /* the same data with no noise given: every size weighs the same (0.1%, scaled by the
   * residuals), and in log space the outlier at n = 100000 no longer dominates; O(n) is 2.627
   * behind (gen_scaling_ref.py's weighted() with se all NaN) */
  assert_int_equal(qb_scaling_weighted(n, t, NULL, 4, &f, &err), QB_OK);
  assert_int_equal(f.n_noise, 0);
  assert_true(isnan(f.p));
  assert_int_equal(f.best, QB_O_N_LOG_N);
  check(f.delta[QB_O_N], 2.627, 0, 5e-4, "qsort_noisy no noise", "delta", QB_O_N);
  json_decref(ref);
}

/* Exact data: the model is recovered with its coefficient, chi2 0, p 1; a model that does not
 * apply (n = 1 for log n) is NAN with weight 0. */
static void test_scaling__exact(void **state) {
  (void)state;
  double n[5] = {1, 16, 256, 4096, 65536}, t[5], se[5];
  for (int i = 0; i < 5; i++) t[i] = 0.25 * n[i] * n[i], se[i] = 0.01 * t[i];
  qb_scaling_wfit f;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_scaling_weighted(n, t, se, 5, &f, &err), QB_OK);
  assert_int_equal(f.best, QB_O_N2);
  check(f.coef[QB_O_N2], 0.25, 1e-12, 0, "exact", "coef", QB_O_N2);
  check(f.chi2[QB_O_N2], 0.0, 0, 1e-20, "exact", "chi2", QB_O_N2);
  check(f.p, 1.0, 1e-12, 0, "exact", "p", -1);
  assert_true(f.distinguishable);
  assert_true(isnan(f.aic[QB_O_LOG_N]) && isnan(f.coef[QB_O_N_LOG_N]));
  assert_true(f.weight[QB_O_LOG_N] == 0.0 && f.weight[QB_O_N_LOG_N] == 0.0);
  assert_int_equal(f.n_noise, 5);
}

/* Inputs the fit refuses, with the message naming the field and position. */
static void test_scaling__rejects_bad_input(void **state) {
  (void)state;
  double n[3] = {10, 100, 1000}, t[3] = {1, 10, 100}, se[3] = {0.1, 1, 10};
  qb_scaling_wfit f;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_scaling_weighted(n, t, se, 1, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "scaling: 1 points, expected at least 2");
  t[1] = 0;
  assert_int_equal(qb_scaling_weighted(n, t, se, 3, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "scaling: t[1] = 0, expected a finite t > 0");
  t[1] = 10;
  se[2] = -1;
  assert_int_equal(qb_scaling_weighted(n, t, se, 3, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "scaling: se[2] = -1, expected a finite se >= 0");
  se[2] = 10;
  n[0] = -1;
  assert_int_equal(qb_scaling_weighted(n, t, se, 3, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "scaling: n[0] = -1, expected a finite n > 0");
  n[0] = 1e200;
  assert_int_equal(qb_scaling_weighted(n, t, se, 3, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "scaling: n[0] = 1e+200 is too large for n^3");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scaling__matches_scipy),
      cmocka_unit_test(test_scaling__qsort_noisy_median),
      cmocka_unit_test(test_scaling__exact),
      cmocka_unit_test(test_scaling__rejects_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

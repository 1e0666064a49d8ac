/* tests/analysis/test_noise.c - the run-to-run noise of a series (analysis/noise.h) against
 * numpy/scipy reference values (tests/data/analysis/noise_ref.json, made by gen_noise_ref.py
 * next to it: the estimator re-implemented in numpy from the header's description, p-values and
 * bands from scipy.stats.t, the clipping's bias constant checked with scipy), plus properties:
 * scale and order invariance, one odd run not widening the estimate, the newest 256 values of
 * a long series, calibration on normal noise, and the error and edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/noise.h"
#include "tests/testutil.h"

#define REL 1e-12 /* every reference value agrees within this, relative */

static json_t *load_ref(void) {
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/noise_ref.json");
  assert_non_null(ref);
  return ref;
}

/* The degrees of freedom per difference beyond the first (0.7 in analysis/noise.h; it was 0.6), as
 * the reference file records it, so that the properties below follow the one documented value. */
static double df_per_diff(void) {
  json_t *ref = load_ref();
  double v = qbt_num(ref, "df_per_diff");
  json_decref(ref);
  assert_true(v > 0 && v <= 1);
  return v;
}

/* The estimate of a series (an array in the reference file); fails on an error. */
static qb_noise estimate(const double *x, size_t n) {
  qb_noise out;
  qb_err err = QB_ERR_INIT;
  if (qb_noise_estimate(x, n, &out, &err)) fail_msg("%s", err.msg);
  return out;
}

static void test_noise__estimate_matches_numpy(void **state) {
  (void)state;
  json_t *ref = load_ref();
  json_t *cases = json_object_get(ref, "estimate"), *c;
  assert_true(json_array_size(cases) >= 10);
  size_t i, n_nan = 0, n_zero = 0;
  json_array_foreach(cases, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t n;
    double *x = qbt_load_sample(json_object_get(c, "x"), &n);
    qb_noise r = estimate(x, n);
    if (r.runs != (size_t)json_integer_value(json_object_get(c, "runs")))
      fail_msg("%s: runs %zu, want %lld", name, r.runs,
               (long long)json_integer_value(json_object_get(c, "runs")));
    double sigma = qbt_num(c, "sigma"), df = qbt_num(c, "df");
    if (!qbt_close(r.sigma, sigma, REL))
      fail_msg("%s: sigma %.17g, want %.17g", name, r.sigma, sigma);
    if (!qbt_close(r.df, df, REL)) fail_msg("%s: df %.17g, want %.17g", name, r.df, df);
    n_nan += isnan(sigma);
    n_zero += sigma == 0;
    free(x);
  }
  assert_true(n_nan >= 2);  /* the series of 1 and 2 points */
  assert_true(n_zero >= 2); /* constant and mostly-equal series */
  json_decref(ref);
}

/* The bias constant of the clipping (0.988716331135 in noise.c and the script) is what scipy
 * gives for sqrt(E[min(Z^2, 2.5^2)]) by integration and in closed form. The estimates above use
 * it: any other constant would move every sigma by far more than 1e-12. */
static void test_noise__clip_bias_from_scipy(void **state) {
  (void)state;
  json_t *ref = load_ref();
  json_t *b = json_object_get(ref, "clip_bias");
  assert_non_null(b);
  double constant = qbt_num(b, "constant");
  assert_true(constant == 0.988716331135);
  assert_close(qbt_num(b, "quad"), constant, REL);
  assert_close(qbt_num(b, "closed_form"), constant, REL);
  assert_true(qbt_num(ref, "clip") == 2.5);
  /* provenance: the script, the library versions and the date */
  const char *prov = json_string_value(json_object_get(ref, "provenance"));
  assert_non_null(prov);
  assert_non_null(strstr(prov, "gen_noise_ref.py"));
  assert_non_null(json_string_value(json_object_get(ref, "scipy")));
  assert_non_null(json_string_value(json_object_get(ref, "numpy")));
  assert_non_null(json_string_value(json_object_get(ref, "date")));
  json_decref(ref);
}

static void test_noise__p_matches_scipy(void **state) {
  (void)state;
  json_t *ref = load_ref();
  json_t *cases = json_object_get(ref, "p"), *c;
  assert_true(json_array_size(cases) >= 10);
  size_t i;
  json_array_foreach(cases, i, c) {
    qb_noise nz = {10, qbt_num(c, "sigma"), qbt_num(c, "df")};
    double p = qb_noise_p(qbt_num(c, "base"), qbt_num(c, "head"), qbt_num(c, "n_base"), &nz);
    double want = qbt_num(c, "p");
    if (!qbt_close(p, want, REL))
      fail_msg("p case %zu (base %g, head %g, n_base %g, sigma %g, df %g): %.17g, want %.17g", i,
               qbt_num(c, "base"), qbt_num(c, "head"), qbt_num(c, "n_base"), nz.sigma, nz.df, p,
               want);
  }
  json_decref(ref);
}

static void test_noise__band_matches_scipy(void **state) {
  (void)state;
  json_t *ref = load_ref();
  json_t *cases = json_object_get(ref, "band"), *c;
  assert_true(json_array_size(cases) >= 8);
  size_t i;
  json_array_foreach(cases, i, c) {
    qb_noise nz = {10, qbt_num(c, "sigma"), qbt_num(c, "df")};
    double band = qb_noise_band(qbt_num(c, "p_in"), qbt_num(c, "n_base"), &nz);
    double want = qbt_num(c, "band");
    if (!qbt_close(band, want, REL))
      fail_msg("band case %zu (p %g, n_base %g, sigma %g, df %g): %.17g, want %.17g", i,
               qbt_num(c, "p_in"), qbt_num(c, "n_base"), nz.sigma, nz.df, band, want);
    /* scipy 1.10's own t.isf is off by up to ~3e-9 for a non-integer df; the reference t is
     * polished with t.sf (see the script), and the raw isf stays within 1e-8 of it */
    assert_close(qbt_num(c, "t_isf_raw"), qbt_num(c, "t"), 1e-8);
    /* a change of exactly the band has p = p_in (band and p are inverses) */
    if (nz.sigma > 0 && band < 1e4) {
      double p = qb_noise_p(100.0, 100.0 * (1 + band / 100.0), qbt_num(c, "n_base"), &nz);
      assert_close(p, qbt_num(c, "p_in"), 1e-9);
    }
  }
  json_decref(ref);
}

/* Scaling every value, reversing the series or making an outlier more extreme: the estimate
 * depends on log differences and (through the median and MAD) on their ranks only. */
static void test_noise__invariances(void **state) {
  (void)state;
  json_t *ref = load_ref();
  json_t *cases = json_object_get(ref, "estimate"), *c;
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t n;
    double *x = qbt_load_sample(json_object_get(c, "x"), &n);
    if (n < 3 || n > 256) {
      free(x);
      continue;
    }
    qb_noise a = estimate(x, n);
    double *y = malloc(n * sizeof *y);
    for (size_t k = 0; k < n; k++) y[k] = x[k] * 1024.0;
    qb_noise b = estimate(y, n);
    assert_close(b.sigma, a.sigma, 1e-9);
    assert_true(b.df == a.df);
    for (size_t k = 0; k < n; k++) y[k] = x[n - 1 - k];
    b = estimate(y, n);
    assert_close(b.sigma, a.sigma, 1e-12);
    free(y);
    free(x);
  }
  json_decref(ref);
  /* one odd run: 80% slow or 10 times slow, both clipped to 2.5 robust sd: the same sigma,
   * and close to that of the series without it */
  double x[20];
  uint64_t s = 99;
  for (int k = 0; k < 20; k++) x[k] = 100.0 * (1 + 0.02 * ((double)(qbt_sm64(&s) >> 11) * 0x1p-53));
  qb_noise clean = estimate(x, 20);
  double keep = x[11];
  x[11] = keep * 1.8;
  qb_noise odd = estimate(x, 20);
  x[11] = keep * 10.0;
  qb_noise odder = estimate(x, 20);
  assert_close(odder.sigma, odd.sigma, 1e-12);
  assert_true(odd.sigma < 1.6 * clean.sigma);
}

/* A series longer than 256 runs: the newest 256 values count. */
static void test_noise__long_series_newest_256(void **state) {
  (void)state;
  enum { N = 400 };
  double x[N];
  uint64_t s = 7;
  for (int k = 0; k < N; k++)
    x[k] = (k < 144 ? 500.0 : 100.0) * (1 + 0.05 * ((double)(qbt_sm64(&s) >> 11) * 0x1p-53));
  qb_noise all = estimate(x, N), tail = estimate(x + N - 256, 256);
  assert_int_equal(all.runs, 256);
  assert_true(all.sigma == tail.sigma);
  assert_true(all.df == tail.df);
  assert_close(all.df, df_per_diff() * 254, 1e-15);
}

/* Normal run-to-run noise of sd 2% on log(centre): the estimate is centred on 2% (its bias
 * constant makes clipping unbiased for normal noise); 400 series of 40 runs, Box-Muller normals
 * from splitmix64. */
static void test_noise__calibrated_on_normal_noise(void **state) {
  (void)state;
  enum { SERIES = 400, RUNS = 40 };
  uint64_t s = 20261207;
  double sum_var = 0, x[RUNS];
  for (int j = 0; j < SERIES; j++) {
    for (int k = 0; k < RUNS; k++) {
      double u1 = ((double)(qbt_sm64(&s) >> 11) + 0.5) * 0x1p-53;
      double u2 = (double)(qbt_sm64(&s) >> 11) * 0x1p-53;
      double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
      x[k] = 1000.0 * exp(0.02 * z);
    }
    qb_noise r = estimate(x, RUNS);
    sum_var += r.sigma * r.sigma;
  }
  double rms = sqrt(sum_var / SERIES);
  print_message("noise: rms sigma %.5f for a true 0.02\n", rms);
  assert_true(rms > 0.02 * 0.95 && rms < 0.02 * 1.05);
}

static void test_noise__errors_and_edges(void **state) {
  (void)state;
  qb_noise r;
  qb_err err = QB_ERR_INIT;
  /* not finite and positive: QB_EUSAGE naming the position; nothing estimated */
  const double bad[] = {0.0, -1.0, NAN, INFINITY};
  for (size_t b = 0; b < 4; b++) {
    double x[5] = {10, 11, 10.5, 9.5, 10};
    x[3] = bad[b];
    err = (qb_err)QB_ERR_INIT;
    assert_int_equal(qb_noise_estimate(x, 5, &r, &err), QB_EUSAGE);
    assert_int_equal(err.code, QB_EUSAGE);
    assert_non_null(strstr(err.msg, "value 3"));
    assert_int_equal(r.runs, 0);
    assert_true(isnan(r.sigma) && isnan(r.df));
  }
  double x[3] = {10, 11, 10.5};
  assert_int_equal(qb_noise_estimate(x, 3, &r, NULL), QB_OK);
  double y[3] = {10, -1, 10.5};
  assert_int_equal(qb_noise_estimate(y, 3, &r, NULL), QB_EUSAGE); /* err may be NULL */
  /* n < 3: runs = n, sigma and df NaN */
  for (size_t n = 0; n < 3; n++) {
    assert_int_equal(qb_noise_estimate(x, n, &r, &err), QB_OK);
    assert_int_equal(r.runs, n);
    assert_true(isnan(r.sigma) && isnan(r.df));
  }
  /* noise unknown: p and band NaN */
  qb_noise unknown = {2, NAN, NAN};
  assert_true(isnan(qb_noise_p(100, 110, 1, &unknown)));
  assert_true(isnan(qb_noise_band(0.05, 1, &unknown)));
  qb_noise half = {3, 0.01, NAN};
  assert_true(isnan(qb_noise_p(100, 110, 1, &half)));
  /* a centre that is not positive, a p outside (0, 1) */
  qb_noise nz = {10, 0.01, 5.4};
  assert_true(isnan(qb_noise_p(0, 110, 1, &nz)));
  assert_true(isnan(qb_noise_p(100, -1, 1, &nz)));
  assert_true(isnan(qb_noise_p(NAN, 100, 1, &nz)));
  assert_true(isnan(qb_noise_band(0, 1, &nz)));
  assert_true(isnan(qb_noise_band(1, 1, &nz)));
  assert_true(isnan(qb_noise_band(NAN, 1, &nz)));
  /* n_base below 1 counts as 1 */
  assert_true(qb_noise_p(100, 103, 0, &nz) == qb_noise_p(100, 103, 1, &nz));
  assert_true(qb_noise_band(0.05, 0, &nz) == qb_noise_band(0.05, 1, &nz));
  /* more pooled baseline runs: a narrower band, a smaller p for the same change */
  assert_true(qb_noise_band(0.05, 10, &nz) < qb_noise_band(0.05, 1, &nz));
  assert_true(qb_noise_p(100, 103, 10, &nz) < qb_noise_p(100, 103, 1, &nz));
  /* the same change either way gives the same p (two-sided, on the log scale) */
  assert_close(qb_noise_p(100, 110, 1, &nz), qb_noise_p(110, 100, 1, &nz), 1e-12);
}

/* Identical centres (B/op, allocations): sigma 0, df from the count; then any difference has
 * p 0, none has p 1, and the band is 0. */
static void test_noise__sigma_zero(void **state) {
  (void)state;
  double x[8] = {4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096};
  qb_noise r = estimate(x, 8);
  assert_int_equal(r.runs, 8);
  assert_true(r.sigma == 0);
  assert_close(r.df, df_per_diff() * 6, 1e-15);
  assert_true(qb_noise_p(4096, 4608, 1, &r) == 0.0);
  assert_true(qb_noise_p(4096, 4096 * (1 + 1e-12), 1, &r) == 0.0);
  assert_true(qb_noise_p(4096, 4096, 1, &r) == 1.0);
  assert_true(qb_noise_band(0.05, 1, &r) == 0.0);
  /* three points is the shortest estimate: df is held at 1 */
  double three[3] = {4096, 4096, 4096};
  r = estimate(three, 3);
  assert_true(r.sigma == 0 && r.df == 1.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_noise__estimate_matches_numpy),
      cmocka_unit_test(test_noise__clip_bias_from_scipy),
      cmocka_unit_test(test_noise__p_matches_scipy),
      cmocka_unit_test(test_noise__band_matches_scipy),
      cmocka_unit_test(test_noise__invariances),
      cmocka_unit_test(test_noise__long_series_newest_256),
      cmocka_unit_test(test_noise__calibrated_on_normal_noise),
      cmocka_unit_test(test_noise__errors_and_edges),
      cmocka_unit_test(test_noise__sigma_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

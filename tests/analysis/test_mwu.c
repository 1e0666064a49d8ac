/* tests/analysis/test_mwu.c - the Mann-Whitney U test against scipy reference values
 * (tests/data/analysis/mwu_ref.json, made by gen_compare_ref.py next to it; each case names
 * the scipy call or the exact computation its p-value comes from), plus properties: symmetry,
 * invariance under monotone maps, exact enumeration, speed at 10,000 per side, and an A/A
 * calibration run before and after Benjamini-Hochberg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "analysis/fdr.h"
#include "analysis/mwu.h"
#include "tests/testutil.h"

/* p-values agree within 1e-9 relative; within 1e-12 absolute where scipy's p underflowed to 0
 * (the tiny p-values of large shifts, down to 1e-67, are held to the relative bound too). */
static void check_p(double got, double want, const char *name) {
  if (want > 0 ? fabs(got - want) <= 1e-9 * want : fabs(got) <= 1e-12) return;
  print_error("%s: p = %.17g, want %.17g\n", name, got, want);
  fail();
}

static void test_mwu__matches_scipy(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/mwu_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  assert_true(json_array_size(cases) >= 50);
  size_t i, n_exact = 0, n_tied_exact = 0, n_normal = 0;
  double worst = 0;
  json_array_foreach(cases, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t nx, ny;
    double *x = qbt_load_sample(json_object_get(c, "x"), &nx);
    double *y = qbt_load_sample(json_object_get(c, "y"), &ny);
    assert_int_equal(nx, (size_t)json_integer_value(json_object_get(c, "nx")));
    qb_mwu_result r;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_mwu(x, nx, y, ny, &r, &err), QB_OK);
    if (r.u != qbt_num(c, "u")) fail_msg("%s: u = %.17g, want %.17g", name, r.u, qbt_num(c, "u"));
    int exact = json_is_true(json_object_get(c, "exact"));
    if (r.exact != exact) fail_msg("%s: exact = %d, want %d", name, r.exact, exact);
    check_p(r.p, qbt_num(c, "p"), name);
    double want = qbt_num(c, "p");
    if (want > 0 && fabs(r.p - want) / want > worst) worst = fabs(r.p - want) / want;
    if (exact) {
      assert_true(isnan(r.z));
      n_exact++;
      n_tied_exact += json_is_true(json_object_get(c, "ties"));
    } else {
      n_normal++;
      double z = qbt_num(c, "z");
      if (isnan(z))
        assert_true(r.z == 0); /* zero variance */
      else
        assert_close(r.z, z, 1e-12);
    }
    free(x);
    free(y);
  }
  print_message("mwu: %zu exact (%zu with ties), %zu normal; largest relative p error %.3g\n",
                n_exact, n_tied_exact, n_normal, worst);
  json_decref(ref);
}

/* Swapping x and y keeps p and the exactness, turns U into nx*ny - U and negates z. */
static void test_mwu__swap_symmetry(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/mwu_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t nx, ny;
    double *x = qbt_load_sample(json_object_get(c, "x"), &nx);
    double *y = qbt_load_sample(json_object_get(c, "y"), &ny);
    qb_mwu_result a, b;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_mwu(x, nx, y, ny, &a, &err), QB_OK);
    assert_int_equal(qb_mwu(y, ny, x, nx, &b, &err), QB_OK);
    assert_true(b.u == (double)nx * (double)ny - a.u);
    assert_int_equal(a.exact, b.exact);
    assert_close(b.p, a.p, 1e-12);
    if (!a.exact) assert_true(b.z == -a.z);
    free(x);
    free(y);
  }
  json_decref(ref);
}

/* The test depends on the ranks only: shifting both samples by a constant, scaling them by a
 * power of two or taking exp() (all order-preserving here) gives bit-identical results. */
static void test_mwu__rank_invariance(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/mwu_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  size_t i;
  json_array_foreach(cases, i, c) {
    size_t nx, ny;
    double *x = qbt_load_sample(json_object_get(c, "x"), &nx);
    double *y = qbt_load_sample(json_object_get(c, "y"), &ny);
    if (nx > 1000) { /* the gen cases: values near 1..100 would merge after exp() rounding */
      free(x);
      free(y);
      continue;
    }
    qb_mwu_result a, b;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_mwu(x, nx, y, ny, &a, &err), QB_OK);
    for (int map = 0; map < 3; map++) {
      double *x2 = malloc(nx * sizeof *x2), *y2 = malloc(ny * sizeof *y2);
      for (size_t k = 0; k < nx + ny; k++) {
        double v = k < nx ? x[k] : y[k - nx];
        double w = map == 0 ? v + 4096.0 : map == 1 ? v * 8.0 : exp(v / 1000.0);
        if (k < nx)
          x2[k] = w;
        else
          y2[k - nx] = w;
      }
      assert_int_equal(qb_mwu(x2, nx, y2, ny, &b, &err), QB_OK);
      assert_true(a.u == b.u);
      assert_true(a.p == b.p);
      assert_int_equal(a.exact, b.exact);
      free(x2);
      free(y2);
    }
    free(x);
    free(y);
  }
  json_decref(ref);
}

/* A 64-bit LCG for the property tests (not the reference generator). */
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}

/* The exact p-value (with or without ties) equals brute-force enumeration of all
 * C(nx + ny, nx) splits of the pooled values, on random small samples. */
static void test_mwu__exact_matches_enumeration(void **state) {
  (void)state;
  uint64_t s = 99;
  for (int trial = 0; trial < 300; trial++) {
    size_t nx = 1 + lcg(&s) % 7, ny = 1 + lcg(&s) % 7, N = nx + ny;
    uint64_t levels = 1 + lcg(&s) % 6 + (trial % 3 == 0 ? 1000 : 0);
    double v[14], x[7], y[7];
    for (size_t k = 0; k < N; k++) v[k] = (double)(lcg(&s) % levels);
    memcpy(x, v, nx * sizeof *x);
    memcpy(y, v + nx, ny * sizeof *y);
    qb_mwu_result r;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_mwu(x, nx, y, ny, &r, &err), QB_OK);
    assert_true(r.exact);
    /* U of every subset of positions taken as x, doubled */
    double le = 0, ge = 0, total = 0, u2obs = 2 * r.u;
    for (uint32_t mask = 0; mask < (1u << N); mask++) {
      if ((size_t)__builtin_popcount(mask) != nx) continue;
      double u2 = 0;
      for (size_t a = 0; a < N; a++) {
        if (!(mask >> a & 1)) continue;
        for (size_t b = 0; b < N; b++)
          if (!(mask >> b & 1)) u2 += v[a] > v[b] ? 2 : v[a] == v[b] ? 1 : 0;
      }
      total++;
      le += u2 <= u2obs;
      ge += u2 >= u2obs;
    }
    double want = 2 * (le < ge ? le : ge) / total;
    assert_close(r.p, want > 1 ? 1 : want, 1e-12);
  }
}

/* qb_mwu_exact_cdf: the 2 x 2 distribution by hand (U = 0..4 in 1, 1, 2, 1, 1 of 6 ways) and
 * the symmetry P(U <= u) + P(U <= nx*ny - u - 1) = 1 for 50 x 50. */
static void test_mwu__exact_cdf(void **state) {
  (void)state;
  double cdf[2501];
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_mwu_exact_cdf(2, 2, cdf, &err), QB_OK);
  const double want[5] = {1 / 6.0, 2 / 6.0, 4 / 6.0, 5 / 6.0, 1.0};
  for (int u = 0; u < 5; u++) assert_close(cdf[u], want[u], 1e-15);
  assert_int_equal(qb_mwu_exact_cdf(50, 50, cdf, &err), QB_OK);
  assert_close(cdf[0], 1.0 / 1.0089134454556419e29, 1e-13); /* 1 / C(100, 50) */
  for (int u = 0; u < 2500; u++) assert_true(fabs(cdf[u] + cdf[2499 - u] - 1.0) < 1e-13);
  assert_close(cdf[2500], 1.0, 1e-15);
}

/* 10,000 values per side: the normal approximation after one sort, well under a second. */
static void test_mwu__large_is_fast(void **state) {
  (void)state;
  enum { N = 10000 };
  double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  uint64_t s = 5;
  for (size_t i = 0; i < N; i++) {
    x[i] = (double)lcg(&s) * 0x1p-53;
    y[i] = (double)lcg(&s) * 0x1p-53 + 0.01;
  }
  qb_mwu_result r;
  qb_err err = QB_ERR_INIT;
  clock_t t0 = clock();
  assert_int_equal(qb_mwu(x, N, y, N, &r, &err), QB_OK);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  print_message("mwu 10000 x 10000: %.1f ms, p = %.3g\n", secs * 1e3, r.p);
  assert_false(r.exact);
  assert_true(secs < 1.0);
  free(x);
  free(y);
}

static void test_mwu__rejects_bad_input(void **state) {
  (void)state;
  double x[2] = {1, 2}, bad[2] = {1, NAN};
  qb_mwu_result r;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_mwu(x, 0, x, 2, &r, &err), QB_EUSAGE);
  assert_int_equal(qb_mwu(x, 2, x, 0, &r, &err), QB_EUSAGE);
  assert_int_equal(qb_mwu(x, 2, bad, 2, &r, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "nan"));
  /* infinities are ordinary values for a rank test */
  double inf[2] = {-INFINITY, INFINITY};
  assert_int_equal(qb_mwu(x, 2, inf, 2, &r, &err), QB_OK);
  assert_true(r.u == 2.0);
}

/* A/A calibration: 3,000 tests of two samples from the same distribution (a third exact
 * without ties, n = 12 per side; a third exact with ties, integers 0..9, n = 10; a third normal,
 * n = 60). A valid level-0.05 test rejects at most 5% of them; the count is
 * binomial(3000, <= 0.05), sd <= 11.9, so we accept 102..198 (0.05 +- 4 sd, the discrete exact
 * tests being slightly conservative). Then BH over 100 families of 30: under the global null
 * a family has any BH rejection with probability <= 0.05 (Simes), so at most 5 + 4 sd = 13
 * families, and BH never rejects more than the raw tests. The seeds are fixed, so the counts
 * are too; the bounds say how far they may honestly be. */
static void test_mwu__aa_calibration(void **state) {
  (void)state;
  enum { FAMILIES = 100, PER = 30 };
  uint64_t s = 20261126;
  double p[PER], adj[PER], x[60], y[60];
  size_t raw = 0, bh = 0, families_hit = 0;
  for (int f = 0; f < FAMILIES; f++) {
    for (int t = 0; t < PER; t++) {
      int kind = t % 3;
      size_t n = kind == 0 ? 12 : kind == 1 ? 10 : 60;
      for (size_t i = 0; i < 2 * n; i++) {
        double v = kind == 1 ? (double)(lcg(&s) % 10) : (double)lcg(&s) * 0x1p-53;
        if (i < n)
          x[i] = v;
        else
          y[i - n] = v;
      }
      qb_mwu_result r;
      qb_err err = QB_ERR_INIT;
      assert_int_equal(qb_mwu(x, n, y, n, &r, &err), QB_OK);
      assert_int_equal(r.exact, kind != 2);
      p[t] = r.p;
      raw += r.p <= 0.05;
    }
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_fdr_bh(p, PER, adj, &err), QB_OK);
    size_t hits = 0;
    for (int t = 0; t < PER; t++) hits += adj[t] <= 0.05;
    bh += hits;
    families_hit += hits > 0;
  }
  print_message("a/a: %zu of %d raw p <= 0.05 (%.4f); after BH %zu, families with any: %zu\n", raw,
                FAMILIES * PER, (double)raw / (FAMILIES * PER), bh, families_hit);
  assert_in_range(raw, 102, 198);
  assert_true(bh <= raw);
  assert_true(families_hit <= 13);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mwu__matches_scipy),
      cmocka_unit_test(test_mwu__swap_symmetry),
      cmocka_unit_test(test_mwu__rank_invariance),
      cmocka_unit_test(test_mwu__exact_matches_enumeration),
      cmocka_unit_test(test_mwu__exact_cdf),
      cmocka_unit_test(test_mwu__large_is_fast),
      cmocka_unit_test(test_mwu__rejects_bad_input),
      cmocka_unit_test(test_mwu__aa_calibration),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/analysis/test_trend.c - Theil-Sen, the trend rule, scaling fits and grades against
 * tests/data/analysis/trend_ref.json (made by gen_trend_ref.py next to it with scipy/numpy),
 * plus seeded series, the real Criterion sort measurements, the documented worked example and
 * invalid inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/trend.h"
#include "tests/testutil.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* A number of a reference case; NaN for null. */
static double num(json_t *c, const char *key) {
  json_t *v = json_object_get(c, key);
  assert_non_null(v);
  return json_is_null(v) ? NAN : json_number_value(v);
}

/* The values a reference field describes: a JSON array, or a {"gen": "saw"} spec
 * (a + b i + ((i * mul) % mod) / div, the generator of gen_trend_ref.py). Caller frees. */
static double *values(json_t *v, size_t *n) {
  double *out;
  if (json_is_array(v)) {
    *n = json_array_size(v);
    out = malloc((*n ? *n : 1) * sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < *n; i++) out[i] = json_number_value(json_array_get(v, i));
    return out;
  }
  assert_string_equal(json_string_value(json_object_get(v, "gen")), "saw");
  *n = (size_t)json_integer_value(json_object_get(v, "n"));
  int64_t mul = json_integer_value(json_object_get(v, "mul"));
  int64_t mod = json_integer_value(json_object_get(v, "mod"));
  double a = num(v, "a"), b = num(v, "b"), div = num(v, "div");
  out = malloc(*n * sizeof *out);
  assert_non_null(out);
  for (size_t i = 0; i < *n; i++)
    out[i] = a + b * (double)i + (double)(((int64_t)i * mul) % mod) / div;
  return out;
}

/* The reference file, or a failed test. The caller json_decref()s it. */
static json_t *load_ref(void) {
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/trend_ref.json");
  assert_non_null(ref);
  return ref;
}

/* Fail unless got is within rel (relative) or abs_tol (absolute) of want; NaN matches NaN. */
static void check(double got, double want, double rel, double abs_tol, const char *name,
                  const char *what) {
  if (isnan(got) && isnan(want)) return;
  if (fabs(got - want) <= abs_tol || fabs(got - want) <= rel * fabs(want)) return;
  print_error("%s: %s = %.17g, expected %.17g\n", name, what, got, want);
  fail();
}

/* splitmix64: the seeded generator of the C-side series. */
static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* A standard normal draw (Box-Muller on two uniforms in (0, 1)). */
static double normal(uint64_t *s) {
  double u1 = ((double)(splitmix64(s) >> 11) + 0.5) * 0x1p-53;
  double u2 = ((double)(splitmix64(s) >> 11) + 0.5) * 0x1p-53;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* y_i = level (1 + slope_frac i) + level noise_frac N(0, 1), i = 0..m-1. */
static void series(double *y, size_t m, double level, double slope_frac, double noise_frac,
                   uint64_t *seed) {
  for (size_t i = 0; i < m; i++)
    y[i] = level * (1.0 + slope_frac * (double)i) + level * noise_frac * normal(seed);
}

/* ---- Theil-Sen ------------------------------------------------------------------------- */

static void test_trend__theil_sen_matches_scipy(void **state) {
  (void)state;
  json_t *ref = load_ref(), *c;
  json_t *cases = json_object_get(ref, "theil_sen");
  assert_true(json_array_size(cases) >= 10);
  size_t k;
  json_array_foreach(cases, k, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t nx, ny;
    double *x = values(json_object_get(c, "x"), &nx), *y = values(json_object_get(c, "y"), &ny);
    assert_int_equal(nx, ny);
    double slope, icpt;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_theil_sen(x, y, nx, &slope, &icpt, &err), QB_OK);
    /* the same slopes, the same median: bit for bit */
    check(slope, num(c, "slope"), 0, 0, name, "slope");
    check(icpt, num(c, "intercept"), 1e-15, 1e-15, name, "intercept");
    free(x);
    free(y);
  }
  json_decref(ref);
}

/* The order of the points does not matter; an exact line gives its slope and intercept. */
static void test_trend__theil_sen_properties(void **state) {
  (void)state;
  double x[9], y[9], rx[9], ry[9], s1, i1, s2, i2;
  qb_err err = QB_ERR_INIT;
  for (int i = 0; i < 9; i++) {
    x[i] = i * 1.5 - 3;
    y[i] = 4.0 - 0.25 * x[i];
    rx[8 - i] = x[i];
    ry[8 - i] = y[i];
  }
  assert_int_equal(qb_theil_sen(x, y, 9, &s1, &i1, &err), QB_OK);
  assert_true(s1 == -0.25 && i1 == 4.0);
  y[2] += 100; /* one outlier moves neither */
  y[7] -= 50;
  ry[6] += 100;
  ry[1] -= 50;
  assert_int_equal(qb_theil_sen(x, y, 9, &s1, &i1, &err), QB_OK);
  assert_int_equal(qb_theil_sen(rx, ry, 9, &s2, &i2, &err), QB_OK);
  assert_true(s1 == s2 && i1 == i2);
  assert_true(s1 == -0.25 && i1 == 4.0);
}

static void test_trend__theil_sen_rejects_bad_input(void **state) {
  (void)state;
  double x[4] = {1, 2, 3, 4}, y[4] = {1, 2, 3, 4}, same[4] = {2, 2, 2, 2}, s, i;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_theil_sen(x, y, 1, &s, &i, &err), QB_EUSAGE);
  assert_int_equal(qb_theil_sen(x, y, QB_THEIL_SEN_MAX + 1, &s, &i, &err), QB_EUSAGE);
  assert_int_equal(qb_theil_sen(same, y, 4, &s, &i, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "equal"));
  y[2] = NAN;
  assert_int_equal(qb_theil_sen(x, y, 4, &s, &i, &err), QB_EUSAGE);
  y[2] = 3;
  x[3] = INFINITY;
  assert_int_equal(qb_theil_sen(x, y, 4, &s, &i, &err), QB_EUSAGE);
}

/* ---- trends ---------------------------------------------------------------------------- */

static qb_trend_direction direction_named(const char *name) {
  for (int d = QB_TREND_STABLE; d <= QB_TREND_VOLATILE; d++)
    if (!strcmp(qb_trend_name((qb_trend_direction)d), name)) return (qb_trend_direction)d;
  fail_msg("unknown direction %s", name);
  return QB_TREND_STABLE;
}

static void test_trend__matches_reference(void **state) {
  (void)state;
  json_t *ref = load_ref(), *c;
  json_t *cases = json_object_get(ref, "trend");
  assert_true(json_array_size(cases) >= 20);
  size_t k;
  json_array_foreach(cases, k, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t n;
    double *y = values(json_object_get(c, "y"), &n);
    size_t from = (size_t)json_integer_value(json_object_get(c, "from"));
    int hib = (int)json_integer_value(json_object_get(c, "higher_is_better"));
    qb_trend t;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_trend_of(y, n, from, hib, &t, &err), QB_OK);
    qb_trend_direction want = direction_named(json_string_value(json_object_get(c, "direction")));
    if (t.direction != want)
      fail_msg("%s: %s, expected %s", name, qb_trend_name(t.direction), qb_trend_name(want));
    assert_int_equal(t.from, json_integer_value(json_object_get(c, "out_from")));
    assert_int_equal(t.n, json_integer_value(json_object_get(c, "out_n")));
    check(t.slope_pct_per_run, num(c, "slope_pct"), 1e-12, 0, name, "slope_pct_per_run");
    check(t.noise_pct, num(c, "noise_pct"), 1e-12, 1e-12, name, "noise_pct");
    check(t.tau, num(c, "tau"), 1e-12, 0, name, "tau");
    check(t.p, num(c, "p"), 1e-9, 1e-300, name, "p");
    check(t.strength, num(c, "strength"), 1e-9, 1e-12, name, "strength");
    assert_true(t.strength >= 0 && t.strength <= 1);
    free(y);
  }
  json_decref(ref);
}

/* Seeded series made here: 300 flat latency series with 1% noise (30 runs each) are rarely
 * called a trend (the Kendall test runs at 5%, and the 1% drift floor removes more), and the
 * directions of steady 0.5%/run changes come out right for latency and throughput. */
static void test_trend__seeded_series(void **state) {
  (void)state;
  uint64_t seed = 20261127;
  double y[40];
  qb_trend t;
  qb_err err = QB_ERR_INIT;
  int counts[4] = {0, 0, 0, 0};
  for (int rep = 0; rep < 300; rep++) {
    series(y, 30, 100.0, 0.0, 0.01, &seed);
    assert_int_equal(qb_trend_of(y, 30, 0, 0, &t, &err), QB_OK);
    counts[t.direction]++;
  }
  /* at most 5% expected; 300 * 0.05 + 4 sd = 15 + 15.1 */
  assert_true(counts[QB_TREND_IMPROVING] + counts[QB_TREND_DEGRADING] <= 30);
  assert_int_equal(counts[QB_TREND_VOLATILE], 0);
  for (int rep = 0; rep < 50; rep++) {
    series(y, 30, 100.0, 0.005, 0.01, &seed); /* latency up 0.5% per run */
    assert_int_equal(qb_trend_of(y, 30, 0, 0, &t, &err), QB_OK);
    assert_int_equal(t.direction, QB_TREND_DEGRADING);
    assert_true(t.strength > 0.6);
    assert_true(fabs(t.slope_pct_per_run - 0.5) < 0.1);
    assert_int_equal(qb_trend_of(y, 30, 0, 1, &t, &err), QB_OK); /* the same as throughput */
    assert_int_equal(t.direction, QB_TREND_IMPROVING);
    series(y, 30, 100.0, -0.005, 0.01, &seed); /* latency down */
    assert_int_equal(qb_trend_of(y, 30, 0, 0, &t, &err), QB_OK);
    assert_int_equal(t.direction, QB_TREND_IMPROVING);
    series(y, 30, 100.0, 0.0, 0.25, &seed); /* heavy noise */
    assert_int_equal(qb_trend_of(y, 30, 0, 0, &t, &err), QB_OK);
    assert_int_equal(t.direction, QB_TREND_VOLATILE);
    assert_true(t.noise_pct > 10);
  }
}

/* Scaling the values changes nothing; higher_is_better swaps improving and degrading only. */
static void test_trend__invariances(void **state) {
  (void)state;
  uint64_t seed = 7;
  double y[40], z[40];
  for (int rep = 0; rep < 40; rep++) {
    double slope = (rep % 5 - 2) * 0.002, noise = rep % 3 == 0 ? 0.15 : 0.01;
    series(y, 40, 50.0, slope, noise, &seed);
    for (int i = 0; i < 40; i++) z[i] = y[i] * 1024.0; /* exact scaling */
    qb_trend a, b, c;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_trend_of(y, 40, 0, 0, &a, &err), QB_OK);
    assert_int_equal(qb_trend_of(z, 40, 0, 0, &b, &err), QB_OK);
    assert_int_equal(qb_trend_of(y, 40, 0, 1, &c, &err), QB_OK);
    assert_int_equal(a.direction, b.direction);
    assert_true(a.strength == b.strength && a.tau == b.tau && a.p == b.p);
    assert_close(a.slope_pct_per_run, b.slope_pct_per_run, 1e-15);
    assert_close(a.noise_pct, b.noise_pct, 1e-15);
    qb_trend_direction flipped = a.direction == QB_TREND_IMPROVING   ? QB_TREND_DEGRADING
                                 : a.direction == QB_TREND_DEGRADING ? QB_TREND_IMPROVING
                                                                     : a.direction;
    assert_int_equal(c.direction, flipped);
    assert_true(c.strength == a.strength);
  }
}

static void test_trend__few_points_and_degenerate(void **state) {
  (void)state;
  double y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  qb_trend t;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_trend_of(y, 8, 4, 0, &t, &err), QB_OK); /* 4 points */
  assert_int_equal(t.direction, QB_TREND_STABLE);
  assert_true(t.strength == 0 && isnan(t.slope_pct_per_run) && isnan(t.noise_pct));
  assert_true(t.from == 4 && t.n == 4);
  assert_int_equal(qb_trend_of(y, 8, 8, 0, &t, &err), QB_OK); /* empty segment */
  assert_true(t.n == 0 && t.direction == QB_TREND_STABLE);
  assert_int_equal(qb_trend_of(NULL, 0, 0, 0, &t, &err), QB_OK);
  assert_true(t.n == 0 && t.strength == 0);
  double zero[6] = {-1, 0, 0, 1, 0, 2}; /* median 0: no percentages */
  assert_int_equal(qb_trend_of(zero, 6, 0, 0, &t, &err), QB_OK);
  assert_true(t.direction == QB_TREND_STABLE && t.strength == 0 && isnan(t.slope_pct_per_run));
  double flat[7] = {3, 3, 3, 3, 3, 3, 3}; /* all equal: tau undefined, clearly stable */
  assert_int_equal(qb_trend_of(flat, 7, 0, 1, &t, &err), QB_OK);
  assert_true(t.direction == QB_TREND_STABLE && t.strength == 1.0);
  assert_true(t.slope_pct_per_run == 0 && t.noise_pct == 0 && isnan(t.tau) && isnan(t.p));
}

/* Only the last QB_TREND_MAX_POINTS points of a long segment are analysed. */
static void test_trend__long_segment_capped(void **state) {
  (void)state;
  enum { N = 1300 };
  double *y = malloc(N * sizeof *y);
  assert_non_null(y);
  for (int i = 0; i < N; i++) y[i] = i < 800 ? 100.0 + i : 900.0 + (i % 7) * 0.5;
  qb_trend t;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_trend_of(y, N, 0, 0, &t, &err), QB_OK);
  assert_int_equal(t.from, N - QB_TREND_MAX_POINTS);
  assert_int_equal(t.n, QB_TREND_MAX_POINTS);
  assert_int_equal(t.direction, QB_TREND_STABLE);
  assert_int_equal(qb_trend_of(y, N, 1000, 0, &t, &err), QB_OK); /* a shorter segment: as is */
  assert_true(t.from == 1000 && t.n == 300);
  free(y);
}

static void test_trend__rejects_bad_input(void **state) {
  (void)state;
  double y[6] = {1, 2, NAN, 4, 5, 6};
  qb_trend t;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_trend_of(y, 6, 7, 0, &t, &err), QB_EUSAGE);
  assert_int_equal(qb_trend_of(y, 6, 0, 0, &t, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "y[2]"));
  assert_int_equal(qb_trend_of(y, 6, 3, 0, &t, &err), QB_OK); /* the NaN is before the segment */
  assert_string_equal(qb_trend_name(QB_TREND_VOLATILE), "volatile");
  assert_string_equal(qb_trend_name((qb_trend_direction)99), "unknown");
}

/* ---- scaling --------------------------------------------------------------------------- */

static void test_trend__scaling_matches_numpy(void **state) {
  (void)state;
  json_t *ref = load_ref(), *c;
  json_t *cases = json_object_get(ref, "scaling");
  assert_true(json_array_size(cases) >= 10);
  size_t k;
  json_array_foreach(cases, k, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    size_t nn, nt;
    double *n = values(json_object_get(c, "n"), &nn), *t = values(json_object_get(c, "t"), &nt);
    assert_int_equal(nn, nt);
    qb_scaling_fit f;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_scaling(n, t, nn, &f, &err), QB_OK);
    for (int m = 0; m < QB_N_COMPLEXITIES; m++) {
      check(f.coef[m], json_number_value(json_array_get(json_object_get(c, "coef"), m)), 1e-12, 0,
            name, qb_complexity_name((qb_complexity)m));
      check(f.rms[m], json_number_value(json_array_get(json_object_get(c, "rms"), m)), 1e-9, 1e-14,
            name, qb_complexity_name((qb_complexity)m));
    }
    assert_string_equal(qb_complexity_name(f.best), json_string_value(json_object_get(c, "best")));
    free(n);
    free(t);
  }
  json_decref(ref);
}

/* t = 3 n log2 n exactly: O(n log n), coefficient 3, no error; the other shapes too. */
static void test_trend__scaling_exact(void **state) {
  (void)state;
  double n[6] = {16, 64, 256, 1024, 4096, 65536}, t[6];
  qb_scaling_fit f;
  qb_err err = QB_ERR_INIT;
  for (int m = 0; m < QB_N_COMPLEXITIES; m++) {
    for (int i = 0; i < 6; i++) {
      double l = log2(n[i]);
      double fv[QB_N_COMPLEXITIES] = {1, l, n[i], n[i] * l, n[i] * n[i], n[i] * n[i] * n[i]};
      t[i] = 3.0 * fv[m];
    }
    assert_int_equal(qb_scaling(n, t, 6, &f, &err), QB_OK);
    assert_int_equal(f.best, m);
    assert_close(f.coef[m], 3.0, 1e-14);
    assert_true(f.rms[m] < 1e-14);
  }
}

/* The Criterion sort benchmark of tests/data (a comparison sort; slope estimates in ns at
 * n = 100, 1000, 10000): O(n log n) fits within 0.4% RMS, O(n) leaves 4%, O(n^2) 10%. */
static void test_trend__scaling_criterion_sort(void **state) {
  (void)state;
  const char *sizes[3] = {"100", "1000", "10000"};
  double n[3], t[3];
  for (int i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/criterion/run1/target/criterion/sort/%s/new/estimates.json",
             QB_TEST_DATA, sizes[i]);
    json_t *e = qbt_load_json(path);
    assert_non_null(e);
    n[i] = strtod(sizes[i], NULL);
    t[i] = json_number_value(json_object_get(json_object_get(e, "slope"), "point_estimate"));
    assert_true(t[i] > 0);
    json_decref(e);
  }
  qb_scaling_fit f;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_OK);
  assert_int_equal(f.best, QB_O_N_LOG_N);
  assert_string_equal(qb_complexity_name(f.best), "O(n log n)");
  assert_true(f.rms[QB_O_N_LOG_N] < 0.004);
  assert_true(f.rms[QB_O_N] > 0.04 && f.rms[QB_O_N2] > 0.1);
  assert_true(f.coef[QB_O_N_LOG_N] > 0.62 && f.coef[QB_O_N_LOG_N] < 0.64); /* ns per n log2 n */
}

static void test_trend__scaling_rejects_bad_input(void **state) {
  (void)state;
  double n[3] = {10, 100, 1000}, t[3] = {1, 2, 3};
  qb_scaling_fit f;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_scaling(n, t, 1, &f, &err), QB_EUSAGE);
  n[1] = 0;
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "n[1]"));
  n[1] = NAN;
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_EUSAGE);
  n[1] = 1e200; /* n^3 overflows */
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_EUSAGE);
  n[1] = 100;
  t[2] = INFINITY;
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_EUSAGE);
  t[0] = t[1] = t[2] = 0; /* no positive mean */
  assert_int_equal(qb_scaling(n, t, 3, &f, &err), QB_EUSAGE);
  assert_string_equal(qb_complexity_name(QB_O_N3), "O(n^3)");
  assert_string_equal(qb_complexity_name((qb_complexity)6), "unknown");
}

/* ---- grades ---------------------------------------------------------------------------- */

/* A grade input with only the fields given; every component excluded otherwise. */
static qb_grade_input grade_input(void) {
  qb_grade_input in;
  memset(&in, 0, sizeof in);
  in.noise_pct = NAN;
  return in;
}

static void test_trend__grade_matches_reference(void **state) {
  (void)state;
  json_t *ref = load_ref(), *c;
  json_t *cases = json_object_get(ref, "grade");
  assert_true(json_array_size(cases) >= 8);
  size_t k;
  json_array_foreach(cases, k, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    qb_grade_input in = grade_input();
    in.benchmarks = (size_t)json_integer_value(json_object_get(c, "benchmarks"));
    in.baseline_benchmarks = (size_t)json_integer_value(json_object_get(c, "baseline_benchmarks"));
    in.compared = (size_t)json_integer_value(json_object_get(c, "compared"));
    for (int s = 0; s < 5; s++)
      in.regressions[s] =
          (size_t)json_integer_value(json_array_get(json_object_get(c, "regressions"), s));
    in.improvements = (size_t)json_integer_value(json_object_get(c, "improvements"));
    in.targets = (size_t)json_integer_value(json_object_get(c, "targets"));
    in.targets_met = (size_t)json_integer_value(json_object_get(c, "targets_met"));
    in.noise_pct = num(c, "noise_pct");
    qb_grade g;
    qb_grade_of(&in, &g);
    check(g.score, num(c, "score"), 1e-13, 1e-13, name, "score");
    check(g.regressions_score, num(c, "regressions_score"), 1e-13, 1e-13, name, "regressions");
    check(g.targets_score, num(c, "targets_score"), 1e-13, 1e-13, name, "targets");
    check(g.stability_score, num(c, "stability_score"), 1e-13, 1e-13, name, "stability");
    check(g.coverage_score, num(c, "coverage_score"), 1e-13, 1e-13, name, "coverage");
    assert_string_equal(g.letter, json_string_value(json_object_get(c, "letter")));
  }
  json_decref(ref);
}

/* docs/statistics.md, Grades, worked example: 40 baseline benchmarks, 38 compared, 2 minor and
 * 1 moderate regression, 4 of 5 targets met, 2.5% noise. */
static void test_trend__grade_worked_example(void **state) {
  (void)state;
  qb_grade_input in = grade_input();
  in.benchmarks = 41;
  in.baseline_benchmarks = 40;
  in.compared = 38;
  in.regressions[1] = 2;
  in.regressions[2] = 1;
  in.improvements = 3;
  in.targets = 5;
  in.targets_met = 4;
  in.noise_pct = 2.5;
  qb_grade g;
  qb_grade_of(&in, &g);
  assert_close(g.regressions_score, 100.0 - 9.0 * sqrt(100.0 / 38.0), 1e-15); /* 85.400 */
  assert_true(fabs(g.regressions_score - 85.400) < 5e-4);
  assert_true(g.targets_score == 80.0);
  assert_true(fabs(g.stability_score - 83.333) < 5e-4);
  assert_true(fabs(g.coverage_score - 90.0) < 1e-12);
  assert_true(fabs(g.score - 84.660) < 5e-4);
  assert_string_equal(g.letter, "B");
}

static void test_trend__grade_regressions(void **state) {
  (void)state;
  qb_grade_input in = grade_input();
  qb_grade g;
  in.compared = 100; /* per 100 compared: minor -2, moderate -5, major -15, critical -30 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 100 && g.score == 100);
  assert_string_equal(g.letter, "A+");
  in.regressions[1] = 1;
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 98);
  in.regressions[1] = 0;
  in.regressions[2] = 2;
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 90);
  in.regressions[2] = 0;
  in.regressions[3] = 1; /* 85, capped at 75 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 75);
  in.regressions[3] = 2; /* 70 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 70);
  in.regressions[3] = 0;
  in.regressions[4] = 1; /* 70, capped at 50 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 50);
  in.compared = 4; /* a small suite: the penalty is sqrt(100 / 4) = 5 times larger */
  in.regressions[4] = 0;
  in.regressions[1] = 1;
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 90);
  in.regressions[1] = 0;
  in.regressions[4] = 1; /* 100 - 150 -> 0 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 0);
  in.compared = 10000; /* a big suite: one critical still caps it at 50 */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 50);
  in.improvements = 500; /* improvements do not buy regressions back */
  qb_grade_of(&in, &g);
  assert_true(g.regressions_score == 50);
  in.compared = 0; /* nothing compared: not scored */
  qb_grade_of(&in, &g);
  assert_true(isnan(g.regressions_score) && isnan(g.score));
  assert_string_equal(g.letter, "-");
}

static void test_trend__grade_targets_stability_coverage(void **state) {
  (void)state;
  qb_grade g;
  qb_grade_input in = grade_input();
  in.targets = 8;
  in.targets_met = 6;
  qb_grade_of(&in, &g);
  assert_true(g.targets_score == 75 && g.score == 75);
  in.targets_met = 9; /* more met than exist: clamped */
  qb_grade_of(&in, &g);
  assert_true(g.targets_score == 100);

  const double noise[] = {0, 0.5, 1, 2.8, 5.5, 10, 40}, want[] = {100, 100, 100, 80, 50, 0, 0};
  for (int i = 0; i < 7; i++) {
    in = grade_input();
    in.noise_pct = noise[i];
    qb_grade_of(&in, &g);
    assert_close(g.stability_score, want[i], 1e-14);
    assert_true(isnan(g.targets_score) && isnan(g.coverage_score));
  }

  const size_t compared[] = {200, 190, 150, 100, 0}, wantc[] = {100, 90, 50, 0, 0};
  for (int i = 0; i < 5; i++) {
    in = grade_input();
    in.baseline_benchmarks = 200;
    in.compared = compared[i];
    qb_grade_of(&in, &g);
    assert_close(g.coverage_score, (double)wantc[i], 1e-14);
  }
  in.compared = 250; /* more than the baseline had: full coverage */
  qb_grade_of(&in, &g);
  assert_true(g.coverage_score == 100);
}

/* Weights 40/25/15/20, renormalised over the components that apply. */
static void test_trend__grade_weights(void **state) {
  (void)state;
  qb_grade g;
  qb_grade_input in = grade_input();
  in.compared = in.baseline_benchmarks = 100;
  in.regressions[4] = 1; /* regressions 50 */
  in.targets = 2;        /* targets 50 */
  in.targets_met = 1;
  in.noise_pct = 10; /* stability 0; coverage 100 */
  qb_grade_of(&in, &g);
  assert_close(g.score, (40 * 50.0 + 25 * 50.0 + 15 * 0.0 + 20 * 100.0) / 100.0, 1e-15);
  in.targets = 0; /* without targets: (40 * 50 + 15 * 0 + 20 * 100) / 75 */
  qb_grade_of(&in, &g);
  assert_close(g.score, 4000.0 / 75.0, 1e-15);
}

/* The letter boundaries, on scores made of the targets component alone. */
static void test_trend__grade_letters(void **state) {
  (void)state;
  const size_t met[] = {10000, 9500, 9499, 8500, 8499, 7000, 6999, 5500, 5499, 0};
  const char *want[] = {"A+", "A+", "A", "A", "B", "B", "C", "C", "D", "D"};
  for (int i = 0; i < 10; i++) {
    qb_grade g;
    qb_grade_input in = grade_input();
    in.targets = 10000;
    in.targets_met = met[i];
    qb_grade_of(&in, &g);
    assert_close(g.score, (double)met[i] / 100.0, 1e-15);
    assert_string_equal(g.letter, want[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trend__theil_sen_matches_scipy),
      cmocka_unit_test(test_trend__theil_sen_properties),
      cmocka_unit_test(test_trend__theil_sen_rejects_bad_input),
      cmocka_unit_test(test_trend__matches_reference),
      cmocka_unit_test(test_trend__seeded_series),
      cmocka_unit_test(test_trend__invariances),
      cmocka_unit_test(test_trend__few_points_and_degenerate),
      cmocka_unit_test(test_trend__long_segment_capped),
      cmocka_unit_test(test_trend__rejects_bad_input),
      cmocka_unit_test(test_trend__scaling_matches_numpy),
      cmocka_unit_test(test_trend__scaling_exact),
      cmocka_unit_test(test_trend__scaling_criterion_sort),
      cmocka_unit_test(test_trend__scaling_rejects_bad_input),
      cmocka_unit_test(test_trend__grade_matches_reference),
      cmocka_unit_test(test_trend__grade_worked_example),
      cmocka_unit_test(test_trend__grade_regressions),
      cmocka_unit_test(test_trend__grade_targets_stability_coverage),
      cmocka_unit_test(test_trend__grade_weights),
      cmocka_unit_test(test_trend__grade_letters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

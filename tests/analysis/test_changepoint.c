/* tests/analysis/test_changepoint.c - change points (analysis/changepoint.c): exact cases (clean
 * steps, two steps 10 apart, a pulse, constants, tiny and invalid input), accuracy on seeded
 * histories with known steps, false change points in flat series, the incremental update against
 * the full analysis on hundreds of series, and the Python re-implementation's results
 * (tests/data/analysis/changepoint_ref.json, from gen_changepoint_ref.py next to it).
 *
 * The histories come from the test's own generator (splitmix64 seeding xoshiro256**) and
 * Irwin-Hall normal deviates (the sum of 12 uniforms minus 6: integer arithmetic and exact
 * additions, so every machine draws the same series). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/changepoint.h"
#include "tests/testutil.h"

/* The generator's state: xoshiro256** (Blackman & Vigna), seeded by splitmix64. */
typedef struct rng {
  uint64_t s[4];
} rng;

/* splitmix64: the next value of the seeding sequence in *x. */
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A generator seeded with four splitmix64 outputs of seed. */
static rng rng_new(uint64_t seed) {
  rng r;
  for (int i = 0; i < 4; i++) r.s[i] = splitmix64(&seed);
  return r;
}

/* x rotated left by k bits. */
static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/* The next 64-bit output of xoshiro256**. */
static uint64_t rng_next(rng *r) {
  uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* A uniform double in [0, 1) (53 random bits). */
static double uniform01(rng *r) {
  return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* An integer in [lo, hi). */
static int uniform_int(rng *r, int lo, int hi) {
  return lo + (int)(uniform01(r) * (hi - lo));
}

/* An approximately standard normal deviate: the sum of 12 uniforms minus 6 (Irwin-Hall; sd 1,
 * tails cut at 6). Each uniform is a multiple of 2^-53 below 1, so the sum is exact. */
static double normal(rng *r) {
  double s = 0;
  for (int i = 0; i < 12; i++) s += uniform01(r);
  return s - 6;
}

/* exp(log(lo) + u log(hi / lo)): log-uniform in [lo, hi). */
static double log_uniform(rng *r, double lo, double hi) {
  return lo * exp(uniform01(r) * log(hi / lo));
}

/* Change points of x[0..n) with the default options; fails the test on an error. *n_out gets
 * their number; the caller frees the result. */
static qb_changepoint *detect(const double *x, size_t n, const qb_cp_opts *o, size_t *n_out) {
  qb_changepoint *cp = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_changepoints(x, n, o, &cp, n_out, &err)) fail_msg("%s", err.msg);
  return cp;
}

/* A clean step: one change point exactly at the step, p = 0 (no spread on either side). */
static void test_changepoint__clean_step(void **state) {
  (void)state;
  double x[100];
  for (int i = 0; i < 100; i++) x[i] = i < 50 ? 1.0 : 2.0;
  size_t n;
  qb_changepoint *cp = detect(x, 100, NULL, &n);
  assert_int_equal(n, 1);
  assert_int_equal(cp[0].index, 50);
  assert_true(cp[0].p == 0.0);
  assert_true(cp[0].before == 1.0 && cp[0].after == 2.0 && cp[0].change == 1.0);
  free(cp);
  /* downwards, at the first and last places a step can be seen (3 points on a side) */
  for (int at = 3; at <= 97; at += 94) {
    for (int i = 0; i < 100; i++) x[i] = i < at ? 5.0 : 4.0;
    cp = detect(x, 100, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(cp[0].index, at);
    assert_close(cp[0].change, -0.2, 1e-15);
    free(cp);
  }
}

/* Two steps 10 runs apart, both ways round, and a 10-run pulse: both edges exactly, nothing in
 * between. */
static void test_changepoint__two_steps_10_apart(void **state) {
  (void)state;
  const double levels[3][3] = {{1, 2, 3}, {3, 2, 1}, {1, 2, 1}};
  for (int v = 0; v < 3; v++) {
    double x[90];
    for (int i = 0; i < 90; i++) x[i] = levels[v][i < 40 ? 0 : i < 50 ? 1 : 2];
    size_t n;
    qb_changepoint *cp = detect(x, 90, NULL, &n);
    assert_int_equal(n, 2);
    assert_int_equal(cp[0].index, 40);
    assert_int_equal(cp[1].index, 50);
    assert_true(cp[0].before == levels[v][0] && cp[0].after == levels[v][1]);
    assert_true(cp[1].before == levels[v][1] && cp[1].after == levels[v][2]);
    free(cp);
  }
}

/* Two noisy steps 10 runs apart, each 5 to 10 noise sds (either direction, so half are pulses):
 * no change point ever lies between them, and both are found within one run, with nothing else
 * in the series, in at least 99% of 300 series. */
static void test_changepoint__two_noisy_steps_10_apart(void **state) {
  (void)state;
  int both = 0, between = 0;
  for (int s = 0; s < 300; s++) {
    rng r = rng_new(9000 + (uint64_t)s);
    int at = uniform_int(&r, 25, 65);
    double sd = log_uniform(&r, 0.005, 0.04), x[100];
    double a = (uniform01(&r) < 0.5 ? -1 : 1) * sd * (5 + 5 * uniform01(&r));
    double b = (uniform01(&r) < 0.5 ? -1 : 1) * sd * (5 + 5 * uniform01(&r));
    for (int i = 0; i < 100; i++)
      x[i] = 100 * (1 + (i >= at ? a : 0) + (i >= at + 10 ? b : 0)) * (1 + sd * normal(&r));
    size_t n;
    qb_changepoint *cp = detect(x, 100, NULL, &n);
    for (size_t i = 0; i < n; i++)
      between += cp[i].index > (size_t)at + 1 && cp[i].index + 1 < (size_t)at + 10;
    both += n == 2 && labs((long)cp[0].index - at) <= 1 && labs((long)cp[1].index - at - 10) <= 1;
    free(cp);
  }
  print_message("two steps 10 apart: both found, nothing else, in %d of 300; %d between\n", both,
                between);
  assert_int_equal(between, 0);
  assert_true(both >= 297);
}

/* Constant series, with or without a spike, and the smallest series: no change points. */
static void test_changepoint__constant_and_tiny(void **state) {
  (void)state;
  double x[200];
  for (int i = 0; i < 200; i++) x[i] = 7.25;
  for (size_t n = 0; n <= 200; n += n < 8 ? 1 : 48) {
    size_t k = 99;
    qb_changepoint *cp = detect(n ? x : NULL, n, NULL, &k);
    assert_int_equal(k, 0);
    assert_null(cp);
  }
  x[100] = 1e6; /* one spike */
  x[150] = -3;  /* and one dip */
  size_t k;
  qb_changepoint *cp = detect(x, 200, NULL, &k);
  assert_int_equal(k, 0);
  free(cp);
  /* a step needs 3 points on each side: n = 0..5 never has one */
  double y[] = {1, 1, 1, 9, 9, 9};
  for (size_t n = 0; n <= 5; n++) {
    cp = detect(y, n, NULL, &k);
    assert_int_equal(k, 0);
  }
  cp = detect(y, 6, NULL, &k);
  assert_int_equal(k, 1);
  assert_int_equal(cp[0].index, 3);
  free(cp);
}

/* NaN and infinite values, bad options and inconsistent update arguments are QB_EUSAGE. */
static void test_changepoint__rejects_bad_input(void **state) {
  (void)state;
  double x[20];
  for (int i = 0; i < 20; i++) x[i] = i < 10 ? 1 : 2;
  qb_changepoint *cp = NULL, prev[2] = {{5, 0, 1, 2, 1}, {4, 0, 1, 2, 1}};
  size_t n = 0;
  qb_err err = QB_ERR_INIT;
  x[7] = NAN;
  assert_int_equal(qb_changepoints(x, 20, NULL, &cp, &n, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "x[7] is NaN"));
  assert_null(cp);
  assert_int_equal(qb_changepoints_update(x, 20, 19, NULL, 0, NULL, &cp, &n, &err), QB_EUSAGE);
  x[7] = -INFINITY;
  assert_int_equal(qb_changepoints(x, 20, NULL, &cp, &n, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "x[7] is infinite"));
  x[7] = 1;
  qb_cp_opts o = QB_CP_OPTS_INIT;
  o.window = 2;
  assert_int_equal(qb_changepoints(x, 20, &o, &cp, &n, &err), QB_EUSAGE);
  o = (qb_cp_opts)QB_CP_OPTS_INIT;
  o.max_p = NAN;
  assert_int_equal(qb_changepoints(x, 20, &o, &cp, &n, &err), QB_EUSAGE);
  o.max_p = 1.5;
  assert_int_equal(qb_changepoints(x, 20, &o, &cp, &n, &err), QB_EUSAGE);
  o = (qb_cp_opts)QB_CP_OPTS_INIT;
  o.min_magnitude = -0.1;
  assert_int_equal(qb_changepoints(x, 20, &o, &cp, &n, &err), QB_EUSAGE);
  assert_int_equal(qb_changepoints_update(x, 20, 21, NULL, 0, NULL, &cp, &n, &err), QB_EUSAGE);
  assert_int_equal(qb_changepoints_update(x, 20, 15, prev, 2, NULL, &cp, &n, &err), QB_EUSAGE);
  assert_int_equal(qb_changepoints_update(x, 20, 5, prev, 1, NULL, &cp, &n, &err), QB_EUSAGE);
  assert_null(cp);
  assert_int_equal(n, 0);
}

/* Multiplying a series by a power of two changes no decision and no p-value, down to values near
 * the smallest doubles and up to near the largest. */
static void test_changepoint__scale_invariant(void **state) {
  (void)state;
  rng r = rng_new(77);
  double x[300], y[300];
  for (int i = 0; i < 300; i++)
    x[i] = (1 + (i >= 100) * 0.05 + (i >= 110) * 0.08 - (i >= 200) * 0.1) * (1 + 0.01 * normal(&r));
  size_t n;
  qb_changepoint *ref = detect(x, 300, NULL, &n);
  assert_int_equal(n, 3);
  const int exps[] = {-1000, -500, -30, 40, 900};
  for (int e = 0; e < 5; e++) {
    for (int i = 0; i < 300; i++) y[i] = ldexp(x[i], exps[e]);
    size_t m;
    qb_changepoint *cp = detect(y, 300, NULL, &m);
    assert_int_equal(m, n);
    for (size_t i = 0; i < n; i++) {
      assert_int_equal(cp[i].index, ref[i].index);
      assert_true(cp[i].p == ref[i].p);
      assert_true(cp[i].before == ldexp(ref[i].before, exps[e]));
      assert_true(cp[i].change == ref[i].change);
    }
    free(cp);
  }
  free(ref);
}

/* min_magnitude drops real but small changes; a window wider than the series acts as the series. */
static void test_changepoint__options(void **state) {
  (void)state;
  rng r = rng_new(5);
  double x[120];
  for (int i = 0; i < 120; i++) x[i] = 100 * (i < 60 ? 1 : 1.03) * (1 + 0.002 * normal(&r));
  qb_cp_opts o = QB_CP_OPTS_INIT;
  size_t n;
  qb_changepoint *cp = detect(x, 120, &o, &n);
  assert_int_equal(n, 1);
  assert_int_equal(cp[0].index, 60);
  free(cp);
  o.min_magnitude = 0.05;
  cp = detect(x, 120, &o, &n);
  assert_int_equal(n, 0);
  o.min_magnitude = 0.02;
  cp = detect(x, 120, &o, &n);
  assert_int_equal(n, 1);
  free(cp);
  qb_cp_opts wide = QB_CP_OPTS_INIT, exact = QB_CP_OPTS_INIT;
  wide.window = (size_t)-1;
  exact.window = 120;
  size_t n1, n2;
  qb_changepoint *c1 = detect(x, 120, &wide, &n1), *c2 = detect(x, 120, &exact, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(c1, c2, n1 * sizeof *c1);
  free(c1);
  free(c2);
}

/* A benchmark-like history with known steps: n in [100, 300), noise sd s log-uniform in
 * [0.5%, 4%] (relative), 0 to 3 steps at least 20 runs apart and 10 from the ends, in 30% of
 * the series one more step exactly 10 runs after the first, 1% of the runs slowed by 5 to 30 s
 * (single-run spikes). A step's relative size is log-uniform in [1%, 40%], either direction,
 * redrawn until it is at least 3 s: that is what counts as detectable. Fills x (300 values) and
 * the steps' positions; returns n. */
static int make_history(rng *r, double *x, int *steps, int *n_steps) {
  int n = uniform_int(r, 100, 300), k = uniform_int(r, 0, 4), m = 0;
  double sd = log_uniform(r, 0.005, 0.04), size[5];
  for (int j = 0; j < k; j++)
    for (int tries = 0; tries < 100; tries++) {
      int at = uniform_int(r, 10, n - 10), ok = 1;
      for (int i = 0; i < m; i++) ok &= abs(at - steps[i]) >= 20;
      if (ok) {
        steps[m++] = at;
        break;
      }
    }
  if (m && uniform01(r) < 0.3) {
    int at = steps[0] + 10, ok = at <= n - 10;
    for (int i = 1; i < m; i++) ok &= abs(at - steps[i]) >= 10;
    if (ok) steps[m++] = at;
  }
  for (int j = 0; j < m; j++) {
    do size[j] = log_uniform(r, 0.01, 0.4);
    while (size[j] < 3 * sd);
    if (uniform01(r) < 0.5) size[j] = -size[j];
  }
  for (int i = 0; i < n; i++) {
    double level = 100;
    for (int j = 0; j < m; j++)
      if (i >= steps[j]) level *= 1 + size[j];
    x[i] = level * (1 + sd * normal(r));
    if (uniform01(r) < 0.01) x[i] *= 1 + sd * (5 + 25 * uniform01(r));
  }
  *n_steps = m;
  return n;
}

/* Precision and recall within one run over 500 histories (make_history): a change point is a
 * true positive when a step lies within one run of it (each step counted once), else a false
 * one; recall is over all steps. */
static void test_changepoint__accuracy(void **state) {
  (void)state;
  int tp = 0, fp = 0, steps_total = 0;
  for (int s = 0; s < 500; s++) {
    rng r = rng_new(1000 + (uint64_t)s);
    double x[300];
    int steps[5], m, found[5] = {0};
    int n = make_history(&r, x, steps, &m);
    size_t k;
    qb_changepoint *cp = detect(x, (size_t)n, NULL, &k);
    for (size_t i = 0; i < k; i++) {
      int hit = -1;
      for (int j = 0; j < m; j++)
        if (labs((long)cp[i].index - steps[j]) <= 1) hit = j;
      if (hit < 0)
        fp++;
      else if (!found[hit]++)
        tp++;
    }
    steps_total += m;
    free(cp);
  }
  double precision = (double)tp / (tp + fp), recall = (double)tp / steps_total;
  print_message("accuracy: %d steps, %d found, %d false: precision %.4f, recall %.4f\n",
                steps_total, tp, fp, precision, recall);
  assert_true(precision >= 0.95);
  assert_true(recall >= 0.9);
}

/* 1000 flat series of 100 runs (noise sd 0.5% to 4%, 1% spikes of 5 to 30 sd): at most 10 false
 * change points (one per 100 series). */
static void test_changepoint__flat_series(void **state) {
  (void)state;
  size_t total = 0, series_with = 0;
  for (int s = 0; s < 1000; s++) {
    rng r = rng_new(50000 + (uint64_t)s);
    double sd = log_uniform(&r, 0.005, 0.04), x[100];
    for (int i = 0; i < 100; i++) {
      x[i] = 100 * (1 + sd * normal(&r));
      if (uniform01(&r) < 0.01) x[i] *= 1 + sd * (5 + 25 * uniform01(&r));
    }
    size_t k;
    free(detect(x, 100, NULL, &k));
    total += k;
    series_with += k > 0;
  }
  print_message("flat: %zu false change points in 1000 series of 100 runs (%zu series)\n", total,
                series_with);
  assert_true(total <= 10);
}

/* qb_changepoints_update equals qb_changepoints bit for bit: 240 seeded series (levels that step
 * often or rarely, noise, spikes, quantised values, runs of equal values; windows 3 to 42,
 * min_magnitude and max_p varied), grown from a random start one run at a time or several at a
 * time, each step checked against the full analysis. */
static void test_changepoint__update_equals_full(void **state) {
  (void)state;
  long checks = 0, with_points = 0, tails = 0, tails_all = 0;
  for (int s = 0; s < 240; s++) {
    rng r = rng_new(7000 + (uint64_t)s);
    int n = uniform_int(&r, 40, 260);
    double *x = malloc((size_t)n * sizeof *x), level = 100, sd = log_uniform(&r, 0.002, 0.06);
    double p_step = uniform01(&r) * (s % 2 ? 0.3 : 0.05);
    assert_non_null(x);
    for (int i = 0; i < n; i++) {
      if (uniform01(&r) < p_step) level *= 1 + (uniform01(&r) - 0.5) * 0.4;
      x[i] = level * (1 + sd * normal(&r));
      if (uniform01(&r) < 0.03) x[i] *= 1.4;
      if (s % 4 == 1) x[i] = floor(x[i] / 4) * 4;
      if (s % 9 == 2 && i % 23 < 8) x[i] = 100;
    }
    qb_cp_opts o = QB_CP_OPTS_INIT;
    o.window = s % 3 ? (size_t)uniform_int(&r, 3, 43) : 30;
    if (s % 5 == 1) o.min_magnitude = 0.03;
    if (s % 7 == 2) o.max_p = 0.05;
    int grow = s % 3 == 0 ? uniform_int(&r, 2, 9) : 1, m = uniform_int(&r, 0, 30);
    size_t n_prev;
    qb_changepoint *prev = detect(x, (size_t)m, &o, &n_prev);
    while (m < n) {
      int m2 = m + grow < n ? m + grow : n;
      size_t n_full, n_up;
      qb_changepoint *full = detect(x, (size_t)m2, &o, &n_full), *up = NULL;
      qb_err err = QB_ERR_INIT;
      if (qb_changepoints_update(x, (size_t)m2, (size_t)m, prev, n_prev, &o, &up, &n_up, &err))
        fail_msg("%s", err.msg);
      if (n_up != n_full || (n_full && memcmp(up, full, n_full * sizeof *up)))
        fail_msg("series %d (window %zu): update %d -> %d differs from the full analysis", s,
                 o.window, m, m2);
      /* the same from the tail only: the points below `from` replaced by values that would
       * change every result they reached (a level step, which outlier cleaning keeps) */
      size_t from = qb_changepoints_tail_start((size_t)m, &o);
      if (from) {
        double *xt = malloc((size_t)m2 * sizeof *xt);
        assert_non_null(xt);
        for (int i = 0; i < m2; i++) xt[i] = (size_t)i < from ? 3 * x[i] + 50 : x[i];
        qb_changepoint *tail = NULL;
        size_t n_tail;
        int need_all = -1;
        if (qb_changepoints_update_tail(xt, from, (size_t)m2, (size_t)m, prev, n_prev, &o, &tail,
                                        &n_tail, &need_all, &err))
          fail_msg("%s", err.msg);
        assert_true(need_all == 0 || need_all == 1);
        if (!need_all &&
            (n_tail != n_full || (n_full && memcmp(tail, full, n_full * sizeof *tail))))
          fail_msg("series %d (window %zu): tail update %d -> %d (from %zu) differs", s, o.window,
                   m, m2, from);
        if (need_all) assert_null(tail);
        tails += !need_all;
        tails_all += need_all;
        free(tail);
        free(xt);
      }
      checks++;
      with_points += n_full > 0;
      free(up);
      free(prev);
      prev = full;
      n_prev = n_full;
      m = m2;
    }
    size_t n_same; /* nothing new: the same change points */
    qb_changepoint *same = NULL;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(
        qb_changepoints_update(x, (size_t)n, (size_t)n, prev, n_prev, &o, &same, &n_same, &err),
        QB_OK);
    assert_int_equal(n_same, n_prev);
    if (n_prev) assert_memory_equal(same, prev, n_prev * sizeof *prev);
    free(same);
    free(prev);
    free(x);
  }
  print_message("update == full in %ld checks (%ld with change points); from the tail only in %ld "
                "(%ld more needed every point)\n",
                checks, with_points, tails, tails_all);
  assert_true(tails > 1000); /* the tail path was taken, and checked, often */
  assert_true(checks > 20000 && with_points > checks / 2);
}

/* The results of the Python re-implementation (gen_changepoint_ref.py), which does the same
 * floating-point operations in the same order: the same indices and means bit for bit, p within
 * 1e-6 relative (scipy's t distribution against GSL's, whose tail is up to 8e-7 off below 1e-8;
 * the script makes sure no decision is that close to its threshold). */
static void test_changepoint__matches_python_reference(void **state) {
  (void)state;
  json_t *ref = qbt_load_json(QB_TEST_DATA "/analysis/changepoint_ref.json");
  assert_non_null(ref);
  json_t *cases = json_object_get(ref, "cases"), *c;
  assert_true(json_array_size(cases) >= 20);
  size_t i, total = 0;
  double worst = 0;
  json_array_foreach(cases, i, c) {
    json_t *jx = json_object_get(c, "x"), *want = json_object_get(c, "changepoints");
    size_t n = json_array_size(jx);
    double *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t j = 0; j < n; j++) x[j] = json_number_value(json_array_get(jx, j));
    qb_cp_opts o = QB_CP_OPTS_INIT;
    o.window = (size_t)json_integer_value(json_object_get(c, "window"));
    o.max_p = json_number_value(json_object_get(c, "max_p"));
    o.min_magnitude = json_number_value(json_object_get(c, "min_magnitude"));
    size_t k;
    qb_changepoint *cp = detect(x, n, &o, &k);
    if (k != json_array_size(want))
      fail_msg("case %s: %zu change points, the reference has %zu",
               json_string_value(json_object_get(c, "name")), k, json_array_size(want));
    for (size_t j = 0; j < k; j++) {
      json_t *w = json_array_get(want, j);
      assert_int_equal(cp[j].index, json_integer_value(json_object_get(w, "index")));
      double p = json_number_value(json_object_get(w, "p"));
      assert_close(cp[j].p, p, 1e-6);
      if (p > 0) worst = fmax(worst, fabs(cp[j].p - p) / p);
      assert_true(cp[j].before == json_number_value(json_object_get(w, "before")));
      assert_true(cp[j].after == json_number_value(json_object_get(w, "after")));
    }
    total += k;
    free(cp);
    free(x);
  }
  print_message("python reference: %zu cases, %zu change points, p within %.2g relative\n",
                json_array_size(cases), total, worst);
  assert_true(total >= 20);
  json_decref(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_changepoint__clean_step),
      cmocka_unit_test(test_changepoint__two_steps_10_apart),
      cmocka_unit_test(test_changepoint__two_noisy_steps_10_apart),
      cmocka_unit_test(test_changepoint__constant_and_tiny),
      cmocka_unit_test(test_changepoint__rejects_bad_input),
      cmocka_unit_test(test_changepoint__scale_invariant),
      cmocka_unit_test(test_changepoint__options),
      cmocka_unit_test(test_changepoint__accuracy),
      cmocka_unit_test(test_changepoint__flat_series),
      cmocka_unit_test(test_changepoint__update_equals_full),
      cmocka_unit_test(test_changepoint__matches_python_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

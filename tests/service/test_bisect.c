/* tests/service/test_bisect.c - the search of `qbdb bisect` (service/bisect.c) on simulated
 * histories: commits whose level is known, measured with seeded normal noise on the log scale
 * (the model of docs/statistics.md, "Bisection"), so every outcome is a deterministic function of
 * the seed. The real command, git and the store are tested end to end by tests/cli/bisect.sh.
 *
 * Checked: the culprit of one 10% step with 3% noise over 40 commits for 100 seeds (errors at
 * most the 5% asked for), with fewer runs than the fixed-repetition search of the same error;
 * noisier commits take more runs; two steps are both reported; a commit that cannot be built is
 * skipped; a difference that is not there is "not reproduced"; a search interrupted after any
 * number of observations resumes from its stored state to the same answer with the same runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "service/bisect.h"

/* A simulated history: level[c] (log of the value at commit c), noise sd (log), and a seeded
 * generator; commits in broken[] exit 125. */
typedef struct sim {
  double level[64];
  double noise;
  uint64_t rng;
  int broken[64];
  size_t calls, stop_at; /* stop_at > 0: the stop_at-th measurement is interrupted */
} sim;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double normal(uint64_t *s) { /* Box-Muller */
  double u = ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
  double v = ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static int measure(void *ctx, size_t c, qb_bisect_obs *o, qb_err *err) {
  sim *m = ctx;
  if (m->stop_at && ++m->calls == m->stop_at)
    return qb_err_set(err, QB_EINTERRUPTED, "interrupted");
  if (m->broken[c]) {
    o->status = 125;
    o->why = strdup("exit 125");
    return QB_OK;
  }
  o->ok = 1;
  o->value = 1000 * exp(m->level[c] + m->noise * normal(&m->rng));
  o->secs = 0.5;
  return QB_OK;
}

static char *g_ids[64];

static void make_ids(void) {
  static char buf[64][41];
  for (int i = 0; i < 64; i++) {
    snprintf(buf[i], sizeof buf[i], "%040x", 0xc0de00 + i);
    g_ids[i] = buf[i];
  }
}

/* n commits, steps at[k] of pct[k] percent (levels add: 5% and 5% make 10%). */
static void sim_init(sim *m, size_t n, const size_t *at, const double *pct, size_t k, double noise,
                     uint64_t seed) {
  memset(m, 0, sizeof *m);
  double lin[64] = {0};
  for (size_t j = 0; j < k; j++)
    for (size_t c = at[j]; c < n; c++) lin[c] += pct[j] / 100;
  for (size_t c = 0; c < n; c++) m->level[c] = log1p(lin[c]);
  m->noise = noise;
  m->rng = seed * 0x2545f4914f6cdd1dULL + 7;
}

static void search(qb_bisect *b, sim *m, size_t n, int fixed) {
  qb_bisect_opts o = QB_BISECT_OPTS_INIT;
  o.fixed = fixed;
  qb_err err = QB_ERR_INIT;
  if (qb_bisect_init(b, &o, g_ids, NULL, NULL, n, &err)) fail_msg("%s", err.msg);
  if (qb_bisect_run(b, measure, m, NULL, NULL, NULL, &err)) fail_msg("%s", err.msg);
}

/* One 10% step at commit 23 of 40, 3% noise: over seeds 1..100 the sequential search names
 * (22, 23) and nothing else at least 95 times, and uses fewer runs on average than the
 * fixed-repetition search (of the same per-decision error rate) on the same seeds. */
static void test_bisect__one_step(void **state) {
  (void)state;
  size_t at = 23, wrong[2] = {0}, runs[2] = {0}, missed[2] = {0};
  double pct = 10;
  for (int fixed = 0; fixed < 2; fixed++)
    for (uint64_t seed = 1; seed <= 100; seed++) {
      sim m;
      qb_bisect b;
      sim_init(&m, 40, &at, &pct, 1, 0.03, seed);
      search(&b, &m, 40, fixed);
      int right = b.outcome == QB_BISECT_FOUND && b.n_steps == 1 && b.steps[0].before == 22 &&
                  b.steps[0].after == 23;
      int found = 0;
      for (size_t i = 0; i < b.n_steps; i++)
        found |= b.steps[i].before == 22 && b.steps[i].after == 23;
      wrong[fixed] += !right;
      if (!right && getenv("QBT_BISECT_DEBUG"))
        for (size_t i = 0; i < b.n_steps; i++)
          print_message("fixed %d seed %d: step %zu-%zu %s\n", fixed, (int)seed, b.steps[i].before,
                        b.steps[i].after, b.steps[i].confirmed ? "" : "unconfirmed");
      missed[fixed] += !found;
      runs[fixed] += qb_bisect_values(&b, NULL);
      if (seed == 1) {
        assert_true(b.change_pct > 7 && b.change_pct < 13);
        assert_true(b.p_change < b.alpha);
        assert_true(b.fixed_runs >= 1);
      }
      qb_bisect_dispose(&b);
    }
  print_message("one step: sequential %zu wrong (%zu missed), %zu runs; fixed %zu wrong (%zu "
                "missed), %zu runs (100 seeds)\n",
                wrong[0], missed[0], runs[0], wrong[1], missed[1], runs[1]);
  assert_true(wrong[0] <= 5);
  assert_true(missed[0] <= 1);
  assert_true(wrong[1] <= 5);
  assert_true(runs[0] < runs[1]);
}

/* Noisier commits (6% instead of 2%) take more runs for the same step. */
static void test_bisect__noise_costs_runs(void **state) {
  (void)state;
  size_t at = 23, runs[2] = {0};
  double pct = 10, noise[2] = {0.02, 0.06};
  for (int k = 0; k < 2; k++)
    for (uint64_t seed = 1; seed <= 20; seed++) {
      sim m;
      qb_bisect b;
      sim_init(&m, 40, &at, &pct, 1, noise[k], seed);
      search(&b, &m, 40, 0);
      runs[k] += qb_bisect_values(&b, NULL);
      qb_bisect_dispose(&b);
    }
  print_message("runs over 20 seeds: noise 2%% %zu, noise 6%% %zu\n", runs[0], runs[1]);
  assert_true(runs[1] > 2 * runs[0]);
}

/* Two steps of 5% (commits 12 and 30 of 40) with 2% noise: both reported in at least 18 of 20
 * seeds, and never a step elsewhere in more than 2. */
static void test_bisect__two_steps(void **state) {
  (void)state;
  size_t at[2] = {12, 30}, both = 0, extra = 0;
  double pct[2] = {5, 5};
  for (uint64_t seed = 1; seed <= 20; seed++) {
    sim m;
    qb_bisect b;
    sim_init(&m, 40, at, pct, 2, 0.02, seed);
    search(&b, &m, 40, 0);
    int f12 = 0, f30 = 0;
    for (size_t i = 0; i < b.n_steps; i++) {
      if (b.steps[i].before == 11 && b.steps[i].after == 12)
        f12 = 1;
      else if (b.steps[i].before == 29 && b.steps[i].after == 30)
        f30 = 1;
      else
        extra++;
    }
    both += f12 && f30;
    if (getenv("QBT_BISECT_DEBUG")) {
      for (size_t i = 0; i < b.n_steps; i++)
        print_message("seed %d step %zu-%zu\n", (int)seed, b.steps[i].before, b.steps[i].after);
      for (size_t i = 0; i < b.n_tests; i++)
        print_message("  test %zu (%zu, %zu): %s %zu\n", b.tests[i].commit, b.tests[i].good,
                      b.tests[i].bad, qb_bisect_verdict_name(b.tests[i].verdict), b.tests[i].runs);
    }
    if (seed == 1) {
      assert_int_equal(b.n_steps, 2);
      assert_true(b.steps[0].change_pct > 1 && b.steps[0].change_pct < 10);
    }
    qb_bisect_dispose(&b);
  }
  print_message("two steps: both found in %zu of 20, %zu extra steps\n", both, extra);
  assert_true(both >= 18);
  assert_true(extra <= 2);
}

/* The commit the search would test first cannot be built: skipped, and the step still found. */
static void test_bisect__skips_broken(void **state) {
  (void)state;
  size_t at = 23;
  double pct = 10;
  sim m;
  qb_bisect b;
  sim_init(&m, 40, &at, &pct, 1, 0.03, 3);
  m.broken[20] = m.broken[22] = 1; /* 20: the first pick */
  search(&b, &m, 40, 0);
  assert_int_equal(b.outcome, QB_BISECT_FOUND);
  assert_int_equal(b.n_steps, 1);
  assert_int_equal(b.steps[0].before, 21); /* 22 cannot be tested: the change is in 22 or 23 */
  assert_int_equal(b.steps[0].after, 23);
  size_t skipped = 0;
  for (size_t i = 0; i < b.n_tests; i++) skipped += b.tests[i].verdict == QB_BISECT_SKIPPED;
  assert_int_equal(skipped, 2);
  for (size_t i = 0; i < b.n_obs; i++)
    if (b.obs[i].commit == 20 || b.obs[i].commit == 22) assert_int_equal(b.obs[i].status, 125);
  qb_bisect_dispose(&b);
}

/* No difference between the ends: "not reproduced", after the calibration only; a regression
 * that is an improvement here is not reproduced either. */
static void test_bisect__not_reproduced(void **state) {
  (void)state;
  sim m;
  qb_bisect b;
  sim_init(&m, 40, NULL, NULL, 0, 0.03, 4);
  search(&b, &m, 40, 0);
  assert_int_equal(b.outcome, QB_BISECT_NOT_REPRODUCED);
  assert_int_equal(b.n_tests, 0);
  for (size_t i = 0; i < b.n_obs; i++) assert_true(b.obs[i].commit == 0 || b.obs[i].commit == 39);
  qb_bisect_dispose(&b);

  size_t at = 23;
  double pct = -10;
  sim_init(&m, 40, &at, &pct, 1, 0.03, 4);
  qb_bisect_opts o = QB_BISECT_OPTS_INIT;
  o.worse_is_higher = 1;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_bisect_init(&b, &o, g_ids, NULL, NULL, 40, &err), 0);
  assert_int_equal(qb_bisect_run(&b, measure, &m, NULL, NULL, NULL, &err), 0);
  assert_int_equal(b.outcome, QB_BISECT_NOT_REPRODUCED);
  assert_true(b.change_pct < -7);
  qb_bisect_dispose(&b);
}

/* The state a save stores (json text), as the store would hold it. */
static int save_text(void *ctx, const qb_bisect *b, qb_err *err) {
  char **text = ctx;
  json_t *j = qb_bisect_state_json(b, NULL);
  free(*text);
  *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return *text ? QB_OK : qb_err_set(err, QB_ENOMEM, "out of memory");
}

/* Interrupted at the k-th measurement (k = 1, 2, 5, a third, half, all but one, the last), then
 * resumed from the stored state (with the measurements after it continuing the same noise): the
 * same steps, the same tests and the same observations as the search that was never interrupted. */
static void test_bisect__resume(void **state) {
  (void)state;
  size_t at[2] = {12, 30};
  double pct[2] = {5, 5};
  sim m;
  qb_bisect whole;
  sim_init(&m, 40, at, pct, 2, 0.02, 9);
  search(&whole, &m, 40, 0);
  assert_int_equal(whole.n_steps, 2);
  size_t w = whole.n_obs, stops[] = {1, 2, 5, w / 3, w / 2, w - 1, w};
  for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
    char *text = NULL;
    sim_init(&m, 40, at, pct, 2, 0.02, 9);
    m.stop_at = stops[k];
    qb_bisect b;
    qb_bisect_opts o = QB_BISECT_OPTS_INIT;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_bisect_init(&b, &o, g_ids, NULL, NULL, 40, &err), 0);
    assert_int_equal(qb_bisect_run(&b, measure, &m, save_text, &text, NULL, &err), QB_EINTERRUPTED);
    assert_int_equal(b.n_obs, stops[k] - 1);
    assert_false(b.finished);
    qb_bisect_dispose(&b);
    /* resume: the generator goes on where it stopped (the interrupted measurement drew nothing) */
    m.stop_at = 0;
    json_t *st = text ? json_loads(text, 0, NULL) : NULL;
    if (stops[k] == 1) {
      assert_null(text); /* nothing was saved: a resume starts over */
      assert_int_equal(qb_bisect_init(&b, &o, g_ids, NULL, NULL, 40, &err), 0);
    } else {
      assert_non_null(st);
      if (qb_bisect_from_state(&b, st, &err)) fail_msg("%s", err.msg);
    }
    json_decref(st);
    assert_int_equal(qb_bisect_run(&b, measure, &m, save_text, &text, NULL, &err), 0);
    assert_true(b.finished);
    assert_int_equal(b.n_obs, whole.n_obs);
    for (size_t i = 0; i < b.n_obs; i++) {
      assert_int_equal(b.obs[i].commit, whole.obs[i].commit);
      assert_true(b.obs[i].value == whole.obs[i].value);
    }
    assert_int_equal(b.n_steps, whole.n_steps);
    for (size_t i = 0; i < b.n_steps; i++) {
      assert_int_equal(b.steps[i].before, whole.steps[i].before);
      assert_int_equal(b.steps[i].after, whole.steps[i].after);
    }
    assert_int_equal(b.n_tests, whole.n_tests);
    /* the final state holds the result */
    st = json_loads(text, 0, NULL);
    /* the finished state reads back whole: the result as the search left it */
    qb_bisect back;
    if (qb_bisect_from_state(&back, st, &err)) fail_msg("%s", err.msg);
    assert_true(back.finished);
    assert_int_equal(back.outcome, b.outcome);
    assert_true(back.change_pct == b.change_pct && back.alpha == b.alpha && back.sd == b.sd);
    assert_int_equal(back.n_steps, b.n_steps);
    for (size_t i = 0; i < b.n_steps; i++) {
      assert_int_equal(back.steps[i].before, b.steps[i].before);
      assert_int_equal(back.steps[i].after, b.steps[i].after);
      assert_true(back.steps[i].change_pct == b.steps[i].change_pct);
      assert_int_equal(back.steps[i].runs, b.steps[i].runs);
      assert_int_equal(back.steps[i].confirmed, b.steps[i].confirmed);
    }
    assert_int_equal(back.n_tests, b.n_tests);
    for (size_t i = 0; i < b.n_tests; i++) {
      assert_int_equal(back.tests[i].commit, b.tests[i].commit);
      assert_int_equal(back.tests[i].verdict, b.tests[i].verdict);
      assert_int_equal(back.tests[i].runs, b.tests[i].runs);
    }
    qb_bisect_dispose(&back);
    json_t *res = json_object_get(st, "result");
    assert_string_equal(json_string_value(json_object_get(res, "outcome")), "found");
    assert_int_equal(json_array_size(json_object_get(res, "steps")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(res, "steps"), 0), "after")),
                        g_ids[12]);
    json_decref(st);
    free(text);
    qb_bisect_dispose(&b);
  }
  qb_bisect_dispose(&whole);
}

/* A damaged state is refused with the field named. */
static void test_bisect__bad_state(void **state) {
  (void)state;
  qb_bisect b;
  qb_err err = QB_ERR_INIT;
  json_t *st = json_loads("{\"format\":1,\"options\":{\"error\":0.05},\"commits\":[{\"id\":\"a\"},"
                          "{\"id\":\"b\"}],\"observations\":[{\"commit\":7,\"ok\":true}]}",
                          0, NULL);
  assert_int_equal(qb_bisect_from_state(&b, st, &err), QB_EFORMAT);
  assert_string_equal(err.msg, "bisect state: observations[0].commit: out of range");
  json_decref(st);
  st = json_loads("{\"format\":1,\"options\":{\"error\":0.05},\"commits\":[{\"id\":\"a\"},"
                  "{\"id\":\"b\"}],\"observations\":[],\"result\":{\"outcome\":\"found\","
                  "\"steps\":[{\"before\":\"a\",\"after\":\"c\"}]}}",
                  0, NULL);
  assert_int_equal(qb_bisect_from_state(&b, st, &err), QB_EFORMAT);
  assert_string_equal(err.msg, "bisect state: result.steps[0]: not a commit of the range");
  json_decref(st);
  st = json_loads("{\"format\":2}", 0, NULL);
  assert_int_equal(qb_bisect_from_state(&b, st, &err), QB_EFORMAT);
  json_decref(st);
}

int main(void) {
  make_ids();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bisect__one_step),
      cmocka_unit_test(test_bisect__noise_costs_runs),
      cmocka_unit_test(test_bisect__two_steps),
      cmocka_unit_test(test_bisect__skips_broken),
      cmocka_unit_test(test_bisect__not_reproduced),
      cmocka_unit_test(test_bisect__resume),
      cmocka_unit_test(test_bisect__bad_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/api/test_compare.c - the compare service on real tool output (the changes the fixture
 * manifests describe must come out as the most severe rows, in the right direction) and on
 * constructed runs (noise band from history, settings, added/removed, Welch, A/A, errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis/ttest.h"
#include "api/compare.h"
#include "ingest/ingest.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_compare"

static int setup(void **state) {
  (void)state;
  return system("rm -rf '" TMP "' && mkdir -p '" TMP "'");
}

static qb_store *open_db(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", TMP, name);
  unlink(path);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  return s;
}

/* Ingest a file into project with a commit; returns the run id. */
static int64_t ingest(qb_store *s, const char *path, const char *project, const char *commit) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = project;
  o.commit = commit;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare(path, &o, &run, &err)) fail_msg("%s", err.msg);
  if (qb_ingest_store(s, run, &res, &err)) fail_msg("%s", err.msg);
  qb_run_free(run);
  return res.run_id;
}

static const qb_compare_row *row_of(const qb_compare *c, const char *bench, const char *metric) {
  for (size_t i = 0; i < c->n_rows; i++)
    if (!strcmp(c->rows[i].benchmark, bench) && !strcmp(c->rows[i].metric, metric))
      return &c->rows[i];
  fail_msg("no row %s %s", bench, metric);
  return NULL;
}

static qb_compare *compare(qb_store *s, const char *base, const char *head,
                           const qb_compare_opts *o) {
  qb_compare *c = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_compare_pair(s, base, head, o, &c, &err)) fail_msg("%s", err.msg);
  return c;
}

/* pytest-benchmark suite_a: run2 did 1.25x the work in test_scaled_slower (median +21.9%) and
 * 0.8x in test_scaled_faster (median -19.7%), as the manifest says; those must be the two most
 * severe rows, a regression and an improvement; every other benchmark moved less. */
static void test_compare__pytest_fixture_changes(void **state) {
  (void)state;
  qb_store *s = open_db("pytest.db");
  ingest(s, QB_TEST_DATA "/pytest/run1/benchmark.json", "py", "aaaa1111");
  ingest(s, QB_TEST_DATA "/pytest/run2/benchmark.json", "py", "bbbb2222");
  qb_compare *c = compare(s, "aaaa", "bbbb", NULL);
  assert_int_equal(c->n_rows, 9);
  const qb_compare_row *slow = row_of(c, "test_scaled_slower", "latency");
  const qb_compare_row *fast = row_of(c, "test_scaled_faster", "latency");
  assert_int_equal(slow->verdict, QB_VERDICT_REGRESSION);
  assert_int_equal(fast->verdict, QB_VERDICT_IMPROVEMENT);
  assert_int_equal(slow->severity, QB_SEV_MAJOR);
  assert_int_equal(fast->severity, QB_SEV_MAJOR);
  assert_string_equal(slow->test, "mann-whitney-u");
  /* the change is the relative change of the medians pytest-benchmark wrote */
  json_t *m = qbt_load_json(QB_TEST_DATA "/pytest/manifest.json");
  double med[2][2];
  for (int r = 0; r < 2; r++) {
    json_t *benches =
        json_object_get(json_array_get(json_object_get(m, "runs"), (size_t)r), "benchmarks");
    size_t i;
    json_t *b;
    json_array_foreach(benches, i, b) {
      const char *name = json_string_value(json_object_get(b, "name"));
      double v = json_real_value(json_object_get(json_object_get(b, "stats"), "median"));
      if (!strcmp(name, "test_scaled_slower")) med[r][0] = v;
      if (!strcmp(name, "test_scaled_faster")) med[r][1] = v;
    }
  }
  json_decref(m);
  assert_close(slow->change_pct, (med[1][0] / med[0][0] - 1) * 100, 1e-9);
  assert_close(fast->change_pct, (med[1][1] / med[0][1] - 1) * 100, 1e-9);
  assert_true(slow->change_pct > 21.0 && slow->change_pct < 23.0);
  assert_true(fast->change_pct < -19.0 && fast->change_pct > -21.0);
  /* nothing else is as severe, and sorting by severity puts the regression first */
  for (size_t i = 0; i < c->n_rows; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (r == slow || r == fast) continue;
    assert_true(r->severity < QB_SEV_MAJOR);
    assert_true(fabs(r->change_pct) < 12.0);
  }
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_compare_sort(c, "severity", &err), QB_OK);
  assert_string_equal(c->rows[0].benchmark, "test_scaled_slower");
  assert_int_equal(c->worst_regression, QB_SEV_MAJOR);
  assert_int_equal(c->n_tests, 9);
  qb_compare_free(c);
  qb_store_close(s);
}

/* Criterion suite_a: run2b (compared with --baseline against run1) made `spin 10k` do 1.3x the
 * work; criterion printed +29.388% for the mean. It must be the worst regression. */
static void test_compare__criterion_fixture_changes(void **state) {
  (void)state;
  qb_store *s = open_db("criterion.db");
  ingest(s, QB_TEST_DATA "/criterion/run1/target/criterion", "rs", "aaaa1111");
  ingest(s, QB_TEST_DATA "/criterion/run2b_compare_baseline/target/criterion", "rs", "bbbb2222");
  qb_compare *c = compare(s, "aaaa", "bbbb", NULL);
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_compare_sort(c, "severity", &err), QB_OK);
  assert_string_equal(c->rows[0].benchmark, "spin 10k");
  assert_int_equal(c->rows[0].verdict, QB_VERDICT_REGRESSION);
  assert_int_equal(c->rows[0].severity, QB_SEV_CRITICAL);
  assert_true(c->rows[0].change_pct > 25.0);
  assert_true(c->rows[0].exact); /* 20 vs 20 samples without ties: exact MWU */
  for (size_t i = 1; i < c->n_rows; i++) assert_true(c->rows[i].severity < QB_SEV_CRITICAL);
  /* the throughput row of the Bytes benchmark is compared in its own direction */
  const qb_compare_row *t = row_of(c, "checksum/fnv1a/65536", "throughput");
  assert_true(t->higher_is_better);
  const qb_compare_row *l = row_of(c, "checksum/fnv1a/65536", "latency");
  assert_true(t->change_pct * l->change_pct < 0);
  qb_compare_free(c);
  qb_store_close(s);
}

/* Build a run of one project/branch with benchmarks whose latency samples are
 * centre * (1 + spread * u), u uniform in [-1, 1) from a fixed generator. */
static uint64_t rng_state = 42;
static double uniform_pm1(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

static int64_t add_run(qb_store *s, const char *project, int64_t started, const char *const *names,
                       const double *centres, size_t n_bench, size_t n_samples, double spread) {
  qb_err err = QB_ERR_INIT;
  qb_run *r = qb_run_new();
  qb_run_set_str(&r->project, project, &err);
  qb_run_set_str(&r->branch, "main", &err);
  qb_run_set_str(&r->machine, "m", &err);
  qb_run_set_str(&r->format, "native", &err);
  r->started_at = started;
  snprintf(r->content_hash, sizeof r->content_hash, "%064lld", (long long)started);
  for (size_t i = 0; i < n_bench; i++) {
    qb_bench *b;
    qb_result *res;
    assert_int_equal(qb_run_add_bench(r, names[i], NULL, &b, &err), QB_OK);
    assert_int_equal(qb_bench_add_result(b, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err),
                     QB_OK);
    double *v = malloc(n_samples * sizeof *v);
    for (size_t k = 0; k < n_samples; k++) v[k] = centres[i] * (1 + spread * uniform_pm1());
    qb_result_take_samples(res, v, NULL, n_samples);
  }
  assert_int_equal(qb_ingest_finish("mem", r, NULL, &err), QB_OK);
  int64_t id;
  assert_int_equal(qb_store_insert_run(s, r, &id, &err), QB_OK);
  qb_run_free(r);
  return id;
}

/* A 4% slowdown with tight samples is a minor regression without history; after earlier runs
 * whose centres wander by ~5%, the run-to-run noise band swallows it. */
static void test_compare__noise_band_from_history(void **state) {
  (void)state;
  const char *names[] = {"steady", "wobbly"};
  char base[24], head[24];
  for (int with_history = 0; with_history < 2; with_history++) {
    qb_store *s = open_db(with_history ? "noise_hist.db" : "noise.db");
    int64_t t = 1000;
    if (with_history) {
      const double wander[] = {1.00, 1.06, 0.95, 1.04, 0.97, 1.05, 0.96, 1.03};
      for (int k = 0; k < 8; k++) {
        double centres[2] = {100.0, 100.0 * wander[k]};
        add_run(s, "p", t++, names, centres, 2, 50, 0.002);
      }
    }
    double c0[2] = {100.0, 100.0}, c1[2] = {100.0, 104.0};
    snprintf(base, sizeof base, "%lld", (long long)add_run(s, "p", t++, names, c0, 2, 50, 0.002));
    snprintf(head, sizeof head, "%lld", (long long)add_run(s, "p", t++, names, c1, 2, 50, 0.002));
    qb_compare *c = compare(s, base, head, NULL);
    const qb_compare_row *w = row_of(c, "wobbly", "latency");
    assert_true(w->p_adjusted < 1e-6);
    assert_true(w->change_pct > 3.5 && w->change_pct < 4.5);
    if (!with_history) {
      assert_true(isnan(w->noise_pct));
      assert_int_equal(w->verdict, QB_VERDICT_REGRESSION);
      assert_int_equal(w->severity, QB_SEV_MINOR);
    } else {
      assert_int_equal(w->history_runs, 8);
      assert_true(w->noise_pct > 4.5); /* the wander above: MAD-based band well over 4% */
      assert_close(w->threshold_pct, w->noise_pct, 0);
      assert_int_equal(w->verdict, QB_VERDICT_UNCHANGED);
      assert_int_equal(w->severity, QB_SEV_NONE);
      /* the steady series has history too, and stays unchanged */
      const qb_compare_row *st = row_of(c, "steady", "latency");
      assert_int_equal(st->verdict, QB_VERDICT_UNCHANGED);
    }
    qb_compare_free(c);
    qb_store_close(s);
  }
}

static void test_compare__added_removed_and_settings(void **state) {
  (void)state;
  qb_store *s = open_db("addrem.db");
  const char *a[] = {"old", "both"}, *b[] = {"both", "new"};
  double c0[2] = {100, 100}, c1[2] = {112, 112};
  add_run(s, "p", 1, a, c0, 2, 30, 0.001);
  add_run(s, "p", 2, b, c1, 2, 30, 0.001);
  qb_compare *c = compare(s, "main~1", "main@latest", NULL);
  assert_int_equal(c->n_rows, 3);
  assert_int_equal(row_of(c, "new", "latency")->verdict, QB_VERDICT_ADDED);
  assert_int_equal(row_of(c, "old", "latency")->verdict, QB_VERDICT_REMOVED);
  const qb_compare_row *both = row_of(c, "both", "latency");
  assert_int_equal(both->verdict, QB_VERDICT_REGRESSION);
  assert_int_equal(both->severity, QB_SEV_MAJOR);
  assert_int_equal(c->added, 1);
  assert_int_equal(c->removed, 1);
  qb_compare_free(c);
  /* settings: a project-wide threshold of 15% hides the 12% change; a glob for "b*" with its
   * own boundaries brings it back as critical */
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_setting_set(s, "p", "", "threshold", 15, NULL, &err), QB_OK);
  c = compare(s, "main~1", "main@latest", NULL);
  assert_int_equal(row_of(c, "both", "latency")->verdict, QB_VERDICT_UNCHANGED);
  qb_compare_free(c);
  assert_int_equal(qb_store_setting_set(s, "p", "b*", "threshold", 2, NULL, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(s, "", "", "critical", 11, NULL, &err), QB_OK);
  c = compare(s, "main~1", "main@latest", NULL);
  assert_int_equal(row_of(c, "both", "latency")->severity, QB_SEV_CRITICAL);
  qb_compare_free(c);
  /* a flag beats every setting */
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  o.threshold = 20;
  c = compare(s, "main~1", "main@latest", &o);
  assert_int_equal(row_of(c, "both", "latency")->verdict, QB_VERDICT_UNCHANGED);
  qb_compare_free(c);
  assert_int_equal(qb_compare_setting_check("alpha", 1.5, &err), QB_EUSAGE);
  assert_int_equal(qb_compare_setting_check("bogus", 1, &err), QB_EUSAGE);
  qb_store_close(s);
}

/* 2 vs 2 samples: the smallest possible two-sided p is 2/6, so the row says so plainly. */
static void test_compare__too_few_samples(void **state) {
  (void)state;
  qb_store *s = open_db("few.db");
  const char *n[] = {"x"};
  double c0[1] = {100}, c1[1] = {200};
  add_run(s, "p", 1, n, c0, 1, 2, 0.01);
  add_run(s, "p", 2, n, c1, 1, 2, 0.01);
  qb_compare *c = compare(s, "main~1", "main~0", NULL);
  const qb_compare_row *r = row_of(c, "x", "latency");
  assert_true(r->exact);
  assert_close(r->p_value, 1.0 / 3.0, 1e-12);
  assert_int_equal(r->verdict, QB_VERDICT_UNCHANGED);
  assert_non_null(r->note);
  assert_non_null(strstr(r->note, "too few samples"));
  qb_compare_free(c);
  qb_store_close(s);
}

/* Summary statistics only (pytest-benchmark without --benchmark-save-data): Welch's t-test. */
static void test_compare__welch_without_samples(void **state) {
  (void)state;
  qb_store *s = open_db("welch.db");
  const char *doc[2] = {
      "{\"format\":\"qbdb-native\",\"version\":1,\"started_at\":\"2026-01-01T00:00:00Z\"}\n"
      "{\"name\":\"w\",\"unit\":\"ns\",\"stats\":{\"n\":20,\"mean\":100,\"stddev\":5,"
      "\"median\":99}}\n",
      "{\"format\":\"qbdb-native\",\"version\":1,\"started_at\":\"2026-01-02T00:00:00Z\"}\n"
      "{\"name\":\"w\",\"unit\":\"ns\",\"stats\":{\"n\":25,\"mean\":110,\"stddev\":6,"
      "\"median\":108}}\n"};
  for (int i = 0; i < 2; i++) {
    qb_run *run;
    qb_ingest_result res;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(qb_ingest_prepare_bytes("w.jsonl", doc[i], strlen(doc[i]), NULL, &run, &err),
                     QB_OK);
    assert_int_equal(qb_ingest_store(s, run, &res, &err), QB_OK);
    qb_run_free(run);
  }
  qb_compare *c = compare(s, "main~1", "main@latest", NULL);
  const qb_compare_row *r = row_of(c, "w", "latency");
  assert_string_equal(r->test, "welch-t");
  qb_welch_result w;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_welch(20, 100, 5, 25, 110, 6, &w, &err), QB_OK);
  assert_close(r->p_value, w.p, 0);
  assert_close(r->change_pct, (108.0 / 99.0 - 1) * 100, 1e-12); /* medians when known */
  assert_int_equal(r->verdict, QB_VERDICT_REGRESSION);
  qb_compare_free(c);
  qb_store_close(s);
}

/* A/A: 400 benchmarks whose two runs draw from the same distribution. About alpha of them get
 * p <= 0.05 (binomial(400, 0.05): mean 20, sd 4.4; we allow up to 36, over 3.5 sd), and
 * after Benjamini-Hochberg no more than before (in practice none). */
static void test_compare__a_a_false_alarms(void **state) {
  (void)state;
  enum { N = 400 };
  qb_store *s = open_db("aa.db");
  static char names_buf[N][16];
  const char *names[N];
  double centres[N];
  for (int i = 0; i < N; i++) {
    snprintf(names_buf[i], sizeof names_buf[i], "b%03d", i);
    names[i] = names_buf[i];
    centres[i] = 100.0 + i;
  }
  rng_state = 7;
  add_run(s, "p", 1, names, centres, N, 30, 0.05);
  add_run(s, "p", 2, names, centres, N, 30, 0.05);
  qb_compare *c = compare(s, "main~1", "main~0", NULL);
  int raw = 0, adj = 0;
  for (size_t i = 0; i < c->n_rows; i++) {
    raw += c->rows[i].p_value <= 0.05;
    adj += c->rows[i].significant;
  }
  fprintf(stderr, "A/A: %d of %d raw p <= 0.05, %d after BH\n", raw, N, adj);
  assert_true(raw >= 5 && raw <= 36);
  assert_true(adj <= raw);
  assert_int_equal(c->regressions + c->improvements, (size_t)adj);
  qb_compare_free(c);
  qb_store_close(s);
}

static void test_compare__errors(void **state) {
  (void)state;
  qb_store *s = open_db("errors.db");
  const char *n[] = {"x"};
  double c0[1] = {100};
  add_run(s, "p", 1, n, c0, 1, 5, 0.01);
  add_run(s, "q", 2, n, c0, 1, 5, 0.01);
  qb_compare *c = NULL;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_compare_pair(s, "1", "2", NULL, &c, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "different projects"));
  assert_null(c);
  assert_int_equal(qb_compare_pair(s, "1", "99", NULL, &c, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "'99'"));
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  o.metric = "memory";
  assert_int_equal(qb_compare_pair(s, "1", "1", &o, &c, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "metric 'memory' is not in run 1 (it has: latency)"));
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compare__pytest_fixture_changes),
      cmocka_unit_test(test_compare__criterion_fixture_changes),
      cmocka_unit_test(test_compare__noise_band_from_history),
      cmocka_unit_test(test_compare__added_removed_and_settings),
      cmocka_unit_test(test_compare__too_few_samples),
      cmocka_unit_test(test_compare__welch_without_samples),
      cmocka_unit_test(test_compare__a_a_false_alarms),
      cmocka_unit_test(test_compare__errors),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

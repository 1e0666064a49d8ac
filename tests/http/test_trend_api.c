/* tests/http/test_trend_api.c - what the web page's trend, run and compare views read, against a
 * real server on 127.0.0.1 over a database of real files: the pytest-benchmark runs of
 * tests/data/pytest (raw samples, no CI) and the 12-run history of tests/data/history/gen_runs.sh
 * (a +20% step at run 9). GET /trend's per-point intervals, segment noise band, overlays and
 * repo_url; GET /runs/{id}'s computed CIs (ci_source); GET /samples (200, 404, 400, 401); GET
 * /compare's "pm". Expected values come from tests/data/analysis/interval_ref.json (scipy, made by
 * `/usr/bin/python3 tests/data/analysis/gen_interval_ref.py`). On SQLite and (as
 * http_test_trend_api_pg) PostgreSQL. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "http/server.h"
#include "ingest/ingest.h"
#include "service/auth.h"
#include "service/history.h"
#include "core/buf.h"
#include "tests/dbutil.h"
#include "tests/http_client.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_trend"

static struct {
  qb_server *open, *closed; /* public reads; reads need a token */
  unsigned short port, closed_port;
  char db[600], tok[QB_TOKEN_MAX];
  json_t *ref; /* interval_ref.json */
} F;

/* GET path on the public server, expecting status; the answer's JSON (the caller decrefs). */
static json_t *get_json(const char *path, long status) {
  long got;
  json_t *v = qbt_get_json(F.port, path, NULL, &got);
  if (got != status) {
    char *t = json_dumps(v, JSON_COMPACT);
    fail_msg("GET %s: %ld (expected %ld) %s", path, got, status, t ? t : "");
  }
  return v;
}

/* Ingest a file as `qbdb ingest` does, with its history step. */
static void ingest(qb_store *s, const char *path, const char *project, const char *commit) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = project;
  o.commit = commit;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare(path, &o, &run, &err) || qb_ingest_store(s, run, &res, &err))
    fail_msg("%s: %s", path, err.msg);
  qb_run_free(run);
  qb_after_ingest after = {0};
  if (qb_after_ingest_run(s, res.run_id, &after, &err)) fail_msg("%s", err.msg);
  qb_after_ingest_dispose(&after);
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "/history' && bash '" QB_TEST_DATA
             "/history/gen_runs.sh' '" TMP "/history'"))
    return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  F.ref = qbt_load_json(QB_TEST_DATA "/analysis/interval_ref.json");
  if (!F.ref) return -1;
  if (qbt_db_with_token(TMP, "trend.db", "reader", "hist", F.db, sizeof F.db, F.tok)) return -1;
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, F.db, 0, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  /* runs 1..12: the history (project hist); 13, 14: pytest (project py) */
  for (int r = 1; r <= 12; r++) {
    char path[600];
    snprintf(path, sizeof path, "%s/history/run%02d.jsonl", TMP, r);
    ingest(s, path, NULL, NULL);
  }
  ingest(s, QB_TEST_DATA "/pytest/run1/benchmark.json", "py", "aaaa1111");
  ingest(s, QB_TEST_DATA "/pytest/run2/benchmark.json", "py", "bbbb2222");
  if (qb_store_setting_set(s, "hist", "", "repo_url", 0, "https://github.com/o/r", &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  qb_server_opts o = {.db = F.db, .host = "127.0.0.1", .threads = 2, .public_read = 1};
  if (qbt_serve(&o, &F.open, &F.port)) return -1;
  o.public_read = 0;
  if (qbt_serve(&o, &F.closed, &F.closed_port)) return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.open);
  qb_server_stop(F.closed);
  json_decref(F.ref);
  curl_global_cleanup();
  return 0;
}

/* The reference case called name. */
static json_t *ref_case(const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(F.ref, "cases"), i, c) {
    if (!strcmp(json_string_value(json_object_get(c, "name")), name)) return c;
  }
  fail_msg("no reference case %s", name);
  return NULL;
}

static double num(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_number(v)) fail_msg("%s: not a number", key);
  return json_number_value(v);
}

/* The history's step: each point's CI from its 40 samples (the median's order statistics, bit
 * for bit the samples scipy's binomial ranks pick), the last segment's band (the compare noise
 * model, scipy's t), the overlays and the repo_url. */
static void test_trend_api__trend_history(void **state) {
  (void)state;
  json_t *t = get_json("/api/v1/trend?project=hist&benchmark=step", 200);
  json_t *pts = json_object_get(t, "points");
  assert_int_equal(json_array_size(pts), 12);
  json_t *p0 = json_array_get(pts, 0), *c = ref_case("history/run01/step");
  assert_string_equal(json_string_value(json_object_get(p0, "interval")), "ci-samples");
  assert_true(num(p0, "lo") == num(c, "median_lo"));
  assert_true(num(p0, "hi") == num(c, "median_hi"));
  assert_true(json_is_null(json_object_get(p0, "ci_low"))); /* the tool's: none */
  json_t *seg = json_object_get(t, "segment"), *want = json_object_get(F.ref, "segment");
  json_t *vals = json_object_get(want, "values");
  for (size_t i = 0; i < 12; i++) /* the points are the runs' medians, as numpy computes them */
    assert_true(num(json_array_get(pts, i), "value") == json_number_value(json_array_get(vals, i)));
  assert_int_equal(json_integer_value(json_object_get(
                       json_array_get(json_object_get(t, "change_points"), 0), "run_id")),
                   9);
  assert_int_equal(json_integer_value(json_object_get(seg, "from_run_id")), 9);
  assert_int_equal(json_integer_value(json_object_get(seg, "from_index")), 8);
  assert_int_equal(json_integer_value(json_object_get(seg, "runs")), 4);
  assert_true(num(seg, "centre") == num(want, "centre"));
  qbt_check_rel(num(seg, "noise_pct"), num(want, "noise_pct"), 1e-9, "noise_pct");
  qbt_check_rel(num(seg, "low"), num(want, "low"), 1e-12, "low");
  qbt_check_rel(num(seg, "high"), num(want, "high"), 1e-12, "high");
  assert_true(json_is_true(json_object_get(seg, "noise_known")));
  assert_int_equal(json_integer_value(json_object_get(seg, "history_runs")), 12);
  assert_string_equal(json_string_value(json_array_get(json_object_get(t, "branches"), 0)), "main");
  assert_int_equal(json_array_size(json_object_get(t, "branches")), 1);
  assert_string_equal(json_string_value(json_array_get(json_object_get(t, "machines"), 0)), "m1");
  assert_string_equal(json_string_value(json_object_get(t, "repo_url")), "https://github.com/o/r");
  json_decref(t);
}

/* pytest: test_sum_squares[10] has a CI from its samples in both runs; test_very_slow has 5
 * rounds, too few for a 95% CI of a median: the range. No repo_url set for py: null. */
static void test_trend_api__trend_pytest(void **state) {
  (void)state;
  static const struct {
    const char *bench, *kind, *ref[2];
  } cases[] = {
      {"test_sum_squares%5B10%5D",
       "ci-samples",
       {"pytest/run1/test_sum_squares[10]", "pytest/run2/test_sum_squares[10]"}},
      {"test_very_slow", "min-max", {"pytest/run1/test_very_slow", "pytest/run2/test_very_slow"}},
  };
  for (size_t k = 0; k < 2; k++) {
    char path[256];
    snprintf(path, sizeof path, "/api/v1/trend?project=py&benchmark=%s", cases[k].bench);
    json_t *t = get_json(path, 200);
    json_t *pts = json_object_get(t, "points");
    assert_int_equal(json_array_size(pts), 2);
    for (size_t i = 0; i < 2; i++) {
      json_t *p = json_array_get(pts, i), *c = ref_case(cases[k].ref[i]);
      int ci = !strcmp(cases[k].kind, "ci-samples");
      assert_string_equal(json_string_value(json_object_get(p, "interval")), cases[k].kind);
      if (num(p, "lo") != num(c, ci ? "median_lo" : "min") ||
          num(p, "hi") != num(c, ci ? "median_hi" : "max"))
        fail_msg("%s point %zu: [%.17g, %.17g]", cases[k].ref[i], i, num(p, "lo"), num(p, "hi"));
    }
    /* two points, one difference: no noise estimate, a band of nulls */
    json_t *seg = json_object_get(t, "segment");
    assert_true(json_is_false(json_object_get(seg, "noise_known")));
    assert_true(json_is_null(json_object_get(seg, "noise_pct")));
    assert_true(json_is_null(json_object_get(t, "repo_url")));
    json_decref(t);
  }
}

/* GET /runs/{id}: the pytest run's results get the samples' CI, marked; the history's too; and
 * the project's repo_url. */
static void test_trend_api__run_ci(void **state) {
  (void)state;
  json_t *run = get_json("/api/v1/runs/14", 200);
  assert_true(json_is_null(json_object_get(run, "repo_url")));
  json_t *b = NULL, *x;
  size_t i;
  json_array_foreach(json_object_get(run, "benchmarks"), i, x) {
    if (!strcmp(json_string_value(json_object_get(x, "name")), "test_sum_squares[10]")) b = x;
  }
  assert_non_null(b);
  json_t *r = json_array_get(json_object_get(b, "results"), 0),
         *c = ref_case("pytest/run2/test_sum_squares[10]");
  assert_string_equal(json_string_value(json_object_get(r, "ci_source")), "samples");
  assert_true(num(r, "ci_lo") == num(c, "median_lo") && num(r, "ci_hi") == num(c, "median_hi"));
  assert_null(json_object_get(r, "samples")); /* the values are not in the answer */
  json_decref(run);
  run = get_json("/api/v1/runs/1", 200);
  assert_string_equal(json_string_value(json_object_get(run, "repo_url")),
                      "https://github.com/o/r");
  json_decref(run);
}

/* GET /samples: the raw samples of one result, their summary, bounded; 404, 400 and 401. */
static void test_trend_api__samples(void **state) {
  (void)state;
  json_t *s = get_json("/api/v1/samples?project=py&run=bbbb&benchmark=test_very_slow", 200);
  json_t *c = ref_case("pytest/run2/test_very_slow");
  assert_int_equal(json_integer_value(json_object_get(s, "run_id")), 14);
  assert_string_equal(json_string_value(json_object_get(s, "metric")), "latency");
  assert_string_equal(json_string_value(json_object_get(s, "unit")), "ns");
  assert_int_equal(json_integer_value(json_object_get(s, "n")), 5);
  assert_true(json_is_false(json_object_get(s, "truncated")));
  json_t *got = json_object_get(s, "samples"), *x = json_object_get(c, "x");
  assert_int_equal(json_array_size(got), 5);
  for (size_t i = 0; i < 5; i++) /* as stored, in the order pytest-benchmark measured them */
    assert_true(json_number_value(json_array_get(got, i)) ==
                json_number_value(json_array_get(x, i)));
  json_t *sum = json_object_get(s, "summary");
  assert_true(num(sum, "min") == num(c, "min") && num(sum, "max") == num(c, "max"));
  assert_string_equal(json_string_value(json_object_get(sum, "source")), "samples");
  assert_string_equal(json_string_value(json_object_get(s, "interval")), "min-max");
  json_decref(s);
  /* a run reference by branch, the metric named; the step's first run by id */
  s = get_json("/api/v1/samples?project=hist&run=main~11&benchmark=step&metric=latency", 200);
  c = ref_case("history/run01/step");
  assert_int_equal(json_integer_value(json_object_get(s, "run_id")), 1);
  assert_int_equal(json_array_size(json_object_get(s, "samples")), 40);
  assert_true(num(s, "lo") == num(c, "median_lo") && num(s, "hi") == num(c, "median_hi"));
  json_decref(s);
  static const struct {
    const char *query;
    long status;
    const char *message;
  } bad[] = {
      {"project=hist&run=1&benchmark=nosuch", 404, "run 1 has no benchmark 'nosuch'"},
      {"project=hist&run=1&benchmark=step&metric=throughput", 404,
       "benchmark 'step' of run 1 has no metric 'throughput'"},
      {"project=hist&run=99&benchmark=step", 404,
       "run reference '99': no run with that id, commit prefix or BRANCH@latest"},
      {"project=py&run=1&benchmark=step", 404,
       "run reference '1': no run with that id, commit prefix or BRANCH@latest"},
      {"project=hist&run=main~x&benchmark=step", 400,
       "run reference 'main~x': expected BRANCH~N (N >= 0)"},
      {"project=hist&run=main@first&benchmark=step", 400,
       "run reference 'main@first': expected BRANCH@latest"},
      {"project=hist&benchmark=step", 400,
       "samples needs run (a run id, BRANCH@latest, BRANCH~N or a commit prefix)"},
      {"run=1&benchmark=step", 400, "samples needs project (a project name)"},
      {"project=hist&run=1", 400, "samples needs benchmark (a benchmark name)"},
      {"project=&run=1&benchmark=step", 400, "project: empty"},
      {"project=hist&run=1&benchmark=step&metric=", 400, "metric: empty"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "/api/v1/samples?%s", bad[i].query);
    json_t *e = get_json(path, bad[i].status);
    const char *msg = json_string_value(json_object_get(json_object_get(e, "error"), "message"));
    if (!msg || strcmp(msg, bad[i].message)) fail_msg("%s: %s", path, msg ? msg : "(none)");
    json_decref(e);
  }
  /* reads need a token on a server without public reads */
  qbt_answer a;
  qbt_http(F.closed_port, "GET", "/api/v1/samples?project=hist&run=1&benchmark=step", NULL, NULL,
           NULL, 0, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.closed_port, "GET", "/api/v1/samples?project=hist&run=1&benchmark=step", F.tok, NULL,
           NULL, 0, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  /* described in the OpenAPI answer, generated from the route table */
  json_t *api = get_json("/api/v1/openapi.json", 200);
  assert_non_null(
      json_object_get(json_object_get(json_object_get(api, "paths"), "/api/v1/samples"), "get"));
  json_decref(api);
}

/* GET /compare: each side's "pm" is the "±" the text table prints (view/compare.c), in percent:
 * max(centre - ci_low, ci_high - centre) / centre * 100. */
static void test_trend_api__compare_pm(void **state) {
  (void)state;
  json_t *c = get_json("/api/v1/compare?project=py&base=aaaa&head=bbbb", 200), *row;
  size_t i, checked = 0;
  json_array_foreach(json_object_get(c, "rows"), i, row) {
    for (int s = 0; s < 2; s++) {
      json_t *side = json_object_get(row, s ? "head" : "base");
      if (json_is_null(json_object_get(side, "ci_low"))) { /* test_very_slow: 5 rounds, no CI */
        assert_true(json_is_null(json_object_get(side, "pm")));
        continue;
      }
      double centre = num(side, "centre"), lo = num(side, "ci_low"), hi = num(side, "ci_high");
      double want = fmax(centre - lo, hi - centre) / fabs(centre) * 100.0;
      qbt_check_rel(num(side, "pm"), want, 1e-12, "pm");
      checked++;
    }
  }
  assert_int_equal(checked, 16); /* 9 benchmarks, both sides, but test_very_slow's */
  json_decref(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trend_api__trend_history),
      cmocka_unit_test(test_trend_api__trend_pytest),
      cmocka_unit_test(test_trend_api__run_ci),
      cmocka_unit_test(test_trend_api__samples),
      cmocka_unit_test(test_trend_api__compare_pm),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

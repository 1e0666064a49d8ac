/* tests/http/test_dashboard.c - GET /api/v1/dashboard against a real server on 127.0.0.1 with a
 * real libcurl client, on the 12-run history of tests/data/history uploaded with POST /runs (the
 * history step of each upload records the step at run 9): the answer's shape, its objects equal
 * to what GET /runs, GET /runs/{id}/grade and GET /regressions answer for the same things, the
 * series and their sparklines, bad arguments (400), an unknown branch or project (404), and
 * reads needing a token on a server without --public-read. On SQLite and (as
 * http_test_dashboard_pg) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "adapters/json_out.h"
#include "core/buf.h"
#include "http/server.h"
#include "service/auth.h"
#include "tests/dbutil.h"
#include "tests/http_client.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/http_dashboard"

static struct {
  qb_server *srv;
  unsigned short port;
  char tok[QB_TOKEN_MAX];
} F;

/* GET path with the token: its status must be status; its JSON (the caller decrefs). */
static json_t *get(const char *path, long status) {
  long got;
  json_t *v = qbt_get_json(F.port, path, F.tok, &got);
  if (got != status) {
    char *t = json_dumps(v, JSON_COMPACT);
    fail_msg("%s: %ld %s", path, got, t ? t : "");
  }
  return v;
}

/* The error message of an error answer to GET path (status), compared with want. */
static void error_is(const char *path, long status, const char *code, const char *want) {
  json_t *v = get(path, status);
  json_t *e = json_object_get(v, "error");
  assert_string_equal(json_string_value(json_object_get(e, "code")), code);
  assert_string_equal(json_string_value(json_object_get(e, "message")), want);
  json_decref(v);
}

/* 1 when a and b are the same JSON, compared as compact text. */
static void same_json(const json_t *a, const json_t *b, const char *what) {
  char *ta = qb_json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS),
       *tb = qb_json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
  if (!ta || !tb || strcmp(ta, tb)) fail_msg("%s differs:\n%s\n%s", what, ta, tb);
  free(ta);
  free(tb);
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "/history' && bash '" QB_TEST_DATA
             "/history/gen_runs.sh' '" TMP "/history'"))
    return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  char db[600];
  if (qbt_db_with_token(TMP, "dash.db", "ci", "hist", db, sizeof db, F.tok)) return -1;
  qb_server_opts o = {.db = db, .host = "127.0.0.1", .threads = 2, .max_body = 1 << 20};
  if (qbt_serve(&o, &F.srv, &F.port)) return -1;
  qb_err err = QB_ERR_INIT;
  for (int r = 1; r <= 12; r++) {
    char path[512], *data;
    size_t len;
    snprintf(path, sizeof path, TMP "/history/run%02d.jsonl", r);
    if (qb_file_read(path, 1 << 24, &data, &len, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return -1;
    }
    qbt_answer a;
    qbt_http(F.port, "POST", "/api/v1/runs", F.tok, NULL, data, len, &a);
    free(data);
    if (a.status != 201) {
      fprintf(stderr, "upload %d: %ld %s\n", r, a.status, a.body.data ? a.body.data : "");
      return -1;
    }
    qb_buf_dispose(&a.body);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  curl_global_cleanup();
  return 0;
}

static void test_dashboard__answer(void **state) {
  (void)state;
  json_t *d = get("/api/v1/dashboard?project=hist", 200);
  static const char *const keys[] = {"project", "branch", "repo_url",    "n_runs", "latest_run",
                                     "grade",   "grades", "regressions", "runs",   "series"};
  assert_int_equal(json_object_size(d), sizeof keys / sizeof keys[0]);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (!json_object_get(d, keys[i])) fail_msg("no key %s", keys[i]);
  assert_string_equal(json_string_value(json_object_get(d, "project")), "hist");
  assert_string_equal(json_string_value(json_object_get(d, "branch")), "main");
  assert_true(json_is_null(json_object_get(d, "repo_url")));
  assert_int_equal(json_integer_value(json_object_get(d, "n_runs")), 12);
  /* the same objects as the other read routes give */
  json_t *runs = get("/api/v1/runs?project=hist&branch=main&limit=10", 200);
  same_json(json_object_get(d, "runs"), json_object_get(runs, "runs"), "runs");
  same_json(json_object_get(d, "latest_run"), json_array_get(json_object_get(runs, "runs"), 0),
            "latest_run");
  json_decref(runs);
  json_t *grade = get("/api/v1/runs/12/grade", 200);
  same_json(json_object_get(d, "grade"), grade, "grade");
  json_decref(grade);
  json_t *regs = get("/api/v1/regressions?project=hist", 200);
  json_t *reg = json_object_get(d, "regressions");
  same_json(json_object_get(reg, "newest"), regs, "regressions.newest");
  assert_int_equal(json_array_size(regs), 2);
  json_decref(regs);
  json_t *open = json_object_get(reg, "open");
  assert_int_equal(json_object_size(open), 4);
  assert_int_equal(json_integer_value(json_object_get(open, "critical")), 0);
  assert_int_equal(json_integer_value(json_object_get(open, "major")), 2);
  assert_int_equal(json_integer_value(json_object_get(open, "moderate")), 0);
  assert_int_equal(json_integer_value(json_object_get(open, "minor")), 0);
  /* grades oldest first: run 9 is the D (`qbdb grade --format json 9`: 46.666666666666664) */
  json_t *grades = json_object_get(d, "grades");
  assert_int_equal(json_array_size(grades), 12);
  json_t *g9 = json_array_get(grades, 8);
  assert_int_equal(json_integer_value(json_object_get(g9, "run_id")), 9);
  assert_string_equal(json_string_value(json_object_get(g9, "grade")), "D");
  assert_close(json_real_value(json_object_get(g9, "score")), 46.666666666666664, 1e-12);
  assert_string_equal(json_string_value(json_object_get(g9, "time")), "2026-10-09T12:00:00Z");
  assert_string_equal(json_string_value(json_object_get(g9, "commit")), "10090075");
  assert_true(json_is_null(json_object_get(json_array_get(grades, 0), "score")));
  /* the series: by name; the step's sparkline with its change point */
  json_t *series = json_object_get(d, "series");
  assert_int_equal(json_array_size(series), 6);
  json_t *step = json_array_get(series, 4);
  assert_string_equal(json_string_value(json_object_get(step, "benchmark")), "step");
  assert_string_equal(json_string_value(json_object_get(step, "family")), "step");
  assert_int_equal(json_object_size(json_object_get(step, "params")), 0);
  assert_string_equal(json_string_value(json_object_get(step, "unit")), "ns");
  assert_string_equal(json_string_value(json_object_get(step, "direction")), "lower");
  assert_string_equal(json_string_value(json_object_get(step, "machine")), "m1");
  assert_int_equal(json_integer_value(json_object_get(step, "n")), 12);
  assert_int_equal(json_array_size(json_object_get(step, "points")), 12); /* default 60 */
  assert_string_equal(json_string_value(json_object_get(step, "first_time")),
                      "2026-10-01T12:00:00Z");
  assert_string_equal(json_string_value(json_object_get(step, "last_time")),
                      "2026-10-12T12:00:00Z");
  json_t *cps = json_object_get(step, "change_points");
  assert_int_equal(json_array_size(cps), 1);
  assert_int_equal(json_integer_value(json_array_get(cps, 0)), 9);
  assert_close(json_real_value(json_object_get(step, "last_change_pct")), 19.93, 0.001);
  assert_string_equal(json_string_value(json_object_get(step, "open_regression")), "major");
  json_t *size = json_array_get(series, 2);
  assert_string_equal(json_string_value(json_object_get(size, "benchmark")), "size/1000");
  assert_string_equal(json_string_value(json_object_get(size, "family")), "size");
  assert_string_equal(json_string_value(json_object_get(json_object_get(size, "params"), "0")),
                      "1000");
  json_decref(d);
  /* points=3: the newest three, the change point outside them */
  d = get("/api/v1/dashboard?project=hist&branch=main&points=3", 200);
  step = json_array_get(json_object_get(d, "series"), 4);
  json_t *pts = json_object_get(step, "points");
  assert_int_equal(json_array_size(pts), 3);
  assert_int_equal(json_integer_value(json_array_get(json_array_get(pts, 0), 0)), 10);
  assert_close(json_real_value(json_array_get(json_array_get(pts, 2), 1)), 1200, 0.01);
  assert_int_equal(json_array_size(json_object_get(step, "change_points")), 0);
  json_decref(d);
}

static void test_dashboard__bad_requests(void **state) {
  (void)state;
  error_is("/api/v1/dashboard?project=hist&points=0", 400, "bad_request",
           "points '0': expected a sparkline length (2 to 500)");
  error_is("/api/v1/dashboard?project=hist&points=abc", 400, "bad_request",
           "points 'abc': expected a sparkline length (2 to 500)");
  error_is("/api/v1/dashboard?project=hist&points=501", 400, "bad_request",
           "points '501': expected a sparkline length (2 to 500)");
  error_is("/api/v1/dashboard?project=hist&points=", 400, "bad_request",
           "points '': expected a sparkline length (2 to 500)");
  error_is("/api/v1/dashboard", 400, "bad_request", "dashboard needs project");
  error_is("/api/v1/dashboard?project=hist&branch=", 400, "bad_request", "branch: empty");
  error_is("/api/v1/dashboard?project=hist&branch=master", 404, "not_found",
           "no branch 'master' in project hist (branches: main)");
  error_is("/api/v1/dashboard?project=nope", 404, "not_found", "no project 'nope' (no runs)");
}

/* A server without --public-read: the dashboard is a read like the others. */
static void test_dashboard__needs_a_token(void **state) {
  (void)state;
  qbt_answer a;
  qbt_http(F.port, "GET", "/api/v1/dashboard?project=hist", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "GET", "/api/v1/dashboard?project=hist", "qbdb_not_a_token", NULL, NULL, 0, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "GET", "/api/v1/runs?project=hist", NULL, NULL, NULL, 0, &a); /* as GET /runs */
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  json_decref(get("/api/v1/dashboard?project=hist", 200));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dashboard__answer),
      cmocka_unit_test(test_dashboard__bad_requests),
      cmocka_unit_test(test_dashboard__needs_a_token),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

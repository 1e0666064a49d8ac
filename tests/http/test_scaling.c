/* tests/http/test_scaling.c - GET /api/v1/scaling against a real server on 127.0.0.1 with a real
 * libcurl client: the real noisy qsort run of tests/data/scaling (uploaded with POST /runs)
 * fitted as `qbdb scaling --format json` fits it (the weighted fit says O(n log n) where the
 * unweighted one said O(n^2); values from tests/data/analysis/scaling_ref.json, case
 * qsort_noisy), its parameters validated as the CLI validates them (400), unknown runs and
 * families (404) and reads without a token on a server that is not public (401). On SQLite and
 * (as http_test_scaling_pg) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "service/auth.h"
#include "http/server.h"
#include "core/buf.h"
#include "tests/dbutil.h"
#include "tests/http_client.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/http_scaling"

typedef struct fixture {
  qb_server *srv;
  unsigned short port;
  char db[600];
  char tok[QB_TOKEN_MAX];
} fixture;

static fixture F;

/* GET path with the token: the status, and the JSON answer in *out (the caller decrefs). */
static long get(const char *path, json_t **out) {
  long status;
  *out = qbt_get_json(F.port, path, F.tok, &status);
  return status;
}

/* The error message of an error answer. */
static const char *message(json_t *v) {
  return json_string_value(json_object_get(json_object_get(v, "error"), "message"));
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (qbt_db_with_token(TMP, "scaling.db", "ci", "q", F.db, sizeof F.db, F.tok)) return -1;
  qb_server_opts o = {
      .db = F.db, .host = "127.0.0.1", .threads = 2, .max_body = 1 << 20, .public_read = 0};
  if (qbt_serve(&o, &F.srv, &F.port)) return -1;
  /* the real noisy qsort run (tests/data/scaling/README.md) as run 1 of project q */
  qb_err err = QB_ERR_INIT;
  char *run;
  size_t len;
  qbt_answer a;
  if (qb_file_read(QB_TEST_DATA "/scaling/qsort_noisy.jsonl", 1 << 20, &run, &len, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qbt_http(F.port, "POST", "/api/v1/runs?project=q&format=native", F.tok, NULL, run, len, &a);
  free(run);
  qb_buf_dispose(&a.body);
  return a.status == 201 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  curl_global_cleanup();
  return 0;
}

/* The fit of qbdb issue 16: O(n log n), O(n) 5.229 behind, the unweighted fit's O(n^2). */
static void test_scaling__fit(void **state) {
  (void)state;
  json_t *v;
  assert_int_equal(get("/api/v1/scaling?project=q&family=qsort", &v), 200);
  assert_string_equal(json_string_value(json_object_get(v, "family")), "qsort");
  assert_string_equal(json_string_value(json_object_get(v, "parameter")), "n");
  assert_string_equal(json_string_value(json_object_get(v, "metric")), "latency");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "run"), "id")), 1);
  assert_string_equal(json_string_value(json_object_get(v, "best")), "O(n log n)");
  assert_string_equal(json_string_value(json_object_get(v, "runner_up")), "O(n)");
  assert_true(json_is_true(json_object_get(v, "distinguishable")));
  assert_int_equal(json_array_size(json_object_get(v, "not_distinguishable")), 0);
  assert_int_equal(json_integer_value(json_object_get(v, "sizes_with_noise")), 4);
  json_t *fits = json_object_get(v, "fits");
  assert_int_equal(json_array_size(fits), 6);
  json_t *on = json_array_get(fits, 2);
  assert_string_equal(json_string_value(json_object_get(on, "model")), "O(n)");
  /* scaling_ref.json, qsort_noisy: delta[O(n)] = 5.228821272641532 */
  qbt_check_rel(json_number_value(json_object_get(on, "delta_aic")), 5.228821272641532, 1e-9,
                "delta O(n)");
  json_t *pts = json_object_get(v, "points");
  assert_int_equal(json_array_size(pts), 4);
  /* n = 100000: median 49482079 ns of 15 samples, se from their MAD */
  json_t *last = json_array_get(pts, 3);
  qbt_check_rel(json_number_value(json_object_get(last, "value")), 49482079.0, 1e-12, "median");
  qbt_check_rel(json_number_value(json_object_get(last, "se")), 5783162.3526747748, 1e-9, "se");
  assert_string_equal(json_string_value(json_object_get(last, "noise")), "samples");
  assert_string_equal(json_string_value(json_object_get(json_object_get(v, "unweighted"), "best")),
                      "O(n^2)");
  json_decref(v);
  /* run and metric as the CLI takes them */
  assert_int_equal(get("/api/v1/scaling?project=q&family=qsort&run=main@latest&metric=latency", &v),
                   200);
  assert_string_equal(json_string_value(json_object_get(v, "best")), "O(n log n)");
  json_decref(v);
}

/* Parameters checked before any lookup (400), then what is not there (404), then the token. */
static void test_scaling__errors(void **state) {
  (void)state;
  static const struct {
    const char *path;
    long status;
    const char *msg;
  } cases[] = {
      {"/api/v1/scaling?family=qsort", 400, "scaling needs project (a project name)"},
      {"/api/v1/scaling?project=q", 400,
       "scaling needs family (a group name or a prefix of the benchmark names)"},
      {"/api/v1/scaling?project=&family=qsort", 400, "project: empty"},
      {"/api/v1/scaling?project=q&family=", 400, "family: empty"},
      {"/api/v1/scaling?project=q&family=qsort&run=", 400, "run: empty"},
      {"/api/v1/scaling?project=q&family=qsort&metric=", 400, "metric: empty"},
      {"/api/v1/scaling?project=q&family=nosuch", 404,
       "family 'nosuch': fewer than 2 benchmarks with one numeric parameter and a latency result "
       "in run 1"},
      {"/api/v1/scaling?project=q&family=qsort&metric=nosuch", 404,
       "family 'qsort': fewer than 2 benchmarks with one numeric parameter and a nosuch result "
       "in run 1"},
      {"/api/v1/scaling?project=nosuch&family=qsort", 404, "no runs in project nosuch"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *v;
    long st = get(cases[i].path, &v);
    if (st != cases[i].status || strcmp(message(v) ? message(v) : "", cases[i].msg))
      fail_msg("%s: %ld %s, expected %ld %s", cases[i].path, st, message(v), cases[i].status,
               cases[i].msg);
    json_decref(v);
  }
  qbt_answer a;
  qbt_http(F.port, "GET", "/api/v1/scaling?project=q&family=qsort", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scaling__fit),
      cmocka_unit_test(test_scaling__errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

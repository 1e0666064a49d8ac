/* tests/api/test_server.c - the HTTP API against a real server on 127.0.0.1 with a real libcurl
 * client: every endpoint, error statuses, auth, body limits, idempotent replays, and 16
 * concurrent clients x 50 uploads with random replays (exactly the expected runs afterwards). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>

#include "api/auth.h"
#include "api/server.h"
#include "core/buf.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_server"

typedef struct answer {
  long status;
  qb_buf body;
} answer;

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  answer *a = ud;
  qb_buf_add(&a->body, p, size * n, NULL);
  return size * n;
}

/* One request; body may be NULL (GET). The caller disposes a->body. */
static void request(unsigned short port, const char *method, const char *path, const char *token,
                    const char *idem, const char *body, size_t len, answer *a) {
  char url[1024], auth[160], key[160];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
  qb_buf_init(&a->body, (size_t)1 << 26);
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (idem) {
    snprintf(key, sizeof key, "Idempotency-Key: %s", idem);
    h = curl_slist_append(h, key);
  }
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) fail_msg("curl %s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

/* The answer's JSON (the caller decrefs), failing the test when it is not JSON. */
static json_t *body_json(const answer *a) {
  json_t *v = json_loads(a->body.data ? a->body.data : "", 0, NULL);
  if (!v) fail_msg("not JSON: %s", a->body.data ? a->body.data : "(empty)");
  return v;
}

typedef struct fixture {
  qb_server *srv;
  unsigned short port;
  char db[256];
  char write_tok[QB_TOKEN_MAX], other_tok[QB_TOKEN_MAX], admin_tok[QB_TOKEN_MAX],
      revoked_tok[QB_TOKEN_MAX];
} fixture;

static fixture F;

static int64_t count_runs(void) {
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_store_counts c;
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_counts_get(s, &c, &err), QB_OK);
  qb_store_close(s);
  return c.runs;
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  snprintf(F.db, sizeof F.db, "%s/server.db", TMP);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, F.db, QB_STORE_CREATE, &err) ||
      qb_token_create(s, "ci", "py", "write", F.write_tok, &id, &err) ||
      qb_token_create(s, "other", "zz", "write", F.other_tok, &id, &err) ||
      qb_token_create(s, "root", NULL, "admin", F.admin_tok, &id, &err) ||
      qb_token_create(s, "old", "py", "write", F.revoked_tok, &id, &err) ||
      qb_store_token_revoke(s, id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  qb_server_opts o = {
      .db = F.db, .host = "127.0.0.1", .threads = 4, .max_body = 1 << 20, .public_read = 1};
  if (qb_server_start(&F.srv, &o, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  F.port = qb_server_port(F.srv);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  curl_global_cleanup();
  return 0;
}

static char *file(const char *path, size_t *len) {
  char *d;
  qb_err err = QB_ERR_INIT;
  if (qb_file_read(path, 1 << 26, &d, len, &err)) fail_msg("%s", err.msg);
  return d;
}

static void test_server__upload_auth_and_replays(void **state) {
  (void)state;
  size_t l1, l2;
  char *r1 = file(QB_TEST_DATA "/pytest/run1/benchmark.json", &l1);
  char *r2 = file(QB_TEST_DATA "/pytest/run2/benchmark.json", &l2);
  answer a;
  /* no token, a revoked one, another project's: nothing stored */
  request(F.port, "POST", "/api/v1/runs?project=py", NULL, NULL, r1, l1, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  request(F.port, "POST", "/api/v1/runs?project=py", F.revoked_tok, NULL, r1, l1, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  request(F.port, "POST", "/api/v1/runs?project=py", F.other_tok, NULL, r1, l1, &a);
  assert_int_equal(a.status, 403);
  json_t *j = body_json(&a);
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                      "forbidden");
  json_decref(j);
  qb_buf_dispose(&a.body);
  /* malformed, and too large for the 1 MiB limit: 422, 413 */
  request(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, NULL, "{\"benchmarks\": [", 16,
          &a);
  assert_int_equal(a.status, 422);
  qb_buf_dispose(&a.body);
  size_t big = (size_t)2 << 20;
  char *huge = malloc(big);
  memset(huge, ' ', big);
  request(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, NULL, huge, big, &a);
  assert_int_equal(a.status, 413);
  qb_buf_dispose(&a.body);
  free(huge);
  assert_int_equal(count_runs(), 0);
  /* stored: 201 with the run, then the second run with a verdict */
  request(F.port, "POST", "/api/v1/runs?project=py&commit=aaaa1111&tag=net=lan", F.write_tok,
          "key-1", r1, l1, &a);
  assert_int_equal(a.status, 201);
  j = body_json(&a);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run"), "n_samples")),
                   4066);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(json_object_get(j, "run"), "tags"), "net")),
      "lan");
  assert_true(json_is_null(json_object_get(j, "compare")));
  json_decref(j);
  qb_buf_dispose(&a.body);
  request(F.port, "POST", "/api/v1/runs?project=py&commit=bbbb2222", F.admin_tok, "key-2", r2, l2,
          &a);
  assert_int_equal(a.status, 201);
  j = body_json(&a);
  json_t *summary = json_object_get(json_object_get(j, "compare"), "summary");
  assert_true(json_integer_value(json_object_get(summary, "regressions")) >= 1);
  assert_string_equal(json_string_value(json_object_get(summary, "worst_regression")), "major");
  assert_non_null(json_object_get(json_object_get(j, "grade"), "letter"));
  json_decref(j);
  qb_buf_dispose(&a.body);
  /* replays: by key (even with other content) and by content: 200, the original run */
  request(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, "key-1", r2, l2, &a);
  assert_int_equal(a.status, 200);
  j = body_json(&a);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run"), "id")), 1);
  assert_true(json_is_true(json_object_get(j, "existed")));
  json_decref(j);
  qb_buf_dispose(&a.body);
  request(F.port, "POST", "/api/v1/runs?project=py&commit=bbbb2222", F.write_tok, NULL, r2, l2, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  assert_int_equal(count_runs(), 2);
  free(r1);
  free(r2);
}

static void test_server__read_endpoints(void **state) {
  (void)state;
  static const struct {
    const char *path;
    long status;
    const char *needle;
  } cases[] = {
      {"/api/v1/health", 200, "\"status\":\"ok\""},
      {"/api/v1/projects", 200, "\"name\":\"py\""},
      {"/api/v1/runs?project=py&limit=1", 200, "\"next_cursor\":\"1\""},
      {"/api/v1/runs?project=py&limit=1&cursor=1", 200, "\"commit\":\"aaaa1111\""},
      {"/api/v1/runs/2", 200, "\"test_scaled_slower\""},
      {"/api/v1/runs/99", 404, "\"not_found\""},
      {"/api/v1/runs/abc", 400, "\"bad_request\""},
      {"/api/v1/runs/2/grade", 200, "\"letter\""},
      {"/api/v1/compare?base=aaaa&head=bbbb", 200, "\"verdict\":\"regression\""},
      {"/api/v1/compare?base=aaaa", 400, "needs head"},
      {"/api/v1/benchmarks?project=py", 200, "\"test_sum_squares[10]\""},
      {"/api/v1/trend?project=py&benchmark=test_very_slow", 200, "\"points\""},
      {"/api/v1/trend?benchmark=nosuch", 404, "\"not_found\""},
      {"/api/v1/regressions?all=true", 200, "["},
      {"/api/v1/openapi.json", 200, "\"openapi\":\"3.0.3\""},
      {"/api/v1/metrics", 200, "qbdb_http_requests_total"},
      {"/api/v1/nope", 404, "no such endpoint"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    answer a;
    request(F.port, "GET", cases[i].path, NULL, NULL, NULL, 0, &a);
    if (a.status != cases[i].status || !strstr(a.body.data ? a.body.data : "", cases[i].needle))
      fail_msg("%s: %ld %s", cases[i].path, a.status, a.body.data ? a.body.data : "");
    qb_buf_dispose(&a.body);
  }
  answer a;
  request(F.port, "DELETE", "/api/v1/runs", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 405);
  qb_buf_dispose(&a.body);
  request(F.port, "PATCH", "/api/v1/regressions/999", F.admin_tok, NULL, "{}", 2, &a);
  assert_int_equal(a.status, 404);
  qb_buf_dispose(&a.body);
}

/* 16 clients x 50 uploads of distinct native runs, a quarter of them replayed at random with
 * the same key: afterwards exactly 800 runs, none lost, none twice. */
typedef struct worker {
  int id;
  int ok, replays;
} worker;

static void *upload_worker(void *arg) {
  worker *w = arg;
  uint64_t seed = 1000 + (uint64_t)w->id;
  for (int i = 0; i < 50; i++) {
    char doc[512], key[64];
    int len = snprintf(doc, sizeof doc,
                       "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"conc\"}\n"
                       "{\"name\":\"client_%d\",\"unit\":\"ns\",\"samples\":[%d,%d,%d]}\n",
                       w->id, 100 + i, 101 + i, 102 + i);
    snprintf(key, sizeof key, "c%d-u%d", w->id, i);
    for (int attempt = 0; attempt < 2; attempt++) {
      answer a;
      request(F.port, "POST", "/api/v1/runs", F.admin_tok, key, doc, (size_t)len, &a);
      if (a.status == (attempt ? 200 : 201))
        w->ok++;
      else if (getenv("QBT_VERBOSE"))
        fprintf(stderr, "%ld %s\n", a.status, a.body.data ? a.body.data : "");
      qb_buf_dispose(&a.body);
      if (attempt == 0 && qbt_sm64(&seed) % 4 != 0) break;
      if (attempt == 0) w->replays++;
    }
  }
  return NULL;
}

static void test_server__concurrent_uploads(void **state) {
  (void)state;
  int64_t before = count_runs();
  pthread_t t[16];
  worker w[16];
  for (int i = 0; i < 16; i++) {
    w[i] = (worker){i, 0, 0};
    pthread_create(&t[i], NULL, upload_worker, &w[i]);
  }
  int ok = 0, replays = 0;
  for (int i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    ok += w[i].ok;
    replays += w[i].replays;
  }
  assert_int_equal(ok, 800 + replays);
  assert_true(replays > 100);
  assert_int_equal(count_runs(), before + 800);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *runs;
  size_t n;
  f.project = "conc";
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_list_runs(s, &f, &runs, &n, &err), QB_OK);
  assert_int_equal(n, 800);
  qb_run_infos_free(runs, n);
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server__upload_auth_and_replays),
      cmocka_unit_test(test_server__read_endpoints),
      cmocka_unit_test(test_server__concurrent_uploads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

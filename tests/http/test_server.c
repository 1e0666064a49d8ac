/* tests/http/test_server.c - the HTTP API against a real server on 127.0.0.1 with a real libcurl
 * client: every endpoint, error statuses, auth, body limits, idempotent replays, and 16
 * concurrent clients x 50 uploads with random replays (exactly the expected runs afterwards);
 * an upload whose history step fails after the run is stored (201, "history": "deferred"); the
 * compare cache with keys longer than any buffer; argument validation (cursor, alpha,
 * threshold, tags, PATCH bodies), authorization before lookup, /metrics without public reads,
 * and the cap on names (issue 13). Idempotency keys: tests/http/test_idempotency.c. On SQLite and
 * (as api_test_server_pg) on PostgreSQL, where the failing history step is a plpgsql trigger. */
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
#include <sqlite3.h>

#include "service/auth.h"
#include "http/server.h"
#include "core/buf.h"
#include "core/time.h"
#include "tests/dbutil.h"
#include "tests/http_client.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_server"

typedef struct fixture {
  qb_server *srv;
  unsigned short port;
  char db[600];
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
  snprintf(F.db, sizeof F.db, "%s", qbt_db_fresh(TMP, "server.db"));
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
  if (qbt_serve(&o, &F.srv, &F.port)) return -1;
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
  qbt_answer a;
  /* no token, a revoked one, another project's: nothing stored */
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", NULL, NULL, r1, l1, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", F.revoked_tok, NULL, r1, l1, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", F.other_tok, NULL, r1, l1, &a);
  assert_int_equal(a.status, 403);
  json_t *j = qbt_body_json(&a);
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                      "forbidden");
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                      "forbidden: token 2 'other' (write, project zz) may not write to project "
                      "'py'");
  json_decref(j);
  qb_buf_dispose(&a.body);
  /* malformed, and too large for the 1 MiB limit: 422, 413 */
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, NULL, "{\"benchmarks\": [", 16,
           &a);
  assert_int_equal(a.status, 422);
  qb_buf_dispose(&a.body);
  size_t big = (size_t)2 << 20;
  char *huge = malloc(big);
  memset(huge, ' ', big);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, NULL, huge, big, &a);
  assert_int_equal(a.status, 413);
  qb_buf_dispose(&a.body);
  free(huge);
  assert_int_equal(count_runs(), 0);
  /* stored: 201 with the run, then the second run with a verdict */
  qbt_http(F.port, "POST", "/api/v1/runs?project=py&commit=aaaa1111&tag=net=lan", F.write_tok,
           "key-1", r1, l1, &a);
  assert_int_equal(a.status, 201);
  j = qbt_body_json(&a);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run"), "n_samples")),
                   4066);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(json_object_get(j, "run"), "tags"), "net")),
      "lan");
  assert_true(json_is_null(json_object_get(j, "compare")));
  json_decref(j);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py&commit=bbbb2222", F.admin_tok, "key-2", r2, l2,
           &a);
  assert_int_equal(a.status, 201);
  j = qbt_body_json(&a);
  json_t *summary = json_object_get(json_object_get(j, "compare"), "summary");
  assert_true(json_integer_value(json_object_get(summary, "regressions")) >= 1);
  assert_string_equal(json_string_value(json_object_get(summary, "worst_regression")), "major");
  assert_non_null(json_object_get(json_object_get(j, "grade"), "letter"));
  json_decref(j);
  qb_buf_dispose(&a.body);
  /* replays: by key (the same request) and by content: 200, the original run; the key with
   * other content is a conflict (409), nothing stored */
  qbt_http(F.port, "POST", "/api/v1/runs?project=py&commit=aaaa1111&tag=net=lan", F.write_tok,
           "key-1", r1, l1, &a);
  assert_int_equal(a.status, 200);
  j = qbt_body_json(&a);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run"), "id")), 1);
  assert_true(json_is_true(json_object_get(j, "existed")));
  json_decref(j);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py", F.write_tok, "key-1", r2, l2, &a);
  assert_int_equal(a.status, 409);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "POST", "/api/v1/runs?project=py&commit=bbbb2222", F.write_tok, NULL, r2, l2,
           &a);
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
      /* their uploads kept both runs in the run cache (qb_run_cache_seed): neither the uploads'
       * compares nor the compare above read a run from the store */
      {"/api/v1/metrics", 200, "qbdb_run_cache_lookups_total{result=\"miss\"} 0"},
      {"/api/v1/nope", 404, "no such endpoint"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qbt_answer a;
    qbt_http(F.port, "GET", cases[i].path, NULL, NULL, NULL, 0, &a);
    if (a.status != cases[i].status || !strstr(a.body.data ? a.body.data : "", cases[i].needle))
      fail_msg("%s: %ld %s", cases[i].path, a.status, a.body.data ? a.body.data : "");
    qb_buf_dispose(&a.body);
  }
  qbt_answer a;
  qbt_http(F.port, "DELETE", "/api/v1/runs", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 405);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "PATCH", "/api/v1/regressions/999", F.admin_tok, NULL, "{}", 2, &a);
  assert_int_equal(a.status, 404);
  qb_buf_dispose(&a.body);
}

/* GET /openapi.json is generated from the route table: every operation it describes is served
 * (neither 404 "no such endpoint" nor 405), each has a row in docs/api/README.md, and every
 * route but health and the description itself says it needs a bearer token. */
static void test_server__openapi_is_the_route_table(void **state) {
  (void)state;
  qbt_answer a;
  qbt_http(F.port, "GET", "/api/v1/openapi.json", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 200);
  json_t *doc = qbt_body_json(&a), *paths = json_object_get(doc, "paths"), *item;
  qb_buf_dispose(&a.body);
  size_t n_docs;
  char *readme = file(QB_TEST_DATA "/../../docs/api/README.md", &n_docs);
  const char *path;
  size_t n_ops = 0;
  json_object_foreach(paths, path, item) {
    const char *method;
    json_t *op;
    json_object_foreach(item, method, op) {
      char upper[8], url[160], row[200];
      size_t k = 0;
      for (; method[k] && k + 1 < sizeof upper; k++) upper[k] = (char)(method[k] - 'a' + 'A');
      upper[k] = '\0';
      const char *id = strstr(path, "{id}");
      if (id)
        snprintf(url, sizeof url, "%.*s999999%s", (int)(id - path), path, id + 4);
      else
        snprintf(url, sizeof url, "%s", path);
      qbt_http(F.port, upper, url, NULL, NULL, "{}", 2, &a);
      if (a.status == 405 || strstr(a.body.data ? a.body.data : "", "no such endpoint"))
        fail_msg("%s %s: described but not served (%ld)", upper, url, a.status);
      qb_buf_dispose(&a.body);
      snprintf(row, sizeof row, "| %s | `%s` |", upper, path);
      if (!strstr(readme, row)) fail_msg("docs/api/README.md: no row %s", row);
      int open = !strcmp(path, "/api/v1/health") || !strcmp(path, "/api/v1/openapi.json");
      assert_int_equal(json_object_get(op, "security") == NULL, open);
      assert_non_null(
          json_object_get(json_object_get(op, "responses"),
                          upper[0] == 'P' && !strcmp(path, "/api/v1/runs") ? "201" : "200"));
      n_ops++;
    }
  }
  assert_int_equal(n_ops, 17);
  free(readme);
  json_decref(doc);
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
      qbt_answer a;
      qbt_http(F.port, "POST", "/api/v1/runs", F.admin_tok, key, doc, (size_t)len, &a);
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

/* Run sql (SQLite) or pg_sql (PostgreSQL) on the test database with a connection of its own. */
static void exec_sql(const char *sql, const char *pg_sql) {
  if (qbt_pg()) {
    qbt_sql_exec(F.db, pg_sql);
    return;
  }
  sqlite3 *db;
  char *msg = NULL;
  assert_int_equal(sqlite3_open(F.db, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 60000);
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

/* The trigger that refuses the detection marker's write, and its removal: on PostgreSQL a
 * plpgsql function that raises, called by a row trigger with the same condition. */
#define FAIL_HISTORY_MSG "injected: database or disk is full"
static void fail_history_on(void) {
  exec_sql("CREATE TRIGGER fail_history BEFORE UPDATE OF analysed_n ON series WHEN "
           "NEW.analysed_n > 0 BEGIN SELECT RAISE(ABORT, '" FAIL_HISTORY_MSG "'); END",
           "CREATE FUNCTION fail_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "RAISE EXCEPTION '" FAIL_HISTORY_MSG "'; END $$; "
           "CREATE TRIGGER fail_history BEFORE UPDATE OF analysed_n ON series FOR EACH ROW WHEN "
           "(NEW.analysed_n > 0) EXECUTE FUNCTION fail_history()");
}

static void fail_history_off(void) {
  exec_sql("DROP TRIGGER IF EXISTS fail_history",
           "SET client_min_messages = warning; DROP TRIGGER IF EXISTS fail_history ON series; "
           "DROP FUNCTION IF EXISTS fail_history()");
}

/* A native run of project with one benchmark `name` and samples around v. */
static char *native_doc(const char *project, const char *name, int v) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 24);
  qb_buf_printf(&b, NULL,
                "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"%s\"}\n"
                "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[%d,%d,%d,%d,%d]}\n",
                project, name, 1000 + v, 1001 + v, 1002 + v, 999 + v, 1000 + v);
  return qb_buf_take(&b, NULL);
}

/* POST doc with the admin token to path; the answer's status (and body, disposed by caller). */
static void upload(const char *path, const char *doc, qbt_answer *a) {
  qbt_http(F.port, "POST", path, F.admin_tok, NULL, doc, strlen(doc), a);
}

/* Once the run is committed, a failure of the history step (here the detection marker's write
 * refused, as a full disk refused its COMMIT) is a 201 with the run and "history": "deferred"
 * with the reason, never a 5xx for a stored run; the series' marker is not advanced, so the next
 * detection catches up. */
static void test_server__history_failure_is_deferred(void **state) {
  (void)state;
  fail_history_on();
  char *d1 = native_doc("hist", "h", 0), *d2 = native_doc("hist", "h", 50);
  qbt_answer a;
  upload("/api/v1/runs", d1, &a);
  if (a.status != 201) fail_msg("history failing: %ld %s", a.status, a.body.data);
  json_t *j = qbt_body_json(&a);
  assert_string_equal(json_string_value(json_object_get(j, "history")), "deferred");
  assert_non_null(strstr(json_string_value(json_object_get(j, "history_error")), "injected"));
  int64_t id = (int64_t)json_integer_value(json_object_get(json_object_get(j, "run"), "id"));
  assert_true(id > 0);
  json_decref(j);
  qb_buf_dispose(&a.body);
  /* the run is stored and served; the series' marker stayed where it was */
  char path[64];
  snprintf(path, sizeof path, "/api/v1/runs/%lld", (long long)id);
  qbt_http(F.port, "GET", path, NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *series;
  size_t n;
  f.project = "hist";
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_series_list(s, &f, &series, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(series[0].analysed_n, 0);
  qb_series_infos_free(series, n);
  qb_store_close(s);
  fail_history_off();
  /* the next upload's detection covers both points of the series */
  upload("/api/v1/runs", d2, &a);
  assert_int_equal(a.status, 201);
  j = qbt_body_json(&a);
  assert_string_equal(json_string_value(json_object_get(j, "history")), "done");
  assert_null(json_object_get(j, "history_error"));
  json_decref(j);
  qb_buf_dispose(&a.body);
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_series_list(s, &f, &series, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(series[0].analysed_n, 2);
  qb_series_infos_free(series, n);
  qb_store_close(s);
  free(d1);
  free(d2);
}

/* Teardown of the history test: the trigger goes even when the test failed. */
static int drop_trigger(void **state) {
  (void)state;
  fail_history_off();
  return 0;
}

/* The id of the head run in a compare answer (0 when it is not one). */
static int64_t compare_head(const char *path) {
  qbt_answer a;
  qbt_http(F.port, "GET", path, NULL, NULL, NULL, 0, &a);
  if (a.status != 200) fail_msg("%.200s: %ld %s", path, a.status, a.body.data);
  json_t *j = qbt_body_json(&a);
  int64_t id = (int64_t)json_integer_value(json_object_get(json_object_get(j, "head"), "id"));
  json_decref(j);
  qb_buf_dispose(&a.body);
  return id;
}

/* A compare key longer than the old 3,072-byte buffer (a long benchmark glob) still holds the
 * store's fingerprint: a new run is seen at once (before: main@latest answered the old run). */
static void test_server__compare_cache_long_key(void **state) {
  (void)state;
  char path[8192];
  int len =
      snprintf(path, sizeof path, "/api/v1/compare?project=cache&head=main@latest&benchmark=");
  memcpy(path + len, "%5B", 3); /* "[ccc...c]ache": 3,100 bytes that match "cache" */
  len += 3;
  memset(path + len, 'c', 3100);
  len += 3100;
  snprintf(path + len, sizeof path - (size_t)len, "%%5Dache");
  char *docs[3];
  int64_t ids[3];
  for (int i = 0; i < 3; i++) {
    docs[i] = native_doc("cache", "cache", 10 * i);
    qbt_answer a;
    upload("/api/v1/runs", docs[i], &a);
    assert_int_equal(a.status, 201);
    json_t *j = qbt_body_json(&a);
    ids[i] = (int64_t)json_integer_value(json_object_get(json_object_get(j, "run"), "id"));
    json_decref(j);
    qb_buf_dispose(&a.body);
    free(docs[i]);
    if (i >= 1) {
      assert_int_equal(compare_head(path), ids[i]);
      assert_int_equal(compare_head(path), ids[i]); /* from the cache */
    }
  }
}

/* The first row's statistical test and base sample count in a compare answer for path. */
static void compare_test(const char *path, char *test, size_t n, int64_t *base_n) {
  qbt_answer a;
  qbt_http(F.port, "GET", path, NULL, NULL, NULL, 0, &a);
  if (a.status != 200) fail_msg("%.200s: %ld %s", path, a.status, a.body.data);
  json_t *j = qbt_body_json(&a), *row = json_array_get(json_object_get(j, "rows"), 0);
  if (!row) fail_msg("%.200s: no rows in %.300s", path, a.body.data);
  const char *t = json_string_value(json_object_get(row, "test"));
  snprintf(test, n, "%s", t ? t : "");
  *base_n = (int64_t)json_integer_value(json_object_get(json_object_get(row, "base"), "n"));
  json_decref(j);
  qb_buf_dispose(&a.body);
}

/* A prune that drops raw samples changes the store's fingerprint: the running server's next
 * compare of the same runs is made from what is left, Welch's t on the statistics kept (before:
 * the cached answer still showed a Mann-Whitney test on samples that were gone). */
static void test_server__prune_samples_not_cached(void **state) {
  (void)state;
  int64_t ids[2];
  for (int i = 0; i < 2; i++) {
    char *doc = native_doc("pruned", "p", 40 * i);
    qbt_answer a;
    upload("/api/v1/runs", doc, &a);
    assert_int_equal(a.status, 201);
    json_t *j = qbt_body_json(&a);
    ids[i] = (int64_t)json_integer_value(json_object_get(json_object_get(j, "run"), "id"));
    json_decref(j);
    qb_buf_dispose(&a.body);
    free(doc);
  }
  char path[160], test[32];
  int64_t n;
  snprintf(path, sizeof path, "/api/v1/compare?project=pruned&base=%lld&head=%lld",
           (long long)ids[0], (long long)ids[1]);
  for (int i = 0; i < 2; i++) { /* computed, then from the cache */
    compare_test(path, test, sizeof test, &n);
    assert_string_equal(test, "mann-whitney-u");
    assert_int_equal(n, 5);
  }
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  qb_prune_opts po = {.runs_before = QB_TIME_NONE,
                      .samples_before = qb_time_now() + (int64_t)86400 * 1000000};
  qb_prune_result pr;
  if (qb_store_prune(s, &po, &pr, &err)) fail_msg("prune: %s", err.msg);
  qb_store_close(s);
  assert_true(pr.sample_runs >= 2);
  compare_test(path, test, sizeof test, &n);
  assert_string_equal(test, "welch-t"); /* from the statistics kept: the samples are gone */
  assert_int_equal(n, 5);
}

/* Benchmarks whose names share their first 590 bytes are two benchmarks (before: merged by a
 * 512-byte key). */
static void test_server__benchmarks_long_names(void **state) {
  (void)state;
  char name[2][601];
  for (int k = 0; k < 2; k++) {
    memset(name[k], 'n', 600);
    name[k][600] = '\0';
    snprintf(name[k] + 590, 11, "%010d", k);
  }
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 20);
  qb_buf_printf(&b, NULL, "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"longnames\"}\n");
  for (int k = 0; k < 2; k++)
    qb_buf_printf(&b, NULL, "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[1,2,3]}\n", name[k]);
  char *doc = qb_buf_take(&b, NULL);
  qbt_answer a;
  upload("/api/v1/runs", doc, &a);
  assert_int_equal(a.status, 201);
  qb_buf_dispose(&a.body);
  free(doc);
  qbt_http(F.port, "GET", "/api/v1/benchmarks?project=longnames", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 200);
  json_t *j = qbt_body_json(&a);
  assert_int_equal(json_array_size(j), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")), name[0]);
  assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "name")), name[1]);
  json_decref(j);
  qb_buf_dispose(&a.body);
}

/* GET path (or POST doc to it) and expect a 400 whose message holds needle. */
static void expect_400(const char *method, const char *path, const char *doc, const char *needle) {
  qbt_answer a;
  qbt_http(F.port, method, path, F.admin_tok, NULL, doc, doc ? strlen(doc) : 0, &a);
  if (a.status != 400 || !strstr(a.body.data ? a.body.data : "", needle))
    fail_msg("%s %.120s: %ld %s (want 400 with '%s')", method, path, a.status,
             a.body.data ? a.body.data : "", needle);
  qb_buf_dispose(&a.body);
}

/* The arguments the CLI refuses are refused by the API too, by one validation: a cursor that
 * would overflow (before: UBSan abort), alpha and threshold out of range, NaN, infinite or empty
 * (before: nan silently meant the default), a 33rd tag (before: dropped). Nothing is stored. */
static void test_server__argument_validation(void **state) {
  (void)state;
  expect_400("GET", "/api/v1/runs?cursor=9223372036854775807", NULL, "cursor");
  expect_400("GET", "/api/v1/runs?cursor=9223372036854775000&limit=1000", NULL, "cursor");
  expect_400("GET", "/api/v1/runs?cursor=abc", NULL, "cursor");
  expect_400("GET", "/api/v1/runs?limit=10x", NULL, "limit");
  static const char *const bad[] = {"alpha=-5",      "alpha=nan",     "alpha=inf",    "alpha=",
                                    "threshold=inf", "threshold=nan", "threshold=-1", "threshold="};
  char *doc = native_doc("args", "a", 0);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char path[256], param[32];
    snprintf(param, sizeof param, "%.*s", (int)strcspn(bad[i], "="), bad[i]);
    snprintf(path, sizeof path, "/api/v1/compare?base=aaaa&head=bbbb&%s", bad[i]);
    expect_400("GET", path, NULL, param);
    snprintf(path, sizeof path, "/api/v1/runs?%s", bad[i]);
    expect_400("POST", path, doc, param);
  }
  qb_buf q;
  qb_buf_init(&q, 1 << 16);
  qb_buf_adds(&q, "/api/v1/runs?", NULL);
  for (int i = 0; i < 33; i++) qb_buf_printf(&q, NULL, "%stag=k%d=v", i ? "&" : "", i);
  expect_400("POST", q.data, doc, "tag");
  qb_buf_dispose(&q);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *runs;
  size_t n;
  f.project = "args";
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_list_runs(s, &f, &runs, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  qb_store_close(s);
  /* 32 tags are fine */
  qb_buf_init(&q, 1 << 16);
  qb_buf_adds(&q, "/api/v1/runs?", NULL);
  for (int i = 0; i < 32; i++) qb_buf_printf(&q, NULL, "%stag=k%d=v", i ? "&" : "", i);
  qbt_answer a;
  qbt_http(F.port, "POST", q.data, F.admin_tok, NULL, doc, strlen(doc), &a);
  assert_int_equal(a.status, 201);
  qb_buf_dispose(&a.body);
  qb_buf_dispose(&q);
  free(doc);
}

/* PATCH /regressions/{id}: without a token 401 whether the id exists or not (before: 404 told
 * which ids exist); duplicate keys and a note that is not a string are 400 (before: accepted,
 * the note dropped). */
static void test_server__regression_patch(void **state) {
  (void)state;
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *series;
  size_t n;
  qb_regression rec = {0}, *regs;
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = 1, rec.after = 2, rec.change_pct = 100, rec.position = -1;
  f.project = "py";
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_series_list(s, &f, &series, &n, &err), QB_OK);
  assert_true(n > 0);
  rec.run_id = 1;
  assert_int_equal(qb_store_regressions_replace(s, series[0].id, &rec, 1, &err), QB_OK);
  qb_regression_filter rf = QB_REGRESSION_FILTER_INIT;
  rf.series_id = series[0].id;
  size_t n_regs;
  assert_int_equal(qb_store_regressions_list(s, &rf, &regs, &n_regs, &err), QB_OK);
  assert_int_equal(n_regs, 1);
  char known[64];
  snprintf(known, sizeof known, "/api/v1/regressions/%lld", (long long)regs[0].id);
  qb_regressions_free(regs, n_regs);
  qb_series_infos_free(series, n);
  qb_store_close(s);
  static const char *const ok = "{\"status\":\"acknowledged\",\"note\":\"seen\"}";
  qbt_answer a;
  qbt_http(F.port, "PATCH", "/api/v1/regressions/999999", NULL, NULL, ok, strlen(ok), &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "PATCH", known, NULL, NULL, ok, strlen(ok), &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(F.port, "PATCH", "/api/v1/regressions/999999", F.admin_tok, NULL, ok, strlen(ok), &a);
  assert_int_equal(a.status, 404);
  qb_buf_dispose(&a.body);
  expect_400("PATCH", known, "{\"status\":\"acknowledged\",\"status\":\"open\"}", "duplicate");
  expect_400("PATCH", known, "{\"status\":\"acknowledged\",\"note\":5}", "note");
  expect_400("PATCH", known, "{\"status\":5}", "status");
  qbt_http(F.port, "PATCH", known, F.admin_tok, NULL, ok, strlen(ok), &a);
  assert_int_equal(a.status, 200);
  json_t *j = qbt_body_json(&a);
  assert_string_equal(json_string_value(json_object_get(j, "note")), "seen");
  json_decref(j);
  qb_buf_dispose(&a.body);
}

/* With --public-read no, /metrics needs a token like every read (before: public). */
static void test_server__metrics_need_a_token_when_not_public(void **state) {
  (void)state;
  qb_server *srv;
  qb_err err = QB_ERR_INIT;
  qb_server_opts o = {.db = F.db, .host = "127.0.0.1", .threads = 2, .max_body = 1 << 20};
  assert_int_equal(qb_server_start(&srv, &o, &err), QB_OK);
  unsigned short port = qb_server_port(srv);
  qbt_answer a;
  qbt_http(port, "GET", "/api/v1/metrics", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 401);
  qb_buf_dispose(&a.body);
  qbt_http(port, "GET", "/api/v1/metrics", F.write_tok, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  qbt_http(port, "GET", "/api/v1/health", NULL, NULL, NULL, 0, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  qb_server_stop(srv);
}

/* A benchmark name over 1,024 bytes is refused (422, one line naming the field); 1,024 bytes are
 * fine (before: a name of any size was stored). */
static void test_server__name_cap(void **state) {
  (void)state;
  for (int over = 0; over <= 1; over++) {
    size_t len = 1024 + (size_t)over;
    char *name = malloc(len + 1);
    memset(name, 'x', len);
    name[len] = '\0';
    char *doc = native_doc("names", name, over);
    qbt_answer a;
    upload("/api/v1/runs", doc, &a);
    if (over) {
      assert_int_equal(a.status, 422);
      json_t *j = qbt_body_json(&a);
      const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
      assert_non_null(strstr(msg, "name"));
      assert_non_null(strstr(msg, "1024"));
      assert_null(strchr(msg, '\n'));
      assert_true(strlen(msg) < 400);
      json_decref(j);
    } else {
      assert_int_equal(a.status, 201);
    }
    qb_buf_dispose(&a.body);
    free(doc);
    free(name);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server__upload_auth_and_replays),
      cmocka_unit_test(test_server__read_endpoints),
      cmocka_unit_test(test_server__openapi_is_the_route_table),
      cmocka_unit_test(test_server__concurrent_uploads),
      cmocka_unit_test_teardown(test_server__history_failure_is_deferred, drop_trigger),
      cmocka_unit_test(test_server__compare_cache_long_key),
      cmocka_unit_test(test_server__prune_samples_not_cached),
      cmocka_unit_test(test_server__benchmarks_long_names),
      cmocka_unit_test(test_server__argument_validation),
      cmocka_unit_test(test_server__regression_patch),
      cmocka_unit_test(test_server__metrics_need_a_token_when_not_public),
      cmocka_unit_test(test_server__name_cap),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

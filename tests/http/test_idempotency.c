/* tests/http/test_idempotency.c - Idempotency-Key of POST /runs against a real server on 127.0.0.1
 * with a real libcurl client: a key is scoped to the project and the token that sent it and
 * stands for one request (body and query). The same request again is a 200 replay of the same
 * run; another request with the key is a 409 that stores nothing, however many race for it;
 * another project's token with the same key gets its own run, never the first one's. On SQLite and
 * (as api_test_idempotency_pg) on PostgreSQL. */
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

#include "service/auth.h"
#include "http/server.h"
#include "core/buf.h"
#include "tests/dbutil.h"
#include "tests/http_client.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_idempotency"

/* POST body to path with token and Idempotency-Key idem (NULL: none); a->status is -1 when curl
 * failed. Any thread may call it. The caller disposes a->body. */
static void post(unsigned short port, const char *path, const char *token, const char *idem,
                 const char *body, qbt_answer *a) {
  qbt_http_try(port, "POST", path, token, idem, body, strlen(body), a);
}

/* The stored run's id and project of an upload's answer. */
static int64_t run_id_of(const qbt_answer *a, char *project, size_t n) {
  json_t *j = qbt_body_json(a);
  json_t *run = json_object_get(j, "run");
  int64_t id = (int64_t)json_integer_value(json_object_get(run, "id"));
  if (project) snprintf(project, n, "%s", json_string_value(json_object_get(run, "project")));
  json_decref(j);
  return id;
}

/* The error message of an error answer ("" when there is none); copied into msg. */
static void error_of(const qbt_answer *a, char *msg, size_t n) {
  json_t *j = qbt_body_json(a);
  const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
  snprintf(msg, n, "%s", m ? m : "");
  json_decref(j);
}

static struct {
  qb_server *srv;
  unsigned short port;
  char db[600];
  char tok_a[QB_TOKEN_MAX], tok_a2[QB_TOKEN_MAX], tok_b[QB_TOKEN_MAX];
} F;

/* Runs stored for project. */
static size_t count_runs(const char *project) {
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *runs = NULL;
  size_t n = 0;
  f.project = project;
  assert_int_equal(qb_store_open(&s, F.db, 0, &err), QB_OK);
  assert_int_equal(qb_store_list_runs(s, &f, &runs, &n, &err), QB_OK);
  qb_run_infos_free(runs, n);
  qb_store_close(s);
  return n;
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  snprintf(F.db, sizeof F.db, "%s", qbt_db_fresh(TMP, "idem.db"));
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, F.db, QB_STORE_CREATE, &err) ||
      qb_token_create(s, "ci-a", "pa", "write", F.tok_a, &id, &err) ||
      qb_token_create(s, "ci-a2", "pa", "write", F.tok_a2, &id, &err) ||
      qb_token_create(s, "ci-b", "pb", "write", F.tok_b, &id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  qb_server_opts o = {
      .db = F.db, .host = "127.0.0.1", .threads = 8, .max_body = 1 << 20, .public_read = 1};
  if (qbt_serve(&o, &F.srv, &F.port)) return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  curl_global_cleanup();
  return 0;
}

/* A native run document whose content is told apart by tag (a benchmark name) and v. */
static void native(char *buf, size_t n, const char *tag, int v) {
  snprintf(buf, n,
           "{\"format\":\"qbdb-native\",\"version\":1}\n"
           "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[%d,%d,%d]}\n",
           tag, 100 + v, 101 + v, 102 + v);
}

/* The same request again: 200, the same run, "existed"; nothing new stored. */
static void test_idempotency__same_request_replays(void **state) {
  (void)state;
  char doc[512];
  native(doc, sizeof doc, "same", 1);
  size_t before = count_runs("pa");
  qbt_answer a;
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-same", doc, &a);
  assert_int_equal(a.status, 201);
  int64_t id = run_id_of(&a, NULL, 0);
  qb_buf_dispose(&a.body);
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-same", doc, &a);
  assert_int_equal(a.status, 200);
  assert_int_equal(run_id_of(&a, NULL, 0), id);
  json_t *j = qbt_body_json(&a);
  assert_true(json_is_true(json_object_get(j, "existed")));
  json_decref(j);
  qb_buf_dispose(&a.body);
  assert_int_equal(count_runs("pa"), before + 1);
}

/* The key with another body, or the same body with another query: 409 naming the key, and
 * nothing stored (before: 200 with the first run, the new data dropped). */
static void test_idempotency__other_request_conflicts(void **state) {
  (void)state;
  char d1[512], d2[512], msg[QB_ERR_MSG_MAX];
  native(d1, sizeof d1, "diff", 1);
  native(d2, sizeof d2, "diff", 2);
  qbt_answer a;
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-diff", d1, &a);
  assert_int_equal(a.status, 201);
  qb_buf_dispose(&a.body);
  size_t before = count_runs("pa");
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-diff", d2, &a);
  if (a.status != 409) fail_msg("another body: %ld %s", a.status, a.body.data);
  error_of(&a, msg, sizeof msg);
  assert_non_null(strstr(msg, "Idempotency-Key"));
  assert_non_null(strstr(msg, "different"));
  qb_buf_dispose(&a.body);
  post(F.port, "/api/v1/runs?project=pa&tag=extra=1", F.tok_a, "k-diff", d1, &a);
  if (a.status != 409) fail_msg("another query: %ld %s", a.status, a.body.data);
  qb_buf_dispose(&a.body);
  assert_int_equal(count_runs("pa"), before);
  /* the same body under another key of the same token is a new key for the same content:
   * the stored run, 200 */
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-diff-2", d1, &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  /* and another token of the same project has its own keys */
  post(F.port, "/api/v1/runs?project=pa", F.tok_a2, "k-diff", d2, &a);
  assert_int_equal(a.status, 201);
  qb_buf_dispose(&a.body);
  assert_int_equal(count_runs("pa"), before + 1);
}

/* Another project's token with the same key: its own run is stored, never the first project's
 * run answered; and replaying the first project's request with it is refused (403), not
 * answered from the key (before: a replay only checked that the token was valid). */
static void test_idempotency__keys_are_per_project_and_token(void **state) {
  (void)state;
  char da[512], db[512], project[64];
  native(da, sizeof da, "shared", 1);
  native(db, sizeof db, "shared", 2);
  qbt_answer a;
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, "k-shared", da, &a);
  assert_int_equal(a.status, 201);
  int64_t id_a = run_id_of(&a, project, sizeof project);
  assert_string_equal(project, "pa");
  qb_buf_dispose(&a.body);
  size_t before_b = count_runs("pb");
  post(F.port, "/api/v1/runs?project=pb", F.tok_b, "k-shared", db, &a);
  if (a.status != 201) fail_msg("other project: %ld %s", a.status, a.body.data);
  int64_t id_b = run_id_of(&a, project, sizeof project);
  assert_string_equal(project, "pb");
  assert_true(id_b != id_a);
  qb_buf_dispose(&a.body);
  assert_int_equal(count_runs("pb"), before_b + 1);
  post(F.port, "/api/v1/runs?project=pa", F.tok_b, "k-shared", da, &a);
  if (a.status != 403)
    fail_msg("the first project's request with b's token: %ld %s", a.status, a.body.data);
  qb_buf_dispose(&a.body);
}

/* 40 clients at once with one key: with 40 different bodies exactly one run is stored and the
 * 39 others are told 409 (before: 2 runs stored and 38 told "existed"); with one body, one 201
 * and 39 replays of the same run. */
typedef struct racer {
  pthread_barrier_t *go;
  const char *key;
  int id, same;
  long status;
  int64_t run;
  char msg[QB_ERR_MSG_MAX];
} racer;

static void *race(void *arg) {
  racer *r = arg;
  char doc[512];
  native(doc, sizeof doc, r->same ? "race_same" : "race", r->same ? 0 : r->id);
  pthread_barrier_wait(r->go);
  qbt_answer a;
  post(F.port, "/api/v1/runs?project=pa", F.tok_a, r->key, doc, &a);
  r->status = a.status;
  if (a.status == 200 || a.status == 201) r->run = run_id_of(&a, NULL, 0);
  if (a.status >= 400) error_of(&a, r->msg, sizeof r->msg);
  qb_buf_dispose(&a.body);
  return NULL;
}

static void run_race(const char *key, int same, racer *rs, size_t *created, size_t *replayed,
                     size_t *conflicts) {
  enum { N = 40 };
  pthread_t t[N];
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, N);
  for (int i = 0; i < N; i++) {
    rs[i] = (racer){&go, key, i, same, 0, 0, ""};
    pthread_create(&t[i], NULL, race, &rs[i]);
  }
  *created = *replayed = *conflicts = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    if (rs[i].status == 201)
      ++*created;
    else if (rs[i].status == 200)
      ++*replayed;
    else if (rs[i].status == 409)
      ++*conflicts;
    else
      fail_msg("client %d: %ld %s", i, rs[i].status, rs[i].msg);
  }
  pthread_barrier_destroy(&go);
}

static void test_idempotency__concurrent_one_key(void **state) {
  (void)state;
  racer rs[40];
  size_t created, replayed, conflicts, before = count_runs("pa");
  run_race("k-race", 0, rs, &created, &replayed, &conflicts);
  if (created != 1 || conflicts != 39)
    fail_msg("different bodies: %zu stored, %zu replayed, %zu conflicts", created, replayed,
             conflicts);
  assert_int_equal(count_runs("pa"), before + 1);
  for (int i = 0; i < 40; i++)
    if (rs[i].status == 409) assert_non_null(strstr(rs[i].msg, "Idempotency-Key"));
  run_race("k-race-same", 1, rs, &created, &replayed, &conflicts);
  if (created != 1 || replayed != 39)
    fail_msg("one body: %zu stored, %zu replayed, %zu conflicts", created, replayed, conflicts);
  int64_t run = 0;
  for (int i = 0; i < 40; i++) {
    if (!run) run = rs[i].run;
    assert_int_equal(rs[i].run, run);
  }
  assert_int_equal(count_runs("pa"), before + 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idempotency__same_request_replays),
      cmocka_unit_test(test_idempotency__other_request_conflicts),
      cmocka_unit_test(test_idempotency__keys_are_per_project_and_token),
      cmocka_unit_test(test_idempotency__concurrent_one_key),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

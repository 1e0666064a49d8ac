/* tests/http/test_bisect_api.c - a regression record's `qbdb bisect` sessions in the HTTP API,
 * against a real server on 127.0.0.1 with a real libcurl client: GET /api/v1/regressions gives
 * each record its newest session ("bisect": culprits, outcome, runs so far while running, the
 * project's repo_url; null without one; a --good/--bad session is nobody's), over several
 * projects and over one, and so does the triage answer (PATCH); GET /api/v1/bisects/{id} answers
 * the whole session (tests, steps, the command's argv: not the local paths of the state), 404 for
 * a missing id, 400 for a bad one; both read like every other GET route (any valid token: 401
 * without or with a bad one; none on a --public-read server). The runs are uploaded with POST
 * /runs; the records and the sessions are written with the store API, each session's state as
 * service/bisect.c writes it (no git). On SQLite and (as http_test_bisect_api_pg) on
 * PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

#define TMP QB_TEST_TMP "/http_bisect_api"

#define GOOD     "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
#define MID      "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define CULPRIT  "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"
#define BAD      "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
#define REPO_URL "https://git.example.org/team/q"

/* A finished session's state as service/bisect.c writes it: a step of +2.9% not confirmed, then
 * the culprit, +8.9%, confirmed, found across 3 commits (one between could not be tested). */
static const char STATE_FOUND[] =
    "{\"format\": 1, \"options\": {\"error\": 0.05}, \"commits\": [], \"observations\": [],"
    " \"command\": {\"argv\": [\"make\", \"bench\"], \"repo\": \"/home/me/src/q\","
    " \"output\": null, \"format\": \"auto\", \"head\": \"main\", \"head_sha\": \"" BAD "\"},"
    " \"result\": {\"outcome\": \"found\", \"good_level\": 1969.5, \"bad_level\": 2155.25,"
    " \"change_pct\": 9.43, \"p\": 3.25e-05, \"sd\": 0.0273, \"alpha\": 0.01, \"fixed_runs\": 4,"
    " \"runs\": 52, \"invocations\": 53, \"seconds\": 7.25,"
    " \"tests\": [{\"commit\": \"" CULPRIT "\", \"good\": \"" GOOD "\", \"bad\": \"" BAD "\","
    " \"verdict\": \"like bad\", \"runs\": 1, \"centre\": 2187.5, \"p_good\": null,"
    " \"p_bad\": null, \"llr\": 4.8},"
    " {\"commit\": \"" MID "\", \"good\": \"" GOOD "\", \"bad\": \"" BAD "\","
    " \"verdict\": \"like good\", \"runs\": 3, \"centre\": 2012.5, \"p_good\": 0.1577,"
    " \"p_bad\": 0.0021, \"llr\": -6.1}],"
    " \"steps\": [{\"before\": \"" GOOD "\", \"after\": \"" MID "\","
    " \"subject\": \"commit 22: tweak comments\", \"commits\": 1, \"level_before\": 1970.25,"
    " \"level_after\": 2027.5, \"change_pct\": 2.9, \"p\": 0.001, \"confirmed\": false},"
    " {\"before\": \"" MID "\", \"after\": \"" CULPRIT "\","
    " \"subject\": \"commit 23: make parse/config 10% slower\", \"commits\": 3,"
    " \"level_before\": 2026.25, \"level_after\": 2205.75, \"change_pct\": 8.875, \"p\": 0.0003,"
    " \"confirmed\": true}]}}";

/* A running session: three invocations so far, two with a value. */
static const char STATE_RUNNING[] =
    "{\"format\": 1, \"commits\": [], \"command\": {\"argv\": [\"sh\", \"-c\", \"make b\"]},"
    " \"observations\": [{\"commit\": 0, \"ok\": true, \"value\": 2000.0, \"secs\": 1.5},"
    " {\"commit\": 1, \"ok\": false, \"value\": null, \"secs\": 0.5, \"why\": \"exit 1\"},"
    " {\"commit\": 1, \"ok\": true, \"value\": 2200.0, \"secs\": 2.0}]}";

static const char STATE_NOT_REPRODUCED[] =
    "{\"format\": 1, \"commits\": [], \"observations\": [], \"result\": {\"outcome\": \"not "
    "reproduced\", \"change_pct\": 0.4, \"runs\": 10, \"invocations\": 10, \"seconds\": 1.25,"
    " \"tests\": [], \"steps\": []}}";

typedef struct fixture {
  qb_server *srv, *pub; /* pub: the same database, --public-read yes */
  unsigned short port, pub_port;
  char db[600];
  char tok[QB_TOKEN_MAX];   /* a write token of project q */
  char tok_p[QB_TOKEN_MAX]; /* a write token of project p */
  int64_t reg_q, reg_q2, reg_p;
  int64_t b_old, b_found, b_running, b_free;
} fixture;

static fixture F;

/* GET path with token: the status, and the JSON answer in *out (the caller decrefs). */
static long get(unsigned short port, const char *path, const char *token, json_t **out) {
  long status;
  *out = qbt_get_json(port, path, token, &status);
  return status;
}

static const char *error_code(json_t *v) {
  return json_string_value(json_object_get(json_object_get(v, "error"), "code"));
}

/* Upload one qbdb-native run of project with benchmarks parse/config and walk at commit sha. */
static int upload(const char *project, const char *sha, const char *time, double level) {
  char body[1024], path[128];
  snprintf(body, sizeof body,
           "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"%s\",\"branch\":\"main\","
           "\"machine\":\"vm\",\"commit\":\"%s\",\"started_at\":\"%s\"}\n"
           "{\"name\":\"parse/config\",\"unit\":\"ns\",\"iterations\":100,"
           "\"samples\":[%g,%g,%g]}\n"
           "{\"name\":\"walk\",\"unit\":\"ns\",\"iterations\":100,\"samples\":[%g,%g,%g]}\n",
           project, sha, time, level, level + 1, level + 2, 2 * level, 2 * level + 1,
           2 * level + 2);
  snprintf(path, sizeof path, "/api/v1/runs?format=native&project=%s", project);
  qbt_answer a;
  qbt_http(F.port, "POST", path, !strcmp(project, "q") ? F.tok : F.tok_p, NULL, body, strlen(body),
           &a);
  if (a.status != 201) fprintf(stderr, "upload %s: %ld %s\n", sha, a.status, a.body.data);
  qb_buf_dispose(&a.body);
  return a.status == 201 ? 0 : -1;
}

/* A regression record of bench's latency series in project between its two runs. */
static int add_regression(qb_store *s, const char *project, const char *bench, int64_t *id,
                          qb_err *err) {
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  f.project = project;
  f.metric = "latency";
  f.bench = bench;
  qb_series_info *ser = NULL;
  size_t n_ser = 0;
  qb_regression *regs = NULL;
  size_t n = 0;
  int rc = qb_store_series_list(s, &f, &ser, &n_ser, err);
  if (rc || n_ser != 1) {
    if (!rc) fprintf(stderr, "%s %s: %zu series\n", project, bench, n_ser);
    rc = rc ? rc : -1;
    goto done;
  }
  qb_run_filter rf = QB_RUN_FILTER_INIT;
  rf.project = project;
  qb_run_info *runs = NULL;
  size_t n_runs = 0;
  if ((rc = qb_store_list_runs(s, &rf, &runs, &n_runs, err))) goto done;
  qb_regression rec = {0};
  rec.run_id = runs[0].id; /* newest first */
  rec.prev_run_id = runs[1].id;
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = 1000;
  rec.after = 1100;
  rec.change_pct = 10;
  rec.p_value = 1e-4;
  rec.position = 1;
  qb_run_infos_free(runs, n_runs);
  if ((rc = qb_store_regressions_replace(s, ser[0].id, &rec, 1, err)) ||
      (rc = qb_store_regressions_list(s, NULL, &regs, &n, err)))
    goto done;
  for (size_t i = 0; i < n; i++)
    if (regs[i].series_id == ser[0].id) *id = regs[i].id;
done:
  qb_regressions_free(regs, n);
  qb_series_infos_free(ser, n_ser);
  return rc;
}

/* Store a session of regression reg (0: --good/--bad) of project. */
static int add_bisect(qb_store *s, const char *project, int64_t reg, const char *status,
                      const char *state, int64_t started, int64_t *id, qb_err *err) {
  qb_bisect_record r = {0};
  r.regression_id = reg;
  r.project = (char *)project;
  r.benchmark = "parse/config";
  r.metric = "latency";
  r.machine = "vm";
  r.good_commit = GOOD;
  r.bad_commit = BAD;
  r.status = "running";
  r.state = "{}";
  r.started_at = started;
  int rc = qb_store_bisect_add(s, &r, id, err);
  if (!rc) rc = qb_store_bisect_update(s, *id, status, state, started + 5000000, err);
  return rc;
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (qbt_db_with_token(TMP, "bisect.db", "ci", "q", F.db, sizeof F.db, F.tok)) return -1;
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t tid;
  if (qb_store_open(&s, F.db, 0, &err) ||
      qb_token_create(s, "ci-p", "p", "write", F.tok_p, &tid, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  qb_server_opts o = {
      .db = F.db, .host = "127.0.0.1", .threads = 2, .max_body = 1 << 20, .public_read = 0};
  if (qbt_serve(&o, &F.srv, &F.port)) return -1;
  o.public_read = 1;
  if (qbt_serve(&o, &F.pub, &F.pub_port)) return -1;
  if (upload("q", GOOD, "2026-01-01T00:00:00Z", 1000) ||
      upload("q", BAD, "2026-01-01T01:00:00Z", 1100) ||
      upload("p", GOOD, "2026-01-01T00:00:00Z", 1000) ||
      upload("p", BAD, "2026-01-01T02:00:00Z", 1100))
    return -1;
  int rc;
  if ((rc = qb_store_open(&s, F.db, 0, &err))) goto fail;
  /* records: q's parse/config (two sessions, the newest found), q's walk (none), p's parse/config
   * (running); a --good/--bad session of q, the newest of all, belongs to no record */
  if ((rc = add_regression(s, "q", "parse/config", &F.reg_q, &err)) ||
      (rc = add_regression(s, "q", "walk", &F.reg_q2, &err)) ||
      (rc = add_regression(s, "p", "parse/config", &F.reg_p, &err)) ||
      (rc = qb_store_setting_set(s, "q", "", "repo_url", 0, REPO_URL, &err)) ||
      (rc = add_bisect(s, "q", F.reg_q, "failed", "{\"format\": 1, \"observations\": []}",
                       1800000000000000LL, &F.b_old, &err)) ||
      (rc = add_bisect(s, "q", F.reg_q, "done", STATE_FOUND, 1800000100000000LL, &F.b_found,
                       &err)) ||
      (rc = add_bisect(s, "p", F.reg_p, "running", STATE_RUNNING, 1800000200000000LL, &F.b_running,
                       &err)) ||
      (rc = add_bisect(s, "q", 0, "done", STATE_NOT_REPRODUCED, 1800000300000000LL, &F.b_free,
                       &err)))
    goto fail;
  qb_store_close(s);
  return F.reg_q && F.reg_q2 && F.reg_p ? 0 : -1;
fail:
  fprintf(stderr, "setup: %s\n", err.msg);
  return -1;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  qb_server_stop(F.pub);
  curl_global_cleanup();
  return 0;
}

/* The record with id in a GET /regressions answer (borrowed), failing when absent. */
static json_t *record(json_t *list, int64_t id) {
  size_t i;
  json_t *x;
  json_array_foreach(list, i, x) if (json_integer_value(json_object_get(x, "id")) == id) return x;
  fail_msg("no record %lld in the answer", (long long)id);
  return NULL;
}

/* q's record shows its newest session: found, the culprits in history order. */
static void check_found(json_t *b) {
  assert_true(json_is_object(b));
  assert_int_equal(json_integer_value(json_object_get(b, "id")), F.b_found);
  assert_string_equal(json_string_value(json_object_get(b, "status")), "done");
  assert_string_equal(json_string_value(json_object_get(b, "outcome")), "found");
  assert_string_equal(json_string_value(json_object_get(b, "machine")), "vm");
  assert_string_equal(json_string_value(json_object_get(b, "good")), GOOD);
  assert_string_equal(json_string_value(json_object_get(b, "bad")), BAD);
  assert_string_equal(json_string_value(json_object_get(b, "started_at")), "2027-01-15T08:01:40Z");
  assert_string_equal(json_string_value(json_object_get(b, "updated_at")), "2027-01-15T08:01:45Z");
  assert_int_equal(json_integer_value(json_object_get(b, "runs")), 52);
  assert_true(qbt_close(json_number_value(json_object_get(b, "seconds")), 7.25, 1e-12));
  assert_string_equal(json_string_value(json_object_get(b, "repo_url")), REPO_URL);
  json_t *c = json_object_get(b, "culprits");
  assert_int_equal(json_array_size(c), 2);
  json_t *c0 = json_array_get(c, 0), *c1 = json_array_get(c, 1);
  assert_string_equal(json_string_value(json_object_get(c0, "after")), MID);
  assert_true(json_is_false(json_object_get(c0, "confirmed")));
  assert_true(qbt_close(json_number_value(json_object_get(c0, "change_pct")), 2.9, 1e-12));
  assert_string_equal(json_string_value(json_object_get(c1, "before")), MID);
  assert_string_equal(json_string_value(json_object_get(c1, "after")), CULPRIT);
  assert_int_equal(json_integer_value(json_object_get(c1, "commits")), 3);
  assert_string_equal(json_string_value(json_object_get(c1, "subject")),
                      "commit 23: make parse/config 10% slower");
  assert_true(qbt_close(json_number_value(json_object_get(c1, "change_pct")), 8.875, 1e-12));
  assert_true(json_is_true(json_object_get(c1, "confirmed")));
  assert_int_equal(json_object_size(c1), 6);
  assert_int_equal(json_object_size(b), 12);
}

static void test_bisect_api__regressions(void **state) {
  (void)state;
  json_t *v;
  /* every project (the sessions of all of them in one listing) */
  assert_int_equal(get(F.port, "/api/v1/regressions?all=true", F.tok, &v), 200);
  assert_int_equal(json_array_size(v), 3);
  check_found(json_object_get(record(v, F.reg_q), "bisect"));
  assert_true(json_is_null(json_object_get(record(v, F.reg_q2), "bisect")));
  json_t *run = json_object_get(record(v, F.reg_p), "bisect");
  assert_int_equal(json_integer_value(json_object_get(run, "id")), F.b_running);
  assert_string_equal(json_string_value(json_object_get(run, "status")), "running");
  assert_true(json_is_null(json_object_get(run, "outcome")));
  assert_int_equal(json_array_size(json_object_get(run, "culprits")), 0);
  assert_int_equal(json_integer_value(json_object_get(run, "runs")), 2); /* so far */
  assert_true(qbt_close(json_number_value(json_object_get(run, "seconds")), 4.0, 1e-12));
  assert_true(json_is_null(json_object_get(run, "repo_url"))); /* p has none */
  json_decref(v);
  /* one project (its sessions only), the default filter (open regressions) */
  assert_int_equal(get(F.port, "/api/v1/regressions?project=q", F.tok, &v), 200);
  assert_int_equal(json_array_size(v), 2);
  check_found(json_object_get(record(v, F.reg_q), "bisect"));
  assert_true(json_is_null(json_object_get(record(v, F.reg_q2), "bisect")));
  json_decref(v);
  /* a read: no token 401, another project's token 200, a public server needs none */
  assert_int_equal(get(F.port, "/api/v1/regressions", NULL, &v), 401);
  json_decref(v);
  assert_int_equal(get(F.port, "/api/v1/regressions?project=q", F.tok_p, &v), 200);
  check_found(json_object_get(record(v, F.reg_q), "bisect"));
  json_decref(v);
  assert_int_equal(get(F.pub_port, "/api/v1/regressions?project=q", NULL, &v), 200);
  check_found(json_object_get(record(v, F.reg_q), "bisect"));
  json_decref(v);
}

/* The triage answer is the record as GET /regressions shows it, its session included. */
static void test_bisect_api__triage(void **state) {
  (void)state;
  char path[64];
  snprintf(path, sizeof path, "/api/v1/regressions/%lld", (long long)F.reg_q);
  const char *body = "{\"status\": \"acknowledged\", \"note\": \"bisected\"}";
  qbt_answer a;
  qbt_http(F.port, "PATCH", path, F.tok, NULL, body, strlen(body), &a);
  assert_int_equal(a.status, 200);
  json_t *v = qbt_body_json(&a);
  qb_buf_dispose(&a.body);
  assert_string_equal(json_string_value(json_object_get(v, "status")), "acknowledged");
  check_found(json_object_get(v, "bisect"));
  json_decref(v);
  snprintf(path, sizeof path, "/api/v1/regressions/%lld", (long long)F.reg_q2);
  qbt_http(F.port, "PATCH", path, F.tok, NULL, body, strlen(body), &a);
  assert_int_equal(a.status, 200);
  v = qbt_body_json(&a);
  qb_buf_dispose(&a.body);
  assert_true(json_is_null(json_object_get(v, "bisect")));
  assert_non_null(json_object_get(v, "bisect"));
  json_decref(v);
  /* back to open, for the other tests' default listing */
  body = "{\"status\": \"open\"}";
  snprintf(path, sizeof path, "/api/v1/regressions/%lld", (long long)F.reg_q);
  qbt_http(F.port, "PATCH", path, F.tok, NULL, body, strlen(body), &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
  snprintf(path, sizeof path, "/api/v1/regressions/%lld", (long long)F.reg_q2);
  qbt_http(F.port, "PATCH", path, F.tok, NULL, body, strlen(body), &a);
  assert_int_equal(a.status, 200);
  qb_buf_dispose(&a.body);
}

static void test_bisect_api__session(void **state) {
  (void)state;
  char path[64];
  json_t *v;
  snprintf(path, sizeof path, "/api/v1/bisects/%lld", (long long)F.b_found);
  assert_int_equal(get(F.port, path, F.tok, &v), 200);
  /* qb_view_bisect's fields, as in the record's "bisect" (without repo_url there) */
  assert_string_equal(json_string_value(json_object_get(v, "outcome")), "found");
  assert_int_equal(json_array_size(json_object_get(v, "culprits")), 2);
  assert_string_equal(json_string_value(json_object_get(v, "project")), "q");
  assert_int_equal(json_integer_value(json_object_get(v, "regression_id")), F.reg_q);
  assert_string_equal(json_string_value(json_object_get(v, "benchmark")), "parse/config");
  assert_string_equal(json_string_value(json_object_get(v, "metric")), "latency");
  assert_string_equal(json_string_value(json_object_get(v, "repo_url")), REPO_URL);
  assert_true(qbt_close(json_number_value(json_object_get(v, "good_level")), 1969.5, 1e-12));
  assert_true(qbt_close(json_number_value(json_object_get(v, "bad_level")), 2155.25, 1e-12));
  assert_true(qbt_close(json_number_value(json_object_get(v, "change_pct")), 9.43, 1e-12));
  assert_true(qbt_close(json_number_value(json_object_get(v, "alpha")), 0.01, 1e-12));
  assert_int_equal(json_integer_value(json_object_get(v, "fixed_runs")), 4);
  assert_int_equal(json_integer_value(json_object_get(v, "invocations")), 53);
  json_t *tests = json_object_get(v, "tests"), *steps = json_object_get(v, "steps");
  assert_int_equal(json_array_size(tests), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(tests, 1), "verdict")),
                      "like good");
  assert_true(qbt_close(json_number_value(json_object_get(json_array_get(tests, 1), "p_bad")),
                        0.0021, 1e-12));
  assert_true(json_is_null(json_object_get(json_array_get(tests, 0), "p_good")));
  assert_int_equal(json_array_size(steps), 2);
  assert_true(qbt_close(json_number_value(json_object_get(json_array_get(steps, 1), "level_after")),
                        2205.75, 1e-12));
  /* the command's argv, not where it ran (the state's repo path stays in the database) */
  json_t *cmd = json_object_get(v, "command");
  assert_int_equal(json_array_size(cmd), 2);
  assert_string_equal(json_string_value(json_array_get(cmd, 0)), "make");
  assert_string_equal(json_string_value(json_array_get(cmd, 1)), "bench");
  char *text = json_dumps(v, 0);
  assert_null(strstr(text, "/home/me/src/q"));
  free(text);
  json_decref(v);
  /* running: no result yet */
  snprintf(path, sizeof path, "/api/v1/bisects/%lld", (long long)F.b_running);
  assert_int_equal(get(F.port, path, F.tok_p, &v), 200);
  assert_string_equal(json_string_value(json_object_get(v, "status")), "running");
  assert_true(json_is_null(json_object_get(v, "outcome")));
  assert_true(json_is_null(json_object_get(v, "good_level")));
  assert_int_equal(json_array_size(json_object_get(v, "tests")), 0);
  assert_int_equal(json_integer_value(json_object_get(v, "runs")), 2);
  assert_string_equal(json_string_value(json_array_get(json_object_get(v, "command"), 2)),
                      "make b");
  json_decref(v);
  /* --good/--bad: nobody's record, not reproduced */
  snprintf(path, sizeof path, "/api/v1/bisects/%lld", (long long)F.b_free);
  assert_int_equal(get(F.port, path, F.tok, &v), 200);
  assert_true(json_is_null(json_object_get(v, "regression_id")));
  assert_string_equal(json_string_value(json_object_get(v, "outcome")), "not reproduced");
  assert_int_equal(json_integer_value(json_object_get(v, "runs")), 10);
  assert_true(json_is_null(json_object_get(v, "command")));
  json_decref(v);
}

static void test_bisect_api__errors_and_tokens(void **state) {
  (void)state;
  char path[64];
  json_t *v;
  snprintf(path, sizeof path, "/api/v1/bisects/%lld", (long long)F.b_free + 100);
  assert_int_equal(get(F.port, path, F.tok, &v), 404);
  assert_string_equal(error_code(v), "not_found");
  json_decref(v);
  assert_int_equal(get(F.port, "/api/v1/bisects/x1", F.tok, &v), 400);
  assert_string_equal(error_code(v), "bad_request");
  json_decref(v);
  assert_int_equal(get(F.port, "/api/v1/bisects/0", F.tok, &v), 400);
  json_decref(v);
  snprintf(path, sizeof path, "/api/v1/bisects/%lld", (long long)F.b_found);
  /* no token, a token that is not one: 401, before anything says whether the session exists */
  assert_int_equal(get(F.port, path, NULL, &v), 401);
  assert_string_equal(error_code(v), "unauthorized");
  json_decref(v);
  assert_int_equal(get(F.port, "/api/v1/bisects/999999", NULL, &v), 401);
  json_decref(v);
  assert_int_equal(get(F.port, path, "qbdb_0000000000000000", &v), 401);
  json_decref(v);
  /* any valid token reads it, as every GET route (another project's write token too) */
  assert_int_equal(get(F.port, path, F.tok_p, &v), 200);
  assert_int_equal(json_integer_value(json_object_get(v, "id")), F.b_found);
  json_decref(v);
  /* a --public-read server: no token needed */
  assert_int_equal(get(F.pub_port, path, NULL, &v), 200);
  assert_string_equal(json_string_value(json_object_get(v, "outcome")), "found");
  json_decref(v);
  /* described in the OpenAPI document */
  assert_int_equal(get(F.port, "/api/v1/openapi.json", NULL, &v), 200);
  assert_non_null(json_object_get(json_object_get(v, "paths"), "/api/v1/bisects/{id}"));
  json_decref(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bisect_api__regressions),
      cmocka_unit_test(test_bisect_api__triage),
      cmocka_unit_test(test_bisect_api__session),
      cmocka_unit_test(test_bisect_api__errors_and_tokens),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

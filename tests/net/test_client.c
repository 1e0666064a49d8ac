/* tests/net/test_client.c - the HTTP client (net/client.c: qb_upload, qb_http_get) against a
 * real HTTP peer: a small libmicrohttpd server in this process on 127.0.0.1 (a free port) that
 * answers from a script and records every request as it saw it (raw URI, decoded arguments,
 * headers, body, arrival time); then against a real qbdb server (http/server.h, in this process
 * on 127.0.0.1) for the baseline options, the answer's verdict and the Qbdb-Verdict header; the
 * server's database is SQLite, or PostgreSQL in the twin api_test_client_pg.
 * Backoffs are a few milliseconds so the whole file runs in a few seconds.
 *
 * Time and load (the suite runs on a loaded 2-core machine, under ASan and valgrind): a duration
 * is checked only as a lower bound (a backoff or a timeout cannot end early) or as an upper bound
 * far above what the work needs; a request the client must abandon is held by the peer until the
 * client hangs up (PEER_HOLD), never for a fixed time the client is expected to outlast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "service/auth.h"
#include "net/client.h"
#include "http/server.h"
#include "tests/http_peer.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "tests/dbutil.h"

#define TMP QB_TEST_TMP "/api_client"

/* ---- the scripted peer: tests/http_peer.h ---- */

/* The query of a raw URI (after '?'), "" without one. */
static const char *query_of(const char *uri) {
  const char *q = strchr(uri, '?');
  return q ? q + 1 : "";
}

/* Fast test options against p: 1 ms backoff. */
static qb_upload_opts fast_opts(const peer *p) {
  qb_upload_opts o = QB_UPLOAD_OPTS_INIT;
  o.server = p->url;
  o.backoff_ms = 1;
  return o;
}

#define OK_BODY                                                                                    \
  "{\"run\": {\"id\": 42, \"project\": \"p\", \"branch\": \"main\", \"machine\": \"ci\", "         \
  "\"commit\": \"abc123\", \"format\": \"native\", \"n_benchmarks\": 3, \"n_results\": 3, "        \
  "\"n_samples\": 30}, \"existed\": false, "                                                       \
  "\"compare\": {\"base\": {\"id\": 41}, \"head\": {\"id\": 42}, \"rows\": [], "                   \
  "\"summary\": {\"regressions\": 2, \"improvements\": 1, \"unchanged\": 0, "                      \
  "\"worst_regression\": \"major\", \"geomean_change_pct\": 4.5}}, "                               \
  "\"regressions\": [{\"id\": 7, \"kind\": \"regression\", \"severity\": \"moderate\"}], "         \
  "\"targets_broken\": [{\"benchmark\": \"sort/100\", \"metric\": \"time\", \"unit\": \"ns\", "    \
  "\"op\": \"<\", \"value\": 2500000, \"target\": 2000000}], "                                     \
  "\"grade\": {\"score\": 71.5, \"letter\": \"C+\"}}"

#define REPLAY_BODY                                                                                \
  "{\"run\": {\"id\": 42, \"project\": \"p\"}, \"existed\": true, \"compare\": null, "             \
  "\"regressions\": [], \"targets_broken\": [], \"grade\": null}"

#define ERR_BODY(code, msg) "{\"error\": {\"code\": \"" code "\", \"message\": \"" msg "\"}}"

static const char DATA[] = "{\"qbdb-native\": 1}\n{\"name\": \"sort/100\"}\n";

/* ---- tests ---- */

/* 503, 503, 201: three requests with the same key, the token, the body; the answer parsed. */
static void test_client__retry_until_stored(void **state) {
  (void)state;
  static const reply script[] = {
      {503, ERR_BODY("internal", "busy"), 0}, {503, "", 0}, {201, OK_BODY, 0}};
  peer *p = peer_start(script, 3, "");
  qb_upload_opts o = fast_opts(p);
  o.token = "s3cret";
  o.project = "p";
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  int rc = qb_upload(&res, &o, "run.jsonl", DATA, sizeof DATA - 1, &err);
  peer_stop(p);
  assert_int_equal(rc, QB_OK);
  assert_int_equal(res.attempts, 3);
  assert_int_equal(res.status, 201);
  assert_int_equal(p->n_reqs, 3);
  /* the key: sha256(content "\n" query), the same on every attempt */
  char want[65];
  qb_sha256 sh;
  qb_sha256_init(&sh);
  qb_sha256_update(&sh, DATA, sizeof DATA - 1);
  qb_sha256_update(&sh, "\n", 1);
  qb_sha256_update(&sh, query_of(p->reqs[0].uri), strlen(query_of(p->reqs[0].uri)));
  qb_sha256_hex(&sh, want);
  assert_string_equal(res.idempotency_key, want);
  for (size_t i = 0; i < 3; i++) {
    const seen *s = &p->reqs[i];
    assert_string_equal(s->method, "POST");
    assert_string_equal(s->uri, "/api/v1/runs?project=p");
    assert_string_equal(s->key, want);
    assert_string_equal(s->auth, "Bearer s3cret");
    assert_string_equal(s->ctype, "application/octet-stream");
    assert_int_equal(s->body_len, sizeof DATA - 1);
    assert_memory_equal(s->body, DATA, sizeof DATA - 1);
  }
  assert_int_equal(res.run_id, 42);
  assert_false(res.existed);
  assert_string_equal(res.project, "p");
  assert_string_equal(res.branch, "main");
  assert_string_equal(res.machine, "ci");
  assert_string_equal(res.commit, "abc123");
  assert_string_equal(res.format, "native");
  assert_int_equal(res.n_benchmarks, 3);
  assert_int_equal(res.n_samples, 30);
  assert_true(res.has_compare);
  assert_int_equal(res.base_run_id, 41);
  assert_int_equal(res.regressions, 2);
  assert_int_equal(res.improvements, 1);
  assert_int_equal(res.worst, QB_SEV_MAJOR);
  assert_true(res.geomean_change_pct == 4.5);
  assert_int_equal(res.n_detected, 1);
  assert_int_equal(res.n_broken, 1);
  assert_string_equal(res.broken[0].benchmark, "sort/100");
  assert_string_equal(res.broken[0].op, "<");
  assert_string_equal(res.broken[0].unit, "ns");
  assert_true(res.broken[0].value == 2.5e6 && res.broken[0].target == 2e6);
  assert_true(res.has_grade);
  assert_true(res.score == 71.5);
  assert_string_equal(res.letter, "C+");
  assert_int_equal(qb_upload_worst(&res), QB_SEV_MAJOR);
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* Every value is escaped (curl_easy_escape: all but A-Z a-z 0-9 - . _ ~), tags as KEY=VALUE in
 * order; the peer decodes them back exactly; binary content arrives intact; no token, no
 * Authorization header. */
static void test_client__query_escaping(void **state) {
  (void)state;
  static const reply script[] = {{201, OK_BODY, 0}};
  peer *p = peer_start(script, 1, "");
  qb_tag tags[] = {{"os", "linux 6.1/x86"}, {"note", "100%=sure"}};
  qb_upload_opts o = fast_opts(p);
  o.format = "native";
  o.project = "my proj&x=1";
  o.branch = "feat/a+b";
  o.commit = "abc123";
  o.machine = "ci #1";
  o.tags = tags;
  o.n_tags = 2;
  static const char bin[] = "a\0b\xff\n";
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "-", bin, sizeof bin - 1, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 1);
  const seen *s = &p->reqs[0];
  assert_string_equal(s->uri, "/api/v1/runs?format=native&project=my%20proj%26x%3D1"
                              "&branch=feat%2Fa%2Bb&commit=abc123&machine=ci%20%231"
                              "&tag=os%3Dlinux%206.1%2Fx86&tag=note%3D100%25%3Dsure");
  static const char *want[][2] = {{"format", "native"},     {"project", "my proj&x=1"},
                                  {"branch", "feat/a+b"},   {"commit", "abc123"},
                                  {"machine", "ci #1"},     {"tag", "os=linux 6.1/x86"},
                                  {"tag", "note=100%=sure"}};
  assert_int_equal(s->n_args, 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(s->args[i][0], want[i][0]);
    assert_string_equal(s->args[i][1], want[i][1]);
  }
  assert_string_equal(s->auth, "");
  assert_int_equal(s->body_len, sizeof bin - 1);
  assert_memory_equal(s->body, bin, sizeof bin - 1);
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* A re-run of the same upload sends the same key (the server answers 200, a replay); other
 * content or another query gives another key. A server URL with a trailing / works. */
static void test_client__same_key_on_rerun(void **state) {
  (void)state;
  static const reply script[] = {{201, OK_BODY, 0}, {200, REPLAY_BODY, 0}};
  peer *p = peer_start(script, 2, "");
  char url[sizeof p->url + 2];
  snprintf(url, sizeof url, "%s/", p->url);
  qb_upload_opts o = fast_opts(p);
  o.server = url;
  o.project = "p";
  qb_upload_result a, b, c, d;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&a, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_int_equal(qb_upload(&b, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_false(a.existed);
  assert_true(b.existed);
  assert_int_equal(b.status, 200);
  assert_int_equal(b.run_id, 42);
  assert_false(b.has_compare);
  assert_false(b.has_grade);
  assert_int_equal(b.n_broken, 0);
  assert_int_equal(qb_upload_worst(&b), QB_SEV_NONE);
  assert_string_equal(a.idempotency_key, b.idempotency_key);
  assert_int_equal(qb_upload(&c, &o, "x", DATA, sizeof DATA - 2, &err), QB_OK);
  o.project = "q";
  assert_int_equal(qb_upload(&d, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_string_not_equal(a.idempotency_key, c.idempotency_key);
  assert_string_not_equal(a.idempotency_key, d.idempotency_key);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 4);
  assert_string_equal(p->reqs[0].uri, "/api/v1/runs?project=p");
  assert_string_equal(p->reqs[0].key, p->reqs[1].key);
  qb_upload_result_dispose(&a);
  qb_upload_result_dispose(&b);
  qb_upload_result_dispose(&c);
  qb_upload_result_dispose(&d);
  peer_free(p);
}

/* A 4xx other than 429 is final at once and maps to its code with the server's message. */
static void test_client__4xx_not_retried(void **state) {
  (void)state;
  static const struct {
    unsigned status;
    const char *body;
    int code;
    const char *words, *msg;
  } cases[] = {
      {400, ERR_BODY("bad_request", "tag: expected k=v"), QB_EFORMAT, "bad request (400)",
       "tag: expected k=v"},
      {401, ERR_BODY("unauthorized", "unauthorized: no valid token"), QB_EUSAGE,
       "unauthorized (401): no valid token", "no valid token"},
      {403, ERR_BODY("forbidden", "token limited to project q"), QB_EUSAGE, "forbidden (403)",
       "token limited to project q"},
      {404, ERR_BODY("not_found", "no such route"), QB_ENOTFOUND, "not found (404)",
       "no such route"},
      {413, ERR_BODY("too_large", "body over 64 MiB"), QB_EFORMAT, "too large (413)",
       "body over 64 MiB"},
      {422, ERR_BODY("unprocessable", "<upload>: line 2: name: expected a string"), QB_EFORMAT,
       "unprocessable (422)", "line 2: name: expected a string"},
      {409, "", QB_EUSAGE, "conflict (409)", ""},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    reply script[] = {{cases[k].status, cases[k].body, 0}, {201, OK_BODY, 0}};
    peer *p = peer_start(script, 2, "");
    qb_upload_opts o = fast_opts(p);
    qb_upload_result res;
    qb_err err = QB_ERR_INIT;
    int rc = qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err);
    peer_stop(p);
    assert_int_equal(rc, cases[k].code);
    assert_int_equal(err.code, cases[k].code);
    assert_int_equal(res.attempts, 1);
    assert_int_equal(res.status, cases[k].status);
    assert_int_equal(p->n_reqs, 1);
    assert_null(res.answer);
    assert_non_null(strstr(err.msg, "run.json: upload to "));
    assert_non_null(strstr(err.msg, p->url));
    assert_non_null(strstr(err.msg, cases[k].words));
    assert_non_null(strstr(err.msg, cases[k].msg));
    qb_upload_result_dispose(&res);
    peer_free(p);
  }
}

/* 429 and 5xx are retried; after max_attempts the last answer is QB_EIO with its message. */
static void test_client__gives_up_after_max_attempts(void **state) {
  (void)state;
  static const reply always[] = {{503, ERR_BODY("internal", "database is locked"), 0}};
  peer *p = peer_start(always, 1, "");
  qb_upload_opts o = fast_opts(p);
  o.max_attempts = 4;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_EIO);
  peer_stop(p);
  assert_int_equal(res.attempts, 4);
  assert_int_equal(p->n_reqs, 4);
  assert_non_null(strstr(err.msg, "server error (503): database is locked, after 4 attempts"));
  qb_upload_result_dispose(&res);
  peer_free(p);

  static const reply busy[] = {{429, ERR_BODY("too_many", "slow down"), 0}, {201, OK_BODY, 0}};
  p = peer_start(busy, 2, "");
  o = fast_opts(p);
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_int_equal(res.attempts, 2);
  qb_upload_result_dispose(&res);
  peer_free(p);

  /* a plain-text 502 (a proxy): its first line is the message */
  static const reply proxy[] = {{502, "Bad Gateway\n<html>...</html>", 0}};
  p = peer_start(proxy, 1, "");
  o = fast_opts(p);
  o.max_attempts = 2;
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_EIO);
  assert_int_equal(res.attempts, 2);
  assert_non_null(strstr(err.msg, "server error (502): Bad Gateway, after 2 attempts"));
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* A 503 with Retry-After (a database restarting or failing over) is retried beyond the attempts,
 * for up to a minute in all: six of them, then a 201, give a stored run after seven requests;
 * without Retry-After the attempts still end it. */
static void test_client__retry_after_is_waited_out(void **state) {
  (void)state;
  static const reply script[] = {{503, ERR_BODY("unavailable", "database restarting"), 0},
                                 {503, ERR_BODY("unavailable", "x"), 0},
                                 {503, ERR_BODY("unavailable", "x"), 0},
                                 {503, ERR_BODY("unavailable", "x"), 0},
                                 {503, ERR_BODY("unavailable", "x"), 0},
                                 {503, ERR_BODY("unavailable", "x"), 0},
                                 {201, OK_BODY, 0}};
  for (int with_header = 1; with_header >= 0; with_header--) {
    peer *p = peer_start(script, 7, "");
    p->retry_after = with_header ? "0" : NULL;
    qb_upload_opts o = fast_opts(p);
    o.max_attempts = 3;
    qb_upload_result res;
    qb_err err = QB_ERR_INIT;
    int rc = qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err);
    peer_stop(p);
    if (with_header) {
      assert_int_equal(rc, QB_OK);
      assert_int_equal(res.attempts, 7);
      assert_int_equal(p->n_reqs, 7);
      for (size_t i = 1; i < p->n_reqs; i++) /* the same request every time */
        assert_string_equal(p->reqs[i].key, p->reqs[0].key);
    } else {
      assert_int_equal(rc, QB_EIO);
      assert_int_equal(res.attempts, 3);
    }
    qb_upload_result_dispose(&res);
    peer_free(p);
  }
}

/* The waits double: 30, 60, 120 ms between the four arrivals (at least: a loaded machine only
 * makes them longer; the upper bound only catches a wait far off the doubling). */
static void test_client__backoff_doubles(void **state) {
  (void)state;
  static const reply script[] = {{500, "", 0}, {500, "", 0}, {500, "", 0}, {201, OK_BODY, 0}};
  peer *p = peer_start(script, 4, "");
  qb_upload_opts o = fast_opts(p);
  o.backoff_ms = 30;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  double t0 = now_ms();
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_OK);
  double took = now_ms() - t0;
  peer_stop(p);
  assert_int_equal(p->n_reqs, 4);
  for (size_t i = 1; i < 4; i++) {
    double gap = p->reqs[i].at_ms - p->reqs[i - 1].at_ms, want = 30.0 * (double)(1 << (i - 1));
    if (gap < want) fprintf(stderr, "gap %zu: %.1f ms, want >= %.0f\n", i, gap, want);
    assert_true(gap >= want);
  }
  if (took < 210.0 || took >= 120000.0) fail_msg("backoff: %.0f ms, want 210 ms to 120 s", took);
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* Nothing listens: every attempt is refused, then QB_EIO naming the server. */
static void test_client__refused_connection(void **state) {
  (void)state;
  /* a bound socket that never listens: the port is ours and connecting to it is refused */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
  qb_upload_opts o = QB_UPLOAD_OPTS_INIT;
  o.server = url;
  o.backoff_ms = 1;
  o.max_attempts = 3;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_EIO);
  assert_int_equal(res.attempts, 3);
  assert_int_equal(res.status, 0);
  assert_non_null(strstr(err.msg, url));
  assert_non_null(strstr(err.msg, "cannot reach the server"));
  assert_non_null(strstr(err.msg, "after 3 attempts"));
  qb_upload_result_dispose(&res);
  close(fd);
}

/* A request that outlasts timeout_ms is abandoned and retried: the peer never answers the first
 * (it holds it until the client hangs up), answers the second at once; the timeout is long
 * enough for that answer however slow the machine. */
static void test_client__timeout_retried(void **state) {
  (void)state;
  static const reply script[] = {{201, OK_BODY, PEER_HOLD}, {201, OK_BODY, 0}};
  peer *p = peer_start(script, 2, "");
  qb_upload_opts o = fast_opts(p);
  o.timeout_ms = 5000;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  double t0 = now_ms();
  int rc = qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err);
  double took = now_ms() - t0;
  if (rc != QB_OK) fail_msg("upload: %s", err.msg);
  assert_int_equal(res.attempts, 2);
  assert_int_equal(res.run_id, 42);
  /* the first attempt waited for its whole timeout (libcurl's clock: a few ms of slack) */
  if (took < 4950.0) fail_msg("the first attempt gave up after %.0f ms, before its 5000", took);
  assert_true(peer_await(p, 0, "timeout_retried: the abandoned first attempt"));
  peer_stop(p);
  assert_int_equal(p->n_reqs, 2);
  assert_false(p->reqs[1].hung_up);
  assert_string_equal(p->reqs[0].key, p->reqs[1].key);
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* A 2xx that is not the documented answer is QB_EIO, not retried. */
static void test_client__bad_answer(void **state) {
  (void)state;
  static const reply script[] = {{201, "<html>hello</html>", 0}, {201, "{\"run\": {}}", 0}};
  peer *p = peer_start(script, 2, "");
  qb_upload_opts o = fast_opts(p);
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_EIO);
  assert_int_equal(res.attempts, 1);
  assert_non_null(strstr(err.msg, "not a JSON object"));
  qb_upload_result_dispose(&res);
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_EIO);
  assert_non_null(strstr(err.msg, "run.id: expected an integer"));
  qb_upload_result_dispose(&res);
  peer_free(p);
}

/* Misuse is QB_EUSAGE before anything is sent. */
static void test_client__bad_options(void **state) {
  (void)state;
  qb_upload_opts o = QB_UPLOAD_OPTS_INIT;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "x", DATA, 3, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "no server URL"));
  qb_upload_result_dispose(&res);
  o.server = "ftp://127.0.0.1:1";
  assert_int_equal(qb_upload(&res, &o, "x", DATA, 3, &err), QB_EUSAGE);
  assert_int_equal(res.attempts, 1);
  qb_upload_result_dispose(&res);
  o.server = "http://127.0.0.1:1";
  o.token = "abc\r\nX-Evil: 1";
  assert_int_equal(qb_upload(&res, &o, "x", DATA, 3, &err), QB_EUSAGE);
  assert_int_equal(res.attempts, 0);
  qb_upload_result_dispose(&res);
  o.token = NULL;
  qb_tag bad = {"", "v"};
  o.tags = &bad;
  o.n_tags = 1;
  assert_int_equal(qb_upload(&res, &o, "x", DATA, 3, &err), QB_EUSAGE);
  qb_upload_result_dispose(&res);
}

/* A broken target alone makes the verdict major. */
static void test_client__worst(void **state) {
  (void)state;
  qb_upload_result r = {0};
  assert_int_equal(qb_upload_worst(&r), QB_SEV_NONE);
  r.has_compare = 1;
  r.regressions = 1;
  r.worst = QB_SEV_MINOR;
  assert_int_equal(qb_upload_worst(&r), QB_SEV_MINOR);
  r.n_broken = 1;
  assert_int_equal(qb_upload_worst(&r), QB_SEV_MAJOR);
  r.worst = QB_SEV_CRITICAL;
  assert_int_equal(qb_upload_worst(&r), QB_SEV_CRITICAL);
}

/* The baseline options go after the tags, in a fixed order, escaped, and are part of the key:
 * an upload with another baseline option is another upload. Unset ones are not sent. */
static void test_client__baseline_options_sent(void **state) {
  (void)state;
  static const reply script[] = {{201, OK_BODY, 0}};
  peer *p = peer_start(script, 1, "");
  qb_tag tags[] = {{"os", "linux"}};
  qb_upload_opts o = fast_opts(p);
  o.project = "p";
  o.tags = tags;
  o.n_tags = 1;
  o.base_ref = "main~1";
  o.base_branch = "release/2.x";
  o.base_branch_source = "$GITHUB_BASE_REF";
  o.base_commit = "abc123";
  o.base_runs = 5;
  o.any_machine = 1;
  o.all_metrics = 1;
  o.want_summary = 1;
  qb_upload_result a, b;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&a, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  o.base_runs = 0;
  o.any_machine = o.all_metrics = o.want_summary = 0;
  o.base_ref = o.base_branch = o.base_branch_source = o.base_commit = NULL;
  assert_int_equal(qb_upload(&b, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 2);
  const seen *s = &p->reqs[0];
  assert_string_equal(s->uri, "/api/v1/runs?project=p&tag=os%3Dlinux&base=main~1"
                              "&base_branch=release%2F2.x&base_branch_source=%24GITHUB_BASE_REF"
                              "&base_commit=abc123&base_runs=5&any_machine=true&all_metrics=true"
                              "&summary=markdown");
  static const char *want[][2] = {{"project", "p"},
                                  {"tag", "os=linux"},
                                  {"base", "main~1"},
                                  {"base_branch", "release/2.x"},
                                  {"base_branch_source", "$GITHUB_BASE_REF"},
                                  {"base_commit", "abc123"},
                                  {"base_runs", "5"},
                                  {"any_machine", "true"},
                                  {"all_metrics", "true"},
                                  {"summary", "markdown"}};
  assert_int_equal(s->n_args, 10);
  for (size_t i = 0; i < 10; i++) {
    assert_string_equal(s->args[i][0], want[i][0]);
    assert_string_equal(s->args[i][1], want[i][1]);
  }
  /* the key covers the whole query */
  char key[65];
  qb_sha256 sh;
  qb_sha256_init(&sh);
  qb_sha256_update(&sh, DATA, sizeof DATA - 1);
  qb_sha256_update(&sh, "\n", 1);
  qb_sha256_update(&sh, query_of(s->uri), strlen(query_of(s->uri)));
  qb_sha256_hex(&sh, key);
  assert_string_equal(a.idempotency_key, key);
  assert_string_equal(s->key, key);
  assert_string_equal(p->reqs[1].uri, "/api/v1/runs?project=p&tag=os%3Dlinux");
  assert_string_not_equal(a.idempotency_key, b.idempotency_key);
  qb_upload_result_dispose(&a);
  qb_upload_result_dispose(&b);
  /* base_runs out of range: refused before sending */
  o.base_runs = 51;
  assert_int_equal(qb_upload(&a, &o, "x", DATA, sizeof DATA - 1, &err), QB_EUSAGE);
  assert_int_equal(a.attempts, 0);
  qb_upload_result_dispose(&a);
  peer_free(p);
}

#define VERDICT_BODY                                                                               \
  "{\"run\": {\"id\": 9, \"project\": \"p\", \"branch\": \"feat\", \"machine\": \"ci\"}, "         \
  "\"existed\": false, \"compare\": {\"base\": {\"id\": 7}, "                                      \
  "\"baseline\": {\"rule\": \"base-branch\", \"reason\": \"inner\", \"runs\": [7]}, "              \
  "\"summary\": {\"regressions\": 3, \"improvements\": 1, \"unchanged\": 4, "                      \
  "\"worst_regression\": \"critical\", \"geomean_change_pct\": 2.5, \"other_regressions\": 1, "    \
  "\"noise_unknown\": 6, \"all_metrics\": false}, \"changed\": ["                                  \
  "{\"benchmark\": \"a\", \"metric\": \"latency\", \"unit\": \"ns\", \"change_pct\": 6.0, "        \
  "\"severity\": \"moderate\", \"verdict\": \"regression\", \"primary\": true}, "                  \
  "{\"benchmark\": \"b\", \"metric\": \"memory\", \"unit\": \"B\", \"change_pct\": 80.0, "         \
  "\"severity\": \"critical\", \"verdict\": \"regression\", \"primary\": false}, "                 \
  "{\"benchmark\": \"c\", \"metric\": \"latency\", \"change_pct\": -12.0, "                        \
  "\"severity\": \"major\", \"verdict\": \"improvement\", \"primary\": true}, "                    \
  "{\"benchmark\": \"d\", \"metric\": \"latency\", \"change_pct\": 30.0, "                         \
  "\"severity\": \"critical\", \"verdict\": \"regression\", \"primary\": true, "                   \
  "\"note\": \"noise unknown\"}, "                                                                 \
  "{\"benchmark\": \"e\", \"metric\": \"latency\", \"change_pct\": 7.5, "                          \
  "\"severity\": \"moderate\", \"verdict\": \"regression\", \"primary\": true}, "                  \
  "{\"benchmark\": \"g\", \"metric\": \"memory\", \"change_pct\": 3.0, "                           \
  "\"severity\": \"major\", \"verdict\": \"regression\", \"primary\": false, "                     \
  "\"target\": {\"op\": \"<\", \"value\": 10, \"met\": false}}, "                                  \
  "{\"benchmark\": \"f\", \"metric\": \"latency\", \"change_pct\": null, "                         \
  "\"severity\": \"none\", \"verdict\": \"added\", \"primary\": true}]}, "                         \
  "\"baseline\": {\"rule\": \"base-branch\", \"reason\": \"run 7, the newest of base branch main " \
  "(from $GITHUB_BASE_REF) on ci before this run\", \"branch\": \"main\", \"runs\": [7, 6]}, "     \
  "\"summary_markdown\": \"### qbdb: 3 regressions\\n\", \"targets_broken\": [], "                 \
  "\"changes\": 0, \"grade\": null}"

#define NO_BASELINE_BODY                                                                           \
  "{\"run\": {\"id\": 1, \"project\": \"p\"}, \"existed\": false, \"compare\": null, "             \
  "\"baseline\": {\"rule\": \"none\", \"reason\": \"no earlier run of main on machine ci\", "      \
  "\"branch\": null, \"runs\": []}, "                                                              \
  "\"summary_markdown\": \"**qbdb**: run 1 stored, not compared\\n\", "                            \
  "\"targets_broken\": [], \"changes\": 0, \"grade\": null}"

/* The answer's baseline, changed rows, counts and summary are read; the worst counted
 * regressions come by severity, then size; a regression of a metric that does not count is
 * left out unless all_metrics. A first run has a baseline (rule none) and no compare. */
static void test_client__verdict_answer(void **state) {
  (void)state;
  static const reply script[] = {{201, VERDICT_BODY, 0}, {201, NO_BASELINE_BODY, 0}};
  peer *p = peer_start(script, 2, "");
  qb_upload_opts o = fast_opts(p);
  qb_upload_result r;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&r, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_true(r.has_compare);
  assert_null(r.compare_error);
  assert_int_equal(r.base_run_id, 7);
  assert_string_equal(r.baseline_rule, "base-branch");
  assert_non_null(strstr(r.baseline_reason, "(from $GITHUB_BASE_REF)"));
  assert_int_equal(r.n_baseline_runs, 2);
  assert_int_equal(r.regressions, 3);
  assert_int_equal(r.improvements, 1);
  assert_int_equal(r.unchanged, 4);
  assert_int_equal(r.worst, QB_SEV_CRITICAL);
  assert_int_equal(r.other_regressions, 1);
  assert_int_equal(r.noise_unknown, 6);
  assert_false(r.all_metrics);
  assert_string_equal(r.summary_markdown, "### qbdb: 3 regressions\n");
  assert_int_equal(r.n_changed, 7);
  assert_string_equal(r.changed[1].benchmark, "b");
  assert_string_equal(r.changed[1].unit, "B");
  assert_false(r.changed[1].primary);
  assert_int_equal(r.changed[2].verdict, QB_VERDICT_IMPROVEMENT);
  assert_int_equal(r.changed[3].severity, QB_SEV_CRITICAL);
  assert_string_equal(r.changed[3].note, "noise unknown");
  assert_false(r.changed[3].target_broken);
  assert_true(r.changed[5].target_broken);
  assert_int_equal(r.changed[6].verdict, QB_VERDICT_ADDED);
  assert_true(isnan(r.changed[6].change_pct));
  const qb_upload_change *top[5];
  /* d, then g (not primary, but its target is broken), then e and a */
  assert_int_equal(qb_upload_top_regressions(&r, top, 5), 4);
  assert_string_equal(top[0]->benchmark, "d"); /* critical */
  assert_string_equal(top[1]->benchmark, "g"); /* major, a broken target */
  assert_string_equal(top[2]->benchmark, "e"); /* moderate, +7.5% */
  assert_string_equal(top[3]->benchmark, "a"); /* moderate, +6% */
  assert_int_equal(qb_upload_top_regressions(&r, top, 1), 4);
  assert_string_equal(top[0]->benchmark, "d");
  r.all_metrics = 1; /* then the memory regression counts too, and is the worst by size */
  assert_int_equal(qb_upload_top_regressions(&r, top, 2), 5);
  assert_string_equal(top[0]->benchmark, "b");
  assert_string_equal(top[1]->benchmark, "d");
  qb_upload_result_dispose(&r);

  assert_int_equal(qb_upload(&r, &o, "x", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_false(r.has_compare);
  assert_string_equal(r.baseline_rule, "none");
  assert_string_equal(r.baseline_reason, "no earlier run of main on machine ci");
  assert_int_equal(r.n_baseline_runs, 0);
  assert_int_equal(r.n_changed, 0);
  assert_int_equal(qb_upload_top_regressions(&r, top, 5), 0);
  assert_non_null(strstr(r.summary_markdown, "not compared"));
  qb_upload_result_dispose(&r);
  peer_stop(p);
  peer_free(p);
}

/* qb_http_get: a GET with the escaped arguments that are set and the token; 5xx retried; the
 * body as sent. 400 is a usage error for a read, 404 not found, 401 usage, all final. */
static void test_client__get(void **state) {
  (void)state;
  static const reply script[] = {{503, ERR_BODY("internal", "busy"), 0},
                                 {200, "head: run 2\nbase: run 1\n", 0}};
  peer *p = peer_start(script, 2, "/prefix");
  qb_http_opts o = QB_HTTP_OPTS_INIT;
  o.server = p->url;
  o.token = "t0k";
  o.backoff_ms = 1;
  const qb_http_arg args[] = {
      {"head", "feat/x@latest"}, {"base", NULL}, {"benchmark", "sort/*"}, {"format", "text"}};
  qb_http_answer a;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_http_get(&a, &o, "compare", "/api/v1/compare", args, 4, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(a.attempts, 2);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.body, "head: run 2\nbase: run 1\n");
  assert_int_equal(a.len, strlen(a.body));
  assert_string_equal(a.verdict, ""); /* this peer sends none */
  assert_int_equal(p->n_reqs, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_string_equal(p->reqs[i].method, "GET");
    assert_string_equal(p->reqs[i].uri, "/prefix/api/v1/compare?head=feat%2Fx%40latest"
                                        "&benchmark=sort%2F%2A&format=text");
    assert_string_equal(p->reqs[i].auth, "Bearer t0k");
    assert_string_equal(p->reqs[i].key, "");
  }
  qb_http_answer_dispose(&a);
  peer_free(p);

  static const struct {
    unsigned status;
    const char *body;
    int code;
    const char *words;
  } cases[] = {
      {400, ERR_BODY("bad_request", "sort 'x': expected name, change or severity"), QB_EUSAGE,
       "bad request (400): sort 'x'"},
      {401, ERR_BODY("unauthorized", "unauthorized: a token is needed"), QB_EUSAGE,
       "unauthorized (401): a token is needed"},
      {404, ERR_BODY("not_found", "run reference '99': no run"), QB_ENOTFOUND,
       "not found (404): run reference '99'"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    reply one[] = {{cases[k].status, cases[k].body, 0}, {200, "{}", 0}};
    p = peer_start(one, 2, "");
    o.server = p->url;
    assert_int_equal(qb_http_get(&a, &o, "compare", "/api/v1/compare", args, 1, &err),
                     cases[k].code);
    peer_stop(p);
    assert_int_equal(p->n_reqs, 1);
    assert_int_equal(a.attempts, 1);
    assert_null(a.body);
    assert_non_null(strstr(err.msg, "compare: GET /api/v1/compare from "));
    assert_non_null(strstr(err.msg, p->url));
    assert_non_null(strstr(err.msg, cases[k].words));
    qb_http_answer_dispose(&a);
    peer_free(p);
  }
  /* misuse: no server, a relative path, a token with a newline */
  qb_http_opts bad = QB_HTTP_OPTS_INIT;
  assert_int_equal(qb_http_get(&a, &bad, "compare", "/api/v1/compare", NULL, 0, &err), QB_EUSAGE);
  bad.server = "http://127.0.0.1:1";
  assert_int_equal(qb_http_get(&a, &bad, "compare", "api/v1/compare", NULL, 0, &err), QB_EUSAGE);
  bad.token = "a\nb";
  assert_int_equal(qb_http_get(&a, &bad, "compare", "/api/v1/compare", NULL, 0, &err), QB_EUSAGE);
  assert_int_equal(a.attempts, 0);
  qb_http_answer_dispose(&a);
}

/* The Qbdb-Verdict header: the three keys in any order; anything missing or malformed is
 * QB_EFORMAT. */
static void test_client__verdict_header(void **state) {
  (void)state;
  size_t r = 9, i = 9;
  qb_severity w = QB_SEV_CRITICAL;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(
      qb_http_verdict_parse("regressions=2; worst=major; improvements=1", &r, &w, &i, &err), QB_OK);
  assert_int_equal(r, 2);
  assert_int_equal(w, QB_SEV_MAJOR);
  assert_int_equal(i, 1);
  assert_int_equal(
      qb_http_verdict_parse(" improvements=0;worst=none ; regressions=0; x=y", &r, &w, &i, &err),
      QB_OK);
  assert_int_equal(r, 0);
  assert_int_equal(w, QB_SEV_NONE);
  assert_int_equal(i, 0);
  static const char *const bad[] = {"",
                                    "regressions=1; worst=major",
                                    "regressions=-1; worst=major; improvements=0",
                                    "regressions=1; worst=huge; improvements=0",
                                    "regressions=1x; worst=minor; improvements=0",
                                    "regressions; worst=minor; improvements=0"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    assert_int_equal(qb_http_verdict_parse(bad[k], &r, &w, &i, &err), QB_EFORMAT);
    assert_non_null(strstr(err.msg, "Qbdb-Verdict"));
  }
  assert_int_equal(qb_http_verdict_parse(NULL, &r, &w, &i, &err), QB_EFORMAT);
}

/* Read a test data file (the caller frees it). */
static char *data_file(const char *path, size_t *len) {
  char *d = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_file_read(path, (size_t)1 << 26, &d, len, &err)) fail_msg("%s", err.msg);
  return d;
}

/* Against a real qbdb server (token-only reads): the baseline each upload gets and why, the
 * changed rows, the PR-comment markdown and the Qbdb-Verdict header; a base branch named by the
 * CI; an explicit base that does not exist stores nothing; GET /compare needs the token, answers
 * in the format asked with the same verdict header. */
static void test_client__real_server(void **state) {
  (void)state;
  assert_int_equal(system("rm -rf '" TMP "' && mkdir -p '" TMP "'"), 0);
  char db[600], tok[QB_TOKEN_MAX];
  snprintf(db, sizeof db, "%s", qbt_db_fresh(TMP, "client.db"));
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  assert_int_equal(qb_store_open(&s, db, QB_STORE_CREATE, &err), QB_OK);
  assert_int_equal(qb_token_create(s, "ci", "py", "write", tok, &id, &err), QB_OK);
  qb_store_close(s);
  qb_server *srv;
  qb_server_opts so = {.db = db, .host = "127.0.0.1", .threads = 2, .max_body = 1 << 24};
  assert_int_equal(qb_server_start(&srv, &so, &err), QB_OK);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)qb_server_port(srv));
  size_t l1, l2;
  char *r1 = data_file(QB_TEST_DATA "/pytest/run1/benchmark.json", &l1);
  char *r2 = data_file(QB_TEST_DATA "/pytest/run2/benchmark.json", &l2);

  qb_upload_opts o = QB_UPLOAD_OPTS_INIT;
  o.server = url;
  o.token = tok;
  o.backoff_ms = 1;
  o.project = "py";
  o.want_summary = 1;
  qb_upload_result r;
  /* the first run: no baseline, and why */
  o.commit = "5e1f0a7c";
  assert_int_equal(qb_upload(&r, &o, "run1", r1, l1, &err), QB_OK);
  assert_int_equal(r.status, 201);
  assert_false(r.has_compare);
  assert_string_equal(r.baseline_rule, "none");
  assert_non_null(strstr(r.baseline_reason, "no earlier run of main"));
  assert_non_null(r.summary_markdown);
  assert_string_equal(r.verdict, "");
  qb_upload_result_dispose(&r);
  /* the second: the previous run of main; one major regression, named */
  o.commit = "9d3b2c41";
  assert_int_equal(qb_upload(&r, &o, "run2", r2, l2, &err), QB_OK);
  assert_true(r.has_compare);
  assert_int_equal(r.base_run_id, 1);
  assert_string_equal(r.baseline_rule, "branch");
  assert_non_null(strstr(r.baseline_reason, "the previous run of main"));
  assert_int_equal(r.n_baseline_runs, 1);
  assert_int_equal(r.regressions, 1);
  assert_int_equal(r.improvements, 1);
  assert_int_equal(r.worst, QB_SEV_MAJOR);
  assert_string_equal(r.verdict, "regressions=1; worst=major; improvements=1");
  const qb_upload_change *top[5];
  assert_int_equal(qb_upload_top_regressions(&r, top, 5), 1);
  assert_string_equal(top[0]->benchmark, "test_scaled_slower");
  assert_string_equal(top[0]->metric, "latency");
  assert_int_equal(top[0]->severity, QB_SEV_MAJOR);
  assert_true(top[0]->change_pct > 21.9 && top[0]->change_pct < 22.0);
  assert_non_null(r.summary_markdown);
  assert_non_null(strstr(r.summary_markdown, "test\\_scaled\\_slower"));
  qb_upload_result_dispose(&r);
  /* a pull request's branch: the base branch the CI named, pooled with the run before it */
  o.commit = NULL;
  o.branch = "feature";
  o.base_branch = "main";
  o.base_branch_source = "$GITHUB_BASE_REF";
  o.base_runs = 2;
  o.want_summary = 0;
  assert_int_equal(qb_upload(&r, &o, "feature", r1, l1, &err), QB_OK);
  /* the same content as run 1 for this project: the server answers with run 1 */
  assert_true(r.existed);
  qb_upload_result_dispose(&r);
  char *r3 = malloc(l1 + 1);
  assert_non_null(r3);
  memcpy(r3, r1, l1 + 1);
  char *dt = strstr(r3, "\"datetime\": \"2026-11-25T16:37:07");
  assert_non_null(dt);
  memcpy(dt + 13, "2026-11-25T18", 13); /* a later run of other content */
  assert_int_equal(qb_upload(&r, &o, "feature", r3, l1, &err), QB_OK);
  assert_false(r.existed);
  assert_true(r.has_compare);
  assert_string_equal(r.baseline_rule, "base-branch");
  assert_non_null(strstr(r.baseline_reason, "base branch main (from $GITHUB_BASE_REF)"));
  assert_int_equal(r.n_baseline_runs, 2);
  assert_int_equal(r.base_run_id, 2);
  assert_null(r.summary_markdown);
  qb_upload_result_dispose(&r);
  /* with the merge base: run 1 of main */
  o.branch = "feature2";
  o.base_commit = "5e1f0a7c";
  o.base_runs = 0;
  memcpy(dt + 13, "2026-11-25T19", 13);
  assert_int_equal(qb_upload(&r, &o, "feature2", r3, l1, &err), QB_OK);
  assert_string_equal(r.baseline_rule, "merge-base");
  assert_int_equal(r.base_run_id, 1);
  qb_upload_result_dispose(&r);
  /* an explicit base that does not exist: 404, nothing stored */
  o.base_ref = "99";
  memcpy(dt + 13, "2026-11-25T20", 13);
  assert_int_equal(qb_upload(&r, &o, "feature3", r3, l1, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "not found (404): base 99"));
  qb_upload_result_dispose(&r);

  /* GET /compare: the token is needed, the answer is as asked, the header the verdict */
  qb_http_opts ho = QB_HTTP_OPTS_INIT;
  ho.server = url;
  ho.backoff_ms = 1;
  const qb_http_arg args[] = {{"head", "2"}, {"project", "py"}, {"format", "markdown"}};
  qb_http_answer a;
  assert_int_equal(qb_http_get(&a, &ho, "compare", "/api/v1/compare", args, 3, &err), QB_EUSAGE);
  assert_int_equal(a.status, 401);
  qb_http_answer_dispose(&a);
  ho.token = tok;
  assert_int_equal(qb_http_get(&a, &ho, "compare", "/api/v1/compare", args, 3, &err), QB_OK);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.verdict, "regressions=1; worst=major; improvements=1");
  assert_non_null(strstr(a.body, "test\\_scaled\\_slower"));
  size_t regs = 0, imps = 0;
  qb_severity worst = QB_SEV_NONE;
  assert_int_equal(qb_http_verdict_parse(a.verdict, &regs, &worst, &imps, &err), QB_OK);
  assert_true(regs == 1 && worst == QB_SEV_MAJOR && imps == 1);
  qb_http_answer_dispose(&a);
  const qb_http_arg missing[] = {{"head", "99"}};
  assert_int_equal(qb_http_get(&a, &ho, "compare", "/api/v1/compare", missing, 1, &err),
                   QB_ENOTFOUND);
  qb_http_answer_dispose(&a);

  qb_server_stop(srv);
  free(r1);
  free(r2);
  free(r3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client__retry_until_stored),
      cmocka_unit_test(test_client__query_escaping),
      cmocka_unit_test(test_client__same_key_on_rerun),
      cmocka_unit_test(test_client__4xx_not_retried),
      cmocka_unit_test(test_client__gives_up_after_max_attempts),
      cmocka_unit_test(test_client__retry_after_is_waited_out),
      cmocka_unit_test(test_client__backoff_doubles),
      cmocka_unit_test(test_client__refused_connection),
      cmocka_unit_test(test_client__timeout_retried),
      cmocka_unit_test(test_client__bad_answer),
      cmocka_unit_test(test_client__bad_options),
      cmocka_unit_test(test_client__worst),
      cmocka_unit_test(test_client__baseline_options_sent),
      cmocka_unit_test(test_client__verdict_answer),
      cmocka_unit_test(test_client__get),
      cmocka_unit_test(test_client__verdict_header),
      cmocka_unit_test(test_client__real_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

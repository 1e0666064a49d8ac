/* tests/api/test_client.c - the upload client (api/client.c) against a real HTTP peer: a small
 * libmicrohttpd server in this process on 127.0.0.1 (a free port) that answers from a script
 * and records every request as it saw it (raw URI, decoded arguments, headers, body, arrival
 * time). Backoffs are a few milliseconds so the whole file runs in a few seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

#include "api/client.h"
#include "tests/http_peer.h"
#include "core/buf.h"
#include "core/sha256.h"

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

/* The waits double: 30, 60, 120 ms between the four arrivals. */
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
  assert_true(took >= 210.0 && took < 5000.0);
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

/* A request that outlasts timeout_ms is abandoned and retried. */
static void test_client__timeout_retried(void **state) {
  (void)state;
  static const reply script[] = {{201, OK_BODY, 1500}, {201, OK_BODY, 0}};
  peer *p = peer_start(script, 2, "");
  qb_upload_opts o = fast_opts(p);
  o.timeout_ms = 400;
  qb_upload_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_upload(&res, &o, "run.json", DATA, sizeof DATA - 1, &err), QB_OK);
  assert_int_equal(res.attempts, 2);
  assert_int_equal(res.run_id, 42);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 2);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client__retry_until_stored),
      cmocka_unit_test(test_client__query_escaping),
      cmocka_unit_test(test_client__same_key_on_rerun),
      cmocka_unit_test(test_client__4xx_not_retried),
      cmocka_unit_test(test_client__gives_up_after_max_attempts),
      cmocka_unit_test(test_client__backoff_doubles),
      cmocka_unit_test(test_client__refused_connection),
      cmocka_unit_test(test_client__timeout_retried),
      cmocka_unit_test(test_client__bad_answer),
      cmocka_unit_test(test_client__bad_options),
      cmocka_unit_test(test_client__worst),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

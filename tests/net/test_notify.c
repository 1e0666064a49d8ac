/* tests/net/test_notify.c - webhook notifications (net/notify.c, net/notifier.c) against real
 * peers on 127.0.0.1: a small libmicrohttpd receiver in this process that answers from a script
 * and records every request; a socket that listens but never answers (a hung receiver); a port
 * nobody listens on (connection refused). Then `qbdb serve`'s hook end to end: a real qb_server
 * with notify_url pointing at the receiver, real uploads over libcurl. Backoffs are a few
 * milliseconds, except where the time bound itself is measured. The server's database is SQLite,
 * or PostgreSQL in the twin api_test_notify_pg.
 *
 * Time and load (issue 13: the suite runs on a loaded 2-core machine, under ASan and valgrind):
 * a duration is checked only as a lower bound (a timeout or a backoff cannot end early) or as an
 * upper bound far above what the work needs and below what the fault it catches would take
 * (an uncapped 60 s attempt, an answer that waited for a 60 s notification); the other checks
 * are counts, states and log lines. Every wait for another thread or process is bounded and
 * names what it waited for (wait_requests, wait_connection); none is a fixed sleep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "service/auth.h"
#include "net/notifier.h"
#include "net/notify.h"
#include "http/server.h"
#include "core/buf.h"
#include "tests/dbutil.h"
#include "tests/http_peer.h"
#include "tests/testutil.h"

#define TMP     QB_TEST_TMP "/api_notify"
#define WAIT_MS 60000 /* the longest any wait on another thread or process may take */

/* ---- the receiver: tests/http_peer.h (URLs end in /hook) ---- */

/* A socket on 127.0.0.1 that listens and never accepts: the kernel completes connections, a
 * request is sent into the void and no answer ever comes. Writes its URL; close the fd. */
static int hung_start(char *url, size_t n) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(fd, 16), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  snprintf(url, n, "http://127.0.0.1:%u/hook", (unsigned)ntohs(sa.sin_port));
  return fd;
}

/* Wait until the hung receiver fd has a connection waiting to be accepted (a request is in
 * flight); fail naming what after WAIT_MS. */
static void wait_connection(int fd, const char *what) {
  struct pollfd pf = {fd, POLLIN, 0};
  int rc = poll(&pf, 1, WAIT_MS);
  if (rc != 1) fail_msg("%s: no connection to the receiver after %d ms", what, WAIT_MS);
}

/* Wait until peer p has recorded at least n requests; fail naming what after WAIT_MS. */
static void wait_requests(peer *p, size_t n, const char *what) {
  double t0 = now_ms();
  while (peer_count(p) < n) {
    if (now_ms() - t0 > WAIT_MS)
      fail_msg("%s: %zu of %zu requests after %d ms", what, peer_count(p), n, WAIT_MS);
    usleep(1000);
  }
}

/* The URL of a port on 127.0.0.1 that nobody listens on (bound, then closed). */
static void absent_url(char *url, size_t n, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  close(fd);
  snprintf(url, n, "http://127.0.0.1:%u%s", (unsigned)ntohs(sa.sin_port), path);
}

/* Fast options for url: 5 ms backoff. */
static qb_notify_opts fast_opts(const char *url) {
  qb_notify_opts o = QB_NOTIFY_OPTS_INIT;
  o.url = url;
  o.backoff_ms = 5;
  return o;
}

static const char BODY[] = "{\"text\":\"qbdb: caf\xc3\xa9 \\\"quoted\\\"\\n\",\"n\":[1,2.5,null]}";

/* ---- qb_notify_post ---- */

/* 200 at once: one POST, the body byte for byte, JSON content type, the bearer token. */
static void test_notify__delivers_body(void **state) {
  (void)state;
  static const reply script[] = {{200, "ok", 0}};
  peer *p = peer_start(script, 1, "/hook");
  qb_notify_opts o = fast_opts(p->url);
  o.token = "s3cret-token";
  qb_notify_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.attempts, 1);
  assert_int_equal(p->n_reqs, 1);
  const seen *s = &p->reqs[0];
  assert_string_equal(s->method, "POST");
  assert_string_equal(s->uri, "/hook");
  assert_string_equal(s->ctype, "application/json");
  assert_string_equal(s->auth, "Bearer s3cret-token");
  assert_int_equal(s->body_len, sizeof BODY - 1);
  assert_memory_equal(s->body, BODY, sizeof BODY - 1);
  peer_free(p);

  /* 204 counts as delivered; no token, no Authorization header */
  static const reply no_content[] = {{204, "", 0}};
  p = peer_start(no_content, 1, "/hook");
  o = fast_opts(p->url);
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(res.status, 204);
  assert_string_equal(p->reqs[0].auth, "");
  peer_free(p);
}

/* 500, 429, then 200: three attempts with the same body, the waits doubling (5, 10 ms). */
static void test_notify__retries_then_delivers(void **state) {
  (void)state;
  static const reply script[] = {{500, "busy", 0}, {429, "slow down", 0}, {200, "ok", 0}};
  peer *p = peer_start(script, 3, "/hook");
  qb_notify_opts o = fast_opts(p->url);
  qb_notify_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_OK);
  peer_stop(p);
  assert_int_equal(res.attempts, 3);
  assert_int_equal(res.status, 200);
  assert_int_equal(p->n_reqs, 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(p->reqs[i].body_len, sizeof BODY - 1);
    assert_memory_equal(p->reqs[i].body, BODY, sizeof BODY - 1);
  }
  assert_true(p->reqs[1].at_ms - p->reqs[0].at_ms >= 4.5);
  assert_true(p->reqs[2].at_ms - p->reqs[1].at_ms >= 9.5);
  peer_free(p);
}

/* A 5xx to the end: QB_EIO after max_attempts, naming the URL, the status and the start of the
 * answer, the token masked even where the receiver echoes it; a 4xx is final at once. */
static void test_notify__error_answers(void **state) {
  (void)state;
  static const reply script[] = {{503, "down: token s3cret-token refused\nsecond line", 0}};
  peer *p = peer_start(script, 1, "/hook");
  qb_notify_opts o = fast_opts(p->url);
  o.max_attempts = 3;
  o.token = "s3cret-token";
  qb_notify_result res;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  peer_stop(p);
  assert_int_equal(res.attempts, 3);
  assert_int_equal(res.status, 503);
  assert_int_equal(p->n_reqs, 3);
  char want[512];
  snprintf(want, sizeof want, "notify %s: HTTP 503 after 3 attempts: down: token *** refused",
           p->url);
  assert_string_equal(err.msg, want);
  peer_free(p);

  static const reply not_found[] = {{404, "no_service", 0}, {200, "ok", 0}};
  p = peer_start(not_found, 2, "/hook");
  o = fast_opts(p->url);
  err = (qb_err)QB_ERR_INIT;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  peer_stop(p);
  assert_int_equal(res.attempts, 1);
  assert_int_equal(res.status, 404);
  assert_int_equal(p->n_reqs, 1);
  snprintf(want, sizeof want, "notify %s: HTTP 404 after 1 attempt: no_service", p->url);
  assert_string_equal(err.msg, want);
  peer_free(p);

  /* a redirect is not followed: it is an answer that is not 2xx */
  static const reply moved[] = {{301, "", 0}};
  p = peer_start(moved, 1, "/hook");
  o = fast_opts(p->url);
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  peer_stop(p);
  snprintf(want, sizeof want, "notify %s: HTTP 301 after 1 attempt", p->url);
  assert_string_equal(err.msg, want);
  peer_free(p);
}

/* Nobody listening: every attempt is made (connection refused is retried), then QB_EIO naming
 * the URL without its user:password@ and query. */
static void test_notify__receiver_absent(void **state) {
  (void)state;
  char url[128], shown[128], secret_url[256];
  absent_url(url, sizeof url, "/x");
  qb_notify_opts o = fast_opts(url);
  o.max_attempts = 3;
  qb_notify_result res;
  qb_err err = QB_ERR_INIT;
  double t0 = now_ms();
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  double took = now_ms() - t0;
  assert_int_equal(res.attempts, 3);
  assert_int_equal(res.status, 0);
  assert_true(took >= 14); /* waited 5 + 10 ms */
  char want[256];
  snprintf(want, sizeof want, "notify %s: cannot reach the receiver: ", url);
  assert_true(!strncmp(err.msg, want, strlen(want)));
  assert_non_null(strstr(err.msg, ", after 3 attempts"));

  /* the credentials in a URL are not shown */
  snprintf(secret_url, sizeof secret_url, "http://user:pw-XYZ@%s?key=K-SECRET#frag", url + 7);
  qb_notify_url_display(secret_url, shown, sizeof shown);
  assert_string_equal(shown, url);
  o.url = secret_url;
  o.max_attempts = 1;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  assert_null(strstr(err.msg, "pw-XYZ"));
  assert_null(strstr(err.msg, "K-SECRET"));
  assert_non_null(strstr(err.msg, url));
}

/* A receiver that never answers: the call ends at total_ms, whether one attempt would take longer
 * than the whole bound or several short ones are retried. The speed of the machine only decides
 * how many of the short attempts fit, never more than at full speed. */
static void test_notify__bounded_time(void **state) {
  (void)state;
  char url[128];
  int fd = hung_start(url, sizeof url);
  qb_notify_opts o = QB_NOTIFY_OPTS_INIT;
  o.url = url;
  o.total_ms = 1500;
  o.attempt_ms = 60000; /* far longer than the whole: capped by the time left */
  qb_notify_result res;
  qb_err err = QB_ERR_INIT;
  double t0 = now_ms();
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  double took = now_ms() - t0;
  printf("bounded time: one attempt capped by total_ms 1500: %.0f ms, %d attempt(s)\n", took,
         res.attempts);
  assert_true(took >= 1400); /* the attempt's timeout cannot fire early */
  assert_true(took < 30000); /* an attempt not capped would take 60 s */
  assert_int_equal(res.attempts, 1);
  assert_int_equal(res.status, 0);
  char want[256];
  snprintf(want, sizeof want, "notify %s: no answer: ", url);
  assert_true(!strncmp(err.msg, want, strlen(want)));
  assert_non_null(strstr(err.msg, "after 1 attempt (time bound of 1500 ms reached)"));

  /* 300 ms attempts, waits of 100, 200, 400, 800, 1600 ms within 6000 ms: at full speed the
   * sixth attempt ends at 4900 ms and the sixth wait would pass the bound, so 6 attempts at most,
   * of the 10 allowed, at any speed; a second attempt needs only the first to end before about
   * 5900 ms (300 at full speed), which leaves a loaded machine room */
  o.total_ms = 6000;
  o.attempt_ms = 300;
  o.backoff_ms = 100;
  o.max_attempts = 10;
  t0 = now_ms();
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EIO);
  took = now_ms() - t0;
  printf("bounded time: 300 ms attempts within total_ms 6000: %.0f ms, %d attempt(s)\n", took,
         res.attempts);
  assert_in_range(res.attempts, 2, 6);
  /* neither a timeout nor a wait can end early: the attempts' 300 ms and the waits between them */
  double least = 300.0 * res.attempts + 100.0 * ((1 << (res.attempts - 1)) - 1);
  assert_true(took >= 0.9 * least);
  assert_true(took < 60000);
  char words[96];
  snprintf(words, sizeof words, "after %d attempts (time bound of 6000 ms reached)", res.attempts);
  assert_non_null(strstr(err.msg, words));
  close(fd);
}

/* Refused before any request: not http(s), no URL, a token that would break the header. */
static void test_notify__usage(void **state) {
  (void)state;
  qb_notify_opts o = QB_NOTIFY_OPTS_INIT;
  qb_notify_result res = {7, 7};
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "notify: no URL given");
  assert_int_equal(res.attempts, 0);
  o.url = "file:///etc/passwd";
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "notify file:///etc/passwd: not an http(s) URL");
  o.url = "ftp://127.0.0.1/x";
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EUSAGE);
  o.url = "http://127.0.0.1:1/x";
  o.token = "abc\r\nX-Injected: 1";
  assert_int_equal(qb_notify_post(&o, BODY, sizeof BODY - 1, &res, &err), QB_EUSAGE);
  assert_null(strstr(err.msg, "Injected"));
  assert_int_equal(res.attempts, 0);
}

/* ---- the summary ---- */

/* Compare rows and history records at and below the threshold: the payload byte for byte. */
static void test_notify__summary_payload(void **state) {
  (void)state;
  qb_run_info run = {0};
  run.id = 42;
  run.project = "myproj";
  run.branch = "main";
  run.machine = "ci-1";
  run.commit_sha = "abc123def4567890";
  qb_compare_row rows[5];
  memset(rows, 0, sizeof rows);
  struct {
    const char *bench;
    double pct, p;
    qb_severity sev;
    qb_verdict v;
  } r[5] = {
      {"parse/floats", 12.5, 0.0009765625, QB_SEV_MAJOR, QB_VERDICT_REGRESSION},
      {"parse/ints", 31.25, 0.001953125, QB_SEV_CRITICAL, QB_VERDICT_REGRESSION},
      {"parse/str", 6.5, 0.25, QB_SEV_MODERATE, QB_VERDICT_REGRESSION}, /* below major */
      {"parse/fast", -20.0, 0.0001220703125, QB_SEV_MAJOR, QB_VERDICT_IMPROVEMENT}, /* better */
      {"parse/noisy", 0.5, 0.5, QB_SEV_NONE, QB_VERDICT_UNCHANGED},
  };
  for (int i = 0; i < 5; i++) {
    rows[i].benchmark = (char *)r[i].bench;
    rows[i].metric = "latency";
    rows[i].change_pct = r[i].pct;
    rows[i].p_value = r[i].p;
    rows[i].severity = r[i].sev;
    rows[i].verdict = r[i].v;
  }
  qb_compare c;
  memset(&c, 0, sizeof c);
  c.base.id = 41;
  c.head.id = 42;
  c.rows = rows;
  c.n_rows = 5;
  qb_regression det[4];
  memset(det, 0, sizeof det);
  struct {
    const char *bench, *kind, *sev;
    double pct;
  } d[4] = {
      {"io/read", "regression", "critical", 40.0},
      {"parse/ints", "regression", "critical", 30.0}, /* the compare row reports it */
      {"io/write", "improvement", "critical", -50.0},
      {"io/seek", "regression", "minor", 3.0},
  };
  for (int i = 0; i < 4; i++) {
    det[i].series.bench = (char *)d[i].bench;
    det[i].series.metric = "latency";
    det[i].kind = (char *)d[i].kind;
    det[i].severity = (char *)d[i].sev;
    det[i].change_pct = d[i].pct;
    det[i].p_value = NAN;
    det[i].run_id = 40;
    det[i].prev_run_id = 39;
  }
  qb_grade_report g;
  memset(&g, 0, sizeof g);
  g.grade.score = 61.5;
  memcpy(g.grade.letter, "C", 2);
  char *out = NULL;
  size_t len = 0, n = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notify_summary(&out, &len, &n, &run, &c, det, 4, &g, QB_SEV_MAJOR, &err),
                   QB_OK);
  static const char want[] =
      "{\"text\":\"qbdb: 3 regressions in myproj main@ci-1 run 42 (commit abc123def456): io/read "
      "+40.0% (critical), parse/ints +31.2% (critical), parse/floats +12.5% (major)\","
      "\"project\":\"myproj\",\"branch\":\"main\",\"machine\":\"ci-1\","
      "\"run\":{\"id\":42,\"commit\":\"abc123def4567890\"},\"regressions\":["
      "{\"benchmark\":\"io/read\",\"metric\":\"latency\",\"change_pct\":40.0,\"severity\":"
      "\"critical\",\"p_value\":null,\"base_run\":39,\"head_run\":40,\"source\":\"history\"},"
      "{\"benchmark\":\"parse/ints\",\"metric\":\"latency\",\"change_pct\":31.25,\"severity\":"
      "\"critical\",\"p_value\":0.001953125,\"base_run\":41,\"head_run\":42,\"source\":"
      "\"compare\"},"
      "{\"benchmark\":\"parse/floats\",\"metric\":\"latency\",\"change_pct\":12.5,\"severity\":"
      "\"major\",\"p_value\":0.0009765625,\"base_run\":41,\"head_run\":42,\"source\":"
      "\"compare\"}],"
      "\"grade\":{\"score\":61.5,\"letter\":\"C\"}}";
  assert_non_null(out);
  assert_string_equal(out, want);
  assert_int_equal(len, sizeof want - 1);
  assert_int_equal(n, 3);
  free(out);

  /* critical only, no commit, no grade, no history: one regression */
  run.commit_sha = NULL;
  assert_int_equal(
      qb_notify_summary(&out, &len, &n, &run, &c, NULL, 0, NULL, QB_SEV_CRITICAL, &err), QB_OK);
  static const char want2[] =
      "{\"text\":\"qbdb: 1 regression in myproj main@ci-1 run 42: parse/ints +31.2% (critical)\","
      "\"project\":\"myproj\",\"branch\":\"main\",\"machine\":\"ci-1\","
      "\"run\":{\"id\":42,\"commit\":null},\"regressions\":["
      "{\"benchmark\":\"parse/ints\",\"metric\":\"latency\",\"change_pct\":31.25,\"severity\":"
      "\"critical\",\"p_value\":0.001953125,\"base_run\":41,\"head_run\":42,\"source\":"
      "\"compare\"}],\"grade\":null}";
  assert_string_equal(out, want2);
  free(out);

  /* nothing at or above the threshold: no summary */
  c.n_rows = 0;
  out = (char *)"x";
  assert_int_equal(qb_notify_summary(&out, &len, &n, &run, &c, det + 2, 2, &g, QB_SEV_MAJOR, &err),
                   QB_OK);
  assert_null(out);
  assert_int_equal(n, 0);
  assert_int_equal(len, 0);
}

/* ---- the notifier ---- */

/* Read a whole stream written by the notifier (after it stopped) into a malloc'd string. */
static char *slurp(FILE *f) {
  fflush(f);
  long n = ftell(f);
  assert_true(n >= 0);
  rewind(f);
  char *s = calloc((size_t)n + 1, 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  return s;
}

/* Lines of s that contain needle. */
static size_t count_lines(const char *s, const char *needle) {
  size_t k = 0;
  for (const char *line = s; *line;) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t)(end - line) : strlen(line);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)len, line);
    if (strstr(buf, needle)) k++;
    line += len + (end ? 1 : 0);
  }
  return k;
}

/* A slow receiver and a queue of 2: of 6 notifications queued at once, the one in flight and 2
 * waiting are sent, the rest dropped at once with a log line each; enqueue never waits: the five
 * calls return while the receiver still holds the first request (until the test releases it),
 * nothing sent yet. */
static void test_notify__queue_bounded(void **state) {
  (void)state;
  static const reply script[] = {{200, "ok", PEER_HOLD}, {200, "ok", 0}};
  peer *p = peer_start(script, 2, "/hook");
  FILE *log = tmpfile();
  assert_non_null(log);
  qb_notifier_opts o = QB_NOTIFIER_OPTS_INIT;
  o.post.url = p->url;
  o.post.attempt_ms = 60000; /* the held answer is never a timeout, however slow the machine */
  o.post.total_ms = 60000;
  o.grace_ms = 60000; /* the waiting ones are sent on stop, after the slow one */
  o.queue_max = 2;
  o.log = log;
  qb_notifier *n;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notifier_start(&n, &o, &err), QB_OK);
  char *body = strdup(BODY);
  assert_int_equal(qb_notifier_enqueue(n, 1, body, strlen(body), &err), QB_OK);
  wait_requests(p, 1, "queue_bounded: the first notification"); /* in flight, held */
  int dropped = 0;
  double t0 = now_ms();
  for (int i = 2; i <= 6; i++) {
    body = strdup(BODY);
    if (qb_notifier_enqueue(n, i, body, strlen(body), &err)) dropped++;
  }
  double took = now_ms() - t0;
  qb_notifier_stats st;
  qb_notifier_stats_get(n, &st);
  printf("queue bounded: 5 enqueues in %.2f ms, the first notification still unanswered: %s\n",
         took, st.sent == 0 ? "yes" : "no");
  assert_int_equal(st.sent, 0); /* no waiting on the receiver */
  assert_int_equal(st.queued, 3);
  assert_int_equal(st.dropped, 3);
  assert_int_equal(dropped, 3);
  assert_non_null(strstr(err.msg, ": run 6: dropped: queue full (2 waiting)"));
  peer_release(p);     /* the first is answered now */
  qb_notifier_stop(n); /* the waiting ones go out within the grace period */
  peer_stop(p);
  assert_int_equal(p->n_reqs, 3);
  for (size_t i = 0; i < 3; i++) assert_memory_equal(p->reqs[i].body, BODY, sizeof BODY - 1);
  char *text = slurp(log);
  char want[256];
  snprintf(want, sizeof want, "notify POST %s 200 ", p->url);
  assert_int_equal(count_lines(text, want), 3);
  assert_int_equal(count_lines(text, " attempts=1 sent"), 3);
  snprintf(want, sizeof want, "notify POST %s - 0.00ms run=", p->url);
  assert_int_equal(count_lines(text, want), 3);
  assert_int_equal(count_lines(text, "attempts=0 dropped: queue full (2 waiting)"), 3);
  assert_int_equal(count_lines(text, "run=1 "), 1);
  assert_int_equal(count_lines(text, "run=3 "), 1);
  assert_int_equal(count_lines(text, "run=4 "), 1);
  free(text);
  fclose(log);
  peer_free(p);
}

/* Stop while the receiver hangs: the one in flight ends at its bound (2000 ms), the grace period
 * is over by then, so the waiting ones are dropped, not attempted. No grace period at all, so
 * that this holds however long the first notification took to connect and the stop to follow
 * (with 300 ms, a stop more than 1.7 s after the notification began would leave some). */
static void test_notify__stop_grace(void **state) {
  (void)state;
  char url[128];
  int fd = hung_start(url, sizeof url);
  FILE *log = tmpfile();
  qb_notifier_opts o = QB_NOTIFIER_OPTS_INIT;
  o.post.url = url;
  o.post.total_ms = 2000;
  o.grace_ms = 0;
  o.log = log;
  qb_notifier *n;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_notifier_start(&n, &o, &err), QB_OK);
  for (int i = 1; i <= 3; i++) {
    char *body = strdup(BODY);
    assert_int_equal(qb_notifier_enqueue(n, i, body, strlen(body), &err), QB_OK);
  }
  wait_connection(fd, "stop_grace: the first notification"); /* run 1 is in flight */
  qb_notifier_stats st;
  qb_notifier_stats_get(n, &st);
  assert_int_equal(st.queued, 3);
  double t0 = now_ms();
  qb_notifier_stop(n);
  double took = now_ms() - t0;
  printf("stop with a hung receiver: %.0f ms (in flight bound 2000 ms, no grace)\n", took);
  assert_true(took < 30000); /* bounded: no wait for the receiver beyond the bound */
  char *text = slurp(log);
  assert_int_equal(count_lines(text, "run=1 attempts=1 failed: notify "), 1);
  assert_int_equal(count_lines(text, "(time bound of 2000 ms reached)"), 1);
  assert_int_equal(count_lines(text, "attempts=0 dropped: stopping, grace period over"), 2);
  free(text);
  fclose(log);
  close(fd);
}

/* ---- `qbdb serve --notify-url` end to end ---- */

typedef struct answer {
  long status;
  qb_buf body;
  double ms; /* the request's duration */
} answer;

/* libcurl write callback: append to the answer. */
static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  answer *a = ud;
  qb_buf_add(&a->body, p, size * n, NULL);
  return size * n;
}

/* POST body to the server's path with the token; the caller disposes a->body. */
static void upload(unsigned short port, const char *path, const char *token, const char *body,
                   size_t len, answer *a) {
  char url[512], auth[160];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  qb_buf_init(&a->body, (size_t)1 << 26);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, auth);
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  double t0 = now_ms();
  CURLcode rc = curl_easy_perform(c);
  a->ms = now_ms() - t0;
  if (rc != CURLE_OK) fail_msg("curl POST %s: %s", path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

/* A fresh database name (qbt_db_fresh: name.db in TMP, or its PostgreSQL twin) with a write token
 * for project py (into tok). */
static void fresh_db(char *db, size_t n, const char *name, char *tok) {
  char file[128];
  snprintf(file, sizeof file, "%s.db", name);
  snprintf(db, n, "%s", qbt_db_fresh(TMP, file));
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, db, QB_STORE_CREATE, &err) ||
      qb_token_create(s, "ci", "py", "write", tok, &id, &err))
    fail_msg("%s", err.msg);
  qb_store_close(s);
}

/* Read a test data file (caller frees). */
static char *file(const char *path, size_t *len) {
  char *d;
  qb_err err = QB_ERR_INIT;
  if (qb_file_read(path, 1 << 26, &d, len, &err)) fail_msg("%s", err.msg);
  return d;
}

/* Upload pytest run1 then run2 (commit bbbb2222) to a server on port; answers checked. When
 * slowest is not NULL it gets the longest answer time in ms. */
static void upload_two_runs(unsigned short port, const char *tok, double *slowest) {
  size_t l1, l2;
  char *r1 = file(QB_TEST_DATA "/pytest/run1/benchmark.json", &l1);
  char *r2 = file(QB_TEST_DATA "/pytest/run2/benchmark.json", &l2);
  answer a;
  upload(port, "/api/v1/runs?project=py&commit=aaaa1111", tok, r1, l1, &a);
  assert_int_equal(a.status, 201);
  double worst = a.ms;
  qb_buf_dispose(&a.body);
  upload(port, "/api/v1/runs?project=py&commit=bbbb2222", tok, r2, l2, &a);
  assert_int_equal(a.status, 201);
  if (a.ms > worst) worst = a.ms;
  qb_buf_dispose(&a.body);
  if (slowest) *slowest = worst;
  free(r1);
  free(r2);
}

/* run1 then run2 (test_scaled_slower +21.9%, major; the other regressions are minor and
 * moderate): one notification with that one regression; a replay of run2 sends nothing more.
 * With --notify-min-severity critical the same uploads send none. */
static void test_notify__serve_hook(void **state) {
  (void)state;
  static const reply script[] = {{200, "ok", 0}};
  peer *p = peer_start(script, 1, "/hook");
  char db[600], tok[QB_TOKEN_MAX];
  fresh_db(db, sizeof db, "hook", tok);
  FILE *log = tmpfile();
  qb_server_opts o = {.db = db, .threads = 2, .log = log, .notify_url = p->url};
  qb_server *srv;
  qb_err err = QB_ERR_INIT;
  if (qb_server_start(&srv, &o, &err)) fail_msg("%s", err.msg);
  upload_two_runs(qb_server_port(srv), tok, NULL);
  size_t l2;
  char *r2 = file(QB_TEST_DATA "/pytest/run2/benchmark.json", &l2);
  answer a;
  upload(qb_server_port(srv), "/api/v1/runs?project=py&commit=bbbb2222", tok, r2, l2, &a);
  assert_int_equal(a.status, 200); /* a replay: not a new run */
  qb_buf_dispose(&a.body);
  free(r2);
  qb_server_stop(srv); /* drains the queue */
  peer_stop(p);
  assert_int_equal(p->n_reqs, 1);
  const seen *s = &p->reqs[0];
  assert_string_equal(s->uri, "/hook");
  assert_string_equal(s->ctype, "application/json");
  json_t *j = json_loadb(s->body, s->body_len, 0, NULL);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "project")), "py");
  assert_string_equal(json_string_value(json_object_get(j, "branch")), "main");
  assert_string_equal(json_string_value(json_object_get(j, "machine")), "vm");
  json_t *run = json_object_get(j, "run");
  assert_int_equal(json_integer_value(json_object_get(run, "id")), 2);
  assert_string_equal(json_string_value(json_object_get(run, "commit")), "bbbb2222");
  json_t *regs = json_object_get(j, "regressions");
  assert_int_equal(json_array_size(regs), 1);
  json_t *r0 = json_array_get(regs, 0);
  assert_string_equal(json_string_value(json_object_get(r0, "benchmark")), "test_scaled_slower");
  assert_string_equal(json_string_value(json_object_get(r0, "metric")), "latency");
  assert_string_equal(json_string_value(json_object_get(r0, "severity")), "major");
  assert_string_equal(json_string_value(json_object_get(r0, "source")), "compare");
  assert_close(json_real_value(json_object_get(r0, "change_pct")), 21.94, 1e-3);
  assert_true(json_real_value(json_object_get(r0, "p_value")) < 1e-100);
  assert_int_equal(json_integer_value(json_object_get(r0, "base_run")), 1);
  assert_int_equal(json_integer_value(json_object_get(r0, "head_run")), 2);
  assert_string_equal(json_string_value(json_object_get(j, "text")),
                      "qbdb: 1 regression in py main@vm run 2 (commit bbbb2222): "
                      "test_scaled_slower +21.9% (major)");
  assert_non_null(json_string_value(json_object_get(json_object_get(j, "grade"), "letter")));
  json_decref(j);
  char *text = slurp(log);
  char want[256];
  snprintf(want, sizeof want, "notify POST %s 200 ", p->url);
  assert_int_equal(count_lines(text, want), 1);
  assert_int_equal(count_lines(text, "run=2 attempts=1 sent"), 1);
  free(text);
  fclose(log);
  peer_free(p);

  /* critical only: run2's worst is major, nothing is sent */
  p = peer_start(script, 1, "/hook");
  fresh_db(db, sizeof db, "hook_critical", tok);
  o = (qb_server_opts){.db = db, .threads = 2, .notify_url = p->url};
  o.notify_min_severity = QB_SEV_CRITICAL;
  if (qb_server_start(&srv, &o, &err)) fail_msg("%s", err.msg);
  upload_two_runs(qb_server_port(srv), tok, NULL);
  qb_server_stop(srv);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 0);
  peer_free(p);

  /* minor: the four regressions of run2, worst first. Run2 has one run before it, so its
   * noise is unknown and by default only changes of 10% or more count (one here); with
   * noise_unknown at 1% the four significant changes of 3-22% count again, which is what this
   * case is about: their order and severities in the notification. */
  p = peer_start(script, 1, "/hook");
  fresh_db(db, sizeof db, "hook_minor", tok);
  {
    qb_store *st;
    if (qb_store_open(&st, db, 0, &err) ||
        qb_store_setting_set(st, "py", "", "noise_unknown", 1, NULL, &err))
      fail_msg("%s", err.msg);
    qb_store_close(st);
  }
  o = (qb_server_opts){.db = db, .threads = 2, .notify_url = p->url};
  o.notify_min_severity = QB_SEV_MINOR;
  if (qb_server_start(&srv, &o, &err)) fail_msg("%s", err.msg);
  upload_two_runs(qb_server_port(srv), tok, NULL);
  qb_server_stop(srv);
  peer_stop(p);
  assert_int_equal(p->n_reqs, 1);
  j = json_loadb(p->reqs[0].body, p->reqs[0].body_len, 0, NULL);
  assert_non_null(j);
  regs = json_object_get(j, "regressions");
  assert_int_equal(json_array_size(regs), 4);
  static const char *const order[][2] = {{"test_scaled_slower", "major"},
                                         {"test_sum_squares[1000]", "moderate"},
                                         {"test_sort_inplace", "moderate"},
                                         {"test_sum_squares[10]", "minor"}};
  for (size_t i = 0; i < 4; i++) {
    json_t *x = json_array_get(regs, i);
    assert_string_equal(json_string_value(json_object_get(x, "benchmark")), order[i][0]);
    assert_string_equal(json_string_value(json_object_get(x, "severity")), order[i][1]);
  }
  assert_true(!strncmp(json_string_value(json_object_get(j, "text")),
                       "qbdb: 4 regressions in py main@vm run 2 (commit bbbb2222): "
                       "test_scaled_slower +21.9% (major), test_sum_squares[1000] +7.5% (moderate)",
                       strlen("qbdb: 4 regressions in py main@vm run 2 (commit bbbb2222): "
                              "test_scaled_slower +21.9% (major), test_sum_squares[1000] +7.5% "
                              "(moderate)")));
  json_decref(j);
  peer_free(p);

  /* refused at start: a URL that is not http(s) */
  o = (qb_server_opts){.db = db, .threads = 2, .notify_url = "ftp://127.0.0.1/x"};
  assert_int_equal(qb_server_start(&srv, &o, &err), QB_EUSAGE);
  assert_null(srv);
}

/* The 12-run history of tests/data/history (a +20% latency and -15% throughput step from run
 * 9): run 9's compare reports both (source compare); the change-point detection records them
 * when run 11 arrives, which reports them once more (source history, runs 8..9); no other
 * upload notifies. */
static void test_notify__serve_history(void **state) {
  (void)state;
  static const reply script[] = {{200, "ok", 0}};
  if (system("mkdir -p '" TMP "/history' && bash '" QB_TEST_DATA "/history/gen_runs.sh' '" TMP
             "/history'"))
    fail_msg("gen_runs.sh failed");
  peer *p = peer_start(script, 1, "/hook");
  char db[600], tok[QB_TOKEN_MAX];
  snprintf(db, sizeof db, "%s", qbt_db_fresh(TMP, "history.db"));
  qb_store *st;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&st, db, QB_STORE_CREATE, &err) ||
      qb_token_create(st, "ci", "hist", "write", tok, &id, &err))
    fail_msg("%s", err.msg);
  qb_store_close(st);
  qb_server_opts o = {.db = db, .threads = 2, .notify_url = p->url};
  qb_server *srv;
  if (qb_server_start(&srv, &o, &err)) fail_msg("%s", err.msg);
  size_t after[12];
  for (int r = 1; r <= 12; r++) {
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/history/run%02d.jsonl", TMP, r);
    char *data = file(path, &len);
    answer a;
    upload(qb_server_port(srv), "/api/v1/runs", tok, data, len, &a);
    assert_int_equal(a.status, 201);
    qb_buf_dispose(&a.body);
    free(data);
    /* wait for what this upload queued (the receiver answers at once) */
    char what[64];
    snprintf(what, sizeof what, "serve_history: the notification of upload %d", r);
    wait_requests(p, r < 9 ? 0u : r < 11 ? 1u : 2u, what);
    after[r - 1] = peer_count(p);
  }
  qb_server_stop(srv);
  peer_stop(p);
  for (int r = 1; r <= 12; r++) assert_int_equal(after[r - 1], r < 9 ? 0 : r < 11 ? 1 : 2);
  assert_int_equal(p->n_reqs, 2);
  static const char *const want_source[2] = {"compare", "history"};
  static const int64_t want_run[2] = {9, 11};
  for (size_t i = 0; i < 2; i++) {
    json_t *j = json_loadb(p->reqs[i].body, p->reqs[i].body_len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "run"), "id")),
                     want_run[i]);
    json_t *regs = json_object_get(j, "regressions");
    assert_int_equal(json_array_size(regs), 2);
    static const char *const bench[2] = {"step", "tput"};
    static const double pct[2] = {20, -15};
    for (size_t k = 0; k < 2; k++) {
      json_t *x = json_array_get(regs, k);
      assert_string_equal(json_string_value(json_object_get(x, "benchmark")), bench[k]);
      assert_string_equal(json_string_value(json_object_get(x, "severity")), "major");
      assert_string_equal(json_string_value(json_object_get(x, "source")), want_source[i]);
      assert_int_equal(json_integer_value(json_object_get(x, "base_run")), 8);
      assert_int_equal(json_integer_value(json_object_get(x, "head_run")), 9);
      assert_close(json_real_value(json_object_get(x, "change_pct")), pct[k], 0.05);
    }
    json_decref(j);
  }
  peer_free(p);
}

/* A receiver that never answers: the upload's answer does not wait for the notification. Its
 * bound is 60 s, so an answer that waited for it would take 60 s, whatever the speed of the
 * machine; the answers take milliseconds. Then the receiver goes away (its pending connection
 * is reset, the retries refused): the notification fails and is logged, and stop, which waits
 * for it, returns. */
static void test_notify__serve_not_delayed(void **state) {
  (void)state;
  char url[128], db[600], tok[QB_TOKEN_MAX];
  int fd = hung_start(url, sizeof url);
  fresh_db(db, sizeof db, "hung", tok);
  FILE *log = tmpfile();
  qb_server_opts o = {.db = db, .threads = 2, .log = log, .notify_url = url};
  o.notify_total_ms = 60000;
  qb_server *srv;
  qb_err err = QB_ERR_INIT;
  if (qb_server_start(&srv, &o, &err)) fail_msg("%s", err.msg);
  double slowest = 0;
  upload_two_runs(qb_server_port(srv), tok, &slowest);
  wait_connection(fd, "serve_not_delayed: the notification of run 2"); /* in flight, hung */
  printf("upload answer with a hung receiver: %.0f ms at most (notification bound 60000 ms)\n",
         slowest);
  assert_true(slowest < 30000);
  close(fd); /* the receiver goes away */
  double t0 = now_ms();
  qb_server_stop(srv);
  double took = now_ms() - t0;
  printf("server stop with the notification in flight: %.0f ms\n", took);
  assert_true(took < 30000); /* the notification ended with its receiver, not at 60 s */
  char *text = slurp(log);
  assert_int_equal(count_lines(text, "notify POST "), 1);
  assert_int_equal(count_lines(text, "run=2 attempts="), 1);
  assert_int_equal(count_lines(text, " failed: notify "), 1);
  assert_int_equal(count_lines(text, ": cannot reach the receiver: "), 1);
  free(text);
  fclose(log);
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  curl_global_cleanup();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_notify__delivers_body),
      cmocka_unit_test(test_notify__retries_then_delivers),
      cmocka_unit_test(test_notify__error_answers),
      cmocka_unit_test(test_notify__receiver_absent),
      cmocka_unit_test(test_notify__bounded_time),
      cmocka_unit_test(test_notify__usage),
      cmocka_unit_test(test_notify__summary_payload),
      cmocka_unit_test(test_notify__queue_bounded),
      cmocka_unit_test(test_notify__stop_grace),
      cmocka_unit_test(test_notify__serve_hook),
      cmocka_unit_test(test_notify__serve_history),
      cmocka_unit_test(test_notify__serve_not_delayed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* tests/http/test_limits.c - the server's limits against hostile clients (issue 13;
 * docs/reliability.md, "Server limits"), over raw sockets on loopback: connections per address
 * and in all, the request timeout (a request dribbled byte by byte is cut), authorization before
 * any body byte is kept (the process's peak RSS stays flat while anonymous clients push bodies),
 * the cap on body bytes in flight, and the bound on expensive reads (503 + Retry-After, cheap
 * routes still answered). Nothing here depends on speed: a request is held by the test itself
 * (a request left incomplete, an answer left unread), every wait has a loose upper bound and
 * says what it waited for. On SQLite and (as api_test_limits_pg) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "service/auth.h"
#include "http/server.h"
#include "core/buf.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP  QB_TEST_TMP "/api_limits"
#define WAIT 60000 /* ms: the loose bound of every wait (valgrind included) */

static char DB[600];
static char TOKEN[QB_TOKEN_MAX];

/* ---- helpers ---- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A socket connected to 127.0.0.1:port from the loopback address src (NULL: any), with a
 * receive buffer of rcvbuf bytes when not 0. */
static int dial(const char *src, unsigned short port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail_msg("socket: %s", strerror(errno));
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (src) {
    struct sockaddr_in b = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &b.sin_addr);
    if (bind(fd, (struct sockaddr *)&b, sizeof b)) fail_msg("bind %s: %s", src, strerror(errno));
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa))
    fail_msg("connect from %s: %s", src ? src : "127.0.0.1", strerror(errno));
  return fd;
}

/* Send what can be sent of s (the server may have closed: errors are not failures). */
static void put(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void puts_(int fd, const char *s) {
  put(fd, s, strlen(s));
}

/* 1 when fd becomes readable (data or end) within ms. */
static int readable(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, ms) == 1;
}

/* 1 when the server closed fd (end of stream or reset) within ms, without sending a byte; a
 * byte sent is a failure (what names the connection). */
static int closed_within(int fd, int ms, const char *what) {
  if (!readable(fd, ms)) return 0;
  char c;
  ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
  if (r > 0) fail_msg("%s: the server answered instead of closing", what);
  return 1;
}

/* Read the answer on fd until the server closes (the requests say Connection: close), at most
 * ms; the status into *status. what names the request in the failure message. The caller frees
 * the NUL-terminated answer. */
static char *answer(int fd, int ms, const char *what, int *status) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 28);
  double end = now_ms() + ms;
  char chunk[65536];
  for (;;) {
    int left = (int)(end - now_ms());
    if (left <= 0 || !readable(fd, left))
      fail_msg("%s: no complete answer within %d s (got %zu bytes)", what, ms / 1000, b.len);
    ssize_t r = recv(fd, chunk, sizeof chunk, 0);
    if (r <= 0) break;
    qb_buf_add(&b, chunk, (size_t)r, NULL);
  }
  qb_buf_add(&b, "", 1, NULL);
  char *a = qb_buf_take(&b, NULL);
  *status = a && !strncmp(a, "HTTP/1.", 7) ? atoi(a + 9) : 0;
  return a;
}

/* One request (its whole text) from src, its answer within WAIT; the caller frees it. */
static char *request(unsigned short port, const char *src, const char *req, size_t len,
                     int *status) {
  int fd = dial(src, port, 0);
  put(fd, req, len);
  char what[80];
  snprintf(what, sizeof what, "%.60s", req);
  for (char *p = what; *p; p++)
    if (*p == '\r' || *p == '\n') *p = ' ';
  char *a = answer(fd, WAIT, what, status);
  close(fd);
  return a;
}

/* GET path from src: its status (the body discarded). */
static int get(unsigned short port, const char *src, const char *path) {
  char req[512];
  int n =
      snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
  int st;
  free(request(port, src, req, (size_t)n, &st));
  return st;
}

/* The value of metric name (a line "name value") in the server's /metrics, asked from src. */
static long metric(unsigned short port, const char *src, const char *name) {
  int st, fd = dial(src, port, 0);
  puts_(fd, "GET /api/v1/metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  char *a = answer(fd, WAIT, "GET /api/v1/metrics", &st);
  close(fd);
  assert_int_equal(st, 200);
  char key[128];
  snprintf(key, sizeof key, "\n%s ", name);
  const char *p = strstr(a, key);
  long v = p ? atol(p + strlen(key)) : -1;
  free(a);
  return v;
}

/* Wait (at most WAIT) until metric name reaches want; what says what is awaited. */
static void wait_metric(unsigned short port, const char *src, const char *name, long want,
                        const char *what) {
  double end = now_ms() + WAIT;
  long v;
  while ((v = metric(port, src, name)) != want) {
    if (now_ms() > end)
      fail_msg("%s: %s is %ld, not %ld, after %d s", what, name, v, want, WAIT / 1000);
    usleep(20000);
  }
}

static qb_server *start(qb_server_opts *o) {
  qb_err err = QB_ERR_INIT;
  qb_server *s;
  o->db = DB;
  o->public_read = 1; /* /metrics, which the tests read, is then public too */
  if (qb_server_start(&s, o, &err)) fail_msg("server: %s", err.msg);
  return s;
}

/* The peak resident set of this process (kB), from /proc/self/status. */
static long peak_rss_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, field, strlen(field))) v = atol(line + strlen(field));
  if (f) fclose(f);
  return v;
}

static void store_big_run(unsigned short port, int64_t *id);
static int64_t BIG_RUN; /* a run whose answer is bigger than what the sockets hold */

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  snprintf(DB, sizeof DB, "%s", qbt_db_fresh(TMP, "limits.db"));
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, DB, QB_STORE_CREATE, &err) ||
      qb_token_create(s, "ci", "lim", "write", TOKEN, &id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  qb_server_opts o = {.threads = 2};
  qb_server *srv = start(&o);
  store_big_run(qb_server_port(srv), &BIG_RUN);
  qb_server_stop(srv);
  return 0;
}

/* ---- 1. connections ---- */

/* Open a connection from src that sends the start of a request and is held there. */
static int partial(unsigned short port, const char *src) {
  int fd = dial(src, port, 0);
  puts_(fd, "GET /api/v1/health HTTP/1.1\r\nHost: t\r\n");
  return fd;
}

/* Finish the request held on fd and check it is answered 200. */
static void finish_ok(int fd, const char *what) {
  int st;
  puts_(fd, "Connection: close\r\n\r\n");
  char *a = answer(fd, WAIT, what, &st);
  if (st != 200) fail_msg("%s: %.200s", what, a);
  free(a);
  close(fd);
}

/* Wait until at least want of the n connections in fds are closed by the server (at most WAIT);
 * closed[i] tells which. Returns how many are. */
static int wait_closed(const int *fds, int n, int *closed, int want, const char *what) {
  int k = 0;
  for (int i = 0; i < n; i++) k += closed[i];
  double end = now_ms() + WAIT;
  while (k < want && now_ms() < end)
    for (int i = 0; i < n; i++)
      if (!closed[i] && closed_within(fds[i], 10, what)) closed[i] = 1, k++;
  if (k < want) fail_msg("%s: %d closed of %d after %d s, want %d", what, k, n, WAIT / 1000, want);
  return k;
}

/* The client address of the connections test (not 127.0.0.1, from which other tests running at
 * the same time could reach a port they used before). */
#define ONE "127.0.0.21"

/* One address gets max_per_ip connections, its requests held half sent; the ones over are
 * closed at once, unanswered, and the held ones are still answered when they finish. Another
 * address is answered meanwhile; connections over max_connections are closed too; and once the
 * first address closes its sockets, its places are free again at once (libmicrohttpd's own
 * limit, once reached, kept closed sockets for its whole idle timeout). One libmicrohttpd
 * thread: with several, the global limit may be passed by fewer than their number. */
static void test_limits__connections(void **state) {
  (void)state;
  enum { PER_IP = 4, EXTRA = 3, OTHERS = 6 };
  qb_server_opts o = {.threads = 1,
                      .max_per_ip = PER_IP,
                      .max_connections = 2 * PER_IP,
                      .request_timeout_ms = 120000};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  int fds[PER_IP + EXTRA], closed[PER_IP + EXTRA] = {0};
  for (int i = 0; i < PER_IP + EXTRA; i++) fds[i] = partial(port, ONE);
  wait_closed(fds, PER_IP + EXTRA, closed, EXTRA, "connections over the per-address limit");
  for (int i = 0; i < PER_IP + EXTRA; i++)
    if (!closed[i] && closed_within(fds[i], 0, "a held connection"))
      fail_msg("more than %d of %d connections from one address closed", EXTRA, PER_IP + EXTRA);
  /* another address is answered while the first holds its limit */
  assert_int_equal(get(port, "127.0.0.22", "/api/v1/health"), 200);
  /* the global limit: OTHERS connections from other addresses, PER_IP places left (fewer while
   * the one above is being closed): at least OTHERS - PER_IP of them are closed */
  int others[OTHERS], oc[OTHERS] = {0};
  for (int i = 0; i < OTHERS; i++) {
    char src[16];
    snprintf(src, sizeof src, "127.0.0.%d", 30 + i);
    others[i] = partial(port, src);
  }
  wait_closed(others, OTHERS, oc, OTHERS - PER_IP, "connections over --max-connections");
  /* the held ones (at most PER_IP: one refused just now counts as closed) finish their requests
   * and are answered */
  int answered = 0;
  for (int i = 0; i < OTHERS; i++) {
    if (!oc[i]) {
      int st;
      puts_(others[i], "Connection: close\r\n\r\n");
      char *a = answer(others[i], WAIT, "a request from another address, finished", &st);
      if (st != 200 && a[0]) fail_msg("a request from another address: %.200s", a);
      answered += st == 200;
      free(a);
    }
    close(others[i]);
  }
  if (answered > PER_IP) fail_msg("%d connections held over --max-connections", answered - PER_IP);
  for (int i = 0; i < PER_IP + EXTRA; i++)
    if (closed[i])
      close(fds[i]);
    else
      finish_ok(fds[i], "a held request, finished");
  /* the places are free again: PER_IP connections from ONE held at once and answered
   * (tried again, within WAIT, while the server still counts one of the closed ones) */
  double end = now_ms() + WAIT;
  for (int ok = 0; ok < PER_IP;) {
    if (now_ms() > end)
      fail_msg("%d of %d connections from " ONE " answered %d s after its others closed", ok,
               PER_IP, WAIT / 1000);
    for (int i = 0; i < PER_IP; i++) fds[i] = partial(port, ONE);
    ok = 0;
    for (int i = 0; i < PER_IP; i++) {
      int st;
      puts_(fds[i], "Connection: close\r\n\r\n");
      char *a = answer(fds[i], WAIT, "a request on a freed place", &st);
      if (st != 200 && a[0]) fail_msg("a request on a freed place: %.200s", a);
      ok += st == 200;
      free(a);
      close(fds[i]);
    }
    if (ok < PER_IP) usleep(50000);
  }
  qb_server_stop(srv);
}

/* ---- 1. the request timeout ---- */

/* Dribble one byte of fd's request every 100 ms until the server answers or closes, at most
 * WAIT; returns the answer (malloc'd, "" when closed without one). Each byte would reset
 * libmicrohttpd's idle timeout: only the request timeout can end it. */
static char *dribble(int fd, const char *what) {
  double end = now_ms() + WAIT;
  while (now_ms() < end) {
    put(fd, "x", 1);
    if (readable(fd, 100)) {
      int st;
      return answer(fd, WAIT, what, &st);
    }
  }
  fail_msg("%s: still open after %d s of dribbling (the request timeout is 2 s)", what,
           WAIT / 1000);
  return NULL;
}

/* With a 2 s request timeout, headers or a body dribbled one byte at a time are cut (408 once
 * the request line has arrived; closed before it), and an idle connection is closed. */
static void test_limits__request_timeout(void **state) {
  (void)state;
  qb_server_opts o = {.threads = 2, .request_timeout_ms = 2000};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  /* headers */
  int fd = dial(NULL, port, 0);
  puts_(fd, "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  char *a = dribble(fd, "dribbled headers");
  if (strncmp(a, "HTTP/1.1 408", 12)) fail_msg("dribbled headers: %s", a);
  free(a);
  close(fd);
  /* a body, of an authorized upload */
  fd = dial(NULL, port, 0);
  char req[512];
  snprintf(req, sizeof req,
           "POST /api/v1/runs?project=lim HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 100000\r\n\r\n{",
           TOKEN);
  puts_(fd, req);
  a = dribble(fd, "a dribbled body");
  if (strncmp(a, "HTTP/1.1 408", 12)) fail_msg("dribbled body: %s", a);
  free(a);
  close(fd);
  /* the request line itself: closed without an answer */
  fd = dial(NULL, port, 0);
  puts_(fd, "GET /api/v1/hea");
  a = dribble(fd, "a dribbled request line");
  assert_string_equal(a, "");
  free(a);
  close(fd);
  /* nothing sent at all */
  fd = dial(NULL, port, 0);
  if (!closed_within(fd, WAIT, "an idle connection"))
    fail_msg("an idle connection was not closed within %d s", WAIT / 1000);
  close(fd);
  qb_server_stop(srv);
}

/* ---- 2. bodies ---- */

/* Anonymous POSTs and PATCHes announcing big bodies are answered 401 on their headers, and
 * pushing 16 MiB each at the server does not raise the process's peak RSS (before: the bodies
 * were kept up to --max-body before the token was looked at; 8 x 61 MiB took 505 MB). */
static void test_limits__auth_before_body(void **state) {
  (void)state;
  enum { N = 8 };
  const size_t push = (size_t)16 << 20, chunk_len = (size_t)1 << 20;
  qb_server_opts o = {.threads = 2, .max_body = (size_t)256 << 20};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  char *chunk = malloc(chunk_len);
  memset(chunk, 'x', chunk_len);
  int reset = 0;
  FILE *cr = fopen("/proc/self/clear_refs", "w"); /* "5": reset the peak RSS */
  if (cr) {
    reset = fputs("5", cr) >= 0;
    reset = fclose(cr) == 0 && reset;
  }
  long base = peak_rss_kb(reset ? "VmHWM:" : "VmRSS:");
  int fds[N];
  size_t sent[N] = {0};
  int done[N] = {0}, n_done = 0;
  for (int i = 0; i < N; i++) {
    fds[i] = dial(NULL, port, 0);
    fcntl(fds[i], F_SETFL, O_NONBLOCK);
    puts_(fds[i], i % 2 ? "PATCH /api/v1/regressions/1 HTTP/1.1\r\nHost: t\r\n"
                          "Content-Length: 134217728\r\n\r\n"
                        : "POST /api/v1/runs HTTP/1.1\r\nHost: t\r\n"
                          "Content-Length: 134217728\r\nAuthorization: Bearer nope\r\n\r\n");
  }
  /* push body bytes until each connection has an answer, an error, or 16 MiB sent */
  double end = now_ms() + WAIT;
  while (n_done < N && now_ms() < end) {
    struct pollfd p[N];
    for (int i = 0; i < N; i++)
      p[i] = (struct pollfd){.fd = done[i] ? -1 : fds[i], .events = POLLIN | POLLOUT};
    if (poll(p, N, 100) <= 0) continue;
    for (int i = 0; i < N; i++) {
      if (done[i]) continue;
      if (p[i].revents & (POLLIN | POLLHUP | POLLERR) || sent[i] >= push) {
        done[i] = 1, n_done++;
        continue;
      }
      ssize_t w = send(fds[i], chunk, chunk_len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0)
        sent[i] += (size_t)w;
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        done[i] = 1, n_done++;
    }
  }
  long grown = peak_rss_kb(reset ? "VmHWM:" : "VmRSS:") - base;
  for (int i = 0; i < N; i++) {
    fcntl(fds[i], F_SETFL, 0);
    int st;
    char *a = answer(fds[i], WAIT, i % 2 ? "an anonymous PATCH" : "an anonymous POST", &st);
    if (st != 401 || !strstr(a, "WWW-Authenticate: Bearer") || !strstr(a, "unauthorized"))
      fail_msg("anonymous %s (%zu body bytes pushed): %.300s", i % 2 ? "PATCH" : "POST", sent[i],
               a);
    free(a);
    close(fds[i]);
  }
  /* 8 x 16 MiB would be 128 MiB kept */
  if (grown > 48 * 1024)
    fail_msg("the %s grew by %ld kB while anonymous clients pushed bodies",
             reset ? "peak RSS" : "RSS", grown);
  free(chunk);
  qb_server_stop(srv);
}

/* A write with a bad token and a small body (1 MiB at most) is answered 401 once its body has
 * been read and dropped, so a client that sends the whole body gets the answer and an orderly
 * close, not a reset (before: the answer went on the headers and the connection was closed with
 * the body unread; curl then said "Failed sending data to the peer" now and then instead of
 * showing the 401). Larger bodies are answered on the headers (auth_before_body). */
static void test_limits__small_refused_body_read(void **state) {
  (void)state;
  qb_server_opts o = {.threads = 2};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  const size_t len = (size_t)256 << 10;
  char head[256];
  snprintf(head, sizeof head,
           "POST /api/v1/runs?project=lim HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
           "Authorization: Bearer nope\r\nContent-Length: %zu\r\n\r\n",
           len);
  int fd = dial(NULL, port, 0);
  puts_(fd, head);
  /* nothing is answered while the body is due (a slow server can only make this pass, never
   * fail: the answer waits for the body at any speed) */
  if (readable(fd, 200)) fail_msg("a bad token with a small body: answered before the body");
  char *body = malloc(len);
  memset(body, ' ', len);
  put(fd, body, len);
  free(body);
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 20);
  double end = now_ms() + WAIT;
  char chunk[4096];
  for (;;) {
    int left = (int)(end - now_ms());
    if (left <= 0 || !readable(fd, left))
      fail_msg("a bad token with a small body: no answer within %d s", WAIT / 1000);
    ssize_t r = recv(fd, chunk, sizeof chunk, 0);
    if (r < 0)
      fail_msg("a bad token with a small body: %s after %zu bytes of the answer", strerror(errno),
               b.len);
    if (r == 0) break;
    qb_buf_add(&b, chunk, (size_t)r, NULL);
  }
  qb_buf_add(&b, "", 1, NULL);
  if (strncmp(b.data, "HTTP/1.1 401", 12) || !strstr(b.data, "WWW-Authenticate: Bearer") ||
      !strstr(b.data, "unauthorized"))
    fail_msg("a bad token with a small body: %.300s", b.data);
  qb_buf_dispose(&b);
  close(fd);
  qb_server_stop(srv);
}

/* The bytes of bodies in flight are capped (--max-inflight): an upload whose announced body
 * does not fit beside one being received is answered 503 + Retry-After on its headers, a
 * chunked one when its bytes pass the cap; once the first connection goes, its bytes are free. */
static void test_limits__inflight_cap(void **state) {
  (void)state;
  const size_t mib = (size_t)1 << 20;
  qb_server_opts o = {.threads = 2, .max_body = mib, .max_inflight = mib + mib / 2};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  char head[512];
  int n = snprintf(head, sizeof head,
                   "POST /api/v1/runs?project=lim HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                   "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n",
                   TOKEN, mib);
  /* A: 1 MiB announced, its first bytes sent, held */
  int a = dial(NULL, port, 0);
  put(a, head, (size_t)n);
  puts_(a, "{\"format\": \"qbdb-native\""); /* the start of the body */
  wait_metric(port, NULL, "qbdb_http_body_bytes_in_flight", (long)mib,
              "the held upload's announced body to be reserved");
  /* B: another 1 MiB does not fit */
  int st;
  char *ans = request(port, NULL, head, (size_t)n, &st);
  if (st != 503 || !strstr(ans, "Retry-After: ") || !strstr(ans, "--max-inflight"))
    fail_msg("a second 1 MiB upload: %.300s", ans);
  free(ans);
  /* C: chunked, 768 KiB in 12 chunks of 64 KiB: refused when its bytes pass the cap */
  qb_buf b;
  qb_buf_init(&b, 4 * mib);
  qb_buf_printf(&b, NULL,
                "POST /api/v1/runs?project=lim HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                TOKEN);
  char *piece = malloc(64 << 10);
  memset(piece, ' ', 64 << 10);
  for (int i = 0; i < 12; i++) {
    qb_buf_printf(&b, NULL, "%x\r\n", 64 << 10);
    qb_buf_add(&b, piece, 64 << 10, NULL);
    qb_buf_adds(&b, "\r\n", NULL);
  }
  qb_buf_adds(&b, "0\r\n\r\n", NULL);
  ans = request(port, NULL, b.data, b.len, &st);
  if (st != 503 || !strstr(ans, "Retry-After: ")) fail_msg("a chunked 768 KiB upload: %.300s", ans);
  free(ans);
  qb_buf_dispose(&b);
  free(piece);
  /* A goes: its megabyte is released, and a 1 MiB upload is taken (and parsed: not 503) */
  close(a);
  wait_metric(port, NULL, "qbdb_http_body_bytes_in_flight", 0,
              "the closed upload's reservation to be released");
  qb_buf_init(&b, 4 * mib);
  qb_buf_add(&b, head, (size_t)n, NULL);
  qb_buf_adds(&b,
              "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"lim\"}\n"
              "{\"name\":\"b\",\"unit\":\"ns\",\"samples\":[1,2,3]}\n",
              NULL);
  while (b.len < (size_t)n + mib) qb_buf_add(&b, " ", 1, NULL);
  ans = request(port, NULL, b.data, b.len, &st);
  if (st != 201) fail_msg("a 1 MiB upload after the release: %.300s", ans);
  free(ans);
  qb_buf_dispose(&b);
  qb_server_stop(srv);
}

/* ---- 3. expensive reads ---- */

/* Store a run whose GET /api/v1/runs/{id} answer is bigger than the sockets between the server
 * and a client with a small receive buffer can hold (so that a client not reading keeps it
 * unsent); its id into *id. */
static void store_big_run(unsigned short port, int64_t *id) {
  long wmem = 4 << 20;
  FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
  if (f) {
    long lo, def, hi;
    if (fscanf(f, "%ld %ld %ld", &lo, &def, &hi) == 3) wmem = hi;
    fclose(f);
  }
  size_t blob = (size_t)wmem + ((size_t)4 << 20); /* the server's send buffer at most, and more */
  if (blob > (size_t)48 << 20) blob = (size_t)48 << 20;
  qb_buf doc;
  qb_buf_init(&doc, blob + 4096);
  qb_buf_adds(&doc,
              "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"lim\","
              "\"machine_info\":{\"blob\":\"",
              NULL);
  while (doc.len < blob) qb_buf_adds(&doc, "0123456789abcdef", NULL);
  qb_buf_adds(&doc, "\"}}\n{\"name\":\"big\",\"unit\":\"ns\",\"samples\":[1,2,3]}\n", NULL);
  qb_buf req;
  qb_buf_init(&req, blob + 8192);
  qb_buf_printf(&req, NULL,
                "POST /api/v1/runs?project=lim HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n",
                TOKEN, doc.len);
  qb_buf_add(&req, doc.data, doc.len, NULL);
  int st;
  char *a = request(port, NULL, req.data, req.len, &st);
  if (st != 201 && st != 200) fail_msg("storing the big run: %.300s", a); /* 200: stored before */
  static const char key[] = "{\"run\":{\"id\":";
  const char *p = strstr(a, key);
  if (!p) fail_msg("storing the big run: no run id in %.300s", a);
  *id = atoll(p + strlen(key));
  free(a);
  qb_buf_dispose(&req);
  qb_buf_dispose(&doc);
}

/* Ask for the big run and read only its status line: the answer is left unsent, its place held
 * until the test reads the rest. */
static int hold_place(unsigned short port, int64_t id) {
  int fd = dial(NULL, port, 4096);
  char req[256];
  snprintf(req, sizeof req,
           "GET /api/v1/runs/%lld HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", (long long)id);
  puts_(fd, req);
  if (!readable(fd, WAIT))
    fail_msg("GET /api/v1/runs/%lld: no answer within %d s", (long long)id, WAIT / 1000);
  char line[16] = {0};
  if (recv(fd, line, 12, MSG_WAITALL) != 12 || strncmp(line, "HTTP/1.1 200", 12))
    fail_msg("GET /api/v1/runs/%lld: %s", (long long)id, line);
  return fd;
}

/* Read fd to its end (at most WAIT): the held answer, sent at last. */
static void drain(int fd) {
  int st;
  free(answer(fd, WAIT, "the rest of the held answer", &st));
  close(fd);
}

/* With --max-expensive 1: while a compare-class request holds the one place (its answer left
 * unread), 8 more wait, the next is answered 503 + Retry-After at once, and the cheap routes
 * (/health, /projects) are answered; when the place is freed the waiting ones are answered. */
static void test_limits__expensive(void **state) {
  (void)state;
  enum { WAITING = QB_SERVER_WAITING_PER_EXPENSIVE };
  qb_server_opts o = {.threads = 2, .max_expensive = 1, .request_timeout_ms = 120000};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  int64_t id = BIG_RUN;
  int held = hold_place(port, id);
  wait_metric(port, NULL, "qbdb_http_expensive_in_flight", 1, "the held answer's place");
  static const char *const trend =
      "GET /api/v1/trend?project=lim&benchmark=none HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
      "\r\n";
  int w[WAITING];
  for (int i = 0; i < WAITING; i++) {
    w[i] = dial(NULL, port, 0);
    puts_(w[i], trend);
  }
  wait_metric(port, NULL, "qbdb_http_expensive_waiting", WAITING,
              "the trend requests to wait for the place");
  int st;
  char *a = request(port, NULL, trend, strlen(trend), &st);
  if (st != 503 || !strstr(a, "Retry-After: 1\r\n") || !strstr(a, "--max-expensive"))
    fail_msg("an expensive request beyond the bound and its waiting line: %.300s", a);
  free(a);
  char head[128];
  snprintf(head, sizeof head,
           "HEAD /api/v1/runs/%lld HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
           (long long)id);
  a = request(port, NULL, head, strlen(head), &st);
  if (st != 503) fail_msg("HEAD of a run (as expensive as its GET): %.300s", a);
  free(a);
  /* the cheap routes do not wait */
  assert_int_equal(get(port, NULL, "/api/v1/health"), 200);
  assert_int_equal(get(port, NULL, "/api/v1/projects"), 200);
  for (int i = 0; i < WAITING; i++)
    if (readable(w[i], 0)) fail_msg("waiting request %d was answered while the place was held", i);
  /* the place is freed: the waiting ones are answered, one after the other */
  drain(held);
  for (int i = 0; i < WAITING; i++) {
    a = answer(w[i], WAIT, "a waiting trend request", &st);
    if (st == 503 || st == 0) fail_msg("waiting request %d: %.300s", i, a);
    free(a);
    close(w[i]);
  }
  held = hold_place(port, id); /* and the place can be taken again */
  /* stopping the server with a place held and requests waiting: they are answered 503 or
   * closed, nothing hangs (libmicrohttpd must not be stopped with a connection suspended) */
  for (int i = 0; i < 2; i++) {
    w[i] = dial(NULL, port, 0);
    puts_(w[i], trend);
  }
  wait_metric(port, NULL, "qbdb_http_expensive_waiting", 2, "two requests to wait at the stop");
  qb_server_stop(srv);
  for (int i = 0; i < 2; i++) {
    a = answer(w[i], WAIT, "a request waiting when the server stopped", &st);
    if (st != 503 && st != 0) fail_msg("waiting at the stop: %.300s", a);
    free(a);
    close(w[i]);
  }
  close(held);
}

/* A request does not wait for a place longer than the request timeout: 503 + Retry-After. */
static void test_limits__expensive_wait_bounded(void **state) {
  (void)state;
  qb_server_opts o = {.threads = 2, .max_expensive = 1, .request_timeout_ms = 2000};
  qb_server *srv = start(&o);
  unsigned short port = qb_server_port(srv);
  int held = hold_place(port, BIG_RUN);
  int st;
  char *a = request(port, NULL,
                    "GET /api/v1/trend?project=lim&benchmark=x HTTP/1.1\r\nHost: t\r\n"
                    "Connection: close\r\n\r\n",
                    strlen("GET /api/v1/trend?project=lim&benchmark=x HTTP/1.1\r\nHost: t\r\n"
                           "Connection: close\r\n\r\n"),
                    &st);
  if (st != 503 || !strstr(a, "Retry-After: ") || !strstr(a, "waited"))
    fail_msg("a request waiting past the request timeout: %.300s", a);
  free(a);
  drain(held);
  qb_server_stop(srv);
}

/* Limits that contradict each other are refused at start (qbdb serve: exit 2). */
static void test_limits__options(void **state) {
  (void)state;
  qb_server_opts bad[] = {{.db = DB, .max_per_ip = 10, .max_connections = 5},
                          {.db = DB, .max_body = 2 << 20, .max_inflight = 1 << 20}};
  for (size_t i = 0; i < 2; i++) {
    qb_err err = QB_ERR_INIT;
    qb_server *srv = NULL;
    assert_int_equal(qb_server_start(&srv, &bad[i], &err), QB_EUSAGE);
    assert_null(srv);
    assert_non_null(strstr(err.msg, i ? "--max-inflight" : "--max-per-ip"));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limits__options),
      cmocka_unit_test(test_limits__connections),
      cmocka_unit_test(test_limits__request_timeout),
      cmocka_unit_test(test_limits__auth_before_body),
      cmocka_unit_test(test_limits__small_refused_body_read),
      cmocka_unit_test(test_limits__inflight_cap),
      cmocka_unit_test(test_limits__expensive),
      cmocka_unit_test(test_limits__expensive_wait_bounded),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

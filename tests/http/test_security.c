/* tests/http/test_security.c - the server's security properties against a real server on
 * 127.0.0.1, spoken to over raw sockets (the bytes sent are exactly the test's: no client
 * normalises "..", encodes or adds headers): no path reaches the file system, header and JSON
 * body caps, no token or Authorization header in the access log or any answer, only hashes in
 * the database, and CORS off unless configured (docs/reliability.md, "Security"). On SQLite and
 * (as api_test_security_pg) on PostgreSQL, where the database searched for tokens is the
 * database's files after a checkpoint and the cluster's WAL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "service/auth.h"
#include "http/server.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP    QB_TEST_TMP "/api_security"
#define ORIGIN "https://ci.example.com"

typedef struct fixture {
  qb_server *srv, *cors; /* the default server (token-only reads), one with --cors-origin */
  unsigned short port, cors_port;
  char db[600], log[256];
  FILE *logf;
  char write_tok[QB_TOKEN_MAX], admin_tok[QB_TOKEN_MAX], revoked_tok[QB_TOKEN_MAX];
  int64_t regression_id;
} fixture;

static fixture F;

/* Send req (len bytes) to 127.0.0.1:port and read the answer until the server closes (failing
 * when nothing comes for 30 s); the caller frees the NUL-terminated answer. The status is parsed
 * into *status (0: none). */
static char *raw(unsigned short port, const char *req, size_t len, int *status) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) fail_msg("cannot connect");
  struct timeval tv = {.tv_sec = 30};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (size_t off = 0; off < len;) {
    ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (w <= 0) break; /* the server may answer and close before reading it all */
    off += (size_t)w;
  }
  shutdown(fd, SHUT_WR);
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 24);
  char chunk[4096];
  ssize_t r;
  while ((r = recv(fd, chunk, sizeof chunk, 0)) > 0) qb_buf_add(&b, chunk, (size_t)r, NULL);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    fail_msg("%.60s...: no answer (or no end of it) within 30 s", req);
  close(fd);
  qb_buf_add(&b, "", 1, NULL);
  char *ans = qb_buf_take(&b, NULL);
  *status = 0;
  if (ans && !strncmp(ans, "HTTP/1.", 7)) *status = atoi(ans + 9);
  return ans;
}

/* A request with the given method, target, extra header lines ("" or "Name: v\r\n...") and
 * body (NULL: none). */
static char *http(unsigned short port, const char *method, const char *target, const char *headers,
                  const char *body, int *status) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 24);
  qb_buf_printf(&b, NULL,
                "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                "Content-Length: %zu\r\n\r\n",
                method, target, headers, body ? strlen(body) : (size_t)0);
  if (body) qb_buf_adds(&b, body, NULL);
  size_t len = b.len;
  char *req = qb_buf_take(&b, NULL);
  char *ans = raw(port, req, len, status);
  free(req);
  return ans;
}

/* An "Authorization: Bearer T\r\n" header line in buf. */
static const char *bearer(char *buf, size_t n, const char *tok) {
  snprintf(buf, n, "Authorization: Bearer %s\r\n", tok);
  return buf;
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  snprintf(F.db, sizeof F.db, "%s", qbt_db_fresh(TMP, "security.db"));
  snprintf(F.log, sizeof F.log, "%s/access.log", TMP);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  if (qb_store_open(&s, F.db, QB_STORE_CREATE, &err) ||
      qb_token_create(s, "ci", "sec", "write", F.write_tok, &id, &err) ||
      qb_token_create(s, "root", NULL, "admin", F.admin_tok, &id, &err) ||
      qb_token_create(s, "old", "sec", "write", F.revoked_tok, &id, &err) ||
      qb_store_token_revoke(s, id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_store_close(s);
  if (!(F.logf = fopen(F.log, "w"))) return -1;
  qb_server_opts o = {.db = F.db, .threads = 2, .max_body = 1 << 20, .log = F.logf};
  qb_server_opts c = {.db = F.db, .threads = 2, .public_read = 1, .cors_origin = ORIGIN};
  if (qb_server_start(&F.srv, &o, &err) || qb_server_start(&F.cors, &c, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  F.port = qb_server_port(F.srv);
  F.cors_port = qb_server_port(F.cors);
  /* a run, and a regression in its series to PATCH */
  char h[160];
  int st;
  char *ans = http(F.port, "POST", "/api/v1/runs", bearer(h, sizeof h, F.write_tok),
                   "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"sec\"}\n"
                   "{\"name\":\"b\",\"unit\":\"ns\",\"samples\":[1,2,3]}\n",
                   &st);
  const char *body = strstr(ans, "\r\n\r\n");
  json_t *j = st == 201 && body ? json_loads(body + 4, 0, NULL) : NULL;
  int64_t run_id = (int64_t)json_integer_value(json_object_get(json_object_get(j, "run"), "id"));
  json_decref(j);
  free(ans);
  if (st != 201 || run_id <= 0) return -1;
  qb_series_info *series = NULL;
  size_t n = 0;
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_regression rec = {0};
  rec.run_id = run_id;
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = 1, rec.after = 2, rec.change_pct = 100, rec.position = -1;
  qb_regression_filter rf = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs = NULL;
  size_t n_regs = 0;
  if (qb_store_open(&s, F.db, 0, &err) || qb_store_series_list(s, &f, &series, &n, &err) || !n ||
      qb_store_regressions_replace(s, series[0].id, &rec, 1, &err) ||
      qb_store_regressions_list(s, &rf, &regs, &n_regs, &err) || !n_regs) {
    fprintf(stderr, "setup: %s\n", err.msg);
    return -1;
  }
  F.regression_id = regs[0].id;
  qb_regressions_free(regs, n_regs);
  qb_series_infos_free(series, n);
  qb_store_close(s);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_server_stop(F.srv);
  qb_server_stop(F.cors);
  if (F.logf) fclose(F.logf);
  return 0;
}

/* Nothing outside the embedded web/ table is served: traversal, encoded dots and slashes,
 * backslashes, encoded NULs all answer 404 with no file's bytes. */
static void test_security__no_path_escapes(void **state) {
  (void)state;
  static const char *const paths[] = {
      "/../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/web/../CMakeLists.txt",
      "/web/index.html",
      "/../CMakeLists.txt",
      "/CMakeLists.txt",
      "/vendor/../../CMakeLists.txt",
      "/%5c..%5c..%5cetc%5cpasswd",
      "/..\\..\\etc\\passwd",
      "//etc/passwd",
      "/index.html%00",
      "/index.html%00.txt",
      "/app.js%00/../../etc/passwd",
      "/%00",
      "/%00../../etc/passwd",
      "/api/v1/health%00",
      "/api/../../etc/passwd",
      "/etc/passwd",
      "/proc/self/environ",
      "/.git/config",
      "/.%2e/.%2e/etc/passwd",
  };
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    int st;
    char *ans = http(F.port, "GET", paths[i], "", NULL, &st);
    if (st != 404 || strstr(ans, "root:") || strstr(ans, "cmake_minimum_required") ||
        strstr(ans, "[core]") || strstr(ans, "<html") || strstr(ans, "PATH="))
      fail_msg("GET %s: %d\n%s", paths[i], st, ans);
    free(ans);
  }
  /* the embedded files themselves still answer */
  int st;
  free(http(F.port, "GET", "/", "", NULL, &st));
  assert_int_equal(st, 200);
  free(http(F.port, "GET", "/index.html", "", NULL, &st));
  assert_int_equal(st, 200);
}

/* Request line and headers are capped (QB_SERVER_MAX_HEADER): 431, and the server goes on. */
static void test_security__header_cap(void **state) {
  (void)state;
  size_t n = QB_SERVER_MAX_HEADER + 1024;
  char *big = malloc(n + 16);
  memcpy(big, "X-Big: ", 7);
  memset(big + 7, 'a', n);
  memcpy(big + 7 + n, "\r\n", 3);
  int st;
  char *ans = http(F.port, "GET", "/api/v1/health", big, NULL, &st);
  assert_true(st == 431 || st == 413);
  free(ans);
  /* many small headers, and a long request target */
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 22);
  for (int i = 0; i < 3000; i++) qb_buf_printf(&b, NULL, "X-H%d: 0123456789\r\n", i);
  qb_buf_add(&b, "", 1, NULL);
  char *many = qb_buf_take(&b, NULL);
  free(http(F.port, "GET", "/api/v1/health", many, NULL, &st));
  assert_true(st == 431 || st == 413);
  free(many);
  big[0] = '/';
  big[7 + n] = '\0';
  free(http(F.port, "GET", big, "", NULL, &st));
  assert_true(st == 431 || st == 414 || st == 413);
  free(big);
  char h[160];
  free(http(F.port, "GET", "/api/v1/health", bearer(h, sizeof h, F.write_tok), NULL, &st));
  assert_int_equal(st, 200);
}

/* PATCH /regressions/{id}: depth over 32 is 400, a string over 64 KiB 413, the body over
 * --max-body 413; within the caps the triage works. */
static void test_security__json_caps(void **state) {
  (void)state;
  char target[64], h[160];
  snprintf(target, sizeof target, "/api/v1/regressions/%lld", (long long)F.regression_id);
  bearer(h, sizeof h, F.admin_tok);
  int st;
  char *ans;
  /* 33 levels: 400; 32 levels: parsed (and then refused for the missing status: 400 too, but
   * with the body message) */
  qb_buf b;
  qb_buf_init(&b, 1 << 20);
  qb_buf_adds(&b, "{\"status\":\"acknowledged\",\"note\":\"x\",\"deep\":", NULL);
  for (int i = 0; i < QB_JSON_MAX_DEPTH; i++) qb_buf_adds(&b, "[", NULL);
  for (int i = 0; i < QB_JSON_MAX_DEPTH; i++) qb_buf_adds(&b, "]", NULL);
  qb_buf_adds(&b, "}", NULL);
  qb_buf_add(&b, "", 1, NULL);
  char *deep = qb_buf_take(&b, NULL);
  ans = http(F.port, "PATCH", target, h, deep, &st);
  if (st != 400 || !strstr(ans, "nested deeper than 32")) fail_msg("depth 33: %d %s", st, ans);
  free(ans);
  free(deep);
  qb_buf_init(&b, 1 << 24);
  qb_buf_adds(&b, "[", NULL);
  for (int i = 0; i < 100000; i++) qb_buf_adds(&b, "[", NULL);
  qb_buf_add(&b, "", 1, NULL);
  deep = qb_buf_take(&b, NULL);
  ans = http(F.port, "PATCH", target, h, deep, &st);
  if (st != 400 || !strstr(ans, "bad_request")) fail_msg("depth 100001: %d %s", st, ans);
  free(ans);
  free(deep);
  /* strings: 64 KiB is fine, one more byte is not; a long key neither; escapes count decoded */
  size_t n = QB_JSON_MAX_STRING;
  char *s = malloc(6 * n + 64);
  for (int extra = 0; extra <= 1; extra++) {
    int len = snprintf(s, 64, "{\"status\":\"acknowledged\",\"note\":\"");
    memset(s + len, 'n', n + (size_t)extra);
    strcpy(s + len + n + (size_t)extra, "\"}");
    ans = http(F.port, "PATCH", target, h, s, &st);
    if (st != (extra ? 413 : 200) || (extra && !strstr(ans, "too_large")))
      fail_msg("string of %zu bytes: %d %.200s", n + (size_t)extra, st, ans);
    free(ans);
  }
  int len = snprintf(s, 64, "{\"status\":\"acknowledged\",\"");
  memset(s + len, 'k', n + 1);
  strcpy(s + len + n + 1, "\":1}");
  ans = http(F.port, "PATCH", target, h, s, &st);
  if (st != 413) fail_msg("long key: %d %.200s", st, ans);
  free(ans);
  len = snprintf(s, 64, "{\"status\":\"acknowledged\",\"note\":\"");
  for (size_t i = 0; i <= n; i++) memcpy(s + len + 6 * i, "\\u0041", 6);
  strcpy(s + len + 6 * (n + 1), "\"}");
  ans = http(F.port, "PATCH", target, h, s, &st);
  if (st != 413) fail_msg("escaped string: %d %.200s", st, ans);
  free(ans);
  free(s);
  /* the whole body over --max-body (1 MiB here) */
  char *huge = malloc((2 << 20) + 1);
  memset(huge, ' ', 2 << 20);
  huge[2 << 20] = '\0';
  ans = http(F.port, "PATCH", target, h, huge, &st);
  assert_int_equal(st, 413);
  free(ans);
  free(huge);
  /* malformed: 400, not 500 */
  ans = http(F.port, "PATCH", target, h, "{\"status\":", &st);
  assert_int_equal(st, 400);
  free(ans);
}

/* Read the whole file at path (NULL when it does not exist); the caller frees. */
static char *slurp(const char *path, size_t *len) {
  char *d = NULL;
  qb_err err = QB_ERR_INIT;
  *len = 0;
  if (qb_file_read(path, (size_t)1 << 28, &d, len, &err)) return NULL;
  return d;
}

/* 1 when needle occurs in the n bytes of hay. */
static int has(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  if (!hay) return 0;
  for (const char *p = hay, *end = hay + n; p && (size_t)(end - p) >= k; p++) {
    if (!(p = memchr(p, needle[0], (size_t)(end - p) - k + 1))) break;
    if (!memcmp(p, needle, k)) return 1;
  }
  return 0;
}

/* The three real tokens and their sha256 (hex), for the searches of the stored bytes. */
typedef struct secrets {
  const char *tok[3];
  char hex[3][65];
} secrets;

/* Search the file at path: fail when it holds a token's text (with or without its "qbdb_"
 * prefix); the number of the tokens' hashes it holds (a missing file: 0). */
static int scan_file(const char *path, const secrets *sec) {
  size_t n;
  char *d = slurp(path, &n);
  int hashes = 0;
  for (size_t t = 0; d && t < 3; t++) {
    if (has(d, n, sec->tok[t]) || has(d, n, sec->tok[t] + 5))
      fail_msg("%s holds token %zu", path, t);
    hashes += has(d, n, sec->hex[t]);
  }
  free(d);
  return hashes;
}

/* scan_file on every file of directory dir (which must exist); the hashes found in all. */
static int scan_dir(const char *dir, const secrets *sec) {
  DIR *dp = opendir(dir);
  if (!dp)
    fail_msg("%s: %s (QBDB_TEST_PG is not a cluster of tests/pg/cluster.sh?)", dir,
             strerror(errno));
  int hashes = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (e->d_name[0] == '.') continue;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    hashes += scan_file(path, sec);
  }
  closedir(dp);
  return hashes;
}

/* Tokens - good, unknown, revoked, of another project, malformed - never show up in an answer
 * or the access log, nor does the Authorization header; the database holds only hashes. */
static void test_security__no_secrets(void **state) {
  (void)state;
  char target[64], h[256];
  snprintf(target, sizeof target, "/api/v1/regressions/%lld", (long long)F.regression_id);
  const char *fake = "qbdb_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  const char *toks[] = {F.write_tok, F.admin_tok, F.revoked_tok, fake, "not-a-token"};
  static const char *const native =
      "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"zz\"}\n"
      "{\"name\":\"b\",\"unit\":\"ns\",\"samples\":[4,5,6]}\n";
  qb_buf answers;
  qb_buf_init(&answers, (size_t)1 << 26);
  for (size_t t = 0; t < sizeof toks / sizeof toks[0]; t++) {
    struct {
      const char *method, *target, *headers_fmt, *body;
    } reqs[] = {
        {"POST", "/api/v1/runs", "Authorization: Bearer %s\r\n", native},
        {"POST", "/api/v1/runs?project=sec", "Authorization: Bearer %s\r\n", "{\"benchmarks\":["},
        {"PATCH", target, "Authorization: Bearer %s\r\n", "{\"status\":\"nope\"}"},
        {"PATCH", "/api/v1/regressions/999999", "Authorization: Bearer %s\r\n", "{}"},
        {"GET", "/api/v1/runs/1", "Authorization: Bearer %s\r\n", NULL},
        {"GET", "/api/v1/runs/99", "Authorization: Bearer %s\r\n", NULL},
        {"GET", "/api/v1/runs", "Authorization: Basic %s\r\n", NULL},
        {"GET", "/api/v1/projects", "Authorization: %s\r\n", NULL},
        {"GET", "/api/v1/nope", "Authorization: Bearer %s\r\n", NULL},
        {"DELETE", "/api/v1/runs", "Authorization: Bearer %s\r\n", NULL},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
      snprintf(h, sizeof h, reqs[i].headers_fmt, toks[t]);
      int st;
      char *ans = http(F.port, reqs[i].method, reqs[i].target, h, reqs[i].body, &st);
      assert_true(st >= 200);
      /* the answer's body (the headers are the server's own) */
      const char *body = strstr(ans, "\r\n\r\n");
      qb_buf_adds(&answers, body ? body : ans, NULL);
      free(ans);
    }
  }
  fflush(F.logf);
  size_t log_len;
  char *log = slurp(F.log, &log_len);
  assert_non_null(log);
  assert_true(has(log, log_len, "POST /api/v1/runs 201"));
  assert_true(has(log, log_len, "POST /api/v1/runs 401"));
  for (size_t t = 0; t < sizeof toks / sizeof toks[0]; t++) {
    if (has(answers.data, answers.len, toks[t])) fail_msg("an answer holds token %zu", t);
    if (has(log, log_len, toks[t])) fail_msg("the access log holds token %zu", t);
  }
  /* the header itself: not in the log at all; answers may say a Bearer token is needed, but
   * echo no header value ("Basic" only ever came from the requests) */
  static const char *const words[] = {"Authorization", "Bearer", "Basic"};
  for (size_t w = 0; w < 3; w++)
    if (has(log, log_len, words[w])) fail_msg("the access log holds '%s'", words[w]);
  if (has(answers.data, answers.len, "Basic")) fail_msg("an answer holds 'Basic'");
  free(log);
  qb_buf_dispose(&answers);
  /* the database (and its WAL) hold the tokens' sha256, never their text */
  secrets sec = {{F.write_tok, F.admin_tok, F.revoked_tok}, {""}};
  for (size_t t = 0; t < 3; t++) {
    qb_sha256 sh;
    qb_sha256_init(&sh);
    qb_sha256_update(&sh, sec.tok[t], strlen(sec.tok[t]));
    qb_sha256_hex(&sh, sec.hex[t]);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM token WHERE hash = '%s'", sec.hex[t]);
    assert_int_equal(qbt_sql_int(F.db, sql), 1);
  }
  int hashes = 0;
  if (!qbt_pg()) {
    const char *files[] = {"", "-wal"};
    for (size_t f = 0; f < 2; f++) {
      char path[700];
      snprintf(path, sizeof path, "%s%s", F.db, files[f]);
      hashes += scan_file(path, &sec);
    }
  } else {
    /* PostgreSQL: the files of this database (its pages written out by a checkpoint) and the
     * cluster's WAL, in the data directory tests/pg/cluster.sh made beside the socket */
    qbt_sql_exec(F.db, "CHECKPOINT");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/data/base/%lld", qbt_pg(),
             (long long)qbt_sql_int(F.db, "SELECT oid FROM pg_database WHERE datname = "
                                          "current_database()"));
    hashes += scan_dir(dir, &sec);
    snprintf(dir, sizeof dir, "%s/data/pg_wal", qbt_pg());
    scan_dir(dir, &sec);
  }
  assert_true(hashes >= 3); /* the hashes are there: the search looked at the right bytes */
}

/* The header lines of an answer, lower-cased, for searching. */
static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/* No Access-Control-* header without --cors-origin, whatever the Origin; with it, that origin
 * exactly is echoed and its preflights answered 204; other origins get nothing. */
static void test_security__cors(void **state) {
  (void)state;
  static const char *const origins[] = {"Origin: " ORIGIN "\r\n", "Origin: null\r\n",
                                        "Origin: https://evil.example\r\n", ""};
  int st;
  char *ans;
  for (size_t i = 0; i < 4; i++) {
    const char *methods[] = {"GET", "OPTIONS"};
    for (size_t m = 0; m < 2; m++) {
      ans = http(F.port, methods[m], "/api/v1/health", origins[i], NULL, &st);
      lower(ans);
      if (strstr(ans, "access-control-") || st == 204)
        fail_msg("default server, %s %s: %d\n%s", methods[m], origins[i], st, ans);
      free(ans);
    }
  }
  /* configured: the exact origin */
  ans = http(F.cors_port, "GET", "/api/v1/health", origins[0], NULL, &st);
  assert_int_equal(st, 200);
  assert_non_null(strstr(ans, "Access-Control-Allow-Origin: " ORIGIN "\r\n"));
  assert_non_null(strstr(ans, "Vary: Origin\r\n"));
  free(ans);
  ans = http(F.cors_port, "OPTIONS", "/api/v1/runs",
             "Origin: " ORIGIN "\r\nAccess-Control-Request-Method: POST\r\n"
             "Access-Control-Request-Headers: authorization\r\n",
             NULL, &st);
  assert_int_equal(st, 204);
  assert_non_null(strstr(ans, "Access-Control-Allow-Origin: " ORIGIN "\r\n"));
  assert_non_null(strstr(ans, "Access-Control-Allow-Methods: GET, POST, PATCH, OPTIONS\r\n"));
  assert_non_null(strstr(ans, "Access-Control-Allow-Headers: Authorization"));
  free(ans);
  /* other origins, a prefix or suffix of it, no origin: nothing */
  static const char *const others[] = {"Origin: https://evil.example\r\n",
                                       "Origin: " ORIGIN ".evil.example\r\n",
                                       "Origin: https://ci.example.co\r\n", "Origin: null\r\n", ""};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    ans = http(F.cors_port, "OPTIONS", "/api/v1/runs", others[i], NULL, &st);
    char *l = strdup(ans);
    lower(l);
    if (st == 204 || strstr(l, "access-control-")) fail_msg("preflight %s: %s", others[i], ans);
    free(l);
    free(ans);
    ans = http(F.cors_port, "GET", "/api/v1/health", others[i], NULL, &st);
    lower(ans);
    if (st != 200 || strstr(ans, "access-control-")) fail_msg("GET %s: %s", others[i], ans);
    free(ans);
  }
}

/* The headers of an answer (up to the blank line), for searching. */
static char *head_of(char *ans) {
  char *end = strstr(ans, "\r\n\r\n");
  if (end) end[2] = '\0';
  return ans;
}

/* HTTP corner cases (issue 13): two different Content-Length headers, Content-Length with
 * Transfer-Encoding, HTTP/1.1 without Host or with two are 400 (libmicrohttpd took the first
 * length and read the rest as the next request, and took a request without Host); HEAD is GET
 * without the body (not 405); the Bearer scheme is matched in any case (RFC 7235); a query of
 * 1,000 arguments is refused 414 at once (it left the connection unanswered for 60 s). */
static void test_security__http_corners(void **state) {
  (void)state;
  char h[200];
  int st;
  char *ans;
  static const char *const bad[] = {
      "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nabcde",
      "POST /api/v1/runs HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
      "GET /api/v1/health HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ans = raw(F.port, bad[i], strlen(bad[i]), &st);
    if (st != 400 || strstr(ans, "HTTP/1.1 200")) fail_msg("request %zu: %d\n%s", i, st, ans);
    free(ans);
  }
  /* the same length twice is one length; HTTP/1.0 needs no Host */
  static const char *const fine[] = {
      "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n",
      "GET /api/v1/health HTTP/1.0\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
    ans = raw(F.port, fine[i], strlen(fine[i]), &st);
    if (st != 200) fail_msg("request %zu: %d\n%s", i, st, ans);
    free(ans);
  }
  /* HEAD: GET's status and headers, no body */
  const char *heads[][2] = {{"/api/v1/health", ""}, {"/", ""}, {"/api/v1/runs", h}};
  bearer(h, sizeof h, F.write_tok);
  for (size_t i = 0; i < 3; i++) {
    ans = http(F.port, "HEAD", heads[i][0], heads[i][1], NULL, &st);
    char *body = strstr(ans, "\r\n\r\n");
    if (st != 200 || !body || body[4] || !strstr(ans, "Content-Length: "))
      fail_msg("HEAD %s: %d\n%s", heads[i][0], st, ans);
    free(ans);
  }
  ans = http(F.port, "HEAD", "/api/v1/nope", "", NULL, &st);
  assert_int_equal(st, 404);
  free(ans);
  /* the scheme in any case, for reads (this server's need a token) and writes */
  static const char *const schemes[] = {"bearer", "BEARER", "BeArEr"};
  char target[64];
  snprintf(target, sizeof target, "/api/v1/regressions/%lld", (long long)F.regression_id);
  for (size_t i = 0; i < 3; i++) {
    snprintf(h, sizeof h, "Authorization: %s %s\r\n", schemes[i], F.admin_tok);
    ans = http(F.port, "GET", "/api/v1/runs", h, NULL, &st);
    if (st != 200) fail_msg("GET with '%s': %d %s", schemes[i], st, ans);
    free(ans);
    ans = http(F.port, "PATCH", target, h, "{\"status\":\"acknowledged\",\"note\":\"case\"}", &st);
    if (st != 200) fail_msg("PATCH with '%s': %d %s", schemes[i], st, ans);
    free(ans);
  }
  snprintf(h, sizeof h, "Authorization: Bearerx %s\r\n", F.admin_tok); /* not the scheme */
  ans = http(F.port, "GET", "/api/v1/runs", h, NULL, &st);
  assert_int_equal(st, 401);
  free(ans);
  /* many query arguments: 1,000 (11 KB) and 129 are refused at once; 128 are fine */
  qb_buf q;
  size_t counts[] = {1000, QB_SERVER_MAX_ARGS + 1, QB_SERVER_MAX_ARGS};
  for (size_t c = 0; c < 3; c++) {
    qb_buf_init(&q, 1 << 20);
    qb_buf_adds(&q, "/api/v1/health?", NULL);
    for (size_t i = 0; i < counts[c]; i++)
      qb_buf_printf(&q, NULL, "%sa%zu=%zu", i ? "&" : "", i, i);
    qb_buf_add(&q, "", 1, NULL);
    ans = http(F.port, "GET", q.data, "", NULL, &st);
    int want = counts[c] > QB_SERVER_MAX_ARGS ? 414 : 200;
    if (st != want)
      fail_msg("%zu arguments (%zu bytes): %d\n%s", counts[c], q.len, st, head_of(ans));
    free(ans);
    qb_buf_dispose(&q);
  }
  /* and the server goes on */
  ans = http(F.port, "GET", "/api/v1/health", "", NULL, &st);
  assert_int_equal(st, 200);
  free(ans);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_security__no_path_escapes),
      cmocka_unit_test(test_security__header_cap),
      cmocka_unit_test(test_security__json_caps),
      cmocka_unit_test(test_security__no_secrets),
      cmocka_unit_test(test_security__cors),
      cmocka_unit_test(test_security__http_corners),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

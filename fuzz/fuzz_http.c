/* fuzz/fuzz_http.c - libFuzzer target: the HTTP request path without a socket. An input is
 *
 *   <flags byte><METHOD> <path>[?<query>]\n<body>
 *
 * flags: bits 0-1 the bearer token (none, admin, write token of p1, an unknown one), bit 2
 * public reads, bit 3 an Idempotency-Key. The path and the query are split and percent-decoded
 * as libmicrohttpd does, handed to qb_route through qb_request.args (conn NULL, http/server.h),
 * and the answer is rendered as http/server.c sends it. The database (fuzz/fuzz_db.h) is made
 * once; after a request that may have written (not a GET, with a valid token) it is restored
 * from a copy, so every input meets the same data. */
#include <jansson.h>

#include "service/auth.h"
#include "http/server.h"
#include "fuzz/fuzz_db.h"

enum { MAX_ARGS = 64 };

static qb_store *store;
static char tok_admin[QB_TOKEN_MAX], tok_write[QB_TOKEN_MAX];
static char template_path[400];

/* Copy the file from to to; 0 or -1. */
static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
  char buf[1 << 16];
  size_t n;
  int rc = in && out ? 0 : -1;
  while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) rc = -1;
  if (in) fclose(in);
  if (out && fclose(out)) rc = -1;
  return rc;
}

/* Close the store, put the template back and reopen it; exits on failure. */
static void restore(void) {
  char p[420];
  qb_err err = QB_ERR_INIT;
  qb_store_close(store);
  store = NULL;
  snprintf(p, sizeof p, "%s-wal", qb_fuzz_db_path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", qb_fuzz_db_path);
  unlink(p);
  if (copy_file(template_path, qb_fuzz_db_path) ||
      qb_store_open(&store, qb_fuzz_db_path, 0, &err)) {
    fprintf(stderr, "qbdb fuzz: cannot restore the database: %s\n", err.msg);
    exit(1);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  qb_err err = QB_ERR_INIT;
  int64_t id;
  qb_fuzz_db_make(&store);
  if (qb_token_create(store, "fuzz-admin", NULL, "admin", tok_admin, &id, &err) ||
      qb_token_create(store, "fuzz-p1", "p1", "write", tok_write, &id, &err)) {
    fprintf(stderr, "qbdb fuzz: tokens: %s\n", err.msg);
    exit(1);
  }
  qb_store_close(store); /* checkpoints the WAL into the file */
  store = NULL;
  snprintf(template_path, sizeof template_path, "%s/template.db", qb_fuzz_dir);
  if (copy_file(qb_fuzz_db_path, template_path)) {
    perror("qbdb fuzz: template");
    exit(1);
  }
  restore();
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decode s in place ('+' as a space in queries), as MHD_http_unescape does. */
static void unescape(char *s, int plus) {
  char *w = s;
  for (char *r = s; *r; r++) {
    int hi, lo;
    if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 2;
    } else {
      *w++ = plus && *r == '+' ? ' ' : *r;
    }
  }
  *w = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  unsigned flags = data[0];
  char *buf = qb_fuzz_cstr(data + 1, size - 1);
  if (!buf) return 0;
  /* the request line, then the body */
  char *body = memchr(buf, '\n', size - 1), *method = buf, *target = NULL;
  size_t body_len = 0;
  if (body) {
    *body++ = '\0';
    body_len = size - 1 - (size_t)(body - buf);
  } else {
    body = buf + size - 1;
  }
  if ((target = strchr(buf, ' ')))
    *target++ = '\0';
  else
    method = "GET", target = buf;
  /* the query: key=value pairs split on '&' (a key alone has an empty value) */
  const char *args[2 * MAX_ARGS + 1];
  size_t n = 0;
  char *query = strchr(target, '?');
  if (query) {
    *query++ = '\0';
    for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv && n < MAX_ARGS;
         kv = strtok_r(NULL, "&", &save)) {
      char *eq = strchr(kv, '=');
      if (eq) *eq++ = '\0';
      unescape(kv, 1);
      if (eq) unescape(eq, 1);
      args[2 * n] = kv;
      args[2 * n++ + 1] = eq ? eq : "";
    }
  }
  args[2 * n] = NULL;
  unescape(target, 0);

  static const char *const bearers[] = {NULL, tok_admin, tok_write, "qbdb_0000"};
  qb_request r = {0};
  r.method = method;
  r.path = target;
  r.body = body;
  r.body_len = body_len;
  r.bearer = bearers[flags & 3];
  r.idempotency_key = flags & 8 ? "fuzz-key" : NULL;
  r.args = args;
  r.store = store;
  r.db_path = qb_fuzz_db_path;
  r.public_read = (flags & 4) != 0;
  qb_response out;
  qb_route(&r, &out);
  /* as http/server.c sends it */
  if (out.json) {
    char *text = json_dumps(out.json, JSON_COMPACT | JSON_REAL_PRECISION(17));
    free(text);
    json_decref(out.json);
  }
  free(out.text);
  if (strcmp(method, "GET") && (flags & 3) && (flags & 3) != 3) restore();
  free(buf);
  return 0;
}

/* http/server.h - the HTTP server (libmicrohttpd; the only file using it is http/server.c) and
 * its routes (http/routes.c), over the same service functions as the CLI.
 *
 * Ownership: qb_server_start gives a server the caller stops (and frees) with qb_server_stop;
 * the strings and the log stream of the options are borrowed until then. */
#ifndef QB_HTTP_SERVER_H
#define QB_HTTP_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "service/compare.h"
#include "core/buf.h"
#include "core/err.h"
#include "schema/store.h"

typedef struct qb_server_opts {
  const char *db;      /* database location */
  const char *host;    /* listen address, "127.0.0.1" by default */
  unsigned short port; /* 0: any free port (see qb_server_port) */
  unsigned threads;    /* worker threads (default: online CPUs) */
  size_t max_body;     /* largest request body, bytes (default 64 MiB) */
  int public_read;     /* 1: reads need no token */
  FILE *log;           /* access log (NULL: none); notifications log here too */
  /* notifications (docs/notify.md): after an upload that stored a new run with a regression
   * at or above notify_min_severity, a JSON summary is POSTed to notify_url from a background
   * thread; the upload's answer does not wait for it */
  const char *notify_url;          /* http(s)://... (NULL: no notifications) */
  qb_severity notify_min_severity; /* the least severity reported (QB_SEV_NONE: major) */
  long notify_total_ms;            /* bound of one notification, retries included (0: 10000) */
  /* CORS (docs/api/README.md): NULL, no Access-Control-* header ever; otherwise requests whose
   * Origin is exactly this origin get it echoed, and their OPTIONS preflights a 204 */
  const char *cors_origin;
  /* limits (docs/reliability.md, "Server limits"); 0 takes the default */
  unsigned max_per_ip;      /* connections from one client address (QB_SERVER_MAX_PER_IP);
                               more are closed at once, unanswered */
  unsigned max_connections; /* connections in all (QB_SERVER_MAX_CONNECTIONS); more are closed
                               at once (passed by fewer than threads at worst) */
  long request_timeout_ms;  /* a request - line, headers, body - must arrive within this
                               (QB_SERVER_REQUEST_TIMEOUT_MS); later, it is answered 408 (or,
                               before its request line, closed) */
  size_t max_inflight;      /* request body bytes kept at once, all connections together
                               (4 x max_body); a POST or PATCH beyond it is answered 503 */
  unsigned max_expensive;   /* expensive reads answered at once (online CPUs); up to
                               QB_SERVER_WAITING_PER_EXPENSIVE x as many more wait (at most the
                               request timeout), more are answered 503 */
  size_t run_cache_bytes;   /* decoded runs kept for compares (service/run_cache.h), bytes
                               (QB_SERVER_RUN_CACHE_BYTES) */
} qb_server_opts;

/* Caps on what a client may send (docs/reliability.md, "Security"): the request line and headers
 * together (libmicrohttpd's per-connection memory; more is answered 431), and, for JSON request
 * bodies, the nesting depth and the length of one string (qb_json_body_load in http/routes.c). */
#define QB_SERVER_MAX_HEADER ((size_t)32 << 10)
/* The request target (path and query, as sent) and its number of query arguments: longer or
 * more is answered 414 before libmicrohttpd splits the arguments (which, past its memory,
 * would leave the connection hanging unanswered until its timeout). */
#define QB_SERVER_MAX_TARGET ((size_t)8 << 10)
#define QB_SERVER_MAX_ARGS   128
/* Defaults of the limits in qb_server_opts (docs/reliability.md, "Server limits"). */
#define QB_SERVER_RUN_CACHE_BYTES    ((size_t)64 << 20)
#define QB_SERVER_MAX_PER_IP         64
#define QB_SERVER_MAX_CONNECTIONS    512
#define QB_SERVER_REQUEST_TIMEOUT_MS 30000L
#define QB_SERVER_RETRY_AFTER_S      1 /* the Retry-After of 503 answers */
/* Expensive reads beyond --max-expensive wait for a place, this many per place at most (and
 * at most the request timeout); more are answered 503 at once. */
#define QB_SERVER_WAITING_PER_EXPENSIVE 8
#define QB_JSON_MAX_DEPTH               32
#define QB_JSON_MAX_STRING              ((size_t)64 << 10)

typedef struct qb_server qb_server;

int qb_server_start(qb_server **out, const qb_server_opts *o, qb_err *err);
unsigned short qb_server_port(const qb_server *s);
/* Let the handlers running or queued on the server's threads finish (expensive reads still
 * waiting for a place are answered 503), stop accepting, let requests in flight finish, close
 * the databases, free. NULL is fine. */
void qb_server_stop(qb_server *s);

/* ---- what routes see (http/routes.c) ---- */

typedef struct qb_request {
  const char *method;        /* "GET" (HEAD too: answered as GET without body), "POST", ... */
  const char *path;          /* without the query */
  const char *const *params; /* path parameters ({id}), NULL-terminated */
  const char *body;          /* request body (NUL-terminated), may be empty */
  size_t body_len;
  const char *bearer; /* the Authorization: Bearer secret (scheme in any case) or NULL */
  const char *idempotency_key;
  const char *accept; /* the Accept header or NULL */
  void *conn;         /* for qb_request_arg */
  /* without a connection (conn NULL: fuzz/fuzz_http.c), the query arguments: decoded key,
   * value pairs ending with a NULL key */
  const char *const *args;
  qb_store *store;     /* a connection for this request */
  const char *db_path; /* the database location (for /metrics) */
  int public_read;
  struct qb_notifier *notifier;   /* where POST /runs queues notifications (NULL: none) */
  struct qb_run_cache *run_cache; /* decoded runs shared by the requests (NULL: none) */
  qb_severity notify_min;         /* the least severity notified */
} qb_request;

/* A query-string argument (NULL when absent); the i-th occurrence of a repeated one. */
const char *qb_request_arg(const qb_request *r, const char *key);
const char *qb_request_arg_n(const qb_request *r, const char *key, size_t i);

typedef struct qb_response {
  int status;
  json_t *json;              /* a JSON answer (taken), or */
  char *text;                /* a text answer (malloc'd, taken) */
  const unsigned char *data; /* or static bytes */
  size_t len;
  const char *type; /* content type for text/data */
  char verdict[96]; /* when not empty, sent as the Qbdb-Verdict header (a compare's summary:
                       "regressions=2; worst=major; improvements=0") */
  int retry_after;  /* when > 0, sent as the Retry-After header (seconds) */
} qb_response;

/* Route a request; fills out. Never fails: errors become JSON error answers. */
void qb_route(const qb_request *r, qb_response *out);

/* What the route table says of a request before any handler runs (HEAD as GET): known, a write
 * (authorized on its headers before any body byte is kept; an unknown POST or PATCH counts as
 * one), expensive (answered from whole runs or series: the read pool, --max-expensive). */
typedef struct qb_route_info {
  int known, write, expensive;
} qb_route_info;
void qb_route_classify(const char *method, const char *path, qb_route_info *out);
/* The error answer of code rc: the one map from error codes to HTTP statuses and stable codes
 * ({"error": {"code", "message"}}; 503s get Retry-After). */
void qb_route_error(qb_response *out, int rc, const qb_err *err);

/* Server-wide counters for /metrics (http/server.c). */
void qb_server_metrics(qb_buf *out, const char *db_path);

#endif

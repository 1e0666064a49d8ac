/* api/server.h - the HTTP server (libmicrohttpd; the only file using it is api/server.c) and
 * its routes (api/routes.c), over the same service functions as the CLI.
 *
 * Ownership: qb_server_start gives a server the caller stops (and frees) with qb_server_stop;
 * the strings and the log stream of the options are borrowed until then. */
#ifndef QB_API_SERVER_H
#define QB_API_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "api/compare.h"
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
} qb_server_opts;

/* Caps on what a client may send (docs/reliability.md, "Security"): the request line and headers
 * together (libmicrohttpd's per-connection memory; more is answered 431), and, for JSON request
 * bodies, the nesting depth and the length of one string (qb_json_body_load in api/routes.c). */
#define QB_SERVER_MAX_HEADER ((size_t)32 << 10)
#define QB_JSON_MAX_DEPTH    32
#define QB_JSON_MAX_STRING   ((size_t)64 << 10)

typedef struct qb_server qb_server;

int qb_server_start(qb_server **out, const qb_server_opts *o, qb_err *err);
unsigned short qb_server_port(const qb_server *s);
/* Stop accepting, let requests in flight finish, close the databases, free. NULL is fine. */
void qb_server_stop(qb_server *s);

/* ---- what routes see (api/routes.c) ---- */

typedef struct qb_request {
  const char *method;        /* "GET", "POST", "PATCH" */
  const char *path;          /* without the query */
  const char *const *params; /* path parameters ({id}), NULL-terminated */
  const char *body;          /* request body (NUL-terminated), may be empty */
  size_t body_len;
  const char *bearer; /* the Authorization: Bearer secret or NULL */
  const char *idempotency_key;
  const char *accept; /* the Accept header or NULL */
  void *conn;         /* for qb_request_arg */
  /* without a connection (conn NULL: fuzz/fuzz_http.c), the query arguments: decoded key,
   * value pairs ending with a NULL key */
  const char *const *args;
  qb_store *store;     /* a connection for this request */
  const char *db_path; /* the database location (for /metrics) */
  int public_read;
  struct qb_notifier *notifier; /* where POST /runs queues notifications (NULL: none) */
  qb_severity notify_min;       /* the least severity notified */
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
} qb_response;

/* Route a request; fills out. Never fails: errors become JSON error answers. */
void qb_route(const qb_request *r, qb_response *out);

/* Server-wide counters for /metrics (api/server.c). */
void qb_server_metrics(qb_buf *out, const char *db_path);

#endif

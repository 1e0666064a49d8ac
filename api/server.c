/* api/server.c - the libmicrohttpd binding: connections, bodies, a pool of database
 * connections, the access log, the counters behind /metrics and the notifier thread
 * (api/notifier.h). Routing is in api/routes.c. */
#include "api/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/notifier.h"
#include "core/time.h"

/* A pool of database connections, one per worker thread (SQLite connections are not shared
 * between threads at once). */
typedef struct store_pool {
  qb_store **stores;
  int *busy;
  size_t n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} store_pool;

struct qb_server {
  struct MHD_Daemon *d;
  qb_server_opts o;
  unsigned short port;
  store_pool pool;
  /* the WAL checkpointer: its own connection and thread, so that no request pays for a
   * checkpoint's page copies and fsyncs (docs/storage.md) */
  qb_store *ckpt_store;
  pthread_t ckpt_thread;
  int ckpt_started;
  atomic_int stopping;
  qb_notifier *notifier; /* --notify-url: its queue and thread (NULL: none) */
};

/* ---- metrics ---- */

enum { N_BUCKETS = 8 };
static const double BUCKETS_MS[N_BUCKETS] = {1, 2.5, 5, 10, 25, 50, 100, 1000};
static atomic_ulong m_requests[6]; /* by status class: 1xx..5xx, [0] other */
static atomic_ulong m_latency[N_BUCKETS + 1];
static atomic_ullong m_latency_us_sum;
static atomic_ulong m_posts;

void qb_server_metrics(qb_buf *out, const char *db_path) {
  static const char *const cls[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  qb_buf_adds(out,
              "# HELP qbdb_http_requests_total HTTP requests by status class.\n"
              "# TYPE qbdb_http_requests_total counter\n",
              NULL);
  for (int i = 0; i < 6; i++)
    qb_buf_printf(out, NULL, "qbdb_http_requests_total{status=\"%s\"} %lu\n", cls[i],
                  atomic_load(&m_requests[i]));
  qb_buf_adds(out,
              "# HELP qbdb_http_request_duration_seconds Request latency.\n"
              "# TYPE qbdb_http_request_duration_seconds histogram\n",
              NULL);
  unsigned long cum = 0;
  for (int b = 0; b < N_BUCKETS; b++) {
    cum += atomic_load(&m_latency[b]);
    qb_buf_printf(out, NULL, "qbdb_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
                  BUCKETS_MS[b] / 1e3, cum);
  }
  cum += atomic_load(&m_latency[N_BUCKETS]);
  qb_buf_printf(out, NULL,
                "qbdb_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
                "qbdb_http_request_duration_seconds_sum %.6f\n"
                "qbdb_http_request_duration_seconds_count %lu\n",
                cum, (double)atomic_load(&m_latency_us_sum) / 1e6, cum);
  qb_buf_printf(out, NULL,
                "# HELP qbdb_runs_posted_total Uploads answered (POST /api/v1/runs).\n"
                "# TYPE qbdb_runs_posted_total counter\nqbdb_runs_posted_total %lu\n",
                atomic_load(&m_posts));
  struct stat st;
  if (db_path && stat(db_path, &st) == 0)
    qb_buf_printf(out, NULL,
                  "# HELP qbdb_database_bytes Size of the database file.\n"
                  "# TYPE qbdb_database_bytes gauge\nqbdb_database_bytes %lld\n",
                  (long long)st.st_size);
}

/* ---- the pool ---- */

static qb_store *pool_get(store_pool *p) {
  pthread_mutex_lock(&p->mu);
  for (;;) {
    for (size_t i = 0; i < p->n; i++)
      if (!p->busy[i]) {
        p->busy[i] = 1;
        pthread_mutex_unlock(&p->mu);
        return p->stores[i];
      }
    pthread_cond_wait(&p->cv, &p->mu);
  }
}

static void pool_put(store_pool *p, qb_store *s) {
  pthread_mutex_lock(&p->mu);
  for (size_t i = 0; i < p->n; i++)
    if (p->stores[i] == s) p->busy[i] = 0;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

/* ---- requests ---- */

/* State of one request across libmicrohttpd's calls: the body so far. */
typedef struct req_ctx {
  qb_buf body;
  int too_large;
  int begun;   /* on_request has seen the headers */
  int raw_nul; /* the raw path holds %00 (libmicrohttpd would decode it and cut the path) */
  int64_t started;
} req_ctx;

/* libmicrohttpd's URI log callback, called once per request with the raw request target,
 * before decoding: makes the request's state (freed in on_completed) and notes a %00 in the
 * path, which the decoded path passed to on_request can no longer show. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
  (void)conn;
  qb_server *srv = cls;
  req_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  qb_buf_init(&ctx->body, srv->o.max_body);
  ctx->started = qb_time_now();
  for (const char *p = uri; *p && *p != '?'; p++)
    if (p[0] == '%' && p[1] == '0' && p[2] == '0') ctx->raw_nul = 1;
  return ctx;
}

const char *qb_request_arg(const qb_request *r, const char *key) {
  if (!r->conn) return qb_request_arg_n(r, key, 0);
  return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, key);
}

typedef struct nth_arg {
  const char *key;
  size_t want, seen;
  const char *value;
} nth_arg;

static enum MHD_Result nth_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value) {
  (void)kind;
  nth_arg *a = cls;
  if (strcmp(key, a->key) != 0) return MHD_YES;
  if (a->seen++ == a->want) {
    a->value = value;
    return MHD_NO;
  }
  return MHD_YES;
}

const char *qb_request_arg_n(const qb_request *r, const char *key, size_t i) {
  nth_arg a = {key, i, 0, NULL};
  if (!r->conn) { /* no connection: the pairs in r->args (fuzz/fuzz_http.c) */
    for (const char *const *p = r->args; p && p[0]; p += 2)
      if (!strcmp(p[0], key) && a.seen++ == i) return p[1];
    return NULL;
  }
  MHD_get_connection_values((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, nth_iter, &a);
  return a.value;
}

/* Send out (freeing what it owns) with status and type. With --cors-origin (cors not NULL), the
 * answer varies by Origin, and allow_origin (the request's Origin when it is exactly the
 * configured one, else NULL) is echoed in Access-Control-Allow-Origin. */
static enum MHD_Result send_response(struct MHD_Connection *c, qb_response *out, const char *cors,
                                     const char *allow_origin) {
  char *text = NULL;
  size_t len = 0;
  struct MHD_Response *resp;
  const char *type = out->type;
  if (out->json) {
    text = json_dumps(out->json, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(out->json);
    len = text ? strlen(text) : 0;
    type = "application/json";
    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  } else if (out->text) {
    len = strlen(out->text);
    resp = MHD_create_response_from_buffer(len, out->text, MHD_RESPMEM_MUST_FREE);
  } else {
    resp = MHD_create_response_from_buffer(out->len, (void *)out->data, MHD_RESPMEM_PERSISTENT);
  }
  if (!resp) return MHD_NO;
  if (out->status != 204)
    MHD_add_response_header(resp, "Content-Type", type ? type : "application/octet-stream");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  if (out->verdict[0]) MHD_add_response_header(resp, "Qbdb-Verdict", out->verdict);
  if (cors) MHD_add_response_header(resp, "Vary", "Origin");
  if (allow_origin) {
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", allow_origin);
    if (out->status == 204) { /* the preflight (the routes never answer 204) */
      MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS");
      MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                              "Authorization, Content-Type, Idempotency-Key");
      MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
  }
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)out->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void count(int status, int64_t started) {
  int cls = status >= 100 && status < 600 ? status / 100 : 0;
  atomic_fetch_add(&m_requests[cls], 1);
  double ms = (double)(qb_time_now() - started) / 1e3;
  int b = 0;
  while (b < N_BUCKETS && ms > BUCKETS_MS[b]) b++;
  atomic_fetch_add(&m_latency[b], 1);
  atomic_fetch_add(&m_latency_us_sum, (unsigned long long)(ms * 1e3));
}

/* The (percent-decoded) path as the access log shows it, in out (size bytes): control bytes,
 * backslash and DEL as \xNN, so a request cannot forge log lines; cut at size with "...". */
static void log_escape(const char *url, char *out, size_t size) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
    if (o + 8 >= size) {
      memcpy(out + o, "...", 4);
      return;
    }
    if (*p < 0x20 || *p == 0x7f || *p == '\\')
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
    else
      out[o++] = (char)*p;
  }
  out[o] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  qb_server *srv = cls;
  req_ctx *ctx = *con_cls; /* made by on_uri */
  if (!ctx) return MHD_NO;
  if (!ctx->begun) { /* first call: headers only */
    ctx->begun = 1;
    return MHD_YES;
  }
  if (*upload_size) { /* a piece of the body */
    if (!ctx->too_large && qb_buf_add(&ctx->body, upload_data, *upload_size, NULL))
      ctx->too_large = 1, qb_buf_dispose(&ctx->body);
    *upload_size = 0;
    return MHD_YES;
  }
  qb_response out = {0};
  const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
  const char *allow_origin =
      srv->o.cors_origin && origin && !strcmp(origin, srv->o.cors_origin) ? origin : NULL;
  if (allow_origin && !strcmp(method, "OPTIONS")) { /* a CORS preflight: no route, no store */
    out.status = 204;
  } else if (ctx->raw_nul) { /* "/index.html%00.txt" names nothing */
    out.status = 404;
    out.json = json_pack("{s:{s:s, s:s}}", "error", "code", "not_found", "message",
                         "no such endpoint: the path holds an encoded NUL");
  } else if (ctx->too_large) {
    out.status = 413;
    out.json = json_pack("{s:{s:s, s:s}}", "error", "code", "too_large", "message",
                         "request body larger than the server's --max-body");
  } else {
    qb_request r = {0};
    r.method = method;
    r.path = url;
    r.body = ctx->body.data ? ctx->body.data : "";
    r.body_len = ctx->body.len;
    r.bearer = auth && !strncmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
    r.idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    r.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    r.conn = conn;
    r.public_read = srv->o.public_read;
    r.db_path = srv->o.db;
    r.notifier = srv->notifier;
    r.notify_min = srv->o.notify_min_severity;
    r.store = pool_get(&srv->pool);
    qb_route(&r, &out);
    pool_put(&srv->pool, r.store);
    if (!strcmp(method, "POST")) atomic_fetch_add(&m_posts, 1);
  }
  int status = out.status;
  enum MHD_Result ret = send_response(conn, &out, srv->o.cors_origin, allow_origin);
  count(status, ctx->started);
  if (srv->o.log) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[64] = "-";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
                sizeof addr);
    char path[512];
    log_escape(url, path, sizeof path);
    fprintf(srv->o.log, "%s %s %s %d %.2fms\n", addr, method, path, status,
            (double)(qb_time_now() - ctx->started) / 1e3);
    fflush(srv->o.log);
  }
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  req_ctx *ctx = *con_cls;
  if (!ctx) return;
  qb_buf_dispose(&ctx->body);
  free(ctx);
  *con_cls = NULL;
}

/* The checkpointer thread: run the checkpoints the pool's connections leave due, until stop. A
 * checkpoint that finds the database busy (another process - `qbdb ingest` - is checkpointing or
 * holds a lock) is not an error: it is skipped without a word, and the next long WAL asks again;
 * other failures are logged. */
static void *checkpointer(void *arg) {
  qb_server *srv = arg;
  while (!atomic_load(&srv->stopping)) {
    qb_err err = QB_ERR_INIT;
    int rc = qb_store_checkpoint_due(srv->ckpt_store, 1000, &err);
    if (rc && !(rc == QB_EDB && (strstr(err.msg, "locked") || strstr(err.msg, "busy"))))
      fprintf(stderr, "qbdb: checkpoint: %s\n", err.msg);
  }
  return NULL;
}

int qb_server_start(qb_server **out, const qb_server_opts *o, qb_err *err) {
  *out = NULL;
  qb_server *srv = calloc(1, sizeof *srv);
  if (!srv) return qb_err_set(err, QB_ENOMEM, "out of memory");
  srv->o = *o;
  if (!srv->o.host) srv->o.host = "127.0.0.1";
  if (!srv->o.threads) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    srv->o.threads = cpus > 0 ? (unsigned)cpus : 2;
  }
  if (!srv->o.max_body) srv->o.max_body = (size_t)64 << 20;
  if (srv->o.notify_min_severity == QB_SEV_NONE) srv->o.notify_min_severity = QB_SEV_MAJOR;
  int rc = QB_OK;
  store_pool *p = &srv->pool;
  p->n = srv->o.threads + 1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  if (!(p->stores = calloc(p->n, sizeof *p->stores)) ||
      !(p->busy = calloc(p->n, sizeof *p->busy))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < p->n; i++)
    if ((rc = qb_store_open(&p->stores[i], srv->o.db,
                            QB_STORE_BG_CHECKPOINT | (i == 0 ? QB_STORE_CREATE : 0), err)))
      goto done;
  if ((rc = qb_store_open(&srv->ckpt_store, srv->o.db, 0, err))) goto done;
  if (pthread_create(&srv->ckpt_thread, NULL, checkpointer, srv) != 0) {
    rc = qb_err_set(err, QB_EINTERNAL, "cannot start the checkpoint thread");
    goto done;
  }
  srv->ckpt_started = 1;
  if (srv->o.notify_url) { /* before the first request can want it */
    qb_notifier_opts no = QB_NOTIFIER_OPTS_INIT;
    no.post.url = srv->o.notify_url;
    if (srv->o.notify_total_ms > 0) no.post.total_ms = srv->o.notify_total_ms;
    no.log = srv->o.log;
    if ((rc = qb_notifier_start(&srv->notifier, &no, err))) goto done;
  }
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(srv->o.port);
  if (inet_pton(AF_INET, srv->o.host, &sa.sin_addr) != 1) {
    rc = qb_err_set(err, QB_EUSAGE, "--listen: '%s' is not an IPv4 address", srv->o.host);
    goto done;
  }
  srv->d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD, srv->o.port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, srv->o.threads,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      QB_SERVER_MAX_HEADER, MHD_OPTION_END);
  if (!srv->d) {
    rc = qb_err_set(err, QB_EIO, "cannot listen on %s:%u (in use, or not allowed)", srv->o.host,
                    (unsigned)srv->o.port);
    goto done;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = di ? di->port : srv->o.port;
done:
  if (rc) {
    qb_server_stop(srv);
    return rc;
  }
  *out = srv;
  return QB_OK;
}

unsigned short qb_server_port(const qb_server *s) {
  return s->port;
}

void qb_server_stop(qb_server *s) {
  if (!s) return;
  if (s->d) MHD_stop_daemon(s->d); /* waits for the requests in flight */
  qb_notifier_stop(s->notifier);   /* after them: they may have queued notifications */
  atomic_store(&s->stopping, 1);
  if (s->ckpt_started) {
    qb_store_checkpoint_interrupt();
    pthread_join(s->ckpt_thread, NULL);
  }
  qb_store_close(s->ckpt_store);
  for (size_t i = 0; s->pool.stores && i < s->pool.n; i++) qb_store_close(s->pool.stores[i]);
  free(s->pool.stores);
  free(s->pool.busy);
  pthread_mutex_destroy(&s->pool.mu);
  pthread_cond_destroy(&s->pool.cv);
  free(s);
}

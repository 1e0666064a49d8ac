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
  int64_t started;
} req_ctx;

const char *qb_request_arg(const qb_request *r, const char *key) {
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
  MHD_get_connection_values((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, nth_iter, &a);
  return a.value;
}

/* Send out (freeing what it owns) with status and type; counts it in the metrics. */
static enum MHD_Result send_response(struct MHD_Connection *c, qb_response *out) {
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
  MHD_add_response_header(resp, "Content-Type", type ? type : "application/octet-stream");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  qb_server *srv = cls;
  req_ctx *ctx = *con_cls;
  if (!ctx) { /* first call: headers only */
    if (!(ctx = calloc(1, sizeof *ctx))) return MHD_NO;
    qb_buf_init(&ctx->body, srv->o.max_body);
    ctx->started = qb_time_now();
    *con_cls = ctx;
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
  if (ctx->too_large) {
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
  enum MHD_Result ret = send_response(conn, &out);
  count(status, ctx->started);
  if (srv->o.log) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[64] = "-";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
                sizeof addr);
    fprintf(srv->o.log, "%s %s %s %d %.2fms\n", addr, method, url, status,
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

/* The checkpointer thread: run the checkpoints the pool's connections leave due, until stop. */
static void *checkpointer(void *arg) {
  qb_server *srv = arg;
  while (!atomic_load(&srv->stopping)) {
    qb_err err = QB_ERR_INIT;
    if (qb_store_checkpoint_due(srv->ckpt_store, 1000, &err))
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
  srv->d =
      MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, srv->o.port, NULL, NULL, on_request, srv,
                       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
                       srv->o.threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
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

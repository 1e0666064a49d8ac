/* http/server.c - the libmicrohttpd binding: connections and their limits, bodies, a pool of
 * database connections, the threads that run the slow handlers, the access log, the counters
 * behind /metrics and the notifier thread (net/notifier.h). Routing is in http/routes.c.
 *
 * Limits (docs/reliability.md, "Server limits"): libmicrohttpd caps the connections per client
 * address and in all; a watchdog thread cuts the requests that do not arrive within the request
 * timeout (and the connections whose client left without libmicrohttpd noticing); a POST or
 * PATCH is authorized on its headers before any body byte is kept, and the bodies kept are
 * capped all together; the expensive reads (compare, trend, one run) are capped in number and,
 * like the writes, run on threads of their own while their connection is suspended, so that
 * libmicrohttpd's threads stay free for the cheap requests. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapters/json_out.h"
#include "service/auth.h"
#include "net/notifier.h"
#include "service/run_cache.h"
#include "core/par.h"
#include "core/time.h"

/* A pool of database connections, one per thread that may run a handler (SQLite connections are
 * not shared between threads at once). */
typedef struct store_pool {
  qb_store **stores;
  int *busy;
  size_t n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} store_pool;

/* One client connection, from libmicrohttpd's STARTED notice to its CLOSED one (its socket
 * context), on the server's list for the watchdog. Its fields are under the server's conns_mu:
 * the socket stays open until the CLOSED notice, which takes the lock too. */
typedef struct conn_slot {
  struct conn_slot *prev, *next;
  int fd;
  int64_t since;    /* the request being received began (monotonic us) */
  int64_t deadline; /* it must have arrived by then (0: not receiving one) */
  int hup_scans;    /* watchdog scans in a row that found the client gone mid-request */
  int cut;          /* cut by the watchdog or refused by on_uri: nothing more to do */
  char addr[48];
  char method[16]; /* of the request being received, for the log ("-": not known yet) */
  char path[256];  /* its escaped path ("" before its request line) */
} conn_slot;

struct qb_server;

/* A request whose handler runs on a pool thread while its connection is suspended. */
typedef struct job {
  struct job *next;
  struct MHD_Connection *conn;
  struct req_ctx *ctx;
  qb_request r;
  int64_t since; /* when it began to wait for a place (monotonic us) */
} job;

/* Threads that run handlers off libmicrohttpd's threads, FIFO. With a limit (the expensive
 * reads), at most limit requests hold a place - from their admission until their answer is
 * sent, so that the memory of that many answers at most is held - and up to max_waiting more
 * wait, suspended, for a place (at most the request timeout). */
typedef struct job_pool {
  struct qb_server *srv;
  pthread_t *threads;
  size_t n, started;
  pthread_mutex_t mu;
  pthread_cond_t cv, idle;
  job *head, *tail;
  size_t pending;             /* queued or running, not yet resumed */
  int closing;                /* no new jobs (the server is stopping) */
  int quit;                   /* the threads leave once the queue is empty */
  unsigned limit;             /* places (0: no admission, every job is queued at once) */
  unsigned held;              /* places held */
  job *wait_head, *wait_tail; /* suspended, waiting for a place */
  size_t waiting, max_waiting;
} job_pool;

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
  qb_run_cache *run_cache;
  /* the connections, for the watchdog */
  pthread_mutex_t conns_mu;
  pthread_cond_t wd_cv;
  conn_slot *conns;
  int wd_quit, wd_started;
  pthread_t wd_thread;
  /* the slow handlers: expensive reads, and writes */
  job_pool reads, writes;
  atomic_uint conns_open; /* connections between their STARTED and CLOSED notices */
  atomic_size_t inflight; /* body bytes reserved by the requests being received or handled */
};

/* ---- metrics ---- */

enum { N_BUCKETS = 8 };
static const double BUCKETS_MS[N_BUCKETS] = {1, 2.5, 5, 10, 25, 50, 100, 1000};
static atomic_ulong m_requests[6]; /* by status class: 1xx..5xx, [0] other */
static atomic_ulong m_latency[N_BUCKETS + 1];
static atomic_ullong m_latency_us_sum;
static atomic_ulong m_posts;
/* the limits at work (all servers of the process together) */
static atomic_long m_connections, m_expensive, m_waiting;
static atomic_llong m_inflight;
enum { R_CONNECTIONS, R_EXPENSIVE, R_BODY_BYTES, R_TIMEOUT, R_GONE, R_TARGET, N_REASONS };
static const char *const REASONS[N_REASONS] = {"connections", "expensive",   "body_bytes",
                                               "timeout",     "client_gone", "target"};
static atomic_ulong m_refused[N_REASONS];

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
  qb_buf_printf(out, NULL,
                "# HELP qbdb_http_connections Open client connections.\n"
                "# TYPE qbdb_http_connections gauge\nqbdb_http_connections %ld\n"
                "# HELP qbdb_http_expensive_in_flight Expensive reads admitted, not yet answered.\n"
                "# TYPE qbdb_http_expensive_in_flight gauge\n"
                "qbdb_http_expensive_in_flight %ld\n"
                "# HELP qbdb_http_expensive_waiting Expensive reads waiting for a place.\n"
                "# TYPE qbdb_http_expensive_waiting gauge\nqbdb_http_expensive_waiting %ld\n"
                "# HELP qbdb_http_body_bytes_in_flight Request body bytes reserved.\n"
                "# TYPE qbdb_http_body_bytes_in_flight gauge\n"
                "qbdb_http_body_bytes_in_flight %lld\n"
                "# HELP qbdb_http_refused_total Requests refused or cut by a server limit.\n"
                "# TYPE qbdb_http_refused_total counter\n",
                atomic_load(&m_connections), atomic_load(&m_expensive), atomic_load(&m_waiting),
                atomic_load(&m_inflight));
  for (int i = 0; i < N_REASONS; i++)
    qb_buf_printf(out, NULL, "qbdb_http_refused_total{reason=\"%s\"} %lu\n", REASONS[i],
                  atomic_load(&m_refused[i]));
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

/* ---- small helpers ---- */

/* Monotonic microseconds (deadlines must not move with the wall clock). */
static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The (percent-decoded) path as the access log shows it, in out (size bytes): control bytes,
 * backslash and DEL as \xNN, so a request cannot forge log lines; cut at size with "...". At
 * most len bytes of url are read. */
static void log_escape(const char *url, size_t len, char *out, size_t size) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)url; len-- && *p; p++) {
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

static void count(int status, int64_t started) {
  int cls = status >= 100 && status < 600 ? status / 100 : 0;
  atomic_fetch_add(&m_requests[cls], 1);
  double ms = (double)(mono_us() - started) / 1e3;
  int b = 0;
  while (b < N_BUCKETS && ms > BUCKETS_MS[b]) b++;
  atomic_fetch_add(&m_latency[b], 1);
  atomic_fetch_add(&m_latency_us_sum, (unsigned long long)(ms * 1e3));
}

/* One access-log line: WHEN ADDR METHOD PATH STATUS TIME (path already escaped; WHEN the UTC
 * time of the answer, as every other time qbdb prints). */
static void log_line(qb_server *srv, const char *addr, const char *method, const char *path,
                     int status, int64_t started) {
  if (!srv->o.log) return;
  char when[40];
  qb_time_format(qb_time_now(), when, sizeof when);
  fprintf(srv->o.log, "%s %s %s %s %d %.2fms\n", when, addr, method, path, status,
          (double)(mono_us() - started) / 1e3);
  fflush(srv->o.log);
}

/* The connection's slot (its socket context), NULL when it has none. */
static conn_slot *slot_of(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* Answer on the socket itself, bypassing libmicrohttpd, and shut it down both ways (which also
 * wakes libmicrohttpd up to close it). Only for a connection libmicrohttpd is not answering:
 * while its request is being received. */
static void raw_answer(int fd, int status, const char *reason, const char *code, const char *msg) {
  char body[256], all[512];
  int blen =
      snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
  int n = snprintf(all, sizeof all,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                   "Connection: close\r\nContent-Length: %d\r\n\r\n%s",
                   status, reason, blen, body);
  if (n > 0 && (size_t)n < sizeof all) (void)!send(fd, all, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
  shutdown(fd, SHUT_RDWR);
}

/* ---- connections and the watchdog ---- */

/* libmicrohttpd's connection notices: a slot per connection, on the server's list; a new
 * connection has the request timeout to send its first request. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  qb_server *srv = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    conn_slot *s = calloc(1, sizeof *s);
    *socket_context = s;
    if (!s) return; /* out of memory: the connection goes uncounted, without a deadline */
    atomic_fetch_add(&srv->conns_open, 1); /* counted with its slot: a CLOSED notice without */
    atomic_fetch_add(&m_connections, 1);   /* a slot (or a STARTED one) takes nothing away */
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ca =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    s->fd = fd ? fd->connect_fd : -1;
    strcpy(s->addr, "-");
    if (ca && ca->client_addr && ca->client_addr->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)ca->client_addr)->sin_addr, s->addr,
                sizeof s->addr);
    strcpy(s->method, "-");
    s->since = mono_us();
    s->deadline = s->fd >= 0 ? s->since + srv->o.request_timeout_ms * 1000 : 0;
    pthread_mutex_lock(&srv->conns_mu);
    s->next = srv->conns;
    if (srv->conns) srv->conns->prev = s;
    srv->conns = s;
    pthread_mutex_unlock(&srv->conns_mu);
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    conn_slot *s = *socket_context;
    if (!s) return;
    atomic_fetch_sub(&srv->conns_open, 1);
    atomic_fetch_sub(&m_connections, 1);
    pthread_mutex_lock(&srv->conns_mu);
    if (s->prev)
      s->prev->next = s->next;
    else
      srv->conns = s->next;
    if (s->next) s->next->prev = s->prev;
    pthread_mutex_unlock(&srv->conns_mu);
    free(s);
    *socket_context = NULL;
  }
}

/* libmicrohttpd's accept policy: the global connection limit. libmicrohttpd's own limit
 * (MHD_OPTION_CONNECTION_LIMIT) is set out of reach instead: 0.9.75, once a thread of its pool
 * has reached its share, misses the hang-ups of that thread's connections (and even the
 * shutdowns of the watchdog) and keeps them until their idle timeout - a flood of 1,200
 * connections from closed clients then held every slot for a minute. So a connection over
 * max_connections is closed at once, like one over the per-address limit. (Connections
 * accepted by several threads at once may pass the limit by fewer than --threads.) */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len) {
  (void)addr;
  (void)len;
  qb_server *srv = cls;
  if (atomic_load(&srv->conns_open) < srv->o.max_connections) return MHD_YES;
  atomic_fetch_add(&m_refused[R_CONNECTIONS], 1);
  return MHD_NO;
}

/* Set the slot's receiving state: deadline 0 (the request has arrived, or is being answered)
 * or the request timeout from now (the connection waits for its next request). */
static void slot_receiving(qb_server *srv, conn_slot *s, int receiving) {
  if (!s) return;
  pthread_mutex_lock(&srv->conns_mu);
  if (receiving) {
    s->since = mono_us();
    s->deadline = s->fd >= 0 ? s->since + srv->o.request_timeout_ms * 1000 : 0;
    s->hup_scans = 0;
    strcpy(s->method, "-");
    s->path[0] = '\0';
  } else {
    s->deadline = 0;
  }
  pthread_mutex_unlock(&srv->conns_mu);
}

static void jobs_expire(job_pool *p, int64_t cutoff, const char *msg);

/* The watchdog: every period, cut (under conns_mu) the connections whose request is late - a
 * 408 when its request line had arrived, then a shutdown that makes libmicrohttpd close it - and
 * those whose client is gone (hung up, nothing left to read) while libmicrohttpd, two scans in a
 * row, still waits for their request: libmicrohttpd 0.9.75 sometimes misses such a hang-up after
 * a flood and would keep the slot for its whole idle timeout. */
static void *watchdog(void *arg) {
  qb_server *srv = arg;
  long period_ms = srv->o.request_timeout_ms / 4;
  if (period_ms > 1000) period_ms = 1000;
  if (period_ms < 20) period_ms = 20;
  struct pollfd *pfd = NULL;
  conn_slot **who = NULL;
  size_t cap = 0;
  pthread_mutex_lock(&srv->conns_mu);
  while (!srv->wd_quit) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (period_ms % 1000) * 1000000L;
    until.tv_sec += period_ms / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&srv->wd_cv, &srv->conns_mu, &until);
    if (srv->wd_quit) break;
    int64_t now = mono_us();
    pthread_mutex_unlock(&srv->conns_mu); /* (lock order: a pool's mu is never taken inside) */
    jobs_expire(&srv->reads, now - srv->o.request_timeout_ms * 1000,
                "an expensive request waited for a place longer than the server's "
                "--request-timeout; retry");
    pthread_mutex_lock(&srv->conns_mu);
    size_t n = 0;
    for (conn_slot *s = srv->conns; s; s = s->next) {
      if (!s->deadline || s->cut) continue;
      if (now >= s->deadline) {
        s->cut = 1;
        atomic_fetch_add(&m_refused[R_TIMEOUT], 1);
        if (s->path[0]) {
          raw_answer(s->fd, 408, "Request Timeout", "timeout",
                     "the request did not arrive within the server's --request-timeout");
          count(408, s->since);
          log_line(srv, s->addr, s->method, s->path, 408, s->since);
        } else {
          shutdown(s->fd, SHUT_RDWR);
        }
        continue;
      }
      if (n == cap) {
        size_t c = cap ? 2 * cap : 64;
        struct pollfd *np = realloc(pfd, c * sizeof *np);
        if (np) pfd = np;
        conn_slot **nw = np ? realloc(who, c * sizeof *nw) : NULL;
        if (nw) who = nw;
        if (!np || !nw) break; /* out of memory: the rest waits for the next scan */
        cap = c;
      }
      pfd[n] = (struct pollfd){.fd = s->fd, .events = POLLRDHUP};
      who[n++] = s;
    }
    if (n && poll(pfd, n, 0) > 0) {
      for (size_t i = 0; i < n; i++) {
        int unread = 0;
        if (!(pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) ||
            ioctl(pfd[i].fd, FIONREAD, &unread) != 0 || unread > 0) {
          who[i]->hup_scans = 0;
        } else if (++who[i]->hup_scans >= 2) {
          who[i]->cut = 1;
          atomic_fetch_add(&m_refused[R_GONE], 1);
          shutdown(who[i]->fd, SHUT_RDWR);
        }
      }
    } else {
      for (size_t i = 0; i < n; i++) who[i]->hup_scans = 0;
    }
  }
  pthread_mutex_unlock(&srv->conns_mu);
  free(pfd);
  free(who);
  return NULL;
}

/* ---- the job pools ---- */

/* State of one request across libmicrohttpd's calls. */
typedef struct req_ctx {
  qb_buf body;
  int begun;       /* on_request has seen the headers */
  int raw_nul;     /* the raw path holds %00 (libmicrohttpd would decode it and cut the path) */
  int refused;     /* answered by on_uri (414): libmicrohttpd is to close it */
  int discard;     /* not a write: its body, if any, is read and dropped */
  int too_large;   /* its body passed max_body: read and dropped, answered 413 */
  int over_cap;    /* its body passed max_inflight: read and dropped, answered 503 */
  int held;        /* refused on its headers, answer in resp, sent once its small body is read */
  int expensive;   /* holds one of the max_expensive places until completed (under reads.mu) */
  int routed;      /* handed to qb_route (inline or on a pool) */
  size_t reserved; /* body bytes counted in the server's inflight */
  atomic_int job;  /* 0: none; 1: handed to a pool; 2: its answer is in resp */
  qb_response resp;
  int64_t started; /* monotonic us */
} req_ctx;

static void *job_main(void *arg) {
  job_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->head && !p->quit) pthread_cond_wait(&p->cv, &p->mu);
    job *j = p->head;
    if (!j) break;
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    j->r.store = pool_get(&p->srv->pool);
    qb_par_enter(); /* a CPU kept busy: computations on the others' CPUs start no helpers */
    qb_route(&j->r, &j->ctx->resp);
    qb_par_leave();
    pool_put(&p->srv->pool, j->r.store);
    atomic_store(&j->ctx->job, 2);
    MHD_resume_connection(j->conn); /* on_request is called again, and sends resp */
    free(j);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_broadcast(&p->idle);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Start the pool's n threads. */
static int jobs_start(job_pool *p, qb_server *srv, size_t n, qb_err *err) {
  p->srv = srv;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  pthread_cond_init(&p->idle, NULL);
  if (!(p->threads = calloc(n, sizeof *p->threads)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  p->n = n;
  for (; p->started < n; p->started++)
    if (pthread_create(&p->threads[p->started], NULL, job_main, p) != 0)
      return qb_err_set(err, QB_EINTERNAL, "cannot start the server's handler threads");
  return QB_OK;
}

/* Queue j (its connection suspended), under p->mu. */
static void enqueue(job_pool *p, job *j) {
  j->next = NULL;
  if (p->tail)
    p->tail->next = j;
  else
    p->head = j;
  p->tail = j;
  p->pending++;
  pthread_cond_signal(&p->cv);
}

/* Suspend conn and queue its handler, or, in a pool with a limit whose places are all held,
 * make it wait for one (called by on_request, on libmicrohttpd's thread). 0: done (the answer
 * comes when the connection is resumed); 1: refused, every place held and max_waiting waiting;
 * -1: nothing done (the pool is closing or memory is short). */
static int jobs_submit(job_pool *p, struct MHD_Connection *conn, req_ctx *ctx,
                       const qb_request *r) {
  job *j = calloc(1, sizeof *j);
  if (!j) return -1;
  j->conn = conn;
  j->ctx = ctx;
  j->r = *r;
  int rc = 0;
  pthread_mutex_lock(&p->mu);
  if (p->closing || !p->started) {
    rc = -1;
  } else if (p->limit && p->held >= p->limit && p->waiting >= p->max_waiting) {
    rc = 1;
  } else {
    atomic_store(&ctx->job, 1);
    MHD_suspend_connection(conn);
    if (p->limit && p->held >= p->limit) { /* wait for a place */
      j->since = mono_us();
      if (p->wait_tail)
        p->wait_tail->next = j;
      else
        p->wait_head = j;
      p->wait_tail = j;
      p->waiting++;
      atomic_fetch_add(&m_waiting, 1);
      j = NULL;
    } else {
      if (p->limit) {
        p->held++;
        ctx->expensive = 1;
        atomic_fetch_add(&m_expensive, 1);
      }
      enqueue(p, j);
      j = NULL;
    }
  }
  pthread_mutex_unlock(&p->mu);
  free(j);
  return rc;
}

/* Answer a job that waited for a place 503 with msg, resume its connection, free it (under
 * p->mu). */
static void wait_refuse(job_pool *p, job *j, const char *msg);

/* A request that held a place has completed: give the place to the first waiting one. */
static void jobs_release(job_pool *p, req_ctx *ctx) {
  pthread_mutex_lock(&p->mu);
  if (ctx->expensive) {
    ctx->expensive = 0;
    p->held--;
    atomic_fetch_sub(&m_expensive, 1);
  }
  while (p->wait_head && p->held < p->limit) {
    job *j = p->wait_head;
    p->wait_head = j->next;
    if (!p->wait_head) p->wait_tail = NULL;
    p->waiting--;
    atomic_fetch_sub(&m_waiting, 1);
    if (p->closing) {
      wait_refuse(p, j, "the server is stopping");
      continue;
    }
    p->held++;
    j->ctx->expensive = 1;
    atomic_fetch_add(&m_expensive, 1);
    enqueue(p, j);
  }
  pthread_mutex_unlock(&p->mu);
}

/* Answer the jobs that waited for a place since before cutoff (monotonic us; INT64_MAX: all)
 * 503. */
static void jobs_expire(job_pool *p, int64_t cutoff, const char *msg) {
  if (!p->threads) return;
  pthread_mutex_lock(&p->mu);
  job **link = &p->wait_head, *last = NULL;
  while (*link) {
    job *j = *link;
    if (j->since < cutoff) {
      *link = j->next;
      p->waiting--;
      atomic_fetch_sub(&m_waiting, 1);
      atomic_fetch_add(&m_refused[R_EXPENSIVE], 1);
      wait_refuse(p, j, msg);
    } else {
      last = j;
      link = &j->next;
    }
  }
  p->wait_tail = last;
  pthread_mutex_unlock(&p->mu);
}

/* No new jobs; the waiting ones are answered 503; wait until every job queued has run and
 * resumed its connection. */
static void jobs_drain(job_pool *p) {
  if (!p->threads) return;
  pthread_mutex_lock(&p->mu);
  p->closing = 1;
  pthread_mutex_unlock(&p->mu);
  jobs_expire(p, INT64_MAX, "the server is stopping");
  pthread_mutex_lock(&p->mu);
  while (p->pending) pthread_cond_wait(&p->idle, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

/* Let the threads go, join them and free the pool. */
static void jobs_stop(job_pool *p) {
  if (!p->threads) return;
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (size_t i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
  free(p->threads);
  p->threads = NULL;
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  pthread_cond_destroy(&p->idle);
}

/* ---- requests ---- */

/* libmicrohttpd's URI log callback, called once per request with the raw request target,
 * before decoding and before the query is split into arguments: makes the request's state
 * (freed in on_completed), notes a %00 in the path, which the decoded path passed to on_request
 * can no longer show, and refuses a target longer than QB_SERVER_MAX_TARGET or with more than
 * QB_SERVER_MAX_ARGS arguments. libmicrohttpd 0.9.75 keeps each argument in the connection's
 * fixed memory; when they do not fit it gives up on the request without answering and leaves
 * the connection until its idle timeout (1,000 arguments took 60 s). So the 414 is written here,
 * on the socket, and the socket shut down, which makes libmicrohttpd close it at once. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
  qb_server *srv = cls;
  req_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  qb_buf_init(&ctx->body, srv->o.max_body);
  ctx->started = mono_us();
  const char *q = strchr(uri, '?');
  size_t path_len = q ? (size_t)(q - uri) : strlen(uri);
  for (const char *p = uri; p < uri + path_len; p++)
    if (p[0] == '%' && p[1] == '0' && p[2] == '0') ctx->raw_nul = 1;
  size_t args = 0;
  if (q && q[1]) {
    args = 1;
    for (const char *p = q + 1; *p; p++) args += *p == '&';
  }
  size_t target = path_len + (q ? strlen(q) : 0);
  conn_slot *s = slot_of(conn);
  char path[256];
  log_escape(uri, path_len, path, sizeof path);
  if (s) {
    pthread_mutex_lock(&srv->conns_mu);
    snprintf(s->path, sizeof s->path, "%s", path[0] ? path : "-");
    pthread_mutex_unlock(&srv->conns_mu);
  }
  if ((target > QB_SERVER_MAX_TARGET || args > QB_SERVER_MAX_ARGS) && s && s->fd >= 0) {
    ctx->refused = 1;
    pthread_mutex_lock(&srv->conns_mu);
    s->cut = 1;
    raw_answer(s->fd, 414, "URI Too Long", "uri_too_long",
               target > QB_SERVER_MAX_TARGET ? "request target longer than 8192 bytes"
                                             : "more than 128 query arguments");
    pthread_mutex_unlock(&srv->conns_mu);
    atomic_fetch_add(&m_refused[R_TARGET], 1);
    count(414, ctx->started);
    log_line(srv, s->addr, "-", path[0] ? path : "-", 414, ctx->started);
  }
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
    text = qb_json_dumps(out->json, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(out->json);
    out->json = NULL;
    len = text ? strlen(text) : 0;
    type = "application/json";
    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  } else if (out->text) {
    len = strlen(out->text);
    resp = MHD_create_response_from_buffer(len, out->text, MHD_RESPMEM_MUST_FREE);
    out->text = NULL;
  } else {
    resp = MHD_create_response_from_buffer(out->len, (void *)out->data, MHD_RESPMEM_PERSISTENT);
  }
  if (!resp) return MHD_NO;
  if (out->status != 204)
    MHD_add_response_header(resp, "Content-Type", type ? type : "application/octet-stream");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  if (out->verdict[0]) MHD_add_response_header(resp, "Qbdb-Verdict", out->verdict);
  if (out->status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  if (out->retry_after > 0) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", out->retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
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

/* Free what an answer that was never sent owns. */
static void response_dispose(qb_response *out) {
  json_decref(out->json);
  free(out->text);
  out->json = NULL;
  out->text = NULL;
}

/* An error answer {"error": {"code", "message"}} with status. */
static void error_response(qb_response *out, int status, const char *code, const char *msg) {
  out->status = status;
  out->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
  if (status == 503) out->retry_after = QB_SERVER_RETRY_AFTER_S;
}

static void wait_refuse(job_pool *p, job *j, const char *msg) {
  (void)p;
  error_response(&j->ctx->resp, 503, "busy", msg);
  atomic_store(&j->ctx->job, 2);
  MHD_resume_connection(j->conn);
  free(j);
}

/* The secret of an "Authorization: Bearer SECRET" header (the scheme in any case, RFC 7235),
 * or NULL. */
static const char *bearer_of(const char *auth) {
  if (!auth || strncasecmp(auth, "Bearer", 6) || (auth[6] != ' ' && auth[6] != '\t')) return NULL;
  auth += 6;
  while (*auth == ' ' || *auth == '\t') auth++;
  return *auth ? auth : NULL;
}

/* Count n more body bytes in the server's inflight; 0 when that would pass max_inflight. */
static int reserve(qb_server *srv, size_t n) {
  size_t cur = atomic_load(&srv->inflight);
  do {
    if (n > srv->o.max_inflight || cur > srv->o.max_inflight - n) return 0;
  } while (!atomic_compare_exchange_weak(&srv->inflight, &cur, cur + n));
  atomic_fetch_add(&m_inflight, (long long)n);
  return 1;
}

static void release(qb_server *srv, req_ctx *ctx) {
  if (!ctx->reserved) return;
  atomic_fetch_sub(&srv->inflight, ctx->reserved);
  atomic_fetch_sub(&m_inflight, (long long)ctx->reserved);
  ctx->reserved = 0;
}

/* What the header checks count. */
typedef struct header_scan {
  int hosts, lengths, chunked, length_conflict, expect;
  const char *length;
} header_scan;

/* A write refused for its token (401) whose declared body is at most this long, and that does
 * not wait for "100 Continue", is answered once that body has been read and dropped: a client
 * still sending when the server closes gets a reset that can lose the answer (curl: "Failed
 * sending data to the peer"), and a 401 is the one answer a client must see to be fixed. Longer
 * bodies are answered at once and the connection closed: reading them would be work done for
 * an anonymous client. (A 503 is answered at once too: a client retries whatever it saw.) */
#define QB_SERVER_DRAIN_MAX ((unsigned long long)1 << 20)

static enum MHD_Result scan_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
  (void)kind;
  header_scan *h = cls;
  if (!strcasecmp(key, "Host")) h->hosts++;
  if (!strcasecmp(key, "Transfer-Encoding")) h->chunked = 1;
  if (!strcasecmp(key, "Expect")) h->expect = 1;
  if (!strcasecmp(key, "Content-Length")) {
    if (h->lengths++ && strcmp(h->length, value ? value : "")) h->length_conflict = 1;
    h->length = value ? value : "";
  }
  return MHD_YES;
}

/* The checks made on the headers, before any body byte: an answer in out (status set) when the
 * request is refused at once - HTTP/1.1 without exactly one Host, conflicting Content-Length
 * headers or one with Transfer-Encoding (400), a write without a valid token (401), a write
 * whose declared body does not fit in max_inflight now (503). Otherwise out->status stays 0 and
 * ctx says what to do with the body. */
static void header_checks(qb_server *srv, struct MHD_Connection *conn, req_ctx *ctx,
                          const char *method, const char *url, const char *version,
                          qb_response *out) {
  header_scan h = {0};
  MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_iter, &h);
  if (h.hosts > 1 || (!h.hosts && !strcmp(version, MHD_HTTP_VERSION_1_1))) {
    error_response(out, 400, "bad_request",
                   h.hosts ? "more than one Host header" : "HTTP/1.1 request without Host");
    return;
  }
  if (h.length_conflict) {
    error_response(out, 400, "bad_request", "conflicting Content-Length headers");
    return;
  }
  if (h.lengths && h.chunked) {
    error_response(out, 400, "bad_request", "both Content-Length and Transfer-Encoding");
    return;
  }
  qb_route_info route; /* the writes (the route table's AUTH_WRITE) are authorized here */
  qb_route_classify(method, url, &route);
  if (!route.write) {
    ctx->discard = 1;
    return;
  }
  const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  qb_err err = QB_ERR_INIT;
  qb_token tok;
  qb_store *st = pool_get(&srv->pool);
  int rc = qb_token_check(st, bearer_of(auth), NULL, &tok, &err);
  pool_put(&srv->pool, st);
  qb_token_dispose(&tok); /* (zeroed by a failed check) */
  unsigned long long n = h.length ? strtoull(h.length, NULL, 10) : 0;
  int small = h.length && !h.chunked && !h.expect && n <= QB_SERVER_DRAIN_MAX;
  if (rc) {
    qb_route_error(out, rc, &err); /* 401, or 503 while the database is away */
    ctx->held = small && n > 0;
    return;
  }
  if (h.length) {
    if (n > srv->o.max_body) { /* read and dropped, answered 413 as before */
      ctx->too_large = 1;
    } else if (n && !reserve(srv, (size_t)n)) {
      atomic_fetch_add(&m_refused[R_BODY_BYTES], 1);
      error_response(out, 503, "busy",
                     "the server holds too many request bodies (--max-inflight); retry");
    } else {
      ctx->reserved = (size_t)n;
    }
  }
}

/* A piece of a body: kept for an authorized write within max_body and max_inflight (a chunked
 * body reserves as it comes), otherwise dropped. */
static void body_piece(qb_server *srv, req_ctx *ctx, const char *data, size_t n) {
  if (ctx->discard || ctx->held || ctx->too_large || ctx->over_cap) return;
  size_t want = ctx->body.len + n;
  if (want > srv->o.max_body || qb_buf_add(&ctx->body, data, n, NULL)) {
    ctx->too_large = 1;
  } else if (want > ctx->reserved) {
    if (reserve(srv, want - ctx->reserved)) {
      ctx->reserved = want;
      return;
    }
    ctx->over_cap = 1;
    atomic_fetch_add(&m_refused[R_BODY_BYTES], 1);
  } else {
    return;
  }
  qb_buf_dispose(&ctx->body);
  qb_buf_init(&ctx->body, srv->o.max_body);
  release(srv, ctx);
}

/* Send out for the request, count it and write its access-log line. */
static enum MHD_Result finish(qb_server *srv, struct MHD_Connection *conn, req_ctx *ctx,
                              const char *method, const char *url, qb_response *out) {
  const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
  const char *allow_origin =
      srv->o.cors_origin && origin && !strcmp(origin, srv->o.cors_origin) ? origin : NULL;
  int status = out->status;
  enum MHD_Result ret = send_response(conn, out, srv->o.cors_origin, allow_origin);
  count(status, ctx->started);
  if (ctx->routed && !strcmp(method, "POST")) atomic_fetch_add(&m_posts, 1);
  if (srv->o.log) {
    conn_slot *s = slot_of(conn);
    char path[512];
    log_escape(url, (size_t)-1, path, sizeof path);
    log_line(srv, s ? s->addr : "-", method, path, status, ctx->started);
  }
  return ret;
}

#define EXPENSIVE_BUSY                                                                             \
  "the server is answering as many expensive requests as it may (--max-expensive), and as many "   \
  "wait; retry"

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  qb_server *srv = cls;
  req_ctx *ctx = *con_cls; /* made by on_uri */
  if (!ctx || ctx->refused) return MHD_NO;
  if (atomic_load(&ctx->job) == 2) /* resumed: the pool's answer */
    return finish(srv, conn, ctx, method, url, &ctx->resp);
  qb_response out = {0};
  if (!ctx->begun) { /* first call: headers only */
    ctx->begun = 1;
    conn_slot *s = slot_of(conn);
    if (s) {
      pthread_mutex_lock(&srv->conns_mu);
      snprintf(s->method, sizeof s->method, "%s", method);
      pthread_mutex_unlock(&srv->conns_mu);
    }
    header_checks(srv, conn, ctx, method, url, version, &out);
    if (!out.status) return MHD_YES;
    if (ctx->held) { /* answered once its small body is read (and dropped) */
      ctx->resp = out;
      return MHD_YES;
    }
    slot_receiving(srv, s, 0); /* answered now; libmicrohttpd reads no body and closes */
    return finish(srv, conn, ctx, method, url, &out);
  }
  if (*upload_size) { /* a piece of the body */
    body_piece(srv, ctx, upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  /* the request has arrived */
  conn_slot *s = slot_of(conn);
  if (s) {
    pthread_mutex_lock(&srv->conns_mu);
    int cut = s->cut;
    s->deadline = 0;
    pthread_mutex_unlock(&srv->conns_mu);
    if (cut) return MHD_NO; /* too late: the watchdog answered 408 */
  }
  const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
  int preflight = srv->o.cors_origin && origin && !strcmp(origin, srv->o.cors_origin) &&
                  !strcmp(method, "OPTIONS");
  const char *as = !strcmp(method, "HEAD") ? "GET" : method; /* libmicrohttpd drops the body */
  qb_route_info route; /* the route table's: which pool runs it */
  qb_route_classify(method, url, &route);
  int expensive = route.expensive;
  if (preflight) { /* a CORS preflight: no route, no store */
    out.status = 204;
  } else if (ctx->held) { /* refused on its headers */
    return finish(srv, conn, ctx, method, url, &ctx->resp);
  } else if (ctx->raw_nul) { /* "/index.html%00.txt" names nothing */
    error_response(&out, 404, "not_found", "no such endpoint: the path holds an encoded NUL");
  } else if (ctx->too_large) {
    error_response(&out, 413, "too_large", "request body larger than the server's --max-body");
  } else if (ctx->over_cap) {
    error_response(&out, 503, "busy",
                   "the server holds too many request bodies (--max-inflight); retry");
  } else {
    ctx->routed = 1;
    qb_request r = {0};
    r.method = as;
    r.path = url;
    r.body = ctx->body.data ? ctx->body.data : "";
    r.body_len = ctx->body.len;
    r.bearer = bearer_of(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"));
    r.idempotency_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    r.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    r.conn = conn;
    r.public_read = srv->o.public_read;
    r.db_path = srv->o.db;
    r.notifier = srv->notifier;
    r.run_cache = srv->run_cache;
    r.notify_min = srv->o.notify_min_severity;
    job_pool *pool = expensive ? &srv->reads : route.write ? &srv->writes : NULL;
    int rc = pool ? jobs_submit(pool, conn, ctx, &r) : 0;
    if (pool && !rc) return MHD_YES; /* answered when resumed */
    if (pool) {
      ctx->routed = 0;
      if (rc > 0) atomic_fetch_add(&m_refused[R_EXPENSIVE], 1);
      error_response(&out, 503, "busy",
                     rc > 0 ? EXPENSIVE_BUSY : "the server is stopping or short of memory");
    } else {
      r.store = pool_get(&srv->pool);
      qb_route(&r, &out);
      pool_put(&srv->pool, r.store);
    }
  }
  return finish(srv, conn, ctx, method, url, &out);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)toe;
  qb_server *srv = cls;
  req_ctx *ctx = *con_cls;
  if (!ctx) return;
  release(srv, ctx);
  if (ctx->expensive) jobs_release(&srv->reads, ctx);
  response_dispose(&ctx->resp); /* an answer the connection did not live to send */
  qb_buf_dispose(&ctx->body);
  free(ctx);
  *con_cls = NULL;
  slot_receiving(srv, slot_of(conn), 1); /* keep-alive: the next request's time starts */
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

/* The options with their defaults filled in, checked. */
static int opts_resolve(qb_server_opts *o, qb_err *err) {
  unsigned cpus = (unsigned)qb_par_cpus();
  if (!o->host) o->host = "127.0.0.1";
  if (!o->threads) o->threads = cpus;
  if (!o->max_body) o->max_body = (size_t)64 << 20;
  if (o->notify_min_severity == QB_SEV_NONE) o->notify_min_severity = QB_SEV_MAJOR;
  if (!o->max_connections) o->max_connections = QB_SERVER_MAX_CONNECTIONS;
  if (!o->max_per_ip)
    o->max_per_ip =
        o->max_connections < QB_SERVER_MAX_PER_IP ? o->max_connections : QB_SERVER_MAX_PER_IP;
  if (o->threads > o->max_connections) o->threads = o->max_connections; /* libmicrohttpd's rule */
  if (o->request_timeout_ms <= 0) o->request_timeout_ms = QB_SERVER_REQUEST_TIMEOUT_MS;
  if (!o->max_inflight) o->max_inflight = 4 * o->max_body;
  if (!o->max_expensive) o->max_expensive = cpus;
  if (!o->run_cache_bytes) o->run_cache_bytes = QB_SERVER_RUN_CACHE_BYTES;
  if (o->max_per_ip > o->max_connections)
    return qb_err_set(err, QB_EUSAGE, "serve: --max-per-ip %u: more than --max-connections %u",
                      o->max_per_ip, o->max_connections);
  if (o->max_inflight < o->max_body)
    return qb_err_set(err, QB_EUSAGE,
                      "serve: --max-inflight %zu: less than --max-body %zu (no upload of the "
                      "largest size could be taken)",
                      o->max_inflight, o->max_body);
  return QB_OK;
}

int qb_server_start(qb_server **out, const qb_server_opts *o, qb_err *err) {
  *out = NULL;
  qb_server *srv = calloc(1, sizeof *srv);
  if (!srv) return qb_err_set(err, QB_ENOMEM, "out of memory");
  srv->o = *o;
  pthread_mutex_init(&srv->conns_mu, NULL);
  pthread_cond_init(&srv->wd_cv, NULL);
  store_pool *p = &srv->pool;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  int rc = opts_resolve(&srv->o, err);
  if (rc) goto done;
  if (!(srv->run_cache = qb_run_cache_new(srv->o.run_cache_bytes))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  /* a connection for each thread that runs handlers (libmicrohttpd's, the expensive reads', the
   * writes') and one to spare */
  p->n = 2 * (size_t)srv->o.threads + srv->o.max_expensive + 1;
  if (!(p->stores = calloc(p->n, sizeof *p->stores)) ||
      !(p->busy = calloc(p->n, sizeof *p->busy))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < p->n; i++)
    if ((rc = qb_store_open(&p->stores[i], srv->o.db,
                            QB_STORE_BG_CHECKPOINT | (i == 0 ? QB_STORE_CREATE : 0), err)))
      goto done;
  if (qb_store_has_checkpoints(p->stores[0])) { /* SQLite's WAL; PostgreSQL checkpoints itself */
    if ((rc = qb_store_open(&srv->ckpt_store, srv->o.db, 0, err))) goto done;
    if (pthread_create(&srv->ckpt_thread, NULL, checkpointer, srv) != 0) {
      rc = qb_err_set(err, QB_EINTERNAL, "cannot start the checkpoint thread");
      goto done;
    }
    srv->ckpt_started = 1;
  }
  srv->reads.limit = srv->o.max_expensive;
  srv->reads.max_waiting = (size_t)QB_SERVER_WAITING_PER_EXPENSIVE * srv->o.max_expensive;
  if ((rc = jobs_start(&srv->reads, srv, srv->o.max_expensive, err)) ||
      (rc = jobs_start(&srv->writes, srv, srv->o.threads, err)))
    goto done;
  /* after the pools (it expires the reads pool's waiting jobs: their mutex and threads must
   * exist), stopped before them in qb_server_stop */
  if (pthread_create(&srv->wd_thread, NULL, watchdog, srv) != 0) {
    rc = qb_err_set(err, QB_EINTERNAL, "cannot start the watchdog thread");
    goto done;
  }
  srv->wd_started = 1;
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
  /* out of reach of every thread of libmicrohttpd's pool (see on_accept) */
  unsigned mhd_limit = (srv->o.max_connections + srv->o.threads + 1) * srv->o.threads;
  srv->d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, srv->o.port, on_accept, srv,
      on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
      srv->o.threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK,
      on_uri, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)60, MHD_OPTION_CONNECTION_MEMORY_LIMIT, QB_SERVER_MAX_HEADER,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->o.max_per_ip, MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
      MHD_OPTION_END);
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
  /* the handlers running or queued finish and resume their connections (libmicrohttpd must
   * not be stopped with a connection suspended); later ones are answered 503 */
  jobs_drain(&s->reads);
  jobs_drain(&s->writes);
  if (s->d) MHD_stop_daemon(s->d); /* waits for the requests in flight */
  /* the watchdog before the pools: it calls jobs_expire on the reads pool, whose mutex and
   * thread array jobs_stop destroys (a data race, and a lock of a destroyed mutex, found by
   * ThreadSanitizer) */
  if (s->wd_started) {
    pthread_mutex_lock(&s->conns_mu);
    s->wd_quit = 1;
    pthread_cond_signal(&s->wd_cv);
    pthread_mutex_unlock(&s->conns_mu);
    pthread_join(s->wd_thread, NULL);
  }
  jobs_stop(&s->reads);
  jobs_stop(&s->writes);
  qb_notifier_stop(s->notifier); /* after them: they may have queued notifications */
  atomic_store(&s->stopping, 1);
  if (s->ckpt_started) {
    qb_store_checkpoint_interrupt();
    pthread_join(s->ckpt_thread, NULL);
  }
  qb_store_close(s->ckpt_store);
  qb_run_cache_free(s->run_cache);
  for (size_t i = 0; s->pool.stores && i < s->pool.n; i++) qb_store_close(s->pool.stores[i]);
  free(s->pool.stores);
  free(s->pool.busy);
  pthread_mutex_destroy(&s->pool.mu);
  pthread_cond_destroy(&s->pool.cv);
  pthread_mutex_destroy(&s->conns_mu);
  pthread_cond_destroy(&s->wd_cv);
  free(s);
}

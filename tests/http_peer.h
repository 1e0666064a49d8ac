/* tests/http_peer.h - a scripted HTTP peer for client tests (upload, webhooks): a real
 * libmicrohttpd daemon on 127.0.0.1 and a free port that records every request (method, raw
 * URI, decoded query arguments, Idempotency-Key, Authorization, Content-Type, body, arrival
 * time) and answers request i with script[min(i, n - 1)] (status, body, delay).
 *
 * A delayed answer never outlasts its client or the peer: the wait ends as soon as the client
 * hangs up (the request is then marked hung_up and gets no answer) or peer_stop is called (so a
 * stop never waits out a delay); PEER_HOLD holds a request until peer_release, the client's
 * hang-up or the stop, whatever the speed of the machine.
 *
 * Ownership: peer_start returns a peer the caller frees with peer_free (which stops it first);
 * the recorded bodies belong to the peer. Read what it recorded after peer_stop, or under mu. */
#ifndef QB_TESTS_HTTP_PEER_H
#define QB_TESTS_HTTP_PEER_H

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

#define MAX_REQS     32
#define MAX_ARGS     16
#define PEER_HOLD    -1     /* delay_ms: until peer_release, the client's hang-up or peer_stop */
#define PEER_WAIT_MS 120000 /* the longest peer_await waits for another thread */

typedef struct reply {
  unsigned status;
  const char *body;
  int delay_ms; /* wait this long before answering (PEER_HOLD: until released) */
} reply;

typedef struct seen { /* one request as the peer saw it */
  char method[16];
  char uri[2048]; /* raw, before unescaping: path?query */
  char key[128];  /* Idempotency-Key, "" when absent */
  char auth[256]; /* Authorization, "" when absent */
  char ctype[128];
  char args[MAX_ARGS][2][256]; /* decoded query arguments, in order */
  size_t n_args;
  char *body; /* malloc'd copy, freed by peer_free */
  size_t body_len;
  double at_ms; /* arrival, CLOCK_MONOTONIC */
  int hung_up;  /* the client hung up while the peer held its answer back: none was sent */
  int ended;    /* 1 once the peer is done with it (answered, hung up on, or stopped) */
} seen;

typedef struct peer {
  struct MHD_Daemon *d;
  uint16_t port;
  char url[96]; /* http://127.0.0.1:PORT followed by the path given to peer_start */
  pthread_mutex_t mu;
  const reply *script; /* request i gets script[min(i, n_script - 1)] */
  size_t n_script;
  seen reqs[MAX_REQS];
  size_t n_reqs;
  int stopping;            /* set by peer_stop: held answers are given up */
  int released;            /* set by peer_release: PEER_HOLD answers go out */
  const char *retry_after; /* when set (before the first request), sent with every 503 */
} peer;

typedef struct req { /* one request in flight, from the URI callback to completion */
  seen s;
  qb_buf body;
  int started;
} req;

/* Monotonic clock in milliseconds. */
static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 when the client of con has closed its end (or the connection is broken). */
static inline int client_gone(struct MHD_Connection *con) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci) return 0;
  struct pollfd pf = {ci->connect_fd, POLLIN, 0};
  if (poll(&pf, 1, 0) != 1) return 0;
  if (pf.revents & (POLLHUP | POLLERR)) return 1;
  char c;
  ssize_t r = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Hold the answer to con for delay_ms (PEER_HOLD: until peer_release), in 5 ms steps; 0 when
 * it may go out, 1 when the client hung up, -1 when the peer is stopping. */
static inline int hold(peer *p, struct MHD_Connection *con, int delay_ms) {
  double end = now_ms() + delay_ms;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    int stopping = p->stopping, released = p->released;
    pthread_mutex_unlock(&p->mu);
    if (stopping) return -1;
    if (client_gone(con)) return 1;
    if (delay_ms == PEER_HOLD ? released : now_ms() >= end) return 0;
    usleep(5000);
  }
}

/* MHD URI callback: a new request starts; allocate its state (freed in on_done). */
static inline void *on_uri(void *cls, const char *uri, struct MHD_Connection *con) {
  (void)cls;
  (void)con;
  req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  qb_buf_init(&r->body, (size_t)1 << 24);
  snprintf(r->s.uri, sizeof r->s.uri, "%s", uri);
  r->s.at_ms = now_ms();
  return r;
}

/* MHD argument iterator: record one decoded query argument. */
static inline enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  (void)kind;
  seen *s = cls;
  if (s->n_args < MAX_ARGS) {
    snprintf(s->args[s->n_args][0], sizeof s->args[0][0], "%s", key);
    snprintf(s->args[s->n_args][1], sizeof s->args[0][1], "%s", value ? value : "");
    s->n_args++;
  }
  return MHD_YES;
}

/* Copy header name of con into out ("" when absent). */
static inline void header(struct MHD_Connection *con, const char *name, char *out, size_t n) {
  const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
  snprintf(out, n, "%s", v ? v : "");
}

/* MHD access handler: collect the body, then record the request and answer from the script. */
static inline enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **req_cls) {
  (void)url;
  (void)version;
  peer *p = cls;
  req *r = *req_cls;
  if (!r) return MHD_NO;
  if (!r->started) {
    r->started = 1;
    snprintf(r->s.method, sizeof r->s.method, "%s", method);
    header(con, "Idempotency-Key", r->s.key, sizeof r->s.key);
    header(con, "Authorization", r->s.auth, sizeof r->s.auth);
    header(con, "Content-Type", r->s.ctype, sizeof r->s.ctype);
    MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, on_arg, &r->s);
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (qb_buf_add(&r->body, upload_data, *upload_data_size, NULL)) return MHD_NO;
    *upload_data_size = 0;
    return MHD_YES;
  }
  pthread_mutex_lock(&p->mu);
  size_t i = p->n_reqs;
  if (i < MAX_REQS) {
    p->reqs[i] = r->s;
    p->reqs[i].body_len = r->body.len;
    p->reqs[i].body = qb_buf_take(&r->body, NULL);
    p->n_reqs++;
  }
  const reply *rp = &p->script[i < p->n_script ? i : p->n_script - 1];
  pthread_mutex_unlock(&p->mu);
  int held = rp->delay_ms ? hold(p, con, rp->delay_ms) : 0;
  if (i < MAX_REQS) {
    pthread_mutex_lock(&p->mu);
    p->reqs[i].hung_up = held == 1;
    p->reqs[i].ended = 1;
    pthread_mutex_unlock(&p->mu);
  }
  if (held) return MHD_NO; /* no answer: the connection is closed */
  struct MHD_Response *res =
      MHD_create_response_from_buffer(strlen(rp->body), (void *)rp->body, MHD_RESPMEM_PERSISTENT);
  if (!res) return MHD_NO;
  MHD_add_response_header(res, "Content-Type", "application/json");
  if (rp->status == 503 && p->retry_after)
    MHD_add_response_header(res, "Retry-After", p->retry_after);
  enum MHD_Result ok = MHD_queue_response(con, rp->status, res);
  MHD_destroy_response(res);
  return ok;
}

/* MHD completion callback: free the request's state. */
static inline void on_done(void *cls, struct MHD_Connection *con, void **req_cls,
                           enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)con;
  (void)toe;
  req *r = *req_cls;
  if (!r) return;
  qb_buf_dispose(&r->body);
  free(r);
  *req_cls = NULL;
}

/* Start a peer answering from script (n entries) on 127.0.0.1 and a free port. Free it with
 * peer_free (which stops it first). */
static inline peer *peer_start(const reply *script, size_t n, const char *path) {
  peer *p = calloc(1, sizeof *p);
  assert_non_null(p);
  pthread_mutex_init(&p->mu, NULL);
  p->script = script;
  p->n_script = n;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  p->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                          NULL, on_request, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                          MHD_OPTION_URI_LOG_CALLBACK, on_uri, p, MHD_OPTION_NOTIFY_COMPLETED,
                          on_done, p, MHD_OPTION_END);
  assert_non_null(p->d);
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_BIND_PORT);
  assert_non_null(info);
  p->port = info->port;
  assert_true(p->port > 0);
  snprintf(p->url, sizeof p->url, "http://127.0.0.1:%u%s", (unsigned)p->port, path);
  return p;
}

/* Stop the daemon (joins its threads, so what it recorded can be read without the lock); an
 * answer still held back is given up at once. */
static inline void peer_stop(peer *p) {
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  pthread_mutex_unlock(&p->mu);
  if (p->d) MHD_stop_daemon(p->d);
  p->d = NULL;
}

/* Stop p and free it with what it recorded. */
static inline void peer_free(peer *p) {
  peer_stop(p);
  for (size_t i = 0; i < p->n_reqs; i++) free(p->reqs[i].body);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

/* How many requests p has recorded so far (under its lock: while it runs). */
static inline size_t peer_count(peer *p) {
  pthread_mutex_lock(&p->mu);
  size_t n = p->n_reqs;
  pthread_mutex_unlock(&p->mu);
  return n;
}

/* Let the answers held by PEER_HOLD go out (and those that come later at once). */
static inline void peer_release(peer *p) {
  pthread_mutex_lock(&p->mu);
  p->released = 1;
  pthread_mutex_unlock(&p->mu);
}

/* Wait until p is done with request i (answered, or its client hung up); fail naming what
 * after PEER_WAIT_MS. Returns whether the client hung up. */
static inline int peer_await(peer *p, size_t i, const char *what) {
  double end = now_ms() + PEER_WAIT_MS;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    int ended = i < p->n_reqs && p->reqs[i].ended, hung_up = ended && p->reqs[i].hung_up;
    pthread_mutex_unlock(&p->mu);
    if (ended) return hung_up;
    if (now_ms() > end)
      fail_msg("%s: request %zu not done after %d s", what, i + 1, PEER_WAIT_MS / 1000);
    usleep(1000);
  }
}

#endif

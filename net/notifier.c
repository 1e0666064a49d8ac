/* net/notifier.c - the regression notifications of `qbdb serve`: the summary of an upload's
 * regressions, and one thread posting the summaries from a bounded queue (net/notifier.h). */
#include "net/notifier.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/json_out.h"
#include "net/curl_dl.h"
#include "core/buf.h"

#define DEFAULT_QUEUE  64
#define TEXT_ITEMS     10 /* regressions named in "text"; the rest are counted */
#define SHORT_COMMIT   12 /* characters of the commit in "text" */
#define MIN_GRACE_POST 50 /* a waiting notification starts on stop only with this much left */
#define MAX_SUMMARY    (1u << 24)

/* ---- the summary ---- */

/* One regression to report; strings borrowed from the compare or the records. */
typedef struct item {
  const char *benchmark, *metric, *source;
  double change_pct, p_value;
  qb_severity severity;
  int64_t base_run, head_run; /* 0: unknown */
  size_t order;               /* position before sorting (keeps the sort stable) */
} item;

/* qsort order: worst severity first, then the largest change, then as found. */
static int item_cmp(const void *a, const void *b) {
  const item *x = a, *y = b;
  if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
  double ax = isnan(x->change_pct) ? -1 : fabs(x->change_pct);
  double ay = isnan(y->change_pct) ? -1 : fabs(y->change_pct);
  if (ax != ay) return ax > ay ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* A JSON number, or null for NaN and infinities (which JSON cannot hold). */
static json_t *num(double x) {
  return isfinite(x) ? json_real(x) : json_null();
}

/* A JSON string, or null for NULL. */
static json_t *str(const char *s) {
  return s ? json_string(s) : json_null();
}

/* A run id, or null for 0 (unknown). */
static json_t *run_ref(int64_t id) {
  return id ? json_integer((json_int_t)id) : json_null();
}

/* Append the "text" of the summary to t: the one line a chat shows. */
static int summary_text(qb_buf *t, const qb_run_info *run, const item *items, size_t n,
                        qb_err *err) {
  int rc =
      qb_buf_printf(t, err, "qbdb: %zu regression%s in %s %s@%s run %lld", n, n == 1 ? "" : "s",
                    run->project ? run->project : "?", run->branch ? run->branch : "?",
                    run->machine ? run->machine : "?", (long long)run->id);
  if (!rc && run->commit_sha && *run->commit_sha)
    rc = qb_buf_printf(t, err, " (commit %.*s)", SHORT_COMMIT, run->commit_sha);
  if (!rc) rc = qb_buf_adds(t, ":", err);
  /* the metric is named only when the regressions are not all of one metric */
  int metrics = 0;
  for (size_t i = 1; i < n && !metrics; i++)
    metrics =
        strcmp(items[i].metric ? items[i].metric : "", items[0].metric ? items[0].metric : "");
  for (size_t i = 0; i < n && i < TEXT_ITEMS && !rc; i++) {
    const item *x = &items[i];
    rc = qb_buf_printf(t, err, "%s %s%s%s ", i ? "," : "", x->benchmark ? x->benchmark : "?",
                       metrics ? " " : "", metrics && x->metric ? x->metric : "");
    if (!rc && isfinite(x->change_pct)) rc = qb_buf_printf(t, err, "%+.1f%% ", x->change_pct);
    if (!rc) rc = qb_buf_printf(t, err, "(%s)", qb_severity_name(x->severity));
  }
  if (!rc && n > TEXT_ITEMS) rc = qb_buf_printf(t, err, ", and %zu more", n - TEXT_ITEMS);
  return rc;
}

int qb_notify_summary(char **out, size_t *len, size_t *n_regs, const qb_run_info *run,
                      const qb_compare *c, const qb_regression *det, size_t n_det,
                      const qb_grade_report *g, qb_severity min, qb_err *err) {
  item *items = NULL;
  size_t n = 0;
  json_t *o = NULL;
  qb_buf text;
  int rc = QB_OK;
  qb_buf_init(&text, MAX_SUMMARY);
  *out = NULL;
  *len = 0;
  *n_regs = 0;
  if (min < QB_SEV_MINOR) min = QB_SEV_MINOR; /* "none" is no regression */
  size_t cap = (c ? c->n_rows : 0) + n_det;
  if (!cap) goto done;
  if (!(items = calloc(cap, sizeof *items))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; c && i < c->n_rows; i++) {
    const qb_compare_row *row = &c->rows[i];
    if (row->verdict != QB_VERDICT_REGRESSION || row->severity < min) continue;
    items[n] =
        (item){row->benchmark, row->metric, "compare", row->change_pct, row->p_value, row->severity,
               c->base.id,     c->head.id,  n};
    n++;
  }
  size_t from_compare = n;
  for (size_t i = 0; i < n_det; i++) {
    const qb_regression *r = &det[i];
    qb_severity sev;
    if (!r->kind || strcmp(r->kind, "regression") || !r->severity ||
        qb_severity_parse(r->severity, &sev) || sev < min)
      continue;
    int seen = 0; /* the compare reports this series already */
    for (size_t k = 0; k < from_compare && !seen; k++)
      seen = r->series.bench && r->series.metric && !strcmp(items[k].benchmark, r->series.bench) &&
             !strcmp(items[k].metric, r->series.metric);
    if (seen) continue;
    items[n] = (item){r->series.bench, r->series.metric, "history", r->change_pct, r->p_value, sev,
                      r->prev_run_id,  r->run_id,        n};
    n++;
  }
  if (!n) goto done;
  qsort(items, n, sizeof *items, item_cmp);
  if ((rc = summary_text(&text, run, items, n, err))) goto done;

  json_t *regs = json_array();
  for (size_t i = 0; i < n; i++) {
    const item *x = &items[i];
    json_array_append_new(regs,
                          json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s}", "benchmark",
                                    str(x->benchmark), "metric", str(x->metric), "change_pct",
                                    num(x->change_pct), "severity", qb_severity_name(x->severity),
                                    "p_value", num(x->p_value), "base_run", run_ref(x->base_run),
                                    "head_run", run_ref(x->head_run), "source", x->source));
  }
  json_t *grade = json_null();
  if (g) grade = json_pack("{s:o, s:s}", "score", num(g->grade.score), "letter", g->grade.letter);
  o = json_pack("{s:s, s:o, s:o, s:o, s:{s:I, s:o}, s:o, s:o}", "text", text.data, "project",
                str(run->project), "branch", str(run->branch), "machine", str(run->machine), "run",
                "id", (json_int_t)run->id, "commit", str(run->commit_sha), "regressions", regs,
                "grade", grade ? grade : json_null());
  char *s = o ? qb_json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  if (!s) {
    rc = qb_err_set(err, QB_ENOMEM, "notify: cannot build the summary (out of memory)");
    goto done;
  }
  *out = s;
  *len = strlen(s);
  *n_regs = n;
done:
  json_decref(o);
  qb_buf_dispose(&text);
  free(items);
  return rc;
}

/* ---- the queue and its thread ---- */

typedef struct job {
  int64_t run_id;
  char *body;
  size_t len;
} job;

struct qb_notifier {
  qb_notifier_opts o;
  char where[256]; /* the URL as logs show it */
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job *ring; /* queue_max slots; head is the oldest */
  size_t head, count;
  int stopping;
  int64_t grace_deadline; /* ms, monotonic: set by qb_notifier_stop */
  qb_notifier_stats stats;
};

/* Milliseconds on the monotonic clock. */
static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds on the monotonic clock, with a fraction (for the log). */
static double mono_msf(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One access-log-style line: "notify POST URL STATUS TIMEms run=ID attempts=N OUTCOME". */
static void log_line(qb_notifier *n, long status, double ms, int64_t run_id, int attempts,
                     const char *outcome, const char *detail) {
  if (!n->o.log) return;
  char st[16] = "-";
  if (status) snprintf(st, sizeof st, "%ld", status);
  fprintf(n->o.log, "notify POST %s %s %.2fms run=%lld attempts=%d %s%s%s\n", n->where, st, ms,
          (long long)run_id, attempts, outcome, detail && *detail ? ": " : "",
          detail ? detail : "");
  fflush(n->o.log);
}

/* The thread: post the queued summaries one by one until stopped and (within the grace
 * period) drained. */
static void *worker(void *arg) {
  qb_notifier *n = arg;
  pthread_mutex_lock(&n->mu);
  for (;;) {
    while (!n->count && !n->stopping) pthread_cond_wait(&n->cv, &n->mu);
    if (!n->count) break; /* stopping, nothing left */
    job j = n->ring[n->head];
    n->head = (n->head + 1) % n->o.queue_max;
    n->count--;
    int stopping = n->stopping;
    int64_t grace = n->grace_deadline;
    pthread_mutex_unlock(&n->mu);

    qb_notify_opts po = n->o.post;
    long left = stopping ? (long)(grace - mono_ms()) : 0;
    if (stopping && left < MIN_GRACE_POST) {
      log_line(n, 0, 0, j.run_id, 0, "dropped", "stopping, grace period over");
      free(j.body);
      pthread_mutex_lock(&n->mu);
      n->stats.dropped++;
      continue;
    }
    if (stopping && (po.total_ms <= 0 || po.total_ms > left)) po.total_ms = left;
    qb_err err = QB_ERR_INIT;
    qb_notify_result res = {0, 0};
    double t0 = mono_msf();
    int rc = qb_notify_post(&po, j.body, j.len, &res, &err);
    log_line(n, res.status, mono_msf() - t0, j.run_id, res.attempts, rc ? "failed" : "sent",
             rc ? err.msg : NULL);
    free(j.body);
    pthread_mutex_lock(&n->mu);
    if (rc)
      n->stats.failed++;
    else
      n->stats.sent++;
  }
  pthread_mutex_unlock(&n->mu);
  return NULL;
}

int qb_notifier_start(qb_notifier **out, const qb_notifier_opts *o, qb_err *err) {
  *out = NULL;
  const char *url = o->post.url;
  if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
    char where[256];
    qb_notify_url_display(url, where, sizeof where);
    return qb_err_set(err, QB_EUSAGE, "notify URL '%s': expected http://... or https://...", where);
  }
  if (!qb_curl(err)) return qb_err_prefix(err, "notifications");
  qb_notifier *n = calloc(1, sizeof *n);
  if (!n) return qb_err_set(err, QB_ENOMEM, "out of memory");
  n->o = *o;
  if (!n->o.queue_max) n->o.queue_max = DEFAULT_QUEUE;
  if (n->o.grace_ms < 0) n->o.grace_ms = 0;
  qb_notify_url_display(url, n->where, sizeof n->where);
  if (!(n->ring = calloc(n->o.queue_max, sizeof *n->ring))) {
    free(n);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&n->mu, NULL);
  pthread_cond_init(&n->cv, NULL);
  if (pthread_create(&n->thread, NULL, worker, n) != 0) {
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->cv);
    free(n->ring);
    free(n);
    return qb_err_set(err, QB_EINTERNAL, "cannot start the notification thread");
  }
  *out = n;
  return QB_OK;
}

int qb_notifier_enqueue(qb_notifier *n, int64_t run_id, char *body, size_t len, qb_err *err) {
  pthread_mutex_lock(&n->mu);
  const char *why = n->stopping ? "stopping" : n->count >= n->o.queue_max ? "queue full" : NULL;
  if (!why) {
    n->ring[(n->head + n->count) % n->o.queue_max] = (job){run_id, body, len};
    n->count++;
    n->stats.queued++;
    pthread_cond_signal(&n->cv);
  } else {
    n->stats.dropped++;
  }
  size_t waiting = n->count;
  pthread_mutex_unlock(&n->mu);
  if (!why) return QB_OK;
  free(body);
  char detail[64];
  snprintf(detail, sizeof detail, "%s (%zu waiting)", why, waiting);
  log_line(n, 0, 0, run_id, 0, "dropped", detail);
  return qb_err_set(err, QB_EIO, "notify %s: run %lld: dropped: %s", n->where, (long long)run_id,
                    detail);
}

void qb_notifier_stats_get(qb_notifier *n, qb_notifier_stats *out) {
  pthread_mutex_lock(&n->mu);
  *out = n->stats;
  pthread_mutex_unlock(&n->mu);
}

void qb_notifier_stop(qb_notifier *n) {
  if (!n) return;
  pthread_mutex_lock(&n->mu);
  n->stopping = 1;
  n->grace_deadline = mono_ms() + n->o.grace_ms;
  pthread_cond_broadcast(&n->cv);
  pthread_mutex_unlock(&n->mu);
  pthread_join(n->thread, NULL);
  for (size_t i = 0; i < n->count; i++) free(n->ring[(n->head + i) % n->o.queue_max].body);
  pthread_mutex_destroy(&n->mu);
  pthread_cond_destroy(&n->cv);
  free(n->ring);
  free(n);
}

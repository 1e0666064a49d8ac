/* net/notifier.h - the regression notifications of `qbdb serve --notify-url` (docs/notify.md):
 * which regressions of an upload are reported, the JSON summary posted, and a background thread
 * that posts the summaries from a bounded queue (net/notify.h), so that no upload waits for a
 * webhook.
 *
 * Ownership: qb_notifier_start gives a notifier the caller stops and frees with
 * qb_notifier_stop; the options (their URL, token and log stream) are borrowed until then.
 * qb_notifier_enqueue takes the body it is given, in every case (freed by the notifier).
 * qb_notify_summary gives a malloc'd string the caller frees with free(). */
#ifndef QB_NET_NOTIFIER_H
#define QB_NET_NOTIFIER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "service/compare.h"
#include "service/history.h"
#include "net/notify.h"
#include "core/err.h"
#include "schema/store.h"

/* ---- the summary ---- */

/* The JSON summary of run's regressions at or above min (docs/notify.md, "Payload"): the rows
 * of c (the compare of run with the run before it, may be NULL) whose verdict is regression,
 * and the records of det (change points the history step just recorded in run's series; only
 * kind "regression" counts) whose benchmark and metric no such row reports; worst first. g (may
 * be NULL) gives the grade. *out is a malloc'd NUL-terminated string of *len bytes reporting
 * *n_regs regressions, or NULL (and 0, 0) when there is none at or above min. */
int qb_notify_summary(char **out, size_t *len, size_t *n_regs, const qb_run_info *run,
                      const qb_compare *c, const qb_regression *det, size_t n_det,
                      const qb_grade_report *g, qb_severity min, qb_err *err);

/* ---- the queue and its thread ---- */

typedef struct qb_notifier_opts {
  qb_notify_opts post; /* the URL (required), token and time bounds of each notification */
  size_t queue_max;    /* notifications waiting at most (0: 64); one more is dropped */
  long grace_ms;       /* on stop, waiting notifications still start within this (< 0: 0) */
  FILE *log;           /* one line per notification, access-log style (NULL: none) */
} qb_notifier_opts;

#define QB_NOTIFIER_OPTS_INIT                                                                      \
  { QB_NOTIFY_OPTS_INIT, 64, 2000, NULL }

typedef struct qb_notifier qb_notifier;

/* What a notifier did so far. */
typedef struct qb_notifier_stats {
  unsigned long queued;  /* accepted by qb_notifier_enqueue */
  unsigned long sent;    /* answered 2xx */
  unsigned long failed;  /* attempted, not answered 2xx in the bounds */
  unsigned long dropped; /* never attempted: the queue was full, or the grace period ran out */
} qb_notifier_stats;

/* Start the notifier thread. QB_EUSAGE for a URL that is not http(s); QB_EINTERNAL when libcurl
 * cannot be loaded (it is loaded here, so that a server fails at start rather than at its first
 * notification) or the thread cannot be started. */
int qb_notifier_start(qb_notifier **out, const qb_notifier_opts *o, qb_err *err);

/* Queue body (len bytes of JSON, malloc'd; taken and freed by the notifier in every case) for
 * run run_id; returns at once. QB_EIO when the queue is full or the notifier is stopping: the
 * notification is dropped and a line says so in the log. */
int qb_notifier_enqueue(qb_notifier *n, int64_t run_id, char *body, size_t len, qb_err *err);

/* Counters so far (thread-safe). */
void qb_notifier_stats_get(qb_notifier *n, qb_notifier_stats *out);

/* Stop: the notification in flight finishes within its own bound (post.total_ms); the waiting
 * ones are still attempted, each with what is left of the grace period (o->grace_ms from now)
 * as its bound, and those the grace period does not reach are dropped with a log line. Then the
 * thread is joined and everything freed. NULL is fine. */
void qb_notifier_stop(qb_notifier *n);

#endif

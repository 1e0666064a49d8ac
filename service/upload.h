/* service/upload.h - the upload chain, one service behind `qbdb ingest` and POST /api/v1/runs:
 * store a prepared run (deduplicated by content, or under an idempotency key), keep it decoded in
 * the run cache, run its history step (incremental change points and target checks,
 * service/history.h), compare it with the baseline the rule chooses (service/baseline.h) and grade
 * it. The transports parse their arguments, authorise, prepare the run (ingest/ingest.h), call
 * qb_ingest_run and render its result; notifications stay with the HTTP transport, fed from the
 * result (its fresh changes). Named qb_ingest_run_*: qb_upload_* is the HTTP client
 * (net/client.h).
 *
 * Ownership: qb_ingest_run fills a caller-allocated qb_ingest_run_result with memory it owns (the
 * target checks and fresh changes, the compare, the grade), released with
 * qb_ingest_run_result_dispose() - after a failure too; the run and the options stay the
 * caller's, but the run's samples may move into the run cache (qb_run_cache_seed). */
#ifndef QB_SERVICE_UPLOAD_H
#define QB_SERVICE_UPLOAD_H

#include <stdint.h>

#include "service/baseline.h"
#include "service/compare.h"
#include "service/history.h"
#include "core/err.h"
#include "ingest/ingest.h"
#include "schema/model.h"
#include "schema/store.h"

struct qb_run_cache;

typedef struct qb_ingest_run_opts {
  const qb_compare_opts *compare; /* the verdict's options (NULL: the defaults); its project and
                                     machine are ignored: the run is named by its id */
  int64_t base_id;                /* compare->base.base_ref already resolved in the run's project
                                     (qb_ingest_run_base); 0: resolved here, before anything is
                                     stored. The compare then names the base by this id, so that
                                     "main@latest" cannot name the run just stored */
  const qb_idem *idem;            /* the idempotency key, its token and the request's hash: stored
                                     with the run in its transaction (NULL: no key) */
  struct qb_run_cache *cache; /* the server's (service/run_cache.h): seeded with the new run, read
                                 by the history step and the compare (NULL: none) */
  int history_existed;        /* 1: the history step also for a run stored before (the server:
                                 the one that stored it may have died before its own step);
                                 0: only for a run this call stored (`qbdb ingest`) */
  int grade;                  /* 1: grade the run (POST /runs answers with its grade) */
} qb_ingest_run_opts;

#define QB_INGEST_RUN_OPTS_INIT                                                                    \
  { NULL, 0, NULL, NULL, 0, 0 }

/* What became of the history step. */
typedef enum qb_ingest_history {
  QB_INGEST_HISTORY_SKIPPED = 0, /* not run: the run was stored before (history_existed 0) */
  QB_INGEST_HISTORY_DONE,        /* detection and target checks succeeded (after holds them) */
  QB_INGEST_HISTORY_DEFERRED     /* failed (history_err): the series' detection markers did not
                                    move, so the next detection analyses what it missed */
} qb_ingest_history;

typedef struct qb_ingest_run_result {
  qb_ingest_result ingest; /* run_id; existed: stored before (same content, or a replay); what
                              the run holds (all 0 on a replay) */
  int replay;              /* 1: the same request again under its idempotency key */
  int stored;              /* 1: this call stored the run (existed 0) */
  qb_ingest_history history;
  qb_err history_err;     /* why the history step was deferred (code: its qb_rc) */
  qb_after_ingest after;  /* the history step: detection counts, every target check (broken:
                             met 0) and the changes it stored first (for notifications); zeroed
                             unless history is DONE */
  qb_compare *compare;    /* the run against its baseline; NULL when compare_err says why */
  qb_err compare_err;     /* code QB_ENOTFOUND with no_baseline: the rule found no baseline */
  int no_baseline;        /* 1: the compare found nothing to compare with and baseline holds the
                             rule's answer (rule "none" and its reason, or the baseline whose
                             data it lacked) */
  qb_baseline baseline;   /* with no_baseline */
  qb_err baseline_err;    /* the compare found nothing and the rule could not be asked why */
  qb_grade_report *grade; /* NULL: not asked for (opts.grade 0), or grade_err says why */
  qb_err grade_err;
} qb_ingest_run_result;

/* Resolve the explicit base b->base_ref in run's project (and on its machine unless
 * b->any_machine) into *out. QB_ENOTFOUND (and the store's other errors) with the message
 * prefixed "WHAT REF (project P, machine M)", what naming the option ("base", "--base"). */
int qb_ingest_run_base(int64_t *out, qb_store *s, const qb_run *run, const qb_baseline_opts *b,
                       const char *what, qb_err *err);

/* Store run (prepared by qb_ingest_prepare or qb_ingest_prepare_bytes) and take it through the
 * chain above. Fails (nothing stored) when the explicit base does not resolve, when
 * opts->idem's key was used for a different request (QB_EEXISTS), or when the run cannot be
 * stored; once it is committed it succeeds, and a later step that fails is told in *out
 * (history_err, compare_err, grade_err) for the transport to answer or refuse. */
int qb_ingest_run(qb_ingest_run_result *out, qb_store *s, qb_run *run,
                  const qb_ingest_run_opts *opts, qb_err *err);

/* Free what qb_ingest_run put in r and zero it (a zeroed result may be disposed again). */
void qb_ingest_run_result_dispose(qb_ingest_run_result *r);

#endif

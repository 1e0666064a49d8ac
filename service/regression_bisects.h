/* service/regression_bisects.h - the `qbdb bisect` sessions of regression records, for every
 * place that shows a record (`qbdb regressions`, GET /api/v1/regressions, the triage answer):
 * each record's newest session, read with ONE store call for any number of records (matched by
 * regression_id in memory), and the repo_url of each project that has one (its commit links).
 *
 * Ownership: a qb_regression_bisects owns the sessions it listed and the repo_urls
 * (qb_regression_bisects_dispose); of[i] points into its sessions. */
#ifndef QB_SERVICE_REGRESSION_BISECTS_H
#define QB_SERVICE_REGRESSION_BISECTS_H

#include <stddef.h>

#include "core/err.h"
#include "schema/store.h"

typedef struct qb_regression_bisects {
  qb_bisect_record *sessions; /* the sessions listed (newest first, with their state) */
  size_t n_sessions;
  size_t n;                    /* the records asked about */
  const qb_bisect_record **of; /* [n]: record i's newest session, NULL when it has none */
  char **repo_urls;            /* [n]: the repo_url of record i's project when of[i] is set and
                                  the project has one, else NULL */
} qb_regression_bisects;

#define QB_REGRESSION_BISECTS_INIT                                                                 \
  { NULL, 0, 0, NULL, NULL }

/* The newest session of each of regs[0..n) into *out (caller-allocated, QB_REGRESSION_BISECTS_INIT;
 * dispose it on success and failure alike): one qb_store_bisects_list call (by regression_id for
 * one record, by project when all are of one project, else all sessions), then one repo_url read
 * per project that has a session. n 0: no store call. */
int qb_regression_bisects_find(qb_store *s, const qb_regression *regs, size_t n,
                               qb_regression_bisects *out, qb_err *err);
void qb_regression_bisects_dispose(qb_regression_bisects *b);

#endif

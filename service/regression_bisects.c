/* service/regression_bisects.c - the newest bisect session of each regression record. */
#include "service/regression_bisects.h"

#include <stdlib.h>
#include <string.h>

#include "service/history.h"

int qb_regression_bisects_find(qb_store *s, const qb_regression *regs, size_t n,
                               qb_regression_bisects *out, qb_err *err) {
  int rc = QB_OK;
  *out = (qb_regression_bisects)QB_REGRESSION_BISECTS_INIT;
  if (!n) return QB_OK;
  out->n = n;
  out->of = calloc(n, sizeof *out->of);
  out->repo_urls = calloc(n, sizeof *out->repo_urls);
  if (!out->of || !out->repo_urls) return qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_bisect_filter f = QB_BISECT_FILTER_INIT;
  f.with_state = 1;
  if (n == 1) {
    f.regression_id = regs[0].id;
    f.limit = 1; /* newest first: the one shown */
  } else {
    int one_project = regs[0].series.project != NULL;
    for (size_t i = 1; i < n && one_project; i++)
      one_project =
          regs[i].series.project && !strcmp(regs[i].series.project, regs[0].series.project);
    if (one_project) f.project = regs[0].series.project;
  }
  if ((rc = qb_store_bisects_list(s, &f, &out->sessions, &out->n_sessions, err))) goto done;
  /* sessions come newest first: the first of a record is its newest */
  for (size_t k = 0; k < out->n_sessions; k++)
    for (size_t i = 0; i < n; i++)
      if (!out->of[i] && out->sessions[k].regression_id == regs[i].id)
        out->of[i] = &out->sessions[k];
  /* the repo_url of each project with a session, read once and copied to its other records */
  for (size_t i = 0; i < n && !rc; i++) {
    if (!out->of[i] || !regs[i].series.project) continue;
    size_t j = 0;
    while (j < i && !(out->of[j] && regs[j].series.project &&
                      !strcmp(regs[j].series.project, regs[i].series.project)))
      j++;
    if (j < i) {
      if (out->repo_urls[j] && !(out->repo_urls[i] = strdup(out->repo_urls[j])))
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    } else {
      rc = qb_repo_url(s, regs[i].series.project, &out->repo_urls[i], err);
    }
  }
done:
  return rc;
}

void qb_regression_bisects_dispose(qb_regression_bisects *b) {
  if (!b) return;
  for (size_t i = 0; b->repo_urls && i < b->n; i++) free(b->repo_urls[i]);
  free(b->repo_urls);
  free(b->of);
  qb_bisect_records_free(b->sessions, b->n_sessions);
  *b = (qb_regression_bisects)QB_REGRESSION_BISECTS_INIT;
}

/* service/upload.c - the upload chain shared by `qbdb ingest` and POST /api/v1/runs
 * (service/upload.h). */
#include "service/upload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "service/run_cache.h"

int qb_ingest_run_base(int64_t *out, qb_store *s, const qb_run *run, const qb_baseline_opts *b,
                       const char *what, qb_err *err) {
  int rc = qb_store_resolve_run_on(s, run->project, b->any_machine ? NULL : run->machine,
                                   b->base_ref, out, err);
  if (rc)
    qb_err_prefix(err, "%s %s (project %s%s%s)", what, b->base_ref, run->project,
                  b->any_machine ? "" : ", machine ", b->any_machine ? "" : run->machine);
  return rc;
}

/* Store run under key k: a new key is recorded with the run in its transaction (unless a
 * concurrent request recorded it first); a key recorded before is a replay of its run when it
 * stands for the same request, else QB_EEXISTS and nothing is stored. */
static int store_idem(qb_ingest_run_result *out, qb_store *s, const qb_run *run, const qb_idem *k,
                      qb_err *err) {
  qb_idem_hit hit;
  int rc = qb_store_idempotency_get(s, run->project, k, &hit, err);
  if (rc == QB_ENOTFOUND) /* new: stored with the run, unless a concurrent request won */
    rc = qb_ingest_store_idem(s, run, k, &hit, &out->ingest, err);
  if (rc || !hit.run_id) return rc;
  if (strcmp(hit.request_hash, k->request_hash) != 0)
    return qb_err_set(err, QB_EEXISTS,
                      "Idempotency-Key '%.64s' was used by this token for a different request "
                      "(body or query) to project '%.64s' (run %lld); nothing stored: send new "
                      "data with a new key",
                      k->key, run->project, (long long)hit.run_id);
  memset(&out->ingest, 0, sizeof out->ingest);
  out->ingest.run_id = hit.run_id;
  out->ingest.existed = 1;
  out->replay = 1;
  return QB_OK;
}

/* Keep the code of a step that failed with rc in its error record (the message it set). */
static void step_failed(qb_err *e, int rc) {
  if (e->code == QB_OK) e->code = rc;
}

int qb_ingest_run(qb_ingest_run_result *out, qb_store *s, qb_run *run,
                  const qb_ingest_run_opts *opts, qb_err *err) {
  qb_ingest_run_opts none = QB_INGEST_RUN_OPTS_INIT;
  const qb_ingest_run_opts *o = opts ? opts : &none;
  qb_compare_opts co = QB_COMPARE_OPTS_INIT;
  char base_ref[24], ref[24];
  int64_t bid = o->base_id, generation = 0;
  int rc;
  memset(out, 0, sizeof *out);
  if (o->compare) co = *o->compare;
  co.project = co.machine = NULL; /* the run is named by its id */
  if (!co.run_cache) co.run_cache = o->cache;
  if (co.base.base_ref) { /* an explicit baseline that does not exist: refuse, store nothing */
    if (!bid && (rc = qb_ingest_run_base(&bid, s, run, &co.base, "base", err))) return rc;
    /* by id from here: once this run is stored, "main@latest" would name it */
    snprintf(base_ref, sizeof base_ref, "%lld", (long long)bid);
    co.base.base_label = co.base.base_ref;
    co.base.base_ref = base_ref;
  }
  /* the data generation before the run is stored: the run is then kept decoded in the run cache
   * under it (a prune meanwhile makes a newer one, so the copy would go unused) */
  int seed = o->cache && qb_store_generation(s, &generation, NULL) == QB_OK;
  if ((rc = o->idem ? store_idem(out, s, run, o->idem, err)
                    : qb_ingest_store(s, run, &out->ingest, err)))
    return rc;
  /* the run is committed: from here on nothing fails the call */
  int64_t id = out->ingest.run_id;
  out->stored = !out->ingest.existed;
  if (out->stored && seed) /* its compare below reads it from memory (best effort) */
    qb_run_cache_seed(o->cache, s, id, generation, run, NULL);
  if (out->stored || o->history_existed) {
    if ((rc = qb_after_ingest_run_cached(s, id, o->cache, &out->after, &out->history_err)) ==
        QB_OK) {
      out->history = QB_INGEST_HISTORY_DONE;
    } else {
      step_failed(&out->history_err, rc);
      out->history = QB_INGEST_HISTORY_DEFERRED;
      qb_after_ingest_dispose(&out->after);
    }
  }
  /* the verdict: compare with the baseline the rule chooses (none for a first run) */
  snprintf(ref, sizeof ref, "%lld", (long long)id);
  if ((rc = qb_compare_runs(s, ref, &co, &out->compare, &out->compare_err))) {
    step_failed(&out->compare_err, rc);
    if (rc == QB_ENOTFOUND) {
      if ((rc = qb_baseline_choose(s, id, &co.base, &out->baseline, &out->baseline_err)))
        step_failed(&out->baseline_err, rc);
      else
        out->no_baseline = 1;
    }
  }
  if (o->grade && (rc = qb_grade_with(s, id, out->compare,
                                      out->history == QB_INGEST_HISTORY_DONE ? &out->after : NULL,
                                      &out->grade, &out->grade_err)))
    step_failed(&out->grade_err, rc);
  return QB_OK;
}

void qb_ingest_run_result_dispose(qb_ingest_run_result *r) {
  if (!r) return;
  qb_after_ingest_dispose(&r->after);
  qb_compare_free(r->compare);
  qb_grade_report_free(r->grade);
  memset(r, 0, sizeof *r);
}

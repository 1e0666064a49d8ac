/* service/grade.c - the grade of a run against its baseline. */
#include "service/history.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "analysis/describe.h"

/* ---- grades --------------------------------------------------------------------------------- */

void qb_grade_report_free(qb_grade_report *g) {
  if (!g) return;
  qb_run_info_dispose(&g->run);
  free(g);
}

int qb_grade_run(qb_store *s, const char *project, const char *ref, qb_grade_report **out,
                 qb_err *err) {
  int64_t id;
  int rc = qb_store_resolve_run(s, project, ref, &id, err);
  return rc ? rc : qb_grade_with(s, id, NULL, NULL, out, err);
}

int qb_grade_with(qb_store *s, int64_t id, const qb_compare *given, const qb_after_ingest *after,
                  qb_grade_report **out, qb_err *err) {
  qb_grade_report *g = calloc(1, sizeof *g);
  qb_compare *owned = NULL;
  const qb_compare *c = given;
  qb_target_check *checks = NULL;
  size_t n_checks = 0;
  int rc;
  *out = NULL;
  if (!g) return qb_err_set(err, QB_ENOMEM, "out of memory");
  if ((rc = qb_store_load_run(s, id, 0, &g->run, NULL, err))) goto done;
  /* the baseline: the compare given (the verdict of an upload), else the baseline rule's */
  g->input.benchmarks = (size_t)g->run.n_benches;
  g->input.noise_pct = NAN;
  if (!c || c->head.id != id) {
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)id);
    c = NULL;
    rc = qb_compare_runs(s, b, NULL, &owned, err);
    if (rc && rc != QB_ENOTFOUND) goto done;
    rc = QB_OK;
    c = owned;
  }
  if (c) g->baseline_id = c->base.id;
  if (c) {
    g->input.baseline_benchmarks = (size_t)c->base.n_benches;
    double *noise = calloc(c->n_rows + 1, sizeof *noise);
    size_t n_noise = 0;
    if (!noise) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    /* benchmarks compared: distinct names among rows present on both sides */
    for (size_t i = 0; i < c->n_rows; i++) {
      const qb_compare_row *r = &c->rows[i];
      /* a measured regression; a row that is one only because it breaks a target counts in
       * the targets component instead */
      if (r->verdict == QB_VERDICT_REGRESSION && r->significant &&
          fabs(r->change_pct) > r->threshold_pct)
        g->input.regressions[r->severity]++;
      if (r->verdict == QB_VERDICT_IMPROVEMENT) g->input.improvements++;
      if (!isnan(r->noise_pct)) noise[n_noise++] = r->noise_pct;
      if (r->base.present && r->head.present &&
          (i == 0 || strcmp(c->rows[i - 1].benchmark, r->benchmark) != 0))
        g->input.compared++;
    }
    if (n_noise) {
      qb_sort_doubles(noise, n_noise);
      g->input.noise_pct = qb_quantile_sorted(noise, n_noise, 0.5);
    }
    free(noise);
  }
  if (!after && (rc = qb_targets_check(s, id, &checks, &n_checks, err))) goto done;
  const qb_target_check *use = after ? after->checks : checks;
  size_t n_use = after ? after->n_checks : n_checks;
  g->input.targets = n_use;
  for (size_t i = 0; i < n_use; i++) g->input.targets_met += use[i].met;
  qb_grade_of(&g->input, &g->grade);
  *out = g;
  g = NULL;
done:
  qb_grade_report_free(g);
  qb_compare_free(owned);
  qb_target_checks_free(checks, n_checks);
  return rc;
}

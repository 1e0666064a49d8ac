/* schema/store.c - backend selection and dispatch for the store interface. */
#include "schema/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* An op the backend does not provide (yet): an error, never a crash. */
static int missing(const qb_store *s, const char *op, qb_err *err) {
  return qb_err_set(err, QB_EDB, "the %s backend cannot %s yet", s->ops->name, op);
}

int qb_store_open(qb_store **out, const char *location, int flags, qb_err *err) {
  *out = NULL;
  if (!location || !*location) return qb_err_set(err, QB_EUSAGE, "empty database location");
  if (!strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13))
    return qb_store_pg_open(out, location, flags, err);
  if (!strncmp(location, "sqlite:", 7)) location += 7;
  return qb_store_sqlite_open(out, location, flags, err);
}

void qb_store_close(qb_store *s) {
  if (s) s->ops->close(s);
}

int qb_store_schema_version(qb_store *s) {
  return s->ops->schema_version(s);
}

int qb_store_insert_run(qb_store *s, const qb_run *run, int64_t *out_id, qb_err *err) {
  if (!s->ops->insert_run) return missing(s, "insert_run", err);
  return s->ops->insert_run(s, run, NULL, out_id, NULL, err);
}

int qb_store_insert_run_idem(qb_store *s, const qb_run *run, const qb_idem *k, int64_t *out_id,
                             qb_idem_hit *hit, qb_err *err) {
  if (hit) memset(hit, 0, sizeof *hit);
  if (k && (!hit || !k->key || !k->request_hash))
    return qb_err_set(err, QB_EINTERNAL, "insert run: an idempotency key needs its hash and hit");
  if (!s->ops->insert_run) return missing(s, "insert_run", err);
  return s->ops->insert_run(s, run, k, out_id, k ? hit : NULL, err);
}

int qb_store_list_runs(qb_store *s, const qb_run_filter *filter, qb_run_info **out, size_t *n_out,
                       qb_err *err) {
  qb_run_filter none = QB_RUN_FILTER_INIT;
  if (!s->ops->list_runs) return missing(s, "list_runs", err);
  return s->ops->list_runs(s, filter ? filter : &none, out, n_out, err);
}

int qb_store_projects(qb_store *s, qb_project_info **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
  if (!s->ops->projects) return missing(s, "projects", err);
  return s->ops->projects(s, out, n, err);
}

void qb_project_infos_free(qb_project_info *p, size_t n) {
  for (size_t i = 0; i < n; i++) free(p[i].name);
  free(p);
}

int qb_store_bench_metrics(qb_store *s, const char *project, qb_bench_metric **out, size_t *n,
                           qb_err *err) {
  *out = NULL;
  *n = 0;
  if (!s->ops->bench_metrics) return missing(s, "bench_metrics", err);
  return s->ops->bench_metrics(s, project, out, n, err);
}

void qb_bench_metrics_free(qb_bench_metric *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(b[i].project);
    free(b[i].bench);
    free(b[i].metric);
  }
  free(b);
}

int qb_store_resolve_run(qb_store *s, const char *project, const char *ref, int64_t *out_id,
                         qb_err *err) {
  if (!s->ops->resolve_run) return missing(s, "resolve_run", err);
  return s->ops->resolve_run(s, project, NULL, ref, out_id, err);
}

int qb_store_resolve_run_on(qb_store *s, const char *project, const char *machine, const char *ref,
                            int64_t *out_id, qb_err *err) {
  if (!s->ops->resolve_run) return missing(s, "resolve_run", err);
  return s->ops->resolve_run(s, project, machine, ref, out_id, err);
}

int qb_store_find_runs(qb_store *s, const qb_run_query *q, int64_t **ids, size_t *n, qb_err *err) {
  *ids = NULL;
  *n = 0;
  if (!q->project || !q->branch || q->limit < 1)
    return qb_err_set(err, QB_EINTERNAL, "find runs: project, branch and a limit are required");
  if (!s->ops->find_runs) return missing(s, "find_runs", err);
  return s->ops->find_runs(s, q, ids, n, err);
}

int qb_store_load_run(qb_store *s, int64_t id, int with_samples, qb_run_info *info, qb_run **out,
                      qb_err *err) {
  if (!s->ops->load_run) return missing(s, "load_run", err);
  return s->ops->load_run(s, id, with_samples, info, out, err);
}

int qb_store_counts_get(qb_store *s, qb_store_counts *out, qb_err *err) {
  if (!s->ops->counts) return missing(s, "counts", err);
  return s->ops->counts(s, out, err);
}

int qb_store_history(qb_store *s, int64_t run_id, int per_series, qb_history_point **out, size_t *n,
                     qb_err *err) {
  if (!s->ops->history) return missing(s, "history", err);
  return s->ops->history(s, run_id, per_series, NULL, NULL, NULL, out, n, err);
}

int qb_store_history_with(qb_store *s, int64_t run_id, int per_series, qb_history_lookup lookup,
                          void *ctx, int64_t *generation, qb_history_point **out, size_t *n,
                          qb_err *err) {
  if (!s->ops->history) return missing(s, "history", err);
  return s->ops->history(s, run_id, per_series, lookup, ctx, generation, out, n, err);
}

int qb_store_history_marks(qb_store *s, int64_t run_id, qb_history_point *points, size_t n,
                           qb_err *err) {
  if (!s->ops->history_marks) return missing(s, "history_marks", err);
  return s->ops->history_marks(s, run_id, points, n, err);
}

int qb_history_copy(const qb_history_point *points, size_t n, qb_history_point **out, qb_err *err) {
  *out = NULL;
  if (!n) return QB_OK;
  qb_history_point *c = malloc(n * sizeof *c);
  if (!c) return qb_err_set(err, QB_ENOMEM, "out of memory");
  memcpy(c, points, n * sizeof *c);
  for (size_t i = 0; i < n; i++) c[i].owns = 0;
  for (size_t i = 0; i < n; i++) {
    if (!points[i].owns) continue;
    char *bench = strdup(points[i].bench), *metric = strdup(points[i].metric);
    if (!bench || !metric) {
      free(bench);
      free(metric);
      qb_history_free(c, n);
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    }
    /* the owner and every later point that shares its names (a series' points are together) */
    for (size_t k = i; k < n && points[k].bench == points[i].bench; k++) {
      c[k].bench = bench;
      c[k].metric = metric;
    }
    c[i].owns = 1;
  }
  *out = c;
  return QB_OK;
}

void qb_history_free(qb_history_point *points, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (points[i].owns) {
      free(points[i].bench);
      free(points[i].metric);
    }
  free(points);
}

int qb_store_settings(qb_store *s, const char *project, qb_setting **out, size_t *n, qb_err *err) {
  if (!s->ops->settings) return missing(s, "settings", err);
  return s->ops->settings(s, project, out, n, err);
}

int qb_store_setting_set(qb_store *s, const char *project, const char *glob, const char *key,
                         double value, const char *text, qb_err *err) {
  if (!s->ops->setting_set) return missing(s, "setting_set", err);
  return s->ops->setting_set(s, project, glob, key, value, text, err);
}

int qb_store_setting_unset(qb_store *s, const char *project, const char *glob, const char *key,
                           qb_err *err) {
  if (!s->ops->setting_unset) return missing(s, "setting_unset", err);
  return s->ops->setting_unset(s, project, glob, key, err);
}

void qb_settings_free(qb_setting *settings, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(settings[i].project);
    free(settings[i].bench_glob);
    free(settings[i].key);
    free(settings[i].text);
  }
  free(settings);
}

int qb_store_begin(qb_store *s, qb_err *err) {
  if (!s->ops->begin) return missing(s, "begin", err);
  return s->ops->begin(s, err);
}

int qb_store_commit(qb_store *s, qb_err *err) {
  if (!s->ops->commit) return missing(s, "commit", err);
  return s->ops->commit(s, err);
}

void qb_store_rollback(qb_store *s) {
  s->ops->rollback(s);
}

int qb_store_series_list(qb_store *s, const qb_series_filter *f, qb_series_info **out, size_t *n,
                         qb_err *err) {
  qb_series_filter none = QB_SERIES_FILTER_INIT;
  if (!s->ops->series_list) return missing(s, "series_list", err);
  return s->ops->series_list(s, f ? f : &none, out, n, err);
}

static void series_info_dispose(qb_series_info *x) {
  free(x->project);
  free(x->branch);
  free(x->machine);
  free(x->bench);
  free(x->metric);
  free(x->unit);
  free(x->analysed_opts);
}

void qb_series_infos_free(qb_series_info *series, size_t n) {
  for (size_t i = 0; i < n; i++) series_info_dispose(&series[i]);
  free(series);
}

int qb_store_series_points(qb_store *s, int64_t series_id, qb_series_point **out, size_t *n,
                           qb_err *err) {
  if (!s->ops->series_points) return missing(s, "series_points", err);
  return s->ops->series_points(s, series_id, out, n, err);
}

void qb_series_points_free(qb_series_point *points, size_t n) {
  for (size_t i = 0; i < n; i++) free(points[i].commit_sha);
  free(points);
}

int qb_store_series_values(qb_store *s, int64_t series_id, int64_t **run_ids, double **values,
                           size_t *n, qb_err *err) {
  if (!s->ops->series_values) return missing(s, "series_values", err);
  return s->ops->series_values(s, series_id, run_ids, values, n, err);
}

int qb_store_series_changes(qb_store *s, int64_t series_id, qb_stored_change **out, size_t *n,
                            qb_err *err) {
  if (!s->ops->series_changes) return missing(s, "series_changes", err);
  return s->ops->series_changes(s, series_id, out, n, err);
}

int qb_store_regressions_replace(qb_store *s, int64_t series_id, const qb_regression *recs,
                                 size_t n, qb_err *err) {
  if (!s->ops->regressions_replace) return missing(s, "regressions_replace", err);
  return s->ops->regressions_replace(s, series_id, recs, n, err);
}

int qb_store_begin_read(qb_store *s, qb_err *err) {
  if (!s->ops->begin_read) return missing(s, "begin_read", err);
  return s->ops->begin_read(s, err);
}

int qb_store_checkpoint_due(qb_store *s, int timeout_ms, qb_err *err) {
  if (!s->ops->checkpoint_due) return missing(s, "checkpoint_due", err);
  return s->ops->checkpoint_due(s, timeout_ms, err);
}

int qb_store_series_analysed(qb_store *s, int64_t series_id, size_t n, int64_t last_run,
                             int64_t last_time, const char *opts, int *updated, qb_err *err) {
  if (!s->ops->series_analysed) return missing(s, "series_analysed", err);
  return s->ops->series_analysed(s, series_id, n, last_run, last_time, opts, updated, err);
}

int qb_store_point_time(qb_store *s, int64_t series_id, int64_t run, int64_t *time, qb_err *err) {
  if (!s->ops->point_time) return missing(s, "point_time", err);
  return s->ops->point_time(s, series_id, run, time, err);
}

int qb_store_series_tail(qb_store *s, int64_t series_id, int64_t time, int64_t run, size_t n_before,
                         int64_t **run_ids, double **values, size_t *n_out, size_t *n_got_before,
                         int64_t *last_time, qb_err *err) {
  if (!s->ops->series_tail) return missing(s, "series_tail", err);
  return s->ops->series_tail(s, series_id, time, run, n_before, run_ids, values, n_out,
                             n_got_before, last_time, err);
}

int qb_store_run_points(qb_store *s, int64_t run_id, qb_run_point **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
  if (!s->ops->run_points) return missing(s, "run_points", err);
  return s->ops->run_points(s, run_id, out, n, err);
}

int qb_store_regressions_list(qb_store *s, const qb_regression_filter *f, qb_regression **out,
                              size_t *n, qb_err *err) {
  qb_regression_filter none = QB_REGRESSION_FILTER_INIT;
  if (!s->ops->regressions_list) return missing(s, "regressions_list", err);
  return s->ops->regressions_list(s, f ? f : &none, out, n, err);
}

void qb_regressions_free(qb_regression *regs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    qb_regression *r = &regs[i];
    free(r->kind);
    free(r->severity);
    free(r->status);
    free(r->note);
    free(r->triaged_by);
    free(r->commit_sha);
    free(r->prev_commit_sha);
    series_info_dispose(&r->series);
  }
  free(regs);
}

int qb_store_regression_triage(qb_store *s, int64_t id, const char *status, const char *note,
                               const char *who, qb_err *err) {
  if (!s->ops->regression_triage) return missing(s, "regression_triage", err);
  return s->ops->regression_triage(s, id, status, note, who, err);
}

int qb_store_target_set(qb_store *s, const qb_target *t, int64_t *out_id, qb_err *err) {
  if (!s->ops->target_set) return missing(s, "target_set", err);
  return s->ops->target_set(s, t, out_id, err);
}

int qb_store_targets(qb_store *s, const char *project, qb_target **out, size_t *n, qb_err *err) {
  if (!s->ops->targets) return missing(s, "targets", err);
  return s->ops->targets(s, project, out, n, err);
}

int qb_store_target_rm(qb_store *s, int64_t id, qb_err *err) {
  if (!s->ops->target_rm) return missing(s, "target_rm", err);
  return s->ops->target_rm(s, id, err);
}

void qb_targets_free(qb_target *targets, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(targets[i].project);
    free(targets[i].bench_glob);
    free(targets[i].metric);
    free(targets[i].op);
    free(targets[i].unit);
  }
  free(targets);
}

int qb_store_token_add(qb_store *s, const char *name, const char *project, const char *scope,
                       const char *hash, int64_t *out_id, qb_err *err) {
  if (!s->ops->token_add) return missing(s, "token_add", err);
  return s->ops->token_add(s, name, project, scope, hash, out_id, err);
}

int qb_store_token_find(qb_store *s, const char *hash, qb_token *out, qb_err *err) {
  if (!s->ops->token_find) return missing(s, "token_find", err);
  return s->ops->token_find(s, hash, out, err);
}

int qb_store_tokens(qb_store *s, qb_token **out, size_t *n, qb_err *err) {
  if (!s->ops->tokens) return missing(s, "tokens", err);
  return s->ops->tokens(s, out, n, err);
}

int qb_store_token_revoke(qb_store *s, int64_t id, qb_err *err) {
  if (!s->ops->token_revoke) return missing(s, "token_revoke", err);
  return s->ops->token_revoke(s, id, err);
}

int qb_store_previous_run(qb_store *s, int64_t run_id, int64_t *prev_id, qb_err *err) {
  if (!s->ops->previous_run) return missing(s, "previous_run", err);
  return s->ops->previous_run(s, run_id, prev_id, err);
}

int qb_store_fingerprint(qb_store *s, char *out, size_t n, qb_err *err) {
  if (n < QB_FINGERPRINT_LEN)
    return qb_err_set(err, QB_EINTERNAL, "fingerprint: a buffer of %zu bytes (%d needed)", n,
                      QB_FINGERPRINT_LEN);
  if (!s->ops->fingerprint) return missing(s, "fingerprint", err);
  return s->ops->fingerprint(s, out, n, err);
}

int qb_store_generation(qb_store *s, int64_t *out, qb_err *err) {
  *out = 0;
  if (!s->ops->generation) return missing(s, "generation", err);
  return s->ops->generation(s, out, err);
}

int qb_store_idempotency_get(qb_store *s, const char *project, const qb_idem *k, qb_idem_hit *hit,
                             qb_err *err) {
  memset(hit, 0, sizeof *hit);
  if (!s->ops->idem_get) return missing(s, "idem_get", err);
  return s->ops->idem_get(s, project, k, hit, err);
}

void qb_token_dispose(qb_token *t) {
  free(t->name);
  free(t->project);
  free(t->scope);
  memset(t, 0, sizeof *t);
}

void qb_tokens_free(qb_token *tokens, size_t n) {
  for (size_t i = 0; i < n; i++) qb_token_dispose(&tokens[i]);
  free(tokens);
}

void qb_run_info_dispose(qb_run_info *info) {
  if (!info) return;
  free(info->project);
  free(info->branch);
  free(info->machine);
  free(info->commit_sha);
  free(info->format);
  free(info->tool_version);
  free(info->content_hash);
  free(info->machine_info);
  free(info->extra);
  for (size_t i = 0; i < info->n_tags; i++) {
    free(info->tags[i].key);
    free(info->tags[i].value);
  }
  free(info->tags);
  memset(info, 0, sizeof *info);
}

qb_run *qb_run_from_info(const qb_run_info *info) {
  qb_run *run = qb_run_new();
  if (!run) return NULL;
  run->project = qb_strdup(info->project);
  run->branch = qb_strdup(info->branch);
  run->machine = qb_strdup(info->machine);
  run->commit_sha = qb_strdup(info->commit_sha);
  run->machine_info = qb_strdup(info->machine_info);
  run->format = qb_strdup(info->format);
  run->tool_version = qb_strdup(info->tool_version);
  run->extra = qb_strdup(info->extra);
  int bad = !run->project || !run->branch || !run->machine || (info->format && !run->format) ||
            (info->commit_sha && !run->commit_sha) || (info->machine_info && !run->machine_info) ||
            (info->tool_version && !run->tool_version) || (info->extra && !run->extra);
  run->commit_time = info->commit_time;
  run->started_at = info->started_at;
  snprintf(run->content_hash, sizeof run->content_hash, "%s",
           info->content_hash ? info->content_hash : "");
  qb_err err = QB_ERR_INIT;
  for (size_t i = 0; i < info->n_tags && !bad; i++)
    bad = qb_run_add_tag(run, info->tags[i].key, info->tags[i].value, &err) != QB_OK;
  if (bad) {
    qb_run_free(run);
    return NULL;
  }
  return run;
}

void qb_run_infos_free(qb_run_info *infos, size_t n) {
  for (size_t i = 0; i < n; i++) qb_run_info_dispose(&infos[i]);
  free(infos);
}

int qb_store_report_add(qb_store *s, const qb_report_record *rec, const qb_report_item *items,
                        size_t n, int64_t *out_id, qb_err *err) {
  if (!s->ops->report_add) return missing(s, "report_add", err);
  return s->ops->report_add(s, rec, items, n, out_id, err);
}

int qb_store_report_last(qb_store *s, const char *project, qb_report_record *out, qb_err *err) {
  if (!s->ops->report_last) return missing(s, "report_last", err);
  return s->ops->report_last(s, project ? project : "", out, err);
}

int qb_store_report_items(qb_store *s, const char *project, qb_report_item **out, size_t *n,
                          qb_err *err) {
  if (!s->ops->report_items) return missing(s, "report_items", err);
  return s->ops->report_items(s, project ? project : "", out, n, err);
}

void qb_report_record_dispose(qb_report_record *r) {
  if (!r) return;
  free(r->project);
  free(r->format);
  memset(r, 0, sizeof *r);
}

int qb_store_prune(qb_store *s, const qb_prune_opts *o, qb_prune_result *res, qb_err *err) {
  if (!s->ops->prune) return missing(s, "prune", err);
  return s->ops->prune(s, o, res, err);
}

int qb_store_vacuum(qb_store *s, int64_t *bytes_before, int64_t *bytes_after,
                    int *checkpoint_deferred, qb_err *err) {
  *checkpoint_deferred = 0;
  if (!s->ops->vacuum) return missing(s, "vacuum", err);
  return s->ops->vacuum(s, bytes_before, bytes_after, checkpoint_deferred, err);
}

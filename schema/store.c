/* schema/store.c - backend selection and dispatch for the store interface, and what every backend
 * shares: the run-reference grammar over the backends' lookups. */
#include "schema/store_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* An optional op the backend does not provide: an error, never a crash. */
static int missing(const qb_store *s, const char *op, qb_err *err) {
  return qb_err_set(err, QB_EDB, "the %s backend cannot %s", s->ops->name, op);
}

/* The ops every backend must fill (the others are optional: checkpoint_due for a backend with
 * checkpoints to run, load_done, backup): an incomplete or older ops table is refused at open,
 * so the wrappers below call the required ones without a check (as libgit2 does with its
 * backends). */
#define REQUIRED(op)                                                                               \
  { #op, offsetof(qb_store_ops, op) }
static const struct {
  const char *name;
  size_t offset;
} REQUIRED_OPS[] = {
    REQUIRED(close),
    REQUIRED(schema_version),
    REQUIRED(insert_run),
    REQUIRED(list_runs),
    REQUIRED(projects),
    REQUIRED(bench_metrics),
    REQUIRED(run_by_id),
    REQUIRED(run_on_branch),
    REQUIRED(run_by_commit),
    REQUIRED(find_runs),
    REQUIRED(load_run),
    REQUIRED(counts),
    REQUIRED(history),
    REQUIRED(history_marks),
    REQUIRED(settings),
    REQUIRED(setting_set),
    REQUIRED(setting_unset),
    REQUIRED(begin),
    REQUIRED(commit),
    REQUIRED(rollback),
    REQUIRED(series_list),
    REQUIRED(series_points),
    REQUIRED(series_samples),
    REQUIRED(series_values),
    REQUIRED(series_recent),
    REQUIRED(series_changes),
    REQUIRED(regressions_replace),
    REQUIRED(begin_read),
    REQUIRED(series_analysed),
    REQUIRED(series_tail),
    REQUIRED(run_points),
    REQUIRED(point_time),
    REQUIRED(regressions_list),
    REQUIRED(regression_triage),
    REQUIRED(target_set),
    REQUIRED(targets),
    REQUIRED(target_rm),
    REQUIRED(token_add),
    REQUIRED(token_find),
    REQUIRED(tokens),
    REQUIRED(token_revoke),
    REQUIRED(previous_run),
    REQUIRED(fingerprint),
    REQUIRED(generation),
    REQUIRED(idem_get),
    REQUIRED(report_add),
    REQUIRED(report_last),
    REQUIRED(report_items),
    REQUIRED(bisect_add),
    REQUIRED(bisect_update),
    REQUIRED(bisect_get),
    REQUIRED(bisects_list),
    REQUIRED(prune),
    REQUIRED(vacuum),
    REQUIRED(dump),
    REQUIRED(load),
    REQUIRED(info),
};

/* QB_OK when ops is a complete table of this version; else QB_EINTERNAL naming what lacks. */
static int ops_check(const qb_store_ops *ops, qb_err *err) {
  if (ops->version != QB_STORE_OPS_VERSION)
    return qb_err_set(err, QB_EINTERNAL, "the %s backend's ops are version %d, not %d", ops->name,
                      ops->version, QB_STORE_OPS_VERSION);
  for (size_t i = 0; i < sizeof REQUIRED_OPS / sizeof REQUIRED_OPS[0]; i++) {
    void (*fp)(void);
    memcpy(&fp, (const char *)ops + REQUIRED_OPS[i].offset, sizeof fp);
    if (!fp)
      return qb_err_set(err, QB_EINTERNAL, "the %s backend lacks the op %s", ops->name,
                        REQUIRED_OPS[i].name);
  }
  return QB_OK;
}

int qb_store_open(qb_store **out, const char *location, int flags, qb_err *err) {
  *out = NULL;
  if (!location || !*location) return qb_err_set(err, QB_EUSAGE, "empty database location");
  int rc;
  if (!strncmp(location, "postgres://", 11) || !strncmp(location, "postgresql://", 13)) {
    rc = qb_store_pg_open(out, location, flags, err);
  } else {
    if (!strncmp(location, "sqlite:", 7)) location += 7;
    rc = qb_store_sqlite_open(out, location, flags, err);
  }
  if (rc == QB_OK && (rc = ops_check((*out)->ops, err))) {
    qb_store_close(*out);
    *out = NULL;
  }
  return rc;
}

int qb_store_has_checkpoints(const qb_store *s) {
  return s->ops->checkpoint_due != NULL;
}

const char *qb_store_backend(const qb_store *s) {
  return s->ops->name;
}

void qb_store_close(qb_store *s) {
  if (s) s->ops->close(s);
}

int qb_store_schema_version(qb_store *s) {
  return s->ops->schema_version(s);
}

int qb_store_insert_run(qb_store *s, const qb_run *run, int64_t *out_id, qb_err *err) {
  return s->ops->insert_run(s, run, NULL, out_id, NULL, err);
}

int qb_store_insert_run_idem(qb_store *s, const qb_run *run, const qb_idem *k, int64_t *out_id,
                             qb_idem_hit *hit, qb_err *err) {
  if (hit) memset(hit, 0, sizeof *hit);
  if (k && (!hit || !k->key || !k->request_hash))
    return qb_err_set(err, QB_EINTERNAL, "insert run: an idempotency key needs its hash and hit");
  return s->ops->insert_run(s, run, k, out_id, k ? hit : NULL, err);
}

int qb_store_list_runs(qb_store *s, const qb_run_filter *filter, qb_run_info **out, size_t *n_out,
                       qb_err *err) {
  qb_run_filter none = QB_RUN_FILTER_INIT;
  return s->ops->list_runs(s, filter ? filter : &none, out, n_out, err);
}

int qb_store_projects(qb_store *s, qb_project_info **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
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

/* ---- run references: the grammar, over the backend's three lookups -------------------------- */

static int all_of(const char *s, const char *set) {
  return *s && strspn(s, set) == strlen(s);
}

/* "branches: a, b, c" of project (NULL: every project), from its series (ordered by project
 * and branch), at most n bytes with "..." when cut; "no branches" when there are none. Only for
 * a message: a failure to read them says so instead. */
static void branch_names(qb_store *s, const char *project, char *out, size_t n) {
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *ser = NULL;
  size_t n_ser = 0, used = 0, k = 0;
  qb_err err = QB_ERR_INIT;
  f.project = project;
  if (s->ops->series_list(s, &f, &ser, &n_ser, &err)) {
    snprintf(out, n, "the branches could not be read");
    return;
  }
  const char *got[32]; /* the names written: one name once, whatever its project */
  used = (size_t)snprintf(out, n, "branches: ");
  for (size_t i = 0; i < n_ser && used < n; i++) {
    int seen = 0;
    for (size_t j = 0; j < k && !seen; j++) seen = !strcmp(got[j], ser[i].branch);
    if (seen) continue;
    if (k == sizeof got / sizeof got[0]) {
      snprintf(out + used, n - used, ", ...");
      break;
    }
    got[k] = ser[i].branch;
    int w = snprintf(out + used, n - used, "%s%s", k++ ? ", " : "", ser[i].branch);
    if (w < 0 || (size_t)w + 4 >= n - used) { /* room left for ", ..." */
      snprintf(out + used, n - used, "%s...", k > 1 ? ", " : "");
      used = n;
      break;
    }
    used += (size_t)w;
  }
  if (!k) snprintf(out, n, "no branches");
  qb_series_infos_free(ser, n_ser);
}

/* BRANCH@latest (nth 0) or BRANCH~nth. */
static int resolve_branch(qb_store *s, const char *project, const char *machine, const char *ref,
                          const char *branch, long long nth, int64_t *out_id, qb_err *err) {
  size_t n_branches = 0;
  int found = 0;
  int rc =
      s->ops->run_on_branch(s, project, machine, branch, nth, out_id, &n_branches, &found, err);
  if (rc || found) return rc;
  if (n_branches > 1)
    return qb_err_set(err, QB_EUSAGE,
                      "run reference '%s': branch '%s' exists in %zu projects; pass --project", ref,
                      branch, n_branches);
  if (n_branches == 0) { /* a typo, or main for master: name the branches there are */
    char names[256];
    branch_names(s, project, names, sizeof names);
    return qb_err_set(err, QB_ENOTFOUND, "run reference '%s': no branch '%s'%s%s (%s)", ref, branch,
                      project ? " in project " : "", project ? project : "", names);
  }
  if (nth)
    return qb_err_set(err, QB_ENOTFOUND,
                      "run reference '%s': branch '%s' has fewer than %llu runs%s%s", ref, branch,
                      (unsigned long long)nth + 1, /* nth may be LLONG_MAX */
                      machine ? " on machine " : "", machine ? machine : "");
  return qb_err_set(err, QB_ENOTFOUND, "run reference '%s': no runs on branch '%s'%s%s", ref,
                    branch, machine ? " on machine " : "", machine ? machine : "");
}

/* A commit prefix: the newest run of the one commit that starts with it. Commits are stored in
 * lower case; the range [prefix, upper) (its last digit raised) is one seek in run_by_commit. */
static int resolve_commit(qb_store *s, const char *project, const char *machine, const char *ref,
                          int64_t *out_id, int *found, qb_err *err) {
  char prefix[QB_STORE_SHA_MAX], upper[QB_STORE_SHA_MAX], first[QB_STORE_SHA_MAX],
      other[QB_STORE_SHA_MAX];
  size_t len = strlen(ref);
  *found = 0;
  if (len >= sizeof prefix) return QB_OK; /* longer than any commit */
  for (size_t i = 0; i <= len; i++)
    prefix[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
  memcpy(upper, prefix, len + 1);
  upper[len - 1]++; /* a hex digit raised: above every text that starts with the prefix */
  int rc = s->ops->run_by_commit(s, project, machine, prefix, upper, out_id, first, other, err);
  if (rc) return rc;
  if (other[0])
    return qb_err_set(err, QB_EUSAGE,
                      "run reference '%s': ambiguous commit prefix (%s, %s, ...); give more digits",
                      ref, first, other);
  *found = first[0] != '\0';
  return QB_OK;
}

int qb_store_resolve_run_on(qb_store *s, const char *project, const char *machine, const char *ref,
                            int64_t *out_id, qb_err *err) {
  int found = 0, rc;
  if (all_of(ref, "0123456789") && strlen(ref) < 19) { /* below INT64_MAX */
    int64_t id = strtoll(ref, NULL, 10);
    if ((rc = s->ops->run_by_id(s, project, id, &found, err))) return rc;
    if (found) {
      *out_id = id;
      return QB_OK;
    }
  }
  const char *at = strchr(ref, '@'), *tilde = strrchr(ref, '~');
  long long nth = 0;
  if (!at && tilde) {
    char *end;
    nth = strtoll(tilde + 1, &end, 10);
    if (tilde == ref || !tilde[1] || *end || nth < 0)
      return qb_err_set(err, QB_EUSAGE, "run reference '%s': expected BRANCH~N (N >= 0)", ref);
    at = tilde;
  }
  if (at) {
    if (at != tilde && strcmp(at, "@latest") != 0)
      return qb_err_set(err, QB_EUSAGE, "run reference '%s': expected BRANCH@latest", ref);
    char *branch = qb_strndup(ref, (size_t)(at - ref));
    if (!branch) return qb_err_set(err, QB_ENOMEM, "out of memory");
    rc = resolve_branch(s, project, machine, ref, branch, nth, out_id, err);
    free(branch);
    return rc;
  }
  if (all_of(ref, "0123456789abcdefABCDEF") && strlen(ref) >= 4 &&
      ((rc = resolve_commit(s, project, machine, ref, out_id, &found, err)) || found))
    return rc;
  return qb_err_set(err, QB_ENOTFOUND,
                    "run reference '%s': no run with that id, commit prefix or BRANCH@latest", ref);
}

int qb_store_resolve_run(qb_store *s, const char *project, const char *ref, int64_t *out_id,
                         qb_err *err) {
  return qb_store_resolve_run_on(s, project, NULL, ref, out_id, err);
}

int qb_store_find_runs(qb_store *s, const qb_run_query *q, int64_t **ids, size_t *n, qb_err *err) {
  *ids = NULL;
  *n = 0;
  if (!q->project || !q->branch || q->limit < 1)
    return qb_err_set(err, QB_EINTERNAL, "find runs: project, branch and a limit are required");
  return s->ops->find_runs(s, q, ids, n, err);
}

int qb_store_load_run(qb_store *s, int64_t id, int with_samples, qb_run_info *info, qb_run **out,
                      qb_err *err) {
  return s->ops->load_run(s, id, with_samples, info, out, err);
}

int qb_store_counts_get(qb_store *s, qb_store_counts *out, qb_err *err) {
  return s->ops->counts(s, out, err);
}

int qb_store_history(qb_store *s, int64_t run_id, int per_series, qb_history_point **out, size_t *n,
                     qb_err *err) {
  return s->ops->history(s, run_id, per_series, NULL, NULL, NULL, out, n, err);
}

int qb_store_history_with(qb_store *s, int64_t run_id, int per_series, qb_history_lookup lookup,
                          void *ctx, int64_t *generation, qb_history_point **out, size_t *n,
                          qb_err *err) {
  return s->ops->history(s, run_id, per_series, lookup, ctx, generation, out, n, err);
}

int qb_store_history_marks(qb_store *s, int64_t run_id, qb_history_point *points, size_t n,
                           qb_err *err) {
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
  return s->ops->settings(s, project, out, n, err);
}

int qb_store_setting_set(qb_store *s, const char *project, const char *glob, const char *key,
                         double value, const char *text, qb_err *err) {
  return s->ops->setting_set(s, project, glob, key, value, text, err);
}

int qb_store_setting_unset(qb_store *s, const char *project, const char *glob, const char *key,
                           qb_err *err) {
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
  return s->ops->begin(s, err);
}

int qb_store_commit(qb_store *s, qb_err *err) {
  return s->ops->commit(s, err);
}

void qb_store_rollback(qb_store *s) {
  s->ops->rollback(s);
}

int qb_store_series_list(qb_store *s, const qb_series_filter *f, qb_series_info **out, size_t *n,
                         qb_err *err) {
  qb_series_filter none = QB_SERIES_FILTER_INIT;
  return s->ops->series_list(s, f ? f : &none, out, n, err);
}

void qb_series_info_dispose(qb_series_info *x) {
  free(x->project);
  free(x->branch);
  free(x->machine);
  free(x->bench);
  free(x->metric);
  free(x->unit);
  free(x->analysed_opts);
}

void qb_series_infos_free(qb_series_info *series, size_t n) {
  for (size_t i = 0; i < n; i++) qb_series_info_dispose(&series[i]);
  free(series);
}

int qb_store_series_points(qb_store *s, int64_t series_id, qb_series_point **out, size_t *n,
                           qb_err *err) {
  return s->ops->series_points(s, series_id, out, n, err);
}

int qb_store_series_samples(qb_store *s, int64_t series_id, qb_point_samples_fn fn, void *ctx,
                            qb_err *err) {
  return s->ops->series_samples(s, series_id, fn, ctx, err);
}

void qb_series_points_free(qb_series_point *points, size_t n) {
  for (size_t i = 0; i < n; i++) free(points[i].commit_sha);
  free(points);
}

int qb_store_series_values(qb_store *s, int64_t series_id, int64_t **run_ids, double **values,
                           size_t *n, qb_err *err) {
  return s->ops->series_values(s, series_id, run_ids, values, n, err);
}

int qb_store_series_recent(qb_store *s, const char *project, const char *branch, size_t per_series,
                           qb_recent_point **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
  if (!project || !branch || !per_series)
    return qb_err_set(err, QB_EUSAGE, "series_recent: needs a project, a branch and a count");
  return s->ops->series_recent(s, project, branch, per_series, out, n, err);
}

int qb_store_series_changes(qb_store *s, int64_t series_id, qb_stored_change **out, size_t *n,
                            qb_err *err) {
  return s->ops->series_changes(s, series_id, out, n, err);
}

int qb_store_series_lock(qb_store *s, const int64_t *ids, size_t n, qb_err *err) {
  return s->ops->series_lock && n ? s->ops->series_lock(s, ids, n, err) : QB_OK;
}

int qb_store_has_series_locks(const qb_store *s) {
  return s->ops->series_lock != NULL;
}

void qb_store_series_unlock(qb_store *s) {
  if (s->ops->series_unlock) s->ops->series_unlock(s);
}

int qb_store_regressions_replace(qb_store *s, int64_t series_id, qb_regression *recs, size_t n,
                                 qb_err *err) {
  return s->ops->regressions_replace(s, series_id, recs, n, err);
}

int qb_store_begin_read(qb_store *s, qb_err *err) {
  return s->ops->begin_read(s, err);
}

int qb_store_checkpoint_due(qb_store *s, int timeout_ms, qb_err *err) {
  if (!s->ops->checkpoint_due) return missing(s, "checkpoint_due", err);
  return s->ops->checkpoint_due(s, timeout_ms, err);
}

int qb_store_series_analysed(qb_store *s, int64_t series_id, size_t n, int64_t last_run,
                             int64_t last_time, const char *opts, int *updated, qb_err *err) {
  return s->ops->series_analysed(s, series_id, n, last_run, last_time, opts, updated, err);
}

int qb_store_point_time(qb_store *s, int64_t series_id, int64_t run, int64_t *time, qb_err *err) {
  return s->ops->point_time(s, series_id, run, time, err);
}

int qb_store_series_tail(qb_store *s, int64_t series_id, int64_t time, int64_t run, size_t n_before,
                         int64_t **run_ids, double **values, size_t *n_out, size_t *n_got_before,
                         int64_t *last_time, qb_err *err) {
  return s->ops->series_tail(s, series_id, time, run, n_before, run_ids, values, n_out,
                             n_got_before, last_time, err);
}

int qb_store_run_points(qb_store *s, int64_t run_id, qb_run_point **out, size_t *n, qb_err *err) {
  *out = NULL;
  *n = 0;
  return s->ops->run_points(s, run_id, out, n, err);
}

int qb_store_regressions_list(qb_store *s, const qb_regression_filter *f, qb_regression **out,
                              size_t *n, qb_err *err) {
  qb_regression_filter none = QB_REGRESSION_FILTER_INIT;
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
    qb_series_info_dispose(&r->series);
  }
  free(regs);
}

int qb_store_regression_triage(qb_store *s, int64_t id, const char *status, const char *note,
                               const char *who, qb_err *err) {
  return s->ops->regression_triage(s, id, status, note, who, err);
}

int qb_store_target_set(qb_store *s, const qb_target *t, int64_t *out_id, qb_err *err) {
  return s->ops->target_set(s, t, out_id, err);
}

int qb_store_targets(qb_store *s, const char *project, qb_target **out, size_t *n, qb_err *err) {
  return s->ops->targets(s, project, out, n, err);
}

int qb_store_target_rm(qb_store *s, int64_t id, qb_err *err) {
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
  return s->ops->token_add(s, name, project, scope, hash, out_id, err);
}

int qb_store_token_find(qb_store *s, const char *hash, qb_token *out, qb_err *err) {
  return s->ops->token_find(s, hash, out, err);
}

int qb_store_tokens(qb_store *s, qb_token **out, size_t *n, qb_err *err) {
  return s->ops->tokens(s, out, n, err);
}

int qb_store_token_revoke(qb_store *s, int64_t id, qb_err *err) {
  return s->ops->token_revoke(s, id, err);
}

int qb_store_previous_run(qb_store *s, int64_t run_id, int64_t *prev_id, qb_err *err) {
  return s->ops->previous_run(s, run_id, prev_id, err);
}

int qb_store_fingerprint(qb_store *s, char *out, size_t n, qb_err *err) {
  if (n < QB_FINGERPRINT_LEN)
    return qb_err_set(err, QB_EINTERNAL, "fingerprint: a buffer of %zu bytes (%d needed)", n,
                      QB_FINGERPRINT_LEN);
  return s->ops->fingerprint(s, out, n, err);
}

int qb_store_generation(qb_store *s, int64_t *out, qb_err *err) {
  *out = 0;
  return s->ops->generation(s, out, err);
}

int qb_store_idempotency_get(qb_store *s, const char *project, const qb_idem *k, qb_idem_hit *hit,
                             qb_err *err) {
  memset(hit, 0, sizeof *hit);
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
  return s->ops->report_add(s, rec, items, n, out_id, err);
}

int qb_store_report_last(qb_store *s, const char *project, qb_report_record *out, qb_err *err) {
  return s->ops->report_last(s, project ? project : "", out, err);
}

int qb_store_report_items(qb_store *s, const char *project, qb_report_item **out, size_t *n,
                          qb_err *err) {
  return s->ops->report_items(s, project ? project : "", out, n, err);
}

void qb_report_record_dispose(qb_report_record *r) {
  if (!r) return;
  free(r->project);
  free(r->format);
  memset(r, 0, sizeof *r);
}

/* ---- bisect sessions ------------------------------------------------------------------------ */

/* QB_OK when status is one the bisect table takes (its CHECK); else QB_EUSAGE. */
static int bisect_status_check(const char *status, qb_err *err) {
  if (status &&
      (!strcmp(status, "running") || !strcmp(status, "done") || !strcmp(status, "failed")))
    return QB_OK;
  return qb_err_set(err, QB_EUSAGE, "bisect: status '%s': expected running, done or failed",
                    status ? status : "(none)");
}

int qb_store_bisect_add(qb_store *s, const qb_bisect_record *rec, int64_t *out_id, qb_err *err) {
  static const char *const names[] = {"project",     "benchmark",  "metric", "machine",
                                      "good_commit", "bad_commit", "state"};
  const char *const vals[] = {rec->project,     rec->benchmark,  rec->metric, rec->machine,
                              rec->good_commit, rec->bad_commit, rec->state};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!vals[i]) return qb_err_set(err, QB_EUSAGE, "bisect: %s: missing", names[i]);
  int rc = bisect_status_check(rec->status, err);
  if (rc) return rc;
  int64_t id = 0;
  if ((rc = s->ops->bisect_add(s, rec, &id, err))) return rc;
  if (out_id) *out_id = id;
  return QB_OK;
}

int qb_store_bisect_update(qb_store *s, int64_t id, const char *status, const char *state,
                           int64_t updated_at, qb_err *err) {
  int rc = bisect_status_check(status, err);
  if (rc) return rc;
  if (!state) return qb_err_set(err, QB_EUSAGE, "bisect: state: missing");
  return s->ops->bisect_update(s, id, status, state, updated_at, err);
}

int qb_store_bisect_get(qb_store *s, int64_t id, qb_bisect_record *out, qb_err *err) {
  memset(out, 0, sizeof *out);
  return s->ops->bisect_get(s, id, out, err);
}

int qb_store_bisects_list(qb_store *s, const qb_bisect_filter *f, qb_bisect_record **out, size_t *n,
                          qb_err *err) {
  qb_bisect_filter all = QB_BISECT_FILTER_INIT;
  *out = NULL;
  *n = 0;
  return s->ops->bisects_list(s, f ? f : &all, out, n, err);
}

void qb_bisect_record_dispose(qb_bisect_record *r) {
  if (!r) return;
  free(r->project);
  free(r->benchmark);
  free(r->metric);
  free(r->machine);
  free(r->good_commit);
  free(r->bad_commit);
  free(r->status);
  free(r->state);
  memset(r, 0, sizeof *r);
}

void qb_bisect_records_free(qb_bisect_record *r, size_t n) {
  for (size_t i = 0; i < n; i++) qb_bisect_record_dispose(&r[i]);
  free(r);
}

int qb_store_prune(qb_store *s, const qb_prune_opts *o, qb_prune_result *res, qb_err *err) {
  return s->ops->prune(s, o, res, err);
}

int qb_store_vacuum(qb_store *s, int64_t *bytes_before, int64_t *bytes_after,
                    int *checkpoint_deferred, qb_err *err) {
  *checkpoint_deferred = 0;
  return s->ops->vacuum(s, bytes_before, bytes_after, checkpoint_deferred, err);
}

/* ---- moving data ---------------------------------------------------------------------------- */

/* Schema version 15's tables and columns (migrations/0001..0015, migrations/postgresql/0013..0015).
 */
const qb_db_table qb_db_tables[] = {
    {"project", "id, name", "id", 1},
    {"branch", "id, project_id, name", "id", 1},
    {"machine", "id, name, info", "id", 1},
    {"run",
     "id, project_id, branch_id, machine_id, commit_sha, commit_time, started_at, ingested_at, "
     "format, tool_version, machine_info, extra, content_hash, n_benches, n_results, n_samples",
     "id", 1},
    {"run_tag", "run_id, key, value", "run_id, key", 0},
    {"benchmark", "id, project_id, name, grp, params", "id", 1},
    {"metric", "id, name, unit, direction", "id", 1},
    {"series",
     "id, branch_id, machine_id, benchmark_id, metric_id, analysed_n, analysed_run_id, "
     "analysed_time, analysed_opts",
     "id", 1},
    {"run_benchmark", "run_id, benchmark_id, extra", "run_id, benchmark_id", 0},
    {"result",
     "id, run_id, benchmark_id, metric_id, series_id, n, min, max, mean, median, stddev, p95, "
     "p99, q1, q3, outliers, estimate, ci_lo, ci_hi, extra, run_time",
     "id", 1},
    {"sample_set", "result_id, n, data", "result_id", 0},
    {"setting", "id, project, bench_glob, key, value, text", "id", 1},
    {"regression",
     "id, series_id, run_id, prev_run_id, kind, before, after, change_pct, p_value, severity, "
     "status, note, triaged_by, triaged_at, detected_at, active, position, run_time, gone_at, "
     "superseded_by",
     "id", 1},
    {"target", "id, project, bench_glob, metric, op, value, unit, created_at", "id", 1},
    {"token", "id, name, project, scope, hash, created_at, revoked_at", "id", 1},
    {"report",
     "id, project, created_at, window_start, window_end, max_regression_id, max_detected_at, "
     "new_regressions, new_improvements, format",
     "id", 1},
    {"report_item", "report_id, regression_id, series_id, run_id, kind, severity",
     "report_id, regression_id", 0},
    {"bisect",
     "id, project, regression_id, benchmark, metric, machine, good_commit, bad_commit, status, "
     "started_at, updated_at, state",
     "id", 1},
    {"idempotency", "project_id, token_id, key, request_hash, run_id, created_at",
     "project_id, token_id, key", 0},
    {"data_generation", "id, generation", "id", 0},
};
const size_t qb_db_tables_count = sizeof qb_db_tables / sizeof qb_db_tables[0];

int qb_store_dump(qb_store *s, qb_row_fn fn, void *ctx, qb_err *err) {
  return s->ops->dump(s, fn, ctx, err);
}

int qb_store_load(qb_store *s, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  return s->ops->load(s, t, v, n, err);
}

int qb_store_load_done(qb_store *s, qb_err *err) {
  return s->ops->load_done ? s->ops->load_done(s, err) : QB_OK;
}

int qb_store_info_get(qb_store *s, qb_store_info *out, qb_err *err) {
  memset(out, 0, sizeof *out);
  out->backend = s->ops->name;
  out->version = s->ops->schema_version(s);
  return s->ops->info(s, out, err);
}

int qb_store_backup(qb_store *s, const char *to, qb_err *err) {
  if (!s->ops->backup)
    return qb_err_set(err, QB_EUSAGE,
                      "db backup: the %s backend has its own tools (PostgreSQL: pg_dump); "
                      "`qbdb db copy` also copies a database into a new SQLite file",
                      s->ops->name);
  return s->ops->backup(s, to, err);
}

/* qb_store_copy's emptiness check: any row but data_generation's first one stops the dump. */
static int any_row(void *ctx, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  (void)v;
  (void)n;
  (void)err;
  if (!strcmp(t->name, "data_generation") && v[1].type == QB_V_INT && v[1].i == 0) return QB_OK;
  *(const char **)ctx = t->name;
  return QB_EEXISTS;
}

typedef struct copy_ctx {
  qb_store *to;
  int64_t rows, runs;
} copy_ctx;

static int copy_row(void *ctx, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  copy_ctx *c = ctx;
  int rc = qb_store_load(c->to, t, v, n, err);
  if (rc) return rc;
  c->rows++;
  c->runs += !strcmp(t->name, "run");
  return QB_OK;
}

int qb_store_copy(qb_store *from, qb_store *to, int64_t *rows, int64_t *runs, qb_err *err) {
  int vf = qb_store_schema_version(from), vt = qb_store_schema_version(to);
  if (vf != vt) return qb_err_set(err, QB_EDB, "copy: schema versions differ (%d and %d)", vf, vt);
  const char *table = NULL;
  int rc = qb_store_dump(to, any_row, &table, err);
  if (rc == QB_EEXISTS)
    return qb_err_set(err, QB_EEXISTS,
                      "copy: the destination holds data already (table %s); copy into a new "
                      "database",
                      table);
  if (rc) return rc;
  copy_ctx c = {to, 0, 0};
  if ((rc = qb_store_begin(to, err))) return rc;
  if ((rc = qb_store_dump(from, copy_row, &c, err)) || (rc = qb_store_load_done(to, err))) {
    qb_store_rollback(to);
    return rc;
  }
  if ((rc = qb_store_commit(to, err))) return rc;
  if (rows) *rows = c.rows;
  if (runs) *runs = c.runs;
  return QB_OK;
}

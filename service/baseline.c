/* service/baseline.c - the baseline rule (service/baseline.h). */
#include "service/baseline.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DEFAULT_BASE_BRANCH[] = "main";

/* snprintf into buf of n bytes, cut short when longer (reasons are one line for people). */
static void textf(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, n, fmt, ap);
  va_end(ap);
}

int qb_baseline_opts_check(const qb_baseline_opts *o, qb_err *err) {
  if (o->base_runs < 0 || o->base_runs > QB_BASE_RUNS_MAX)
    return qb_err_set(err, QB_EUSAGE, "base-runs %d: expected 1 to %d", o->base_runs,
                      QB_BASE_RUNS_MAX);
  if (o->base_ref && !*o->base_ref) return qb_err_set(err, QB_EUSAGE, "base: empty reference");
  if (o->base_branch && !*o->base_branch)
    return qb_err_set(err, QB_EUSAGE, "base-branch: empty branch name");
  if (o->base_commit) {
    size_t n = strlen(o->base_commit);
    int hex = n >= 4 && n <= 64;
    for (size_t i = 0; hex && i < n; i++) hex = isxdigit((unsigned char)o->base_commit[i]) != 0;
    if (!hex)
      return qb_err_set(err, QB_EUSAGE, "base-commit '%.80s': expected 4 to 64 hex digits",
                        o->base_commit);
  }
  return QB_OK;
}

const char *qb_baseline_ci_branch(const char **var) {
  /* with a '$' before each name, so that var - 1 is "$NAME" for a reason */
  static const char *const VARS[] = {"$GITHUB_BASE_REF", "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                                     "$BITBUCKET_PR_DESTINATION_BRANCH",
                                     "$SYSTEM_PULLREQUEST_TARGETBRANCH", "$CHANGE_TARGET"};
  for (size_t i = 0; i < sizeof VARS / sizeof VARS[0]; i++) {
    const char *v = getenv(VARS[i] + 1);
    if (!v || !*v) continue;
    if (!strncmp(v, "refs/heads/", 11) && v[11]) v += 11; /* Azure Pipelines */
    if (var) *var = VARS[i] + 1;
    return v;
  }
  if (var) *var = NULL;
  return NULL;
}

/* The setting default_branch of project (NULL when unset); *out is a copy the caller frees. */
static int default_branch(qb_store *s, const char *project, char **out, qb_err *err) {
  qb_setting *rows = NULL;
  size_t n = 0;
  *out = NULL;
  int rc = qb_store_settings(s, project, &rows, &n, err);
  if (rc) return rc;
  int best = -1;
  for (size_t i = 0; i < n; i++) /* the project's own row beats the every-project row */
    if (!strcmp(rows[i].key, "default_branch") && rows[i].text && !*rows[i].bench_glob &&
        (best < 0 || *rows[i].project))
      best = (int)i;
  if (best >= 0 && !(*out = strdup(rows[best].text)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_settings_free(rows, n);
  return rc;
}

int qb_baseline_default_branch(qb_store *s, const char *project, char **out, qb_err *err) {
  return default_branch(s, project, out, err);
}

/* Fill b->runs with run `first` and the pool - 1 runs before it on its branch and machine. */
static int pool_from(qb_store *s, const qb_run_info *first, int pool, qb_baseline *b, qb_err *err) {
  b->runs[0] = first->id;
  b->n_runs = 1;
  textf(b->branch, sizeof b->branch, "%s", first->branch);
  if (pool <= 1) return QB_OK;
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = first->project;
  q.branch = first->branch;
  q.machine = first->machine;
  q.before = first->id;
  q.limit = pool - 1;
  int64_t *ids = NULL;
  size_t n = 0;
  int rc = qb_store_find_runs(s, &q, &ids, &n, err);
  if (rc) return rc;
  for (size_t i = 0; i < n && b->n_runs < QB_BASE_RUNS_MAX; i++) b->runs[b->n_runs++] = ids[i];
  free(ids);
  return QB_OK;
}

/* " and the N runs before it" for a pool, "" for one run. */
static const char *pool_words(const qb_baseline *b, char *buf, size_t n) {
  if (b->n_runs <= 1) return "";
  textf(buf, n, ", pooled with the %zu run%s before it", b->n_runs - 1, b->n_runs == 2 ? "" : "s");
  return buf;
}

/* The newest run matching q (0 when none). */
static int find_one(qb_store *s, qb_run_query *q, int64_t *id, qb_err *err) {
  int64_t *ids = NULL;
  size_t n = 0;
  q->limit = 1;
  int rc = qb_store_find_runs(s, q, &ids, &n, err);
  *id = !rc && n ? ids[0] : 0;
  free(ids);
  return rc;
}

/* Rule 2: the base branch at the merge base, else its newest run before the head. */
static int from_base_branch(qb_store *s, const qb_run_info *head, const char *branch,
                            const char *why, const qb_baseline_opts *o, qb_baseline *b,
                            qb_err *err) {
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = head->project;
  q.branch = branch;
  q.machine = head->machine;
  int64_t id = 0;
  char missed[200] = "", pw[64];
  int rc;
  if (o->base_commit) {
    q.commit = o->base_commit;
    if ((rc = find_one(s, &q, &id, err))) return rc;
    if (!id)
      textf(missed, sizeof missed, "no run of %s at merge base %.12s on %s; ", branch,
            o->base_commit, head->machine);
    q.commit = NULL;
  }
  const char *rule = "merge-base";
  if (!id) {
    q.before = head->id;
    if ((rc = find_one(s, &q, &id, err))) return rc;
    rule = "base-branch";
  }
  if (!id) {
    b->rule = "none";
    textf(b->reason, sizeof b->reason,
          "%sno run of base branch %s (%s) on machine %s before this run", missed, branch, why,
          head->machine);
    return QB_OK;
  }
  qb_run_info first;
  if ((rc = qb_store_load_run(s, id, 0, &first, NULL, err))) return rc;
  rc = pool_from(s, &first, o->base_runs, b, err);
  if (!rc) {
    b->rule = rule;
    if (!strcmp(rule, "merge-base"))
      textf(b->reason, sizeof b->reason,
            "run %lld of base branch %s (%s) at merge base %.12s on %s%s", (long long)id, branch,
            why, o->base_commit, head->machine, pool_words(b, pw, sizeof pw));
    else
      textf(b->reason, sizeof b->reason,
            "%srun %lld, the newest of base branch %s (%s) on %s before this run%s", missed,
            (long long)id, branch, why, head->machine, pool_words(b, pw, sizeof pw));
  }
  qb_run_info_dispose(&first);
  return rc;
}

int qb_baseline_choose(qb_store *s, int64_t head_id, const qb_baseline_opts *o, qb_baseline *out,
                       qb_err *err) {
  qb_baseline_opts none = QB_BASELINE_OPTS_INIT;
  qb_run_info head, base;
  char *dflt = NULL, pw[64], missed[sizeof out->reason] = "";
  int rc, have_base = 0;
  if (!o) o = &none;
  memset(out, 0, sizeof *out);
  out->rule = "none";
  if ((rc = qb_baseline_opts_check(o, err))) return rc;
  if ((rc = qb_store_load_run(s, head_id, 0, &head, NULL, err))) return rc;
  /* 1. explicit */
  if (o->base_ref) {
    int64_t id;
    rc = qb_store_resolve_run_on(s, head.project, o->any_machine ? NULL : head.machine, o->base_ref,
                                 &id, err);
    if (rc == QB_ENOTFOUND) { /* elsewhere? then say where (another project or machine) */
      qb_err e2 = QB_ERR_INIT;
      if (qb_store_resolve_run_on(s, NULL, NULL, o->base_ref, &id, &e2) == QB_OK)
        rc = QB_OK;
      else if (!o->any_machine)
        qb_err_prefix(err, "base %s (on machine %s; --any-machine looks on every machine)",
                      o->base_ref, head.machine);
    }
    if (rc) goto done;
    if ((rc = qb_store_load_run(s, id, 0, &base, NULL, err))) goto done;
    have_base = 1;
    if (strcmp(base.project, head.project) != 0) {
      rc = qb_err_set(err, QB_EUSAGE,
                      "cannot compare runs of different projects: run %lld (%s) is in '%s', run "
                      "%lld in '%s'",
                      (long long)id, o->base_ref, base.project, (long long)head_id, head.project);
      goto done;
    }
    if (strcmp(base.machine, head.machine) != 0 && !o->any_machine) {
      rc = qb_err_set(err, QB_EUSAGE,
                      "base %s: run %lld ran on machine %s and this run on %s: runs of different "
                      "machines are compared only with --any-machine",
                      o->base_ref, (long long)id, base.machine, head.machine);
      goto done;
    }
    if (id == head_id) {
      rc = qb_err_set(err, QB_EUSAGE, "base %s: is the run itself (run %lld)", o->base_ref,
                      (long long)id);
      goto done;
    }
    if ((rc = pool_from(s, &base, o->base_runs, out, err))) goto done;
    out->rule = "explicit";
    textf(out->reason, sizeof out->reason, "run %lld of %s on %s, as asked (%s)%s", (long long)id,
          base.branch, base.machine, o->base_label ? o->base_label : o->base_ref,
          pool_words(out, pw, sizeof pw));
    goto done;
  }
  /* 2. a named base branch other than the head's own */
  if (o->base_branch && strcmp(o->base_branch, head.branch) != 0) {
    char why[128];
    textf(why, sizeof why, "from %s",
          o->base_branch_source ? o->base_branch_source : "--base-branch");
    if ((rc = from_base_branch(s, &head, o->base_branch, why, o, out, err)) || out->n_runs)
      goto done;
    textf(missed, sizeof missed, "%s; ", out->reason); /* then the branch's own history */
  }
  /* 3. the previous run of the branch on this machine */
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = head.project;
  q.branch = head.branch;
  q.machine = head.machine;
  q.before = head_id;
  int64_t prev = 0;
  if ((rc = find_one(s, &q, &prev, err))) goto done;
  if (prev) {
    if ((rc = qb_store_load_run(s, prev, 0, &base, NULL, err))) goto done;
    have_base = 1;
    if ((rc = pool_from(s, &base, o->base_runs, out, err))) goto done;
    out->rule = "branch";
    textf(out->reason, sizeof out->reason, "%srun %lld, the previous run of %s on %s%s", missed,
          (long long)prev, head.branch, head.machine, pool_words(out, pw, sizeof pw));
    goto done;
  }
  /* 4. a branch without history here: the project's base branch */
  if ((rc = default_branch(s, head.project, &dflt, err))) goto done;
  const char *branch = o->base_branch ? o->base_branch : dflt ? dflt : DEFAULT_BASE_BRANCH;
  if (!strcmp(branch, head.branch) || *missed) {
    textf(out->reason, sizeof out->reason, "%sno earlier run of %s on machine %s", missed,
          head.branch, head.machine);
    goto done;
  }
  rc = from_base_branch(s, &head, branch,
                        o->base_branch ? "the run's own branch"
                        : dflt         ? "the project's default_branch setting"
                                       : "the default base branch; set default_branch to change it",
                        o, out, err);
  if (!rc && out->n_runs) {
    char tmp[sizeof out->reason];
    textf(tmp, sizeof tmp, "%s has no earlier run on %s: %s", head.branch, head.machine,
          out->reason);
    memcpy(out->reason, tmp, sizeof tmp);
  }
done:
  if (have_base) qb_run_info_dispose(&base);
  qb_run_info_dispose(&head);
  free(dflt);
  return rc;
}

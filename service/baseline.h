/* service/baseline.h - which runs a run is compared with: one rule for `qbdb compare`, `qbdb
 * ingest`, `qbdb upload` and POST /api/v1/runs (docs/statistics.md, "Baselines").
 *
 * 1. An explicit base reference (--base REF) always wins.
 * 2. A run that names its base branch (--base-branch, the CI's target-branch variable) on
 *    another branch is compared with that branch: its run at the merge-base commit when the
 *    upload names it (--base-commit), else its newest run before the head in series order
 *    (commit time, else start time).
 * 3. Otherwise the previous run of the same branch and machine.
 * 4. A branch with no earlier run there falls back to the project's base branch (the
 *    default_branch setting, else "main") as in 2.
 * Baselines are always taken on the head's machine; an explicit reference on another machine is
 * refused unless any_machine. With base_runs N the baseline is the chosen run and the N - 1 runs
 * before it on its branch and machine, pooled.
 *
 * Ownership: qb_baseline_choose fills a caller-allocated qb_baseline that owns nothing (fixed
 * arrays and static strings). */
#ifndef QB_SERVICE_BASELINE_H
#define QB_SERVICE_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "schema/store.h"

enum { QB_BASE_RUNS_MAX = 50 }; /* the largest pool */

typedef struct qb_baseline_opts {
  const char *base_ref;           /* explicit reference (rule 1); NULL: the rule decides */
  const char *base_branch;        /* the base branch (rule 2); NULL: none named */
  const char *base_branch_source; /* where base_branch came from, for the reason (e.g.
                                     "--base-branch", "$GITHUB_BASE_REF"); NULL: "--base-branch" */
  const char *base_commit;        /* the merge-base commit (sha or prefix of >= 4 hex digits) */
  int base_runs;                  /* pool size, 1 .. QB_BASE_RUNS_MAX (0 means 1) */
  int any_machine;                /* an explicit base may be on another machine */
  const char *base_label;         /* how the reason names base_ref (NULL: base_ref itself; the
                                     user's "main@latest" after it was resolved to an id) */
} qb_baseline_opts;

#define QB_BASELINE_OPTS_INIT                                                                      \
  { NULL, NULL, NULL, NULL, 1, 0, NULL }

typedef struct qb_baseline {
  int64_t runs[QB_BASE_RUNS_MAX]; /* the pooled runs, newest first (runs[0] is "the" base) */
  size_t n_runs;                  /* 0: no baseline (reason says why) */
  const char *rule; /* "explicit", "branch", "merge-base", "base-branch" or "none" (static) */
  char reason[512]; /* one line: which runs and why */
  char branch[256]; /* the baseline's branch ("" when none) */
} qb_baseline;

/* Check opts as the CLI and the API both do: base_runs in range, base_commit 4 to 64 hex digits,
 * branch and reference names not empty (QB_EUSAGE naming the option). */
int qb_baseline_opts_check(const qb_baseline_opts *o, qb_err *err);

/* Choose the baseline of run head_id by the rule above. No baseline at all (a first run) is not
 * an error: out->n_runs is 0 and out->rule "none", with the reason. An explicit reference that
 * does not resolve is QB_ENOTFOUND; one on another machine without any_machine, or of another
 * project, is QB_EUSAGE. */
int qb_baseline_choose(qb_store *s, int64_t head_id, const qb_baseline_opts *o, qb_baseline *out,
                       qb_err *err);

/* The project's base branch of rule 4, as set: its default_branch setting (the project's own row
 * beats the every-project row); *out is NULL when unset (the rule then takes "main"), else a
 * copy the caller frees. */
int qb_baseline_default_branch(qb_store *s, const char *project, char **out, qb_err *err);

/* The base branch a CI system names for a merge or pull request, from the environment
 * (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME, BITBUCKET_PR_DESTINATION_BRANCH,
 * SYSTEM_PULLREQUEST_TARGETBRANCH, CHANGE_TARGET), or NULL; *var gets the variable's name
 * (static; *var - 1 is the same name with a '$' before it, for a reason). For the CLI: the
 * server never reads its own environment for this. */
const char *qb_baseline_ci_branch(const char **var);

#endif

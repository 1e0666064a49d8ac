/* service/bisect.h - `qbdb bisect`: find the commits between a good and a bad commit that changed
 * a benchmark, with sequential tests of controlled error (docs/cli/bisect.md, docs/statistics.md
 * "Bisection").
 *
 * The search is a deterministic function of the observations: a session stores every one of
 * them (with its options and commits) as its state, after each, so that an interrupted search
 * resumes by replaying them and measuring only what it had not (qb_bisect_run). The service
 * checks nothing out and runs nothing: the caller's measure function does (cli/cmd_bisect.c).
 *
 * Ownership: a qb_bisect owns its commits, observations, evidence and steps (qb_bisect_dispose);
 * qb_bisect_state_json gives the caller a json_t reference. */
#ifndef QB_SERVICE_BISECT_H
#define QB_SERVICE_BISECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "schema/store.h"

struct json_t;
struct qb_bisect;

/* One invocation of the command at a commit. */
typedef struct qb_bisect_obs {
  size_t commit;  /* index in the session's commits */
  int ok;         /* 1: value holds the benchmark's centre */
  double value;   /* the centre (median, else mean, else estimate), base unit */
  int64_t run_id; /* the run stored on the scratch branch (0: none) */
  int status;     /* the command's exit status; -N: killed by signal N */
  double secs;    /* wall time of the invocation */
  char *why;      /* ok 0: why there is no value (one line), else NULL */
} qb_bisect_obs;

/* What one tested commit was found to be. */
typedef enum qb_bisect_verdict {
  QB_BISECT_LIKE_GOOD = 0,
  QB_BISECT_LIKE_BAD,
  QB_BISECT_UNDECIDED, /* the run budget was spent first: skipped */
  QB_BISECT_SKIPPED /* no value: exit 125 (cannot test), or the command failed retries + 1 times */
} qb_bisect_verdict;

/* "like good", "like bad", "undecided", "skipped". */
const char *qb_bisect_verdict_name(qb_bisect_verdict v);

/* The evidence of one decision of the search. */
typedef struct qb_bisect_test {
  size_t commit, good, bad; /* the commit and the two it was compared with (indexes) */
  qb_bisect_verdict verdict;
  size_t runs;          /* values of the commit the decision used */
  double centre;        /* their geometric mean (base unit) */
  double p_good, p_bad; /* Welch's p against the good and the bad commit's values (logs) */
  double llr;           /* the last log likelihood ratio (bad against good); NAN in fixed mode */
} qb_bisect_test;

/* A change found: between commits `before` and `after` (indexes; after = before + 1 unless the
 * commits between could not be tested). */
typedef struct qb_bisect_step {
  size_t before, after;
  double level_before, level_after; /* geometric means of their values (base unit) */
  double change_pct;                /* (after / before - 1) * 100 */
  double p;                         /* Welch's p of the two commits' values (logs) */
  double llr;    /* the paired test's log likelihood ratio of "a step" against "none" (NAN:
                    fixed mode); it decides at ln((1 - alpha) / alpha) */
  size_t runs;   /* the pairs of values that test used */
  int confirmed; /* 1: the paired test found the step; 0: its run budget ran out first */
} qb_bisect_step;

typedef struct qb_bisect_opts {
  double error;         /* the chance of a wrong answer the search allows (default 0.05) */
  size_t calibrate;     /* values at each end before the search, at least (default 5) */
  size_t max_calibrate; /* and at most (default 30) */
  size_t max_runs;      /* values of one tested commit at most (default 20) */
  size_t retries;       /* failed invocations of a commit retried (default 1) */
  int fixed;            /* 1: a fixed number of runs per decision (the comparison) */
  int worse_is_higher;  /* 1: the bad commit must be higher (a latency regression), -1 lower (a
                           throughput regression), 0: either way (--good/--bad) */
} qb_bisect_opts;

#define QB_BISECT_OPTS_INIT                                                                        \
  { 0.05, 5, 30, 20, 1, 0, 0 }

/* Measure commits[commit] once: fill *out (ok 0 with status and why for an invocation that gave
 * no value; status 125: the commit cannot be tested). Any other return stops the search with it
 * (the caller's interrupt: QB_EINTERRUPTED); the observation is then not recorded. */
typedef int (*qb_bisect_measure_fn)(void *ctx, size_t commit, qb_bisect_obs *out, qb_err *err);

/* What happens, as it happens (for the terminal); NULL fields are not called. */
typedef struct qb_bisect_events {
  void (*calibrated)(void *ctx, size_t good, size_t bad, const struct qb_bisect *b);
  void (*tested)(void *ctx, const qb_bisect_test *t, const struct qb_bisect *b);
  void (*observed)(void *ctx, const qb_bisect_obs *o, int replayed, const struct qb_bisect *b);
  void *ctx;
} qb_bisect_events;

typedef enum qb_bisect_outcome {
  QB_BISECT_FOUND = 0,      /* steps holds the changes (at least one) */
  QB_BISECT_NOT_REPRODUCED, /* the good and the bad commit did not differ here (or not the way
                               worse_is_higher says) */
  QB_BISECT_NO_STEP         /* they differ, but no single step could be confirmed */
} qb_bisect_outcome;

typedef struct qb_bisect {
  qb_bisect_opts opts;
  char **commits; /* full ids, [0] the good commit, [n_commits - 1] the bad one, in history order */
  char **subjects; /* their subject lines */
  int64_t *times;  /* their commit times (us) */
  size_t n_commits;
  qb_bisect_obs *obs; /* every invocation, in order */
  size_t n_obs, cap_obs;
  /* the search's results (qb_bisect_run) */
  qb_bisect_test *tests;
  size_t n_tests, cap_tests;
  qb_bisect_step *steps;
  size_t n_steps, cap_steps;
  qb_bisect_outcome outcome;
  double good_level, bad_level; /* geometric means at the two ends */
  double change_pct, p_change;  /* bad against good, and Welch's p */
  double sd;                    /* the pooled standard deviation of log values at the end */
  double alpha;                 /* the error rate of each decision */
  size_t fixed_runs; /* runs per tested commit a fixed-repetition search needs to tell good
                        from bad with error alpha, and per end test (a step of half the
                        change, paired), with the final noise estimate (test_sd) */
  size_t fixed_end_runs;
  int finished; /* 1: the search ended (outcome set) */
} qb_bisect;

/* Set b up for a new search of commits[0..n) (copied; subjects and times may be NULL). */
int qb_bisect_init(qb_bisect *b, const qb_bisect_opts *o, char *const *commits,
                   char *const *subjects, const int64_t *times, size_t n, qb_err *err);
/* Set b up from a stored state (qb_bisect_state_json's), observations included, and its result
 * (finished 1) when the search had ended. */
int qb_bisect_from_state(qb_bisect *b, const struct json_t *state, qb_err *err);
void qb_bisect_dispose(qb_bisect *b);

/* The state to store: options, commits, observations and, once finished, the result; extra (may
 * be NULL) is kept under "command" (the caller's: what to run, where). A new reference. */
struct json_t *qb_bisect_state_json(const qb_bisect *b, struct json_t *extra);

/* Search: replay b's stored observations, measure (measure) when the search needs more, call
 * save after each new observation (to store the state; its failure stops the search), and fill
 * the results. QB_OK when the search ended (see b->outcome); a measure or save error stops it,
 * resumable from what was saved. */
int qb_bisect_run(qb_bisect *b, qb_bisect_measure_fn measure, void *measure_ctx,
                  int (*save)(void *ctx, const qb_bisect *b, qb_err *err), void *save_ctx,
                  const qb_bisect_events *ev, qb_err *err);

/* Invocations that gave a value; *seconds (may be NULL): the wall time of all invocations. */
size_t qb_bisect_values(const qb_bisect *b, double *seconds);

#endif

/* service/compare.h - the comparison of two runs: the one service behind `qbdb compare` and (later)
 * GET /api/v1/compare, so that CLI and API can never disagree.
 *
 * Ownership: qb_compare_runs gives a qb_compare the caller frees with qb_compare_free(); every
 * string in it is owned by it. Statistics come from analysis/ (docs/statistics.md); the rules
 * for significance, noise and severity are in docs/cli/compare.md. */
#ifndef QB_SERVICE_COMPARE_H
#define QB_SERVICE_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/changepoint.h"
#include "analysis/noise.h"
#include "service/baseline.h"
#include "core/buf.h"
#include "core/err.h"
#include "schema/store.h"

typedef enum qb_severity {
  QB_SEV_NONE = 0,
  QB_SEV_MINOR,
  QB_SEV_MODERATE,
  QB_SEV_MAJOR,
  QB_SEV_CRITICAL
} qb_severity;

typedef enum qb_verdict {
  QB_VERDICT_UNCHANGED = 0,
  QB_VERDICT_REGRESSION,
  QB_VERDICT_IMPROVEMENT,
  QB_VERDICT_ADDED,
  QB_VERDICT_REMOVED
} qb_verdict;

const char *qb_severity_name(qb_severity s);               /* "none", "minor", ... */
int qb_severity_parse(const char *name, qb_severity *out); /* 0 or QB_EUSAGE */
/* A severity a user gave (an option or a query parameter), with the one message "OPTION 'NAME':
 * expected none, minor, moderate, major or critical"; with_none 0 refuses "none" too (a level
 * to fail or notify on). */
int qb_severity_parse_arg(const char *option, const char *name, int with_none, qb_severity *out,
                          qb_err *err);
const char *qb_verdict_name(qb_verdict v); /* "unchanged", "regression", ... */

/* The settings of one comparison row (docs/cli/config.md). */
typedef struct qb_compare_settings {
  double alpha;     /* significance level for BH-adjusted p (default 0.05) */
  double threshold; /* noise threshold in percent (default 1) */
  double moderate;  /* severity boundaries in percent: minor below moderate (5), */
  double major;     /* moderate below major (10), major below critical (25) */
  double critical;
  double noise_runs;    /* baseline runs since the last change point needed for a run-to-run
                           noise estimate (default 5) */
  double noise_unknown; /* percent: with fewer, the change a row needs to count (default 10) */
  /* change-point detection (detect, ingest, trend and report alike; docs/cli/detect.md) */
  double window;     /* points each side a candidate is judged on (default 30) */
  double max_p;      /* a change point's largest p-value (default 0.001) */
  double min_change; /* percent: the smallest change point kept (default 0) */
  /* min_change.METRIC for the metric these settings were read for (qb_compare_settings_metric;
   * docs/statistics.md, "Deterministic metrics"): a change smaller than this many percent is
   * never a regression or an improvement (compare, verdicts, change points); it replaces
   * threshold and, when the noise is unknown, noise_unknown. 0: none (the general rules) */
  double metric_min;
} qb_compare_settings;

/* The detection options these settings give. */
void qb_cp_opts_from_settings(const qb_compare_settings *s, qb_cp_opts *out);
/* The text that names detection options o in a series' marker ("window=30;max_p=0.001;
 * min_change=0"), into buf of n bytes. */
const char *qb_cp_opts_key(const qb_cp_opts *o, char *buf, size_t n);

/* Built-in defaults. */
void qb_compare_settings_default(qb_compare_settings *out);
/* Check a setting before it is stored: a known key and a value in its range (QB_EUSAGE). */
int qb_compare_setting_check(const char *key, double value, qb_err *err);
/* 1 when key is a text setting (default_branch), 0 for a number. */
int qb_setting_is_text(const char *key);
/* Check a text setting's value (QB_EUSAGE for an unknown key or an empty value). */
int qb_setting_text_check(const char *key, const char *value, qb_err *err);
/* The settings for benchmark bench of project: defaults, overridden by the stored rows that
 * match (every-project rows first, then the project's; within each, the row without a glob
 * first, then matching globs from the shortest pattern to the longest, so the most specific
 * wins). */
void qb_compare_settings_for(const qb_setting *rows, size_t n, const char *project,
                             const char *bench, qb_compare_settings *out);

/* The same for one metric of that benchmark: also metric_min, from the most specific
 * `min_change.METRIC` row (the same precedence), else the built-in value of the metric
 * (qb_metric_min_change_default); detection's min_change is at least metric_min. */
void qb_compare_settings_metric(const qb_setting *rows, size_t n, const char *project,
                                const char *bench, const char *metric, qb_compare_settings *out);
/* The built-in min_change.METRIC of a metric in percent: 0.5 for "instructions" and "cycles"
 * (counts that do not move between runs of the same binary), 0 for every other. */
double qb_metric_min_change_default(const char *metric);
/* The metric a `min_change.METRIC` key names, or NULL for any other key. */
const char *qb_setting_key_metric(const char *key);
/* The smallest change in percent that counts for these settings: threshold, or metric_min
 * when the metric has one. */
double qb_settings_threshold(const qb_compare_settings *s);

/* The severity band of a change of |pct| percent that counts (minor .. critical; the caller has
 * decided it is significant and above the threshold). */
qb_severity qb_severity_of(double pct, const qb_compare_settings *s);

typedef struct qb_compare_opts {
  const char *project;    /* resolve run references within this project (NULL: any) */
  const char *metric;     /* only this metric (NULL: every metric in either run) */
  const char *bench_glob; /* only benchmarks matching this fnmatch(3) glob (NULL: all) */
  double alpha;           /* overrides the settings when not NAN */
  double threshold;       /* percent; overrides the settings when not NAN */
  int history;            /* baseline runs read per series for the noise estimate (default 30) */
  const char *machine;    /* resolve BRANCH@latest, BRANCH~N and shas on this machine (NULL:
                             any) */
  int all_metrics;        /* every metric counts in the summary (--fail-on), not only the
                             primary one of each benchmark */
  qb_baseline_opts base;  /* the baseline: base.base_ref explicit, else the rule (baseline.h);
                             base.any_machine also allows explicit runs of two machines */
  struct qb_run_cache *run_cache; /* decoded runs kept between calls (the server's), or NULL */
  int shifts_changed_only;        /* 1: the Hodges-Lehmann shift and its interval only for the rows
                                     whose verdict is not "unchanged" (NAN elsewhere; an upload's
                                     answer shows only those) */
} qb_compare_opts;

#define QB_COMPARE_OPTS_INIT                                                                       \
  { NULL, NULL, NULL, NAN, NAN, 30, NULL, 0, QB_BASELINE_OPTS_INIT, NULL, 0 }

/* One side (base or head) of a row. */
typedef struct qb_compare_side {
  int present;      /* the run has this benchmark and metric */
  int64_t n;        /* samples (or the tool's n); -1 unknown */
  size_t n_samples; /* raw samples available */
  double centre;    /* what is compared: the median, else the mean, else the tool's estimate */
  const char *centre_kind; /* "median", "mean" or "estimate" (static) */
  double median, mean, stddev;
  double ci_lo, ci_hi; /* 95% interval of the centre: order statistics of the median from the
                          raw samples, else the tool's own interval; NAN when none */
  int runs;            /* runs pooled into this side (1 but for a pooled baseline) */
} qb_compare_side;

typedef struct qb_compare_row {
  char *benchmark, *metric, *unit;
  int higher_is_better;
  int primary; /* the benchmark's primary metric (latency when it has one, else its first):
                  the one that counts in the summary unless all_metrics */
  qb_compare_side base, head;
  double change_pct;                /* (head.centre / base.centre - 1) * 100 */
  double shift, shift_lo, shift_hi; /* Hodges-Lehmann shift head - base and its 95% CI */
  double p_value, p_adjusted;       /* raw and Benjamini-Hochberg adjusted; NAN without a test */
  const char *test;                 /* "mann-whitney-u", "welch-t" or "none" (static) */
  int exact;                        /* MWU p-value exact */
  /* the run-to-run noise of the baseline's series: since its last change point, or within each
   * segment of its last 30 runs when that is too short; shared across the compare's rows
   * (analysis/noise.h, docs/statistics.md) */
  int noise_known;    /* the estimate has the degrees of freedom of noise_runs runs of its
                         own (or more, borrowing from the other rows) */
  int history_runs;   /* baseline runs the estimate used */
  int noise_segments; /* 1: the current segment alone; more: it was too short, so the
                         differences within each of these segments of the last 30 runs (never
                         across a change point); 0: no estimate */
  int noise_borrowed; /* 1: too little history of its own; the noise is the one its family of
                         rows agrees on (their prior: qb_noise_prior) */
  double noise_sigma; /* run-to-run sd of log(centre), in percent, moderated with the other rows
                         of its family (qb_noise_moderate); NAN when not known */
  double noise_df;    /* its degrees of freedom (its own and those borrowed) */
  double noise_pct;   /* the band one new run stays within 95% of the time; NAN unknown */
  double noise_p;     /* the change tested against the noise: two-sided p; NAN unknown */
  double noise_p_adjusted; /* Benjamini-Hochberg across the rows of its family */
  double threshold_pct;    /* the change needed to count when nothing else changes: the
                              threshold, the noise band at alpha / rows, or noise_unknown */
  double min_change_pct;   /* the metric's own floor (min_change.METRIC: a change below it never
                              counts; it stands in for threshold and noise_unknown); 0: none */
  double alpha;
  int significant;  /* p_adjusted <= alpha (within the runs' own samples) */
  int beyond_noise; /* noise_p_adjusted <= alpha */
  qb_severity severity;
  qb_verdict verdict;
  const char *note;    /* a plain-words caveat (static), or NULL */
  int has_target;      /* a target (budget) applies to the head value */
  char target_op[3];   /* its operator: "<", "<=", ">", ">=" */
  double target_value; /* its value in unit */
  int target_met;      /* the head value keeps it; a broken target makes the row a regression
                          of at least major severity */
} qb_compare_row;

typedef struct qb_compare {
  qb_run_info base, head; /* base: the newest run of the baseline */
  qb_baseline baseline;   /* which runs and why */
  double alpha;           /* the default alpha (rows may have their own from settings) */
  double threshold;       /* the default threshold in percent */
  const char *correction; /* "benjamini-hochberg" */
  qb_compare_row *rows;
  size_t n_rows;
  size_t n_tests; /* rows with a p-value (the family BH corrects over) */
  /* summary */
  double geomean_change_pct; /* over rows of geomean_metric with both centres > 0 */
  const char *geomean_metric;
  /* the verdict: rows that count (primary metrics, or all with all_metrics) */
  size_t regressions, improvements, unchanged, added, removed;
  qb_severity worst_regression;
  size_t other_regressions, other_improvements; /* the same among rows that do not count */
  size_t noise_unknown; /* counted rows whose baseline had too little history */
  int all_metrics;
  qb_noise_prior prior[2]; /* the noise shared by the rows of each family: [1] the primary
                              metrics, [0] the others (analysis/noise.h) */
} qb_compare;

/* Compare run head_ref with its baseline (run references as in qb_store_resolve_run):
 * opts->base.base_ref when set, else the rule of service/baseline.h. Both must belong to the same
 * project and, unless opts->base.any_machine, the same machine (QB_EUSAGE); no baseline at all
 * is QB_ENOTFOUND with the reason; opts->metric missing from a run is QB_ENOTFOUND. Rows follow
 * the head run's order, then benchmarks only in the base run. */
int qb_compare_runs(qb_store *s, const char *head_ref, const qb_compare_opts *opts,
                    qb_compare **out, qb_err *err);
/* The same with an explicit base: run head_ref against base_ref (opts->base.base_ref ignored). */
int qb_compare_pair(qb_store *s, const char *base_ref, const char *head_ref,
                    const qb_compare_opts *opts, qb_compare **out, qb_err *err);
void qb_compare_free(qb_compare *c);

/* Reorder rows: "name" (alphabetical by benchmark, then metric), "change" (largest change first, by
 * magnitude) or "severity" (regressions first, worst first). QB_EUSAGE for another key. */
int qb_compare_sort(qb_compare *c, const char *key, qb_err *err);

#endif

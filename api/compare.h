/* api/compare.h - the comparison of two runs: the one service behind `qbdb compare` and (later)
 * GET /api/v1/compare, so that CLI and API can never disagree.
 *
 * Ownership: qb_compare_runs gives a qb_compare the caller frees with qb_compare_free(); every
 * string in it is owned by it. Statistics come from analysis/ (docs/statistics.md); the rules
 * for significance, noise and severity are in docs/cli/compare.md. */
#ifndef QB_API_COMPARE_H
#define QB_API_COMPARE_H

#include <stddef.h>
#include <stdint.h>

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
const char *qb_verdict_name(qb_verdict v);                 /* "unchanged", "regression", ... */

/* The settings of one comparison row (docs/cli/config.md). */
typedef struct qb_compare_settings {
  double alpha;     /* significance level for BH-adjusted p (default 0.05) */
  double threshold; /* noise threshold in percent (default 1) */
  double moderate;  /* severity boundaries in percent: minor below moderate (5), */
  double major;     /* moderate below major (10), major below critical (25) */
  double critical;
  double noise_runs; /* earlier runs needed for a run-to-run noise estimate (default 5) */
} qb_compare_settings;

/* Built-in defaults. */
void qb_compare_settings_default(qb_compare_settings *out);
/* Check a setting before it is stored: a known key and a value in its range (QB_EUSAGE). */
int qb_compare_setting_check(const char *key, double value, qb_err *err);
/* The settings for benchmark bench of project: defaults, overridden by the stored rows that
 * match (every-project rows first, then the project's; within each, the row without a glob
 * first, then matching globs from the shortest pattern to the longest, so the most specific
 * wins). */
void qb_compare_settings_for(const qb_setting *rows, size_t n, const char *project,
                             const char *bench, qb_compare_settings *out);

/* The severity band of a change of |pct| percent that counts (minor .. critical; the caller has
 * decided it is significant and above the threshold). */
qb_severity qb_severity_of(double pct, const qb_compare_settings *s);

typedef struct qb_compare_opts {
  const char *project;    /* resolve run references within this project (NULL: any) */
  const char *metric;     /* only this metric (NULL: every metric in either run) */
  const char *bench_glob; /* only benchmarks matching this fnmatch(3) glob (NULL: all) */
  double alpha;           /* overrides the settings when not NAN */
  double threshold;       /* percent; overrides the settings when not NAN */
  int history;            /* earlier runs read per series for the noise estimate (default 20) */
} qb_compare_opts;

#define QB_COMPARE_OPTS_INIT                                                                       \
  { NULL, NULL, NULL, NAN, NAN, 20 }

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
} qb_compare_side;

typedef struct qb_compare_row {
  char *benchmark, *metric, *unit;
  int higher_is_better;
  qb_compare_side base, head;
  double change_pct;                /* (head.centre / base.centre - 1) * 100 */
  double shift, shift_lo, shift_hi; /* Hodges-Lehmann shift head - base and its 95% CI */
  double p_value, p_adjusted;       /* raw and Benjamini-Hochberg adjusted; NAN without a test */
  const char *test;                 /* "mann-whitney-u", "welch-t" or "none" (static) */
  int exact;                        /* MWU p-value exact */
  double noise_pct;                 /* run-to-run noise band of the series, NAN without history */
  int history_runs;                 /* earlier runs the noise estimate used */
  double threshold_pct;             /* the change needed to count: max(threshold, noise band) */
  double alpha;
  int significant; /* p_adjusted <= alpha */
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
  qb_run_info base, head;
  double alpha;           /* the default alpha (rows may have their own from settings) */
  double threshold;       /* the default threshold in percent */
  const char *correction; /* "benjamini-hochberg" */
  qb_compare_row *rows;
  size_t n_rows;
  size_t n_tests; /* rows with a p-value (the family BH corrects over) */
  /* summary */
  double geomean_change_pct; /* over rows of geomean_metric with both centres > 0 */
  const char *geomean_metric;
  size_t regressions, improvements, unchanged, added, removed;
  qb_severity worst_regression;
} qb_compare;

/* Compare run base_ref with run head_ref (run references as in qb_store_resolve_run). Both runs
 * must belong to the same project (QB_EUSAGE); opts->metric missing from a run is
 * QB_ENOTFOUND. Rows follow the head run's order, then benchmarks only in the base run. */
int qb_compare_runs(qb_store *s, const char *base_ref, const char *head_ref,
                    const qb_compare_opts *opts, qb_compare **out, qb_err *err);
void qb_compare_free(qb_compare *c);

/* Reorder rows: "name" (alphabetical by benchmark, then metric), "change" (largest change first, by
 * magnitude) or "severity" (regressions first, worst first). QB_EUSAGE for another key. */
int qb_compare_sort(qb_compare *c, const char *key, qb_err *err);

/* Output formats of a comparison. */
typedef enum qb_compare_format {
  QB_CMP_TEXT,
  QB_CMP_JSON,
  QB_CMP_MARKDOWN,
  QB_CMP_CSV
} qb_compare_format;

int qb_compare_format_parse(const char *name, qb_compare_format *out); /* 0 or QB_EUSAGE */

/* Render c into out. only_changed keeps rows whose verdict is not "unchanged"; color adds ANSI
 * colours to text (regressions red, improvements green). */
int qb_compare_render(const qb_compare *c, qb_compare_format fmt, int only_changed, int color,
                      qb_buf *out, qb_err *err);

#endif

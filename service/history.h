/* service/history.h - services over the history of series, shared by the CLI and the HTTP API, one
 * file each: change-point detection into regression records (service/detect.c), trends
 * (trend.c), targets (targets.c), grades (grade.c), scaling (scaling.c) and tag comparisons
 * (configs.c).
 *
 * Ownership: every `**out` result is the caller's, freed with the matching *_free(). */
#ifndef QB_SERVICE_HISTORY_H
#define QB_SERVICE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/changepoint.h"
#include "analysis/interval.h"
#include "analysis/trend.h"
#include "service/compare.h"
#include "core/err.h"
#include "schema/store.h"

/* ---- change points and regressions ---- */

typedef struct qb_detect_opts {
  qb_series_filter filter;    /* which series (run_id: only the series of that run) */
  qb_cp_opts cp;              /* detection parameters: each series' project settings (window,
                                 max_p, min_change: qb_cp_opts_from_settings), but for the fields
                                 named in cp_given, taken from here */
  int incremental;            /* 1: a series whose stored change points cover a prefix of it (its
                                 detection marker matches, with the same options) is updated from
                                 them instead of being re-analysed in full, and skipped when it has
                                 no new point */
  int cp_given;               /* QB_CP_WINDOW | QB_CP_MAX_P | QB_CP_MIN_CHANGE: fields of cp that
                                 override the settings (0: none) */
  int dry_run;                /* 1: analyse and count, store nothing */
  struct qb_run_cache *cache; /* the server's (service/run_cache.h): the ends of series kept between
                                 detections, so an update reads only the new points (NULL: none) */
  /* called with each change this detection stored for the first time (after its commit), so
   * that exactly one of several servers announces it (NULL: not told) */
  void (*on_new)(void *ctx, int64_t series_id, int64_t run_id);
  void *on_new_ctx;
} qb_detect_opts;

#define QB_DETECT_OPTS_INIT                                                                        \
  { QB_SERIES_FILTER_INIT, QB_CP_OPTS_INIT, 0, 0, 0, NULL, NULL, NULL }

enum { QB_CP_WINDOW = 1, QB_CP_MAX_P = 2, QB_CP_MIN_CHANGE = 4 };

/* The detection options of a series of project with benchmark bench and metric metric (NULL:
 * no per-metric floor): its settings, min_change at least the metric's min_change.METRIC. */
void qb_detect_opts_for(const qb_setting *settings, size_t n, const char *project,
                        const char *bench, const char *metric, qb_cp_opts *out);

typedef struct qb_detect_result {
  size_t series;       /* series analysed */
  size_t points;       /* points read (an incremental update of a long series reads its end) */
  size_t changes;      /* change points found */
  size_t regressions;  /* of which in the worse direction with a severity above none */
  size_t improvements; /* of which in the better direction with a severity above none */
} qb_detect_result;

/* Detect the change points of every matching series and store them as regression or
 * improvement records (qb_store_regressions_replace, one transaction). Severity uses compare's
 * settings for the series' project and benchmark: `none` below the threshold. */
int qb_detect(qb_store *s, const qb_detect_opts *o, qb_detect_result *res, qb_err *err);

/* ---- trends ---- */

/* The current (last) segment of a series and its run-to-run noise band (docs/statistics.md,
 * "The noise band of a trend"). */
typedef struct qb_trend_segment {
  int present;         /* 0: no point of the segment has a positive value (the rest is unset) */
  size_t from;         /* index into points of its first point (the last change point, else 0) */
  size_t runs;         /* points of the segment with a positive value */
  double centre;       /* their median */
  int noise_known;     /* the noise estimate has the degrees of freedom of noise_runs runs, as a
                          compare's row needs (qb_compare_row.noise_known, without borrowing) */
  size_t history_runs; /* points the estimate used (as a compare row's history_runs) */
  double noise_pct;    /* the band a new run stays within 95% of the time around centre (the
                          prediction band of analysis/noise.h's model: qb_noise_band(0.05, runs));
                          NAN when the noise is not known */
  double low, high;    /* centre / (1 + noise_pct / 100) and centre * (1 + noise_pct / 100) */
} qb_trend_segment;

typedef struct qb_trend_report {
  qb_series_info series;
  qb_series_point *points;
  size_t n_points;
  qb_changepoint *changes; /* indices into points */
  size_t n_changes;
  qb_cp_drift *drifts; /* smooth drifts between the change points (qb_cp_drifts): points
                          [from, to) drift, indices into points */
  size_t n_drifts;
  qb_trend trend;           /* over the points after the last change */
  qb_interval *intervals;   /* one per point: its 95% interval (analysis/interval.h) */
  qb_trend_segment segment; /* the last segment's noise band */
  char **branches;          /* the branches having this benchmark and metric on this machine */
  size_t n_branches;
  char **machines; /* the machines having it on this branch */
  size_t n_machines;
  char *repo_url; /* the project's repo_url setting, NULL when unset */
} qb_trend_report;

/* The trend of benchmark bench's series (metric, branch, machine narrow it down; NULL: the only
 * one, else QB_EUSAGE listing the candidates), with its change points found with cp (NULL: the
 * project's detection settings, as detection on ingest uses them), each point's interval (from
 * its raw samples: qb_interval_of), the last segment's noise band, the branches and machines
 * that have the same benchmark and metric, and the project's repo_url. */
int qb_trend_series(qb_store *s, const char *project, const char *bench, const char *metric,
                    const char *branch, const char *machine, const qb_cp_opts *cp,
                    qb_trend_report **out, qb_err *err);
void qb_trend_report_free(qb_trend_report *r);

/* The repo_url setting of project (its own row; NULL when unset) from settings rows. */
const char *qb_settings_repo_url(const qb_setting *rows, size_t n, const char *project);
/* The same read from the store: *out is a copy the caller frees (NULL when unset). */
int qb_repo_url(qb_store *s, const char *project, char **out, qb_err *err);

/* ---- targets ---- */

/* Parse "2ms", "2 ms", "10000", "45.6MB/s" into a value in base unit (unit may be NULL for a
 * bare number, which is then taken in the metric's base unit). QB_EUSAGE when malformed. */
int qb_target_parse_value(const char *text, double *value, const char **base_unit, qb_err *err);

/* 1 when value satisfies "op target" (op one of <, <=, >, >=). */
int qb_target_holds(const char *op, double value, double target);

/* A target checked against one result. */
typedef struct qb_target_check {
  char *bench, *metric, *unit, *op;
  double target, value;
  int met;
  int64_t target_id;
} qb_target_check;

/* Check every target that applies to run run_id (its project's and every project's; matching
 * benchmark glob and metric, same base unit) against the run's centres. Free with
 * qb_target_checks_free(). */
int qb_targets_check(qb_store *s, int64_t run_id, qb_target_check **out, size_t *n, qb_err *err);
void qb_target_checks_free(qb_target_check *c, size_t n);

/* ---- after an ingest ---- */

typedef struct qb_after_ingest {
  qb_detect_result detect; /* incremental change-point detection over the run's series */
  qb_target_check *checks; /* every target that applies to the run (a broken one: met 0) */
  size_t n_checks;
  int64_t (*fresh)[2]; /* (series id, run id) of the changes this detection stored first */
  size_t n_fresh, fresh_cap;
} qb_after_ingest;

/* What happens after a run is stored: detect (incrementally) in its series and check targets.
 * Free the result's checks with qb_after_ingest_dispose(). */
int qb_after_ingest_run(qb_store *s, int64_t run_id, qb_after_ingest *out, qb_err *err);
/* The same with the server's cache of series ends (qb_detect_opts.cache; NULL: none). */
int qb_after_ingest_run_cached(qb_store *s, int64_t run_id, struct qb_run_cache *cache,
                               qb_after_ingest *out, qb_err *err);
void qb_after_ingest_dispose(qb_after_ingest *a);

/* ---- grades ---- */

typedef struct qb_grade_report {
  qb_run_info run;
  int64_t baseline_id; /* the run before it on its branch and machine (0: none) */
  qb_grade_input input;
  qb_grade grade;
} qb_grade_report;

int qb_grade_run(qb_store *s, const char *project, const char *ref, qb_grade_report **out,
                 qb_err *err);
/* The same for run id, reusing c when it is the compare of that run with its baseline (else, or
 * when c is NULL, the compare is made here) and the target checks of after when not NULL (the
 * history step that just ran on this run; else the checks are made here). */
int qb_grade_with(qb_store *s, int64_t id, const qb_compare *c, const qb_after_ingest *after,
                  qb_grade_report **out, qb_err *err);
void qb_grade_report_free(qb_grade_report *g);

/* ---- scaling ---- */

typedef struct qb_scaling_point {
  char *bench;       /* benchmark name */
  double param;      /* the numeric parameter */
  double value;      /* centre of the metric (base unit) */
  double efficiency; /* vs the previous point: (param ratio) / (value ratio) for time-like
                        metrics, (value ratio) / (param ratio) for rates; NAN for the first */
  double se;         /* standard error of value (base unit), NAN when the result has no spread */
  const char *noise; /* where se came from: "samples", "iqr", "stddev", "ci" or NULL (static) */
} qb_scaling_point;

typedef struct qb_scaling_report {
  qb_run_info run;
  char *family, *param_name, *metric, *unit;
  qb_scaling_point *points;
  size_t n_points;
  qb_scaling_wfit fit;       /* the weighted fit that decides (docs/statistics.md, Scaling) */
  qb_scaling_fit unweighted; /* the unweighted least-squares fit, for comparison */
} qb_scaling_report;

/* Fit the benchmarks of family (a group name, or a name prefix such as "sort/") in run ref
 * (NULL: the newest run having them) that differ by one numeric parameter. */
int qb_scaling_family(qb_store *s, const char *project, const char *family, const char *ref,
                      const char *metric, qb_scaling_report **out, qb_err *err);
void qb_scaling_report_free(qb_scaling_report *r);

/* ---- configurations (tags) ---- */

typedef struct qb_config_row {
  char *bench, *metric, *unit;
  int higher_is_better;
  size_t n_values;                /* distinct values of the tag seen for this benchmark */
  char *best, *worst;             /* tag values */
  double best_value, worst_value; /* median over that tag value's runs of the run centres */
  size_t best_runs, worst_runs;
} qb_config_row;

/* For every benchmark and metric of project's runs that carry tag, the tag values with the
 * best and the worst median centre (direction-aware). Free with qb_config_rows_free(). */
int qb_configs_by_tag(qb_store *s, const char *project, const char *tag, qb_config_row **out,
                      size_t *n, qb_err *err);
void qb_config_rows_free(qb_config_row *rows, size_t n);

#endif

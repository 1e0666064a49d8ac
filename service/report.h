/* service/report.h - the nightly regression report (`qbdb report`, docs/cli/report.md): one service
 * gathers what is new since the last recorded report (or in a window) from the history services
 * (regressions, trends, grades, targets, scaling, configurations) into a qb_report, and one
 * renderer turns it into markdown, self-contained HTML (inline CSS and SVG charts) or JSON (the
 * contract; the other two show the same struct).
 *
 * Ownership: qb_report_build gives a qb_report the caller frees with qb_report_free(); every
 * string and array in it belongs to it. Options are borrowed for the call. Renderers append to
 * a caller-owned qb_buf; qb_report_json returns a new jansson reference. */
#ifndef QB_SERVICE_REPORT_H
#define QB_SERVICE_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "service/history.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "schema/store.h"

/* Which changes count as new. */
typedef enum qb_report_window {
  QB_REPORT_SINCE_LAST = 0, /* not listed by an earlier recorded report of the same scope */
  QB_REPORT_SINCE,          /* detected at or after opts.since */
  QB_REPORT_RANGE           /* first bad run after run `from` and at or before run `to` */
} qb_report_window;

typedef struct qb_report_opts {
  const char *project;  /* NULL: every project */
  int64_t since;        /* QB_TIME_NONE: not given; else the window starts here */
  const char *from_ref; /* run references of a range (NULL: not given; either may be alone) */
  const char *to_ref;
  int64_t now;         /* the report's time; QB_TIME_NONE: the clock */
  size_t chart_points; /* points in each change's chart (default 40) */
  size_t top;          /* entries in the trend, configuration and scaling lists (default 10) */
  double noisy_pct;    /* a series whose noise (MAD/median) exceeds this is noisy (default 5) */
  int targets_runs;    /* recent runs of a series checked against its targets (default 5) */
} qb_report_opts;

#define QB_REPORT_OPTS_INIT                                                                        \
  { NULL, QB_TIME_NONE, NULL, NULL, QB_TIME_NONE, 40, 10, 5.0, 5 }

/* One change (a regression or improvement record) with a small chart of its series. */
typedef struct qb_report_change {
  qb_regression reg;    /* the record, its series and commits */
  int64_t *chart_runs;  /* the run ids of the chart's points */
  double *chart_values; /* their values (base unit) */
  size_t n_chart;
  size_t chart_change; /* index of reg.run_id among them; (size_t)-1 when not among them */
  double age_days;     /* days since it was detected (at the report's time) */
} qb_report_change;

/* The grade of the newest run of a project, branch and machine. */
typedef struct qb_report_grade {
  char *project, *branch, *machine, *commit;
  int64_t run_id, baseline_id; /* baseline_id 0: no earlier run */
  qb_grade_input input;
  qb_grade grade;
  size_t targets_broken; /* targets the run breaks */
} qb_report_grade;

/* A target broken by the newest run of a project, branch and machine. */
typedef struct qb_report_target {
  char *project, *branch, *machine, *bench, *metric, *unit, *op, *commit;
  int64_t run_id, target_id;
  double target, value;
  int broken_runs, checked_runs; /* of the last checked_runs runs, how many broke it */
} qb_report_target;

/* The trend of one series. */
typedef struct qb_report_trend {
  qb_series_info series;
  qb_trend trend;
  size_t n_points;
  double drift_pct;      /* slope_pct_per_run * (n - 1): how far the last segment moved */
  double volatility_pct; /* max(noise, mean-absolute-deviation noise): what the trend rule calls
                            volatile above 10% (docs/statistics.md, Trends) */
} qb_report_trend;

/* The complexity fit of a benchmark family in the newest run and the run before it. */
typedef struct qb_report_scaling {
  char *project, *branch, *machine, *family, *param, *metric, *unit;
  int64_t run_id, baseline_id; /* baseline_id 0: no earlier run has the family */
  qb_complexity best, baseline_best;
  qb_complexity runner_up; /* the next model by AIC in the newest run */
  int distinguishable;     /* 0: the runner-up is not distinguishable from best (AIC < 2) */
  double rms, baseline_rms;
  size_t n_points;
  double *params;              /* the parameter values, ascending */
  double *efficiency;          /* per step (NAN for the first point) */
  double *baseline_efficiency; /* the baseline's for the same step (NAN: not there) */
  int complexity_changed;      /* best != baseline_best */
  int efficiency_dropped;      /* a step's efficiency fell below 0.9 x the baseline's */
  size_t worst_step;           /* the step whose efficiency fell most (index into params) */
} qb_report_scaling;

/* Best and worst configurations by one tag of a project. */
typedef struct qb_report_config {
  char *project, *tag;
  qb_config_row *rows; /* the rows with the largest spread first, at most opts.top */
  size_t n_rows;
} qb_report_config;

/* A recommendation written from the data. */
typedef struct qb_report_rec {
  const char *kind; /* "same-range", "target", "scaling", "volatile", "noisy", "drift",
                       "stale" (static; docs/cli/report.md) */
  char *text;       /* one short line naming benchmarks, commits, numbers */
} qb_report_rec;

typedef struct qb_report {
  int64_t id;               /* the recorded report's id; 0 while not recorded */
  char *project;            /* NULL: every project */
  qb_report_window window;  /* how "new" was decided */
  int64_t created_at;       /* the report's time */
  int64_t since;            /* window start: previous report, --since, or the FROM run's time
                               (QB_TIME_NONE: from the beginning) */
  int64_t until;            /* window end: created_at, or the TO run's time */
  int64_t previous_id;      /* QB_REPORT_SINCE_LAST: the report this one follows (0: none) */
  int64_t from_run, to_run; /* QB_REPORT_RANGE: the runs (0: not given) */
  char *from_commit, *to_commit;

  qb_report_grade *grades; /* per project, branch and machine */
  size_t n_grades;
  size_t new_by_severity[5];  /* new regressions by severity ([1] minor .. [4] critical) */
  size_t open_by_severity[5]; /* still-open ones (not new) by severity */
  size_t targets_broken;      /* broken target checks over the newest runs */

  qb_report_change *new_regressions; /* worst first */
  size_t n_new_regressions;
  qb_report_change *new_improvements; /* largest first */
  size_t n_new_improvements;
  qb_report_change *open_regressions; /* oldest first */
  size_t n_open_regressions;
  qb_report_target *broken; /* most often broken first */
  size_t n_broken;

  size_t n_series;            /* series whose trend was computed */
  size_t trend_counts[4];     /* by qb_trend_direction */
  qb_report_trend *degrading; /* the most degrading first, at most opts.top */
  size_t n_degrading;
  qb_report_trend *volatile_series; /* the noisiest first, at most opts.top */
  size_t n_volatile;
  qb_report_trend *noisy; /* noise above opts.noisy_pct (not volatile), noisiest first */
  size_t n_noisy;
  double noisy_pct;

  qb_report_scaling *scaling;
  size_t n_scaling;
  qb_report_config *configs;
  size_t n_configs;
  qb_report_rec *recs;
  size_t n_recs;
} qb_report;

/* Build the report: QB_REPORT_RANGE when from_ref or to_ref is given (QB_EUSAGE together with
 * since, or for runs of different projects), QB_REPORT_SINCE when since is given, else
 * QB_REPORT_SINCE_LAST. Nothing is written: record it with qb_report_save. QB_ENOTFOUND for an
 * unknown project or run. */
int qb_report_build(qb_store *s, const qb_report_opts *o, qb_report **out, qb_err *err);

/* Record r (only a QB_REPORT_SINCE_LAST report; QB_EUSAGE otherwise) with the changes it lists
 * as new, so the next report of the same scope leaves them out; sets r->id. format is kept for
 * the record (may be NULL). Call between qb_store_begin/commit to make it atomic with the
 * caller's output. */
int qb_report_save(qb_store *s, qb_report *r, const char *format, qb_err *err);

void qb_report_free(qb_report *r);

#endif

/* service/dashboard.h - a project's landing view (GET /api/v1/dashboard, docs/api/README.md):
 * one branch's newest runs with their grades, its open regressions by severity, and the newest
 * points of every series of the branch for sparklines, each series with its family and
 * parameters (service/family.h), its stored change points and its worst open regression.
 *
 * Ownership: qb_dashboard_build gives a report the caller frees with qb_dashboard_free(); it owns
 * every string and array it points to (the series' family split borrows the series' own name). */
#ifndef QB_SERVICE_DASHBOARD_H
#define QB_SERVICE_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "schema/store.h"
#include "service/compare.h"
#include "service/family.h"
#include "service/history.h"
#include "service/regression_bisects.h"

/* Sparkline lengths: the default and the range (the `points` argument). */
enum { QB_DASHBOARD_POINTS = 60, QB_DASHBOARD_POINTS_MIN = 2, QB_DASHBOARD_POINTS_MAX = 500 };
/* What the lists hold at most: graded runs, newest runs, newest open regressions. */
enum { QB_DASHBOARD_GRADES = 30, QB_DASHBOARD_RUNS = 10, QB_DASHBOARD_REGRESSIONS = 10 };

typedef struct qb_dashboard_opts {
  const char *project;        /* required */
  const char *branch;         /* NULL: the project's default branch (below) */
  int points;                 /* newest points of each series, QB_DASHBOARD_POINTS_MIN..MAX */
  struct qb_run_cache *cache; /* the server's run cache for the grades' compares (NULL: none) */
} qb_dashboard_opts;

#define QB_DASHBOARD_OPTS_INIT                                                                     \
  { NULL, NULL, QB_DASHBOARD_POINTS, NULL }

/* One graded run of the branch. */
typedef struct qb_dashboard_grade {
  int64_t run_id;
  char *commit;   /* NULL when unknown */
  int64_t time;   /* commit time when known, else start time (series order) */
  char letter[3]; /* "A+" .. "D", "-" when no component applies (qb_grade) */
  double score;   /* 0..100; NAN when no component applies */
} qb_dashboard_grade;

/* One series of the branch (benchmark x metric x machine). */
typedef struct qb_dashboard_series {
  qb_series_info info;
  qb_bench_split split; /* info.bench's family and parameters */
  size_t n_total;       /* points in the whole series */
  int64_t *run_ids;     /* the newest points, oldest first (series order) */
  double *values;       /* their values (NAN: none) */
  size_t n_points;
  int64_t first_time, last_time; /* the times of the first and last of those points */
  int64_t *changes;              /* runs of the stored (active) change points among those points */
  size_t n_changes;
  double last_change_pct;    /* the newest stored change point's change (NAN: none) */
  qb_severity open_severity; /* worst open regression of the series (QB_SEV_NONE: none) */
} qb_dashboard_series;

typedef struct qb_dashboard {
  char *project, *branch;
  char *repo_url;    /* the project's repo_url setting, NULL when unset */
  int64_t n_runs;    /* runs on the branch */
  qb_run_info *runs; /* the newest runs of the branch, newest first (as GET /runs) */
  size_t n_runs_listed;
  qb_grade_report *grade;     /* the grade of runs[0] (NULL: no runs) */
  qb_dashboard_grade *grades; /* the newest graded runs in series order, oldest first */
  size_t n_grades;
  size_t open[5];        /* open regressions of the branch by severity (index QB_SEV_*) */
  qb_regression *newest; /* the newest open regressions, as GET /regressions lists them */
  size_t n_newest;
  qb_regression_bisects newest_bisects; /* their newest bisect sessions (as GET /regressions) */
  qb_dashboard_series *series;          /* by benchmark, metric, machine */
  size_t n_series;
} qb_dashboard;

/* The branch the dashboard shows when none is named: the project's default_branch setting (the
 * baseline rule's, qb_baseline_default_branch) when the project has runs on it, else "main" when
 * it has runs there, else the branch of the project's newest run. *out is a copy the caller
 * frees; QB_ENOTFOUND when the project has no runs. */
int qb_dashboard_default_branch(qb_store *s, const char *project, char **out, qb_err *err);

/* Build the dashboard of o->project's branch. QB_ENOTFOUND for a project without runs ("no
 * project 'p'") and for a branch without runs, naming the project's branches ("no branch 'x' in
 * project p (branches: dev, main)"); QB_EUSAGE for points out of range. */
int qb_dashboard_build(qb_store *s, const qb_dashboard_opts *o, qb_dashboard **out, qb_err *err);
void qb_dashboard_free(qb_dashboard *d);

#endif

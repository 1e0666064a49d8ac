/* service/dashboard.c - a project's landing view: one branch's runs, grades, open regressions and
 * the newest points of each of its series (service/dashboard.h). */
#include "service/dashboard.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "service/baseline.h"

/* The fallback base branch of the baseline rule (service/baseline.c). */
#define DEFAULT_BRANCH "main"

static void series_dispose(qb_dashboard_series *x) {
  qb_series_info_dispose(&x->info);
  free(x->run_ids);
  free(x->values);
  free(x->changes);
}

void qb_dashboard_free(qb_dashboard *d) {
  if (!d) return;
  free(d->project);
  free(d->branch);
  free(d->repo_url);
  qb_run_infos_free(d->runs, d->n_runs_listed);
  qb_grade_report_free(d->grade);
  for (size_t i = 0; i < d->n_grades; i++) free(d->grades[i].commit);
  free(d->grades);
  qb_regression_bisects_dispose(&d->newest_bisects);
  qb_regressions_free(d->newest, d->n_newest);
  for (size_t i = 0; i < d->n_series; i++) series_dispose(&d->series[i]);
  free(d->series);
  free(d);
}

/* *found: whether project has a run on branch. */
static int branch_has_runs(qb_store *s, const char *project, const char *branch, int *found,
                           qb_err *err) {
  qb_run_query q = QB_RUN_QUERY_INIT;
  int64_t *ids = NULL;
  size_t n = 0;
  q.project = project;
  q.branch = branch;
  q.limit = 1;
  int rc = qb_store_find_runs(s, &q, &ids, &n, err);
  free(ids);
  *found = !rc && n > 0;
  return rc;
}

/* The newest run of project (by start time, as GET /runs lists them) into *info (id 0: none). */
static int newest_run(qb_store *s, const char *project, qb_run_info *info, qb_err *err) {
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *runs = NULL;
  size_t n = 0;
  memset(info, 0, sizeof *info);
  f.project = project;
  f.limit = 1;
  int rc = qb_store_list_runs(s, &f, &runs, &n, err);
  if (!rc && n) {
    *info = runs[0];
    memset(&runs[0], 0, sizeof runs[0]); /* moved out */
  }
  qb_run_infos_free(runs, n);
  return rc;
}

int qb_dashboard_default_branch(qb_store *s, const char *project, char **out, qb_err *err) {
  char *dflt = NULL;
  int found = 0, rc;
  qb_run_info newest;
  *out = NULL;
  if ((rc = qb_baseline_default_branch(s, project, &dflt, err))) return rc;
  if (dflt && (rc = branch_has_runs(s, project, dflt, &found, err))) goto done;
  if (found) {
    *out = dflt;
    dflt = NULL;
    goto done;
  }
  if ((rc = branch_has_runs(s, project, DEFAULT_BRANCH, &found, err))) goto done;
  if (found) {
    if (!(*out = strdup(DEFAULT_BRANCH))) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = newest_run(s, project, &newest, err))) goto done;
  if (!newest.id)
    rc = qb_err_set(err, QB_ENOTFOUND, "no project '%s' (no runs)", project);
  else if (!(*out = strdup(newest.branch)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_run_info_dispose(&newest);
done:
  free(dflt);
  return rc;
}

/* The error for a branch without runs: the project's branches named (from its series, as the
 * run-reference grammar names them), or no project at all. */
static int no_branch(qb_store *s, const char *project, const char *branch, qb_err *err) {
  qb_run_info newest;
  int rc = newest_run(s, project, &newest, err);
  if (rc) return rc;
  int64_t id = newest.id;
  qb_run_info_dispose(&newest);
  if (!id) return qb_err_set(err, QB_ENOTFOUND, "no project '%s' (no runs)", project);
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *ser = NULL;
  size_t n = 0;
  f.project = project;
  if ((rc = qb_store_series_list(s, &f, &ser, &n, err))) return rc;
  char names[256] = "";
  size_t used = 0, k = 0;
  for (size_t i = 0; i < n && used < sizeof names; i++) {
    if (i && !strcmp(ser[i].branch, ser[i - 1].branch)) continue; /* ordered by branch */
    int w = snprintf(names + used, sizeof names - used, "%s%s", k++ ? ", " : "", ser[i].branch);
    if (w < 0 || (size_t)w + 4 >= sizeof names - used) { /* room left for "..." */
      snprintf(names + used, sizeof names - used, "%s...", k > 1 ? ", " : "");
      break;
    }
    used += (size_t)w;
  }
  qb_series_infos_free(ser, n);
  return qb_err_set(err, QB_ENOTFOUND, "no branch '%s' in project %s (%s%s)", branch, project,
                    k ? "branches: " : "no branches", names);
}

/* The project's repo_url setting (its own row beats the every-project row) into *out (NULL when
 * unset). */
static int repo_url(qb_store *s, const char *project, char **out, qb_err *err) {
  qb_setting *rows = NULL;
  size_t n = 0;
  int best = -1, rc = qb_store_settings(s, project, &rows, &n, err);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(rows[i].key, "repo_url") && rows[i].text && !*rows[i].bench_glob &&
        (best < 0 || *rows[i].project))
      best = (int)i;
  if (best >= 0 && !(*out = strdup(rows[best].text)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_settings_free(rows, n);
  return rc;
}

/* The grade of run id, its compare made with the run cache (the same answer as without, from
 * what the server keeps decoded); a run without a baseline is graded without one. */
static int grade_run(qb_store *s, int64_t id, struct qb_run_cache *cache, qb_grade_report **out,
                     qb_err *err) {
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  qb_compare *c = NULL;
  char ref[24];
  snprintf(ref, sizeof ref, "%lld", (long long)id);
  o.run_cache = cache;
  o.shifts_changed_only = 1; /* the grade reads verdicts, not shifts (as an upload's grade) */
  int rc = qb_compare_runs(s, ref, &o, &c, err);
  if (rc && rc != QB_ENOTFOUND) return rc;
  rc = qb_grade_with(s, id, c, NULL, out, err);
  qb_compare_free(c);
  return rc;
}

/* The grades of the newest QB_DASHBOARD_GRADES of ids (newest first in series order), oldest
 * first; and d->grade, of d->runs[0]. */
static int grades(qb_store *s, const int64_t *ids, size_t n_ids, struct qb_run_cache *cache,
                  qb_dashboard *d, qb_err *err) {
  size_t m = n_ids < QB_DASHBOARD_GRADES ? n_ids : QB_DASHBOARD_GRADES;
  int64_t latest = d->n_runs_listed ? d->runs[0].id : 0;
  int rc = QB_OK;
  if (m && !(d->grades = calloc(m, sizeof *d->grades)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t k = m; k-- > 0;) {
    qb_grade_report *g = NULL;
    if ((rc = grade_run(s, ids[k], cache, &g, err))) return rc;
    qb_dashboard_grade *x = &d->grades[d->n_grades++];
    x->run_id = ids[k];
    x->time = g->run.commit_time != QB_TIME_NONE ? g->run.commit_time : g->run.started_at;
    x->score = g->grade.score;
    memcpy(x->letter, g->grade.letter, sizeof x->letter);
    x->letter[sizeof x->letter - 1] = '\0';
    if (g->run.commit_sha && !(x->commit = strdup(g->run.commit_sha))) {
      qb_grade_report_free(g);
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    }
    if (ids[k] == latest && !d->grade)
      d->grade = g;
    else
      qb_grade_report_free(g);
  }
  if (latest && !d->grade) rc = grade_run(s, latest, cache, &d->grade, err);
  return rc;
}

static int cmp_series(const void *a, const void *b) {
  const qb_dashboard_series *x = a, *y = b;
  int c = strcmp(x->info.bench, y->info.bench);
  if (!c) c = strcmp(x->info.metric, y->info.metric);
  if (!c) c = strcmp(x->info.machine, y->info.machine);
  if (!c) c = (x->info.id > y->info.id) - (x->info.id < y->info.id);
  return c;
}

/* A series id and its index in d->series, for lookups by id. */
typedef struct by_id {
  int64_t id;
  size_t at;
} by_id;

static int cmp_by_id(const void *a, const void *b) {
  const by_id *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* The series of d with id (NULL when not the branch's). */
static qb_dashboard_series *series_of(qb_dashboard *d, const by_id *index, int64_t id) {
  by_id key = {id, 0};
  const by_id *hit = bsearch(&key, index, d->n_series, sizeof *index, cmp_by_id);
  return hit ? &d->series[hit->at] : NULL;
}

/* Fill each series' newest points from rows[0..n) (qb_store_series_recent: by series id, then
 * series order). */
static int take_points(qb_dashboard *d, const by_id *index, const qb_recent_point *rows, size_t n,
                       qb_err *err) {
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i; j < n && rows[j].series_id == rows[i].series_id;) j++;
    qb_dashboard_series *x = series_of(d, index, rows[i].series_id);
    if (!x) continue; /* a series stored after the list was read */
    size_t k = j - i;
    if (!(x->run_ids = malloc(k * sizeof *x->run_ids)) ||
        !(x->values = malloc(k * sizeof *x->values)))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    for (size_t p = 0; p < k; p++) {
      x->run_ids[p] = rows[i + p].run_id;
      x->values[p] = rows[i + p].value;
    }
    x->n_points = k;
    x->n_total = rows[i].total > 0 ? (size_t)rows[i].total : k;
    x->first_time = rows[i].time;
    x->last_time = rows[j - 1].time;
  }
  return QB_OK;
}

/* 1 when run is one of x's newest points. */
static int in_window(const qb_dashboard_series *x, int64_t run) {
  for (size_t i = 0; i < x->n_points; i++)
    if (x->run_ids[i] == run) return 1;
  return 0;
}

/* From the project's active change records (newest first): the branch's open regressions by
 * severity and the newest of them (moved into d->newest), each series' change points among its
 * newest points, its newest change and its worst open regression. */
static int take_changes(qb_dashboard *d, const by_id *index, qb_regression *regs, size_t n,
                        qb_err *err) {
  if (!(d->newest = calloc(QB_DASHBOARD_REGRESSIONS, sizeof *d->newest)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    qb_regression *r = &regs[i];
    qb_dashboard_series *x = series_of(d, index, r->series_id);
    if (!x) continue;                                                  /* another branch's */
    if (isnan(x->last_change_pct)) x->last_change_pct = r->change_pct; /* newest first */
    if (in_window(x, r->run_id)) {
      int64_t *c = realloc(x->changes, (x->n_changes + 1) * sizeof *c);
      if (!c) return qb_err_set(err, QB_ENOMEM, "out of memory");
      x->changes = c;
      x->changes[x->n_changes++] = r->run_id;
    }
    qb_severity sev = QB_SEV_NONE;
    /* an open regression as GET /regressions lists them: open, a regression, at least minor */
    if (!r->status || strcmp(r->status, "open") || !r->kind || strcmp(r->kind, "regression") ||
        !r->severity || qb_severity_parse(r->severity, &sev) || sev == QB_SEV_NONE)
      continue;
    d->open[sev]++;
    if (sev > x->open_severity) x->open_severity = sev;
    if (d->n_newest < QB_DASHBOARD_REGRESSIONS) {
      d->newest[d->n_newest++] = *r;
      memset(r, 0, sizeof *r); /* moved out */
    }
  }
  /* change points oldest first, as the points */
  for (size_t i = 0; i < d->n_series; i++) {
    qb_dashboard_series *x = &d->series[i];
    for (size_t a = 0, b = x->n_changes ? x->n_changes - 1 : 0; a < b; a++, b--) {
      int64_t t = x->changes[a];
      x->changes[a] = x->changes[b];
      x->changes[b] = t;
    }
  }
  return QB_OK;
}

/* The branch's series (sorted by benchmark, metric, machine) with their newest points and
 * changes: three statements whatever the number of series (the list, the newest points of every
 * series, the project's active change records). */
static int series(qb_store *s, const qb_dashboard_opts *o, qb_dashboard *d, qb_err *err) {
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *list = NULL;
  qb_recent_point *rows = NULL;
  qb_regression *regs = NULL;
  by_id *index = NULL;
  size_t n_list = 0, n_rows = 0, n_regs = 0;
  f.project = d->project;
  f.branch = d->branch;
  int rc = qb_store_series_list(s, &f, &list, &n_list, err);
  if (rc) return rc;
  if (n_list && (!(d->series = calloc(n_list, sizeof *d->series)) ||
                 !(index = malloc(n_list * sizeof *index)))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n_list; i++) {
    qb_dashboard_series *x = &d->series[d->n_series++];
    x->info = list[i];
    memset(&list[i], 0, sizeof list[i]); /* moved */
    x->first_time = x->last_time = QB_TIME_NONE;
    x->last_change_pct = NAN;
    x->open_severity = QB_SEV_NONE;
  }
  qsort(d->series, d->n_series, sizeof *d->series, cmp_series);
  for (size_t i = 0; i < d->n_series; i++) {
    qb_bench_family_split(d->series[i].info.bench, &d->series[i].split);
    index[i] = (by_id){d->series[i].info.id, i};
  }
  if (index) qsort(index, d->n_series, sizeof *index, cmp_by_id);
  qb_regression_filter rf = QB_REGRESSION_FILTER_INIT;
  rf.project = d->project;
  rf.active_only = 1;
  if ((rc = qb_store_series_recent(s, d->project, d->branch, (size_t)o->points, &rows, &n_rows,
                                   err)) ||
      (rc = take_points(d, index, rows, n_rows, err)) ||
      (rc = qb_store_regressions_list(s, &rf, &regs, &n_regs, err)) ||
      (rc = take_changes(d, index, regs, n_regs, err)))
    goto done;
done:
  qb_series_infos_free(list, n_list);
  free(rows);
  qb_regressions_free(regs, n_regs);
  free(index);
  return rc;
}

int qb_dashboard_build(qb_store *s, const qb_dashboard_opts *o, qb_dashboard **out, qb_err *err) {
  qb_dashboard *d = NULL;
  int64_t *ids = NULL;
  size_t n_ids = 0;
  int rc;
  *out = NULL;
  if (!o->project || !*o->project) return qb_err_set(err, QB_EUSAGE, "dashboard needs project");
  if (o->points < QB_DASHBOARD_POINTS_MIN || o->points > QB_DASHBOARD_POINTS_MAX)
    return qb_err_set(err, QB_EUSAGE, "points %d: expected %d to %d", o->points,
                      QB_DASHBOARD_POINTS_MIN, QB_DASHBOARD_POINTS_MAX);
  if (!(d = calloc(1, sizeof *d)) || !(d->project = strdup(o->project)) ||
      (o->branch && !(d->branch = strdup(o->branch)))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (!d->branch && (rc = qb_dashboard_default_branch(s, d->project, &d->branch, err))) goto done;
  /* the branch's runs in series order, newest first: their number and the graded ones */
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = d->project;
  q.branch = d->branch;
  q.limit = INT64_MAX;
  if ((rc = qb_store_find_runs(s, &q, &ids, &n_ids, err))) goto done;
  if (!n_ids) {
    rc = no_branch(s, d->project, d->branch, err);
    goto done;
  }
  d->n_runs = (int64_t)n_ids;
  qb_run_filter f = QB_RUN_FILTER_INIT;
  f.project = d->project;
  f.branch = d->branch;
  f.limit = QB_DASHBOARD_RUNS;
  if ((rc = qb_store_list_runs(s, &f, &d->runs, &d->n_runs_listed, err)) ||
      (rc = repo_url(s, d->project, &d->repo_url, err)) ||
      (rc = grades(s, ids, n_ids, o->cache, d, err)) || (rc = series(s, o, d, err)) ||
      (rc = qb_regression_bisects_find(s, d->newest, d->n_newest, &d->newest_bisects, err)))
    goto done;
  *out = d;
  d = NULL;
done:
  free(ids);
  qb_dashboard_free(d);
  return rc;
}

/* service/report.c - the nightly report: what is new since the last recorded report (or in a
 * window), gathered from the history services into one struct (docs/cli/report.md). */
#include "service/report.h"

#include "service/history_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"
#include "service/history_internal.h"
#include "core/time.h"
#include "core/units.h"

#define DAY_US     86400000000.0
#define STALE_DAYS 14.0 /* an open regression older than this is called stale */
#define RELOCATE   2    /* a change point may move by this many runs as later runs refine it */
#define EFF_DROP   0.9  /* a scaling step whose efficiency falls below this x the baseline's */
#define MAX_NAMES  5    /* benchmarks named in one recommendation */

/* ---- small helpers ----------------------------------------------------------------------------
 */

/* strdup that keeps NULL, flagging *oom when a copy fails. */
static char *dup_or(const char *s, int *oom) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) *oom = 1;
  return d;
}

/* A deep copy of a series info (the detection marker included). */
static qb_series_info series_copy(const qb_series_info *x, int *oom) {
  qb_series_info c = *x;
  c.project = dup_or(x->project, oom);
  c.branch = dup_or(x->branch, oom);
  c.machine = dup_or(x->machine, oom);
  c.bench = dup_or(x->bench, oom);
  c.metric = dup_or(x->metric, oom);
  c.unit = dup_or(x->unit, oom);
  c.analysed_opts = NULL; /* not needed by a report */
  return c;
}

/* Free the strings of a series info. */
static void series_dispose(qb_series_info *x) {
  free(x->project);
  free(x->branch);
  free(x->machine);
  free(x->bench);
  free(x->metric);
  free(x->unit);
}

/* Free what one change owns (the record's strings and the chart). */
static void change_dispose(qb_report_change *c) {
  qb_regression *r = &c->reg;
  free(r->kind);
  free(r->severity);
  free(r->status);
  free(r->note);
  free(r->triaged_by);
  free(r->commit_sha);
  free(r->prev_commit_sha);
  series_dispose(&r->series);
  free(c->chart_runs);
  free(c->chart_values);
}

/* Make room for one more element of elem bytes in *arr (n used, *cap allocated). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *arr = p;
  *cap = nc;
  return QB_OK;
}

/* qsort, except for fewer than two elements (where base may be NULL). */
static void sort_n(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (n > 1) qsort(base, n, size, cmp);
}

/* The severity rank of a record's severity name (0 when unknown). */
static int sev_rank(const char *name) {
  qb_severity s;
  return name && !qb_severity_parse(name, &s) ? (int)s : 0;
}

/* A run's place in series order: its commit time, else its start time. */
static int64_t run_time(const qb_run_info *info) {
  return info->commit_time != QB_TIME_NONE ? info->commit_time : info->started_at;
}

/* (t, id) <= (t2, id2) in series order. */
static int at_or_before(int64_t t, int64_t id, int64_t t2, int64_t id2) {
  return t < t2 || (t == t2 && id <= id2);
}

/* Append a recommendation (printf-style text). */
static int add_rec(qb_report *r, size_t *cap, const char *kind, qb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int add_rec(qb_report *r, size_t *cap, const char *kind, qb_err *err, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  int rc = grow((void **)&r->recs, cap, r->n_recs, sizeof *r->recs, err);
  if (rc) return rc;
  char *t = strdup(line);
  if (!t) return qb_err_set(err, QB_ENOMEM, "out of memory");
  r->recs[r->n_recs++] = (qb_report_rec){kind, t};
  return QB_OK;
}

/* A short commit for texts: the first 8 characters, or "?" when unknown. */
static const char *short_sha(const char *sha, char *buf, size_t n) {
  if (!sha || !*sha) return "?";
  snprintf(buf, n, "%.8s", sha);
  return buf;
}

/* ---- freeing -------------------------------------------------------------------------------- */

/* Free the trend entries of one list. */
static void trends_free(qb_report_trend *t, size_t n) {
  for (size_t i = 0; i < n; i++) series_dispose(&t[i].series);
  free(t);
}

/* Free a report and everything it owns (NULL is fine). */
void qb_report_free(qb_report *r) {
  if (!r) return;
  free(r->project);
  free(r->from_commit);
  free(r->to_commit);
  for (size_t i = 0; i < r->n_grades; i++) {
    qb_report_grade *g = &r->grades[i];
    free(g->project), free(g->branch), free(g->machine), free(g->commit);
  }
  free(r->grades);
  for (size_t i = 0; i < r->n_new_regressions; i++) change_dispose(&r->new_regressions[i]);
  free(r->new_regressions);
  for (size_t i = 0; i < r->n_new_improvements; i++) change_dispose(&r->new_improvements[i]);
  free(r->new_improvements);
  for (size_t i = 0; i < r->n_open_regressions; i++) change_dispose(&r->open_regressions[i]);
  free(r->open_regressions);
  for (size_t i = 0; i < r->n_broken; i++) {
    qb_report_target *t = &r->broken[i];
    free(t->project), free(t->branch), free(t->machine), free(t->bench), free(t->metric);
    free(t->unit), free(t->op), free(t->commit);
  }
  free(r->broken);
  trends_free(r->degrading, r->n_degrading);
  trends_free(r->volatile_series, r->n_volatile);
  trends_free(r->noisy, r->n_noisy);
  for (size_t i = 0; i < r->n_scaling; i++) {
    qb_report_scaling *x = &r->scaling[i];
    free(x->project), free(x->branch), free(x->machine), free(x->family), free(x->param);
    free(x->metric), free(x->unit), free(x->params), free(x->efficiency);
    free(x->baseline_efficiency);
  }
  free(r->scaling);
  for (size_t i = 0; i < r->n_configs; i++) {
    free(r->configs[i].project);
    free(r->configs[i].tag);
    qb_config_rows_free(r->configs[i].rows, r->configs[i].n_rows);
  }
  free(r->configs);
  for (size_t i = 0; i < r->n_recs; i++) free(r->recs[i].text);
  free(r->recs);
  free(r);
}

/* ---- the window ----------------------------------------------------------------------------- */

/* Resolve a run reference of the range into its id, time and commit; *project is set to the
 * run's project when still NULL (then owned by the caller), and must match it otherwise. */
static int range_run(qb_store *s, const char *ref, char **project, int64_t *id, int64_t *t,
                     char **commit, qb_err *err) {
  qb_run_info info;
  int rc = qb_store_resolve_run(s, *project, ref, id, err);
  if (rc) return rc;
  if ((rc = qb_store_load_run(s, *id, 0, &info, NULL, err))) return rc;
  if (!*project) {
    *project = info.project;
    info.project = NULL;
  } else if (strcmp(*project, info.project) != 0) {
    rc = qb_err_set(err, QB_EUSAGE, "report: run %s is in project %s, not %s", ref, info.project,
                    *project);
  }
  *t = run_time(&info);
  if (!rc && info.commit_sha && !(*commit = strdup(info.commit_sha)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_run_info_dispose(&info);
  return rc;
}

/* ---- changes -------------------------------------------------------------------------------- */

/* The points of one series, loaded once per report (changes of the same series share them). */
typedef struct points_cache {
  int64_t series_id;
  qb_series_point *pts;
  size_t n;
} points_cache;

/* The points of series id (from the cache when it holds them). */
static int cached_points(qb_store *s, points_cache *c, int64_t id, qb_err *err) {
  if (c->pts && c->series_id == id) return QB_OK;
  qb_series_points_free(c->pts, c->n);
  c->pts = NULL;
  c->n = 0;
  int rc = qb_store_series_points(s, id, &c->pts, &c->n, err);
  if (!rc) c->series_id = id;
  return rc;
}

/* The index of run among the points (n when not there). */
static size_t point_of(const qb_series_point *pts, size_t n, int64_t run) {
  for (size_t i = 0; i < n; i++)
    if (pts[i].run_id == run) return i;
  return n;
}

/* The chart of a change: at most want finite points of its series around its first bad run
 * (ending with the newest point when the change is recent). */
static int make_chart(const qb_series_point *pts, size_t n, size_t want, qb_report_change *c,
                      qb_err *err) {
  size_t m = 0, at = (size_t)-1;
  for (size_t i = 0; i < n; i++)
    if (isfinite(pts[i].value)) {
      if (pts[i].run_id == c->reg.run_id) at = m;
      m++;
    }
  size_t start = 0;
  if (at != (size_t)-1 && at > want / 2) start = at - want / 2;
  if (start + want > m) start = m > want ? m - want : 0;
  size_t len = m - start < want ? m - start : want;
  c->chart_change = (size_t)-1;
  c->n_chart = 0;
  if (!len) return QB_OK;
  if (!(c->chart_runs = malloc(len * sizeof *c->chart_runs)) ||
      !(c->chart_values = malloc(len * sizeof *c->chart_values)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0, k = 0; i < n && c->n_chart < len; i++) {
    if (!isfinite(pts[i].value)) continue;
    if (k++ < start) continue;
    if (pts[i].run_id == c->reg.run_id) c->chart_change = c->n_chart;
    c->chart_runs[c->n_chart] = pts[i].run_id;
    c->chart_values[c->n_chart++] = pts[i].value;
  }
  return QB_OK;
}

/* 1 when record g is a change an earlier report of the scope already listed: the same record,
 * or one of the same series and kind whose first bad run is within RELOCATE points of it (a
 * change point refined by later runs). */
static int already_listed(qb_store *s, points_cache *pc, const qb_regression *g,
                          const qb_report_item *items, size_t n_items, int *listed, qb_err *err) {
  *listed = 0;
  size_t pos = (size_t)-1;
  for (size_t i = 0; i < n_items; i++) {
    const qb_report_item *it = &items[i];
    if (it->regression_id == g->id ||
        (it->series_id == g->series_id && it->run_id == g->run_id && !strcmp(it->kind, g->kind))) {
      *listed = 1;
      return QB_OK;
    }
  }
  for (size_t i = 0; i < n_items; i++) {
    const qb_report_item *it = &items[i];
    if (it->series_id != g->series_id || strcmp(it->kind, g->kind) != 0) continue;
    int rc = cached_points(s, pc, g->series_id, err);
    if (rc) return rc;
    if (pos == (size_t)-1) pos = point_of(pc->pts, pc->n, g->run_id);
    size_t p2 = point_of(pc->pts, pc->n, it->run_id);
    if (pos >= pc->n || p2 >= pc->n) continue;
    if ((pos > p2 ? pos - p2 : p2 - pos) <= RELOCATE) {
      *listed = 1;
      return QB_OK;
    }
  }
  return QB_OK;
}

/* Worst first: severity, then the size of the change, then the newest record. */
static int cmp_worst(const void *a, const void *b) {
  const qb_regression *x = &((const qb_report_change *)a)->reg;
  const qb_regression *y = &((const qb_report_change *)b)->reg;
  int sx = sev_rank(x->severity), sy = sev_rank(y->severity);
  if (sx != sy) return sy - sx;
  double cx = fabs(x->change_pct), cy = fabs(y->change_pct);
  if (cx != cy) return cx < cy ? 1 : -1;
  return (y->id > x->id) - (y->id < x->id);
}

/* Oldest first: detection time, then the first bad run's time, then id. */
static int cmp_oldest(const void *a, const void *b) {
  const qb_regression *x = &((const qb_report_change *)a)->reg;
  const qb_regression *y = &((const qb_report_change *)b)->reg;
  if (x->detected_at != y->detected_at) return x->detected_at < y->detected_at ? -1 : 1;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* Sort the stored changes into new regressions, new improvements and still-open regressions. */
static int gather_changes(qb_store *s, const qb_report_opts *o, qb_report *r,
                          const qb_report_item *items, size_t n_items, int64_t from_t, int64_t to_t,
                          qb_err *err) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs = NULL;
  size_t n = 0, cap_new = 0, cap_imp = 0, cap_open = 0;
  points_cache pc = {0, NULL, 0};
  f.project = r->project;
  f.min_severity = 1;
  f.active_only = 1;
  int rc = qb_store_regressions_list(s, &f, &regs, &n, err);
  if (rc) return rc;
  for (size_t i = 0; i < n && !rc; i++) {
    qb_regression *g = &regs[i];
    int improvement = !strcmp(g->kind, "improvement");
    if (!strcmp(g->status, "invalid") || !strcmp(g->status, "fixed")) continue;
    int is_new = 0;
    switch (r->window) {
      case QB_REPORT_SINCE_LAST:
        if ((rc = already_listed(s, &pc, g, items, n_items, &is_new, err))) goto done;
        is_new = !is_new;
        break;
      case QB_REPORT_SINCE:
        is_new = g->detected_at != QB_TIME_NONE && g->detected_at >= r->since;
        break;
      case QB_REPORT_RANGE:
        is_new = (!r->from_run || !at_or_before(g->time, g->run_id, from_t, r->from_run)) &&
                 (!r->to_run || at_or_before(g->time, g->run_id, to_t, r->to_run));
        break;
    }
    qb_report_change *c;
    if (is_new && improvement) {
      if ((rc = grow((void **)&r->new_improvements, &cap_imp, r->n_new_improvements, sizeof *c,
                     err)))
        goto done;
      c = &r->new_improvements[r->n_new_improvements++];
    } else if (is_new) {
      if ((rc = grow((void **)&r->new_regressions, &cap_new, r->n_new_regressions, sizeof *c, err)))
        goto done;
      c = &r->new_regressions[r->n_new_regressions++];
    } else if (!improvement && !strcmp(g->status, "open")) {
      if ((rc = grow((void **)&r->open_regressions, &cap_open, r->n_open_regressions, sizeof *c,
                     err)))
        goto done;
      c = &r->open_regressions[r->n_open_regressions++];
    } else {
      continue;
    }
    memset(c, 0, sizeof *c);
    c->reg = *g; /* moved: the list no longer owns its strings */
    memset(g, 0, sizeof *g);
    c->chart_change = (size_t)-1;
    c->age_days = c->reg.detected_at == QB_TIME_NONE
                      ? NAN
                      : (double)(r->created_at - c->reg.detected_at) / DAY_US;
    if (is_new) {
      if ((rc = cached_points(s, &pc, c->reg.series_id, err)) ||
          (rc = make_chart(pc.pts, pc.n, o->chart_points, c, err)))
        goto done;
      if (!improvement) r->new_by_severity[sev_rank(c->reg.severity)]++;
    } else {
      r->open_by_severity[sev_rank(c->reg.severity)]++;
    }
  }
  sort_n(r->new_regressions, r->n_new_regressions, sizeof *r->new_regressions, cmp_worst);
  sort_n(r->new_improvements, r->n_new_improvements, sizeof *r->new_improvements, cmp_worst);
  sort_n(r->open_regressions, r->n_open_regressions, sizeof *r->open_regressions, cmp_oldest);
done:
  qb_series_points_free(pc.pts, pc.n);
  qb_regressions_free(regs, n);
  return rc;
}

/* ---- grades and targets per project, branch and machine ------------------------------------- */

/* A project, branch and machine (from the series list). */
typedef struct group {
  const char *project, *branch, *machine;
} group;

/* The distinct projects, branches and machines of the series (sorted, so consecutive). */
static int groups_of(const qb_series_info *series, size_t n, group **out, size_t *n_out,
                     qb_err *err) {
  size_t cap = 0;
  *out = NULL;
  *n_out = 0;
  for (size_t i = 0; i < n; i++) {
    const qb_series_info *x = &series[i];
    if (*n_out) {
      const group *l = &(*out)[*n_out - 1];
      if (!strcmp(l->project, x->project) && !strcmp(l->branch, x->branch) &&
          !strcmp(l->machine, x->machine))
        continue;
    }
    int rc = grow((void **)out, &cap, *n_out, sizeof **out, err);
    if (rc) return rc;
    (*out)[(*n_out)++] = (group){x->project, x->branch, x->machine};
  }
  return QB_OK;
}

/* The most recent runs of a group (newest first; in a range, those at or before its end). At
 * most limit of them; *out holds their infos, to be freed with qb_run_infos_free. */
static int group_runs(qb_store *s, const qb_report *r, const group *gr, int64_t to_t, int limit,
                      qb_run_info **out, size_t *n_out, qb_err *err) {
  qb_run_filter f = QB_RUN_FILTER_INIT;
  f.project = gr->project;
  f.branch = gr->branch;
  f.machine = gr->machine;
  f.limit = r->to_run ? 0 : limit;
  int rc = qb_store_list_runs(s, &f, out, n_out, err);
  if (rc || !r->to_run) return rc;
  size_t k = 0;
  for (size_t i = 0; i < *n_out; i++) {
    if ((int)k < limit && at_or_before(run_time(&(*out)[i]), (*out)[i].id, to_t, r->to_run)) {
      qb_run_info t = (*out)[k];
      (*out)[k++] = (*out)[i];
      (*out)[i] = t;
    }
  }
  for (size_t i = k; i < *n_out; i++) qb_run_info_dispose(&(*out)[i]);
  *n_out = k;
  return QB_OK;
}

/* Most often broken first, then by project, benchmark and metric. */
static int cmp_broken(const void *a, const void *b) {
  const qb_report_target *x = a, *y = b;
  if (x->broken_runs != y->broken_runs) return y->broken_runs - x->broken_runs;
  int c = strcmp(x->project, y->project);
  if (!c) c = strcmp(x->bench, y->bench);
  if (!c) c = strcmp(x->metric, y->metric);
  return c;
}

/* The grade of each group's newest run, the targets it breaks and how often the recent runs
 * broke them. */
static int gather_grades(qb_store *s, const qb_report_opts *o, qb_report *r, const group *groups,
                         size_t n_groups, int64_t to_t, qb_err *err) {
  size_t cap_broken = 0;
  int rc = QB_OK, oom = 0;
  if (n_groups && !(r->grades = calloc(n_groups, sizeof *r->grades)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t gi = 0; gi < n_groups && !rc; gi++) {
    qb_run_info *runs = NULL;
    size_t n_runs = 0;
    qb_grade_report *g = NULL;
    qb_target_check **checks = NULL;
    size_t *n_checks = NULL;
    if ((rc = group_runs(s, r, &groups[gi], to_t, o->targets_runs, &runs, &n_runs, err)) || !n_runs)
      goto next;
    if ((rc = qb_grade_with(s, runs[0].id, NULL, NULL, &g, err))) goto next;
    qb_report_grade *rg = &r->grades[r->n_grades++];
    rg->project = dup_or(groups[gi].project, &oom);
    rg->branch = dup_or(groups[gi].branch, &oom);
    rg->machine = dup_or(groups[gi].machine, &oom);
    rg->commit = dup_or(runs[0].commit_sha, &oom);
    rg->run_id = runs[0].id;
    rg->baseline_id = g->baseline_id;
    rg->input = g->input;
    rg->grade = g->grade;
    /* targets: the newest run's broken ones, counted over the recent runs */
    if (!(checks = calloc(n_runs, sizeof *checks)) ||
        !(n_checks = calloc(n_runs, sizeof *n_checks))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto next;
    }
    for (size_t k = 0; k < n_runs && !rc; k++)
      rc = qb_targets_check(s, runs[k].id, &checks[k], &n_checks[k], err);
    if (rc) goto next;
    for (size_t t = 0; t < n_checks[0] && !rc; t++) {
      const qb_target_check *c = &checks[0][t];
      if (c->met) continue;
      rg->targets_broken++;
      r->targets_broken++;
      if ((rc = grow((void **)&r->broken, &cap_broken, r->n_broken, sizeof *r->broken, err))) break;
      qb_report_target *b = &r->broken[r->n_broken++];
      memset(b, 0, sizeof *b);
      b->project = dup_or(groups[gi].project, &oom);
      b->branch = dup_or(groups[gi].branch, &oom);
      b->machine = dup_or(groups[gi].machine, &oom);
      b->bench = dup_or(c->bench, &oom);
      b->metric = dup_or(c->metric, &oom);
      b->unit = dup_or(c->unit, &oom);
      b->op = dup_or(c->op, &oom);
      b->commit = dup_or(runs[0].commit_sha, &oom);
      b->run_id = runs[0].id;
      b->target_id = c->target_id;
      b->target = c->target;
      b->value = c->value;
      for (size_t k = 0; k < n_runs; k++) {
        for (size_t j = 0; j < n_checks[k]; j++) {
          const qb_target_check *d = &checks[k][j];
          if (d->target_id == c->target_id && !strcmp(d->bench, c->bench) &&
              !strcmp(d->metric, c->metric)) {
            b->checked_runs++;
            b->broken_runs += !d->met;
            break;
          }
        }
      }
    }
  next:
    for (size_t k = 0; checks && k < n_runs; k++) qb_target_checks_free(checks[k], n_checks[k]);
    free(checks);
    free(n_checks);
    qb_grade_report_free(g);
    qb_run_infos_free(runs, n_runs);
  }
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (!rc) sort_n(r->broken, r->n_broken, sizeof *r->broken, cmp_broken);
  return rc;
}

/* ---- trends --------------------------------------------------------------------------------- */

/* The most degrading first: the largest drift. */
static int cmp_drift(const void *a, const void *b) {
  double x = fabs(((const qb_report_trend *)a)->drift_pct);
  double y = fabs(((const qb_report_trend *)b)->drift_pct);
  return (x < y) - (x > y);
}

/* The noisiest first (by the volatility of the trend rule). */
static int cmp_noise(const void *a, const void *b) {
  double x = ((const qb_report_trend *)a)->volatility_pct;
  double y = ((const qb_report_trend *)b)->volatility_pct;
  if (isnan(x)) x = -1;
  if (isnan(y)) y = -1;
  return (x < y) - (x > y);
}

/* The volatility of the segment a trend analysed, V = max(sigma, w) of the trend rule: w is
 * sqrt(pi/2) times the mean absolute deviation of the detrended residuals, in % of the
 * segment's median (docs/statistics.md, Trends). NAN when the rule had too few points. */
static double volatility_of(const double *y, const qb_trend *t) {
  if (t->n < 5 || isnan(t->slope_pct_per_run)) return NAN;
  const double *seg = y + t->from;
  double *r = malloc(t->n * sizeof *r);
  if (!r) return t->noise_pct;
  memcpy(r, seg, t->n * sizeof *r);
  qb_sort_doubles(r, t->n);
  double level = fabs(qb_quantile_sorted(r, t->n, 0.5));
  double b = t->slope_pct_per_run * level / 100;
  for (size_t i = 0; i < t->n; i++) r[i] = seg[i] - b * (double)i;
  double *sorted = malloc(t->n * sizeof *sorted);
  if (!sorted) {
    free(r);
    return t->noise_pct;
  }
  memcpy(sorted, r, t->n * sizeof *sorted);
  qb_sort_doubles(sorted, t->n);
  double med = qb_quantile_sorted(sorted, t->n, 0.5), sum = 0;
  for (size_t i = 0; i < t->n; i++) sum += fabs(r[i] - med);
  free(r);
  free(sorted);
  double w = 100 * sqrt(M_PI / 2) * (sum / (double)t->n) / level;
  return fmax(t->noise_pct, w);
}

/* Append a trend entry (the series copied) to a list. */
static int push_trend(qb_report_trend **list, size_t *n, size_t *cap, const qb_series_info *ser,
                      const qb_trend *t, size_t n_points, double volatility, qb_err *err) {
  int rc = grow((void **)list, cap, *n, sizeof **list, err), oom = 0;
  if (rc) return rc;
  qb_report_trend *e = &(*list)[(*n)++];
  e->series = series_copy(ser, &oom);
  e->trend = *t;
  e->n_points = n_points;
  e->volatility_pct = volatility;
  e->drift_pct =
      isnan(t->slope_pct_per_run) || t->n < 2 ? NAN : t->slope_pct_per_run * (double)(t->n - 1);
  return oom ? qb_err_set(err, QB_ENOMEM, "out of memory") : QB_OK;
}

/* The trend of every series in scope (as `qbdb trend` computes it; in a range, up to its end):
 * counts by direction, the most degrading, the volatile and the noisy series. */
static int gather_trends(qb_store *s, const qb_report_opts *o, qb_report *r,
                         const qb_series_info *series, size_t n_series, int64_t to_t, qb_err *err) {
  size_t cap_d = 0, cap_v = 0, cap_n = 0;
  int rc = QB_OK;
  qb_setting *settings = NULL;
  size_t n_settings = 0;
  if ((rc = qb_store_settings(s, NULL, &settings, &n_settings, err))) return rc;
  for (size_t i = 0; i < n_series && !rc; i++) {
    const qb_series_info *ser = &series[i];
    qb_cp_opts cpo; /* as detection on ingest uses them */
    qb_detect_opts_for(settings, n_settings, ser->project, ser->bench, ser->metric, &cpo);
    qb_series_point *pts = NULL;
    size_t n = 0, nx = 0, n_cp = 0;
    double *x = NULL;
    qb_changepoint *cps = NULL;
    qb_trend t;
    if ((rc = qb_store_series_points(s, ser->id, &pts, &n, err))) break;
    if (!(x = malloc((n ? n : 1) * sizeof *x))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto next;
    }
    for (size_t k = 0; k < n; k++) {
      if (r->to_run && !at_or_before(pts[k].time, pts[k].run_id, to_t, r->to_run)) continue;
      if (isfinite(pts[k].value)) x[nx++] = pts[k].value;
    }
    if (!nx) goto next;
    if ((rc = qb_changepoints(x, nx, &cpo, &cps, &n_cp, err))) goto next;
    if ((rc = qb_trend_of(x, nx, n_cp ? cps[n_cp - 1].index : 0, ser->higher_is_better, &t, err)))
      goto next;
    r->n_series++;
    r->trend_counts[t.direction]++;
    double v = volatility_of(x, &t);
    if (t.direction == QB_TREND_DEGRADING)
      rc = push_trend(&r->degrading, &r->n_degrading, &cap_d, ser, &t, nx, v, err);
    else if (t.direction == QB_TREND_VOLATILE)
      rc = push_trend(&r->volatile_series, &r->n_volatile, &cap_v, ser, &t, nx, v, err);
    else if (!isnan(t.noise_pct) && t.noise_pct > o->noisy_pct)
      rc = push_trend(&r->noisy, &r->n_noisy, &cap_n, ser, &t, nx, v, err);
  next:
    free(cps);
    free(x);
    qb_series_points_free(pts, n);
  }
  qb_settings_free(settings, n_settings);
  if (rc) return rc;
  sort_n(r->degrading, r->n_degrading, sizeof *r->degrading, cmp_drift);
  sort_n(r->volatile_series, r->n_volatile, sizeof *r->volatile_series, cmp_noise);
  sort_n(r->noisy, r->n_noisy, sizeof *r->noisy, cmp_noise);
  /* keep the top of each list (counts stay complete in trend_counts) */
  for (size_t i = o->top; i < r->n_degrading; i++) series_dispose(&r->degrading[i].series);
  if (r->n_degrading > o->top) r->n_degrading = o->top;
  for (size_t i = o->top; i < r->n_volatile; i++) series_dispose(&r->volatile_series[i].series);
  if (r->n_volatile > o->top) r->n_volatile = o->top;
  for (size_t i = o->top; i < r->n_noisy; i++) series_dispose(&r->noisy[i].series);
  if (r->n_noisy > o->top) r->n_noisy = o->top;
  return QB_OK;
}

/* ---- scaling -------------------------------------------------------------------------------- */

/* A family and metric found in a run. */
typedef struct family_key {
  char *family, *metric;
} family_key;

/* The benchmark families (a group, or a name prefix ending in '/') of a run whose benchmarks
 * have one numeric parameter, with each metric they report. */
static int families_of(const qb_run *run, family_key **out, size_t *n_out, qb_err *err) {
  size_t cap = 0;
  *out = NULL;
  *n_out = 0;
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    char pname[64];
    double pvalue;
    if (qb_bench_numeric_param(b->params, pname, sizeof pname, &pvalue)) continue;
    char fam[256];
    const char *slash = strrchr(b->name, '/');
    if (b->group && *b->group)
      snprintf(fam, sizeof fam, "%s", b->group);
    else if (slash)
      snprintf(fam, sizeof fam, "%.*s", (int)(slash - b->name + 1), b->name);
    else
      continue;
    for (size_t k = 0; k < b->n_results; k++) {
      int seen = 0;
      for (size_t j = 0; j < *n_out && !seen; j++)
        seen = !strcmp((*out)[j].family, fam) && !strcmp((*out)[j].metric, b->results[k].metric);
      if (seen) continue;
      int rc = grow((void **)out, &cap, *n_out, sizeof **out, err);
      if (rc) return rc;
      family_key *f = &(*out)[(*n_out)++];
      f->family = strdup(fam);
      f->metric = strdup(b->results[k].metric);
      if (!f->family || !f->metric) return qb_err_set(err, QB_ENOMEM, "out of memory");
    }
  }
  return QB_OK;
}

/* The fit of a family in run id; *out NULL (and no error) when the run has too few points. */
static int family_fit(qb_store *s, const char *project, const family_key *f, int64_t id,
                      qb_scaling_report **out, qb_err *err) {
  char ref[24];
  snprintf(ref, sizeof ref, "%lld", (long long)id);
  int rc = qb_scaling_family(s, project, f->family, ref, f->metric, out, err);
  if (rc == QB_ENOTFOUND || rc == QB_EUSAGE) {
    qb_err_clear(err);
    *out = NULL;
    return QB_OK;
  }
  return rc;
}

/* Changed families first, then by project and family. */
static int cmp_scaling(const void *a, const void *b) {
  const qb_report_scaling *x = a, *y = b;
  int nx = x->complexity_changed + x->efficiency_dropped;
  int ny = y->complexity_changed + y->efficiency_dropped;
  if (nx != ny) return ny - nx;
  int c = strcmp(x->project, y->project);
  if (!c) c = strcmp(x->family, y->family);
  if (!c) c = strcmp(x->metric, y->metric);
  return c;
}

/* Scaling fits of the families in each group's newest run against the run before it. */
static int gather_scaling(qb_store *s, const qb_report_opts *o, qb_report *r,
                          const qb_report_grade *grades, size_t n_grades, qb_err *err) {
  size_t cap = 0;
  int rc = QB_OK, oom = 0;
  for (size_t gi = 0; gi < n_grades && !rc; gi++) {
    const qb_report_grade *g = &grades[gi];
    qb_run_info info;
    qb_run *run = NULL;
    family_key *fams = NULL;
    size_t n_fams = 0;
    if ((rc = qb_store_load_run(s, g->run_id, 0, &info, &run, err))) break;
    qb_run_info_dispose(&info);
    if ((rc = families_of(run, &fams, &n_fams, err))) goto next;
    for (size_t fi = 0; fi < n_fams && !rc; fi++) {
      qb_scaling_report *head = NULL, *base = NULL;
      if ((rc = family_fit(s, g->project, &fams[fi], g->run_id, &head, err)) || !head) continue;
      if (g->baseline_id && (rc = family_fit(s, g->project, &fams[fi], g->baseline_id, &base, err)))
        goto next_family;
      if ((rc = grow((void **)&r->scaling, &cap, r->n_scaling, sizeof *r->scaling, err)))
        goto next_family;
      qb_report_scaling *x = &r->scaling[r->n_scaling++];
      memset(x, 0, sizeof *x);
      x->project = dup_or(g->project, &oom);
      x->branch = dup_or(g->branch, &oom);
      x->machine = dup_or(g->machine, &oom);
      x->family = dup_or(head->family, &oom);
      x->param = dup_or(head->param_name, &oom);
      x->metric = dup_or(head->metric, &oom);
      x->unit = dup_or(head->unit, &oom);
      x->run_id = g->run_id;
      x->best = head->fit.best;
      x->runner_up = head->fit.second;
      x->distinguishable = head->fit.distinguishable;
      x->rms = head->fit.rms[head->fit.best];
      x->baseline_rms = NAN;
      x->n_points = head->n_points;
      x->params = malloc(head->n_points * sizeof *x->params);
      x->efficiency = malloc(head->n_points * sizeof *x->efficiency);
      x->baseline_efficiency = malloc(head->n_points * sizeof *x->baseline_efficiency);
      if (!x->params || !x->efficiency || !x->baseline_efficiency) {
        x->n_points = 0;
        oom = 1;
        goto next_family;
      }
      double worst = 1;
      for (size_t k = 0; k < head->n_points; k++) {
        x->params[k] = head->points[k].param;
        x->efficiency[k] = head->points[k].efficiency;
        x->baseline_efficiency[k] = NAN;
        for (size_t j = 1; base && k > 0 && j < base->n_points; j++)
          if (base->points[j].param == head->points[k].param &&
              base->points[j - 1].param == head->points[k - 1].param)
            x->baseline_efficiency[k] = base->points[j].efficiency;
        double ratio = x->efficiency[k] / x->baseline_efficiency[k];
        if (isfinite(ratio) && x->baseline_efficiency[k] > 0 && ratio < EFF_DROP && ratio < worst) {
          worst = ratio;
          x->efficiency_dropped = 1;
          x->worst_step = k;
        }
      }
      if (base) {
        x->baseline_id = g->baseline_id;
        x->baseline_best = base->fit.best;
        x->baseline_rms = base->fit.rms[base->fit.best];
        /* a change only when each run's data tells its model from the other's (docs/cli/
         * report.md, Scaling): not two readings of a family whose models are too close */
        x->complexity_changed = base->fit.best != head->fit.best &&
                                !qb_scaling_close(&head->fit, base->fit.best) &&
                                !qb_scaling_close(&base->fit, head->fit.best);
      }
    next_family:
      qb_scaling_report_free(head);
      qb_scaling_report_free(base);
    }
  next:
    for (size_t fi = 0; fi < n_fams; fi++) free(fams[fi].family), free(fams[fi].metric);
    free(fams);
    qb_run_free(run);
  }
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (rc) return rc;
  sort_n(r->scaling, r->n_scaling, sizeof *r->scaling, cmp_scaling);
  /* changed families first, then the others up to opts.top */
  size_t keep = 0;
  while (keep < r->n_scaling && (r->scaling[keep].complexity_changed ||
                                 r->scaling[keep].efficiency_dropped || keep < o->top))
    keep++;
  for (size_t i = keep; i < r->n_scaling; i++) {
    qb_report_scaling *x = &r->scaling[i];
    free(x->project), free(x->branch), free(x->machine), free(x->family), free(x->param);
    free(x->metric), free(x->unit), free(x->params), free(x->efficiency);
    free(x->baseline_efficiency);
  }
  r->n_scaling = keep;
  return QB_OK;
}

/* ---- configurations ------------------------------------------------------------------------- */

/* The spread of a configuration row: |worst - best| / |best| (NAN when best is 0). */
static double spread_of(const qb_config_row *c) {
  return c->best_value != 0 ? fabs(c->worst_value - c->best_value) / fabs(c->best_value) : NAN;
}

/* The largest spread first. */
static int cmp_spread(const void *a, const void *b) {
  double x = spread_of(a), y = spread_of(b);
  if (isnan(x)) x = -1;
  if (isnan(y)) y = -1;
  return (x < y) - (x > y);
}

/* For each project in scope and each tag key with two or more values among its runs: the best
 * and worst tag values per benchmark (qb_configs_by_tag), the largest spreads first. */
static int gather_configs(qb_store *s, const qb_report_opts *o, qb_report *r, const group *groups,
                          size_t n_groups, qb_err *err) {
  size_t cap = 0;
  int rc = QB_OK;
  for (size_t gi = 0; gi < n_groups && !rc; gi++) {
    if (gi && !strcmp(groups[gi].project, groups[gi - 1].project)) continue;
    const char *project = groups[gi].project;
    qb_run_filter f = QB_RUN_FILTER_INIT;
    qb_run_info *runs = NULL;
    size_t n_runs = 0;
    f.project = project;
    if ((rc = qb_store_list_runs(s, &f, &runs, &n_runs, err))) break;
    /* tag keys with at least two values, in order of first appearance */
    for (size_t i = 0; i < n_runs && !rc; i++)
      for (size_t t = 0; t < runs[i].n_tags && !rc; t++) {
        const char *key = runs[i].tags[t].key, *first = runs[i].tags[t].value;
        int earlier = 0, other = 0;
        for (size_t j = 0; j < i && !earlier; j++)
          for (size_t u = 0; u < runs[j].n_tags; u++) earlier |= !strcmp(runs[j].tags[u].key, key);
        if (earlier) continue;
        for (size_t j = i + 1; j < n_runs && !other; j++)
          for (size_t u = 0; u < runs[j].n_tags; u++)
            other |= !strcmp(runs[j].tags[u].key, key) && strcmp(runs[j].tags[u].value, first);
        if (!other) continue;
        qb_config_row *rows = NULL;
        size_t n_rows = 0, keep = 0;
        if ((rc = qb_configs_by_tag(s, project, key, &rows, &n_rows, err))) break;
        for (size_t k = 0; k < n_rows; k++) {
          if (rows[k].n_values >= 2) {
            qb_config_row t2 = rows[keep];
            rows[keep++] = rows[k];
            rows[k] = t2;
          }
        }
        sort_n(rows, keep, sizeof *rows, cmp_spread);
        size_t top = keep < o->top ? keep : o->top;
        if (!top ||
            (rc = grow((void **)&r->configs, &cap, r->n_configs, sizeof *r->configs, err))) {
          qb_config_rows_free(rows, n_rows);
          continue;
        }
        qb_report_config *c = &r->configs[r->n_configs++];
        c->project = strdup(project);
        c->tag = strdup(key);
        c->rows = rows;
        c->n_rows = top;
        for (size_t k = top; k < n_rows; k++) {
          free(rows[k].bench), free(rows[k].metric), free(rows[k].unit);
          free(rows[k].best), free(rows[k].worst);
        }
        if (!c->project || !c->tag) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      }
    qb_run_infos_free(runs, n_runs);
  }
  return rc;
}

/* ---- recommendations ------------------------------------------------------------------------ */

/* Write benchmark names of a list into buf ("a, b, c and 2 more"). */
static void names_into(char *buf, size_t n, const char *const *names, size_t count) {
  size_t at = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < count && i < MAX_NAMES; i++) {
    int w = snprintf(buf + at, n - at, "%s%s", i ? ", " : "", names[i]);
    if (w < 0 || (size_t)w >= n - at) return;
    at += (size_t)w;
  }
  if (count > MAX_NAMES) snprintf(buf + at, n - at, " and %zu more", count - MAX_NAMES);
}

/* Recommendations from the gathered data (docs/cli/report.md lists the rules). */
static int gather_recs(qb_report *r, qb_err *err) {
  size_t cap = 0;
  int rc = QB_OK;
  const char *names[64];
  char list[512], a[16], b[16], v1[32], v2[32];
  /* several new regressions in one commit range */
  size_t n = r->n_new_regressions;
  char *done = calloc(n + 1, 1);
  if (!done) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    if (done[i]) continue;
    const qb_regression *x = &r->new_regressions[i].reg;
    size_t count = 0;
    for (size_t j = i; j < n; j++) {
      const qb_regression *y = &r->new_regressions[j].reg;
      int same = !strcmp(x->series.project, y->series.project) &&
                 (x->commit_sha && y->commit_sha && x->prev_commit_sha && y->prev_commit_sha
                      ? !strcmp(x->commit_sha, y->commit_sha) &&
                            !strcmp(x->prev_commit_sha, y->prev_commit_sha)
                      : x->run_id == y->run_id);
      if (!same) continue;
      done[j] = 1;
      int dup = 0;
      for (size_t k = 0; k < count && !dup; k++) dup = !strcmp(names[k], y->series.bench);
      if (!dup && count < sizeof names / sizeof *names) names[count++] = y->series.bench;
    }
    if (count < 2) continue;
    names_into(list, sizeof list, names, count);
    rc = add_rec(r, &cap, "same-range", err,
                 "%zu benchmarks regressed in the same commit range: look at commits %s..%s (%s)",
                 count, short_sha(x->prev_commit_sha, a, sizeof a),
                 short_sha(x->commit_sha, b, sizeof b), list);
  }
  free(done);
  /* targets broken repeatedly */
  for (size_t i = 0; i < r->n_broken && !rc; i++) {
    const qb_report_target *t = &r->broken[i];
    if (t->broken_runs < 2) continue;
    char tv[32], vv[32];
    qb_unit_format(t->target, t->unit, tv, sizeof tv);
    qb_unit_format(t->value, t->unit, vv, sizeof vv);
    rc = add_rec(r, &cap, "target", err,
                 "target %s %s %s %s broken in %d of the last %d runs (now %s): fix it or revise "
                 "the budget",
                 t->bench, t->metric, t->op, tv, t->broken_runs, t->checked_runs, vv);
  }
  /* scaling */
  for (size_t i = 0; i < r->n_scaling && !rc; i++) {
    const qb_report_scaling *x = &r->scaling[i];
    if (x->complexity_changed)
      rc = add_rec(r, &cap, "scaling", err,
                   "%s (%s): fitted complexity changed from %s to %s in run %lld: check the "
                   "algorithm or the data structures it uses",
                   x->family, x->metric, qb_complexity_name(x->baseline_best),
                   qb_complexity_name(x->best), (long long)x->run_id);
    else if (x->efficiency_dropped)
      rc = add_rec(r, &cap, "scaling", err,
                   "%s (%s): scaling efficiency from %s=%g to %g fell from %.2f to %.2f in run "
                   "%lld: look for a cache or allocation effect at the larger size",
                   x->family, x->metric, x->param, x->params[x->worst_step - 1],
                   x->params[x->worst_step], x->baseline_efficiency[x->worst_step],
                   x->efficiency[x->worst_step], (long long)x->run_id);
  }
  /* volatile and noisy series */
  if (r->n_volatile && !rc) {
    size_t c = 0;
    char buf[512];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_volatile && c < MAX_NAMES; i++, c++) {
      int w = snprintf(buf + at, sizeof buf - at, "%s%s (%.1f%%)", c ? ", " : "",
                       r->volatile_series[i].series.bench, r->volatile_series[i].volatility_pct);
      if (w > 0 && (size_t)w < sizeof buf - at) at += (size_t)w;
    }
    rc = add_rec(r, &cap, "volatile", err,
                 "volatile series: %s: pin the machine (no other load, fixed CPU frequency) "
                 "before trusting their changes",
                 buf);
  }
  if (r->n_noisy && !rc) {
    size_t c = 0;
    char buf[512];
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_noisy && c < MAX_NAMES; i++, c++) {
      int w = snprintf(buf + at, sizeof buf - at, "%s%s (%.1f%%)", c ? ", " : "",
                       r->noisy[i].series.bench, r->noisy[i].trend.noise_pct);
      if (w > 0 && (size_t)w < sizeof buf - at) at += (size_t)w;
    }
    rc = add_rec(r, &cap, "noisy", err,
                 "noisy series (noise above %.0f%% of the median): %s: raise samples or "
                 "iterations so that smaller changes can be told from noise",
                 r->noisy_pct, buf);
  }
  /* slow drifts without a step */
  for (size_t i = 0, c = 0; i < r->n_degrading && c < 3 && !rc; i++) {
    const qb_report_trend *t = &r->degrading[i];
    int stepped = 0;
    for (size_t j = 0; j < r->n_new_regressions && !stepped; j++)
      stepped = r->new_regressions[j].reg.series_id == t->series.id;
    if (stepped) continue;
    c++;
    rc = add_rec(r, &cap, "drift", err,
                 "%s (%s) degrades slowly without a step: %+.2f%% per run over the last %zu "
                 "runs (%+.1f%% in all): bisect the range or compare its ends",
                 t->series.bench, t->series.metric, t->trend.slope_pct_per_run, t->trend.n,
                 t->drift_pct);
  }
  /* regressions left open for long */
  size_t stale = 0;
  const qb_report_change *oldest = NULL;
  for (size_t i = 0; i < r->n_open_regressions; i++)
    if (r->open_regressions[i].age_days >= STALE_DAYS) {
      stale++;
      if (!oldest) oldest = &r->open_regressions[i];
    }
  if (stale && !rc) {
    qb_unit_format(oldest->reg.before, oldest->reg.series.unit, v1, sizeof v1);
    qb_unit_format(oldest->reg.after, oldest->reg.series.unit, v2, sizeof v2);
    rc = add_rec(r, &cap, "stale", err,
                 "%zu regression%s open for more than %.0f days (oldest: #%lld %s, %s -> %s, %.0f "
                 "days): triage them (qbdb triage ID acknowledged|invalid|fixed)",
                 stale, stale == 1 ? "" : "s", STALE_DAYS, (long long)oldest->reg.id,
                 oldest->reg.series.bench, v1, v2, oldest->age_days);
  }
  return rc;
}

/* ---- the service ---------------------------------------------------------------------------- */

/* Gather the report: the window, then each section in turn (service/report.h). */
int qb_report_build(qb_store *s, const qb_report_opts *o_in, qb_report **out, qb_err *err) {
  qb_report_opts o = QB_REPORT_OPTS_INIT;
  if (o_in) o = *o_in;
  if (!o.chart_points) o.chart_points = 40;
  if (!o.top) o.top = 10;
  if (!(o.noisy_pct > 0)) o.noisy_pct = 5.0;
  if (o.targets_runs < 1) o.targets_runs = 5;
  qb_report *r = calloc(1, sizeof *r);
  qb_report_item *items = NULL;
  qb_series_info *series = NULL;
  group *groups = NULL;
  size_t n_items = 0, n_series = 0, n_groups = 0;
  int64_t from_t = QB_TIME_NONE, to_t = QB_TIME_NONE;
  int rc = QB_OK;
  *out = NULL;
  if (!r) return qb_err_set(err, QB_ENOMEM, "out of memory");
  r->created_at = o.now != QB_TIME_NONE ? o.now : qb_time_now();
  r->until = r->created_at;
  r->since = QB_TIME_NONE;
  r->noisy_pct = o.noisy_pct;
  if (o.project && !(r->project = strdup(o.project))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (o.from_ref || o.to_ref) {
    if (o.since != QB_TIME_NONE) {
      rc = qb_err_set(err, QB_EUSAGE, "report: --since and --from/--to are exclusive");
      goto done;
    }
    r->window = QB_REPORT_RANGE;
    /* the later run first, so its project scopes the earlier one */
    if (o.to_ref &&
        (rc = range_run(s, o.to_ref, &r->project, &r->to_run, &to_t, &r->to_commit, err)))
      goto done;
    if (o.from_ref &&
        (rc = range_run(s, o.from_ref, &r->project, &r->from_run, &from_t, &r->from_commit, err)))
      goto done;
    if (r->from_run && r->to_run && !at_or_before(from_t, r->from_run, to_t, r->to_run)) {
      rc =
          qb_err_set(err, QB_EUSAGE, "report: --from %s comes after --to %s", o.from_ref, o.to_ref);
      goto done;
    }
    r->since = r->from_run ? from_t : QB_TIME_NONE;
    r->until = r->to_run ? to_t : QB_TIME_NONE;
  } else if (o.since != QB_TIME_NONE) {
    r->window = QB_REPORT_SINCE;
    r->since = o.since;
  } else {
    qb_report_record last;
    r->window = QB_REPORT_SINCE_LAST;
    rc = qb_store_report_last(s, r->project, &last, err);
    if (rc == QB_OK) {
      r->previous_id = last.id;
      r->since = last.created_at;
      qb_report_record_dispose(&last);
    } else if (rc == QB_ENOTFOUND) {
      qb_err_clear(err);
    } else {
      goto done;
    }
    if ((rc = qb_store_report_items(s, r->project, &items, &n_items, err))) goto done;
  }
  qb_series_filter sf = QB_SERIES_FILTER_INIT;
  sf.project = r->project;
  if ((rc = qb_store_series_list(s, &sf, &series, &n_series, err))) goto done;
  if (r->project && !n_series) {
    rc = qb_err_set(err, QB_ENOTFOUND, "report: no series in project %s", r->project);
    goto done;
  }
  if ((rc = groups_of(series, n_series, &groups, &n_groups, err)) ||
      (rc = gather_changes(s, &o, r, items, n_items, from_t, to_t, err)) ||
      (rc = gather_grades(s, &o, r, groups, n_groups, to_t, err)) ||
      (rc = gather_trends(s, &o, r, series, n_series, to_t, err)) ||
      (rc = gather_scaling(s, &o, r, r->grades, r->n_grades, err)) ||
      (rc = gather_configs(s, &o, r, groups, n_groups, err)) || (rc = gather_recs(r, err)))
    goto done;
  *out = r;
  r = NULL;
done:
  free(groups);
  qb_series_infos_free(series, n_series);
  free(items);
  qb_report_free(r);
  return rc;
}

/* One item per change listed as new. */
static void item_of(const qb_report_change *c, qb_report_item *it) {
  memset(it, 0, sizeof *it);
  it->regression_id = c->reg.id;
  it->series_id = c->reg.series_id;
  it->run_id = c->reg.run_id;
  snprintf(it->kind, sizeof it->kind, "%s", c->reg.kind);
  snprintf(it->severity, sizeof it->severity, "%s", c->reg.severity);
}

/* Record a since-last-report report and the changes it lists as new (service/report.h). */
int qb_report_save(qb_store *s, qb_report *r, const char *format, qb_err *err) {
  if (r->window != QB_REPORT_SINCE_LAST)
    return qb_err_set(err, QB_EUSAGE,
                      "report: only a report since the last one is recorded (not --since or "
                      "--from/--to)");
  size_t n = r->n_new_regressions + r->n_new_improvements, k = 0;
  qb_report_item *items = calloc(n ? n : 1, sizeof *items);
  if (!items) return qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_report_record rec = {0};
  rec.project = r->project ? r->project : "";
  rec.created_at = r->created_at;
  rec.window_start = r->since;
  rec.max_detected_at = QB_TIME_NONE;
  rec.new_regressions = (int64_t)r->n_new_regressions;
  rec.new_improvements = (int64_t)r->n_new_improvements;
  rec.format = (char *)format;
  for (size_t i = 0; i < r->n_new_regressions; i++) item_of(&r->new_regressions[i], &items[k++]);
  for (size_t i = 0; i < r->n_new_improvements; i++) item_of(&r->new_improvements[i], &items[k++]);
  for (size_t i = 0; i < r->n_new_regressions + r->n_new_improvements; i++) {
    const qb_regression *g = i < r->n_new_regressions
                                 ? &r->new_regressions[i].reg
                                 : &r->new_improvements[i - r->n_new_regressions].reg;
    if (g->id > rec.max_regression_id) rec.max_regression_id = g->id;
    if (g->detected_at != QB_TIME_NONE &&
        (rec.max_detected_at == QB_TIME_NONE || g->detected_at > rec.max_detected_at))
      rec.max_detected_at = g->detected_at;
  }
  int64_t id = 0;
  int rc = qb_store_report_add(s, &rec, items, n, &id, err);
  free(items);
  if (!rc) r->id = id;
  return rc;
}

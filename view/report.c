/* view/report.c - the report as JSON (the contract, docs/cli/report.md), markdown (PR
 * comments, chat) and one self-contained HTML file (inline CSS, SVG charts drawn here, no
 * external assets), all from the same qb_report; and the webhook summary. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json_out.h"
#include "view/report.h"
#include "view/json.h"
#include "core/time.h"
#include "core/units.h"

#define SPARK_W   168 /* the SVG chart of a change, in CSS pixels */
#define SPARK_H   40
#define SPARK_PAD 4

/* The format named by --format (service/report.h). */
int qb_report_format_parse(const char *name, qb_report_format *out) {
  if (!strcmp(name, "markdown") || !strcmp(name, "md"))
    *out = QB_REPORT_MARKDOWN;
  else if (!strcmp(name, "html"))
    *out = QB_REPORT_HTML;
  else if (!strcmp(name, "json"))
    *out = QB_REPORT_JSON;
  else
    return QB_EUSAGE;
  return QB_OK;
}

/* The name of a format, as recorded with a report. */
const char *qb_report_format_name(qb_report_format f) {
  return f == QB_REPORT_HTML ? "html" : f == QB_REPORT_JSON ? "json" : "markdown";
}

/* The JSON name of a window. */
static const char *window_name(qb_report_window w) {
  return w == QB_REPORT_SINCE ? "since" : w == QB_REPORT_RANGE ? "range" : "since-last-report";
}

/* ---- JSON ----------------------------------------------------------------------------------- */

/* obj[key] = string or null. */
static void set_str(json_t *o, const char *key, const char *v) {
  json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* obj[key] = number or null (NaN, infinities). */
static void set_num(json_t *o, const char *key, double v) {
  json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* obj[key] = ISO 8601 time or null. */
static void set_time(json_t *o, const char *key, int64_t us) {
  char buf[40];
  json_object_set_new(
      o, key, us == QB_TIME_NONE ? json_null() : json_string(qb_time_format(us, buf, sizeof buf)));
}

/* obj[key] = integer id, or null for 0. */
static void set_id(json_t *o, const char *key, int64_t id) {
  json_object_set_new(o, key, id ? json_integer(id) : json_null());
}

/* {"total", "minor", "moderate", "major", "critical"} of a count by severity. */
static json_t *by_severity(const size_t c[5]) {
  json_t *o = json_object();
  json_object_set_new(o, "total", json_integer((json_int_t)(c[1] + c[2] + c[3] + c[4])));
  for (int i = 1; i <= 4; i++)
    json_object_set_new(o, qb_severity_name((qb_severity)i), json_integer((json_int_t)c[i]));
  return o;
}

/* One change (docs/cli/report.md, "change"). */
static json_t *json_change(const qb_report_change *c, int with_chart) {
  /* the record as `qbdb regressions --format json` shows it, and what the report adds */
  const qb_regression *g = &c->reg;
  json_t *o = qb_view_regression(g);
  if (!o) return NULL;
  set_str(o, "direction", g->series.higher_is_better ? "higher" : "lower");
  json_object_set_new(o, "series_id", json_integer(g->series_id));
  set_time(o, "detected_at", g->detected_at);
  set_num(o, "age_days", c->age_days);
  if (with_chart) {
    json_t *ch = json_object(), *ids = json_array(), *vals = json_array();
    for (size_t i = 0; i < c->n_chart; i++) {
      json_array_append_new(ids, json_integer(c->chart_runs[i]));
      json_array_append_new(vals, json_real(c->chart_values[i]));
    }
    json_object_set_new(ch, "run_ids", ids);
    json_object_set_new(ch, "values", vals);
    json_object_set_new(ch, "change_index",
                        c->chart_change == (size_t)-1 ? json_null()
                                                      : json_integer((json_int_t)c->chart_change));
    json_object_set_new(o, "chart", ch);
  }
  return o;
}

/* An array of changes. */
static json_t *json_changes(const qb_report_change *c, size_t n, int with_chart) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, json_change(&c[i], with_chart));
  return a;
}

/* One series' trend. */
static json_t *json_trend(const qb_report_trend *t) {
  json_t *o = json_object();
  set_str(o, "project", t->series.project);
  set_str(o, "branch", t->series.branch);
  set_str(o, "machine", t->series.machine);
  set_str(o, "benchmark", t->series.bench);
  set_str(o, "metric", t->series.metric);
  set_str(o, "unit", t->series.unit);
  set_str(o, "direction", t->series.higher_is_better ? "higher" : "lower");
  set_str(o, "trend", qb_trend_name(t->trend.direction));
  set_num(o, "strength", t->trend.strength);
  set_num(o, "slope_pct_per_run", t->trend.slope_pct_per_run);
  set_num(o, "drift_pct", t->drift_pct);
  set_num(o, "noise_pct", t->trend.noise_pct);
  set_num(o, "volatility_pct", t->volatility_pct);
  json_object_set_new(o, "segment_runs", json_integer((json_int_t)t->trend.n));
  json_object_set_new(o, "points", json_integer((json_int_t)t->n_points));
  return o;
}

/* An array of trends. */
static json_t *json_trends(const qb_report_trend *t, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, json_trend(&t[i]));
  return a;
}

/* {"improving", "stable", "degrading", "volatile"} counts. */
static json_t *trend_counts(const qb_report *r) {
  json_t *o = json_object();
  for (int d = 0; d < 4; d++)
    json_object_set_new(o, qb_trend_name((qb_trend_direction)d),
                        json_integer((json_int_t)r->trend_counts[d]));
  return o;
}

/* The "summary" object. */
static json_t *json_summary(const qb_report *r) {
  json_t *o = json_object(), *grades = json_array();
  for (size_t i = 0; i < r->n_grades; i++) {
    const qb_report_grade *g = &r->grades[i];
    json_t *x = json_object(), *comp = json_object();
    set_str(x, "project", g->project);
    set_str(x, "branch", g->branch);
    set_str(x, "machine", g->machine);
    json_object_set_new(x, "run_id", json_integer(g->run_id));
    set_str(x, "commit", g->commit);
    set_id(x, "baseline_id", g->baseline_id);
    set_num(x, "score", g->grade.score);
    set_str(x, "letter", g->grade.letter);
    set_num(comp, "regressions", g->grade.regressions_score);
    set_num(comp, "targets", g->grade.targets_score);
    set_num(comp, "stability", g->grade.stability_score);
    set_num(comp, "coverage", g->grade.coverage_score);
    json_object_set_new(x, "components", comp);
    json_object_set_new(x, "targets_broken", json_integer((json_int_t)g->targets_broken));
    json_array_append_new(grades, x);
  }
  json_object_set_new(o, "grades", grades);
  json_object_set_new(o, "new_regressions", by_severity(r->new_by_severity));
  json_object_set_new(o, "open_regressions", by_severity(r->open_by_severity));
  json_object_set_new(o, "new_improvements", json_integer((json_int_t)r->n_new_improvements));
  json_object_set_new(o, "targets_broken", json_integer((json_int_t)r->targets_broken));
  json_object_set_new(o, "series", json_integer((json_int_t)r->n_series));
  json_object_set_new(o, "trends", trend_counts(r));
  return o;
}

/* The "report" object: id, scope and window. */
static json_t *json_header(const qb_report *r) {
  json_t *o = json_object(), *w = json_object();
  set_id(o, "id", r->id);
  json_object_set_new(o, "recorded", json_boolean(r->id != 0));
  set_str(o, "project", r->project);
  set_time(o, "created_at", r->created_at);
  set_str(w, "kind", window_name(r->window));
  set_time(w, "since", r->since);
  set_time(w, "until", r->until);
  set_id(w, "previous_report_id", r->previous_id);
  if (r->window == QB_REPORT_RANGE) {
    json_t *f = json_null(), *t = json_null();
    if (r->from_run) {
      f = json_object();
      json_object_set_new(f, "run_id", json_integer(r->from_run));
      set_str(f, "commit", r->from_commit);
    }
    if (r->to_run) {
      t = json_object();
      json_object_set_new(t, "run_id", json_integer(r->to_run));
      set_str(t, "commit", r->to_commit);
    }
    json_object_set_new(w, "from", f);
    json_object_set_new(w, "to", t);
  }
  json_object_set_new(o, "window", w);
  return o;
}

/* The report as the JSON contract of docs/cli/report.md. */
json_t *qb_report_json(const qb_report *r) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "report", json_header(r));
  json_object_set_new(o, "summary", json_summary(r));
  json_object_set_new(o, "new_regressions",
                      json_changes(r->new_regressions, r->n_new_regressions, 1));
  json_object_set_new(o, "new_improvements",
                      json_changes(r->new_improvements, r->n_new_improvements, 1));
  json_object_set_new(o, "open_regressions",
                      json_changes(r->open_regressions, r->n_open_regressions, 0));
  json_t *broken = json_array();
  for (size_t i = 0; i < r->n_broken; i++) {
    const qb_report_target *t = &r->broken[i];
    json_t *x = json_object();
    set_str(x, "project", t->project);
    set_str(x, "branch", t->branch);
    set_str(x, "machine", t->machine);
    json_object_set_new(x, "run_id", json_integer(t->run_id));
    set_str(x, "commit", t->commit);
    json_object_set_new(x, "target_id", json_integer(t->target_id));
    set_str(x, "benchmark", t->bench);
    set_str(x, "metric", t->metric);
    set_str(x, "unit", t->unit);
    set_str(x, "op", t->op);
    set_num(x, "target", t->target);
    set_num(x, "value", t->value);
    json_object_set_new(x, "broken_runs", json_integer(t->broken_runs));
    json_object_set_new(x, "checked_runs", json_integer(t->checked_runs));
    json_array_append_new(broken, x);
  }
  json_object_set_new(o, "broken_targets", broken);
  json_t *trends = json_object();
  json_object_set_new(trends, "series", json_integer((json_int_t)r->n_series));
  json_object_set_new(trends, "counts", trend_counts(r));
  json_object_set_new(trends, "degrading", json_trends(r->degrading, r->n_degrading));
  json_object_set_new(trends, "volatile", json_trends(r->volatile_series, r->n_volatile));
  set_num(trends, "noisy_threshold_pct", r->noisy_pct);
  json_object_set_new(trends, "noisy", json_trends(r->noisy, r->n_noisy));
  json_object_set_new(o, "trends", trends);
  json_t *scaling = json_array();
  for (size_t i = 0; i < r->n_scaling; i++) {
    const qb_report_scaling *x = &r->scaling[i];
    json_t *e = json_object(), *steps = json_array();
    set_str(e, "project", x->project);
    set_str(e, "branch", x->branch);
    set_str(e, "machine", x->machine);
    set_str(e, "family", x->family);
    set_str(e, "parameter", x->param);
    set_str(e, "metric", x->metric);
    set_str(e, "unit", x->unit);
    json_object_set_new(e, "run_id", json_integer(x->run_id));
    set_str(e, "best", qb_complexity_name(x->best));
    set_num(e, "rms", x->rms);
    set_str(e, "runner_up", qb_complexity_name(x->runner_up));
    json_object_set_new(e, "distinguishable", json_boolean(x->distinguishable));
    set_id(e, "baseline_run_id", x->baseline_id);
    set_str(e, "baseline_best", x->baseline_id ? qb_complexity_name(x->baseline_best) : NULL);
    set_num(e, "baseline_rms", x->baseline_rms);
    json_object_set_new(e, "complexity_changed", json_boolean(x->complexity_changed));
    json_object_set_new(e, "efficiency_dropped", json_boolean(x->efficiency_dropped));
    for (size_t k = 1; k < x->n_points; k++) {
      json_t *st = json_object();
      set_num(st, "from", x->params[k - 1]);
      set_num(st, "to", x->params[k]);
      set_num(st, "efficiency", x->efficiency[k]);
      set_num(st, "baseline_efficiency", x->baseline_efficiency[k]);
      json_array_append_new(steps, st);
    }
    json_object_set_new(e, "steps", steps);
    json_array_append_new(scaling, e);
  }
  json_object_set_new(o, "scaling", scaling);
  json_t *configs = json_array();
  for (size_t i = 0; i < r->n_configs; i++) {
    const qb_report_config *c = &r->configs[i];
    json_t *e = json_object(), *rows = json_array();
    set_str(e, "project", c->project);
    set_str(e, "tag", c->tag);
    for (size_t k = 0; k < c->n_rows; k++) {
      const qb_config_row *w = &c->rows[k];
      json_t *x = json_object(), *best = json_object(), *worst = json_object();
      set_str(x, "benchmark", w->bench);
      set_str(x, "metric", w->metric);
      set_str(x, "unit", w->unit);
      set_str(x, "direction", w->higher_is_better ? "higher" : "lower");
      json_object_set_new(x, "values", json_integer((json_int_t)w->n_values));
      set_str(best, "value", w->best);
      set_num(best, "level", w->best_value);
      json_object_set_new(best, "runs", json_integer((json_int_t)w->best_runs));
      set_str(worst, "value", w->worst);
      set_num(worst, "level", w->worst_value);
      json_object_set_new(worst, "runs", json_integer((json_int_t)w->worst_runs));
      json_object_set_new(x, "best", best);
      json_object_set_new(x, "worst", worst);
      set_num(x, "spread_pct",
              w->best_value != 0 ? 100 * fabs(w->worst_value - w->best_value) / fabs(w->best_value)
                                 : NAN);
      json_array_append_new(rows, x);
    }
    json_object_set_new(e, "rows", rows);
    json_array_append_new(configs, e);
  }
  json_object_set_new(o, "configurations", configs);
  json_t *recs = json_array();
  for (size_t i = 0; i < r->n_recs; i++) {
    json_t *x = json_object();
    set_str(x, "kind", r->recs[i].kind);
    set_str(x, "text", r->recs[i].text);
    json_array_append_new(recs, x);
  }
  json_object_set_new(o, "recommendations", recs);
  return o;
}

/* ---- shared text pieces --------------------------------------------------------------------- */

/* "2 critical, 1 major" (largest first), or "none". */
static const char *severity_words(const size_t c[5], char *buf, size_t n) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 4; i >= 1; i--) {
    if (!c[i]) continue;
    int w = snprintf(buf + at, n - at, "%s%zu %s", at ? ", " : "", c[i],
                     qb_severity_name((qb_severity)i));
    if (w > 0 && (size_t)w < n - at) at += (size_t)w;
  }
  if (!at) snprintf(buf, n, "none");
  return buf;
}

/* A time as "YYYY-MM-DD HH:MM UTC" ("-" when unknown). */
static const char *short_time(int64_t us, char *buf, size_t n) {
  if (us == QB_TIME_NONE) {
    snprintf(buf, n, "-");
    return buf;
  }
  char iso[40];
  qb_time_format(us, iso, sizeof iso);
  snprintf(buf, n, "%.10s %.5s UTC", iso, iso + 11);
  return buf;
}

/* The first 8 characters of a commit, or "?". */
static const char *sha8(const char *sha, char *buf, size_t n) {
  snprintf(buf, n, "%.8s", sha && *sha ? sha : "?");
  return buf;
}

/* One line saying which changes count as new. */
static void window_words(const qb_report *r, char *buf, size_t n) {
  char a[40], c1[16], c2[16];
  switch (r->window) {
    case QB_REPORT_SINCE_LAST:
      if (r->previous_id)
        snprintf(buf, n, "new since report #%lld (%s)", (long long)r->previous_id,
                 short_time(r->since, a, sizeof a));
      else
        snprintf(buf, n, "first report: every open change is new");
      break;
    case QB_REPORT_SINCE:
      snprintf(buf, n, "changes detected since %s", short_time(r->since, a, sizeof a));
      break;
    case QB_REPORT_RANGE:
      if (r->from_run && r->to_run)
        snprintf(buf, n, "changes in runs after %lld (%s) up to %lld (%s)", (long long)r->from_run,
                 sha8(r->from_commit, c1, sizeof c1), (long long)r->to_run,
                 sha8(r->to_commit, c2, sizeof c2));
      else if (r->from_run)
        snprintf(buf, n, "changes in runs after %lld (%s)", (long long)r->from_run,
                 sha8(r->from_commit, c1, sizeof c1));
      else
        snprintf(buf, n, "changes in runs up to %lld (%s)", (long long)r->to_run,
                 sha8(r->to_commit, c2, sizeof c2));
      break;
  }
}

/* A p-value for a table ("1.2e-08", "<1e-300" for 0). */
static const char *pval(double p, char *buf, size_t n) {
  return qb_pvalue_format(p, buf, n);
}

/* ---- markdown ------------------------------------------------------------------------------- */

/* Append s with what would break a markdown table or start HTML escaped (|, backquote, <);
 * newlines become spaces. */
static int md_esc(qb_buf *b, const char *s, qb_err *err) {
  int rc = QB_OK;
  for (const char *p = s ? s : ""; *p && !rc; p++) {
    if (*p == '|' || *p == '`' || *p == '<')
      rc = qb_buf_printf(b, err, "\\%c", *p);
    else if (*p == '\n' || *p == '\r')
      rc = qb_buf_adds(b, " ", err);
    else
      rc = qb_buf_add(b, p, 1, err);
  }
  return rc;
}

/* A text sparkline of a change's chart ("▁▂▇│█▇"), the bar before the first bad point. */
static int md_spark(qb_buf *b, const qb_report_change *c, qb_err *err) {
  static const char *const bars[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (!c->n_chart) return qb_buf_adds(b, "-", err);
  double lo = c->chart_values[0], hi = lo;
  for (size_t i = 1; i < c->n_chart; i++) {
    if (c->chart_values[i] < lo) lo = c->chart_values[i];
    if (c->chart_values[i] > hi) hi = c->chart_values[i];
  }
  int rc = qb_buf_adds(b, "`", err);
  /* at most 24 characters: the last points */
  size_t from = c->n_chart > 24 ? c->n_chart - 24 : 0;
  for (size_t i = from; i < c->n_chart && !rc; i++) {
    if (i == c->chart_change && i > from) rc = qb_buf_adds(b, "│", err);
    int k = hi > lo ? (int)((c->chart_values[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;
    if (!rc) rc = qb_buf_adds(b, bars[k < 0 ? 0 : k > 7 ? 7 : k], err);
  }
  return rc ? rc : qb_buf_adds(b, "`", err);
}

/* A markdown table of changes (new regressions or improvements: with the chart column). */
static int md_changes(qb_buf *b, const qb_report_change *c, size_t n, int with_chart, int with_age,
                      qb_err *err) {
  if (!n) return qb_buf_adds(b, "None.\n\n", err);
  int rc =
      qb_buf_printf(b, err,
                    "| # | severity | benchmark | metric | where | %s | before | "
                    "after | change | p |%s\n|---:|---|---|---|---|---|---:|---:|---:|---:|%s\n",
                    !strcmp(c[0].reg.kind, "improvement") ? "first run" : "first bad run",
                    with_chart ? " trend |"
                    : with_age ? " age | status |"
                               : "",
                    with_chart ? "---|"
                    : with_age ? "---:|---|"
                               : "");
  for (size_t i = 0; i < n && !rc; i++) {
    const qb_regression *g = &c[i].reg;
    char v1[32], v2[32], p[24], s1[16], s2[16];
    qb_unit_format(g->before, g->series.unit, v1, sizeof v1);
    qb_unit_format(g->after, g->series.unit, v2, sizeof v2);
    if ((rc = qb_buf_printf(b, err, "| %lld | **%s** | ", (long long)g->id, g->severity)) ||
        (rc = md_esc(b, g->series.bench, err)) || (rc = qb_buf_adds(b, " | ", err)) ||
        (rc = md_esc(b, g->series.metric, err)) || (rc = qb_buf_adds(b, " | ", err)) ||
        (rc = md_esc(b, g->series.project, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = md_esc(b, g->series.branch, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = md_esc(b, g->series.machine, err)))
      break;
    rc = qb_buf_printf(b, err, " | run %lld, `%s..%s` | %s | %s | %+.1f%% | %s |",
                       (long long)g->run_id, sha8(g->prev_commit_sha, s1, sizeof s1),
                       sha8(g->commit_sha, s2, sizeof s2), v1, v2, g->change_pct,
                       pval(g->p_value, p, sizeof p));
    if (!rc && with_chart) {
      if (!(rc = qb_buf_adds(b, " ", err))) rc = md_spark(b, &c[i], err);
      if (!rc) rc = qb_buf_adds(b, " |", err);
    } else if (!rc && with_age) {
      rc = qb_buf_printf(b, err, " %.0f d | %s |", c[i].age_days, g->status);
    }
    if (!rc) rc = qb_buf_adds(b, "\n", err);
  }
  return rc ? rc : qb_buf_adds(b, "\n", err);
}

/* The markdown rendering. */
static int render_md(const qb_report *r, qb_buf *b, qb_err *err) {
  char w[256], t[40], sev[128], v1[32], v2[32];
  int rc;
  window_words(r, w, sizeof w);
  if ((rc = qb_buf_adds(b, "# qbdb report: ", err)) ||
      (rc = md_esc(b, r->project ? r->project : "all projects", err)) ||
      (rc = qb_buf_printf(b, err, "\n\n_%s · %s%s_\n\n", short_time(r->created_at, t, sizeof t), w,
                          r->id ? "" : " · not recorded")))
    return rc;
  if (r->id && (rc = qb_buf_printf(b, err, "Report #%lld.\n\n", (long long)r->id))) return rc;
  /* summary */
  rc = qb_buf_printf(b, err,
                     "## Summary\n\n**%zu new regression%s** (%s) · %zu new improvement%s · "
                     "%zu still open · %zu target%s broken · %zu series: %zu improving, %zu "
                     "stable, %zu degrading, %zu volatile\n\n",
                     r->n_new_regressions, r->n_new_regressions == 1 ? "" : "s",
                     severity_words(r->new_by_severity, sev, sizeof sev), r->n_new_improvements,
                     r->n_new_improvements == 1 ? "" : "s", r->n_open_regressions,
                     r->targets_broken, r->targets_broken == 1 ? "" : "s", r->n_series,
                     r->trend_counts[QB_TREND_IMPROVING], r->trend_counts[QB_TREND_STABLE],
                     r->trend_counts[QB_TREND_DEGRADING], r->trend_counts[QB_TREND_VOLATILE]);
  if (!rc && r->n_grades)
    rc = qb_buf_adds(b,
                     "| project | branch | machine | run | commit | grade | score | targets "
                     "broken |\n|---|---|---|---:|---|---|---:|---:|\n",
                     err);
  for (size_t i = 0; i < r->n_grades && !rc; i++) {
    const qb_report_grade *g = &r->grades[i];
    char s1[16], sc[16];
    if (isnan(g->grade.score))
      snprintf(sc, sizeof sc, "-");
    else
      snprintf(sc, sizeof sc, "%.1f", g->grade.score);
    if ((rc = qb_buf_adds(b, "| ", err)) || (rc = md_esc(b, g->project, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, g->branch, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, g->machine, err)))
      break;
    rc = qb_buf_printf(b, err, " | %lld | `%s` | **%s** | %s | %zu |\n", (long long)g->run_id,
                       sha8(g->commit, s1, sizeof s1), g->grade.letter, sc, g->targets_broken);
  }
  if (!rc && r->n_grades) rc = qb_buf_adds(b, "\n", err);
  if (!rc) rc = qb_buf_adds(b, "## New regressions\n\n", err);
  if (!rc) rc = md_changes(b, r->new_regressions, r->n_new_regressions, 1, 0, err);
  if (!rc) rc = qb_buf_adds(b, "## New improvements\n\n", err);
  if (!rc) rc = md_changes(b, r->new_improvements, r->n_new_improvements, 1, 0, err);
  if (!rc) rc = qb_buf_adds(b, "## Still-open regressions\n\n", err);
  if (!rc) rc = md_changes(b, r->open_regressions, r->n_open_regressions, 0, 1, err);
  /* targets */
  if (!rc) rc = qb_buf_adds(b, "## Broken targets\n\n", err);
  if (!rc && !r->n_broken) rc = qb_buf_adds(b, "None.\n\n", err);
  if (!rc && r->n_broken)
    rc = qb_buf_adds(b,
                     "| benchmark | metric | where | target | value | broken in |\n"
                     "|---|---|---|---|---:|---:|\n",
                     err);
  for (size_t i = 0; i < r->n_broken && !rc; i++) {
    const qb_report_target *x = &r->broken[i];
    qb_unit_format(x->target, x->unit, v1, sizeof v1);
    qb_unit_format(x->value, x->unit, v2, sizeof v2);
    if ((rc = qb_buf_adds(b, "| ", err)) || (rc = md_esc(b, x->bench, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->metric, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->project, err)) ||
        (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->branch, err)) ||
        (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->machine, err)))
      break;
    rc = qb_buf_printf(b, err, " | %s %s | %s | %d of the last %d runs |\n", x->op, v1, v2,
                       x->broken_runs, x->checked_runs);
  }
  if (!rc && r->n_broken) rc = qb_buf_adds(b, "\n", err);
  /* trends */
  if (!rc)
    rc = qb_buf_printf(b, err,
                       "## Trends\n\n%zu series: %zu improving, %zu stable, %zu degrading, %zu "
                       "volatile.\n\n",
                       r->n_series, r->trend_counts[QB_TREND_IMPROVING],
                       r->trend_counts[QB_TREND_STABLE], r->trend_counts[QB_TREND_DEGRADING],
                       r->trend_counts[QB_TREND_VOLATILE]);
  const struct {
    const char *title;
    const qb_report_trend *t;
    size_t n;
  } lists[3] = {{"Most degrading", r->degrading, r->n_degrading},
                {"Volatile", r->volatile_series, r->n_volatile},
                {"Noisy", r->noisy, r->n_noisy}};
  for (int l = 0; l < 3 && !rc; l++) {
    if (!lists[l].n) continue;
    rc = qb_buf_printf(b, err,
                       "%s:\n\n| benchmark | metric | where | per run | drift | noise | runs "
                       "|\n|---|---|---|---:|---:|---:|---:|\n",
                       lists[l].title);
    for (size_t i = 0; i < lists[l].n && !rc; i++) {
      const qb_report_trend *x = &lists[l].t[i];
      if ((rc = qb_buf_adds(b, "| ", err)) || (rc = md_esc(b, x->series.bench, err)) ||
          (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->series.metric, err)) ||
          (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->series.project, err)) ||
          (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->series.branch, err)) ||
          (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->series.machine, err)))
        break;
      rc = qb_buf_printf(b, err, " | %+.2f%% | %+.1f%% | %.1f%% | %zu |\n",
                         x->trend.slope_pct_per_run, x->drift_pct, x->volatility_pct, x->trend.n);
    }
    if (!rc) rc = qb_buf_adds(b, "\n", err);
  }
  /* scaling */
  if (!rc) rc = qb_buf_adds(b, "## Scaling\n\n", err);
  if (!rc && !r->n_scaling)
    rc = qb_buf_adds(b, "No benchmark family with a size parameter.\n\n", err);
  if (!rc && r->n_scaling)
    rc = qb_buf_adds(b,
                     "| family | metric | where | fit | before | note |\n"
                     "|---|---|---|---|---|---|\n",
                     err);
  for (size_t i = 0; i < r->n_scaling && !rc; i++) {
    const qb_report_scaling *x = &r->scaling[i];
    char note[160] = "";
    if (x->complexity_changed)
      snprintf(note, sizeof note, "**complexity changed**");
    else if (x->efficiency_dropped)
      snprintf(note, sizeof note, "**efficiency %s=%g->%g: %.2f, was %.2f**", x->param,
               x->params[x->worst_step - 1], x->params[x->worst_step], x->efficiency[x->worst_step],
               x->baseline_efficiency[x->worst_step]);
    if ((rc = qb_buf_adds(b, "| ", err)) || (rc = md_esc(b, x->family, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->metric, err)) ||
        (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->project, err)) ||
        (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->branch, err)) ||
        (rc = qb_buf_adds(b, "/", err)) || (rc = md_esc(b, x->machine, err)))
      break;
    rc = qb_buf_printf(b, err, " | %s (rms %.3f%s%s) | %s | %s |\n", qb_complexity_name(x->best),
                       x->rms, x->distinguishable ? "" : "; not distinguishable from ",
                       x->distinguishable ? "" : qb_complexity_name(x->runner_up),
                       x->baseline_id ? qb_complexity_name(x->baseline_best) : "-", note);
  }
  if (!rc && r->n_scaling) rc = qb_buf_adds(b, "\n", err);
  /* configurations */
  if (!rc) rc = qb_buf_adds(b, "## Configurations\n\n", err);
  if (!rc && !r->n_configs) rc = qb_buf_adds(b, "No tag with two or more values.\n\n", err);
  for (size_t i = 0; i < r->n_configs && !rc; i++) {
    const qb_report_config *c = &r->configs[i];
    if ((rc = qb_buf_adds(b, "By tag `", err)) || (rc = md_esc(b, c->tag, err)) ||
        (rc = qb_buf_adds(b, "` (", err)) || (rc = md_esc(b, c->project, err)) ||
        (rc = qb_buf_adds(b,
                          "):\n\n| benchmark | metric | best | worst | spread |\n"
                          "|---|---|---|---|---:|\n",
                          err)))
      break;
    for (size_t k = 0; k < c->n_rows && !rc; k++) {
      const qb_config_row *x = &c->rows[k];
      qb_unit_format(x->best_value, x->unit, v1, sizeof v1);
      qb_unit_format(x->worst_value, x->unit, v2, sizeof v2);
      if ((rc = qb_buf_adds(b, "| ", err)) || (rc = md_esc(b, x->bench, err)) ||
          (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->metric, err)) ||
          (rc = qb_buf_adds(b, " | ", err)) || (rc = md_esc(b, x->best, err)) ||
          (rc = qb_buf_printf(b, err, " %s | ", v1)) || (rc = md_esc(b, x->worst, err)))
        break;
      rc = qb_buf_printf(b, err, " %s | %.1f%% |\n", v2,
                         x->best_value != 0
                             ? 100 * fabs(x->worst_value - x->best_value) / fabs(x->best_value)
                             : NAN);
    }
    if (!rc) rc = qb_buf_adds(b, "\n", err);
  }
  /* recommendations */
  if (!rc) rc = qb_buf_adds(b, "## Recommendations\n\n", err);
  if (!rc && !r->n_recs) rc = qb_buf_adds(b, "None: nothing in the data calls for action.\n", err);
  for (size_t i = 0; i < r->n_recs && !rc; i++) {
    if (!(rc = qb_buf_adds(b, "- ", err)) && !(rc = md_esc(b, r->recs[i].text, err)))
      rc = qb_buf_adds(b, "\n", err);
  }
  return rc;
}

/* ---- HTML ----------------------------------------------------------------------------------- */

/* Append s with the HTML metacharacters escaped. */
static int h_esc(qb_buf *b, const char *s, qb_err *err) {
  int rc = QB_OK;
  for (const char *p = s ? s : ""; *p && !rc; p++) {
    switch (*p) {
      case '&':
        rc = qb_buf_adds(b, "&amp;", err);
        break;
      case '<':
        rc = qb_buf_adds(b, "&lt;", err);
        break;
      case '>':
        rc = qb_buf_adds(b, "&gt;", err);
        break;
      case '"':
        rc = qb_buf_adds(b, "&quot;", err);
        break;
      case '\'':
        rc = qb_buf_adds(b, "&#39;", err);
        break;
      default:
        rc = qb_buf_add(b, p, 1, err);
    }
  }
  return rc;
}

/* Colours of the severities (also written inline, for mail clients that drop <style>). */
static const char *sev_color(const char *sev) {
  if (!sev) return "#6b7280";
  if (!strcmp(sev, "critical")) return "#991b1b";
  if (!strcmp(sev, "major")) return "#dc2626";
  if (!strcmp(sev, "moderate")) return "#ea580c";
  if (!strcmp(sev, "minor")) return "#ca8a04";
  return "#6b7280";
}

/* The SVG chart of a change: the series' points as a polyline, the levels before and after as
 * dashed lines, the first bad run marked with a vertical line and a dot. */
static int h_spark(qb_buf *b, const qb_report_change *c, int improvement, qb_err *err) {
  const qb_regression *g = &c->reg;
  char v1[32], v2[32];
  qb_unit_format(g->before, g->series.unit, v1, sizeof v1);
  qb_unit_format(g->after, g->series.unit, v2, sizeof v2);
  int rc = qb_buf_printf(b, err,
                         "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                         "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" data-points=\"%zu\" "
                         "data-change-index=\"%lld\"><title>",
                         SPARK_W, SPARK_H, SPARK_W, SPARK_H, c->n_chart,
                         c->chart_change == (size_t)-1 ? -1LL : (long long)c->chart_change);
  if (!rc) rc = h_esc(b, g->series.bench, err);
  if (!rc)
    rc = qb_buf_printf(b, err, ": %s to %s from run %lld (%zu runs shown)</title>", v1, v2,
                       (long long)g->run_id, c->n_chart);
  if (rc || !c->n_chart) return rc ? rc : qb_buf_adds(b, "</svg>", err);
  double lo = c->chart_values[0], hi = lo;
  for (size_t i = 0; i < c->n_chart; i++) {
    lo = fmin(lo, c->chart_values[i]);
    hi = fmax(hi, c->chart_values[i]);
  }
  if (isfinite(g->before)) lo = fmin(lo, g->before), hi = fmax(hi, g->before);
  if (isfinite(g->after)) lo = fmin(lo, g->after), hi = fmax(hi, g->after);
  if (!(hi > lo)) hi = lo + (lo != 0 ? fabs(lo) * 0.01 : 1);
  double w = SPARK_W - 2 * SPARK_PAD, h = SPARK_H - 2 * SPARK_PAD;
  double dx = c->n_chart > 1 ? w / (double)(c->n_chart - 1) : 0;
#define X(i) (SPARK_PAD + dx * (double)(i) + (c->n_chart > 1 ? 0 : w / 2))
#define Y(v) (SPARK_PAD + h - ((v)-lo) / (hi - lo) * h)
  const char *mark = improvement ? "#16a34a" : sev_color(g->severity);
  size_t k = c->chart_change;
  if (k != (size_t)-1) {
    double xc = k > 0 ? (X(k) + X(k - 1)) / 2 : X(0);
    rc = qb_buf_printf(b, err,
                       "<line class=\"cp\" x1=\"%.1f\" y1=\"1\" x2=\"%.1f\" y2=\"%d\" "
                       "stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"2,2\"/>",
                       xc, xc, SPARK_H - 1, mark);
    if (!rc && isfinite(g->before) && k > 0)
      rc = qb_buf_printf(b, err,
                         "<line class=\"level\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"#9ca3af\" stroke-width=\"1\" stroke-dasharray=\"3,2\"/>",
                         X(0), Y(g->before), xc, Y(g->before));
    if (!rc && isfinite(g->after))
      rc = qb_buf_printf(b, err,
                         "<line class=\"level\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                         "stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"3,2\" "
                         "opacity=\"0.6\"/>",
                         xc, Y(g->after), X(c->n_chart - 1), Y(g->after), mark);
  }
  if (!rc)
    rc = qb_buf_adds(b, "<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" points=\"",
                     err);
  for (size_t i = 0; i < c->n_chart && !rc; i++)
    rc = qb_buf_printf(b, err, "%s%.1f,%.1f", i ? " " : "", X(i), Y(c->chart_values[i]));
  if (!rc) rc = qb_buf_adds(b, "\"/>", err);
  if (!rc && k != (size_t)-1)
    rc = qb_buf_printf(b, err, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", X(k),
                       Y(c->chart_values[k]), mark);
#undef X
#undef Y
  return rc ? rc : qb_buf_adds(b, "</svg>", err);
}

/* A severity badge. */
static int h_badge(qb_buf *b, const char *sev, qb_err *err) {
  return qb_buf_printf(b, err,
                       "<span class=\"sev sev-%s\" style=\"background:%s;color:#fff\">%s</span>",
                       sev, sev_color(sev), sev);
}

/* A table of changes: new regressions / improvements (rows of class "change", with charts) or
 * still-open ones (rows of class "open", with their age). */
static int h_changes(qb_buf *b, const char *id, const char *title, const qb_report_change *c,
                     size_t n, int with_chart, qb_err *err) {
  int rc = qb_buf_printf(b, err, "<section id=\"%s\"><h2>%s <span class=\"count\">%zu</span></h2>",
                         id, title, n);
  if (!rc && !n) rc = qb_buf_adds(b, "<p class=\"none\">None.</p></section>\n", err);
  if (rc || !n) return rc;
  rc = qb_buf_printf(b, err,
                     "<table class=\"changes\"><thead><tr><th>#</th><th>severity</th>"
                     "<th>benchmark</th><th>where</th><th>%s</th><th>before</th>"
                     "<th>after</th><th>change</th><th>p</th><th>%s</th></tr></thead><tbody>",
                     !strcmp(c[0].reg.kind, "improvement") ? "first run" : "first bad run",
                     with_chart ? "trend" : "open for");
  for (size_t i = 0; i < n && !rc; i++) {
    const qb_regression *g = &c[i].reg;
    int improvement = !strcmp(g->kind, "improvement");
    char v1[32], v2[32], p[24], s1[16], s2[16], t[40];
    qb_unit_format(g->before, g->series.unit, v1, sizeof v1);
    qb_unit_format(g->after, g->series.unit, v2, sizeof v2);
    if ((rc = qb_buf_printf(b, err,
                            "<tr class=\"%s %s\" data-id=\"%lld\" data-severity=\"%s\" "
                            "data-run=\"%lld\" data-benchmark=\"",
                            with_chart ? "change" : "open", g->kind, (long long)g->id, g->severity,
                            (long long)g->run_id)) ||
        (rc = h_esc(b, g->series.bench, err)) ||
        (rc = qb_buf_printf(b, err, "\"><td>%lld</td><td>", (long long)g->id)) ||
        (rc = h_badge(b, g->severity, err)) ||
        (rc = qb_buf_adds(b, "</td><td class=\"bench\"><b>", err)) ||
        (rc = h_esc(b, g->series.bench, err)) || (rc = qb_buf_adds(b, "</b> <small>", err)) ||
        (rc = h_esc(b, g->series.metric, err)) ||
        (rc = qb_buf_adds(b, "</small></td><td><small>", err)) ||
        (rc = h_esc(b, g->series.project, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, g->series.branch, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, g->series.machine, err)))
      break;
    rc = qb_buf_printf(b, err,
                       "</small></td><td>run %lld <code>%s..%s</code><br><small>%s</small></td>"
                       "<td class=\"num\">%s</td><td class=\"num\">%s</td>"
                       "<td class=\"num %s\"><b>%+.1f%%</b></td><td class=\"num\">%s</td><td>",
                       (long long)g->run_id, sha8(g->prev_commit_sha, s1, sizeof s1),
                       sha8(g->commit_sha, s2, sizeof s2), short_time(g->time, t, sizeof t), v1, v2,
                       improvement ? "better" : "worse", g->change_pct,
                       pval(g->p_value, p, sizeof p));
    if (!rc && with_chart)
      rc = h_spark(b, &c[i], improvement, err);
    else if (!rc)
      rc = qb_buf_printf(b, err, "%.0f days<br><small>%s</small>", c[i].age_days, g->status);
    if (!rc) rc = qb_buf_adds(b, "</td></tr>", err);
  }
  return rc ? rc : qb_buf_adds(b, "</tbody></table></section>\n", err);
}

/* A trend list as a table. */
static int h_trends(qb_buf *b, const char *cls, const char *title, const qb_report_trend *t,
                    size_t n, qb_err *err) {
  if (!n) return QB_OK;
  int rc = qb_buf_printf(b, err,
                         "<h3>%s</h3><table class=\"%s\"><thead><tr><th>benchmark</th>"
                         "<th>where</th><th>per run</th><th>drift</th><th>noise</th><th>runs</th>"
                         "</tr></thead><tbody>",
                         title, cls);
  for (size_t i = 0; i < n && !rc; i++) {
    const qb_report_trend *x = &t[i];
    if ((rc = qb_buf_adds(b, "<tr><td><b>", err)) || (rc = h_esc(b, x->series.bench, err)) ||
        (rc = qb_buf_adds(b, "</b> <small>", err)) || (rc = h_esc(b, x->series.metric, err)) ||
        (rc = qb_buf_adds(b, "</small></td><td><small>", err)) ||
        (rc = h_esc(b, x->series.project, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->series.branch, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->series.machine, err)))
      break;
    rc = qb_buf_printf(b, err,
                       "</small></td><td class=\"num\">%+.2f%%</td><td class=\"num\">%+.1f%%</td>"
                       "<td class=\"num\">%.1f%%</td><td class=\"num\">%zu</td></tr>",
                       x->trend.slope_pct_per_run, x->drift_pct, x->volatility_pct, x->trend.n);
  }
  return rc ? rc : qb_buf_adds(b, "</tbody></table>", err);
}

/* The page's style sheet (inline; severities are also coloured inline for mail clients). */
static const char CSS[] =
    "body{margin:0;background:#f3f4f6;color:#111827;font:14px/1.45 -apple-system,'Segoe UI',"
    "Helvetica,Arial,sans-serif}"
    ".wrap{max-width:1100px;margin:0 auto;padding:16px 20px;background:#fff}"
    "h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid "
    "#e5e7eb;padding-bottom:4px}h3{font-size:14px;margin:14px 0 6px}"
    ".meta{color:#4b5563;margin:0 0 8px}"
    "table{border-collapse:collapse;width:100%;margin:4px 0 10px}"
    "th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:middle}"
    "th{background:#f9fafb;font-weight:600;font-size:12px;color:#374151}"
    ".num{text-align:right;white-space:nowrap}.worse{color:#b91c1c}.better{color:#15803d}"
    "code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f3f4f6;padding:0 3px}"
    "small{color:#6b7280}.sev{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px}"
    ".count{display:inline-block;min-width:18px;padding:0 6px;border-radius:9px;background:"
    "#e5e7eb;font-size:12px;text-align:center}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 10px}.card{border:1px solid "
    "#e5e7eb;border-radius:6px;padding:6px 10px;min-width:120px}.card b{display:block;font-size:"
    "20px}.grade{font-weight:700;font-size:15px}.none{color:#6b7280}"
    "ul.recs li{margin:4px 0}footer{color:#9ca3af;font-size:12px;margin-top:18px}";

/* The HTML rendering: one self-contained page. */
static int render_html(const qb_report *r, qb_buf *b, qb_err *err) {
  char w[256], t[40], sev[128], v1[32], v2[32];
  window_words(r, w, sizeof w);
  int rc = qb_buf_adds(b,
                       "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                       "<title>qbdb report: ",
                       err);
  if (!rc) rc = h_esc(b, r->project ? r->project : "all projects", err);
  if (!rc)
    rc = qb_buf_printf(b, err, " (%s)</title><style>%s</style></head><body><div class=\"wrap\">",
                       short_time(r->created_at, t, sizeof t), CSS);
  if (!rc) rc = qb_buf_adds(b, "<h1>qbdb report: ", err);
  if (!rc) rc = h_esc(b, r->project ? r->project : "all projects", err);
  if (!rc) rc = qb_buf_printf(b, err, "</h1><p class=\"meta\">%s · ", t);
  if (!rc) rc = h_esc(b, w, err);
  if (!rc && r->id) rc = qb_buf_printf(b, err, " · report #%lld", (long long)r->id);
  if (!rc && !r->id) rc = qb_buf_adds(b, " · not recorded", err);
  if (!rc) rc = qb_buf_adds(b, "</p>\n", err);
  /* summary */
  if (!rc)
    rc = qb_buf_printf(
        b, err,
        "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
        "<div class=\"card\" id=\"card-new\"><b>%zu</b>new regression%s<br><small>%s</small></div>"
        "<div class=\"card\"><b>%zu</b>new improvement%s</div>"
        "<div class=\"card\"><b>%zu</b>still open<br><small>%s</small></div>"
        "<div class=\"card\"><b>%zu</b>target%s broken</div>"
        "<div class=\"card\"><b>%zu</b>series<br><small>%zu degrading, %zu volatile</small></div>"
        "</div>",
        r->n_new_regressions, r->n_new_regressions == 1 ? "" : "s",
        severity_words(r->new_by_severity, sev, sizeof sev), r->n_new_improvements,
        r->n_new_improvements == 1 ? "" : "s", r->n_open_regressions,
        severity_words(r->open_by_severity, v1, sizeof v1), r->targets_broken,
        r->targets_broken == 1 ? "" : "s", r->n_series, r->trend_counts[QB_TREND_DEGRADING],
        r->trend_counts[QB_TREND_VOLATILE]);
  if (!rc && r->n_grades)
    rc = qb_buf_adds(b,
                     "<table class=\"grades\"><thead><tr><th>project</th><th>branch</th>"
                     "<th>machine</th><th>run</th><th>commit</th><th>grade</th><th>score</th>"
                     "<th>targets broken</th></tr></thead><tbody>",
                     err);
  for (size_t i = 0; i < r->n_grades && !rc; i++) {
    const qb_report_grade *g = &r->grades[i];
    char s1[16], sc[16];
    if (isnan(g->grade.score))
      snprintf(sc, sizeof sc, "-");
    else
      snprintf(sc, sizeof sc, "%.1f", g->grade.score);
    if ((rc = qb_buf_adds(b, "<tr><td>", err)) || (rc = h_esc(b, g->project, err)) ||
        (rc = qb_buf_adds(b, "</td><td>", err)) || (rc = h_esc(b, g->branch, err)) ||
        (rc = qb_buf_adds(b, "</td><td>", err)) || (rc = h_esc(b, g->machine, err)))
      break;
    rc = qb_buf_printf(b, err,
                       "</td><td class=\"num\">%lld</td><td><code>%s</code></td><td "
                       "class=\"grade\">%s</td><td class=\"num\">%s</td><td class=\"num\">%zu"
                       "</td></tr>",
                       (long long)g->run_id, sha8(g->commit, s1, sizeof s1), g->grade.letter, sc,
                       g->targets_broken);
  }
  if (!rc && r->n_grades) rc = qb_buf_adds(b, "</tbody></table>", err);
  if (!rc) rc = qb_buf_adds(b, "</section>\n", err);
  if (!rc)
    rc = h_changes(b, "new-regressions", "New regressions", r->new_regressions,
                   r->n_new_regressions, 1, err);
  if (!rc)
    rc = h_changes(b, "new-improvements", "New improvements", r->new_improvements,
                   r->n_new_improvements, 1, err);
  if (!rc)
    rc = h_changes(b, "open-regressions", "Still-open regressions", r->open_regressions,
                   r->n_open_regressions, 0, err);
  /* targets */
  if (!rc)
    rc = qb_buf_printf(b, err,
                       "<section id=\"broken-targets\"><h2>Broken targets <span "
                       "class=\"count\">%zu</span></h2>",
                       r->n_broken);
  if (!rc && !r->n_broken) rc = qb_buf_adds(b, "<p class=\"none\">None.</p>", err);
  if (!rc && r->n_broken)
    rc = qb_buf_adds(b,
                     "<table><thead><tr><th>benchmark</th><th>where</th><th>target</th>"
                     "<th>value</th><th>broken in</th></tr></thead><tbody>",
                     err);
  for (size_t i = 0; i < r->n_broken && !rc; i++) {
    const qb_report_target *x = &r->broken[i];
    qb_unit_format(x->target, x->unit, v1, sizeof v1);
    qb_unit_format(x->value, x->unit, v2, sizeof v2);
    if ((rc = qb_buf_adds(b, "<tr class=\"target\"><td><b>", err)) ||
        (rc = h_esc(b, x->bench, err)) || (rc = qb_buf_adds(b, "</b> <small>", err)) ||
        (rc = h_esc(b, x->metric, err)) || (rc = qb_buf_adds(b, "</small></td><td><small>", err)) ||
        (rc = h_esc(b, x->project, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->branch, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->machine, err)) || (rc = qb_buf_adds(b, "</small></td><td>", err)) ||
        (rc = h_esc(b, x->op, err)))
      break;
    rc = qb_buf_printf(b, err,
                       " %s</td><td class=\"num worse\">%s</td><td>%d of the last %d runs</td>"
                       "</tr>",
                       v1, v2, x->broken_runs, x->checked_runs);
  }
  if (!rc && r->n_broken) rc = qb_buf_adds(b, "</tbody></table>", err);
  if (!rc) rc = qb_buf_adds(b, "</section>\n", err);
  /* trends */
  if (!rc)
    rc = qb_buf_printf(b, err,
                       "<section id=\"trends\"><h2>Trends</h2><p>%zu series: %zu improving, %zu "
                       "stable, %zu degrading, %zu volatile.</p>",
                       r->n_series, r->trend_counts[QB_TREND_IMPROVING],
                       r->trend_counts[QB_TREND_STABLE], r->trend_counts[QB_TREND_DEGRADING],
                       r->trend_counts[QB_TREND_VOLATILE]);
  if (!rc) rc = h_trends(b, "degrading", "Most degrading", r->degrading, r->n_degrading, err);
  if (!rc) rc = h_trends(b, "volatile", "Volatile", r->volatile_series, r->n_volatile, err);
  if (!rc) rc = h_trends(b, "noisy", "Noisy", r->noisy, r->n_noisy, err);
  if (!rc) rc = qb_buf_adds(b, "</section>\n", err);
  /* scaling */
  if (!rc) rc = qb_buf_adds(b, "<section id=\"scaling\"><h2>Scaling</h2>", err);
  if (!rc && !r->n_scaling)
    rc = qb_buf_adds(b, "<p class=\"none\">No benchmark family with a size parameter.</p>", err);
  if (!rc && r->n_scaling)
    rc = qb_buf_adds(b,
                     "<table><thead><tr><th>family</th><th>where</th><th>fit</th>"
                     "<th>before</th><th>note</th></tr></thead><tbody>",
                     err);
  for (size_t i = 0; i < r->n_scaling && !rc; i++) {
    const qb_report_scaling *x = &r->scaling[i];
    char note[160] = "";
    if (x->complexity_changed)
      snprintf(note, sizeof note, "complexity changed");
    else if (x->efficiency_dropped)
      snprintf(note, sizeof note, "efficiency %s=%g-&gt;%g: %.2f, was %.2f", x->param,
               x->params[x->worst_step - 1], x->params[x->worst_step], x->efficiency[x->worst_step],
               x->baseline_efficiency[x->worst_step]);
    if ((rc = qb_buf_adds(b, "<tr class=\"family\"><td><b>", err)) ||
        (rc = h_esc(b, x->family, err)) || (rc = qb_buf_adds(b, "</b> <small>", err)) ||
        (rc = h_esc(b, x->metric, err)) || (rc = qb_buf_adds(b, "</small></td><td><small>", err)) ||
        (rc = h_esc(b, x->project, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->branch, err)) || (rc = qb_buf_adds(b, "/", err)) ||
        (rc = h_esc(b, x->machine, err)))
      break;
    rc = qb_buf_printf(b, err,
                       "</small></td><td>%s <small>rms %.3f%s%s</small></td><td>%s</td><td "
                       "class=\"worse\">%s</td></tr>",
                       qb_complexity_name(x->best), x->rms,
                       x->distinguishable ? "" : "; not distinguishable from ",
                       x->distinguishable ? "" : qb_complexity_name(x->runner_up),
                       x->baseline_id ? qb_complexity_name(x->baseline_best) : "-", note);
  }
  if (!rc && r->n_scaling) rc = qb_buf_adds(b, "</tbody></table>", err);
  if (!rc) rc = qb_buf_adds(b, "</section>\n", err);
  /* configurations */
  if (!rc) rc = qb_buf_adds(b, "<section id=\"configurations\"><h2>Configurations</h2>", err);
  if (!rc && !r->n_configs)
    rc = qb_buf_adds(b, "<p class=\"none\">No tag with two or more values.</p>", err);
  for (size_t i = 0; i < r->n_configs && !rc; i++) {
    const qb_report_config *c = &r->configs[i];
    if ((rc = qb_buf_adds(b, "<h3>By tag <code>", err)) || (rc = h_esc(b, c->tag, err)) ||
        (rc = qb_buf_adds(b, "</code> <small>", err)) || (rc = h_esc(b, c->project, err)) ||
        (rc = qb_buf_adds(b,
                          "</small></h3><table><thead><tr><th>benchmark</th><th>best</th>"
                          "<th>worst</th><th>spread</th></tr></thead><tbody>",
                          err)))
      break;
    for (size_t k = 0; k < c->n_rows && !rc; k++) {
      const qb_config_row *x = &c->rows[k];
      qb_unit_format(x->best_value, x->unit, v1, sizeof v1);
      qb_unit_format(x->worst_value, x->unit, v2, sizeof v2);
      if ((rc = qb_buf_adds(b, "<tr><td><b>", err)) || (rc = h_esc(b, x->bench, err)) ||
          (rc = qb_buf_adds(b, "</b> <small>", err)) || (rc = h_esc(b, x->metric, err)) ||
          (rc = qb_buf_adds(b, "</small></td><td class=\"better\">", err)) ||
          (rc = h_esc(b, x->best, err)) ||
          (rc = qb_buf_printf(b, err, " %s</td><td class=\"worse\">", v1)) ||
          (rc = h_esc(b, x->worst, err)))
        break;
      rc = qb_buf_printf(b, err, " %s</td><td class=\"num\">%.1f%%</td></tr>", v2,
                         x->best_value != 0
                             ? 100 * fabs(x->worst_value - x->best_value) / fabs(x->best_value)
                             : NAN);
    }
    if (!rc) rc = qb_buf_adds(b, "</tbody></table>", err);
  }
  if (!rc) rc = qb_buf_adds(b, "</section>\n", err);
  /* recommendations */
  if (!rc) rc = qb_buf_adds(b, "<section id=\"recommendations\"><h2>Recommendations</h2>", err);
  if (!rc && !r->n_recs)
    rc = qb_buf_adds(b, "<p class=\"none\">None: nothing in the data calls for action.</p>", err);
  if (!rc && r->n_recs) rc = qb_buf_adds(b, "<ul class=\"recs\">", err);
  for (size_t i = 0; i < r->n_recs && !rc; i++) {
    if ((rc = qb_buf_printf(b, err, "<li class=\"rec\" data-kind=\"%s\">", r->recs[i].kind)) ||
        (rc = h_esc(b, r->recs[i].text, err)))
      break;
    rc = qb_buf_adds(b, "</li>", err);
  }
  if (!rc && r->n_recs) rc = qb_buf_adds(b, "</ul>", err);
  if (!rc)
    rc = qb_buf_printf(b, err,
                       "</section>\n<footer>qbdb %s · the JSON form of this report: qbdb report "
                       "--format json</footer></div></body></html>\n",
                       QB_VERSION);
  return rc;
}

/* Render a report in one of the three formats (JSON indented, 17 significant digits). */
int qb_report_render(const qb_report *r, qb_report_format fmt, qb_buf *out, qb_err *err) {
  if (fmt == QB_REPORT_MARKDOWN) return render_md(r, out, err);
  if (fmt == QB_REPORT_HTML) return render_html(r, out, err);
  json_t *j = qb_report_json(r);
  if (!j) return qb_err_set(err, QB_ENOMEM, "out of memory");
  char *text = qb_json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  json_decref(j);
  if (!text) return qb_err_set(err, QB_ENOMEM, "out of memory");
  int rc = qb_buf_adds(out, text, err);
  free(text);
  return rc ? rc : qb_buf_adds(out, "\n", err);
}

/* ---- the webhook summary -------------------------------------------------------------------- */

/* The webhook body: the summary and a Slack-compatible "text" (docs/cli/report.md). */
int qb_report_notify_body(const qb_report *r, qb_buf *out, qb_err *err) {
  qb_buf text;
  char sev[128], v[32], s1[16], s2[16];
  qb_buf_init(&text, (size_t)1 << 20);
  int rc = qb_buf_printf(
      &text, err,
      "qbdb report%s%s: %zu new regression%s (%s), %zu new improvement%s, %zu still "
      "open, %zu target%s broken",
      r->project ? " for " : "", r->project ? r->project : "", r->n_new_regressions,
      r->n_new_regressions == 1 ? "" : "s", severity_words(r->new_by_severity, sev, sizeof sev),
      r->n_new_improvements, r->n_new_improvements == 1 ? "" : "s", r->n_open_regressions,
      r->targets_broken, r->targets_broken == 1 ? "" : "s");
  for (size_t i = 0; i < r->n_new_regressions && i < 5 && !rc; i++) {
    const qb_regression *g = &r->new_regressions[i].reg;
    qb_unit_format(g->after, g->series.unit, v, sizeof v);
    rc = qb_buf_printf(&text, err, "\n- %s: %s (%s) %+.1f%% to %s, commits %s..%s (%s/%s)",
                       g->severity, g->series.bench, g->series.metric, g->change_pct, v,
                       sha8(g->prev_commit_sha, s1, sizeof s1), sha8(g->commit_sha, s2, sizeof s2),
                       g->series.project, g->series.branch);
  }
  if (!rc && r->n_new_regressions > 5)
    rc = qb_buf_printf(&text, err, "\n- and %zu more", r->n_new_regressions - 5);
  for (size_t i = 0; i < r->n_grades && !rc; i++)
    rc = qb_buf_printf(&text, err, "%s%s/%s/%s %s", i ? ", " : "\ngrades: ", r->grades[i].project,
                       r->grades[i].branch, r->grades[i].machine, r->grades[i].grade.letter);
  json_t *o = json_object(), *top = json_array();
  if (!rc && (!o || !top)) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  if (!rc) {
    set_str(o, "text", text.data ? text.data : "");
    set_id(o, "report_id", r->id);
    set_str(o, "project", r->project);
    set_time(o, "created_at", r->created_at);
    set_str(o, "window", window_name(r->window));
    json_object_set_new(o, "new_regressions", by_severity(r->new_by_severity));
    json_object_set_new(o, "new_improvements", json_integer((json_int_t)r->n_new_improvements));
    json_object_set_new(o, "open_regressions", by_severity(r->open_by_severity));
    json_object_set_new(o, "targets_broken", json_integer((json_int_t)r->targets_broken));
    for (size_t i = 0; i < r->n_new_regressions && i < 5; i++)
      json_array_append_new(top, json_change(&r->new_regressions[i], 0));
    json_object_set_new(o, "worst", top);
    top = NULL;
    char *body = qb_json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!body)
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    else
      rc = qb_buf_adds(out, body, err);
    free(body);
  }
  json_decref(top);
  json_decref(o);
  qb_buf_dispose(&text);
  return rc;
}

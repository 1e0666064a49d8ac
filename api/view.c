/* api/view.c - JSON views of runs. */
#include "api/view.h"

#include <math.h>

#include "core/time.h"

/* Set obj[key] to a string, or null for NULL. */
static void set_str(json_t *obj, const char *key, const char *v) {
  json_object_set_new(obj, key, v ? json_string(v) : json_null());
}

static void set_time(json_t *obj, const char *key, int64_t us) {
  char buf[40];
  json_object_set_new(obj, key,
                      us == QB_TIME_NONE ? json_null()
                                         : json_string(qb_time_format(us, buf, sizeof buf)));
}

static void set_num(json_t *obj, const char *key, double v) {
  json_object_set_new(obj, key, isnan(v) ? json_null() : json_real(v));
}

static void set_count(json_t *obj, const char *key, int64_t v) {
  json_object_set_new(obj, key, v < 0 ? json_null() : json_integer(v));
}

/* Parse stored JSON text back into a value (null for NULL or unparsable text). */
static json_t *raw(const char *text) {
  if (!text) return json_null();
  json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
  return v ? v : json_null();
}

json_t *qb_view_run_info(const qb_run_info *info) {
  json_t *o = json_object(), *tags = json_object();
  if (!o || !tags) {
    json_decref(o);
    json_decref(tags);
    return NULL;
  }
  json_object_set_new(o, "id", json_integer(info->id));
  set_str(o, "project", info->project);
  set_str(o, "branch", info->branch);
  set_str(o, "machine", info->machine);
  set_str(o, "commit", info->commit_sha);
  set_time(o, "commit_time", info->commit_time);
  set_time(o, "started_at", info->started_at);
  set_time(o, "ingested_at", info->ingested_at);
  set_str(o, "format", info->format);
  set_str(o, "tool_version", info->tool_version);
  set_str(o, "content_hash", info->content_hash);
  for (size_t i = 0; i < info->n_tags; i++)
    json_object_set_new(tags, info->tags[i].key, json_string(info->tags[i].value));
  json_object_set_new(o, "tags", tags);
  json_object_set_new(o, "n_benchmarks", json_integer(info->n_benches));
  json_object_set_new(o, "n_results", json_integer(info->n_results));
  json_object_set_new(o, "n_samples", json_integer(info->n_samples));
  return o;
}

static json_t *view_result(const qb_result *r, int with_samples) {
  json_t *o = json_object();
  if (!o) return NULL;
  const qb_stats *x = &r->stats;
  set_str(o, "metric", r->metric);
  set_str(o, "unit", r->unit);
  set_str(o, "direction", r->direction == QB_HIGHER_IS_BETTER ? "higher" : "lower");
  set_count(o, "n", x->n);
  set_num(o, "min", x->min);
  set_num(o, "median", x->median);
  set_num(o, "mean", x->mean);
  set_num(o, "stddev", x->stddev);
  set_num(o, "max", x->max);
  set_num(o, "p95", x->p95);
  set_num(o, "p99", x->p99);
  set_num(o, "q1", x->q1);
  set_num(o, "q3", x->q3);
  set_count(o, "outliers", x->outliers);
  set_num(o, "estimate", x->estimate);
  set_num(o, "ci_lo", x->ci_lo);
  set_num(o, "ci_hi", x->ci_hi);
  json_object_set_new(o, "extra", raw(r->extra));
  if (with_samples && r->n_samples) {
    json_t *s = json_object(), *v = json_array(), *it = json_array();
    for (size_t i = 0; i < r->n_samples; i++) {
      json_array_append_new(v, json_real(r->samples[i]));
      json_array_append_new(it, json_integer(r->iters ? (json_int_t)r->iters[i] : 1));
    }
    json_object_set_new(s, "values", v);
    json_object_set_new(s, "iters", it);
    json_object_set_new(o, "samples", s);
  }
  return o;
}

json_t *qb_view_run(const qb_run_info *info, const qb_run *run, int with_samples) {
  json_t *o = qb_view_run_info(info), *benches = json_array();
  if (!o || !benches) {
    json_decref(o);
    json_decref(benches);
    return NULL;
  }
  json_object_set_new(o, "machine_info", raw(info->machine_info));
  json_object_set_new(o, "extra", raw(info->extra));
  for (size_t i = 0; run && i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    json_t *bo = json_object(), *results = json_array();
    set_str(bo, "name", b->name);
    set_str(bo, "group", b->group);
    json_object_set_new(bo, "params", raw(b->params));
    json_object_set_new(bo, "extra", raw(b->extra));
    for (size_t k = 0; k < b->n_results; k++)
      json_array_append_new(results, view_result(&b->results[k], with_samples));
    json_object_set_new(bo, "results", results);
    json_array_append_new(benches, bo);
  }
  json_object_set_new(o, "benchmarks", benches);
  return o;
}

json_t *qb_view_ingest(const char *path, const qb_run *run, const qb_ingest_result *res) {
  json_t *o = json_object();
  if (!o) return NULL;
  set_str(o, "path", path);
  json_object_set_new(o, "run_id", json_integer(res->run_id));
  json_object_set_new(o, "existed", json_boolean(res->existed));
  set_str(o, "project", run->project);
  set_str(o, "branch", run->branch);
  set_str(o, "machine", run->machine);
  set_str(o, "commit", run->commit_sha);
  set_str(o, "format", run->format);
  json_object_set_new(o, "benchmarks", json_integer((json_int_t)res->n_benches));
  json_object_set_new(o, "results", json_integer((json_int_t)res->n_results));
  json_object_set_new(o, "samples", json_integer((json_int_t)res->n_samples));
  return o;
}

/* One side of a compare row. */
static json_t *view_side(const qb_compare_side *x) {
  if (!x->present) return json_null();
  json_t *o = json_object();
  set_count(o, "n", x->n);
  json_object_set_new(o, "samples", json_integer((json_int_t)x->n_samples));
  set_num(o, "median", x->median);
  set_num(o, "mean", x->mean);
  set_num(o, "stddev", x->stddev);
  set_num(o, "centre", x->centre);
  set_str(o, "centre_kind", x->centre_kind);
  set_num(o, "ci_low", x->ci_lo);
  set_num(o, "ci_high", x->ci_hi);
  json_object_set_new(o, "runs", json_integer(x->runs));
  return o;
}

json_t *qb_view_baseline(const qb_baseline *b) {
  json_t *o = json_object(), *runs = json_array();
  if (!o || !runs) {
    json_decref(o);
    json_decref(runs);
    return NULL;
  }
  set_str(o, "rule", b->rule);
  set_str(o, "reason", b->reason);
  set_str(o, "branch", b->branch[0] ? b->branch : NULL);
  for (size_t i = 0; i < b->n_runs; i++) json_array_append_new(runs, json_integer(b->runs[i]));
  json_object_set_new(o, "runs", runs);
  return o;
}

json_t *qb_view_compare(const qb_compare *c, int only_changed) {
  json_t *o = json_object(), *rows = json_array(), *sum = json_object();
  if (!o || !rows || !sum) {
    json_decref(o);
    json_decref(rows);
    json_decref(sum);
    return NULL;
  }
  json_object_set_new(o, "base", qb_view_run_info(&c->base));
  json_object_set_new(o, "head", qb_view_run_info(&c->head));
  json_object_set_new(o, "baseline", qb_view_baseline(&c->baseline));
  set_num(o, "alpha", c->alpha);
  set_num(o, "threshold_pct", c->threshold);
  set_str(o, "correction", c->correction);
  for (size_t i = 0; i < c->n_rows; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    json_t *ro = json_object(), *sh = json_object();
    set_str(ro, "benchmark", r->benchmark);
    set_str(ro, "metric", r->metric);
    set_str(ro, "unit", r->unit);
    set_str(ro, "direction", r->higher_is_better ? "higher" : "lower");
    json_object_set_new(ro, "primary", json_boolean(r->primary));
    json_object_set_new(ro, "base", view_side(&r->base));
    json_object_set_new(ro, "head", view_side(&r->head));
    set_num(ro, "change_pct", r->change_pct);
    set_num(ro, "p_value", r->p_value);
    set_num(ro, "p_adjusted", r->p_adjusted);
    set_str(ro, "test", r->test);
    json_object_set_new(ro, "exact", json_boolean(r->exact));
    set_num(sh, "estimate", r->shift);
    set_num(sh, "ci_low", r->shift_lo);
    set_num(sh, "ci_high", r->shift_hi);
    json_object_set_new(ro, "shift", sh);
    set_num(ro, "noise_pct", r->noise_pct);
    json_object_set_new(ro, "history_runs", json_integer(r->history_runs));
    json_object_set_new(ro, "noise_known", json_boolean(r->noise_known));
    json_object_set_new(ro, "noise_segments", json_integer(r->noise_segments));
    json_object_set_new(ro, "noise_borrowed", json_boolean(r->noise_borrowed));
    set_num(ro, "noise_sigma_pct", r->noise_sigma);
    set_num(ro, "noise_df", r->noise_df);
    set_num(ro, "noise_p", r->noise_p);
    set_num(ro, "noise_p_adjusted", r->noise_p_adjusted);
    set_num(ro, "threshold_pct", r->threshold_pct);
    set_num(ro, "alpha", r->alpha);
    json_object_set_new(ro, "significant", json_boolean(r->significant));
    json_object_set_new(ro, "beyond_noise", json_boolean(r->beyond_noise));
    set_str(ro, "severity", qb_severity_name(r->severity));
    set_str(ro, "verdict", qb_verdict_name(r->verdict));
    set_str(ro, "note", r->note);
    if (r->has_target) {
      json_t *t = json_object();
      set_str(t, "op", r->target_op);
      set_num(t, "value", r->target_value);
      json_object_set_new(t, "met", json_boolean(r->target_met));
      json_object_set_new(ro, "target", t);
    } else {
      json_object_set_new(ro, "target", json_null());
    }
    json_array_append_new(rows, ro);
  }
  json_object_set_new(o, "rows", rows);
  set_num(sum, "geomean_change_pct", c->geomean_change_pct);
  set_str(sum, "geomean_metric", c->geomean_metric);
  json_object_set_new(sum, "regressions", json_integer((json_int_t)c->regressions));
  json_object_set_new(sum, "improvements", json_integer((json_int_t)c->improvements));
  json_object_set_new(sum, "unchanged", json_integer((json_int_t)c->unchanged));
  json_object_set_new(sum, "added", json_integer((json_int_t)c->added));
  json_object_set_new(sum, "removed", json_integer((json_int_t)c->removed));
  json_object_set_new(sum, "tests", json_integer((json_int_t)c->n_tests));
  json_object_set_new(sum, "other_regressions", json_integer((json_int_t)c->other_regressions));
  json_object_set_new(sum, "other_improvements", json_integer((json_int_t)c->other_improvements));
  json_object_set_new(sum, "noise_unknown", json_integer((json_int_t)c->noise_unknown));
  json_object_set_new(sum, "all_metrics", json_boolean(c->all_metrics));
  const qb_noise_prior *pr = &c->prior[1];
  json_t *prior = json_object();
  json_object_set_new(prior, "rows", json_integer((json_int_t)pr->rows));
  set_num(prior, "sigma_pct", pr->rows >= 3 ? pr->s0 * 100.0 : NAN);
  set_num(prior, "df", pr->rows >= 3 && isfinite(pr->d0) ? pr->d0 : NAN);
  json_object_set_new(prior, "agree", json_boolean(pr->rows >= 3 && isinf(pr->d0)));
  json_object_set_new(sum, "noise_prior", prior);
  set_str(sum, "worst_regression", c->regressions ? qb_severity_name(c->worst_regression) : NULL);
  json_object_set_new(o, "summary", sum);
  return o;
}

json_t *qb_view_regression(const qb_regression *r) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "id", json_integer(r->id));
  set_str(o, "kind", r->kind);
  set_str(o, "severity", r->severity);
  set_str(o, "status", r->status);
  set_str(o, "project", r->series.project);
  set_str(o, "branch", r->series.branch);
  set_str(o, "machine", r->series.machine);
  set_str(o, "benchmark", r->series.bench);
  set_str(o, "metric", r->series.metric);
  set_str(o, "unit", r->series.unit);
  json_object_set_new(o, "run_id", json_integer(r->run_id));
  set_str(o, "commit", r->commit_sha);
  json_object_set_new(o, "prev_run_id",
                      r->prev_run_id ? json_integer(r->prev_run_id) : json_null());
  set_str(o, "prev_commit", r->prev_commit_sha);
  set_time(o, "time", r->time);
  set_num(o, "before", r->before);
  set_num(o, "after", r->after);
  set_num(o, "change_pct", r->change_pct);
  set_num(o, "p_value", r->p_value);
  json_object_set_new(o, "active", json_boolean(r->active));
  set_str(o, "note", r->note);
  set_str(o, "triaged_by", r->triaged_by);
  set_time(o, "triaged_at", r->triaged_at);
  return o;
}

json_t *qb_view_regressions(const qb_regression *regs, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) json_array_append_new(arr, qb_view_regression(&regs[i]));
  return arr;
}

json_t *qb_view_trend(const qb_trend_report *r) {
  json_t *o = json_object(), *pts = json_array(), *cps = json_array(), *t = json_object();
  set_str(o, "project", r->series.project);
  set_str(o, "branch", r->series.branch);
  set_str(o, "machine", r->series.machine);
  set_str(o, "benchmark", r->series.bench);
  set_str(o, "metric", r->series.metric);
  set_str(o, "unit", r->series.unit);
  set_str(o, "direction", r->series.higher_is_better ? "higher" : "lower");
  for (size_t i = 0; i < r->n_points; i++) {
    const qb_series_point *p = &r->points[i];
    json_t *po = json_object();
    json_object_set_new(po, "run_id", json_integer(p->run_id));
    set_str(po, "commit", p->commit_sha);
    set_time(po, "time", p->time);
    set_num(po, "value", p->value);
    set_num(po, "ci_low", p->ci_lo);
    set_num(po, "ci_high", p->ci_hi);
    set_count(po, "n", p->n);
    json_array_append_new(pts, po);
  }
  for (size_t i = 0; i < r->n_changes; i++) {
    const qb_changepoint *c = &r->changes[i];
    json_t *co = json_object();
    json_object_set_new(co, "index", json_integer((json_int_t)c->index));
    json_object_set_new(co, "run_id", json_integer(r->points[c->index].run_id));
    set_num(co, "before", c->before);
    set_num(co, "after", c->after);
    set_num(co, "change_pct", c->change * 100.0);
    set_num(co, "p_value", c->p);
    json_array_append_new(cps, co);
  }
  set_str(t, "direction", qb_trend_name(r->trend.direction));
  set_num(t, "strength", r->trend.strength);
  set_num(t, "slope_pct_per_run", r->trend.slope_pct_per_run);
  set_num(t, "noise_pct", r->trend.noise_pct);
  json_object_set_new(t, "from_run_id",
                      r->n_points ? json_integer(r->points[r->trend.from].run_id) : json_null());
  json_object_set_new(t, "n", json_integer((json_int_t)r->trend.n));
  json_object_set_new(o, "points", pts);
  json_object_set_new(o, "change_points", cps);
  json_object_set_new(o, "trend", t);
  return o;
}

json_t *qb_view_grade(const qb_grade_report *g) {
  json_t *o = json_object(), *comp = json_object(), *in = json_object(), *regs = json_object();
  json_object_set_new(o, "run", qb_view_run_info(&g->run));
  json_object_set_new(o, "baseline_id",
                      g->baseline_id ? json_integer(g->baseline_id) : json_null());
  set_num(o, "score", g->grade.score);
  set_str(o, "letter", g->grade.letter);
  set_num(comp, "regressions", g->grade.regressions_score);
  set_num(comp, "targets", g->grade.targets_score);
  set_num(comp, "stability", g->grade.stability_score);
  set_num(comp, "coverage", g->grade.coverage_score);
  json_object_set_new(o, "components", comp);
  json_object_set_new(in, "benchmarks", json_integer((json_int_t)g->input.benchmarks));
  json_object_set_new(in, "baseline_benchmarks",
                      json_integer((json_int_t)g->input.baseline_benchmarks));
  json_object_set_new(in, "compared", json_integer((json_int_t)g->input.compared));
  for (int s = 1; s <= 4; s++)
    json_object_set_new(regs, qb_severity_name((qb_severity)s),
                        json_integer((json_int_t)g->input.regressions[s]));
  json_object_set_new(in, "regressions", regs);
  json_object_set_new(in, "improvements", json_integer((json_int_t)g->input.improvements));
  json_object_set_new(in, "targets", json_integer((json_int_t)g->input.targets));
  json_object_set_new(in, "targets_met", json_integer((json_int_t)g->input.targets_met));
  set_num(in, "noise_pct", g->input.noise_pct);
  json_object_set_new(o, "input", in);
  return o;
}

json_t *qb_view_scaling(const qb_scaling_report *r) {
  json_t *o = json_object(), *pts = json_array(), *fits = json_array();
  json_object_set_new(o, "run", qb_view_run_info(&r->run));
  set_str(o, "family", r->family);
  set_str(o, "parameter", r->param_name);
  set_str(o, "metric", r->metric);
  set_str(o, "unit", r->unit);
  for (size_t i = 0; i < r->n_points; i++) {
    json_t *p = json_object();
    set_str(p, "benchmark", r->points[i].bench);
    set_num(p, "param", r->points[i].param);
    set_num(p, "value", r->points[i].value);
    set_num(p, "efficiency", r->points[i].efficiency);
    json_array_append_new(pts, p);
  }
  for (int m = 0; m < QB_N_COMPLEXITIES; m++) {
    json_t *f = json_object();
    set_str(f, "model", qb_complexity_name((qb_complexity)m));
    set_num(f, "coef", r->fit.coef[m]);
    set_num(f, "rms", r->fit.rms[m]);
    json_array_append_new(fits, f);
  }
  json_object_set_new(o, "points", pts);
  set_str(o, "best", qb_complexity_name(r->fit.best));
  json_object_set_new(o, "fits", fits);
  return o;
}

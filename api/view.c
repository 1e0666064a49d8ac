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
    set_num(ro, "threshold_pct", r->threshold_pct);
    set_num(ro, "alpha", r->alpha);
    json_object_set_new(ro, "significant", json_boolean(r->significant));
    set_str(ro, "severity", qb_severity_name(r->severity));
    set_str(ro, "verdict", qb_verdict_name(r->verdict));
    set_str(ro, "note", r->note);
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
  set_str(sum, "worst_regression", c->regressions ? qb_severity_name(c->worst_regression) : NULL);
  json_object_set_new(o, "summary", sum);
  return o;
}

/* view/json.c - JSON views of runs. */
#include "view/json.h"

#include <math.h>
#include <string.h>

#include "adapters/json_out.h"
#include "analysis/describe.h"
#include "analysis/interval.h"
#include "core/time.h"
#include "view/compare.h"

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

/* Writer helpers: a time (ISO 8601, null when unknown) and a count (null when negative). */
static void w_time(qb_jw *w, int64_t us) {
  char buf[40];
  qb_jw_str(w, us == QB_TIME_NONE ? NULL : qb_time_format(us, buf, sizeof buf));
}

static void w_count(qb_jw *w, int64_t v) {
  if (v < 0)
    qb_jw_null(w);
  else
    qb_jw_int(w, v);
}

/* The fields of qb_view_run_info, written. */
static void w_run_info(qb_jw *w, const qb_run_info *info) {
  qb_jw_obj(w);
  qb_jw_key(w, "id");
  qb_jw_int(w, info->id);
  qb_jw_key(w, "project");
  qb_jw_str(w, info->project);
  qb_jw_key(w, "branch");
  qb_jw_str(w, info->branch);
  qb_jw_key(w, "machine");
  qb_jw_str(w, info->machine);
  qb_jw_key(w, "commit");
  qb_jw_str(w, info->commit_sha);
  qb_jw_key(w, "commit_time");
  w_time(w, info->commit_time);
  qb_jw_key(w, "started_at");
  w_time(w, info->started_at);
  qb_jw_key(w, "ingested_at");
  w_time(w, info->ingested_at);
  qb_jw_key(w, "format");
  qb_jw_str(w, info->format);
  qb_jw_key(w, "tool_version");
  qb_jw_str(w, info->tool_version);
  qb_jw_key(w, "content_hash");
  qb_jw_str(w, info->content_hash);
  qb_jw_key(w, "tags");
  qb_jw_obj(w);
  for (size_t i = 0; i < info->n_tags; i++) {
    size_t k = i + 1; /* a later tag with the same key replaces an earlier one, as in a tree */
    while (k < info->n_tags && strcmp(info->tags[k].key, info->tags[i].key)) k++;
    if (k < info->n_tags) continue;
    qb_jw_key(w, info->tags[i].key);
    qb_jw_str(w, info->tags[i].value);
  }
  qb_jw_end(w);
  qb_jw_key(w, "n_benchmarks");
  qb_jw_int(w, info->n_benches);
  qb_jw_key(w, "n_results");
  qb_jw_int(w, info->n_results);
  qb_jw_key(w, "n_samples");
  qb_jw_int(w, info->n_samples);
  qb_jw_end(w);
}

json_t *qb_view_run_info(const qb_run_info *info) {
  qb_jw w;
  qb_jw_init_tree(&w);
  w_run_info(&w, info);
  return qb_jw_take_tree(&w);
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

/* The centre kind of a stored result: its median, else its mean, else the tool's estimate. */
static qb_centre_kind centre_kind(const qb_stats *x) {
  return !isnan(x->median) ? QB_CENTRE_MEDIAN
         : !isnan(x->mean) ? QB_CENTRE_MEAN
                           : QB_CENTRE_ESTIMATE;
}

/* The 95% interval of r's centre from its raw samples and the tool's CI (analysis/interval.h);
 * samples with a NaN leave it to the tool's. QB_ENOMEM when the sorted copy cannot be made. */
static int result_interval(const qb_result *r, double tool_lo, double tool_hi, qb_interval *out) {
  double *s = r->n_samples ? malloc(r->n_samples * sizeof *s) : NULL;
  size_t n = r->n_samples;
  if (n && !s) return QB_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (isnan(s[i] = r->samples[i])) n = 0;
  if (n) qb_sort_doubles(s, n);
  *out = qb_interval_of(centre_kind(&r->stats), s, n, tool_lo, tool_hi);
  free(s);
  return QB_OK;
}

json_t *qb_view_samples(const qb_run_info *info, const qb_bench *b, const qb_result *r,
                        size_t max) {
  const qb_stats *x = &r->stats;
  qb_summary sum;
  qb_err err = QB_ERR_INIT;
  qb_interval iv;
  if (result_interval(r, x->ci_lo, x->ci_hi, &iv)) return NULL;
  int described = r->n_samples && qb_describe(r->samples, r->n_samples, &sum, &err) == QB_OK;
  json_t *o = json_object(), *arr = json_array(), *s = json_object();
  if (!o || !arr || !s) {
    json_decref(o);
    json_decref(arr);
    json_decref(s);
    return NULL;
  }
  json_object_set_new(o, "run_id", json_integer(info->id));
  set_str(o, "project", info->project);
  set_str(o, "branch", info->branch);
  set_str(o, "machine", info->machine);
  set_str(o, "commit", info->commit_sha);
  set_str(o, "benchmark", b->name);
  set_str(o, "metric", r->metric);
  set_str(o, "unit", r->unit);
  set_str(o, "direction", r->direction == QB_HIGHER_IS_BETTER ? "higher" : "lower");
  set_count(o, "n", r->n_samples ? (int64_t)r->n_samples : x->n);
  /* at most max of them, evenly spaced in their stored order (the order they were measured) */
  size_t k = r->n_samples > max ? max : r->n_samples;
  for (size_t i = 0; i < k; i++) {
    size_t at = k == r->n_samples ? i : (size_t)((double)i * (double)r->n_samples / (double)k);
    json_array_append_new(arr, isnan(r->samples[at]) ? json_null() : json_real(r->samples[at]));
  }
  json_object_set_new(o, "returned", json_integer((json_int_t)k));
  json_object_set_new(o, "truncated", json_boolean(k < r->n_samples));
  json_object_set_new(o, "samples", arr);
  /* from all the samples (type-7 quantiles), else the statistics the tool stored */
  set_num(s, "min", described ? sum.min : x->min);
  set_num(s, "q1", described ? sum.q1 : x->q1);
  set_num(s, "median", described ? sum.median : x->median);
  set_num(s, "q3", described ? sum.q3 : x->q3);
  set_num(s, "max", described ? sum.max : x->max);
  set_num(s, "mean", described ? sum.mean : x->mean);
  json_object_set_new(s, "source", json_string(described ? "samples" : "stored"));
  json_object_set_new(o, "summary", s);
  set_num(o, "lo", iv.lo);
  set_num(o, "hi", iv.hi);
  set_str(o, "interval", qb_interval_name(iv.kind));
  return o;
}

json_t *qb_view_run_api(const qb_run_info *info, const qb_run *run, int with_samples,
                        const char *repo_url) {
  json_t *o = qb_view_run(info, run, with_samples);
  if (!o) return NULL;
  set_str(o, "repo_url", repo_url);
  json_t *benches = json_object_get(o, "benchmarks");
  for (size_t i = 0; run && i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    json_t *results = json_object_get(json_array_get(benches, i), "results");
    for (size_t k = 0; k < b->n_results; k++) {
      const qb_result *r = &b->results[k];
      json_t *ro = json_array_get(results, k);
      if (!ro) continue;
      const char *source = NULL;
      if (!isnan(r->stats.ci_lo) && !isnan(r->stats.ci_hi)) {
        source = "tool";
      } else if (r->n_samples) {
        /* the tool stored no CI: the 95% CI of the result's centre from its raw samples, as the
         * trend's "ci-samples" points (analysis/interval.h) */
        qb_interval iv;
        if (result_interval(r, NAN, NAN, &iv)) {
          json_decref(o);
          return NULL;
        }
        if (iv.kind == QB_INTERVAL_CI_SAMPLES) {
          set_num(ro, "ci_lo", iv.lo);
          set_num(ro, "ci_hi", iv.hi);
          source = "samples";
        }
      }
      set_str(ro, "ci_source", source);
    }
  }
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

/* Key k with a number (null when NAN), a string (null when NULL), an integer or a boolean. */
static void w_num(qb_jw *w, const char *k, double v) {
  qb_jw_key(w, k);
  qb_jw_real(w, v);
}
static void w_str(qb_jw *w, const char *k, const char *v) {
  qb_jw_key(w, k);
  qb_jw_str(w, v);
}
static void w_int(qb_jw *w, const char *k, long long v) {
  qb_jw_key(w, k);
  qb_jw_int(w, v);
}
static void w_bool(qb_jw *w, const char *k, int v) {
  qb_jw_key(w, k);
  qb_jw_bool(w, v);
}

/* One side of a compare row. */
static void w_side(qb_jw *w, const qb_compare_side *x) {
  if (!x->present) {
    qb_jw_null(w);
    return;
  }
  qb_jw_obj(w);
  qb_jw_key(w, "n");
  w_count(w, x->n);
  w_int(w, "samples", (long long)x->n_samples);
  w_num(w, "median", x->median);
  w_num(w, "mean", x->mean);
  w_num(w, "stddev", x->stddev);
  w_num(w, "centre", x->centre);
  w_str(w, "centre_kind", x->centre_kind);
  w_num(w, "ci_low", x->ci_lo);
  w_num(w, "ci_high", x->ci_hi);
  w_num(w, "pm", qb_compare_side_pm(x)); /* the "±" of the text table, in percent */
  w_int(w, "runs", x->runs);
  qb_jw_end(w);
}

/* The fields of qb_view_baseline, written. */
static void w_baseline(qb_jw *w, const qb_baseline *b) {
  qb_jw_obj(w);
  w_str(w, "rule", b->rule);
  w_str(w, "reason", b->reason);
  w_str(w, "branch", b->branch[0] ? b->branch : NULL);
  qb_jw_key(w, "runs");
  qb_jw_arr(w);
  for (size_t i = 0; i < b->n_runs; i++) qb_jw_int(w, b->runs[i]);
  qb_jw_end(w);
  qb_jw_end(w);
}

json_t *qb_view_baseline(const qb_baseline *b) {
  qb_jw w;
  qb_jw_init_tree(&w);
  w_baseline(&w, b);
  return qb_jw_take_tree(&w);
}

/* The fields of qb_view_compare, written. */
static void w_compare(qb_jw *w, const qb_compare *c, int only_changed) {
  qb_jw_obj(w);
  qb_jw_key(w, "base");
  w_run_info(w, &c->base);
  qb_jw_key(w, "head");
  w_run_info(w, &c->head);
  qb_jw_key(w, "baseline");
  w_baseline(w, &c->baseline);
  w_num(w, "alpha", c->alpha);
  w_num(w, "threshold_pct", c->threshold);
  w_str(w, "correction", c->correction);
  qb_jw_key(w, "rows");
  qb_jw_arr(w);
  for (size_t i = 0; i < c->n_rows; i++) {
    const qb_compare_row *r = &c->rows[i];
    if (only_changed && r->verdict == QB_VERDICT_UNCHANGED) continue;
    qb_jw_obj(w);
    w_str(w, "benchmark", r->benchmark);
    w_str(w, "metric", r->metric);
    w_str(w, "unit", r->unit);
    w_str(w, "direction", r->higher_is_better ? "higher" : "lower");
    w_bool(w, "primary", r->primary);
    qb_jw_key(w, "base");
    w_side(w, &r->base);
    qb_jw_key(w, "head");
    w_side(w, &r->head);
    w_num(w, "change_pct", r->change_pct);
    w_num(w, "p_value", r->p_value);
    w_num(w, "p_adjusted", r->p_adjusted);
    w_str(w, "test", r->test);
    w_bool(w, "exact", r->exact);
    qb_jw_key(w, "shift");
    qb_jw_obj(w);
    w_num(w, "estimate", r->shift);
    w_num(w, "ci_low", r->shift_lo);
    w_num(w, "ci_high", r->shift_hi);
    qb_jw_end(w);
    w_num(w, "noise_pct", r->noise_pct);
    w_int(w, "history_runs", r->history_runs);
    w_bool(w, "noise_known", r->noise_known);
    w_int(w, "noise_segments", r->noise_segments);
    w_bool(w, "noise_borrowed", r->noise_borrowed);
    w_num(w, "noise_sigma_pct", r->noise_sigma);
    w_num(w, "noise_df", r->noise_df);
    w_num(w, "noise_p", r->noise_p);
    w_num(w, "noise_p_adjusted", r->noise_p_adjusted);
    w_num(w, "threshold_pct", r->threshold_pct);
    w_num(w, "min_change_pct", r->min_change_pct);
    w_num(w, "alpha", r->alpha);
    w_bool(w, "significant", r->significant);
    w_bool(w, "beyond_noise", r->beyond_noise);
    w_str(w, "severity", qb_severity_name(r->severity));
    w_str(w, "verdict", qb_verdict_name(r->verdict));
    w_str(w, "note", r->note);
    qb_jw_key(w, "target");
    if (r->has_target) {
      qb_jw_obj(w);
      w_str(w, "op", r->target_op);
      w_num(w, "value", r->target_value);
      w_bool(w, "met", r->target_met);
      qb_jw_end(w);
    } else {
      qb_jw_null(w);
    }
    qb_jw_end(w);
  }
  qb_jw_end(w);
  qb_jw_key(w, "summary");
  qb_jw_obj(w);
  w_num(w, "geomean_change_pct", c->geomean_change_pct);
  w_str(w, "geomean_metric", c->geomean_metric);
  w_int(w, "regressions", (long long)c->regressions);
  w_int(w, "improvements", (long long)c->improvements);
  w_int(w, "unchanged", (long long)c->unchanged);
  w_int(w, "added", (long long)c->added);
  w_int(w, "removed", (long long)c->removed);
  w_int(w, "tests", (long long)c->n_tests);
  w_int(w, "other_regressions", (long long)c->other_regressions);
  w_int(w, "other_improvements", (long long)c->other_improvements);
  w_int(w, "noise_unknown", (long long)c->noise_unknown);
  w_bool(w, "all_metrics", c->all_metrics);
  const qb_noise_prior *pr = &c->prior[1];
  qb_jw_key(w, "noise_prior");
  qb_jw_obj(w);
  w_int(w, "rows", (long long)pr->rows);
  w_num(w, "sigma_pct", pr->rows >= 3 ? pr->s0 * 100.0 : NAN);
  w_num(w, "df", pr->rows >= 3 && isfinite(pr->d0) ? pr->d0 : NAN);
  w_bool(w, "agree", pr->rows >= 3 && isinf(pr->d0));
  qb_jw_end(w);
  w_str(w, "worst_regression", c->regressions ? qb_severity_name(c->worst_regression) : NULL);
  qb_jw_end(w);
  qb_jw_end(w);
}

json_t *qb_view_compare(const qb_compare *c, int only_changed) {
  qb_jw w;
  qb_jw_init_tree(&w);
  w_compare(&w, c, only_changed);
  return qb_jw_take_tree(&w);
}

char *qb_view_compare_text(const qb_compare *c, int only_changed, size_t flags) {
  qb_jw w;
  qb_jw_init(&w, flags);
  w_compare(&w, c, only_changed);
  return qb_jw_text(&w);
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
  set_time(o, "gone_at", r->active ? QB_TIME_NONE : r->gone_at);
  json_object_set_new(o, "superseded_by",
                      r->superseded_by ? json_integer(r->superseded_by) : json_null());
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

/* The stored state of session r, parsed (NULL when the listing left it out or it is not JSON):
 * the caller decrefs it. */
static json_t *bisect_state(const qb_bisect_record *r) {
  return r->state ? json_loads(r->state, 0, NULL) : NULL;
}

/* A number of a stored result, or null. */
static json_t *num_of(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_real(json_number_value(v)) : json_null();
}

/* A string of a stored result, or null. */
static json_t *str_of(const json_t *o, const char *key) {
  const char *v = json_string_value(json_object_get(o, key));
  return v ? json_string(v) : json_null();
}

/* qb_view_bisect from the record and its parsed state st (may be NULL). */
static json_t *view_bisect(const qb_bisect_record *r, const json_t *st) {
  json_t *o = json_object(), *culprits = json_array();
  if (!o || !culprits) {
    json_decref(o);
    json_decref(culprits);
    return NULL;
  }
  const json_t *res = json_object_get(st, "result"), *s;
  size_t i;
  json_object_set_new(o, "id", json_integer(r->id));
  set_str(o, "status", r->status);
  set_str(o, "machine", r->machine);
  set_str(o, "good", r->good_commit);
  set_str(o, "bad", r->bad_commit);
  set_time(o, "started_at", r->started_at);
  set_time(o, "updated_at", r->updated_at);
  json_object_set_new(o, "outcome", str_of(res, "outcome"));
  json_array_foreach(json_object_get(res, "steps"), i, s) {
    json_t *c = json_object();
    if (!c) continue;
    json_object_set_new(c, "before", str_of(s, "before"));
    json_object_set_new(c, "after", str_of(s, "after"));
    const json_t *k = json_object_get(s, "commits");
    json_object_set_new(c, "commits",
                        json_is_integer(k) ? json_integer(json_integer_value(k)) : json_null());
    json_object_set_new(c, "subject", str_of(s, "subject"));
    json_object_set_new(c, "change_pct", num_of(s, "change_pct"));
    json_object_set_new(c, "confirmed",
                        json_boolean(json_is_true(json_object_get(s, "confirmed"))));
    json_array_append_new(culprits, c);
  }
  json_object_set_new(o, "culprits", culprits);
  if (res) { /* finished: the result's counts */
    const json_t *runs = json_object_get(res, "runs");
    json_object_set_new(
        o, "runs", json_is_integer(runs) ? json_integer(json_integer_value(runs)) : json_null());
    json_object_set_new(o, "seconds", num_of(res, "seconds"));
  } else if (json_is_array(json_object_get(st, "observations"))) { /* running: so far */
    json_int_t runs = 0;
    double secs = 0;
    json_array_foreach(json_object_get(st, "observations"), i, s) {
      runs += json_is_true(json_object_get(s, "ok"));
      if (json_is_number(json_object_get(s, "secs")))
        secs += json_number_value(json_object_get(s, "secs"));
    }
    json_object_set_new(o, "runs", json_integer(runs));
    json_object_set_new(o, "seconds", json_real(secs));
  } else {
    json_object_set_new(o, "runs", json_null());
    json_object_set_new(o, "seconds", json_null());
  }
  return o;
}

json_t *qb_view_bisect(const qb_bisect_record *r) {
  json_t *st = bisect_state(r), *o = view_bisect(r, st);
  json_decref(st);
  return o;
}

json_t *qb_view_bisect_session(const qb_bisect_record *r, const char *repo_url) {
  json_t *st = bisect_state(r), *o = view_bisect(r, st);
  if (!o) goto done;
  const json_t *res = json_object_get(st, "result");
  set_str(o, "project", r->project);
  json_object_set_new(o, "regression_id",
                      r->regression_id ? json_integer(r->regression_id) : json_null());
  set_str(o, "benchmark", r->benchmark);
  set_str(o, "metric", r->metric);
  set_str(o, "repo_url", repo_url);
  static const char *const nums[] = {"good_level", "bad_level", "change_pct", "p", "alpha"};
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    json_object_set_new(o, nums[i], num_of(res, nums[i]));
  static const char *const counts[] = {"fixed_runs", "invocations"};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    const json_t *v = json_object_get(res, counts[i]);
    json_object_set_new(o, counts[i],
                        json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null());
  }
  json_t *tests = json_object_get(res, "tests"), *steps = json_object_get(res, "steps");
  json_object_set_new(o, "tests", json_is_array(tests) ? json_incref(tests) : json_array());
  json_object_set_new(o, "steps", json_is_array(steps) ? json_incref(steps) : json_array());
  json_t *argv = json_object_get(json_object_get(st, "command"), "argv");
  json_object_set_new(o, "command", json_is_array(argv) ? json_incref(argv) : json_null());
done:
  json_decref(st);
  return o;
}

json_t *qb_view_regression_bisect(const qb_regression *r, const qb_bisect_record *b,
                                  const char *repo_url) {
  json_t *o = qb_view_regression(r);
  if (!o) return NULL;
  json_t *v = b ? qb_view_bisect(b) : json_null();
  if (b && v) set_str(v, "repo_url", repo_url);
  json_object_set_new(o, "bisect", v ? v : json_null());
  return o;
}

json_t *qb_view_regressions_with_bisects(const qb_regression *regs, size_t n,
                                         const qb_regression_bisects *b) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    int have = b && i < b->n && b->of;
    json_array_append_new(arr, qb_view_regression_bisect(&regs[i], have ? b->of[i] : NULL,
                                                         have ? b->repo_urls[i] : NULL));
  }
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
    /* the point's interval (analysis/interval.h): the tool's CI, a CI from the raw samples, or
     * their range; null when there is none */
    const qb_interval *iv = r->intervals ? &r->intervals[i] : NULL;
    set_num(po, "lo", iv ? iv->lo : NAN);
    set_num(po, "hi", iv ? iv->hi : NAN);
    set_str(po, "interval", iv ? qb_interval_name(iv->kind) : NULL);
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
  json_t *drifts = json_array();
  for (size_t i = 0; i < r->n_drifts; i++) {
    const qb_cp_drift *d = &r->drifts[i];
    json_t *dobj = json_object();
    json_object_set_new(dobj, "from_index", json_integer((json_int_t)d->from));
    json_object_set_new(dobj, "to_index", json_integer((json_int_t)d->to - 1));
    json_object_set_new(dobj, "from_run_id", json_integer(r->points[d->from].run_id));
    json_object_set_new(dobj, "to_run_id", json_integer(r->points[d->to - 1].run_id));
    json_object_set_new(dobj, "runs", json_integer((json_int_t)(d->to - d->from)));
    set_num(dobj, "before", d->before);
    set_num(dobj, "after", d->after);
    set_num(dobj, "change_pct", d->change * 100.0);
    set_num(dobj, "p_value", d->p);
    json_array_append_new(drifts, dobj);
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
  json_object_set_new(o, "drifts", drifts);
  json_object_set_new(o, "trend", t);
  const qb_trend_segment *g = &r->segment;
  json_t *seg = json_null();
  if (g->present && g->from < r->n_points) {
    seg = json_object();
    json_object_set_new(seg, "from_run_id", json_integer(r->points[g->from].run_id));
    json_object_set_new(seg, "from_index", json_integer((json_int_t)g->from));
    json_object_set_new(seg, "runs", json_integer((json_int_t)g->runs));
    set_num(seg, "centre", g->centre);
    set_num(seg, "low", g->low);
    set_num(seg, "high", g->high);
    set_num(seg, "noise_pct", g->noise_pct);
    json_object_set_new(seg, "noise_known", json_boolean(g->noise_known));
    json_object_set_new(seg, "history_runs", json_integer((json_int_t)g->history_runs));
  }
  json_object_set_new(o, "segment", seg);
  json_t *br = json_array(), *ma = json_array();
  for (size_t i = 0; i < r->n_branches; i++) json_array_append_new(br, json_string(r->branches[i]));
  for (size_t i = 0; i < r->n_machines; i++) json_array_append_new(ma, json_string(r->machines[i]));
  json_object_set_new(o, "branches", br);
  json_object_set_new(o, "machines", ma);
  set_str(o, "repo_url", r->repo_url);
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
    set_num(p, "se", r->points[i].se);
    set_str(p, "noise", r->points[i].noise);
    json_array_append_new(pts, p);
  }
  const qb_scaling_wfit *w = &r->fit;
  json_t *close = json_array(), *uw = json_object(), *ufits = json_array();
  for (int m = 0; m < QB_N_COMPLEXITIES; m++) {
    json_t *f = json_object(), *u = json_object();
    set_str(f, "model", qb_complexity_name((qb_complexity)m));
    set_num(f, "coef", w->coef[m]);
    set_num(f, "rms", w->rms[m]);
    set_num(f, "chi2", w->chi2[m]);
    set_num(f, "scale", w->scale[m]);
    set_num(f, "aic", w->aic[m]);
    set_num(f, "delta_aic", w->delta[m]);
    set_num(f, "weight", w->weight[m]);
    json_array_append_new(fits, f);
    if (qb_scaling_close(w, (qb_complexity)m))
      json_array_append_new(close, json_string(qb_complexity_name((qb_complexity)m)));
    set_str(u, "model", qb_complexity_name((qb_complexity)m));
    set_num(u, "coef", r->unweighted.coef[m]);
    set_num(u, "rms", r->unweighted.rms[m]);
    json_array_append_new(ufits, u);
  }
  json_object_set_new(o, "points", pts);
  set_str(o, "best", qb_complexity_name(w->best));
  set_str(o, "runner_up", qb_complexity_name(w->second));
  json_object_set_new(o, "distinguishable", json_boolean(w->distinguishable));
  json_object_set_new(o, "not_distinguishable", close);
  json_object_set_new(o, "sizes_with_noise", json_integer((json_int_t)w->n_noise));
  set_num(o, "p", w->p);
  json_object_set_new(o, "fits", fits);
  set_str(uw, "best", qb_complexity_name(r->unweighted.best));
  json_object_set_new(uw, "fits", ufits);
  json_object_set_new(o, "unweighted", uw);
  return o;
}

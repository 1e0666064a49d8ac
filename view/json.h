/* view/json.h - JSON views of stored data, shared by the CLI (--format json) and the HTTP API.
 *
 * Ownership: each function returns a new jansson reference (json_decref it), or NULL when out
 * of memory. Values are in base units with a "unit" field; times are ISO 8601 strings. */
#ifndef QB_VIEW_JSON_H
#define QB_VIEW_JSON_H

#include <jansson.h>

#include "service/compare.h"
#include "service/history.h"
#include "service/regression_bisects.h"
#include "ingest/ingest.h"
#include "schema/model.h"
#include "schema/store.h"

/* {"id", "project", "branch", "machine", "commit", "commit_time", "started_at", "ingested_at",
 *  "format", "tool_version", "content_hash", "tags": {...}, "n_benchmarks", "n_results",
 *  "n_samples"} */
json_t *qb_view_run_info(const qb_run_info *info);

/* The run info plus "machine_info", "extra" and "benchmarks": [{"name", "group", "params",
 * "extra", "results": [{"metric", "unit", "direction", "n", "min", "median", "mean", "stddev",
 * "max", "p95", "p99", "q1", "q3", "outliers", "estimate", "ci_lo", "ci_hi", "extra",
 * "samples" (only when with_samples and present: {"values": [...], "iters": [...]})}]}]. */
json_t *qb_view_run(const qb_run_info *info, const qb_run *run, int with_samples);

/* GET /api/v1/runs/{id} (with_samples 0) and `qbdb show --format json`: qb_view_run plus
 * "repo_url" (the project's
 * setting, NULL: null) and, on each result, "ci_source": "tool" when the tool stored its CI
 * (ci_lo, ci_hi as stored), "samples" when it stored none and ci_lo, ci_hi are the 95% CI of the
 * result's centre computed from run's raw samples (analysis/interval.h: the median's order
 * statistics, the mean's Student t), else null. run must be loaded with its samples' values. */
json_t *qb_view_run_api(const qb_run_info *info, const qb_run *run, int with_samples,
                        const char *repo_url);

/* GET /api/v1/samples: the raw samples of result r of benchmark b of run info: {"run_id",
 * "project", "branch", "machine", "commit", "benchmark", "metric", "unit", "direction", "n" (the
 * samples stored, else the tool's n), "returned", "truncated", "samples": [at most max, evenly
 * spaced in stored order when there are more], "summary": {"min", "q1", "median", "q3", "max",
 * "mean", "source": "samples" (from all of them) or "stored" (the tool's statistics)}, "lo",
 * "hi", "interval" (as a trend point's)}. */
json_t *qb_view_samples(const qb_run_info *info, const qb_bench *b, const qb_result *r, size_t max);

/* What an ingest stored: {"path", "run_id", "existed", "project", "branch", "machine", "commit",
 * "format", "benchmarks", "results", "samples"}. path may be NULL (an HTTP upload). */
json_t *qb_view_ingest(const char *path, const qb_run *run, const qb_ingest_result *res);

/* A baseline: {"rule", "reason", "branch", "runs": [ids, newest first]}. */
json_t *qb_view_baseline(const qb_baseline *b);
/* A comparison (the documented contract, docs/cli/compare.md): {"base": run, "head": run,
 * "alpha", "threshold_pct", "correction", "rows": [...], "summary": {...}}. only_changed
 * drops rows whose verdict is "unchanged". */
json_t *qb_view_compare(const qb_compare *c, int only_changed);
/* The same as text, byte for byte what qb_json_dumps(qb_view_compare(c, only_changed), flags)
 * gives (flags: JSON_COMPACT or JSON_INDENT(n)), written without building the tree; NULL when
 * out of memory. The caller frees it. */
char *qb_view_compare_text(const qb_compare *c, int only_changed, size_t flags);

/* Stored changes: [{"id", "kind", "severity", "status", "project", "branch", "machine",
 * "benchmark", "metric", "unit", "run_id", "commit", "prev_run_id", "prev_commit", "time",
 * "before", "after", "change_pct", "p_value", "active", "note", "triaged_by", "triaged_at"}]. */
/* One change record (the objects of qb_view_regressions). */
json_t *qb_view_regression(const qb_regression *r);
json_t *qb_view_regressions(const qb_regression *regs, size_t n);

/* A `qbdb bisect` session, as shown with its regression record: {"id", "status" ("running",
 * "done", "failed"), "machine", "good", "bad", "started_at", "updated_at", "outcome" ("found",
 * "not reproduced", "no step"; null until the search finished), "culprits": [{"before", "after",
 * "commits" (after - before in history: 1 is exactly one commit), "subject" (of after),
 * "change_pct", "confirmed"}] (the result's steps, in history order), "runs" (values measured),
 * "seconds" (wall time of the invocations)}; while running, runs and seconds are those so far.
 * r's state may be NULL (a listing without states): outcome, runs and seconds null, culprits []. */
json_t *qb_view_bisect(const qb_bisect_record *r);
/* GET /api/v1/bisects/{id}: qb_view_bisect plus "project", "regression_id" (null: --good/--bad),
 * "benchmark", "metric", "repo_url" (the project's, may be NULL), the result's "good_level",
 * "bad_level", "change_pct", "p", "alpha", "fixed_runs", "invocations" (null until finished),
 * "tests" and "steps" (as stored, [] until finished) and "command" (its argv, or null). */
json_t *qb_view_bisect_session(const qb_bisect_record *r, const char *repo_url);
/* qb_view_regression plus "bisect": qb_view_bisect(b) with "repo_url" (of the record's project,
 * for commit links; may be NULL), or null when b is NULL (no session). */
json_t *qb_view_regression_bisect(const qb_regression *r, const qb_bisect_record *b,
                                  const char *repo_url);
/* The records regs[0..n) as qb_view_regression_bisect, each with its newest session from b
 * (service/regression_bisects.h; NULL: none, every "bisect" null). */
json_t *qb_view_regressions_with_bisects(const qb_regression *regs, size_t n,
                                         const qb_regression_bisects *b);

/* A trend: {"project", "branch", "machine", "benchmark", "metric", "unit", "direction",
 * "points": [{"run_id", "commit", "time", "value", "ci_low", "ci_high", "n"}],
 * "change_points": [{"index", "run_id", "before", "after", "change_pct", "p_value"}],
 * "drifts": [{"from_index", "to_index", "from_run_id", "to_run_id", "runs", "before", "after",
 *             "change_pct", "p_value"}] (to: the last drifting point),
 * "trend": {"direction", "strength", "slope_pct_per_run", "noise_pct", "from_run_id", "n"},
 * "segment": {"from_run_id", "from_index", "runs", "centre", "low", "high", "noise_pct",
 *             "noise_known", "history_runs"} or null, "branches": [...], "machines": [...],
 * "repo_url"}; each point also has "lo", "hi" and "interval" ("ci", "ci-samples", "min-max" or
 * null: analysis/interval.h). */
json_t *qb_view_trend(const qb_trend_report *r);

/* A grade: {"run": run, "baseline_id", "score", "letter", "components": {...}, "input": {...}}. */
json_t *qb_view_grade(const qb_grade_report *g);

/* A scaling fit: {"run": run, "family", "parameter", "metric", "unit", "points": [{"benchmark",
 * "param", "value", "efficiency", "se", "noise"}], "best", "runner_up", "distinguishable",
 * "not_distinguishable": [model], "sizes_with_noise", "p", "fits": [{"model", "coef", "rms",
 * "chi2", "scale", "aic", "delta_aic", "weight"}], "unweighted": {"best", "fits": [{"model",
 * "coef", "rms"}]}} (docs/cli/grade.md#scaling). */
json_t *qb_view_scaling(const qb_scaling_report *r);

#endif

/* view/json.h - JSON views of stored data, shared by the CLI (--format json) and the HTTP API.
 *
 * Ownership: each function returns a new jansson reference (json_decref it), or NULL when out
 * of memory. Values are in base units with a "unit" field; times are ISO 8601 strings. */
#ifndef QB_VIEW_JSON_H
#define QB_VIEW_JSON_H

#include <jansson.h>

#include "service/compare.h"
#include "service/history.h"
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

/* A trend: {"project", "branch", "machine", "benchmark", "metric", "unit", "direction",
 * "points": [{"run_id", "commit", "time", "value", "ci_low", "ci_high", "n"}],
 * "change_points": [{"index", "run_id", "before", "after", "change_pct", "p_value"}],
 * "drifts": [{"from_index", "to_index", "from_run_id", "to_run_id", "runs", "before", "after",
 *             "change_pct", "p_value"}] (to: the last drifting point),
 * "trend": {"direction", "strength", "slope_pct_per_run", "noise_pct", "from_run_id", "n"}}. */
json_t *qb_view_trend(const qb_trend_report *r);

/* A grade: {"run": run, "baseline_id", "score", "letter", "components": {...}, "input": {...}}. */
json_t *qb_view_grade(const qb_grade_report *g);

/* A scaling fit: {"run": run, "family", "parameter", "metric", "unit", "points": [{"benchmark",
 * "param", "value", "efficiency"}], "best", "fits": [{"model", "coef", "rms"}]}. */
json_t *qb_view_scaling(const qb_scaling_report *r);

#endif

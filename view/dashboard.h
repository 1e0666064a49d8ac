/* view/dashboard.h - the JSON of a dashboard (GET /api/v1/dashboard, docs/api/README.md):
 * {"project", "branch", "repo_url", "n_runs", "latest_run": run (as GET /runs) or null, "grade":
 * grade (as GET /runs/{id}/grade) or null, "grades": [{"run_id", "commit", "time", "grade",
 * "score"}] (oldest first), "regressions": {"open": {"critical", "major", "moderate", "minor"},
 * "newest": [records as GET /regressions]}, "runs": [runs, newest first], "series": [{"benchmark",
 * "family", "params": {...}, "metric", "unit", "direction", "machine", "n", "points": [[run_id,
 * value], ...], "first_time", "last_time", "change_points": [run_id, ...], "last_change_pct",
 * "open_regression"}]}.
 *
 * Ownership: the text and the tree are the caller's (free, json_decref); NULL when out of
 * memory. */
#ifndef QB_VIEW_DASHBOARD_H
#define QB_VIEW_DASHBOARD_H

#include <jansson.h>
#include <stddef.h>

#include "service/dashboard.h"

/* The dashboard as text (flags: JSON_COMPACT or JSON_INDENT(n)), written without building the
 * tree: byte for byte what qb_json_dumps(qb_view_dashboard(d), flags) gives. */
char *qb_view_dashboard_text(const qb_dashboard *d, size_t flags);
/* The same as a tree. */
json_t *qb_view_dashboard(const qb_dashboard *d);

#endif

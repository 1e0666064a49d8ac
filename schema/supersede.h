/* schema/supersede.h - which change record took the place of one that detection no longer finds
 * (qb_store_regressions_replace, both backends; private to schema/).
 *
 * Ownership: qb_supersede_match only reads rows and writes the caller's by[]. */
#ifndef QB_SCHEMA_SUPERSEDE_H
#define QB_SCHEMA_SUPERSEDE_H

#include <stddef.h>
#include <stdint.h>

/* One change record of a series, after a detection wrote it. */
typedef struct qb_supersede_row {
  int64_t id, run_id, run_time; /* run_time: the run's place in the series (with run_id) */
  int64_t position;             /* the change's index in the series when found (-1: unknown) */
  int improvement;              /* kind: 1 improvement, 0 regression */
  int active;                   /* found by this detection */
  int stale;                    /* this detection made it inactive (it was active) */
  int fresh;                    /* this detection made it active (new, or found again) */
  int64_t triaged_at;           /* 0 or less: never triaged */
} qb_supersede_row;

/* The farthest a change may move, in points of its series, and still be the same change: as
 * far as the report takes a change within for one it listed (docs/cli/report.md), change-point
 * detection moving a change by up to two runs as later runs refine it. */
#define QB_SUPERSEDE_MAX_MOVE 2

/* rows[0..n) in any order: by[i] is the index of the row that stale row i is superseded by, or
 * -1 (also for rows that are not stale). A stale row is superseded by its nearest active
 * neighbour in series order (run_time, run_id) on either side when that row is fresh, of the same
 * kind and at most QB_SUPERSEDE_MAX_MOVE points away (both positions known): no change point lies
 * between the two, so both mark the same change, which moved. When both neighbours qualify, the
 * nearer wins (the later on a tie). inherit[j] is the row whose triage row j takes over: of the
 * triaged rows it supersedes, the latest triaged, when row j has no triage of its own; else -1. */
void qb_supersede_match(const qb_supersede_row *rows, size_t n, long *by, long *inherit);

#endif

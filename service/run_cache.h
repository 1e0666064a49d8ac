/* service/run_cache.h - decoded runs (results and raw samples) kept in memory by the server, so
 * that compares of hot runs do not read and decode them from the store again (issue 14).
 *
 * A run is cached under (id, content hash, data generation): stored runs never change, and the
 * only change to what a run holds, a prune dropping its raw samples, bumps the generation
 * (qb_store_generation). A lookup reads the run's row and the generation first (two indexed
 * reads), so an answer is never older than the database. The cache is bounded in bytes and
 * drops the least recently used runs first; it is safe to share between threads. It also keeps
 * the history a compare reads for its noise model (qb_run_cache_history).
 *
 * Ownership: the cache owns its runs. qb_run_cache_load hands out a reference to a shared
 * read-only run that the caller gives back with qb_run_cache_release (a run dropped from the
 * cache meanwhile is freed on its last release). With a NULL cache (or a run too big for it)
 * the reference owns a plain qb_store_load_run result, which release frees. */
#ifndef QB_SERVICE_RUN_CACHE_H
#define QB_SERVICE_RUN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/changepoint.h"
#include "core/err.h"
#include "schema/model.h"
#include "schema/store.h"

typedef struct qb_run_cache qb_run_cache;

/* A run handed out by qb_run_cache_load. */
typedef struct qb_run_ref {
  const qb_run *run;
  void *entry; /* the cache's (NULL: run is owned by the reference) */
} qb_run_ref;

/* A cache of at most max_bytes of runs (an estimate of their heap size), or NULL when out of
 * memory. Free with qb_run_cache_free (every run handed out must have been released). */
qb_run_cache *qb_run_cache_new(size_t max_bytes);
void qb_run_cache_free(qb_run_cache *c);

/* Run id with its raw sample values (no iteration counts: what a compare reads), as
 * qb_store_load_run(s, id, QB_LOAD_VALUES, info, ...) gives it: info is
 * filled (the caller disposes it), out->run is read-only until qb_run_cache_release(c, out),
 * which also clears *out (a cleared or zeroed reference may be released again). */
int qb_run_cache_load(qb_run_cache *c, qb_store *s, int64_t id, qb_run_info *info, qb_run_ref *out,
                      qb_err *err);
void qb_run_cache_release(qb_run_cache *c, qb_run_ref *ref);

/* Keep `stored`, the run just stored as id, as qb_run_cache_load would read it back (no read of
 * its results and samples from the store): generation is the data generation read before the
 * run was stored, so that a prune since then leaves the copy unused. Only the run's row is read
 * (its run-level fields); a run whose content hash is not stored's is not kept. The sample
 * arrays and the texts of stored's benchmarks and results move into the cache (stored keeps its
 * run-level fields and names, and is still freed by its owner). */
int qb_run_cache_seed(qb_run_cache *c, qb_store *s, int64_t id, int64_t generation, qb_run *stored,
                      qb_err *err);

/* The raw samples of result r (of benchmark b of ref->run) sorted ascending, kept with the
 * cached run; NULL when the reference has none (uncached, or r has no samples). */
const double *qb_run_ref_sorted(const qb_run_ref *ref, const qb_bench *b, const qb_result *r);

/* What qb_store_history(s, run_id, per_series, ...) gives, from the cache when it was read at the
 * data generation the store shows now (a history changes only by a run stored before the end of
 * one of its series, or a prune, and both bump the generation), with the change points marked as
 * stored now (one statement). A history not kept is read with qb_store_history_with: the series
 * whose point before run_id's is the previous run's take that run's kept history (an upload's
 * base is the run uploaded before it). The last 64 histories are kept. *out is the caller's
 * (qb_history_free). A NULL cache reads the store. */
int qb_run_cache_history(qb_run_cache *c, qb_store *s, int64_t run_id, int per_series,
                         qb_history_point **out, size_t *n, qb_err *err);

/* The ends of series that detection read (what the incremental update reads again after the
 * next run), kept under their detection marker: n points analysed, the last from run at time.
 * A marker changes whenever a series changes otherwise (a run stored before the marker or a prune
 * clears it), so a tail kept under the marker the store shows is the series' end as stored.
 * qb_run_cache_tail_get copies the kept points [*from, n) (malloc'd ids and values, the
 * caller's) when the series has a tail under exactly that marker starting at or before from_max,
 * and into *memo (when not NULL) a copy of the change-point candidates of its blocks kept with it
 * (analysis/changepoint.h; zeroed when none); it returns 0 when it has none.
 * qb_run_cache_tail_put keeps ids/x[from..n), and takes *memo (when not NULL; zeroed). Bounded:
 * 16 MiB, least recently used out first. A NULL cache keeps nothing. */
int qb_run_cache_tail_get(qb_run_cache *c, int64_t series, size_t n, int64_t run, int64_t time,
                          size_t from_max, size_t *from, int64_t **ids, double **x,
                          qb_cp_memo *memo);
void qb_run_cache_tail_put(qb_run_cache *c, int64_t series, size_t n, int64_t run, int64_t time,
                           size_t from, const int64_t *ids, const double *x, qb_cp_memo *memo);

/* What the cache did so far (for tests and /metrics). */
typedef struct qb_run_cache_stats {
  uint64_t hits, misses, evictions;
  size_t runs, bytes;
  uint64_t history_hits, history_misses;
  size_t histories, history_bytes;
  uint64_t tail_hits, tail_misses;
  size_t tails, tail_bytes;
} qb_run_cache_stats;
void qb_run_cache_stats_get(qb_run_cache *c, qb_run_cache_stats *out);

#endif

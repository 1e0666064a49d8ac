/* ingest/ingest.h - from a path (or bytes) to one validated, deduplicated run in the store.
 *
 * Ownership: qb_ingest_prepare gives the caller a qb_run (free with qb_run_free); the other
 * functions only borrow. Nothing is written unless the whole run is valid, and a run is written
 * in one transaction, so bad input leaves the database exactly as it was. */
#ifndef QB_INGEST_INGEST_H
#define QB_INGEST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/adapter.h"
#include "core/err.h"
#include "schema/model.h"
#include "schema/store.h"

#define QB_DEFAULT_PROJECT "default"
#define QB_DEFAULT_BRANCH  "main"
#define QB_DEFAULT_MACHINE "localhost"

/* Largest per-iteration duration accepted (one week, in ns); more is treated as corrupt. */
#define QB_MAX_DURATION_NS 6.048e14

/* Longest name accepted, in bytes: a benchmark's name and group, a metric's name, the project,
 * branch and machine. A longer one is refused (QB_EFORMAT, naming the field) before anything is
 * stored: names are keys of the store, of every answer and of the web page. */
#define QB_MAX_NAME 1024

typedef struct qb_ingest_opts {
  qb_format format;    /* QB_FMT_AUTO: detect */
  const char *project; /* overrides what the file says when not NULL */
  const char *branch;
  const char *commit;
  const char *machine;
  const qb_tag *tags; /* added to (and overriding) the file's tags */
  size_t n_tags;
  /* the machine when neither machine nor the file names one (hyperfine, go test and cargo
   * bench output do not): `qbdb ingest` and `qbdb upload` send the host's name, so that one CI
   * box is one machine whatever tool wrote the file; NULL: QB_DEFAULT_MACHINE */
  const char *default_machine;
} qb_ingest_opts;

#define QB_INGEST_OPTS_INIT                                                                        \
  { QB_FMT_AUTO, NULL, NULL, NULL, NULL, NULL, 0, NULL }

typedef struct qb_ingest_result {
  int64_t run_id;
  int existed;   /* 1: the same content was stored before; run_id is that run */
  int key_taken; /* qb_ingest_store_idem: the key was recorded before (by an earlier or a
                    concurrent request); nothing was stored, run_id is the run the key names */
  size_t n_benches, n_results, n_samples;
} qb_ingest_result;

/* Read and parse path, apply opts and defaults (project "default", branch "main", machine
 * "localhost", started_at now), validate every value (finite; durations, sizes and rates not
 * negative; durations at most QB_MAX_DURATION_NS; names at most QB_MAX_NAME bytes; unique
 * benchmark names; unique metrics per benchmark) and fill the statistics the tool did not give
 * from the raw samples. */
int qb_ingest_prepare(const char *path, const qb_ingest_opts *opts, qb_run **out, qb_err *err);

/* The same for content already in memory (an HTTP upload); name is used in messages and fmt
 * may not be QB_FMT_CRITERION (a directory). */
int qb_ingest_prepare_bytes(const char *name, const char *data, size_t len,
                            const qb_ingest_opts *opts, qb_run **out, qb_err *err);

/* Store a prepared run (one transaction). An identical earlier upload is not an error: res
 * tells it existed. */
int qb_ingest_store(qb_store *s, const qb_run *run, qb_ingest_result *res, qb_err *err);

/* The same, recording the idempotency key k with the run in that transaction
 * (qb_store_insert_run_idem). A key recorded before is not an error either: res->key_taken,
 * nothing stored, and *hit tells the run and the request the key stands for (the caller decides
 * whether this request is that one). */
int qb_ingest_store_idem(qb_store *s, const qb_run *run, const qb_idem *k, qb_idem_hit *hit,
                         qb_ingest_result *res, qb_err *err);

/* Validate and complete a parsed run in place (what prepare does after parsing). */
int qb_ingest_finish(const char *name, qb_run *run, const qb_ingest_opts *opts, qb_err *err);

#endif

/* schema/store.h - the one interface to persistent storage. All SQL lives behind it.
 *
 * A qb_store is opened from a location ("path/to/file.db" or "sqlite:path"; other URL schemes
 * are reserved for later backends such as PostgreSQL) and dispatches to its backend.
 *
 * Ownership: qb_store_open gives a store the caller closes with qb_store_close(). Functions
 * returning rows (`**out`, arrays) hand them to the caller, who frees them with the matching
 * *_free(). The store never parses tool output: it persists and loads qb_run models. */
#ifndef QB_SCHEMA_STORE_H
#define QB_SCHEMA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "schema/model.h"

typedef struct qb_store qb_store;

enum {
  QB_STORE_CREATE = 1,       /* create the database when it does not exist */
  QB_STORE_BG_CHECKPOINT = 2 /* leave WAL checkpoints to a thread in qb_store_checkpoint_due */
};

/* Open (and migrate to the newest schema) the database at location. Refuses, with QB_EDB, a
 * file that is not a qbdb database and a database whose schema is newer than this binary.
 * Without QB_STORE_CREATE a missing file is QB_ENOTFOUND. */
int qb_store_open(qb_store **out, const char *location, int flags, qb_err *err);
/* Close the store (NULL is fine). */
void qb_store_close(qb_store *s);

/* Checkpoints off the request path (`qbdb serve`, docs/storage.md). A connection normally
 * checkpoints the WAL itself after the commit that makes it long (with fsyncs, inside that
 * request). Connections opened with QB_STORE_BG_CHECKPOINT only note that a checkpoint is due;
 * a background thread calls qb_store_checkpoint_due on its own connection s: it waits up to
 * timeout_ms for a due checkpoint (or qb_store_checkpoint_interrupt) and then runs it (PASSIVE:
 * writers are not blocked). Returns 0 or an error of the checkpoint. */
int qb_store_checkpoint_due(qb_store *s, int timeout_ms, qb_err *err);
/* Wake every qb_store_checkpoint_due waiting (at shutdown). */
void qb_store_checkpoint_interrupt(void);
/* 1 when s's backend has checkpoints to run (SQLite's WAL), 0 when its server does that itself
 * (PostgreSQL): a server starts its checkpointer only for the first. */
int qb_store_has_checkpoints(const qb_store *s);
/* The backend's name: "sqlite" or "postgresql". */
const char *qb_store_backend(const qb_store *s);
/* The schema version of the open database (PRAGMA user_version for SQLite). */
int qb_store_schema_version(qb_store *s);

/* Persist run (with its benchmarks, results and samples) in one transaction. project, branch,
 * machine and started_at must be set. When a run of the same project with the same content hash
 * exists, nothing is written, *out_id is that run and QB_EEXISTS is returned (err untouched). */
int qb_store_insert_run(qb_store *s, const qb_run *run, int64_t *out_id, qb_err *err);

/* An Idempotency-Key of POST /runs (migration 0011): it belongs to the run's project and to the
 * token that sent the request, and it stands for one request, named by the sha256 of its body
 * and query. The strings are borrowed. */
typedef struct qb_idem {
  int64_t token_id;         /* token.id of the sender */
  const char *key;          /* the Idempotency-Key header */
  const char *request_hash; /* sha256 hex of the request (64 digits) */
} qb_idem;

/* What a key was recorded with. */
typedef struct qb_idem_hit {
  int64_t run_id;        /* the run it stored or found; 0: none */
  char request_hash[65]; /* the request it stands for */
} qb_idem_hit;

/* The run and request key k was recorded with in project; QB_ENOTFOUND (hit->run_id 0) when k
 * is new there. */
int qb_store_idempotency_get(qb_store *s, const char *project, const qb_idem *k, qb_idem_hit *hit,
                             qb_err *err);

/* qb_store_insert_run that records k (NULL: none) for run->project in the same transaction, on
 * the new run or on the run of the same content found instead (QB_EEXISTS, hit->run_id 0). When
 * k is recorded already - by an earlier request or by a concurrent one that committed first:
 * the table's primary key decides, not a read before the write - nothing at all is written,
 * QB_EEXISTS is returned and *hit (and *out_id) tell the run and the request hash the key was
 * recorded with. hit may be NULL only when k is. */
int qb_store_insert_run_idem(qb_store *s, const qb_run *run, const qb_idem *k, int64_t *out_id,
                             qb_idem_hit *hit, qb_err *err);

/* A stored run's header and counts. */
typedef struct qb_run_info {
  int64_t id;
  char *project, *branch, *machine, *commit_sha, *format, *tool_version, *content_hash;
  char *machine_info;                           /* JSON or NULL */
  char *extra;                                  /* JSON or NULL */
  int64_t commit_time, started_at, ingested_at; /* QB_TIME_NONE when unknown */
  int64_t n_benches, n_results, n_samples;
  qb_tag *tags;
  size_t n_tags;
} qb_run_info;

/* Free the strings and tags of one info (not the struct itself). */
void qb_run_info_dispose(qb_run_info *info);
/* A new run holding info's run-level fields (names, commit, times, content hash, tags) and no
 * benchmarks, as qb_store_load_run starts the run it reads; NULL when out of memory. */
qb_run *qb_run_from_info(const qb_run_info *info);
/* Dispose n infos and free the array. */
void qb_run_infos_free(qb_run_info *infos, size_t n);

typedef struct qb_run_filter {
  const char *project; /* NULL: any */
  const char *branch;  /* NULL: any */
  const char *machine; /* NULL: any */
  int64_t limit;       /* <= 0: no limit */
  int64_t offset;      /* runs of the order skipped first (<= 0: none) */
} qb_run_filter;

#define QB_RUN_FILTER_INIT                                                                         \
  { NULL, NULL, NULL, 0, 0 }

/* Runs matching filter, newest first (started_at, then id), from the offset-th on. A page costs
 * what its rows cost, whatever the database holds: every combination of filters is read in
 * order from its own index, and the counts come from the run row (migration 0012). *out is a
 * new array of *n_out infos (NULL when none); free with qb_run_infos_free(). */
int qb_store_list_runs(qb_store *s, const qb_run_filter *filter, qb_run_info **out, size_t *n_out,
                       qb_err *err);

/* A project with runs, as GET /api/v1/projects lists it. */
typedef struct qb_project_info {
  char *name;
  int64_t runs;           /* its runs */
  int64_t latest_run;     /* its newest run (started_at, then id) */
  int64_t latest_benches; /* the benchmarks of that run */
} qb_project_info;

/* Every project that has runs, the one with the newest run first. *out is a new array of *n
 * (NULL when none); free with qb_project_infos_free(). */
int qb_store_projects(qb_store *s, qb_project_info **out, size_t *n, qb_err *err);
void qb_project_infos_free(qb_project_info *p, size_t n);

/* The run just before run_id on its project, branch and machine (by start time, then id), or
 * QB_ENOTFOUND when it is the first. */
int qb_store_previous_run(qb_store *s, int64_t run_id, int64_t *prev_id, qb_err *err);

/* Resolve a run reference: a run id ("42"), "BRANCH@latest" (newest run of that branch),
 * "BRANCH~N" (the run N before the newest on that branch; BRANCH~0 = BRANCH@latest), or a
 * unique prefix (>= 4 hex digits) of a commit sha. project narrows the search (NULL: any).
 * QB_ENOTFOUND when nothing matches; QB_EUSAGE when a sha prefix is ambiguous (the message
 * lists the candidates). */
int qb_store_resolve_run(qb_store *s, const char *project, const char *ref, int64_t *out_id,
                         qb_err *err);
/* The same, counting only runs of machine (NULL: any) for BRANCH@latest, BRANCH~N and sha
 * prefixes (a run id is taken as it is). */
int qb_store_resolve_run_on(qb_store *s, const char *project, const char *machine, const char *ref,
                            int64_t *out_id, qb_err *err);

/* Which runs qb_store_find_runs returns. */
typedef struct qb_run_query {
  const char *project; /* required */
  const char *branch;  /* required */
  const char *machine; /* NULL: any */
  const char *commit;  /* NULL: any; else a commit sha or a prefix of one (hex) */
  int64_t before;      /* 0: any; else only runs before run `before` in series order */
  int64_t exclude;     /* a run left out (0: none) */
  int64_t limit;       /* at most this many (>= 1) */
} qb_run_query;

#define QB_RUN_QUERY_INIT                                                                          \
  { NULL, NULL, NULL, NULL, 0, 0, 1 }

/* Runs matching q, newest first in series order (commit time, else start time; then id): the
 * candidates of a baseline (service/baseline.h). *ids is a malloc'd array of *n (NULL when none;
 * the caller frees it). */
int qb_store_find_runs(qb_store *s, const qb_run_query *q, int64_t **ids, size_t *n, qb_err *err);

/* Load run id: its info (into *info, dispose with qb_run_info_dispose) and, when out is not
 * NULL, the full model with benchmarks and results, and the raw samples when with_samples
 * (QB_LOAD_VALUES: their values only, without iteration counts, as a compare needs them). */
#define QB_LOAD_VALUES 2
int qb_store_load_run(qb_store *s, int64_t id, int with_samples, qb_run_info *info, qb_run **out,
                      qb_err *err);

/* One result of a series up to a run (for run-to-run noise estimates). */
typedef struct qb_history_point {
  char *bench;                   /* benchmark name (shared by the points of one series) */
  char *metric;                  /* metric name (shared likewise) */
  int64_t run_id, started_at;    /* started_at: the point's time in series order (run_time) */
  double median, mean, estimate; /* NAN when unknown */
  int change; /* 1: an active change point of the series begins a new segment at this point */
  int owns;   /* 1: this point owns bench and metric (one point per series) */
  int64_t series_id;
} qb_history_point;

/* For every result of run run_id: the at most per_series most recent results of the same series
 * (same branch, machine, benchmark and metric) up to and including run_id's own, in series order
 * (commit time, else start time; then run id), each marked when a detected change point begins
 * at it. Sorted by benchmark name, metric, then newest first. *out is a new array of *n points
 * (NULL when none); free with qb_history_free(). */
int qb_store_history(qb_store *s, int64_t run_id, int per_series, qb_history_point **out, size_t *n,
                     qb_err *err);
void qb_history_free(qb_history_point *points, size_t n);
/* A history kept by the caller: qb_store_history_with asks it for the history of run `run`
 * (per_series points a series) as read at data generation `generation`. Returns 1 with *out, *n a
 * copy the store frees (qb_history_free), or 0 when it keeps none. */
typedef int (*qb_history_lookup)(void *ctx, int64_t run, int per_series, int64_t generation,
                                 qb_history_point **out, size_t *n);
/* qb_store_history, in one read transaction, reusing a kept history where it can: for each series
 * whose point before run_id's is run P's, where lookup(ctx, P, ...) gives P's history of the same
 * data generation, the series' points are run_id's own then P's (no backfill or prune can have
 * changed them: either bumps the generation); every other series is read. *generation (when not
 * NULL) is the data generation the history was read at. Same result as qb_store_history. */
int qb_store_history_with(qb_store *s, int64_t run_id, int per_series, qb_history_lookup lookup,
                          void *ctx, int64_t *generation, qb_history_point **out, size_t *n,
                          qb_err *err);
/* Mark points[0..n) (what qb_store_history(s, run_id, ...) returned, or a copy) anew with the
 * active change points stored now: one statement (for a caller that keeps histories). */
int qb_store_history_marks(qb_store *s, int64_t run_id, qb_history_point *points, size_t n,
                           qb_err *err);
/* A copy of points[0..n) with names of its own (*out NULL when n is 0); QB_ENOMEM. Free with
 * qb_history_free. */
int qb_history_copy(const qb_history_point *points, size_t n, qb_history_point **out, qb_err *err);

/* A comparison setting (docs/cli/config.md). */
typedef struct qb_setting {
  char *project;    /* "" = every project */
  char *bench_glob; /* "" = every benchmark */
  char *key;
  double value;
  char *text; /* the value of a text setting (default_branch); NULL for a number */
} qb_setting;

/* The settings that apply to project (rows for it and for every project), or all settings when
 * project is NULL; sorted by project, glob, key. Free with qb_settings_free(). */
int qb_store_settings(qb_store *s, const char *project, qb_setting **out, size_t *n, qb_err *err);
/* Insert or replace one setting (project and glob may be "" for all); text is NULL for a number
 * (value), else the text value (value is then 0). */
int qb_store_setting_set(qb_store *s, const char *project, const char *glob, const char *key,
                         double value, const char *text, qb_err *err);
/* Remove one setting; QB_ENOTFOUND when there is none. */
int qb_store_setting_unset(qb_store *s, const char *project, const char *glob, const char *key,
                           qb_err *err);
void qb_settings_free(qb_setting *settings, size_t n);

/* Transactions around several calls (e.g. one detect over many series). Without them each
 * write stands alone. */
int qb_store_begin(qb_store *s, qb_err *err);
/* A read transaction: every read until qb_store_commit sees one snapshot, and other
 * connections keep writing meanwhile. */
int qb_store_begin_read(qb_store *s, qb_err *err);
int qb_store_commit(qb_store *s, qb_err *err);
void qb_store_rollback(qb_store *s);

/* A series (project x branch x machine x benchmark x metric) and what names it. */
typedef struct qb_series_info {
  int64_t id;
  char *project, *branch, *machine, *bench, *metric, *unit;
  int higher_is_better;
  /* the detection marker (migration 0005), filled by qb_store_series_list: the stored change
   * points cover the first analysed_n points, the last from run analysed_run (0: none) */
  size_t analysed_n;
  int64_t analysed_run;
  int64_t analysed_time; /* the run_time of analysed_run; QB_TIME_NONE: not known */
  char *analysed_opts;   /* the detection options they were found with (migration 0010), as
                            qb_cp_opts_key writes them; NULL: not known */
} qb_series_info;

typedef struct qb_series_filter {
  const char *project, *branch, *machine, *metric; /* NULL: any */
  const char *bench_glob;                          /* fnmatch(3) glob, NULL: any */
  int64_t run_id;    /* only series with a result in this run (0: any) */
  const char *bench; /* only this benchmark (its whole name), NULL: any */
} qb_series_filter;

#define QB_SERIES_FILTER_INIT                                                                      \
  { NULL, NULL, NULL, NULL, NULL, 0, NULL }

/* Series matching f, ordered by project, branch, machine, benchmark, metric. Read from the
 * most selective filter given (the run, the benchmark, the branch, the project), so the cost
 * follows the series that match, not the series stored. Free with qb_series_infos_free(). */
int qb_store_series_list(qb_store *s, const qb_series_filter *f, qb_series_info **out, size_t *n,
                         qb_err *err);
void qb_series_infos_free(qb_series_info *series, size_t n);
/* Free the strings of one qb_series_info (not x itself). */
void qb_series_info_dispose(qb_series_info *x);

/* A benchmark and one metric it has a series of (GET /api/v1/benchmarks). */
typedef struct qb_bench_metric {
  char *project, *bench, *metric;
} qb_bench_metric;

/* Every benchmark of project (NULL: of every project) with each metric it has series of,
 * ordered by project, benchmark name, metric name (a metric name measured in two units is listed
 * twice). One probe per benchmark and metric, however many branches and machines the series are
 * on. *out is a new array of *n (NULL when none); free with qb_bench_metrics_free(). */
int qb_store_bench_metrics(qb_store *s, const char *project, qb_bench_metric **out, size_t *n,
                           qb_err *err);
void qb_bench_metrics_free(qb_bench_metric *b, size_t n);

/* One run's value in a series. */
typedef struct qb_series_point {
  int64_t run_id;
  char *commit_sha;    /* NULL when unknown */
  int64_t time;        /* commit time when known, else when the run started */
  double value;        /* the result's median, else its mean, else the tool's estimate */
  double ci_lo, ci_hi; /* the tool's interval of its estimate, NAN when none */
  int64_t n;           /* samples behind the value (-1 unknown) */
  int centre_kind;     /* which statistic value is: 0 the median, 1 the mean, 2 the estimate
                          (analysis/interval.h, qb_centre_kind) */
} qb_series_point;

/* The points of series_id in time order (commit time, else start time; then run id). Free
 * with qb_series_points_free(). */
int qb_store_series_points(qb_store *s, int64_t series_id, qb_series_point **out, size_t *n,
                           qb_err *err);
void qb_series_points_free(qb_series_point *points, size_t n);

/* Called with the raw sample values of one point of a series: values[0..n) are borrowed (the
 * callee may reorder them, not keep them); a non-zero return stops the walk and is returned. */
typedef int (*qb_point_samples_fn)(void *ctx, int64_t run_id, double *values, size_t n,
                                   qb_err *err);
/* Walk the points of series_id that have raw samples stored, in the order of
 * qb_store_series_points, calling fn with each one's values, decoded one point at a time. fn
 * must not call the store. One index range scan. */
int qb_store_series_samples(qb_store *s, int64_t series_id, qb_point_samples_fn fn, void *ctx,
                            qb_err *err);

/* One of the newest points of a series (qb_store_series_recent). */
typedef struct qb_recent_point {
  int64_t series_id, run_id;
  int64_t time;  /* its run_time: commit time when known, else when the run started */
  double value;  /* the result's median, else its mean, else the tool's estimate; NAN: none */
  int64_t total; /* the points of the whole series (the same in each of its rows) */
} qb_recent_point;

/* The newest per_series (>= 1) points of every series of project's branch (every machine), in
 * one statement: a range of the series index per series, read from the index alone, not a pass
 * over the branch's results. Sorted by series id, then in series order (oldest first). *out is a
 * malloc'd array of *n (NULL when none); the caller frees it with free(). */
int qb_store_series_recent(qb_store *s, const char *project, const char *branch, size_t per_series,
                           qb_recent_point **out, size_t *n, qb_err *err);

/* The values of series_id for analysis: run ids and values (median, else mean, else estimate)
 * in time order, NULL values left out. One index range scan. *run_ids and *values are
 * malloc'd arrays of *n (NULL when empty); the caller frees both with free(). */
int qb_store_series_values(qb_store *s, int64_t series_id, int64_t **run_ids, double **values,
                           size_t *n, qb_err *err);

/* The change points stored for a series that are still detected (active), for incremental
 * detection: *out is a malloc'd array of *n (caller frees with free()). */
typedef struct qb_stored_change {
  int64_t run_id, prev_run_id; /* prev_run_id 0: none */
  double before, after, change_pct, p_value;
  int64_t position; /* index of run_id's point in the series when detected; -1: unknown */
} qb_stored_change;
int qb_store_series_changes(qb_store *s, int64_t series_id, qb_stored_change **out, size_t *n,
                            qb_err *err);

/* A change detected in a series, with its triage. */
typedef struct qb_regression {
  int64_t id, series_id, run_id, prev_run_id; /* prev_run_id 0: none */
  char *kind;                                 /* "regression" or "improvement" */
  char *severity;                             /* "none" .. "critical" */
  char *status;                               /* "open", "acknowledged", "invalid", "fixed" */
  char *note, *triaged_by;
  double before, after, change_pct, p_value;
  int64_t triaged_at, detected_at; /* QB_TIME_NONE when not triaged */
  int active;                      /* 0: no longer detected (kept because it was triaged) */
  int64_t position;   /* written by qb_store_regressions_replace: the change's index in the series
                         (-1: unknown) */
  int inserted;       /* set by qb_store_regressions_replace: 1 when that call stored the record
                         (a change found for the first time), 0 when it was there already */
  int64_t supersedes; /* set by qb_store_regressions_replace: the record that this one took the
                         place of in that call (0: none) */
  int64_t gone_at;    /* filled by qb_store_regressions_list: when detection stopped finding
                         it (QB_TIME_NONE: found, or gone before schema version 14) */
  int64_t superseded_by; /* filled by qb_store_regressions_list: the record found in its place
                            (0: none) */
  /* filled by qb_store_regressions_list, for display */
  qb_series_info series;
  char *commit_sha, *prev_commit_sha;
  int64_t time;
} qb_regression;

/* Make the active changes of series_id equal to recs[0..n) (their kind, severity, levels and p
 * are written; id, status and triage fields of recs are ignored): a record at the same run
 * keeps its id, status and triage (and is active again if it had gone); a record no longer
 * detected is never deleted: it is kept inactive, with the time it went (gone_at). When it is
 * superseded - a record of the same kind that this call made active (new, or back) is its
 * nearest active neighbour in the series on one side or the other, at most 2 points away, so no
 * change point lies between them: the change moved - superseded_by names that record, which takes
 * over its triage when it has none of its own (of several, the latest triaged), and whose
 * recs[i].supersedes names it. Each recs[i].inserted tells whether this call stored the record
 * (with several servers on one database, exactly one detection inserts a change: its notification
 * is sent once). Call between qb_store_begin/commit to make a batch atomic. */
int qb_store_regressions_replace(qb_store *s, int64_t series_id, qb_regression *recs, size_t n,
                                 qb_err *err);

/* Serialise detection per series across servers (PostgreSQL; a no-op for SQLite, whose single
 * writer and one process per file do that): wait until no other connection holds any of the
 * series ids[0..n), then hold them until qb_store_series_unlock. Taken in id order, so two
 * detections never wait for each other in a circle. */
int qb_store_series_lock(qb_store *s, const int64_t *ids, size_t n, qb_err *err);
/* 1 when the backend has series locks (qb_store_series_lock does something). */
int qb_store_has_series_locks(const qb_store *s);
void qb_store_series_unlock(qb_store *s);
/* Record that the stored change points of a series cover its first n points, the last of them
 * from run last_run at run_time last_time (0 and QB_TIME_NONE when n is 0), found with the
 * detection options opts (qb_cp_opts_key) - unless the marker already covers more points with
 * the same options (a concurrent detection got further): then *updated is 0 and the marker is
 * left alone. */
int qb_store_series_analysed(qb_store *s, int64_t series_id, size_t n, int64_t last_run,
                             int64_t last_time, const char *opts, int *updated, qb_err *err);
/* The run_time of run's point in a series (QB_ENOTFOUND when it has none). */
int qb_store_point_time(qb_store *s, int64_t series_id, int64_t run, int64_t *time, qb_err *err);
/* The end of a series around the point of run `run` at run_time `time` (a detection marker): up
 * to n_before points up to and including that one and every point after it, in series order,
 * as for qb_store_series_values. *n_got_before of the *n_out points are the ones up to it.
 * Arrays are malloc'd (NULL when empty); the caller frees them. *last_time: the run_time of the
 * last point (QB_TIME_NONE when there is none). */
int qb_store_series_tail(qb_store *s, int64_t series_id, int64_t time, int64_t run, size_t n_before,
                         int64_t **run_ids, double **values, size_t *n_out, size_t *n_got_before,
                         int64_t *last_time, qb_err *err);
/* The point of a run in each of its series, and where it stands (what detection after an upload
 * needs to know that the run's point is the only one after a series' marker). */
typedef struct qb_run_point {
  int64_t series_id;
  int64_t time;     /* its run_time */
  double value;     /* median, else mean, else estimate (NAN: none, not a point of detection) */
  int64_t prev_run; /* the run of the series' point before it that has a value (0: none) */
  int last;         /* 1: no point of the series comes after it */
} qb_run_point;
/* The points of run run_id, by series id: *out malloc'd (NULL when none), the caller frees it. */
int qb_store_run_points(qb_store *s, int64_t run_id, qb_run_point **out, size_t *n, qb_err *err);

typedef struct qb_regression_filter {
  const char *project; /* NULL: any */
  const char *status;  /* NULL: any */
  const char *kind;    /* NULL: any */
  int min_severity;    /* 0 none .. 4 critical */
  int64_t series_id;   /* 0: any */
  int active_only;     /* 1: leave out records no longer detected */
  int64_t limit;       /* <= 0: all */
} qb_regression_filter;

#define QB_REGRESSION_FILTER_INIT                                                                  \
  { NULL, NULL, NULL, 0, 0, 0, 0 }

/* Stored changes, newest first (by the time of their run), worst severity first within a run.
 * Free with qb_regressions_free(). */
int qb_store_regressions_list(qb_store *s, const qb_regression_filter *f, qb_regression **out,
                              size_t *n, qb_err *err);
void qb_regressions_free(qb_regression *regs, size_t n);

/* Set the status (and note, who, now) of change id; QB_ENOTFOUND when there is none. */
int qb_store_regression_triage(qb_store *s, int64_t id, const char *status, const char *note,
                               const char *who, qb_err *err);

/* ---- bisect sessions (migration 0015, docs/cli/bisect.md) ---- */

/* A `qbdb bisect` session (service/bisect.h writes its state). The store keeps the state as the
 * service wrote it, byte for byte; the other fields find sessions. Strings of a record the store
 * filled belong to it: qb_bisect_record_dispose() frees them. */
typedef struct qb_bisect_record {
  int64_t id;
  int64_t regression_id; /* 0: none (--good/--bad) */
  char *project, *benchmark, *metric, *machine, *good_commit, *bad_commit;
  char *status; /* "running", "done" or "failed" */
  char *state;  /* JSON text */
  int64_t started_at, updated_at;
} qb_bisect_record;
/* Store a new session (id, updated_at ignored: updated_at = started_at); *out_id its id. Every
 * string is required; a status other than the three is QB_EUSAGE. */
int qb_store_bisect_add(qb_store *s, const qb_bisect_record *rec, int64_t *out_id, qb_err *err);
/* Set the status, state and updated_at of session id (QB_ENOTFOUND when there is none). */
int qb_store_bisect_update(qb_store *s, int64_t id, const char *status, const char *state,
                           int64_t updated_at, qb_err *err);
/* Session id into *out (caller disposes with qb_bisect_record_dispose; left empty on failure);
 * QB_ENOTFOUND when none. */
int qb_store_bisect_get(qb_store *s, int64_t id, qb_bisect_record *out, qb_err *err);
typedef struct qb_bisect_filter {
  const char *project;   /* NULL: any */
  int64_t regression_id; /* 0: any */
  const char *status;    /* NULL: any */
  int64_t limit;         /* <= 0: all */
  int with_state;        /* 0: leave state NULL (listings) */
} qb_bisect_filter;
#define QB_BISECT_FILTER_INIT                                                                      \
  { NULL, 0, NULL, 0, 1 }
/* Sessions, newest first (by id); f NULL: every session, with its state. *out malloc'd (NULL
 * when none): free with qb_bisect_records_free. */
int qb_store_bisects_list(qb_store *s, const qb_bisect_filter *f, qb_bisect_record **out, size_t *n,
                          qb_err *err);
void qb_bisect_record_dispose(qb_bisect_record *r);
void qb_bisect_records_free(qb_bisect_record *r, size_t n);

/* A performance budget. */
typedef struct qb_target {
  int64_t id;
  char *project;    /* "" = every project */
  char *bench_glob; /* fnmatch(3) glob */
  char *metric;
  char *op;     /* "<", "<=", ">", ">=" */
  double value; /* in unit */
  char *unit;   /* base unit */
} qb_target;

/* Insert or replace the target with the same project, glob, metric and op; *out_id its id. */
int qb_store_target_set(qb_store *s, const qb_target *t, int64_t *out_id, qb_err *err);
/* Targets for project (its own and every project's; NULL: all). Free with qb_targets_free(). */
int qb_store_targets(qb_store *s, const char *project, qb_target **out, size_t *n, qb_err *err);
/* Remove target id; QB_ENOTFOUND when there is none. */
int qb_store_target_rm(qb_store *s, int64_t id, qb_err *err);
void qb_targets_free(qb_target *targets, size_t n);

/* An API token (only its hash is stored). */
typedef struct qb_token {
  int64_t id;
  char *name, *project, *scope;   /* scope "write" or "admin" */
  char hash[65];                  /* sha256 hex of the token */
  int64_t created_at, revoked_at; /* revoked_at QB_TIME_NONE while valid */
} qb_token;

/* Store a new token (hash = sha256 hex of the secret); *out_id its id. */
int qb_store_token_add(qb_store *s, const char *name, const char *project, const char *scope,
                       const char *hash, int64_t *out_id, qb_err *err);
/* The valid (not revoked) token with this hash; QB_ENOTFOUND when none. Dispose *out with
 * qb_token_dispose(). */
int qb_store_token_find(qb_store *s, const char *hash, qb_token *out, qb_err *err);
/* Every token, newest first. Free with qb_tokens_free(). */
int qb_store_tokens(qb_store *s, qb_token **out, size_t *n, qb_err *err);
/* Revoke token id; QB_ENOTFOUND when there is no such valid token. */
int qb_store_token_revoke(qb_store *s, int64_t id, qb_err *err);
void qb_token_dispose(qb_token *t);
void qb_tokens_free(qb_token *tokens, size_t n);

/* A short text that changes whenever a comparison's inputs may have changed (for caching
 * compare answers): the sha256 hex of the newest run and the number of runs, the data generation
 * (bumped by every prune that deletes runs or drops raw samples, migration 0011), and the whole
 * contents of the settings and targets. out gets the 64 digits and a NUL (n >= 65, else
 * QB_EINTERNAL). */
#define QB_FINGERPRINT_LEN 65
int qb_store_fingerprint(qb_store *s, char *out, size_t n, qb_err *err);

/* The data generation alone (see qb_store_fingerprint): what can change a stored run's results
 * (a prune dropping its raw samples) bumps it, so (run id, content hash, generation) names the
 * contents of a run for caching (service/run_cache.h). One indexed read. */
int qb_store_generation(qb_store *s, int64_t *out, qb_err *err);

/* Count rows of the main tables (for tests and `qbdb info`). */
typedef struct qb_store_counts {
  int64_t projects, branches, machines, runs, benchmarks, metrics, results, samples;
} qb_store_counts;
int qb_store_counts_get(qb_store *s, qb_store_counts *out, qb_err *err);

/* ---- reports (migration 0008) ---- */

/* A recorded report of `qbdb report` (docs/cli/report.md). */
typedef struct qb_report_record {
  int64_t id;
  char *project;             /* "" = every project */
  int64_t created_at;        /* when it was made */
  int64_t window_start;      /* the previous report's created_at; QB_TIME_NONE: the first */
  int64_t max_regression_id; /* the largest regression id it listed as new (0: none) */
  int64_t max_detected_at;   /* the latest detected_at it listed; QB_TIME_NONE: none */
  int64_t new_regressions, new_improvements;
  char *format; /* "markdown", "html" or "json"; NULL when not told */
} qb_report_record;

/* A change a recorded report listed as new. */
typedef struct qb_report_item {
  int64_t regression_id, series_id, run_id;
  char kind[16];     /* "regression" or "improvement" */
  char severity[16]; /* "minor" .. "critical" when listed */
} qb_report_item;

/* Record report rec (its id, project "" or NULL for every project, created_at used as the end of
 * its window) with the n changes it listed as new; *out_id its id. Call between
 * qb_store_begin/commit to make it atomic with what the caller does around it. */
int qb_store_report_add(qb_store *s, const qb_report_record *rec, const qb_report_item *items,
                        size_t n, int64_t *out_id, qb_err *err);
/* The newest recorded report for project ("" or NULL: the reports over every project);
 * QB_ENOTFOUND when there is none. Dispose *out with qb_report_record_dispose(). */
int qb_store_report_last(qb_store *s, const char *project, qb_report_record *out, qb_err *err);
/* Every change the recorded reports for project ("" or NULL: every project) listed as new,
 * ordered by series and run. *out is a malloc'd array of *n (NULL when none); free() it. */
int qb_store_report_items(qb_store *s, const char *project, qb_report_item **out, size_t *n,
                          qb_err *err);
/* Free the strings of a record (not the struct). */
void qb_report_record_dispose(qb_report_record *r);

/* ---- retention (qbdb prune, docs/cli/prune.md) ---- */

typedef struct qb_prune_opts {
  int64_t runs_before;     /* delete runs started before this (QB_TIME_NONE: delete none) */
  int64_t samples_before;  /* of the runs kept, drop the raw samples of those started before
                              this, keeping their statistics (QB_TIME_NONE: none) */
  const char *branch_glob; /* only runs on branches matching this GLOB (NULL: every branch) */
  int64_t context;         /* points kept on each side of an open regression (detection's
                              window: what it needs to find the change again) */
  int dry_run;             /* count only; change nothing */
} qb_prune_opts;

typedef struct qb_prune_result {
  int64_t runs, results, samples;       /* runs deleted (or that would be), with theirs */
  int64_t kept_anchors, kept_newest;    /* old runs kept: they anchor an open (or acknowledged)
                                           regression or lie within `context` points of it /
                                           they are the newest of their project, branch and
                                           machine (the next compare's baseline) */
  int64_t sample_runs, samples_dropped; /* kept runs whose raw samples went, and how many */
  int64_t series_reset;                 /* series whose detection marker was cleared */
} qb_prune_result;

/* Delete old runs and raw samples as o says, in one transaction: never a run that anchors an
 * open or acknowledged regression (its first bad run, the run before it, and o->context points
 * on each side in its series), nor the newest run of a project, branch and machine. The detection
 * markers of the series that lost points are cleared (the next detection analyses them in full).
 * A prune that deletes or drops anything bumps the data generation (qb_store_fingerprint). */
int qb_store_prune(qb_store *s, const qb_prune_opts *o, qb_prune_result *res, qb_err *err);

/* Rebuild the database file so that it shrinks (VACUUM, then a WAL checkpoint that truncates);
 * *bytes_before / *bytes_after: the database and WAL files' sizes around it. The checkpoint
 * needs every other connection to read the newest data (a reader of an older snapshot holds it
 * back): it is tried QB_VACUUM_CHECKPOINT_TRIES times, with growing pauses; when it still cannot
 * run, the rebuild stands, *checkpoint_deferred is 1 (else 0) and 0 is returned - the WAL is
 * checkpointed by a later writer. Any other failure is an error. */
#define QB_VACUUM_CHECKPOINT_TRIES 5
int qb_store_vacuum(qb_store *s, int64_t *bytes_before, int64_t *bytes_after,
                    int *checkpoint_deferred, qb_err *err);

/* ---- moving data between databases (qbdb db, docs/cli/db.md) ---- */

/* One value of a row, as stored: NULL, an integer, a double, text or bytes (borrowed). */
typedef enum qb_value_type { QB_V_NULL, QB_V_INT, QB_V_REAL, QB_V_TEXT, QB_V_BLOB } qb_value_type;
typedef struct qb_value {
  qb_value_type type;
  int64_t i;
  double d;
  const void *p; /* text (with its NUL) or bytes */
  size_t n;      /* their length (text: without the NUL) */
} qb_value;

/* A table of the schema, as qbdb_dump writes it: its name, its columns in order, and the columns
 * that order its rows (its primary key). Both backends have these tables and columns at every
 * schema version (migrations in lockstep). */
typedef struct qb_db_table {
  const char *name;
  const char *columns;
  const char *order;
  int has_id; /* an integer id the backend generates (a sequence to move on after a load) */
} qb_db_table;
/* The tables, parents before children; qb_db_tables_count of them. */
extern const qb_db_table qb_db_tables[];
extern const size_t qb_db_tables_count;

/* Called with each row of table t: n values in t->columns' order, borrowed until it returns. A
 * non-zero return stops the dump and is returned. */
typedef int (*qb_row_fn)(void *ctx, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err);
/* Every row of every table of qb_db_tables, in that order, each table in its key order, read in
 * one snapshot (a server may go on writing). */
int qb_store_dump(qb_store *s, qb_row_fn fn, void *ctx, qb_err *err);
/* Insert one row of table t as it is (ids kept); between qb_store_begin and qb_store_commit.
 * data_generation's one row replaces the one a new database starts with. */
int qb_store_load(qb_store *s, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err);
/* After the last qb_store_load, before the commit: what the backend must set right after rows
 * were inserted with their ids (PostgreSQL: the id sequences). */
int qb_store_load_done(qb_store *s, qb_err *err);

/* Copy every row of `from` into `to` (qbdb db copy): both at the same schema version, `to` a
 * qbdb database without data (QB_EEXISTS otherwise, nothing written). One transaction on `to`,
 * one snapshot of `from`; ids, values and raw samples are kept bit for bit. *rows and *runs (may
 * be NULL) count what was copied. */
int qb_store_copy(qb_store *from, qb_store *to, int64_t *rows, int64_t *runs, qb_err *err);

/* What `qbdb db info` shows of a database. */
typedef struct qb_store_info {
  const char *backend; /* "sqlite" or "postgresql" */
  int version;         /* schema version */
  int64_t bytes;       /* the database's size (SQLite: the file; PostgreSQL: the database) */
  int64_t wal_bytes;   /* SQLite: the -wal file (-1 for PostgreSQL) */
  char server[64];     /* PostgreSQL: the server's version; "" for SQLite */
} qb_store_info;
int qb_store_info_get(qb_store *s, qb_store_info *out, qb_err *err);

/* A consistent copy of a live database into the new file `to` (SQLite's online backup API: a
 * copy of a live WAL database's files can lose its newest runs). QB_EEXISTS when `to` exists;
 * QB_EUSAGE for a backend that has its own tools (PostgreSQL: pg_dump). */
int qb_store_backup(qb_store *s, const char *to, qb_err *err);

#endif

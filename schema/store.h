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
  QB_STORE_CREATE = 1 /* create the database when it does not exist */
};

/* Open (and migrate to the newest schema) the database at location. Refuses, with QB_EDB, a
 * file that is not a qbdb database and a database whose schema is newer than this binary.
 * Without QB_STORE_CREATE a missing file is QB_ENOTFOUND. */
int qb_store_open(qb_store **out, const char *location, int flags, qb_err *err);
/* Close the store (NULL is fine). */
void qb_store_close(qb_store *s);
/* The schema version of the open database (PRAGMA user_version for SQLite). */
int qb_store_schema_version(qb_store *s);

/* Persist run (with its benchmarks, results and samples) in one transaction. project, branch,
 * machine and started_at must be set. When a run of the same project with the same content hash
 * exists, nothing is written, *out_id is that run and QB_EEXISTS is returned (err untouched). */
int qb_store_insert_run(qb_store *s, const qb_run *run, int64_t *out_id, qb_err *err);

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
/* Dispose n infos and free the array. */
void qb_run_infos_free(qb_run_info *infos, size_t n);

typedef struct qb_run_filter {
  const char *project; /* NULL: any */
  const char *branch;  /* NULL: any */
  const char *machine; /* NULL: any */
  int64_t limit;       /* <= 0: no limit */
} qb_run_filter;

#define QB_RUN_FILTER_INIT                                                                         \
  { NULL, NULL, NULL, 0 }

/* Runs matching filter, newest first (started_at, then id). *out is a new array of *n_out infos
 * (NULL when none); free with qb_run_infos_free(). */
int qb_store_list_runs(qb_store *s, const qb_run_filter *filter, qb_run_info **out, size_t *n_out,
                       qb_err *err);

/* Resolve a run reference: a run id ("42"), "BRANCH@latest" (newest run of that branch),
 * "BRANCH~N" (the run N before the newest on that branch; BRANCH~0 = BRANCH@latest), or a
 * unique prefix (>= 4 hex digits) of a commit sha. project narrows the search (NULL: any).
 * QB_ENOTFOUND when nothing matches; QB_EUSAGE when a sha prefix is ambiguous (the message
 * lists the candidates). */
int qb_store_resolve_run(qb_store *s, const char *project, const char *ref, int64_t *out_id,
                         qb_err *err);

/* Load run id: its info (into *info, dispose with qb_run_info_dispose) and, when out is not
 * NULL, the full model with benchmarks and results, and the raw samples when with_samples. */
int qb_store_load_run(qb_store *s, int64_t id, int with_samples, qb_run_info *info, qb_run **out,
                      qb_err *err);

/* One earlier result of a series (for run-to-run noise estimates). */
typedef struct qb_history_point {
  char *bench;  /* benchmark name */
  char *metric; /* metric name */
  int64_t run_id, started_at;
  double median, mean, estimate; /* NAN when unknown */
} qb_history_point;

/* For every result of run head_id: the at most per_series most recent earlier results of the
 * same series (same branch, machine, benchmark and metric, started before the head run),
 * leaving out run exclude_id (0: none). Sorted by benchmark name, metric, then newest first.
 * *out is a new array of *n points (NULL when none); free with qb_history_free(). */
int qb_store_history(qb_store *s, int64_t head_id, int64_t exclude_id, int per_series,
                     qb_history_point **out, size_t *n, qb_err *err);
void qb_history_free(qb_history_point *points, size_t n);

/* A comparison setting (docs/cli/config.md). */
typedef struct qb_setting {
  char *project;    /* "" = every project */
  char *bench_glob; /* "" = every benchmark */
  char *key;
  double value;
} qb_setting;

/* The settings that apply to project (rows for it and for every project), or all settings when
 * project is NULL; sorted by project, glob, key. Free with qb_settings_free(). */
int qb_store_settings(qb_store *s, const char *project, qb_setting **out, size_t *n, qb_err *err);
/* Insert or replace one setting (project and glob may be "" for all). */
int qb_store_setting_set(qb_store *s, const char *project, const char *glob, const char *key,
                         double value, qb_err *err);
/* Remove one setting; QB_ENOTFOUND when there is none. */
int qb_store_setting_unset(qb_store *s, const char *project, const char *glob, const char *key,
                           qb_err *err);
void qb_settings_free(qb_setting *settings, size_t n);

/* Count rows of the main tables (for tests and `qbdb info`). */
typedef struct qb_store_counts {
  int64_t projects, branches, machines, runs, benchmarks, metrics, results, samples;
} qb_store_counts;
int qb_store_counts_get(qb_store *s, qb_store_counts *out, qb_err *err);

#endif

/* schema/store_impl.h - what a storage backend provides (private to schema/). */
#ifndef QB_SCHEMA_STORE_IMPL_H
#define QB_SCHEMA_STORE_IMPL_H

#include "schema/store.h"

/* The version of this table: a backend sets .version = QB_STORE_OPS_VERSION, and store.c refuses
 * a table of another version or one that lacks a required op (store.c, REQUIRED_OPS). */
#define QB_STORE_OPS_VERSION 6

/* Room for a commit sha and its terminating NUL (40 hex digits for SHA-1, 64 for SHA-256). */
#define QB_STORE_SHA_MAX 72

typedef struct qb_store_ops {
  const char *name;
  int version;
  void (*close)(qb_store *s);
  int (*schema_version)(qb_store *s);
  /* idem NULL: no key (hit is then NULL too) */
  int (*insert_run)(qb_store *s, const qb_run *run, const qb_idem *idem, int64_t *out_id,
                    qb_idem_hit *hit, qb_err *err);
  int (*list_runs)(qb_store *s, const qb_run_filter *f, qb_run_info **out, size_t *n, qb_err *err);
  int (*projects)(qb_store *s, qb_project_info **out, size_t *n, qb_err *err);
  int (*bench_metrics)(qb_store *s, const char *project, qb_bench_metric **out, size_t *n,
                       qb_err *err);
  /* The lookups behind run references; the grammar (id, BRANCH@latest, BRANCH~N, commit prefix)
   * and its messages are qb_store_resolve_run_on's, in store.c. project and machine NULL: any.
   * run_by_id: whether run id exists (in project). */
  int (*run_by_id)(qb_store *s, const char *project, int64_t id, int *found, qb_err *err);
  /* the nth newest run (0: the newest) of the branch named branch; *n_branches is how many
   * projects have a branch of that name (the run is looked up only when it is 1) */
  int (*run_on_branch)(qb_store *s, const char *project, const char *machine, const char *branch,
                       int64_t nth, int64_t *out_id, size_t *n_branches, int *found, qb_err *err);
  /* the newest run whose commit starts with prefix (lower-case hex; every such commit is >= prefix
   * and < upper): its id, and its commit in first; other gets a second commit with that prefix
   * ("" when there is none, first "" when no run matched) */
  int (*run_by_commit)(qb_store *s, const char *project, const char *machine, const char *prefix,
                       const char *upper, int64_t *out_id, char first[QB_STORE_SHA_MAX],
                       char other[QB_STORE_SHA_MAX], qb_err *err);
  int (*find_runs)(qb_store *s, const qb_run_query *q, int64_t **ids, size_t *n, qb_err *err);
  int (*load_run)(qb_store *s, int64_t id, int with_samples, qb_run_info *info, qb_run **out,
                  qb_err *err);
  int (*counts)(qb_store *s, qb_store_counts *out, qb_err *err);
  int (*history)(qb_store *s, int64_t run_id, int per_series, qb_history_lookup lookup, void *ctx,
                 int64_t *generation, qb_history_point **out, size_t *n, qb_err *err);
  int (*history_marks)(qb_store *s, int64_t run_id, qb_history_point *points, size_t n,
                       qb_err *err);
  int (*settings)(qb_store *s, const char *project, qb_setting **out, size_t *n, qb_err *err);
  int (*setting_set)(qb_store *s, const char *project, const char *glob, const char *key,
                     double value, const char *text, qb_err *err);
  int (*setting_unset)(qb_store *s, const char *project, const char *glob, const char *key,
                       qb_err *err);
  int (*begin)(qb_store *s, qb_err *err);
  int (*commit)(qb_store *s, qb_err *err);
  void (*rollback)(qb_store *s);
  int (*series_list)(qb_store *s, const qb_series_filter *f, qb_series_info **out, size_t *n,
                     qb_err *err);
  int (*series_points)(qb_store *s, int64_t series_id, qb_series_point **out, size_t *n,
                       qb_err *err);
  int (*series_values)(qb_store *s, int64_t series_id, int64_t **run_ids, double **values,
                       size_t *n, qb_err *err);
  int (*series_recent)(qb_store *s, const char *project, const char *branch, size_t per_series,
                       qb_recent_point **out, size_t *n, qb_err *err);
  int (*series_samples)(qb_store *s, int64_t series_id, qb_point_samples_fn fn, void *ctx,
                        qb_err *err);
  int (*series_changes)(qb_store *s, int64_t series_id, qb_stored_change **out, size_t *n,
                        qb_err *err);
  int (*regressions_replace)(qb_store *s, int64_t series_id, qb_regression *recs, size_t n,
                             qb_err *err);
  int (*begin_read)(qb_store *s, qb_err *err);
  int (*checkpoint_due)(qb_store *s, int timeout_ms, qb_err *err);
  int (*series_analysed)(qb_store *s, int64_t series_id, size_t n, int64_t last_run,
                         int64_t last_time, const char *opts, int *updated, qb_err *err);
  int (*series_tail)(qb_store *s, int64_t series_id, int64_t time, int64_t run, size_t n_before,
                     int64_t **run_ids, double **values, size_t *n_out, size_t *n_got_before,
                     int64_t *last_time, qb_err *err);
  int (*run_points)(qb_store *s, int64_t run_id, qb_run_point **out, size_t *n, qb_err *err);
  int (*point_time)(qb_store *s, int64_t series_id, int64_t run, int64_t *time, qb_err *err);
  int (*regressions_list)(qb_store *s, const qb_regression_filter *f, qb_regression **out,
                          size_t *n, qb_err *err);
  int (*regression_triage)(qb_store *s, int64_t id, const char *status, const char *note,
                           const char *who, qb_err *err);
  int (*target_set)(qb_store *s, const qb_target *t, int64_t *out_id, qb_err *err);
  int (*targets)(qb_store *s, const char *project, qb_target **out, size_t *n, qb_err *err);
  int (*target_rm)(qb_store *s, int64_t id, qb_err *err);
  int (*token_add)(qb_store *s, const char *name, const char *project, const char *scope,
                   const char *hash, int64_t *out_id, qb_err *err);
  int (*token_find)(qb_store *s, const char *hash, qb_token *out, qb_err *err);
  int (*tokens)(qb_store *s, qb_token **out, size_t *n, qb_err *err);
  int (*token_revoke)(qb_store *s, int64_t id, qb_err *err);
  int (*previous_run)(qb_store *s, int64_t run_id, int64_t *prev_id, qb_err *err);
  int (*fingerprint)(qb_store *s, char *out, size_t n, qb_err *err);
  int (*generation)(qb_store *s, int64_t *out, qb_err *err);
  int (*idem_get)(qb_store *s, const char *project, const qb_idem *k, qb_idem_hit *hit,
                  qb_err *err);
  int (*report_add)(qb_store *s, const qb_report_record *rec, const qb_report_item *items, size_t n,
                    int64_t *out_id, qb_err *err);
  int (*report_last)(qb_store *s, const char *project, qb_report_record *out, qb_err *err);
  int (*report_items)(qb_store *s, const char *project, qb_report_item **out, size_t *n,
                      qb_err *err);
  /* bisect sessions (migration 0015); store.c checks the arguments first */
  int (*bisect_add)(qb_store *s, const qb_bisect_record *rec, int64_t *out_id, qb_err *err);
  int (*bisect_update)(qb_store *s, int64_t id, const char *status, const char *state,
                       int64_t updated_at, qb_err *err);
  int (*bisect_get)(qb_store *s, int64_t id, qb_bisect_record *out, qb_err *err);
  int (*bisects_list)(qb_store *s, const qb_bisect_filter *f, qb_bisect_record **out, size_t *n,
                      qb_err *err);
  int (*prune)(qb_store *s, const qb_prune_opts *o, qb_prune_result *res, qb_err *err);
  int (*vacuum)(qb_store *s, int64_t *bytes_before, int64_t *bytes_after, int *checkpoint_deferred,
                qb_err *err);
  int (*dump)(qb_store *s, qb_row_fn fn, void *ctx, qb_err *err);
  int (*load)(qb_store *s, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err);
  int (*load_done)(qb_store *s, qb_err *err); /* optional */
  int (*info)(qb_store *s, qb_store_info *out, qb_err *err);
  int (*backup)(qb_store *s, const char *to, qb_err *err);
  /* optional: per-series locks across processes (qb_store_series_lock) */
  int (*series_lock)(qb_store *s, const int64_t *ids, size_t n, qb_err *err);
  void (*series_unlock)(qb_store *s);
} qb_store_ops;

/* Every backend's store struct starts with this. */
struct qb_store {
  const qb_store_ops *ops;
};

/* The SQLite backend: path is a file name. */
int qb_store_sqlite_open(qb_store **out, const char *path, int flags, qb_err *err);
/* The PostgreSQL backend (schema/postgres/): location is a libpq URL, postgresql://... */
int qb_store_pg_open(qb_store **out, const char *location, int flags, qb_err *err);

#endif

/* schema/sqlite/runs.c - runs in SQLite: insert (one BEGIN IMMEDIATE transaction per run,
 * idempotent by content hash and Idempotency-Key) with the series ids a connection keeps for it,
 * load, counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "schema/samples.h"
#include "schema/sqlite/sq.h"

/* Find the id of a row by name (select statement sel) or insert it (statement add). Both take
 * :name, and :project when project > 0. */
static int get_or_add(sq_store *s, int sel, int add, int64_t project, const char *name,
                      int64_t *out, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int found, rc;
  if ((rc = sq_stmt(s, sel, &st, err))) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  if ((rc = sq_step_id(s, st, out, &found, err)) || found) return rc;
  if ((rc = sq_stmt(s, add, &st, err))) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  return sq_step_insert(s, st, out, err);
}

/* ---- series ids kept by a connection ----------------------------------------------------
 * A series row never changes its key or id and is never deleted, so once its id is read, the
 * connection keeps it: an upload of N benchmarks then looks up no series it met before. Ids read
 * inside a write transaction are kept once it commits (the row may be the transaction's own). */
typedef struct series_slot {
  int64_t key[4]; /* branch, machine, benchmark, metric ids (branch 0: free) */
  int64_t id;
} series_slot;
#define SERIES_IDS_MAX                                                                             \
  ((size_t)1 << 16) /* slots at most (2.5 MiB): beyond, nothing more is kept                       \
                     */

static size_t series_slot_of(const sq_store *s, const int64_t key[4]) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 4; i++) h = (h ^ (uint64_t)key[i]) * 0xff51afd7ed558ccdULL;
  size_t k = (size_t)(h ^ (h >> 29)) & (s->series_cap - 1);
  while (s->series_ids[k].key[0] &&
         memcmp(s->series_ids[k].key, key, sizeof s->series_ids[k].key) != 0)
    k = (k + 1) & (s->series_cap - 1);
  return k;
}

/* The kept id of the series with key (0: none kept). */
static int64_t series_id_kept(const sq_store *s, const int64_t key[4]) {
  if (!s->series_cap) return 0;
  const series_slot *e = &s->series_ids[series_slot_of(s, key)];
  return e->key[0] ? e->id : 0;
}

/* Keep id for key (nothing when out of memory or full: it is read again next time). */
static void series_id_keep(sq_store *s, const int64_t key[4], int64_t id) {
  if (2 * (s->series_used + 1) > s->series_cap) { /* at most half full: grow */
    size_t cap = s->series_cap ? 2 * s->series_cap : 256;
    if (cap > SERIES_IDS_MAX) return;
    series_slot *old = s->series_ids, *fresh = calloc(cap, sizeof *fresh);
    size_t old_cap = s->series_cap;
    if (!fresh) return;
    s->series_ids = fresh;
    s->series_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].key[0]) s->series_ids[series_slot_of(s, old[i].key)] = old[i];
    free(old);
  }
  series_slot *e = &s->series_ids[series_slot_of(s, key)];
  if (!e->key[0]) s->series_used++;
  memcpy(e->key, key, sizeof e->key);
  e->id = id;
}

/* Keep id for key once the open write transaction commits (sq_series_new_end). */
static void series_id_pending(sq_store *s, const int64_t key[4], int64_t id) {
  if (s->series_new_n == s->series_new_cap) {
    size_t cap = s->series_new_cap ? 2 * s->series_new_cap : 64;
    series_slot *p = realloc(s->series_new, cap * sizeof *p);
    if (!p) return;
    s->series_new = p;
    s->series_new_cap = cap;
  }
  memcpy(s->series_new[s->series_new_n].key, key, sizeof s->series_new[0].key);
  s->series_new[s->series_new_n++].id = id;
}

/* The write transaction ended: keep what it read when it committed, else forget it. */
void sq_series_new_end(sq_store *s, int committed) {
  for (size_t i = 0; committed && i < s->series_new_n; i++)
    series_id_keep(s, s->series_new[i].key, s->series_new[i].id);
  s->series_new_n = 0;
}

/* The metric id last looked up by insert_result in this transaction: every result of a run
 * usually has the same metric, so its row is read once per run, not once per result. */
typedef struct metric_memo {
  const char *name, *unit;
  int dir;
  int64_t id; /* 0: nothing remembered */
} metric_memo;

/* The parameters of S_RESULT_ADD in the order they first appear in its SQL (SQLite numbers
 * named parameters so): bound by position, as looking each name up costs more than the insert's
 * own bookkeeping. result_params_ok checks the order against the prepared statement. */
static const char *const RESULT_PARAMS[] = {
    ":run",      ":bench",    ":metric", ":series", ":n",     ":min",     ":max",
    ":mean",     ":median",   ":stddev", ":p95",    ":p99",   ":q1",      ":q3",
    ":outliers", ":estimate", ":ci_lo",  ":ci_hi",  ":extra", ":run_time"};
#define N_RESULT_PARAMS (sizeof RESULT_PARAMS / sizeof RESULT_PARAMS[0])

/* 1 when st's parameters are RESULT_PARAMS, in that order. */
static int result_params_ok(sqlite3_stmt *st) {
  if (sqlite3_bind_parameter_count(st) != (int)N_RESULT_PARAMS) return 0;
  for (size_t i = 0; i < N_RESULT_PARAMS; i++) {
    const char *name = sqlite3_bind_parameter_name(st, (int)i + 1);
    if (!name || strcmp(name, RESULT_PARAMS[i])) return 0;
  }
  return 1;
}

/* A double at position i where NAN means NULL (b_real by position). */
static void b_real_at(sqlite3_stmt *st, int i, double v) {
  if (isnan(v))
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_double(st, i, v);
}

/* A count at position i where a negative value means NULL (b_opt_int by position). */
static void b_count_at(sqlite3_stmt *st, int i, int64_t v) {
  if (v < 0)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_int64(st, i, v);
}

/* Insert one result of bench (benchmark row bench_id) with its series and samples; memo keeps the
 * metric id between the results of one transaction. */
static int insert_result(sq_store *s, const qb_run *run, int64_t run_id, int64_t branch_id,
                         int64_t machine_id, int64_t bench_id, const qb_result *r, qb_buf *blob,
                         metric_memo *memo, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int64_t metric_id = 0, series_id = 0, result_id = 0;
  int found, rc;
  if (memo->id && memo->dir == (int)r->direction && !strcmp(memo->name, r->metric) &&
      !strcmp(memo->unit, r->unit)) {
    metric_id = memo->id;
  } else {
    if ((rc = sq_stmt(s, S_METRIC_GET, &st, err))) return rc;
    b_text(st, ":name", r->metric);
    b_text(st, ":unit", r->unit);
    b_int(st, ":dir", r->direction);
    if ((rc = sq_step_id(s, st, &metric_id, &found, err))) return rc;
    if (!found) {
      if ((rc = sq_stmt(s, S_METRIC_ADD, &st, err))) return rc;
      b_text(st, ":name", r->metric);
      b_text(st, ":unit", r->unit);
      b_int(st, ":dir", r->direction);
      if ((rc = sq_step_insert(s, st, &metric_id, err))) return rc;
    }
    *memo = (metric_memo){r->metric, r->unit, (int)r->direction, metric_id};
  }
  const int64_t key[4] = {branch_id, machine_id, bench_id, metric_id};
  series_id = series_id_kept(s, key);
  for (int pass = 0; pass < 2 && !series_id; pass++) {
    if ((rc = sq_stmt(s, pass ? S_SERIES_ADD : S_SERIES_GET, &st, err))) return rc;
    b_int(st, ":branch", branch_id);
    b_int(st, ":machine", machine_id);
    b_int(st, ":bench", bench_id);
    b_int(st, ":metric", metric_id);
    if (pass) {
      if ((rc = sq_step_insert(s, st, &series_id, err))) return rc;
    } else {
      if ((rc = sq_step_id(s, st, &series_id, &found, err))) return rc;
      if (found) series_id_pending(s, key, series_id); /* kept once the transaction commits */
    }
  }
  const qb_stats *x = &r->stats;
  if ((rc = sq_stmt(s, S_RESULT_ADD, &st, err))) return rc;
  if (!result_params_ok(st))
    return qb_err_set(err, QB_EINTERNAL, "insert result: parameters out of order");
  int64_t run_time = run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, bench_id);
  sqlite3_bind_int64(st, 3, metric_id);
  sqlite3_bind_int64(st, 4, series_id);
  b_count_at(st, 5, x->n);
  const double reals[] = {x->min, x->max, x->mean, x->median, x->stddev,
                          x->p95, x->p99, x->q1,   x->q3};
  for (int i = 0; i < 9; i++) b_real_at(st, 6 + i, reals[i]);
  b_count_at(st, 15, x->outliers);
  b_real_at(st, 16, x->estimate);
  b_real_at(st, 17, x->ci_lo);
  b_real_at(st, 18, x->ci_hi);
  if (r->extra)
    sqlite3_bind_text(st, 19, r->extra, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 19);
  sqlite3_bind_int64(st, 20, run_time);
  if ((rc = sq_step_insert(s, st, &result_id, err))) return rc;
  /* the series' detection markers: S_SERIES_UNMARK_RUN, once the run's results are in */
  if (!r->n_samples) return QB_OK;
  blob->len = 0;
  if ((rc = qb_samples_encode(r->samples, r->iters, r->n_samples, blob, err))) return rc;
  if ((rc = sq_stmt(s, S_SAMPLES_ADD, &st, err))) return rc;
  b_int(st, ":result", result_id);
  b_int(st, ":n", (int64_t)r->n_samples);
  sqlite3_bind_blob64(st, pidx(st, ":data"), blob->data, blob->len, SQLITE_STATIC);
  return sq_step_insert(s, st, NULL, err);
}

/* Bind the key columns of an idempotency statement. */
static void bind_key(sqlite3_stmt *st, int64_t project_id, const qb_idem *k) {
  b_int(st, ":project", project_id);
  b_int(st, ":token", k->token_id);
  b_text(st, ":key", k->key);
}

/* The run and request hash key k is recorded with in project_id, into *hit (found: 1 when it
 * is). */
static int key_taken(sq_store *s, int64_t project_id, const qb_idem *k, qb_idem_hit *hit,
                     int *found, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_IDEM_TAKEN, &st, err), step;
  if (rc) return rc;
  bind_key(st, project_id, k);
  *found = 0;
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    *found = 1;
    hit->run_id = sqlite3_column_int64(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  } else if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "idempotency key", err);
  }
  sqlite3_reset(st);
  return rc;
}

/* Record key k for run run_id of project project_id (inside the caller's write transaction).
 * When the key is recorded already (the primary key refuses the row), *hit tells with what and
 * QB_EEXISTS is returned: the caller rolls back. */
static int record_key(sq_store *s, int64_t project_id, const qb_idem *k, int64_t run_id,
                      qb_idem_hit *hit, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int64_t got = 0;
  int found, rc = sq_stmt(s, S_IDEM_PUT, &st, err);
  if (rc) return rc;
  bind_key(st, project_id, k);
  b_text(st, ":hash", k->request_hash);
  b_int(st, ":run", run_id);
  b_int(st, ":now", qb_time_now());
  if ((rc = sq_step_id(s, st, &got, &found, err))) return rc;
  sqlite3_reset(st);
  if (found) return QB_OK;
  if ((rc = key_taken(s, project_id, k, hit, &found, err))) return rc;
  if (!found)
    return qb_err_set(err, QB_EINTERNAL, "idempotency key '%.64s': neither recorded nor refused",
                      k->key);
  return QB_EEXISTS;
}

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int sq_insert_run(qb_store *base, const qb_run *run, const qb_idem *idem, int64_t *out_id,
                         qb_idem_hit *hit, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t project_id = 0, branch_id = 0, machine_id = 0, run_id = 0, existing = 0;
  int64_t n_results = 0, n_samples = 0, *bench_ids;
  size_t n_bench_ids = 0;
  int found, rc;
  metric_memo memo = {NULL, NULL, 0, 0};
  qb_buf blob;
  if (!run->project || !run->branch || !run->machine || run->started_at == QB_TIME_NONE)
    return qb_err_set(err, QB_EINTERNAL, "run is missing project, branch, machine or start");
  if (!(bench_ids = malloc((run->n_benches ? run->n_benches : 1) * sizeof *bench_ids)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_buf_init(&blob, (size_t)1 << 31);
  if ((rc = sq_exec(s, "BEGIN IMMEDIATE", err))) {
    free(bench_ids);
    return rc;
  }
  if ((rc = get_or_add(s, S_PROJECT_GET, S_PROJECT_ADD, 0, run->project, &project_id, err)))
    goto done;
  if ((rc = sq_stmt(s, S_RUN_BY_HASH, &st, err))) goto done;
  b_int(st, ":project", project_id);
  b_text(st, ":hash", run->content_hash);
  if ((rc = sq_step_id(s, st, &existing, &found, err))) goto done;
  if (found) {
    *out_id = existing;
    if (!idem) {
      rc = QB_EEXISTS;
      goto done;
    }
    /* the same content stored before: the key names that run */
    if ((rc = record_key(s, project_id, idem, existing, hit, err))) {
      if (rc == QB_EEXISTS) *out_id = hit->run_id;
      goto done;
    }
    if ((rc = sq_write_end(s, 0, err))) goto done;
    qb_buf_dispose(&blob);
    free(bench_ids);
    return QB_EEXISTS;
  }
  if ((rc = get_or_add(s, S_BRANCH_GET, S_BRANCH_ADD, project_id, run->branch, &branch_id, err)) ||
      (rc = get_or_add(s, S_MACHINE_GET, S_MACHINE_ADD, 0, run->machine, &machine_id, err)))
    goto done;
  if ((rc = sq_stmt(s, S_MACHINE_INFO, &st, err))) goto done;
  b_text(st, ":info", run->machine_info);
  b_int(st, ":id", machine_id);
  if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  if ((rc = sq_stmt(s, S_RUN_ADD, &st, err))) goto done;
  b_int(st, ":project", project_id);
  b_int(st, ":branch", branch_id);
  b_int(st, ":machine", machine_id);
  b_text(st, ":sha", run->commit_sha);
  b_opt_int(st, ":ctime", run->commit_time, INT64_MIN);
  b_int(st, ":started", run->started_at);
  b_int(st, ":ingested", qb_time_now());
  b_text(st, ":format", run->format ? run->format : "unknown");
  b_text(st, ":tool", run->tool_version);
  b_text(st, ":minfo", run->machine_info);
  b_text(st, ":extra", run->extra);
  b_text(st, ":hash", run->content_hash);
  if ((rc = sq_step_insert(s, st, &run_id, err))) goto done;
  for (size_t i = 0; i < run->n_tags; i++) {
    if ((rc = sq_stmt(s, S_TAG_ADD, &st, err))) goto done;
    b_int(st, ":run", run_id);
    b_text(st, ":key", run->tags[i].key);
    b_text(st, ":value", run->tags[i].value);
    if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  }
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    int64_t bench_id = 0;
    for (int pass = 0; pass < 2; pass++) { /* read, else insert or update (RETURNING the id) */
      if ((rc = sq_stmt(s, pass ? S_BENCH_UPSERT : S_BENCH_GET, &st, err))) goto done;
      b_int(st, ":project", project_id);
      b_text(st, ":name", b->name);
      b_text(st, ":grp", b->group);
      b_text(st, ":params", b->params);
      if ((rc = sq_step_id(s, st, &bench_id, &found, err))) goto done;
      sqlite3_reset(st); /* finish the RETURNING statement */
      if (found) break;
    }
    if (!found) {
      rc = qb_err_set(err, QB_EINTERNAL, "benchmark '%.80s': not stored", b->name);
      goto done;
    }
    if (b->extra) {
      if ((rc = sq_stmt(s, S_RUN_BENCH_ADD, &st, err))) goto done;
      b_int(st, ":run", run_id);
      b_int(st, ":bench", bench_id);
      b_text(st, ":extra", b->extra);
      if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
    }
    for (size_t k = 0; k < b->n_results; k++) {
      if ((rc = insert_result(s, run, run_id, branch_id, machine_id, bench_id, &b->results[k],
                              &blob, &memo, err)))
        goto done;
      n_samples += (int64_t)b->results[k].n_samples; /* a sample_set row of n when n > 0 */
    }
    n_results += (int64_t)b->n_results;
    if (b->n_results) bench_ids[n_bench_ids++] = bench_id;
  }
  /* distinct benchmarks with a result (two entries of one name are one benchmark) */
  qsort(bench_ids, n_bench_ids, sizeof *bench_ids, cmp_int64);
  int64_t n_benches = 0;
  for (size_t i = 0; i < n_bench_ids; i++) n_benches += !i || bench_ids[i] != bench_ids[i - 1];
  /* a run stored before the end of one of its series changes what the histories of the runs
   * after it hold: a new data generation, as a prune makes (kept histories are keyed by it) */
  int64_t one;
  if ((rc = sq_stmt(s, S_RUN_BACKFILL, &st, err))) goto done;
  b_int(st, ":run", run_id);
  if ((rc = sq_step_id(s, st, &one, &found, err))) goto done;
  if (found) {
    if ((rc = sq_stmt(s, S_GENERATION_BUMP, &st, err))) goto done;
    if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  }
  /* a point stored before a series' analysed ones: its marker no longer describes a prefix */
  if ((rc = sq_stmt(s, S_SERIES_UNMARK_RUN, &st, err))) goto done;
  b_int(st, ":run", run_id);
  b_int(st, ":time", run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at);
  if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  /* the counts listings show, kept on the run row (migration 0012) */
  if ((rc = sq_stmt(s, S_RUN_COUNTS, &st, err))) goto done;
  b_int(st, ":run", run_id);
  b_int(st, ":benches", n_benches);
  b_int(st, ":results", n_results);
  b_int(st, ":samples", n_samples);
  if ((rc = sq_step_insert(s, st, NULL, err))) goto done;
  if (idem && (rc = record_key(s, project_id, idem, run_id, hit, err))) {
    if (rc == QB_EEXISTS) *out_id = hit->run_id;
    goto done;
  }
  if ((rc = sq_write_end(s, 0, err))) goto done;
  *out_id = run_id;
done:
  if (rc) sq_write_end(s, 1, NULL);
  qb_buf_dispose(&blob);
  free(bench_ids);
  return rc;
}

/* ---- loading -------------------------------------------------------------------------------- */

/* Fill info from a row of SQ_RUN_COLUMNS and load its tags. */
int sq_read_info(sq_store *s, sqlite3_stmt *row, qb_run_info *info, qb_err *err) {
  memset(info, 0, sizeof *info);
  info->id = sqlite3_column_int64(row, 0);
  info->project = col_text(row, 1);
  info->branch = col_text(row, 2);
  info->machine = col_text(row, 3);
  info->commit_sha = col_text(row, 4);
  info->commit_time = col_opt_int(row, 5, QB_TIME_NONE);
  info->started_at = col_opt_int(row, 6, QB_TIME_NONE);
  info->ingested_at = col_opt_int(row, 7, QB_TIME_NONE);
  info->format = col_text(row, 8);
  info->tool_version = col_text(row, 9);
  info->content_hash = col_text(row, 10);
  info->machine_info = col_text(row, 11);
  info->extra = col_text(row, 12);
  info->n_benches = sqlite3_column_int64(row, 13);
  info->n_results = sqlite3_column_int64(row, 14);
  info->n_samples = sqlite3_column_int64(row, 15);
  /* a copy that failed reads as NULL: a NULL where the column is not NULL is out of memory */
  const struct {
    int col;
    char *v;
  } texts[] = {{1, info->project},       {2, info->branch},        {3, info->machine},
               {4, info->commit_sha},    {8, info->format},        {9, info->tool_version},
               {10, info->content_hash}, {11, info->machine_info}, {12, info->extra}};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if (!texts[i].v && sqlite3_column_type(row, texts[i].col) != SQLITE_NULL)
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  sqlite3_stmt *st = NULL;
  int rc;
  if ((rc = sq_stmt(s, S_RUN_TAGS, &st, err))) return rc;
  b_int(st, ":run", info->id);
  size_t cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (info->n_tags == cap) {
      size_t nc = cap ? cap * 2 : 4;
      qb_tag *t = realloc(info->tags, nc * sizeof *t);
      if (!t) return qb_err_set(err, QB_ENOMEM, "out of memory");
      info->tags = t;
      cap = nc;
    }
    info->tags[info->n_tags].key = col_text(st, 0);
    info->tags[info->n_tags].value = col_text(st, 1);
    info->n_tags++;
    if (!info->tags[info->n_tags - 1].key || !info->tags[info->n_tags - 1].value)
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  if (rc != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "tags", err);
  return QB_OK;
}

/* Append the result rows of run id to run (benchmarks in insertion order). */
static int load_results(sq_store *s, int64_t id, int with_samples, qb_run *run, qb_err *err) {
  sqlite3_stmt *st = NULL, *ss = NULL;
  int rc = sq_stmt(s, S_RUN_RESULTS, &st, err), step;
  if (rc) return rc;
  b_int(st, ":run", id);
  qb_bench *b = NULL;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *bname = (const char *)sqlite3_column_text(st, 0);
    if (!b || strcmp(b->name, bname) != 0) {
      if ((rc = qb_run_add_bench(run, bname, (const char *)sqlite3_column_text(st, 1), &b, err)))
        return rc;
      b->params = col_text(st, 2);
      b->extra = col_text(st, 3);
    }
    qb_result *r;
    if ((rc = qb_bench_add_result(b, (const char *)sqlite3_column_text(st, 4),
                                  (const char *)sqlite3_column_text(st, 5),
                                  (qb_direction)sqlite3_column_int(st, 6), &r, err)))
      return rc;
    qb_stats *x = &r->stats;
    x->n = col_opt_int(st, 7, -1);
    x->min = col_real(st, 8);
    x->max = col_real(st, 9);
    x->mean = col_real(st, 10);
    x->median = col_real(st, 11);
    x->stddev = col_real(st, 12);
    x->p95 = col_real(st, 13);
    x->p99 = col_real(st, 14);
    x->q1 = col_real(st, 15);
    x->q3 = col_real(st, 16);
    x->outliers = col_opt_int(st, 17, -1);
    x->estimate = col_real(st, 18);
    x->ci_lo = col_real(st, 19);
    x->ci_hi = col_real(st, 20);
    r->extra = col_text(st, 21);
    if (!with_samples) continue;
    if ((rc = sq_stmt(s, S_SAMPLES_GET, &ss, err))) return rc;
    b_int(ss, ":result", sqlite3_column_int64(st, 22));
    int sr = sqlite3_step(ss);
    if (sr == SQLITE_ROW) {
      double *v;
      uint64_t *it = NULL;
      size_t n;
      if ((rc = qb_samples_decode(sqlite3_column_blob(ss, 0), (size_t)sqlite3_column_bytes(ss, 0),
                                  &v, with_samples == QB_LOAD_VALUES ? NULL : &it, &n, err)))
        return rc;
      qb_result_take_samples(r, v, it, n);
    } else if (sr != SQLITE_DONE) {
      return sq_fail(s, QB_EINTERNAL, "samples", err);
    }
    sqlite3_reset(ss);
  }
  if (step != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "results", err);
  return QB_OK;
}

static int sq_load_run(qb_store *base, int64_t id, int with_samples, qb_run_info *info,
                       qb_run **out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_run *run = NULL;
  memset(info, 0, sizeof *info);
  if (out) *out = NULL;
  int rc = sq_stmt(s, S_RUN_INFO, &st, err), step;
  if (rc) return rc;
  b_int(st, ":id", id);
  step = sqlite3_step(st);
  if (step == SQLITE_DONE)
    return qb_err_set(err, QB_ENOTFOUND, "no run with id %lld", (long long)id);
  if (step != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "load run", err);
  if ((rc = sq_read_info(s, st, info, err))) goto done;
  sqlite3_reset(st);
  if (!out) goto done;
  if (!(run = qb_run_from_info(info))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = load_results(s, id, with_samples, run, err))) goto done;
  *out = run;
  run = NULL;
done:
  qb_run_free(run);
  if (rc) qb_run_info_dispose(info);
  return rc;
}

static int sq_counts(qb_store *base, qb_store_counts *out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_COUNTS, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "counts", err);
  int64_t *f[] = {&out->projects,   &out->branches, &out->machines, &out->runs,
                  &out->benchmarks, &out->metrics,  &out->results,  &out->samples};
  for (int i = 0; i < 8; i++) *f[i] = sqlite3_column_int64(st, i);
  sqlite3_reset(st);
  return QB_OK;
}

void sq_ops_runs(qb_store_ops *ops) {
  ops->insert_run = sq_insert_run;
  ops->load_run = sq_load_run;
  ops->counts = sq_counts;
}

/* schema/postgres/runs.c - runs in PostgreSQL: insert (one transaction per run, idempotent by
 * content hash and Idempotency-Key through constraints), load, counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"
#include "schema/postgres/pg.h"
#include "schema/samples.h"

/* How often an insert that lost a deadlock or a serialization check to another server's is run
 * again from the start before the error is reported. */
#define INSERT_TRIES 5

/* The id of a row by name (statement sel), inserted (statement add) when there is none. Both take
 * :name, and :project when project > 0. A row another server inserted meanwhile makes the
 * insert return nothing (ON CONFLICT DO NOTHING); it is then read. */
static int get_or_add(pg_store *s, int sel, int add, int64_t project, const char *name,
                      int64_t *out, qb_err *err) {
  pg_q q;
  int found = 0, rc;
  for (int pass = 0; pass < 3 && !found; pass++) {
    pg_q_init(&q, s, pass == 1 ? add : sel);
    if (project > 0) pg_int(&q, ":project", project);
    pg_text(&q, ":name", name);
    if (pass == 1 && add == P_MACHINE_ADD) pg_text(&q, ":info", NULL);
    if ((rc = pg_one(&q, "read or add a name", out, &found, err))) return rc;
  }
  if (!found)
    return qb_err_set(err, QB_EINTERNAL, "%s: '%.80s' neither found nor added", s->where, name);
  return QB_OK;
}

/* The metric id last looked up in this insert (the results of a run share one metric mostly). */
typedef struct metric_memo {
  const char *name, *unit;
  int dir;
  int64_t id; /* 0: none */
} metric_memo;

static int metric_id(pg_store *s, const qb_result *r, metric_memo *memo, int64_t *out,
                     qb_err *err) {
  if (memo->id && memo->dir == (int)r->direction && !strcmp(memo->name, r->metric) &&
      !strcmp(memo->unit, r->unit)) {
    *out = memo->id;
    return QB_OK;
  }
  int found = 0, rc;
  for (int pass = 0; pass < 3 && !found; pass++) {
    pg_q q;
    pg_q_init(&q, s, pass == 1 ? P_METRIC_ADD : P_METRIC_GET);
    pg_text(&q, ":name", r->metric);
    pg_text(&q, ":unit", r->unit);
    pg_int(&q, ":dir", r->direction);
    if ((rc = pg_one(&q, "metric", out, &found, err))) return rc;
  }
  if (!found)
    return qb_err_set(err, QB_EINTERNAL, "%s: metric '%.80s' not stored", s->where, r->metric);
  *memo = (metric_memo){r->metric, r->unit, (int)r->direction, *out};
  return QB_OK;
}

/* Insert one result of a benchmark with its series and samples. */
static int insert_result(pg_store *s, const qb_run *run, int64_t run_id, int64_t branch_id,
                         int64_t machine_id, int64_t bench_id, const qb_result *r, qb_buf *blob,
                         metric_memo *memo, qb_err *err) {
  int64_t mid = 0, series_id = 0, result_id = 0;
  int found = 0, rc;
  pg_q q;
  if ((rc = metric_id(s, r, memo, &mid, err))) return rc;
  for (int pass = 0; pass < 3 && !found; pass++) {
    pg_q_init(&q, s, pass == 1 ? P_SERIES_ADD : P_SERIES_GET);
    pg_int(&q, ":branch", branch_id);
    pg_int(&q, ":machine", machine_id);
    pg_int(&q, ":bench", bench_id);
    pg_int(&q, ":metric", mid);
    if ((rc = pg_one(&q, "series", &series_id, &found, err))) return rc;
  }
  if (!found) return qb_err_set(err, QB_EINTERNAL, "%s: series not stored", s->where);
  const qb_stats *x = &r->stats;
  pg_q_init(&q, s, P_RESULT_ADD);
  pg_int(&q, ":run", run_id);
  pg_int(&q, ":bench", bench_id);
  pg_int(&q, ":metric", mid);
  pg_int(&q, ":series", series_id);
  pg_opt_count(&q, ":n", x->n);
  pg_real(&q, ":min", x->min);
  pg_real(&q, ":max", x->max);
  pg_real(&q, ":mean", x->mean);
  pg_real(&q, ":median", x->median);
  pg_real(&q, ":stddev", x->stddev);
  pg_real(&q, ":p95", x->p95);
  pg_real(&q, ":p99", x->p99);
  pg_real(&q, ":q1", x->q1);
  pg_real(&q, ":q3", x->q3);
  pg_opt_count(&q, ":outliers", x->outliers);
  pg_real(&q, ":estimate", x->estimate);
  pg_real(&q, ":ci_lo", x->ci_lo);
  pg_real(&q, ":ci_hi", x->ci_hi);
  pg_text(&q, ":extra", r->extra);
  pg_int(&q, ":run_time", run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at);
  if ((rc = pg_one(&q, "insert result", &result_id, &found, err))) return rc;
  if (!r->n_samples) return QB_OK;
  blob->len = 0;
  if ((rc = qb_samples_encode(r->samples, r->iters, r->n_samples, blob, err))) return rc;
  pg_q_init(&q, s, P_SAMPLES_ADD);
  pg_int(&q, ":result", result_id);
  pg_int(&q, ":n", (int64_t)r->n_samples);
  pg_blob(&q, ":data", blob->data, blob->len);
  return pg_do(&q, "insert samples", NULL, err);
}

/* The run and request hash key k is recorded with in project_id (*found 0: none). */
static int key_taken(pg_store *s, int64_t project_id, const qb_idem *k, qb_idem_hit *hit,
                     int *found, qb_err *err) {
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_IDEM_TAKEN);
  pg_int(&q, ":project", project_id);
  pg_int(&q, ":token", k->token_id);
  pg_text(&q, ":key", k->key);
  int rc = pg_run(&q, "idempotency key", &r, err);
  if (rc) return rc;
  *found = s->pq->ntuples(r) > 0;
  if (*found) {
    hit->run_id = pg_col_int(s, r, 0, 0);
    const char *h = pg_col_text(s, r, 0, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  }
  s->pq->clear(r);
  return QB_OK;
}

/* Record key k for run_id; QB_EEXISTS with *hit when the key is recorded already (the primary
 * key decides: a concurrent request's insert makes this one wait, then find it). */
static int record_key(pg_store *s, int64_t project_id, const qb_idem *k, int64_t run_id,
                      qb_idem_hit *hit, qb_err *err) {
  pg_q q;
  int64_t got;
  int found, rc;
  pg_q_init(&q, s, P_IDEM_PUT);
  pg_int(&q, ":project", project_id);
  pg_int(&q, ":token", k->token_id);
  pg_text(&q, ":key", k->key);
  pg_text(&q, ":hash", k->request_hash);
  pg_int(&q, ":run", run_id);
  pg_int(&q, ":now", qb_time_now());
  if ((rc = pg_one(&q, "record idempotency key", &got, &found, err))) return rc;
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

/* One attempt of pg_insert_run inside its transaction (begun by the caller). *commit_existing:
 * the run existed and the key was recorded on it: the caller commits and answers QB_EEXISTS. */
static int insert_once(pg_store *s, const qb_run *run, const qb_idem *idem, int64_t *out_id,
                       qb_idem_hit *hit, int *commit_existing, int64_t *bench_ids, qb_buf *blob,
                       qb_err *err) {
  int64_t project_id = 0, branch_id = 0, machine_id = 0, run_id = 0, existing = 0;
  int64_t n_results = 0, n_samples = 0;
  size_t n_bench_ids = 0;
  int found = 0, rc;
  metric_memo memo = {NULL, NULL, 0, 0};
  pg_q q;
  *commit_existing = 0;
  if ((rc = get_or_add(s, P_PROJECT_GET, P_PROJECT_ADD, 0, run->project, &project_id, err)))
    return rc;
  for (int pass = 0; pass < 2; pass++) {
    if (pass) { /* a new run, unless another server stored the same content meanwhile */
      if ((rc = get_or_add(s, P_BRANCH_GET, P_BRANCH_ADD, project_id, run->branch, &branch_id,
                           err)) ||
          (rc = get_or_add(s, P_MACHINE_GET, P_MACHINE_ADD, 0, run->machine, &machine_id, err)))
        return rc;
      pg_q_init(&q, s, P_MACHINE_INFO);
      pg_text(&q, ":info", run->machine_info);
      pg_int(&q, ":id", machine_id);
      if ((rc = pg_do(&q, "machine info", NULL, err))) return rc;
      pg_q_init(&q, s, P_RUN_ADD);
      pg_int(&q, ":project", project_id);
      pg_int(&q, ":branch", branch_id);
      pg_int(&q, ":machine", machine_id);
      pg_text(&q, ":sha", run->commit_sha);
      pg_opt_time(&q, ":ctime", run->commit_time);
      pg_int(&q, ":started", run->started_at);
      pg_int(&q, ":ingested", qb_time_now());
      pg_text(&q, ":format", run->format ? run->format : "unknown");
      pg_text(&q, ":tool", run->tool_version);
      pg_text(&q, ":minfo", run->machine_info);
      pg_text(&q, ":extra", run->extra);
      pg_text(&q, ":hash", run->content_hash);
      if ((rc = pg_one(&q, "insert run", &run_id, &found, err))) return rc;
      if (found) break;
    }
    pg_q_init(&q, s, P_RUN_BY_HASH);
    pg_int(&q, ":project", project_id);
    pg_text(&q, ":hash", run->content_hash);
    if ((rc = pg_one(&q, "find run by content", &existing, &found, err))) return rc;
    if (found) {
      *out_id = existing;
      if (!idem) return QB_EEXISTS;
      /* the same content stored before: the key names that run */
      if ((rc = record_key(s, project_id, idem, existing, hit, err))) {
        if (rc == QB_EEXISTS) *out_id = hit->run_id;
        return rc;
      }
      *commit_existing = 1;
      return QB_OK;
    }
  }
  if (!run_id) return qb_err_set(err, QB_EINTERNAL, "%s: run neither stored nor found", s->where);
  for (size_t i = 0; i < run->n_tags; i++) {
    pg_q_init(&q, s, P_TAG_ADD);
    pg_int(&q, ":run", run_id);
    pg_text(&q, ":key", run->tags[i].key);
    pg_text(&q, ":value", run->tags[i].value);
    if ((rc = pg_do(&q, "insert tag", NULL, err))) return rc;
  }
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    int64_t bench_id = 0;
    found = 0;
    for (int pass = 0; pass < 2 && !found; pass++) { /* read, else insert or update */
      pg_q_init(&q, s, pass ? P_BENCH_UPSERT : P_BENCH_GET);
      pg_int(&q, ":project", project_id);
      pg_text(&q, ":name", b->name);
      pg_text(&q, ":grp", b->group);
      pg_text(&q, ":params", b->params);
      if ((rc = pg_one(&q, "benchmark", &bench_id, &found, err))) return rc;
    }
    if (!found) return qb_err_set(err, QB_EINTERNAL, "benchmark '%.80s': not stored", b->name);
    if (b->extra) {
      pg_q_init(&q, s, P_RUN_BENCH_ADD);
      pg_int(&q, ":run", run_id);
      pg_int(&q, ":bench", bench_id);
      pg_text(&q, ":extra", b->extra);
      if ((rc = pg_do(&q, "insert run benchmark", NULL, err))) return rc;
    }
    for (size_t k = 0; k < b->n_results; k++) {
      if ((rc = insert_result(s, run, run_id, branch_id, machine_id, bench_id, &b->results[k], blob,
                              &memo, err)))
        return rc;
      n_samples += (int64_t)b->results[k].n_samples;
    }
    n_results += (int64_t)b->n_results;
    if (b->n_results) bench_ids[n_bench_ids++] = bench_id;
  }
  qsort(bench_ids, n_bench_ids, sizeof *bench_ids, cmp_int64);
  int64_t n_benches = 0, one;
  for (size_t i = 0; i < n_bench_ids; i++) n_benches += !i || bench_ids[i] != bench_ids[i - 1];
  /* a backfill changes the histories of the runs after it: a new data generation */
  pg_q_init(&q, s, P_RUN_BACKFILL);
  pg_int(&q, ":run", run_id);
  if ((rc = pg_one(&q, "backfill check", &one, &found, err))) return rc;
  if (found) {
    pg_q_init(&q, s, P_GENERATION_BUMP);
    if ((rc = pg_do(&q, "data generation", NULL, err))) return rc;
  }
  pg_q_init(&q, s, P_SERIES_UNMARK_RUN);
  pg_int(&q, ":run", run_id);
  pg_int(&q, ":time", run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at);
  if ((rc = pg_do(&q, "detection markers", NULL, err))) return rc;
  pg_q_init(&q, s, P_RUN_COUNTS);
  pg_int(&q, ":run", run_id);
  pg_int(&q, ":benches", n_benches);
  pg_int(&q, ":results", n_results);
  pg_int(&q, ":samples", n_samples);
  if ((rc = pg_do(&q, "run counts", NULL, err))) return rc;
  if (idem && (rc = record_key(s, project_id, idem, run_id, hit, err))) {
    if (rc == QB_EEXISTS) *out_id = hit->run_id;
    return rc;
  }
  *out_id = run_id;
  return QB_OK;
}

static int pg_insert_run(qb_store *base, const qb_run *run, const qb_idem *idem, int64_t *out_id,
                         qb_idem_hit *hit, qb_err *err) {
  pg_store *s = PG(base);
  int rc = QB_OK;
  if (!run->project || !run->branch || !run->machine || run->started_at == QB_TIME_NONE)
    return qb_err_set(err, QB_EINTERNAL, "run is missing project, branch, machine or start");
  int64_t *bench_ids = malloc((run->n_benches ? run->n_benches : 1) * sizeof *bench_ids);
  if (!bench_ids) return qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_buf blob;
  qb_buf_init(&blob, (size_t)1 << 31);
  for (int attempt = 0; attempt < INSERT_TRIES; attempt++) {
    int began, existing = 0;
    if ((rc = pg_tx_begin(s, &began, err))) break;
    rc = insert_once(s, run, idem, out_id, hit, &existing, bench_ids, &blob, err);
    if (rc == QB_OK) {
      rc = pg_tx_end(s, began, QB_OK, err);
      if (rc == QB_OK && existing) rc = QB_EEXISTS;
    } else {
      pg_tx_end(s, began, rc, NULL); /* a refusal (QB_EEXISTS) writes nothing either */
    }
    /* lost a deadlock or a serialization check to another writer: again, from the start */
    int retry = began && (!strcmp(s->sqlstate, "40P01") || !strcmp(s->sqlstate, "40001"));
    if (!retry) break;
  }
  qb_buf_dispose(&blob);
  free(bench_ids);
  return rc;
}

/* ---- loading -------------------------------------------------------------------------------- */

/* Fill info from a row of PG_RUN_COLUMNS and load its tags. */
int pg_read_info(pg_store *s, const PGresult *r, int row, qb_run_info *info, qb_err *err) {
  int oom = 0;
  memset(info, 0, sizeof *info);
  info->id = pg_col_int(s, r, row, 0);
  info->project = pg_col_dup(s, r, row, 1, &oom);
  info->branch = pg_col_dup(s, r, row, 2, &oom);
  info->machine = pg_col_dup(s, r, row, 3, &oom);
  info->commit_sha = pg_col_dup(s, r, row, 4, &oom);
  info->commit_time = pg_col_time(s, r, row, 5);
  info->started_at = pg_col_time(s, r, row, 6);
  info->ingested_at = pg_col_time(s, r, row, 7);
  info->format = pg_col_dup(s, r, row, 8, &oom);
  info->tool_version = pg_col_dup(s, r, row, 9, &oom);
  info->content_hash = pg_col_dup(s, r, row, 10, &oom);
  info->machine_info = pg_col_dup(s, r, row, 11, &oom);
  info->extra = pg_col_dup(s, r, row, 12, &oom);
  info->n_benches = pg_col_int(s, r, row, 13);
  info->n_results = pg_col_int(s, r, row, 14);
  info->n_samples = pg_col_int(s, r, row, 15);
  if (oom) return qb_err_set(err, QB_ENOMEM, "out of memory");
  pg_q q;
  PGresult *t;
  pg_q_init(&q, s, P_RUN_TAGS);
  pg_int(&q, ":run", info->id);
  int rc = pg_run(&q, "tags", &t, err);
  if (rc) return rc;
  int n = s->pq->ntuples(t);
  if (n > 0 && !(info->tags = calloc((size_t)n, sizeof *info->tags))) {
    s->pq->clear(t);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    info->tags[i].key = pg_col_dup(s, t, i, 0, &oom);
    info->tags[i].value = pg_col_dup(s, t, i, 1, &oom);
    info->n_tags++;
  }
  s->pq->clear(t);
  if (oom) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* The benchmarks and results of run id into run (samples too when with_samples), in one
 * statement. */
static int load_results(pg_store *s, int64_t id, int with_samples, qb_run *run, qb_err *err) {
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_RUN_RESULTS);
  pg_int(&q, ":run", id);
  pg_text(&q, ":samples", with_samples ? "true" : "false");
  int rc = pg_run(&q, "results", &r, err), oom = 0;
  if (rc) return rc;
  qb_bench *b = NULL;
  for (int i = 0, n = s->pq->ntuples(r); i < n && !rc; i++) {
    const char *bname = pg_col_text(s, r, i, 0);
    if (!b || strcmp(b->name, bname) != 0) {
      if ((rc = qb_run_add_bench(run, bname, pg_col_text(s, r, i, 1), &b, err))) break;
      b->params = pg_col_dup(s, r, i, 2, &oom);
      b->extra = pg_col_dup(s, r, i, 3, &oom);
    }
    qb_result *res;
    if ((rc = qb_bench_add_result(b, pg_col_text(s, r, i, 4), pg_col_text(s, r, i, 5),
                                  (qb_direction)pg_col_int(s, r, i, 6), &res, err)))
      break;
    qb_stats *x = &res->stats;
    x->n = pg_isnull(s, r, i, 7) ? -1 : pg_col_int(s, r, i, 7);
    x->min = pg_col_real(s, r, i, 8);
    x->max = pg_col_real(s, r, i, 9);
    x->mean = pg_col_real(s, r, i, 10);
    x->median = pg_col_real(s, r, i, 11);
    x->stddev = pg_col_real(s, r, i, 12);
    x->p95 = pg_col_real(s, r, i, 13);
    x->p99 = pg_col_real(s, r, i, 14);
    x->q1 = pg_col_real(s, r, i, 15);
    x->q3 = pg_col_real(s, r, i, 16);
    x->outliers = pg_isnull(s, r, i, 17) ? -1 : pg_col_int(s, r, i, 17);
    x->estimate = pg_col_real(s, r, i, 18);
    x->ci_lo = pg_col_real(s, r, i, 19);
    x->ci_hi = pg_col_real(s, r, i, 20);
    res->extra = pg_col_dup(s, r, i, 21, &oom);
    size_t len;
    const void *data = pg_col_blob(s, r, i, 23, &len);
    if (!with_samples || !data) continue;
    double *v;
    uint64_t *it = NULL;
    size_t ns;
    if ((rc = qb_samples_decode(data, len, &v, with_samples == QB_LOAD_VALUES ? NULL : &it, &ns,
                                err)))
      break;
    qb_result_take_samples(res, v, it, ns);
  }
  s->pq->clear(r);
  if (!rc && oom) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  return rc;
}

static int pg_load_run(qb_store *base, int64_t id, int with_samples, qb_run_info *info,
                       qb_run **out, qb_err *err) {
  pg_store *s = PG(base);
  qb_run *run = NULL;
  pg_q q;
  PGresult *r;
  memset(info, 0, sizeof *info);
  if (out) *out = NULL;
  pg_q_init(&q, s, P_RUN_INFO);
  pg_int(&q, ":id", id);
  int rc = pg_run(&q, "load run", &r, err);
  if (rc) return rc;
  if (s->pq->ntuples(r) == 0) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOTFOUND, "no run with id %lld", (long long)id);
  }
  rc = pg_read_info(s, r, 0, info, err);
  s->pq->clear(r);
  if (rc || !out) goto done;
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

static int pg_counts(qb_store *base, qb_store_counts *out, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_COUNTS);
  int rc = pg_run(&q, "counts", &r, err);
  if (rc) return rc;
  int64_t *f[] = {&out->projects,   &out->branches, &out->machines, &out->runs,
                  &out->benchmarks, &out->metrics,  &out->results,  &out->samples};
  for (int i = 0; i < 8; i++) *f[i] = pg_col_int(s, r, 0, i);
  s->pq->clear(r);
  return QB_OK;
}

void pg_ops_runs(qb_store_ops *ops) {
  ops->insert_run = pg_insert_run;
  ops->load_run = pg_load_run;
  ops->counts = pg_counts;
}

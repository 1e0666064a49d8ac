/* schema/postgres/runs.c - runs in PostgreSQL: insert (one transaction per run, its rows in a few
 * statements whatever its size, idempotent by content hash and Idempotency-Key through
 * constraints), load, counts. */
#include <endian.h>
#include <math.h>
#include <stddef.h>
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

/* ---- a run's lists as array parameters ------------------------------------------------------ */

/* A run's rows go as one-dimensional arrays (one a column), not one statement a row, in
 * PostgreSQL's binary format (array_recv): text needs no quoting there, doubles go as their bits
 * (exact, as pg_real's %.17g), samples as the bytes of their blob. Several arrays are written one
 * after the other into one buffer, then bound (pg_blob: a binary parameter), each typed by the
 * cast on its :name. A failure to grow the buffer is kept in rc and ends nothing: the caller
 * checks rc once the arrays are written. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25, OID_FLOAT8 = 701 };

typedef struct pg_arrays {
  qb_buf buf;
  size_t at[PG_MAX_PARAMS + 1]; /* where array k starts; at[n] is the end of the last */
  int n;                        /* arrays finished */
  int32_t items;                /* elements of the array being written */
  int rc;                       /* the first failure */
  qb_err *err;
} pg_arrays;

static void arr_reset(pg_arrays *a, qb_err *err) {
  a->buf.len = 0;
  a->n = 0;
  a->items = 0;
  a->rc = QB_OK;
  a->err = err;
}

static void arr_put(pg_arrays *a, const void *p, size_t n) {
  if (!a->rc) a->rc = qb_buf_add(&a->buf, p, n, a->err);
}

static void arr_u32(pg_arrays *a, uint32_t v) {
  v = htobe32(v);
  arr_put(a, &v, 4);
}

static void set_u32(pg_arrays *a, size_t at, uint32_t v) {
  v = htobe32(v);
  memcpy(a->buf.data + at, &v, 4);
}

static void arr_begin(pg_arrays *a, uint32_t oid) {
  a->at[a->n] = a->buf.len;
  a->items = 0;
  arr_u32(a, 1); /* ndim */
  arr_u32(a, 0); /* flags: ignored by the server, which finds the NULLs itself */
  arr_u32(a, oid);
  arr_u32(a, 0); /* the size, once known */
  arr_u32(a, 1); /* lower bound */
}

static void arr_end(pg_arrays *a) {
  if (a->rc) return;
  size_t at = a->at[a->n];
  if (a->items) {
    set_u32(a, at + 12, (uint32_t)a->items);
  } else { /* the empty array has no dimension */
    set_u32(a, at, 0);
    a->buf.len = at + 12;
    a->buf.data[a->buf.len] = '\0';
  }
  a->at[++a->n] = a->buf.len;
}

static void arr_null(pg_arrays *a) {
  arr_u32(a, UINT32_MAX); /* length -1 */
  a->items++;
}

static void arr_bool(pg_arrays *a, int v) {
  unsigned char c = v != 0;
  arr_u32(a, 1);
  arr_put(a, &c, 1);
  a->items++;
}

static void arr_int(pg_arrays *a, int64_t v) {
  uint64_t u = htobe64((uint64_t)v);
  arr_u32(a, 8);
  arr_put(a, &u, 8);
  a->items++;
}

/* As pg_opt_count: negative is NULL. */
static void arr_count(pg_arrays *a, int64_t v) {
  if (v < 0)
    arr_null(a);
  else
    arr_int(a, v);
}

/* As pg_real: NAN is NULL, -0 is 0 (SQLite stores whole reals as integers and loses the sign). */
static void arr_real(pg_arrays *a, double v) {
  if (isnan(v)) {
    arr_null(a);
    return;
  }
  if (v == 0) v = 0;
  uint64_t u;
  memcpy(&u, &v, 8);
  u = htobe64(u);
  arr_u32(a, 8);
  arr_put(a, &u, 8);
  a->items++;
}

static void arr_text(pg_arrays *a, const char *v) {
  if (!v) {
    arr_null(a);
    return;
  }
  size_t n = strlen(v);
  if (n > INT32_MAX && !a->rc) a->rc = qb_err_set(a->err, QB_EFORMAT, "text of %zu bytes", n);
  arr_u32(a, (uint32_t)n);
  arr_put(a, v, n);
  a->items++;
}

/* The samples of r as their blob (schema/samples.h), NULL when it has none. */
static void arr_samples(pg_arrays *a, const qb_result *r) {
  if (!r->n_samples) {
    arr_null(a);
    return;
  }
  size_t at = a->buf.len;
  arr_u32(a, 0); /* the length, once encoded */
  if (!a->rc) a->rc = qb_samples_encode(r->samples, r->iters, r->n_samples, &a->buf, a->err);
  size_t n = a->buf.len - at - 4;
  if (!a->rc && n > INT32_MAX) a->rc = qb_err_set(a->err, QB_EFORMAT, "samples of %zu bytes", n);
  if (!a->rc) set_u32(a, at, (uint32_t)n);
  a->items++;
}

/* Bind the finished arrays from, from + 1, ... of a to the parameters names[0], names[1], ... of
 * q (n of them). */
static void arr_bind(pg_q *q, const pg_arrays *a, int from, const char *const *names, int n) {
  for (int k = 0; k < n; k++)
    pg_blob(q, names[k], a->buf.data + a->at[from + k], a->at[from + k + 1] - a->at[from + k]);
}

/* ---- inserting a run ------------------------------------------------------------------------ */

/* What an insert works with, made once for the attempts of one run (pg_insert_run). Results are
 * numbered across the run (i: benchmark order, then result order), so are the run's distinct
 * metrics (m: order of first use). */
typedef struct insert_ws {
  size_t n_results;
  const qb_result **result; /* [i] */
  size_t *bench_of;         /* [i]: the run's benchmark index */
  size_t *metric_of;        /* [i]: m */
  size_t n_metrics;
  const qb_result **metric; /* [m]: its first result */
  int64_t *metric_ids;      /* [m] */
  int64_t *bench_ids;       /* [run's benchmark index] */
  int64_t *scratch;         /* n_benches: the ids of benchmarks with results, sorted */
  pg_arrays par;
} insert_ws;

static void ws_dispose(insert_ws *w) {
  free(w->result);
  free(w->bench_of);
  free(w->metric_of);
  free(w->metric);
  free(w->metric_ids);
  free(w->bench_ids);
  free(w->scratch);
  qb_buf_dispose(&w->par.buf);
}

static int str_cmp(const char *a, const char *b) {
  if (!a || !b) return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

/* A result to sort by metric (name, unit, direction), then by i. */
typedef struct metric_key {
  const qb_result *r;
  size_t i;
} metric_key;

/* Order of metrics: name, unit, direction. */
static int metric_cmp(const qb_result *a, const qb_result *b) {
  int c = str_cmp(a->metric, b->metric);
  if (!c) c = str_cmp(a->unit, b->unit);
  if (!c) c = ((int)a->direction > (int)b->direction) - ((int)a->direction < (int)b->direction);
  return c;
}

static int metric_key_cmp(const void *pa, const void *pb) {
  const metric_key *a = pa, *b = pb;
  int c = metric_cmp(a->r, b->r);
  return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Number the results of run and find its distinct metrics in the order of first use (by sorting,
 * so that a run of many custom metrics costs n log n). */
static int ws_init(insert_ws *w, const qb_run *run, qb_err *err) {
  size_t nb = run->n_benches ? run->n_benches : 1, n = 0;
  memset(w, 0, sizeof *w);
  qb_buf_init(&w->par.buf, (size_t)1 << 30); /* PostgreSQL takes no larger parameter */
  for (size_t b = 0; b < run->n_benches; b++) n += run->benches[b].n_results;
  w->n_results = n;
  size_t nr = n ? n : 1;
  metric_key *keys = malloc(nr * sizeof *keys);
  size_t *first = malloc(nr * sizeof *first), *rank = malloc(nr * sizeof *rank);
  w->result = malloc(nr * sizeof *w->result);
  w->bench_of = malloc(nr * sizeof *w->bench_of);
  w->metric_of = malloc(nr * sizeof *w->metric_of);
  w->metric = malloc(nr * sizeof *w->metric);
  w->metric_ids = malloc(nr * sizeof *w->metric_ids);
  w->bench_ids = malloc(nb * sizeof *w->bench_ids);
  w->scratch = malloc(nb * sizeof *w->scratch);
  if (!keys || !first || !rank || !w->result || !w->bench_of || !w->metric_of || !w->metric ||
      !w->metric_ids || !w->bench_ids || !w->scratch) {
    free(keys);
    free(first);
    free(rank);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  size_t i = 0;
  for (size_t b = 0; b < run->n_benches; b++)
    for (size_t k = 0; k < run->benches[b].n_results; k++, i++) {
      w->result[i] = &run->benches[b].results[k];
      w->bench_of[i] = b;
      keys[i] = (metric_key){w->result[i], i};
    }
  qsort(keys, n, sizeof *keys, metric_key_cmp);
  /* groups of equal metrics: metric_of gets the group, first the group's first result */
  size_t g = 0;
  for (size_t j = 0; j < n; j++) {
    int starts = !j || metric_cmp(keys[j - 1].r, keys[j].r) != 0;
    if (j && starts) g++;
    if (starts) first[g] = keys[j].i;
    w->metric_of[keys[j].i] = g;
  }
  /* the groups numbered in the order of their first result */
  for (i = 0; i < n; i++) {
    size_t grp = w->metric_of[i];
    if (first[grp] == i) {
      rank[grp] = w->n_metrics;
      w->metric[w->n_metrics++] = w->result[i];
    }
    w->metric_of[i] = rank[grp];
  }
  free(keys);
  free(first);
  free(rank);
  return QB_OK;
}

/* Run q, whose rows are (o, id), and set ids[o - 1] (o from 1 to n; ids starts all 0, no row has
 * id 0, a NULL id is none); *got counts the ids set. */
static int read_ids(pg_q *q, const char *what, int64_t *ids, size_t n, size_t *got, qb_err *err) {
  pg_store *s = q->s;
  PGresult *r;
  memset(ids, 0, n * sizeof *ids);
  *got = 0;
  int rc = pg_run(q, what, &r, err);
  if (rc) return rc;
  for (int i = 0, rows = s->pq->ntuples(r); i < rows; i++) {
    int64_t o = pg_col_int(s, r, i, 0), id = pg_col_int(s, r, i, 1);
    if (o < 1 || (uint64_t)o > n || !id) continue;
    *got += !ids[o - 1];
    ids[o - 1] = id;
  }
  s->pq->clear(r);
  return QB_OK;
}

static const char *const TAG_PARAMS[] = {":keys", ":vals"};

static int insert_tags(pg_store *s, const qb_run *run, int64_t run_id, insert_ws *w, qb_err *err) {
  pg_arrays *a = &w->par;
  pg_q q;
  if (!run->n_tags) return QB_OK;
  arr_reset(a, err);
  arr_begin(a, OID_TEXT);
  for (size_t i = 0; i < run->n_tags; i++) arr_text(a, run->tags[i].key);
  arr_end(a);
  arr_begin(a, OID_TEXT);
  for (size_t i = 0; i < run->n_tags; i++) arr_text(a, run->tags[i].value);
  arr_end(a);
  if (a->rc) return a->rc;
  pg_q_init(&q, s, P_TAGS_ADD);
  pg_int(&q, ":run", run_id);
  arr_bind(&q, a, 0, TAG_PARAMS, 2);
  return pg_do(&q, "insert tags", NULL, err);
}

static const char *const BENCH_PARAMS[] = {":names", ":grps", ":params", ":ids", ":current"};

/* The ids of the run's benchmarks into w->bench_ids: read, and when some are missing or differ in
 * group or parameters, written (P_BENCHES_PUT, told what was found) and read again. */
static int put_benches(pg_store *s, const qb_run *run, int64_t project_id, insert_ws *w,
                       qb_err *err) {
  pg_arrays *a = &w->par;
  size_t n = run->n_benches, got = 0, stale = 0;
  int64_t *ids = w->bench_ids;
  pg_q q;
  if (!n) return QB_OK;
  arr_reset(a, err);
  arr_begin(a, OID_TEXT);
  for (size_t b = 0; b < n; b++) arr_text(a, run->benches[b].name);
  arr_end(a);
  arr_begin(a, OID_TEXT);
  for (size_t b = 0; b < n; b++) arr_text(a, run->benches[b].group);
  arr_end(a);
  arr_begin(a, OID_TEXT);
  for (size_t b = 0; b < n; b++) arr_text(a, run->benches[b].params);
  arr_end(a);
  if (a->rc) return a->rc;
  for (int pass = 0; pass < 2; pass++) {
    pg_q_init(&q, s, P_BENCHES_GET);
    pg_int(&q, ":project", project_id);
    arr_bind(&q, a, 0, BENCH_PARAMS, 3);
    int rc = read_ids(&q, "benchmarks", ids, n, &got, err);
    if (rc) return rc;
    stale = 0;
    for (size_t b = 0; b < n; b++) stale += ids[b] < 0;
    if (pass || (got == n && !stale)) break;
    /* what was found, after the lists */
    arr_begin(a, OID_INT8);
    for (size_t b = 0; b < n; b++)
      if (ids[b])
        arr_int(a, ids[b] < 0 ? -ids[b] : ids[b]);
      else
        arr_null(a);
    arr_end(a);
    arr_begin(a, OID_BOOL);
    for (size_t b = 0; b < n; b++) arr_bool(a, ids[b] > 0);
    arr_end(a);
    if (a->rc) return a->rc;
    pg_q_init(&q, s, P_BENCHES_PUT);
    pg_int(&q, ":project", project_id);
    arr_bind(&q, a, 0, BENCH_PARAMS, 5);
    if ((rc = pg_do(&q, "benchmarks", NULL, err))) return rc;
  }
  for (size_t b = 0; b < n; b++) {
    if (!ids[b])
      return qb_err_set(err, QB_EINTERNAL, "benchmark '%.80s': not stored", run->benches[b].name);
    if (ids[b] < 0) ids[b] = -ids[b]; /* another server's write since, or a name given twice */
  }
  return QB_OK;
}

static const char *const RUN_BENCH_PARAMS[] = {":benches", ":extras"};

/* The benchmarks' fields of this run (run_benchmark), for those that have any. */
static int insert_run_benches(pg_store *s, const qb_run *run, int64_t run_id, insert_ws *w,
                              qb_err *err) {
  pg_arrays *a = &w->par;
  size_t n = 0;
  pg_q q;
  for (size_t b = 0; b < run->n_benches; b++) n += run->benches[b].extra != NULL;
  if (!n) return QB_OK;
  arr_reset(a, err);
  arr_begin(a, OID_INT8);
  for (size_t b = 0; b < run->n_benches; b++)
    if (run->benches[b].extra) arr_int(a, w->bench_ids[b]);
  arr_end(a);
  arr_begin(a, OID_TEXT);
  for (size_t b = 0; b < run->n_benches; b++)
    if (run->benches[b].extra) arr_text(a, run->benches[b].extra);
  arr_end(a);
  if (a->rc) return a->rc;
  pg_q_init(&q, s, P_RUN_BENCHES_ADD);
  pg_int(&q, ":run", run_id);
  arr_bind(&q, a, 0, RUN_BENCH_PARAMS, 2);
  return pg_do(&q, "insert run benchmarks", NULL, err);
}

static const char *const METRIC_PARAMS[] = {":names", ":units", ":dirs"};

/* The ids of the run's metrics into w->metric_ids: read, and when some are missing, inserted
 * (P_METRICS_PUT; one another server inserted meanwhile is left to it) and read again. */
static int put_metrics(pg_store *s, insert_ws *w, qb_err *err) {
  pg_arrays *a = &w->par;
  size_t n = w->n_metrics, got = 0;
  pg_q q;
  if (!n) return QB_OK;
  arr_reset(a, err);
  for (int pass = 0; pass < 2; pass++) {
    int want = !pass; /* pass 1: the missing ones */
    arr_begin(a, OID_TEXT);
    for (size_t m = 0; m < n; m++)
      if (want || !w->metric_ids[m]) arr_text(a, w->metric[m]->metric);
    arr_end(a);
    arr_begin(a, OID_TEXT);
    for (size_t m = 0; m < n; m++)
      if (want || !w->metric_ids[m]) arr_text(a, w->metric[m]->unit);
    arr_end(a);
    arr_begin(a, OID_INT8);
    for (size_t m = 0; m < n; m++)
      if (want || !w->metric_ids[m]) arr_int(a, (int64_t)w->metric[m]->direction);
    arr_end(a);
    if (a->rc) return a->rc;
    int rc;
    if (pass) {
      pg_q_init(&q, s, P_METRICS_PUT);
      arr_bind(&q, a, 3, METRIC_PARAMS, 3);
      if ((rc = pg_do(&q, "metrics", NULL, err))) return rc;
    }
    pg_q_init(&q, s, P_METRICS_GET);
    arr_bind(&q, a, 0, METRIC_PARAMS, 3);
    if ((rc = read_ids(&q, "metrics", w->metric_ids, n, &got, err))) return rc;
    if (got == n) return QB_OK;
  }
  for (size_t m = 0; m < n; m++)
    if (!w->metric_ids[m])
      return qb_err_set(err, QB_EINTERNAL, "%s: metric '%.80s' not stored", s->where,
                        w->metric[m]->metric);
  return QB_OK;
}

static const char *const SERIES_PARAMS[] = {":benches", ":metrics"};

/* The series of the run's results that are missing (P_RESULTS_ADD finds them all after). */
static int put_series(pg_store *s, int64_t branch_id, int64_t machine_id, insert_ws *w,
                      qb_err *err) {
  pg_arrays *a = &w->par;
  pg_q q;
  if (!w->n_results) return QB_OK;
  arr_reset(a, err);
  arr_begin(a, OID_INT8);
  for (size_t i = 0; i < w->n_results; i++) arr_int(a, w->bench_ids[w->bench_of[i]]);
  arr_end(a);
  arr_begin(a, OID_INT8);
  for (size_t i = 0; i < w->n_results; i++) arr_int(a, w->metric_ids[w->metric_of[i]]);
  arr_end(a);
  if (a->rc) return a->rc;
  pg_q_init(&q, s, P_SERIES_PUT);
  pg_int(&q, ":branch", branch_id);
  pg_int(&q, ":machine", machine_id);
  arr_bind(&q, a, 0, SERIES_PARAMS, 2);
  return pg_do(&q, "series", NULL, err);
}

static const char *const RESULT_PARAMS[] = {
    ":benches", ":metrics", ":count", ":min",      ":max",    ":mean",     ":median",
    ":stddev",  ":p95",     ":p99",   ":q1",       ":q3",     ":outliers", ":estimate",
    ":ci_lo",   ":ci_hi",   ":extra", ":sample_n", ":samples"};
/* The statistics in the order of RESULT_PARAMS, before and after :outliers. */
static const size_t REALS_BEFORE[] = {
    offsetof(qb_stats, min),    offsetof(qb_stats, max),    offsetof(qb_stats, mean),
    offsetof(qb_stats, median), offsetof(qb_stats, stddev), offsetof(qb_stats, p95),
    offsetof(qb_stats, p99),    offsetof(qb_stats, q1),     offsetof(qb_stats, q3)};
static const size_t REALS_AFTER[] = {offsetof(qb_stats, estimate), offsetof(qb_stats, ci_lo),
                                     offsetof(qb_stats, ci_hi)};

/* Results go in statements of about this many bytes of parameters (a run's samples may be far
 * more than PostgreSQL takes in one). */
#define RESULT_CHUNK ((size_t)16 << 20)

static void real_column(pg_arrays *a, const insert_ws *w, size_t lo, size_t hi, size_t field) {
  arr_begin(a, OID_FLOAT8);
  for (size_t i = lo; i < hi; i++) {
    double v;
    memcpy(&v, (const char *)&w->result[i]->stats + field, sizeof v);
    arr_real(a, v);
  }
  arr_end(a);
}

/* Results lo..hi-1 with their samples. */
static int insert_results(pg_store *s, const qb_run *run, int64_t run_id, int64_t branch_id,
                          int64_t machine_id, insert_ws *w, size_t lo, size_t hi, qb_err *err) {
  pg_arrays *a = &w->par;
  pg_q q;
  arr_reset(a, err);
  arr_begin(a, OID_INT8);
  for (size_t i = lo; i < hi; i++) arr_int(a, w->bench_ids[w->bench_of[i]]);
  arr_end(a);
  arr_begin(a, OID_INT8);
  for (size_t i = lo; i < hi; i++) arr_int(a, w->metric_ids[w->metric_of[i]]);
  arr_end(a);
  arr_begin(a, OID_INT8);
  for (size_t i = lo; i < hi; i++) arr_count(a, w->result[i]->stats.n);
  arr_end(a);
  for (size_t f = 0; f < sizeof REALS_BEFORE / sizeof *REALS_BEFORE; f++)
    real_column(a, w, lo, hi, REALS_BEFORE[f]);
  arr_begin(a, OID_INT8);
  for (size_t i = lo; i < hi; i++) arr_count(a, w->result[i]->stats.outliers);
  arr_end(a);
  for (size_t f = 0; f < sizeof REALS_AFTER / sizeof *REALS_AFTER; f++)
    real_column(a, w, lo, hi, REALS_AFTER[f]);
  arr_begin(a, OID_TEXT);
  for (size_t i = lo; i < hi; i++) arr_text(a, w->result[i]->extra);
  arr_end(a);
  arr_begin(a, OID_INT8);
  for (size_t i = lo; i < hi; i++) arr_int(a, (int64_t)w->result[i]->n_samples);
  arr_end(a);
  arr_begin(a, OID_BYTEA);
  for (size_t i = lo; i < hi; i++) arr_samples(a, w->result[i]);
  arr_end(a);
  if (a->rc) return a->rc;
  pg_q_init(&q, s, P_RESULTS_ADD);
  pg_int(&q, ":run", run_id);
  pg_int(&q, ":branch", branch_id);
  pg_int(&q, ":machine", machine_id);
  pg_int(&q, ":run_time", run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at);
  arr_bind(&q, a, 0, RESULT_PARAMS, a->n);
  int64_t stored = 0;
  int rc = pg_one(&q, "insert results", &stored, NULL, err);
  if (rc) return rc;
  if (stored != (int64_t)(hi - lo))
    return qb_err_set(err, QB_EINTERNAL, "%s: series not stored", s->where);
  return QB_OK;
}

/* Every row of the run below its run row: tags, benchmarks, metrics, series, results, samples,
 * each kind in one or two statements (the results in one a RESULT_CHUNK). */
static int insert_rows(pg_store *s, const qb_run *run, int64_t project_id, int64_t run_id,
                       int64_t branch_id, int64_t machine_id, insert_ws *w, qb_err *err) {
  int rc;
  if ((rc = insert_tags(s, run, run_id, w, err)) ||
      (rc = put_benches(s, run, project_id, w, err)) ||
      (rc = insert_run_benches(s, run, run_id, w, err)) || (rc = put_metrics(s, w, err)) ||
      (rc = put_series(s, branch_id, machine_id, w, err)))
    return rc;
  for (size_t lo = 0, hi; lo < w->n_results; lo = hi) {
    size_t size = 0;
    for (hi = lo; hi < w->n_results && size < RESULT_CHUNK; hi++) {
      const qb_result *r = w->result[hi];
      size += 256 + (r->extra ? strlen(r->extra) : 0) + 18 * r->n_samples; /* at most */
    }
    if ((rc = insert_results(s, run, run_id, branch_id, machine_id, w, lo, hi, err))) return rc;
  }
  return QB_OK;
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
                       qb_idem_hit *hit, int *commit_existing, insert_ws *w, qb_err *err) {
  int64_t project_id = 0, branch_id = 0, machine_id = 0, run_id = 0, existing = 0;
  int64_t n_samples = 0;
  size_t n_bench_ids = 0;
  int found = 0, rc;
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
  if ((rc = insert_rows(s, run, project_id, run_id, branch_id, machine_id, w, err))) return rc;
  for (size_t i = 0; i < w->n_results; i++) n_samples += (int64_t)w->result[i]->n_samples;
  for (size_t b = 0; b < run->n_benches; b++)
    if (run->benches[b].n_results) w->scratch[n_bench_ids++] = w->bench_ids[b];
  qsort(w->scratch, n_bench_ids, sizeof *w->scratch, cmp_int64);
  int64_t n_benches = 0, one;
  for (size_t i = 0; i < n_bench_ids; i++) n_benches += !i || w->scratch[i] != w->scratch[i - 1];
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
  pg_int(&q, ":results", (int64_t)w->n_results);
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
  insert_ws w;
  if ((rc = ws_init(&w, run, err))) {
    ws_dispose(&w);
    return rc;
  }
  for (int attempt = 0; attempt < INSERT_TRIES; attempt++) {
    int began, existing = 0;
    if ((rc = pg_tx_begin(s, &began, err))) break;
    rc = insert_once(s, run, idem, out_id, hit, &existing, &w, err);
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
  ws_dispose(&w);
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

/* schema/model.c - building and freeing the in-memory run model. */
#include "schema/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/time.h"

/* Make room for one more element in an array of elem bytes; *cap grows by doubling. */
static int reserve(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
  *arr = p;
  *cap = nc;
  return QB_OK;
}

qb_run *qb_run_new(void) {
  qb_run *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->commit_time = QB_TIME_NONE;
  r->started_at = QB_TIME_NONE;
  return r;
}

static void result_dispose(qb_result *res) {
  free(res->metric);
  free(res->unit);
  free(res->samples);
  free(res->iters);
  free(res->extra);
}

static void bench_dispose(qb_bench *b) {
  free(b->name);
  free(b->group);
  free(b->params);
  free(b->extra);
  for (size_t i = 0; i < b->n_results; i++) result_dispose(&b->results[i]);
  free(b->results);
}

void qb_run_free(qb_run *run) {
  if (!run) return;
  free(run->project);
  free(run->branch);
  free(run->commit_sha);
  free(run->machine);
  free(run->machine_info);
  free(run->format);
  free(run->tool_version);
  free(run->extra);
  for (size_t i = 0; i < run->n_tags; i++) {
    free(run->tags[i].key);
    free(run->tags[i].value);
  }
  free(run->tags);
  for (size_t i = 0; i < run->n_benches; i++) bench_dispose(&run->benches[i]);
  free(run->benches);
  free(run);
}

int qb_run_set_str(char **field, const char *value, qb_err *err) {
  char *copy = NULL;
  if (value && !(copy = strdup(value))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  free(*field);
  *field = copy;
  return QB_OK;
}

int qb_run_add_tag(qb_run *run, const char *key, const char *value, qb_err *err) {
  for (size_t i = 0; i < run->n_tags; i++)
    if (!strcmp(run->tags[i].key, key)) return qb_run_set_str(&run->tags[i].value, value, err);
  int rc = reserve((void **)&run->tags, &run->cap_tags, run->n_tags, sizeof *run->tags, err);
  if (rc) return rc;
  qb_tag *t = &run->tags[run->n_tags];
  t->key = strdup(key);
  t->value = strdup(value ? value : "");
  if (!t->key || !t->value) {
    free(t->key);
    free(t->value);
    t->key = t->value = NULL;
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  run->n_tags++;
  return QB_OK;
}

int qb_run_add_bench(qb_run *run, const char *name, const char *group, qb_bench **out,
                     qb_err *err) {
  int rc =
      reserve((void **)&run->benches, &run->cap_benches, run->n_benches, sizeof *run->benches, err);
  if (rc) return rc;
  qb_bench *b = &run->benches[run->n_benches];
  memset(b, 0, sizeof *b);
  b->name = strdup(name);
  b->group = qb_strdup(group);
  if (!b->name || (group && !b->group)) {
    free(b->name);
    free(b->group);
    memset(b, 0, sizeof *b);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  run->n_benches++;
  *out = b;
  return QB_OK;
}

void qb_stats_init(qb_stats *s) {
  s->n = -1;
  s->min = s->max = s->mean = s->median = s->stddev = NAN;
  s->p95 = s->p99 = s->q1 = s->q3 = NAN;
  s->outliers = -1;
  s->estimate = s->ci_lo = s->ci_hi = NAN;
}

int qb_bench_add_result(qb_bench *bench, const char *metric, const char *unit,
                        qb_direction direction, qb_result **out, qb_err *err) {
  int rc = reserve((void **)&bench->results, &bench->cap_results, bench->n_results,
                   sizeof *bench->results, err);
  if (rc) return rc;
  qb_result *r = &bench->results[bench->n_results];
  memset(r, 0, sizeof *r);
  r->metric = strdup(metric);
  r->unit = strdup(unit);
  if (!r->metric || !r->unit) {
    free(r->metric);
    free(r->unit);
    memset(r, 0, sizeof *r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  r->direction = direction;
  qb_stats_init(&r->stats);
  bench->n_results++;
  *out = r;
  return QB_OK;
}

int qb_result_set_samples(qb_result *res, const double *values, const uint64_t *iters, size_t n,
                          qb_err *err) {
  double *v = NULL;
  uint64_t *it = NULL;
  if (n) {
    v = malloc(n * sizeof *v);
    if (iters) it = malloc(n * sizeof *it);
    if (!v || (iters && !it)) {
      free(v);
      free(it);
      return qb_err_set(err, QB_ENOMEM, "out of memory for %zu samples", n);
    }
    memcpy(v, values, n * sizeof *v);
    if (iters) memcpy(it, iters, n * sizeof *it);
  }
  free(res->samples);
  free(res->iters);
  res->samples = v;
  res->iters = it;
  res->n_samples = n;
  return QB_OK;
}

void qb_result_take_samples(qb_result *res, double *values, uint64_t *iters, size_t n) {
  free(res->samples);
  free(res->iters);
  res->samples = values;
  res->iters = iters;
  res->n_samples = n;
}

qb_bench *qb_run_find_bench(qb_run *run, const char *name) {
  for (size_t i = 0; i < run->n_benches; i++)
    if (!strcmp(run->benches[i].name, name)) return &run->benches[i];
  return NULL;
}

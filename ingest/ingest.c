/* ingest/ingest.c - validation, defaults, derived statistics, and the store call. */
#include "ingest/ingest.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/describe.h"
#include "core/time.h"

/* Check one value of result r: finite, not negative (but for dimensionless values), and for
 * durations not absurd. what names the value ("mean", or "samples" with index >= 0); the message
 * is only formatted on failure, so this is cheap on the per-sample path. */
static int check_value(const char *name, const qb_bench *b, size_t bi, const qb_result *r,
                       const char *what, long long index, double v, qb_err *err) {
  const char *why;
  if (isnan(v) || isinf(v))
    why = "not a finite number";
  else if (v < 0 && strcmp(r->unit, "1") != 0)
    why = "negative value";
  else if (v > QB_MAX_DURATION_NS && !strcmp(r->unit, "ns"))
    why = "absurd duration (over a week)";
  else
    return QB_OK;
  char idx[32] = "";
  if (index >= 0) snprintf(idx, sizeof idx, "[%lld]", index);
  return qb_err_set(err, QB_EFORMAT, "%s: benchmark '%s' (#%zu): %s %s%s: %s: %g %s", name, b->name,
                    bi + 1, r->metric, what, idx, why, v, r->unit);
}

/* Validate every value of result r and fill unknown statistics from its samples. */
static int finish_result(const char *name, const qb_bench *b, size_t bi, qb_result *r,
                         qb_err *err) {
  qb_stats *x = &r->stats;
  const struct {
    const char *what;
    double *v;
  } fields[] = {{"min", &x->min},           {"max", &x->max},       {"mean", &x->mean},
                {"median", &x->median},     {"stddev", &x->stddev}, {"p95", &x->p95},
                {"p99", &x->p99},           {"q1", &x->q1},         {"q3", &x->q3},
                {"estimate", &x->estimate}, {"ci_lo", &x->ci_lo},   {"ci_hi", &x->ci_hi}};
  int rc, known = 0;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (isnan(*fields[i].v)) continue;
    known = 1;
    if ((rc = check_value(name, b, bi, r, fields[i].what, -1, *fields[i].v, err))) return rc;
  }
  for (size_t i = 0; i < r->n_samples; i++) {
    if ((rc = check_value(name, b, bi, r, "samples", (long long)i, r->samples[i], err))) return rc;
    if (r->iters && r->iters[i] == 0)
      return qb_err_set(err, QB_EFORMAT,
                        "%s: benchmark '%s' (#%zu): %s iters[%zu]: zero iterations", name, b->name,
                        bi + 1, r->metric, i);
  }
  if (!known && !r->n_samples)
    return qb_err_set(err, QB_EFORMAT, "%s: benchmark '%s' (#%zu): %s: no values", name, b->name,
                      bi + 1, r->metric);
  if (!r->n_samples) return QB_OK;
  qb_summary s;
  if ((rc = qb_describe(r->samples, r->n_samples, &s, err))) return rc;
  if (x->n < 0) x->n = (int64_t)s.n;
  if (isnan(x->min)) x->min = s.min;
  if (isnan(x->max)) x->max = s.max;
  if (isnan(x->mean)) x->mean = s.mean;
  if (isnan(x->median)) x->median = s.median;
  if (isnan(x->stddev)) x->stddev = s.stddev;
  if (isnan(x->q1)) x->q1 = s.q1;
  if (isnan(x->q3)) x->q3 = s.q3;
  if (isnan(x->p95)) x->p95 = s.p95;
  if (isnan(x->p99)) x->p99 = s.p99;
  if (x->outliers < 0) x->outliers = (int64_t)s.outliers;
  return QB_OK;
}

/* Index of names for the duplicate check: sorted pointers into the run's benchmarks. */
typedef struct name_ref {
  const char *name;
  size_t index;
} name_ref;

static int cmp_name_ref(const void *a, const void *b) {
  const name_ref *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* FNV-1a hash of a NUL-terminated string. */
static uint64_t name_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
  return h;
}

/* 1 when the benchmarks of run all have different names, 0 when two are equal or memory is
 * short: one pass over an open-addressing table, so the common case costs no sort (the caller
 * sorts only when this says 0, for its exact message). */
static int names_distinct(const qb_run *run) {
  size_t cap = 16;
  while (cap < 2 * run->n_benches) cap *= 2;
  /* up to 1024 benchmarks on the stack (16 KiB of pointers): no allocation per run */
  const char *local[2048];
  const char **slot = cap <= sizeof local / sizeof local[0] ? local : malloc(cap * sizeof *slot);
  if (!slot) return 0;
  memset(slot, 0, cap * sizeof *slot);
  int distinct = 1;
  for (size_t i = 0; i < run->n_benches && distinct; i++) {
    const char *v = run->benches[i].name;
    size_t k = (size_t)name_hash(v) & (cap - 1);
    while (slot[k] && (distinct = strcmp(slot[k], v) != 0)) k = (k + 1) & (cap - 1);
    slot[k] = v;
  }
  if (slot != local) free(slot);
  return distinct;
}

/* Refuse a run with two benchmarks of the same name, naming the smallest such name and its first
 * two entries. */
static int check_unique_names(const char *name, const qb_run *run, qb_err *err) {
  if (run->n_benches < 2) return QB_OK;
  if (names_distinct(run)) return QB_OK;
  name_ref *refs = malloc(run->n_benches * sizeof *refs);
  if (!refs) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < run->n_benches; i++) refs[i] = (name_ref){run->benches[i].name, i};
  qsort(refs, run->n_benches, sizeof *refs, cmp_name_ref);
  int rc = QB_OK;
  for (size_t i = 1; i < run->n_benches && !rc; i++)
    if (!strcmp(refs[i - 1].name, refs[i].name))
      rc = qb_err_set(err, QB_EFORMAT, "%s: duplicate benchmark name '%s' (entries #%zu and #%zu)",
                      name, refs[i].name, refs[i - 1].index + 1, refs[i].index + 1);
  free(refs);
  return rc;
}

/* A name of at most QB_MAX_NAME bytes; field names it in the message ("project", "benchmark
 * #3: name"), which shows only the name's start. */
static int check_name(const char *name, const char *field, const char *v, qb_err *err) {
  size_t n = v ? strlen(v) : 0;
  if (n <= QB_MAX_NAME) return QB_OK;
  return qb_err_set(err, QB_EFORMAT, "%s: %s: %zu bytes long, at most %d ('%.40s...')", name, field,
                    n, QB_MAX_NAME, v);
}

/* 1 when v (NULL or a string) is longer than QB_MAX_NAME bytes; stops reading there. */
static int name_too_long(const char *v) {
  return v && strnlen(v, QB_MAX_NAME + 1) > QB_MAX_NAME;
}

/* Every name of run within QB_MAX_NAME bytes (the field of a message is only formatted for a
 * name that is too long). */
static int check_names(const char *name, const qb_run *run, qb_err *err) {
  int rc;
  char field[96];
  if ((rc = check_name(name, "project", run->project, err)) ||
      (rc = check_name(name, "branch", run->branch, err)) ||
      (rc = check_name(name, "machine", run->machine, err)))
    return rc;
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    if (name_too_long(b->name)) {
      snprintf(field, sizeof field, "benchmark #%zu: name", i + 1);
      return check_name(name, field, b->name, err);
    }
    if (name_too_long(b->group)) {
      snprintf(field, sizeof field, "benchmark #%zu: group", i + 1);
      return check_name(name, field, b->group, err);
    }
    for (size_t k = 0; k < b->n_results; k++) {
      if (!name_too_long(b->results[k].metric)) continue;
      snprintf(field, sizeof field, "benchmark #%zu: metric #%zu: name", i + 1, k + 1);
      return check_name(name, field, b->results[k].metric, err);
    }
  }
  return QB_OK;
}

/* 1 when commits a and b (hex) name the same commit: equal, or one a prefix of the other (an
 * abbreviated sha), case ignored. */
static int same_commit(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  return strncasecmp(a, b, la < lb ? la : lb) == 0;
}

int qb_ingest_finish(const char *name, qb_run *run, const qb_ingest_opts *opts, qb_err *err) {
  int rc;
  qb_ingest_opts none = QB_INGEST_OPTS_INIT;
  if (!opts) opts = &none;
  if (opts->commit && !qb_commit_ok(opts->commit))
    return qb_err_set(err, QB_EUSAGE, "--commit '%s': expected 4 to 64 hex digits", opts->commit);
  /* the file's commit time is its own commit's: a --commit naming another commit does not get
   * it (the run is then placed in its series by its start time, as a run without a commit time
   * is), or the run would sit in the history at another commit's place */
  if (opts->commit && run->commit_sha && *run->commit_sha &&
      !same_commit(run->commit_sha, opts->commit))
    run->commit_time = QB_TIME_NONE;
  if ((opts->project && (rc = qb_run_set_str(&run->project, opts->project, err))) ||
      (opts->branch && (rc = qb_run_set_str(&run->branch, opts->branch, err))) ||
      (opts->commit && (rc = qb_run_set_str(&run->commit_sha, opts->commit, err))) ||
      (opts->machine && (rc = qb_run_set_str(&run->machine, opts->machine, err))))
    return rc;
  if ((!run->project && (rc = qb_run_set_str(&run->project, QB_DEFAULT_PROJECT, err))) ||
      (!run->branch && (rc = qb_run_set_str(&run->branch, QB_DEFAULT_BRANCH, err))) ||
      (!run->machine &&
       (rc = qb_run_set_str(&run->machine,
                            opts->default_machine && *opts->default_machine ? opts->default_machine
                                                                            : QB_DEFAULT_MACHINE,
                            err))))
    return rc;
  if (!*run->project || !*run->branch || !*run->machine)
    return qb_err_set(err, QB_EUSAGE, "%s: project, branch and machine must not be empty", name);
  for (size_t i = 0; i < opts->n_tags; i++)
    if ((rc = qb_run_add_tag(run, opts->tags[i].key, opts->tags[i].value, err))) return rc;
  if (run->started_at == QB_TIME_NONE) run->started_at = qb_time_now();
  if (!run->n_benches) return qb_err_set(err, QB_EFORMAT, "%s: no benchmarks", name);
  if ((rc = check_names(name, run, err)) || (rc = check_unique_names(name, run, err))) return rc;
  for (size_t i = 0; i < run->n_benches; i++) {
    qb_bench *b = &run->benches[i];
    if (!*b->name)
      return qb_err_set(err, QB_EFORMAT, "%s: benchmark #%zu: empty name", name, i + 1);
    if (!b->n_results)
      return qb_err_set(err, QB_EFORMAT, "%s: benchmark '%s' (#%zu): no results", name, b->name,
                        i + 1);
    for (size_t k = 0; k < b->n_results; k++) {
      for (size_t j = 0; j < k; j++)
        if (!strcmp(b->results[j].metric, b->results[k].metric))
          return qb_err_set(err, QB_EFORMAT, "%s: benchmark '%s' (#%zu): metric '%s' given twice",
                            name, b->name, i + 1, b->results[k].metric);
      if ((rc = finish_result(name, b, i, &b->results[k], err))) return rc;
    }
  }
  return QB_OK;
}

int qb_ingest_prepare(const char *path, const qb_ingest_opts *opts, qb_run **out, qb_err *err) {
  *out = NULL;
  qb_run *run = NULL;
  int rc = qb_adapter_load(path, opts ? opts->format : QB_FMT_AUTO, &run, err);
  if (rc) return rc;
  if ((rc = qb_ingest_finish(path, run, opts, err))) {
    qb_run_free(run);
    return rc;
  }
  *out = run;
  return QB_OK;
}

int qb_ingest_prepare_bytes(const char *name, const char *data, size_t len,
                            const qb_ingest_opts *opts, qb_run **out, qb_err *err) {
  *out = NULL;
  qb_run *run = NULL;
  int rc = qb_adapter_parse_bytes(name, opts ? opts->format : QB_FMT_AUTO, data, len, &run, err);
  if (rc) return rc;
  if ((rc = qb_ingest_finish(name, run, opts, err))) {
    qb_run_free(run);
    return rc;
  }
  *out = run;
  return QB_OK;
}

int qb_ingest_store(qb_store *s, const qb_run *run, qb_ingest_result *res, qb_err *err) {
  return qb_ingest_store_idem(s, run, NULL, NULL, res, err);
}

int qb_ingest_store_idem(qb_store *s, const qb_run *run, const qb_idem *k, qb_idem_hit *hit,
                         qb_ingest_result *res, qb_err *err) {
  memset(res, 0, sizeof *res);
  int rc = qb_store_insert_run_idem(s, run, k, &res->run_id, hit, err);
  if (rc == QB_EEXISTS) {
    res->existed = 1;
    res->key_taken = hit && hit->run_id != 0;
    rc = QB_OK;
  }
  if (rc) return rc;
  res->n_benches = run->n_benches;
  for (size_t i = 0; i < run->n_benches; i++) {
    res->n_results += run->benches[i].n_results;
    for (size_t k = 0; k < run->benches[i].n_results; k++)
      res->n_samples += run->benches[i].results[k].n_samples;
  }
  return QB_OK;
}

/* adapters/pytest.c - pytest-benchmark JSON (2.5, 3.x, 4.x/5.x) into a qb_run.
 *
 * The input is one JSON object: "machine_info", "commit_info", "benchmarks" [...], "datetime" and
 * "version". Each benchmark has "name" and "stats" (seconds per iteration; "data" holds one value
 * per round, already divided by "iterations", when the run was saved with --benchmark-save-data),
 * and depending on the version "fullname", "group", "params", "param", "extra_info", "options",
 * "cprofile" (with --benchmark-cprofile). The files are written by Python's json module, which
 * also writes NaN, Infinity, -Infinity and integers of any size: outside "stats" they are kept as
 * strings of their text ("NaN", "1180591620717411303424"); in "stats" they are refused. The whole
 * mapping is written down in docs/formats/pytest-benchmark.md.
 *
 * Ownership: qb_pytest_parse() hands the caller a new qb_run (free with qb_run_free()); every
 * other allocation made here is either moved into that run or freed before returning. Only types
 * and structure are checked here: ranges (negative, NaN, absurd values) are ingest's business. */
#include "adapters/adapter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "core/time.h"

#define NS_PER_S 1e9

/* "benchmarks[N].stats" with N up to 20 digits fits easily. */
#define WHERE_MAX 64

/* The input of one parse, for messages that point into it. */
typedef struct src {
  const char *data;
  size_t len;
  const qb_json_specials *specials; /* NaN, Infinity, -Infinity and big integers in the tree */
} src;

/* Refuse v (at JSON path WHERE.KEY, KEY[IDX] when idx >= 0) when it is one of the tokens Python
 * writes beyond JSON: a statistic must be a finite number that fits. */
static int refuse_special(const char *path, const src *in, const char *where, const char *key,
                          long long idx, const json_t *v, qb_err *err) {
  const qb_json_special *sp = qb_json_specials_find(in->specials, v);
  if (!sp) return QB_OK;
  const char *text = json_string_value(v);
  int line, column;
  char at[32] = "";
  qb_json_position(in->data, in->len, sp->offset, &line, &column);
  if (idx >= 0) snprintf(at, sizeof at, "[%lld]", idx);
  int nonfinite = text[0] == 'N' || text[0] == 'I' || text[1] == 'I';
  return qb_err_set(err, QB_EFORMAT, "%s: %s.%s%s: expected a %s, got %.40s%s (line %d, column %d)",
                    path, where, key, at,
                    nonfinite ? "finite number" : "number that fits in 64 bits", text,
                    strlen(text) > 40 ? "..." : "", line, column);
}

/* s as it is shown in a message: at most 80 bytes, "..." after when longer, and every control
 * character (a newline the file wrote as "\n") as '?', so the message stays on one line. */
static const char *shown(const char *s, char *buf, size_t n) {
  size_t k = 0, len = strlen(s);
  for (; k < len && k < 80 && k + 4 < n; k++) buf[k] = (unsigned char)s[k] < 0x20 ? '?' : s[k];
  if (k < len)
    memcpy(buf + k, "...", 4);
  else
    buf[k] = '\0';
  return buf;
}

/* Fill the run-level fields from commit_info, machine_info, datetime and version (see the file
 * header). Strings are copied into run; nothing else outlives the call. */
static int parse_run_meta(const char *path, json_t *root, qb_run *run, qb_err *err) {
  json_t *ci = NULL, *mi = NULL, *wrap = NULL;
  const char *s;
  char shownbuf[88];
  int rc;

  if ((rc = qb_json_opt_obj(path, "", root, "commit_info", &ci, err))) goto done;
  if (ci) {
    if ((rc = qb_json_opt_str(path, "commit_info", ci, "project", &s, err))) goto done;
    if (s && *s && (rc = qb_run_set_str(&run->project, s, err))) goto done;
    if ((rc = qb_json_opt_str(path, "commit_info", ci, "branch", &s, err))) goto done;
    if (s && *s && strcmp(s, "(unknown)") != 0 && (rc = qb_run_set_str(&run->branch, s, err)))
      goto done;
    /* the commit as everywhere in qbdb: 4 to 64 hex digits ("unversioned" and "" mean none) */
    if ((rc = qb_json_opt_str(path, "commit_info", ci, "id", &s, err))) goto done;
    if (s && *s && strcmp(s, "unversioned") != 0) {
      if (!qb_commit_ok(s)) {
        rc = qb_err_set(err, QB_EFORMAT,
                        "%s: commit_info.id: expected 4 to 64 hex digits, got \"%s\"", path,
                        shown(s, shownbuf, sizeof shownbuf));
        goto done;
      }
      if ((rc = qb_run_set_str(&run->commit_sha, s, err))) goto done;
    }
    /* The commit time comes from the VCS in its own format (git: strict ISO 8601, mercurial:
     * "2015-08-15 03:04 +0300"); one we cannot read stays unknown: the raw text is kept in
     * extra.commit_info anyway. */
    static const char *const TIME_KEYS[] = {"time", "author_time"};
    for (size_t k = 0; k < 2 && run->commit_time == QB_TIME_NONE; k++) {
      if ((rc = qb_json_opt_str(path, "commit_info", ci, TIME_KEYS[k], &s, err))) goto done;
      int64_t t;
      if (s && qb_time_parse(s, &t) == QB_OK) run->commit_time = t;
    }
    if (!(wrap = json_pack("{s:O}", "commit_info", ci))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    if ((rc = qb_json_set_text(&run->extra, wrap, err))) goto done;
  }

  if ((rc = qb_json_opt_obj(path, "", root, "machine_info", &mi, err))) goto done;
  if (mi) {
    if ((rc = qb_json_opt_str(path, "machine_info", mi, "node", &s, err))) goto done;
    if (s && *s && (rc = qb_run_set_str(&run->machine, s, err))) goto done;
    if ((rc = qb_json_set_text(&run->machine_info, mi, err))) goto done;
  }

  if ((rc = qb_json_opt_str(path, "", root, "datetime", &s, err))) goto done;
  if (s && qb_time_parse(s, &run->started_at) != QB_OK) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: datetime: not an ISO 8601 timestamp: \"%s\"", path,
                    shown(s, shownbuf, sizeof shownbuf));
    goto done;
  }

  if ((rc = qb_json_opt_str(path, "", root, "version", &s, err))) goto done;
  if (s) {
    size_t n = sizeof "pytest-benchmark " + strlen(s);
    char *text = malloc(n);
    if (!text) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    snprintf(text, n, "pytest-benchmark %s", s);
    free(run->tool_version);
    run->tool_version = text;
  }

done:
  json_decref(wrap);
  return rc;
}

/* An entry of "benchmarks" by its name and fullname (string values, else NULL). */
typedef struct name_ref {
  const char *name, *full;
  size_t idx;
} name_ref;

static int cmp_str_null_first(const char *a, const char *b) {
  return !a ? (b ? -1 : 0) : !b ? 1 : strcmp(a, b);
}

static int cmp_name_ref(const void *pa, const void *pb) {
  const name_ref *a = pa, *b = pb;
  int c = strcmp(a->name, b->name);
  if (!c) c = cmp_str_null_first(a->full, b->full);
  return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* 1 when the m names of refs are all different, 0 when two are equal or memory is short: one
 * pass over an open-addressing table (FNV-1a), so a run without shared names costs no sort. */
static int names_distinct(const name_ref *refs, size_t m) {
  size_t cap = 16;
  while (cap < 2 * m) cap *= 2;
  const char **slot = calloc(cap, sizeof *slot);
  if (!slot) return 0;
  int distinct = 1;
  for (size_t i = 0; i < m && distinct; i++) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *c = refs[i].name; *c; c++) h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    size_t k = (size_t)h & (cap - 1);
    while (slot[k] && (distinct = strcmp(slot[k], refs[i].name) != 0)) k = (k + 1) & (cap - 1);
    slot[k] = refs[i].name;
  }
  free(slot);
  return distinct;
}

/* Sets (*out)[i] to 1 when another entry of benches has the same "name" as entry i but a
 * different (or no) "fullname", so that entry i must be known by its fullname: entries sorted by
 * (name, fullname), one pass over the groups. *out is malloc'd, the caller frees it. */
static int ambiguous_names(json_t *benches, unsigned char **out, qb_err *err) {
  size_t n = json_array_size(benches), m = 0;
  name_ref *refs = malloc((n ? n : 1) * sizeof *refs);
  *out = calloc(n ? n : 1, 1);
  if (!refs || !*out) {
    free(refs);
    free(*out);
    *out = NULL;
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(benches, i);
    const char *name = json_string_value(json_object_get(o, "name"));
    if (name) refs[m++] = (name_ref){name, json_string_value(json_object_get(o, "fullname")), i};
  }
  if (names_distinct(refs, m)) { /* the usual case: no name is shared, nothing is ambiguous */
    free(refs);
    return QB_OK;
  }
  qsort(refs, m, sizeof *refs, cmp_name_ref);
  for (size_t a = 0, b; a < m; a = b) {
    for (b = a + 1; b < m && !strcmp(refs[b].name, refs[a].name);) b++;
    for (size_t c = a, d; c < b; c = d) {
      for (d = c + 1; d < b && !cmp_str_null_first(refs[d].full, refs[c].full);) d++;
      if (d - c < b - a) /* the name group holds another fullname */
        for (size_t k = c; k < d; k++) (*out)[refs[k].idx] = 1;
    }
  }
  free(refs);
  return QB_OK;
}

/* Add the single latency result of one benchmark from its "stats" object (at JSON path swhere):
 * times are scaled from seconds to ns, stats.data becomes the samples (each with `iterations`
 * iterations), and every other stat goes, as written, into the result's extra. The samples and
 * extra text are allocated here and owned by bench afterwards. */
static int parse_stats(const char *path, const src *in, const char *swhere, json_t *stats,
                       qb_bench *bench, qb_err *err) {
  static const char *const MAPPED[] = {"min", "max", "mean", "median", "stddev", "q1", "q3"};
  const size_t n_mapped = sizeof MAPPED / sizeof MAPPED[0];
  qb_result *res;
  double *samples = NULL;
  uint64_t *iters = NULL;
  json_t *data = NULL, *rest = NULL;
  long long rounds = 0, iterations = 0, outliers = 0;
  int have_rounds, have_iterations, have_outliers;
  int rc;

  if ((rc = qb_bench_add_result(bench, "latency", "ns", QB_LOWER_IS_BETTER, &res, err))) goto done;
  if (in->specials->n) { /* NaN, Infinity or a big integer anywhere in stats is refused */
    const char *key;
    json_t *v;
    json_object_foreach(stats, key, v) {
      if ((rc = refuse_special(path, in, swhere, key, -1, v, err))) goto done;
      size_t k;
      json_t *e;
      if (json_is_array(v)) json_array_foreach(v, k, e) {
          if ((rc = refuse_special(path, in, swhere, key, (long long)k, e, err))) goto done;
        }
    }
  }
  double *dst[] = {&res->stats.min,    &res->stats.max, &res->stats.mean, &res->stats.median,
                   &res->stats.stddev, &res->stats.q1,  &res->stats.q3};
  for (size_t k = 0; k < n_mapped; k++) {
    double v;
    int have = 1;
    if (!strcmp(MAPPED[k], "mean")) /* the one statistic every version writes */
      rc = qb_json_num(path, swhere, stats, MAPPED[k], 1, &v, err);
    else
      rc = qb_json_opt_num(path, swhere, stats, MAPPED[k], &v, &have, err);
    if (rc) goto done;
    if (have) *dst[k] = v * NS_PER_S;
  }
  if ((rc = qb_json_opt_int(path, swhere, stats, "rounds", &rounds, &have_rounds, err))) goto done;
  if (have_rounds) res->stats.n = rounds;
  if ((rc = qb_json_opt_int(path, swhere, stats, "iqr_outliers", &outliers, &have_outliers, err)))
    goto done;
  if (have_outliers) res->stats.outliers = outliers;
  if ((rc = qb_json_opt_int(path, swhere, stats, "iterations", &iterations, &have_iterations, err)))
    goto done;
  if (have_iterations && iterations < 1) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: %s.iterations: expected a positive integer, got %lld",
                    path, swhere, iterations);
    goto done;
  }

  if ((rc = qb_json_opt_arr(path, swhere, stats, "data", &data, err))) goto done;
  size_t n = data ? json_array_size(data) : 0;
  if (n) {
    samples = malloc(n * sizeof *samples);
    if (have_iterations) iters = malloc(n * sizeof *iters);
    if (!samples || (have_iterations && !iters)) {
      rc =
          qb_err_set(err, QB_ENOMEM, "%s: %s.data: out of memory for %zu samples", path, swhere, n);
      goto done;
    }
    for (size_t k = 0; k < n; k++) {
      json_t *v = json_array_get(data, k);
      if (!json_is_number(v)) {
        rc = qb_err_set(err, QB_EFORMAT, "%s: %s.data[%zu]: expected a number, got %s", path,
                        swhere, k, qb_json_type_name(v));
        goto done;
      }
      samples[k] = json_number_value(v) * NS_PER_S;
      if (iters) iters[k] = (uint64_t)iterations;
    }
    qb_result_take_samples(res, samples, iters, n);
    samples = NULL;
    iters = NULL;
  }

  if (!(rest = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  const char *key;
  json_t *v;
  json_object_foreach(stats, key, v) {
    int mapped = !strcmp(key, "data");
    for (size_t k = 0; k < n_mapped && !mapped; k++) mapped = !strcmp(key, MAPPED[k]);
    if (!mapped && json_object_set(rest, key, v)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (json_object_size(rest) && (rc = qb_json_set_text(&res->extra, rest, err))) goto done;

done:
  free(samples);
  free(iters);
  json_decref(rest);
  return rc;
}

/* Add entry i of the "benchmarks" array to run: the benchmark (name, group, params, extra) and
 * its latency result. Everything allocated is owned by run afterwards. */
static int parse_bench(const char *path, const src *in, json_t *benches, size_t i, int ambiguous,
                       qb_run *run, qb_err *err) {
  /* the keys mapped to the benchmark's own fields; every other one goes to its extra */
  static const char *const MAPPED_KEYS[] = {"name", "group", "params", "stats"};
  char where[WHERE_MAX], swhere[WHERE_MAX];
  json_t *b = json_array_get(benches, i), *params = NULL, *stats = NULL, *extra = NULL;
  const char *name, *fullname, *group;
  qb_bench *bench;
  int rc;

  snprintf(where, sizeof where, "benchmarks[%zu]", i);
  snprintf(swhere, sizeof swhere, "benchmarks[%zu].stats", i);
  if (!json_is_object(b)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: %s: expected an object, got %s", path, where,
                    qb_json_type_name(b));
    goto done;
  }
  if ((rc = qb_json_str(path, where, b, "name", 1, &name, err))) goto done;
  if ((rc = qb_json_opt_str(path, where, b, "fullname", &fullname, err))) goto done;
  if ((rc = qb_json_opt_str(path, where, b, "group", &group, err))) goto done;
  if ((rc = qb_json_opt_obj(path, where, b, "params", &params, err))) goto done;
  if ((rc = qb_json_obj(path, where, b, "stats", 1, &stats, err))) goto done;

  if (fullname && ambiguous) name = fullname;
  if ((rc = qb_run_add_bench(run, name, group, &bench, err))) goto done;
  if ((rc = qb_json_set_text(&bench->params, params, err))) goto done;

  if (!(extra = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  const char *key;
  json_t *v;
  json_object_foreach(b, key, v) {
    int mapped = json_is_null(v);
    for (size_t k = 0; k < sizeof MAPPED_KEYS / sizeof MAPPED_KEYS[0] && !mapped; k++)
      mapped = !strcmp(key, MAPPED_KEYS[k]);
    if (!mapped && json_object_set(extra, key, v)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (json_object_size(extra) && (rc = qb_json_set_text(&bench->extra, extra, err))) goto done;

  rc = parse_stats(path, in, swhere, stats, bench, err);

done:
  json_decref(extra);
  return rc;
}

/* Parse pytest-benchmark JSON (see adapters/adapter.h for the contract). Allocates the run handed
 * back in *out (the caller frees it with qb_run_free()); on failure *out is NULL and nothing is
 * left allocated. */
int qb_pytest_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err) {
  json_t *root = NULL, *benches = NULL;
  qb_run *run = NULL;
  unsigned char *ambiguous = NULL;
  qb_json_specials specials = QB_JSON_SPECIALS_INIT;
  src in = {data, len, &specials};
  int rc;
  *out = NULL;

  if ((rc = qb_json_parse_py(path, data, len, &root, &specials, err))) goto done;
  if (!json_is_object(root)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: top level: expected an object, got %s", path,
                    qb_json_type_name(root));
    goto done;
  }
  if (!(run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&run->format, "pytest", err))) goto done;
  if ((rc = qb_json_arr(path, "", root, "benchmarks", 1, &benches, err))) goto done;
  if (json_array_size(benches) == 0) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: benchmarks: no benchmarks (the array is empty)", path);
    goto done;
  }
  if ((rc = parse_run_meta(path, root, run, err))) goto done;
  if ((rc = ambiguous_names(benches, &ambiguous, err))) goto done;
  for (size_t i = 0; i < json_array_size(benches); i++)
    if ((rc = parse_bench(path, &in, benches, i, ambiguous[i], run, err))) goto done;

  *out = run;
  run = NULL;

done:
  free(ambiguous);
  qb_json_specials_dispose(&specials);
  qb_run_free(run);
  json_decref(root);
  return rc;
}

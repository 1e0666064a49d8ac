/* adapters/native.c - qbdb's own JSON Lines format (docs/formats/native.md) into a qb_run.
 *
 * One JSON object per line, blank lines ignored. The first non-blank line is the header
 * {"format":"qbdb-native","version":1,...run metadata...}; every later line is one result (one
 * metric of one benchmark). Lines are parsed one at a time, so a file is read in one pass and
 * never held as one big JSON tree. Errors are "PATH:LINE: FIELD: what is wrong".
 *
 * Ownership: qb_native_parse() hands the caller a new qb_run (free with qb_run_free()); every
 * other allocation made here (the per-line JSON, sample arrays, the line-number bookkeeping) is
 * moved into that run or freed before returning. Only types and structure are checked: ranges
 * (negative, NaN, absurd values) are ingest's business. */
#include "adapters/adapter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "core/time.h"
#include "core/units.h"

#define NATIVE_FORMAT  "qbdb-native"
#define NATIVE_VERSION 1

/* Header keys with a meaning; any other header key is kept in the run's extra. */
static const char *const HEADER_KEYS[] = {"format",     "version",     "project", "branch",
                                          "commit",     "commit_time", "machine", "machine_info",
                                          "started_at", "tool",        "tags"};
/* The only keys a result line may have (tool-specific values go in "extra"). */
static const char *const RESULT_KEYS[] = {"name",       "group",     "params",  "metric",
                                          "unit",       "direction", "samples", "iters",
                                          "iterations", "value",     "stats",   "extra"};
/* The only keys of a result's "stats"; all but n and outliers are in the line's unit. */
static const char *const STATS_KEYS[] = {"n",   "min", "max", "mean", "median",  "stddev",
                                         "p95", "p99", "q1",  "q3",   "outliers"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Line numbers of what was built, to name both lines in "defined twice" errors. One per bench,
 * parallel to run->benches; res_line is parallel to that bench's results. */
typedef struct bench_lines {
  size_t group_line;  /* line that gave the benchmark's group (0: none yet) */
  size_t params_line; /* line that gave its params (0: none yet) */
  size_t *res_line;   /* line of each result */
  size_t n, cap;
} bench_lines;

typedef struct native_state {
  qb_run *run;
  bench_lines *lines; /* parallel to run->benches */
  size_t n_lines, cap_lines;
} native_state;

/* 1 when key is one of the n names. */
static int in_list(const char *key, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(key, names[i])) return 1;
  return 0;
}

/* Refuse any key of obj that is not in names: "LABEL: WHEREKEY: unknown field". Allocates
 * nothing. */
static int check_keys(const char *label, const char *where, json_t *obj, const char *const *names,
                      size_t n, qb_err *err) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    if (!in_list(key, names, n))
      return qb_err_set(err, QB_EFORMAT,
                        "%s: %s%s: unknown field (tool-specific values go in \"extra\")", label,
                        where, key);
  }
  return QB_OK;
}

/* Read the optional ISO 8601 field key of the header into *out (unchanged when absent or "").
 * Allocates nothing. */
static int header_time(const char *label, json_t *h, const char *key, int64_t *out, qb_err *err) {
  const char *s;
  int rc = qb_json_opt_str(label, "", h, key, &s, err);
  if (rc || !s || !*s) return rc;
  if (qb_time_parse(s, out) != QB_OK)
    return qb_err_set(err, QB_EFORMAT, "%s: %s: not an ISO 8601 timestamp: \"%s\"", label, key, s);
  return QB_OK;
}

/* Fill the run's metadata from the header object h (line label names it in errors). Strings
 * are copied into the run; unknown keys go, as written, into run->extra. */
static int parse_header(native_state *st, const char *label, json_t *h, qb_err *err) {
  static const char *const STR_KEYS[] = {"project", "branch", "commit", "machine", "tool"};
  qb_run *run = st->run;
  char **str_fields[] = {&run->project, &run->branch, &run->commit_sha, &run->machine,
                         &run->tool_version};
  json_t *extra = NULL, *mi = NULL, *tags = NULL, *v;
  const char *s, *key;
  long long version;
  int rc;

  json_t *fmt = json_object_get(h, "format");
  if (!json_is_string(fmt) || strcmp(json_string_value(fmt), NATIVE_FORMAT) != 0) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: format: the first line must be the header "
                    "{\"format\":\"" NATIVE_FORMAT "\",\"version\":1,...}",
                    label);
    goto done;
  }
  if ((rc = qb_json_int(label, "", h, "version", 1, &version, err))) goto done;
  if (version != NATIVE_VERSION) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: version: unsupported version %lld (this qbdb reads %d)",
                    label, version, NATIVE_VERSION);
    goto done;
  }
  for (size_t i = 0; i < COUNT(STR_KEYS); i++) {
    if ((rc = qb_json_opt_str(label, "", h, STR_KEYS[i], &s, err))) goto done;
    if (s && *s && str_fields[i] == &run->commit_sha && !qb_commit_ok(s)) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: commit: expected 4 to 64 hex digits, got \"%.80s%s\"",
                      label, s, strlen(s) > 80 ? "..." : "");
      goto done;
    }
    if (s && *s && (rc = qb_run_set_str(str_fields[i], s, err))) goto done;
  }
  if ((rc = header_time(label, h, "commit_time", &run->commit_time, err))) goto done;
  if ((rc = header_time(label, h, "started_at", &run->started_at, err))) goto done;
  if ((rc = qb_json_opt_obj(label, "", h, "machine_info", &mi, err))) goto done;
  if ((rc = qb_json_set_text(&run->machine_info, mi, err))) goto done;

  if ((rc = qb_json_opt_obj(label, "", h, "tags", &tags, err))) goto done;
  if (tags) {
    json_object_foreach(tags, key, v) {
      if (!json_is_string(v)) {
        rc = qb_err_set(err, QB_EFORMAT, "%s: tags.%s: expected a string, got %s", label, key,
                        qb_json_type_name(v));
        goto done;
      }
      if ((rc = qb_run_add_tag(run, key, json_string_value(v), err))) goto done;
    }
  }

  if (!(extra = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  json_object_foreach(h, key, v) {
    if (!in_list(key, HEADER_KEYS, COUNT(HEADER_KEYS)) && json_object_set(extra, key, v)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (json_object_size(extra) && (rc = qb_json_set_text(&run->extra, extra, err))) goto done;

done:
  json_decref(extra);
  return rc;
}

/* Values of one result line before it is attached to the run. samples/iters are malloc'd and
 * freed by line_values_dispose() unless handed to the result. */
typedef struct line_values {
  double *samples;
  uint64_t *iters;
  size_t n;
  qb_stats stats;
} line_values;

/* Free lv's arrays (unless they were handed over) and empty it. */
static void line_values_dispose(line_values *lv) {
  free(lv->samples);
  free(lv->iters);
  lv->samples = NULL;
  lv->iters = NULL;
  lv->n = 0;
}

/* Element k of "iters" as an iteration count (an integer >= 1) into *out. Allocates nothing. */
static int iter_count(const char *label, size_t k, json_t *v, uint64_t *out, qb_err *err) {
  if (json_is_integer(v) && json_integer_value(v) >= 1) {
    *out = (uint64_t)json_integer_value(v);
    return QB_OK;
  }
  if (json_is_integer(v))
    return qb_err_set(err, QB_EFORMAT, "%s: iters[%zu]: expected a positive integer, got %lld",
                      label, k, (long long)json_integer_value(v));
  return qb_err_set(err, QB_EFORMAT, "%s: iters[%zu]: expected a positive integer, got %s", label,
                    k, qb_json_type_name(v));
}

/* Read "samples"/"value", "iters"/"iterations" and "stats" of result line o, converting values
 * with factor, into lv (its arrays are allocated here; the caller disposes of them). */
static int parse_values(const char *label, json_t *o, double factor, line_values *lv, qb_err *err) {
  json_t *samples = NULL, *iters = NULL, *stats = NULL;
  double value = 0;
  long long iterations = 0;
  int have_value, have_iterations;
  int rc;

  qb_stats_init(&lv->stats);
  if ((rc = qb_json_opt_arr(label, "", o, "samples", &samples, err))) goto done;
  if ((rc = qb_json_opt_num(label, "", o, "value", &value, &have_value, err))) goto done;
  if ((rc = qb_json_opt_arr(label, "", o, "iters", &iters, err))) goto done;
  if ((rc = qb_json_opt_int(label, "", o, "iterations", &iterations, &have_iterations, err)))
    goto done;
  if ((rc = qb_json_opt_obj(label, "", o, "stats", &stats, err))) goto done;

  if (!samples && !have_value && !stats) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: samples: no values (give \"samples\", \"value\" or \"stats\")", label);
    goto done;
  }
  if (samples && have_value) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: value: give either \"samples\" or \"value\", not both",
                    label);
    goto done;
  }
  if (iters && have_iterations) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: iterations: give either \"iters\" or \"iterations\", not both", label);
    goto done;
  }
  if ((iters || have_iterations) && !samples && !have_value) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: %s: iteration counts without \"samples\" or \"value\"",
                    label, iters ? "iters" : "iterations");
    goto done;
  }
  if (have_iterations && iterations < 1) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: iterations: expected a positive integer, got %lld", label,
                    iterations);
    goto done;
  }

  if (samples || have_value) {
    size_t n = samples ? json_array_size(samples) : 1;
    if (n == 0) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: samples: empty array", label);
      goto done;
    }
    if (iters && json_array_size(iters) != n) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: iters: %zu values for %zu samples", label,
                      json_array_size(iters), n);
      goto done;
    }
    lv->samples = malloc(n * sizeof *lv->samples);
    if (iters || have_iterations) lv->iters = malloc(n * sizeof *lv->iters);
    if (!lv->samples || ((iters || have_iterations) && !lv->iters)) {
      rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory for %zu samples", label, n);
      goto done;
    }
    lv->n = n;
    for (size_t k = 0; k < n; k++) {
      if (samples) {
        json_t *v = json_array_get(samples, k);
        if (!json_is_number(v)) {
          rc = qb_err_set(err, QB_EFORMAT, "%s: samples[%zu]: expected a number, got %s", label, k,
                          qb_json_type_name(v));
          goto done;
        }
        value = json_number_value(v);
      }
      lv->samples[k] = value * factor;
      if (iters) {
        if ((rc = iter_count(label, k, json_array_get(iters, k), &lv->iters[k], err))) goto done;
      } else if (have_iterations) {
        lv->iters[k] = (uint64_t)iterations;
      }
    }
  }

  if (stats) {
    qb_stats *s = &lv->stats;
    double *dst[] = {&s->min, &s->max, &s->mean, &s->median, &s->stddev,
                     &s->p95, &s->p99, &s->q1,   &s->q3};
    static const char *const KEYS[] = {"min", "max", "mean", "median", "stddev",
                                       "p95", "p99", "q1",   "q3"};
    long long count;
    int have;
    if ((rc = check_keys(label, "stats.", stats, STATS_KEYS, COUNT(STATS_KEYS), err))) goto done;
    for (size_t k = 0; k < COUNT(KEYS); k++) {
      double v;
      if ((rc = qb_json_opt_num(label, "stats", stats, KEYS[k], &v, &have, err))) goto done;
      if (have) *dst[k] = v * factor;
    }
    if ((rc = qb_json_opt_int(label, "stats", stats, "n", &count, &have, err))) goto done;
    if (have) s->n = count;
    if ((rc = qb_json_opt_int(label, "stats", stats, "outliers", &count, &have, err))) goto done;
    if (have) s->outliers = count;
  }

done:
  return rc;
}

/* Record that the newest result of bench b came from line lineno (grows the bookkeeping, which
 * native_state owns). */
static int note_result_line(native_state *st, size_t b, size_t lineno, qb_err *err) {
  bench_lines *bl = &st->lines[b];
  if (bl->n == bl->cap) {
    size_t nc = bl->cap ? bl->cap * 2 : 4;
    size_t *p = realloc(bl->res_line, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    bl->res_line = p;
    bl->cap = nc;
  }
  bl->res_line[bl->n++] = lineno;
  return QB_OK;
}

/* Add a new benchmark named name (with group and params text, both may be NULL) first seen on
 * line lineno; its index in run->benches goes to *index. Copies are owned by the run. */
static int new_bench(native_state *st, const char *name, const char *group, const char *params,
                     size_t lineno, size_t *index, qb_err *err) {
  qb_bench *b;
  int rc;
  if (st->n_lines == st->cap_lines) {
    size_t nc = st->cap_lines ? st->cap_lines * 2 : 16;
    bench_lines *p = realloc(st->lines, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    st->lines = p;
    st->cap_lines = nc;
  }
  if ((rc = qb_run_add_bench(st->run, name, group, &b, err))) return rc;
  if ((rc = qb_run_set_str(&b->params, params, err))) return rc;
  bench_lines *bl = &st->lines[st->n_lines++];
  memset(bl, 0, sizeof *bl);
  bl->group_line = group ? lineno : 0;
  bl->params_line = params ? lineno : 0;
  *index = st->run->n_benches - 1;
  return QB_OK;
}

/* A later line of an existing benchmark may repeat its group or params, or give them for the
 * first time, but not contradict them. field is "group" or "params"; *have is the benchmark's
 * (owned by the run) and *have_line the line that gave it; given is this line's (NULL: not
 * given). */
static int merge_bench_field(const char *label, size_t lineno, const char *field, char **have,
                             size_t *have_line, const char *given, qb_err *err) {
  if (!given) return QB_OK;
  if (!*have) {
    *have_line = lineno;
    return qb_run_set_str(have, given, err);
  }
  const char *q = strcmp(field, "group") != 0 ? "" : "\""; /* params are JSON text already */
  if (strcmp(*have, given) != 0)
    return qb_err_set(err, QB_EFORMAT,
                      "%s: %s: %s%s%s differs from %s%s%s given for this benchmark on line %zu",
                      label, field, q, given, q, q, *have, q, *have_line);
  return QB_OK;
}

/* Parse result line o (line lineno, named label in errors) and attach it to the run: find or add
 * its benchmark and add one result. Everything allocated is owned by the run afterwards. */
static int parse_result(native_state *st, const char *label, size_t lineno, json_t *o,
                        qb_err *err) {
  const char *name, *group, *metric = "latency", *unit_name, *dir;
  json_t *params = NULL, *extra = NULL;
  char *params_text = NULL;
  line_values lv = {0};
  qb_unit unit;
  qb_direction direction;
  qb_result *res;
  size_t b = 0;
  int rc;

  if (json_object_get(o, "format")) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: format: a second header (one file holds one run)", label);
    goto done;
  }
  if ((rc = check_keys(label, "", o, RESULT_KEYS, COUNT(RESULT_KEYS), err))) goto done;
  if ((rc = qb_json_str(label, "", o, "name", 1, &name, err))) goto done;
  if (!*name) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: name: empty", label);
    goto done;
  }
  if ((rc = qb_json_opt_str(label, "", o, "group", &group, err))) goto done;
  if ((rc = qb_json_opt_obj(label, "", o, "params", &params, err))) goto done;
  if ((rc = qb_json_opt_str(label, "", o, "metric", &metric, err))) goto done;
  if (!metric) metric = "latency";
  if (!*metric) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: metric: empty", label);
    goto done;
  }
  if ((rc = qb_json_str(label, "", o, "unit", 1, &unit_name, err))) goto done;
  if (qb_unit_parse(unit_name, &unit) != QB_OK) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: unit: unknown unit \"%s\"", label, unit_name);
    goto done;
  }
  if ((rc = qb_json_opt_str(label, "", o, "direction", &dir, err))) goto done;
  if (!dir) {
    direction = qb_metric_higher_is_better(metric) ? QB_HIGHER_IS_BETTER : QB_LOWER_IS_BETTER;
  } else if (!strcmp(dir, "lower")) {
    direction = QB_LOWER_IS_BETTER;
  } else if (!strcmp(dir, "higher")) {
    direction = QB_HIGHER_IS_BETTER;
  } else {
    rc = qb_err_set(err, QB_EFORMAT, "%s: direction: expected \"lower\" or \"higher\", got \"%s\"",
                    label, dir);
    goto done;
  }
  if ((rc = qb_json_opt_obj(label, "", o, "extra", &extra, err))) goto done;
  if ((rc = parse_values(label, o, unit.factor, &lv, err))) goto done;
  if (params && !(params_text = qb_json_dump(params))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }

  qb_bench *found = qb_run_find_bench(st->run, name);
  if (found) {
    b = (size_t)(found - st->run->benches);
    for (size_t k = 0; k < found->n_results; k++) {
      if (!strcmp(found->results[k].metric, metric)) {
        rc = qb_err_set(err, QB_EFORMAT,
                        "%s: metric: benchmark \"%s\" has metric \"%s\" twice (lines %zu and %zu)",
                        label, name, metric, st->lines[b].res_line[k], lineno);
        goto done;
      }
    }
    bench_lines *bl = &st->lines[b];
    if ((rc =
             merge_bench_field(label, lineno, "group", &found->group, &bl->group_line, group, err)))
      goto done;
    if ((rc = merge_bench_field(label, lineno, "params", &found->params, &bl->params_line,
                                params_text, err)))
      goto done;
  } else if ((rc = new_bench(st, name, group, params_text, lineno, &b, err))) {
    goto done;
  }

  qb_bench *bench = &st->run->benches[b];
  if ((rc = qb_bench_add_result(bench, metric, unit.base, direction, &res, err))) goto done;
  if ((rc = note_result_line(st, b, lineno, err))) goto done;
  res->stats = lv.stats;
  qb_result_take_samples(res, lv.samples, lv.iters, lv.n);
  lv.samples = NULL;
  lv.iters = NULL;
  if ((rc = qb_json_set_text(&res->extra, extra, err))) goto done;

done:
  line_values_dispose(&lv);
  free(params_text);
  return rc;
}

/* 1 when the n bytes at s are all spaces, tabs or carriage returns. */
static int is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
  return 1;
}

/* Parse a qbdb-native file (see adapters/adapter.h for the contract). Allocates the run handed
 * back in *out (the caller frees it with qb_run_free()); on failure *out is NULL and nothing is
 * left allocated. */
int qb_native_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err) {
  native_state st = {NULL, NULL, 0, 0};
  json_t *obj = NULL;
  size_t pos = 0, lineno = 0, header_line = 0, n_results = 0;
  char label[QB_ERR_MSG_MAX];
  int rc = QB_OK;
  *out = NULL;

  if (!(st.run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&st.run->format, "native", err))) goto done;
  if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) pos = 3; /* a UTF-8 byte order mark */

  while (pos < len) {
    const char *s = data + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl ? 1 : 0);
    lineno++;
    if (is_blank(s, n)) continue;
    snprintf(label, sizeof label, "%s:%zu", path, lineno);
    if ((rc = qb_json_parse_line(path, lineno, s, n, &obj, err))) {
      if (!header_line && err) { /* most likely not a native file at all: say what was expected */
        char why[QB_ERR_MSG_MAX];
        size_t skip = strlen(label) + 2; /* the parse error starts with "PATH:LINE: " */
        snprintf(why, sizeof why, "%s", strlen(err->msg) > skip ? err->msg + skip : err->msg);
        qb_err_set(err, QB_EFORMAT,
                   "%s: not a qbdb native file: the first line must be the header "
                   "{\"format\":\"" NATIVE_FORMAT "\",\"version\":1,...} (%s)",
                   label, why);
      }
      goto done;
    }
    if (!header_line) {
      rc = parse_header(&st, label, obj, err);
      header_line = lineno;
    } else {
      rc = parse_result(&st, label, lineno, obj, err);
      n_results++;
    }
    json_decref(obj);
    obj = NULL;
    if (rc) goto done;
  }
  if (!header_line) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s:1: no results: the file is empty (expected the " NATIVE_FORMAT
                    " header and result lines)",
                    path);
    goto done;
  }
  if (!n_results) {
    rc = qb_err_set(err, QB_EFORMAT, "%s:%zu: no results: only the header, no result lines", path,
                    header_line);
    goto done;
  }

  *out = st.run;
  st.run = NULL;

done:
  json_decref(obj);
  for (size_t i = 0; i < st.n_lines; i++) free(st.lines[i].res_line);
  free(st.lines);
  qb_run_free(st.run);
  return rc;
}

/* adapters/gbench.c - Google Benchmark JSON (--benchmark_format=json, --benchmark_out) into a
 * qb_run.
 *
 * The input is one JSON object: "context" (date, host_name, cpu and cache description, library
 * build type and version) and "benchmarks", a flat array of entries. An entry is either one run of
 * one benchmark instance (run_type "iteration", or no run_type in old files), an
 * aggregate over its repetitions (run_type "aggregate": mean, median, stddev, cv or a user
 * statistic), or a complexity fit of a family (aggregate_name "BigO" with big_o and the
 * coefficients, "RMS" with rms). Entries of the same run_name become one benchmark: the iteration
 * entries give one sample each (per-iteration real_time / cpu_time in the entry's time_unit) and
 * the aggregates fill and cross-check the statistics. Any other number in an entry is a user
 * counter. Errored and skipped entries (error_occurred / skipped) produce no values; they are
 * listed in the run's extra and counted in their benchmark's (failed, failed_repetitions,
 * skipped_repetitions), and n leaves them out. Google Benchmark writes NaN and +-Infinity as bare
 * tokens, which are not JSON; they are read as non-finite numbers. The whole mapping is written
 * down in docs/formats/google-benchmark.md.
 *
 * Ownership: qb_gbench_parse() hands the caller a new qb_run (free with qb_run_free()); every
 * other allocation made here is either moved into that run or freed before returning. */
#include "adapters/adapter.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapters/json.h"
#include "core/time.h"
#include "core/units.h"

/* "benchmarks[N]" with N up to 20 digits fits easily. */
#define WHERE_MAX 48

/* Relative tolerance of the cross-check of the tool's mean/median (and variance) aggregates against
 * the statistics of the repetitions. Google Benchmark prints 17 significant digits but computes
 * its aggregates from accumulated times (and the variance as E[x^2] - E[x]^2), so they differ from
 * ours in the last digits; 1e-9 leaves room for that and still catches a wrong pairing. */
#define CROSS_REL 1e-9

/* ---- non-finite tokens ---- */

/* Length of the bare non-finite token (NaN, -NaN, Infinity, -Infinity) at s when one starts there
 * and ends at a JSON delimiter, else 0. */
static size_t nonfinite_token(const char *s, size_t n) {
  static const char *const TOKENS[] = {"-Infinity", "Infinity", "-NaN", "NaN"};
  if (!n || (s[0] != 'N' && s[0] != 'I' && s[0] != '-')) return 0;
  for (size_t k = 0; k < sizeof TOKENS / sizeof TOKENS[0]; k++) {
    size_t l = strlen(TOKENS[k]);
    if (l <= n && !memcmp(s, TOKENS[k], l) &&
        (l == n || memchr(" \t\r\n,]}", s[l], sizeof " \t\r\n,]}" - 1)))
      return l;
  }
  return 0;
}

/* The value of a string made from a non-finite token ("NaN", "-Infinity"...): 1 and *out set, or 0
 * when v is anything else. */
static int nonfinite_value(const json_t *v, double *out) {
  const char *s = json_string_value(v);
  if (!s) return 0;
  if (!strcmp(s, "NaN") || !strcmp(s, "-NaN"))
    *out = NAN;
  else if (!strcmp(s, "Infinity"))
    *out = INFINITY;
  else if (!strcmp(s, "-Infinity"))
    *out = -INFINITY;
  else
    return 0;
  return 1;
}

/* Where the non-finite tokens stand (byte offsets, in order): qb_json_scan_values' list. */
typedef struct token_list {
  size_t *at, n, cap;
} token_list;

/* qb_json_scan_values' found for parse_json: offset at goes on the list (QB_ENOMEM when it
 * cannot). */
static int list_token(void *ctx, size_t at, size_t n) {
  token_list *t = ctx;
  (void)n;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    size_t *p = realloc(t->at, nc * sizeof *p);
    if (!p) return QB_ENOMEM;
    t->at = p;
    t->cap = nc;
  }
  t->at[t->n++] = at;
  return 0;
}

/* Parse data as JSON like qb_json_parse, but first turn every bare non-finite token that stands
 * where a value goes (not the whole text) into a string ("NaN"), so that nonfinite_value() can
 * recognise it. An error gives the line, column and byte of the original text. *out is a new
 * reference. */
static int parse_json(const char *path, const char *data, size_t len, json_t **out, qb_err *err) {
  token_list t = {NULL, 0, 0};
  char *text = NULL;
  int rc = QB_OK;
  *out = NULL;

  if (qb_json_scan_values(data, len, 0, nonfinite_token, list_token, &t)) {
    rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  size_t *at = t.at, n_at = t.n;
  if (!n_at) {
    rc = qb_json_parse(path, data, len, out, err);
    goto done;
  }

  size_t tlen = len + 2 * n_at, o = 0, from = 0;
  if (!(text = malloc(tlen + 1))) {
    rc = qb_err_set(err, QB_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  for (size_t k = 0; k < n_at; k++) {
    size_t l = nonfinite_token(data + at[k], len - at[k]);
    memcpy(text + o, data + from, at[k] - from);
    o += at[k] - from;
    text[o++] = '"';
    memcpy(text + o, data + at[k], l);
    o += l;
    text[o++] = '"';
    from = at[k] + l;
  }
  memcpy(text + o, data + from, len - from);
  text[tlen] = '\0';

  json_error_t je;
  if (!(*out = json_loadb(text, tlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je))) {
    /* Map the position back: every quoted token before it added two bytes. */
    size_t pos = je.position > 0 ? (size_t)je.position : 0, before = 0;
    while (before < n_at && at[before] + 2 * before < pos) before++;
    size_t opos = pos >= 2 * before ? pos - 2 * before : 0;
    if (opos > len) opos = len;
    size_t line_start = opos;
    while (line_start > 0 && data[line_start - 1] != '\n') line_start--;
    size_t on_line = 0;
    for (size_t k = 0; k < before; k++)
      if (at[k] >= line_start) on_line++;
    int column = je.column - 2 * (int)on_line;
    rc = qb_err_set(err, QB_EFORMAT, "%s: invalid JSON at line %d, column %d (byte %zu): %s", path,
                    je.line, column < 0 ? 0 : column, opos, je.text);
  }

done:
  free(t.at);
  free(text);
  return rc;
}

/* ---- small helpers ---- */

/* obj[key] as a number, where a non-finite token counts as a number (*out NAN or +-INFINITY).
 * Missing or null: QB_ENOTFOUND when !required (no message), else QB_EFORMAT. */
static int get_num(const char *path, const char *where, json_t *obj, const char *key, int required,
                   double *out, qb_err *err) {
  if (nonfinite_value(json_object_get(obj, key), out)) return QB_OK;
  return qb_json_num(path, where, obj, key, required, out, err);
}

/* How a non-finite value was written, for messages. */
static const char *nonfinite_name(double v) {
  return isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

/* Refuse a non-finite value, or a negative one when !may_be_negative, of field key. */
static int check_range(const char *path, const char *where, const char *key, double v,
                       int may_be_negative, qb_err *err) {
  if (!isfinite(v))
    return qb_err_set(err, QB_EFORMAT, "%s: %s.%s: expected a finite number, got %s", path, where,
                      key, nonfinite_name(v));
  if (v < 0 && !may_be_negative)
    return qb_err_set(err, QB_EFORMAT, "%s: %s.%s: expected a non-negative number, got %.17g", path,
                      where, key, v);
  return QB_OK;
}

/* Nanoseconds per time_unit ("ns", "us", "ms", "s"); QB_EFORMAT naming the field otherwise. */
static int time_factor(const char *path, const char *where, json_t *e, double *factor,
                       qb_err *err) {
  static const struct {
    const char *name;
    double ns;
  } UNITS[] = {{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  const char *u;
  int rc = qb_json_str(path, where, e, "time_unit", 1, &u, err);
  if (rc) return rc;
  for (size_t k = 0; k < sizeof UNITS / sizeof UNITS[0]; k++)
    if (!strcmp(u, UNITS[k].name)) {
      *factor = UNITS[k].ns;
      return QB_OK;
    }
  return qb_err_set(err, QB_EFORMAT,
                    "%s: %s.time_unit: unknown time unit \"%s\" (expected ns, us, ms or s)", path,
                    where, u);
}

/* json_object_set_new that reports out of memory (v may be NULL after a failed allocation). */
static int jset(json_t *obj, const char *key, json_t *v, qb_err *err) {
  if (!v || json_object_set_new(obj, key, v)) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* A number as JSON: a real, or the token string for a non-finite value. New reference. */
static json_t *jnum(double v) {
  return isfinite(v) ? json_real(v) : json_string(nonfinite_name(v));
}

static int is_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* Growable list of entry indices. */
typedef struct idx_list {
  size_t *v;
  size_t n, cap;
} idx_list;

static int idx_push(idx_list *l, size_t i, qb_err *err) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 8;
    size_t *p = realloc(l->v, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    l->v = p;
    l->cap = nc;
  }
  l->v[l->n++] = i;
  return QB_OK;
}

/* ---- benchmark names ---- */

/* The integer spelled by s (optional '-', then digits only, no overflow): 1 and *out, else 0. */
static int parse_int(const char *s, long long *out) {
  const char *d = s + (*s == '-');
  if (!*d) return 0;
  for (const char *p = d; *p; p++)
    if (*p < '0' || *p > '9') return 0;
  errno = 0;
  *out = strtoll(s, NULL, 10);
  return errno == 0;
}

/* What one '/'-separated component of a benchmark name is (Google Benchmark's BenchmarkName:
 * function name, then args, min_time, min_warmup_time, iterations, repeats, time type, threads). */
typedef enum comp_kind {
  COMP_OTHER,      /* part of the function (family) name, or an argument we cannot read */
  COMP_ARG,        /* 256 */
  COMP_NAMED_ARG,  /* len:64 (ArgNames) */
  COMP_THREADS,    /* threads:2 */
  COMP_OPTION_INT, /* iterations:20, repeats:5 */
  COMP_OPTION_STR, /* min_time:0.500, min_warmup_time:1s */
  COMP_FLAG        /* real_time, manual_time, process_time */
} comp_kind;

/* Classify component s; for "key:value" forms *value points into s after the colon (which is
 * replaced by a NUL so that s is the key), and *iv holds an integer value. */
static comp_kind classify(char *s, char **value, long long *iv) {
  static const char *const FLAGS[] = {"real_time", "manual_time", "process_time"};
  for (size_t k = 0; k < sizeof FLAGS / sizeof FLAGS[0]; k++)
    if (!strcmp(s, FLAGS[k])) return COMP_FLAG;
  if (parse_int(s, iv)) return COMP_ARG;
  char *colon = strchr(s, ':');
  if (!colon || colon == s || !colon[1]) return COMP_OTHER;
  const char *v = colon + 1;
  size_t klen = (size_t)(colon - s);
  int is_int = parse_int(v, iv);
#define KEY_IS(k) (klen == sizeof k - 1 && !memcmp(s, k, klen))
  comp_kind kind = COMP_OTHER;
  if (KEY_IS("threads") && is_int)
    kind = COMP_THREADS;
  else if ((KEY_IS("iterations") || KEY_IS("repeats")) && is_int)
    kind = COMP_OPTION_INT;
  else if (KEY_IS("min_time") || KEY_IS("min_warmup_time"))
    kind = COMP_OPTION_STR;
  else if (is_int)
    kind = COMP_NAMED_ARG;
#undef KEY_IS
  if (kind != COMP_OTHER) {
    *colon = '\0';
    *value = colon + 1;
  }
  return kind;
}

/* Split a benchmark name into its family (*family, malloc'd: the leading components up to the
 * first argument or option, e.g. "BM_Fill" or "Prefix/BM_Zero"), its parameters (*params: args as
 * "arg<i>" or by their ArgNames name, and threads) and its run options (*options: iterations,
 * repeats, min_time, min_warmup_time, real_time...). *params and *options are new references, or
 * NULL when empty. The caller frees and decrefs them. */
static int parse_name(const char *name, char **family, json_t **params, json_t **options,
                      qb_err *err) {
  char *tmp = strdup(name);
  size_t family_len = 0, pos = 0;
  int args_started = 0, rc = QB_OK;
  *family = NULL;
  *params = json_object();
  *options = json_object();
  if (!tmp || !*params || !*options) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  size_t n = strlen(tmp);
  for (size_t i = 0; i <= n; i++) tmp[i] = tmp[i] == '/' ? '\0' : tmp[i];
  for (size_t start = 0, ci = 0, clen; start <= n; start += clen + 1, ci++) {
    char *c = tmp + start, *value = NULL, key[32];
    clen = strlen(c); /* before classify() cuts c at its colon */
    long long iv = 0;
    comp_kind kind = ci == 0 ? COMP_OTHER : classify(c, &value, &iv);
    if (!args_started && kind == COMP_OTHER) {
      family_len = start + clen;
      continue;
    }
    args_started = 1;
    switch (kind) {
      case COMP_ARG:
        snprintf(key, sizeof key, "arg%zu", pos++);
        rc = jset(*params, key, json_integer(iv), err);
        break;
      case COMP_OTHER:
        snprintf(key, sizeof key, "arg%zu", pos++);
        rc = jset(*params, key, json_string(c), err);
        break;
      case COMP_NAMED_ARG:
        pos++;
        rc = jset(*params, c, json_integer(iv), err);
        break;
      case COMP_THREADS:
        rc = jset(*params, "threads", json_integer(iv), err);
        break;
      case COMP_OPTION_INT:
        rc = jset(*options, c, json_integer(iv), err);
        break;
      case COMP_OPTION_STR:
        rc = jset(*options, c, json_string(value), err);
        break;
      case COMP_FLAG:
        rc = jset(*options, c, json_true(), err);
        break;
    }
    if (rc) goto done;
  }
  if (!(*family = malloc(family_len + 1))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(*family, name, family_len);
  (*family)[family_len] = '\0';

done:
  free(tmp);
  if (rc) {
    free(*family);
    *family = NULL;
  }
  if (rc || !json_object_size(*params)) {
    json_decref(*params);
    *params = NULL;
  }
  if (rc || !json_object_size(*options)) {
    json_decref(*options);
    *options = NULL;
  }
  return rc;
}

/* ---- run metadata ---- */

/* context keys that describe the run rather than the machine: kept in run->extra.context. */
static const char *const RUN_CONTEXT_KEYS[] = {"date", "executable", "library_build_type",
                                               "library_version", "json_schema_version"};

static int is_run_context_key(const char *key) {
  for (size_t k = 0; k < sizeof RUN_CONTEXT_KEYS / sizeof RUN_CONTEXT_KEYS[0]; k++)
    if (!strcmp(key, RUN_CONTEXT_KEYS[k])) return 1;
  return 0;
}

/* Fill the run-level fields from the context object: machine (host_name), started_at (date),
 * tool_version (library_version), machine_info (every other key) and *run_ctx (a new object with
 * the run-level keys, for run->extra; the caller decrefs it). */
static int parse_context(const char *path, json_t *ctx, qb_run *run, json_t **run_ctx,
                         qb_err *err) {
  json_t *mi = NULL;
  const char *s, *key;
  json_t *v;
  int rc;
  if (!(*run_ctx = json_object()) || !(mi = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_json_opt_str(path, "context", ctx, "host_name", &s, err))) goto done;
  if (s && *s && (rc = qb_run_set_str(&run->machine, s, err))) goto done;
  /* The date is the local time of the machine, with an offset since 1.5; one that does not parse
   * (a format we do not know) leaves the start time unknown and is kept in extra.context. */
  if ((rc = qb_json_opt_str(path, "context", ctx, "date", &s, err))) goto done;
  int64_t t;
  if (s && qb_time_parse(s, &t) == QB_OK) run->started_at = t;
  if ((rc = qb_json_opt_str(path, "context", ctx, "library_version", &s, err))) goto done;
  if (s && *s) {
    size_t n = sizeof "google-benchmark " + strlen(s);
    char *text = malloc(n);
    if (!text) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    snprintf(text, n, "google-benchmark %s", s);
    free(run->tool_version);
    run->tool_version = text;
  }
  json_object_foreach(ctx, key, v) {
    if (json_object_set(is_run_context_key(key) ? *run_ctx : mi, key, v)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (json_object_size(mi) && (rc = qb_json_set_text(&run->machine_info, mi, err))) goto done;

done:
  json_decref(mi);
  return rc;
}

/* ---- entries ---- */

/* Entry fields with a meaning of their own; any other number in an entry is a user counter. */
static const char *const KNOWN_FIELDS[] = {"name",
                                           "family_index",
                                           "per_family_instance_index",
                                           "run_name",
                                           "run_type",
                                           "repetitions",
                                           "repetition_index",
                                           "threads",
                                           "aggregate_name",
                                           "aggregate_unit",
                                           "error_occurred",
                                           "error_message",
                                           "skipped",
                                           "skip_message",
                                           "iterations",
                                           "real_time",
                                           "cpu_time",
                                           "time_unit",
                                           "cpu_coefficient",
                                           "real_coefficient",
                                           "big_o",
                                           "rms",
                                           "label"};

static int is_known_field(const char *key) {
  for (size_t k = 0; k < sizeof KNOWN_FIELDS / sizeof KNOWN_FIELDS[0]; k++)
    if (!strcmp(key, KNOWN_FIELDS[k])) return 1;
  return 0;
}

/* 1 when v is a counter value: a number or a non-finite token. */
static int is_counter_value(const json_t *v) {
  double d;
  return json_is_number(v) || nonfinite_value(v, &d);
}

/* The entries of one benchmark (one run_name), in file order. */
typedef struct group {
  const char *key; /* run_name (borrowed from scan.index) */
  idx_list iter;   /* run_type "iteration" entries: the repetitions */
  idx_list agg;    /* run_type "aggregate" entries other than BigO / RMS */
} group;

/* Everything read from the benchmarks array before the benchmarks are built. */
typedef struct scan {
  group *groups;
  size_t n_groups, cap_groups;
  json_t *index;      /* run_name -> position in groups */
  json_t *complexity; /* family -> {big_o, real_coefficient, cpu_coefficient, rms, ...} */
  json_t *errors;     /* [{name, error}] of error_occurred entries */
  json_t *skipped;    /* [{name, message}] of skipped entries */
  json_t *failures;   /* run_name -> {"failed": N, "skipped": N}: those entries, per benchmark */
} scan;

static void scan_dispose(scan *sc) {
  for (size_t i = 0; i < sc->n_groups; i++) {
    free(sc->groups[i].iter.v);
    free(sc->groups[i].agg.v);
  }
  free(sc->groups);
  json_decref(sc->index);
  json_decref(sc->complexity);
  json_decref(sc->errors);
  json_decref(sc->skipped);
  json_decref(sc->failures);
}

/* The group for run name key, created at the end when new. */
static int scan_group(scan *sc, const char *key, group **out, qb_err *err) {
  json_t *pos = json_object_get(sc->index, key);
  if (pos) {
    *out = &sc->groups[json_integer_value(pos)];
    return QB_OK;
  }
  if (sc->n_groups == sc->cap_groups) {
    size_t nc = sc->cap_groups ? sc->cap_groups * 2 : 16;
    group *p = realloc(sc->groups, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    sc->groups = p;
    sc->cap_groups = nc;
  }
  int rc = jset(sc->index, key, json_integer((json_int_t)sc->n_groups), err);
  if (rc) return rc;
  *out = &sc->groups[sc->n_groups++];
  memset(*out, 0, sizeof **out);
  (*out)->key = json_object_iter_key(json_object_iter_at(sc->index, key)); /* the index's copy */
  return QB_OK;
}

/* Record a BigO or RMS entry e (at where) under its family in sc->complexity. Coefficients are
 * converted to ns with the entry's time_unit. */
static int scan_complexity(const char *path, const char *where, json_t *e, const char *name,
                           const char *run_name, const char *agg_name, scan *sc, qb_err *err) {
  char *family = NULL;
  json_t *rec = NULL;
  int rc = QB_OK, is_rms = agg_name ? !strcmp(agg_name, "RMS") : json_object_get(e, "rms") != NULL;
  const char *suffix = is_rms ? "_RMS" : "_BigO";
  if (run_name)
    family = strdup(run_name);
  else if (is_suffix(name, suffix))
    family = strndup(name, strlen(name) - strlen(suffix));
  else
    family = strdup(name);
  if (!family) return qb_err_set(err, QB_ENOMEM, "out of memory");

  rec = json_object_get(sc->complexity, family);
  if (!rec) {
    if ((rc = jset(sc->complexity, family, json_object(), err))) goto done;
    rec = json_object_get(sc->complexity, family);
  }
  const char *dup = is_rms ? "rms" : "big_o";
  if (json_object_get(rec, dup)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: %s: a second %s entry for the family \"%s\"", path, where,
                    is_rms ? "RMS" : "BigO", family);
    goto done;
  }
  json_t *fi = json_object_get(e, "family_index");
  if (json_is_integer(fi) && (rc = jset(rec, "family_index", json_incref(fi), err))) goto done;
  double d;
  if (is_rms) {
    /* A fraction (0.028 = 2.8 %), although aggregate_unit says "percentage". */
    rc = get_num(path, where, e, "rms", 0, &d, err);
    if (rc == QB_ENOTFOUND)
      rc = jset(rec, "rms", json_null(), err);
    else if (rc == QB_OK)
      rc = jset(rec, "rms", jnum(d), err);
    goto done;
  }
  const char *big_o;
  if ((rc = qb_json_opt_str(path, where, e, "big_o", &big_o, err))) goto done;
  if ((rc = jset(rec, "big_o", big_o ? json_string(big_o) : json_null(), err))) goto done;
  static const char *const COEFS[] = {"real_coefficient", "cpu_coefficient"};
  double factor = 1.0;
  int have_coef = 0;
  for (size_t k = 0; k < 2; k++) have_coef |= json_object_get(e, COEFS[k]) != NULL;
  if (have_coef && (rc = time_factor(path, where, e, &factor, err))) goto done;
  for (size_t k = 0; k < 2; k++) {
    rc = get_num(path, where, e, COEFS[k], 0, &d, err);
    if (rc == QB_ENOTFOUND) {
      rc = QB_OK;
      continue;
    }
    if (rc || (rc = jset(rec, COEFS[k], jnum(d * factor), err))) goto done;
  }

done:
  free(family);
  return rc;
}

/* Count one errored (what "failed") or skipped ("skipped") entry of benchmark key in
 * sc->failures. */
static int count_failure(scan *sc, const char *key, const char *what, qb_err *err) {
  json_t *rec = json_object_get(sc->failures, key);
  if (!rec) {
    int rc = jset(sc->failures, key,
                  json_pack("{s:I,s:I}", "failed", (json_int_t)0, "skipped", (json_int_t)0), err);
    if (rc) return rc;
    rec = json_object_get(sc->failures, key);
  }
  return jset(rec, what, json_integer(json_integer_value(json_object_get(rec, what)) + 1), err);
}

/* First pass: check every entry's common fields and sort it into its group, the complexity
 * records, or the error and skip lists. */
static int scan_entries(const char *path, json_t *benches, scan *sc, qb_err *err) {
  int rc = QB_OK;
  if (!(sc->index = json_object()) || !(sc->complexity = json_object()) ||
      !(sc->errors = json_array()) || !(sc->skipped = json_array()) ||
      !(sc->failures = json_object()))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < json_array_size(benches); i++) {
    json_t *e = json_array_get(benches, i);
    char where[WHERE_MAX];
    const char *name, *run_name, *run_type, *agg_name = NULL, *msg;
    snprintf(where, sizeof where, "benchmarks[%zu]", i);
    if (!json_is_object(e))
      return qb_err_set(err, QB_EFORMAT, "%s: %s: expected an object, got %s", path, where,
                        qb_json_type_name(e));
    if ((rc = qb_json_str(path, where, e, "name", 1, &name, err))) return rc;
    if ((rc = qb_json_opt_str(path, where, e, "run_name", &run_name, err))) return rc;
    if ((rc = qb_json_opt_str(path, where, e, "run_type", &run_type, err))) return rc;
    int is_agg = 0;
    if (run_type && !strcmp(run_type, "aggregate"))
      is_agg = 1;
    else if (run_type && strcmp(run_type, "iteration") != 0)
      return qb_err_set(err, QB_EFORMAT,
                        "%s: %s.run_type: unknown run type \"%s\" (expected iteration or "
                        "aggregate)",
                        path, where, run_type);
    if ((rc = qb_json_opt_str(path, where, e, "aggregate_name", &agg_name, err))) return rc;

    /* Errored and skipped entries: listed, no values. */
    static const char *const FAILS[][3] = {{"error_occurred", "error_message", "error"},
                                           {"skipped", "skip_message", "message"}};
    int failed = 0;
    for (size_t k = 0; k < 2 && !failed; k++) {
      json_t *flag = json_object_get(e, FAILS[k][0]);
      if (!flag || json_is_null(flag) || json_is_false(flag)) continue;
      if (!json_is_true(flag))
        return qb_err_set(err, QB_EFORMAT, "%s: %s.%s: expected a boolean, got %s", path, where,
                          FAILS[k][0], qb_json_type_name(flag));
      if ((rc = qb_json_opt_str(path, where, e, FAILS[k][1], &msg, err))) return rc;
      json_t *rec = json_pack("{s:s,s:s}", "name", name, FAILS[k][2], msg ? msg : "");
      if (!rec || json_array_append_new(k ? sc->skipped : sc->errors, rec))
        return qb_err_set(err, QB_ENOMEM, "out of memory");
      if ((rc = count_failure(sc, run_name ? run_name : name, k ? "skipped" : "failed", err)))
        return rc;
      failed = 1;
    }
    if (failed) continue;

    /* A complexity fit: an aggregate (or, in old files, an entry without run_type) named BigO or
     * RMS, or carrying big_o or rms. */
    int complexity = (is_agg || !run_type) &&
                     ((agg_name && (!strcmp(agg_name, "BigO") || !strcmp(agg_name, "RMS"))) ||
                      json_object_get(e, "big_o") || json_object_get(e, "rms"));
    if (complexity) {
      if ((rc = scan_complexity(path, where, e, name, run_name, agg_name, sc, err))) return rc;
      continue;
    }
    if (is_agg && !agg_name)
      return qb_err_set(err, QB_EFORMAT, "%s: %s.aggregate_name: required field is missing", path,
                        where);
    /* Old files have no run_name: aggregates are named "<run>_<aggregate>". */
    char *stripped = NULL;
    const char *key = run_name ? run_name : name;
    if (!run_name && is_agg) {
      size_t n = strlen(name), k = strlen(agg_name);
      if (n > k + 1 && name[n - k - 1] == '_' && !strcmp(name + n - k, agg_name)) {
        if (!(stripped = strndup(name, n - k - 1)))
          return qb_err_set(err, QB_ENOMEM, "out of memory");
        key = stripped;
      }
    }
    group *g = NULL;
    rc = scan_group(sc, key, &g, err);
    free(stripped);
    if (rc || (rc = idx_push(is_agg ? &g->agg : &g->iter, i, err))) return rc;
  }
  return QB_OK;
}

/* ---- benchmarks ---- */

/* One metric of the benchmark being built: one sample per repetition, and the aggregates. */
typedef struct macc {
  const char *key;  /* entry field: "real_time", "cpu_time" or a counter name (borrowed) */
  char *metric;     /* qbdb metric name (malloc'd) */
  const char *unit; /* base unit (static) */
  qb_direction dir;
  int is_time;  /* real_time / cpu_time: scaled by time_unit */
  double *x;    /* samples, in unit */
  uint64_t *it; /* iterations behind each sample */
  size_t n;
  int usable;       /* every repetition has a finite value, so this becomes a result */
  json_t *raw;      /* the counter's values as written, one per repetition */
  double agg[3];    /* the mean, median and stddev aggregates (NAN: none) */
  size_t agg_at[3]; /* the entries they came from */
  json_t *aggs;     /* every other aggregate (cv, user statistics): name -> value, or NULL */
} macc;

static const char *const AGG_MAPPED[3] = {"mean", "median", "stddev"};

static void macc_free(macc *m, size_t n) {
  for (size_t k = 0; k < n; k++) {
    free(m[k].metric);
    free(m[k].x);
    free(m[k].it);
    json_decref(m[k].raw);
    json_decref(m[k].aggs);
  }
  free(m);
}

static macc *macc_find(macc *m, size_t n, const char *key) {
  for (size_t k = 0; k < n; k++)
    if (!strcmp(m[k].key, key)) return &m[k];
  return NULL;
}

/* Append a metric reading field key; metric and unit are set by the caller. */
static int macc_add(macc **m, size_t *n, size_t *cap, const char *key, qb_err *err) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    macc *p = realloc(*m, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    *m = p;
    *cap = nc;
  }
  macc *a = &(*m)[(*n)++];
  memset(a, 0, sizeof *a);
  a->key = key;
  a->usable = 1;
  a->unit = "1";
  for (size_t k = 0; k < 3; k++) a->agg[k] = NAN;
  return QB_OK;
}

/* Name counter metric m[i] (see docs/formats/google-benchmark.md): bytes_per_second and
 * items_per_second are "throughput" (items_per_second keeps its own name when the benchmark has
 * both), max_bytes_used is "memory", the perf counters INSTRUCTIONS and CYCLES are
 * "instructions" and "cycles"; any other counter keeps its name, with unit "1". A name that
 * another metric of the benchmark already has gets a "counter." prefix. */
static int name_counter(macc *m, size_t i, int has_bytes, qb_err *err) {
  macc *a = &m[i];
  const char *k = a->key, *metric = k;
  a->dir = QB_LOWER_IS_BETTER;
  if (!strcmp(k, "bytes_per_second")) {
    metric = "throughput";
    a->unit = "B/s";
    a->dir = QB_HIGHER_IS_BETTER;
  } else if (!strcmp(k, "items_per_second")) {
    metric = has_bytes ? k : "throughput";
    a->unit = "1/s";
    a->dir = QB_HIGHER_IS_BETTER;
  } else if (!strcmp(k, "max_bytes_used")) {
    metric = "memory";
    a->unit = "B";
  } else if (!strcmp(k, "total_allocated_bytes")) {
    a->unit = "B";
  } else if (!strcasecmp(k, "INSTRUCTIONS") || !strcasecmp(k, "CYCLES")) {
    /* --benchmark_perf_counters=INSTRUCTIONS,CYCLES (libpfm's names; per-iteration averages):
     * the metrics qbdb_runner writes, whose smallest change is min_change.METRIC */
    metric = k[0] == 'I' || k[0] == 'i' ? "instructions" : "cycles";
  } else if (qb_metric_higher_is_better(k) || is_suffix(k, "_rate") || is_suffix(k, "per_second") ||
             is_suffix(k, "_per_sec") || is_suffix(k, "/s")) {
    a->dir = QB_HIGHER_IS_BETTER;
  }
  int taken = 0;
  for (size_t j = 0; j < i; j++) taken |= !strcmp(m[j].metric, metric);
  size_t n = strlen(metric) + sizeof "counter.";
  if (!(a->metric = malloc(n))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  snprintf(a->metric, n, "%s%s", taken ? "counter." : "", metric);
  return QB_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Summary of the samples x[0..n) (n >= 1): min, max, mean, median, and the sample standard
 * deviation when n >= 2 (else NAN); *maxabs is the largest magnitude. */
static int sample_stats(const double *x, size_t n, qb_stats *s, double *maxabs, qb_err *err) {
  double *sorted = malloc(n * sizeof *sorted), sum = 0, ss = 0;
  if (!sorted) return qb_err_set(err, QB_ENOMEM, "out of memory");
  memcpy(sorted, x, n * sizeof *x);
  qsort(sorted, n, sizeof *sorted, cmp_double);
  for (size_t k = 0; k < n; k++) sum += x[k];
  s->n = (int64_t)n;
  s->min = sorted[0];
  s->max = sorted[n - 1];
  s->mean = sum / (double)n;
  s->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  for (size_t k = 0; k < n; k++) ss += (x[k] - s->mean) * (x[k] - s->mean);
  s->stddev = n >= 2 ? sqrt(ss / (double)(n - 1)) : NAN;
  *maxabs = fmax(fabs(s->min), fabs(s->max));
  free(sorted);
  return QB_OK;
}

/* Check the mean, median and stddev aggregates of a against the statistics s of its samples. */
static int cross_check(const char *path, const char *run_name, const macc *a, const qb_stats *s,
                       double maxabs, qb_err *err) {
  const double ours[3] = {s->mean, s->median, s->stddev};
  for (size_t k = 0; k < 3; k++) {
    double t = a->agg[k];
    if (isnan(t) || isnan(ours[k])) continue;
    /* The variance is compared for the stddev: Google Benchmark computes it as E[x^2] - E[x]^2. */
    int ok = k < 2 ? fabs(t - ours[k]) <= CROSS_REL * maxabs
                   : fabs(t * t - ours[k] * ours[k]) <= CROSS_REL * maxabs * maxabs;
    if (!ok)
      return qb_err_set(err, QB_EFORMAT,
                        "%s: benchmarks[%zu].%s: the %s aggregate of %s (%.10g %s) disagrees with "
                        "the %s of its %zu repetitions (%.10g %s)",
                        path, a->agg_at[k], a->key, AGG_MAPPED[k], run_name, t, a->unit,
                        AGG_MAPPED[k], a->n, ours[k], a->unit);
  }
  return QB_OK;
}

/* The labels of entries idx: {"label": L} when every entry has the same one, {"labels": [...]}
 * (null where missing) when they differ, nothing when none has one. Added to extra. */
static int add_labels(const char *path, json_t *benches, const idx_list *idx, json_t *extra,
                      qb_err *err) {
  json_t *labels = json_array();
  int rc = QB_OK, any = 0, same = 1;
  const char *first = NULL;
  if (!labels) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t j = 0; j < idx->n; j++) {
    char where[WHERE_MAX];
    const char *l;
    snprintf(where, sizeof where, "benchmarks[%zu]", idx->v[j]);
    if ((rc = qb_json_opt_str(path, where, json_array_get(benches, idx->v[j]), "label", &l, err)))
      goto done;
    if (j == 0) first = l;
    any |= l != NULL;
    same &= (l == NULL) == (first == NULL) && (!l || !strcmp(l, first));
    if (json_array_append_new(labels, l ? json_string(l) : json_null())) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (any && same)
    rc = jset(extra, "label", json_string(first), err);
  else if (any)
    rc = jset(extra, "labels", json_incref(labels), err);
done:
  json_decref(labels);
  return rc;
}

/* The bench's extra object: the first entry's indices, threads, repetitions and time_unit, the
 * labels, the run options of the name, the family's complexity fit, counters that could not be
 * results, aggregates of metrics without values, the failed and skipped repetitions (n_failed,
 * n_skipped), "aggregates_only" when the file has no repetition of it, and any other non-number
 * field as written. */
static int bench_extra(const char *path, json_t *benches, const scan *sc, const group *g,
                       json_t *first, const char *family, json_t *options, json_t *counters,
                       json_t *orphans, long long n_failed, long long n_skipped, qb_bench *b,
                       qb_err *err) {
  static const char *const COPY[] = {"family_index", "per_family_instance_index", "threads",
                                     "repetitions", "time_unit"};
  json_t *extra = json_object(), *cx = NULL;
  const char *key;
  json_t *v;
  int rc = QB_OK;
  if (!extra) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t k = 0; k < sizeof COPY / sizeof COPY[0]; k++)
    if ((v = json_object_get(first, COPY[k])) && (rc = jset(extra, COPY[k], json_incref(v), err)))
      goto done;
  if ((rc = add_labels(path, benches, g->iter.n ? &g->iter : &g->agg, extra, err))) goto done;
  if (options && (rc = jset(extra, "options", json_incref(options), err))) goto done;
  /* The complexity fit of the family: same family_index when both have one, else same name. */
  json_t *fi = json_object_get(first, "family_index");
  json_object_foreach(sc->complexity, key, v) {
    json_t *cfi = json_object_get(v, "family_index");
    int match = json_is_integer(cfi) && json_is_integer(fi)
                    ? json_integer_value(cfi) == json_integer_value(fi)
                    : !strcmp(key, family);
    if (!match) continue;
    if (!(cx = json_copy(v)) || (rc = jset(cx, "family", json_string(key), err)) ||
        (rc = jset(extra, "complexity", json_incref(cx), err)))
      goto done;
    break;
  }
  if (json_object_size(counters) && (rc = jset(extra, "counters", json_incref(counters), err)))
    goto done;
  if (json_object_size(orphans) && (rc = jset(extra, "aggregates", json_incref(orphans), err)))
    goto done;
  /* Failed repetitions, as hyperfine's adapter marks a command with failed runs. */
  if (n_failed && ((rc = jset(extra, "failed", json_true(), err)) ||
                   (rc = jset(extra, "failed_repetitions", json_integer(n_failed), err))))
    goto done;
  if (n_skipped && (rc = jset(extra, "skipped_repetitions", json_integer(n_skipped), err)))
    goto done;
  if (!g->iter.n && (rc = jset(extra, "aggregates_only", json_true(), err))) goto done;
  json_object_foreach(first, key, v) {
    if (is_known_field(key) || is_counter_value(v) || json_object_get(extra, key)) continue;
    if ((rc = jset(extra, key, json_incref(v), err))) goto done;
  }
  if (json_object_size(extra)) rc = qb_json_set_text(&b->extra, extra, err);
done:
  json_decref(cx);
  json_decref(extra);
  return rc;
}

/* Read the repetitions (iteration entries) of g into the metrics m[0..nm). */
static int read_repetitions(const char *path, json_t *benches, const group *g, macc *m, size_t nm,
                            qb_err *err) {
  size_t ni = g->iter.n;
  long long *reps = malloc((ni ? ni : 1) * sizeof *reps);
  int rc = QB_OK;
  if (!reps) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t j = 0; j < ni; j++) {
    size_t idx = g->iter.v[j];
    json_t *e = json_array_get(benches, idx);
    char where[WHERE_MAX];
    double factor = 1.0, d;
    long long iters;
    int have_rep;
    snprintf(where, sizeof where, "benchmarks[%zu]", idx);
    if ((rc = time_factor(path, where, e, &factor, err))) goto done;
    if ((rc = qb_json_int(path, where, e, "iterations", 1, &iters, err))) goto done;
    if (iters < 1) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: %s.iterations: expected a positive integer, got %lld",
                      path, where, iters);
      goto done;
    }
    if ((rc = qb_json_opt_int(path, where, e, "repetition_index", &reps[j], &have_rep, err)))
      goto done;
    if (!have_rep) reps[j] = -1;
    for (size_t k = 0; k < j && have_rep; k++)
      if (reps[k] == reps[j]) {
        rc = qb_err_set(err, QB_EFORMAT,
                        "%s: %s.repetition_index: repetition %lld of %s given twice (also "
                        "benchmarks[%zu])",
                        path, where, reps[j], g->key, g->iter.v[k]);
        goto done;
      }
    for (size_t k = 0; k < nm; k++) {
      macc *a = &m[k];
      if (a->is_time) {
        if ((rc = get_num(path, where, e, a->key, 1, &d, err)) ||
            (rc = check_range(path, where, a->key, d, 0, err)))
          goto done;
        d *= factor;
      } else {
        json_t *v = json_object_get(e, a->key);
        if (json_array_append(a->raw, v ? v : json_null())) {
          rc = qb_err_set(err, QB_ENOMEM, "out of memory");
          goto done;
        }
        if (!v || json_is_null(v)) {
          a->usable = 0;
          continue;
        }
        if ((rc = get_num(path, where, e, a->key, 1, &d, err))) goto done;
        if (!isfinite(d)) {
          a->usable = 0;
          continue;
        }
        if ((rc = check_range(path, where, a->key, d, !strcmp(a->unit, "1"), err))) goto done;
      }
      a->x[a->n] = d;
      a->it[a->n++] = (uint64_t)iters;
    }
  }
done:
  free(reps);
  return rc;
}

/* Read the aggregates of g: mean, median and stddev of usable metrics into their agg[], every
 * other value into their aggs object. Percentage aggregates (cv) are fractions, not scaled. */
static int read_aggregates(const char *path, json_t *benches, const group *g, macc *m, size_t nm,
                           long long *agg_reps, qb_err *err) {
  json_t *seen = json_object();
  int rc = QB_OK;
  if (!seen) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t j = 0; j < g->agg.n; j++) {
    size_t idx = g->agg.v[j];
    json_t *e = json_array_get(benches, idx);
    char where[WHERE_MAX];
    const char *name, *unit;
    double factor = 1.0, d;
    snprintf(where, sizeof where, "benchmarks[%zu]", idx);
    if ((rc = qb_json_str(path, where, e, "aggregate_name", 1, &name, err))) goto done;
    json_t *prev = json_object_get(seen, name);
    if (prev) {
      rc = qb_err_set(err, QB_EFORMAT,
                      "%s: %s.aggregate_name: a second \"%s\" aggregate for %s (also "
                      "benchmarks[%lld])",
                      path, where, name, g->key, (long long)json_integer_value(prev));
      goto done;
    }
    if ((rc = jset(seen, name, json_integer((json_int_t)idx), err))) goto done;
    if ((rc = qb_json_opt_str(path, where, e, "aggregate_unit", &unit, err))) goto done;
    int pct = 0;
    if (unit && !strcmp(unit, "percentage"))
      pct = 1;
    else if (unit && strcmp(unit, "time") != 0) {
      rc = qb_err_set(err, QB_EFORMAT,
                      "%s: %s.aggregate_unit: unknown aggregate unit \"%s\" (expected time or "
                      "percentage)",
                      path, where, unit);
      goto done;
    }
    if (!pct && (json_object_get(e, "real_time") || json_object_get(e, "cpu_time")) &&
        (rc = time_factor(path, where, e, &factor, err)))
      goto done;
    long long reps;
    int have_reps;
    if ((rc = qb_json_opt_int(path, where, e, "repetitions", &reps, &have_reps, err))) goto done;
    if (have_reps && *agg_reps < 0) *agg_reps = reps;
    int which = -1;
    for (int k = 0; k < 3; k++)
      if (!strcmp(name, AGG_MAPPED[k]) && !pct) which = k;
    for (size_t k = 0; k < nm; k++) {
      macc *a = &m[k];
      rc = get_num(path, where, e, a->key, 0, &d, err);
      if (rc == QB_ENOTFOUND) {
        rc = QB_OK;
        continue;
      }
      if (rc) goto done;
      if (which >= 0 && a->usable &&
          (rc = check_range(path, where, a->key, d, !a->is_time && !strcmp(a->unit, "1"), err)))
        goto done;
      if (a->is_time && !pct) d *= factor;
      if (which >= 0 && a->usable) {
        a->agg[which] = d;
        a->agg_at[which] = idx;
        continue;
      }
      if (!a->aggs && !(a->aggs = json_object())) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
      if ((rc = jset(a->aggs, name, jnum(d), err))) goto done;
    }
  }
done:
  json_decref(seen);
  return rc;
}

/* Turn the metrics m[0..nm) of g into results of b (see the file header); metrics that cannot be
 * results go into *counters (counters with a missing or non-finite repetition) or *orphans
 * (aggregates of a metric that has neither repetitions nor a mean, median or stddev). */
static int add_results(const char *path, const group *g, macc *m, size_t nm, long long agg_reps,
                       qb_bench *b, json_t *counters, json_t *orphans, qb_err *err) {
  int rc = QB_OK;
  for (size_t k = 0; k < nm; k++) {
    macc *a = &m[k];
    if (!a->usable) {
      json_t *rec = json_pack("{s:O}", "values", a->raw);
      if (!rec || (a->aggs && json_object_set(rec, "aggregates", a->aggs))) {
        json_decref(rec);
        return qb_err_set(err, QB_ENOMEM, "out of memory");
      }
      if ((rc = jset(counters, a->key, rec, err))) return rc;
      continue;
    }
    int any_agg = !isnan(a->agg[0]) || !isnan(a->agg[1]) || !isnan(a->agg[2]);
    if (!a->n && !any_agg) {
      if (a->aggs && (rc = jset(orphans, a->metric, json_incref(a->aggs), err))) return rc;
      continue;
    }
    qb_stats s;
    qb_stats_init(&s);
    if (a->n) {
      double maxabs = 0;
      if ((rc = sample_stats(a->x, a->n, &s, &maxabs, err))) return rc;
      if ((rc = cross_check(path, g->key, a, &s, maxabs, err))) return rc;
    } else {
      s.n = agg_reps > 0 ? agg_reps : -1;
    }
    /* The tool's own aggregates are the statistics when it wrote them. */
    if (!isnan(a->agg[0])) s.mean = a->agg[0];
    if (!isnan(a->agg[1])) s.median = a->agg[1];
    if (!isnan(a->agg[2])) s.stddev = a->agg[2];
    qb_result *r;
    if ((rc = qb_bench_add_result(b, a->metric, a->unit, a->dir, &r, err))) return rc;
    r->stats = s;
    if (a->n) {
      qb_result_take_samples(r, a->x, a->it, a->n);
      a->x = NULL;
      a->it = NULL;
    }
    if (a->aggs) {
      json_t *rx = json_pack("{s:O}", "aggregates", a->aggs);
      if (!rx) return qb_err_set(err, QB_ENOMEM, "out of memory");
      rc = qb_json_set_text(&r->extra, rx, err);
      json_decref(rx);
      if (rc) return rc;
    }
  }
  return QB_OK;
}

/* Build the benchmark of group g (its repetitions and aggregates) and add it to run. Everything
 * allocated is owned by run afterwards or freed here. */
static int build_bench(const char *path, json_t *benches, const scan *sc, const group *g,
                       qb_run *run, qb_err *err) {
  macc *m = NULL;
  size_t nm = 0, cap = 0, ni = g->iter.n;
  json_t *params = NULL, *options = NULL, *counters = NULL, *orphans = NULL;
  char *family = NULL;
  long long agg_reps = -1;
  qb_bench *b;
  int rc;
  json_t *first = json_array_get(benches, ni ? g->iter.v[0] : g->agg.v[0]);

  /* The metrics: latency and cpu, then every counter in order of appearance. */
  if ((rc = macc_add(&m, &nm, &cap, "real_time", err)) ||
      (rc = macc_add(&m, &nm, &cap, "cpu_time", err)))
    goto done;
  const idx_list *lists[2] = {&g->iter, &g->agg};
  for (size_t l = 0; l < 2; l++)
    for (size_t j = 0; j < lists[l]->n; j++) {
      const char *key;
      json_t *v;
      json_object_foreach(json_array_get(benches, lists[l]->v[j]), key, v) {
        if (is_known_field(key) || !is_counter_value(v) || macc_find(m, nm, key)) continue;
        if ((rc = macc_add(&m, &nm, &cap, key, err))) goto done;
      }
    }
  int has_bytes = macc_find(m, nm, "bytes_per_second") != NULL;
  for (size_t k = 0; k < nm; k++) {
    macc *a = &m[k];
    if (k < 2) {
      a->is_time = 1;
      a->unit = "ns";
      a->dir = QB_LOWER_IS_BETTER;
      a->metric = strdup(k == 0 ? "latency" : "cpu");
      if (!a->metric) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
    } else if ((rc = name_counter(m, k, has_bytes, err))) {
      goto done;
    }
    a->x = malloc((ni ? ni : 1) * sizeof *a->x);
    a->it = malloc((ni ? ni : 1) * sizeof *a->it);
    a->raw = json_array();
    if (!a->x || !a->it || !a->raw) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if ((rc = read_repetitions(path, benches, g, m, nm, err))) goto done;
  if ((rc = read_aggregates(path, benches, g, m, nm, &agg_reps, err))) goto done;
  /* Google Benchmark (1.7.1 and 1.9.5, seen in tests/data/gbench/v1.9) computes the aggregates
   * from the repetitions that did not fail or skip, but their "repetitions" (and "iterations")
   * count those too. With only aggregates, n is that count less the failed and skipped
   * repetitions the file shows; with --benchmark_report_aggregates_only it shows none, and
   * nothing else in the file tells (docs/formats/google-benchmark.md). */
  json_t *fails = json_object_get(sc->failures, g->key);
  long long n_failed = json_integer_value(json_object_get(fails, "failed")),
            n_skipped = json_integer_value(json_object_get(fails, "skipped"));
  if (!ni && agg_reps > 0 && n_failed + n_skipped > 0)
    agg_reps = agg_reps > n_failed + n_skipped ? agg_reps - n_failed - n_skipped : -1;

  if ((rc = parse_name(g->key, &family, &params, &options, err))) goto done;
  if ((rc = qb_run_add_bench(run, g->key, family, &b, err))) goto done;
  if ((rc = qb_json_set_text(&b->params, params, err))) goto done;
  if (!(counters = json_object()) || !(orphans = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = add_results(path, g, m, nm, agg_reps, b, counters, orphans, err))) goto done;
  if (!b->n_results) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: benchmarks[%zu]: %s has no repetitions and no mean, median or stddev "
                    "aggregate",
                    path, g->agg.v[0], g->key);
    goto done;
  }
  rc = bench_extra(path, benches, sc, g, first, family, options, counters, orphans, n_failed,
                   n_skipped, b, err);

done:
  macc_free(m, nm);
  json_decref(params);
  json_decref(options);
  json_decref(counters);
  json_decref(orphans);
  free(family);
  return rc;
}

/* Parse Google Benchmark JSON (see adapters/adapter.h for the contract). Allocates the run handed
 * back in *out (the caller frees it with qb_run_free()); on failure *out is NULL and nothing is
 * left allocated. */
int qb_gbench_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err) {
  json_t *root = NULL, *benches = NULL, *ctx = NULL, *run_ctx = NULL, *rx = NULL;
  scan sc;
  qb_run *run = NULL;
  int rc;
  *out = NULL;
  memset(&sc, 0, sizeof sc);

  if ((rc = parse_json(path, data, len, &root, err))) goto done;
  if (!json_is_object(root)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: top level: expected an object, got %s", path,
                    qb_json_type_name(root));
    goto done;
  }
  if (!(run = qb_run_new()) || !(rx = json_object())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&run->format, qb_format_name(QB_FMT_GBENCH), err))) goto done;
  if ((rc = qb_json_arr(path, "", root, "benchmarks", 1, &benches, err))) goto done;
  if (json_array_size(benches) == 0) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: benchmarks: no benchmarks (the array is empty)", path);
    goto done;
  }
  if ((rc = qb_json_opt_obj(path, "", root, "context", &ctx, err))) goto done;
  if (ctx && (rc = parse_context(path, ctx, run, &run_ctx, err))) goto done;
  if ((rc = scan_entries(path, benches, &sc, err))) goto done;
  for (size_t i = 0; i < sc.n_groups; i++)
    if ((rc = build_bench(path, benches, &sc, &sc.groups[i], run, err))) goto done;
  if (!run->n_benches) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: benchmarks: no benchmark has a result (%zu errored, %zu skipped)", path,
                    json_array_size(sc.errors), json_array_size(sc.skipped));
    goto done;
  }

  if ((json_object_size(run_ctx) && (rc = jset(rx, "context", json_incref(run_ctx), err))) ||
      (json_object_size(sc.complexity) &&
       (rc = jset(rx, "complexity", json_incref(sc.complexity), err))) ||
      (json_array_size(sc.errors) && (rc = jset(rx, "errors", json_incref(sc.errors), err))) ||
      (json_array_size(sc.skipped) && (rc = jset(rx, "skipped", json_incref(sc.skipped), err))))
    goto done;
  if (json_object_size(rx) && (rc = qb_json_set_text(&run->extra, rx, err))) goto done;

  *out = run;
  run = NULL;

done:
  scan_dispose(&sc);
  qb_run_free(run);
  json_decref(run_ctx);
  json_decref(rx);
  json_decref(root);
  return rc;
}

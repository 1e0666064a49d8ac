/* adapters/hyperfine.c - hyperfine `--export-json` output into a qb_run.
 *
 * The input is one JSON object {"results": [...]}, one entry per benchmarked command: "command"
 * (the command line, or the name given with -n/--command-name), "mean", "stddev" (null after a
 * single run), "median", "min", "max", "user", "system" (all in seconds), "times" (one wall-clock
 * time per run, in seconds), "exit_codes" (one per run, null when killed by a signal),
 * "memory_usage_byte" (hyperfine 1.19+) and "parameters" ({"n": "10"}, with --parameter-scan or
 * --parameter-list). Every entry becomes one benchmark with a "latency" result (the times), a
 * "user" and a "system" result (the mean CPU times), and a "memory" result when the memory
 * usage is there. The given statistics are checked against the ones recomputed from "times".
 * The benchmark is named by its command, made unique (name_entries); parameterised entries are
 * grouped by the command template rebuilt from their commands and values (group_entries).
 * docs/formats/hyperfine.md has the whole mapping.
 *
 * Ownership: qb_hyperfine_parse() hands the caller a new qb_run (free with qb_run_free()); every
 * other allocation made here is moved into that run or freed before returning. */
#include "adapters/adapter.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "core/buf.h"

#define NS_PER_S 1e9

/* "results[N]" with N up to 20 digits. */
#define WHERE_MAX 48

/* Names, groups and texts are bounded by the input size; this caps the buffers built here. */
#define TEXT_MAX QB_ADAPTER_MAX_FILE

/* Relative tolerance of the check of the given statistics against the times (the values are
 * recomputed from the same doubles, so only the summation order differs), and an absolute
 * slack in seconds for values that are (almost) zero. */
#define STAT_REL 1e-9
#define SD_REL   1e-6
#define STAT_ABS 1e-15

/* Keys of a result entry that have a column of their own; every other key goes, as written,
 * into the benchmark's extra. */
static const char *const MAPPED[] = {"command", "mean", "stddev", "median", "min",
                                     "max",     "user", "system", "times",  "memory_usage_byte"};

/* One entry of "results" while names and groups are worked out. */
typedef struct hf_entry {
  json_t *obj;         /* the entry (borrowed from the root) */
  const char *command; /* its "command" (borrowed) */
  json_t *params;      /* its "parameters" object or NULL (borrowed) */
  char *name;          /* unique benchmark name (malloc'd) */
  char *tmpl;          /* command template made from this entry alone, or NULL (malloc'd) */
  const char *group;   /* the template that fits it (points into some entry's tmpl) or NULL */
} hf_entry;

/* 1 when the string s is a number in JSON's grammar (so that turning it into a number keeps
 * its meaning: "10", "-2.5", "1e3", not "010", "0x10" or " 1"). */
static int is_json_number(const char *s) {
  if (*s == '-') s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (*s >= '0' && *s <= '9') s++;
  else
    return 0;
  if (*s == '.') {
    if (*++s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
  }
  return *s == '\0';
}

/* A parameter value as text: hyperfine writes strings; any other scalar is taken as its JSON
 * text. Returns a pointer into v or into buf (n bytes). */
static const char *param_text(json_t *v, char *buf, size_t n) {
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v))
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    snprintf(buf, n, "%.17g", json_real_value(v));
  else
    snprintf(buf, n, "%s", json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
  return buf;
}

/* qsort comparator for strings (an array of const char *). */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* qsort comparator for doubles. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The keys of params, sorted (hyperfine writes them sorted; other writers may not). Returns a
 * malloc'd array of *n borrowed key pointers (the caller frees the array), or NULL when out of
 * memory (or when there are no keys: *n == 0). */
static const char **sorted_keys(json_t *params, size_t *n) {
  *n = json_object_size(params);
  if (!*n) return NULL;
  const char **keys = malloc(*n * sizeof *keys);
  if (!keys) return NULL;
  size_t k = 0;
  const char *key;
  json_t *v;
  json_object_foreach(params, key, v) keys[k++] = key;
  qsort(keys, *n, sizeof *keys, cmp_str);
  return keys;
}

/* Check the "parameters" object of entry `where`: an object whose values are strings (as
 * hyperfine writes them) or other scalars. */
static int check_params(const char *path, const char *where, json_t *params, qb_err *err) {
  const char *key;
  json_t *v;
  json_object_foreach(params, key, v) {
    if (json_is_object(v) || json_is_array(v) || json_is_null(v))
      return qb_err_set(err, QB_EFORMAT, "%s: %s.parameters.%s: expected a string, got %s", path,
                        where, key, qb_json_type_name(v));
  }
  return QB_OK;
}

/* Fetch a time (seconds) obj[key] of entry `where`: a number, not negative. *have says whether
 * it was there (absent and null are "not there"); required ones must be. */
static int get_time(const char *path, const char *where, json_t *obj, const char *key, int required,
                    double *out, int *have, qb_err *err) {
  int rc;
  *have = 0;
  if (required) {
    if ((rc = qb_json_num(path, where, obj, key, 1, out, err))) return rc;
    *have = 1;
  } else if ((rc = qb_json_opt_num(path, where, obj, key, out, have, err))) {
    return rc;
  }
  if (*have && *out < 0)
    return qb_err_set(err, QB_EFORMAT, "%s: %s.%s: negative time %g s", path, where, key, *out);
  return QB_OK;
}

/* Fail unless the statistic `key` (given, in seconds) agrees with the value recomputed from
 * the times (want), within rel. */
static int check_stat(const char *path, const char *where, const char *key, double given,
                      double want, double rel, qb_err *err) {
  double scale = fabs(given) > fabs(want) ? fabs(given) : fabs(want);
  if (fabs(given - want) <= rel * scale + STAT_ABS) return QB_OK;
  return qb_err_set(err, QB_EFORMAT, "%s: %s.%s: %.17g s does not match the %s of times (%.17g s)",
                    path, where, key, given, key, want);
}

/* Add the latency result of entry e (JSON path where) to bench: the times as samples (ns) and
 * the given statistics, after checking those against the times. Allocations are owned by bench
 * afterwards. */
static int add_latency(const char *path, const char *where, json_t *e, qb_bench *bench,
                       qb_err *err) {
  double mean, median = NAN, sd = NAN, mn = NAN, mx = NAN;
  int have_median, have_sd, have_min, have_max, have;
  double *t = NULL, *sorted = NULL;
  json_t *times = NULL;
  qb_result *res;
  int rc;

  if ((rc = get_time(path, where, e, "mean", 1, &mean, &have, err)) ||
      (rc = get_time(path, where, e, "median", 0, &median, &have_median, err)) ||
      (rc = get_time(path, where, e, "stddev", 0, &sd, &have_sd, err)) ||
      (rc = get_time(path, where, e, "min", 0, &mn, &have_min, err)) ||
      (rc = get_time(path, where, e, "max", 0, &mx, &have_max, err)) ||
      (rc = qb_json_opt_arr(path, where, e, "times", &times, err)))
    goto done;
  size_t n = times ? json_array_size(times) : 0;
  if (times && !n) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: %s.times: no times (the array is empty)", path, where);
    goto done;
  }
  if (n) {
    t = malloc(n * sizeof *t);
    sorted = malloc(n * sizeof *sorted);
    if (!t || !sorted) {
      rc = qb_err_set(err, QB_ENOMEM, "%s: %s.times: out of memory for %zu times", path, where, n);
      goto done;
    }
    double sum = 0;
    for (size_t k = 0; k < n; k++) {
      json_t *v = json_array_get(times, k);
      if (!json_is_number(v)) {
        rc = qb_err_set(err, QB_EFORMAT, "%s: %s.times[%zu]: expected a number, got %s", path,
                        where, k, qb_json_type_name(v));
        goto done;
      }
      sorted[k] = t[k] = json_number_value(v);
      if (t[k] < 0) {
        rc = qb_err_set(err, QB_EFORMAT, "%s: %s.times[%zu]: negative time %g s", path, where, k,
                        t[k]);
        goto done;
      }
      sum += t[k];
    }
    /* The statistics hyperfine derives from the times: mean, sample standard deviation (n - 1;
     * null for one run), median (the mean of the middle two for an even count), min, max. */
    qsort(sorted, n, sizeof *sorted, cmp_double);
    double m = sum / (double)n, ss = 0;
    for (size_t k = 0; k < n; k++) ss += (t[k] - m) * (t[k] - m);
    double med = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    if ((rc = check_stat(path, where, "mean", mean, m, STAT_REL, err)) ||
        (have_median && (rc = check_stat(path, where, "median", median, med, STAT_REL, err))) ||
        (have_min && (rc = check_stat(path, where, "min", mn, sorted[0], STAT_REL, err))) ||
        (have_max && (rc = check_stat(path, where, "max", mx, sorted[n - 1], STAT_REL, err))))
      goto done;
    if (have_sd && n > 1 &&
        (rc = check_stat(path, where, "stddev", sd, sqrt(ss / (double)(n - 1)), SD_REL, err)))
      goto done;
  }

  if ((rc = qb_bench_add_result(bench, "latency", "ns", QB_LOWER_IS_BETTER, &res, err))) goto done;
  res->stats.mean = mean * NS_PER_S;
  if (have_median) res->stats.median = median * NS_PER_S;
  if (have_sd) res->stats.stddev = sd * NS_PER_S;
  if (have_min) res->stats.min = mn * NS_PER_S;
  if (have_max) res->stats.max = mx * NS_PER_S;
  if (n) {
    res->stats.n = (int64_t)n;
    for (size_t k = 0; k < n; k++) t[k] *= NS_PER_S;
    qb_result_take_samples(res, t, NULL, n);
    t = NULL;
  }

done:
  free(t);
  free(sorted);
  return rc;
}

/* Add the "user" and "system" results (mean CPU time per run, ns) of entry e, when given. */
static int add_cpu(const char *path, const char *where, json_t *e, int64_t runs, qb_bench *bench,
                   qb_err *err) {
  static const char *const KEYS[] = {"user", "system"};
  for (size_t k = 0; k < 2; k++) {
    double v;
    int have, rc;
    qb_result *res;
    if ((rc = get_time(path, where, e, KEYS[k], 0, &v, &have, err))) return rc;
    if (!have) continue;
    if ((rc = qb_bench_add_result(bench, KEYS[k], "ns", QB_LOWER_IS_BETTER, &res, err))) return rc;
    res->stats.mean = v * NS_PER_S;
    res->stats.n = runs;
  }
  return QB_OK;
}

/* Add the "memory" result (peak memory of each run, B) of entry e, when it has
 * memory_usage_byte. */
static int add_memory(const char *path, const char *where, json_t *e, qb_bench *bench,
                      qb_err *err) {
  json_t *mem;
  qb_result *res;
  int rc;
  if ((rc = qb_json_opt_arr(path, where, e, "memory_usage_byte", &mem, err))) return rc;
  size_t n = mem ? json_array_size(mem) : 0;
  if (!n) return QB_OK;
  double *x = malloc(n * sizeof *x);
  if (!x) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t k = 0; k < n; k++) {
    json_t *v = json_array_get(mem, k);
    if (!json_is_number(v) || json_number_value(v) < 0) {
      free(x);
      return qb_err_set(err, QB_EFORMAT,
                        "%s: %s.memory_usage_byte[%zu]: expected a byte count, got %s", path, where,
                        k, json_is_number(v) ? "a negative number" : qb_json_type_name(v));
    }
    x[k] = json_number_value(v);
  }
  if ((rc = qb_bench_add_result(bench, "memory", "B", QB_LOWER_IS_BETTER, &res, err))) {
    free(x);
    return rc;
  }
  qb_result_take_samples(res, x, NULL, n);
  return QB_OK;
}

/* The benchmark's extra object for entry e named name (new reference in *out): exit_codes as
 * written, "failed_runs" and "failed": true when a run exited non-zero or was killed (null),
 * "parameters" as written, "command" when the name is not the command, and every key of the
 * entry that has no column (see MAPPED). */
static int make_extra(const char *path, const char *where, json_t *e, const char *name,
                      json_t **out, qb_err *err) {
  json_t *x = json_object(), *codes = NULL;
  const char *command = json_string_value(json_object_get(e, "command"));
  int rc = QB_OK, bad = !x;
  *out = NULL;
  if (!bad && (rc = qb_json_opt_arr(path, where, e, "exit_codes", &codes, err))) goto done;
  if (codes) {
    long long failed = 0;
    for (size_t k = 0; k < json_array_size(codes); k++) {
      json_t *c = json_array_get(codes, k);
      if (!json_is_integer(c) && !json_is_null(c)) {
        rc = qb_err_set(err, QB_EFORMAT, "%s: %s.exit_codes[%zu]: expected an integer, got %s",
                        path, where, k, qb_json_type_name(c));
        goto done;
      }
      if (json_is_null(c) || json_integer_value(c) != 0) failed++;
    }
    if (failed) {
      bad |= json_object_set_new(x, "failed", json_true()) != 0;
      bad |= json_object_set_new(x, "failed_runs", json_integer(failed)) != 0;
    }
  }
  if (!bad && strcmp(name, command) != 0)
    bad |= json_object_set_new(x, "command", json_string(command)) != 0;
  const char *key;
  json_t *v;
  json_object_foreach(e, key, v) {
    int mapped = 0;
    for (size_t k = 0; k < sizeof MAPPED / sizeof MAPPED[0] && !mapped; k++)
      mapped = !strcmp(key, MAPPED[k]);
    if (!mapped && !bad) bad |= json_object_set(x, key, v) != 0;
  }
  if (bad) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  *out = x;
  x = NULL;
done:
  json_decref(x);
  return rc;
}

/* The params JSON object of a parameterised entry: each value that reads as a JSON number
 * becomes that number (so "n": "100" can drive scaling analysis), the others stay strings.
 * New reference, NULL when out of memory. */
static json_t *typed_params(json_t *params) {
  json_t *o = json_object();
  const char *key;
  json_t *v;
  char buf[64];
  if (!o) return NULL;
  json_object_foreach(params, key, v) {
    const char *s = param_text(v, buf, sizeof buf);
    json_t *nv;
    if (!is_json_number(s)) {
      nv = json_string(s);
    } else if (strpbrk(s, ".eE")) {
      nv = json_real(strtod(s, NULL));
    } else {
      errno = 0;
      long long i = strtoll(s, NULL, 10);
      nv = errno == ERANGE ? json_real(strtod(s, NULL)) : json_integer(i);
    }
    if (!nv || json_object_set_new(o, key, nv)) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

/* 1 when params a and b have the same keys. */
static int same_keys(json_t *a, json_t *b) {
  if (json_object_size(a) != json_object_size(b)) return 0;
  const char *key;
  json_t *v;
  json_object_foreach(a, key, v) {
    if (!json_object_get(b, key)) return 0;
  }
  return 1;
}

/* Rebuild the command template (e.g. "seq {n} 100000") of a parameterised command: each
 * parameter value that occurs exactly once in command is replaced by {name}; a value that does
 * not occur is skipped (hyperfine lists unused parameters too). *out is NULL when a value
 * occurs more than once, two occurrences overlap, or nothing was replaced; else a malloc'd
 * string the caller frees. */
static int make_template(const char *command, json_t *params, char **out, qb_err *err) {
  size_t nk;
  const char **keys = sorted_keys(params, &nk);
  size_t *pos = NULL, *len = NULL, *order = NULL, n = 0;
  char buf[64];
  qb_buf b;
  int rc = QB_OK;
  *out = NULL;
  qb_buf_init(&b, TEXT_MAX);
  if (!nk) goto done;
  pos = malloc(nk * sizeof *pos);
  len = malloc(nk * sizeof *len);
  order = malloc(nk * sizeof *order);
  if (!keys || !pos || !len || !order) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < nk; k++) {
    const char *val = param_text(json_object_get(params, keys[k]), buf, sizeof buf);
    const char *hit = *val ? strstr(command, val) : NULL;
    if (!hit) continue;
    if (strstr(hit + 1, val)) goto done; /* ambiguous: appears twice (maybe overlapping) */
    /* insert k in position order */
    size_t at = n;
    while (at > 0 && pos[order[at - 1]] > (size_t)(hit - command)) {
      order[at] = order[at - 1];
      at--;
    }
    order[at] = k;
    pos[k] = (size_t)(hit - command);
    len[k] = strlen(val);
    n++;
  }
  if (!n) goto done;
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = order[i];
    if (pos[k] < from) goto done; /* overlaps the previous value */
    if ((rc = qb_buf_add(&b, command + from, pos[k] - from, err)) ||
        (rc = qb_buf_printf(&b, err, "{%s}", keys[k])))
      goto done;
    from = pos[k] + len[k];
  }
  if ((rc = qb_buf_adds(&b, command + from, err))) goto done;
  *out = qb_buf_take(&b, NULL);
done:
  qb_buf_dispose(&b);
  free(keys);
  free(pos);
  free(len);
  free(order);
  return rc;
}

/* 1 when template tmpl with every {name} of params replaced by its value (as hyperfine
 * substitutes) is exactly command. Allocates nothing. */
static int template_fits(const char *tmpl, json_t *params, const char *command) {
  char buf[64];
  while (*tmpl) {
    const char *close = *tmpl == '{' ? strchr(tmpl, '}') : NULL;
    if (close) {
      char key[256];
      size_t kl = (size_t)(close - tmpl - 1);
      json_t *v = NULL;
      if (kl < sizeof key) {
        memcpy(key, tmpl + 1, kl);
        key[kl] = '\0';
        v = json_object_get(params, key);
      }
      if (v) {
        const char *val = param_text(v, buf, sizeof buf);
        size_t vl = strlen(val);
        if (strncmp(command, val, vl) != 0) return 0;
        command += vl;
        tmpl = close + 1;
        continue;
      }
    }
    if (*tmpl++ != *command++) return 0;
  }
  return *command == '\0';
}

/* "COMMAND (a = 1, b = x)": the name of an entry whose command is shared with another entry but
 * whose parameters tell it apart (hyperfine shows unused parameters this way). Caller frees. */
static int decorated_name(const char *command, json_t *params, char **out, qb_err *err) {
  size_t nk;
  const char **keys = sorted_keys(params, &nk);
  char buf[64];
  qb_buf b;
  int rc;
  *out = NULL;
  qb_buf_init(&b, TEXT_MAX);
  if (nk && !keys) return qb_err_set(err, QB_ENOMEM, "out of memory");
  if ((rc = qb_buf_printf(&b, err, "%s (", command))) goto done;
  for (size_t k = 0; k < nk; k++)
    if ((rc = qb_buf_printf(&b, err, "%s%s = %s", k ? ", " : "", keys[k],
                            param_text(json_object_get(params, keys[k]), buf, sizeof buf))))
      goto done;
  if ((rc = qb_buf_adds(&b, ")", err))) goto done;
  *out = qb_buf_take(&b, NULL);
done:
  qb_buf_dispose(&b);
  free(keys);
  return rc;
}

/* Give every entry a unique name (see the file header and docs/formats/hyperfine.md): the
 * command; when the command is shared but the parameters differ, the command followed by its
 * parameters; the second, third... entry that still has the same name gets " #2", " #3"... */
static int name_entries(hf_entry *e, size_t n, qb_err *err) {
  size_t *dup = calloc(n ? n : 1, sizeof *dup);
  int rc = QB_OK;
  if (!dup) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    int shared = 0;
    for (size_t j = 0; j < n && !shared; j++)
      shared = j != i && !strcmp(e[i].command, e[j].command);
    if (shared && json_object_size(e[i].params)) {
      if ((rc = decorated_name(e[i].command, e[i].params, &e[i].name, err))) goto done;
    } else if (!(e[i].name = qb_strdup(e[i].command))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < i; j++) dup[i] += !strcmp(e[i].name, e[j].name);
  for (size_t i = 0; i < n; i++) {
    if (!dup[i]) continue;
    size_t len = strlen(e[i].name) + 24;
    char *s = malloc(len);
    if (!s) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    snprintf(s, len, "%s #%zu", e[i].name, dup[i] + 1);
    free(e[i].name);
    e[i].name = s;
  }
done:
  free(dup);
  return rc;
}

/* Number of entries with the same parameter names as e[j] that template t gives back. */
static size_t count_fits(const hf_entry *e, size_t n, size_t j, const char *t) {
  size_t fits = 0;
  for (size_t i = 0; i < n; i++)
    fits += same_keys(e[i].params, e[j].params) && template_fits(t, e[i].params, e[i].command);
  return fits;
}

/* Find each parameterised entry's group: the first template (rebuilt from an entry with the
 * same parameter names, in file order) that gives back its command. A template that gives back
 * only the entry it was made from is dropped when there are other parameterised entries: its
 * "parameter" was most likely an unused one whose value happens to occur in the command. */
static int group_entries(hf_entry *e, size_t n, qb_err *err) {
  size_t n_param = 0;
  int rc;
  for (size_t i = 0; i < n; i++) {
    if (!json_object_size(e[i].params)) continue;
    n_param++;
    if ((rc = make_template(e[i].command, e[i].params, &e[i].tmpl, err))) return rc;
  }
  for (size_t j = 0; j < n && n_param > 1; j++)
    if (e[j].tmpl && count_fits(e, n, j, e[j].tmpl) < 2) {
      free(e[j].tmpl);
      e[j].tmpl = NULL;
    }
  for (size_t i = 0; i < n; i++) {
    if (!json_object_size(e[i].params)) continue;
    for (size_t j = 0; j < n && !e[i].group; j++)
      if (e[j].tmpl && same_keys(e[i].params, e[j].params) &&
          template_fits(e[j].tmpl, e[i].params, e[i].command))
        e[i].group = e[j].tmpl;
  }
  return QB_OK;
}

/* Add entry i (JSON path where) to run as one benchmark with its results. */
static int add_entry(const char *path, const char *where, hf_entry *e, qb_run *run, qb_err *err) {
  qb_bench *bench;
  json_t *params = NULL, *extra = NULL;
  int rc;
  if ((rc = qb_run_add_bench(run, e->name, e->group, &bench, err))) goto done;
  if (json_object_size(e->params)) {
    if (!(params = typed_params(e->params))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    if ((rc = qb_json_set_text(&bench->params, params, err))) goto done;
  }
  if ((rc = make_extra(path, where, e->obj, e->name, &extra, err))) goto done;
  if (json_object_size(extra) && (rc = qb_json_set_text(&bench->extra, extra, err))) goto done;
  if ((rc = add_latency(path, where, e->obj, bench, err))) goto done;
  if ((rc = add_cpu(path, where, e->obj, bench->results[0].stats.n, bench, err))) goto done;
  rc = add_memory(path, where, e->obj, bench, err);
done:
  json_decref(params);
  json_decref(extra);
  return rc;
}

/* Parse hyperfine JSON (see adapters/adapter.h for the contract). Allocates the run handed back
 * in *out (the caller frees it with qb_run_free()); on failure *out is NULL and nothing is left
 * allocated. */
int qb_hyperfine_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err) {
  json_t *root = NULL, *results = NULL, *rest = NULL;
  hf_entry *e = NULL;
  qb_run *run = NULL;
  char where[WHERE_MAX];
  size_t n = 0;
  int rc;
  *out = NULL;

  if ((rc = qb_json_parse(path, data, len, &root, err))) goto done;
  if (!json_is_object(root)) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: top level: expected an object, got %s", path,
                    qb_json_type_name(root));
    goto done;
  }
  if ((rc = qb_json_arr(path, "", root, "results", 1, &results, err))) goto done;
  if (!(n = json_array_size(results))) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: results: no results (the array is empty)", path);
    goto done;
  }
  if (!(e = calloc(n, sizeof *e)) || !(run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&run->format, "hyperfine", err))) goto done;
  for (size_t i = 0; i < n; i++) {
    snprintf(where, sizeof where, "results[%zu]", i);
    e[i].obj = json_array_get(results, i);
    if (!json_is_object(e[i].obj)) {
      rc = qb_err_set(err, QB_EFORMAT, "%s: %s: expected an object, got %s", path, where,
                      qb_json_type_name(e[i].obj));
      goto done;
    }
    if ((rc = qb_json_str(path, where, e[i].obj, "command", 1, &e[i].command, err)) ||
        (rc = qb_json_opt_obj(path, where, e[i].obj, "parameters", &e[i].params, err)) ||
        (e[i].params && (rc = check_params(path, where, e[i].params, err))))
      goto done;
  }
  if ((rc = name_entries(e, n, err)) || (rc = group_entries(e, n, err))) goto done;
  for (size_t i = 0; i < n; i++) {
    snprintf(where, sizeof where, "results[%zu]", i);
    if ((rc = add_entry(path, where, &e[i], run, err))) goto done;
  }

  /* Top-level keys other than "results" (none in hyperfine 1.x) are kept in the run's extra. */
  const char *key;
  json_t *v;
  int bad = !(rest = json_object());
  json_object_foreach(root, key, v) {
    if (!bad && strcmp(key, "results") != 0) bad = json_object_set(rest, key, v) != 0;
  }
  if (bad) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (json_object_size(rest) && (rc = qb_json_set_text(&run->extra, rest, err))) goto done;

  *out = run;
  run = NULL;

done:
  for (size_t i = 0; e && i < n; i++) {
    free(e[i].name);
    free(e[i].tmpl);
  }
  free(e);
  json_decref(rest);
  qb_run_free(run);
  json_decref(root);
  return rc;
}

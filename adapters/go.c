/* adapters/go.c - the text `go test -bench` prints (with -benchmem, -count N, -cpu list, one or
 * several packages) into a qb_run.
 *
 * Reads, line by line: the configuration lines `goos: X`, `goarch: X`, `cpu: X` (machine info)
 * and `pkg: X` (the package of the lines that follow); result lines
 * `BenchmarkName/sub=3-8 <TAB> N <TAB> V ns/op <TAB> V MB/s <TAB> V unit... <TAB> V B/op <TAB>
 * V allocs/op`, each one sample of every metric on it; the package summaries `ok <TAB> pkg
 * <TAB> 1.2s` / `FAIL <TAB> pkg <TAB> 1.2s`; and `--- FAIL: Name` lines. Everything else (PASS,
 * `--- BENCH:` blocks and their indented log lines, -v progress lines, the program's own
 * output) is skipped. A line that starts like a result (a benchmark name, blanks, a digit) but
 * does not parse is an error naming the file, the line and the column.
 * docs/formats/go.md has the whole mapping.
 *
 * Ownership: qb_go_parse() hands the caller a new qb_run (free with qb_run_free()); every other
 * allocation made here is moved into that run or freed before returning. */
#include "adapters/adapter.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json.h"
#include "core/buf.h"

/* Go's MB/s is 10^6 bytes per second. */
#define BYTES_PER_MB 1e6

/* One unit of one benchmark: every sample printed for it. */
typedef struct go_series {
  char *unit; /* as printed: "ns/op", "MB/s", "B/op", "allocs/op", "widgets/op"... */
  double *v;  /* values as printed, n of them (cap allocated) */
  uint64_t *iters;
  size_t n, cap;
} go_series;

/* One benchmark: a (package, name, GOMAXPROCS) triple and its series. */
typedef struct go_bench {
  char *pkg;  /* the pkg: line in force, or NULL */
  char *base; /* the name without the -PROCS suffix */
  long procs; /* GOMAXPROCS: the suffix, or 1 when there is none */
  go_series *s;
  size_t n_s, cap_s;
} go_bench;

/* The configuration lines that describe the machine. */
static const char *const MACHINE_KEYS[] = {"goos", "goarch", "cpu"};
#define N_MACHINE_KEYS 3

/* Parser state over one input. */
typedef struct gparse {
  const char *path;
  size_t ln; /* current line, 1-based */
  go_bench *b;
  size_t nb, capb;
  size_t last;                       /* index of the benchmark of the previous result line */
  char *pkg;                         /* the package of the lines that follow, or NULL */
  char *machine[N_MACHINE_KEYS];     /* first value of each machine key, or NULL */
  size_t machine_ln[N_MACHINE_KEYS]; /* and its line */
  json_t *packages;                  /* [{"pkg", "status", "elapsed_s"}] from the summaries */
  json_t *failed;                    /* names of the "--- FAIL:" lines */
} gparse;

/* Pointer to the first character of p that is not a space or tab. */
static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* Pointer to the end of the token at p (the next space, tab or NUL). */
static const char *token_end(const char *p) {
  while (*p && *p != ' ' && *p != '\t') p++;
  return p;
}

/* 1 when s starts with prefix. */
static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* 1 when the string s is a number in JSON's grammar ("10", "-2.5", not "010" or "0x1"). */
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

/* Scan a decimal number ([+-]digits[.digits][(e|E)[+-]digits]) at p into *out. Returns the
 * character after it, or NULL when p does not start with one. */
static const char *scan_number(const char *p, double *out) {
  const char *q = p;
  char buf[64];
  if (*q == '+' || *q == '-') q++;
  if (*q < '0' || *q > '9') return NULL;
  while (*q >= '0' && *q <= '9') q++;
  if (*q == '.') {
    q++;
    while (*q >= '0' && *q <= '9') q++;
  }
  if ((*q == 'e' || *q == 'E') && ((q[1] >= '0' && q[1] <= '9') ||
                                   ((q[1] == '+' || q[1] == '-') && q[2] >= '0' && q[2] <= '9'))) {
    q += 2;
    while (*q >= '0' && *q <= '9') q++;
  }
  if ((size_t)(q - p) >= sizeof buf) return NULL;
  memcpy(buf, p, (size_t)(q - p));
  buf[q - p] = '\0';
  *out = strtod(buf, NULL);
  return q;
}

/* 1 when the token [s, e) is a benchmark name: "Benchmark" followed by nothing or by a character
 * that is not a lower-case letter (the rule go test uses for benchmark functions). */
static int is_bench_name(const char *s, const char *e) {
  size_t n = (size_t)(e - s);
  return n >= 9 && !memcmp(s, "Benchmark", 9) && (n == 9 || s[9] < 'a' || s[9] > 'z');
}

/* Copy [s, e) into a new string in *out. */
static int dup_range(const char *s, const char *e, char **out, qb_err *err) {
  if (!(*out = qb_strndup(s, (size_t)(e - s)))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* The benchmark for (t->pkg, base, procs), created when new. */
static int find_bench(gparse *t, const char *base, size_t base_len, long procs, go_bench **out,
                      qb_err *err) {
  for (size_t k = 0; k < t->nb; k++) {
    size_t i = (t->last + k) % t->nb; /* -count lines of one benchmark come together */
    go_bench *b = &t->b[i];
    if (b->procs == procs && strlen(b->base) == base_len && !memcmp(b->base, base, base_len) &&
        ((!b->pkg && !t->pkg) || (b->pkg && t->pkg && !strcmp(b->pkg, t->pkg)))) {
      t->last = i;
      *out = b;
      return QB_OK;
    }
  }
  if (t->nb == t->capb) {
    size_t nc = t->capb ? t->capb * 2 : 16;
    go_bench *p = realloc(t->b, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    t->b = p;
    t->capb = nc;
  }
  go_bench *b = &t->b[t->nb];
  memset(b, 0, sizeof *b);
  b->procs = procs;
  if (!(b->base = qb_strndup(base, base_len)) || (t->pkg && !(b->pkg = qb_strdup(t->pkg)))) {
    free(b->base);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  t->last = t->nb++;
  *out = b;
  return QB_OK;
}

/* Append one sample (value v after `iters` iterations) to b's series for unit [u, ue). */
static int add_sample(go_bench *b, const char *u, const char *ue, double v, uint64_t iters,
                      qb_err *err) {
  size_t ul = (size_t)(ue - u);
  go_series *s = NULL;
  for (size_t i = 0; i < b->n_s && !s; i++)
    if (strlen(b->s[i].unit) == ul && !memcmp(b->s[i].unit, u, ul)) s = &b->s[i];
  if (!s) {
    if (b->n_s == b->cap_s) {
      size_t nc = b->cap_s ? b->cap_s * 2 : 4;
      go_series *p = realloc(b->s, nc * sizeof *p);
      if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
      b->s = p;
      b->cap_s = nc;
    }
    s = &b->s[b->n_s];
    memset(s, 0, sizeof *s);
    if (!(s->unit = qb_strndup(u, ul))) return qb_err_set(err, QB_ENOMEM, "out of memory");
    b->n_s++;
  }
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 8;
    double *pv = realloc(s->v, nc * sizeof *pv);
    if (pv) s->v = pv;
    uint64_t *pi = pv ? realloc(s->iters, nc * sizeof *pi) : NULL;
    if (!pv || !pi) return qb_err_set(err, QB_ENOMEM, "out of memory");
    s->iters = pi;
    s->cap = nc;
  }
  s->v[s->n] = v;
  s->iters[s->n++] = iters;
  return QB_OK;
}

/* A result line: name at [line, ne), p at the iteration count. */
static int on_result(gparse *t, const char *line, const char *ne, const char *p, qb_err *err) {
  const char *q = p;
  uint64_t n = 0;
  int name_len = (int)(ne - line);
  while (*q >= '0' && *q <= '9') {
    uint64_t digit = (uint64_t)(*q - '0');
    if (n > UINT64_MAX / 10 || (n == UINT64_MAX / 10 && digit > UINT64_MAX % 10))
      return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: iteration count too large", t->path,
                        t->ln, (size_t)(p - line) + 1, name_len, line);
    n = n * 10 + digit;
    q++;
  }
  if (*q && *q != ' ' && *q != '\t')
    return qb_err_set(err, QB_EFORMAT,
                      "%s:%zu:%zu: %.*s: expected an iteration count, got \"%.*s\"", t->path, t->ln,
                      (size_t)(p - line) + 1, name_len, line, (int)(token_end(p) - p), p);
  if (n == 0)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: iteration count is 0", t->path, t->ln,
                      (size_t)(p - line) + 1, name_len, line);

  /* The name without the -PROCS suffix go test adds when GOMAXPROCS is not 1. */
  const char *dash = ne;
  while (dash > line && dash[-1] >= '0' && dash[-1] <= '9') dash--;
  long procs = 1;
  const char *base_end = ne;
  if (dash < ne && dash > line + 1 && dash[-1] == '-' && ne - dash < 10) {
    procs = strtol(dash, NULL, 10);
    base_end = dash - 1;
  }
  go_bench *b = NULL;
  int rc;
  if ((rc = find_bench(t, line, (size_t)(base_end - line), procs, &b, err))) return rc;

  /* The values: "V unit" pairs, separated by blanks; a unit at most once per line. */
  const char *units[64];
  size_t n_units = 0, unit_len[64];
  for (p = skip_ws(q); *p; p = skip_ws(p)) {
    double v;
    const char *e = scan_number(p, &v);
    if (!e || (*e && *e != ' ' && *e != '\t'))
      return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: expected a number, got \"%.*s\"",
                        t->path, t->ln, (size_t)(p - line) + 1, name_len, line,
                        (int)(token_end(p) - p), p);
    const char *u = skip_ws(e), *ue = token_end(u);
    if (u == ue)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: value %.*s has no unit", t->path, t->ln,
                        (size_t)(p - line) + 1, name_len, line, (int)(e - p), p);
    for (size_t k = 0; k < n_units; k++)
      if (unit_len[k] == (size_t)(ue - u) && !memcmp(units[k], u, unit_len[k]))
        return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: unit %.*s given twice", t->path,
                          t->ln, (size_t)(u - line) + 1, name_len, line, (int)(ue - u), u);
    if (n_units == sizeof units / sizeof units[0])
      return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: more than %zu values on one line",
                        t->path, t->ln, (size_t)(p - line) + 1, name_len, line, n_units);
    units[n_units] = u;
    unit_len[n_units++] = (size_t)(ue - u);
    if ((rc = add_sample(b, u, ue, v, n, err))) return rc;
    p = ue;
  }
  if (!n_units)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu:%zu: %.*s: no values after the iteration count",
                      t->path, t->ln, (size_t)(q - line) + 1, name_len, line);
  return QB_OK;
}

/* A configuration line "key: value" for one of MACHINE_KEYS (index k): the first value is kept;
 * a different one later means the file mixes machines, which one run cannot hold. */
static int on_machine(gparse *t, size_t k, const char *value, qb_err *err) {
  if (!t->machine[k]) {
    t->machine_ln[k] = t->ln;
    return dup_range(value, value + strlen(value), &t->machine[k], err);
  }
  if (strcmp(t->machine[k], value) != 0)
    return qb_err_set(err, QB_EFORMAT,
                      "%s:%zu:%zu: %s: \"%s\" differs from \"%s\" on line %zu (one run is one "
                      "machine)",
                      t->path, t->ln, strlen(MACHINE_KEYS[k]) + 3, MACHINE_KEYS[k], value,
                      t->machine[k], t->machine_ln[k]);
  return QB_OK;
}

/* A package summary "ok  <TAB>pkg<TAB>1.234s" or "FAIL<TAB>pkg<TAB>1.234s" at s. */
static int on_summary(gparse *t, const char *s, qb_err *err) {
  const char *st = s, *ste = token_end(st);
  const char *pk = skip_ws(ste), *pke = token_end(pk);
  const char *el = skip_ws(pke);
  if (pk == pke) return QB_OK;
  json_t *o = json_object();
  int bad = !o;
  bad = bad || json_object_set_new(o, "pkg", json_stringn(pk, (size_t)(pke - pk)));
  bad = bad || json_object_set_new(o, "status", json_stringn(st, (size_t)(ste - st)));
  double secs;
  const char *e = scan_number(el, &secs);
  if (!bad && e && *e == 's' && (!e[1] || e[1] == ' ' || e[1] == '\t'))
    bad = json_object_set_new(o, "elapsed_s", json_real(secs)) != 0;
  if (!bad) bad = json_array_append(t->packages, o) != 0;
  json_decref(o);
  return bad ? qb_err_set(err, QB_ENOMEM, "out of memory") : QB_OK;
}

/* Offset of the first byte of s that is not part of valid UTF-8 (no overlong forms, no
 * surrogates, at most U+10FFFF), or -1 when s is valid. */
static long utf8_error(const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  for (size_t i = 0; s[i];) {
    unsigned c = s[i];
    size_t n = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (!n || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4)) return (long)i;
    for (size_t k = 1; k < n; k++)
      if ((s[i + k] & 0xc0) != 0x80) return (long)i;
    if ((n == 3 && c == 0xe0 && s[i + 1] < 0xa0) || (n == 3 && c == 0xed && s[i + 1] > 0x9f) ||
        (n == 4 && c == 0xf0 && s[i + 1] < 0x90) || (n == 4 && c == 0xf4 && s[i + 1] > 0x8f))
      return (long)i;
    i += n;
  }
  return -1;
}

/* Handle one line s (NUL-terminated, without its line ending). Names and texts are stored, so
 * the lines they come from must be UTF-8; other lines may hold anything. */
static int on_line(gparse *t, const char *s, qb_err *err) {
  const char *ne = token_end(s);
  long bad = -1;
  if (is_bench_name(s, ne) || !strncmp(s, "goos:", 5) || !strncmp(s, "goarch:", 7) ||
      !strncmp(s, "cpu:", 4) || !strncmp(s, "pkg:", 4) || !strncmp(s, "ok", 2) ||
      !strncmp(s, "FAIL", 4) || !strncmp(skip_ws(s), "--- FAIL: ", 10))
    bad = utf8_error(s);
  if (bad >= 0)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu:%ld: not valid UTF-8", t->path, t->ln, bad + 1);
  if (is_bench_name(s, ne)) {
    const char *p = skip_ws(ne);
    if (*p >= '0' && *p <= '9') return on_result(t, s, ne, p, err);
    /* A bare name (-v), or a name followed by "--- FAIL: ...", "--- SKIP: ..." or by the
     * benchmark's own output: not a result. */
    if (starts(p, "--- FAIL:"))
      s = p;
    else
      return QB_OK;
  }
  for (size_t k = 0; k < N_MACHINE_KEYS; k++) {
    size_t kl = strlen(MACHINE_KEYS[k]);
    if (!strncmp(s, MACHINE_KEYS[k], kl) && s[kl] == ':' && s[kl + 1] == ' ')
      return on_machine(t, k, skip_ws(s + kl + 2), err);
  }
  if (starts(s, "pkg: ")) {
    free(t->pkg);
    return dup_range(skip_ws(s + 5), s + strlen(s), &t->pkg, err);
  }
  if ((starts(s, "ok ") || starts(s, "ok\t") || starts(s, "FAIL ") || starts(s, "FAIL\t")))
    return on_summary(t, s, err);
  const char *f = skip_ws(s);
  if (starts(f, "--- FAIL: ")) {
    const char *n = skip_ws(f + 10), *e = token_end(n);
    if (n < e && json_array_append_new(t->failed, json_stringn(n, (size_t)(e - n))))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  return QB_OK;
}

/* 1 when another benchmark has b's package and base name but a different GOMAXPROCS
 * (go test -cpu 1,2,4). */
static int has_procs_variants(const gparse *t, const go_bench *b) {
  for (size_t i = 0; i < t->nb; i++) {
    const go_bench *o = &t->b[i];
    if (o != b && o->procs != b->procs && !strcmp(o->base, b->base) &&
        ((!o->pkg && !b->pkg) || (o->pkg && b->pkg && !strcmp(o->pkg, b->pkg))))
      return 1;
  }
  return 0;
}

/* 1 when the benchmarks come from more than one package (a missing pkg: line counts as one). */
static int several_packages(const gparse *t) {
  for (size_t i = 1; i < t->nb; i++) {
    const char *a = t->b[0].pkg ? t->b[0].pkg : "", *c = t->b[i].pkg ? t->b[i].pkg : "";
    if (strcmp(a, c) != 0) return 1;
  }
  return 0;
}

/* The params of a name: every sub-benchmark part "key=value" after the first '/', values that
 * read as JSON numbers as numbers. *out is NULL when there are none (new reference otherwise). */
static int name_params(const char *base, json_t **out, qb_err *err) {
  const char *p = strchr(base, '/');
  json_t *o = NULL;
  *out = NULL;
  while (p) {
    const char *part = p + 1, *end = strchr(part, '/'), *eq;
    if (!end) end = part + strlen(part);
    eq = memchr(part, '=', (size_t)(end - part));
    if (eq && eq > part) {
      char *key = qb_strndup(part, (size_t)(eq - part)),
           *val = qb_strndup(eq + 1, (size_t)(end - eq - 1));
      json_t *v = NULL;
      if (key && val) {
        if (!is_json_number(val)) {
          v = json_string(val);
        } else if (strpbrk(val, ".eE")) {
          v = json_real(strtod(val, NULL));
        } else {
          errno = 0;
          long long i = strtoll(val, NULL, 10);
          v = errno == ERANGE ? json_real(strtod(val, NULL)) : json_integer(i);
        }
      }
      if (v && !o && !(o = json_object())) {
        json_decref(v);
        v = NULL;
      }
      int bad = !v || json_object_set_new(o, key, v) != 0; /* set_new frees v on failure */
      free(key);
      free(val);
      if (bad) {
        json_decref(o);
        return qb_err_set(err, QB_ENOMEM, "out of memory");
      }
    }
    p = *end ? end : NULL;
  }
  *out = o;
  return QB_OK;
}

/* Metric, base unit, scale and direction of a printed unit. */
static void unit_map(const char *unit, const char **metric, const char **base, double *scale,
                     qb_direction *dir) {
  size_t n = strlen(unit);
  *scale = 1;
  *dir = QB_LOWER_IS_BETTER;
  if (!strcmp(unit, "ns/op")) {
    *metric = "latency";
    *base = "ns";
  } else if (!strcmp(unit, "B/op")) {
    *metric = "memory";
    *base = "B";
  } else if (!strcmp(unit, "allocs/op")) {
    *metric = "allocs";
    *base = "1";
  } else if (!strcmp(unit, "MB/s")) {
    *metric = "throughput";
    *base = "B/s";
    *scale = BYTES_PER_MB;
    *dir = QB_HIGHER_IS_BETTER;
  } else {
    *metric = unit; /* a b.ReportMetric unit, e.g. "widgets/op" */
    *base = "1";
    if (n >= 2 && !strcmp(unit + n - 2, "/s")) *dir = QB_HIGHER_IS_BETTER;
  }
}

/* Turn benchmark b into a qb_bench of run (see docs/formats/go.md for the naming). */
static int build_bench(gparse *t, go_bench *b, int prefix_pkg, qb_run *run, qb_err *err) {
  qb_buf name, group;
  json_t *params = NULL, *extra = NULL;
  qb_bench *qb;
  int rc;
  const char *pfx = prefix_pkg && b->pkg ? b->pkg : NULL;
  qb_buf_init(&name, QB_ADAPTER_MAX_FILE);
  qb_buf_init(&group, QB_ADAPTER_MAX_FILE);
  if ((pfx && (rc = qb_buf_printf(&name, err, "%s.", pfx))) ||
      (rc = qb_buf_adds(&name, b->base, err)) ||
      (has_procs_variants(t, b) && (rc = qb_buf_printf(&name, err, "-%ld", b->procs))))
    goto done;
  const char *slash = strchr(b->base, '/');
  if (slash && ((pfx && (rc = qb_buf_printf(&group, err, "%s.", pfx))) ||
                (rc = qb_buf_add(&group, b->base, (size_t)(slash - b->base), err))))
    goto done;
  if ((rc = qb_run_add_bench(run, name.data, slash ? group.data : NULL, &qb, err))) goto done;
  if ((rc = name_params(b->base, &params, err))) goto done;
  if (params && (rc = qb_json_set_text(&qb->params, params, err))) goto done;
  if (!(extra = json_object()) ||
      (b->pkg && json_object_set_new(extra, "pkg", json_string(b->pkg))) ||
      json_object_set_new(extra, "procs", json_integer(b->procs))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_json_set_text(&qb->extra, extra, err))) goto done;
  for (size_t k = 0; k < b->n_s; k++) {
    go_series *s = &b->s[k];
    const char *metric, *base;
    double scale;
    qb_direction dir;
    qb_result *res;
    unit_map(s->unit, &metric, &base, &scale, &dir);
    if ((rc = qb_bench_add_result(qb, metric, base, dir, &res, err))) goto done;
    for (size_t i = 0; i < s->n; i++) s->v[i] *= scale;
    qb_result_take_samples(res, s->v, s->iters, s->n);
    s->v = NULL;
    s->iters = NULL;
  }
done:
  qb_buf_dispose(&name);
  qb_buf_dispose(&group);
  json_decref(params);
  json_decref(extra);
  return rc;
}

/* Fill the run from the parsed state. */
static int build_run(gparse *t, qb_run *run, qb_err *err) {
  json_t *mi = NULL, *x = NULL;
  int rc = QB_OK, prefix = several_packages(t);
  for (size_t i = 0; i < t->nb; i++)
    if ((rc = build_bench(t, &t->b[i], prefix, run, err))) goto done;
  int bad = !(mi = json_object()) || !(x = json_object());
  for (size_t k = 0; k < N_MACHINE_KEYS && !bad; k++)
    if (t->machine[k]) bad = json_object_set_new(mi, MACHINE_KEYS[k], json_string(t->machine[k]));
  if (!bad && json_array_size(t->packages)) bad = json_object_set(x, "packages", t->packages) != 0;
  if (!bad && json_array_size(t->failed)) bad = json_object_set(x, "failed", t->failed) != 0;
  if (bad) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if (json_object_size(mi) && (rc = qb_json_set_text(&run->machine_info, mi, err))) goto done;
  if (json_object_size(x) && (rc = qb_json_set_text(&run->extra, x, err))) goto done;
done:
  json_decref(mi);
  json_decref(x);
  return rc;
}

/* See adapters/adapter.h. */
int qb_go_parse(const char *path, const char *data, size_t len, qb_run **out, qb_err *err) {
  gparse t;
  qb_run *run = NULL;
  char *line = NULL;
  int rc = QB_OK;
  memset(&t, 0, sizeof t);
  t.path = path;
  *out = NULL;
  if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) { /* a UTF-8 byte order mark */
    data += 3;
    len -= 3;
  }
  size_t longest = 0;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
    if (n > longest) longest = n;
    pos += n + 1;
  }
  if (!(line = malloc(longest + 1)) || !(t.packages = json_array()) || !(t.failed = json_array()) ||
      !(run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = qb_run_set_str(&run->format, "go", err))) goto done;
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
    t.ln++;
    memcpy(line, data + pos, n);
    pos += n + 1;
    while (n && line[n - 1] == '\r') n--;
    line[n] = '\0';
    if ((rc = on_line(&t, line, err))) goto done;
  }
  if (!t.nb) {
    rc = qb_err_set(err, QB_EFORMAT,
                    "%s: no benchmark results found (no \"BenchmarkName N value ns/op\" lines)",
                    path);
    goto done;
  }
  if ((rc = build_run(&t, run, err))) goto done;
  *out = run;
  run = NULL;
done:
  for (size_t i = 0; i < t.nb; i++) {
    for (size_t k = 0; k < t.b[i].n_s; k++) {
      free(t.b[i].s[k].unit);
      free(t.b[i].s[k].v);
      free(t.b[i].s[k].iters);
    }
    free(t.b[i].s);
    free(t.b[i].pkg);
    free(t.b[i].base);
  }
  free(t.b);
  free(t.pkg);
  for (size_t k = 0; k < N_MACHINE_KEYS; k++) free(t.machine[k]);
  json_decref(t.packages);
  json_decref(t.failed);
  free(line);
  qb_run_free(run);
  return rc;
}

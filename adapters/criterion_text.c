/* adapters/criterion_text.c - the cargo bench stdout adapter: the text criterion.rs prints
 * (default or `--output-format bencher`) -> qb_run.
 *
 * Reads, line by line: `NAME time: [LO EST HI]` (the name may be alone on the line before),
 * `thrpt: [LO EST HI]`, the change block (`change: [..] (p = P < S)` or the split
 * `change:` / `time: [..]` / `thrpt: [..]` form) with its verdict line, `Found N outliers among M
 * measurements` with its breakdown lines, `Benchmarking NAME: Collecting N samples` (for the
 * sample count) and bencher lines `test NAME ... bench: N ns/iter (+/- M)`. Everything else
 * (progress lines, warnings, blank lines) is ignored. Carriage-return overwrites and ANSI colour
 * codes of terminal output are undone first. docs/formats/criterion.md has the full mapping.
 *
 * Ownership: the run handed back in *out is the caller's (qb_run_free); every other allocation
 * is freed before qb_criterion_text_parse returns. The content hash is left to the caller. */
#include "adapters/adapter.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json.h"
#include "core/units.h"

/* Side data of one benchmark, kept until the end (parallel to run->benches). */
typedef struct tb_info {
  size_t line; /* line of its time/bench line, for duplicate messages */
  json_t *lat; /* extra object of the latency result, or NULL */
  json_t *thr; /* extra object of the throughput result, or NULL */
} tb_info;

/* Parser state over one input. */
typedef struct tparse {
  const char *path;
  size_t ln; /* current line, 1-based */
  qb_run *run;
  tb_info *info; /* n_info entries used, cap_info allocated */
  size_t n_info, cap_info;
  long cur;           /* index of the benchmark later lines belong to, -1 for none */
  int in_change;      /* the previous result line was a bare "change:" */
  int in_outliers;    /* after "Found N outliers ...": breakdown lines may follow */
  char *pending;      /* the previous unrecognised line (a long name), "" for none */
  char *collect_name; /* NAME of the last "Benchmarking NAME: Collecting N samples" line */
  long long collect_n;
} tparse;

/* Pointer to the first character of p that is not a space or tab. */
static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* 1 when s starts with prefix. */
static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
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

/* Copy the token at p (up to a space, tab, ']' or the end) into buf (n bytes, truncated).
 * Returns the character after the token. */
static const char *read_token(const char *p, char *buf, size_t n) {
  size_t k = 0;
  while (*p && *p != ' ' && *p != '\t' && *p != ']') {
    if (k + 1 < n) buf[k++] = *p;
    p++;
  }
  buf[k] = '\0';
  return p;
}

/* Parse "[A unit B unit C unit]" at p (after "time:" or "thrpt:") into base units. want_rate
 * selects rates (all three of the same kind, byte or element) over times. *base gets the base
 * unit and *rest the text after ']'. */
static int parse_unit_triple(tparse *t, const char *what, const char *p, int want_rate, double v[3],
                             const char **base, const char **rest, qb_err *err) {
  char tok[64];
  int count = 0;
  qb_unit_kind kind = QB_UNIT_TIME;
  p = skip_ws(p);
  if (*p != '[')
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected '[', got \"%s\"", t->path, t->ln, what,
                      p);
  p++;
  for (;;) {
    double x;
    qb_unit u;
    p = skip_ws(p);
    if (*p == ']') break;
    if (!*p) return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: missing ']'", t->path, t->ln, what);
    if (count == 3)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected 3 values in [...], got more",
                        t->path, t->ln, what);
    const char *end = scan_number(p, &x);
    if (!end) {
      read_token(p, tok, sizeof tok);
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected a number, got \"%s\"", t->path,
                        t->ln, what, tok);
    }
    p = read_token(skip_ws(end), tok, sizeof tok);
    if (!*tok)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: value %d has no unit", t->path, t->ln, what,
                        count + 1);
    if (qb_unit_parse(tok, &u))
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: unknown unit \"%s\"", t->path, t->ln, what,
                        tok);
    int ok = want_rate ? (u.kind == QB_UNIT_RATE || u.kind == QB_UNIT_BYTE_RATE) &&
                             (count == 0 || u.kind == kind)
                       : u.kind == QB_UNIT_TIME;
    if (!ok)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: unit \"%s\" is not %s", t->path, t->ln, what,
                        tok,
                        !want_rate   ? "a time"
                        : count == 0 ? "a rate"
                                     : "the same kind of rate as the first value");
    kind = u.kind;
    *base = u.base;
    v[count++] = x * u.factor;
  }
  if (count != 3)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected 3 values in [...], got %d", t->path,
                      t->ln, what, count);
  *rest = p + 1;
  return QB_OK;
}

/* Parse "[+A% -B% +C%]" at p into fractions (+5.4080% -> 0.054080); *rest gets the text after
 * ']'. */
static int parse_pct_triple(tparse *t, const char *what, const char *p, double v[3],
                            const char **rest, qb_err *err) {
  char tok[64];
  int count = 0;
  p = skip_ws(p);
  if (*p != '[')
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected '[', got \"%s\"", t->path, t->ln, what,
                      p);
  p++;
  for (;;) {
    double x;
    p = skip_ws(p);
    if (*p == ']') break;
    if (!*p) return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: missing ']'", t->path, t->ln, what);
    if (count == 3)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected 3 values in [...], got more",
                        t->path, t->ln, what);
    const char *end = scan_number(p, &x);
    if (!end || *end != '%') {
      read_token(p, tok, sizeof tok);
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected a percentage, got \"%s\"", t->path,
                        t->ln, what, tok);
    }
    p = end + 1;
    v[count++] = x / 100.0;
  }
  if (count != 3)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected 3 values in [...], got %d", t->path,
                      t->ln, what, count);
  *rest = p + 1;
  return QB_OK;
}

/* Parse an optional "(p = P < S)" (or '>') at p; *pv and *sig are NAN when it is absent. */
static int parse_p(tparse *t, const char *what, const char *p, double *pv, double *sig,
                   qb_err *err) {
  *pv = *sig = NAN;
  p = skip_ws(p);
  if (!*p) return QB_OK;
  const char *q = p;
  if (*q++ != '(' || *(q = skip_ws(q)) != 'p' || *(q = skip_ws(q + 1)) != '=' ||
      !(q = scan_number(skip_ws(q + 1), pv)) || (*(q = skip_ws(q)) != '<' && *q != '>') ||
      !(q = scan_number(skip_ws(q + 1), sig)) || *(q = skip_ws(q)) != ')' || *skip_ws(q + 1))
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: %s: expected \"(p = P < S)\" after ']', got \"%s\"",
                      t->path, t->ln, what, p);
  return QB_OK;
}

/* o[key] = v, stealing v; nonzero when v is NULL or the set fails (out of memory). */
static int jset_new(json_t *o, const char *key, json_t *v) {
  return !v || json_object_set_new(o, key, v) != 0;
}

/* The extra object of the current benchmark's latency (thr = 0) or throughput (thr = 1)
 * result, created on first use and owned by t->info. NULL when out of memory. */
static json_t *cur_extra(tparse *t, int thr) {
  json_t **slot = thr ? &t->info[t->cur].thr : &t->info[t->cur].lat;
  if (!*slot) *slot = json_object();
  return *slot;
}

/* A change object {"lo","est","hi"[,"p","significance"]} (new reference, NULL on OOM). */
static json_t *change_obj(const double v[3], double pv, double sig) {
  json_t *o = json_object();
  int bad = !o;
  if (!bad) {
    bad |= jset_new(o, "lo", json_real(v[0]));
    bad |= jset_new(o, "est", json_real(v[1]));
    bad |= jset_new(o, "hi", json_real(v[2]));
  }
  if (!bad && !isnan(pv)) bad |= jset_new(o, "p", json_real(pv));
  if (!bad && !isnan(sig)) bad |= jset_new(o, "significance", json_real(sig));
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* Start a new benchmark called name (line t->ln) with its latency result; refuses a name seen
 * before, naming both lines. */
static int new_bench(tparse *t, const char *name, qb_result **res, qb_err *err) {
  qb_bench *b;
  for (size_t i = 0; i < t->run->n_benches; i++)
    if (!strcmp(t->run->benches[i].name, name))
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: duplicate benchmark \"%s\" (first at line %zu)",
                        t->path, t->ln, name, t->info[i].line);
  size_t n = t->run->n_benches;
  if (n == t->cap_info) {
    size_t nc = t->cap_info ? t->cap_info * 2 : 16;
    tb_info *p = realloc(t->info, nc * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    t->info = p;
    t->cap_info = nc;
  }
  t->info[n] = (tb_info){t->ln, NULL, NULL};
  t->n_info = n + 1;
  int rc = qb_run_add_bench(t->run, name, NULL, &b, err);
  if (!rc) rc = qb_bench_add_result(b, "latency", "ns", QB_LOWER_IS_BETTER, res, err);
  if (rc) return rc;
  t->cur = (long)n;
  t->in_change = 0;
  t->in_outliers = 0;
  return QB_OK;
}

/* `NAME time: [LO EST HI]` at marker m of line s (name empty: it is t->pending), or the time
 * line of a split change block. */
static int on_time(tparse *t, char *s, char *m, qb_err *err) {
  double v[3], pv, sig;
  const char *base, *rest, *p = m + 5;
  int rc;
  char *name = s;
  while (m > s && (m[-1] == ' ' || m[-1] == '\t')) m--;
  *m = '\0';
  if (!*name && t->in_change) {
    if ((rc = parse_pct_triple(t, "time", p, v, &rest, err)) ||
        (rc = parse_p(t, "time", rest, &pv, &sig, err)))
      return rc;
    json_t *x = cur_extra(t, 0);
    if (!x || jset_new(x, "change", change_obj(v, pv, sig)))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    return QB_OK;
  }
  if (!*name) name = t->pending;
  if (!*name)
    return qb_err_set(err, QB_EFORMAT,
                      "%s:%zu: time: no benchmark name on this line or the line before", t->path,
                      t->ln);
  if ((rc = parse_unit_triple(t, "time", p, 0, v, &base, &rest, err))) return rc;
  qb_result *r;
  if ((rc = new_bench(t, name, &r, err))) return rc;
  r->stats.ci_lo = v[0];
  r->stats.estimate = v[1];
  r->stats.ci_hi = v[2];
  if (t->collect_name && !strcmp(t->collect_name, name)) r->stats.n = t->collect_n;
  return QB_OK;
}

/* `thrpt: [LO EST HI]`: the throughput result of the current benchmark, or inside a split change
 * block its change triple. */
static int on_thrpt(tparse *t, const char *p, qb_err *err) {
  double v[3];
  const char *base, *rest;
  int rc;
  if (t->cur < 0)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: thrpt: no benchmark time line before it", t->path,
                      t->ln);
  qb_bench *b = &t->run->benches[t->cur];
  if (t->in_change) {
    if ((rc = parse_pct_triple(t, "thrpt", p, v, &rest, err))) return rc;
    if (b->n_results < 2)
      return qb_err_set(err, QB_EFORMAT, "%s:%zu: thrpt: change of a benchmark without thrpt",
                        t->path, t->ln);
    json_t *lc = json_object_get(t->info[t->cur].lat, "change");
    json_t *pj = json_object_get(lc, "p"), *sj = json_object_get(lc, "significance");
    json_t *x = cur_extra(t, 1);
    if (!x ||
        jset_new(x, "change",
                 change_obj(v, pj ? json_real_value(pj) : NAN, sj ? json_real_value(sj) : NAN)))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    return QB_OK;
  }
  if (b->n_results != 1)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: thrpt: benchmark \"%s\" already has one", t->path,
                      t->ln, b->name);
  if ((rc = parse_unit_triple(t, "thrpt", p, 1, v, &base, &rest, err))) return rc;
  qb_result *r;
  if ((rc = qb_bench_add_result(b, "throughput", base, QB_HIGHER_IS_BETTER, &r, err))) return rc;
  r->stats.ci_lo = v[0];
  r->stats.estimate = v[1];
  r->stats.ci_hi = v[2];
  return QB_OK;
}

/* `change: [A% B% C%] (p = P < S)`, or a bare `change:` that opens the split block. */
static int on_change(tparse *t, const char *p, qb_err *err) {
  double v[3], pv, sig;
  const char *rest;
  int rc;
  if (t->cur < 0)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: change: no benchmark time line before it", t->path,
                      t->ln);
  p = skip_ws(p);
  if (!*p) {
    t->in_change = 1;
    return QB_OK;
  }
  if ((rc = parse_pct_triple(t, "change", p, v, &rest, err)) ||
      (rc = parse_p(t, "change", rest, &pv, &sig, err)))
    return rc;
  json_t *x = cur_extra(t, 0);
  if (!x || jset_new(x, "change", change_obj(v, pv, sig)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* A verdict line: store it in the current change objects; closes the change block. */
static int on_verdict(tparse *t, const char *verdict, qb_err *err) {
  t->in_change = 0;
  if (t->cur < 0) return QB_OK;
  for (int k = 0; k < 2; k++) {
    json_t *x = k ? t->info[t->cur].thr : t->info[t->cur].lat;
    json_t *c = json_object_get(x, "change");
    if (c && jset_new(c, "verdict", json_string(verdict)))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  return QB_OK;
}

/* Parse a non-negative integer at p into *out; returns the character after it or NULL. */
static const char *scan_count(const char *p, long long *out) {
  if (*p < '0' || *p > '9') return NULL;
  long long v = 0;
  while (*p >= '0' && *p <= '9') {
    if (v > (INT64_MAX - 9) / 10) return NULL;
    v = v * 10 + (*p++ - '0');
  }
  *out = v;
  return p;
}

/* `Found N outliers among M measurements (X%)`: outliers and n of the current latency. */
static int on_found(tparse *t, const char *s, qb_err *err) {
  long long n, m;
  const char *p = scan_count(s + 6, &n);
  if (!p || !starts(p, " outliers among ") || !(p = scan_count(p + 16, &m)) ||
      !starts(p, " measurements"))
    return qb_err_set(err, QB_EFORMAT,
                      "%s:%zu: outliers: expected \"Found N outliers among M measurements\"",
                      t->path, t->ln);
  if (t->cur < 0)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: outliers: no benchmark time line before it",
                      t->path, t->ln);
  qb_result *r = &t->run->benches[t->cur].results[0];
  r->stats.outliers = n;
  r->stats.n = m;
  json_t *x = cur_extra(t, 0), *o = json_object();
  int bad = !x || !o;
  static const char *const KEYS[] = {"low_severe", "low_mild", "high_mild", "high_severe"};
  for (int k = 0; !bad && k < 4; k++) bad |= jset_new(o, KEYS[k], json_integer(0));
  if (!bad) {
    bad = jset_new(x, "outliers", o);
    o = NULL;
  }
  json_decref(o);
  if (bad) return qb_err_set(err, QB_ENOMEM, "out of memory");
  t->in_outliers = 1;
  return QB_OK;
}

/* A breakdown line `N (X%) high mild` after a Found line. Returns 1 when s is one (stored), 0
 * when it is not, or a negative qb_rc. */
static int on_breakdown(tparse *t, const char *s, qb_err *err) {
  long long n;
  const char *p = scan_count(s, &n);
  if (!p || *p != ' ' || p[1] != '(' || !(p = strchr(p, ')'))) return 0;
  p = skip_ws(p + 1);
  const char *key = !strcmp(p, "low severe")    ? "low_severe"
                    : !strcmp(p, "low mild")    ? "low_mild"
                    : !strcmp(p, "high mild")   ? "high_mild"
                    : !strcmp(p, "high severe") ? "high_severe"
                                                : NULL;
  if (!key) return 0;
  json_t *o = json_object_get(t->info[t->cur].lat, "outliers");
  if (!o || jset_new(o, key, json_integer(n))) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return 1;
}

/* Parse a bencher number ("15574", "1,234", "12.5") at p; returns the character after it. */
static const char *scan_bencher_number(const char *p, double *out) {
  char buf[64];
  size_t k = 0;
  while ((*p >= '0' && *p <= '9') || *p == ',' || *p == '.') {
    if (*p != ',') {
      if (k + 1 >= sizeof buf) return NULL;
      buf[k++] = *p;
    }
    p++;
  }
  buf[k] = '\0';
  double v;
  const char *e = scan_number(buf, &v);
  if (!k || !e || *e) return NULL;
  *out = v;
  return p;
}

/* `test NAME ... bench: N ns/iter (+/- M)` at s; m points at " ... bench:". */
static int on_bencher(tparse *t, char *s, char *m, qb_err *err) {
  double med, dev;
  char tok[64];
  const char *p = skip_ws(m + 11), *q;
  int rc;
  char *name = s + 5;
  *m = '\0';
  name = (char *)skip_ws(name);
  for (char *e = name + strlen(name); e > name && (e[-1] == ' ' || e[-1] == '\t');) *--e = '\0';
  if (!*name)
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: bench: no benchmark name", t->path, t->ln);
  if (!(q = scan_bencher_number(p, &med))) {
    read_token(p, tok, sizeof tok);
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: bench: expected a number, got \"%s\"", t->path,
                      t->ln, tok);
  }
  p = skip_ws(q);
  if (!starts(p, "ns/iter")) {
    read_token(p, tok, sizeof tok);
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: bench: expected ns/iter, got \"%s\"", t->path,
                      t->ln, tok);
  }
  p = skip_ws(p + 7);
  if (!starts(p, "(+/-") || !(q = scan_bencher_number(skip_ws(p + 4), &dev)) ||
      *(q = skip_ws(q)) != ')' || *skip_ws(q + 1))
    return qb_err_set(err, QB_EFORMAT, "%s:%zu: bench: expected \"(+/- N)\" after ns/iter", t->path,
                      t->ln);
  qb_result *r;
  if ((rc = new_bench(t, name, &r, err))) return rc;
  r->stats.median = med;
  r->stats.stddev = dev;
  json_t *x = cur_extra(t, 0);
  if (!x || jset_new(x, "bencher", json_true())) return qb_err_set(err, QB_ENOMEM, "out of memory");
  t->cur = -1;
  return QB_OK;
}

/* `Benchmarking NAME: Collecting N samples in ...`: remember NAME and N for the result. */
static void on_progress(tparse *t, const char *s) {
  const char *k = NULL, *f = s;
  while ((f = strstr(f, ": Collecting "))) k = f++;
  long long n;
  if (!k || !scan_count(k + 13, &n)) return;
  size_t len = (size_t)(k - (s + 13));
  memcpy(t->collect_name, s + 13, len);
  t->collect_name[len] = '\0';
  t->collect_n = n;
}

/* The "time:" marker of a result line: "time:" at the start or after a blank, followed by
 * optional blanks and '['. NULL when s has none. */
static char *time_marker(char *s) {
  for (char *m = strstr(s, "time:"); m; m = strstr(m + 1, "time:"))
    if ((m == s || m[-1] == ' ' || m[-1] == '\t') && *skip_ws(m + 5) == '[') return m;
  return NULL;
}

/* Handle one cleaned, trimmed line s (modifiable). */
static int on_line(tparse *t, char *s, qb_err *err) {
  char *m;
  int rc;
  if (!*s) {
    t->pending[0] = '\0';
    t->in_outliers = 0;
    return QB_OK;
  }
  if (t->in_outliers && t->cur >= 0) {
    if ((rc = on_breakdown(t, s, err)) < 0) return rc;
    if (rc == 1) return QB_OK;
  }
  t->in_outliers = 0;
  rc = QB_OK;
  if (starts(s, "Benchmarking ")) {
    on_progress(t, s);
    t->pending[0] = '\0';
    return QB_OK;
  }
  if (starts(s, "test ") && (m = strstr(s, " ... bench:"))) {
    char *last = m;
    while ((m = strstr(m + 1, " ... bench:"))) last = m;
    rc = on_bencher(t, s, last, err);
  } else if (starts(s, "change:")) {
    rc = on_change(t, s + 7, err);
  } else if (starts(s, "thrpt:")) {
    rc = on_thrpt(t, s + 6, err);
  } else if ((m = time_marker(s))) {
    rc = on_time(t, s, m, err);
  } else if (starts(s, "Found ") && strstr(s, " outliers among ")) {
    rc = on_found(t, s, err);
  } else if (!strcmp(s, "Performance has regressed.")) {
    rc = on_verdict(t, "regressed", err);
  } else if (!strcmp(s, "Performance has improved.")) {
    rc = on_verdict(t, "improved", err);
  } else if (!strcmp(s, "No change in performance detected.")) {
    rc = on_verdict(t, "no_change", err);
  } else if (!strcmp(s, "Change within noise threshold.")) {
    rc = on_verdict(t, "within_noise", err);
  } else {
    strcpy(t->pending, s);
    return QB_OK;
  }
  t->pending[0] = '\0';
  return rc;
}

/* Copy line [p, p+n) into out the way a terminal shows it: only the text after the last
 * carriage return, without ANSI escape sequences, without surrounding blanks. Returns out. */
static char *clean_line(const char *p, size_t n, char *out) {
  while (n && p[n - 1] == '\r') n--;
  for (size_t i = n; i > 0; i--)
    if (p[i - 1] == '\r') {
      p += i;
      n -= i;
      break;
    }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\x1b') {
      if (i + 1 < n && p[i + 1] == '[') {
        i += 2;
        while (i < n && !(p[i] >= 0x40 && p[i] <= 0x7e)) i++;
      } else {
        i++;
      }
      continue;
    }
    if (p[i] == '\0') break;
    out[k++] = p[i];
  }
  out[k] = '\0';
  char *s = out;
  while (*s == ' ' || *s == '\t') s++;
  for (char *e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');) *--e = '\0';
  return s;
}

/* See adapters/adapter.h. */
int qb_criterion_text_parse(const char *path, const char *data, size_t len, qb_run **out,
                            qb_err *err) {
  int rc = QB_OK;
  tparse t;
  char *line = NULL;
  memset(&t, 0, sizeof t);
  t.path = path;
  t.cur = -1;
  *out = NULL;
  size_t longest = 0; /* the line buffers need room for the longest line only */
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
    if (n > longest) longest = n;
    pos += n + 1;
  }
  line = malloc(longest + 1);
  t.pending = malloc(longest + 1);
  t.collect_name = malloc(longest + 1);
  if (!line || !t.pending || !t.collect_name || !(t.run = qb_run_new())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  t.pending[0] = t.collect_name[0] = '\0';
  if ((rc = qb_run_set_str(&t.run->format, "criterion-text", err)) ||
      (rc = qb_run_set_str(&t.run->tool_version, "criterion", err)))
    goto done;
  if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) { /* a UTF-8 byte order mark */
    data += 3;
    len -= 3;
  }
  for (size_t pos = 0; pos < len;) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
    t.ln++;
    if ((rc = on_line(&t, clean_line(data + pos, n, line), err))) goto done;
    pos += n + 1;
  }
  if (!t.run->n_benches) {
    rc = qb_err_set(err, QB_EFORMAT, "%s: no criterion results found", path);
    goto done;
  }
  for (size_t i = 0; i < t.run->n_benches; i++) {
    qb_bench *b = &t.run->benches[i];
    if (b->n_results > 1) b->results[1].stats.n = b->results[0].stats.n; /* same samples */
    for (size_t k = 0; k < b->n_results && k < 2; k++) {
      json_t *x = k ? t.info[i].thr : t.info[i].lat;
      if (x && !(b->results[k].extra = qb_json_dump(x))) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
    }
  }
  *out = t.run;
  t.run = NULL;
done:
  for (size_t i = 0; i < t.n_info; i++) {
    json_decref(t.info[i].lat);
    json_decref(t.info[i].thr);
  }
  qb_run_free(t.run);
  free(t.info);
  free(line);
  free(t.pending);
  free(t.collect_name);
  return rc;
}

/* tests/testutil.h - small helpers shared by the cmocka tests (header-only, test code only).
 * Include it after <cmocka.h>. */
#ifndef QB_TESTS_TESTUTIL_H
#define QB_TESTS_TESTUTIL_H

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/units.h"

/* Load a JSON file or fail the test. The caller json_decref()s the result. */
static inline json_t *qbt_load_json(const char *path) {
  json_error_t je;
  json_t *v = json_load_file(path, 0, &je);
  if (!v) fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
  return v;
}

/* 1 when a and b agree within rel relative tolerance (both NaN counts as equal). */
static inline int qbt_close(double a, double b, double rel) {
  if (isnan(a) && isnan(b)) return 1;
  if (a == b) return 1;
  double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= rel * scale;
}

#define assert_close(a, b, rel)                                                                    \
  do {                                                                                             \
    double qbt_a_ = (a), qbt_b_ = (b);                                                             \
    if (!qbt_close(qbt_a_, qbt_b_, (rel))) {                                                       \
      fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (rel %g)\n", __FILE__, __LINE__, #a,      \
              qbt_a_, qbt_b_, (double)(rel));                                                      \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

/* Fail unless got is within tol (relative) of want; what names the value in the message. */
static inline void qbt_check_rel(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol * fabs(want))) {
    print_error("%s: got %.17g, want %.17g (relative tolerance %g)\n", what, got, want, tol);
    fail();
  }
}

/* A value as a tool printed it, e.g. "15.633 µs" or "871.03 MiB/s", in base units. */
static inline double qbt_printed_value(const char *s) {
  char *end;
  double v = strtod(s, &end);
  assert_true(end != s && *end == ' ');
  qb_unit u;
  assert_int_equal(qb_unit_parse(end + 1, &u), 0);
  return v * u.factor;
}

/* A printed percentage such as "+5.4080%" as a fraction. */
static inline double qbt_printed_pct(const char *s) {
  char *end;
  double v = strtod(s, &end);
  assert_true(end != s && !strcmp(end, "%"));
  return v / 100.0;
}

typedef int (*qbt_parser)(const char *path, const char *data, size_t len, qb_run **out,
                          qb_err *err);

/* Read path and parse it with parse, failing the test on any error. Caller frees the run. */
static inline qb_run *qbt_parse_file(qbt_parser parse, const char *path) {
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  if (qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err)) fail_msg("%s", err.msg);
  int rc = parse(path, data, len, &run, &err);
  free(data);
  if (rc) fail_msg("%s", err.msg);
  assert_non_null(run);
  return run;
}

/* Parse JSON text the caller owns (e.g. an "extra" field); the caller decrefs. */
static inline json_t *qbt_load_text(const char *text) {
  assert_non_null(text);
  json_error_t je;
  json_t *v = json_loads(text, 0, &je);
  if (!v) fail_msg("bad JSON %s: %s", text, je.text);
  return v;
}

/* A number of a reference case; a missing key or null stands for NaN. */
static inline double qbt_num(json_t *c, const char *key) {
  json_t *v = json_object_get(c, key);
  return json_is_null(v) || !v ? NAN : json_number_value(v);
}

/* splitmix64 step, the generator the reference scripts use for their {"gen": ...} samples. */
static inline uint64_t qbt_sm64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The sample a reference case gives: a JSON array, or a {"gen": "uniform"|"mod", "seed", "n",
 * "offset", "scale"|"mod"} description made exactly as gen_compare_ref.py's gen() makes it.
 * Returns a malloc'd array the caller frees. */
static inline double *qbt_load_sample(json_t *v, size_t *n) {
  double *x;
  if (json_is_array(v)) {
    *n = json_array_size(v);
    x = malloc((*n ? *n : 1) * sizeof *x);
    for (size_t i = 0; i < *n; i++) x[i] = json_number_value(json_array_get(v, i));
    return x;
  }
  const char *kind = json_string_value(json_object_get(v, "gen"));
  uint64_t s = (uint64_t)json_integer_value(json_object_get(v, "seed"));
  *n = (size_t)json_integer_value(json_object_get(v, "n"));
  double offset = json_number_value(json_object_get(v, "offset"));
  x = malloc((*n ? *n : 1) * sizeof *x);
  assert_non_null(kind);
  for (size_t i = 0; i < *n; i++) {
    uint64_t z = qbt_sm64(&s) >> 11;
    if (!strcmp(kind, "uniform"))
      x[i] = offset + json_number_value(json_object_get(v, "scale")) * ((double)z * 0x1p-53);
    else
      x[i] = offset + (double)(z % (uint64_t)json_integer_value(json_object_get(v, "mod")));
  }
  return x;
}

/* 1 when path exists. */
/* 1 when QB_TEST_QUICK is set (scripts/valgrind.sh sets it): the exhaustive loops (every
 * prefix of a file, thousands of mutants, every allocation) then check a spread-out sample, so
 * that the suite runs under valgrind in minutes. */
static inline int qbt_quick(void) {
  return getenv("QB_TEST_QUICK") != NULL;
}

/* The step of an exhaustive loop: 1, or `quick_step` under QB_TEST_QUICK. */
static inline size_t qbt_step(size_t quick_step) {
  return qbt_quick() ? quick_step : 1;
}

/* Parse len bytes of text with parse: it must fail with QB_EFORMAT, leave *out NULL, and give a
 * one-line message that starts with path and contains every needle (a NULL-terminated list). */
static inline void qbt_expect_bad(qbt_parser parse, const char *path, const char *text, size_t len,
                                  ...) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = (qb_run *)&err; /* must be overwritten with NULL */
  int rc = parse(path, text, len, &run, &err);
  if (rc != QB_EFORMAT) fail_msg("%s: rc %d (want QB_EFORMAT): %s", path, rc, err.msg);
  assert_int_equal(err.code, QB_EFORMAT);
  assert_null(run);
  if (strncmp(err.msg, path, strlen(path)) != 0)
    fail_msg("message does not start with the file name: %s", err.msg);
  va_list ap;
  va_start(ap, len);
  const char *needle;
  while ((needle = va_arg(ap, const char *)))
    if (!strstr(err.msg, needle)) fail_msg("message lacks \"%s\": %s", needle, err.msg);
  va_end(ap);
  assert_null(strchr(err.msg, '\n'));
}

static inline int qbt_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Call fn(path, ctx) for every *.json file under dir (recursively; names starting with '.' are
 * skipped) and return the sum of what it returned (1: the file counted). */
static inline size_t qbt_each_json(const char *dir, int (*fn)(const char *path, void *ctx),
                                   void *ctx) {
  size_t n = 0;
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    int w = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (w < 0 || (size_t)w >= sizeof path || stat(path, &st)) continue;
    if (S_ISDIR(st.st_mode)) {
      n += qbt_each_json(path, fn, ctx);
      continue;
    }
    size_t len = strlen(e->d_name);
    if (len >= 5 && !strcmp(e->d_name + len - 5, ".json")) n += (size_t)fn(path, ctx);
  }
  closedir(d);
  return n;
}

#endif

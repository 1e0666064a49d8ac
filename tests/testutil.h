/* tests/testutil.h - small helpers shared by the cmocka tests (header-only, test code only). */
#ifndef QB_TESTS_TESTUTIL_H
#define QB_TESTS_TESTUTIL_H

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

/* 1 when path exists. */
static inline int qbt_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

#endif

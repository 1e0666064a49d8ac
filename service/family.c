/* service/family.c - a benchmark name split into its family and parameters (service/family.h). */
#include "service/family.h"

#include <string.h>

/* The keys of positional parameters. */
static const char *const POSITIONAL[QB_FAMILY_MAX_PARAMS] = {"0", "1", "2", "3",
                                                             "4", "5", "6", "7"};

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 1 when c[0..n) is a number with an optional unit: [+-]digits[.digits][(e|E)[+-]digits]letters*.
 */
static int is_number(const char *c, size_t n) {
  size_t i = 0, d = 0;
  if (i < n && (c[i] == '+' || c[i] == '-')) i++;
  while (i < n && is_digit(c[i])) i++, d++;
  if (!d) return 0;
  if (i + 1 < n && c[i] == '.' && is_digit(c[i + 1])) {
    i++;
    while (i < n && is_digit(c[i])) i++;
  }
  if (i < n && (c[i] == 'e' || c[i] == 'E')) {
    size_t j = i + 1;
    if (j < n && (c[j] == '+' || c[j] == '-')) j++;
    if (j < n && is_digit(c[j])) {
      while (j < n && is_digit(c[j])) j++;
      i = j;
    }
  }
  while (i < n && is_letter(c[i])) i++;
  return i == n;
}

/* The offset of the separator of a named component c[0..n) ("key=value", "key:value": the
 * first '=' or ':', with text on both sides), or 0 when it is not named. */
static size_t named_at(const char *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (c[i] == '=' || c[i] == ':') return i > 0 && i + 1 < n ? i : 0;
  return 0;
}

/* Append the parameter of component c[0..n) to out (a named or a positional one). */
static void add_param(qb_bench_split *out, const char *c, size_t n, size_t *positional) {
  if (out->n_params == QB_FAMILY_MAX_PARAMS) return;
  qb_bench_param *p = &out->params[out->n_params++];
  size_t at = named_at(c, n);
  if (at) {
    *p = (qb_bench_param){c, c + at + 1, at, n - at - 1};
  } else {
    const char *key = POSITIONAL[*positional < QB_FAMILY_MAX_PARAMS ? *positional : 0];
    (*positional)++;
    *p = (qb_bench_param){key, c, strlen(key), n};
  }
}

void qb_bench_family_split(const char *name, qb_bench_split *out) {
  size_t len = strlen(name), positional = 0;
  memset(out, 0, sizeof *out);
  out->family_len = len;
  /* pytest's "test_x[id]": the text before the first '[', the id whole */
  const char *open = len ? strchr(name + 1, '[') : NULL;
  if (open && name[len - 1] == ']') {
    out->family_len = (size_t)(open - name);
    add_param(out, open + 1, (size_t)(name + len - 1 - (open + 1)), &positional);
    return;
  }
  /* "/"-separated components: the first parameter after the first component starts them */
  const char *c = strchr(name, '/');
  int started = 0;
  while (c) {
    const char *start = c + 1, *end = strchr(start, '/');
    size_t n = end ? (size_t)(end - start) : strlen(start);
    if (!started && (named_at(start, n) || is_number(start, n))) {
      started = 1;
      out->family_len = (size_t)(c - name);
    }
    if (started) add_param(out, start, n, &positional);
    c = end;
  }
}

/* tests/adapters/test_json_out.c - qb_json_dumps against jansson's json_dumps, byte for byte:
 * random seeded trees (nested containers, strings with control characters, quotes, backslashes,
 * NULs and UTF-8, extreme integers, reals of every magnitude, empty containers), the failures
 * json_dumps reports, the flags handed over to jansson, and the JSON files in tests/data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/json_out.h"
#include "tests/testutil.h"

#define N_TREES (qbt_quick() ? 100 : 4000) /* sampled under valgrind (QB_TEST_QUICK) */

/* The flag sets the callers use, and a few more. */
static const size_t flag_sets[] = {0,
                                   JSON_COMPACT,
                                   JSON_INDENT(2),
                                   JSON_INDENT(2) | JSON_COMPACT,
                                   JSON_INDENT(4),
                                   JSON_INDENT(31),
                                   JSON_SORT_KEYS | JSON_COMPACT,
                                   JSON_SORT_KEYS | JSON_INDENT(2)};
#define N_FLAG_SETS (sizeof flag_sets / sizeof flag_sets[0])

/* splitmix64: a seeded, reproducible stream of 64-bit values. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Fail, naming what, unless qb_json_dumps(j, flags) is json_dumps(j, flags | precision 17)
 * (both NULL counts as equal). */
static void check_same(const json_t *j, size_t flags, const char *what) {
  char *want = json_dumps(j, flags | JSON_REAL_PRECISION(17));
  char *got = qb_json_dumps(j, flags);
  if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0)) {
    size_t at = 0;
    while (want && got && want[at] && want[at] == got[at]) at++;
    print_error("%s, flags 0x%zx: differ at byte %zu\njansson: %.200s\nqb:      %.200s\n", what,
                flags, at, want ? want + (at > 40 ? at - 40 : 0) : "(null)",
                got ? got + (at > 40 ? at - 40 : 0) : "(null)");
    free(want);
    free(got);
    fail();
  }
  free(want);
  free(got);
}

/* A random string (bytes in *len, may hold NULs): pieces of ASCII, escapes, UTF-8. */
static char *random_string(uint64_t *s, size_t *len) {
  static const char *const pieces[] = {"a",        "bench",        " ",
                                       "\"",       "\\",           "/",
                                       "\b",       "\f",           "\n",
                                       "\r",       "\t",           "\x01",
                                       "\x1f",     "\x7f",         "\x00",
                                       "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e",
                                       "\xc2\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
                                       "0.5",      "{}[]:,",       "\\u0000"};
  size_t n_pieces = sizeof pieces / sizeof pieces[0];
  size_t k = splitmix(s) % 4 == 0 ? 0 : splitmix(s) % 12;
  char *out = malloc(k * 8 + 1); /* no piece is longer than 8 bytes */
  assert_non_null(out);
  size_t n = 0;
  for (size_t i = 0; i < k; i++) {
    size_t p = splitmix(s) % n_pieces;
    size_t pl = pieces[p][0] == '\0' ? 1 : strlen(pieces[p]); /* "\x00" is one NUL */
    memcpy(out + n, pieces[p], pl);
    n += pl;
  }
  out[n] = '\0';
  *len = n;
  return out;
}

/* A random real: benchmark magnitudes, p-values, integers, halves, extremes. */
static double random_real(uint64_t *s) {
  double u = (double)(splitmix(s) >> 11) * 0x1p-53;
  switch (splitmix(s) % 8) {
    case 0:
      return pow(10, -9 + 21 * u);
    case 1:
      return pow(10, -300 * u);
    case 2:
      return (double)(int64_t)(splitmix(s) >> (splitmix(s) % 64)) * (u < 0.5 ? -1 : 1);
    case 3:
      return (double)(splitmix(s) % 2001) / 2 - 500;
    case 4:
      return pow(10, 15 + 4 * u);
    case 5: {
      uint64_t bits = splitmix(s);
      if (((bits >> 52) & 0x7FF) == 0x7FF) bits ^= 1ULL << 62; /* no NaN or infinity */
      double v;
      memcpy(&v, &bits, sizeof v);
      return v;
    }
    case 6:
      return u < 0.5 ? 0.0 : -0.0;
    default:
      return (double)(splitmix(s) % 1000) / 10;
  }
}

/* A random integer, the extremes included. */
static json_int_t random_integer(uint64_t *s) {
  switch (splitmix(s) % 5) {
    case 0:
      return INT64_MIN;
    case 1:
      return INT64_MAX;
    case 2:
      return (json_int_t)splitmix(s);
    default:
      return (json_int_t)(splitmix(s) % 2001) - 1000;
  }
}

/* A random value; containers only above depth 0. */
static json_t *random_value(uint64_t *s, int depth) {
  unsigned kind = (unsigned)(splitmix(s) % (depth > 0 ? 12 : 8));
  switch (kind) {
    case 0:
      return json_null();
    case 1:
      return json_true();
    case 2:
      return json_false();
    case 3:
      return json_integer(random_integer(s));
    case 4:
    case 5:
    case 6: {
      double v = random_real(s);
      return json_real(v);
    }
    case 7: {
      size_t n;
      char *str = random_string(s, &n);
      json_t *v = json_stringn(str, n);
      free(str);
      return v;
    }
    case 8:
    case 9: {
      json_t *a = json_array();
      size_t n = splitmix(s) % 6;
      for (size_t i = 0; i < n; i++) json_array_append_new(a, random_value(s, depth - 1));
      return a;
    }
    default: {
      json_t *o = json_object();
      size_t n = splitmix(s) % 6;
      for (size_t i = 0; i < n; i++) {
        size_t kl;
        char *key = random_string(s, &kl);
        json_object_setn_new(o, key, kl, random_value(s, depth - 1));
        free(key);
      }
      return o;
    }
  }
}

static void test_json_out__random_trees(void **state) {
  (void)state;
  uint64_t s = 1234567;
  for (int t = 0; t < N_TREES; t++) {
    json_t *root = splitmix(&s) % 2 ? json_object() : json_array();
    size_t n = splitmix(&s) % 12;
    for (size_t i = 0; i < n; i++) {
      json_t *v = random_value(&s, 4);
      assert_non_null(v);
      if (json_is_array(root)) {
        json_array_append_new(root, v);
      } else {
        char key[32];
        snprintf(key, sizeof key, "k%zu", splitmix(&s) % 20); /* repeats replace in place */
        json_object_set_new(root, key, v);
      }
    }
    char what[32];
    snprintf(what, sizeof what, "tree %d", t);
    for (size_t f = 0; f < N_FLAG_SETS; f++) check_same(root, flag_sets[f], what);
    json_decref(root);
  }
}

static void test_json_out__reals(void **state) {
  (void)state;
  const double vs[] = {0.0,
                       -0.0,
                       1.0,
                       -1.0,
                       0.1,
                       1e16,
                       1e17,
                       1e20,
                       1e-5,
                       0.0001,
                       1e-14,
                       5e-324,
                       2.2250738585072014e-308,
                       1e300,
                       2.5,
                       100.0,
                       1e22,
                       1.5e-7,
                       123456789012345678.0,
                       1.7976931348623157e308};
  json_t *a = json_array();
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) json_array_append_new(a, json_real(vs[i]));
  char *got = qb_json_dumps(a, JSON_COMPACT);
  assert_string_equal(got, "[0.0,-0.0,1.0,-1.0,0.10000000000000001,10000000000000000.0,1e17,1e20,"
                           "1.0000000000000001e-5,0.0001,1e-14,4.9406564584124654e-324,"
                           "2.2250738585072014e-308,1.0000000000000001e300,2.5,100.0,1e22,"
                           "1.4999999999999999e-7,1.2345678901234568e17,1.7976931348623157e308]");
  free(got);
  for (size_t f = 0; f < N_FLAG_SETS; f++) check_same(a, flag_sets[f], "reals");
  json_decref(a);
  uint64_t s = 99;
  a = json_array();
  for (int i = 0; i < (qbt_quick() ? 5000 : 200000); i++)
    json_array_append_new(a, json_real(random_real(&s)));
  check_same(a, JSON_COMPACT, "200000 reals");
  json_decref(a);
}

static void test_json_out__shapes(void **state) {
  (void)state;
  json_t *o = json_pack("{s:[], s:{}, s:[[], {}, [[]]], s:{s:{s:[i, f, s]}}, s:s, s:b, s:n}", "a",
                        "b", "c", "d", "e", "f", 1, 2.0, "x", "g", "h/i", "\xc3\xa9\t\"\\", 1, "k");
  assert_non_null(o);
  assert_int_equal(json_object_set_new(o, "", json_integer(INT64_MIN)), 0);
  assert_int_equal(json_object_setn_new(o, "n\0ul", 4, json_integer(INT64_MAX)), 0);
  char *got = qb_json_dumps(o, JSON_INDENT(2));
  assert_non_null(got);
  assert_string_equal(got, "{\n"
                           "  \"a\": [],\n"
                           "  \"b\": {},\n"
                           "  \"c\": [\n    [],\n    {},\n    [\n      []\n    ]\n  ],\n"
                           "  \"d\": {\n    \"e\": {\n      \"f\": [\n        1,\n        2.0,\n"
                           "        \"x\"\n      ]\n    }\n  },\n"
                           "  \"g\": \"h/i\",\n"
                           "  \"\xc3\xa9\\t\\\"\\\\\": true,\n"
                           "  \"k\": null,\n"
                           "  \"\": -9223372036854775808,\n"
                           "  \"n\\u0000ul\": 9223372036854775807\n"
                           "}");
  free(got);
  for (size_t f = 0; f < N_FLAG_SETS; f++) check_same(o, flag_sets[f], "shapes");
  /* the flags qb_json_dumps hands to json_dumps */
  const size_t other[] = {JSON_ENSURE_ASCII | JSON_INDENT(2), JSON_ESCAPE_SLASH,
                          JSON_EMBED | JSON_COMPACT, JSON_PRESERVE_ORDER};
  for (size_t f = 0; f < sizeof other / sizeof other[0]; f++) check_same(o, other[f], "shapes");
  char *p5 = qb_json_dumps(o, JSON_REAL_PRECISION(5)), *j5 = json_dumps(o, JSON_REAL_PRECISION(5));
  assert_string_equal(p5, j5);
  free(p5);
  free(j5);
  json_decref(o);
}

static void test_json_out__failures(void **state) {
  (void)state;
  /* a scalar root: NULL without JSON_ENCODE_ANY, the value with it */
  json_t *scalars[] = {json_real(0.25), json_integer(-3), json_string("x\n"), json_true(),
                       json_null()};
  for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
    assert_null(qb_json_dumps(scalars[i], JSON_COMPACT));
    check_same(scalars[i], JSON_COMPACT, "scalar");
    check_same(scalars[i], JSON_ENCODE_ANY, "scalar, encode any");
    check_same(scalars[i], JSON_ENCODE_ANY | JSON_INDENT(2), "scalar, encode any");
    json_decref(scalars[i]);
  }
  assert_null(qb_json_dumps(NULL, 0));

  /* a tree that contains itself */
  json_t *a = json_array(), *b = json_array();
  json_array_append(a, b);
  json_array_append(b, a);
  assert_null(qb_json_dumps(a, JSON_COMPACT));
  check_same(a, JSON_INDENT(2), "loop");
  json_array_clear(b);
  json_decref(a);
  json_decref(b);
  json_t *o = json_object(), *inner = json_object();
  json_object_set(o, "x", inner);
  json_object_set(inner, "y", o);
  assert_null(qb_json_dumps(o, 0));
  json_object_clear(inner);
  json_decref(o);
  json_decref(inner);

  /* the same value twice is not a loop */
  a = json_array();
  b = json_pack("{s:[1.5]}", "v");
  json_array_append(a, b);
  json_array_append(a, b);
  check_same(a, JSON_COMPACT, "shared value");
  json_decref(b);
  json_decref(a);

  /* a string value that is not UTF-8 fails the dump; a key does not (jansson ignores it) */
  const char *const bad[] = {"\xff",         "ab\xc3",           "a\n\xc3(",     "\xc0\xaf",
                             "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "ok\t\x80z"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    a = json_array();
    json_array_append_new(a, json_stringn_nocheck(bad[i], strlen(bad[i])));
    assert_null(qb_json_dumps(a, JSON_COMPACT));
    check_same(a, JSON_COMPACT, "invalid string");
    json_decref(a);
    o = json_object();
    json_object_setn_new_nocheck(o, bad[i], strlen(bad[i]), json_integer(1));
    json_object_set_new(o, "z", json_real(0.5));
    char *text = qb_json_dumps(o, JSON_COMPACT);
    assert_non_null(text);
    free(text);
    check_same(o, JSON_COMPACT, "invalid key");
    check_same(o, JSON_INDENT(2), "invalid key");
    json_decref(o);
  }
}

static void test_json_out__dumpf(void **state) {
  (void)state;
  json_t *o = json_pack("{s:f, s:[i, s]}", "mean", 1.0 / 3, "v", 7, "x\ty");
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  assert_non_null(f);
  assert_int_equal(qb_json_dumpf(o, f, JSON_INDENT(2)), 0);
  assert_int_equal(qb_json_dumpf(json_null(), f, 0), -1);
  assert_int_equal(fclose(f), 0);
  char *want = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  assert_string_equal(buf, want);
  free(want);
  free(buf);
  json_decref(o);
}

/* A *.json file jansson loads, dumped with every flag set both ways; 1 when loaded. */
static int check_file(const char *path, void *ctx) {
  (void)ctx;
  json_t *j = json_load_file(path, 0, NULL);
  if (!j) return 0; /* the deliberately broken inputs */
  for (size_t f = 0; f < N_FLAG_SETS; f++) check_same(j, flag_sets[f], path);
  json_decref(j);
  return 1;
}

static void test_json_out__real_documents(void **state) {
  (void)state;
  assert_true(qbt_each_json(QB_TEST_DATA, check_file, NULL) >= 10);
}

/* Replay tree j into writer calls; 0 when j holds something the writer takes differently (a
 * string or key with a NUL byte: the writer takes C strings). */
static int replay(qb_jw *w, const json_t *j) {
  switch (json_typeof(j)) {
    case JSON_NULL:
      qb_jw_null(w);
      return 1;
    case JSON_TRUE:
    case JSON_FALSE:
      qb_jw_bool(w, json_is_true(j));
      return 1;
    case JSON_INTEGER:
      qb_jw_int(w, json_integer_value(j));
      return 1;
    case JSON_REAL:
      qb_jw_real(w, json_real_value(j));
      return 1;
    case JSON_STRING:
      if (strlen(json_string_value(j)) != json_string_length(j)) return 0;
      qb_jw_str(w, json_string_value(j));
      return 1;
    case JSON_ARRAY:
      qb_jw_arr(w);
      for (size_t i = 0; i < json_array_size(j); i++)
        if (!replay(w, json_array_get(j, i))) return 0;
      qb_jw_end(w);
      return 1;
    default: {
      qb_jw_obj(w);
      const char *k;
      size_t kl;
      json_t *v;
      json_object_keylen_foreach((json_t *)j, k, kl, v) {
        if (strlen(k) != kl) return 0;
        qb_jw_key(w, k);
        if (!replay(w, v)) return 0;
      }
      qb_jw_end(w);
      return 1;
    }
  }
}

/* The writer: the random trees written by calls give json_dumps's text in every flag set, and
 * an equal tree; a third of the trees also go through qb_jw_json (a copy of a subtree). */
static void test_json_out__writer(void **state) {
  (void)state;
  uint64_t s = 7654321;
  int checked = 0;
  for (int t = 0; t < N_TREES; t++) {
    json_t *root = json_object();
    size_t n = splitmix(&s) % 12;
    for (size_t i = 0; i < n; i++) {
      char key[32];
      snprintf(key, sizeof key, "k%zu", i);
      json_object_set_new(root, key, random_value(&s, 4));
    }
    for (size_t f = 0; f < N_FLAG_SETS; f++) {
      if (flag_sets[f] & JSON_SORT_KEYS) continue; /* the writer writes in the order of its calls */
      qb_jw w;
      qb_jw_init(&w, flag_sets[f]);
      int whole = t % 3 != 0;
      if (whole) {
        if (!replay(&w, root)) {
          free(qb_jw_text(&w));
          break;
        }
      } else { /* the object by calls, its members by qb_jw_json */
        qb_jw_obj(&w);
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
          qb_jw_key(&w, k);
          qb_jw_json(&w, v);
        }
        qb_jw_end(&w);
      }
      char *got = qb_jw_text(&w), *want = json_dumps(root, flag_sets[f] | JSON_REAL_PRECISION(17));
      if (want && !got) fail_msg("tree %d: the writer failed", t);
      if (want) assert_string_equal(got, want);
      free(got);
      free(want);
      checked += f == 0 && want;
    }
    qb_jw w;
    qb_jw_init_tree(&w);
    if (replay(&w, root)) {
      json_t *tree = qb_jw_take_tree(&w);
      assert_non_null(tree);
      assert_true(json_equal(tree, root));
      json_decref(tree);
    } else {
      json_decref(qb_jw_take_tree(&w));
    }
    json_decref(root);
  }
  assert_true(checked > N_TREES / 2);
  /* misuse fails the result and nothing else: a value without a key, an unclosed object */
  qb_jw w;
  qb_jw_init(&w, JSON_COMPACT);
  qb_jw_obj(&w);
  qb_jw_int(&w, 1);
  qb_jw_end(&w);
  assert_null(qb_jw_text(&w));
  qb_jw_init(&w, JSON_COMPACT);
  qb_jw_obj(&w);
  qb_jw_key(&w, "a");
  qb_jw_real(&w, NAN);
  assert_null(qb_jw_text(&w));
  qb_jw_init(&w, JSON_COMPACT);
  qb_jw_obj(&w);
  qb_jw_key(&w, "a");
  qb_jw_real(&w, NAN);
  qb_jw_key(&w, "b");
  qb_jw_str(&w, "\xff\xfe");
  qb_jw_key(&w, "c");
  qb_jw_real(&w, INFINITY);
  qb_jw_end(&w);
  char *text = qb_jw_text(&w);
  assert_string_equal(text, "{\"a\":null,\"b\":null,\"c\":null}");
  free(text);
  qb_jw_init_tree(&w);
  qb_jw_arr(&w);
  qb_jw_str(&w, "\xff");
  qb_jw_end(&w);
  json_t *tree = qb_jw_take_tree(&w);
  assert_true(json_is_null(json_array_get(tree, 0)));
  json_decref(tree);
  qb_jw_init_tree(&w);
  qb_jw_arr(&w);
  qb_jw_arr(&w);
  json_decref(qb_jw_take_tree(&w)); /* unclosed: NULL, nothing leaks (ASan) */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_out__random_trees),
      cmocka_unit_test(test_json_out__reals),
      cmocka_unit_test(test_json_out__shapes),
      cmocka_unit_test(test_json_out__failures),
      cmocka_unit_test(test_json_out__dumpf),
      cmocka_unit_test(test_json_out__real_documents),
      cmocka_unit_test(test_json_out__writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

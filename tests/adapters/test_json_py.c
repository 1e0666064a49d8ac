/* tests/adapters/test_json_py.c - qb_json_parse_py (adapters/json.c, json_fast.c): what Python's
 * json module writes beyond JSON (NaN, Infinity, -Infinity, integers of any size) read as strings
 * of their text and listed with their byte offsets; everything else exactly as qb_json_parse
 * reads it, errors included (at the same line, column and byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "tests/testutil.h"

/* Parse text in Python mode, which must succeed; the caller decrefs and disposes sp. */
static json_t *py(const char *text, qb_json_specials *sp) {
  qb_err err = QB_ERR_INIT;
  json_t *v = NULL;
  if (qb_json_parse_py("t.json", text, strlen(text), &v, sp, &err)) fail_msg("%s", err.msg);
  assert_non_null(v);
  return v;
}

/* The compact dump of v (sorted keys), freed by the caller. */
static char *dump(const json_t *v) {
  char *s = qb_json_dump(v);
  assert_non_null(s);
  return s;
}

static void test_json_py__tokens(void **state) {
  (void)state;
  qb_json_specials sp = QB_JSON_SPECIALS_INIT;
  const char *text = "{\"a\": NaN, \"b\": [Infinity, -Infinity, 1.5, \"NaN\"], \"c\": -0.0,\n"
                     " \"d\": 1180591620717411303424, \"e\": -18446744073709551617,\n"
                     " \"f\": 9223372036854775807, \"g\": -9223372036854775808,\n"
                     " \"h\": 9223372036854775808}";
  json_t *v = py(text, &sp);
  char *s = dump(v);
  assert_string_equal(s, "{\"a\":\"NaN\",\"b\":[\"Infinity\",\"-Infinity\",1.5,\"NaN\"],\"c\":-0.0,"
                         "\"d\":\"1180591620717411303424\",\"e\":\"-18446744073709551617\","
                         "\"f\":9223372036854775807,\"g\":-9223372036854775808,"
                         "\"h\":\"9223372036854775808\"}");
  free(s);
  /* the ones that stood for a token are listed, at their byte offsets; the string "NaN" is not */
  assert_int_equal(sp.n, 6);
  static const struct {
    const char *key;
    int idx;
    const char *token;
  } WANT[] = {{"a", -1, "NaN"},
              {"b", 0, "Infinity"},
              {"b", 1, "-Infinity"},
              {"d", -1, "1180591620717411303424"},
              {"e", -1, "-18446744073709551617"},
              {"h", -1, "9223372036854775808"}};
  for (size_t k = 0; k < sizeof WANT / sizeof WANT[0]; k++) {
    json_t *x = json_object_get(v, WANT[k].key);
    if (WANT[k].idx >= 0) x = json_array_get(x, (size_t)WANT[k].idx);
    const qb_json_special *e = qb_json_specials_find(&sp, x);
    assert_non_null(e);
    assert_ptr_equal(e->value, x);
    assert_memory_equal(text + e->offset, WANT[k].token, strlen(WANT[k].token));
  }
  assert_null(qb_json_specials_find(&sp, json_array_get(json_object_get(v, "b"), 3)));
  assert_null(qb_json_specials_find(&sp, json_object_get(v, "f")));
  /* line and column of the big integer of line 2 */
  int line, col;
  qb_json_position(text, strlen(text), qb_json_specials_find(&sp, json_object_get(v, "d"))->offset,
                   &line, &col);
  assert_int_equal(line, 2);
  assert_int_equal(col, 7);
  json_decref(v);
  qb_json_specials_dispose(&sp);
  assert_null(sp.v);
}

/* Numbers longer than the fast path's usual 64-character limit, and deep nesting up to jansson's
 * 2048 levels: read here, not left to jansson (which cannot read the tokens). */
static void test_json_py__long_and_deep(void **state) {
  (void)state;
  qb_json_specials sp = QB_JSON_SPECIALS_INIT;
  char text[8192];
  /* 2**300, and a real of 80 digits */
  snprintf(text, sizeof text, "[%s, %s, NaN]",
           "2037035976334486086268445688409378161051468393665936250636140449354381299763336706183"
           "397376",
           "0.12345678901234567890123456789012345678901234567890123456789012345678901234567890");
  json_t *v = py(text, &sp);
  assert_string_equal(json_string_value(json_array_get(v, 0)),
                      "2037035976334486086268445688409378161051468393665936250636140449354381299763"
                      "336706183397376");
  assert_true(json_real_value(json_array_get(v, 1)) == 0.12345678901234568);
  assert_int_equal(sp.n, 2);
  json_decref(v);

  size_t d = 2000, n = 0;
  for (size_t k = 0; k < d; k++) text[n++] = '[';
  memcpy(text + n, "NaN", 3);
  n += 3;
  for (size_t k = 0; k < d; k++) text[n++] = ']';
  text[n] = '\0';
  v = py(text, &sp);
  assert_int_equal(sp.n, 1);
  assert_int_equal(sp.v[0].offset, d);
  json_decref(v);
  qb_json_specials_dispose(&sp);
}

/* The same text with every Python token replaced by "0" and spaces: the error must be the same,
 * at the same line, column and byte. */
static void same_error(const char *with, const char *without) {
  qb_json_specials sp = QB_JSON_SPECIALS_INIT;
  qb_err e1 = QB_ERR_INIT, e2 = QB_ERR_INIT;
  json_t *v1 = NULL, *v2 = NULL;
  assert_int_equal(qb_json_parse_py("t.json", with, strlen(with), &v1, &sp, &e1), QB_EFORMAT);
  assert_null(v1);
  assert_int_equal(sp.n, 0);
  assert_int_equal(qb_json_parse("t.json", without, strlen(without), &v2, &e2), QB_EFORMAT);
  assert_string_equal(e1.msg, e2.msg);
  qb_json_specials_dispose(&sp);
}

static void test_json_py__errors(void **state) {
  (void)state;
  same_error("{\"a\": NaN,\n \"b\": [1, 2,]}", "{\"a\": 0  ,\n \"b\": [1, 2,]}");
  same_error("{\"a\": -Infinity, \"b\": 123456789012345678901234567890 x}",
             "{\"a\": 0        , \"b\": 0                              x}");
  same_error("[NaN, \"cut", "[0  , \"cut");
  /* tokens Python does not write, or not where a value goes */
  qb_json_specials sp = QB_JSON_SPECIALS_INIT;
  static const char *const BAD[] = {"[nan]",    "[NaNa]",  "[Infinit]", "[-NaN]", "[+Infinity]",
                                    "{NaN: 1}", "[1 NaN]", "[NaN NaN]", "[01]",   "NaN"};
  for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
    qb_err err = QB_ERR_INIT;
    json_t *v = NULL;
    if (qb_json_parse_py("t.json", BAD[k], strlen(BAD[k]), &v, &sp, &err) != QB_EFORMAT)
      fail_msg("accepted %s", BAD[k]);
    assert_null(v);
    assert_non_null(strstr(err.msg, "t.json: invalid JSON at line 1, column "));
  }
  qb_json_specials_dispose(&sp);
  /* and qb_json_parse still refuses them */
  qb_err err = QB_ERR_INIT;
  json_t *v = NULL;
  assert_int_equal(qb_json_parse("t.json", "[NaN]", 5, &v, &err), QB_EFORMAT);
  assert_int_equal(qb_json_parse("t.json", "[12345678901234567890]", 22, &v, &err), QB_EFORMAT);
  assert_non_null(strstr(err.msg, "too big integer"));
}

/* Without any token, Python mode gives what qb_json_parse gives, on every pytest file of
 * tests/data. */
static void test_json_py__plain_files(void **state) {
  (void)state;
  static const char *const FILES[] = {"/pytest/run1/benchmark.json", "/pytest/v4/benchmark.json",
                                      "/gbench/run1_out.json", "/hyperfine/run1.json"};
  for (size_t k = 0; k < sizeof FILES / sizeof FILES[0]; k++) {
    char path[1024];
    snprintf(path, sizeof path, QB_TEST_DATA "%s", FILES[k]);
    json_t *ref = qbt_load_json(path);
    assert_non_null(ref);
    char *text = json_dumps(ref, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    qb_json_specials sp = QB_JSON_SPECIALS_INIT;
    json_t *v = py(text, &sp);
    assert_int_equal(sp.n, 0);
    assert_true(json_equal(v, ref));
    json_decref(v);
    json_decref(ref);
    free(text);
    qb_json_specials_dispose(&sp);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_py__tokens),
      cmocka_unit_test(test_json_py__long_and_deep),
      cmocka_unit_test(test_json_py__errors),
      cmocka_unit_test(test_json_py__plain_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

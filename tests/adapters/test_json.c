/* tests/adapters/test_json.c - the fast JSON path (adapters/json_fast.c) against jansson's own
 * decoder, the reference: whatever the fast path accepts must be exactly what json_loadb gives
 * (same types, key order, numbers and strings: compared as jansson's dump text), and anything
 * json_loadb refuses the fast path must refuse too. Checked on every JSON file in tests/data, on
 * edge cases of the grammar, and on 20,000 seeded random mutations of a real upload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/json.h"
#include "core/buf.h"
#include "tests/testutil.h"

#define DUMP_FLAGS (JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

/* The verdict of both parsers on data: 1 when the fast path accepted it (and then asserts it
 * equals jansson's value), 0 when it declined (and then jansson decides). Asserts that the fast
 * path never accepts what jansson refuses. */
static int differential(const char *data, size_t len, int allow_nul, const char *what) {
  json_error_t je;
  json_t *ref =
      json_loadb(data, len, JSON_REJECT_DUPLICATES | (allow_nul ? JSON_ALLOW_NUL : 0), &je);
  json_t *fast = qb_json_parse_fast(data, len, allow_nul);
  if (fast && !ref)
    fail_msg("%s: the fast path accepted input jansson refuses (%s)", what, je.text);
  int accepted = fast != NULL;
  if (fast) {
    char *a = json_dumps(ref, DUMP_FLAGS), *b = json_dumps(fast, DUMP_FLAGS);
    if (!a || !b || strcmp(a, b))
      fail_msg("%s: values differ:\n jansson %.200s\n fast    %.200s", what, a ? a : "?",
               b ? b : "?");
    free(a);
    free(b);
  }
  json_decref(ref);
  json_decref(fast);
  return accepted;
}

static char *read_file(const char *path, size_t *len) {
  qb_err err = QB_ERR_INIT;
  char *data = NULL;
  if (qb_file_read(path, (size_t)1 << 30, &data, len, &err)) fail_msg("%s", err.msg);
  return data;
}

/* A *.json file: the fast path accepts it (when jansson does) and agrees. */
static int check_file(const char *path, void *ctx) {
  (void)ctx;
  size_t len;
  char *data = read_file(path, &len);
  json_error_t je;
  json_t *ref = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
  /* a well-formed file must take the fast path; malformed ones (tests of errors) must not */
  int accepted = differential(data, len, 1, path);
  if (ref && !accepted) fail_msg("%s: valid JSON declined by the fast path", path);
  json_decref(ref);
  free(data);
  return 1;
}

static void test_json__every_test_file(void **state) {
  (void)state;
  size_t n = qbt_each_json(QB_TEST_DATA, check_file, NULL);
  assert_true(n >= 20); /* the pytest, criterion and reference files are there */
}

/* Edge cases: {input, 1 if the fast path must accept it, 0 if it must decline}. */
static const struct {
  const char *in;
  int accept;
} CASES[] = {
    {"{}", 1},
    {"[]", 1},
    {" \t\r\n[ 1 , 2 ]\n", 1},
    {"[0, -0, 1, -1, 123456789012345678, -123456789012345678]", 1},
    {"[9223372036854775807, -9223372036854775808]", 1}, /* 19 digits: through strtoll */
    {"[9223372036854775808]", 0},                       /* too big integer */
    {"[-9223372036854775809]", 0},
    {"[0.5, -0.0, 1e5, 1E-5, 2.5e+3, 1.7976931348623157e308, 4.9e-324, 1e-400]", 1},
    {"[0.1, 0.30000000000000004, 123.456e-7, 3.141592653589793238462643383279]", 1},
    {"[1e400]", 0}, /* real number overflow */
    {"[-1e400]", 0},
    {"[01]", 0},
    {"[1.]", 0},
    {"[.5]", 0},
    {"[1e]", 0},
    {"[+1]", 0},
    {"[-]", 0},
    {"[1 2]", 0},
    {"[1,]", 0},
    {"{\"a\":1,}", 0},
    {"{\"a\" 1}", 0},
    {"{\"a\":1,\"a\":2}", 0}, /* duplicate key */
    {"{\"a\":1,\"b\":{\"a\":2}}", 1},
    {"{\"z\":1,\"a\":2,\"m\":3}", 1}, /* insertion order kept */
    {"[true, false, null]", 1},
    {"[tru]", 0},
    {"[nul]", 0},
    {"[True]", 0},
    {"1", 0}, /* the top level must be an object or an array */
    {"\"s\"", 0},
    {"[] x", 0}, /* end of file expected */
    {"[", 0},
    {"{\"a\":", 0},
    {"", 0},
    {"[\"plain\", \"caf\xc3\xa9\", \"\xe2\x82\xac\", \"\xf0\x9f\x98\x80\"]", 1},
    {"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 1},
    {"[\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"]", 1},
    {"{\"k\\u00e9y\":\"v\\n\"}", 1},
    {"[\"\\ud83d\"]", 0},        /* lone high surrogate */
    {"[\"\\ude00\"]", 0},        /* lone low surrogate */
    {"[\"\\ud83d\\u0041\"]", 0}, /* high surrogate without its pair */
    {"[\"\\u12\"]", 0},
    {"[\"\\u12g4\"]", 0},
    {"[\"\\x\"]", 0},
    {"[\"tab\there\"]", 0},        /* control character */
    {"[\"\xc3\"]", 0},             /* truncated UTF-8 */
    {"[\"\xc0\xaf\"]", 0},         /* overlong */
    {"[\"\xed\xa0\x80\"]", 0},     /* an encoded surrogate */
    {"[\"\xf4\x90\x80\x80\"]", 0}, /* above U+10FFFF */
    {"[\"\xff\"]", 0},
    {"[\"unterminated]", 0},
    {"[\"esc \\\"]", 0},
};

static void test_json__edge_cases(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "case %zu (%.30s)", i, CASES[i].in);
    int got = differential(CASES[i].in, strlen(CASES[i].in), 1, what);
    if (got != CASES[i].accept)
      fail_msg("%s: fast path %s, expected it to %s", what, got ? "accepted" : "declined",
               CASES[i].accept ? "accept" : "decline");
  }
}

/* \u0000: accepted in values with allow_nul (jansson's JSON_ALLOW_NUL), declined without it and
 * always in keys (jansson does not support NUL in keys). */
static void test_json__nul(void **state) {
  (void)state;
  const char *v = "[\"a\\u0000b\"]", *k = "{\"a\\u0000b\":1}";
  assert_int_equal(differential(v, strlen(v), 1, "nul value"), 1);
  json_t *j = qb_json_parse_fast(v, strlen(v), 1);
  assert_int_equal(json_string_length(json_array_get(j, 0)), 3);
  json_decref(j);
  assert_int_equal(differential(v, strlen(v), 0, "nul value, no allow"), 0);
  assert_int_equal(differential(k, strlen(k), 1, "nul key"), 0);
  /* a raw NUL byte is never whitespace or string content */
  assert_int_equal(differential("[1]\0", 4, 1, "raw nul"), 0);
  assert_int_equal(differential("[\"a\0\"]", 6, 1, "raw nul in string"), 0);
}

/* Nesting: up to the fast path's depth it accepts, beyond it declines (jansson then parses up
 * to its own limit of 2048). */
static void test_json__depth(void **state) {
  (void)state;
  char buf[2 * 2100 + 1];
  for (int depth = 1; depth <= 2100; depth += 523) {
    memset(buf, '[', (size_t)depth);
    memset(buf + depth, ']', (size_t)depth);
    int got = differential(buf, 2 * (size_t)depth, 1, "nesting");
    assert_int_equal(got, depth <= 512);
  }
}

/* Seeded random mutations of a real document: bytes replaced, deleted and inserted (from an
 * alphabet of JSON's structural characters, digits, escapes and UTF-8). The invariant holds for
 * every one. */
static void test_json__mutations(void **state) {
  (void)state;
  size_t len;
  char *file = read_file(QB_TEST_DATA "/pytest/run1/benchmark.json", &len);
  /* a complete document of ~3 KB from the real file: machine and commit info and one benchmark
   * with ten of its rounds (objects, arrays, strings, integers, reals, booleans, null) */
  json_error_t je;
  json_t *root = json_loadb(file, len, 0, &je), *doc = json_object();
  assert_non_null(root);
  json_t *bench = json_deep_copy(json_array_get(json_object_get(root, "benchmarks"), 1));
  json_t *data = json_object_get(json_object_get(bench, "stats"), "data");
  while (json_array_size(data) > 10) json_array_remove(data, json_array_size(data) - 1);
  json_object_set(doc, "machine_info", json_object_get(root, "machine_info"));
  json_object_set(doc, "commit_info", json_object_get(root, "commit_info"));
  json_object_set_new(doc, "benchmark", bench);
  char *orig = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
  assert_non_null(orig);
  json_decref(doc);
  json_decref(root);
  free(file);
  size_t n = strlen(orig);
  assert_int_equal(differential(orig, n, 1, "the unmutated document"), 1);
  char *buf = malloc(n + 64);
  assert_non_null(buf);
  uint64_t seed = 0x71626462;
  static const char alphabet[] = "{}[]\",:.-+eE0123456789 \\u\xc3\xa9tfn\x01";
  size_t accepted = 0;
  int iters = qbt_quick() ? 2000 : 20000;
  for (int iter = 0; iter < iters; iter++) {
    size_t m = n;
    memcpy(buf, orig, n);
    int edits = 1 + (int)(qbt_sm64(&seed) % 3);
    for (int e = 0; e < edits && m > 2; e++) {
      size_t at = (size_t)(qbt_sm64(&seed) % m);
      switch (qbt_sm64(&seed) % 3) {
        case 0:
          buf[at] = alphabet[qbt_sm64(&seed) % (sizeof alphabet - 1)];
          break;
        case 1:
          memmove(buf + at, buf + at + 1, m - at - 1);
          m--;
          break;
        default:
          memmove(buf + at + 1, buf + at, m - at);
          buf[at] = alphabet[qbt_sm64(&seed) % (sizeof alphabet - 1)];
          m++;
          break;
      }
    }
    char what[48];
    snprintf(what, sizeof what, "mutation %d", iter);
    accepted += (size_t)differential(buf, m, iter % 2, what);
  }
  print_message("%zu of %d mutants taken by the fast path\n", accepted, iters);
  /* both verdicts occur often, so both directions were exercised */
  assert_true(accepted > (size_t)iters / 20);
  assert_true(accepted < (size_t)iters * 19 / 20);
  free(buf);
  free(orig);
}

/* qb_json_parse still reports jansson's positioned error after the fast path declines. */
static void test_json__error_message(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  json_t *v = NULL;
  const char *bad = "{\n  \"a\": [1, 2,, 3]\n}";
  assert_int_equal(qb_json_parse("x.json", bad, strlen(bad), &v, &err), QB_EFORMAT);
  assert_null(v);
  /* jansson's own position and text */
  assert_string_equal(err.msg, "x.json: invalid JSON at line 2, column 14 (byte 16): "
                               "unexpected token near ','");
  const char *big = "[1e999]";
  assert_int_equal(qb_json_parse("y.json", big, strlen(big), &v, &err), QB_EFORMAT);
  assert_non_null(strstr(err.msg, "real number overflow"));
}

/* The parse arena (json.h): a tree built in a scope is the tree built outside one; the arena
 * holds memory only while a scope is open (nested scopes close with the outermost); a value made
 * before the scope is freed for real inside it (ASan and valgrind see a leak otherwise); other
 * threads keep using malloc meanwhile. */
static void *arena_other_thread(void *arg) {
  (void)arg;
  json_t *v = json_pack("{s:[f,f], s:s}", "x", 1.5, 2.5, "name", "other");
  size_t bytes = qb_json_arena_bytes();
  json_decref(v);
  return (void *)(uintptr_t)(bytes == 0 && v != NULL);
}

static void test_json__arena(void **state) {
  (void)state;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  const char *path = QB_TEST_DATA "/pytest/run1/benchmark.json";
  char *data = read_file(path, &len);
  json_t *plain = NULL, *in_arena = NULL;
  assert_int_equal(qb_json_parse(path, data, len, &plain, &err), QB_OK);
  char *want = json_dumps(plain, DUMP_FLAGS);
  assert_int_equal(qb_json_arena_bytes(), 0);
  json_t *before = json_pack("{s:i}", "made", 1); /* on the heap, freed inside the scope */
  qb_json_arena_begin();
  assert_int_equal(qb_json_parse(path, data, len, &in_arena, &err), QB_OK);
  size_t bytes = qb_json_arena_bytes();
  assert_true(bytes >= len); /* the tree is in the arena (a tree is larger than its text) */
  char *got = json_dumps(in_arena, DUMP_FLAGS); /* text from the arena, freed by its scope */
  assert_string_equal(got, want);
  qb_json_arena_begin(); /* nested: its end keeps the outer scope's memory */
  json_t *inner = json_pack("[s]", "inner");
  json_decref(inner);
  qb_json_arena_end();
  assert_true(qb_json_arena_bytes() >= bytes);
  pthread_t t;
  void *ok = NULL;
  assert_int_equal(pthread_create(&t, NULL, arena_other_thread, NULL), 0);
  assert_int_equal(pthread_join(t, &ok), 0);
  assert_true(ok != NULL);
  json_decref(before);
  json_decref(in_arena);
  qb_json_arena_end();
  assert_int_equal(qb_json_arena_bytes(), 0);
  qb_json_arena_end(); /* an end without a scope is ignored */
  assert_int_equal(qb_json_arena_bytes(), 0);
  free(want);
  json_decref(plain);
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json__every_test_file),
      cmocka_unit_test(test_json__edge_cases),
      cmocka_unit_test(test_json__nul),
      cmocka_unit_test(test_json__depth),
      cmocka_unit_test(test_json__mutations),
      cmocka_unit_test(test_json__error_message),
      cmocka_unit_test(test_json__arena),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

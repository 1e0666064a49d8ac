/* tests/adapters/test_json_dump.c - qb_json_dump (adapters/json.c), the text adapters store for
 * params and extra fields, against jansson's json_dumps with the flags it stood for (compact,
 * sorted keys, any value, reals at precision 17), the reference: the same bytes on every JSON
 * file in tests/data (each whole document and each of its objects), on edge cases (escapes, NUL,
 * UTF-8, keys sharing a prefix, empty containers, extreme numbers), and on seeded random trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters/json.h"
#include "core/buf.h"
#include "tests/testutil.h"

#define REF_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

/* Assert qb_json_dump(v) is json_dumps(v, REF_FLAGS), byte for byte; what names v. */
static void same(const json_t *v, const char *what) {
  if (json_is_null(v)) return; /* NULL by design: no text for "nothing" */
  char *want = json_dumps(v, REF_FLAGS), *got = qb_json_dump(v);
  if (!want != !got || (want && strcmp(want, got)))
    fail_msg("%s: json_dumps %.300s\n qb_json_dump %.300s", what, want ? want : "(null)",
             got ? got : "(null)");
  free(want);
  free(got);
}

/* same() on v and, recursively, on every container inside it. */
static void same_deep(const json_t *v, const char *what) {
  same(v, what);
  if (json_is_array(v))
    for (size_t i = 0; i < json_array_size(v); i++) same_deep(json_array_get(v, i), what);
  if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) same_deep(x, what);
  }
}

/* A .json file parsed as the adapters parse it, its every value dumped both ways; 1 when parsed. */
static int dump_file(const char *path, void *ctx) {
  (void)ctx;
  char *data;
  size_t size;
  qb_err err;
  if (qb_file_read(path, (size_t)1 << 30, &data, &size, &err)) return 0;
  json_t *root;
  int parsed = !qb_json_parse(path, data, size, &root, &err);
  if (parsed) {
    same_deep(root, path);
    json_decref(root);
  }
  free(data);
  return parsed;
}

static void test_json_dump__every_test_file(void **state) {
  (void)state;
  assert_true(qbt_each_json(QB_TEST_DATA, dump_file, NULL) > 10);
}

static void test_json_dump__edge_cases(void **state) {
  (void)state;
  static const char *const DOCS[] = {
      "{}",
      "[]",
      "{\"a\":{},\"b\":[]}",
      "{\"b\":1,\"a\":2,\"ab\":3,\"aa\":4,\"\":5,\"a\\u0001\":6}",
      "[\"\\u0000x\\u001f\\u007f\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
      "[\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
      "[0.0, -0.0, 1.0, 1e20, 1e21, 1e-5, 1e-7, 123456789012345678.0, 5e-324, "
      "1.7976931348623157e308,"
      " 0.1, 2.5e-300, 100.0, 1e16, 1e17]",
      "[0, -1, 9223372036854775807, -9223372036854775808, true, false, null]",
      "{\"z\":{\"y\":{\"x\":[{\"b\":1,\"a\":2}]}},\"k\":\"v\"}",
      "{\"q\":1,\"w\":2,\"e\":3,\"r\":4,\"t\":5,\"y\":6,\"u\":7,\"i\":8,\"o\":9,\"p\":10,\"a\":11,"
      "\"s\":12,\"d\":13,\"f\":14,\"g\":15,\"h\":16,\"j\":17,\"k\":18,\"l\":19}"};
  for (size_t i = 0; i < sizeof DOCS / sizeof DOCS[0]; i++) {
    json_error_t je;
    json_t *v = json_loads(DOCS[i], JSON_ALLOW_NUL, &je);
    if (!v) fail_msg("doc %zu: %s", i, je.text);
    same_deep(v, DOCS[i]);
    json_decref(v);
  }
  json_t *s = json_string("plain"), *r = json_real(2.5), *in = json_integer(-7);
  same(s, "a string alone");
  same(r, "a real alone");
  same(in, "an integer alone");
  assert_null(qb_json_dump(NULL));
  assert_null(qb_json_dump(json_null()));
  json_decref(s);
  json_decref(r);
  json_decref(in);
  /* a key that is not valid UTF-8 goes to json_dumps, whatever it makes of it */
  json_t *o = json_object();
  json_object_set_new_nocheck(o, "ok\xff", json_integer(1));
  same(o, "invalid key");
  json_decref(o);
}

/* A random tree of depth at most depth, with keys from a small alphabet (shared prefixes). */
static json_t *random_tree(uint64_t *rng, int depth) {
  uint64_t r = qbt_sm64(rng);
  char key[8];
  switch (depth > 0 ? r % 7 : r % 4) {
    case 0: {
      double d;
      uint64_t bits = qbt_sm64(rng);
      memcpy(&d, &bits, sizeof d);
      if (d != d || d - d != 0) d = (double)(bits >> 20) / 1e9;
      return json_real(d);
    }
    case 1:
      return json_integer((json_int_t)qbt_sm64(rng) >> (r % 60));
    case 2: {
      size_t n = r % 6;
      for (size_t i = 0; i < n; i++) key[i] = "ab\n\"\\\x01z"[qbt_sm64(rng) % 7];
      return json_stringn(key, n);
    }
    case 3:
      return r % 2 ? json_true() : json_null();
    case 4: {
      json_t *a = json_array();
      for (size_t i = 0, n = r % 5; i < n; i++)
        json_array_append_new(a, random_tree(rng, depth - 1));
      return a;
    }
    default: {
      json_t *o = json_object();
      for (size_t i = 0, n = r % 24; i < n; i++) {
        size_t kn = 1 + qbt_sm64(rng) % 4;
        for (size_t k = 0; k < kn; k++) key[k] = "abAB_0"[qbt_sm64(rng) % 6];
        json_object_setn_new(o, key, kn, random_tree(rng, depth - 1));
      }
      return o;
    }
  }
}

static void test_json_dump__random_trees(void **state) {
  (void)state;
  uint64_t rng = 20261207;
  for (int i = 0; i < (qbt_quick() ? 500 : 20000); i++) {
    json_t *v = random_tree(&rng, 4);
    same(v, "random tree");
    json_decref(v);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_dump__every_test_file),
      cmocka_unit_test(test_json_dump__edge_cases),
      cmocka_unit_test(test_json_dump__random_trees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

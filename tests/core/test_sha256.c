/* tests/core/test_sha256.c - SHA-256 against the FIPS 180-2 example digests (also printed by
 * coreutils sha256sum for the same inputs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/sha256.h"

static void hex_of(const char *s, size_t n, size_t chunk, char out[65]) {
  qb_sha256 c;
  qb_sha256_init(&c);
  for (size_t i = 0; i < n; i += chunk) qb_sha256_update(&c, s + i, n - i < chunk ? n - i : chunk);
  qb_sha256_hex(&c, out);
}

static void test_sha256__fips_vectors(void **state) {
  (void)state;
  char h[65];
  hex_of("abc", 3, 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hex_of("", 0, 1, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of(m, strlen(m), 7, h); /* fed in odd-sized pieces */
  assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256__million_a(void **state) {
  (void)state;
  static char a[1000000];
  memset(a, 'a', sizeof a);
  char h[65];
  hex_of(a, sizeof a, 4099, h);
  assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256__fips_vectors),
      cmocka_unit_test(test_sha256__million_a),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

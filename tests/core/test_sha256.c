/* tests/core/test_sha256.c - SHA-256 against the FIPS 180-2 example digests (also printed by
 * coreutils sha256sum for the same inputs), with the portable code and with the CPU's SHA
 * instructions where it has them, and the two against each other on random data. */
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

/* The FIPS vectors with mode 0 (portable) and 1 (the instructions, where there). */
static void fips_vectors(void) {
  char h[65];
  hex_of("abc", 3, 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hex_of("", 0, 1, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of(m, strlen(m), 7, h); /* fed in odd-sized pieces */
  assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void million_a(void) {
  static char a[1000000];
  memset(a, 'a', sizeof a);
  char h[65];
  hex_of(a, sizeof a, 4099, h);
  assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256__fips_vectors(void **state) {
  (void)state;
  for (int mode = 0; mode < 2; mode++) {
    print_message("mode %d: %s\n", mode, qb_sha256_hw(mode) ? "SHA instructions" : "portable");
    fips_vectors();
  }
}

static void test_sha256__million_a(void **state) {
  (void)state;
  for (int mode = 0; mode < 2; mode++) {
    qb_sha256_hw(mode);
    million_a();
  }
}

/* Random messages of every length up to 300 bytes and some long ones, fed in random pieces:
 * the instructions give the portable code's digests. */
static void test_sha256__hw_equals_portable(void **state) {
  (void)state;
  static unsigned char msg[70000];
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < sizeof msg; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    msg[i] = (unsigned char)x;
  }
  for (size_t len = 0; len < 300 + 40; len++) {
    size_t n = len < 300 ? len : 1000 + 1733 * (len - 300);
    size_t chunk = 1 + (size_t)(x % 97);
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    char a[65], b[65];
    qb_sha256_hw(0);
    hex_of((const char *)msg, n, chunk, a);
    qb_sha256_hw(1);
    hex_of((const char *)msg, n, n ? n : 1, b);
    assert_string_equal(a, b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256__fips_vectors),
      cmocka_unit_test(test_sha256__million_a),
      cmocka_unit_test(test_sha256__hw_equals_portable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

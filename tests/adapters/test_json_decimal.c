/* tests/adapters/test_json_decimal.c - qb_json_decimal (adapters/json_fast.c), the strtod-free
 * path for JSON reals, against glibc's strtod, the reference: whenever it accepts a string, its
 * double must be bit for bit strtod's. Checked on millions of seeded random decimal strings
 * (random digits, decimal points and exponents; random doubles written as "%.17g", "%.17e",
 * Python's shortest repr as pytest-benchmark writes it, "%.{p}g"), on exact halfway cases between
 * two doubles and their neighbours, and on edge cases of the grammar. It must also accept the
 * typical numbers of benchmark files (otherwise it would be correct but useless). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json.h"
#include "tests/testutil.h"

/* splitmix64: the seeded generator of every random case here. */
static uint64_t next_u64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static unsigned below(uint64_t *state, unsigned n) {
  return (unsigned)(next_u64(state) % n);
}

/* Check s against strtod: when qb_json_decimal accepts it, the same bits. Returns 1 when it
 * accepted. */
static int check(const char *s) {
  double fast = 0, ref;
  int took = qb_json_decimal(s, strlen(s), &fast);
  if (!took) return 0;
  char *end;
  ref = strtod(s, &end);
  if (*end) fail_msg("\"%s\": accepted, but strtod stops at \"%s\"", s, end);
  if (memcmp(&fast, &ref, sizeof ref))
    fail_msg("\"%s\": qb_json_decimal gives %.17g (%a), strtod %.17g (%a)", s, fast, fast, ref,
             ref);
  return 1;
}

/* A random finite double: random bits, or a random value of a benchmark's usual magnitudes. */
static double random_double(uint64_t *state) {
  if (below(state, 2)) {
    double d;
    do {
      uint64_t bits = next_u64(state);
      memcpy(&d, &bits, sizeof d);
    } while (!isfinite(d));
    return d;
  }
  double mant = (double)(next_u64(state) >> 11) / 9007199254740992.0; /* [0, 1) */
  return ldexp(1.0 + mant, (int)below(state, 100) - 60) * (below(state, 8) ? 1 : -1);
}

/* Python's repr (what pytest-benchmark's json.dump writes): the shortest "%.{p}g" that reads
 * back as d, with Python's layout of the exponent ("e-07" as printf writes it). */
static void shortest(double d, char *buf, size_t n) {
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, n, "%.*g", p, d);
    if (strtod(buf, NULL) == d) return;
  }
}

static void test_json_decimal__edge_cases(void **state) {
  (void)state;
  static const char *const ACCEPTED[] = {"0.0",
                                         "-0.0",
                                         "0e0",
                                         "1.0",
                                         "-1.5",
                                         "1e22",
                                         "1e27",
                                         "1e-27",
                                         "123456789012345678.9",
                                         "9007199254740992.0",
                                         "9007199254740991e0",
                                         "0.1",
                                         "0.2",
                                         "0.3",
                                         "1.7976931348623157e10",
                                         "3.0082483193934696e-07",
                                         "2.916539000011653e-07",
                                         "0.000000000001",
                                         "1E5",
                                         "1e+5",
                                         "00.5",
                                         "-0.000123e+3"};
  for (size_t i = 0; i < sizeof ACCEPTED / sizeof ACCEPTED[0]; i++)
    if (!check(ACCEPTED[i]) && qb_json_decimal_extended())
      fail_msg("\"%s\": declined", ACCEPTED[i]);
  /* exact halfway between two doubles: 2^53 + 1 (rounds to even, 2^53) is left to strtod */
  double v = 1;
  assert_int_equal(qb_json_decimal("9007199254740993", 16, &v), 0);
  assert_int_equal(qb_json_decimal("9007199254740993.0", 18, &v), 0);
  check("9007199254740995");
  assert_int_equal(qb_json_decimal("-0.0", 4, &v), 1);
  assert_true(v == 0 && signbit(v));
  /* declined: more than 19 significant digits, exponents out of reach, malformed text (the
   * caller's strtod then decides) */
  static const char *const DECLINED[] = {"12345678901234567890.0",
                                         "1e28",
                                         "1e-28",
                                         "1e400",
                                         "2.4703282292062328e-324",
                                         "",
                                         "-",
                                         ".5",
                                         "1.",
                                         "1e",
                                         "1e+",
                                         "1.5x",
                                         "0x10",
                                         "inf",
                                         "nan",
                                         "1.0e99999999999",
                                         "2.2250738585072014e-308",
                                         "1.00000000000000000000e0"};
  for (size_t i = 0; i < sizeof DECLINED / sizeof DECLINED[0]; i++)
    if (qb_json_decimal(DECLINED[i], strlen(DECLINED[i]), &v))
      fail_msg("\"%s\": accepted (%.17g)", DECLINED[i], v);
  /* the length is honoured: "1.25" of "1.25e3" */
  assert_int_equal(qb_json_decimal("1.25e3", 4, &v), 1);
  assert_true(v == 1.25);
}

static void test_json_decimal__random_digits(void **state) {
  (void)state;
  uint64_t rng = 20261207;
  char s[96];
  size_t accepted = 0, total = qbt_quick() ? 2000000 / 100 : 2000000;
  for (size_t i = 0; i < total; i++) {
    size_t n = 0;
    if (below(&rng, 4) == 0) s[n++] = '-';
    unsigned digits = 1 + below(&rng, 24), point = below(&rng, digits + 1);
    int zeros = below(&rng, 4) == 0;
    for (unsigned k = 0; k < digits; k++) {
      if (k == point && k > 0) s[n++] = '.';
      s[n++] = (char)('0' + (zeros && k < digits / 2 ? 0 : below(&rng, 10)));
    }
    if (point == digits && below(&rng, 2)) { /* a ".d" tail */
      s[n++] = '.';
      s[n++] = (char)('0' + below(&rng, 10));
    }
    if (below(&rng, 2))
      n += (size_t)snprintf(s + n, sizeof s - n, "%s%s%u", below(&rng, 2) ? "e" : "E",
                            below(&rng, 3) == 0 ? "+"
                            : below(&rng, 2)    ? "-"
                                                : "",
                            below(&rng, 45));
    s[n] = '\0';
    accepted += (size_t)check(s);
  }
  /* 17 digits need extended precision (without it, under valgrind, every value is still
   * checked against strtod where it is taken) */
  if (qb_json_decimal_extended() && accepted < total / 4)
    fail_msg("only %zu of %zu accepted", accepted, total);
}

static void test_json_decimal__random_doubles(void **state) {
  (void)state;
  uint64_t rng = 1125;
  char s[64];
  size_t accepted = 0, total = qbt_quick() ? 300000 / 100 : 300000;
  for (size_t i = 0; i < total; i++) {
    double d = random_double(&rng);
    snprintf(s, sizeof s, "%.17g", d);
    accepted += (size_t)check(s);
    snprintf(s, sizeof s, "%.17e", d);
    check(s);
    snprintf(s, sizeof s, "%.16e", d); /* a gbench-like layout */
    check(s);
    snprintf(s, sizeof s, "%.*g", 1 + (int)below(&rng, 19), d);
    check(s);
    shortest(d, s, sizeof s);
    check(s);
  }
  /* 17 digits need extended precision (without it, under valgrind, every value is still
   * checked against strtod where it is taken) */
  if (qb_json_decimal_extended() && accepted < total / 4)
    fail_msg("only %zu of %zu accepted", accepted, total);
}

/* What benchmark files hold: seconds from 1e-9 to 1e3 (pytest-benchmark's repr) and
 * nanoseconds (criterion, gbench): nearly all must take the fast path. */
static void test_json_decimal__typical(void **state) {
  (void)state;
  uint64_t rng = 42;
  char s[64];
  size_t accepted = 0, total = qbt_quick() ? 500000 / 100 : 500000;
  for (size_t i = 0; i < total; i++) {
    double mant = (double)(next_u64(&rng) >> 11) / 9007199254740992.0;
    double d = (1.0 + 9.0 * mant) * pow(10.0, (int)below(&rng, 22) - 10);
    if (i % 2)
      shortest(d, s, sizeof s);
    else
      snprintf(s, sizeof s, "%.17g", d);
    accepted += (size_t)check(s);
  }
  /* with extended precision nearly all; without it (valgrind, other platforms) the binary64
   * path takes those of at most 15-16 digits, about half */
  size_t want = qb_json_decimal_extended() ? total * 99 / 100 : total * 3 / 10;
  print_message("extended precision: %s; %zu of %zu taken without strtod\n",
                qb_json_decimal_extended() ? "yes" : "no", accepted, total);
  if (accepted < want) fail_msg("only %zu of %zu accepted", accepted, total);
}

/* Exact halfway cases between two doubles and their neighbours: m * 2^k (m a 54-bit odd number)
 * written as an integer, and m / 2^k = m * 5^k / 10^k written with a decimal point. */
static void test_json_decimal__halfway(void **state) {
  (void)state;
  uint64_t rng = 7;
  char s[64];
  for (size_t i = 0; i < (qbt_quick() ? 10000u : 1000000u); i++) {
    uint64_t m = (next_u64(&rng) >> 10) | (UINT64_C(1) << 53) | 1; /* 54 bits, odd */
    unsigned k = below(&rng, 10);
    unsigned __int128 v;
    int decimals = 0;
    if (below(&rng, 2)) {
      v = (unsigned __int128)m << k;
    } else {
      v = m;
      for (unsigned j = 0; j < k % 5; j++) v *= 5;
      decimals = (int)(k % 5);
    }
    long long delta = (long long)below(&rng, 5) - 2; /* the midpoint and its neighbours */
    v = (unsigned __int128)((__int128)v + delta);
    if (v >= (unsigned __int128)10000000000000000000ULL) continue; /* over 19 digits */
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    if (decimals && n > decimals)
      snprintf(s, sizeof s, "%.*s.%s", n - decimals, digits, digits + n - decimals);
    else
      snprintf(s, sizeof s, "%se%d", digits, -decimals);
    check(s);
    /* the same value with a shifted exponent: "Ne-3" as "N000e-6" is not different, but
     * "N.0e2"-style layouts go through the same code */
    snprintf(s, sizeof s, "%s.0e%d", digits, -decimals);
    check(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_decimal__edge_cases),
      cmocka_unit_test(test_json_decimal__random_digits),
      cmocka_unit_test(test_json_decimal__random_doubles),
      cmocka_unit_test(test_json_decimal__typical),
      cmocka_unit_test(test_json_decimal__halfway),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

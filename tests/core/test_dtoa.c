/* tests/core/test_dtoa.c - qb_dtoa_g17 against glibc's snprintf "%.17g": millions of doubles
 * from random bit patterns (subnormals, NaN, huge, tiny) and from the ranges benchmark results
 * live in, powers of ten and their neighbours, and the rounding carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtoa.h"

#define N_RANDOM 2000000

/* The loops' sizes: a hundredth with QB_TEST_QUICK (the valgrind stage, scripts/valgrind.sh). */
static long scaled(long n) {
  return getenv("QB_TEST_QUICK") ? n / 100 : n;
}

/* splitmix64: a seeded, reproducible stream of 64-bit values. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static double uniform(uint64_t *s) {
  return (double)(splitmix(s) >> 11) * 0x1p-53;
}

/* Fail, naming v, unless qb_dtoa_g17(v) is what snprintf writes, length included. */
static void check(double v) {
  char got[QB_DTOA_G17_SIZE], want[QB_DTOA_G17_SIZE];
  memset(got, 'x', sizeof got);
  size_t n = qb_dtoa_g17(v, got);
  int wn = snprintf(want, sizeof want, "%.17g", v);
  if (strcmp(got, want) != 0 || n != (size_t)wn) {
    print_error("qb_dtoa_g17(%a): \"%s\" (%zu), snprintf: \"%s\" (%d)\n", v, got, n, want, wn);
    fail();
  }
}

/* check() v and -v. */
static void check2(double v) {
  check(v);
  check(-v);
}

static void test_dtoa__random_bits(void **state) {
  (void)state;
  uint64_t s = 20240611;
  for (long i = 0; i < scaled(N_RANDOM); i++) {
    uint64_t bits = splitmix(&s);
    if (i % 4 == 1) bits &= ~(0x7FFULL << 52); /* subnormals */
    if (i % 4 == 2)
      bits = (bits & ~(0x7FFULL << 52)) | /* exponents near 1 (1e-40..1e60) */
             ((uint64_t)(880 + splitmix(&s) % 330) << 52);
    double v;
    memcpy(&v, &bits, sizeof v);
    check(v);
  }
}

static void test_dtoa__benchmark_ranges(void **state) {
  (void)state;
  uint64_t s = 7;
  for (long i = 0; i < scaled(N_RANDOM / 8); i++) {
    double u = uniform(&s);
    check2(pow(10, -9 + 21 * u));       /* times, sizes, rates: 1e-9..1e12 */
    check(pow(10, -300 * uniform(&s))); /* p-values: 1e-300..1 */
    check2((double)(int64_t)(splitmix(&s) >> (splitmix(&s) % 64))); /* integers */
    check2((double)(splitmix(&s) % 2000001) / 2 - 500000);          /* halves */
    check2((double)(splitmix(&s) % 1000000) / 1000);                /* 0.001 steps: 0.1, 2.675 */
    check2(pow(10, 16 + 2 * u));                                    /* 1e16..1e18 */
  }
}

static void test_dtoa__powers_of_ten(void **state) {
  (void)state;
  char t[64];
  for (int k = -325; k <= 309; k++) {
    for (int d = 1; d <= 9; d++) {
      snprintf(t, sizeof t, "%de%d", d, k);
      double v = strtod(t, NULL);
      double up = v, down = v;
      for (int i = 0; i < (getenv("QB_TEST_QUICK") ? 3 : 40); i++) {
        check2(up);
        check2(down);
        up = nextafter(up, INFINITY);
        down = nextafter(down, 0);
      }
      snprintf(t, sizeof t, "%d.5e%d", d, k);
      check2(strtod(t, NULL));
    }
    /* the largest doubles below 10^k: 17 nines round up to 10^k */
    snprintf(t, sizeof t, "9.99999999999999999e%d", k);
    double v = strtod(t, NULL);
    for (int i = 0; i < 8; i++) {
      check2(v);
      v = nextafter(v, 0);
    }
  }
  for (int i = -1074; i <= 1023; i++) {
    double p = ldexp(1, i);
    check2(p);
    check2(nextafter(p, 0));
    check2(nextafter(p, INFINITY));
  }
}

static void test_dtoa__edge_cases(void **state) {
  (void)state;
  const struct {
    double v;
    const char *want;
  } cases[] = {
      {0.0, "0"},
      {-0.0, "-0"},
      {1.0, "1"},
      {-1.0, "-1"},
      {0.1, "0.10000000000000001"},
      {0.5, "0.5"},
      {2.5, "2.5"},
      {1.0 / 3, "0.33333333333333331"},
      {100.0, "100"},
      {0.0001, "0.0001"},
      {0.00001, "1.0000000000000001e-05"},
      {1e16, "10000000000000000"},
      {1e17, "1e+17"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {99999999999999984.0, "99999999999999984"}, /* the double below 1e17 */
      {99999999999999999.0, "1e+17"},
      {1e-14, "1e-14"}, /* below 10^-14: the 17 digits round up to 10^17 (carry) */
      {1e23, "9.9999999999999992e+22"},
      {2.675, "2.6749999999999998"},
      {0.99999999999999989, "0.99999999999999989"},
      {9007199254740993.0, "9007199254740992"},
      {1e20, "1e+20"},
      {1e100, "1e+100"},
      {5e-324, "4.9406564584124654e-324"},
      {DBL_MIN, "2.2250738585072014e-308"},
      {DBL_MAX, "1.7976931348623157e+308"},
      {-DBL_MAX, "-1.7976931348623157e+308"},
      {1e-300, "1e-300"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char got[QB_DTOA_G17_SIZE];
    size_t n = qb_dtoa_g17(cases[i].v, got);
    check(cases[i].v);
    assert_string_equal(got, cases[i].want);
    assert_int_equal(n, strlen(got));
  }
  check(NAN);
  check(-NAN);
  check(INFINITY);
  check(-INFINITY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtoa__random_bits),
      cmocka_unit_test(test_dtoa__benchmark_ranges),
      cmocka_unit_test(test_dtoa__powers_of_ten),
      cmocka_unit_test(test_dtoa__edge_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

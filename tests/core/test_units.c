/* tests/core/test_units.c - unit parsing (factors to base units) and human formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "core/err.h"
#include "core/units.h"
#include "tests/testutil.h"

static void test_units__parse_factors(void **state) {
  (void)state;
  const struct {
    const char *name;
    qb_unit_kind kind;
    double factor;
    const char *base;
  } cases[] = {
      {"ps", QB_UNIT_TIME, 1e-3, "ns"},
      {"ns", QB_UNIT_TIME, 1, "ns"},
      {"\xc2\xb5s", QB_UNIT_TIME, 1e3, "ns"},
      {"us", QB_UNIT_TIME, 1e3, "ns"},
      {"ms", QB_UNIT_TIME, 1e6, "ns"},
      {"s", QB_UNIT_TIME, 1e9, "ns"},
      {"KiB", QB_UNIT_BYTES, 1024, "B"},
      {"MB", QB_UNIT_BYTES, 1e6, "B"},
      {"MiB/s", QB_UNIT_BYTE_RATE, 1048576, "B/s"},
      {"GiB/s", QB_UNIT_BYTE_RATE, 1073741824, "B/s"},
      {"Melem/s", QB_UNIT_RATE, 1e6, "1/s"},
      {"ops/s", QB_UNIT_RATE, 1, "1/s"},
      {"count", QB_UNIT_COUNT, 1, "1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qb_unit u;
    assert_int_equal(qb_unit_parse(cases[i].name, &u), QB_OK);
    assert_int_equal(u.kind, cases[i].kind);
    assert_close(u.factor, cases[i].factor, 0);
    assert_string_equal(u.base, cases[i].base);
  }
  qb_unit u = {QB_UNIT_COUNT, 42, "x"};
  assert_int_equal(qb_unit_parse("furlongs", &u), QB_EFORMAT);
  assert_int_equal(qb_unit_parse("NS", &u), QB_EFORMAT);
  assert_int_equal(qb_unit_parse(NULL, &u), QB_EFORMAT);
  assert_close(u.factor, 42, 0);
}

static void test_units__format_human(void **state) {
  (void)state;
  char b[48];
  assert_string_equal(qb_unit_format(15735.537, "ns", b, sizeof b), "15.74 \xc2\xb5s");
  assert_string_equal(qb_unit_format(382.55, "ns", b, sizeof b), "382.6 ns");
  assert_string_equal(qb_unit_format(1.234e6, "ns", b, sizeof b), "1.234 ms");
  assert_string_equal(qb_unit_format(2.0034e10, "ns", b, sizeof b), "20.03 s");
  assert_string_equal(qb_unit_format(0.5, "ns", b, sizeof b), "500.0 ps");
  assert_string_equal(qb_unit_format(871.03 * 1048576, "B/s", b, sizeof b), "871.0 MiB/s");
  assert_string_equal(qb_unit_format(3246313.99, "1/s", b, sizeof b), "3.246 M/s");
  assert_string_equal(qb_unit_format(2048, "B", b, sizeof b), "2.000 KiB");
  assert_string_equal(qb_unit_format(NAN, "ns", b, sizeof b), "-");
  assert_string_equal(qb_unit_format(12, "1", b, sizeof b), "12");
  /* no unit jumps at a boundary: 999.96 ns rounds into the next unit, not "1000.0 ns" */
  assert_string_equal(qb_unit_format(999.96, "ns", b, sizeof b), "1.000 \xc2\xb5s");
}

static void test_units__metric_direction(void **state) {
  (void)state;
  assert_int_equal(qb_metric_higher_is_better("throughput"), 1);
  assert_int_equal(qb_metric_higher_is_better("latency"), 0);
  assert_int_equal(qb_metric_higher_is_better("memory"), 0);
}

/* p-values: never "0" or "0.0000" for one that underflowed to 0.0 (a test of samples far apart
 * in units of their noise), scientific below 1e-4, four decimals above */
static void test_units__pvalue_format(void **state) {
  (void)state;
  char b[24];
  assert_string_equal(qb_pvalue_format(0.0, b, sizeof b), "<1e-300");
  assert_string_equal(qb_pvalue_format(1.5e-51, b, sizeof b), "1.5e-51");
  assert_string_equal(qb_pvalue_format(9.99e-5, b, sizeof b), "1.0e-04");
  assert_string_equal(qb_pvalue_format(0.00010, b, sizeof b), "0.0001");
  assert_string_equal(qb_pvalue_format(0.21764, b, sizeof b), "0.2176");
  assert_string_equal(qb_pvalue_format(1.0, b, sizeof b), "1.0000");
  assert_string_equal(qb_pvalue_format(NAN, b, sizeof b), "-");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_units__parse_factors),
      cmocka_unit_test(test_units__format_human),
      cmocka_unit_test(test_units__metric_direction),
      cmocka_unit_test(test_units__pvalue_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

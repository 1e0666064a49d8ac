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
      {"instr", QB_UNIT_COUNT, 1, "1"},
      {"cycles", QB_UNIT_COUNT, 1, "1"},
      {"M", QB_UNIT_COUNT, 1e6, "1"}, /* "1.235 M" as printed parses back */
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
  /* counts (instructions, cycles: base "1"): bare below 10000, scaled from there */
  assert_string_equal(qb_unit_format(9999, "1", b, sizeof b), "9999");
  assert_string_equal(qb_unit_format(123456, "1", b, sizeof b), "123.5 K");
  assert_string_equal(qb_unit_format(1234567, "1", b, sizeof b), "1.235 M");
  assert_string_equal(qb_unit_format(-2.5e9, "1", b, sizeof b), "-2.500 G");
  assert_string_equal(qb_unit_format(999999.9, "1", b, sizeof b), "1.000 M");
  assert_string_equal(qb_unit_format(INFINITY, "1", b, sizeof b), "inf");
  /* no unit jumps at a boundary: 999.96 ns rounds into the next unit, not "1000.0 ns" */
  assert_string_equal(qb_unit_format(999.96, "ns", b, sizeof b), "1.000 \xc2\xb5s");
}

static void test_units__metric_direction(void **state) {
  (void)state;
  assert_int_equal(qb_metric_higher_is_better("throughput"), 1);
  assert_int_equal(qb_metric_higher_is_better("latency"), 0);
  assert_int_equal(qb_metric_higher_is_better("memory"), 0);
  assert_int_equal(qb_metric_higher_is_better("instructions"), 0);
  assert_int_equal(qb_metric_higher_is_better("cycles"), 0);
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

/* Rates the way the tools that measured them print them. The values are real: qbdb_runner's
 * runner/example (`./example --samples 10 --out run.jsonl`, this machine) printed
 * "sum/n=1000 ... 2.867 G items/s" and "mem/copy/bytes=4096 ... 104.0 GiB/s" for the medians
 * below (qbdb compare --format json: base.median); Google Benchmark 1.7.1 (libbenchmark-dev,
 * SetItemsProcessed / SetBytesProcessed) printed "items_per_second=2.26395G/s" (decimal) and
 * "bytes_per_second=34.68G/s" (its G is 2^30 there) for the values of its JSON output. */
static void test_units__rates_as_the_tools_print_them(void **state) {
  (void)state;
  char b[48];
  assert_string_equal(qb_unit_format(2866517225.515772, "items/s", b, sizeof b), "2.867 G items/s");
  assert_string_equal(qb_unit_format(111677450114.24773, "B/s", b, sizeof b), "104.0 GiB/s");
  assert_string_equal(qb_unit_format(2263951151.027317, "items/s", b, sizeof b), "2.264 G items/s");
  assert_string_equal(qb_unit_format(37237378149.91289, "B/s", b, sizeof b), "34.68 GiB/s");
  assert_string_equal(qb_unit_format(850, "ops/s", b, sizeof b), "850.0 ops/s");
  assert_string_equal(qb_unit_format(1.5e6, "elem/s", b, sizeof b), "1.500 M elem/s");
  assert_string_equal(qb_unit_format(999.96e3, "items/s", b, sizeof b), "1.000 M items/s");
  assert_string_equal(qb_unit_format(2866517225.515772, "1/s", b, sizeof b), "2.867 G/s");
  /* and what they print parses back to the base unit */
  const struct {
    const char *name;
    double factor;
  } back[] = {{"G items/s", 1e9}, {"M items/s", 1e6}, {"Mitems/s", 1e6}, {"K ops/s", 1e3},
              {"M elem/s", 1e6},  {"G/s", 1e9},       {"M/s", 1e6},      {"items/s", 1}};
  for (size_t i = 0; i < sizeof back / sizeof back[0]; i++) {
    qb_unit u;
    assert_int_equal(qb_unit_parse(back[i].name, &u), QB_OK);
    assert_int_equal(u.kind, QB_UNIT_RATE);
    assert_string_equal(u.base, "1/s");
    assert_true(u.factor == back[i].factor);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_units__parse_factors),
      cmocka_unit_test(test_units__format_human),
      cmocka_unit_test(test_units__metric_direction),
      cmocka_unit_test(test_units__pvalue_format),
      cmocka_unit_test(test_units__rates_as_the_tools_print_them),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

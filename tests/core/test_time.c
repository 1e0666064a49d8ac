/* tests/core/test_time.c - ISO 8601 parsing/formatting. Expected epoch values were computed
 * with CPython 3.11 datetime.fromisoformat(...).timestamp() (naive times taken as UTC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/time.h"

static void test_time__parse_reference_values(void **state) {
  (void)state;
  const struct {
    const char *s;
    int64_t us;
    const char *utc;
  } cases[] = {
      {"2026-11-25T16:37:07.014106", 1795624627014106LL, "2026-11-25T16:37:07.014106Z"},
      {"2015-08-15T00:01:46.250433+00:00", 1439596906250433LL, "2015-08-15T00:01:46.250433Z"},
      {"2000-02-29T23:59:59-05:30", 951888599000000LL, "2000-03-01T05:29:59Z"},
      {"1969-12-31T23:59:59.5Z", -500000LL, "1969-12-31T23:59:59.500000Z"},
      {"2024-03-01", 1709251200000000LL, "2024-03-01T00:00:00Z"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t us = 0;
    char buf[40];
    assert_int_equal(qb_time_parse(cases[i].s, &us), QB_OK);
    assert_int_equal(us, cases[i].us);
    assert_string_equal(qb_time_format(us, buf, sizeof buf), cases[i].utc);
    int64_t back = 0;
    assert_int_equal(qb_time_parse(buf, &back), QB_OK);
    assert_int_equal(back, us);
  }
}

static void test_time__rejects_malformed(void **state) {
  (void)state;
  const char *bad[] = {"",
                       "2026-13-01",
                       "2026-02-30",
                       "2026-1-01",
                       "2026-01-01T25:00:00",
                       "2026-01-01T10:00:00+",
                       "yesterday",
                       "2026-01-01T10:00:00Zjunk",
                       "2026-01-01T10:00:00."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t us = 7;
    assert_int_equal(qb_time_parse(bad[i], &us), QB_EFORMAT);
    assert_int_equal(us, 7);
  }
  char buf[8] = "x";
  assert_string_equal(qb_time_format(QB_TIME_NONE, buf, sizeof buf), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_time__parse_reference_values),
      cmocka_unit_test(test_time__rejects_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

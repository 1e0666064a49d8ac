/* tests/core/test_table.c - text tables padded by display width (CJK, emoji, combining marks
 * line up) and narrowed to a width with a middle ellipsis in the text columns only.
 *
 * The expected lines were padded by Python with the widths of
 * `/usr/bin/python3 tests/data/text_width/ref_widths.py` (unicodedata 14.0.0): each cell is
 * followed by (column width - its display width) spaces, two spaces between columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/table.h"
#include "core/utf8width.h"

static const char *const HEAD[] = {"benchmark", "metric", "median"};
static const char *const ROWS[][3] = {
    {"ascii/n=100", "latency", "128.7 ns"},
    {"\xe6\x8e\x92\xe5\xba\x8f/n=100", "latency", "15.74 \xc2\xb5s"}, /* 排序/n=100 */
    {"sort \xf0\x9f\x9a\x80", "throughput", "2.867 G/s"},             /* sort 🚀 */
    {"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac", "cpu", "1.000 s"},
    {"cafe\xcc\x81", "memory", "1.523 MiB"},
    {"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family", "latency",
     NULL},
};

/* A table of HEAD and ROWS (median right-aligned), limited to max_width columns. */
static char *render(size_t max_width) {
  qb_table t;
  qb_err err = QB_ERR_INIT;
  qb_buf b;
  assert_int_equal(qb_table_init(&t, 3, HEAD, 1u << 2, &err), QB_OK);
  t.max_width = max_width;
  for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
    assert_int_equal(qb_table_add(&t, ROWS[i], &err), QB_OK);
  qb_buf_init(&b, 1 << 20);
  assert_int_equal(qb_table_render(&t, &b, &err), QB_OK);
  qb_table_dispose(&t);
  return qb_buf_take(&b, NULL);
}

static void test_table__pads_by_display_width(void **state) {
  (void)state;
  char *s = render(0);
  assert_string_equal(
      s, "benchmark      metric         median\n"
         "ascii/n=100    latency      128.7 ns\n"
         "\xe6\x8e\x92\xe5\xba\x8f/n=100     latency      15.74 \xc2\xb5s\n"
         "sort \xf0\x9f\x9a\x80        throughput  2.867 G/s\n"
         "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac    cpu           1.000 s\n"
         "cafe\xcc\x81           memory      1.523 MiB\n"
         "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family  latency"
         "             -\n");
  free(s);
}

/* Every line of s: at most max columns wide, and the median column ends at the same column. */
static void check_fits(const char *s, size_t max, size_t *line_width) {
  size_t first = 0;
  for (const char *line = s; *line;) {
    const char *nl = strchr(line, '\n');
    assert_non_null(nl);
    size_t w = qb_utf8_width_n(line, (size_t)(nl - line));
    if (w > max) fail_msg("line '%.*s' is %zu columns, over %zu", (int)(nl - line), line, w, max);
    if (!first) first = w;
    assert_int_equal(w, first); /* right-aligned last column: every line as wide */
    line = nl + 1;
  }
  *line_width = first;
}

static void test_table__narrows_the_text_column(void **state) {
  (void)state;
  size_t w;
  /* 36 columns wide in full. Asked for 30, the benchmark column (13) narrows to its floor of
   * 12 (QB_TABLE_MIN_TEXT) and the metric column (10) is under it: 35 is as narrow as it gets */
  char *s = render(30);
  check_fits(s, 35, &w);
  assert_int_equal(w, 35);
  assert_non_null(strstr(s, "benchmark     metric"));
  /* the family emoji keeps man and woman (the ZWJ before the cut dropped) and " family" */
  assert_non_null(strstr(s, "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\xa6"
                            " family  latency"));
  assert_non_null(strstr(s, "15.74 \xc2\xb5s\n")); /* numbers whole */
  assert_non_null(strstr(s, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac "));
  free(s);
  /* room enough: nothing changes */
  s = render(36);
  check_fits(s, 36, &w);
  assert_int_equal(w, 36);
  assert_null(strstr(s, "\xe2\x80\xa6"));
  free(s);
}

static void test_table__no_trailing_spaces(void **state) {
  (void)state;
  qb_table t;
  qb_err err = QB_ERR_INIT;
  qb_buf b;
  const char *const head[] = {"benchmark", "change", "verdict"};
  const char *const r1[] = {"x", "+1.00%", "regression"};
  const char *const r2[] = {"geomean", "+0.50%", ""};
  assert_int_equal(qb_table_init(&t, 3, head, 1u << 1, &err), QB_OK);
  t.max_width = 0;
  assert_int_equal(qb_table_add(&t, r1, &err), QB_OK);
  assert_int_equal(qb_table_add(&t, r2, &err), QB_OK);
  qb_buf_init(&b, 1 << 20);
  assert_int_equal(qb_table_render(&t, &b, &err), QB_OK);
  assert_string_equal(b.data, "benchmark  change  verdict\n"
                              "x          +1.00%  regression\n"
                              "geomean    +0.50%\n");
  qb_buf_dispose(&b);
  qb_table_dispose(&t);
}

static void test_table__default_width(void **state) {
  (void)state;
  qb_table t;
  qb_err err = QB_ERR_INIT;
  qb_table_set_default_width(60);
  assert_int_equal(qb_table_init(&t, 3, HEAD, 0, &err), QB_OK);
  assert_int_equal(t.max_width, 60);
  qb_table_dispose(&t);
  qb_table_set_default_width(0);
  assert_int_equal(qb_table_init(&t, 3, HEAD, 0, &err), QB_OK);
  assert_int_equal(t.max_width, 0);
  qb_table_dispose(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table__pads_by_display_width),
      cmocka_unit_test(test_table__narrows_the_text_column),
      cmocka_unit_test(test_table__no_trailing_spaces),
      cmocka_unit_test(test_table__default_width),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

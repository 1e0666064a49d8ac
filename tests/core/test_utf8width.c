/* tests/core/test_utf8width.c - display width of UTF-8 text (CJK, Hangul, fullwidth, emoji,
 * combining marks, ZWJ, variation selectors, invalid bytes) and middle-ellipsis shortening.
 *
 * Expected widths are Python's: `/usr/bin/python3 tests/data/text_width/ref_widths.py` (Python
 * 3.11.2, unicodedata 14.0.0) prints each test string's width under the rule of
 * core/utf8width.h, from unicodedata.east_asian_width and unicodedata.category. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/utf8width.h"

static void test_utf8width__python_reference(void **state) {
  (void)state;
  /* the output of ref_widths.py, string by string */
  const struct {
    const char *s;
    size_t width;
  } cases[] = {
      {"\xe6\x8e\x92\xe5\xba\x8f/n=100", 10},                                /* 排序/n=100 */
      {"sort \xf0\x9f\x9a\x80", 7},                                          /* sort 🚀 */
      {"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac", 11}, /* 한국어/정렬 */
      {"\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c", 8},               /* ｆｕｌｌ */
      {"cafe\xcc\x81", 4},                                                   /* e + U+0301 */
      {"caf\xc3\xa9", 4},                                                    /* é precomposed */
      {"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family", 13},
      {"\xe2\x9d\xa4\xef\xb8\x8f love", 6},        /* U+2764 (N) + VS16 */
      {"\xc2\xb5s", 2},                            /* µs */
      {"\xef\xbd\xb1\xef\xbd\xb2\xef\xbd\xb3", 3}, /* halfwidth katakana ｱｲｳ */
      {"\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8", 2}, /* conjoining jamo: one syllable */
      {"\xf0\x9f\xa6\x80", 2},                     /* 🦀 U+1F980 */
      {"\xf0\x9f\xab\xa0", 2},                     /* 🫠 U+1FAE0 (Unicode 14) */
      {"\xe2\x98\x95", 2},                         /* ☕ U+2615 */
      {"\xe2\x8c\x9a", 2},                         /* ⌚ U+231A */
      {"\xe2\x80\xa6", 1},                         /* … */
      {"\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", 6}, /* テスト */
      {"e\xef\xb8\x8e", 1},                        /* VS15 */
      {"\xf0\xa0\x80\x80", 2},                     /* U+20000, plane 2 */
      {"a\xe2\x80\x8b"
       "b",
       2}, /* zero width space */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t w = qb_utf8_width(cases[i].s);
    if (w != cases[i].width) fail_msg("case %zu: width %zu, want %zu", i, w, cases[i].width);
  }
}

static void test_utf8width__code_points(void **state) {
  (void)state;
  assert_int_equal(qb_utf8_cp_width('a'), 1);
  assert_int_equal(qb_utf8_cp_width(0x4E00), 2);  /* first CJK ideograph */
  assert_int_equal(qb_utf8_cp_width(0xAC00), 2);  /* first Hangul syllable */
  assert_int_equal(qb_utf8_cp_width(0xFF01), 2);  /* fullwidth ! */
  assert_int_equal(qb_utf8_cp_width(0xFF61), 1);  /* halfwidth ideographic full stop */
  assert_int_equal(qb_utf8_cp_width(0x1F680), 2); /* rocket */
  assert_int_equal(qb_utf8_cp_width(0x1F321), 1); /* thermometer: text presentation, N */
  assert_int_equal(qb_utf8_cp_width(0x200D), 0);  /* ZWJ */
  assert_int_equal(qb_utf8_cp_width(0xFE0F), 0);
  assert_int_equal(qb_utf8_cp_width(0xFE0E), 0);
  assert_int_equal(qb_utf8_cp_width(0x0301), 0);  /* combining acute */
  assert_int_equal(qb_utf8_cp_width(0x20DD), 0);  /* combining enclosing circle (Me) */
  assert_int_equal(qb_utf8_cp_width(0xE0100), 0); /* variation selector 17 */
  assert_int_equal(qb_utf8_cp_width(0x00AD), 1);  /* soft hyphen shows */
  assert_int_equal(qb_utf8_cp_width(0x2FFFD), 2);
  assert_int_equal(qb_utf8_cp_width(0x3FFFD), 2);
  assert_int_equal(qb_utf8_cp_width(0x10FFFF), 1);
}

static void test_utf8width__invalid_bytes_are_one_column_each(void **state) {
  (void)state;
  uint32_t cp;
  assert_int_equal(qb_utf8_width("\xff\xfe abc"), 6);
  assert_int_equal(qb_utf8_width("\xe6\x8e"), 2);         /* 排 cut short */
  assert_int_equal(qb_utf8_width("\xe6\x8e/n"), 4);       /* ... and followed by text */
  assert_int_equal(qb_utf8_width("\xc0\xaf"), 2);         /* overlong '/' */
  assert_int_equal(qb_utf8_width("\xe0\x80\xaf"), 3);     /* overlong, 3 bytes */
  assert_int_equal(qb_utf8_width("\xed\xa0\x80"), 3);     /* surrogate U+D800 */
  assert_int_equal(qb_utf8_width("\xf4\x90\x80\x80"), 4); /* U+110000 */
  assert_int_equal(qb_utf8_width("\x80\xbf"), 2);         /* lone continuations */
  assert_int_equal(qb_utf8_width("\xe6\x8e\x92\x80"), 3); /* 排 then a stray byte */
  assert_int_equal(qb_utf8_decode("\xe6\x8e\x92", 3, &cp), 3);
  assert_int_equal(cp, 0x6392);
  assert_int_equal(qb_utf8_decode("\xe6\x8e\x92", 2, &cp), 1); /* the bytes available */
  assert_int_equal(cp, QB_UTF8_INVALID);
  assert_int_equal(qb_utf8_decode("\xf0\x9f\x9a\x80", 4, &cp), 4);
  assert_int_equal(cp, 0x1F680);
  assert_int_equal(qb_utf8_width(""), 0);
}

/* qb_utf8_ellipsize(s, cols) into a fresh buffer, checked against want. */
static void check_ellipsize(const char *s, size_t cols, const char *want, size_t want_w) {
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  qb_buf_init(&b, 1 << 16);
  assert_int_equal(qb_utf8_ellipsize(s, cols, &b, &err), QB_OK);
  assert_string_equal(b.data ? b.data : "", want);
  assert_int_equal(qb_utf8_width(b.data ? b.data : ""), want_w);
  qb_buf_dispose(&b);
}

static void test_utf8width__middle_ellipsis(void **state) {
  (void)state;
  /* the parameter after the last '/' is kept whole */
  check_ellipsize("a_very_long_benchmark_name_that_does_not_fit/n=1000000", 20,
                  "a_very_lo\xe2\x80\xa6/n=1000000", 20);
  /* no room for the whole parameter and 3 columns of the start: the end gets half the room
   * after the ellipsis (5 of 11), the start the rest */
  check_ellipsize("a_very_long_benchmark_name_that_does_not_fit/n=1000000", 12,
                  "a_very\xe2\x80\xa6"
                  "00000",
                  12);
  /* it fits: unchanged */
  check_ellipsize("sort \xf0\x9f\x9a\x80", 7, "sort \xf0\x9f\x9a\x80", 7);
  check_ellipsize("sort \xf0\x9f\x9a\x80", 5, "so\xe2\x80\xa6\xf0\x9f\x9a\x80", 5);
  /* a wide character that does not fit leaves the result a column short */
  check_ellipsize("\xe6\x8e\x92\xe5\xba\x8f/n=100", 7,
                  "\xe6\x8e\x92\xe2\x80\xa6"
                  "100",
                  6);
  /* combining marks stay with their letter at both cuts */
  check_ellipsize("e\xcc\x81"
                  "e\xcc\x81"
                  "e\xcc\x81"
                  "e\xcc\x81"
                  "e\xcc\x81"
                  "e\xcc\x81",
                  4,
                  "e\xcc\x81"
                  "e\xcc\x81\xe2\x80\xa6"
                  "e\xcc\x81",
                  4);
  /* a cut never splits a UTF-8 sequence, also of a Hangul name */
  check_ellipsize("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac", 8,
                  "\xed\x95\x9c\xea\xb5\xad\xe2\x80\xa6\xeb\xa0\xac", 7);
  check_ellipsize("abcdef", 1, "\xe2\x80\xa6", 1);
  check_ellipsize("abcdef", 0, "", 0);
}

static void test_utf8width__pad(void **state) {
  (void)state;
  assert_int_equal(qb_utf8_pad("\xe6\x8e\x92\xe5\xba\x8f/n=100", 12), 2);
  assert_int_equal(qb_utf8_pad("15.74 \xc2\xb5s", 12), 4); /* "%12s" would give 3 */
  assert_int_equal(qb_utf8_pad("too wide for it", 4), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8width__python_reference),
      cmocka_unit_test(test_utf8width__code_points),
      cmocka_unit_test(test_utf8width__invalid_bytes_are_one_column_each),
      cmocka_unit_test(test_utf8width__middle_ellipsis),
      cmocka_unit_test(test_utf8width__pad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

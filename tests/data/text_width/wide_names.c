/* tests/data/text_width/wide_names.c - the qbdb_runner program behind run1.jsonl and run2.jsonl:
 * benchmarks whose names are CJK, Hangul, emoji (with ZWJ and variation selectors), combining
 * accents and fullwidth forms, and one long ASCII name, for the display-width tests
 * (tests/core/test_utf8width.c, tests/cli/text_width.sh). Remade with:
 *   cc -std=c99 -O2 -I runner -o /tmp/wide_names tests/data/text_width/wide_names.c \
 *     BUILD/runner/libqbdb_runner.a -lm
 *   /tmp/wide_names --samples 5 --time-budget 0.05 --commit aaaa1111 --out run1.jsonl
 *   /tmp/wide_names --samples 5 --time-budget 0.05 --commit bbbb2222 --out run2.jsonl */
#include <stdint.h>

#include <qbdb_runner.h>

/* 64 steps of xorshift64 per iteration: the work does not matter here, the names do. */
static void spin(qbr_state *state) {
  uint64_t x = 88172645463325252ULL;
  QBR_LOOP(state) {
    for (int i = 0; i < 64; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    qbr_do_not_optimize(&x);
  }
}

int main(int argc, char **argv) {
  static qbr_bench b[] = {
      {.name = "ascii", .fn = spin, .params = "n=100"},
      {.name = "\xe6\x8e\x92\xe5\xba\x8f", .fn = spin, .params = "n=100"}, /* 排序 */
      {.name = "sort \xf0\x9f\x9a\x80", .fn = spin},                       /* sort 🚀 */
      {.name = "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4/\xec\xa0\x95\xeb\xa0\xac",
       .fn = spin}, /* 한국어/정렬 */
      {.name = "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c", .fn = spin}, /* ｆｕｌｌ */
      {.name = "cafe\xcc\x81", .fn = spin},                                     /* cafe + U+0301 */
      {.name = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family",
       .fn = spin},                                          /* 👨‍👩‍👧 family */
      {.name = "\xe2\x9d\xa4\xef\xb8\x8f love", .fn = spin}, /* ❤️ (U+2764 U+FE0F) love */
      {.name = "a_very_long_benchmark_name_that_does_not_fit", .fn = spin, .params = "n=1000000"},
  };
  qbr_err err;
  for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
    if (qbr_register(NULL, &b[i], &err)) return 2;
  return qbr_main(argc, argv);
}

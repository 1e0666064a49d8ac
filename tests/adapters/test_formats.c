/* tests/adapters/test_formats.c - the format table (adapters/adapter.h, qb_formats): one row per
 * format in qb_format order, names that round-trip, the one "expected ..." message that
 * `qbdb ingest`, `qbdb upload` and POST /runs give, and a row of docs/formats/README.md for
 * every format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "adapters/adapter.h"
#include "tests/testutil.h"

static void test_formats__rows_in_enum_order_and_names_round_trip(void **state) {
  (void)state;
  assert_int_equal(qb_n_formats, QB_FMT_GO + 1);
  for (size_t i = 0; i < qb_n_formats; i++) {
    const qb_format_info *f = &qb_formats[i];
    assert_int_equal(f->id, (qb_format)i);
    qb_format back = QB_FMT_AUTO;
    assert_int_equal(qb_format_parse(f->name, &back), QB_OK);
    assert_int_equal(back, f->id);
    assert_string_equal(qb_format_name(f->id), f->name);
    /* every file format has a parser; AUTO and the directory format do not */
    if (f->id == QB_FMT_AUTO || f->id == QB_FMT_CRITERION)
      assert_null(f->parse);
    else
      assert_non_null(f->parse);
  }
  assert_string_equal(qb_format_name((qb_format)99), "unknown");
}

static void test_formats__one_message_for_a_bad_name(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  qb_format f = QB_FMT_AUTO;
  assert_int_equal(qb_format_parse_arg("ingest: --format", "json", 0, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "ingest: --format 'json': expected auto, pytest, criterion, "
                               "criterion-text, native, google-benchmark, hyperfine or go");
  assert_int_equal(qb_format_parse_arg("format", "json", 1, &f, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "format 'json': expected auto, pytest, criterion-text, native, "
                               "google-benchmark, hyperfine or go");
  assert_int_equal(qb_format_parse_arg("format", "hyperfine", 1, &f, &err), QB_OK);
  assert_int_equal(f, QB_FMT_HYPERFINE);
}

/* docs/formats/README.md has a table row naming each format's `--format` value */
static void test_formats__each_format_is_documented(void **state) {
  (void)state;
  const char *path = QB_TEST_DATA "/../../docs/formats/README.md";
  FILE *fp = fopen(path, "r");
  if (!fp) fail_msg("%s: cannot open", path);
  static char doc[1 << 16];
  size_t n = fread(doc, 1, sizeof doc - 1, fp);
  fclose(fp);
  doc[n] = '\0';
  for (size_t i = 0; i < qb_n_formats; i++) {
    if (qb_formats[i].id == QB_FMT_AUTO) continue;
    char cell[64];
    snprintf(cell, sizeof cell, "| `%s` |", qb_formats[i].name);
    if (!strstr(doc, cell)) fail_msg("docs/formats/README.md: no row with %s", cell);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_formats__rows_in_enum_order_and_names_round_trip),
      cmocka_unit_test(test_formats__one_message_for_a_bad_name),
      cmocka_unit_test(test_formats__each_format_is_documented),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

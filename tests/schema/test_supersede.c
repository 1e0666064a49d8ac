/* tests/schema/test_supersede.c - which change record takes the place of one that detection no
 * longer finds (schema/supersede.h): a change that moved by a run or two is superseded and hands
 * over its triage; a change farther away, of the other kind, or with a change point between is
 * not. The store-level behaviour (both backends) is in tests/cli/history.sh and its _pg twin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "schema/supersede.h"

/* A row: id, position (run_id and run_time follow it), kind, active, stale, fresh, triaged_at. */
static qb_supersede_row row(int64_t id, int64_t pos, int improvement, int active, int stale,
                            int fresh, int64_t triaged_at) {
  return (qb_supersede_row){id,     100 + pos, 1000 * pos, pos,       improvement,
                            active, stale,     fresh,      triaged_at};
}

/* The moved change of tests/cli/history.sh: the record at position 8 (run 9) went, the one at
 * position 9 (run 10) is new: superseded, and the triage goes over. */
static void test_supersede__moved_by_one(void **state) {
  (void)state;
  qb_supersede_row r[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 9, 0, 1, 0, 1, 0)};
  long by[2], inherit[2];
  qb_supersede_match(r, 2, by, inherit);
  assert_int_equal(by[0], 1);
  assert_int_equal(by[1], -1);
  assert_int_equal(inherit[1], 0);
  assert_int_equal(inherit[0], -1);
}

/* The new record's own triage stays: it is superseding, but takes nothing. */
static void test_supersede__own_triage_kept(void **state) {
  (void)state;
  qb_supersede_row r[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 10, 0, 1, 0, 1, 700)};
  long by[2], inherit[2];
  qb_supersede_match(r, 2, by, inherit);
  assert_int_equal(by[0], 1);
  assert_int_equal(inherit[1], -1);
}

/* Not the same change: 3 points away; the other kind; an old record (not fresh); a change point
 * between the two; a position unknown. */
static void test_supersede__not_the_same_change(void **state) {
  (void)state;
  long by[3], inherit[3];
  qb_supersede_row far[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 11, 0, 1, 0, 1, 0)};
  qb_supersede_match(far, 2, by, inherit);
  assert_int_equal(by[0], -1);
  assert_int_equal(inherit[1], -1);
  qb_supersede_row kind[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 9, 1, 1, 0, 1, 0)};
  qb_supersede_match(kind, 2, by, inherit);
  assert_int_equal(by[0], -1);
  qb_supersede_row old[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 9, 0, 1, 0, 0, 0)};
  qb_supersede_match(old, 2, by, inherit);
  assert_int_equal(by[0], -1);
  qb_supersede_row between[] = {row(1, 8, 0, 0, 1, 0, 500), row(2, 9, 1, 1, 0, 0, 0),
                                row(3, 10, 0, 1, 0, 1, 0)};
  qb_supersede_match(between, 3, by, inherit);
  assert_int_equal(by[0], -1); /* the nearest after it is another change (an improvement) */
  qb_supersede_row unknown[] = {row(1, -1, 0, 0, 1, 0, 500), row(2, 9, 0, 1, 0, 1, 0)};
  unknown[0].run_time = 8000;
  qb_supersede_match(unknown, 2, by, inherit);
  assert_int_equal(by[0], -1);
}

/* Two stale records on either side of one new record: both superseded by it, and it takes the
 * triage of the one triaged last; a stale record between two fresh ones takes the nearer, the
 * later on a tie. Inactive rows (gone before) are not neighbours. */
static void test_supersede__several(void **state) {
  (void)state;
  long by[4], inherit[4];
  qb_supersede_row two[] = {row(1, 7, 0, 0, 1, 0, 900), row(2, 9, 0, 1, 0, 1, 0),
                            row(3, 10, 0, 0, 1, 0, 400)};
  qb_supersede_match(two, 3, by, inherit);
  assert_int_equal(by[0], 1);
  assert_int_equal(by[2], 1);
  assert_int_equal(inherit[1], 0);
  qb_supersede_row tie[] = {row(1, 7, 0, 1, 0, 1, 0), row(2, 8, 0, 0, 1, 0, 0),
                            row(3, 9, 0, 1, 0, 1, 0), row(4, 12, 0, 0, 0, 0, 0)};
  qb_supersede_match(tie, 4, by, inherit);
  assert_int_equal(by[1], 2);
  assert_int_equal(by[3], -1);      /* gone before: not stale in this detection */
  assert_int_equal(inherit[2], -1); /* nothing triaged */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_supersede__moved_by_one),
      cmocka_unit_test(test_supersede__own_triage_kept),
      cmocka_unit_test(test_supersede__not_the_same_change),
      cmocka_unit_test(test_supersede__several),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

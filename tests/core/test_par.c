/* tests/core/test_par.c - the threads a computation may start (core/par.h), against the CPUs the
 * kernel reports online (/sys/devices/system/cpu/online, read here independently). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/par.h"

/* The online CPUs from their list ("0-1", "0,2-3"). */
static size_t online_cpus(void) {
  FILE *f = fopen("/sys/devices/system/cpu/online", "r");
  char line[256] = "";
  size_t n = 0;
  if (!f) return 0;
  if (!fgets(line, sizeof line, f)) line[0] = '\0';
  fclose(f);
  for (char *p = strtok(line, ",\n"); p; p = strtok(NULL, ",\n")) {
    unsigned a, b;
    if (sscanf(p, "%u-%u", &a, &b) == 2)
      n += b - a + 1;
    else if (sscanf(p, "%u", &a) == 1)
      n++;
  }
  return n;
}

static void test_par__cpus_are_the_online_ones(void **state) {
  (void)state;
  size_t want = online_cpus();
  if (!want) skip();
  assert_int_equal(qb_par_cpus(), want);
}

static void test_par__busy_threads_take_their_cpus(void **state) {
  (void)state;
  size_t c = qb_par_cpus();
  /* nothing entered (the CLI): every CPU, within the cap */
  assert_int_equal(qb_par_threads(64), c);
  assert_int_equal(qb_par_threads(1), 1);
  /* the caller entered: its own CPU is the one it computes on */
  qb_par_enter();
  assert_int_equal(qb_par_threads(64), c);
  /* as many other busy threads as CPUs (a loaded server): no helpers, never zero */
  for (size_t i = 0; i < c; i++) qb_par_enter();
  assert_int_equal(qb_par_threads(64), 1);
  for (size_t i = 0; i < c; i++) qb_par_leave();
  /* one other busy thread: one CPU fewer (at least 1) */
  qb_par_enter();
  assert_int_equal(qb_par_threads(64), c > 1 ? c - 1 : 1);
  qb_par_leave();
  qb_par_leave();
  assert_int_equal(qb_par_threads(64), c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_par__cpus_are_the_online_ones),
      cmocka_unit_test(test_par__busy_threads_take_their_cpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/runner/instr_bench.c - the benchmark program of tests/runner/instructions.sh (qbr's
 * instruction counts, docs/runner.md): "work" runs a known loop, QBR_TEST_WORK xorshift steps per
 * iteration (default 1000, read by its setup, so a run with 1020 is the same program doing 2%
 * more work), and the family "sum" adds an items throughput, so every kind of line appears. */
#include <stdint.h>
#include <stdlib.h>

#include "runner/qbdb_runner.h"

static uint64_t work_steps;

/* The steps per iteration, from the environment. */
static int work_setup(qbr_state *state) {
  const char *w = getenv("QBR_TEST_WORK");
  work_steps = w && *w ? strtoull(w, NULL, 10) : 1000;
  qbr_set_data(state, &work_steps);
  return 0;
}

QBR_BENCH_OPTS(work, .setup = work_setup) {
  const uint64_t steps = *(const uint64_t *)qbr_data(state);
  uint64_t x = 88172645463325252ULL;
  QBR_LOOP(state) {
    for (uint64_t i = 0; i < steps; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    qbr_do_not_optimize(&x);
  }
}

/* n ints to sum (freed by sum_teardown). */
static int sum_setup(qbr_state *state) {
  int64_t n = qbr_param_int(state, "n");
  int *v = calloc((size_t)n, sizeof *v);
  if (!v) return 1;
  for (int64_t i = 0; i < n; i++) v[i] = (int)i;
  qbr_set_data(state, v);
  qbr_set_items(state, (uint64_t)n);
  return 0;
}

static void sum_teardown(qbr_state *state) {
  free(qbr_data(state));
}

QBR_BENCH_OPTS(sum, .params = "n=100,1000", .setup = sum_setup, .teardown = sum_teardown) {
  const int *v = qbr_data(state);
  int64_t n = qbr_param_int(state, "n");
  QBR_LOOP(state) {
    int64_t s = 0;
    for (int64_t i = 0; i < n; i++) s += v[i];
    qbr_do_not_optimize(&s);
  }
}

QBR_MAIN()

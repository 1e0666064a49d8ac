/* examples/scaling/qsort_bench.c - libc qsort of n random ints, a family for `qbdb scaling`
 * (docs/cli/grade.md#scaling). Each iteration copies the unsorted input into a work buffer and
 * sorts it, so every iteration sorts the same random permutation (the copy is O(n), a few % of
 * the sort).
 *
 *   cc -O2 examples/scaling/qsort_bench.c runner/qbdb_runner.c -Irunner -lm -o qsort_bench
 *   ./qsort_bench --samples 30 --out qsort.jsonl && qbdb ingest qsort.jsonl
 *   qbdb scaling qsort */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qbdb_runner.h"

typedef struct qsort_data {
  int *input, *work;
} qsort_data;

/* The input: n pseudo-random ints (xorshift64, fixed seed), and a work buffer. */
static int qsort_setup(qbr_state *state) {
  size_t n = (size_t)qbr_param_int(state, "n");
  qsort_data *d = calloc(1, sizeof *d);
  if (!d) return 1;
  d->input = malloc(n * sizeof *d->input);
  d->work = malloc(n * sizeof *d->work);
  if (!d->input || !d->work) {
    free(d->input);
    free(d->work);
    free(d);
    return 1;
  }
  uint64_t x = 88172645463325252ULL;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    d->input[i] = (int)(x >> 33);
  }
  qbr_set_data(state, d);
  qbr_set_items(state, (uint64_t)n);
  return 0;
}

static void qsort_teardown(qbr_state *state) {
  qsort_data *d = qbr_data(state);
  free(d->input);
  free(d->work);
  free(d);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

QBR_BENCH_OPTS(qsort, .params = "n=100,1000,10000,100000", .setup = qsort_setup,
               .teardown = qsort_teardown) {
  qsort_data *d = qbr_data(state);
  size_t n = (size_t)qbr_param_int(state, "n");
  QBR_LOOP(state) {
    memcpy(d->work, d->input, n * sizeof *d->work);
    qsort(d->work, n, sizeof *d->work, cmp_int);
    qbr_do_not_optimize(d->work);
  }
}

QBR_MAIN()

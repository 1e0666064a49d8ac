/* runner/example/example.c - a benchmark program built against an installed qbdb_runner
 * (see Makefile and docs/runner.md). Shows both ways to register: QBR_BENCH / QBR_BENCH_OPTS
 * (automatic, before main) and qbr_register (a plain function call), families with params,
 * setup/teardown, throughput, and qbr_main.
 *
 *   make && ./example --samples 20 --out run.jsonl && qbdb ingest run.jsonl */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qbdb_runner.h>

/* A plain benchmark: 100 steps of xorshift64 per iteration. */
QBR_BENCH(xorshift) {
  uint64_t x = 88172645463325252ULL;
  QBR_LOOP(state) {
    for (int i = 0; i < 100; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    qbr_do_not_optimize(&x);
  }
}

/* Setup for "sum": n int32 values (the array is the state's data; teardown frees it). */
static int sum_setup(qbr_state *state) {
  int64_t n = qbr_param_int(state, "n");
  int32_t *x = malloc((size_t)n * sizeof *x);
  if (!x) return 1;
  for (int64_t i = 0; i < n; i++) x[i] = (int32_t)(i * 7 % 1000);
  qbr_set_data(state, x);
  qbr_set_items(state, (uint64_t)n);
  return 0;
}

static void sum_teardown(qbr_state *state) {
  free(qbr_data(state));
}

/* A family: "sum/n=1000", "sum/n=10000", "sum/n=100000", throughput in items/s. */
QBR_BENCH_OPTS(sum, .params = "n=1000,10000,100000", .setup = sum_setup, .teardown = sum_teardown) {
  const int32_t *x = qbr_data(state);
  int64_t n = qbr_param_int(state, "n");
  QBR_LOOP(state) {
    int64_t s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    qbr_do_not_optimize(&s);
  }
}

/* The same thing with the function API: memcpy of `bytes` bytes, throughput in B/s. */
static void copy(qbr_state *state) {
  char **buf = qbr_data(state);
  size_t n = (size_t)qbr_param_int(state, "bytes");
  qbr_set_bytes(state, n);
  QBR_LOOP(state) {
    memcpy(buf[1], buf[0], n);
    qbr_clobber();
  }
}

static int copy_setup(qbr_state *state) {
  static char *buf[2];
  size_t n = (size_t)qbr_param_int(state, "bytes");
  buf[0] = calloc(n, 1);
  buf[1] = calloc(n, 1);
  if (!buf[0] || !buf[1]) {
    qbr_fail(state, "out of memory");
    return 1;
  }
  qbr_set_data(state, buf);
  return 0;
}

static void copy_teardown(qbr_state *state) {
  char **buf = qbr_data(state);
  free(buf[0]);
  free(buf[1]);
}

int main(int argc, char **argv) {
  static qbr_bench copy_bench = {.name = "copy",
                                 .group = "mem",
                                 .fn = copy,
                                 .params = "bytes=4096,65536",
                                 .setup = copy_setup,
                                 .teardown = copy_teardown};
  qbr_err err;
  if (qbr_register(NULL, &copy_bench, &err)) return 2;
  return qbr_main(argc, argv);
}

/* bench/runner_overhead.c - the cost and steadiness of qbr itself (runner/qbdb_runner.c):
 * (1) the harness's overhead per timed iteration: what it measures for an empty body with
 *     automatic iterations (target < 2 ns), with the fixed cost of the timed window per sample
 *     (iterations = 1) and the all-in cost of a whole run per iteration beside it;
 * (2) the coefficient of variation it measures for a fixed workload (a 10,000-step integer loop
 *     per iteration), over several runs of 100 samples (target < 1% on a quiet machine).
 * Prints the figures with their targets; exits 0 (timings depend on the machine). Run a Release
 * build: build-rn-rel/runner_overhead [runs]. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "runner/qbdb_runner.h"

#define SAMPLES 100
#define WORK    10000

static uint64_t executed; /* iterations the empty body ran, warm-up and calibration included */

/* An empty body: only the loop, and a barrier so the compiler keeps it. */
static void empty(qbr_state *s) {
  executed += qbr_iters(s);
  QBR_LOOP(s) qbr_clobber();
}

static volatile uint64_t seed = 88172645463325252ULL;

/* The fixed workload: WORK dependent xorshift64 steps per iteration. */
static void fixed_work(qbr_state *s) {
  QBR_LOOP(s) {
    uint64_t x = seed;
    for (int i = 0; i < WORK; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    qbr_do_not_optimize(&x);
  }
}

/* What one benchmark of a run measured (copied from qbr_result). */
typedef struct got {
  double samples[SAMPLES];
  size_t n;
  uint64_t iters;
  double median, mad;
} got;

static void keep(const qbr_result *r, void *ctx) {
  got *g = ctx;
  g->n = r->n_samples;
  memcpy(g->samples, r->samples, r->n_samples * sizeof *r->samples);
  g->iters = r->iters;
  g->median = r->median;
  g->mad = r->mad;
}

/* Run fn alone with iters per sample (0: automatic); returns what was measured and, in
 * *wall_s, how long the whole qbr_run took. */
static got measure(const char *name, qbr_fn fn, uint64_t iters, double *wall_s) {
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = name, .fn = fn};
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err;
  got g;
  memset(&g, 0, sizeof g);
  cfg.samples = SAMPLES;
  cfg.iters = iters;
  cfg.on_result = keep;
  cfg.on_result_ctx = &g;
  if (qbr_register(&reg, &b, &err)) goto fail;
  double t0 = now_s();
  if (qbr_run(&reg, &cfg, &err)) goto fail;
  if (wall_s) *wall_s = now_s() - t0;
  return g;
fail:
  fprintf(stderr, "runner_overhead: %s\n", err.msg);
  exit(1);
}

/* Mean and sample standard deviation of x[0..n). */
static void mean_sd(const double *x, size_t n, double *mean, double *sd) {
  double m = 0, ss = 0;
  for (size_t i = 0; i < n; i++) m += x[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  *mean = m;
  *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 5;
  double wall;
  if (runs < 1) runs = 1;

  printf("qbr %s overhead: %d samples per benchmark, automatic iterations (>= 1 ms a sample)\n",
         QBR_VERSION, SAMPLES);
  got e = measure("empty", empty, 0, &wall);
  double total_iters = (double)executed;
  printf("  empty body, per timed iteration:   %.3f ns (median of %zu samples x %llu iterations;"
         " MAD %.4f ns)  target < 2 ns: %s\n",
         e.median, e.n, (unsigned long long)e.iters, e.mad, e.median < 2 ? "met" : "NOT met");
  got one = measure("empty_1", empty, 1, NULL);
  printf("  timed-window cost per sample:      %.1f ns (iterations = 1), i.e. %.2g ns per "
         "iteration at %llu iterations\n",
         one.median, one.median / (double)e.iters, (unsigned long long)e.iters);
  printf("  whole run, all in:                 %.3f ns per iteration (%.0f ms for %.3g "
         "iterations, with warm-up, calibration, getrusage)\n",
         wall * 1e9 / total_iters, wall * 1e3, total_iters);

  printf("fixed workload: %d-step xorshift loop per iteration, %d runs of %d samples\n", WORK, runs,
         SAMPLES);
  double *cvs = malloc((size_t)runs * sizeof *cvs);
  if (!cvs) return 1;
  for (int r = 0; r < runs; r++) {
    got w = measure("fixed", fixed_work, 0, NULL);
    double mean, sd, tmean, tsd, sorted[SAMPLES], kept[SAMPLES];
    size_t n_kept = 0;
    mean_sd(w.samples, w.n, &mean, &sd);
    cvs[r] = 100 * sd / mean;
    /* without Tukey outliers (beyond 1.5 IQR): what is left when preemptions are set aside */
    memcpy(sorted, w.samples, w.n * sizeof *sorted);
    qsort(sorted, w.n, sizeof *sorted, cmp_double);
    double q1 = sorted[w.n / 4], q3 = sorted[3 * w.n / 4], iqr = q3 - q1;
    for (size_t i = 0; i < w.n; i++)
      if (w.samples[i] >= q1 - 1.5 * iqr && w.samples[i] <= q3 + 1.5 * iqr)
        kept[n_kept++] = w.samples[i];
    mean_sd(kept, n_kept, &tmean, &tsd);
    printf("  run %d: median %.3f us, %llu iterations/sample: CV %.3f%% (stddev/mean), max/median "
           "%.2f; without %zu outliers CV %.3f%%; robust CV %.3f%% (1.4826 MAD/median)\n",
           r + 1, w.median / 1e3, (unsigned long long)w.iters, cvs[r], sorted[w.n - 1] / w.median,
           w.n - n_kept, 100 * tsd / tmean, 100 * 1.4826 * w.mad / w.median);
  }
  qsort(cvs, (size_t)runs, sizeof *cvs, cmp_double);
  double med_cv = runs % 2 ? cvs[runs / 2] : (cvs[runs / 2 - 1] + cvs[runs / 2]) / 2;
  printf("  CV: best %.3f%%, median %.3f%%  target < 1%%: %s\n", cvs[0], med_cv,
         med_cv < 1 ? "met" : "NOT met (a busy machine?)");
  free(cvs);
  return 0;
}

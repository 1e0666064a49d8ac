/* bench/bench_util.h - shared by qbdb's benchmarks of itself (header-only, bench code only):
 * a monotonic clock and a deterministic pytest-benchmark JSON generator. */
#ifndef QB_BENCH_UTIL_H
#define QB_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A deterministic xorshift generator so every run measures the same file. */
static uint64_t bench_rng = 0x9e3779b97f4a7c15ULL;
static inline double uniform(void) {
  bench_rng ^= bench_rng << 13;
  bench_rng ^= bench_rng >> 7;
  bench_rng ^= bench_rng << 17;
  return (double)(bench_rng >> 11) / 9007199254740992.0;
}

/* Write a pytest-benchmark 3.2.2-style JSON file at path: n_bench benchmarks of n_samples raw
 * samples each, drawn around a per-benchmark centre; factor(b) scales benchmark b's centre
 * (NULL: 1), so a second file can carry known changes. commit names the run. */
static inline void generate_pytest(const char *path, int n_bench, int n_samples,
                                   double (*factor)(int b), const char *commit) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fprintf(f,
          "{\"machine_info\": {\"node\": \"bench\", \"machine\": \"x86_64\", \"system\": "
          "\"Linux\", \"cpu\": {\"brand\": \"bench\"}}, \"commit_info\": {\"id\": "
          "\"%s\", \"time\": \"2026-11-25T10:00:00+00:00\", "
          "\"dirty\": false, \"project\": \"bench\", \"branch\": \"main\"}, \"benchmarks\": [\n",
          commit);
  for (int b = 0; b < n_bench; b++) {
    double base = 1e-6 * (1 + b % 97) * (factor ? factor(b) : 1.0);
    fprintf(f,
            "{\"group\": null, \"name\": \"test_gen[%d]\", \"fullname\": "
            "\"test_gen.py::test_gen[%d]\", \"params\": {\"i\": %d}, \"param\": \"%d\", "
            "\"extra_info\": {}, \"options\": {\"disable_gc\": false, \"timer\": "
            "\"perf_counter\", \"min_rounds\": 5, \"max_time\": 1.0, \"min_time\": 5e-06, "
            "\"warmup\": false}, \"stats\": {",
            b, b, b, b);
    double sum = 0, mn = 1e9, mx = 0;
    double *x = malloc((size_t)n_samples * sizeof *x);
    for (int i = 0; i < n_samples; i++) {
      x[i] = base * (1 + 0.1 * uniform());
      sum += x[i];
      mn = x[i] < mn ? x[i] : mn;
      mx = x[i] > mx ? x[i] : mx;
    }
    double mean = sum / n_samples;
    fprintf(f,
            "\"min\": %.17g, \"max\": %.17g, \"mean\": %.17g, \"stddev\": %.17g, \"rounds\": "
            "%d, \"median\": %.17g, \"iqr\": %.17g, \"q1\": %.17g, \"q3\": %.17g, "
            "\"iqr_outliers\": 0, \"stddev_outliers\": 0, \"outliers\": \"0;0\", "
            "\"ld15iqr\": %.17g, \"hd15iqr\": %.17g, \"ops\": %.17g, \"total\": %.17g, "
            "\"data\": [",
            mn, mx, mean, base * 0.029, n_samples, mean, base * 0.05, mean - base * 0.025,
            mean + base * 0.025, mn, mx, 1 / mean, sum);
    for (int i = 0; i < n_samples; i++) fprintf(f, "%s%.17g", i ? ", " : "", x[i]);
    fprintf(f, "], \"iterations\": 1}}%s\n", b + 1 < n_bench ? "," : "");
    free(x);
  }
  fprintf(f, "], \"datetime\": \"2026-11-25T10:00:01.000000\", \"version\": \"3.2.2\"}\n");
  fclose(f);
}

#endif

/* bench/bench_detect.c - change-point detection through the store, as `qbdb detect` and
 * `qbdb ingest` run it: a database of N_SERIES benchmarks x N_RUNS runs (one summary value per
 * result, every 5th series with a 10% step halfway), then (a) a full `detect` over every series
 * and (b) the incremental detection after one more run is stored (what ingest does).
 * Targets (issue 4): full detect over 1000 series x 500 runs < 2 s; incremental < 50 ms.
 * Usage: bench_detect [N_SERIES [N_RUNS]]   (defaults 1000 500) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "service/history.h"
#include "bench/bench_util.h"
#include "ingest/ingest.h"

/* A run of n_series benchmarks with one noisy summary value each (median and mean). */
static qb_run *make_run(int r, int n_runs, int n_series) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = qb_run_new();
  qb_run_set_str(&run->project, "bench", &err);
  qb_run_set_str(&run->branch, "main", &err);
  qb_run_set_str(&run->machine, "m", &err);
  qb_run_set_str(&run->format, "native", &err);
  run->started_at = 1700000000000000LL + (int64_t)r * 3600000000LL;
  snprintf(run->content_hash, sizeof run->content_hash, "%064d", r);
  for (int b = 0; b < n_series; b++) {
    char name[32];
    snprintf(name, sizeof name, "bench_%04d", b);
    qb_bench *bench;
    qb_result *res;
    qb_run_add_bench(run, name, NULL, &bench, &err);
    qb_bench_add_result(bench, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err);
    double level = 1000.0 * (1 + b % 7) * (b % 5 == 0 && r >= n_runs / 2 ? 1.10 : 1.0);
    res->stats.median = res->stats.mean = level * (1 + 0.02 * (uniform() - 0.5));
    res->stats.n = 30;
  }
  return run;
}

int main(int argc, char **argv) {
  int n_series = argc > 1 ? atoi(argv[1]) : 1000;
  int n_runs = argc > 2 ? atoi(argv[2]) : 500;
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char db[512];
  snprintf(db, sizeof db, "%s/qbdb-detect-%d.db", dir, (int)getpid());
  unlink(db);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, db, QB_STORE_CREATE, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double t0 = now_s();
  for (int r = 0; r < n_runs; r++) {
    qb_run *run = make_run(r, n_runs, n_series);
    int64_t id;
    if (qb_store_insert_run(s, run, &id, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    qb_run_free(run);
  }
  printf("built %d series x %d runs in %.1f s (not part of the figures)\n", n_series, n_runs,
         now_s() - t0);

  qb_detect_opts o = QB_DETECT_OPTS_INIT;
  qb_detect_result res;
  t0 = now_s();
  if (qb_detect(s, &o, &res, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double full = now_s() - t0;
  printf("full detect:        %8.1f ms (target < 2000 ms): %zu series, %zu points, %zu change "
         "points (%d planted)\n",
         full * 1e3, res.series, res.points, res.changes, (n_series + 4) / 5);

  qb_run *run = make_run(n_runs, n_runs + 1, n_series);
  int64_t id;
  if (qb_store_insert_run(s, run, &id, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  qb_run_free(run);
  qb_detect_opts io = QB_DETECT_OPTS_INIT;
  io.filter.run_id = id;
  io.incremental = 1;
  t0 = now_s();
  if (qb_detect(s, &io, &res, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double alone = now_s() - t0;
  qb_after_ingest after;
  t0 = now_s();
  if (qb_after_ingest_run(s, id, &after, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double inc = now_s() - t0;
  printf("incremental detect: %8.1f ms (target < 50 ms) after one new run across %zu series "
         "(%zu points read)\n",
         alone * 1e3, res.series, res.points);
  printf("  the whole after-ingest step (detection and targets, run again): %.1f ms\n", inc * 1e3);
  qb_after_ingest_dispose(&after);
  qb_store_close(s);
  unlink(db);
  return 0;
}

/* bench/bench_changepoint.c - timings of change-point detection (analysis/changepoint.c):
 * (1) one series of 10,000 points, (2) full detection over 1000 series of 500 runs each,
 * (3) the incremental update of those 1000 series after one new run, (4) the drifts of those
 * series (qb_cp_drifts). Best of several repeats, printed with their targets; then the accuracy
 * on those series, whose steps are known: a change point within one run of a step is a hit, any
 * other a false one (precision), and the share of the steps of at least 3 noise sds found
 * (recall). Exits 1 when a result differs between full and incremental analysis (never
 * expected). Run a RelWithDebInfo or Release build. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/changepoint.h"
#include "bench/bench_util.h"

#define N_SERIES 1000
#define N_RUNS   500
#define N_LONG   10000
#define REPEATS  7

/* A standard normal deviate from the bench generator (Box-Muller). */
static double gauss(void) {
  double u = uniform(), v = uniform();
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Fill x[0..n) with a benchmark-like history: a level around 1e-3 s that steps by up to +-30%
 * with probability `steps` per run, 0.5-4% relative noise, and 1% single-run spikes. When mark is
 * not NULL, mark[i] is set to 1 where a step starts (2 when it is at least 3 noise sds), else 0. */
static void make_series(double *x, size_t n, double steps, unsigned char *mark) {
  double level = 1e-3 * (0.5 + uniform()), sd = 0.005 + 0.035 * uniform();
  for (size_t i = 0; i < n; i++) {
    int m = 0;
    if (uniform() < steps) {
      double f = 1 + 0.6 * (uniform() - 0.5);
      level *= f;
      m = fabs(f - 1) >= 3 * sd ? 2 : 1;
    }
    if (mark) mark[i] = (unsigned char)m;
    x[i] = level * (1 + sd * gauss());
    if (uniform() < 0.01) x[i] *= 1.2 + 0.3 * uniform();
  }
}

/* Exit with a message when an analysis fails. */
static void check(int rc, const qb_err *err) {
  if (rc) {
    fprintf(stderr, "bench_changepoint: %s\n", err->msg);
    exit(1);
  }
}

int main(void) {
  qb_cp_opts o = QB_CP_OPTS_INIT;
  qb_err err = QB_ERR_INIT;
  int status = 0;
  double *lx = malloc(N_LONG * sizeof *lx);
  double *xs = malloc((size_t)N_SERIES * N_RUNS * sizeof *xs);
  unsigned char *mark = malloc((size_t)N_SERIES * N_RUNS);
  qb_changepoint **prev = calloc(N_SERIES, sizeof *prev);
  size_t *n_prev = calloc(N_SERIES, sizeof *n_prev);
  if (!lx || !xs || !mark || !prev || !n_prev) {
    fprintf(stderr, "bench_changepoint: out of memory\n");
    return 1;
  }
  make_series(lx, N_LONG, 0.004, NULL);
  for (size_t s = 0; s < N_SERIES; s++)
    make_series(xs + s * N_RUNS, N_RUNS, 0.006, mark + s * N_RUNS);

  /* (1) one long series */
  double best1 = 1e9;
  size_t found1 = 0;
  for (int r = 0; r < REPEATS; r++) {
    qb_changepoint *cp;
    double t0 = now_s();
    check(qb_changepoints(lx, N_LONG, &o, &cp, &found1, &err), &err);
    double t = now_s() - t0;
    best1 = t < best1 ? t : best1;
    free(cp);
  }

  /* (2) full detection over every series */
  double best2 = 1e9;
  size_t found2 = 0;
  for (int r = 0; r < REPEATS; r++) {
    found2 = 0;
    double t0 = now_s();
    for (size_t s = 0; s < N_SERIES; s++) {
      qb_changepoint *cp;
      size_t n_cp;
      check(qb_changepoints(xs + s * N_RUNS, N_RUNS, &o, &cp, &n_cp, &err), &err);
      found2 += n_cp;
      free(cp);
    }
    double t = now_s() - t0;
    best2 = t < best2 ? t : best2;
  }

  /* (3) one new run per series: update from the change points of the first N_RUNS - 1 */
  for (size_t s = 0; s < N_SERIES; s++)
    check(qb_changepoints(xs + s * N_RUNS, N_RUNS - 1, &o, &prev[s], &n_prev[s], &err), &err);
  double best3 = 1e9;
  for (int r = 0; r < REPEATS; r++) {
    double t0 = now_s();
    for (size_t s = 0; s < N_SERIES; s++) {
      qb_changepoint *cp;
      size_t n_cp;
      check(qb_changepoints_update(xs + s * N_RUNS, N_RUNS, N_RUNS - 1, prev[s], n_prev[s], &o, &cp,
                                   &n_cp, &err),
            &err);
      free(cp);
    }
    double t = now_s() - t0;
    best3 = t < best3 ? t : best3;
  }
  for (size_t s = 0; s < N_SERIES && !status; s++) {
    qb_changepoint *full, *up;
    size_t n_full, n_up;
    const double *x = xs + s * N_RUNS;
    check(qb_changepoints(x, N_RUNS, &o, &full, &n_full, &err), &err);
    check(qb_changepoints_update(x, N_RUNS, N_RUNS - 1, prev[s], n_prev[s], &o, &up, &n_up, &err),
          &err);
    if (n_full != n_up || (n_full && memcmp(full, up, n_full * sizeof *full))) {
      fprintf(stderr, "bench_changepoint: series %zu: update differs from full analysis\n", s);
      status = 1;
    }
    free(full);
    free(up);
  }

  /* (4) the drifts between the change points of every series */
  qb_changepoint **full = calloc(N_SERIES, sizeof *full);
  size_t *n_full = calloc(N_SERIES, sizeof *n_full), n_drifts = 0;
  if (!full || !n_full) {
    fprintf(stderr, "bench_changepoint: out of memory\n");
    return 1;
  }
  for (size_t s = 0; s < N_SERIES; s++)
    check(qb_changepoints(xs + s * N_RUNS, N_RUNS, &o, &full[s], &n_full[s], &err), &err);
  double best4 = 1e9;
  for (int r = 0; r < REPEATS; r++) {
    n_drifts = 0;
    double t0 = now_s();
    for (size_t s = 0; s < N_SERIES; s++) {
      qb_cp_drift *d;
      size_t nd;
      check(qb_cp_drifts(xs + s * N_RUNS, N_RUNS, full[s], n_full[s], &o, &d, &nd, &err), &err);
      n_drifts += nd;
      free(d);
    }
    double t = now_s() - t0;
    best4 = t < best4 ? t : best4;
  }
  /* accuracy: hits within one run of a step, false points, recall of the steps of >= 3 sds */
  size_t hits = 0, false_pts = 0, big = 0, big_found = 0;
  for (size_t s = 0; s < N_SERIES; s++) {
    const unsigned char *mk = mark + s * N_RUNS;
    unsigned char seen[N_RUNS] = {0};
    for (size_t i = 0; i < n_full[s]; i++) {
      size_t at = full[s][i].index, hit = 0;
      for (size_t j = at > 0 ? at - 1 : 0; j <= at + 1 && j < N_RUNS; j++)
        if (mk[j] && !hit) hit = j + 1;
      if (hit) {
        hits++;
        seen[hit - 1] = 1;
      } else {
        false_pts++;
      }
    }
    for (size_t j = 0; j < N_RUNS; j++)
      if (mk[j] == 2) {
        big++;
        big_found += seen[j];
      }
  }

  printf("change points (window %zu, max_p %g), best of %d:\n", o.window, o.max_p, REPEATS);
  printf("  one series of %d points:        %8.3f ms  (target < 10 ms; %zu change points)\n",
         N_LONG, best1 * 1e3, found1);
  printf("  full, %d series x %d runs:    %8.3f ms  (target < 2000 ms; %zu change points)\n",
         N_SERIES, N_RUNS, best2 * 1e3, found2);
  printf("  update after 1 new run, %d series: %6.3f ms  (target < 50 ms)\n", N_SERIES,
         best3 * 1e3);
  printf("  drifts of the %d series:        %8.3f ms  (%zu drifts)\n", N_SERIES, best4 * 1e3,
         n_drifts);
  printf("accuracy on those series: %zu change points within one run of a step, %zu others "
         "(precision %.4f); %zu of %zu steps of at least 3 noise sds found (recall %.4f)\n",
         hits, false_pts, (double)hits / (double)(hits + false_pts ? hits + false_pts : 1),
         big_found, big, (double)big_found / (double)(big ? big : 1));
  for (size_t s = 0; s < N_SERIES; s++) {
    free(prev[s]);
    free(full[s]);
  }
  free(prev);
  free(n_prev);
  free(full);
  free(n_full);
  free(mark);
  free(xs);
  free(lx);
  return status;
}

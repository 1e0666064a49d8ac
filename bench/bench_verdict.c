/* bench/bench_verdict.c - how well compare's verdict works (issue 12): false alarms on flat
 * histories, the power of one compare and of change-point detection on steps, a second step
 * after a first, and a pull-request run judged against its base branch. In-process, through
 * the real service: a SQLite store in a temporary directory, runs stored with qb_ingest_store
 * and followed by qb_after_ingest_run (incremental change-point detection, as on upload), then
 * qb_compare_runs with the default baseline rule.
 *
 * Model. 100 benchmarks b000..b099 (metric latency, ns, lower is better), each with its own
 * level L_b (log-uniform in 1e3..1e6 ns). Run r's level of benchmark b is
 * L_b * exp(tau * z_rb + step_rb) (run-to-run drift, z ~ N(0,1), independent per run and
 * benchmark) and its 30 raw samples are that level * exp(tau * z) (within-run noise equal to
 * the drift). tau = 2%, and 5% too for every scenario but C. Steps are k * tau in log: level *
 * exp(k * tau), k in 3, 4, 5, 6, 8 (the sizes) and 10, 12, 16 (to see where 95% is
 * reached).
 * The generator is our own (splitmix64 to seed xorshift64*, Box-Muller), keyed by (seed, run,
 * benchmark), so every figure is reproducible and the runs after a step are the same draws for
 * every step size (common random numbers).
 *
 * Scenarios.
 *  A. Flat: histories of 60 runs on main; run i >= 11 is compared with its rule baseline (run
 *     i - 1) right after it is stored. Rate of benchmark-compares flagged (regression or
 *     improvement; target <= 1%) and of compares flagging anything (target <= 5%); compares
 *     with rows whose noise was unknown are counted apart; change points stored in the flat
 *     series are counted too.
 *  B. Steps: 20 flat runs, then a persistent step of k * tau on ONE benchmark (and, in other
 *     histories, on 10) from run 21. (i) the compare of run 21 with run 20 flags the benchmark
 *     as a regression; (ii) a regression record of its series begins exactly at run 21 after 5
 *     and after 10 further runs. Target >= 95% at k >= 3.
 *  C. Second step: 10 * tau at run 21 on one benchmark, flat until run 40, k * tau more at run
 *     41; the same rates as B (i) and (ii) for the second step.
 *  D. Pull request: 10 runs on main, then one run of branch feature/x (started after main's
 *     newest) compared with opts.base.base_branch = "main": with +20% on one benchmark the
 *     worst regression must be >= major with rule "base-branch"; without a change no
 *     regression may reach major.
 *  E. Short histories (no target of the issue, A's targets for the false alarms): N = 3..20
 *     flat runs on main, then +20% on one benchmark in run N + 1: is it flagged, and how often
 *     are the 99 unchanged rows flagged (noise_runs = 5 is the boundary between the 10% rule
 *     and the noise test).
 *  F. The noise test alone (analysis/noise.h, no store): its false-positive rate on flat
 *     series of 5..30 centres at the nominal levels, and the band at alpha / 100.
 * Histories of B and C share their first runs: the store of the prefix is copied (closed
 * store, file copy), which is what keeps the runtime down.
 * Usage: bench_verdict [SEEDS [SCENARIOS]]   (40: seeds per step size in B and C, histories
 * in D and E; A uses SEEDS / 4 histories; SCENARIOS: letters of those to run, ABCDEF).
 * QB_VERDICT_VERBOSE=1 prints every false flag of A, D and E. Prints a table with PASS/MISS per
 * row; always exits 0 unless the service fails. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/noise.h"
#include "service/compare.h"
#include "service/history.h"
#include "bench/bench_util.h"
#include "ingest/ingest.h"

enum { N_BENCH = 100, N_SAMPLES = 30, MAX_RUNS = 64 };

#define PROJECT "verdict"
#define T0      1767225600000000LL /* 2026-01-01, us */
#define HOUR    3600000000LL

/* ---- the generator ------------------------------------------------------------------------ */

typedef struct rng {
  uint64_t s;
  int have;
  double spare;
} rng;

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A generator for the key (a, b, c): its own stream, independent of every other key. */
static void rng_key(rng *g, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = a;
  x = splitmix(&x) ^ b;
  x = splitmix(&x) ^ c;
  g->s = splitmix(&x) | 1;
  g->have = 0;
}

static double rng_uniform(rng *g) { /* xorshift64*, in (0, 1) */
  g->s ^= g->s >> 12;
  g->s ^= g->s << 25;
  g->s ^= g->s >> 27;
  return ((double)((g->s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(rng *g) { /* Box-Muller, both values used */
  if (g->have) {
    g->have = 0;
    return g->spare;
  }
  double u = rng_uniform(g), v = rng_uniform(g), r = sqrt(-2.0 * log(u));
  g->spare = r * sin(2.0 * M_PI * v);
  g->have = 1;
  return r * cos(2.0 * M_PI * v);
}

/* ---- histories ---------------------------------------------------------------------------- */

static char g_dir[256];
static int g_files;

static void die(const char *what, const qb_err *err) {
  fprintf(stderr, "bench_verdict: %s: %s\n", what, err ? err->msg : "failed");
  exit(1);
}

/* One history: a store, the seed and tau its runs are drawn with, and the ids of main's runs
 * by index (1-based, as in the scenarios). */
typedef struct hist {
  char path[300];
  qb_store *s;
  uint64_t seed;
  double tau;
  double level[N_BENCH];
  int64_t id[MAX_RUNS + 1];
  int n; /* runs of main stored */
} hist;

static void hist_open(hist *h) {
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&h->s, h->path, QB_STORE_CREATE, &err)) die(h->path, &err);
}

/* A new empty history in a fresh database. */
static void hist_new(hist *h, uint64_t seed, double tau) {
  memset(h, 0, sizeof *h);
  snprintf(h->path, sizeof h->path, "%s/h%d.db", g_dir, g_files++);
  h->seed = seed;
  h->tau = tau;
  rng g;
  rng_key(&g, seed, 0xffffffffu, 0);
  for (int b = 0; b < N_BENCH; b++) h->level[b] = 1e3 * pow(10.0, 3.0 * rng_uniform(&g));
  hist_open(h);
}

static void copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = -1;
  if (in < 0) return; /* no WAL left behind: nothing to copy */
  if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) die(to, NULL);
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) die(to, NULL);
  close(in);
  close(out);
}

/* Close h's store (it is reopened by hist_fork's copies, never again itself). */
static void hist_freeze(hist *h) {
  qb_store_close(h->s);
  h->s = NULL;
}

/* Reopen a frozen history to go on with it. */
static void hist_thaw(hist *h) {
  hist_open(h);
}

/* A copy of the frozen history src that goes on by itself. */
static void hist_fork(const hist *src, hist *dst) {
  char a[320], b[320];
  *dst = *src;
  snprintf(dst->path, sizeof dst->path, "%s/h%d.db", g_dir, g_files++);
  copy_file(src->path, dst->path);
  snprintf(a, sizeof a, "%s-wal", src->path);
  snprintf(b, sizeof b, "%s-wal", dst->path);
  copy_file(a, b);
  hist_open(dst);
}

static void hist_drop(hist *h) {
  char p[320];
  if (h->s) qb_store_close(h->s);
  h->s = NULL;
  unlink(h->path);
  snprintf(p, sizeof p, "%s-wal", h->path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", h->path);
  unlink(p);
}

/* Store run `r` (1-based) of branch (stream 0 for main, another for each other branch) at
 * time T0 + at hours, with log steps step[b] (NULL: none), and run the after-ingest step.
 * Returns its id. */
static int64_t hist_add(hist *h, const char *branch, int stream, int r, double at,
                        const double *step) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = qb_run_new();
  if (!run) die("qb_run_new", NULL);
  char sha[41];
  snprintf(sha, sizeof sha, "%016llx%016llx%08x", (unsigned long long)h->seed,
           (unsigned long long)(stream * 1000 + r), (unsigned)g_files);
  if (qb_run_set_str(&run->project, PROJECT, &err) || qb_run_set_str(&run->branch, branch, &err) ||
      qb_run_set_str(&run->machine, "m", &err) || qb_run_set_str(&run->format, "native", &err) ||
      qb_run_set_str(&run->commit_sha, sha, &err))
    die("run", &err);
  run->started_at = T0 + (int64_t)(at * (double)HOUR);
  run->commit_time = run->started_at - 60000000LL;
  snprintf(run->content_hash, sizeof run->content_hash, "%016llx%016llx%032d",
           (unsigned long long)h->seed, (unsigned long long)(stream * 1000 + r),
           (int)(h->tau * 1e4));
  double x[N_SAMPLES];
  for (int b = 0; b < N_BENCH; b++) {
    char name[16];
    qb_bench *bench;
    qb_result *res;
    snprintf(name, sizeof name, "b%03d", b);
    if (qb_run_add_bench(run, name, NULL, &bench, &err) ||
        qb_bench_add_result(bench, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err))
      die("run", &err);
    rng g;
    rng_key(&g, h->seed, (uint64_t)(stream * 1000 + r), (uint64_t)b);
    double level = h->level[b] * exp(h->tau * rng_normal(&g) + (step ? step[b] : 0));
    for (int i = 0; i < N_SAMPLES; i++) x[i] = level * exp(h->tau * rng_normal(&g));
    if (qb_result_set_samples(res, x, NULL, N_SAMPLES, &err)) die("samples", &err);
  }
  qb_ingest_result ir;
  qb_after_ingest after;
  if (qb_ingest_finish("bench_verdict", run, NULL, &err) || qb_ingest_store(h->s, run, &ir, &err))
    die("ingest", &err);
  if (ir.existed) die("ingest: the same content hash twice", NULL);
  if (qb_after_ingest_run(h->s, ir.run_id, &after, &err)) die("after ingest", &err);
  qb_after_ingest_dispose(&after);
  qb_run_free(run);
  return ir.run_id;
}

/* Store main's next run (index h->n + 1, at hour h->n + 1). */
static int64_t hist_next(hist *h, const double *step) {
  int r = ++h->n;
  if (r > MAX_RUNS) die("too many runs", NULL);
  return h->id[r] = hist_add(h, "main", 0, r, r, step);
}

/* The compare of run id with its rule baseline (base_branch: rule 2 when not NULL). */
static qb_compare *compare(hist *h, int64_t id, const char *base_branch) {
  char ref[32];
  snprintf(ref, sizeof ref, "%lld", (long long)id);
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  o.project = PROJECT;
  o.base.base_branch = base_branch;
  qb_compare *c;
  qb_err err = QB_ERR_INIT;
  if (qb_compare_runs(h->s, ref, &o, &c, &err)) die("compare", &err);
  return c;
}

static const qb_compare_row *row_of(const qb_compare *c, int b) {
  char name[16];
  snprintf(name, sizeof name, "b%03d", b);
  for (size_t i = 0; i < c->n_rows; i++)
    if (!strcmp(c->rows[i].benchmark, name)) return &c->rows[i];
  die("no row", NULL);
  return NULL;
}

static int flagged(const qb_compare_row *r) {
  return r->verdict == QB_VERDICT_REGRESSION || r->verdict == QB_VERDICT_IMPROVEMENT;
}

/* 1 when a regression record of benchmark b's series begins at run `run`; *near counts one
 * within two runs of it instead (same series, kind regression). */
static int has_record(hist *h, int b, int64_t run, int *near) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  f.project = PROJECT;
  f.kind = "regression";
  f.active_only = 1;
  qb_regression *regs;
  size_t n;
  qb_err err = QB_ERR_INIT;
  if (qb_store_regressions_list(h->s, &f, &regs, &n, &err)) die("regressions", &err);
  char name[16];
  snprintf(name, sizeof name, "b%03d", b);
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(regs[i].series.bench, name) != 0 || strcmp(regs[i].series.branch, "main") != 0)
      continue;
    if (regs[i].run_id == run)
      found = 1;
    else if (near && llabs(regs[i].run_id - run) <= 2)
      *near = 1;
  }
  qb_regressions_free(regs, n);
  return found;
}

/* Change-point records (either kind) of every series of h. */
static size_t count_records(hist *h) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  f.project = PROJECT;
  f.active_only = 1;
  qb_regression *regs;
  size_t n;
  qb_err err = QB_ERR_INIT;
  if (qb_store_regressions_list(h->s, &f, &regs, &n, &err)) die("regressions", &err);
  qb_regressions_free(regs, n);
  return n;
}

/* x with erfc(x) = y, 0 < y < 1 (bisection; for the printed bounds only). */
static double erfcinv_approx(double y) {
  double lo = 0, hi = 10;
  for (int i = 0; i < 100; i++) {
    double mid = (lo + hi) / 2;
    if (erfc(mid) > y)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

/* ---- the table ---------------------------------------------------------------------------- */

static int g_pass, g_miss;
static int g_verbose; /* QB_VERDICT_VERBOSE=1: every false flag of A, D, E */

/* One row: what, how many compares (or histories), benchmark-compares, flagged, and the target
 * (at_most: rate <= target, else rate >= target; target < 0: no target, information only). */
static void row(const char *what, long compares, long units, long hits, double target,
                int at_most) {
  double rate = units ? 100.0 * (double)hits / (double)units : NAN;
  char tgt[48] = "-";
  const char *res = "";
  if (target >= 0) {
    snprintf(tgt, sizeof tgt, "%s %g%%", at_most ? "<=" : ">=", target);
    int ok = at_most ? rate <= target : rate >= target;
    res = ok ? "PASS" : "MISS";
    *(ok ? &g_pass : &g_miss) += 1;
  }
  printf("%-44s %8ld %9ld %7ld %7.2f%% %9s  %s\n", what, compares, units, hits, rate, tgt, res);
}

static void header(const char *title) {
  printf("\n%s\n%-44s %8s %9s %7s %8s %9s  %s\n", title, "scenario", "compares", "bench-cmp",
         "flagged", "rate", "target", "");
}

/* With QB_VERDICT_VERBOSE: one line about a row flagged without a change. */
static void show_flag(const char *tag, int history, int run, const qb_compare_row *r) {
  if (!g_verbose) return;
  printf("    %s false flag: history %d run %d %s %s %+.2f%% (threshold %.2f%%): segment %d "
         "runs, noise sigma %.2f%% df %.1f, noise p %.2g (adj. %.2g), MWU p %.2g (adj. %.2g)\n",
         tag, history, run, r->benchmark, qb_verdict_name(r->verdict), r->change_pct,
         r->threshold_pct, r->history_runs, r->noise_sigma, r->noise_df, r->noise_p,
         r->noise_p_adjusted, r->p_value, r->p_adjusted);
}

/* ---- A: flat histories -------------------------------------------------------------------- */

static void scenario_a(double tau, int histories) {
  long compares = 0, units = 0, hits = 0, cmp_hits = 0, unk_cmp = 0, unk_rows = 0, unk_hits = 0;
  long known_rows = 0, known_hits = 0, records = 0;
  double band_sum = 0;
  for (int k = 0; k < histories; k++) {
    hist h;
    hist_new(&h, 1000 + (uint64_t)k, tau);
    for (int i = 1; i <= 60; i++) {
      hist_next(&h, NULL);
      if (i < 11) continue;
      qb_compare *c = compare(&h, h.id[i], NULL);
      if (c->baseline.runs[0] != h.id[i - 1]) die("A: the baseline is not the previous run", NULL);
      long f = 0, u = 0;
      for (size_t j = 0; j < c->n_rows; j++) {
        const qb_compare_row *r = &c->rows[j];
        f += flagged(r);
        if (flagged(r)) show_flag("A", k, i, r);
        if (r->noise_known) {
          known_rows++;
          known_hits += flagged(r);
          band_sum += r->threshold_pct;
        } else {
          u++;
          unk_hits += flagged(r);
        }
      }
      compares++;
      units += (long)c->n_rows;
      hits += f;
      cmp_hits += f > 0;
      unk_cmp += u > 0;
      unk_rows += u;
      qb_compare_free(c);
    }
    records += (long)count_records(&h);
    hist_drop(&h);
  }
  char what[64];
  snprintf(what, sizeof what, "A flat tau=%g%%: benchmark-compares flagged", tau * 100);
  row(what, compares, units, hits, 1, 1);
  snprintf(what, sizeof what, "A flat tau=%g%%: compares flagging anything", tau * 100);
  row(what, compares, compares, cmp_hits, 5, 1);
  snprintf(what, sizeof what, "A   rows with noise known: flagged");
  row(what, compares, known_rows, known_hits, -1, 0);
  snprintf(what, sizeof what, "A   rows with noise unknown: flagged");
  row(what, unk_cmp, unk_rows, unk_hits, -1, 0);
  printf("  A tau=%g%%: %d histories of 60 runs; compares with a noise-unknown row: %ld of %ld; "
         "mean threshold of noise-known rows %.1f%%; change points stored in flat series: %ld "
         "(of %d series)\n",
         tau * 100, histories, unk_cmp, compares, known_rows ? band_sum / (double)known_rows : NAN,
         records, histories * N_BENCH);
}

/* ---- B and C: steps ----------------------------------------------------------------------- */

/* The stepped benchmarks of a history with `many` steps: 1 or 10, chosen from the seed. */
static int stepped(uint64_t seed, int many, int *out) {
  int n = many ? 10 : 1, first = (int)(seed % N_BENCH);
  for (int i = 0; i < n; i++) out[i] = (first + 10 * i) % N_BENCH;
  return n;
}

typedef struct step_tally {
  long seeds, units, cmp, rec5, rec10, near5, near10; /* near: 1-2 runs off, none at it */
  long others, other_hits; /* unstepped rows of the compare of the step */
  long bh_only;            /* stepped rows the rule (BH noise p, MWU, > 1%) flags,
                              recomputed from the rows' fields */
  double band_sum;         /* threshold_pct of the stepped rows (the band at alpha / rows) */
} step_tally;

/* The compare of run `at` and the records after 5 and 10 more runs, for the stepped
 * benchmarks bs[0..n) of h (its run `at` just stored); further runs carry `level`. */
static void judge_step(hist *h, int at, const int *bs, int n, const double *level, step_tally *t) {
  int is[N_BENCH] = {0};
  for (int i = 0; i < n; i++) is[bs[i]] = 1;
  qb_compare *c = compare(h, h->id[at], NULL);
  if (c->baseline.runs[0] != h->id[at - 1]) die("B: the baseline is not the previous run", NULL);
  for (int b = 0; b < N_BENCH; b++) {
    const qb_compare_row *r = row_of(c, b);
    if (!is[b]) {
      t->others++;
      t->other_hits += flagged(r);
      continue;
    }
    t->units++;
    t->cmp += r->verdict == QB_VERDICT_REGRESSION;
    t->band_sum += r->threshold_pct;
    t->bh_only +=
        r->noise_known && r->noise_p_adjusted <= r->alpha && r->significant && r->change_pct > 1.0;
  }
  qb_compare_free(c);
  for (int k = 1; k <= 10; k++) {
    hist_next(h, level);
    if (k != 5 && k != 10) continue;
    for (int i = 0; i < n; i++) {
      int near = 0, found = has_record(h, bs[i], h->id[at], &near);
      *(k == 5 ? &t->rec5 : &t->rec10) += found;
      *(k == 5 ? &t->near5 : &t->near10) += near && !found;
    }
  }
  t->seeds++;
}

static void step_rows(const char *tag, double tau, double k, const step_tally *t) {
  char what[80];
  snprintf(what, sizeof what, "%s k=%-4g (%4.1f%%) (i) compare flags it", tag, k,
           (exp(k * tau) - 1) * 100);
  row(what, t->seeds, t->units, t->cmp, 95, 0);
  snprintf(what, sizeof what, "%s k=%-4g (ii) change point, +5 runs", tag, k);
  row(what, t->seeds, t->units, t->rec5, 95, 0);
  snprintf(what, sizeof what, "%s k=%-4g (ii) change point, +10 runs", tag, k);
  row(what, t->seeds, t->units, t->rec10, 95, 0);
}

/* The power of the ideal test of one compare (sigma known, normal): the step is k tau against
 * a difference of two run centres with sd tau sqrt(2) sqrt(1 + pi / (2 n)) (the drift and the
 * sampling error of a median of n samples); two-sided at level a. */
static double ideal_power(double k, double a) {
  double sd = sqrt(2.0) * sqrt(1.0 + M_PI / (2.0 * N_SAMPLES));
  double z = sqrt(2.0) * erfcinv_approx(a);
  return 50.0 * erfc(-(k / sd - z) / sqrt(2.0));
}

static void step_notes(const char *tag, double k, const step_tally *t) {
  printf("  %s k=%-2g: band at alpha/rows (mean) %5.1f%%; BH rule from the rows' fields %3.0f%%; "
         "ideal test %3.0f%% (alone) %3.0f%% (alpha/100); cp only 1-2 runs off +5 %ld +10 %ld; "
         "other rows flagged %ld of %ld\n",
         tag, k, t->band_sum / (double)t->units, 100.0 * (double)t->bh_only / (double)t->units,
         ideal_power(k, 0.05), ideal_power(k, 0.05 / N_BENCH), t->near5, t->near10, t->other_hits,
         t->others);
}

/* Smallest k of ks[0..n) from which every larger size reaches 95%, or -1. */
static double reach(const double *ks, const double *rates, int n) {
  double at = -1;
  for (int i = n - 1; i >= 0 && rates[i] >= 95.0; i--) at = ks[i];
  return at;
}

static void print_reach(const char *tag, const double *ks, int n, const step_tally *t) {
  double r[3][16];
  for (int i = 0; i < n; i++) {
    r[0][i] = 100.0 * (double)t[i].cmp / (double)t[i].units;
    r[1][i] = 100.0 * (double)t[i].rec5 / (double)t[i].units;
    r[2][i] = 100.0 * (double)t[i].rec10 / (double)t[i].units;
  }
  const char *names[3] = {"(i) compare", "(ii) +5 runs", "(ii) +10 runs"};
  printf("  %s: 95%% reached from", tag);
  for (int j = 0; j < 3; j++) {
    double at = reach(ks, r[j], n);
    if (at < 0)
      printf("%s %s: not within k <= %g", j ? ";" : "", names[j], ks[n - 1]);
    else
      printf("%s %s: k = %g", j ? ";" : "", names[j], at);
  }
  printf("\n");
}

static const double KS[] = {3, 4, 5, 6, 8, 10, 12, 16};
enum { N_KS = sizeof KS / sizeof KS[0] };

static void scenario_bc(double tau, int seeds, int with_c) {
  static step_tally b1[N_KS], b10[N_KS], c1[N_KS];
  memset(b1, 0, sizeof b1);
  memset(b10, 0, sizeof b10);
  memset(c1, 0, sizeof c1);
  for (int sd = 0; sd < seeds; sd++) {
    hist base;
    hist_new(&base, 2000 + (uint64_t)sd, tau);
    for (int i = 1; i <= 20; i++) hist_next(&base, NULL);
    hist_freeze(&base);
    for (int many = 0; many < 2; many++)
      for (int ki = 0; ki < N_KS; ki++) {
        int bs[10], n = stepped(base.seed, many, bs);
        double step[N_BENCH] = {0};
        for (int i = 0; i < n; i++) step[bs[i]] = KS[ki] * tau;
        hist h;
        hist_fork(&base, &h);
        hist_next(&h, step);
        judge_step(&h, 21, bs, n, step, many ? &b10[ki] : &b1[ki]);
        hist_drop(&h);
      }
    if (with_c) {
      int bs[1], n = stepped(base.seed, 0, bs);
      double first[N_BENCH] = {0};
      first[bs[0]] = 10 * tau;
      hist cb;
      hist_fork(&base, &cb);
      while (cb.n < 40) hist_next(&cb, first);
      hist_freeze(&cb);
      for (int ki = 0; ki < N_KS; ki++) {
        double step[N_BENCH] = {0};
        step[bs[0]] = (10 + KS[ki]) * tau;
        hist h;
        hist_fork(&cb, &h);
        hist_next(&h, step);
        judge_step(&h, 41, bs, n, step, &c1[ki]);
        hist_drop(&h);
      }
      hist_drop(&cb);
    }
    hist_drop(&base);
  }
  char tag[32];
  snprintf(tag, sizeof tag, "B 1 bench  tau=%g%%", tau * 100);
  for (int ki = 0; ki < N_KS; ki++) step_rows(tag, tau, KS[ki], &b1[ki]);
  snprintf(tag, sizeof tag, "B 10 bench tau=%g%%", tau * 100);
  for (int ki = 0; ki < N_KS; ki++) step_rows(tag, tau, KS[ki], &b10[ki]);
  if (with_c) {
    snprintf(tag, sizeof tag, "C 2nd step tau=%g%%", tau * 100);
    for (int ki = 0; ki < N_KS; ki++) step_rows(tag, tau, KS[ki], &c1[ki]);
  }
  for (int ki = 0; ki < N_KS; ki++) step_notes("B 1 bench ", KS[ki], &b1[ki]);
  for (int ki = 0; ki < N_KS; ki++) step_notes("B 10 bench", KS[ki], &b10[ki]);
  if (with_c)
    for (int ki = 0; ki < N_KS; ki++) step_notes("C 2nd step", KS[ki], &c1[ki]);
  print_reach("B 1 bench ", KS, N_KS, b1);
  print_reach("B 10 bench", KS, N_KS, b10);
  if (with_c) print_reach("C 2nd step", KS, N_KS, c1);
}

/* ---- D: a pull request -------------------------------------------------------------------- */

static void scenario_d(double tau, int seeds) {
  long major = 0, rule = 0, row_major = 0, quiet = 0, quiet_rows = 0;
  double band_sum = 0;
  for (int sd = 0; sd < seeds; sd++) {
    hist base;
    hist_new(&base, 3000 + (uint64_t)sd, tau);
    for (int i = 1; i <= 10; i++) hist_next(&base, NULL);
    hist_freeze(&base);
    for (int change = 0; change < 2; change++) {
      int b = (int)(base.seed % N_BENCH);
      double step[N_BENCH] = {0};
      if (change) step[b] = log(1.20);
      hist h;
      hist_fork(&base, &h);
      int64_t id = hist_add(&h, "feature/x", 1 + change, 1, 10.5, step);
      qb_compare *c = compare(&h, id, "main");
      if (change) {
        int is_rule = !strcmp(c->baseline.rule, "base-branch");
        const qb_compare_row *r = row_of(c, b);
        major += c->worst_regression >= QB_SEV_MAJOR && is_rule;
        rule += is_rule;
        row_major += r->verdict == QB_VERDICT_REGRESSION && r->severity >= QB_SEV_MAJOR;
        band_sum += r->threshold_pct;
      } else {
        int any = 0;
        for (size_t j = 0; j < c->n_rows; j++) {
          int m =
              c->rows[j].verdict == QB_VERDICT_REGRESSION && c->rows[j].severity >= QB_SEV_MAJOR;
          any |= m;
          quiet_rows += m;
          if (flagged(&c->rows[j])) show_flag("D", sd, 11, &c->rows[j]);
        }
        quiet += !any && c->worst_regression < QB_SEV_MAJOR;
      }
      qb_compare_free(c);
      hist_drop(&h);
    }
    hist_drop(&base);
  }
  char what[80];
  snprintf(what, sizeof what, "D PR tau=%g%% +20%%: worst >= major, base-branch", tau * 100);
  row(what, seeds, seeds, major, 100, 0);
  snprintf(what, sizeof what, "D PR tau=%g%% +20%%: rule is base-branch", tau * 100);
  row(what, seeds, seeds, rule, 100, 0);
  snprintf(what, sizeof what, "D PR tau=%g%% no change: no regression >= major", tau * 100);
  row(what, seeds, seeds, quiet, 100, 0);
  printf("  D tau=%g%%: the stepped row itself a regression >= major in %ld of %d; its mean "
         "threshold %.1f%%; rows >= major without a change: %ld\n",
         tau * 100, row_major, seeds, band_sum / seeds, quiet_rows);
}

/* ---- E: short histories ------------------------------------------------------------------- */

static const int NS[] = {3, 4, 5, 6, 7, 8, 10, 12, 15, 20};
enum { N_NS = sizeof NS / sizeof NS[0] };

/* Main with N flat runs, then run N + 1 with +20% on one benchmark: is it flagged, and how
 * often are the 99 unchanged rows flagged (the false alarms of a short history)? */
static void scenario_e(double tau, int seeds) {
  long hit[N_NS] = {0}, known[N_NS] = {0}, others[N_NS] = {0}, ohits[N_NS] = {0};
  long ocmp[N_NS] = {0}, ounk[N_NS] = {0};
  double band[N_NS] = {0};
  for (int sd = 0; sd < seeds; sd++) {
    hist base;
    hist_new(&base, 4000 + (uint64_t)sd, tau);
    int b = (int)(base.seed % N_BENCH);
    for (int ni = 0; ni < N_NS; ni++) {
      while (base.n < NS[ni]) hist_next(&base, NULL);
      hist_freeze(&base);
      double step[N_BENCH] = {0};
      step[b] = log(1.20);
      hist h;
      hist_fork(&base, &h);
      hist_next(&h, step);
      qb_compare *c = compare(&h, h.id[h.n], NULL);
      long f = 0;
      for (int j = 0; j < N_BENCH; j++) {
        const qb_compare_row *r = row_of(c, j);
        if (j == b) {
          hit[ni] += r->verdict == QB_VERDICT_REGRESSION;
          known[ni] += r->noise_known;
          band[ni] += r->threshold_pct;
        } else {
          others[ni]++;
          ounk[ni] += !r->noise_known;
          f += flagged(r);
          if (flagged(r)) show_flag("E", sd, NS[ni] + 1, r);
        }
      }
      ohits[ni] += f;
      ocmp[ni] += f > 0;
      qb_compare_free(c);
      hist_drop(&h);
      hist_thaw(&base);
    }
    hist_drop(&base);
  }
  for (int ni = 0; ni < N_NS; ni++) {
    char what[80];
    snprintf(what, sizeof what, "E tau=%g%% N=%-2d +20%% on one: flagged", tau * 100, NS[ni]);
    row(what, seeds, seeds, hit[ni], -1, 0);
    snprintf(what, sizeof what, "E tau=%g%% N=%-2d 99 unchanged: flagged", tau * 100, NS[ni]);
    row(what, seeds, others[ni], ohits[ni], 1, 1);
    snprintf(what, sizeof what, "E tau=%g%% N=%-2d compares with a false flag", tau * 100, NS[ni]);
    row(what, seeds, seeds, ocmp[ni], 5, 1);
    printf("  E tau=%g%% N=%d: the stepped row's noise known in %ld of %d, its threshold (mean) "
           "%.1f%%; unchanged rows with noise unknown: %ld\n",
           tau * 100, NS[ni], known[ni], seeds, band[ni] / seeds, ounk[ni]);
  }
}

/* ---- F: the noise test alone -------------------------------------------------------------- */

/* analysis/noise.h on flat series of n centres (log-normal, sd 2%): how often the next run's
 * p against the newest is <= 0.05, 0.01 and 5e-4 (alpha / 100), and the mean sigma. Pure
 * functions, no store: whether the test keeps its level. */
static void scenario_f(void) {
  static const int ns[] = {5, 6, 8, 10, 15, 20, 30};
  enum { TRIALS = 100000 };
  printf("\nF. the noise test alone (analysis/noise.h): %d flat series per length, sd 2%%, next "
         "run against the newest\n",
         TRIALS);
  for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
    int n = ns[k];
    long c05 = 0, c01 = 0, c5e4 = 0;
    double ssig = 0, df = NAN;
    for (int t = 0; t < TRIALS; t++) {
      rng g;
      rng_key(&g, 5000 + (uint64_t)n, (uint64_t)t, 0);
      double x[64];
      for (int i = 0; i <= n; i++) x[i] = exp(0.02 * rng_normal(&g));
      qb_noise no;
      qb_err err = QB_ERR_INIT;
      if (qb_noise_estimate(x, (size_t)n, &no, &err)) die("noise", &err);
      double p = qb_noise_p(x[n - 1], x[n], 1, &no);
      c05 += p <= 0.05;
      c01 += p <= 0.01;
      c5e4 += p <= 5e-4;
      ssig += no.sigma;
      df = no.df;
    }
    qb_noise at2 = {(size_t)n, 0.02, df};
    printf("  F n=%-2d (df %4.1f): P(p <= 0.05) %.4f, P(p <= 0.01) %.4f, P(p <= 5e-4) %.5f; "
           "mean sigma %.2f%%; band at 5e-4 for sigma 2%%: %.1f%%\n",
           n, df, (double)c05 / TRIALS, (double)c01 / TRIALS, (double)c5e4 / TRIALS,
           100 * ssig / TRIALS, qb_noise_band(5e-4, 1, &at2));
  }
}

int main(int argc, char **argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 40;
  g_verbose = getenv("QB_VERDICT_VERBOSE") && atoi(getenv("QB_VERDICT_VERBOSE")) > 0;
  if (seeds < 1) seeds = 1;
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(g_dir, sizeof g_dir, "%s/qbdb-verdict-XXXXXX", tmp);
  if (!mkdtemp(g_dir)) die(g_dir, NULL);
  double t0 = now_s();
  printf("bench_verdict: %d benchmarks x %d samples per run; drift = within-run noise = tau; "
         "default settings (alpha 0.05, threshold 1%%, noise_runs 5, noise_unknown 10%%)\n",
         N_BENCH, N_SAMPLES);
  const char *which = argc > 2 ? argv[2] : "ABCDEF";
  int a_hist = seeds / 4 > 0 ? seeds / 4 : 1;
  if (strchr(which, 'A')) {
    header("A. flat histories (60 runs; runs 11..60 compared with the previous run)");
    scenario_a(0.02, a_hist);
    scenario_a(0.05, a_hist);
  }
  double ta = now_s();
  if (strchr(which, 'B') || strchr(which, 'C')) {
    header("B/C. steps of k tau (B: at run 21 after 20 flat runs; C: at run 41, 20 runs after "
           "a 10 tau step)");
    printf("  %d seeds per size\n", seeds);
    scenario_bc(0.02, seeds, strchr(which, 'C') != NULL);
  }
  double tb = now_s();
  if (strchr(which, 'B')) {
    header("B. steps at tau = 5%");
    scenario_bc(0.05, seeds, 0);
  }
  double tb5 = now_s();
  if (strchr(which, 'D')) {
    header("D. pull request: feature/x (one run) against main (10 runs), base_branch = main");
    scenario_d(0.02, seeds);
    scenario_d(0.05, seeds);
  }
  double td = now_s();
  if (strchr(which, 'E')) {
    header("E. short histories: N flat runs on main, then +20% on one benchmark in run N + 1");
    scenario_e(0.02, seeds);
    scenario_e(0.05, seeds);
  }
  if (strchr(which, 'F')) scenario_f();
  double te = now_s();
  printf("\n%d PASS, %d MISS; %.1f s (A %.1f s, B/C 2%% %.1f s, B 5%% %.1f s, D %.1f s, E/F "
         "%.1f s)\n",
         g_pass, g_miss, te - t0, ta - t0, tb - ta, tb5 - tb, td - tb5, te - td);
  rmdir(g_dir);
  return 0;
}

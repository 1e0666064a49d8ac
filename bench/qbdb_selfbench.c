/* bench/qbdb_selfbench.c - qbdb measuring itself with its own runner (docs/selfbench.md).
 *
 * One qbr program (runner/qbdb_runner.h) linked with qbdb_lib: the C code the earlier benchmark
 * programs time (bench_ingest, bench_compare, bench_changepoint), as benchmarks whose results
 * `qbdb ingest` stores, so qbdb's own history lives in a qbdb database and `qbdb compare` tells
 * whether a change made qbdb slower. What one iteration is:
 *
 *   parse/<format>      qb_adapter_parse_bytes (parse, convert, sha256) of a real file from
 *                       tests/data, read once in setup; throughput in B/s of that file. Formats:
 *                       pytest, criterion-text, native, google-benchmark, hyperfine, go.
 *   parse/pytest-large  the same on a generated pytest-benchmark JSON file of 100 benchmarks x
 *                       1000 raw samples (deterministic, ~2.4 MB).
 *   ingest/pytest       `qbdb ingest FILE` into a new database: qb_ingest_prepare of a generated
 *                       100 x 100-sample pytest file (read, parse, validate, describe, hash),
 *                       qb_store_open with QB_STORE_CREATE (schema and migrations), one
 *                       qb_ingest_store transaction, close, and unlink of the database files.
 *                       A fresh database each iteration, so the idempotency check (same content
 *                       hash = already stored) never short-cuts the work; throughput in B/s of
 *                       the file and in raw samples/s.
 *   mwu/n=N             qb_mwu on two seeded samples of N values each (N = 50: exact p).
 *   shift/n=N           qb_hodges_lehmann (estimate and 95% interval) on the same samples.
 *   compare/benchmarks=B  qb_compare_runs between two stored runs of B benchmarks x 100 raw
 *                       samples (every tenth benchmark 5% slower in the second); the database is
 *                       built once in setup.
 *   changepoint/n=N     qb_changepoints on a seeded benchmark-like series of N points.
 *   changepoint-update/n=N  qb_changepoints_update after one new point (the prefix's change
 *                       points computed in setup).
 *
 * Defaults that differ from the runner's (prepended to argv, so flags given win):
 * --project qbdb --samples 50 --warmup 2 --time-budget 2. Temporary files go to a fresh
 * directory under $TMPDIR (else /tmp), removed by each benchmark's teardown.
 * Usage: qbdb_selfbench [qbr flags: --filter RE --samples N --out FILE --commit SHA ...] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "analysis/changepoint.h"
#include "analysis/mwu.h"
#include "analysis/shift.h"
#include "service/compare.h"
#include "bench/bench_util.h"
#include "core/buf.h"
#include "ingest/ingest.h"
#include "runner/qbdb_runner.h"

#ifndef QB_SOURCE_DIR
#define QB_SOURCE_DIR "."
#endif

#define DIR_LEN  512            /* a temporary directory's path */
#define FILE_LEN (DIR_LEN + 64) /* a file in it */
#define SIDE_LEN (FILE_LEN + 8) /* its -wal / -shm companion */

/* ---- helpers ------------------------------------------------------------------------------- */

/* Seed the bench generator (bench/bench_util.h), so each benchmark's input is the same in every
 * run whatever ran before it. */
static void seed(uint64_t s) {
  bench_rng = s ? s : 0x9e3779b97f4a7c15ULL;
}

/* A standard normal deviate from the bench generator (Box-Muller). */
static double gauss(void) {
  double u = uniform(), v = uniform();
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Make a new empty directory under $TMPDIR (else /tmp) into dir; 0 or -1 (reported). */
static int make_tmpdir(char *dir, size_t size) {
  const char *base = getenv("TMPDIR");
  snprintf(dir, size, "%s/qbdb-selfbench-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(dir)) {
    perror(dir);
    return -1;
  }
  return 0;
}

/* Remove a SQLite database file and its -wal / -shm companions. */
static void remove_db(const char *path) {
  char side[SIDE_LEN];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
}

/* Read a whole file (NUL-terminated) into *data / *len; 0 or -1 (reported). Caller frees. */
static int read_all(const char *path, char **data, size_t *len) {
  qb_err err = QB_ERR_INIT;
  if (qb_file_read(path, QB_ADAPTER_MAX_FILE, data, len, &err)) {
    fprintf(stderr, "qbdb_selfbench: %s\n", err.msg);
    return -1;
  }
  return 0;
}

/* Fail the benchmark with err's message. */
static void fail(qbr_state *state, const qb_err *err) {
  qbr_fail(state, err->msg[0] ? err->msg : "qbdb call failed");
}

/* Every tenth benchmark 5% slower: the second run of compare/. */
static double slower_every_tenth(int b) {
  return b % 10 == 0 ? 1.05 : 1.0;
}

/* ---- parse/<format> ------------------------------------------------------------------------ */

typedef struct parse_case {
  const char *file; /* under tests/data, or NULL: generated (pytest-large) */
  qb_format fmt;
  char *data; /* the content, read in setup */
  size_t len;
} parse_case;

/* Read (or generate) the input once and check that it parses. */
static int parse_setup(qbr_state *state) {
  parse_case *c = qbr_data(state);
  char path[FILE_LEN];
  int rc = 0;
  if (c->file) {
    snprintf(path, sizeof path, "%s/tests/data/%s", QB_SOURCE_DIR, c->file);
    rc = read_all(path, &c->data, &c->len);
  } else {
    char dir[DIR_LEN];
    if (make_tmpdir(dir, sizeof dir)) return 1;
    snprintf(path, sizeof path, "%s/large.json", dir);
    seed(1);
    generate_pytest(path, 100, 1000, NULL, "5e1fbe0c0000000000000000000000000000beef");
    rc = read_all(path, &c->data, &c->len);
    unlink(path);
    rmdir(dir);
  }
  if (rc) return 1;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_adapter_parse_bytes(qbr_name(state), c->fmt, c->data, c->len, &run, &err)) {
    fprintf(stderr, "qbdb_selfbench: %s: %s\n", qbr_name(state), err.msg);
    free(c->data);
    c->data = NULL;
    return 1;
  }
  qb_run_free(run);
  qbr_set_bytes(state, c->len);
  return 0;
}

/* Free the input. */
static void parse_teardown(qbr_state *state) {
  parse_case *c = qbr_data(state);
  free(c->data);
  c->data = NULL;
}

/* One iteration: parse the content into a qb_run and free it. */
static void parse_body(qbr_state *state) {
  const parse_case *c = qbr_data(state);
  const char *name = qbr_name(state);
  QBR_LOOP(state) {
    qb_run *run = NULL;
    qb_err err = QB_ERR_INIT;
    if (qb_adapter_parse_bytes(name, c->fmt, c->data, c->len, &run, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(run);
    qb_run_free(run);
  }
}

static parse_case parse_pytest = {"pytest/run1/benchmark.json", QB_FMT_PYTEST, NULL, 0};
static parse_case parse_criterion_text = {"criterion/run1/cargo_bench.stdout.txt",
                                          QB_FMT_CRITERION_TEXT, NULL, 0};
static parse_case parse_native = {"native/full.jsonl", QB_FMT_NATIVE, NULL, 0};
static parse_case parse_gbench = {"gbench/run2_reps5_out.json", QB_FMT_GBENCH, NULL, 0};
static parse_case parse_hyperfine = {"hyperfine/run1.json", QB_FMT_HYPERFINE, NULL, 0};
static parse_case parse_go = {"go/out.txt", QB_FMT_GO, NULL, 0};
static parse_case parse_pytest_large = {NULL, QB_FMT_PYTEST, NULL, 0};

/* ---- ingest/pytest ------------------------------------------------------------------------- */

typedef struct ingest_case {
  char dir[DIR_LEN];
  char json[FILE_LEN];
  char db[FILE_LEN];
} ingest_case;

/* One ingest into a new database (what an iteration does); 0 or an error code in err. */
static int ingest_once(const ingest_case *c, qb_err *err) {
  qb_run *run = NULL;
  qb_store *store = NULL;
  qb_ingest_result res;
  qb_ingest_opts opts = QB_INGEST_OPTS_INIT;
  int rc = qb_ingest_prepare(c->json, &opts, &run, err);
  if (rc) goto done;
  if ((rc = qb_store_open(&store, c->db, QB_STORE_CREATE, err))) goto done;
  rc = qb_ingest_store(store, run, &res, err);
  if (!rc && res.existed) rc = qb_err_set(err, QB_EINTERNAL, "ingest: the database was not fresh");
done:
  if (store) qb_store_close(store);
  qb_run_free(run);
  remove_db(c->db);
  return rc;
}

/* Generate the 100 x 100-sample input file and check one ingest. */
static int ingest_setup(qbr_state *state) {
  ingest_case *c = calloc(1, sizeof *c);
  struct stat st;
  qb_err err = QB_ERR_INIT;
  if (!c || make_tmpdir(c->dir, sizeof c->dir)) {
    free(c);
    return 1;
  }
  snprintf(c->json, sizeof c->json, "%s/mid.json", c->dir);
  snprintf(c->db, sizeof c->db, "%s/ingest.db", c->dir);
  seed(2);
  generate_pytest(c->json, 100, 100, NULL, "5e1fbe0c0000000000000000000000000000cafe");
  if (stat(c->json, &st) || ingest_once(c, &err)) {
    fprintf(stderr, "qbdb_selfbench: %s: %s\n", qbr_name(state), err.msg);
    unlink(c->json); /* the teardown is not called after a failed setup */
    rmdir(c->dir);
    free(c);
    return 1;
  }
  qbr_set_data(state, c);
  qbr_set_bytes(state, (uint64_t)st.st_size);
  qbr_set_items(state, 100 * 100);
  return 0;
}

/* Remove the input and the directory. */
static void ingest_teardown(qbr_state *state) {
  ingest_case *c = qbr_data(state);
  remove_db(c->db);
  unlink(c->json);
  rmdir(c->dir);
  free(c);
}

/* One iteration: one ingest of the file into a new database (see ingest_once). */
static void ingest_body(qbr_state *state) {
  const ingest_case *c = qbr_data(state);
  QBR_LOOP(state) {
    qb_err err = QB_ERR_INIT;
    if (ingest_once(c, &err)) {
      fail(state, &err);
      return;
    }
  }
}

/* ---- mwu/n=N, shift/n=N -------------------------------------------------------------------- */

typedef struct two_samples {
  size_t n;
  double *x, *y;
} two_samples;

/* Two seeded samples of n values: x around 1000 with 2% noise, y 1% higher. */
static int two_samples_setup(qbr_state *state) {
  two_samples *t = calloc(1, sizeof *t);
  int64_t n = qbr_param_int(state, "n");
  if (!t || n < 1) {
    free(t);
    return 1;
  }
  t->n = (size_t)n;
  t->x = malloc(t->n * sizeof *t->x);
  t->y = malloc(t->n * sizeof *t->y);
  if (!t->x || !t->y) {
    free(t->x);
    free(t->y);
    free(t);
    return 1;
  }
  seed(3 + (uint64_t)n);
  for (size_t i = 0; i < t->n; i++) t->x[i] = 1000 * (1 + 0.02 * gauss());
  for (size_t i = 0; i < t->n; i++) t->y[i] = 1010 * (1 + 0.02 * gauss());
  qbr_set_data(state, t);
  return 0;
}

/* Free the samples. */
static void two_samples_teardown(qbr_state *state) {
  two_samples *t = qbr_data(state);
  free(t->x);
  free(t->y);
  free(t);
}

/* One iteration: the Mann-Whitney U test of x against y (unsorted input, as compare has it). */
static void mwu_body(qbr_state *state) {
  const two_samples *t = qbr_data(state);
  QBR_LOOP(state) {
    qb_mwu_result r;
    qb_err err = QB_ERR_INIT;
    if (qb_mwu(t->x, t->n, t->y, t->n, &r, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(&r);
  }
}

/* One iteration: the Hodges-Lehmann shift of y against x with its 95% interval. */
static void shift_body(qbr_state *state) {
  const two_samples *t = qbr_data(state);
  QBR_LOOP(state) {
    qb_shift r;
    qb_err err = QB_ERR_INIT;
    if (qb_hodges_lehmann(t->x, t->n, t->y, t->n, 0.95, &r, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(&r);
  }
}

/* ---- compare/benchmarks=B ------------------------------------------------------------------ */

typedef struct compare_case {
  char dir[DIR_LEN];
  char db[FILE_LEN];
  qb_store *store;
} compare_case;

/* Generate two pytest files of B benchmarks x 100 samples and ingest them into a new database,
 * as runs 1 and 2; the files are removed, the store stays open. */
static int compare_setup(qbr_state *state) {
  compare_case *c = calloc(1, sizeof *c);
  int n_bench = (int)qbr_param_int(state, "benchmarks");
  char a[FILE_LEN], b[FILE_LEN];
  const char *paths[2] = {a, b};
  qb_err err = QB_ERR_INIT;
  int rc = -1;
  if (!c || n_bench < 1 || make_tmpdir(c->dir, sizeof c->dir)) {
    free(c);
    return 1;
  }
  snprintf(c->db, sizeof c->db, "%s/compare.db", c->dir);
  snprintf(a, sizeof a, "%s/a.json", c->dir);
  snprintf(b, sizeof b, "%s/b.json", c->dir);
  seed(4);
  generate_pytest(a, n_bench, 100, NULL, "aaaa000000000000000000000000000000000000");
  generate_pytest(b, n_bench, 100, slower_every_tenth, "bbbb000000000000000000000000000000000000");
  if (qb_store_open(&c->store, c->db, QB_STORE_CREATE, &err)) goto done;
  for (int i = 0; i < 2; i++) {
    qb_run *run = NULL;
    qb_ingest_result res;
    qb_ingest_opts opts = QB_INGEST_OPTS_INIT;
    if (qb_ingest_prepare(paths[i], &opts, &run, &err)) goto done;
    int src = qb_ingest_store(c->store, run, &res, &err);
    qb_run_free(run);
    if (src) goto done;
  }
  rc = 0;
done:
  unlink(a);
  unlink(b);
  if (rc) {
    fprintf(stderr, "qbdb_selfbench: %s: %s\n", qbr_name(state), err.msg);
    if (c->store) qb_store_close(c->store);
    remove_db(c->db);
    rmdir(c->dir);
    free(c);
    return 1;
  }
  qbr_set_data(state, c);
  return 0;
}

/* Close the store and remove the database and its directory. */
static void compare_teardown(qbr_state *state) {
  compare_case *c = qbr_data(state);
  qb_store_close(c->store);
  remove_db(c->db);
  rmdir(c->dir);
  free(c);
}

/* One iteration: the whole comparison of run 2 with run 1 (load, MWU, HL, CIs, FDR). */
static void compare_body(qbr_state *state) {
  const compare_case *c = qbr_data(state);
  QBR_LOOP(state) {
    qb_compare *cmp = NULL;
    qb_err err = QB_ERR_INIT;
    if (qb_compare_pair(c->store, "1", "2", NULL, &cmp, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(cmp);
    qb_compare_free(cmp);
  }
}

/* ---- changepoint/n=N, changepoint-update/n=N ----------------------------------------------- */

typedef struct cp_case {
  size_t n;
  double *x;
  qb_changepoint *prev; /* change points of x[0..n-1) (update only) */
  size_t n_prev;
} cp_case;

/* A benchmark-like history of n points (as bench_changepoint.c makes them): a level that steps
 * by up to +-30% with probability 0.004 per run, 0.5-4% noise, 1% single-run spikes. */
static int cp_setup(qbr_state *state) {
  cp_case *c = calloc(1, sizeof *c);
  int64_t n = qbr_param_int(state, "n");
  if (!c || n < 2 || !(c->x = malloc((size_t)n * sizeof *c->x))) {
    free(c);
    return 1;
  }
  c->n = (size_t)n;
  seed(5);
  double level = 1e-3 * (0.5 + uniform()), sd = 0.005 + 0.035 * uniform();
  for (size_t i = 0; i < c->n; i++) {
    if (uniform() < 0.004) level *= 1 + 0.6 * (uniform() - 0.5);
    c->x[i] = level * (1 + sd * gauss());
    if (uniform() < 0.01) c->x[i] *= 1.2 + 0.3 * uniform();
  }
  qbr_set_data(state, c);
  return 0;
}

/* The same series plus the change points of all but its last point. */
static int cp_update_setup(qbr_state *state) {
  if (cp_setup(state)) return 1;
  cp_case *c = qbr_data(state);
  qb_err err = QB_ERR_INIT;
  if (qb_changepoints(c->x, c->n - 1, NULL, &c->prev, &c->n_prev, &err)) {
    fprintf(stderr, "qbdb_selfbench: %s: %s\n", qbr_name(state), err.msg);
    free(c->x);
    free(c);
    return 1;
  }
  return 0;
}

/* Free the series and the prefix's change points. */
static void cp_teardown(qbr_state *state) {
  cp_case *c = qbr_data(state);
  free(c->prev);
  free(c->x);
  free(c);
}

/* One iteration: every change point of the series (default options: window 30, max_p 0.001). */
static void cp_body(qbr_state *state) {
  const cp_case *c = qbr_data(state);
  QBR_LOOP(state) {
    qb_changepoint *cp = NULL;
    size_t n_cp = 0;
    qb_err err = QB_ERR_INIT;
    if (qb_changepoints(c->x, c->n, NULL, &cp, &n_cp, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(cp);
    free(cp);
  }
}

/* One iteration: the change points after one new point, from those of the prefix. */
static void cp_update_body(qbr_state *state) {
  const cp_case *c = qbr_data(state);
  QBR_LOOP(state) {
    qb_changepoint *cp = NULL;
    size_t n_cp = 0;
    qb_err err = QB_ERR_INIT;
    if (qb_changepoints_update(c->x, c->n, c->n - 1, c->prev, c->n_prev, NULL, &cp, &n_cp, &err)) {
      fail(state, &err);
      return;
    }
    qbr_do_not_optimize(cp);
    free(cp);
  }
}

/* ---- the program --------------------------------------------------------------------------- */

#define PARSE(n, c)                                                                                \
  {                                                                                                \
    .name = n, .group = "parse", .fn = parse_body, .setup = parse_setup,                           \
    .teardown = parse_teardown, .data = &c                                                         \
  }

static qbr_bench benches[] = {
    PARSE("pytest", parse_pytest),
    PARSE("criterion-text", parse_criterion_text),
    PARSE("native", parse_native),
    PARSE("google-benchmark", parse_gbench),
    PARSE("hyperfine", parse_hyperfine),
    PARSE("go", parse_go),
    PARSE("pytest-large", parse_pytest_large),
    {.name = "pytest",
     .group = "ingest",
     .fn = ingest_body,
     .setup = ingest_setup,
     .teardown = ingest_teardown},
    {.name = "mwu",
     .params = "n=50,500,5000",
     .fn = mwu_body,
     .setup = two_samples_setup,
     .teardown = two_samples_teardown},
    {.name = "shift",
     .params = "n=50,500,5000",
     .fn = shift_body,
     .setup = two_samples_setup,
     .teardown = two_samples_teardown},
    {.name = "compare",
     .params = "benchmarks=100,1000",
     .fn = compare_body,
     .setup = compare_setup,
     .teardown = compare_teardown},
    {.name = "changepoint",
     .params = "n=1000,10000",
     .fn = cp_body,
     .setup = cp_setup,
     .teardown = cp_teardown},
    {.name = "changepoint-update",
     .params = "n=10000",
     .fn = cp_update_body,
     .setup = cp_update_setup,
     .teardown = cp_teardown},
};

/* Defaults put before the user's flags (a later flag wins). */
static const char *const DEFAULTS[] = {"--project", "qbdb", "--samples",     "50",
                                       "--warmup",  "2",    "--time-budget", "2"};
#define N_DEFAULTS (sizeof DEFAULTS / sizeof *DEFAULTS)

/* Register the benchmarks and run qbr_main with DEFAULTS before the command line. */
int main(int argc, char **argv) {
  qbr_err err = {0, ""};
  for (size_t i = 0; i < sizeof benches / sizeof *benches; i++) {
    if (qbr_register(NULL, &benches[i], &err)) {
      fprintf(stderr, "qbdb_selfbench: %s\n", err.msg);
      return 2;
    }
  }
  char **args = malloc(((size_t)argc + N_DEFAULTS + 1) * sizeof *args);
  if (!args) return 1;
  int n = 0;
  args[n++] = argc > 0 ? argv[0] : "qbdb_selfbench";
  for (size_t i = 0; i < N_DEFAULTS; i++) args[n++] = (char *)DEFAULTS[i];
  for (int i = 1; i < argc; i++) args[n++] = argv[i];
  args[n] = NULL;
  int rc = qbr_main(n, args);
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("\nqbdb_selfbench's defaults (given flags win):");
      for (size_t k = 0; k < N_DEFAULTS; k++) printf(" %s", DEFAULTS[k]);
      printf("\nSee docs/selfbench.md.\n");
      break;
    }
  free(args);
  return rc;
}

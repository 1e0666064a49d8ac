/* bench/bench_ingest.c - how fast is `qbdb ingest` compared with parsing the same JSON alone,
 * and how big is the database per raw sample?
 *
 * Generates a pytest-benchmark JSON file with 1000 benchmarks x 1000 raw samples (fixed seed),
 * then times, best of REPS: (a) reading the file and parsing it with jansson alone, and
 * (b) the whole ingest (read, parse, convert, validate, describe, hash, one SQLite transaction
 * into a fresh database). Targets (issue 2): ingest <= 2x parse, <= 10 database bytes/sample.
 * When QBDB_BIN names the qbdb executable, (c) the wall time of the real command
 * `qbdb --db DB ingest FILE` (a fresh process and database each time) is measured too.
 * Usage: [QBDB_BIN=build/qbdb] bench_ingest [N_BENCH [N_SAMPLES [REPS]]]   (defaults 1000 1000 5)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "bench/bench_util.h"
#include "ingest/ingest.h"

int main(int argc, char **argv) {
  int n_bench = argc > 1 ? atoi(argv[1]) : 1000;
  int n_samples = argc > 2 ? atoi(argv[2]) : 1000;
  int reps = argc > 3 ? atoi(argv[3]) : 5;
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char json[512], db[512], side[600];
  snprintf(json, sizeof json, "%s/qbdb-bench-%d.json", dir, (int)getpid());
  snprintf(db, sizeof db, "%s/qbdb-bench-%d.db", dir, (int)getpid());
  generate_pytest(json, n_bench, n_samples, NULL, "0123456789abcdef0123456789abcdef01234567");
  struct stat st;
  stat(json, &st);
  printf("input: %s, %d benchmarks x %d samples, %.1f MB\n", json, n_bench, n_samples,
         (double)st.st_size / 1e6);

  double best_parse = 1e30, best_ingest = 1e30, best_prepare = 1e30;
  long long db_bytes = 0;
  for (int r = 0; r < reps; r++) {
    /* (a) read + parse alone */
    double t0 = now_s();
    char *data;
    size_t len;
    qb_err err = QB_ERR_INIT;
    if (qb_file_read(json, (size_t)1 << 31, &data, &len, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    json_error_t je;
    json_t *root = json_loadb(data, len, 0, &je);
    double t1 = now_s();
    if (!root) {
      fprintf(stderr, "parse: %s\n", je.text);
      return 1;
    }
    json_decref(root);
    free(data);
    if (t1 - t0 < best_parse) best_parse = t1 - t0;

    /* (b) the whole ingest into a fresh database */
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    double t2 = now_s();
    qb_run *run = NULL;
    qb_store *store = NULL;
    qb_ingest_result res;
    qb_ingest_opts opts = QB_INGEST_OPTS_INIT;
    if (qb_ingest_prepare(json, &opts, &run, &err)) {
      fprintf(stderr, "ingest: %s\n", err.msg);
      return 1;
    }
    double t3 = now_s();
    if (qb_store_open(&store, db, QB_STORE_CREATE, &err) ||
        qb_ingest_store(store, run, &res, &err)) {
      fprintf(stderr, "store: %s\n", err.msg);
      return 1;
    }
    qb_store_close(store);
    double t4 = now_s();
    qb_run_free(run);
    if (t4 - t2 < best_ingest) best_ingest = t4 - t2;
    if (t3 - t2 < best_prepare) best_prepare = t3 - t2;
    stat(db, &st);
    db_bytes = (long long)st.st_size;
  }
  /* (c) the qbdb command itself */
  const char *bin = getenv("QBDB_BIN");
  double best_cli = 0;
  if (bin && *bin) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' ingest '%s' >/dev/null", bin, db, json);
    best_cli = 1e30;
    for (int r = 0; r < reps; r++) {
      unlink(db);
      double t0 = now_s();
      if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return 1;
      }
      double t1 = now_s();
      if (t1 - t0 < best_cli) best_cli = t1 - t0;
    }
  }
  double samples = (double)n_bench * n_samples;
  printf("parse only (read + jansson):   %8.1f ms (best of %d)\n", best_parse * 1e3, reps);
  printf("qbdb ingest (total):           %8.1f ms (best of %d)\n", best_ingest * 1e3, reps);
  printf("  of which parse+validate:     %8.1f ms\n", best_prepare * 1e3);
  printf("ingest / parse:                %8.2f x   (target <= 2.00)\n", best_ingest / best_parse);
  if (best_cli > 0)
    printf("`qbdb ingest` command (wall):  %8.1f ms = %.2f x parse (best of %d)\n", best_cli * 1e3,
           best_cli / best_parse, reps);
  printf("database size:                 %8.2f MB = %.2f bytes per raw sample (target <= 10)\n",
         (double)db_bytes / 1e6, (double)db_bytes / samples);
  if (getenv("QBDB_BENCH_KEEP"))
    printf("kept: %s %s\n", json, db);
  else {
    unlink(json);
    unlink(db);
  }
  return 0;
}

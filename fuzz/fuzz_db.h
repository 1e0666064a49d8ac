/* fuzz/fuzz_db.h - a small qbdb database made once per fuzzing process (fuzz_runref.c,
 * fuzz_http.c).
 *
 * Ownership: the database lives in a temporary directory that an atexit handler removes; the
 * store of qb_fuzz_db_make belongs to the caller (kept open for the whole process). */
#ifndef QB_FUZZ_FUZZ_DB_H
#define QB_FUZZ_FUZZ_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "service/history.h"
#include "fuzz/fuzz.h"
#include "ingest/ingest.h"
#include "schema/store.h"

/* ---- a small database: two projects, two branches, a level shift on p1/main ---- */

static char qb_fuzz_dir[256];
static char qb_fuzz_db_path[300];

/* Remove the files of the temporary directory, then the directory (atexit). */
static inline void qb_fuzz_db_cleanup(void) {
  static const char *const names[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "template.db"};
  char p[400];
  if (!qb_fuzz_dir[0]) return;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", qb_fuzz_dir, names[i]);
    unlink(p);
  }
  rmdir(qb_fuzz_dir);
}

/* Ingest run i of the fixture (native format, built in memory) and run the history step.
 * Runs 0..9: p1/main, samples around 100 ns until run 5 and around 150 ns after (a change
 * point); 10, 11: p1/feature; 12, 13: p2/main. Commits abcd0000.. (a shared 4-digit prefix for
 * an ambiguous sha) and 1234<i>... */
static inline int qb_fuzz_db_add(qb_store *s, int i, qb_err *err) {
  char doc[2048], commit[41];
  const char *project = i >= 12 ? "p2" : "p1", *branch = i >= 10 && i < 12 ? "feature" : "main";
  snprintf(commit, sizeof commit, "%s%02d%034d", i % 2 ? "abcd" : "1234", i, i * 7);
  double base = i >= 6 && i < 10 ? 150 : 100;
  int n = snprintf(doc, sizeof doc,
                   "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"%s\",\"branch\":"
                   "\"%s\",\"commit\":\"%s\",\"machine\":\"m1\",\"started_at\":\"2026-01-%02dT1"
                   "0:00:00Z\"}\n"
                   "{\"name\":\"sort/100\",\"unit\":\"ns\",\"samples\":[",
                   project, branch, commit, i + 1);
  for (int k = 0; k < 12; k++)
    n += snprintf(doc + n, sizeof doc - (size_t)n, "%s%g", k ? "," : "",
                  base + (k * 37 + i * 11) % 9);
  n += snprintf(doc + n, sizeof doc - (size_t)n,
                "]}\n{\"name\":\"sort/1000\",\"unit\":\"us\",\"value\":%d}\n"
                "{\"name\":\"sort/1000\",\"metric\":\"throughput\",\"unit\":\"MiB/s\","
                "\"samples\":[%d,%d,%d]}\n",
                3 + i % 2, 100 + i, 101 + i, 99 + i);
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run = NULL;
  qb_ingest_result res;
  qb_after_ingest after = {0};
  int rc = qb_ingest_prepare_bytes("fixture", doc, (size_t)n, &o, &run, err);
  if (!rc) rc = qb_ingest_store(s, run, &res, err);
  if (!rc) rc = qb_after_ingest_run(s, res.run_id, &after, err);
  qb_after_ingest_dispose(&after);
  qb_run_free(run);
  return rc;
}

/* Make the database in a new temporary directory and open it into *out; exits on failure (a
 * broken fixture is not a finding). */
static inline void qb_fuzz_db_make(qb_store **out) {
  const char *tmp = getenv("TMPDIR");
  qb_err err = QB_ERR_INIT;
  snprintf(qb_fuzz_dir, sizeof qb_fuzz_dir, "%s/qbdb-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(qb_fuzz_dir)) {
    perror("qbdb fuzz: mkdtemp");
    exit(1);
  }
  atexit(qb_fuzz_db_cleanup);
  snprintf(qb_fuzz_db_path, sizeof qb_fuzz_db_path, "%s/fuzz.db", qb_fuzz_dir);
  int rc = qb_store_open(out, qb_fuzz_db_path, QB_STORE_CREATE, &err);
  for (int i = 0; !rc && i < 14; i++) rc = qb_fuzz_db_add(*out, i, &err);
  if (rc) {
    fprintf(stderr, "qbdb fuzz: fixture database: %s\n", err.msg);
    exit(1);
  }
}
#endif

/* schema/sqlite/prune.c - retention (qbdb prune) in SQLite: one BEGIN IMMEDIATE transaction
 * that picks the runs through temporary tables, deletes them and drops old samples. */
#include <stdint.h>
#include <string.h>

#include "schema/sqlite/sq.h"

/* Step a prepared statement with no result rows (or ignore them); 0 or QB_EINTERNAL. */
static int run_stmt(sq_store *s, sqlite3_stmt *st, const char *what, qb_err *err) {
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
  }
  int rc = step == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, what, err);
  sqlite3_reset(st);
  return rc;
}

/* Bind :before and :glob of a prune statement. */
static void bind_prune(sqlite3_stmt *st, int64_t before, const char *glob) {
  b_int(st, ":before", before);
  b_text(st, ":glob", glob);
}

static int sq_prune(qb_store *base, const qb_prune_opts *o, qb_prune_result *res, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  memset(res, 0, sizeof *res);
  /* no cut-off: a time before every run */
  int64_t runs_before = o->runs_before == QB_TIME_NONE ? INT64_MIN + 1 : o->runs_before;
  int64_t samples_before = o->samples_before == QB_TIME_NONE ? INT64_MIN + 1 : o->samples_before;
  int rc;
  if ((rc = sq_stmt(s, S_PRUNE_TEMP, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = sq_stmt(s, S_PRUNE_TEMP_KEEP, &st, err)) || (rc = run_stmt(s, st, "prune", err)))
    return rc;
  if ((rc = sq_exec(s, "BEGIN IMMEDIATE", err))) return rc;
  if ((rc = sq_stmt(s, S_PRUNE_CLEAR, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = sq_stmt(s, S_PRUNE_CLEAR_KEEP, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = sq_stmt(s, S_PRUNE_KEEP_ANCHORS, &st, err)))
    goto done;
  b_int(st, ":context", o->context);
  if ((rc = run_stmt(s, st, "prune: keep the regressions' runs", err)) ||
      (rc = sq_stmt(s, S_PRUNE_KEEP_NEWEST, &st, err)) ||
      (rc = run_stmt(s, st, "prune: keep the newest runs", err)) ||
      (rc = sq_stmt(s, S_PRUNE_PICK, &st, err)))
    goto done;
  bind_prune(st, runs_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: pick runs", err))) goto done;
  if ((rc = sq_stmt(s, S_PRUNE_COUNT, &st, err))) goto done;
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->runs = sqlite3_column_int64(st, 0);
    res->results = sqlite3_column_int64(st, 1);
    res->samples = sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  if ((rc = sq_stmt(s, S_PRUNE_OLD, &st, err))) goto done;
  bind_prune(st, runs_before, o->branch_glob);
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->kept_anchors = sqlite3_column_int64(st, 0);
    res->kept_newest = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if ((rc = sq_stmt(s, S_PRUNE_SAMPLES_COUNT, &st, err))) goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->sample_runs = sqlite3_column_int64(st, 0);
    res->samples_dropped = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (o->dry_run) goto done;
  if ((rc = sq_stmt(s, S_PRUNE_UNMARK, &st, err)) ||
      (rc = run_stmt(s, st, "prune: clear detection markers", err)))
    goto done;
  res->series_reset = sqlite3_changes(s->db);
  if ((rc = sq_stmt(s, S_PRUNE_DELETE, &st, err)) ||
      (rc = run_stmt(s, st, "prune: delete runs", err)) ||
      (rc = sq_stmt(s, S_PRUNE_SAMPLES_DELETE, &st, err)))
    goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: drop samples", err)) ||
      (rc = sq_stmt(s, S_PRUNE_SAMPLES_RECOUNT, &st, err)))
    goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: recount samples", err))) goto done;
  /* what compare reads changed without a new run: a new generation for its cache */
  if ((res->runs > 0 || res->samples_dropped > 0) &&
      ((rc = sq_stmt(s, S_GENERATION_BUMP, &st, err)) ||
       (rc = run_stmt(s, st, "prune: data generation", err))))
    goto done;
  rc = sq_write_end(s, 0, err);
  if (!rc) return QB_OK;
done:
  sq_write_end(s, 1, NULL); /* a dry run, or an error: nothing changes */
  return rc;
}

void sq_ops_prune(qb_store_ops *ops) {
  ops->prune = sq_prune;
}

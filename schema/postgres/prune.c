/* schema/postgres/prune.c - retention (qbdb prune) and vacuum in PostgreSQL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "schema/postgres/pg.h"

/* How often a prune that lost a deadlock or a serialization check to another server's
 * transaction is run again from the start before the error is reported. */
#define PRUNE_TRIES 5

/* Run statement id, which has no parameters, for its effect; *changed (may be NULL) the rows. */
static int run_plain(pg_store *s, int id, const char *what, int64_t *changed, qb_err *err) {
  pg_q q;
  pg_q_init(&q, s, id);
  return pg_do(&q, what, changed, err);
}

/* Bind :before and :glob (a regular expression, NULL: every branch) of a prune statement. */
static void bind_prune(pg_q *q, int64_t before, const char *glob) {
  pg_int(q, ":before", before);
  pg_text(q, ":glob", glob);
}

/* Read the first n integer columns of the one row statement q returns into out[]. */
static int read_row(pg_q *q, const char *what, int64_t *const out[], int n, qb_err *err) {
  PGresult *r;
  int rc = pg_run(q, what, &r, err);
  if (rc) return rc;
  if (q->s->pq->ntuples(r) > 0)
    for (int i = 0; i < n; i++) *out[i] = pg_col_int(q->s, r, 0, i);
  q->s->pq->clear(r);
  return QB_OK;
}

/* One attempt of pg_prune inside its transaction (begun by the caller): count, and unless
 * o->dry_run, delete and drop. glob is o->branch_glob as a regular expression. */
static int prune_once(pg_store *s, const qb_prune_opts *o, const char *glob, qb_prune_result *res,
                      qb_err *err) {
  /* no cut-off: a time before every run */
  int64_t runs_before = o->runs_before == QB_TIME_NONE ? INT64_MIN + 1 : o->runs_before;
  int64_t samples_before = o->samples_before == QB_TIME_NONE ? INT64_MIN + 1 : o->samples_before;
  pg_q q;
  int rc;
  memset(res, 0, sizeof *res);
  if ((rc = run_plain(s, P_PRUNE_CLEAR, "prune", NULL, err))) return rc;
  /* a dry run reads one snapshot (REPEATABLE READ) and blocks nobody; a prune holds off the
   * other writers of what it reads and changes until it commits, so that no run stored
   * meanwhile is deleted or loses its samples uncounted, and no regression changes under it */
  if (!o->dry_run && (rc = run_plain(s, P_PRUNE_LOCK, "prune: lock", NULL, err))) return rc;
  pg_q_init(&q, s, P_PRUNE_KEEP_ANCHORS);
  pg_int(&q, ":context", o->context);
  if ((rc = pg_do(&q, "prune: keep the regressions' runs", NULL, err)) ||
      (rc = run_plain(s, P_PRUNE_KEEP_NEWEST, "prune: keep the newest runs", NULL, err)))
    return rc;
  pg_q_init(&q, s, P_PRUNE_PICK);
  bind_prune(&q, runs_before, glob);
  if ((rc = pg_do(&q, "prune: pick runs", NULL, err))) return rc;
  pg_q_init(&q, s, P_PRUNE_COUNT);
  if ((rc = read_row(&q, "prune: count",
                     (int64_t *const[]){&res->runs, &res->results, &res->samples}, 3, err)))
    return rc;
  pg_q_init(&q, s, P_PRUNE_OLD);
  bind_prune(&q, runs_before, glob);
  if ((rc = read_row(&q, "prune: count kept runs",
                     (int64_t *const[]){&res->kept_anchors, &res->kept_newest}, 2, err)))
    return rc;
  pg_q_init(&q, s, P_PRUNE_SAMPLES_COUNT);
  bind_prune(&q, samples_before, glob);
  if ((rc = read_row(&q, "prune: count samples",
                     (int64_t *const[]){&res->sample_runs, &res->samples_dropped}, 2, err)))
    return rc;
  if (o->dry_run) return QB_OK;
  if ((rc = run_plain(s, P_PRUNE_UNMARK, "prune: clear detection markers", &res->series_reset,
                      err)) ||
      (rc = run_plain(s, P_PRUNE_DELETE, "prune: delete runs", NULL, err)))
    return rc;
  pg_q_init(&q, s, P_PRUNE_SAMPLES_DELETE);
  bind_prune(&q, samples_before, glob);
  if ((rc = pg_do(&q, "prune: drop samples", NULL, err))) return rc;
  pg_q_init(&q, s, P_PRUNE_SAMPLES_RECOUNT);
  bind_prune(&q, samples_before, glob);
  if ((rc = pg_do(&q, "prune: recount samples", NULL, err))) return rc;
  /* what compare reads changed without a new run: a new generation for its cache */
  if (res->runs > 0 || res->samples_dropped > 0)
    rc = run_plain(s, P_GENERATION_BUMP, "prune: data generation", NULL, err);
  return rc;
}

static int pg_prune(qb_store *base, const qb_prune_opts *o, qb_prune_result *res, qb_err *err) {
  pg_store *s = PG(base);
  memset(res, 0, sizeof *res);
  char *glob = NULL;
  if (o->branch_glob && !(glob = pg_glob_regex(o->branch_glob)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  /* the temporary tables, once per session: outside the transaction, as a rollback would drop
   * them (and the statements prepared on them would have to be prepared again) */
  int rc;
  if ((rc = run_plain(s, P_PRUNE_TEMP, "prune", NULL, err)) ||
      (rc = run_plain(s, P_PRUNE_TEMP_KEEP, "prune", NULL, err)))
    goto done;
  for (int attempt = 0; attempt < PRUNE_TRIES; attempt++) {
    int began = 0;
    if (!s->tx) {     /* else the caller's transaction */
      if (o->dry_run) /* one snapshot; it writes only to the temporary tables */
        rc = pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ", err);
      else
        rc = pg_exec(s, "BEGIN", err);
      if (rc) break;
      began = s->tx = 1;
    }
    rc = prune_once(s, o, glob, res, err);
    if (rc == QB_OK && o->dry_run) {
      if (began) { /* a dry run changes nothing */
        s->tx = 0;
        pg_exec(s, "ROLLBACK", NULL);
      }
    } else {
      rc = pg_tx_end(s, began, rc, err); /* an error changes nothing either */
    }
    /* lost a deadlock or a serialization check to another writer: again, from the start */
    int retry = rc && began && (!strcmp(s->sqlstate, "40P01") || !strcmp(s->sqlstate, "40001"));
    if (!retry) break;
  }
  if (rc) memset(res, 0, sizeof *res);
done:
  free(glob);
  return rc;
}

/* Shrink the database: VACUUM FULL rewrites each of qbdb's tables (and its indexes) into new
 * files without the space deleted rows held, and gives the old files back to the system; then
 * ANALYZE refreshes the planner's statistics, which a prune leaves far off. Plain VACUUM would
 * only mark that space reusable (the files stay as large), which is not what qbdb's vacuum
 * promises. Locking: each table is rewritten in a transaction of its own under an ACCESS
 * EXCLUSIVE lock, so while it is rewritten every other connection's reads and writes of that
 * table wait (for a table of millions of results, the time to copy it), and the rewrite waits
 * for the transactions that already use the table (a long read holds it back, and the
 * connections that come after it queue behind it); it needs free disk space as large as the
 * table and its indexes. VACUUM cannot run inside a transaction block, so neither can this
 * (QB_EINTERNAL). There is no WAL checkpoint to defer: *checkpoint_deferred stays 0. The sizes
 * are pg_database_size(), the whole database's files. */
static int pg_vacuum(qb_store *base, int64_t *bytes_before, int64_t *bytes_after,
                     int *checkpoint_deferred, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  int rc;
  *bytes_before = *bytes_after = 0;
  *checkpoint_deferred = 0;
  if (s->tx)
    return qb_err_set(err, QB_EINTERNAL, "%s: vacuum: cannot run inside a transaction", s->where);
  pg_q_init(&q, s, P_DB_SIZE);
  if ((rc = pg_one(&q, "database size", bytes_before, NULL, err))) return rc;
  if ((rc = pg_exec(s, PG_VACUUM_SQL, err))) return rc;
  pg_q_init(&q, s, P_DB_SIZE);
  return pg_one(&q, "database size", bytes_after, NULL, err);
}

void pg_ops_prune(qb_store_ops *ops) {
  ops->prune = pg_prune;
  ops->vacuum = pg_vacuum;
}

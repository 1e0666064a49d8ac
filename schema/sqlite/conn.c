/* schema/sqlite/conn.c - the SQLite backend's connection: open and configure, the statement
 * cache, errors, the busy handler and writer wake-ups, checkpoints, transactions, vacuum, moving
 * data (dump, load, info, backup), and the ops table. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/migrate.h"
#include "schema/sqlite/sq.h"

/* ---- statements ----------------------------------------------------------------------------- */

/* The statement table: one entry per id of the SQ_SQL list (sql.h). */
#define SQ_SQL_TEXT(id, text) [id] = text,
static const char *const SQL[S_COUNT_] = {SQ_SQL(SQ_SQL_TEXT)};
#undef SQ_SQL_TEXT

void sq_reset_all(sq_store *s) {
  for (int i = 0; i < S_COUNT_; i++)
    if (s->st[i] && sqlite3_stmt_busy(s->st[i])) /* one that halted holds no snapshot */
      sqlite3_reset(s->st[i]);
}

int sq_fail(sq_store *s, int code, const char *what, qb_err *err) {
  /* the database's state, not qbdb's: a lock held too long, a read-only or full file */
  switch (sqlite3_errcode(s->db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      code = QB_EDB;
      break;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      code = QB_EIO;
      break;
    default:
      break;
  }
  return qb_err_set(err, code, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int sq_stmt(sq_store *s, int id, sqlite3_stmt **out, qb_err *err) {
  if (!s->st[id]) {
    if (sqlite3_prepare_v3(s->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) !=
        SQLITE_OK)
      return sq_fail(s, QB_EINTERNAL, "prepare", err);
  } else {
    sqlite3_reset(s->st[id]);
    sqlite3_clear_bindings(s->st[id]);
  }
  *out = s->st[id];
  return QB_OK;
}

int sq_step_id(sq_store *s, sqlite3_stmt *st, int64_t *out, int *found, qb_err *err) {
  int rc = sqlite3_step(st);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st); /* done with it: release its read snapshot now */
    return QB_OK;
  }
  if (rc == SQLITE_DONE) return QB_OK;
  return sq_fail(s, QB_EINTERNAL, "query", err);
}

int sq_step_insert(sq_store *s, sqlite3_stmt *st, int64_t *out_id, qb_err *err) {
  if (sqlite3_step(st) != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "insert", err);
  if (out_id) *out_id = sqlite3_last_insert_rowid(s->db);
  return QB_OK;
}

int sq_exec(sq_store *s, const char *sql, qb_err *err) {
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sq_fail(s, QB_EINTERNAL, sql, err);
  return QB_OK;
}

int sq_grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *arr = p;
  *cap = nc;
  return QB_OK;
}

/* ---- writers of one process wake each other ------------------------------------------------
 * SQLite lets one connection write at a time. Its own busy timeout makes a waiting writer sleep
 * in growing steps (up to 100 ms) and retry, so under concurrent uploads a writer often slept
 * long after the lock was free: p99 of POST /runs was several times its median. Here a waiting
 * connection instead sleeps on a condition variable that every connection of this process
 * signals when it ends a write transaction (our COMMIT/ROLLBACK, and SQLite's WAL hook for
 * every commit, autocommit writes included), with a short timeout for writers in other
 * processes. It gives up after BUSY_TIMEOUT_US, like sqlite3_busy_timeout(5000) did. */
#define BUSY_TIMEOUT_US   5000000
#define BUSY_POLL_US      2000 /* the wait when no signal comes (a writer in another process) */
#define CHECKPOINT_FRAMES 1000 /* SQLite's default auto-checkpoint, kept by the WAL hook */

static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t writers_cv, ckpt_cv;
static pthread_once_t writers_once = PTHREAD_ONCE_INIT;
static uint64_t writers_gen; /* write transactions ended in this process */
static int ckpt_due;         /* a QB_STORE_BG_CHECKPOINT connection saw a long WAL */
static uint64_t ckpt_interrupts;

static void writers_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&writers_cv, &a);
  pthread_cond_init(&ckpt_cv, &a);
  pthread_condattr_destroy(&a);
}

/* The monotonic time timeout_us from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int64_t timeout_us) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(timeout_us / 1000000);
  ts.tv_nsec += (long)(timeout_us % 1000000) * 1000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static void writers_wake(void) {
  pthread_once(&writers_once, writers_init);
  pthread_mutex_lock(&writers_mu);
  writers_gen++;
  pthread_cond_broadcast(&writers_cv);
  pthread_mutex_unlock(&writers_mu);
}

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* sqlite3_busy_handler callback: wait for a writer of this process to finish (or BUSY_POLL_US),
 * then let SQLite retry; 0 (give up: SQLITE_BUSY) after BUSY_TIMEOUT_US. */
static int on_busy(void *arg, int count) {
  sq_store *s = arg;
  int64_t now = mono_us();
  if (count == 0) s->busy_since = now;
  if (now - s->busy_since >= s->busy_limit) return 0;
  pthread_once(&writers_once, writers_init);
  struct timespec ts = deadline_in(BUSY_POLL_US);
  pthread_mutex_lock(&writers_mu);
  uint64_t gen = writers_gen;
  while (writers_gen == gen)
    if (pthread_cond_timedwait(&writers_cv, &writers_mu, &ts) != 0) break;
  pthread_mutex_unlock(&writers_mu);
  return 1;
}

/* sqlite3_wal_hook callback, after every commit (the write lock is released by then): wake the
 * waiting writers, and checkpoint as SQLite's auto-checkpoint would (it is replaced by this
 * hook). */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames) {
  sq_store *s = arg;
  writers_wake();
  if (frames < CHECKPOINT_FRAMES) return SQLITE_OK;
  if (!s->bg_checkpoint) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
  }
  pthread_mutex_lock(&writers_mu);
  ckpt_due = 1;
  pthread_cond_broadcast(&ckpt_cv);
  pthread_mutex_unlock(&writers_mu);
  return SQLITE_OK;
}

static int sq_checkpoint_due(qb_store *base, int timeout_ms, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  pthread_once(&writers_once, writers_init);
  struct timespec ts = deadline_in((int64_t)timeout_ms * 1000);
  pthread_mutex_lock(&writers_mu);
  uint64_t intr = ckpt_interrupts;
  while (!ckpt_due && ckpt_interrupts == intr)
    if (pthread_cond_timedwait(&ckpt_cv, &writers_mu, &ts) != 0) break;
  int due = ckpt_due;
  ckpt_due = 0;
  pthread_mutex_unlock(&writers_mu);
  int ck = due ? sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)
               : SQLITE_OK;
  /* another process (a `qbdb ingest`) checkpointing at the same time: not now, next time */
  if (ck == SQLITE_BUSY || ck == SQLITE_LOCKED) return QB_OK;
  if (ck != SQLITE_OK) return sq_fail(s, QB_EINTERNAL, "wal checkpoint", err);
  return QB_OK;
}

void qb_store_checkpoint_interrupt(void) {
  pthread_once(&writers_once, writers_init);
  pthread_mutex_lock(&writers_mu);
  ckpt_interrupts++;
  pthread_cond_broadcast(&ckpt_cv);
  pthread_mutex_unlock(&writers_mu);
}

int sq_write_end(sq_store *s, int rollback, qb_err *err) {
  int rc = QB_OK;
  if (rollback)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  else
    rc = sq_exec(s, "COMMIT", err);
  if (sqlite3_get_autocommit(s->db)) /* the transaction is over (committed when no error) */
    sq_series_new_end(s, !rollback && rc == QB_OK);
  writers_wake();
  return rc;
}

/* ---- transactions --------------------------------------------------------------------------- */

static int sq_begin(qb_store *base, qb_err *err) {
  return sq_exec(SQ(base), "BEGIN IMMEDIATE", err);
}

static int sq_begin_read(qb_store *base, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  return sq_exec(s, "BEGIN DEFERRED", err);
}

static int sq_commit(qb_store *base, qb_err *err) {
  return sq_write_end(SQ(base), 0, err);
}

static void sq_rollback(qb_store *base) {
  sq_write_end(SQ(base), 1, NULL);
}

/* ---- vacuum --------------------------------------------------------------------------------- */

/* The size of the database file plus its WAL (0 for a missing file). */
static int64_t db_bytes(const char *path) {
  char wal[4096];
  struct stat st;
  int64_t n = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
  snprintf(wal, sizeof wal, "%s-wal", path);
  if (stat(wal, &st) == 0) n += (int64_t)st.st_size;
  return n;
}

/* VACUUM, then the truncating checkpoint, tried QB_VACUUM_CHECKPOINT_TRIES times: each waits
 * CHECKPOINT_BUSY_US at most for other connections (a reader of an older snapshot, a writer),
 * with pauses of CHECKPOINT_PAUSE_US, doubling, between tries. Still held back: deferred. */
#define CHECKPOINT_BUSY_US  200000
#define CHECKPOINT_PAUSE_US 25000
static int sq_vacuum(qb_store *base, int64_t *bytes_before, int64_t *bytes_after,
                     int *checkpoint_deferred, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  *bytes_before = db_bytes(s->path);
  int rc = sq_exec(s, "VACUUM", err), ck = SQLITE_OK;
  useconds_t pause = CHECKPOINT_PAUSE_US;
  s->busy_limit = CHECKPOINT_BUSY_US;
  for (int i = 0; !rc && i < QB_VACUUM_CHECKPOINT_TRIES; i++) {
    ck = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) & 0xff;
    if (ck != SQLITE_BUSY && ck != SQLITE_LOCKED) break;
    if (i + 1 < QB_VACUUM_CHECKPOINT_TRIES) usleep(pause);
    pause *= 2;
  }
  s->busy_limit = BUSY_TIMEOUT_US;
  if (!rc && (ck == SQLITE_BUSY || ck == SQLITE_LOCKED))
    *checkpoint_deferred = 1; /* the rebuild stands; a later writer checkpoints the WAL */
  else if (!rc && ck != SQLITE_OK)
    rc = sq_fail(s, QB_EINTERNAL, "checkpoint", err);
  *bytes_after = db_bytes(s->path);
  return rc;
}

/* ---- moving data (qbdb db) ------------------------------------------------------------------ */

/* Every row of every table (store.h, qb_db_tables) in one read transaction. */
static int sq_dump(qb_store *base, qb_row_fn fn, void *ctx, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  int rc = sq_exec(s, "BEGIN DEFERRED", err);
  if (rc) return rc;
  qb_value v[32];
  for (size_t t = 0; t < qb_db_tables_count && !rc; t++) {
    const qb_db_table *tb = &qb_db_tables[t];
    char sql[512];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", tb->columns, tb->name, tb->order);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
      rc = sq_fail(s, QB_EINTERNAL, tb->name, err);
      break;
    }
    int n = sqlite3_column_count(st), step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
      for (int i = 0; i < n && i < 32; i++) {
        memset(&v[i], 0, sizeof v[i]);
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_INTEGER:
            v[i].type = QB_V_INT;
            v[i].i = sqlite3_column_int64(st, i);
            break;
          case SQLITE_FLOAT:
            v[i].type = QB_V_REAL;
            v[i].d = sqlite3_column_double(st, i);
            break;
          case SQLITE_TEXT:
            v[i].type = QB_V_TEXT;
            v[i].p = sqlite3_column_text(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
          case SQLITE_BLOB:
            v[i].type = QB_V_BLOB;
            v[i].p = sqlite3_column_blob(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
          default:
            v[i].type = QB_V_NULL;
        }
      }
      rc = fn(ctx, tb, v, (size_t)n, err);
    }
    if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, tb->name, err);
    sqlite3_finalize(st);
  }
  if (rc)
    sq_exec(s, "ROLLBACK", NULL);
  else
    sq_exec(s, "COMMIT", NULL);
  return rc;
}

/* One row into table t as it is; the statement is prepared for each row (a copy is not the hot
 * path, and the tables are few). */
static int sq_load(qb_store *base, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  sq_store *s = SQ(base);
  char sql[1024];
  size_t at =
      (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
  for (size_t i = 0; i < n && at < sizeof sql - 8; i++)
    at += (size_t)snprintf(sql + at, sizeof sql - at, "%s?", i ? ", " : "");
  snprintf(sql + at, sizeof sql - at, ")%s",
           !strcmp(t->name, "data_generation")
               ? " ON CONFLICT (id) DO UPDATE SET generation = excluded.generation"
               : "");
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sq_fail(s, QB_EINTERNAL, t->name, err);
  for (size_t i = 0; i < n; i++) {
    int k = (int)i + 1;
    switch (v[i].type) {
      case QB_V_INT:
        sqlite3_bind_int64(st, k, v[i].i);
        break;
      case QB_V_REAL:
        sqlite3_bind_double(st, k, v[i].d);
        break;
      case QB_V_TEXT:
        sqlite3_bind_text(st, k, v[i].p, (int)v[i].n, SQLITE_STATIC);
        break;
      case QB_V_BLOB:
        sqlite3_bind_blob64(st, k, v[i].p, v[i].n, SQLITE_STATIC);
        break;
      default:
        sqlite3_bind_null(st, k);
    }
  }
  int rc = sqlite3_step(st) == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, t->name, err);
  sqlite3_finalize(st);
  return rc;
}

static int sq_info(qb_store *base, qb_store_info *out, qb_err *err) {
  sq_store *s = SQ(base);
  (void)err;
  char wal[4096];
  struct stat st;
  out->bytes = stat(s->path, &st) == 0 ? (int64_t)st.st_size : 0;
  snprintf(wal, sizeof wal, "%s-wal", s->path);
  out->wal_bytes = stat(wal, &st) == 0 ? (int64_t)st.st_size : 0;
  return QB_OK;
}

/* The online backup API, all pages in one step: a consistent copy while writers go on (a
 * writer of this connection's process restarts nothing; others make the step see their pages). */
static int sq_backup(qb_store *base, const char *to, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  struct stat st;
  if (stat(to, &st) == 0)
    return qb_err_set(err, QB_EEXISTS, "%s: exists; a backup goes into a new file", to);
  sqlite3 *dst = NULL;
  int rc = QB_OK;
  if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot create: %s", to, sqlite3_errmsg(dst));
    sqlite3_close(dst);
    return rc;
  }
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
  if (!b) {
    rc = qb_err_set(err, QB_EIO, "%s: backup: %s", to, sqlite3_errmsg(dst));
  } else {
    int step;
    while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
      usleep(10000);
    if (step != SQLITE_DONE)
      rc = qb_err_set(
          err, (step & 0xff) == SQLITE_FULL || (step & 0xff) == SQLITE_IOERR ? QB_EIO : QB_EDB,
          "%s: backup: %s", to, sqlite3_errstr(step));
    sqlite3_backup_finish(b);
  }
  if (sqlite3_close(dst) != SQLITE_OK && !rc) rc = qb_err_set(err, QB_EIO, "%s: close failed", to);
  if (rc) unlink(to);
  return rc;
}

/* ---- open, close ---------------------------------------------------------------------------- */

static void sq_close(qb_store *base) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  for (int i = 0; i < S_COUNT_; i++) sqlite3_finalize(s->st[i]);
  sqlite3_close(s->db);
  free(s->path);
  free(s->series_ids);
  free(s->series_new);
  free(s);
}

static int sq_schema_version(qb_store *base) {
  return SQ(base)->version;
}

static qb_store_ops SQLITE_OPS = {
    .name = "sqlite",
    .version = QB_STORE_OPS_VERSION,
    .close = sq_close,
    .dump = sq_dump,
    .load = sq_load,
    .info = sq_info,
    .backup = sq_backup,
    .schema_version = sq_schema_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .checkpoint_due = sq_checkpoint_due,
    .begin_read = sq_begin_read,
    .vacuum = sq_vacuum,
};

/* With QBDB_SQL_PROFILE set, every statement's SQL and run time go to stderr (for finding
 * slow queries; see docs/storage.md). */
static int profile_cb(unsigned type, void *ctx, void *p, void *x) {
  (void)ctx;
  if (type == SQLITE_TRACE_PROFILE) {
    char *sql = sqlite3_expanded_sql((sqlite3_stmt *)p);
    fprintf(stderr, "sql %lld us: %s\n", (long long)(*(sqlite3_int64 *)x / 1000),
            sql ? sql : sqlite3_sql((sqlite3_stmt *)p));
    sqlite3_free(sql);
  }
  return 0;
}

/* Once per process, before the first connection: SQLite's process-wide settings - no memory
 * statistics (SQLite otherwise takes one process-wide mutex on every allocation and free of
 * every connection, which the server's threads queued on; qbdb reads no statistics and sets no
 * heap limit) - and the ops from the entity files. */
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static void setup(void) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE when already initialised: kept */
  sq_ops_runs(&SQLITE_OPS);
  sq_ops_listing(&SQLITE_OPS);
  sq_ops_series(&SQLITE_OPS);
  sq_ops_history(&SQLITE_OPS);
  sq_ops_regressions(&SQLITE_OPS);
  sq_ops_admin(&SQLITE_OPS);
  sq_ops_prune(&SQLITE_OPS);
  sq_ops_bisect(&SQLITE_OPS);
}

int qb_store_sqlite_open(qb_store **out, const char *path, int flags, qb_err *err) {
  *out = NULL;
  pthread_once(&setup_once, setup);
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno != ENOENT || !(flags & QB_STORE_CREATE))
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO,
                        "%s: no database here (%s); ingest a run first or pass --db", path,
                        strerror(errno));
  } else if (S_ISDIR(st.st_mode)) {
    return qb_err_set(err, QB_EDB, "%s: is a directory, not a database file", path);
  }
  if (flags & QB_STORE_CREATE) { /* say so when the directory to create it in is missing */
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash && slash != path && (size_t)(slash - path) < sizeof dir) {
      memcpy(dir, path, (size_t)(slash - path));
      dir[slash - path] = '\0';
      if (stat(dir, &st) != 0 && errno == ENOENT)
        return qb_err_set(err, QB_ENOTFOUND, "%s: no such directory: %s", path, dir);
    }
  }
  sq_store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  s->base.ops = &SQLITE_OPS;
  s->busy_limit = BUSY_TIMEOUT_US;
  int rc = QB_OK;
  int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
               ((flags & QB_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
    rc = qb_err_set(err, QB_EDB, "%s: cannot open: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto done;
  }
  sqlite3_busy_handler(s->db, on_busy, s);
  if (getenv("QBDB_SQL_PROFILE")) sqlite3_trace_v2(s->db, SQLITE_TRACE_PROFILE, profile_cb, NULL);
  sqlite3_extended_result_codes(s->db, 0);
  if ((rc = qb_migrate_sqlite(s->db, path, err))) goto done;
  s->version = qb_migrations_count;
  /* After the file is known to be ours: WAL, enforced foreign keys, durable-enough syncs. */
  if ((rc = sq_exec(s, "PRAGMA journal_mode = WAL", err)) ||
      (rc = sq_exec(s, "PRAGMA foreign_keys = ON", err)) ||
      (rc = sq_exec(s, "PRAGMA synchronous = NORMAL", err)) ||
      /* a WAL that grew (a VACUUM whose checkpoint was deferred) shrinks back to this when a
       * later writer starts it over */
      (rc = sq_exec(s, "PRAGMA journal_size_limit = 67108864", err)))
    goto done;
  s->bg_checkpoint = (flags & QB_STORE_BG_CHECKPOINT) != 0;
  sqlite3_wal_hook(s->db, on_wal_commit, s);
done:
  if (rc) {
    sq_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return QB_OK;
}

/* tests/fault/test_faults.c - fault injection across ingest and compare: the Nth SQLite file
 * operation fails (a disk full, an I/O error, a lock held elsewhere) and the Nth allocation
 * fails. After each failure the error is clean (the right code, one line naming the database),
 * the database passes integrity_check and holds all of the run or none of it, nothing leaked,
 * and a later clean ingest works. docs/reliability.md, "Crash consistency and faults"
 *
 * SQLite errors come from a test VFS registered as the default, which forwards to the real one
 * and fails one chosen operation; allocation failures from malloc/calloc/realloc defined in
 * this executable (they forward to glibc's __libc_* functions). The allocation tests are
 * skipped under AddressSanitizer, which owns malloc. No production code is changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "service/compare.h"
#include "ingest/ingest.h"
#include "tests/testutil.h"

#define TMP     QB_TEST_TMP "/fault"
#define BASE_DB TMP "/base.db"
#define WORK_DB TMP "/work.db"
#define RUN1    QB_TEST_DATA "/pytest/run1/benchmark.json"
#define RUN2    QB_TEST_DATA "/pytest/run2/benchmark.json"

/* ---- allocation failures ------------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define QB_FAULT_MALLOC 0
#else
#define QB_FAULT_MALLOC 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static long alloc_count;  /* allocations counted since arming */
static long alloc_fail;   /* the one allocation to fail (1-based), 0: none */
static int alloc_armed;   /* count (and fail) only while armed */
static long alloc_failed; /* how many were failed */
static long alloc_live;   /* allocations not freed yet (every one, armed or not) */

/* 1 when this allocation must fail. */
static int alloc_fails_now(void) {
  if (!alloc_armed) return 0;
  if (++alloc_count != alloc_fail) return 0;
  alloc_failed++;
  return 1;
}

void *malloc(size_t n) {
  if (alloc_fails_now()) return NULL;
  void *p = __libc_malloc(n);
  if (p) alloc_live++;
  return p;
}

void *calloc(size_t k, size_t n) {
  if (alloc_fails_now()) return NULL;
  void *p = __libc_calloc(k, n);
  if (p) alloc_live++;
  return p;
}

void *realloc(void *old, size_t n) {
  if (!old) return malloc(n);
  if (!n) {
    free(old);
    return NULL;
  }
  if (alloc_fails_now()) return NULL;
  return __libc_realloc(old, n);
}

void free(void *p) {
  if (p) alloc_live--;
  __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (alloc_fails_now()) return 12; /* ENOMEM */
  void *p = __libc_memalign(align, n);
  if (!p) return 12;
  alloc_live++;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t align, size_t n) {
  if (alloc_fails_now()) return NULL;
  void *p = __libc_memalign(align, n);
  if (p) alloc_live++;
  return p;
}
#endif

/* ---- the fault VFS ------------------------------------------------------------------------- */

enum { OP_WRITE, OP_LOCK }; /* which operations are counted: writes/syncs/truncates, or locks */

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static int vfs_armed;     /* count (and fail) only while armed */
static int vfs_kind;      /* OP_WRITE or OP_LOCK */
static int vfs_code;      /* what the failing operation returns */
static long vfs_count;    /* operations of vfs_kind counted since arming */
static long vfs_fail;     /* the one to fail (1-based), 0: none */
static long vfs_failed;   /* how many were failed */
static int vfs_fail_from; /* fail every write lock from vfs_fail on, not only that one */

typedef struct fault_file {
  sqlite3_file base;
  sqlite3_file *real; /* the real VFS's file, placed right after this struct */
} fault_file;

/* 1 when this operation of kind must fail. */
static int op_fails_now(int kind) {
  if (!vfs_armed || kind != vfs_kind) return 0;
  ++vfs_count;
  if (vfs_count == vfs_fail) {
    vfs_failed++;
    return 1;
  }
  return 0;
}

#define REAL(f) (((fault_file *)(f))->real)

static int f_close(sqlite3_file *f) {
  int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
  return rc;
}
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off) {
  return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off) {
  if (op_fails_now(OP_WRITE)) return vfs_code;
  return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
  if (op_fails_now(OP_WRITE)) return vfs_code;
  return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
/* Counted like a write, but not passed on: the tests need no durability against power loss,
 * and fsync made the sweeps several times slower. */
static int f_sync(sqlite3_file *f, int flags) {
  (void)f;
  (void)flags;
  if (op_fails_now(OP_WRITE)) return vfs_code;
  return SQLITE_OK;
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
  return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int level) {
  if (vfs_armed && vfs_fail_from && level >= SQLITE_LOCK_RESERVED) return SQLITE_BUSY;
  if (op_fails_now(OP_LOCK)) return SQLITE_BUSY;
  return REAL(f)->pMethods->xLock(REAL(f), level);
}
static int f_unlock(sqlite3_file *f, int level) {
  return REAL(f)->pMethods->xUnlock(REAL(f), level);
}
static int f_check_lock(sqlite3_file *f, int *out) {
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg) {
  return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) {
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_device(sqlite3_file *f) {
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp) {
  return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags) {
  /* WAL locks: only taking one can be refused; another writer holds the write lock (0) */
  if (vfs_armed && vfs_fail_from && offset == 0 && (flags & SQLITE_SHM_LOCK) &&
      (flags & SQLITE_SHM_EXCLUSIVE))
    return SQLITE_BUSY;
  if ((flags & SQLITE_SHM_LOCK) && op_fails_now(OP_LOCK)) return SQLITE_BUSY;
  return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) {
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del) {
  return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
  return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
  return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static sqlite3_io_methods fault_io = {
    3,          f_close,       f_read,       f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_check_lock, f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap,  f_fetch,   f_unfetch};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
  (void)vfs;
  fault_file *ff = (fault_file *)f;
  ff->real = (sqlite3_file *)(ff + 1);
  int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
  /* like the real VFS: no methods when the open failed, so SQLite does not close it */
  f->pMethods = rc == SQLITE_OK && ff->real->pMethods ? &fault_io : NULL;
  return rc;
}

/* Register the fault VFS as the default (once). */
static void fault_vfs_install(void) {
  if (real_vfs) return;
  real_vfs = sqlite3_vfs_find(NULL);
  assert_non_null(real_vfs);
  assert_true(real_vfs->iVersion >= 2);
  fault_vfs = *real_vfs;
  fault_vfs.zName = "qbdb-fault";
  fault_vfs.szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile;
  fault_vfs.xOpen = v_open;
  fault_vfs.pNext = NULL;
  assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

/* ---- the scenario -------------------------------------------------------------------------- */

/* Copy file from to to (a missing from removes to). */
static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = NULL;
  remove(to);
  if (!in) return;
  out = fopen(to, "wb");
  assert_non_null(out);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

/* A fresh work database: the base (run2 of project py, checkpointed) and no WAL. */
static void fresh_work_db(void) {
  remove(WORK_DB "-wal");
  remove(WORK_DB "-shm");
  copy_file(BASE_DB, WORK_DB);
}

/* What the faults hit: open the store, prepare and store run1 of project py, compare it with
 * the run already there. Returns the first error (err says which). */
static int scenario(qb_err *err) {
  qb_store *s = NULL;
  qb_run *run = NULL;
  qb_compare *cmp = NULL;
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "py";
  qb_ingest_result res;
  int rc;
  if ((rc = qb_store_open(&s, WORK_DB, QB_STORE_CREATE, err)) ||
      (rc = qb_ingest_prepare(RUN1, &o, &run, err)) || (rc = qb_ingest_store(s, run, &res, err)))
    goto done;
  qb_compare_opts co = QB_COMPARE_OPTS_INIT;
  co.project = "py";
  rc = qb_compare_pair(s, "1", "2", &co, &cmp, err);
done:
  qb_compare_free(cmp);
  qb_run_free(run);
  qb_store_close(s);
  return rc;
}

/* Result and sample counts of the work database's runs 1 and 2 (2 absent: all zero). */
typedef struct counts {
  int64_t runs, results2, samples2;
} counts;

/* Read counts with SQLite directly; also checks integrity_check and foreign_key_check. */
static counts check_db(void) {
  sqlite3 *db;
  sqlite3_stmt *st;
  counts c = {0, 0, 0};
  assert_int_equal(sqlite3_open_v2(WORK_DB, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  const char *q = "SELECT (SELECT count(*) FROM run), (SELECT count(*) FROM result WHERE run_id = "
                  "2), (SELECT coalesce(sum(ss.n), 0) FROM sample_set ss JOIN result x ON x.id = "
                  "ss.result_id WHERE x.run_id = 2)";
  assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  c.runs = sqlite3_column_int64(st, 0);
  c.results2 = sqlite3_column_int64(st, 1);
  c.samples2 = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_close(db), SQLITE_OK);
  return c;
}

static counts full; /* the counts after a clean scenario */

/* The run is entirely there or entirely absent; never another number of runs. */
static void assert_all_or_none(const char *what, long n) {
  counts c = check_db();
  if (c.runs == 1 && c.results2 == 0 && c.samples2 == 0) return;
  if (c.runs == full.runs && c.results2 == full.results2 && c.samples2 == full.samples2) return;
  fail_msg("%s %ld: partial run: %lld runs, %lld results, %lld samples", what, n, (long long)c.runs,
           (long long)c.results2, (long long)c.samples2);
}

/* A clean scenario after a fault: stores the run (or finds it) and compares. */
static void assert_clean_run_works(void) {
  qb_err err = QB_ERR_INIT;
  int rc = scenario(&err);
  if (rc) fail_msg("clean run after a fault: %s", err.msg);
  counts c = check_db();
  assert_int_equal(c.runs, full.runs);
  assert_int_equal(c.samples2, full.samples2);
}

/* One line that names the database. */
static void assert_clean_message(const qb_err *err, const char *what, long n) {
  if (!err->msg[0] || strchr(err->msg, '\n'))
    fail_msg("%s %ld: not one line: '%s'", what, n, err->msg);
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  fault_vfs_install();
  qb_store *s = NULL;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "py";
  qb_ingest_result res;
  if (qb_store_open(&s, BASE_DB, QB_STORE_CREATE, &err) ||
      qb_ingest_prepare(RUN2, &o, &run, &err) || qb_ingest_store(s, run, &res, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  qb_run_free(run);
  qb_store_close(s); /* the last connection: checkpoints and removes the WAL */
  fresh_work_db();
  if (scenario(&err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  full = check_db();
  if (full.runs != 2 || full.results2 != 9) return -1;
  return 0;
}

/* Fail the Nth operation of kind with code, for N = 1.. until the scenario passes untouched.
 * Returns how many fault points were tried. */
static long vfs_sweep(int kind, int code, const char *what) {
  long n;
  for (n = 1;; n++) {
    fresh_work_db();
    qb_err err = QB_ERR_INIT;
    vfs_kind = kind;
    vfs_code = code;
    vfs_count = 0;
    vfs_failed = 0;
    vfs_fail = n;
    vfs_armed = 1;
    int rc = scenario(&err);
    vfs_armed = 0;
    if (!vfs_failed) {
      if (rc) fail_msg("%s: no fault, but: %s", what, err.msg);
      break;
    }
    if (rc) {
      assert_clean_message(&err, what, n);
      if (!strstr(err.msg, WORK_DB)) fail_msg("%s %ld: names no database: %s", what, n, err.msg);
      int want = kind == OP_LOCK ? QB_EDB : QB_EIO;
      if (rc != want)
        fail_msg("%s %ld: error %s, want %s: %s", what, n, qb_rc_name(rc), qb_rc_name(want),
                 err.msg);
    }
    assert_all_or_none(what, n);
    assert_clean_run_works();
  }
  printf("%s: %ld fault points\n", what, n - 1);
  return n - 1;
}

static void test_faults__sqlite_full(void **state) {
  (void)state;
  assert_true(vfs_sweep(OP_WRITE, SQLITE_FULL, "write/sync/truncate SQLITE_FULL") > 0);
}

static void test_faults__sqlite_ioerr(void **state) {
  (void)state;
  assert_true(vfs_sweep(OP_WRITE, SQLITE_IOERR_WRITE, "write/sync/truncate SQLITE_IOERR") > 0);
}

/* One refused lock is waited out by the busy handler: every point still succeeds or fails
 * cleanly (QB_EDB). */
static void test_faults__sqlite_busy(void **state) {
  (void)state;
  assert_true(vfs_sweep(OP_LOCK, SQLITE_BUSY, "lock SQLITE_BUSY") > 0);
}

/* The write lock refused for good (another writer holds it): the store gives up after its 5 s wait
 * with "database is locked" (QB_EDB) naming the database, and the run is absent. */
static void test_faults__sqlite_busy_for_good(void **state) {
  (void)state;
  fresh_work_db();
  qb_store *s = NULL;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "py";
  qb_ingest_result res;
  assert_int_equal(qb_store_open(&s, WORK_DB, 0, &err), QB_OK);
  assert_int_equal(qb_ingest_prepare(RUN1, &o, &run, &err), QB_OK);
  vfs_kind = OP_LOCK;
  vfs_fail = 0;
  vfs_fail_from = 1;
  vfs_armed = 1;
  time_t t0 = time(NULL);
  int rc = qb_ingest_store(s, run, &res, &err);
  vfs_armed = 0;
  vfs_fail_from = 0;
  if (rc != QB_EDB) fail_msg("busy for good: %s: %s", qb_rc_name(rc), err.msg);
  assert_true(time(NULL) - t0 >= 4);
  assert_non_null(strstr(err.msg, WORK_DB));
  assert_non_null(strstr(err.msg, "database is locked"));
  assert_clean_message(&err, "busy for good", 1);
  qb_run_free(run);
  qb_store_close(s);
  assert_all_or_none("busy for good", 1);
  assert_int_equal(check_db().runs, 1);
  assert_clean_run_works();
}

/* The Nth allocation fails, for N = 1, 1 + step, ... until the scenario passes untouched: about
 * QB_FAULT_POINTS points spread over the whole scenario (QBDB_FAULT_ALL=1 tries every one). */
#define QB_FAULT_POINTS 1000
static void test_faults__alloc(void **state) {
  (void)state;
#if !QB_FAULT_MALLOC
  printf("skipped: allocation failures are not injected under AddressSanitizer\n");
  skip();
#else
  /* how many allocations a clean scenario makes */
  fresh_work_db();
  qb_err err = QB_ERR_INIT;
  alloc_count = 0;
  alloc_fail = 0;
  alloc_armed = 1;
  assert_int_equal(scenario(&err), QB_OK);
  alloc_armed = 0;
  long total = alloc_count;
  int all = getenv("QBDB_FAULT_ALL") != NULL;
  long points = qbt_quick() ? QB_FAULT_POINTS / 4 : QB_FAULT_POINTS;
  long step = all || total <= points ? 1 : total / points + 1;
  long tried = 0, failed_clean = 0, succeeded = 0;
  for (long n = 1;; n += step) {
    fresh_work_db();
    qb_err_clear(&err);
    long live0 = alloc_live;
    alloc_count = 0;
    alloc_failed = 0;
    alloc_fail = n;
    alloc_armed = 1;
    int rc = scenario(&err);
    alloc_armed = 0;
    if (!alloc_failed) {
      if (rc) fail_msg("allocation: no fault, but: %s", err.msg);
      break;
    }
    tried++;
    if (alloc_live != live0)
      fail_msg("allocation %ld: %ld allocations leaked (%s)", n, alloc_live - live0,
               rc ? err.msg : "no error");
    if (rc) {
      failed_clean++;
      assert_clean_message(&err, "allocation", n);
      if (rc != QB_ENOMEM && rc != QB_EINTERNAL && rc != QB_EIO && rc != QB_EDB)
        fail_msg("allocation %ld: unexpected error %s: %s", n, qb_rc_name(rc), err.msg);
    } else {
      succeeded++;
    }
    assert_all_or_none("allocation", n);
    if (tried % 50 == 0) assert_clean_run_works();
  }
  printf("allocation: %ld allocations in a clean run, %ld fault points tried (every %ld): %ld "
         "clean errors, %ld absorbed\n",
         total, tried, step, failed_clean, succeeded);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_faults__sqlite_full),
      cmocka_unit_test(test_faults__sqlite_ioerr),
      cmocka_unit_test(test_faults__sqlite_busy),
      cmocka_unit_test(test_faults__sqlite_busy_for_good),
      cmocka_unit_test(test_faults__alloc),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

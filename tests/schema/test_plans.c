/* tests/schema/test_plans.c - the store's listings and lookups cost what their answer costs
 * (issue 14): every statement they run is recorded (an SQLite auto-extension traces each
 * connection), then EXPLAIN QUERY PLAN of each must not scan a big table (run, result,
 * sample_set) without an index, and a statement that reads a page (LIMIT) must read it in its
 * index's order instead of sorting every matching row first. The query planner decides from the
 * schema alone (qbdb runs no ANALYZE), so a small database shows the plans of a big one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/time.h"
#include "schema/store.h"

#define TMP QB_TEST_TMP "/schema_plans"

/* ---- recording every statement the store runs ---------------------------------------------- */

#define MAX_SQL 256
/* What a statement may do: a call with a filter must find its rows by index (FILTERED); a
 * call with none (every run, newest first) may read a whole index in order (UNFILTERED). */
enum { OFF, UNFILTERED, FILTERED };
static struct {
  char *sql;
  int mode; /* the strictest mode it ran in */
} recorded[MAX_SQL];
static size_t n_recorded;
static int recording;

/* SQLITE_TRACE_STMT: keep the text of each statement run (once) while recording. */
static int on_stmt(unsigned type, void *ctx, void *p, void *x) {
  (void)ctx;
  (void)x;
  if (type != SQLITE_TRACE_STMT || !recording) return 0;
  const char *sql = sqlite3_sql((sqlite3_stmt *)p);
  if (!sql || !strncmp(sql, "--", 2)) return 0;
  for (size_t i = 0; i < n_recorded; i++)
    if (!strcmp(recorded[i].sql, sql)) {
      if (recording > recorded[i].mode) recorded[i].mode = recording;
      return 0;
    }
  if (n_recorded < MAX_SQL) {
    recorded[n_recorded].sql = strdup(sql);
    recorded[n_recorded++].mode = recording;
  }
  return 0;
}

/* The auto-extension: every connection opened in this process is traced. */
static int trace_entry(sqlite3 *db, char **msg, const void *api) {
  (void)msg;
  (void)api;
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_stmt, NULL);
  return SQLITE_OK;
}

/* ---- the plan check -------------------------------------------------------------------------- */

/* The tables that grow with the database: a scan of one is a cost per stored run. */
static const char *const BIG[] = {"run", "result", "sample_set"};

/* Is c a character of an SQL name? */
static int name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

/* Copy the name at *p into out (n bytes) and move *p past it and the blanks after it. */
static void take_name(const char **p, char *out, size_t n) {
  size_t k = 0;
  while (name_char(**p)) {
    if (k + 1 < n) out[k++] = **p;
    (*p)++;
  }
  out[k] = '\0';
  while (**p == ' ' || **p == '\n') (*p)++;
}

/* The table that name (a table or an alias in sql) stands for, into table: every "FROM t a",
 * "JOIN t a", "FROM t" and "JOIN t" of the text is read. */
static void table_of(const char *sql, const char *name, char *table, size_t n) {
  static const char *const KEYWORDS[] = {"ON",    "WHERE", "JOIN",  "CROSS", "LEFT",
                                         "INNER", "ORDER", "GROUP", "LIMIT", "USING"};
  snprintf(table, n, "%s", name);
  for (const char *p = sql; *p; p++) {
    int from = !strncasecmp(p, "FROM ", 5), join = !strncasecmp(p, "JOIN ", 5);
    if ((!from && !join) || (p > sql && name_char(p[-1]))) continue;
    const char *q = p + 5;
    char t[64], a[64] = "";
    if (!name_char(*q)) continue; /* FROM (SELECT ...) */
    take_name(&q, t, sizeof t);
    if (!strncasecmp(q, "AS ", 3)) q += 3;
    if (name_char(*q)) {
      take_name(&q, a, sizeof a);
      for (size_t k = 0; k < sizeof KEYWORDS / sizeof KEYWORDS[0]; k++)
        if (!strcasecmp(a, KEYWORDS[k])) a[0] = '\0';
    }
    if (!strcmp(a[0] ? a : t, name)) {
      snprintf(table, n, "%s", t);
      return;
    }
  }
}

/* EXPLAIN QUERY PLAN sql on db; fails the test, with the plan, when it scans a big table (any
 * SCAN when it ran for a filtered call, a SCAN without an index otherwise) or sorts every
 * matching row of a page it reads: a sort of the statement when it has a LIMIT, a sort in a
 * subquery when a subquery has one (sorting the rows of a page read by a subquery is fine). */
static void check_plan(sqlite3 *db, const char *sql, int mode) {
  char eqp[8192], plan[4096] = "", why[256] = "";
  snprintf(eqp, sizeof eqp, "EXPLAIN QUERY PLAN %s", sql);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK)
    fail_msg("cannot explain: %s: %s", sqlite3_errmsg(db), sql);
  /* a page: LIMIT on the statement itself (page) or in a subquery (sub_page) */
  int page = 0, sub_page = 0, depth = 0;
  for (const char *p = sql; *p; p++) {
    depth += (*p == '(') - (*p == ')');
    if (!strncmp(p, "LIMIT ", 6)) *(depth ? &sub_page : &page) = 1;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    int top = sqlite3_column_int(st, 1) == 0;
    const char *d = (const char *)sqlite3_column_text(st, 3);
    size_t at = strlen(plan);
    snprintf(plan + at, sizeof plan - at, "%s%s", at ? " | " : "", d);
    if (!strncmp(d, "SCAN ", 5) && (mode == FILTERED || !strstr(d, "INDEX"))) {
      const char *p = d + 5;
      char name[64], table[64];
      take_name(&p, name, sizeof name);
      table_of(sql, name, table, sizeof table);
      for (size_t k = 0; k < sizeof BIG / sizeof BIG[0]; k++)
        if (!strcmp(table, BIG[k]) && !why[0])
          snprintf(why, sizeof why, "a scan of every row of %s (%s)%s", table, d,
                   mode == FILTERED ? " for a filtered call" : "");
    }
    if ((top ? page : sub_page) && !strcmp(d, "USE TEMP B-TREE FOR ORDER BY") && !why[0])
      snprintf(why, sizeof why, "a page that sorts every matching row first");
  }
  sqlite3_finalize(st);
  if (why[0]) fail_msg("%s\n  sql:  %s\n  plan: %s", why, sql, plan);
  print_message("  ok: %.90s...\n     %s\n", sql, plan);
}

/* ---- a small database of every shape the listings filter on -------------------------------- */

static char *db_path(void) {
  static char buf[512];
  snprintf(buf, sizeof buf, "%s/plans.db", TMP);
  unlink(buf);
  char side[600];
  snprintf(side, sizeof side, "%s-wal", buf);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", buf);
  unlink(side);
  return buf;
}

/* A run of project/branch/machine with 3 benchmarks of 5 samples (a throughput result too on
 * the first). */
static void add_run(qb_store *s, const char *project, const char *branch, const char *machine,
                    int i, int64_t *id) {
  qb_err err = QB_ERR_INIT;
  qb_run *r = qb_run_new();
  assert_non_null(r);
  char sha[41];
  snprintf(sha, sizeof sha, "%08x%032d", 0xabc00000u + (unsigned)i, i);
  assert_int_equal(qb_run_set_str(&r->project, project, &err), 0);
  assert_int_equal(qb_run_set_str(&r->branch, branch, &err), 0);
  assert_int_equal(qb_run_set_str(&r->machine, machine, &err), 0);
  assert_int_equal(qb_run_set_str(&r->commit_sha, sha, &err), 0);
  assert_int_equal(qb_run_set_str(&r->format, "native", &err), 0);
  r->started_at = 1000000 * (int64_t)(i + 1);
  r->commit_time = r->started_at - 500000;
  snprintf(r->content_hash, sizeof r->content_hash, "%064d", i);
  assert_int_equal(qb_run_add_tag(r, "net", "lan", &err), 0);
  for (int b = 0; b < 3; b++) {
    char name[32];
    snprintf(name, sizeof name, "bench/%d", b);
    qb_bench *bb;
    qb_result *res;
    assert_int_equal(qb_run_add_bench(r, name, NULL, &bb, &err), 0);
    assert_int_equal(qb_bench_add_result(bb, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err), 0);
    double *v = malloc(5 * sizeof *v);
    uint64_t *it = malloc(5 * sizeof *it);
    for (int k = 0; k < 5; k++) {
      v[k] = 100.0 + b + k + (i % 7);
      it[k] = 1;
    }
    qb_result_take_samples(res, v, it, 5);
    res->stats.n = 5;
    res->stats.median = 102 + b + (i % 7);
    res->stats.mean = res->stats.median;
    if (b == 0) {
      assert_int_equal(
          qb_bench_add_result(bb, "throughput", "1/s", QB_HIGHER_IS_BETTER, &res, &err), 0);
      res->stats.estimate = 1e6;
    }
  }
  assert_int_equal(qb_store_insert_run(s, r, id, &err), QB_OK);
  qb_run_free(r);
}

static int setup(void **state) {
  (void)state;
  sqlite3_auto_extension((void (*)(void))trace_entry);
  return system("mkdir -p '" TMP "'");
}

static int teardown(void **state) {
  (void)state;
  sqlite3_cancel_auto_extension((void (*)(void))trace_entry);
  for (size_t i = 0; i < n_recorded; i++) free(recorded[i].sql);
  return 0;
}

/* Every listing and lookup behind `qbdb runs`, `show`, `regressions`, `trend`, the run
 * references, a compare's baseline and history and the HTTP listings, with every combination of
 * their filters. */
static void test_plans__listings_read_by_index(void **state) {
  (void)state;
  char *path = db_path();
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[24], id;
  for (int i = 0; i < 24; i++) /* "main" in two projects, a feature branch, two machines */
    add_run(s, i % 6 == 5 ? "q" : "p", i % 4 == 3 ? "feature" : "main", i % 2 ? "m2" : "m1", i,
            &ids[i]);
  qb_regression rec = {0};
  rec.run_id = ids[12];
  rec.prev_run_id = ids[10];
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = 100;
  rec.after = 110;
  rec.change_pct = 10;
  rec.p_value = 1e-5;
  rec.position = 6;
  qb_series_info *ser;
  size_t n_ser;
  qb_series_filter sf = QB_SERIES_FILTER_INIT;
  sf.run_id = ids[12];
  assert_int_equal(qb_store_series_list(s, &sf, &ser, &n_ser, &err), QB_OK);
  assert_true(n_ser > 0);
  int64_t series_id = ser[0].id;
  qb_series_infos_free(ser, n_ser);
  assert_int_equal(qb_store_regressions_replace(s, series_id, &rec, 1, &err), QB_OK);
  qb_store_close(s);

  /* record what the listings run, on a new connection */
  assert_int_equal(qb_store_open(&s, path, 0, &err), QB_OK);
  const char *projects[] = {NULL, "p"}, *branches[] = {NULL, "main", "feature"},
             *machines[] = {NULL, "m2"};
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < 2; c++) {
        recording = a || b || c ? FILTERED : UNFILTERED;
        qb_run_filter f = QB_RUN_FILTER_INIT;
        f.project = projects[a];
        f.branch = branches[b];
        f.machine = machines[c];
        f.limit = 3;
        f.offset = 1;
        qb_run_info *list;
        size_t n;
        assert_int_equal(qb_store_list_runs(s, &f, &list, &n, &err), QB_OK);
        assert_true(n > 0);
        qb_run_infos_free(list, n);
      }
  recording = FILTERED; /* the rest: lookups and listings that each read what they answer */
  qb_project_info *pr;
  size_t n_pr;
  assert_int_equal(qb_store_projects(s, &pr, &n_pr, &err), QB_OK);
  qb_project_infos_free(pr, n_pr);
  qb_run_info info;
  qb_run *run;
  assert_int_equal(qb_store_load_run(s, ids[7], 1, &info, &run, &err), QB_OK);
  qb_run_free(run);
  qb_run_info_dispose(&info);
  static const char *const refs[] = {"main@latest", "feature~1", "abc00004", "7"};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    assert_int_equal(qb_store_resolve_run(s, "p", refs[i], &id, &err), QB_OK);
    assert_int_equal(qb_store_resolve_run_on(s, "p", "m2", refs[i], &id, &err) == QB_OK ||
                         err.code == QB_ENOTFOUND,
                     1);
  }
  /* without a project: the branch by name (in two projects: refused) */
  assert_int_equal(qb_store_resolve_run(s, NULL, "feature@latest", &id, &err), QB_EUSAGE);
  assert_int_equal(qb_store_previous_run(s, ids[20], &id, &err), QB_OK);
  /* series lists, each driver: none, run, benchmark (with and without project), branch, project */
  const qb_series_filter filters[] = {{NULL, NULL, NULL, NULL, NULL, 0, NULL},
                                      {"p", NULL, NULL, NULL, NULL, 0, NULL},
                                      {"p", "main", "m1", NULL, NULL, 0, NULL},
                                      {NULL, "main", NULL, "latency", NULL, 0, NULL},
                                      {"p", NULL, NULL, NULL, NULL, 0, "bench/1"},
                                      {NULL, "main", "m2", NULL, NULL, 0, "bench/0"},
                                      {"p", NULL, NULL, NULL, "bench/*", ids[3], NULL}};
  for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
    assert_int_equal(qb_store_series_list(s, &filters[i], &ser, &n_ser, &err), QB_OK);
    assert_true(n_ser > 0);
    qb_series_infos_free(ser, n_ser);
  }
  qb_bench_metric *bm;
  size_t n_bm;
  for (int k = 0; k < 2; k++) { /* GET /benchmarks, with and without a project */
    assert_int_equal(qb_store_bench_metrics(s, k ? "p" : NULL, &bm, &n_bm, &err), QB_OK);
    assert_int_equal(n_bm, k ? 4 : 8); /* 3 benchmarks, one with two metrics, per project */
    qb_bench_metrics_free(bm, n_bm);
  }
  /* a compare's baseline candidates (by machine or any, by commit, before a run) and history */
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = "p";
  q.branch = "main";
  q.limit = 3;
  int64_t *found;
  size_t n_found;
  for (int k = 0; k < 3; k++) {
    q.machine = k == 1 ? "m1" : NULL;
    q.commit = k == 2 ? "abc0000" : NULL;
    q.before = k == 0 ? ids[20] : 0;
    assert_int_equal(qb_store_find_runs(s, &q, &found, &n_found, &err), QB_OK);
    assert_true(n_found > 0);
    free(found);
  }
  qb_history_point *hist;
  size_t n_hist;
  assert_int_equal(qb_store_history(s, ids[20], 5, &hist, &n_hist, &err), QB_OK);
  assert_true(n_hist > 0);
  qb_history_free(hist, n_hist);
  qb_series_point *pts;
  size_t n_pts;
  assert_int_equal(qb_store_series_points(s, series_id, &pts, &n_pts, &err), QB_OK);
  qb_series_points_free(pts, n_pts);
  /* the regressions GET /regressions lists (open ones, and all=true), of a series, a page */
  qb_regression_filter rf = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs;
  size_t n_regs;
  for (int k = 0; k < 4; k++) {
    rf.project = k == 1 ? NULL : "p";
    rf.status = k == 0 ? "open" : NULL;
    rf.kind = k == 0 ? "regression" : NULL;
    rf.min_severity = k == 0;
    rf.active_only = k == 0;
    rf.series_id = k == 2 ? series_id : 0;
    rf.limit = k == 3 ? 10 : 0;
    assert_int_equal(qb_store_regressions_list(s, &rf, &regs, &n_regs, &err), QB_OK);
    assert_int_equal(n_regs, 1);
    qb_regressions_free(regs, n_regs);
  }
  recording = OFF;
  qb_store_close(s);

  sqlite3 *db;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_true(n_recorded > 10);
  for (size_t i = 0; i < n_recorded; i++) check_plan(db, recorded[i].sql, recorded[i].mode);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plans__listings_read_by_index),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

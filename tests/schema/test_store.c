/* tests/schema/test_store.c - the store, on SQLite and (as schema_test_store_pg) on PostgreSQL:
 * migrations (a version 11 SQLite database upgraded) and refusal of foreign or newer databases,
 * exact round trips of runs, idempotent re-insert, idempotency keys scoped to project and token,
 * run references, the counts on the run row through inserts and prunes, pages of the run listing,
 * compact samples, the fingerprint after a prune of samples, bisect sessions (migration 0015). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/time.h"
#include "schema/migrate.h"
#include "schema/store.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/schema_store"

static const char *db_path(const char *name) {
  return qbt_db_fresh(TMP, name);
}

static int setup(void **state) {
  (void)state;
  return system("mkdir -p '" TMP "'");
}

/* A run with n_bench benchmarks of n_samples latency samples each (+ a throughput result on the
 * first), content hash derived from hash_seed. */
static qb_run *make_run(const char *project, const char *branch, const char *sha, int64_t started,
                        int hash_seed, size_t n_bench, size_t n_samples) {
  qb_err err = QB_ERR_INIT;
  qb_run *r = qb_run_new();
  assert_non_null(r);
  assert_int_equal(qb_run_set_str(&r->project, project, &err), 0);
  assert_int_equal(qb_run_set_str(&r->branch, branch, &err), 0);
  assert_int_equal(qb_run_set_str(&r->machine, "ci-1", &err), 0);
  assert_int_equal(qb_run_set_str(&r->commit_sha, sha, &err), 0);
  assert_int_equal(qb_run_set_str(&r->format, "native", &err), 0);
  assert_int_equal(qb_run_set_str(&r->tool_version, "qbr 0.1", &err), 0);
  assert_int_equal(qb_run_set_str(&r->machine_info, "{\"cores\":2}", &err), 0);
  r->started_at = started;
  r->commit_time = started - 1000000;
  snprintf(r->content_hash, sizeof r->content_hash, "%064d", hash_seed);
  assert_int_equal(qb_run_add_tag(r, "net", "lan", &err), 0);
  assert_int_equal(qb_run_add_tag(r, "nodes", "3", &err), 0);
  for (size_t i = 0; i < n_bench; i++) {
    char name[64];
    snprintf(name, sizeof name, "bench/%zu", i);
    qb_bench *b;
    assert_int_equal(qb_run_add_bench(r, name, i % 2 ? "odd" : NULL, &b, &err), 0);
    b->params = strdup("{\"n\":1000}");
    b->extra = i == 0 ? strdup("{\"fullname\":\"x.py::bench\"}") : NULL;
    qb_result *res;
    assert_int_equal(qb_bench_add_result(b, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err), 0);
    double *v = malloc(n_samples * sizeof *v);
    uint64_t *it = malloc(n_samples * sizeof *it);
    for (size_t k = 0; k < n_samples; k++) {
      v[k] = 1000.0 + (double)((k * 7919 + i * 104729) % 1000) / 7.0;
      it[k] = 100;
    }
    qb_result_take_samples(res, v, it, n_samples);
    res->stats.n = (int64_t)n_samples;
    res->stats.mean = 1071.3;
    res->stats.median = 1071.0;
    res->stats.p99 = 1140.5;
    res->stats.outliers = 3;
    res->extra = strdup("{\"ops\":933.4}");
    if (i == 0) {
      assert_int_equal(qb_bench_add_result(b, "throughput", "B/s", QB_HIGHER_IS_BETTER, &res, &err),
                       0);
      res->stats.estimate = 9.1e8;
      res->stats.ci_lo = 9.0e8;
      res->stats.ci_hi = 9.2e8;
    }
  }
  return r;
}

static void assert_runs_equal(const qb_run *a, const qb_run *b) {
  assert_string_equal(a->project, b->project);
  assert_string_equal(a->branch, b->branch);
  assert_string_equal(a->machine, b->machine);
  assert_string_equal(a->commit_sha, b->commit_sha);
  assert_string_equal(a->machine_info, b->machine_info);
  assert_string_equal(a->format, b->format);
  assert_string_equal(a->tool_version, b->tool_version);
  assert_string_equal(a->content_hash, b->content_hash);
  assert_int_equal(a->started_at, b->started_at);
  assert_int_equal(a->commit_time, b->commit_time);
  assert_int_equal(a->n_tags, b->n_tags);
  for (size_t i = 0; i < a->n_tags; i++) {
    assert_string_equal(a->tags[i].key, b->tags[i].key);
    assert_string_equal(a->tags[i].value, b->tags[i].value);
  }
  assert_int_equal(a->n_benches, b->n_benches);
  for (size_t i = 0; i < a->n_benches; i++) {
    const qb_bench *x = &a->benches[i], *y = &b->benches[i];
    assert_string_equal(x->name, y->name);
    if (x->group || y->group) assert_string_equal(x->group, y->group);
    assert_string_equal(x->params, y->params);
    if (x->extra || y->extra) assert_string_equal(x->extra, y->extra);
    assert_int_equal(x->n_results, y->n_results);
    for (size_t k = 0; k < x->n_results; k++) {
      const qb_result *p = &x->results[k], *q = &y->results[k];
      assert_string_equal(p->metric, q->metric);
      assert_string_equal(p->unit, q->unit);
      assert_int_equal(p->direction, q->direction);
      assert_memory_equal(&p->stats.min, &q->stats.min, 9 * sizeof(double)); /* NaN-exact */
      assert_int_equal(p->stats.n, q->stats.n);
      assert_int_equal(p->stats.outliers, q->stats.outliers);
      assert_close(p->stats.estimate, q->stats.estimate, 0);
      assert_close(p->stats.ci_lo, q->stats.ci_lo, 0);
      assert_close(p->stats.ci_hi, q->stats.ci_hi, 0);
      if (p->extra || q->extra) assert_string_equal(p->extra, q->extra);
      assert_int_equal(p->n_samples, q->n_samples);
      if (p->n_samples) {
        assert_memory_equal(p->samples, q->samples, p->n_samples * sizeof(double));
        assert_memory_equal(p->iters, q->iters, p->n_samples * sizeof(uint64_t));
      }
    }
  }
}

static void test_store__new_file_is_migrated_and_marked(void **state) {
  (void)state;
  const char *path = db_path("new.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, 0, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, path));
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  assert_int_equal(qb_store_schema_version(s), qb_migrations_count);
  qb_store_close(s);
  if (qbt_pg()) { /* the mark and the version are a row of qbdb_schema */
    assert_int_equal(qbt_sql_int(path, "SELECT version FROM qbdb_schema WHERE id = 1 AND "
                                       "application = 'qbdb'"),
                     qb_migrations_count);
    return;
  }
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "SELECT (SELECT application_id FROM pragma_application_id),"
                                      " (SELECT user_version FROM pragma_user_version),"
                                      " (SELECT journal_mode FROM pragma_journal_mode)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), QB_APPLICATION_ID);
  assert_int_equal(sqlite3_column_int(st, 1), qb_migrations_count);
  assert_string_equal((const char *)sqlite3_column_text(st, 2), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* A database left at schema version 1 by an older qbdb (only migration 0001 applied) is
 * migrated forward on open, its data kept. */
static void test_store__older_schema_is_migrated(void **state) {
  (void)state;
  QBT_SQLITE_ONLY(); /* PostgreSQL databases start at the version 13 base schema */
  const char *path = db_path("old.db");
  sqlite3 *db;
  char sql[128];
  snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = 1;",
           QB_APPLICATION_ID);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, qb_migrations[0].sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO project(name) VALUES ('kept')", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, 0, &err), QB_OK);
  assert_int_equal(qb_store_schema_version(s), qb_migrations_count);
  assert_int_equal(qb_store_setting_set(s, "", "", "alpha", 0.1, NULL, &err), QB_OK);
  qb_store_counts c;
  assert_int_equal(qb_store_counts_get(s, &c, &err), QB_OK);
  assert_int_equal(c.projects, 1);
  qb_store_close(s);
}

/* Runs whose stored counts (migration 0012) differ from what the listing counted before it:
 * benchmarks with a result, results, raw samples. */
static int64_t count_mismatches(const char *path) {
  return qbt_sql_int(
      path,
      "SELECT count(*) FROM run r WHERE r.n_benches <> (SELECT count(DISTINCT x.benchmark_id) "
      "FROM result x WHERE x.run_id = r.id) OR r.n_results <> (SELECT count(*) FROM result x "
      "WHERE x.run_id = r.id) OR r.n_samples <> (SELECT coalesce(sum(ss.n), 0) FROM result x "
      "JOIN sample_set ss ON ss.result_id = x.id WHERE x.run_id = r.id)");
}

/* A database made by the previous qbdb (schema version 11: migrations 0001-0011, rows written
 * as that version wrote them) is migrated on open: the counts 0012 puts on the run row are the
 * ones the listing counted, regressions get their time, and the store works on it. */
static void test_store__version_11_database_is_migrated(void **state) {
  (void)state;
  QBT_SQLITE_ONLY(); /* PostgreSQL databases start at the version 13 base schema */
  const char *path = db_path("v11.db");
  sqlite3 *db;
  char sql[128];
  assert_true(qb_migrations_count >= 12);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  for (int i = 0; i < 11; i++)
    assert_int_equal(sqlite3_exec(db, qb_migrations[i].sql, NULL, NULL, NULL), SQLITE_OK);
  snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = 11;",
           QB_APPLICATION_ID);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  static const char *const rows =
      "INSERT INTO project VALUES (1, 'old');"
      "INSERT INTO branch VALUES (1, 1, 'main');"
      "INSERT INTO machine VALUES (1, 'm1', NULL);"
      "INSERT INTO run(id, project_id, branch_id, machine_id, commit_sha, commit_time, started_at,"
      " ingested_at, format, content_hash) VALUES"
      " (1, 1, 1, 1, 'abcd1111', NULL, 1000000, 1000000, 'native', 'h1'),"
      " (2, 1, 1, 1, 'abcd2222', 500, 2000000, 2000000, 'native', 'h2'),"
      " (3, 1, 1, 1, 'abcd3333', NULL, 3000000, 3000000, 'native', 'h3');"
      "INSERT INTO run_tag VALUES (1, 'net', 'lan');"
      "INSERT INTO benchmark VALUES (1, 1, 'a', NULL, NULL), (2, 1, 'b', NULL, NULL);"
      "INSERT INTO metric VALUES (1, 'latency', 'ns', 0), (2, 'throughput', '1/s', 1);"
      "INSERT INTO series(id, branch_id, machine_id, benchmark_id, metric_id) VALUES"
      " (1, 1, 1, 1, 1), (2, 1, 1, 1, 2), (3, 1, 1, 2, 1);"
      "INSERT INTO result(id, run_id, benchmark_id, metric_id, series_id, n, median, run_time)"
      " VALUES (1, 1, 1, 1, 1, 5, 10, 1000000), (2, 1, 1, 2, 2, NULL, 9, 1000000),"
      " (3, 1, 2, 1, 3, 3, 20, 1000000), (4, 2, 1, 1, 1, 7, 12, 500);"
      "INSERT INTO sample_set VALUES (1, 5, x'01'), (3, 3, x'01'), (4, 7, x'01');"
      "INSERT INTO regression(series_id, run_id, prev_run_id, kind, before, after, change_pct,"
      " p_value, severity, detected_at) VALUES (1, 2, 1, 'regression', 10, 12, 20, 0.001,"
      " 'major', 1);";
  assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, 0, &err), QB_OK);
  assert_int_equal(qb_store_schema_version(s), qb_migrations_count);
  qb_run_info *list;
  size_t n;
  assert_int_equal(qb_store_list_runs(s, NULL, &list, &n, &err), QB_OK);
  assert_int_equal(n, 3);
  const int64_t want[3][4] = {{3, 0, 0, 0}, {2, 1, 1, 7}, {1, 2, 3, 8}}; /* id, counts */
  for (int i = 0; i < 3; i++) {
    assert_int_equal(list[i].id, want[i][0]);
    assert_int_equal(list[i].n_benches, want[i][1]);
    assert_int_equal(list[i].n_results, want[i][2]);
    assert_int_equal(list[i].n_samples, want[i][3]);
  }
  assert_int_equal(list[2].n_tags, 1);
  qb_run_infos_free(list, n);
  qb_project_info *pr;
  assert_int_equal(qb_store_projects(s, &pr, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(pr[0].runs, 3);
  assert_int_equal(pr[0].latest_run, 3);
  qb_project_infos_free(pr, n);
  qb_regression *regs;
  assert_int_equal(qb_store_regressions_list(s, NULL, &regs, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(regs[0].time, 500); /* the run's commit time, as the listing showed it */
  assert_string_equal(regs[0].commit_sha, "abcd2222");
  qb_regressions_free(regs, n);
  int64_t id;
  assert_int_equal(qb_store_resolve_run(s, "old", "main~1", &id, &err), QB_OK);
  assert_int_equal(id, 2);
  qb_run *run = make_run("old", "main", "abcd4444", 4000000, 44, 2, 4);
  assert_int_equal(qb_store_insert_run(s, run, &id, &err), QB_OK);
  qb_run_free(run);
  assert_int_equal(qb_store_resolve_run(s, "old", "main@latest", &id, &err), QB_OK);
  assert_int_equal(id, 4);
  qb_store_close(s);
  assert_int_equal(count_mismatches(path), 0);
}

/* The counts listings show (migration 0012) are written with the run and kept right by prune:
 * equal to what the listing counted before, after inserts (a benchmark without results, a
 * result without samples), a prune that drops raw samples and one that deletes runs. */
static void test_store__run_counts_are_kept(void **state) {
  (void)state;
  const char *path = db_path("counts.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[5];
  for (int i = 0; i < 5; i++) {
    qb_run *r = make_run("p", i == 4 ? "dev" : "main", "abcd0000", 1000000 * (i + 1), 700 + i,
                         (size_t)(2 + i), 3);
    qb_bench *b;
    assert_int_equal(qb_run_add_bench(r, "no/results", NULL, &b, &err), 0);
    assert_int_equal(qb_store_insert_run(s, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  qb_run_info *list;
  size_t n;
  qb_run_filter f = QB_RUN_FILTER_INIT;
  f.branch = "main";
  assert_int_equal(qb_store_list_runs(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 4);
  for (size_t i = 0; i < n; i++) { /* newest first: run 3 has 5 benchmarks */
    int64_t nb = 5 - (int64_t)i;
    assert_int_equal(list[i].n_benches, nb);
    assert_int_equal(list[i].n_results, nb + 1); /* + the first benchmark's throughput */
    assert_int_equal(list[i].n_samples, nb * 3); /* the throughput has none */
  }
  qb_run_infos_free(list, n);
  assert_int_equal(count_mismatches(path), 0);
  /* drop the samples of runs started before 2.5 s: runs 0 and 1 */
  qb_prune_opts o = {QB_TIME_NONE, 2500000, NULL, 30, 0};
  qb_prune_result res;
  assert_int_equal(qb_store_prune(s, &o, &res, &err), QB_OK);
  assert_int_equal(res.samples_dropped, 2 * 3 + 3 * 3);
  qb_run_info info;
  assert_int_equal(qb_store_load_run(s, ids[1], 0, &info, NULL, &err), QB_OK);
  assert_int_equal(info.n_samples, 0);
  assert_int_equal(info.n_results, 4);
  qb_run_info_dispose(&info);
  assert_int_equal(count_mismatches(path), 0);
  /* delete the runs started before 3.5 s but the newest of main on ci-1 (run 3): 0, 1, 2 */
  o = (qb_prune_opts){3500000, QB_TIME_NONE, NULL, 30, 0};
  assert_int_equal(qb_store_prune(s, &o, &res, &err), QB_OK);
  assert_int_equal(res.runs, 3);
  assert_int_equal(qb_store_list_runs(s, NULL, &list, &n, &err), QB_OK);
  assert_int_equal(n, 2);
  assert_int_equal(list[0].id, ids[4]);
  assert_int_equal(list[0].n_samples, 6 * 3);
  assert_int_equal(list[1].id, ids[3]);
  assert_int_equal(list[1].n_samples, 5 * 3);
  qb_run_infos_free(list, n);
  qb_store_close(s);
  assert_int_equal(count_mismatches(path), 0);
}

/* Pages of the run listing: an offset skips runs in the listing's order, with any filter, and a
 * branch name that is in two projects merges their runs in that order. */
static void test_store__run_pages(void **state) {
  (void)state;
  const char *path = db_path("pages.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[12];
  for (int i = 0; i < 12; i++) { /* main in projects p and q, in turn; started out of order */
    qb_run *r =
        make_run(i % 2 ? "q" : "p", "main", "abcd0000", 1000000 * ((i * 5) % 12), 800 + i, 1, 2);
    assert_int_equal(qb_store_insert_run(s, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  qb_run_info *all, *page;
  size_t n_all, n;
  assert_int_equal(qb_store_list_runs(s, NULL, &all, &n_all, &err), QB_OK);
  assert_int_equal(n_all, 12);
  for (size_t i = 1; i < n_all; i++) assert_true(all[i - 1].started_at > all[i].started_at);
  for (int by_branch = 0; by_branch < 2; by_branch++)
    for (int64_t off = 0; off < 14; off += 3) {
      qb_run_filter f = QB_RUN_FILTER_INIT;
      f.branch = by_branch ? "main" : NULL; /* in two projects: merged */
      f.offset = off;
      f.limit = 4;
      assert_int_equal(qb_store_list_runs(s, &f, &page, &n, &err), QB_OK);
      size_t want = off >= 12 ? 0 : 12 - (size_t)off < 4 ? 12 - (size_t)off : 4;
      assert_int_equal(n, want);
      for (size_t i = 0; i < n; i++) assert_int_equal(page[i].id, all[off + (int64_t)i].id);
      qb_run_infos_free(page, n);
    }
  qb_run_filter f = QB_RUN_FILTER_INIT;
  f.project = "q";
  f.branch = "main";
  f.machine = "ci-1";
  f.offset = 2;
  assert_int_equal(qb_store_list_runs(s, &f, &page, &n, &err), QB_OK);
  assert_int_equal(n, 4);
  for (size_t i = 0; i < n; i++) assert_string_equal(page[i].project, "q");
  qb_run_infos_free(page, n);
  f.machine = "nowhere";
  assert_int_equal(qb_store_list_runs(s, &f, &page, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  assert_null(page);
  qb_run_infos_free(all, n_all);
  qb_store_close(s);
}

/* Build a SQLite file with raw SQL and check the store refuses it, leaving it unchanged. */
static void refuse(const char *name, const char *sql, const char *want) {
  const char *path = db_path(name);
  if (sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
  } else {
    FILE *f = fopen(path, "wb");
    fputs("this is not a database, just text that is long enough to have a header..........", f);
    fclose(f);
  }
  char *before, *after;
  size_t nb, na;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(path, 1 << 20, &before, &nb, &err), QB_OK);
  qb_store *s = NULL;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_EDB);
  assert_null(s);
  assert_non_null(strstr(err.msg, path));
  assert_non_null(strstr(err.msg, want));
  assert_int_equal(qb_file_read(path, 1 << 20, &after, &na, &err), QB_OK);
  assert_int_equal(na, nb);
  assert_memory_equal(before, after, nb);
  free(before);
  free(after);
}

/* The same for a PostgreSQL database built with sql: refused, its tables and rows as they were
 * (the count of objects in its schema and of rows in table `probe`). */
static void refuse_pg(const char *name, const char *sql, const char *want) {
  const char *loc = db_path(name);
  char path[600];
  snprintf(path, sizeof path, "%s", loc);
  qbt_sql_exec(path, sql);
  const char *objects = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                        "c.relnamespace WHERE n.nspname = 'public'";
  int64_t before = qbt_sql_int(path, objects),
          rows = qbt_sql_int(path, "SELECT count(*) FROM probe");
  qb_store *s = NULL;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_EDB);
  assert_null(s);
  assert_non_null(strstr(err.msg, path));
  assert_non_null(strstr(err.msg, want));
  assert_int_equal(qbt_sql_int(path, objects), before);
  assert_int_equal(qbt_sql_int(path, "SELECT count(*) FROM probe"), rows);
}

static void test_store__foreign_files_are_refused(void **state) {
  (void)state;
  if (qbt_pg()) {
    refuse_pg("other", "CREATE TABLE probe(x int); INSERT INTO probe VALUES (1);",
              "not a qbdb database");
    refuse_pg("otherapp",
              "CREATE TABLE probe(x int); CREATE TABLE qbdb_schema(id int, application text, "
              "version int); INSERT INTO qbdb_schema VALUES (1, 'other', 1);",
              "not a qbdb database");
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE probe(x int); CREATE TABLE qbdb_schema(id int, application text, "
             "version int); INSERT INTO qbdb_schema VALUES (1, 'qbdb', %d);",
             qb_migrations_count + 1);
    refuse_pg("newer", sql, "newer than this qbdb");
    return;
  }
  refuse("other.db", "CREATE TABLE t(x); INSERT INTO t VALUES (1);", "not a qbdb database");
  refuse("otherapp.db", "PRAGMA application_id = 1234; CREATE TABLE t(x);", "not a qbdb database");
  refuse("text.db", NULL, "not a qbdb database");
  char sql[128];
  snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
           QB_APPLICATION_ID, qb_migrations_count + 1);
  refuse("newer.db", sql, "newer than this qbdb");
}

static void test_store__run_round_trip_is_exact(void **state) {
  (void)state;
  const char *path = db_path("roundtrip.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_run *run = make_run("p", "main", "0123abcd", 1795624627014106LL, 1, 5, 50);
  run->benches[2].results[0].stats.min = NAN; /* unknown stays unknown */
  int64_t id = 0;
  assert_int_equal(qb_store_insert_run(s, run, &id, &err), QB_OK);
  assert_true(id > 0);
  qb_run_info info;
  qb_run *back = NULL;
  assert_int_equal(qb_store_load_run(s, id, 1, &info, &back, &err), QB_OK);
  assert_runs_equal(run, back);
  assert_int_equal(info.n_benches, 5);
  assert_int_equal(info.n_results, 6);
  assert_int_equal(info.n_samples, 250);
  assert_true(info.ingested_at != QB_TIME_NONE);
  qb_run_info_dispose(&info);
  qb_run_free(back);
  /* without samples: the same stats, no sample arrays */
  assert_int_equal(qb_store_load_run(s, id, 0, &info, &back, &err), QB_OK);
  assert_int_equal(back->benches[0].results[0].n_samples, 0);
  assert_close(back->benches[0].results[0].stats.p99, 1140.5, 0);
  qb_run_info_dispose(&info);
  qb_run_free(back);
  assert_int_equal(qb_store_load_run(s, id + 100, 0, &info, &back, &err), QB_ENOTFOUND);
  qb_run_free(run);
  qb_store_close(s);
}

static void test_store__same_content_is_idempotent(void **state) {
  (void)state;
  const char *path = db_path("idem.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_run *run = make_run("p", "main", "0123abcd", 1000000, 7, 3, 10);
  int64_t id1 = 0, id2 = 0, id3 = 0;
  assert_int_equal(qb_store_insert_run(s, run, &id1, &err), QB_OK);
  qb_store_counts c1, c2;
  assert_int_equal(qb_store_counts_get(s, &c1, &err), QB_OK);
  assert_int_equal(qb_store_insert_run(s, run, &id2, &err), QB_EEXISTS);
  assert_int_equal(id2, id1);
  assert_int_equal(qb_store_counts_get(s, &c2, &err), QB_OK);
  assert_memory_equal(&c1, &c2, sizeof c1);
  assert_int_equal(c1.runs, 1);
  assert_int_equal(c1.results, 4);
  assert_int_equal(c1.samples, 30);
  /* the same content in another project is another run */
  free(run->project);
  run->project = strdup("q");
  assert_int_equal(qb_store_insert_run(s, run, &id3, &err), QB_OK);
  assert_true(id3 != id1);
  qb_run_free(run);
  qb_store_close(s);
}

static void test_store__run_references_resolve(void **state) {
  (void)state;
  const char *path = db_path("refs.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  const struct {
    const char *branch, *sha;
    int64_t t;
  } rows[] = {{"main", "aaaa1111", 100},
              {"main", "aaaa2222", 300},
              {"dev", "bbbb3333", 200},
              {"main", "cccc4444", 250}};
  int64_t ids[4];
  for (int i = 0; i < 4; i++) {
    qb_run *r = make_run("p", rows[i].branch, rows[i].sha, rows[i].t, 100 + i, 1, 3);
    assert_int_equal(qb_store_insert_run(s, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  int64_t id;
  char ref[32];
  snprintf(ref, sizeof ref, "%lld", (long long)ids[2]);
  assert_int_equal(qb_store_resolve_run(s, NULL, ref, &id, &err), QB_OK);
  assert_int_equal(id, ids[2]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "main@latest", &id, &err), QB_OK);
  assert_int_equal(id, ids[1]); /* newest by started_at, not by insertion */
  assert_int_equal(qb_store_resolve_run(s, "p", "dev@latest", &id, &err), QB_OK);
  assert_int_equal(id, ids[2]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "cccc", &id, &err), QB_OK);
  assert_int_equal(id, ids[3]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "aaaa2", &id, &err), QB_OK);
  assert_int_equal(id, ids[1]);
  /* commits are stored in lower case; a prefix in upper case finds them too */
  assert_int_equal(qb_store_resolve_run(s, NULL, "AAAA2", &id, &err), QB_OK);
  assert_int_equal(id, ids[1]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "aaaa", &id, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "run reference 'aaaa': ambiguous commit prefix (aaaa2222, "
                               "aaaa1111, ...); give more digits");
  /* longer than any commit: no match, not a crash */
  char long_ref[100];
  memset(long_ref, 'a', sizeof long_ref - 1);
  long_ref[sizeof long_ref - 1] = '\0';
  assert_int_equal(qb_store_resolve_run(s, NULL, long_ref, &id, &err), QB_ENOTFOUND);
  assert_int_equal(qb_store_resolve_run(s, NULL, "nope@latest", &id, &err), QB_ENOTFOUND);
  assert_int_equal(qb_store_resolve_run(s, NULL, "main@first", &id, &err), QB_EUSAGE);
  assert_int_equal(qb_store_resolve_run(s, NULL, "dddd", &id, &err), QB_ENOTFOUND);
  assert_int_equal(qb_store_resolve_run(s, "other", "main@latest", &id, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "run reference 'main@latest': no branch 'main' in project other (no "
                               "branches)");
  /* a branch that does not exist: the message names those that do */
  assert_int_equal(qb_store_resolve_run(s, "p", "master~1", &id, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "run reference 'master~1': no branch 'master' in project p "
                               "(branches: dev, main)");
  assert_int_equal(qb_store_resolve_run_on(s, "p", "nosuch", "main@latest", &id, &err),
                   QB_ENOTFOUND);
  assert_string_equal(err.msg, "run reference 'main@latest': no runs on branch 'main' on machine "
                               "nosuch");
  assert_int_equal(qb_store_resolve_run(s, NULL, "main~7", &id, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "run reference 'main~7': branch 'main' has fewer than 8 runs");
  /* a branch of that name in a second project: ambiguous without --project */
  qb_run *r2 = make_run("q", "main", "eeee5555", 400, 200, 1, 3);
  assert_int_equal(qb_store_insert_run(s, r2, &id, &err), QB_OK);
  qb_run_free(r2);
  assert_int_equal(qb_store_resolve_run(s, NULL, "main@latest", &id, &err), QB_EUSAGE);
  assert_string_equal(err.msg,
                      "run reference 'main@latest': branch 'main' exists in 2 projects; pass "
                      "--project");
  assert_int_equal(qb_store_resolve_run(s, "p", "main@latest", &id, &err), QB_OK);
  assert_int_equal(id, ids[1]);
  /* listing: newest first, filters, limit */
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *list;
  size_t n;
  f.project = "p";
  assert_int_equal(qb_store_list_runs(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 4);
  assert_int_equal(list[0].id, ids[1]);
  assert_int_equal(list[1].id, ids[3]);
  assert_int_equal(list[2].id, ids[2]);
  assert_int_equal(list[3].id, ids[0]);
  assert_int_equal(list[0].n_tags, 2);
  assert_string_equal(list[0].tags[0].key, "net");
  qb_run_infos_free(list, n);
  f.branch = "main";
  f.limit = 2;
  assert_int_equal(qb_store_list_runs(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 2);
  assert_string_equal(list[1].commit_sha, "cccc4444");
  qb_run_infos_free(list, n);
  qb_store_close(s);
}

static void test_store__branch_tilde_n(void **state) {
  (void)state;
  const char *path = db_path("tilde.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[3];
  for (int i = 0; i < 3; i++) {
    qb_run *r = make_run("p", "main", "abcd0000", 100 + i, 300 + i, 1, 2);
    assert_int_equal(qb_store_insert_run(s, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  int64_t id;
  assert_int_equal(qb_store_resolve_run(s, NULL, "main~0", &id, &err), QB_OK);
  assert_int_equal(id, ids[2]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "main~2", &id, &err), QB_OK);
  assert_int_equal(id, ids[0]);
  assert_int_equal(qb_store_resolve_run(s, NULL, "main~3", &id, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "fewer than 4 runs"));
  assert_int_equal(qb_store_resolve_run(s, NULL, "main~x", &id, &err), QB_EUSAGE);
  assert_int_equal(qb_store_resolve_run(s, NULL, "~1", &id, &err), QB_EUSAGE);
  qb_store_close(s);
}

/* History: the runs of each series up to and including a run, newest first, limited, without
 * runs of other branches, marked where a stored change point begins; find_runs: the baseline
 * candidates of a branch, by machine, commit prefix and position. */
static void test_store__series_history(void **state) {
  (void)state;
  const char *path = db_path("history.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[8];
  for (int i = 0; i < 8; i++) {
    char sha[16];
    snprintf(sha, sizeof sha, "abcd%04d", i);
    qb_run *r = make_run("p", i == 3 ? "dev" : "main", sha, 1000 + i, 500 + i, 2, 3);
    r->benches[0].results[0].stats.median = 100.0 + i;
    assert_int_equal(qb_store_insert_run(s, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  qb_history_point *h;
  size_t n;
  /* a change point at run 4 in bench/0's latency series */
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  f.run_id = ids[4];
  f.metric = "latency";
  f.bench_glob = "bench/0";
  qb_series_info *ser;
  size_t n_ser;
  assert_int_equal(qb_store_series_list(s, &f, &ser, &n_ser, &err), QB_OK);
  assert_int_equal(n_ser, 1);
  qb_regression rec = {0};
  rec.run_id = ids[4];
  rec.prev_run_id = ids[2];
  rec.kind = "regression";
  rec.severity = "minor";
  rec.before = 102;
  rec.after = 104;
  rec.change_pct = 2;
  rec.p_value = 0.001;
  rec.position = 3;
  assert_int_equal(qb_store_regressions_replace(s, ser[0].id, &rec, 1, &err), QB_OK);
  assert_int_equal(rec.inserted, 1); /* stored by this call: its notification is this caller's */
  rec.p_value = 0.0005;              /* found again (by another server, say): not new */
  assert_int_equal(qb_store_regressions_replace(s, ser[0].id, &rec, 1, &err), QB_OK);
  assert_int_equal(rec.inserted, 0);
  rec.p_value = 0.001;
  assert_int_equal(qb_store_regressions_replace(s, ser[0].id, &rec, 1, &err), QB_OK);
  qb_series_infos_free(ser, n_ser);
  /* up to run 6, at most 4 per series: runs 6, 5, 4, 2 (3 is on dev) */
  assert_int_equal(qb_store_history(s, ids[6], 4, &h, &n, &err), QB_OK);
  /* bench/0 has latency + throughput, bench/1 latency: 3 series x 4 points */
  assert_int_equal(n, 12);
  assert_string_equal(h[0].bench, "bench/0");
  assert_string_equal(h[0].metric, "latency");
  const int64_t want[4] = {ids[6], ids[5], ids[4], ids[2]};
  for (int k = 0; k < 4; k++) assert_int_equal(h[k].run_id, want[k]);
  assert_close(h[0].median, 106.0, 0);
  assert_close(h[3].median, 102.0, 0);
  for (int k = 0; k < 4; k++) assert_int_equal(h[k].change, k == 2);
  assert_string_equal(h[4].metric, "throughput");
  for (int k = 4; k < 12; k++) assert_int_equal(h[k].change, 0);
  assert_string_equal(h[8].bench, "bench/1");
  qb_history_free(h, n);
  assert_int_equal(qb_store_history(s, ids[0], 4, &h, &n, &err), QB_OK);
  assert_int_equal(n, 3); /* the first run's own points only */
  qb_history_free(h, n);
  /* find_runs: main before run 6, newest first; by commit prefix; leaving one out */
  qb_run_query q = QB_RUN_QUERY_INIT;
  int64_t *found;
  size_t nf;
  q.project = "p";
  q.branch = "main";
  q.before = ids[6];
  q.limit = 3;
  assert_int_equal(qb_store_find_runs(s, &q, &found, &nf, &err), QB_OK);
  assert_int_equal(nf, 3);
  assert_int_equal(found[0], ids[5]);
  assert_int_equal(found[1], ids[4]);
  assert_int_equal(found[2], ids[2]);
  free(found);
  q.before = 0;
  q.commit = "ABCD0002"; /* upper case as git may print it: matched case-insensitively */
  assert_int_equal(qb_store_find_runs(s, &q, &found, &nf, &err), QB_OK);
  assert_int_equal(nf, 1);
  assert_int_equal(found[0], ids[2]);
  free(found);
  q.commit = NULL;
  q.machine = "nowhere";
  assert_int_equal(qb_store_find_runs(s, &q, &found, &nf, &err), QB_OK);
  assert_int_equal(nf, 0);
  assert_null(found);
  q.machine = NULL;
  q.branch = "dev";
  q.exclude = ids[3];
  assert_int_equal(qb_store_find_runs(s, &q, &found, &nf, &err), QB_OK);
  assert_int_equal(nf, 0);
  qb_store_close(s);
}

static void test_store__settings(void **state) {
  (void)state;
  const char *path = db_path("settings.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(s, "", "", "alpha", 0.01, NULL, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(s, "p", "sort/*", "threshold", 3, NULL, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(s, "q", "", "threshold", 9, NULL, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(s, "p", "sort/*", "threshold", 4, NULL, &err), QB_OK);
  qb_setting *x;
  size_t n;
  assert_int_equal(qb_store_settings(s, "p", &x, &n, &err), QB_OK);
  assert_int_equal(n, 2);
  assert_string_equal(x[0].project, "");
  assert_string_equal(x[0].key, "alpha");
  assert_string_equal(x[1].bench_glob, "sort/*");
  assert_close(x[1].value, 4, 0); /* replaced, not added */
  qb_settings_free(x, n);
  assert_int_equal(qb_store_settings(s, NULL, &x, &n, &err), QB_OK);
  assert_int_equal(n, 3);
  qb_settings_free(x, n);
  assert_int_equal(qb_store_setting_unset(s, "q", "", "threshold", &err), QB_OK);
  assert_int_equal(qb_store_setting_unset(s, "q", "", "threshold", &err), QB_ENOTFOUND);
  qb_store_close(s);
}

static void test_store__samples_cost_under_10_bytes_each(void **state) {
  (void)state;
  const char *path = db_path("size.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_run *run = make_run("p", "main", "0123abcd", 1, 1, 200, 1000);
  int64_t id;
  assert_int_equal(qb_store_insert_run(s, run, &id, &err), QB_OK);
  qb_run_free(run);
  qb_store_close(s); /* checkpoints the WAL into the file */
  int64_t bytes;
  if (qbt_pg()) { /* the packed samples themselves: the table's pages hold more than one run */
    bytes = qbt_sql_int(path, "SELECT sum(octet_length(data)) FROM sample_set");
  } else {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    bytes = (int64_t)st.st_size;
  }
  double per_sample = (double)bytes / (200.0 * 1000.0);
  fprintf(stderr, "database bytes per raw sample: %.2f\n", per_sample);
  assert_true(per_sample <= 10.0);
}

/* Idempotency keys (migration 0011) belong to a project and a token: the table's key refuses a
 * second run under a key already recorded (nothing written, the recorded run and request hash
 * told), while another token or another project has keys of its own. */
static void test_store__idempotency_keys_are_scoped(void **state) {
  (void)state;
  const char *path = db_path("idemkeys.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  char h1[65], h2[65];
  snprintf(h1, sizeof h1, "%064d", 1);
  snprintf(h2, sizeof h2, "%064d", 2);
  qb_idem k1 = {1, "key", h1}, k1b = {1, "key", h2}, k2 = {2, "key", h2};
  qb_idem_hit hit;
  assert_int_equal(qb_store_idempotency_get(s, "p", &k1, &hit, &err), QB_ENOTFOUND);
  qb_run *a = make_run("p", "main", "0123abcd", 1000000, 11, 1, 3);
  qb_run *b = make_run("p", "main", "0123abce", 2000000, 12, 1, 3);
  int64_t id_a = 0, id_b = 0, id = 0;
  assert_int_equal(qb_store_insert_run_idem(s, a, &k1, &id_a, &hit, &err), QB_OK);
  assert_int_equal(hit.run_id, 0);
  assert_int_equal(qb_store_idempotency_get(s, "p", &k1, &hit, &err), QB_OK);
  assert_int_equal(hit.run_id, id_a);
  assert_string_equal(hit.request_hash, h1);
  /* the key again with another request: refused, nothing written */
  qb_store_counts c1, c2;
  assert_int_equal(qb_store_counts_get(s, &c1, &err), QB_OK);
  assert_int_equal(qb_store_insert_run_idem(s, b, &k1b, &id, &hit, &err), QB_EEXISTS);
  assert_int_equal(hit.run_id, id_a);
  assert_int_equal(id, id_a);
  assert_string_equal(hit.request_hash, h1);
  assert_int_equal(qb_store_counts_get(s, &c2, &err), QB_OK);
  assert_memory_equal(&c1, &c2, sizeof c1);
  /* another token, another project: keys of their own */
  assert_int_equal(qb_store_insert_run_idem(s, b, &k2, &id_b, &hit, &err), QB_OK);
  assert_true(id_b != id_a);
  free(b->project);
  b->project = strdup("q");
  assert_int_equal(qb_store_insert_run_idem(s, b, &k1b, &id, &hit, &err), QB_OK);
  assert_true(id != id_b && id != id_a);
  assert_int_equal(qb_store_idempotency_get(s, "q", &k1, &hit, &err), QB_OK);
  assert_int_equal(hit.run_id, id);
  assert_string_equal(hit.request_hash, h2);
  /* content stored before under no key: the key is recorded for that run (QB_EEXISTS) */
  qb_idem k3 = {1, "other", h1};
  assert_int_equal(qb_store_insert_run_idem(s, a, &k3, &id, &hit, &err), QB_EEXISTS);
  assert_int_equal(id, id_a);
  assert_int_equal(hit.run_id, 0);
  assert_int_equal(qb_store_idempotency_get(s, "p", &k3, &hit, &err), QB_OK);
  assert_int_equal(hit.run_id, id_a);
  qb_run_free(a);
  qb_run_free(b);
  qb_store_close(s);
}

/* The fingerprint (the compare cache's key) changes when a prune drops raw samples, which
 * changes what compare answers (before: runs, settings and targets only); a dry run leaves it. */
static void test_store__fingerprint_changes_with_pruned_samples(void **state) {
  (void)state;
  const char *path = db_path("fingerprint.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_run *run = make_run("p", "main", "0123abcd", 1000000, 21, 2, 10);
  int64_t id;
  assert_int_equal(qb_store_insert_run(s, run, &id, &err), QB_OK);
  qb_run_free(run);
  char fp1[1024], fp2[1024], fp3[1024];
  assert_int_equal(qb_store_fingerprint(s, fp1, sizeof fp1, &err), QB_OK);
  qb_prune_opts o = {QB_TIME_NONE, qb_time_now(), NULL, 30, 1};
  qb_prune_result res;
  assert_int_equal(qb_store_prune(s, &o, &res, &err), QB_OK);
  assert_int_equal(res.samples_dropped, 20);
  assert_int_equal(qb_store_fingerprint(s, fp2, sizeof fp2, &err), QB_OK);
  assert_string_equal(fp1, fp2);
  o.dry_run = 0;
  assert_int_equal(qb_store_prune(s, &o, &res, &err), QB_OK);
  assert_int_equal(res.samples_dropped, 20);
  assert_int_equal(qb_store_fingerprint(s, fp3, sizeof fp3, &err), QB_OK);
  assert_string_not_equal(fp1, fp3);
  qb_store_close(s);
}

/* The series ids a connection keeps (schema/sqlite/runs.c) are those of rows that are stored: a
 * transaction that read a series it had itself added, then rolled back, leaves nothing kept, so
 * that when another series gets the rolled-back row id, a later run of the first series is not
 * stored in it. Each series then holds only its own runs' points. */
static void test_store__series_ids_after_a_rollback(void **state) {
  (void)state;
  const char *path = db_path("series_ids.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  /* a run whose bench/1 has "latency" twice: its series is added, then found by the second
   * result, whose insert the result table refuses: the transaction rolls back */
  qb_run *bad = make_run("p", "feature", "aaaa0001", 1000000, 1, 2, 5);
  qb_result *dup;
  assert_int_equal(
      qb_bench_add_result(&bad->benches[1], "latency", "ns", QB_LOWER_IS_BETTER, &dup, &err), 0);
  int64_t id = 0;
  assert_int_not_equal(qb_store_insert_run(s, bad, &id, &err), QB_OK);
  qb_run_free(bad);
  /* runs of another branch take the rolled-back series ids, then the branch gets its runs */
  qb_run *other = make_run("p", "other", "bbbb0001", 2000000, 2, 2, 5);
  assert_int_equal(qb_store_insert_run(s, other, &id, &err), QB_OK);
  qb_run_free(other);
  for (int k = 0; k < 2; k++) {
    qb_run *good = make_run("p", "feature", k ? "cccc0002" : "cccc0001", 3000000 + k, 3 + k, 2, 5);
    assert_int_equal(qb_store_insert_run(s, good, &id, &err), QB_OK);
    qb_run_free(good);
  }
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  f.project = "p";
  qb_series_info *series;
  size_t n;
  assert_int_equal(qb_store_series_list(s, &f, &series, &n, &err), QB_OK);
  assert_int_equal(n, 6); /* 3 per branch: bench/0 latency and throughput, bench/1 latency */
  for (size_t i = 0; i < n; i++) {
    qb_series_point *pts;
    size_t np;
    assert_int_equal(qb_store_series_points(s, series[i].id, &pts, &np, &err), QB_OK);
    /* feature: its two runs; other: its one */
    assert_int_equal(np, strcmp(series[i].branch, "feature") ? 1 : 2);
    qb_series_points_free(pts, np);
  }
  qb_series_infos_free(series, n);
  qb_store_close(s);
}

/* The PostgreSQL migrations follow SQLite's in lockstep: from its base schema on, version N of
 * one backend is version N of the other, under the same file name. */
static void test_store__migrations_in_lockstep(void **state) {
  (void)state;
  assert_true(qb_pg_migrations_count >= 1);
  assert_int_equal(qb_pg_migrations[qb_pg_migrations_count - 1].version, qb_migrations_count);
  for (int i = 1; i < qb_pg_migrations_count; i++) {
    const qb_migration *m = &qb_pg_migrations[i];
    assert_int_equal(m->version, qb_pg_migrations[i - 1].version + 1);
    assert_string_equal(m->name, qb_migrations[m->version - 1].name);
  }
}

/* A session to store: the strings borrowed, regression_id 0 for --good/--bad. */
static qb_bisect_record bisect_rec(const char *project, int64_t regression_id, const char *status,
                                   const char *state, int64_t started) {
  qb_bisect_record r = {0};
  r.regression_id = regression_id;
  r.project = (char *)project;
  r.benchmark = "bench/0";
  r.metric = "latency";
  r.machine = "ci-1";
  r.good_commit = "aaaa000000000000000000000000000000000000";
  r.bad_commit = "bbbb000000000000000000000000000000000000";
  r.status = (char *)status;
  r.state = (char *)state;
  r.started_at = started;
  r.updated_at = 12345; /* ignored: a new session's updated_at is its started_at */
  return r;
}

/* A dump as bytes: each row's table, then each value's type and its exact bits. */
static int dump_row(void *ctx, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  qb_buf *b = ctx;
  int rc = qb_buf_add(b, t->name, strlen(t->name) + 1, err);
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char type = (unsigned char)v[i].type;
    rc = qb_buf_add(b, &type, 1, err);
    if (!rc && v[i].type == QB_V_INT) rc = qb_buf_add(b, &v[i].i, sizeof v[i].i, err);
    if (!rc && v[i].type == QB_V_REAL) rc = qb_buf_add(b, &v[i].d, sizeof v[i].d, err);
    if (!rc && (v[i].type == QB_V_TEXT || v[i].type == QB_V_BLOB)) {
      uint64_t len = v[i].n;
      rc = qb_buf_add(b, &len, sizeof len, err);
      if (!rc) rc = qb_buf_add(b, v[i].p, v[i].n, err);
    }
  }
  return rc;
}

static int count_row(void *ctx, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  (void)t;
  (void)v;
  (void)n;
  (void)err;
  ++*(int64_t *)ctx;
  return QB_OK;
}

static void dump_all(qb_store *s, qb_buf *b) {
  qb_err err = QB_ERR_INIT;
  qb_buf_init(b, (size_t)1 << 30);
  assert_int_equal(qb_store_dump(s, dump_row, b, &err), QB_OK);
}

/* qbdb db copy: a database with every kind of row (runs with tags, extras and raw samples,
 * settings, targets, tokens, an idempotency key, a triaged regression, a detection marker, a
 * report, a bumped data generation) copied into a new one - SQLite to SQLite, and on the
 * PostgreSQL twin SQLite to PostgreSQL and back - dumps to the same bytes at every step, and a
 * destination that holds data is refused, untouched. */
static void test_store__copy_is_exact(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  char src[512];
  snprintf(src, sizeof src, "%s/copy_src.db", TMP); /* always an SQLite file */
  unlink(src);
  qb_store *a, *b, *c;
  assert_int_equal(qb_store_open(&a, src, QB_STORE_CREATE, &err), QB_OK);
  int64_t ids[4], id;
  for (int i = 0; i < 4; i++) { /* run 2 started before run 1: a backfill bumps the generation */
    qb_run *r = make_run("p", i == 3 ? "dev" : "main", "abcd1234", 1000000 * (i == 2 ? 1 : i + 2),
                         900 + i, 3, 20);
    assert_int_equal(qb_store_insert_run(a, r, &ids[i], &err), QB_OK);
    qb_run_free(r);
  }
  qb_run *r = make_run("q", "main", "ffff0000", 9000000, 999, 1, 5);
  qb_idem k = {7, "key-1", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  qb_idem_hit hit;
  assert_int_equal(qb_store_insert_run_idem(a, r, &k, &id, &hit, &err), QB_OK);
  qb_run_free(r);
  assert_int_equal(qb_store_setting_set(a, "p", "bench/*", "threshold", 2.5, NULL, &err), QB_OK);
  assert_int_equal(qb_store_setting_set(a, "", "", "default_branch", 0, "main", &err), QB_OK);
  qb_target t = {0, "p", "bench/1", "latency", "<", 1234.5678901234567, "ns"};
  assert_int_equal(qb_store_target_set(a, &t, &id, &err), QB_OK);
  assert_int_equal(
      qb_store_token_add(a, "ci", "p", "write",
                         "aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd", &id,
                         &err),
      QB_OK);
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  f.run_id = ids[1];
  f.metric = "latency";
  f.bench_glob = "bench/0";
  qb_series_info *ser;
  size_t n_ser;
  assert_int_equal(qb_store_series_list(a, &f, &ser, &n_ser, &err), QB_OK);
  assert_int_equal(n_ser, 1);
  qb_regression rec = {0};
  rec.run_id = ids[1];
  rec.prev_run_id = ids[2];
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = 0.1;
  rec.after = 1.0 / 3.0;
  rec.change_pct = 233.33333333333334;
  rec.p_value = 1e-300;
  rec.position = 1;
  assert_int_equal(qb_store_regressions_replace(a, ser[0].id, &rec, 1, &err), QB_OK);
  int updated;
  assert_int_equal(
      qb_store_series_analysed(a, ser[0].id, 2, ids[1], 2000000, "v3;x", &updated, &err), QB_OK);
  qb_series_infos_free(ser, n_ser);
  qb_regression *regs;
  size_t n_regs;
  assert_int_equal(qb_store_regressions_list(a, NULL, &regs, &n_regs, &err), QB_OK);
  assert_int_equal(n_regs, 1);
  assert_int_equal(
      qb_store_regression_triage(a, regs[0].id, "acknowledged", "expected", "me", &err), QB_OK);
  qb_report_record rep = {0};
  rep.project = "p";
  rep.created_at = 5000000;
  rep.window_start = QB_TIME_NONE;
  rep.max_regression_id = regs[0].id;
  rep.max_detected_at = regs[0].detected_at;
  rep.new_regressions = 1;
  rep.format = "json";
  qb_report_item item = {regs[0].id, regs[0].series_id, regs[0].run_id, "regression", "major"};
  assert_int_equal(qb_store_report_add(a, &rep, &item, 1, &id, &err), QB_OK);
  /* two bisect sessions: of the regression record (updated), and of --good/--bad */
  qb_bisect_record bis = bisect_rec("p", regs[0].id, "running", "{\"steps\":[]}", 6000000);
  int64_t bisect_ids[2];
  assert_int_equal(qb_store_bisect_add(a, &bis, &bisect_ids[0], &err), QB_OK);
  assert_int_equal(qb_store_bisect_update(a, bisect_ids[0], "done",
                                          "{\"first_bad\":\"\xc3\xa9\\\"'\"}", 6500000, &err),
                   QB_OK);
  bis = bisect_rec("q", 0, "failed", "{}", 7000000);
  assert_int_equal(qb_store_bisect_add(a, &bis, &bisect_ids[1], &err), QB_OK);
  int64_t regression_id = regs[0].id;
  qb_regressions_free(regs, n_regs);
  qb_buf da, db, dc;
  dump_all(a, &da);
  assert_true(da.len > 4000);
  /* into a new database: a file, or PostgreSQL on the twin; then back into a file */
  assert_int_equal(qb_store_open(&b, db_path("copy_mid.db"), QB_STORE_CREATE, &err), QB_OK);
  int64_t rows = 0, runs = 0;
  assert_int_equal(qb_store_copy(a, b, &rows, &runs, &err), QB_OK);
  assert_int_equal(runs, 5);
  int64_t in_a = 0;
  assert_int_equal(qb_store_dump(a, count_row, &in_a, &err), QB_OK);
  assert_int_equal(rows, in_a); /* every row, data_generation's too */
  assert_true(rows > 60);
  dump_all(b, &db);
  assert_int_equal(db.len, da.len);
  assert_memory_equal(db.data, da.data, da.len);
  char back[512];
  snprintf(back, sizeof back, "%s/copy_back.db", TMP);
  unlink(back);
  assert_int_equal(qb_store_open(&c, back, QB_STORE_CREATE, &err), QB_OK);
  assert_int_equal(qb_store_copy(b, c, NULL, NULL, &err), QB_OK);
  dump_all(c, &dc);
  assert_int_equal(dc.len, da.len);
  assert_memory_equal(dc.data, da.data, da.len);
  /* the bisect sessions arrived, at both ends */
  qb_store *ends[2] = {b, c};
  for (int e = 0; e < 2; e++) {
    qb_bisect_record got;
    assert_int_equal(qb_store_bisect_get(ends[e], bisect_ids[0], &got, &err), QB_OK);
    assert_int_equal(got.regression_id, regression_id);
    assert_string_equal(got.project, "p");
    assert_string_equal(got.status, "done");
    assert_string_equal(got.state, "{\"first_bad\":\"\xc3\xa9\\\"'\"}");
    assert_int_equal(got.started_at, 6000000);
    assert_int_equal(got.updated_at, 6500000);
    qb_bisect_record_dispose(&got);
    assert_int_equal(qb_store_bisect_get(ends[e], bisect_ids[1], &got, &err), QB_OK);
    assert_int_equal(got.regression_id, 0);
    assert_string_equal(got.project, "q");
    assert_string_equal(got.status, "failed");
    assert_string_equal(got.state, "{}");
    qb_bisect_record_dispose(&got);
  }
  /* the copy works as a database: a new run gets an id after the copied ones, a new bisect
   * session too */
  r = make_run("p", "main", "abcd9999", 20000000, 1999, 1, 3);
  assert_int_equal(qb_store_insert_run(b, r, &id, &err), QB_OK);
  qb_run_free(r);
  assert_true(id > ids[3]);
  bis = bisect_rec("p", 0, "running", "{}", 8000000);
  assert_int_equal(qb_store_bisect_add(b, &bis, &id, &err), QB_OK);
  assert_int_equal(id, bisect_ids[1] + 1);
  /* a destination with data is refused and left as it was */
  qb_buf dd;
  assert_int_equal(qb_store_copy(a, c, NULL, NULL, &err), QB_EEXISTS);
  assert_non_null(strstr(err.msg, "holds data already"));
  dump_all(c, &dd);
  assert_int_equal(dd.len, da.len);
  assert_memory_equal(dd.data, da.data, da.len);
  qb_buf_dispose(&da);
  qb_buf_dispose(&db);
  qb_buf_dispose(&dc);
  qb_buf_dispose(&dd);
  qb_store_close(a);
  qb_store_close(b);
  qb_store_close(c);
}

/* Every table of the schema is in qb_db_tables (a table the copy does not know would be lost). */
static void test_store__copy_knows_every_table(void **state) {
  (void)state;
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  const char *path = db_path("tables.db");
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_store_close(s);
  int64_t tables = qbt_pg() ? qbt_sql_int(path, "SELECT count(*) FROM pg_tables WHERE schemaname "
                                                "= 'public' AND tablename <> 'qbdb_schema'")
                            : qbt_sql_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = "
                                                "'table' AND name NOT LIKE 'sqlite_%'");
  assert_int_equal(tables, (int64_t)qb_db_tables_count);
}

/* ---- bisect sessions (migration 0015) ----------------------------------------------------------
 */

/* Two sessions (one of a regression record, one of --good/--bad) are stored, one is updated, and
 * each reads back as written; the listing filters by project, regression record and status, cuts
 * a page, puts the newest first and leaves the state out when asked to. */
static void test_store__bisect_sessions(void **state) {
  (void)state;
  const char *path = db_path("bisect.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_bisect_record a = bisect_rec("p", 7, "running", "{\"steps\":[]}", 1795624627014106LL);
  qb_bisect_record b = bisect_rec("q", 0, "running", "{\"steps\":[1]}", 1795624627999999LL);
  b.benchmark = "bench/1";
  b.metric = "throughput";
  b.machine = "ci-2";
  int64_t id_a = 0, id_b = 0;
  assert_int_equal(qb_store_bisect_add(s, &a, &id_a, &err), QB_OK);
  assert_int_equal(qb_store_bisect_add(s, &b, &id_b, &err), QB_OK);
  assert_true(id_a > 0);
  assert_int_equal(id_b, id_a + 1);
  /* as stored: updated_at is started_at, a missing regression record is NULL */
  assert_int_equal(qbt_sql_int(path,
                               "SELECT count(*) FROM bisect WHERE updated_at = started_at AND "
                               "((project = 'p' AND regression_id = 7) OR (project = 'q' AND "
                               "regression_id IS NULL))"),
                   2);
  qb_bisect_record got;
  assert_int_equal(qb_store_bisect_get(s, id_b, &got, &err), QB_OK);
  assert_int_equal(got.id, id_b);
  assert_int_equal(got.regression_id, 0);
  assert_string_equal(got.project, "q");
  assert_string_equal(got.benchmark, "bench/1");
  assert_string_equal(got.metric, "throughput");
  assert_string_equal(got.machine, "ci-2");
  assert_string_equal(got.good_commit, "aaaa000000000000000000000000000000000000");
  assert_string_equal(got.bad_commit, "bbbb000000000000000000000000000000000000");
  assert_string_equal(got.status, "running");
  assert_string_equal(got.state, "{\"steps\":[1]}");
  assert_int_equal(got.started_at, 1795624627999999LL);
  assert_int_equal(got.updated_at, 1795624627999999LL);
  qb_bisect_record_dispose(&got);
  assert_null(got.state);
  /* session a ends */
  assert_int_equal(
      qb_store_bisect_update(s, id_a, "done", "{\"first_bad\":\"cccc\"}", 1795624700000000LL, &err),
      QB_OK);
  assert_int_equal(qb_store_bisect_get(s, id_a, &got, &err), QB_OK);
  assert_int_equal(got.id, id_a);
  assert_int_equal(got.regression_id, 7);
  assert_string_equal(got.project, "p");
  assert_string_equal(got.benchmark, "bench/0");
  assert_string_equal(got.metric, "latency");
  assert_string_equal(got.machine, "ci-1");
  assert_string_equal(got.status, "done");
  assert_string_equal(got.state, "{\"first_bad\":\"cccc\"}");
  assert_int_equal(got.started_at, 1795624627014106LL);
  assert_int_equal(got.updated_at, 1795624700000000LL);
  qb_bisect_record_dispose(&got);
  /* every session, newest first, with its state */
  qb_bisect_record *list;
  size_t n;
  assert_int_equal(qb_store_bisects_list(s, NULL, &list, &n, &err), QB_OK);
  assert_int_equal(n, 2);
  assert_int_equal(list[0].id, id_b);
  assert_int_equal(list[1].id, id_a);
  assert_string_equal(list[0].state, "{\"steps\":[1]}");
  assert_string_equal(list[1].state, "{\"first_bad\":\"cccc\"}");
  assert_string_equal(list[1].status, "done");
  qb_bisect_records_free(list, n);
  /* by project */
  qb_bisect_filter f = QB_BISECT_FILTER_INIT;
  f.project = "p";
  assert_int_equal(qb_store_bisects_list(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(list[0].id, id_a);
  qb_bisect_records_free(list, n);
  f.project = "none";
  assert_int_equal(qb_store_bisects_list(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  assert_null(list);
  /* by regression record */
  qb_bisect_filter g = QB_BISECT_FILTER_INIT;
  g.regression_id = 7;
  assert_int_equal(qb_store_bisects_list(s, &g, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(list[0].id, id_a);
  assert_int_equal(list[0].regression_id, 7);
  qb_bisect_records_free(list, n);
  g.regression_id = 8;
  assert_int_equal(qb_store_bisects_list(s, &g, &list, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  g.regression_id = 7; /* and a status it does not have */
  g.status = "running";
  assert_int_equal(qb_store_bisects_list(s, &g, &list, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  /* by status */
  qb_bisect_filter h = QB_BISECT_FILTER_INIT;
  h.status = "running";
  assert_int_equal(qb_store_bisects_list(s, &h, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(list[0].id, id_b);
  qb_bisect_records_free(list, n);
  h.status = "done";
  assert_int_equal(qb_store_bisects_list(s, &h, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(list[0].id, id_a);
  qb_bisect_records_free(list, n);
  h.status = "failed";
  assert_int_equal(qb_store_bisects_list(s, &h, &list, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  /* a page of one: the newest; without the state */
  qb_bisect_filter k = QB_BISECT_FILTER_INIT;
  k.limit = 1;
  k.with_state = 0;
  assert_int_equal(qb_store_bisects_list(s, &k, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(list[0].id, id_b);
  assert_null(list[0].state);
  assert_string_equal(list[0].status, "running");
  assert_string_equal(list[0].good_commit, "aaaa000000000000000000000000000000000000");
  qb_bisect_records_free(list, n);
  k.limit = 0;
  assert_int_equal(qb_store_bisects_list(s, &k, &list, &n, &err), QB_OK);
  assert_int_equal(n, 2);
  assert_null(list[0].state);
  assert_null(list[1].state);
  assert_int_equal(list[1].id, id_a);
  qb_bisect_records_free(list, n);
  qb_store_close(s);
}

/* A session that is not there is QB_ENOTFOUND to get and to update (nothing written); a status
 * other than running, done and failed, or a missing field, is refused before the database. */
static void test_store__bisect_missing_and_refused(void **state) {
  (void)state;
  const char *path = db_path("bisect_missing.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  qb_bisect_record got;
  assert_int_equal(qb_store_bisect_get(s, 42, &got, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "no bisect session with id 42");
  assert_null(got.project);
  assert_null(got.state);
  qb_bisect_record_dispose(&got);
  err = (qb_err)QB_ERR_INIT;
  assert_int_equal(qb_store_bisect_update(s, 42, "done", "{}", 1, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "no bisect session with id 42");
  qb_bisect_record r = bisect_rec("p", 0, "paused", "{}", 1000);
  int64_t id = -1;
  assert_int_equal(qb_store_bisect_add(s, &r, &id, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "bisect: status 'paused': expected running, done or failed");
  assert_int_equal(id, -1);
  r = bisect_rec("p", 0, "running", NULL, 1000);
  assert_int_equal(qb_store_bisect_add(s, &r, &id, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "bisect: state: missing");
  r = bisect_rec("p", 0, "running", "{}", 1000);
  assert_int_equal(qb_store_bisect_add(s, &r, &id, &err), QB_OK);
  assert_int_equal(qb_store_bisect_update(s, id, "stopped", "{}", 2000, &err), QB_EUSAGE);
  assert_int_equal(qb_store_bisect_update(s, id, "failed", NULL, 2000, &err), QB_EUSAGE);
  assert_int_equal(qb_store_bisect_get(s, id, &got, &err), QB_OK);
  assert_string_equal(got.status, "running");
  assert_int_equal(got.updated_at, 1000);
  qb_bisect_record_dispose(&got);
  assert_int_equal(qbt_sql_int(path, "SELECT count(*) FROM bisect"), 1);
  qb_store_close(s);
}

/* Text with quotes, backslashes, control characters and multi-byte UTF-8 in every text column,
 * and a state of 1 MB, read back byte for byte, added and updated. */
static void test_store__bisect_text_round_trips(void **state) {
  (void)state;
  const char *path = db_path("bisect_text.db");
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, path, QB_STORE_CREATE, &err), QB_OK);
  static const char odd[] = "it's \"quoted\" \\ back\\slash; -- ' OR 1=1 \t\n\xc3\xa9t\xc3\xa9 "
                            "\xe2\x82\xac \xf0\x9f\x90\x9b \xe6\x97\xa5\xe6\x9c\xac";
  /* 1 MB of JSON: escapes, quotes and multi-byte characters throughout */
  size_t big_n = (size_t)1 << 20;
  char *big = malloc(big_n + 1);
  assert_non_null(big);
  static const char unit[] = "{\"k\":\"\\\"\xc3\xa9\xf0\x9f\x90\x9b'\\n\"},";
  size_t at = 0;
  big[at++] = '[';
  while (at + sizeof unit - 1 < big_n - 1) {
    memcpy(big + at, unit, sizeof unit - 1);
    at += sizeof unit - 1;
  }
  while (at < big_n - 1) big[at++] = ' ';
  big[at++] = ']';
  big[at] = '\0';
  assert_int_equal(strlen(big), big_n);
  qb_bisect_record r = bisect_rec(odd, 3, "running", big, 5000);
  r.benchmark = (char *)odd;
  r.metric = (char *)odd;
  r.machine = (char *)odd;
  r.good_commit = (char *)odd;
  r.bad_commit = (char *)odd;
  int64_t id;
  assert_int_equal(qb_store_bisect_add(s, &r, &id, &err), QB_OK);
  qb_bisect_record got;
  assert_int_equal(qb_store_bisect_get(s, id, &got, &err), QB_OK);
  assert_string_equal(got.project, odd);
  assert_string_equal(got.benchmark, odd);
  assert_string_equal(got.metric, odd);
  assert_string_equal(got.machine, odd);
  assert_string_equal(got.good_commit, odd);
  assert_string_equal(got.bad_commit, odd);
  assert_int_equal(strlen(got.state), big_n);
  assert_memory_equal(got.state, big, big_n);
  qb_bisect_record_dispose(&got);
  /* the filter matches the odd text exactly */
  qb_bisect_filter f = QB_BISECT_FILTER_INIT;
  f.project = odd;
  qb_bisect_record *list;
  size_t n;
  assert_int_equal(qb_store_bisects_list(s, &f, &list, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  assert_memory_equal(list[0].state, big, big_n + 1);
  qb_bisect_records_free(list, n);
  /* updated with the odd text as its state, then with the big one again */
  assert_int_equal(qb_store_bisect_update(s, id, "failed", odd, 6000, &err), QB_OK);
  assert_int_equal(qb_store_bisect_get(s, id, &got, &err), QB_OK);
  assert_string_equal(got.state, odd);
  assert_string_equal(got.status, "failed");
  qb_bisect_record_dispose(&got);
  big[1] = '{'; /* a different 1 MB text */
  big[2] = '}';
  big[3] = ',';
  assert_int_equal(qb_store_bisect_update(s, id, "done", big, 7000, &err), QB_OK);
  assert_int_equal(qb_store_bisect_get(s, id, &got, &err), QB_OK);
  assert_int_equal(strlen(got.state), big_n);
  assert_memory_equal(got.state, big, big_n);
  assert_int_equal(got.updated_at, 7000);
  qb_bisect_record_dispose(&got);
  free(big);
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_store__migrations_in_lockstep),
      cmocka_unit_test(test_store__copy_is_exact),
      cmocka_unit_test(test_store__copy_knows_every_table),
      cmocka_unit_test(test_store__new_file_is_migrated_and_marked),
      cmocka_unit_test(test_store__older_schema_is_migrated),
      cmocka_unit_test(test_store__version_11_database_is_migrated),
      cmocka_unit_test(test_store__run_counts_are_kept),
      cmocka_unit_test(test_store__run_pages),
      cmocka_unit_test(test_store__foreign_files_are_refused),
      cmocka_unit_test(test_store__run_round_trip_is_exact),
      cmocka_unit_test(test_store__same_content_is_idempotent),
      cmocka_unit_test(test_store__run_references_resolve),
      cmocka_unit_test(test_store__branch_tilde_n),
      cmocka_unit_test(test_store__series_history),
      cmocka_unit_test(test_store__settings),
      cmocka_unit_test(test_store__samples_cost_under_10_bytes_each),
      cmocka_unit_test(test_store__idempotency_keys_are_scoped),
      cmocka_unit_test(test_store__fingerprint_changes_with_pruned_samples),
      cmocka_unit_test(test_store__series_ids_after_a_rollback),
      cmocka_unit_test(test_store__bisect_sessions),
      cmocka_unit_test(test_store__bisect_missing_and_refused),
      cmocka_unit_test(test_store__bisect_text_round_trips),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

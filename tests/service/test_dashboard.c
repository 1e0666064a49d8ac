/* tests/service/test_dashboard.c - the dashboard service (service/dashboard.h) on a database
 * built by ingesting real files, each run followed by its history step as `qbdb ingest` does:
 * the 12-run history of tests/data/history (gen_runs.sh: "step" +20% latency and "tput" -15%
 * throughput from run 9 on, a family size/{100,1000,10000}) on branch main, and three runs on
 * branch dev of benchmarks named as tools name parametrized ones (sort/n=100, test_x[100],
 * BM_Sort/1024). Checked: the default branch, the series and their order, the points window,
 * the stored change point's run, the open regressions by severity, the grades (the values
 * `qbdb grade` printed), family grouping, the errors; the store op qb_store_series_recent
 * against the whole series (qb_store_series_points). On SQLite and (as
 * service_test_dashboard_pg) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "adapters/json_out.h"
#include "core/buf.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "service/dashboard.h"
#include "service/family.h"
#include "service/history.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"
#include "view/dashboard.h"
#include "view/json.h"

#define TMP QB_TEST_TMP "/service_dashboard"

static qb_store *g_store;

/* Ingest the native file text data (name for messages), then its history step. */
static void ingest(qb_store *s, const char *name, const char *data, size_t len) {
  qb_err err = QB_ERR_INIT;
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run;
  qb_ingest_result res;
  if (qb_ingest_prepare_bytes(name, data, len, &o, &run, &err) ||
      qb_ingest_store(s, run, &res, &err))
    fail_msg("%s: %s", name, err.msg);
  qb_run_free(run);
  qb_after_ingest after = {0};
  if (qb_after_ingest_run(s, res.run_id, &after, &err)) fail_msg("%s: %s", name, err.msg);
  qb_after_ingest_dispose(&after);
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "/history' && bash '" QB_TEST_DATA
             "/history/gen_runs.sh' '" TMP "/history'"))
    return -1;
  const char *loc = qbt_db_fresh(TMP, "dash.db");
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&g_store, loc, QB_STORE_CREATE, &err)) {
    fprintf(stderr, "%s: %s\n", loc, err.msg);
    return -1;
  }
  /* main: runs 1..12 (ids 1..12) */
  for (int r = 1; r <= 12; r++) {
    char path[512], *data;
    size_t len;
    snprintf(path, sizeof path, TMP "/history/run%02d.jsonl", r);
    if (qb_file_read(path, 1 << 24, &data, &len, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return -1;
    }
    ingest(g_store, path, data, len);
    free(data);
  }
  /* dev: runs 13..15, one sample set per benchmark (values of no interest here) */
  static const char *const names[] = {"sort/n=100",  "sort/n=1000",  "sort/n=10000",
                                      "test_x[100]", "test_x[1000]", "BM_Sort/1024"};
  for (int r = 1; r <= 3; r++) {
    char doc[2048];
    int at = snprintf(doc, sizeof doc,
                      "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"hist\",\"branch\":"
                      "\"dev\",\"machine\":\"m1\",\"commit\":\"dead%04d\",\"started_at\":"
                      "\"2026-10-2%dT12:00:00Z\"}\n",
                      r, r);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
      at += snprintf(doc + at, sizeof doc - (size_t)at,
                     "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[%d,%d,%d]}\n", names[k],
                     100 + r, 101 + r, 102 + r);
    ingest(g_store, "dev", doc, (size_t)at);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_store_close(g_store);
  return 0;
}

/* The dashboard of project's branch (NULL: the default) with points points; fails on error. */
static qb_dashboard *build(const char *project, const char *branch, int points) {
  qb_dashboard_opts o = QB_DASHBOARD_OPTS_INIT;
  o.project = project;
  o.branch = branch;
  o.points = points;
  qb_dashboard *d;
  qb_err err = QB_ERR_INIT;
  if (qb_dashboard_build(g_store, &o, &d, &err)) fail_msg("dashboard: %s", err.msg);
  return d;
}

/* The series of d named bench (fails when there is none). */
static const qb_dashboard_series *series(const qb_dashboard *d, const char *bench) {
  for (size_t i = 0; i < d->n_series; i++)
    if (!strcmp(d->series[i].info.bench, bench)) return &d->series[i];
  fail_msg("no series %s", bench);
  return NULL;
}

/* "2026-10-0DT12:00:00Z" in us. */
static int64_t day(int d) {
  char text[32];
  int64_t us;
  snprintf(text, sizeof text, "2026-10-%02dT12:00:00Z", d);
  assert_int_equal(qb_time_parse(text, &us), 0);
  return us;
}

static void test_dashboard__main_branch(void **state) {
  (void)state;
  qb_dashboard *d = build("hist", NULL, 5);
  assert_string_equal(d->branch, "main"); /* no default_branch setting: main */
  assert_null(d->repo_url);
  assert_int_equal(d->n_runs, 12);
  assert_int_equal(d->n_runs_listed, QB_DASHBOARD_RUNS);
  assert_int_equal(d->runs[0].id, 12);
  assert_int_equal(d->runs[9].id, 3);
  /* six series, by benchmark name */
  static const char *const order[] = {"flat",       "size/100", "size/1000",
                                      "size/10000", "step",     "tput"};
  assert_int_equal(d->n_series, 6);
  for (size_t i = 0; i < 6; i++) {
    const qb_dashboard_series *x = &d->series[i];
    assert_string_equal(x->info.bench, order[i]);
    assert_string_equal(x->info.machine, "m1");
    assert_int_equal(x->n_total, 12);
    /* the newest 5 points, oldest first: runs 8..12 */
    assert_int_equal(x->n_points, 5);
    for (size_t k = 0; k < 5; k++) assert_int_equal(x->run_ids[k], 8 + (int64_t)k);
    assert_int_equal(x->first_time, day(8));
    assert_int_equal(x->last_time, day(12));
  }
  /* the step: its change point at run 9 (inside the window), +20% (gen_runs.sh), open, major */
  const qb_dashboard_series *step = series(d, "step");
  assert_int_equal(step->n_changes, 1);
  assert_int_equal(step->changes[0], 9);
  assert_close(step->last_change_pct, 19.93, 0.001); /* `qbdb regressions`: +19.93% */
  assert_int_equal(step->open_severity, QB_SEV_MAJOR);
  assert_close(step->values[0], 1000, 0.01);
  assert_close(step->values[4], 1200, 0.01);
  const qb_dashboard_series *tput = series(d, "tput");
  assert_string_equal(tput->info.metric, "throughput");
  assert_true(tput->info.higher_is_better);
  assert_int_equal(tput->changes[0], 9);
  assert_close(tput->last_change_pct, -15.01, 0.001); /* `qbdb regressions`: -15.01% */
  assert_int_equal(tput->open_severity, QB_SEV_MAJOR);
  const qb_dashboard_series *flat = series(d, "flat");
  assert_int_equal(flat->n_changes, 0);
  assert_true(isnan(flat->last_change_pct));
  assert_int_equal(flat->open_severity, QB_SEV_NONE);
  /* the family of size/N: size, one positional parameter */
  const qb_dashboard_series *sz = series(d, "size/1000");
  assert_int_equal(sz->split.family_len, 4);
  assert_int_equal(sz->split.n_params, 1);
  assert_memory_equal(sz->split.params[0].key, "0", 1);
  assert_memory_equal(sz->split.params[0].value, "1000", 4);
  /* open regressions by severity: the two major ones, newest first (both at run 9) */
  assert_int_equal(d->open[QB_SEV_MAJOR], 2);
  assert_int_equal(d->open[QB_SEV_MINOR] + d->open[QB_SEV_MODERATE] + d->open[QB_SEV_CRITICAL], 0);
  assert_int_equal(d->n_newest, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(d->newest[i].run_id, 9);
    assert_string_equal(d->newest[i].severity, "major");
  }
  /* grades: all 12 runs oldest first; `qbdb grade --format json N` gave run 1 "-" (no
   * baseline), run 9 D 46.666666666666664 (2 major regressions), the others A+ 100 */
  assert_int_equal(d->n_grades, 12);
  for (size_t i = 0; i < 12; i++) {
    const qb_dashboard_grade *g = &d->grades[i];
    assert_int_equal(g->run_id, (int64_t)i + 1);
    assert_int_equal(g->time, day((int)i + 1));
    const char *want = i == 0 ? "-" : i == 8 ? "D" : "A+";
    assert_string_equal(g->letter, want);
    if (i == 0)
      assert_true(isnan(g->score));
    else
      assert_close(g->score, i == 8 ? 46.666666666666664 : 100.0, 1e-12);
  }
  /* the grade is GET /runs/12/grade's, byte for byte */
  qb_grade_report *g;
  qb_err err = QB_ERR_INIT;
  if (qb_grade_run(g_store, "hist", "12", &g, &err)) fail_msg("%s", err.msg);
  json_t *a = qb_view_grade(g), *b = qb_view_grade(d->grade);
  char *ta = qb_json_dumps(a, JSON_COMPACT), *tb = qb_json_dumps(b, JSON_COMPACT);
  assert_string_equal(ta, tb);
  free(ta);
  free(tb);
  json_decref(a);
  json_decref(b);
  qb_grade_report_free(g);
  qb_dashboard_free(d);
  /* a window of 3 (runs 10..12): the change point at run 9 is outside it, still the newest */
  d = build("hist", "main", 3);
  step = series(d, "step");
  assert_int_equal(step->n_points, 3);
  assert_int_equal(step->run_ids[0], 10);
  assert_int_equal(step->n_changes, 0);
  assert_close(step->last_change_pct, 19.93, 0.001);
  assert_int_equal(step->open_severity, QB_SEV_MAJOR);
  qb_dashboard_free(d);
  /* a window longer than the series: all 12 points */
  d = build("hist", "main", 500);
  assert_int_equal(series(d, "step")->n_points, 12);
  assert_int_equal(series(d, "step")->run_ids[0], 1);
  assert_int_equal(series(d, "step")->first_time, day(1));
  qb_dashboard_free(d);
}

/* Family and parameters of the names on branch dev; the rule itself on more names. */
static void test_dashboard__families(void **state) {
  (void)state;
  qb_dashboard *d = build("hist", "dev", 60);
  assert_string_equal(d->branch, "dev");
  assert_int_equal(d->n_runs, 3);
  assert_int_equal(d->n_series, 6);
  assert_int_equal(d->open[QB_SEV_MAJOR], 0); /* main's regressions are not dev's */
  assert_int_equal(d->n_newest, 0);
  static const struct {
    const char *bench, *family, *key, *value;
  } want[] = {
      {"BM_Sort/1024", "BM_Sort", "0", "1024"}, {"sort/n=100", "sort", "n", "100"},
      {"sort/n=1000", "sort", "n", "1000"},     {"sort/n=10000", "sort", "n", "10000"},
      {"test_x[1000]", "test_x", "0", "1000"},  {"test_x[100]", "test_x", "0", "100"},
  };
  for (size_t i = 0; i < 6; i++) {
    const qb_dashboard_series *x = &d->series[i];
    assert_string_equal(x->info.bench, want[i].bench); /* sorted by name (strcmp) */
    assert_int_equal(x->n_points, 3);
    assert_int_equal(x->split.family_len, strlen(want[i].family));
    assert_memory_equal(x->info.bench, want[i].family, strlen(want[i].family));
    assert_int_equal(x->split.n_params, 1);
    assert_int_equal(x->split.params[0].key_len, strlen(want[i].key));
    assert_memory_equal(x->split.params[0].key, want[i].key, strlen(want[i].key));
    assert_int_equal(x->split.params[0].value_len, strlen(want[i].value));
    assert_memory_equal(x->split.params[0].value, want[i].value, strlen(want[i].value));
  }
  /* the view: family and params as the contract shows them */
  json_t *v = qb_view_dashboard(d);
  char *text = qb_view_dashboard_text(d, JSON_COMPACT), *dumped = qb_json_dumps(v, JSON_COMPACT);
  assert_string_equal(text, dumped); /* the text is the tree's, byte for byte */
  json_t *s1 = json_array_get(json_object_get(v, "series"), 1);
  assert_string_equal(json_string_value(json_object_get(s1, "family")), "sort");
  assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "params"), "n")),
                      "100");
  assert_int_equal(json_array_size(json_object_get(s1, "points")), 3);
  assert_int_equal(
      json_integer_value(json_array_get(json_array_get(json_object_get(s1, "points"), 0), 0)), 13);
  assert_true(json_is_null(json_object_get(s1, "open_regression")));
  free(text);
  free(dumped);
  json_decref(v);
  qb_dashboard_free(d);

  static const struct {
    const char *name, *family;
    size_t n_params;
    const char *k0, *v0, *k1, *v1;
  } rule[] = {
      {"sort/n=100", "sort", 1, "n", "100", NULL, NULL},
      {"BM_Sort/1024/8", "BM_Sort", 2, "0", "1024", "1", "8"},
      {"BM_Sort/threads:4", "BM_Sort", 1, "threads", "4", NULL, NULL},
      {"BM_Sort/1024/real_time", "BM_Sort", 2, "0", "1024", "1", "real_time"},
      {"hash/lookup/1000", "hash/lookup", 1, "0", "1000", NULL, NULL},
      {"parse/config_large", "parse/config_large", 0, NULL, NULL, NULL, NULL},
      {"copy/4KiB", "copy", 1, "0", "4KiB", NULL, NULL},
      {"fft/1.5e6", "fft", 1, "0", "1.5e6", NULL, NULL},
      {"test_x[100-fast]", "test_x", 1, "0", "100-fast", NULL, NULL},
      {"tests/t.py::test_y[a/b]", "tests/t.py::test_y", 1, "0", "a/b", NULL, NULL},
      {"[odd]", "[odd]", 0, NULL, NULL, NULL, NULL},
      {"v2/api", "v2/api", 0, NULL, NULL, NULL, NULL},
      {"10/20", "10", 1, "0", "20", NULL, NULL},
      {"plain", "plain", 0, NULL, NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof rule / sizeof rule[0]; i++) {
    qb_bench_split sp;
    qb_bench_family_split(rule[i].name, &sp);
    if (sp.family_len != strlen(rule[i].family) ||
        memcmp(rule[i].name, rule[i].family, sp.family_len) || sp.n_params != rule[i].n_params)
      fail_msg("%s: family '%.*s' with %zu params", rule[i].name, (int)sp.family_len, rule[i].name,
               sp.n_params);
    for (size_t k = 0; k < sp.n_params; k++) {
      const char *key = k ? rule[i].k1 : rule[i].k0, *val = k ? rule[i].v1 : rule[i].v0;
      if (sp.params[k].key_len != strlen(key) || memcmp(sp.params[k].key, key, strlen(key)) ||
          sp.params[k].value_len != strlen(val) || memcmp(sp.params[k].value, val, strlen(val)))
        fail_msg("%s: param %zu is %.*s=%.*s", rule[i].name, k, (int)sp.params[k].key_len,
                 sp.params[k].key, (int)sp.params[k].value_len, sp.params[k].value);
    }
  }
}

/* The default branch follows the baseline rule's setting when it has runs; repo_url. */
static void test_dashboard__settings(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  char *b;
  assert_int_equal(qb_dashboard_default_branch(g_store, "hist", &b, &err), QB_OK);
  assert_string_equal(b, "main");
  free(b);
  if (qb_store_setting_set(g_store, "hist", "", "default_branch", 0, "dev", &err) ||
      qb_store_setting_set(g_store, "hist", "", "repo_url", 0, "https://github.com/o/r", &err))
    fail_msg("%s", err.msg);
  qb_dashboard *d = build("hist", NULL, 60);
  assert_string_equal(d->branch, "dev");
  assert_string_equal(d->repo_url, "https://github.com/o/r");
  qb_dashboard_free(d);
  /* a default branch without runs: main */
  if (qb_store_setting_set(g_store, "hist", "", "default_branch", 0, "gone", &err))
    fail_msg("%s", err.msg);
  assert_int_equal(qb_dashboard_default_branch(g_store, "hist", &b, &err), QB_OK);
  assert_string_equal(b, "main");
  free(b);
  if (qb_store_setting_unset(g_store, "hist", "", "default_branch", &err) ||
      qb_store_setting_unset(g_store, "hist", "", "repo_url", &err))
    fail_msg("%s", err.msg);
}

static void test_dashboard__errors(void **state) {
  (void)state;
  qb_dashboard_opts o = QB_DASHBOARD_OPTS_INIT;
  qb_dashboard *d = NULL;
  qb_err err = QB_ERR_INIT;
  o.project = "hist";
  o.branch = "nope";
  assert_int_equal(qb_dashboard_build(g_store, &o, &d, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "no branch 'nope' in project hist (branches: dev, main)");
  assert_null(d);
  o.project = "zz";
  o.branch = NULL;
  assert_int_equal(qb_dashboard_build(g_store, &o, &d, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "no project 'zz' (no runs)");
  o.branch = "main";
  assert_int_equal(qb_dashboard_build(g_store, &o, &d, &err), QB_ENOTFOUND);
  assert_string_equal(err.msg, "no project 'zz' (no runs)");
  o.project = "hist";
  o.points = 1;
  assert_int_equal(qb_dashboard_build(g_store, &o, &d, &err), QB_EUSAGE);
  assert_string_equal(err.msg, "points 1: expected 2 to 500");
  o.project = NULL;
  o.points = 60;
  assert_int_equal(qb_dashboard_build(g_store, &o, &d, &err), QB_EUSAGE);
  assert_null(d);
}

/* The store op: the newest N points of every series of a branch are the last N of each whole
 * series, with its length. */
static void test_dashboard__series_recent_is_the_series_end(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  qb_series_filter f = QB_SERIES_FILTER_INIT;
  qb_series_info *ser;
  size_t n_ser;
  f.project = "hist";
  f.branch = "main";
  if (qb_store_series_list(g_store, &f, &ser, &n_ser, &err)) fail_msg("%s", err.msg);
  assert_int_equal(n_ser, 6);
  static const size_t lens[] = {1, 2, 5, 11, 12, 13};
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
    qb_recent_point *rows;
    size_t n;
    if (qb_store_series_recent(g_store, "hist", "main", lens[l], &rows, &n, &err))
      fail_msg("%s", err.msg);
    size_t each = lens[l] < 12 ? lens[l] : 12, at = 0;
    assert_int_equal(n, 6 * each);
    int64_t prev = 0;
    while (at < n) {
      int64_t id = rows[at].series_id;
      assert_true(id > prev); /* by series id */
      prev = id;
      qb_series_point *pts;
      size_t np;
      if (qb_store_series_points(g_store, id, &pts, &np, &err)) fail_msg("%s", err.msg);
      assert_int_equal(np, 12);
      for (size_t k = 0; k < each; k++) {
        const qb_recent_point *r = &rows[at + k];
        const qb_series_point *p = &pts[np - each + k];
        assert_int_equal(r->series_id, id);
        assert_int_equal(r->run_id, p->run_id);
        assert_int_equal(r->time, p->time);
        assert_true(r->value == p->value); /* bit for bit */
        assert_int_equal(r->total, 12);
      }
      qb_series_points_free(pts, np);
      at += each;
    }
    free(rows);
  }
  qb_series_infos_free(ser, n_ser);
  /* a branch or project without series: nothing */
  qb_recent_point *rows;
  size_t n;
  assert_int_equal(qb_store_series_recent(g_store, "hist", "nope", 5, &rows, &n, &err), QB_OK);
  assert_int_equal(n, 0);
  assert_null(rows);
  assert_int_equal(qb_store_series_recent(g_store, "hist", "main", 0, &rows, &n, &err), QB_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dashboard__main_branch),
      cmocka_unit_test(test_dashboard__families),
      cmocka_unit_test(test_dashboard__settings),
      cmocka_unit_test(test_dashboard__errors),
      cmocka_unit_test(test_dashboard__series_recent_is_the_series_end),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

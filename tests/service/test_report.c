/* tests/service/test_report.c - the nightly report (service/report.c) over generated histories with
 * known steps, ingested the way `qbdb ingest` does it (qb_ingest_* and the history step after
 * each run): every known regression and improvement appears once, with its severity, first bad
 * run and commit and levels; consecutive reports never list a change twice, and a later step
 * shows up alone; --since and --from/--to windows; grades, targets, trends, scaling, tags and
 * recommendations from the data; the three renderings; and real fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "service/report.h"
#include "core/buf.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"
#include "view/report.h"

#define TMP QB_TEST_TMP "/api_report"

/* The steps of the generated history (project "rep", branch main, machine m1). */
#define STEP_AB 12 /* alpha +20% (major), beta +7% (moderate): the same commit range */
#define STEP_G  20 /* gamma +40% (critical) */
#define STEP_D  16 /* delta +3% (minor) */
#define STEP_E  8  /* eps, a throughput, +15% (an improvement, major) */
#define STEP_F  38 /* flat +12% (major): only in the runs added for the third report */

static int setup(void **state) {
  (void)state;
  return system("rm -rf '" TMP "' && mkdir -p '" TMP "'");
}

/* A fresh database named name in the scratch folder. */
static qb_store *open_db(const char *name) {
  const char *loc = qbt_db_fresh(TMP, name);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, loc, QB_STORE_CREATE, &err)) fail_msg("%s: %s", loc, err.msg);
  return s;
}

/* A uniform value in [0, 1) from the splitmix64 stream. */
static double unif(uint64_t *seed) {
  return (double)(qbt_sm64(seed) >> 11) / 9007199254740992.0;
}

/* An approximately normal value (Irwin-Hall of 4, sd 1). */
static double gauss(uint64_t *seed) {
  return (unif(seed) + unif(seed) + unif(seed) + unif(seed) - 2.0) * 1.7320508075688772;
}

/* The commit of generated run r. */
static void commit_of(int r, char *buf, size_t n) {
  snprintf(buf, n, "%08x", 0x20000000 + r);
}

/* Add one benchmark line of 20 samples around level (1% spread) to b. */
static void bench_line(qb_buf *b, const char *name, const char *metric, const char *unit,
                       double level, uint64_t *seed) {
  qb_err err = QB_ERR_INIT;
  qb_buf_printf(b, &err, "{\"name\":\"%s\",\"metric\":\"%s\",\"unit\":\"%s\",\"samples\":[", name,
                metric, unit);
  for (int i = 0; i < 20; i++)
    qb_buf_printf(b, &err, "%s%.6f", i ? "," : "", level * (1 + 0.01 * (unif(seed) - 0.5)));
  qb_buf_adds(b, "]}\n", &err);
}

/* Ingest text as one run and run the history step after it, as `qbdb ingest` does. */
static int64_t ingest_text(qb_store *s, const char *text, size_t len) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare_bytes("gen", text, len, &o, &run, &err) ||
      qb_ingest_store(s, run, &res, &err))
    fail_msg("%s", err.msg);
  qb_run_free(run);
  qb_after_ingest after = {0};
  if (qb_after_ingest_run(s, res.run_id, &after, &err)) fail_msg("%s", err.msg);
  qb_after_ingest_dispose(&after);
  return res.run_id;
}

/* Ingest generated run r of project "rep": the series with the known steps, a flat one, a
 * noisy one (7% run-to-run noise), a wild one (30%), and the family sz/{100,1000,10000} whose
 * time is 3 n log2 n (n^2 / 100 from run quad_from on, when quad_from >= 0). */
static int64_t ingest_run(qb_store *s, int r, int quad_from) {
  qb_buf b;
  qb_err err = QB_ERR_INIT;
  char sha[16];
  qb_buf_init(&b, (size_t)1 << 20);
  uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(r + 7) ^ 0x7265706fULL;
  commit_of(r, sha, sizeof sha);
  qb_buf_printf(&b, &err,
                "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"rep\",\"branch\":"
                "\"main\",\"machine\":\"m1\",\"commit\":\"%s\",\"started_at\":"
                "\"2026-01-%02dT%02d:00:00Z\"}\n",
                sha, 1 + r / 24, r % 24);
  bench_line(&b, "alpha", "latency", "ns", r >= STEP_AB ? 1200 : 1000, &seed);
  bench_line(&b, "beta", "latency", "ns", r >= STEP_AB ? 535 : 500, &seed);
  bench_line(&b, "gamma", "latency", "ns", r >= STEP_G ? 2800 : 2000, &seed);
  bench_line(&b, "delta", "latency", "ns", r >= STEP_D ? 824 : 800, &seed);
  bench_line(&b, "eps", "throughput", "ops/s", r >= STEP_E ? 1.15e6 : 1e6, &seed);
  bench_line(&b, "flat", "latency", "ns", r >= STEP_F ? 1120 : 1000, &seed);
  bench_line(&b, "noisy", "latency", "ns", 1000 * (1 + 0.06 * gauss(&seed)), &seed);
  bench_line(&b, "wild", "latency", "ns", 1000 * (1 + 0.3 * fabs(gauss(&seed))), &seed);
  for (int k = 2; k <= 4; k++) {
    double n = pow(10, k), t = quad_from >= 0 && r >= quad_from ? n * n / 100 : 3 * n * log2(n);
    qb_buf_printf(&b, &err,
                  "{\"name\":\"sz/%.0f\",\"group\":\"sz\",\"params\":{\"n\":%.0f},\"unit\":\"ns\","
                  "\"samples\":[%.3f,%.3f,%.3f]}\n",
                  n, n, t, t * 1.001, t * 0.999);
  }
  int64_t id = ingest_text(s, b.data, b.len);
  qb_buf_dispose(&b);
  return id;
}

/* Runs first..last-1 of the history. */
static void ingest_runs(qb_store *s, int first, int last, int quad_from) {
  for (int r = first; r < last; r++) assert_int_equal(ingest_run(s, r, quad_from), r + 1);
}

/* Build a report with o (NULL: the defaults), failing the test on an error. */
static qb_report *build(qb_store *s, const qb_report_opts *o) {
  qb_report *r = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_report_build(s, o, &r, &err)) fail_msg("%s", err.msg);
  assert_non_null(r);
  return r;
}

/* Build and record a default-window report. */
static qb_report *build_saved(qb_store *s) {
  qb_report *r = build(s, NULL);
  qb_err err = QB_ERR_INIT;
  if (qb_store_begin(s, &err) || qb_report_save(s, r, "json", &err) || qb_store_commit(s, &err))
    fail_msg("%s", err.msg);
  assert_true(r->id > 0);
  return r;
}

/* The change of benchmark bench in a list, or NULL. */
static const qb_report_change *find(const qb_report_change *c, size_t n, const char *bench) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(c[i].reg.series.bench, bench)) return &c[i];
  return NULL;
}

/* A known step: its severity, first bad run (run ids are r + 1), commits and levels. */
static void check_step(const qb_report_change *c, const char *bench, const char *severity, int r,
                       double before, double after) {
  char sha[16], prev[16];
  if (!c) fail_msg("%s: not in the report", bench);
  assert_string_equal(c->reg.series.bench, bench);
  assert_string_equal(c->reg.severity, severity);
  assert_string_equal(c->reg.status, "open");
  assert_int_equal(c->reg.run_id, r + 1);
  assert_int_equal(c->reg.prev_run_id, r);
  commit_of(r, sha, sizeof sha);
  commit_of(r - 1, prev, sizeof prev);
  assert_string_equal(c->reg.commit_sha, sha);
  assert_string_equal(c->reg.prev_commit_sha, prev);
  qbt_check_rel(c->reg.before, before, 0.005, "level before");
  qbt_check_rel(c->reg.after, after, 0.005, "level after");
  qbt_check_rel(c->reg.change_pct, (after / before - 1) * 100, 0.05, "change");
  assert_true(c->reg.p_value >= 0 && c->reg.p_value <= 0.001);
  /* the chart: every point of the series so far (fewer than 40), the change at its run */
  assert_true(c->n_chart >= 3);
  assert_int_not_equal(c->chart_change, (size_t)-1);
  assert_int_equal(c->chart_runs[c->chart_change], r + 1);
  qbt_check_rel(c->chart_values[c->chart_change], after, 0.01, "chart value at the change");
  assert_true(fabs(c->chart_values[c->chart_change - 1] / before - 1) < 0.01);
}

/* 1 when some recommendation of kind contains text. */
static int has_rec(const qb_report *r, const char *kind, const char *text) {
  for (size_t i = 0; i < r->n_recs; i++)
    if (!strcmp(r->recs[i].kind, kind) && strstr(r->recs[i].text, text)) return 1;
  return 0;
}

/* Every known step with its severity, first bad run, commits, levels and chart; the summary,
 * targets, trends, scaling and recommendations of the same history; stale regressions later. */
static void test_report__known_steps(void **state) {
  (void)state;
  qb_store *s = open_db("steps.db");
  ingest_runs(s, 0, 30, -1);
  qb_target t = {0, "rep", "alpha", "latency", "<", 1100, "ns"};
  int64_t tid;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_target_set(s, &t, &tid, &err), QB_OK);
  qb_report *r = build(s, NULL);
  assert_int_equal(r->window, QB_REPORT_SINCE_LAST);
  assert_int_equal(r->previous_id, 0);
  assert_int_equal(r->id, 0);
  /* exactly the known regressions, worst first */
  assert_int_equal(r->n_new_regressions, 4);
  assert_string_equal(r->new_regressions[0].reg.series.bench, "gamma");
  assert_string_equal(r->new_regressions[1].reg.series.bench, "alpha");
  assert_string_equal(r->new_regressions[2].reg.series.bench, "beta");
  assert_string_equal(r->new_regressions[3].reg.series.bench, "delta");
  check_step(&r->new_regressions[0], "gamma", "critical", STEP_G, 2000, 2800);
  check_step(&r->new_regressions[1], "alpha", "major", STEP_AB, 1000, 1200);
  check_step(&r->new_regressions[2], "beta", "moderate", STEP_AB, 500, 535);
  check_step(&r->new_regressions[3], "delta", "minor", STEP_D, 800, 824);
  assert_int_equal(r->new_by_severity[QB_SEV_CRITICAL], 1);
  assert_int_equal(r->new_by_severity[QB_SEV_MAJOR], 1);
  assert_int_equal(r->new_by_severity[QB_SEV_MODERATE], 1);
  assert_int_equal(r->new_by_severity[QB_SEV_MINOR], 1);
  assert_int_equal(r->n_new_improvements, 1);
  check_step(&r->new_improvements[0], "eps", "major", STEP_E, 1e6, 1.15e6);
  assert_string_equal(r->new_improvements[0].reg.kind, "improvement");
  assert_int_equal(r->n_open_regressions, 0);
  /* the summary: one project, branch and machine, graded on run 30 against run 29 */
  assert_int_equal(r->n_grades, 1);
  assert_string_equal(r->grades[0].project, "rep");
  assert_int_equal(r->grades[0].run_id, 30);
  assert_int_equal(r->grades[0].baseline_id, 29);
  assert_int_equal(r->grades[0].input.targets, 1);
  assert_int_equal(r->grades[0].input.targets_met, 0);
  assert_false(isnan(r->grades[0].grade.score));
  /* the target on alpha (< 1.1 us) has been broken since run 13: all of the last 5 runs */
  assert_int_equal(r->targets_broken, 1);
  assert_int_equal(r->n_broken, 1);
  assert_string_equal(r->broken[0].bench, "alpha");
  assert_int_equal(r->broken[0].broken_runs, 5);
  assert_int_equal(r->broken[0].checked_runs, 5);
  qbt_check_rel(r->broken[0].value, 1200, 0.01, "broken target value");
  /* trends: every series; the wild one is volatile, the noisy one noisy */
  assert_int_equal(r->n_series, 11);
  size_t total = 0;
  for (int d = 0; d < 4; d++) total += r->trend_counts[d];
  assert_int_equal(total, 11);
  assert_int_equal(r->n_volatile, 1);
  assert_string_equal(r->volatile_series[0].series.bench, "wild");
  assert_true(r->volatile_series[0].trend.noise_pct > 10 ||
              r->volatile_series[0].trend.direction == QB_TREND_VOLATILE);
  assert_int_equal(r->n_noisy, 1);
  assert_string_equal(r->noisy[0].series.bench, "noisy");
  assert_true(r->noisy[0].trend.noise_pct > 5 && r->noisy[0].trend.noise_pct < 10);
  /* scaling: the family is n log n in both runs */
  assert_int_equal(r->n_scaling, 1);
  assert_string_equal(r->scaling[0].family, "sz");
  assert_int_equal(r->scaling[0].best, QB_O_N_LOG_N);
  assert_int_equal(r->scaling[0].baseline_best, QB_O_N_LOG_N);
  assert_int_equal(r->scaling[0].baseline_id, 29);
  assert_false(r->scaling[0].complexity_changed);
  assert_false(r->scaling[0].efficiency_dropped);
  /* recommendations from the data */
  char range[64];
  snprintf(range, sizeof range, "commits %08x..%08x (alpha, beta)", 0x20000000 + STEP_AB - 1,
           0x20000000 + STEP_AB);
  assert_true(has_rec(r, "same-range", "2 benchmarks regressed in the same commit range"));
  assert_true(has_rec(r, "same-range", range));
  assert_true(has_rec(r, "target", "target alpha latency < 1.100 µs broken in 5 of the last 5"));
  assert_true(has_rec(r, "volatile", "wild ("));
  assert_true(has_rec(r, "noisy", "noisy ("));
  assert_false(has_rec(r, "stale", ""));
  assert_false(has_rec(r, "scaling", ""));
  qb_report_free(r);
  /* a week later with the same records: the open regressions are not stale yet; after 15
   * days they are */
  qb_report_opts o = QB_REPORT_OPTS_INIT;
  o.now = qb_time_now() + (int64_t)15 * 86400 * 1000000;
  o.since = qb_time_now() + (int64_t)14 * 86400 * 1000000; /* nothing new in that window */
  r = build(s, &o);
  assert_int_equal(r->n_new_regressions, 0);
  assert_int_equal(r->n_open_regressions, 4);
  assert_true(r->open_regressions[0].age_days > 14.9 && r->open_regressions[0].age_days < 15.1);
  assert_true(has_rec(r, "stale", "4 regressions open for more than 14 days"));
  qb_report_free(r);
  qb_store_close(s);
}

/* The regression ids of a report's new lists. */
static void ids_of(const qb_report *r, int64_t *ids, size_t *n) {
  *n = 0;
  for (size_t i = 0; i < r->n_new_regressions; i++) ids[(*n)++] = r->new_regressions[i].reg.id;
  for (size_t i = 0; i < r->n_new_improvements; i++) ids[(*n)++] = r->new_improvements[i].reg.id;
}

/* Three recorded nightly reports: the second lists nothing new, the third only the new step;
 * no change in two reports; what the store keeps; scopes; the JSON of the third. */
static void test_report__consecutive_nightly(void **state) {
  (void)state;
  qb_store *s = open_db("nightly.db");
  qb_err err = QB_ERR_INIT;
  ingest_runs(s, 0, 30, -1);
  qb_report *r1 = build_saved(s);
  assert_int_equal(r1->n_new_regressions, 4);
  assert_int_equal(r1->n_new_improvements, 1);
  /* three more runs with no new step: the records are refreshed, none is new */
  ingest_runs(s, 30, 33, -1);
  qb_report *r2 = build_saved(s);
  assert_int_equal(r2->previous_id, r1->id);
  assert_int_equal(r2->since, r1->created_at);
  assert_int_equal(r2->n_new_regressions, 0);
  assert_int_equal(r2->n_new_improvements, 0);
  assert_int_equal(r2->n_open_regressions, 4);
  assert_string_equal(r2->open_regressions[3].reg.series.bench, "gamma"); /* found last */
  for (size_t i = 0; i < 4; i++)
    assert_non_null(find(r1->new_regressions, 4, r2->open_regressions[i].reg.series.bench));
  /* the run with a new step in flat, and the runs that make it visible */
  ingest_runs(s, 33, 45, -1);
  qb_report *r3 = build_saved(s);
  assert_int_equal(r3->previous_id, r2->id);
  assert_int_equal(r3->n_new_regressions, 1);
  assert_int_equal(r3->n_new_improvements, 0);
  check_step(&r3->new_regressions[0], "flat", "major", STEP_F, 1000, 1120);
  assert_int_equal(r3->n_open_regressions, 4);
  /* nothing twice: no id in two reports' new lists */
  int64_t a[16], b[16], c[16];
  size_t na, nb, nc;
  ids_of(r1, a, &na);
  ids_of(r2, b, &nb);
  ids_of(r3, c, &nc);
  assert_int_equal(na + nb + nc, 6);
  for (size_t i = 0; i < na; i++)
    for (size_t k = 0; k < nc; k++) assert_int_not_equal(a[i], c[k]);
  /* what is recorded */
  qb_report_record last;
  assert_int_equal(qb_store_report_last(s, NULL, &last, &err), QB_OK);
  assert_int_equal(last.id, r3->id);
  assert_int_equal(last.new_regressions, 1);
  assert_int_equal(last.new_improvements, 0);
  assert_int_equal(last.window_start, r2->created_at);
  assert_int_equal(last.max_regression_id, r3->new_regressions[0].reg.id);
  assert_string_equal(last.format, "json");
  qb_report_record_dispose(&last);
  qb_report_item *items;
  size_t n_items;
  assert_int_equal(qb_store_report_items(s, "", &items, &n_items, &err), QB_OK);
  assert_int_equal(n_items, 6);
  free(items);
  /* another scope has its own history: a report for project rep starts from scratch */
  assert_int_equal(qb_store_report_last(s, "rep", &last, &err), QB_ENOTFOUND);
  qb_report_opts o = QB_REPORT_OPTS_INIT;
  o.project = "rep";
  qb_report *rp = build(s, &o);
  assert_int_equal(rp->n_new_regressions, 5);
  qb_report_free(rp);
  /* and a fourth report right after the third: nothing new */
  qb_report *r4 = build(s, NULL);
  assert_int_equal(r4->n_new_regressions + r4->n_new_improvements, 0);
  assert_int_equal(r4->n_open_regressions, 5);
  /* JSON: the contract's window and counts */
  json_t *j = qb_report_json(r3);
  assert_non_null(j);
  json_t *w = json_object_get(json_object_get(j, "report"), "window");
  assert_string_equal(json_string_value(json_object_get(w, "kind")), "since-last-report");
  assert_int_equal(json_integer_value(json_object_get(w, "previous_report_id")), r2->id);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "report"), "id")), r3->id);
  assert_int_equal(json_array_size(json_object_get(j, "new_regressions")), 1);
  json_t *nr = json_array_get(json_object_get(j, "new_regressions"), 0);
  assert_string_equal(json_string_value(json_object_get(nr, "benchmark")), "flat");
  assert_int_equal(json_integer_value(json_object_get(nr, "run_id")), STEP_F + 1);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(nr, "chart"), "change_index")),
      (json_int_t)r3->new_regressions[0].chart_change);
  json_decref(j);
  qb_report_free(r1);
  qb_report_free(r2);
  qb_report_free(r3);
  qb_report_free(r4);
  qb_store_close(s);
}

/* --since and --from/--to windows (never recorded), and their errors. */
static void test_report__windows(void **state) {
  (void)state;
  qb_store *s = open_db("windows.db");
  qb_err err = QB_ERR_INIT;
  ingest_runs(s, 0, 30, -1);
  /* --since: detected in the last hour (all), or from tomorrow (none) */
  qb_report_opts o = QB_REPORT_OPTS_INIT;
  o.since = qb_time_now() - (int64_t)3600 * 1000000;
  qb_report *r = build(s, &o);
  assert_int_equal(r->window, QB_REPORT_SINCE);
  assert_int_equal(r->n_new_regressions, 4);
  assert_int_equal(r->n_new_improvements, 1);
  assert_int_equal(qb_report_save(s, r, "markdown", &err), QB_EUSAGE); /* never recorded */
  qb_report_free(r);
  o.since = qb_time_now() + (int64_t)86400 * 1000000;
  r = build(s, &o);
  assert_int_equal(r->n_new_regressions, 0);
  assert_int_equal(r->n_open_regressions, 4);
  qb_report_free(r);
  /* a range of runs: first bad run after FROM and up to TO */
  qb_report_opts q = QB_REPORT_OPTS_INIT;
  q.from_ref = "10"; /* run 10 = generated run 9 */
  q.to_ref = "15";
  r = build(s, &q);
  assert_int_equal(r->window, QB_REPORT_RANGE);
  assert_string_equal(r->project, "rep");
  assert_int_equal(r->n_new_regressions, 2);
  check_step(find(r->new_regressions, 2, "alpha"), "alpha", "major", STEP_AB, 1000, 1200);
  check_step(find(r->new_regressions, 2, "beta"), "beta", "moderate", STEP_AB, 500, 535);
  assert_int_equal(r->n_new_improvements, 0); /* eps stepped at run 9, before the range */
  assert_int_equal(r->n_grades, 1);
  assert_int_equal(r->grades[0].run_id, 15); /* the newest run in the range */
  qb_report_free(r);
  q.from_ref = "15";
  q.to_ref = NULL; /* up to the newest run */
  r = build(s, &q);
  assert_int_equal(r->n_new_regressions, 2);
  assert_non_null(find(r->new_regressions, 2, "gamma"));
  assert_non_null(find(r->new_regressions, 2, "delta"));
  assert_int_equal(r->n_open_regressions, 2);
  qb_report_free(r);
  /* the commit of a run works as a reference; FROM after TO is a usage error */
  q.from_ref = "20000009";
  q.to_ref = "20000008";
  assert_int_equal(qb_report_build(s, &q, &r, &err), QB_EUSAGE);
  q.from_ref = "999";
  assert_int_equal(qb_report_build(s, &q, &r, &err), QB_ENOTFOUND);
  /* an unknown project */
  qb_report_opts p = QB_REPORT_OPTS_INIT;
  p.project = "nosuch";
  assert_int_equal(qb_report_build(s, &p, &r, &err), QB_ENOTFOUND);
  qb_store_close(s);
}

/* A family that turns quadratic, and best / worst tag values. */
static void test_report__scaling_and_configs(void **state) {
  (void)state;
  qb_store *s = open_db("scaling.db");
  /* the sz family turns quadratic in the last run */
  ingest_runs(s, 0, 12, 11);
  /* the same benchmark under two tag values, two runs each, in another project */
  const char *nets[4] = {"lan", "wan", "lan", "wan"};
  for (int i = 0; i < 4; i++) {
    char text[512];
    int lvl = !strcmp(nets[i], "lan") ? 100 : 180;
    int n = snprintf(text, sizeof text,
                     "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"net\",\"commit\":"
                     "\"abcd000%d\",\"tags\":{\"net\":\"%s\"}}\n"
                     "{\"name\":\"rpc\",\"unit\":\"us\",\"samples\":[%d,%d,%d]}\n",
                     i, nets[i], lvl, lvl + 1, lvl + 2);
    ingest_text(s, text, (size_t)n);
  }
  qb_report *r = build(s, NULL);
  /* scaling: O(n log n) before, O(n^2) now */
  const qb_report_scaling *x = NULL;
  for (size_t i = 0; i < r->n_scaling; i++)
    if (!strcmp(r->scaling[i].family, "sz")) x = &r->scaling[i];
  assert_non_null(x);
  assert_ptr_equal(x, &r->scaling[0]); /* changed families first */
  assert_int_equal(x->best, QB_O_N2);
  assert_int_equal(x->baseline_best, QB_O_N_LOG_N);
  assert_true(x->complexity_changed);
  assert_int_equal(x->run_id, 12);
  assert_int_equal(x->baseline_id, 11);
  assert_int_equal(x->n_points, 3);
  /* n = 100 -> 1000: ten times the size, 100 times the time: efficiency 0.1; before
   * 10 / (3000 log2 1000 / (300 log2 100)) = 0.667 */
  qbt_check_rel(x->efficiency[1], 0.1, 1e-3, "efficiency now");
  qbt_check_rel(x->baseline_efficiency[1], 10.0 / (10 * log2(1000) / log2(100)), 1e-3,
                "efficiency before");
  assert_true(x->efficiency_dropped);
  assert_true(has_rec(r, "scaling",
                      "sz (latency): fitted complexity changed from O(n log n) to "
                      "O(n^2) in run 12"));
  /* configurations: lan is best, wan worst, spread 80% */
  assert_int_equal(r->n_configs, 1);
  assert_string_equal(r->configs[0].project, "net");
  assert_string_equal(r->configs[0].tag, "net");
  assert_int_equal(r->configs[0].n_rows, 1);
  assert_string_equal(r->configs[0].rows[0].best, "lan");
  assert_string_equal(r->configs[0].rows[0].worst, "wan");
  qbt_check_rel(r->configs[0].rows[0].best_value, 101000, 1e-12, "lan level");
  qbt_check_rel(r->configs[0].rows[0].worst_value, 181000, 1e-12, "wan level");
  /* two groups graded: net/main/localhost and rep/main/m1 */
  assert_int_equal(r->n_grades, 2);
  assert_string_equal(r->grades[0].project, "net");
  assert_string_equal(r->grades[1].project, "rep");
  qb_report_free(r);
  qb_store_close(s);
}

/* Count the occurrences of needle in hay. */
static size_t count_of(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* Markdown, HTML and JSON of the same report, and the webhook body. */
static void test_report__renderings(void **state) {
  (void)state;
  qb_store *s = open_db("render.db");
  qb_err err = QB_ERR_INIT;
  ingest_runs(s, 0, 30, -1);
  qb_report *r = build(s, NULL);
  qb_buf md, html, js, body;
  qb_buf_init(&md, (size_t)1 << 26);
  qb_buf_init(&html, (size_t)1 << 26);
  qb_buf_init(&js, (size_t)1 << 26);
  qb_buf_init(&body, (size_t)1 << 26);
  assert_int_equal(qb_report_render(r, QB_REPORT_MARKDOWN, &md, &err), QB_OK);
  assert_int_equal(qb_report_render(r, QB_REPORT_HTML, &html, &err), QB_OK);
  assert_int_equal(qb_report_render(r, QB_REPORT_JSON, &js, &err), QB_OK);
  assert_int_equal(qb_report_notify_body(r, &body, &err), QB_OK);
  /* markdown: every section, the rows with their ranges and changes */
  const char *sections[] = {
      "## Summary",        "## New regressions", "## New improvements", "## Still-open regressions",
      "## Broken targets", "## Trends",          "## Scaling",          "## Configurations",
      "## Recommendations"};
  for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
    if (!strstr(md.data, sections[i])) fail_msg("markdown: no %s", sections[i]);
  assert_non_null(strstr(md.data, "**4 new regressions** (1 critical, 1 major, 1 moderate, 1 "
                                  "minor)"));
  assert_non_null(strstr(md.data, "| **critical** | gamma | latency | rep/main/m1 | run 21, "
                                  "`20000013..20000014` | 2.0"));
  assert_non_null(strstr(md.data, " µs | 2.800 µs | +40.0% | "));
  assert_non_null(strstr(md.data, "| **major** | eps | throughput |"));
  assert_non_null(strstr(md.data, "│")); /* the sparkline marks the change */
  /* HTML: self-contained, one chart per new change, the rows */
  assert_non_null(strstr(html.data, "<!DOCTYPE html>"));
  assert_int_equal(count_of(html.data, "<svg class=\"spark\""), 5);
  assert_int_equal(count_of(html.data, "<tr class=\"change regression\""), 4);
  assert_int_equal(count_of(html.data, "<tr class=\"change improvement\""), 1);
  assert_non_null(strstr(html.data, "data-benchmark=\"gamma\""));
  assert_null(strstr(html.data, "src="));
  assert_null(strstr(html.data, "href="));
  assert_null(strstr(html.data, "url("));
  assert_null(strstr(html.data, "<script"));
  assert_int_equal(count_of(html.data, "http"), 5); /* the SVG namespace of each chart */
  /* JSON: parses, and holds the contract's sections */
  json_error_t je;
  json_t *j = json_loads(js.data, 0, &je);
  assert_non_null(j);
  const char *keys[] = {"report",           "summary",        "new_regressions", "new_improvements",
                        "open_regressions", "broken_targets", "trends",          "scaling",
                        "configurations",   "recommendations"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (!json_object_get(j, keys[i])) fail_msg("json: no %s", keys[i]);
  assert_int_equal(
      json_integer_value(json_object_get(
          json_object_get(json_object_get(j, "summary"), "new_regressions"), "critical")),
      1);
  json_t *g = json_array_get(json_object_get(j, "new_regressions"), 0);
  assert_string_equal(json_string_value(json_object_get(g, "severity")), "critical");
  assert_int_equal(json_integer_value(json_object_get(g, "run_id")), STEP_G + 1);
  assert_string_equal(json_string_value(json_object_get(g, "commit")), "20000014");
  assert_int_equal(json_array_size(json_object_get(json_object_get(g, "chart"), "values")),
                   r->new_regressions[0].n_chart);
  json_decref(j);
  /* the webhook body: a Slack-compatible text */
  j = json_loads(body.data, 0, &je);
  assert_non_null(j);
  const char *text = json_string_value(json_object_get(j, "text"));
  assert_non_null(text);
  assert_non_null(strstr(text, "4 new regressions (1 critical, 1 major, 1 moderate, 1 minor)"));
  assert_non_null(strstr(text, "- critical: gamma (latency) +40.0%"));
  assert_int_equal(json_array_size(json_object_get(j, "worst")), 4);
  json_decref(j);
  qb_buf_dispose(&md);
  qb_buf_dispose(&html);
  qb_buf_dispose(&js);
  qb_buf_dispose(&body);
  qb_report_free(r);
  qb_store_close(s);
}

/* Ingest a file of the test data the way `qbdb ingest` does. */
static void ingest_file(qb_store *s, const char *rel, const char *project, const char *commit) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", QB_TEST_DATA, rel);
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = project;
  o.commit = commit;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare(path, &o, &run, &err) || qb_ingest_store(s, run, &res, &err))
    fail_msg("%s", err.msg);
  qb_run_free(run);
  qb_after_ingest after = {0};
  if (qb_after_ingest_run(s, res.run_id, &after, &err)) fail_msg("%s", err.msg);
  qb_after_ingest_dispose(&after);
}

/* Real fixtures (pytest, criterion): grades per project, every series, criterion's sort fit. */
static void test_report__fixtures(void **state) {
  (void)state;
  qb_store *s = open_db("fixtures.db");
  ingest_file(s, "pytest/run1/benchmark.json", "py", "aaaa1111");
  ingest_file(s, "pytest/run2/benchmark.json", "py", "bbbb2222");
  ingest_file(s, "criterion/run1/target/criterion", "rs", "cccc3333");
  ingest_file(s, "criterion/run2b_compare_baseline/target/criterion", "rs", "dddd4444");
  qb_report *r = build(s, NULL);
  /* two runs per series: no change point yet, nothing to report as a regression */
  assert_int_equal(r->n_new_regressions + r->n_new_improvements + r->n_open_regressions, 0);
  assert_int_equal(r->n_grades, 2);
  assert_string_equal(r->grades[0].project, "py");
  assert_string_equal(r->grades[0].commit, "bbbb2222");
  assert_string_equal(r->grades[1].project, "rs");
  assert_string_equal(r->grades[1].commit, "dddd4444");
  qb_series_info *series;
  size_t n;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_series_list(s, NULL, &series, &n, &err), QB_OK);
  assert_int_equal(r->n_series, n);
  qb_series_infos_free(series, n);
  /* the criterion sort family (sort/100, sort/1000, sort/10000) is n log n */
  const qb_report_scaling *x = NULL;
  for (size_t i = 0; i < r->n_scaling; i++)
    if (!strcmp(r->scaling[i].project, "rs") && !strcmp(r->scaling[i].family, "sort"))
      x = &r->scaling[i];
  assert_non_null(x);
  assert_int_equal(x->best, QB_O_N_LOG_N);
  qb_report_free(r);
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report__known_steps),
      cmocka_unit_test(test_report__consecutive_nightly),
      cmocka_unit_test(test_report__windows),
      cmocka_unit_test(test_report__scaling_and_configs),
      cmocka_unit_test(test_report__renderings),
      cmocka_unit_test(test_report__fixtures),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

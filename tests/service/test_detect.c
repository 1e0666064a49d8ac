/* tests/service/test_detect.c - change-point detection after each ingest (qb_after_ingest_run)
 * against a full analysis (qb_detect, not incremental) of the same database, on long series
 * where the incremental update reads only the end of each series (qb_store_series_tail), and
 * when the detection marker no longer describes a prefix: a run older than the analysed ones
 * arrives, or a run's detection never ran. Every record (run, levels, p-value, severity, position)
 * must be the same both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "service/history.h"
#include "service/run_cache.h"
#include "core/buf.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_detect"

static int setup(void **state) {
  (void)state;
  return system("rm -rf '" TMP "' && mkdir -p '" TMP "'");
}

static qb_store *open_db(const char *name) {
  const char *loc = qbt_db_fresh(TMP, name);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, loc, QB_STORE_CREATE, &err)) fail_msg("%s: %s", loc, err.msg);
  return s;
}

/* The run cache ingest_run's detection uses (NULL: none). */
static qb_run_cache *g_cache;

/* Ingest run r (a native file made here: two series, "steps" with level changes at runs 100,
 * 170 and 240 and "flat", 20 samples each with seeded noise) started at hour `hour`; then the
 * history step unless skip. Returns the detect result of the step. */
static qb_detect_result ingest_run(qb_store *s, int r, int hour, int skip) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 20);
  qb_err err = QB_ERR_INIT;
  uint64_t seed =
      0x2545f4914f6cdd1dULL * (uint64_t)(r + 1) ^
      0x71626462; /* not a multiple of splitmix64's step: the runs' streams do not overlap */
  double level = r >= 240 ? 1150 : r >= 170 ? 900 : r >= 100 ? 1200 : 1000;
  if (qb_buf_printf(&b, &err,
                    "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"d\",\"branch\":"
                    "\"main\",\"machine\":\"m\",\"commit\":\"%08x\",\"started_at\":"
                    "\"2026-01-%02dT%02d:00:00Z\"}\n",
                    0x10000000 + r, 1 + hour / 24, hour % 24))
    fail_msg("%s", err.msg);
  const char *names[2] = {"steps", "flat"};
  for (int k = 0; k < 2; k++) {
    qb_buf_printf(&b, &err, "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[", names[k]);
    for (int i = 0; i < 20; i++) {
      double u = (double)(qbt_sm64(&seed) >> 11) / 9007199254740992.0;
      qb_buf_printf(&b, &err, "%s%.6f", i ? "," : "", (k ? 1000 : level) * (1 + 0.02 * (u - 0.5)));
    }
    qb_buf_adds(&b, "]}\n", &err);
  }
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run;
  qb_ingest_result res;
  if (qb_ingest_prepare_bytes("gen", b.data, b.len, &o, &run, &err) ||
      qb_ingest_store(s, run, &res, &err))
    fail_msg("run %d: %s", r, err.msg);
  qb_run_free(run);
  qb_buf_dispose(&b);
  qb_after_ingest after = {0};
  if (!skip && qb_after_ingest_run_cached(s, res.run_id, g_cache, &after, &err))
    fail_msg("%s", err.msg);
  qb_detect_result d = after.detect;
  qb_after_ingest_dispose(&after);
  return d;
}

/* Every record, as text, in a fixed order. */
static char *records(qb_store *s) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs;
  size_t n;
  qb_err err = QB_ERR_INIT;
  if (qb_store_regressions_list(s, &f, &regs, &n, &err)) fail_msg("%s", err.msg);
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 20);
  for (size_t i = 0; i < n; i++)
    qb_buf_printf(&b, &err, "%s run %lld prev %lld %s %.17g %.17g %.17g %s active %d\n",
                  regs[i].series.bench, (long long)regs[i].run_id, (long long)regs[i].prev_run_id,
                  regs[i].kind, regs[i].before, regs[i].after, regs[i].p_value, regs[i].severity,
                  regs[i].active);
  qb_regressions_free(regs, n);
  char *text = qb_buf_take(&b, NULL);
  return text ? text : strdup("");
}

/* The records after incremental detection, then after a full re-analysis: equal. */
static void assert_full_agrees(qb_store *s, const char *what) {
  char *inc = records(s);
  qb_detect_opts o = QB_DETECT_OPTS_INIT;
  qb_detect_result r;
  qb_err err = QB_ERR_INIT;
  if (qb_detect(s, &o, &r, &err)) fail_msg("%s", err.msg);
  char *full = records(s);
  if (strcmp(inc, full)) fail_msg("%s: incremental\n%s\nfull\n%s", what, inc, full);
  free(inc);
  free(full);
}

static void test_detect__tail_reads_and_agrees(void **state) {
  (void)state;
  qb_store *s = open_db("tail.db");
  size_t last_read = 0;
  for (int r = 0; r < 720; r++) {
    qb_detect_result d = ingest_run(s, r, r, 0);
    assert_int_equal(d.series, 2);
    last_read = d.points;
  }
  /* 720 points in each series; the update read about eleven windows (of 30) of the end of each:
   * the last ones it re-analyses (with room for a second search for a cut), and the six before
   * them that long tests look back on */
  print_message("the last update read %zu points of 2 x 720\n", last_read);
  assert_true(last_read > 2 && last_read <= 2 * 340);
  char *inc = records(s);
  assert_non_null(strstr(inc, "steps run 101 prev 100 regression")); /* run ids start at 1 */
  assert_non_null(strstr(inc, "steps run 171 prev 170 improvement"));
  assert_non_null(strstr(inc, "steps run 241 prev 240 regression"));
  free(inc);
  /* no change point in the flat series now (one that a short history showed early on is kept,
   * inactive: detection deletes no record, issue 16) */
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  f.active_only = 1;
  qb_regression *regs;
  size_t n;
  qb_err err = QB_ERR_INIT;
  if (qb_store_regressions_list(s, &f, &regs, &n, &err)) fail_msg("%s", err.msg);
  for (size_t i = 0; i < n; i++) assert_string_not_equal(regs[i].series.bench, "flat");
  qb_regressions_free(regs, n);
  assert_full_agrees(s, "720 runs in order");
  qb_store_close(s);
}

static void test_detect__backfill_and_missed_step(void **state) {
  (void)state;
  qb_store *s = open_db("backfill.db");
  for (int r = 0; r < 250; r++) ingest_run(s, r, 2 * r + 10, 0);
  /* a run older than every analysed one (hour 1): the marker is cleared, everything read */
  qb_detect_result d = ingest_run(s, 250, 1, 0);
  assert_int_equal(d.points, 2 * 251);
  assert_full_agrees(s, "after a backfilled run");
  /* a run whose history step never ran, then the next: the update starts from the marker */
  ingest_run(s, 251, 2 * 251 + 10, 1);
  d = ingest_run(s, 252, 2 * 252 + 10, 0);
  assert_true(d.points <= 2 * 270);
  assert_full_agrees(s, "after a missed history step");
  qb_store_close(s);
}

/* With the server's cache of series ends, nearly every update reads only the new points and
 * the marker's, and the records equal those of the same history detected without the
 * cache and of a full re-analysis; a run stored before the markers (a backfill) clears them, the
 * cache is not used for it, and the records still agree. */
static void test_detect__cached_tails(void **state) {
  (void)state;
  qb_store *plain = open_db("tails_plain.db"), *s = open_db("tails_cached.db");
  g_cache = qb_run_cache_new((size_t)64 << 20);
  for (int r = 0; r < 500; r++) {
    qb_run_cache *keep = g_cache;
    g_cache = NULL;
    ingest_run(plain, r, r + 10, 0);
    g_cache = keep;
    qb_detect_result d = ingest_run(s, r, r + 10, 0);
    assert_int_equal(d.series, 2);
  }
  qb_run_cache_stats st;
  qb_run_cache_stats_get(g_cache, &st);
  print_message("tails: %llu hits, %llu misses, %zu kept (%zu bytes)\n",
                (unsigned long long)st.tail_hits, (unsigned long long)st.tail_misses, st.tails,
                st.tail_bytes);
  /* nearly every update: short series are kept whole, long ones from what an update reads
   * (about 300 points); a miss is an update that needs more than the kept end (it reads the
   * whole series) */
  assert_true(st.tail_hits >= 2 * 400);
  assert_true(st.tail_misses <= st.tail_hits / 8);
  assert_int_equal(st.tails, 2);
  char *a = records(plain), *b = records(s);
  assert_string_equal(a, b);
  assert_non_null(strstr(b, "steps run 241 prev 240 regression"));
  free(a);
  free(b);
  assert_full_agrees(s, "500 runs with cached tails");
  /* a backfilled run (hour 1, before every other): markers cleared, read from the store */
  uint64_t hits = st.tail_hits;
  ingest_run(s, 500, 1, 0);
  qb_run_cache_stats_get(g_cache, &st);
  assert_int_equal(st.tail_hits, hits);
  ingest_run(s, 501, 501 + 10, 0);
  qb_run_cache_stats_get(g_cache, &st);
  assert_true(st.tail_hits > hits); /* the tails kept by the full analysis serve the next run */
  assert_full_agrees(s, "after a backfill with cached tails");
  qb_run_cache_free(g_cache);
  g_cache = NULL;
  qb_store_close(plain);
  qb_store_close(s);
}

/* Instruction counts (qbdb_runner --measure instructions): every run of a binary gives the same
 * count, so each series is constant but for a planted step, and every t-test of a split sees no
 * spread. Run r (0..59) of three series, 5 identical samples each: "step" 1000000 then 1020000
 * from run 30 (+2%), "tiny" 1000000 then 1000100 from run 30 (+0.01%), "flat" 1000000 always. */
static int64_t ingest_counts(qb_store *s, int r) {
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 16);
  qb_err err = QB_ERR_INIT;
  if (qb_buf_printf(&b, &err,
                    "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"ic\",\"branch\":"
                    "\"main\",\"machine\":\"m\",\"commit\":\"%08x\",\"started_at\":"
                    "\"2026-02-%02dT%02d:00:00Z\"}\n",
                    0x20000000 + r, 1 + r / 24, r % 24))
    fail_msg("%s", err.msg);
  const char *names[3] = {"step", "tiny", "flat"};
  double after[3] = {1020000, 1000100, 1000000};
  for (int k = 0; k < 3; k++) {
    double v = r >= 30 ? after[k] : 1000000;
    qb_buf_printf(&b, &err,
                  "{\"name\":\"%s\",\"metric\":\"instructions\",\"unit\":\"1\","
                  "\"iterations\":1,\"samples\":[%.1f,%.1f,%.1f,%.1f,%.1f],"
                  "\"extra\":{\"source\":\"callgrind\"}}\n",
                  names[k], v, v, v, v, v);
  }
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run;
  qb_ingest_result res;
  if (qb_ingest_prepare_bytes("gen", b.data, b.len, &o, &run, &err) ||
      qb_ingest_store(s, run, &res, &err))
    fail_msg("run %d: %s", r, err.msg);
  qb_run_free(run);
  qb_buf_dispose(&b);
  qb_after_ingest after_ingest = {0};
  if (qb_after_ingest_run(s, res.run_id, &after_ingest, &err)) fail_msg("%s", err.msg);
  qb_after_ingest_dispose(&after_ingest);
  return res.run_id;
}

/* One stored record, what the instruction-count case checks of it. */
typedef struct rec {
  int64_t run_id, prev_run_id;
  char kind[16], severity[16];
  double before, after, change_pct, p_value;
} rec;

/* The active records of bench in project ic into r[0..8); returns how many. */
static size_t records_of(qb_store *s, const char *bench, rec *r) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs;
  size_t all, n = 0;
  qb_err err = QB_ERR_INIT;
  f.project = "ic";
  f.active_only = 1;
  if (qb_store_regressions_list(s, &f, &regs, &all, &err)) fail_msg("%s", err.msg);
  for (size_t i = 0; i < all; i++)
    if (!strcmp(regs[i].series.bench, bench) && n < 8) {
      rec *x = &r[n++];
      x->run_id = regs[i].run_id;
      x->prev_run_id = regs[i].prev_run_id;
      snprintf(x->kind, sizeof x->kind, "%s", regs[i].kind);
      snprintf(x->severity, sizeof x->severity, "%s", regs[i].severity);
      x->before = regs[i].before;
      x->after = regs[i].after;
      x->change_pct = regs[i].change_pct;
      x->p_value = regs[i].p_value;
    }
  qb_regressions_free(regs, all);
  return n;
}

/* Detection again after a settings change, as `qbdb config set` runs it. */
static void detect_again(qb_store *s) {
  qb_detect_opts o = QB_DETECT_OPTS_INIT;
  qb_detect_result r;
  qb_err err = QB_ERR_INIT;
  o.filter.project = "ic";
  o.incremental = 1;
  if (qb_detect(s, &o, &r, &err)) fail_msg("%s", err.msg);
}

/* Zero run-to-run noise: the +2% step is one regression record at run 30 (minor: below the
 * moderate band of 5%), the 60 identical values give none, and the +0.01% step none either: it
 * is below min_change.instructions (built in: 0.5%), though its split's t-test has p 0. With the
 * setting at 0.005% the +0.01% step is a (minor) regression too; at 3% the +2% step is not kept;
 * at 0 (no floor: the general rules, min_change 0 and threshold 1%) the +0.01% step is a change
 * point of severity none. Incremental detection after each ingest and a full analysis agree. */
static void test_detect__instruction_counts(void **state) {
  (void)state;
  qb_store *s = open_db("counts.db");
  int64_t ids[60];
  for (int r = 0; r < 60; r++) ids[r] = ingest_counts(s, r);
  rec g[8];
  size_t n = records_of(s, "step", g);
  assert_int_equal(n, 1);
  assert_int_equal(g[0].run_id, ids[30]);
  assert_int_equal(g[0].prev_run_id, ids[29]);
  assert_string_equal(g[0].kind, "regression");
  assert_string_equal(g[0].severity, "minor");
  assert_true(g[0].before == 1000000 && g[0].after == 1020000);
  assert_close(g[0].change_pct, 2.0, 1e-9);
  assert_true(g[0].p_value == 0); /* no spread on either side of the split */
  n = records_of(s, "flat", g);
  assert_int_equal(n, 0);
  n = records_of(s, "tiny", g);
  assert_int_equal(n, 0);
  assert_full_agrees(s, "instruction counts");

  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_setting_set(s, "ic", "", "min_change.instructions", 0.005, NULL, &err),
                   QB_OK);
  detect_again(s);
  n = records_of(s, "tiny", g);
  assert_int_equal(n, 1);
  assert_int_equal(g[0].run_id, ids[30]);
  assert_string_equal(g[0].severity, "minor");
  assert_close(g[0].change_pct, 0.01, 1e-9);
  n = records_of(s, "flat", g);
  assert_int_equal(n, 0);

  assert_int_equal(qb_store_setting_set(s, "ic", "", "min_change.instructions", 3, NULL, &err),
                   QB_OK);
  detect_again(s);
  n = records_of(s, "step", g);
  assert_int_equal(n, 0);
  n = records_of(s, "tiny", g);
  assert_int_equal(n, 0);

  assert_int_equal(qb_store_setting_set(s, "ic", "", "min_change.instructions", 0, NULL, &err),
                   QB_OK);
  detect_again(s);
  n = records_of(s, "tiny", g);
  assert_int_equal(n, 1);
  assert_string_equal(g[0].severity, "none"); /* 0.01% <= threshold 1% */
  n = records_of(s, "step", g);
  assert_int_equal(n, 1);
  assert_string_equal(g[0].severity, "minor"); /* 2% > threshold 1% */
  n = records_of(s, "flat", g);
  assert_int_equal(n, 0);
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_detect__tail_reads_and_agrees),
      cmocka_unit_test(test_detect__backfill_and_missed_step),
      cmocka_unit_test(test_detect__cached_tails),
      cmocka_unit_test(test_detect__instruction_counts),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

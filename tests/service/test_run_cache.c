/* tests/service/test_run_cache.c - the server's cache of decoded runs (service/run_cache.h): a
 * cached run equals the stored one and its sorted samples are its samples in order; compares
 * through the cache give the same answer, bit for bit, as without it (first load, hits, pooled
 * baselines, filters); a prune that drops raw samples is seen at once; the byte bound holds and
 * a run handed out stays valid when it is evicted (ASan checks the latter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "analysis/describe.h"
#include "service/compare.h"
#include "service/run_cache.h"
#include "view/json.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_run_cache"

/* A fresh, empty store named name (a file in TMP, or a PostgreSQL database on a _pg twin). */
static qb_store *open_db(const char *name) {
  const char *loc = qbt_db_fresh(TMP, name);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, loc, QB_STORE_CREATE, &err)) fail_msg("%s: %s", loc, err.msg);
  return s;
}

/* xorshift64* and a Box-Muller normal: seeded, so every run of the test sees the same data */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double normal(void) {
  double u = uniform(), v = uniform();
  return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

/* Ingest the file at path into s (as `qbdb ingest` does); its run's id. */
static int64_t store_file(qb_store *s, const char *path) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare(path, &o, &run, &err)) fail_msg("%s: %s", path, err.msg);
  if (qb_ingest_store(s, run, &res, &err)) fail_msg("%s: %s", path, err.msg);
  qb_run_free(run);
  return res.run_id;
}

/* A database of 8 runs x 20 benchmarks x 30 samples (run 6 on: bench_003 15% slower), with the
 * runs' ids in ids[0..8). */
static qb_store *make_db(int64_t ids[8]) {
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) fail_msg("cannot make " TMP);
  qb_store *s = open_db("db.sqlite");
  for (int r = 0; r < 8; r++) {
    char path[256];
    snprintf(path, sizeof path, TMP "/run%d.jsonl", r);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"format\": \"qbdb-native\", \"version\": 1, \"project\": \"rc\", \"branch\": "
            "\"main\", \"machine\": \"m1\", \"commit\": \"%08x\", \"started_at\": "
            "\"2026-10-01T%02d:00:00Z\"}\n",
            0xab000 + r, r);
    for (int b = 0; b < 20; b++) {
      double level = 1000.0 * (1 + b) * (b == 3 && r >= 6 ? 1.15 : 1.0);
      fprintf(f, "{\"name\": \"bench_%03d\", \"unit\": \"ns\", \"samples\": [", b);
      for (int i = 0; i < 30; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", level * (1 + 0.02 * normal()));
      fprintf(f, "]}\n");
    }
    fclose(f);
    ids[r] = store_file(s, path);
  }
  return s;
}

/* The compare's JSON view, every double with 17 digits (caller frees). */
static char *compare_json(qb_store *s, qb_run_cache *cache, int64_t base, int64_t head,
                          const char *glob, int base_runs) {
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  char b[24], h[24];
  snprintf(b, sizeof b, "%lld", (long long)base);
  snprintf(h, sizeof h, "%lld", (long long)head);
  o.run_cache = cache;
  o.bench_glob = glob;
  o.base.base_runs = base_runs;
  qb_compare *c = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_compare_pair(s, base_runs > 1 ? NULL : b, h, &o, &c, &err)) fail_msg("%s", err.msg);
  json_t *j = qb_view_compare(c, 0);
  char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
  json_decref(j);
  qb_compare_free(c);
  assert_non_null(text);
  return text;
}

/* A cached run is the stored run: same benchmarks, statistics and samples; its sorted samples
 * are its samples in ascending order. The second load is a hit and shares the run. */
static void test_run_cache__equals_store(void **state) {
  (void)state;
  int64_t ids[8];
  qb_store *s = make_db(ids);
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  qb_err err = QB_ERR_INIT;
  qb_run_info info, plain_info;
  qb_run_ref ref, again;
  qb_run *plain;
  assert_int_equal(qb_run_cache_load(c, s, ids[2], &info, &ref, &err), QB_OK);
  assert_int_equal(qb_store_load_run(s, ids[2], 1, &plain_info, &plain, &err), QB_OK);
  assert_string_equal(info.content_hash, plain_info.content_hash);
  assert_int_equal(ref.run->n_benches, plain->n_benches);
  for (size_t i = 0; i < plain->n_benches; i++) {
    const qb_bench *x = &ref.run->benches[i], *y = &plain->benches[i];
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->n_results, y->n_results);
    for (size_t k = 0; k < y->n_results; k++) {
      const qb_result *a = &x->results[k], *b = &y->results[k];
      assert_int_equal(a->n_samples, b->n_samples);
      assert_int_equal(a->n_samples, 30);
      assert_memory_equal(a->samples, b->samples, b->n_samples * sizeof *b->samples);
      assert_memory_equal(&a->stats, &b->stats, sizeof a->stats);
      const double *sorted = qb_run_ref_sorted(&ref, x, a);
      assert_non_null(sorted);
      double copy[30];
      memcpy(copy, b->samples, sizeof copy);
      qb_sort_doubles(copy, 30);
      assert_memory_equal(sorted, copy, sizeof copy);
    }
  }
  qb_run_info_dispose(&plain_info);
  qb_run_free(plain);
  qb_run_info again_info;
  assert_int_equal(qb_run_cache_load(c, s, ids[2], &again_info, &again, &err), QB_OK);
  assert_ptr_equal(again.run, ref.run);
  qb_run_info_dispose(&again_info);
  qb_run_cache_stats st;
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.runs, 1);
  qb_run_cache_release(c, &again);
  qb_run_cache_release(c, &ref);
  assert_null(ref.run);
  qb_run_cache_release(c, &ref); /* a cleared reference: nothing to do */
  qb_run_info_dispose(&info);
  /* without a cache: a plain load, no sorted samples, freed on release */
  assert_int_equal(qb_run_cache_load(NULL, s, ids[1], &info, &ref, &err), QB_OK);
  assert_int_equal(ref.run->n_benches, 20);
  assert_null(qb_run_ref_sorted(&ref, &ref.run->benches[0], &ref.run->benches[0].results[0]));
  qb_run_cache_release(NULL, &ref);
  qb_run_info_dispose(&info);
  qb_run_cache_free(c);
  qb_store_close(s);
}

/* Two strings equal, or both NULL. */
static void same_text(const char *a, const char *b, const char *what) {
  if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
    fail_msg("%s: '%s' against '%s'", what, a ? a : "(null)", b ? b : "(null)");
}

/* Two doubles equal, both NaN counting as equal (NULL in the store). */
static void same_real(double a, double b, const char *what) {
  if (!(a == b || (isnan(a) && isnan(b)))) fail_msg("%s: %.17g against %.17g", what, a, b);
}

/* A run kept by qb_run_cache_seed right after it was stored is what the store reads back: the
 * same run-level fields and tags, benchmarks, results, statistics, extra texts and sample values,
 * on real files of every single-file format; the compare's load of it is a hit, with its sorted
 * samples. A copy kept under an older data generation is never used. */
static void test_run_cache__seeded_equals_store(void **state) {
  (void)state;
  static const char *const FILES[] = {
      QB_TEST_DATA "/pytest/run1/benchmark.json",
      QB_TEST_DATA "/gbench/run2_reps5_out.json",
      QB_TEST_DATA "/hyperfine/run1.json",
      QB_TEST_DATA "/native/full.jsonl",
      QB_TEST_DATA "/go/out.txt",
  };
  const size_t n_files = sizeof FILES / sizeof FILES[0];
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) fail_msg("cannot make " TMP);
  qb_store *s = open_db("seed.sqlite");
  qb_err err = QB_ERR_INIT;
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  for (size_t f = 0; f < n_files; f++) {
    qb_ingest_opts o = QB_INGEST_OPTS_INIT;
    qb_tag tag = {"seeded", "yes"};
    o.tags = &tag;
    o.n_tags = 1;
    o.project = "seed";
    qb_run *run;
    qb_ingest_result res;
    int64_t generation;
    if (qb_ingest_prepare(FILES[f], &o, &run, &err)) fail_msg("%s: %s", FILES[f], err.msg);
    assert_int_equal(qb_store_generation(s, &generation, &err), QB_OK);
    if (qb_ingest_store(s, run, &res, &err)) fail_msg("%s: %s", FILES[f], err.msg);
    assert_false(res.existed);
    assert_int_equal(qb_run_cache_seed(c, s, res.run_id, generation, run, &err), QB_OK);
    qb_run_free(run);
    qb_run_info info, plain_info;
    qb_run_ref ref;
    qb_run *plain;
    assert_int_equal(qb_run_cache_load(c, s, res.run_id, &info, &ref, &err), QB_OK);
    assert_int_equal(qb_store_load_run(s, res.run_id, QB_LOAD_VALUES, &plain_info, &plain, &err),
                     QB_OK);
    const qb_run *x = ref.run;
    same_text(x->project, plain->project, "project");
    same_text(x->branch, plain->branch, "branch");
    same_text(x->machine, plain->machine, "machine");
    same_text(x->commit_sha, plain->commit_sha, "commit");
    same_text(x->machine_info, plain->machine_info, "machine_info");
    same_text(x->format, plain->format, "format");
    same_text(x->tool_version, plain->tool_version, "tool_version");
    same_text(x->extra, plain->extra, "extra");
    assert_string_equal(x->content_hash, plain->content_hash);
    assert_true(x->commit_time == plain->commit_time && x->started_at == plain->started_at);
    assert_int_equal(x->n_tags, plain->n_tags);
    assert_true(x->n_tags >= 1); /* ours, and any the file names */
    for (size_t i = 0; i < x->n_tags; i++) {
      same_text(x->tags[i].key, plain->tags[i].key, "tag");
      same_text(x->tags[i].value, plain->tags[i].value, "tag value");
    }
    assert_int_equal(x->n_benches, plain->n_benches);
    size_t samples = 0;
    for (size_t i = 0; i < x->n_benches; i++) {
      const qb_bench *a = &x->benches[i], *b = &plain->benches[i];
      same_text(a->name, b->name, "benchmark");
      same_text(a->group, b->group, "group");
      same_text(a->params, b->params, "params");
      same_text(a->extra, b->extra, "benchmark extra");
      assert_int_equal(a->n_results, b->n_results);
      for (size_t k = 0; k < a->n_results; k++) {
        const qb_result *p = &a->results[k], *q = &b->results[k];
        same_text(p->metric, q->metric, "metric");
        same_text(p->unit, q->unit, "unit");
        assert_int_equal(p->direction, q->direction);
        same_text(p->extra, q->extra, "result extra");
        const qb_stats *u = &p->stats, *v = &q->stats;
        assert_true(u->n == v->n && u->outliers == v->outliers);
        const double us[] = {u->min, u->max, u->mean, u->median,   u->stddev, u->p95,
                             u->p99, u->q1,  u->q3,   u->estimate, u->ci_lo,  u->ci_hi};
        const double vs[] = {v->min, v->max, v->mean, v->median,   v->stddev, v->p95,
                             v->p99, v->q1,  v->q3,   v->estimate, v->ci_lo,  v->ci_hi};
        for (size_t m = 0; m < sizeof us / sizeof us[0]; m++) same_real(us[m], vs[m], a->name);
        assert_int_equal(p->n_samples, q->n_samples);
        assert_null(p->iters);
        assert_null(q->iters);
        if (q->n_samples)
          assert_memory_equal(p->samples, q->samples, q->n_samples * sizeof *q->samples);
        assert_true((qb_run_ref_sorted(&ref, a, p) != NULL) == (p->n_samples > 0));
        samples += p->n_samples;
      }
    }
    assert_true(samples > 0);
    qb_run_info_dispose(&plain_info);
    qb_run_free(plain);
    qb_run_cache_release(c, &ref);
    qb_run_info_dispose(&info);
    qb_run_cache_stats st;
    qb_run_cache_stats_get(c, &st);
    assert_int_equal(st.hits, f + 1); /* every load was of a kept copy */
    assert_int_equal(st.misses, 0);
  }
  /* kept under a generation older than the store's: not used (a prune came in between) */
  qb_run_cache_free(c);
  c = qb_run_cache_new((size_t)64 << 20);
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "seed2";
  qb_run *run;
  qb_ingest_result res;
  int64_t generation;
  assert_int_equal(qb_ingest_prepare(FILES[0], &o, &run, &err), QB_OK);
  assert_int_equal(qb_store_generation(s, &generation, &err), QB_OK);
  assert_int_equal(qb_ingest_store(s, run, &res, &err), QB_OK);
  assert_int_equal(qb_run_cache_seed(c, s, res.run_id, generation - 1, run, &err), QB_OK);
  qb_run_free(run);
  qb_run_info info;
  qb_run_ref ref;
  assert_int_equal(qb_run_cache_load(c, s, res.run_id, &info, &ref, &err), QB_OK);
  qb_run_cache_release(c, &ref);
  qb_run_info_dispose(&info);
  qb_run_cache_stats st;
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.hits, 0);
  assert_int_equal(st.misses, 1);
  qb_run_cache_free(c);
  qb_store_close(s);
}

/* Compares through the cache give the same answer as without it, the first time (misses) and
 * again (hits): explicit pairs, a filter, and a pooled baseline of 3 runs. */
static void test_run_cache__compare_same_answer(void **state) {
  (void)state;
  int64_t ids[8];
  qb_store *s = make_db(ids);
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  const struct {
    int base, head;
    const char *glob;
    int base_runs;
  } cases[] = {{0, 7, NULL, 1}, {5, 6, NULL, 1}, {2, 7, "bench_00*", 1}, {0, 7, NULL, 3}};
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char *plain = compare_json(s, NULL, ids[cases[i].base], ids[cases[i].head], cases[i].glob,
                                 cases[i].base_runs);
      char *cached = compare_json(s, c, ids[cases[i].base], ids[cases[i].head], cases[i].glob,
                                  cases[i].base_runs);
      assert_string_equal(cached, plain);
      /* and the answer shows the planted change */
      if (cases[i].head == 6 || cases[i].head == 7) assert_non_null(strstr(plain, "bench_003"));
      free(plain);
      free(cached);
    }
  qb_run_cache_stats st;
  qb_run_cache_stats_get(c, &st);
  assert_true(st.hits >= 8); /* the second pass hit every run */
  assert_int_equal(st.evictions, 0);
  qb_run_cache_free(c);
  qb_store_close(s);
}

/* A prune that drops raw samples bumps the generation: the next load reads the run again and
 * sees no samples; the compare through the cache agrees with the one without it. */
static void test_run_cache__prune_is_seen(void **state) {
  (void)state;
  int64_t ids[8];
  qb_store *s = make_db(ids);
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  qb_err err = QB_ERR_INIT;
  char *before = compare_json(s, c, ids[1], ids[7], NULL, 1);
  assert_non_null(strstr(before, "mann-whitney-u"));
  qb_prune_opts po = {QB_TIME_NONE, QB_TIME_NONE, NULL, 0, 0};
  assert_int_equal(qb_time_parse("2026-10-01T03:00:00Z", &po.samples_before), QB_OK);
  qb_prune_result pr;
  assert_int_equal(qb_store_prune(s, &po, &pr, &err), QB_OK);
  assert_true(pr.sample_runs >= 1);
  qb_run_info info;
  qb_run_ref ref;
  assert_int_equal(qb_run_cache_load(c, s, ids[1], &info, &ref, &err), QB_OK);
  assert_int_equal(ref.run->benches[0].results[0].n_samples, 0);
  qb_run_cache_release(c, &ref);
  qb_run_info_dispose(&info);
  char *after = compare_json(s, c, ids[1], ids[7], NULL, 1);
  char *plain = compare_json(s, NULL, ids[1], ids[7], NULL, 1);
  assert_string_equal(after, plain);
  assert_null(strstr(after, "mann-whitney-u")); /* no samples on the base side: Welch's test */
  free(before);
  free(after);
  free(plain);
  qb_run_cache_free(c);
  qb_store_close(s);
}

/* A cache with room for about two runs: it never holds more than its bound, drops the least
 * recently used run first, and a run handed out before it was dropped stays readable. */
static void test_run_cache__bounded(void **state) {
  (void)state;
  int64_t ids[8];
  qb_store *s = make_db(ids);
  qb_err err = QB_ERR_INIT;
  qb_run_info info;
  qb_run_ref ref;
  qb_run_cache *probe = qb_run_cache_new((size_t)64 << 20);
  assert_int_equal(qb_run_cache_load(probe, s, ids[0], &info, &ref, &err), QB_OK);
  qb_run_cache_release(probe, &ref);
  qb_run_info_dispose(&info);
  qb_run_cache_stats st;
  qb_run_cache_stats_get(probe, &st);
  size_t one = st.bytes;
  assert_true(one > 20 * 30 * 2 * sizeof(double)); /* samples and their sorted copies */
  qb_run_cache_free(probe);

  qb_run_cache *c = qb_run_cache_new(2 * one + one / 2);
  qb_run_ref held;
  qb_run_info held_info;
  assert_int_equal(qb_run_cache_load(c, s, ids[0], &held_info, &held, &err), QB_OK);
  for (int r = 1; r < 8; r++) {
    assert_int_equal(qb_run_cache_load(c, s, ids[r], &info, &ref, &err), QB_OK);
    qb_run_cache_release(c, &ref);
    qb_run_info_dispose(&info);
    qb_run_cache_stats_get(c, &st);
    assert_true(st.bytes <= 2 * one + one / 2);
    assert_true(st.runs <= 2);
  }
  assert_true(st.evictions >= 6);
  /* run 0 was dropped long ago, but the reference still reads it */
  assert_int_equal(held.run->n_benches, 20);
  assert_string_equal(held.run->benches[19].name, "bench_019");
  qb_run_cache_release(c, &held);
  qb_run_info_dispose(&held_info);
  /* the newest run is still there: a hit */
  uint64_t hits = st.hits;
  assert_int_equal(qb_run_cache_load(c, s, ids[7], &info, &ref, &err), QB_OK);
  qb_run_cache_release(c, &ref);
  qb_run_info_dispose(&info);
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.hits, hits + 1);
  qb_run_cache_free(c);
  qb_store_close(s);
}

/* Store a native run of project "hw" on machine `machine` at hour `hour` of 2026-11-02 (commit
 * time: the series order), with benchmarks bench_0..bench_4 but for `skip` (-1: none); each
 * median is 100 * (bench + 1) + hour. Returns its id. */
static int64_t history_run(qb_store *s, const char *machine, int hour, int skip) {
  char path[256];
  snprintf(path, sizeof path, TMP "/h_%s_%d.jsonl", machine, hour);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f,
          "{\"format\": \"qbdb-native\", \"version\": 1, \"project\": \"hw\", \"branch\": "
          "\"main\", \"machine\": \"%s\", \"commit\": \"%08x\", \"commit_time\": "
          "\"2026-11-02T%02d:00:00Z\", \"started_at\": \"2026-11-03T00:00:00Z\"}\n",
          machine, 0xcd000 + hour, hour);
  for (int b = 0; b < 5; b++)
    if (b != skip)
      fprintf(f, "{\"name\": \"bench_%d\", \"unit\": \"ns\", \"samples\": [%d, %d, %d]}\n", b,
              100 * (b + 1) + hour - 1, 100 * (b + 1) + hour, 100 * (b + 1) + hour + 1);
  fclose(f);
  return store_file(s, path);
}

/* The histories a lookup hands out (the plain ones read before), and what it was asked. */
typedef struct kept_histories {
  int64_t runs[16];
  qb_history_point *h[16];
  size_t n[16];
  size_t count;
  int64_t asked;      /* the run last asked for */
  double add;         /* added to every median handed out (to see which points came from here) */
  int64_t generation; /* the generation they belong to */
} kept_histories;

static int kept_lookup(void *ctx, int64_t run, int per_series, int64_t generation,
                       qb_history_point **out, size_t *n) {
  kept_histories *k = ctx;
  k->asked = run;
  if (per_series != 3 || generation != k->generation) return 0;
  for (size_t i = 0; i < k->count; i++)
    if (k->runs[i] == run) {
      if (qb_history_copy(k->h[i], k->n[i], out, NULL)) return 0;
      *n = k->n[i];
      for (size_t j = 0; j < *n; j++) (*out)[j].median += k->add;
      return 1;
    }
  return 0;
}

/* Two histories are the same points: names, runs, times, values, change marks, name owners. */
static void same_history(const qb_history_point *a, size_t na, const qb_history_point *b,
                         size_t nb) {
  assert_int_equal(na, nb);
  for (size_t i = 0; i < na; i++) {
    assert_string_equal(a[i].bench, b[i].bench);
    assert_string_equal(a[i].metric, b[i].metric);
    assert_true(a[i].run_id == b[i].run_id && a[i].started_at == b[i].started_at);
    assert_true(a[i].series_id == b[i].series_id && a[i].owns == b[i].owns);
    assert_int_equal(a[i].change, b[i].change);
    same_real(a[i].median, b[i].median, "median");
    same_real(a[i].mean, b[i].mean, "mean");
    same_real(a[i].estimate, b[i].estimate, "estimate");
  }
}

/* A history built from the kept history of the run before (qb_store_history_with) is the store's
 * own: on two machines' interleaved runs, with a benchmark missing from one run (its series' point
 * before is then an older run's, so that series is read); the kept points are really used (a
 * doctored copy shows through, except in the series read); a history of another data generation
 * is not asked for; a run stored before the end of a series (a backfill) bumps the generation, a
 * run at the end does not; the run cache's histories, built so, equal the store's. */
static void test_run_cache__history_from_the_run_before(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) fail_msg("cannot make " TMP);
  qb_store *s = open_db("hw.sqlite");
  qb_err err = QB_ERR_INIT;
  int64_t a[8], g0, g1;
  for (int r = 0; r < 8; r++) {
    a[r] = history_run(s, "m1", 2 * r, r == 5 ? 4 : -1); /* bench_4 missing from run 5 */
    history_run(s, "m2", 2 * r + 1, -1);
  }
  kept_histories k = {0};
  assert_int_equal(qb_store_generation(s, &k.generation, &err), QB_OK);
  for (int r = 0; r < 8; r++) {
    k.runs[k.count] = a[r];
    assert_int_equal(qb_store_history(s, a[r], 3, &k.h[k.count], &k.n[k.count], &err), QB_OK);
    k.count++;
  }
  for (int r = 1; r < 8; r++) {
    qb_history_point *h;
    size_t n;
    int64_t gen = -1;
    k.add = 0;
    assert_int_equal(qb_store_history_with(s, a[r], 3, kept_lookup, &k, &gen, &h, &n, &err), QB_OK);
    assert_int_equal(gen, k.generation);
    assert_int_equal(k.asked, a[r - 1]);
    same_history(h, n, k.h[r], k.n[r]);
    qb_history_free(h, n);
    /* doctored kept points show through: so they were used, but not in a series read instead */
    k.add = 1000;
    assert_int_equal(qb_store_history_with(s, a[r], 3, kept_lookup, &k, &gen, &h, &n, &err), QB_OK);
    size_t doctored = 0;
    for (size_t i = 0; i < n; i++) {
      int own = h[i].run_id == a[r];
      int read = (r == 5 || r == 6) && !strcmp(h[i].bench, "bench_4"); /* pred is not run r-1 */
      if (!own && !read) {
        assert_true(h[i].median > 1000);
        doctored++;
      } else {
        assert_true(h[i].median < 1000);
      }
    }
    assert_true(doctored >= 4);
    qb_history_free(h, n);
  }
  /* another generation's history is not used: asked, refused, and the answer is the store's */
  k.add = 1000;
  k.generation++;
  qb_history_point *h;
  size_t n;
  assert_int_equal(qb_store_history_with(s, a[7], 3, kept_lookup, &k, NULL, &h, &n, &err), QB_OK);
  same_history(h, n, k.h[7], k.n[7]);
  qb_history_free(h, n);
  k.generation--;
  /* a run at the end of its series keeps the generation; one before the end bumps it */
  assert_int_equal(qb_store_generation(s, &g0, &err), QB_OK);
  history_run(s, "m1", 20, -1);
  assert_int_equal(qb_store_generation(s, &g1, &err), QB_OK);
  assert_int_equal(g1, g0);
  history_run(s, "m1", 9, -1); /* between runs 4 and 5 of m1 */
  assert_int_equal(qb_store_generation(s, &g1, &err), QB_OK);
  assert_int_equal(g1, g0 + 1);
  /* the run cache builds its histories so, after the backfill too: each equals the store's */
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  for (int r = 0; r < 8; r++) {
    qb_history_point *p, *q;
    size_t np, nq;
    assert_int_equal(qb_run_cache_history(c, s, a[r], 3, &p, &np, &err), QB_OK);
    assert_int_equal(qb_store_history(s, a[r], 3, &q, &nq, &err), QB_OK);
    same_history(p, np, q, nq);
    qb_history_free(p, np);
    qb_history_free(q, nq);
  }
  qb_run_cache_free(c);
  for (size_t i = 0; i < k.count; i++) qb_history_free(k.h[i], k.n[i]);
  qb_store_close(s);
}

/* Histories: the second read is a hit and equals the store's; a change point stored since (a
 * detection does not change the fingerprint) is marked on the hit; a new run is a miss. */
static void test_run_cache__history(void **state) {
  (void)state;
  int64_t ids[8];
  qb_store *s = make_db(ids);
  qb_run_cache *c = qb_run_cache_new((size_t)64 << 20);
  qb_err err = QB_ERR_INIT;
  qb_history_point *a, *b, *plain;
  size_t na, nb, np;
  assert_int_equal(qb_run_cache_history(c, s, ids[6], 30, &a, &na, &err), QB_OK);
  assert_int_equal(qb_run_cache_history(c, s, ids[6], 30, &b, &nb, &err), QB_OK);
  assert_int_equal(qb_store_history(s, ids[6], 30, &plain, &np, &err), QB_OK);
  assert_int_equal(na, 20 * 7); /* runs 0..6 of 20 series */
  assert_int_equal(nb, np);
  for (size_t i = 0; i < np; i++) {
    assert_string_equal(b[i].bench, plain[i].bench);
    assert_int_equal(b[i].run_id, plain[i].run_id);
    assert_memory_equal(&b[i].median, &plain[i].median, sizeof plain[i].median);
    assert_int_equal(b[i].change, 0);
  }
  qb_run_cache_stats st;
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.history_hits, 1);
  assert_int_equal(st.history_misses, 1);
  /* a change point at run 3 of bench_003's series, stored as a detection would */
  int64_t series = 0;
  for (size_t i = 0; i < np; i++)
    if (!strcmp(plain[i].bench, "bench_003")) series = plain[i].series_id;
  assert_true(series > 0);
  qb_regression rec = {0};
  rec.run_id = ids[3];
  rec.prev_run_id = ids[2];
  rec.kind = "regression";
  rec.severity = "major";
  rec.before = rec.after = rec.change_pct = rec.p_value = 1;
  rec.position = 3;
  assert_int_equal(qb_store_regressions_replace(s, series, &rec, 1, &err), QB_OK);
  qb_history_point *d;
  size_t nd;
  assert_int_equal(qb_run_cache_history(c, s, ids[6], 30, &d, &nd, &err), QB_OK);
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.history_hits, 2);
  int marked = 0;
  for (size_t i = 0; i < nd; i++) {
    int want = d[i].series_id == series && d[i].run_id == ids[3];
    assert_int_equal(d[i].change, want);
    marked += want;
  }
  assert_int_equal(marked, 1);
  qb_history_free(d, nd);
  /* a history of another run is its own entry */
  assert_int_equal(qb_run_cache_history(c, s, ids[7], 30, &d, &nd, &err), QB_OK);
  assert_int_equal(nd, 20 * 8);
  qb_history_free(d, nd);
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.history_misses, 2);
  /* more histories than it keeps (64): the oldest go, each answer is still the store's */
  for (int per = 1; per <= 70; per++) {
    assert_int_equal(qb_run_cache_history(c, s, ids[7], per, &d, &nd, &err), QB_OK);
    assert_int_equal(nd, 20 * (size_t)(per < 8 ? per : 8));
    qb_history_free(d, nd);
  }
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.histories, 64);
  assert_true(st.history_bytes > 0 && st.history_bytes <= (size_t)16 << 20);
  uint64_t hits_before = st.history_hits;
  assert_int_equal(qb_run_cache_history(c, s, ids[6], 30, &d, &nd, &err), QB_OK); /* evicted */
  assert_int_equal(nd, 20 * 7);
  qb_history_free(d, nd);
  qb_run_cache_stats_get(c, &st);
  assert_int_equal(st.history_hits, hits_before); /* a miss: that one had gone */
  qb_history_free(a, na);
  qb_history_free(b, nb);
  qb_history_free(plain, np);
  qb_run_cache_free(c);
  qb_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_cache__equals_store),
      cmocka_unit_test(test_run_cache__seeded_equals_store),
      cmocka_unit_test(test_run_cache__compare_same_answer),
      cmocka_unit_test(test_run_cache__prune_is_seen),
      cmocka_unit_test(test_run_cache__bounded),
      cmocka_unit_test(test_run_cache__history),
      cmocka_unit_test(test_run_cache__history_from_the_run_before),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/adapters/test_gbench.c - qb_gbench_parse against the Google Benchmark 1.7.1 suite_a runs
 * (tests/data/gbench, checked entry by entry against its manifest.json), the two compare.py inputs
 * of google/benchmark in the shared fixtures (read in place, never copied), the failed-repetition
 * files of tests/data/gbench/v1.9 (1.7.1 and 1.9.5, every output mode, against their manifest),
 * hand-made edge cases (errored and skipped entries, NaN tokens, aggregates only, pre-1.5 names)
 * and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <string.h>

#include "adapters/adapter.h"
#include "adapters/json.h"
#include "core/buf.h"
#include "core/time.h"
#include "tests/testutil.h"

#define GBDATA QB_TEST_DATA "/gbench"
#define REL    1e-12

/* ---- helpers ---- */

/* The run `id` of the manifest (borrowed). */
static json_t *manifest_run(json_t *manifest, const char *id) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(manifest, "runs"), i, r) {
    if (!strcmp(json_string_value(json_object_get(r, "id")), id)) return r;
  }
  fail_msg("manifest has no run %s", id);
  return NULL;
}

/* Nanoseconds per Google Benchmark time_unit. */
static double ns_per(const char *unit) {
  if (!strcmp(unit, "ns")) return 1.0;
  if (!strcmp(unit, "us")) return 1e3;
  if (!strcmp(unit, "ms")) return 1e6;
  if (!strcmp(unit, "s")) return 1e9;
  fail_msg("unknown time unit %s", unit);
  return 0;
}

/* The result of b for metric, or a test failure. */
static qb_result *result_of(qb_bench *b, const char *metric) {
  for (size_t k = 0; k < b->n_results; k++)
    if (!strcmp(b->results[k].metric, metric)) return &b->results[k];
  fail_msg("%s: no %s result", b->name, metric);
  return NULL;
}

static double jnum_of(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_number(v)) fail_msg("no number %s", key);
  return json_number_value(v);
}

/* json_equal, but two absent values are equal too. */
static int same_json(json_t *a, json_t *b) {
  return (!a && !b) || json_equal(a, b);
}

/* Parse text that must succeed; the caller frees the run. */
static qb_run *parse_text(const char *path, const char *text) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_gbench_parse(path, text, strlen(text), &run, &err);
  if (rc) fail_msg("%s", err.msg);
  assert_non_null(run);
  return run;
}

/* ---- suite_a, against the manifest ---- */

/* Mean, median and sample standard deviation of x[0..n), for checking the tool's aggregates. */
static void describe(const double *x, size_t n, double *mean, double *median, double *sd) {
  double s = 0, ss = 0, sorted[64];
  assert_true(n >= 1 && n <= 64);
  memcpy(sorted, x, n * sizeof *x);
  for (size_t i = 1; i < n; i++) /* insertion sort */
    for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      double t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  for (size_t i = 0; i < n; i++) s += x[i];
  *mean = s / (double)n;
  for (size_t i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
  *median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
}

/* The metric name, unit and direction the adapter gives counter key (docs/formats). */
static void counter_metric(const char *key, const char **metric, const char **unit, int *dir) {
  *metric = key;
  *unit = "1";
  *dir = QB_LOWER_IS_BETTER;
  if (!strcmp(key, "bytes_per_second")) {
    *metric = "throughput";
    *unit = "B/s";
    *dir = QB_HIGHER_IS_BETTER;
  } else if (!strcmp(key, "items_per_second")) {
    *metric = "throughput";
    *unit = "1/s";
    *dir = QB_HIGHER_IS_BETTER;
  } else if (!strcmp(key, "ops") || !strcmp(key, "ops_rate")) {
    *dir = QB_HIGHER_IS_BETTER; /* "ops" is a higher-is-better name, "_rate" a rate */
  }
}

/* Check one metric (latency from real_time, cpu from cpu_time, or a counter) of the benchmark
 * run_name against the manifest entries: one sample per repetition with its iterations, the
 * statistics from the aggregates when there are (and the samples agree with them), else from the
 * single value. field names the entry field; counter says it is under "counters". */
static void check_metric(json_t *mentries, const char *run_name, qb_result *res, const char *field,
                         int counter) {
  double x[64];
  uint64_t it[64];
  size_t n = 0, i;
  json_t *e, *agg[4] = {NULL, NULL, NULL, NULL};
  static const char *const AGG[4] = {"mean", "median", "stddev", "cv"};
  json_array_foreach(mentries, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "run_name")), run_name) != 0) continue;
    json_t *src = counter ? json_object_get(e, "counters") : e;
    double f = counter ? 1.0 : ns_per(json_string_value(json_object_get(e, "time_unit")));
    const char *type = json_string_value(json_object_get(e, "run_type"));
    if (!strcmp(type, "iteration")) {
      assert_true(n < 64);
      x[n] = jnum_of(src, field) * f;
      it[n++] = (uint64_t)json_integer_value(json_object_get(e, "iterations"));
      continue;
    }
    const char *an = json_string_value(json_object_get(e, "aggregate_name"));
    for (size_t k = 0; k < 4; k++)
      if (!strcmp(an, AGG[k])) agg[k] = e;
  }
  assert_true(n >= 1);
  assert_int_equal(res->n_samples, n);
  assert_non_null(res->iters);
  for (size_t k = 0; k < n; k++) {
    assert_close(res->samples[k], x[k], REL);
    assert_true(res->iters[k] == it[k]);
  }
  assert_int_equal(res->stats.n, n);
  double mean, median, sd, min = x[0], max = x[0];
  describe(x, n, &mean, &median, &sd);
  for (size_t k = 1; k < n; k++) min = fmin(min, x[k]), max = fmax(max, x[k]);
  assert_close(res->stats.min, min, REL);
  assert_close(res->stats.max, max, REL);
  if (!agg[0]) { /* no repetitions: the statistics of the one value */
    assert_int_equal(n, 1);
    assert_close(res->stats.mean, x[0], REL);
    assert_close(res->stats.median, x[0], REL);
    assert_true(isnan(res->stats.stddev));
    assert_null(res->extra);
    return;
  }
  /* The tool's aggregates are the statistics... */
  double want[4];
  for (size_t k = 0; k < 4; k++) {
    json_t *src = counter ? json_object_get(agg[k], "counters") : agg[k];
    double f =
        counter || k == 3 ? 1.0 : ns_per(json_string_value(json_object_get(agg[k], "time_unit")));
    want[k] = jnum_of(src, field) * f; /* cv is a fraction, whatever time_unit says */
  }
  assert_close(res->stats.mean, want[0], REL);
  assert_close(res->stats.median, want[1], REL);
  assert_close(res->stats.stddev, want[2], REL);
  json_t *ex = qbt_load_text(res->extra);
  json_t *aggs = json_object_get(ex, "aggregates");
  assert_int_equal(json_object_size(aggs), 1);
  assert_close(jnum_of(aggs, "cv"), want[3], REL);
  json_decref(ex);
  /* ...and they agree with the samples: mean and median to the last digits, the standard
   * deviation to ~1e-12 (the tool computes it as E[x^2] - E[x]^2). */
  double scale = fmax(fabs(min), fabs(max));
  assert_true(fabs(mean - want[0]) <= REL * scale);
  assert_true(fabs(median - want[1]) <= REL * scale);
  assert_true(fabs(sd - want[2]) <= 1e-10 * scale);
  if (want[0] != 0) assert_close(sd / mean, want[3], 1e-9);
}

/* Check a suite_a file against the manifest run `run_id` and the file's own context. */
static void check_suite_file(const char *file, const char *run_id) {
  char path[1024];
  snprintf(path, sizeof path, GBDATA "/%s", file);
  json_t *manifest = qbt_load_json(GBDATA "/manifest.json");
  json_t *raw = qbt_load_json(path);
  assert_non_null(manifest);
  assert_non_null(raw);
  json_t *mrun = manifest_run(manifest, run_id);
  json_t *mentries = json_object_get(mrun, "benchmarks");
  qb_run *run = qbt_parse_file(qb_gbench_parse, path);

  /* Run fields: host_name, context.date, no library_version in 1.7.1. */
  json_t *ctx = json_object_get(raw, "context");
  assert_string_equal(run->format, "google-benchmark");
  assert_string_equal(run->machine, "vm");
  assert_null(run->tool_version);
  assert_null(run->project);
  assert_null(run->branch);
  assert_null(run->commit_sha);
  assert_string_equal(run->content_hash, "");
  int64_t want_start;
  assert_int_equal(qb_time_parse(json_string_value(json_object_get(ctx, "date")), &want_start), 0);
  assert_true(run->started_at == want_start);
  /* The context is split: machine keys in machine_info, run keys in extra.context. */
  json_t *mi = qbt_load_text(run->machine_info);
  json_t *rx = qbt_load_text(run->extra);
  json_t *rctx = json_object_get(rx, "context");
  json_t *files = json_object_get(mrun, "files");
  json_t *keys = json_object_get(json_object_iter_value(json_object_iter(files)), "context_keys");
  size_t i;
  json_t *k;
  assert_int_equal(json_array_size(keys), json_object_size(mi) + json_object_size(rctx));
  json_array_foreach(keys, i, k) {
    const char *key = json_string_value(k);
    int run_level =
        !strcmp(key, "date") || !strcmp(key, "executable") || !strcmp(key, "library_build_type");
    json_t *got = json_object_get(run_level ? rctx : mi, key);
    if (!got) fail_msg("context.%s missing", key);
    assert_true(json_equal(got, json_object_get(ctx, key)));
  }
  assert_string_equal(json_string_value(json_object_get(rctx, "library_build_type")), "debug");
  assert_string_equal(json_string_value(json_object_get(mi, "host_name")), "vm");
  assert_int_equal(json_array_size(json_object_get(mi, "caches")), 4);
  assert_null(json_object_get(rx, "errors"));
  assert_null(json_object_get(rx, "skipped"));

  /* Every benchmark of the summary, in order; complexity families are not benchmarks. */
  json_t *summary = json_object_get(mrun, "summary"), *s;
  size_t next = 0, n_families = 0;
  json_array_foreach(summary, i, s) {
    const char *name = json_string_value(json_object_get(s, "run_name"));
    if (json_integer_value(json_object_get(s, "samples")) == 0) {
      /* A complexity family: in the run's extra, coefficients in ns. */
      n_families++;
      assert_null(qb_run_find_bench(run, name));
      json_t *cx = json_object_get(json_object_get(rx, "complexity"), name);
      json_t *bigo = json_object_get(s, "BigO");
      double f = ns_per(json_string_value(json_object_get(s, "time_unit")));
      assert_non_null(cx);
      assert_string_equal(json_string_value(json_object_get(cx, "big_o")),
                          json_string_value(json_object_get(bigo, "big_o")));
      assert_close(jnum_of(cx, "real_coefficient"), jnum_of(bigo, "real_coefficient") * f, REL);
      assert_close(jnum_of(cx, "cpu_coefficient"), jnum_of(bigo, "cpu_coefficient") * f, REL);
      assert_close(jnum_of(cx, "rms"), jnum_of(json_object_get(s, "RMS"), "rms"), REL);
      continue;
    }
    qb_bench *b = qb_run_find_bench(run, name);
    if (!b) fail_msg("%s: benchmark %s missing", file, name);
    assert_ptr_equal(b, &run->benches[next++]);

    /* The first iteration entry of this run_name in the manifest. */
    json_t *first = NULL, *e;
    size_t j;
    json_array_foreach(mentries, j, e) {
      if (!first && !strcmp(json_string_value(json_object_get(e, "run_name")), name)) first = e;
    }
    assert_non_null(first);
    json_t *counters = json_object_get(first, "counters");
    assert_int_equal(b->n_results, 2 + json_object_size(counters));

    qb_result *lat = result_of(b, "latency"), *cpu = result_of(b, "cpu");
    assert_string_equal(lat->unit, "ns");
    assert_string_equal(cpu->unit, "ns");
    assert_int_equal(lat->direction, QB_LOWER_IS_BETTER);
    assert_int_equal(cpu->direction, QB_LOWER_IS_BETTER);
    assert_int_equal(lat->stats.n, json_integer_value(json_object_get(s, "samples")));
    check_metric(mentries, name, lat, "real_time", 0);
    check_metric(mentries, name, cpu, "cpu_time", 0);
    const char *ck;
    json_t *cv;
    json_object_foreach(counters, ck, cv) {
      const char *metric, *unit;
      int dir;
      counter_metric(ck, &metric, &unit, &dir);
      qb_result *r = result_of(b, metric);
      assert_string_equal(r->unit, unit);
      assert_int_equal(r->direction, dir);
      check_metric(mentries, name, r, ck, 1);
    }

    /* Benchmark extra: indices, threads, repetitions and time_unit as written, label. */
    json_t *bx = qbt_load_text(b->extra);
    static const char *const COPIED[] = {"family_index", "per_family_instance_index", "threads",
                                         "repetitions", "time_unit"};
    for (size_t c = 0; c < sizeof COPIED / sizeof COPIED[0]; c++)
      assert_true(same_json(json_object_get(bx, COPIED[c]), json_object_get(first, COPIED[c])));
    assert_true(same_json(json_object_get(bx, "label"), json_object_get(first, "label")));
    /* Members of a complexity family carry its fit. */
    json_t *bcx = json_object_get(bx, "complexity");
    const char *fam = json_string_value(json_object_get(bcx, "family"));
    if (!strncmp(name, "BM_VectorSum/", 13) || !strncmp(name, "BM_Sort/", 8)) {
      assert_non_null(fam);
      assert_int_equal(strncmp(name, fam, strlen(fam)), 0);
      assert_true(json_equal(
          json_object_get(bcx, "big_o"),
          json_object_get(json_object_get(json_object_get(rx, "complexity"), fam), "big_o")));
    } else {
      assert_null(bcx);
    }
    json_decref(bx);
  }
  assert_int_equal(n_families, 2);
  assert_int_equal(run->n_benches, next);
  assert_int_equal(run->n_benches,
                   json_integer_value(json_object_get(mrun, "benchmark_count")) - n_families);
  json_decref(mi);
  json_decref(rx);
  qb_run_free(run);
  json_decref(raw);
  json_decref(manifest);
}

static void test_gbench__run1(void **state) {
  (void)state;
  check_suite_file("run1_out.json", "run1");
}

static void test_gbench__run2_reps5(void **state) {
  (void)state;
  check_suite_file("run2_reps5_out.json", "run2_reps5");
}

/* Names into group, params and options (run1). */
static void test_gbench__names_and_params(void **state) {
  (void)state;
  qb_run *run = qbt_parse_file(qb_gbench_parse, GBDATA "/run1_out.json");
  static const struct {
    const char *name, *group, *params, *options;
  } WANT[] = {
      {"BM_StringCopy", "BM_StringCopy", NULL, NULL},
      {"BM_VectorSum/256", "BM_VectorSum", "{\"arg0\":256}", NULL},
      {"BM_Sort/16384", "BM_Sort", "{\"arg0\":16384}", NULL},
      {"BM_SleepMs/2/iterations:20/real_time", "BM_SleepMs", "{\"arg0\":2}",
       "{\"iterations\":20,\"real_time\":true}"},
      {"BM_Fill/len:64/value:1", "BM_Fill", "{\"len\":64,\"value\":1}", NULL},
      {"BM_Fill/len:4096/value:7", "BM_Fill", "{\"len\":4096,\"value\":7}", NULL},
      {"BM_Threaded/threads:2", "BM_Threaded", "{\"threads\":2}", NULL},
  };
  for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
    qb_bench *b = qb_run_find_bench(run, WANT[i].name);
    assert_non_null(b);
    assert_string_equal(b->group, WANT[i].group);
    if (WANT[i].params)
      assert_string_equal(b->params, WANT[i].params);
    else
      assert_null(b->params);
    json_t *bx = qbt_load_text(b->extra);
    char *opts = qb_json_dump(json_object_get(bx, "options"));
    if (WANT[i].options)
      assert_string_equal(opts, WANT[i].options);
    else
      assert_null(opts);
    free(opts);
    json_decref(bx);
  }
  /* The sleep benchmark is in ms: 2.1063704500022595 ms. */
  qb_result *r =
      result_of(qb_run_find_bench(run, "BM_SleepMs/2/iterations:20/real_time"), "latency");
  assert_close(r->samples[0], 2.1063704500022595e6, REL);
  assert_true(r->iters[0] == 20);
  qb_bench *c = qb_run_find_bench(run, "BM_Counters");
  json_t *bx = qbt_load_text(c->extra);
  assert_string_equal(json_string_value(json_object_get(bx, "label")), "label with spaces");
  json_decref(bx);
  assert_close(result_of(c, "ops_rate")->samples[0], 8.4030855230141525e+10, REL);
  qb_run_free(run);
}

/* ---- detection ---- */

/* The format qb_adapter_detect gives file path. */
static qb_format detect_file(const char *path) {
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  qb_format f = QB_FMT_AUTO;
  if (qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err)) fail_msg("%s", err.msg);
  if (qb_adapter_detect(path, data, len, &f, &err)) fail_msg("%s", err.msg);
  free(data);
  return f;
}

/* Every *.json below dir is detected as want (or, when !equal, as anything but not_want). */
static int detect_tree(const char *dir, qb_format fmt, int equal) {
  DIR *d = opendir(dir);
  struct dirent *de;
  int n = 0;
  assert_non_null(d);
  while ((de = readdir(d))) {
    char p[2048];
    if (de->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      n += detect_tree(p, fmt, equal);
    } else if (strlen(de->d_name) > 5 && !strcmp(de->d_name + strlen(de->d_name) - 5, ".json") &&
               strcmp(de->d_name, "manifest.json") != 0 && strcmp(de->d_name, "SOURCE.json") != 0) {
      qb_format got = detect_file(p);
      if (equal ? got != fmt : got == fmt) fail_msg("%s: detected as %s", p, qb_format_name(got));
      n++;
    }
  }
  closedir(d);
  return n;
}

static void test_gbench__detect(void **state) {
  (void)state;
  assert_int_equal(detect_file(GBDATA "/run1_out.json"), QB_FMT_GBENCH);
  assert_int_equal(detect_file(GBDATA "/run2_reps5_out.json"), QB_FMT_GBENCH);
  /* run1, run2_reps5, the five files of v1.9/ for each of 1.7.1 and 1.9.5, and perf_names/. */
  assert_int_equal(detect_tree(GBDATA, QB_FMT_GBENCH, 1), 13);
  /* pytest-benchmark files also have "benchmarks", but no context/time_unit. */
  assert_true(detect_tree(QB_TEST_DATA "/pytest", QB_FMT_GBENCH, 0) >= 4);
  assert_true(detect_tree(QB_TEST_DATA "/pytest", QB_FMT_PYTEST, 1) >= 4);
  const char *rw = QB_SHARED_FIXTURES "/google-benchmark/realworld";
  if (qbt_exists(rw))
    assert_int_equal(detect_tree(rw, QB_FMT_GBENCH, 1), 2);
  else
    printf("test_gbench__detect: real-world part did not run: %s does not exist\n", rw);
}

/* ---- real-world files (shared fixtures, read in place) ---- */

static void test_gbench__realworld(void **state) {
  (void)state;
  const char *dir = QB_SHARED_FIXTURES "/google-benchmark/realworld/google__benchmark";
  if (!qbt_exists(dir)) {
    printf("test_gbench__realworld: did not run: %s does not exist (no shared fixtures here)\n",
           dir);
    return;
  }
  char src[1024];
  snprintf(src, sizeof src, "%s/SOURCE.json", dir);
  json_t *source = qbt_load_json(src);
  assert_non_null(source);
  size_t i, n_files = 0;
  json_t *f;
  json_array_foreach(json_object_get(source, "files"), i, f) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(f, "file")));
    json_t *raw = qbt_load_json(path);
    qb_run *run = qbt_parse_file(qb_gbench_parse, path);
    n_files++;
    /* The 2016 context: no host name, a date without offset (read as UTC). */
    assert_null(run->machine);
    char ts[64];
    assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts), "2016-08-02T17:44:46Z");
    json_t *rx = qbt_load_text(run->extra);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(rx, "context"), "library_build_type")),
        "release");
    json_t *mi = qbt_load_text(run->machine_info);
    assert_int_equal(json_integer_value(json_object_get(mi, "num_cpus")), 4);
    json_decref(mi);

    size_t k, n_bench = 0;
    json_t *e;
    json_array_foreach(json_object_get(f, "entries"), k, e) {
      const char *name = json_string_value(json_object_get(e, "name"));
      size_t nl = strlen(name);
      if (nl > 5 && (!strcmp(name + nl - 5, "_BigO") || !strcmp(name + nl - 4, "_RMS"))) {
        /* The BigO/RMS pair: the family's fit in the run's extra, values from the file. */
        assert_null(qb_run_find_bench(run, name));
        json_t *cx = json_object_get(json_object_get(rx, "complexity"), "MyComplexityTest");
        assert_non_null(cx);
        json_t *rb = json_array_get(json_object_get(raw, "benchmarks"), k);
        if (!strcmp(name + nl - 5, "_BigO")) {
          assert_string_equal(json_string_value(json_object_get(cx, "big_o")),
                              json_string_value(json_object_get(e, "big_o")));
          assert_close(jnum_of(cx, "real_coefficient"), jnum_of(rb, "real_coefficient"), REL);
          assert_close(jnum_of(cx, "cpu_coefficient"), jnum_of(rb, "cpu_coefficient"), REL);
        } else {
          assert_close(jnum_of(cx, "rms"), jnum_of(rb, "rms"), REL);
        }
        continue;
      }
      qb_bench *b = qb_run_find_bench(run, name);
      if (!b) fail_msg("%s: %s missing", path, name);
      assert_ptr_equal(b, &run->benches[n_bench++]);
      double fct = ns_per(json_string_value(json_object_get(e, "time_unit")));
      qb_result *lat = result_of(b, "latency"), *cpu = result_of(b, "cpu");
      assert_int_equal(lat->n_samples, 1);
      assert_close(lat->samples[0], jnum_of(e, "real_time") * fct, REL);
      assert_close(cpu->samples[0], jnum_of(e, "cpu_time") * fct, REL);
      assert_close(lat->stats.mean, jnum_of(e, "real_time") * fct, REL);
      assert_true(lat->iters[0] == (uint64_t)json_integer_value(json_object_get(e, "iterations")));
      json_t *bx = qbt_load_text(b->extra);
      assert_true(same_json(json_object_get(bx, "label"), json_object_get(e, "label")));
      json_decref(bx);
    }
    assert_int_equal(run->n_benches, n_bench);
    /* Mixed units: "s" and "ms" entries are scaled. */
    qb_bench *nb = qb_run_find_bench(run, "BM_NotBadTimeUnit");
    if (nb) assert_close(result_of(nb, "latency")->samples[0], 0.4e9, REL);
    qb_bench *hi = qb_run_find_bench(run, "BM_Hi");
    if (hi) assert_close(result_of(hi, "cpu")->samples[0], 24e6, REL);
    /* A name with a prefix component: the family is "Prefix/BM_Zero". */
    qb_bench *pz = qb_run_find_bench(run, "Prefix/BM_Zero/3");
    if (pz) {
      assert_string_equal(pz->group, "Prefix/BM_Zero");
      assert_string_equal(pz->params, "{\"arg0\":3}");
      assert_string_equal(qb_run_find_bench(run, "Prefix/BM_Zero")->group, "Prefix/BM_Zero");
      assert_null(qb_run_find_bench(run, "Prefix/BM_Zero")->params);
    }
    json_decref(rx);
    json_decref(raw);
    qb_run_free(run);
  }
  assert_int_equal(n_files, 2);
  json_decref(source);
}

/* ---- hand-made edge cases ---- */

/* HAND-MADE EDGE CASE (not tool output): a 1.8-style context, an errored benchmark, a skipped
 * one, and a benchmark whose second repetition errored (its aggregates cover the other two). */
static const char ERRORED[] =
    "{\"context\": {\"date\": \"2024-05-01T10:00:00+02:00\", \"host_name\": \"ci-7\", "
    "\"num_cpus\": 8, \"library_version\": \"v1.8.3\", \"library_build_type\": \"release\", "
    "\"json_schema_version\": 1},\n"
    "\"benchmarks\": [\n"
    "{\"name\": \"BM_Ok\", \"family_index\": 0, \"per_family_instance_index\": 0, "
    "\"run_name\": \"BM_Ok\", \"run_type\": \"iteration\", \"repetitions\": 1, "
    "\"repetition_index\": 0, \"threads\": 1, \"iterations\": 100, \"real_time\": 1.5, "
    "\"cpu_time\": 1.25, \"time_unit\": \"us\"},\n"
    "{\"name\": \"BM_Fails/8\", \"family_index\": 1, \"per_family_instance_index\": 0, "
    "\"run_name\": \"BM_Fails/8\", \"run_type\": \"iteration\", \"repetitions\": 1, "
    "\"repetition_index\": 0, \"threads\": 1, \"error_occurred\": true, "
    "\"error_message\": \"could not open /dev/foo\", \"iterations\": 0, \"real_time\": 0, "
    "\"cpu_time\": 0, \"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Skip\", \"family_index\": 2, \"per_family_instance_index\": 0, "
    "\"run_name\": \"BM_Skip\", \"run_type\": \"iteration\", \"repetitions\": 1, "
    "\"repetition_index\": 0, \"threads\": 1, \"skipped\": true, \"skip_message\": \"needs "
    "AVX-512\", \"iterations\": 0, \"real_time\": 0, \"cpu_time\": 0, \"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Flaky\", \"run_name\": \"BM_Flaky\", \"run_type\": \"iteration\", "
    "\"repetitions\": 3, \"repetition_index\": 0, \"threads\": 1, \"iterations\": 10, "
    "\"real_time\": 10, \"cpu_time\": 9, \"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Flaky\", \"run_name\": \"BM_Flaky\", \"run_type\": \"iteration\", "
    "\"repetitions\": 3, \"repetition_index\": 1, \"threads\": 1, \"error_occurred\": true, "
    "\"error_message\": \"timeout\", \"iterations\": 10, \"real_time\": 99, \"cpu_time\": 99, "
    "\"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Flaky\", \"run_name\": \"BM_Flaky\", \"run_type\": \"iteration\", "
    "\"repetitions\": 3, \"repetition_index\": 2, \"threads\": 1, \"iterations\": 10, "
    "\"real_time\": 12, \"cpu_time\": 11, \"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Flaky_mean\", \"run_name\": \"BM_Flaky\", \"run_type\": \"aggregate\", "
    "\"repetitions\": 3, \"threads\": 1, \"aggregate_name\": \"mean\", \"aggregate_unit\": "
    "\"time\", \"iterations\": 2, \"real_time\": 11, \"cpu_time\": 10, \"time_unit\": \"ns\"},\n"
    "{\"name\": \"BM_Flaky_stddev\", \"run_name\": \"BM_Flaky\", \"run_type\": \"aggregate\", "
    "\"repetitions\": 3, \"threads\": 1, \"aggregate_name\": \"stddev\", \"aggregate_unit\": "
    "\"time\", \"iterations\": 2, \"real_time\": 1.4142135623730951, \"cpu_time\": "
    "1.4142135623730951, \"time_unit\": \"ns\"}\n"
    "]}\n";

static void test_gbench__errored_and_skipped(void **state) {
  (void)state;
  qb_format fmt;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_adapter_detect("errored.json", ERRORED, strlen(ERRORED), &fmt, &err), 0);
  assert_int_equal(fmt, QB_FMT_GBENCH);
  qb_run *run = parse_text("errored.json", ERRORED);
  assert_string_equal(run->tool_version, "google-benchmark v1.8.3");
  assert_string_equal(run->machine, "ci-7");
  char ts[64];
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts), "2024-05-01T08:00:00Z");
  /* No benchmark for the errored or skipped entries: no bogus zero values. */
  assert_int_equal(run->n_benches, 2);
  assert_string_equal(run->benches[0].name, "BM_Ok");
  assert_string_equal(run->benches[1].name, "BM_Flaky");
  assert_null(qb_run_find_bench(run, "BM_Fails/8"));
  assert_null(qb_run_find_bench(run, "BM_Skip"));
  json_t *rx = qbt_load_text(run->extra);
  char *errors = qb_json_dump(json_object_get(rx, "errors"));
  assert_string_equal(errors, "[{\"error\":\"could not open /dev/foo\",\"name\":\"BM_Fails/8\"},"
                              "{\"error\":\"timeout\",\"name\":\"BM_Flaky\"}]");
  free(errors);
  char *skipped = qb_json_dump(json_object_get(rx, "skipped"));
  assert_string_equal(skipped, "[{\"message\":\"needs AVX-512\",\"name\":\"BM_Skip\"}]");
  free(skipped);
  char *rctx = qb_json_dump(json_object_get(rx, "context"));
  assert_string_equal(rctx, "{\"date\":\"2024-05-01T10:00:00+02:00\",\"json_schema_version\":1,"
                            "\"library_build_type\":\"release\",\"library_version\":\"v1.8.3\"}");
  free(rctx);
  json_decref(rx);
  assert_string_equal(run->machine_info, "{\"host_name\":\"ci-7\",\"num_cpus\":8}");

  /* us -> ns. */
  qb_result *ok = result_of(&run->benches[0], "latency");
  assert_int_equal(ok->n_samples, 1);
  assert_close(ok->samples[0], 1500.0, REL);
  assert_close(result_of(&run->benches[0], "cpu")->samples[0], 1250.0, REL);
  assert_true(ok->iters[0] == 100);
  /* The errored repetition is left out, as the tool leaves it out of its aggregates. */
  qb_result *fl = result_of(&run->benches[1], "latency");
  assert_int_equal(fl->n_samples, 2);
  assert_close(fl->samples[0], 10.0, REL);
  assert_close(fl->samples[1], 12.0, REL);
  assert_int_equal(fl->stats.n, 2);
  assert_close(fl->stats.mean, 11.0, REL);
  assert_close(fl->stats.median, 11.0, REL); /* no median aggregate: from the samples */
  assert_close(fl->stats.stddev, 1.4142135623730951, REL);
  assert_null(fl->extra);
  qb_run_free(run);
}

/* HAND-MADE EDGE CASE: Google Benchmark writes NaN and Infinity as bare tokens (not JSON): a zero
 * counter has cv 0/0 = NaN; a counter that is NaN in one repetition cannot be a result. */
static const char NONFINITE[] =
    "{\"context\": {},\n\"benchmarks\": [\n"
    "{\"name\": \"BM_Z\", \"run_name\": \"BM_Z\", \"run_type\": \"iteration\", "
    "\"repetition_index\": 0, \"iterations\": 10, \"real_time\": 5, \"cpu_time\": 5, "
    "\"time_unit\": \"ns\", \"zeros\": 0, \"ratio\": NaN},\n"
    "{\"name\": \"BM_Z\", \"run_name\": \"BM_Z\", \"run_type\": \"iteration\", "
    "\"repetition_index\": 1, \"iterations\": 10, \"real_time\": 7, \"cpu_time\": 7, "
    "\"time_unit\": \"ns\", \"zeros\": 0, \"ratio\": 0.5},\n"
    "{\"name\": \"BM_Z_mean\", \"run_name\": \"BM_Z\", \"run_type\": \"aggregate\", "
    "\"aggregate_name\": \"mean\", \"aggregate_unit\": \"time\", \"iterations\": 2, "
    "\"real_time\": 6, \"cpu_time\": 6, \"time_unit\": \"ns\", \"zeros\": 0, \"ratio\": NaN},\n"
    "{\"name\": \"BM_Z_cv\", \"run_name\": \"BM_Z\", \"run_type\": \"aggregate\", "
    "\"aggregate_name\": \"cv\", \"aggregate_unit\": \"percentage\", \"iterations\": 2, "
    "\"real_time\": 0.23570226039551584, \"cpu_time\": 0.23570226039551584, "
    "\"time_unit\": \"ns\", \"zeros\": NaN, \"ratio\": -Infinity}\n"
    "]}\n";

static void test_gbench__nonfinite_tokens(void **state) {
  (void)state;
  qb_run *run = parse_text("nan.json", NONFINITE);
  assert_int_equal(run->n_benches, 1);
  qb_bench *b = &run->benches[0];
  assert_int_equal(b->n_results, 3); /* latency, cpu, zeros */
  qb_result *z = result_of(b, "zeros");
  assert_string_equal(z->unit, "1");
  assert_int_equal(z->n_samples, 2);
  assert_true(z->samples[0] == 0 && z->samples[1] == 0);
  assert_true(z->stats.mean == 0);
  assert_string_equal(z->extra, "{\"aggregates\":{\"cv\":\"NaN\"}}");
  qb_result *lat = result_of(b, "latency");
  assert_close(lat->stats.mean, 6.0, REL);
  assert_string_equal(lat->extra, "{\"aggregates\":{\"cv\":0.23570226039551584}}");
  json_t *bx = qbt_load_text(b->extra);
  char *ratio = qb_json_dump(json_object_get(json_object_get(bx, "counters"), "ratio"));
  assert_string_equal(ratio,
                      "{\"aggregates\":{\"cv\":\"-Infinity\",\"mean\":\"NaN\"},\"values\":[\"NaN\","
                      "0.5]}");
  free(ratio);
  json_decref(bx);
  qb_run_free(run);
  /* A label that says NaN stays a label. */
  run = parse_text("label.json", "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"iterations\":1,"
                                 "\"real_time\":1,\"cpu_time\":1,\"time_unit\":\"ns\","
                                 "\"label\":\"NaN\"}]}");
  assert_int_equal(run->benches[0].n_results, 2);
  assert_string_equal(run->benches[0].extra, "{\"label\":\"NaN\",\"time_unit\":\"ns\"}");
  qb_run_free(run);
}

/* HAND-MADE EDGE CASE: --benchmark_report_aggregates_only=true writes only the aggregates. */
static void test_gbench__aggregates_only(void **state) {
  (void)state;
  static const char *const AGG[][5] = {
      {"mean", "time", "2.0", "1.5", "1000"},  {"median", "time", "2.1", "1.4", "990"},
      {"stddev", "time", "0.1", "0.05", "10"}, {"cv", "percentage", "0.05", "0.0333", "0.01"},
      {"max", "time", "2.2", "1.6", "1100"}, /* a user statistic */
  };
  char text[4096];
  size_t o = (size_t)snprintf(text, sizeof text, "{\"context\":{},\"benchmarks\":[");
  for (size_t i = 0; i < 5; i++)
    o += (size_t)snprintf(
        text + o, sizeof text - o,
        "%s{\"name\":\"BM_A/64_%s\",\"run_name\":\"BM_A/64\",\"run_type\":\"aggregate\","
        "\"repetitions\":3,\"threads\":1,\"aggregate_name\":\"%s\",\"aggregate_unit\":\"%s\","
        "\"iterations\":3,\"real_time\":%s,\"cpu_time\":%s,\"time_unit\":\"ms\","
        "\"bytes_per_second\":%s}",
        i ? "," : "", AGG[i][0], AGG[i][0], AGG[i][1], AGG[i][2], AGG[i][3], AGG[i][4]);
  snprintf(text + o, sizeof text - o, "]}");
  qb_run *run = parse_text("aggonly.json", text);
  assert_int_equal(run->n_benches, 1);
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->name, "BM_A/64");
  assert_string_equal(b->group, "BM_A");
  assert_string_equal(b->params, "{\"arg0\":64}");
  qb_result *lat = result_of(b, "latency");
  assert_int_equal(lat->n_samples, 0);
  assert_int_equal(lat->stats.n, 3);
  assert_close(lat->stats.mean, 2.0e6, REL);
  assert_close(lat->stats.median, 2.1e6, REL);
  assert_close(lat->stats.stddev, 0.1e6, REL);
  assert_true(isnan(lat->stats.min));
  json_t *ex = qbt_load_text(lat->extra);
  assert_close(jnum_of(json_object_get(ex, "aggregates"), "cv"), 0.05, REL);
  assert_close(jnum_of(json_object_get(ex, "aggregates"), "max"), 2.2e6, REL);
  json_decref(ex);
  qb_result *thr = result_of(b, "throughput");
  assert_string_equal(thr->unit, "B/s");
  assert_close(thr->stats.mean, 1000.0, REL);
  assert_close(thr->stats.stddev, 10.0, REL);
  qb_run_free(run);
}

/* REAL FILES: tests/data/gbench/v1.9 (README.md there): failure_bench.cc linked against Google
 * Benchmark 1.7.1 (v171_*) and 1.9.5 (v195_*), run with 4 repetitions plainly, with
 * --benchmark_report_aggregates_only and with --benchmark_display_aggregates_only; BM_Flaky fails
 * its 2nd repetition (SkipWithError). Every benchmark of every file against v1.9/manifest.json
 * (written by gen_manifest.py from the files): n is the repetitions that succeeded when the file
 * has them, a failed repetition is no sample, is listed in the run's extra.errors and counted in
 * the benchmark's extra (failed, failed_repetitions); with aggregates only, n is what the
 * aggregates say (the file does not show the failure) and the benchmark says aggregates_only.
 * Counters (ops, items_per_second), the cv aggregate, the copied entry fields and every context
 * key are checked value for value too. */

/* The expected statistics of one metric: samples (NULL with aggregates only), their iterations,
 * the tool's mean, median and stddev, its cv and n. */
static void check_failed_metric(const char *path, qb_result *r, json_t *samples, json_t *iters,
                                double mean, double median, double stddev, double cv, long long n) {
  size_t j;
  json_t *v;
  if (r->stats.n != n) fail_msg("%s: %s: n %lld, want %lld", path, r->metric, r->stats.n, n);
  assert_int_equal(r->n_samples, json_array_size(samples));
  json_array_foreach(samples, j, v) {
    assert_close(r->samples[j], json_number_value(v), REL);
    assert_true(r->iters[j] == (uint64_t)json_integer_value(json_array_get(iters, j)));
  }
  /* The tool's mean, median and stddev are the statistics, its cv is kept in the extra. */
  assert_close(r->stats.mean, mean, REL);
  assert_close(r->stats.median, median, REL);
  assert_close(r->stats.stddev, stddev, REL);
  json_t *rx = qbt_load_text(r->extra);
  json_t *aggs = json_object_get(rx, "aggregates");
  assert_int_equal(json_object_size(aggs), 1);
  assert_close(jnum_of(aggs, "cv"), cv, REL);
  json_decref(rx);
}

/* The run-level context keys (kept in extra.context); every other key is machine_info. */
static int is_run_context(const char *key) {
  return !strcmp(key, "date") || !strcmp(key, "executable") || !strcmp(key, "library_build_type") ||
         !strcmp(key, "library_version") || !strcmp(key, "json_schema_version");
}

static void test_gbench__failed_repetition(void **state) {
  (void)state;
  json_t *manifest = qbt_load_json(GBDATA "/v1.9/manifest.json");
  assert_non_null(manifest);
  json_t *truth =
      json_object_get(json_object_get(manifest, "ground_truth"), "BM_Flaky/iterations:20000");
  assert_int_equal(json_integer_value(json_object_get(truth, "repetitions_run")), 4);
  assert_int_equal(json_integer_value(json_object_get(truth, "successful")), 3);
  size_t i;
  json_t *mrun;
  int full_files[2] = {0, 0}, agg_files[2] = {0, 0}, n_runs = 0;
  json_array_foreach(json_object_get(manifest, "runs"), i, mrun) {
    char path[1024];
    snprintf(path, sizeof path, GBDATA "/v1.9/%s",
             json_string_value(json_object_get(mrun, "file")));
    const char *version = json_string_value(json_object_get(mrun, "version"));
    int v195 = !strcmp(version, "1.9.5");
    assert_true(v195 || !strcmp(version, "1.7.1"));
    n_runs++;
    qb_run *run = qbt_parse_file(qb_gbench_parse, path);
    json_t *expect = json_object_get(mrun, "expect");
    assert_int_equal(run->n_benches, json_object_size(expect));
    assert_string_equal(run->format, "google-benchmark");
    assert_string_equal(run->machine, "vm");
    /* 1.7.1 writes no library_version; 1.9.5 writes "v1.9.5". */
    json_t *tv = json_object_get(mrun, "tool_version");
    if (json_is_null(tv))
      assert_null(run->tool_version);
    else
      assert_string_equal(run->tool_version, json_string_value(tv));
    if (v195) assert_string_equal(run->tool_version, "google-benchmark v1.9.5");

    /* The context, value for value: run keys in extra.context, the rest in machine_info. */
    json_t *ctx = json_object_get(mrun, "context");
    int64_t want_start;
    assert_int_equal(qb_time_parse(json_string_value(json_object_get(ctx, "date")), &want_start),
                     0);
    assert_true(run->started_at == want_start);
    json_t *rx = qbt_load_text(run->extra);
    json_t *mi = qbt_load_text(run->machine_info);
    json_t *rctx = json_object_get(rx, "context");
    const char *ck;
    json_t *cv;
    assert_int_equal(json_object_size(ctx), json_object_size(mi) + json_object_size(rctx));
    json_object_foreach(ctx, ck, cv) {
      json_t *got = json_object_get(is_run_context(ck) ? rctx : mi, ck);
      if (!got || !json_equal(got, cv)) fail_msg("%s: context.%s not kept as written", path, ck);
    }
    if (v195) {
      assert_string_equal(json_string_value(json_object_get(rctx, "library_version")), "v1.9.5");
      assert_string_equal(json_string_value(json_object_get(rctx, "library_build_type")),
                          "release");
      assert_int_equal(json_integer_value(json_object_get(rctx, "json_schema_version")), 1);
      assert_true(json_is_false(json_object_get(mi, "aslr_enabled")));
      assert_int_equal(json_array_size(json_object_get(mi, "load_avg")), 3);
    } else {
      assert_string_equal(json_string_value(json_object_get(rctx, "library_build_type")), "debug");
      assert_null(json_object_get(rctx, "json_schema_version"));
    }
    assert_int_equal(json_array_size(json_object_get(mi, "caches")), 4);

    /* The run's extra.errors: one per errored entry, as written. */
    json_t *want_errors = json_object_get(mrun, "errors");
    if (json_array_size(want_errors))
      assert_true(json_equal(json_object_get(rx, "errors"), want_errors));
    else
      assert_null(json_object_get(rx, "errors"));
    assert_null(json_object_get(rx, "skipped"));
    json_decref(rx);
    json_decref(mi);

    const char *key;
    json_t *e;
    size_t next = 0;
    json_object_foreach(expect, key, e) {
      qb_bench *b = qb_run_find_bench(run, key);
      if (!b) fail_msg("%s: no benchmark %s", path, key);
      assert_ptr_equal(b, &run->benches[next++]); /* in file order */
      json_t *bx = qbt_load_text(b->extra);
      long long failed = json_integer_value(json_object_get(e, "failed_repetitions"));
      long long n = json_integer_value(json_object_get(e, "n"));
      int agg_only = json_is_true(json_object_get(e, "aggregates_only"));
      json_t *aggs = json_object_get(e, "aggregates"), *cvs = json_object_get(e, "cv");
      json_t *counters = json_object_get(e, "counters");
      assert_int_equal(b->n_results, 2 + json_object_size(counters));
      static const char *const METRIC[2] = {"latency", "cpu"};
      static const char *const SAMPLES[2] = {"latency_samples_ns", "cpu_samples_ns"};
      static const char *const AGG_KEY[2] = {"latency_ns", "cpu_ns"};
      for (size_t m = 0; m < 2; m++) {
        qb_result *r = result_of(b, METRIC[m]);
        assert_string_equal(r->unit, "ns");
        assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
        check_failed_metric(path, r, json_object_get(e, SAMPLES[m]), json_object_get(e, "iters"),
                            jnum_of(json_object_get(aggs, "mean"), AGG_KEY[m]),
                            jnum_of(json_object_get(aggs, "median"), AGG_KEY[m]),
                            jnum_of(json_object_get(aggs, "stddev"), AGG_KEY[m]),
                            jnum_of(cvs, METRIC[m]), n);
      }
      /* Counters: ops (a rate) and items_per_second (SetItemsProcessed, "throughput"). */
      json_object_foreach(counters, ck, cv) {
        const char *metric, *unit;
        int dir;
        counter_metric(ck, &metric, &unit, &dir);
        qb_result *r = result_of(b, metric);
        assert_string_equal(r->unit, unit);
        assert_int_equal(r->direction, dir);
        json_t *ca = json_object_get(cv, "aggregates");
        check_failed_metric(path, r, json_object_get(cv, "samples"), json_object_get(e, "iters"),
                            jnum_of(ca, "mean"), jnum_of(ca, "median"), jnum_of(ca, "stddev"),
                            jnum_of(ca, "cv"), n);
      }
      if (!strcmp(key, "BM_Counters")) {
        assert_string_equal(result_of(b, "throughput")->unit, "1/s");
        assert_int_equal(result_of(b, "ops")->direction, QB_HIGHER_IS_BETTER);
      }
      if (failed) {
        assert_true(json_is_true(json_object_get(bx, "failed")));
        assert_int_equal(json_integer_value(json_object_get(bx, "failed_repetitions")), failed);
      } else {
        assert_null(json_object_get(bx, "failed"));
        assert_null(json_object_get(bx, "failed_repetitions"));
      }
      assert_null(json_object_get(bx, "skipped_repetitions"));
      assert_int_equal(json_is_true(json_object_get(bx, "aggregates_only")), agg_only);
      /* family_index, per_family_instance_index, threads, repetitions (4, failed ones included)
       * and time_unit as written. */
      json_t *copied = json_object_get(e, "extra");
      json_object_foreach(copied, ck, cv) {
        if (!json_equal(json_object_get(bx, ck), cv))
          fail_msg("%s: %s: extra.%s not kept as written", path, key, ck);
      }
      assert_int_equal(json_object_size(copied), 5);
      assert_int_equal(json_integer_value(json_object_get(bx, "repetitions")), 4);
      if (!strcmp(key, "BM_Flaky/iterations:20000")) {
        /* The aggregates' "repetitions" and "iterations" both say 4 in every file. */
        assert_int_equal(json_integer_value(json_object_get(e, "repetitions_written")), 4);
        assert_int_equal(json_integer_value(json_object_get(e, "aggregate_iterations")), 4);
        if (agg_only) {
          /* What the file says; the truth (3) is not in it, in 1.7.1 as in 1.9.5. */
          assert_int_equal(n, 4);
          assert_int_equal(failed, 0);
          agg_files[v195]++;
        } else {
          assert_int_equal(n, json_integer_value(json_object_get(truth, "successful")));
          assert_int_equal(failed, json_integer_value(json_object_get(truth, "failed")));
          full_files[v195]++;
        }
      }
      json_decref(bx);
    }
    qb_run_free(run);
  }
  assert_int_equal(n_runs, 10);
  for (int v = 0; v < 2; v++) {
    assert_int_equal(full_files[v], 2);
    assert_int_equal(agg_files[v], 3);
  }
  json_decref(manifest);

  /* BM_Range/512: a parameter. */
  qb_run *run = qbt_parse_file(qb_gbench_parse, GBDATA "/v1.9/v195_plain.json");
  qb_bench *r512 = qb_run_find_bench(run, "BM_Range/512");
  assert_non_null(r512);
  assert_string_equal(r512->group, "BM_Range");
  assert_string_equal(r512->params, "{\"arg0\":512}");
  qb_run_free(run);
}

/* HAND-MADE EDGE CASE: aggregates with the failed repetition written next to them (as Google
 * Benchmark writes every repetition when fewer than two succeed, or a merged file): n is the
 * aggregates' repetitions less the failed and skipped ones shown. */
static void test_gbench__aggregates_with_failures(void **state) {
  (void)state;
  qb_run *run = parse_text(
      "aggfail.json",
      "{\"context\":{},\"benchmarks\":["
      "{\"name\":\"BM_F\",\"run_name\":\"BM_F\",\"run_type\":\"iteration\",\"repetitions\":5,"
      "\"repetition_index\":1,\"error_occurred\":true,\"error_message\":\"bad\","
      "\"iterations\":10,\"real_time\":0,\"cpu_time\":0,\"time_unit\":\"ns\"},"
      "{\"name\":\"BM_F\",\"run_name\":\"BM_F\",\"run_type\":\"iteration\",\"repetitions\":5,"
      "\"repetition_index\":3,\"skipped\":true,\"skip_message\":\"later\","
      "\"iterations\":10,\"real_time\":0,\"cpu_time\":0,\"time_unit\":\"ns\"},"
      "{\"name\":\"BM_F_mean\",\"run_name\":\"BM_F\",\"run_type\":\"aggregate\",\"repetitions\":5,"
      "\"aggregate_name\":\"mean\",\"aggregate_unit\":\"time\",\"iterations\":5,"
      "\"real_time\":7,\"cpu_time\":7,\"time_unit\":\"ns\"},"
      "{\"name\":\"BM_F_stddev\",\"run_name\":\"BM_F\",\"run_type\":\"aggregate\","
      "\"repetitions\":5,\"aggregate_name\":\"stddev\",\"aggregate_unit\":\"time\","
      "\"iterations\":5,\"real_time\":1,\"cpu_time\":1,\"time_unit\":\"ns\"}]}");
  qb_bench *b = &run->benches[0];
  assert_int_equal(result_of(b, "latency")->stats.n, 3);
  assert_string_equal(b->extra,
                      "{\"aggregates_only\":true,\"failed\":true,\"failed_repetitions\":1,"
                      "\"repetitions\":5,\"skipped_repetitions\":1,\"time_unit\":\"ns\"}");
  qb_run_free(run);
}

/* HAND-MADE EDGE CASE: files from before 1.5 have no run_name and no repetition_index: the
 * repetitions share the name, aggregates are "<name>_<aggregate>". */
static void test_gbench__no_run_name(void **state) {
  (void)state;
  qb_run *run = parse_text(
      "old.json", "{\"context\":{\"date\":\"2018-01-02 03:04:05\"},\"benchmarks\":["
                  "{\"name\":\"BM_x/8\",\"iterations\":5,\"real_time\":3,\"cpu_time\":3,"
                  "\"time_unit\":\"ns\"},"
                  "{\"name\":\"BM_x/8\",\"iterations\":5,\"real_time\":5,\"cpu_time\":5,"
                  "\"time_unit\":\"ns\"},"
                  "{\"name\":\"BM_x/8_mean\",\"run_type\":\"aggregate\",\"aggregate_name\":"
                  "\"mean\",\"iterations\":2,\"real_time\":4,\"cpu_time\":4,\"time_unit\":\"ns\"}"
                  "]}");
  assert_int_equal(run->n_benches, 1);
  qb_result *lat = result_of(&run->benches[0], "latency");
  assert_int_equal(lat->n_samples, 2);
  assert_close(lat->stats.mean, 4.0, REL);
  qb_run_free(run);
}

/* HAND-MADE EDGE CASE: name components and counter names. */
static void test_gbench__names_and_counters(void **state) {
  (void)state;
  static const struct {
    const char *name, *group, *params, *options;
  } WANT[] = {
      {"BM_x/min_time:0.500/repeats:3/manual_time/threads:4", "BM_x", "{\"threads\":4}",
       "{\"manual_time\":true,\"min_time\":\"0.500\",\"repeats\":3}"},
      {"BM_y/len:64/8", "BM_y", "{\"arg1\":8,\"len\":64}", NULL},
      {"Fixture/Test/-3", "Fixture/Test", "{\"arg0\":-3}", NULL},
      {"BM_z/8/big", "BM_z", "{\"arg0\":8,\"arg1\":\"big\"}", NULL},
      {"BM_t<int, 4>", "BM_t<int, 4>", NULL, NULL},
  };
  char text[4096];
  size_t o = (size_t)snprintf(text, sizeof text, "{\"context\":{},\"benchmarks\":[");
  for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++)
    o += (size_t)snprintf(text + o, sizeof text - o,
                          "{\"name\":\"%s\",\"iterations\":1,\"real_time\":1,\"cpu_time\":1,"
                          "\"time_unit\":\"ns\"},",
                          WANT[i].name);
  /* One benchmark with every kind of counter. */
  snprintf(
      text + o, sizeof text - o,
      "{\"name\":\"BM_c\",\"iterations\":1,\"real_time\":1,\"cpu_time\":1,\"time_unit\":\"ns\","
      "\"bytes_per_second\":1e9,\"items_per_second\":2e6,\"latency\":3,\"hits\":-4,"
      "\"misses_rate\":5,\"max_bytes_used\":4096,\"allocs_per_iter\":2.5,\"note\":\"x\"}]}");
  qb_run *run = parse_text("names.json", text);
  for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
    qb_bench *b = &run->benches[i];
    assert_string_equal(b->name, WANT[i].name);
    assert_string_equal(b->group, WANT[i].group);
    if (WANT[i].params)
      assert_string_equal(b->params, WANT[i].params);
    else
      assert_null(b->params);
    json_t *bx = qbt_load_text(b->extra);
    char *opts = qb_json_dump(json_object_get(bx, "options"));
    if (WANT[i].options)
      assert_string_equal(opts, WANT[i].options);
    else
      assert_null(opts);
    free(opts);
    json_decref(bx);
  }
  qb_bench *c = qb_run_find_bench(run, "BM_c");
  static const struct {
    const char *metric, *unit;
    qb_direction dir;
    double v;
  } CW[] = {{"latency", "ns", QB_LOWER_IS_BETTER, 1},
            {"cpu", "ns", QB_LOWER_IS_BETTER, 1},
            {"throughput", "B/s", QB_HIGHER_IS_BETTER, 1e9},
            {"items_per_second", "1/s", QB_HIGHER_IS_BETTER, 2e6}, /* with bytes: own name */
            {"counter.latency", "1", QB_LOWER_IS_BETTER, 3},
            {"hits", "1", QB_LOWER_IS_BETTER, -4},
            {"misses_rate", "1", QB_HIGHER_IS_BETTER, 5},
            {"memory", "B", QB_LOWER_IS_BETTER, 4096},
            {"allocs_per_iter", "1", QB_LOWER_IS_BETTER, 2.5}};
  assert_int_equal(c->n_results, sizeof CW / sizeof CW[0]);
  for (size_t k = 0; k < c->n_results; k++) {
    assert_string_equal(c->results[k].metric, CW[k].metric);
    assert_string_equal(c->results[k].unit, CW[k].unit);
    assert_int_equal(c->results[k].direction, CW[k].dir);
    assert_close(c->results[k].samples[0], CW[k].v, REL);
  }
  assert_string_equal(c->extra, "{\"note\":\"x\",\"time_unit\":\"ns\"}");
  qb_run_free(run);
}

/* ---- malformed input ---- */

/* BAD(path, text, needles...): text must fail as tests/testutil.h qbt_expect_bad says. */
#define BAD(path, text, ...)                                                                       \
  qbt_expect_bad(qb_gbench_parse, path, text, strlen(text), __VA_ARGS__, (const char *)NULL)

/* A suite file with one change made by mutate, serialised again; the caller frees. */
static char *mutated(const char *file, void (*mutate)(json_t *entries)) {
  char path[1024];
  snprintf(path, sizeof path, GBDATA "/%s", file);
  json_t *root = qbt_load_json(path);
  assert_non_null(root);
  mutate(json_object_get(root, "benchmarks"));
  char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  json_decref(root);
  assert_non_null(text);
  return text;
}

static void time_unit_fortnights(json_t *b) {
  json_object_set_new(json_array_get(b, 3), "time_unit", json_string("fortnights"));
}
static void real_time_negative(json_t *b) {
  json_object_set_new(json_array_get(b, 3), "real_time", json_real(-1.0));
}
static void real_time_string(json_t *b) {
  json_object_set_new(json_array_get(b, 3), "real_time", json_string("fast"));
}
static void cpu_time_removed(json_t *b) {
  json_object_del(json_array_get(b, 2), "cpu_time");
}
static void iterations_zero(json_t *b) {
  json_object_set_new(json_array_get(b, 0), "iterations", json_integer(0));
}
static void run_type_warmup(json_t *b) {
  json_object_set_new(json_array_get(b, 4), "run_type", json_string("warmup"));
}
static void bytes_negative(json_t *b) {
  json_object_set_new(json_array_get(b, 1), "bytes_per_second", json_real(-5.0));
}
static void entry_scalar(json_t *b) {
  json_array_set_new(b, 5, json_integer(7));
}
static void name_removed(json_t *b) {
  json_object_del(json_array_get(b, 6), "name");
}
static void error_flag_string(json_t *b) {
  json_object_set_new(json_array_get(b, 0), "error_occurred", json_string("yes"));
}
/* run2: entries 0-4 are BM_StringCopy's repetitions, 5-8 its mean, median, stddev, cv. */
static void mean_off(json_t *b) {
  json_t *e = json_array_get(b, 5);
  json_object_set_new(e, "real_time",
                      json_real(json_number_value(json_object_get(e, "real_time")) * 1.01));
}
static void stddev_off(json_t *b) {
  json_t *e = json_array_get(b, 7);
  json_object_set_new(e, "cpu_time",
                      json_real(json_number_value(json_object_get(e, "cpu_time")) * 2));
}
static void repetition_twice(json_t *b) {
  json_object_set_new(json_array_get(b, 3), "repetition_index", json_integer(1));
}
static void aggregate_unit_permille(json_t *b) {
  json_object_set_new(json_array_get(b, 8), "aggregate_unit", json_string("permille"));
}
static void aggregate_twice(json_t *b) {
  json_object_set_new(json_array_get(b, 6), "aggregate_name", json_string("mean"));
}

static void test_gbench__bad_fields(void **state) {
  (void)state;
  static const struct {
    const char *file;
    void (*mutate)(json_t *);
    const char *msg;
  } CASES[] = {
      {"run1_out.json", time_unit_fortnights,
       "x.json: benchmarks[3].time_unit: unknown time unit \"fortnights\" (expected ns, us, ms or "
       "s)"},
      {"run1_out.json", real_time_negative,
       "x.json: benchmarks[3].real_time: expected a non-negative number, got -1"},
      {"run1_out.json", real_time_string,
       "x.json: benchmarks[3].real_time: expected a number, got string"},
      {"run1_out.json", cpu_time_removed,
       "x.json: benchmarks[2].cpu_time: required field is missing"},
      {"run1_out.json", iterations_zero,
       "x.json: benchmarks[0].iterations: expected a positive integer, got 0"},
      {"run1_out.json", run_type_warmup,
       "x.json: benchmarks[4].run_type: unknown run type \"warmup\" (expected iteration or "
       "aggregate)"},
      {"run1_out.json", bytes_negative,
       "x.json: benchmarks[1].bytes_per_second: expected a non-negative number, got -5"},
      {"run1_out.json", entry_scalar, "x.json: benchmarks[5]: expected an object, got integer"},
      {"run1_out.json", name_removed, "x.json: benchmarks[6].name: required field is missing"},
      {"run1_out.json", error_flag_string,
       "x.json: benchmarks[0].error_occurred: expected a boolean, got string"},
      {"run2_reps5_out.json", mean_off,
       "x.json: benchmarks[5].real_time: the mean aggregate of BM_StringCopy (26.2656"},
      {"run2_reps5_out.json", mean_off,
       "ns) disagrees with the mean of its 5 repetitions (26.00554587 ns)"},
      {"run2_reps5_out.json", stddev_off,
       "x.json: benchmarks[7].cpu_time: the stddev aggregate of BM_StringCopy"},
      {"run2_reps5_out.json", repetition_twice,
       "x.json: benchmarks[3].repetition_index: repetition 1 of BM_StringCopy given twice (also "
       "benchmarks[1])"},
      {"run2_reps5_out.json", aggregate_unit_permille,
       "x.json: benchmarks[8].aggregate_unit: unknown aggregate unit \"permille\" (expected time "
       "or "
       "percentage)"},
      {"run2_reps5_out.json", aggregate_twice,
       "x.json: benchmarks[6].aggregate_name: a second \"mean\" aggregate for BM_StringCopy (also "
       "benchmarks[5])"},
  };
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    char *text = mutated(CASES[i].file, CASES[i].mutate);
    BAD("x.json", text, CASES[i].msg);
    free(text);
  }
}

static void test_gbench__bad_structure(void **state) {
  (void)state;
  BAD("notjson.json", "this is not json", "notjson.json: invalid JSON at line 1, column ");
  BAD("array.json", "[{\"name\":\"t\"}]", "array.json: top level: expected an object, got array");
  BAD("nob.json", "{\"context\":{}}", "nob.json: benchmarks: required field is missing");
  BAD("obj.json", "{\"context\":{},\"benchmarks\":{}}",
      "obj.json: benchmarks: expected an array, got object");
  BAD("empty.json", "{\"context\":{},\"benchmarks\":[]}",
      "empty.json: benchmarks: no benchmarks (the array is empty)");
  BAD("ctx.json", "{\"context\":[],\"benchmarks\":[{\"name\":\"a\"}]}",
      "ctx.json: context: expected an object, got array");
  BAD("nounit.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"iterations\":1,\"real_time\":1,"
      "\"cpu_time\":1}]}",
      "nounit.json: benchmarks[0].time_unit: required field is missing");
  /* Every entry failed: nothing to store. */
  BAD("allfail.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"error_occurred\":true,"
      "\"error_message\":\"boom\",\"iterations\":0,\"real_time\":0,\"cpu_time\":0,"
      "\"time_unit\":\"ns\"}]}",
      "allfail.json: benchmarks: no benchmark has a result (1 errored, 0 skipped)");
  BAD("bigo.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a/1\",\"iterations\":1,\"real_time\":1,"
      "\"cpu_time\":1,\"time_unit\":\"ns\"},{\"name\":\"a_BigO\",\"run_name\":\"a\","
      "\"run_type\":\"aggregate\",\"aggregate_name\":\"BigO\",\"big_o\":\"N\"},{\"name\":"
      "\"a_BigO\",\"run_name\":\"a\",\"run_type\":\"aggregate\",\"aggregate_name\":\"BigO\","
      "\"big_o\":\"N\"}]}",
      "bigo.json: benchmarks[2]: a second BigO entry for the family \"a\"");
  BAD("usermax.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a_max\",\"run_name\":\"a\",\"run_type\":"
      "\"aggregate\",\"aggregate_name\":\"max\",\"repetitions\":3,\"real_time\":1,"
      "\"cpu_time\":1,\"time_unit\":\"ns\"}]}",
      "usermax.json: benchmarks[0]: a has no repetitions and no mean, median or stddev aggregate");
  BAD("noaggname.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a_mean\",\"run_type\":\"aggregate\","
      "\"real_time\":1,\"cpu_time\":1,\"time_unit\":\"ns\"}]}",
      "noaggname.json: benchmarks[0].aggregate_name: required field is missing");
  BAD("aggnan.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a_mean\",\"run_name\":\"a\",\"run_type\":"
      "\"aggregate\",\"aggregate_name\":\"mean\",\"real_time\":NaN,\"cpu_time\":1,"
      "\"time_unit\":\"ns\"}]}",
      "aggnan.json: benchmarks[0].real_time: expected a finite number, got NaN");
  /* HAND-MADE: the non-finite tokens in a required time. */
  BAD("nan.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"iterations\":1,\"real_time\":NaN,"
      "\"cpu_time\":1,\"time_unit\":\"ns\"}]}",
      "nan.json: benchmarks[0].real_time: expected a finite number, got NaN");
  BAD("inf.json",
      "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"iterations\":1,\"real_time\":1,"
      "\"cpu_time\":Infinity,\"time_unit\":\"ns\"}]}",
      "inf.json: benchmarks[0].cpu_time: expected a finite number, got Infinity");
  /* A bare word that only starts like a token is still invalid JSON. */
  BAD("nanx.json", "{\"context\":{},\"benchmarks\":[{\"name\":\"a\",\"real_time\":NaNa}]}",
      "nanx.json: invalid JSON at line 1, column ");
}

/* A truncated file: the error gives the line and column of the end; with a NaN token before the
 * cut, the position is still that of the original text. */
static void test_gbench__bad_truncated(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(GBDATA "/run1_out.json", QB_ADAPTER_MAX_FILE, &data, &len, &err),
                   0);
  qbt_expect_bad(qb_gbench_parse, "run1_out.json", data, len / 2,
                 "run1_out.json: invalid JSON at line ", "column ", (const char *)NULL);
  free(data);
  /* The same text with 3-character numbers in place of the NaN tokens must fail at the same
   * line, column and byte. */
  static const char CUT[] =
      "{\"context\":{},\n\"benchmarks\":[{\"name\":\"a\",\"x\":NaN,\"y\":NaN,";
  static const char SAME[] =
      "{\"context\":{},\n\"benchmarks\":[{\"name\":\"a\",\"x\":1.0,\"y\":1.0,";
  json_error_t je;
  assert_null(json_loadb(SAME, strlen(SAME), 0, &je));
  char want[320];
  snprintf(want, sizeof want, "invalid JSON at line %d, column %d (byte %d): %s", je.line,
           je.column, je.position, je.text);
  BAD("cut.json", CUT, want);
}

/* Truncation at every byte of a valid file fails cleanly (no leak, no crash: this binary runs
 * under ASan) with *out NULL, unless only trailing white space was cut. */
static void test_gbench__every_prefix(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(GBDATA "/run1_out.json", QB_ADAPTER_MAX_FILE, &data, &len, &err),
                   0);
  for (size_t n = 0; n <= len; n += qbt_step(7)) {
    qb_run *run = (qb_run *)&err;
    int rc = qb_gbench_parse("run1.json", data, n, &run, &err);
    int only_space_cut = 1;
    for (size_t k = n; k < len; k++)
      if (!strchr(" \t\r\n", data[k])) only_space_cut = 0;
    if (only_space_cut) {
      assert_int_equal(rc, QB_OK);
      qb_run_free(run);
    } else {
      assert_int_equal(rc, QB_EFORMAT);
      assert_null(run);
      assert_non_null(strstr(err.msg, "run1.json: "));
    }
  }
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gbench__run1),
      cmocka_unit_test(test_gbench__run2_reps5),
      cmocka_unit_test(test_gbench__names_and_params),
      cmocka_unit_test(test_gbench__detect),
      cmocka_unit_test(test_gbench__realworld),
      cmocka_unit_test(test_gbench__errored_and_skipped),
      cmocka_unit_test(test_gbench__nonfinite_tokens),
      cmocka_unit_test(test_gbench__aggregates_only),
      cmocka_unit_test(test_gbench__failed_repetition),
      cmocka_unit_test(test_gbench__aggregates_with_failures),
      cmocka_unit_test(test_gbench__no_run_name),
      cmocka_unit_test(test_gbench__names_and_counters),
      cmocka_unit_test(test_gbench__bad_fields),
      cmocka_unit_test(test_gbench__bad_structure),
      cmocka_unit_test(test_gbench__bad_truncated),
      cmocka_unit_test(test_gbench__every_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/adapters/test_hyperfine.c - qb_hyperfine_parse (adapters/hyperfine.c).
 *
 * Reference values: tests/data/hyperfine/manifest.json (a copy of the shared suite_a manifest:
 * what hyperfine 1.15.0 wrote for run1.json, and what it printed), the raw JSON of every file
 * (read here with jansson, independently of the adapter), the statistics recomputed here from
 * the times, and tests/data/hyperfine/more/ (hyperfine 1.15.0 runs with parameters, failing
 * commands, a repeated command and a single run; README.md there says how they were made). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <string.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/time.h"
#include "tests/testutil.h"

#define HFDATA QB_TEST_DATA "/hyperfine"
#define REL    1e-12

/* The files hyperfine wrote (relative to HFDATA). */
static const char *const FILES[] = {
    "run1.json",          "more/params_scan.json", "more/params_list.json",
    "more/failures.json", "more/single_run.json",  "more/named_benchmarks.json"};

/* Parse text with the adapter, failing the test on error. */
static qb_run *parse_text(const char *name, const char *text) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_hyperfine_parse(name, text, strlen(text), &run, &err);
  if (rc) fail_msg("%s: rc %d: %s", name, rc, err.msg);
  assert_non_null(run);
  return run;
}

/* Parse a data file with the adapter. */
static qb_run *parse_data(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, HFDATA "/%s", rel);
  return qbt_parse_file(qb_hyperfine_parse, path);
}

/* BAD(path, text, needles...): text must fail as tests/testutil.h qbt_expect_bad says. */
#define BAD(name, text, ...)                                                                       \
  qbt_expect_bad(qb_hyperfine_parse, name, text, strlen(text), __VA_ARGS__, (const char *)NULL)

/* The result of b for metric, or NULL. */
static qb_result *result_of(qb_bench *b, const char *metric) {
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  return NULL;
}

/* qsort comparator for doubles. */
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Check benchmark b against the raw hyperfine entry e: samples = times x 1e9, stats = the
 * entry's x 1e9, user/system results, and the statistics recomputed from the times. */
static void check_entry(qb_bench *b, json_t *e) {
  qb_result *lat = result_of(b, "latency");
  assert_non_null(lat);
  assert_ptr_equal(lat, &b->results[0]);
  assert_string_equal(lat->unit, "ns");
  assert_int_equal(lat->direction, QB_LOWER_IS_BETTER);
  assert_null(lat->iters); /* one run = one iteration */
  json_t *times = json_object_get(e, "times");
  size_t n = json_array_size(times);
  assert_true(n > 0);
  assert_int_equal(lat->n_samples, n);
  assert_int_equal(lat->stats.n, (int64_t)n);
  double *x = malloc(n * sizeof *x), sum = 0, ss = 0;
  for (size_t k = 0; k < n; k++) {
    x[k] = json_number_value(json_array_get(times, k));
    assert_close(lat->samples[k], x[k] * 1e9, REL);
    sum += x[k];
  }
  assert_close(lat->stats.mean, qbt_num(e, "mean") * 1e9, REL);
  assert_close(lat->stats.median, qbt_num(e, "median") * 1e9, REL);
  assert_close(lat->stats.min, qbt_num(e, "min") * 1e9, REL);
  assert_close(lat->stats.max, qbt_num(e, "max") * 1e9, REL);
  assert_close(lat->stats.stddev, qbt_num(e, "stddev") * 1e9, REL); /* null -> NaN */
  /* hyperfine's statistics are those of the times: mean, sample (n-1) standard deviation,
   * median (mean of the middle two), min, max. */
  double mean = sum / (double)n;
  for (size_t k = 0; k < n; k++) ss += (x[k] - mean) * (x[k] - mean);
  qsort(x, n, sizeof *x, cmp_d);
  double med = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  assert_close(qbt_num(e, "mean"), mean, 1e-12);
  assert_close(qbt_num(e, "median"), med, 1e-12);
  assert_close(qbt_num(e, "min"), x[0], 0);
  assert_close(qbt_num(e, "max"), x[n - 1], 0);
  if (n > 1) assert_close(qbt_num(e, "stddev"), sqrt(ss / (double)(n - 1)), 1e-9);
  free(x);
  static const char *const CPU[] = {"user", "system"};
  for (int k = 0; k < 2; k++) {
    qb_result *r = result_of(b, CPU[k]);
    assert_non_null(r);
    assert_string_equal(r->unit, "ns");
    assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
    assert_close(r->stats.mean, qbt_num(e, CPU[k]) * 1e9, REL);
    assert_int_equal(r->stats.n, (int64_t)n);
    assert_int_equal(r->n_samples, 0);
  }
  assert_int_equal(b->n_results, 3);
  /* exit codes, as written */
  json_t *bx = qbt_load_text(b->extra);
  assert_true(json_equal(json_object_get(bx, "exit_codes"), json_object_get(e, "exit_codes")));
  json_t *params = json_object_get(e, "parameters");
  if (params)
    assert_true(json_equal(json_object_get(bx, "parameters"), params));
  else
    assert_null(json_object_get(bx, "parameters"));
  json_decref(bx);
}

/* Every file: each benchmark against its raw entry, in the file's order. */
static void test_hyperfine__every_file_matches_raw(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof FILES / sizeof FILES[0]; f++) {
    char path[1024];
    snprintf(path, sizeof path, HFDATA "/%s", FILES[f]);
    json_t *raw = qbt_load_json(path);
    assert_non_null(raw);
    qb_run *run = parse_data(FILES[f]);
    json_t *results = json_object_get(raw, "results");
    assert_int_equal(run->n_benches, json_array_size(results));
    for (size_t i = 0; i < run->n_benches; i++)
      check_entry(&run->benches[i], json_array_get(results, i));
    assert_string_equal(run->format, "hyperfine");
    assert_null(run->tool_version); /* hyperfine JSON does not say */
    assert_true(run->started_at == QB_TIME_NONE);
    assert_true(run->commit_time == QB_TIME_NONE);
    assert_null(run->machine_info);
    assert_null(run->extra);
    assert_string_equal(run->content_hash, "");
    qb_run_free(run);
    json_decref(raw);
  }
}

/* suite_a run1.json against the manifest: names, sample counts, every statistic, exit codes. */
static void test_hyperfine__suite_a_manifest(void **state) {
  (void)state;
  json_t *manifest = qbt_load_json(HFDATA "/manifest.json");
  json_t *raw = qbt_load_json(HFDATA "/run1.json");
  assert_non_null(manifest);
  assert_non_null(raw);
  json_t *mrun = json_array_get(json_object_get(manifest, "runs"), 0);
  assert_string_equal(json_string_value(json_object_get(mrun, "json")), "run1.json");
  qb_run *run = parse_data("run1.json");
  json_t *mbenches = json_object_get(mrun, "benchmarks");
  assert_int_equal(run->n_benches, json_integer_value(json_object_get(mrun, "benchmark_count")));
  assert_int_equal(run->n_benches, json_array_size(mbenches));
  size_t i;
  json_t *mb;
  json_array_foreach(mbenches, i, mb) {
    qb_bench *b = &run->benches[i];
    assert_string_equal(b->name, json_string_value(json_object_get(mb, "command")));
    assert_string_equal(
        b->name, json_string_value(json_array_get(json_object_get(mrun, "benchmark_names"), i)));
    assert_null(b->group);
    assert_null(b->params);
    assert_string_equal(json_string_value(json_object_get(mb, "unit")), "s");
    qb_result *lat = result_of(b, "latency");
    assert_int_equal(lat->n_samples, json_integer_value(json_object_get(mb, "samples")));
    assert_int_equal(lat->stats.n, json_integer_value(json_object_get(mb, "samples")));
    assert_close(lat->stats.mean, qbt_num(mb, "mean") * 1e9, REL);
    assert_close(lat->stats.median, qbt_num(mb, "median") * 1e9, REL);
    assert_close(lat->stats.stddev, qbt_num(mb, "stddev") * 1e9, REL);
    assert_close(lat->stats.min, qbt_num(mb, "min") * 1e9, REL);
    assert_close(lat->stats.max, qbt_num(mb, "max") * 1e9, REL);
    assert_close(result_of(b, "user")->stats.mean, qbt_num(mb, "user") * 1e9, REL);
    assert_close(result_of(b, "system")->stats.mean, qbt_num(mb, "system") * 1e9, REL);
    /* The samples are the file's times (the manifest has only their count). */
    json_t *times = json_object_get(json_array_get(json_object_get(raw, "results"), i), "times");
    for (size_t k = 0; k < lat->n_samples; k++)
      assert_close(lat->samples[k], json_number_value(json_array_get(times, k)) * 1e9, REL);
    /* The printed summary ("21.6 ms") rounds the same values. */
    json_t *pr = json_object_get(mb, "printed");
    qbt_check_rel(lat->stats.mean,
                  qbt_printed_value(json_string_value(json_object_get(pr, "mean"))), 0.05,
                  "printed mean");
    assert_int_equal(lat->n_samples, json_integer_value(json_object_get(pr, "runs")));
    /* Every run exited 0 (the manifest lists the distinct codes): not flagged. */
    json_t *bx = qbt_load_text(b->extra);
    json_t *codes = json_object_get(bx, "exit_codes");
    for (size_t k = 0; k < json_array_size(codes); k++)
      assert_int_equal(json_integer_value(json_array_get(codes, k)), 0);
    assert_true(
        json_equal(json_array_get(json_object_get(mb, "exit_codes"), 0), json_array_get(codes, 0)));
    assert_null(json_object_get(bx, "failed"));
    assert_null(json_object_get(bx, "failed_runs"));
    assert_null(json_object_get(bx, "command"));
    json_decref(bx);
  }
  qb_run_free(run);
  json_decref(raw);
  json_decref(manifest);
}

/* Check benchmark i of run: name, group, params (JSON text compared as JSON). */
static void check_bench(qb_run *run, size_t i, const char *name, const char *group,
                        const char *params) {
  qb_bench *b = &run->benches[i];
  assert_string_equal(b->name, name);
  if (group)
    assert_string_equal(b->group, group);
  else
    assert_null(b->group);
  if (params) {
    json_t *want = qbt_load_text(params), *got = qbt_load_text(b->params);
    if (!json_equal(want, got)) fail_msg("%s: params %s, want %s", name, b->params, params);
    json_decref(want);
    json_decref(got);
  } else {
    assert_null(b->params);
  }
}

/* -P n 1 3 'seq {n} 100000': the template is rebuilt from "seq 2 100000" (in "seq 1 100000"
 * the value 1 occurs twice) and fits all three; numeric values become numbers. */
static void test_hyperfine__parameter_scan(void **state) {
  (void)state;
  qb_run *run = parse_data("more/params_scan.json");
  assert_int_equal(run->n_benches, 3);
  check_bench(run, 0, "seq 1 100000", "seq {n} 100000", "{\"n\":1}");
  check_bench(run, 1, "seq 2 100000", "seq {n} 100000", "{\"n\":2}");
  check_bench(run, 2, "seq 3 100000", "seq {n} 100000", "{\"n\":3}");
  json_t *bx = qbt_load_text(run->benches[0].extra);
  assert_string_equal(json_string_value(json_object_get(json_object_get(bx, "parameters"), "n")),
                      "1");
  json_decref(bx);
  qb_run_free(run);
}

/* -L level 1,9 -L file A,B 'gzip -{level} -c {file}': two parameters, one of them a string. */
static void test_hyperfine__parameter_list(void **state) {
  (void)state;
  qb_run *run = parse_data("more/params_list.json");
  const char *g = "gzip -{level} -c {file}";
  assert_int_equal(run->n_benches, 4);
  check_bench(run, 0, "gzip -1 -c /usr/bin/hyperfine", g,
              "{\"file\":\"/usr/bin/hyperfine\",\"level\":1}");
  check_bench(run, 1, "gzip -9 -c /usr/bin/hyperfine", g,
              "{\"file\":\"/usr/bin/hyperfine\",\"level\":9}");
  check_bench(run, 2, "gzip -1 -c /usr/bin/seq", g, "{\"file\":\"/usr/bin/seq\",\"level\":1}");
  check_bench(run, 3, "gzip -9 -c /usr/bin/seq", g, "{\"file\":\"/usr/bin/seq\",\"level\":9}");
  qb_run_free(run);
}

/* -i with -n names: a command that always fails, one that fails in 2 of 6 runs, and 'true'
 * twice (the second is "true #2"). */
static void test_hyperfine__failures_and_repeats(void **state) {
  (void)state;
  qb_run *run = parse_data("more/failures.json");
  assert_int_equal(run->n_benches, 4);
  check_bench(run, 0, "always-fails", NULL, NULL);
  check_bench(run, 1, "flaky", NULL, NULL);
  check_bench(run, 2, "true", NULL, NULL);
  check_bench(run, 3, "true #2", NULL, NULL);
  static const long long FAILED[] = {6, 2, 0, 0};
  for (size_t i = 0; i < 4; i++) {
    json_t *bx = qbt_load_text(run->benches[i].extra);
    if (FAILED[i]) {
      assert_true(json_is_true(json_object_get(bx, "failed")));
      assert_int_equal(json_integer_value(json_object_get(bx, "failed_runs")), FAILED[i]);
    } else {
      assert_null(json_object_get(bx, "failed"));
      assert_null(json_object_get(bx, "failed_runs"));
    }
    if (i == 3)
      assert_string_equal(json_string_value(json_object_get(bx, "command")), "true");
    else
      assert_null(json_object_get(bx, "command"));
    json_decref(bx);
  }
  /* The always-failing command took no time after the shell's was subtracted (clamped to 0). */
  assert_close(run->benches[0].results[0].stats.max, 0, 0);
  qb_run_free(run);
}

/* --runs 1: stddev is null, so unknown. */
static void test_hyperfine__single_run(void **state) {
  (void)state;
  qb_run *run = parse_data("more/single_run.json");
  qb_result *lat = &run->benches[0].results[0];
  assert_int_equal(lat->n_samples, 1);
  assert_true(isnan(lat->stats.stddev));
  assert_close(lat->stats.mean, lat->samples[0], 0);
  qb_run_free(run);
}

/* The same command with different parameters (a parameter the command does not use): named by
 * command and parameters; no template fits, so no group. */
static void test_hyperfine__unused_parameter(void **state) {
  (void)state;
  qb_run *run = parse_text(
      "unused.json",
      "{\"results\":[{\"command\":\"sleep 0.1\",\"mean\":0.1,\"times\":[0.1],"
      "\"parameters\":{\"n\":\"1\",\"m\":\"x\"}},"
      "{\"command\":\"sleep 0.1\",\"mean\":0.2,\"times\":[0.2],\"parameters\":{\"n\":\"2\","
      "\"m\":\"x\"}},{\"command\":\"sleep 0.1\",\"mean\":0.2,\"times\":[0.2],"
      "\"parameters\":{\"n\":\"2\",\"m\":\"x\"}}]}");
  check_bench(run, 0, "sleep 0.1 (m = x, n = 1)", NULL, "{\"n\":1,\"m\":\"x\"}");
  check_bench(run, 1, "sleep 0.1 (m = x, n = 2)", NULL, "{\"n\":2,\"m\":\"x\"}");
  check_bench(run, 2, "sleep 0.1 (m = x, n = 2) #2", NULL, "{\"n\":2,\"m\":\"x\"}");
  qb_run_free(run);
}

/* Parameter values that only look numeric stay strings; a value that occurs twice in every
 * command gives no template. */
static void test_hyperfine__parameter_edge_cases(void **state) {
  (void)state;
  qb_run *run = parse_text(
      "edge.json", "{\"results\":["
                   "{\"command\":\"x 010 1.5 010\",\"mean\":1,\"parameters\":{\"a\":\"010\",\"b\":"
                   "\"1.5\"}},"
                   "{\"command\":\"x 020 2e3 020\",\"mean\":1,\"parameters\":{\"a\":\"020\",\"b\":"
                   "\"2e3\"}}]}");
  check_bench(run, 0, "x 010 1.5 010", NULL, "{\"a\":\"010\",\"b\":1.5}");
  check_bench(run, 1, "x 020 2e3 020", NULL, "{\"a\":\"020\",\"b\":2000.0}");
  /* no times: stats as given, no samples, unknown count */
  qb_result *lat = &run->benches[0].results[0];
  assert_int_equal(lat->n_samples, 0);
  assert_int_equal(lat->stats.n, -1);
  assert_close(lat->stats.mean, 1e9, 0);
  qb_run_free(run);
}

/* memory_usage_byte (hyperfine 1.19) becomes a memory result; unknown keys are kept. */
static void test_hyperfine__memory_and_unknown_keys(void **state) {
  (void)state;
  qb_run *run = parse_text(
      "mem.json", "{\"results\":[{\"command\":\"a\",\"mean\":0.5,\"stddev\":null,\"median\":0.5,"
                  "\"min\":0.5,\"max\":0.5,\"user\":0.1,\"system\":0.2,\"times\":[0.5],"
                  "\"memory_usage_byte\":[1048576],\"exit_codes\":[null],\"note\":\"hi\"}],"
                  "\"schema\":2}");
  qb_bench *b = &run->benches[0];
  qb_result *mem = result_of(b, "memory");
  assert_non_null(mem);
  assert_string_equal(mem->unit, "B");
  assert_int_equal(mem->n_samples, 1);
  assert_close(mem->samples[0], 1048576, 0);
  json_t *bx = qbt_load_text(b->extra);
  assert_string_equal(json_string_value(json_object_get(bx, "note")), "hi");
  assert_true(json_is_true(json_object_get(bx, "failed"))); /* killed by a signal */
  assert_int_equal(json_integer_value(json_object_get(bx, "failed_runs")), 1);
  json_decref(bx);
  json_t *rx = qbt_load_text(run->extra);
  assert_int_equal(json_integer_value(json_object_get(rx, "schema")), 2);
  json_decref(rx);
  qb_run_free(run);
}

/* Detection: hyperfine for the files hyperfine wrote, and for no other file under tests/data. */
static void detect_tree(const char *dir, int *n_hf) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      detect_tree(path, n_hf);
      continue;
    }
    char *data = NULL;
    size_t len = 0;
    qb_err err = QB_ERR_INIT;
    qb_format f = QB_FMT_AUTO;
    assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
    int rc = qb_adapter_detect(path, data, len, &f, &err);
    free(data);
    int want = 0;
    for (size_t k = 0; k < sizeof FILES / sizeof FILES[0]; k++) {
      char p[1024];
      snprintf(p, sizeof p, HFDATA "/%s", FILES[k]);
      want |= !strcmp(p, path);
    }
    if (want && (rc || f != QB_FMT_HYPERFINE)) fail_msg("%s: not detected as hyperfine", path);
    if (!want && !rc && f == QB_FMT_HYPERFINE) fail_msg("%s: detected as hyperfine", path);
    *n_hf += want;
  }
  closedir(d);
}

static void test_hyperfine__detect(void **state) {
  (void)state;
  int n = 0;
  detect_tree(QB_TEST_DATA, &n);
  assert_int_equal(n, (int)(sizeof FILES / sizeof FILES[0]));
}

/* Through qb_adapter_parse_bytes with auto-detection: parsed and hashed. */
static void test_hyperfine__auto_load(void **state) {
  (void)state;
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_adapter_load(HFDATA "/run1.json", QB_FMT_AUTO, &run, &err)) fail_msg("%s", err.msg);
  assert_string_equal(run->format, "hyperfine");
  assert_int_equal(strlen(run->content_hash), 64);
  assert_int_equal(run->n_benches, 3);
  qb_run_free(run);
}

static void test_hyperfine__bad_truncated(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(HFDATA "/run1.json", QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  qbt_expect_bad(qb_hyperfine_parse, "run1.json", data, len / 2, "run1.json: invalid JSON at line ",
                 "column ", (const char *)NULL);
  free(data);
}

static void test_hyperfine__bad_negative_time(void **state) {
  (void)state;
  BAD("neg.json", "{\"results\":[{\"command\":\"a\",\"mean\":0.1,\"times\":[0.1,0.2,-0.3]}]}",
      "neg.json: results[0].times[2]: negative time -0.3 s");
  BAD("negmean.json", "{\"results\":[{\"command\":\"a\",\"mean\":-0.1}]}",
      "negmean.json: results[0].mean: negative time -0.1 s");
  BAD("neguser.json", "{\"results\":[{\"command\":\"a\",\"mean\":0.1,\"user\":-1}]}",
      "neguser.json: results[0].user: negative time -1 s");
}

static void test_hyperfine__bad_stats_mismatch(void **state) {
  (void)state;
  BAD("mean.json", "{\"results\":[{\"command\":\"a\",\"mean\":0.5,\"times\":[0.1,0.2]}]}",
      "mean.json: results[0].mean: 0.5 s does not match the mean of times (0.15");
  BAD("med.json",
      "{\"results\":[{\"command\":\"a\",\"mean\":0.2,\"median\":0.3,\"times\":[0.1,0.2,0.3]}]}",
      "med.json: results[0].median: 0.29999999999999999 s does not match the median of times "
      "(0.20000000000000001 s)");
  BAD("sd.json",
      "{\"results\":[{\"command\":\"a\",\"mean\":0.2,\"stddev\":0.2,\"times\":[0.1,0.2,0.3]}]}",
      "sd.json: results[0].stddev:", "does not match the stddev of times");
  BAD("max.json",
      "{\"results\":[{\"command\":\"a\",\"mean\":0.2,\"max\":0.2,\"times\":[0.1,0.3]}]}",
      "max.json: results[0].max:");
}

static void test_hyperfine__bad_structure(void **state) {
  (void)state;
  BAD("arr.json", "[1]", "arr.json: top level: expected an object, got array");
  BAD("nores.json", "{\"command\":\"a\"}", "nores.json: results: required field is missing");
  BAD("empty.json", "{\"results\":[]}", "empty.json: results: no results");
  BAD("scalar.json", "{\"results\":[7]}",
      "scalar.json: results[0]: expected an object, got integer");
  BAD("nocmd.json", "{\"results\":[{\"mean\":1}]}",
      "nocmd.json: results[0].command: required field is missing");
  BAD("nomean.json", "{\"results\":[{\"command\":\"a\"}]}",
      "nomean.json: results[0].mean: required field is missing");
  BAD("str.json", "{\"results\":[{\"command\":\"a\",\"mean\":\"1\"}]}",
      "str.json: results[0].mean: expected a number, got string");
  BAD("times.json", "{\"results\":[{\"command\":\"a\",\"mean\":1,\"times\":[1,\"x\"]}]}",
      "times.json: results[0].times[1]: expected a number, got string");
  BAD("notimes.json", "{\"results\":[{\"command\":\"a\",\"mean\":1,\"times\":[]}]}",
      "notimes.json: results[0].times: no times");
  BAD("codes.json", "{\"results\":[{\"command\":\"a\",\"mean\":1,\"exit_codes\":[0,\"x\"]}]}",
      "codes.json: results[0].exit_codes[1]: expected an integer, got string");
  BAD("params.json", "{\"results\":[{\"command\":\"a\",\"mean\":1,\"parameters\":{\"n\":[1]}}]}",
      "params.json: results[0].parameters.n: expected a string, got array");
  BAD("mem.json", "{\"results\":[{\"command\":\"a\",\"mean\":1,\"memory_usage_byte\":[-5]}]}",
      "mem.json: results[0].memory_usage_byte[0]: expected a byte count");
}

/* Truncation at every byte of a real file fails cleanly (no leak, no crash under ASan). */
static void test_hyperfine__every_prefix(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(
      qb_file_read(HFDATA "/more/params_list.json", QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  for (size_t n = 0; n <= len; n += qbt_step(7)) {
    qb_run *run = (qb_run *)&err;
    int rc = qb_hyperfine_parse("p.json", data, n, &run, &err);
    int only_space_cut = 1;
    for (size_t k = n; k < len; k++)
      if (!strchr(" \t\r\n", data[k])) only_space_cut = 0;
    if (only_space_cut) {
      assert_int_equal(rc, QB_OK);
      qb_run_free(run);
    } else {
      assert_int_equal(rc, QB_EFORMAT);
      assert_null(run);
      assert_non_null(strstr(err.msg, "p.json: "));
    }
  }
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hyperfine__every_file_matches_raw),
      cmocka_unit_test(test_hyperfine__suite_a_manifest),
      cmocka_unit_test(test_hyperfine__parameter_scan),
      cmocka_unit_test(test_hyperfine__parameter_list),
      cmocka_unit_test(test_hyperfine__failures_and_repeats),
      cmocka_unit_test(test_hyperfine__single_run),
      cmocka_unit_test(test_hyperfine__unused_parameter),
      cmocka_unit_test(test_hyperfine__parameter_edge_cases),
      cmocka_unit_test(test_hyperfine__memory_and_unknown_keys),
      cmocka_unit_test(test_hyperfine__detect),
      cmocka_unit_test(test_hyperfine__auto_load),
      cmocka_unit_test(test_hyperfine__bad_truncated),
      cmocka_unit_test(test_hyperfine__bad_negative_time),
      cmocka_unit_test(test_hyperfine__bad_stats_mismatch),
      cmocka_unit_test(test_hyperfine__bad_structure),
      cmocka_unit_test(test_hyperfine__every_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

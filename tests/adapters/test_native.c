/* tests/adapters/test_native.c - qb_native_parse on the demo runs (examples/native), the files in
 * tests/data/native (every field and unit conversion of docs/formats/native.md) and the
 * malformed files in tests/data/native/bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/time.h"
#include "tests/testutil.h"

#define NATDATA  QB_TEST_DATA "/native"
#define EXAMPLES QB_TEST_DATA "/../../examples/native"
#define REL      1e-12

/* The result of benchmark name for metric, failing the test when absent. */
static qb_result *find_result(qb_run *run, const char *name, const char *metric) {
  qb_bench *b = qb_run_find_bench(run, name);
  if (!b) fail_msg("no benchmark %s", name);
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  fail_msg("benchmark %s has no metric %s", name, metric);
  return NULL;
}

static void assert_samples(const qb_result *r, const double *want, size_t n) {
  assert_int_equal(r->n_samples, n);
  for (size_t i = 0; i < n; i++) assert_close(r->samples[i], want[i], REL);
}

static void assert_iters(const qb_result *r, const uint64_t *want, size_t n) {
  assert_non_null(r->iters);
  for (size_t i = 0; i < n; i++) assert_true(r->iters[i] == want[i]);
}

static char *fmt_time(int64_t t, char *buf, size_t n) {
  return qb_time_format(t, buf, n);
}

/* Every field of the header and every value form and unit of docs/formats/native.md. */
static void test_native__full(void **state) {
  (void)state;
  char ts[64];
  qb_run *run = qbt_parse_file(qb_native_parse, NATDATA "/full.jsonl");
  assert_string_equal(run->format, "native");
  assert_string_equal(run->content_hash, "");
  assert_string_equal(run->project, "demo");
  assert_string_equal(run->branch, "feature/x");
  assert_string_equal(run->commit_sha, "0123456789abcdef0123456789abcdef01234567");
  assert_string_equal(fmt_time(run->commit_time, ts, sizeof ts), "2026-01-15T08:00:00Z");
  assert_string_equal(fmt_time(run->started_at, ts, sizeof ts), "2026-01-15T08:30:00.250000Z");
  assert_string_equal(run->machine, "bench-box");
  assert_string_equal(run->machine_info,
                      "{\"cores\":16,\"cpu\":\"Intel Xeon E-2288G\",\"memory\":\"64 GiB\","
                      "\"os\":\"Linux 6.1\"}");
  assert_string_equal(run->tool_version, "qbr 0.1");
  assert_int_equal(run->n_tags, 2);
  assert_string_equal(run->tags[0].key, "net");
  assert_string_equal(run->tags[0].value, "lan");
  assert_string_equal(run->tags[1].key, "nodes");
  assert_string_equal(run->tags[1].value, "3");
  /* Unknown header keys are kept, as written. */
  assert_string_equal(run->extra, "{\"ci_job\":\"bench#42\",\"runner_opts\":{\"warmup\":2}}");

  assert_int_equal(run->n_benches, 4);
  assert_string_equal(run->benches[0].name, "sort/100");
  assert_string_equal(run->benches[1].name, "io/read");
  assert_string_equal(run->benches[2].name, "requests");
  assert_string_equal(run->benches[3].name, "secs");
  qb_bench *sort = &run->benches[0];
  assert_string_equal(sort->group, "sort");
  assert_string_equal(sort->params, "{\"n\":100}");
  assert_null(sort->extra);
  assert_int_equal(sort->n_results, 4);

  /* "us" samples x1e3 with per-sample iters. */
  qb_result *r = find_result(run, "sort/100", "latency");
  assert_string_equal(r->unit, "ns");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_samples(r, (double[]){1500, 2000, 2250}, 3);
  assert_iters(r, (uint64_t[]){10, 20, 40}, 3);
  assert_int_equal(r->stats.n, -1); /* not computed here */
  assert_true(isnan(r->stats.mean));
  assert_null(r->extra);

  /* "MiB/s" x1048576, one "iterations" for all, throughput is higher-is-better by default. */
  r = find_result(run, "sort/100", "throughput");
  assert_string_equal(r->unit, "B/s");
  assert_int_equal(r->direction, QB_HIGHER_IS_BETTER);
  assert_samples(r, (double[]){100 * 1048576.0, 200 * 1048576.0}, 2);
  assert_iters(r, (uint64_t[]){5, 5}, 2);

  /* "KiB" x1024; a single value is one sample with no iteration counts. */
  r = find_result(run, "sort/100", "memory");
  assert_string_equal(r->unit, "B");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_samples(r, (double[]){3.5 * 1024}, 1);
  assert_null(r->iters);

  /* A custom metric with stats only; counts are not converted; explicit direction. */
  r = find_result(run, "sort/100", "cache_misses");
  assert_string_equal(r->unit, "1");
  assert_int_equal(r->direction, QB_HIGHER_IS_BETTER);
  assert_int_equal(r->n_samples, 0);
  assert_null(r->samples);
  assert_int_equal(r->stats.n, 8);
  assert_close(r->stats.mean, 1200, REL);
  assert_int_equal(r->stats.outliers, 2);
  assert_true(isnan(r->stats.min) && isnan(r->stats.p95));

  /* "µs" (UTF-8 micro sign) value with iterations, and the line's extra, key-sorted. */
  r = find_result(run, "io/read", "latency");
  assert_samples(r, (double[]){250500}, 1);
  assert_iters(r, (uint64_t[]){4}, 1);
  assert_string_equal(r->extra, "{\"file\":\"a.bin\",\"note\":\"cold cache\"}");
  assert_null(run->benches[1].group);
  assert_null(run->benches[1].params);

  /* Every stat in "ms" x1e6. */
  r = find_result(run, "io/read", "cpu");
  assert_string_equal(r->unit, "ns");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_int_equal(r->stats.n, 10);
  assert_close(r->stats.min, 1e6, REL);
  assert_close(r->stats.max, 3e6, REL);
  assert_close(r->stats.mean, 2e6, REL);
  assert_close(r->stats.median, 2e6, REL);
  assert_close(r->stats.stddev, 0.5e6, REL);
  assert_close(r->stats.p95, 2.9e6, REL);
  assert_close(r->stats.p99, 3e6, REL);
  assert_close(r->stats.q1, 1.5e6, REL);
  assert_close(r->stats.q3, 2.5e6, REL);
  assert_int_equal(r->stats.outliers, 0);
  assert_true(isnan(r->stats.estimate));

  /* "Kops/s" x1e3 into per second. */
  r = find_result(run, "requests", "requests");
  assert_string_equal(r->unit, "1/s");
  assert_int_equal(r->direction, QB_HIGHER_IS_BETTER);
  assert_samples(r, (double[]){12500}, 1);

  /* "s" x1e9; group and params given as null. */
  r = find_result(run, "secs", "latency");
  assert_samples(r, (double[]){5e8, 1.25e9}, 2);
  assert_null(r->iters);
  assert_null(run->benches[3].group);
  assert_null(run->benches[3].params);
  qb_run_free(run);
}

/* Only the required fields: everything else unknown or defaulted. */
static void test_native__minimal(void **state) {
  (void)state;
  qb_run *run = qbt_parse_file(qb_native_parse, NATDATA "/minimal.jsonl");
  assert_string_equal(run->format, "native");
  assert_null(run->project);
  assert_null(run->branch);
  assert_null(run->commit_sha);
  assert_null(run->machine);
  assert_null(run->machine_info);
  assert_null(run->tool_version);
  assert_null(run->extra);
  assert_true(run->commit_time == QB_TIME_NONE);
  assert_true(run->started_at == QB_TIME_NONE);
  assert_int_equal(run->n_tags, 0);
  assert_int_equal(run->n_benches, 1);
  qb_result *r = find_result(run, "x", "latency");
  assert_string_equal(r->unit, "ns");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_samples(r, (double[]){5}, 1);
  qb_run_free(run);
}

/* A byte order mark, CRLF line ends, blank lines and no final newline are all fine. */
static void test_native__bom_crlf(void **state) {
  (void)state;
  qb_run *run = qbt_parse_file(qb_native_parse, NATDATA "/bom_crlf.jsonl");
  assert_int_equal(run->n_tags, 1);
  assert_string_equal(run->tags[0].value, "windows");
  assert_samples(find_result(run, "win", "latency"), (double[]){1e6, 2e6}, 2);
  qb_result *m = find_result(run, "win", "memory");
  assert_string_equal(m->unit, "B");
  assert_samples(m, (double[]){2e6}, 1);
  qb_run_free(run);
}

/* Factor from a unit of the demo files to its base unit, written down here independently of
 * core/units.c. */
static double demo_factor(const char *unit) {
  static const struct {
    const char *unit;
    double factor;
  } F[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"KiB", 1024}, {"MiB/s", 1048576}};
  for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
    if (!strcmp(F[i].unit, unit)) return F[i].factor;
  fail_msg("the demo uses unit %s, unknown to this test", unit);
  return 0;
}

/* Check every result line of a demo file, read here with jansson, against the parsed run. */
static void check_demo(const char *path, qb_run *run) {
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  size_t n_lines = 0, n_results = 0;
  for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    if (n_lines++ == 0) {
      assert_string_equal(json_string_value(json_object_get(o, "format")), "qbdb-native");
      json_decref(o);
      continue;
    }
    n_results++;
    const char *name = json_string_value(json_object_get(o, "name"));
    json_t *m = json_object_get(o, "metric");
    qb_result *r = find_result(run, name, m ? json_string_value(m) : "latency");
    double f = demo_factor(json_string_value(json_object_get(o, "unit")));
    json_t *xs = json_object_get(o, "samples");
    if (xs) {
      assert_int_equal(r->n_samples, json_array_size(xs));
      for (size_t i = 0; i < r->n_samples; i++)
        assert_close(r->samples[i], json_number_value(json_array_get(xs, i)) * f, REL);
    } else {
      assert_int_equal(r->n_samples, 1);
      assert_close(r->samples[0], json_number_value(json_object_get(o, "value")) * f, REL);
    }
    json_t *iters = json_object_get(o, "iters"), *iterations = json_object_get(o, "iterations");
    if (iters) {
      for (size_t i = 0; i < r->n_samples; i++)
        assert_true(r->iters[i] == (uint64_t)json_integer_value(json_array_get(iters, i)));
    } else if (iterations) {
      for (size_t i = 0; i < r->n_samples; i++)
        assert_true(r->iters[i] == (uint64_t)json_integer_value(iterations));
    } else {
      assert_null(r->iters);
    }
    json_t *stats = json_object_get(o, "stats");
    if (stats) {
      assert_int_equal(r->stats.n, json_integer_value(json_object_get(stats, "n")));
      assert_close(r->stats.mean, json_number_value(json_object_get(stats, "mean")) * f, REL);
      assert_close(r->stats.median, json_number_value(json_object_get(stats, "median")) * f, REL);
      assert_close(r->stats.min, json_number_value(json_object_get(stats, "min")) * f, REL);
      assert_close(r->stats.max, json_number_value(json_object_get(stats, "max")) * f, REL);
    } else {
      assert_int_equal(r->stats.n, -1);
    }
    json_decref(o);
  }
  size_t total = 0;
  for (size_t i = 0; i < run->n_benches; i++) total += run->benches[i].n_results;
  assert_int_equal(total, n_results);
  free(data);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(const qb_result *r) {
  double *x = malloc(r->n_samples * sizeof *x);
  assert_non_null(x);
  memcpy(x, r->samples, r->n_samples * sizeof *x);
  qsort(x, r->n_samples, sizeof *x, cmp_double);
  size_t n = r->n_samples;
  double m = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  free(x);
  return m;
}

/* The demo pair used by the project's demo: realistic shape, one regression, one improvement. */
static void test_native__demo_runs(void **state) {
  (void)state;
  qb_run *r1 = qbt_parse_file(qb_native_parse, EXAMPLES "/demo_run1.jsonl");
  qb_run *r2 = qbt_parse_file(qb_native_parse, EXAMPLES "/demo_run2.jsonl");
  check_demo(EXAMPLES "/demo_run1.jsonl", r1);
  check_demo(EXAMPLES "/demo_run2.jsonl", r2);
  qb_run *runs[] = {r1, r2};
  for (int i = 0; i < 2; i++) {
    qb_run *run = runs[i];
    assert_string_equal(run->project, "minikv");
    assert_string_equal(run->branch, "main");
    assert_int_equal(strlen(run->commit_sha), 40);
    assert_true(run->commit_time != QB_TIME_NONE);
    assert_true(run->started_at > run->commit_time);
    assert_string_equal(run->machine, "ci-linux-1");
    assert_string_equal(run->tool_version, "qbr 0.1");
    assert_int_equal(run->n_tags, 2);
    assert_int_equal(run->n_benches, 6);
    for (size_t b = 0; b < run->n_benches; b++) {
      qb_result *lat = find_result(run, run->benches[b].name, "latency");
      assert_true(lat->n_samples >= 30 && lat->n_samples <= 50);
      assert_non_null(lat->iters);
    }
    /* The params family of three sizes. */
    assert_string_equal(qb_run_find_bench(run, "hash/lookup/1000")->params, "{\"n\":1000}");
    assert_string_equal(qb_run_find_bench(run, "hash/lookup/10000")->params, "{\"n\":10000}");
    assert_string_equal(qb_run_find_bench(run, "hash/lookup/100000")->params, "{\"n\":100000}");
    assert_int_equal(find_result(run, "parse/config_large", "throughput")->direction,
                     QB_HIGHER_IS_BETTER);
    assert_string_equal(find_result(run, "hash/insert", "memory")->unit, "B");
  }
  assert_true(r2->started_at > r1->started_at);
  /* parse/config_small ~20 % slower, hash/insert ~15 % faster, the rest within noise. */
  for (size_t b = 0; b < r1->n_benches; b++) {
    const char *name = r1->benches[b].name;
    double ratio =
        median_of(find_result(r2, name, "latency")) / median_of(find_result(r1, name, "latency"));
    if (!strcmp(name, "parse/config_small"))
      assert_true(ratio > 1.15 && ratio < 1.25);
    else if (!strcmp(name, "hash/insert"))
      assert_true(ratio > 0.80 && ratio < 0.90);
    else
      assert_true(ratio > 0.95 && ratio < 1.05);
  }
  qb_run_free(r1);
  qb_run_free(r2);
}

/* Parse a bad file: QB_EFORMAT, *out NULL, and a message "PATH:LINE: ..." containing field. */
static void expect_bad(const char *file, int line, const char *field) {
  char path[1024], where[1100];
  snprintf(path, sizeof path, NATDATA "/bad/%s", file);
  snprintf(where, sizeof where, "%s:%d: ", path, line);
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  qb_run *run = (qb_run *)&err; /* must be overwritten with NULL */
  int rc = qb_native_parse(path, data, len, &run, &err);
  free(data);
  assert_int_equal(rc, QB_EFORMAT);
  assert_int_equal(err.code, QB_EFORMAT);
  assert_null(run);
  if (strncmp(err.msg, where, strlen(where)))
    fail_msg("message does not start with \"%s\": %s", where, err.msg);
  if (!strstr(err.msg + strlen(where), field)) fail_msg("message lacks \"%s\": %s", field, err.msg);
  assert_null(strchr(err.msg, '\n'));
}

#define BAD_CASE(fn, file, line, field)                                                            \
  static void test_native__bad_##fn(void **state) {                                                \
    (void)state;                                                                                   \
    expect_bad(file, line, field);                                                                 \
  }

BAD_CASE(unknown_unit, "unknown_unit.jsonl", 3, "unit: unknown unit \"furlongs\"")
BAD_CASE(wrong_version, "wrong_version.jsonl", 1, "version: unsupported version 2")
BAD_CASE(missing_name, "missing_name.jsonl", 2, "name: required field is missing")
BAD_CASE(sample_string, "sample_string.jsonl", 2, "samples[1]: expected a number, got string")
BAD_CASE(iters_mismatch, "iters_mismatch.jsonl", 2, "iters: 2 values for 3 samples")
BAD_CASE(duplicate_metric, "duplicate_metric.jsonl", 4,
         "metric: benchmark \"a\" has metric "
         "\"latency\" twice (lines 2 and 4)")
BAD_CASE(truncated, "truncated.jsonl", 3, "invalid JSON at column ")
BAD_CASE(empty, "empty.jsonl", 1, "no results")
BAD_CASE(header_only, "header_only.jsonl", 1, "no results")
BAD_CASE(blank_only, "blank_only.jsonl", 1, "no results")
BAD_CASE(no_header, "no_header.jsonl", 1, "format: the first line must be the header")
BAD_CASE(no_values, "no_values.jsonl", 2, "samples: no values")
BAD_CASE(bad_direction, "bad_direction.jsonl", 2, "direction: expected \"lower\" or \"higher\"")
BAD_CASE(unknown_field, "unknown_field.jsonl", 2, "sample: unknown field")
BAD_CASE(samples_and_value, "samples_and_value.jsonl", 2, "value: give either")
BAD_CASE(iters_zero, "iters_zero.jsonl", 2, "iters[1]: expected a positive integer, got 0")
BAD_CASE(bad_time, "bad_time.jsonl", 1, "started_at: not an ISO 8601 timestamp")
BAD_CASE(tag_not_string, "tag_not_string.jsonl", 1, "tags.nodes: expected a string, got integer")
BAD_CASE(group_conflict, "group_conflict.jsonl", 3,
         "group: \"g2\" differs from \"g1\" given for "
         "this benchmark on line 2")
BAD_CASE(params_conflict, "params_conflict.jsonl", 3, "params: {\"n\":2} differs from {\"n\":1}")
BAD_CASE(not_object, "not_object.jsonl", 2, "expected a JSON object, got array")
BAD_CASE(stats_unknown, "stats_unknown.jsonl", 2, "stats.avg: unknown field")
BAD_CASE(stats_type, "stats_type.jsonl", 2, "stats.mean: expected a number, got string")
BAD_CASE(trailing_garbage, "trailing_garbage.jsonl", 3, "invalid JSON at column ")
BAD_CASE(two_headers, "two_headers.jsonl", 3, "format: a second header")
BAD_CASE(iterations_without_samples, "iterations_without_samples.jsonl", 2,
         "iterations: iteration counts without")

/* The header's commit follows the rule of `qbdb ingest --commit`: 4 to 64 hex digits (either
 * case); anything else is refused with one line naming the file, the line and the field. An
 * empty commit means none. */
static void test_native__commit_must_be_hex(void **state) {
  (void)state;
  static const char *const bad[] = {
      "xyz",             /* not hex */
      "abc",             /* too short */
      "=HYPERLINK(1)",   /* a spreadsheet formula */
      "abcd\\u001b[31m", /* a terminal escape after hex digits */
      "abcd efgh",       /* a space */
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", /* 65 digits */
  };
  static const char *const good[] = {
      "abcd", "ABCDEF01", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  char doc[512];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(doc, sizeof doc,
             "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"%s\"}\n"
             "{\"name\":\"a\",\"unit\":\"ns\",\"value\":1}\n",
             bad[i]);
    qb_err err = QB_ERR_INIT;
    qb_run *run = (qb_run *)&err;
    int rc = qb_native_parse("h.jsonl", doc, strlen(doc), &run, &err);
    if (rc != QB_EFORMAT) fail_msg("commit \"%s\" accepted (rc %d)", bad[i], rc);
    assert_null(run);
    static const char want[] = "h.jsonl:1: commit: expected 4 to 64 hex digits, got \"";
    if (strncmp(err.msg, want, sizeof want - 1)) fail_msg("commit \"%s\": %s", bad[i], err.msg);
    assert_null(strchr(err.msg, '\n'));
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    snprintf(doc, sizeof doc,
             "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"%s\"}\n"
             "{\"name\":\"a\",\"unit\":\"ns\",\"value\":1}\n",
             good[i]);
    qb_err err = QB_ERR_INIT;
    qb_run *run = NULL;
    if (qb_native_parse("h.jsonl", doc, strlen(doc), &run, &err))
      fail_msg("commit \"%s\" refused: %s", good[i], err.msg);
    assert_string_equal(run->commit_sha, good[i]);
    qb_run_free(run);
  }
  /* "" is no commit */
  const char *none = "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"\"}\n"
                     "{\"name\":\"a\",\"unit\":\"ns\",\"value\":1}\n";
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  assert_int_equal(qb_native_parse("h.jsonl", none, strlen(none), &run, &err), 0);
  assert_null(run->commit_sha);
  qb_run_free(run);
}

/* Truncation at every byte of a valid file fails cleanly or parses (no leak, no crash: run this
 * binary under ASan), and *out is NULL on every failure. */
static void test_native__every_prefix(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_file_read(NATDATA "/full.jsonl", QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  for (size_t n = 0; n <= len; n += qbt_step(7)) {
    char *copy = qb_strndup(data, n);
    qb_run *run = (qb_run *)&err;
    int rc = qb_native_parse("full.jsonl", copy, n, &run, &err);
    if (rc) {
      assert_int_equal(rc, QB_EFORMAT);
      assert_null(run);
      assert_non_null(strstr(err.msg, "full.jsonl:"));
    } else {
      assert_non_null(run);
      qb_run_free(run);
    }
    free(copy);
  }
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_native__full),
      cmocka_unit_test(test_native__minimal),
      cmocka_unit_test(test_native__bom_crlf),
      cmocka_unit_test(test_native__demo_runs),
      cmocka_unit_test(test_native__every_prefix),
      cmocka_unit_test(test_native__bad_unknown_unit),
      cmocka_unit_test(test_native__bad_wrong_version),
      cmocka_unit_test(test_native__bad_missing_name),
      cmocka_unit_test(test_native__bad_sample_string),
      cmocka_unit_test(test_native__bad_iters_mismatch),
      cmocka_unit_test(test_native__bad_duplicate_metric),
      cmocka_unit_test(test_native__bad_truncated),
      cmocka_unit_test(test_native__bad_empty),
      cmocka_unit_test(test_native__bad_header_only),
      cmocka_unit_test(test_native__bad_blank_only),
      cmocka_unit_test(test_native__bad_no_header),
      cmocka_unit_test(test_native__bad_no_values),
      cmocka_unit_test(test_native__bad_bad_direction),
      cmocka_unit_test(test_native__bad_unknown_field),
      cmocka_unit_test(test_native__bad_samples_and_value),
      cmocka_unit_test(test_native__bad_iters_zero),
      cmocka_unit_test(test_native__bad_bad_time),
      cmocka_unit_test(test_native__bad_tag_not_string),
      cmocka_unit_test(test_native__bad_group_conflict),
      cmocka_unit_test(test_native__bad_params_conflict),
      cmocka_unit_test(test_native__bad_not_object),
      cmocka_unit_test(test_native__bad_stats_unknown),
      cmocka_unit_test(test_native__bad_stats_type),
      cmocka_unit_test(test_native__bad_trailing_garbage),
      cmocka_unit_test(test_native__bad_iterations_without_samples),
      cmocka_unit_test(test_native__bad_two_headers),
      cmocka_unit_test(test_native__commit_must_be_hex),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

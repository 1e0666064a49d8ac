/* tests/adapters/test_criterion_text.c - the cargo bench stdout adapter
 * (adapters/criterion_text.c).
 *
 * Reference values: the "printed" strings of tests/data/criterion/manifest.json (a copy of the
 * shared suite_a manifest, i.e. exactly what criterion.rs 0.3.6 printed), the "Found N outliers"
 * lines of the stdout files (OUTLIERS below), and small inline inputs written for one feature
 * each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/units.h"
#include "tests/testutil.h"

#define DATA QB_TEST_DATA "/criterion"

/* Outliers from the "Found N outliers among M measurements" lines and their breakdowns in
 * tests/data/criterion/<run>/cargo_bench.stdout.txt (-1: no such line was printed). Columns:
 * total, low severe, low mild, high mild, high severe. */
static const struct {
  const char *run, *name;
  int total, ls, lm, hm, hs;
} OUTLIERS[] = {
    {"run1", "fib 20", 2, 0, 0, 2, 0},
    {"run1", "parse/ints", 2, 0, 0, 1, 1},
    {"run1", "spin 10k", -1, 0, 0, 0, 0},
    {"run1", "sort/100", 1, 0, 1, 0, 0},
    {"run1", "sort/1000", 2, 0, 0, 0, 2},
    {"run1", "sort/10000", 3, 0, 0, 1, 2},
    {"run1", "checksum/fnv1a/65536", 2, 0, 0, 2, 0},
    {"run2", "fib 20", 4, 0, 0, 1, 3},
    {"run2", "parse/ints", 3, 0, 0, 1, 2},
    {"run2", "spin 10k", 2, 0, 0, 1, 1},
    {"run2", "sort/100", -1, 0, 0, 0, 0},
    {"run2", "sort/1000", 1, 0, 0, 0, 1},
    {"run2", "sort/10000", 3, 0, 0, 1, 2},
    {"run2", "checksum/fnv1a/65536", 3, 0, 0, 2, 1},
    {"run2b_compare_baseline", "fib 20", -1, 0, 0, 0, 0},
    {"run2b_compare_baseline", "parse/ints", 2, 0, 0, 1, 1},
    {"run2b_compare_baseline", "spin 10k", 1, 0, 0, 1, 0},
    {"run2b_compare_baseline", "sort/100", 2, 0, 0, 2, 0},
    {"run2b_compare_baseline", "sort/1000", 3, 0, 0, 3, 0},
    {"run2b_compare_baseline", "sort/10000", -1, 0, 0, 0, 0},
    {"run2b_compare_baseline", "checksum/fnv1a/65536", 3, 0, 0, 2, 1},
};

/* Parse data (a string) with the text adapter, failing the test on error. */
static qb_run *parse_ok(const char *path, const char *data) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_criterion_text_parse(path, data, strlen(data), &run, &err);
  if (rc) print_error("%s: rc %d: %s\n", path, rc, err.msg);
  assert_int_equal(rc, 0);
  assert_non_null(run);
  assert_string_equal(run->format, "criterion-text");
  assert_string_equal(run->content_hash, ""); /* the caller hashes file inputs */
  return run;
}

/* Parse the file at path with the text adapter, failing the test on error. */
static qb_run *parse_file_ok(const char *path) {
  qb_err err = QB_ERR_INIT;
  char *data;
  size_t len;
  assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  qb_run *run = parse_ok(path, data);
  free(data);
  return run;
}

/* Parse data, expect code and a message containing every one of the NULL-terminated needles;
 * *out must come back NULL. */
static void expect_error(const char *path, const char *data, size_t len, int code, ...) {
  qb_err err = QB_ERR_INIT;
  qb_run sentinel, *run = &sentinel;
  int rc = qb_criterion_text_parse(path, data, len, &run, &err);
  if (rc != code) print_error("%s: rc %d (want %d): %s\n", path, rc, code, err.msg);
  assert_int_equal(rc, code);
  assert_null(run);
  assert_null(strchr(err.msg, '\n'));
  va_list ap;
  va_start(ap, code);
  for (const char *n; (n = va_arg(ap, const char *));)
    if (!strstr(err.msg, n)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, n);
  va_end(ap);
}

/* Like expect_error for a whole file. */
static void expect_file_error(const char *path, int code, const char *needle) {
  qb_err err = QB_ERR_INIT;
  char *data;
  size_t len;
  assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  expect_error(path, data, len, code, needle, NULL);
  free(data);
}

/* The result of b for metric, or NULL. */
static qb_result *result_of(qb_bench *b, const char *metric) {
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  return NULL;
}

/* A result's extra as a JSON object (new reference; an empty one when there is none). */
static json_t *extra_of(const qb_result *r) {
  if (!r->extra) return json_object();
  json_t *o = json_loads(r->extra, 0, NULL);
  assert_true(json_is_object(o));
  return o;
}

/* Number at obj.k1[.k2] (NAN when missing). */
static double num_at(json_t *obj, const char *k1, const char *k2) {
  json_t *v = json_object_get(obj, k1);
  if (k2) v = json_object_get(v, k2);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Check a change object {"lo","est","hi"} against a printed triple of percentages. */
static void check_change(json_t *change, json_t *printed) {
  assert_non_null(change);
  qbt_check_rel(num_at(change, "lo", NULL),
                qbt_printed_pct(json_string_value(json_array_get(printed, 0))), 1e-9, "change lo");
  qbt_check_rel(num_at(change, "est", NULL),
                qbt_printed_pct(json_string_value(json_array_get(printed, 1))), 1e-9, "change est");
  qbt_check_rel(num_at(change, "hi", NULL),
                qbt_printed_pct(json_string_value(json_array_get(printed, 2))), 1e-9, "change hi");
}

/* The verdict name a printed verdict sentence maps to. */
static const char *verdict_name(const char *printed) {
  if (!strcmp(printed, "Performance has regressed.")) return "regressed";
  if (!strcmp(printed, "Performance has improved.")) return "improved";
  if (!strcmp(printed, "No change in performance detected.")) return "no_change";
  if (!strcmp(printed, "Change within noise threshold.")) return "within_noise";
  fail_msg("unknown verdict %s", printed);
  return NULL;
}

/* Check every benchmark of manifest run id against the text adapter on its stdout. */
static void check_run(const char *id) {
  char path[512];
  json_t *m = json_load_file(DATA "/manifest.json", 0, NULL), *mr = NULL, *r, *mb;
  size_t i;
  assert_non_null(m);
  json_array_foreach(json_object_get(m, "runs"), i, r) {
    if (!strcmp(json_string_value(json_object_get(r, "id")), id)) mr = r;
  }
  assert_non_null(mr);
  snprintf(path, sizeof path, DATA "/%s/cargo_bench.stdout.txt", id);
  qb_run *run = parse_file_ok(path);
  json_t *names = json_object_get(mr, "benchmark_names");
  assert_int_equal(run->n_benches, json_array_size(names));
  for (i = 0; i < run->n_benches; i++) /* in printed order */
    assert_string_equal(run->benches[i].name, json_string_value(json_array_get(names, i)));

  json_array_foreach(json_object_get(mr, "benchmarks"), i, mb) {
    json_t *pr = json_object_get(mb, "printed");
    const char *name = json_string_value(json_object_get(pr, "name"));
    qb_bench *b = qb_run_find_bench(run, name);
    if (!b) fail_msg("%s: %s missing", id, name);
    assert_null(b->group);
    assert_null(b->params);
    qb_result *lat = result_of(b, "latency"), *thr = result_of(b, "throughput");
    assert_non_null(lat);
    assert_string_equal(lat->unit, "ns");
    assert_int_equal(lat->direction, QB_LOWER_IS_BETTER);
    assert_int_equal(lat->n_samples, 0);
    json_t *pt = json_object_get(pr, "time");
    qbt_check_rel(lat->stats.ci_lo, qbt_printed_value(json_string_value(json_array_get(pt, 0))),
                  1e-9, "time lo");
    qbt_check_rel(lat->stats.estimate, qbt_printed_value(json_string_value(json_array_get(pt, 1))),
                  1e-9, "time est");
    qbt_check_rel(lat->stats.ci_hi, qbt_printed_value(json_string_value(json_array_get(pt, 2))),
                  1e-9, "time hi");
    assert_true(isnan(lat->stats.mean) && isnan(lat->stats.median));
    /* n: from "Found N outliers among 20 measurements" or "Collecting 20 samples". */
    assert_int_equal(lat->stats.n, 20);

    json_t *x = extra_of(lat), *tx = NULL;
    int found = 0;
    for (size_t k = 0; k < sizeof OUTLIERS / sizeof OUTLIERS[0]; k++) {
      if (strcmp(OUTLIERS[k].run, id) || strcmp(OUTLIERS[k].name, name)) continue;
      found = 1;
      assert_int_equal(lat->stats.outliers, OUTLIERS[k].total);
      if (OUTLIERS[k].total < 0) {
        assert_null(json_object_get(x, "outliers"));
        continue;
      }
      json_t *o = json_object_get(x, "outliers");
      assert_int_equal(num_at(o, "low_severe", NULL), OUTLIERS[k].ls);
      assert_int_equal(num_at(o, "low_mild", NULL), OUTLIERS[k].lm);
      assert_int_equal(num_at(o, "high_mild", NULL), OUTLIERS[k].hm);
      assert_int_equal(num_at(o, "high_severe", NULL), OUTLIERS[k].hs);
    }
    assert_true(found);

    json_t *ptp = json_object_get(pr, "thrpt");
    if (ptp) {
      assert_non_null(thr);
      assert_string_equal(thr->unit, "B/s");
      assert_int_equal(thr->stats.n, 20);
      assert_int_equal(thr->stats.outliers, -1);
      assert_int_equal(thr->direction, QB_HIGHER_IS_BETTER);
      qbt_check_rel(thr->stats.ci_lo, qbt_printed_value(json_string_value(json_array_get(ptp, 0))),
                    1e-9, "thrpt lo");
      qbt_check_rel(thr->stats.estimate,
                    qbt_printed_value(json_string_value(json_array_get(ptp, 1))), 1e-9,
                    "thrpt est");
      qbt_check_rel(thr->stats.ci_hi, qbt_printed_value(json_string_value(json_array_get(ptp, 2))),
                    1e-9, "thrpt hi");
      tx = extra_of(thr);
    } else {
      assert_null(thr);
      assert_int_equal(b->n_results, 1);
    }

    json_t *pc = json_object_get(pr, "change_time");
    json_t *change = json_object_get(x, "change");
    if (!pc) {
      assert_null(change);
    } else {
      double p, sig;
      char cmp;
      check_change(change, pc);
      assert_int_equal(
          sscanf(json_string_value(json_object_get(pr, "p_value")), "%lf %c %lf", &p, &cmp, &sig),
          3);
      qbt_check_rel(num_at(change, "p", NULL), p, 1e-12, "p");
      qbt_check_rel(num_at(change, "significance", NULL), sig, 1e-12, "significance");
      const char *verdict = verdict_name(json_string_value(json_object_get(pr, "verdict")));
      assert_string_equal(json_string_value(json_object_get(change, "verdict")), verdict);
      json_t *pct = json_object_get(pr, "change_thrpt");
      if (pct) {
        json_t *tc = json_object_get(tx, "change");
        check_change(tc, pct);
        qbt_check_rel(num_at(tc, "p", NULL), p, 1e-12, "thrpt p");
        assert_string_equal(json_string_value(json_object_get(tc, "verdict")), verdict);
      }
    }
    json_decref(x);
    json_decref(tx);
  }
  qb_run_free(run);
  json_decref(m);
}

static void test_criterion_text__run1(void **state) {
  (void)state;
  check_run("run1");
}

static void test_criterion_text__run2(void **state) {
  (void)state;
  check_run("run2");
}

static void test_criterion_text__run2b(void **state) {
  (void)state;
  check_run("run2b_compare_baseline");
}

/* --output-format bencher: median and std_dev truncated to whole ns. */
static void test_criterion_text__run3_bencher(void **state) {
  (void)state;
  json_t *m = json_load_file(DATA "/manifest.json", 0, NULL), *mr = NULL, *r, *mb;
  size_t i;
  json_array_foreach(json_object_get(m, "runs"), i, r) {
    if (!strcmp(json_string_value(json_object_get(r, "id")), "run3_bencher")) mr = r;
  }
  assert_non_null(mr);
  qb_run *run = parse_file_ok(DATA "/run3_bencher/cargo_bench.stdout.txt");
  assert_int_equal(run->n_benches, 7);
  json_array_foreach(json_object_get(mr, "benchmarks"), i, mb) {
    qb_bench *b = qb_run_find_bench(run, json_string_value(json_object_get(mb, "name")));
    assert_non_null(b);
    assert_int_equal(b->n_results, 1);
    qb_result *lat = &b->results[0];
    assert_string_equal(lat->metric, "latency");
    qbt_check_rel(lat->stats.median,
                  strtod(json_string_value(json_object_get(mb, "ns_per_iter")), NULL), 0,
                  "bencher median");
    qbt_check_rel(lat->stats.stddev,
                  strtod(json_string_value(json_object_get(mb, "plus_minus")), NULL), 0,
                  "bencher std_dev");
    assert_true(isnan(lat->stats.estimate));
    assert_string_equal(lat->extra, "{\"bencher\":true}");
  }
  qb_run_free(run);
  json_decref(m);
}

/* A name longer than 23 characters is printed on its own line. */
static void test_criterion_text__long_name(void **state) {
  (void)state;
  qb_run *run = parse_ok("long.txt", "Benchmarking a rather long benchmark name/with params\n"
                                     "Benchmarking a rather long benchmark name/with params: "
                                     "Collecting 100 samples in estimated 5.0 s (1M iterations)\n"
                                     "Benchmarking a rather long benchmark name/with params: "
                                     "Analyzing\n"
                                     "a rather long benchmark name/with params\n"
                                     "                        time:   [999.87 ns 1.0001 µs "
                                     "1.0023 us]\n"
                                     "                        thrpt:  [977.65 Kelem/s 999.90 "
                                     "Kelem/s 1.0001 Melem/s]\n"
                                     "short                   time:   [1.5000 ps 2.0 ns 1.5 ms]\n");
  assert_int_equal(run->n_benches, 2);
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->name, "a rather long benchmark name/with params");
  qb_result *r = &b->results[0];
  qbt_check_rel(r->stats.ci_lo, 999.87, 1e-12, "ns");
  qbt_check_rel(r->stats.estimate, 1000.1, 1e-12, "µs");
  qbt_check_rel(r->stats.ci_hi, 1002.3, 1e-12, "us");
  assert_int_equal(r->stats.n, 100);
  assert_int_equal(r->stats.outliers, -1);
  r = &b->results[1];
  assert_string_equal(r->metric, "throughput");
  assert_string_equal(r->unit, "1/s");
  qbt_check_rel(r->stats.ci_lo, 977650.0, 1e-12, "Kelem/s");
  qbt_check_rel(r->stats.ci_hi, 1000100.0, 1e-12, "Melem/s");
  r = &run->benches[1].results[0];
  assert_string_equal(run->benches[1].name, "short");
  qbt_check_rel(r->stats.ci_lo, 1.5e-3, 1e-12, "ps");
  qbt_check_rel(r->stats.ci_hi, 1.5e6, 1e-12, "ms");
  assert_int_equal(r->stats.n, -1);
  qb_run_free(run);
}

/* Terminal output: carriage-return overwrites and ANSI colours are undone. */
static void test_criterion_text__terminal_output(void **state) {
  (void)state;
  qb_run *run =
      parse_ok("tty.txt", "Benchmarking fib 20: Warming up for 3.0000 s\r\x1b[2KBenchmarking fib "
                          "20: Analyzing\r\x1b[2K\x1b[32mfib 20\x1b[0m                  time:   "
                          "[\x1b[1m15.633 µs\x1b[0m \x1b[1m15.736 µs\x1b[0m 15.841 µs]\r\n"
                          "                        change: [\x1b[31m+1.1226%\x1b[0m "
                          "\x1b[1m+5.4080%\x1b[0m +11.306%] (p = 0.03 < 0.05)\r\n"
                          "                        \x1b[31mPerformance has regressed.\x1b[0m\r\n");
  assert_int_equal(run->n_benches, 1);
  assert_string_equal(run->benches[0].name, "fib 20");
  qb_result *r = &run->benches[0].results[0];
  qbt_check_rel(r->stats.estimate, 15736.0, 1e-12, "estimate");
  json_t *x = extra_of(r), *c = json_object_get(x, "change");
  qbt_check_rel(num_at(c, "lo", NULL), 0.011226, 1e-12, "lo");
  qbt_check_rel(num_at(c, "est", NULL), 0.054080, 1e-12, "est");
  qbt_check_rel(num_at(c, "hi", NULL), 0.11306, 1e-12, "hi");
  qbt_check_rel(num_at(c, "p", NULL), 0.03, 1e-12, "p");
  qbt_check_rel(num_at(c, "significance", NULL), 0.05, 1e-12, "significance");
  assert_string_equal(json_string_value(json_object_get(c, "verdict")), "regressed");
  json_decref(x);
  qb_run_free(run);
}

/* libtest-style bencher lines (thousands separators, decimals) and noise lines. */
static void test_criterion_text__bencher_variants(void **state) {
  (void)state;
  qb_run *run =
      parse_ok("libtest.txt", "running 3 tests\n"
                              "test tests::ignored ... ignored\n"
                              "test bench_big   ... bench:   1,234,567 ns/iter (+/- 8,901)\n"
                              "test bench_small ... bench:       12.50 ns/iter (+/- 0.25)\n"
                              "\n"
                              "test result: ok. 0 passed; 0 failed; 1 ignored\n");
  assert_int_equal(run->n_benches, 2);
  qbt_check_rel(run->benches[0].results[0].stats.median, 1234567.0, 0, "commas");
  qbt_check_rel(run->benches[0].results[0].stats.stddev, 8901.0, 0, "commas");
  qbt_check_rel(run->benches[1].results[0].stats.median, 12.5, 0, "decimals");
  qb_run_free(run);
}

/* Duplicate benchmark names are refused here, naming both lines. */
static void test_criterion_text__duplicate_name(void **state) {
  (void)state;
  const char *s = "fib 20                  time:   [1.0 ns 2.0 ns 3.0 ns]\n"
                  "\n"
                  "fib 20                  time:   [1.0 ns 2.0 ns 3.0 ns]\n";
  expect_error("dup.txt", s, strlen(s), QB_EFORMAT,
               "dup.txt:3: duplicate benchmark \"fib 20\" (first at line 1)", NULL);
}

static void test_criterion_text__bad_empty(void **state) {
  (void)state;
  expect_file_error(DATA "/bad/empty.txt", QB_EFORMAT, "bad/empty.txt: no criterion results found");
  expect_file_error(DATA "/bad/no_results.txt", QB_EFORMAT,
                    "bad/no_results.txt: no criterion results found");
  expect_error("null.txt", "", 0, QB_EFORMAT, "null.txt: no criterion results found", NULL);
}

static void test_criterion_text__bad_time_line(void **state) {
  (void)state;
  expect_file_error(DATA "/bad/broken_time.txt", QB_EFORMAT,
                    "bad/broken_time.txt:7: time: unknown unit \"xs\"");
  expect_file_error(DATA "/bad/two_values.txt", QB_EFORMAT,
                    "bad/two_values.txt:1: time: expected 3 values in [...], got 2");
}

/* Malformed lines that start like result lines: each error names the line and the field. */
static void test_criterion_text__bad_lines(void **state) {
  (void)state;
  static const struct {
    const char *text, *needle;
  } CASES[] = {
      {"a time: [1 ns 2 ns 3 ns 4 ns]\n", "x.txt:1: time: expected 3 values in [...], got more"},
      {"a time: [1 ns 2 ns 3 ns\n", "x.txt:1: time: missing ']'"},
      {"a time: [1 ns abc 3 ns]\n", "x.txt:1: time: expected a number, got \"abc\""},
      {"a time: [1 ns 2 3 ns]\n", "x.txt:1: time: unknown unit \"3\""},
      {"a time: [1 MiB/s 2 ns 3 ns]\n", "x.txt:1: time: unit \"MiB/s\" is not a time"},
      {"\n\n   time:   [1 ns 2 ns 3 ns]\n",
       "x.txt:3: time: no benchmark name on this line or the line before"},
      {"a time: [1 ns 2 ns 3 ns]\n  thrpt: [1 MiB/s 2 Kelem/s 3 MiB/s]\n",
       "x.txt:2: thrpt: unit \"Kelem/s\" is not the same kind of rate"},
      {"a time: [1 ns 2 ns 3 ns]\n  thrpt: [1 ns 2 ns 3 ns]\n",
       "x.txt:2: thrpt: unit \"ns\" is not a rate"},
      {"thrpt: [1 MiB/s 2 MiB/s 3 MiB/s]\n", "x.txt:1: thrpt: no benchmark time line before it"},
      {"change: [+1% +2% +3%] (p = 0.01 < 0.05)\n",
       "x.txt:1: change: no benchmark time line before it"},
      {"a time: [1 ns 2 ns 3 ns]\n  change: [+1% 2 +3%] (p = 0.01 < 0.05)\n",
       "x.txt:2: change: expected a percentage, got \"2\""},
      {"a time: [1 ns 2 ns 3 ns]\n  change: [+1% +2% +3%] (p = x)\n",
       "x.txt:2: change: expected \"(p = P < S)\" after ']'"},
      {"a time: [1 ns 2 ns 3 ns]\n  change:\n  time: [1 ns 2 ns 3 ns]\n",
       "x.txt:3: time: expected a percentage, got \"1\""},
      {"a time: [1 ns 2 ns 3 ns]\nFound x outliers among 20 measurements (5.00%)\n",
       "x.txt:2: outliers: expected \"Found N outliers among M measurements\""},
      {"test a ... bench: 12 ms/iter (+/- 3)\n",
       "x.txt:1: bench: expected ns/iter, got \"ms/iter\""},
      {"test a ... bench: twelve ns/iter (+/- 3)\n",
       "x.txt:1: bench: expected a number, got \"twelve\""},
      {"test a ... bench: 12 ns/iter (+- 3)\n", "x.txt:1: bench: expected \"(+/- N)\""},
  };
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
    expect_error("x.txt", CASES[i].text, strlen(CASES[i].text), QB_EFORMAT, CASES[i].needle, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_criterion_text__run1),
      cmocka_unit_test(test_criterion_text__run2),
      cmocka_unit_test(test_criterion_text__run2b),
      cmocka_unit_test(test_criterion_text__run3_bencher),
      cmocka_unit_test(test_criterion_text__long_name),
      cmocka_unit_test(test_criterion_text__terminal_output),
      cmocka_unit_test(test_criterion_text__bencher_variants),
      cmocka_unit_test(test_criterion_text__duplicate_name),
      cmocka_unit_test(test_criterion_text__bad_empty),
      cmocka_unit_test(test_criterion_text__bad_time_line),
      cmocka_unit_test(test_criterion_text__bad_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

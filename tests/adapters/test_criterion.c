/* tests/adapters/test_criterion.c - the criterion directory adapter (adapters/criterion.c).
 *
 * Reference values: tests/data/criterion/manifest.json (a copy of the shared suite_a manifest:
 * the numbers criterion.rs 0.3.6 wrote and printed), the "Found N outliers" lines of the
 * suite_a stdout files (OUTLIERS below), the realworld SOURCE.json files (read in place), and
 * small hand-made trees under tests/data/criterion/{bad,synthetic,legacy}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/sha256.h"
#include "core/units.h"
#include "tests/testutil.h"

#define DATA      QB_TEST_DATA "/criterion"
#define REALWORLD QB_SHARED_FIXTURES "/criterion/realworld"

/* Relative tolerance of the printed numbers: criterion prints 5 significant digits, so the
 * rounding error is at most half a unit in the 5th digit (5e-5 of the value). */
#define PRINTED_TOL 5.01e-5

/* Outlier counts from the "Found N outliers among 20 measurements" lines of
 * tests/data/criterion/<run>/cargo_bench.stdout.txt; 0 where criterion printed no such line. */
static const struct {
  const char *run, *name;
  int outliers;
} OUTLIERS[] = {
    {"run1", "fib 20", 2},
    {"run1", "parse/ints", 2},
    {"run1", "spin 10k", 0},
    {"run1", "sort/100", 1},
    {"run1", "sort/1000", 2},
    {"run1", "sort/10000", 3},
    {"run1", "checksum/fnv1a/65536", 2},
    {"run2", "fib 20", 4},
    {"run2", "parse/ints", 3},
    {"run2", "spin 10k", 2},
    {"run2", "sort/100", 0},
    {"run2", "sort/1000", 1},
    {"run2", "sort/10000", 3},
    {"run2", "checksum/fnv1a/65536", 3},
    {"run2b_compare_baseline", "fib 20", 0},
    {"run2b_compare_baseline", "parse/ints", 2},
    {"run2b_compare_baseline", "spin 10k", 1},
    {"run2b_compare_baseline", "sort/100", 2},
    {"run2b_compare_baseline", "sort/1000", 3},
    {"run2b_compare_baseline", "sort/10000", 0},
    {"run2b_compare_baseline", "checksum/fnv1a/65536", 3},
};

/* The manifest copy in tests/data/criterion (new reference). */
static json_t *load_manifest(void) {
  json_error_t je;
  json_t *m = json_load_file(DATA "/manifest.json", 0, &je);
  if (!m) print_error("manifest.json:%d: %s\n", je.line, je.text);
  assert_non_null(m);
  return m;
}

/* The manifest entry of run id (borrowed). */
static json_t *manifest_run(json_t *m, const char *id) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(m, "runs"), i, r) {
    if (!strcmp(json_string_value(json_object_get(r, "id")), id)) return r;
  }
  fail_msg("run %s not in the manifest", id);
  return NULL;
}

/* Parse dir with the directory adapter, failing the test with the message on error. */
static qb_run *parse_dir_ok(const char *dir) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_criterion_dir_parse(dir, &run, &err);
  if (rc) print_error("%s: rc %d: %s\n", dir, rc, err.msg);
  assert_int_equal(rc, 0);
  assert_non_null(run);
  return run;
}

/* Parse a whole file with the text adapter, failing the test on error. */
static qb_run *parse_text_ok(const char *path) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  char *data;
  size_t len;
  assert_int_equal(qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  int rc = qb_criterion_text_parse(path, data, len, &run, &err);
  if (rc) print_error("%s: rc %d: %s\n", path, rc, err.msg);
  free(data);
  assert_int_equal(rc, 0);
  return run;
}

/* The result of b for metric, or NULL. */
static qb_result *result_of(qb_bench *b, const char *metric) {
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  return NULL;
}

/* Parse an extra/params JSON text (new reference; fails the test when it is not an object). */
static json_t *parse_obj(const char *text) {
  assert_non_null(text);
  json_t *o = json_loads(text, 0, NULL);
  assert_true(json_is_object(o));
  return o;
}

/* Like parse_obj, but NULL text (no extra) gives an empty object. */
static json_t *extra_obj(const char *text) {
  return text ? parse_obj(text) : json_object();
}

/* extra.<a>.<b>.point_estimate style lookups: the number at obj/k1/k2 (NAN when missing). */
static double num_at(json_t *obj, const char *k1, const char *k2) {
  json_t *v = json_object_get(obj, k1);
  if (k2) v = json_object_get(v, k2);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The expected outlier count of name in run (from OUTLIERS). */
static int expected_outliers(const char *run, const char *name) {
  for (size_t i = 0; i < sizeof OUTLIERS / sizeof OUTLIERS[0]; i++)
    if (!strcmp(OUTLIERS[i].run, run) && !strcmp(OUTLIERS[i].name, name))
      return OUTLIERS[i].outliers;
  fail_msg("no outlier count for %s %s", run, name);
  return -1;
}

/* Check every benchmark of manifest run id against the directory adapter's run. */
static void check_suite_run(const char *id) {
  char dir[512];
  json_t *m = load_manifest(), *mr = manifest_run(m, id), *mb;
  snprintf(dir, sizeof dir, DATA "/%s", id);
  qb_run *run = parse_dir_ok(dir);
  size_t i;

  assert_string_equal(run->format, "criterion");
  assert_string_equal(run->tool_version, "criterion");
  assert_int_equal(strlen(run->content_hash), 64);
  assert_null(run->commit_sha);
  assert_null(run->branch);
  assert_null(run->machine);
  assert_int_equal(run->n_benches, json_integer_value(json_object_get(mr, "benchmark_count")));
  for (i = 1; i < run->n_benches; i++) /* sorted by full_id */
    assert_true(strcmp(run->benches[i - 1].name, run->benches[i].name) < 0);

  json_array_foreach(json_object_get(mr, "benchmarks"), i, mb) {
    const char *full_id = json_string_value(json_object_get(mb, "full_id"));
    qb_bench *b = qb_run_find_bench(run, full_id);
    if (!b) fail_msg("%s: benchmark %s missing", id, full_id);
    json_t *est = json_object_get(mb, "estimates");
    json_t *ci = json_object_get(json_object_get(mb, "confidence_intervals"), "slope");
    json_t *vs = json_object_get(mb, "value_str"), *tp = json_object_get(mb, "throughput");

    assert_string_equal(b->group, json_string_value(json_object_get(mb, "group_id")));
    if (json_is_null(vs)) {
      assert_null(b->params);
    } else {
      json_t *p = parse_obj(b->params), *v = json_object_get(p, "value");
      assert_true(json_is_number(v)); /* suite_a's values are all numbers */
      qbt_check_rel(json_number_value(v), strtod(json_string_value(vs), NULL), 0, "params.value");
      json_decref(p);
    }
    json_t *bx = parse_obj(b->extra);
    assert_string_equal(json_string_value(json_object_get(bx, "directory_name")),
                        json_string_value(json_object_get(mb, "directory_name")));
    assert_string_equal(json_string_value(json_object_get(bx, "title")),
                        json_string_value(json_object_get(mb, "title")));
    if (json_is_null(tp))
      assert_null(json_object_get(bx, "throughput"));
    else
      assert_true(json_equal(json_object_get(bx, "throughput"), tp));
    json_decref(bx);

    qb_result *r = result_of(b, "latency");
    assert_non_null(r);
    assert_string_equal(r->unit, "ns");
    assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
    qbt_check_rel(r->stats.mean, num_at(est, "mean", NULL), 1e-9, "mean");
    qbt_check_rel(r->stats.median, num_at(est, "median", NULL), 1e-9, "median");
    qbt_check_rel(r->stats.stddev, num_at(est, "std_dev", NULL), 1e-9, "std_dev");
    qbt_check_rel(r->stats.estimate, num_at(est, "slope", NULL), 1e-9, "slope");
    qbt_check_rel(r->stats.ci_lo, json_number_value(json_array_get(ci, 0)), 1e-9, "slope ci lo");
    qbt_check_rel(r->stats.ci_hi, json_number_value(json_array_get(ci, 1)), 1e-9, "slope ci hi");
    assert_true(isnan(r->stats.min) && isnan(r->stats.p95)); /* left to ingest */
    size_t n = (size_t)json_integer_value(json_object_get(mb, "samples"));
    assert_int_equal(r->n_samples, n);
    assert_int_equal(r->stats.n, n);
    assert_non_null(r->iters);
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++) total += r->iters[k];
    qbt_check_rel((double)total, json_number_value(json_object_get(mb, "total_iterations")), 0,
                  "total iterations");
    assert_int_equal(r->stats.outliers, expected_outliers(id, full_id));

    json_t *x = parse_obj(r->extra);
    assert_string_equal(json_string_value(json_object_get(x, "sampling_mode")),
                        json_string_value(json_object_get(mb, "sampling_mode")));
    qbt_check_rel(num_at(json_object_get(x, "estimates"), "median_abs_dev", "point_estimate"),
                  num_at(est, "median_abs_dev", NULL), 1e-9, "extra estimates.median_abs_dev");
    assert_int_equal(json_array_size(json_object_get(x, "tukey")), 4);
    json_t *ce = json_object_get(mb, "change_estimates");
    if (ce) {
      qbt_check_rel(num_at(json_object_get(x, "change"), "mean", "point_estimate"),
                    num_at(ce, "mean", NULL), 1e-9, "change mean");
      qbt_check_rel(num_at(json_object_get(x, "change"), "median", "point_estimate"),
                    num_at(ce, "median", NULL), 1e-9, "change median");
    } else {
      assert_null(json_object_get(x, "change"));
    }
    json_decref(x);

    qb_result *t = result_of(b, "throughput");
    if (json_is_null(tp)) {
      assert_null(t);
      assert_int_equal(b->n_results, 1);
      continue;
    }
    /* Throughput::Bytes(65536): must reproduce the printed thrpt triple. */
    double bytes = num_at(tp, "Bytes", NULL);
    json_t *pr = json_object_get(json_object_get(mb, "printed"), "thrpt");
    assert_non_null(t);
    assert_string_equal(t->unit, "B/s");
    assert_int_equal(t->direction, QB_HIGHER_IS_BETTER);
    qbt_check_rel(t->stats.ci_lo, qbt_printed_value(json_string_value(json_array_get(pr, 0))),
                  PRINTED_TOL, "thrpt lo");
    qbt_check_rel(t->stats.estimate, qbt_printed_value(json_string_value(json_array_get(pr, 1))),
                  PRINTED_TOL, "thrpt est");
    qbt_check_rel(t->stats.ci_hi, qbt_printed_value(json_string_value(json_array_get(pr, 2))),
                  PRINTED_TOL, "thrpt hi");
    assert_true(isnan(t->stats.mean) && isnan(t->stats.median));
    assert_int_equal(t->n_samples, n);
    for (size_t k = 0; k < n; k++) {
      qbt_check_rel(t->samples[k], bytes * 1e9 / r->samples[k], 1e-12, "thrpt sample");
      assert_int_equal(t->iters[k], r->iters[k]);
    }
  }
  qb_run_free(run);
  json_decref(m);
}

static void test_criterion__suite_a_run1(void **state) {
  (void)state;
  check_suite_run("run1");
}

static void test_criterion__suite_a_run2(void **state) {
  (void)state;
  check_suite_run("run2");
}

static void test_criterion__suite_a_run2b(void **state) {
  (void)state;
  check_suite_run("run2b_compare_baseline");
}

/* Samples are times[i] / iters[i], straight from sample.json. */
static void test_criterion__samples_per_iteration(void **state) {
  (void)state;
  json_t *s = json_load_file(DATA "/run1/target/criterion/fib 20/new/sample.json", 0, NULL);
  assert_non_null(s);
  qb_run *run = parse_dir_ok(DATA "/run1/target/criterion/fib 20");
  assert_int_equal(run->n_benches, 1);
  qb_result *r = &run->benches[0].results[0];
  json_t *iters = json_object_get(s, "iters"), *times = json_object_get(s, "times");
  assert_int_equal(r->n_samples, json_array_size(iters));
  for (size_t i = 0; i < r->n_samples; i++) {
    double it = json_number_value(json_array_get(iters, i));
    assert_int_equal(r->iters[i], (uint64_t)it);
    qbt_check_rel(r->samples[i], json_number_value(json_array_get(times, i)) / it, 1e-15, "sample");
  }
  qb_run_free(run);
  json_decref(s);
}

/* Every way of naming the tree gives the same run; the hash is the tree's, not the path's. */
static void test_criterion__entry_points(void **state) {
  (void)state;
  qb_run *a = parse_dir_ok(DATA "/run1");
  qb_run *b = parse_dir_ok(DATA "/run1/target/criterion");
  qb_run *c = parse_dir_ok(DATA "/run1/target/criterion/");
  assert_int_equal(a->n_benches, 7);
  assert_int_equal(b->n_benches, 7);
  assert_string_equal(a->content_hash, b->content_hash);
  assert_string_equal(a->content_hash, c->content_hash);
  for (size_t i = 0; i < 7; i++) assert_string_equal(a->benches[i].name, b->benches[i].name);
  qb_run_free(a);
  qb_run_free(b);
  qb_run_free(c);

  /* One benchmark's directory; a nested id ("sort" holds sort/100, sort/1000, sort/10000). */
  a = parse_dir_ok(DATA "/run1/target/criterion/checksum/fnv1a/65536");
  assert_int_equal(a->n_benches, 1);
  assert_string_equal(a->benches[0].name, "checksum/fnv1a/65536");
  qb_run_free(a);
  a = parse_dir_ok(DATA "/run1/target/criterion/sort");
  assert_int_equal(a->n_benches, 3);
  assert_string_equal(a->benches[0].name, "sort/100");
  assert_string_equal(a->benches[1].name, "sort/1000");
  assert_string_equal(a->benches[2].name, "sort/10000");
  qb_run_free(a);

  /* A directory holding criterion/ (synthetic). */
  a = parse_dir_ok(DATA "/synthetic");
  assert_int_equal(a->n_benches, 3);
  qb_run_free(a);
}

static void test_criterion__probe(void **state) {
  (void)state;
  assert_int_equal(qb_criterion_dir_probe(DATA "/run1"), 1);
  assert_int_equal(qb_criterion_dir_probe(DATA "/run2/target/criterion"), 1);
  assert_int_equal(qb_criterion_dir_probe(DATA "/run1/target/criterion/fib 20"), 1);
  assert_int_equal(qb_criterion_dir_probe(DATA "/synthetic"), 1);
  assert_int_equal(qb_criterion_dir_probe(DATA "/legacy"), 1);
  assert_int_equal(qb_criterion_dir_probe(DATA "/bad/no_criterion"), 0);
  assert_int_equal(qb_criterion_dir_probe(DATA "/run3_bencher"), 0);
  assert_int_equal(qb_criterion_dir_probe(DATA "/does-not-exist"), 0);
  assert_int_equal(qb_criterion_dir_probe(DATA "/manifest.json"), 0);
}

/* Make every directory of path (like mkdir -p). */
static void mkdirs(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0755);
      *p = '/';
    }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", buf, strerror(errno));
}

/* Write text to path. */
static void write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) fail_msg("cannot write %s: %s", path, strerror(errno));
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

/* Copy file src to dst. */
static void copy_file(const char *src, const char *dst) {
  qb_err err = QB_ERR_INIT;
  char *data;
  size_t len;
  assert_int_equal(qb_file_read(src, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  write_file(dst, data, len);
  free(data);
}

static const char *const LEGACY_FILES[] = {"benchmark.json", "estimates.json", "sample.json",
                                           "tukey.json"};

/* Same tree, same hash; the hash is sha256 over "rel NUL bytes NUL" in path order; any changed
 * byte changes it; run1 and run2 differ. */
static void test_criterion__content_hash(void **state) {
  (void)state;
  char src[512], dst[512];
  qb_run *a = parse_dir_ok(DATA "/legacy"), *b;

  /* Recompute the hash independently. */
  qb_sha256 h;
  qb_sha256_init(&h);
  for (size_t i = 0; i < 4; i++) {
    char rel[256], *data;
    size_t len;
    qb_err err = QB_ERR_INIT;
    snprintf(rel, sizeof rel, "old bench/new/%s", LEGACY_FILES[i]);
    snprintf(src, sizeof src, DATA "/legacy/target/criterion/%s", rel);
    assert_int_equal(qb_file_read(src, QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
    qb_sha256_update(&h, rel, strlen(rel) + 1);
    qb_sha256_update(&h, data, len);
    qb_sha256_update(&h, "", 1);
    free(data);
  }
  char hex[65];
  qb_sha256_hex(&h, hex);
  assert_string_equal(a->content_hash, hex);

  /* A copy elsewhere hashes the same; one changed byte changes the hash. */
  mkdirs(QB_TEST_TMP "/criterion_hash/target/criterion/old bench/new");
  for (size_t i = 0; i < 4; i++) {
    snprintf(src, sizeof src, DATA "/legacy/target/criterion/old bench/new/%s", LEGACY_FILES[i]);
    snprintf(dst, sizeof dst, QB_TEST_TMP "/criterion_hash/target/criterion/old bench/new/%s",
             LEGACY_FILES[i]);
    copy_file(src, dst);
  }
  b = parse_dir_ok(QB_TEST_TMP "/criterion_hash");
  assert_string_equal(a->content_hash, b->content_hash);
  qb_run_free(b);
  const char *tukey = "[90.0,95.0,105.0,110.5]";
  write_file(QB_TEST_TMP "/criterion_hash/target/criterion/old bench/new/tukey.json", tukey,
             strlen(tukey));
  b = parse_dir_ok(QB_TEST_TMP "/criterion_hash");
  assert_string_not_equal(a->content_hash, b->content_hash);
  qb_run_free(b);
  qb_run_free(a);

  a = parse_dir_ok(DATA "/run1");
  b = parse_dir_ok(DATA "/run1");
  assert_string_equal(a->content_hash, b->content_hash);
  qb_run_free(b);
  b = parse_dir_ok(DATA "/run2");
  assert_string_not_equal(a->content_hash, b->content_hash);
  qb_run_free(b);
  qb_run_free(a);
}

/* Hand-made tree: Elements throughput, Flat sampling, fractional and text value_str, a
 * benchmark without tukey.json. */
static void test_criterion__synthetic(void **state) {
  (void)state;
  qb_run *run = parse_dir_ok(DATA "/synthetic");
  assert_int_equal(run->n_benches, 3);
  assert_string_equal(run->benches[0].name, "lines/007");
  assert_string_equal(run->benches[1].name, "lines/1.5");
  assert_string_equal(run->benches[2].name, "lines/big");

  /* "007" is not a JSON number: kept as text. An unknown throughput kind: no throughput
   * result, but kept in the bench extra as written. */
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->params, "{\"value\":\"007\"}");
  assert_int_equal(b->n_results, 1);
  json_t *bx = parse_obj(b->extra);
  assert_int_equal(num_at(json_object_get(bx, "throughput"), "ElementsAndBytes", "bytes"), 80);
  json_decref(bx);

  b = &run->benches[1];
  assert_string_equal(b->group, "lines");
  assert_string_equal(b->params, "{\"value\":1.5}");
  qb_result *r = result_of(b, "latency"), *t = result_of(b, "throughput");
  assert_non_null(r);
  assert_non_null(t);
  /* Flat: the headline estimate and its CI are the mean's. */
  qbt_check_rel(r->stats.estimate, 1100.0, 0, "flat estimate");
  qbt_check_rel(r->stats.ci_lo, 950.0, 0, "flat ci lo");
  qbt_check_rel(r->stats.ci_hi, 1300.0, 0, "flat ci hi");
  assert_int_equal(r->n_samples, 5);
  qbt_check_rel(r->samples[4], 2000.0, 0, "sample 4");
  assert_int_equal(r->stats.outliers, 1); /* 2000 > high severe fence 1300 */
  json_t *x = parse_obj(r->extra);
  assert_string_equal(json_string_value(json_object_get(x, "sampling_mode")), "Flat");
  assert_true(json_is_null(json_object_get(json_object_get(x, "estimates"), "slope")));
  assert_int_equal(num_at(x, "outliers", "high_severe"), 1);
  assert_int_equal(num_at(x, "outliers", "high_mild"), 0);
  json_decref(x);
  /* Elements(1000): rate in 1/s = 1000 * 1e9 / ns; the CI bounds swap. */
  assert_string_equal(t->unit, "1/s");
  assert_int_equal(t->direction, QB_HIGHER_IS_BETTER);
  qbt_check_rel(t->stats.estimate, 1e12 / 1100.0, 1e-15, "elements estimate");
  qbt_check_rel(t->stats.ci_lo, 1e12 / 1300.0, 1e-15, "elements ci lo");
  qbt_check_rel(t->stats.ci_hi, 1e12 / 950.0, 1e-15, "elements ci hi");
  qbt_check_rel(t->samples[1], 1e12 / 1050.0, 1e-15, "elements sample");
  assert_int_equal(t->iters[1], 2);
  assert_int_equal(t->stats.outliers, -1);

  b = &run->benches[2];
  assert_string_equal(b->params, "{\"value\":\"big\"}");
  assert_int_equal(b->n_results, 1);
  r = &b->results[0];
  assert_int_equal(r->stats.outliers, -1); /* no tukey.json */
  x = parse_obj(r->extra);
  assert_null(json_object_get(x, "tukey"));
  assert_null(json_object_get(x, "outliers"));
  json_decref(x);
  x = parse_obj(b->extra);
  assert_string_equal(json_string_value(json_object_get(x, "value_str")), "big");
  assert_null(json_object_get(x, "function_id")); /* null in benchmark.json: left out */
  json_decref(x);
  qb_run_free(run);
}

/* The older layout (criterion 0.2 / 0.3.0-0.3.3): [iters, times] and capitalised keys. */
static void test_criterion__legacy_layout(void **state) {
  (void)state;
  qb_run *run = parse_dir_ok(DATA "/legacy");
  assert_int_equal(run->n_benches, 1);
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->name, "old bench");
  qb_result *r = &b->results[0];
  assert_int_equal(r->n_samples, 3);
  assert_int_equal(r->iters[2], 30);
  qbt_check_rel(r->samples[1], 102.5, 0, "legacy sample");
  qbt_check_rel(r->stats.estimate, 99.0, 0, "legacy slope");
  qbt_check_rel(r->stats.mean, 100.0, 0, "legacy mean");
  qbt_check_rel(r->stats.stddev, 2.0, 0, "legacy std dev");
  assert_int_equal(r->stats.outliers, 0);
  json_t *x = parse_obj(r->extra);
  assert_null(json_object_get(x, "sampling_mode"));
  json_decref(x);
  qb_run_free(run);
}

/* Both the text and the directory adapter on the same run agree within the printed rounding;
 * the printed numbers agree with estimates.json; outliers agree with criterion's own count. */
static void cross_check_run(const char *id) {
  char dir[512], txt[512];
  snprintf(dir, sizeof dir, DATA "/%s", id);
  snprintf(txt, sizeof txt, DATA "/%s/cargo_bench.stdout.txt", id);
  qb_run *d = parse_dir_ok(dir), *t = parse_text_ok(txt);
  assert_int_equal(d->n_benches, t->n_benches);
  for (size_t i = 0; i < t->n_benches; i++) {
    qb_bench *tb = &t->benches[i], *db = qb_run_find_bench(d, tb->name);
    assert_non_null(db);
    assert_int_equal(tb->n_results, db->n_results);
    for (size_t k = 0; k < tb->n_results; k++) {
      qb_result *tr = &tb->results[k], *dr = result_of(db, tr->metric);
      assert_non_null(dr);
      assert_string_equal(tr->unit, dr->unit);
      qbt_check_rel(tr->stats.estimate, dr->stats.estimate, PRINTED_TOL, "text vs dir estimate");
      qbt_check_rel(tr->stats.ci_lo, dr->stats.ci_lo, PRINTED_TOL, "text vs dir ci lo");
      qbt_check_rel(tr->stats.ci_hi, dr->stats.ci_hi, PRINTED_TOL, "text vs dir ci hi");
    }
    qb_result *tr = &tb->results[0], *dr = result_of(db, "latency");
    assert_int_equal(tr->stats.n, dr->stats.n);
    json_t *tx = extra_obj(tr->extra), *dx = parse_obj(dr->extra);
    if (tr->stats.outliers >= 0) {
      assert_int_equal(tr->stats.outliers, dr->stats.outliers);
      assert_true(json_equal(json_object_get(tx, "outliers"), json_object_get(dx, "outliers")));
    } else {
      assert_int_equal(dr->stats.outliers, 0); /* criterion prints no line for 0 outliers */
    }
    double tc = num_at(tx, "change", "est");
    double dc = num_at(json_object_get(dx, "change"), "mean", "point_estimate");
    assert_int_equal(isnan(tc), isnan(dc));
    if (!isnan(tc)) { /* percent printed with 4 decimals (<10%), 3 (<100%)... */
      double tol = 5.01e-5 * fmax(1.0, fabs(dc * 100.0)) / 100.0;
      if (!(fabs(tc - dc) <= tol)) fail_msg("%s change: text %.9g dir %.9g", tb->name, tc, dc);
    }
    json_decref(tx);
    json_decref(dx);
  }
  qb_run_free(d);
  qb_run_free(t);
}

static void test_criterion__cross_check_text(void **state) {
  (void)state;
  cross_check_run("run1");
  cross_check_run("run2");
  cross_check_run("run2b_compare_baseline");
}

/* The printed time triple of every benchmark is the estimate and CI the adapter gives. */
static void test_criterion__printed_matches_estimate(void **state) {
  (void)state;
  static const char *const RUNS[] = {"run1", "run2", "run2b_compare_baseline"};
  json_t *m = load_manifest();
  for (size_t ri = 0; ri < 3; ri++) {
    char dir[512];
    snprintf(dir, sizeof dir, DATA "/%s", RUNS[ri]);
    qb_run *run = parse_dir_ok(dir);
    size_t i;
    json_t *mb;
    json_array_foreach(json_object_get(manifest_run(m, RUNS[ri]), "benchmarks"), i, mb) {
      qb_bench *b = qb_run_find_bench(run, json_string_value(json_object_get(mb, "full_id")));
      json_t *pt = json_object_get(json_object_get(mb, "printed"), "time");
      qb_result *r = result_of(b, "latency");
      qbt_check_rel(r->stats.ci_lo, qbt_printed_value(json_string_value(json_array_get(pt, 0))),
                    PRINTED_TOL, "printed lo");
      qbt_check_rel(r->stats.estimate, qbt_printed_value(json_string_value(json_array_get(pt, 1))),
                    PRINTED_TOL, "printed estimate");
      qbt_check_rel(r->stats.ci_hi, qbt_printed_value(json_string_value(json_array_get(pt, 2))),
                    PRINTED_TOL, "printed hi");
      json_t *pc = json_object_get(json_object_get(mb, "printed"), "change_time");
      if (pc) {
        json_t *x = parse_obj(r->extra);
        double c = num_at(json_object_get(x, "change"), "mean", "point_estimate");
        double want = qbt_printed_pct(json_string_value(json_array_get(pc, 1)));
        if (!(fabs(c - want) <= 5.01e-7 * fmax(1.0, fabs(want * 100.0))))
          fail_msg("change %.9g vs printed %.9g", c, want);
        json_decref(x);
      }
    }
    qb_run_free(run);
  }
  json_decref(m);
}

/* Every benchmark of both realworld trees against its folder's SOURCE.json. */
static void test_criterion__realworld(void **state) {
  (void)state;
  struct stat st;
  if (stat(REALWORLD, &st) != 0 || !S_ISDIR(st.st_mode)) {
    print_message("test_criterion__realworld: not run: %s does not exist\n", REALWORLD);
    return;
  }
  DIR *d = opendir(REALWORLD);
  assert_non_null(d);
  struct dirent *e;
  int folders = 0;
  while ((e = readdir(d))) {
    char path[1024], src[1100];
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, REALWORLD "/%s", e->d_name);
    snprintf(src, sizeof src, "%s/SOURCE.json", path);
    json_t *s = json_load_file(src, 0, NULL);
    if (!s) continue;
    folders++;
    qb_run *run = parse_dir_ok(path);
    assert_int_equal(run->n_benches, json_integer_value(json_object_get(s, "benchmark_count")));
    size_t i;
    json_t *sb;
    json_array_foreach(json_object_get(s, "benchmarks"), i, sb) {
      const char *full_id = json_string_value(json_object_get(sb, "full_id"));
      qb_bench *b = qb_run_find_bench(run, full_id);
      if (!b) fail_msg("%s: benchmark %s missing", e->d_name, full_id);
      json_t *bx = parse_obj(b->extra);
      assert_string_equal(json_string_value(json_object_get(bx, "directory_name")),
                          json_string_value(json_object_get(sb, "directory_name")));
      json_decref(bx);
      qb_result *r = result_of(b, "latency");
      json_t *x = parse_obj(r->extra);
      assert_string_equal(json_string_value(json_object_get(x, "sampling_mode")),
                          json_string_value(json_object_get(sb, "sampling_mode")));
      assert_int_equal(r->n_samples, json_integer_value(json_object_get(sb, "samples")));
      assert_int_equal(r->stats.n, json_integer_value(json_object_get(sb, "samples")));
      double mean = num_at(sb, "mean", NULL);
      qbt_check_rel(r->stats.mean, mean, 1e-9, "realworld mean");
      qbt_check_rel(r->stats.median, num_at(sb, "median", NULL), 1e-9, "realworld median");
      json_t *slope = json_object_get(sb, "slope");
      json_t *xslope = json_object_get(json_object_get(x, "estimates"), "slope");
      if (json_is_null(slope)) {
        assert_true(json_is_null(xslope));
        qbt_check_rel(r->stats.estimate, mean, 1e-9, "flat estimate is the mean");
      } else {
        qbt_check_rel(r->stats.estimate, json_number_value(slope), 1e-9, "realworld slope");
        qbt_check_rel(num_at(xslope, "point_estimate", NULL), json_number_value(slope), 1e-9,
                      "extra slope");
      }
      json_t *ch = json_object_get(x, "change");
      qbt_check_rel(num_at(ch, "mean", "point_estimate"), num_at(sb, "change_mean", NULL), 1e-9,
                    "realworld change mean");
      qbt_check_rel(num_at(ch, "median", "point_estimate"), num_at(sb, "change_median", NULL), 1e-9,
                    "realworld change median");
      json_decref(x);
    }
    qb_run_free(run);
    json_decref(s);
  }
  closedir(d);
  assert_true(folders >= 2);
}

/* Parse dir, expect code and a message containing every one of the NULL-terminated needles;
 * *out must come back NULL. */
static void expect_dir_error(const char *dir, int code, ...) {
  qb_err err = QB_ERR_INIT;
  qb_run sentinel, *run = &sentinel;
  int rc = qb_criterion_dir_parse(dir, &run, &err);
  if (rc != code) print_error("%s: rc %d (want %d): %s\n", dir, rc, code, err.msg);
  assert_int_equal(rc, code);
  assert_int_equal(err.code, code);
  assert_null(run);
  assert_null(strchr(err.msg, '\n'));
  va_list ap;
  va_start(ap, code);
  for (const char *n; (n = va_arg(ap, const char *));)
    if (!strstr(err.msg, n)) fail_msg("message \"%s\" lacks \"%s\"", err.msg, n);
  va_end(ap);
}

static void test_criterion__bad_empty_dir(void **state) {
  (void)state;
  mkdirs(QB_TEST_TMP "/criterion_empty");
  expect_dir_error(QB_TEST_TMP "/criterion_empty", QB_EFORMAT,
                   QB_TEST_TMP "/criterion_empty: no criterion benchmarks found", NULL);
}

static void test_criterion__bad_no_criterion(void **state) {
  (void)state;
  expect_dir_error(
      DATA "/bad/no_criterion", QB_EFORMAT,
      "bad/no_criterion: no criterion benchmarks found (expected */new/benchmark.json)", NULL);
  expect_dir_error(DATA "/does-not-exist", QB_ENOTFOUND, "does-not-exist: no such directory", NULL);
  expect_dir_error(DATA "/manifest.json", QB_EFORMAT, "manifest.json: not a directory", NULL);
}

static void test_criterion__bad_truncated_sample(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/truncated_sample", QB_EFORMAT,
                   "bad/truncated_sample/target/criterion/trunc/new/sample.json: invalid JSON at "
                   "line 1",
                   NULL);
}

static void test_criterion__bad_times_string(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/times_string", QB_EFORMAT,
                   "target/criterion/strtime/new/sample.json: times[3]: expected a number, got "
                   "string",
                   NULL);
}

static void test_criterion__bad_length_mismatch(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/length_mismatch", QB_EFORMAT,
                   "mismatch/new/sample.json: iters has 4 values but times has 3", NULL);
  expect_dir_error(DATA "/bad/fractional_iters", QB_EFORMAT,
                   "fraction/new/sample.json: iters[1]: expected a positive whole number", NULL);
}

static void test_criterion__bad_missing_files(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/missing_estimates", QB_EFORMAT, "noest/new/estimates.json: missing",
                   NULL);
  expect_dir_error(DATA "/bad/missing_sample", QB_EFORMAT, "nosample/new/sample.json: missing",
                   NULL);
}

static void test_criterion__bad_estimates_type(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/bad_estimates", QB_EFORMAT,
                   "badest/new/estimates.json: median.point_estimate: expected a number, got "
                   "string",
                   NULL);
}

static void test_criterion__bad_duplicate_id(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/duplicate_id", QB_EFORMAT, "dup_copy/new/benchmark.json",
                   "full_id \"dup\" is also claimed by", "criterion/dup/new/benchmark.json", NULL);
}

/* A failure after another benchmark was built: nothing leaks (checked under ASan). */
static void test_criterion__bad_after_good(void **state) {
  (void)state;
  expect_dir_error(DATA "/bad/partial", QB_EFORMAT,
                   "bad/partial/criterion/b_bad/new/tukey.json: [2]: expected a number, got string",
                   NULL);
}

/* An unreadable sample.json (here: a directory where the file should be) is QB_EIO. */
static void test_criterion__bad_unreadable(void **state) {
  (void)state;
  const char *meta = "{\"group_id\":\"u\",\"function_id\":null,\"value_str\":null,"
                     "\"throughput\":null,\"full_id\":\"u\",\"directory_name\":\"u\"}";
  mkdirs(QB_TEST_TMP "/criterion_unreadable/u/new/sample.json");
  write_file(QB_TEST_TMP "/criterion_unreadable/u/new/benchmark.json", meta, strlen(meta));
  expect_dir_error(QB_TEST_TMP "/criterion_unreadable", QB_EIO,
                   "criterion_unreadable/u/new/sample.json", NULL);
}

/* Copy the legacy benchmark's four files into dir/new/. */
static void make_bench(const char *dir) {
  char src[512], dst[512];
  snprintf(dst, sizeof dst, "%s/new", dir);
  mkdirs(dst);
  for (size_t i = 0; i < 4; i++) {
    snprintf(src, sizeof src, DATA "/legacy/target/criterion/old bench/new/%s", LEGACY_FILES[i]);
    snprintf(dst, sizeof dst, "%s/new/%s", dir, LEGACY_FILES[i]);
    copy_file(src, dst);
  }
}

/* Replace path with a symbolic link to target. */
static void relink(const char *target, const char *path) {
  unlink(path);
  if (symlink(target, path) != 0) fail_msg("symlink %s: %s", path, strerror(errno));
}

/* Below the criterion root nothing is read through a symbolic link (a file or a folder planted
 * to point out of the tree: /dev/zero, another user's files), and only regular files are read: a
 * fifo is refused before it is opened (it used to block the read forever), as is a device. The
 * root itself may be a link (CARGO_TARGET_DIR elsewhere). */
static void test_criterion__links_and_special_files(void **state) {
  (void)state;
#define HT QB_TEST_TMP "/criterion_hostile"
  if (system("rm -rf '" HT "'") != 0) fail_msg("cannot clear " HT);
  mkdirs(HT "/outside");
  make_bench(HT "/outside/b"); /* a valid benchmark out of the trees below */

  /* a link as an optional file (tukey.json) pointing out of the tree: refused, not read */
  make_bench(HT "/t1/target/criterion/b");
  qb_run *run = parse_dir_ok(HT "/t1");
  qb_run_free(run);
  relink(HT "/outside/b/new/tukey.json", HT "/t1/target/criterion/b/new/tukey.json");
  expect_dir_error(HT "/t1", QB_EFORMAT,
                   "criterion/b/new/tukey.json: is a symbolic link, not a regular file (not "
                   "followed inside a criterion tree)",
                   NULL);
  /* ... or a required one to /dev/zero: refused before anything is read */
  make_bench(HT "/t2/target/criterion/b");
  relink("/dev/zero", HT "/t2/target/criterion/b/new/sample.json");
  expect_dir_error(HT "/t2", QB_EFORMAT, "criterion/b/new/sample.json: is a symbolic link", NULL);

  /* the new/ folder itself a link out of the tree */
  mkdirs(HT "/t3/target/criterion/b");
  relink(HT "/outside/b/new", HT "/t3/target/criterion/b/new");
  expect_dir_error(HT "/t3", QB_EFORMAT,
                   "criterion/b/new/benchmark.json: b/new is a symbolic link (not followed "
                   "inside a criterion tree)",
                   NULL);

  /* a fifo where sample.json should be: refused without opening it (no writer would come) */
  make_bench(HT "/t4/target/criterion/b");
  unlink(HT "/t4/target/criterion/b/new/sample.json");
  if (mkfifo(HT "/t4/target/criterion/b/new/sample.json", 0644) != 0)
    fail_msg("mkfifo: %s", strerror(errno));
  expect_dir_error(HT "/t4", QB_EFORMAT,
                   "criterion/b/new/sample.json: is a pipe, not a regular file", NULL);

  /* the root given through a link is followed: the user named it */
  relink(HT "/t1/target", HT "/rootlink");
  unlink(HT "/t1/target/criterion/b/new/tukey.json");
  copy_file(DATA "/legacy/target/criterion/old bench/new/tukey.json",
            HT "/t1/target/criterion/b/new/tukey.json");
  run = parse_dir_ok(HT "/rootlink");
  assert_int_equal(run->n_benches, 1);
  qb_run_free(run);
#undef HT
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_criterion__suite_a_run1),
      cmocka_unit_test(test_criterion__suite_a_run2),
      cmocka_unit_test(test_criterion__suite_a_run2b),
      cmocka_unit_test(test_criterion__samples_per_iteration),
      cmocka_unit_test(test_criterion__entry_points),
      cmocka_unit_test(test_criterion__probe),
      cmocka_unit_test(test_criterion__content_hash),
      cmocka_unit_test(test_criterion__synthetic),
      cmocka_unit_test(test_criterion__legacy_layout),
      cmocka_unit_test(test_criterion__cross_check_text),
      cmocka_unit_test(test_criterion__printed_matches_estimate),
      cmocka_unit_test(test_criterion__realworld),
      cmocka_unit_test(test_criterion__bad_empty_dir),
      cmocka_unit_test(test_criterion__bad_no_criterion),
      cmocka_unit_test(test_criterion__bad_truncated_sample),
      cmocka_unit_test(test_criterion__bad_times_string),
      cmocka_unit_test(test_criterion__bad_length_mismatch),
      cmocka_unit_test(test_criterion__bad_missing_files),
      cmocka_unit_test(test_criterion__bad_estimates_type),
      cmocka_unit_test(test_criterion__bad_duplicate_id),
      cmocka_unit_test(test_criterion__bad_after_good),
      cmocka_unit_test(test_criterion__bad_unreadable),
      cmocka_unit_test(test_criterion__links_and_special_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

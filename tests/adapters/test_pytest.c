/* tests/adapters/test_pytest.c - qb_pytest_parse against the pytest-benchmark 3.2.2 suite_a runs
 * (tests/data/pytest, checked benchmark by benchmark against its manifest.json), a 4.x-layout
 * file, the 3.2.2 files with NaN, Infinity, big integers and cProfile rows (tests/data/pytest/
 * special, against its manifest.json), the 5.2.3 files made under pytest 7.2.1 and 9.1.1
 * (tests/data/pytest/v5, against its manifest.json), the 2.5.0 real-world files in the shared
 * fixtures, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "core/buf.h"
#include "core/time.h"
#include "tests/testutil.h"

#define PYDATA QB_TEST_DATA "/pytest"
#define REL    1e-9

/* The raw JSON entry named name in a pytest file's benchmarks array, or NULL. */
static json_t *raw_bench(json_t *raw, const char *name) {
  size_t i;
  json_t *b;
  json_array_foreach(json_object_get(raw, "benchmarks"), i, b) {
    if (!strcmp(json_string_value(json_object_get(b, "name")), name)) return b;
  }
  return NULL;
}

/* Check one parsed suite_a file against the manifest run `run_id` and the file's own JSON. */
static void check_suite_file(const char *rel, const char *run_id) {
  char path[1024];
  snprintf(path, sizeof path, PYDATA "/%s", rel);
  json_t *manifest = qbt_load_json(PYDATA "/manifest.json");
  json_t *raw = qbt_load_json(path);
  assert_non_null(manifest);
  assert_non_null(raw);
  json_t *mrun = NULL, *r;
  size_t i;
  json_array_foreach(json_object_get(manifest, "runs"), i, r) {
    if (!strcmp(json_string_value(json_object_get(r, "id")), run_id)) mrun = r;
  }
  assert_non_null(mrun);
  qb_run *run = qbt_parse_file(qb_pytest_parse, path);

  /* Run fields. */
  assert_string_equal(run->format, "pytest");
  assert_string_equal(run->machine, "vm");
  assert_string_equal(run->tool_version, "pytest-benchmark 3.2.2");
  assert_string_equal(run->project, "A");
  assert_null(run->branch);     /* "(unknown)" */
  assert_null(run->commit_sha); /* "unversioned" */
  assert_true(run->commit_time == QB_TIME_NONE);
  assert_string_equal(run->content_hash, "");
  int64_t want_start;
  assert_int_equal(qb_time_parse(json_string_value(json_object_get(raw, "datetime")), &want_start),
                   0);
  assert_true(run->started_at == want_start);
  char ts[64], want_ts[64];
  snprintf(want_ts, sizeof want_ts, "%sZ", json_string_value(json_object_get(raw, "datetime")));
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts), want_ts);
  json_t *mi = qbt_load_text(run->machine_info);
  assert_true(json_equal(mi, json_object_get(raw, "machine_info")));
  json_decref(mi);
  json_t *rx = qbt_load_text(run->extra);
  assert_true(json_equal(json_object_get(rx, "commit_info"), json_object_get(raw, "commit_info")));
  assert_int_equal(json_object_size(rx), 1);
  json_decref(rx);
  assert_int_equal(run->n_tags, 0);

  /* Every benchmark of the manifest. */
  json_t *mbenches = json_object_get(mrun, "benchmarks");
  assert_int_equal(run->n_benches, json_array_size(mbenches));
  assert_int_equal(run->n_benches, json_integer_value(json_object_get(mrun, "benchmark_count")));
  json_t *mb;
  json_array_foreach(mbenches, i, mb) {
    const char *name = json_string_value(json_object_get(mb, "name"));
    qb_bench *b = qb_run_find_bench(run, name);
    if (!b) fail_msg("%s: benchmark %s missing", rel, name);
    /* The parsed benchmarks keep the file's order. */
    assert_ptr_equal(b, &run->benches[i]);
    json_t *g = json_object_get(mb, "group");
    if (json_is_null(g))
      assert_null(b->group);
    else
      assert_string_equal(b->group, json_string_value(g));
    json_t *mp = json_object_get(mb, "params");
    if (json_is_null(mp)) {
      assert_null(b->params);
    } else {
      json_t *p = qbt_load_text(b->params);
      assert_true(json_equal(p, mp));
      json_decref(p);
    }
    json_t *bx = qbt_load_text(b->extra);
    assert_string_equal(json_string_value(json_object_get(bx, "fullname")),
                        json_string_value(json_object_get(mb, "fullname")));
    assert_true(json_equal(json_object_get(bx, "extra_info"), json_object_get(mb, "extra_info")));
    json_t *mparam = json_object_get(mb, "param");
    if (json_is_null(mparam))
      assert_null(json_object_get(bx, "param"));
    else
      assert_true(json_equal(json_object_get(bx, "param"), mparam));
    assert_non_null(json_object_get(bx, "options"));
    json_decref(bx);

    assert_int_equal(b->n_results, 1);
    qb_result *res = &b->results[0];
    assert_string_equal(res->metric, "latency");
    assert_string_equal(res->unit, "ns");
    assert_int_equal(res->direction, QB_LOWER_IS_BETTER);
    json_t *ms = json_object_get(mb, "stats");
    assert_int_equal(res->stats.n, json_integer_value(json_object_get(mb, "rounds")));
    assert_close(res->stats.min, json_real_value(json_object_get(ms, "min")) * 1e9, REL);
    assert_close(res->stats.max, json_real_value(json_object_get(ms, "max")) * 1e9, REL);
    assert_close(res->stats.mean, json_real_value(json_object_get(ms, "mean")) * 1e9, REL);
    assert_close(res->stats.median, json_real_value(json_object_get(ms, "median")) * 1e9, REL);
    assert_close(res->stats.stddev, json_real_value(json_object_get(ms, "stddev")) * 1e9, REL);
    assert_close(res->stats.q1, json_real_value(json_object_get(ms, "q1")) * 1e9, REL);
    assert_close(res->stats.q3, json_real_value(json_object_get(ms, "q3")) * 1e9, REL);
    assert_int_equal(res->stats.outliers, json_integer_value(json_object_get(ms, "iqr_outliers")));
    /* Not given by the tool: left for ingest. */
    assert_true(isnan(res->stats.p95) && isnan(res->stats.p99) && isnan(res->stats.estimate));

    /* Samples: stats.data x 1e9, every one with `iterations` iterations. */
    size_t n_samples = (size_t)json_integer_value(json_object_get(mb, "samples"));
    assert_int_equal(res->n_samples, n_samples);
    assert_non_null(res->iters);
    uint64_t iterations = (uint64_t)json_integer_value(json_object_get(mb, "iterations"));
    json_t *data = json_object_get(json_object_get(raw_bench(raw, name), "stats"), "data");
    assert_int_equal(json_array_size(data), n_samples);
    double sum = 0;
    for (size_t k = 0; k < n_samples; k++) {
      assert_true(res->samples[k] == json_real_value(json_array_get(data, k)) * 1e9);
      assert_true(res->iters[k] == iterations);
      sum += res->samples[k];
    }
    assert_close(sum / (double)n_samples, res->stats.mean, REL);

    /* The other stats as written. */
    json_t *ex = qbt_load_text(res->extra);
    assert_true(json_real_value(json_object_get(ex, "ops")) ==
                json_real_value(json_object_get(ms, "ops")));
    assert_true(json_real_value(json_object_get(ex, "total")) ==
                json_real_value(json_object_get(ms, "total")));
    assert_string_equal(json_string_value(json_object_get(ex, "outliers")),
                        json_string_value(json_object_get(ms, "outliers")));
    assert_true(json_equal(json_object_get(ex, "iqr"), json_object_get(ms, "iqr")));
    assert_true(json_equal(json_object_get(ex, "ld15iqr"), json_object_get(ms, "ld15iqr")));
    assert_true(json_equal(json_object_get(ex, "hd15iqr"), json_object_get(ms, "hd15iqr")));
    assert_true(
        json_equal(json_object_get(ex, "stddev_outliers"), json_object_get(ms, "stddev_outliers")));
    assert_int_equal(json_integer_value(json_object_get(ex, "iterations")), iterations);
    assert_int_equal(json_integer_value(json_object_get(ex, "rounds")), res->stats.n);
    assert_null(json_object_get(ex, "data"));
    assert_null(json_object_get(ex, "mean"));
    json_decref(ex);
  }
  qb_run_free(run);
  json_decref(raw);
  json_decref(manifest);
}

static void test_pytest__run1_json(void **state) {
  (void)state;
  check_suite_file("run1/benchmark.json", "run1");
}

static void test_pytest__run2_json(void **state) {
  (void)state;
  check_suite_file("run2/benchmark.json", "run2");
}

static void test_pytest__storage_baseline(void **state) {
  (void)state;
  check_suite_file("storage/Linux-CPython-3.11-64bit/0001_baseline.json", "run1");
}

static void test_pytest__storage_modified(void **state) {
  (void)state;
  check_suite_file("storage/Linux-CPython-3.11-64bit/0002_modified.json", "run2");
}

/* The 4.x/5.x layout: big cpu object, real commit info, optional data, same name twice. */
static void test_pytest__v4_layout(void **state) {
  (void)state;
  qb_run *run = qbt_parse_file(qb_pytest_parse, PYDATA "/v4/benchmark.json");
  assert_string_equal(run->format, "pytest");
  assert_string_equal(run->tool_version, "pytest-benchmark 4.0.0");
  assert_string_equal(run->project, "widgets");
  assert_string_equal(run->branch, "main");
  assert_string_equal(run->commit_sha, "4f2a9c1e0b7d3a5968e1c2b4d6f8a0e1c3b5d7f9");
  char ts[64];
  assert_string_equal(qb_time_format(run->commit_time, ts, sizeof ts), "2024-03-05T09:15:42Z");
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts),
                      "2024-03-05T09:16:03.512345Z");
  assert_string_equal(run->machine, "build-42");
  json_t *mi = qbt_load_text(run->machine_info);
  assert_string_equal(json_string_value(json_object_get(json_object_get(mi, "cpu"), "brand_raw")),
                      "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz");
  json_decref(mi);
  json_t *rx = qbt_load_text(run->extra);
  assert_true(json_is_true(json_object_get(json_object_get(rx, "commit_info"), "dirty")));
  json_decref(rx);

  assert_int_equal(run->n_benches, 3);
  /* Same name, different fullname: both are named by fullname. */
  assert_string_equal(run->benches[0].name, "tests/test_a.py::test_parse");
  assert_string_equal(run->benches[1].name, "tests/test_b.py::test_parse");
  assert_string_equal(run->benches[2].name, "test_encode[64]");
  assert_string_equal(run->benches[0].group, "parse");
  assert_null(run->benches[2].group);
  assert_null(run->benches[0].params);
  assert_string_equal(run->benches[2].params, "{\"size\":64}");

  /* No stats.data: no samples, but the statistics are there. */
  qb_result *r0 = &run->benches[0].results[0];
  assert_int_equal(r0->n_samples, 0);
  assert_null(r0->samples);
  assert_null(r0->iters);
  assert_int_equal(r0->stats.n, 7);
  assert_close(r0->stats.min, 12200.0, REL);
  json_t *bx = qbt_load_text(run->benches[0].extra);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(bx, "extra_info"), "input")), "small.json");
  assert_null(json_object_get(bx, "param")); /* null in the file */
  json_decref(bx);

  qb_result *r2 = &run->benches[2].results[0];
  assert_int_equal(r2->n_samples, 6);
  assert_close(r2->samples[0], 410.0, REL);
  assert_close(r2->samples[3], 460.0, REL);
  for (size_t k = 0; k < r2->n_samples; k++) assert_true(r2->iters[k] == 1000);
  bx = qbt_load_text(run->benches[2].extra);
  assert_string_equal(json_string_value(json_object_get(bx, "param")), "64");
  json_decref(bx);
  qb_run_free(run);
}

/* Parse text that must succeed; the caller frees the run. */
static qb_run *parse_text(const char *path, const char *text) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_pytest_parse(path, text, strlen(text), &run, &err);
  if (rc) fail_msg("%s", err.msg);
  return run;
}

/* Mixed groups of one name: every entry whose name is shared with a different (or missing)
 * fullname is known by its fullname; an entry without a fullname keeps its name. */
static void test_pytest__ambiguous_groups(void **state) {
  (void)state;
  qb_run *run =
      parse_text("amb.json", "{\"benchmarks\":["
                             "{\"name\":\"t\",\"fullname\":\"b.py::t\",\"stats\":{\"mean\":1}},"
                             "{\"name\":\"v\",\"stats\":{\"mean\":2}},"
                             "{\"name\":\"t\",\"fullname\":\"a.py::t\",\"stats\":{\"mean\":3}},"
                             "{\"name\":\"v\",\"fullname\":\"a.py::v\",\"stats\":{\"mean\":4}},"
                             "{\"name\":\"w\",\"fullname\":\"a.py::w\",\"stats\":{\"mean\":5}},"
                             "{\"name\":\"w\",\"fullname\":\"a.py::w\",\"stats\":{\"mean\":6}},"
                             "{\"name\":\"t\",\"fullname\":\"c.py::t\",\"stats\":{\"mean\":7}}]}");
  static const char *const want[] = {"b.py::t", "v", "a.py::t", "a.py::v", "w", "w", "c.py::t"};
  assert_int_equal(run->n_benches, 7);
  for (size_t i = 0; i < 7; i++) {
    assert_string_equal(run->benches[i].name, want[i]);
    assert_close(run->benches[i].results[0].stats.mean, (double)(i + 1) * 1e9, REL);
  }
  qb_run_free(run);
}

/* An exact duplicate (same name and fullname) is kept twice, for ingest to refuse; entries with
 * a unique name keep it even when they have a fullname. */
static void test_pytest__exact_duplicate_kept(void **state) {
  (void)state;
  qb_run *run =
      parse_text("dup.json", "{\"benchmarks\":["
                             "{\"name\":\"t\",\"fullname\":\"a.py::t\",\"stats\":{\"mean\":1}},"
                             "{\"name\":\"t\",\"fullname\":\"a.py::t\",\"stats\":{\"mean\":2}},"
                             "{\"name\":\"u\",\"fullname\":\"a.py::u\",\"stats\":{\"mean\":3}}]}");
  assert_int_equal(run->n_benches, 3);
  assert_string_equal(run->benches[0].name, "t");
  assert_string_equal(run->benches[1].name, "t");
  assert_string_equal(run->benches[2].name, "u");
  assert_close(run->benches[1].results[0].stats.mean, 2e9, REL);
  /* Minimal input: everything else unknown. */
  assert_null(run->project);
  assert_null(run->machine);
  assert_null(run->machine_info);
  assert_null(run->tool_version);
  assert_null(run->extra);
  assert_true(run->started_at == QB_TIME_NONE);
  assert_int_equal(run->benches[0].results[0].stats.n, -1);
  assert_true(isnan(run->benches[0].results[0].stats.min));
  assert_null(run->benches[0].results[0].extra);
  qb_run_free(run);
}

/* commit_info.time null falls back to author_time; an unreadable VCS time stays unknown. */
static void test_pytest__commit_time(void **state) {
  (void)state;
  qb_run *run = parse_text("ct.json", "{\"commit_info\":{\"id\":\"abc1\",\"time\":null,"
                                      "\"author_time\":\"2020-01-02T03:04:05Z\",\"branch\":\"\"},"
                                      "\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1}}]}");
  char ts[64];
  assert_string_equal(qb_time_format(run->commit_time, ts, sizeof ts), "2020-01-02T03:04:05Z");
  assert_string_equal(run->commit_sha, "abc1");
  assert_null(run->branch);
  qb_run_free(run);
  run = parse_text("hg.json",
                   "{\"commit_info\":{\"id\":\"abc1\",\"time\":\"2015-08-15 03:04 +0300\"},"
                   "\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1}}]}");
  assert_true(run->commit_time == QB_TIME_NONE);
  assert_non_null(strstr(run->extra, "2015-08-15 03:04 +0300"));
  qb_run_free(run);
}

/* commit_info.id is a commit as everywhere in qbdb (adapters/adapter.h qb_commit_ok, the rule
 * of the native format and of --commit): 4 to 64 hex digits, else the file is refused naming it;
 * "unversioned" (pytest-benchmark outside a repository) and "" are no commit. */
static void test_pytest__commit_must_be_hex(void **state) {
  (void)state;
  static const char *const bad[] = {
      "xyz",             /* not hex */
      "abc",             /* too short */
      "=HYPERLINK(1)",   /* a spreadsheet formula */
      "abcd\\u001b[31m", /* a terminal escape after hex digits */
      "abcd efgh",       /* a space */
      "abcd+",           /* a dirty mercurial id (pytest-benchmark strips the '+') */
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", /* 65 digits */
  };
  static const char *const good[] = {
      "abcd", "ABCDEF01", "5b78858eb718649a31fb93d8dc96ca2cee41a4cd",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  char doc[512];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(doc, sizeof doc,
             "{\"commit_info\":{\"id\":\"%s\"},\"benchmarks\":[{\"name\":\"t\",\"stats\":"
             "{\"mean\":1}}]}",
             bad[i]);
    qb_err err = QB_ERR_INIT;
    qb_run *run = (qb_run *)&err;
    int rc = qb_pytest_parse("b.json", doc, strlen(doc), &run, &err);
    if (rc != QB_EFORMAT) fail_msg("commit_info.id \"%s\" accepted (rc %d)", bad[i], rc);
    assert_null(run);
    static const char want[] = "b.json: commit_info.id: expected 4 to 64 hex digits, got \"";
    if (strncmp(err.msg, want, sizeof want - 1))
      fail_msg("commit_info.id \"%s\": %s", bad[i], err.msg);
    assert_null(strchr(err.msg, '\n'));
  }
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    snprintf(doc, sizeof doc,
             "{\"commit_info\":{\"id\":\"%s\"},\"benchmarks\":[{\"name\":\"t\",\"stats\":"
             "{\"mean\":1}}]}",
             good[i]);
    qb_run *run = parse_text("b.json", doc);
    assert_string_equal(run->commit_sha, good[i]);
    qb_run_free(run);
  }
  static const char *const none[] = {"unversioned", ""};
  for (size_t i = 0; i < 2; i++) {
    snprintf(doc, sizeof doc,
             "{\"commit_info\":{\"id\":\"%s\"},\"benchmarks\":[{\"name\":\"t\",\"stats\":"
             "{\"mean\":1}}]}",
             none[i]);
    qb_run *run = parse_text("b.json", doc);
    assert_null(run->commit_sha);
    qb_run_free(run);
  }
}

/* The 2.5.0 files from pytest-benchmark's own repository, checked against SOURCE.json. */
static void test_pytest__realworld(void **state) {
  (void)state;
  const char *dir = QB_SHARED_FIXTURES "/pytest-benchmark/realworld";
  if (!qbt_exists(dir)) {
    printf("test_pytest__realworld: did not run: %s does not exist (no shared fixtures here)\n",
           dir);
    return;
  }
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  int n_files = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    char src[1024];
    snprintf(src, sizeof src, "%s/%s/SOURCE.json", dir, de->d_name);
    if (!qbt_exists(src)) continue;
    json_t *source = qbt_load_json(src);
    assert_non_null(source);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(source, "files"), i, f) {
      char path[2048];
      snprintf(path, sizeof path, "%s/%s/%s", dir, de->d_name,
               json_string_value(json_object_get(f, "file")));
      qb_run *run = qbt_parse_file(qb_pytest_parse, path);
      n_files++;
      char want_tool[64];
      snprintf(want_tool, sizeof want_tool, "pytest-benchmark %s",
               json_string_value(json_object_get(f, "json_version")));
      assert_string_equal(run->tool_version, want_tool);
      assert_non_null(run->commit_sha);
      assert_int_equal(strlen(run->commit_sha), 40);
      assert_non_null(run->machine);
      assert_true(run->started_at != QB_TIME_NONE);
      json_t *sb = json_object_get(f, "benchmarks");
      assert_int_equal(run->n_benches, json_array_size(sb));
      size_t k;
      json_t *b;
      json_array_foreach(sb, k, b) {
        qb_bench *qb = qb_run_find_bench(run, json_string_value(json_object_get(b, "name")));
        assert_non_null(qb);
        json_t *bx = qbt_load_text(qb->extra);
        assert_string_equal(json_string_value(json_object_get(bx, "fullname")),
                            json_string_value(json_object_get(b, "fullname")));
        json_decref(bx);
        assert_null(qb->params);
        qb_result *res = &qb->results[0];
        assert_int_equal(res->stats.n, json_integer_value(json_object_get(b, "rounds")));
        assert_close(res->stats.mean, json_real_value(json_object_get(b, "mean")) * 1e9, REL);
        assert_close(res->stats.median, json_real_value(json_object_get(b, "median")) * 1e9, REL);
        assert_int_equal(res->n_samples, 0); /* 2.5 files have no stats.data */
        json_t *ex = qbt_load_text(res->extra);
        assert_int_equal(json_integer_value(json_object_get(ex, "iterations")),
                         json_integer_value(json_object_get(b, "iterations")));
        assert_null(json_object_get(ex, "ops"));
        json_decref(ex);
      }
      qb_run_free(run);
    }
    json_decref(source);
  }
  closedir(d);
  assert_true(n_files >= 3);
}

/* BAD(path, text, needles...): text must fail as tests/testutil.h qbt_expect_bad says. */
#define BAD(path, text, ...)                                                                       \
  qbt_expect_bad(qb_pytest_parse, path, text, strlen(text), __VA_ARGS__, (const char *)NULL)

/* run1/benchmark.json with one change made by mutate, serialised again; caller frees. */
static char *mutated_run1(void (*mutate)(json_t *root)) {
  json_t *root = qbt_load_json(PYDATA "/run1/benchmark.json");
  assert_non_null(root);
  mutate(root);
  char *text = json_dumps(root, JSON_INDENT(4) | JSON_REAL_PRECISION(17));
  json_decref(root);
  assert_non_null(text);
  return text;
}

static json_t *bench_stats(json_t *root, size_t i) {
  return json_object_get(json_array_get(json_object_get(root, "benchmarks"), i), "stats");
}

static void test_pytest__bad_not_json(void **state) {
  (void)state;
  BAD("notjson.json", "this is not json", "invalid JSON", "line 1, column ");
}

static void test_pytest__bad_truncated(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(
      qb_file_read(PYDATA "/run1/benchmark.json", QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  /* Cut in the middle of the file: the error gives the line and column of the end. */
  qbt_expect_bad(qb_pytest_parse, "run1/benchmark.json", data, len / 2, "invalid JSON", "line ",
                 "column ", (const char *)NULL);
  free(data);
}

static void test_pytest__bad_top_level(void **state) {
  (void)state;
  BAD("array.json", "[{\"name\":\"t\"}]", "top level", "expected an object, got array");
}

static void test_pytest__bad_no_benchmarks_field(void **state) {
  (void)state;
  BAD("nobench.json", "{\"version\":\"3.2.2\"}", "benchmarks: required field is missing");
}

static void test_pytest__bad_benchmarks_not_array(void **state) {
  (void)state;
  BAD("obj.json", "{\"benchmarks\":{\"t\":1}}", "benchmarks: expected an array, got object");
}

static void test_pytest__bad_empty_benchmarks(void **state) {
  (void)state;
  BAD("empty.json", "{\"benchmarks\":[],\"version\":\"3.2.2\"}", "benchmarks", "no benchmarks");
}

static void test_pytest__bad_bench_not_object(void **state) {
  (void)state;
  BAD("scalar.json", "{\"benchmarks\":[{\"name\":\"a\",\"stats\":{\"mean\":1}},7]}",
      "benchmarks[1]: expected an object, got integer");
}

static void test_pytest__bad_no_name(void **state) {
  (void)state;
  BAD("noname.json", "{\"benchmarks\":[{\"group\":null,\"stats\":{\"mean\":1}}]}",
      "benchmarks[0].name: required field is missing");
}

static void drop_stats_1(json_t *root) {
  json_object_del(json_array_get(json_object_get(root, "benchmarks"), 1), "stats");
}

static void test_pytest__bad_no_stats(void **state) {
  (void)state;
  char *text = mutated_run1(drop_stats_1);
  BAD("run1.json", text, "benchmarks[1].stats: required field is missing");
  free(text);
}

static void mean_string_2(json_t *root) {
  json_object_set_new(bench_stats(root, 2), "mean", json_string("fast"));
}

static void test_pytest__bad_stat_type(void **state) {
  (void)state;
  char *text = mutated_run1(mean_string_2);
  BAD("run1.json", text, "run1.json: benchmarks[2].stats.mean: expected a number, got string");
  free(text);
}

static void rounds_string_4(json_t *root) {
  json_object_set_new(bench_stats(root, 4), "rounds", json_string("many"));
}

static void test_pytest__bad_rounds_type(void **state) {
  (void)state;
  char *text = mutated_run1(rounds_string_4);
  BAD("run1.json", text, "benchmarks[4].stats.rounds: expected an integer, got string");
  free(text);
}

static void data_17_string(json_t *root) {
  json_array_set_new(json_object_get(bench_stats(root, 0), "data"), 17, json_string("0.1"));
}

static void test_pytest__bad_data_element(void **state) {
  (void)state;
  char *text = mutated_run1(data_17_string);
  BAD("run1.json", text, "benchmarks[0].stats.data[17]: expected a number, got string");
  free(text);
}

static void data_not_array(json_t *root) {
  json_object_set_new(bench_stats(root, 3), "data", json_real(0.5));
}

static void test_pytest__bad_data_not_array(void **state) {
  (void)state;
  char *text = mutated_run1(data_not_array);
  BAD("run1.json", text, "benchmarks[3].stats.data: expected an array, got number");
  free(text);
}

static void group_number(json_t *root) {
  json_object_set_new(json_array_get(json_object_get(root, "benchmarks"), 5), "group",
                      json_integer(3));
}

static void test_pytest__bad_group_type(void **state) {
  (void)state;
  char *text = mutated_run1(group_number);
  BAD("run1.json", text, "benchmarks[5].group: expected a string, got integer");
  free(text);
}

static void test_pytest__bad_no_mean(void **state) {
  (void)state;
  BAD("nomean.json", "{\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"min\":1,\"max\":2}}]}",
      "benchmarks[0].stats.mean: required field is missing");
}

static void test_pytest__bad_iterations(void **state) {
  (void)state;
  BAD("iter.json", "{\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1,\"iterations\":0}}]}",
      "benchmarks[0].stats.iterations: expected a positive integer, got 0");
}

static void test_pytest__bad_datetime(void **state) {
  (void)state;
  BAD("dt.json",
      "{\"datetime\":\"yesterday\",\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1}}]}",
      "datetime: not an ISO 8601 timestamp");
}

/* Truncation at every byte of a valid file fails cleanly (no leak, no crash: run this binary
 * under ASan) with *out NULL, unless only trailing white space was cut. */
static void test_pytest__every_prefix(void **state) {
  (void)state;
  char *data = NULL;
  size_t len = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(
      qb_file_read(PYDATA "/v4/benchmark.json", QB_ADAPTER_MAX_FILE, &data, &len, &err), 0);
  for (size_t n = 0; n <= len; n += qbt_step(7)) {
    qb_run *run = (qb_run *)&err;
    int rc = qb_pytest_parse("v4.json", data, n, &run, &err);
    int only_space_cut = 1; /* only trailing white space was cut */
    for (size_t k = n; k < len; k++)
      if (!strchr(" \t\r\n", data[k])) only_space_cut = 0;
    if (!only_space_cut) {
      assert_int_equal(rc, QB_EFORMAT);
      assert_null(run);
      assert_non_null(strstr(err.msg, "v4.json: "));
    } else {
      assert_int_equal(rc, QB_OK);
      qb_run_free(run);
    }
  }
  free(data);
}

/* ---- tests/data/pytest/special: NaN, Infinity, big integers and cProfile rows ---- */

#define SPECIAL PYDATA "/special"

/* Read a whole file of tests/data, NUL-terminated; the caller frees. */
static char *read_data(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  assert_true(n > 0);
  rewind(f);
  char *data = malloc((size_t)n + 1);
  assert_non_null(data);
  assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  data[n] = '\0';
  *len = (size_t)n;
  return data;
}

/* Every benchmark of one file of the special folder against its manifest entry (values read back
 * by Python's json module; NaN, Infinity and big integers given as the strings qbdb keeps). */
static void check_special_file(json_t *mfile) {
  char path[1024];
  const char *rel = json_string_value(json_object_get(mfile, "file"));
  snprintf(path, sizeof path, SPECIAL "/%s", rel);
  qb_run *run = qbt_parse_file(qb_pytest_parse, path);
  assert_string_equal(run->tool_version, "pytest-benchmark 3.2.2");
  assert_string_equal(run->machine, json_string_value(json_object_get(mfile, "machine")));
  json_t *mbenches = json_object_get(mfile, "benchmarks"), *mb;
  assert_int_equal(run->n_benches, json_array_size(mbenches));
  size_t i;
  json_array_foreach(mbenches, i, mb) {
    qb_bench *b = &run->benches[i];
    assert_string_equal(b->name, json_string_value(json_object_get(mb, "name")));
    json_t *mp = json_object_get(mb, "params_kept");
    if (json_is_null(mp)) {
      assert_null(b->params);
    } else {
      json_t *p = qbt_load_text(b->params);
      if (!json_equal(p, mp)) fail_msg("%s: %s: params %s", rel, b->name, b->params);
      json_decref(p);
    }
    json_t *bx = qbt_load_text(b->extra);
    assert_string_equal(json_string_value(json_object_get(bx, "fullname")),
                        json_string_value(json_object_get(mb, "fullname")));
    json_t *mparam = json_object_get(mb, "param");
    if (json_is_null(mparam)) /* a null is left out */
      assert_null(json_object_get(bx, "param"));
    else
      assert_true(json_equal(json_object_get(bx, "param"), mparam));
    if (!json_equal(json_object_get(bx, "extra_info"), json_object_get(mb, "extra_info_kept")))
      fail_msg("%s: %s: extra %s", rel, b->name, b->extra);
    json_t *mcp = json_object_get(mb, "cprofile");
    if (mcp) { /* the rows, value for value */
      json_t *cp = json_object_get(bx, "cprofile");
      assert_int_equal(json_array_size(cp),
                       json_integer_value(json_object_get(mb, "cprofile_rows")));
      assert_true(json_equal(cp, mcp));
    } else {
      assert_null(json_object_get(bx, "cprofile"));
    }
    json_decref(bx);

    qb_result *res = &b->results[0];
    json_t *ms = json_object_get(mb, "stats");
    assert_int_equal(res->stats.n, json_integer_value(json_object_get(mb, "rounds")));
    assert_true(res->stats.min == json_real_value(json_object_get(ms, "min")) * 1e9);
    assert_true(res->stats.max == json_real_value(json_object_get(ms, "max")) * 1e9);
    assert_true(res->stats.mean == json_real_value(json_object_get(ms, "mean")) * 1e9);
    assert_true(res->stats.median == json_real_value(json_object_get(ms, "median")) * 1e9);
    assert_true(res->stats.stddev == json_number_value(json_object_get(ms, "stddev")) * 1e9);
    assert_true(res->stats.q1 == json_real_value(json_object_get(ms, "q1")) * 1e9);
    assert_true(res->stats.q3 == json_real_value(json_object_get(ms, "q3")) * 1e9);
    assert_int_equal(res->stats.outliers, json_integer_value(json_object_get(ms, "iqr_outliers")));
    assert_int_equal(res->n_samples, json_integer_value(json_object_get(mb, "samples")));
    for (size_t k = 0; k < res->n_samples; k++)
      assert_true(res->iters[k] == (uint64_t)json_integer_value(json_object_get(mb, "iterations")));
    json_t *ex = qbt_load_text(res->extra);
    assert_true(json_equal(json_object_get(ex, "ops"), json_object_get(ms, "ops")));
    assert_true(json_equal(json_object_get(ex, "total"), json_object_get(ms, "total")));
    assert_true(json_equal(json_object_get(ex, "outliers"), json_object_get(ms, "outliers")));
    json_decref(ex);
  }
  qb_run_free(run);
}

static void test_pytest__special_manifest(void **state) {
  (void)state;
  json_t *manifest = qbt_load_json(SPECIAL "/manifest.json");
  assert_non_null(manifest);
  json_t *mfile;
  size_t i;
  json_array_foreach(json_object_get(manifest, "files"), i, mfile) check_special_file(mfile);
  assert_int_equal(i, 3);
  json_decref(manifest);
}

/* The values the tool wrote beyond JSON, spelled out: kept as the text Python wrote. */
static void test_pytest__special_values(void **state) {
  (void)state;
  qb_run *run = qbt_parse_file(qb_pytest_parse, SPECIAL "/special.json");
  assert_int_equal(run->n_benches, 6);
  assert_string_equal(run->benches[0].name, "test_scale[1.5]");
  assert_string_equal(run->benches[0].params, "{\"x\":1.5}");
  assert_string_equal(run->benches[1].name, "test_scale[inf]");
  assert_string_equal(run->benches[1].params, "{\"x\":\"Infinity\"}");
  assert_string_equal(run->benches[2].name, "test_scale[-inf]");
  assert_string_equal(run->benches[2].params, "{\"x\":\"-Infinity\"}");
  assert_string_equal(run->benches[3].name, "test_extra_info");
  json_t *bx = qbt_load_text(run->benches[3].extra);
  json_t *xi = json_object_get(bx, "extra_info");
  assert_string_equal(json_string_value(json_object_get(xi, "ratio")), "NaN");
  assert_string_equal(json_string_value(json_object_get(xi, "seed")), "1180591620717411303424");
  assert_string_equal(json_string_value(json_object_get(xi, "hash")), "-18446744073709551617");
  assert_string_equal(json_string_value(json_object_get(xi, "label")), "plain string");
  json_t *lim = json_object_get(xi, "limits");
  assert_int_equal(json_integer_value(json_array_get(lim, 0)), 1);
  assert_string_equal(json_string_value(json_array_get(lim, 1)), "Infinity");
  assert_string_equal(json_string_value(json_array_get(lim, 2)), "-Infinity");
  json_decref(bx);
  assert_string_equal(run->benches[5].name, "test_big_param[1180591620717411303424]");
  assert_string_equal(run->benches[5].params, "{\"n\":\"1180591620717411303424\"}");
  /* stats of test_extra_info as pytest-benchmark wrote them (manifest.json) */
  qb_result *r = &run->benches[3].results[0];
  assert_int_equal(r->stats.n, 372);
  assert_int_equal(r->n_samples, 372);
  assert_true(r->iters[0] == 172);
  qb_run_free(run);

  /* the cProfile rows: 4 per benchmark here, first by tottime */
  run = qbt_parse_file(qb_pytest_parse, SPECIAL "/cprofile.json");
  bx = qbt_load_text(run->benches[0].extra);
  json_t *row = json_array_get(json_object_get(bx, "cprofile"), 0);
  assert_int_equal(json_array_size(json_object_get(bx, "cprofile")), 4);
  assert_string_equal(json_string_value(json_object_get(row, "function_name")),
                      "ptrun/test_special.py:7(sum_squares)");
  assert_string_equal(json_string_value(json_object_get(row, "ncalls_recursion")), "1");
  assert_int_equal(json_integer_value(json_object_get(row, "ncalls")), 1);
  json_decref(bx);
  qb_run_free(run);
}

/* special.json with the first occurrence of `from` replaced by `to`; *at is its byte offset.
 * The caller frees. */
static char *special_with(const char *from, const char *to, size_t *at) {
  size_t len;
  char *data = read_data(SPECIAL "/special.json", &len);
  const char *hit = strstr(data, from);
  assert_non_null(hit);
  size_t a = (size_t)(hit - data), nf = strlen(from), nt = strlen(to);
  char *out = malloc(len - nf + nt + 1);
  assert_non_null(out);
  memcpy(out, data, a);
  memcpy(out + a, to, nt);
  memcpy(out + a + nt, data + a + nf, len - a - nf + 1);
  free(data);
  *at = a;
  return out;
}

/* The line and column (from 1) of byte at in text. */
static void line_col(const char *text, size_t at, int *line, int *col) {
  *line = 1;
  size_t start = 0;
  for (size_t i = 0; i < at; i++)
    if (text[i] == '\n') ++*line, start = i + 1;
  *col = (int)(at - start + 1);
}

/* A NaN, an Infinity or a big integer in stats is refused: one line naming the file, the field
 * and where the token stands. */
static void test_pytest__special_in_stats_refused(void **state) {
  (void)state;
  static const struct {
    const char *from, *to, *want;
  } CASES[] = {
      {"\"mean\": 1.6504158871009806e-06", "\"mean\": NaN",
       "special.json: benchmarks[0].stats.mean: expected a finite number, got NaN"},
      {"\"max\": 2.23572099997682e-06", "\"max\": Infinity",
       "special.json: benchmarks[0].stats.max: expected a finite number, got Infinity"},
      {"\"rounds\": 124", "\"rounds\": 1180591620717411303424",
       "special.json: benchmarks[0].stats.rounds: expected a number that fits in 64 bits, got "
       "1180591620717411303424"},
      {"\"ops\": 605907.885288561", "\"ops\": -Infinity",
       "special.json: benchmarks[0].stats.ops: expected a finite number, got -Infinity"},
  };
  for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
    size_t at;
    char *text = special_with(CASES[c].from, CASES[c].to, &at);
    int line, col;
    /* the token stands after the key and ": " */
    size_t tok = at + (size_t)(strchr(CASES[c].to, ' ') - CASES[c].to) + 1;
    line_col(text, tok, &line, &col);
    char where[64];
    snprintf(where, sizeof where, "(line %d, column %d)", line, col);
    BAD("special.json", text, CASES[c].want, where);
    free(text);
  }
  /* one value of stats.data */
  const char *t = "{\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1,\"data\":[1,2,NaN]}}]}";
  BAD("d.json", t, "d.json: benchmarks[0].stats.data[2]: expected a finite number, got NaN",
      "(line 1, column 58)");
}

/* The string "NaN" written as a string is a string: kept as such outside stats, "expected a
 * number, got string" in them; a document with NaN and a real error is refused at that error,
 * with the same message as without the NaN. */
static void test_pytest__special_strings_and_errors(void **state) {
  (void)state;
  /* 5.x writes datetime with an offset (datetime.now(timezone.utc).isoformat()) */
  qb_run *run = parse_text("o.json", "{\"datetime\":\"2026-12-07T21:45:42.282851+00:00\","
                                     "\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":1}}]}");
  char ts[64];
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts),
                      "2026-12-07T21:45:42.282851Z");
  qb_run_free(run);
  run = parse_text("s.json", "{\"benchmarks\":[{\"name\":\"t\",\"extra_info\":{\"a\":\"NaN\","
                             "\"b\":NaN},\"stats\":{\"mean\":1e-06}}]}");
  assert_string_equal(run->benches[0].extra, "{\"extra_info\":{\"a\":\"NaN\",\"b\":\"NaN\"}}");
  qb_run_free(run);
  BAD("s.json", "{\"benchmarks\":[{\"name\":\"t\",\"stats\":{\"mean\":\"NaN\"}}]}",
      "s.json: benchmarks[0].stats.mean: expected a number, got string");

  const char *with = "{\"benchmarks\":[{\"name\":\"t\",\"extra_info\":{\"b\":NaN},\n"
                     "\"stats\":{\"mean\":1}}] x";
  const char *without = "{\"benchmarks\":[{\"name\":\"t\",\"extra_info\":{\"b\":0  },\n"
                        "\"stats\":{\"mean\":1}}] x";
  qb_err e1 = QB_ERR_INIT, e2 = QB_ERR_INIT;
  qb_run *r1 = NULL, *r2 = NULL;
  assert_int_equal(qb_pytest_parse("e.json", with, strlen(with), &r1, &e1), QB_EFORMAT);
  assert_int_equal(qb_pytest_parse("e.json", without, strlen(without), &r2, &e2), QB_EFORMAT);
  assert_string_equal(e1.msg, e2.msg);
  assert_non_null(strstr(e1.msg, "e.json: invalid JSON at line 2, column "));
  /* a token that is not Python's */
  BAD("n.json", "{\"benchmarks\":[{\"name\":\"t\",\"x\":nan,\"stats\":{\"mean\":1}}]}",
      "invalid JSON at line 1, column ");
  BAD("n.json", "{\"benchmarks\":[{\"name\":\"t\",\"x\":NaNa,\"stats\":{\"mean\":1}}]}",
      "invalid JSON at line 1, column ");
}

/* ---- tests/data/pytest/v5: pytest-benchmark 5.2.3 under pytest 7.2.1 and 9.1.1 ---- */

#define V5 PYDATA "/v5"

/* json_equal, or fail naming the file, the benchmark and what differs. */
static void want_equal(json_t *got, json_t *want, const char *rel, const char *name,
                       const char *what) {
  if (got && want && json_equal(got, want)) return;
  char *g = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
  char *w = want ? json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
  fail_msg("%s: %s: %s: got %.300s, want %.300s", rel, name, what, g ? g : "(none)",
           w ? w : "(none)");
}

/* One file of the v5 folder against its manifest entry: the run's fields, and every benchmark
 * value for value (name, group, params, extra_info, options, cProfile rows, every statistic,
 * every sample with its iterations). */
static void check_v5_file(json_t *mfile) {
  char path[1024], ts[64];
  const char *rel = json_string_value(json_object_get(mfile, "file"));
  snprintf(path, sizeof path, V5 "/%s", rel);
  qb_run *run = qbt_parse_file(qb_pytest_parse, path);

  /* Run fields: datetime with its +00:00 offset, machine_info and commit_info whole. */
  assert_string_equal(run->format, "pytest");
  assert_string_equal(json_string_value(json_object_get(mfile, "version")), "5.2.3");
  assert_string_equal(run->tool_version, "pytest-benchmark 5.2.3");
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts),
                      json_string_value(json_object_get(mfile, "started_at")));
  assert_string_equal(run->machine, json_string_value(json_object_get(mfile, "machine")));
  assert_string_equal(run->project, json_string_value(json_object_get(mfile, "project")));
  assert_string_equal(json_string_value(json_object_get(mfile, "branch")), "(unknown)");
  assert_null(run->branch);
  assert_string_equal(json_string_value(json_object_get(mfile, "commit_id")), "unversioned");
  assert_null(run->commit_sha);
  assert_true(run->commit_time == QB_TIME_NONE);
  json_t *mi = qbt_load_text(run->machine_info);
  want_equal(mi, json_object_get(mfile, "machine_info"), rel, "(run)", "machine_info");
  json_decref(mi);
  json_t *rx = qbt_load_text(run->extra);
  want_equal(json_object_get(rx, "commit_info"), json_object_get(mfile, "commit_info"), rel,
             "(run)", "commit_info");
  json_decref(rx);

  json_t *mbenches = json_object_get(mfile, "benchmarks"), *mb;
  assert_int_equal(run->n_benches, json_array_size(mbenches));
  size_t i;
  json_array_foreach(mbenches, i, mb) {
    qb_bench *b = &run->benches[i];
    const char *name = json_string_value(json_object_get(mb, "name"));
    assert_string_equal(b->name, name);
    json_t *mg = json_object_get(mb, "group");
    if (json_is_null(mg))
      assert_null(b->group);
    else
      assert_string_equal(b->group, json_string_value(mg));
    json_t *mp = json_object_get(mb, "params_kept");
    if (json_is_null(mp)) {
      assert_null(b->params);
    } else {
      json_t *p = qbt_load_text(b->params);
      want_equal(p, mp, rel, name, "params");
      json_decref(p);
    }
    /* extra: every key of the entry but name, group, params, stats and those written null */
    json_t *bx = qbt_load_text(b->extra), *mk;
    size_t k, n_extra = 0;
    json_array_foreach(json_object_get(mb, "keys"), k, mk) {
      const char *key = json_string_value(mk);
      if (strcmp(key, "name") && strcmp(key, "group") && strcmp(key, "params") &&
          strcmp(key, "stats") &&
          !(!strcmp(key, "param") && json_is_null(json_object_get(mb, key))))
        n_extra++;
    }
    assert_int_equal(json_object_size(bx), n_extra);
    assert_string_equal(json_string_value(json_object_get(bx, "fullname")),
                        json_string_value(json_object_get(mb, "fullname")));
    json_t *mparam = json_object_get(mb, "param");
    if (json_is_null(mparam))
      assert_null(json_object_get(bx, "param"));
    else
      want_equal(json_object_get(bx, "param"), mparam, rel, name, "param");
    want_equal(json_object_get(bx, "extra_info"), json_object_get(mb, "extra_info_kept"), rel, name,
               "extra_info");
    want_equal(json_object_get(bx, "options"), json_object_get(mb, "options"), rel, name,
               "options");
    json_t *mcp = json_object_get(mb, "cprofile");
    if (mcp) {
      assert_int_equal(json_array_size(json_object_get(bx, "cprofile")),
                       json_integer_value(json_object_get(mb, "cprofile_rows")));
      want_equal(json_object_get(bx, "cprofile"), mcp, rel, name, "cprofile");
    } else {
      assert_null(json_object_get(bx, "cprofile"));
    }
    json_decref(bx);

    assert_int_equal(b->n_results, 1);
    qb_result *res = &b->results[0];
    assert_string_equal(res->metric, "latency");
    assert_string_equal(res->unit, "ns");
    json_t *ms = json_object_get(mb, "stats");
    assert_int_equal(res->stats.n, json_integer_value(json_object_get(mb, "rounds")));
    assert_true(res->stats.min == json_real_value(json_object_get(ms, "min")) * 1e9);
    assert_true(res->stats.max == json_real_value(json_object_get(ms, "max")) * 1e9);
    assert_true(res->stats.mean == json_real_value(json_object_get(ms, "mean")) * 1e9);
    assert_true(res->stats.median == json_real_value(json_object_get(ms, "median")) * 1e9);
    assert_true(res->stats.stddev == json_number_value(json_object_get(ms, "stddev")) * 1e9);
    assert_true(res->stats.q1 == json_real_value(json_object_get(ms, "q1")) * 1e9);
    assert_true(res->stats.q3 == json_real_value(json_object_get(ms, "q3")) * 1e9);
    assert_int_equal(res->stats.outliers, json_integer_value(json_object_get(ms, "iqr_outliers")));
    /* the samples: stats.data x 1e9, each with stats.iterations */
    json_t *mdata = json_object_get(mb, "data"), *mv;
    assert_int_equal(res->n_samples, json_integer_value(json_object_get(mb, "samples")));
    assert_int_equal(res->n_samples, json_array_size(mdata));
    if (!res->n_samples) {
      assert_null(res->samples);
      assert_null(res->iters);
    }
    json_array_foreach(mdata, k, mv) {
      if (res->samples[k] != json_number_value(mv) * 1e9)
        fail_msg("%s: %s: sample %zu: %.17g, want %.17g", rel, name, k, res->samples[k],
                 json_number_value(mv) * 1e9);
      assert_true(res->iters[k] == (uint64_t)json_integer_value(json_object_get(mb, "iterations")));
    }
    /* every other statistic, as written */
    static const char *const REST[] = {"iqr",     "ops",          "total",           "ld15iqr",
                                       "hd15iqr", "iqr_outliers", "stddev_outliers", "outliers",
                                       "rounds",  "iterations"};
    json_t *ex = qbt_load_text(res->extra);
    for (size_t r = 0; r < sizeof REST / sizeof REST[0]; r++)
      want_equal(json_object_get(ex, REST[r]), json_object_get(ms, REST[r]), rel, name, REST[r]);
    assert_int_equal(json_object_size(ex), sizeof REST / sizeof REST[0]);
    json_decref(ex);
  }
  qb_run_free(run);
}

static void test_pytest__v5_manifest(void **state) {
  (void)state;
  json_t *manifest = qbt_load_json(V5 "/manifest.json");
  assert_non_null(manifest);
  json_t *mfile;
  size_t i;
  json_array_foreach(json_object_get(manifest, "files"), i, mfile) check_v5_file(mfile);
  assert_int_equal(i, 10); /* 5 files each under pytest 9.1.1 and 7.2.1 */
  json_decref(manifest);
}

/* Values of the 5.2.3 files spelled out, as pytest-benchmark wrote them (the files, and
 * tests/data/pytest/v5/manifest.json from `/usr/bin/python3 gen_manifest.py` there). */
static void test_pytest__v5_values(void **state) {
  (void)state;
  char ts[64];
  qb_run *run = qbt_parse_file(qb_pytest_parse, V5 "/pytest9/special.json");
  /* "datetime": "2026-12-07T22:28:55.016747+00:00" */
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts),
                      "2026-12-07T22:28:55.016747Z");
  assert_string_equal(run->project, "v5py9");
  json_t *mi = qbt_load_text(run->machine_info);
  assert_string_equal(json_string_value(json_object_get(mi, "python_version")), "3.11.2");
  json_t *cpu = json_object_get(mi, "cpu"); /* py-cpuinfo's whole object */
  assert_string_equal(json_string_value(json_object_get(cpu, "brand")),
                      "Intel(R) Xeon(R) Processor");
  assert_int_equal(json_integer_value(json_object_get(cpu, "count")), 2);
  assert_int_equal(json_integer_value(json_array_get(json_object_get(cpu, "hz_actual_raw"), 0)),
                   2300000000);
  json_decref(mi);
  assert_int_equal(run->n_benches, 6);
  assert_string_equal(run->benches[1].name, "test_scale[inf]");
  assert_string_equal(run->benches[1].params, "{\"x\":\"Infinity\"}");
  assert_string_equal(run->benches[2].params, "{\"x\":\"-Infinity\"}");
  json_t *bx = qbt_load_text(run->benches[3].extra);
  json_t *xi = json_object_get(bx, "extra_info");
  assert_string_equal(json_string_value(json_object_get(xi, "ratio")), "NaN");
  assert_string_equal(json_string_value(json_object_get(xi, "seed")), "1180591620717411303424");
  assert_string_equal(json_string_value(json_object_get(xi, "hash")), "-18446744073709551617");
  json_decref(bx);
  assert_string_equal(run->benches[5].name, "test_big_param[1180591620717411303424]");
  assert_string_equal(run->benches[5].params, "{\"n\":\"1180591620717411303424\"}");
  /* test_extra_info: "rounds": 88, "iterations": 172, "mean": 3.1884229650489246e-06,
   * "iqr_outliers": 10 */
  qb_result *r = &run->benches[3].results[0];
  assert_int_equal(r->stats.n, 88);
  assert_int_equal(r->n_samples, 88);
  assert_true(r->iters[87] == 172);
  assert_true(r->stats.mean == 3.1884229650489246e-06 * 1e9);
  assert_int_equal(r->stats.outliers, 10);
  /* the first sample of test_scale[1.5]: 1.6577269998379051e-06 */
  assert_true(run->benches[0].results[0].samples[0] == 1.6577269998379051e-06 * 1e9);
  qb_run_free(run);

  /* the autosaved copy, without --benchmark-save-data: statistics, no samples */
  run = qbt_parse_file(qb_pytest_parse, V5 "/pytest9/storage/Linux-CPython-3.11-64bit/"
                                           "0002_unversioned_20261207_222855.json");
  assert_int_equal(run->n_benches, 6);
  for (size_t i = 0; i < run->n_benches; i++)
    assert_int_equal(run->benches[i].results[0].n_samples, 0);
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts),
                      "2026-12-07T22:28:57.822394Z");
  qb_run_free(run);

  /* cProfile rows under pytest 7.2.1: 4 per benchmark, first by tottime */
  run = qbt_parse_file(qb_pytest_parse, V5 "/pytest7/cprofile.json");
  bx = qbt_load_text(run->benches[0].extra);
  json_t *cp = json_object_get(bx, "cprofile"), *row = json_array_get(cp, 0);
  assert_int_equal(json_array_size(cp), 4);
  assert_string_equal(json_string_value(json_object_get(row, "function_name")),
                      "v5py7/test_special.py:7(sum_squares)");
  assert_string_equal(json_string_value(json_object_get(row, "ncalls_recursion")), "1");
  json_decref(bx);
  qb_run_free(run);

  /* groups and a two-parameter grid; the pedantic one with rounds=7, iterations=3 */
  run = qbt_parse_file(qb_pytest_parse, V5 "/pytest9/groups.json");
  assert_int_equal(run->n_benches, 6);
  assert_string_equal(run->benches[0].name, "test_build[10-list]");
  assert_string_equal(run->benches[0].group, "build");
  assert_string_equal(run->benches[0].params, "{\"kind\":\"list\",\"n\":10}");
  assert_string_equal(run->benches[4].name, "test_sort");
  assert_string_equal(run->benches[4].group, "sort");
  assert_string_equal(run->benches[5].name, "test_sort_pedantic");
  r = &run->benches[5].results[0];
  assert_int_equal(r->stats.n, 7);
  assert_int_equal(r->n_samples, 7);
  for (size_t k = 0; k < 7; k++) assert_true(r->iters[k] == 3);
  qb_run_free(run);
}

/* A file of the v5 folder with the first occurrence of `from` replaced by `to`; *at is its byte
 * offset. The caller frees. */
static char *v5_with(const char *rel, const char *from, const char *to, size_t *at) {
  char path[1024];
  size_t len;
  snprintf(path, sizeof path, V5 "/%s", rel);
  char *data = read_data(path, &len);
  const char *hit = strstr(data, from);
  assert_non_null(hit);
  size_t a = (size_t)(hit - data), nf = strlen(from), nt = strlen(to);
  char *out = malloc(len - nf + nt + 1);
  assert_non_null(out);
  memcpy(out, data, a);
  memcpy(out + a, to, nt);
  memcpy(out + a + nt, data + a + nf, len - a - nf + 1);
  free(data);
  *at = a;
  return out;
}

/* 5.2.3 files made bad: refused with one line naming the file, the field and the position; and
 * what 5.2.3 can write that is not bad (a datetime without microseconds, NaN in a cProfile row). */
static void test_pytest__v5_bad_and_edges(void **state) {
  (void)state;
  size_t at;
  int line, col;
  char where[64], ts[64];
  /* a NaN among the samples of the first benchmark */
  char *text = v5_with("pytest9/special.json", "1.5737039998384716e-06", "NaN", &at);
  line_col(text, at, &line, &col);
  snprintf(where, sizeof where, "(line %d, column %d)", line, col);
  BAD("special.json", text,
      "special.json: benchmarks[0].stats.data[1]: expected a finite number, got NaN", where);
  free(text);
  text = v5_with("pytest9/special.json", "\"iterations\": 172", "\"iterations\": 0", &at);
  BAD("special.json", text,
      "special.json: benchmarks[1].stats.iterations: expected a positive integer, got 0");
  free(text);
  text = v5_with("pytest9/special.json", "\"datetime\": \"2026-12-07T22:28:55.016747+00:00\"",
                 "\"datetime\": \"2026-12-07T22:28:55.016747+25:00\"", &at);
  BAD("special.json", text,
      "special.json: datetime: not an ISO 8601 timestamp: \"2026-12-07T22:28:55.016747+25:00\"");
  free(text);
  /* a control character in the text is not copied into the one-line message */
  text = v5_with("pytest9/special.json", "\"datetime\": \"2026-12-07T22:28:55.016747+00:00\"",
                 "\"datetime\": \"2026-12-07\\nT22:28\"", &at);
  BAD("special.json", text,
      "special.json: datetime: not an ISO 8601 timestamp: \"2026-12-07?T22:28\"");
  free(text);
  text = v5_with("pytest9/special.json", "\"id\": \"unversioned\"", "\"id\": \"v1.0\\r\\nx\"", &at);
  BAD("special.json", text,
      "special.json: commit_info.id: expected 4 to 64 hex digits, got \"v1.0??x\"");
  free(text);

  /* isoformat() leaves out the microseconds when they are 0 */
  text = v5_with("pytest9/special.json", "2026-12-07T22:28:55.016747+00:00",
                 "2026-12-07T22:28:55+00:00", &at);
  qb_run *run = parse_text("special.json", text);
  assert_string_equal(qb_time_format(run->started_at, ts, sizeof ts), "2026-12-07T22:28:55Z");
  qb_run_free(run);
  free(text);
  /* a NaN in a cProfile row is kept as text, as outside stats anywhere */
  text = v5_with("pytest9/cprofile.json", "\"ncalls\": 1,", "\"ncalls\": NaN,", &at);
  run = parse_text("cprofile.json", text);
  json_t *bx = qbt_load_text(run->benches[0].extra);
  assert_string_equal(json_string_value(json_object_get(
                          json_array_get(json_object_get(bx, "cprofile"), 0), "ncalls")),
                      "NaN");
  json_decref(bx);
  qb_run_free(run);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pytest__run1_json),
      cmocka_unit_test(test_pytest__run2_json),
      cmocka_unit_test(test_pytest__storage_baseline),
      cmocka_unit_test(test_pytest__storage_modified),
      cmocka_unit_test(test_pytest__v4_layout),
      cmocka_unit_test(test_pytest__exact_duplicate_kept),
      cmocka_unit_test(test_pytest__ambiguous_groups),
      cmocka_unit_test(test_pytest__commit_time),
      cmocka_unit_test(test_pytest__commit_must_be_hex),
      cmocka_unit_test(test_pytest__realworld),
      cmocka_unit_test(test_pytest__every_prefix),
      cmocka_unit_test(test_pytest__bad_not_json),
      cmocka_unit_test(test_pytest__bad_truncated),
      cmocka_unit_test(test_pytest__bad_top_level),
      cmocka_unit_test(test_pytest__bad_no_benchmarks_field),
      cmocka_unit_test(test_pytest__bad_benchmarks_not_array),
      cmocka_unit_test(test_pytest__bad_empty_benchmarks),
      cmocka_unit_test(test_pytest__bad_bench_not_object),
      cmocka_unit_test(test_pytest__bad_no_name),
      cmocka_unit_test(test_pytest__bad_no_stats),
      cmocka_unit_test(test_pytest__bad_stat_type),
      cmocka_unit_test(test_pytest__bad_rounds_type),
      cmocka_unit_test(test_pytest__bad_data_element),
      cmocka_unit_test(test_pytest__bad_data_not_array),
      cmocka_unit_test(test_pytest__bad_group_type),
      cmocka_unit_test(test_pytest__bad_no_mean),
      cmocka_unit_test(test_pytest__bad_iterations),
      cmocka_unit_test(test_pytest__bad_datetime),
      cmocka_unit_test(test_pytest__special_manifest),
      cmocka_unit_test(test_pytest__special_values),
      cmocka_unit_test(test_pytest__special_in_stats_refused),
      cmocka_unit_test(test_pytest__special_strings_and_errors),
      cmocka_unit_test(test_pytest__v5_manifest),
      cmocka_unit_test(test_pytest__v5_values),
      cmocka_unit_test(test_pytest__v5_bad_and_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

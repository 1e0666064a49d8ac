/* tests/view/test_export.c - qbdb export round trips: runs ingested from real tool output
 * (pytest-benchmark, a Criterion tree, Google Benchmark with repetitions), exported as CSV and
 * JSON, read back here and compared with what the store holds, value for value and bit for bit
 * (numbers are written with 17 significant digits, so they parse back to the same double). On
 * SQLite and (as api_test_export_pg) on PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>

#include "view/export.h"
#include "view/json.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_export"

static qb_store *db;
static int64_t ids[4];

static int64_t ingest(const char *path, const char *project, const char *commit) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = project;
  o.commit = commit;
  qb_run *run;
  qb_ingest_result res;
  qb_err err = QB_ERR_INIT;
  if (qb_ingest_prepare(path, &o, &run, &err) || qb_ingest_store(db, run, &res, &err))
    fail_msg("%s: %s", path, err.msg);
  qb_run_free(run);
  return res.run_id;
}

static int setup(void **state) {
  (void)state;
  if (system("rm -rf '" TMP "' && mkdir -p '" TMP "'")) return -1;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&db, qbt_db_fresh(TMP, "export.db"), QB_STORE_CREATE, &err)) return -1;
  ids[0] = ingest(QB_TEST_DATA "/pytest/run1/benchmark.json", "py", "aaaa1111");
  ids[1] = ingest(QB_TEST_DATA "/pytest/run2/benchmark.json", "py", "bbbb2222");
  ids[2] = ingest(QB_TEST_DATA "/criterion/run1/target/criterion", "rs", "cccc3333");
  ids[3] = ingest(QB_TEST_DATA "/gbench/run2_reps5_out.json", "cpp", "dddd4444");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  qb_store_close(db);
  return 0;
}

/* Export into memory; the caller frees the text. */
static char *export_text(const qb_export_opts *o, size_t *n_runs) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  qb_err err = QB_ERR_INIT;
  if (qb_export(db, o, f, n_runs, &err)) fail_msg("%s", err.msg);
  fclose(f);
  return text;
}

/* Split one CSV record (RFC 4180) starting at *p into fields (malloc'd strings; an empty
 * field is ""); advances *p past its newline. Returns the field count. */
static size_t csv_record(const char **p, char **fields, size_t max) {
  size_t n = 0;
  const char *s = *p;
  for (;;) {
    char buf[8192];
    size_t k = 0;
    if (*s == '"') {
      s++;
      for (;;) {
        if (*s == '"' && s[1] == '"') {
          buf[k++] = '"';
          s += 2;
        } else if (*s == '"') {
          s++;
          break;
        } else {
          assert_true(*s != '\0');
          buf[k++] = *s++;
        }
        assert_true(k < sizeof buf);
      }
    } else {
      while (*s && *s != ',' && *s != '\n') buf[k++] = *s++;
    }
    buf[k] = '\0';
    assert_true(n < max);
    fields[n++] = strdup(buf);
    if (*s == ',') {
      s++;
      continue;
    }
    if (*s == '\n') s++;
    break;
  }
  *p = s;
  return n;
}

static void free_fields(char **f, size_t n) {
  for (size_t i = 0; i < n; i++) free(f[i]);
}

/* A numeric field equals v exactly (empty for NAN). */
static void check_num(const char *field, double v, const char *what) {
  if (isnan(v)) {
    if (*field) fail_msg("%s: expected an empty field, got '%s'", what, field);
    return;
  }
  char *end;
  double got = strtod(field, &end);
  if (*end || got != v) fail_msg("%s: got '%s', want %.17g", what, field, v);
}

/* The result (and benchmark) a row names, failing when there is none. */
static const qb_result *find(const qb_run *run, const char *bench, const char *metric,
                             const qb_bench **b_out) {
  for (size_t i = 0; i < run->n_benches; i++)
    if (!strcmp(run->benches[i].name, bench))
      for (size_t k = 0; k < run->benches[i].n_results; k++)
        if (!strcmp(run->benches[i].results[k].metric, metric)) {
          *b_out = &run->benches[i];
          return &run->benches[i].results[k];
        }
  fail_msg("no result %s / %s", bench, metric);
  return NULL;
}

static void check_csv(int samples) {
  qb_export_opts o = QB_EXPORT_OPTS_INIT;
  o.samples = samples;
  size_t n_runs;
  char *text = export_text(&o, &n_runs);
  assert_int_equal(n_runs, 4);
  const char *p = text;
  char *f[64];
  size_t nf = csv_record(&p, f, 64);
  const char *header = samples ? qb_export_csv_samples_header : qb_export_csv_header;
  size_t want_cols = samples ? 6 : 27;
  assert_int_equal(nf, want_cols);
  free_fields(f, nf);
  assert_int_equal(strncmp(text, header, strlen(header)), 0);
  size_t rows = 0, want_rows = 0;
  qb_run_info info[4];
  qb_run *runs[4];
  qb_err err = QB_ERR_INIT;
  for (int r = 0; r < 4; r++) {
    if (qb_store_load_run(db, ids[r], samples, &info[r], &runs[r], &err)) fail_msg("%s", err.msg);
    for (size_t i = 0; i < runs[r]->n_benches; i++)
      for (size_t k = 0; k < runs[r]->benches[i].n_results; k++)
        want_rows += samples ? runs[r]->benches[i].results[k].n_samples : 1;
  }
  int64_t last_start = INT64_MIN;
  size_t next_sample = 0; /* samples: the index the next row of the same result must have */
  const qb_result *last_res = NULL;
  while (*p) {
    nf = csv_record(&p, f, 64);
    assert_int_equal(nf, want_cols);
    int64_t id = strtoll(f[0], NULL, 10);
    int r = 0;
    while (r < 4 && ids[r] != id) r++;
    assert_true(r < 4);
    assert_true(info[r].started_at >= last_start); /* oldest first */
    last_start = info[r].started_at;
    const qb_bench *b = NULL;
    if (samples) { /* run_id, benchmark, metric, sample, value, iterations */
      const qb_result *res = find(runs[r], f[1], f[2], &b);
      if (res != last_res) next_sample = 0;
      last_res = res;
      size_t j = strtoull(f[3], NULL, 10);
      assert_int_equal(j, next_sample); /* every sample, in order */
      next_sample++;
      assert_true(j < res->n_samples);
      check_num(f[4], res->samples[j], "sample");
      assert_int_equal(strtoull(f[5], NULL, 10), res->iters ? res->iters[j] : 1);
      free_fields(f, nf);
      rows++;
      continue;
    }
    const qb_result *res = find(runs[r], f[7], f[10], &b);
    assert_string_equal(f[1], info[r].project);
    assert_string_equal(f[4], info[r].commit_sha);
    char t[40];
    assert_string_equal(f[6], qb_time_format(info[r].started_at, t, sizeof t));
    assert_string_equal(f[8], b->group ? b->group : "");
    assert_string_equal(f[9], b->params ? b->params : "");
    assert_string_equal(f[11], res->unit);
    assert_string_equal(f[12], res->direction == QB_HIGHER_IS_BETTER ? "higher" : "lower");
    const qb_stats *x = &res->stats;
    const double v[] = {x->min, x->max, x->mean, x->median, x->stddev,
                        x->p95, x->p99, x->q1,   x->q3};
    for (size_t i = 0; i < 9; i++) check_num(f[14 + i], v[i], f[7]);
    check_num(f[24], x->estimate, "estimate");
    check_num(f[25], x->ci_lo, "ci_lo");
    check_num(f[26], x->ci_hi, "ci_hi");
    free_fields(f, nf);
    rows++;
  }
  assert_int_equal(rows, want_rows);
  print_message("%zu CSV rows checked (%s)\n", rows, samples ? "samples" : "results");
  for (int r = 0; r < 4; r++) {
    qb_run_info_dispose(&info[r]);
    qb_run_free(runs[r]);
  }
  free(text);
}

/* Progress: called with 0 first, then once per run, the total fixed. */
static size_t progress_calls, progress_last, progress_total;
static void on_progress(void *ctx, size_t done, size_t total) {
  (void)ctx;
  assert_int_equal(done, progress_calls);
  progress_calls++;
  progress_last = done;
  progress_total = total;
}

static void test_export__progress(void **state) {
  (void)state;
  qb_export_opts o = QB_EXPORT_OPTS_INIT;
  o.progress = on_progress;
  size_t n_runs;
  free(export_text(&o, &n_runs));
  assert_int_equal(progress_calls, 5); /* 0, 1, 2, 3, 4 */
  assert_int_equal(progress_last, 4);
  assert_int_equal(progress_total, 4);
}

static void test_export__csv_results(void **state) {
  (void)state;
  check_csv(0);
}

static void test_export__csv_samples(void **state) {
  (void)state;
  check_csv(1);
}

/* The JSON export holds exactly `qbdb show --format json --samples` of every run. */
static void test_export__json(void **state) {
  (void)state;
  qb_export_opts o = QB_EXPORT_OPTS_INIT;
  o.samples = 1;
  o.format = QB_EXPORT_JSON;
  size_t n_runs;
  char *text = export_text(&o, &n_runs);
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  if (!doc) fail_msg("export json: %s", je.text);
  assert_string_equal(json_string_value(json_object_get(doc, "format")), "qbdb-export");
  json_t *arr = json_object_get(doc, "runs");
  assert_int_equal(json_array_size(arr), 4);
  for (int r = 0; r < 4; r++) {
    json_t *got = NULL; /* the exported run with this id */
    for (size_t i = 0; i < json_array_size(arr); i++)
      if (json_integer_value(json_object_get(json_array_get(arr, i), "id")) == ids[r])
        got = json_array_get(arr, i);
    assert_non_null(got);
    qb_run_info info;
    qb_run *run;
    qb_err err = QB_ERR_INIT;
    if (qb_store_load_run(db, ids[r], 1, &info, &run, &err)) fail_msg("%s", err.msg);
    json_t *want = qb_view_run(&info, run, 1);
    /* through text with 17 digits, as the export writes it */
    char *wt = json_dumps(want, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_t *w2 = json_loads(wt, 0, &je);
    assert_true(json_equal(got, w2));
    free(wt);
    json_decref(w2);
    json_decref(want);
    qb_run_info_dispose(&info);
    qb_run_free(run);
  }
  json_decref(doc);
  free(text);
}

/* Filters: a project, and --since after every run but the newest. */
static void test_export__filters(void **state) {
  (void)state;
  qb_export_opts o = QB_EXPORT_OPTS_INIT;
  o.format = QB_EXPORT_JSON;
  o.filter.project = "py";
  size_t n_runs;
  char *text = export_text(&o, &n_runs);
  assert_int_equal(n_runs, 2);
  free(text);
  o.filter.project = NULL;
  qb_run_info info;
  qb_err err = QB_ERR_INIT;
  if (qb_store_load_run(db, ids[1], 0, &info, NULL, &err)) fail_msg("%s", err.msg);
  o.since = info.started_at; /* pytest run2's start */
  qb_run_info_dispose(&info);
  size_t want = 0;
  for (int r = 0; r < 4; r++) {
    if (qb_store_load_run(db, ids[r], 0, &info, NULL, &err)) fail_msg("%s", err.msg);
    want += info.started_at >= o.since;
    qb_run_info_dispose(&info);
  }
  assert_true(want >= 2 && want < 4); /* run2 and the Criterion tree (started when ingested) */
  text = export_text(&o, &n_runs);
  assert_int_equal(n_runs, want);
  assert_null(strstr(text, "aaaa1111"));
  assert_non_null(strstr(text, "bbbb2222"));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_export__csv_results), cmocka_unit_test(test_export__csv_samples),
      cmocka_unit_test(test_export__json),        cmocka_unit_test(test_export__filters),
      cmocka_unit_test(test_export__progress),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

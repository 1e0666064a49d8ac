/* tests/ingest/test_ingest.c - defaults, flag overrides, central validation, statistics derived
 * from raw samples, and the all-or-nothing, idempotent store step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/time.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/ingest"

#define HDR "{\"format\":\"qbdb-native\",\"version\":1}\n"

static int setup(void **state) {
  (void)state;
  return system("rm -rf '" TMP "' && mkdir -p '" TMP "'");
}

/* Prepare a native document held in a string. */
static int prep(const char *doc, const qb_ingest_opts *opts, qb_run **out, qb_err *err) {
  return qb_ingest_prepare_bytes("mem.jsonl", doc, strlen(doc), opts, out, err);
}

static void test_ingest__defaults(void **state) {
  (void)state;
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  int64_t before = qb_time_now();
  assert_int_equal(prep(HDR "{\"name\":\"x\",\"unit\":\"ns\",\"value\":5}\n", NULL, &run, &err),
                   QB_OK);
  assert_string_equal(run->project, QB_DEFAULT_PROJECT);
  assert_string_equal(run->branch, QB_DEFAULT_BRANCH);
  assert_string_equal(run->machine, QB_DEFAULT_MACHINE);
  assert_null(run->commit_sha);
  assert_true(run->started_at >= before && run->started_at <= qb_time_now());
  assert_int_equal(strlen(run->content_hash), 64);
  qb_run_free(run);
}

static void test_ingest__flags_override_the_file(void **state) {
  (void)state;
  const char *doc =
      "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"fp\",\"branch\":\"fb\","
      "\"commit\":\"abcdef12\",\"machine\":\"fm\",\"tags\":{\"net\":\"wan\",\"k\":"
      "\"v\"}}\n{\"name\":\"x\",\"unit\":\"ns\",\"value\":5}\n";
  qb_tag tags[] = {{"net", "lan"}, {"nodes", "3"}};
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "p";
  o.branch = "b";
  o.commit = "0123abcd";
  o.machine = "m";
  o.tags = tags;
  o.n_tags = 2;
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(prep(doc, &o, &run, &err), QB_OK);
  assert_string_equal(run->project, "p");
  assert_string_equal(run->branch, "b");
  assert_string_equal(run->commit_sha, "0123abcd");
  assert_string_equal(run->machine, "m");
  assert_int_equal(run->n_tags, 3);
  for (size_t i = 0; i < run->n_tags; i++) {
    if (!strcmp(run->tags[i].key, "net")) assert_string_equal(run->tags[i].value, "lan");
    if (!strcmp(run->tags[i].key, "k")) assert_string_equal(run->tags[i].value, "v");
    if (!strcmp(run->tags[i].key, "nodes")) assert_string_equal(run->tags[i].value, "3");
  }
  qb_run_free(run);
  o.commit = "not-hex!";
  assert_int_equal(prep(doc, &o, &run, &err), QB_EUSAGE);
  assert_null(run);
  assert_non_null(strstr(err.msg, "not-hex!"));
}

/* Statistics missing from the tool are derived from the samples. Reference values for the
 * samples 1000, 2000, ..., 10000 ns from numpy 1.24.2: mean/median 5500, std(ddof=1)
 * 3027.6503540974913, quantile(0.25/0.75/0.95/0.99, method='linear') 3250, 7750,
 * 9549.999999999998, 9910. */
static void test_ingest__derives_missing_statistics(void **state) {
  (void)state;
  const char *doc = HDR "{\"name\":\"x\",\"unit\":\"us\",\"samples\":[3,1,2,4,5,6,7,8,9,10],"
                        "\"iterations\":50}\n"
                        "{\"name\":\"y\",\"unit\":\"ns\",\"samples\":[1,2,3],\"stats\":{\"mean\":7,"
                        "\"n\":30}}\n";
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(prep(doc, NULL, &run, &err), QB_OK);
  const qb_stats *x = &run->benches[0].results[0].stats;
  assert_int_equal(x->n, 10);
  assert_close(x->min, 1000, 1e-15);
  assert_close(x->max, 10000, 1e-15);
  assert_close(x->mean, 5500, 1e-15);
  assert_close(x->median, 5500, 1e-15);
  assert_close(x->stddev, 3027.6503540974913, 1e-14);
  assert_close(x->q1, 3250, 1e-15);
  assert_close(x->q3, 7750, 1e-15);
  assert_close(x->p95, 9549.999999999998, 1e-14);
  assert_close(x->p99, 9910, 1e-15);
  assert_int_equal(x->outliers, 0);
  /* the tool's own values win over derived ones */
  const qb_stats *y = &run->benches[1].results[0].stats;
  assert_close(y->mean, 7, 0);
  assert_int_equal(y->n, 30);
  assert_close(y->median, 2, 0);
  qb_run_free(run);
}

/* Every value is checked, and the message names the file, the benchmark and the field. */
static void test_ingest__validation(void **state) {
  (void)state;
  const struct {
    const char *doc, *want;
  } cases[] = {
      {HDR "{\"name\":\"a\",\"unit\":\"ns\",\"samples\":[1,-2,3]}\n", "samples[1]: negative"},
      {HDR "{\"name\":\"a\",\"unit\":\"s\",\"samples\":[1,2,700000]}\n",
       "samples[2]: absurd duration"},
      {HDR "{\"name\":\"a\",\"unit\":\"ns\",\"stats\":{\"mean\":-1}}\n", "mean: negative"},
      {HDR "{\"name\":\"a\",\"unit\":\"ns\",\"stats\":{\"mean\":1e400}}\n",
       ":2: invalid JSON at column 45: real number overflow"},
      {HDR "{\"name\":\"a\",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":-4}\n",
       "memory samples[0]: negative"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qb_run *run = (qb_run *)1;
    qb_err err = QB_ERR_INIT;
    assert_int_equal(prep(cases[i].doc, NULL, &run, &err), QB_EFORMAT);
    assert_null(run);
    assert_non_null(strstr(err.msg, "mem.jsonl"));
    if (!strstr(err.msg, cases[i].want))
      fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
  }
  /* a custom dimensionless metric may be negative */
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(prep(HDR
                        "{\"name\":\"a\",\"metric\":\"delta\",\"unit\":\"count\",\"value\":-4}\n",
                        NULL, &run, &err),
                   QB_OK);
  qb_run_free(run);
}

static void test_ingest__duplicate_names_are_refused(void **state) {
  (void)state;
  const char *doc =
      "{\"benchmarks\":[{\"name\":\"t\",\"fullname\":\"a.py::t\",\"stats\":{\"mean\":1,"
      "\"rounds\":1}},{\"name\":\"u\",\"stats\":{\"mean\":1}},{\"name\":\"t\","
      "\"fullname\":\"a.py::t\",\"stats\":{\"mean\":2}}],\"version\":\"3.2.2\"}";
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_ingest_prepare_bytes("dup.json", doc, strlen(doc), NULL, &run, &err),
                   QB_EFORMAT);
  assert_non_null(strstr(err.msg, "dup.json: duplicate benchmark name 't' (entries #1 and #3)"));
}

static void test_ingest__store_is_idempotent(void **state) {
  (void)state;
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_open(&s, qbt_db_fresh(TMP, "idem.db"), QB_STORE_CREATE, &err), QB_OK);
  qb_run *run;
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  o.project = "p";
  assert_int_equal(qb_ingest_prepare(QB_TEST_DATA "/pytest/run1/benchmark.json", &o, &run, &err),
                   QB_OK);
  qb_ingest_result r1, r2;
  assert_int_equal(qb_ingest_store(s, run, &r1, &err), QB_OK);
  assert_int_equal(r1.existed, 0);
  assert_int_equal(r1.n_benches, 9);
  assert_int_equal(r1.n_results, 9);
  assert_int_equal(qb_ingest_store(s, run, &r2, &err), QB_OK);
  assert_int_equal(r2.existed, 1);
  assert_int_equal(r2.run_id, r1.run_id);
  qb_store_counts c;
  assert_int_equal(qb_store_counts_get(s, &c, &err), QB_OK);
  assert_int_equal(c.runs, 1);
  assert_int_equal(c.samples, (int64_t)r1.n_samples);
  qb_run_free(run);
  qb_store_close(s);
}

static void test_ingest__missing_path(void **state) {
  (void)state;
  qb_run *run;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_ingest_prepare(TMP "/nope.json", NULL, &run, &err), QB_ENOTFOUND);
  assert_non_null(strstr(err.msg, "nope.json"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ingest__defaults),
      cmocka_unit_test(test_ingest__flags_override_the_file),
      cmocka_unit_test(test_ingest__derives_missing_statistics),
      cmocka_unit_test(test_ingest__validation),
      cmocka_unit_test(test_ingest__duplicate_names_are_refused),
      cmocka_unit_test(test_ingest__store_is_idempotent),
      cmocka_unit_test(test_ingest__missing_path),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

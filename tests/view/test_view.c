/* tests/view/test_view.c - the JSON views shared by `qbdb show/runs --format json` and HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "view/json.h"
#include "core/time.h"
#include "tests/testutil.h"

static void test_view__run_with_results(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  qb_tag tag = {"net", "lan"};
  qb_run_info info = {0};
  info.id = 7;
  info.project = "p";
  info.branch = "main";
  info.machine = "ci-1";
  info.commit_sha = "0123abcd";
  info.format = "native";
  info.commit_time = QB_TIME_NONE;
  info.started_at = 1795624627014106LL;
  info.ingested_at = 1795624627000000LL;
  info.machine_info = "{\"cores\":2}";
  info.tags = &tag;
  info.n_tags = 1;
  info.n_benches = 1;
  info.n_results = 1;
  info.n_samples = 3;
  qb_run *run = qb_run_new();
  qb_bench *b;
  qb_result *r;
  assert_int_equal(qb_run_add_bench(run, "sort/100", "sort", &b, &err), QB_OK);
  b->params = strdup("{\"n\":100}");
  assert_int_equal(qb_bench_add_result(b, "throughput", "B/s", QB_HIGHER_IS_BETTER, &r, &err),
                   QB_OK);
  r->stats.n = 3;
  r->stats.mean = 2.5e8;
  const double v[3] = {1e8, 2e8, 4.5e8};
  const uint64_t it[3] = {67, 134, 201};
  assert_int_equal(qb_result_set_samples(r, v, it, 3, &err), QB_OK);

  json_t *o = qb_view_run(&info, run, 1);
  assert_non_null(o);
  assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
  assert_string_equal(json_string_value(json_object_get(o, "started_at")),
                      "2026-11-25T16:37:07.014106Z");
  assert_true(json_is_null(json_object_get(o, "commit_time")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(o, "tags"), "net")), "lan");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "machine_info"), "cores")),
                   2);
  json_t *bj = json_array_get(json_object_get(o, "benchmarks"), 0);
  assert_string_equal(json_string_value(json_object_get(bj, "group")), "sort");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(bj, "params"), "n")), 100);
  json_t *rj = json_array_get(json_object_get(bj, "results"), 0);
  assert_string_equal(json_string_value(json_object_get(rj, "unit")), "B/s");
  assert_string_equal(json_string_value(json_object_get(rj, "direction")), "higher");
  assert_close(json_real_value(json_object_get(rj, "mean")), 2.5e8, 0);
  assert_true(json_is_null(json_object_get(rj, "median"))); /* unknown stays null */
  assert_true(json_is_null(json_object_get(rj, "outliers")));
  json_t *sj = json_object_get(rj, "samples");
  assert_close(json_real_value(json_array_get(json_object_get(sj, "values"), 2)), 4.5e8, 0);
  assert_int_equal(json_integer_value(json_array_get(json_object_get(sj, "iters"), 1)), 134);
  json_decref(o);

  o = qb_view_run(&info, run, 0); /* without samples */
  rj = json_array_get(
      json_object_get(json_array_get(json_object_get(o, "benchmarks"), 0), "results"), 0);
  assert_null(json_object_get(rj, "samples"));
  json_decref(o);

  o = qb_view_run_info(&info);
  assert_int_equal(json_integer_value(json_object_get(o, "n_samples")), 3);
  assert_string_equal(json_string_value(json_object_get(o, "commit")), "0123abcd");
  json_decref(o);
  qb_run_free(run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_view__run_with_results),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

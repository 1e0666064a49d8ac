/* tests/adapters/test_go.c - qb_go_parse (adapters/go.c), the `go test -bench` text adapter.
 *
 * Reference values: the output go 1.19.8 printed, in tests/data/go (README.md there says how it
 * was made): a few values hard-coded below with the line they come from, and every ns/op, B/op,
 * allocs/op and MB/s number read back from the files here with sscanf/strstr, independently of
 * the adapter. Small inline inputs cover the noise lines and the errors. */
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

#define GODATA QB_TEST_DATA "/go"
#define ALPHA  "example.com/qbfix/alpha"
#define BETA   "example.com/qbfix/beta"

/* The files go test wrote (relative to GODATA). */
static const char *const FILES[] = {"out.txt", "multi.txt", "cpu.txt"};

/* Parse text with the adapter, failing the test on error. */
static qb_run *parse_text(const char *name, const char *text) {
  qb_err err = QB_ERR_INIT;
  qb_run *run = NULL;
  int rc = qb_go_parse(name, text, strlen(text), &run, &err);
  if (rc) fail_msg("%s: rc %d: %s", name, rc, err.msg);
  assert_non_null(run);
  return run;
}

/* Read a data file (caller frees). */
static char *read_data(const char *rel, size_t *len) {
  char path[1024];
  char *data = NULL;
  qb_err err = QB_ERR_INIT;
  snprintf(path, sizeof path, GODATA "/%s", rel);
  if (qb_file_read(path, QB_ADAPTER_MAX_FILE, &data, len, &err)) fail_msg("%s", err.msg);
  return data;
}

/* Parse a data file with the adapter. */
static qb_run *parse_data(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, GODATA "/%s", rel);
  return qbt_parse_file(qb_go_parse, path);
}

/* BAD(path, text, needles...): text must fail as tests/testutil.h qbt_expect_bad says. */
#define BAD(name, text, ...)                                                                       \
  qbt_expect_bad(qb_go_parse, name, text, strlen(text), __VA_ARGS__, (const char *)NULL)

/* The result of b for metric, or fail. */
static qb_result *result_of(qb_bench *b, const char *metric) {
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  fail_msg("%s: no %s result", b->name, metric);
  return NULL;
}

/* The benchmark called name, or fail. */
static qb_bench *bench_of(qb_run *run, const char *name) {
  qb_bench *b = qb_run_find_bench(run, name);
  if (!b) fail_msg("no benchmark %s", name);
  return b;
}

/* Compare JSON text got with want (both as JSON). */
static void assert_json(const char *got, const char *want) {
  json_t *g = qbt_load_text(got), *w = qbt_load_text(want);
  if (!json_equal(g, w)) fail_msg("JSON %s, want %s", got, want);
  json_decref(g);
  json_decref(w);
}

/* out.txt: one package, -count 5. */
static void test_go__out_txt(void **state) {
  (void)state;
  qb_run *run = parse_data("out.txt");
  assert_string_equal(run->format, "go");
  assert_null(run->tool_version); /* go test does not print its version */
  assert_null(run->machine);
  assert_true(run->started_at == QB_TIME_NONE);
  assert_string_equal(run->content_hash, "");
  /* lines 1, 2 and 4 */
  assert_json(run->machine_info, "{\"goos\":\"linux\",\"goarch\":\"amd64\",\"cpu\":\"AMD EPYC\"}");
  /* the last line: "ok  \texample.com/qbfix/alpha\t72.453s" */
  assert_json(run->extra,
              "{\"packages\":[{\"pkg\":\"" ALPHA "\",\"status\":\"ok\",\"elapsed_s\":72.453}]}");
  static const char *const NAMES[] = {"BenchmarkFib",
                                      "BenchmarkSort/n=100",
                                      "BenchmarkSort/n=1000",
                                      "BenchmarkSort/n=10000",
                                      "BenchmarkChecksum",
                                      "BenchmarkWidgets",
                                      "BenchmarkMap/kind=hash/n=16",
                                      "BenchmarkMap/kind=hash/n=256",
                                      "BenchmarkMap/kind=slice/n=16",
                                      "BenchmarkMap/kind=slice/n=256"};
  assert_int_equal(run->n_benches, 10);
  for (size_t i = 0; i < 10; i++) {
    qb_bench *b = &run->benches[i];
    assert_string_equal(b->name, NAMES[i]);
    assert_json(b->extra, "{\"pkg\":\"" ALPHA "\",\"procs\":2}");
    for (size_t k = 0; k < b->n_results; k++) {
      qb_result *r = &b->results[k];
      assert_int_equal(r->n_samples, 5); /* -count 5 */
      assert_non_null(r->iters);
      assert_true(isnan(r->stats.mean)); /* ingest derives the statistics */
    }
    /* the order of the units on the line */
    assert_string_equal(b->results[0].metric, "latency");
    assert_string_equal(b->results[b->n_results - 2].metric, "memory");
    assert_string_equal(b->results[b->n_results - 1].metric, "allocs");
  }

  /* line 5: BenchmarkFib-2  39063  30861 ns/op  0 B/op  0 allocs/op */
  qb_bench *b = bench_of(run, "BenchmarkFib");
  assert_null(b->group);
  assert_null(b->params);
  assert_int_equal(b->n_results, 3);
  qb_result *r = result_of(b, "latency");
  assert_string_equal(r->unit, "ns");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_close(r->samples[0], 30861, 0);
  assert_int_equal(r->iters[0], 39063);
  /* line 9: BenchmarkFib-2  39144  30836 ns/op */
  assert_close(r->samples[4], 30836, 0);
  assert_int_equal(r->iters[4], 39144);
  r = result_of(b, "memory");
  assert_string_equal(r->unit, "B");
  assert_close(r->samples[0], 0, 0);
  r = result_of(b, "allocs");
  assert_string_equal(r->unit, "1");

  /* line 20: BenchmarkSort/n=10000-2  1335  879298 ns/op  81944 B/op  2 allocs/op */
  b = bench_of(run, "BenchmarkSort/n=10000");
  assert_string_equal(b->group, "BenchmarkSort");
  assert_json(b->params, "{\"n\":10000}");
  assert_close(result_of(b, "latency")->samples[0], 879298, 0);
  assert_int_equal(result_of(b, "latency")->iters[0], 1335);
  assert_close(result_of(b, "memory")->samples[0], 81944, 0);
  assert_int_equal(result_of(b, "memory")->iters[0], 1335);
  assert_close(result_of(b, "allocs")->samples[0], 2, 0);

  /* line 26: BenchmarkChecksum-2  267799  4477 ns/op  14639.16 MB/s */
  b = bench_of(run, "BenchmarkChecksum");
  assert_int_equal(b->n_results, 4);
  r = result_of(b, "throughput");
  assert_ptr_equal(r, &b->results[1]);
  assert_string_equal(r->unit, "B/s");
  assert_int_equal(r->direction, QB_HIGHER_IS_BETTER);
  assert_close(r->samples[1], 14639.16e6, 1e-15); /* Go's MB is 10^6 bytes */
  assert_int_equal(r->iters[1], 267799);
  assert_close(result_of(b, "latency")->samples[1], 4477, 0);
  /* MB/s = 65536 bytes / ns per op (to the printed precision) */
  assert_close(r->samples[1], 65536 / (4477 * 1e-9), 1e-3);

  /* line 58: BenchmarkWidgets-2  4838859  247.4 ns/op  5.000 widgets/op */
  b = bench_of(run, "BenchmarkWidgets");
  r = result_of(b, "widgets/op");
  assert_ptr_equal(r, &b->results[1]);
  assert_string_equal(r->unit, "1");
  assert_int_equal(r->direction, QB_LOWER_IS_BETTER);
  assert_close(r->samples[4], 5.0, 0);
  assert_close(result_of(b, "latency")->samples[4], 247.4, 1e-15);
  assert_int_equal(result_of(b, "latency")->iters[4], 4838859);

  /* two key=value levels */
  b = bench_of(run, "BenchmarkMap/kind=slice/n=256");
  assert_string_equal(b->group, "BenchmarkMap");
  assert_json(b->params, "{\"kind\":\"slice\",\"n\":256}");
  qb_run_free(run);
}

/* The benchmark name a result line's first token stands for in a one-package file. */
static void strip_procs(char *name) {
  char *d = strrchr(name, '-');
  if (d && d[1] >= '0' && d[1] <= '9' && strspn(d + 1, "0123456789") == strlen(d + 1)) *d = '\0';
}

/* The number printed before " unit" on line s, or NAN when the unit is not on it. */
static double value_before(const char *s, const char *unit) {
  char pat[32];
  snprintf(pat, sizeof pat, " %s", unit);
  const char *u = strstr(s, pat);
  if (!u) return NAN;
  const char *p = u;
  while (p > s && p[-1] != ' ' && p[-1] != '\t') p--;
  return strtod(p, NULL);
}

/* Every result line of out.txt read here with sscanf: each ns/op (and B/op, allocs/op, MB/s)
 * is the next sample of its benchmark, with its N as iterations. */
static void test_go__every_value(void **state) {
  (void)state;
  size_t len;
  char *data = read_data("out.txt", &len);
  qb_run *run = parse_data("out.txt");
  size_t *seen = calloc(run->n_benches, sizeof *seen), lines = 0;
  for (char *s = strtok(data, "\n"); s; s = strtok(NULL, "\n")) {
    char name[256];
    unsigned long long n;
    double ns;
    if (sscanf(s, "%255s %llu %lf ns/op", name, &n, &ns) != 3) continue;
    lines++;
    strip_procs(name);
    qb_bench *b = bench_of(run, name);
    size_t i = seen[b - run->benches]++;
    qb_result *r = result_of(b, "latency");
    assert_close(r->samples[i], ns, 0);
    assert_int_equal(r->iters[i], n);
    assert_close(result_of(b, "memory")->samples[i], value_before(s, "B/op"), 0);
    assert_close(result_of(b, "allocs")->samples[i], value_before(s, "allocs/op"), 0);
    double mbs = value_before(s, "MB/s");
    if (!isnan(mbs)) assert_close(result_of(b, "throughput")->samples[i], mbs * 1e6, 1e-15);
  }
  assert_int_equal(lines, 50);
  for (size_t i = 0; i < run->n_benches; i++) assert_int_equal(seen[i], 5);
  free(seen);
  free(data);
  qb_run_free(run);
}

/* multi.txt: two packages (go test ./...), both with a BenchmarkFib: every name is prefixed
 * with its package. */
static void test_go__multi_package(void **state) {
  (void)state;
  qb_run *run = parse_data("multi.txt");
  assert_int_equal(run->n_benches, 12);
  qb_bench *a = bench_of(run, ALPHA ".BenchmarkFib"), *b = bench_of(run, BETA ".BenchmarkFib");
  assert_json(a->extra, "{\"pkg\":\"" ALPHA "\",\"procs\":2}");
  assert_json(b->extra, "{\"pkg\":\"" BETA "\",\"procs\":2}");
  /* multi.txt line 5 (alpha: 30827 ns/op) and line 43 (beta: 192594993, 6.232 ns/op) */
  assert_close(result_of(a, "latency")->samples[0], 30827, 0);
  assert_close(result_of(b, "latency")->samples[0], 6.232, 1e-15);
  assert_int_equal(result_of(b, "latency")->iters[0], 192594993);
  assert_int_equal(result_of(b, "latency")->n_samples, 2);
  qb_bench *s = bench_of(run, ALPHA ".BenchmarkSort/n=100");
  assert_string_equal(s->group, ALPHA ".BenchmarkSort");
  assert_json(s->params, "{\"n\":100}");
  assert_json(run->extra, "{\"packages\":["
                          "{\"pkg\":\"" ALPHA "\",\"status\":\"ok\",\"elapsed_s\":28.147},"
                          "{\"pkg\":\"" BETA "\",\"status\":\"ok\",\"elapsed_s\":6.063}]}");
  qb_run_free(run);
}

/* cpu.txt: -cpu 1,2: the same benchmark at two GOMAXPROCS values keeps the suffix (-1 for the
 * unsuffixed GOMAXPROCS=1 lines). */
static void test_go__cpu_list(void **state) {
  (void)state;
  qb_run *run = parse_data("cpu.txt");
  assert_int_equal(run->n_benches, 4);
  assert_string_equal(run->benches[0].name, "BenchmarkFib-1");
  assert_string_equal(run->benches[1].name, "BenchmarkFib-2");
  assert_string_equal(run->benches[2].name, "BenchmarkJoin-1");
  assert_string_equal(run->benches[3].name, "BenchmarkJoin-2");
  assert_json(run->benches[0].extra, "{\"pkg\":\"" BETA "\",\"procs\":1}");
  assert_json(run->benches[1].extra, "{\"pkg\":\"" BETA "\",\"procs\":2}");
  /* lines 5 and 12 */
  assert_close(run->benches[0].results[0].samples[0], 6.236, 1e-15);
  assert_close(run->benches[3].results[0].samples[1], 38.37, 1e-15);
  assert_int_equal(run->benches[3].results[0].iters[1], 31029478);
  qb_run_free(run);
}

/* Two go test runs of one package appended to one file: the samples are merged. */
static void test_go__concatenated(void **state) {
  (void)state;
  size_t len;
  char *data = read_data("out.txt", &len);
  char *two = malloc(2 * len + 1);
  memcpy(two, data, len);
  memcpy(two + len, data, len + 1);
  qb_run *run = parse_text("two.txt", two);
  assert_int_equal(run->n_benches, 10);
  assert_string_equal(run->benches[0].name, "BenchmarkFib");
  assert_int_equal(run->benches[0].results[0].n_samples, 10);
  assert_close(run->benches[0].results[0].samples[5], 30861, 0);
  qb_run_free(run);
  free(two);
  free(data);
}

/* Lines that are not results: -v output, FAIL/SKIP, logs, the program's own output, CRLF line
 * ends and a byte order mark. */
static void test_go__noise(void **state) {
  (void)state;
  qb_run *run =
      parse_text("noise.txt", "\xef\xbb\xbfgoos: linux\r\n"
                              "goarch: arm64\r\n"
                              "pkg: example.com/x\r\n"
                              "=== RUN   BenchmarkA\r\n"
                              "BenchmarkA\r\n"
                              "BenchmarkA/size=small\r\n"
                              "BenchmarkA/size=small-8         \t     100\t        12.5 ns/op\r\n"
                              "--- BENCH: BenchmarkA/size=small-8\r\n"
                              "    x_test.go:10: BenchmarkA 1 2 3\r\n"
                              "Benchmarking is fun: 3 x\r\n"
                              "BenchmarkBad-8   \t--- FAIL: BenchmarkBad-8\r\n"
                              "    x_test.go:20: boom\r\n"
                              "BenchmarkSkip-8  \t--- SKIP: BenchmarkSkip-8\r\n"
                              "    --- FAIL: BenchmarkNested/sub-8\r\n"
                              "testing: warning: no tests to run\r\n"
                              "FAIL\r\n"
                              "exit status 1\r\n"
                              "FAIL\texample.com/x\t0.512s\r\n");
  assert_int_equal(run->n_benches, 1);
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->name, "BenchmarkA/size=small");
  assert_string_equal(b->group, "BenchmarkA");
  assert_json(b->params, "{\"size\":\"small\"}");
  assert_json(b->extra, "{\"pkg\":\"example.com/x\",\"procs\":8}");
  assert_close(b->results[0].samples[0], 12.5, 0);
  assert_json(run->machine_info, "{\"goos\":\"linux\",\"goarch\":\"arm64\"}");
  assert_json(run->extra,
              "{\"packages\":[{\"pkg\":\"example.com/x\",\"status\":\"FAIL\",\"elapsed_s\":0.512}],"
              "\"failed\":[\"BenchmarkBad-8\",\"BenchmarkNested/sub-8\"]}");
  qb_run_free(run);
}

/* No pkg: line, GOMAXPROCS 1 (no suffix), a custom rate metric, a big iteration count. */
static void test_go__minimal(void **state) {
  (void)state;
  qb_run *run = parse_text("min.txt", "BenchmarkX 18446744073709551615 0.25 ns/op 3.5 req/s\n"
                                      "BenchmarkX 10 0.5 ns/op 4 req/s");
  qb_bench *b = &run->benches[0];
  assert_string_equal(b->name, "BenchmarkX");
  assert_json(b->extra, "{\"procs\":1}");
  assert_null(run->machine_info);
  assert_null(run->extra);
  assert_true(b->results[0].iters[0] == UINT64_MAX);
  qb_result *r = result_of(b, "req/s");
  assert_int_equal(r->direction, QB_HIGHER_IS_BETTER);
  assert_close(r->samples[1], 4, 0);
  qb_run_free(run);
}

static void test_go__bad_lines(void **state) {
  (void)state;
  BAD("num.txt", "BenchmarkFoo-8   \t1000\t  abc ns/op\n",
      "num.txt:1:26: BenchmarkFoo-8: expected a number, got \"abc\"");
  BAD("iter.txt", "pkg: p\nBenchmarkFoo-8 12x 5 ns/op\n",
      "iter.txt:2:16: BenchmarkFoo-8: expected an iteration count, got \"12x\"");
  BAD("unit.txt", "BenchmarkFoo-8 100 5\n", "unit.txt:1:20: BenchmarkFoo-8: value 5 has no unit");
  BAD("none.txt", "BenchmarkFoo-8 100   \n",
      "none.txt:1:19: BenchmarkFoo-8: no values after the iteration count");
  BAD("zero.txt", "BenchmarkFoo-8 0 5 ns/op\n",
      "zero.txt:1:16: BenchmarkFoo-8: iteration count is 0");
  BAD("big.txt", "BenchmarkFoo 18446744073709551616 5 ns/op\n",
      "big.txt:1:14: BenchmarkFoo: iteration count too large");
  BAD("twice.txt", "BenchmarkFoo-8 100 5 ns/op 6 ns/op\n",
      "twice.txt:1:30: BenchmarkFoo-8: unit ns/op given twice");
  BAD("glued.txt", "BenchmarkFoo-8 100 5ns/op\n",
      "glued.txt:1:20: BenchmarkFoo-8: expected a number, got \"5ns/op\"");
  BAD("goos.txt", "goos: linux\nBenchmarkA 1 1 ns/op\ngoos: darwin\n",
      "goos.txt:3:7: goos: \"darwin\" differs from \"linux\" on line 1");
  BAD("empty.txt", "PASS\nok  \tx\t0.1s\n", "empty.txt: no benchmark results found");
  BAD("blank.txt", "", "blank.txt: no benchmark results found");
  BAD("utf8.txt", "cpu: x\nBenchmarkF\xe9-8 1 5 ns/op\n", "utf8.txt:2:11: not valid UTF-8");
  /* other lines may hold any bytes */
  qb_run *run = parse_text("bytes.txt", "log \xff\xfe\nBenchmarkF\xc3\xa9-8 1 5 ns/op\n");
  assert_string_equal(run->benches[0].name, "BenchmarkF\xc3\xa9");
  qb_run_free(run);
}

/* A malformed line in the real file: the error names its line and column. */
static void test_go__bad_line_in_file(void **state) {
  (void)state;
  size_t len;
  char *data = read_data("out.txt", &len);
  /* line 7 is "BenchmarkFib-2        \t   39099\t     30932 ns/op\t..." */
  char *l7 = strstr(data, "30932 ns/op");
  assert_non_null(l7);
  memcpy(l7, "3O932", 5);
  size_t col = 1;
  while (l7 - col >= data && l7[-(ptrdiff_t)col] != '\n') col++;
  char want[128];
  snprintf(want, sizeof want, "out.txt:7:%zu: BenchmarkFib-2: expected a number, got \"3O932\"",
           col);
  qbt_expect_bad(qb_go_parse, "out.txt", data, len, want, (const char *)NULL);
  free(data);
}

/* Detection: go for the files go test wrote, and for no file outside tests/data/go. */
static void detect_tree(const char *dir, int *n_go) {
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
      detect_tree(path, n_go);
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
      snprintf(p, sizeof p, GODATA "/%s", FILES[k]);
      want |= !strcmp(p, path);
    }
    int in_go_dir = !strncmp(path, GODATA "/", strlen(GODATA "/"));
    if (want && (rc || f != QB_FMT_GO)) fail_msg("%s: not detected as go", path);
    if (!in_go_dir && !rc && f == QB_FMT_GO) fail_msg("%s: detected as go", path);
    *n_go += want;
  }
  closedir(d);
}

static void test_go__detect(void **state) {
  (void)state;
  int n = 0;
  detect_tree(QB_TEST_DATA, &n);
  assert_int_equal(n, (int)(sizeof FILES / sizeof FILES[0]));
}

/* Through qb_adapter_load with auto-detection: parsed and hashed. */
static void test_go__auto_load(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof FILES / sizeof FILES[0]; k++) {
    char path[1024];
    qb_run *run = NULL;
    qb_err err = QB_ERR_INIT;
    snprintf(path, sizeof path, GODATA "/%s", FILES[k]);
    if (qb_adapter_load(path, QB_FMT_AUTO, &run, &err)) fail_msg("%s", err.msg);
    assert_string_equal(run->format, "go");
    assert_int_equal(strlen(run->content_hash), 64);
    qb_run_free(run);
  }
}

/* Every prefix of a real file parses or fails cleanly (no leak, no crash under ASan). */
static void test_go__every_prefix(void **state) {
  (void)state;
  size_t len;
  char *data = read_data("multi.txt", &len);
  for (size_t n = 0; n <= len; n += qbt_step(7)) {
    qb_err err = QB_ERR_INIT;
    qb_run *run = (qb_run *)&err;
    int rc = qb_go_parse("m.txt", data, n, &run, &err);
    if (rc) {
      assert_int_equal(rc, QB_EFORMAT);
      assert_null(run);
      assert_non_null(strstr(err.msg, "m.txt"));
    } else {
      assert_true(run->n_benches > 0);
      qb_run_free(run);
    }
  }
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_go__out_txt),          cmocka_unit_test(test_go__every_value),
      cmocka_unit_test(test_go__multi_package),    cmocka_unit_test(test_go__cpu_list),
      cmocka_unit_test(test_go__concatenated),     cmocka_unit_test(test_go__noise),
      cmocka_unit_test(test_go__minimal),          cmocka_unit_test(test_go__bad_lines),
      cmocka_unit_test(test_go__bad_line_in_file), cmocka_unit_test(test_go__detect),
      cmocka_unit_test(test_go__auto_load),        cmocka_unit_test(test_go__every_prefix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tests/runner/test_runner.c - qbr (runner/qbdb_runner.c): what it writes is read back by the
 * native adapter with every value intact (samples, iterations, params, metadata, throughput,
 * peak RSS, CPU time, escaped strings); the calibration rule and the iteration counts it leads
 * to; family names; the filter; the command line; failures; and a crash mid-run keeping the
 * finished benchmarks. Time comes from a fake clock that the benchmark bodies advance, so
 * nothing here depends on the machine's speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "core/time.h"
#include "runner/qbdb_runner.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/runner"

/* ---- a fake clock the bodies advance ------------------------------------------------------ */

/* now: the fake time; each call of fake_body adds iters * ns_per_iter, plus (when jitter) a
 * deterministic 0-100 ns; calls[] records the iteration count of every call. */
typedef struct fake {
  uint64_t now;
  uint64_t ns_per_iter;
  int jitter;
  size_t n_calls;
  uint64_t calls[256];
  int teardowns;
} fake;

static uint64_t fake_clock(void *ctx) {
  return ((fake *)ctx)->now;
}

static fake *fake_of(qbr_state *s) {
  return qbr_data(s);
}

static void fake_body(qbr_state *s) {
  fake *f = fake_of(s);
  uint64_t n = qbr_iters(s);
  if (f->n_calls < sizeof f->calls / sizeof f->calls[0]) f->calls[f->n_calls] = n;
  f->n_calls++;
  f->now += n * f->ns_per_iter + (f->jitter ? (f->n_calls * 37) % 101 : 0);
}

/* A family body: bytes = 8 n and items = k per iteration. */
static void fake_tp_body(qbr_state *s) {
  qbr_set_bytes(s, (uint64_t)qbr_param_int(s, "n") * 8);
  qbr_set_items(s, (uint64_t)qbr_param_int(s, "k"));
  fake_body(s);
}

static void fake_items_body(qbr_state *s) {
  qbr_set_items(s, 3);
  fake_body(s);
}

static void fake_teardown(qbr_state *s) {
  fake_of(s)->teardowns++;
}

/* ---- capturing what qbr_run reports ------------------------------------------------------- */

#define MAXS 64

typedef struct captured {
  char name[256];
  char group[64];
  char params[128];
  int has_group, has_params;
  uint64_t iters;
  size_t n;
  double samples[MAXS], cpu[MAXS], bps[MAXS], ips[MAXS];
  int has_bps, has_ips;
  uint64_t bytes, items;
  long rss, rss_before;
  double user, sys, wall, median, mad;
  int mode;
} captured;

typedef struct capture {
  captured r[16];
  size_t n;
} capture;

static void on_result(const qbr_result *r, void *ctx) {
  capture *c = ctx;
  assert_true(c->n < 16);
  assert_true(r->n_samples <= MAXS);
  captured *o = &c->r[c->n++];
  memset(o, 0, sizeof *o);
  snprintf(o->name, sizeof o->name, "%s", r->name);
  if ((o->has_group = r->group != NULL)) snprintf(o->group, sizeof o->group, "%s", r->group);
  if ((o->has_params = r->params != NULL)) snprintf(o->params, sizeof o->params, "%s", r->params);
  o->iters = r->iters;
  o->n = r->n_samples;
  memcpy(o->samples, r->samples, r->n_samples * sizeof *r->samples);
  memcpy(o->cpu, r->cpu, r->n_samples * sizeof *r->cpu);
  if ((o->has_bps = r->bytes_per_s != NULL))
    memcpy(o->bps, r->bytes_per_s, r->n_samples * sizeof *r->bytes_per_s);
  if ((o->has_ips = r->items_per_s != NULL))
    memcpy(o->ips, r->items_per_s, r->n_samples * sizeof *r->items_per_s);
  o->bytes = r->bytes_per_iter;
  o->items = r->items_per_iter;
  o->rss = r->peak_rss_kib;
  o->rss_before = r->peak_rss_before_kib;
  o->user = r->cpu_user_ns;
  o->sys = r->cpu_sys_ns;
  o->wall = r->wall_ns;
  o->median = r->median;
  o->mad = r->mad;
  o->mode = r->iters_mode;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static void make_tmp(void) {
  mkdir(QB_TEST_TMP, 0755);
  mkdir(TMP, 0755);
}

/* A config with the fake clock f, n samples, results captured into c, output to path. */
static qbr_config fake_config(fake *f, size_t samples, capture *c, const char *path) {
  qbr_config cfg = QBR_CONFIG_INIT;
  cfg.samples = samples;
  cfg.warmup = 3;
  cfg.clock = fake_clock;
  cfg.clock_ctx = f;
  cfg.on_result = on_result;
  cfg.on_result_ctx = c;
  cfg.out_path = path;
  cfg.project = cfg.branch = cfg.commit = cfg.machine = ""; /* nothing from the environment */
  return cfg;
}

static qb_run *load(const char *path) {
  qb_run *run = NULL;
  qb_err err = QB_ERR_INIT;
  if (qb_adapter_load(path, QB_FMT_AUTO, &run, &err)) fail_msg("%s", err.msg);
  assert_non_null(run);
  assert_string_equal(run->format, "native");
  return run;
}

static qb_result *find_result(qb_run *run, const char *name, const char *metric) {
  qb_bench *b = qb_run_find_bench(run, name);
  if (!b) fail_msg("no benchmark %s", name);
  for (size_t i = 0; i < b->n_results; i++)
    if (!strcmp(b->results[i].metric, metric)) return &b->results[i];
  fail_msg("benchmark %s has no metric %s", name, metric);
  return NULL;
}

/* The result has exactly the n values want (bit for bit) with iters iterations each. */
static void assert_exact(const qb_result *res, const char *unit, const double *want, size_t n,
                         uint64_t iters) {
  assert_string_equal(res->unit, unit);
  assert_int_equal(res->n_samples, n);
  assert_non_null(res->iters);
  for (size_t i = 0; i < n; i++) {
    if (res->samples[i] != want[i])
      fail_msg("%s sample %zu: read %.17g, written %.17g", res->metric, i, res->samples[i],
               want[i]);
    assert_true(res->iters[i] == iters);
  }
}

/* The whole text of a file (malloc'd, caller frees). */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

/* The names qbr_list prints for reg with filter (newline-separated, malloc'd), or NULL with
 * *rc set on an error. */
static char *list_names(qbr_registry *reg, const char *filter, int *rc, qbr_err *err) {
  qbr_config cfg = QBR_CONFIG_INIT;
  char *out = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&out, &n);
  assert_non_null(f);
  cfg.filter = filter;
  *rc = qbr_list(reg, &cfg, f, err);
  fclose(f);
  if (*rc) {
    free(out);
    return NULL;
  }
  return out;
}

/* ---- round trip --------------------------------------------------------------------------- */

#define WEIRD_RAW  "esc \"q\" \\ \n\t\x01 \xc2\xb5 \xff end"
#define WEIRD_READ "g/h/esc \"q\" \\ \n\t\x01 \xc2\xb5 \xef\xbf\xbd end"

/* Everything written is read back by the native adapter, value for value. */
static void test_runner__round_trip(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000, .jitter = 1};
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench fam = {.name = "fam", .fn = fake_tp_body, .params = "n=10,100; k=3", .data = &f};
  qbr_bench weird = {.name = WEIRD_RAW, .group = "g/h", .fn = fake_items_body, .data = &f};
  qbr_bench plain = {.name = "plain", .fn = fake_body, .data = &f, .teardown = fake_teardown};
  qbr_err err = {0, ""};
  const char *path = TMP "/round_trip.jsonl";

  make_tmp();
  assert_int_equal(qbr_register(&reg, &fam, &err), 0);
  assert_int_equal(qbr_register(&reg, &weird, &err), 0);
  assert_int_equal(qbr_register(&reg, &plain, &err), 0);
  qbr_config cfg = fake_config(&f, 7, &cap, path);
  cfg.project = "proj \"p\"";
  cfg.branch = "feature/\xc3\xbc";
  cfg.commit = "0123456789abcdef0123456789abcdef01234567";
  cfg.machine = "bench\\box";
  cfg.tags[cfg.n_tags++] = "a=1";
  cfg.tags[cfg.n_tags++] = "b=x=y";
  cfg.tags[cfg.n_tags++] = "a=2";
  cfg.compiler = "test-cc 1.0  ";
  cfg.optimized = 1;
  if (qbr_run(&reg, &cfg, &err)) fail_msg("%s", err.msg);
  assert_int_equal(cap.n, 4);
  assert_int_equal(f.teardowns, 1);

  qb_run *run = load(path);
  assert_string_equal(run->project, "proj \"p\"");
  assert_string_equal(run->branch, "feature/\xc3\xbc");
  assert_string_equal(run->commit_sha, "0123456789abcdef0123456789abcdef01234567");
  assert_string_equal(run->machine, "bench\\box");
  assert_string_equal(run->tool_version, "qbr " QBR_VERSION);
  assert_true(run->started_at != QB_TIME_NONE);
  assert_int_equal(run->n_tags, 2); /* a later a=2 replaces a=1 */
  assert_string_equal(run->tags[0].key, "b");
  assert_string_equal(run->tags[0].value, "x=y");
  assert_string_equal(run->tags[1].key, "a");
  assert_string_equal(run->tags[1].value, "2");
  json_t *mi = qbt_load_text(run->machine_info);
  assert_true(json_is_string(json_object_get(mi, "os")));
  json_decref(mi);
  json_t *ex = qbt_load_text(run->extra);
  assert_string_equal(json_string_value(json_object_get(ex, "compiler")), "test-cc 1.0");
  assert_true(json_is_true(json_object_get(ex, "optimized")));
  assert_string_equal(json_string_value(json_object_get(ex, "clock")), "custom");
  json_t *opts = json_object_get(ex, "runner");
  assert_int_equal(json_integer_value(json_object_get(opts, "samples")), 7);
  assert_int_equal(json_integer_value(json_object_get(opts, "warmup")), 3);
  json_decref(ex);

  assert_int_equal(run->n_benches, 4);
  assert_string_equal(run->benches[0].name, "fam/n=10/k=3");
  assert_string_equal(run->benches[1].name, "fam/n=100/k=3");
  assert_string_equal(run->benches[2].name, WEIRD_READ);
  assert_string_equal(run->benches[3].name, "plain");
  assert_string_equal(run->benches[0].group, "fam");
  assert_string_equal(run->benches[0].params, "{\"k\":3,\"n\":10}");
  assert_string_equal(run->benches[1].params, "{\"k\":3,\"n\":100}");
  assert_string_equal(run->benches[2].group, "g/h");
  assert_null(run->benches[2].params);
  assert_null(run->benches[3].group);
  assert_null(run->benches[3].params);
  assert_int_equal(run->benches[0].n_results, 5);
  assert_int_equal(run->benches[2].n_results, 4);
  assert_int_equal(run->benches[3].n_results, 3);

  for (size_t i = 0; i < cap.n; i++) {
    const captured *c = &cap.r[i];
    const char *name = strcmp(c->name, "g/h/" WEIRD_RAW) ? c->name : WEIRD_READ;
    qb_bench *b = qb_run_find_bench(run, name);
    assert_non_null(b);
    if (c->has_params) assert_string_equal(c->params, i == 0 ? "{\"n\":10,\"k\":3}" : c->params);
    assert_int_equal(c->n, 7);
    assert_true(c->iters >= 1);
    /* the jitter makes every sample a different, inexact double */
    assert_true(c->samples[0] != c->samples[1] && c->samples[0] != floor(c->samples[0]));

    assert_exact(find_result(run, name, "latency"), "ns", c->samples, c->n, c->iters);
    assert_exact(find_result(run, name, "cpu"), "ns", c->cpu, c->n, c->iters);
    qb_result *mem = find_result(run, name, "memory");
    assert_string_equal(mem->unit, "B");
    assert_int_equal(mem->n_samples, 1);
    assert_true(c->rss > 0 && c->rss >= c->rss_before);
    assert_true(mem->samples[0] == (double)c->rss * 1024.0);
    assert_null(mem->iters);

    json_t *lx = qbt_load_text(find_result(run, name, "latency")->extra);
    assert_string_equal(json_string_value(json_object_get(lx, "iters_mode")), "auto");
    assert_int_equal(json_integer_value(json_object_get(lx, "samples_requested")), 7);
    assert_true(json_number_value(json_object_get(lx, "wall_ns")) == c->wall);
    json_decref(lx);
    json_t *cx = qbt_load_text(find_result(run, name, "cpu")->extra);
    assert_true(json_number_value(json_object_get(cx, "user_ns")) == c->user);
    assert_true(json_number_value(json_object_get(cx, "sys_ns")) == c->sys);
    json_decref(cx);
    json_t *mx = qbt_load_text(mem->extra);
    assert_int_equal(json_integer_value(json_object_get(mx, "peak_rss_before_kib")), c->rss_before);
    json_decref(mx);

    if (c->has_bps) {
      qb_result *t = find_result(run, name, "throughput");
      assert_exact(t, "B/s", c->bps, c->n, c->iters);
      assert_int_equal(t->direction, QB_HIGHER_IS_BETTER);
      json_t *tx = qbt_load_text(t->extra);
      assert_int_equal(json_integer_value(json_object_get(tx, "bytes_per_iter")), c->bytes);
      json_decref(tx);
    }
    if (c->has_ips) {
      qb_result *t = find_result(run, name, c->has_bps ? "items_throughput" : "throughput");
      assert_exact(t, "1/s", c->ips, c->n, c->iters);
      assert_int_equal(t->direction, QB_HIGHER_IS_BETTER);
    }
  }
  /* the throughput is what the per-iteration counts and times say */
  assert_int_equal(cap.r[1].bytes, 800);
  assert_int_equal(cap.r[1].items, 3);
  assert_true(cap.r[1].has_bps && cap.r[1].has_ips);
  assert_close(cap.r[1].bps[0], 800 * 1e9 / cap.r[1].samples[0], 1e-12);
  assert_true(!cap.r[3].has_bps && !cap.r[3].has_ips);
  qb_run_free(run);
}

/* ---- calibration ---------------------------------------------------------------------------- */

/* The calibration rule on its own. */
static void test_runner__next_iters(void **state) {
  (void)state;
  assert_int_equal(qbr_next_iters(1, 1000, 1e6), 10);    /* far short: x10 */
  assert_int_equal(qbr_next_iters(5, 0, 1e6), 50);       /* a clock too coarse to see it */
  assert_int_equal(qbr_next_iters(100, 1e5, 1e6), 1000); /* exactly a tenth: still x10 */
  assert_int_equal(qbr_next_iters(100, 2e5, 1e6), 600);  /* aim 20% past the target */
  assert_int_equal(qbr_next_iters(7, 999999, 1e6), 9);   /* ceil(8.4000084) */
  assert_int_equal(qbr_next_iters(10, 9.99e5, 1e6), 13); /* ceil(12.012) */
  assert_int_equal(qbr_next_iters(1, 999999.9, 1e6), 2); /* always grows */
  assert_int_equal(qbr_next_iters(100000, 3e5, 1e6), 400000);
  assert_true(qbr_next_iters(QBR_MAX_ITERS - 1, 1, 1e6) == QBR_MAX_ITERS);
  assert_true(qbr_next_iters(QBR_MAX_ITERS, 1, 1e6) == QBR_MAX_ITERS);
}

/* The instruction mode's rule: 1-2-5 steps, at least n x target / count, always growing. */
static void test_runner__next_iters_instr(void **state) {
  (void)state;
  assert_int_equal(qbr_next_iters_instr(1, 30, 1e6), 50000);          /* 33333.3 -> 5e4 */
  assert_int_equal(qbr_next_iters_instr(50000, 400030, 1e6), 200000); /* 124990.6 -> 2e5 */
  assert_int_equal(qbr_next_iters_instr(1, 0, 1e6), 10);              /* no count: x10 */
  assert_int_equal(qbr_next_iters_instr(3, 999999, 1e6), 5);          /* grows: > 3, then a step */
  assert_int_equal(qbr_next_iters_instr(10, 5e5, 1e6), 20);           /* exactly 20 */
  assert_int_equal(qbr_next_iters_instr(10, 4.9e5, 1e6), 50);         /* 20.4 -> 50 */
  assert_int_equal(qbr_next_iters_instr(2, 1e5, 1e6), 20);
  assert_true(qbr_next_iters_instr(500000000, 1, 1e6) == QBR_MAX_ITERS);
  assert_true(qbr_next_iters_instr(QBR_MAX_ITERS, 1, 1e6) == QBR_MAX_ITERS);
}

/* Run one fake benchmark at ns_per_iter with cfg changed by min_time/iters; returns what was
 * captured (the fake's call log in *f). */
static captured run_fake(fake *f, double min_time, uint64_t iters, size_t samples) {
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = "fake", .fn = fake_body, .data = f};
  qbr_err err = {0, ""};
  qbr_config cfg = fake_config(f, samples, &cap, NULL);
  cfg.min_sample_time = min_time;
  cfg.iters = iters;
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  if (qbr_run(&reg, &cfg, &err)) fail_msg("%s", err.msg);
  assert_int_equal(cap.n, 1);
  return cap.r[0];
}

/* Iterations grow until a sample lasts the target; warm-up and calibration calls come first. */
static void test_runner__auto_iters(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000};
  captured c = run_fake(&f, 1e-3, 0, 5);
  assert_int_equal(c.iters, 1000);
  assert_int_equal(c.mode, 0);
  for (size_t i = 0; i < 5; i++) assert_true(c.samples[i] == 1000.0);
  assert_true(c.median == 1000.0 && c.mad == 0.0);
  /* warm-up (3), calibration 1, 10, 100, 1000 (1 ms: done), then the 5 samples */
  const uint64_t calls[] = {3, 1, 10, 100, 1000, 1000, 1000, 1000, 1000, 1000};
  assert_int_equal(f.n_calls, 10);
  for (size_t i = 0; i < 10; i++) assert_true(f.calls[i] == calls[i]);

  fake g = {.ns_per_iter = 3};
  c = run_fake(&g, 1e-3, 0, 2);
  assert_int_equal(c.iters, 400000); /* 100000 took 0.3 ms: x 1.2 ms / 0.3 ms */
  assert_true(c.samples[0] == 3.0);

  fake h = {.ns_per_iter = 1000};
  c = run_fake(&h, 1e-2, 0, 2); /* a longer target */
  assert_int_equal(c.iters, 10000);

  fake k = {.ns_per_iter = 2000000}; /* one iteration is already longer than the target */
  c = run_fake(&k, 1e-3, 0, 2);
  assert_int_equal(c.iters, 1);
  assert_true(c.samples[0] == 2e6);

  fake m = {.ns_per_iter = 1000};
  c = run_fake(&m, 1e-3, 77, 2); /* --iters: no calibration */
  assert_int_equal(c.iters, 77);
  assert_int_equal(c.mode, 1);
  assert_int_equal(m.n_calls, 3);

  fake z = {.ns_per_iter = 0}; /* a body that takes no time: capped, and said so */
  c = run_fake(&z, 1e-3, 0, 2);
  assert_true(c.iters == QBR_MAX_ITERS);
  assert_int_equal(c.mode, 2);
  assert_true(c.samples[0] == 0.0);
}

/* --time-budget stops sampling once the budget is spent (at least one sample). */
static void test_runner__time_budget(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000};
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = "budget", .fn = fake_body, .data = &f};
  qbr_config cfg = fake_config(&f, 100, &cap, NULL);
  qbr_err err;
  cfg.iters = 1000; /* 1 ms a sample */
  cfg.time_budget = 0.0045;
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  assert_int_equal(qbr_run(&reg, &cfg, &err), 0);
  assert_int_equal(cap.r[0].n, 5);
  assert_true(cap.r[0].wall == 5e6);
  cap.n = 0;
  cfg.time_budget = 1e-9;
  assert_int_equal(qbr_run(&reg, &cfg, &err), 0);
  assert_int_equal(cap.r[0].n, 1);
}

/* Against the real clock: structure only (no claim about speed). */
static void real_body(qbr_state *s) {
  uint64_t x = 1;
  QBR_LOOP(s) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    qbr_do_not_optimize(&x);
  }
  qbr_clobber();
}

static void test_runner__real_clock(void **state) {
  (void)state;
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = "real", .fn = real_body};
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err;
  char *sum = NULL;
  size_t sum_n = 0;
  FILE *sf = open_memstream(&sum, &sum_n);
  cfg.samples = 3;
  cfg.min_sample_time = 1e-4;
  cfg.on_result = on_result;
  cfg.on_result_ctx = &cap;
  cfg.summary = sf;
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  if (qbr_run(&reg, &cfg, &err)) fail_msg("%s", err.msg);
  fclose(sf);
  assert_int_equal(cap.n, 1);
  assert_int_equal(cap.r[0].n, 3);
  assert_true(cap.r[0].iters >= 1 && cap.r[0].mode == 0);
  for (size_t i = 0; i < 3; i++) assert_true(cap.r[0].samples[i] >= 0 && cap.r[0].cpu[i] >= 0);
  /* the summary: a header and one line with the name, samples x iterations */
  char want[64];
  snprintf(want, sizeof want, "3 x %llu", (unsigned long long)cap.r[0].iters);
  assert_non_null(strstr(sum, "benchmark"));
  assert_non_null(strstr(sum, "\nreal "));
  assert_non_null(strstr(sum, want));
  free(sum);
}

/* The summary pads names by terminal columns, not bytes: a CJK or emoji name (2 columns per
 * character, 3 or 4 bytes) lines up with an ASCII one. Each line is the name, padding to 24
 * columns (the minimum width), a space and the 12-column median, then " +- ". */
static void test_runner__summary_display_width(void **state) {
  (void)state;
  qbr_registry reg = QBR_REGISTRY_INIT;
  /* name, its bytes minus its columns: 排 and 序 are 3 bytes and 2 columns; 🚀 4 bytes, 2 */
  static const struct {
    const char *name;
    int extra;
  } NAMES[] = {
      {"ascii_name", 0}, {"\xe6\x8e\x92\xe5\xba\x8f/n=1", 2}, {"sort \xf0\x9f\x9a\x80", 2}};
  qbr_bench b[3];
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err;
  char *sum = NULL;
  size_t sum_n = 0;
  FILE *sf = open_memstream(&sum, &sum_n);
  for (size_t i = 0; i < 3; i++) {
    b[i] = (qbr_bench){.name = NAMES[i].name, .fn = real_body};
    assert_int_equal(qbr_register(&reg, &b[i], &err), 0);
  }
  cfg.samples = 3;
  cfg.min_sample_time = 1e-4;
  cfg.summary = sf;
  if (qbr_run(&reg, &cfg, &err)) fail_msg("%s", err.msg);
  fclose(sf);
  for (size_t i = 0; i < 3; i++) {
    const char *line = strstr(sum, NAMES[i].name);
    assert_non_null(line);
    const char *pm = strstr(line, " +- ");
    assert_non_null(pm);
    if ((int)(pm - line) - NAMES[i].extra != 24 + 1 + 12)
      fail_msg("line %zu: ' +- ' at column %d, want 37: %s", i, (int)(pm - line) - NAMES[i].extra,
               line);
  }
  free(sum);
}

/* ---- families, filter, registry ---------------------------------------------------------- */

static void noop(qbr_state *s) {
  (void)s;
}

/* Parameters make one benchmark per value (or combination), named name/p=v and grouped. */
static void test_runner__families(void **state) {
  (void)state;
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench sort = {.name = "sort", .fn = noop, .params = "n = 100, 1000 ,10000"};
  qbr_bench two = {.name = "mat", .fn = noop, .params = "n=1,2; k=3,4"};
  qbr_bench grouped = {.name = "sort", .group = "algo", .fn = noop, .params = "n=5"};
  qbr_bench reals = {.name = "f", .fn = noop, .params = "x=0.5,-1,1e3"};
  qbr_err err;
  int rc;
  assert_int_equal(qbr_register(&reg, &sort, &err), 0);
  assert_int_equal(qbr_register(&reg, &two, &err), 0);
  assert_int_equal(qbr_register(&reg, &grouped, &err), 0);
  assert_int_equal(qbr_register(&reg, &reals, &err), 0);
  char *names = list_names(&reg, NULL, &rc, &err);
  assert_non_null(names);
  assert_string_equal(names, "sort/n=100\nsort/n=1000\nsort/n=10000\n"
                             "mat/n=1/k=3\nmat/n=1/k=4\nmat/n=2/k=3\nmat/n=2/k=4\n"
                             "algo/sort/n=5\nf/x=0.5\nf/x=-1\nf/x=1e3\n");
  free(names);

  /* what the file says for them */
  fake f = {.ns_per_iter = 1000};
  capture cap = {0};
  qbr_config cfg = fake_config(&f, 2, &cap, TMP "/families.jsonl");
  sort.data = two.data = grouped.data = reals.data = &f;
  sort.fn = two.fn = grouped.fn = reals.fn = fake_body;
  make_tmp();
  if (qbr_run(&reg, &cfg, &err)) fail_msg("%s", err.msg);
  qb_run *run = load(TMP "/families.jsonl");
  assert_int_equal(run->n_benches, 11);
  qb_bench *b = qb_run_find_bench(run, "sort/n=1000");
  assert_string_equal(b->group, "sort");
  assert_string_equal(b->params, "{\"n\":1000}");
  b = qb_run_find_bench(run, "mat/n=2/k=3");
  assert_string_equal(b->group, "mat");
  assert_string_equal(b->params, "{\"k\":3,\"n\":2}");
  b = qb_run_find_bench(run, "algo/sort/n=5");
  assert_string_equal(b->group, "algo");
  assert_string_equal(b->params, "{\"n\":5}");
  b = qb_run_find_bench(run, "f/x=1e3");
  assert_string_equal(b->params, "{\"x\":1000.0}");
  b = qb_run_find_bench(run, "f/x=-1");
  assert_string_equal(b->params, "{\"x\":-1}");
  assert_string_equal(cap.r[0].params, "{\"n\":100}");
  assert_string_equal(cap.r[3].params, "{\"n\":1,\"k\":3}");
  qb_run_free(run);
}

/* The body reads its parameters by name. */
static double seen[4];
static void param_body(qbr_state *s) {
  seen[0] = qbr_param(s, "n");
  seen[1] = qbr_param(s, "x");
  seen[2] = (double)qbr_param_int(s, "x");
  seen[3] = qbr_param(s, "missing");
  fake_body(s);
}

static void test_runner__params(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000};
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = "p", .fn = param_body, .params = "n=42;x=-2.75", .data = &f};
  qbr_config cfg = fake_config(&f, 1, &cap, NULL);
  qbr_err err;
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  assert_int_equal(qbr_run(&reg, &cfg, &err), 0);
  assert_true(seen[0] == 42 && seen[1] == -2.75 && seen[2] == -2 && isnan(seen[3]));
}

/* A bad params spec is refused with its name in the message, before anything runs. */
static void test_runner__bad_params(void **state) {
  (void)state;
  static const char *const bad[] = {"n",       "n=",
                                    "=1",      "n=1;n=2",
                                    "n=0x10",  "n=1,,2",
                                    "n=abc",   "1n=2",
                                    "n=01",    "n=1 2",
                                    "n=1e999", "n=.5",
                                    " ",       "n=1;k=2;a=1;b=1;c=1;d=1;e=1;f=1;g=1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    qbr_registry reg = QBR_REGISTRY_INIT;
    qbr_bench b = {.name = "spec", .fn = noop, .params = bad[i]};
    qbr_err err = {0, ""};
    int rc;
    assert_int_equal(qbr_register(&reg, &b, &err), 0);
    assert_null(list_names(&reg, NULL, &rc, &err));
    if (rc != QBR_EUSAGE) fail_msg("params \"%s\" accepted", bad[i]);
    assert_non_null(strstr(err.msg, "spec: params"));
  }
}

/* Names must be unique; a struct is in one registry at a time; reset unlinks. */
static void test_runner__registry(void **state) {
  (void)state;
  qbr_registry reg = QBR_REGISTRY_INIT, other = QBR_REGISTRY_INIT;
  qbr_bench a = {.name = "a", .fn = noop}, a2 = {.name = "a", .fn = noop};
  qbr_bench dup = {.name = "d", .fn = noop, .params = "n=1,1"};
  qbr_bench nofn = {.name = "x"}, noname = {.fn = noop};
  qbr_err err = {0, ""};
  int rc;
  assert_int_equal(qbr_register(&reg, &nofn, &err), QBR_EUSAGE);
  assert_int_equal(qbr_register(&reg, &noname, NULL), QBR_EUSAGE);
  assert_int_equal(qbr_register(&reg, &a, &err), 0);
  assert_int_equal(qbr_register(&reg, &a, &err), QBR_EUSAGE);
  assert_int_equal(qbr_register(&other, &a, &err), QBR_EUSAGE);
  assert_non_null(strstr(err.msg, "already registered"));
  assert_int_equal(qbr_register(&reg, &a2, &err), 0);
  assert_int_equal(reg.n, 2);
  assert_null(list_names(&reg, NULL, &rc, &err));
  assert_int_equal(rc, QBR_EUSAGE);
  assert_string_equal(err.msg, "benchmark \"a\" is registered twice");
  qbr_registry_reset(&reg);
  assert_int_equal(reg.n, 0);
  assert_int_equal(qbr_register(&other, &a, &err), 0);
  assert_int_equal(qbr_register(&other, &dup, &err), 0);
  assert_null(list_names(&other, NULL, &rc, &err));
  assert_string_equal(err.msg, "benchmark \"d/n=1\" is registered twice");
  qbr_registry empty = QBR_REGISTRY_INIT;
  assert_null(list_names(&empty, NULL, &rc, &err));
  assert_string_equal(err.msg, "no benchmarks are registered");
}

/* --filter is a POSIX extended regex searched in the full name. */
static void test_runner__filter(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench sort = {.name = "sort", .fn = fake_body, .params = "n=100,1000,10000", .data = &f};
  qbr_bench other = {.name = "other", .fn = fake_body, .data = &f};
  qbr_err err = {0, ""};
  int rc;
  assert_int_equal(qbr_register(&reg, &sort, &err), 0);
  assert_int_equal(qbr_register(&reg, &other, &err), 0);

  char *names = list_names(&reg, "n=1000$", &rc, &err);
  assert_string_equal(names, "sort/n=1000\n");
  free(names);
  names = list_names(&reg, "^sort/", &rc, &err);
  assert_string_equal(names, "sort/n=100\nsort/n=1000\nsort/n=10000\n");
  free(names);
  names = list_names(&reg, "(other|=100$)", &rc, &err);
  assert_string_equal(names, "sort/n=100\nother\n");
  free(names);

  capture cap = {0};
  make_tmp();
  qbr_config cfg = fake_config(&f, 2, &cap, TMP "/filter.jsonl");
  cfg.filter = "n=1000$";
  assert_int_equal(qbr_run(&reg, &cfg, &err), 0);
  assert_int_equal(cap.n, 1);
  assert_string_equal(cap.r[0].name, "sort/n=1000");
  qb_run *run = load(TMP "/filter.jsonl");
  assert_int_equal(run->n_benches, 1);
  assert_string_equal(run->benches[0].name, "sort/n=1000");
  json_t *ex = qbt_load_text(run->extra);
  assert_string_equal(json_string_value(json_object_get(json_object_get(ex, "runner"), "filter")),
                      "n=1000$");
  json_decref(ex);
  qb_run_free(run);

  /* a bad regex and an empty selection are refused before any file is made */
  cfg.out_path = TMP "/filter_bad.jsonl";
  remove(cfg.out_path);
  cfg.filter = "(";
  assert_int_equal(qbr_run(&reg, &cfg, &err), QBR_EUSAGE);
  assert_non_null(strstr(err.msg, "--filter \"(\": "));
  cfg.filter = "zzz";
  assert_int_equal(qbr_run(&reg, &cfg, &err), QBR_EUSAGE);
  assert_string_equal(err.msg, "no benchmark matches --filter \"zzz\"");
  assert_false(qbt_exists(cfg.out_path));
}

/* ---- the command line and the macros ---------------------------------------------------- */

static uint64_t macro_fam_seen;

/* Registered before main by the macros (into the default registry). */
QBR_BENCH(macro_plain) {
  uint64_t x = 0;
  QBR_LOOP(state) {
    x++;
    qbr_do_not_optimize(&x);
  }
}

static int macro_setup(qbr_state *state) {
  qbr_set_data(state, &macro_fam_seen);
  return 0;
}

QBR_BENCH_OPTS(macro_fam, .params = "n=1,2", .setup = macro_setup, .group = "grp") {
  uint64_t *seen_n = qbr_data(state);
  *seen_n = (uint64_t)qbr_param_int(state, "n");
  qbr_set_bytes(state, 16);
  QBR_LOOP(state) qbr_clobber();
}

static int run_main(int argc, const char **argv) {
  return qbr_main_ex(NULL, argc, (char **)argv, "test-cc", 0);
}

static void test_runner__main(void **state) {
  (void)state;
  const char *path = TMP "/main.jsonl";
  make_tmp();
  assert_int_equal(qbr_registry_default()->n, 2);
  const char *argv[] = {
      "bench", "--samples",  "3",      "--warmup=1",    "--iters",      "5",       "--out",
      path,    "--commit",   "abc123", "--branch=main", "--machine",    "m 1",     "--project",
      "p",     "--tag",      "k=v",    "--filter",      "^(macro|grp)", "--quiet", "--time-budget",
      "10",    "--min-time", "0.0001"};
  assert_int_equal(run_main(sizeof argv / sizeof argv[0], argv), 0);
  assert_int_equal(macro_fam_seen, 2);
  qb_run *run = load(path);
  assert_string_equal(run->commit_sha, "abc123");
  assert_string_equal(run->branch, "main");
  assert_string_equal(run->machine, "m 1");
  assert_string_equal(run->project, "p");
  assert_int_equal(run->n_tags, 1);
  assert_string_equal(run->tags[0].value, "v");
  json_t *ex = qbt_load_text(run->extra);
  assert_string_equal(json_string_value(json_object_get(ex, "compiler")), "test-cc");
  assert_true(json_is_false(json_object_get(ex, "optimized")));
  json_t *opts = json_object_get(ex, "runner");
  assert_true(json_number_value(json_object_get(opts, "time_budget_s")) == 10);
  assert_true(json_number_value(json_object_get(opts, "min_sample_time_s")) == 1e-4);
  json_decref(ex);
  assert_int_equal(run->n_benches, 3);
  assert_string_equal(run->benches[0].name, "macro_plain");
  assert_string_equal(run->benches[1].name, "grp/macro_fam/n=1");
  assert_string_equal(run->benches[2].group, "grp");
  qb_result *lat = find_result(run, "grp/macro_fam/n=2", "latency");
  assert_int_equal(lat->n_samples, 3);
  assert_true(lat->iters[0] == 5);
  find_result(run, "grp/macro_fam/n=2", "throughput");
  qb_run_free(run);

  /* usage errors: exit status 2, nothing run */
  const char *bad[][3] = {{"bench", "--nope", NULL},        {"bench", "--samples", "0"},
                          {"bench", "--samples", "x"},      {"bench", "--out", NULL},
                          {"bench", "--list=1", NULL},      {"bench", "--tag", "novalue"},
                          {"bench", "--iters", "0"},        {"bench", "--time-budget", "-1"},
                          {"bench", "--filter", "nomatch"}, {"bench", "stray", NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int argc = bad[i][2] ? 3 : 2;
    if (run_main(argc, bad[i]) != 2) fail_msg("%s %s: not a usage error", bad[i][1], bad[i][2]);
  }
}

/* qbr_args_parse fills the config and leaves what it was not given. */
static void test_runner__args(void **state) {
  (void)state;
  qbr_config cfg = QBR_CONFIG_INIT;
  qbr_err err = {0, ""};
  char *argv[] = {"x", "--list", "--samples=12", "--tag", "a=b", "--tag=c=d", "--help"};
  assert_int_equal(qbr_args_parse(&cfg, 7, argv, &err), 0);
  assert_int_equal(cfg.list, 1);
  assert_int_equal(cfg.help, 1);
  assert_int_equal(cfg.samples, 12);
  assert_int_equal(cfg.warmup, 10);
  assert_int_equal(cfg.n_tags, 2);
  assert_string_equal(cfg.tags[1], "c=d");
  assert_null(cfg.out_path);
  char *bad[] = {"x", "--warmup", "-1"};
  assert_int_equal(qbr_args_parse(&cfg, 3, bad, &err), QBR_EUSAGE);
  assert_string_equal(err.msg, "--warmup \"-1\": expected an integer");
  assert_non_null(strstr(qbr_usage(), "--filter REGEX"));
}

/* --measure: the three modes, the instruction mode's default of 10 samples unless --samples is
 * given (before or after it), and a bad value. */
static void test_runner__measure_args(void **state) {
  (void)state;
  qbr_err err = {0, ""};
  struct {
    const char *argv[5];
    int argc, measure;
    size_t samples;
  } cases[] = {
      {{"x"}, 1, QBR_MEASURE_TIME, 100},
      {{"x", "--measure", "time"}, 3, QBR_MEASURE_TIME, 100},
      {{"x", "--measure", "instructions"}, 3, QBR_MEASURE_INSTRUCTIONS, QBR_INSTR_SAMPLES},
      {{"x", "--measure=both"}, 2, QBR_MEASURE_BOTH, 100},
      {{"x", "--measure", "instructions", "--samples=50"}, 4, QBR_MEASURE_INSTRUCTIONS, 50},
      {{"x", "--samples", "50", "--measure=instructions"}, 4, QBR_MEASURE_INSTRUCTIONS, 50},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    qbr_config cfg = QBR_CONFIG_INIT;
    assert_int_equal(qbr_args_parse(&cfg, cases[i].argc, (char **)cases[i].argv, &err), 0);
    assert_int_equal(cfg.measure, cases[i].measure);
    assert_int_equal(cfg.samples, cases[i].samples);
  }
  qbr_config cfg = QBR_CONFIG_INIT;
  char *bad[] = {"x", "--measure", "cycles"};
  assert_int_equal(qbr_args_parse(&cfg, 3, bad, &err), QBR_EUSAGE);
  assert_string_equal(err.msg, "--measure \"cycles\": expected time, instructions or both");
  assert_non_null(strstr(qbr_usage(), "--measure M"));
}

static uint64_t instr_sink;

/* A body with real work (instructions to count). */
static void counted_body(qbr_state *s) {
  uint64_t x = instr_sink + 1;
  QBR_LOOP(s) {
    for (int i = 0; i < 100; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    qbr_do_not_optimize(&x);
  }
  instr_sink = x;
}

typedef struct instr_seen {
  int n;
  const char *source;
  int time_null, have_instr;
  double median;
  size_t n_samples;
} instr_seen;

static void on_instr_result(const qbr_result *r, void *ctx) {
  instr_seen *s = ctx;
  s->n++;
  s->source = r->instr_source;
  s->time_null = r->samples == NULL && r->cpu == NULL;
  s->have_instr = r->instructions != NULL;
  s->median = r->instr_median;
  s->n_samples = r->n_samples;
}

/* qbr_run with measure instructions / both: where there is a counter (a hardware one, or
 * callgrind when the test runs under it) the counts are reported; where there is none (this
 * project's CI machines) the run is refused with the reason and nothing is written. A measure
 * that is none of the three is refused. */
static void test_runner__measure_run(void **state) {
  (void)state;
  const char *path = TMP "/measure.jsonl";
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench b = {.name = "counted", .fn = counted_body};
  qbr_err err = {0, ""};
  make_tmp();
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  for (int m = QBR_MEASURE_INSTRUCTIONS; m <= QBR_MEASURE_BOTH; m++) {
    instr_seen seen = {0};
    qbr_config cfg = QBR_CONFIG_INIT;
    cfg.measure = m;
    cfg.samples = 3;
    cfg.out_path = path;
    cfg.on_result = on_instr_result;
    cfg.on_result_ctx = &seen;
    cfg.project = cfg.branch = cfg.commit = cfg.machine = "";
    remove(path);
    int rc = qbr_run(&reg, &cfg, &err);
    if (rc == QBR_OK) {
      assert_int_equal(seen.n, 1);
      assert_true(seen.have_instr);
      assert_int_equal(seen.n_samples, 3);
      assert_true(seen.median > 100); /* 100 multiply-adds per iteration */
      assert_int_equal(seen.time_null, m == QBR_MEASURE_INSTRUCTIONS);
      qb_run *run = load(path);
      qb_result *res = find_result(run, "counted", "instructions");
      assert_string_equal(res->unit, "1");
      assert_int_equal(res->n_samples, 3);
      qb_run_free(run);
      continue;
    }
    assert_int_equal(rc, QBR_EUSAGE);
    assert_int_equal(seen.n, 0);
    assert_int_equal(access(path, F_OK), -1); /* nothing written */
    if (m == QBR_MEASURE_BOTH)
      assert_non_null(strstr(err.msg, "--measure both: "));
    else
      assert_non_null(strstr(err.msg, "--measure instructions: "));
    assert_true(strstr(err.msg, "(perf_event_open: ") || strstr(err.msg, "valgrind"));
  }
  qbr_config cfg = QBR_CONFIG_INIT;
  cfg.measure = 7;
  assert_int_equal(qbr_run(&reg, &cfg, &err), QBR_EUSAGE);
  assert_string_equal(err.msg, "--measure: expected time, instructions or both");
}

/* ---- failures and crashes ----------------------------------------------------------------- */

static int failing_setup(qbr_state *s) {
  (void)s;
  return 1;
}

static void failing_body(qbr_state *s) {
  fake *f = fake_of(s);
  fake_body(s);
  if (f->n_calls == 2) qbr_fail(s, "boom");
}

/* A failed benchmark is reported and left out; the others still run and are written. */
static void test_runner__failures(void **state) {
  (void)state;
  fake f = {.ns_per_iter = 1000};
  capture cap = {0};
  qbr_registry reg = QBR_REGISTRY_INIT;
  qbr_bench a = {.name = "bad_setup",
                 .fn = fake_body,
                 .setup = failing_setup,
                 .teardown = fake_teardown,
                 .data = &f};
  qbr_bench b = {.name = "fails", .fn = failing_body, .teardown = fake_teardown, .data = &f};
  qbr_bench c = {.name = "ok", .fn = fake_body, .data = &f};
  qbr_err err = {0, ""};
  make_tmp();
  qbr_config cfg = fake_config(&f, 3, &cap, TMP "/failures.jsonl");
  assert_int_equal(qbr_register(&reg, &a, &err), 0);
  assert_int_equal(qbr_register(&reg, &b, &err), 0);
  assert_int_equal(qbr_register(&reg, &c, &err), 0);
  assert_int_equal(qbr_run(&reg, &cfg, &err), QBR_EBENCH);
  assert_string_equal(err.msg, "bad_setup: setup failed (and 1 more failed)");
  /* bad_setup never ran its body: the first calls are the warm-up and calibration of fails */
  assert_true(f.calls[0] == 3 && f.calls[1] == 1);
  assert_int_equal(f.teardowns, 1); /* fails' teardown; none without a setup */
  assert_int_equal(cap.n, 1);
  qb_run *run = load(TMP "/failures.jsonl");
  assert_int_equal(run->n_benches, 1);
  assert_string_equal(run->benches[0].name, "ok");
  qb_run_free(run);
}

static void crashing_body(qbr_state *s) {
  (void)s;
  _exit(3);
}

/* Lines are written and flushed as each benchmark finishes: a crash keeps the finished ones. */
static void test_runner__crash_keeps_results(void **state) {
  (void)state;
  const char *path = TMP "/crash.jsonl";
  make_tmp();
  remove(path);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fake f = {.ns_per_iter = 1000};
    capture cap = {0};
    qbr_registry reg = QBR_REGISTRY_INIT;
    qbr_bench a = {.name = "first", .fn = fake_body, .data = &f};
    qbr_bench b = {.name = "second", .fn = crashing_body, .data = &f};
    qbr_err err;
    qbr_config cfg = fake_config(&f, 4, &cap, path);
    qbr_register(&reg, &a, &err);
    qbr_register(&reg, &b, &err);
    qbr_run(&reg, &cfg, &err);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  qb_run *run = load(path);
  assert_int_equal(run->n_benches, 1);
  assert_string_equal(run->benches[0].name, "first");
  assert_int_equal(find_result(run, "first", "latency")->n_samples, 4);
  qb_run_free(run);
  char *text = slurp(path);
  assert_true(text[strlen(text) - 1] == '\n');
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_runner__round_trip),
      cmocka_unit_test(test_runner__next_iters),
      cmocka_unit_test(test_runner__next_iters_instr),
      cmocka_unit_test(test_runner__auto_iters),
      cmocka_unit_test(test_runner__time_budget),
      cmocka_unit_test(test_runner__real_clock),
      cmocka_unit_test(test_runner__summary_display_width),
      cmocka_unit_test(test_runner__families),
      cmocka_unit_test(test_runner__params),
      cmocka_unit_test(test_runner__bad_params),
      cmocka_unit_test(test_runner__registry),
      cmocka_unit_test(test_runner__filter),
      cmocka_unit_test(test_runner__main),
      cmocka_unit_test(test_runner__args),
      cmocka_unit_test(test_runner__measure_args),
      cmocka_unit_test(test_runner__measure_run),
      cmocka_unit_test(test_runner__failures),
      cmocka_unit_test(test_runner__crash_keeps_results),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* http/routes.c - the HTTP routes: one sorted table, handlers h_<resource>_<verb> over the same
 * service functions as the CLI. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/json_out.h"
#include "service/auth.h"
#include "service/baseline.h"
#include "service/compare.h"
#include "service/history.h"
#include "service/regression_bisects.h"
#include "net/notifier.h"
#include "service/run_cache.h"
#include "http/server.h"
#include "service/upload.h"
#include "view/json.h"
#include "http/web_assets.h"
#include "core/sha256.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "view/compare.h"
#include "service/dashboard.h"
#include "view/dashboard.h"

/* The one map from error codes to HTTP statuses and stable error codes (http/server.h). */
void qb_route_error(qb_response *out, int rc, const qb_err *err) {
  int status;
  const char *code;
  const char *msg = err && err->msg[0] ? err->msg : qb_rc_name(rc);
  switch (rc) {
    case QB_EUSAGE:
      status = 400, code = "bad_request";
      break;
    case QB_EAUTH:
      status = 401, code = "unauthorized";
      break;
    case QB_EFORBIDDEN:
      status = 403, code = "forbidden";
      break;
    case QB_ETOOLARGE:
      status = 413, code = "too_large";
      break;
    case QB_EFORMAT:
      status = 422, code = "unprocessable";
      break;
    case QB_ENOTFOUND:
      status = 404, code = "not_found";
      break;
    case QB_EEXISTS:
      status = 409, code = "conflict";
      break;
    case QB_EUNAVAILABLE: /* the database is away for now: retry (server.c adds Retry-After) */
      status = 503, code = "unavailable";
      break;
    default:
      status = 500, code = "internal";
      break;
  }
  out->status = status;
  out->json = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
  if (status == 503) out->retry_after = QB_SERVER_RETRY_AFTER_S;
}

/* Reads need a valid token when the server is not public. */
static int check_read(const qb_request *r, qb_err *err) {
  if (r->public_read) return QB_OK;
  qb_token t;
  int rc = qb_token_check(r->store, r->bearer, NULL, &t, err);
  qb_token_dispose(&t);
  return rc;
}

static int h_health_get(const qb_request *r, qb_response *out, qb_err *err) {
  (void)err;
  out->json = json_pack("{s:s, s:s, s:i}", "status", "ok", "version", QB_VERSION, "schema_version",
                        qb_store_schema_version(r->store));
  return QB_OK;
}

static int h_metrics_get(const qb_request *r, qb_response *out, qb_err *err) {
  (void)err;
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 20);
  qb_server_metrics(&b, r->db_path);
  if (r->run_cache) { /* what the server keeps of the data it read (service/run_cache.h) */
    qb_run_cache_stats st;
    qb_run_cache_stats_get(r->run_cache, &st);
    qb_buf_printf(
        &b, NULL,
        "# HELP qbdb_run_cache_lookups_total Decoded runs asked of the server's cache.\n"
        "# TYPE qbdb_run_cache_lookups_total counter\n"
        "qbdb_run_cache_lookups_total{result=\"hit\"} %llu\n"
        "qbdb_run_cache_lookups_total{result=\"miss\"} %llu\n"
        "# HELP qbdb_run_cache_runs Decoded runs kept.\n# TYPE qbdb_run_cache_runs gauge\n"
        "qbdb_run_cache_runs %zu\n"
        "# HELP qbdb_run_cache_bytes Their estimated size.\n# TYPE qbdb_run_cache_bytes gauge\n"
        "qbdb_run_cache_bytes %zu\n"
        "# HELP qbdb_history_cache_lookups_total Histories for the noise model asked of it.\n"
        "# TYPE qbdb_history_cache_lookups_total counter\n"
        "qbdb_history_cache_lookups_total{result=\"hit\"} %llu\n"
        "qbdb_history_cache_lookups_total{result=\"miss\"} %llu\n"
        "# HELP qbdb_series_end_cache_lookups_total Series ends asked of it by detection.\n"
        "# TYPE qbdb_series_end_cache_lookups_total counter\n"
        "qbdb_series_end_cache_lookups_total{result=\"hit\"} %llu\n"
        "qbdb_series_end_cache_lookups_total{result=\"miss\"} %llu\n",
        (unsigned long long)st.hits, (unsigned long long)st.misses, st.runs, st.bytes,
        (unsigned long long)st.history_hits, (unsigned long long)st.history_misses,
        (unsigned long long)st.tail_hits, (unsigned long long)st.tail_misses);
  }
  out->text = qb_buf_take(&b, NULL);
  out->type = "text/plain; version=0.0.4";
  return QB_OK;
}

/* The projects with their run count, the benchmarks of their newest run and its id, the project
 * of the newest run first (qb_store_projects: a row per project, not a pass over every run). */
static int h_projects_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_project_info *projects = NULL;
  size_t n = 0;
  int rc = qb_store_projects(r->store, &projects, &n, err);
  if (rc) return rc;
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}", "name", projects[i].name, "runs",
                                         (json_int_t)projects[i].runs, "benchmarks",
                                         (json_int_t)projects[i].latest_benches, "latest_run",
                                         (json_int_t)projects[i].latest_run));
  qb_project_infos_free(projects, n);
  out->json = arr;
  return QB_OK;
}

/* A whole-number query argument in [lo, hi] into *out (def when absent); what says what it
 * should be in the message. */
static int int_arg(const qb_request *r, const char *key, long long def, long long lo, long long hi,
                   const char *what, long long *out, qb_err *err) {
  const char *v = qb_request_arg(r, key);
  *out = def;
  if (!v) return QB_OK;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (!*v || *end || errno || x < lo || x > hi)
    return qb_err_set(err, QB_EUSAGE, "%s '%.40s': expected %s (%lld to %lld)", key, v, what, lo,
                      hi);
  *out = x;
  return QB_OK;
}

/* The largest cursor of GET /runs: offsets stay far from overflowing with the limit added. */
#define CURSOR_MAX 1000000000000LL

static int h_runs_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_run_filter f = QB_RUN_FILTER_INIT;
  long long limit, offset;
  int rc0;
  if ((rc0 = int_arg(r, "limit", 50, 1, 1000, "a page size", &limit, err)) ||
      (rc0 = int_arg(r, "cursor", 0, 0, CURSOR_MAX, "a value from next_cursor", &offset, err)))
    return rc0;
  f.project = qb_request_arg(r, "project");
  f.branch = qb_request_arg(r, "branch");
  f.machine = qb_request_arg(r, "machine");
  f.offset = offset;   /* skipped in the store's index, not loaded and dropped here */
  f.limit = limit + 1; /* one more: is there a next page? */
  qb_run_info *runs = NULL;
  size_t n = 0;
  int rc = qb_store_list_runs(r->store, &f, &runs, &n, err);
  if (rc) return rc;
  json_t *arr = json_array();
  for (size_t i = 0; i < n && i < (size_t)limit; i++)
    json_array_append_new(arr, qb_view_run_info(&runs[i]));
  char next[32];
  snprintf(next, sizeof next, "%lld", offset + limit);
  out->json = json_pack("{s:o, s:s?}", "runs", arr, "next_cursor", n > (size_t)limit ? next : NULL);
  qb_run_infos_free(runs, n);
  return QB_OK;
}

/* The id path parameter as a run id. */
static int path_id(const qb_request *r, int64_t *id, qb_err *err) {
  char *end;
  long long v = strtoll(r->params[0], &end, 10);
  if (*end || v <= 0) return qb_err_set(err, QB_EUSAGE, "'%s' is not an id", r->params[0]);
  *id = v;
  return QB_OK;
}

/* One run with its results (their raw samples' values read too, through the server's run
 * cache, for the CIs the tools did not store: qb_view_run_api) and the project's repo_url. */
static int h_run_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_run_info info;
  qb_run_ref ref = {0};
  char *url = NULL;
  int64_t id = 0;
  int rc = path_id(r, &id, err);
  if (rc || (rc = qb_run_cache_load(r->run_cache, r->store, id, &info, &ref, err))) return rc;
  if (!(rc = qb_repo_url(r->store, info.project, &url, err)) &&
      !(out->json = qb_view_run_api(&info, ref.run, 0, url)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  free(url);
  qb_run_cache_release(r->run_cache, &ref);
  qb_run_info_dispose(&info);
  return rc;
}

/* The most raw samples GET /samples answers with (docs/api/README.md): a result with more gets
 * this many, evenly spaced in their stored order, and "truncated": true. */
#define SAMPLES_MAX 10000

/* A required query argument: present and not empty. */
static int need_arg(const qb_request *r, const char *key, const char *what, const char **out,
                    qb_err *err) {
  *out = qb_request_arg(r, key);
  if (!*out) return qb_err_set(err, QB_EUSAGE, "samples needs %s (%s)", key, what);
  if (!**out) return qb_err_set(err, QB_EUSAGE, "%s: empty", key);
  return QB_OK;
}

/* GET /samples: the raw samples of one result of one run (project, run: a run reference as the
 * CLI takes it, benchmark, metric: the benchmark's primary one when absent, machine narrows the
 * reference), with their five-number summary and mean; 404 when the run has no such result. */
static int h_samples_get(const qb_request *r, qb_response *out, qb_err *err) {
  const char *project, *ref, *bench, *metric = qb_request_arg(r, "metric");
  const char *machine = qb_request_arg(r, "machine");
  int rc;
  if ((rc = need_arg(r, "project", "a project name", &project, err)) ||
      (rc =
           need_arg(r, "run", "a run id, BRANCH@latest, BRANCH~N or a commit prefix", &ref, err)) ||
      (rc = need_arg(r, "benchmark", "a benchmark name", &bench, err)))
    return rc;
  if (metric && !*metric) return qb_err_set(err, QB_EUSAGE, "metric: empty");
  if (machine && !*machine) return qb_err_set(err, QB_EUSAGE, "machine: empty");
  int64_t id;
  qb_run_info info;
  qb_run_ref rr = {0};
  if ((rc = qb_store_resolve_run_on(r->store, project, machine, ref, &id, err)) ||
      (rc = qb_run_cache_load(r->run_cache, r->store, id, &info, &rr, err)))
    return rc;
  const qb_bench *b = NULL;
  const qb_result *res = NULL;
  for (size_t i = 0; i < rr.run->n_benches && !b; i++)
    if (!strcmp(rr.run->benches[i].name, bench)) b = &rr.run->benches[i];
  for (size_t k = 0; b && k < b->n_results; k++) { /* no metric: latency, else the first */
    const char *m = b->results[k].metric;
    if (!metric && !res) res = &b->results[k];
    if (!strcmp(m, metric ? metric : "latency")) {
      res = &b->results[k];
      break;
    }
  }
  if (!b)
    rc = qb_err_set(err, QB_ENOTFOUND, "run %lld has no benchmark '%.200s'", (long long)id, bench);
  else if (!res)
    rc = qb_err_set(err, QB_ENOTFOUND, "benchmark '%.200s' of run %lld has no metric '%.80s'",
                    bench, (long long)id, metric);
  if (!rc && !(out->json = qb_view_samples(&info, b, res, SAMPLES_MAX)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_run_cache_release(r->run_cache, &rr);
  qb_run_info_dispose(&info);
  return rc;
}

static int h_grade_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_grade_report *g;
  int rc = qb_grade_run(r->store, NULL, r->params[0], &g, err);
  if (rc) return rc;
  out->json = qb_view_grade(g);
  qb_grade_report_free(g);
  return QB_OK;
}

/* A number query argument in [lo, hi] into *out (left alone when absent), checked as the CLI
 * checks its options (qb_cli_number): empty, trailing text, NaN, infinities and values out of
 * range are refused, naming the argument. */
static int num_arg(const qb_request *r, const char *key, double lo, double hi, double *out,
                   qb_err *err) {
  const char *v = qb_request_arg(r, key);
  if (!v) return QB_OK;
  char *end;
  double d = strtod(v, &end);
  if (!*v || *end || !isfinite(d) || !(d >= lo && d <= hi))
    return qb_err_set(err, QB_EUSAGE, "%s '%.40s': expected a number in [%g, %g]", key, v, lo, hi);
  *out = d;
  return QB_OK;
}

/* Compare answers are cached: stored runs never change, so an answer stays right until a new
 * run, a setting or a target changes, or a prune removes runs or samples (the store's
 * fingerprint is part of the key). A slot is found by the sha256 of the whole key and then
 * checked against the whole key: no key is cut, however long its arguments. */
enum { CACHE_SLOTS = 64 };
static struct {
  char digest[65];
  char *key, *json;
} cache[CACHE_SLOTS];
static size_t cache_next;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* The sha256 hex of key. */
static void key_digest(const char *key, char digest[65]) {
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, key, strlen(key));
  qb_sha256_hex(&h, digest);
}

/* A copy of the answer cached under key (NULL when none); the caller frees it. */
static char *cache_get(const char *digest, const char *key) {
  char *hit = NULL;
  pthread_mutex_lock(&cache_mu);
  for (size_t i = 0; i < CACHE_SLOTS && !hit; i++)
    if (cache[i].key && !strcmp(cache[i].digest, digest) && !strcmp(cache[i].key, key))
      hit = strdup(cache[i].json);
  pthread_mutex_unlock(&cache_mu);
  return hit;
}

static void cache_put(const char *digest, const char *key, const char *json) {
  char *k = strdup(key), *j = strdup(json);
  if (!k || !j) {
    free(k);
    free(j);
    return;
  }
  pthread_mutex_lock(&cache_mu);
  size_t i = cache_next++ % CACHE_SLOTS; /* oldest first */
  free(cache[i].key);
  free(cache[i].json);
  memcpy(cache[i].digest, digest, sizeof cache[i].digest);
  cache[i].key = k;
  cache[i].json = j;
  pthread_mutex_unlock(&cache_mu);
}

/* Append one field of a cache key: its length, then its bytes (NULL as "-"), so that no two
 * different argument lists make the same key. */
static int key_add(qb_buf *b, const char *v, qb_err *err) {
  if (!v) return qb_buf_adds(b, "-;", err);
  return qb_buf_printf(b, err, "%zu:%s;", strlen(v), v);
}

/* A true/false query argument into *out (0 when absent). */
static int bool_arg(const qb_request *r, const char *key, int *out, qb_err *err) {
  const char *v = qb_request_arg(r, key);
  *out = 0;
  if (!v) return QB_OK;
  if (!strcmp(v, "true") || !strcmp(v, "1"))
    *out = 1;
  else if (strcmp(v, "false") && strcmp(v, "0"))
    return qb_err_set(err, QB_EUSAGE, "%s '%.40s': expected true or false", key, v);
  return QB_OK;
}

/* The comparison and baseline arguments GET /compare and POST /runs share, checked as the CLI
 * checks its options (cli/cmd_compare.c, cli/cmd_upload.c). */
static int compare_args(const qb_request *r, qb_compare_opts *o, qb_err *err) {
  int rc;
  o->run_cache = r->run_cache;
  o->project = qb_request_arg(r, "project");
  o->metric = qb_request_arg(r, "metric");
  o->bench_glob = qb_request_arg(r, "benchmark");
  o->machine = qb_request_arg(r, "machine");
  o->base.base_ref = qb_request_arg(r, "base");
  o->base.base_branch = qb_request_arg(r, "base_branch");
  o->base.base_branch_source = qb_request_arg(r, "base_branch_source");
  o->base.base_commit = qb_request_arg(r, "base_commit");
  /* the ranges of `qbdb compare --alpha --threshold` (cli/cmd_compare.c) */
  if ((rc = num_arg(r, "alpha", 1e-300, 0.999999, &o->alpha, err)) ||
      (rc = num_arg(r, "threshold", 0, 1e9, &o->threshold, err)) ||
      (rc = bool_arg(r, "any_machine", &o->base.any_machine, err)) ||
      (rc = bool_arg(r, "all_metrics", &o->all_metrics, err)))
    return rc;
  const char *runs = qb_request_arg(r, "base_runs");
  if (runs) {
    char *end;
    long v = strtol(runs, &end, 10);
    if (!*runs || *end || v < 1 || v > QB_BASE_RUNS_MAX)
      return qb_err_set(err, QB_EUSAGE, "base_runs '%.20s': expected 1 to %d", runs,
                        QB_BASE_RUNS_MAX);
    o->base.base_runs = (int)v;
  }
  if (o->base.base_branch_source && strlen(o->base.base_branch_source) > 64)
    return qb_err_set(err, QB_EUSAGE, "base_branch_source: longer than 64 bytes");
  if ((rc = qb_baseline_opts_check(&o->base, err))) return rc;
  return QB_OK;
}

/* "regressions=2; worst=major; improvements=1" for the Qbdb-Verdict header. */
static void verdict_header(const qb_compare *c, char *buf, size_t n) {
  snprintf(buf, n, "regressions=%zu; worst=%s; improvements=%zu", c->regressions,
           qb_severity_name(c->regressions ? c->worst_regression : QB_SEV_NONE), c->improvements);
}

static int h_compare_get(const qb_request *r, qb_response *out, qb_err *err) {
  const char *head = qb_request_arg(r, "head"), *fmt_arg = qb_request_arg(r, "format");
  const char *sort = qb_request_arg(r, "sort");
  if (!head)
    return qb_err_set(err, QB_EUSAGE, "compare needs head (and base, or the baseline rule)");
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  qb_compare_format fmt = QB_CMP_JSON;
  int rc, only_changed;
  if ((rc = compare_args(r, &o, err)) || (rc = bool_arg(r, "only_changed", &only_changed, err)))
    return rc;
  if (fmt_arg && qb_compare_format_parse(fmt_arg, &fmt))
    return qb_err_set(err, QB_EUSAGE, "format '%.40s': expected json, markdown, text or csv",
                      fmt_arg);
  if (!fmt_arg && r->accept && strstr(r->accept, "text/markdown")) fmt = QB_CMP_MARKDOWN;
  if (sort && strcmp(sort, "name") && strcmp(sort, "change") && strcmp(sort, "severity"))
    return qb_err_set(err, QB_EUSAGE, "sort '%.40s': expected name, change or severity", sort);
  static const char *const TYPES[] = {[QB_CMP_TEXT] = "text/plain; charset=utf-8",
                                      [QB_CMP_JSON] = "application/json",
                                      [QB_CMP_MARKDOWN] = "text/markdown; charset=utf-8",
                                      [QB_CMP_CSV] = "text/csv; charset=utf-8"};
  char fp[QB_FINGERPRINT_LEN], digest[65];
  if ((rc = qb_store_fingerprint(r->store, fp, sizeof fp, err))) return rc;
  qb_buf kb;
  qb_buf_init(&kb, (size_t)1 << 24); /* the arguments are bounded by the request's size */
  const char *const fields[] = {head,
                                o.base.base_ref,
                                o.project,
                                o.metric,
                                o.bench_glob,
                                o.machine,
                                o.base.base_branch,
                                o.base.base_commit,
                                o.base.base_branch_source,
                                sort,
                                fp};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !rc; i++)
    rc = key_add(&kb, fields[i], err);
  if (rc || (rc = qb_buf_printf(&kb, err, "%.17g;%.17g;%d;%d;%d;%d;%d", o.alpha, o.threshold,
                                o.base.base_runs, o.base.any_machine, o.all_metrics, only_changed,
                                (int)fmt))) {
    qb_buf_dispose(&kb);
    return rc;
  }
  char *key = qb_buf_take(&kb, NULL);
  key_digest(key, digest);
  char *hit = cache_get(digest, key);
  if (hit) {
    free(key);
    char *sep = strchr(hit, '\x1e'); /* the verdict header, then the answer */
    if (sep) {
      *sep = '\0';
      snprintf(out->verdict, sizeof out->verdict, "%s", hit);
      out->text = strdup(sep + 1);
    }
    free(hit);
    if (!out->text) return qb_err_set(err, QB_ENOMEM, "out of memory");
    out->type = TYPES[fmt];
    return QB_OK;
  }
  qb_compare *c;
  if ((rc = qb_compare_runs(r->store, head, &o, &c, err))) {
    free(key);
    return rc;
  }
  qb_buf b;
  qb_buf_init(&b, (size_t)1 << 30);
  if (sort) rc = qb_compare_sort(c, sort, err);
  if (!rc && fmt == QB_CMP_JSON) {
    out->text = qb_view_compare_text(c, only_changed, JSON_COMPACT);
    if (!out->text) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  } else if (!rc && !(rc = qb_compare_render(c, fmt, only_changed, 0, &b, err))) {
    out->text = qb_buf_take(&b, NULL);
    if (!out->text && !(out->text = strdup(""))) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  verdict_header(c, out->verdict, sizeof out->verdict);
  qb_buf_dispose(&b);
  qb_compare_free(c);
  if (rc) {
    free(key);
    return rc;
  }
  out->type = TYPES[fmt];
  size_t lv = strlen(out->verdict), lt = strlen(out->text);
  char *entry = malloc(lv + lt + 2);
  if (entry) {
    memcpy(entry, out->verdict, lv);
    entry[lv] = '\x1e';
    memcpy(entry + lv + 1, out->text, lt + 1);
    cache_put(digest, key, entry);
    free(entry);
  }
  free(key);
  return QB_OK;
}

/* One entry per benchmark (project and name, in that order) with the metrics it has series of,
 * by name (qb_store_bench_metrics: a probe per benchmark and metric, not a pass over every
 * series of every branch and machine). */
static int h_benchmarks_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_bench_metric *bm = NULL;
  size_t n = 0;
  int rc = qb_store_bench_metrics(r->store, qb_request_arg(r, "project"), &bm, &n, err);
  if (rc) return rc;
  json_t *arr = json_array(), *b = NULL;
  for (size_t k = 0; k < n && arr; k++) {
    int same =
        k && !strcmp(bm[k].project, bm[k - 1].project) && !strcmp(bm[k].bench, bm[k - 1].bench);
    if (!same) {
      /* NULL for a name JSON cannot hold (not UTF-8): left out, with its metrics */
      b = json_pack("{s:s, s:s, s:[]}", "project", bm[k].project, "name", bm[k].bench, "metrics");
      if (b) json_array_append_new(arr, b);
    }
    /* a metric name measured in two units comes twice in a row: once here */
    if (b && (!same || strcmp(bm[k].metric, bm[k - 1].metric)))
      json_array_append_new(json_object_get(b, "metrics"), json_string(bm[k].metric));
  }
  qb_bench_metrics_free(bm, n);
  if (!arr) return qb_err_set(err, QB_ENOMEM, "out of memory");
  out->json = arr;
  return QB_OK;
}

/* GET /dashboard: a project's landing view (service/dashboard.h), written as text without a
 * tree (view/dashboard.h); points as a whole number in its range, an empty name refused. */
static int h_dashboard_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_dashboard_opts o = QB_DASHBOARD_OPTS_INIT;
  long long points;
  int rc = int_arg(r, "points", QB_DASHBOARD_POINTS, QB_DASHBOARD_POINTS_MIN,
                   QB_DASHBOARD_POINTS_MAX, "a sparkline length", &points, err);
  if (rc) return rc;
  o.project = qb_request_arg(r, "project");
  o.branch = qb_request_arg(r, "branch");
  if (!o.project || !*o.project) return qb_err_set(err, QB_EUSAGE, "dashboard needs project");
  if (o.branch && !*o.branch) return qb_err_set(err, QB_EUSAGE, "branch: empty");
  o.points = (int)points;
  o.cache = r->run_cache;
  qb_dashboard *d;
  if ((rc = qb_dashboard_build(r->store, &o, &d, err))) return rc;
  out->text = qb_view_dashboard_text(d, JSON_COMPACT);
  qb_dashboard_free(d);
  if (!out->text) return qb_err_set(err, QB_ENOMEM, "out of memory");
  out->type = "application/json";
  return QB_OK;
}

static int h_trend_get(const qb_request *r, qb_response *out, qb_err *err) {
  const char *bench = qb_request_arg(r, "benchmark");
  if (!bench) return qb_err_set(err, QB_EUSAGE, "trend needs benchmark");
  qb_trend_report *t;
  int rc =
      qb_trend_series(r->store, qb_request_arg(r, "project"), bench, qb_request_arg(r, "metric"),
                      qb_request_arg(r, "branch"), qb_request_arg(r, "machine"), NULL, &t, err);
  if (rc) return rc;
  out->json = qb_view_trend(t);
  qb_trend_report_free(t);
  return QB_OK;
}

/* GET /scaling: the complexity fit of a benchmark family in a run, as `qbdb scaling --format
 * json` (project, family: required; run: a run reference, default the project's newest run;
 * metric: default latency). 404 when the run or the family is not there. */
static int h_scaling_get(const qb_request *r, qb_response *out, qb_err *err) {
  const char *project = qb_request_arg(r, "project"), *family = qb_request_arg(r, "family");
  const char *ref = qb_request_arg(r, "run"), *metric = qb_request_arg(r, "metric");
  if (!project) return qb_err_set(err, QB_EUSAGE, "scaling needs project (a project name)");
  if (!family)
    return qb_err_set(err, QB_EUSAGE,
                      "scaling needs family (a group name or a prefix of the benchmark names)");
  if (!*project) return qb_err_set(err, QB_EUSAGE, "project: empty");
  if (!*family) return qb_err_set(err, QB_EUSAGE, "family: empty");
  if (ref && !*ref) return qb_err_set(err, QB_EUSAGE, "run: empty");
  if (metric && !*metric) return qb_err_set(err, QB_EUSAGE, "metric: empty");
  qb_scaling_report *sr;
  int rc = qb_scaling_family(r->store, project, family, ref, metric, &sr, err);
  if (rc) return rc;
  out->json = qb_view_scaling(sr);
  qb_scaling_report_free(sr);
  return out->json ? QB_OK : qb_err_set(err, QB_ENOMEM, "out of memory");
}

static int h_regressions_get(const qb_request *r, qb_response *out, qb_err *err) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  f.project = qb_request_arg(r, "project");
  f.status = qb_request_arg(r, "status");
  const char *sev = qb_request_arg(r, "min_severity"), *all = qb_request_arg(r, "all");
  if (sev) {
    qb_severity s;
    int rc = qb_severity_parse_arg("min_severity", sev, 1, &s, err);
    if (rc) return rc;
    f.min_severity = (int)s;
  }
  if (!all || strcmp(all, "true")) {
    if (!f.status) f.status = "open";
    f.kind = "regression";
    if (!sev) f.min_severity = 1;
    f.active_only = 1;
  }
  qb_regression *regs = NULL;
  size_t n = 0;
  qb_regression_bisects b = QB_REGRESSION_BISECTS_INIT;
  int rc = qb_store_regressions_list(r->store, &f, &regs, &n, err);
  if (!rc) rc = qb_regression_bisects_find(r->store, regs, n, &b, err);
  if (!rc && !(out->json = qb_view_regressions_with_bisects(regs, n, &b)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_regression_bisects_dispose(&b);
  qb_regressions_free(regs, n);
  return rc;
}

/* GET /bisects/{id}: one `qbdb bisect` session, as stored (qb_view_bisect_session: its result's
 * tests and steps, the command's argv) with its project's repo_url. A read like the others
 * (check_read): any valid token, none on a --public-read server. */
static int h_bisect_get(const qb_request *r, qb_response *out, qb_err *err) {
  int64_t id = 0;
  qb_bisect_record b = {0};
  char *url = NULL;
  int rc;
  if ((rc = path_id(r, &id, err)) || (rc = qb_store_bisect_get(r->store, id, &b, err)) ||
      (rc = qb_repo_url(r->store, b.project, &url, err)))
    goto done;
  if (!(out->json = qb_view_bisect_session(&b, url)))
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
done:
  free(url);
  qb_bisect_record_dispose(&b);
  return rc;
}

/* Check that no string value or key in v (at most QB_JSON_MAX_DEPTH deep) is longer than
 * QB_JSON_MAX_STRING bytes. */
static int json_strings_capped(const json_t *v, qb_err *err) {
  const char *key;
  json_t *x;
  size_t i;
  if (json_is_string(v) && json_string_length(v) > QB_JSON_MAX_STRING)
    return qb_err_set(err, QB_ETOOLARGE, "too large: body: a string of %zu bytes (at most %zu)",
                      json_string_length(v), QB_JSON_MAX_STRING);
  if (json_is_array(v)) {
    json_array_foreach(v, i, x) {
      int rc = json_strings_capped(x, err);
      if (rc) return rc;
    }
  }
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, key, x) {
      if (strlen(key) > QB_JSON_MAX_STRING)
        return qb_err_set(err, QB_ETOOLARGE, "too large: body: a key of %zu bytes (at most %zu)",
                          strlen(key), QB_JSON_MAX_STRING);
      int rc = json_strings_capped(x, err);
      if (rc) return rc;
    }
  }
  return QB_OK;
}

/* Parse r's body as JSON within the caps of http/server.h: nesting deeper than
 * QB_JSON_MAX_DEPTH is a 400 (checked on the raw bytes first, so jansson never recurses
 * deeper), a string or key longer than QB_JSON_MAX_STRING bytes a 413 ("too large: ..."),
 * malformed JSON and an object with a key twice a 400. *out is the caller's (json_decref). */
static int json_body_load(const qb_request *r, json_t **out, qb_err *err) {
  *out = NULL;
  size_t depth = 0, str_start = 0;
  int in_str = 0;
  for (size_t i = 0; i < r->body_len; i++) {
    char ch = r->body[i];
    if (in_str) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_str = 0;
      else if (i - str_start > 6 * QB_JSON_MAX_STRING) /* even if all \uXXXX escapes */
        return qb_err_set(err, QB_ETOOLARGE,
                          "too large: body: the string at byte %zu is longer than %zu bytes",
                          str_start, QB_JSON_MAX_STRING);
    } else if (ch == '"') {
      in_str = 1, str_start = i;
    } else if ((ch == '[' || ch == '{') && ++depth > QB_JSON_MAX_DEPTH) {
      return qb_err_set(err, QB_EUSAGE, "body: byte %zu: nested deeper than %d levels", i,
                        QB_JSON_MAX_DEPTH);
    } else if ((ch == ']' || ch == '}') && depth) {
      depth--;
    }
  }
  json_error_t je;
  if (!(*out = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je)))
    return qb_err_set(err, QB_EUSAGE, "body: line %d, column %d: %s", je.line, je.column, je.text);
  int rc = json_strings_capped(*out, err);
  if (rc) {
    json_decref(*out);
    *out = NULL;
  }
  return rc;
}

/* The JSON type of v, for messages. */
static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT:
      return "an object";
    case JSON_ARRAY:
      return "an array";
    case JSON_STRING:
      return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
      return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "a boolean";
    default:
      return "null";
  }
}

/* PATCH /regressions/{id}: the token first (without one nothing tells whether the id exists),
 * then the regression, whose project decides which write tokens may triage it, then the body:
 * {"status": "open|acknowledged|invalid|fixed", "note": "..." or null}. */
static int h_regression_patch(const qb_request *r, qb_response *out, qb_err *err) {
  int64_t id = 0;
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  qb_regression *regs = NULL, *mine = NULL;
  size_t n = 0;
  qb_token tok = {0};
  json_t *body = NULL;
  int rc;
  if ((rc = qb_token_check(r->store, r->bearer, NULL, &tok, err)) || (rc = path_id(r, &id, err)) ||
      (rc = qb_store_regressions_list(r->store, &f, &regs, &n, err)))
    goto done;
  for (size_t i = 0; i < n && !mine; i++)
    if (regs[i].id == id) mine = &regs[i];
  if (!mine) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no regression with id %lld", (long long)id);
    goto done;
  }
  if ((rc = qb_token_allows(&tok, mine->series.project, err)) ||
      (rc = json_body_load(r, &body, err)))
    goto done;
  if (!json_is_object(body)) {
    rc = qb_err_set(err, QB_EUSAGE, "body: expected an object {\"status\", \"note\"}, got %s",
                    json_type_name(body));
    goto done;
  }
  json_t *jstatus = json_object_get(body, "status"), *jnote = json_object_get(body, "note");
  const char *status = json_string_value(jstatus);
  if (!status || (strcmp(status, "open") && strcmp(status, "acknowledged") &&
                  strcmp(status, "invalid") && strcmp(status, "fixed"))) {
    if (status)
      rc =
          qb_err_set(err, QB_EUSAGE,
                     "body: status '%.40s': expected acknowledged, invalid, fixed or open", status);
    else
      rc = qb_err_set(err, QB_EUSAGE,
                      "body: status: expected \"acknowledged\", \"invalid\", \"fixed\" or "
                      "\"open\", got %s",
                      jstatus ? json_type_name(jstatus) : "nothing");
    goto done;
  }
  if (jnote && !json_is_string(jnote) && !json_is_null(jnote)) {
    rc = qb_err_set(err, QB_EUSAGE, "body: note: expected a string (or null), got %s",
                    json_type_name(jnote));
    goto done;
  }
  const char *note = json_string_value(jnote);
  if ((rc = qb_store_regression_triage(r->store, id, status, note, tok.name, err))) goto done;
  qb_regressions_free(regs, n);
  regs = NULL;
  n = 0;
  if ((rc = qb_store_regressions_list(r->store, &f, &regs, &n, err))) goto done;
  for (size_t i = 0; i < n && !rc; i++)
    if (regs[i].id == id) {
      qb_regression_bisects b = QB_REGRESSION_BISECTS_INIT;
      if (!(rc = qb_regression_bisects_find(r->store, &regs[i], 1, &b, err)) &&
          !(out->json = qb_view_regression_bisect(&regs[i], b.of[0], b.repo_urls[0])))
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      qb_regression_bisects_dispose(&b);
    }
done:
  json_decref(body);
  qb_token_dispose(&tok);
  qb_regressions_free(regs, n);
  return rc;
}

/* Queue the notification of a new run's regressions at or above the server's
 * --notify-min-severity (docs/notify.md): the rows of c (the compare with the run before it)
 * and the change points the upload's history step stored first (after->fresh: with several
 * servers on one database, each change is announced by one of them, once). Never fails the upload:
 * a full queue is logged by the notifier, and the change points are left out when they cannot be
 * read. */
static void notify_upload(const qb_request *r, const qb_run_info *info, const qb_compare *c,
                          const qb_grade_report *g, const qb_after_ingest *after) {
  qb_regression *regs = NULL;
  size_t n = 0, k = 0, len = 0, n_regs = 0;
  char *body = NULL;
  qb_err err = QB_ERR_INIT;
  if (after->detect.regressions) { /* some series of the run has a regression: new ones? */
    qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
    f.project = info->project;
    f.kind = "regression";
    f.min_severity = (int)r->notify_min;
    f.active_only = 1;
    f.limit = 1000; /* newest first: what was just found is at the end of its series */
    if (qb_store_regressions_list(r->store, &f, &regs, &n, &err)) n = 0;
    /* keep, at the front, those this upload's history step stored first (another server's
     * detection of the same series announces its own; swapped, not overwritten:
     * qb_regressions_free frees all n) */
    for (size_t i = 0; i < n; i++) {
      const qb_regression *x = &regs[i];
      int fresh = 0;
      for (size_t j = 0; j < after->n_fresh && !fresh; j++)
        fresh = after->fresh[j][0] == x->series_id && after->fresh[j][1] == x->run_id;
      if (!fresh) continue;
      qb_regression t = regs[k];
      regs[k++] = regs[i];
      regs[i] = t;
    }
  }
  if (qb_notify_summary(&body, &len, &n_regs, info, c, regs, k, g, r->notify_min, &err) == QB_OK &&
      body)
    qb_notifier_enqueue(r->notifier, info->id, body, len, NULL); /* takes body */
  qb_regressions_free(regs, n);
}

/* The query arguments POST /runs reads, in the order its request hash takes them. */
static const char *const RUNS_POST_ARGS[] = {"format",      "project",     "branch",
                                             "commit",      "machine",     "tag",
                                             "base",        "base_branch", "base_branch_source",
                                             "base_commit", "base_runs",   "any_machine",
                                             "all_metrics", "summary",     "metric",
                                             "benchmark",   "alpha",       "threshold"};

/* The sha256 hex of what a POST /runs asks: its body, then every argument it reads (each
 * occurrence, with its name, index and length), so that one Idempotency-Key stands for one
 * request. */
static void request_hash(const qb_request *r, char hex[65]) {
  qb_sha256 h;
  char head[96];
  qb_sha256_init(&h);
  qb_sha256_update(&h, r->body ? r->body : "", r->body ? r->body_len : 0);
  for (size_t a = 0; a < sizeof RUNS_POST_ARGS / sizeof RUNS_POST_ARGS[0]; a++) {
    const char *v;
    for (size_t i = 0; (v = qb_request_arg_n(r, RUNS_POST_ARGS[a], i)); i++) {
      int n = snprintf(head, sizeof head, "\n%s[%zu]=%zu:", RUNS_POST_ARGS[a], i, strlen(v));
      qb_sha256_update(&h, head, (size_t)n);
      qb_sha256_update(&h, v, strlen(v));
    }
  }
  qb_sha256_hex(&h, hex);
}

/* The longest Idempotency-Key kept (the key is stored with the run). */
#define IDEM_KEY_MAX 255
/* Tags a POST /runs takes (tag=KEY=VALUE, repeated). */
#define RUNS_POST_TAGS 32

/* The run an upload's answer shows: as stored (the caller disposes info: 1 returned), else as
 * parsed (0 returned: info borrows run's texts; a replay is parsed from the same request). */
static int answer_run_info(qb_store *s, int64_t id, qb_run *run, qb_run_info *info) {
  qb_err lerr = QB_ERR_INIT;
  if (qb_store_load_run(s, id, 0, info, NULL, &lerr) == QB_OK) return 1;
  memset(info, 0, sizeof *info);
  info->id = id;
  info->project = run->project;
  info->branch = run->branch;
  info->machine = run->machine;
  info->commit_sha = run->commit_sha;
  info->format = run->format;
  info->tool_version = run->tool_version;
  info->content_hash = run->content_hash;
  info->commit_time = run->commit_time;
  info->started_at = run->started_at;
  info->ingested_at = QB_TIME_NONE;
  info->tags = run->tags;
  info->n_tags = run->n_tags;
  return 0;
}

/* The answer to POST /runs from what the upload service did (res) with the run as info shows it:
 * the run, the history step, the verdict (or why there is none), the markdown summary when
 * asked for (summary not NULL), the broken targets, the change points and the grade; the
 * verdict also goes in the Qbdb-Verdict header. */
static json_t *runs_post_answer(const qb_ingest_run_result *res, const qb_run_info *info,
                                const char *summary, qb_response *out) {
  const qb_compare *c = res->compare;
  int done = res->history == QB_INGEST_HISTORY_DONE;
  json_t *o_json = json_object();
  json_object_set_new(o_json, "run", qb_view_run_info(info));
  json_object_set_new(o_json, "existed", json_boolean(res->ingest.existed));
  json_object_set_new(o_json, "history", json_string(done ? "done" : "deferred"));
  if (!done) json_object_set_new(o_json, "history_error", json_string(res->history_err.msg));
  /* the verdict: the run is stored by now, so a compare that failed is told in the answer */
  if (c) {
    json_t *cmp = qb_view_compare(c, 1);
    json_object_set_new(o_json, "compare",
                        json_pack("{s:O, s:O, s:O}", "base", json_object_get(cmp, "base"),
                                  "baseline", json_object_get(cmp, "baseline"), "summary",
                                  json_object_get(cmp, "summary")));
    json_object_set(json_object_get(o_json, "compare"), "changed", json_object_get(cmp, "rows"));
    json_object_set(o_json, "baseline", json_object_get(cmp, "baseline"));
    json_decref(cmp);
    verdict_header(c, out->verdict, sizeof out->verdict);
  } else {
    json_object_set_new(o_json, "compare", json_null());
    if (res->no_baseline)
      json_object_set_new(o_json, "baseline", qb_view_baseline(&res->baseline));
    else
      json_object_set_new(o_json, "compare_error", json_string(res->compare_err.msg));
  }
  if (summary) {
    qb_buf md;
    qb_buf_init(&md, (size_t)1 << 26);
    if (c && qb_compare_render(c, QB_CMP_MARKDOWN, 0, 0, &md, NULL) == QB_OK)
      json_object_set_new(o_json, "summary_markdown", json_string(md.data ? md.data : ""));
    else {
      const char *why =
          json_string_value(json_object_get(json_object_get(o_json, "baseline"), "reason"));
      json_object_set_new(o_json, "summary_markdown",
                          json_sprintf("**qbdb**: run %lld stored, not compared: %s\n",
                                       (long long)res->ingest.run_id,
                                       why ? why : res->compare_err.msg));
    }
    qb_buf_dispose(&md);
  }
  json_t *broken = json_array();
  for (size_t i = 0; i < res->after.n_checks; i++) {
    const qb_target_check *t = &res->after.checks[i];
    if (!t->met)
      json_array_append_new(broken, json_pack("{s:s, s:s, s:s, s:f, s:f, s:s}", "benchmark",
                                              t->bench, "metric", t->metric, "op", t->op, "target",
                                              t->target, "value", t->value, "unit", t->unit));
  }
  json_object_set_new(o_json, "targets_broken", broken);
  json_object_set_new(o_json, "changes", json_integer((json_int_t)res->after.detect.changes));
  /* of these, the ones this upload's detection recorded first (a later upload does not count
   * them again) */
  json_object_set_new(o_json, "new_changes", json_integer((json_int_t)res->after.n_fresh));
  json_object_set_new(o_json, "grade", res->grade ? qb_view_grade(res->grade) : json_null());
  return o_json;
}

/* POST /runs: parse the arguments, check the token, parse the body, check that the token may
 * write to the run's project, then the upload service (service/upload.h: store with the
 * Idempotency-Key in the run's transaction, the history step - also for a run stored before:
 * the server that stored it may have died before its own step - the compare against the
 * baseline and the grade); a new run's regressions are then queued for notification when the
 * server has --notify-url. Once the run is committed, nothing makes the answer an error: a
 * history step that fails is reported as "history": "deferred" (its series' markers did not
 * move, so the next detection catches up), a compare that fails as "compare_error". */
static int h_runs_post(const qb_request *r, qb_response *out, qb_err *err) {
  qb_ingest_opts o = QB_INGEST_OPTS_INIT;
  qb_tag tags[RUNS_POST_TAGS];
  const char *fmt = qb_request_arg(r, "format");
  int rc;
  if (fmt && (rc = qb_format_parse_arg("format", fmt, 1, &o.format, err))) return rc;
  o.project = qb_request_arg(r, "project");
  o.branch = qb_request_arg(r, "branch");
  o.commit = qb_request_arg(r, "commit");
  o.machine = qb_request_arg(r, "machine");
  o.default_machine = qb_request_arg(r, "default_machine"); /* the uploader's host */
  /* the verdict's options: checked before anything is read or stored */
  qb_compare_opts co = QB_COMPARE_OPTS_INIT;
  const char *summary = qb_request_arg(r, "summary");
  int rc0 = compare_args(r, &co, err);
  if (rc0) return rc0;
  co.shifts_changed_only = 1; /* the answer shows the changed rows only */
  if (summary && strcmp(summary, "markdown"))
    return qb_err_set(err, QB_EUSAGE, "summary '%.40s': expected markdown", summary);
  if (qb_request_arg_n(r, "tag", RUNS_POST_TAGS))
    return qb_err_set(err, QB_EUSAGE, "tag: more than %d tags", RUNS_POST_TAGS);
  char tagbuf[RUNS_POST_TAGS][256];
  for (size_t i = 0; i < RUNS_POST_TAGS; i++) {
    const char *t = qb_request_arg_n(r, "tag", i), *eq;
    if (!t) break;
    if (!(eq = strchr(t, '=')) || eq == t || strlen(t) >= sizeof tagbuf[i])
      return qb_err_set(err, QB_EUSAGE, "tag '%.80s': expected KEY=VALUE (at most %zu bytes)", t,
                        sizeof tagbuf[i] - 1);
    snprintf(tagbuf[i], sizeof tagbuf[i], "%s", t);
    tagbuf[i][eq - t] = '\0';
    tags[i] = (qb_tag){tagbuf[i], tagbuf[i] + (eq - t) + 1};
    o.n_tags = i + 1;
  }
  o.tags = tags;
  const char *key = r->idempotency_key && *r->idempotency_key ? r->idempotency_key : NULL;
  if (key && strlen(key) > IDEM_KEY_MAX)
    return qb_err_set(err, QB_EUSAGE, "Idempotency-Key: longer than %d bytes", IDEM_KEY_MAX);
  qb_token tok = {0};
  qb_run *run = NULL;
  qb_ingest_run_result res = {0};
  char hash[65];
  /* a token first (no parsing for strangers), then its project once the data names it: a
   * replay is answered only to a token that may write to the run's project */
  if ((rc = qb_token_check(r->store, r->bearer, NULL, &tok, err))) goto done;
  if ((rc = qb_ingest_prepare_bytes("body", r->body, r->body_len, &o, &run, err))) goto done;
  if ((rc = qb_token_allows(&tok, run->project, err))) goto done;
  /* the key belongs to the project and the token, and stands for this request: the same request
   * again is a replay; another one with the key is refused (409), nothing stored */
  qb_idem k = {tok.id, key, hash};
  if (key) request_hash(r, hash);
  qb_ingest_run_opts ro = QB_INGEST_RUN_OPTS_INIT;
  ro.compare = &co;
  ro.idem = key ? &k : NULL;
  ro.cache = r->run_cache;
  ro.history_existed = 1;
  ro.grade = 1;
  if ((rc = qb_ingest_run(&res, r->store, run, &ro, err))) goto done;
  /* the run is committed: the answer is a 201 (or a 200 for a run that existed) */
  qb_run_info info;
  int info_loaded = answer_run_info(r->store, res.ingest.run_id, run, &info);
  out->json = runs_post_answer(&res, &info, summary, out);
  /* a new run is announced; a run stored before only when this step stored changes first (its
   * first server died before its own step) */
  if (r->notifier && (res.stored || res.after.n_fresh))
    notify_upload(r, &info, res.compare, res.grade, &res.after);
  if (info_loaded) qb_run_info_dispose(&info);
  out->status = res.ingest.existed ? 200 : 201;
done:
  qb_token_dispose(&tok);
  qb_run_free(run);
  qb_ingest_run_result_dispose(&res);
  return rc;
}

static int h_openapi_get(const qb_request *r, qb_response *out, qb_err *err);

/* Who may call a route, decided before its handler runs. */
typedef enum route_auth {
  AUTH_NONE,  /* anyone: liveness and this API's description */
  AUTH_READ,  /* a token, unless the server runs with --public-read yes (check_read) */
  AUTH_WRITE, /* a token that may write: http/server.c checks it on the headers before it keeps
                 a body byte, and the handler checks it against the project written */
} route_auth;

/* The routes, sorted by path; "{}" matches one path segment (documented as {id}). Each row says
 * who may call it, whether it reads whole runs or series (run on the server's read pool, bounded
 * by --max-expensive), and what GET /api/v1/openapi.json says of it: a summary and its answers
 * ("CODE text" lines; none: "200 JSON answer"). */
typedef struct route {
  const char *method, *path;
  int (*fn)(const qb_request *r, qb_response *out, qb_err *err);
  route_auth auth;
  int expensive;
  const char *summary, *responses;
} route;

static const route ROUTES[] = {
    {"GET", "/api/v1/benchmarks", h_benchmarks_get, AUTH_READ, 0,
     "Benchmarks of a project with their metrics", NULL},
    {"GET", "/api/v1/bisects/{}", h_bisect_get, AUTH_READ, 0,
     "One `qbdb bisect` session: its commits, outcome, culprits, tests, steps and command",
     "200 JSON answer\n400 not an id\n401 no or bad token\n404 no such session"},
    {"GET", "/api/v1/compare", h_compare_get, AUTH_READ, 1,
     "Compare run head with base, or with the baseline rule's choice (head, base, base_branch, "
     "base_commit, base_runs, machine, any_machine, all_metrics, project, metric, benchmark, "
     "alpha, threshold, only_changed, sort, format=json|markdown|text|csv or Accept: "
     "text/markdown); the Qbdb-Verdict header sums it up",
     NULL},
    {"GET", "/api/v1/dashboard", h_dashboard_get, AUTH_READ, 1,
     "A project's landing view: a branch's newest runs and grades, open regressions by "
     "severity, and the newest points of every series (project, branch, points)",
     NULL},
    {"GET", "/api/v1/health", h_health_get, AUTH_NONE, 0, "Liveness and versions", NULL},
    {"GET", "/api/v1/metrics", h_metrics_get, AUTH_READ, 0, "Prometheus metrics", NULL},
    {"GET", "/api/v1/openapi.json", h_openapi_get, AUTH_NONE, 0, "This description", NULL},
    {"GET", "/api/v1/projects", h_projects_get, AUTH_READ, 0, "Projects with their run counts",
     NULL},
    {"GET", "/api/v1/regressions", h_regressions_get, AUTH_READ, 0,
     "Detected regressions (project, status, min_severity, all), each with its newest bisect "
     "session",
     NULL},
    {"PATCH", "/api/v1/regressions/{}", h_regression_patch, AUTH_WRITE, 0,
     "Triage: {\"status\", \"note\"}",
     "200 the updated record\n401 no or bad token\n"
     "403 the token may not write to this project"},
    {"GET", "/api/v1/runs", h_runs_get, AUTH_READ, 0,
     "Runs, newest first (project, branch, machine, limit, cursor)", NULL},
    {"POST", "/api/v1/runs", h_runs_post, AUTH_WRITE, 0,
     "Upload one run: the raw tool output as the body (format, project, branch, commit, "
     "machine, tag), compared with its baseline (base, base_branch, base_branch_source, "
     "base_commit, base_runs, any_machine, all_metrics; summary=markdown adds the pull-request "
     "comment); Idempotency-Key",
     "201 stored (\"history\": \"deferred\" when change-point detection or targets failed "
     "after the run was stored)\n"
     "200 replay of an earlier upload (same content, or the same request with its "
     "Idempotency-Key)\n"
     "401 no or bad token\n"
     "403 the token may not write to this project\n"
     "409 the Idempotency-Key was used for a different request; nothing stored\n"
     "413 body too large\n"
     "422 benchmark data cannot be parsed or fails validation\n"
     "503 the database is unavailable; retry after Retry-After seconds"},
    {"GET", "/api/v1/runs/{}", h_run_get, AUTH_READ, 1,
     "One run with its results (a CI computed from the raw samples where the tool stored none: "
     "ci_source) and the project's repo_url",
     NULL},
    {"GET", "/api/v1/runs/{}/grade", h_grade_get, AUTH_READ, 1, "The grade of a run", NULL},
    {"GET", "/api/v1/samples", h_samples_get, AUTH_READ, 1,
     "The raw samples of one result of a run (project, run, benchmark, metric, machine) with "
     "their summary; at most 10000 samples, evenly spaced when there are more",
     "200 JSON answer\n400 a parameter missing or malformed\n401 no or bad token\n"
     "404 no such run, or the run has no such benchmark or metric"},
    {"GET", "/api/v1/scaling", h_scaling_get, AUTH_READ, 1,
     "The complexity fit of a benchmark family in a run, each size weighted by its own noise, "
     "with the models not distinguishable from the best (project, family, run, metric)",
     "200 JSON answer\n400 a parameter missing or empty\n401 no or bad token\n"
     "404 no such project or run, or fewer than 2 members of the family in the run"},
    {"GET", "/api/v1/trend", h_trend_get, AUTH_READ, 1,
     "A series with its change points and trend, each point's interval, the last segment's noise "
     "band, the branches and machines to overlay and the project's repo_url (project, benchmark, "
     "metric, branch, machine)",
     NULL},
};
#define N_ROUTES (sizeof ROUTES / sizeof ROUTES[0])

/* Match path against pattern; path parameters are copied into params (NULL-terminated). */
static int match(const char *pattern, const char *path, char params[2][128]) {
  int np = 0;
  while (*pattern && *path) {
    if (!strncmp(pattern, "{}", 2)) {
      const char *end = strchr(path, '/');
      size_t len = end ? (size_t)(end - path) : strlen(path);
      if (!len || len >= 128 || np >= 2) return 0;
      memcpy(params[np], path, len);
      params[np++][len] = '\0';
      path += len;
      pattern += 2;
      continue;
    }
    if (*pattern++ != *path++) return 0;
  }
  return !*pattern && !*path;
}

void qb_route(const qb_request *req, qb_response *out) {
  qb_err err = QB_ERR_INIT;
  char params[2][128];
  const char *pv[3] = {NULL, NULL, NULL};
  int path_known = 0;
  memset(out, 0, sizeof *out);
  out->status = 200;
  for (size_t i = 0; i < N_ROUTES; i++) {
    if (!match(ROUTES[i].path, req->path, params)) continue;
    path_known = 1;
    if (strcmp(ROUTES[i].method, req->method) != 0) continue;
    qb_request r = *req;
    pv[0] = params[0];
    pv[1] = params[1];
    r.params = pv;
    int rc = ROUTES[i].auth == AUTH_READ ? check_read(&r, &err) : QB_OK;
    if (!rc) rc = ROUTES[i].fn(&r, out, &err);
    if (rc) {
      json_decref(out->json);
      free(out->text);
      memset(out, 0, sizeof *out);
      qb_route_error(out, rc, &err);
    } else if (!out->json && !out->text && !out->data) {
      qb_route_error(out, QB_ENOMEM, NULL);
    }
    return;
  }
  /* the web page: GET / and its files, outside /api/ */
  if (!path_known && !strcmp(req->method, "GET") && strncmp(req->path, "/api/", 5) != 0) {
    const qb_web_asset *a = qb_web_asset_find(req->path);
    if (a) {
      out->data = a->data;
      out->len = a->len;
      out->type = a->type;
      return;
    }
  }
  if (path_known) {
    out->status = 405;
    out->json = json_pack("{s:{s:s, s:s}}", "error", "code", "method_not_allowed", "message",
                          "this path does not take that method");
    return;
  }
  qb_err_set(&err, QB_ENOTFOUND, "no such endpoint: %s", req->path);
  qb_route_error(out, QB_ENOTFOUND, &err);
}

void qb_route_classify(const char *method, const char *path, qb_route_info *out) {
  char params[2][128];
  /* an unknown POST or PATCH is still a write: refused without a token before its body */
  *out = (qb_route_info){0, !strcmp(method, "POST") || !strcmp(method, "PATCH"), 0};
  const char *as = !strcmp(method, "HEAD") ? "GET" : method;
  for (size_t i = 0; i < N_ROUTES; i++)
    if (!strcmp(ROUTES[i].method, as) && match(ROUTES[i].path, path, params)) {
      *out = (qb_route_info){1, ROUTES[i].auth == AUTH_WRITE, ROUTES[i].expensive};
      return;
    }
}

/* One operation of the OpenAPI description, from its row of ROUTES. */
static json_t *openapi_operation(const route *rt) {
  json_t *op = json_pack("{s:s}", "summary", rt->summary), *responses = json_object();
  const char *p = rt->responses ? rt->responses : "200 JSON answer";
  while (*p) {
    const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
    char code[4] = {p[0], p[1], p[2], '\0'};
    json_object_set_new(responses, code,
                        json_pack("{s:s%}", "description", p + 4, (size_t)(end - p - 4)));
    p = nl ? nl + 1 : end;
  }
  json_object_set_new(op, "responses", responses);
  if (rt->auth != AUTH_NONE) json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
  if (strstr(rt->path, "{}"))
    json_object_set_new(op, "parameters",
                        json_pack("[{s:s, s:s, s:b, s:{s:s}}]", "name", "id", "in", "path",
                                  "required", 1, "schema", "type", "string"));
  return op;
}

/* The OpenAPI 3 description, generated from ROUTES: a route added there is described here. */
static int h_openapi_get(const qb_request *r, qb_response *out, qb_err *err) {
  (void)r;
  (void)err;
  json_t *paths = json_object();
  for (size_t i = 0; i < N_ROUTES; i++) {
    char path[128];
    size_t k = 0;
    for (const char *c = ROUTES[i].path; *c && k + 5 < sizeof path; c++) {
      if (c[0] == '{' && c[1] == '}') {
        memcpy(path + k, "{id}", 4);
        k += 4;
        c++;
      } else {
        path[k++] = *c;
      }
    }
    path[k] = '\0';
    json_t *item = json_object_get(paths, path);
    if (!item) json_object_set_new(paths, path, item = json_object());
    char method[8];
    for (k = 0; ROUTES[i].method[k] && k + 1 < sizeof method; k++)
      method[k] = (char)(ROUTES[i].method[k] - 'A' + 'a');
    method[k] = '\0';
    json_object_set_new(item, method, openapi_operation(&ROUTES[i]));
  }
  out->json =
      json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}}}}", "openapi", "3.0.3", "info",
                "title", "qbdb", "version", QB_VERSION, "paths", paths, "components",
                "securitySchemes", "bearer", "type", "http", "scheme", "bearer");
  return QB_OK;
}

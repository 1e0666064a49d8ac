/* service/compare.c - comparing two runs: matching, tests, FDR, noise, severity, verdicts. */
#include "service/compare.h"

#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/describe.h"
#include "analysis/fdr.h"
#include "analysis/mwu.h"
#include "analysis/noise.h"
#include "analysis/shift.h"
#include "analysis/ttest.h"
#include "service/run_cache.h"
#include "core/par.h"

#define CONF 0.95 /* confidence of every interval shown */

static const char *const SEVERITY[] = {"none", "minor", "moderate", "major", "critical"};
static const char *const VERDICT[] = {"unchanged", "regression", "improvement", "added", "removed"};

const char *qb_severity_name(qb_severity s) {
  return (unsigned)s < 5 ? SEVERITY[s] : "unknown";
}

int qb_severity_parse(const char *name, qb_severity *out) {
  for (int i = 0; i < 5; i++)
    if (!strcmp(name, SEVERITY[i])) {
      *out = (qb_severity)i;
      return QB_OK;
    }
  return QB_EUSAGE;
}

int qb_severity_parse_arg(const char *option, const char *name, int with_none, qb_severity *out,
                          qb_err *err) {
  if (!qb_severity_parse(name, out) && (with_none || *out != QB_SEV_NONE)) return QB_OK;
  return qb_err_set(err, QB_EUSAGE, "%s '%.80s': expected %sminor, moderate, major or critical",
                    option, name, with_none ? "none, " : "");
}

const char *qb_verdict_name(qb_verdict v) {
  return (unsigned)v < 5 ? VERDICT[v] : "unknown";
}

/* ---- settings ---------------------------------------------------------------------------- */

void qb_compare_settings_default(qb_compare_settings *out) {
  out->alpha = 0.05;
  out->threshold = 1.0;
  out->moderate = 5.0;
  out->major = 10.0;
  out->critical = 25.0;
  out->noise_runs = 5;
  out->noise_unknown = 10.0;
  out->window = 30;
  out->max_p = 0.001;
  out->min_change = 0;
  out->metric_min = 0;
}

void qb_cp_opts_from_settings(const qb_compare_settings *s, qb_cp_opts *out) {
  qb_cp_opts d = QB_CP_OPTS_INIT;
  *out = d;
  out->window = (size_t)s->window;
  out->max_p = s->max_p;
  double m = s->metric_min > s->min_change ? s->metric_min : s->min_change;
  out->min_magnitude = m / 100.0;
}

const char *qb_cp_opts_key(const qb_cp_opts *o, char *buf, size_t n) {
  snprintf(buf, n, "window=%zu;max_p=%.17g;min_change=%.17g", o->window, o->max_p,
           o->min_magnitude * 100.0);
  return buf;
}

int qb_setting_is_text(const char *key) {
  return !strcmp(key, "default_branch") || !strcmp(key, "repo_url");
}

/* repo_url: an http:// or https:// URL with a host, without spaces, quotes, angle brackets,
 * backslashes, backticks or control characters (the page writes it into links); the message
 * names the value with its unprintable bytes as \xNN. */
static int repo_url_check(const char *v, qb_err *err) {
  size_t scheme = !strncmp(v, "https://", 8) ? 8 : !strncmp(v, "http://", 7) ? 7 : 0;
  const char *why = !scheme ? "expected an http:// or https:// URL" : NULL;
  if (!why && (!v[scheme] || v[scheme] == '/')) why = "no host after the scheme";
  for (const unsigned char *p = (const unsigned char *)v; *p && !why; p++)
    if (*p < 0x20 || *p == 0x7f || strchr(" \"'<>\\`", *p))
      why = "spaces, quotes, <, >, \\, ` and control characters are not allowed";
  if (!why) return QB_OK;
  char shown[161];
  size_t k = 0;
  for (const unsigned char *p = (const unsigned char *)v; *p && k + 5 < sizeof shown; p++)
    k += (size_t)snprintf(shown + k, sizeof shown - k, *p < 0x20 || *p == 0x7f ? "\\x%02x" : "%c",
                          *p);
  shown[k] = '\0';
  return qb_err_set(err, QB_EUSAGE, "setting repo_url '%s': %s", shown, why);
}

int qb_setting_text_check(const char *key, const char *value, qb_err *err) {
  if (!qb_setting_is_text(key))
    return qb_err_set(err, QB_EUSAGE, "setting %s: not a text setting", key);
  if (!value || !*value) return qb_err_set(err, QB_EUSAGE, "setting %s: empty value", key);
  if (strlen(value) > 255)
    return qb_err_set(err, QB_EUSAGE, "setting %s: longer than 255 bytes", key);
  if (!strcmp(key, "repo_url")) return repo_url_check(value, err);
  return QB_OK;
}

/* The metric a per-metric key names ("min_change.instructions" -> "instructions"), or NULL. */
const char *qb_setting_key_metric(const char *key) {
  static const char prefix[] = "min_change.";
  return !strncmp(key, prefix, sizeof prefix - 1) ? key + sizeof prefix - 1 : NULL;
}

/* A metric name in a key: 1 to 64 bytes of letters, digits and "_-./" (the names the
 * adapters give: "latency", "throughput", "memory", "allocs", "instructions"). */
static int metric_name_ok(const char *m) {
  size_t len = strlen(m);
  if (!len || len > 64) return 0;
  for (const char *p = m; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          strchr("_-./", *p)))
      return 0;
  return 1;
}

double qb_metric_min_change_default(const char *metric) {
  /* counts that the same binary repeats exactly (callgrind) or to a few hundredths of a percent
   * (perf_event): a real change moves them by half a percent or more (docs/statistics.md,
   * "Deterministic metrics") */
  if (metric && (!strcmp(metric, "instructions") || !strcmp(metric, "cycles"))) return 0.5;
  return 0;
}

double qb_settings_threshold(const qb_compare_settings *s) {
  return s->metric_min > 0 ? s->metric_min : s->threshold;
}

/* The field of s a setting key names, or NULL. */
static double *setting_field(qb_compare_settings *s, const char *key) {
  if (!strcmp(key, "alpha")) return &s->alpha;
  if (!strcmp(key, "threshold")) return &s->threshold;
  if (!strcmp(key, "moderate")) return &s->moderate;
  if (!strcmp(key, "major")) return &s->major;
  if (!strcmp(key, "critical")) return &s->critical;
  if (!strcmp(key, "noise_runs")) return &s->noise_runs;
  if (!strcmp(key, "noise_unknown")) return &s->noise_unknown;
  if (!strcmp(key, "window")) return &s->window;
  if (!strcmp(key, "max_p")) return &s->max_p;
  if (!strcmp(key, "min_change")) return &s->min_change;
  if (qb_setting_key_metric(key)) return &s->metric_min;
  return NULL;
}

int qb_compare_setting_check(const char *key, double value, qb_err *err) {
  qb_compare_settings s;
  if (qb_setting_is_text(key))
    return qb_err_set(err, QB_EUSAGE, "setting %s: takes a name, not a number", key);
  if (!setting_field(&s, key))
    return qb_err_set(err, QB_EUSAGE,
                      "unknown setting '%s' (alpha, threshold, moderate, major, critical, "
                      "noise_runs, noise_unknown, window, max_p, min_change, min_change.METRIC, "
                      "default_branch, repo_url)",
                      key);
  const char *metric = qb_setting_key_metric(key);
  if (metric && !metric_name_ok(metric))
    return qb_err_set(err, QB_EUSAGE,
                      "setting %.80s: expected min_change.METRIC with a metric name of letters, "
                      "digits and _-./ (at most 64 bytes)",
                      key);
  if (isnan(value) || isinf(value))
    return qb_err_set(err, QB_EUSAGE, "setting %s: not a finite number", key);
  if (!strcmp(key, "alpha") && !(value > 0 && value < 1))
    return qb_err_set(err, QB_EUSAGE, "setting alpha: %g is not in (0, 1)", value);
  if (!strcmp(key, "noise_runs") && !(value >= 3 && value == floor(value) && value <= 256))
    return qb_err_set(err, QB_EUSAGE, "setting noise_runs: %g is not a whole number in 3..256",
                      value);
  if (!strcmp(key, "window") && !(value >= 3 && value == floor(value) && value <= 100000))
    return qb_err_set(err, QB_EUSAGE, "setting window: %g is not a whole number in 3..100000",
                      value);
  if (!strcmp(key, "max_p") && !(value > 0 && value <= 1))
    return qb_err_set(err, QB_EUSAGE, "setting max_p: %g is not in (0, 1]", value);
  if (value < 0) return qb_err_set(err, QB_EUSAGE, "setting %s: %g is negative", key, value);
  return QB_OK;
}

/* The value of the most specific row with this exact key for bench of project; *found 0 when
 * none matches. A project's own rows beat every-project rows, and within those a longer glob beats
 * a shorter one (no glob = 0). */
static double setting_value(const qb_setting *rows, size_t n, const char *project,
                            const char *bench, const char *key, int *found) {
  long best = -1;
  double value = 0;
  for (size_t i = 0; i < n; i++) {
    const qb_setting *r = &rows[i];
    if (strcmp(r->key, key) != 0 || r->text) continue;
    int mine = *r->project != '\0';
    if (mine && (!project || strcmp(r->project, project) != 0)) continue;
    size_t len = strlen(r->bench_glob);
    if (len && (!bench || fnmatch(r->bench_glob, bench, 0) != 0)) continue;
    long score = (mine ? 1L << 20 : 0) + (long)len;
    if (score >= best) {
      best = score;
      value = r->value;
    }
  }
  *found = best >= 0;
  return value;
}

void qb_compare_settings_for(const qb_setting *rows, size_t n, const char *project,
                             const char *bench, qb_compare_settings *out) {
  qb_compare_settings_default(out);
  static const char *const KEYS[] = {"alpha",    "threshold",  "moderate",      "major",
                                     "critical", "noise_runs", "noise_unknown", "window",
                                     "max_p",    "min_change"};
  /* For every key, the matching row with the highest score wins (setting_value) */
  for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
    int found;
    double value = setting_value(rows, n, project, bench, KEYS[k], &found);
    if (found) *setting_field(out, KEYS[k]) = value;
  }
}

void qb_compare_settings_metric(const qb_setting *rows, size_t n, const char *project,
                                const char *bench, const char *metric, qb_compare_settings *out) {
  qb_compare_settings_for(rows, n, project, bench, out);
  char key[96];
  int found = 0;
  out->metric_min = qb_metric_min_change_default(metric);
  if (metric && snprintf(key, sizeof key, "min_change.%s", metric) < (int)sizeof key) {
    double v = setting_value(rows, n, project, bench, key, &found);
    if (found) out->metric_min = v;
  }
}

/* ---- building rows ----------------------------------------------------------------------- */

/* 1 when the results a and b of a count metric ("instructions", "cycles") were counted by
 * different tools: both extras name a "source" and the two differ ("callgrind" counts what
 * valgrind sees, "perf_event" what the CPU retired: docs/formats/native.md), so their counts
 * are not comparable. */
static int sources_differ(const char *metric, const qb_result *a, const qb_result *b) {
  if ((strcmp(metric, "instructions") != 0 && strcmp(metric, "cycles") != 0) || !a->extra ||
      !b->extra)
    return 0;
  json_t *x = json_loads(a->extra, 0, NULL), *y = json_loads(b->extra, 0, NULL);
  const char *sx = json_string_value(json_object_get(x, "source"));
  const char *sy = json_string_value(json_object_get(y, "source"));
  int differ = sx && sy && strcmp(sx, sy) != 0;
  json_decref(x);
  json_decref(y);
  return differ;
}

/* The smallest change in percent that counts for a row with settings st: --threshold when
 * given, else the threshold setting; a metric's own floor (min_change.METRIC) in place of the
 * threshold setting, and never undercut by --threshold. */
static double user_threshold(const qb_compare_opts *o, const qb_compare_settings *st) {
  double t = isnan(o->threshold) ? qb_settings_threshold(st) : o->threshold;
  return st->metric_min > t ? st->metric_min : t;
}

/* A result of a loaded run with its benchmark name, for matching base against head. */
typedef struct result_ref {
  const qb_bench *bench;
  const qb_result *res;
  int used; /* matched by a head result */
} result_ref;

static int cmp_ref(const void *a, const void *b) {
  const result_ref *x = a, *y = b;
  int c = strcmp(x->bench->name, y->bench->name);
  return c ? c : strcmp(x->res->metric, y->res->metric);
}

/* Every result of run that passes the filters, in run order (*out malloc'd, caller frees). */
static int collect(const qb_run *run, const qb_compare_opts *o, result_ref **out, size_t *n,
                   qb_err *err) {
  size_t total = 0, k = 0;
  for (size_t i = 0; i < run->n_benches; i++) total += run->benches[i].n_results;
  *out = calloc(total ? total : 1, sizeof **out);
  if (!*out) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    if (o->bench_glob && fnmatch(o->bench_glob, b->name, 0) != 0) continue;
    for (size_t j = 0; j < b->n_results; j++) {
      if (o->metric && strcmp(o->metric, b->results[j].metric) != 0) continue;
      (*out)[k++] = (result_ref){b, &b->results[j], 0};
    }
  }
  *n = k;
  return QB_OK;
}

/* The metric names of run, comma separated, for "not in run" messages. */
static void metric_names(const qb_run *run, char *buf, size_t n) {
  size_t at = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < run->n_benches; i++)
    for (size_t j = 0; j < run->benches[i].n_results; j++) {
      const char *m = run->benches[i].results[j].metric;
      if (strstr(buf, m)) continue;
      int w = snprintf(buf + at, n - at, "%s%s", at ? ", " : "", m);
      if (w < 0 || (size_t)w >= n - at) return;
      at += (size_t)w;
    }
}

static int run_has_metric(const qb_run *run, const char *metric) {
  for (size_t i = 0; i < run->n_benches; i++)
    for (size_t j = 0; j < run->benches[i].n_results; j++)
      if (!strcmp(run->benches[i].results[j].metric, metric)) return 1;
  return 0;
}

/* Fill one side from a stored result; *sorted gets its samples sorted: presorted when not NULL
 * (kept by the run cache), else a sorted copy that *owned also gets (the caller frees it), or
 * NULL without samples. */
static int fill_side(const qb_result *r, const double *presorted, qb_compare_side *side,
                     const double **sorted, double **owned, qb_err *err) {
  const qb_stats *x = &r->stats;
  side->present = 1;
  side->n = x->n >= 0 ? x->n : (int64_t)r->n_samples;
  side->n_samples = r->n_samples;
  side->median = x->median;
  side->mean = x->mean;
  side->stddev = x->stddev;
  side->ci_lo = side->ci_hi = NAN;
  *sorted = NULL;
  *owned = NULL;
  if (!isnan(x->median)) {
    side->centre = x->median;
    side->centre_kind = "median";
  } else if (!isnan(x->mean)) {
    side->centre = x->mean;
    side->centre_kind = "mean";
  } else {
    side->centre = x->estimate;
    side->centre_kind = "estimate";
    side->ci_lo = x->ci_lo;
    side->ci_hi = x->ci_hi;
  }
  if (r->n_samples) {
    const double *s = presorted;
    if (!s) {
      double *copy = malloc(r->n_samples * sizeof *copy);
      if (!copy) return qb_err_set(err, QB_ENOMEM, "out of memory");
      memcpy(copy, r->samples, r->n_samples * sizeof *copy);
      qb_sort_doubles(copy, r->n_samples);
      s = *owned = copy;
    }
    if (!strcmp(side->centre_kind, "median"))
      qb_median_ci(s, r->n_samples, CONF, &side->ci_lo, &side->ci_hi);
    *sorted = s;
  }
  return QB_OK;
}

/* log10 of the number of ways to choose k of n. */
static double log10_choose(double n, double k) {
  int sign; /* lgamma_r: lgamma writes the global signgam, a data race between compare's
              worker threads (ThreadSanitizer, issue 13) */
  return (lgamma_r(n + 1, &sign) - lgamma_r(k + 1, &sign) - lgamma_r(n - k + 1, &sign)) / log(10.0);
}

/* Run the test that the two sides allow and fill p, shift and the test name; bs and hs are the
 * sorted raw samples of base and head, or NULL. */
static int test_row(qb_compare_row *row, const qb_result *b, const qb_result *h, const double *bs,
                    const double *hs, int shift, qb_err *err) {
  int rc;
  row->p_value = row->p_adjusted = NAN;
  row->shift = row->shift_lo = row->shift_hi = NAN;
  row->test = "none";
  if (bs && hs) {
    qb_mwu_result m;
    qb_shift sh;
    if ((rc = qb_mwu_sorted(bs, b->n_samples, hs, h->n_samples, &m, err)) ||
        (shift &&
         (rc = qb_hodges_lehmann_sorted(bs, b->n_samples, hs, h->n_samples, CONF, &sh, err))))
      return rc;
    row->test = "mann-whitney-u";
    row->p_value = m.p;
    row->exact = m.exact;
    if (shift) {
      row->shift = sh.estimate;
      row->shift_lo = sh.lo;
      row->shift_hi = sh.hi;
    }
    /* the smallest two-sided p any arrangement can give: 2 / C(n1 + n2, n1) */
    double n1 = (double)b->n_samples, n2 = (double)h->n_samples;
    double lmin = log10(2.0) - log10_choose(n1 + n2, n1);
    if (lmin > log10(row->alpha))
      row->note = "too few samples: this test cannot reach significance at this alpha";
    return QB_OK;
  }
  const qb_stats *x = &b->stats, *y = &h->stats;
  if (x->n >= 2 && y->n >= 2 && !isnan(x->mean) && !isnan(y->mean) && !isnan(x->stddev) &&
      !isnan(y->stddev)) {
    qb_welch_result w;
    if ((rc =
             qb_welch((double)x->n, x->mean, x->stddev, (double)y->n, y->mean, y->stddev, &w, err)))
      return rc;
    row->test = "welch-t";
    row->p_value = w.p;
    row->shift = y->mean - x->mean;
    return QB_OK;
  }
  row->note = "no test possible: the runs give neither raw samples nor n, mean and stddev";
  return QB_OK;
}

/* The centre of a history point: median, else mean, else estimate. */
static double point_centre(const qb_history_point *p) {
  return !isnan(p->median) ? p->median : !isnan(p->mean) ? p->mean : p->estimate;
}

qb_severity qb_severity_of(double pct, const qb_compare_settings *s) {
  double a = fabs(pct);
  if (a >= s->critical) return QB_SEV_CRITICAL;
  if (a >= s->major) return QB_SEV_MAJOR;
  if (a >= s->moderate) return QB_SEV_MODERATE;
  return QB_SEV_MINOR;
}

static int row_strings(qb_compare_row *row, const qb_bench *b, const qb_result *r, qb_err *err) {
  row->benchmark = strdup(b->name);
  row->metric = strdup(r->metric);
  row->unit = strdup(r->unit);
  row->higher_is_better = r->direction == QB_HIGHER_IS_BETTER;
  if (!row->benchmark || !row->metric || !row->unit)
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

/* The primary metric of a benchmark: "latency" when it has one (every tool that times: pytest,
 * Criterion, Google Benchmark's real time, hyperfine, go's ns/op, qbdb_runner), else its first. */
static const char *primary_metric(const qb_bench *b) {
  for (size_t j = 0; j < b->n_results; j++)
    if (!strcmp(b->results[j].metric, "latency")) return "latency";
  return b->n_results ? b->results[0].metric : "";
}

/* History points of (bench, metric) inside the sorted array h[0..n): *first and *count. */
static void history_range(const qb_history_point *h, size_t n, const char *bench,
                          const char *metric, size_t *first, size_t *count) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(h[mid].bench, bench);
    if (!c) c = strcmp(h[mid].metric, metric);
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < n && !strcmp(h[end].bench, bench) && !strcmp(h[end].metric, metric)) end++;
  *first = lo;
  *count = end - lo;
}

/* The work of one row that can run on any thread: both sides, the test, the change. */
typedef struct row_job {
  qb_compare_row *row;
  const qb_result *bres, *hres;    /* NULL for an added / removed row */
  const double *bsorted, *hsorted; /* their samples sorted, when the run cache has them */
  int bmine, hmine;      /* the result belongs to a run this compare loaded for itself (not shared):
                            its samples may be sorted where they are, without a copy */
  int later_shift;       /* the shift is left for after the verdicts (shifts_changed_only) */
  const double *bs, *hs; /* the sorted samples the tests used (kept for a later shift) */
  double *bown, *hown;   /* the copies among them the job owns (freed with the compare) */
  const qb_result *pool[QB_BASE_RUNS_MAX]; /* the baseline's results to pool (pool[0] = bres) */
  size_t n_pool;
  qb_result pooled; /* their union, when n_pool > 1 (samples owned by the job) */
  qb_compare_settings st;
  qb_noise noise; /* the row's run-to-run noise, then moderated within its family */
  int rc;
  qb_err err;
} row_job;

/* Pool the results of job->pool into job->pooled (benchstat pools the files of one side):
 * samples concatenated and described again; without samples, n summed, the mean and median
 * the mean and median of the runs' centres, the stddev of everything. */
static int pool_results(row_job *job, qb_err *err) {
  qb_result *p = &job->pooled;
  size_t total = 0, with = 0;
  *p = *job->pool[0];
  p->samples = NULL;
  p->iters = NULL;
  p->n_samples = 0;
  for (size_t i = 0; i < job->n_pool; i++) {
    total += job->pool[i]->n_samples;
    with += job->pool[i]->n_samples > 0;
  }
  if (with == job->n_pool && total) {
    if (!(p->samples = malloc(total * sizeof *p->samples)))
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    for (size_t i = 0; i < job->n_pool; i++) {
      memcpy(p->samples + p->n_samples, job->pool[i]->samples,
             job->pool[i]->n_samples * sizeof *p->samples);
      p->n_samples += job->pool[i]->n_samples;
    }
    qb_summary sum;
    int rc = qb_describe(p->samples, p->n_samples, &sum, err);
    if (rc) return rc;
    p->stats.n = (int64_t)p->n_samples;
    p->stats.mean = sum.mean;
    p->stats.median = sum.median;
    p->stats.stddev = sum.stddev;
    p->stats.estimate = p->stats.ci_lo = p->stats.ci_hi = NAN;
    return QB_OK;
  }
  /* summaries only: centres of the runs */
  double c[QB_BASE_RUNS_MAX], m = 0, v = 0;
  int64_t n = 0;
  size_t k = 0, kv = 0;
  for (size_t i = 0; i < job->n_pool; i++) {
    const qb_stats *x = &job->pool[i]->stats;
    double ci = !isnan(x->median) ? x->median : !isnan(x->mean) ? x->mean : x->estimate;
    if (!isnan(ci)) c[k++] = ci;
    if (!isnan(x->mean) && !isnan(x->stddev) && x->n >= 2) {
      m += x->mean;
      v += x->stddev * x->stddev;
      n += x->n;
      kv++;
    }
  }
  if (!k) return QB_OK; /* nothing to pool: keep the newest run's */
  qb_sort_doubles(c, k);
  double med = k % 2 ? c[k / 2] : (c[k / 2 - 1] + c[k / 2]) / 2;
  p->stats.median = !isnan(job->pool[0]->stats.median) ? med : NAN;
  p->stats.estimate = isnan(p->stats.median) && isnan(p->stats.mean) ? med : NAN;
  if (kv == job->n_pool) {
    double mean = m / (double)kv, between = 0;
    for (size_t i = 0; i < job->n_pool; i++) {
      double d = job->pool[i]->stats.mean - mean;
      between += d * d;
    }
    p->stats.mean = mean;
    p->stats.stddev = sqrt(v / (double)kv + between / (double)kv);
    p->stats.n = n;
  } else {
    p->stats.mean = NAN;
    p->stats.stddev = NAN;
    p->stats.n = -1;
  }
  p->stats.ci_lo = p->stats.ci_hi = NAN;
  return QB_OK;
}

static void do_job(row_job *job) {
  qb_compare_row *row = job->row;
  const double *bs = NULL, *hs = NULL;
  if (job->bres && job->n_pool > 1) {
    if ((job->rc = pool_results(job, &job->err))) goto done;
    job->bres = &job->pooled;
    job->bsorted = NULL;
    job->bmine = 1; /* the pooled copy is the job's own */
  }
  /* a result of a run loaded for this compare alone is sorted where it is: nothing else reads
   * its order (16 MB of copies fewer at 1000 x 1000) */
  if (job->bres && !job->bsorted && job->bmine && job->bres->n_samples) {
    qb_sort_doubles(job->bres->samples, job->bres->n_samples);
    job->bsorted = job->bres->samples;
  }
  if (job->hres && !job->hsorted && job->hmine && job->hres->n_samples) {
    qb_sort_doubles(job->hres->samples, job->hres->n_samples);
    job->hsorted = job->hres->samples;
  }
  if (job->bres &&
      (job->rc = fill_side(job->bres, job->bsorted, &row->base, &bs, &job->bown, &job->err)))
    goto done;
  if (job->hres &&
      (job->rc = fill_side(job->hres, job->hsorted, &row->head, &hs, &job->hown, &job->err)))
    goto done;
  job->bs = bs;
  job->hs = hs;
  row->base.runs = job->bres ? (int)(job->n_pool ? job->n_pool : 1) : 0;
  row->head.runs = job->hres ? 1 : 0;
  if (!job->bres || !job->hres) goto done;
  if ((job->rc = test_row(row, job->bres, job->hres, bs, hs, !job->later_shift, &job->err)))
    goto done;
  if (row->base.centre != 0 && isfinite(row->base.centre) && isfinite(row->head.centre))
    row->change_pct = (row->head.centre / row->base.centre - 1.0) * 100.0;
done:
  return;
}

typedef struct job_queue {
  row_job *jobs;
  size_t n;
  atomic_size_t next;
} job_queue;

static void *job_worker(void *arg) {
  job_queue *q = arg;
  size_t i;
  while ((i = atomic_fetch_add(&q->next, 1)) < q->n) do_job(&q->jobs[i]);
  return NULL;
}

/* Run every job, on up to one thread per CPU not kept busy by other handlers (core/par.h; at
 * most 8); the first failing job's error is returned. */
static int run_jobs(row_job *jobs, size_t n, qb_err *err) {
  job_queue q = {jobs, n, 0};
  size_t n_threads = qb_par_threads(8);
  if (n_threads > n / 16 + 1) n_threads = n / 16 + 1; /* small compares stay on this thread */
  pthread_t tids[8];
  size_t started = 0;
  for (; started + 1 < n_threads; started++)
    if (pthread_create(&tids[started], NULL, job_worker, &q) != 0) break;
  job_worker(&q);
  for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
  for (size_t i = 0; i < n; i++)
    if (jobs[i].rc) {
      if (err) *err = jobs[i].err;
      return jobs[i].rc;
    }
  return QB_OK;
}

/* The first target matching the row's benchmark, metric and unit, checked against the head's
 * centre (a row without a head value has none). */
static void apply_targets(qb_compare_row *row, const qb_target *t, size_t n) {
  if (!row->head.present || isnan(row->head.centre)) return;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(t[i].metric, row->metric) || strcmp(t[i].unit, row->unit) ||
        fnmatch(t[i].bench_glob, row->benchmark, 0) != 0)
      continue;
    double v = row->head.centre, lim = t[i].value;
    const char *op = t[i].op;
    int met = !strcmp(op, "<")    ? v < lim
              : !strcmp(op, "<=") ? v <= lim
              : !strcmp(op, ">")  ? v > lim
                                  : v >= lim;
    row->has_target = 1;
    snprintf(row->target_op, sizeof row->target_op, "%s", op);
    row->target_value = lim;
    row->target_met = met;
    if (!met) return; /* a broken one wins over any met one */
  }
}

void qb_compare_free(qb_compare *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n_rows; i++) {
    free(c->rows[i].benchmark);
    free(c->rows[i].metric);
    free(c->rows[i].unit);
  }
  free(c->rows);
  qb_run_info_dispose(&c->base);
  qb_run_info_dispose(&c->head);
  free(c);
}

/* The noise of one row from the baseline's history h[0..n) (newest first, the baseline run's own
 * point first, at most 256 points): the consecutive differences of log centres within the
 * segment since the series' last change point when it has at least need points, else within
 * every segment of h (never across a change point). *segment gets the current segment's run ids
 * (newest first) for pooling; row->history_runs and row->noise_segments say what was used. */
static void row_noise(qb_compare_row *row, const qb_history_point *h, size_t n, double need,
                      qb_noise *noise, int64_t *segment, size_t *n_segment) {
  double d[256];
  size_t in_cur = 0, nd = 0, segs = 0, runs = 0, seg_diffs = 0, seg_points = 0;
  int cur = 1;
  double prev = NAN; /* the newer neighbour's log centre, NAN across a change point */
  for (size_t i = 0; i < n && i < 256; i++) {
    double c = point_centre(&h[i]);
    if (c > 0 && isfinite(c)) {
      if (cur) segment[in_cur++] = h[i].run_id;
      seg_points++;
      if (!isnan(prev)) {
        d[nd++] = prev - log(c); /* newer minus older */
        seg_diffs++;
      }
      prev = log(c);
    }
    /* read even where the value is not usable: this point begins its segment, and nothing
     * older is compared with anything newer */
    if (h[i].change || i + 1 == n || i + 1 == 256) {
      if (seg_diffs) { /* a segment that gave differences: its points all count */
        segs++;
        runs += seg_points;
      }
      seg_diffs = seg_points = 0;
      cur = 0;
      prev = NAN;
    }
  }
  *n_segment = in_cur;
  noise->runs = 0;
  noise->sigma = noise->df = NAN;
  row->noise_segments = 0;
  row->history_runs = (int)in_cur;             /* what there was, when there is no estimate */
  if (in_cur >= 3 && (double)in_cur >= need) { /* the current segment alone */
    qb_noise_from_diffs(d, in_cur - 1, noise);
    row->noise_segments = 1;
  } else if (nd >= 2) { /* every segment's own differences */
    qb_noise_from_diffs(d, nd, noise);
    row->history_runs = (int)runs;
    row->noise_segments = (int)segs;
  }
}

/* Benjamini-Hochberg over the rows of one family (primary or not) for the p-values get(row),
 * written by put(row, adjusted). */
static int fdr_family(qb_compare *c, int primary, double *pv, size_t *idx, int noise, qb_err *err) {
  size_t m = 0;
  for (size_t i = 0; i < c->n_rows; i++) {
    qb_compare_row *r = &c->rows[i];
    if (r->primary != primary || r->verdict == QB_VERDICT_ADDED || r->verdict == QB_VERDICT_REMOVED)
      continue;
    double p = noise ? r->noise_p : r->p_value;
    idx[m] = i;
    pv[m++] = p;
  }
  int rc = qb_fdr_bh(pv, m, pv, err);
  if (rc) return rc;
  for (size_t j = 0; j < m; j++) {
    if (noise)
      c->rows[idx[j]].noise_p_adjusted = pv[j];
    else
      c->rows[idx[j]].p_adjusted = pv[j];
  }
  return QB_OK;
}

/* Pick the result of (bench, metric) in a run's sorted refs. */
static const qb_result *find_result(const result_ref *refs, size_t n, const qb_bench *bench,
                                    const char *metric) {
  qb_result probe_r;
  memset(&probe_r, 0, sizeof probe_r);
  probe_r.metric = (char *)metric;
  result_ref probe = {bench, &probe_r, 0};
  const result_ref *m = bsearch(&probe, refs, n, sizeof *refs, cmp_ref);
  return m ? m->res : NULL;
}

int qb_compare_runs(qb_store *s, const char *head_ref, const qb_compare_opts *opts,
                    qb_compare **out, qb_err *err) {
  qb_compare_opts none = QB_COMPARE_OPTS_INIT;
  const qb_compare_opts *o = opts ? opts : &none;
  qb_compare *c = calloc(1, sizeof *c);
  qb_run_ref base_rr = {NULL, NULL}, head_rr = {NULL, NULL}, pool_ref[QB_BASE_RUNS_MAX] = {{0}};
  const qb_run *base = NULL, *head = NULL, *pool[QB_BASE_RUNS_MAX] = {NULL};
  result_ref *br = NULL, *hr = NULL, *pr[QB_BASE_RUNS_MAX] = {NULL};
  size_t npr[QB_BASE_RUNS_MAX] = {0};
  qb_history_point *hist = NULL;
  qb_setting *settings = NULL;
  double *pv = NULL, *ratios = NULL;
  size_t *idx = NULL;
  row_job *jobs = NULL;
  qb_target *targets = NULL;
  size_t nb = 0, nh = 0, n_hist = 0, n_settings = 0, n_targets = 0;
  int64_t head_id;
  int rc;
  *out = NULL;
  if (!c) return qb_err_set(err, QB_ENOMEM, "out of memory");
  c->correction = "benjamini-hochberg";
  c->all_metrics = o->all_metrics;
  if ((rc = qb_store_resolve_run_on(s, o->project, o->machine, head_ref, &head_id, err)) ||
      (rc = qb_baseline_choose(s, head_id, &o->base, &c->baseline, err)))
    goto done;
  if (!c->baseline.n_runs) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no baseline for run %lld: %s", (long long)head_id,
                    c->baseline.reason);
    goto done;
  }
  int64_t base_id = c->baseline.runs[0];
  if ((rc = qb_run_cache_load(o->run_cache, s, base_id, &c->base, &base_rr, err)) ||
      (rc = qb_run_cache_load(o->run_cache, s, head_id, &c->head, &head_rr, err)))
    goto done;
  base = base_rr.run;
  head = head_rr.run;
  if (o->metric) {
    char names[256];
    const qb_run *miss = !run_has_metric(base, o->metric)   ? base
                         : !run_has_metric(head, o->metric) ? head
                                                            : NULL;
    if (miss) {
      metric_names(miss, names, sizeof names);
      rc = qb_err_set(err, QB_ENOTFOUND, "metric '%s' is not in run %lld (it has: %s)", o->metric,
                      (long long)(miss == base ? base_id : head_id), names);
      goto done;
    }
  }
  if ((rc = qb_store_settings(s, c->head.project, &settings, &n_settings, err)) ||
      (rc = qb_run_cache_history(o->run_cache, s, base_id, o->history > 0 ? o->history : 30, &hist,
                                 &n_hist, err)) ||
      (rc = collect(base, o, &br, &nb, err)) || (rc = collect(head, o, &hr, &nh, err)))
    goto done;
  qsort(br, nb, sizeof *br, cmp_ref);
  /* the other runs of a pooled baseline */
  for (size_t k = 1; k < c->baseline.n_runs; k++) {
    qb_run_info info;
    if ((rc = qb_run_cache_load(o->run_cache, s, c->baseline.runs[k], &info, &pool_ref[k], err)))
      goto done;
    pool[k] = pool_ref[k].run;
    qb_run_info_dispose(&info);
    if ((rc = collect(pool[k], o, &pr[k], &npr[k], err))) goto done;
    qsort(pr[k], npr[k], sizeof *pr[k], cmp_ref);
  }
  qb_compare_settings defaults;
  qb_compare_settings_for(settings, n_settings, c->head.project, NULL, &defaults);
  c->alpha = isnan(o->alpha) ? defaults.alpha : o->alpha;
  c->threshold = isnan(o->threshold) ? defaults.threshold : o->threshold;
  size_t cap = nb + nh + 1;
  if (!(c->rows = calloc(cap, sizeof *c->rows)) || !(pv = calloc(cap, sizeof *pv)) ||
      !(idx = calloc(cap, sizeof *idx)) || !(jobs = calloc(cap, sizeof *jobs))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  /* 1. the rows, in head order (matched and added), then removed; their settings, noise and
   * the baseline results to pool */
  for (size_t i = 0; i < nh + nb; i++) {
    const qb_bench *bench, *bbench = NULL;
    const qb_result *hres = NULL, *bres = NULL;
    if (i < nh) {
      bench = hr[i].bench;
      hres = hr[i].res;
      result_ref *m = bsearch(&hr[i], br, nb, sizeof *br, cmp_ref);
      if (m) {
        m->used = 1;
        bres = m->res;
        bbench = m->bench;
      }
    } else {
      if (br[i - nh].used) continue;
      bench = bbench = br[i - nh].bench;
      bres = br[i - nh].res;
    }
    row_job *job = &jobs[c->n_rows];
    qb_compare_row *row = &c->rows[c->n_rows++];
    memset(job, 0, sizeof *job);
    job->row = row;
    job->bres = bres;
    job->hres = hres;
    job->bsorted = bres ? qb_run_ref_sorted(&base_rr, bbench, bres) : NULL;
    job->hsorted = hres ? qb_run_ref_sorted(&head_rr, bench, hres) : NULL;
    job->later_shift = o->shifts_changed_only;
    job->bmine = !base_rr.entry;
    job->hmine = !head_rr.entry && head_rr.run != base_rr.run;
    if ((rc = row_strings(row, bench, hres ? hres : bres, err))) goto done;
    row->primary = !strcmp(row->metric, primary_metric(bench));
    qb_compare_settings_metric(settings, n_settings, c->head.project, bench->name, row->metric,
                               &job->st);
    row->alpha = isnan(o->alpha) ? job->st.alpha : o->alpha;
    row->threshold_pct = user_threshold(o, &job->st);
    row->min_change_pct = job->st.metric_min > 0 ? job->st.metric_min : 0;
    row->change_pct = row->p_value = row->p_adjusted = NAN;
    row->noise_pct = row->noise_sigma = row->noise_df = row->noise_p = NAN;
    row->noise_p_adjusted = NAN;
    row->shift = row->shift_lo = row->shift_hi = NAN;
    row->test = "none";
    if (!bres || !hres) {
      row->verdict = bres ? QB_VERDICT_REMOVED : QB_VERDICT_ADDED;
      continue;
    }
    size_t first, count, n_seg = 0;
    int64_t segment[256];
    qb_noise noise;
    history_range(hist, n_hist, row->benchmark, row->metric, &first, &count);
    /* no history: hist is NULL, and NULL + 0 is undefined */
    row_noise(row, hist ? hist + first : NULL, count, job->st.noise_runs, &noise, segment, &n_seg);
    job->pool[0] = bres;
    job->n_pool = 1;
    for (size_t k = 1; k < c->baseline.n_runs; k++) {
      int in_segment = 0; /* pool only runs since the series' last change point */
      for (size_t j = 0; j < n_seg && !in_segment; j++)
        in_segment = segment[j] == c->baseline.runs[k];
      const qb_result *x = in_segment ? find_result(pr[k], npr[k], bench, row->metric) : NULL;
      if (x) job->pool[job->n_pool++] = x;
    }
    job->noise = noise;
  }
  /* the noise the rows of one family share: each row borrows from the others as much as they
   * agree (analysis/noise.h, qb_noise_moderate); then a row's noise is known when its estimate
   * has at least the degrees of freedom of noise_runs runs of its own */
  for (int f = 0; f < 2; f++) {
    qb_noise *fam_noise = calloc(c->n_rows + 1, sizeof *fam_noise);
    size_t m = 0;
    if (!fam_noise) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    /* the prior is fitted with the degrees of freedom that match the spread of log sigma^2
     * (qb_noise_chisq_df); the t reference keeps its own (qb_noise_from_diffs) plus d0 */
    for (size_t i = 0; i < c->n_rows; i++)
      if (jobs[i].bres && jobs[i].hres && c->rows[i].primary == f) {
        fam_noise[m] = jobs[i].noise;
        if (!isnan(fam_noise[m].df)) fam_noise[m].df = qb_noise_chisq_df(&jobs[i].noise);
        m++;
      }
    qb_noise_moderate(fam_noise, m, &c->prior[f]);
    m = 0;
    for (size_t i = 0; i < c->n_rows; i++) {
      if (!jobs[i].bres || !jobs[i].hres || c->rows[i].primary != f) continue;
      qb_noise own = jobs[i].noise, mod = fam_noise[m++];
      if (!isnan(own.df) && own.sigma > 0 && c->prior[f].rows >= 3) {
        double d0 = mod.df - qb_noise_chisq_df(&own); /* what was borrowed */
        jobs[i].noise.sigma = mod.sigma;
        jobs[i].noise.df = own.df + (d0 > 0 ? d0 : 0);
        if (jobs[i].noise.df > 1e6) jobs[i].noise.df = 1e6;
      }
      qb_compare_row *row = &c->rows[i];
      double need_df = jobs[i].st.noise_runs - QB_NOISE_DF_OFFSET - 1e-9;
      row->noise_known = row->history_runs >= 3 && jobs[i].noise.df >= need_df;
      const qb_noise_prior *pr = &c->prior[f];
      if (!row->noise_known && pr->rows >= 3 && pr->d0 >= need_df) {
        /* too little history of its own, but the other benchmarks agree on their noise
         * (limma's rows without residual degrees of freedom: the prior alone) */
        jobs[i].noise.sigma = pr->s0;
        jobs[i].noise.df = pr->d0 > 1e6 ? 1e6 : pr->d0;
        row->noise_known = row->noise_borrowed = 1;
      }
      if (row->noise_known) {
        row->noise_sigma = jobs[i].noise.sigma * 100.0;
        row->noise_df = jobs[i].noise.df;
      }
    }
    free(fam_noise);
  }
  /* 2. the statistics of every row, spread over the machine's cores */
  if ((rc = run_jobs(jobs, c->n_rows, err))) goto done;
  /* 3. the change against the noise, and the size of each change */
  size_t fam[2] = {0, 0};
  for (size_t i = 0; i < c->n_rows; i++)
    if (jobs[i].bres && jobs[i].hres) fam[c->rows[i].primary]++;
  for (size_t i = 0; i < c->n_rows; i++) {
    qb_compare_row *row = &c->rows[i];
    if (!jobs[i].bres || !jobs[i].hres) continue;
    qb_noise noise = jobs[i].noise;
    double n_base = (double)row->base.runs;
    if (row->noise_known) {
      row->noise_p = qb_noise_p(row->base.centre, row->head.centre, n_base, &noise);
      row->noise_pct = qb_noise_band(0.05, n_base, &noise);
      double band = qb_noise_band(row->alpha / (double)fam[row->primary], n_base, &noise);
      if (!isnan(band) && band > row->threshold_pct) row->threshold_pct = band;
    } else if (jobs[i].st.metric_min <= 0 && jobs[i].st.noise_unknown > row->threshold_pct) {
      /* a metric with its own floor (a count that runs repeat) needs no history for it */
      row->threshold_pct = jobs[i].st.noise_unknown;
    }
    /* kept only if the steps below find the change real */
    row->severity = qb_severity_of(isnan(row->change_pct) ? 0 : row->change_pct, &jobs[i].st);
  }
  /* targets: a broken one makes the row a regression of at least major severity (below) */
  if ((rc = qb_store_targets(s, c->head.project, &targets, &n_targets, err))) goto done;
  for (size_t i = 0; i < c->n_rows; i++) apply_targets(&c->rows[i], targets, n_targets);
  /* Benjamini-Hochberg within each family (the primary metrics; the others), for the tests
   * within the runs and for the tests against the run-to-run noise */
  for (int f = 0; f < 2; f++)
    if ((rc = fdr_family(c, f, pv, idx, 0, err)) || (rc = fdr_family(c, f, pv, idx, 1, err)))
      goto done;
  if (!(ratios = calloc(c->n_rows + 1, sizeof *ratios))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  size_t n_ratios = 0;
  for (size_t i = 0; i < c->n_rows; i++) {
    qb_compare_row *row = &c->rows[i];
    int counts = row->primary || c->all_metrics;
    if (row->verdict == QB_VERDICT_ADDED) {
      c->added++;
      continue;
    }
    if (row->verdict == QB_VERDICT_REMOVED) {
      c->removed++;
      continue;
    }
    if (!c->geomean_metric && row->primary) c->geomean_metric = row->metric;
    if (c->geomean_metric && !strcmp(c->geomean_metric, row->metric) && row->base.centre > 0 &&
        row->head.centre > 0)
      ratios[n_ratios++] = row->head.centre / row->base.centre;
    if (!isnan(row->p_value)) c->n_tests++;
    row->significant = !isnan(row->p_adjusted) && row->p_adjusted <= row->alpha;
    row->beyond_noise = !isnan(row->noise_p_adjusted) && row->noise_p_adjusted <= row->alpha;
    /* sizes compare as ratios (|log(head / base)|), so that a drop and a rise of the same
     * ratio count alike: -6.9% is the same step as +7.4% */
    double size = isnan(row->change_pct) ? NAN : fabs(log1p(row->change_pct / 100.0));
    double user = user_threshold(o, &jobs[i].st);
    int real, big;
    if (row->noise_known) {
      /* beyond the series' own run-to-run noise (Benjamini-Hochberg across the compare), not
       * explained by the runs' own samples, and above the threshold; threshold_pct (the band
       * at alpha / rows) is what this takes when no other row changes, shown, not used */
      big = size > log1p(user / 100.0);
      real = row->beyond_noise && (row->significant || !strcmp(row->test, "none")) && big;
    } else {
      big = size >= log1p(row->threshold_pct / 100.0);
      real = row->significant && big;
    }
    int mixed = sources_differ(row->metric, jobs[i].bres, jobs[i].hres);
    if (mixed) real = 0; /* not a change of the code: of the counting */
    if (real) {
      int worse = row->higher_is_better ? row->change_pct < 0 : row->change_pct > 0;
      row->verdict = worse ? QB_VERDICT_REGRESSION : QB_VERDICT_IMPROVEMENT;
    } else {
      row->verdict = QB_VERDICT_UNCHANGED;
      row->severity = QB_SEV_NONE;
      if (mixed) {
        row->note = "counted by different tools (their extra.source differs): not comparable";
      } else if (row->note) {
      } else if (row->noise_known && row->significant && !row->beyond_noise) {
        row->note = "significant within the runs but inside the series' run-to-run noise";
      } else if (row->significant && !big && jobs[i].st.metric_min > 0) {
        row->note = "significant but below the metric's smallest change (min_change.METRIC)";
      } else if (row->significant && !big) {
        row->note = row->noise_known ? "significant but below the threshold"
                                     : "significant within the runs, but the run-to-run noise "
                                       "is unknown (too few baseline runs): only larger changes "
                                       "count";
      }
    }
    if (row->has_target && !row->target_met) {
      row->verdict = QB_VERDICT_REGRESSION;
      if (row->severity < QB_SEV_MAJOR) row->severity = QB_SEV_MAJOR;
      row->note = "breaks its target";
      counts = 1; /* a budget the user set counts whatever the metric */
    }
    if (!counts) {
      if (row->verdict == QB_VERDICT_REGRESSION) c->other_regressions++;
      if (row->verdict == QB_VERDICT_IMPROVEMENT) c->other_improvements++;
      continue;
    }
    if (!row->noise_known && jobs[i].st.metric_min <= 0) c->noise_unknown++;
    if (row->verdict == QB_VERDICT_REGRESSION) {
      c->regressions++;
      if (row->severity > c->worst_regression) c->worst_regression = row->severity;
    } else if (row->verdict == QB_VERDICT_IMPROVEMENT) {
      c->improvements++;
    } else {
      c->unchanged++;
    }
  }
  /* the shifts left for now: only the rows that changed show them */
  for (size_t i = 0; i < c->n_rows; i++) {
    qb_compare_row *row = &c->rows[i];
    row_job *job = &jobs[i];
    if (!job->later_shift || !job->bs || !job->hs || row->verdict == QB_VERDICT_UNCHANGED) continue;
    qb_shift sh;
    if ((rc = qb_hodges_lehmann_sorted(job->bs, job->bres->n_samples, job->hs, job->hres->n_samples,
                                       CONF, &sh, err)))
      goto done;
    row->shift = sh.estimate;
    row->shift_lo = sh.lo;
    row->shift_hi = sh.hi;
  }
  /* a wall-time regression whose cpu time did not move is the machine's doing more often than
   * the code's (another process on its cores): say so, the verdict stands */
  for (size_t i = 0; i < c->n_rows; i++) {
    qb_compare_row *r = &c->rows[i];
    if (r->verdict != QB_VERDICT_REGRESSION || strcmp(r->metric, "latency") != 0 ||
        (r->has_target && !r->target_met) || isnan(r->change_pct))
      continue;
    for (size_t j = 0; j < c->n_rows; j++) {
      const qb_compare_row *u = &c->rows[j];
      if (strcmp(u->benchmark, r->benchmark) != 0 || strcmp(u->metric, "cpu") != 0 ||
          !u->base.present || !u->head.present || isnan(u->change_pct))
        continue;
      if (u->verdict != QB_VERDICT_REGRESSION && fabs(u->change_pct) < fabs(r->change_pct) / 4)
        r->note = "wall time only: its cpu time did not change (was the machine busy?)";
    }
  }
  double g = qb_geomean(ratios, n_ratios);
  c->geomean_change_pct = isnan(g) ? NAN : (g - 1.0) * 100.0;
  *out = c;
  c = NULL;
done:
  qb_compare_free(c);
  qb_run_cache_release(o->run_cache, &base_rr);
  qb_run_cache_release(o->run_cache, &head_rr);
  for (size_t k = 0; k < QB_BASE_RUNS_MAX; k++) {
    qb_run_cache_release(o->run_cache, &pool_ref[k]);
    free(pr[k]);
  }
  for (size_t i = 0; jobs && i < (size_t)(nb + nh + 1); i++) {
    free(jobs[i].pooled.samples);
    free(jobs[i].bown);
    free(jobs[i].hown);
  }
  free(br);
  free(hr);
  free(pv);
  free(idx);
  free(ratios);
  free(jobs);
  qb_history_free(hist, n_hist);
  qb_settings_free(settings, n_settings);
  qb_targets_free(targets, n_targets);
  return rc;
}

int qb_compare_pair(qb_store *s, const char *base_ref, const char *head_ref,
                    const qb_compare_opts *opts, qb_compare **out, qb_err *err) {
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  if (opts) o = *opts;
  o.base.base_ref = base_ref;
  return qb_compare_runs(s, head_ref, &o, out, err);
}

/* ---- ordering ---------------------------------------------------------------------------- */

/* By benchmark name, then metric (so that every order below is total and reproducible). */
static int cmp_name(const void *a, const void *b) {
  const qb_compare_row *x = a, *y = b;
  int c = strcmp(x->benchmark, y->benchmark);
  return c ? c : strcmp(x->metric, y->metric);
}

/* Largest |change| first; rows without a change last. */
static int cmp_change(const void *a, const void *b) {
  const qb_compare_row *x = a, *y = b;
  double ax = isnan(x->change_pct) ? -1 : fabs(x->change_pct);
  double ay = isnan(y->change_pct) ? -1 : fabs(y->change_pct);
  int c = (ax < ay) - (ax > ay);
  return c ? c : cmp_name(a, b);
}

/* Regressions first, then improvements, then the rest; worst severity, then largest change. */
static int cmp_severity(const void *a, const void *b) {
  const qb_compare_row *x = a, *y = b;
  static const int rank[] = {[QB_VERDICT_REGRESSION] = 0,
                             [QB_VERDICT_IMPROVEMENT] = 1,
                             [QB_VERDICT_REMOVED] = 2,
                             [QB_VERDICT_ADDED] = 3,
                             [QB_VERDICT_UNCHANGED] = 4};
  if (rank[x->verdict] != rank[y->verdict]) return rank[x->verdict] - rank[y->verdict];
  if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
  return cmp_change(a, b);
}

int qb_compare_sort(qb_compare *c, const char *key, qb_err *err) {
  if (!strcmp(key, "name")) {
    qsort(c->rows, c->n_rows, sizeof *c->rows, cmp_name);
    return QB_OK;
  }
  if (!strcmp(key, "change")) {
    qsort(c->rows, c->n_rows, sizeof *c->rows, cmp_change);
    return QB_OK;
  }
  if (!strcmp(key, "severity")) {
    qsort(c->rows, c->n_rows, sizeof *c->rows, cmp_severity);
    return QB_OK;
  }
  return qb_err_set(err, QB_EUSAGE, "--sort '%s': expected name, change or severity", key);
}

/* service/bisect.c - the search of `qbdb bisect` (service/bisect.h; the statistics are in
 * docs/statistics.md, "Bisection").
 *
 * Values are compared as logarithms, so a change is a ratio and the noise a relative spread, the
 * same at every level. The search:
 *   1. calibrates: values of the good and the bad commit, alternately, until the means of both
 *      are known to an eighth of their difference (at least opts.calibrate, at most
 *      opts.max_calibrate each), and checks that they differ (Welch, at the decisions' error
 *      rate alpha) - the way a regression record says when it names one;
 *   2. bisects: the middle commit of the range is tested by Wald's SPRT of "the good commit's
 *      mean" against "the bad commit's mean", one more run at a time, until the ratio crosses
 *      a bound for alpha (or opts.max_runs values: undecided, skipped like a commit that
 *      cannot be built);
 *   3. checks the pair it ends with (before, after): a paired SPRT of "no step" against "a step
 *      of half the whole change" between the two, and an SPRT of each against its end of the
 *      range ("the same level" against "half the change away"). A pair that is no step is not
 *      reported; an end the pair's side differs from holds another step, searched the same way.
 * So a regression made of two steps is reported as two, and a middle commit whose level is
 * between the ends cannot make the search report a false step: its verdict only decides which
 * of the steps the search goes to first. Each decision has error rate alpha = error / (ceil(log2
 * (commits - 1)) + 3), the decisions of one search (Bonferroni).
 *
 * The search asks for values through more(), which replays the stored observations of the
 * commit before it measures: the search is the same function of the same values after a
 * resume. */
#include "service/bisect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/sprt.h"
#include "analysis/ttest.h"

const char *qb_bisect_verdict_name(qb_bisect_verdict v) {
  switch (v) {
    case QB_BISECT_LIKE_GOOD:
      return "like good";
    case QB_BISECT_LIKE_BAD:
      return "like bad";
    case QB_BISECT_UNDECIDED:
      return "undecided";
    default:
      return "skipped";
  }
}

static const char *outcome_name(qb_bisect_outcome o) {
  return o == QB_BISECT_FOUND            ? "found"
         : o == QB_BISECT_NOT_REPRODUCED ? "not reproduced"
                                         : "no step";
}

/* ---- the session ---------------------------------------------------------------------------- */

static char *dup_or_empty(const char *s) {
  return strdup(s ? s : "");
}

int qb_bisect_init(qb_bisect *b, const qb_bisect_opts *o, char *const *commits,
                   char *const *subjects, const int64_t *times, size_t n, qb_err *err) {
  memset(b, 0, sizeof *b);
  b->opts = *o;
  if (n < 2) return qb_err_set(err, QB_EUSAGE, "bisect: need a good and a bad commit");
  b->commits = calloc(n, sizeof *b->commits);
  b->subjects = calloc(n, sizeof *b->subjects);
  b->times = calloc(n, sizeof *b->times);
  if (!b->commits || !b->subjects || !b->times) goto oom;
  b->n_commits = n;
  for (size_t i = 0; i < n; i++) {
    b->commits[i] = strdup(commits[i]);
    b->subjects[i] = dup_or_empty(subjects ? subjects[i] : NULL);
    b->times[i] = times ? times[i] : 0;
    if (!b->commits[i] || !b->subjects[i]) goto oom;
  }
  return QB_OK;
oom:
  qb_bisect_dispose(b);
  return qb_err_set(err, QB_ENOMEM, "out of memory");
}

void qb_bisect_dispose(qb_bisect *b) {
  for (size_t i = 0; i < b->n_commits; i++) {
    if (b->commits) free(b->commits[i]);
    if (b->subjects) free(b->subjects[i]);
  }
  free(b->commits);
  free(b->subjects);
  free(b->times);
  for (size_t i = 0; i < b->n_obs; i++) free(b->obs[i].why);
  free(b->obs);
  free(b->tests);
  free(b->steps);
  memset(b, 0, sizeof *b);
}

static int obs_push(qb_bisect *b, const qb_bisect_obs *o, qb_err *err) {
  if (b->n_obs == b->cap_obs) {
    size_t cap = b->cap_obs ? 2 * b->cap_obs : 64;
    qb_bisect_obs *p = realloc(b->obs, cap * sizeof *p);
    if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
    b->obs = p;
    b->cap_obs = cap;
  }
  b->obs[b->n_obs] = *o;
  if (o->why && !(b->obs[b->n_obs].why = strdup(o->why)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  b->n_obs++;
  return QB_OK;
}

size_t qb_bisect_values(const qb_bisect *b, double *seconds) {
  size_t n = 0;
  double secs = 0;
  for (size_t i = 0; i < b->n_obs; i++) {
    n += b->obs[i].ok != 0;
    secs += b->obs[i].secs;
  }
  if (seconds) *seconds = secs;
  return n;
}

/* ---- state ---------------------------------------------------------------------------------- */

static json_t *num_or_null(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

static json_t *result_json(const qb_bisect *b) {
  json_t *tests = json_array(), *steps = json_array();
  for (size_t i = 0; i < b->n_tests; i++) {
    const qb_bisect_test *t = &b->tests[i];
    json_array_append_new(tests, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}",
                                           "commit", b->commits[t->commit], "good",
                                           b->commits[t->good], "bad", b->commits[t->bad],
                                           "verdict", qb_bisect_verdict_name(t->verdict), "runs",
                                           (json_int_t)t->runs, "centre", num_or_null(t->centre),
                                           "p_good", num_or_null(t->p_good), "p_bad",
                                           num_or_null(t->p_bad), "llr", num_or_null(t->llr)));
  }
  for (size_t i = 0; i < b->n_steps; i++) {
    const qb_bisect_step *s = &b->steps[i];
    json_array_append_new(
        steps, json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:b}", "before",
                         b->commits[s->before], "after", b->commits[s->after], "subject",
                         b->subjects[s->after], "commits", (json_int_t)(s->after - s->before),
                         "level_before", num_or_null(s->level_before), "level_after",
                         num_or_null(s->level_after), "change_pct", num_or_null(s->change_pct), "p",
                         num_or_null(s->p), "llr", num_or_null(s->llr), "pairs",
                         (json_int_t)s->runs, "confirmed", s->confirmed));
  }
  double secs = 0;
  size_t values = qb_bisect_values(b, &secs);
  return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:f, s:o, s:o}",
                   "outcome", outcome_name(b->outcome), "good_level", num_or_null(b->good_level),
                   "bad_level", num_or_null(b->bad_level), "change_pct", num_or_null(b->change_pct),
                   "p", num_or_null(b->p_change), "sd", num_or_null(b->sd), "alpha",
                   num_or_null(b->alpha), "fixed_runs", (json_int_t)b->fixed_runs, "fixed_end_runs",
                   (json_int_t)b->fixed_end_runs, "runs", (json_int_t)values, "invocations",
                   (json_int_t)b->n_obs, "seconds", secs, "tests", tests, "steps", steps);
}

json_t *qb_bisect_state_json(const qb_bisect *b, json_t *extra) {
  json_t *commits = json_array(), *obs = json_array();
  for (size_t i = 0; i < b->n_commits; i++)
    json_array_append_new(commits, json_pack("{s:s, s:s, s:I}", "id", b->commits[i], "subject",
                                             b->subjects[i], "time", (json_int_t)b->times[i]));
  for (size_t i = 0; i < b->n_obs; i++) {
    const qb_bisect_obs *o = &b->obs[i];
    json_t *j = json_pack("{s:I, s:b, s:o, s:I, s:i, s:f}", "commit", (json_int_t)o->commit, "ok",
                          o->ok, "value", num_or_null(o->ok ? o->value : NAN), "run",
                          (json_int_t)o->run_id, "status", o->status, "secs", o->secs);
    if (j && o->why) json_object_set_new(j, "why", json_string(o->why));
    json_array_append_new(obs, j);
  }
  const qb_bisect_opts *op = &b->opts;
  json_t *st =
      json_pack("{s:i, s:{s:f, s:I, s:I, s:I, s:I, s:b, s:i}, s:o, s:o}", "format", 1, "options",
                "error", op->error, "calibrate", (json_int_t)op->calibrate, "max_calibrate",
                (json_int_t)op->max_calibrate, "max_runs", (json_int_t)op->max_runs, "retries",
                (json_int_t)op->retries, "fixed", op->fixed, "worse_is_higher", op->worse_is_higher,
                "commits", commits, "observations", obs);
  if (st && b->finished) json_object_set_new(st, "result", result_json(b));
  if (st && extra) json_object_set(st, "command", extra);
  return st;
}

/* json integer or real as a double (NAN for null or anything else). */
static double jnum(const json_t *v) {
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The index of commit id in b's commits, or b->n_commits when it is not one of them. */
static size_t commit_index(const qb_bisect *b, const char *id) {
  size_t k = 0;
  while (k < b->n_commits && (!id || strcmp(b->commits[k], id) != 0)) k++;
  return k;
}

/* The stored result (result_json's) back into b: the outcome, levels, tests and steps. */
static int result_from_json(qb_bisect *b, const json_t *res, qb_err *err) {
  const char *outcome = json_string_value(json_object_get(res, "outcome"));
  if (!outcome) return qb_err_set(err, QB_EFORMAT, "bisect state: result.outcome: missing");
  b->outcome = !strcmp(outcome, "found")     ? QB_BISECT_FOUND
               : !strcmp(outcome, "no step") ? QB_BISECT_NO_STEP
                                             : QB_BISECT_NOT_REPRODUCED;
  b->good_level = jnum(json_object_get(res, "good_level"));
  b->bad_level = jnum(json_object_get(res, "bad_level"));
  b->change_pct = jnum(json_object_get(res, "change_pct"));
  b->p_change = jnum(json_object_get(res, "p"));
  b->sd = jnum(json_object_get(res, "sd"));
  b->alpha = jnum(json_object_get(res, "alpha"));
  b->fixed_runs = (size_t)json_integer_value(json_object_get(res, "fixed_runs"));
  b->fixed_end_runs = (size_t)json_integer_value(json_object_get(res, "fixed_end_runs"));
  const json_t *ts = json_object_get(res, "tests"), *ss = json_object_get(res, "steps");
  size_t nt = json_array_size(ts), ns = json_array_size(ss);
  b->tests = calloc(nt ? nt : 1, sizeof *b->tests);
  b->steps = calloc(ns ? ns : 1, sizeof *b->steps);
  if (!b->tests || !b->steps) return qb_err_set(err, QB_ENOMEM, "out of memory");
  b->cap_tests = nt ? nt : 1;
  b->cap_steps = ns ? ns : 1;
  for (size_t i = 0; i < nt; i++) {
    const json_t *j = json_array_get(ts, i);
    qb_bisect_test *t = &b->tests[i];
    t->commit = commit_index(b, json_string_value(json_object_get(j, "commit")));
    t->good = commit_index(b, json_string_value(json_object_get(j, "good")));
    t->bad = commit_index(b, json_string_value(json_object_get(j, "bad")));
    if (t->commit == b->n_commits || t->good == b->n_commits || t->bad == b->n_commits)
      return qb_err_set(err, QB_EFORMAT,
                        "bisect state: result.tests[%zu]: not a commit of the range", i);
    const char *v = json_string_value(json_object_get(j, "verdict"));
    t->verdict = !v                        ? QB_BISECT_SKIPPED
                 : !strcmp(v, "like good") ? QB_BISECT_LIKE_GOOD
                 : !strcmp(v, "like bad")  ? QB_BISECT_LIKE_BAD
                 : !strcmp(v, "undecided") ? QB_BISECT_UNDECIDED
                                           : QB_BISECT_SKIPPED;
    t->runs = (size_t)json_integer_value(json_object_get(j, "runs"));
    t->centre = jnum(json_object_get(j, "centre"));
    t->p_good = jnum(json_object_get(j, "p_good"));
    t->p_bad = jnum(json_object_get(j, "p_bad"));
    t->llr = jnum(json_object_get(j, "llr"));
    b->n_tests++;
  }
  for (size_t i = 0; i < ns; i++) {
    const json_t *j = json_array_get(ss, i);
    qb_bisect_step *st = &b->steps[i];
    st->before = commit_index(b, json_string_value(json_object_get(j, "before")));
    st->after = commit_index(b, json_string_value(json_object_get(j, "after")));
    if (st->before == b->n_commits || st->after == b->n_commits)
      return qb_err_set(err, QB_EFORMAT,
                        "bisect state: result.steps[%zu]: not a commit of the range", i);
    st->level_before = jnum(json_object_get(j, "level_before"));
    st->level_after = jnum(json_object_get(j, "level_after"));
    st->change_pct = jnum(json_object_get(j, "change_pct"));
    st->p = jnum(json_object_get(j, "p"));
    st->llr = jnum(json_object_get(j, "llr"));
    st->runs = (size_t)json_integer_value(json_object_get(j, "pairs"));
    st->confirmed = json_is_true(json_object_get(j, "confirmed"));
    b->n_steps++;
  }
  b->finished = 1;
  return QB_OK;
}

int qb_bisect_from_state(qb_bisect *b, const json_t *state, qb_err *err) {
  memset(b, 0, sizeof *b);
  const json_t *op = json_object_get(state, "options"), *cs = json_object_get(state, "commits"),
               *os = json_object_get(state, "observations");
  if (!json_is_object(op) || !json_is_array(cs) || !json_is_array(os) ||
      json_integer_value(json_object_get(state, "format")) != 1)
    return qb_err_set(err, QB_EFORMAT, "bisect state: not a state of this version of qbdb");
  qb_bisect_opts o = QB_BISECT_OPTS_INIT;
  o.error = jnum(json_object_get(op, "error"));
  o.calibrate = (size_t)json_integer_value(json_object_get(op, "calibrate"));
  o.max_calibrate = (size_t)json_integer_value(json_object_get(op, "max_calibrate"));
  o.max_runs = (size_t)json_integer_value(json_object_get(op, "max_runs"));
  o.retries = (size_t)json_integer_value(json_object_get(op, "retries"));
  o.fixed = json_is_true(json_object_get(op, "fixed"));
  o.worse_is_higher = (int)json_integer_value(json_object_get(op, "worse_is_higher"));
  size_t n = json_array_size(cs);
  char **ids = calloc(n ? n : 1, sizeof *ids), **subj = calloc(n ? n : 1, sizeof *subj);
  int64_t *times = calloc(n ? n : 1, sizeof *times);
  int rc = QB_OK;
  if (!ids || !subj || !times) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    const json_t *c = json_array_get(cs, i);
    ids[i] = (char *)json_string_value(json_object_get(c, "id"));
    subj[i] = (char *)json_string_value(json_object_get(c, "subject"));
    times[i] = json_integer_value(json_object_get(c, "time"));
    if (!ids[i]) rc = qb_err_set(err, QB_EFORMAT, "bisect state: commits[%zu].id: missing", i);
  }
  if (!rc) rc = qb_bisect_init(b, &o, ids, subj, times, n, err);
  free(ids);
  free(subj);
  free(times);
  if (rc) return rc;
  for (size_t i = 0; !rc && i < json_array_size(os); i++) {
    const json_t *j = json_array_get(os, i);
    qb_bisect_obs ob = {0};
    json_int_t c = json_integer_value(json_object_get(j, "commit"));
    if (c < 0 || (size_t)c >= n) {
      rc = qb_err_set(err, QB_EFORMAT, "bisect state: observations[%zu].commit: out of range", i);
      break;
    }
    ob.commit = (size_t)c;
    ob.ok = json_is_true(json_object_get(j, "ok"));
    ob.value = jnum(json_object_get(j, "value"));
    ob.run_id = json_integer_value(json_object_get(j, "run"));
    ob.status = (int)json_integer_value(json_object_get(j, "status"));
    ob.secs = jnum(json_object_get(j, "secs"));
    ob.why = (char *)json_string_value(json_object_get(j, "why"));
    if (ob.ok && !(ob.value > 0)) {
      rc = qb_err_set(err, QB_EFORMAT, "bisect state: observations[%zu].value: not positive", i);
      break;
    }
    rc = obs_push(b, &ob, err);
  }
  const json_t *res = json_object_get(state, "result");
  if (!rc && res) rc = result_from_json(b, res, err);
  if (rc) qb_bisect_dispose(b);
  return rc;
}

/* ---- the search ----------------------------------------------------------------------------- */

typedef struct search {
  qb_bisect *b;
  qb_bisect_measure_fn measure;
  void *mctx;
  int (*save)(void *ctx, const qb_bisect *b, qb_err *err);
  void *sctx;
  const qb_bisect_events *ev;
  qb_err *err;
  size_t *used;  /* observations of each commit consumed (replayed or new) */
  size_t *fails; /* failed invocations in a row, per commit */
  int *skipped;  /* 1: the commit gives no value (exit 125, or failed retries + 1 times) */
  double **lv;   /* the log values consumed, per commit */
  size_t *n_lv, *cap_lv;
  double alpha;
  double total;    /* the whole change (log; bad - good), once calibrated */
  double pair_llr; /* the last paired test's log likelihood ratio, and its pairs */
  size_t pair_runs;
} search;

/* One more value of commit c: 1 when there is one, 0 when the commit gives none (skipped), an
 * error from measure or save. */
static int more(search *s, size_t c) {
  qb_bisect *b = s->b;
  while (!s->skipped[c]) {
    size_t seen = 0, at = b->n_obs;
    for (size_t i = 0; i < b->n_obs; i++)
      if (b->obs[i].commit == c && seen++ == s->used[c]) {
        at = i;
        break;
      }
    int replayed = at < b->n_obs;
    if (!replayed) {
      qb_bisect_obs o = {0};
      o.commit = c;
      int rc = s->measure(s->mctx, c, &o, s->err);
      if (rc) {
        free(o.why);
        return rc;
      }
      if (o.ok && !(o.value > 0 && isfinite(o.value))) {
        o.ok = 0;
        free(o.why);
        o.why = strdup("the value is not a positive number");
      }
      rc = obs_push(b, &o, s->err);
      free(o.why);
      if (rc || (s->save && (rc = s->save(s->sctx, b, s->err)))) return rc;
      at = b->n_obs - 1;
    }
    s->used[c]++;
    const qb_bisect_obs *o = &b->obs[at];
    if (s->ev && s->ev->observed) s->ev->observed(s->ev->ctx, o, replayed, b);
    if (o->ok) {
      s->fails[c] = 0;
      if (s->n_lv[c] == s->cap_lv[c]) {
        size_t cap = s->cap_lv[c] ? 2 * s->cap_lv[c] : 16;
        double *p = realloc(s->lv[c], cap * sizeof *p);
        if (!p) return qb_err_set(s->err, QB_ENOMEM, "out of memory");
        s->lv[c] = p;
        s->cap_lv[c] = cap;
      }
      s->lv[c][s->n_lv[c]++] = log(o->value);
      return 1;
    }
    if (o->status == 125 || ++s->fails[c] > b->opts.retries) s->skipped[c] = 1;
  }
  return 0;
}

static double mean_of(const double *x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m += (x[i] - m) / (double)(i + 1);
  return m;
}

static double sd_of(const double *x, size_t n) {
  if (n < 2) return NAN;
  double m = mean_of(x, n), ss = 0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
  return sqrt(ss / (double)(n - 1));
}

static double m_of(const search *s, size_t c) {
  return mean_of(s->lv[c], s->n_lv[c]);
}

/* The pooled standard deviation of the log values of every commit with two or more; *df (may
 * be NULL) its degrees of freedom. */
static double pooled_sd_df(const search *s, double *df_out) {
  double ss = 0, df = 0;
  for (size_t c = 0; c < s->b->n_commits; c++) {
    size_t n = s->n_lv[c];
    if (n < 2) continue;
    double m = m_of(s, c);
    for (size_t i = 0; i < n; i++) ss += (s->lv[c][i] - m) * (s->lv[c][i] - m);
    df += (double)(n - 1);
  }
  if (df_out) *df_out = df;
  double sd = df > 0 ? sqrt(ss / df) : NAN;
  /* identical values (a deterministic metric): a floor far below any change worth a search */
  return sd > 1e-9 ? sd : df > 0 ? 1e-9 : NAN;
}

static double pooled_sd(const search *s) {
  return pooled_sd_df(s, NULL);
}

/* The standard deviation the tests use: the pooled one's 80% upper confidence bound
 * (qb_sd_upper), so that an estimate from few runs that came out low does not make the tests
 * bolder than their error rate allows. */
static double test_sd(const search *s) {
  double df, sd = pooled_sd_df(s, &df);
  double up = qb_sd_upper(sd, df, 0.2);
  return isfinite(up) ? up : sd;
}

/* Welch's p of the log values of commits a and b (NAN with fewer than 2 of either). */
static double welch_p(const search *s, size_t a, size_t b) {
  if (s->n_lv[a] < 2 || s->n_lv[b] < 2) return NAN;
  qb_welch_result w;
  qb_err e = QB_ERR_INIT;
  if (qb_welch((double)s->n_lv[a], m_of(s, a), sd_of(s->lv[a], s->n_lv[a]), (double)s->n_lv[b],
               m_of(s, b), sd_of(s->lv[b], s->n_lv[b]), &w, &e))
    return NAN;
  return w.p;
}

/* Values of lo and hi, alternately, at least opts.calibrate and at most opts.max_calibrate of
 * each. The whole range (s->total 0): until both means are known to an eighth of their
 * difference. A part of it (after an SPRT said its end differs from its side): until Welch's test
 * says they differ at alpha, or both means are known to a sixteenth of the whole change (then
 * a difference of half of it would have been found: that SPRT erred). *differ: Welch says they
 * differ at alpha. 0, or 1 when one of them gives no value (*which: that one), or an error. */
static int calibrate(search *s, size_t lo, size_t hi, int *differ, size_t *which) {
  const qb_bisect_opts *o = &s->b->opts;
  int part = s->total != 0;
  *differ = 0;
  for (;;) {
    size_t nl = s->n_lv[lo], nh = s->n_lv[hi];
    if (nl >= o->calibrate && nh >= o->calibrate) {
      double sd = pooled_sd(s), p = welch_p(s, lo, hi);
      double d = part ? fabs(s->total) / 16 : fabs(m_of(s, hi) - m_of(s, lo)) / 8;
      if (part && p < s->alpha) break;
      if (sd / sqrt((double)nl) <= d && sd / sqrt((double)nh) <= d) break;
      if (nl >= o->max_calibrate && nh >= o->max_calibrate) break;
    }
    size_t c = nl <= nh ? lo : hi;
    int r = more(s, c);
    if (r < 0) return r;
    if (r == 0) {
      *which = c;
      return 1;
    }
  }
  *differ = welch_p(s, lo, hi) < s->alpha;
  return 0;
}

static int push_test(search *s, const qb_bisect_test *t) {
  qb_bisect *b = s->b;
  if (b->n_tests == b->cap_tests) {
    size_t cap = b->cap_tests ? 2 * b->cap_tests : 16;
    qb_bisect_test *p = realloc(b->tests, cap * sizeof *p);
    if (!p) return qb_err_set(s->err, QB_ENOMEM, "out of memory");
    b->tests = p;
    b->cap_tests = cap;
  }
  b->tests[b->n_tests++] = *t;
  if (s->ev && s->ev->tested) s->ev->tested(s->ev->ctx, t, b);
  return QB_OK;
}

/* Is commit c like good (the mean of a0) or like bad (of b0)? Sequential: Wald's SPRT, a run at
 * a time; fixed: the number of runs qb_fixed_n gives, then the nearer mean. */
static int decide(search *s, size_t c, size_t a0, size_t b0, qb_bisect_verdict *v) {
  const qb_bisect_opts *o = &s->b->opts;
  double mg = m_of(s, a0), mb = m_of(s, b0), llr = NAN;
  size_t need = o->fixed ? qb_fixed_n(fabs(mb - mg), test_sd(s), s->alpha) : 0;
  if (o->fixed && need > o->max_runs) need = o->max_runs;
  for (;;) {
    size_t n = s->n_lv[c];
    if (n && !o->fixed) {
      llr = qb_sprt_llr(s->lv[c], n, mg, mb, test_sd(s));
      qb_sprt_verdict sv = qb_sprt_verdict_of(llr, s->alpha, s->alpha);
      if (sv != QB_SPRT_MORE) {
        *v = sv == QB_SPRT_H0 ? QB_BISECT_LIKE_GOOD : QB_BISECT_LIKE_BAD;
        break;
      }
    }
    if (o->fixed && n >= need) {
      double m = m_of(s, c);
      *v = fabs(m - mg) <= fabs(m - mb) ? QB_BISECT_LIKE_GOOD : QB_BISECT_LIKE_BAD;
      break;
    }
    if (n >= o->max_runs) {
      *v = QB_BISECT_UNDECIDED;
      break;
    }
    int r = more(s, c);
    if (r < 0) return r;
    if (r == 0) {
      *v = QB_BISECT_SKIPPED;
      break;
    }
  }
  qb_bisect_test t = {c, a0, b0, *v, s->n_lv[c], NAN, NAN, NAN, llr};
  if (s->n_lv[c]) t.centre = exp(m_of(s, c));
  t.p_good = welch_p(s, c, a0);
  t.p_bad = welch_p(s, c, b0);
  return push_test(s, &t);
}

/* Does commit c differ from commit ref by about delta (log) rather than not at all? An SPRT of
 * mean(ref) against mean(ref) + delta at c; fixed: qb_fixed_n runs, then the nearer. *differs:
 * 1 when it does; an undecided test or a commit that gives no value more is taken as "no". */
static int side(search *s, size_t c, size_t ref, double delta, int *differs) {
  const qb_bisect_opts *o = &s->b->opts;
  double m0 = m_of(s, ref), m1 = m0 + delta;
  size_t need = o->fixed ? qb_fixed_n(fabs(delta), test_sd(s), s->alpha) : 0;
  if (o->fixed && need > o->max_runs) need = o->max_runs;
  *differs = 0;
  for (;;) {
    size_t n = s->n_lv[c];
    if (n && !o->fixed) {
      qb_sprt_verdict sv =
          qb_sprt_verdict_of(qb_sprt_llr(s->lv[c], n, m0, m1, test_sd(s)), s->alpha, s->alpha);
      if (sv != QB_SPRT_MORE) {
        *differs = sv == QB_SPRT_H1;
        return QB_OK;
      }
    }
    if (o->fixed && n >= need) {
      *differs = fabs(m_of(s, c) - m0) > fabs(delta) / 2;
      return QB_OK;
    }
    if (n >= o->max_runs) return QB_OK;
    int r = more(s, c);
    if (r <= 0) return r;
  }
}

/* Is there a step of about delta (log) from commit p to commit q rather than none? A paired
 * SPRT on the differences of their values in order (sd * sqrt(2) each); fixed: qb_fixed_n pairs,
 * then the nearer. *step 1: a step; *confirmed 0 when the budget ran out first (taken as one). */
static int pair_step(search *s, size_t p, size_t q, double delta, int *step, int *confirmed) {
  const qb_bisect_opts *o = &s->b->opts;
  double sd2 = NAN;
  size_t need = o->fixed ? qb_fixed_n(fabs(delta), test_sd(s) * sqrt(2), s->alpha) : 0;
  if (o->fixed && need > o->max_runs) need = o->max_runs;
  *step = 1;
  *confirmed = 0;
  s->pair_llr = NAN;
  s->pair_runs = 0;
  for (;;) {
    size_t k = s->n_lv[p] < s->n_lv[q] ? s->n_lv[p] : s->n_lv[q];
    if (k && !o->fixed) {
      double llr = 0;
      sd2 = test_sd(s) * sqrt(2);
      for (size_t i = 0; i < k; i++) {
        double x = s->lv[q][i] - s->lv[p][i];
        llr += qb_sprt_llr(&x, 1, 0, delta, sd2);
      }
      qb_sprt_verdict sv = qb_sprt_verdict_of(llr, s->alpha, s->alpha);
      s->pair_llr = llr;
      s->pair_runs = k;
      if (sv != QB_SPRT_MORE) {
        *step = sv == QB_SPRT_H1;
        *confirmed = 1;
        return QB_OK;
      }
    }
    if (o->fixed && k >= need) {
      s->pair_runs = k;
      *step = fabs(m_of(s, q) - m_of(s, p)) > fabs(delta) / 2;
      *confirmed = 1;
      return QB_OK;
    }
    if (k >= o->max_runs) return QB_OK;
    int r = s->n_lv[p] <= k ? more(s, p) : 1;
    if (r > 0 && s->n_lv[q] <= k) r = more(s, q);
    if (r <= 0) return r;
  }
}

static int push_step(search *s, size_t before, size_t after, int confirmed) {
  qb_bisect *b = s->b;
  if (b->n_steps == b->cap_steps) {
    size_t cap = b->cap_steps ? 2 * b->cap_steps : 4;
    qb_bisect_step *p = realloc(b->steps, cap * sizeof *p);
    if (!p) return qb_err_set(s->err, QB_ENOMEM, "out of memory");
    b->steps = p;
    b->cap_steps = cap;
  }
  qb_bisect_step st = {0};
  st.before = before;
  st.after = after;
  st.level_before = exp(m_of(s, before));
  st.level_after = exp(m_of(s, after));
  st.p = welch_p(s, before, after);
  st.llr = s->pair_llr;
  st.runs = s->pair_runs;
  st.confirmed = confirmed;
  st.change_pct = (st.level_after / st.level_before - 1) * 100;
  b->steps[b->n_steps++] = st;
  return QB_OK;
}

/* Search (lo, hi) for the steps between them; top: the whole range (it sets the change). */
static int find(search *s, size_t lo, size_t hi, int top) {
  qb_bisect *b = s->b;
  int differ = 0, rc;
  size_t bad_end = 0;
  if ((rc = calibrate(s, lo, hi, &differ, &bad_end)) < 0) return rc;
  if (rc == 1) {
    if (top)
      return qb_err_set(s->err, QB_EUSAGE, "bisect: the %s commit %.12s gives no value: %s",
                        bad_end == lo ? "good" : "bad", b->commits[bad_end],
                        "the command failed there (see its output above)");
    return QB_OK; /* an end that gave values before gives none now: leave this range */
  }
  double d = m_of(s, hi) - m_of(s, lo);
  if (top) {
    s->total = d;
    b->good_level = exp(m_of(s, lo));
    b->bad_level = exp(m_of(s, hi));
    b->change_pct = (b->bad_level / b->good_level - 1) * 100;
    b->p_change = welch_p(s, lo, hi);
    if (s->ev && s->ev->calibrated) s->ev->calibrated(s->ev->ctx, lo, hi, b);
    if (!differ || (b->opts.worse_is_higher > 0 && d < 0) ||
        (b->opts.worse_is_higher < 0 && d > 0)) {
      b->outcome = QB_BISECT_NOT_REPRODUCED;
      return QB_OK;
    }
  } else if (!differ || fabs(d) < fabs(s->total) / 4) {
    return QB_OK; /* no change here worth a quarter of the whole */
  }
  size_t a0 = lo, b0 = hi;
  int *undecided = calloc(b->n_commits, sizeof *undecided);
  if (!undecided) return qb_err_set(s->err, QB_ENOMEM, "out of memory");
  for (;;) {
    size_t n_cand = 0, pick = 0;
    for (size_t c = lo + 1; c < hi; c++) n_cand += !s->skipped[c] && !undecided[c];
    if (!n_cand) break;
    for (size_t c = lo + 1, k = 0; c < hi; c++)
      if (!s->skipped[c] && !undecided[c] && k++ == n_cand / 2) pick = c;
    qb_bisect_verdict v;
    if ((rc = decide(s, pick, a0, b0, &v))) break;
    if (v == QB_BISECT_LIKE_GOOD)
      lo = pick;
    else if (v == QB_BISECT_LIKE_BAD)
      hi = pick;
    else
      undecided[pick] = 1;
  }
  free(undecided);
  if (rc) return rc;
  /* the pair: a step, and what its sides hold */
  double half = (d >= 0 ? 1 : -1) * fabs(s->total) / 2;
  int step = 0, confirmed = 0, rl = 0, rh = 0;
  if ((rc = pair_step(s, lo, hi, half, &step, &confirmed))) return rc;
  if (hi != b0 && (rc = side(s, hi, b0, -half, &rh))) return rc;
  if (lo != a0 && (rc = side(s, lo, a0, half, &rl))) return rc;
  /* a pair whose test ran out of runs is reported on the whole range only (something changed
   * there: the calibration said so); in a part searched after a side test it is noise */
  if (step && (confirmed || top) && (rc = push_step(s, lo, hi, confirmed))) return rc;
  if (rl && (rc = find(s, a0, lo, 0))) return rc;
  if (rh && (rc = find(s, hi, b0, 0))) return rc;
  return QB_OK;
}

static int step_cmp(const void *a, const void *b) {
  const qb_bisect_step *x = a, *y = b;
  return x->before < y->before ? -1 : x->before > y->before;
}

int qb_bisect_run(qb_bisect *b, qb_bisect_measure_fn measure, void *measure_ctx,
                  int (*save)(void *ctx, const qb_bisect *b, qb_err *err), void *save_ctx,
                  const qb_bisect_events *ev, qb_err *err) {
  size_t n = b->n_commits;
  search s;
  memset(&s, 0, sizeof s);
  s.b = b;
  s.measure = measure;
  s.mctx = measure_ctx;
  s.save = save;
  s.sctx = save_ctx;
  s.ev = ev;
  s.err = err;
  b->n_tests = b->n_steps = 0;
  b->finished = 0;
  if (!(b->opts.error > 0 && b->opts.error < 0.5))
    return qb_err_set(err, QB_EUSAGE, "bisect: the error rate must be in (0, 0.5)");
  s.used = calloc(n, sizeof *s.used);
  s.fails = calloc(n, sizeof *s.fails);
  s.skipped = calloc(n, sizeof *s.skipped);
  s.lv = calloc(n, sizeof *s.lv);
  s.n_lv = calloc(n, sizeof *s.n_lv);
  s.cap_lv = calloc(n, sizeof *s.cap_lv);
  int rc = QB_OK;
  if (!s.used || !s.fails || !s.skipped || !s.lv || !s.n_lv || !s.cap_lv) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  /* the decisions of one search: about log2 of the commits between, and three at its end */
  double between = n > 2 ? (double)(n - 1) : 2;
  s.alpha = b->opts.error / (ceil(log2(between)) + 3);
  b->alpha = s.alpha;
  b->outcome = QB_BISECT_NO_STEP;
  if ((rc = find(&s, 0, n - 1, 1))) goto done;
  if (b->outcome != QB_BISECT_NOT_REPRODUCED)
    b->outcome = b->n_steps ? QB_BISECT_FOUND : QB_BISECT_NO_STEP;
  if (b->n_steps) qsort(b->steps, b->n_steps, sizeof *b->steps, step_cmp);
  b->sd = pooled_sd(&s);
  if (b->outcome != QB_BISECT_NOT_REPRODUCED) {
    b->fixed_runs = qb_fixed_n(fabs(s.total), test_sd(&s), s.alpha);
    b->fixed_end_runs = qb_fixed_n(fabs(s.total) / 2, test_sd(&s) * sqrt(2), s.alpha);
  }
  b->finished = 1;
  if (save) rc = save(save_ctx, b, err);
done:
  for (size_t i = 0; s.lv && i < n; i++) free(s.lv[i]);
  free(s.used);
  free(s.fails);
  free(s.skipped);
  free(s.lv);
  free(s.n_lv);
  free(s.cap_lv);
  return rc;
}

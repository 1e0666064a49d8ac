/* view/dashboard.c - the JSON of a dashboard (view/dashboard.h). */
#include "view/dashboard.h"

#include <math.h>
#include <string.h>

#include "adapters/json_out.h"
#include "core/time.h"
#include "view/json.h"

/* Key k with a string value (NULL: null). */
static void w_str(qb_jw *w, const char *k, const char *v) {
  qb_jw_key(w, k);
  qb_jw_str(w, v);
}

/* Key k with a time (ISO 8601; QB_TIME_NONE: null). */
static void w_time(qb_jw *w, const char *k, int64_t us) {
  char buf[40];
  qb_jw_key(w, k);
  qb_jw_str(w, us == QB_TIME_NONE ? NULL : qb_time_format(us, buf, sizeof buf));
}

/* Key k with a view's tree v (taken: decref'd here), or null when not present; a tree that is
 * NULL although present (out of memory) fails the writer. */
static void w_tree(qb_jw *w, const char *k, int present, json_t *v) {
  qb_jw_key(w, k);
  if (v)
    qb_jw_json(w, v);
  else if (present)
    w->failed = 1;
  else
    qb_jw_null(w);
  json_decref(v);
}

/* A span of text as a string: copied into buf (n bytes) to end it; longer spans are cut (names
 * hold at most 1,024 bytes: docs/api/README.md). */
static const char *span(const char *p, size_t len, char *buf, size_t n) {
  if (len >= n) len = n - 1;
  memcpy(buf, p, len);
  buf[len] = '\0';
  return buf;
}

static void w_series(qb_jw *w, const qb_dashboard_series *x) {
  char key[1100], val[1100];
  const qb_bench_split *sp = &x->split;
  qb_jw_obj(w);
  w_str(w, "benchmark", x->info.bench);
  w_str(w, "family", span(x->info.bench, sp->family_len, val, sizeof val));
  qb_jw_key(w, "params");
  qb_jw_obj(w);
  for (size_t i = 0; i < sp->n_params; i++) {
    size_t k = i + 1; /* a key named twice: the last one, as in a tree */
    while (k < sp->n_params &&
           (sp->params[k].key_len != sp->params[i].key_len ||
            memcmp(sp->params[k].key, sp->params[i].key, sp->params[i].key_len)))
      k++;
    if (k < sp->n_params) continue;
    qb_jw_key(w, span(sp->params[i].key, sp->params[i].key_len, key, sizeof key));
    qb_jw_str(w, span(sp->params[i].value, sp->params[i].value_len, val, sizeof val));
  }
  qb_jw_end(w);
  w_str(w, "metric", x->info.metric);
  w_str(w, "unit", x->info.unit);
  w_str(w, "direction", x->info.higher_is_better ? "higher" : "lower");
  w_str(w, "machine", x->info.machine);
  qb_jw_key(w, "n");
  qb_jw_int(w, (long long)x->n_total);
  qb_jw_key(w, "points");
  qb_jw_arr(w);
  for (size_t i = 0; i < x->n_points; i++) {
    qb_jw_arr(w);
    qb_jw_int(w, x->run_ids[i]);
    qb_jw_real(w, x->values[i]);
    qb_jw_end(w);
  }
  qb_jw_end(w);
  w_time(w, "first_time", x->first_time);
  w_time(w, "last_time", x->last_time);
  qb_jw_key(w, "change_points");
  qb_jw_arr(w);
  for (size_t i = 0; i < x->n_changes; i++) qb_jw_int(w, x->changes[i]);
  qb_jw_end(w);
  qb_jw_key(w, "last_change_pct");
  qb_jw_real(w, x->last_change_pct);
  w_str(w, "open_regression",
        x->open_severity == QB_SEV_NONE ? NULL : qb_severity_name(x->open_severity));
  qb_jw_end(w);
}

static void w_dashboard(qb_jw *w, const qb_dashboard *d) {
  qb_jw_obj(w);
  w_str(w, "project", d->project);
  w_str(w, "branch", d->branch);
  w_str(w, "repo_url", d->repo_url);
  qb_jw_key(w, "n_runs");
  qb_jw_int(w, d->n_runs);
  w_tree(w, "latest_run", d->n_runs_listed > 0,
         d->n_runs_listed ? qb_view_run_info(&d->runs[0]) : NULL);
  w_tree(w, "grade", d->grade != NULL, d->grade ? qb_view_grade(d->grade) : NULL);
  qb_jw_key(w, "grades");
  qb_jw_arr(w);
  for (size_t i = 0; i < d->n_grades; i++) {
    const qb_dashboard_grade *g = &d->grades[i];
    qb_jw_obj(w);
    qb_jw_key(w, "run_id");
    qb_jw_int(w, g->run_id);
    w_str(w, "commit", g->commit);
    w_time(w, "time", g->time);
    w_str(w, "grade", g->letter);
    qb_jw_key(w, "score");
    qb_jw_real(w, g->score);
    qb_jw_end(w);
  }
  qb_jw_end(w);
  qb_jw_key(w, "regressions");
  qb_jw_obj(w);
  qb_jw_key(w, "open");
  qb_jw_obj(w);
  for (int s = QB_SEV_CRITICAL; s >= QB_SEV_MINOR; s--) {
    qb_jw_key(w, qb_severity_name((qb_severity)s));
    qb_jw_int(w, (long long)d->open[s]);
  }
  qb_jw_end(w);
  w_tree(w, "newest", 1,
         qb_view_regressions_with_bisects(d->newest, d->n_newest, &d->newest_bisects));
  qb_jw_end(w);
  qb_jw_key(w, "runs");
  qb_jw_arr(w);
  for (size_t i = 0; i < d->n_runs_listed; i++) {
    json_t *r = qb_view_run_info(&d->runs[i]);
    if (r)
      qb_jw_json(w, r);
    else
      w->failed = 1;
    json_decref(r);
  }
  qb_jw_end(w);
  qb_jw_key(w, "series");
  qb_jw_arr(w);
  for (size_t i = 0; i < d->n_series; i++) w_series(w, &d->series[i]);
  qb_jw_end(w);
  qb_jw_end(w);
}

char *qb_view_dashboard_text(const qb_dashboard *d, size_t flags) {
  qb_jw w;
  qb_jw_init(&w, flags);
  w_dashboard(&w, d);
  return qb_jw_text(&w);
}

json_t *qb_view_dashboard(const qb_dashboard *d) {
  qb_jw w;
  qb_jw_init_tree(&w);
  w_dashboard(&w, d);
  return qb_jw_take_tree(&w);
}

/* service/configs.c - configurations compared by a run tag. */
#include "service/history.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "analysis/describe.h"
#include "service/history_internal.h"

/* ---- configurations ------------------------------------------------------------------------- */

void qb_config_rows_free(qb_config_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(rows[i].bench);
    free(rows[i].metric);
    free(rows[i].unit);
    free(rows[i].best);
    free(rows[i].worst);
  }
  free(rows);
}

/* One observation: a benchmark's metric centre in a run with a given tag value. */
typedef struct tag_obs {
  const char *bench, *metric, *unit, *value;
  int higher_is_better;
  double centre;
} tag_obs;

static int cmp_obs(const void *a, const void *b) {
  const tag_obs *x = a, *y = b;
  int c = strcmp(x->bench, y->bench);
  if (!c) c = strcmp(x->metric, y->metric);
  if (!c) c = strcmp(x->value, y->value);
  return c;
}

int qb_configs_by_tag(qb_store *s, const char *project, const char *tag, qb_config_row **out,
                      size_t *n_out, qb_err *err) {
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_run_info *runs = NULL;
  qb_run **loaded = NULL;
  tag_obs *obs = NULL;
  qb_config_row *rows = NULL;
  double *vals = NULL;
  size_t n_runs = 0, n_loaded = 0, n_obs = 0, cap = 0, n_rows = 0;
  *out = NULL;
  *n_out = 0;
  f.project = project;
  int rc = qb_store_list_runs(s, &f, &runs, &n_runs, err);
  if (rc) return rc;
  if (!(loaded = calloc(n_runs + 1, sizeof *loaded))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t r = 0; r < n_runs; r++) {
    const char *value = NULL;
    for (size_t t = 0; t < runs[r].n_tags; t++)
      if (!strcmp(runs[r].tags[t].key, tag)) value = runs[r].tags[t].value;
    if (!value) continue;
    qb_run_info info;
    qb_run *run;
    if ((rc = qb_store_load_run(s, runs[r].id, 0, &info, &run, err))) goto done;
    qb_run_info_dispose(&info);
    loaded[n_loaded++] = run;
    for (size_t i = 0; i < run->n_benches; i++)
      for (size_t k = 0; k < run->benches[i].n_results; k++) {
        const qb_result *res = &run->benches[i].results[k];
        double c = qb_result_centre(&res->stats);
        if (isnan(c)) continue;
        if (n_obs == cap) {
          size_t nc = cap ? cap * 2 : 64;
          tag_obs *p = realloc(obs, nc * sizeof *p);
          if (!p) {
            rc = qb_err_set(err, QB_ENOMEM, "out of memory");
            goto done;
          }
          obs = p;
          cap = nc;
        }
        obs[n_obs++] = (tag_obs){run->benches[i].name,
                                 res->metric,
                                 res->unit,
                                 value,
                                 res->direction == QB_HIGHER_IS_BETTER,
                                 c};
      }
  }
  if (!n_loaded) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no runs%s%s carry the tag '%s'",
                    project ? " of project " : "", project ? project : "", tag);
    goto done;
  }
  qsort(obs, n_obs, sizeof *obs, cmp_obs);
  if (!(rows = calloc(n_obs + 1, sizeof *rows)) || !(vals = malloc((n_obs + 1) * sizeof *vals))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  /* per benchmark and metric, per tag value: the median of the run centres */
  for (size_t i = 0; i < n_obs;) {
    size_t j = i;
    while (j < n_obs && !strcmp(obs[j].bench, obs[i].bench) &&
           !strcmp(obs[j].metric, obs[i].metric))
      j++;
    qb_config_row *row = &rows[n_rows++];
    row->bench = strdup(obs[i].bench);
    row->metric = strdup(obs[i].metric);
    row->unit = strdup(obs[i].unit);
    row->higher_is_better = obs[i].higher_is_better;
    if (!row->bench || !row->metric || !row->unit) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    for (size_t a = i; a < j;) {
      size_t b = a, m = 0;
      while (b < j && !strcmp(obs[b].value, obs[a].value)) vals[m++] = obs[b++].centre;
      qb_sort_doubles(vals, m);
      double med = qb_quantile_sorted(vals, m, 0.5);
      int better =
          !row->best || (row->higher_is_better ? med > row->best_value : med < row->best_value);
      int worse =
          !row->worst || (row->higher_is_better ? med < row->worst_value : med > row->worst_value);
      if (better) {
        free(row->best);
        row->best = strdup(obs[a].value);
        row->best_value = med;
        row->best_runs = m;
      }
      if (worse) {
        free(row->worst);
        row->worst = strdup(obs[a].value);
        row->worst_value = med;
        row->worst_runs = m;
      }
      row->n_values++;
      a = b;
    }
    if (!row->best || !row->worst) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    i = j;
  }
  *out = rows;
  *n_out = n_rows;
  rows = NULL;
  n_rows = 0;
done:
  qb_config_rows_free(rows, n_rows);
  for (size_t i = 0; i < n_loaded; i++) qb_run_free(loaded[i]);
  free(loaded);
  free(obs);
  free(vals);
  qb_run_infos_free(runs, n_runs);
  return rc;
}

/* cli/cmd_trend.c - `qbdb trend BENCHMARK`: a series, its change points and its direction. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/json.h"
#include "cli/cli.h"
#include "core/time.h"
#include "core/units.h"

const char cmd_trend_help[] =
    "usage: qbdb trend [--db PATH] [--project P] [--metric M] [--branch B] [--machine M]\n"
    "                  [--format text|json|csv] BENCHMARK\n"
    "\n"
    "The history of one benchmark's series: every run (commit, time, value and the tool's\n"
    "interval when it gave one), the change points E-Divisive finds in it, and the direction\n"
    "of its last segment: improving, stable, degrading or volatile, with a strength in 0..1\n"
    "(docs/statistics.md, Trends). When the benchmark has several series, narrow it down with\n"
    "--project, --metric, --branch or --machine.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage or several series match, 4 no such series or database.\n";

int cmd_trend(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *metric = NULL, *branch = NULL, *machine = NULL, *bench = NULL;
  const char *fmt = "text";
  int m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--metric", &metric, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--branch", &branch, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--machine", &machine, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--format", &fmt, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && !bench) {
      bench = argv[i++];
    } else {
      return qb_cli_bad_arg("trend", argv[i], err);
    }
  }
  if (!bench) return qb_err_set(err, QB_EUSAGE, "trend: no BENCHMARK given (see: qbdb help trend)");
  if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv"))
    return qb_err_set(err, QB_EUSAGE, "trend: --format '%s': expected text, json or csv", fmt);
  qb_store *store = NULL;
  qb_trend_report *r = NULL;
  qb_cli_esc e = QB_CLI_ESC_INIT;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_trend_series(store, project, bench, metric, branch, machine, NULL, &r, err)))
    goto done;
  if (!strcmp(fmt, "json")) {
    rc = qb_cli_print_json(cli->out, qb_view_trend(r), err);
    goto done;
  }
  if (!strcmp(fmt, "csv")) {
    fprintf(cli->out, "run_id,commit,time,value,ci_low,ci_high,change_point\r\n");
    for (size_t i = 0, c = 0; i < r->n_points; i++) {
      const qb_series_point *p = &r->points[i];
      char t[40];
      int cp = c < r->n_changes && r->changes[c].index == i;
      c += cp;
      fprintf(cli->out, "%lld,", (long long)p->run_id);
      qb_cli_csv_text(cli->out, p->commit_sha); /* stored text: quoted, never a formula */
      fprintf(cli->out, ",%s,%.17g,", qb_time_format(p->time, t, sizeof t), p->value);
      if (isnan(p->ci_lo))
        fprintf(cli->out, ",,%s\r\n", cp ? "true" : "false");
      else
        fprintf(cli->out, "%.17g,%.17g,%s\r\n", p->ci_lo, p->ci_hi, cp ? "true" : "false");
    }
    goto done;
  }
  /* text: stored names, commits and units escaped for the terminal (cli/cli.h) */
  fprintf(cli->out, "%s (%s) on %s/%s/%s: %zu run%s, %zu change point%s, %zu drift%s\n",
          qb_cli_esc_str(&e, r->series.bench), qb_cli_esc_str(&e, r->series.metric),
          qb_cli_esc_str(&e, r->series.project), qb_cli_esc_str(&e, r->series.branch),
          qb_cli_esc_str(&e, r->series.machine), r->n_points, qb_cli_s(r->n_points), r->n_changes,
          r->n_changes == 1 ? "" : "s", r->n_drifts, r->n_drifts == 1 ? "" : "s");
  static const char *const head[] = {"run", "commit", "time", "value", ""};
  qb_table t;
  if ((rc = qb_table_init(&t, 5, head, 1u | 1u << 3, err))) goto done;
  t.keep = 1u << 1 | 1u << 2; /* commit and time are never shortened */
  for (size_t i = 0, c = 0; i < r->n_points && !rc; i++) {
    const qb_series_point *p = &r->points[i];
    char id[24], tm[40], v[32], sha[13], mark[160] = "";
    snprintf(id, sizeof id, "%lld", (long long)p->run_id);
    snprintf(sha, sizeof sha, "%s", p->commit_sha ? p->commit_sha : "-");
    qb_time_format(p->time, tm, sizeof tm);
    char *dot = strchr(tm, '.');
    if (dot) strcpy(dot, "Z");
    qb_unit_format(p->value, r->series.unit, v, sizeof v);
    if (c < r->n_changes && r->changes[c].index == i) {
      char pv[24];
      snprintf(mark, sizeof mark, "<- change %+.1f%% (p %s)", r->changes[c].change * 100,
               qb_pvalue_format(r->changes[c].p, pv, sizeof pv));
      c++;
    }
    for (size_t d = 0; d < r->n_drifts; d++) { /* a drift: marked where it starts and ends */
      const qb_cp_drift *x = &r->drifts[d];
      size_t at = strlen(mark);
      char pv[24];
      if (x->from == i)
        snprintf(mark + at, sizeof mark - at, "%sdrift starts: %+.1f%% over %zu runs (p %s)",
                 at ? "; " : "<- ", x->change * 100, x->to - x->from,
                 qb_pvalue_format(x->p, pv, sizeof pv));
      else if (x->to - 1 == i)
        snprintf(mark + at, sizeof mark - at, "%sdrift ends", at ? "; " : "<- ");
    }
    const char *row[] = {id, qb_cli_esc_str(&e, sha), tm, qb_cli_esc_str(&e, v), mark};
    rc = qb_table_add(&t, row, err);
  }
  if (!rc) qb_table_print(&t, cli->out);
  qb_table_dispose(&t);
  if (!rc && isnan(r->trend.slope_pct_per_run))
    fprintf(cli->out, "trend: %s: only %zu run%s since the last change, too few for a slope\n",
            qb_trend_name(r->trend.direction), r->trend.n, qb_cli_s(r->trend.n));
  else if (!rc)
    fprintf(cli->out,
            "trend: %s (strength %.2f) over the last %zu runs: %+.3f%% per run, noise %.2f%%\n",
            qb_trend_name(r->trend.direction), r->trend.strength, r->trend.n,
            r->trend.slope_pct_per_run, r->trend.noise_pct);
done:
  qb_cli_esc_dispose(&e);
  qb_trend_report_free(r);
  qb_store_close(store);
  return rc;
}

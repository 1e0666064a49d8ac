/* cli/cmd_grade.c - `qbdb grade RUN` and `qbdb scaling FAMILY [RUN]`. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/json.h"
#include "cli/cli.h"
#include "core/units.h"
#include "core/utf8width.h"

const char cmd_grade_help[] =
    "usage: qbdb grade [--db PATH] [--project P] [--format text|json] RUN\n"
    "\n"
    "Grade a run: a score 0-100 and a letter A+ (>= 95), A, B, C, D from four components:\n"
    "regressions against the run before it on the same branch and machine (by severity),\n"
    "targets met, stability (the run-to-run noise of its series) and coverage (benchmarks kept\n"
    "from the baseline). The formula is in docs/statistics.md (Grades).\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no such run or database.\n";

const char cmd_scaling_help[] =
    "usage: qbdb scaling [--db PATH] [--project P] [--metric M] [--format text|json] FAMILY [RUN]\n"
    "\n"
    "Fit how a benchmark family scales with its one numeric parameter (Criterion value strings\n"
    "such as sort/100, sort/1000; pytest-benchmark or native params such as n or node_count):\n"
    "O(1), O(log n), O(n), O(n log n), O(n^2), O(n^3) by least squares in log space, each size\n"
    "weighted by the noise of its centre (from its samples, IQR, standard deviation or interval),\n"
    "compared by AIC. Prints the best model, the models not distinguishable from it (AIC within\n"
    "2), each model's fit, and the scaling efficiency per step. FAMILY is a group name or a name\n"
    "prefix; RUN defaults to the newest run. The method: docs/statistics.md (Scaling).\n"
    "\n"
    "Efficiency of a step from n1 to n2: for times (n2/n1) / (t2/t1), so 1.0 is linear, above 1\n"
    "better than linear; for rates (r2/r1) / (n2/n1), so 1.0 is perfect scaling.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no such run, family or database.\n";

/* A component score, or "-" when it does not apply. */
static const char *score(double v, char *buf, size_t n) {
  if (isnan(v))
    snprintf(buf, n, "    -");
  else
    snprintf(buf, n, "%5.1f", v);
  return buf;
}

int cmd_grade(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *ref = NULL, *fmt = "text";
  int m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--format", &fmt, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && !ref) {
      ref = argv[i++];
    } else {
      return qb_cli_bad_arg("grade", argv[i], err);
    }
  }
  if (!ref) return qb_err_set(err, QB_EUSAGE, "grade: no RUN given (see: qbdb help grade)");
  int json;
  if ((json = qb_cli_output_format("grade", fmt, err)) < 0) return json;
  qb_store *store = NULL;
  qb_grade_report *g = NULL;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_grade_run(store, project, ref, &g, err)))
    goto done;
  if (json) {
    rc = qb_cli_print_json(cli->out, qb_view_grade(g), err);
    goto done;
  }
  const qb_grade_input *in = &g->input;
  char sc[16];
  if (isnan(g->grade.score))
    fprintf(cli->out, "run %lld: no grade (no component applies)\n", (long long)g->run.id);
  else
    fprintf(cli->out, "run %lld: %s (%.1f / 100)\n", (long long)g->run.id, g->grade.letter,
            g->grade.score);
  if (g->baseline_id)
    fprintf(cli->out,
            "  regressions  %s  vs run %lld: %zu minor, %zu moderate, %zu major, %zu critical; "
            "%zu improvement%s\n",
            score(g->grade.regressions_score, sc, sizeof sc), (long long)g->baseline_id,
            in->regressions[1], in->regressions[2], in->regressions[3], in->regressions[4],
            in->improvements, qb_cli_s(in->improvements));
  else
    fprintf(cli->out, "  regressions  %s  no earlier run on this branch and machine\n",
            score(g->grade.regressions_score, sc, sizeof sc));
  fprintf(cli->out, "  targets      %s  %zu of %zu met\n",
          score(g->grade.targets_score, sc, sizeof sc), in->targets_met, in->targets);
  if (isnan(in->noise_pct))
    fprintf(cli->out, "  stability    %s  noise unknown (fewer than 5 earlier runs)\n",
            score(g->grade.stability_score, sc, sizeof sc));
  else
    fprintf(cli->out, "  stability    %s  median run-to-run noise %.2f%%\n",
            score(g->grade.stability_score, sc, sizeof sc), in->noise_pct);
  fprintf(cli->out, "  coverage     %s  %zu of %zu baseline benchmarks compared\n",
          score(g->grade.coverage_score, sc, sizeof sc), in->compared, in->baseline_benchmarks);
done:
  qb_grade_report_free(g);
  qb_store_close(store);
  return rc;
}

/* The verdict of a weighted scaling fit, its noise, the models' table and the unweighted fit's
 * choice (docs/cli/grade.md#scaling). */
static void print_scaling_fit(FILE *out, const qb_scaling_wfit *f, const qb_scaling_fit *u) {
  fprintf(out, "best: %s", qb_complexity_name(f->best));
  size_t n_close = 0;
  for (int c = 0; c < QB_N_COMPLEXITIES; c++)
    if (qb_scaling_close(f, (qb_complexity)c))
      fprintf(out, "%s%s", n_close++ ? ", " : "; ", qb_complexity_name((qb_complexity)c));
  if (n_close)
    fprintf(out, " %s not distinguishable at these sizes (add larger sizes)\n",
            n_close > 1 ? "are" : "is");
  else
    fprintf(out, "; the runner-up %s is %.1f behind in AIC\n", qb_complexity_name(f->second),
            f->delta[f->second]);
  if (!f->n_noise)
    fprintf(out, "noise: no size has a spread; every size weighs the same and the scatter comes "
                 "from the residuals\n");
  else
    fprintf(out,
            "noise: %zu of %zu sizes have a spread%s; scatter around the best fit %.3gx that "
            "noise (chi2 %.4g on %zu dof, p = %.2g)\n",
            f->n_noise, f->k, f->n_noise < f->k ? " (the others: their median)" : "",
            sqrt(f->scale[f->best]), f->chi2[f->best], f->k - 1, f->p);
  fprintf(out, "  %-11s %12s %9s %10s %8s\n", "model", "coef", "rms", "delta AIC", "weight");
  for (int c = 0; c < QB_N_COMPLEXITIES; c++) {
    if (isnan(f->aic[c])) {
      fprintf(out, "  %-11s %12s\n", qb_complexity_name((qb_complexity)c), "n/a");
      continue;
    }
    fprintf(out, "  %-11s %12.4g %9.3f %10.2f %8.3f%s\n", qb_complexity_name((qb_complexity)c),
            f->coef[c], f->rms[c], f->delta[c], f->weight[c],
            c == (int)f->best                       ? "  best"
            : qb_scaling_close(f, (qb_complexity)c) ? "  close"
                                                    : "");
  }
  if (u->best != f->best)
    fprintf(out, "unweighted least squares would pick %s (relative RMS error %.3f)\n",
            qb_complexity_name(u->best), u->rms[u->best]);
}

int cmd_scaling(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *metric = NULL, *fmt = "text", *pos[2] = {NULL, NULL};
  int m, rc, n_pos = 0;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--metric", &metric, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--format", &fmt, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && n_pos < 2) {
      pos[n_pos++] = argv[i++];
    } else {
      return qb_cli_bad_arg("scaling", argv[i], err);
    }
  }
  if (!n_pos)
    return qb_err_set(err, QB_EUSAGE, "scaling: no FAMILY given (see: qbdb help scaling)");
  int json;
  if ((json = qb_cli_output_format("scaling", fmt, err)) < 0) return json;
  qb_store *store = NULL;
  qb_scaling_report *r = NULL;
  qb_cli_esc e = QB_CLI_ESC_INIT;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_scaling_family(store, project, pos[0], pos[1], metric, &r, err)))
    goto done;
  if (json) {
    rc = qb_cli_print_json(cli->out, qb_view_scaling(r), err);
    goto done;
  }
  /* stored text escaped for the terminal (cli/cli.h) */
  fprintf(cli->out, "%s in run %lld: %s by %s\n", qb_cli_esc_str(&e, r->family),
          (long long)r->run.id, qb_cli_esc_str(&e, r->metric), qb_cli_esc_str(&e, r->param_name));
  for (size_t i = 0; i < r->n_points; i++) {
    char v[32];
    qb_unit_format(r->points[i].value, r->unit, v, sizeof v);
    /* padded by display columns: "%-28s" would pad by bytes (CJK names, "µs") */
    const char *bench = qb_cli_esc_str(&e, r->points[i].bench), *vs = qb_cli_esc_str(&e, v);
    fprintf(cli->out, "  %s%*s %s = %-10g %*s%s", bench, qb_utf8_pad(bench, 28), "",
            qb_cli_esc_str(&e, r->param_name), r->points[i].param, qb_utf8_pad(vs, 12), "", vs);
    /* the standard error of the centre, relative: what weighs the point in the fit */
    double se_pct = 100.0 * r->points[i].se / r->points[i].value;
    if (isnan(se_pct))
      fprintf(cli->out, "  +- %5s ", "?");
    else
      fprintf(cli->out, "  +- %5.2f%%", se_pct);
    if (!isnan(r->points[i].efficiency))
      fprintf(cli->out, "   efficiency %.2f", r->points[i].efficiency);
    fputc('\n', cli->out);
  }
  print_scaling_fit(cli->out, &r->fit, &r->unweighted);
done:
  qb_cli_esc_dispose(&e);
  qb_scaling_report_free(r);
  qb_store_close(store);
  return rc;
}

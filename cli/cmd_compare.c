/* cli/cmd_compare.c - `qbdb compare BASE HEAD`: did anything get slower, and how sure are we? */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/compare.h"
#include "cli/cli.h"

const char cmd_compare_help[] =
    "usage: qbdb compare [--db PATH] [--project P] [--metric NAME] [--benchmark GLOB]\n"
    "                    [--alpha A] [--threshold PCT] [--sort name|change|severity]\n"
    "                    [--only-changed] [--fail-on SEVERITY] [--format text|json|markdown|csv]\n"
    "                    BASE HEAD\n"
    "\n"
    "Compare run HEAD with run BASE, benchmark by benchmark and metric by metric. BASE and HEAD\n"
    "are run references: an id, BRANCH@latest, BRANCH~N (N runs before the newest), or a\n"
    "commit-sha prefix. With raw samples on both sides the test is a two-sided Mann-Whitney U\n"
    "(exact for small samples) with the Hodges-Lehmann shift; with only n, mean and stddev it\n"
    "is Welch's t-test. p-values are adjusted with Benjamini-Hochberg across the rows. A change\n"
    "is a regression or an improvement when its adjusted p <= alpha and it is larger than the\n"
    "threshold and than the series' run-to-run noise band (from >= 5 earlier runs); its\n"
    "severity is minor (< 5%), moderate (5-10%), major (10-25%) or critical (>= 25%).\n"
    "Defaults come from `qbdb config` (per project and benchmark glob).\n"
    "\n"
    "  --project P         resolve BASE and HEAD within project P\n"
    "  --metric NAME       only this metric (latency, throughput, memory, ...)\n"
    "  --benchmark GLOB    only benchmarks whose name matches GLOB (fnmatch, e.g. 'sort/*')\n"
    "  --alpha A           significance level (default 0.05)\n"
    "  --threshold PCT     smallest change that counts, in percent (default 1)\n"
    "  --sort KEY          name, change (largest first) or severity (regressions first)\n"
    "  --only-changed      leave out unchanged rows\n"
    "  --fail-on SEV       exit 1 when a regression is at least SEV (minor, moderate, major,\n"
    "                      critical)\n"
    "  --format F          text (default), json, markdown (for PR comments) or csv\n"
    "\n"
    "Colour is used on a terminal unless NO_COLOR is set.\n"
    "Exit codes: 0 ok, 1 a regression at or above --fail-on, 2 usage (bad option, runs of\n"
    "different projects, ambiguous reference), 4 no such run or metric, 5 database refused.\n";

int cmd_compare(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  const char *refs[2] = {NULL, NULL}, *sort = NULL, *v;
  qb_compare_format fmt = QB_CMP_TEXT;
  qb_severity fail_on = QB_SEV_NONE;
  int only_changed = 0, m, rc, n_refs = 0, have_fail_on = 0;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &o.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--metric", &o.metric, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--benchmark", &o.bench_glob, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--sort", &sort, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--alpha", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("compare", "--alpha", v, 1e-300, 0.999999, &o.alpha, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--threshold", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("compare", "--threshold", v, 0, 1e9, &o.threshold, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--fail-on", &v, err))) {
      if (m < 0) return m;
      if (qb_severity_parse(v, &fail_on) || fail_on == QB_SEV_NONE)
        return qb_err_set(err, QB_EUSAGE,
                          "compare: --fail-on '%s': expected minor, moderate, major or critical",
                          v);
      have_fail_on = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if (qb_compare_format_parse(v, &fmt))
        return qb_err_set(err, QB_EUSAGE,
                          "compare: --format '%s': expected text, json, markdown or csv", v);
    } else if (!strcmp(argv[i], "--only-changed")) {
      only_changed = 1;
      i++;
    } else if (argv[i][0] != '-' && n_refs < 2) {
      refs[n_refs++] = argv[i++];
    } else {
      return qb_cli_bad_arg("compare", argv[i], err);
    }
  }
  if (n_refs != 2)
    return qb_err_set(err, QB_EUSAGE, "compare: expected BASE and HEAD (see: qbdb help compare)");
  if (sort && strcmp(sort, "name") && strcmp(sort, "change") && strcmp(sort, "severity"))
    return qb_err_set(err, QB_EUSAGE, "compare: --sort '%s': expected name, change or severity",
                      sort);
  qb_store *store = NULL;
  qb_compare *c = NULL;
  qb_buf out;
  qb_buf_init(&out, (size_t)1 << 30);
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_compare_runs(store, refs[0], refs[1], &o, &c, err)) ||
      (sort && (rc = qb_compare_sort(c, sort, err))))
    goto done;
  const char *no_color = getenv("NO_COLOR");
  int color = fmt == QB_CMP_TEXT && isatty(fileno(cli->out)) && !(no_color && *no_color);
  if ((rc = qb_compare_render(c, fmt, only_changed, color, &out, err))) goto done;
  fputs(out.data ? out.data : "", cli->out);
  if (have_fail_on && c->regressions && c->worst_regression >= fail_on)
    rc = qb_err_set(err, QB_EREGRESSION, "compare: %zu regression%s, the worst %s (--fail-on %s)",
                    c->regressions, c->regressions == 1 ? "" : "s",
                    qb_severity_name(c->worst_regression), qb_severity_name(fail_on));
done:
  qb_buf_dispose(&out);
  qb_compare_free(c);
  qb_store_close(store);
  return rc;
}

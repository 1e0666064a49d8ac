/* cli/cmd_compare.c - `qbdb compare BASE HEAD`: did anything get slower, and how sure are we? */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/client.h"
#include "service/compare.h"
#include "cli/cli.h"
#include "view/compare.h"

const char cmd_compare_help[] =
    "usage: qbdb compare [--db PATH] [--project P] [--machine M | --any-machine]\n"
    "                    [--base-runs N] [--base-branch B] [--base-commit SHA]\n"
    "                    [--metric NAME] [--benchmark GLOB] [--all-metrics]\n"
    "                    [--alpha A] [--threshold PCT] [--sort name|change|severity]\n"
    "                    [--only-changed] [--fail-on SEVERITY] [--format text|json|markdown|csv]\n"
    "                    [--server URL [--token T]] [BASE] HEAD\n"
    "\n"
    "Compare run HEAD with run BASE, benchmark by benchmark and metric by metric. BASE and HEAD\n"
    "are run references: an id, BRANCH@latest, BRANCH~N (N runs before the newest), or a\n"
    "commit-sha prefix. Without BASE the baseline rule chooses it, as for an upload: the\n"
    "previous run of HEAD's branch on its machine, or for a branch without one (or with\n"
    "--base-branch) the base branch at --base-commit, else its newest run before HEAD\n"
    "(docs/statistics.md, \"Baselines\"). Runs of two machines are refused unless --any-machine.\n"
    "\n"
    "A change counts when it is significant within the runs (two-sided Mann-Whitney U on raw\n"
    "samples, or Welch's t on n, mean and stddev; Benjamini-Hochberg adjusted), beyond the\n"
    "run-to-run noise of the baseline's series since its last change point (Benjamini-Hochberg\n"
    "across the compare), and larger than the threshold. With fewer than 5 baseline runs in\n"
    "that segment the noise is unknown and only changes of 10% or more count. Severity: minor\n"
    "(< 5%), moderate (5-10%), major (10-25%), critical (>= 25%). Each benchmark's primary\n"
    "metric (latency, else its first) decides the summary and --fail-on; the others are shown.\n"
    "Defaults come from `qbdb config` (per project and benchmark glob).\n"
    "\n"
    "  --project P         resolve BASE and HEAD within project P\n"
    "  --machine M         resolve BRANCH@latest, BRANCH~N and shas among runs of machine M\n"
    "  --any-machine       allow BASE and HEAD of two machines\n"
    "  --base-runs N       pool BASE with the N - 1 runs before it (1 to 50; default 1)\n"
    "  --base-branch B     without BASE: compare with branch B (default: the CI's target\n"
    "                      branch variable, then the project's default_branch setting, main)\n"
    "  --base-commit SHA   without BASE: the merge base, e.g. $(git merge-base origin/main HEAD)\n"
    "  --metric NAME       only this metric (latency, throughput, memory, ...)\n"
    "  --benchmark GLOB    only benchmarks whose name matches GLOB (fnmatch, e.g. 'sort/*')\n"
    "  --all-metrics       every metric counts in the summary and for --fail-on\n"
    "  --alpha A           significance level (default 0.05)\n"
    "  --threshold PCT     smallest change that counts, in percent (default 1)\n"
    "  --sort KEY          name, change (largest first) or severity (regressions first)\n"
    "  --only-changed      leave out unchanged rows\n"
    "  --fail-on SEV       exit 1 when a regression is at least SEV (minor, moderate, major,\n"
    "                      critical)\n"
    "  --format F          text (default), json, markdown (the pull-request comment) or csv\n"
    "  --server URL        ask a qbdb server (GET /api/v1/compare) instead of --db\n"
    "  --token T           read token for --server (default $QBDB_TOKEN)\n"
    "\n"
    "Colour is used on a terminal unless NO_COLOR is set.\n"
    "Exit codes: 0 ok, 1 a regression at or above --fail-on, 2 usage (bad option, runs of\n"
    "different projects or machines, ambiguous reference), 4 no such run or metric, or no\n"
    "baseline, 5 database refused, 6 the server could not be reached.\n";

/* `compare --server`: the same question asked of a qbdb server (GET /api/v1/compare through
 * net/client.h). The options that are set go as query arguments, with the format, only_changed
 * and sort; the answer is printed as it came (a newline added when it lacks one), and fail_on
 * (QB_SEV_NONE: not asked) is judged on its Qbdb-Verdict header, as the local compare judges its
 * summary. token NULL or "": $QBDB_TOKEN. */
static int compare_remote(qb_cli *cli, const char *server, const char *token, const char *head,
                          const qb_compare_opts *o, const char *sort, qb_compare_format fmt,
                          int only_changed, qb_severity fail_on, qb_err *err) {
  static const char *const FORMATS[] = {[QB_CMP_TEXT] = "text",
                                        [QB_CMP_JSON] = "json",
                                        [QB_CMP_MARKDOWN] = "markdown",
                                        [QB_CMP_CSV] = "csv"};
  char alpha[32], threshold[32], runs[16];
  snprintf(alpha, sizeof alpha, "%.17g", o->alpha);
  snprintf(threshold, sizeof threshold, "%.17g", o->threshold);
  snprintf(runs, sizeof runs, "%d", o->base.base_runs);
  const qb_http_arg args[] = {
      {"head", head},
      {"base", o->base.base_ref},
      {"project", o->project},
      {"machine", o->machine},
      {"metric", o->metric},
      {"benchmark", o->bench_glob},
      {"alpha", isnan(o->alpha) ? NULL : alpha},
      {"threshold", isnan(o->threshold) ? NULL : threshold},
      {"base_branch", o->base.base_branch},
      {"base_branch_source", o->base.base_branch ? o->base.base_branch_source : NULL},
      {"base_commit", o->base.base_commit},
      {"base_runs", o->base.base_runs > 1 ? runs : NULL},
      {"any_machine", o->base.any_machine ? "true" : NULL},
      {"all_metrics", o->all_metrics ? "true" : NULL},
      {"only_changed", only_changed ? "true" : NULL},
      {"sort", sort},
      {"format", (unsigned)fmt < sizeof FORMATS / sizeof FORMATS[0] ? FORMATS[fmt] : "text"},
  };
  qb_http_opts ho = QB_HTTP_OPTS_INIT;
  qb_http_answer a;
  ho.server = server;
  ho.token = token && *token ? token : getenv("QBDB_TOKEN");
  int rc =
      qb_http_get(&a, &ho, "compare", "/api/v1/compare", args, sizeof args / sizeof args[0], err);
  if (rc) {
    if ((a.status == 401 || a.status == 403) && (!ho.token || !*ho.token)) {
      char msg[QB_ERR_MSG_MAX];
      snprintf(msg, sizeof msg, "%s", err->msg);
      qb_err_set(err, rc, "%s (no token given: use --token or $QBDB_TOKEN)", msg);
    }
    goto done;
  }
  /* text and markdown are for a terminal: the server's stored text escaped (cli/cli.h) */
  if (a.len && (fmt == QB_CMP_TEXT || fmt == QB_CMP_MARKDOWN))
    qb_cli_write_doc(cli->out, a.body, a.len);
  else if (a.len)
    fwrite(a.body, 1, a.len, cli->out);
  if (ferror(cli->out)) {
    rc = qb_err_set(err, QB_EIO, "compare: cannot write the answer: %s", strerror(errno));
    goto done;
  }
  if (a.len && a.body[a.len - 1] != '\n') fputc('\n', cli->out);
  if (fail_on != QB_SEV_NONE) {
    size_t regressions = 0, improvements = 0;
    qb_severity worst = QB_SEV_NONE;
    if (!a.verdict[0]) {
      rc = qb_err_set(err, QB_EIO,
                      "compare: %s sent no Qbdb-Verdict header, so --fail-on cannot be judged",
                      server);
      goto done;
    }
    if (qb_http_verdict_parse(a.verdict, &regressions, &worst, &improvements, err)) {
      char msg[QB_ERR_MSG_MAX];
      snprintf(msg, sizeof msg, "%s", err->msg);
      rc = qb_err_set(err, QB_EIO, "compare: the answer of %s: %s", server, msg);
      goto done;
    }
    if (regressions && worst >= fail_on)
      rc = qb_err_set(err, QB_EREGRESSION, "compare: %zu regression%s, the worst %s (--fail-on %s)",
                      regressions, regressions == 1 ? "" : "s", qb_severity_name(worst),
                      qb_severity_name(fail_on));
  }
done:
  fflush(cli->out); /* the answer before the error that ends the command */
  qb_http_answer_dispose(&a);
  return rc;
}

int cmd_compare(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_compare_opts o = QB_COMPARE_OPTS_INIT;
  const char *refs[2] = {NULL, NULL}, *sort = NULL, *v;
  qb_compare_format fmt = QB_CMP_TEXT;
  qb_severity fail_on = QB_SEV_NONE;
  int only_changed = 0, m, rc, n_refs = 0, have_fail_on = 0;
  const char *server = NULL, *token = NULL;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &o.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--metric", &o.metric, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--benchmark", &o.bench_glob, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--machine", &o.machine, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--base-branch", &o.base.base_branch, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--base-commit", &o.base.base_commit, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--server", &server, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--token", &token, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--sort", &sort, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--base-runs", &v, err))) {
      double d;
      if (m < 0 || (rc = qb_cli_number("compare", "--base-runs", v, 1, QB_BASE_RUNS_MAX, &d, err)))
        return m < 0 ? m : rc;
      if (d != floor(d))
        return qb_err_set(err, QB_EUSAGE, "compare: --base-runs '%s': expected a whole number", v);
      o.base.base_runs = (int)d;
    } else if (!strcmp(argv[i], "--any-machine")) {
      o.base.any_machine = 1;
      i++;
    } else if (!strcmp(argv[i], "--all-metrics")) {
      o.all_metrics = 1;
      i++;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--alpha", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("compare", "--alpha", v, 1e-300, 0.999999, &o.alpha, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--threshold", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("compare", "--threshold", v, 0, 1e9, &o.threshold, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--fail-on", &v, err))) {
      if (m < 0) return m;
      int rc = qb_severity_parse_arg("compare: --fail-on", v, 0, &fail_on, err);
      if (rc) return rc;
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
  if (n_refs < 1)
    return qb_err_set(err, QB_EUSAGE, "compare: expected [BASE] HEAD (see: qbdb help compare)");
  if (n_refs == 2 && (o.base.base_branch || o.base.base_commit))
    return qb_err_set(err, QB_EUSAGE,
                      "compare: --base-branch and --base-commit choose a baseline; with BASE "
                      "given they mean nothing");
  const char *head_ref = refs[n_refs - 1];
  if (n_refs == 2) o.base.base_ref = refs[0];
  if (!o.base.base_branch) {
    const char *var = NULL;
    if ((o.base.base_branch = qb_baseline_ci_branch(&var)))
      o.base.base_branch_source = var ? var - 1 : NULL;
  }
  if ((rc = qb_baseline_opts_check(&o.base, err))) {
    qb_err_prefix(err, "compare");
    return rc;
  }
  if (server)
    return compare_remote(cli, server, token, head_ref, &o, sort, fmt, only_changed,
                          have_fail_on ? fail_on : QB_SEV_NONE, err);
  (void)token;
  if (sort && strcmp(sort, "name") && strcmp(sort, "change") && strcmp(sort, "severity"))
    return qb_err_set(err, QB_EUSAGE, "compare: --sort '%s': expected name, change or severity",
                      sort);
  qb_store *store = NULL;
  qb_compare *c = NULL;
  qb_buf out;
  qb_buf_init(&out, (size_t)1 << 30);
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_compare_runs(store, head_ref, &o, &c, err)) ||
      (sort && (rc = qb_compare_sort(c, sort, err))))
    goto done;
  const char *no_color = getenv("NO_COLOR");
  int color = fmt == QB_CMP_TEXT && isatty(fileno(cli->out)) && !(no_color && *no_color);
  if ((rc = qb_compare_render(c, fmt, only_changed, 0, &out, err))) goto done;
  if (fmt == QB_CMP_TEXT || fmt == QB_CMP_MARKDOWN) {
    /* stored text escaped for the terminal (cli/cli.h): the document without colour is written
     * escaped when it needs it; else, for a terminal, rendered again with the colour, whose
     * own sequences are the only control bytes in it */
    if (color && !qb_cli_doc_needs_esc(out.data, out.len)) {
      qb_buf_dispose(&out);
      if ((rc = qb_compare_render(c, fmt, only_changed, 1, &out, err))) goto done;
      if (out.len) fwrite(out.data, 1, out.len, cli->out);
    } else {
      qb_cli_write_doc(cli->out, out.data, out.len);
    }
  } else if (out.len) {
    fwrite(out.data, 1, out.len, cli->out);
  }
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

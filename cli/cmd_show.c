/* cli/cmd_show.c - `qbdb show RUN`: one run's results per benchmark and metric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json_out.h"
#include "view/json.h"
#include "cli/cli.h"
#include "core/time.h"
#include "core/units.h"
#include "schema/store.h"
#include "service/history.h"

const char cmd_show_help[] =
    "usage: qbdb show [--db PATH] [--project P] [--format text|json] [--samples] RUN\n"
    "\n"
    "Show one run: its metadata and, per benchmark and metric, n, min, median, mean,\n"
    "stddev, max, p95 and p99 (and the tool's own estimate with its confidence interval when\n"
    "it gave one, e.g. criterion's slope). Text shows human units (1.23 ms, 45.6 MiB/s); json "
    "gives\n"
    "base units (ns, B, B/s, 1/s) with a \"unit\" field.\n"
    "\n"
    "RUN is a run id (42), BRANCH@latest (the newest run on that branch), or a unique\n"
    "prefix of a commit sha (at least 4 hex digits; the newest run of that commit).\n"
    "\n"
    "  --project P    resolve RUN within project P\n"
    "  --format F     text (default) or json\n"
    "  --samples      json only: include the raw samples and their iteration counts\n"
    "\n"
    "Exit codes: 0 ok, 2 usage or ambiguous RUN, 4 no such run or database, 5 database refused.\n";

/* The run's metadata; stored text escaped for the terminal (cli/cli.h qb_cli_esc_str). */
static void print_header(qb_cli *cli, const qb_run_info *in) {
  char t[40];
  qb_cli_esc e = QB_CLI_ESC_INIT;
  fprintf(cli->out, "run %lld (%s%s%s)\n", (long long)in->id, qb_cli_esc_str(&e, in->format),
          in->tool_version ? ", " : "",
          in->tool_version ? qb_cli_esc_str(&e, in->tool_version) : "");
  fprintf(cli->out, "  project  %s\n  branch   %s\n", qb_cli_esc_str(&e, in->project),
          qb_cli_esc_str(&e, in->branch));
  if (in->commit_sha) {
    fprintf(cli->out, "  commit   %s", qb_cli_esc_str(&e, in->commit_sha));
    if (in->commit_time != QB_TIME_NONE)
      fprintf(cli->out, " (%s)", qb_time_format(in->commit_time, t, sizeof t));
    fputc('\n', cli->out);
  }
  fprintf(cli->out, "  machine  %s\n", qb_cli_esc_str(&e, in->machine));
  fprintf(cli->out, "  started  %s\n", qb_time_format(in->started_at, t, sizeof t));
  if (in->n_tags) {
    fprintf(cli->out, "  tags     ");
    for (size_t i = 0; i < in->n_tags; i++)
      fprintf(cli->out, "%s%s=%s", i ? ", " : "", qb_cli_esc_str(&e, in->tags[i].key),
              qb_cli_esc_str(&e, in->tags[i].value));
    fputc('\n', cli->out);
  }
  fprintf(cli->out, "  %lld benchmarks, %lld results, %lld raw samples\n\n",
          (long long)in->n_benches, (long long)in->n_results, (long long)in->n_samples);
  qb_cli_esc_dispose(&e);
}

/* One table row per result; an "estimate [ci]" column is added when some result has the tool's
 * own point estimate (criterion). */
static int print_results(qb_cli *cli, const qb_run *run, qb_err *err) {
  static const char *const head[] = {"benchmark", "metric", "n",   "min", "median",       "mean",
                                     "stddev",    "max",    "p95", "p99", "estimate [ci]"};
  int with_est = 0;
  for (size_t i = 0; i < run->n_benches; i++)
    for (size_t k = 0; k < run->benches[i].n_results; k++)
      with_est |= !isnan(run->benches[i].results[k].stats.estimate);
  qb_table t;
  qb_cli_esc e = QB_CLI_ESC_INIT; /* names and metrics escaped for the terminal */
  int rc = qb_table_init(&t, with_est ? 11 : 10, head, 0x7fcu, err);
  if (rc) return rc;
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    for (size_t k = 0; k < b->n_results; k++) {
      const qb_result *r = &b->results[k];
      const qb_stats *x = &r->stats;
      char n[24], v[10][32], est[112] = "-";
      const double vals[10] = {x->min, x->median, x->mean,     x->stddev, x->max,
                               x->p95, x->p99,    x->estimate, x->ci_lo,  x->ci_hi};
      if (x->n >= 0)
        snprintf(n, sizeof n, "%lld", (long long)x->n);
      else
        snprintf(n, sizeof n, "-");
      for (int j = 0; j < 10; j++) qb_unit_format(vals[j], r->unit, v[j], sizeof v[j]);
      if (!isnan(x->estimate) && !isnan(x->ci_lo))
        snprintf(est, sizeof est, "%s [%s, %s]", v[7], v[8], v[9]);
      else if (!isnan(x->estimate))
        snprintf(est, sizeof est, "%s", v[7]);
      const char *row[] = {b->name, r->metric, n, v[0], v[1], v[2], v[3], v[4], v[5], v[6], est};
      for (size_t c = 0; c < sizeof row / sizeof row[0]; c++) /* values carry a stored unit */
        row[c] = qb_cli_esc_str(&e, row[c]);
      if ((rc = qb_table_add(&t, row, err))) goto done;
    }
  }
  qb_table_print(&t, cli->out);
done:
  qb_cli_esc_dispose(&e);
  qb_table_dispose(&t);
  return rc;
}

int cmd_show(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *ref = NULL, *project = NULL;
  int json = 0, samples = 0, m, rc;
  for (int i = 1; i < argc;) {
    const char *v = NULL;
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if ((json = qb_cli_output_format("show", v, err)) < 0) return json;
    } else if (!strcmp(argv[i], "--samples")) {
      samples = 1;
      i++;
    } else if (argv[i][0] != '-' && !ref) {
      ref = argv[i++];
    } else {
      return qb_cli_bad_arg("show", argv[i], err);
    }
  }
  if (!ref) return qb_err_set(err, QB_EUSAGE, "show: no RUN given (see: qbdb help show)");
  qb_store *store = NULL;
  qb_run_info info = {0};
  qb_run *run = NULL;
  int64_t id;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_store_resolve_run(store, project, ref, &id, err)) ||
      (rc = qb_store_load_run(store, id,
                              !json     ? 0
                              : samples ? 1
                                        : QB_LOAD_VALUES,
                              &info, &run, err)))
    goto done;
  if (json) {
    /* the same object as GET /api/v1/runs/{id}: the samples' values are read for the CIs the
     * tool did not store (ci_source) */
    char *url = NULL;
    if ((rc = qb_repo_url(store, info.project, &url, err))) goto done;
    json_t *o = qb_view_run_api(&info, run, samples, url);
    free(url);
    if (!o) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    qb_json_dumpf(o, cli->out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fputc('\n', cli->out);
    json_decref(o);
  } else {
    print_header(cli, &info);
    rc = print_results(cli, run, err);
  }
done:
  qb_run_free(run);
  qb_run_info_dispose(&info);
  qb_store_close(store);
  return rc;
}

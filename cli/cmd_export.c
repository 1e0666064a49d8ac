/* cli/cmd_export.c - `qbdb export`: runs, results and raw samples as CSV or JSON. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "view/export.h"
#include "cli/cli.h"
#include "core/time.h"
#include "schema/store.h"

const char cmd_export_help[] =
    "usage: qbdb export [--db PATH] [--project P] [--branch B] [--machine M]\n"
    "                   [--since 24h|7d|DATE] [--format csv|json] [--samples] [--out FILE]\n"
    "\n"
    "Write stored runs, oldest first, with every result (or with --samples every raw sample)\n"
    "in base units: ns, B, B/s, 1/s, 1. The CSV has a header row and one row per result with\n"
    "its statistics, or with --samples one row per raw sample: run_id, benchmark, metric (the\n"
    "keys to join it with the results export), sample, value, iterations. The JSON holds one\n"
    "object per run, as `qbdb show --format json` prints it. Columns, the JSON shape and how to\n"
    "join are in docs/cli/export.md. On a terminal, stderr shows the runs written so far.\n"
    "\n"
    "  --project P    only runs of project P (also --branch, --machine)\n"
    "  --since S      only runs started at or after S: an age (90s, 30m, 24h, 7d, 2w) or an\n"
    "                 ISO 8601 date or time\n"
    "  --format F     csv (default) or json\n"
    "  --samples      CSV: the raw samples, one row each, instead of the results;\n"
    "                 JSON: the raw samples with each result\n"
    "  --out FILE     write to FILE (default: standard output), atomically: a new file\n"
    "                 renamed over it; a device or fifo is written in place; a symbolic link\n"
    "                 is refused unless it names a device or pipe\n"
    "\n"
    "Exit codes: 0 ok (also when no run matches: the CSV header alone), 2 usage, 4 no\n"
    "database, 5 database refused, 6 cannot write FILE.\n";

/* Progress on the terminal: "export: DONE/TOTAL runs", rewritten in place (about 200 updates
 * however many runs), the last one ending its line. */
typedef struct progress {
  FILE *f;
  int open; /* 1: a line was started and not ended */
} progress;

static void show_progress(void *ctx, size_t done, size_t total) {
  progress *p = ctx;
  size_t step = total / 200 ? total / 200 : 1;
  if (done != total && done % step) return;
  fprintf(p->f, "\rexport: %zu/%zu runs%s", done, total, done == total ? "\n" : "");
  fflush(p->f);
  p->open = done != total;
}

int cmd_export(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_export_opts o = QB_EXPORT_OPTS_INIT;
  const char *out_path = NULL;
  qb_store *store = NULL;
  qb_cli_outfile out = QB_CLI_OUTFILE_INIT;
  size_t n_runs = 0;
  progress prog = {cli->errs, 0};
  int rc = QB_OK, m;
  for (int i = 1; i < argc;) {
    const char *v = NULL;
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &o.filter.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--branch", &o.filter.branch, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--machine", &o.filter.machine, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--out", &out_path, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--since", &v, err))) {
      if (m < 0) return m;
      if (qb_time_parse_since(v, qb_time_now(), &o.since))
        return qb_err_set(err, QB_EUSAGE,
                          "export: --since '%s': expected an age (90s, 30m, 24h, 7d, 2w) or an "
                          "ISO 8601 date",
                          v);
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if (!strcmp(v, "csv"))
        o.format = QB_EXPORT_CSV;
      else if (!strcmp(v, "json"))
        o.format = QB_EXPORT_JSON;
      else
        return qb_err_set(err, QB_EUSAGE, "export: --format '%s': expected csv or json", v);
    } else if (!strcmp(argv[i], "--samples")) {
      o.samples = 1;
      i++;
    } else {
      return qb_cli_bad_arg("export", argv[i], err);
    }
  }
  /* progress only for a person watching: stderr a terminal, and the export not written to that
   * terminal too (it would cut into the rows); never in a pipe or a log */
  if (isatty(fileno(cli->errs)) && (out_path || !isatty(fileno(cli->out)))) {
    o.progress = show_progress;
    o.progress_ctx = &prog;
  }
  if ((rc = qb_store_open(&store, cli->db, 0, err))) goto done;
  if (out_path && (rc = qb_cli_out_open(&out, "export", out_path, err))) goto done;
  if ((rc = qb_export(store, &o, out_path ? out.f : cli->out, &n_runs, err))) {
    if (out_path) qb_err_prefix(err, "%s", out_path);
    goto done;
  }
  if (out_path && (rc = qb_cli_out_close(&out, 1, err))) goto done;
  if (out_path)
    fprintf(cli->errs, "exported %zu run%s to %s\n", n_runs, n_runs == 1 ? "" : "s", out_path);
done:
  if (prog.open) fputc('\n', cli->errs); /* an error goes on a line of its own */
  qb_cli_out_close(&out, 0, NULL);       /* after a failure: the target is left as it was */
  qb_store_close(store);
  return rc;
}

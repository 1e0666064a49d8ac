/* cli/cmd_detect.c - `qbdb detect`: change points of every matching series, into regressions. */
#include <stdlib.h>
#include <string.h>

#include "service/history.h"
#include "cli/cli.h"

const char cmd_detect_help[] =
    "usage: qbdb detect [--db PATH] [--project P] [--branch B] [--machine M] [--metric NAME]\n"
    "                   [--benchmark GLOB] [--max-p P] [--min-change PCT] [--window N]\n"
    "\n"
    "Re-analyse every matching series (project x branch x machine x benchmark x metric, one\n"
    "value per run in commit-time order: the median, else the mean) with E-Divisive means and\n"
    "a t-test, and record each change point as a regression or an improvement (severity as in\n"
    "compare). Records keep their triage; open records no longer detected are removed.\n"
    "`qbdb ingest` does the same incrementally for the series of every new run.\n"
    "The options come from the project's settings (qbdb config: window, max_p, min_change),\n"
    "which ingest, upload, trend and report use too. The flags below try other values: then\n"
    "detect only counts what they would find and records nothing, so that no view disagrees\n"
    "with another; to change what is recorded, change the settings.\n"
    "\n"
    "  --max-p P          keep a change point when its t-test p <= P (setting max_p, 0.001)\n"
    "  --min-change PCT   and its relative change is at least PCT percent (min_change, 0;\n"
    "                     never below the metric's min_change.METRIC)\n"
    "  --window N         points on each side a candidate is judged on (window, 30)\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no database, 5 database refused.\n";

int cmd_detect(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_detect_opts o = QB_DETECT_OPTS_INIT;
  int m, rc;
  for (int i = 1; i < argc;) {
    const char *v;
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &o.filter.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--branch", &o.filter.branch, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--machine", &o.filter.machine, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--metric", &o.filter.metric, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--benchmark", &o.filter.bench_glob, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-p", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("detect", "--max-p", v, 1e-300, 0.999999, &o.cp.max_p, err)))
        return m < 0 ? m : rc;
      o.cp_given |= QB_CP_MAX_P;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--min-change", &v, err))) {
      if (m < 0 ||
          (rc = qb_cli_number("detect", "--min-change", v, 0, 1e6, &o.cp.min_magnitude, err)))
        return m < 0 ? m : rc;
      o.cp.min_magnitude /= 100.0;
      o.cp_given |= QB_CP_MIN_CHANGE;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--window", &v, err))) {
      double w;
      if (m < 0 || (rc = qb_cli_number("detect", "--window", v, 3, 1e5, &w, err)))
        return m < 0 ? m : rc;
      o.cp.window = (size_t)w;
      o.cp_given |= QB_CP_WINDOW;
    } else {
      return qb_cli_bad_arg("detect", argv[i], err);
    }
  }
  qb_store *store = NULL;
  qb_detect_result res;
  o.dry_run = o.cp_given != 0;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) || (rc = qb_detect(store, &o, &res, err)))
    goto done;
  fprintf(cli->out,
          "analysed %zu series (%zu point%s): %zu change point%s, %zu regression%s and %zu "
          "improvement%s above the noise threshold%s\n",
          res.series, res.points, qb_cli_s(res.points), res.changes, qb_cli_s(res.changes),
          res.regressions, qb_cli_s(res.regressions), res.improvements, qb_cli_s(res.improvements),
          o.dry_run ? "; not recorded (options other than the project's settings: set them with "
                      "qbdb config set to record)"
                    : "");
done:
  qb_store_close(store);
  return rc;
}

/* cli/cmd_configs.c - `qbdb configs --by TAG`: best and worst tag values per benchmark. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "service/history.h"
#include "cli/cli.h"
#include "core/units.h"

const char cmd_configs_help[] =
    "usage: qbdb configs [--db PATH] [--project P] [--format text|json] --by TAG\n"
    "\n"
    "Compare configurations: for every benchmark and metric of the runs that carry the tag TAG\n"
    "(set with `qbdb ingest --tag TAG=VALUE` or in the native header), the tag values with the\n"
    "best and the worst level (the median over that value's runs of each run's centre), e.g.\n"
    "which network condition or resource profile is fastest.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no run carries the tag, or no database.\n";

int cmd_configs(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *tag = NULL, *fmt = "text";
  int m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--by", &tag, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--format", &fmt, err))) {
      if (m < 0) return m;
    } else {
      return qb_cli_bad_arg("configs", argv[i], err);
    }
  }
  if (!tag) return qb_err_set(err, QB_EUSAGE, "configs: --by TAG is required");
  int json;
  if ((json = qb_cli_output_format("configs", fmt, err)) < 0) return json;
  qb_store *store = NULL;
  qb_config_row *rows = NULL;
  size_t n = 0;
  qb_table t = {0};
  qb_cli_esc e = QB_CLI_ESC_INIT; /* stored text escaped for the terminal (cli/cli.h) */
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_configs_by_tag(store, project, tag, &rows, &n, err)))
    goto done;
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(
          arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:f, s:I}, s:{s:s, s:f, s:I}}",
                         "benchmark", rows[i].bench, "metric", rows[i].metric, "unit", rows[i].unit,
                         "direction", rows[i].higher_is_better ? "higher" : "lower", "values",
                         (json_int_t)rows[i].n_values, "best", "value", rows[i].best, "level",
                         rows[i].best_value, "runs", (json_int_t)rows[i].best_runs, "worst",
                         "value", rows[i].worst, "level", rows[i].worst_value, "runs",
                         (json_int_t)rows[i].worst_runs));
    rc = qb_cli_print_json(cli->out, arr, err);
    goto done;
  }
  static const char *const head[] = {"benchmark", "metric", "best", "", "worst", "", "spread"};
  if ((rc = qb_table_init(&t, 7, head, 1u << 3 | 1u << 5 | 1u << 6, err))) goto done;
  for (size_t i = 0; i < n && !rc; i++) {
    char bv[32], wv[32], sp[24];
    qb_unit_format(rows[i].best_value, rows[i].unit, bv, sizeof bv);
    qb_unit_format(rows[i].worst_value, rows[i].unit, wv, sizeof wv);
    snprintf(sp, sizeof sp, "%.1f%%", fabs(rows[i].worst_value / rows[i].best_value - 1.0) * 100.0);
    const char *row[] = {qb_cli_esc_str(&e, rows[i].bench),
                         qb_cli_esc_str(&e, rows[i].metric),
                         qb_cli_esc_str(&e, rows[i].best),
                         qb_cli_esc_str(&e, bv),
                         qb_cli_esc_str(&e, rows[i].worst),
                         qb_cli_esc_str(&e, wv),
                         sp};
    rc = qb_table_add(&t, row, err);
  }
  if (!rc) {
    fprintf(cli->out, "by tag %s:\n", qb_cli_esc_str(&e, tag));
    qb_table_print(&t, cli->out);
  }
done:
  qb_cli_esc_dispose(&e);
  qb_table_dispose(&t);
  qb_config_rows_free(rows, n);
  qb_store_close(store);
  return rc;
}

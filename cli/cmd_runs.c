/* cli/cmd_runs.c - `qbdb runs`: list stored runs. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json_out.h"
#include "view/json.h"
#include "cli/cli.h"
#include "core/time.h"
#include "schema/store.h"

const char cmd_runs_help[] =
    "usage: qbdb runs [--db PATH] [--project P] [--branch B] [--machine M] [--limit N]\n"
    "                 [--format text|json]\n"
    "\n"
    "List stored runs, newest first (by the time the benchmarks ran).\n"
    "\n"
    "  --project P    only runs of project P\n"
    "  --branch B     only runs on branch B\n"
    "  --machine M    only runs on testbed M\n"
    "  --limit N      at most N runs (default 50; 0 = all)\n"
    "  --format F     text (default) or json (an array of run objects)\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no database, 5 database refused.\n";

int cmd_runs(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_run_filter f = QB_RUN_FILTER_INIT;
  qb_store *store = NULL;
  qb_run_info *runs = NULL;
  size_t n = 0;
  qb_table t = {0};
  qb_cli_esc e = QB_CLI_ESC_INIT;
  int rc = QB_OK, json = 0, m;
  f.limit = 50;
  for (int i = 1; i < argc;) {
    const char *v = NULL;
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &f.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--branch", &f.branch, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--machine", &f.machine, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--limit", &v, err))) {
      if (m < 0) return m;
      char *end;
      long long l = strtoll(v, &end, 10);
      if (*end || !*v || l < 0)
        return qb_err_set(err, QB_EUSAGE, "runs: --limit '%s': expected a count >= 0", v);
      f.limit = l;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if ((json = qb_cli_output_format("runs", v, err)) < 0) return json;
    } else {
      return qb_cli_bad_arg("runs", argv[i], err);
    }
  }
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_store_list_runs(store, &f, &runs, &n, err)))
    goto done;
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, qb_view_run_info(&runs[i]));
    qb_json_dumpf(arr, cli->out, JSON_INDENT(2));
    fputc('\n', cli->out);
    json_decref(arr);
    goto done;
  }
  if (!n) {
    fprintf(cli->out, "no runs%s\n", f.project || f.branch || f.machine ? " match" : " yet");
    goto done;
  }
  static const char *const head[] = {"id",      "started", "project",    "branch", "commit",
                                     "machine", "format",  "benchmarks", "samples"};
  if ((rc = qb_table_init(&t, 9, head, 1u | 1u << 7 | 1u << 8, err))) goto done;
  t.keep = 1u << 1 | 1u << 4; /* a narrow terminal shortens names, not times or commits */
  for (size_t i = 0; i < n; i++) {
    char id[24], started[40], nb[24], ns[24], sha[13];
    snprintf(id, sizeof id, "%lld", (long long)runs[i].id);
    qb_time_format(runs[i].started_at, started, sizeof started);
    char *dot = strchr(started, '.');
    if (dot) strcpy(dot, "Z"); /* seconds are enough here */
    snprintf(nb, sizeof nb, "%lld", (long long)runs[i].n_benches);
    snprintf(ns, sizeof ns, "%lld", (long long)runs[i].n_samples);
    snprintf(sha, sizeof sha, "%s", runs[i].commit_sha ? runs[i].commit_sha : "-");
    /* stored text escaped for the terminal (cli/cli.h); the commit after it is cut to 12 */
    const char *row[] = {id,
                         started,
                         qb_cli_esc_str(&e, runs[i].project),
                         qb_cli_esc_str(&e, runs[i].branch),
                         qb_cli_esc_str(&e, sha),
                         qb_cli_esc_str(&e, runs[i].machine),
                         qb_cli_esc_str(&e, runs[i].format),
                         nb,
                         ns};
    if ((rc = qb_table_add(&t, row, err))) goto done;
  }
  qb_table_print(&t, cli->out);
done:
  qb_cli_esc_dispose(&e);
  qb_table_dispose(&t);
  qb_run_infos_free(runs, n);
  qb_store_close(store);
  return rc;
}

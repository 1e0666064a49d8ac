/* cli/cli.h - what the `qbdb` subcommands share: the context, the command table entry, option
 * parsing and a text table. Only cli/ prints or exits. */
#ifndef QB_CLI_CLI_H
#define QB_CLI_CLI_H

#include <stdio.h>

#include "core/err.h"
#include "schema/model.h"
#include "core/table.h"

#define QB_DEFAULT_DB "qbdb.db"

typedef struct qb_cli {
  const char *db; /* --db, else $QBDB_DB, else ./qbdb.db */
  FILE *out;      /* results */
  FILE *errs;     /* diagnostics */
} qb_cli;

typedef struct qb_cli_cmd {
  const char *name;
  int (*run)(qb_cli *cli, int argc, char **argv, qb_err *err); /* argv[0] is the command */
  const char *summary;                                         /* one line for `qbdb --help` */
  const char *help;                                            /* full text for `qbdb help CMD` */
} qb_cli_cmd;

/* The commands (cli/main.c), sorted by name. */
extern const qb_cli_cmd qb_cli_cmds[];
extern const size_t qb_cli_n_cmds;
const qb_cli_cmd *qb_cli_find(const char *name);

int cmd_compare(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_config(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_configs(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_detect(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_export(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_prune(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_grade(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_help(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_regressions(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_report(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_scaling(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_target(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_serve(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_token(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_trend(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_triage(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_upload(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_ingest(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_runs(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_show(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_version(qb_cli *cli, int argc, char **argv, qb_err *err);

extern const char cmd_export_help[];
extern const char cmd_prune_help[];
extern const char cmd_report_help[];
extern const char cmd_compare_help[], cmd_config_help[], cmd_configs_help[], cmd_detect_help[],
    cmd_grade_help[], cmd_regressions_help[], cmd_scaling_help[], cmd_serve_help[],
    cmd_token_help[], cmd_target_help[], cmd_trend_help[], cmd_triage_help[], cmd_help_help[],
    cmd_ingest_help[], cmd_runs_help[], cmd_show_help[], cmd_upload_help[], cmd_version_help[];

/* If argv[*i] is option name ("--name VALUE" or "--name=VALUE"): set *value, advance *i past
 * it and return 1. A missing value returns QB_EUSAGE with err set. Otherwise returns 0. */
int qb_cli_opt(int argc, char **argv, int *i, const char *name, const char **value, qb_err *err);

/* Parse the value v of option opt of command cmd as a number in [lo, hi] (QB_EUSAGE). */
int qb_cli_number(const char *cmd, const char *opt, const char *v, double lo, double hi,
                  double *out, qb_err *err);

/* Parse a --tag value KEY=VALUE of command cmd: out->key is a malloc'd copy of the whole text
 * with its '=' turned into a NUL, out->value points after it; free(out->key) frees both. */
int qb_cli_tag(const char *cmd, const char *v, qb_tag *out, qb_err *err);

/* Usage error for an unexpected argument of command cmd. */
int qb_cli_bad_arg(const char *cmd, const char *arg, qb_err *err);

/* Print v (indented, 17 significant digits) and a newline to f, then json_decref it. A NULL
 * v (out of memory) is QB_ENOMEM. */
struct json_t;
int qb_cli_print_json(FILE *f, struct json_t *v, qb_err *err);

/* Parse "text" or "json" for --format; returns 1 for json, 0 for text, QB_EUSAGE otherwise. */
int qb_cli_output_format(const char *cmd, const char *value, qb_err *err);

#endif

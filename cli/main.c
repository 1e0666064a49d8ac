/* cli/main.c - `qbdb`: global options, the command table, and the one map from error codes to
 * exit codes (docs/cli/README.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/table.h"

const qb_cli_cmd qb_cli_cmds[] = {
    {"bisect", cmd_bisect, "find the commit that changed a benchmark (git, sequential tests)",
     cmd_bisect_help},
    {"compare", cmd_compare, "compare two runs: what changed, how much, how sure",
     cmd_compare_help},
    {"config", cmd_config, "set, unset and list comparison settings", cmd_config_help},
    {"configs", cmd_configs, "best and worst tag values (configurations) per benchmark",
     cmd_configs_help},
    {"db", cmd_db, "database info, copy between SQLite and PostgreSQL, online backup", cmd_db_help},
    {"detect", cmd_detect, "find change points in series and record them as regressions",
     cmd_detect_help},
    {"export", cmd_export, "runs, results and raw samples as CSV or JSON", cmd_export_help},
    {"grade", cmd_grade, "grade a run: score 0-100 and a letter A+..D", cmd_grade_help},
    {"help", cmd_help, "show help for qbdb or one command", cmd_help_help},
    {"ingest", cmd_ingest, "store benchmark results (pytest, criterion, gbench, hyperfine, go...)",
     cmd_ingest_help},
    {"prune", cmd_prune, "delete old runs and raw samples (retention), then shrink the file",
     cmd_prune_help},
    {"regressions", cmd_regressions, "list detected regressions and improvements",
     cmd_regressions_help},
    {"report", cmd_report, "the regression report: new since the last one (markdown, html, json)",
     cmd_report_help},
    {"runs", cmd_runs, "list stored runs, newest first", cmd_runs_help},
    {"scaling", cmd_scaling, "fit the complexity of a benchmark family", cmd_scaling_help},
    {"show", cmd_show, "show one run's results per benchmark and metric", cmd_show_help},
    {"serve", cmd_serve, "serve the HTTP API and the web page", cmd_serve_help},
    {"target", cmd_target, "set, list and remove performance budgets", cmd_target_help},
    {"token", cmd_token, "create, list and revoke API tokens", cmd_token_help},
    {"trend", cmd_trend, "a benchmark's history, change points and direction", cmd_trend_help},
    {"triage", cmd_triage, "mark a regression acknowledged, invalid or fixed", cmd_triage_help},
    {"upload", cmd_upload, "send results to a qbdb server (POST /api/v1/runs)", cmd_upload_help},
    {"version", cmd_version, "print the qbdb version", cmd_version_help},
};
const size_t qb_cli_n_cmds = sizeof qb_cli_cmds / sizeof qb_cli_cmds[0];

const qb_cli_cmd *qb_cli_find(const char *name) {
  for (size_t i = 0; i < qb_cli_n_cmds; i++)
    if (!strcmp(qb_cli_cmds[i].name, name)) return &qb_cli_cmds[i];
  return NULL;
}

/* Exit codes, one per error code (documented in docs/cli/README.md). */
static int exit_code(int rc) {
  switch (rc) {
    case QB_OK:
      return 0;
    case QB_EUSAGE:
    case QB_EAUTH:
    case QB_EFORBIDDEN:
      return 2;
    case QB_EFORMAT:
    case QB_ETOOLARGE:
      return 3;
    case QB_ENOTFOUND:
      return 4;
    case QB_EDB:
    case QB_EUNAVAILABLE:
      return 5;
    case QB_EIO:
      return 6;
    case QB_EREGRESSION:
      return 1;
    case QB_EINTERRUPTED:
      return 130; /* 128 + SIGINT, what a shell reports for a command stopped by ^C */
    default:
      return 7; /* QB_ENOMEM, QB_EINTERNAL, anything unexpected */
  }
}

static void print_usage(FILE *f) {
  fprintf(f, "usage: qbdb [--db PATH] COMMAND [ARGS...]\n\ncommands:\n");
  for (size_t i = 0; i < qb_cli_n_cmds; i++)
    fprintf(f, "  %-12s %s\n", qb_cli_cmds[i].name, qb_cli_cmds[i].summary);
  fprintf(f,
          "\nThe database is --db PATH, else $QBDB_DB, else ./%s.\n"
          "`qbdb help COMMAND` shows a command's options. Exit codes: 0 ok, 1 regression\n"
          "found (compare --fail-on), 2 usage error, 3 bad input data, 4 not found,\n"
          "5 database refused, 6 i/o error, 7 internal error.\n",
          QB_DEFAULT_DB);
}

const char cmd_help_help[] = "usage: qbdb help [COMMAND]\n\n"
                             "Without COMMAND, list the commands; with it, show its options.\n";

int cmd_help(qb_cli *cli, int argc, char **argv, qb_err *err) {
  if (argc < 2) {
    print_usage(cli->out);
    return QB_OK;
  }
  if (argc > 2) return qb_cli_bad_arg("help", argv[2], err);
  const qb_cli_cmd *c = qb_cli_find(argv[1]);
  if (!c) return qb_err_set(err, QB_EUSAGE, "help: unknown command '%s'", argv[1]);
  fputs(c->help, cli->out);
  return QB_OK;
}

const char cmd_version_help[] = "usage: qbdb version   (also: qbdb --version)\n\n"
                                "Print the qbdb version.\n";

int cmd_version(qb_cli *cli, int argc, char **argv, qb_err *err) {
  if (argc > 1) return qb_cli_bad_arg("version", argv[1], err);
  fprintf(cli->out, "qbdb %s\n", QB_VERSION);
  return QB_OK;
}

/* Flush and close standard output and say whether everything written to it arrived: 0, or
 * QB_EIO with err set ("cannot write to standard output: REASON"). A command's output that
 * was lost (a full disk, /dev/full, a closed pipe with SIGPIPE ignored) is an error, exit 6. */
static int close_stdout(qb_err *err) {
  errno = 0;
  int e = fflush(stdout) != 0 ? (errno ? errno : -1) : 0;
  if (!e && ferror(stdout)) e = -1; /* an earlier write failed; its errno is gone */
  errno = 0;
  if (fclose(stdout) != 0 && !e) e = errno ? errno : -1;
  if (!e) return QB_OK;
  return qb_err_set(err, QB_EIO, "cannot write to standard output: %s",
                    e > 0 ? strerror(e) : "write error");
}

/* The width text tables keep to (docs/cli/README.md, "Output: table widths"): COLUMNS when set to
 * a number, else the terminal's width when standard output is one (80 when it cannot tell), else
 * none: a pipe or a file gets whole benchmark names. */
static size_t table_width(void) {
  const char *c = getenv("COLUMNS");
  if (c && *c) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(c, &end, 10);
    if (!*end && !errno && v > 0 && v < 100000 && *c != '-') return (size_t)v;
  }
  if (!isatty(STDOUT_FILENO)) return 0;
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

/* Print "qbdb: error: MESSAGE" on stderr, control bytes of the message escaped (it may quote
 * a file name or stored text). */
static void print_error(int rc, const qb_err *err) {
  fputs("qbdb: error: ", stderr);
  qb_cli_fputs_esc(err->msg[0] ? err->msg : qb_rc_name(rc), stderr);
  fputc('\n', stderr);
}

/* The exit status of a command that returned rc: standard output is checked first. A write
 * error there is exit 6 when the command succeeded; when it failed, its own error and exit code
 * stand and the write error is a second line (unless the command reported an I/O error). */
static int finish(int rc, qb_err *err) {
  qb_err werr = QB_ERR_INIT;
  int wrc = close_stdout(&werr);
  if (rc != QB_OK) print_error(rc, err);
  if (wrc && rc != QB_EIO) print_error(wrc, &werr);
  return exit_code(rc != QB_OK ? rc : wrc);
}

int main(int argc, char **argv) {
  qb_cli cli = {NULL, stdout, stderr};
  qb_err err = QB_ERR_INIT;
  int rc = QB_OK;
  /* Global options before the command. */
  int i = 1;
  while (i < argc && argv[i][0] == '-') {
    int m = 0;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      print_usage(stdout);
      return finish(QB_OK, &err);
    }
    if (!strcmp(argv[i], "--version")) {
      printf("qbdb %s\n", QB_VERSION);
      return finish(QB_OK, &err);
    }
    if ((m = qb_cli_opt(argc, argv, &i, "--db", &cli.db, &err)) < 0) return finish(m, &err);
    if (!m)
      return finish(qb_err_set(&err, QB_EUSAGE, "unknown option '%s' (see: qbdb --help)", argv[i]),
                    &err);
  }
  if (i >= argc) {
    print_usage(stderr);
    return exit_code(QB_EUSAGE);
  }
  const qb_cli_cmd *cmd = qb_cli_find(argv[i]);
  if (!cmd)
    return finish(qb_err_set(&err, QB_EUSAGE, "unknown command '%s' (see: qbdb --help)", argv[i]),
                  &err);
  /* --db may also follow the command; -h/--help anywhere shows the command's help. */
  int n = 0;
  char **args = malloc((size_t)(argc - i + 1) * sizeof *args);
  if (!args) return exit_code(QB_ENOMEM);
  for (int k = i; k < argc;) {
    if (k > i && (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h"))) {
      fputs(cmd->help, stdout);
      free(args);
      return finish(QB_OK, &err);
    }
    if (!strcmp(argv[k], "--")) {
      while (k < argc) args[n++] = argv[k++];
      break;
    }
    int m = k > i ? qb_cli_opt(argc, argv, &k, "--db", &cli.db, &err) : 0;
    if (m < 0) {
      free(args);
      return finish(m, &err);
    }
    if (!m) args[n++] = argv[k++];
  }
  args[n] = NULL;
  if (!cli.db) cli.db = getenv("QBDB_DB");
  if (!cli.db || !*cli.db) cli.db = QB_DEFAULT_DB;
  /* the server's text answers (GET /api/v1/compare?format=text) are never shortened */
  if (strcmp(cmd->name, "serve")) qb_table_set_default_width(table_width());
  rc = cmd->run(&cli, n, args, &err);
  free(args);
  return finish(rc, &err);
}

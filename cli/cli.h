/* cli/cli.h - what the `qbdb` subcommands share: the context, the command table entry, option
 * parsing, terminal-safe text and output files. Only cli/ prints or exits.
 *
 * Ownership: escaped copies belong to the qb_cli_esc that made them (qb_cli_esc_dispose frees
 * them); a qb_cli_outfile owns its stream and temporary file name until qb_cli_out_close. */
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

int cmd_bisect(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_compare(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_config(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_configs(qb_cli *cli, int argc, char **argv, qb_err *err);
int cmd_db(qb_cli *cli, int argc, char **argv, qb_err *err);
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

extern const char cmd_db_help[];
extern const char cmd_export_help[];
extern const char cmd_prune_help[];
extern const char cmd_report_help[];
extern const char cmd_bisect_help[], cmd_compare_help[], cmd_config_help[], cmd_configs_help[],
    cmd_detect_help[], cmd_grade_help[], cmd_regressions_help[], cmd_scaling_help[],
    cmd_serve_help[], cmd_token_help[], cmd_target_help[], cmd_trend_help[], cmd_triage_help[],
    cmd_help_help[], cmd_ingest_help[], cmd_runs_help[], cmd_show_help[], cmd_upload_help[],
    cmd_version_help[];

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

/* Stored or input text (names, notes, branches...) made safe to print on a terminal in text
 * formats (tables, lines, markdown; not JSON or CSV, which escape by their own rules): C0
 * controls (newline, tab and ESC included), DEL, C1 controls (U+0080..U+009F) and bytes that
 * are not valid UTF-8 are shown as \xNN, one per byte. docs/reliability.md, "Hostile files and
 * terminals". */
typedef struct qb_cli_esc {
  char **copies; /* the escaped copies made, freed by qb_cli_esc_dispose */
  size_t n, cap;
} qb_cli_esc;
#define QB_CLI_ESC_INIT                                                                            \
  { NULL, 0, 0 }

/* s itself when it needs no escaping (NULL for NULL), else an escaped copy owned by e and valid
 * until qb_cli_esc_dispose(e); "?" when out of memory (never the raw text). */
const char *qb_cli_esc_str(qb_cli_esc *e, const char *s);
void qb_cli_esc_dispose(qb_cli_esc *e);
/* fputs of the escaped s. */
void qb_cli_fputs_esc(const char *s, FILE *f);

/* A rendered text document (a table, markdown: `compare`, `report`, a server's answer) written
 * to f with the escaping of qb_cli_esc_str applied to its n bytes, newlines excepted: for
 * documents whose user text cannot be escaped field by field (view/ renders them). A NUL byte is
 * \x00. */
void qb_cli_write_doc(FILE *f, const char *s, size_t n);
/* 1 when qb_cli_write_doc would escape something in these n bytes. */
int qb_cli_doc_needs_esc(const char *s, size_t n);

/* One CSV text field (as view/export.c writes them, docs/cli/export.md): quoted when it holds
 * a comma, quote, CR or LF (quotes doubled), and with a leading apostrophe when it starts with
 * =, +, -, @, tab or CR, so a spreadsheet does not run it as a formula. NULL writes nothing. */
void qb_cli_csv_text(FILE *f, const char *s);

/* An --out FILE being written (docs/cli/report.md, "--out FILE"): a regular file or a new name
 * is written to a temporary file made with mkstemp in the same folder, then renamed over it
 * (its mode and, as root, owner kept); a character device, fifo or socket is written in place
 * (never replaced); a symbolic link is followed only to one of those, else refused, as are
 * directories and block devices. /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are
 * the descriptor already open, written where it stands (what a shell's redirection does). */
typedef struct qb_cli_outfile {
  FILE *f;          /* write here */
  const char *what; /* the command, for messages ("report") */
  const char *path; /* borrowed */
  char *tmp;        /* the temporary file, or NULL when written in place */
} qb_cli_outfile;
#define QB_CLI_OUTFILE_INIT                                                                        \
  { NULL, NULL, NULL, NULL }

/* Open path for command what. Errors (QB_EIO): "WHAT: PATH: cannot write: REASON". */
int qb_cli_out_open(qb_cli_outfile *o, const char *what, const char *path, qb_err *err);
/* keep: flush, sync and close, then rename the temporary file into place; any failure is
 * QB_EIO and removes the temporary file. !keep: close and remove the temporary file (the
 * target is untouched). Safe to call twice, or on a QB_CLI_OUTFILE_INIT never opened. */
int qb_cli_out_close(qb_cli_outfile *o, int keep, qb_err *err);

/* Open path to append to (`ingest --summary`, `upload --summary`, $GITHUB_STEP_SUMMARY):
 * a regular file, created with mode 0644 (less the umask) when absent, is appended to; a fifo or
 * a character device (/dev/null, /dev/tty, a named pipe) is written in place; /dev/stdout,
 * /dev/stderr, /dev/fd/N and /proc/self/fd/N are the descriptor already open. A symbolic link is
 * never followed (O_NOFOLLOW: a link planted at the name cannot make qbdb append to the file it
 * names); a directory, block device or socket is refused. Returns the stream, or NULL with *why
 * set to a static reason or strerror(errno) (docs/cli/ingest.md, "--summary FILE"). */
FILE *qb_cli_append_open(const char *path, const char **why);

/* This host's name (gethostname), the machine of a run whose file names none; NULL when it
 * has none. Static storage. */
const char *qb_cli_hostname(void);

/* "s" unless n is 1: "%zu regression%s", n, qb_cli_s(n). */
static inline const char *qb_cli_s(size_t n) {
  return n == 1 ? "" : "s";
}

#endif

/* cli/cmd_report.c - `qbdb report`: the nightly regression report (docs/cli/report.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/notify.h"
#include "service/report.h"
#include "cli/cli.h"
#include "core/time.h"
#include "view/report.h"

const char cmd_report_help[] =
    "usage: qbdb report [--db PATH] [--project P] [--since 24h|7d|DATE | --from RUN --to RUN]\n"
    "                   [--format markdown|html|json] [--out FILE] [--no-record]\n"
    "                   [--fail-on SEVERITY] [--notify URL] [--notify-timeout SECONDS]\n"
    "\n"
    "The regression report: an executive summary (grade per project, branch and machine,\n"
    "regressions by severity, targets broken), the new regressions (worst first, with the\n"
    "first bad run and commit range, before/after, change, p-value and a small chart), the new\n"
    "improvements, the regressions still open (by age), broken targets, trend directions,\n"
    "scaling notes, best and worst configurations by tag, and recommendations.\n"
    "\n"
    "What is new: by default, every change not listed by an earlier recorded report of the\n"
    "same scope (--project, or every project); that report is then recorded, so a nightly job\n"
    "shows each change once. --since and --from/--to choose a window instead and are never\n"
    "recorded; --no-record (or --dry-run) previews the default window without recording it.\n"
    "\n"
    "  --project P          only project P (default: every project)\n"
    "  --since T            changes detected since T: 90m, 24h, 7d, 2w or a date/time\n"
    "                       (2026-11-24, 2026-11-24T06:00Z)\n"
    "  --from RUN, --to RUN changes whose first bad run is after FROM and up to TO (run\n"
    "                       references: id, BRANCH@latest, BRANCH~N, commit prefix)\n"
    "  --format F           markdown (default; PR comments, chat), html (one self-contained\n"
    "                       file for mail and browsers) or json (the contract)\n"
    "  --out FILE           write the report to FILE (atomically: a new file renamed over it; a\n"
    "                       device or fifo is written in place; a symbolic link is refused\n"
    "                       unless it names a device or pipe) and print a summary line\n"
    "  --no-record          do not record the report (also --dry-run)\n"
    "  --fail-on SEV        exit 1 when a new regression is at least SEV (minor .. critical)\n"
    "  --notify URL         POST a JSON summary (with a Slack-compatible \"text\") to URL after\n"
    "                       the report is written; retried, never longer than the timeout\n"
    "  --notify-timeout S   the whole notification's time limit in seconds (default 10)\n"
    "\n"
    "Exit codes: 0 ok, 1 a new regression at or above --fail-on, 2 usage, 4 no such project,\n"
    "run or database, 5 database refused, 6 the output could not be written or the\n"
    "notification failed (the report itself was written and recorded).\n";

/* Parse --since: an age before now (core/time.h: 90s, 30m, 24h, 7d, 2w) or a date/time. */
static int parse_since(const char *v, int64_t now, int64_t *out, qb_err *err) {
  if (qb_time_parse_since(v, now, out) == QB_OK) return QB_OK;
  return qb_err_set(err, QB_EUSAGE,
                    "report: --since '%s': expected a duration (90m, 24h, 7d, 2w) or a date "
                    "(2026-11-24, 2026-11-24T06:00Z)",
                    v);
}

/* The worst severity among the new regressions (QB_SEV_NONE when none). */
static qb_severity worst_new(const qb_report *r) {
  for (int s = QB_SEV_CRITICAL; s > QB_SEV_NONE; s--)
    if (r->new_by_severity[s]) return (qb_severity)s;
  return QB_SEV_NONE;
}

/* `qbdb report`: build, record with the output (default window), write, notify, --fail-on. */
int cmd_report(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_report_opts o = QB_REPORT_OPTS_INIT;
  qb_report_format fmt = QB_REPORT_MARKDOWN;
  qb_severity fail_on = QB_SEV_NONE;
  const char *since = NULL, *out_path = NULL, *notify = NULL, *v;
  double notify_s = 10;
  int m, rc, no_record = 0;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &o.project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--since", &since, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--from", &o.from_ref, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--to", &o.to_ref, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--out", &out_path, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--notify", &notify, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if (qb_report_format_parse(v, &fmt))
        return qb_err_set(err, QB_EUSAGE, "report: --format '%s': expected markdown, html or json",
                          v);
    } else if ((m = qb_cli_opt(argc, argv, &i, "--fail-on", &v, err))) {
      if (m < 0) return m;
      if ((rc = qb_severity_parse_arg("report: --fail-on", v, 0, &fail_on, err))) return rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--notify-timeout", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("report", "--notify-timeout", v, 0.1, 3600, &notify_s, err)))
        return m < 0 ? m : rc;
    } else if (!strcmp(argv[i], "--no-record") || !strcmp(argv[i], "--dry-run")) {
      no_record = 1;
      i++;
    } else {
      return qb_cli_bad_arg("report", argv[i], err);
    }
  }
  if (since && (o.from_ref || o.to_ref))
    return qb_err_set(err, QB_EUSAGE, "report: --since and --from/--to are exclusive");
  o.now = qb_time_now();
  if (since && (rc = parse_since(since, o.now, &o.since, err))) return rc;
  if (out_path && !*out_path) return qb_err_set(err, QB_EUSAGE, "report: --out needs a file name");
  if (notify && strncasecmp(notify, "http://", 7) != 0 && strncasecmp(notify, "https://", 8) != 0)
    return qb_err_set(err, QB_EUSAGE, "report: --notify '%s': expected an http:// or https:// URL",
                      notify);

  qb_store *store = NULL;
  qb_report *r = NULL;
  qb_buf text, body;
  int in_tx = 0;
  qb_cli_outfile out = QB_CLI_OUTFILE_INIT;
  qb_cli_esc e = QB_CLI_ESC_INIT;
  qb_buf_init(&text, (size_t)1 << 30);
  qb_buf_init(&body, (size_t)1 << 24);
  if ((rc = qb_store_open(&store, cli->db, 0, err)) || (rc = qb_report_build(store, &o, &r, err)))
    goto done;
  /* --out is opened before the write transaction, so a fifo without a reader yet does not hold
   * the database's write lock (cli/cli.h qb_cli_out_open: a regular file is replaced through a
   * mkstemp file in its folder; a device or fifo is written in place; symlinks refused) */
  if (out_path && (rc = qb_cli_out_open(&out, "report", out_path, err))) goto done;
  /* the default window is recorded together with writing the report: both or neither */
  int record = r->window == QB_REPORT_SINCE_LAST && !no_record;
  if (record) {
    if ((rc = qb_store_begin(store, err))) goto done;
    in_tx = 1;
    if ((rc = qb_report_save(store, r, qb_report_format_name(fmt), err))) goto done;
  }
  if ((rc = qb_report_render(r, fmt, &text, err))) goto done;
  /* markdown is read on terminals (and pasted from them): its stored text (benchmark names,
   * branches, machines, notes) escaped as \xNN (cli/cli.h); html and json escape by their own
   * rules and are written as rendered */
  FILE *to = out_path ? out.f : cli->out;
  if (fmt == QB_REPORT_MARKDOWN)
    qb_cli_write_doc(to, text.data, text.len);
  else if (text.len)
    fwrite(text.data, 1, text.len, to); /* a short write sets the error flag */
  if (out_path) {
    if ((rc = qb_cli_out_close(&out, 1, err))) goto done;
  } else {
    if (fflush(cli->out) != 0 || ferror(cli->out)) {
      rc = qb_err_set(err, QB_EIO, "report: cannot write to standard output: %s", strerror(errno));
      goto done;
    }
  }
  if (in_tx) {
    in_tx = 0;
    if ((rc = qb_store_commit(store, err))) goto done;
  }
  char sev[160] = "";
  size_t at = 0;
  for (int s = QB_SEV_CRITICAL; s > QB_SEV_NONE; s--)
    if (r->new_by_severity[s]) {
      int w = snprintf(sev + at, sizeof sev - at, "%s%zu %s", at ? ", " : " (",
                       r->new_by_severity[s], qb_severity_name((qb_severity)s));
      if (w > 0 && (size_t)w < sizeof sev - at) at += (size_t)w;
    }
  if (at) snprintf(sev + at, sizeof sev - at, ")");
  if (out_path) {
    if (r->id)
      fprintf(cli->out, "report #%lld", (long long)r->id);
    else
      fprintf(cli->out, "report (not recorded)");
    fprintf(cli->out,
            ": %zu new regression%s%s, %zu new improvement%s, %zu still open, %zu target%s "
            "broken -> %s\n",
            r->n_new_regressions, r->n_new_regressions == 1 ? "" : "s", sev, r->n_new_improvements,
            r->n_new_improvements == 1 ? "" : "s", r->n_open_regressions, r->targets_broken,
            r->targets_broken == 1 ? "" : "s", qb_cli_esc_str(&e, out_path));
  }
  int fail = fail_on != QB_SEV_NONE && worst_new(r) >= fail_on;
  if (notify) {
    qb_notify_opts no = QB_NOTIFY_OPTS_INIT;
    qb_notify_result nres = {0, 0};
    qb_err nerr = QB_ERR_INIT;
    no.url = notify;
    no.total_ms = (long)(notify_s * 1000);
    if (no.attempt_ms > no.total_ms) no.attempt_ms = no.total_ms;
    int nrc = qb_report_notify_body(r, &body, &nerr);
    if (!nrc) nrc = qb_notify_post(&no, body.data, body.len, &nres, &nerr);
    if (nrc && fail) {
      fputs("qbdb: warning: report: notification failed: ", cli->errs);
      qb_cli_fputs_esc(nerr.msg, cli->errs);
      fputc('\n', cli->errs);
    } else if (nrc) {
      rc = qb_err_set(err, QB_EIO, "report: written%s, but the notification failed: %s",
                      r->id ? " and recorded" : "", nerr.msg);
      goto done;
    } else if (out_path) {
      char where[512];
      qb_notify_url_display(notify, where, sizeof where);
      fprintf(cli->out, "notified %s (HTTP %ld)\n", qb_cli_esc_str(&e, where), nres.status);
    }
  }
  if (fail)
    rc =
        qb_err_set(err, QB_EREGRESSION, "report: %zu new regression%s, the worst %s (--fail-on %s)",
                   r->n_new_regressions, r->n_new_regressions == 1 ? "" : "s",
                   qb_severity_name(worst_new(r)), qb_severity_name(fail_on));
done:
  qb_cli_esc_dispose(&e);
  qb_cli_out_close(&out, 0, NULL); /* not written: the temporary file removed, FILE untouched */
  if (in_tx) qb_store_rollback(store);
  qb_buf_dispose(&text);
  qb_buf_dispose(&body);
  qb_report_free(r);
  qb_store_close(store);
  return rc;
}

/* cli/cmd_regressions.c - `qbdb regressions` and `qbdb triage`. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "view/json.h"
#include "cli/cli.h"
#include "service/regression_bisects.h"
#include "core/time.h"
#include "core/units.h"

const char cmd_regressions_help[] =
    "usage: qbdb regressions [--db PATH] [--project P] [--status open|acknowledged|invalid|fixed]\n"
    "                        [--kind regression|improvement] [--min-severity SEV] [--all]\n"
    "                        [--limit N] [--format text|json|markdown]\n"
    "\n"
    "List the changes `qbdb detect` (and ingest) found, newest first, grouped by the commit\n"
    "range they start in. By default: open regressions of severity minor or worse that are still\n"
    "detected; --all also lists improvements, any status, any severity and the records no longer\n"
    "detected, which are never deleted: each says since when it is gone, or which record was\n"
    "found in its place (the change moved to a neighbouring run; that record took its triage).\n"
    "A record searched with `qbdb bisect` shows under it what its newest session found (text)\n"
    "or its state; --format json gives that session as \"bisect\" (null: none).\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no database, 5 database refused.\n";

const char cmd_triage_help[] =
    "usage: qbdb triage [--db PATH] ID acknowledged|invalid|fixed|open [--note TEXT]\n"
    "\n"
    "Set the status of regression ID (from `qbdb regressions`), with an optional note; the\n"
    "user ($USER) and the time are recorded.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no such regression or no database, 5 database refused.\n";

/* The line(s) under a record with a bisect session b (text only): what the newest session found
 * (a line per change it found: `bisected (#3): ad1018a15b "subject" +9.8%`), or that it is
 * running, failed, or did not find a step. Stored text is escaped (qb_cli_esc_str). */
static void print_bisect(FILE *f, qb_cli_esc *e, const qb_bisect_record *b) {
  long long id = (long long)b->id;
  json_t *st = b->state ? json_loads(b->state, 0, NULL) : NULL;
  json_t *res = json_object_get(st, "result"), *steps = json_object_get(res, "steps"), *s;
  const char *outcome = json_string_value(json_object_get(res, "outcome"));
  size_t i;
  if (!res) {
    fprintf(f, "    bisect #%lld %s\n", id, qb_cli_esc_str(e, b->status));
  } else if (!outcome || strcmp(outcome, "found") || !json_array_size(steps)) {
    fprintf(f, "    bisect #%lld: %s\n", id, qb_cli_esc_str(e, outcome ? outcome : "no result"));
  } else {
    json_array_foreach(steps, i, s) {
      const char *before = json_string_value(json_object_get(s, "before")),
                 *after = json_string_value(json_object_get(s, "after")),
                 *subject = json_string_value(json_object_get(s, "subject"));
      json_int_t commits = json_integer_value(json_object_get(s, "commits"));
      json_t *pct = json_object_get(s, "change_pct");
      char a[16], range[80], change[32] = "";
      snprintf(a, sizeof a, "%.10s", after ? after : "?");
      if (commits > 1) /* untestable commits between: the range */
        snprintf(range, sizeof range, "%.10s..%s (%lld commits)", before ? before : "?", a,
                 (long long)commits);
      else
        snprintf(range, sizeof range, "%s", a);
      if (json_is_number(pct)) snprintf(change, sizeof change, " %+.1f%%", json_number_value(pct));
      fprintf(f, "    bisected (#%lld): %s \"%s\"%s%s\n", id, qb_cli_esc_str(e, range),
              qb_cli_esc_str(e, subject ? subject : ""), change,
              json_is_true(json_object_get(s, "confirmed")) ? "" : " (not confirmed)");
    }
  }
  json_decref(st);
}

/* Text or markdown: one block per commit range, each record with its newest bisect session
 * (bis->of[i], text only). Stored text (commits, names, notes, status) is escaped for the
 * terminal (cli/cli.h qb_cli_esc_str). */
static void print_grouped(FILE *f, const qb_regression *r, size_t n, int md,
                          const qb_regression_bisects *bis) {
  qb_cli_esc e = QB_CLI_ESC_INIT;
  for (size_t i = 0; i < n; i++) {
    int new_group = i == 0 || r[i].run_id != r[i - 1].run_id;
    if (new_group) {
      char t[40];
      qb_time_format(r[i].time, t, sizeof t);
      fprintf(f,
              md ? "%s### %s..%s (run %lld, %s)\n\n| id | benchmark | metric | before | after | "
                   "change | p | severity | status |\n|---:|---|---|---:|---:|---:|---:|---|---|\n"
                 : "%scommit range %s..%s (run %lld, %s)\n",
              i ? "\n" : "", r[i].prev_commit_sha ? qb_cli_esc_str(&e, r[i].prev_commit_sha) : "?",
              r[i].commit_sha ? qb_cli_esc_str(&e, r[i].commit_sha) : "?", (long long)r[i].run_id,
              t);
    }
    char b[32], a[32];
    qb_unit_format(r[i].before, r[i].series.unit, b, sizeof b);
    qb_unit_format(r[i].after, r[i].series.unit, a, sizeof a);
    const char *bench = qb_cli_esc_str(&e, r[i].series.bench),
               *metric = qb_cli_esc_str(&e, r[i].series.metric),
               *kind = qb_cli_esc_str(&e, r[i].kind), *sev = qb_cli_esc_str(&e, r[i].severity),
               *status = qb_cli_esc_str(&e, r[i].status), *note = qb_cli_esc_str(&e, r[i].note),
               *before = qb_cli_esc_str(&e, b), *after = qb_cli_esc_str(&e, a); /* stored unit */
    char p[24], gone[64] = "";
    qb_pvalue_format(r[i].p_value, p, sizeof p);
    /* a record detection no longer finds: what took its place, or since when it is gone */
    if (!r[i].active && r[i].superseded_by) {
      snprintf(gone, sizeof gone, ", superseded by #%lld", (long long)r[i].superseded_by);
    } else if (!r[i].active) {
      char t[40] = "";
      if (r[i].gone_at != QB_TIME_NONE) qb_time_format(r[i].gone_at, t, sizeof t);
      t[10] = '\0'; /* the day */
      snprintf(gone, sizeof gone, ", gone%s%s", *t ? " since " : "", t);
    }
    if (md)
      fprintf(f, "| %lld | %s | %s | %s | %s | %+.2f%% | %s | %s %s | %s%s |\n", (long long)r[i].id,
              bench, metric, before, after, r[i].change_pct, p, sev, kind, status, gone);
    else
      fprintf(f, "  #%-5lld %-11s %-8s %s (%s) %s -> %s  %+.2f%%  p %s  [%s%s]%s%s\n",
              (long long)r[i].id, kind, sev, bench, metric, before, after, r[i].change_pct, p,
              status, gone, note ? "  note: " : "", note ? note : "");
    if (!md && bis->of && bis->of[i]) print_bisect(f, &e, bis->of[i]);
  }
  qb_cli_esc_dispose(&e);
}

int cmd_regressions(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
  const char *fmt = "text", *v;
  int m, rc, all = 0, have_status = 0, have_kind = 0, have_sev = 0;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &f.project, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--status", &f.status, err))) {
      if (m < 0) return m;
      have_status = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--kind", &f.kind, err))) {
      if (m < 0) return m;
      have_kind = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--min-severity", &v, err))) {
      if (m < 0) return m;
      qb_severity s;
      int rc = qb_severity_parse_arg("regressions: --min-severity", v, 1, &s, err);
      if (rc) return rc;
      f.min_severity = (int)s;
      have_sev = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--limit", &v, err))) {
      if (m < 0) return m;
      f.limit = strtoll(v, NULL, 10);
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &fmt, err))) {
      if (m < 0) return m;
      if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "markdown"))
        return qb_err_set(err, QB_EUSAGE,
                          "regressions: --format '%s': expected text, json or "
                          "markdown",
                          fmt);
    } else if (!strcmp(argv[i], "--all")) {
      all = 1;
      i++;
    } else {
      return qb_cli_bad_arg("regressions", argv[i], err);
    }
  }
  if (f.status && strcmp(f.status, "open") && strcmp(f.status, "acknowledged") &&
      strcmp(f.status, "invalid") && strcmp(f.status, "fixed"))
    return qb_err_set(err, QB_EUSAGE,
                      "regressions: --status '%s': expected open, acknowledged, "
                      "invalid or fixed",
                      f.status);
  if (!all) {
    if (!have_status) f.status = "open";
    if (!have_kind) f.kind = "regression";
    if (!have_sev) f.min_severity = 1;
    f.active_only = 1;
  }
  qb_store *store = NULL;
  qb_regression *regs = NULL;
  size_t n = 0;
  qb_regression_bisects bis = QB_REGRESSION_BISECTS_INIT;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_store_regressions_list(store, &f, &regs, &n, err)) ||
      (rc = qb_regression_bisects_find(store, regs, n, &bis, err)))
    goto done;
  if (!strcmp(fmt, "json"))
    rc = qb_cli_print_json(cli->out, qb_view_regressions_with_bisects(regs, n, &bis), err);
  else if (!n)
    fprintf(cli->out, "no %s match\n", all ? "changes" : "open regressions");
  else
    print_grouped(cli->out, regs, n, !strcmp(fmt, "markdown"), &bis);
done:
  qb_regression_bisects_dispose(&bis);
  qb_regressions_free(regs, n);
  qb_store_close(store);
  return rc;
}

int cmd_triage(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *pos[2] = {NULL, NULL}, *note = NULL;
  int n_pos = 0, m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--note", &note, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && n_pos < 2) {
      pos[n_pos++] = argv[i++];
    } else {
      return qb_cli_bad_arg("triage", argv[i], err);
    }
  }
  if (n_pos != 2) return qb_err_set(err, QB_EUSAGE, "triage: expected ID and a status");
  char *end;
  long long id = strtoll(pos[0], &end, 10);
  if (!*pos[0] || *end || id <= 0)
    return qb_err_set(err, QB_EUSAGE, "triage: '%s' is not a regression id", pos[0]);
  const char *st = pos[1];
  if (strcmp(st, "acknowledged") && strcmp(st, "invalid") && strcmp(st, "fixed") &&
      strcmp(st, "open"))
    return qb_err_set(err, QB_EUSAGE,
                      "triage: status '%s': expected acknowledged, invalid, fixed or open", st);
  const char *who = getenv("USER");
  qb_store *store = NULL;
  if ((rc = qb_store_open(&store, cli->db, 0, err)) ||
      (rc = qb_store_regression_triage(store, id, st, note, who ? who : "unknown", err)))
    goto done;
  fprintf(cli->out, "regression %lld: %s\n", id, st);
done:
  qb_store_close(store);
  return rc;
}

/* cli/cmd_config.c - `qbdb config`: the comparison settings stored in the database. */
#include <stdlib.h>
#include <string.h>

#include "service/compare.h"
#include "service/history.h"
#include "cli/cli.h"

const char cmd_config_help[] =
    "usage: qbdb config set   [--db PATH] [--project P] [--benchmark GLOB] KEY VALUE\n"
    "       qbdb config unset [--db PATH] [--project P] [--benchmark GLOB] KEY\n"
    "       qbdb config list  [--db PATH] [--project P]\n"
    "       qbdb config get   [--db PATH] [--project P] [--benchmark NAME]\n"
    "\n"
    "Settings of `qbdb compare` and of change-point detection, stored in the database, for\n"
    "every project (no --project) or\n"
    "one, and for every benchmark (no --benchmark) or those matching a glob. For each key the\n"
    "most specific matching setting wins: a project's own beats every project's, and a longer\n"
    "glob beats a shorter one. Flags of `qbdb compare` beat all settings.\n"
    "\n"
    "keys (defaults):\n"
    "  alpha 0.05       significance level for Benjamini-Hochberg adjusted p-values\n"
    "  threshold 1      smallest change that counts, in percent\n"
    "  moderate 5       severity boundaries in percent: minor below moderate,\n"
    "  major 10         moderate below major, major below critical,\n"
    "  critical 25      critical from here up\n"
    "  noise_runs 5     baseline runs since the last change point needed for a noise estimate\n"
    "  noise_unknown 10 percent: with fewer, the smallest change that counts\n"
    "  window 30        change points: points on each side a candidate is judged on\n"
    "  max_p 0.001      change points: the largest p-value kept\n"
    "  min_change 0     change points: the smallest change kept, in percent\n"
    "  min_change.METRIC  for one metric: the smallest change that counts anywhere (compare,\n"
    "                   verdicts, change points), in percent, in place of threshold and\n"
    "                   noise_unknown; built in: instructions 0.5, cycles 0.5 (0: none)\n"
    "  default_branch main  the base branch of pull requests and new branches (a name;\n"
    "                   project-wide, no --benchmark)\n"
    "  repo_url -       the project's repository, http:// or https:// (the web page links\n"
    "                   commits as REPO_URL/commit/SHA; --project needed, no --benchmark)\n"
    "Detection settings apply to detect, ingest, upload, trend and report alike; setting or\n"
    "unsetting one analyses the change points of the matching series again at once.\n"
    "\n"
    "`get` prints the effective values for a benchmark name (or for the project).\n"
    "Exit codes: 0 ok, 2 usage (unknown key, value out of range), 4 unset of a missing setting\n"
    "or no database, 5 database refused.\n";

int cmd_config(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *glob = NULL, *pos[3] = {NULL, NULL, NULL};
  int n_pos = 0, m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
        (m = qb_cli_opt(argc, argv, &i, "--benchmark", &glob, err))) {
      if (m < 0) return m;
    } else if (argv[i][0] != '-' && n_pos < 3) {
      pos[n_pos++] = argv[i++];
    } else {
      return qb_cli_bad_arg("config", argv[i], err);
    }
  }
  const char *verb = pos[0];
  int want = !verb                                           ? -1
             : !strcmp(verb, "set")                          ? 3
             : !strcmp(verb, "unset")                        ? 2
             : !strcmp(verb, "list") || !strcmp(verb, "get") ? 1
                                                             : -1;
  if (want < 0)
    return qb_err_set(err, QB_EUSAGE,
                      "config: expected set, unset, list or get (see: qbdb help "
                      "config)");
  if (n_pos != want)
    return qb_err_set(err, QB_EUSAGE,
                      "config %s: wrong number of arguments (see: qbdb help "
                      "config)",
                      verb);
  double value = 0;
  const char *text = NULL;
  int is_text = want >= 2 && qb_setting_is_text(pos[1]);
  if (is_text && glob)
    return qb_err_set(err, QB_EUSAGE, "config %s %s: a project-wide setting (no --benchmark)", verb,
                      pos[1]);
  if (want >= 2 && !strcmp(pos[1], "repo_url") && (!project || !*project))
    return qb_err_set(err, QB_EUSAGE, "config %s repo_url: a project's setting (give --project)",
                      verb);
  char url[256];
  if (want == 3 && is_text) {
    text = pos[2];
    if ((rc = qb_setting_text_check(pos[1], text, err))) return rc;
    if (!strcmp(pos[1], "repo_url")) { /* stored without trailing slashes: REPO_URL/commit/SHA */
      size_t len = strlen(text);
      while (len && text[len - 1] == '/') len--;
      snprintf(url, sizeof url, "%.*s", (int)len, text);
      text = url;
    }
  } else if (want == 3) {
    char *end;
    value = strtod(pos[2], &end);
    if (!*pos[2] || *end)
      return qb_err_set(err, QB_EUSAGE, "config set %s: '%s' is not a number", pos[1], pos[2]);
  }
  if (!is_text && ((want == 3 && (rc = qb_compare_setting_check(pos[1], value, err))) ||
                   (want == 2 && (rc = qb_compare_setting_check(pos[1], 0.5, err)))))
    return rc;
  qb_store *store = NULL;
  qb_setting *rows = NULL;
  size_t n = 0;
  qb_table t = {0};
  qb_cli_esc e = QB_CLI_ESC_INIT;
  rc = qb_store_open(&store, cli->db, want == 3 ? QB_STORE_CREATE : 0, err);
  if (rc) goto done;
  if (want == 3) {
    rc = qb_store_setting_set(store, project ? project : "", glob ? glob : "", pos[1], value, text,
                              err);
  } else if (want == 2) {
    rc = qb_store_setting_unset(store, project ? project : "", glob ? glob : "", pos[1], err);
  }
  if (!rc && want >= 2 &&
      (!strcmp(pos[1], "window") || !strcmp(pos[1], "max_p") || !strcmp(pos[1], "min_change") ||
       qb_setting_key_metric(pos[1]))) {
    /* the stored change points follow the new options at once, so that detect, ingest, trend
     * and report never disagree (series found with other options are analysed in full) */
    qb_detect_opts d = QB_DETECT_OPTS_INIT;
    qb_detect_result res;
    d.filter.project = project;
    d.filter.bench_glob = glob;
    d.filter.metric = qb_setting_key_metric(pos[1]); /* min_change.METRIC: that metric's */
    d.incremental = 1;
    if (!(rc = qb_detect(store, &d, &res, err)))
      fprintf(cli->out,
              "change points of %zu series analysed again with the new options: %zu change "
              "point%s, %zu regression%s and %zu improvement%s above the noise threshold\n",
              res.series, res.changes, qb_cli_s(res.changes), res.regressions,
              qb_cli_s(res.regressions), res.improvements, qb_cli_s(res.improvements));
  }
  if (rc || want != 1) {
    /* set or unset: done */
  } else if (!strcmp(verb, "list")) {
    if ((rc = qb_store_settings(store, project, &rows, &n, err))) goto done;
    static const char *const head[] = {"project", "benchmarks", "key", "value"};
    if ((rc = qb_table_init(&t, 4, head, 1u << 3, err))) goto done;
    for (size_t i = 0; i < n && !rc; i++) {
      char v[256]; /* text settings are at most 255 bytes (a repo_url is shown whole) */
      snprintf(v, sizeof v, "%s", rows[i].text ? rows[i].text : "");
      if (!rows[i].text) snprintf(v, sizeof v, "%g", rows[i].value);
      /* stored text escaped for the terminal (cli/cli.h) */
      const char *row[] = {*rows[i].project ? qb_cli_esc_str(&e, rows[i].project) : "*",
                           *rows[i].bench_glob ? qb_cli_esc_str(&e, rows[i].bench_glob) : "*",
                           qb_cli_esc_str(&e, rows[i].key), qb_cli_esc_str(&e, v)};
      rc = qb_table_add(&t, row, err);
    }
    if (!rc) {
      if (n)
        qb_table_print(&t, cli->out);
      else
        fprintf(cli->out, "no settings: the defaults apply (see: qbdb help config)\n");
    }
  } else { /* get */
    if ((rc = qb_store_settings(store, project, &rows, &n, err))) goto done;
    qb_compare_settings s;
    qb_compare_settings_for(rows, n, project, glob, &s);
    fprintf(cli->out,
            "alpha %g\nthreshold %g\nmoderate %g\nmajor %g\ncritical %g\nnoise_runs %g\n"
            "noise_unknown %g\nwindow %g\nmax_p %g\nmin_change %g\n",
            s.alpha, s.threshold, s.moderate, s.major, s.critical, s.noise_runs, s.noise_unknown,
            s.window, s.max_p, s.min_change);
    /* the per-metric floors: the built-in ones and every metric a stored row names */
    const char *metrics[64] = {"cycles", "instructions"};
    size_t n_metrics = 2;
    for (size_t i = 0; i < n && n_metrics < 64; i++) {
      const char *m = qb_setting_key_metric(rows[i].key);
      int seen = !m;
      for (size_t k = 0; k < n_metrics && !seen; k++) seen = !strcmp(metrics[k], m);
      if (!seen) metrics[n_metrics++] = m;
    }
    for (size_t k = 0; k < n_metrics; k++) {
      qb_compare_settings ms;
      qb_compare_settings_metric(rows, n, project, glob, metrics[k], &ms);
      fprintf(cli->out, "min_change.%s %g\n", qb_cli_esc_str(&e, metrics[k]), ms.metric_min);
    }
    const char *db = NULL;
    for (size_t i = 0; i < n; i++) /* the project's own row beats the every-project row */
      if (!strcmp(rows[i].key, "default_branch") && rows[i].text &&
          (!*rows[i].project || (project && !strcmp(rows[i].project, project))) &&
          (!db || *rows[i].project))
        db = rows[i].text;
    fprintf(cli->out, "default_branch %s\n", db ? qb_cli_esc_str(&e, db) : "main");
    const char *url = qb_settings_repo_url(rows, n, project);
    fprintf(cli->out, "repo_url %s\n", url ? qb_cli_esc_str(&e, url) : "-");
  }
done:
  qb_cli_esc_dispose(&e);
  qb_table_dispose(&t);
  qb_settings_free(rows, n);
  qb_store_close(store);
  return rc;
}

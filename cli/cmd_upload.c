/* cli/cmd_upload.c - `qbdb upload`: send result files to a qbdb server (POST /api/v1/runs) and
 * report what it stored and found. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "adapters/adapter.h"
#include "service/baseline.h"
#include "net/client.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/units.h"

const char cmd_upload_help[] =
    "usage: qbdb upload --server URL [--token T] [--format F]\n"
    "                   [--project P] [--branch B] [--commit SHA] [--machine M]\n"
    "                   [--tag KEY=VALUE]... [--base REF] [--base-branch B]\n"
    "                   [--base-commit SHA] [--base-runs N] [--any-machine] [--all-metrics]\n"
    "                   [--summary FILE] [--fail-on SEVERITY] [--output text|json] PATH...\n"
    "\n"
    "Send each PATH to a qbdb server (`qbdb serve`), which stores it as one run, compares it\n"
    "with its baseline, checks the targets and grades it. The baseline is chosen by the rule\n"
    "of `qbdb compare`: --base REF when given; else, on a branch other than the base branch\n"
    "(--base-branch, default the CI's target-branch variable), the base branch at\n"
    "--base-commit, else its newest run; else the previous run of the branch on the machine;\n"
    "else the project's default branch (docs/statistics.md, \"Baselines\"). A change counts\n"
    "when it is significant and beyond the run-to-run noise of the baseline's series.\n"
    "A PATH is a pytest-benchmark, Google Benchmark or hyperfine JSON file, cargo bench or go\n"
    "test -bench output, or a qbdb native JSON Lines file; - reads standard input. The server\n"
    "detects the format unless --format is given. Criterion directories cannot be uploaded yet:\n"
    "ingest them with `qbdb ingest`, or upload the `cargo bench` output instead.\n"
    "A PATH is a regular file or a pipe: devices (/dev/zero) are refused before they are read.\n"
    "Every PATH is read before anything is sent; uploads stop at the first failure (runs sent\n"
    "before it stay stored). An upload carries an Idempotency-Key made from its content and\n"
    "options, so sending the same thing again reports the run already stored. Connection\n"
    "failures, 429 and 5xx answers are retried, 5 attempts in all (waits of 0.1, 0.2, 0.4 and\n"
    "0.8 s); other refusals are final.\n"
    "\n"
    "  --server URL     the server, e.g. http://bench-db:8080 (required)\n"
    "  --token T        write token (default $QBDB_TOKEN; prefer it, a flag shows in ps)\n"
    "  --format F       input format (default auto: the server detects it)\n"
    "  --project P      project name\n"
    "  --branch B       branch name\n"
    "  --commit SHA     commit benchmarked (4-64 hex digits)\n"
    "  --machine M      testbed name\n"
    "  --tag K=V        label the run (repeatable; overrides the file's tag K)\n"
    "  --base REF       compare with this run (an id, BRANCH@latest, BRANCH~N, a sha prefix)\n"
    "  --base-branch B  the branch a pull request targets (default: $GITHUB_BASE_REF,\n"
    "                   $CI_MERGE_REQUEST_TARGET_BRANCH_NAME, $BITBUCKET_PR_DESTINATION_BRANCH,\n"
    "                   $SYSTEM_PULLREQUEST_TARGETBRANCH or $CHANGE_TARGET, when set)\n"
    "  --base-commit SHA  the merge base, e.g. $(git merge-base origin/main HEAD)\n"
    "  --base-runs N    pool the baseline with the N - 1 runs before it (1 to 50; default 1)\n"
    "  --any-machine    --base may be a run of another machine\n"
    "  --all-metrics    every metric counts in the verdict, not only each benchmark's primary\n"
    "  --summary FILE   append the pull-request comment (markdown) of each upload to FILE\n"
    "                   (default $GITHUB_STEP_SUMMARY when set; --summary '' writes none); a\n"
    "                   symbolic link is not followed (refused), a fifo or character device\n"
    "                   is written in place\n"
    "  --fail-on SEV    exit 1 when the comparison finds a regression at least SEV (minor,\n"
    "                   moderate, major, critical); a broken target counts as major\n"
    "  --output text|json  how to print the result (default text)\n"
    "\n"
    "Prints per run its id and what was stored, the baseline and why it was chosen, the\n"
    "comparison, the worst regressions by name (up to 5), the broken targets and the grade.\n"
    "With --fail-on, the failing verdict is the last line (on stderr); a run the server stored\n"
    "but could not compare fails it too (exit 2).\n"
    "Exit codes: 0 uploaded (or already stored), 1 a regression at or above --fail-on,\n"
    "2 usage (also: a directory, no or a refused token, a bad baseline option, --fail-on with\n"
    "no verdict), 3 data refused by the server (bad or too large), 4 a PATH or --base not\n"
    "found (or no upload endpoint at URL), 6 the server could not be reached or kept failing,\n"
    "or FILE could not be written.\n";

/* Read path ("-": standard input) into *data (caller frees with free()), as `qbdb ingest` reads
 * a file (core/buf.h qb_input_read: a regular file or a pipe; devices and sockets refused before
 * they are opened; at most the cap + 1 bytes read). A missing path is QB_ENOTFOUND, a directory
 * QB_EUSAGE (criterion trees are not uploaded yet). */
static int read_input(const char *path, char **data, size_t *len, qb_err *err) {
  struct stat st;
  if (strcmp(path, "-") && stat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return qb_err_set(err, QB_ENOTFOUND, "%s: no such file", path);
    return qb_err_set(err, QB_EIO, "%s: %s", path, strerror(errno));
  }
  if (strcmp(path, "-") && S_ISDIR(st.st_mode))
    return qb_err_set(err, QB_EUSAGE,
                      "%s: a directory: upload sends one file per run and does not support "
                      "criterion directories yet (use qbdb ingest, or upload cargo bench output)",
                      path);
  return qb_input_read(path, QB_ADAPTER_MAX_FILE, data, len, err);
}

/* Print the verdict's comparison of r: the counts, then its worst regressions by name. */
static void print_compare(FILE *f, qb_cli_esc *e, const qb_upload_result *r) {
  fprintf(f, "  compare");
  if (r->base_run_id) fprintf(f, " with run %lld", (long long)r->base_run_id);
  if (r->regressions)
    fprintf(f, ": %zu regression%s (worst %s)", r->regressions, r->regressions == 1 ? "" : "s",
            qb_severity_name(r->worst));
  else
    fprintf(f, ": no regressions");
  fprintf(f, ", %zu improvement%s, %zu unchanged", r->improvements, r->improvements == 1 ? "" : "s",
          r->unchanged);
  if (r->geomean_change_pct == r->geomean_change_pct) /* not NaN */
    fprintf(f, ", geomean %+.1f%%", r->geomean_change_pct);
  if (r->noise_unknown) fprintf(f, " (noise unknown for %zu)", r->noise_unknown);
  if (r->other_regressions)
    fprintf(f, "; %zu regression%s in other metrics, not counted", r->other_regressions,
            r->other_regressions == 1 ? "" : "s");
  fputc('\n', f);
  enum { TOP = 5 };
  const qb_upload_change *top[TOP];
  size_t total = qb_upload_top_regressions(r, top, TOP);
  for (size_t k = 0; k < total && k < TOP; k++) {
    const qb_upload_change *x = top[k];
    fprintf(f, "  regression (%s): %s %s", qb_severity_name(x->severity),
            x->benchmark ? qb_cli_esc_str(e, x->benchmark) : "?",
            x->metric ? qb_cli_esc_str(e, x->metric) : "?");
    if (x->change_pct == x->change_pct) fprintf(f, " %+.1f%%", x->change_pct);
    fputc('\n', f);
  }
  if (total > TOP)
    fprintf(f, "  ... and %zu more regression%s\n", total - TOP, total - TOP == 1 ? "" : "s");
}

/* Print what one upload stored and found, in the style of `qbdb ingest`: the run, the baseline
 * and the comparison with it, the change points, the broken targets, the grade. The text the
 * server sent back (names, branches, reasons) and the path are escaped for the terminal
 * (cli/cli.h qb_cli_esc_str). */
static void print_result(FILE *f, const char *name, const qb_upload_result *r) {
  qb_cli_esc e = QB_CLI_ESC_INIT;
  fprintf(f, "%s run %lld: %s", r->existed ? "already stored as" : "stored", (long long)r->run_id,
          qb_cli_esc_str(&e, name));
  if (r->format) fprintf(f, " (%s)", qb_cli_esc_str(&e, r->format));
  fprintf(f, ": project %s, branch %s, machine %s",
          r->project ? qb_cli_esc_str(&e, r->project) : "?",
          r->branch ? qb_cli_esc_str(&e, r->branch) : "?",
          r->machine ? qb_cli_esc_str(&e, r->machine) : "?");
  if (r->commit) fprintf(f, ", commit %s", qb_cli_esc_str(&e, r->commit));
  if (r->n_benchmarks >= 0)
    fprintf(f, ", %lld benchmarks, %lld results, %lld samples", (long long)r->n_benchmarks,
            (long long)(r->n_results < 0 ? 0 : r->n_results),
            (long long)(r->n_samples < 0 ? 0 : r->n_samples));
  fputc('\n', f);
  if (r->has_compare) {
    if (r->baseline_reason) fprintf(f, "  baseline: %s\n", qb_cli_esc_str(&e, r->baseline_reason));
    print_compare(f, &e, r);
  } else if (r->compare_error) {
    fprintf(f, "  compare: failed: %s\n", qb_cli_esc_str(&e, r->compare_error));
  } else if (r->baseline_reason) {
    fprintf(f, "  compare: no baseline: %s\n", qb_cli_esc_str(&e, r->baseline_reason));
  } else if (!r->existed) {
    fprintf(f, "  compare: no earlier run on this branch\n"); /* a server without baselines */
  }
  if (r->n_detected)
    fprintf(f, "  history: %zu new change point%s in its series (see qbdb regressions)\n",
            r->n_detected, qb_cli_s(r->n_detected));
  for (size_t i = 0; i < r->n_broken; i++) {
    const qb_upload_target *t = &r->broken[i];
    char v[32] = "?", tv[32] = "?";
    if (t->value == t->value) qb_unit_format(t->value, t->unit ? t->unit : "", v, sizeof v);
    if (t->target == t->target) qb_unit_format(t->target, t->unit ? t->unit : "", tv, sizeof tv);
    fprintf(f, "  target broken: %s %s %s, must be %s %s\n",
            t->benchmark ? qb_cli_esc_str(&e, t->benchmark) : "?",
            t->metric ? qb_cli_esc_str(&e, t->metric) : "?", qb_cli_esc_str(&e, v),
            t->op ? qb_cli_esc_str(&e, t->op) : "?", qb_cli_esc_str(&e, tv));
  }
  if (r->has_grade) {
    if (r->score == r->score)
      fprintf(f, "  grade: %s (%.1f)\n", r->letter ? qb_cli_esc_str(&e, r->letter) : "?", r->score);
    else
      fprintf(f, "  grade: none (nothing to grade it against yet)\n");
  }
  qb_cli_esc_dispose(&e);
}

/* Append one upload's pull-request comment to the summary file f (named what in messages),
 * ending it with a blank line so the next one starts a new block, as GitHub step summaries are
 * appended to by every step. A server that sent none adds nothing. */
static int append_summary(FILE *f, const char *what, const qb_upload_result *r, qb_err *err) {
  const char *md = r->summary_markdown;
  if (!md || !*md) return QB_OK;
  size_t n = strlen(md);
  if (fwrite(md, 1, n, f) != n || (md[n - 1] != '\n' && fputc('\n', f) == EOF) ||
      fputc('\n', f) == EOF || fflush(f) != 0)
    return qb_err_set(err, QB_EIO, "upload: --summary %s: cannot write: %s", what, strerror(errno));
  return QB_OK;
}

int cmd_upload(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_upload_opts opts = QB_UPLOAD_OPTS_INIT;
  opts.default_machine = qb_cli_hostname(); /* for files that name no machine */
  qb_upload_result res = {0};
  qb_tag *tags = calloc((size_t)argc, sizeof *tags);
  const char **paths = calloc((size_t)argc, sizeof *paths);
  char **datas = calloc((size_t)argc, sizeof *datas);
  size_t *lens = calloc((size_t)argc, sizeof *lens);
  json_t *jout = NULL;
  size_t n_paths = 0, n_tags = 0;
  int rc = QB_OK, json = 0, m, only_paths = 0, stdin_used = 0, have_fail_on = 0;
  qb_severity fail_on = QB_SEV_NONE, worst = QB_SEV_NONE;
  char failed[QB_ERR_MSG_MAX] = "", unjudged[QB_ERR_MSG_MAX] = "", source[80] = "",
       summary_what[600] = "";
  const char *summary_path = NULL, *why = NULL;
  FILE *summary = NULL;
  if (!tags || !paths || !datas || !lens) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 1; i < argc;) {
    const char *v = NULL;
    if (only_paths || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
      paths[n_paths++] = argv[i++];
      continue;
    }
    if (!strcmp(argv[i], "--")) {
      only_paths = 1;
      i++;
      continue;
    }
    if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      qb_format f;
      if (m < 0) {
        rc = m;
        goto done;
      }
      if ((rc = qb_format_parse_arg("upload: --format", v, 1, &f, err))) goto done;
      if (f == QB_FMT_CRITERION) {
        rc = qb_err_set(err, QB_EUSAGE,
                        "upload: --format criterion: criterion directories are not supported by "
                        "upload yet (use qbdb ingest, or upload cargo bench output)");
        goto done;
      }
      opts.format = v;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--server", &opts.server, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--token", &opts.token, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--project", &opts.project, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--branch", &opts.branch, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--machine", &opts.machine, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--base", &opts.base_ref, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--base-branch", &opts.base_branch, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--base-commit", &opts.base_commit, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--summary", &summary_path, err))) {
      if (m < 0) {
        rc = m;
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--base-runs", &v, err))) {
      double d = 0;
      if (m < 0 || (rc = qb_cli_number("upload", "--base-runs", v, 1, QB_BASE_RUNS_MAX, &d, err)) ||
          d != floor(d)) {
        rc = m < 0 ? m
             : rc  ? rc
                   : qb_err_set(err, QB_EUSAGE, "upload: --base-runs '%s': expected a whole number",
                                v);
        goto done;
      }
      opts.base_runs = (int)d;
    } else if (!strcmp(argv[i], "--any-machine")) {
      opts.any_machine = 1;
      i++;
    } else if (!strcmp(argv[i], "--all-metrics")) {
      opts.all_metrics = 1;
      i++;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--commit", &opts.commit, err))) {
      if (m < 0 || !qb_commit_ok(opts.commit)) {
        rc = m < 0 ? m
                   : qb_err_set(err, QB_EUSAGE,
                                "upload: --commit '%s': expected 4 to 64 hex digits", opts.commit);
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--fail-on", &v, err))) {
      if (m < 0 || (rc = qb_severity_parse_arg("upload: --fail-on", v, 0, &fail_on, err))) {
        if (m < 0) rc = m;
        goto done;
      }
      have_fail_on = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--output", &v, err))) {
      if (m < 0 || (json = qb_cli_output_format("upload", v, err)) < 0) {
        rc = m < 0 ? m : json;
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--tag", &v, err))) {
      if (m < 0 || (rc = qb_cli_tag("upload", v, &tags[n_tags], err))) {
        rc = m < 0 ? m : rc;
        goto done;
      }
      n_tags++;
    } else {
      rc = qb_cli_bad_arg("upload", argv[i], err);
      goto done;
    }
  }
  if (!opts.server || !*opts.server) {
    rc = qb_err_set(err, QB_EUSAGE, "upload: no --server URL given (see: qbdb help upload)");
    goto done;
  }
  if (!n_paths) {
    rc = qb_err_set(err, QB_EUSAGE, "upload: no PATH given (see: qbdb help upload)");
    goto done;
  }
  /* the base branch a CI names for a pull request, unless the baseline is given */
  if (!opts.base_ref && !opts.base_branch) {
    const char *var = NULL;
    if ((opts.base_branch = qb_baseline_ci_branch(&var))) {
      snprintf(source, sizeof source, "$%.70s", var ? var : "CI");
      opts.base_branch_source = source;
    }
  }
  /* the baseline options, checked as the server checks them */
  qb_baseline_opts bo = {.base_ref = opts.base_ref,
                         .base_branch = opts.base_branch,
                         .base_branch_source = opts.base_branch_source,
                         .base_commit = opts.base_commit,
                         .base_runs = opts.base_runs,
                         .any_machine = opts.any_machine};
  if ((rc = qb_baseline_opts_check(&bo, err))) {
    qb_err_prefix(err, "upload");
    goto done;
  }
  /* the summary file: --summary, else GitHub's step summary; --summary '' writes none */
  if (!summary_path) {
    const char *gh = getenv("GITHUB_STEP_SUMMARY");
    if (gh && *gh) {
      summary_path = gh;
      snprintf(summary_what, sizeof summary_what, "$GITHUB_STEP_SUMMARY (%.500s)", gh);
    }
  } else {
    snprintf(summary_what, sizeof summary_what, "%.500s", summary_path);
  }
  if (summary_path && !*summary_path) summary_path = NULL;
  opts.want_summary = summary_path != NULL;
  if (!opts.token || !*opts.token) opts.token = getenv("QBDB_TOKEN");
  opts.tags = tags;
  opts.n_tags = n_tags;
  /* Read everything before sending anything. */
  for (size_t k = 0; k < n_paths; k++) {
    if (!strcmp(paths[k], "-") && stdin_used++) {
      rc = qb_err_set(err, QB_EUSAGE, "upload: - (standard input) given twice");
      goto done;
    }
    if ((rc = read_input(paths[k], &datas[k], &lens[k], err))) goto done;
  }
  if (summary_path && !(summary = qb_cli_append_open(summary_path, &why))) {
    rc = qb_err_set(err, QB_EIO, "upload: --summary %s: cannot open: %s", summary_what, why);
    goto done;
  }
  if (json && !(jout = json_array())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < n_paths; k++) {
    const char *name = strcmp(paths[k], "-") ? paths[k] : "<stdin>";
    if ((rc = qb_upload(&res, &opts, name, datas[k], lens[k], err))) {
      if ((res.status == 401 || res.status == 403) && (!opts.token || !*opts.token)) {
        char msg[QB_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        qb_err_set(err, rc, "%s (no token given: use --token or $QBDB_TOKEN)", msg);
      }
      goto done;
    }
    if (summary && (rc = append_summary(summary, summary_what, &res, err))) goto done;
    qb_severity w = qb_upload_worst(&res);
    if (have_fail_on && w >= fail_on && w > worst) {
      const qb_upload_change *top = NULL;
      char named[300] = "";
      if (qb_upload_top_regressions(&res, &top, 1) && top->benchmark) {
        snprintf(named, sizeof named, ", the worst %.200s %.40s", top->benchmark,
                 top->metric ? top->metric : "?");
        if (top->change_pct == top->change_pct)
          snprintf(named + strlen(named), sizeof named - strlen(named), " %+.1f%%",
                   top->change_pct);
      }
      snprintf(failed, sizeof failed,
               "upload: run %lld (%s): a %s regression (%zu in the comparison%s; %zu target%s "
               "broken; --fail-on %s)",
               (long long)res.run_id, name, qb_severity_name(w), res.regressions, named,
               res.n_broken, res.n_broken == 1 ? "" : "s", qb_severity_name(fail_on));
    }
    if (have_fail_on && res.compare_error && !unjudged[0])
      snprintf(unjudged, sizeof unjudged,
               "upload: run %lld (%s): stored, but the server could not compare it, so --fail-on "
               "%s cannot be judged: %s",
               (long long)res.run_id, name, qb_severity_name(fail_on), res.compare_error);
    if (w > worst) worst = w;
    if (json) {
      json_object_set_new(res.answer, "path", json_string(name));
      json_object_set_new(res.answer, "status", json_integer(res.status));
      json_array_append(jout, res.answer);
    } else {
      print_result(cli->out, name, &res);
    }
    qb_upload_result_dispose(&res);
  }
  if (json) {
    rc = qb_cli_print_json(cli->out, jout, err);
    jout = NULL;
    if (rc) goto done;
  }
  if (failed[0])
    rc = qb_err_set(err, QB_EREGRESSION, "%s", failed);
  else if (unjudged[0]) /* no verdict is no pass: e.g. --base main@latest names the run itself */
    rc = qb_err_set(err, QB_EUSAGE, "%s", unjudged);
done:
  /* the details are printed before the error that ends the command (stderr, unbuffered) */
  fflush(cli->out);
  if (summary && fclose(summary) != 0 && !rc)
    rc = qb_err_set(err, QB_EIO, "upload: --summary %s: cannot write: %s", summary_what,
                    strerror(errno));
  qb_upload_result_dispose(&res);
  json_decref(jout);
  for (size_t k = 0; datas && k < (size_t)argc; k++) free(datas[k]);
  for (size_t k = 0; k < n_tags; k++) free(tags[k].key);
  free(lens);
  free(datas);
  free(paths);
  free(tags);
  return rc;
}

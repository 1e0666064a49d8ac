/* cli/cmd_ingest.c - `qbdb ingest`: parse result files and store each as one run. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json_out.h"
#include "service/baseline.h"
#include "service/compare.h"
#include "service/history.h"
#include "service/upload.h"
#include "view/json.h"
#include "cli/cli.h"
#include "core/units.h"
#include "ingest/ingest.h"
#include "view/compare.h"

const char cmd_ingest_help[] =
    "usage: qbdb ingest [--db PATH] [--format F]\n"
    "                   [--project P] [--branch B] [--commit SHA] [--machine M]\n"
    "                   [--tag KEY=VALUE]... [--output text|json]\n"
    "                   [--base REF] [--base-branch B] [--base-commit SHA] [--base-runs N]\n"
    "                   [--any-machine] [--all-metrics] [--fail-on SEVERITY] [--summary FILE]\n"
    "                   PATH...\n"
    "\n"
    "Store each PATH as one run: a pytest-benchmark JSON file, a criterion directory\n"
    "(target/criterion or a folder holding it), cargo bench output, Google Benchmark or\n"
    "hyperfine JSON, go test -bench output, or a qbdb native JSON Lines file; - reads\n"
    "standard input. The format is detected from the content unless --format is given.\n"
    "Every PATH is parsed and validated before anything is stored; a bad file stores\n"
    "nothing. Each run is written in one transaction. Flags override what the file says;\n"
    "the defaults are project 'default', branch 'main', machine 'localhost'.\n"
    "Ingesting the same content again for the same project stores nothing and reports\n"
    "the existing run.\n"
    "Each stored run is then compared with its baseline, chosen as for `qbdb upload` and\n"
    "`qbdb compare` (docs/statistics.md, \"Baselines\"): the previous run of its branch on its\n"
    "machine, or the base branch for a new branch or a pull request.\n"
    "\n"
    "  --format F       input format: auto (the default), pytest, criterion,\n"
    "                   criterion-text, native, google-benchmark, hyperfine or go\n"
    "  --project P      project name\n"
    "  --branch B       branch name\n"
    "  --commit SHA     commit benchmarked (4-64 hex digits)\n"
    "  --machine M      testbed name\n"
    "  --tag K=V        label the run (repeatable; overrides the file's tag K)\n"
    "  --output text|json  how to print the result (default text)\n"
    "  --base REF       compare with this run (and not the rule's baseline)\n"
    "  --base-branch B  the base branch of a pull request (default: the CI's target-branch\n"
    "                   variable, e.g. $GITHUB_BASE_REF)\n"
    "  --base-commit SHA  the merge base: compare with the base branch's run of that commit\n"
    "  --base-runs N    pool the baseline with the N - 1 runs before it (1 to 50)\n"
    "  --any-machine    allow an explicit --base of another machine\n"
    "  --all-metrics    every metric counts for --fail-on, not only each benchmark's primary one\n"
    "  --fail-on SEV    exit 1 when the comparison finds a regression at least SEV (minor,\n"
    "                   moderate, major, critical); a broken target counts as major\n"
    "  --summary FILE   append the pull-request comment (markdown) to FILE (default\n"
    "                   $GITHUB_STEP_SUMMARY when set; --summary '' writes none); a symbolic\n"
    "                   link is not followed (refused), a fifo or character device is written\n"
    "                   in place\n"
    "\n"
    "Prints per run its id and what was stored, the baseline and the comparison with it, the\n"
    "worst regressions, and the broken targets; a failing --fail-on is the last line.\n"
    "Exit codes: 0 stored (or already stored), 1 a regression at or above --fail-on, 2 usage,\n"
    "3 bad input, 4 file not found, 5 database refused, 6 i/o error.\n";

/* Print the comparison of a stored run with its baseline: the baseline, the counts, the worst
 * regressions by name (at most 5); stored text escaped for the terminal (cli/cli.h). */
static void print_compare(FILE *f, qb_cli_esc *e, const qb_compare *c) {
  fprintf(f, "  baseline: %s\n  compare: ", qb_cli_esc_str(e, c->baseline.reason));
  if (c->regressions)
    fprintf(f, "%zu regression%s (worst %s)", c->regressions, c->regressions == 1 ? "" : "s",
            qb_severity_name(c->worst_regression));
  else
    fprintf(f, "no regressions");
  fprintf(f, ", %zu improvement%s, %zu unchanged", c->improvements, c->improvements == 1 ? "" : "s",
          c->unchanged);
  if (!isnan(c->geomean_change_pct)) fprintf(f, ", geomean %+.1f%%", c->geomean_change_pct);
  if (c->noise_unknown) fprintf(f, " (noise unknown for %zu)", c->noise_unknown);
  fputc('\n', f);
  /* the worst first: severity, then size */
  for (int sev = QB_SEV_CRITICAL, shown = 0; sev >= QB_SEV_MINOR && shown < 5; sev--)
    for (size_t i = 0; i < c->n_rows && shown < 5; i++) {
      const qb_compare_row *r = &c->rows[i];
      if (r->verdict != QB_VERDICT_REGRESSION || (int)r->severity != sev ||
          !(r->primary || c->all_metrics || (r->has_target && !r->target_met)))
        continue;
      fprintf(f, "  regression (%s): %s %s %+.1f%%\n", qb_severity_name(r->severity),
              qb_cli_esc_str(e, r->benchmark), qb_cli_esc_str(e, r->metric), r->change_pct);
      shown++;
    }
}

/* Append the markdown of c to the summary file f (named path in messages; the CI's step
 * summary), then a blank line, and flush it. */
static int append_summary(FILE *f, const char *path, const qb_compare *c, qb_err *err) {
  qb_buf md;
  qb_buf_init(&md, (size_t)1 << 28);
  int rc = qb_compare_render(c, QB_CMP_MARKDOWN, 0, 0, &md, err);
  if (!rc && (fwrite(md.data, 1, md.len, f) != md.len || fputc('\n', f) == EOF || fflush(f) != 0))
    rc = qb_err_set(err, QB_EIO, "--summary %s: cannot write: %s", path, strerror(errno));
  qb_buf_dispose(&md);
  return rc;
}

int cmd_ingest(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_ingest_opts opts = QB_INGEST_OPTS_INIT;
  opts.default_machine = qb_cli_hostname(); /* for files that name no machine */
  qb_tag *tags = NULL;
  const char **paths = calloc((size_t)argc, sizeof *paths);
  qb_run **runs = calloc((size_t)argc, sizeof *runs);
  qb_store *store = NULL;
  json_t *jout = NULL;
  size_t n_paths = 0, n_tags = 0;
  int rc = QB_OK, json = 0, m, only_paths = 0, have_fail_on = 0;
  qb_compare_opts co = QB_COMPARE_OPTS_INIT;
  qb_severity fail_on = QB_SEV_NONE;
  const char *summary = NULL, *why = NULL;
  FILE *summary_f = NULL;
  char failed[QB_ERR_MSG_MAX] = "";
  int64_t *base_ids = NULL; /* the --base run of each PATH's project and machine */
  if (!paths || !runs || !(tags = calloc((size_t)argc, sizeof *tags))) {
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
      if (m < 0) {
        rc = m;
        goto done;
      }
      if ((rc = qb_format_parse_arg("ingest: --format", v, 0, &opts.format, err))) goto done;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--project", &opts.project, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--branch", &opts.branch, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--commit", &opts.commit, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--machine", &opts.machine, err))) {
      if (m < 0) {
        rc = m;
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--base", &co.base.base_ref, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--base-branch", &co.base.base_branch, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--base-commit", &co.base.base_commit, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--summary", &summary, err))) {
      if (m < 0) {
        rc = m;
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--base-runs", &v, err))) {
      double d;
      if (m < 0 || (rc = qb_cli_number("ingest", "--base-runs", v, 1, QB_BASE_RUNS_MAX, &d, err)) ||
          (d != floor(d) &&
           (rc = qb_err_set(err, QB_EUSAGE, "ingest: --base-runs '%s': expected a whole number",
                            v)))) {
        rc = m < 0 ? m : rc;
        goto done;
      }
      co.base.base_runs = (int)d;
    } else if (!strcmp(argv[i], "--any-machine")) {
      co.base.any_machine = 1;
      i++;
    } else if (!strcmp(argv[i], "--all-metrics")) {
      co.all_metrics = 1;
      i++;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--fail-on", &v, err))) {
      if (m < 0 || (rc = qb_severity_parse_arg("ingest: --fail-on", v, 0, &fail_on, err))) {
        if (m < 0) rc = m;
        goto done;
      }
      have_fail_on = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--output", &v, err))) {
      if (m < 0 || (json = qb_cli_output_format("ingest", v, err)) < 0) {
        rc = m < 0 ? m : json;
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--tag", &v, err))) {
      if (m < 0 || (rc = qb_cli_tag("ingest", v, &tags[n_tags], err))) {
        rc = m < 0 ? m : rc;
        goto done;
      }
      n_tags++;
    } else {
      rc = qb_cli_bad_arg("ingest", argv[i], err);
      goto done;
    }
  }
  if (!n_paths) {
    rc = qb_err_set(err, QB_EUSAGE, "ingest: no PATH given (see: qbdb help ingest)");
    goto done;
  }
  opts.tags = tags;
  opts.n_tags = n_tags;
  if (!co.base.base_branch) {
    const char *var = NULL;
    if ((co.base.base_branch = qb_baseline_ci_branch(&var)))
      co.base.base_branch_source = var ? var - 1 : NULL;
  }
  if (!summary) {
    const char *gh = getenv("GITHUB_STEP_SUMMARY");
    if (gh && *gh) summary = gh;
  }
  if (summary && !*summary) summary = NULL; /* --summary '': none, even with the variable set */
  if ((rc = qb_baseline_opts_check(&co.base, err))) {
    qb_err_prefix(err, "ingest");
    goto done;
  }
  /* Parse and validate everything before touching the database. */
  for (size_t k = 0; k < n_paths; k++)
    if ((rc = qb_ingest_prepare(paths[k], &opts, &runs[k], err))) goto done;
  /* the summary file is opened before anything is stored: one refused stores nothing */
  if (summary && !(summary_f = qb_cli_append_open(summary, &why))) {
    rc = qb_err_set(err, QB_EIO, "ingest: --summary %s: cannot open: %s", summary, why);
    goto done;
  }
  if ((rc = qb_store_open(&store, cli->db, QB_STORE_CREATE, err))) goto done;
  /* an explicit baseline must exist before anything is stored */
  if (!(base_ids = calloc(n_paths, sizeof *base_ids))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; co.base.base_ref && k < n_paths; k++) {
    if ((rc = qb_ingest_run_base(&base_ids[k], store, runs[k], &co.base, "--base", err))) {
      qb_err_prefix(err, "ingest");
      goto done;
    }
  }
  if (json && !(jout = json_array())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < n_paths; k++) {
    qb_ingest_run_result res;
    const qb_run *r = runs[k];
    qb_ingest_run_opts ro = QB_INGEST_RUN_OPTS_INIT;
    ro.compare = &co;
    ro.base_id = base_ids[k];
    /* a re-ingest (a CI job run again) gets the verdict the first one got: its targets are
     * checked again and its series brought up to date, as the server does for a replay */
    ro.history_existed = 1;
    if ((rc = qb_ingest_run(&res, store, runs[k], &ro, err))) {
      qb_err_prefix(err, "%s", paths[k]);
      qb_ingest_run_result_dispose(&res);
      goto done;
    }
    /* the steps after the store: one that fails fails the command, but for the want of a
     * baseline (the verdict is then "no baseline") */
    const qb_err *failed_step = NULL;
    if (res.history == QB_INGEST_HISTORY_DEFERRED)
      failed_step = &res.history_err;
    else if (!res.compare && !(res.no_baseline && !co.base.base_ref))
      failed_step = res.compare_err.code == QB_ENOTFOUND && !co.base.base_ref ? &res.baseline_err
                                                                              : &res.compare_err;
    const qb_compare *cmp = res.compare;
    if (!failed_step && cmp && summary_f && append_summary(summary_f, summary, cmp, err))
      failed_step = err;
    if (failed_step) {
      if (failed_step != err) qb_err_set(err, failed_step->code, "%s", failed_step->msg);
      rc = qb_err_prefix(err, "%s: stored as run %lld, then", paths[k],
                         (long long)res.ingest.run_id);
      qb_ingest_run_result_dispose(&res);
      goto done;
    }
    /* a run stored before (the same content) is shown as it is stored: its commit, branch or
     * project may differ from this command's overrides */
    qb_run_info stored_info = {0};
    qb_run *stored = NULL;
    qb_err lerr = QB_ERR_INIT;
    if (res.ingest.existed &&
        qb_store_load_run(store, res.ingest.run_id, 0, &stored_info, NULL, &lerr) == QB_OK) {
      stored = qb_run_from_info(&stored_info);
      res.ingest.n_benches = (size_t)stored_info.n_benches;
      res.ingest.n_results = (size_t)stored_info.n_results;
      res.ingest.n_samples = (size_t)stored_info.n_samples;
      qb_run_info_dispose(&stored_info);
    }
    if (stored) r = stored;
    const char *shown_path = strcmp(paths[k], "-") ? paths[k] : "<stdin>";
    const qb_after_ingest *after = &res.after;
    size_t broken = 0; /* the target checks the run fails */
    for (size_t t = 0; t < after->n_checks; t++) broken += !after->checks[t].met;
    if (cmp && have_fail_on) {
      qb_severity w = cmp->regressions ? cmp->worst_regression : QB_SEV_NONE;
      if (broken && w < QB_SEV_MAJOR) w = QB_SEV_MAJOR;
      if (w >= fail_on && (cmp->regressions || broken))
        snprintf(failed, sizeof failed,
                 "ingest: run %lld (%s): a %s regression (%zu in the comparison, %zu target%s "
                 "broken; --fail-on %s)",
                 (long long)res.ingest.run_id, paths[k], qb_severity_name(w), cmp->regressions,
                 broken, broken == 1 ? "" : "s", qb_severity_name(fail_on));
    }
    if (json) {
      json_t *o = qb_view_ingest(paths[k], r, &res.ingest);
      json_object_set_new(o, "changes", json_integer((json_int_t)after->detect.changes));
      json_object_set_new(o, "new_changes", json_integer((json_int_t)after->n_fresh));
      json_object_set_new(o, "regressions", json_integer((json_int_t)after->detect.regressions));
      json_object_set_new(o, "targets", json_integer((json_int_t)after->n_checks));
      json_object_set_new(o, "targets_broken", json_integer((json_int_t)broken));
      json_object_set_new(o, "baseline", qb_view_baseline(cmp ? &cmp->baseline : &res.baseline));
      if (cmp) {
        json_t *v = qb_view_compare(cmp, 1);
        json_object_set(o, "compare", json_object_get(v, "summary"));
        json_decref(v);
      } else {
        json_object_set_new(o, "compare", json_null());
      }
      json_array_append_new(jout, o);
      qb_ingest_run_result_dispose(&res);
      qb_run_free(stored);
      continue;
    }
    /* the file's text (project, branch, machine, names) and the path escaped for the terminal */
    qb_cli_esc e = QB_CLI_ESC_INIT;
    fprintf(cli->out,
            "%s run %lld: %s (%s): project %s, branch %s, machine %s%s%s, %zu benchmark%s, "
            "%zu result%s, %zu sample%s\n",
            res.ingest.existed ? "already stored as" : "stored", (long long)res.ingest.run_id,
            qb_cli_esc_str(&e, shown_path), qb_cli_esc_str(&e, r->format),
            qb_cli_esc_str(&e, r->project), qb_cli_esc_str(&e, r->branch),
            qb_cli_esc_str(&e, r->machine), r->commit_sha ? ", commit " : "",
            r->commit_sha ? qb_cli_esc_str(&e, r->commit_sha) : "", res.ingest.n_benches,
            qb_cli_s(res.ingest.n_benches), res.ingest.n_results, qb_cli_s(res.ingest.n_results),
            res.ingest.n_samples, qb_cli_s(res.ingest.n_samples));
    if (cmp)
      print_compare(cli->out, &e, cmp);
    else
      fprintf(cli->out, "  compare: no baseline: %s\n", qb_cli_esc_str(&e, res.baseline.reason));
    /* the changes this run's detection recorded first: a later run of the series does not
     * announce them again */
    if (after->n_fresh)
      fprintf(cli->out, "  history: %zu new change point%s in its series (see qbdb regressions)\n",
              after->n_fresh, qb_cli_s(after->n_fresh));
    for (size_t t = 0; t < after->n_checks; t++)
      if (!after->checks[t].met) {
        char v[32], tv[32];
        qb_unit_format(after->checks[t].value, after->checks[t].unit, v, sizeof v);
        qb_unit_format(after->checks[t].target, after->checks[t].unit, tv, sizeof tv);
        fprintf(cli->out, "  target broken: %s %s %s, must be %s %s\n",
                qb_cli_esc_str(&e, after->checks[t].bench),
                qb_cli_esc_str(&e, after->checks[t].metric), qb_cli_esc_str(&e, v),
                after->checks[t].op, qb_cli_esc_str(&e, tv));
      }
    qb_cli_esc_dispose(&e);
    qb_ingest_run_result_dispose(&res);
    qb_run_free(stored);
  }
  if (json) {
    qb_json_dumpf(jout, cli->out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fputc('\n', cli->out);
  }
  fflush(cli->out); /* the details before the failing line */
  if (summary_f) {
    int bad = fclose(summary_f) != 0;
    summary_f = NULL;
    if (bad) {
      rc = qb_err_set(err, QB_EIO, "ingest: --summary %s: cannot write: %s", summary,
                      strerror(errno));
      goto done;
    }
  }
  if (failed[0]) rc = qb_err_set(err, QB_EREGRESSION, "%s", failed);
done:
  if (summary_f) fclose(summary_f);
  free(base_ids);
  json_decref(jout);
  qb_store_close(store);
  for (size_t k = 0; runs && k < (size_t)argc; k++) qb_run_free(runs[k]);
  for (size_t k = 0; k < n_tags; k++) free(tags[k].key);
  free(tags);
  free(runs);
  free(paths);
  return rc;
}

/* cli/cmd_ingest.c - `qbdb ingest`: parse result files and store each as one run. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/history.h"
#include "api/view.h"
#include "cli/cli.h"
#include "core/units.h"
#include "ingest/ingest.h"

const char cmd_ingest_help[] =
    "usage: qbdb ingest [--db PATH] [--format F]\n"
    "                   [--project P] [--branch B] [--commit SHA] [--machine M]\n"
    "                   [--tag KEY=VALUE]... [--output text|json] PATH...\n"
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
    "\n"
    "  --format F       input format: auto (the default), pytest, criterion,\n"
    "                   criterion-text, native, google-benchmark, hyperfine or go\n"
    "  --project P      project name\n"
    "  --branch B       branch name\n"
    "  --commit SHA     commit benchmarked (4-64 hex digits)\n"
    "  --machine M      testbed name\n"
    "  --tag K=V        label the run (repeatable; overrides the file's tag K)\n"
    "  --output text|json  how to print the result (default text)\n"
    "\n"
    "Prints one line per run: its id and what was stored.\n"
    "Exit codes: 0 stored (or already stored), 2 usage, 3 bad input, 4 file not found,\n"
    "5 database refused, 6 i/o error.\n";

int cmd_ingest(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_ingest_opts opts = QB_INGEST_OPTS_INIT;
  qb_tag *tags = NULL;
  const char **paths = calloc((size_t)argc, sizeof *paths);
  qb_run **runs = calloc((size_t)argc, sizeof *runs);
  qb_store *store = NULL;
  json_t *jout = NULL;
  size_t n_paths = 0, n_tags = 0;
  int rc = QB_OK, json = 0, m, only_paths = 0;
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
      if (qb_format_parse(v, &opts.format)) {
        rc = qb_err_set(err, QB_EUSAGE,
                        "ingest: --format '%s': expected auto, pytest, criterion, criterion-text, "
                        "native, google-benchmark, hyperfine or go",
                        v);
        goto done;
      }
    } else if ((m = qb_cli_opt(argc, argv, &i, "--project", &opts.project, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--branch", &opts.branch, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--commit", &opts.commit, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--machine", &opts.machine, err))) {
      if (m < 0) {
        rc = m;
        goto done;
      }
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
  /* Parse and validate everything before touching the database. */
  for (size_t k = 0; k < n_paths; k++)
    if ((rc = qb_ingest_prepare(paths[k], &opts, &runs[k], err))) goto done;
  if ((rc = qb_store_open(&store, cli->db, QB_STORE_CREATE, err))) goto done;
  if (json && !(jout = json_array())) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < n_paths; k++) {
    qb_ingest_result res;
    const qb_run *r = runs[k];
    if ((rc = qb_ingest_store(store, r, &res, err))) {
      qb_err_prefix(err, "%s", paths[k]);
      goto done;
    }
    qb_after_ingest after = {0};
    if (!res.existed && (rc = qb_after_ingest_run(store, res.run_id, &after, err))) {
      qb_err_prefix(err, "%s: stored as run %lld, then", paths[k], (long long)res.run_id);
      goto done;
    }
    if (json) {
      json_t *o = qb_view_ingest(paths[k], r, &res);
      json_object_set_new(o, "changes", json_integer((json_int_t)after.detect.changes));
      json_object_set_new(o, "regressions", json_integer((json_int_t)after.detect.regressions));
      json_object_set_new(o, "targets", json_integer((json_int_t)after.n_checks));
      json_object_set_new(o, "targets_broken", json_integer((json_int_t)after.broken));
      json_array_append_new(jout, o);
      qb_after_ingest_dispose(&after);
      continue;
    }
    fprintf(cli->out,
            "%s run %lld: %s (%s): project %s, branch %s, machine %s%s%s, %zu benchmarks, "
            "%zu results, %zu samples\n",
            res.existed ? "already stored as" : "stored", (long long)res.run_id, paths[k],
            r->format, r->project, r->branch, r->machine, r->commit_sha ? ", commit " : "",
            r->commit_sha ? r->commit_sha : "", res.n_benches, res.n_results, res.n_samples);
    if (after.detect.changes)
      fprintf(cli->out,
              "  history: %zu change point%s in its series (%zu regressions, %zu "
              "improvements; see qbdb regressions)\n",
              after.detect.changes, after.detect.changes == 1 ? "" : "s", after.detect.regressions,
              after.detect.improvements);
    for (size_t t = 0; t < after.n_checks; t++)
      if (!after.checks[t].met) {
        char v[32], tv[32];
        fprintf(cli->out, "  target broken: %s %s %s, must be %s %s\n", after.checks[t].bench,
                after.checks[t].metric,
                qb_unit_format(after.checks[t].value, after.checks[t].unit, v, sizeof v),
                after.checks[t].op,
                qb_unit_format(after.checks[t].target, after.checks[t].unit, tv, sizeof tv));
      }
    qb_after_ingest_dispose(&after);
  }
  if (json) {
    json_dumpf(jout, cli->out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    fputc('\n', cli->out);
  }
done:
  json_decref(jout);
  qb_store_close(store);
  for (size_t k = 0; runs && k < (size_t)argc; k++) qb_run_free(runs[k]);
  for (size_t k = 0; k < n_tags; k++) free(tags[k].key);
  free(tags);
  free(runs);
  free(paths);
  return rc;
}

/* cli/cmd_prune.c - `qbdb prune`: retention of old runs and raw samples. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "adapters/json_out.h"
#include "analysis/changepoint.h"
#include "cli/cli.h"
#include "core/time.h"
#include "schema/store.h"

const char cmd_prune_help[] =
    "usage: qbdb prune [--db PATH] [--keep-days N] [--keep-samples-days M] [--branch-glob G]\n"
    "                  [--dry-run] [--no-vacuum] [--format text|json]\n"
    "\n"
    "Delete the runs started more than N days ago (with their results, samples, tags and\n"
    "change records), and drop the raw samples of kept runs older than M days (their statistics\n"
    "stay: compare then works from them, without its test). Never deleted: the runs of an open\n"
    "or acknowledged regression's series from 31 before its first bad run to 30 after it (what\n"
    "detection needs to find it again), and the newest run of each project, branch and machine\n"
    "(the baseline of the next compare). Series that lose points are analysed in full again by\n"
    "the next detection. Then the file is rebuilt (VACUUM) so that it shrinks. One\n"
    "transaction: an error changes nothing. When other connections keep the WAL from being\n"
    "checkpointed (a server answering reads), the checkpoint is tried a few times and then left\n"
    "to the next writer: the deletion stands and a line says so.\n"
    "\n"
    "  --keep-days N          keep runs of the last N days (N >= 0)\n"
    "  --keep-samples-days M  keep raw samples of the last M days (M >= 0)\n"
    "  --branch-glob G        only runs on branches matching G (e.g. 'feature/*')\n"
    "  --dry-run              say what would go, change nothing\n"
    "  --no-vacuum            skip the rebuild of the file\n"
    "  --format F             text (default) or json\n"
    "\n"
    "A suggested policy (docs/cli/prune.md): keep-days 365 and keep-samples-days 90 for main,\n"
    "keep-days 30 for other branches.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage, 4 no database, 5 database refused or locked.\n";

/* A --keep-... value: whole days >= 0, as the cut-off time before now. */
static int days_before(const char *opt, const char *v, int64_t now, int64_t *out, qb_err *err) {
  double d;
  int rc = qb_cli_number("prune", opt, v, 0, 1e6, &d, err);
  if (rc) return rc;
  if (d != (double)(long long)d)
    return qb_err_set(err, QB_EUSAGE, "prune: %s '%s': expected whole days", opt, v);
  *out = now - (int64_t)d * 86400LL * 1000000LL;
  return QB_OK;
}

/* "12.3 MB" */
static void human_bytes(int64_t n, char *out, size_t len) {
  if (n >= 1000000)
    snprintf(out, len, "%.1f MB", (double)n / 1e6);
  else
    snprintf(out, len, "%.1f kB", (double)n / 1e3);
}

int cmd_prune(qb_cli *cli, int argc, char **argv, qb_err *err) {
  qb_cp_opts cp = QB_CP_OPTS_INIT;
  qb_prune_opts o = {QB_TIME_NONE, QB_TIME_NONE, NULL, (int64_t)cp.window, 0};
  qb_prune_result res;
  qb_store *store = NULL;
  int rc = QB_OK, m, json = 0, vacuum = 1, deferred = 0;
  int64_t now = qb_time_now(), before = 0, after = 0;
  for (int i = 1; i < argc;) {
    const char *v = NULL;
    if ((m = qb_cli_opt(argc, argv, &i, "--keep-days", &v, err))) {
      if (m < 0 || (rc = days_before("--keep-days", v, now, &o.runs_before, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--keep-samples-days", &v, err))) {
      if (m < 0 || (rc = days_before("--keep-samples-days", v, now, &o.samples_before, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--branch-glob", &o.branch_glob, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &v, err))) {
      if (m < 0) return m;
      if ((json = qb_cli_output_format("prune", v, err)) < 0) return json;
    } else if (!strcmp(argv[i], "--dry-run")) {
      o.dry_run = 1;
      i++;
    } else if (!strcmp(argv[i], "--no-vacuum")) {
      vacuum = 0;
      i++;
    } else {
      return qb_cli_bad_arg("prune", argv[i], err);
    }
  }
  if (o.runs_before == QB_TIME_NONE && o.samples_before == QB_TIME_NONE)
    return qb_err_set(err, QB_EUSAGE,
                      "prune: say what to keep: --keep-days N and/or "
                      "--keep-samples-days M");
  if ((rc = qb_store_open(&store, cli->db, 0, err)) || (rc = qb_store_prune(store, &o, &res, err)))
    goto done;
  int changed = !o.dry_run && (res.runs > 0 || res.samples_dropped > 0);
  if (changed && vacuum && (rc = qb_store_vacuum(store, &before, &after, &deferred, err)))
    goto done;
  /* the truncating checkpoint after VACUUM: done, deferred to the next writer, or not tried */
  const char *checkpoint = !(changed && vacuum) ? "none" : deferred ? "deferred" : "done";
  if (json) {
    json_t *j = json_pack(
        "{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "dry_run", o.dry_run, "runs",
        (json_int_t)res.runs, "results", (json_int_t)res.results, "samples",
        (json_int_t)res.samples, "kept_anchors", (json_int_t)res.kept_anchors, "kept_newest",
        (json_int_t)res.kept_newest, "sample_runs", (json_int_t)res.sample_runs, "samples_dropped",
        (json_int_t)res.samples_dropped, "series_reset", (json_int_t)res.series_reset);
    if (changed && vacuum) {
      json_object_set_new(j, "bytes_before", json_integer(before));
      json_object_set_new(j, "bytes_after", json_integer(after));
    }
    json_object_set_new(j, "checkpoint", json_string(checkpoint));
    qb_json_dumpf(j, cli->out, JSON_INDENT(2));
    fputc('\n', cli->out);
    json_decref(j);
    goto done;
  }
  const char *verb = o.dry_run ? "would delete" : "deleted";
  fprintf(cli->out, "%s %lld run%s (%lld results, %lld samples)\n", verb, (long long)res.runs,
          res.runs == 1 ? "" : "s", (long long)res.results, (long long)res.samples);
  if (o.samples_before != QB_TIME_NONE)
    fprintf(cli->out, "%s the raw samples of %lld kept run%s (%lld samples; statistics kept)\n",
            o.dry_run ? "would drop" : "dropped", (long long)res.sample_runs,
            res.sample_runs == 1 ? "" : "s", (long long)res.samples_dropped);
  if (res.kept_anchors || res.kept_newest)
    fprintf(cli->out,
            "kept %lld old run%s around open regressions and %lld that are the newest of "
            "their branch and machine\n",
            (long long)res.kept_anchors, res.kept_anchors == 1 ? "" : "s",
            (long long)res.kept_newest);
  if (res.series_reset)
    fprintf(cli->out, "%lld series will be analysed in full by the next detection\n",
            (long long)res.series_reset);
  if (changed && vacuum) {
    char b[32], a[32];
    human_bytes(before, b, sizeof b);
    human_bytes(after, a, sizeof a);
    fprintf(cli->out, "database %s -> %s\n", b, a);
  }
  if (deferred)
    fprintf(cli->out, "wal checkpoint deferred: other connections are reading; the next writer "
                      "checkpoints it (the deletion is done)\n");
done:
  qb_store_close(store);
  return rc;
}

/* cli/cmd_target.c - `qbdb target`: performance budgets. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/history.h"
#include "cli/cli.h"
#include "core/units.h"

const char cmd_target_help[] =
    "usage: qbdb target set [--db PATH] [--project P] GLOB METRIC OP VALUE\n"
    "       qbdb target list [--db PATH] [--project P]\n"
    "       qbdb target rm [--db PATH] ID\n"
    "       qbdb target check [--db PATH] [--project P] RUN\n"
    "\n"
    "A target is a budget every benchmark matching GLOB must keep: OP is <, <=, > or >=, VALUE\n"
    "a number with a unit (2ms, 0.5 ms, 45.6MB/s, 10000/s, 64KiB): latency and cpu take a\n"
    "time, memory a size, throughput a rate; a metric of another name takes a bare number (a\n"
    "count) or any unit. Quote the OP for the shell: qbdb target set 'crypto/*' latency '<' 2ms.\n"
    "A GLOB that matches no stored benchmark yet is kept, with a note on standard error.\n"
    "Targets are checked on every ingest, by compare (a broken target is at least a major\n"
    "regression) and by grade. `check` lists every target that applies to RUN and whether it\n"
    "holds.\n"
    "\n"
    "Exit codes: 0 ok (check: all targets met), 1 check: a target is broken, 2 usage,\n"
    "4 no such target, run or database.\n";

/* The base unit a metric's values are stored in, when the value had no unit. */
static const char *default_unit(const char *metric) {
  if (!strcmp(metric, "throughput")) return "1/s";
  if (!strcmp(metric, "memory")) return "B";
  if (!strcmp(metric, "latency") || !strcmp(metric, "cpu")) return "ns";
  return "1";
}

static const char *unit_examples(const char *base) {
  if (!strcmp(base, "ns")) return "a time, e.g. 150ns, 2.5us, 3ms or 1s";
  if (!strcmp(base, "B")) return "a size, e.g. 512B, 64KiB or 2MB";
  return "a rate, e.g. 1000/s or 2.5M/s";
}

/* The stored benchmarks of project (NULL: any) that glob matches: 0 or 1. */
static int glob_matches_any(qb_store *s, const char *project, const char *glob) {
  qb_bench_metric *b = NULL;
  size_t n = 0;
  qb_err err = QB_ERR_INIT;
  int any = 0;
  if (qb_store_bench_metrics(s, project && *project ? project : NULL, &b, &n, &err)) return 1;
  for (size_t i = 0; i < n && !any; i++) any = fnmatch(glob, b[i].bench, 0) == 0;
  qb_bench_metrics_free(b, n);
  return any;
}

int cmd_target(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *project = NULL, *pos[5] = {NULL, NULL, NULL, NULL, NULL};
  int n_pos = 0, m, rc;
  for (int i = 1; i < argc;) {
    if ((m = qb_cli_opt(argc, argv, &i, "--project", &project, err))) {
      if (m < 0) return m;
    } else if (n_pos < 5 && (argv[i][0] != '-' || n_pos >= 3)) {
      pos[n_pos++] = argv[i++]; /* OP and VALUE may start with '-' (a negative value) */
    } else {
      return qb_cli_bad_arg("target", argv[i], err);
    }
  }
  const char *verb = pos[0] ? pos[0] : "";
  int want = !strcmp(verb, "set")     ? 5
             : !strcmp(verb, "list")  ? 1
             : !strcmp(verb, "rm")    ? 2
             : !strcmp(verb, "check") ? 2
                                      : -1;
  if (want < 0) return qb_err_set(err, QB_EUSAGE, "target: expected set, list, rm or check");
  if (n_pos != want)
    return qb_err_set(err, QB_EUSAGE,
                      "target %s: wrong number of arguments (see: qbdb help target)", verb);
  qb_target t = {0};
  if (want == 5) {
    const char *op = pos[3];
    if (strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, ">") && strcmp(op, ">="))
      return qb_err_set(err, QB_EUSAGE, "target set: operator '%s': expected <, <=, > or >=", op);
    const char *unit, *want_unit = default_unit(pos[2]);
    if ((rc = qb_target_parse_value(pos[4], &t.value, &unit, err))) return rc;
    /* a bare number is a count; for a metric with a dimension it would silently mean ns, B or
     * 1/s, so the unit must be written */
    if (!unit && strcmp(want_unit, "1"))
      return qb_err_set(err, QB_EUSAGE, "target set: value '%s' for %s needs a unit (%s)", pos[4],
                        pos[2], unit_examples(want_unit));
    if (unit && strcmp(want_unit, "1") && strcmp(unit, want_unit))
      return qb_err_set(err, QB_EUSAGE, "target set: value '%s': %s is measured in %s (%s)", pos[4],
                        pos[2], want_unit, unit_examples(want_unit));
    t.project = (char *)(project ? project : "");
    t.bench_glob = (char *)pos[1];
    t.metric = (char *)pos[2];
    t.op = (char *)op;
    t.unit = (char *)(unit ? unit : want_unit);
  }
  qb_store *store = NULL;
  qb_target *list = NULL;
  qb_target_check *checks = NULL;
  size_t n = 0, n_checks = 0;
  qb_table tb = {0};
  qb_cli_esc e = QB_CLI_ESC_INIT; /* stored text escaped for the terminal (cli/cli.h) */
  if ((rc = qb_store_open(&store, cli->db, want == 5 ? QB_STORE_CREATE : 0, err))) goto done;
  if (want == 5) {
    int64_t id;
    if ((rc = qb_store_target_set(store, &t, &id, err))) goto done;
    /* kept (a target may come before its benchmarks' first run), but said: a typo in the glob
     * would otherwise make a target that never applies */
    if (!glob_matches_any(store, t.project, t.bench_glob))
      fprintf(cli->errs, "qbdb: note: no stored benchmark%s%s matches '%s' yet\n",
              *t.project ? " of project " : "", qb_cli_esc_str(&e, t.project),
              qb_cli_esc_str(&e, t.bench_glob));
    char v[32];
    qb_unit_format(t.value, t.unit, v, sizeof v);
    fprintf(cli->out, "target %lld: %s %s %s %s%s%s\n", (long long)id,
            qb_cli_esc_str(&e, t.bench_glob), qb_cli_esc_str(&e, t.metric), t.op,
            qb_cli_esc_str(&e, v), *t.project ? " in project " : "", qb_cli_esc_str(&e, t.project));
  } else if (!strcmp(verb, "rm")) {
    char *end;
    long long id = strtoll(pos[1], &end, 10);
    if (*end || id <= 0) {
      rc = qb_err_set(err, QB_EUSAGE, "target rm: '%s' is not a target id", pos[1]);
      goto done;
    }
    if ((rc = qb_store_target_rm(store, id, err))) goto done;
    fprintf(cli->out, "target %lld removed\n", id);
  } else if (!strcmp(verb, "list")) {
    if ((rc = qb_store_targets(store, project, &list, &n, err))) goto done;
    static const char *const head[] = {"id", "project", "benchmarks", "metric", "target"};
    if ((rc = qb_table_init(&tb, 5, head, 1u, err))) goto done;
    for (size_t i = 0; i < n && !rc; i++) {
      char id[24], v[64], vv[32];
      snprintf(id, sizeof id, "%lld", (long long)list[i].id);
      snprintf(v, sizeof v, "%s %s", list[i].op,
               qb_unit_format(list[i].value, list[i].unit, vv, sizeof vv));
      const char *row[] = {id, *list[i].project ? qb_cli_esc_str(&e, list[i].project) : "*",
                           qb_cli_esc_str(&e, list[i].bench_glob),
                           qb_cli_esc_str(&e, list[i].metric), qb_cli_esc_str(&e, v)};
      rc = qb_table_add(&tb, row, err);
    }
    if (!rc) {
      if (n)
        qb_table_print(&tb, cli->out);
      else
        fprintf(cli->out, "no targets\n");
    }
  } else { /* check */
    int64_t id;
    if ((rc = qb_store_resolve_run(store, project, pos[1], &id, err)) ||
        (rc = qb_targets_check(store, id, &checks, &n_checks, err)))
      goto done;
    size_t broken = 0;
    for (size_t i = 0; i < n_checks; i++) {
      char v[32], tv[32];
      broken += !checks[i].met;
      qb_unit_format(checks[i].value, checks[i].unit, v, sizeof v);
      qb_unit_format(checks[i].target, checks[i].unit, tv, sizeof tv);
      /* "176.7 us < 150.0 us" would read as a true statement: a broken target says what the
       * value must be */
      fprintf(cli->out, "%s  %s %s: %s%s %s %s\n", checks[i].met ? "met   " : "BROKEN",
              qb_cli_esc_str(&e, checks[i].bench), qb_cli_esc_str(&e, checks[i].metric),
              qb_cli_esc_str(&e, v), checks[i].met ? "" : ", must be", checks[i].op,
              qb_cli_esc_str(&e, tv));
    }
    if (!n_checks) fprintf(cli->out, "no targets apply to run %lld\n", (long long)id);
    if (broken)
      rc = qb_err_set(err, QB_EREGRESSION, "run %lld breaks %zu of %zu target%s", (long long)id,
                      broken, n_checks, qb_cli_s(n_checks));
  }
done:
  qb_cli_esc_dispose(&e);
  qb_table_dispose(&tb);
  qb_targets_free(list, n);
  qb_target_checks_free(checks, n_checks);
  qb_store_close(store);
  return rc;
}

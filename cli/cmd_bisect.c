/* cli/cmd_bisect.c - `qbdb bisect`: check out the commits between a good and a bad commit in a
 * git work tree, run a command that benchmarks each, store its results on a scratch branch and
 * let the search (service/bisect.h) decide; the session is stored after every run, so an
 * interrupted bisect resumes (docs/cli/bisect.md). The work tree is put back as it was found on
 * every way out but SIGKILL (then --resume puts it back at its end). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "service/bisect.h"
#include "cli/cli.h"
#include "core/time.h"
#include "core/units.h"
#include "adapters/adapter.h"
#include "ingest/ingest.h"
#include "schema/store.h"

const char cmd_bisect_help[] =
    "usage: qbdb bisect [--db PATH] REGRESSION_ID [OPTIONS] -- CMD [ARG...]\n"
    "       qbdb bisect [--db PATH] --good REF --bad REF --benchmark NAME [--metric M]\n"
    "                   [--project P] [OPTIONS] -- CMD [ARG...]\n"
    "       qbdb bisect [--db PATH] --resume [ID]\n"
    "       qbdb bisect [--db PATH] --show ID [--format text|json]\n"
    "\n"
    "Find the commit that changed a benchmark: check out commits between the good and the\n"
    "bad commit (their first-parent history) in the git work tree --repo (default: the\n"
    "current directory), run CMD there (a shell command is `sh -c '...'`), which builds and\n"
    "benchmarks that commit and writes its results in any format `qbdb ingest` reads to\n"
    "standard output (or to --output FILE), store them on the branch bisect/ID, and decide\n"
    "with sequential tests whether the commit is like good or like bad, running CMD again\n"
    "until the decision reaches the error rate. A regression found in two steps is reported\n"
    "as two. REGRESSION_ID takes the good and the bad commit, the benchmark, the metric and\n"
    "the project from a record of `qbdb regressions`; the result is stored with it.\n"
    "CMD exiting 125 marks a commit that cannot be tested (skipped, as `git bisect run`);\n"
    "another failure is retried --retries times, then skipped.\n"
    "\n"
    "  --repo DIR         the git work tree (it must have no local changes)\n"
    "  --output FILE      CMD writes its results to FILE (relative to the work tree)\n"
    "  --format F         their format (default auto; as `qbdb ingest --format`)\n"
    "  --machine M        the machine of the stored runs (default: this host's name)\n"
    "  --error E          the chance of a wrong answer allowed (default 0.05)\n"
    "  --calibrate N      runs of the good and the bad commit first, at least (default 5)\n"
    "  --max-calibrate N  and at most (default 30)\n"
    "  --max-runs N       runs of one tested commit at most, then undecided (default 20)\n"
    "  --retries N        failed runs of a commit retried before it is skipped (default 1)\n"
    "  --fixed            a fixed number of runs per decision instead (for comparison)\n"
    "  --resume [ID]      go on with an interrupted session (default: the newest running)\n"
    "  --show ID          print a stored session's result\n"
    "  --format text|json with --show\n"
    "\n"
    "Prints the calibration, each decision (runs, level, p-values), the commits found with\n"
    "their change, and the runs and time used. Exit codes: 0 found, 1 no step found or the\n"
    "change does not reproduce here, 2 usage (or a work tree with local changes), 4 no such\n"
    "record or session, 6 i/o error, 130 interrupted (resume with --resume).\n";

/* ---- signals -------------------------------------------------------------------------------- */

static volatile sig_atomic_t g_stop;
static volatile pid_t g_child;

static void on_signal(int sig) {
  g_stop = sig;
  if (g_child > 0) kill(g_child, sig);
}

/* ---- processes ------------------------------------------------------------------------------ */

/* Run argv in dir with stdout to out_fd (-1: /dev/null) and stderr to err_fd (-1: inherited);
 * *status: its exit status, or -N for signal N. QB_EIO when it cannot be started. */
static int run_proc(const char *dir, char *const *argv, int out_fd, int err_fd,
                    char *const *env_add, int *status, qb_err *err) {
  pid_t pid = fork();
  if (pid < 0)
    return qb_err_set(err, QB_EIO, "bisect: cannot start %s: %s", argv[0], strerror(errno));
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (dir && chdir(dir) != 0) _exit(127);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(out_fd >= 0 ? out_fd : null, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    for (size_t i = 0; env_add && env_add[i]; i += 2) setenv(env_add[i], env_add[i + 1], 1);
    execvp(argv[0], argv);
    dprintf(2, "qbdb bisect: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  g_child = pid;
  int st = 0;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      g_child = 0;
      return qb_err_set(err, QB_EIO, "bisect: waiting for %s: %s", argv[0], strerror(errno));
    }
  g_child = 0;
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
  return QB_OK;
}

/* Read the whole file fd (from its start) into *out (malloc'd, NUL-terminated), at most max. */
static int slurp_fd(int fd, size_t max, char **out, size_t *len, qb_err *err) {
  *out = NULL;
  *len = 0;
  if (lseek(fd, 0, SEEK_SET) < 0)
    return qb_err_set(err, QB_EIO, "bisect: output: %s", strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap + 1);
  if (!b) return qb_err_set(err, QB_ENOMEM, "out of memory");
  for (;;) {
    if (n == cap) {
      if (cap >= max) {
        free(b);
        return qb_err_set(err, QB_ETOOLARGE, "bisect: the command's output is over %zu bytes", max);
      }
      char *p = realloc(b, 2 * cap + 1);
      if (!p) {
        free(b);
        return qb_err_set(err, QB_ENOMEM, "out of memory");
      }
      b = p;
      cap *= 2;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      free(b);
      return qb_err_set(err, QB_EIO, "bisect: output: %s", strerror(errno));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  b[n] = 0;
  *out = b;
  *len = n;
  return QB_OK;
}

/* A temporary file, unlinked at once (its descriptor stays). */
static int temp_fd(qb_err *err) {
  const char *d = getenv("TMPDIR");
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/qbdb-bisect-XXXXXX", d && *d ? d : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) return qb_err_set(err, QB_EIO, "bisect: %s: %s", path, strerror(errno));
  unlink(path);
  return fd;
}

/* git -C dir ARGS... (NULL-terminated): its standard output, trailing newlines cut, in *out
 * (malloc'd). QB_EUSAGE with git's first error line when it fails. */
static int git(const char *dir, char **out, qb_err *err, ...) {
  char *argv[32];
  size_t n = 0;
  argv[n++] = "git";
  argv[n++] = "-C";
  argv[n++] = (char *)dir;
  va_list ap;
  va_start(ap, err);
  for (char *a; n < 31 && (a = va_arg(ap, char *));) argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  int ofd = temp_fd(err), efd = ofd >= 0 ? temp_fd(err) : -1, st = 0, rc;
  if (ofd < 0 || efd < 0) {
    if (ofd >= 0) close(ofd);
    return ofd < 0 ? ofd : efd;
  }
  char *o = NULL, *e = NULL;
  size_t lo, le;
  if (!(rc = run_proc(NULL, argv, ofd, efd, NULL, &st, err)) &&
      !(rc = slurp_fd(ofd, (size_t)256 << 20, &o, &lo, err)) &&
      !(rc = slurp_fd(efd, 1 << 20, &e, &le, err)) && st != 0) {
    char *nl = strchr(e, '\n');
    if (nl) *nl = 0;
    rc = qb_err_set(err, QB_EUSAGE, "bisect: git %s: %s", argv[3], *e ? e : "failed");
  }
  close(ofd);
  close(efd);
  free(e);
  if (rc) {
    free(o);
    return rc;
  }
  while (lo && o[lo - 1] == '\n') o[--lo] = 0;
  if (out)
    *out = o;
  else
    free(o);
  return QB_OK;
}

/* ---- the session ---------------------------------------------------------------------------- */

typedef struct bctx {
  qb_cli *cli;
  qb_store *store;
  int64_t id;
  const char *repo;   /* the work tree */
  json_t *command;    /* {"argv", "repo", "output", "format", "head", "head_sha"} */
  char **argv;        /* CMD (borrowed from command) */
  const char *output; /* NULL: stdout */
  qb_format format;
  const char *project, *benchmark, *metric, *machine, *unit;
  char branch[64], id_text[32];
  qb_cli_esc esc;
  size_t decisions;
} bctx;

static const char *short_sha(const char *s) {
  static char b[4][13];
  static int k;
  k = (k + 1) % 4;
  snprintf(b[k], sizeof b[k], "%.10s", s);
  return b[k];
}

static const char *fmt_value(const bctx *c, double v, char *buf, size_t n) {
  return qb_unit_format(v, c->unit ? c->unit : "ns", buf, n);
}

/* measure: check out the commit, run CMD, ingest what it wrote on the scratch branch. */
static int measure(void *ctx, size_t commit, qb_bisect_obs *o, qb_err *err);

static const qb_bisect *g_b; /* the session's search, for measure's commit ids */

static int measure(void *ctx, size_t commit, qb_bisect_obs *o, qb_err *err) {
  bctx *c = ctx;
  if (g_stop) return qb_err_set(err, QB_EINTERRUPTED, "interrupted");
  const char *sha = g_b->commits[commit];
  int rc = git(c->repo, NULL, err, "checkout", "--quiet", "--detach", sha, (char *)NULL);
  if (rc) return rc;
  int ofd = temp_fd(err), efd = ofd >= 0 ? temp_fd(err) : -1, st = 0;
  if (ofd < 0 || efd < 0) {
    if (ofd >= 0) close(ofd);
    return ofd < 0 ? ofd : efd;
  }
  char *env[] = {"QBDB_BISECT_COMMIT", (char *)sha, "QBDB_BISECT_ID", c->id_text, NULL};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rc = run_proc(c->repo, c->argv, ofd, efd, env, &st, err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  o->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  o->status = st;
  char *data = NULL, *log = NULL;
  size_t len = 0, loglen = 0;
  qb_run *run = NULL;
  char why[QB_ERR_MSG_MAX] = "";
  if (rc) goto done;
  if (g_stop) {
    rc = qb_err_set(err, QB_EINTERRUPTED, "interrupted");
    goto done;
  }
  if (st != 0) {
    snprintf(why, sizeof why,
             st == 125 ? "exit 125: cannot be tested"
             : st < 0  ? "killed by signal %d"
                       : "exit %d",
             st < 0 ? -st : st);
    if (!slurp_fd(efd, 1 << 20, &log, &loglen, err) && loglen) { /* its last line says why */
      while (loglen && log[loglen - 1] == '\n') log[--loglen] = 0;
      char *last = strrchr(log, '\n');
      size_t at = strlen(why);
      snprintf(why + at, sizeof why - at, ": %s", last ? last + 1 : log);
    }
    goto done;
  }
  if (c->output) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->repo, c->output);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      snprintf(why, sizeof why, "%s: %s", c->output, strerror(errno));
      goto done;
    }
    rc = slurp_fd(fd, (size_t)256 << 20, &data, &len, err);
    close(fd);
    unlink(path);
  } else {
    rc = slurp_fd(ofd, (size_t)256 << 20, &data, &len, err);
  }
  if (rc) goto done;
  qb_tag tag = {"bisect", c->id_text};
  qb_ingest_opts io = QB_INGEST_OPTS_INIT;
  io.format = c->format;
  io.project = c->project;
  io.branch = c->branch;
  io.commit = sha;
  io.machine = c->machine;
  io.tags = &tag;
  io.n_tags = 1;
  qb_err e2 = QB_ERR_INIT;
  char name[96];
  snprintf(name, sizeof name, "%s (commit %s)", c->output ? c->output : "<stdout>", short_sha(sha));
  if (qb_ingest_prepare_bytes(name, data, len, &io, &run, &e2)) {
    snprintf(why, sizeof why, "%s", e2.msg);
    goto done;
  }
  run->commit_time = g_b->times[commit];
  const qb_result *r = NULL;
  for (size_t i = 0; i < run->n_benches && !r; i++)
    if (!strcmp(run->benches[i].name, c->benchmark))
      for (size_t k = 0; k < run->benches[i].n_results && !r; k++)
        if (!strcmp(run->benches[i].results[k].metric, c->metric)) r = &run->benches[i].results[k];
  if (!r) {
    snprintf(why, sizeof why, "%s: no %s %s in it", name, c->benchmark, c->metric);
    goto done;
  }
  double v = isfinite(r->stats.median) ? r->stats.median
             : isfinite(r->stats.mean) ? r->stats.mean
                                       : r->stats.estimate;
  qb_ingest_result res;
  if ((rc = qb_ingest_store(c->store, run, &res, err))) goto done;
  o->ok = 1;
  o->value = v;
  o->run_id = res.run_id;
done:
  if (!rc && !o->ok && !(o->why = strdup(why))) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_run_free(run);
  free(data);
  free(log);
  close(ofd);
  close(efd);
  return rc;
}

static int save(void *ctx, const qb_bisect *b, qb_err *err) {
  bctx *c = ctx;
  json_t *st = qb_bisect_state_json(b, c->command);
  char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
  json_decref(st);
  if (!text) return qb_err_set(err, QB_ENOMEM, "out of memory");
  int rc = qb_store_bisect_update(c->store, c->id, b->finished ? "done" : "running", text,
                                  qb_time_now(), err);
  free(text);
  return rc;
}

/* ---- printing ------------------------------------------------------------------------------- */

static void ev_calibrated(void *ctx, size_t good, size_t bad, const qb_bisect *b) {
  bctx *c = ctx;
  char g[32], x[32], p[32];
  fprintf(c->cli->out, "calibration: good %s %s, bad %s %s: %+.1f%% (p %s)\n",
          short_sha(b->commits[good]), fmt_value(c, b->good_level, g, sizeof g),
          short_sha(b->commits[bad]), fmt_value(c, b->bad_level, x, sizeof x), b->change_pct,
          qb_pvalue_format(b->p_change, p, sizeof p));
  fflush(c->cli->out);
}

static void ev_tested(void *ctx, const qb_bisect_test *t, const qb_bisect *b) {
  bctx *c = ctx;
  char v[32], pg[32], pb[32];
  c->decisions++;
  fprintf(c->cli->out, "  %s %s: %s after %zu run%s", short_sha(b->commits[t->commit]),
          qb_cli_esc_str(&c->esc, b->subjects[t->commit]), qb_bisect_verdict_name(t->verdict),
          t->runs, qb_cli_s(t->runs));
  if (t->runs)
    fprintf(c->cli->out, " (%s; p against good %s, against bad %s)",
            fmt_value(c, t->centre, v, sizeof v), qb_pvalue_format(t->p_good, pg, sizeof pg),
            qb_pvalue_format(t->p_bad, pb, sizeof pb));
  fputc('\n', c->cli->out);
  fflush(c->cli->out);
}

static void ev_observed(void *ctx, const qb_bisect_obs *o, int replayed, const qb_bisect *b) {
  bctx *c = ctx;
  if (!o->ok && !replayed)
    fprintf(c->cli->errs, "  %s: no value: %s\n", short_sha(b->commits[o->commit]),
            qb_cli_esc_str(&c->esc, o->why ? o->why : "?"));
}

static void print_result(bctx *c, const qb_bisect *b, int64_t id) {
  FILE *f = c->cli->out;
  char x[32], y[32], p[32];
  double secs = 0;
  size_t values = qb_bisect_values(b, &secs);
  if (b->outcome == QB_BISECT_NOT_REPRODUCED) {
    fprintf(f,
            "bisect #%lld: the change does not reproduce here: good %s, bad %s (%+.1f%%, p %s)\n",
            (long long)id, fmt_value(c, b->good_level, x, sizeof x),
            fmt_value(c, b->bad_level, y, sizeof y), b->change_pct,
            qb_pvalue_format(b->p_change, p, sizeof p));
  } else if (b->outcome == QB_BISECT_NO_STEP) {
    fprintf(f,
            "bisect #%lld: no single commit makes the change (%+.1f%%): it is spread over many\n",
            (long long)id, b->change_pct);
  } else {
    fprintf(f, "bisect #%lld: %zu commit%s found\n", (long long)id, b->n_steps,
            qb_cli_s(b->n_steps));
    for (size_t i = 0; i < b->n_steps; i++) {
      const qb_bisect_step *s = &b->steps[i];
      if (s->after == s->before + 1)
        fprintf(f, "  %s %s\n", b->commits[s->after],
                qb_cli_esc_str(&c->esc, b->subjects[s->after]));
      else
        fprintf(f, "  one of the %zu commits %s..%s (the others could not be tested)\n",
                s->after - s->before, short_sha(b->commits[s->before]),
                short_sha(b->commits[s->after]));
      fprintf(f, "    %+.1f%%: %s -> %s", s->change_pct, fmt_value(c, s->level_before, x, sizeof x),
              fmt_value(c, s->level_after, y, sizeof y));
      if (!s->confirmed)
        fprintf(f, " (not confirmed: the run budget ran out)");
      else if (isfinite(s->llr) && s->llr < log(1e9))
        fprintf(f, "; a step is %.3g times likelier than none over %zu pair%s (%.3g needed)",
                exp(s->llr), s->runs, qb_cli_s(s->runs), (1 - b->alpha) / b->alpha);
      else if (isfinite(s->llr))
        fprintf(f, "; a step is over 1e9 times likelier than none over %zu pair%s (%.3g needed)",
                s->runs, qb_cli_s(s->runs), (1 - b->alpha) / b->alpha);
      else
        fprintf(f, " over %zu pair%s", s->runs, qb_cli_s(s->runs));
      fprintf(f, "; Welch p %s\n", qb_pvalue_format(s->p, p, sizeof p));
    }
  }
  fprintf(f, "runs: %zu (%zu invocation%s, %.1f s); each decision's error rate %.2g", values,
          b->n_obs, qb_cli_s(b->n_obs), secs, b->alpha);
  if (b->fixed_runs && !b->opts.fixed)
    fprintf(f,
            "; a fixed-repetition search of that error rate takes %zu run%s per tested commit "
            "and %zu pair%s per end test",
            b->fixed_runs, qb_cli_s(b->fixed_runs), b->fixed_end_runs, qb_cli_s(b->fixed_end_runs));
  if (b->fixed_end_runs > b->opts.max_runs && !b->opts.fixed)
    fprintf(f, " (--fixed stops at --max-runs %zu)", b->opts.max_runs);
  fputc('\n', f);
}

/* ---- the command ---------------------------------------------------------------------------- */

static int parse_count(const char *opt, const char *v, double lo, double hi, size_t *out,
                       qb_err *err) {
  double d;
  int rc = qb_cli_number("bisect", opt, v, lo, hi, &d, err);
  if (!rc && d != floor(d))
    rc = qb_err_set(err, QB_EUSAGE, "bisect: %s '%s': expected a whole number", opt, v);
  if (!rc) *out = (size_t)d;
  return rc;
}

/* The commits from good to bad (first-parent history), into the arrays (malloc'd). */
static int commit_list(const char *repo, const char *good, const char *bad, char ***ids,
                       char ***subjects, int64_t **times, size_t *n, qb_err *err) {
  char *text = NULL, *first = NULL, range[200];
  int rc = git(repo, &first, err, "log", "-1", "--format=%H%x09%ct%x09%s", good, (char *)NULL);
  snprintf(range, sizeof range, "%s..%s", good, bad);
  if (!rc)
    rc = git(repo, &text, err, "log", "--reverse", "--first-parent", "--format=%H%x09%ct%x09%s",
             range, (char *)NULL);
  if (rc) goto done;
  size_t lines = 2;
  for (const char *p = text; *p; p++) lines += *p == '\n';
  *ids = calloc(lines, sizeof **ids);
  *subjects = calloc(lines, sizeof **subjects);
  *times = calloc(lines, sizeof **times);
  if (!*ids || !*subjects || !*times) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  *n = 0;
  for (int pass = 0; pass < 2; pass++) {
    char *save = NULL, *src = pass ? text : first;
    for (char *line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
      if (!t2) continue;
      *t1 = *t2 = 0;
      (*ids)[*n] = strdup(line);
      (*subjects)[*n] = strdup(t2 + 1);
      (*times)[*n] = strtoll(t1 + 1, NULL, 10) * 1000000;
      (*n)++;
    }
  }
  if (*n < 2) {
    rc = qb_err_set(err, QB_EUSAGE, "bisect: no commits between %s and %s", good, bad);
    goto done;
  }
  /* the first-parent line of bad must start right after good */
  char *parent = NULL, pref[64];
  snprintf(pref, sizeof pref, "%s^1", (*ids)[1]);
  if (!(rc = git(repo, &parent, err, "rev-parse", pref, (char *)NULL)) && strcmp(parent, (*ids)[0]))
    rc = qb_err_set(err, QB_EUSAGE,
                    "bisect: the good commit %s is not on the first-parent history of the bad "
                    "commit %s",
                    short_sha(good), short_sha(bad));
  free(parent);
done:
  free(text);
  free(first);
  return rc;
}

static int resolve(const char *repo, const char *ref, char **out, qb_err *err) {
  char spec[300];
  snprintf(spec, sizeof spec, "%s^{commit}", ref);
  int rc = git(repo, out, err, "rev-parse", "--verify", "--quiet", spec, (char *)NULL);
  if (rc)
    return qb_err_set(err, QB_ENOTFOUND,
                      "bisect: %s is not a commit of the repository %s (fetch it first?)", ref,
                      repo);
  return QB_OK;
}

static int show(qb_cli *cli, int64_t id, int json, qb_err *err) {
  qb_store *store;
  qb_bisect_record r;
  int rc = qb_store_open(&store, cli->db, 0, err);
  if (rc) return rc;
  if (!(rc = qb_store_bisect_get(store, id, &r, err))) {
    json_t *st = json_loads(r.state, 0, NULL);
    if (json) {
      json_t *o = json_pack(
          "{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "id", (json_int_t)r.id,
          "project", r.project, "regression",
          r.regression_id ? json_integer(r.regression_id) : json_null(), "benchmark", r.benchmark,
          "metric", r.metric, "machine", r.machine, "good", r.good_commit, "bad", r.bad_commit,
          "status", r.status, "result", json_object_get(st, "result"), "command",
          json_object_get(st, "command"), "observations", json_object_get(st, "observations"));
      rc = qb_cli_print_json(cli->out, o, err);
    } else {
      qb_bisect b;
      if (!st || (rc = qb_bisect_from_state(&b, st, err))) {
        if (!rc) rc = qb_err_set(err, QB_EFORMAT, "bisect #%lld: state: not JSON", (long long)id);
      } else {
        bctx c = {0};
        c.cli = cli;
        c.unit = !strcmp(r.metric, "latency") ? "ns" : NULL;
        fprintf(cli->out, "bisect #%lld: %s %s on %s, %s..%s, %s\n", (long long)r.id,
                qb_cli_esc_str(&c.esc, r.benchmark), qb_cli_esc_str(&c.esc, r.metric),
                qb_cli_esc_str(&c.esc, r.machine), short_sha(r.good_commit),
                short_sha(r.bad_commit), r.status);
        if (b.finished) {
          print_result(&c, &b, r.id);
        } else {
          fprintf(cli->out, "not finished: %zu runs so far; go on with qbdb bisect --resume %lld\n",
                  qb_bisect_values(&b, NULL), (long long)r.id);
        }
        qb_bisect_dispose(&b);
        qb_cli_esc_dispose(&c.esc);
      }
    }
    json_decref(st);
    qb_bisect_record_dispose(&r);
  }
  qb_store_close(store);
  return rc;
}

int cmd_bisect(qb_cli *cli, int argc, char **argv, qb_err *err) {
  const char *good = NULL, *bad = NULL, *bench = NULL, *metric = NULL, *project = NULL, *repo = ".",
             *output = NULL, *format = "auto", *machine = NULL, *v, *showfmt = "text";
  int64_t reg_id = 0, resume_id = -1, show_id = 0;
  qb_bisect_opts o = QB_BISECT_OPTS_INIT;
  int m, rc, cmd_at = -1, have_format = 0;
  for (int i = 1; i < argc;) {
    if (!strcmp(argv[i], "--")) {
      cmd_at = i + 1;
      break;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--good", &good, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--bad", &bad, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--benchmark", &bench, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--metric", &metric, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--project", &project, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--repo", &repo, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--output", &output, err)) ||
               (m = qb_cli_opt(argc, argv, &i, "--machine", &machine, err))) {
      if (m < 0) return m;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--format", &format, err))) {
      if (m < 0) return m;
      have_format = 1;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--error", &v, err))) {
      if (m < 0 || (rc = qb_cli_number("bisect", "--error", v, 1e-6, 0.49, &o.error, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--calibrate", &v, err))) {
      if (m < 0 || (rc = parse_count("--calibrate", v, 2, 1000, &o.calibrate, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-calibrate", &v, err))) {
      if (m < 0 || (rc = parse_count("--max-calibrate", v, 2, 10000, &o.max_calibrate, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--max-runs", &v, err))) {
      if (m < 0 || (rc = parse_count("--max-runs", v, 1, 10000, &o.max_runs, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--retries", &v, err))) {
      if (m < 0 || (rc = parse_count("--retries", v, 0, 100, &o.retries, err)))
        return m < 0 ? m : rc;
    } else if ((m = qb_cli_opt(argc, argv, &i, "--show", &v, err))) {
      if (m < 0) return m;
      double d;
      if ((rc = qb_cli_number("bisect", "--show", v, 1, 9e15, &d, err))) return rc;
      show_id = (int64_t)d;
    } else if (!strcmp(argv[i], "--fixed")) {
      o.fixed = 1;
      i++;
    } else if (!strcmp(argv[i], "--resume")) {
      resume_id = 0;
      i++;
      if (i < argc && argv[i][0] >= '0' && argv[i][0] <= '9') {
        double d;
        if ((rc = qb_cli_number("bisect", "--resume", argv[i], 1, 9e15, &d, err))) return rc;
        resume_id = (int64_t)d;
        i++;
      }
    } else if (argv[i][0] >= '0' && argv[i][0] <= '9' && !reg_id) {
      double d;
      if ((rc = qb_cli_number("bisect", "REGRESSION_ID", argv[i], 1, 9e15, &d, err))) return rc;
      reg_id = (int64_t)d;
      i++;
    } else {
      return qb_cli_bad_arg("bisect", argv[i], err);
    }
  }
  if (show_id) {
    if (have_format && strcmp(format, "text") && strcmp(format, "json"))
      return qb_err_set(err, QB_EUSAGE, "bisect: --format '%s': expected text or json with --show",
                        format);
    showfmt = have_format ? format : "text";
    return show(cli, show_id, !strcmp(showfmt, "json"), err);
  }
  if (o.max_calibrate < o.calibrate)
    return qb_err_set(err, QB_EUSAGE, "bisect: --max-calibrate is below --calibrate");
  if (resume_id < 0) {
    if (cmd_at < 0 || cmd_at >= argc)
      return qb_err_set(err, QB_EUSAGE, "bisect: no command: give it after --, e.g. -- make bench");
    if (!reg_id && (!good || !bad || !bench))
      return qb_err_set(err, QB_EUSAGE,
                        "bisect: give a REGRESSION_ID, or --good, --bad and --benchmark");
    if (reg_id && (good || bad || bench || metric || project))
      return qb_err_set(
          err, QB_EUSAGE,
          "bisect: a REGRESSION_ID names the commits, benchmark, metric and "
          "project: --good, --bad, --benchmark, --metric and --project go without it");
  } else if (cmd_at >= 0 || reg_id || good || bad || bench) {
    return qb_err_set(err, QB_EUSAGE,
                      "bisect: --resume takes the session's own command and options");
  }
  qb_format fmt = QB_FMT_AUTO;
  if (resume_id < 0 && (rc = qb_format_parse(format, &fmt)))
    return qb_err_set(err, QB_EUSAGE, "bisect: --format '%s': unknown format", format);

  bctx c = {0};
  c.cli = cli;
  qb_store *store = NULL;
  qb_regression *regs = NULL;
  size_t n_regs = 0, n = 0;
  char **ids = NULL, **subjects = NULL, *good_sha = NULL, *bad_sha = NULL, *toplevel = NULL,
       *head_ref = NULL, *head_sha = NULL, *dirty = NULL;
  int64_t *times = NULL;
  qb_bisect b;
  memset(&b, 0, sizeof b);
  qb_bisect_record rec;
  memset(&rec, 0, sizeof rec);
  json_t *state = NULL;
  int restore = 0;
  struct sigaction sa, old_int, old_term;
  if ((rc = qb_store_open(&store, cli->db, resume_id < 0 ? QB_STORE_CREATE : 0, err))) return rc;
  c.store = store;

  if (resume_id >= 0) { /* the stored session */
    if (!resume_id) {
      qb_bisect_filter f = QB_BISECT_FILTER_INIT;
      f.status = "running";
      f.limit = 1;
      f.with_state = 0;
      qb_bisect_record *list = NULL;
      size_t k = 0;
      if ((rc = qb_store_bisects_list(store, &f, &list, &k, err))) goto done;
      resume_id = k ? list[0].id : 0;
      qb_bisect_records_free(list, k);
      if (!resume_id) {
        rc = qb_err_set(err, QB_ENOTFOUND, "bisect: no session to resume (none is running)");
        goto done;
      }
    }
    if ((rc = qb_store_bisect_get(store, resume_id, &rec, err))) goto done;
    if (strcmp(rec.status, "running")) {
      rc = qb_err_set(err, QB_EUSAGE,
                      "bisect #%lld is %s: nothing to resume (qbdb bisect --show %lld)",
                      (long long)resume_id, rec.status, (long long)resume_id);
      goto done;
    }
    if (!(state = json_loads(rec.state, 0, NULL)) || (rc = qb_bisect_from_state(&b, state, err))) {
      if (!rc)
        rc = qb_err_set(err, QB_EFORMAT, "bisect #%lld: state: not JSON", (long long)resume_id);
      goto done;
    }
    c.command = json_incref(json_object_get(state, "command"));
    c.id = rec.id;
    c.project = rec.project;
    c.benchmark = rec.benchmark;
    c.metric = rec.metric;
    c.machine = rec.machine;
    c.repo = json_string_value(json_object_get(c.command, "repo"));
    c.output = json_string_value(json_object_get(c.command, "output"));
    if (qb_format_parse(json_string_value(json_object_get(c.command, "format")), &c.format))
      c.format = QB_FMT_AUTO;
    head_ref = strdup(json_string_value(json_object_get(c.command, "head")) ?: "");
    json_t *av = json_object_get(c.command, "argv");
    c.argv = calloc(json_array_size(av) + 1, sizeof *c.argv);
    for (size_t i = 0; c.argv && i < json_array_size(av); i++)
      c.argv[i] = (char *)json_string_value(json_array_get(av, i));
    if (!c.repo || !c.argv || !c.argv[0]) {
      rc = qb_err_set(err, QB_EFORMAT, "bisect #%lld: state: no command", (long long)resume_id);
      goto done;
    }
  } else {
    if (reg_id) {
      qb_regression_filter f = QB_REGRESSION_FILTER_INIT;
      if ((rc = qb_store_regressions_list(store, &f, &regs, &n_regs, err))) goto done;
      const qb_regression *r = NULL;
      for (size_t i = 0; i < n_regs && !r; i++)
        if (regs[i].id == reg_id) r = &regs[i];
      if (!r) {
        rc = qb_err_set(err, QB_ENOTFOUND,
                        "bisect: no regression record %lld (qbdb regressions --all)",
                        (long long)reg_id);
        goto done;
      }
      if (!r->prev_commit_sha || !*r->prev_commit_sha || !r->commit_sha || !*r->commit_sha) {
        rc = qb_err_set(err, QB_EUSAGE,
                        "bisect: regression %lld: its runs name no commits: give --good, --bad "
                        "and --benchmark",
                        (long long)reg_id);
        goto done;
      }
      good = r->prev_commit_sha;
      bad = r->commit_sha;
      bench = r->series.bench;
      metric = r->series.metric;
      project = r->series.project;
      if (!machine) machine = r->series.machine;
      int worse_higher = !r->series.higher_is_better;
      int is_reg = !strcmp(r->kind, "regression");
      o.worse_is_higher = (worse_higher == is_reg) ? 1 : -1;
      c.unit = r->series.unit;
    }
    c.project = project ? project : "default";
    c.benchmark = bench;
    c.metric = metric ? metric : "latency";
    c.machine = machine ? machine : qb_cli_hostname() ? qb_cli_hostname() : "localhost";
    c.format = fmt;
    c.output = output;
    if ((rc = git(repo, &toplevel, err, "rev-parse", "--show-toplevel", (char *)NULL))) {
      rc = qb_err_set(err, QB_EUSAGE, "bisect: %s is not in a git work tree", repo);
      goto done;
    }
    c.repo = toplevel;
    if ((rc = resolve(toplevel, good, &good_sha, err)) ||
        (rc = resolve(toplevel, bad, &bad_sha, err)))
      goto done;
    if ((rc = commit_list(toplevel, good_sha, bad_sha, &ids, &subjects, &times, &n, err)))
      goto done;
    if ((rc = qb_bisect_init(&b, &o, ids, subjects, times, n, err))) goto done;
    c.argv = argv + cmd_at;
  }
  if (!c.unit) c.unit = strcmp(c.metric, "latency") ? NULL : "ns";
  /* the work tree: clean, and where it stands */
  if ((rc =
           git(c.repo, &dirty, err, "status", "--porcelain", "--untracked-files=no", (char *)NULL)))
    goto done;
  if (*dirty) {
    rc = qb_err_set(err, QB_EUSAGE,
                    "bisect: the work tree %s has local changes: commit or stash them first",
                    c.repo);
    goto done;
  }
  if (resume_id < 0) {
    if (git(c.repo, &head_ref, err, "symbolic-ref", "--quiet", "--short", "HEAD", (char *)NULL)) {
      free(head_ref);
      head_ref = NULL;
      if ((rc = git(c.repo, &head_ref, err, "rev-parse", "HEAD", (char *)NULL))) goto done;
    }
    if ((rc = git(c.repo, &head_sha, err, "rev-parse", "HEAD", (char *)NULL))) goto done;
    json_t *av = json_array();
    for (int i = cmd_at; i < argc; i++) json_array_append_new(av, json_string(argv[i]));
    c.command = json_pack("{s:o, s:s, s:s?, s:s, s:s, s:s}", "argv", av, "repo", c.repo, "output",
                          output, "format", format, "head", head_ref, "head_sha", head_sha);
    json_t *st = qb_bisect_state_json(&b, c.command);
    char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    json_decref(st);
    qb_bisect_record nr = {0,
                           reg_id,
                           (char *)c.project,
                           (char *)c.benchmark,
                           (char *)c.metric,
                           (char *)c.machine,
                           b.commits[0],
                           b.commits[b.n_commits - 1],
                           "running",
                           text,
                           qb_time_now(),
                           0};
    rc = text ? qb_store_bisect_add(store, &nr, &c.id, err)
              : qb_err_set(err, QB_ENOMEM, "out of memory");
    free(text);
    if (rc) goto done;
  }
  snprintf(c.branch, sizeof c.branch, "bisect/%lld", (long long)c.id);
  snprintf(c.id_text, sizeof c.id_text, "%lld", (long long)c.id);
  fprintf(cli->out, "bisect #%lld: %s %s on %s, %zu commit%s from %s (good) to %s (bad)%s\n",
          (long long)c.id, qb_cli_esc_str(&c.esc, c.benchmark), qb_cli_esc_str(&c.esc, c.metric),
          qb_cli_esc_str(&c.esc, c.machine), b.n_commits - 2, qb_cli_s(b.n_commits - 2),
          short_sha(b.commits[0]), short_sha(b.commits[b.n_commits - 1]),
          resume_id >= 0 ? ", resumed" : "");
  if (resume_id >= 0) fprintf(cli->out, "replaying %zu stored run%s\n", b.n_obs, qb_cli_s(b.n_obs));
  fflush(cli->out);

  /* signals: stop after the current run, put the tree back, keep the session */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  restore = 1;
  g_b = &b;
  qb_bisect_events ev = {ev_calibrated, ev_tested, ev_observed, &c};
  rc = qb_bisect_run(&b, measure, &c, save, &c, &ev, err);
  g_b = NULL;

done:
  if (restore) {
    qb_err e2 = QB_ERR_INIT;
    const char *to = head_ref && *head_ref
                         ? head_ref
                         : json_string_value(json_object_get(c.command, "head_sha"));
    int is_branch = head_ref && *head_ref && strlen(head_ref) != 40;
    if (to && git(c.repo, NULL, &e2, "checkout", "--quiet", is_branch ? to : "--detach",
                  is_branch ? (char *)NULL : to, (char *)NULL))
      fprintf(cli->errs, "qbdb: warning: could not put the work tree back on %s: %s\n", to, e2.msg);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
  }
  if (rc == QB_EINTERRUPTED) {
    fprintf(cli->errs,
            "qbdb: bisect #%lld interrupted after %zu run%s; the work tree is back on %s; go on "
            "with: qbdb bisect --resume %lld\n",
            (long long)c.id, qb_bisect_values(&b, NULL), qb_cli_s(qb_bisect_values(&b, NULL)),
            head_ref ? head_ref : "?", (long long)c.id);
  } else if (!rc && b.finished) {
    print_result(&c, &b, c.id);
    if (b.outcome != QB_BISECT_FOUND)
      rc = qb_err_set(err, QB_EREGRESSION, "bisect #%lld: %s", (long long)c.id,
                      b.outcome == QB_BISECT_NOT_REPRODUCED ? "the change does not reproduce here"
                                                            : "no single commit makes the change");
  } else if (rc == QB_EUSAGE && c.id && restore) {
    /* the search cannot go on (an end of the range gives no value): the session failed */
    json_t *st = qb_bisect_state_json(&b, c.command);
    char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    qb_err e2 = QB_ERR_INIT;
    if (text) qb_store_bisect_update(store, c.id, "failed", text, qb_time_now(), &e2);
    free(text);
    json_decref(st);
  } else if (rc && c.id && restore) {
    /* a failure that is not the search's (the database, a file): resumable */
    fprintf(cli->errs, "qbdb: bisect #%lld stopped; go on with: qbdb bisect --resume %lld\n",
            (long long)c.id, (long long)c.id);
  }
  for (size_t i = 0; i < n; i++) {
    free(ids[i]);
    free(subjects[i]);
  }
  free(ids);
  free(subjects);
  free(times);
  free(good_sha);
  free(bad_sha);
  free(toplevel);
  free(head_ref);
  free(head_sha);
  free(dirty);
  if (resume_id >= 0) free(c.argv);
  json_decref(c.command);
  json_decref(state);
  qb_bisect_dispose(&b);
  qb_bisect_record_dispose(&rec);
  qb_regressions_free(regs, n_regs);
  qb_cli_esc_dispose(&c.esc);
  qb_store_close(store);
  return rc;
}

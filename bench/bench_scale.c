/* bench/bench_scale.c - does every read cost what its answer costs, not what the database holds?
 * (issue 14: on 10,000 runs x 200 benchmarks every read endpoint under 20 ms uncached, one
 * upload under 50 ms, `runs` paging independent of the database size).
 *
 * Builds a database per size (default 1,000 and 10,000 runs, 200 benchmarks of 10 raw samples
 * each, through the ingest and store API: one transaction per run, then one change-point
 * detection over every series), cached next to this binary as scale-v<schema>-<runs>.db (or in
 * $QBDB_BENCH_CACHE) so later runs skip the build; a cache of another schema version is not
 * used. The runs: project "scale", branch main on machines m1 and m2 in turn, every tenth run on
 * one of the pull-request branches pr-0.. (10 runs each), every twentieth in project "side" (branch
 * trunk); every 20th benchmark steps by +-10% every 2,500 runs (change points to list).
 *
 * Then, on a copy of each database, every read endpoint through its HTTP handler (qb_route: the
 * service function and the JSON answer, no socket) with a new connection each time (no SQLite
 * page cache, no compare cache: distinct pairs), median of REPS; and POST /api/v1/runs of one more
 * 200-benchmark run (ingest, detection, compare with its baseline, grade) REPS times. With
 * QBDB_BIN, `qbdb runs` is also timed as a process. Prints one table, a column per size;
 * QBDB_BENCH_ONLY=TEXT times only the cases whose name holds TEXT.
 * Usage: [QBDB_BIN=build/qbdb] bench_scale [SIZES [REPS]]   (defaults 1000,10000 and 7) */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/auth.h"
#include "service/history.h"
#include "service/run_cache.h"
#include "http/server.h"
#include "bench/bench_util.h"
#include "ingest/ingest.h"
#include "schema/migrate.h"

#define N_BENCH   200
#define N_SAMPLES 10
#define MAX_SIZES 4
#define MAX_CASES 40

extern char **environ;

static void die(const char *what, const qb_err *err) {
  fprintf(stderr, "bench_scale: %s: %s\n", what, err ? err->msg : strerror(errno));
  exit(1);
}

/* Where run i goes: project, branch, machine. */
static void run_place(int i, char *project, char *branch, char *machine) {
  if (i % 20 == 19) {
    strcpy(project, "side");
    strcpy(branch, "trunk");
    strcpy(machine, "m1");
    return;
  }
  strcpy(project, "scale");
  if (i % 10 == 9)
    snprintf(branch, 32, "pr-%d", i / 100); /* 10 runs per pull-request branch */
  else
    strcpy(branch, "main");
  strcpy(machine, i % 2 ? "m2" : "m1");
}

/* The pytest-benchmark JSON of run i (deterministic): commit and times from i, a minute apart. */
static char *run_json(int i, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) die("open_memstream", NULL);
  time_t t = (time_t)1735689600 + (time_t)i * 60; /* 2025-01-01 + i minutes */
  struct tm tm;
  gmtime_r(&t, &tm);
  char when[32], commit[41];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(commit, sizeof commit, "%08x%08x%08x%08x%08x", (unsigned)i * 2654435761u, (unsigned)i,
           0xabcdef01u, (unsigned)(i * 7), 0x12345678u);
  fprintf(f,
          "{\"machine_info\": {\"node\": \"bench\", \"machine\": \"x86_64\", \"system\": "
          "\"Linux\", \"cpu\": {\"brand\": \"bench\"}}, \"commit_info\": {\"id\": \"%s\", "
          "\"time\": \"%s+00:00\", \"dirty\": false}, \"benchmarks\": [\n",
          commit, when);
  bench_rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(i + 1) * 0x2545f4914f6cdd1dULL);
  for (int b = 0; b < N_BENCH; b++) {
    double step = b % 20 == 0 && (i / 2500) % 2 ? 1.10 : 1.0;
    double base = 1e-6 * (1 + b % 97) * step;
    double x[N_SAMPLES], sum = 0, mn = 1e9, mx = 0;
    for (int k = 0; k < N_SAMPLES; k++) {
      x[k] = base * (1 + 0.02 * uniform());
      sum += x[k];
      mn = x[k] < mn ? x[k] : mn;
      mx = x[k] > mx ? x[k] : mx;
    }
    double mean = sum / N_SAMPLES;
    fprintf(f,
            "{\"group\": null, \"name\": \"test_gen[%d]\", \"fullname\": "
            "\"test_gen.py::test_gen[%d]\", \"params\": {\"i\": %d}, \"stats\": {\"min\": %.17g, "
            "\"max\": %.17g, \"mean\": %.17g, \"stddev\": %.17g, \"rounds\": %d, \"median\": "
            "%.17g, \"ops\": %.17g, \"data\": [",
            b, b, b, mn, mx, mean, base * 0.006, N_SAMPLES, mean, 1 / mean);
    for (int k = 0; k < N_SAMPLES; k++) fprintf(f, "%s%.17g", k ? ", " : "", x[k]);
    fprintf(f, "], \"iterations\": 1}}%s\n", b + 1 < N_BENCH ? "," : "");
  }
  fprintf(f, "], \"datetime\": \"%s.000000\", \"version\": \"3.2.2\"}\n", when);
  fclose(f);
  return buf;
}

static void copy_file(const char *from, const char *to) {
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  if (system(cmd) != 0) {
    fprintf(stderr, "bench_scale: %s failed\n", cmd);
    exit(1);
  }
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Build the database of n runs at path (via path.tmp, renamed when complete). */
static void build(const char *path, int n) {
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  unlink(tmp);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, tmp, QB_STORE_CREATE, &err)) die(tmp, &err);
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    char project[32], branch[32], machine[32];
    run_place(i, project, branch, machine);
    size_t len;
    char *json = run_json(i, &len);
    qb_ingest_opts o = QB_INGEST_OPTS_INIT;
    o.project = project;
    o.branch = branch;
    o.machine = machine;
    qb_run *run;
    qb_ingest_result res;
    if (qb_ingest_prepare_bytes("run.json", json, len, &o, &run, &err) ||
        qb_ingest_store(s, run, &res, &err))
      die("build", &err);
    qb_run_free(run);
    free(json);
    if ((i + 1) % 1000 == 0) {
      fprintf(stderr, "\r  %d / %d runs (%.0f s)", i + 1, n, now_s() - t0);
      fflush(stderr);
    }
  }
  double t1 = now_s();
  qb_detect_opts d = QB_DETECT_OPTS_INIT;
  qb_detect_result dr;
  if (qb_detect(s, &d, &dr, &err)) die("detect", &err);
  double t2 = now_s();
  fprintf(stderr,
          "\r  %d runs stored in %.0f s; detection over %zu series (%zu points) in %.0f s: %zu "
          "change points\n",
          n, t1 - t0, dr.series, dr.points, t2 - t1, dr.changes);
  qb_store_close(s);
  if (rename(tmp, path)) die(path, NULL);
  char side[1300];
  snprintf(side, sizeof side, "%s-wal", tmp);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", tmp);
  unlink(side);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One row of the table: a name, and per size the median and the worst time in ms. */
typedef struct row {
  char name[96];
  double med[MAX_SIZES], max[MAX_SIZES];
  int status[MAX_SIZES];
} row;

static row rows[MAX_CASES];
static int n_rows;

static row *row_named(const char *name) {
  for (int i = 0; i < n_rows; i++)
    if (!strcmp(rows[i].name, name)) return &rows[i];
  row *r = &rows[n_rows++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  return r;
}

/* Time `method path?query` (query: "k=v&k=v", not encoded) on db with a new connection per
 * repetition; path and query may hold one %d, replaced by the repetition's index (distinct
 * compares). */
static qb_run_cache *g_cache; /* time_route's requests share it when set (a running server's) */

static void time_route(int col, const char *name, const char *db, const char *method,
                       const char *path_fmt, const char *query_fmt, const char *bearer,
                       const char *(*body_of)(int rep, size_t *len), int reps) {
  const char *only = getenv("QBDB_BENCH_ONLY");
  if (only && !strstr(name, only)) return;
  double t[64];
  int status = 0;
  for (int k = 0; k < reps; k++) {
    char path[256], query[512], qcopy[512];
    snprintf(path, sizeof path, path_fmt, k);
    snprintf(query, sizeof query, query_fmt ? query_fmt : "", k);
    const char *args[32];
    size_t na = 0;
    snprintf(qcopy, sizeof qcopy, "%s", query);
    for (char *p = qcopy, *save = NULL, *kv; (kv = strtok_r(p, "&", &save)) && na < 30; p = NULL) {
      char *eq = strchr(kv, '=');
      if (!eq) continue;
      *eq = '\0';
      args[na++] = kv;
      args[na++] = eq + 1;
    }
    args[na] = NULL;
    qb_store *s;
    qb_err err = QB_ERR_INIT;
    if (qb_store_open(&s, db, 0, &err)) die(db, &err);
    size_t blen = 0;
    const char *body = body_of ? body_of(k, &blen) : "";
    const char *params[1] = {NULL};
    qb_request rq = {.method = method,
                     .path = path,
                     .params = params,
                     .body = body,
                     .body_len = blen,
                     .bearer = bearer,
                     .args = args,
                     .store = s,
                     .db_path = db,
                     .public_read = 1,
                     .run_cache = g_cache};
    qb_response out;
    double t0 = now_s();
    qb_route(&rq, &out);
    t[k] = (now_s() - t0) * 1e3;
    status = out.status;
    if (out.status >= 400) {
      char *j = out.json ? json_dumps(out.json, JSON_COMPACT) : NULL;
      fprintf(stderr, "bench_scale: %s %s?%s: %d %s\n", method, path, query, out.status,
              j ? j : "");
      free(j);
    }
    json_decref(out.json);
    free(out.text);
    qb_store_close(s);
  }
  row *r = row_named(name);
  r->max[col] = 0;
  for (int k = 0; k < reps; k++) r->max[col] = t[k] > r->max[col] ? t[k] : r->max[col];
  r->med[col] = median(t, reps);
  r->status[col] = status;
}

/* Time a qbdb command line (a whole process) reps times. */
static void time_cli(int col, const char *name, char *const argv[], int reps) {
  const char *only = getenv("QBDB_BENCH_ONLY");
  if (only && !strstr(name, only)) return;
  double t[64];
  for (int k = 0; k < reps; k++) {
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t0 = now_s();
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) die(argv[0], NULL);
    int ws;
    waitpid(pid, &ws, 0);
    t[k] = (now_s() - t0) * 1e3;
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws)) fprintf(stderr, "bench_scale: %s failed\n", name);
  }
  row *r = row_named(name);
  r->max[col] = 0;
  for (int k = 0; k < reps; k++) r->max[col] = t[k] > r->max[col] ? t[k] : r->max[col];
  r->med[col] = median(t, reps);
  r->status[col] = 200;
}

static int g_size;        /* runs in the database being measured */
static char *g_body;      /* the last upload body made */
static size_t g_body_len; /* its length */

/* The body of upload rep: run g_size + rep (main, m1: the next run of the longest series). */
static int g_upload_from; /* the first upload's number after the database's runs */

static const char *upload_body(int rep, size_t *len) {
  free(g_body);
  g_body = run_json(g_size + 2 * (g_upload_from + rep), &g_body_len); /* even: main on m1 */
  *len = g_body_len;
  return g_body;
}

int main(int argc, char **argv) {
  const char *sizes_arg = argc > 1 ? argv[1] : "1000,10000";
  int reps = argc > 2 ? atoi(argv[2]) : 7;
  if (reps < 1 || reps > 64) reps = 7;
  int sizes[MAX_SIZES], n_sizes = 0;
  for (const char *p = sizes_arg; *p && n_sizes < MAX_SIZES;) {
    sizes[n_sizes++] = atoi(p);
    p = strchr(p, ',');
    if (!p) break;
    p++;
  }
  char cache_dir[1024];
  const char *env_cache = getenv("QBDB_BENCH_CACHE");
  if (env_cache) {
    snprintf(cache_dir, sizeof cache_dir, "%s", env_cache);
  } else { /* next to this binary: the build directory */
    snprintf(cache_dir, sizeof cache_dir, "%s", argv[0]);
    char *slash = strrchr(cache_dir, '/');
    if (slash)
      *slash = '\0';
    else
      strcpy(cache_dir, ".");
  }
  const char *bin = getenv("QBDB_BIN");
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("bench_scale: %d benchmarks x %d samples per run, median (max) of %d, ms; schema v%d\n",
         N_BENCH, N_SAMPLES, reps, qb_migrations_count);
  for (int c = 0; c < n_sizes; c++) {
    int n = sizes[c];
    char cached[1100], work[1100], side[1200];
    snprintf(cached, sizeof cached, "%s/scale-v%d-%d.db", cache_dir, qb_migrations_count, n);
    if (!file_exists(cached)) {
      fprintf(stderr, "building %s (cached for the next runs)\n", cached);
      build(cached, n);
    }
    snprintf(work, sizeof work, "%s/scale-work-%d.db", cache_dir, (int)getpid());
    copy_file(cached, work);
    g_size = n;
    char token[QB_TOKEN_MAX];
    {
      qb_store *s;
      qb_err err = QB_ERR_INIT;
      int64_t tid;
      if (qb_store_open(&s, work, 0, &err) ||
          qb_token_create(s, "bench", NULL, "admin", token, &tid, &err))
        die(work, &err);
      qb_store_close(s);
    }
    char deep[64], latest[64], pr_branch[64], show[64], grade_old[64];
    snprintf(deep, sizeof deep, "limit=50&cursor=%d", n - 100);
    /* runs of main on m1 are the even ones outside every 10th and 20th: ids i + 1 */
    snprintf(latest, sizeof latest, "/api/v1/runs/%d", n - 10);
    snprintf(show, sizeof show, "/api/v1/runs/%d", n / 2);
    snprintf(pr_branch, sizeof pr_branch, "project=scale&branch=pr-%d", n / 200);
    snprintf(grade_old, sizeof grade_old, "/api/v1/runs/main~%d/grade", n / 4);
    (void)latest;
    time_route(c, "GET /runs (page 1, 50)", work, "GET", "/api/v1/runs", "limit=50", NULL, NULL,
               reps);
    time_route(c, "GET /runs (deep page)", work, "GET", "/api/v1/runs", deep, NULL, NULL, reps);
    time_route(c, "GET /runs project=scale", work, "GET", "/api/v1/runs", "project=scale", NULL,
               NULL, reps);
    time_route(c, "GET /runs branch=pr-N", work, "GET", "/api/v1/runs", pr_branch, NULL, NULL,
               reps);
    time_route(c, "GET /runs branch=main machine=m2", work, "GET", "/api/v1/runs",
               "project=scale&branch=main&machine=m2", NULL, NULL, reps);
    time_route(c, "GET /runs project=side (5%)", work, "GET", "/api/v1/runs", "project=side", NULL,
               NULL, reps);
    time_route(c, "GET /runs/{id} (show)", work, "GET", show, NULL, NULL, NULL, reps);
    time_route(c, "GET /projects", work, "GET", "/api/v1/projects", NULL, NULL, NULL, reps);
    time_route(c, "GET /benchmarks project=scale", work, "GET", "/api/v1/benchmarks",
               "project=scale", NULL, NULL, reps);
    time_route(c, "GET /regressions project=scale", work, "GET", "/api/v1/regressions",
               "project=scale", NULL, NULL, reps);
    time_route(c, "GET /regressions all=true", work, "GET", "/api/v1/regressions", "all=true", NULL,
               NULL, reps);
    time_route(c, "GET /trend (one benchmark)", work, "GET", "/api/v1/trend",
               "project=scale&benchmark=test_gen[20]&branch=main&machine=m1", NULL, NULL, reps);
    time_route(c, "GET /trend (pr branch)", work, "GET", "/api/v1/trend",
               "project=scale&benchmark=test_gen[21]&branch=pr-1&machine=m2", NULL, NULL, reps);
    time_route(c, "GET /compare (distinct pairs)", work, "GET", "/api/v1/compare",
               "project=scale&head=main~%d&base=main~40", NULL, NULL, reps);
    time_route(c, "GET /compare head=main@latest", work, "GET", "/api/v1/compare",
               "project=scale&head=main~%d", NULL, NULL, reps);
    time_route(c, "GET /runs/{ref}/grade main@latest", work, "GET",
               "/api/v1/runs/main@latest/grade", NULL, NULL, NULL, reps);
    time_route(c, "GET /runs/{ref}/grade main~N/4", work, "GET", grade_old, NULL, NULL, NULL, reps);
    time_route(c, "POST /runs (200 benchmarks)", work, "POST", "/api/v1/runs",
               "project=scale&branch=main&machine=m1", token, upload_body, reps);
    /* the same on a server that has run a while: its run cache holds the series' ends (one
     * upload to warm it, then the next runs of the series) */
    g_cache = qb_run_cache_new(QB_SERVER_RUN_CACHE_BYTES);
    g_upload_from = reps;
    time_route(c, "POST /runs, warm server cache", work, "POST", "/api/v1/runs",
               "project=scale&branch=main&machine=m1", token, upload_body, 1);
    g_upload_from = reps + 1;
    time_route(c, "POST /runs, warm server cache", work, "POST", "/api/v1/runs",
               "project=scale&branch=main&machine=m1", token, upload_body, reps);
    qb_run_cache_free(g_cache);
    g_cache = NULL;
    g_upload_from = 0;
    if (bin) {
      char *a1[] = {(char *)bin, "runs", "--db", work, NULL};
      char *a2[] = {(char *)bin, "runs", "--db", work, "--branch", "main", "--machine", "m2", NULL};
      char *a3[] = {(char *)bin, "regressions", "--db", work, NULL};
      time_cli(c, "qbdb runs (process)", a1, reps);
      time_cli(c, "qbdb runs --branch --machine", a2, reps);
      time_cli(c, "qbdb regressions (process)", a3, reps);
    }
    unlink(work);
    snprintf(side, sizeof side, "%s-wal", work);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", work);
    unlink(side);
  }
  printf("%-36s", "case");
  for (int c = 0; c < n_sizes; c++) {
    char h[40];
    snprintf(h, sizeof h, "%d runs", sizes[c]);
    printf(" %18s", h);
  }
  printf("\n");
  for (int i = 0; i < n_rows; i++) {
    printf("%-36s", rows[i].name);
    for (int c = 0; c < n_sizes; c++) {
      char cell[40];
      snprintf(cell, sizeof cell, "%.2f (%.1f)%s", rows[i].med[c], rows[i].max[c],
               rows[i].status[c] >= 400 ? "!" : "");
      printf(" %18s", cell);
    }
    printf("\n");
  }
  printf("targets (issue 14, largest size): reads < 20 ms, POST /runs < 50 ms; '!': an error "
         "answer\n");
  free(g_body);
  return 0;
}

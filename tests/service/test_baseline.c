/* tests/service/test_baseline.c - the baseline rule (service/baseline.h) on a real store (SQLite,
 * and PostgreSQL as api_test_baseline_pg): the previous run of the branch on the machine, the base
 * branch (named, the default_branch setting, "main"), the merge base, explicit references and
 * machines, pooled baselines, the first run, the option checks and the CI systems'
 * target-branch variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "service/baseline.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "tests/dbutil.h"
#include "tests/testutil.h"

#define TMP QB_TEST_TMP "/api_baseline"
#define SEC 1000000LL /* microseconds */

static int setup(void **state) {
  (void)state;
  return system("rm -rf '" TMP "' && mkdir -p '" TMP "'");
}

static qb_store *open_db(const char *name) {
  const char *loc = qbt_db_fresh(TMP, name);
  qb_store *s;
  qb_err err = QB_ERR_INIT;
  if (qb_store_open(&s, loc, QB_STORE_CREATE, &err)) fail_msg("%s: %s", loc, err.msg);
  return s;
}

/* Store a run of project on branch and machine with one latency benchmark; sha may be NULL (then
 * the run has no commit time and its start time orders it). t is in seconds: the commit time
 * when there is a commit, and the run starts 10 s after it. Returns the run id. */
static int64_t put_run_in(qb_store *s, const char *project, const char *branch, const char *machine,
                          const char *sha, int64_t t) {
  static int hash_seed = 0;
  qb_err err = QB_ERR_INIT;
  qb_run *r = qb_run_new();
  assert_non_null(r);
  assert_int_equal(qb_run_set_str(&r->project, project, &err), QB_OK);
  assert_int_equal(qb_run_set_str(&r->branch, branch, &err), QB_OK);
  assert_int_equal(qb_run_set_str(&r->machine, machine, &err), QB_OK);
  assert_int_equal(qb_run_set_str(&r->format, "native", &err), QB_OK);
  if (sha) {
    assert_int_equal(qb_run_set_str(&r->commit_sha, sha, &err), QB_OK);
    r->commit_time = t * SEC;
  }
  r->started_at = (t + 10) * SEC;
  snprintf(r->content_hash, sizeof r->content_hash, "%064d", ++hash_seed);
  qb_bench *b;
  qb_result *res;
  assert_int_equal(qb_run_add_bench(r, "b", NULL, &b, &err), QB_OK);
  assert_int_equal(qb_bench_add_result(b, "latency", "ns", QB_LOWER_IS_BETTER, &res, &err), QB_OK);
  double *v = malloc(5 * sizeof *v);
  for (int k = 0; k < 5; k++) v[k] = 100.0 + k;
  qb_result_take_samples(res, v, NULL, 5);
  if (qb_ingest_finish("mem", r, NULL, &err)) fail_msg("%s", err.msg);
  int64_t id;
  if (qb_store_insert_run(s, r, &id, &err)) fail_msg("%s", err.msg);
  qb_run_free(r);
  return id;
}

/* The same in project "p". */
static int64_t put_run(qb_store *s, const char *branch, const char *machine, const char *sha,
                       int64_t t) {
  return put_run_in(s, "p", branch, machine, sha, t);
}

/* Choose the baseline of head with o (NULL: defaults), failing the test on an error. */
static qb_baseline choose(qb_store *s, int64_t head, const qb_baseline_opts *o) {
  qb_baseline b;
  qb_err err = QB_ERR_INIT;
  if (qb_baseline_choose(s, head, o, &b, &err)) fail_msg("%s", err.msg);
  return b;
}

static void assert_reason_has(const qb_baseline *b, const char *needle) {
  if (!strstr(b->reason, needle)) fail_msg("reason lacks \"%s\": %s", needle, b->reason);
}

/* Rule 3: the previous run of the same branch on the same machine, not a newer run of another
 * machine nor of another branch. */
static void test_baseline__previous_run_same_branch_and_machine(void **state) {
  (void)state;
  qb_store *s = open_db("prev.db");
  int64_t a = put_run(s, "main", "m1", "aaaa0001", 100);
  int64_t b = put_run(s, "main", "m1", "aaaa0002", 200);
  put_run(s, "main", "m2", "aaaa0003", 300);    /* newer, another machine */
  put_run(s, "feature", "m1", "aaaa0004", 310); /* newer, another branch */
  int64_t head = put_run(s, "main", "m1", "aaaa0005", 400);
  qb_baseline bl = choose(s, head, NULL);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], b);
  assert_string_equal(bl.rule, "branch");
  assert_string_equal(bl.branch, "main");
  assert_reason_has(&bl, "previous run of main on m1");
  /* the run before b is a, however many runs follow */
  bl = choose(s, b, NULL);
  assert_int_equal(bl.runs[0], a);
  assert_string_equal(bl.rule, "branch");
  /* the run of m2 has no earlier run on m2, and main is its own base branch: no baseline */
  qb_run_query q = QB_RUN_QUERY_INIT;
  q.project = "p";
  q.branch = "main";
  q.machine = "m2";
  int64_t *ids = NULL;
  size_t n = 0;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_find_runs(s, &q, &ids, &n, &err), QB_OK);
  assert_int_equal(n, 1);
  bl = choose(s, ids[0], NULL);
  free(ids);
  assert_int_equal(bl.n_runs, 0);
  assert_string_equal(bl.rule, "none");
  assert_reason_has(&bl, "m2");
  qb_store_close(s);
}

/* Rule 4: a branch without an earlier run on the machine falls back to main (its newest run
 * before the head in series order), then to the default_branch setting once it is set. */
static void test_baseline__new_branch_falls_back(void **state) {
  (void)state;
  qb_store *s = open_db("fallback.db");
  put_run(s, "main", "m1", "bbbb0001", 100);
  int64_t m2 = put_run(s, "main", "m1", "bbbb0002", 200);
  put_run(s, "main", "m2", "bbbb0003", 250); /* another machine: never chosen */
  int64_t dev = put_run(s, "develop", "m1", "bbbb0004", 150);
  /* committed before the feature's commit but run after it: before it in series order */
  int64_t late = put_run(s, "main", "m1", "bbbb0005", 290);
  int64_t head = put_run(s, "feature/x", "m1", "bbbb0006", 300);
  put_run(s, "main", "m1", "bbbb0007", 400); /* after the head: never chosen */
  (void)m2;
  qb_baseline bl = choose(s, head, NULL);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], late);
  assert_string_equal(bl.rule, "base-branch");
  assert_string_equal(bl.branch, "main");
  assert_reason_has(&bl, "feature/x has no earlier run on m1");
  assert_reason_has(&bl, "base branch main");
  assert_reason_has(&bl, "default base branch");
  /* the project's default_branch setting names another base branch */
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_store_setting_set(s, "p", "", "default_branch", 0, "develop", &err), QB_OK);
  bl = choose(s, head, NULL);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], dev);
  assert_string_equal(bl.rule, "base-branch");
  assert_string_equal(bl.branch, "develop");
  assert_reason_has(&bl, "default_branch");
  assert_reason_has(&bl, "develop");
  /* a second run of the feature branch has its own history now */
  int64_t head2 = put_run(s, "feature/x", "m1", "bbbb0008", 500);
  bl = choose(s, head2, NULL);
  assert_int_equal(bl.runs[0], head);
  assert_string_equal(bl.rule, "branch");
  qb_store_close(s);
}

/* A new branch on a machine where the base branch never ran, and a project whose first run it
 * is: no baseline, rule "none", with the reason; not an error. */
static void test_baseline__first_run_has_none(void **state) {
  (void)state;
  qb_store *s = open_db("first.db");
  int64_t first = put_run(s, "main", "m1", "cccc0001", 100);
  qb_baseline bl = choose(s, first, NULL);
  assert_int_equal(bl.n_runs, 0);
  assert_string_equal(bl.rule, "none");
  assert_string_equal(bl.branch, "");
  assert_reason_has(&bl, "no earlier run of main on machine m1");
  put_run(s, "main", "m2", "cccc0002", 200);
  int64_t f = put_run(s, "feature", "m3", "cccc0003", 300);
  bl = choose(s, f, NULL);
  assert_int_equal(bl.n_runs, 0);
  assert_string_equal(bl.rule, "none");
  assert_reason_has(&bl, "no run of base branch main");
  assert_reason_has(&bl, "m3");
  qb_store_close(s);
}

/* Rule 2: a named base branch wins over the branch's own history; its source is named. Naming
 * the head's own branch is rule 3. A base branch without runs falls back to the history. */
static void test_baseline__base_branch_beats_history(void **state) {
  (void)state;
  qb_store *s = open_db("basebranch.db");
  int64_t m1 = put_run(s, "main", "m1", "dddd0001", 100);
  int64_t f1 = put_run(s, "feature", "m1", "dddd0002", 200);
  int64_t m2 = put_run(s, "main", "m1", "dddd0003", 250);
  int64_t f2 = put_run(s, "feature", "m1", "dddd0004", 300);
  (void)m1;
  qb_baseline bl = choose(s, f2, NULL); /* nothing named: the feature's previous run */
  assert_int_equal(bl.runs[0], f1);
  assert_string_equal(bl.rule, "branch");
  qb_baseline_opts o = QB_BASELINE_OPTS_INIT;
  o.base_branch = "main";
  bl = choose(s, f2, &o);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], m2);
  assert_string_equal(bl.rule, "base-branch");
  assert_string_equal(bl.branch, "main");
  assert_reason_has(&bl, "--base-branch");
  o.base_branch_source = "$GITHUB_BASE_REF";
  bl = choose(s, f2, &o);
  assert_int_equal(bl.runs[0], m2);
  assert_reason_has(&bl, "$GITHUB_BASE_REF");
  /* the head's own branch named as the base: the previous run */
  o.base_branch = "feature";
  bl = choose(s, f2, &o);
  assert_int_equal(bl.runs[0], f1);
  assert_string_equal(bl.rule, "branch");
  /* a base branch with no run on the machine: the branch's own history, saying why */
  o.base_branch = "release";
  o.base_branch_source = NULL;
  bl = choose(s, f2, &o);
  assert_int_equal(bl.runs[0], f1);
  assert_string_equal(bl.rule, "branch");
  assert_reason_has(&bl, "no run of base branch release");
  /* ... and none at all when the branch has no history either */
  bl = choose(s, f1, &o);
  assert_int_equal(bl.n_runs, 0);
  assert_string_equal(bl.rule, "none");
  assert_reason_has(&bl, "release");
  qb_store_close(s);
}

/* --base-commit: the base branch's run at the merge base (a prefix, any case); a commit with no
 * run falls back to the newest run before the head, and the reason says which commit missed. */
static void test_baseline__merge_base(void **state) {
  (void)state;
  qb_store *s = open_db("mergebase.db");
  put_run(s, "main", "m1", "1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa", 100);
  int64_t at = put_run(s, "main", "m1", "2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb", 200);
  put_run(s, "main", "m2", "3333cccc3333cccc3333cccc3333cccc3333cccc", 250); /* m2 */
  int64_t newest = put_run(s, "main", "m1", "4444dddd4444dddd4444dddd4444dddd4444dddd", 300);
  int64_t head = put_run(s, "feature", "m1", "5555eeee5555eeee5555eeee5555eeee5555eeee", 400);
  qb_baseline_opts o = QB_BASELINE_OPTS_INIT;
  o.base_branch = "main";
  o.base_commit = "2222bbbb";
  qb_baseline bl = choose(s, head, &o);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], at);
  assert_string_equal(bl.rule, "merge-base");
  assert_reason_has(&bl, "merge base 2222bbbb");
  o.base_commit = "2222BBBB2222BBBB"; /* upper case as some tools print it */
  bl = choose(s, head, &o);
  assert_int_equal(bl.runs[0], at);
  assert_string_equal(bl.rule, "merge-base");
  /* a merge base main never ran at (and one that ran only on m2): the newest before the head */
  const char *missing[] = {"9999ffff", "3333cccc"};
  for (int k = 0; k < 2; k++) {
    o.base_commit = missing[k];
    bl = choose(s, head, &o);
    assert_int_equal(bl.n_runs, 1);
    assert_int_equal(bl.runs[0], newest);
    assert_string_equal(bl.rule, "base-branch");
    assert_reason_has(&bl, missing[k]);
    assert_reason_has(&bl, "no run of main at merge base");
  }
  /* without a named base branch, a new branch's fallback to main uses the merge base too */
  o.base_branch = NULL;
  o.base_commit = "2222bbbb";
  bl = choose(s, head, &o);
  assert_int_equal(bl.runs[0], at);
  assert_string_equal(bl.rule, "merge-base");
  qb_store_close(s);
}

/* Rule 1: an explicit reference wins; on another machine it is refused unless any_machine. */
static void test_baseline__explicit_ref(void **state) {
  (void)state;
  qb_store *s = open_db("explicit.db");
  int64_t a = put_run(s, "main", "m1", "eeee0001", 100);
  put_run(s, "main", "m1", "eeee0002", 200);
  int64_t other = put_run(s, "main", "m2", "eeee0003", 250);
  int64_t head = put_run(s, "main", "m1", "eeee0004", 300);
  char ref[32];
  snprintf(ref, sizeof ref, "%lld", (long long)a);
  qb_baseline_opts o = QB_BASELINE_OPTS_INIT;
  o.base_ref = ref;
  o.base_branch = "release"; /* an explicit reference beats a named base branch too */
  qb_baseline bl = choose(s, head, &o);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], a);
  assert_string_equal(bl.rule, "explicit");
  assert_reason_has(&bl, "as asked");
  o.base_branch = NULL;
  o.base_ref = "eeee0001"; /* a sha prefix */
  bl = choose(s, head, &o);
  assert_int_equal(bl.runs[0], a);
  /* another machine's run by id: refused, naming both machines and the way out */
  snprintf(ref, sizeof ref, "%lld", (long long)other);
  o.base_ref = ref;
  qb_baseline out;
  qb_err err = QB_ERR_INIT;
  assert_int_equal(qb_baseline_choose(s, head, &o, &out, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "m2"));
  assert_non_null(strstr(err.msg, "m1"));
  assert_non_null(strstr(err.msg, "--any-machine"));
  /* by sha prefix (not on the head's machine, found elsewhere): refused the same way */
  o.base_ref = "eeee0003";
  err = (qb_err)QB_ERR_INIT;
  assert_int_equal(qb_baseline_choose(s, head, &o, &out, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "--any-machine"));
  /* with any_machine both are taken */
  o.any_machine = 1;
  bl = choose(s, head, &o);
  assert_int_equal(bl.runs[0], other);
  assert_string_equal(bl.rule, "explicit");
  assert_reason_has(&bl, "m2");
  o.base_ref = ref;
  bl = choose(s, head, &o);
  assert_int_equal(bl.runs[0], other);
  /* the run itself, and a reference that resolves to nothing */
  snprintf(ref, sizeof ref, "%lld", (long long)head);
  err = (qb_err)QB_ERR_INIT;
  assert_int_equal(qb_baseline_choose(s, head, &o, &out, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "the run itself"));
  o.base_ref = "main~9";
  err = (qb_err)QB_ERR_INIT;
  assert_int_equal(qb_baseline_choose(s, head, &o, &out, &err), QB_ENOTFOUND);
  /* a run of another project, by id or by commit: refused, naming both projects */
  int64_t q = put_run_in(s, "q", "main", "m1", "abab0001", 50);
  snprintf(ref, sizeof ref, "%lld", (long long)q);
  const char *refs[] = {ref, "abab0001"};
  for (int k = 0; k < 2; k++) {
    o.base_ref = refs[k];
    o.any_machine = k;
    err = (qb_err)QB_ERR_INIT;
    assert_int_equal(qb_baseline_choose(s, head, &o, &out, &err), QB_EUSAGE);
    assert_non_null(strstr(err.msg, "different projects"));
    assert_non_null(strstr(err.msg, "'q'"));
  }
  qb_store_close(s);
}

/* base_runs N: the chosen run and the N - 1 runs before it on its branch and machine, newest
 * first, pooled (whatever rule chose it). */
static void test_baseline__pooled_runs(void **state) {
  (void)state;
  qb_store *s = open_db("pool.db");
  int64_t main_runs[6];
  for (int k = 0; k < 6; k++) {
    char sha[16];
    snprintf(sha, sizeof sha, "aaa%05d", k);
    main_runs[k] = put_run(s, "main", "m1", sha, 100 + 100 * k);
    snprintf(sha, sizeof sha, "bbb%05d", k); /* interleaved: another machine, another branch */
    put_run(s, "main", "m2", sha, 150 + 100 * k);
    snprintf(sha, sizeof sha, "ccc%05d", k);
    put_run(s, "topic", "m1", sha, 160 + 100 * k);
  }
  int64_t head = put_run(s, "main", "m1", "ddd00000", 1000);
  qb_baseline_opts o = QB_BASELINE_OPTS_INIT;
  o.base_runs = 4;
  qb_baseline bl = choose(s, head, &o);
  assert_string_equal(bl.rule, "branch");
  assert_int_equal(bl.n_runs, 4);
  for (int k = 0; k < 4; k++) assert_int_equal(bl.runs[k], main_runs[5 - k]);
  assert_reason_has(&bl, "pooled with the 3 runs before it");
  /* more than there are: every earlier run */
  o.base_runs = QB_BASE_RUNS_MAX;
  bl = choose(s, head, &o);
  assert_int_equal(bl.n_runs, 6);
  for (int k = 0; k < 6; k++) assert_int_equal(bl.runs[k], main_runs[5 - k]);
  /* an explicit base pools the runs before it */
  char ref[32];
  snprintf(ref, sizeof ref, "%lld", (long long)main_runs[3]);
  o.base_ref = ref;
  o.base_runs = 3;
  bl = choose(s, head, &o);
  assert_string_equal(bl.rule, "explicit");
  assert_int_equal(bl.n_runs, 3);
  for (int k = 0; k < 3; k++) assert_int_equal(bl.runs[k], main_runs[3 - k]);
  /* a new branch's base-branch baseline pools main's runs before the chosen one */
  int64_t f = put_run(s, "feature", "m1", "eee00000", 420);
  o.base_ref = NULL;
  o.base_runs = 2;
  bl = choose(s, f, &o);
  assert_string_equal(bl.rule, "base-branch");
  assert_int_equal(bl.n_runs, 2);
  assert_int_equal(bl.runs[0], main_runs[3]);
  assert_int_equal(bl.runs[1], main_runs[2]);
  /* 0 means 1 */
  o.base_runs = 0;
  bl = choose(s, head, &o);
  assert_int_equal(bl.n_runs, 1);
  assert_int_equal(bl.runs[0], main_runs[5]);
  qb_store_close(s);
}

static void test_baseline__opts_check(void **state) {
  (void)state;
  qb_err err = QB_ERR_INIT;
  qb_baseline_opts o = QB_BASELINE_OPTS_INIT;
  assert_int_equal(qb_baseline_opts_check(&o, &err), QB_OK);
  const int runs_ok[] = {0, 1, 2, QB_BASE_RUNS_MAX};
  for (size_t k = 0; k < 4; k++) {
    o.base_runs = runs_ok[k];
    assert_int_equal(qb_baseline_opts_check(&o, &err), QB_OK);
  }
  const int runs_bad[] = {-1, QB_BASE_RUNS_MAX + 1, 1000};
  for (size_t k = 0; k < 3; k++) {
    o.base_runs = runs_bad[k];
    err = (qb_err)QB_ERR_INIT;
    assert_int_equal(qb_baseline_opts_check(&o, &err), QB_EUSAGE);
    assert_non_null(strstr(err.msg, "base-runs"));
  }
  o.base_runs = 1;
  o.base_branch = "";
  assert_int_equal(qb_baseline_opts_check(&o, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "base-branch"));
  o.base_branch = "main";
  o.base_ref = "";
  assert_int_equal(qb_baseline_opts_check(&o, &err), QB_EUSAGE);
  assert_non_null(strstr(err.msg, "base"));
  o.base_ref = NULL;
  char long_ok[65], too_long[66];
  memset(long_ok, 'a', 64);
  long_ok[64] = '\0';
  memset(too_long, 'a', 65);
  too_long[65] = '\0';
  const char *good[] = {"abcd", "ABCD", "0123456789abcdef", long_ok};
  for (size_t k = 0; k < 4; k++) {
    o.base_commit = good[k];
    assert_int_equal(qb_baseline_opts_check(&o, &err), QB_OK);
  }
  const char *bad[] = {"abc", "", "xyz0", "abcd-ef", "main", too_long};
  for (size_t k = 0; k < 6; k++) {
    o.base_commit = bad[k];
    err = (qb_err)QB_ERR_INIT;
    assert_int_equal(qb_baseline_opts_check(&o, &err), QB_EUSAGE);
    assert_non_null(strstr(err.msg, "base-commit"));
  }
  /* qb_baseline_choose checks them first, before touching the store */
  qb_store *s = open_db("check.db");
  int64_t id = put_run(s, "main", "m1", "ffff0001", 100);
  qb_baseline out;
  o.base_commit = NULL;
  o.base_runs = QB_BASE_RUNS_MAX + 1;
  assert_int_equal(qb_baseline_choose(s, id, &o, &out, &err), QB_EUSAGE);
  assert_int_equal(out.n_runs, 0);
  /* and an unknown head is QB_ENOTFOUND */
  o.base_runs = 1;
  assert_int_equal(qb_baseline_choose(s, id + 100, &o, &out, &err), QB_ENOTFOUND);
  qb_store_close(s);
}

static const char *const CI_VARS[] = {"GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                                      "BITBUCKET_PR_DESTINATION_BRANCH",
                                      "SYSTEM_PULLREQUEST_TARGETBRANCH", "CHANGE_TARGET"};

static void clear_ci(void) {
  for (size_t k = 0; k < sizeof CI_VARS / sizeof CI_VARS[0]; k++) unsetenv(CI_VARS[k]);
}

static void test_baseline__ci_branch_from_environment(void **state) {
  (void)state;
  const char *var = "unset";
  clear_ci();
  assert_null(qb_baseline_ci_branch(&var));
  assert_null(var);
  assert_null(qb_baseline_ci_branch(NULL));
  /* each system's variable alone */
  const char *values[] = {"main", "develop", "trunk", "release/1.2", "master"};
  for (size_t k = 0; k < 5; k++) {
    clear_ci();
    setenv(CI_VARS[k], values[k], 1);
    assert_string_equal(qb_baseline_ci_branch(&var), values[k]);
    assert_string_equal(var, CI_VARS[k]);
  }
  /* Azure Pipelines gives a full ref: refs/heads/ is stripped */
  clear_ci();
  setenv("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/release/2.0", 1);
  assert_string_equal(qb_baseline_ci_branch(&var), "release/2.0");
  assert_string_equal(var, "SYSTEM_PULLREQUEST_TARGETBRANCH");
  setenv("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/", 1); /* nothing after it: kept */
  assert_string_equal(qb_baseline_ci_branch(&var), "refs/heads/");
  /* an empty variable is skipped; GitHub's comes first when several are set */
  setenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "gitlab-target", 1);
  setenv("GITHUB_BASE_REF", "", 1);
  assert_string_equal(qb_baseline_ci_branch(&var), "gitlab-target");
  assert_string_equal(var, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
  setenv("GITHUB_BASE_REF", "gh-target", 1);
  assert_string_equal(qb_baseline_ci_branch(&var), "gh-target");
  assert_string_equal(var, "GITHUB_BASE_REF");
  clear_ci();
  assert_null(qb_baseline_ci_branch(&var));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_baseline__previous_run_same_branch_and_machine),
      cmocka_unit_test(test_baseline__new_branch_falls_back),
      cmocka_unit_test(test_baseline__first_run_has_none),
      cmocka_unit_test(test_baseline__base_branch_beats_history),
      cmocka_unit_test(test_baseline__merge_base),
      cmocka_unit_test(test_baseline__explicit_ref),
      cmocka_unit_test(test_baseline__pooled_runs),
      cmocka_unit_test(test_baseline__opts_check),
      cmocka_unit_test(test_baseline__ci_branch_from_environment),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

/* schema/sqlite/listing.c - run listings, projects, the lookups behind run references (by id,
 * by branch, by commit prefix) and baseline candidates in SQLite. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "schema/sqlite/sq.h"

/* ---- names to ids --------------------------------------------------------------------------- */

/* Look up the id of a name with statement id (:name, and :project when project > 0); *found 0
 * when there is none. */
static int name_id(sq_store *s, int id, int64_t project, const char *name, int64_t *out, int *found,
                   qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, id, &st, err);
  if (rc) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  return sq_step_id(s, st, out, found, err);
}

/* The branch ids named branch: in project_id when > 0 (at most one), else in every project
 * (one per project). *ids is malloc'd (NULL when none); the caller frees it. */
static int branch_ids(sq_store *s, int64_t project_id, const char *branch, int64_t **ids, size_t *n,
                      qb_err *err) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc, step;
  *ids = NULL;
  *n = 0;
  if (project_id > 0) {
    int64_t id = 0;
    int found;
    if ((rc = name_id(s, S_BRANCH_GET, project_id, branch, &id, &found, err)) || !found) return rc;
    if (!(*ids = malloc(sizeof **ids))) return qb_err_set(err, QB_ENOMEM, "out of memory");
    (*ids)[0] = id;
    *n = 1;
    return QB_OK;
  }
  if ((rc = sq_stmt(s, S_BRANCHES_NAMED, &st, err))) return rc;
  b_text(st, ":name", branch);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)ids, &cap, *n, sizeof **ids, err))) break;
    (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
  }
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "branches", err);
  sqlite3_reset(st);
  if (rc) {
    free(*ids);
    *ids = NULL;
    *n = 0;
  }
  return rc;
}

/* ---- run listings --------------------------------------------------------------------------- */

/* Step a run listing statement (bound already) and append its rows to *arr (*n used, *cap
 * allocated). */
static int read_infos(sq_store *s, sqlite3_stmt *st, qb_run_info **arr, size_t *n, size_t *cap,
                      qb_err *err) {
  int rc = QB_OK, step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 16;
      qb_run_info *p = realloc(*arr, nc * sizeof *p);
      if (!p) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        break;
      }
      *arr = p;
      *cap = nc;
    }
    rc = sq_read_info(s, st, &(*arr)[*n], err);
    (*n)++;
    if (rc) break;
  }
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "list runs", err);
  sqlite3_reset(st);
  return rc;
}

/* Newest first: started_at, then id, both descending (the listing's order). */
static int cmp_info_newest(const void *a, const void *b) {
  const qb_run_info *x = a, *y = b;
  if (x->started_at != y->started_at) return x->started_at < y->started_at ? 1 : -1;
  return (x->id < y->id) - (x->id > y->id);
}

static int sq_list_runs(qb_store *base, const qb_run_filter *f, qb_run_info **out, size_t *n_out,
                        qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  *out = NULL;
  *n_out = 0;
  sqlite3_stmt *st = NULL;
  qb_run_info *arr = NULL;
  int64_t project_id = 0, machine_id = 0, *branches = NULL;
  size_t n = 0, cap = 0, n_branches = 0;
  int rc = QB_OK, found = 1;
  int64_t limit = f->limit > 0 ? f->limit : -1, offset = f->offset > 0 ? f->offset : 0;
  /* names to ids first: a name that is not there matches no run */
  if (f->project &&
      ((rc = name_id(s, S_PROJECT_GET, 0, f->project, &project_id, &found, err)) || !found))
    goto done;
  if (f->machine &&
      ((rc = name_id(s, S_MACHINE_GET, 0, f->machine, &machine_id, &found, err)) || !found))
    goto done;
  if (f->branch) {
    if ((rc = branch_ids(s, project_id, f->branch, &branches, &n_branches, err)) || !n_branches)
      goto done;
    /* a branch belongs to one project: its id says the project too */
    int id = f->machine ? S_RUNS_BM : S_RUNS_B;
    /* one branch: its page, read in order; the same name in several projects: the first
     * offset + limit runs of each, merged here */
    int64_t each = n_branches == 1                           ? limit
                   : limit < 0 || limit > INT64_MAX - offset ? -1
                                                             : limit + offset;
    for (size_t i = 0; i < n_branches && !rc; i++) {
      if ((rc = sq_stmt(s, id, &st, err))) break;
      b_int(st, ":branch", branches[i]);
      if (f->machine) b_int(st, ":machine", machine_id);
      b_int(st, ":limit", each);
      b_int(st, ":offset", n_branches == 1 ? offset : 0);
      rc = read_infos(s, st, &arr, &n, &cap, err);
    }
    if (rc || n_branches == 1) goto done;
    qsort(arr, n, sizeof *arr, cmp_info_newest);
    size_t from = (uint64_t)offset < n ? (size_t)offset : n;
    size_t to = limit < 0 || (uint64_t)limit >= n - from ? n : from + (size_t)limit;
    for (size_t i = 0; i < from; i++) qb_run_info_dispose(&arr[i]);
    for (size_t i = to; i < n; i++) qb_run_info_dispose(&arr[i]);
    memmove(arr, arr + from, (to - from) * sizeof *arr);
    n = to - from;
    goto done;
  }
  int id = f->project ? (f->machine ? S_RUNS_PM : S_RUNS_P) : (f->machine ? S_RUNS_M : S_RUNS_ALL);
  if ((rc = sq_stmt(s, id, &st, err))) goto done;
  if (f->project) b_int(st, ":project", project_id);
  if (f->machine) b_int(st, ":machine", machine_id);
  b_int(st, ":limit", limit);
  b_int(st, ":offset", offset);
  rc = read_infos(s, st, &arr, &n, &cap, err);
done:
  free(branches);
  if (rc) {
    qb_run_infos_free(arr, n);
    return rc;
  }
  if (!n) {
    free(arr);
    arr = NULL;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* ---- projects ------------------------------------------------------------------------------- */

/* Fill infos of every project with runs (S_PROJECTS). */
static int sq_projects(qb_store *base, qb_project_info **out, size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_project_info *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = sq_stmt(s, S_PROJECTS, &st, err), step;
  if (rc) return rc;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_project_info *p = &arr[n++];
    p->name = col_text(st, 0);
    p->runs = sqlite3_column_int64(st, 1);
    p->latest_run = sqlite3_column_int64(st, 2);
    p->latest_benches = sqlite3_column_int64(st, 3);
    if (!p->name) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "projects", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_project_infos_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* ---- run references (the grammar is qb_store_resolve_run's, in schema/store.c) -------------- */

static int sq_run_by_id(qb_store *base, const char *project, int64_t id, int *found, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t got;
  int rc = sq_stmt(s, S_RUN_EXISTS, &st, err);
  if (rc) return rc;
  b_int(st, ":id", id);
  b_text(st, ":project", project);
  return sq_step_id(s, st, &got, found, err);
}

/* The branch (and machine) by name, then one seek in run_by_branch[_machine]_time. */
static int sq_run_on_branch(qb_store *base, const char *project, const char *machine,
                            const char *branch, int64_t nth, int64_t *out_id, size_t *n_branches,
                            int *found, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t project_id = 0, machine_id = 0, *ids = NULL;
  int rc = QB_OK;
  *n_branches = 0;
  *found = 1;
  if (project && ((rc = name_id(s, S_PROJECT_GET, 0, project, &project_id, found, err)) || !*found))
    goto done;
  if ((rc = branch_ids(s, project_id, branch, &ids, n_branches, err))) goto done;
  *found = *n_branches == 1;
  if (*found && machine && (rc = name_id(s, S_MACHINE_GET, 0, machine, &machine_id, found, err)))
    goto done;
  if (*found) {
    if ((rc = sq_stmt(s, machine ? S_RUN_NTH_BM : S_RUN_NTH_B, &st, err))) goto done;
    b_int(st, ":branch", ids[0]);
    if (machine) b_int(st, ":machine", machine_id);
    b_int(st, ":n", nth);
    rc = sq_step_id(s, st, out_id, found, err);
  }
done:
  free(ids);
  return rc;
}

static int sq_run_by_commit(qb_store *base, const char *project, const char *machine,
                            const char *prefix, const char *upper, int64_t *out_id,
                            char first[QB_STORE_SHA_MAX], char other[QB_STORE_SHA_MAX],
                            qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = sq_stmt(s, S_RUN_BY_SHA_PREFIX, &st, err), step;
  if (rc) return rc;
  b_text(st, ":prefix", prefix);
  b_text(st, ":upper", upper);
  b_text(st, ":project", project);
  b_text(st, ":machine", machine);
  first[0] = other[0] = '\0';
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *sha = (const char *)sqlite3_column_text(st, 1);
    if (!first[0]) {
      *out_id = sqlite3_column_int64(st, 0);
      snprintf(first, QB_STORE_SHA_MAX, "%s", sha);
    } else if (strcmp(first, sha) != 0) {
      snprintf(other, QB_STORE_SHA_MAX, "%s", sha);
      break;
    }
  }
  if (step != SQLITE_ROW && step != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "resolve", err);
  sqlite3_reset(st);
  return QB_OK;
}

/* ---- baseline candidates -------------------------------------------------------------------- */

static int sq_find_runs(qb_store *base, const qb_run_query *q, int64_t **ids, size_t *n_out,
                        qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *arr = NULL, t = INT64_MAX, before_id = INT64_MAX;
  size_t n = 0, cap = 0;
  int rc = QB_OK, step;
  char sha[64] = "", upper[64] = "";
  if (q->before) { /* the candidates come before that run in series order */
    if ((rc = sq_stmt(s, S_RUN_SERIES_KEY, &st, err))) return rc;
    b_int(st, ":id", q->before);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      t = sqlite3_column_int64(st, 0);
      before_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (step == SQLITE_DONE) goto done; /* no such run: nothing comes before it */
    if (step != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "find runs", err);
  }
  /* a commit prefix: its runs by run_by_commit (lower case, as stored), from :sha up to :upper
   * (its last digit raised) */
  int by_sha = q->commit && *q->commit && strlen(q->commit) < sizeof sha;
  if (by_sha) {
    for (size_t i = 0; q->commit[i]; i++)
      sha[i] =
          (char)(q->commit[i] >= 'A' && q->commit[i] <= 'Z' ? q->commit[i] + 32 : q->commit[i]);
    memcpy(upper, sha, sizeof upper);
    upper[strlen(upper) - 1]++;
  }
  int id = by_sha ? S_FIND_RUNS_SHA : q->machine ? S_FIND_RUNS_M : S_FIND_RUNS;
  if ((rc = sq_stmt(s, id, &st, err))) return rc;
  b_text(st, ":project", q->project);
  b_text(st, ":branch", q->branch);
  b_text(st, ":machine", q->machine);
  b_text(st, ":sha", by_sha ? sha : q->commit);
  if (by_sha) b_text(st, ":upper", upper);
  b_int(st, ":t", t);
  b_int(st, ":id", before_id);
  b_int(st, ":exclude", q->exclude);
  if (!by_sha) b_int(st, ":limit", q->limit);
  while ((int64_t)n < q->limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = sq_grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    arr[n++] = sqlite3_column_int64(st, 0);
  }
  if ((int64_t)n < q->limit && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "find runs", err);
done:
  if (st) sqlite3_reset(st);
  if (rc) {
    free(arr);
    return rc;
  }
  *ids = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_previous_run(qb_store *base, int64_t run_id, int64_t *prev_id, qb_err *err) {
  sq_store *s = SQ(base);
  sq_reset_all(s);
  sqlite3_stmt *st = NULL;
  int found, rc = sq_stmt(s, S_PREVIOUS_RUN, &st, err);
  if (rc) return rc;
  b_int(st, ":id", run_id);
  rc = sq_step_id(s, st, prev_id, &found, err);
  sqlite3_reset(st);
  if (!rc && !found) rc = QB_ENOTFOUND;
  return rc;
}

void sq_ops_listing(qb_store_ops *ops) {
  ops->list_runs = sq_list_runs;
  ops->projects = sq_projects;
  ops->run_by_id = sq_run_by_id;
  ops->run_on_branch = sq_run_on_branch;
  ops->run_by_commit = sq_run_by_commit;
  ops->find_runs = sq_find_runs;
  ops->previous_run = sq_previous_run;
}

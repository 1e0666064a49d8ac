/* schema/postgres/listing.c - run listings, projects, the lookups behind run references (by id,
 * by branch, by commit prefix) and baseline candidates in PostgreSQL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "schema/postgres/pg.h"

/* ---- names to ids --------------------------------------------------------------------------- */

/* Look up the id of a name with statement id (:name, and :project when project > 0); *found 0
 * when there is none. */
static int name_id(pg_store *s, int id, int64_t project, const char *name, int64_t *out, int *found,
                   qb_err *err) {
  pg_q q;
  pg_q_init(&q, s, id);
  if (project > 0) pg_int(&q, ":project", project);
  pg_text(&q, ":name", name);
  return pg_one(&q, "look up a name", out, found, err);
}

/* The branch ids named branch: in project_id when > 0 (at most one), else in every project
 * (one per project). *ids is malloc'd (NULL when none); the caller frees it. */
static int branch_ids(pg_store *s, int64_t project_id, const char *branch, int64_t **ids, size_t *n,
                      qb_err *err) {
  *ids = NULL;
  *n = 0;
  int rc;
  if (project_id > 0) {
    int64_t id = 0;
    int found;
    if ((rc = name_id(s, P_BRANCH_GET, project_id, branch, &id, &found, err)) || !found) return rc;
    if (!(*ids = malloc(sizeof **ids))) return qb_err_set(err, QB_ENOMEM, "out of memory");
    (*ids)[0] = id;
    *n = 1;
    return QB_OK;
  }
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_LS_BRANCHES_NAMED);
  pg_text(&q, ":name", branch);
  if ((rc = pg_run(&q, "branches", &r, err))) return rc;
  int rows = s->pq->ntuples(r);
  if (rows > 0 && !(*ids = malloc((size_t)rows * sizeof **ids))) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (int i = 0; i < rows; i++) (*ids)[i] = pg_col_int(s, r, i, 0);
  *n = (size_t)rows;
  s->pq->clear(r);
  return QB_OK;
}

/* ---- run listings --------------------------------------------------------------------------- */

/* Run a listing statement (parameters set) and append its rows to *arr (*n used, *cap
 * allocated). */
static int read_infos(pg_q *q, qb_run_info **arr, size_t *n, size_t *cap, qb_err *err) {
  pg_store *s = q->s;
  PGresult *r;
  int rc = pg_run(q, "list runs", &r, err);
  if (rc) return rc;
  size_t rows = (size_t)s->pq->ntuples(r);
  if (*n + rows > *cap) {
    size_t nc = *cap ? *cap : 16;
    while (nc < *n + rows) nc *= 2;
    qb_run_info *p = realloc(*arr, nc * sizeof *p);
    if (!p) {
      s->pq->clear(r);
      return qb_err_set(err, QB_ENOMEM, "out of memory");
    }
    *arr = p;
    *cap = nc;
  }
  for (size_t i = 0; i < rows && !rc; i++) {
    rc = pg_read_info(s, r, (int)i, &(*arr)[*n], err);
    (*n)++; /* disposed by the caller also when it failed */
  }
  s->pq->clear(r);
  return rc;
}

/* Newest first: started_at, then id, both descending (the listing's order). */
static int cmp_info_newest(const void *a, const void *b) {
  const qb_run_info *x = a, *y = b;
  if (x->started_at != y->started_at) return x->started_at < y->started_at ? 1 : -1;
  return (x->id < y->id) - (x->id > y->id);
}

static int pg_list_runs(qb_store *base, const qb_run_filter *f, qb_run_info **out, size_t *n_out,
                        qb_err *err) {
  pg_store *s = PG(base);
  *out = NULL;
  *n_out = 0;
  qb_run_info *arr = NULL;
  int64_t project_id = 0, machine_id = 0, *branches = NULL;
  size_t n = 0, cap = 0, n_branches = 0;
  int rc = QB_OK, found = 1;
  int64_t limit = f->limit > 0 ? f->limit : -1, offset = f->offset > 0 ? f->offset : 0;
  pg_q q;
  /* names to ids first: a name that is not there matches no run */
  if (f->project &&
      ((rc = name_id(s, P_PROJECT_GET, 0, f->project, &project_id, &found, err)) || !found))
    goto done;
  if (f->machine &&
      ((rc = name_id(s, P_MACHINE_GET, 0, f->machine, &machine_id, &found, err)) || !found))
    goto done;
  if (f->branch) {
    if ((rc = branch_ids(s, project_id, f->branch, &branches, &n_branches, err)) || !n_branches)
      goto done;
    /* a branch belongs to one project: its id says the project too */
    int id = f->machine ? P_LS_RUNS_BM : P_LS_RUNS_B;
    /* one branch: its page, read in order; the same name in several projects: the first
     * offset + limit runs of each, merged here */
    int64_t each = n_branches == 1                           ? limit
                   : limit < 0 || limit > INT64_MAX - offset ? -1
                                                             : limit + offset;
    for (size_t i = 0; i < n_branches && !rc; i++) {
      pg_q_init(&q, s, id);
      pg_int(&q, ":branch", branches[i]);
      if (f->machine) pg_int(&q, ":machine", machine_id);
      pg_opt_count(&q, ":limit", each); /* NULL: LIMIT ALL */
      pg_int(&q, ":offset", n_branches == 1 ? offset : 0);
      rc = read_infos(&q, &arr, &n, &cap, err);
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
  int id = f->project ? (f->machine ? P_LS_RUNS_PM : P_LS_RUNS_P)
                      : (f->machine ? P_LS_RUNS_M : P_LS_RUNS_ALL);
  pg_q_init(&q, s, id);
  if (f->project) pg_int(&q, ":project", project_id);
  if (f->machine) pg_int(&q, ":machine", machine_id);
  pg_opt_count(&q, ":limit", limit);
  pg_int(&q, ":offset", offset);
  rc = read_infos(&q, &arr, &n, &cap, err);
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

static int pg_projects(qb_store *base, qb_project_info **out, size_t *n_out, qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  *out = NULL;
  *n_out = 0;
  pg_q_init(&q, s, P_LS_PROJECTS);
  int rc = pg_run(&q, "projects", &r, err), oom = 0;
  if (rc) return rc;
  size_t rows = (size_t)s->pq->ntuples(r), n = 0;
  qb_project_info *arr = rows ? calloc(rows, sizeof *arr) : NULL;
  if (rows && !arr) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (; n < rows && !oom; n++) {
    qb_project_info *p = &arr[n];
    p->name = pg_col_dup(s, r, (int)n, 0, &oom);
    p->runs = pg_col_int(s, r, (int)n, 1);
    p->latest_run = pg_col_int(s, r, (int)n, 2);
    p->latest_benches = pg_col_int(s, r, (int)n, 3);
  }
  s->pq->clear(r);
  if (oom) {
    qb_project_infos_free(arr, n);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* ---- run references (the grammar is qb_store_resolve_run's, in schema/store.c) -------------- */

static int pg_run_by_id(qb_store *base, const char *project, int64_t id, int *found, qb_err *err) {
  pg_q q;
  int64_t got;
  pg_q_init(&q, PG(base), P_LS_RUN_EXISTS);
  pg_int(&q, ":id", id);
  pg_text(&q, ":project", project);
  return pg_one(&q, "resolve", &got, found, err);
}

/* The branch (and machine) by name, then one seek in run_by_branch[_machine]_time. */
static int pg_run_on_branch(qb_store *base, const char *project, const char *machine,
                            const char *branch, int64_t nth, int64_t *out_id, size_t *n_branches,
                            int *found, qb_err *err) {
  pg_store *s = PG(base);
  int64_t project_id = 0, machine_id = 0, *ids = NULL;
  int rc = QB_OK;
  *n_branches = 0;
  *found = 1;
  if (project && ((rc = name_id(s, P_PROJECT_GET, 0, project, &project_id, found, err)) || !*found))
    goto done;
  if ((rc = branch_ids(s, project_id, branch, &ids, n_branches, err))) goto done;
  *found = *n_branches == 1;
  if (*found && machine && (rc = name_id(s, P_MACHINE_GET, 0, machine, &machine_id, found, err)))
    goto done;
  if (*found) {
    pg_q q;
    pg_q_init(&q, s, machine ? P_LS_RUN_NTH_BM : P_LS_RUN_NTH_B);
    pg_int(&q, ":branch", ids[0]);
    if (machine) pg_int(&q, ":machine", machine_id);
    pg_int(&q, ":n", nth);
    rc = pg_one(&q, "resolve", out_id, found, err);
  }
done:
  free(ids);
  return rc;
}

static int pg_run_by_commit(qb_store *base, const char *project, const char *machine,
                            const char *prefix, const char *upper, int64_t *out_id,
                            char first[QB_STORE_SHA_MAX], char other[QB_STORE_SHA_MAX],
                            qb_err *err) {
  pg_store *s = PG(base);
  pg_q q;
  PGresult *r;
  pg_q_init(&q, s, P_LS_RUN_BY_SHA_PREFIX);
  pg_text(&q, ":prefix", prefix);
  pg_text(&q, ":upper", upper);
  pg_text(&q, ":project", project);
  pg_text(&q, ":machine", machine);
  int rc = pg_run(&q, "resolve", &r, err);
  if (rc) return rc;
  first[0] = other[0] = '\0';
  for (int i = 0, rows = s->pq->ntuples(r); i < rows; i++) {
    const char *sha = pg_col_text(s, r, i, 1);
    if (i == 0) {
      *out_id = pg_col_int(s, r, i, 0);
      snprintf(first, QB_STORE_SHA_MAX, "%s", sha);
    } else if (strcmp(first, sha) != 0) {
      snprintf(other, QB_STORE_SHA_MAX, "%s", sha);
      break;
    }
  }
  s->pq->clear(r);
  return QB_OK;
}

/* ---- baseline candidates -------------------------------------------------------------------- */

static int pg_find_runs(qb_store *base, const qb_run_query *rq, int64_t **ids, size_t *n_out,
                        qb_err *err) {
  pg_store *s = PG(base);
  int64_t t = INT64_MAX, before_id = INT64_MAX;
  pg_q q;
  PGresult *r;
  int rc;
  char sha[64] = "", upper[64] = "";
  *ids = NULL;
  *n_out = 0;
  if (rq->before) { /* the candidates come before that run in series order */
    pg_q_init(&q, s, P_LS_RUN_SERIES_KEY);
    pg_int(&q, ":id", rq->before);
    if ((rc = pg_run(&q, "find runs", &r, err))) return rc;
    int got = s->pq->ntuples(r) > 0;
    if (got) {
      t = pg_col_int(s, r, 0, 0);
      before_id = pg_col_int(s, r, 0, 1);
    }
    s->pq->clear(r);
    if (!got) return QB_OK; /* no such run: nothing comes before it */
  }
  /* a commit prefix: its runs by run_by_commit (lower case, as stored), from :sha up to :upper
   * (its last digit raised) */
  int by_sha = rq->commit && *rq->commit && strlen(rq->commit) < sizeof sha;
  if (by_sha) {
    for (size_t i = 0; rq->commit[i]; i++)
      sha[i] =
          (char)(rq->commit[i] >= 'A' && rq->commit[i] <= 'Z' ? rq->commit[i] + 32 : rq->commit[i]);
    memcpy(upper, sha, sizeof upper);
    upper[strlen(upper) - 1]++;
  }
  pg_q_init(&q, s, by_sha ? P_LS_FIND_RUNS_SHA : rq->machine ? P_LS_FIND_RUNS_M : P_LS_FIND_RUNS);
  pg_text(&q, ":project", rq->project);
  pg_text(&q, ":branch", rq->branch);
  if (by_sha || rq->machine) pg_text(&q, ":machine", rq->machine);
  pg_text(&q, ":sha", by_sha ? sha : rq->commit);
  if (by_sha) pg_text(&q, ":upper", upper);
  pg_int(&q, ":t", t);
  pg_int(&q, ":id", before_id);
  pg_int(&q, ":exclude", rq->exclude);
  pg_int(&q, ":limit", rq->limit > 0 ? rq->limit : 0);
  if ((rc = pg_run(&q, "find runs", &r, err))) return rc;
  size_t rows = (size_t)s->pq->ntuples(r);
  int64_t *arr = rows ? malloc(rows * sizeof *arr) : NULL;
  if (rows && !arr) {
    s->pq->clear(r);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < rows; i++) arr[i] = pg_col_int(s, r, (int)i, 0);
  s->pq->clear(r);
  *ids = arr;
  *n_out = rows;
  return QB_OK;
}

static int pg_previous_run(qb_store *base, int64_t run_id, int64_t *prev_id, qb_err *err) {
  pg_q q;
  int found, rc;
  pg_q_init(&q, PG(base), P_LS_PREVIOUS_RUN);
  pg_int(&q, ":id", run_id);
  rc = pg_one(&q, "previous run", prev_id, &found, err);
  if (!rc && !found) rc = QB_ENOTFOUND;
  return rc;
}

void pg_ops_listing(qb_store_ops *ops) {
  ops->list_runs = pg_list_runs;
  ops->projects = pg_projects;
  ops->run_by_id = pg_run_by_id;
  ops->run_on_branch = pg_run_on_branch;
  ops->run_by_commit = pg_run_by_commit;
  ops->find_runs = pg_find_runs;
  ops->previous_run = pg_previous_run;
}

/* schema/postgres/sql_listing.h - the statements of listing.c (run listings, projects, run
 * references, baseline candidates). */
#ifndef QB_SCHEMA_POSTGRES_SQL_LISTING_H
#define QB_SCHEMA_POSTGRES_SQL_LISTING_H

#include "schema/postgres/sql_runs.h"

/* A page of a run listing, newest first: the ids of the page from the filter's index alone (an
 * offset skips index entries, not rows with their names), then those runs: PG_RUN_COLUMNS
 * "(SELECT id FROM run WHERE ..." PG_RUNS_PAGE. A NULL :limit is no limit (LIMIT ALL). Each run
 * row is looked up by the id of the page (the lateral subquery, which OFFSET 0 keeps from being
 * flattened): a generic plan, which cannot know :limit, does not hash the whole run table. */
#define PG_RUNS_PAGE                                                                               \
  "ORDER BY started_at DESC, id DESC LIMIT :limit::bigint OFFSET :offset::bigint) k CROSS JOIN "   \
  "LATERAL (SELECT * FROM run WHERE id = k.id OFFSET 0) r " PG_RUN_JOINS                           \
  "ORDER BY r.started_at DESC, r.id DESC"

/* Baseline candidates (service/baseline.c): the runs of a branch before (:t, :id) in series order
 * (commit time, else start time; then id), newest first: a range of run_by_branch_series, or of
 * run_by_branch_machine on one machine, read in order up to the page. */
#define PG_FIND_RUNS_SELECT                                                                        \
  "SELECT r.id FROM run r WHERE r.branch_id = (SELECT b.id FROM branch b JOIN project p ON p.id "  \
  "= b.project_id WHERE p.name = :project AND b.name = :branch) AND "
#define PG_FIND_RUNS_BEFORE                                                                        \
  "(coalesce(r.commit_time, r.started_at), r.id) < (:t::bigint, :id::bigint) AND (:sha::text IS "  \
  "NULL OR substr(r.commit_sha, 1, length(:sha::text)) = lower(:sha::text)) AND r.id <> "          \
  ":exclude::bigint "
#define PG_FIND_RUNS_PAGE                                                                          \
  "ORDER BY coalesce(r.commit_time, r.started_at) DESC, r.id DESC LIMIT :limit::bigint"

#define PG_SQL_LISTING(X)                                                                          \
  /* the branches of that name, one per project (branch_by_name) */                                \
  X(P_LS_BRANCHES_NAMED, "SELECT id FROM branch WHERE name = :name ORDER BY id")                   \
  /* run listings, one statement per combination of filters (names resolved to ids first): each    \
   * reads its index in order (run_by_time, run_by_project, ...) and stops after the page */       \
  X(P_LS_RUNS_ALL, PG_RUN_COLUMNS "(SELECT id FROM run " PG_RUNS_PAGE)                             \
  X(P_LS_RUNS_P, PG_RUN_COLUMNS "(SELECT id FROM run WHERE project_id = :project " PG_RUNS_PAGE)   \
  X(P_LS_RUNS_M, PG_RUN_COLUMNS "(SELECT id FROM run WHERE machine_id = :machine " PG_RUNS_PAGE)   \
  X(P_LS_RUNS_PM,                                                                                  \
    PG_RUN_COLUMNS "(SELECT id FROM run WHERE project_id = :project AND machine_id = "             \
                   ":machine " PG_RUNS_PAGE)                                                       \
  X(P_LS_RUNS_B, PG_RUN_COLUMNS "(SELECT id FROM run WHERE branch_id = :branch " PG_RUNS_PAGE)     \
  X(P_LS_RUNS_BM, PG_RUN_COLUMNS "(SELECT id FROM run WHERE branch_id = :branch AND machine_id = " \
                                 ":machine " PG_RUNS_PAGE)                                         \
  /* projects with their run count and newest run, the project of the newest run first */          \
  X(P_LS_PROJECTS,                                                                                 \
    "SELECT p.name, (SELECT count(*) FROM run c WHERE c.project_id = p.id), r.id, r.n_benches "    \
    "FROM project p JOIN run r ON r.id = (SELECT l.id FROM run l WHERE l.project_id = p.id ORDER " \
    "BY l.started_at DESC, l.id DESC LIMIT 1) ORDER BY r.started_at DESC, r.id DESC")              \
  /* a run id, in a project (NULL: any) */                                                         \
  X(P_LS_RUN_EXISTS, "SELECT r.id FROM run r JOIN project p ON p.id = r.project_id WHERE r.id = "  \
                     ":id AND (:project::text IS NULL OR p.name = :project::text)")                \
  /* BRANCH@latest and BRANCH~N: the n-th newest run of a branch (on a machine), one seek */       \
  X(P_LS_RUN_NTH_B,                                                                                \
    "SELECT id FROM run WHERE branch_id = :branch ORDER BY started_at DESC, id DESC "              \
    "LIMIT 1 OFFSET :n")                                                                           \
  X(P_LS_RUN_NTH_BM,                                                                               \
    "SELECT id FROM run WHERE branch_id = :branch AND machine_id = :machine ORDER "                \
    "BY started_at DESC, id DESC LIMIT 1 OFFSET :n")                                               \
  /* commits from :prefix up to :upper (the prefix with its last digit raised): a range of         \
   * run_by_commit */                                                                              \
  X(P_LS_RUN_BY_SHA_PREFIX,                                                                        \
    "SELECT r.id, r.commit_sha FROM run r WHERE r.commit_sha >= :prefix::text AND "                \
    "r.commit_sha < :upper::text AND substr(r.commit_sha, 1, length(:prefix::text)) = "            \
    ":prefix::text AND (:project::text IS NULL OR r.project_id = (SELECT id FROM project "         \
    "WHERE name = :project::text)) AND (:machine::text IS NULL OR r.machine_id = (SELECT id "      \
    "FROM machine WHERE name = :machine::text)) ORDER BY r.started_at DESC, r.id DESC")            \
  /* runs of a branch (on a machine, at a commit, before a run in series order), newest first in   \
   * series order: the candidates of a baseline (service/baseline.c) */                            \
  X(P_LS_FIND_RUNS, PG_FIND_RUNS_SELECT PG_FIND_RUNS_BEFORE PG_FIND_RUNS_PAGE)                     \
  X(P_LS_FIND_RUNS_M, PG_FIND_RUNS_SELECT "r.machine_id = (SELECT id FROM machine WHERE name = "   \
                                          ":machine) AND " PG_FIND_RUNS_BEFORE PG_FIND_RUNS_PAGE)  \
  /* at a commit: the runs of that commit prefix (run_by_commit), few */                           \
  X(P_LS_FIND_RUNS_SHA,                                                                            \
    "SELECT r.id FROM run r WHERE r.commit_sha >= :sha::text AND r.commit_sha < :upper::text AND " \
    "substr(r.commit_sha, 1, length(:sha::text)) = :sha::text AND r.branch_id = (SELECT b.id "     \
    "FROM branch b JOIN project p ON p.id = b.project_id WHERE p.name = :project AND b.name = "    \
    ":branch) AND (:machine::text IS NULL OR r.machine_id = (SELECT id FROM machine WHERE name = " \
    ":machine::text)) AND (coalesce(r.commit_time, r.started_at), r.id) < (:t::bigint, "           \
    ":id::bigint) AND r.id <> :exclude::bigint ORDER BY coalesce(r.commit_time, r.started_at) "    \
    "DESC, r.id DESC LIMIT :limit::bigint")                                                        \
  /* a run's place in series order */                                                              \
  X(P_LS_RUN_SERIES_KEY, "SELECT coalesce(commit_time, started_at), id FROM run WHERE id = :id")   \
  /* the run before :id on its branch and machine: one seek back in run_by_branch_machine_time     \
   * (the lateral subquery is planned knowing its LIMIT 1) */                                      \
  X(P_LS_PREVIOUS_RUN,                                                                             \
    "SELECT x.id FROM run r CROSS JOIN LATERAL (SELECT p.id FROM run p WHERE p.branch_id = "       \
    "r.branch_id AND p.machine_id = r.machine_id AND (p.started_at, p.id) < (r.started_at, r.id) " \
    "ORDER BY p.started_at DESC, p.id DESC LIMIT 1) x WHERE r.id = :id")

#endif

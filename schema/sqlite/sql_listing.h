/* schema/sqlite/sql_listing.h - the statements of listing.c (run listings, projects, run
 * references, baseline candidates). */
#ifndef QB_SCHEMA_SQLITE_SQL_LISTING_H
#define QB_SCHEMA_SQLITE_SQL_LISTING_H

#include "schema/sqlite/sql_runs.h"

/* A page of a run listing, newest first: the ids of the page from the filter's index alone (an
 * offset skips index entries, not rows with their names), then those runs: SQ_RUN_COLUMNS
 * "(SELECT id FROM run WHERE ..." SQ_RUN_PAGE_IDS SQ_RUN_JOINS SQ_RUN_PAGE_ORDER. */
#define SQ_RUN_PAGE_IDS                                                                            \
  "ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset) k CROSS JOIN run r ON r.id = "   \
  "k.id "
#define SQ_RUN_PAGE_ORDER "ORDER BY r.started_at DESC, r.id DESC"

/* Baseline candidates (service/baseline.c): the runs of a branch before (:t, :id) in series order
 * (commit time, else start time; then id), newest first: a range of run_by_branch_series, or of
 * run_by_branch_machine on one machine, read in order up to the page. */
#define SQ_FIND_RUNS_SELECT                                                                        \
  "SELECT r.id FROM run r WHERE r.branch_id = (SELECT b.id FROM branch b JOIN project p ON p.id "  \
  "= b.project_id WHERE p.name = :project AND b.name = :branch) AND "
#define SQ_FIND_RUNS_BEFORE                                                                        \
  "coalesce(r.commit_time, r.started_at) <= :t AND (coalesce(r.commit_time, r.started_at) < :t "   \
  "OR r.id < :id) AND (:sha IS NULL OR substr(r.commit_sha, 1, length(:sha)) = lower(:sha)) AND "  \
  "r.id <> :exclude "
#define SQ_FIND_RUNS_PAGE                                                                          \
  "ORDER BY coalesce(r.commit_time, r.started_at) DESC, r.id DESC LIMIT :limit"

#define SQ_SQL_LISTING(X)                                                                          \
  /* the branches of that name, one per project (branch_by_name) */                                \
  X(S_BRANCHES_NAMED, "SELECT id FROM branch WHERE name = :name ORDER BY id")                      \
  /* run listings, one statement per combination of filters (names resolved to ids first): each    \
   * reads its index in order (run_by_time, run_by_project, ...) and stops after the page */       \
  X(S_RUNS_ALL,                                                                                    \
    SQ_RUN_COLUMNS "(SELECT id FROM run " SQ_RUN_PAGE_IDS SQ_RUN_JOINS SQ_RUN_PAGE_ORDER)          \
  X(S_RUNS_P,                                                                                      \
    SQ_RUN_COLUMNS "(SELECT id FROM run WHERE project_id = :project " SQ_RUN_PAGE_IDS SQ_RUN_JOINS \
        SQ_RUN_PAGE_ORDER)                                                                         \
  X(S_RUNS_M,                                                                                      \
    SQ_RUN_COLUMNS "(SELECT id FROM run WHERE machine_id = :machine " SQ_RUN_PAGE_IDS SQ_RUN_JOINS \
        SQ_RUN_PAGE_ORDER)                                                                         \
  X(S_RUNS_PM, SQ_RUN_COLUMNS "(SELECT id FROM run WHERE project_id = :project AND machine_id = "  \
                              ":machine " SQ_RUN_PAGE_IDS SQ_RUN_JOINS SQ_RUN_PAGE_ORDER)          \
  X(S_RUNS_B,                                                                                      \
    SQ_RUN_COLUMNS "(SELECT id FROM run WHERE branch_id = :branch " SQ_RUN_PAGE_IDS SQ_RUN_JOINS   \
        SQ_RUN_PAGE_ORDER)                                                                         \
  X(S_RUNS_BM, SQ_RUN_COLUMNS "(SELECT id FROM run WHERE branch_id = :branch AND machine_id = "    \
                              ":machine " SQ_RUN_PAGE_IDS SQ_RUN_JOINS SQ_RUN_PAGE_ORDER)          \
  /* projects with their run count and newest run, the project of the newest run first */          \
  X(S_PROJECTS,                                                                                    \
    "SELECT p.name, (SELECT count(*) FROM run c WHERE c.project_id = p.id), r.id, "                \
    "r.n_benches FROM project p CROSS JOIN run r ON r.id = (SELECT l.id FROM run l WHERE "         \
    "l.project_id = p.id ORDER BY l.started_at DESC, l.id DESC LIMIT 1) ORDER BY "                 \
    "r.started_at DESC, r.id DESC")                                                                \
  X(S_RUN_EXISTS, "SELECT r.id FROM run r JOIN project p ON p.id = r.project_id "                  \
                  "WHERE r.id = :id AND (:project IS NULL OR p.name = :project)")                  \
  /* BRANCH@latest and BRANCH~N: the n-th newest run of a branch (on a machine), one seek */       \
  X(S_RUN_NTH_B, "SELECT id FROM run WHERE branch_id = :branch ORDER BY started_at DESC, id "      \
                 "DESC LIMIT 1 OFFSET :n")                                                         \
  X(S_RUN_NTH_BM, "SELECT id FROM run WHERE branch_id = :branch AND machine_id = :machine "        \
                  "ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET :n")                           \
  /* commits from :prefix up to :upper (the prefix with its last digit raised): a range of         \
   * run_by_commit */                                                                              \
  X(S_RUN_BY_SHA_PREFIX,                                                                           \
    "SELECT r.id, r.commit_sha FROM run r JOIN project p ON p.id = r.project_id "                  \
    "WHERE r.commit_sha >= :prefix AND r.commit_sha < :upper "                                     \
    "AND substr(r.commit_sha, 1, length(:prefix)) = :prefix "                                      \
    "AND (:project IS NULL OR p.name = :project) "                                                 \
    "AND (:machine IS NULL OR r.machine_id = (SELECT id FROM machine WHERE name = :machine)) "     \
    "ORDER BY r.started_at DESC, r.id DESC")                                                       \
  /* runs of a branch (on a machine, at a commit, before a run in series order), newest first      \
   * in series order: the candidates of a baseline (service/baseline.c) */                         \
  X(S_FIND_RUNS, SQ_FIND_RUNS_SELECT SQ_FIND_RUNS_BEFORE SQ_FIND_RUNS_PAGE)                        \
  X(S_FIND_RUNS_M, SQ_FIND_RUNS_SELECT "r.machine_id = (SELECT id FROM machine WHERE name = "      \
                                       ":machine) AND " SQ_FIND_RUNS_BEFORE SQ_FIND_RUNS_PAGE)     \
  /* at a commit: the runs of that commit prefix (run_by_commit), few; the caller stops at         \
   * :limit */                                                                                     \
  X(S_FIND_RUNS_SHA,                                                                               \
    "SELECT r.id FROM run r WHERE r.commit_sha >= :sha AND r.commit_sha < :upper AND "             \
    "substr(r.commit_sha, 1, length(:sha)) = :sha AND +r.branch_id = (SELECT b.id FROM branch "    \
    "b JOIN project p ON p.id = b.project_id WHERE p.name = :project AND b.name = :branch) "       \
    "AND (:machine IS NULL OR r.machine_id = (SELECT id FROM machine WHERE name = :machine)) "     \
    "AND (coalesce(r.commit_time, r.started_at), r.id) < (:t, :id) AND r.id <> :exclude "          \
    "ORDER BY coalesce(r.commit_time, r.started_at) DESC, r.id DESC")                              \
  /* a run's place in series order */                                                              \
  X(S_RUN_SERIES_KEY, "SELECT coalesce(commit_time, started_at), id FROM run WHERE id = :id")      \
  X(S_PREVIOUS_RUN,                                                                                \
    "SELECT p.id FROM run r CROSS JOIN run p ON p.branch_id = r.branch_id AND p.machine_id = "     \
    "r.machine_id AND (p.started_at, p.id) < (r.started_at, r.id) WHERE r.id = :id ORDER BY "      \
    "p.started_at DESC, p.id DESC LIMIT 1")

#endif

/* schema/store_sqlite.c - the SQLite backend of the store: every SQL statement of qbdb.
 *
 * Statements are prepared once per connection (named :params, cached in the store) and reset
 * after each use; user text only ever reaches SQLite as bound parameters. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/sha256.h"
#include "core/time.h"
#include "schema/migrate.h"
#include "schema/samples.h"
#include "schema/store_impl.h"

/* The statement table: one enum entry per SQL text. */
enum {
  S_PROJECT_GET,
  S_PROJECT_ADD,
  S_BRANCH_GET,
  S_BRANCH_ADD,
  S_MACHINE_GET,
  S_MACHINE_ADD,
  S_MACHINE_INFO,
  S_RUN_BY_HASH,
  S_RUN_ADD,
  S_TAG_ADD,
  S_BENCH_GET,
  S_BENCH_UPSERT,
  S_RUN_BENCH_ADD,
  S_METRIC_GET,
  S_METRIC_ADD,
  S_SERIES_GET,
  S_SERIES_ADD,
  S_RESULT_ADD,
  S_SAMPLES_ADD,
  S_RUN_INFO,
  S_RUN_TAGS,
  S_RUN_RESULTS,
  S_SAMPLES_GET,
  S_RUN_EXISTS,
  S_RUN_NTH_B,
  S_RUN_NTH_BM,
  S_BRANCHES_NAMED,
  S_RUN_BY_SHA_PREFIX,
  S_RUN_COUNTS,
  S_RUNS_ALL,
  S_RUNS_P,
  S_RUNS_M,
  S_RUNS_PM,
  S_RUNS_B,
  S_RUNS_BM,
  S_PROJECTS,
  S_BENCH_METRICS,
  S_COUNTS,
  S_HISTORY,
  S_HISTORY_SERIES,
  S_HISTORY_HEAD,
  S_RUN_POINTS,
  S_RUN_BACKFILL,
  S_HISTORY_CHANGES,
  S_SETTINGS,
  S_SETTING_SET,
  S_SETTING_UNSET,
  S_SERIES_LIST,
  S_SERIES_BY_PROJECT,
  S_SERIES_BY_BRANCH,
  S_SERIES_BY_BENCH,
  S_SERIES_BY_PROJECT_BENCH,
  S_SERIES_POINTS,
  S_SERIES_VALUES,
  S_SERIES_CHANGES,
  S_REG_OF_SERIES,
  S_REG_UPSERT,
  S_REG_DELETE,
  S_REG_DEACTIVATE,
  S_SERIES_ANALYSED,
  S_SERIES_UNMARK_RUN,
  S_SERIES_BEFORE,
  S_POINT_TIME,
  S_SERIES_AFTER,
  S_SERIES_OF_RUN,
  S_REG_LIST,
  S_REG_LIST_STATUS,
  S_REG_LIST_SERIES,
  S_REG_TRIAGE,
  S_TARGET_SET,
  S_TARGETS,
  S_TARGET_RM,
  S_TOKEN_ADD,
  S_TOKEN_FIND,
  S_TOKENS,
  S_TOKEN_REVOKE,
  S_FINGERPRINT,
  S_GENERATION,
  S_PREVIOUS_RUN,
  S_IDEM_GET,
  S_IDEM_PUT,
  S_IDEM_TAKEN,
  S_GENERATION_BUMP,
  S_REPORT_ADD,
  S_REPORT_ITEM_ADD,
  S_REPORT_LAST,
  S_REPORT_ITEMS,
  S_PRUNE_TEMP,
  S_PRUNE_TEMP_KEEP,
  S_PRUNE_CLEAR,
  S_PRUNE_CLEAR_KEEP,
  S_PRUNE_KEEP_ANCHORS,
  S_PRUNE_KEEP_NEWEST,
  S_PRUNE_PICK,
  S_PRUNE_OLD,
  S_PRUNE_COUNT,
  S_PRUNE_UNMARK,
  S_PRUNE_DELETE,
  S_PRUNE_SAMPLES_COUNT,
  S_PRUNE_SAMPLES_DELETE,
  S_PRUNE_SAMPLES_RECOUNT,
  S_FIND_RUNS,
  S_FIND_RUNS_M,
  S_FIND_RUNS_SHA,
  S_RUN_SERIES_KEY,
  S_COUNT_
};

/* The columns read_info reads, from the run row (its counts too: migration 0012) and its names,
 * then what names them. */
#define RUN_COLUMNS                                                                                \
  "SELECT r.id, p.name, b.name, m.name, r.commit_sha, r.commit_time, r.started_at, "               \
  "r.ingested_at, r.format, r.tool_version, r.content_hash, r.machine_info, r.extra, "             \
  "r.n_benches, r.n_results, r.n_samples FROM "
#define RUN_JOINS                                                                                  \
  "CROSS JOIN project p ON p.id = r.project_id CROSS JOIN branch b ON b.id = r.branch_id CROSS "   \
  "JOIN machine m ON m.id = r.machine_id "
/* A page of a run listing, newest first: the ids of the page from the filter's index alone (an
 * offset skips index entries, not rows with their names), then those runs: RUN_COLUMNS "(SELECT
 * id FROM run WHERE ..." RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER. */
#define RUN_PAGE_IDS                                                                               \
  "ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset) k CROSS JOIN run r ON r.id = "   \
  "k.id "
#define RUN_PAGE_ORDER "ORDER BY r.started_at DESC, r.id DESC"

/* A regression list: the record, its series' names, its runs' commits, its time, its severity
 * as a number; the record is the outer loop (its index gives the order). */
#define REG_SELECT                                                                                 \
  "SELECT g.id, g.series_id, g.run_id, coalesce(g.prev_run_id, 0), g.kind, g.severity, "           \
  "g.status, g.note, g.triaged_by, g.before, g.after, g.change_pct, g.p_value, g.triaged_at, "     \
  "g.detected_at, g.active, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, "     \
  "r.commit_sha, pr.commit_sha, g.run_time AS t, CASE g.severity WHEN 'none' THEN 0 WHEN "         \
  "'minor' THEN 1 WHEN 'moderate' THEN 2 WHEN 'major' THEN 3 ELSE 4 END AS sev FROM regression g " \
  "CROSS JOIN series s ON s.id = g.series_id JOIN branch b ON b.id = s.branch_id JOIN project p "  \
  "ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = "     \
  "s.benchmark_id JOIN metric mt ON mt.id = s.metric_id JOIN run r ON r.id = g.run_id LEFT JOIN "  \
  "run pr ON pr.id = g.prev_run_id WHERE "
/* Every filter of qb_regression_filter, then the order and the page. */
#define REG_FILTERS                                                                                \
  "(:project IS NULL OR p.name = :project) AND (:status IS NULL OR g.status = :status) AND "       \
  "(:kind IS NULL OR g.kind = :kind) AND (:series = 0 OR g.series_id = :series) AND sev >= "       \
  ":minsev AND (:active = 0 OR g.active = 1) ORDER BY g.run_time DESC, g.run_id DESC, sev DESC, "  \
  "bm.name, mt.name LIMIT :limit"

/* Baseline candidates (api/baseline.c): the runs of a branch before (:t, :id) in series order
 * (commit time, else start time; then id), newest first: a range of run_by_branch_series, or of
 * run_by_branch_machine on one machine, read in order up to the page. */
#define FIND_RUNS_SELECT                                                                           \
  "SELECT r.id FROM run r WHERE r.branch_id = (SELECT b.id FROM branch b JOIN project p ON p.id "  \
  "= b.project_id WHERE p.name = :project AND b.name = :branch) AND "
#define FIND_RUNS_BEFORE                                                                           \
  "coalesce(r.commit_time, r.started_at) <= :t AND (coalesce(r.commit_time, r.started_at) < :t "   \
  "OR r.id < :id) AND (:sha IS NULL OR substr(r.commit_sha, 1, length(:sha)) = lower(:sha)) AND "  \
  "r.id <> :exclude "
#define FIND_RUNS_PAGE "ORDER BY coalesce(r.commit_time, r.started_at) DESC, r.id DESC LIMIT :limit"

/* The series columns read_series and sq_series_list read, after SELECT. */
#define SERIES_COLUMNS                                                                             \
  "SELECT s.id, p.name, b.name, m.name, bm.name, mt.name, mt.unit, mt.direction, s.analysed_n, "   \
  "coalesce(s.analysed_run_id, 0), s.analysed_time, s.analysed_opts FROM "
/* Every filter of qb_series_filter, checked on the rows the statement's driving index found. */
#define SERIES_FILTERS                                                                             \
  "(:project IS NULL OR p.name = :project) AND (:branch IS NULL OR b.name = :branch) AND "         \
  "(:machine IS NULL OR m.name = :machine) AND (:metric IS NULL OR mt.name = :metric) AND "        \
  "(:glob IS NULL OR bm.name GLOB :glob) AND (:bench IS NULL OR bm.name = :bench) "                \
  "ORDER BY p.name, b.name, m.name, bm.name, mt.name"

static const char *const SQL[S_COUNT_] = {
    [S_PROJECT_GET] = "SELECT id FROM project WHERE name = :name",
    [S_PROJECT_ADD] = "INSERT INTO project(name) VALUES (:name)",
    [S_BRANCH_GET] = "SELECT id FROM branch WHERE project_id = :project AND name = :name",
    [S_BRANCH_ADD] = "INSERT INTO branch(project_id, name) VALUES (:project, :name)",
    [S_MACHINE_GET] = "SELECT id FROM machine WHERE name = :name",
    [S_MACHINE_ADD] = "INSERT INTO machine(name, info) VALUES (:name, :info)",
    [S_MACHINE_INFO] = "UPDATE machine SET info = :info WHERE id = :id AND :info IS NOT NULL AND "
                       "info IS NOT :info", /* unchanged: not rewritten */
    [S_RUN_BY_HASH] = "SELECT id FROM run WHERE project_id = :project AND content_hash = :hash",
    [S_RUN_ADD] =
        "INSERT INTO run(project_id, branch_id, machine_id, commit_sha, commit_time, started_at, "
        "ingested_at, format, tool_version, machine_info, extra, content_hash) VALUES (:project, "
        ":branch, :machine, :sha, :ctime, :started, :ingested, :format, :tool, :minfo, :extra, "
        ":hash)",
    [S_TAG_ADD] = "INSERT INTO run_tag(run_id, key, value) VALUES (:run, :key, :value)",
    /* the benchmark as stored: when group and params are the same, nothing is written */
    [S_BENCH_GET] = "SELECT id FROM benchmark WHERE project_id = :project AND name = :name AND grp "
                    "IS :grp AND params IS :params",
    [S_BENCH_UPSERT] =
        "INSERT INTO benchmark(project_id, name, grp, params) VALUES (:project, :name, :grp, "
        ":params) ON CONFLICT (project_id, name) DO UPDATE SET grp = excluded.grp, "
        "params = excluded.params RETURNING id",
    [S_RUN_BENCH_ADD] =
        "INSERT INTO run_benchmark(run_id, benchmark_id, extra) VALUES (:run, :bench, :extra)",
    [S_METRIC_GET] =
        "SELECT id FROM metric WHERE name = :name AND unit = :unit AND direction = :dir",
    [S_METRIC_ADD] = "INSERT INTO metric(name, unit, direction) VALUES (:name, :unit, :dir)",
    [S_SERIES_GET] = "SELECT id FROM series WHERE branch_id = :branch AND machine_id = :machine "
                     "AND benchmark_id = :bench AND metric_id = :metric",
    [S_SERIES_ADD] = "INSERT INTO series(branch_id, machine_id, benchmark_id, metric_id) VALUES "
                     "(:branch, :machine, :bench, :metric)",
    [S_RESULT_ADD] =
        "INSERT INTO result(run_id, benchmark_id, metric_id, series_id, n, min, max, mean, "
        "median, stddev, p95, p99, q1, q3, outliers, estimate, ci_lo, ci_hi, extra, run_time) "
        "VALUES (:run, :bench, :metric, :series, :n, :min, :max, :mean, :median, :stddev, :p95, "
        ":p99, :q1, :q3, :outliers, :estimate, :ci_lo, :ci_hi, :extra, :run_time)",
    [S_SAMPLES_ADD] = "INSERT INTO sample_set(result_id, n, data) VALUES (:result, :n, :data)",
    [S_RUN_INFO] = RUN_COLUMNS "run r " RUN_JOINS "WHERE r.id = :id",
    [S_RUN_TAGS] = "SELECT key, value FROM run_tag WHERE run_id = :run ORDER BY key",
    [S_RUN_RESULTS] =
        "SELECT b.name, b.grp, b.params, rb.extra, m.name, m.unit, m.direction, x.n, x.min, "
        "x.max, x.mean, x.median, x.stddev, x.p95, x.p99, x.q1, x.q3, x.outliers, x.estimate, "
        "x.ci_lo, x.ci_hi, x.extra, x.id FROM result x JOIN benchmark b ON b.id = x.benchmark_id "
        "JOIN metric m ON m.id = x.metric_id LEFT JOIN run_benchmark rb ON rb.run_id = x.run_id "
        "AND rb.benchmark_id = x.benchmark_id WHERE x.run_id = :run ORDER BY x.id",
    [S_SAMPLES_GET] = "SELECT data FROM sample_set WHERE result_id = :result",
    [S_RUN_EXISTS] = "SELECT r.id FROM run r JOIN project p ON p.id = r.project_id "
                     "WHERE r.id = :id AND (:project IS NULL OR p.name = :project)",
    /* BRANCH@latest and BRANCH~N: the n-th newest run of a branch (on a machine), one seek */
    [S_RUN_NTH_B] = "SELECT id FROM run WHERE branch_id = :branch ORDER BY started_at DESC, id "
                    "DESC LIMIT 1 OFFSET :n",
    [S_RUN_NTH_BM] = "SELECT id FROM run WHERE branch_id = :branch AND machine_id = :machine "
                     "ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET :n",
    /* the branches of that name, one per project (branch_by_name) */
    [S_BRANCHES_NAMED] = "SELECT id FROM branch WHERE name = :name ORDER BY id",
    /* commits from :prefix up to :upper (the prefix with its last digit raised): a range of
     * run_by_commit */
    [S_RUN_BY_SHA_PREFIX] =
        "SELECT r.id, r.commit_sha FROM run r JOIN project p ON p.id = r.project_id "
        "WHERE r.commit_sha >= :prefix AND r.commit_sha < :upper "
        "AND substr(r.commit_sha, 1, length(:prefix)) = :prefix "
        "AND (:project IS NULL OR p.name = :project) "
        "AND (:machine IS NULL OR r.machine_id = (SELECT id FROM machine WHERE name = :machine)) "
        "ORDER BY r.started_at DESC, r.id DESC",
    /* a new run's counts (migration 0012), from the rows just stored in its transaction */
    /* what count(DISTINCT benchmark_id), count(*) and sum(sample_set.n) over the run's results
     * give, counted by sq_insert_run as it stores them */
    [S_RUN_COUNTS] =
        "UPDATE run SET n_benches = :benches, n_results = :results, n_samples = :samples WHERE id "
        "= :run",
    /* run listings, one statement per combination of filters (names resolved to ids first): each
     * reads its index in order (run_by_time, run_by_project, ...) and stops after the page */
    [S_RUNS_ALL] = RUN_COLUMNS "(SELECT id FROM run " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    [S_RUNS_P] = RUN_COLUMNS
    "(SELECT id FROM run WHERE project_id = :project " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    [S_RUNS_M] = RUN_COLUMNS
    "(SELECT id FROM run WHERE machine_id = :machine " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    [S_RUNS_PM] = RUN_COLUMNS "(SELECT id FROM run WHERE project_id = :project AND machine_id = "
                              ":machine " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    [S_RUNS_B] = RUN_COLUMNS
    "(SELECT id FROM run WHERE branch_id = :branch " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    [S_RUNS_BM] = RUN_COLUMNS "(SELECT id FROM run WHERE branch_id = :branch AND machine_id = "
                              ":machine " RUN_PAGE_IDS RUN_JOINS RUN_PAGE_ORDER,
    /* projects with their run count and newest run, the project of the newest run first */
    [S_PROJECTS] =
        "SELECT p.name, (SELECT count(*) FROM run c WHERE c.project_id = p.id), r.id, "
        "r.n_benches FROM project p CROSS JOIN run r ON r.id = (SELECT l.id FROM run l WHERE "
        "l.project_id = p.id ORDER BY l.started_at DESC, l.id DESC LIMIT 1) ORDER BY "
        "r.started_at DESC, r.id DESC",
    /* benchmarks and the metrics they have series of: a probe of series_by_benchmark per
     * benchmark and metric (the metric table is small), not a pass over every series */
    [S_BENCH_METRICS] =
        "SELECT p.name, bm.name, mt.name FROM project p CROSS JOIN benchmark bm ON bm.project_id = "
        "p.id CROSS JOIN metric mt WHERE (:project IS NULL OR p.name = :project) AND EXISTS "
        "(SELECT 1 FROM series s WHERE s.benchmark_id = bm.id AND s.metric_id = mt.id) ORDER BY "
        "p.name, bm.name, mt.name",
    [S_COUNTS] = "SELECT (SELECT count(*) FROM project), (SELECT count(*) FROM branch), "
                 "(SELECT count(*) FROM machine), (SELECT count(*) FROM run), "
                 "(SELECT count(*) FROM benchmark), (SELECT count(*) FROM metric), "
                 "(SELECT count(*) FROM result), (SELECT coalesce(sum(n), 0) FROM sample_set)",
    [S_HISTORY] = "SELECT x.series_id, b.name, m.name, x.run_time FROM result x JOIN benchmark b "
                  "ON b.id = x.benchmark_id JOIN metric m ON m.id = x.metric_id WHERE x.run_id = "
                  ":head ORDER BY b.name, m.name",
    /* S_HISTORY with the run's own point and, per series, the run of the point before it */
    [S_HISTORY_HEAD] =
        "SELECT x.series_id, b.name, m.name, x.run_time, x.median, x.mean, x.estimate, (SELECT "
        "y.run_id FROM result y WHERE y.series_id = x.series_id AND (y.run_time, y.run_id) < "
        "(x.run_time, x.run_id) ORDER BY y.run_time DESC, y.run_id DESC LIMIT 1) FROM result x "
        "JOIN benchmark b ON b.id = x.benchmark_id JOIN metric m ON m.id = x.metric_id WHERE "
        "x.run_id = :head ORDER BY b.name, m.name",
    /* the run's point in each series, the run of the point before it with a value, and whether
     * it is the series' last (qb_store_run_points) */
    [S_RUN_POINTS] =
        "SELECT x.series_id, x.run_time, coalesce(x.median, x.mean, x.estimate), (SELECT y.run_id "
        "FROM result y WHERE y.series_id = x.series_id AND coalesce(y.median, y.mean, y.estimate) "
        "IS NOT NULL AND (y.run_time, y.run_id) < (x.run_time, x.run_id) ORDER BY y.run_time "
        "DESC, y.run_id DESC LIMIT 1), NOT EXISTS (SELECT 1 FROM result z WHERE z.series_id = "
        "x.series_id AND (z.run_time, z.run_id) > (x.run_time, x.run_id)) FROM result x WHERE "
        "x.run_id = :run ORDER BY x.series_id",
    /* a result of the run that is not the last of its series: the run was stored before the end
     * of a series (a backfill), which changes the histories of runs after it */
    [S_RUN_BACKFILL] =
        "SELECT 1 FROM result x WHERE x.run_id = :run AND EXISTS (SELECT 1 FROM result y WHERE "
        "y.series_id = x.series_id AND (y.run_time, y.run_id) > (x.run_time, x.run_id)) LIMIT 1",
    [S_HISTORY_SERIES] =
        "SELECT x.run_id, x.run_time, x.median, x.mean, x.estimate FROM result x WHERE "
        "x.series_id = :series AND (x.run_time, x.run_id) <= (:t, :run) ORDER BY x.run_time DESC, "
        "x.run_id DESC LIMIT :limit",
    /* the active change points of the run's series up to it, all in one statement (a subquery
     * per point, or a statement per series, cost as much as reading the points) */
    [S_HISTORY_CHANGES] =
        "SELECT g.series_id, g.run_id FROM result x JOIN regression g ON g.series_id = "
        "x.series_id AND g.active = 1 AND (g.run_time, g.run_id) <= (x.run_time, x.run_id) WHERE "
        "x.run_id = :head ORDER BY g.series_id",
    [S_SETTINGS] =
        "SELECT project, bench_glob, key, value, text FROM setting WHERE :project IS NULL "
        "OR project = '' OR project = :project ORDER BY project, bench_glob, key",
    [S_SETTING_SET] = "INSERT INTO setting(project, bench_glob, key, value, text) VALUES "
                      "(:project, :glob, :key, :value, :text) ON CONFLICT (project, bench_glob, "
                      "key) DO UPDATE SET value = excluded.value, text = excluded.text",
    /* Series lists, each driven by its most selective filter (sq_series_list picks): every
     * series (no filter that narrows), the series of a run (its results), of a benchmark of a
     * project or of a benchmark (series_by_benchmark), of a branch (branch_by_name, then the
     * series key), of a project (its branches); the other filters are checked on what it finds */
    [S_SERIES_LIST] = SERIES_COLUMNS
    "series s JOIN branch b ON b.id = s.branch_id JOIN project p ON p.id = b.project_id JOIN "
    "machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN metric mt "
    "ON mt.id = s.metric_id WHERE " SERIES_FILTERS,
    [S_SERIES_OF_RUN] = SERIES_COLUMNS
    "result x CROSS JOIN series s ON s.id = x.series_id JOIN branch b ON b.id = s.branch_id JOIN "
    "project p ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON "
    "bm.id = s.benchmark_id JOIN metric mt ON mt.id = s.metric_id WHERE x.run_id = :run "
    "AND " SERIES_FILTERS,
    [S_SERIES_BY_PROJECT_BENCH] = SERIES_COLUMNS
    "project p CROSS JOIN benchmark bm ON bm.project_id = p.id CROSS JOIN series s ON "
    "s.benchmark_id = bm.id JOIN branch b ON b.id = s.branch_id JOIN machine m ON m.id = "
    "s.machine_id JOIN metric mt ON mt.id = s.metric_id WHERE p.name = :project AND bm.name = "
    ":bench AND " SERIES_FILTERS,
    [S_SERIES_BY_BENCH] = SERIES_COLUMNS
    "benchmark bm CROSS JOIN series s ON s.benchmark_id = bm.id JOIN branch b ON b.id = "
    "s.branch_id JOIN project p ON p.id = b.project_id JOIN machine m ON m.id = s.machine_id "
    "JOIN metric mt ON mt.id = s.metric_id WHERE bm.name = :bench AND " SERIES_FILTERS,
    [S_SERIES_BY_BRANCH] = SERIES_COLUMNS
    "branch b CROSS JOIN series s ON s.branch_id = b.id JOIN project p ON p.id = b.project_id "
    "JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN "
    "metric mt ON mt.id = s.metric_id WHERE b.name = :branch AND " SERIES_FILTERS,
    [S_SERIES_BY_PROJECT] = SERIES_COLUMNS
    "project p CROSS JOIN branch b ON b.project_id = p.id CROSS JOIN series s ON s.branch_id = "
    "b.id JOIN machine m ON m.id = s.machine_id JOIN benchmark bm ON bm.id = s.benchmark_id JOIN "
    "metric mt ON mt.id = s.metric_id WHERE p.name = :project AND " SERIES_FILTERS,
    [S_SERIES_POINTS] =
        "SELECT x.run_id, r.commit_sha, x.run_time, coalesce(x.median, x.mean, x.estimate), "
        "x.ci_lo, x.ci_hi, x.n FROM result x JOIN run r ON r.id = x.run_id WHERE x.series_id = "
        ":series ORDER BY x.run_time, x.run_id",
    [S_SERIES_VALUES] = "SELECT run_id, coalesce(median, mean, estimate) AS v FROM result WHERE "
                        "series_id = :series AND v IS NOT NULL ORDER BY run_time, run_id",
    [S_SERIES_CHANGES] = "SELECT run_id, coalesce(prev_run_id, 0), before, after, change_pct, "
                         "p_value, coalesce(position, -1) FROM regression WHERE series_id = "
                         ":series AND active = 1",
    [S_REG_OF_SERIES] = "SELECT id, run_id, status FROM regression WHERE series_id = :series",
    [S_REG_DEACTIVATE] = "UPDATE regression SET active = 0 WHERE id = :id",
    /* the marker moves forward only, except that other options replace it (a full analysis) */
    [S_SERIES_ANALYSED] = "UPDATE series SET analysed_n = :n, analysed_run_id = nullif(:run, 0), "
                          "analysed_time = :time, analysed_opts = :opts WHERE id = :series AND "
                          "(analysed_n <= :n OR analysed_opts IS NOT :opts)",
    /* a point stored before the analysed ones: the marker no longer describes a prefix (for
     * every series of a new run at once: its results share one run_time) */
    [S_SERIES_UNMARK_RUN] =
        "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = NULL WHERE id "
        "IN (SELECT series_id FROM result WHERE run_id = :run) AND analysed_n > 0 AND "
        "(analysed_time IS NULL OR (analysed_time, analysed_run_id) > (:time, :run))",
    [S_POINT_TIME] = "SELECT run_time FROM result WHERE run_id = :run AND series_id = :series",
    [S_SERIES_BEFORE] = "SELECT run_id, coalesce(median, mean, estimate) AS v, run_time FROM "
                        "result WHERE "
                        "series_id = :series AND v IS NOT NULL AND (run_time, run_id) <= (:time, "
                        ":run) ORDER BY run_time DESC, run_id DESC LIMIT :limit",
    [S_SERIES_AFTER] = "SELECT run_id, coalesce(median, mean, estimate) AS v, run_time FROM "
                       "result WHERE "
                       "series_id = :series AND v IS NOT NULL AND (run_time, run_id) > (:time, "
                       ":run) ORDER BY run_time, run_id",
    [S_REG_UPSERT] =
        "INSERT INTO regression(series_id, run_id, prev_run_id, kind, before, after, change_pct, "
        "p_value, severity, detected_at, position, run_time) VALUES (:series, :run, :prev, :kind, "
        ":before, :after, :change, :p, :severity, :now, :position, (SELECT coalesce(commit_time, "
        "started_at) FROM run WHERE id = :run)) ON CONFLICT (series_id, run_id) DO "
        "UPDATE SET active = 1, prev_run_id = excluded.prev_run_id, kind = excluded.kind, before "
        "= excluded.before, after = excluded.after, change_pct = excluded.change_pct, p_value = "
        "excluded.p_value, severity = excluded.severity, position = excluded.position",
    [S_REG_DELETE] = "DELETE FROM regression WHERE id = :id",
    /* regression lists, newest first, each read in order from its index (migration 0012):
     * every record, those of a status, those of a series */
    [S_REG_LIST] = REG_SELECT REG_FILTERS,
    [S_REG_LIST_STATUS] = REG_SELECT "g.status = :status AND " REG_FILTERS,
    [S_REG_LIST_SERIES] = REG_SELECT "g.series_id = :series AND " REG_FILTERS,
    [S_REG_TRIAGE] = "UPDATE regression SET status = :status, note = :note, triaged_by = :who, "
                     "triaged_at = :now WHERE id = :id",
    [S_TARGET_SET] =
        "INSERT INTO target(project, bench_glob, metric, op, value, unit, created_at) VALUES "
        "(:project, :glob, :metric, :op, :value, :unit, :now) ON CONFLICT (project, bench_glob, "
        "metric, op) DO UPDATE SET value = excluded.value, unit = excluded.unit RETURNING id",
    [S_TARGETS] = "SELECT id, project, bench_glob, metric, op, value, unit FROM target WHERE "
                  ":project IS NULL OR project = '' OR project = :project ORDER BY project, "
                  "bench_glob, metric, op",
    [S_TARGET_RM] = "DELETE FROM target WHERE id = :id",
    [S_TOKEN_ADD] = "INSERT INTO token(name, project, scope, hash, created_at) VALUES (:name, "
                    ":project, :scope, :hash, :now)",
    [S_TOKEN_FIND] = "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token "
                     "WHERE hash = :hash AND revoked_at IS NULL",
    [S_TOKENS] = "SELECT id, name, project, scope, hash, created_at, revoked_at FROM token ORDER "
                 "BY id DESC",
    /* runs of a branch (on a machine, at a commit, before a run in series order), newest first
     * in series order: the candidates of a baseline (api/baseline.c) */
    [S_FIND_RUNS] = FIND_RUNS_SELECT FIND_RUNS_BEFORE FIND_RUNS_PAGE,
    [S_FIND_RUNS_M] = FIND_RUNS_SELECT
    "r.machine_id = (SELECT id FROM machine WHERE name = :machine) AND " FIND_RUNS_BEFORE
        FIND_RUNS_PAGE,
    /* at a commit: the runs of that commit prefix (run_by_commit), few; the caller stops at
     * :limit */
    [S_FIND_RUNS_SHA] =
        "SELECT r.id FROM run r WHERE r.commit_sha >= :sha AND r.commit_sha < :upper AND "
        "substr(r.commit_sha, 1, length(:sha)) = :sha AND +r.branch_id = (SELECT b.id FROM branch "
        "b JOIN project p ON p.id = b.project_id WHERE p.name = :project AND b.name = :branch) "
        "AND (:machine IS NULL OR r.machine_id = (SELECT id FROM machine WHERE name = :machine)) "
        "AND (coalesce(r.commit_time, r.started_at), r.id) < (:t, :id) AND r.id <> :exclude "
        "ORDER BY coalesce(r.commit_time, r.started_at) DESC, r.id DESC",
    /* a run's place in series order */
    [S_RUN_SERIES_KEY] = "SELECT coalesce(commit_time, started_at), id FROM run WHERE id = :id",
    [S_PREVIOUS_RUN] =
        "SELECT p.id FROM run r CROSS JOIN run p ON p.branch_id = r.branch_id AND p.machine_id = "
        "r.machine_id AND (p.started_at, p.id) < (r.started_at, r.id) WHERE r.id = :id ORDER BY "
        "p.started_at DESC, p.id DESC LIMIT 1",
    [S_FINGERPRINT] =
        "SELECT (SELECT coalesce(max(id), 0) FROM run) || ':' || (SELECT count(*) FROM run) || "
        "':' || coalesce((SELECT generation FROM data_generation WHERE id = 1), 0) || "
        "':' || (SELECT coalesce(group_concat(project || '|' || bench_glob || '|' || key || '|' "
        "|| value || '|' || coalesce(text, ''), ';'), '') FROM setting) || ':' || (SELECT "
        "coalesce(group_concat(project || '|' "
        "|| bench_glob || '|' || metric || '|' || op || '|' || value, ';'), '') FROM target)",
    [S_GENERATION] = "SELECT coalesce((SELECT generation FROM data_generation WHERE id = 1), 0)",
    /* idempotency keys (migration 0011): per project and token; the primary key decides which
     * of two concurrent requests with one key records it */
    [S_IDEM_GET] = "SELECT i.run_id, i.request_hash FROM idempotency i JOIN project p ON p.id = "
                   "i.project_id WHERE p.name = :project AND i.token_id = :token AND i.key = :key",
    [S_IDEM_PUT] = "INSERT INTO idempotency(project_id, token_id, key, request_hash, run_id, "
                   "created_at) VALUES (:project, :token, :key, :hash, :run, :now) ON CONFLICT "
                   "(project_id, token_id, key) DO NOTHING RETURNING run_id",
    [S_IDEM_TAKEN] = "SELECT run_id, request_hash FROM idempotency WHERE project_id = :project "
                     "AND token_id = :token AND key = :key",
    [S_GENERATION_BUMP] = "UPDATE data_generation SET generation = generation + 1 WHERE id = 1",
    [S_TOKEN_REVOKE] = "UPDATE token SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
    [S_SETTING_UNSET] =
        "DELETE FROM setting WHERE project = :project AND bench_glob = :glob AND key = :key",
    [S_REPORT_ADD] =
        "INSERT INTO report(project, created_at, window_start, window_end, max_regression_id, "
        "max_detected_at, new_regressions, new_improvements, format) VALUES (:project, :created, "
        ":start, :created, :max_id, :max_detected, :n_reg, :n_imp, :format)",
    [S_REPORT_ITEM_ADD] =
        "INSERT OR IGNORE INTO report_item(report_id, regression_id, series_id, run_id, kind, "
        "severity) VALUES (:report, :regression, :series, :run, :kind, :severity)",
    [S_REPORT_LAST] = "SELECT id, project, created_at, window_start, max_regression_id, "
                      "max_detected_at, new_regressions, new_improvements, format FROM report "
                      "WHERE project = :project ORDER BY id DESC LIMIT 1",
    [S_REPORT_ITEMS] =
        "SELECT i.regression_id, i.series_id, i.run_id, i.kind, i.severity FROM report_item i "
        "JOIN report r ON r.id = i.report_id WHERE r.project = :project "
        "ORDER BY i.series_id, i.run_id, i.regression_id",
    /* qbdb prune: the runs to keep and to delete go through temporary tables of this
     * connection. Kept (why 1): the points of a series within :context of an open or
     * acknowledged regression's first bad run (the run before it included), so that detection
     * still finds it; (why 2) the newest run of each project, branch and machine. */
    [S_PRUNE_TEMP] = "CREATE TEMP TABLE IF NOT EXISTS prune_run(id INTEGER PRIMARY KEY)",
    [S_PRUNE_TEMP_KEEP] =
        "CREATE TEMP TABLE IF NOT EXISTS prune_keep(id INTEGER PRIMARY KEY, why INTEGER)",
    [S_PRUNE_CLEAR] = "DELETE FROM temp.prune_run",
    [S_PRUNE_CLEAR_KEEP] = "DELETE FROM temp.prune_keep",
    [S_PRUNE_KEEP_ANCHORS] =
        "INSERT OR IGNORE INTO temp.prune_keep(id, why) WITH open_reg AS (SELECT series_id, run_id "
        "FROM regression WHERE status IN ('open', 'acknowledged')), pts AS (SELECT x.series_id, "
        "x.run_id, row_number() OVER (PARTITION BY x.series_id ORDER BY x.run_time, x.run_id) AS "
        "k FROM result x WHERE x.series_id IN (SELECT series_id FROM open_reg)), at AS (SELECT "
        "p.series_id, p.k FROM pts p JOIN open_reg g ON g.series_id = p.series_id AND g.run_id = "
        "p.run_id) SELECT DISTINCT p.run_id, 1 FROM pts p JOIN at a ON a.series_id = p.series_id "
        "WHERE p.k BETWEEN a.k - :context - 1 AND a.k + :context",
    [S_PRUNE_KEEP_NEWEST] =
        "INSERT OR IGNORE INTO temp.prune_keep(id, why) SELECT id, 2 FROM (SELECT id, "
        "row_number() OVER (PARTITION BY project_id, branch_id, machine_id ORDER BY started_at "
        "DESC, id DESC) AS k FROM run) WHERE k = 1",
    [S_PRUNE_PICK] =
        "INSERT INTO temp.prune_run SELECT r.id FROM run r JOIN branch b ON b.id = r.branch_id "
        "WHERE r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob) AND r.id NOT IN "
        "(SELECT id FROM temp.prune_keep)",
    /* the old runs kept, by why */
    [S_PRUNE_OLD] =
        "SELECT count(*) FILTER (WHERE k.why = 1), count(*) FILTER (WHERE k.why = 2) FROM run r "
        "JOIN branch b ON b.id = r.branch_id JOIN temp.prune_keep k ON k.id = r.id WHERE "
        "r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob)",
    [S_PRUNE_COUNT] =
        "SELECT (SELECT count(*) FROM temp.prune_run), (SELECT count(*) FROM result "
        "WHERE run_id IN (SELECT id FROM temp.prune_run)), (SELECT coalesce(sum(n), "
        "0) FROM sample_set WHERE result_id IN (SELECT id FROM result WHERE run_id IN "
        "(SELECT id FROM temp.prune_run)))",
    [S_PRUNE_UNMARK] = "UPDATE series SET analysed_n = 0, analysed_run_id = NULL, analysed_time = "
                       "NULL WHERE id IN (SELECT series_id FROM result WHERE run_id IN (SELECT id "
                       "FROM temp.prune_run))",
    [S_PRUNE_DELETE] = "DELETE FROM run WHERE id IN (SELECT id FROM temp.prune_run)",
    [S_PRUNE_SAMPLES_COUNT] =
        "SELECT count(DISTINCT x.run_id), coalesce(sum(ss.n), 0) FROM sample_set ss JOIN result x "
        "ON x.id = ss.result_id JOIN run r ON r.id = x.run_id JOIN branch b ON b.id = r.branch_id "
        "WHERE r.started_at < :before AND (:glob IS NULL OR b.name GLOB :glob) AND r.id NOT IN "
        "(SELECT id FROM temp.prune_run)",
    [S_PRUNE_SAMPLES_DELETE] =
        "DELETE FROM sample_set WHERE result_id IN (SELECT x.id FROM result x JOIN run r ON r.id "
        "= x.run_id JOIN branch b ON b.id = r.branch_id WHERE r.started_at < :before AND (:glob "
        "IS NULL OR b.name GLOB :glob) AND r.id NOT IN (SELECT id FROM temp.prune_run))",
    /* the runs whose samples S_PRUNE_SAMPLES_DELETE dropped count what they still have (0) */
    [S_PRUNE_SAMPLES_RECOUNT] =
        "UPDATE run SET n_samples = (SELECT coalesce(sum(ss.n), 0) FROM result x JOIN sample_set "
        "ss ON ss.result_id = x.id WHERE x.run_id = run.id) WHERE n_samples > 0 AND started_at < "
        ":before AND (:glob IS NULL OR branch_id IN (SELECT id FROM branch WHERE name GLOB :glob)) "
        "AND id NOT IN (SELECT id FROM temp.prune_run)",
};

typedef struct sq_store {
  qb_store base;
  sqlite3 *db;
  char *path;
  int version;
  int64_t busy_since; /* when the current wait for the write lock began (us, monotonic) */
  int64_t busy_limit; /* how long a wait may last (us): BUSY_TIMEOUT_US, shorter for retries */
  int bg_checkpoint;  /* QB_STORE_BG_CHECKPOINT: checkpoints are left to qb_store_checkpoint_due */
  struct series_slot *series_ids; /* series ids by key, as read (series_id_kept) */
  size_t series_cap, series_used;
  struct series_slot *series_new; /* read in the open write transaction: kept once it commits */
  size_t series_new_n, series_new_cap;
  sqlite3_stmt *st[S_COUNT_];
} sq_store;

static sq_store *SQ(qb_store *s) {
  return (sq_store *)s;
}

/* Reset every cached statement, ending any read transaction one left open: each entry point
 * starts from a fresh snapshot, and BEGIN IMMEDIATE can wait for other writers instead of
 * failing at once on a stale snapshot (WAL mode). */
static void reset_all(sq_store *s) {
  for (int i = 0; i < S_COUNT_; i++)
    if (s->st[i] && sqlite3_stmt_busy(s->st[i])) /* one that halted holds no snapshot */
      sqlite3_reset(s->st[i]);
}

/* Record the connection's last error in err with code (QB_EINTERNAL unless told). */
static int sq_fail(sq_store *s, int code, const char *what, qb_err *err) {
  /* the database's state, not qbdb's: a lock held too long, a read-only or full file */
  switch (sqlite3_errcode(s->db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      code = QB_EDB;
      break;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      code = QB_EIO;
      break;
    default:
      break;
  }
  return qb_err_set(err, code, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The cached statement id, prepared on first use and reset with bindings cleared. */
static int stmt(sq_store *s, int id, sqlite3_stmt **out, qb_err *err) {
  if (!s->st[id]) {
    if (sqlite3_prepare_v3(s->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL) !=
        SQLITE_OK)
      return sq_fail(s, QB_EINTERNAL, "prepare", err);
  } else {
    sqlite3_reset(s->st[id]);
    sqlite3_clear_bindings(s->st[id]);
  }
  *out = s->st[id];
  return QB_OK;
}

/* Binding helpers by parameter name; a missing name is a programming error. */
static int pidx(sqlite3_stmt *st, const char *name) {
  int i = sqlite3_bind_parameter_index(st, name);
  return i;
}
static void b_text(sqlite3_stmt *st, const char *name, const char *v) {
  if (v)
    sqlite3_bind_text(st, pidx(st, name), v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, pidx(st, name));
}
static void b_int(sqlite3_stmt *st, const char *name, int64_t v) {
  sqlite3_bind_int64(st, pidx(st, name), v);
}
/* An int64 where QB_TIME_NONE or a negative count means NULL. */
static void b_opt_int(sqlite3_stmt *st, const char *name, int64_t v, int64_t none_below) {
  if (v < none_below || v == QB_TIME_NONE)
    sqlite3_bind_null(st, pidx(st, name));
  else
    sqlite3_bind_int64(st, pidx(st, name), v);
}
/* A double where NAN means NULL. */
static void b_real(sqlite3_stmt *st, const char *name, double v) {
  if (isnan(v))
    sqlite3_bind_null(st, pidx(st, name));
  else
    sqlite3_bind_double(st, pidx(st, name), v);
}

/* Step a statement that returns at most one integer row; *found tells whether it did. */
static int step_id(sq_store *s, sqlite3_stmt *st, int64_t *out, int *found, qb_err *err) {
  int rc = sqlite3_step(st);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st); /* done with it: release its read snapshot now */
    return QB_OK;
  }
  if (rc == SQLITE_DONE) return QB_OK;
  return sq_fail(s, QB_EINTERNAL, "query", err);
}

/* Step an INSERT; *out_id gets the new rowid. */
static int step_insert(sq_store *s, sqlite3_stmt *st, int64_t *out_id, qb_err *err) {
  if (sqlite3_step(st) != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "insert", err);
  if (out_id) *out_id = sqlite3_last_insert_rowid(s->db);
  return QB_OK;
}

/* Find the id of a row by name (select statement sel) or insert it (statement add). Both take
 * :name, and :project when project > 0. */
static int get_or_add(sq_store *s, int sel, int add, int64_t project, const char *name,
                      int64_t *out, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int found, rc;
  if ((rc = stmt(s, sel, &st, err))) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  if ((rc = step_id(s, st, out, &found, err)) || found) return rc;
  if ((rc = stmt(s, add, &st, err))) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  return step_insert(s, st, out, err);
}

/* ---- series ids kept by a connection ----------------------------------------------------
 * A series row never changes its key or id and is never deleted, so once its id is read, the
 * connection keeps it: an upload of N benchmarks then looks up no series it met before. Ids read
 * inside a write transaction are kept once it commits (the row may be the transaction's own). */
typedef struct series_slot {
  int64_t key[4]; /* branch, machine, benchmark, metric ids (branch 0: free) */
  int64_t id;
} series_slot;
#define SERIES_IDS_MAX                                                                             \
  ((size_t)1 << 16) /* slots at most (2.5 MiB): beyond, nothing more is kept                       \
                     */

static size_t series_slot_of(const sq_store *s, const int64_t key[4]) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 4; i++) h = (h ^ (uint64_t)key[i]) * 0xff51afd7ed558ccdULL;
  size_t k = (size_t)(h ^ (h >> 29)) & (s->series_cap - 1);
  while (s->series_ids[k].key[0] &&
         memcmp(s->series_ids[k].key, key, sizeof s->series_ids[k].key) != 0)
    k = (k + 1) & (s->series_cap - 1);
  return k;
}

/* The kept id of the series with key (0: none kept). */
static int64_t series_id_kept(const sq_store *s, const int64_t key[4]) {
  if (!s->series_cap) return 0;
  const series_slot *e = &s->series_ids[series_slot_of(s, key)];
  return e->key[0] ? e->id : 0;
}

/* Keep id for key (nothing when out of memory or full: it is read again next time). */
static void series_id_keep(sq_store *s, const int64_t key[4], int64_t id) {
  if (2 * (s->series_used + 1) > s->series_cap) { /* at most half full: grow */
    size_t cap = s->series_cap ? 2 * s->series_cap : 256;
    if (cap > SERIES_IDS_MAX) return;
    series_slot *old = s->series_ids, *fresh = calloc(cap, sizeof *fresh);
    size_t old_cap = s->series_cap;
    if (!fresh) return;
    s->series_ids = fresh;
    s->series_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].key[0]) s->series_ids[series_slot_of(s, old[i].key)] = old[i];
    free(old);
  }
  series_slot *e = &s->series_ids[series_slot_of(s, key)];
  if (!e->key[0]) s->series_used++;
  memcpy(e->key, key, sizeof e->key);
  e->id = id;
}

/* Keep id for key once the open write transaction commits (series_new_commit). */
static void series_id_pending(sq_store *s, const int64_t key[4], int64_t id) {
  if (s->series_new_n == s->series_new_cap) {
    size_t cap = s->series_new_cap ? 2 * s->series_new_cap : 64;
    series_slot *p = realloc(s->series_new, cap * sizeof *p);
    if (!p) return;
    s->series_new = p;
    s->series_new_cap = cap;
  }
  memcpy(s->series_new[s->series_new_n].key, key, sizeof s->series_new[0].key);
  s->series_new[s->series_new_n++].id = id;
}

/* The write transaction ended: keep what it read when it committed, else forget it. */
static void series_new_end(sq_store *s, int committed) {
  for (size_t i = 0; committed && i < s->series_new_n; i++)
    series_id_keep(s, s->series_new[i].key, s->series_new[i].id);
  s->series_new_n = 0;
}

static void sq_close(qb_store *base) {
  sq_store *s = SQ(base);
  reset_all(s);
  for (int i = 0; i < S_COUNT_; i++) sqlite3_finalize(s->st[i]);
  sqlite3_close(s->db);
  free(s->path);
  free(s->series_ids);
  free(s->series_new);
  free(s);
}

static int sq_schema_version(qb_store *base) {
  return SQ(base)->version;
}

static int exec(sq_store *s, const char *sql, qb_err *err) {
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sq_fail(s, QB_EINTERNAL, sql, err);
  return QB_OK;
}

/* ---- writers of one process wake each other ------------------------------------------------
 * SQLite lets one connection write at a time. Its own busy timeout makes a waiting writer sleep
 * in growing steps (up to 100 ms) and retry, so under concurrent uploads a writer often slept
 * long after the lock was free: p99 of POST /runs was several times its median. Here a waiting
 * connection instead sleeps on a condition variable that every connection of this process
 * signals when it ends a write transaction (our COMMIT/ROLLBACK, and SQLite's WAL hook for
 * every commit, autocommit writes included), with a short timeout for writers in other
 * processes. It gives up after BUSY_TIMEOUT_US, like sqlite3_busy_timeout(5000) did. */
#define BUSY_TIMEOUT_US   5000000
#define BUSY_POLL_US      2000 /* the wait when no signal comes (a writer in another process) */
#define CHECKPOINT_FRAMES 1000 /* SQLite's default auto-checkpoint, kept by the WAL hook */

static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t writers_cv, ckpt_cv;
static pthread_once_t writers_once = PTHREAD_ONCE_INIT;
static uint64_t writers_gen; /* write transactions ended in this process */
static int ckpt_due;         /* a QB_STORE_BG_CHECKPOINT connection saw a long WAL */
static uint64_t ckpt_interrupts;

static void writers_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&writers_cv, &a);
  pthread_cond_init(&ckpt_cv, &a);
  pthread_condattr_destroy(&a);
}

/* The monotonic time timeout_us from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int64_t timeout_us) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(timeout_us / 1000000);
  ts.tv_nsec += (long)(timeout_us % 1000000) * 1000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static void writers_wake(void) {
  pthread_once(&writers_once, writers_init);
  pthread_mutex_lock(&writers_mu);
  writers_gen++;
  pthread_cond_broadcast(&writers_cv);
  pthread_mutex_unlock(&writers_mu);
}

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* sqlite3_busy_handler callback: wait for a writer of this process to finish (or BUSY_POLL_US),
 * then let SQLite retry; 0 (give up: SQLITE_BUSY) after BUSY_TIMEOUT_US. */
static int on_busy(void *arg, int count) {
  sq_store *s = arg;
  int64_t now = mono_us();
  if (count == 0) s->busy_since = now;
  if (now - s->busy_since >= s->busy_limit) return 0;
  pthread_once(&writers_once, writers_init);
  struct timespec ts = deadline_in(BUSY_POLL_US);
  pthread_mutex_lock(&writers_mu);
  uint64_t gen = writers_gen;
  while (writers_gen == gen)
    if (pthread_cond_timedwait(&writers_cv, &writers_mu, &ts) != 0) break;
  pthread_mutex_unlock(&writers_mu);
  return 1;
}

/* sqlite3_wal_hook callback, after every commit (the write lock is released by then): wake the
 * waiting writers, and checkpoint as SQLite's auto-checkpoint would (it is replaced by this
 * hook). */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames) {
  sq_store *s = arg;
  writers_wake();
  if (frames < CHECKPOINT_FRAMES) return SQLITE_OK;
  if (!s->bg_checkpoint) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
  }
  pthread_mutex_lock(&writers_mu);
  ckpt_due = 1;
  pthread_cond_broadcast(&ckpt_cv);
  pthread_mutex_unlock(&writers_mu);
  return SQLITE_OK;
}

static int sq_checkpoint_due(qb_store *base, int timeout_ms, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  pthread_once(&writers_once, writers_init);
  struct timespec ts = deadline_in((int64_t)timeout_ms * 1000);
  pthread_mutex_lock(&writers_mu);
  uint64_t intr = ckpt_interrupts;
  while (!ckpt_due && ckpt_interrupts == intr)
    if (pthread_cond_timedwait(&ckpt_cv, &writers_mu, &ts) != 0) break;
  int due = ckpt_due;
  ckpt_due = 0;
  pthread_mutex_unlock(&writers_mu);
  int ck = due ? sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)
               : SQLITE_OK;
  /* another process (a `qbdb ingest`) checkpointing at the same time: not now, next time */
  if (ck == SQLITE_BUSY || ck == SQLITE_LOCKED) return QB_OK;
  if (ck != SQLITE_OK) return sq_fail(s, QB_EINTERNAL, "wal checkpoint", err);
  return QB_OK;
}

void qb_store_checkpoint_interrupt(void) {
  pthread_once(&writers_once, writers_init);
  pthread_mutex_lock(&writers_mu);
  ckpt_interrupts++;
  pthread_cond_broadcast(&ckpt_cv);
  pthread_mutex_unlock(&writers_mu);
}

/* End the write transaction: COMMIT, or ROLLBACK when rollback; then wake waiting writers (a
 * COMMIT that wrote nothing and a ROLLBACK do not reach the WAL hook). */
static int write_end(sq_store *s, int rollback, qb_err *err) {
  int rc = QB_OK;
  if (rollback)
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  else
    rc = exec(s, "COMMIT", err);
  if (sqlite3_get_autocommit(s->db)) /* the transaction is over (committed when no error) */
    series_new_end(s, !rollback && rc == QB_OK);
  writers_wake();
  return rc;
}

/* The metric id last looked up by insert_result in this transaction: every result of a run
 * usually has the same metric, so its row is read once per run, not once per result. */
typedef struct metric_memo {
  const char *name, *unit;
  int dir;
  int64_t id; /* 0: nothing remembered */
} metric_memo;

/* The parameters of S_RESULT_ADD in the order they first appear in its SQL (SQLite numbers
 * named parameters so): bound by position, as looking each name up costs more than the insert's
 * own bookkeeping. result_params_ok checks the order against the prepared statement. */
static const char *const RESULT_PARAMS[] = {
    ":run",      ":bench",    ":metric", ":series", ":n",     ":min",     ":max",
    ":mean",     ":median",   ":stddev", ":p95",    ":p99",   ":q1",      ":q3",
    ":outliers", ":estimate", ":ci_lo",  ":ci_hi",  ":extra", ":run_time"};
#define N_RESULT_PARAMS (sizeof RESULT_PARAMS / sizeof RESULT_PARAMS[0])

/* 1 when st's parameters are RESULT_PARAMS, in that order. */
static int result_params_ok(sqlite3_stmt *st) {
  if (sqlite3_bind_parameter_count(st) != (int)N_RESULT_PARAMS) return 0;
  for (size_t i = 0; i < N_RESULT_PARAMS; i++) {
    const char *name = sqlite3_bind_parameter_name(st, (int)i + 1);
    if (!name || strcmp(name, RESULT_PARAMS[i])) return 0;
  }
  return 1;
}

/* A double at position i where NAN means NULL (b_real by position). */
static void b_real_at(sqlite3_stmt *st, int i, double v) {
  if (isnan(v))
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_double(st, i, v);
}

/* A count at position i where a negative value means NULL (b_opt_int by position). */
static void b_count_at(sqlite3_stmt *st, int i, int64_t v) {
  if (v < 0)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_int64(st, i, v);
}

/* Insert one result of bench (benchmark row bench_id) with its series and samples; memo keeps the
 * metric id between the results of one transaction. */
static int insert_result(sq_store *s, const qb_run *run, int64_t run_id, int64_t branch_id,
                         int64_t machine_id, int64_t bench_id, const qb_result *r, qb_buf *blob,
                         metric_memo *memo, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int64_t metric_id = 0, series_id = 0, result_id = 0;
  int found, rc;
  if (memo->id && memo->dir == (int)r->direction && !strcmp(memo->name, r->metric) &&
      !strcmp(memo->unit, r->unit)) {
    metric_id = memo->id;
  } else {
    if ((rc = stmt(s, S_METRIC_GET, &st, err))) return rc;
    b_text(st, ":name", r->metric);
    b_text(st, ":unit", r->unit);
    b_int(st, ":dir", r->direction);
    if ((rc = step_id(s, st, &metric_id, &found, err))) return rc;
    if (!found) {
      if ((rc = stmt(s, S_METRIC_ADD, &st, err))) return rc;
      b_text(st, ":name", r->metric);
      b_text(st, ":unit", r->unit);
      b_int(st, ":dir", r->direction);
      if ((rc = step_insert(s, st, &metric_id, err))) return rc;
    }
    *memo = (metric_memo){r->metric, r->unit, (int)r->direction, metric_id};
  }
  const int64_t key[4] = {branch_id, machine_id, bench_id, metric_id};
  series_id = series_id_kept(s, key);
  for (int pass = 0; pass < 2 && !series_id; pass++) {
    if ((rc = stmt(s, pass ? S_SERIES_ADD : S_SERIES_GET, &st, err))) return rc;
    b_int(st, ":branch", branch_id);
    b_int(st, ":machine", machine_id);
    b_int(st, ":bench", bench_id);
    b_int(st, ":metric", metric_id);
    if (pass) {
      if ((rc = step_insert(s, st, &series_id, err))) return rc;
    } else {
      if ((rc = step_id(s, st, &series_id, &found, err))) return rc;
      if (found) series_id_pending(s, key, series_id); /* kept once the transaction commits */
    }
  }
  const qb_stats *x = &r->stats;
  if ((rc = stmt(s, S_RESULT_ADD, &st, err))) return rc;
  if (!result_params_ok(st))
    return qb_err_set(err, QB_EINTERNAL, "insert result: parameters out of order");
  int64_t run_time = run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, bench_id);
  sqlite3_bind_int64(st, 3, metric_id);
  sqlite3_bind_int64(st, 4, series_id);
  b_count_at(st, 5, x->n);
  const double reals[] = {x->min, x->max, x->mean, x->median, x->stddev,
                          x->p95, x->p99, x->q1,   x->q3};
  for (int i = 0; i < 9; i++) b_real_at(st, 6 + i, reals[i]);
  b_count_at(st, 15, x->outliers);
  b_real_at(st, 16, x->estimate);
  b_real_at(st, 17, x->ci_lo);
  b_real_at(st, 18, x->ci_hi);
  if (r->extra)
    sqlite3_bind_text(st, 19, r->extra, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 19);
  sqlite3_bind_int64(st, 20, run_time);
  if ((rc = step_insert(s, st, &result_id, err))) return rc;
  /* the series' detection markers: S_SERIES_UNMARK_RUN, once the run's results are in */
  if (!r->n_samples) return QB_OK;
  blob->len = 0;
  if ((rc = qb_samples_encode(r->samples, r->iters, r->n_samples, blob, err))) return rc;
  if ((rc = stmt(s, S_SAMPLES_ADD, &st, err))) return rc;
  b_int(st, ":result", result_id);
  b_int(st, ":n", (int64_t)r->n_samples);
  sqlite3_bind_blob64(st, pidx(st, ":data"), blob->data, blob->len, SQLITE_STATIC);
  return step_insert(s, st, NULL, err);
}

/* Bind the key columns of an idempotency statement. */
static void bind_key(sqlite3_stmt *st, int64_t project_id, const qb_idem *k) {
  b_int(st, ":project", project_id);
  b_int(st, ":token", k->token_id);
  b_text(st, ":key", k->key);
}

/* The run and request hash key k is recorded with in project_id, into *hit (found: 1 when it
 * is). */
static int key_taken(sq_store *s, int64_t project_id, const qb_idem *k, qb_idem_hit *hit,
                     int *found, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_IDEM_TAKEN, &st, err), step;
  if (rc) return rc;
  bind_key(st, project_id, k);
  *found = 0;
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    *found = 1;
    hit->run_id = sqlite3_column_int64(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  } else if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "idempotency key", err);
  }
  sqlite3_reset(st);
  return rc;
}

/* Record key k for run run_id of project project_id (inside the caller's write transaction).
 * When the key is recorded already (the primary key refuses the row), *hit tells with what and
 * QB_EEXISTS is returned: the caller rolls back. */
static int record_key(sq_store *s, int64_t project_id, const qb_idem *k, int64_t run_id,
                      qb_idem_hit *hit, qb_err *err) {
  sqlite3_stmt *st = NULL;
  int64_t got = 0;
  int found, rc = stmt(s, S_IDEM_PUT, &st, err);
  if (rc) return rc;
  bind_key(st, project_id, k);
  b_text(st, ":hash", k->request_hash);
  b_int(st, ":run", run_id);
  b_int(st, ":now", qb_time_now());
  if ((rc = step_id(s, st, &got, &found, err))) return rc;
  sqlite3_reset(st);
  if (found) return QB_OK;
  if ((rc = key_taken(s, project_id, k, hit, &found, err))) return rc;
  if (!found)
    return qb_err_set(err, QB_EINTERNAL, "idempotency key '%.64s': neither recorded nor refused",
                      k->key);
  return QB_EEXISTS;
}

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int sq_insert_run(qb_store *base, const qb_run *run, const qb_idem *idem, int64_t *out_id,
                         qb_idem_hit *hit, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t project_id = 0, branch_id = 0, machine_id = 0, run_id = 0, existing = 0;
  int64_t n_results = 0, n_samples = 0, *bench_ids;
  size_t n_bench_ids = 0;
  int found, rc;
  metric_memo memo = {NULL, NULL, 0, 0};
  qb_buf blob;
  if (!run->project || !run->branch || !run->machine || run->started_at == QB_TIME_NONE)
    return qb_err_set(err, QB_EINTERNAL, "run is missing project, branch, machine or start");
  if (!(bench_ids = malloc((run->n_benches ? run->n_benches : 1) * sizeof *bench_ids)))
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  qb_buf_init(&blob, (size_t)1 << 31);
  if ((rc = exec(s, "BEGIN IMMEDIATE", err))) {
    free(bench_ids);
    return rc;
  }
  if ((rc = get_or_add(s, S_PROJECT_GET, S_PROJECT_ADD, 0, run->project, &project_id, err)))
    goto done;
  if ((rc = stmt(s, S_RUN_BY_HASH, &st, err))) goto done;
  b_int(st, ":project", project_id);
  b_text(st, ":hash", run->content_hash);
  if ((rc = step_id(s, st, &existing, &found, err))) goto done;
  if (found) {
    *out_id = existing;
    if (!idem) {
      rc = QB_EEXISTS;
      goto done;
    }
    /* the same content stored before: the key names that run */
    if ((rc = record_key(s, project_id, idem, existing, hit, err))) {
      if (rc == QB_EEXISTS) *out_id = hit->run_id;
      goto done;
    }
    if ((rc = write_end(s, 0, err))) goto done;
    qb_buf_dispose(&blob);
    free(bench_ids);
    return QB_EEXISTS;
  }
  if ((rc = get_or_add(s, S_BRANCH_GET, S_BRANCH_ADD, project_id, run->branch, &branch_id, err)) ||
      (rc = get_or_add(s, S_MACHINE_GET, S_MACHINE_ADD, 0, run->machine, &machine_id, err)))
    goto done;
  if ((rc = stmt(s, S_MACHINE_INFO, &st, err))) goto done;
  b_text(st, ":info", run->machine_info);
  b_int(st, ":id", machine_id);
  if ((rc = step_insert(s, st, NULL, err))) goto done;
  if ((rc = stmt(s, S_RUN_ADD, &st, err))) goto done;
  b_int(st, ":project", project_id);
  b_int(st, ":branch", branch_id);
  b_int(st, ":machine", machine_id);
  b_text(st, ":sha", run->commit_sha);
  b_opt_int(st, ":ctime", run->commit_time, INT64_MIN);
  b_int(st, ":started", run->started_at);
  b_int(st, ":ingested", qb_time_now());
  b_text(st, ":format", run->format ? run->format : "unknown");
  b_text(st, ":tool", run->tool_version);
  b_text(st, ":minfo", run->machine_info);
  b_text(st, ":extra", run->extra);
  b_text(st, ":hash", run->content_hash);
  if ((rc = step_insert(s, st, &run_id, err))) goto done;
  for (size_t i = 0; i < run->n_tags; i++) {
    if ((rc = stmt(s, S_TAG_ADD, &st, err))) goto done;
    b_int(st, ":run", run_id);
    b_text(st, ":key", run->tags[i].key);
    b_text(st, ":value", run->tags[i].value);
    if ((rc = step_insert(s, st, NULL, err))) goto done;
  }
  for (size_t i = 0; i < run->n_benches; i++) {
    const qb_bench *b = &run->benches[i];
    int64_t bench_id = 0;
    for (int pass = 0; pass < 2; pass++) { /* read, else insert or update (RETURNING the id) */
      if ((rc = stmt(s, pass ? S_BENCH_UPSERT : S_BENCH_GET, &st, err))) goto done;
      b_int(st, ":project", project_id);
      b_text(st, ":name", b->name);
      b_text(st, ":grp", b->group);
      b_text(st, ":params", b->params);
      if ((rc = step_id(s, st, &bench_id, &found, err))) goto done;
      sqlite3_reset(st); /* finish the RETURNING statement */
      if (found) break;
    }
    if (!found) {
      rc = qb_err_set(err, QB_EINTERNAL, "benchmark '%.80s': not stored", b->name);
      goto done;
    }
    if (b->extra) {
      if ((rc = stmt(s, S_RUN_BENCH_ADD, &st, err))) goto done;
      b_int(st, ":run", run_id);
      b_int(st, ":bench", bench_id);
      b_text(st, ":extra", b->extra);
      if ((rc = step_insert(s, st, NULL, err))) goto done;
    }
    for (size_t k = 0; k < b->n_results; k++) {
      if ((rc = insert_result(s, run, run_id, branch_id, machine_id, bench_id, &b->results[k],
                              &blob, &memo, err)))
        goto done;
      n_samples += (int64_t)b->results[k].n_samples; /* a sample_set row of n when n > 0 */
    }
    n_results += (int64_t)b->n_results;
    if (b->n_results) bench_ids[n_bench_ids++] = bench_id;
  }
  /* distinct benchmarks with a result (two entries of one name are one benchmark) */
  qsort(bench_ids, n_bench_ids, sizeof *bench_ids, cmp_int64);
  int64_t n_benches = 0;
  for (size_t i = 0; i < n_bench_ids; i++) n_benches += !i || bench_ids[i] != bench_ids[i - 1];
  /* a run stored before the end of one of its series changes what the histories of the runs
   * after it hold: a new data generation, as a prune makes (kept histories are keyed by it) */
  int64_t one;
  if ((rc = stmt(s, S_RUN_BACKFILL, &st, err))) goto done;
  b_int(st, ":run", run_id);
  if ((rc = step_id(s, st, &one, &found, err))) goto done;
  if (found) {
    if ((rc = stmt(s, S_GENERATION_BUMP, &st, err))) goto done;
    if ((rc = step_insert(s, st, NULL, err))) goto done;
  }
  /* a point stored before a series' analysed ones: its marker no longer describes a prefix */
  if ((rc = stmt(s, S_SERIES_UNMARK_RUN, &st, err))) goto done;
  b_int(st, ":run", run_id);
  b_int(st, ":time", run->commit_time != QB_TIME_NONE ? run->commit_time : run->started_at);
  if ((rc = step_insert(s, st, NULL, err))) goto done;
  /* the counts listings show, kept on the run row (migration 0012) */
  if ((rc = stmt(s, S_RUN_COUNTS, &st, err))) goto done;
  b_int(st, ":run", run_id);
  b_int(st, ":benches", n_benches);
  b_int(st, ":results", n_results);
  b_int(st, ":samples", n_samples);
  if ((rc = step_insert(s, st, NULL, err))) goto done;
  if (idem && (rc = record_key(s, project_id, idem, run_id, hit, err))) {
    if (rc == QB_EEXISTS) *out_id = hit->run_id;
    goto done;
  }
  if ((rc = write_end(s, 0, err))) goto done;
  *out_id = run_id;
done:
  if (rc) write_end(s, 1, NULL);
  qb_buf_dispose(&blob);
  free(bench_ids);
  return rc;
}

/* Copy a text column (NULL stays NULL). */
static char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? strdup((const char *)t) : NULL;
}
static int64_t col_opt_int(sqlite3_stmt *st, int i, int64_t none) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? none : sqlite3_column_int64(st, i);
}
static double col_real(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err);

/* Fill info from a row of RUN_COLUMNS and load its tags. */
static int read_info(sq_store *s, sqlite3_stmt *row, qb_run_info *info, qb_err *err) {
  memset(info, 0, sizeof *info);
  info->id = sqlite3_column_int64(row, 0);
  info->project = col_text(row, 1);
  info->branch = col_text(row, 2);
  info->machine = col_text(row, 3);
  info->commit_sha = col_text(row, 4);
  info->commit_time = col_opt_int(row, 5, QB_TIME_NONE);
  info->started_at = col_opt_int(row, 6, QB_TIME_NONE);
  info->ingested_at = col_opt_int(row, 7, QB_TIME_NONE);
  info->format = col_text(row, 8);
  info->tool_version = col_text(row, 9);
  info->content_hash = col_text(row, 10);
  info->machine_info = col_text(row, 11);
  info->extra = col_text(row, 12);
  info->n_benches = sqlite3_column_int64(row, 13);
  info->n_results = sqlite3_column_int64(row, 14);
  info->n_samples = sqlite3_column_int64(row, 15);
  /* a copy that failed reads as NULL: a NULL where the column is not NULL is out of memory */
  const struct {
    int col;
    char *v;
  } texts[] = {{1, info->project},       {2, info->branch},        {3, info->machine},
               {4, info->commit_sha},    {8, info->format},        {9, info->tool_version},
               {10, info->content_hash}, {11, info->machine_info}, {12, info->extra}};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if (!texts[i].v && sqlite3_column_type(row, texts[i].col) != SQLITE_NULL)
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  sqlite3_stmt *st = NULL;
  int rc;
  if ((rc = stmt(s, S_RUN_TAGS, &st, err))) return rc;
  b_int(st, ":run", info->id);
  size_t cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (info->n_tags == cap) {
      size_t nc = cap ? cap * 2 : 4;
      qb_tag *t = realloc(info->tags, nc * sizeof *t);
      if (!t) return qb_err_set(err, QB_ENOMEM, "out of memory");
      info->tags = t;
      cap = nc;
    }
    info->tags[info->n_tags].key = col_text(st, 0);
    info->tags[info->n_tags].value = col_text(st, 1);
    info->n_tags++;
    if (!info->tags[info->n_tags - 1].key || !info->tags[info->n_tags - 1].value)
      return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  if (rc != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "tags", err);
  return QB_OK;
}

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
    rc = read_info(s, st, &(*arr)[*n], err);
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

/* Look up the id of a name with statement id (:name, and :project when project > 0); *found 0
 * when there is none. */
static int name_id(sq_store *s, int id, int64_t project, const char *name, int64_t *out, int *found,
                   qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, id, &st, err);
  if (rc) return rc;
  if (project > 0) b_int(st, ":project", project);
  b_text(st, ":name", name);
  return step_id(s, st, out, found, err);
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
  if ((rc = stmt(s, S_BRANCHES_NAMED, &st, err))) return rc;
  b_text(st, ":name", branch);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)ids, &cap, *n, sizeof **ids, err))) break;
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

static int sq_list_runs(qb_store *base, const qb_run_filter *f, qb_run_info **out, size_t *n_out,
                        qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
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
      if ((rc = stmt(s, id, &st, err))) break;
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
  if ((rc = stmt(s, id, &st, err))) goto done;
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

/* Fill infos of every project with runs (S_PROJECTS). */
static int sq_projects(qb_store *base, qb_project_info **out, size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_project_info *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_PROJECTS, &st, err), step;
  if (rc) return rc;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
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

static int sq_bench_metrics(qb_store *base, const char *project, qb_bench_metric **out,
                            size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_bench_metric *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_BENCH_METRICS, &st, err), step;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_bench_metric *b = &arr[n++];
    b->project = col_text(st, 0);
    b->bench = col_text(st, 1);
    b->metric = col_text(st, 2);
    if (!b->project || !b->bench || !b->metric) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "benchmarks", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_bench_metrics_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int is_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static int is_hex(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
      return 0;
  return 1;
}

static int sq_resolve_run(qb_store *base, const char *project, const char *machine, const char *ref,
                          int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int found, rc;
  if (is_digits(ref) && strlen(ref) < 19) {
    if ((rc = stmt(s, S_RUN_EXISTS, &st, err))) return rc;
    b_int(st, ":id", strtoll(ref, NULL, 10));
    b_text(st, ":project", project);
    if ((rc = step_id(s, st, out_id, &found, err)) || found) return rc;
  }
  const char *at = strchr(ref, '@'), *tilde = strrchr(ref, '~');
  long long nth = 0;
  if (!at && tilde) {
    char *end;
    nth = strtoll(tilde + 1, &end, 10);
    if (tilde == ref || !tilde[1] || *end || nth < 0)
      return qb_err_set(err, QB_EUSAGE, "run reference '%s': expected BRANCH~N (N >= 0)", ref);
    at = tilde;
  }
  if (at) {
    if (at != tilde && strcmp(at, "@latest") != 0)
      return qb_err_set(err, QB_EUSAGE, "run reference '%s': expected BRANCH@latest", ref);
    char *branch = qb_strndup(ref, (size_t)(at - ref));
    if (!branch) return qb_err_set(err, QB_ENOMEM, "out of memory");
    int64_t project_id = 0, machine_id = 0, *ids = NULL;
    size_t n_ids = 0;
    found = 1;
    /* the branch (and machine) by name, then one seek in run_by_branch[_machine]_time */
    if (project &&
        ((rc = name_id(s, S_PROJECT_GET, 0, project, &project_id, &found, err)) || !found))
      goto branch_none;
    if ((rc = branch_ids(s, project_id, branch, &ids, &n_ids, err))) goto branch_done;
    if (n_ids > 1) {
      rc = qb_err_set(err, QB_EUSAGE,
                      "run reference '%s': branch '%s' exists in %zu projects; pass --project", ref,
                      branch, n_ids);
      goto branch_done;
    }
    found = n_ids == 1;
    if (found && machine && (rc = name_id(s, S_MACHINE_GET, 0, machine, &machine_id, &found, err)))
      goto branch_done;
    if (found) {
      if ((rc = stmt(s, machine ? S_RUN_NTH_BM : S_RUN_NTH_B, &st, err))) goto branch_done;
      b_int(st, ":branch", ids[0]);
      if (machine) b_int(st, ":machine", machine_id);
      b_int(st, ":n", nth);
      if ((rc = step_id(s, st, out_id, &found, err))) goto branch_done;
    }
  branch_none:
    if (!found && nth)
      rc = qb_err_set(err, QB_ENOTFOUND,
                      "run reference '%s': branch '%s' has fewer than %llu runs%s%s", ref, branch,
                      (unsigned long long)nth + 1, /* nth may be LLONG_MAX */
                      machine ? " on machine " : "", machine ? machine : "");
    else if (!found)
      rc = qb_err_set(err, QB_ENOTFOUND, "run reference '%s': no runs on branch '%s'%s%s", ref,
                      branch, machine ? " on machine " : "", machine ? machine : "");
  branch_done:
    free(ids);
    free(branch);
    return rc;
  }
  if (is_hex(ref) && strlen(ref) >= 4) {
    if ((rc = stmt(s, S_RUN_BY_SHA_PREFIX, &st, err))) return rc;
    char upper[64];
    snprintf(upper, sizeof upper, "%s", ref);
    size_t len = strlen(upper);
    upper[len - 1]++; /* a hex digit raised: above every text that starts with ref */
    b_text(st, ":prefix", ref);
    b_text(st, ":upper", upper);
    b_text(st, ":project", project);
    b_text(st, ":machine", machine);
    char first[64] = "";
    int step, n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      const char *sha = (const char *)sqlite3_column_text(st, 1);
      if (n == 0) {
        *out_id = sqlite3_column_int64(st, 0);
        snprintf(first, sizeof first, "%s", sha);
        n = 1;
      } else if (strcmp(first, sha) != 0) {
        rc = qb_err_set(err, QB_EUSAGE,
                        "run reference '%s': ambiguous commit prefix (%s, %s, ...); give more "
                        "digits",
                        ref, first, sha);
        sqlite3_reset(st);
        return rc;
      }
    }
    if (step != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "resolve", err);
    if (n) return QB_OK;
  }
  return qb_err_set(err, QB_ENOTFOUND,
                    "run reference '%s': no run with that id, commit prefix or BRANCH@latest", ref);
}

/* Append the result rows of run id to run (benchmarks in insertion order). */
static int load_results(sq_store *s, int64_t id, int with_samples, qb_run *run, qb_err *err) {
  sqlite3_stmt *st = NULL, *ss = NULL;
  int rc = stmt(s, S_RUN_RESULTS, &st, err), step;
  if (rc) return rc;
  b_int(st, ":run", id);
  qb_bench *b = NULL;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *bname = (const char *)sqlite3_column_text(st, 0);
    if (!b || strcmp(b->name, bname) != 0) {
      if ((rc = qb_run_add_bench(run, bname, (const char *)sqlite3_column_text(st, 1), &b, err)))
        return rc;
      b->params = col_text(st, 2);
      b->extra = col_text(st, 3);
    }
    qb_result *r;
    if ((rc = qb_bench_add_result(b, (const char *)sqlite3_column_text(st, 4),
                                  (const char *)sqlite3_column_text(st, 5),
                                  (qb_direction)sqlite3_column_int(st, 6), &r, err)))
      return rc;
    qb_stats *x = &r->stats;
    x->n = col_opt_int(st, 7, -1);
    x->min = col_real(st, 8);
    x->max = col_real(st, 9);
    x->mean = col_real(st, 10);
    x->median = col_real(st, 11);
    x->stddev = col_real(st, 12);
    x->p95 = col_real(st, 13);
    x->p99 = col_real(st, 14);
    x->q1 = col_real(st, 15);
    x->q3 = col_real(st, 16);
    x->outliers = col_opt_int(st, 17, -1);
    x->estimate = col_real(st, 18);
    x->ci_lo = col_real(st, 19);
    x->ci_hi = col_real(st, 20);
    r->extra = col_text(st, 21);
    if (!with_samples) continue;
    if ((rc = stmt(s, S_SAMPLES_GET, &ss, err))) return rc;
    b_int(ss, ":result", sqlite3_column_int64(st, 22));
    int sr = sqlite3_step(ss);
    if (sr == SQLITE_ROW) {
      double *v;
      uint64_t *it = NULL;
      size_t n;
      if ((rc = qb_samples_decode(sqlite3_column_blob(ss, 0), (size_t)sqlite3_column_bytes(ss, 0),
                                  &v, with_samples == QB_LOAD_VALUES ? NULL : &it, &n, err)))
        return rc;
      qb_result_take_samples(r, v, it, n);
    } else if (sr != SQLITE_DONE) {
      return sq_fail(s, QB_EINTERNAL, "samples", err);
    }
    sqlite3_reset(ss);
  }
  if (step != SQLITE_DONE) return sq_fail(s, QB_EINTERNAL, "results", err);
  return QB_OK;
}

static int sq_load_run(qb_store *base, int64_t id, int with_samples, qb_run_info *info,
                       qb_run **out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_run *run = NULL;
  memset(info, 0, sizeof *info);
  if (out) *out = NULL;
  int rc = stmt(s, S_RUN_INFO, &st, err), step;
  if (rc) return rc;
  b_int(st, ":id", id);
  step = sqlite3_step(st);
  if (step == SQLITE_DONE)
    return qb_err_set(err, QB_ENOTFOUND, "no run with id %lld", (long long)id);
  if (step != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "load run", err);
  if ((rc = read_info(s, st, info, err))) goto done;
  sqlite3_reset(st);
  if (!out) goto done;
  if (!(run = qb_run_from_info(info))) {
    rc = qb_err_set(err, QB_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = load_results(s, id, with_samples, run, err))) goto done;
  *out = run;
  run = NULL;
done:
  qb_run_free(run);
  if (rc) qb_run_info_dispose(info);
  return rc;
}

static int sq_counts(qb_store *base, qb_store_counts *out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_COUNTS, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "counts", err);
  int64_t *f[] = {&out->projects,   &out->branches, &out->machines, &out->runs,
                  &out->benchmarks, &out->metrics,  &out->results,  &out->samples};
  for (int i = 0; i < 8; i++) *f[i] = sqlite3_column_int64(st, i);
  sqlite3_reset(st);
  return QB_OK;
}

/* Mark pts[0..n) (history points of run_id's series) with the active change points stored now:
 * one statement for every series of the run. */
static int history_marks(sq_store *s, int64_t run_id, qb_history_point *pts, size_t n,
                         qb_err *err) {
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_HISTORY_CHANGES, &st, err), step;
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) pts[i].change = 0;
  b_int(st, ":head", run_id);
  size_t at = 0; /* the points are grouped by series; the rows come by series id */
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t series = sqlite3_column_int64(st, 0), run = sqlite3_column_int64(st, 1);
    if (at >= n || pts[at].series_id != series) /* find the series' first point */
      for (at = 0; at < n && pts[at].series_id != series; at++) {
      }
    for (size_t i = at; i < n && pts[i].series_id == series; i++)
      pts[i].change |= pts[i].run_id == run;
  }
  sqlite3_reset(st);
  return step == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, "history", err);
}

static int sq_history_marks(qb_store *base, int64_t run_id, qb_history_point *pts, size_t n,
                            qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  return history_marks(s, run_id, pts, n, err);
}

/* Append to *arr the at most per_series points of series (bench and metric names owned by its first
 * point: taken) up to (t, run), newest first, read with S_HISTORY_SERIES. */
static int history_series(sq_store *s, int64_t series, int64_t run, int64_t t, int per_series,
                          char *bench, char *metric, qb_history_point **arr, size_t *n, size_t *cap,
                          qb_err *err) {
  sqlite3_stmt *pt = NULL;
  int rc = stmt(s, S_HISTORY_SERIES, &pt, err), ps;
  if (rc) {
    free(bench);
    free(metric);
    return rc;
  }
  b_int(pt, ":series", series);
  b_int(pt, ":run", run);
  b_int(pt, ":t", t);
  b_int(pt, ":limit", per_series);
  int first = 1;
  while ((ps = sqlite3_step(pt)) == SQLITE_ROW) {
    if ((rc = grow((void **)arr, cap, *n, sizeof **arr, err))) break;
    qb_history_point *h = &(*arr)[(*n)++];
    h->owns = first;
    h->bench = bench;
    h->metric = metric;
    first = 0;
    h->run_id = sqlite3_column_int64(pt, 0);
    h->started_at = sqlite3_column_int64(pt, 1);
    h->median = col_real(pt, 2);
    h->mean = col_real(pt, 3);
    h->estimate = col_real(pt, 4);
    h->change = 0;
    h->series_id = series;
  }
  sqlite3_reset(pt);
  if (first) { /* no point took the names */
    free(bench);
    free(metric);
  }
  if (rc) return rc;
  return ps == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, "history", err);
}

/* A series of the run a history is read for (a row of S_HISTORY_HEAD). */
typedef struct history_head {
  int64_t series, time, pred; /* pred: the run of the point before (0: none) */
  double median, mean, estimate;
  char *bench, *metric;
} history_head;

static int sq_history(qb_store *base, int64_t run_id, int per_series, qb_history_lookup lookup,
                      void *ctx, int64_t *generation, qb_history_point **out, size_t *n_out,
                      qb_err *err) {
  /* the run's series (with its own point and the run before it in each, when a kept history may
   * serve), then each series' points: from the kept history of the run before, or a backwards
   * range scan of the covering index result_series_time: O(series x per_series), whatever the
   * length of the history; all in one read transaction */
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_history_point *arr = NULL, *prev = NULL;
  history_head *heads = NULL;
  size_t n = 0, cap = 0, n_heads = 0, cap_heads = 0, n_prev = 0;
  int64_t gen = 0;
  int rc, step, own_txn = sqlite3_get_autocommit(s->db);
  *out = NULL;
  *n_out = 0;
  if (own_txn && (rc = exec(s, "BEGIN DEFERRED", err))) return rc;
  if ((rc = stmt(s, S_GENERATION, &st, err))) goto done;
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = sq_fail(s, QB_EINTERNAL, "generation", err);
    goto done;
  }
  gen = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if ((rc = stmt(s, lookup ? S_HISTORY_HEAD : S_HISTORY, &st, err))) goto done;
  b_int(st, ":head", run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&heads, &cap_heads, n_heads, sizeof *heads, err))) goto done;
    history_head *h = &heads[n_heads++];
    memset(h, 0, sizeof *h);
    h->series = sqlite3_column_int64(st, 0);
    h->time = sqlite3_column_int64(st, 3);
    if (lookup) {
      h->median = col_real(st, 4);
      h->mean = col_real(st, 5);
      h->estimate = col_real(st, 6);
      h->pred = sqlite3_column_int64(st, 7); /* NULL: 0 */
    }
    if (!(h->bench = col_text(st, 1)) || !(h->metric = col_text(st, 2))) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  sqlite3_reset(st);
  if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "history", err);
    goto done;
  }
  /* the run before, in the first series that has one (an upload's series usually share it) */
  int64_t pred = 0;
  for (size_t i = 0; i < n_heads && !pred; i++) pred = heads[i].pred;
  if (pred && !lookup(ctx, pred, per_series, gen, &prev, &n_prev)) prev = NULL, n_prev = 0;
  size_t at = 0; /* prev's series come in the same order (benchmark, metric) */
  for (size_t i = 0; i < n_heads; i++) {
    history_head *h = &heads[i];
    const qb_history_point *from = NULL;
    size_t k = 0;
    if (prev && h->pred == pred) {
      while (at < n_prev &&
             (strcmp(prev[at].bench, h->bench) < 0 ||
              (!strcmp(prev[at].bench, h->bench) && strcmp(prev[at].metric, h->metric) < 0)))
        at++;
      for (size_t j = at; j < n_prev && prev[j].series_id == h->series; j++) k++;
      /* the kept series, if its newest point is the one just before */
      if (k && prev[at].run_id == pred) from = &prev[at];
    }
    char *bench = h->bench, *metric = h->metric;
    h->bench = h->metric = NULL; /* taken by the points */
    if (!from) {
      if ((rc = history_series(s, h->series, run_id, h->time, per_series, bench, metric, &arr, &n,
                               &cap, err)))
        goto done;
      continue;
    }
    for (size_t j = 0; j < k + 1 && (int)j < per_series; j++) {
      if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) {
        if (!j) {
          free(bench);
          free(metric);
        }
        goto done;
      }
      qb_history_point *p = &arr[n++];
      if (j == 0) /* the run's own point */
        *p = (qb_history_point){bench,   metric,      run_id, h->time, h->median,
                                h->mean, h->estimate, 0,      1,       h->series};
      else
        *p = (qb_history_point){bench,
                                metric,
                                from[j - 1].run_id,
                                from[j - 1].started_at,
                                from[j - 1].median,
                                from[j - 1].mean,
                                from[j - 1].estimate,
                                0,
                                0,
                                h->series};
    }
  }
  rc = history_marks(s, run_id, arr, n, err);
done:
  if (st) sqlite3_reset(st);
  if (own_txn) {
    if (rc)
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
      rc = exec(s, "COMMIT", err);
  }
  for (size_t i = 0; i < n_heads; i++) {
    free(heads[i].bench);
    free(heads[i].metric);
  }
  free(heads);
  qb_history_free(prev, n_prev);
  if (rc) {
    qb_history_free(arr, n);
    return rc;
  }
  if (generation) *generation = gen;
  *out = arr; /* in order: series by name and metric (S_HISTORY), each newest first */
  *n_out = n;
  return QB_OK;
}

static int sq_settings(qb_store *base, const char *project, qb_setting **out, size_t *n_out,
                       qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_setting *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_SETTINGS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 16;
      qb_setting *p = realloc(arr, nc * sizeof *p);
      if (!p) {
        rc = qb_err_set(err, QB_ENOMEM, "out of memory");
        goto done;
      }
      arr = p;
      cap = nc;
    }
    qb_setting *x = &arr[n++];
    x->project = col_text(st, 0);
    x->bench_glob = col_text(st, 1);
    x->key = col_text(st, 2);
    x->value = sqlite3_column_double(st, 3);
    x->text = sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : col_text(st, 4);
    if (!x->project || !x->bench_glob || !x->key ||
        (!x->text && sqlite3_column_type(st, 4) != SQLITE_NULL)) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "settings", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_settings_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

/* Run S_SETTING_SET or S_SETTING_UNSET; unsetting nothing is QB_ENOTFOUND. */
static int sq_setting_write(qb_store *base, int id, const char *project, const char *glob,
                            const char *key, double value, const char *text, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, id, &st, err);
  if (rc) return rc;
  b_text(st, ":project", project ? project : "");
  b_text(st, ":glob", glob ? glob : "");
  b_text(st, ":key", key);
  if (id == S_SETTING_SET) {
    sqlite3_bind_double(st, pidx(st, ":value"), text ? 0 : value);
    b_text(st, ":text", text);
  }
  if ((rc = step_insert(s, st, NULL, err))) return rc;
  if (id == S_SETTING_UNSET && sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no setting %s for project '%s' and benchmarks '%s'", key,
                      project && *project ? project : "*", glob && *glob ? glob : "*");
  return QB_OK;
}

static int sq_setting_set(qb_store *base, const char *project, const char *glob, const char *key,
                          double value, const char *text, qb_err *err) {
  return sq_setting_write(base, S_SETTING_SET, project, glob, key, value, text, err);
}

static int sq_setting_unset(qb_store *base, const char *project, const char *glob, const char *key,
                            qb_err *err) {
  return sq_setting_write(base, S_SETTING_UNSET, project, glob, key, 0, NULL, err);
}

/* Make room for one more element of elem bytes in *arr (n used, *cap allocated). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, qb_err *err) {
  if (n < *cap) return QB_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  void *p = realloc(*arr, nc * elem);
  if (!p) return qb_err_set(err, QB_ENOMEM, "out of memory");
  *arr = p;
  *cap = nc;
  return QB_OK;
}

static int sq_begin(qb_store *base, qb_err *err) {
  return exec(SQ(base), "BEGIN IMMEDIATE", err);
}

static int sq_begin_read(qb_store *base, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  return exec(s, "BEGIN DEFERRED", err);
}

static int sq_commit(qb_store *base, qb_err *err) {
  return write_end(SQ(base), 0, err);
}

static void sq_rollback(qb_store *base) {
  write_end(SQ(base), 1, NULL);
}

/* Fill a series info from columns first.. of a row (id, project, branch, machine, bench,
 * metric, unit, direction). 0, or QB_ENOMEM. */
static int read_series(sqlite3_stmt *st, int first, qb_series_info *x, qb_err *err) {
  x->id = sqlite3_column_int64(st, first);
  x->project = col_text(st, first + 1);
  x->branch = col_text(st, first + 2);
  x->machine = col_text(st, first + 3);
  x->bench = col_text(st, first + 4);
  x->metric = col_text(st, first + 5);
  x->unit = col_text(st, first + 6);
  x->higher_is_better = sqlite3_column_int(st, first + 7) == QB_HIGHER_IS_BETTER;
  if (!x->project || !x->branch || !x->machine || !x->bench || !x->metric || !x->unit)
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int sq_point_time(qb_store *base, int64_t series_id, int64_t run, int64_t *time,
                         qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_POINT_TIME, &st, err), step;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":run", run);
  if ((step = sqlite3_step(st)) == SQLITE_ROW)
    *time = sqlite3_column_int64(st, 0);
  else if (step == SQLITE_DONE)
    rc = qb_err_set(err, QB_ENOTFOUND, "run %lld has no point in series %lld", (long long)run,
                    (long long)series_id);
  else
    rc = sq_fail(s, QB_EINTERNAL, "point time", err);
  sqlite3_reset(st);
  return rc;
}

/* Run one of the series-point queries (bound already) and append its rows (run_id, value,
 * run_time) to ids/vals; *time: the run_time of the last row read (untouched when none). */
static int read_points(sq_store *s, sqlite3_stmt *st, int64_t **ids, double **vals, size_t *n,
                       size_t *cap, size_t *cap2, int64_t *time, qb_err *err) {
  int rc = QB_OK, step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)ids, cap, *n, sizeof **ids, err)) ||
        (rc = grow((void **)vals, cap2, *n, sizeof **vals, err)))
      break;
    (*ids)[*n] = sqlite3_column_int64(st, 0);
    (*vals)[(*n)++] = sqlite3_column_double(st, 1);
    *time = sqlite3_column_int64(st, 2);
  }
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series points", err);
  sqlite3_reset(st);
  return rc;
}

static int sq_series_tail(qb_store *base, int64_t series_id, int64_t time, int64_t run,
                          size_t n_before, int64_t **run_ids, double **values, size_t *n_out,
                          size_t *n_got_before, int64_t *last_time, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *ids = NULL;
  double *vals = NULL;
  size_t n = 0, cap = 0, cap2 = 0;
  int64_t newest = QB_TIME_NONE, t = QB_TIME_NONE;
  *run_ids = NULL;
  *values = NULL;
  *n_out = *n_got_before = 0;
  *last_time = QB_TIME_NONE;
  int rc = stmt(s, S_SERIES_BEFORE, &st, err);
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":time", time);
  b_int(st, ":run", run);
  b_int(st, ":limit", n_before > INT64_MAX ? INT64_MAX : (int64_t)n_before);
  if ((rc = read_points(s, st, &ids, &vals, &n, &cap, &cap2, &t, err))) goto done;
  /* newest first: into series order; the newest is the first row read */
  for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
    int64_t ti = ids[i];
    ids[i] = ids[j];
    ids[j] = ti;
    double tv = vals[i];
    vals[i] = vals[j];
    vals[j] = tv;
  }
  *n_got_before = n;
  if ((rc = stmt(s, S_SERIES_AFTER, &st, err))) goto done;
  b_int(st, ":series", series_id);
  b_int(st, ":time", time);
  b_int(st, ":run", run);
  size_t before = n;
  if ((rc = read_points(s, st, &ids, &vals, &n, &cap, &cap2, &t, err))) goto done;
  if (n > before)
    newest = t;
  else if (n) /* no point after the marker: the last is the marker's own (at `time`) */
    newest = time;
done:
  if (rc) {
    free(ids);
    free(vals);
    *n_got_before = 0;
    return rc;
  }
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  *last_time = newest;
  return QB_OK;
}

static int sq_run_points(qb_store *base, int64_t run_id, qb_run_point **out, size_t *n_out,
                         qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_run_point *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_RUN_POINTS, &st, err), step;
  if (rc) return rc;
  b_int(st, ":run", run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) break;
    arr[n++] =
        (qb_run_point){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), col_real(st, 2),
                       sqlite3_column_int64(st, 3), sqlite3_column_int(st, 4)};
  }
  sqlite3_reset(st);
  if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "run points", err);
  if (rc) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_series_analysed(qb_store *base, int64_t series_id, size_t n, int64_t last_run,
                              int64_t last_time, const char *opts, int *updated, qb_err *err) {
  sq_store *s = SQ(base);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_SERIES_ANALYSED, &st, err);
  *updated = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  b_int(st, ":n", (int64_t)n);
  b_int(st, ":run", last_run);
  b_opt_int(st, ":time", last_time, INT64_MIN);
  b_text(st, ":opts", opts);
  if (sqlite3_step(st) != SQLITE_DONE)
    rc = sq_fail(s, QB_EINTERNAL, "series analysed", err);
  else
    *updated = sqlite3_changes(s->db) > 0;
  sqlite3_reset(st);
  return rc;
}

static int sq_series_list(qb_store *base, const qb_series_filter *f, qb_series_info **out,
                          size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_series_info *arr = NULL;
  size_t n = 0, cap = 0;
  /* the statement driven by the most selective filter given */
  int id = f->run_id                ? S_SERIES_OF_RUN
           : f->bench && f->project ? S_SERIES_BY_PROJECT_BENCH
           : f->bench               ? S_SERIES_BY_BENCH
           : f->branch              ? S_SERIES_BY_BRANCH
           : f->project             ? S_SERIES_BY_PROJECT
                                    : S_SERIES_LIST;
  int rc = stmt(s, id, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":bench", f->bench);
  b_text(st, ":project", f->project);
  b_text(st, ":branch", f->branch);
  b_text(st, ":machine", f->machine);
  b_text(st, ":metric", f->metric);
  b_text(st, ":glob", f->bench_glob);
  if (f->run_id) b_int(st, ":run", f->run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    memset(&arr[n], 0, sizeof *arr);
    if ((rc = read_series(st, 0, &arr[n], err))) goto done;
    sqlite3_int64 an = sqlite3_column_int64(st, 8);
    arr[n].analysed_n = an > 0 ? (size_t)an : 0;
    arr[n].analysed_run = sqlite3_column_int64(st, 9);
    arr[n].analysed_time =
        sqlite3_column_type(st, 10) == SQLITE_NULL ? QB_TIME_NONE : sqlite3_column_int64(st, 10);
    if (sqlite3_column_type(st, 11) != SQLITE_NULL && !(arr[n].analysed_opts = col_text(st, 11))) {
      n++;
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
    n++;
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_series_infos_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_series_points(qb_store *base, int64_t series_id, qb_series_point **out, size_t *n_out,
                            qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_series_point *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_SERIES_POINTS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_series_point *p = &arr[n++];
    p->run_id = sqlite3_column_int64(st, 0);
    p->commit_sha = col_text(st, 1);
    p->time = sqlite3_column_int64(st, 2);
    p->value = col_real(st, 3);
    p->ci_lo = col_real(st, 4);
    p->ci_hi = col_real(st, 5);
    p->n = col_opt_int(st, 6, -1);
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series points", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_series_points_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_series_values(qb_store *base, int64_t series_id, int64_t **run_ids, double **values,
                            size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *ids = NULL;
  double *vals = NULL;
  size_t n = 0, cap = 0, cap2 = 0;
  int rc = stmt(s, S_SERIES_VALUES, &st, err), step;
  *run_ids = NULL;
  *values = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&ids, &cap, n, sizeof *ids, err)) ||
        (rc = grow((void **)&vals, &cap2, n, sizeof *vals, err)))
      goto done;
    ids[n] = sqlite3_column_int64(st, 0);
    vals[n++] = sqlite3_column_double(st, 1);
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series values", err);
done:
  sqlite3_reset(st);
  if (rc) {
    free(ids);
    free(vals);
    return rc;
  }
  *run_ids = ids;
  *values = vals;
  *n_out = n;
  return QB_OK;
}

static int sq_series_changes(qb_store *base, int64_t series_id, qb_stored_change **out,
                             size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_stored_change *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_SERIES_CHANGES, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_int(st, ":series", series_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    arr[n++] = (qb_stored_change){sqlite3_column_int64(st, 0),
                                  sqlite3_column_int64(st, 1),
                                  col_real(st, 2),
                                  col_real(st, 3),
                                  col_real(st, 4),
                                  col_real(st, 5),
                                  sqlite3_column_int64(st, 6)};
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "series changes", err);
done:
  sqlite3_reset(st);
  if (rc) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_regressions_replace(qb_store *base, int64_t series_id, qb_regression *recs, size_t n,
                                  qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *stale = NULL;
  size_t n_stale = 0, cap = 0;
  int rc = stmt(s, S_REG_OF_SERIES, &st, err), step;
  if (rc) return rc;
  /* records whose run is no longer a change point: open ones go, triaged ones are kept
   * inactive */
  b_int(st, ":series", series_id);
  for (size_t i = 0; i < n; i++) recs[i].inserted = 1; /* unless stored already (below) */
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t run = sqlite3_column_int64(st, 1);
    const char *status = (const char *)sqlite3_column_text(st, 2);
    int found = 0;
    for (size_t i = 0; i < n; i++)
      if (recs[i].run_id == run) recs[i].inserted = 0, found = 1;
    if (found) continue;
    /* open ones are deleted; triaged ones stay, marked inactive (negative id) */
    int64_t id = sqlite3_column_int64(st, 0);
    if ((rc = grow((void **)&stale, &cap, n_stale, sizeof *stale, err))) goto done;
    stale[n_stale++] = status && !strcmp(status, "open") ? id : -id;
  }
  sqlite3_reset(st);
  if (step != SQLITE_DONE) {
    rc = sq_fail(s, QB_EINTERNAL, "regressions", err);
    goto done;
  }
  for (size_t i = 0; i < n_stale; i++) {
    if ((rc = stmt(s, stale[i] > 0 ? S_REG_DELETE : S_REG_DEACTIVATE, &st, err))) goto done;
    b_int(st, ":id", stale[i] > 0 ? stale[i] : -stale[i]);
    if ((rc = step_insert(s, st, NULL, err))) goto done;
  }
  int64_t now = qb_time_now();
  for (size_t i = 0; i < n; i++) {
    const qb_regression *r = &recs[i];
    if ((rc = stmt(s, S_REG_UPSERT, &st, err))) goto done;
    b_int(st, ":series", series_id);
    b_int(st, ":run", r->run_id);
    b_opt_int(st, ":prev", r->prev_run_id, 1);
    b_text(st, ":kind", r->kind);
    b_real(st, ":before", r->before);
    b_real(st, ":after", r->after);
    b_real(st, ":change", r->change_pct);
    b_real(st, ":p", r->p_value);
    b_text(st, ":severity", r->severity);
    b_int(st, ":now", now);
    b_opt_int(st, ":position", r->position, 0);
    if ((rc = step_insert(s, st, NULL, err))) goto done;
  }
done:
  free(stale);
  return rc;
}

static int sq_regressions_list(qb_store *base, const qb_regression_filter *f, qb_regression **out,
                               size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_regression *arr = NULL;
  size_t n = 0, cap = 0;
  int id = f->series_id ? S_REG_LIST_SERIES : f->status ? S_REG_LIST_STATUS : S_REG_LIST;
  int rc = stmt(s, id, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", f->project);
  b_text(st, ":status", f->status);
  b_text(st, ":kind", f->kind);
  b_int(st, ":series", f->series_id);
  b_int(st, ":minsev", f->min_severity);
  b_int(st, ":active", f->active_only);
  b_int(st, ":limit", f->limit > 0 ? f->limit : -1);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_regression *r = &arr[n++];
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->series_id = sqlite3_column_int64(st, 1);
    r->run_id = sqlite3_column_int64(st, 2);
    r->prev_run_id = sqlite3_column_int64(st, 3);
    r->kind = col_text(st, 4);
    r->severity = col_text(st, 5);
    r->status = col_text(st, 6);
    r->note = col_text(st, 7);
    r->triaged_by = col_text(st, 8);
    r->before = col_real(st, 9);
    r->after = col_real(st, 10);
    r->change_pct = col_real(st, 11);
    r->p_value = col_real(st, 12);
    r->triaged_at = col_opt_int(st, 13, QB_TIME_NONE);
    r->detected_at = col_opt_int(st, 14, QB_TIME_NONE);
    r->active = sqlite3_column_int(st, 15);
    /* the series it belongs to, for display */
    r->series.id = r->series_id;
    r->series.project = col_text(st, 16);
    r->series.branch = col_text(st, 17);
    r->series.machine = col_text(st, 18);
    r->series.bench = col_text(st, 19);
    r->series.metric = col_text(st, 20);
    r->series.unit = col_text(st, 21);
    r->series.higher_is_better = sqlite3_column_int(st, 22) == QB_HIGHER_IS_BETTER;
    r->commit_sha = col_text(st, 23);
    r->prev_commit_sha = col_text(st, 24);
    r->time = sqlite3_column_int64(st, 25);
    if (!r->kind || !r->severity || !r->status || !r->series.bench) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "regressions", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_regressions_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_regression_triage(qb_store *base, int64_t id, const char *status, const char *note,
                                const char *who, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_REG_TRIAGE, &st, err);
  if (rc) return rc;
  b_text(st, ":status", status);
  b_text(st, ":note", note);
  b_text(st, ":who", who);
  b_int(st, ":now", qb_time_now());
  b_int(st, ":id", id);
  if ((rc = step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no regression with id %lld", (long long)id);
  return QB_OK;
}

static int sq_target_set(qb_store *base, const qb_target *t, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int found, rc = stmt(s, S_TARGET_SET, &st, err);
  if (rc) return rc;
  b_text(st, ":project", t->project ? t->project : "");
  b_text(st, ":glob", t->bench_glob);
  b_text(st, ":metric", t->metric);
  b_text(st, ":op", t->op);
  sqlite3_bind_double(st, pidx(st, ":value"), t->value);
  b_text(st, ":unit", t->unit);
  b_int(st, ":now", qb_time_now());
  rc = step_id(s, st, out_id, &found, err);
  sqlite3_reset(st);
  return rc;
}

static int sq_targets(qb_store *base, const char *project, qb_target **out, size_t *n_out,
                      qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_target *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_TARGETS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_target *t = &arr[n++];
    t->id = sqlite3_column_int64(st, 0);
    t->project = col_text(st, 1);
    t->bench_glob = col_text(st, 2);
    t->metric = col_text(st, 3);
    t->op = col_text(st, 4);
    t->value = sqlite3_column_double(st, 5);
    t->unit = col_text(st, 6);
    if (!t->project || !t->bench_glob || !t->metric || !t->op || !t->unit) {
      rc = qb_err_set(err, QB_ENOMEM, "out of memory");
      goto done;
    }
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "targets", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_targets_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_target_rm(qb_store *base, int64_t id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_TARGET_RM, &st, err);
  if (rc) return rc;
  b_int(st, ":id", id);
  if ((rc = step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no target with id %lld", (long long)id);
  return QB_OK;
}

static int sq_token_add(qb_store *base, const char *name, const char *project, const char *scope,
                        const char *hash, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_TOKEN_ADD, &st, err);
  if (rc) return rc;
  b_text(st, ":name", name ? name : "");
  b_text(st, ":project", project ? project : "");
  b_text(st, ":scope", scope);
  b_text(st, ":hash", hash);
  b_int(st, ":now", qb_time_now());
  return step_insert(s, st, out_id, err);
}

/* Fill t from a token row (id, name, project, scope, hash, created_at, revoked_at). */
static int read_token(sqlite3_stmt *st, qb_token *t, qb_err *err) {
  memset(t, 0, sizeof *t);
  t->id = sqlite3_column_int64(st, 0);
  t->name = col_text(st, 1);
  t->project = col_text(st, 2);
  t->scope = col_text(st, 3);
  snprintf(t->hash, sizeof t->hash, "%s", (const char *)sqlite3_column_text(st, 4));
  t->created_at = sqlite3_column_int64(st, 5);
  t->revoked_at = col_opt_int(st, 6, QB_TIME_NONE);
  if (!t->name || !t->project || !t->scope) return qb_err_set(err, QB_ENOMEM, "out of memory");
  return QB_OK;
}

static int sq_token_find(qb_store *base, const char *hash, qb_token *out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_TOKEN_FIND, &st, err), step;
  memset(out, 0, sizeof *out);
  if (rc) return rc;
  b_text(st, ":hash", hash);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    rc = read_token(st, out, err);
  else if (step == SQLITE_DONE)
    rc = qb_err_set(err, QB_ENOTFOUND, "unknown or revoked token");
  else
    rc = sq_fail(s, QB_EINTERNAL, "token", err);
  sqlite3_reset(st);
  if (rc) qb_token_dispose(out);
  return rc;
}

static int sq_tokens(qb_store *base, qb_token **out, size_t *n_out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_token *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_TOKENS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    if ((rc = read_token(st, &arr[n++], err))) goto done;
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "tokens", err);
done:
  sqlite3_reset(st);
  if (rc) {
    qb_tokens_free(arr, n);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

static int sq_token_revoke(qb_store *base, int64_t id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_TOKEN_REVOKE, &st, err);
  if (rc) return rc;
  b_int(st, ":now", qb_time_now());
  b_int(st, ":id", id);
  if ((rc = step_insert(s, st, NULL, err))) return rc;
  if (sqlite3_changes(s->db) == 0)
    return qb_err_set(err, QB_ENOTFOUND, "no valid token with id %lld", (long long)id);
  return QB_OK;
}

static int sq_find_runs(qb_store *base, const qb_run_query *q, int64_t **ids, size_t *n_out,
                        qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t *arr = NULL, t = INT64_MAX, before_id = INT64_MAX;
  size_t n = 0, cap = 0;
  int rc = QB_OK, step;
  char sha[64] = "", upper[64] = "";
  if (q->before) { /* the candidates come before that run in series order */
    if ((rc = stmt(s, S_RUN_SERIES_KEY, &st, err))) return rc;
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
  if ((rc = stmt(s, id, &st, err))) return rc;
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
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
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
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int found, rc = stmt(s, S_PREVIOUS_RUN, &st, err);
  if (rc) return rc;
  b_int(st, ":id", run_id);
  rc = step_id(s, st, prev_id, &found, err);
  sqlite3_reset(st);
  if (!rc && !found) rc = QB_ENOTFOUND;
  return rc;
}

/* The sha256 hex of the whole fingerprint text (settings and targets may make it long). */
static int sq_fingerprint(qb_store *base, char *out, size_t n, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_FINGERPRINT, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "fingerprint", err);
  const void *t = sqlite3_column_text(st, 0);
  int len = sqlite3_column_bytes(st, 0);
  char hex[65];
  qb_sha256 h;
  qb_sha256_init(&h);
  qb_sha256_update(&h, t ? t : "", t ? (size_t)len : 0);
  qb_sha256_hex(&h, hex);
  snprintf(out, n, "%s", hex);
  sqlite3_reset(st);
  return QB_OK;
}

static int sq_generation(qb_store *base, int64_t *out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_GENERATION, &st, err);
  if (rc) return rc;
  if (sqlite3_step(st) != SQLITE_ROW) return sq_fail(s, QB_EINTERNAL, "generation", err);
  *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return QB_OK;
}

static int sq_idem_get(qb_store *base, const char *project, const qb_idem *k, qb_idem_hit *hit,
                       qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_IDEM_GET, &st, err), step;
  if (rc) return rc;
  b_text(st, ":project", project);
  b_int(st, ":token", k->token_id);
  b_text(st, ":key", k->key);
  if ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hit->run_id = sqlite3_column_int64(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    snprintf(hit->request_hash, sizeof hit->request_hash, "%s", h ? h : "");
  } else if (step == SQLITE_DONE) {
    rc = QB_ENOTFOUND;
  } else {
    rc = sq_fail(s, QB_EINTERNAL, "idempotency key", err);
  }
  sqlite3_reset(st);
  return rc;
}

/* Reports (defined at the end of the file). */
static int sq_report_add(qb_store *base, const qb_report_record *rec, const qb_report_item *items,
                         size_t n, int64_t *out_id, qb_err *err);
static int sq_report_last(qb_store *base, const char *project, qb_report_record *out, qb_err *err);
static int sq_report_items(qb_store *base, const char *project, qb_report_item **out, size_t *n,
                           qb_err *err);

/* Step a prepared statement with no result rows (or ignore them); 0 or QB_EINTERNAL. */
static int run_stmt(sq_store *s, sqlite3_stmt *st, const char *what, qb_err *err) {
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
  }
  int rc = step == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, what, err);
  sqlite3_reset(st);
  return rc;
}

/* Bind :before and :glob of a prune statement. */
static void bind_prune(sqlite3_stmt *st, int64_t before, const char *glob) {
  b_int(st, ":before", before);
  b_text(st, ":glob", glob);
}

static int sq_prune(qb_store *base, const qb_prune_opts *o, qb_prune_result *res, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  memset(res, 0, sizeof *res);
  /* no cut-off: a time before every run */
  int64_t runs_before = o->runs_before == QB_TIME_NONE ? INT64_MIN + 1 : o->runs_before;
  int64_t samples_before = o->samples_before == QB_TIME_NONE ? INT64_MIN + 1 : o->samples_before;
  int rc;
  if ((rc = stmt(s, S_PRUNE_TEMP, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = stmt(s, S_PRUNE_TEMP_KEEP, &st, err)) || (rc = run_stmt(s, st, "prune", err)))
    return rc;
  if ((rc = exec(s, "BEGIN IMMEDIATE", err))) return rc;
  if ((rc = stmt(s, S_PRUNE_CLEAR, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = stmt(s, S_PRUNE_CLEAR_KEEP, &st, err)) || (rc = run_stmt(s, st, "prune", err)) ||
      (rc = stmt(s, S_PRUNE_KEEP_ANCHORS, &st, err)))
    goto done;
  b_int(st, ":context", o->context);
  if ((rc = run_stmt(s, st, "prune: keep the regressions' runs", err)) ||
      (rc = stmt(s, S_PRUNE_KEEP_NEWEST, &st, err)) ||
      (rc = run_stmt(s, st, "prune: keep the newest runs", err)) ||
      (rc = stmt(s, S_PRUNE_PICK, &st, err)))
    goto done;
  bind_prune(st, runs_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: pick runs", err))) goto done;
  if ((rc = stmt(s, S_PRUNE_COUNT, &st, err))) goto done;
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->runs = sqlite3_column_int64(st, 0);
    res->results = sqlite3_column_int64(st, 1);
    res->samples = sqlite3_column_int64(st, 2);
  }
  sqlite3_reset(st);
  if ((rc = stmt(s, S_PRUNE_OLD, &st, err))) goto done;
  bind_prune(st, runs_before, o->branch_glob);
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->kept_anchors = sqlite3_column_int64(st, 0);
    res->kept_newest = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if ((rc = stmt(s, S_PRUNE_SAMPLES_COUNT, &st, err))) goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if (sqlite3_step(st) == SQLITE_ROW) {
    res->sample_runs = sqlite3_column_int64(st, 0);
    res->samples_dropped = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if (o->dry_run) goto done;
  if ((rc = stmt(s, S_PRUNE_UNMARK, &st, err)) ||
      (rc = run_stmt(s, st, "prune: clear detection markers", err)))
    goto done;
  res->series_reset = sqlite3_changes(s->db);
  if ((rc = stmt(s, S_PRUNE_DELETE, &st, err)) ||
      (rc = run_stmt(s, st, "prune: delete runs", err)) ||
      (rc = stmt(s, S_PRUNE_SAMPLES_DELETE, &st, err)))
    goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: drop samples", err)) ||
      (rc = stmt(s, S_PRUNE_SAMPLES_RECOUNT, &st, err)))
    goto done;
  bind_prune(st, samples_before, o->branch_glob);
  if ((rc = run_stmt(s, st, "prune: recount samples", err))) goto done;
  /* what compare reads changed without a new run: a new generation for its cache */
  if ((res->runs > 0 || res->samples_dropped > 0) &&
      ((rc = stmt(s, S_GENERATION_BUMP, &st, err)) ||
       (rc = run_stmt(s, st, "prune: data generation", err))))
    goto done;
  rc = write_end(s, 0, err);
  if (!rc) return QB_OK;
done:
  write_end(s, 1, NULL); /* a dry run, or an error: nothing changes */
  return rc;
}

/* The size of the database file plus its WAL (0 for a missing file). */
static int64_t db_bytes(const char *path) {
  char wal[4096];
  struct stat st;
  int64_t n = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
  snprintf(wal, sizeof wal, "%s-wal", path);
  if (stat(wal, &st) == 0) n += (int64_t)st.st_size;
  return n;
}

/* VACUUM, then the truncating checkpoint, tried QB_VACUUM_CHECKPOINT_TRIES times: each waits
 * CHECKPOINT_BUSY_US at most for other connections (a reader of an older snapshot, a writer),
 * with pauses of CHECKPOINT_PAUSE_US, doubling, between tries. Still held back: deferred. */
#define CHECKPOINT_BUSY_US  200000
#define CHECKPOINT_PAUSE_US 25000
static int sq_vacuum(qb_store *base, int64_t *bytes_before, int64_t *bytes_after,
                     int *checkpoint_deferred, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  *bytes_before = db_bytes(s->path);
  int rc = exec(s, "VACUUM", err), ck = SQLITE_OK;
  useconds_t pause = CHECKPOINT_PAUSE_US;
  s->busy_limit = CHECKPOINT_BUSY_US;
  for (int i = 0; !rc && i < QB_VACUUM_CHECKPOINT_TRIES; i++) {
    ck = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) & 0xff;
    if (ck != SQLITE_BUSY && ck != SQLITE_LOCKED) break;
    if (i + 1 < QB_VACUUM_CHECKPOINT_TRIES) usleep(pause);
    pause *= 2;
  }
  s->busy_limit = BUSY_TIMEOUT_US;
  if (!rc && (ck == SQLITE_BUSY || ck == SQLITE_LOCKED))
    *checkpoint_deferred = 1; /* the rebuild stands; a later writer checkpoints the WAL */
  else if (!rc && ck != SQLITE_OK)
    rc = sq_fail(s, QB_EINTERNAL, "checkpoint", err);
  *bytes_after = db_bytes(s->path);
  return rc;
}

/* ---- moving data (qbdb db) ------------------------------------------------------------------ */

/* Every row of every table (store.h, qb_db_tables) in one read transaction. */
static int sq_dump(qb_store *base, qb_row_fn fn, void *ctx, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  int rc = exec(s, "BEGIN DEFERRED", err);
  if (rc) return rc;
  qb_value v[32];
  for (size_t t = 0; t < qb_db_tables_count && !rc; t++) {
    const qb_db_table *tb = &qb_db_tables[t];
    char sql[512];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", tb->columns, tb->name, tb->order);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
      rc = sq_fail(s, QB_EINTERNAL, tb->name, err);
      break;
    }
    int n = sqlite3_column_count(st), step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
      for (int i = 0; i < n && i < 32; i++) {
        memset(&v[i], 0, sizeof v[i]);
        switch (sqlite3_column_type(st, i)) {
          case SQLITE_INTEGER:
            v[i].type = QB_V_INT;
            v[i].i = sqlite3_column_int64(st, i);
            break;
          case SQLITE_FLOAT:
            v[i].type = QB_V_REAL;
            v[i].d = sqlite3_column_double(st, i);
            break;
          case SQLITE_TEXT:
            v[i].type = QB_V_TEXT;
            v[i].p = sqlite3_column_text(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
          case SQLITE_BLOB:
            v[i].type = QB_V_BLOB;
            v[i].p = sqlite3_column_blob(st, i);
            v[i].n = (size_t)sqlite3_column_bytes(st, i);
            break;
          default:
            v[i].type = QB_V_NULL;
        }
      }
      rc = fn(ctx, tb, v, (size_t)n, err);
    }
    if (!rc && step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, tb->name, err);
    sqlite3_finalize(st);
  }
  if (rc)
    exec(s, "ROLLBACK", NULL);
  else
    exec(s, "COMMIT", NULL);
  return rc;
}

/* One row into table t as it is; the statement is prepared for each row (a copy is not the hot
 * path, and the tables are few). */
static int sq_load(qb_store *base, const qb_db_table *t, const qb_value *v, size_t n, qb_err *err) {
  sq_store *s = SQ(base);
  char sql[1024];
  size_t at =
      (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (", t->name, t->columns);
  for (size_t i = 0; i < n && at < sizeof sql - 8; i++)
    at += (size_t)snprintf(sql + at, sizeof sql - at, "%s?", i ? ", " : "");
  snprintf(sql + at, sizeof sql - at, ")%s",
           !strcmp(t->name, "data_generation")
               ? " ON CONFLICT (id) DO UPDATE SET generation = excluded.generation"
               : "");
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sq_fail(s, QB_EINTERNAL, t->name, err);
  for (size_t i = 0; i < n; i++) {
    int k = (int)i + 1;
    switch (v[i].type) {
      case QB_V_INT:
        sqlite3_bind_int64(st, k, v[i].i);
        break;
      case QB_V_REAL:
        sqlite3_bind_double(st, k, v[i].d);
        break;
      case QB_V_TEXT:
        sqlite3_bind_text(st, k, v[i].p, (int)v[i].n, SQLITE_STATIC);
        break;
      case QB_V_BLOB:
        sqlite3_bind_blob64(st, k, v[i].p, v[i].n, SQLITE_STATIC);
        break;
      default:
        sqlite3_bind_null(st, k);
    }
  }
  int rc = sqlite3_step(st) == SQLITE_DONE ? QB_OK : sq_fail(s, QB_EINTERNAL, t->name, err);
  sqlite3_finalize(st);
  return rc;
}

static int sq_info(qb_store *base, qb_store_info *out, qb_err *err) {
  sq_store *s = SQ(base);
  (void)err;
  char wal[4096];
  struct stat st;
  out->bytes = stat(s->path, &st) == 0 ? (int64_t)st.st_size : 0;
  snprintf(wal, sizeof wal, "%s-wal", s->path);
  out->wal_bytes = stat(wal, &st) == 0 ? (int64_t)st.st_size : 0;
  return QB_OK;
}

/* The online backup API, all pages in one step: a consistent copy while writers go on (a
 * writer of this connection's process restarts nothing; others make the step see their pages). */
static int sq_backup(qb_store *base, const char *to, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  struct stat st;
  if (stat(to, &st) == 0)
    return qb_err_set(err, QB_EEXISTS, "%s: exists; a backup goes into a new file", to);
  sqlite3 *dst = NULL;
  int rc = QB_OK;
  if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = qb_err_set(err, QB_EIO, "%s: cannot create: %s", to, sqlite3_errmsg(dst));
    sqlite3_close(dst);
    return rc;
  }
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
  if (!b) {
    rc = qb_err_set(err, QB_EIO, "%s: backup: %s", to, sqlite3_errmsg(dst));
  } else {
    int step;
    while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
      usleep(10000);
    if (step != SQLITE_DONE)
      rc = qb_err_set(
          err, (step & 0xff) == SQLITE_FULL || (step & 0xff) == SQLITE_IOERR ? QB_EIO : QB_EDB,
          "%s: backup: %s", to, sqlite3_errstr(step));
    sqlite3_backup_finish(b);
  }
  if (sqlite3_close(dst) != SQLITE_OK && !rc) rc = qb_err_set(err, QB_EIO, "%s: close failed", to);
  if (rc) unlink(to);
  return rc;
}

static const qb_store_ops SQLITE_OPS = {
    .name = "sqlite",
    .version = QB_STORE_OPS_VERSION,
    .close = sq_close,
    .dump = sq_dump,
    .load = sq_load,
    .info = sq_info,
    .backup = sq_backup,
    .schema_version = sq_schema_version,
    .insert_run = sq_insert_run,
    .list_runs = sq_list_runs,
    .projects = sq_projects,
    .bench_metrics = sq_bench_metrics,
    .resolve_run = sq_resolve_run,
    .find_runs = sq_find_runs,
    .load_run = sq_load_run,
    .counts = sq_counts,
    .history = sq_history,
    .history_marks = sq_history_marks,
    .settings = sq_settings,
    .setting_set = sq_setting_set,
    .setting_unset = sq_setting_unset,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .series_list = sq_series_list,
    .series_analysed = sq_series_analysed,
    .series_tail = sq_series_tail,
    .run_points = sq_run_points,
    .point_time = sq_point_time,
    .checkpoint_due = sq_checkpoint_due,
    .begin_read = sq_begin_read,
    .series_points = sq_series_points,
    .series_values = sq_series_values,
    .series_changes = sq_series_changes,
    .regressions_replace = sq_regressions_replace,
    .regressions_list = sq_regressions_list,
    .regression_triage = sq_regression_triage,
    .target_set = sq_target_set,
    .targets = sq_targets,
    .target_rm = sq_target_rm,
    .token_add = sq_token_add,
    .token_find = sq_token_find,
    .tokens = sq_tokens,
    .token_revoke = sq_token_revoke,
    .previous_run = sq_previous_run,
    .fingerprint = sq_fingerprint,
    .generation = sq_generation,
    .idem_get = sq_idem_get,
    .report_add = sq_report_add,
    .report_last = sq_report_last,
    .report_items = sq_report_items,
    .prune = sq_prune,
    .vacuum = sq_vacuum,
};

/* With QBDB_SQL_PROFILE set, every statement's SQL and run time go to stderr (for finding
 * slow queries; see docs/storage.md). */
static int profile_cb(unsigned type, void *ctx, void *p, void *x) {
  (void)ctx;
  if (type == SQLITE_TRACE_PROFILE) {
    char *sql = sqlite3_expanded_sql((sqlite3_stmt *)p);
    fprintf(stderr, "sql %lld us: %s\n", (long long)(*(sqlite3_int64 *)x / 1000),
            sql ? sql : sqlite3_sql((sqlite3_stmt *)p));
    sqlite3_free(sql);
  }
  return 0;
}

/* Process-wide SQLite settings, before the first connection: no memory statistics (SQLite
 * otherwise takes one process-wide mutex on every allocation and free of every connection, which
 * the server's threads queued on; qbdb reads no statistics and sets no heap limit). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_configure(void) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE when already initialised: kept */
}

int qb_store_sqlite_open(qb_store **out, const char *path, int flags, qb_err *err) {
  *out = NULL;
  pthread_once(&sqlite_once, sqlite_configure);
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno != ENOENT || !(flags & QB_STORE_CREATE))
      return qb_err_set(err, errno == ENOENT ? QB_ENOTFOUND : QB_EIO,
                        "%s: no database here (%s); ingest a run first or pass --db", path,
                        strerror(errno));
  } else if (S_ISDIR(st.st_mode)) {
    return qb_err_set(err, QB_EDB, "%s: is a directory, not a database file", path);
  }
  if (flags & QB_STORE_CREATE) { /* say so when the directory to create it in is missing */
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (slash && slash != path && (size_t)(slash - path) < sizeof dir) {
      memcpy(dir, path, (size_t)(slash - path));
      dir[slash - path] = '\0';
      if (stat(dir, &st) != 0 && errno == ENOENT)
        return qb_err_set(err, QB_ENOTFOUND, "%s: no such directory: %s", path, dir);
    }
  }
  sq_store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    return qb_err_set(err, QB_ENOMEM, "out of memory");
  }
  s->base.ops = &SQLITE_OPS;
  s->busy_limit = BUSY_TIMEOUT_US;
  int rc = QB_OK;
  int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
               ((flags & QB_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
    rc = qb_err_set(err, QB_EDB, "%s: cannot open: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : "out of memory");
    goto done;
  }
  sqlite3_busy_handler(s->db, on_busy, s);
  if (getenv("QBDB_SQL_PROFILE")) sqlite3_trace_v2(s->db, SQLITE_TRACE_PROFILE, profile_cb, NULL);
  sqlite3_extended_result_codes(s->db, 0);
  if ((rc = qb_migrate_sqlite(s->db, path, err))) goto done;
  s->version = qb_migrations_count;
  /* After the file is known to be ours: WAL, enforced foreign keys, durable-enough syncs. */
  if ((rc = exec(s, "PRAGMA journal_mode = WAL", err)) ||
      (rc = exec(s, "PRAGMA foreign_keys = ON", err)) ||
      (rc = exec(s, "PRAGMA synchronous = NORMAL", err)) ||
      /* a WAL that grew (a VACUUM whose checkpoint was deferred) shrinks back to this when a
       * later writer starts it over */
      (rc = exec(s, "PRAGMA journal_size_limit = 67108864", err)))
    goto done;
  s->bg_checkpoint = (flags & QB_STORE_BG_CHECKPOINT) != 0;
  sqlite3_wal_hook(s->db, on_wal_commit, s);
done:
  if (rc) {
    sq_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return QB_OK;
}

/* ---- reports (migration 0008) ---------------------------------------------------------------- */

/* Insert the report row, then one item per change it listed as new. */
static int sq_report_add(qb_store *base, const qb_report_record *rec, const qb_report_item *items,
                         size_t n, int64_t *out_id, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int64_t id = 0;
  int rc = stmt(s, S_REPORT_ADD, &st, err);
  if (rc) return rc;
  b_text(st, ":project", rec->project ? rec->project : "");
  b_int(st, ":created", rec->created_at);
  b_opt_int(st, ":start", rec->window_start, INT64_MIN);
  b_int(st, ":max_id", rec->max_regression_id);
  b_opt_int(st, ":max_detected", rec->max_detected_at, INT64_MIN);
  b_int(st, ":n_reg", rec->new_regressions);
  b_int(st, ":n_imp", rec->new_improvements);
  b_text(st, ":format", rec->format);
  if ((rc = step_insert(s, st, &id, err))) return rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = stmt(s, S_REPORT_ITEM_ADD, &st, err))) return rc;
    b_int(st, ":report", id);
    b_int(st, ":regression", items[i].regression_id);
    b_int(st, ":series", items[i].series_id);
    b_int(st, ":run", items[i].run_id);
    b_text(st, ":kind", items[i].kind);
    b_text(st, ":severity", items[i].severity);
    if ((rc = step_insert(s, st, NULL, err))) return rc;
  }
  if (out_id) *out_id = id;
  return QB_OK;
}

/* The newest report row of a scope ("" = every project). */
static int sq_report_last(qb_store *base, const char *project, qb_report_record *out, qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  int rc = stmt(s, S_REPORT_LAST, &st, err), step;
  memset(out, 0, sizeof *out);
  if (rc) return rc;
  b_text(st, ":project", project);
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    out->id = sqlite3_column_int64(st, 0);
    out->project = col_text(st, 1);
    out->created_at = sqlite3_column_int64(st, 2);
    out->window_start = col_opt_int(st, 3, QB_TIME_NONE);
    out->max_regression_id = sqlite3_column_int64(st, 4);
    out->max_detected_at = col_opt_int(st, 5, QB_TIME_NONE);
    out->new_regressions = sqlite3_column_int64(st, 6);
    out->new_improvements = sqlite3_column_int64(st, 7);
    out->format = col_text(st, 8);
    if (!out->project) rc = qb_err_set(err, QB_ENOMEM, "out of memory");
  } else if (step == SQLITE_DONE) {
    rc = qb_err_set(err, QB_ENOTFOUND, "no report recorded for %s%s",
                    *project ? "project " : "every project", project);
  } else {
    rc = sq_fail(s, QB_EINTERNAL, "report", err);
  }
  sqlite3_reset(st);
  if (rc) qb_report_record_dispose(out);
  return rc;
}

/* Every item of the reports of a scope. */
static int sq_report_items(qb_store *base, const char *project, qb_report_item **out, size_t *n_out,
                           qb_err *err) {
  sq_store *s = SQ(base);
  reset_all(s);
  sqlite3_stmt *st = NULL;
  qb_report_item *arr = NULL;
  size_t n = 0, cap = 0;
  int rc = stmt(s, S_REPORT_ITEMS, &st, err), step;
  *out = NULL;
  *n_out = 0;
  if (rc) return rc;
  b_text(st, ":project", project);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = grow((void **)&arr, &cap, n, sizeof *arr, err))) goto done;
    qb_report_item *it = &arr[n++];
    memset(it, 0, sizeof *it);
    it->regression_id = sqlite3_column_int64(st, 0);
    it->series_id = sqlite3_column_int64(st, 1);
    it->run_id = sqlite3_column_int64(st, 2);
    const char *k = (const char *)sqlite3_column_text(st, 3);
    const char *v = (const char *)sqlite3_column_text(st, 4);
    snprintf(it->kind, sizeof it->kind, "%s", k ? k : "");
    snprintf(it->severity, sizeof it->severity, "%s", v ? v : "");
  }
  if (step != SQLITE_DONE) rc = sq_fail(s, QB_EINTERNAL, "report items", err);
done:
  sqlite3_reset(st);
  if (rc) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = n;
  return QB_OK;
}

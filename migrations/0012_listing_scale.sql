-- 0012_listing_scale.sql: listings that cost what their page costs, not what the database holds
-- (issue 14; docs/storage.md, "Listings at scale").
--
-- The counts a run listing shows (`qbdb runs`, GET /api/v1/runs, GET /api/v1/projects), kept on
-- the run row. They were counted for every run of the listing before it was sorted and cut to a
-- page. The store writes them in the run's own transaction from the rows it stored, and `qbdb
-- prune` recounts n_samples of the runs whose raw samples it drops; the definitions are the ones
-- the listing counted with, so every number shown stays the same.
ALTER TABLE run ADD COLUMN n_benches INTEGER NOT NULL DEFAULT 0; -- benchmarks with a result in the run
ALTER TABLE run ADD COLUMN n_results INTEGER NOT NULL DEFAULT 0; -- its results (benchmark x metric)
ALTER TABLE run ADD COLUMN n_samples INTEGER NOT NULL DEFAULT 0; -- raw samples stored for them
UPDATE run SET
  n_benches = (SELECT count(DISTINCT x.benchmark_id) FROM result x WHERE x.run_id = run.id),
  n_results = (SELECT count(*) FROM result x WHERE x.run_id = run.id),
  n_samples = (SELECT coalesce(sum(ss.n), 0) FROM result x JOIN sample_set ss
               ON ss.result_id = x.id WHERE x.run_id = run.id);

-- Run listings are newest first (started_at, then id: the rowid, which ends every index). Each
-- filter a listing takes has its index, so a page is read in order and stops after its rows.
-- (project_id, branch_id, started_at) of 0001 goes: a branch belongs to one project, so
-- (branch_id, started_at) serves the same queries.
DROP INDEX run_by_branch;
CREATE INDEX run_by_time ON run (started_at);                                      -- no filter
CREATE INDEX run_by_project ON run (project_id, started_at);                       -- project
CREATE INDEX run_by_project_machine ON run (project_id, machine_id, started_at);   -- + machine
CREATE INDEX run_by_machine ON run (machine_id, started_at);                       -- machine
CREATE INDEX run_by_branch_time ON run (branch_id, started_at);       -- branch, BRANCH@latest, ~N
CREATE INDEX run_by_branch_machine_time ON run (branch_id, machine_id, started_at); -- + machine;
                                                                      -- the run before a run
-- A compare's baseline on any machine (qb_store_find_runs): the runs of a branch newest first in
-- series order (commit time, else start time), as run_by_branch_machine (0010) gives them on one
-- machine.
CREATE INDEX run_by_branch_series ON run (branch_id, coalesce(commit_time, started_at), id);
-- A branch named without its project (`--branch main`, BRANCH@latest): one index seek instead of
-- reading every branch.
CREATE INDEX branch_by_name ON branch (name);
-- The series of one benchmark (GET /trend names a benchmark): without it, every series of the
-- project was read.
CREATE INDEX series_by_benchmark ON series (benchmark_id, metric_id);

-- Regressions newest first (GET /regressions, `qbdb regressions`): the time of the change's run
-- (its commit time, else its start: the time of its point in the series), copied onto the record
-- as result.run_time is, so that a list is read in order from an index (all, by status, by
-- series) instead of every record being joined and sorted first.
ALTER TABLE regression ADD COLUMN run_time INTEGER; -- coalesce(run.commit_time, run.started_at)
UPDATE regression SET run_time = (SELECT coalesce(r.commit_time, r.started_at) FROM run r
                                  WHERE r.id = regression.run_id);
DROP INDEX regression_by_status;                    -- (status, severity): no query orders by it
CREATE INDEX regression_by_time ON regression (run_time, run_id);
CREATE INDEX regression_by_status_time ON regression (status, run_time, run_id);
CREATE INDEX regression_by_series_time ON regression (series_id, run_time, run_id);

-- The points of a series (GET /trend, `qbdb trend`) read from the index alone: the interval and
-- the sample count join the values of 0003's covering index (they are NULL or small for most
-- results, so its entries hardly grow), instead of one read of the result row per point.
DROP INDEX result_series_time;
CREATE INDEX result_series_time ON result (series_id, run_time, run_id, median, mean, estimate,
                                           ci_lo, ci_hi, n);

-- 0010_verdicts.sql: what the CI verdict needs (docs/statistics.md, "Baselines and noise").
-- A setting may hold text (default_branch: the base branch of pull requests); numbers keep
-- using value.
ALTER TABLE setting ADD COLUMN text TEXT; -- a text setting's value; NULL for a number
-- The detection options the stored change points of a series were found with, as
-- "window=30;max_p=0.001;min_change=0". An incremental update is exact only with the same
-- options: when the project's options differ (or this is NULL), the series is analysed in full.
ALTER TABLE series ADD COLUMN analysed_opts TEXT;
-- Baselines: the newest runs of a branch on a machine in series order (commit time, else start).
CREATE INDEX run_by_branch_machine ON run (branch_id, machine_id, coalesce(commit_time, started_at), id);

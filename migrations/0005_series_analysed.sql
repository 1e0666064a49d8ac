-- 0005_series_analysed.sql: how far change-point detection has looked at each series.
-- The stored change points of a series cover its first analysed_n points, the last of them
-- from run analysed_run_id. An incremental update is exact only from that state: when the
-- marker does not match the series (a run's detection never ran, a run was added before older
-- ones), the series is analysed in full again.
ALTER TABLE series ADD COLUMN analysed_n INTEGER NOT NULL DEFAULT 0;
ALTER TABLE series ADD COLUMN analysed_run_id INTEGER;

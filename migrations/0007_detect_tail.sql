-- 0007_detect_tail.sql: what incremental detection needs to read only the end of a long series.
-- series.analysed_time: the run_time of the marker's run (analysed_run_id), so the points after
-- the marker and the last ones before it are found by an index seek. Storing a result before the
-- marker (a run older than the analysed ones) clears the marker: the series is analysed in full.
-- regression.position: where the change was found, as the index of run_id's point in its series
-- (valid while the marker stands, since points are only appended after it); NULL: unknown.
ALTER TABLE series ADD COLUMN analysed_time INTEGER;
ALTER TABLE regression ADD COLUMN position INTEGER;

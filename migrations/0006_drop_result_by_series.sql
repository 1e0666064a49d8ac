-- 0006_drop_result_by_series.sql: result_series_time (series_id, run_time, run_id, ...) serves
-- every query by series, so result_by_series (series_id, run_id) only cost writes: an upload of
-- N benchmarks touched N more random index pages (about 100 extra WAL pages for 100 series).
DROP INDEX result_by_series;

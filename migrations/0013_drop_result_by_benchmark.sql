-- 0013_drop_result_by_benchmark.sql: no query reads result (benchmark_id, metric_id): results are
-- found by run (the UNIQUE (run_id, benchmark_id, metric_id) index) or by series
-- (result_series_time), and benchmark ids never change and benchmarks are never deleted, so the
-- foreign key needs no child index either. Each upload of N benchmarks wrote N random pages of
-- it (one entry at the end of each benchmark's range).
DROP INDEX result_by_benchmark;

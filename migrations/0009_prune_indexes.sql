-- 0009_prune_indexes.sql: deleting a run (qbdb prune) cascades to the rows that refer to it;
-- these two had no index on that column, so each deleted run scanned them.
CREATE INDEX idempotency_by_run ON idempotency (run_id);
CREATE INDEX regression_by_prev_run ON regression (prev_run_id);

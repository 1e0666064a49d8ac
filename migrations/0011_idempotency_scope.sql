-- 0011_idempotency_scope.sql: Idempotency-Key of POST /api/v1/runs scoped to the project and the
-- token, standing for one request; and a data generation for the compare cache (issue 13).
--
-- The keys of 0004 were global and named no request: another project's token with the same key
-- was answered with the first project's run, and the same key with another body was answered
-- with the first run while its own data was dropped. Those keys named no project or token, so
-- they cannot be carried over; they are dropped (a retry of such an upload is still recognised
-- by its content hash, run.content_hash).
DROP TABLE idempotency;
CREATE TABLE idempotency (
  project_id   INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE, -- the run's project
  token_id     INTEGER NOT NULL,  -- token.id of the token that sent the request (not a foreign
                                  -- key: tokens are revoked, never deleted)
  key          TEXT NOT NULL,     -- the Idempotency-Key header
  request_hash TEXT NOT NULL,     -- sha256 hex of the request: its body, then its query arguments
  run_id       INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, -- the run it stored (or
                                  -- found with the same content)
  created_at   INTEGER NOT NULL,  -- when the key was first used (microseconds, UTC)
  PRIMARY KEY (project_id, token_id, key) -- one request per key: concurrent uses are decided here
) WITHOUT ROWID;
-- deleting a run (qbdb prune) cascades here (as 0009's index did for the old table)
CREATE INDEX idempotency_by_run ON idempotency (run_id);

-- One row: a counter bumped by every change that the newest run, the settings and the targets
-- do not show (qbdb prune deleting runs or dropping raw samples). It is part of the store's
-- fingerprint (qb_store_fingerprint), the key of the server's compare cache.
CREATE TABLE data_generation (
  id         INTEGER PRIMARY KEY CHECK (id = 1), -- always 1
  generation INTEGER NOT NULL                    -- bumped by each prune that changed something
);
INSERT INTO data_generation (id, generation) VALUES (1, 0);

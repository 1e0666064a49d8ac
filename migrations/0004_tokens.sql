-- 0004_tokens.sql: API tokens. Only a token's SHA-256 is stored; the token is shown once.
CREATE TABLE token (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL DEFAULT '',
  project    TEXT NOT NULL DEFAULT '', -- the project a write token may write to ('' for admin)
  scope      TEXT NOT NULL CHECK (scope IN ('write', 'admin')),
  hash       TEXT NOT NULL UNIQUE,     -- sha256 hex of the token
  created_at INTEGER NOT NULL,
  revoked_at INTEGER                   -- NULL while valid
);

-- Idempotency keys of POST /api/v1/runs: a replay returns the run the first request stored.
CREATE TABLE idempotency (
  key        TEXT PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

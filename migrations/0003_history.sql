-- 0003_history.sql: change points found in each series (as regression / improvement records
-- with triage), and performance targets (budgets).

-- One detected change in a series: where it starts, how big, how sure, and its triage.
CREATE TABLE regression (
  id          INTEGER PRIMARY KEY,
  series_id   INTEGER NOT NULL REFERENCES series(id),
  run_id      INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, -- first run after the change
  prev_run_id INTEGER REFERENCES run(id) ON DELETE SET NULL,         -- last run before it
  kind        TEXT NOT NULL CHECK (kind IN ('regression', 'improvement')),
  before      REAL,            -- level of the segment before (base unit of the metric)
  after       REAL,            -- level of the segment from run_id on
  change_pct  REAL,            -- (after / before - 1) * 100
  p_value     REAL,            -- significance of the split (t-test)
  severity    TEXT NOT NULL,   -- none, minor, moderate, major, critical (compare's bands)
  status      TEXT NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'acknowledged', 'invalid', 'fixed')),
  note        TEXT,            -- triage note
  triaged_by  TEXT,            -- who triaged (login name)
  triaged_at  INTEGER,         -- when (us since epoch)
  detected_at INTEGER NOT NULL,
  active      INTEGER NOT NULL DEFAULT 1, -- 0: no longer detected, kept for its triage
  UNIQUE (series_id, run_id)
);
CREATE INDEX regression_by_status ON regression (status, severity);
CREATE INDEX regression_by_run ON regression (run_id);

-- A performance budget: benchmarks matching a glob must keep a metric below / above a value.
CREATE TABLE target (
  id         INTEGER PRIMARY KEY,
  project    TEXT NOT NULL DEFAULT '', -- '' = every project
  bench_glob TEXT NOT NULL,            -- fnmatch(3) glob on benchmark names
  metric     TEXT NOT NULL,            -- latency, throughput, memory, ...
  op         TEXT NOT NULL CHECK (op IN ('<', '<=', '>', '>=')),
  value      REAL NOT NULL,            -- in the base unit
  unit       TEXT NOT NULL,            -- that base unit (ns, B, 1/s, B/s, 1)
  created_at INTEGER NOT NULL,
  UNIQUE (project, bench_glob, metric, op)
);

-- The time a result sits at in its series (its run's commit time, else start time), copied
-- into result so that reading a series' values is one covering-index range scan.
ALTER TABLE result ADD COLUMN run_time INTEGER;
UPDATE result SET run_time = (SELECT coalesce(r.commit_time, r.started_at) FROM run r
                              WHERE r.id = result.run_id);
CREATE INDEX result_series_time ON result (series_id, run_time, run_id, median, mean, estimate);

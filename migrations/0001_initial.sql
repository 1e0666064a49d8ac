-- 0001_initial.sql: the first qbdb schema.
-- Times are INTEGER microseconds since 1970-01-01 UTC. Values are REAL in the metric's base
-- unit (ns, 1/s, B, B/s, 1). JSON columns hold compact JSON objects (or NULL).

-- A project groups runs and benchmarks (a repository, a product).
CREATE TABLE project (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE          -- as given by --project or the tool's output
);

-- A branch of a project (main, a release branch, a pull request).
CREATE TABLE branch (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES project(id),
  name       TEXT NOT NULL,           -- e.g. "main"
  UNIQUE (project_id, name)
);

-- A testbed: where benchmarks ran.
CREATE TABLE machine (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,          -- testbed name (--machine, or the tool's host name)
  info TEXT                           -- JSON: the latest machine info a tool reported (cpu, os...)
);

-- One upload of one tool's output.
CREATE TABLE run (
  id           INTEGER PRIMARY KEY,
  project_id   INTEGER NOT NULL REFERENCES project(id),
  branch_id    INTEGER NOT NULL REFERENCES branch(id),
  machine_id   INTEGER NOT NULL REFERENCES machine(id),
  commit_sha   TEXT,                  -- the commit benchmarked, NULL when unknown
  commit_time  INTEGER,               -- its commit time, NULL when unknown
  started_at   INTEGER NOT NULL,      -- when the benchmarks ran (tool's time, else ingest time)
  ingested_at  INTEGER NOT NULL,      -- when qbdb stored the run
  format       TEXT NOT NULL,         -- adapter: pytest, criterion, criterion-text, native
  tool_version TEXT,                  -- e.g. "pytest-benchmark 3.2.2"
  machine_info TEXT,                  -- JSON: machine info exactly as this run reported it
  extra        TEXT,                  -- JSON: other run-level fields of the tool
  content_hash TEXT NOT NULL,         -- sha256 of the uploaded content: re-uploads are idempotent
  UNIQUE (project_id, content_hash)
);
CREATE INDEX run_by_branch ON run (project_id, branch_id, started_at);
CREATE INDEX run_by_commit ON run (commit_sha);

-- key=value labels of a run (network condition, node count, resource profile...).
CREATE TABLE run_tag (
  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- A benchmark of a project, identified by its full name.
CREATE TABLE benchmark (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES project(id),
  name       TEXT NOT NULL,           -- full name, e.g. "sort/1000", "test_sum[10]"
  grp        TEXT,                    -- group, NULL when none ("group" is an SQL keyword)
  params     TEXT,                    -- JSON: parameters, e.g. {"n":1000} (scaling analysis)
  UNIQUE (project_id, name)
);

-- What was measured and which way is better.
CREATE TABLE metric (
  id        INTEGER PRIMARY KEY,
  name      TEXT NOT NULL,            -- latency, throughput, memory, cpu, or custom
  unit      TEXT NOT NULL,            -- base unit: ns, 1/s, B, B/s, 1
  direction INTEGER NOT NULL CHECK (direction IN (0, 1)), -- 0 lower is better, 1 higher is better
  UNIQUE (name, unit, direction)
);

-- A series: one benchmark x metric on one branch and machine over time (compare, trend and
-- change-point detection read along it).
CREATE TABLE series (
  id           INTEGER PRIMARY KEY,
  branch_id    INTEGER NOT NULL REFERENCES branch(id),
  machine_id   INTEGER NOT NULL REFERENCES machine(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmark(id),
  metric_id    INTEGER NOT NULL REFERENCES metric(id),
  UNIQUE (branch_id, machine_id, benchmark_id, metric_id)
);

-- Per-run fields of a benchmark that the tool wrote (fullname, extra_info, throughput...).
CREATE TABLE run_benchmark (
  run_id       INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  benchmark_id INTEGER NOT NULL REFERENCES benchmark(id),
  extra        TEXT NOT NULL,         -- JSON
  PRIMARY KEY (run_id, benchmark_id)
) WITHOUT ROWID;

-- One metric of one benchmark in one run: the summary statistics.
CREATE TABLE result (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  benchmark_id INTEGER NOT NULL REFERENCES benchmark(id),
  metric_id    INTEGER NOT NULL REFERENCES metric(id),
  series_id    INTEGER NOT NULL REFERENCES series(id),
  n            INTEGER,               -- samples (rounds) summarised
  min          REAL,
  max          REAL,
  mean         REAL,
  median       REAL,
  stddev       REAL,                  -- sample standard deviation (n - 1)
  p95          REAL,
  p99          REAL,
  q1           REAL,
  q3           REAL,
  outliers     INTEGER,               -- Tukey 1.5 IQR outliers
  estimate     REAL,                  -- the tool's headline estimate (criterion slope)
  ci_lo        REAL,                  -- and its confidence interval
  ci_hi        REAL,
  extra        TEXT,                  -- JSON: tool-specific values (criterion change, pytest ops)
  UNIQUE (run_id, benchmark_id, metric_id)
);
CREATE INDEX result_by_series ON result (series_id, run_id);
CREATE INDEX result_by_benchmark ON result (benchmark_id, metric_id);

-- The raw samples of a result, encoded compactly (docs/storage.md): per-iteration values as
-- little-endian float64 and the iteration counts as a constant, an arithmetic progression or
-- varints.
CREATE TABLE sample_set (
  result_id INTEGER PRIMARY KEY REFERENCES result(id) ON DELETE CASCADE,
  n         INTEGER NOT NULL,         -- number of samples
  data      BLOB NOT NULL
);

-- 0002_settings.sql: per-project and per-benchmark settings of the comparison (alpha, noise
-- threshold, severity boundaries). The most specific matching row wins (docs/cli/config.md).
CREATE TABLE setting (
  id         INTEGER PRIMARY KEY,
  project    TEXT NOT NULL DEFAULT '', -- project name; '' applies to every project
  bench_glob TEXT NOT NULL DEFAULT '', -- fnmatch(3) glob on benchmark names; '' matches all
  key        TEXT NOT NULL,            -- alpha, threshold, moderate, major, critical, noise_runs
  value      REAL NOT NULL,
  UNIQUE (project, bench_glob, key)
);

-- 0015_bisect.sql: the sessions of `qbdb bisect` (docs/cli/bisect.md). The service keeps a
-- session's whole state (its options, the command, every observation, the result) as one JSON
-- text it writes (service/bisect.c); the other columns are there to find sessions by.

-- One `qbdb bisect` session: a search of the commits between good_commit and bad_commit for the
-- ones that changed benchmark's metric.
CREATE TABLE bisect (
  id            INTEGER PRIMARY KEY,
  project       TEXT NOT NULL,
  regression_id INTEGER,           -- the regression record bisected (NULL: --good/--bad); not a
                                   -- foreign key (prune may delete the record)
  benchmark     TEXT NOT NULL,
  metric        TEXT NOT NULL,
  machine       TEXT NOT NULL,
  good_commit   TEXT NOT NULL,
  bad_commit    TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  started_at    INTEGER NOT NULL,  -- us since epoch, like the other times
  updated_at    INTEGER NOT NULL,  -- the last write of the session (= started_at at first)
  state         TEXT NOT NULL      -- JSON written by service/bisect.c
);
CREATE INDEX bisect_by_regression ON bisect (regression_id);

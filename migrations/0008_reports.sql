-- 0008_reports.sql: the reports `qbdb report` recorded (those made for its default window,
-- "since the last report"), and the changes each listed as new, so that the next report in the
-- same scope shows only what is new (docs/cli/report.md).
CREATE TABLE report (
  id                INTEGER PRIMARY KEY,
  project           TEXT NOT NULL DEFAULT '', -- the project reported on; '' for every project
  created_at        INTEGER NOT NULL,         -- when the report was made (us since epoch)
  window_start      INTEGER,                  -- the previous report's created_at (NULL: first)
  window_end        INTEGER NOT NULL,         -- the end of its window (= created_at)
  max_regression_id INTEGER NOT NULL DEFAULT 0, -- the largest regression.id it listed as new
  max_detected_at   INTEGER,                  -- the latest regression.detected_at it listed
  new_regressions   INTEGER NOT NULL DEFAULT 0, -- regressions it listed as new
  new_improvements  INTEGER NOT NULL DEFAULT 0, -- improvements it listed as new
  format            TEXT                      -- markdown, html or json (for the record)
);
CREATE INDEX report_by_project ON report (project, id);

-- One change a report listed as new. Not a foreign key to regression: an open record that is no
-- longer detected is deleted, and a change point that moves by a run or two (when later runs
-- refine it) is a new record for the same change; the report keeps what it showed.
CREATE TABLE report_item (
  report_id     INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
  regression_id INTEGER NOT NULL,  -- regression.id when listed
  series_id     INTEGER NOT NULL,  -- its series
  run_id        INTEGER NOT NULL,  -- its first run after the change
  kind          TEXT NOT NULL,     -- regression or improvement
  severity      TEXT NOT NULL,     -- its severity when listed
  PRIMARY KEY (report_id, regression_id)
) WITHOUT ROWID;
CREATE INDEX report_item_by_series ON report_item (series_id, kind);

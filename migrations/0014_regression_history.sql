-- 0014_regression_history.sql: detection no longer deletes a change record (issue 16). A record
-- that a later detection no longer finds is kept, inactive, with the time it went and, when the
-- same detection found the change at another run of the series instead (the same kind, no other
-- change point between the two), the record that took its place and its triage. `qbdb
-- regressions --all` and GET /api/v1/regressions?all=1 list every record a user may have seen.
ALTER TABLE regression ADD COLUMN gone_at INTEGER;       -- when detection stopped finding it
                                                         -- (NULL: found now, or gone before 0014)
ALTER TABLE regression ADD COLUMN superseded_by INTEGER; -- regression.id of the record found in
                                                         -- its place (NULL: none); not a foreign
                                                         -- key (prune may delete that record)

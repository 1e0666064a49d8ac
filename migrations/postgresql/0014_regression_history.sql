-- 0014_regression_history.sql: detection no longer deletes a change record (issue 16; SQLite's
-- migrations/0014_regression_history.sql). A record that a later detection no longer finds is
-- kept, inactive, with the time it went and, when the same detection found the change at another
-- run of the series instead, the record that took its place and its triage.
ALTER TABLE regression ADD COLUMN gone_at bigint;       -- when detection stopped finding it
                                                        -- (NULL: found now, or gone before 0014)
ALTER TABLE regression ADD COLUMN superseded_by bigint; -- regression.id of the record found in
                                                        -- its place (NULL: none); not a foreign
                                                        -- key (prune may delete that record)

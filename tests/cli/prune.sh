#!/usr/bin/env bash
# End to end: `qbdb prune` on an 80-run history (one run an hour from 2026-08-01, series `step`
# up 20% from run 60, series `flat`) plus a pytest run: what goes, what is kept (the runs that
# detection needs around the open regression: from 31 before its first bad run to 30 after;
# the newest run of each branch and machine), the raw samples dropped with the statistics
# kept, the file shrinking, the database still whole, and detection after it still finding the
# regression; and a prune while another connection holds a read transaction open (as a server
# answering reads during uploads does): the deletion stands, the WAL checkpoint is deferred, exit 0.
# On PostgreSQL (the _pg twin) the same but the parts about SQLite's file: its size, PRAGMAs, WAL.
source "$(dirname "$0")/lib.bash"
need_sql_client

gen() { # gen R: run R (30 samples per series, 1% noise from a fixed LCG)
  awk -v r="$1" 'BEGIN {
    seed = r * 7919 + 17
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"pr\",\"branch\":\"main\",\"machine\":\"m1\",\"commit\":\"%08x\",\"started_at\":\"2026-08-%02dT%02d:00:00Z\"}\n", 268435456 + r, 1 + int(r / 24), r % 24
    for (b = 0; b < 2; b++) {
      level = (b == 0 && r >= 60) ? 1200 : 1000
      printf "{\"name\":\"%s\",\"unit\":\"ns\",\"samples\":[", b ? "flat" : "step"
      for (i = 0; i < 30; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        printf "%s%.6f", (i ? "," : ""), level * (1 + 0.01 * (seed / 2147483648.0 - 0.5))
      }
      printf "]}\n"
    }
  }' >"$TMP/run$1.jsonl"
}
for r in $(seq 1 81); do gen "$r"; done
for r in $(seq 1 80); do "$QBDB" ingest "$TMP/run$r.jsonl" >/dev/null || fail "ingest run $r"; done
run 0 "$QBDB" ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
n_runs() { "$QBDB" runs --limit 0 --format json | jq length; }
equals "$(n_runs)" 81 "81 runs"
run 0 "$QBDB" regressions --format json
equals "$(jq -r '[.[] | .benchmark + "@" + (.run_id | tostring)] | join(",")' <<<"$OUT")" "step@60" \
  "the open regression: step, first bad run 60"

# a dry run changes nothing
before=$(db_sql "$QBDB_DB" 'SELECT count(*) FROM result; SELECT count(*) FROM sample_set;')
run 0 "$QBDB" prune --keep-days 0 --dry-run --format json
equals "$(jq -c '[.dry_run, .runs, .kept_anchors, .kept_newest]' <<<"$OUT")" "[true,28,52,1]" \
  "dry run: runs 1-28 would go; 29-80 are the regression's context; the pytest run is newest"
equals "$(n_runs)" 81 "dry run: all still there"
equals "$(db_sql "$QBDB_DB" 'SELECT count(*) FROM result; SELECT count(*) FROM sample_set;')" \
  "$before" "dry run: every result and sample still there"

# --branch-glob: no branch matches, nothing goes
run 0 "$QBDB" prune --keep-days 0 --branch-glob 'feature/*'
contains "$OUT" "deleted 0 runs" "a glob that matches nothing"
equals "$(n_runs)" 81 "glob: all still there"

# the real thing
# the file's size: SQLite's alone (a PostgreSQL database is no file; its size is checked below)
if ! on_pg; then size_before=$(stat -c %s "$QBDB_DB"); fi
run 0 "$QBDB" prune --keep-days 0 --keep-samples-days 0
contains "$OUT" "deleted 28 runs (56 results, 1680 samples)" "what went"
contains "$OUT" "dropped the raw samples of 53 kept runs" "samples dropped"
contains "$OUT" "kept 52 old runs around open regressions and 1 that are the newest" "kept"
contains "$OUT" "2 series will be analysed in full" "markers cleared"
contains "$OUT" "database " "file sizes"
# the sizes, before and after: kB or MB (SQLite's file here: about 470 kB -> 260 kB; PostgreSQL's
# pg_database_size, its catalogs included: about 9.5 MB)
grep -qE '^database [0-9]+\.[0-9] (kB|MB) -> [0-9]+\.[0-9] (kB|MB)$' <<<"$OUT" ||
  fail "no line 'database SIZE -> SIZE': $OUT"
equals "$(n_runs)" 53 "left: 29-80 and the pytest run"
equals "$(db_sql "$QBDB_DB" 'SELECT min(id), max(id) FROM run')" "29|81" "which runs are left"
# SQLite's own checks of its file (PostgreSQL enforces its foreign keys as it writes)
if sqlite_only "PRAGMA integrity_check and foreign_key_check after the prune"; then
  equals "$(db_sql "$QBDB_DB" 'PRAGMA integrity_check; PRAGMA foreign_key_check;')" "ok" \
    "integrity and foreign keys"
fi
equals "$(db_sql "$QBDB_DB" 'SELECT count(*) FROM sample_set')" 0 "no raw samples left"
equals "$(db_sql "$QBDB_DB" 'SELECT count(*) FROM result WHERE median IS NULL AND mean IS NULL')" \
  0 "statistics kept"
# the file shrinks: SQLite's VACUUM of one file. PostgreSQL's database size is mostly its catalogs,
# which a VACUUM FULL of qbdb's tables does not make smaller (it writes catalog rows: the figure
# may even grow a little), so there the figures are only checked above
if sqlite_only "the file shrinking (SQLite's file size)"; then
  [ "$(stat -c %s "$QBDB_DB")" -lt "$size_before" ] || fail "the file did not shrink"
fi

# detection after it: the next run updates the series (in full: the markers were cleared), it
# still finds the step at run 60, and equals a full detection
run 0 "$QBDB" ingest "$TMP/run81.jsonl"
run 0 "$QBDB" regressions --format json
equals "$(jq -r '[.[] | .benchmark + "@" + (.run_id | tostring)] | join(",")' <<<"$OUT")" "step@60" \
  "the open regression survives the prune and the next detection"
pick='[.[] | [.benchmark, .run_id, .before, .after, .p_value, .severity]] | sort'
run 0 "$QBDB" regressions --all --format json
incremental=$(jq -c "$pick" <<<"$OUT")
run 0 "$QBDB" detect --project pr
run 0 "$QBDB" regressions --all --format json
equals "$(jq -c "$pick" <<<"$OUT")" "$incremental" "detection after a prune equals a full one"

# another connection reads during the prune (its snapshot predates the deletion, so the
# truncating checkpoint cannot run): the runs are deleted and vacuumed, the checkpoint is
# retried and then deferred to the next writer, exit 0 with a line saying so (issue 13; before:
# exit 5, "checkpoint: database is locked", after the deletion). The reader is sqlite3 holding
# BEGIN + SELECT while it runs the prune with .system, so the overlap is certain.
# SQLite only: it is about SQLite's WAL checkpoint. PostgreSQL has none to defer, and its VACUUM
# FULL waits for the reader's transaction to end (schema/postgres/prune.c), so a reader that waits
# for the prune would never end.
if sqlite_only "a prune while another connection reads (SQLite's WAL checkpoint)"; then
  HELD=$(fresh_db held)
  for r in $(seq 1 10); do
    QBDB_DB=$HELD "$QBDB" ingest "$TMP/run$r.jsonl" >/dev/null || fail "ingest run $r (held)"
  done
  {
    echo "QBDB_DB='$HELD' '$QBDB' prune --keep-days 0 >'$TMP/held.out' 2>'$TMP/held.err'"
    echo "echo \$? >'$TMP/held.rc'"
  } >"$TMP/held.sh"
  printf 'BEGIN;\nSELECT count(*) FROM run;\n.system bash %s\nCOMMIT;\n' "$TMP/held.sh" |
    sqlite3 "$HELD" >"$TMP/held.sqlite" || fail "the reader failed"
  equals "$(cat "$TMP/held.sqlite")" 10 "the reader saw the runs before the prune"
  equals "$(cat "$TMP/held.rc")" 0 "prune under a reader: exit 0 ($(cat "$TMP/held.err"))"
  OUT=$(cat "$TMP/held.out")
  contains "$OUT" "deleted 9 runs" "prune under a reader: the runs went"
  contains "$OUT" "checkpoint deferred" "prune under a reader: the deferred checkpoint said"
  one_line "$(grep deferred <<<"$OUT")" "prune under a reader: one line about the checkpoint"
  equals "$(db_sql "$HELD" 'SELECT count(*) FROM run')" 1 "prune under a reader: data deleted"
  equals "$(db_sql "$HELD" 'PRAGMA integrity_check')" ok "prune under a reader: integrity"
  QBDB_DB=$HELD run 0 "$QBDB" prune --keep-days 0 --format json
  equals "$(jq -r .checkpoint <<<"$OUT")" "none" "nothing deleted: no rebuild, no checkpoint"
fi

# usage
run 2 "$QBDB" prune
contains "$ERR" "--keep-days N and/or --keep-samples-days M" "nothing to keep said"
run 2 "$QBDB" prune --keep-days -1
one_line "$ERR" "a negative day count"
run 2 "$QBDB" prune --keep-days 1.5
contains "$ERR" "whole days" "fractional days"
finish

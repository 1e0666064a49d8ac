#!/usr/bin/env bash
# End to end: every kind of bad input gets a one-line error naming the file and the field or
# position, a documented exit code, and leaves the database byte-for-byte unchanged.
source "$(dirname "$0")/lib.bash"

run 0 "$QBDB" ingest --project p "$DATA/cli/good_small.json"
contains "$OUT" "stored run 1:" "baseline run"
snapshot() { sha256sum "$QBDB_DB" | cut -d' ' -f1; sqlite3 "$QBDB_DB" 'SELECT count(*) FROM run; SELECT count(*) FROM result; SELECT count(*) FROM benchmark'; }
before=$(snapshot)
[ ! -e "$QBDB_DB-wal" ] || fail "WAL file left behind after a clean close"

# bad CODE FILE-OR-DIR NEEDLE... : ingest must fail with CODE, print one line naming the file and
# each needle, and leave the database unchanged.
bad() {
  local code=$1 path=$2
  shift 2
  run "$code" "$QBDB" ingest --project p "${EXTRA[@]}" "$path"
  one_line "$ERR" "$path: one-line error"
  contains "$ERR" "qbdb: error: " "$path: error prefix"
  contains "$ERR" "$(basename "$path")" "$path: names the file"
  for needle in "$@"; do contains "$ERR" "$needle" "$path"; done
  equals "$(snapshot)" "$before" "$path: database unchanged"
  EXTRA=()
}
EXTRA=()

bad 3 "$DATA/cli/truncated.json" "invalid JSON at line" "column"
bad 3 "$DATA/cli/empty.json" "empty file"
bad 3 "$DATA/cli/nan.json" "invalid JSON at line" "NaN"
bad 3 "$DATA/cli/negative.json" "test_sum_squares[1000]" "mean" "negative"
bad 3 "$DATA/cli/absurd.json" "test_sum_squares[100]" "samples[3]" "absurd duration"
bad 3 "$DATA/cli/duplicate.json" "duplicate benchmark name" "test_sorted_builtin" "#5 and #10"
bad 3 "$DATA/cli/wrongtype.json" "benchmarks[3].stats.median" "expected a number"
bad 3 "$DATA/cli/unknown_unit.jsonl" ":2:" "unit" "furlongs"
EXTRA=(--format native)
bad 3 "$DATA/cli/good_small.json" "qbdb-native"
EXTRA=(--format criterion-text)
bad 3 "$DATA/cli/good_small.json" "no criterion results"
EXTRA=(--format pytest)
bad 3 "$DATA/criterion/run2/cargo_bench.stdout.txt" "invalid JSON at line"
mkdir -p "$TMP/emptydir"
bad 3 "$TMP/emptydir" "no criterion benchmarks found"
bad 3 "$DATA/pytest" "no criterion benchmarks found"
bad 4 "$TMP/does-not-exist.json" "No such file"

# several paths: one bad file means nothing is stored, not even the good ones before it
run 3 "$QBDB" ingest --project p2 "$DATA/pytest/run1/benchmark.json" "$DATA/cli/negative.json"
contains "$ERR" "negative.json" "multi-path error names the bad file"
equals "$(snapshot)" "$before" "multi-path: database unchanged"

# a SQLite file that is not qbdb's, and a file that is not SQLite at all: refused, untouched
sqlite3 "$TMP/foreign.db" 'CREATE TABLE notes(x); INSERT INTO notes VALUES (42);'
fbefore=$(sha256sum "$TMP/foreign.db")
run 5 "$QBDB" --db "$TMP/foreign.db" ingest "$DATA/cli/good_small.json"
one_line "$ERR" "foreign db"
contains "$ERR" "foreign.db: not a qbdb database" "foreign db message"
equals "$(sha256sum "$TMP/foreign.db")" "$fbefore" "foreign db unchanged"
run 5 "$QBDB" --db "$TMP/foreign.db" runs
echo "just some text, not a database at all......................................" >"$TMP/text.db"
tbefore=$(sha256sum "$TMP/text.db")
run 5 "$QBDB" --db "$TMP/text.db" ingest "$DATA/cli/good_small.json"
contains "$ERR" "not a qbdb database" "text file db"
equals "$(sha256sum "$TMP/text.db")" "$tbefore" "text db unchanged"

# a qbdb database from the future
cp "$QBDB_DB" "$TMP/future.db"
sqlite3 "$TMP/future.db" 'PRAGMA user_version = 999;'
run 5 "$QBDB" --db "$TMP/future.db" runs
contains "$ERR" "newer than this qbdb" "newer schema"

# reading commands on a missing database
run 4 "$QBDB" --db "$TMP/none.db" runs
contains "$ERR" "none.db" "missing db named"
[ ! -e "$TMP/none.db" ] || fail "runs created a database"
finish

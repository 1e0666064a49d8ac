#!/usr/bin/env bash
# End to end: every kind of bad input gets a one-line error naming the file and the field or
# position, a documented exit code, and leaves the database byte-for-byte unchanged (on
# PostgreSQL, the _pg twin: its schema and rows as pg_dump writes them).
source "$(dirname "$0")/lib.bash"
need_sql_client
if on_pg; then
  command -v pg_dump >/dev/null || { echo "skipped: pg_dump not installed"; exit 0; }
fi

# content LOC: a hash of the database at LOC: SQLite's file; PostgreSQL's schema and rows in
# pg_dump's text, less the \restrict key it draws anew for every dump (a dump that fails prints
# its subshell's pid instead, which equals no other hash)
content() {
  if [[ $1 == postgresql://* ]]; then
    local dump
    dump=$(pg_dump "$1") || {
      echo "FAIL: pg_dump $1" >&2
      echo "pg_dump failed in $BASHPID"
      return 1
    }
    grep -v '^\\\(un\)\?restrict ' <<<"$dump" | sha256sum | cut -d' ' -f1
  else
    sha256sum "$1" | cut -d' ' -f1
  fi
}

run 0 "$QBDB" ingest --project p "$DATA/cli/good_small.json"
contains "$OUT" "stored run 1:" "baseline run"
snapshot() { content "$QBDB_DB"; db_sql "$QBDB_DB" 'SELECT count(*) FROM run; SELECT count(*) FROM result; SELECT count(*) FROM benchmark'; }
before=$(snapshot)
# SQLite's WAL file (PostgreSQL has no file beside the database)
if sqlite_only "no WAL file left after a clean close"; then
  [ ! -e "$QBDB_DB-wal" ] || fail "WAL file left behind after a clean close"
fi

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
bad 3 "$DATA/cli/nan.json" "benchmarks[0].stats.stddev: expected a finite number, got NaN (line 52, column 15)"
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

# a database that is not qbdb's (a SQLite file, a PostgreSQL database, with a table of their
# own), and a file that is not SQLite at all: refused, untouched
FOREIGN=$(fresh_db foreign)
db_sql "$FOREIGN" 'CREATE TABLE notes(x integer); INSERT INTO notes VALUES (42);'
fbefore=$(content "$FOREIGN")
run 5 "$QBDB" --db "$FOREIGN" ingest "$DATA/cli/good_small.json"
one_line "$ERR" "foreign db"
contains "$ERR" "$FOREIGN: not a qbdb database" "foreign db message"
equals "$(content "$FOREIGN")" "$fbefore" "foreign db unchanged"
run 5 "$QBDB" --db "$FOREIGN" runs
# a file that is not SQLite: about SQLite's files alone
if sqlite_only "a database file that is not SQLite"; then
  echo "just some text, not a database at all......................................" >"$TMP/text.db"
  tbefore=$(sha256sum "$TMP/text.db")
  run 5 "$QBDB" --db "$TMP/text.db" ingest "$DATA/cli/good_small.json"
  contains "$ERR" "not a qbdb database" "text file db"
  equals "$(sha256sum "$TMP/text.db")" "$tbefore" "text db unchanged"
fi

# a qbdb database from the future: SQLite's user_version, PostgreSQL's qbdb_schema row
FUTURE=$(fresh_db future)
if on_pg; then
  run 0 "$QBDB" --db "$FUTURE" ingest --project p "$DATA/cli/good_small.json"
  db_sql "$FUTURE" 'UPDATE qbdb_schema SET version = 999'
else
  cp "$QBDB_DB" "$FUTURE"
  sqlite3 "$FUTURE" 'PRAGMA user_version = 999;'
fi
run 5 "$QBDB" --db "$FUTURE" runs
contains "$ERR" "newer than this qbdb" "newer schema"

# reading commands on a missing database (SQLite: no file; PostgreSQL: an empty database)
NONE=$(fresh_db none)
run 4 "$QBDB" --db "$NONE" runs
contains "$ERR" "$NONE" "missing db named"
! db_created "$NONE" || fail "runs created a database"
finish

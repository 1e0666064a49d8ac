# tests/cli/lib.bash - helpers for the CLI end-to-end scripts (sourced, not a test itself).
# Each script is run by ctest as: bash SCRIPT QBDB_BINARY TEST_DATA_DIR SCRATCH_DIR
set -euo pipefail
# text tables keep to COLUMNS when it is set (docs/cli/README.md, "Output: table widths"): the
# scripts read whole names whatever terminal ran ctest (text_width.sh sets it where it tests it)
unset COLUMNS
# relative paths are taken from where the script was started: it runs in TMP
QBDB=$(realpath "$1")
DATA=$(realpath "$2")
TMP=$(realpath -m "$3")
rm -rf "$TMP"
mkdir -p "$TMP"
cd "$TMP"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run EXPECTED_EXIT CMD...: runs the command, captures stdout/stderr in $OUT/$ERR
run() {
  local want=$1
  shift
  set +e
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  set -e
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  if [ "$got" != "$want" ]; then
    fail "exit $got (want $want): $*"$'\n'"stdout: $OUT"$'\n'"stderr: $ERR"
  fi
}

contains() { # contains HAYSTACK NEEDLE WHAT
  case "$1" in
    *"$2"*) ;;
    *) fail "$3: expected to contain '$2', got: $1" ;;
  esac
}

equals() { # equals GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

# close GOT WANT RELTOL WHAT: numbers agree within a relative tolerance
close() {
  awk -v g="$1" -v w="$2" -v r="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w;
    exit !(d <= r * s) }' || fail "$4: got $1, want $2 (rel $3)"
}

one_line() { # one_line TEXT WHAT
  [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] || fail "$2: expected one line, got: $1"
}

# ---- the database: a SQLite file in TMP, or, in a _pg twin (CMakeLists.txt: QBDB_TEST_PG names
# the socket directory of the throwaway cluster that the pg_cluster fixture started), a
# PostgreSQL database of that cluster. QBDB_DB is a fresh one of these ("qbdb"); a script that
# needs more asks fresh_db for them, and reads them with db_sql.
LIB_SCRIPT=$(basename "$0" .sh)

on_pg() { [ -n "${QBDB_TEST_PG:-}" ]; } # on_pg: true in a _pg twin

# fresh_db NAME: print the location of a new, empty database. SQLite: the file TMP/NAME.db, with
# its -wal and -shm, removed. PostgreSQL: the database cli_<script>_<NAME> (letters, digits and _,
# at most 63 bytes) dropped and created again through psql on the cluster's postgres database;
# its URL (quote it: it holds an &). Take it into a variable (db=$(fresh_db x)): set -e stops the
# script when it fails there, not when it fails inside another command's arguments.
fresh_db() {
  if ! on_pg; then
    rm -f "$TMP/$1.db" "$TMP/$1.db-wal" "$TMP/$1.db-shm"
    echo "$TMP/$1.db"
    return
  fi
  local db=cli_${LIB_SCRIPT}_$1
  db=${db,,}
  db=${db//[^a-z0-9_]/_}
  db=${db:0:63}
  psql -X -q -v ON_ERROR_STOP=1 "postgresql:///postgres?host=$QBDB_TEST_PG&user=postgres" \
    -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db" >&2 || {
    echo "FAIL: fresh_db $1: could not create the database $db on the cluster in $QBDB_TEST_PG" >&2
    return 1
  }
  echo "postgresql:///$db?host=$QBDB_TEST_PG&user=postgres"
}

# db_sql LOC SQL: run SQL (one or more statements) on the database at LOC, with sqlite3 or
# psql -tA: each row of each query on a line, columns joined by |, NULL as nothing. Write SQL that
# both accept, and mind what they print differently: a comparison is 1 or 0 in SQLite, t or f in
# PostgreSQL (use CASE WHEN ... THEN 1 ELSE 0 END), and so are the digits of a float.
db_sql() {
  if [[ $1 == postgresql://* ]]; then
    psql -X -q -tA -v ON_ERROR_STOP=1 "$1" <<<"$2"
  else
    sqlite3 "$1" "$2"
  fi
}

# db_created LOC: true when a database is there: SQLite's file exists; the PostgreSQL database
# (which fresh_db created empty) has tables
db_created() {
  if [[ $1 == postgresql://* ]]; then
    [ "$(db_sql "$1" "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")" != 0 ]
  else
    [ -e "$1" ]
  fi
}

# need_sql_client: a script that reads the database with db_sql ends here (exit 0, saying so)
# when this backend's client (sqlite3 or psql) is not installed
need_sql_client() {
  local c=sqlite3
  if on_pg; then c=psql; fi
  command -v "$c" >/dev/null || {
    echo "skipped: $c not installed"
    exit 0
  }
}

# sqlite_only WHAT: true on SQLite; in a _pg twin, print "skipped on PostgreSQL: WHAT" and be
# false. For the checks about SQLite's files alone (WAL, sizes, PRAGMAs, a file made read-only or
# corrupt): if sqlite_only "..."; then ...; fi, with a comment saying why.
sqlite_only() {
  on_pg || return 0
  echo "skipped on PostgreSQL: $*"
  return 1
}

QBDB_DB=$(fresh_db qbdb)
export QBDB_DB

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
  fi
  echo "ok"
}

# ---- timing-free helpers (issue 13): progress lines, bounded waits, kill points taken from
# what a process has done. Used by crash_ingest.sh and crash_serve.sh.

lib_now() { # milliseconds since the epoch into LIB_NOW (bash 5's clock: no process started)
  if [ -n "${EPOCHREALTIME:-}" ]; then
    local t=${EPOCHREALTIME/[.,]/}
    LIB_NOW=$((t / 1000))
  else
    LIB_NOW=$(date +%s%3N)
  fi
}
lib_now
LIB_T0=$LIB_NOW

progress() { # progress MSG...: one line on stdout, "[SECONDS] MSG", so that a run cut short by
  # ctest's TIMEOUT shows how far it got
  lib_now
  local t=$((LIB_NOW - LIB_T0))
  printf '[%d.%d s] %s\n' $((t / 1000)) $((t % 1000 / 100)) "$*"
}

elapsed_s() { # seconds since lib.bash was sourced
  lib_now
  echo $(((LIB_NOW - LIB_T0) / 1000))
}

abort_test() { # abort_test MSG: fail and stop now (a wait that expired): MSG says what it waited for
  fail "$* (after $(elapsed_s) s)"
  echo "$failures failure(s)" >&2
  exit 1
}

# The tap: the stderr of a qbdb run with QBDB_SQL_PROFILE=1 (one "sql N us: SQL" line per
# statement, written as the statement ends) goes into a FIFO that an awk copies to a log. A
# writer cannot get further ahead of the awk than what the pipe holds (64 KiB), so stopping the
# process (SIGSTOP) when the awk reads a given line freezes it close after that line, at the
# same point of its work whatever the speed of the machine. The awk writes its events, one line
# "ID EVENT [ARG]", to the FIFO $TAP_NOTES held open (read-write) on fd 9 by tap_init.
tap_init() { # tap_init: make the notes FIFO and open it on fd 9
  TAP_NOTES=$TMP/tap-notes
  rm -f "$TAP_NOTES"
  mkfifo "$TAP_NOTES"
  exec 9<>"$TAP_NOTES"
}

# tap_start ID FIFO LOG TRACE ARM TRIGGER K PID: in the background (TAP_PID), copy FIFO to LOG
# and the lines from the line ARM on ("": from the start; a test writes ARM into the FIFO itself,
# e.g. before the request it wants to follow) to TRACE. Events: "ready
# URL" at the banner of qbdb serve; "stopped N" when TRIGGER is reached, after PID has been sent
# SIGSTOP (TRIGGER "stmt": the first BEGIN IMMEDIATE after ARM, then K more statements, N of
# them; "commit": the first COMMIT after that BEGIN IMMEDIATE; "none": never); "eof" when every
# writer has closed the FIFO (the process ended).
TAP_AWK=(awk)
# mawk fills its whole input buffer from a pipe before it reads a line: -W interactive makes it
# take each line as it comes (gawk does that anyway)
if awk -W version 2>/dev/null | grep -q mawk; then TAP_AWK=(awk -W interactive); fi
tap_start() {
  "${TAP_AWK[@]}" -v id="$1" -v trace="$4" -v arm="$5" -v trig="$6" -v k="$7" -v pid="$8" -v notes="$TAP_NOTES" '
    function note(s) { print id " " s > notes; fflush(notes) }
    function fire() { fired = 1; system("kill -STOP " pid " 2>/dev/null"); note("stopped " n) }
    BEGIN { armed = arm == "" }
    { print }
    !armed && $0 == arm { armed = 1 }
    armed { print > trace }
    /^qbdb serving .* on http:\/\// && match($0, /http:\/\/[^\/]*/) { note("ready " substr($0, RSTART, RLENGTH)) }
    !armed || fired || trig == "none" { next }
    !begun && /^sql [0-9]+ us: BEGIN IMMEDIATE$/ { begun = 1; n = 0; if (trig == "stmt" && k <= 0) fire(); next }
    begun && /^sql / { n++; if (trig == "stmt" && n >= k || trig == "commit" && /^sql [0-9]+ us: COMMIT$/) fire() }
    END { if (armed) close(trace); note("eof") }' <"$2" >"$3" &
  TAP_PID=$!
}

# tap_next ID SECONDS WHAT: the next event of tap ID into TAP_EVENT (events of other taps are
# skipped); abort_test naming WHAT when none comes within SECONDS.
tap_next() {
  local deadline=$((SECONDS + $2)) line left
  while :; do
    left=$((deadline - SECONDS))
    [ "$left" -gt 0 ] || abort_test "$3: no sign from the process within $2 s"
    if IFS= read -r -t "$left" -u 9 line; then
      case $line in "$1 "*) TAP_EVENT=${line#"$1 "} && return 0 ;; esac
    fi
  done
}

# tap_wait_eof ID SECONDS WHAT: wait for tap ID's "eof" (the process's stderr closed), then for
# the awk itself.
tap_wait_eof() {
  while :; do
    tap_next "$1" "$2" "$3"
    [ "$TAP_EVENT" != eof ] || break
  done
  wait "$TAP_PID" 2>/dev/null || true
  TAP_PID=
}

sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; } # sleep_ms MS

# ---- start-up waits: long (a loaded 2-core machine, an ASan build), and they say what they
# waited for when they give up. A process that has to be up before the test goes on is polled
# for the sign that it is, never given a fixed time.
LIB_START_S=${QBDB_TEST_START_S:-120} # seconds a process may take to start

# wait_until SECONDS WHAT CMD...: run CMD every 0.1 s until it succeeds; abort_test "waited
# SECONDS s for WHAT" when it has not within SECONDS.
wait_until() {
  local limit=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || abort_test "waited $limit s for $what"
    sleep 0.1
  done
}

# wait_serving LOG PID WHAT: wait (at most LIB_START_S) until `qbdb serve` (PID, its stderr in
# LOG; start it with a fresh LOG, or the line of an earlier server may be read) names the URL it
# serves on: its port into PORT, the URL into URL. Returns 1 (LOG's text in SERVE_LOG) when the
# process exits first; abort_test naming WHAT, with LOG, when the time is up.
wait_serving() {
  local log=$1 pid=$2 what=$3 deadline=$((SECONDS + LIB_START_S))
  PORT='' URL='' SERVE_LOG=''
  while :; do
    # the shell may not have created LOG yet: no file is no line
    PORT=$(sed -n 's|^qbdb serving .* on http://[0-9.]*:\([0-9][0-9]*\)/.*|\1|p' "$log" 2>/dev/null |
      head -n 1) || true
    [ -z "$PORT" ] || break
    if ! kill -0 "$pid" 2>/dev/null; then
      SERVE_LOG=$(cat "$log" 2>/dev/null) || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      cat "$log" >&2 2>/dev/null || true
      abort_test "$what: waited $LIB_START_S s for qbdb serve to name its port in $log (above)"
    fi
    sleep 0.1
  done
  URL=http://127.0.0.1:$PORT
}

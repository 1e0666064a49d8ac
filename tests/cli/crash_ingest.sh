#!/usr/bin/env bash
# Crash consistency of `qbdb ingest`: kill -9 it N times (QBDB_CRASH_KILLS; 100, or 50 in an ASan
# build), each on a fresh copy of a small database, and check after each kill that the database
# is intact (integrity_check, foreign_key_check), that the run is entirely present (the counts of
# a clean ingest of the same file) or entirely absent, present when its COMMIT had returned, and
# that ingesting again stores it once (idempotent). docs/reliability.md, "Crash consistency and
# faults".
#
# The kill points come from what the process has done, never from the clock (issue 13), in turn:
#   stmt    K statements into the run's transaction. Its stderr (QBDB_SQL_PROFILE=1: a line per
#           statement) is a pipe read by lib.bash's tap, which stops the process (SIGSTOP) when
#           it reads the K-th line; the process cannot be more than a pipe (64 KiB) ahead of the
#           reader, and K leaves over 192 KiB of the transaction's trace (measured in a clean
#           run) after it: always during the transaction, at any speed.
#   write   on entering the n-th pwrite(2) after the transaction began (strace fault injection;
#           skipped when strace is missing or cannot trace): the WAL frames of the COMMIT, then
#           the checkpoint's writes, n counted in a traced clean run.
#   commit  just after the run's COMMIT returned (the tap stops it at the next trace line).
#   time    after a random 0-100% of the time a clean ingest took here (a random moment).
# Prints a line per kill and, at the end, how many landed before the transaction, during it,
# after the commit and after the process had exited.
source "$(dirname "$0")/lib.bash"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 CLI not installed"; exit 0; }

KILLS=${QBDB_CRASH_KILLS:-100}
if [[ "$(ldd "$QBDB" 2>/dev/null)" == *libasan* ]]; then # ~3x slower: fewer kills
  [ -n "${QBDB_CRASH_KILLS:-}" ] || KILLS=50
fi
WAIT=${QBDB_CRASH_WAIT_S:-300} # seconds any one wait may take before the test gives up (a 1 s step;
# 60 s once ran out beside stress-ng, an ASan make check and two builds: load 13 on 2 cores)
# seconds of kills at most: a machine so slow that the kills take longer makes fewer of them (at
# least two of each kind), rather than run into ctest's TIMEOUT (300 s)
BUDGET=${QBDB_CRASH_BUDGET_S:-180}
RANDOM=1234
T="timeout $WAIT"                     # every qbdb run is bounded too

# The input: a generated native file, 150 benchmarks x (100 raw samples + one memory value): its
# transaction is about 2,000 statements, 550 KB of trace.
gen() {
  awk -v nb="$1" -v ns="$2" 'BEGIN { srand(7);
    print "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"abcdef0123\",\"started_at\":\"2026-01-01T00:00:00Z\"}";
    for (b = 0; b < nb; b++) {
      s = "[";
      for (i = 0; i < ns; i++) s = s (i ? "," : "") sprintf("%.3f", 100 + b + rand() * 10);
      printf "{\"name\":\"bench/%d\",\"group\":\"g%d\",\"unit\":\"ns\",\"samples\":%s]}\n", b, b % 7, s;
      printf "{\"name\":\"bench/%d\",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":%d}\n", b, b + 1 } }'
}
gen 150 100 >"$TMP/big.jsonl"

# counts of one project's runs: runs|benchmarks with results|results|samples
counts() {
  sqlite3 "$1" "SELECT count(DISTINCT r.id), count(DISTINCT x.benchmark_id), count(x.id),
    coalesce(sum(ss.n), 0) FROM run r JOIN project p ON p.id = r.project_id
    LEFT JOIN result x ON x.run_id = r.id LEFT JOIN sample_set ss ON ss.result_id = x.id
    WHERE p.name = '$2'"
}
check_db() { # check_db DB WHAT: integrity and foreign keys
  local ic fk
  ic=$(sqlite3 "$1" 'PRAGMA integrity_check')
  fk=$(sqlite3 "$1" 'PRAGMA foreign_key_check')
  equals "$ic" "ok" "$2: integrity_check"
  equals "$fk" "" "$2: foreign_key_check"
}

PID= TAP_PID=
cleanup() { # the processes this script started, by their id
  [ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true
  [ -z "$TAP_PID" ] || kill "$TAP_PID" 2>/dev/null || true
}
trap cleanup EXIT
tap_init

# ---- calibration: a clean ingest, measured ----
# the base database: migrated, with one small run, so every kill hits the big run's ingest
run 0 $T "$QBDB" --db "$TMP/base.db" ingest "$DATA/native/minimal.jsonl"
base_counts=$(counts "$TMP/base.db" default)
# the reference: a clean ingest of the big file, its trace and its time
cp "$TMP/base.db" "$TMP/ref.db"
t0=$(date +%s%3N)
QBDB_SQL_PROFILE=1 $T "$QBDB" --db "$TMP/ref.db" ingest --project crash "$TMP/big.jsonl" \
  >/dev/null 2>"$TMP/ref.trace" || fail "clean ingest: exit $?: $(tail -3 "$TMP/ref.trace")"
clean_ms=$(($(date +%s%3N) - t0))
want=$(counts "$TMP/ref.db" crash)
equals "$want" "1|150|300|15150" "clean ingest counts"
# the transaction: its statements and, for each, the trace bytes that follow it up to the COMMIT;
# K_MAX is the last statement followed by more than 192 KiB (3 pipes' worth)
read -r n_stmts k_max < <(awk '
  !b && /^sql [0-9]+ us: BEGIN IMMEDIATE$/ { b = 1; n = 0; next }
  b && /^sql / { n++; len[n] = length($0) + 1; if ($0 ~ /^sql [0-9]+ us: COMMIT$/) exit }
  END { rest = 0; k = -1; for (i = n; i >= 1; i--) { rest += len[i]; if (rest > 196608 && k < 0) k = i - 1 }
        print n, k }' "$TMP/ref.trace")
[ "$k_max" -ge 0 ] || abort_test "the transaction's trace ($n_stmts statements) is too short for stmt kills"

# strace: the pwrite(2) calls of a clean ingest, from the first after BEGIN IMMEDIATE to the last
MODES=(stmt commit time stmt)
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
  cp "$TMP/base.db" "$TMP/st.db"
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 QBDB_SQL_PROFILE=1 $T strace -qq -s 64 \
    -o "$TMP/st.txt" -e trace=pwrite64,write "$QBDB" --db "$TMP/st.db" ingest --project crash \
    "$TMP/big.jsonl" >/dev/null 2>&1 || fail "clean ingest under strace: exit $?"
  read -r p_first p_total < <(awk '/^pwrite64\(/ { p++ } /BEGIN IMMEDIATE/ && !f { f = p + 1 }
    END { print f + 0, p + 0 }' "$TMP/st.txt")
  [ "$p_first" -ge 1 ] && [ "$p_total" -ge "$p_first" ] ||
    abort_test "strace calibration: no pwrite64 after BEGIN IMMEDIATE ($p_first, $p_total)"
  MODES=(stmt write commit write time stmt)
  write_note="write kills at pwrite64 $p_first-$p_total"
else
  write_note="no write kills: strace is missing or cannot trace here"
fi
MIN_KILLS=$((2 * ${#MODES[@]}))
progress "clean ingest: ${clean_ms} ms, $n_stmts statements in its transaction (stmt kills at 0-$k_max);" \
  "$write_note; $KILLS kills: ${MODES[*]} in turn"

# ---- the kills ----
before=0 during=0 after=0 exited=0 overshoot=0
declare -A by_mode
for i in $(seq "$KILLS"); do
  if [ "$(elapsed_s)" -ge "$BUDGET" ]; then # a machine this slow gets fewer kills, not a timeout
    [ $((i - 1)) -ge "$MIN_KILLS" ] || abort_test "time budget of $BUDGET s spent after $((i - 1))" \
      "kills, fewer than the $MIN_KILLS needed"
    progress "time budget of $BUDGET s spent: $((i - 1)) of $KILLS kills made"
    KILLS=$((i - 1))
    break
  fi
  mode=${MODES[$(((i - 1) % ${#MODES[@]}))]}
  db=$TMP/work.db
  rm -f "$db" "$db-wal" "$db-shm" "$TMP/fifo" "$TMP/trace"
  cp "$TMP/base.db" "$db"
  mkfifo "$TMP/fifo"
  trig=none k=0
  case $mode in
    stmt) k=$((RANDOM % (k_max + 1))) trig=stmt arg="statement $k" ;;
    commit) trig=commit arg="after COMMIT" ;;
    time) k=$((RANDOM % (clean_ms + 1))) arg="$k ms" ;;
    write) k=$((p_first + RANDOM % (p_total - p_first + 1))) arg="pwrite $k of $p_total" ;;
  esac
  what="kill $i/$KILLS ($mode: $arg)"
  if [ "$mode" = write ]; then
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 QBDB_SQL_PROFILE=1 \
      strace -qq -o /dev/null -e trace=pwrite64 -e inject=pwrite64:signal=KILL:when="$k" \
      "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl" >/dev/null 2>"$TMP/fifo" &
  else
    QBDB_SQL_PROFILE=1 "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl" \
      >/dev/null 2>"$TMP/fifo" &
  fi
  PID=$!
  tap_start "$i" "$TMP/fifo" "$TMP/log" "$TMP/trace" "" "$trig" "$k" "$PID"
  TAP_EVENT=
  case $mode in
    stmt | commit)
      tap_next "$i" "$WAIT" "$what: waiting for the trace to reach the kill point"
      [ "$TAP_EVENT" = eof ] || kill -9 "$PID" 2>/dev/null || true
      ;;
    time)
      sleep_ms "$k"
      kill -9 "$PID" 2>/dev/null || true
      ;;
  esac
  st=0
  if [ "$mode" != write ]; then # killed (or ended): reaped at once, before bash reports it
    wait "$PID" 2>/dev/null || st=$?
  fi
  [ "$TAP_EVENT" = eof ] || tap_wait_eof "$i" "$WAIT" "$what: waiting for the process to end"
  if [ "$mode" = write ]; then # strace ended with its tracee (exit status 128 + 9 when killed)
    wait "$PID" 2>/dev/null || st=$?
  fi
  PID=
  # the database as the kill left it (sqlite3 recovers the WAL, as qbdb would)
  check_db "$db" "$what"
  got=$(counts "$db" crash)
  if [ "$got" == "0|0|0|0" ]; then
    if grep -q 'BEGIN IMMEDIATE' "$TMP/trace"; then outcome=during; else outcome=before; fi
    # a commit that finished (traced after it returned) must have stuck
    grep -q ': COMMIT$' "$TMP/trace" && fail "$what: the run was committed but is absent"
  else
    equals "$got" "$want" "$what: the run is entirely present"
    if [ "$st" = 137 ]; then outcome=after; else outcome=exited; fi
  fi
  case $outcome in
    before) before=$((before + 1)) ;; during) during=$((during + 1)) ;;
    after) after=$((after + 1)) ;; exited) exited=$((exited + 1)) ;;
  esac
  by_mode[$mode]="${by_mode[$mode]:-} $outcome"
  if [ "$mode" = stmt ]; then # how far past statement K the process got before it stopped
    reached=$(awk '!b && /BEGIN IMMEDIATE$/ { b = 1; next } b && /^sql / { n++ } END { print n + 0 }' "$TMP/trace")
    [ $((reached - k)) -le "$overshoot" ] || overshoot=$((reached - k))
    [ "$outcome" = during ] || fail "$what: landed $outcome the transaction, not during it"
  fi
  [ "$mode" != commit ] || [ "$outcome" = after ] || [ "$outcome" = exited ] ||
    fail "$what: the COMMIT had returned, yet the kill left the run $outcome"
  equals "$(counts "$db" default)" "$base_counts" "$what: the earlier run is untouched"
  # ingest again: stores the run once, or names the one the killed ingest stored
  run 0 $T "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl"
  case "$OUT" in
    "stored run 2:"* | "already stored as run 2"*) ;;
    *) fail "$what: re-ingest: $OUT" ;;
  esac
  run 0 $T "$QBDB" --db "$db" ingest --project crash "$TMP/big.jsonl"
  contains "$OUT" "already stored as run 2" "$what: idempotent"
  equals "$(counts "$db" crash)" "$want" "$what: after re-ingest"
  check_db "$db" "$what: after re-ingest"
  progress "$what: $outcome"
done
for m in $(printf '%s\n' "${!by_mode[@]}" | sort); do
  echo "  $m kills:$(printf '%s\n' ${by_mode[$m]} | sort | uniq -c | awk '{ printf " %s %s", $2, $1 }')"
done
echo "kills: $KILLS, before the transaction: $before, during it: $during," \
  "after the commit: $after, after exit: $exited; stmt kills stopped at most $overshoot" \
  "statements past K; $(elapsed_s) s"
[ "$during" -gt 0 ] || fail "no kill landed during the transaction"
finish

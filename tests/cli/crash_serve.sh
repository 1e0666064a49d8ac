#!/usr/bin/env bash
# Crash consistency of `qbdb serve`: upload a run with curl and kill -9 the server during the
# upload, N times (QBDB_CRASH_KILLS; 100, or 50 in an ASan build). After each kill: the database
# is intact (integrity_check, foreign_key_check), the run is entirely present or absent (present
# when the server had answered 201 or its COMMIT had returned), and after a restart the same
# upload retried with the same Idempotency-Key leaves exactly one run (replays answer 200).
# docs/reliability.md, "Crash consistency and faults".
#
# The kill points come from what the server has done, never from the clock (issue 13), in turn:
#   stmt    K statements into the upload's transaction: the server's stderr (QBDB_SQL_PROFILE=1)
#           is a pipe read by lib.bash's tap, which stops the server (SIGSTOP) at the K-th
#           statement after the upload's BEGIN IMMEDIATE; K leaves over 192 KiB of
#           the transaction's trace (measured on a clean upload) after it, 3 pipes' worth, so
#           the kill is during the transaction at any speed.
#   commit  just after the upload's COMMIT returned, before the answer.
#   time    after a random 0-100% of the time a clean upload took here (a random moment).
#   answer  once curl has the answer (201).
# Prints a line per kill and, at the end, how many landed before the transaction, during it,
# after the commit and after the answer.
source "$(dirname "$0")/lib.bash"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 CLI not installed"; exit 0; }
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }

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
MODES=(stmt commit time stmt answer time)
MIN_KILLS=$((2 * ${#MODES[@]}))

# the same generated native file as crash_ingest.sh: 150 benchmarks, 300 results
awk 'BEGIN { srand(7);
  print "{\"format\":\"qbdb-native\",\"version\":1,\"commit\":\"abcdef0123\",\"started_at\":\"2026-01-01T00:00:00Z\"}";
  for (b = 0; b < 150; b++) {
    s = "[";
    for (i = 0; i < 100; i++) s = s (i ? "," : "") sprintf("%.3f", 100 + b + rand() * 10);
    printf "{\"name\":\"bench/%d\",\"group\":\"g%d\",\"unit\":\"ns\",\"samples\":%s]}\n", b, b % 7, s;
    printf "{\"name\":\"bench/%d\",\"metric\":\"memory\",\"unit\":\"KiB\",\"value\":%d}\n", b, b + 1 } }' \
  >"$TMP/big.jsonl"
WANT="1|150|300|15150"

counts() { # counts PROJECT: runs|benchmarks with results|results|samples
  sqlite3 "$QBDB_DB" "SELECT count(DISTINCT r.id), count(DISTINCT x.benchmark_id), count(x.id),
    coalesce(sum(ss.n), 0) FROM run r JOIN project p ON p.id = r.project_id
    LEFT JOIN result x ON x.run_id = r.id LEFT JOIN sample_set ss ON ss.result_id = x.id
    WHERE p.name = '$1'"
}

TOKEN=$(timeout "$WAIT" "$QBDB" token create --scope admin --name crash 2>/dev/null)
SERVER_PID= TAP_PID= CURL_PID=
cleanup() { # the processes this script started, by their id
  [ -z "$CURL_PID" ] || kill "$CURL_PID" 2>/dev/null || true
  [ -z "$SERVER_PID" ] || kill -9 "$SERVER_PID" 2>/dev/null || true
  [ -z "$TAP_PID" ] || kill "$TAP_PID" 2>/dev/null || true
}
trap cleanup EXIT
tap_init

# start_server ID TRIGGER K: qbdb serve on a free port (port 0; URL from its banner), its stderr
# through the tap: the lines from "tap arm ID" on (arm ID writes it) go to $TMP/trace-ID, where
# TRIGGER/K stop the server (lib.bash, tap_start)
start_server() {
  rm -f "$TMP/fifo"
  mkfifo "$TMP/fifo"
  QBDB_SQL_PROFILE=1 "$QBDB" serve --db "$QBDB_DB" --listen 127.0.0.1:0 >/dev/null 2>"$TMP/fifo" &
  SERVER_PID=$!
  tap_start "$1" "$TMP/fifo" "$TMP/serve-$1.log" "$TMP/trace-$1" "tap arm $1" "$2" "$3" \
    "$SERVER_PID"
  tap_next "$1" "$WAIT" "starting qbdb serve ($1)"
  case $TAP_EVENT in
    "ready "*) URL=${TAP_EVENT#ready } ;;
    *) abort_test "qbdb serve ($1) did not start: $(tail -5 "$TMP/serve-$1.log")" ;;
  esac
}
# arm ID: mark the start of what the tap of server ID follows, in the server's own stderr pipe:
# the lines the server wrote before (the previous retry and replay) come before it, and the idle
# server writes nothing until the next request
arm() { echo "tap arm $1" >"$TMP/fifo"; }
# kill_server ID WHAT: kill -9 the server, wait for it and for its tap
kill_server() {
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  [ "$TAP_EVENT" = eof ] || tap_wait_eof "$1" "$WAIT" "$2: waiting for the killed server's log"
}
# stop_server ID WHAT: SIGTERM; the server has ended when its stderr closes (bounded wait)
stop_server() {
  kill -TERM "$SERVER_PID"
  TAP_EVENT=
  tap_wait_eof "$1" "$WAIT" "$2"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
upload() { # upload PROJECT KEY: prints the HTTP status (000 when the connection broke)
  curl -s --max-time "$WAIT" -o "$TMP/answer" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H "Idempotency-Key: $2" --data-binary @"$TMP/big.jsonl" "$URL/api/v1/runs?project=$1" || true
}
# the trigger and K of kill I (K_MAX from the clean upload)
plan() {
  PLAN_MODE=${MODES[$((($1 - 1) % ${#MODES[@]}))]}
  case $PLAN_MODE in
    stmt) PLAN_TRIG=stmt PLAN_K=$((RANDOM % (K_MAX + 1))) ;;
    commit) PLAN_TRIG=commit PLAN_K=0 ;;
    time) PLAN_TRIG=none PLAN_K=$((RANDOM % (CLEAN_MS + 1))) ;;
    answer) PLAN_TRIG=none PLAN_K=0 ;;
  esac
}

# ---- calibration: a clean upload, measured, on a server stopped afterwards ----
start_server 0 none 0
arm 0
t0=$(date +%s%3N)
equals "$(upload clean clean-key)" 201 "clean upload"
CLEAN_MS=$(($(date +%s%3N) - t0))
equals "$(counts clean)" "$WANT" "clean upload counts"
stop_server 0 "stopping the first server"
read -r n_stmts K_MAX < <(awk '
  !b && /^sql [0-9]+ us: BEGIN IMMEDIATE$/ { b = 1; n = 0; next }
  b && /^sql / { n++; len[n] = length($0) + 1; if ($0 ~ /^sql [0-9]+ us: COMMIT$/) exit }
  END { rest = 0; k = -1; for (i = n; i >= 1; i--) { rest += len[i]; if (rest > 196608 && k < 0) k = i - 1 }
        print n, k }' "$TMP/trace-0")
[ "$K_MAX" -ge 0 ] || abort_test "the upload's trace ($n_stmts statements) is too short for stmt kills"
progress "clean upload: ${CLEAN_MS} ms, $n_stmts statements in its transaction (stmt kills at" \
  "0-$K_MAX); $KILLS kills: ${MODES[*]} in turn"

# ---- the kills ----
before=0 during=0 after=0 answered=0 starts=1
declare -A by_mode
plan 1
start_server 1 "$PLAN_TRIG" "$PLAN_K"
starts=$((starts + 1))
for i in $(seq "$KILLS"); do
  if [ "$(elapsed_s)" -ge "$BUDGET" ]; then # a machine this slow gets fewer kills, not a timeout
    [ $((i - 1)) -ge "$MIN_KILLS" ] || abort_test "time budget of $BUDGET s spent after $((i - 1))" \
      "kills, fewer than the $MIN_KILLS needed"
    progress "time budget of $BUDGET s spent: $((i - 1)) of $KILLS kills made"
    KILLS=$((i - 1))
    break
  fi
  mode=$PLAN_MODE k=$PLAN_K
  case $mode in
    stmt) arg="statement $k" ;; commit) arg="after COMMIT" ;; time) arg="$k ms" ;;
    answer) arg="after the answer" ;;
  esac
  what="kill $i/$KILLS ($mode: $arg)"
  arm "$i"
  upload "p$i" "key-$i" >"$TMP/status" &
  CURL_PID=$!
  TAP_EVENT=
  case $mode in
    stmt | commit) tap_next "$i" "$WAIT" "$what: waiting for the upload's trace to reach the kill point" ;;
    time) sleep_ms "$k" ;;
    answer) wait "$CURL_PID" || true ;; # bounded: curl --max-time
  esac
  kill_server "$i" "$what"
  wait "$CURL_PID" || true
  CURL_PID=
  status=$(cat "$TMP/status")
  what="$what, status $status"
  # the database as the kill left it
  equals "$(sqlite3 "$QBDB_DB" 'PRAGMA integrity_check')" "ok" "$what: integrity_check"
  equals "$(sqlite3 "$QBDB_DB" 'PRAGMA foreign_key_check')" "" "$what: foreign_key_check"
  got=$(counts "p$i")
  trace=$TMP/trace-$i
  touch "$trace"
  if [ "$got" == "0|0|0|0" ]; then
    if grep -q 'BEGIN IMMEDIATE' "$trace"; then outcome=during; else outcome=before; fi
    [ "$status" != 201 ] || fail "$what: answered 201 but the run is absent"
    grep -q ': COMMIT$' "$trace" && fail "$what: the run was committed but is absent"
  else
    equals "$got" "$WANT" "$what: the run is entirely present"
    if [ "$status" = 201 ]; then outcome=answered; else outcome=after; fi
  fi
  case $outcome in
    before) before=$((before + 1)) ;; during) during=$((during + 1)) ;;
    after) after=$((after + 1)) ;; answered) answered=$((answered + 1)) ;;
  esac
  by_mode[$mode]="${by_mode[$mode]:-} $outcome"
  case $mode in
    stmt) [ "$outcome" = during ] || fail "$what: landed $outcome the transaction, not during it" ;;
    commit) [ "$outcome" = after ] || [ "$outcome" = answered ] ||
      fail "$what: the COMMIT had returned, yet the kill left the run $outcome" ;;
    answer) [ "$outcome" = answered ] || fail "$what: killed after the answer, yet $outcome" ;;
  esac
  rm -f "$TMP/serve-$i.log" "$trace"
  # restart (the server of the next kill); the retried upload stores the run once (201) or
  # finds it (200)
  if [ "$i" -lt "$KILLS" ]; then
    plan $((i + 1))
    start_server $((i + 1)) "$PLAN_TRIG" "$PLAN_K"
  else
    start_server $((i + 1)) none 0
  fi
  starts=$((starts + 1))
  st=$(upload "p$i" "key-$i")
  case "$st" in 200 | 201) ;; *) fail "$what: retry answered $st: $(cat "$TMP/answer")" ;; esac
  equals "$(upload "p$i" "key-$i")" 200 "$what: replay"
  equals "$(counts "p$i")" "$WANT" "$what: one run after the retry"
  progress "$what: $outcome"
done
stop_server $((KILLS + 1)) "stopping the last server"
equals "$(sqlite3 "$QBDB_DB" 'PRAGMA integrity_check')" "ok" "integrity_check at the end"
equals "$(sqlite3 "$QBDB_DB" 'SELECT count(*) FROM run')" "$((KILLS + 1))" "runs at the end"
for m in $(printf '%s\n' "${!by_mode[@]}" | sort); do
  echo "  $m kills:$(printf '%s\n' ${by_mode[$m]} | sort | uniq -c | awk '{ printf " %s %s", $2, $1 }')"
done
echo "server kills: $KILLS, before the transaction: $before, during it: $during, after the" \
  "commit: $after, after the answer: $answered; $starts server starts; $(elapsed_s) s"
[ "$during" -gt 0 ] || fail "no kill landed during the transaction"
finish

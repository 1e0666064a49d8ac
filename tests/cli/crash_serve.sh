#!/usr/bin/env bash
# Crash consistency of `qbdb serve`: upload a run with curl, kill -9 the server at a seeded
# random moment of the upload, N times (100; set QBDB_CRASH_KILLS to change). After each kill:
# the database is intact (integrity_check, foreign_key_check), the run is entirely present or
# absent (and present when the server had answered 201), and after a restart the same upload
# retried with the same Idempotency-Key leaves exactly one run (replays answer 200).
# docs/reliability.md, "Crash consistency and faults"
source "$(dirname "$0")/lib.bash"
command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 CLI not installed"; exit 0; }
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }

KILLS=${QBDB_CRASH_KILLS:-100}
MAX_MS=${QBDB_CRASH_MAX_MS:-30}
if [[ "$(ldd "$QBDB" 2>/dev/null)" == *libasan* ]]; then # ~3x slower: fewer kills, spread wider
  [ -n "${QBDB_CRASH_KILLS:-}" ] || KILLS=50
  [ -n "${QBDB_CRASH_MAX_MS:-}" ] || MAX_MS=90
fi
RANDOM=1234

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

TOKEN=$("$QBDB" token create --scope admin --name crash 2>/dev/null)
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
starts=0
start_server() { # on a random free port, statements traced to $TMP/serve.log
  for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 30000))
    QBDB_SQL_PROFILE=1 "$QBDB" serve --db "$QBDB_DB" --listen "127.0.0.1:$PORT" \
      >"$TMP/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 500); do
      curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.01
    done
    if curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1; then
      starts=$((starts + 1))
      URL="http://127.0.0.1:$PORT"
      return 0
    fi
    stop_server
  done
  cat "$TMP/serve.log" >&2
  echo "FAIL: qbdb serve did not start" >&2
  exit 1
}
upload() { # upload PROJECT KEY: prints the HTTP status (000 when the connection broke)
  curl -s -o "$TMP/answer" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H "Idempotency-Key: $2" --data-binary @"$TMP/big.jsonl" "$URL/api/v1/runs?project=$1" || true
}

start_server
# a clean upload: the reference counts
equals "$(upload clean clean-key)" 201 "clean upload"
equals "$(counts clean)" "$WANT" "clean upload counts"

before=0 during=0 after=0 answered=0
t0=$(date +%s%N)
for i in $(seq "$KILLS"); do
  what="kill $i"
  mark=$(wc -l <"$TMP/serve.log")
  upload "p$i" "key-$i" >"$TMP/status" &
  cpid=$!
  delay=$((RANDOM % (MAX_MS + 1)))
  sleep "$(printf '0.%03d' "$delay")"
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  wait "$cpid" || true
  status=$(cat "$TMP/status")
  what="kill $i after $delay ms (status $status)"
  # the database as the kill left it
  equals "$(sqlite3 "$QBDB_DB" 'PRAGMA integrity_check')" "ok" "$what: integrity_check"
  equals "$(sqlite3 "$QBDB_DB" 'PRAGMA foreign_key_check')" "" "$what: foreign_key_check"
  got=$(counts "p$i")
  tail -n +"$((mark + 1))" "$TMP/serve.log" >"$TMP/trace"
  if [ "$got" == "0|0|0|0" ]; then
    if grep -q 'BEGIN IMMEDIATE' "$TMP/trace"; then during=$((during + 1)); else before=$((before + 1)); fi
    [ "$status" != 201 ] || fail "$what: answered 201 but the run is absent"
  else
    equals "$got" "$WANT" "$what: the run is entirely present"
    if [ "$status" = 201 ]; then answered=$((answered + 1)); else after=$((after + 1)); fi
  fi
  # restart; the retried upload stores the run once (201) or finds it (200)
  start_server
  st=$(upload "p$i" "key-$i")
  case "$st" in 200 | 201) ;; *) fail "$what: retry answered $st: $(cat "$TMP/answer")" ;; esac
  equals "$(upload "p$i" "key-$i")" 200 "$what: replay"
  equals "$(counts "p$i")" "$WANT" "$what: one run after the retry"
done
t1=$(date +%s%N)
stop_server
equals "$(sqlite3 "$QBDB_DB" 'PRAGMA integrity_check')" "ok" "integrity_check at the end"
equals "$(sqlite3 "$QBDB_DB" 'SELECT count(*) FROM run')" "$((KILLS + 1))" "runs at the end"
echo "server kills: $KILLS (0-$MAX_MS ms after the upload began), before the transaction:" \
  "$before, during it: $during, after the commit: $after, after the answer: $answered;" \
  "$starts server starts; $(((t1 - t0) / 1000000)) ms"
[ "$during" -gt 0 ] || fail "no kill landed during the transaction"
finish

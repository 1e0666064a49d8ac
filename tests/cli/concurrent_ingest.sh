#!/usr/bin/env bash
# End to end: `qbdb ingest` and `qbdb serve` uploads at the same time on one database file.
# A running server takes 6 x 30 curl uploads in parallel while three loops of `qbdb ingest`
# (25 runs each) write the same file: SQLite's WAL and busy timeout make them wait for each
# other, so no "database is locked" reaches anyone, every upload is answered 201 and every
# ingest exits 0, and afterwards exactly the 255 runs are stored and the file is intact. On
# PostgreSQL (the _pg twin) the same writers meet in the server's transactions instead.
source "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }

N_CLIENTS=6 N_UPLOADS=30 N_LOOPS=3 N_INGESTS=25
TOK=$("$QBDB" token create --scope admin --name ci 2>/dev/null)
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
"$QBDB" serve --listen 127.0.0.1:0 --threads 4 >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
wait_serving "$TMP/serve.log" "$SERVER_PID" "starting qbdb serve --threads 4" ||
  abort_test "qbdb serve exited at start: $SERVE_LOG"
URL="http://127.0.0.1:$PORT/api/v1/runs"

# native runs, each distinct: a benchmark per writer, samples by index
doc() { # doc PROJECT NAME I
  printf '{"format":"qbdb-native","version":1,"project":"%s"}\n' "$1"
  printf '{"name":"%s","unit":"ns","samples":[%d,%d,%d,%d,%d]}\n' "$2" $((100 + $3)) \
    $((101 + $3)) $((102 + $3)) $((103 + $3)) $((104 + $3))
}
uploader() { # uploader K: N_UPLOADS uploads; one line per answer: STATUS BODY
  local k=$1 i
  for i in $(seq "$N_UPLOADS"); do
    doc up "client_$k" "$i" >"$TMP/up_$k.jsonl"
    curl -s -o "$TMP/up_$k.ans" -w '%{http_code} ' -H "Authorization: Bearer $TOK" \
      --data-binary @"$TMP/up_$k.jsonl" "$URL" >>"$TMP/up_$k.out" || echo "curl failed" >>"$TMP/up_$k.out"
    cat "$TMP/up_$k.ans" >>"$TMP/up_$k.out"
    echo >>"$TMP/up_$k.out"
  done
}
ingester() { # ingester K: N_INGESTS runs of `qbdb ingest`; exit codes and stderr collected
  local k=$1 i
  for i in $(seq "$N_INGESTS"); do
    doc cli "loop_$k" "$i" >"$TMP/in_$k.jsonl"
    "$QBDB" ingest "$TMP/in_$k.jsonl" >/dev/null 2>>"$TMP/in_$k.err" || echo "exit $?" >>"$TMP/in_$k.err"
  done
}
pids=()
for k in $(seq "$N_CLIENTS"); do uploader "$k" & pids+=($!); done
for k in $(seq "$N_LOOPS"); do ingester "$k" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
stop_server

all_out=$(cat "$TMP"/up_*.out "$TMP"/in_*.err "$TMP/serve.log" 2>/dev/null)
case "$all_out" in *locked* | *busy* | *BUSY*) fail "a lock error reached a user: $(grep -h -i -e locked -e busy "$TMP"/up_*.out "$TMP"/in_*.err "$TMP/serve.log")" ;; esac
equals "$(cat "$TMP"/up_*.out | grep -c '^201 ')" $((N_CLIENTS * N_UPLOADS)) "uploads answered 201"
equals "$(cat "$TMP"/in_*.err 2>/dev/null | wc -l | tr -d ' ')" 0 "ingests without an error"
run 0 "$QBDB" runs --project up --limit 100000 --format json
equals "$(jq length <<<"$OUT")" $((N_CLIENTS * N_UPLOADS)) "uploaded runs stored"
run 0 "$QBDB" runs --project cli --limit 100000 --format json
equals "$(jq length <<<"$OUT")" $((N_LOOPS * N_INGESTS)) "ingested runs stored"
# each writer's runs, none twice
for k in $(seq "$N_CLIENTS"); do
  run 0 "$QBDB" trend --project up --format json "client_$k"
  equals "$(jq '.points | length' <<<"$OUT")" "$N_UPLOADS" "client_$k points"
done
# SQLite's checks of its file (PostgreSQL enforces its foreign keys as it writes)
if sqlite_only "PRAGMA integrity_check and foreign_key_check" && command -v sqlite3 >/dev/null; then
  equals "$(db_sql "$QBDB_DB" 'PRAGMA integrity_check')" ok "integrity_check"
  equals "$(db_sql "$QBDB_DB" 'PRAGMA foreign_key_check' | wc -l | tr -d ' ')" 0 "foreign keys"
fi
finish

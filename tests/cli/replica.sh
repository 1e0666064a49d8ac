#!/usr/bin/env bash
# Reads from a streaming replica (docs/deploy.md, "Reads from replicas"): a private PostgreSQL
# primary and a hot standby of it (tests/pg/cluster.sh start / replica), server A on the primary
# and server B on the standby. Runs uploaded through A are read through B once replayed there,
# and every read (runs, compare with its verdict header, grade, trend, regressions) answers
# what A answers. A write sent to B is 503 "unavailable" with Retry-After and a message that
# names the standby, and stores nothing; the CLI on the standby reads, and a detection there
# (a write) exits 5 with that message. A server on a standby whose schema is behind this qbdb's
# (it cannot migrate there) refuses to start, exit 5, saying so.
#
# Only on PostgreSQL: it runs as cli_replica_pg (CMakeLists.txt, QB_CLI_PG_TWINS), with
# clusters of its own (the shared one is used by other tests at the same time). Every wait is
# for a condition, bounded by QBDB_REPLICA_WAIT_S (300 s), and says what it waited for.
HERE=$(cd "$(dirname "$0")" && pwd) # lib.bash moves to TMP
source "$HERE/lib.bash"
if ! on_pg; then
  echo "skipped: needs PostgreSQL (runs as cli_replica_pg)"
  exit 0
fi
for c in curl jq psql; do
  command -v "$c" >/dev/null || {
    echo "skipped: $c not installed"
    exit 0
  }
done
unset GITHUB_BASE_REF CI_MERGE_REQUEST_TARGET_BRANCH_NAME BITBUCKET_PR_DESTINATION_BRANCH \
  SYSTEM_PULLREQUEST_TARGETBRANCH CHANGE_TARGET GITHUB_STEP_SUMMARY QBDB_TOKEN

WAIT=${QBDB_REPLICA_WAIT_S:-300}
CLUSTER_SH=$(realpath "$HERE/../pg/cluster.sh")
PRIM=/tmp/qbdb-rp-$$
STBY=/tmp/qbdb-rs-$$
declare -A SPID SURL
cleanup() {
  local p
  for p in "${SPID[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${SPID[@]}"; do wait "$p" 2>/dev/null || true; done
  bash "$CLUSTER_SH" stop "$STBY" >/dev/null 2>&1 || true
  bash "$CLUSTER_SH" stop "$PRIM" >/dev/null 2>&1 || true
}
trap cleanup EXIT

start_server() { # start_server NAME DB: SPID[NAME], SURL[NAME]
  local name=$1 db=$2
  : >"$TMP/serve-$name.log"
  "$QBDB" serve --db "$db" --listen 127.0.0.1:0 --threads 2 --max-expensive 2 >/dev/null \
    2>"$TMP/serve-$name.log" &
  SPID[$name]=$!
  wait_serving "$TMP/serve-$name.log" "${SPID[$name]}" "starting server $name" ||
    abort_test "server $name exited at start: $SERVE_LOG"
  SURL[$name]=$URL
}

progress "a primary and a hot standby of it"
bash "$CLUSTER_SH" start "$PRIM" || abort_test "could not start the primary in $PRIM"
psql -X -q -v ON_ERROR_STOP=1 "$(cat "$PRIM/url")" -c "CREATE DATABASE qr" >/dev/null
PDB="postgresql:///qr?host=$PRIM&user=postgres"
SDB="postgresql:///qr?host=$STBY&user=postgres"
TOK=$("$QBDB" --db "$PDB" token create --scope write --project py --name ci 2>/dev/null) ||
  abort_test "token create on the primary failed"
bash "$CLUSTER_SH" replica "$STBY" "$PRIM" || abort_test "could not start the standby in $STBY"
equals "$(psql -X -At "$SDB" -c 'SELECT pg_is_in_recovery()')" t "the standby is in recovery"

start_server A "$PDB"
start_server B "$SDB" # the schema is there: opening a current database writes nothing

post() { # post SERVER COMMIT FILE: status into ST, body into BODY (headers in $TMP/h)
  ST=$(curl -s -o "$TMP/body" -D "$TMP/h" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    --data-binary @"$3" "${SURL[$1]}/api/v1/runs?project=py&branch=main&commit=$2")
  BODY=$(cat "$TMP/body")
}
post A aaaa1111 "$DATA/pytest/run1/benchmark.json"
equals "$ST" 201 "first upload through A: $BODY"
post A bbbb2222 "$DATA/pytest/run2/benchmark.json"
equals "$ST" 201 "second upload through A: $BODY"

runs_on_b() { [ "$(curl -s "${SURL[B]}/api/v1/runs?project=py" | jq '.runs | length')" = 2 ]; }
wait_until "$WAIT" "both runs replayed on the standby and listed by B" runs_on_b

progress "every read answers on B what it answers on A"
for path in "/api/v1/runs?project=py" "/api/v1/runs/2" "/api/v1/runs/2/grade" \
  "/api/v1/compare?base=aaaa&head=bbbb" "/api/v1/compare?head=bbbb&format=markdown" \
  "/api/v1/trend?project=py&benchmark=test_scaled_slower" "/api/v1/regressions?all=true" \
  "/api/v1/benchmarks?project=py" "/api/v1/projects"; do
  a=$(curl -s -D "$TMP/ha" "${SURL[A]}$path")
  b=$(curl -s -D "$TMP/hb" "${SURL[B]}$path")
  grep -q '^HTTP/1.1 200' "$TMP/ha" || fail "A: GET $path: $(head -1 "$TMP/ha") $a"
  grep -q '^HTTP/1.1 200' "$TMP/hb" || fail "B: GET $path: $(head -1 "$TMP/hb") $b"
  equals "$b" "$a" "GET $path on the standby's server"
  equals "$(grep -i '^Qbdb-Verdict' "$TMP/hb" | tr -d '\r')" \
    "$(grep -i '^Qbdb-Verdict' "$TMP/ha" | tr -d '\r')" "the verdict header of GET $path"
done
contains "$(curl -s "${SURL[B]}/api/v1/compare?base=aaaa&head=bbbb")" '"verdict":"regression"' \
  "the standby's compare finds the regression"

progress "a write sent to B: 503 with the reason, nothing stored"
post B cccc3333 "$DATA/pytest/run1/benchmark.json"
equals "$ST" 503 "an upload through the standby's server: $BODY"
equals "$(jq -r .error.code <<<"$BODY")" unavailable "its error code"
contains "$BODY" "the database is a read-only standby; writes go to a server on the primary" \
  "its message"
grep -qi '^Retry-After: ' "$TMP/h" || fail "no Retry-After on the 503: $(cat "$TMP/h")"
equals "$(psql -X -At "$PDB" -c 'SELECT count(*) FROM run')" 2 "runs on the primary"
grep -q ' POST /api/v1/runs 503 ' "$TMP/serve-B.log" || fail "B did not log its 503"

progress "a standby behind this qbdb's schema: its server refuses to start, exit 5"
psql -X -q -v ON_ERROR_STOP=1 "$(cat "$PRIM/url")" -c "CREATE DATABASE qr_new" >/dev/null
replayed() { [ "$(psql -X -At "$(cat "$STBY/url")" -c "SELECT count(*) FROM pg_database WHERE datname = 'qr_new'")" = 1 ]; }
wait_until "$WAIT" "the new database replayed on the standby" replayed
run 5 "$QBDB" serve --db "postgresql:///qr_new?host=$STBY&user=postgres" --listen 127.0.0.1:0
contains "$ERR" "the database is a read-only standby at schema version 0 and this qbdb needs" \
  "serve on a standby without the schema"

progress "the CLI on the standby: reads work, a detection exits 5"
run 0 "$QBDB" --db "$SDB" compare aaaa bbbb
contains "$OUT" "regression" "compare on the standby"
run 5 "$QBDB" --db "$SDB" detect
one_line "$ERR" "detect on the standby"
contains "$ERR" "read-only standby" "detect on the standby"
finish

#!/usr/bin/env bash
# End to end: `qbdb serve` on a non-loopback address refuses to start without an active token
# unless --insecure (exit 2, one line); --cors-origin validation and behaviour; the access log
# and error answers never hold a token (docs/reliability.md, "Security").
source "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
# start_server LOG ARGS...: qbdb serve on an ephemeral port (port 0), $PORT from its first line;
# 1 (the server's output in $SERVE_LOG) when it exits instead
start_server() {
  local log=$1
  shift
  rm -f "$log" # a fresh log: never the line of an earlier server
  "$QBDB" serve "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  wait_serving "$log" "$SERVER_PID" "starting qbdb serve $*" && return 0
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  return 1
}

# 1. non-loopback without a token: refused, one line, nothing listening, no database made
run 2 "$QBDB" serve --listen 0.0.0.0:0
one_line "$ERR" "refusal is one line"
contains "$ERR" "--listen 0.0.0.0:0: not a loopback address" "refusal names the address"
contains "$ERR" "--insecure" "refusal names the way out"
[ ! -e "$QBDB_DB" ] || fail "the refusal created the database"
run 2 "$QBDB" serve --listen 192.0.2.1:0 --db "$QBDB_DB"
contains "$ERR" "not a loopback address" "another address"
# loopback is fine without a token: 127.0.0.1 and the rest of 127/8
for addr in 127.0.0.1 127.0.0.2; do
  start_server "$TMP/lo.log" --listen "$addr:0" || fail "loopback $addr refused: $(cat "$TMP/lo.log")"
  stop_server
done
# a revoked token does not count
TOK=$("$QBDB" token create --scope write --project p --name gone 2>/dev/null)
"$QBDB" token revoke 1 >/dev/null
run 2 "$QBDB" serve --listen 0.0.0.0:0
contains "$ERR" "no active token" "revoked token does not count"
# --insecure: started, with a warning
start_server "$TMP/insecure.log" --listen 0.0.0.0:0 --insecure ||
  fail "--insecure refused: $(cat "$TMP/insecure.log")"
contains "$(cat "$TMP/insecure.log")" "warning: --insecure" "insecure warns"
curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null || fail "--insecure server answers"
stop_server
# with an active token: started
TOK=$("$QBDB" token create --scope write --project p --name ci 2>/dev/null)
start_server "$TMP/tok.log" --listen 0.0.0.0:0 || fail "refused with a token: $(cat "$TMP/tok.log")"
case "$(cat "$TMP/tok.log")" in *warning*) fail "warning with a token" ;; esac

# 2. the log and the answers never hold the token, valid or not
URL="http://127.0.0.1:$PORT"
PY1="$DATA/pytest/run1/benchmark.json"
answers=
for t in "$TOK" "qbdb_$(printf '%064d' 7)" "$TOK"x; do
  answers+=$(curl -s -H "Authorization: Bearer $t" --data-binary @"$PY1" "$URL/api/v1/runs?project=p")
  answers+=$(curl -s -H "Authorization: Bearer $t" --data-binary @"$PY1" "$URL/api/v1/runs?project=q")
  answers+=$(curl -s -H "Authorization: Bearer $t" -X PATCH -d '{}' "$URL/api/v1/regressions/1")
  answers+=$(curl -s -H "Authorization: Basic $t" "$URL/api/v1/runs/42")
done
stop_server
LOG=$(cat "$TMP/tok.log")
contains "$LOG" "POST /api/v1/runs 201" "an upload was stored"
contains "$LOG" "POST /api/v1/runs 401" "bad tokens refused"
contains "$LOG" "POST /api/v1/runs 403" "other project refused"
for secret in "$TOK" "${TOK#qbdb_}" "$(printf '%064d' 7)" Authorization Bearer Basic; do
  case "$LOG" in *"$secret"*) fail "the log holds '$secret'" ;; esac
done
for secret in "$TOK" "${TOK#qbdb_}" "$(printf '%064d' 7)" Basic; do
  case "$answers" in *"$secret"*) fail "an answer holds '$secret'" ;; esac
done
# the database file (and its WAL) hold hashes only
for f in "$QBDB_DB" "$QBDB_DB-wal"; do
  [ -e "$f" ] || continue
  if grep -a -q -e "${TOK#qbdb_}" "$f"; then fail "$f holds the token's text"; fi
done
HASH=$(printf '%s' "$TOK" | sha256sum | cut -d' ' -f1)
grep -a -q -e "$HASH" "$QBDB_DB" "$QBDB_DB-wal" 2>/dev/null || fail "the token's sha256 is not stored"

# 3. CORS: off by default, exact origin with --cors-origin
run 2 "$QBDB" serve --cors-origin "*"
contains "$ERR" "--cors-origin '*'" "wildcard refused"
run 2 "$QBDB" serve --cors-origin "https://a.example/path"
run 2 "$QBDB" serve --cors-origin "https://a.example, https://b.example"
start_server "$TMP/nocors.log" --listen 127.0.0.1:0
H=$(curl -s -D - -o /dev/null -H "Origin: https://a.example" "http://127.0.0.1:$PORT/api/v1/health")
case "$H" in *[Aa]ccess-[Cc]ontrol-*) fail "CORS header by default: $H" ;; esac
stop_server
start_server "$TMP/cors.log" --listen 127.0.0.1:0 --cors-origin https://a.example:8443
H=$(curl -s -D - -o /dev/null -H "Origin: https://a.example:8443" "http://127.0.0.1:$PORT/api/v1/health")
contains "$H" "Access-Control-Allow-Origin: https://a.example:8443" "origin echoed"
H=$(curl -s -D - -o /dev/null -X OPTIONS -H "Origin: https://a.example:8443" \
  -H "Access-Control-Request-Method: PATCH" "http://127.0.0.1:$PORT/api/v1/regressions/1")
contains "$H" "204" "preflight"
contains "$H" "Access-Control-Allow-Methods: GET, POST, PATCH, OPTIONS" "preflight methods"
contains "$H" "Access-Control-Allow-Headers: Authorization" "preflight headers"
H=$(curl -s -D - -o /dev/null -H "Origin: https://evil.example" "http://127.0.0.1:$PORT/api/v1/health")
case "$H" in *[Aa]ccess-[Cc]ontrol-*) fail "CORS header for another origin: $H" ;; esac
stop_server
finish

#!/usr/bin/env bash
# End to end: `qbdb upload` against a real `qbdb serve` on 127.0.0.1 - stored runs, the verdict
# (compare with the previous run, grade), idempotent re-uploads, --fail-on, tokens (none,
# wrong project, $QBDB_TOKEN), bad data, standard input, a directory, an unreachable server.
source "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }

# libcurl is loaded with dlopen by `qbdb upload` only, so `qbdb serve` does not map it and its
# dependencies (docs/CONVENTIONS.md, "Libraries")
if command -v ldd >/dev/null; then
  if ldd "$QBDB" | grep -q libcurl; then fail "the qbdb binary links libcurl"; fi
fi

# tokens (printed once on stdout)
ADMIN=$("$QBDB" token create --scope admin --name ci 2>/dev/null)
OTHER=$("$QBDB" token create --scope write --project other --name other 2>/dev/null)

# the server, on a free port: try a few random ones
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
for try in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 30000))
  "$QBDB" serve --db "$QBDB_DB" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1 && break
  stop_server
done
[ -n "$SERVER_PID" ] || { cat "$TMP/serve.log" >&2; echo "FAIL: qbdb serve did not start" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
PY1="$DATA/pytest/run1/benchmark.json"
PY2="$DATA/pytest/run2/benchmark.json"
n_runs() { "$QBDB" runs --format json | jq length; }

# the first run: stored, nothing to compare with yet
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 5e1f0a7c \
  --tag net=lan "$PY1"
contains "$OUT" "stored run 1: $PY1 (pytest): project py, branch main, machine vm, commit 5e1f0a7c, 9 benchmarks, 9 results, 4066 samples" "first upload"
contains "$OUT" "compare: no earlier run on this branch" "nothing to compare"

# the second: compared with the first (the same verdict as qbdb compare), graded
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 "$PY2"
contains "$OUT" "stored run 2:" "second upload"
want=$("$QBDB" compare --project py --format json 1 2 | jq -r '"\(.summary.regressions) regressions (worst \(.summary.worst_regression))"')
contains "$OUT" "compare with run 1: $want" "verdict as qbdb compare"
contains "$OUT" "grade: " "graded"
equals "$(n_runs)" 2 "two runs stored"
run 0 "$QBDB" show --format json 1
equals "$(jq -r '.tags.net + "," + .commit' <<<"$OUT")" "lan,5e1f0a7c" "tag and commit sent"

# again: a replay, nothing new stored; --fail-on on the verdict
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 "$PY2"
contains "$OUT" "already stored as run 2:" "re-upload"
equals "$(n_runs)" 2 "re-upload stores nothing"
run 1 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 \
  --fail-on minor "$PY2"
contains "$ERR" "upload: run 2 ($PY2): a major regression (" "fail-on reason"
contains "$ERR" "--fail-on minor)" "fail-on names the threshold"
contains "$OUT" "already stored as run 2:" "fail-on still prints the run"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 \
  --fail-on critical "$PY2"

# json: the server's answers with the path
QBDB_TOKEN=$ADMIN run 0 "$QBDB" upload --server "$URL" --project py --commit 9d3b2c41 \
  --output json "$PY2"
equals "$(jq -c '.[0] | [.run.id, .existed, .status, .compare.base.id]' <<<"$OUT")" "[2,true,200,1]" "json answer"
equals "$(jq -r '.[0].path' <<<"$OUT")" "$PY2" "json path"

# standard input, another project
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py2 - <"$PY1"
contains "$OUT" "stored run 3: <stdin> (pytest): project py2" "stdin"

# tokens: none, another project's
run 2 "$QBDB" upload --server "$URL" --project py "$PY1"
contains "$ERR" "unauthorized (401)" "no token"
contains "$ERR" "no token given: use --token or \$QBDB_TOKEN" "no token hint"
run 2 "$QBDB" upload --server "$URL" --token "$OTHER" --project py "$PY1"
contains "$ERR" "forbidden (403)" "token of another project"
run 2 "$QBDB" upload --server "$URL" --token "not-a-token" --project py "$PY1"
contains "$ERR" "unauthorized (401)" "unknown token"

# bad data: refused by the server, nothing stored
run 3 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py "$DATA/cli/truncated.json"
contains "$ERR" "unprocessable (422)" "bad data"
equals "$(n_runs)" 3 "bad data stores nothing"

# refused before sending
run 2 "$QBDB" upload --server "$URL" --token "$ADMIN" "$DATA/criterion/run1/target"
contains "$ERR" "criterion directories" "directory"
run 2 "$QBDB" upload --server "$URL" --format criterion "$PY1"
run 4 "$QBDB" upload --server "$URL" --token "$ADMIN" "$TMP/missing.json"
contains "$ERR" "missing.json: no such file" "missing file"
run 2 "$QBDB" upload "$PY1"
contains "$ERR" "no --server" "no server"
run 2 "$QBDB" upload --server "$URL" --commit xyz "$PY1"
run 2 "$QBDB" upload --server "$URL" --tag novalue "$PY1"
run 2 "$QBDB" upload --server "$URL" --fail-on none "$PY1"
equals "$(n_runs)" 3 "usage errors store nothing"

# the server gone: retried, then exit 6 naming it
stop_server
run 6 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py "$PY1"
contains "$ERR" "upload to $URL: cannot reach the server" "unreachable"
contains "$ERR" "after 5 attempts" "all attempts made"

finish

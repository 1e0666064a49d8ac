#!/usr/bin/env bash
# End to end: `qbdb serve --notify-url` (docs/notify.md) - the flags and their usage errors, then
# the real binary posting to a small recording receiver (python3's http.server) on 127.0.0.1:
# run1 then run2 of tests/data/pytest give one notification (test_scaled_slower, major) and one
# log line; a replay gives none. The receiver part is skipped with a note without python3.
source "$(dirname "$0")/lib.bash"

# flags: help, usage errors (exit 2) before anything starts
run 0 "$QBDB" help serve
contains "$OUT" "--notify-url URL" "help names --notify-url"
contains "$OUT" "--notify-min-severity minor|moderate|major|critical" "help names the severities"
run 2 "$QBDB" serve --notify-url ftp://127.0.0.1/x
contains "$ERR" "--notify-url: expected an http:// or https:// URL" "not http"
run 2 "$QBDB" serve --notify-url http://127.0.0.1:9/x --notify-min-severity none
contains "$ERR" "--notify-min-severity 'none': expected minor, moderate, major or critical" "none"
run 2 "$QBDB" serve --notify-min-severity major
contains "$ERR" "--notify-min-severity needs --notify-url" "severity without URL"

command -v python3 >/dev/null || { echo "receiver part skipped: python3 not installed"; finish; exit 0; }
command -v curl >/dev/null || { echo "receiver part skipped: curl not installed"; finish; exit 0; }

# the receiver: appends each body (one line) to got.jsonl, answers 200; prints its port
cat >"$TMP/receiver.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[1], "ab") as f:
            f.write(self.path.encode() + b" " + self.headers["Content-Type"].encode() + b" " + body + b"\n")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
python3 "$TMP/receiver.py" "$TMP/got.jsonl" >"$TMP/receiver.port" &
RECEIVER_PID=$!
PIDS+=("$RECEIVER_PID")
receiver_up() { [ -s "$TMP/receiver.port" ] || ! kill -0 "$RECEIVER_PID" 2>/dev/null; }
wait_until "$LIB_START_S" "the receiver (python3) to print its port" receiver_up
RPORT=$(cat "$TMP/receiver.port")
[ -n "$RPORT" ] || abort_test "the receiver (python3) exited without printing its port"

ADMIN=$("$QBDB" token create --scope admin --name ci 2>/dev/null)
# port 0: the server picks a free port and names it in its first line on stderr
"$QBDB" serve --db "$QBDB_DB" --listen 127.0.0.1:0 \
  --notify-url "http://127.0.0.1:$RPORT/hook?key=SECRET" >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_serving "$TMP/serve.log" "$SERVER_PID" "starting qbdb serve --notify-url" ||
  abort_test "qbdb serve --notify-url exited at start: $SERVE_LOG"
URL="http://127.0.0.1:$PORT"
PY1="$DATA/pytest/run1/benchmark.json"
PY2="$DATA/pytest/run2/benchmark.json"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 5e1f0a7c "$PY1"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 "$PY2"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 "$PY2"
contains "$OUT" "already stored as run 2" "replay"
# the notification of run 2 is sent from a background thread: wait for the receiver to have it,
# then SIGTERM (a notification still waiting at the stop would have only the 2 s grace period)
got_one() { [ -s "$TMP/got.jsonl" ]; }
wait_until "$LIB_START_S" "the receiver to get the notification of run 2" got_one
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true

LOG=$(cat "$TMP/serve.log")
contains "$LOG" "qbdb: notifying http://127.0.0.1:$RPORT/hook of major+ regressions" "start line"
case "$LOG" in *SECRET*) fail "the query of the notify URL is logged" ;; esac
equals "$(grep -c '^notify POST ' "$TMP/serve.log")" 1 "one notification logged"
contains "$(grep '^notify POST ' "$TMP/serve.log")" \
  "notify POST http://127.0.0.1:$RPORT/hook 200 " "log line: URL and status"
contains "$(grep '^notify POST ' "$TMP/serve.log")" "run=2 attempts=1 sent" "log line: outcome"
equals "$(wc -l <"$TMP/got.jsonl")" 1 "one notification received"
read -r path ctype body <"$TMP/got.jsonl"
equals "$path" "/hook?key=SECRET" "posted to the URL as given"
equals "$ctype" "application/json" "content type"
equals "$(jq -r '.text' <<<"$body")" \
  "qbdb: 1 regression in py main@vm run 2 (commit 9d3b2c41): test_scaled_slower +21.9% (major)" "text"
equals "$(jq -c '[.project, .branch, .machine, .run.id, .run.commit]' <<<"$body")" \
  '["py","main","vm",2,"9d3b2c41"]' "run fields"
equals "$(jq -c '[.regressions[] | [.benchmark, .metric, .severity, .base_run, .head_run, .source]]' <<<"$body")" \
  '[["test_scaled_slower","latency","major",1,2,"compare"]]' "the regression"
close "$(jq '.regressions[0].change_pct' <<<"$body")" 21.94 0.001 "change_pct"
equals "$(jq -r '.grade.letter | length > 0' <<<"$body")" true "grade"

finish

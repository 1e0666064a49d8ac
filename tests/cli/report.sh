#!/usr/bin/env bash
# End to end: `qbdb report` on real `qbdb ingest` runs - the 12-run history of
# tests/data/history/gen_runs.sh (step +20% and tput -15% from run 9, both major), the pytest and
# criterion fixtures, then 8 more runs with a new step (flat +15% from run 15). Markdown, JSON and
# HTML to stdout and to files; "since the last report": the first report lists both steps, the
# next none, the one after the new runs only the new step; --no-record, --since, --from/--to,
# --project, --fail-on; --notify against a recording receiver, one that answers 500, a closed
# port and one that never answers (bounded time); usage errors.
source "$(dirname "$0")/lib.bash"

bash "$DATA/history/gen_runs.sh" "$TMP"
for f in "$TMP"/run*.jsonl; do run 0 "$QBDB" ingest "$f"; done
run 0 "$QBDB" target set --project hist 'st*' latency '<' 1.1us

# the help and the command list
run 0 "$QBDB" help report
contains "$OUT" "--since 24h|7d|DATE | --from RUN --to RUN" "help: the window options"
run 0 "$QBDB" --help
contains "$OUT" "report" "the command list names report"

# a preview: JSON, not recorded
run 0 "$QBDB" report --no-record --format json
J=$OUT
equals "$(jq -r '.report.recorded, .report.id, .report.window.kind' <<<"$J" | tr '\n' ' ')" \
  "false null since-last-report " "preview window"
equals "$(jq '.new_regressions | length' <<<"$J")" 2 "two new regressions"
equals "$(jq -r '[.new_regressions[] | .benchmark] | sort | join(",")' <<<"$J")" "step,tput" "which"
equals "$(jq -r '[.new_regressions[] | .severity] | unique | join(",")' <<<"$J")" major "severity"
equals "$(jq -r '[.new_regressions[] | .run_id] | unique | join(",")' <<<"$J")" 9 "first bad run"
equals "$(jq -r '[.new_regressions[] | .prev_commit + ".." + .commit] | unique | join(",")' <<<"$J")" \
  "10080068..10090075" "commit range"
close "$(jq '.new_regressions[] | select(.benchmark == "step") | .change_pct' <<<"$J")" 20 0.02 "step +20%"
close "$(jq '.new_regressions[] | select(.benchmark == "step") | .before' <<<"$J")" 1000 0.01 "before"
close "$(jq '.new_regressions[] | select(.benchmark == "step") | .after' <<<"$J")" 1200 0.01 "after"
close "$(jq '.new_regressions[] | select(.benchmark == "tput") | .change_pct' <<<"$J")" -15 0.02 "tput -15%"
equals "$(jq -r '.new_regressions[] | select(.benchmark == "tput") | .unit + " " + .direction' <<<"$J")" \
  "1/s higher" "units and direction"
equals "$(jq '.new_regressions[0].chart | (.values | length), .change_index' <<<"$J" | tr '\n' ' ')" \
  "12 8 " "chart: 12 points, the change at the 9th"
equals "$(jq '.summary.new_regressions.major, .summary.new_regressions.total, .summary.targets_broken' <<<"$J" | tr '\n' ' ')" \
  "2 2 1 " "summary counts"
equals "$(jq -r '.summary.grades[] | .project + " " + (.run_id | tostring)' <<<"$J")" "hist 12" "grade row"
equals "$(jq -r '.broken_targets[0] | .benchmark + " " + (.broken_runs | tostring) + "/" + (.checked_runs | tostring)' <<<"$J")" \
  "step 4/5" "the target is broken in 4 of the last 5 runs"
equals "$(jq -r '.scaling[] | .family + " " + .best' <<<"$J")" "size O(n log n)" "scaling fit"
equals "$(jq '.trends.series, .trends.counts.stable' <<<"$J" | tr '\n' ' ')" "6 6 " "trends"
contains "$(jq -r '.recommendations[] | .text' <<<"$J")" \
  "2 benchmarks regressed in the same commit range: look at commits 10080068..10090075 (step, tput)" \
  "recommendation: one commit range"
contains "$(jq -r '.recommendations[] | .text' <<<"$J")" "target step latency < 1.100 µs broken in 4 of the last 5 runs" \
  "recommendation: the target"

# the real fixtures, in their own projects
run 0 "$QBDB" ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
run 0 "$QBDB" ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
run 0 "$QBDB" ingest --project rs --commit cccc3333 "$DATA/criterion/run1/target/criterion"
run 0 "$QBDB" ingest --project rs --commit dddd4444 "$DATA/criterion/run2b_compare_baseline/target/criterion"

# the first nightly report: markdown to a file, recorded
run 0 "$QBDB" report --out "$TMP/r1.md"
equals "$OUT" "report #1: 2 new regressions (2 major), 0 new improvements, 0 still open, 1 target broken -> $TMP/r1.md" \
  "summary line"
MD=$(cat "$TMP/r1.md")
for h in "# qbdb report: all projects" "## Summary" "## New regressions" "## New improvements" \
  "## Still-open regressions" "## Broken targets" "## Trends" "## Scaling" "## Configurations" \
  "## Recommendations"; do
  contains "$MD" "$h" "markdown section '$h'"
done
contains "$MD" "| **major** | step | latency | hist/main/m1 | run 9, \`10080068..10090075\` | 1.000 µs | 1.200 µs | +19.9% |" \
  "markdown row of step"
contains "$MD" "| **major** | tput | throughput | hist/main/m1 | run 9, \`10080068..10090075\` |" "markdown row of tput"
contains "$MD" "| py | main | vm | 14 | \`bbbb2222\` |" "the pytest project is graded"
# Criterion's files name no machine: the runs are this host's (qbdb ingest's default)
HOST=$(hostname)
contains "$MD" "| rs | main | $HOST | 16 | \`dddd4444\` |" "the criterion project is graded"
contains "$MD" "| sort | latency | rs/main/$HOST | O(n log n)" "criterion's sort family"
contains "$MD" "Report #1." "the id"
[ -z "$(ls "$TMP"/r1.md.tmp* 2>/dev/null)" ] || fail "no temporary file left"

# the next night, nothing new: nothing listed twice; the two are still open
run 0 "$QBDB" report --format json
equals "$(jq '.report.id, .report.window.previous_report_id, (.new_regressions | length), (.new_improvements | length), (.open_regressions | length)' <<<"$OUT" | tr '\n' ' ')" \
  "2 1 0 0 2 " "second report: nothing new, two still open"
equals "$(jq -r '[.open_regressions[] | .benchmark] | sort | join(",")' <<<"$OUT")" "step,tput" "still open"

# 8 more runs: flat steps +15% from run 15
for r in $(seq 13 20); do
  awk -v r="$r" 'BEGIN {
    seed = r * 7919 + 17
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"hist\",\"branch\":\"main\",\"machine\":\"m1\",\"commit\":\"%04x%04x\",\"started_at\":\"2026-10-%02dT12:00:00Z\"}\n", 4096 + r, r * 13, r
    split("flat step tput", names, " ")
    for (b = 1; b <= 3; b++) {
      base = 1000; unit = "ns"; metric = "latency"
      if (names[b] == "flat" && r >= 15) base = 1150
      if (names[b] == "step") base = 1200
      if (names[b] == "tput") { base = 850; unit = "ops/s"; metric = "throughput" }
      printf "{\"name\":\"%s\",\"metric\":\"%s\",\"unit\":\"%s\",\"iterations\":100,\"samples\":[", names[b], metric, unit
      for (i = 0; i < 40; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        printf "%s%.6f", (i ? "," : ""), base * (1 + 0.01 * (seed / 2147483648.0 - 0.5))
      }
      printf "]}\n"
    }
  }' >"$TMP/more$r.jsonl"
  run 0 "$QBDB" ingest "$TMP/more$r.jsonl"
done

# the third: HTML to a file, only the new step
run 0 "$QBDB" report --format html --out "$TMP/r3.html"
contains "$OUT" "report #3: 1 new regression (1 major), 0 new improvements, 2 still open" "third summary"
H=$(cat "$TMP/r3.html")
contains "$H" "<!DOCTYPE html>" "html document"
contains "$H" 'data-benchmark="flat"' "the new step's row"
equals "$(grep -o '<tr class="change regression"' <<<"$H" | wc -l)" 1 "one new regression row"
equals "$(grep -o '<svg class="spark"' <<<"$H" | wc -l)" 1 "one chart"
case "$H" in *"src="* | *"href="* | *"<script"* | *"url("*) fail "the HTML refers to something outside itself" ;; esac
run 0 "$QBDB" report --format json --no-record --since 1h
equals "$(jq -r '[.new_regressions[] | .benchmark + "@" + (.run_id | tostring)] | sort | join(",")' <<<"$OUT")" \
  "flat@19,step@9,tput@9" "--since 1h: everything detected in the last hour (run 15 is id 19)"
equals "$(jq -r '.report.window.kind, .report.recorded' <<<"$OUT" | tr '\n' ' ')" "since false " "--since is not recorded"
run 0 "$QBDB" report --format json --no-record
equals "$(jq '.report.window.previous_report_id, (.new_regressions | length)' <<<"$OUT" | tr '\n' ' ')" \
  "3 0 " "a fourth report: nothing new again"

# windows: --since, --from/--to
run 0 "$QBDB" report --format json --since 2099-01-01
equals "$(jq '(.new_regressions | length), (.open_regressions | length)' <<<"$OUT" | tr '\n' ' ')" "0 3 " "--since the future"
run 0 "$QBDB" report --format json --from 8 --to 10
equals "$(jq -r '[.new_regressions[] | .benchmark] | sort | join(",")' <<<"$OUT")" "step,tput" "--from 8 --to 10"
equals "$(jq -r '.report.window | .kind + " " + (.from.run_id | tostring) + " " + .to.commit' <<<"$OUT")" \
  "range 8 100a0082" "the range in the JSON"
equals "$(jq -r '.report.project' <<<"$OUT")" hist "a range is scoped to its runs' project"
run 0 "$QBDB" report --format json --from 10080068 --to 10090075
equals "$(jq '.new_regressions | length' <<<"$OUT")" 2 "commits as references"
run 0 "$QBDB" report --format json --from 9 --to 12
equals "$(jq '.new_regressions | length' <<<"$OUT")" 0 "nothing stepped after run 9 up to 12"
run 0 "$QBDB" report --format markdown --from 12
contains "$OUT" "| **major** | flat | latency |" "--from alone: up to the newest run"
contains "$OUT" "changes in runs after 12" "the window in words"

# scope: a project's first report lists everything open in it
run 0 "$QBDB" report --project hist --format json
equals "$(jq '.report.id, .report.window.previous_report_id, (.new_regressions | length)' <<<"$OUT" | tr '\n' ' ')" \
  "4 null 3 " "first report of project hist"
run 0 "$QBDB" report --project py --format json --no-record
equals "$(jq '(.new_regressions | length), (.summary.grades | length)' <<<"$OUT" | tr '\n' ' ')" "0 1 " "project py"

# --fail-on
run 1 "$QBDB" report --no-record --since 1h --fail-on major --out "$TMP/f.md"
contains "$ERR" "report: 3 new regressions, the worst major (--fail-on major)" "--fail-on major"
[ -s "$TMP/f.md" ] || fail "--fail-on still writes the report"
run 0 "$QBDB" report --no-record --since 1h --fail-on critical --out "$TMP/f.md"

# --notify
if command -v python3 >/dev/null; then
  cat >"$TMP/receiver.py" <<'EOF'
import http.server, sys, time
mode = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if mode == "hang":
            time.sleep(3600)
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\n")
        self.send_response(200 if mode == "ok" else 500)
        self.end_headers()
        self.wfile.write(b"ok" if mode == "ok" else b"receiver broken")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
  PIDS=()
  cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
  trap cleanup EXIT
  start_receiver() { # start_receiver MODE: sets RPORT
    rm -f "$TMP/port"
    python3 "$TMP/receiver.py" "$TMP/got-$1.jsonl" "$1" >"$TMP/port" &
    RECEIVER_PID=$!
    PIDS+=("$RECEIVER_PID")
    wait_until "$LIB_START_S" "the receiver (python3, $1) to print its port" receiver_up
    RPORT=$(cat "$TMP/port")
    [ -n "$RPORT" ] || abort_test "the receiver (python3, $1) exited without printing its port"
  }
  receiver_up() { [ -s "$TMP/port" ] || ! kill -0 "$RECEIVER_PID" 2>/dev/null; }
  start_receiver ok
  run 0 "$QBDB" report --no-record --since 1h --out "$TMP/n.md" --notify "http://127.0.0.1:$RPORT/hook?key=SECRET"
  contains "$OUT" "notified http://127.0.0.1:$RPORT/hook (HTTP 200)" "notified, without the secret"
  BODY=$(head -n1 "$TMP/got-ok.jsonl")
  contains "$(jq -r .text <<<"$BODY")" "qbdb report: 3 new regressions (3 major)" "the text field"
  contains "$(jq -r .text <<<"$BODY")" "- major: step (latency) +19.9% to 1.200 µs, commits 10080068..10090075" "a line per regression"
  equals "$(jq '.new_regressions.major, (.worst | length)' <<<"$BODY" | tr '\n' ' ')" "3 3 " "the summary fields"

  start_receiver fail
  # its 4 attempts take 1.4 s of backoff: the bound is far above that, so that the last answer
  # is the receiver's 500 however slow the machine
  run 6 "$QBDB" report --no-record --since 1h --out "$TMP/n.md" --notify "http://127.0.0.1:$RPORT/hook" --notify-timeout 60
  one_line "$ERR" "a failed notification is one line"
  contains "$ERR" "qbdb: error: report: written, but the notification failed: notify http://127.0.0.1:$RPORT/hook: HTTP 500" \
    "a non-2xx answer is reported"
  [ -s "$TMP/n.md" ] || fail "the report is written although the notification failed"

  # the default window: recorded although the notification failed
  start_receiver hang
  t0=$(date +%s%N)
  run 6 "$QBDB" report --out "$TMP/n.md" --notify "http://127.0.0.1:$RPORT/hook" --notify-timeout 1.5
  ms=$((($(date +%s%N) - t0) / 1000000))
  # a loose bound: the report must not wait for the receiver (which holds the request an hour)
  [ "$ms" -lt 60000 ] || fail "a receiver that never answers held the report for $ms ms (limit 1.5 s)"
  contains "$ERR" "written and recorded, but the notification failed" "hang: reported"
  run 0 "$QBDB" report --format json --no-record
  equals "$(jq '.report.window.previous_report_id' <<<"$OUT")" 5 "the report was recorded (#5)"

  # a closed port; with --fail-on the regression wins and the failure is a warning
  run 1 "$QBDB" report --no-record --since 1h --fail-on minor --notify http://127.0.0.1:9/x --notify-timeout 1 --out "$TMP/n.md"
  contains "$ERR" "qbdb: warning: report: notification failed: notify http://127.0.0.1:9/x: cannot reach the receiver" \
    "warning with --fail-on"
  contains "$ERR" "qbdb: error: report: 3 new regressions" "and the --fail-on error"
else
  echo "notify part skipped: python3 not installed"
fi

# the output could not be written: exit 6, nothing recorded
run 0 "$QBDB" report --format json --no-record
before=$(jq '.report.window.previous_report_id' <<<"$OUT")
run 6 "$QBDB" report --out "$TMP/no/such/dir/r.md"
contains "$ERR" "$TMP/no/such/dir/r.md: cannot write" "unwritable --out"
run 0 "$QBDB" report --format json --no-record
equals "$(jq '.report.window.previous_report_id' <<<"$OUT")" "$before" "a report not written is not recorded"

# usage and lookup errors
run 2 "$QBDB" report --format pdf
contains "$ERR" "report: --format 'pdf': expected markdown, html or json" "bad format"
run 2 "$QBDB" report --since 1h --from 8
contains "$ERR" "--since and --from/--to are exclusive" "exclusive windows"
run 2 "$QBDB" report --since yesterday
contains "$ERR" "report: --since 'yesterday': expected a duration" "bad --since"
run 2 "$QBDB" report --fail-on none
run 2 "$QBDB" report --notify ftp://127.0.0.1/x
run 2 "$QBDB" report --from 10 --to 9
run 2 "$QBDB" report --bogus
run 4 "$QBDB" report --project nosuch
run 4 "$QBDB" report --from 999
# a database not made yet: SQLite's missing file, an empty PostgreSQL database
NONE=$(fresh_db none)
run 4 "$QBDB" --db "$NONE" report
! db_created "$NONE" || fail "report created a database"
finish

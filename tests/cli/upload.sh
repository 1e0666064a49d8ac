#!/usr/bin/env bash
# End to end: `qbdb upload` against a real `qbdb serve` on 127.0.0.1 - stored runs, the verdict
# (the baseline and why, the comparison with it, the worst regressions by name, grade),
# idempotent re-uploads, --fail-on, tokens (none, wrong project, $QBDB_TOKEN), bad data,
# standard input, a directory, the baseline options (--base-branch, $GITHUB_BASE_REF,
# --base-commit, --base, --base-runs), --summary and $GITHUB_STEP_SUMMARY, `qbdb compare
# --server` (the same answers as the local compare, --fail-on), an unreachable server.
source "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || { echo "skipped: curl not installed"; exit 0; }
command -v jq >/dev/null || { echo "skipped: jq not installed"; exit 0; }
# a CI running this test must not choose our baselines, or get our summaries
unset GITHUB_BASE_REF CI_MERGE_REQUEST_TARGET_BRANCH_NAME BITBUCKET_PR_DESTINATION_BRANCH \
  SYSTEM_PULLREQUEST_TARGETBRANCH CHANGE_TARGET GITHUB_STEP_SUMMARY QBDB_TOKEN

# libcurl is loaded with dlopen by `qbdb upload` only, so `qbdb serve` does not map it and its
# dependencies (docs/CONVENTIONS.md, "Libraries")
if command -v ldd >/dev/null; then
  if ldd "$QBDB" | grep -q libcurl; then fail "the qbdb binary links libcurl"; fi
fi

# tokens (printed once on stdout)
ADMIN=$("$QBDB" token create --scope admin --name ci 2>/dev/null)
OTHER=$("$QBDB" token create --scope write --project other --name other 2>/dev/null)

# the server, on a free port (port 0: it names the port in its first line on stderr)
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
"$QBDB" serve --db "$QBDB_DB" --listen 127.0.0.1:0 >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
wait_serving "$TMP/serve.log" "$SERVER_PID" "starting qbdb serve" ||
  abort_test "qbdb serve exited at start: $SERVE_LOG"
URL="http://127.0.0.1:$PORT"
PY1="$DATA/pytest/run1/benchmark.json"
PY2="$DATA/pytest/run2/benchmark.json"
n_runs() { "$QBDB" runs --format json | jq length; }

# the first run: stored, nothing to compare with yet, and why
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 5e1f0a7c \
  --tag net=lan "$PY1"
contains "$OUT" "stored run 1: $PY1 (pytest): project py, branch main, machine vm, commit 5e1f0a7c, 9 benchmarks, 9 results, 4066 samples" "first upload"
equals "$(sed -n 2p <<<"$OUT")" "  compare: no baseline: no earlier run of main on machine vm" "no baseline, and why"

# the second: compared with the first by the baseline rule (the same verdict as qbdb compare),
# its worst regression named, graded; the pull-request comment appended to --summary FILE
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 \
  --summary "$TMP/summary.md" "$PY2"
contains "$OUT" "stored run 2:" "second upload"
"$QBDB" compare --project py --format json 2 >"$TMP/cmp2.json"
equals "$(jq -r .baseline.reason "$TMP/cmp2.json")" "run 1, the previous run of main on vm" "local baseline"
equals "$(jq -c '.summary | [.regressions, .worst_regression, .improvements, .unchanged, .noise_unknown]' "$TMP/cmp2.json")" \
  '[1,"major",1,7,9]' "local verdict"
want=$(jq -r '.summary | "\(.regressions) regression\(if .regressions == 1 then "" else "s" end) (worst \(.worst_regression)), \(.improvements) improvement\(if .improvements == 1 then "" else "s" end), \(.unchanged) unchanged, geomean \(if .geomean_change_pct >= 0 then "+" else "" end)\(.geomean_change_pct * 10 | round / 10)% (noise unknown for \(.noise_unknown))"' "$TMP/cmp2.json")
equals "$want" "1 regression (worst major), 1 improvement, 7 unchanged, geomean +1.6% (noise unknown for 9)" "expected verdict"
equals "$(sed -n 2p <<<"$OUT")" "  baseline: run 1, the previous run of main on vm" "baseline reason"
equals "$(sed -n 3p <<<"$OUT")" "  compare with run 1: $want" "verdict as qbdb compare"
equals "$(sed -n 4p <<<"$OUT")" "  regression (major): test_scaled_slower latency +21.9%" "worst regression named"
equals "$(sed -n 5p <<<"$OUT")" "  grade: C (66.7)" "graded"
equals "$(wc -l <<<"$OUT")" 5 "nothing else printed"
equals "$(n_runs)" 2 "two runs stored"
run 0 "$QBDB" show --format json 1
equals "$(jq -r '.tags.net + "," + .commit' <<<"$OUT")" "lan,5e1f0a7c" "tag and commit sent"
# --summary: the markdown of qbdb compare for the same run, its verdict line first, then a
# blank line that ends the block
"$QBDB" compare --project py --format markdown 2 >"$TMP/md2"
printf '\n' >>"$TMP/md2"
cmp -s "$TMP/md2" "$TMP/summary.md" || fail "--summary: not the markdown of qbdb compare: $(diff "$TMP/md2" "$TMP/summary.md")"
contains "$(head -n 1 "$TMP/summary.md")" "1 regression (worst major), 1 improvement" "summary starts with the verdict"

# the server's access log: a UTC timestamp, the peer, the request and its answer on each line
grep -qE '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z 127\.0\.0\.1 POST /api/v1/runs 201 [0-9.]+ms$' "$TMP/serve.log" ||
  fail "no timestamped access-log line for the upload: $(cat "$TMP/serve.log")"

# again: a replay, nothing new stored; --fail-on on the verdict, its line the last one printed
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 "$PY2"
contains "$OUT" "already stored as run 2:" "re-upload"
contains "$OUT" "  baseline: run 1, the previous run of main on vm" "re-upload baseline"
equals "$(n_runs)" 2 "re-upload stores nothing"
run 1 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 \
  --fail-on minor "$PY2"
equals "$ERR" "qbdb: error: upload: run 2 ($PY2): a major regression (1 in the comparison, the worst test_scaled_slower latency +21.9%; 0 targets broken; --fail-on minor)" "fail-on reason, alone on stderr"
contains "$OUT" "already stored as run 2:" "fail-on still prints the run"
equals "$(tail -n 1 <<<"$OUT")" "  grade: C (66.7)" "fail-on prints every detail"
# stdout and stderr into one file: the failing line comes last
set +e
"$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 --fail-on major \
  "$PY2" >"$TMP/both" 2>&1
got=$?
set -e
equals "$got" 1 "fail-on major exit"
contains "$(tail -n 1 "$TMP/both")" "qbdb: error: upload: run 2 ($PY2): a major regression" "the failing line is the last"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --commit 9d3b2c41 \
  --fail-on critical "$PY2"

# json: the server's answers with the path
QBDB_TOKEN=$ADMIN run 0 "$QBDB" upload --server "$URL" --project py --commit 9d3b2c41 \
  --output json "$PY2"
equals "$(jq -c '.[0] | [.run.id, .existed, .status, .compare.base.id, .baseline.rule]' <<<"$OUT")" '[2,true,200,1,"branch"]' "json answer"
equals "$(jq -c '[.[0].compare.changed[] | select(.verdict == "regression") | .benchmark]' <<<"$OUT")" '["test_scaled_slower"]' "json changed rows"
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
# a body over 1 MiB with a bad token: sent with "Expect: 100-continue", so the 401 that the server
# gives on the headers is what the user sees (before: the server closed on the unsent body and
# the client saw a reset - "Failed sending data to the peer" - and retried)
{ cat "$PY1"; head -c $((3 << 20)) /dev/zero | tr '\0' ' '; } >"$TMP/big.json"
run 2 "$QBDB" upload --server "$URL" --token "not-a-token" --project py "$TMP/big.json"
contains "$ERR" "unauthorized (401)" "unknown token, 3 MiB body"

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

# a pull request's branch: compared with the base branch it names (--base-branch), the newest
# run of main before it; the reason as qbdb compare gives it; its --summary the same markdown
jq '.datetime = "2026-11-25T17:00:00.000000"' "$PY1" >"$TMP/feat.json"
run 1 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --branch feature \
  --base-branch main --summary "$TMP/feat.md" --fail-on major "$TMP/feat.json"
contains "$OUT" "stored run 4: $TMP/feat.json (pytest): project py, branch feature" "feature run"
"$QBDB" compare --format json --base-branch main 4 >"$TMP/cmp4.json"
reason=$(jq -r .baseline.reason "$TMP/cmp4.json")
contains "$reason" "run 2, the newest of base branch main (from --base-branch)" "local reason"
equals "$(sed -n 2p <<<"$OUT")" "  baseline: $reason" "base-branch reason"
contains "$(sed -n 3p <<<"$OUT")" "  compare with run 2: 1 regression (worst major), 1 improvement" "compared with main"
equals "$(sed -n 4p <<<"$OUT")" "  regression (major): test_scaled_faster latency +24.6%" "feature regression named"
contains "$ERR" "run 4 ($TMP/feat.json): a major regression" "feature fail-on"
"$QBDB" compare --base-branch main --format markdown 4 >"$TMP/md4"
printf '\n' >>"$TMP/md4"
cmp -s "$TMP/md4" "$TMP/feat.md" || fail "feature --summary: $(diff "$TMP/md4" "$TMP/feat.md")"

# the base branch from $GITHUB_BASE_REF; $GITHUB_STEP_SUMMARY appended to, one block per run
jq '.datetime = "2026-11-25T17:10:00.000000"' "$PY1" >"$TMP/feat2.json"
jq '.datetime = "2026-11-25T17:20:00.000000"' "$PY2" >"$TMP/feat3.json"
printf '# an earlier step\n\n' >"$TMP/step.md"
GITHUB_BASE_REF=main GITHUB_STEP_SUMMARY=$TMP/step.md run 0 "$QBDB" upload --server "$URL" \
  --token "$ADMIN" --project py --branch feature2 "$TMP/feat2.json" "$TMP/feat3.json"
contains "$OUT" "stored run 5: $TMP/feat2.json" "feature2 first"
contains "$OUT" "stored run 6: $TMP/feat3.json" "feature2 second"
contains "$OUT" "  baseline: run 2, the newest of base branch main (from \$GITHUB_BASE_REF) on vm before this run" "base branch from the CI"
equals "$(grep -c '^  baseline: run 2, the newest of base branch main' <<<"$OUT")" 2 "both runs against main"
equals "$(head -n 1 "$TMP/step.md")" "# an earlier step" "step summary kept"
"$QBDB" compare --base-branch main --format markdown 5 >"$TMP/md5"
"$QBDB" compare --base-branch main --format markdown 6 >"$TMP/md6"
equals "$(sed -n 3p "$TMP/step.md")" "$(head -n 1 "$TMP/md5")" "step summary: run 5's verdict line"
equals "$(wc -l <"$TMP/step.md")" $((2 + $(wc -l <"$TMP/md5") + 1 + $(wc -l <"$TMP/md6") + 1)) "step summary: two blocks"
equals "$(sed -n "$((2 + $(wc -l <"$TMP/md5") + 2))p" "$TMP/step.md")" "$(head -n 1 "$TMP/md6")" \
  "step summary: run 6's verdict line"
# --summary '' writes none even with $GITHUB_STEP_SUMMARY
before=$(wc -c <"$TMP/step.md")
GITHUB_STEP_SUMMARY=$TMP/step.md run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" \
  --project py --branch feature2 --summary '' "$TMP/feat3.json"
equals "$(wc -c <"$TMP/step.md")" "$before" "--summary '' writes nothing"

# the merge base (--base-commit), an explicit --base pooled with --base-runs, a missing --base
jq '.datetime = "2026-11-25T17:30:00.000000"' "$PY2" >"$TMP/feat4.json"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --branch feature3 \
  --base-branch main --base-commit 5e1f0a7c "$TMP/feat4.json"
contains "$(sed -n 2p <<<"$OUT")" "  baseline: run 1 of base branch main (from --base-branch) at merge base 5e1f0a7c" "merge base"
contains "$OUT" "compare with run 1: 1 regression (worst major)" "merge base compare"
jq '.datetime = "2026-11-25T17:40:00.000000"' "$PY1" >"$TMP/feat5.json"
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --branch feature4 --base 2 \
  --base-runs 2 --output json "$TMP/feat5.json"
equals "$(jq -c '.[0].baseline | [.rule, .runs]' <<<"$OUT")" '["explicit",[2,1]]' "explicit base, pooled"
equals "$(jq -r '.[0].summary_markdown' <<<"$OUT")" "null" "no summary unless asked"
n=$(n_runs)
run 4 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --branch feature5 --base 99 \
  "$TMP/feat5.json"
contains "$ERR" "not found (404): base 99" "missing base"
equals "$(n_runs)" "$n" "a missing base stores nothing"
# checked as the server checks them, before anything is sent
run 2 "$QBDB" upload --server "$URL" --base-commit xyz "$PY1"
contains "$ERR" "upload: base-commit 'xyz': expected 4 to 64 hex digits" "bad base-commit"
run 2 "$QBDB" upload --server "$URL" --base-runs 51 "$PY1"
run 2 "$QBDB" upload --server "$URL" --base-runs 1.5 "$PY1"
run 2 "$QBDB" upload --server "$URL" --base-branch '' "$PY1"
contains "$ERR" "base-branch: empty branch name" "empty base branch"
run 6 "$QBDB" upload --server "$URL" --token "$ADMIN" --summary "$TMP/no/such/dir/s.md" "$PY1"
contains "$ERR" "--summary $TMP/no/such/dir/s.md: cannot open" "unwritable summary"
equals "$(n_runs)" "$n" "usage errors store nothing"

# qbdb compare --server: the same table as the local compare of the same database, in every
# format; --fail-on on the Qbdb-Verdict header; errors as for upload
for args in "1 2" "2" "--base-branch main 4" "--sort change 1 2" "--only-changed 2" \
  "--base-runs 2 2 6" "--metric latency --benchmark test_scaled* --threshold 5 --alpha 0.01 2"; do
  for fmt in text markdown csv; do
    # shellcheck disable=SC2086
    "$QBDB" compare --format $fmt $args >"$TMP/local.out"
    # shellcheck disable=SC2086
    run 0 "$QBDB" compare --server "$URL" --format $fmt $args
    cmp -s "$TMP/local.out" "$TMP/out" || fail "compare --server $args ($fmt): $(diff "$TMP/local.out" "$TMP/out")"
  done
  # shellcheck disable=SC2086
  "$QBDB" compare --format json $args | jq -S . >"$TMP/local.json"
  # shellcheck disable=SC2086
  run 0 "$QBDB" compare --server "$URL" --format json $args
  jq -S . <<<"$OUT" | cmp -s "$TMP/local.json" - || fail "compare --server $args (json) differs"
done
run 1 "$QBDB" compare --server "$URL" --fail-on minor 2
equals "$ERR" "qbdb: error: compare: 1 regression, the worst major (--fail-on minor)" "remote fail-on"
contains "$OUT" "test_scaled_slower" "remote fail-on prints the table"
set +e
"$QBDB" compare --fail-on minor 2 >/dev/null 2>"$TMP/local.err"
set -e
equals "$ERR" "$(cat "$TMP/local.err")" "remote fail-on as local"
run 0 "$QBDB" compare --server "$URL" --fail-on critical 2
run 1 "$QBDB" compare --server "$URL" --fail-on major --base-branch main 4
run 4 "$QBDB" compare --server "$URL" 99
contains "$ERR" "compare: GET /api/v1/compare from $URL: not found (404)" "remote missing run"
run 2 "$QBDB" compare --server "$URL" --sort bogus 2
contains "$ERR" "bad request (400): sort 'bogus'" "remote bad argument"

# --base main@latest names main's newest run before this upload (resolved before the run is
# stored, when "main@latest" would name the run itself)
jq '.datetime = "2026-11-25T17:50:00.000000"' "$PY2" >"$TMP/main3.json"
latest=$(curl -sf -H "Authorization: Bearer $ADMIN" "$URL/api/v1/runs?project=py&branch=main&machine=vm&limit=1" | jq '.runs[0].id')
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py --base main@latest \
  --fail-on critical "$TMP/main3.json"
contains "$OUT" "  baseline: run $latest of main on vm, as asked (main@latest)" \
  "an explicit main@latest is main's newest run before the upload"

# a file that names no machine (go test output): `qbdb upload` sends this host's name as its
# default, so the run is this CI box's; a bare POST without it gets the server's default
run 0 "$QBDB" upload --server "$URL" --token "$ADMIN" --project gohost "$DATA/go/out.txt"
contains "$OUT" "project gohost, branch main, machine $(hostname)," "upload: the host's name"
bare=$(curl -sf -H "Authorization: Bearer $ADMIN" --data-binary @"$DATA/go/multi.txt" \
  "$URL/api/v1/runs?project=gohost2")
equals "$(jq -r .run.machine <<<"$bare")" localhost "a bare POST: the server's default"

# the server gone: retried, then exit 6 naming it
stop_server
run 6 "$QBDB" compare --server "$URL" 2
contains "$ERR" "compare: GET /api/v1/compare from $URL: cannot reach the server" "compare unreachable"
run 6 "$QBDB" upload --server "$URL" --token "$ADMIN" --project py "$PY1"
contains "$ERR" "upload to $URL: cannot reach the server" "unreachable"
contains "$ERR" "after 5 attempts" "all attempts made"

finish

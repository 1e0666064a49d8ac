#!/usr/bin/env bash
# scripts/api-examples.sh [QBDB] > docs/api/examples.md
# Writes the per-endpoint examples of docs/api/examples.md from a real `qbdb serve`: a fresh
# database made from tests/data (pytest run1/run2, the 12-run history of
# tests/data/history/gen_runs.sh), then every endpoint called with curl. Long arrays are cut to
# their first two items ("..." marks the cut). Run it again after changing an answer.
set -euo pipefail
qbdb=$(realpath "${1:-build/qbdb}")
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
export QBDB_DB=$tmp/qbdb.db
"$qbdb" ingest --project py --commit aaaa1111 --machine ci-1 "$src/tests/data/pytest/run1/benchmark.json" >/dev/null
mkdir -p "$tmp/h"
bash "$src/tests/data/history/gen_runs.sh" "$tmp/h"
for f in "$tmp"/h/run*.jsonl; do "$qbdb" ingest "$f" >/dev/null; done
"$qbdb" target set --project hist 'st*' latency '<' 1.1us >/dev/null
"$qbdb" config set --project hist repo_url https://github.com/example/hist >/dev/null
ADMIN=$("$qbdb" token create --scope admin --name admin 2>/dev/null)
WRITE=$("$qbdb" token create --scope write --project py --name ci 2>/dev/null)
head -c 2000000 /dev/zero | tr '\0' ' ' >"$tmp/big.json"
jq '.datetime = "2026-11-25T18:00:00.000000"' "$src/tests/data/pytest/run2/benchmark.json" >"$tmp/pr.json"
port=$((20000 + RANDOM % 20000))
"$qbdb" serve --listen "127.0.0.1:$port" --max-body 1MiB 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"

cut='walk(if type == "array" and length > 2 then .[:2] + ["..."] else . end)'
# show TITLE DESCRIPTION CURL-ARGS...: the request as a curl command line and the answer
show() {
  local title=$1 what=$2
  shift 2
  local shown=() a
  for a in "$@"; do
    a=${a//$base/http://127.0.0.1:8080}
    a=${a//$ADMIN/\$ADMIN_TOKEN}
    a=${a//$WRITE/\$QBDB_TOKEN}
    a=${a//$src\//}
    a=${a//$tmp\//}
    if [[ $a =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
      shown+=("$a")
    elif [[ $a == *'$'* ]]; then
      shown+=("\"$a\"") # a token variable: double quotes so the shell expands it
    else
      shown+=("'$a'")
    fi
  done
  local out status body
  out=$(curl -s -w '\n%{http_code}' "$@")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  printf '### %s\n\n%s\n\n```sh\ncurl %s\n```\n\n' "$title" "$what" "${shown[*]}"
  if jq -e . >/dev/null 2>&1 <<<"$body"; then
    printf 'Answer %s:\n\n```json\n%s\n```\n\n' "$status" "$(jq "$cut" <<<"$body")"
  else
    printf 'Answer %s:\n\n```text\n%s\n```\n\n' "$status" "$(head -n 25 <<<"$body")"
  fi
}

cat <<'HEAD'
# HTTP API examples

Every request below was sent to a real `qbdb serve` by `scripts/api-examples.sh`, and every
answer is what it returned (arrays cut to two items, marked `"..."`). The database held the
pytest-benchmark runs of tests/data (project `py`) and the 12-run history of
tests/data/history/gen_runs.sh (project `hist`: `step` slows down by 20% at run 9, `tput`
loses 15% of its throughput there). `$QBDB_TOKEN` is a write token of project `py`,
`$ADMIN_TOKEN` an admin token. The endpoints are listed in [README.md](README.md).

## Reads

HEAD
show "GET /health" "Liveness and the schema version." "$base/api/v1/health"
show "GET /projects" "Every project with its counts and newest run." "$base/api/v1/projects"
show "GET /runs" "Newest first; \`next_cursor\` fetches the next page." "$base/api/v1/runs?project=hist&limit=2"
next=$(curl -s "$base/api/v1/runs?project=hist&limit=2" | jq -r .next_cursor)
show "GET /runs (next page)" "The cursor of the previous answer." "$base/api/v1/runs?project=hist&limit=2&cursor=$next"
show "GET /runs/{id}" "One run with its benchmarks and results." "$base/api/v1/runs/2"
show "GET /runs/{id}/grade" "The grade of run 10 of \`hist\` (its step regression and broken target)." "$base/api/v1/runs/10/grade"
show "GET /compare" "The same contract as \`qbdb compare --format json\`." "$base/api/v1/compare?project=hist&base=main~4&head=main~3"
show "GET /compare (the baseline rule, markdown)" "Without \`base\`, the baseline is chosen by the rule (here the previous run of main on m1); \`Accept: text/markdown\` (or \`format=markdown\`) gives the pull-request comment, and the \`Qbdb-Verdict\` header the summary." \
  -H "Accept: text/markdown" "$base/api/v1/compare?project=hist&head=main~3"
show "GET /benchmarks" "The benchmarks of a project with their metrics." "$base/api/v1/benchmarks?project=hist"
show "GET /dashboard" "A project's landing view: its default branch's runs and grades, its open regressions by severity and the newest points of every series (here 5), each series with its family and parameters, its change points and its worst open regression." "$base/api/v1/dashboard?project=hist&points=5"
show "GET /trend" "A series with its change points and trend, each point's interval (here a 95% CI from its raw samples), the last segment's noise band, the branches and machines to overlay and the project's repo_url." "$base/api/v1/trend?project=hist&benchmark=step"
show "GET /samples" "The raw samples of one result (pytest-benchmark's 5 rounds of test_very_slow: too few for a 95% CI of the median, so the interval is their range)." "$base/api/v1/samples?project=py&run=aaaa&benchmark=test_very_slow"
show "GET /samples (no such benchmark)" "404 naming the run and the benchmark." "$base/api/v1/samples?project=hist&run=main@latest&benchmark=nosuch"
show "GET /regressions" "Open regressions of at least a given severity." "$base/api/v1/regressions?project=hist&min_severity=minor"
show "GET /metrics" "Prometheus text (first lines)." "$base/api/v1/metrics"
show "GET /openapi.json" "The OpenAPI 3 document of this API (cut)." "$base/api/v1/openapi.json"

printf '## Writes\n\n'
show "POST /runs" "A pytest-benchmark file, stored and compared with the previous run of its branch and machine: 201." \
  -H "Authorization: Bearer $WRITE" -H "Idempotency-Key: run2-of-bbbb2222" --data-binary "@$src/tests/data/pytest/run2/benchmark.json" \
  "$base/api/v1/runs?project=py&commit=bbbb2222&machine=ci-1&tag=python=3.11"
show "POST /runs (a replay)" "The same Idempotency-Key again: the original run, 200, nothing stored." \
  -H "Authorization: Bearer $WRITE" -H "Idempotency-Key: run2-of-bbbb2222" --data-binary "@$src/tests/data/pytest/run2/benchmark.json" \
  "$base/api/v1/runs?project=py&commit=bbbb2222&machine=ci-1&tag=python=3.11"
show "POST /runs (a pull request)" "The first run of a branch, compared with its base branch at the merge base (here main's newest run: the merge-base commit was never benchmarked, and the reason says so), with the pull-request comment in \`summary_markdown\`." \
  -H "Authorization: Bearer $WRITE" --data-binary "@$tmp/pr.json" \
  "$base/api/v1/runs?project=py&branch=feature/x&commit=cccc3333&machine=ci-1&base_branch=main&base_commit=abcd1234&summary=markdown&tag=pr=1"
reg=$(curl -s "$base/api/v1/regressions?project=hist" | jq '.[0].id')
show "PATCH /regressions/{id}" "Triage: acknowledged, with a note." -X PATCH -H "Authorization: Bearer $ADMIN" \
  -d '{"status": "acknowledged", "note": "expected: the new validation step"}' "$base/api/v1/regressions/$reg"

printf '## Errors\n\n'
show "401: no token" "A write without \`Authorization\`." --data-binary "@$src/tests/data/pytest/run1/benchmark.json" "$base/api/v1/runs?project=py"
show "403: another project" "A write token of \`py\` writing to \`hist\`." -H "Authorization: Bearer $WRITE" \
  --data-binary "@$src/tests/data/pytest/run1/benchmark.json" "$base/api/v1/runs?project=hist"
show "404" "An unknown run." "$base/api/v1/runs/999"
show "400" "A bad query value." "$base/api/v1/regressions?min_severity=huge"
show "413" "A body over \`--max-body\` (1 MiB here)." -H "Authorization: Bearer $WRITE" \
  --data-binary "@$tmp/big.json" "$base/api/v1/runs?project=py"
show "422" "Content that is not benchmark data." -H "Authorization: Bearer $WRITE" \
  --data-binary 'hello' "$base/api/v1/runs?project=py"

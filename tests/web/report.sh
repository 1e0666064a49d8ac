#!/usr/bin/env bash
# The browser test of `qbdb report --format html` (ctest `web_report`, label `web`).
# Usage: report.sh QBDB_BINARY TEST_DATA_DIR SCRATCH_DIR [SCREENSHOT_DIR]
#
# Makes a database with real `qbdb ingest` runs (the 12-run history of
# tests/data/history/gen_runs.sh with a target, the pytest and criterion fixtures, a tagged
# project), records a first nightly report, ingests 8 more runs with a new step (flat +15% from
# run 15), then writes the second nightly report as HTML and as JSON (the same window: the JSON
# is a --no-record preview made first). tests/web/report.mjs opens the HTML file in headless
# Chromium through playwright-core, checks what it shows against the JSON, that it loads nothing
# from outside, and saves a screenshot (SCREENSHOT_DIR/report.png). Without node, npm or
# chromium it says so in one line and passes (scripts/install-deps.sh installs them).
set -euo pipefail
QBDB=$(realpath "$1")
DATA=$(realpath "$2")
TMP=$3
SHOTS=${4:-$TMP/screenshots}
HERE=$(cd "$(dirname "$0")" && pwd)
WEB=$(cd "$HERE/../../web" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

skip() {
  echo "web_report: skipped: $*"
  exit 0
}
command -v node >/dev/null || skip "node is not installed (scripts/install-deps.sh installs nodejs)"
command -v npm >/dev/null || skip "npm is not installed (scripts/install-deps.sh installs npm)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is not installed (scripts/install-deps.sh installs chromium)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || skip "node $(node --version) is too old (18 or newer needed)"

rm -rf "$TMP"
mkdir -p "$TMP" "$SHOTS"
rm -f "$SHOTS/report.png"

# playwright-core from web/package-lock.json; once, under a lock, since several build folders
# share web/node_modules (the same step as tests/web/run.sh).
if [ ! -f "$WEB/node_modules/playwright-core/package.json" ]; then
  (
    flock 9
    if [ ! -f "$WEB/node_modules/playwright-core/package.json" ]; then
      echo "npm ci in $WEB"
      (cd "$WEB" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
    fi
  ) 9>"$WEB/.npm-ci.lock"
fi

# the database, made the way users make it
export QBDB_DB=$TMP/qbdb.db
ingest() { "$QBDB" ingest "$@" >>"$TMP/ingest.log"; }
mkdir -p "$TMP/history"
bash "$DATA/history/gen_runs.sh" "$TMP/history"
for f in "$TMP"/history/run*.jsonl; do ingest "$f"; done
"$QBDB" target set --project hist 'st*' latency '<' 1.1us >>"$TMP/ingest.log"
ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
ingest --project rs --machine ci-box --commit cccc3333 "$DATA/criterion/run1/target/criterion"
ingest --project rs --machine ci-box --commit dddd4444 "$DATA/criterion/run2b_compare_baseline/target/criterion"
for net in lan:100 wan:180 lossy:400; do
  for rep in 1 2; do
    b=${net##*:}
    printf '%s\n' "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"net\",\"commit\":\"abcd000$rep\",\"tags\":{\"net\":\"${net%%:*}\"}}" \
      "{\"name\":\"rpc/roundtrip\",\"unit\":\"us\",\"samples\":[$b,$((b + 1)),$((b + rep))]}" >"$TMP/net_${net%%:*}_$rep.jsonl"
    ingest "$TMP/net_${net%%:*}_$rep.jsonl"
  done
done
"$QBDB" report --out "$TMP/first.md" >>"$TMP/ingest.log"

# 8 more runs of hist: flat steps +15% from run 15 (the size family goes on as 3 n log2 n)
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
    for (k = 2; k <= 4; k++) {
      n = 10 ^ k
      t = 3 * n * log(n) / log(2)
      printf "{\"name\":\"size/%d\",\"group\":\"size\",\"params\":{\"n\":%d},\"unit\":\"ns\",\"samples\":[%.3f,%.3f,%.3f]}\n", n, n, t, t * 1.001, t * 0.999
    }
  }' >"$TMP/more$r.jsonl"
  ingest "$TMP/more$r.jsonl"
done

# the second nightly report: its JSON preview, then the recorded HTML
"$QBDB" report --no-record --format json --out "$TMP/report.json" >>"$TMP/ingest.log"
"$QBDB" report --format html --out "$TMP/report.html" >>"$TMP/ingest.log"

export WEB_DIR=$WEB SHOTS CHROMIUM REPORT_HTML=$TMP/report.html REPORT_JSON=$TMP/report.json
cd "$TMP"
exec node "$HERE/report.mjs"

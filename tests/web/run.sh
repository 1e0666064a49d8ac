#!/usr/bin/env bash
# The browser test of the web page (ctest `web_pages`, label `web`).
# Usage: run.sh QBDB_BINARY TEST_DATA_DIR SCRATCH_DIR [SCREENSHOT_DIR]
#
# Makes a database with real `qbdb ingest` runs (pytest run1/run2, criterion run1/run2b, the
# 12-run history of tests/data/history/gen_runs.sh), a target and an admin token, then runs
# tests/web/test_pages.mjs: it starts `qbdb serve` on a free loopback port and drives headless
# Chromium through playwright-core. Without node, npm or chromium it says so in one line and
# passes (scripts/install-deps.sh installs them, so CI runs it).
set -euo pipefail
QBDB=$(realpath "$1")
DATA=$(realpath "$2")
TMP=$3
SHOTS=${4:-$TMP/screenshots}
HERE=$(cd "$(dirname "$0")" && pwd)
WEB=$(cd "$HERE/../../web" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

skip() {
  echo "web_pages: skipped: $*"
  exit 0
}
command -v node >/dev/null || skip "node is not installed (scripts/install-deps.sh installs nodejs)"
command -v npm >/dev/null || skip "npm is not installed (scripts/install-deps.sh installs npm)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is not installed (scripts/install-deps.sh installs chromium)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || skip "node $(node --version) is too old (18 or newer needed)"
if [ -z "${QBDB_WEB_URL:-}" ] && ! "$QBDB" help serve >/dev/null 2>&1; then
  skip "this qbdb has no \`serve\` command yet"
fi

rm -rf "$TMP"
mkdir -p "$TMP" "$SHOTS"
rm -f "$SHOTS"/*.png

# playwright-core (and uPlot) from web/package-lock.json; once, under a lock, since several
# build folders share web/node_modules.
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
ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
ingest --project rs --commit cccc3333 "$DATA/criterion/run1/target/criterion"
ingest --project rs --commit dddd4444 "$DATA/criterion/run2b_compare_baseline/target/criterion"
mkdir -p "$TMP/history"
bash "$DATA/history/gen_runs.sh" "$TMP/history"
for f in "$TMP"/history/run*.jsonl; do ingest "$f"; done
"$QBDB" target set --project hist 'st*' latency '<' 1.1us >>"$TMP/ingest.log"

token=""
if "$QBDB" token create --scope admin --name web-test >"$TMP/token" 2>"$TMP/token.err"; then
  token=$(head -n1 "$TMP/token")
else
  echo "web_pages: note: \`qbdb token create --scope admin\` failed, the triage step is skipped: $(head -n1 "$TMP/token.err")"
fi

# 150 runs of a slow 10% drift (tests/data/history/gen_drift.sh): the page uploads them with the
# admin token once the checks of the other data are done, then looks at the drift on the chart
mkdir -p "$TMP/drift"
bash "$DATA/history/gen_drift.sh" "$TMP/drift"

# the dashboard's database (a second server): tests/web/gen_db.py's project "dash", 150 benchmarks
# (families sort/n=..., test_parse[...], planted steps of each severity) x 200 runs on main/m1, 30
# runs on machine m2 and 12 on branch feature, with a repo_url; ingested in that order
mkdir -p "$TMP/dash"
python3 "$HERE/gen_db.py" "$TMP/dash"
export DASH_DB=$TMP/dash.db
QBDB_DB=$DASH_DB "$QBDB" ingest "$TMP"/dash/main-m1-*.jsonl >"$TMP/dash-ingest.log"
QBDB_DB=$DASH_DB "$QBDB" ingest "$TMP"/dash/main-m2-*.jsonl >>"$TMP/dash-ingest.log"
QBDB_DB=$DASH_DB "$QBDB" ingest "$TMP"/dash/feature-m1-*.jsonl >>"$TMP/dash-ingest.log"
if ! QBDB_DB=$DASH_DB "$QBDB" config set --project dash repo_url https://git.example.org/team/dash >>"$TMP/dash-ingest.log" 2>&1; then
  echo "web_pages: note: \`qbdb config set repo_url\` failed, commit links are not checked: $(tail -n1 "$TMP/dash-ingest.log")"
fi
# `qbdb bisect` sessions of three of its regression records (tests/web/add_bisects.py: no git
# repository holds these commits, so they are written into the database as the service writes them)
QBDB_DB=$DASH_DB "$QBDB" regressions --project dash --format json >"$TMP/dash/regressions.json"
python3 "$HERE/add_bisects.py" "$DASH_DB" "$TMP/dash/regressions.json" "$TMP/dash/bisects.json"

export QBDB WEB_DIR=$WEB SHOTS CHROMIUM QBDB_TOKEN=$token DRIFT_DIR=$TMP/drift DASH_DIR=$TMP/dash
cd "$TMP"
exec node "$HERE/test_pages.mjs"

#!/usr/bin/env bash
# bench/bench_dashboard.sh [QBDB] [LOADS] - the web page's landing dashboard of a 200-benchmark x
# 1000-run project (bench/gen_dashboard_db.sh), loaded in headless Chromium (Debian's
# /usr/bin/chromium through playwright-core, as tests/web/run.sh drives it) from `qbdb serve` on
# loopback: the time from navigation start to the first frame after the dashboard view is in the
# document with every sparkline drawn (the page records it: document.body.dataset.drawn). Each
# load is a new browser context (empty cache, no stored state), LOADS of them (default 7); the
# first (cold: the server's first /dashboard of the database) and the median of all are printed,
# with the /api/v1/dashboard request's own time. Target (issue 16): under 1 s.
# Env: DB=FILE uses an existing database (made by gen_dashboard_db.sh) instead of making one;
#      BENCHMARKS, RUNS (default 200, 1000) for a new one.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
qbdb=$(realpath "${1:-$src/build/qbdb}")
loads=${2:-7}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || { echo "bench_dashboard: node is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "bench_dashboard: $CHROMIUM is not installed (scripts/install-deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

web=$src/web
if [ ! -f "$web/node_modules/playwright-core/package.json" ]; then
  (
    flock 9
    [ -f "$web/node_modules/playwright-core/package.json" ] ||
      (cd "$web" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  ) 9>"$web/.npm-ci.lock"
fi

db=${DB:-}
if [ -z "$db" ]; then
  db=$tmp/dash.db
  bash "$src/bench/gen_dashboard_db.sh" "$db" "${BENCHMARKS:-200}" "${RUNS:-1000}" "$qbdb"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$qbdb" serve --db "$db" --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
WEB_DIR=$web CHROMIUM=$CHROMIUM node "$src/bench/bench_dashboard.mjs" "http://127.0.0.1:$port/" "$loads" "${PROJECT:-dash}"

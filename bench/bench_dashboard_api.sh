#!/usr/bin/env bash
# bench/bench_dashboard_api.sh - how long GET /api/v1/dashboard takes against a real `qbdb serve`
# (the web page's landing view loads from this one request).
#
# Usage: bench/bench_dashboard_api.sh DB [REPEATS [QBDB]]
#   DB       a database with a project (bench/gen_dashboard_db.sh makes a 200-benchmark x
#            1000-run one): a file name or a postgresql:// URL
#   REPEATS  requests per case (default 15); QBDB the binary (default build/qbdb, else qbdb)
#   env: PROJECT (default "dash"), PORT (default 18700 + $$ % 200)
#
# A fresh server per case, then REPEATS requests one after the other with curl. The server keeps
# no dashboard answers: every request reads and computes everything again (the series, the grades'
# compares, the regressions). Only decoded runs and histories stay in its run cache
# (docs/api/README.md), so the first request after the start ("cold") reads more than the next
# ones. Printed per case: the cold request's time, the median, min and max of the REPEATS
# requests (curl's time_total: connection to last byte), and the server's CPU time per request
# (user + system from /proc/PID/stat over the repeats, which a busy machine does not inflate as
# it does wall time). Example:
#   bench/gen_dashboard_db.sh /tmp/dash.db 200 1000 && bench/bench_dashboard_api.sh /tmp/dash.db
set -euo pipefail
db=${1:?usage: bench_dashboard_api.sh DB [REPEATS [QBDB]]}
repeats=${2:-15}
here=$(cd "$(dirname "$0")/.." && pwd)
qbdb=${3:-}
if [ -z "$qbdb" ]; then
  if [ -x "$here/build/qbdb" ]; then qbdb=$here/build/qbdb; else qbdb=qbdb; fi
fi
project=${PROJECT:-dash}
port=${PORT:-$((18700 + $$ % 200))}
tck=$(getconf CLK_TCK)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

# Start a server on DB and wait until it answers.
start() {
  "$qbdb" serve --db "$db" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench_dashboard_api.sh: the server did not start on port $port" >&2
  exit 1
}

stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

# The server's CPU time so far, in clock ticks.
cpu() {
  awk '{print $14 + $15}' "/proc/$pid/stat"
}

# One case: the query after "?".
run_case() {
  local query=$1 url="http://127.0.0.1:$port/api/v1/dashboard?$1" cold bytes t0 t1
  start
  cold=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$url")
  case $cold in 200\ *) ;; *) echo "bench_dashboard_api.sh: $url: $cold" >&2; exit 1 ;; esac
  bytes=${cold##* }
  t0=$(cpu)
  for _ in $(seq 1 "$repeats"); do
    curl -s -o /dev/null -w '%{time_total}\n' "$url"
  done | sort -n >"$tmp"
  t1=$(cpu)
  stop
  awk -v q="$query" -v cold="$(echo "$cold" | cut -d' ' -f2)" -v bytes="$bytes" \
      -v cpu=$(((t1 - t0) * 1000 / tck / repeats)) '
    { t[NR] = $1 }
    END {
      printf "%-40s %7d bytes  cold %6.1f ms  median %6.1f ms  min %6.1f  max %6.1f  cpu %4d ms/request\n",
             q, bytes, cold * 1000, t[int((NR + 1) / 2)] * 1000, t[1] * 1000, t[NR] * 1000, cpu
    }' "$tmp"
}

tmp=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$tmp"' EXIT
echo "GET /api/v1/dashboard on $db ($repeats requests per case, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
run_case "project=$project"
run_case "project=$project&points=500"

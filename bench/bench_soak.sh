#!/usr/bin/env bash
# bench/bench_soak.sh QBDB [MINUTES]: the server under a bounded load on loopback for MINUTES
# (default 10): wrk reading GET /api/v1/compare and /trend with 4 connections, and an uploader
# POSTing a new pytest-benchmark run (9 benchmarks, 4066 samples) every 0.2 s. Every 30 s it
# prints the server's RSS, the runs stored and the uploads that failed; at the end, wrk's
# figures and the RSS growth. The server must keep answering (no failed upload, no non-2xx from
# wrk) and its memory must stay flat (docs/reliability.md, "Load").
set -euo pipefail
qbdb=$(realpath "${1:-build/qbdb}")
minutes=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export QBDB_DB=$tmp/soak.db
"$qbdb" ingest --project py --commit aaaa1111 "$src/tests/data/pytest/run1/benchmark.json" >/dev/null
"$qbdb" ingest --project py --commit bbbb2222 "$src/tests/data/pytest/run2/benchmark.json" >/dev/null
token=$("$qbdb" token create --scope admin --name soak 2>/dev/null)
up=0
for try in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  "$qbdb" serve --listen "127.0.0.1:$port" 2>"$tmp/serve.log" &
  server=$!
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && { up=1; break; }
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  [ "$up" = 1 ] && break
done
[ "$up" = 1 ] || { echo "qbdb serve did not start" >&2; exit 1; }
pids+=("$server")
base="http://127.0.0.1:$port/api/v1"
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }
echo "soak: ${minutes} min; server pid $server; idle RSS $(rss) MB"

cat >"$tmp/get.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then return wrk.format("GET", "/api/v1/compare?base=aaaa&head=bbbb") end
  return wrk.format("GET", "/api/v1/trend?project=py&benchmark=test_very_slow")
end
LUA
wrk -t1 -c4 -d"${minutes}m" --latency -s "$tmp/get.lua" "http://127.0.0.1:$port" >"$tmp/wrk.out" 2>&1 &
pids+=($!)

# the uploader: a new run every 0.2 s (the start time makes each body new)
(
  i=0
  end=$((SECONDS + minutes * 60))
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    sed "s/\"datetime\": \"[^\"]*\"/\"datetime\": \"2026-01-01T00:00:00.$(printf %06d $i)\"/" \
      "$src/tests/data/pytest/run1/benchmark.json" >"$tmp/up.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
      --data-binary @"$tmp/up.json" "$base/runs?project=soak&commit=$(printf %08x $i)")
    echo "$code" >>"$tmp/codes"
    sleep 0.2
  done
) &
pids+=($!)

first=
printf '%8s %10s %8s %8s\n' "seconds" "RSS (MB)" "runs" "failed"
for t in $(seq 30 30 $((minutes * 60))); do
  sleep 30
  n=$(wc -l <"$tmp/codes" 2>/dev/null || echo 0)
  bad=$(grep -vc '^201$' "$tmp/codes" 2>/dev/null || true)
  now=$(rss)
  [ -n "$first" ] || first=$now
  printf '%8d %10s %8d %8d\n' "$t" "$now" "$n" "$bad"
done
wait "${pids[1]}" || true
last=$(rss)
echo "wrk: $(awk '/Requests\/sec/ {print $2 " req/s"}' "$tmp/wrk.out"), p99 $(awk '$1 == "99%" {print $2}' "$tmp/wrk.out"), $(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$tmp/wrk.out" || echo 'no non-2xx answers')"
echo "uploads: $(wc -l <"$tmp/codes") sent, $(grep -vc '^201$' "$tmp/codes" || true) not 201"
echo "RSS: $first MB after the first 30 s of load... $last MB at the end"

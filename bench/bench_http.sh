#!/usr/bin/env bash
# bench/bench_http.sh QBDB: the HTTP server under load from wrk on loopback.
#  - GET /api/v1/compare and GET /api/v1/trend: requests/s and p99 (targets >= 20,000/s, < 10 ms)
#  - POST /api/v1/runs of a 100-benchmark pytest-benchmark JSON, 16 concurrent clients, every
#    body distinct (a new run each time): p99 (target < 100 ms)
#  - idle RSS of `qbdb serve` (target <= 10 MB)
set -euo pipefail
qbdb=$(realpath "${1:-build/qbdb}")
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
export QBDB_DB=$tmp/bench.db
"$qbdb" ingest --project py --commit aaaa1111 "$src/tests/data/pytest/run1/benchmark.json" >/dev/null
"$qbdb" ingest --project py --commit bbbb2222 "$src/tests/data/pytest/run2/benchmark.json" >/dev/null
token=$("$qbdb" token create --scope admin --name bench 2>/dev/null)
up=0
for try in 1 2 3 4 5; do # a random free port; another one when it was taken
  port=$((20000 + RANDOM % 20000))
  "$qbdb" serve --listen "127.0.0.1:$port" 2>"$tmp/serve.log" &
  pid=$!
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && { up=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ "$up" = 1 ] && break
done
[ "$up" = 1 ] || { echo "qbdb serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
echo "idle RSS of qbdb serve: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status) (target <= 10 MB)"

run_wrk() { # NAME URL [wrk args...]
  local name=$1 url=$2
  shift 2
  local out
  out=$(wrk --latency "$@" "$url")
  printf '%-28s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
base="http://127.0.0.1:$port/api/v1"
run_wrk "GET compare (target 20k/s, p99<10ms)" "$base/compare?base=aaaa&head=bbbb" -t2 -c16 -d5s
run_wrk "GET trend (target 20k/s, p99<10ms)" "$base/trend?project=py&benchmark=test_very_slow" -t2 -c16 -d5s

# 100-benchmark pytest-benchmark files, 50 rounds each: 32 variants whose rounds differ by a
# seeded 2% noise (so consecutive uploads compare with the exact Mann-Whitney test, as real ones
# do). wrk's 4 threads are 4 CI machines (machine=ci-N), each with 4 connections uploading its
# runs with increasing start times; every body is distinct (a new run each time).
/usr/bin/env python3 - "$src/tests/data/pytest/run1/benchmark.json" "$tmp" <<'PY'
import json, sys, copy, random
d = json.load(open(sys.argv[1]))
b = d["benchmarks"]
rng = random.Random(20261125)
for v in range(32):
    out = []
    for i in range(100):
        x = copy.deepcopy(b[i % len(b)])
        x["name"] = "bench_%03d" % i
        x["fullname"] = "bench.py::bench_%03d" % i
        x["stats"]["data"] = [t * (1 + 0.02 * rng.gauss(0, 1)) for t in x["stats"]["data"][:50]]
        out.append(x)
    d["benchmarks"] = out
    d["datetime"] = "DATETIME"
    json.dump(d, open("%s/post_%02d.json" % (sys.argv[2], v), "w"))
PY
cat >"$tmp/post.lua" <<LUA
local templates = {}
for v = 0, 31 do
  local f = io.open(string.format("$tmp/post_%02d.json", v), "rb")
  templates[v] = f:read("*a")
  f:close()
end
local n = 0
tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
  n = n + 1
  local when = string.format("2026-11-%02dT%02d:%02d:%02d", 1 + math.floor(n / 86400),
    math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60)
  local body = templates[(n + tid * 7) % 32]:gsub("DATETIME", when)
  return wrk.format("POST", "/api/v1/runs?project=load&format=pytest&machine=ci-" .. tid,
    {["Authorization"] = "Bearer $token"}, body)
end
LUA
run_wrk "POST run, 100 benchmarks (p99<100ms)" "$base/runs" -t4 -c16 -d5s -s "$tmp/post.lua"
sleep 1 # the requests wrk left in flight
echo "runs stored by the POST load: $("$qbdb" runs --project load --limit 0 --format json | jq length)" \
  "(answers: $(grep -c ' 201 ' "$tmp/serve.log") stored, $(grep -c 'POST.* 200 ' "$tmp/serve.log") replays," \
  "$(grep -cE 'POST.* [45][0-9][0-9] ' "$tmp/serve.log") errors)"

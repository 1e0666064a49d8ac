#!/usr/bin/env bash
# bench/bench_http.sh [QBDB] [REPEATS] - the HTTP server under load from wrk on loopback, measured
# the way users hit it (issue 14). Every case runs REPEATS times (default 3) for 5 s each; the
# table shows the median of the repeats (requests/s, p50, p99) and their range of requests/s.
#  - GET /api/v1/compare, cached: one URL over and over (the best case, for reference).
#  - GET /api/v1/compare, uncached: 100 benchmarks x 50 samples per run, 16 runs of history, the
#    base/head pair cycling over the 120 pairs and every request with its own `alpha` (part of
#    the cache key), so no answer comes from the cache. 1, 4 and 16 connections.
#  - GET /api/v1/trend of a 1000-point series (trend answers are never cached). 4 connections.
#  - POST /api/v1/runs of a 100-benchmark pytest-benchmark JSON with a write token, every body
#    distinct (a new run each time): 1, 4 and 16 connections, each connection a CI machine.
#  - idle RSS of `qbdb serve`.
# Targets (issue 14): uncached compare >= 1,000 req/s at 4 connections; uploads >= 150/s at 4
# connections, p99 < 100 ms at 16.
set -euo pipefail
qbdb=$(realpath "${1:-build/qbdb}")
repeats=${2:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
export QBDB_DB=$tmp/bench.db
command -v wrk >/dev/null || { echo "bench_http: wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }

# ---- the database: 16 runs x 100 benchmarks x 50 samples; a 1000-point series ----
python3 - "$tmp" <<'PY'
import json, random, sys
out = sys.argv[1]
rng = random.Random(20261207)
for r in range(16):
    with open("%s/cmp_%02d.jsonl" % (out, r), "w") as f:
        f.write(json.dumps({"format": "qbdb-native", "version": 1, "project": "cmp",
                            "branch": "main", "machine": "m1", "commit": "%08x" % (0xc0000 + r),
                            "started_at": "2026-10-01T%02d:00:00Z" % r}) + "\n")
        for b in range(100):
            base = 1000.0 * (1 + b)
            f.write(json.dumps({"name": "bench_%03d" % b, "unit": "ns", "samples":
                                [base * (1 + 0.02 * rng.gauss(0, 1)) for _ in range(50)]}) + "\n")
for r in range(1000):
    with open("%s/tr_%04d.jsonl" % (out, r), "w") as f:
        day, sec = divmod(r, 86400)
        f.write(json.dumps({"format": "qbdb-native", "version": 1, "project": "tr",
                            "branch": "main", "machine": "m1", "commit": "%08x" % (0x70000 + r),
                            "started_at": "2026-09-%02dT%02d:%02d:%02dZ" %
                            (1 + day, sec // 3600, sec // 60 % 60, sec % 60)}) + "\n")
        f.write(json.dumps({"name": "long", "unit": "ns", "samples":
                            [500.0 * (1 + 0.02 * rng.gauss(0, 1)) for _ in range(10)]}) + "\n")
PY
t0=$(date +%s)
for f in "$tmp"/cmp_*.jsonl; do "$qbdb" ingest "$f" >/dev/null; done
for f in "$tmp"/tr_*.jsonl; do "$qbdb" ingest "$f" >/dev/null; done
echo "database: 16 runs x 100 benchmarks x 50 samples, a 1000-point series ($(($(date +%s) - t0)) s to ingest)"
token=$("$qbdb" token create --scope write --project load --name bench 2>/dev/null)
ids=$("$qbdb" runs --project cmp --limit 0 --format json | jq -r '[.[].id] | sort | join(" ")')

"$qbdb" serve --listen 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
port=
for _ in $(seq 600); do
  port=$(sed -n 's|^qbdb serving .* on http://[0-9.]*:\([0-9][0-9]*\)/.*|\1|p' "$tmp/serve.log" 2>/dev/null | head -n 1) || true
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "qbdb serve did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
echo "idle RSS of qbdb serve: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status) (target <= 10 MB)"
base="http://127.0.0.1:$port/api/v1"

# run_case NAME URL WRK_ARGS...: REPEATS runs of wrk; prints the medians
ms() { # wrk's latency ("812.00us", "12.3ms", "1.2s") in ms
  awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[0-9]s$/ && $1 !~ /ms$/) v *= 1000; printf "%.2f", v }' <<<"$1"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
round=0 # each wrk run's number: the uploads of one run differ from every other run's
# drain: wait until the server has answered every request wrk left in flight (uploads keep no
# body bytes reserved once answered), so that they do not queue ahead of the next run's first
# requests and count in its latency (16 abandoned uploads are 2% of a run: its p99)
drain() {
  for _ in $(seq 600); do
    curl -sf "$base/metrics" | grep -q '^qbdb_http_body_bytes_in_flight 0$' && return 0
    sleep 0.1
  done
  echo "bench_http: the server still had requests in flight 60 s after wrk stopped" >&2
  exit 1
}
run_case() {
  local name=$1 url=$2
  shift 2
  local rps=() p50=() p99=() out
  for _ in $(seq "$repeats"); do
    round=$((round + 1))
    out=$(QB_ROUND=$round wrk --latency "$@" "$url")
    drain
    rps+=("$(awk '/Requests\/sec/ {print $2}' <<<"$out")")
    p50+=("$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")")
    p99+=("$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")")
    if grep -q "Non-2xx" <<<"$out"; then echo "  ($name: $(grep Non-2xx <<<"$out"))"; fi
  done
  printf '%-44s %9.0f req/s  (%s)  p50 %7s ms  p99 %7s ms\n' "$name" \
    "$(printf '%s\n' "${rps[@]}" | median)" \
    "$(printf '%s\n' "${rps[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }')" \
    "$(printf '%s\n' "${p50[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)"
}

cat >"$tmp/uncached.lua" <<LUA
local ids = {}
for id in string.gmatch("$ids", "%d+") do ids[#ids + 1] = id end
local pairs_ = {}
for i = 1, #ids do for j = i + 1, #ids do pairs_[#pairs_ + 1] = {ids[i], ids[j]} end end
local n = 0
tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
  n = n + 1
  local p = pairs_[(n % #pairs_) + 1]
  -- an alpha of its own for every request: a key never seen, so the answer is computed
  local alpha = string.format("0.05%03d%07d", tid, n)
  return wrk.format("GET", "/api/v1/compare?project=cmp&base=" .. p[1] .. "&head=" .. p[2] .. "&alpha=" .. alpha)
end
LUA
first=${ids%% *} last=${ids##* }
echo "case (median of $repeats x 5 s)                    req/s (range)        p50          p99"
run_case "GET compare, cached (one URL), 4 conn" "$base/compare?project=cmp&base=$first&head=$last" -t2 -c4 -d5s
for c in 1 4 16; do
  t=$((c < 2 ? 1 : 2))
  run_case "GET compare, uncached, $c conn" "$base/compare" -t$t -c$c -d5s -s "$tmp/uncached.lua"
done
run_case "GET trend, 1000 points, 4 conn" "$base/trend?project=tr&benchmark=long" -t2 -c4 -d5s

# 100-benchmark pytest-benchmark files, 50 rounds each: 32 variants whose rounds differ by a
# seeded 2% noise (so consecutive uploads compare with the exact Mann-Whitney test, as real ones
# do). Each wrk connection is a CI machine (machine=ci-N) uploading runs with increasing start
# times; every body is distinct (a new run each time).
python3 - "$src/tests/data/pytest/run1/benchmark.json" "$tmp" <<'PY'
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
  local t = f:read("*a")
  f:close()
  -- split at the date once: a gsub over each 180 KB body cost wrk a quarter of a core, taken
  -- from the server it measures
  local a, b = t:find("DATETIME", 1, true)
  templates[v] = {t:sub(1, a - 1), t:sub(b + 1)}
end
local n = 0
local round = tonumber(os.getenv("QB_ROUND") or "0")
tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
  n = n + 1
  local when = string.format("%04d-11-%02dT%02d:%02d:%02d", 2000 + round, 1 + math.floor(n / 86400),
    math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60)
  local t = templates[(n + tid * 7) % 32]
  local body = t[1] .. when .. t[2]
  return wrk.format("POST", "/api/v1/runs?project=load&format=pytest&machine=ci-" .. tid .. "-" .. (n % 4),
    {["Authorization"] = "Bearer $token"}, body)
end
LUA
for c in 1 4 16; do
  t=$((c < 4 ? c : 4))
  run_case "POST run, 100 benchmarks, $c conn" "$base/runs" -t$t -c$c -d5s -s "$tmp/post.lua"
done
echo "runs stored by the POST load: $("$qbdb" runs --project load --limit 0 --format json | jq length)" \
  "(answers: $(grep -c ' 201 ' "$tmp/serve.log" || true) stored, $(grep -c 'POST.* 200 ' "$tmp/serve.log" || true) replays," \
  "$(grep -cE 'POST.* [45][0-9][0-9] ' "$tmp/serve.log" || true) errors)"

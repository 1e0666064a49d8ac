#!/usr/bin/env bash
# bench/bench_pg.sh [QBDB] [REPEATS] - uploads on PostgreSQL with 1, 2 and 4 `qbdb serve`
# processes on one database, against one server on an SQLite file, under wrk on loopback; what
# docs/deploy.md ("Sizing") estimates a bigger machine from. Every case runs REPEATS times
# (default 3) for 5 s each; the table shows the median of the repeats and the range of the rates.
#  - POST /api/v1/runs of a 100-benchmark pytest-benchmark JSON with a write token, every body
#    distinct (the bodies of bench_http.sh), 4 and 16 connections in all.
#  - GET /api/v1/compare, uncached (bench_http.sh's pairs of 16 runs x 100 benchmarks x 50
#    samples, an alpha of its own per request), 4 connections, on SQLite and on PostgreSQL with
#    one server.
# Several servers: one wrk per server, the connections split evenly between them, 4 wrk threads
# in all (as bench_http.sh's one wrk); the rate is the sum of the wrks' 2xx answers per second.
# No balancer: on 2 cores a proxy copying every 180 KB body would take CPU from what is measured.
# p50/p99 are those of the wrks' latencies together: each wrk's done() writes its latency
# quantiles (every answer's latency when it had at most 2000, else 2000 quantiles), merged here.
# CPU per request, in ms (per run, from just before wrk starts until the servers have answered
# every request wrk left in flight, divided by the runs stored meanwhile - wrk's 201s and the
# uploads it left in flight - or, for compare, by wrk's answers):
#  - qbdb: utime+stime of the `qbdb serve` processes (/proc/PID/stat);
#  - pg: utime+stime of the cluster's postmaster and its children (the backends of the servers'
#    connections, checkpointer, walwriter, autovacuum), with the postmaster's cutime+cstime for
#    children that ended meanwhile;
#  - wrk: the wrks' own CPU (bash `times`), without their done();
#  - other: the rest of the machine's busy CPU (/proc/stat) over the same time: the kernel's
#    softirqs, this script's curl and jq, and anything else running (it should be small);
#  - busy: the machine's busy CPUs over the same time, out of $(nproc).
# The cluster is tests/pg/cluster.sh's (fsync off: SQLite runs with synchronous=NORMAL, which does
# not sync on commit either), one database per server count, each starting with the same data.
set -euo pipefail
qbdb=$(realpath "${1:-build/qbdb}")
repeats=${2:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pgdir=/tmp/qbdb-bench-pg-$$ # short: the cluster's Unix socket lives there
spids=() ports=() pg_started=
cleanup() {
  local p
  for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${spids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$pg_started" ] && bash "$src/tests/pg/cluster.sh" stop "$pgdir" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
command -v wrk >/dev/null || { echo "bench_pg: wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
command -v psql >/dev/null || { echo "bench_pg: psql is not installed (scripts/install-deps.sh)" >&2; exit 1; }
hz=$(getconf CLK_TCK)
ncpu=$(nproc)

# ---- data: 16 runs x 100 benchmarks x 50 samples to compare; 32 upload bodies ----
python3 - "$tmp" "$src/tests/data/pytest/run1/benchmark.json" <<'PY'
import json, random, sys, copy
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
# as bench_http.sh: 32 variants of 100 benchmarks x 50 rounds, a seeded 2% noise between them
d = json.load(open(sys.argv[2]))
b = d["benchmarks"]
rng = random.Random(20261125)
for v in range(32):
    res = []
    for i in range(100):
        x = copy.deepcopy(b[i % len(b)])
        x["name"] = "bench_%03d" % i
        x["fullname"] = "bench.py::bench_%03d" % i
        x["stats"]["data"] = [t * (1 + 0.02 * rng.gauss(0, 1)) for t in x["stats"]["data"][:50]]
        res.append(x)
    d["benchmarks"] = res
    d["datetime"] = "DATETIME"
    json.dump(d, open("%s/post_%02d.json" % (out, v), "w"))
PY

# ---- the cluster and the databases ----
pg_started=1
bash "$src/tests/pg/cluster.sh" start "$pgdir"
pm=$(head -n 1 "$pgdir/data/postmaster.pid")
pgv=$(psql -h "$pgdir" -U postgres -d postgres -Atc 'show server_version')
declare -A dburl token
dburl[sqlite]=$tmp/bench.db
for s in 1 2 4; do
  psql -h "$pgdir" -U postgres -d postgres -qc "CREATE DATABASE bench_s$s" >/dev/null
  dburl[pg$s]="postgresql:///bench_s$s?host=$pgdir&user=postgres"
done
t0=$(date +%s)
for k in sqlite pg1 pg2 pg4; do
  for f in "$tmp"/cmp_*.jsonl; do "$qbdb" --db "${dburl[$k]}" ingest "$f" >/dev/null; done
  token[$k]=$("$qbdb" --db "${dburl[$k]}" token create --scope write --project load --name bench 2>/dev/null)
done
echo "databases: 16 runs x 100 benchmarks x 50 samples each, an SQLite file and PostgreSQL $pgv" \
  "($(($(date +%s) - t0)) s to ingest)"

# ---- wrk scripts ----
# done(): the counts and the latency quantiles, to $QB_OUT (the wrks' latencies are merged here)
cat >"$tmp/done.lua" <<'LUA'
local threads = {}
setup = function(thread)
  tid = tid + 1
  thread:set("tid", tid)
  threads[#threads + 1] = thread
end
done = function(summary, latency, requests)
  local c0 = os.clock()
  local f = io.open(os.getenv("QB_OUT"), "w")
  local e = summary.errors
  local c = {created = 0, existed = 0, other = 0, deferred = 0}
  for _, t in ipairs(threads) do
    for k in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
  end
  f:write(string.format("requests %d\nduration_us %d\nnon2xx %d\nsocket %d\ntimeouts %d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout))
  for k, v in pairs(c) do f:write(k, " ", v, "\n") end
  f:write(string.format("p50 %d\np99 %d\n", latency:percentile(50), latency:percentile(99)))
  local n = summary.requests - e.timeout
  local k = math.min(n, 2000)
  for j = 1, k do -- the j-th of k quantiles: with k = n, the j-th latency itself
    f:write(string.format("lat %d %.6f\n", latency:percentile((j - 0.5) / k * 100), n / k))
  end
  f:write(string.format("done_cpu %.4f\n", os.clock() - c0))
  f:close()
end
LUA
cat >"$tmp/post.lua" <<LUA
local templates = {}
for v = 0, 31 do
  local f = io.open(string.format("$tmp/post_%02d.json", v), "rb")
  local t = f:read("*a")
  f:close()
  -- split at the date once (bench_http.sh): no gsub over a 180 KB body per request
  local a, b = t:find("DATETIME", 1, true)
  templates[v] = {t:sub(1, a - 1), t:sub(b + 1)}
end
local n = 0
local round = tonumber(os.getenv("QB_ROUND") or "0")
local w = tonumber(os.getenv("QB_WRK") or "0")
local auth = {["Authorization"] = "Bearer " .. os.getenv("QB_TOKEN")}
tid = 0
created, existed, other, deferred = 0, 0, 0, 0
request = function()
  n = n + 1
  -- the body is what makes a run new (its sha256), whatever the machine: a month per wrk
  local when = string.format("%04d-%02d-%02dT%02d:%02d:%02d", 2000 + round, 11 - w, 1 + math.floor(n / 86400),
    math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60)
  local t = templates[(n + tid * 7) % 32]
  local body = t[1] .. when .. t[2]
  -- machine ci-WRK-THREAD-x: every wrk and thread uploads runs of its own
  return wrk.format("POST", "/api/v1/runs?project=load&format=pytest&machine=ci-" .. w .. "-" .. tid .. "-" .. (n % 4),
    auth, body)
end
-- the answer is a few KB: a plain find for a history step that failed after the commit
response = function(status, headers, body)
  if status == 201 then
    created = created + 1
    if body:find('"history":"deferred"', 1, true) then deferred = deferred + 1 end
  elseif status == 200 then existed = existed + 1
  else other = other + 1 end
end
dofile("$tmp/done.lua")
LUA
# compare.lua IDS: bench_http.sh's uncached compares
compare_lua() {
  cat <<LUA
local ids = {}
for id in string.gmatch("$1", "%d+") do ids[#ids + 1] = id end
local pairs_ = {}
for i = 1, #ids do for j = i + 1, #ids do pairs_[#pairs_ + 1] = {ids[i], ids[j]} end end
local n = 0
local w = tonumber(os.getenv("QB_WRK") or "0")
tid = 0
created, existed, other, deferred = 0, 0, 0, 0
request = function()
  n = n + 1
  local p = pairs_[(n % #pairs_) + 1]
  -- an alpha of its own for every request: a key never seen, so the answer is computed
  local alpha = string.format("0.05%03d%07d", tid + 100 * w, n)
  return wrk.format("GET", "/api/v1/compare?project=cmp&base=" .. p[1] .. "&head=" .. p[2] .. "&alpha=" .. alpha)
end
dofile("$tmp/done.lua")
LUA
}

# ---- servers ----
# start_servers DB N [TAG]: N `qbdb serve` on DB, their pids in spids, ports in ports
start_servers() {
  local db=$1 n=$2 i port pid log
  spids=() ports=() logs=()
  for i in $(seq "$n"); do
    log=$tmp/serve_${3:-x}_$i.log
    logs+=("$log")
    "$qbdb" --db "$db" serve --listen 127.0.0.1:0 2>"$log" &
    pid=$!
    spids+=("$pid")
    port=
    for _ in $(seq 600); do
      port=$(sed -n 's|^qbdb serving .* on http://[0-9.]*:\([0-9][0-9]*\)/.*|\1|p' "$log" 2>/dev/null | head -n 1) || true
      [ -n "$port" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "qbdb serve did not start: $(cat "$log")" >&2; exit 1; }
    ports+=("$port")
  done
}
stop_servers() {
  local p
  for p in "${spids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${spids[@]}"; do wait "$p" 2>/dev/null || true; done
  spids=() ports=()
}
# drain: wait until every server has answered every request wrk left in flight (an abandoned
# upload keeps its body bytes reserved until answered, an abandoned compare its expensive place),
# so that they do not queue ahead of the next run's first requests, and their CPU is counted
drain() {
  local p
  for p in "${ports[@]}"; do
    for _ in $(seq 600); do
      curl -sf "http://127.0.0.1:$p/api/v1/metrics" | awk '
        $1 == "qbdb_http_body_bytes_in_flight" || $1 == "qbdb_http_expensive_in_flight" ||
        $1 == "qbdb_http_expensive_waiting" { busy += $2; seen++ }
        END { exit !(seen == 3 && busy == 0) }' && continue 2
      sleep 0.1
    done
    echo "bench_pg: a server still had requests in flight 60 s after wrk stopped" >&2
    exit 1
  done
}

# ---- CPU counters (clock ticks) ----
proc_ticks() { # proc_ticks PID...: utime+stime of the processes
  local p
  for p in "$@"; do cat "/proc/$p/stat"; done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
pg_ticks() { # the postmaster (with its ended children) and its children
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pm" '{
      id = $1; sub(/^.*\) /, "")
      if (id == pm) t += $12 + $13 + $14 + $15
      else if ($2 == pm) t += $12 + $13
    } END { print t + 0 }'
}
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
uptime_ticks() { awk -v hz="$hz" '{ printf "%.0f\n", $1 * hz }' /proc/uptime; }
cpu_secs() { # bash `times`' "1m2.345s" -> seconds
  awk '{ sub(/s$/, "", $1); split($1, a, "m"); print a[1] * 60 + a[2] }' <<<"$1"
}
runs_stored() { "$qbdb" --db "$db" runs --project load --limit 0 --format json | jq length; }
logged_201() { cat "${logs[@]}" | grep -c ' POST /api/v1/runs 201 ' || true; }

ms() { awk '{ printf "%.2f", $1 / 1000 }' <<<"$1"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
med() { median | awk -v f="$1" '{ printf f, $1 }'; } # med FORMAT: the median, formatted
range() { sort -g | awk -v f="${1:-%.0f}" 'NR == 1 { lo = $1 } { hi = $1 } END { printf f "-" f, lo, hi }'; }

# run_case NAME KIND CONNS THREADS SCRIPT PATH: REPEATS runs of wrk on every server of ports
# (KIND post: the CPU is divided by the runs stored, get: by wrk's answers)
round=0 # each wrk run's number: the uploads of one run differ from every other run's
summary=()
run_case() {
  local name=$1 kind=$2 c=$3 threads=$4 script=$5 path=$6
  local n=${#ports[@]} per tper w
  per=$((c / n))
  tper=$((threads / n)); [ "$tper" -ge 1 ] || tper=1; [ "$tper" -le "$per" ] || tper=$per
  local rate=() p50=() p99=() srv=() pg=() wrkc=() other=() busy=()
  local tot_2xx=0 tot_created=0 tot_existed=0 tot_other=0 tot_deferred=0 tot_socket=0 tot_timeouts=0
  local tot_stored=0 max_late=0 logged0 logged1
  logged0=$(logged_201)
  for _ in $(seq "$repeats"); do
    round=$((round + 1))
    rm -f "$tmp"/w*.out
    local st0=0 st1=0 s0 g0 b0 u0 s1 g1 b1 u1 tm
    [ "$kind" = get ] || st0=$(runs_stored)
    s0=$(proc_ticks "${spids[@]}") g0=$(pg_ticks) b0=$(busy_ticks) u0=$(uptime_ticks)
    (
      for w in $(seq 0 $((n - 1))); do
        QB_ROUND=$round QB_WRK=$w QB_OUT=$tmp/w$w.out QB_TOKEN=${token[$dbkey]} \
          wrk -t"$tper" -c"$per" -d5s --timeout 10s -s "$script" "http://127.0.0.1:${ports[$w]}$path" \
          >"$tmp/w$w.txt" &
      done
      wait
      times >"$tmp/times"
    )
    drain
    s1=$(proc_ticks "${spids[@]}") g1=$(pg_ticks) b1=$(busy_ticks) u1=$(uptime_ticks)
    [ "$kind" = get ] || st1=$(runs_stored)
    for w in $(seq 0 $((n - 1))); do
      [ -s "$tmp/w$w.out" ] || { echo "bench_pg: wrk $w wrote no results: $(cat "$tmp/w$w.txt")" >&2; exit 1; }
    done
    tm=$(sed -n 2p "$tmp/times")
    # the wrks' counts, and their rates summed
    local r q
    r=$(awk '
      $1 == "requests" { req[FILENAME] = $2 } $1 == "duration_us" { dur[FILENAME] = $2 }
      $1 == "non2xx" { bad[FILENAME] = $2 }
      $1 != "lat" { s[$1] += $2 }
      END {
        for (f in req) rate += (req[f] - bad[f]) / (dur[f] / 1e6)
        printf "%.2f %d %d %d %d %d %d %d %.4f\n", rate, s["requests"] - s["non2xx"], s["created"],
          s["existed"], (s["non2xx"] > s["other"] ? s["non2xx"] : s["other"]), s["deferred"],
          s["socket"], s["timeouts"], s["done_cpu"]
      }' "$tmp"/w*.out)
    if [ "$n" -eq 1 ]; then # wrk's own percentiles
      q=$(awk '$1 == "p50" { a = $2 } $1 == "p99" { b = $2 } END { print a, b }' "$tmp/w0.out")
    else # merged: in latency order, the first whose cumulated weight reaches the percentile
      q=$(cat "$tmp"/w*.out | awk '$1 == "lat" { print $2, $3 }' | sort -k1,1n | awk '
        { v[NR] = $1; c[NR] = $2; W += $2 }
        END { for (i = 1; i <= NR; i++) { cum += c[i]
                if (a == "" && cum >= 0.50 * W - 1e-6) a = v[i]
                if (b == "" && cum >= 0.99 * W - 1e-6) b = v[i] }
              print a, b }')
    fi
    local rt q50 q99 ok cr ex ot df so to dc den
    read -r rt ok cr ex ot df so to dc <<<"$r"
    read -r q50 q99 <<<"$q"
    den=$ok
    if [ "$kind" = post ]; then
      den=$((st1 - st0))
      # the uploads wrk left in flight are stored too, unseen by wrk: at most one a connection
      [ $((den - cr)) -le "$max_late" ] || max_late=$((den - cr))
      [ "$den" -ge "$cr" ] || max_late=-1
    fi
    [ "$den" -gt 0 ] || den=1
    rate+=("$rt") p50+=("$(ms "$q50")") p99+=("$(ms "$q99")")
    srv+=("$(awk -v t=$((s1 - s0)) -v hz="$hz" -v n="$den" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')")
    pg+=("$(awk -v t=$((g1 - g0)) -v hz="$hz" -v n="$den" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')")
    wrkc+=("$(awk -v u="$(cpu_secs "${tm% *}")" -v s="$(cpu_secs "${tm#* }")" -v d="$dc" -v n="$den" \
      'BEGIN { printf "%.2f", (u + s - d) * 1000 / n }')")
    busy+=("$(awk -v b=$((b1 - b0)) -v u=$((u1 - u0)) 'BEGIN { printf "%.2f", (u > 0 ? b / u : 0) }')")
    other+=("$(awk -v b=$((b1 - b0)) -v hz="$hz" -v n="$den" -v a="${srv[-1]}" -v c="${pg[-1]}" -v d="${wrkc[-1]}" \
      'BEGIN { printf "%.2f", b / hz * 1000 / n - a - c - d }')")
    tot_2xx=$((tot_2xx + ok)) tot_created=$((tot_created + cr)) tot_existed=$((tot_existed + ex))
    tot_other=$((tot_other + ot)) tot_deferred=$((tot_deferred + df)) tot_socket=$((tot_socket + so))
    tot_timeouts=$((tot_timeouts + to)) tot_stored=$((tot_stored + st1 - st0))
  done
  local pgm=-
  [ "$dbkey" = sqlite ] || pgm=$(printf '%s\n' "${pg[@]}" | med %.2f)
  printf '%-34s %9.0f %11s %7s %8s %8s %7s %7s %6s %5s\n' "$name" \
    "$(printf '%s\n' "${rate[@]}" | median)" "($(printf '%s\n' "${rate[@]}" | range))" \
    "$(printf '%s\n' "${p50[@]}" | med %.1f)" "$(printf '%s\n' "${p99[@]}" | med %.1f)" \
    "$(printf '%s\n' "${srv[@]}" | med %.2f)" "$pgm" \
    "$(printf '%s\n' "${wrkc[@]}" | med %.2f)" "$(printf '%s\n' "${other[@]}" | med %.2f)" \
    "$(printf '%s\n' "${busy[@]}" | med %.2f)"
  if [ "$repeats" -gt 1 ]; then
    echo "    ranges: p50 $(printf '%s\n' "${p50[@]}" | range %.1f), p99 $(printf '%s\n' "${p99[@]}" | range %.1f)," \
      "qbdb $(printf '%s\n' "${srv[@]}" | range %.2f)," \
      "pg $([ "$dbkey" = sqlite ] && echo - || printf '%s\n' "${pg[@]}" | range %.2f)," \
      "wrk $(printf '%s\n' "${wrkc[@]}" | range %.2f), other $(printf '%s\n' "${other[@]}" | range %.2f)," \
      "busy $(printf '%s\n' "${busy[@]}" | range %.2f)"
  fi
  local bad=""
  [ "$tot_other" -eq 0 ] || bad+=", $tot_other answers not 2xx"
  [ "$tot_socket" -eq 0 ] || bad+=", $tot_socket socket errors"
  [ "$tot_timeouts" -eq 0 ] || bad+=", $tot_timeouts timeouts"
  [ -z "$bad" ] || echo "  ($name:${bad#,})"
  if [ "$kind" = post ]; then
    local check=ok
    logged1=$(logged_201)
    # every 201 wrk saw is a run stored; beyond those, at most one upload a connection that wrk
    # left in flight when it stopped; no upload is a run that existed (every body is new)
    if [ "$max_late" -lt 0 ] || [ "$max_late" -gt "$c" ] || [ "$tot_existed" -ne 0 ]; then
      check="MISMATCH"
    fi
    local unlogged=$((tot_stored - (logged1 - logged0)))
    summary+=("$(printf '%-34s runs stored: %d (wrk: %d answered 2xx: %d 201, %d 200, %d with history deferred; %d stored after wrk stopped; the servers logged %d 201: %s)' \
      "$name" "$tot_stored" "$tot_2xx" "$tot_created" "$tot_existed" "$tot_deferred" \
      "$((tot_stored - tot_created))" "$((logged1 - logged0))" "$check")")
    # an upload whose client left while it was handled is stored, but now and then neither
    # logged nor counted in /metrics
    [ "$unlogged" -le 0 ] ||
      summary+=("$(printf '%-34s   %d of the runs stored have no access-log line (their client had left)' "" "$unlogged")")
  fi
}

header() {
  echo
  echo "$1"
  printf '%-34s %9s %11s %7s %8s %8s %7s %7s %6s %5s\n' "case (median of $repeats x 5 s)" "$2/s" "(range)" \
    "p50 ms" "p99 ms" "qbdb ms" "pg ms" "wrk ms" "other" "busy"
}

# ---- the cases ----
ids_of() { "$qbdb" --db "$1" runs --project cmp --limit 0 --format json | jq -r '[.[].id] | sort | join(" ")'; }
for k in sqlite pg1; do compare_lua "$(ids_of "${dburl[$k]}")" >"$tmp/compare_$k.lua"; done

header "GET /api/v1/compare, uncached, 4 connections (CPU per answer)" "req"
for k in sqlite pg1; do
  dbkey=$k db=${dburl[$k]}
  start_servers "$db" 1 "cmp_$k"
  label="SQLite, 1 server"; [ "$k" = sqlite ] || label="PostgreSQL, 1 server"
  run_case "$label, 4 conn" get 4 2 "$tmp/compare_$k.lua" /api/v1/compare
  stop_servers
done

header "POST /api/v1/runs, 100 benchmarks (CPU per run stored)" "uploads"
for k in sqlite pg1 pg2 pg4; do
  dbkey=$k db=${dburl[$k]}
  if [ "$k" = sqlite ]; then n=1 label="SQLite, 1 server"; else n=${k#pg} label="PostgreSQL, $n server"; fi
  [ "$n" -gt 1 ] && label+=s
  start_servers "$db" "$n" "post_$k"
  for c in 4 16; do
    run_case "$label, $c conn" post "$c" 4 "$tmp/post.lua" /api/v1/runs
  done
  stop_servers
done

echo
echo "rates: 2xx answers per second, summed over the wrks (one per server, the connections split);"
echo "p50/p99: of every wrk's answers together; qbdb/pg/wrk: CPU ms per run stored (compare: per"
echo "answer) in the qbdb servers, PostgreSQL's processes, wrk, and the rest of the machine; busy: CPUs"
echo "busy of the $ncpu, all processes together"
printf '%s\n' "${summary[@]}"
odd=$(cat "$tmp"/serve_*.log | grep -vE '^127\.0\.0\.1 (GET|POST) [^ ]+ 20[01] [0-9.]+ms$|^qbdb serving ' || true)
if [ -n "$odd" ]; then
  echo "server log lines other than 200/201 answers:"
  sort <<<"$odd" | sed -E 's/[0-9.]+ms$/_ms/' | uniq -c | sort -rn | head -n 20
fi

#!/usr/bin/env bash
# bench/gen_dashboard_db.sh - a project of BENCHMARKS benchmarks x RUNS runs for the dashboard
# (GET /api/v1/dashboard and the web page's landing view), stored with `qbdb ingest`.
#
# Usage: bench/gen_dashboard_db.sh OUT [BENCHMARKS [RUNS [QBDB]]]
#   OUT         the database: a file name (created; an existing file is refused) or a
#               postgresql:// URL of an empty database
#   BENCHMARKS  default 200; RUNS default 1000; QBDB the binary (default build/qbdb, else qbdb)
#   env: PROJECT (default "dash"), BRANCH (default "main"), MACHINE (default "m1"),
#        SAMPLES (raw samples per result, default 10), KEEP=DIR (keep the generated files there)
#
# What it writes (deterministic: a fixed LCG, no other randomness): one qbdb-native file per run
# (docs/formats/native.md), run r started at 2026-01-01T00:00:00Z + r hours, commit sha the hex of
# r; benchmark i is named by i mod 4, so the names come in families of 3 or 4 parameters:
#   0: "sort<f>/n=<10^k>"      (k = 2..4)
#   1: "test_parse<f>[<10^k>]" (as pytest-benchmark names a parametrized test)
#   2: "BM_Hash<f>/<2^k>"      (as Google Benchmark names an argument)
#   3: "plain_<i>"             (no parameter)
# and metric latency (ns), except every 8th benchmark's throughput (ops/s, higher is better).
# Values: 1000 * (1 + i/BENCHMARKS) with 1% noise; every 10th benchmark steps +20% (worse) at
# run RUNS*7/10, every 25th -15% (better) at RUNS*9/10, so detection records change points and
# open regressions. The runs are ingested in batches of 100 (one `qbdb ingest` each: detection
# runs after every run, as it does on upload).
#
# The web agent's page benchmark and bench/bench_dashboard_api.sh read what this writes.
set -euo pipefail
out=${1:?usage: gen_dashboard_db.sh OUT [BENCHMARKS [RUNS [QBDB]]]}
benches=${2:-200}
runs=${3:-1000}
here=$(cd "$(dirname "$0")/.." && pwd)
qbdb=${4:-}
if [ -z "$qbdb" ]; then
  if [ -x "$here/build/qbdb" ]; then qbdb=$here/build/qbdb; else qbdb=qbdb; fi
fi
project=${PROJECT:-dash}
branch=${BRANCH:-main}
machine=${MACHINE:-m1}
samples=${SAMPLES:-10}
case $out in
  postgresql://*) ;;
  *) if [ -e "$out" ]; then echo "gen_dashboard_db.sh: $out exists; remove it first" >&2; exit 2; fi ;;
esac
if [ -n "${KEEP:-}" ]; then
  dir=$KEEP
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi

awk -v B="$benches" -v R="$runs" -v S="$samples" -v P="$project" -v BR="$branch" \
    -v M="$machine" -v D="$dir" '
function civil(days,    y, m, md, leap) { # days since 2026-01-01 -> "YYYY-MM-DD"
  y = 2026
  while (1) {
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    if (days < 365 + leap) break
    days -= 365 + leap; y++
  }
  split("31 28 31 30 31 30 31 31 30 31 30 31", md, " ")
  if (leap) md[2] = 29
  for (m = 1; days >= md[m]; m++) days -= md[m]
  return sprintf("%04d-%02d-%02d", y, m, days + 1)
}
function name(i,    j, f, k) { # kind i % 4; its j-th benchmark: family j / 3, parameter j % 3
  j = int(i / 4); f = int(j / 3); k = j % 3
  if (i % 4 == 0) return sprintf("sort%d/n=%d", f, 10 ^ (2 + k))
  if (i % 4 == 1) return sprintf("test_parse%d[%d]", f, 10 ^ (2 + k))
  if (i % 4 == 2) return sprintf("BM_Hash%d/%d", f, 2 ^ (6 + k))
  return sprintf("plain_%d", i)
}
BEGIN {
  seed = 12345
  for (r = 1; r <= R; r++) {
    file = sprintf("%s/run%06d.jsonl", D, r)
    h = r - 1
    printf "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"%s\",\"branch\":\"%s\",\"machine\":\"%s\",\"commit\":\"%08x%08x\",\"started_at\":\"%sT%02d:00:00Z\"}\n", P, BR, M, 3735928559 - r, r, civil(int(h / 24)), h % 24 > file
    for (i = 0; i < B; i++) {
      base = 1000 * (1 + i / B)
      tput = i % 8 == 7
      if (i % 10 == 0 && r >= int(R * 7 / 10)) base *= tput ? 0.8 : 1.2
      if (i % 25 == 0 && r >= int(R * 9 / 10)) base *= tput ? 1.15 : 0.85
      line = sprintf("{\"name\":\"%s\",\"metric\":\"%s\",\"unit\":\"%s\",\"iterations\":100,\"samples\":[", name(i), tput ? "throughput" : "latency", tput ? "ops/s" : "ns")
      for (k = 0; k < S; k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        line = line sprintf("%s%.4f", k ? "," : "", base * (1 + 0.01 * (seed / 2147483648.0 - 0.5)))
      }
      print line "]}" > file
    }
    close(file)
  }
}'

start=$(date +%s)
ls "$dir"/run*.jsonl | xargs -n 100 "$qbdb" ingest --db "$out" --output json >/dev/null
echo "gen_dashboard_db.sh: $out: project $project, branch $branch, $benches benchmarks x $runs runs ($(($(date +%s) - start)) s to ingest)" >&2

#!/usr/bin/env bash
# tests/data/pr_load/record.sh [OUT_DIR] - records the real benchmark output that
# tests/cli/pr_load.sh reads: runner/example (qbdb_runner, built -O2) run 10 times as "main" and
# once as the pull request, each run with a busy loop on every core beside it, as a shared CI
# machine has. Writes main1.jsonl .. main10.jsonl and pr.jsonl (qbdb native format, every sample
# kept) into OUT_DIR (default: this folder). The files in the repository were recorded by this
# script on 2026-12-07 on the project's 2-core development machine (see README.md here).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
BIN=$(mktemp)
trap 'rm -f "$BIN"; [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true' EXIT
cc -O2 -I "$ROOT/runner" "$ROOT/runner/qbdb_runner.c" "$ROOT/runner/example/example.c" -o "$BIN" -lm
hogs=()
for _ in $(seq "$(nproc)"); do
  bash -c 'while :; do :; done' &
  hogs+=($!)
done
for i in $(seq 1 10); do
  "$BIN" --samples 20 --min-time 0.01 --quiet --out "$OUT/main$i.jsonl"
done
"$BIN" --samples 20 --min-time 0.01 --quiet --out "$OUT/pr.jsonl"

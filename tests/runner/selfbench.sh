#!/usr/bin/env bash
# tests/runner/selfbench.sh - qbdb's self-benchmark end to end (docs/selfbench.md): run
# qbdb_selfbench twice with few samples, ingest both runs (metadata once from the runner's flags,
# once from ingest's), and check that `qbdb compare --format json` has every benchmark with the
# metrics and units expected, that `qbdb show` has the run metadata, that re-ingesting a file is
# idempotent, and that the benchmarks leave no temporary files. Structure only, never speed.
# Run by ctest as: bash selfbench.sh QBDB_SELFBENCH QBDB SCRATCH
set -euo pipefail
SELFBENCH=$1
QBDB=$2
TMP=$3
rm -rf "$TMP"
mkdir -p "$TMP/tmp"
cd "$TMP"
export QBDB_DB=$TMP/self.db
export TMPDIR=$TMP/tmp # where the benchmarks' setups make their scratch directories
unset QBR_PROJECT QBR_COMMIT QBR_BRANCH QBR_MACHINE GITHUB_SHA GITHUB_HEAD_REF GITHUB_REF_NAME \
  CI_COMMIT_SHA CI_COMMIT_REF_NAME
command -v jq >/dev/null || { echo "FAIL: jq is needed (scripts/install-deps.sh)" >&2; exit 1; }
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect() { # expect GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

# The benchmarks, in run order; parse/* and ingest/* also have a B/s throughput.
names=(parse/pytest parse/criterion-text parse/native parse/google-benchmark parse/hyperfine
  parse/go parse/pytest-large ingest/pytest mwu/n=50 mwu/n=500 mwu/n=5000 shift/n=50 shift/n=500
  shift/n=5000 compare/benchmarks=100 compare/benchmarks=1000 changepoint/n=1000
  changepoint/n=10000 changepoint-update/n=10000)
expect "$("$SELFBENCH" --list)" "$(printf '%s\n' "${names[@]}")" "--list"

# Few short samples: the point is the structure, and an ASan build must stay quick.
quick=(--samples 3 --warmup 1 --min-time 0.0002 --time-budget 0.5 --quiet)
"$SELFBENCH" "${quick[@]}" --out a.jsonl --commit aaaa1111aaaa --branch selftest \
  --machine testbox --tag dirty=no || fail "run a: exit $?"
"$SELFBENCH" "${quick[@]}" --out b.jsonl --commit "" --branch "" --machine "" ||
  fail "run b: exit $?"
[ -z "$(ls -A "$TMP/tmp")" ] || fail "temporary files left: $(ls -A "$TMP/tmp" | tr '\n' ' ')"

# Run a carries its metadata; run b gets it from ingest's flags. Same content again: no new run.
"$QBDB" ingest --project qbdb a.jsonl >/dev/null
"$QBDB" ingest --project qbdb --commit bbbb2222bbbb --branch selftest --machine testbox \
  b.jsonl >/dev/null
out=$("$QBDB" ingest --project qbdb a.jsonl)
[[ $out == *"already stored as run 1"* ]] || fail "re-ingest of a.jsonl: $out"
expect "$("$QBDB" runs --project qbdb --format json | jq length)" 2 "runs stored"

# show: the metadata of both runs
show_a=$("$QBDB" show --project qbdb --format json aaaa1111)
expect "$(jq -r '[.project, .branch, .commit, .machine, .format, .tags.dirty] | join(" ")' \
  <<<"$show_a")" "qbdb selftest aaaa1111aaaa testbox native no" "show a: metadata"
expect "$(jq -r '.tool_version | startswith("qbr ")' <<<"$show_a")" true "show a: tool_version"
expect "$(jq -r '.n_benchmarks' <<<"$show_a")" "${#names[@]}" "show a: benchmarks"
expect "$(jq -r '.extra.runner.samples, .extra.runner.warmup' <<<"$show_a" | tr '\n' ' ')" "3 1 " \
  "show a: runner settings"
expect "$(jq -r '.extra.optimized | type' <<<"$show_a")" boolean "show a: optimized"
expect "$(jq -r '.machine_info.cores | type' <<<"$show_a")" number "show a: machine_info.cores"
show_b=$("$QBDB" show --project qbdb --format json selftest@latest)
expect "$(jq -r '[.id, .branch, .commit, .machine] | join(" ")' <<<"$show_b")" \
  "2 selftest bbbb2222bbbb testbox" "show b (selftest@latest): metadata"

# compare: the references `make selfbench` uses, every benchmark, metric and unit
cmp=$("$QBDB" compare --project qbdb --format json selftest~1 selftest@latest)
expect "$(jq -r '[.base.commit, .head.commit] | join(" ")' <<<"$cmp")" \
  "aaaa1111aaaa bbbb2222bbbb" "compare: base and head"
expect "$(jq -r '[.summary.added, .summary.removed] | join(" ")' <<<"$cmp")" "0 0" \
  "compare: nothing added or removed"
expect "$(jq -r '[.rows[].benchmark] | unique | length' <<<"$cmp")" "${#names[@]}" \
  "compare: benchmarks"
for name in "${names[@]}"; do
  rows=$(jq -c --arg b "$name" '[.rows[] | select(.benchmark == $b)
    | "\(.metric) \(.unit) \(.direction) \(.base.samples >= 1 and .head.samples >= 1)"] | sort' \
    <<<"$cmp")
  want='["cpu ns lower true","latency ns lower true","memory B lower true"]'
  case $name in
    parse/*)
      want='["cpu ns lower true","latency ns lower true","memory B lower true",'
      want+='"throughput B/s higher true"]'
      ;;
    ingest/*)
      want='["cpu ns lower true","items_throughput 1/s higher true","latency ns lower true",'
      want+='"memory B lower true","throughput B/s higher true"]'
      ;;
  esac
  expect "$rows" "$want" "compare: $name: metric unit direction samples"
done
for name in mwu/n=50 compare/benchmarks=100 changepoint-update/n=10000; do
  expect "$(jq -r --arg b "$name" '.rows[] | select(.benchmark == $b and .metric == "latency")
    | .test' <<<"$cmp")" mann-whitney-u "compare: $name: test"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "selfbench: ${#names[@]} benchmarks, 2 runs, compare and show checked"

#!/usr/bin/env bash
# tests/cli/bisect_repo_check.sh - checks tests/cli/bisect_repo.bash, the generator of the git
# repositories `qbdb bisect` is tested on: the same arguments make the same commits; the command
# builds and runs any commit, exits 125 on a broken one and leaves the work tree clean; the step
# commit is 10% slower; the planted noise is reproducible from the seed and the invocation count.
#
#   bash tests/cli/bisect_repo_check.sh [QBDB_BINARY [IGNORED...]]
#
# Works in a mktemp -d directory, removed on exit. Given a qbdb binary (as ctest gives the CLI
# scripts), the runs are also ingested with it. Needs git, cc and jq; nothing here is timed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cli/bisect_repo.bash
source "$here/bisect_repo.bash"
QBDB_RUNNER_DIR=$(realpath "${QBDB_RUNNER_DIR:-$here/../../runner}")
export QBDB_RUNNER_DIR
unset BISECT_SEED BISECT_NOISE BISECT_NOISE_STATE BISECT_CLOCK BISECT_FAIL_EVERY
qbdb=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

equals() { # equals GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}

# close GOT WANT RELTOL WHAT: numbers agree within a relative tolerance
close() {
  awk -v g="$1" -v w="$2" -v r="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w;
    exit !(d <= r * s) }' || fail "$4: got $1, want $2 (rel $3)"
}

# ---- the repository: 40 commits, a 10% step at 23, commit 7 broken; the same ids twice
repo=$tmp/repo
make_bisect_repo "$repo" 40 23:10 7 >"$tmp/ids" || fail "make_bisect_repo $repo 40 23:10 7"
make_bisect_repo "$tmp/again" 40 23:10 7 >"$tmp/ids2" || fail "make_bisect_repo (again)"
equals "$(wc -l <"$tmp/ids")" 40 "lines printed"
equals "$(grep -Ec '^[0-9]+ [0-9a-f]{40}$' "$tmp/ids")" 40 "lines of INDEX SHA"
equals "$(cut -d' ' -f1 "$tmp/ids" | tr '\n' ' ')" "$(seq -s ' ' 0 39) " "indexes in order"
cmp -s "$tmp/ids" "$tmp/ids2" || fail "the same arguments made other commit ids"
equals "$(git -C "$repo" rev-list --count HEAD)" 40 "commits in the repository"
equals "$(git -C "$repo" rev-list --merges --count HEAD)" 0 "merge commits"
equals "$(git -C "$repo" rev-parse HEAD)" "$(sed -n '40s/^39 //p' "$tmp/ids")" "HEAD is commit 39"
equals "$(git -C "$repo" status --porcelain)" "" "a fresh repository is clean"
sha() { awk -v i="$1" '$1 == i { print $2 }' "$tmp/ids"; } # sha INDEX
work_at() { git -C "$repo" show "$(sha "$1"):work.h" | sed -n 's/^#define WORK //p'; }
equals "$(work_at 22)/$(work_at 23)/$(work_at 39)" 2000/2200/2200 "WORK at commits 22, 23, 39"

# ---- bad arguments fail loudly and print no ids
bad_args() { # bad_args WHAT ARGS...: make_bisect_repo must fail with a message
  local got=0
  make_bisect_repo "$@" >"$tmp/bad.out" 2>"$tmp/bad.err" || got=$?
  [ "$got" -ne 0 ] || fail "make_bisect_repo $*: succeeded"
  [ ! -s "$tmp/bad.out" ] || fail "make_bisect_repo $*: printed $(cat "$tmp/bad.out")"
  grep -q '^make_bisect_repo: ' "$tmp/bad.err" || fail "make_bisect_repo $*: no message"
}
bad_args "$tmp/b1" 1 ""
bad_args "$tmp/b2" 40 23:10 23
bad_args "$tmp/b3" 40 0:10
bad_args "$tmp/b4" 40 40:10
bad_args "$tmp/b5" 40 23x10
bad_args "$tmp/b6" 40 23:10 39
bad_args "$repo" 40 23:10

# ---- the command
cmd=$(bisect_cmd "$repo")
[ -x "$cmd" ] || fail "bisect_cmd: $cmd is not executable"
case $cmd in "$repo"/*) fail "bisect_cmd: $cmd is inside the work tree" ;; esac

# run_at INDEX [VAR=VALUE...]: check out commit INDEX and run the command there with the
# variables set; its stdout in $tmp/run.out, stderr in $tmp/run.err, status in $rc
run_at() {
  local i=$1
  shift
  git -C "$repo" checkout -q "$(sha "$i")"
  rc=0
  (cd "$repo" && env "$@" "$cmd" >"$tmp/run.out" 2>"$tmp/run.err") || rc=$?
  equals "$(git -C "$repo" status --porcelain)" "" "git status after the run at commit $i"
}
latency_line() { grep '"name":"parse/config"' "$tmp/run.out" | grep -v '"metric"'; }
samples() { latency_line | grep -o '"samples":\[[^]]*\]'; } # the samples as printed
median() {
  jq -r 'select(.name == "parse/config" and (.metric // "latency") == "latency") | .samples
    | sort | if length % 2 == 1 then .[length / 2 | floor]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end' "$tmp/run.out"
}

# ---- no run-to-run noise: 23 and 39 are 10% above 0 and 22 (within 1%: the jitter is 0.5%)
state=$tmp/state
declare -A med=()
for i in 0 22 23 39 7; do
  run_at "$i" BISECT_NOISE=0 BISECT_SEED=5 BISECT_NOISE_STATE="$state"
  if [ "$i" = 7 ]; then
    equals "$rc" 125 "exit status of the broken commit 7"
    grep -q 'error' "$tmp/run.err" || fail "commit 7: no compiler message on stderr"
    [ ! -s "$tmp/run.out" ] || fail "commit 7: wrote on stdout"
    continue
  fi
  equals "$rc" 0 "exit status at commit $i ($(tail -n 3 "$tmp/run.err"))"
  head -n 1 "$tmp/run.out" | grep -q '"format":"qbdb-native".*"clock":"custom"' ||
    fail "commit $i: no native header with the virtual clock"
  equals "$(latency_line | jq '.samples | length')" 10 "samples at commit $i"
  med[$i]=$(median)
  echo "commit $i: median ${med[$i]} ns"
  if [ -n "$qbdb" ]; then
    QBDB_DB=$tmp/q.db "$qbdb" ingest --commit "$(sha "$i")" "$tmp/run.out" >/dev/null ||
      fail "qbdb ingest of commit $i's run"
  fi
done
equals "$(cat "$state")" 4 "invocations counted (the broken commit runs nothing)"
base=$(awk -v a="${med[0]}" -v b="${med[22]}" 'BEGIN { printf "%.17g", (a + b) / 2 }')
close "${med[0]}" "${med[22]}" 0.01 "median at 0 against 22"
close "${med[39]}" "${med[23]}" 0.01 "median at 39 against 23"
for i in 23 39; do
  ratio=$(awk -v m="${med[$i]}" -v b="$base" 'BEGIN { printf "%.6f", m / b }')
  echo "commit $i: $ratio x the median of 0 and 22"
  close "$ratio" 1.10 0.01 "median at $i over that of 0 and 22"
done

# ---- the noise: the same seed and a fresh state give the same values; the next run other ones
run_at 39 BISECT_SEED=5 BISECT_NOISE_STATE="$tmp/s1"
first=$(samples)
run_at 39 BISECT_SEED=5 BISECT_NOISE_STATE="$tmp/s2"
if [ -z "$first" ] || [ "$first" != "$(samples)" ]; then
  fail "the same seed and a fresh state file gave other values"
fi
run_at 39 BISECT_SEED=5 BISECT_NOISE_STATE="$tmp/s1"
[ "$first" != "$(samples)" ] || fail "the second invocation repeated the first's values"
equals "$(cat "$tmp/s1")" 2 "invocations counted in s1"
run_at 39 BISECT_SEED=6 BISECT_NOISE_STATE="$tmp/s3"
[ "$first" != "$(samples)" ] || fail "seeds 5 and 6 gave the same values"

# ---- a planted crash every 2nd invocation: exit 1, nothing on stdout
for k in 0 1 2; do
  run_at 39 BISECT_FAIL_EVERY=2 BISECT_NOISE_STATE="$tmp/s4"
  if [ "$k" = 1 ]; then
    equals "$rc" 1 "exit status of invocation 1 with BISECT_FAIL_EVERY=2"
    [ ! -s "$tmp/run.out" ] || fail "the planted crash wrote on stdout"
  else
    equals "$rc" 0 "exit status of invocation $k with BISECT_FAIL_EVERY=2"
  fi
done

# ---- the real clock: runs and writes 10 samples (their values are not checked)
run_at 0 BISECT_CLOCK=real
equals "$rc" 0 "exit status with BISECT_CLOCK=real"
head -n 1 "$tmp/run.out" | grep -q '"clock":"CLOCK_MONOTONIC' ||
  fail "BISECT_CLOCK=real: the header does not name the real clock"
equals "$(latency_line | jq '.samples | length')" 10 "samples with BISECT_CLOCK=real"
run_at 0 BISECT_NOISE=-1
equals "$rc" 2 "exit status with BISECT_NOISE=-1"

# ---- bench.c compiles without warnings (gcc and clang, when installed)
for c in cc gcc clang; do
  command -v "$c" >/dev/null || continue
  (cd "$repo" && "$c" -O1 -std=c11 -Wall -Wextra -Werror -pedantic -I"$QBDB_RUNNER_DIR" -c \
    bench.c -o "$tmp/bench-$c.o") || fail "bench.c does not compile warning-free with $c"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "ok"

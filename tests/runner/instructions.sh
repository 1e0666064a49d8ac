#!/usr/bin/env bash
# tests/runner/instructions.sh - qbr's instruction counts (--measure, docs/runner.md): the time
# mode writes the lines it wrote before --measure existed (tests/runner/data/time_shape.txt);
# --measure instructions, re-run under valgrind's callgrind, gives the same per-iteration counts
# twice while both cores are busy, 2% more work gives counts 2% higher, a run under callgrind by
# hand gives the same counts, and qbdb ingests the file; --measure both is refused under
# valgrind; without a hardware counter and without valgrind, the one-line error and exit status
# 2; and (with a copy of the runner counting a software event) the perf_event path's lines.
# No timing is asserted: the busy loops only load the machine.
# Run by ctest as: bash instructions.sh BENCH QBDB TIME_SHAPE SCRATCH [BENCH_SW]
set -euo pipefail
BENCH=$1
QBDB=$2
SHAPE=$3
TMP=$4
SW=${5:-}
rm -rf "$TMP"
mkdir -p "$TMP/tmp"
cd "$TMP"
export QBDB_DB=$TMP/qbdb.db
export TMPDIR=$TMP/tmp # where the re-run makes its directory for callgrind's dumps
unset QBR_PROJECT QBR_COMMIT QBR_BRANCH QBR_MACHINE GITHUB_SHA GITHUB_HEAD_REF GITHUB_REF_NAME \
  CI_COMMIT_SHA CI_COMMIT_REF_NAME QBR_CALLGRIND_OUT QBR_REEXEC QBR_TEST_WORK
command -v jq >/dev/null || { echo "FAIL: jq is needed (scripts/install-deps.sh)" >&2; exit 1; }
prog=$(basename "$BENCH")
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect() { # expect GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}
busy=()
stop_busy() {
  for p in "${busy[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${busy[@]}"; do wait "$p" 2>/dev/null || true; done
  busy=()
}
trap stop_busy EXIT

# The shape of a run's output: numbers as N, the machine's own header values masked.
shape() {
  sed -E -e 's/"machine_info":\{[^}]*\}/"machine_info":{}/' -e 's/"started_at":"[^"]*"/"started_at":S/' \
    -e 's/"compiler":"[^"]*"/"compiler":S/' -e 's/"optimized":(true|false)/"optimized":B/' \
    -e 's/-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/N/g' "$1"
}
sumshape() {
  sed -E -e 's/[0-9]+(\.[0-9]+)?/N/g' -e 's/N (ns|us|ms|s)\b/N T/g' \
    -e 's/N [KMGT] items\/s/N items\/s/g' -e 's/ +/ /g' "$1"
}

# 1. the time mode (the default, and --measure time) writes the same lines as before
args=(--samples 3 --warmup 1 --iters 5 --commit abcd1234 --branch main --machine box --project p
  --tag k=v)
for m in default time; do
  extra=()
  [ "$m" == time ] && extra=(--measure time)
  "$BENCH" "${args[@]}" "${extra[@]}" --out "t-$m.jsonl" >"t-$m.sum" || fail "time mode ($m): exit $?"
  { shape "t-$m.jsonl"; sumshape "t-$m.sum"; } >"t-$m.shape"
  diff <(grep -v '^#' "$SHAPE") "t-$m.shape" >&2 || fail "time mode ($m): output differs from $SHAPE"
done

# The per-iteration samples of BENCH's METRIC line in FILE, one JSON array.
samples() { jq -c --arg b "$2" --arg m "${3:-instructions}" \
  'select(.name == $b and .metric == $m) | [.iterations, .samples]' "$1"; }
# The median of BENCH's METRIC line in FILE.
median() { jq -r --arg b "$2" 'select(.name == $b and .metric == "instructions") |
  .samples | sort | .[(length / 2 | floor)]' "$1"; }

# 2. no hardware counter and no valgrind: one line naming both reasons, exit 2, nothing written
set +e
out=$(env PATH=/nonexistent "$BENCH" --measure instructions --out nope.jsonl 2>&1)
st=$?
set -e
perf=yes
if [[ $out == *"perf_event_open: "* ]]; then
  perf=no
  expect "$st" 2 "without valgrind: exit status"
  expect "$out" "$prog: --measure instructions: no hardware instruction counter (perf_event_open: No such file or directory) and valgrind is not installed" \
    "without valgrind: message"
  [ ! -e nope.jsonl ] || fail "without valgrind: nope.jsonl was created"
  set +e
  out=$(env PATH=/nonexistent "$BENCH" --measure both 2>&1)
  st=$?
  set -e
  expect "$st" 2 "--measure both without a counter: exit status"
  expect "$out" "$prog: --measure both: no hardware instruction counter (perf_event_open: No such file or directory)" \
    "--measure both without a counter: message"
else
  echo "note: this machine has a hardware instruction counter (exit $st): the fallback is not tested"
fi
set +e
out=$("$BENCH" --measure cycles 2>&1)
st=$?
set -e
expect "$st" 2 "--measure cycles: exit status"
expect "$out" "$prog: --measure \"cycles\": expected time, instructions or both (see --help)" \
  "--measure cycles: message"

# 3. under callgrind (the re-run, then by hand)
if ! command -v valgrind >/dev/null; then
  fail "valgrind is needed (scripts/install-deps.sh)"
elif grep -qa __asan_init "$BENCH"; then
  echo "note: $prog is built with AddressSanitizer, which valgrind cannot run: callgrind not tested"
else
  # --measure instructions: the re-run under callgrind here; where a hardware counter would be
  # used instead, the same under callgrind by hand
  instr() {
    if [ "$perf" == no ]; then
      "$BENCH" --measure instructions "$@"
    else
      QBR_CALLGRIND_OUT="$TMP/cg.%p" valgrind --tool=callgrind -q --collect-atstart=no \
        --callgrind-out-file="$TMP/cg.%p" "$BENCH" --measure instructions "$@"
    fi
  }
  for _ in 1 2; do # both cores busy while the counts are taken
    bash -c 'while :; do :; done' &
    busy+=($!)
  done
  for run in 1 2; do
    instr --out "i$run.jsonl" --commit aaaa000$run >"i$run.sum" || fail "instructions run $run: exit $?"
  done
  QBR_TEST_WORK=1020 instr --out i3.jsonl --commit aaaa0003 >/dev/null ||
    fail "instructions run 3: exit $?"
  stop_busy
  expect "$(ls -A "$TMPDIR")" "" "the re-run's directory is removed"
  expect "$(head -1 i1.jsonl | jq -c '[.measure, .counter.source, .counter.event,
    (.counter.tool | startswith("callgrind-")), .runner.samples]')" \
    '["instructions","callgrind","Ir",true,10]' "header of an instructions run"
  expect "$(tail -n +2 i1.jsonl | jq -r '[.name, .metric, .unit, .iterations > 0,
    (.samples | length), .extra.source, .extra.event, .extra.iters_mode,
    .extra.min_instructions] | @tsv' | tr '\t' ' ')" \
    "$(printf '%s instructions 1 true 10 callgrind Ir auto 1000000\n' work sum/n=100 sum/n=1000)" \
    "instructions lines (no latency, cpu, memory or throughput)"
  expect "$(jq -c 'select(.metric == "instructions" and .group != null) | [.name, .params]' \
    i1.jsonl | tr '\n' ' ')" '["sum/n=100",{"n":100}] ["sum/n=1000",{"n":1000}] ' \
    "group and params on the instructions line"
  # a sample has at least QBR_MIN_INSTR instructions: iterations x per-iteration count
  expect "$(jq -r 'select(.metric == "instructions") | .iterations * .samples[0] >= 1000000' \
    i1.jsonl | sort -u)" true "instructions per sample >= 1e6"
  for b in work sum/n=100 sum/n=1000; do
    s1=$(samples i1.jsonl "$b")
    s2=$(samples i2.jsonl "$b")
    expect "$s2" "$s1" "$b: the same iterations and counts in two runs on a busy machine"
    # every sample of a run is the same count
    expect "$(jq -r --arg b "$b" 'select(.name == $b) | .samples | unique | length' i1.jsonl)" 1 \
      "$b: samples of one run"
  done
  echo "work: $(median i1.jsonl work) instructions per iteration, runs 1 and 2:" \
    "$(samples i1.jsonl work | jq -c '.[1] | unique') and $(samples i2.jsonl work | jq -c '.[1] | unique')"
  grep -Eq '^work +[0-9.]+ k instr \+-  0\.00% +10 x [0-9]+$' i1.sum ||
    fail "summary line of work: $(grep '^work' i1.sum)"
  # 2% more work: 2% more instructions, within 0.1%
  w1=$(median i1.jsonl work)
  w3=$(median i3.jsonl work)
  ratio=$(jq -n --argjson a "$w1" --argjson b "$w3" '$b / $a')
  echo "work with 2% more steps: $w3 / $w1 = $ratio"
  jq -en --argjson r "$ratio" '($r / 1.02 - 1) | fabs < 0.001' >/dev/null ||
    fail "2% more work: ratio $ratio, want 1.02 within 0.1%"
  expect "$(samples i3.jsonl sum/n=100)" "$(samples i1.jsonl sum/n=100)" "sum/n=100 with more work"

  # qbdb's verdict on these counts (issue 18): with both cores busy again, three more runs of the
  # same program and three with 2% more work, each compared with run 1: the same program
  # unchanged every time, 2% more work a regression every time (min_change.instructions 0.5%,
  # docs/statistics.md)
  for _ in 1 2; do
    bash -c 'while :; do :; done' &
    busy+=($!)
  done
  vdb=$TMP/verdict.db
  "$QBDB" --db "$vdb" ingest --project v --branch main i1.jsonl >/dev/null
  for k in 1 2 3; do
    instr --filter '^work$' --out "s$k.jsonl" --commit bbbb000$k --quiet || fail "same run $k: exit $?"
    QBR_TEST_WORK=1020 instr --filter '^work$' --out "m$k.jsonl" --commit cccc000$k --quiet ||
      fail "2% run $k: exit $?"
  done
  stop_busy
  for k in 1 2 3; do
    for f in s m; do
      "$QBDB" --db "$vdb" ingest --project v --branch "b-$f$k" "$f$k.jsonl" >/dev/null
      set +e
      out=$("$QBDB" --db "$vdb" compare --project v --format json main@latest "b-$f$k@latest")
      set -e
      want=unchanged
      [ $f == m ] && want="regression minor"
      expect "$(jq -r '.rows[] | select(.benchmark == "work" and .metric == "instructions") |
        [.verdict, (if .verdict == "regression" then .severity else empty end)] | join(" ")' \
        <<<"$out")" "$want" "compare with run 1: $f$k (work instructions)"
    done
    [ "$k" -gt 1 ] || echo "work, compared with run 1: the same program $(jq -r '.rows[] |
      select(.benchmark == "work") | "\(.change_pct)%"' <<<"$("$QBDB" --db "$vdb" compare \
      --project v --format json main@latest b-s1@latest)"), 2% more work $(jq -r '.rows[] |
      select(.benchmark == "work") | "+\(.change_pct)%"' <<<"$("$QBDB" --db "$vdb" compare \
      --project v --format json main@latest b-m1@latest)")"
  done

  # by hand: collection on at start (no --collect-atstart=no), dumps where QBR_CALLGRIND_OUT says
  QBR_CALLGRIND_OUT="$TMP/hand.%p" valgrind --tool=callgrind -q \
    --callgrind-out-file="$TMP/hand.%p" "$BENCH" --measure instructions --filter '^work$' \
    --out hand.jsonl --quiet || fail "under callgrind by hand: exit $?"
  expect "$(samples hand.jsonl work)" "$(samples i1.jsonl work)" "under callgrind by hand: counts"
  expect "$(find . -maxdepth 1 -name 'hand.*.*' | wc -l)" 0 "under callgrind by hand: dumps left"
  # by hand, dumps not where the program looks: refused, exit 2
  set +e
  out=$(valgrind --tool=callgrind -q --callgrind-out-file="$TMP/else.%p" "$BENCH" \
    --measure instructions --filter '^work$' 2>&1)
  st=$?
  set -e
  expect "$st" 2 "dumps elsewhere: exit status"
  [[ $out == *"--measure instructions: running under valgrind, but no callgrind dump appeared at "*"callgrind.out."*".N (not callgrind? with --callgrind-out-file=X, set QBR_CALLGRIND_OUT=X)" ]] ||
    fail "dumps elsewhere: message: $out"

  # --measure both under valgrind: refused, exit 2
  set +e
  out=$(valgrind --tool=callgrind -q --callgrind-out-file="$TMP/both.%p" "$BENCH" \
    --measure both --out both.jsonl 2>&1)
  st=$?
  set -e
  expect "$st" 2 "--measure both under valgrind: exit status"
  expect "$out" "$prog: --measure both: refused under valgrind, whose times are not the program's (use --measure instructions)" \
    "--measure both under valgrind: message"
  [ ! -e both.jsonl ] || fail "--measure both under valgrind: both.jsonl was created"

  # qbdb reads the instructions lines: unit 1, lower is better
  "$QBDB" ingest --project p i1.jsonl >/dev/null
  "$QBDB" ingest --project p i3.jsonl >/dev/null
  expect "$("$QBDB" show 1 --format json | jq -c '[.extra.measure, .extra.counter.source,
    (.benchmarks[] | .name, (.results[] | .metric, .unit, .direction, .n))]')" \
    '["instructions","callgrind","work","instructions","1","lower",10,"sum/n=100","instructions","1","lower",10,"sum/n=1000","instructions","1","lower",10]' \
    "qbdb show of an instructions run"
fi

# 4. the perf_event path, with a copy of the runner that counts a software event (task-clock)
if [ -n "$SW" ]; then
  set +e
  out=$("$SW" --measure both --samples 3 --out sw.jsonl --quiet 2>&1)
  st=$?
  set -e
  if [ "$st" == 2 ] && [[ $out == *"perf_event_open: "* ]]; then
    echo "note: perf_event_open refuses software events here too: $out"
  else
    expect "$st" 0 "--measure both (software event): exit status ($out)"
    expect "$(head -1 sw.jsonl | jq -c '[.measure, .counter]')" \
      '["both",{"source":"perf_event","event":"task-clock:u"}]' "--measure both: header"
    expect "$(tail -n +2 sw.jsonl | jq -r '.metric // "latency"' | tr '\n' ' ')" \
      "latency cpu memory instructions latency cpu memory throughput instructions latency cpu memory throughput instructions " \
      "--measure both: the time mode's lines, then instructions"
    for b in work sum/n=100; do
      expect "$(jq -c --arg b "$b" 'select(.name == $b and (.metric // "latency") == "latency") |
        .iterations' sw.jsonl)" \
        "$(jq -c --arg b "$b" 'select(.name == $b and .metric == "instructions") | .iterations' \
          sw.jsonl)" "$b: the same samples for time and the counter"
      expect "$(jq -r --arg b "$b" 'select(.name == $b and .metric == "instructions") |
        [(.samples | length), (.samples | all(. > 0))] | @tsv' sw.jsonl | tr '\t' ' ')" "3 true" \
        "$b: counter samples"
    done
    "$SW" --measure instructions --samples 2 --out swi.jsonl --quiet || fail "software event: $?"
    expect "$(tail -n +2 swi.jsonl | jq -r '[.name, .metric, .extra.source] | @tsv' | tr '\t\n' '  ')" \
      "work instructions perf_event work memory ru_maxrss sum/n=100 instructions perf_event sum/n=100 memory ru_maxrss sum/n=1000 instructions perf_event sum/n=1000 memory ru_maxrss " \
      "--measure instructions with perf_event: instructions and memory lines"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "ok"

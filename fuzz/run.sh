#!/usr/bin/env bash
# fuzz/run.sh - run one libFuzzer target (docs/reliability.md, "Fuzzing"): first every saved crash
# of fuzz/regressions/<target>/ (each must now pass), then fuzzing for SECONDS from the seed
# corpus, with the target's dictionary. Fails on any crash, leak, timeout or UBSan report.
#
#   run.sh BINARY SECONDS MAX_LEN DICT SEEDS REGRESSIONS WORK [fresh|keep]
#
# WORK is a scratch directory: WORK/corpus (the seeds are copied there, so the checked-in and
# generated seeds are never modified) and WORK/crash-* etc. (what libFuzzer found). "fresh"
# (ctest) empties WORK first; "keep" lets the corpus grow from run to run. `make fuzz` runs the
# same ctests with QB_FUZZ_SECONDS (overrides SECONDS) and QB_FUZZ_WORK (a directory for WORK,
# kept) in the environment. A summary line (executions, exec/s, cov, ft, corpus) goes to
# WORK/summary.txt.
set -euo pipefail
bin=$1 seconds=$2 max_len=$3 dict=$4 seeds=$5 regressions=$6 work=$7 mode=${8:-fresh}
name=$(basename "$bin")
seconds=${QB_FUZZ_SECONDS:-$seconds}
if [ -n "${QB_FUZZ_WORK:-}" ]; then
  work=$QB_FUZZ_WORK/${name#fuzz_} mode=keep
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

[ "$mode" = fresh ] && rm -rf "$work"
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true

# 1. the regression cases: libFuzzer runs each file given as an argument once
shopt -s nullglob
cases=("$regressions"/*)
if [ ${#cases[@]} -gt 0 ]; then
  echo "$name: ${#cases[@]} regression case(s) from $regressions"
  "$bin" -rss_limit_mb=2048 -timeout=25 "${cases[@]}" >"$work/regressions.log" 2>&1 || {
    cat "$work/regressions.log"
    echo "$name: a regression case fails again" >&2
    exit 1
  }
fi

# 2. fuzzing for a set time
args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048
      -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/"
      -close_fd_mask=1)
[ "$dict" != - ] && args+=(-dict="$dict")
echo "$name: fuzzing for ${seconds}s (max_len $max_len, $(ls "$work/corpus" | wc -l) inputs)"
set +e
timeout -k 10 $((seconds + 120)) "$bin" "${args[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
set -e
# the final status line and the statistics
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$done_line")
ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$done_line")
corp=$(sed -n 's/.* corp: \([^ ]*\) .*/\1/p' <<<"$done_line")
summary=$(printf '%-20s %5ss  execs %10s  exec/s %6s  cov %5s  ft %6s  corpus %s' "$name" \
  "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
echo "$summary" | tee "$work/summary.txt"
if [ $rc -ne 0 ]; then
  tail -80 "$work/fuzz.log"
  echo "$name: FAILED (exit $rc); the input is in $work/ (crash-*, leak-*, timeout-*...)." >&2
  echo "  minimise: $bin -minimize_crash=1 -runs=10000 -exact_artifact_path=OUT INPUT" >&2
  echo "  and keep OUT in fuzz/regressions/${name#fuzz_}/ as a regression case" >&2
  exit 1
fi

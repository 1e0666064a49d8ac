#!/usr/bin/env bash
# End to end: instruction counts (qbdb_runner --measure instructions writes them as native lines
# with "metric":"instructions","unit":"1": every run of a binary counts the same, so the spread
# is 0 within and between runs). compare: identical counts are unchanged (p 1, no NaN or
# division by zero in JSON or text), +0.01% is unchanged (below min_change.instructions, built in
# 0.5%), +2% a minor regression; the setting moves the line (3%: +2% unchanged; 0.005%: +0.01% a
# regression); detection: 30 equal runs then +2% are one regression record at the run of the
# step, 60 identical runs none; trend, report and grade print no NaN or inf; counts print as
# "1.235 M". The input files are made here (data); the assertions are about qbdb's answers.
source "$(dirname "$0")/lib.bash"

# counts FILE PROJECT RUN COUNT [FLAT [SOURCE]]: a native file of run RUN (commit 0x30000000 +
# RUN, an hour apart) with 10 identical samples of COUNT for parse/config, and FLAT (default
# 1000000) for flat/read, counted by SOURCE (default callgrind)
counts() {
  local c=$4 f=${5:-1000000} src=${6:-callgrind}
  {
    printf '{"format":"qbdb-native","version":1,"project":"%s","branch":"main","machine":"m1",' "$2"
    printf '"commit":"%08x","started_at":"2026-03-%02dT%02d:00:00Z","tool":"qbdb_runner"}\n' \
      $((0x30000000 + $3)) $((1 + $3 / 24)) $(($3 % 24))
    for b in parse/config flat/read; do
      local v=$c
      [ "$b" = flat/read ] && v=$f
      printf '{"name":"%s","metric":"instructions","unit":"1","iterations":1,"samples":[' "$b"
      printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s' "$v" "$v" "$v" "$v" "$v" "$v" "$v" "$v" "$v" "$v"
      printf '],"extra":{"source":"%s"}}\n' "$src"
    done
  } >"$1"
}

no_nan() { # no_nan TEXT WHAT: no NaN or inf anywhere (as a word: "-nan", "inf", "NaN")
  if grep -qiwE 'nan|-nan|inf|infinity' <<<"$1"; then
    fail "$2: prints NaN or inf: $(grep -iwE 'nan|-nan|inf|infinity' <<<"$1" | head -3)"
  fi
}

# ---- compare: two runs each, no history (the noise is unknown: the metric's floor decides) ----
counts base.jsonl pair 1 1234567
counts same.jsonl pair 2 1234567
counts tiny.jsonl pair 3 1234690.4567 # +0.01%
counts two.jsonl pair 4 1259258.34    # +2%
for f in base same tiny two; do run 0 "$QBDB" ingest "$f.jsonl"; done
B=30000001 S=30000002 T=30000003 W=30000004

run 0 "$QBDB" compare --format json "$B" "$S"
row=$(jq -c '.rows[] | select(.benchmark == "parse/config")' <<<"$OUT")
equals "$(jq -r '[.verdict, .change_pct, .p_value, .threshold_pct, .min_change_pct, .direction]
  | @tsv' <<<"$row")" $'unchanged\t0\t1\t0.5\t0.5\tlower' "identical counts: unchanged, change 0, p 1"
equals "$(jq -r '.base.stddev, .head.stddev' <<<"$row" | tr '\n' ' ')" "0 0 " "no spread"
equals "$(jq -r '.summary | [.regressions, .unchanged, .noise_unknown] | @tsv' <<<"$OUT")" \
  $'0\t2\t0' "identical: nothing changed, no row waits for history"
run 0 "$QBDB" compare "$B" "$S"
no_nan "$OUT" "compare text, identical"
contains "$OUT" "1.235 M" "the count in human units"
contains "$OUT" "instructions: |change| > 0.5% (min_change.instructions)" "the floor named"

run 0 "$QBDB" compare --format json "$B" "$T"
row=$(jq -c '.rows[] | select(.benchmark == "parse/config")' <<<"$OUT")
equals "$(jq -r '.verdict' <<<"$row")" unchanged "+0.01%: unchanged"
close "$(jq -r '.change_pct' <<<"$row")" 0.01 1e-6 "+0.01%: the change"
# 10 vs 10 without overlap: the exact Mann-Whitney p 2 / C(20, 10); scipy 1.10.1:
# /usr/bin/python3 -c 'from scipy.stats import mannwhitneyu; print(repr(mannwhitneyu([1] * 10,
# [2] * 10, method="exact").pvalue))' prints 1.082508822446903e-05
close "$(jq -r '.p_value' <<<"$row")" 1.082508822446903e-05 1e-9 "+0.01%: p within the runs"
contains "$(jq -r '.note' <<<"$row")" "min_change" "+0.01%: the note names the floor"
run 0 "$QBDB" compare "$B" "$T"
no_nan "$OUT" "compare text, +0.01%"

run 1 "$QBDB" compare --format json --fail-on minor "$B" "$W"
row=$(jq -c '.rows[] | select(.benchmark == "parse/config")' <<<"$OUT")
equals "$(jq -r '[.verdict, .severity] | @tsv' <<<"$row")" $'regression\tminor' "+2%: minor"
close "$(jq -r '.change_pct' <<<"$row")" 2 1e-9 "+2%: the change"
run 1 "$QBDB" compare --fail-on minor "$B" "$W"
no_nan "$OUT" "compare text, +2%"
contains "$OUT" "1.259 M" "the head count in human units"

# counts of another tool are not compared: perf_event against callgrind, +2%
counts perf.jsonl pair 5 1259258.34 1000000 perf_event
run 0 "$QBDB" ingest perf.jsonl
run 0 "$QBDB" compare --format json --fail-on minor "$B" 30000005
row=$(jq -c '.rows[] | select(.benchmark == "parse/config")' <<<"$OUT")
equals "$(jq -r '[.verdict, .severity, .note] | @tsv' <<<"$row")" \
  $'unchanged\tnone\tcounted by different tools (their extra.source differs): not comparable' \
  "callgrind against perf_event: not compared"

# ---- the setting ----
run 0 "$QBDB" config get --project pair
contains "$OUT" "min_change.instructions 0.5" "the built-in floor"
contains "$OUT" "min_change.cycles 0.5" "the built-in floor of cycles"
run 0 "$QBDB" config set --project pair min_change.instructions 3
run 0 "$QBDB" config get --project pair
contains "$OUT" "min_change.instructions 3" "the stored floor"
run 0 "$QBDB" compare --format json "$B" "$W"
equals "$(jq -r '.rows[] | select(.benchmark == "parse/config") | .verdict' <<<"$OUT")" \
  unchanged "min_change.instructions 3: +2% unchanged"
run 0 "$QBDB" config set --project pair --benchmark 'parse/*' min_change.instructions 0.005
run 1 "$QBDB" compare --format json --fail-on minor "$B" "$T"
equals "$(jq -r '.rows[] | select(.benchmark == "parse/config") | [.verdict, .severity] | @tsv' \
  <<<"$OUT")" $'regression\tminor' "min_change.instructions 0.005 for parse/*: +0.01% counts"
run 2 "$QBDB" config set --project pair 'min_change.a b' 1
contains "$ERR" "expected min_change.METRIC" "a bad metric name"
run 2 "$QBDB" config set --project pair min_change.instructions half
contains "$ERR" "is not a number" "a floor that is no number"

# ---- detection: 30 equal runs, then +2%; 60 identical runs ----
for r in $(seq 1 60); do
  c=1000000
  [ "$r" -gt 30 ] && c=1020000
  counts "run$r.jsonl" ic "$((100 + r))" "$c"
  run 0 "$QBDB" ingest "run$r.jsonl"
done
run 0 "$QBDB" regressions --all --format json
equals "$(jq '[.[] | select(.benchmark == "parse/config" and .active)] | length' <<<"$OUT")" 1 \
  "one record for the +2% step"
rec=$(jq -c '[.[] | select(.benchmark == "parse/config" and .active)][0]' <<<"$OUT")
equals "$(jq -r '[.kind, .severity, .commit[0:8], .before, .after] | @tsv' <<<"$rec")" \
  $'regression\tminor\t30000083\t1000000\t1020000' "the record: at run 31 (the step), +2%"
equals "$(jq '[.[] | select(.benchmark == "flat/read")] | length' <<<"$OUT")" 0 \
  "60 identical values: no record"
run 0 "$QBDB" detect --project ic
run 0 "$QBDB" regressions --all --format json
equals "$(jq '[.[] | select(.benchmark == "parse/config" and .active)] | length' <<<"$OUT")" 1 \
  "detect agrees: one record"
equals "$(jq '[.[] | select(.benchmark == "flat/read")] | length' <<<"$OUT")" 0 \
  "detect agrees: none for the flat series"
run 0 "$QBDB" regressions
no_nan "$OUT" "regressions text"

# ---- trend, report, grade: defined numbers only ----
for b in parse/config flat/read; do
  run 0 "$QBDB" trend --project ic --format json "$b"
  no_nan "$OUT" "trend json $b"
  jq -e . <<<"$OUT" >/dev/null || fail "trend json $b: not JSON"
  run 0 "$QBDB" trend --project ic "$b"
  no_nan "$OUT" "trend text $b"
done
step_run=$(jq '.run_id' <<<"$rec")
run 0 "$QBDB" trend --project ic --format json parse/config
equals "$(jq '.change_points | length' <<<"$OUT")" 1 "trend: one change point"
equals "$(jq -c '.change_points[0] | [.run_id, .index, .before, .after]' <<<"$OUT")" \
  "[$step_run,30,1000000,1020000]" "trend: at run 31 (index 30)"
run 0 "$QBDB" trend --project ic --format json flat/read
equals "$(jq '.change_points | length' <<<"$OUT")" 0 "trend: none in the flat series"
equals "$(jq -c '[.trend.direction, .trend.strength, .trend.slope_pct_per_run, .trend.noise_pct,
  .segment.noise_pct, .segment.low, .segment.high]' <<<"$OUT")" '["stable",1,0,0,0,1000000,1000000]' \
  "trend: the flat series is stable, without noise"
equals "$(jq '.trend | has("tau")' <<<"$OUT")" false "trend: tau undefined, left out"
run 0 "$QBDB" trend --project ic flat/read
contains "$OUT" "1.000 M" "trend text: counts in human units"

for fmt in markdown json html; do
  run 0 "$QBDB" report --project ic --no-record --format "$fmt" --since 3650d
  no_nan "$OUT" "report $fmt"
done
run 0 "$QBDB" grade --project ic --format json 30000083
no_nan "$OUT" "grade json"
jq -e . <<<"$OUT" >/dev/null || fail "grade json: not JSON"
run 0 "$QBDB" grade --project ic 30000083
no_nan "$OUT" "grade text"
run 0 "$QBDB" grade --project ic 300000a0 # run 60: nothing changed
no_nan "$OUT" "grade text, an unchanged run"

# Google Benchmark's perf counter names (--benchmark_perf_counters=INSTRUCTIONS,CYCLES): the
# metrics instructions and cycles, counts, lower is better (tests/data/gbench/perf_names)
run 0 "$QBDB" ingest --project gb "$DATA/gbench/perf_names/perfnames.json"
run 0 "$QBDB" show --project gb --format json main@latest
equals "$(jq -c '[.benchmarks[] | select(.name == "BM_Steps") | .results[] |
  select(.metric == "instructions" or .metric == "cycles") | [.metric, .unit, .direction, .value // .median]]' <<<"$OUT")" \
  '[["cycles","1","lower",2000],["instructions","1","lower",6000]]' "gbench perf counters"

finish

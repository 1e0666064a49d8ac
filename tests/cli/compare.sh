#!/usr/bin/env bash
# End to end: `qbdb compare` on real pytest-benchmark and Criterion output in every format,
# --fail-on exit codes, filters, sorting, settings via `qbdb config`, and the errors.
source "$(dirname "$0")/lib.bash"

run 0 "$QBDB" ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
run 0 "$QBDB" ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
run 0 "$QBDB" ingest --project rs --commit cccc3333 "$DATA/criterion/run1/target/criterion"
run 0 "$QBDB" ingest --project rs --commit dddd4444 "$DATA/criterion/run2b_compare_baseline/target/criterion"

# json: the documented contract
run 0 "$QBDB" compare --format json aaaa bbbb
equals "$(jq -r '.base.commit + " " + .head.commit' <<<"$OUT")" "aaaa1111 bbbb2222" "runs"
equals "$(jq '.alpha' <<<"$OUT")" 0.05 "alpha"
equals "$(jq '.rows | length' <<<"$OUT")" 9 "rows"
slow='.rows[] | select(.benchmark == "test_scaled_slower")'
equals "$(jq -r "$slow | .verdict + \" \" + .severity + \" \" + .test" <<<"$OUT")" \
  "regression major mann-whitney-u" "slowed benchmark"
equals "$(jq -r '.rows[] | select(.benchmark == "test_scaled_faster") | .verdict' <<<"$OUT")" \
  improvement "sped-up benchmark"
for k in benchmark metric unit base head change_pct p_value p_adjusted test significant severity verdict; do
  equals "$(jq "[.rows[] | has(\"$k\")] | all" <<<"$OUT")" true "row key $k"
done
for k in n median mean ci_low ci_high; do
  equals "$(jq "$slow | .base | has(\"$k\")" <<<"$OUT")" true "side key $k"
done
for k in geomean_change_pct regressions improvements unchanged; do
  equals "$(jq ".summary | has(\"$k\")" <<<"$OUT")" true "summary key $k"
done
close "$(jq "$slow | .change_pct" <<<"$OUT")" 21.9 0.01 "pytest median change"

# text: benchstat-like, with the test named in the footer; no colour when not a terminal
run 0 "$QBDB" compare --sort severity --project py main~1 main@latest
contains "$OUT" "test_scaled_slower" "text row"
contains "$OUT" "regression (major)" "text verdict"
contains "$OUT" "geomean" "geomean row"
contains "$OUT" "Mann-Whitney U" "footer names the test"
contains "$OUT" "Benjamini-Hochberg" "footer names the correction"
first=$(sed -n 6p <<<"$OUT") # after base, head, baseline, a blank line and the header
contains "$first" "test_scaled_slower" "severity sort puts the worst regression first"
case "$OUT" in *$'\x1b['*) fail "colour codes on a pipe" ;; esac

# --fail-on: exit 1 at or above the severity, 0 below it
run 1 "$QBDB" compare --fail-on major aaaa bbbb
contains "$ERR" "the worst major" "fail-on message"
run 0 "$QBDB" compare --fail-on critical aaaa bbbb
run 1 "$QBDB" compare --fail-on critical cccc dddd
run 2 "$QBDB" compare --fail-on huge aaaa bbbb

# filters and formats
run 0 "$QBDB" compare --only-changed --format json aaaa bbbb
equals "$(jq '[.rows[] | .verdict == "unchanged"] | any' <<<"$OUT")" false "only changed"
run 0 "$QBDB" compare --benchmark 'test_scaled_*' --format json aaaa bbbb
equals "$(jq '.rows | length' <<<"$OUT")" 2 "benchmark glob"
run 0 "$QBDB" compare --metric throughput --format json cccc dddd
equals "$(jq -r '.rows[0].benchmark + " " + .rows[0].direction' <<<"$OUT")" \
  "checksum/fnv1a/65536 higher" "metric filter"
run 0 "$QBDB" compare --format markdown aaaa bbbb
equals "$(head -1 <<<"$OUT")" \
  "### :x: qbdb: 1 regression (worst major), 1 improvement, 7 unchanged, 0 added, 0 removed, geomean +1.59%" \
  "markdown: the verdict line first"
contains "$OUT" "run 1 of main on vm, as asked (aaaa)" "markdown names the baseline"
contains "$OUT" "#### Regressions (1)" "markdown regressions section"
contains "$OUT" "| test\_scaled\_slower | latency | 669.8 µs ± 0.4% | 816.8 µs ± 0.5% | +21.94% | ? | major |" \
  "markdown regression row"
contains "$OUT" "<details><summary>All 9 rows</summary>" "markdown: the rest collapsed"
run 0 "$QBDB" compare --format csv cccc dddd
equals "$(head -1 <<<"$OUT" | tr -d '\r' | cut -d, -f1-3)" "benchmark,metric,unit" "csv header"
equals "$(grep -c . <<<"$OUT")" 9 "csv rows (8 + header)"
contains "$OUT" "spin 10k,latency,ns," "csv row"

# settings: a project threshold of 30% hides the pytest changes; the flag beats it
run 0 "$QBDB" config set --project py threshold 30
run 0 "$QBDB" config list
contains "$OUT" "threshold" "config list"
run 0 "$QBDB" config get --project py --benchmark test_x
contains "$OUT" "threshold 30" "config get"
run 0 "$QBDB" compare --format json aaaa bbbb
equals "$(jq .summary.regressions <<<"$OUT")" 0 "threshold setting"
run 0 "$QBDB" compare --threshold 1 --format json aaaa bbbb
equals "$(jq '.summary.regressions > 0' <<<"$OUT")" true "flag beats setting"
run 0 "$QBDB" config unset --project py threshold
run 4 "$QBDB" config unset --project py threshold
run 2 "$QBDB" config set alpha 2
contains "$ERR" "alpha" "bad alpha"
run 2 "$QBDB" config set speed 3
contains "$ERR" "unknown setting 'speed'" "bad key"

# too few samples: said plainly in every format
printf '%s\n' '{"format":"qbdb-native","version":1,"project":"tiny","commit":"eeee0001","started_at":"2026-01-01T00:00:00Z"}' \
  '{"name":"t","unit":"ns","samples":[100,101]}' >"$TMP/t1.jsonl"
printf '%s\n' '{"format":"qbdb-native","version":1,"project":"tiny","commit":"eeee0002","started_at":"2026-01-02T00:00:00Z"}' \
  '{"name":"t","unit":"ns","samples":[200,201]}' >"$TMP/t2.jsonl"
run 0 "$QBDB" ingest "$TMP/t1.jsonl" "$TMP/t2.jsonl"
run 0 "$QBDB" compare eeee0001 eeee0002
contains "$OUT" "note: t (latency): too few samples" "text note"
run 0 "$QBDB" compare --format json eeee0001 eeee0002
close "$(jq '.rows[0].p_value' <<<"$OUT")" 0.3333333333333333 1e-12 "exact p of 2 vs 2"
contains "$(jq -r '.rows[0].note' <<<"$OUT")" "too few samples" "json note"
run 0 "$QBDB" compare --format markdown eeee0001 eeee0002
contains "$OUT" "> note: t (latency): too few samples" "markdown note"

# errors: different projects, unknown run, missing metric, bad options
run 2 "$QBDB" compare aaaa cccc
contains "$ERR" "different projects" "projects differ"
one_line "$ERR" "one-line error"
run 4 "$QBDB" compare aaaa 999
contains "$ERR" "'999'" "unknown run"
run 4 "$QBDB" compare --metric memory aaaa bbbb
contains "$ERR" "metric 'memory' is not in run" "missing metric"
# one reference: the baseline rule; the first run of a branch has none
run 4 "$QBDB" compare aaaa
contains "$ERR" "no baseline for run 1: no earlier run of main" "no baseline"
one_line "$ERR" "one-line no-baseline error"
run 0 "$QBDB" compare --format json bbbb
equals "$(jq -r '.baseline.rule + " " + (.baseline.runs | map(tostring) | join(","))' <<<"$OUT")" \
  "branch 1" "baseline by the rule: the previous run of the branch"
run 2 "$QBDB" compare --base-runs 0 bbbb
run 2 "$QBDB" compare --sort size aaaa bbbb
run 2 "$QBDB" compare --alpha 7 aaaa bbbb
run 2 "$QBDB" compare --format yaml aaaa bbbb
finish

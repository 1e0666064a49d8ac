#!/usr/bin/env bash
# End to end: Google Benchmark runs in which one repetition failed (state.SkipWithError in the 2nd
# of 4 repetitions of BM_Flaky; tests/data/gbench/v1.9/README.md), ingested and compared, from
# Google Benchmark 1.7.1 (v171_*) and 1.9.5 (v195_*). With the repetitions in the file, n is the 3
# that succeeded, and the failure is shown on the run and the benchmark; with
# --benchmark_report_aggregates_only the file does not show the failure (in 1.9.5 neither) and n is
# the aggregates' "repetitions" (4), which compare's Welch test then uses.
source "$(dirname "$0")/lib.bash"

G="$DATA/gbench/v1.9"
flaky='.benchmark == "BM_Flaky/iterations:20000" and .metric == "latency"'

# every repetition in the file: the plain run and the --benchmark_out file of a
# --benchmark_display_aggregates_only run
run 0 "$QBDB" ingest --project gb --commit aaaa1111 "$G/v171_plain.json"
contains "$OUT" "stored run 1:" "plain run"
run 0 "$QBDB" ingest --project gb --commit bbbb2222 "$G/v171_display_out.json"
contains "$OUT" "stored run 2:" "display-aggregates-only --benchmark_out file"

run 0 "$QBDB" show --format json 1
b='.benchmarks[] | select(.name == "BM_Flaky/iterations:20000")'
equals "$(jq "$b | .results[] | select(.metric == \"latency\") | .n" <<<"$OUT")" 3 \
  "n: the repetitions that succeeded"
equals "$(jq -c "$b | .extra | [.failed, .failed_repetitions, .repetitions]" <<<"$OUT")" \
  "[true,1,4]" "the benchmark shows its failed repetition"
equals "$(jq -c '.extra.errors' <<<"$OUT")" \
  '[{"error":"checksum mismatch in repetition 2","name":"BM_Flaky/iterations:20000"}]' \
  "the run lists the error as Google Benchmark wrote it"
equals "$(jq "[.benchmarks[] | select(.extra.failed)] | length" <<<"$OUT")" 1 \
  "no other benchmark is marked failed"

# compare: the samples are the successful repetitions, 3 a side; the exact Mann-Whitney U p of
# [43.9215, 43.85415, 43.84975] against [43.8723, 43.85855, 43.91875] is 0.7
# (/usr/bin/python3: scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method='exact'))
run 0 "$QBDB" compare --format json aaaa bbbb
row=".rows[] | select($flaky)"
equals "$(jq -c "$row | [.base.n, .base.samples, .head.n, .head.samples, .test]" <<<"$OUT")" \
  '[3,3,3,3,"mann-whitney-u"]' "compare on full files: n = 3 successful repetitions"
close "$(jq "$row | .p_value" <<<"$OUT")" 0.7 1e-12 "compare p on full files"

# aggregates only: the failed repetition is not in the file, and the aggregates say 4
run 0 "$QBDB" ingest --project gbagg --commit cccc3333 "$G/v171_aggonly_a.json"
run 0 "$QBDB" ingest --project gbagg --commit dddd4444 "$G/v171_aggonly_b.json"
run 0 "$QBDB" show --format json cccc
equals "$(jq -c "$b | [(.results[] | select(.metric == \"latency\") | .n), .extra.aggregates_only, .extra.failed]" <<<"$OUT")" \
  "[4,true,null]" "aggregates only: n as written, marked aggregates_only, no failure to show"
equals "$(jq '.extra.errors' <<<"$OUT")" null "aggregates only: no error in the file"

# Welch on the aggregates with n = 4 a side: p = 0.4399222375816408
# (/usr/bin/python3: scipy.stats.ttest_ind_from_stats(45.54401666799398, 1.5900038588889152, 4,
#  44.663900001751244, 1.4121845620544349, 4, equal_var=False).pvalue; with n = 3 it would be
#  0.5136242896548039)
run 0 "$QBDB" compare --format json cccc dddd
equals "$(jq -c "$row | [.base.n, .base.samples, .head.n, .head.samples, .test]" <<<"$OUT")" \
  '[4,0,4,0,"welch-t"]' "compare on aggregates only: Welch with the written n"
close "$(jq "$row | .p_value" <<<"$OUT")" 0.4399222375816408 1e-9 "Welch p with n = 4"

# Google Benchmark 1.9.5: the same, from the files 1.9.5 wrote
run 0 "$QBDB" ingest --project gb195 --commit e1951111 "$G/v195_plain.json"
contains "$OUT" "stored run 5:" "1.9.5 plain run"
run 0 "$QBDB" ingest --project gb195 --commit f1952222 "$G/v195_display_out.json"
contains "$OUT" "stored run 6:" "1.9.5 display-aggregates-only --benchmark_out file"
run 0 "$QBDB" show --format json e195
equals "$(jq -r '.tool_version' <<<"$OUT")" "google-benchmark v1.9.5" "1.9.5: tool version"
equals "$(jq "$b | .results[] | select(.metric == \"latency\") | .n" <<<"$OUT")" 3 \
  "1.9.5: n is the repetitions that succeeded"
equals "$(jq -c "$b | .extra | [.failed, .failed_repetitions, .repetitions]" <<<"$OUT")" \
  "[true,1,4]" "1.9.5: the benchmark shows its failed repetition"
equals "$(jq -c '.extra.errors' <<<"$OUT")" \
  '[{"error":"checksum mismatch in repetition 2","name":"BM_Flaky/iterations:20000"}]' \
  "1.9.5: the run lists the error as Google Benchmark wrote it"

# the exact Mann-Whitney U p of [44.23704999680922, 44.36499998519139, 57.71670000740414] against
# [44.24710000421328, 45.62860001442459, 81.83480001662247] is 0.7
# (/usr/bin/python3, scipy 1.10.1: scipy.stats.mannwhitneyu(a, b, alternative='two-sided',
#  method='exact'))
run 0 "$QBDB" compare --format json e195 f195
equals "$(jq -c "$row | [.base.n, .base.samples, .head.n, .head.samples, .test]" <<<"$OUT")" \
  '[3,3,3,3,"mann-whitney-u"]' "1.9.5: compare on full files: n = 3 successful repetitions"
close "$(jq "$row | .p_value" <<<"$OUT")" 0.7 1e-12 "1.9.5: compare p on full files"

# 1.9.5 aggregates only: the failed repetition is not in the file, and the aggregates say
# "repetitions": 4 and "iterations": 4 although they are over 3
run 0 "$QBDB" ingest --project gb195agg --commit c1953333 "$G/v195_aggonly_a.json"
run 0 "$QBDB" ingest --project gb195agg --commit d1954444 "$G/v195_aggonly_b.json"
run 0 "$QBDB" show --format json c195
equals "$(jq -c "$b | [(.results[] | select(.metric == \"latency\") | .n), .extra.aggregates_only, .extra.failed]" <<<"$OUT")" \
  "[4,true,null]" "1.9.5 aggregates only: n as written, marked aggregates_only, no failure to show"
equals "$(jq '.extra.errors' <<<"$OUT")" null "1.9.5 aggregates only: no error in the file"

# Welch on the aggregates with n = 4 a side: p = 0.42839267001221365
# (/usr/bin/python3, scipy 1.10.1: scipy.stats.ttest_ind_from_stats(59.408516669160846,
#  23.11419191831732, 4, 48.67176667175954, 6.336461408862789, 4, equal_var=False).pvalue; with
#  n = 3, the repetitions that succeeded, it would be 0.5096578850606359)
run 0 "$QBDB" compare --format json c195 d195
equals "$(jq -c "$row | [.base.n, .base.samples, .head.n, .head.samples, .test]" <<<"$OUT")" \
  '[4,0,4,0,"welch-t"]' "1.9.5: compare on aggregates only: Welch with the written n"
close "$(jq "$row | .p_value" <<<"$OUT")" 0.42839267001221365 1e-9 "1.9.5: Welch p with n = 4"
finish

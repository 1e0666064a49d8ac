#!/usr/bin/env bash
# End to end: `qbdb scaling` on the real qsort runs of tests/data/scaling (qbdb issue 16). The
# noisy run's n=100000 median is 4 times the quiet run's (CPU hogs), with a 24% MAD: the weighted
# fit says O(n log n) and names what the unweighted least squares would pick (O(n^2)); the JSON
# carries each size's standard error and where it came from, every model's fit and the
# decision; `qbdb report` does not call the noisy run a complexity change. Values: reference
# case qsort_noisy of tests/data/analysis/scaling_ref.json (gen_scaling_ref.py).
source "$(dirname "$0")/lib.bash"

run 0 "$QBDB" ingest "$DATA/scaling/qsort_quiet.jsonl"
run 0 "$QBDB" ingest "$DATA/scaling/qsort_noisy.jsonl"

# the quiet run: O(n log n), O(n) 6.9 behind
run 0 "$QBDB" scaling qsort 1
contains "$OUT" "best: O(n log n); the runner-up O(n) is 6.9 behind in AIC" "quiet verdict"
case "$OUT" in *"unweighted least squares"*) fail "quiet run: the two fits agree: $OUT" ;; esac

# the noisy run (the newest): O(n log n) where the unweighted fit says O(n^2)
run 0 "$QBDB" scaling qsort
contains "$OUT" "qsort in run 2: latency by n" "header"
contains "$OUT" "best: O(n log n); the runner-up O(n) is 5.2 behind in AIC" "noisy verdict"
contains "$OUT" "noise: 4 of 4 sizes have a spread; scatter around the best fit 85.7x that noise" \
  "noise line"
contains "$OUT" "+- 11.69%" "n=100000 relative standard error"
contains "$OUT" "unweighted least squares would pick O(n^2) (relative RMS error 0.018)" \
  "the unweighted fit's choice"

run 0 "$QBDB" scaling --format json qsort
equals "$(jq -r '.best + " " + .runner_up + " " + (.distinguishable | tostring)' <<<"$OUT")" \
  "O(n log n) O(n) true" "json verdict"
equals "$(jq -r '.unweighted.best' <<<"$OUT")" "O(n^2)" "json unweighted"
equals "$(jq -r '.not_distinguishable | length' <<<"$OUT")" 0 "nothing close"
equals "$(jq -r '[.points[] | .noise] | unique | join(",")' <<<"$OUT")" samples "noise source"
close "$(jq '.fits[2].delta_aic' <<<"$OUT")" 5.228821272641532 1e-9 "delta AIC of O(n)"
close "$(jq '.fits[3].coef' <<<"$OUT")" 5.689695390735482 1e-9 "coef of O(n log n) (ns)"
close "$(jq '.points[3].se' <<<"$OUT")" 5783162.3526747748 1e-9 "se of n=100000 (ns)"

# the peak RSS (one value per size, no spread): every size weighs the same, and at these sizes
# O(log n) and O(1) are not distinguishable (the process's high-water mark barely moves up to
# n=10000: 1.621, 1.672, 1.672, 2.922 MiB)
run 0 "$QBDB" scaling --metric memory qsort 2
contains "$OUT" "best: O(log n); O(1) is not distinguishable at these sizes (add larger sizes)" \
  "memory verdict"
contains "$OUT" "noise: no size has a spread" "memory noise"
run 0 "$QBDB" scaling --format json --metric memory qsort 2
equals "$(jq -r '(.distinguishable | tostring) + " " + (.not_distinguishable | join(",")) + " " +
  (.sizes_with_noise | tostring) + " " + (.p | tostring)' <<<"$OUT")" "false O(1) 0 null" \
  "memory json"

# usage and lookups
run 2 "$QBDB" scaling
contains "$ERR" "scaling: no FAMILY given" "no family"
run 4 "$QBDB" scaling nosuchfamily
contains "$ERR" "family 'nosuchfamily': fewer than 2 benchmarks" "no such family"
# a prefix ends at a component: "qso" is not the family of qsort/n=100, "qsort/" is
run 4 "$QBDB" scaling qso
contains "$ERR" "family 'qso': fewer than 2 benchmarks" "a prefix inside a component"
run 0 "$QBDB" scaling qsort/
contains "$OUT" "best: O(n log n); the runner-up O(n) is 5.2 behind in AIC" "the prefix qsort/"

# the report: the noisy run is not a complexity change (both runs say O(n log n)), though the
# last step's efficiency fell (0.19, was 0.80)
run 0 "$QBDB" report --format json
equals "$(jq -r '.scaling[] | select(.metric == "latency") | .best + " " + .baseline_best + " " +
  (.complexity_changed | tostring)' <<<"$OUT")" "O(n log n) O(n log n) false" "report: no change"
equals "$(jq -r '.scaling[] | select(.metric == "memory") | .runner_up + " " +
  (.distinguishable | tostring)' <<<"$OUT")" "O(1) false" "report: memory runner-up"
run 0 "$QBDB" report
contains "$OUT" "| qsort | memory | default/main/vm | O(log n) (rms 0.235; not distinguishable from O(1)) |" \
  "report markdown: the close model"

finish

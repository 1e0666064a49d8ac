#!/usr/bin/env bash
# End to end: a benchmark that creeps +10% over 100 runs after 50 flat ones (0.5% run-to-run
# noise, a fixed LCG) is one drift, not a staircase of regressions: ingest and `detect` store
# at most one change for it, and `trend` reports the drift (JSON and text) over most of the
# runs that drift, with its size; a flat neighbour has neither.
source "$(dirname "$0")/lib.bash"

bash "$DATA/history/gen_drift.sh" "$TMP"
for f in "$TMP"/run*.jsonl; do run 0 "$QBDB" ingest "$f"; done

# no staircase: at most one change still detected for the creeping series, none for the flat one
# (the records of changes an early part of the creep showed are kept, no longer active: issue 16)
run 0 "$QBDB" regressions --all --format json
stored=$(jq '[.[] | select(.benchmark == "slow_creep" and .active)] | length' <<<"$OUT")
[ "$stored" -le 1 ] || fail "slow_creep: $stored stored changes (a staircase), want at most 1"
equals "$(jq '[.[] | select(.benchmark == "flat")] | length' <<<"$OUT")" 0 "flat: no change"
run 0 "$QBDB" detect --project creep
run 0 "$QBDB" regressions --all --format json
stored=$(jq '[.[] | select(.benchmark == "slow_creep" and .active)] | length' <<<"$OUT")
[ "$stored" -le 1 ] || fail "slow_creep after detect: $stored stored changes, want at most 1"

# the trend reports one drift over most of runs 51-150, about +10%
run 0 "$QBDB" trend --project creep --format json slow_creep
equals "$(jq '.drifts | length' <<<"$OUT")" 1 "one drift"
runs=$(jq '.drifts[0].runs' <<<"$OUT")
[ "$runs" -ge 80 ] || fail "the drift covers $runs runs, want at least 80 of the 100"
from=$(jq '.drifts[0].from_index' <<<"$OUT")
[ "$from" -ge 35 ] && [ "$from" -le 65 ] || fail "the drift starts at index $from, want 35-65 (50)"
close "$(jq '.drifts[0].change_pct' <<<"$OUT")" 10 0.35 "the drift's size"
p=$(jq '.drifts[0].p_value' <<<"$OUT")
awk -v p="$p" 'BEGIN { exit !(p < 0.001) }' || fail "the drift's p-value $p, want < 0.001"
equals "$(jq -r '.trend.direction' <<<"$OUT")" degrading "the trend degrades"
run 0 "$QBDB" trend --project creep slow_creep
contains "$OUT" ", 1 drift" "text: the drift counted"
contains "$OUT" "drift starts: +" "text: where the drift starts"
contains "$OUT" "drift ends" "text: where it ends"
run 0 "$QBDB" trend --project creep --format json flat
equals "$(jq '.drifts | length' <<<"$OUT")" 0 "flat: no drift"
equals "$(jq '.change_points | length' <<<"$OUT")" 0 "flat: no change point"

finish

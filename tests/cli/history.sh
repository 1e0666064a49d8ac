#!/usr/bin/env bash
# End to end: a 12-run history with a known step (+20% latency and -15% throughput from run 9),
# a flat series and an n log n family: ingest detects the changes incrementally, `detect` agrees
# in full, regressions are listed and triaged, trend shows the change point, targets are
# checked on ingest, in compare and in grade, scaling finds O(n log n).
source "$(dirname "$0")/lib.bash"

bash "$DATA/history/gen_runs.sh" "$TMP"
# each change point is announced by the ingest that records it, once: the later ones do not
# repeat it (sum of "N new change point(s)" over the 12 ingests = the 2 records)
announced=0 announcing=0
for f in "$TMP"/run*.jsonl; do
  run 0 "$QBDB" ingest "$f"
  n=$(sed -n 's/^  history: \([0-9]*\) new change points\{0,1\} in its series (see qbdb regressions)$/\1/p' <<<"$OUT")
  if [ -n "$n" ]; then
    announced=$((announced + n))
    announcing=$((announcing + 1))
  fi
done
equals "$announced" 2 "change points announced by the ingests, each once"
[ "$announcing" -ge 1 ] || fail "no ingest announced a change point"
case "$OUT" in *"history:"*) [ "$announcing" -eq 1 ] || fail "the last ingest repeats: $OUT" ;; esac

run 0 "$QBDB" regressions --format json
equals "$(jq length <<<"$OUT")" 2 "two open regressions"
equals "$(jq -r '[.[] | .benchmark] | sort | join(",")' <<<"$OUT")" "step,tput" "which series"
equals "$(jq -r '[.[] | .run_id] | unique | join(",")' <<<"$OUT")" 9 "both start at run 9"
equals "$(jq -r '[.[] | .prev_commit + ".." + .commit] | unique | join(",")' <<<"$OUT")" \
  "10080068..10090075" "commit range"
close "$(jq '.[] | select(.benchmark == "step") | .change_pct' <<<"$OUT")" 20 0.02 "step size"
close "$(jq '.[] | select(.benchmark == "tput") | .change_pct' <<<"$OUT")" -15 0.02 "tput size"
equals "$(jq -r '[.[] | .severity] | unique | join(",")' <<<"$OUT")" major "severity bands"
step_id=$(jq '.[] | select(.benchmark == "step") | .id' <<<"$OUT")

# a full re-analysis finds exactly what the incremental detection on ingest found
pick='[.[] | [.id, .benchmark, .run_id, .before, .after, .change_pct, .p_value, .severity]]'
run 0 "$QBDB" regressions --all --format json
incremental=$(jq -c "$pick" <<<"$OUT")
run 0 "$QBDB" detect --project hist
contains "$OUT" "analysed 6 series (72 points): 2 change points, 2 regressions" "detect summary"
run 0 "$QBDB" regressions --all --format json
equals "$(jq -c "$pick" <<<"$OUT")" "$incremental" "incremental equals full detection"
equals "$(jq -r '[.[] | .id] | sort | join(",")' <<<"$OUT")" "1,2" "ids kept"

# triage
run 0 "$QBDB" triage "$step_id" acknowledged --note "bigger buffers, expected"
run 0 "$QBDB" regressions --format json
equals "$(jq length <<<"$OUT")" 1 "acknowledged ones leave the open list"
run 0 "$QBDB" regressions --all --format json
equals "$(jq -r ".[] | select(.id == $step_id) | .status + \"|\" + .note" <<<"$OUT")" \
  "acknowledged|bigger buffers, expected" "triage recorded"
run 0 "$QBDB" detect --project hist
run 0 "$QBDB" regressions --all --format json
equals "$(jq -r ".[] | select(.id == $step_id) | .status" <<<"$OUT")" acknowledged "triage survives detect"
run 0 "$QBDB" regressions --format markdown
contains "$OUT" "| tput | throughput |" "markdown"
run 4 "$QBDB" triage 999 fixed
run 2 "$QBDB" triage "$step_id" done

# trend
run 0 "$QBDB" trend --format json step
equals "$(jq '.points | length' <<<"$OUT")" 12 "trend points"
equals "$(jq -c '[.change_points[] | .run_id]' <<<"$OUT")" "[9]" "trend change point"
run 0 "$QBDB" trend --format json flat
equals "$(jq -r '.trend.direction' <<<"$OUT")" stable "flat series is stable"
equals "$(jq '.change_points | length' <<<"$OUT")" 0 "no change point in the flat series"
run 0 "$QBDB" trend step
contains "$OUT" "<- change +19." "text marks the change point"
run 4 "$QBDB" trend nosuch

# one set of detection options for detect, ingest, trend and report (the project's settings):
# detect with other options only previews; changing the settings re-analyses at once
run 0 "$QBDB" regressions --all --format json
recorded=$(jq -c "$pick" <<<"$OUT")
run 0 "$QBDB" detect --project hist --max-p 1e-30
contains "$OUT" "0 change points" "a preview with max_p 1e-30 finds nothing"
contains "$OUT" "not recorded" "a preview says it recorded nothing"
run 0 "$QBDB" regressions --all --format json
equals "$(jq -c "$pick" <<<"$OUT")" "$recorded" "a preview changes no record"
run 0 "$QBDB" config set --project hist max_p 1e-30
contains "$OUT" "analysed again with the new options: 0 change points" "settings re-analyse"
run 0 "$QBDB" trend --format json step
equals "$(jq '.change_points | length' <<<"$OUT")" 0 "trend follows the settings"
run 0 "$QBDB" regressions --format json
equals "$(jq length <<<"$OUT")" 0 "the open records follow the settings"
run 0 "$QBDB" config unset --project hist max_p
contains "$OUT" "2 change points" "back to the defaults"
run 0 "$QBDB" trend --format json step
equals "$(jq -c '[.change_points[] | .run_id]' <<<"$OUT")" "[9]" "trend again at run 9"
run 0 "$QBDB" regressions --all --format json
equals "$(jq -r '[.[] | select(.active) | .run_id] | unique | join(",")' <<<"$OUT")" 9 \
  "records again at run 9"

# targets: broken on ingest and in compare (at least major), checked by grade
run 0 "$QBDB" target set 'st*' latency '<' 1.1us
run 0 "$QBDB" target set flat latency '<=' 2000ns
# a latency without a unit, or in bytes, is refused; a glob matching nothing is kept with a note
run 2 "$QBDB" target set flat latency '<=' 2000
contains "$ERR" "value '2000' for latency needs a unit (a time, e.g. 150ns" "a bare latency"
run 2 "$QBDB" target set flat latency '<=' 2MB
contains "$ERR" "latency is measured in ns" "a latency in bytes"
run 0 "$QBDB" target set 'fl4t*' latency '<=' 2us
equals "$ERR" "qbdb: note: no stored benchmark matches 'fl4t*' yet" "a glob matching nothing"
run 0 "$QBDB" target list
contains "$OUT" "< 1.100 µs" "target list"
run 1 "$QBDB" target check main@latest
contains "$OUT" "BROKEN  step latency: " "target check"
contains "$OUT" ", must be < 1.100 µs" "a broken target says what the value must be"
run 0 "$QBDB" compare --format json main~1 main@latest
equals "$(jq -r '.rows[] | select(.benchmark == "step") | .verdict + " " + .severity + " " + (.target.met | tostring)' <<<"$OUT")" \
  "regression major false" "a broken target is at least major"
equals "$(jq -r '.rows[] | select(.benchmark == "flat") | .target.met' <<<"$OUT")" true "met target"
run 0 "$QBDB" grade --format json main@latest
equals "$(jq '.input.targets_met, .input.targets' <<<"$OUT" | tr '\n' ' ')" "1 2 " "grade targets"
equals "$(jq '.input.regressions.major' <<<"$OUT")" 0 "a target-only row is not a measured regression"
equals "$(jq -r '.letter' <<<"$OUT" | grep -cE '^(A\+|A|B|C|D)$')" 1 "a letter"

# scaling: the size family was generated as 3 n log2 n
run 0 "$QBDB" scaling --format json size
equals "$(jq -r '.best' <<<"$OUT")" "O(n log n)" "scaling fit"
equals "$(jq '.points | length' <<<"$OUT")" 3 "scaling points"
run 4 "$QBDB" scaling nosuchfamily

# configurations: the same benchmark under three network conditions, two runs each
for net in lan:100 wan:180 lossy:400; do
  name=${net%%:*}
  b=${net##*:}
  for rep in 1 2; do
    printf '%s\n' "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"net\",\"commit\":\"abcd000$rep\",\"tags\":{\"net\":\"$name\"}}" \
      "{\"name\":\"rpc/roundtrip\",\"unit\":\"us\",\"samples\":[$b,$((b + 1)),$((b + rep))]}" \
      "{\"name\":\"rpc/stream\",\"metric\":\"throughput\",\"unit\":\"MB/s\",\"value\":$((100000 / b))}" \
      >"$TMP/net_${name}_$rep.jsonl"
    run 0 "$QBDB" ingest "$TMP/net_${name}_$rep.jsonl"
  done
done
run 0 "$QBDB" configs --project net --by net --format json
equals "$(jq -r '.[] | select(.benchmark == "rpc/roundtrip") | .best.value + "," + .worst.value' <<<"$OUT")" \
  "lan,lossy" "lowest latency is best"
equals "$(jq -r '.[] | select(.benchmark == "rpc/stream") | .best.value + "," + .worst.value' <<<"$OUT")" \
  "lan,lossy" "highest throughput is best"
close "$(jq '.[] | select(.benchmark == "rpc/roundtrip") | .best.level' <<<"$OUT")" 101000 1e-12 \
  "median of the lan runs' medians (101 us and 101 us)"
run 4 "$QBDB" configs --by nosuch
# issue 16: a record a user saw never disappears. Two series of one project, 21 runs:
# "moved" steps from 1000 to 1200 ns through one run at 1100 (run 9): detection puts the change
# at run 9 first, and at run 10 once run 17 is in; "ramp" climbs 1000 -> 1100 from run 9 to 14: a
# change at run 9, not found once run 18 is in, found again from run 21 on (both histories were
# run through this qbdb; before the fix the record of run 9 was deleted both times, and "moved"'s
# new record even took its id).
db=$(fresh_db moves)
moved=(1000 1003 998 1001 999 1002 1000 1001 1100 1200 1201 1199 1200 1202 1198 1200 1201 1200 1199 1200 1201)
ramp=(1000 1003 998 1001 999 1002 1000 1001 1050 1060 1070 1080 1090 1100 1100 1101 1099 1100 1100 1101 1100)
for r in $(seq 1 21); do
  m=${moved[$((r - 1))]} p=${ramp[$((r - 1))]}
  printf '%s\n' "{\"format\":\"qbdb-native\",\"version\":1,\"project\":\"moves\",\"machine\":\"m1\",\"commit\":\"$(printf %08x $((0x1000 + r)))\",\"started_at\":\"2026-10-$(printf %02d "$r")T12:00:00Z\"}" \
    "{\"name\":\"moved\",\"unit\":\"ns\",\"samples\":[$m,$((m + 1)),$((m - 1))]}" \
    "{\"name\":\"ramp\",\"unit\":\"ns\",\"samples\":[$p,$((p + 1)),$((p - 1))]}" >"$TMP/moves$r.jsonl"
done
ingest_moves() { # ingest_moves FROM TO: those runs, one ingest each
  for r in $(seq "$1" "$2"); do run 0 "$QBDB" --db "$db" ingest "$TMP/moves$r.jsonl"; done
}
rec() { # rec BENCH RUN: the record of BENCH at RUN as id|active|status|note|gone|superseded_by
  jq -r --arg b "$1" --argjson r "$2" '.[] | select(.benchmark == $b and .run_id == $r) |
    [.id, .active, .status, .note, (.gone_at != null), .superseded_by] | map(tostring) | join("|")' \
    <<<"$OUT"
}
ingest_moves 1 16
run 0 "$QBDB" --db "$db" regressions --all --format json
moved_id=$(jq '.[] | select(.benchmark == "moved") | .id' <<<"$OUT")
ramp_id=$(jq '.[] | select(.benchmark == "ramp") | .id' <<<"$OUT")
equals "$(rec moved 9)|$(rec ramp 9)" "$moved_id|true|open|null|false|null|$ramp_id|true|open|null|false|null" \
  "after 16 runs: both changes at run 9, open"
run 0 "$QBDB" --db "$db" triage "$moved_id" acknowledged --note "new allocator"

# run 17 moves "moved"'s change to run 10: the record of run 9 stays, inactive, superseded by the
# new one, which takes its triage; the ingest does not announce the moved change as new
ingest_moves 17 17
case "$OUT" in *"new change point"*) fail "a moved change announced as new: $OUT" ;; esac
run 0 "$QBDB" --db "$db" regressions --all --format json
new_id=$(jq '.[] | select(.benchmark == "moved" and .run_id == 10) | .id' <<<"$OUT")
[ -n "$new_id" ] && [ "$new_id" != "$moved_id" ] || fail "no new record of moved at run 10: $OUT"
equals "$(rec moved 9)" "$moved_id|false|acknowledged|new allocator|true|$new_id" \
  "the record of run 9: kept, inactive, its triage, superseded by the one of run 10"
equals "$(rec moved 10)" "$new_id|true|acknowledged|new allocator|false|null" \
  "the record of run 10 took over the triage"
run 0 "$QBDB" --db "$db" regressions --all
contains "$OUT" "#$moved_id" "text: the superseded record is listed"
contains "$OUT" "[acknowledged, superseded by #$new_id]  note: new allocator" "text: by which record"

# run 18: "ramp"'s change is no longer found: the open record stays, inactive, with the time it
# went; the default list (open, still detected) leaves it out, --all shows it
ingest_moves 18 18
run 0 "$QBDB" --db "$db" regressions --all --format json
equals "$(rec ramp 9)" "$ramp_id|false|open|null|true|null" "an open record no longer found is kept"
run 0 "$QBDB" --db "$db" regressions --format json
equals "$(jq length <<<"$OUT")" 0 "the default list: no open regression still detected"
run 0 "$QBDB" --db "$db" regressions --all
contains "$OUT" "[open, gone since 20" "text: gone since the day it went"
# found again from run 21 on: the same record, active again
ingest_moves 19 21
run 0 "$QBDB" --db "$db" regressions --all --format json
equals "$(rec ramp 9)" "$ramp_id|true|open|null|false|null" "found again: the same record, active"
all=$(jq -c '[.[] | [.id, .run_id, .active, .status, .superseded_by]] | sort' <<<"$OUT")
# a full detection agrees, and changes no record
run 0 "$QBDB" --db "$db" detect --project moves
run 0 "$QBDB" --db "$db" regressions --all --format json
equals "$(jq -c '[.[] | [.id, .run_id, .active, .status, .superseded_by]] | sort' <<<"$OUT")" "$all" \
  "a full detect keeps every record as it was"
finish

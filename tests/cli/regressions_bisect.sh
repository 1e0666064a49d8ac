#!/usr/bin/env bash
# End to end: `qbdb regressions` shows each record's newest `qbdb bisect` session. A real CI
# history of the generated repository (tests/cli/bisect_repo.bash: a 10% slowdown at commit 23,
# seeded virtual timing, so the same every time) gives a regression record; a real `qbdb bisect`
# of it finds commit 23; the text listing then says so under the record, in one line (the
# culprit's short id, its subject, the change the search measured), and --format json carries the
# same session as "bisect". Sessions written into the database by hand (SQL) show the other
# lines: running, not reproduced, a culprit found across untestable commits (a range) and a
# subject with terminal escapes (escaped). A record without a session has no line.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/bisect_repo.bash"
command -v git >/dev/null || {
  fail "git is not installed (scripts/install-deps.sh installs it)"
  finish
}
command -v jq >/dev/null || {
  fail "jq is not installed (scripts/install-deps.sh installs it)"
  finish
}
export QBDB_RUNNER_DIR
QBDB_RUNNER_DIR=$(realpath "$(dirname "$0")/../../runner")
export BISECT_NOISE_STATE=$TMP/noise-state
sha_of() { awk -v i="$2" '$1 == i { print $2 }' "$1"; } # sha_of IDS INDEX

R=$TMP/repo
make_bisect_repo "$R" 40 23:10 >"$TMP/ids"
CMD=$(bisect_cmd "$R")
C23=$(sha_of "$TMP/ids" 23)
export BISECT_SEED=11
for i in $(seq 0 2 38) 39; do
  git -C "$R" checkout -q --detach "$(sha_of "$TMP/ids" "$i")"
  (cd "$R" && "$CMD" >"$TMP/ci.jsonl" 2>/dev/null) || fail "CI run at commit $i failed"
  run 0 "$QBDB" ingest --project demo --branch main --commit "$(sha_of "$TMP/ids" "$i")" \
    "$TMP/ci.jsonl"
done
git -C "$R" checkout -q main
run 0 "$QBDB" regressions --format json
REG=$(jq -r '[.[] | select(.benchmark == "parse/config" and .metric == "latency")][0].id' <<<"$OUT")
OTHER=$(jq -r --argjson id "$REG" '[.[] | select(.id != $id)][0].id // empty' <<<"$OUT")
[ -n "$OTHER" ] || fail "want a second record (parse/config cpu): $OUT"
equals "$(jq -r '[.[] | .bisect] | unique | @json' <<<"$OUT")" "[null]" "no session yet: bisect null"

# before: no bisect line
run 0 "$QBDB" regressions
equals "$(grep -c 'bisect' <<<"$OUT")" 0 "no session, no line"

rm -f "$BISECT_NOISE_STATE"
export BISECT_SEED=5
run 0 "$QBDB" bisect "$REG" --repo "$R" -- "$CMD"
contains "$OUT" "bisect #1: 1 commit found"$'\n'"  $C23 commit 23: make parse/config 10% slower" "the bisect found commit 23"
run 0 "$QBDB" bisect --show 1 --format json
SHOW=$OUT
PCT=$(jq -r '.result.steps[0].change_pct' <<<"$SHOW")
RUNS=$(jq -r '.result.runs' <<<"$SHOW")
awk -v p="$PCT" 'BEGIN { exit !(p > 5 && p < 15) }' || fail "the step measured: $PCT%, want about +10%"
WANT_PCT=$(printf '%+.1f%%' "$PCT")

# the text listing: the line under the record's own line, and under no other
run 0 "$QBDB" regressions
equals "$(grep -A1 "^  #$REG " <<<"$OUT" | tail -n1)" \
  "    bisected (#1): ${C23:0:10} \"commit 23: make parse/config 10% slower\" $WANT_PCT" \
  "the record's bisect line"
equals "$(grep -c 'bisect' <<<"$OUT")" 1 "one bisect line in all"
# JSON: the same session
run 0 "$QBDB" regressions --format json
equals "$(jq -r --argjson id "$REG" '.[] | select(.id == $id) | .bisect | [.id, .status, .outcome, (.culprits | length), .culprits[0].after, .culprits[0].commits, .culprits[0].confirmed, .runs, .machine] | map(tostring) | join(" ")' <<<"$OUT")" \
  "1 done found 1 $C23 1 true $RUNS vm" "regressions --format json: the record's bisect"
equals "$(jq -r --argjson id "$REG" '.[] | select(.id == $id) | .bisect.culprits[0].change_pct' <<<"$OUT")" \
  "$PCT" "the culprit's change, as stored"
equals "$(jq -r --argjson id "$OTHER" '.[] | select(.id == $id) | .bisect' <<<"$OUT")" null \
  "the other record: no session"
# markdown keeps its table (no bisect rows)
run 0 "$QBDB" regressions --format markdown
equals "$(grep -c 'bisect' <<<"$OUT")" 0 "markdown: no bisect line"

# ---- sessions written by hand, of the other record: each newer than the one before -------------
need_sql_client
other_line() { # the line under the other record's line
  run 0 "$QBDB" regressions
  grep -A1 "^  #$OTHER " <<<"$OUT" | tail -n1
}
add_session() { # add_session STATUS STATE
  db_sql "$QBDB_DB" "INSERT INTO bisect (project, regression_id, benchmark, metric, machine,
    good_commit, bad_commit, status, started_at, updated_at, state) VALUES ('demo', $OTHER,
    'parse/config', 'cpu', 'vm', 'aaaa', 'bbbb', '$1', 1, 2, '$2')"
}
add_session running '{"format": 1, "observations": [{"commit": 0, "ok": true, "secs": 1}]}'
equals "$(other_line)" "    bisect #2 running" "a running session"
add_session done '{"format": 1, "result": {"outcome": "not reproduced", "steps": []}}'
equals "$(other_line)" "    bisect #3: not reproduced" "not reproduced"
add_session failed '{"format": 1}'
equals "$(other_line)" "    bisect #4 failed" "a session that failed before its result"
add_session done '{"format": 1, "result": {"outcome": "found", "steps": [{"before": "1111111111aaaa", "after": "2222222222bbbb", "commits": 3, "subject": "evil \u001b[31mred", "change_pct": -4.25, "confirmed": false}]}}'
equals "$(other_line)" \
  '    bisected (#5): 1111111111..2222222222 (3 commits) "evil \x1b[31mred" -4.2% (not confirmed)' \
  "a range of 3 commits, its subject escaped"
# the first record still shows its own session
run 0 "$QBDB" regressions
equals "$(grep -A1 "^  #$REG " <<<"$OUT" | tail -n1)" \
  "    bisected (#1): ${C23:0:10} \"commit 23: make parse/config 10% slower\" $WANT_PCT" \
  "the record's line, with other sessions stored"
finish

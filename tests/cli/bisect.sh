#!/usr/bin/env bash
# End to end: `qbdb bisect` (issue 17) on real git repositories of a small C program that uses
# qbdb's runner (tests/cli/bisect_repo.bash): 40 commits, a planted 10% slowdown at commit 23 and
# 3% run-to-run noise, drawn from a seeded generator per invocation (virtual clock), so that every
# decision below is a deterministic function of the seed: a run of this test is the same every
# time, and what it asserts is what the search gives for these seeds (the error rate over many
# seeds is measured by bench/bench_bisect.sh, not here).
# Checked: a CI history's regression record bisected to the planted commit, with fewer runs than
# the fixed-repetition search of the same error rate, stored with the record and its runs on the
# branch bisect/ID, the work tree put back; two steps of 5% both reported; a commit that does not
# build skipped (exit 125); a command that crashes every 4th run retried; an interrupt (SIGTERM)
# and a kill -9 in the middle resumed with --resume to the same commit; a work tree with local
# changes refused; a difference that is not there not reproduced; usage errors.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/bisect_repo.bash"
command -v git >/dev/null || {
  fail "git is not installed (scripts/install-deps.sh installs it)"
  finish
}
export QBDB_RUNNER_DIR
QBDB_RUNNER_DIR=$(realpath "$(dirname "$0")/../../runner")
export BISECT_NOISE_STATE=$TMP/noise-state

sha_of() { awk -v i="$2" '$1 == i { print $2 }' "$1"; } # sha_of IDS INDEX
# bisect_json ID: the stored session as JSON (qbdb bisect --show ID --format json) into $J
bisect_json() {
  run 0 "$QBDB" bisect --show "$1" --format json
  J=$OUT
}
on_main() { # on_main REPO WHAT: the work tree is back on branch main, with no changes
  equals "$(git -C "$1" symbolic-ref --short HEAD 2>&1)" main "$2: branch after the bisect"
  equals "$(git -C "$1" status --porcelain)" "" "$2: work tree clean after the bisect"
}

# ---- one step: a CI history, its regression record, bisected ---------------------------------
R1=$TMP/r1
make_bisect_repo "$R1" 40 23:10 >"$TMP/r1.ids"
CMD1=$(bisect_cmd "$R1")
C23=$(sha_of "$TMP/r1.ids" 23)
# CI: every second commit measured and ingested on main
export BISECT_SEED=11
for i in $(seq 0 2 38) 39; do
  git -C "$R1" checkout -q --detach "$(sha_of "$TMP/r1.ids" "$i")"
  (cd "$R1" && "$CMD1" >"$TMP/ci.jsonl" 2>/dev/null) || fail "CI run at commit $i failed"
  run 0 "$QBDB" ingest --project demo --branch main --commit "$(sha_of "$TMP/r1.ids" "$i")" \
    "$TMP/ci.jsonl"
done
git -C "$R1" checkout -q main
run 0 "$QBDB" regressions --format json
REG=$(jq -r '[.[] | select(.benchmark == "parse/config" and .metric == "latency")][0].id' <<<"$OUT")
equals "$(jq -r --argjson id "$REG" '.[] | select(.id == $id) | .commit' <<<"$OUT")" \
  "$(sha_of "$TMP/r1.ids" 24)" "the record's commit (the first CI run after the step)"

rm -f "$BISECT_NOISE_STATE"
export BISECT_SEED=5
run 0 "$QBDB" bisect "$REG" --repo "$R1" -- "$CMD1"
contains "$OUT" "bisect #1: parse/config latency on " "header"
contains "$OUT" "1 commit from $(sha_of "$TMP/r1.ids" 22 | cut -c1-10) (good) to $(sha_of "$TMP/r1.ids" 24 | cut -c1-10) (bad)" "range from the record"
contains "$OUT" "bisect #1: 1 commit found"$'\n'"  $C23 commit 23: make parse/config 10% slower" "culprit"
on_main "$R1" "record"
bisect_json 1
equals "$(jq -r '.regression, .status, .result.outcome, (.result.steps | length), .result.steps[0].after' <<<"$J" | tr '\n' ' ')" \
  "$REG done found 1 $C23 " "stored session"
SEQ_RUNS=$(jq -r .result.runs <<<"$J")
# every run of the session is stored on its scratch branch, under its commit
run 0 "$QBDB" runs --project demo --branch bisect/1 --limit 0 --format json
equals "$(jq length <<<"$OUT")" "$SEQ_RUNS" "runs on branch bisect/1"
equals "$(jq -r '[.[] | .tags.bisect] | unique | join(",")' <<<"$OUT")" "1" "their bisect tag"

# --good/--bad over the whole history: sequential, then the fixed-repetition search on the same
# seed (the same per-decision error rate): the sequential one uses fewer runs
C0=$(sha_of "$TMP/r1.ids" 0)
for mode in seq fixed; do
  rm -f "$BISECT_NOISE_STATE"
  flag=()
  [ $mode = seq ] || flag=(--fixed)
  run 0 "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config --project demo \
    --repo "$R1" "${flag[@]}" -- "$CMD1"
  contains "$OUT" "1 commit found"$'\n'"  $C23 commit 23: make parse/config 10% slower" "$mode: culprit"
  id=$(sed -n 's/^bisect #\([0-9]*\): .*commits from.*/\1/p' <<<"$OUT")
  bisect_json "$id"
  eval "RUNS_$mode=\$(jq -r .result.runs <<<\"\$J\")"
  on_main "$R1" "$mode"
done
progress "one step over 38 commits: $RUNS_seq runs sequential, $RUNS_fixed fixed"
[ "$RUNS_seq" -lt "$RUNS_fixed" ] || fail "sequential used $RUNS_seq runs, fixed $RUNS_fixed"

# the record shows its bisect
run 0 "$QBDB" regressions --format json
equals "$(jq -r --argjson id "$REG" '.[] | select(.id == $id) | .bisect.culprits[0].after // "none"' <<<"$OUT")" \
  "$C23" "regressions --format json: the record's bisect"

# ---- two steps of 5% (2% noise): both found ---------------------------------------------------
R2=$TMP/r2
make_bisect_repo "$R2" 40 12:5,30:5 >"$TMP/r2.ids"
rm -f "$BISECT_NOISE_STATE"
BISECT_NOISE=0.02 run 0 "$QBDB" bisect --good "$(sha_of "$TMP/r2.ids" 0)" --bad main \
  --benchmark parse/config --repo "$R2" -- "$(bisect_cmd "$R2")"
contains "$OUT" "2 commits found"$'\n'"  $(sha_of "$TMP/r2.ids" 12) commit 12: make parse/config 5% slower" "first step"
contains "$OUT" "  $(sha_of "$TMP/r2.ids" 30) commit 30: make parse/config 5% slower" "second step"
on_main "$R2" "two steps"

# ---- a commit that does not build: skipped (exit 125), the culprit still found -----------------
R3=$TMP/r3
make_bisect_repo "$R3" 40 23:10 20 >"$TMP/r3.ids"
rm -f "$BISECT_NOISE_STATE"
run 0 "$QBDB" bisect --good "$(sha_of "$TMP/r3.ids" 0)" --bad main --benchmark parse/config \
  --repo "$R3" -- "$(bisect_cmd "$R3")"
contains "$OUT" "$(sha_of "$TMP/r3.ids" 20 | cut -c1-10) commit 20: rework the parser (does not build): skipped after 0 runs" "skipped commit"
contains "$ERR" "$(sha_of "$TMP/r3.ids" 20 | cut -c1-10): no value: exit 125: cannot be tested" "its reason"
contains "$OUT" "1 commit found"$'\n'"  $(sha_of "$TMP/r3.ids" 23) commit 23" "culprit past a broken commit"
on_main "$R3" "broken build"

# ---- a command that crashes every 4th run: retried ----------------------------------------------
rm -f "$BISECT_NOISE_STATE"
BISECT_FAIL_EVERY=4 run 0 "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config \
  --project flaky --repo "$R1" -- "$CMD1"
contains "$OUT" "1 commit found"$'\n'"  $C23 commit 23" "culprit with crashes"
id=$(sed -n 's/^bisect #\([0-9]*\): .*commits from.*/\1/p' <<<"$OUT")
run 0 "$QBDB" bisect --show "$id" --format json
bisect_json "$id"
[ "$(jq '.result.invocations - .result.runs' <<<"$J")" -ge 3 ] ||
  fail "flaky: want at least 3 failed invocations retried: $(jq -c .result <<<"$J" | head -c 300)"

# ---- interrupted (SIGTERM from the 6th run), then resumed ------------------------------------------
# a command that stops its qbdb (its parent) when it is run the 6th time, as ^C would
cat >"$TMP/stop-6th.sh" <<EOF
#!/usr/bin/env bash
n=\$(( \$(cat "$TMP/count" 2>/dev/null || echo 0) + 1 ))
echo \$n >"$TMP/count"
[ "\$n" -ne 6 ] || kill -\${STOP_SIGNAL:-TERM} \$PPID
exec "$CMD1"
EOF
chmod +x "$TMP/stop-6th.sh"
for sig in TERM KILL; do
  rm -f "$BISECT_NOISE_STATE" "$TMP/count"
  want=130
  [ $sig = TERM ] || want=137
  set +e
  ( # in a subshell whose own stderr is dropped: bash's "Killed" notice for kill -9
    STOP_SIGNAL=$sig "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config \
      --project "resume-$sig" --repo "$R1" -- "$TMP/stop-6th.sh" >"$TMP/out" 2>"$TMP/err"
  ) 2>/dev/null
  got=$?
  set -e
  equals "$got" "$want" "$sig: exit status"
  id=$(sed -n 's/^bisect #\([0-9]*\): .*commits from.*/\1/p' "$TMP/out")
  if [ $sig = TERM ]; then
    contains "$(cat "$TMP/err")" "bisect #$id interrupted after 5 runs; the work tree is back on main; go on with: qbdb bisect --resume $id" "interrupt message"
    on_main "$R1" "interrupted"
  else # killed: the tree is where it was, the session says running
    [ -n "$(git -C "$R1" symbolic-ref -q HEAD)" ] && fail "kill -9: the work tree is back on a branch?"
  fi
  bisect_json "$id"
  equals "$(jq -r .status <<<"$J")" running "$sig: session status"
  run 0 "$QBDB" bisect --resume "$id"
  contains "$OUT" "bisect #$id: parse/config latency" "$sig: resumed header"
  contains "$OUT" "replaying 5 stored runs" "$sig: replayed runs"
  contains "$OUT" "1 commit found"$'\n'"  $C23 commit 23" "$sig: culprit after the resume"
  on_main "$R1" "$sig: resumed"
  run 2 "$QBDB" bisect --resume "$id"
  contains "$ERR" "bisect #$id is done: nothing to resume" "$sig: resume a finished session"
done

# detection leaves the scratch branches alone: a full detection records nothing on bisect/*
run 0 "$QBDB" detect
run 0 "$QBDB" regressions --all --format json
equals "$(jq '[.[] | select(.branch | startswith("bisect/"))] | length' <<<"$OUT")" 0 \
  "records on bisect/* branches after qbdb detect"

# ---- refused and not reproduced -------------------------------------------------------------------
echo "local change" >>"$R1/README.md"
run 2 "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config --repo "$R1" -- "$CMD1"
one_line "$ERR" "dirty tree message"
contains "$ERR" "has local changes: commit or stash them first" "dirty tree"
git -C "$R1" checkout -q README.md
rm -f "$BISECT_NOISE_STATE"
run 1 "$QBDB" bisect --good "$C0" --bad "$(sha_of "$TMP/r1.ids" 22)" --benchmark parse/config \
  --project same --repo "$R1" -- "$CMD1"
contains "$OUT" "the change does not reproduce here" "no change between good and bad"
on_main "$R1" "not reproduced"
run 2 "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config --repo "$R1"
contains "$ERR" "no command: give it after --" "no command"
run 2 "$QBDB" bisect --good "$C0" --bad main --benchmark parse/config --error 0.7 -- true
contains "$ERR" "--error" "error rate out of range"
run 4 "$QBDB" bisect 999 --repo "$R1" -- "$CMD1"
contains "$ERR" "no regression record 999" "missing record"
run 4 "$QBDB" bisect --good nosuchref --bad main --benchmark parse/config --repo "$R1" -- true
contains "$ERR" "nosuchref is not a commit of the repository" "bad ref"
run 4 "$QBDB" bisect --show 999
finish

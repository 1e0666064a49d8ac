#!/usr/bin/env bash
# The same benchmark binary (runner/example, built with qbdb_runner) run on main ten times and
# once more as a pull request, every run with busy loops on all cores beside it: the pull
# request gets no major or critical verdict. Within-run Mann-Whitney alone calls such load
# "significant"; the verdict must rest on the base branch's run-to-run noise (issue 12).
source "$(dirname "$0")/lib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
unset GITHUB_BASE_REF GITHUB_STEP_SUMMARY CI_MERGE_REQUEST_TARGET_BRANCH_NAME \
  BITBUCKET_PR_DESTINATION_BRANCH SYSTEM_PULLREQUEST_TARGETBRANCH CHANGE_TARGET

cc -O2 -I "$ROOT/runner" "$ROOT/runner/qbdb_runner.c" "$ROOT/runner/example/example.c" \
  -o "$TMP/ex" -lm || { fail "cannot build runner/example"; finish; }

hogs=()
stop_hogs() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true; }
trap stop_hogs EXIT
for _ in $(seq "$(nproc)"); do
  bash -c 'while :; do :; done' &
  hogs+=($!)
done

# ten runs of main, then the pull request: the same binary, the same load
for i in $(seq 1 10); do
  "$TMP/ex" --samples 20 --min-time 0.01 --quiet --out "$TMP/main$i.jsonl"
  run 0 "$QBDB" ingest --project load --machine ci-1 --branch main \
    --commit "$(printf '%040x' "$i")" "$TMP/main$i.jsonl"
done
"$TMP/ex" --samples 20 --min-time 0.01 --quiet --out "$TMP/pr.jsonl"
stop_hogs
hogs=()
run 0 "$QBDB" ingest --project load --machine ci-1 --branch feature/same \
  --commit "$(printf '%040x' 99)" --base-branch main --base-runs 5 --fail-on major \
  --output json "$TMP/pr.jsonl"
equals "$(jq -r '.[0].baseline.rule' <<<"$OUT")" "base-branch" "the PR is compared with main"
equals "$(jq -r '.[0].baseline.runs | length' <<<"$OUT")" 5 "pooled over main's last 5 runs"
worst=$(jq -r '.[0].compare.worst_regression // "none"' <<<"$OUT")
case "$worst" in
  major | critical) fail "the same binary under load got a $worst regression: $OUT" ;;
esac
run 0 "$QBDB" compare --format json --base-branch main --base-runs 5 feature/same@latest
equals "$(jq '[.rows[] | select(.primary) | .noise_known] | all' <<<"$OUT")" true \
  "every primary row has a noise estimate from main's history"
# what within-run tests alone would have said (printed for the record, not asserted: it
# depends on the load)
echo "within-run significant rows: $(jq '[.rows[] | select(.primary and .significant)] | length' \
  <<<"$OUT") of $(jq '[.rows[] | select(.primary)] | length' <<<"$OUT"); verdict: worst $worst"
jq -r '.rows[] | select(.primary) | "  \(.benchmark): \(.change_pct | . * 100 | round / 100)% (noise ±\(.noise_pct | . * 10 | round / 10)%, within-run p adj \(.p_adjusted)) \(.verdict)"' <<<"$OUT"
finish

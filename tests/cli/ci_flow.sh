#!/usr/bin/env bash
# End to end: the CI recipes of docs/ci.md against a real `qbdb serve` on 127.0.0.1 and a real
# git repository. main has 12 commits; feature branches fork from main's 10th commit (2 commits
# each) and main gets its 11th and 12th after the fork, so the merge base is not main's tip.
# - "record (push to main)": each main commit's run uploaded in commit order, --fail-on critical;
# - "verdict (pull request)", GitHub: BASE=$(git merge-base main feature/x), --base-commit,
#   --base-runs 5, --fail-on major, --summary $GITHUB_STEP_SUMMARY: a +20% step on one
#   benchmark fails (exit 1) naming the merge-base run and the benchmark (major), the failing
#   line last; no change passes and says so in the summary;
# - $GITHUB_BASE_REF alone (no --base-branch, no --base-commit): main's newest run before the
#   head (rule base-branch);
# - GitLab: $CI_MERGE_REQUEST_TARGET_BRANCH_NAME and $CI_MERGE_REQUEST_DIFF_BASE_SHA (merge-base);
# - "the verdict of an existing run": qbdb compare --server --format markdown and
#   curl -H "Accept: text/markdown" give the markdown the summary got, with its Qbdb-Verdict.
# The results are qbdb native JSON Lines made by a seeded generator (python3's random module):
# 5 benchmarks x 30 samples, ~2% log-normal noise within a run, ~2% level drift between runs.
source "$(dirname "$0")/lib.bash"
for tool in curl jq git python3; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool not installed"; exit 0; }
done
# a CI running this test must not choose our baselines, or get our summaries
unset GITHUB_BASE_REF GITHUB_STEP_SUMMARY CI_MERGE_REQUEST_TARGET_BRANCH_NAME \
  BITBUCKET_PR_DESTINATION_BRANCH SYSTEM_PULLREQUEST_TARGETBRANCH CHANGE_TARGET \
  CI_MERGE_REQUEST_DIFF_BASE_SHA QBDB_TOKEN
# nor the user's git configuration change our commits (their ids are fixed by the dates below)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

PROJECT=myproj
MACHINE=ci-1

# ---- the repository ---------------------------------------------------------------------------
REPO=$TMP/repo
git init -q -b main "$REPO"
git -C "$REPO" config user.name "CI Flow"
git -C "$REPO" config user.email "ci-flow@example.com"
T0=1767607200 # 2026-01-05T10:00:00Z; commit k is made k hours later
n_commits=0
commit() { # commit MESSAGE: one commit on the checked-out branch, an hour after the last one
  n_commits=$((n_commits + 1))
  local when="$((T0 + n_commits * 3600)) +0000"
  echo "$1" >>"$REPO/changes.txt"
  git -C "$REPO" add changes.txt
  GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$REPO" commit -q -m "$1"
}
for i in $(seq 10); do commit "main $i"; done
FEATURES=(feature/x feature/y feature/gh feature/gl)
for b in "${FEATURES[@]}"; do git -C "$REPO" branch "$b" main; done
commit "main 11"
commit "main 12"
for b in "${FEATURES[@]}"; do
  git -C "$REPO" checkout -q "$b"
  commit "$b 1"
  commit "$b 2"
done
git -C "$REPO" checkout -q main
mapfile -t MAIN_SHAS < <(git -C "$REPO" rev-list --reverse main)
equals "${#MAIN_SHAS[@]}" 12 "main has 12 commits"
for b in "${FEATURES[@]}"; do
  equals "$(git -C "$REPO" rev-list --count "main..$b")" 2 "$b has 2 commits of its own"
  equals "$(git -C "$REPO" merge-base main "$b")" "${MAIN_SHAS[9]}" "$b forks from main's 10th"
done
commit_time() { git -C "$REPO" show -s --format=%cI "$1"; }

# ---- the benchmark results --------------------------------------------------------------------
# gen.py OUT SEED COMMIT_TIME [BENCH=FACTOR]: a qbdb native run, its header dated by the commit
# (started_at 10 minutes after it); each benchmark's level drifts by ~2% from run to run
# (log-normal, seeded per run), its 30 samples by ~2% around it; FACTOR multiplies one level
cat >"$TMP/gen.py" <<'EOF'
import datetime, random, sys
out, seed, commit_time = sys.argv[1], int(sys.argv[2]), sys.argv[3]
step = dict(a.split("=") for a in sys.argv[4:])
benches = [("hash/insert", "hash", 64.0), ("hash/lookup", "hash", 18.5),
           ("parse/small", "parse", 1250.0), ("parse/large", "parse", 48000.0),
           ("sort/1000", "sort", 31000.0)]
rng = random.Random(seed)
started = datetime.datetime.fromisoformat(commit_time) + datetime.timedelta(minutes=10)
with open(out, "w") as f:
    f.write('{"format":"qbdb-native","version":1,"commit_time":"%s","started_at":"%s",'
            '"tool":"ci_flow gen"}\n' % (commit_time, started.isoformat()))
    for name, group, centre in benches:
        level = centre * rng.lognormvariate(0, 0.02) * float(step.get(name, 1))
        samples = ",".join("%.6g" % (level * rng.lognormvariate(0, 0.02)) for _ in range(30))
        f.write('{"name":"%s","group":"%s","unit":"ns","samples":[%s]}\n' % (name, group, samples))
EOF
gen() { python3 "$TMP/gen.py" "$@"; }

# ---- the server -------------------------------------------------------------------------------
export QBDB_TOKEN
QBDB_TOKEN=$("$QBDB" token create --scope write --project "$PROJECT" --name ci 2>/dev/null)
[ -n "$QBDB_TOKEN" ] || { echo "FAIL: qbdb token create printed no token" >&2; exit 1; }
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT
# port 0: the server picks a free port and names it in its first line on stderr
"$QBDB" serve --db "$QBDB_DB" --listen 127.0.0.1:0 >"$TMP/serve.out" 2>"$TMP/serve.log" &
SERVER_PID=$!
wait_serving "$TMP/serve.log" "$SERVER_PID" "qbdb serve --listen 127.0.0.1:0 to name its port" || {
  echo "$SERVE_LOG" >&2
  abort_test "qbdb serve --listen 127.0.0.1:0 exited before naming its port (its stderr is above)"
}
health() { curl -sf "$URL/api/v1/health" >/dev/null 2>&1; }
wait_until "$LIB_START_S" "qbdb serve to answer GET $URL/api/v1/health" health
# the runs of a branch, newest first, as the API lists them
runs_of() { curl -sf "$URL/api/v1/runs?project=$PROJECT&machine=$MACHINE&branch=$1&limit=50"; }

# ---- record (push to main) --------------------------------------------------------------------
for i in $(seq 12); do
  sha=${MAIN_SHAS[i - 1]}
  gen "$TMP/main$i.jsonl" $((1000 + i)) "$(commit_time "$sha")"
  run 0 "$QBDB" upload --server "$URL" --project "$PROJECT" --machine "$MACHINE" \
    --branch main --commit "$sha" --fail-on critical "$TMP/main$i.jsonl"
  contains "$(head -n 1 <<<"$OUT")" "stored run $i: $TMP/main$i.jsonl (native): project $PROJECT, \
branch main, machine $MACHINE, commit $sha, 5 benchmarks" "main $i stored"
  if [ "$i" -gt 1 ]; then
    equals "$(sed -n 2p <<<"$OUT")" "  baseline: run $((i - 1)), the previous run of main on $MACHINE" \
      "main $i: the previous run"
  fi
done
# the series is in commit order: newest first, main's 12th commit down to its 1st
want=$(printf '%s\n' "${MAIN_SHAS[@]}" | tac | jq -R . | jq -sc .)
equals "$(runs_of main | jq -c '[.runs[].commit]')" "$want" "main's runs in commit order"
equals "$(runs_of main | jq -c '[.runs[].id]')" "[12,11,10,9,8,7,6,5,4,3,2,1]" "main's run ids"
equals "$(runs_of main | jq -r '.runs[0].commit_time')" "2026-01-05T22:00:00Z" "commit time stored"
run_of() { runs_of main | jq --arg c "$1" '.runs[] | select(.commit == $c) | .id'; }
BASE_RUN=$(run_of "${MAIN_SHAS[9]}")
equals "$BASE_RUN" 10 "the merge base's run"

# ---- verdict (pull request), GitHub: a +20% step on hash/insert ------------------------------
BASE=$(git -C "$REPO" merge-base main feature/x)
equals "$BASE" "${MAIN_SHAS[9]}" "merge base"
HEAD_X=$(git -C "$REPO" rev-parse feature/x)
gen "$TMP/x.jsonl" 2011 "$(commit_time "$HEAD_X")" hash/insert=1.20
export GITHUB_STEP_SUMMARY=$TMP/step_x.md
: >"$GITHUB_STEP_SUMMARY"
run 1 "$QBDB" upload --server "$URL" --project "$PROJECT" --machine "$MACHINE" \
  --branch feature/x --commit "$HEAD_X" --base-branch main --base-commit "$BASE" --base-runs 5 \
  --fail-on major --summary "$GITHUB_STEP_SUMMARY" "$TMP/x.jsonl"
unset GITHUB_STEP_SUMMARY
X_OUT=$OUT
X_ERR=$ERR
printf '%s\n' "$X_OUT" >"$TMP/upload_x.out" # kept for a look after a failure
printf '%s\n' "$X_ERR" >"$TMP/upload_x.err"
X_RUN=$(runs_of feature/x | jq '.runs[0].id')
equals "$X_RUN" 13 "feature/x stored"
contains "$(head -n 1 <<<"$X_OUT")" "stored run $X_RUN: $TMP/x.jsonl (native): project $PROJECT, \
branch feature/x, machine $MACHINE, commit $HEAD_X" "feature/x upload"
reason="run $BASE_RUN of base branch main (from --base-branch) at merge base ${BASE:0:8}"
contains "$(sed -n 2p <<<"$X_OUT")" "  baseline: $reason" "baseline: main's run at the merge base"
contains "$(sed -n 3p <<<"$X_OUT")" "  compare with run $BASE_RUN: 1 regression (worst major)" \
  "compared with the merge base's run"
# what the change should be: the head's median over the median of the pooled baseline runs
"$QBDB" compare --server "$URL" --project "$PROJECT" --machine "$MACHINE" --format json \
  --base-branch main --base-commit "$BASE" --base-runs 5 "$HEAD_X" >"$TMP/cmp_x.json"
equals "$(jq -c .baseline.runs "$TMP/cmp_x.json")" "[10,9,8,7,6]" \
  "the merge base's run, pooled with the 4 before it"
equals "$(jq -r .baseline.rule "$TMP/cmp_x.json")" merge-base "rule"
files=()
for id in $(jq '.baseline.runs[]' "$TMP/cmp_x.json"); do files+=("$TMP/main$id.jsonl"); done
want=$(python3 - "$TMP/x.jsonl" "${files[@]}" <<'EOF'
import json, statistics, sys
def samples(path):
    return [x for line in open(path) for r in [json.loads(line)] if r.get("name") == "hash/insert"
            for x in r["samples"]]
base = [x for p in sys.argv[2:] for x in samples(p)]
print("%.4f" % ((statistics.median(samples(sys.argv[1])) / statistics.median(base) - 1) * 100))
EOF
)
sev=$(awk -v c="$want" 'BEGIN {
  print (c >= 25 ? "critical" : c >= 10 ? "major" : c >= 5 ? "moderate" : "minor") }')
equals "$sev" major "a +20% step is major (measured $want%)"
got=$(jq '.rows[] | select(.benchmark == "hash/insert" and .metric == "latency") | .change_pct' \
  "$TMP/cmp_x.json")
close "$got" "$want" 0.0001 "hash/insert change"
pct=$(printf '%+.1f' "$want")
equals "$(sed -n 4p <<<"$X_OUT")" "  regression ($sev): hash/insert latency $pct%" \
  "the regressed benchmark named"
equals "$(grep -c '^  regression' <<<"$X_OUT")" 1 "one regression named"
# the failing line: the last of stderr, after every detail on stdout
fail_line="qbdb: error: upload: run $X_RUN ($TMP/x.jsonl): a $sev regression (1 in the comparison, \
the worst hash/insert latency $pct%"
contains "$(tail -n 1 <<<"$X_ERR")" "$fail_line" "the failing line"
contains "$(tail -n 1 <<<"$X_ERR")" "; --fail-on major)" "the failing line names --fail-on"
one_line "$X_ERR" "stderr holds the failing line only"
# the summary: the verdict line, the baseline and why, the regression table
SUMMARY=$TMP/step_x.md
contains "$(head -n 1 "$SUMMARY")" "### :x: qbdb: 1 regression (worst major)" "summary verdict line"
grep -qF "$reason" "$SUMMARY" || fail "summary: no baseline reason '$reason': $(cat "$SUMMARY")"
grep -qx '#### Regressions (1)' "$SUMMARY" || fail "summary: no '#### Regressions (1)': $(cat "$SUMMARY")"
table=$(awk '/^#### Regressions \(1\)$/ { on = 1; next } /^(####|<details>)/ { on = 0 }
  on && /^\|/' "$SUMMARY")
equals "$(wc -l <<<"$table")" 3 "summary: the regression table has a header and one row"
contains "$(tail -n 1 <<<"$table")" "| hash/insert | latency |" \
  "summary: the regression table names the benchmark"
contains "$(tail -n 1 <<<"$table")" "| major |" "summary: the regression's severity"

# ---- no change: passes ------------------------------------------------------------------------
BASE_Y=$(git -C "$REPO" merge-base main feature/y)
HEAD_Y=$(git -C "$REPO" rev-parse feature/y)
gen "$TMP/y.jsonl" 2002 "$(commit_time "$HEAD_Y")"
export GITHUB_STEP_SUMMARY=$TMP/step_y.md
: >"$GITHUB_STEP_SUMMARY"
run 0 "$QBDB" upload --server "$URL" --project "$PROJECT" --machine "$MACHINE" \
  --branch feature/y --commit "$HEAD_Y" --base-branch main --base-commit "$BASE_Y" --base-runs 5 \
  --fail-on major --summary "$GITHUB_STEP_SUMMARY" "$TMP/y.jsonl"
unset GITHUB_STEP_SUMMARY
Y_OUT=$OUT
contains "$(head -n 1 <<<"$Y_OUT")" "stored run 14: $TMP/y.jsonl (native): project $PROJECT, \
branch feature/y" "feature/y upload"
contains "$(sed -n 2p <<<"$Y_OUT")" "  baseline: run $BASE_RUN of base branch main (from --base-branch) \
at merge base ${BASE_Y:0:8}" "feature/y baseline"
contains "$(sed -n 3p <<<"$Y_OUT")" "  compare with run $BASE_RUN: no regressions, 0 improvements, \
5 unchanged" "feature/y: no regression"
case "$Y_OUT" in
  *"regression (major)"* | *"regression (critical)"*) fail "feature/y: a major regression: $Y_OUT" ;;
esac
contains "$(head -n 1 "$TMP/step_y.md")" "### :white_check_mark: qbdb: no regressions, 0 improvements, \
5 unchanged, 0 added, 0 removed, geomean " "feature/y summary verdict line"

# ---- $GITHUB_BASE_REF alone: main's newest run before the head --------------------------------
HEAD_GH=$(git -C "$REPO" rev-parse feature/gh)
gen "$TMP/gh.jsonl" 2003 "$(commit_time "$HEAD_GH")"
GITHUB_BASE_REF=main GITHUB_STEP_SUMMARY=$TMP/step_gh.md run 0 "$QBDB" upload --server "$URL" \
  --project "$PROJECT" --machine "$MACHINE" --branch feature/gh --commit "$HEAD_GH" \
  --base-runs 5 --fail-on major --output json "$TMP/gh.jsonl"
NEWEST=$(runs_of main | jq '.runs[0].id')
equals "$NEWEST" "$(run_of "${MAIN_SHAS[11]}")" "main's newest run is its 12th commit's"
equals "$(jq -r '.[0].baseline.rule' <<<"$OUT")" base-branch "\$GITHUB_BASE_REF: rule"
equals "$(jq -r '.[0].compare.base.id' <<<"$OUT")" "$NEWEST" "\$GITHUB_BASE_REF: main's newest run"
equals "$(jq -c '.[0].baseline.runs' <<<"$OUT")" "[12,11,10,9,8]" "\$GITHUB_BASE_REF: pooled"
contains "$(jq -r '.[0].baseline.reason' <<<"$OUT")" \
  "run $NEWEST, the newest of base branch main (from \$GITHUB_BASE_REF)" "\$GITHUB_BASE_REF: reason"
contains "$(head -n 1 "$TMP/step_gh.md" 2>/dev/null)" "### " "\$GITHUB_STEP_SUMMARY written by default"

# ---- GitLab: the target branch from the environment, the merge base GitLab names -------------
HEAD_GL=$(git -C "$REPO" rev-parse feature/gl)
gen "$TMP/gl.jsonl" 2004 "$(commit_time "$HEAD_GL")"
export CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main
export CI_MERGE_REQUEST_DIFF_BASE_SHA
CI_MERGE_REQUEST_DIFF_BASE_SHA=$(git -C "$REPO" merge-base main feature/gl)
run 0 "$QBDB" upload --server "$URL" --project "$PROJECT" --machine "$MACHINE" \
  --branch feature/gl --commit "$HEAD_GL" --base-commit "$CI_MERGE_REQUEST_DIFF_BASE_SHA" \
  --base-runs 5 --fail-on major --summary verdict.md --output json "$TMP/gl.jsonl"
unset CI_MERGE_REQUEST_TARGET_BRANCH_NAME CI_MERGE_REQUEST_DIFF_BASE_SHA
equals "$(jq -r '.[0].baseline.rule' <<<"$OUT")" merge-base "GitLab: rule"
equals "$(jq -r '.[0].compare.base.id' <<<"$OUT")" "$BASE_RUN" "GitLab: the merge base's run"
contains "$(jq -r '.[0].baseline.reason' <<<"$OUT")" "run $BASE_RUN of base branch main \
(from \$CI_MERGE_REQUEST_TARGET_BRANCH_NAME) at merge base ${BASE:0:8}" "GitLab: reason"
contains "$(head -n 1 "$TMP/verdict.md" 2>/dev/null)" "### " "GitLab: verdict.md written"

# ---- the verdict of an existing run -----------------------------------------------------------
# (the summary file holds the markdown and a blank line)
run 0 "$QBDB" compare --server "$URL" --project "$PROJECT" --machine "$MACHINE" \
  --format markdown --base-branch main --base-commit "$BASE" --base-runs 5 "$HEAD_X"
{ cat "$TMP/out"; printf '\n'; } >"$TMP/md_x"
cmp -s "$TMP/md_x" "$SUMMARY" ||
  fail "qbdb compare --format markdown: not the summary's markdown: $(diff "$TMP/md_x" "$SUMMARY")"
curl -sf -D "$TMP/headers" -o "$TMP/curl_md" -H "Accept: text/markdown" \
  -H "Authorization: Bearer $QBDB_TOKEN" \
  "$URL/api/v1/compare?project=$PROJECT&machine=$MACHINE&head=$HEAD_X&base_branch=main&base_commit=$BASE&base_runs=5" ||
  fail "GET /api/v1/compare (Accept: text/markdown) failed"
printf '\n' >>"$TMP/curl_md"
cmp -s "$TMP/curl_md" "$SUMMARY" ||
  fail "GET /api/v1/compare (text/markdown): not the summary's markdown: $(diff "$TMP/curl_md" "$SUMMARY")"
contains "$(tr -d '\r' <"$TMP/headers" | grep -i '^content-type:')" "text/markdown" "markdown answer"
verdict=$(tr -d '\r' <"$TMP/headers" | sed -n 's/^[Qq]bdb-[Vv]erdict: //p')
contains "$verdict" "regressions=1; worst=major" "Qbdb-Verdict header"

finish

#!/usr/bin/env bash
# bench/bench_bisect.sh QBDB [TRIALS] [--real[=N]]: how many runs `qbdb bisect` uses and how often
# it names the wrong commit, over seeds, sequential (the default: Wald's SPRT per commit) against
# `--fixed` (for every decision the number of runs a fixed-sample test needs for the same error
# rate). It makes a git repository with tests/cli/bisect_repo.bash (40 commits of a small
# qbdb_runner program, parse/config made 10% slower by commit 23, virtual seeded timing) once,
# then for seeds 1..TRIALS (default 30) bisects it from commit 0 (good) to commit 39 (bad), each
# trial with a new database and a new BISECT_NOISE_STATE file, BISECT_SEED=seed:
#   - run-to-run noise 0.03 (BISECT_NOISE, the default), sequential and --fixed;
#   - noise 0.06, sequential;
#   - two steps, 5% at commit 12 and 5% at 30 (a second repository), noise 0.02, sequential;
#   - with --real (N trials, default 5): BISECT_CLOCK=real, the runner's real clock on this
#     machine (noisier, and not reproducible), sequential and --fixed.
# One line per trial as it goes, then a table per case and mode: the trials that named exactly
# the planted commits, that missed one, that reported a commit that is not a step (a trial can
# do both), the runs used (values stored, calibration included: `qbdb bisect --show ID --format
# json` .result.runs; mean, median, max), the runs of the commits between the ends (the search
# without the calibration of the good and the bad commit, which both modes share: the runs of
# branch bisect/ID in `qbdb runs`), the commits tested (.result.tests; the step and side checks
# of the pair found are not among them), and the ratios of the mean runs of --fixed to
# sequential. Each bisect takes 4 to 15 s (every value is a build and a run
# of the program): the default 120 trials about 20 minutes. Exit status 1 when a bisect failed
# (an exit other than 0 "found" and 1 "nothing found"; its output is printed).
# Env: KEEP=DIR keeps the repositories, databases and outputs in DIR (must not exist).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
trials=30 real=0 qbdb=
for a in "$@"; do
  case $a in
    --real) real=5 ;;
    --real=*) real=${a#--real=} ;;
    -*)
      echo "usage: bench/bench_bisect.sh QBDB [TRIALS] [--real[=N]]" >&2
      exit 2
      ;;
    *) if [ -z "$qbdb" ]; then qbdb=$a; else trials=$a; fi ;;
  esac
done
qbdb=$(realpath "${qbdb:-$src/build/qbdb}")
[[ $trials =~ ^[1-9][0-9]*$ ]] || { echo "bench_bisect: TRIALS \"$trials\": expected a positive integer" >&2; exit 2; }
[[ $real =~ ^[0-9]+$ ]] || { echo "bench_bisect: --real=\"$real\": expected an integer" >&2; exit 2; }
[ -x "$qbdb" ] || { echo "bench_bisect: $qbdb is not an executable" >&2; exit 2; }
if [ -n "${KEEP:-}" ]; then
  mkdir "$KEEP"
  tmp=$(realpath "$KEEP")
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
export QBDB_RUNNER_DIR=${QBDB_RUNNER_DIR:-$src/runner}
# shellcheck source=tests/cli/bisect_repo.bash
source "$src/tests/cli/bisect_repo.bash"

make_bisect_repo "$tmp/one" 40 23:10 >"$tmp/one.ids"
cmd_one=$(bisect_cmd "$tmp/one")
make_bisect_repo "$tmp/two" 40 12:5,30:5 >"$tmp/two.ids"
cmd_two=$(bisect_cmd "$tmp/two")
sha() { awk -v i="$2" '$1 == i { print $2 }' "$1"; }

results=$tmp/results.tsv
: >"$results"
failed=0

# trial CASE REPO CMD SEED MODE NOISE CLOCK: one bisect from commit 0 to 39 on a new database; a
# line in $results: case mode seed exit outcome runs invocations decisions seconds steps between,
# steps being the indices of the commits reported as steps ("-": none), between the runs of
# commits 1 to 38, and outcome "error" when the bisect failed.
trial() {
  local case=$1 repo=$2 cmd=$3 seed=$4 mode=$5 noise=$6 clock=$7 rc id steps between
  local db=$tmp/$case.$mode.$seed.db out=$tmp/$case.$mode.$seed.out state=$tmp/$case.$mode.$seed.k
  local -a flags=()
  [ "$mode" = seq ] || flags=(--fixed)
  rm -f "$db" "$state"
  set +e
  (cd "$repo" && BISECT_SEED=$seed BISECT_NOISE_STATE=$state BISECT_NOISE=$noise \
    BISECT_CLOCK=$clock "$qbdb" bisect --db "$db" --repo "$repo" --good "$(sha "$repo.ids" 0)" \
    --bad "$(sha "$repo.ids" 39)" --benchmark parse/config "${flags[@]}" -- "$cmd") >"$out" 2>&1
  rc=$?
  set -e
  id=$(sed -n 's/^bisect #\([0-9][0-9]*\):.*/\1/p' "$out" | head -n 1)
  if { [ "$rc" != 0 ] && [ "$rc" != 1 ]; } || [ -z "$id" ] ||
    ! "$qbdb" bisect --db "$db" --show "$id" --format json >"$out.json" 2>>"$out"; then
    failed=1
    printf '%s\t%s\t%s\t%s\terror\t0\t0\t0\t0\t-\t0\n' "$case" "$mode" "$seed" "$rc" >>"$results"
    echo "$case $mode seed $seed: qbdb bisect exited $rc:" >&2
    sed 's/^/  | /' "$out" >&2
    return 0
  fi
  # the steps' "after" commits as indices (sha -> index through the ids file)
  steps=$(jq -r '.result.steps[].after' "$out.json" |
    awk 'NR == FNR { idx[$2] = $1; next } { printf "%s%s", sep, ($1 in idx ? idx[$1] : "?"); sep = "," }' \
      "$repo.ids" -)
  # the runs of the commits between the ends: what the search itself used, calibration aside
  between=$("$qbdb" runs --db "$db" --branch "bisect/$id" --limit 0 --format json |
    jq --arg g "$(sha "$repo.ids" 0)" --arg b "$(sha "$repo.ids" 39)" \
      '[.[] | select(.commit != $g and .commit != $b)] | length')
  jq -r --arg c "$case" --arg m "$mode" --arg s "$seed" --arg rc "$rc" --arg st "${steps:--}" \
    --arg bt "$between" '[$c, $m, $s, $rc, .result.outcome, .result.runs, .result.invocations,
      (.result.tests | length), .result.seconds, $st, $bt] | @tsv' "$out.json" >>"$results"
  tail -n 1 "$results" | awk -F'\t' '{ printf "%-5s %-5s seed %3d: exit %s, %s, steps %s, %d runs (%d between the ends), %d decisions, %.1f s\n",
    $1, $2, $3, $4, $5, $10, $6, $11, $8, $9 }'
}

echo "bench_bisect: $trials seeds; qbdb $qbdb; repositories in $tmp"
for seed in $(seq "$trials"); do
  trial one "$tmp/one" "$cmd_one" "$seed" seq 0.03 virtual
  trial one "$tmp/one" "$cmd_one" "$seed" fixed 0.03 virtual
done
for seed in $(seq "$trials"); do trial noisy "$tmp/one" "$cmd_one" "$seed" seq 0.06 virtual; done
for seed in $(seq "$trials"); do trial two "$tmp/two" "$cmd_two" "$seed" seq 0.02 virtual; done
for seed in $(seq "$real"); do
  trial real "$tmp/one" "$cmd_one" "$seed" seq 0.03 real
  trial real "$tmp/one" "$cmd_one" "$seed" fixed 0.03 real
done

echo
echo "commit 0 (good) to 39 (bad), error 0.05 (the default); runs: values stored, calibration"
echo "included; between: the runs of commits 1 to 38 (the search without the calibration)"
awk -F'\t' '
  BEGIN {
    planted["one"] = "23"; planted["noisy"] = "23"; planted["two"] = "12,30"; planted["real"] = "23"
    what["one"] = "10% at 23, noise 0.03"; what["noisy"] = "10% at 23, noise 0.06"
    what["two"] = "5% at 12 and 30, noise 0.02"; what["real"] = "10% at 23, real clock"
  }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    k = $1 SUBSEP $2
    if (!(k in n)) order[++n_keys] = k
    n[k]++
    if ($5 == "error") { err[k]++; next }
    split(planted[$1], p, ","); split($10 == "-" ? "" : $10, s, ",")
    delete want; delete got
    for (i in p) want[p[i]] = 1
    for (i in s) got[s[i]] = 1
    miss = 0; extra = 0
    for (c in want) if (!(c in got)) miss = 1
    for (c in got) if (!(c in want)) extra = 1
    exact[k] += !miss && !extra; missed[k] += miss; extras[k] += extra
    m = ++ok[k]; runs[k, m] = $6; sum[k] += $6; if ($6 > max[k]) max[k] = $6
    btw[k] += $11; dec[k] += $8; secs[k] += $9
  }
  END {
    printf "%-27s %-5s %6s %5s %6s %5s %6s %5s %6s %4s %7s %9s %5s\n", "case", "mode", "trials",
      "exact", "missed", "extra", "failed", "runs", "median", "max", "between", "decisions", "secs"
    for (i = 1; i <= n_keys; i++) {
      k = order[i]; split(k, kk, SUBSEP)
      m = ok[k]; delete a
      for (j = 1; j <= m; j++) a[j] = runs[k, j]
      mean[k] = m ? sum[k] / m : 0; mbtw[k] = m ? btw[k] / m : 0
      printf "%-27s %-5s %6d %5d %6d %5d %6d %5.1f %6.1f %4d %7.1f %9.1f %5.1f\n", what[kk[1]], kk[2],
        n[k], exact[k], missed[k], extras[k], err[k], mean[k], m ? median(a, m) : 0, max[k],
        mbtw[k], m ? dec[k] / m : 0, m ? secs[k] / m : 0
    }
    print "(runs, between, decisions, secs: means over the trials that did not fail)"
    for (i = 1; i <= n_keys; i++) {
      k = order[i]; split(k, kk, SUBSEP); c = kk[1]
      if (kk[2] == "fixed" && (c SUBSEP "seq") in mean && mean[c, "seq"] > 0 && mbtw[c, "seq"] > 0)
        printf "%s: mean runs, fixed / sequential: %.2f (between the ends: %.2f)\n", what[c],
          mean[c, "fixed"] / mean[c, "seq"], mbtw[c, "fixed"] / mbtw[c, "seq"]
    }
  }' "$results"
exit "$failed"

#!/usr/bin/env bash
# End to end: the "±" of `qbdb compare`'s text table is the "pm" of its JSON (the one function
# view/compare.c qb_compare_side_pm computes both; GET /api/v1/compare answers that JSON), on real
# pytest-benchmark and Criterion runs; and the project setting repo_url of `qbdb config`:
# accepted (http/https, trailing slashes dropped), refused with one line naming the value (exit 2),
# shown by list and get, unset.
source "$(dirname "$0")/lib.bash"

run 0 "$QBDB" ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
run 0 "$QBDB" ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
run 0 "$QBDB" ingest --project rs --commit cccc3333 "$DATA/criterion/run1/target/criterion"
run 0 "$QBDB" ingest --project rs --commit dddd4444 "$DATA/criterion/run2b_compare_baseline/target/criterion"

# the JSON's pm, printed as the text table prints it: one decimal below 10%, none from there
pm_text='.rows[] | (.base, .head) | select(. != null and .pm != null) | .pm |
  if . < 10 then "± \(. * 10 | round / 10 | tostring | if test("\\.") then . else . + ".0" end)%"
  else "± \(round)%" end'
for p in py rs; do
  run 0 "$QBDB" compare --project "$p" main~1 main@latest
  text=$(grep -o '± [0-9.]*%' <<<"$OUT" || true)
  run 0 "$QBDB" compare --format json --project "$p" main~1 main@latest
  json=$(jq -r "$pm_text" <<<"$OUT")
  [ -n "$text" ] || fail "$p: no ± in the text table"
  equals "$json" "$text" "$p: pm of the JSON is the ± of the text table"
  # and pm is max(centre - ci_low, ci_high - centre) / centre * 100
  bad=$(jq '[.rows[] | (.base, .head) | select(. != null and .pm != null) |
    ((([.centre - .ci_low, .ci_high - .centre] | max) / .centre * 100) - .pm) | fabs |
    select(. > 1e-9)] | length' <<<"$OUT")
  equals "$bad" 0 "$p: pm from the side's interval"
done
# a side without a 95% CI (test_very_slow: 5 rounds) has no ± and a null pm
run 0 "$QBDB" compare --format json --project py main~1 main@latest
equals "$(jq '.rows[] | select(.benchmark == "test_very_slow") | [.base.pm, .head.pm]' -c <<<"$OUT")" \
  "[null,null]" "no CI, no pm"
# the real values: test_sum_squares[10]'s ± 0.4% and ± 1.4% (the median's order statistics)
run 0 "$QBDB" compare --project py main~1 main@latest
contains "$(grep 'test_sum_squares\[10\] ' <<<"$OUT")" "302.6 ns ± 0.4%  312.6 ns ± 1.4%" "printed ±"
# show --format json is GET /runs/{id}'s object: the CI the tool did not store is computed from
# the samples (ci_source "samples"), the same interval compare's head side has
run 0 "$QBDB" compare --format json --project py main~1 main@latest
want=$(jq -c '.rows[] | select(.benchmark == "test_sum_squares[10]") | [.head.ci_low, .head.ci_high]' <<<"$OUT")
run 0 "$QBDB" show --format json --project py main@latest
equals "$(jq -c '.benchmarks[] | select(.name == "test_sum_squares[10]") | .results[0] |
  [.ci_source, .ci_lo, .ci_hi]' <<<"$OUT")" "[\"samples\",${want#[}" "show: the computed CI"
equals "$(jq -c '.repo_url' <<<"$OUT")" null "show: no repo_url yet"
run 0 "$QBDB" show --format json --samples --project py main@latest
equals "$(jq '[.benchmarks[].results[] | select(.samples != null)] | length > 0' <<<"$OUT")" true \
  "show --samples: the samples still in"

# repo_url: a project's setting
run 0 "$QBDB" config set --project py repo_url https://github.com/o/r/
run 0 "$QBDB" config get --project py
contains "$OUT" "repo_url https://github.com/o/r" "get shows it, the trailing slash dropped"
equals "$(grep -c '^repo_url https://github.com/o/r$' <<<"$OUT")" 1 "stored without the slash"
run 0 "$QBDB" config list --project py
contains "$OUT" "https://github.com/o/r" "list shows it whole"
run 0 "$QBDB" config get --project rs
contains "$OUT" "repo_url -" "unset: -"
run 0 "$QBDB" config set --project rs repo_url http://git.example.com:8080/team/rs
run 0 "$QBDB" config get --project rs
contains "$OUT" "repo_url http://git.example.com:8080/team/rs" "http and a port"
for bad in 'ftp://example.com/r' 'github.com/o/r' 'https://' 'https:///x' 'https://a b' \
  'https://a"b' "https://a'b" 'https://a<b' 'javascript:alert(1)'; do
  run 2 "$QBDB" config set --project py repo_url "$bad"
  one_line "$ERR" "refused $bad"
  contains "$ERR" "setting repo_url '$bad'" "the message names $bad"
done
run 2 "$QBDB" config set --project py repo_url "$(printf 'https://a\tb')"
one_line "$ERR" "a tab"
contains "$ERR" "setting repo_url 'https://a\\x09b'" "a control character shown escaped"
run 2 "$QBDB" config set repo_url https://github.com/o/r
contains "$ERR" "config set repo_url: a project's setting (give --project)" "needs --project"
run 2 "$QBDB" config set --project py --benchmark 'x*' repo_url https://github.com/o/r
contains "$ERR" "a project-wide setting (no --benchmark)" "no --benchmark"
run 0 "$QBDB" config get --project py
contains "$OUT" "repo_url https://github.com/o/r" "a refused value leaves the stored one"
run 0 "$QBDB" config unset --project py repo_url
run 0 "$QBDB" config get --project py
contains "$OUT" "repo_url -" "unset"

finish

#!/usr/bin/env bash
# End to end: pytest-benchmark files holding what Python's json module writes beyond JSON (NaN,
# Infinity, -Infinity, integers beyond 64 bits) and --benchmark-cprofile rows are ingested with
# the other files of the same command, value for value (tests/data/pytest/special, made by
# pytest-benchmark 3.2.2: see its README.md and manifest.json); a NaN in a statistic refuses the
# command with one line naming the file, the field and where it stands, and stores nothing.
source "$(dirname "$0")/lib.bash"
SP="$DATA/pytest/special"

run 0 "$QBDB" ingest --project py "$DATA/pytest/run1/benchmark.json" "$SP/special.json" \
  "$SP/cprofile.json"
contains "$OUT" "stored run 1: $DATA/pytest/run1/benchmark.json (pytest)" "plain file"
contains "$OUT" "stored run 2: $SP/special.json (pytest): project py, branch main, machine vm, 6 benchmarks, 6 results, 1452 samples" \
  "the file with NaN, Infinity and 2**70"
contains "$OUT" "stored run 3: $SP/cprofile.json (pytest): project py, branch main, machine vm, 6 benchmarks, 6 results, 362 samples" \
  "the file with cProfile rows"
equals "$(db_sql "$QBDB_DB" 'SELECT count(*) FROM run')" 3 "three runs"

# what was kept: Infinity and 2**70 in params, NaN and the big integers in extra_info, as text
run 0 "$QBDB" show --format json 2
equals "$(jq -c '[.benchmarks[] | .params]' <<<"$OUT")" \
  '[{"x":1.5},{"x":"Infinity"},{"x":"-Infinity"},null,{"n":10},{"n":"1180591620717411303424"}]' \
  "params"
equals "$(jq -c '.benchmarks[3].extra.extra_info' <<<"$OUT")" \
  '{"hash":"-18446744073709551617","label":"plain string","limits":[1,"Infinity","-Infinity"],"ratio":"NaN","seed":"1180591620717411303424"}' \
  "extra_info"
equals "$(jq -r '.benchmarks[5].name' <<<"$OUT")" "test_big_param[1180591620717411303424]" "name"
# the mean of test_extra_info as pytest-benchmark wrote it (manifest.json: 2.9408562922016272e-06 s)
close "$(jq '.benchmarks[3].results[0].mean' <<<"$OUT")" 2940.8562922016272 1e-12 "mean"
run 0 "$QBDB" show --format json 3
equals "$(jq -c '.benchmarks[0].extra.cprofile[0]' <<<"$OUT")" \
  '{"cumtime":1.5862e-05,"cumtime_per":1.5862e-05,"function_name":"ptrun/test_special.py:7(sum_squares)","ncalls":1,"ncalls_recursion":"1","tottime":4.665e-06,"tottime_per":4.665e-06}' \
  "the first cProfile row"
equals "$(jq '[.benchmarks[].extra.cprofile | length] | add' <<<"$OUT")" 24 "every cProfile row"

# a NaN where a statistic goes: the command is refused, nothing of it is stored
sed '0,/"mean": [0-9.e-]*/s//"mean": NaN/' "$SP/special.json" >nan_mean.json
line=$(grep -n '"mean": NaN' nan_mean.json | cut -d: -f1)
run 3 "$QBDB" ingest --project other "$SP/cprofile.json" nan_mean.json
one_line "$ERR" "one-line error"
contains "$ERR" "nan_mean.json: benchmarks[0].stats.mean: expected a finite number, got NaN (line $line, column 25)" \
  "the error names the file, the field and the position"
equals "$(db_sql "$QBDB_DB" "SELECT count(*) FROM run")" 3 "nothing stored"

finish

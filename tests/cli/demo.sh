#!/usr/bin/env bash
# `make demo` (scripts/demo.sh) shows what it promises: the bundled history's step found by
# compare (step +20% and tput -15%, both major regressions), recorded once (by one ingest, as two
# records of run 9), the trend's change point at run 9, an HTML report file, the serve command;
# and run again it stores nothing and says so.
ROOT=$(cd "$(dirname "$0")/../.." && pwd) # before lib.bash changes to the scratch folder
source "$(dirname "$0")/lib.bash"
export QBDB_DB=$TMP/demo.db
# demo.sh runs in its tree (the report is written there): a copy of what it uses
mkdir -p "$TMP/scripts" "$TMP/tests/data/history"
cp "$ROOT/scripts/demo.sh" "$TMP/scripts/"
cp "$ROOT/tests/data/history/gen_runs.sh" "$TMP/tests/data/history/"
run 0 bash "$TMP/scripts/demo.sh" "$QBDB"
contains "$OUT" "12 runs stored (0 already there)" "first run stores the history"
equals "$(grep -c 'new change points\{0,1\} in its series' <<<"$OUT")" 1 "the step announced by one ingest"
contains "$OUT" "history: 2 new change points in its series" "two change points announced"
equals "$(grep -cE '^(step|tput) .*regression \(major\)$' <<<"$OUT")" 2 "compare finds both steps"
contains "$OUT" "2 regressions (worst major), 0 improvements, 4 unchanged" "compare's verdict"
equals "$(grep -c '^  #[0-9]' <<<"$OUT")" 2 "two regression records"
contains "$OUT" "commit range 10080068..10090075 (run 9," "the records' commit range"
contains "$OUT" "<- change +19.9%" "the trend marks the change"
[ -s "$TMP/demo-report.html" ] || fail "no demo-report.html"
grep -q '<html' "$TMP/demo-report.html" || fail "demo-report.html is not HTML"
contains "$OUT" "serve --db $QBDB_DB --listen 127.0.0.1:8080" "the serve command"
[ "$(wc -l <<<"$OUT")" -le 50 ] || fail "the demo takes more than a screen: $(wc -l <<<"$OUT") lines"
run 0 bash "$TMP/scripts/demo.sh" "$QBDB"
contains "$OUT" "0 runs stored (12 already there)" "run again: idempotent"
finish

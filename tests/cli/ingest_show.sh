#!/usr/bin/env bash
# End to end: ingest real tool output of each format, list it, show it, re-ingest idempotently,
# override metadata with flags, resolve run references.
source "$(dirname "$0")/lib.bash"

# pytest-benchmark 3.2.2 (values from tests/data/pytest/manifest.json)
run 0 "$QBDB" ingest --project py --commit 5e1f0a7c --tag net=lan --tag nodes=3 \
  "$DATA/pytest/run1/benchmark.json"
contains "$OUT" "stored run 1:" "first ingest"
contains "$OUT" "9 benchmarks, 9 results" "first ingest counts"
equals "$(wc -l <<<"$OUT")" 2 "ingest prints the run and its comparison"
equals "$(sed -n 2p <<<"$OUT")" "  compare: no baseline: no earlier run of main on machine vm" \
  "a first run has no baseline"
run 0 "$QBDB" ingest --project py --commit 9d3b2c41 "$DATA/pytest/run2/benchmark.json"
contains "$OUT" "stored run 2:" "second ingest"

# idempotent: the same content again stores nothing and names the existing run
before=$(db_sql "$QBDB_DB" 'SELECT count(*) FROM run; SELECT count(*) FROM result; SELECT sum(n) FROM sample_set')
run 0 "$QBDB" ingest --project py --commit 5e1f0a7c "$DATA/pytest/run1/benchmark.json"
contains "$OUT" "already stored as run 1" "re-ingest"
after=$(db_sql "$QBDB_DB" 'SELECT count(*) FROM run; SELECT count(*) FROM result; SELECT sum(n) FROM sample_set')
equals "$after" "$before" "re-ingest changes nothing"
run 0 "$QBDB" ingest --project py --output json "$DATA/pytest/run1/benchmark.json"
equals "$(jq -c '.[0] | [.run_id, .existed, .benchmarks, .results, .samples]' <<<"$OUT")" \
  "[1,true,9,9,4066]" "re-ingest as json"
# ... with other metadata flags, from standard input: the answer is the run as it is stored
# (its commit and branch, not the flags'), and standard input is named <stdin>
run 0 "$QBDB" ingest --project py --commit ffff0000 --branch other - <"$DATA/pytest/run1/benchmark.json"
contains "$OUT" "already stored as run 1: <stdin> (pytest): project py, branch main, machine vm, commit 5e1f0a7c, 9 benchmarks, 9 results, 4066 samples" \
  "re-ingest with other flags"
run 0 "$QBDB" ingest --project py --commit ffff0000 --output json "$DATA/pytest/run1/benchmark.json"
equals "$(jq -c '.[0] | [.run_id, .existed, .commit, .branch]' <<<"$OUT")" \
  '[1,true,"5e1f0a7c","main"]' "re-ingest with other flags, as json"

# the same content in another project is a new run
run 0 "$QBDB" ingest --project other --branch dev --machine box "$DATA/pytest/run1/benchmark.json"
contains "$OUT" "stored run 3:" "other project"
contains "$OUT" "project other, branch dev, machine box" "flags override"

# show: json in base units, values as pytest-benchmark wrote them (x 1e9)
run 0 "$QBDB" show --format json 1
mean=$(jq '.benchmarks[] | select(.name == "test_sum_squares[10]") | .results[0].mean' <<<"$OUT")
close "$mean" 308.0416743904587 1e-12 "show json mean"
n=$(jq '.benchmarks[] | select(.name == "test_sum_squares[10]") | .results[0].n' <<<"$OUT")
equals "$n" 328 "rounds"
equals "$(jq -r '.tags.net + "," + .tags.nodes' <<<"$OUT")" "lan,3" "tags"
equals "$(jq -r '.benchmarks[0].results[0].unit' <<<"$OUT")" "ns" "unit field"
equals "$(jq -r '.machine' <<<"$OUT")" "vm" "machine from machine_info.node"
equals "$(jq -r '.tool_version' <<<"$OUT")" "pytest-benchmark 3.2.2" "tool version"

# show --samples: the raw rounds, as many as the tool saved
run 0 "$QBDB" show --format json --samples 1
ns=$(jq '.benchmarks[] | select(.name == "test_sum_squares[10]") | .results[0].samples.values | length' <<<"$OUT")
equals "$ns" 328 "raw samples"

# show text: human units
run 0 "$QBDB" show 1
contains "$OUT" "run 1 (pytest, pytest-benchmark 3.2.2)" "show header"
contains "$OUT" "test_sum_squares[10]" "show row"
contains "$OUT" "308.0 ns" "human units"
contains "$OUT" "tags     net=lan, nodes=3" "show tags"

# references: commit prefix, branch@latest, id
run 0 "$QBDB" show --format json 9d3b
equals "$(jq .id <<<"$OUT")" 2 "sha prefix"
run 0 "$QBDB" show --project py --format json main@latest
equals "$(jq .id <<<"$OUT")" 2 "main@latest"
run 0 "$QBDB" show --format json main@latest  # only project py has a branch main so far
equals "$(jq .id <<<"$OUT")" 2 "main@latest without --project"
run 4 "$QBDB" show 99
one_line "$ERR" "not found error"
contains "$ERR" "'99'" "names the reference"

# runs
run 0 "$QBDB" runs --format json
equals "$(jq length <<<"$OUT")" 3 "three runs"
run 0 "$QBDB" runs --project py --limit 1 --format json
equals "$(jq -r '.[0].commit' <<<"$OUT")" 9d3b2c41 "newest py run first"
run 0 "$QBDB" runs
contains "$OUT" "5e1f0a7c" "runs text lists commits"

# criterion tree and cargo bench text, auto-detected
run 0 "$QBDB" ingest --project rs "$DATA/criterion/run1/target/criterion"
contains "$OUT" "(criterion)" "criterion detected"
contains "$OUT" "7 benchmarks" "criterion benchmarks"
run 0 "$QBDB" ingest --project rs --branch text "$DATA/criterion/run2/cargo_bench.stdout.txt"
contains "$OUT" "(criterion-text)" "cargo bench text detected"
run 0 "$QBDB" show --project rs --format json text@latest
est=$(jq '.benchmarks[] | select(.name == "spin 10k") | .results[] | select(.metric == "latency") | .estimate' <<<"$OUT")
close "$est" 17823 1e-12 "printed 17.823 µs"

run 2 "$QBDB" show main@latest  # now projects py and rs both have a branch main
contains "$ERR" "pass --project" "ambiguous branch"

# native
run 0 "$QBDB" ingest "$DATA/../../examples/native/demo_run1.jsonl"
contains "$OUT" "(native)" "native detected"

# --format and --db flags
SECOND=$(fresh_db second)
run 0 "$QBDB" --db "$SECOND" ingest --format pytest "$DATA/pytest/run1/benchmark.json"
contains "$OUT" "stored run 1:" "--db before the command"
run 0 "$QBDB" runs --db "$SECOND" --format json
equals "$(jq length <<<"$OUT")" 1 "--db after the command"

# standard input
STDIN_DB=$(fresh_db stdin)
set +e
"$QBDB" --db "$STDIN_DB" ingest --project s - <"$DATA/pytest/run2/benchmark.json" >"$TMP/o" 2>&1
got=$?
set -e
equals "$got" 0 "ingest from stdin"
contains "$(cat "$TMP/o")" "9 benchmarks, 9 results, 3890 samples" "stdin counts"

# help and version
run 0 "$QBDB" --help
contains "$OUT" "ingest" "help lists commands"
run 0 "$QBDB" help show
contains "$OUT" "BRANCH@latest" "help show"
run 0 "$QBDB" --version
contains "$OUT" "qbdb " "version"
run 2 "$QBDB" frobnicate
contains "$ERR" "unknown command 'frobnicate'" "unknown command"
run 2 "$QBDB" --db
contains "$ERR" "--db needs a value" "missing --db value"
run 2 "$QBDB" ingest --bogus x
one_line "$ERR" "usage error"
run 2 "$QBDB" ingest --tag novalue "$DATA/pytest/run1/benchmark.json"
contains "$ERR" "KEY=VALUE" "bad tag"
run 2 "$QBDB" ingest --commit not-a-sha "$DATA/pytest/run1/benchmark.json"
contains "$ERR" "hex" "bad commit"
# a file that names no machine (hyperfine, go test) is this host's run, as pytest-benchmark and
# Google Benchmark files name the host they ran on: one CI box is one machine
MDB=$(fresh_db machines)
run 0 "$QBDB" ingest --db "$MDB" --project hf "$DATA/hyperfine/run1.json"
contains "$OUT" "project hf, branch main, machine $(hostname)," "hyperfine: the host's name"
run 0 "$QBDB" ingest --db "$MDB" --project gobench "$DATA/go/out.txt"
contains "$OUT" "project gobench, branch main, machine $(hostname)," "go test: the host's name"

finish

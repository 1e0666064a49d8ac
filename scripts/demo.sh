#!/usr/bin/env bash
# `make demo`: ingest the bundled example results into the local database ($QBDB_DB, default
# ./qbdb.db) and show what was stored. Safe to run again: re-ingesting is idempotent.
set -euo pipefail
qbdb=${1:-build/qbdb}
cd "$(dirname "$0")/.."
db=${QBDB_DB:-qbdb.db}
export QBDB_DB=$db

echo "== qbdb demo: database $db"
echo
echo "-- a C project (qbdb native format), two commits on main"
"$qbdb" ingest examples/native/demo_run1.jsonl
"$qbdb" ingest examples/native/demo_run2.jsonl
echo
echo "-- a Python project (pytest-benchmark 3.2.2 JSON), baseline and modified"
"$qbdb" ingest --project demo-py --commit 5e1f0a7c tests/data/pytest/run1/benchmark.json
"$qbdb" ingest --project demo-py --commit 9d3b2c41 tests/data/pytest/run2/benchmark.json
echo
echo "-- a Rust project (Criterion 0.3.6 target/criterion trees and cargo bench output)"
"$qbdb" ingest --project demo-rust --commit 0a1b2c3d tests/data/criterion/run1/target/criterion
"$qbdb" ingest --project demo-rust --commit 4e5f6a7b tests/data/criterion/run2/target/criterion
"$qbdb" ingest --project demo-rust --branch bencher --commit 4e5f6a7b \
  tests/data/criterion/run3_bencher/cargo_bench.stdout.txt
echo
echo "-- stored runs"
"$qbdb" runs
echo
echo "-- the newest run of the C project, ready to compare with its predecessor"
"$qbdb" show --project minikv main@latest
echo
echo "-- the modified pytest run"
"$qbdb" show --project demo-py 9d3b

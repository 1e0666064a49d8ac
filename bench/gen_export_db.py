#!/usr/bin/env python3
"""Write the runs of the `qbdb export --samples` measurement (docs/cli/export.md, issue 16):
220 qbdb-native runs of project "big" (one branch, one machine), 24 benchmarks each with 200
pytest-like per-iteration samples (ns, 1000 iterations a round), from a fixed seed. Ingested with
`qbdb --db big.db ingest DIR/run*.jsonl` they make a 12 MB SQLite database of 1,056,000 samples.

Usage: gen_export_db.py DIR [RUNS]"""
import json
import os
import random
import sys

out = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 220
os.makedirs(out, exist_ok=True)
random.seed(1)
for r in range(runs):
    with open(os.path.join(out, f"run{r:03d}.jsonl"), "w") as f:
        f.write(json.dumps({"format": "qbdb-native", "version": 1, "project": "big",
                            "branch": "main", "machine": "ci-1",
                            "commit": "%08x" % (0x10000000 + r),
                            "started_at": "2026-%02d-%02dT%02d:00:00Z"
                            % (1 + r // 28 % 12, 1 + r % 28, r % 24)}) + "\n")
        for b in range(24):
            base = 1000.0 * (b + 1)
            vals = [base * (1 + 0.02 * random.random()) / 1000 * 1000 for _ in range(200)]
            f.write(json.dumps({"name": f"test_bench_{b:02d}[param{b}]", "group": f"g{b % 4}",
                                "params": {"n": b}, "unit": "ns", "iterations": 1000,
                                "samples": vals}) + "\n")

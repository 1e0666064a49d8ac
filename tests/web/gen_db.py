#!/usr/bin/python3
"""Writes a realistic project of qbdb-native runs (one .jsonl file per run) for the web page's
test and for bench/bench_dashboard.sh. Deterministic: a fixed-seed random.Random, fixed times.

Usage: gen_db.py OUT_DIR [--project P] [--benchmarks N] [--runs M] [--samples K]
                 [--machine-runs R] [--branch-runs B]

Project P (default "dash"), branch main, machine m1: M runs (default 200), one every 6 hours
from 2026-06-01T00:00:00Z, commits "c" + 39 hex digits from the run number (full 40-digit
shas). Benchmarks, N in all (default 150), in this order until N are made:
  - families whose sizes scale as n log2 n: sort/n={100,1000,10000}, hash/n=..., ... (named
    "F/n=SIZE", params {"n": SIZE}), and pytest-like "test_parse[SIZE]" (params {"0": SIZE});
  - single benchmarks "misc/bench_NNN".
Each result has K raw samples (default 10), 1% uniform noise, no CI from the tool.
Planted steps (from run STEP = M * 3 // 4 + 1 on, in the series named):
  steps/minor      +3%   (minor: 1..5%)       steps/moderate +7%  (moderate: 5..10%)
  steps/major      +15%  (major: 10..25%)     steps/critical +40% (critical: >= 25%)
  steps/faster     -20%  (an improvement)
so each is one change point and one open regression of that severity (the improvement none).
R runs (default 30) on machine m2 (the newest ones' times, every benchmark) and B runs (default
12) on branch "feature" (m1): machine and branch overlays; they carry no step.
Also writes OUT_DIR/manifest.json: the names, the step run and the expected severities.
"""
import json
import math
import os
import random
import sys


def main(argv):
    args = {"--project": "dash", "--benchmarks": "150", "--runs": "200", "--samples": "10",
            "--machine-runs": "30", "--branch-runs": "12"}
    out = None
    i = 0
    while i < len(argv):
        if argv[i] in args:
            args[argv[i]] = argv[i + 1]
            i += 2
        elif out is None:
            out = argv[i]
            i += 1
        else:
            sys.exit("gen_db.py: unexpected argument " + argv[i])
    if out is None:
        sys.exit("usage: gen_db.py OUT_DIR [--project P] [--benchmarks N] [--runs M] ...")
    project = args["--project"]
    nbench = int(args["--benchmarks"])
    nruns = int(args["--runs"])
    nsamples = int(args["--samples"])
    mruns = int(args["--machine-runs"])
    bruns = int(args["--branch-runs"])
    os.makedirs(out, exist_ok=True)

    steps = [("steps/minor", 1.03, "minor"), ("steps/moderate", 1.07, "moderate"),
             ("steps/major", 1.15, "major"), ("steps/critical", 1.40, "critical"),
             ("steps/faster", 0.80, None)]
    # (name, params, base ns)
    benches = []
    for (name, factor, _sev) in steps:
        benches.append((name, None, 2000.0))
    families = ["sort", "hash", "search", "insert", "scan", "merge", "parse", "encode",
                "decode", "compress", "copy", "rank", "select", "join", "filter", "walk"]
    sizes = [100, 1000, 10000]
    fi = 0
    while len(benches) < nbench and fi < len(families):
        fam = families[fi]
        for s in sizes:
            if len(benches) < nbench:
                benches.append(("%s/n=%d" % (fam, s), {"n": s}, (fi + 1) * 0.5 * s * math.log2(s)))
        fi += 1
    for s in [100, 1000, 10000]:
        if len(benches) < nbench:
            benches.append(("test_parse[%d]" % s, {"0": s}, 40.0 * s))
    k = 0
    while len(benches) < nbench:
        benches.append(("misc/bench_%03d" % k, None, 500.0 + 37.0 * k))
        k += 1

    step_run = nruns * 3 // 4 + 1
    step_of = {name: factor for (name, factor, _s) in steps}

    def sha(n, salt):
        return "%08x" % ((n * 2654435761 + salt) % (1 << 32)) + "%032x" % (n * 7919 + salt)

    def stamp(h):
        # hours after 2026-06-01T00:00:00Z as ISO 8601 UTC
        days, hour = divmod(h, 24)
        # June 30, July 31, August 31, September 30, October 31, November 30, December 31
        month_len = [30, 31, 31, 30, 31, 30, 31, 31, 28, 31, 30, 31, 30]
        month, year = 6, 2026
        mi = 0
        while days >= month_len[mi]:
            days -= month_len[mi]
            mi += 1
            month += 1
            if month == 13:
                month, year = 1, 2027
        return "%04d-%02d-%02dT%02d:00:00Z" % (year, month, days + 1, hour)

    def write_run(path, header, r, rng, stepped):
        lines = [json.dumps(header, separators=(",", ":"))]
        for (name, params, base) in benches:
            level = base
            if stepped and name in step_of and r >= step_run:
                level = base * step_of[name]
            rec = {"name": name, "unit": "ns", "iterations": 100,
                   "samples": [round(level * (1 + 0.01 * (rng.random() - 0.5)), 4)
                               for _ in range(nsamples)]}
            if params:
                rec["params"] = params
            lines.append(json.dumps(rec, separators=(",", ":")))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    files = []
    rng = random.Random(20261001)
    for r in range(1, nruns + 1):
        header = {"format": "qbdb-native", "version": 1, "project": project, "branch": "main",
                  "machine": "m1", "commit": sha(r, 1), "started_at": stamp(6 * r)}
        p = os.path.join(out, "main-m1-%05d.jsonl" % r)
        write_run(p, header, r, rng, True)
        files.append(p)
    # machine m2: the newest mruns commits again, another machine, a bit slower, no step
    rng = random.Random(20261002)
    for j in range(mruns):
        r = nruns - mruns + 1 + j
        header = {"format": "qbdb-native", "version": 1, "project": project, "branch": "main",
                  "machine": "m2", "commit": sha(r, 1), "started_at": stamp(6 * r + 1)}
        p = os.path.join(out, "main-m2-%05d.jsonl" % r)
        write_run(p, header, r, rng, False)
        files.append(p)
    rng = random.Random(20261003)
    for j in range(bruns):
        r = nruns - bruns + 1 + j
        header = {"format": "qbdb-native", "version": 1, "project": project, "branch": "feature",
                  "machine": "m1", "commit": sha(r, 2), "started_at": stamp(6 * r + 2)}
        p = os.path.join(out, "feature-m1-%05d.jsonl" % r)
        write_run(p, header, r, rng, False)
        files.append(p)
    manifest = {
        "project": project, "runs": nruns, "benchmarks": [b[0] for b in benches],
        "step_run": step_run, "step_commit": sha(step_run, 1),
        "severities": {name: sev for (name, _f, sev) in steps if sev},
        "improvements": [name for (name, f, _s) in steps if f < 1],
        "machine_runs": mruns, "branch_runs": bruns,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/python3
"""Write manifest.json: for each file made by failure_bench.cc (README.md), the entries as Google
Benchmark wrote them and the values qbdb must recover from them. Run from this folder:
    /usr/bin/python3 gen_manifest.py > manifest.json
Only the files themselves are read; every expected value is derived from what the tool wrote."""
import json

NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

RUNS = [
    ("plain", "v171_plain.json",
     "./failure_bench --benchmark_repetitions=4 --benchmark_min_time=0.05 "
     "--benchmark_format=json --benchmark_out=plain_out.json > plain_stdout.json",
     "every repetition and the aggregates; the failed repetition is an error_occurred entry"),
    ("aggonly_a", "v171_aggonly_a.json",
     "./failure_bench --benchmark_repetitions=4 --benchmark_min_time=0.05 "
     "--benchmark_report_aggregates_only=true --benchmark_format=json "
     "--benchmark_out=aggonly_out.json > aggonly_stdout.json",
     "aggregates only: the failed repetition is not written, its aggregates still say "
     "repetitions 4"),
    ("aggonly_b", "v171_aggonly_b.json",
     "the same command again (aggonly2_out.json)", "a second aggregates-only run, for compare"),
    ("display_out", "v171_display_out.json",
     "./failure_bench --benchmark_repetitions=4 --benchmark_min_time=0.05 "
     "--benchmark_display_aggregates_only=true --benchmark_format=json "
     "--benchmark_out=display_out.json > display_stdout.json",
     "the --benchmark_out file of a display-aggregates-only run: everything, as plain"),
    ("display_stdout", "v171_display_stdout.json", "standard output of the command above",
     "the display reporter: aggregates only, as with --benchmark_report_aggregates_only"),
]


def expect(entries):
    """What qbdb must store per benchmark (run_name) and in the run's extra.errors."""
    out, errors = {}, []
    for e in entries:
        key = e["run_name"]
        b = out.setdefault(key, {"latency_samples_ns": [], "cpu_samples_ns": [], "iters": [],
                                 "failed_repetitions": 0, "aggregates": {}})
        f = NS[e["time_unit"]]
        if e.get("error_occurred"):
            errors.append({"error": e["error_message"], "name": e["name"]})
            b["failed_repetitions"] += 1
        elif e["run_type"] == "iteration":
            b["latency_samples_ns"].append(e["real_time"] * f)
            b["cpu_samples_ns"].append(e["cpu_time"] * f)
            b["iters"].append(e["iterations"])
        else:
            b["repetitions_written"] = e["repetitions"]
            if e["aggregate_unit"] == "time":
                b["aggregates"][e["aggregate_name"]] = {"latency_ns": e["real_time"] * f,
                                                       "cpu_ns": e["cpu_time"] * f}
    for b in out.values():
        if b["latency_samples_ns"]:
            b["n"] = len(b["latency_samples_ns"])  # the successful repetitions
        else:
            # aggregates only: the file does not say that a repetition failed
            b["n"] = b["repetitions_written"] - b["failed_repetitions"]
            b["aggregates_only"] = True
            del b["latency_samples_ns"], b["cpu_samples_ns"], b["iters"]
    return out, errors


man = {
    "tool": "google-benchmark",
    "tool_version": "Google Benchmark 1.7.1 (Debian package libbenchmark-dev 1.7.1-1); "
                    "1.9.5 could not be built here, see README.md",
    "toolchain": "g++ (Debian 12.2.0-14+deb12u1) 12.2.0: g++ -O2 -std=c++17 failure_bench.cc "
                 "-o failure_bench -lbenchmark -lpthread",
    "os": "Debian 12 (bookworm), x86_64, 2 vCPU VM",
    "program": "failure_bench.cc",
    "failing_benchmark": "BM_Flaky/iterations:20000 (SkipWithError in its 2nd repetition)",
    # What the program did, which no aggregates-only file can show: its aggregates are over 3
    # repetitions, and their "repetitions" (and "iterations") say 4.
    "ground_truth": {"BM_Flaky/iterations:20000": {"repetitions_run": 4, "failed": 1,
                                                   "successful": 3}},
    "runs": [],
}
for rid, f, cmd, note in RUNS:
    entries = json.load(open(f))["benchmarks"]
    exp, errors = expect(entries)
    man["runs"].append({"id": rid, "file": f, "command": cmd, "note": note,
                        "benchmarks": entries, "expect": exp, "errors": errors})
print(json.dumps(man, indent=2))

#!/usr/bin/python3
"""Write manifest.json: for each file made by failure_bench.cc (README.md), the entries as Google
Benchmark wrote them and the values qbdb must recover from them. Run from this folder:
    /usr/bin/python3 gen_manifest.py > manifest.json
Only the files themselves are read; every expected value is derived from what the tool wrote."""
import json

NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Entry fields with a meaning of their own (adapters/gbench.c); any other number is a counter.
KNOWN = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
         "repetitions", "repetition_index", "threads", "aggregate_name", "aggregate_unit",
         "error_occurred", "error_message", "skipped", "skip_message", "iterations", "real_time",
         "cpu_time", "time_unit", "label"}
# Copied as written into the benchmark's extra.
COPIED = ["family_index", "per_family_instance_index", "threads", "repetitions", "time_unit"]

B = "./failure_bench --benchmark_repetitions=4 --benchmark_min_time=0.05 "
COMMANDS = [
    ("plain", B + "--benchmark_format=json --benchmark_out=plain_out.json > plain_stdout.json",
     "every repetition and the aggregates; the failed repetition is an error_occurred entry"),
    ("aggonly_a", B + "--benchmark_report_aggregates_only=true --benchmark_format=json "
     "--benchmark_out=aggonly_out.json > aggonly_stdout.json",
     "aggregates only: the failed repetition is not written, its aggregates still say "
     "repetitions 4"),
    ("aggonly_b", "the same command again (aggonly2_out.json)",
     "a second aggregates-only run, for compare"),
    ("display_out", B + "--benchmark_display_aggregates_only=true --benchmark_format=json "
     "--benchmark_out=display_out.json > display_stdout.json",
     "the --benchmark_out file of a display-aggregates-only run: everything, as plain"),
    ("display_stdout", "standard output of the command above",
     "the display reporter: aggregates only, as with --benchmark_report_aggregates_only"),
]
VERSIONS = [
    # prefix, version, what qbdb's tool_version must be (1.7.1 writes no library_version)
    ("v171", "1.7.1", None),
    ("v195", "1.9.5", "google-benchmark v1.9.5"),
]


def expect(entries):
    """What qbdb must store per benchmark (run_name) and in the run's extra.errors."""
    out, errors = {}, []
    for e in entries:
        key = e["run_name"]
        b = out.get(key)
        if b is None:
            b = out[key] = {"latency_samples_ns": [], "cpu_samples_ns": [], "iters": [],
                            "failed_repetitions": 0, "aggregates": {}, "cv": {}, "counters": {},
                            "extra": {k: e[k] for k in COPIED if k in e}}
        f = NS[e["time_unit"]]
        counters = [k for k, v in e.items()
                    if k not in KNOWN and isinstance(v, (int, float)) and not isinstance(v, bool)]
        for k in counters:
            b["counters"].setdefault(k, {"samples": [], "aggregates": {}})
        if e.get("error_occurred"):
            errors.append({"error": e["error_message"], "name": e["name"]})
            b["failed_repetitions"] += 1
        elif e["run_type"] == "iteration":
            b["latency_samples_ns"].append(e["real_time"] * f)
            b["cpu_samples_ns"].append(e["cpu_time"] * f)
            b["iters"].append(e["iterations"])
            for k in counters:
                b["counters"][k]["samples"].append(e[k])
        else:
            b["repetitions_written"] = e["repetitions"]
            b["aggregate_iterations"] = e["iterations"]
            if e["aggregate_unit"] == "time":
                b["aggregates"][e["aggregate_name"]] = {"latency_ns": e["real_time"] * f,
                                                       "cpu_ns": e["cpu_time"] * f}
            else:  # cv: a fraction, whatever time_unit says
                b["cv"] = {"latency": e["real_time"], "cpu": e["cpu_time"]}
            for k in counters:
                b["counters"][k]["aggregates"][e["aggregate_name"]] = e[k]
    for b in out.values():
        if b["latency_samples_ns"]:
            b["n"] = len(b["latency_samples_ns"])  # the successful repetitions
        else:
            # aggregates only: the file does not say that a repetition failed
            b["n"] = b["repetitions_written"] - b["failed_repetitions"]
            b["aggregates_only"] = True
            del b["latency_samples_ns"], b["cpu_samples_ns"], b["iters"]
            for c in b["counters"].values():
                del c["samples"]
    return out, errors


man = {
    "tool": "google-benchmark",
    "tool_version": "Google Benchmark 1.7.1 (Debian package libbenchmark-dev 1.7.1-1, v171_*) and "
                    "1.9.5 (built from benchmark_1.9.5.orig.tar.gz, v195_*), see README.md",
    "toolchain": "g++ (Debian 12.2.0-14+deb12u1) 12.2.0: 1.7.1: g++ -O2 -std=c++17 "
                 "failure_bench.cc -o failure_bench -lbenchmark -lpthread; 1.9.5: g++ -O2 "
                 "-std=c++17 -I$PREFIX/include failure_bench.cc -o failure_bench "
                 "$PREFIX/lib/libbenchmark.a -lpthread",
    "os": "Debian 12 (bookworm), x86_64, 2 vCPU VM",
    "program": "failure_bench.cc",
    "failing_benchmark": "BM_Flaky/iterations:20000 (SkipWithError in its 2nd repetition)",
    # What the program did, which no aggregates-only file can show: its aggregates are over 3
    # repetitions, and their "repetitions" (and "iterations") say 4. The same in 1.7.1 and 1.9.5.
    "ground_truth": {"BM_Flaky/iterations:20000": {"repetitions_run": 4, "failed": 1,
                                                   "successful": 3}},
    "runs": [],
}
for prefix, version, tool_version in VERSIONS:
    for rid, cmd, note in COMMANDS:
        f = "%s_%s.json" % (prefix, rid)
        doc = json.load(open(f))
        entries = doc["benchmarks"]
        exp, errors = expect(entries)
        man["runs"].append({"id": "%s_%s" % (prefix, rid), "file": f, "version": version,
                            "tool_version": tool_version, "command": cmd, "note": note,
                            "context": doc["context"], "benchmarks": entries, "expect": exp,
                            "errors": errors})
print(json.dumps(man, indent=2))

#!/usr/bin/python3
"""Regenerate demo_run1.jsonl and demo_run2.jsonl: two runs of a small C key-value library
("minikv": a hash table and a config parser) in qbdb's native format (docs/formats/native.md).

The numbers are synthetic but shaped like real timings: log-normal noise of a few percent around
a per-benchmark centre, with the odd slow outlier. The generator is deterministic (fixed seeds),
so running this script again writes byte-identical files:

    /usr/bin/python3 examples/native/gen_demo.py

Between the two runs, parse/config_small is made ~20 % slower and hash/insert ~15 % faster;
everything else keeps its centre and only the noise changes.
"""
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

RUNS = [
    {
        "file": "demo_run1.jsonl",
        "seed": 20261201,
        "header": {
            "format": "qbdb-native",
            "version": 1,
            "project": "minikv",
            "branch": "main",
            "commit": "9c41e07d2b5a8f3e6d1c0b9a87f6e5d4c3b2a190",
            "commit_time": "2026-11-23T17:42:08+01:00",
            "machine": "ci-linux-1",
            "machine_info": {"cpu": "AMD EPYC 7B13", "cores": 2, "memory": "8 GiB",
                             "os": "Debian 12 (bookworm) x86_64"},
            "started_at": "2026-11-23T16:45:12Z",
            "tool": "qbr 0.1",
            "tags": {"build": "release", "compiler": "gcc 12.2.0"},
        },
        "scale": {},
    },
    {
        "file": "demo_run2.jsonl",
        "seed": 20261202,
        "header": {
            "format": "qbdb-native",
            "version": 1,
            "project": "minikv",
            "branch": "main",
            "commit": "e27f5a90c8d4b1366a0f2e7c9d8b5a4132c6e0f7",
            "commit_time": "2026-11-24T09:13:55+01:00",
            "machine": "ci-linux-1",
            "machine_info": {"cpu": "AMD EPYC 7B13", "cores": 2, "memory": "8 GiB",
                             "os": "Debian 12 (bookworm) x86_64"},
            "started_at": "2026-11-24T08:20:31Z",
            "tool": "qbr 0.1",
            "tags": {"build": "release", "compiler": "gcc 12.2.0"},
        },
        # The two deliberate changes of run 2.
        "scale": {"parse/config_small": 1.20, "hash/insert": 0.85},
    },
]

CONFIG_LARGE_MIB = 4.0  # input size of parse/config_large, for its throughput metric


def noisy(rng, centre, sigma=0.03, outlier_p=0.05):
    """One measurement: log-normal noise around centre, sometimes a 20-40 % slower outlier."""
    v = centre * math.exp(rng.gauss(0.0, sigma))
    if rng.random() < outlier_p:
        v *= 1.2 + 0.2 * rng.random()
    return v


def line(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def generate(run):
    rng = random.Random(run["seed"])
    scale = run["scale"]
    out = [line(run["header"])]

    # hash/insert: 40 samples of 1000 inserts each, in ns per insert, plus the peak heap size.
    c = 61.5 * scale.get("hash/insert", 1.0)
    xs = [round(noisy(rng, c), 1) for _ in range(40)]
    out.append(line({"name": "hash/insert", "group": "hash", "unit": "ns", "samples": xs,
                     "iterations": 1000}))
    peak_kib = round(2052.0 + rng.uniform(-4, 4), 1)
    out.append(line({"name": "hash/insert", "group": "hash", "metric": "memory", "unit": "KiB",
                     "value": peak_kib, "extra": {"source": "mallinfo2", "what": "peak heap"}}))

    # hash/lookup/N: a family of three table sizes, with the runner's calibration ramp in iters.
    for n, centre in ((1000, 18.2), (10000, 24.9), (100000, 41.3)):
        k = rng.randint(36, 44)
        iters = [1000, 2000, 4000] + [8000] * (k - 3)
        xs = [round(noisy(rng, centre, 0.025), 2) for _ in range(k)]
        out.append(line({"name": "hash/lookup/%d" % n, "group": "hash", "params": {"n": n},
                         "unit": "ns", "samples": xs, "iters": iters}))

    # parse/config_small: 35 samples of 100 parses of a 2 KiB config, in microseconds.
    c = 12.84 * scale.get("parse/config_small", 1.0)
    xs = [round(noisy(rng, c), 3) for _ in range(35)]
    out.append(line({"name": "parse/config_small", "group": "parse", "unit": "us", "samples": xs,
                     "iterations": 100}))

    # parse/config_large: 30 single parses of a 4 MiB config, in ms; the runner also wrote its
    # own summary, and the matching throughput in MiB/s.
    ms = [round(noisy(rng, 7.35, 0.02), 4) for _ in range(30)]
    srt = sorted(ms)
    median = (srt[14] + srt[15]) / 2
    out.append(line({"name": "parse/config_large", "group": "parse", "unit": "ms", "samples": ms,
                     "iterations": 1,
                     "stats": {"n": len(ms), "min": srt[0], "max": srt[-1],
                               "mean": round(sum(ms) / len(ms), 4), "median": round(median, 4)}}))
    mibs = [round(CONFIG_LARGE_MIB / (x / 1000.0), 2) for x in ms]
    out.append(line({"name": "parse/config_large", "group": "parse", "metric": "throughput",
                     "unit": "MiB/s", "samples": mibs, "iterations": 1,
                     "extra": {"input_bytes": int(CONFIG_LARGE_MIB * 1048576)}}))
    return "\n".join(out) + "\n"


def main():
    for run in RUNS:
        with open(os.path.join(HERE, run["file"]), "w", encoding="utf-8") as f:
            f.write(generate(run))


if __name__ == "__main__":
    main()

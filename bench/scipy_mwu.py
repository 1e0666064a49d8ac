#!/usr/bin/python3
"""Baseline for bench/bench_compare.c: scipy.stats.mannwhitneyu looping over the benchmark pairs
of two pytest-benchmark JSON files (two-sided, method='auto', as scipy users call it).

Usage: /usr/bin/python3 bench/scipy_mwu.py BASE.json HEAD.json
Prints one line: "scipy_mwu_seconds <best of 3> pairs <n> scipy <version>" (only the loop over
the pairs is timed; loading the files is not)."""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats


def load(path):
    with open(path) as f:
        doc = json.load(f)
    return {b["name"]: np.asarray(b["stats"]["data"], dtype=float) for b in doc["benchmarks"]}


def main():
    base, head = load(sys.argv[1]), load(sys.argv[2])
    names = [n for n in head if n in base]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for n in names:
            stats.mannwhitneyu(base[n], head[n], alternative="two-sided")
        best = min(best, time.perf_counter() - t0)
    print("scipy_mwu_seconds %.6f pairs %d scipy %s" % (best, len(names), scipy.__version__))


if __name__ == "__main__":
    main()

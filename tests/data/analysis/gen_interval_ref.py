#!/usr/bin/python3
# Reference values for analysis/interval.c (tests/analysis/test_interval.c) and for the
# intervals GET /api/v1/trend, /runs/{id} and /samples show (tests/http/test_trend_api.c).
#
# Regenerate (Debian's python3-scipy):
#   /usr/bin/python3 tests/data/analysis/gen_interval_ref.py
# It writes interval_ref.json next to itself.
#
# The 95% CI of a median: [x_(k), x_(n+1-k)] (1-based order statistics) with k the largest
# integer in [1, (n + 1) / 2] such that scipy.stats.binom.cdf(k - 1, n, 0.5) <= 0.025 (coverage
# 1 - 2 binom.cdf(k - 1, n, 0.5) >= 0.95); none when even k = 1 falls short (n <= 5).
# Cross-checked here against scipy.stats.binom.ppf(0.025, n, 0.5), which is k or k - 1.
# The 95% CI of a mean: mean -+ scipy.stats.t.ppf(0.975, n - 1) * s / sqrt(n), s with ddof=1
# (the same as scipy.stats.t.interval(0.95, n - 1, loc=mean, scale=scipy.stats.sem(x))).
#
# Samples: the real pytest-benchmark runs of tests/data/pytest (stats.data, seconds per
# iteration, times 1e9 as adapters/pytest.c stores them in ns: the same IEEE product), the
# first run of tests/data/history/gen_runs.sh ("step", 40 samples), and small hand-made arrays
# for the edges (n = 1, 2, 5, 6, ties).
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
PY = "%s (numpy %s, scipy %s)" % (sys.executable, np.__version__, scipy.__version__)


def median_ci(x):
    s = sorted(x)
    n = len(s)
    k = 0
    for j in range(1, (n + 1) // 2 + 1):
        if stats.binom.cdf(j - 1, n, 0.5) <= 0.025:
            k = j
    if k == 0:
        return None, None, None, None
    ppf = int(stats.binom.ppf(0.025, n, 0.5))
    assert ppf in (k, k + 1), (n, k, ppf)
    coverage = 1 - 2 * stats.binom.cdf(k - 1, n, 0.5)
    return s[k - 1], s[n - k], k, coverage


def mean_ci(x):
    n = len(x)
    if n < 2:
        return None, None
    a = np.asarray(x, dtype=float)
    m = a.mean()
    half = stats.t.ppf(0.975, n - 1) * a.std(ddof=1) / math.sqrt(n)
    lo, hi = stats.t.interval(0.95, n - 1, loc=m, scale=stats.sem(a))
    assert abs(lo - (m - half)) <= 1e-9 * abs(m) + 1e-300
    return m - half, m + half


def case(name, x, source):
    r = median_ci(x)
    mlo, mhi = mean_ci(x)
    c = {"name": name, "source": source, "n": len(x), "x": x,
         "median_lo": r[0], "median_hi": r[1],
         "median_k": r[2] if r[0] is not None else None,
         "median_coverage": r[3] if r[0] is not None else None,
         "mean_lo": mlo, "mean_hi": mhi, "min": min(x), "max": max(x)}
    return c


cases = []
for run in ("run1", "run2"):
    doc = json.load(open(os.path.join(DATA, "pytest", run, "benchmark.json")))
    for b in doc["benchmarks"]:
        if b["name"] in ("test_very_slow", "test_sum_squares[10]", "test_scaled_slower"):
            x = [v * 1e9 for v in b["stats"]["data"]]
            cases.append(case("pytest/%s/%s" % (run, b["name"]), x,
                              "tests/data/pytest/%s/benchmark.json stats.data * 1e9" % run))
with tempfile.TemporaryDirectory() as d:
    subprocess.run(["bash", os.path.join(DATA, "history", "gen_runs.sh"), d], check=True)
    for line in open(os.path.join(d, "run01.jsonl")):
        o = json.loads(line)
        if o.get("name") == "step":
            cases.append(case("history/run01/step", o["samples"],
                              "tests/data/history/gen_runs.sh run01.jsonl, benchmark step"))
    # The noise band of the last segment of the series "step" over the 12 runs (GET /api/v1/trend
    # "segment", service/trend.c): the point values are the runs' medians; the change point is at
    # run 9 (index 8); the last segment has 4 points, fewer than noise_runs (5), so the noise comes
    # from the differences of log values within each segment of the newest 30 points (compare's
    # row_noise): sigma = sqrt(sum (d - median d)^2 / k / 2), df = k + 1 - 1.8, and the band is
    # (exp(scipy.stats.t.ppf(0.975, df) * sigma * sqrt(1 + 1 / 4)) - 1) * 100 around the median of
    # the segment's 4 values.
    vals = []
    for r in range(1, 13):
        for line in open(os.path.join(d, "run%02d.jsonl" % r)):
            o = json.loads(line)
            if o.get("name") == "step":
                vals.append(float(np.median(o["samples"])))
    segs = [vals[:8], vals[8:]]
    diffs = [math.log(b) - math.log(a) for sg in segs for a, b in zip(sg, sg[1:])]
    k = len(diffs)
    m = float(np.median(diffs))
    sigma = math.sqrt(sum((x - m) ** 2 for x in diffs) / k / 2)
    df = k + 1 - 1.8
    band = (math.exp(stats.t.ppf(0.975, df) * sigma * math.sqrt(1 + 1 / 4)) - 1) * 100
    centre = float(np.median(vals[8:]))
    segment = {"values": vals, "from_index": 8, "centre": centre, "noise_pct": band,
               "low": centre / (1 + band / 100), "high": centre * (1 + band / 100),
               "history_runs": 12, "sigma": sigma, "df": df}
for name, x in (("one", [5.0]), ("two", [3.0, 1.0]), ("five", [5.0, 1.0, 4.0, 2.0, 3.0]),
                ("six", [6.0, 1.0, 5.0, 2.0, 4.0, 3.0]),
                ("ties", [2.0, 2.0, 2.0, 1.0, 3.0, 2.0, 2.0, 2.0, 2.0, 4.0])):
    cases.append(case(name, x, "hand-made"))

out = {"provenance": "gen_interval_ref.py with %s: scipy.stats.binom.cdf/ppf ranks of the median "
                     "CI, scipy.stats.t.ppf / t.interval for the mean CI" % PY,
       "cases": cases, "segment": segment}
with open(os.path.join(HERE, "interval_ref.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote %d cases" % len(cases))

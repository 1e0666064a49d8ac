#!/usr/bin/python3
# Reference values for analysis/trend.c (tests/analysis/test_trend.c): Theil-Sen slopes, the
# trend rule (Kendall's tau, noise, direction, strength), the scaling fits and the grade.
#
# Regenerate (Debian's python, which has numpy 1.24 and scipy 1.10; a few seconds):
#   /usr/bin/python3 tests/data/analysis/gen_trend_ref.py
# It writes trend_ref.json next to itself. NaN is written as null.
#
# The trend rule and the grade are re-implemented here from their description in
# docs/statistics.md ("Trends", "Grades") on top of scipy/numpy primitives (theilslopes,
# kendalltau, median_abs_deviation, np.median), so the C code is checked against an independent
# implementation of the same documented rule. Every case records what the rule decided and why,
# and the script refuses cases that sit within 1e-6 of a decision boundary.
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PY = "%s (numpy %s, scipy %s)" % (sys.executable, np.__version__, scipy.__version__)
rng = np.random.default_rng(20261127)


def fl(v):
    return [float(a) for a in v]


def nn(v):
    """A float for JSON, None for NaN."""
    v = float(v)
    return None if math.isnan(v) else v


def gen(spec):
    """The values a {"gen": "saw", ...} spec describes: a + b * i + ((i * mul) % mod) / div for
    i = 0..n-1. Every term is a small dyadic rational, so C computes the same doubles."""
    i = np.arange(spec["n"], dtype=np.int64)
    r = ((i * spec["mul"]) % spec["mod"]).astype(float) / spec["div"]
    return spec["a"] + spec["b"] * i.astype(float) + r


def data(v):
    return gen(v) if isinstance(v, dict) else np.array(v, dtype=float)


# --- Theil-Sen -----------------------------------------------------------------------------

ts_cases = []


def ts_case(name, x, y):
    xs, ys = data(x), data(y)
    r = stats.theilslopes(ys, xs)  # scipy 1.10 default: method='separate'
    joint = float(np.median(ys - r.slope * xs))
    ts_cases.append({"name": name, "x": x if isinstance(x, dict) else fl(xs),
                     "y": y if isinstance(y, dict) else fl(ys), "slope": float(r.slope),
                     "intercept": float(r.intercept), "intercept_joint": joint})


ts_case("two_points", [1.0, 3.0], [2.0, 7.0])
ts_case("two_points_reversed_x", [3.0, 1.0], [7.0, 2.0])
ts_case("three_points", [0.0, 1.0, 2.0], [1.0, 5.0, 4.0])
ts_case("exact_line", fl(np.arange(10.0)), fl(2.5 - 0.75 * np.arange(10.0)))
ts_case("ties_in_x", [1.0, 1.0, 2.0, 2.0, 3.0, 5.0], [1.0, 2.0, 2.5, 0.5, 4.0, 6.0])
ts_case("ties_in_y", [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3.0, 3.0, 3.0, 4.0, 3.0, 3.0, 5.0])
ts_case("unsorted_x", [4.0, -2.0, 7.5, 0.25, 3.0, 10.0, 1.0],
        [2.0, -1.0, 6.0, 0.0, 2.5, 9.0, 0.5])
ts_case("outliers", fl(np.arange(12.0)),
        fl(np.arange(12.0) * 0.5 + np.array([0, 0, 0, 50, 0, 0, 0, 0, -40, 0, 0, 0.0])))
ts_case("random_20", fl(np.round(rng.uniform(0, 10, 20), 6)),
        fl(np.round(rng.normal(0, 1, 20), 6)))
x = np.arange(50.0)
ts_case("noisy_trend_50", fl(x), fl(np.round(100 + 0.3 * x + rng.normal(0, 2, 50), 6)))
ts_case("even_pairs_5", [0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 6.0, 5.0])  # 10 slopes
ts_case("odd_pairs_6_tie", [0.0, 1.0, 1.0, 2.0, 3.0, 4.0],
        [1.0, 3.0, 2.0, 6.0, 5.0, 4.0])  # 14 slopes
ts_case("negative_values", fl(np.arange(8.0)), [-5.0, -7.0, -6.5, -9.0, -8.0, -11.0, -10.5, -12])
ts_case("saw_1000", {"gen": "saw", "n": 1000, "a": 0.0, "b": 1.0, "mul": 1, "mod": 1, "div": 1},
        {"gen": "saw", "n": 1000, "a": 3.0, "b": 0.25, "mul": 7919, "mod": 1009, "div": 64})
ts_case("saw_2048", {"gen": "saw", "n": 2048, "a": 0.0, "b": 1.0, "mul": 1, "mod": 1, "div": 1},
        {"gen": "saw", "n": 2048, "a": 1000.0, "b": -0.5, "mul": 104729, "mod": 4099,
         "div": 16})


# --- trends --------------------------------------------------------------------------------

MIN_POINTS = 5        # fewer points: stable, strength 0
MAX_POINTS = 500      # only the last 500 points of the segment are analysed
VOLATILE_PCT = 10.0   # volatile above this noise (% of the median)
VOLATILE_FULL = 20.0  # volatile strength grows from 0 at 10% to 1 at 10 + 20 = 30%
MIN_DRIFT_PCT = 1.0   # a trend must move the fitted line at least 1% of the median
ALPHA = 0.05          # and Kendall's two-sided p-value must be <= 0.05
MAD_SIGMA = 1.4826    # MAD -> sigma (normal)
MEAN_AD_SIGMA = math.sqrt(math.pi / 2)  # mean absolute deviation -> sigma (normal)


def trend_rule(y_all, frm, higher_is_better):
    """The documented rule (docs/statistics.md, Trends); returns the fields qb_trend reports
    plus the intermediate values (reason, drift, wild)."""
    n = len(y_all)
    start = max(frm, n - MAX_POINTS)
    y = np.array(y_all[start:], dtype=float)
    m = len(y)
    out = {"out_from": start, "out_n": m, "direction": "stable", "strength": 0.0, "slope_pct": None,
           "noise_pct": None, "tau": None, "p": None}
    if m < MIN_POINTS:
        out["reason"] = "too few points"
        return out
    level = abs(float(np.median(y)))
    if level == 0:
        out["reason"] = "median is zero"
        return out
    x = np.arange(m, dtype=float)
    b = float(stats.theilslopes(y, x).slope)
    slope_pct = 100.0 * b / level
    drift = slope_pct * (m - 1)
    r = y - b * x
    noise = 100.0 * MAD_SIGMA * float(stats.median_abs_deviation(r, scale=1.0)) / level
    wild = 100.0 * MEAN_AD_SIGMA * float(np.mean(np.abs(r - np.median(r)))) / level
    k = stats.kendalltau(x, y)  # tau-b, method 'auto', two-sided
    tau, p = float(k.statistic), float(k.pvalue)
    tau_r, p_r = (0.0, 1.0) if math.isnan(tau) else (tau, p)
    vol = max(noise, wild)
    out.update(slope_pct=slope_pct, noise_pct=noise, tau=nn(tau), p=nn(p), drift_pct=drift,
               wild_pct=wild)
    for v, edge, what in [(vol, VOLATILE_PCT, "noise"), (abs(drift), MIN_DRIFT_PCT, "drift"),
                          (p_r, ALPHA, "p")]:
        assert abs(v - edge) > 1e-6, ("too close to the %s boundary" % what, v)
    if vol > VOLATILE_PCT:
        out.update(direction="volatile", strength=min(1.0, (vol - VOLATILE_PCT) / VOLATILE_FULL),
                   reason="noise %.3g%% > %g%%" % (vol, VOLATILE_PCT))
    elif p_r <= ALPHA and abs(drift) >= MIN_DRIFT_PCT:
        up = b > 0
        out.update(direction="improving" if up == bool(higher_is_better) else "degrading",
                   strength=abs(tau_r),
                   reason="p %.3g <= %g and |drift| %.3g%% >= %g%%" % (p_r, ALPHA, abs(drift),
                                                                      MIN_DRIFT_PCT))
    else:
        out.update(direction="stable", strength=1.0 - abs(tau_r),
                   reason="p %.3g, |drift| %.3g%%" % (p_r, abs(drift)))
    return out


trend_cases = []


def trend_case(name, y, frm, hib, expect):
    ys = data(y)
    res = trend_rule(ys, frm, hib)
    assert res["direction"] == expect, (name, res)
    c = {"name": name, "y": y if isinstance(y, dict) else fl(ys), "from": frm,
         "higher_is_better": hib}
    c.update(res)
    trend_cases.append(c)


def r6(v):
    return np.round(v, 6)


i30 = np.arange(30.0)
trend_case("flat_noise_1pct", fl(r6(100 + rng.normal(0, 1.0, 30))), 0, 0, "stable")
trend_case("flat_noise_3pct_60", fl(r6(50 + rng.normal(0, 1.5, 60))), 0, 0, "stable")
trend_case("latency_up_0.5pct", fl(r6(100 * (1 + 0.005 * i30) + rng.normal(0, 0.5, 30))), 0, 0,
           "degrading")
trend_case("latency_down_0.5pct", fl(r6(100 * (1 - 0.005 * i30) + rng.normal(0, 0.5, 30))), 0,
           0, "improving")
trend_case("throughput_up_0.5pct", fl(r6(2000 * (1 + 0.005 * i30) + rng.normal(0, 10, 30))), 0,
           1, "improving")
trend_case("throughput_down_0.5pct", fl(r6(2000 * (1 - 0.005 * i30) + rng.normal(0, 10, 30))),
           0, 1, "degrading")
trend_case("heavy_noise_20pct", fl(r6(100 + rng.normal(0, 20, 40))), 0, 0, "volatile")
trend_case("heavy_noise_12pct_trend", fl(r6(100 * (1 + 0.004 * np.arange(40.0)) +
                                              rng.normal(0, 12, 40))), 0, 0, "volatile")
bim = 100 + rng.normal(0, 0.5, 40)
bim[rng.permutation(40)[:12]] *= 1.6  # 30% of the runs 60% slower: small MAD, wild mean dev.
trend_case("bimodal_30pct_slow", fl(r6(bim)), 0, 0, "volatile")
i40 = np.arange(40.0)
trend_case("tiny_significant_drift", fl(r6(100 * (1 + 0.0002 * i40) + rng.normal(0, 0.02, 40))),
           0, 0, "stable")
trend_case("drift_not_significant", [100.4, 98.1, 103.0, 99.2, 101.8, 97.9, 102.6, 100.9], 0, 0,
           "stable")
trend_case("four_points", [1.0, 2.0, 3.0, 4.0], 0, 0, "stable")
trend_case("five_points_monotone", [10.0, 10.5, 11.0, 11.6, 12.1], 0, 0, "degrading")
trend_case("five_points_of_nine", [5.0, 9.0, 1.0, 7.0, 10.0, 10.5, 11.0, 11.6, 12.1], 4, 1,
           "improving")
seg = np.concatenate([100 + rng.normal(0, 0.5, 40),
                      120 * (1 + 0.004 * np.arange(30.0)) + rng.normal(0, 0.5, 30)])
trend_case("after_change_point", fl(r6(seg)), 40, 0, "degrading")
trend_case("exact_line_40", fl(200.0 - 0.5 * i40), 0, 0, "improving")
trend_case("all_equal", [7.0] * 12, 0, 0, "stable")
trend_case("integer_ties_50", fl(np.round(100 + 0.1 * np.arange(50.0) + rng.normal(0, 1, 50))),
           0, 0, "degrading")
trend_case("integer_ties_flat", fl(np.round(100 + rng.normal(0, 1, 30))), 0, 0, "stable")
trend_case("exact_33", fl(r6(100 * (1 + 0.002 * np.arange(33.0)) + rng.normal(0, 0.5, 33))), 0,
           0, "degrading")
trend_case("asymptotic_34", fl(r6(100 * (1 + 0.002 * np.arange(34.0)) + rng.normal(0, 0.5, 34))),
           0, 0, "degrading")
trend_case("negative_level", fl(r6(-50 * (1 + 0.01 * i30) + rng.normal(0, 0.2, 30))), 0, 1,
           "degrading")
long = np.concatenate([100 * (1 + 0.01 * np.arange(300.0)), 400 + rng.normal(0, 2, 500)])
trend_case("long_capped_800", fl(r6(long)), 0, 0, "stable")
trend_case("saw_600", {"gen": "saw", "n": 600, "a": 1000.0, "b": 0.125, "mul": 7919,
                       "mod": 1009, "div": 16}, 50, 0, "degrading")


# --- scaling -------------------------------------------------------------------------------

MODELS = ["O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)"]


def model_f(n):
    return [np.ones_like(n), np.log2(n), n, n * np.log2(n), n ** 2, n ** 3]


def fit(n, t):
    """t = a f(n) by least squares through the origin (np.linalg.lstsq); RMS / mean(t)."""
    coef, rms = [], []
    for f in model_f(n):
        a = float(np.linalg.lstsq(f[:, None], t, rcond=None)[0][0])
        coef.append(a)
        rms.append(float(np.sqrt(np.mean((t - a * f) ** 2)) / np.mean(t)))
    lo = min(rms)
    best = next(j for j, r in enumerate(rms) if r <= lo * (1 + 1e-9) + 1e-12)
    return coef, rms, best


sc_cases = []


def sc_case(name, n, t, expect=None, source=None):
    n, t = np.array(n, dtype=float), np.array(t, dtype=float)
    coef, rms, best = fit(n, t)
    if expect is not None:
        assert MODELS[best] == expect, (name, MODELS[best], rms)
    c = {"name": name, "n": fl(n), "t": fl(t), "coef": coef, "rms": rms, "best": MODELS[best]}
    if source:
        c["source"] = source
    sc_cases.append(c)


ns = np.array([10.0, 100, 1000, 10000, 100000])
sc_case("exact_3_nlogn", ns, 3 * ns * np.log2(ns), "O(n log n)")
sc_case("exact_constant", ns, [5.0] * 5, "O(1)")
sc_case("exact_log", ns, 7 * np.log2(ns), "O(log n)")
sc_case("exact_linear", ns, 0.5 * ns, "O(n)")
sc_case("exact_quadratic", [8.0, 16, 32, 64], 2 * np.array([8.0, 16, 32, 64]) ** 2, "O(n^2)")
sc_case("exact_cubic", [8.0, 16, 32, 64], 1e-3 * np.array([8.0, 16, 32, 64]) ** 3, "O(n^3)")
sc_case("noisy_linear", [100.0, 200, 400, 800, 1600, 3200],
        40 * np.array([100.0, 200, 400, 800, 1600, 3200]) * (1 + rng.normal(0, 0.03, 6)), "O(n)")
sc_case("noisy_quadratic", [10.0, 20, 30, 40, 50, 60, 70],
        np.array([10.0, 20, 30, 40, 50, 60, 70]) ** 2 * (1 + rng.normal(0, 0.05, 7)), "O(n^2)")
sc_case("two_points", [1000.0, 2000.0], [1.0e4, 2.1e4])
sc_case("all_n_equal_tie", [64.0, 64.0, 64.0], [10.0, 11.0, 12.0], "O(1)")
sc_case("n_one_log_zero", [1.0, 1.0], [3.0, 5.0], "O(1)")
crit = []
for size in (100, 1000, 10000):
    path = os.path.join(ROOT, "tests", "data", "criterion", "run1", "target", "criterion", "sort",
                        str(size), "new", "estimates.json")
    with open(path) as f:
        crit.append(json.load(f)["slope"]["point_estimate"])
sc_case("criterion_sort", [100.0, 1000.0, 10000.0], crit, "O(n log n)",
        "tests/data/criterion/run1/target/criterion/sort/{100,1000,10000}/new/estimates.json, "
        "slope.point_estimate (ns per iteration)")


# --- grades --------------------------------------------------------------------------------

SEV_W = [0.0, 2.0, 5.0, 15.0, 30.0]  # minor, moderate, major, critical (index 1..4)
W = {"regressions": 40.0, "targets": 25.0, "stability": 15.0, "coverage": 20.0}


def grade(g):
    """The documented grade (docs/statistics.md, Grades)."""
    comp = {}
    if g["compared"] > 0:
        pen = math.sqrt(100.0 / g["compared"]) * sum(w * r for w, r in zip(SEV_W,
                                                                              g["regressions"]))
        s = 100.0 - pen
        if g["regressions"][4] > 0:
            s = min(s, 50.0)
        elif g["regressions"][3] > 0:
            s = min(s, 75.0)
        comp["regressions"] = max(0.0, s)
    if g["targets"] > 0:
        comp["targets"] = 100.0 * min(g["targets_met"], g["targets"]) / g["targets"]
    if g["noise_pct"] is not None:
        z = g["noise_pct"]
        comp["stability"] = 100.0 if z <= 1 else 0.0 if z >= 10 else 100.0 * (10 - z) / 9
    if g["baseline_benchmarks"] > 0:
        share = min(g["compared"], g["baseline_benchmarks"]) / g["baseline_benchmarks"]
        comp["coverage"] = max(0.0, 100.0 - 200.0 * (1.0 - share))
    if comp:
        score = sum(W[k] * v for k, v in comp.items()) / sum(W[k] for k in comp)
        letter = ("A+" if score >= 95 else "A" if score >= 85 else "B" if score >= 70 else
                  "C" if score >= 55 else "D")
    else:
        score, letter = None, "-"
    out = dict(g)
    out.update(score=score, letter=letter,
               **{k + "_score": comp.get(k) for k in W})
    return out


gr_cases = []


def gr_case(name, benchmarks, baseline, compared, regs, improvements, targets, met, noise):
    g = {"name": name, "benchmarks": benchmarks, "baseline_benchmarks": baseline,
         "compared": compared, "regressions": [0] + regs, "improvements": improvements,
         "targets": targets, "targets_met": met, "noise_pct": noise}
    gr_cases.append(grade(g))


gr_case("worked_example", 41, 40, 38, [2, 1, 0, 0], 3, 5, 4, 2.5)
gr_case("perfect", 120, 120, 120, [0, 0, 0, 0], 7, 3, 3, 0.4)
gr_case("one_critical_small_suite", 10, 10, 10, [0, 0, 0, 1], 0, 0, 0, 1.0)
gr_case("one_critical_large_suite", 1000, 1000, 1000, [0, 0, 0, 1], 0, 0, 0, 1.0)
gr_case("one_major_large_suite", 1000, 1000, 1000, [0, 0, 1, 0], 0, 0, 0, 1.0)
gr_case("many_minor", 200, 200, 200, [30, 0, 0, 0], 0, 10, 9, 4.0)
gr_case("dropped_half", 50, 100, 50, [0, 0, 0, 0], 0, 0, 0, 2.0)
gr_case("no_baseline", 30, 0, 0, [0, 0, 0, 0], 0, 4, 1, 6.0)
gr_case("noise_unknown_no_targets", 12, 12, 12, [1, 0, 0, 0], 0, 0, 0, None)
gr_case("nothing_known", 5, 0, 0, [0, 0, 0, 0], 0, 0, 0, None)


# --- write ---------------------------------------------------------------------------------

ref = {
    "provenance": "made by tests/data/analysis/gen_trend_ref.py with %s. null stands for NaN. "
    "theil_sen: scipy.stats.theilslopes(y, x) (slope; intercept with scipy 1.10's default "
    "method='separate', median(y) - slope * median(x)); intercept_joint = np.median(y - slope * "
    "x) for the record. trend: the rule of docs/statistics.md (Trends) re-implemented in Python: "
    "x = 0..m-1 over the last min(n - from, 500) points; slope = theilslopes(y, x).slope; "
    "slope_pct = 100 slope / |np.median(y)|; noise_pct = 100 * 1.4826 * "
    "median_abs_deviation(y - slope x, scale=1.0) / |median|; wild_pct = 100 * sqrt(pi/2) * "
    "mean(|r - median(r)|) / |median|; tau, p = scipy.stats.kendalltau(x, y) (tau-b, method "
    "'auto': exact without ties for m <= 33, else normal with the tie-corrected variance). "
    "Series are seeded numpy draws (default_rng(20261127)) rounded to 1e-6, or a 'saw' spec "
    "a + b i + ((i * mul) %% mod) / div that the C test recomputes bit for bit. scaling: "
    "t = a f(n) through the origin by np.linalg.lstsq for f = 1, log2 n, n, n log2 n, n^2, "
    "n^3; rms = sqrt(mean((t - a f)^2)) / mean(t); best = the first (simplest) model with "
    "rms <= min * (1 + 1e-9) + 1e-12. grade: the formula of docs/statistics.md (Grades) "
    "re-implemented in Python." % PY,
    "theil_sen": ts_cases,
    "trend": trend_cases,
    "scaling": sc_cases,
    "grade": gr_cases,
}
with open(os.path.join(HERE, "trend_ref.json"), "w") as f:
    json.dump(ref, f, indent=1, allow_nan=False)
    f.write("\n")
print("wrote trend_ref.json: %d theil-sen, %d trend, %d scaling, %d grade cases" %
      (len(ts_cases), len(trend_cases), len(sc_cases), len(gr_cases)))
for c in trend_cases:
    print("  %-26s %-9s strength %.3f  %s" % (c["name"], c["direction"], c["strength"],
                                             c["reason"]))
for c in sc_cases:
    print("  %-22s %-10s rms %s" % (c["name"], c["best"], " ".join("%.3g" % r for r in c["rms"])))
for c in gr_cases:
    print("  %-26s %s %s" % (c["name"], c["score"], c["letter"]))

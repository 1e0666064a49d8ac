#!/usr/bin/python3
# tests/data/analysis/gen_scaling_ref.py - reference values for the weighted scaling fit
# (analysis/trend.c qb_scaling_weighted; docs/statistics.md, Scaling), checked by
# tests/analysis/test_scaling.c.
#
# Regenerate (Debian's python, numpy 1.24 and scipy 1.10; about a second):
#   /usr/bin/python3 tests/data/analysis/gen_scaling_ref.py
# It writes scaling_ref.json next to itself. NaN is written as null.
#
# Each model ln t = ln a + ln f(n) is fitted with scipy.optimize.curve_fit(sigma=sigma,
# absolute_sigma=True) and again with numpy's lstsq on the sigma-weighted system; the two must
# agree to 1e-7 (lstsq's value is kept: curve_fit stops at its tolerance). The rest (the scatter factor, AIC, deltas, Akaike weights, the decision) is
# re-implemented here from its description in docs/statistics.md. The script refuses a case whose
# runner-up delta sits within 0.05 of the threshold 2. The unweighted least-squares fit (the
# earlier rule, qb_scaling) is recomputed too, to record what it picked.
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import optimize, stats

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PY = "%s (numpy %s, scipy %s)" % (sys.executable, np.__version__, scipy.__version__)
rng = np.random.default_rng(20261207)

MODELS = ["O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)"]
MIN_REL = 1e-3      # QB_SCALING_MIN_REL_SE
DELTA = 2.0         # QB_SCALING_DELTA_AIC
MAD_TO_SIGMA = 1.4826
SQRT_HALF_PI = math.sqrt(math.pi / 2)


def model_f(n):
    return [np.ones_like(n), np.log2(n), n, n * np.log2(n), n ** 2, n ** 3]


def nn(v):
    v = float(v)
    return None if math.isnan(v) else v


def sigmas(t, se):
    """Relative noise per point: max(se/t, 0.1%); unknown (NaN) -> the median of the known."""
    rel = np.array([np.nan if math.isnan(s) else max(s / x, MIN_REL) for s, x in zip(se, t)])
    known = rel[~np.isnan(rel)]
    fill = float(np.median(known)) if len(known) else MIN_REL
    return np.where(np.isnan(rel), fill, rel), len(known)


def weighted(n, t, se):
    sg, n_noise = sigmas(t, se)
    k = len(n)
    y = np.log(t)
    res = {"coef": [], "rms": [], "chi2": [], "scale": [], "aic": []}
    for f in model_f(n):
        if np.any(f <= 0):
            for key in res:
                res[key].append(float("nan"))
            continue
        lf = np.log(f)
        popt, _ = optimize.curve_fit(lambda x, la: la + lf, n, y, p0=[float(np.mean(y - lf))],
                                     sigma=sg, absolute_sigma=True, xtol=1e-15, ftol=1e-15,
                                     gtol=1e-15)
        la = float(popt[0])
        # the same fit as a weighted linear least-squares problem
        la2 = float(np.linalg.lstsq((1 / sg)[:, None], (y - lf) / sg, rcond=None)[0][0])
        assert abs(la - la2) <= 1e-7 * max(1.0, abs(la)), (la, la2)
        la = la2  # lstsq is exact; curve_fit stops at its tolerance
        r = y - lf - la
        chi2 = float(np.sum((r / sg) ** 2))
        s2 = max(1.0, chi2 / k)
        res["coef"].append(math.exp(la))
        res["rms"].append(float(np.sqrt(np.mean(r ** 2))))
        res["chi2"].append(chi2)
        res["scale"].append(s2)
        res["aic"].append(chi2 / s2 + k * math.log(s2) + 2)
    aic = np.array(res["aic"])
    lo = np.nanmin(aic)
    tie = abs(lo) * 1e-9 + 1e-12
    best = next(j for j in range(6) if not math.isnan(aic[j]) and aic[j] <= lo + tie)
    others = [j for j in range(6) if j != best and not math.isnan(aic[j])]
    lo2 = min(aic[j] for j in others)
    second = next(j for j in others if aic[j] <= lo2 + tie)
    delta = [float("nan") if math.isnan(a) else (0.0 if j == best else a - aic[best])
             for j, a in enumerate(aic)]
    w = np.array([0.0 if math.isnan(d) else math.exp(-d / 2) for d in delta])
    w /= w.sum()
    close = [MODELS[j] for j in range(6) if j != best and delta[j] < DELTA]
    p = float(stats.chi2.sf(res["chi2"][best], k - 1)) if n_noise else float("nan")
    return dict(res, delta=delta, weight=[float(x) for x in w], best=MODELS[best],
                second=MODELS[second], distinguishable=bool(delta[second] >= DELTA),
                close=close, n_noise=n_noise, p=p)


def unweighted(n, t):
    rms = []
    for f in model_f(n):
        a = float(np.linalg.lstsq(f[:, None], t, rcond=None)[0][0])
        rms.append(float(np.sqrt(np.mean((t - a * f) ** 2)) / np.mean(t)))
    lo = min(rms)
    return MODELS[next(j for j, r in enumerate(rms) if r <= lo * (1 + 1e-9) + 1e-12)]


cases = []


def case(name, n, t, se, expect=None, distinguishable=None, unweighted_expect=None, source=None):
    n, t = np.array(n, dtype=float), np.array(t, dtype=float)
    se = np.array([float("nan") if s is None else s for s in se], dtype=float)
    w = weighted(n, t, se)
    d2 = w["delta"][MODELS.index(w["second"])]
    assert abs(d2 - DELTA) > 0.05, (name, "runner-up delta at the threshold", d2)
    if expect is not None:
        assert w["best"] == expect, (name, w["best"], w["delta"])
    if distinguishable is not None:
        assert w["distinguishable"] == distinguishable, (name, w["delta"])
    uw = unweighted(n, t)
    if unweighted_expect is not None:
        assert uw == unweighted_expect, (name, uw)
    c = {"name": name, "n": [float(x) for x in n], "t": [float(x) for x in t],
         "se": [nn(x) for x in se]}
    for key in ("coef", "rms", "chi2", "scale", "aic", "delta", "weight"):
        c[key] = [nn(x) for x in w[key]]
    c.update(best=w["best"], second=w["second"], distinguishable=w["distinguishable"],
             close=w["close"], n_noise=w["n_noise"], p=nn(w["p"]), unweighted_best=uw)
    if source:
        c["source"] = source
    cases.append(c)


def qsort_family(path):
    """(n, median, se) per size from a qbdb runner file: se = sqrt(pi/2) 1.4826 MAD / sqrt(m)."""
    out = []
    with open(path) as fh:
        for line in fh:
            o = json.loads(line)
            if "name" not in o or o.get("metric", "latency") != "latency":
                continue
            x = np.array(o["samples"], dtype=float)
            mad = float(stats.median_abs_deviation(x, scale=1.0))
            out.append((o["params"]["n"], float(np.median(x)),
                        SQRT_HALF_PI * MAD_TO_SIGMA * mad / math.sqrt(len(x))))
    out.sort()
    return [list(v) for v in zip(*out)]


ns = np.array([100.0, 1000, 10000, 100000])
# exact data: every model recovered, the runner-up far behind
case("exact_nlogn", ns, 3 * ns * np.log2(ns), [0.003 * v for v in 3 * ns * np.log2(ns)],
     "O(n log n)", True)
case("exact_linear_no_noise_given", ns, 0.5 * ns, [None] * 4, "O(n)", True)
case("exact_quadratic", [8.0, 16, 32, 64], 2 * np.array([8.0, 16, 32, 64]) ** 2, [0.5] * 4,
     "O(n^2)", True)
case("exact_constant", ns, [5.0] * 4, [0.05] * 4, "O(1)", True)
# n log n with 2% noise, the largest point 2.2 times too slow and known to be noisy (30%): the
# unweighted fit follows the largest point to O(n^2)
t = 4 * ns * np.log2(ns) * (1 + np.array([0.012, -0.02, 0.015, 0.0]))
t[3] *= 2.2
case("noisy_nlogn_outlier_largest", ns, t, [0.02 * t[0], 0.02 * t[1], 0.02 * t[2], 0.3 * t[3]],
     "O(n log n)", True, "O(n^2)")
# n log n over two octaves with 10% noise: n and n log n are not distinguishable
n3 = np.array([1000.0, 2000, 4000])
t3 = 2 * n3 * np.log2(n3) * (1 + rng.normal(0, 0.1, 3))
case("close_n_vs_nlogn", n3, t3, 0.1 * t3, None, False)
# the same sizes and model with 0.2% noise: now they are
t4 = 2 * n3 * np.log2(n3) * (1 + rng.normal(0, 0.002, 3))
case("separated_n_vs_nlogn", n3, t4, 0.002 * t4, "O(n log n)", True)
# noise known for some sizes only: the others take the median of the known ones
t5 = 7 * ns * (1 + rng.normal(0, 0.01, 4))
case("partial_noise", ns, t5, [0.01 * t5[0], None, 0.04 * t5[2], None], "O(n)", True)
# a zero spread is floored at 0.1%
case("zero_spread_floored", [10.0, 20, 40], [10.0, 21.0, 39.0], [0.0, 0.0, 0.0], None)
# n = 1: log n and n log n do not apply
case("n_one", [1.0, 2, 4, 8], [1.0, 2.1, 3.9, 8.2], [0.05, 0.1, 0.2, 0.4], "O(n)")
# all n equal: every model is the same fit, the simplest wins, none is distinguishable
case("all_n_equal", [64.0, 64, 64], [10.0, 11, 12], [0.5, 0.5, 0.5], "O(1)", False)
case("two_points", [1000.0, 2000], [1.0e4, 2.1e4], [100.0, 210.0])
# real runs (tests/data/scaling/README.md)
for fname, expect, uw in (("qsort_quiet.jsonl", "O(n log n)", "O(n log n)"),
                          ("qsort_noisy.jsonl", "O(n log n)", "O(n^2)")):
    path = os.path.join(ROOT, "tests", "data", "scaling", fname)
    qn, qt, qse = qsort_family(path)
    case("qsort_" + fname.split("_")[1].split(".")[0], qn, qt, qse, expect, True, uw,
         "tests/data/scaling/%s: median of the latency samples per n, se = sqrt(pi/2) * 1.4826 * "
         "MAD / sqrt(samples)" % fname)

out = {"generated_by": "tests/data/analysis/gen_scaling_ref.py", "python": PY,
       "scaling_weighted": cases}
with open(os.path.join(HERE, "scaling_ref.json"), "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
for c in cases:
    print("%-28s best %-10s second %-10s delta2 %8.3f dist %d unweighted %s" % (
        c["name"], c["best"], c["second"], c["delta"][MODELS.index(c["second"])],
        c["distinguishable"], c["unweighted_best"]))

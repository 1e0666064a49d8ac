#!/usr/bin/python3
# Reference values for analysis/sprt.c (tests/analysis/test_sprt.c): the log likelihood ratio of
# Wald's SPRT of a normal mean (qb_sprt_llr), Wald's bounds (qb_sprt_bounds), the verdicts of the
# test run one observation at a time (qb_sprt_verdict_of) and the fixed sample size that reaches
# the same error rate (qb_fixed_n).
#
# Regenerate (Debian's python, which has numpy 1.24 and scipy 1.10; about a second):
#   /usr/bin/python3 tests/data/analysis/gen_sprt_ref.py
# It writes sprt_ref.json next to itself.
#
# What computes what (each independent of the formula analysis/sprt.c uses):
# - llr: sum(scipy.stats.norm.logpdf(x, mu1, sd) - scipy.stats.norm.logpdf(x, mu0, sd)) over the
#   observations (x drawn by numpy's default_rng, seeded below, and stored). Each value is checked
#   here against the exact value of the same doubles (fractions.Fraction: (mu1 - mu0) / sd^2 *
#   sum(x - (mu0 + mu1) / 2), no rounding) to 1e-13 relative, so the reference is good to much
#   better than the test's 1e-12.
# - prefix llr and verdicts: the llr of x[0..k) for every k = 1..n the same way, and the verdict
#   after each with Wald's bounds: "h0" at llr <= lower, "h1" at llr >= upper, else "more"; the
#   script refuses a case whose prefix llr is within 1e-9 (relative) of a bound.
# - bounds: lower = log(beta / (1 - alpha)), upper = log((1 - beta) / alpha), written here with
#   math.log1p and math.log of the ratio terms separately (log(beta) - log1p(-alpha), log1p(-beta)
#   - log(alpha)).
# - fixed_n: the least n >= 1 with sqrt(n) * (sep / 2) / sd >= scipy.stats.norm.isf(alpha), by a
#   loop over n = 1, 2, ... (not the closed form); the script refuses a case within 1e-9 of the
#   boundary, except the case marked "at_boundary" where sep = 2 isf(alpha) sd / sqrt(n) exactly
#   in real numbers (sd = 1, n = 4: sep = isf(alpha)), whose answer is that n.
import datetime
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = "tests/data/analysis/gen_sprt_ref.py"
PY = "%s (numpy %s, scipy %s)" % (sys.executable, np.__version__, scipy.__version__)
SEED = 20261208
rng = np.random.default_rng(SEED)


def llr_scipy(x, mu0, mu1, sd):
    """The log likelihood ratio of x from scipy's normal log densities."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return 0.0
    return float(np.sum(stats.norm.logpdf(x, mu1, sd) - stats.norm.logpdf(x, mu0, sd)))


def llr_exact(x, mu0, mu1, sd):
    """The same, exactly, in rational numbers of the given doubles."""
    f0, f1, fs = Fraction(mu0), Fraction(mu1), Fraction(sd)
    mid = (f0 + f1) / 2
    return (f1 - f0) / (fs * fs) * sum((Fraction(float(v)) - mid for v in x), Fraction(0))


def bounds(alpha, beta):
    return math.log(beta) - math.log1p(-alpha), math.log1p(-beta) - math.log(alpha)


def verdict(llr, lo, hi):
    return "h0" if llr <= lo else "h1" if llr >= hi else "more"


def llr_case(name, n, mu0, mu1, sd, draw_mean, alpha, beta):
    x = [float(v) for v in rng.normal(draw_mean, sd, n)]
    lo, hi = bounds(alpha, beta)
    prefix, verdicts = [], []
    for k in range(1, n + 1):
        v = llr_scipy(x[:k], mu0, mu1, sd)
        exact = float(llr_exact(x[:k], mu0, mu1, sd))
        assert abs(v - exact) <= 1e-13 * abs(exact), (name, k, v, exact)
        for b in (lo, hi):
            assert abs(v - b) > 1e-9 * abs(b), (name, k, "within 1e-9 of a bound", v, b)
        prefix.append(v)
        verdicts.append(verdict(v, lo, hi))
    stop = next((k + 1 for k, v in enumerate(verdicts) if v != "more"), None)
    return {"name": name, "n": n, "mu0": mu0, "mu1": mu1, "sd": sd, "draw_mean": draw_mean,
            "alpha": alpha, "beta": beta, "x": x, "llr": prefix[-1], "prefix_llr": prefix,
            "verdicts": verdicts, "stop": stop,
            "stop_verdict": verdicts[stop - 1] if stop else "more"}


def fixed_n_loop(sep, sd, alpha):
    z = float(stats.norm.isf(alpha))
    n = 1
    while math.sqrt(n) * (sep / 2) / sd < z:
        n += 1
    return n, z


def fixed_case(sep, sd, alpha, at_boundary=False):
    n, z = fixed_n_loop(sep, sd, alpha)
    if not at_boundary:
        for k in (n - 1, n):
            if k >= 1:
                lhs = math.sqrt(k) * (sep / 2) / sd
                assert abs(lhs - z) > 1e-9 * z, (sep, sd, alpha, k, "within 1e-9 of the boundary")
    return {"sep": sep, "sd": sd, "alpha": alpha, "z": z, "n": n, "at_boundary": at_boundary}


LN2000, LN2200 = math.log(2000.0), math.log(2200.0)
llr_cases = [
    # name, n, mu0, mu1, sd, the mean the draws come from, alpha, beta
    llr_case("one", 1, 0.0, 1.0, 1.0, 1.0, 0.05, 0.05),
    llr_case("log-like-bad", 6, LN2000, LN2200, 0.03, LN2200, 0.005, 0.005),
    llr_case("log-like-good", 6, LN2000, LN2200, 0.03, LN2000, 0.005, 0.005),
    llr_case("mu0-above", 20, 7.7, 7.6, 0.05, 7.6, 0.01, 0.01),
    llr_case("mu0-above-from-h0", 12, 7.7, 7.6, 0.05, 7.7, 0.01, 0.05),
    llr_case("between", 40, 0.0, 0.1, 0.2, 0.04, 0.0055, 0.0055),
    llr_case("tiny-sd", 8, 0.0, 2.5e-6, 1e-6, 0.0, 0.01, 0.01),
    llr_case("tiny-sd-down", 8, 3e-9, -1e-9, 1.5e-9, -1e-9, 0.02, 0.1),
    llr_case("large-sd", 50, 1.0e4, 1.2e4, 1.0e3, 1.2e4, 0.05, 0.2),
    llr_case("large-sd-down", 30, -2.0e6, -5.0e6, 4.0e6, -5.0e6, 0.001, 0.001),
    llr_case("long-small-shift", 200, 1.0, 1.02, 0.1, 1.02, 0.005, 0.005),
    llr_case("equal-means", 5, 3.0, 3.0, 0.5, 3.0, 0.05, 0.05),
]
bounds_cases = []
for alpha, beta in ((0.05, 0.05), (0.005555555555555556, 0.005555555555555556), (0.01, 0.2),
                    (0.2, 0.01), (0.001, 0.1), (1e-6, 1e-6), (0.49, 0.49)):
    lo, hi = bounds(alpha, beta)
    assert abs(lo - math.log(beta / (1 - alpha))) <= 1e-14 * abs(lo)
    assert abs(hi - math.log((1 - beta) / alpha)) <= 1e-14 * abs(hi)
    bounds_cases.append({"alpha": alpha, "beta": beta, "lower": lo, "upper": hi})
fixed_cases = [
    fixed_case(1.0, 1.0, 0.05),
    fixed_case(math.log(2180.0 / 2005.0), 0.0325, 0.05 / 9),
    fixed_case(0.1, 0.03, 0.05 / 9),
    fixed_case(0.01, 0.03, 0.001),
    fixed_case(0.001, 0.05, 0.01),
    fixed_case(1.0, 0.01, 0.05),
    fixed_case(2e-9, 1e-9, 0.01),
    fixed_case(3.0e5, 1.0e6, 0.025),
    fixed_case(0.05, 0.03 * math.sqrt(2), 0.05 / 8),
    fixed_case(0.2, 0.03, 0.4999),
    # sqrt(4) * (sep / 2) / 1 = isf(alpha) exactly: the least n is 4
    fixed_case(float(stats.norm.isf(0.01)), 1.0, 0.01, at_boundary=True),
]
assert fixed_cases[-1]["n"] == 4

ref = {
    "provenance": "made by %s with %s on %s: llr = sum(scipy.stats.norm.logpdf(x, mu1, sd) - "
                  "scipy.stats.norm.logpdf(x, mu0, sd)) (checked against exact rational "
                  "arithmetic to 1e-13), bounds = log(beta) - log1p(-alpha), log1p(-beta) - "
                  "log(alpha), fixed n = the least n with sqrt(n) * (sep / 2) / sd >= "
                  "scipy.stats.norm.isf(alpha) by a loop; x drawn by "
                  "numpy.random.default_rng(%d).normal(draw_mean, sd, n), case after case"
                  % (SCRIPT, PY, datetime.date.today().isoformat(), SEED),
    "command": "/usr/bin/python3 " + SCRIPT,
    "llr": llr_cases,
    "bounds": bounds_cases,
    "fixed_n": fixed_cases,
}
with open(os.path.join(HERE, "sprt_ref.json"), "w") as f:
    json.dump(ref, f, indent=1, allow_nan=False)
    f.write("\n")
print("wrote %d llr cases, %d bounds, %d fixed n" % (len(llr_cases), len(bounds_cases),
                                                      len(fixed_cases)))

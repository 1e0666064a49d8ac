#!/usr/bin/python3
# Reference values for analysis/noise.c (tests/analysis/test_noise.c): the run-to-run noise
# estimate of a series of run centres (qb_noise_estimate), the p-value of a new run against it
# (qb_noise_p) and the band a new run stays within (qb_noise_band).
#
# Regenerate (Debian's python, which has numpy 1.24 and scipy 1.10; under a second):
#   /usr/bin/python3 tests/data/analysis/gen_noise_ref.py
# It writes noise_ref.json next to itself. NaN is written as null.
#
# The estimator is re-implemented here with numpy from its description in analysis/noise.h:
# d = the n - 1 differences of log x, m = median(d), s = 1.4826 * median |d - m|, each d - m
# clipped to [-2.5 s, 2.5 s], sigma = sqrt(sum (d - m)^2 / (k - 1) / 2) / 0.988716331135 with
# k = n - 1, df = max(1, DF_PER_DIFF (n - 2)) with DF_PER_DIFF = 0.7 as noise.h documents it
# (stored as df_per_diff: change it here when noise.c changes, and regenerate); series longer
# than 256 use their newest 256 values; n < 3 gives NaN. The bias constant 0.988716331135 =
# sqrt(E[min(Z^2, 2.5^2)]) for a standard normal Z is checked here against scipy twice
# (numerical integration and the closed form) and both values are stored. p and band use
# scipy.stats.t (sf, and isf polished with sf: see t_quantile), not the C code's GSL.
import datetime
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import integrate, stats

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = "tests/data/analysis/gen_noise_ref.py"
CLIP = 2.5
CLIP_BIAS = 0.988716331135  # the constant in analysis/noise.c
DF_PER_DIFF = 0.7  # t degrees of freedom per difference beyond the first (analysis/noise.h)
MAX_RUNS = 256
rng = np.random.default_rng(20261207)


def nn(v):
    """A float for JSON, None for NaN."""
    v = float(v)
    return None if math.isnan(v) else v


def fl(v):
    return [float(a) for a in v]


# --- the bias constant -----------------------------------------------------------------------

def clip_bias_quad():
    """sqrt(E[min(Z^2, c^2)]) by numerical integration of the normal density."""
    inner, _ = integrate.quad(lambda z: z * z * stats.norm.pdf(z), -CLIP, CLIP,
                              epsabs=1e-15, epsrel=1e-15)
    return math.sqrt(inner + CLIP * CLIP * 2.0 * stats.norm.sf(CLIP))


def clip_bias_closed():
    """The same in closed form: E[Z^2; |Z| < c] = 2 Phi(c) - 1 - 2 c phi(c)."""
    c = CLIP
    inner = (1.0 - 2.0 * stats.norm.sf(c)) - 2.0 * c * stats.norm.pdf(c)
    return math.sqrt(inner + c * c * 2.0 * stats.norm.sf(c))


BIAS_QUAD = clip_bias_quad()
BIAS_CLOSED = clip_bias_closed()
# the constant is written with 12 significant digits: it must agree to rounding
assert abs(BIAS_QUAD - BIAS_CLOSED) < 1e-14, (BIAS_QUAD, BIAS_CLOSED)
assert abs(BIAS_CLOSED - CLIP_BIAS) < 1e-12, (BIAS_CLOSED, CLIP_BIAS)


# --- the estimator -----------------------------------------------------------------------------

def estimate(x):
    """(runs, sigma, df) of qb_noise_estimate for x (oldest first), from its documented rule."""
    x = np.asarray(x, dtype=float)
    if len(x) > MAX_RUNS:
        x = x[-MAX_RUNS:]
    n = len(x)
    if n < 3:
        return n, math.nan, math.nan
    k = n - 1
    d = np.diff(np.log(x))
    m = np.median(d)
    s = 1.4826 * np.median(np.abs(d - m))
    e = np.clip(d - m, -CLIP * s, CLIP * s)
    sigma = math.sqrt(float(np.sum(e * e)) / (k - 1) / 2.0) / CLIP_BIAS
    df = max(1.0, DF_PER_DIFF * (k - 1))
    return n, sigma, df


def lognormal(n, level, sd):
    return level * np.exp(rng.normal(0.0, sd, n))


def series_cases():
    flat = lognormal(30, 1000.0, 0.01)
    outlier = lognormal(20, 5e-6, 0.02)
    outlier[11] *= 1.8  # one run 80% slow
    drift = lognormal(40, 250.0, 0.005) * (1.0 + 0.004 * np.arange(40))  # +0.4% per run
    long_series = lognormal(300, 3.0e9, 0.03)
    cases = [
        ("flat_1pct_30", flat, "30 runs, lognormal noise sd 1%"),
        ("single_outlier_20", outlier, "20 runs at 2% noise, run 11 made 80% slower"),
        ("linear_drift_40", drift, "40 runs at 0.5% noise drifting +0.4% per run"),
        ("constant_12", np.full(12, 4096.0), "12 identical values (e.g. B/op): sigma 0"),
        ("mostly_equal_9", [100.0, 100.0, 100.0, 101.0, 100.0, 100.0, 100.0, 100.0, 100.0],
         "quantised: most differences are 0, so the MAD is 0 and everything is clipped to 0"),
        ("three_points", [10.0, 10.5, 9.8], "the shortest series with an estimate: df = 1"),
        ("four_points", [10.0, 10.5, 9.8, 10.1], "df = max(1, 1.2)"),
        ("two_points", [10.0, 10.5], "too short: NaN"),
        ("one_point", [7.0], "too short: NaN"),
        ("even_diffs_6", [1.0, 1.1, 0.95, 1.05, 1.0, 0.9, 1.02], "even number of differences"),
        ("step_inside_16", list(lognormal(8, 50.0, 0.01)) + list(lognormal(8, 60.0, 0.01)),
         "a 20% step inside the series: one large difference, clipped"),
        ("long_300", long_series, "300 runs: only the newest 256 count"),
        ("tiny_and_huge", [1e-12, 1.1e-12, 0.9e-12, 1.05e-12, 0.97e-12],
         "tiny values (scale does not matter to log differences)"),
    ]
    out = []
    for name, x, what in cases:
        runs, sigma, df = estimate(x)
        out.append({"name": name, "what": what, "x": fl(x), "runs": runs, "sigma": nn(sigma),
                    "df": nn(df)})
    return out


# --- p and band --------------------------------------------------------------------------------

def noise_p(base, head, n_base, sigma, df):
    diff = math.log(head / base)
    if sigma == 0:
        return 1.0 if diff == 0 else 0.0
    t = abs(diff) / (sigma * math.sqrt(1.0 + 1.0 / max(n_base, 1.0)))
    return min(1.0, 2.0 * float(stats.t.sf(t, df)))


def t_quantile(q, df):
    """(t, raw): the t with scipy.stats.t.sf(t, df) = q. raw is scipy.stats.t.isf(q, df); scipy
    1.10's isf (cephes stdtrit) is off by up to ~3e-9 relative for a non-integer df (5.4:
    2.51435200896 against 2.51435201499; checked with mpmath at 40 digits), so it is polished
    by Newton steps on scipy.stats.t.sf and .pdf (accurate to ~1e-15) until the step is below
    1e-16 relative."""
    raw = float(stats.t.isf(q, df))
    t = raw
    for _ in range(20):
        step = (float(stats.t.sf(t, df)) - q) / float(stats.t.pdf(t, df))
        t += step
        if abs(step) <= 1e-16 * abs(t):
            break
    assert abs(float(stats.t.sf(t, df)) / q - 1.0) < 1e-14, (q, df, t)
    return t, raw


def noise_band(p, n_base, sigma, df):
    t, raw = t_quantile(p / 2.0, df)
    scale = sigma * math.sqrt(1.0 + 1.0 / max(n_base, 1.0))
    return math.expm1(t * scale) * 100.0, t, raw


def p_cases():
    grid = [
        # base, head, n_base, sigma, df
        (100.0, 104.0, 1, 0.02, 5.4),
        (100.0, 96.0, 1, 0.02, 5.4),
        (100.0, 110.0, 1, 0.02, 17.4),
        (100.0, 130.0, 1, 0.01, 17.4),
        (100.0, 101.0, 5, 0.01, 1.0),
        (100.0, 150.0, 5, 0.01, 1.0),
        (2.5e-6, 2.6e-6, 3, 0.015, 2.4),
        (7.0e9, 6.0e9, 10, 0.05, 120.0),
        (100.0, 100.0, 1, 0.03, 10.0),
        (100.0, 100.0001, 50, 0.001, 29.4),
        (100.0, 112.5, 1, 0.0, 6.0),
        (100.0, 100.0, 1, 0.0, 6.0),
        (1.0, 1.003, 2, 0.004, 1.8),
        (1.0, 1.2, 2, 0.004, 1.8),
    ]
    out = []
    for base, head, n_base, sigma, df in grid:
        out.append({"base": base, "head": head, "n_base": n_base, "sigma": sigma, "df": df,
                    "p": noise_p(base, head, n_base, sigma, df)})
    return out


def band_cases():
    grid = [
        # p, n_base, sigma, df
        (0.05, 1, 0.02, 5.4),
        (0.05, 5, 0.02, 5.4),
        (0.05, 1, 0.01, 1.0),
        (0.01, 1, 0.01, 17.4),
        (0.0005, 1, 0.01, 17.4),
        (0.05 / 100, 3, 0.008, 29.4),
        (0.5, 1, 0.03, 120.0),
        (0.05, 10, 0.0, 6.0),
        (1e-6, 2, 0.004, 1.8),
    ]
    out = []
    for p, n_base, sigma, df in grid:
        band, t, raw = noise_band(p, n_base, sigma, df)
        out.append({"p_in": p, "n_base": n_base, "sigma": sigma, "df": df, "band": band,
                    "t": t, "t_isf_raw": raw})
    return out


def main():
    ref = {
        "provenance": "made by %s with %s (numpy %s, scipy %s) on %s. null stands for NaN. "
                      "estimate: the rule of analysis/noise.h in numpy (np.diff(np.log(x)), "
                      "np.median, 1.4826 * MAD, np.clip at 2.5 s, sqrt(sum / (k - 1) / 2) / "
                      "clip_bias with k = n - 1 differences, df = max(1, df_per_diff (n - 2)), "
                      "the newest 256 values of longer series). p: 2 * scipy.stats.t.sf(|log("
                      "head / base)| / (sigma sqrt(1 + 1 / n_base)), df), at most 1; sigma 0 "
                      "gives 0 for a difference, 1 for none. band: 100 * expm1(t * sigma * "
                      "sqrt(1 + 1 / n_base)) with t the root of scipy.stats.t.sf(t, df) = p / 2, "
                      "started at scipy.stats.t.isf(p / 2, df) (stored as t_isf_raw) and polished "
                      "by Newton steps on t.sf and t.pdf: scipy 1.10's isf (cephes stdtrit) is off "
                      "by up to ~3e-9 relative for a non-integer df, sf is not. clip_bias: "
                      "sqrt(E[min(Z^2, 2.5^2)]) by scipy.integrate.quad over scipy.stats.norm.pdf "
                      "and in closed form (2 Phi(c) - 1 - 2 c phi(c) + 2 c^2 (1 - Phi(c)))."
                      % (SCRIPT, sys.executable, np.__version__, scipy.__version__,
                         datetime.date.today().isoformat()),
        "script": SCRIPT,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "date": datetime.date.today().isoformat(),
        "clip": CLIP,
        "df_per_diff": DF_PER_DIFF,
        "clip_bias": {"constant": CLIP_BIAS, "quad": BIAS_QUAD, "closed_form": BIAS_CLOSED},
        "estimate": series_cases(),
        "p": p_cases(),
        "band": band_cases(),
    }
    with open(os.path.join(HERE, "noise_ref.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

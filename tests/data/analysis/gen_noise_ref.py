#!/usr/bin/python3
# Reference values for analysis/noise.c (tests/analysis/test_noise.c): the run-to-run noise
# estimate of a series of run centres (qb_noise_estimate) and of known differences
# (qb_noise_from_diffs), the empirical Bayes moderation of the rows of one compare
# (qb_noise_moderate), the p-value of a new run against the noise (qb_noise_p) and the band a
# new run stays within (qb_noise_band).
#
# Regenerate (Debian's python, which has numpy 1.24 and scipy 1.10; about a second):
#   /usr/bin/python3 tests/data/analysis/gen_noise_ref.py
# It writes noise_ref.json next to itself. NaN is written as null, an infinite d0 as "inf".
#
# What computes what:
# - estimate / from_diffs: the rule of analysis/noise.h re-implemented in numpy: d = the n - 1
#   differences of log x (np.diff(np.log(x))), m = np.median(d), sigma = sqrt(sum (d - m)^2 /
#   k / 2) with k = n - 1 differences, df = max(1, runs - 1.8) (DF_OFFSET, stored as
#   df_offset: change it here when noise.c changes, and regenerate); series longer than 256 use
#   their newest 256 values, difference lists longer than 255 their newest 255; fewer than 3
#   runs (2 differences) give NaN. No winsorising: an earlier version clipped d - m at 2.5
#   robust sd (bias constant 0.988716331135); that is gone (docs/statistics.md says why), and
#   so are the clip and clip_bias entries of this file.
# - moderate: limma's fitFDist / squeezeVar (Smyth 2004, section 6.2) written here from the
#   paper's formulas with numpy and scipy.special (digamma, polygamma(1, .) for trigamma), on
#   the usable rows only (finite sigma > 0 and df > 0): e = log sigma^2 - digamma(df/2) +
#   log(df/2), y = var(e, ddof=1) - mean(trigamma(df/2)); y <= 0 gives d0 = inf and s0^2 =
#   exp(mean e); otherwise d0 = 2 u with trigamma(u) = y solved by scipy.optimize.brentq on
#   log trigamma(exp(v)) - log y (bisection/secant; the C code uses Newton on 1 / trigamma, a
#   different algorithm) and s0^2 = exp(mean e + digamma(d0/2) - log(d0/2)). Each usable row:
#   sigma^2 = (d0 s0^2 + df sigma^2) / (d0 + df), df = min(d0 + df, 1e6) (d0 = inf: sigma = s0,
#   df = 1e6); other rows as they were; fewer than 3 usable rows: nothing changes, s0 and d0
#   NaN. Every solved u is checked: trigamma(u) / y - 1 within 1e-13.
# - p and band use scipy.stats.t (sf, and isf polished with sf: see t_quantile), not the C
#   code's GSL.
import datetime
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import optimize, special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = "tests/data/analysis/gen_noise_ref.py"
DF_OFFSET = 1.8  # df = runs - DF_OFFSET, at least 1 (analysis/noise.c)
DF_CAP = 1e6  # a moderated df is at most this (analysis/noise.h)
MAX_RUNS = 256
rng = np.random.default_rng(20261207)


def nn(v):
    """A float for JSON, None for NaN, "inf" for an infinity."""
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def fl(v):
    return [float(a) for a in v]


# --- the estimator -----------------------------------------------------------------------------

def from_diffs(d):
    """(runs, sigma, df) of qb_noise_from_diffs for the differences d, from its documented
    rule."""
    d = np.asarray(d, dtype=float)
    runs = len(d) + 1
    if len(d) > MAX_RUNS - 1:
        d = d[-(MAX_RUNS - 1):]
        runs = MAX_RUNS
    k = len(d)
    if k < 2:
        return runs, math.nan, math.nan
    m = np.median(d)
    sigma = math.sqrt(float(np.sum((d - m) ** 2)) / k / 2.0)
    df = max(1.0, (k + 1) - DF_OFFSET)
    return runs, sigma, df


def estimate(x):
    """(runs, sigma, df) of qb_noise_estimate for x (oldest first), from its documented rule."""
    x = np.asarray(x, dtype=float)
    if len(x) > MAX_RUNS:
        x = x[-MAX_RUNS:]
    n = len(x)
    if n < 3:
        return n, math.nan, math.nan
    return from_diffs(np.diff(np.log(x)))


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
        ("single_outlier_20", outlier,
         "20 runs at 2% noise, run 11 made 80% slower: its two differences count in full"),
        ("linear_drift_40", drift, "40 runs at 0.5% noise drifting +0.4% per run"),
        ("constant_12", np.full(12, 4096.0), "12 identical values (e.g. B/op): sigma 0"),
        ("constant_3", np.full(3, 64.0), "3 identical values: sigma 0, df 1.2"),
        ("mostly_equal_9", [100.0, 100.0, 100.0, 101.0, 100.0, 100.0, 100.0, 100.0, 100.0],
         "quantised: most differences are 0 (the median), the two of the 1% run count"),
        ("three_points", [10.0, 10.5, 9.8], "the shortest series with an estimate: df = 1.2"),
        ("four_points", [10.0, 10.5, 9.8, 10.1], "df = 2.2"),
        ("two_points", [10.0, 10.5], "too short: NaN"),
        ("one_point", [7.0], "too short: NaN"),
        ("even_diffs_6", [1.0, 1.1, 0.95, 1.05, 1.0, 0.9, 1.02], "even number of differences"),
        ("step_inside_16", list(lognormal(8, 50.0, 0.01)) + list(lognormal(8, 60.0, 0.01)),
         "a 20% step inside the series: its one large difference counts in full"),
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


def diff_cases():
    seg_a = np.diff(np.log(lognormal(7, 80.0, 0.015)))
    seg_b = np.diff(np.log(lognormal(4, 104.0, 0.015)))
    cases = [
        ("none", [], "no differences: runs 1, NaN"),
        ("one", [0.01], "one difference: runs 2, NaN"),
        ("two", [0.01, -0.03], "two differences: runs 3, df 1.2"),
        ("odd_7", [0.012, -0.004, 0.02, -0.017, 0.003, 0.0, -0.011], "7 differences"),
        ("even_6", [0.012, -0.004, 0.02, -0.017, 0.003, 0.0], "6 differences: the median of 2"),
        ("two_segments", list(seg_a) + list(seg_b),
         "the 6 + 3 differences within two segments of 7 and 4 runs at 80 and 104 (the step "
         "between them left out): as one series of 10 runs"),
        ("drift", list(0.004 + rng.normal(0.0, 0.01, 12)), "12 differences with a slope"),
        ("long_300", list(rng.normal(0.0, 0.02, 300)), "300 differences: the newest 255 count"),
    ]
    out = []
    for name, d, what in cases:
        runs, sigma, df = from_diffs(d)
        out.append({"name": name, "what": what, "d": fl(d), "runs": runs, "sigma": nn(sigma),
                    "df": nn(df)})
    return out


# --- moderation (Smyth 2004; limma's fitFDist and squeezeVar) ---------------------------------

def trigamma(x):
    return special.polygamma(1, x)


def trigamma_inverse(y):
    """u > 0 with trigamma(u) = y, by brentq on v = log u (trigamma falls from +inf to 0)."""
    f = lambda v: math.log(float(trigamma(math.exp(v)))) - math.log(y)
    lo, hi = -40.0, 40.0
    assert f(lo) > 0 > f(hi), y
    v = optimize.brentq(f, lo, hi, xtol=1e-15, rtol=8.9e-16, maxiter=500)
    u = math.exp(v)
    assert abs(float(trigamma(u)) / y - 1.0) < 1e-13, (y, u)
    return u


def usable(sigma, df):
    return (sigma is not None and df is not None and math.isfinite(sigma) and sigma > 0
            and df > 0 and not math.isnan(df))


def moderate(rows):
    """(prior, rows after) of qb_noise_moderate for rows [(sigma, df)] (NaN for unknown)."""
    use = [i for i, (s, d) in enumerate(rows) if usable(s, d)]
    g = len(use)
    if g < 3:
        return {"rows": g, "s0": math.nan, "d0": math.nan}, list(rows)
    s2 = np.array([rows[i][0] ** 2 for i in use])
    df = np.array([rows[i][1] for i in use])
    e = np.log(s2) - special.digamma(df / 2.0) + np.log(df / 2.0)
    emean = float(np.mean(e))
    y = float(np.var(e, ddof=1)) - float(np.mean(trigamma(df / 2.0)))
    if y > 0:
        d0 = 2.0 * trigamma_inverse(y)
        s02 = math.exp(emean + float(special.digamma(d0 / 2.0)) - math.log(d0 / 2.0))
    else:
        d0 = math.inf
        s02 = math.exp(emean)
    out = list(rows)
    for i in use:
        s, d = rows[i]
        if math.isinf(d0):
            out[i] = (math.sqrt(s02), DF_CAP)
        else:
            out[i] = (math.sqrt((d0 * s02 + d * s * s) / (d0 + d)), min(d0 + d, DF_CAP))
    return {"rows": g, "s0": math.sqrt(s02), "d0": d0, "y": y}, out


def sampled_sigmas(g, sigma, dfs, d0=None):
    """g rows of (s, df): s^2 = sigma_i^2 chi2_df / df, with sigma_i^2 = sigma^2 (one shared
    noise) or drawn from the scaled inverse chi-square prior with d0 degrees of freedom."""
    rows = []
    for i in range(g):
        df = dfs[i % len(dfs)]
        true2 = sigma * sigma if d0 is None else sigma * sigma * d0 / rng.chisquare(d0)
        rows.append((math.sqrt(true2 * rng.chisquare(df) / df), df))
    return rows


def rows_for_target(y, sigma, df):
    """4 rows of one df whose log sigma^2 lie at +-a around log sigma^2, a chosen so that the
    equation for d0 has the right-hand side y: var(e, ddof=1) = 4 a^2 / 3 = y + trigamma(df/2)."""
    a = math.sqrt((y + float(trigamma(df / 2.0))) * 3.0 / 4.0)
    return [(sigma * math.exp(sgn * a / 2.0), df) for sgn in (1, -1, 1, -1)]


def moderate_cases():
    nan = math.nan
    agree = [(0.02 * (1 + 0.001 * j), 3.2) for j in (-2, -1, 0, 1, 2, 3)]
    vary = [(s, 8.2) for s in (0.001, 0.004, 0.02, 0.05, 0.15, 0.3, 0.0025, 0.09)]
    mixed = sampled_sigmas(40, 0.02, [1.2, 3.2, 8.2, 28.2], d0=6.0)
    with_gaps = sampled_sigmas(9, 0.015, [3.2, 10.2], d0=4.0)
    with_gaps[2:2] = [(0.0, 6.2), (nan, nan), (0.03, nan), (nan, 4.2), (0.0, 1.2)]
    few = [(0.02, 4.2), (0.0, 8.2), (nan, nan), (0.03, 6.2)]
    cases = [
        ("agree_6", agree, "6 rows within 0.5% of 2%, df 3.2: they agree beyond their sampling "
         "error, d0 = inf, every row gets s0 and df 1e6"),
        ("vary_8", vary, "8 rows from 0.1% to 30% at df 8.2: small d0, each keeps most of its own"),
        ("mixed_df_40", mixed, "40 rows, df 1.2 / 3.2 / 8.2 / 28.2, true sigmas from a scaled "
         "inverse chi-square prior (2%, d0 = 6): a finite d0"),
        ("zero_and_nan_14", with_gaps, "9 usable rows and 5 that are left alone and not used: "
         "sigma 0 (twice), sigma and df NaN, df NaN, sigma NaN"),
        ("shared_100", sampled_sigmas(100, 0.02, [4.2]), "100 rows of 6 runs at one 2% noise"),
        ("large_d0", rows_for_target(0.002, 0.02, 10.2),
         "4 rows at df 10.2 whose spread leaves 0.002 for trigamma(d0/2): d0 about 1000"),
        ("huge_d0", rows_for_target(1e-5, 0.02, 10.2), "the same with 1e-5: d0 about 2e5"),
        ("tiny_target", rows_for_target(2e-7, 0.02, 10.2),
         "the same with 2e-7: d0 about 1e7, so df is capped at 1e6; below 1e-6 limma's (and "
         "noise.c's) trigammaInverse returns 1 / y, off by y / 2 relative (d0 within 1e-6)"),
        ("three_rows", [(0.01, 3.2), (0.02, 3.2), (0.04, 3.2)], "the fewest usable rows: 3"),
        ("two_usable", few, "2 usable rows (plus sigma 0 and NaN): nothing changes"),
        ("empty", [], "no rows"),
    ]
    out = []
    for name, rows, what in cases:
        prior, after = moderate(rows)
        out.append({"name": name, "what": what,
                    "sigma": [nn(s) for s, _ in rows], "df": [nn(d) for _, d in rows],
                    "rows": prior["rows"], "s0": nn(prior["s0"]), "d0": nn(prior["d0"]),
                    "trigamma_target": nn(prior.get("y", math.nan)),
                    "sigma_after": [nn(s) for s, _ in after],
                    "df_after": [nn(d) for _, d in after]})
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
        (100.0, 103.0, 1, 0.012, 3.2),  # 5 runs: df = 5 - 1.8
        (100.0, 97.0, 1, 0.0125, 1e6),  # a row moderated with d0 = infinity: df capped at 1e6
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
        (0.05 / 100, 1, 0.02, 3.2),  # 5 runs at 2%, alpha / 100 rows: the ~200% band
        (0.05 / 100, 1, 0.0125, 1e6),  # moderated with d0 = infinity
    ]
    out = []
    for p, n_base, sigma, df in grid:
        band, t, raw = noise_band(p, n_base, sigma, df)
        out.append({"p_in": p, "n_base": n_base, "sigma": sigma, "df": df, "band": band,
                    "t": t, "t_isf_raw": raw})
    return out


def main():
    ref = {
        "provenance": "made by %s with %s (numpy %s, scipy %s) on %s. null stands for NaN, "
                      "\"inf\" for an infinite d0. estimate: the rule of analysis/noise.h in "
                      "numpy (np.diff(np.log(x)), m = np.median, sigma = sqrt(sum (d - m)^2 / k "
                      "/ 2) with k = n - 1 differences, no winsorising, df = max(1, runs - "
                      "df_offset), the newest 256 values of longer series). from_diffs: the same "
                      "from k given differences (runs = k + 1, the newest 255). moderate: "
                      "Smyth's (2004) empirical Bayes prior as limma's fitFDist/squeezeVar, "
                      "written with numpy and scipy.special.digamma / polygamma(1, .) over the "
                      "rows with finite sigma > 0 and df > 0, d0 = 2 u with trigamma(u) = "
                      "var(e, ddof=1) - mean(trigamma(df/2)) (stored as trigamma_target) solved "
                      "by scipy.optimize.brentq on log u, inf when that is <= 0; moderated df "
                      "at most 1e6. p: 2 * scipy.stats.t.sf(|log(head / base)| / (sigma sqrt(1 "
                      "+ 1 / n_base)), df), at most 1; sigma 0 gives 0 for a difference, 1 for "
                      "none. band: 100 * expm1(t * sigma * sqrt(1 + 1 / n_base)) with t the root "
                      "of scipy.stats.t.sf(t, df) = p / 2, started at scipy.stats.t.isf(p / 2, "
                      "df) (stored as t_isf_raw) and polished by Newton steps on t.sf and t.pdf: "
                      "scipy 1.10's isf (cephes stdtrit) is off by up to ~3e-9 relative for a "
                      "non-integer df, sf is not."
                      % (SCRIPT, sys.executable, np.__version__, scipy.__version__,
                         datetime.date.today().isoformat()),
        "script": SCRIPT,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "date": datetime.date.today().isoformat(),
        "df_offset": DF_OFFSET,
        "df_cap": DF_CAP,
        "estimate": series_cases(),
        "from_diffs": diff_cases(),
        "moderate": moderate_cases(),
        "p": p_cases(),
        "band": band_cases(),
    }
    with open(os.path.join(HERE, "noise_ref.json"), "w") as f:
        json.dump(ref, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# Reference values for the compare statistics (tests/analysis/test_mwu.c, test_shift.c,
# test_ttest.c, test_fdr.c and the median CI / MAD / bootstrap part of test_describe.c),
# computed with numpy/scipy and, where scipy has no such function, with the independent
# Python computations below (each one says so in its file's "provenance").
#
# Regenerate (Debian's python, which has numpy 1.24 and scipy 1.10; about a minute, 2 GB RAM):
#   /usr/bin/python3 tests/data/analysis/gen_compare_ref.py
# It writes mwu_ref.json, shift_ref.json, welch_ref.json, fdr_ref.json and median_ci_ref.json
# next to itself.
#
# Large samples are not stored: they are described as {"gen": ..., "seed": ..., "n": ...} and
# made by the splitmix64 generator below, which the C tests reimplement (same integers, and the
# doubles come out of one exact product and one rounded addition, so they are bit-identical).
import itertools
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1
PY = "%s (numpy %s, scipy %s)" % (sys.executable, np.__version__, scipy.__version__)


# --- the shared generator ------------------------------------------------------------------

def splitmix64_stream(seed, n):
    """n outputs of splitmix64 started from state = seed."""
    out, s = [], seed & M64
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return out


def gen(spec):
    """The sample a {"gen": ...} spec describes (see the C tests' qbt_gen)."""
    zs = splitmix64_stream(spec["seed"], spec["n"])
    if spec["gen"] == "uniform":  # offset + scale * u, u = (z >> 11) * 2^-53, scale a power of 2
        return np.array([spec["offset"] + spec["scale"] * ((z >> 11) * 2.0 ** -53) for z in zs])
    if spec["gen"] == "int":  # offset + ((z >> 11) mod m)
        return np.array([float(spec["offset"] + ((z >> 11) % spec["mod"])) for z in zs])
    raise ValueError(spec)


def data(v):
    return gen(v) if isinstance(v, dict) else np.array(v, dtype=float)


def fl(v):
    return [float(a) for a in v]


def has_ties(x, y):
    a = np.concatenate([x, y])
    return len(np.unique(a)) < len(a)


def write(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


rng = np.random.default_rng(20261126)


# --- Mann-Whitney U ------------------------------------------------------------------------

def tie_dp_p(x, y):
    """Exact two-sided p of U given the tie structure, by an independent method: walk the
    pooled sorted values one at a time, each going to x or y, keeping exact integer counts
    (numpy int64: at most C(50, 25) ~ 1.3e14) over (number of x so far, 2 * rank sum of x) with
    midranks. p = 2 * min(P(2R <= obs), P(2R >= obs)) as an exact fraction."""
    nx, ny = len(x), len(y)
    pooled = np.sort(np.concatenate([x, y]))
    mid2 = (2 * stats.rankdata(pooled)).astype(np.int64)  # doubled midranks of the sorted values
    top = int(mid2.sum())
    f = np.zeros((nx + 1, top + 1), dtype=np.int64)
    f[0, 0] = 1
    for m in mid2:
        f[1:, m:] += f[:-1, :top + 1 - m].copy()
    counts = f[nx]
    obs = int(round(2 * stats.rankdata(np.concatenate([x, y]))[:nx].sum()))
    total = int(counts.sum())
    lower, upper = int(counts[:obs + 1].sum()), int(counts[obs:].sum())
    return min(Fraction(1), 2 * Fraction(min(lower, upper), total))


def ustat(a, b, axis=-1):
    """U of the first sample (x_i > y_j counts 1, ties 1/2), vectorised for permutation_test."""
    a = np.moveaxis(a, axis, -1)[..., :, None]
    b = np.moveaxis(b, axis, -1)[..., None, :]
    return (a > b).sum(axis=(-2, -1)) + 0.5 * (a == b).sum(axis=(-2, -1))


def perm_p(x, y, alternative):
    return stats.permutation_test((x, y), ustat, permutation_type="independent",
                                  vectorized=True, n_resamples=np.inf,
                                  alternative=alternative).pvalue


mwu_cases = []


def mwu_case(name, x, y):
    xs, ys = data(x), data(y)
    nx, ny = len(xs), len(ys)
    tied = has_ties(xs, ys)
    exact = (nx <= 25 and ny <= 25) if tied else (nx <= 50 and ny <= 50)
    u = float(stats.mannwhitneyu(xs, ys, alternative="two-sided", method="asymptotic").statistic)
    c = {"name": name, "x": x if isinstance(x, dict) else fl(xs),
         "y": y if isinstance(y, dict) else fl(ys), "nx": nx, "ny": ny, "ties": bool(tied),
         "exact": bool(exact), "u": u}
    if exact and not tied:
        c["p"] = float(stats.mannwhitneyu(xs, ys, alternative="two-sided", method="exact").pvalue)
        c["p_from"] = "mannwhitneyu(method='exact')"
    elif exact and min(nx, ny) == 1:
        # permutation_test needs two values per sample: enumerate the nx + ny splits directly
        pooled = np.concatenate([xs, ys])
        us = [float(ustat(pooled[list(ix)], np.delete(pooled, list(ix))))
              for ix in itertools.combinations(range(nx + ny), nx)]
        lo_, hi_ = (np.mean([v <= u for v in us]), np.mean([v >= u for v in us]))
        bf = min(1.0, 2 * min(lo_, hi_))
        dp = float(tie_dp_p(xs, ys))
        assert abs(dp - bf) <= 1e-12, (name, dp, bf)
        c["p"] = bf
        c["p_from"] = "enumeration of all C(nx + ny, nx) splits (itertools.combinations)"
    elif exact and nx + ny <= 20:
        p2, pl, pg = (perm_p(xs, ys, a) for a in ("two-sided", "less", "greater"))
        # scipy's two-sided permutation p-value is 2 * min(one-sided p-values), clipped to 1
        assert p2 == min(1.0, 2 * min(pl, pg)), (name, p2, pl, pg)
        dp = float(tie_dp_p(xs, ys))
        assert abs(dp - p2) <= 1e-12 * max(dp, 1e-300) + 1e-15, (name, dp, p2)
        c["p"] = float(p2)
        c["p_from"] = "permutation_test(U, 'independent', n_resamples=inf, 'two-sided')"
    elif exact:
        c["p"] = float(tie_dp_p(xs, ys))
        c["p_from"] = "exact python DP over single values with midranks (tie_dp_p)"
    else:
        r = stats.mannwhitneyu(xs, ys, alternative="two-sided", method="asymptotic",
                               use_continuity=True)
        c["p"] = float(r.pvalue)
        c["p_from"] = "mannwhitneyu(method='asymptotic', use_continuity=True)"
        n = nx + ny
        _, t = np.unique(np.concatenate([xs, ys]), return_counts=True)
        s = math.sqrt(nx * ny / 12 * ((n + 1) - float((t.astype(float) ** 3 - t).sum()) /
                                      (n * (n - 1))))
        d = abs(u - nx * ny / 2) - 0.5
        c["z"] = None if s == 0 else math.copysign(max(d, 0.0) / s, u - nx * ny / 2)
    mwu_cases.append(c)


def cont(n, loc=0.0, scale=1.0):
    """n distinct continuous values, rounded to 1e-6 so they print short."""
    while True:
        v = np.round(rng.normal(loc, scale, n), 6)
        if len(np.unique(v)) == n:
            return v


def untied(nx, ny, shift=0.0, scale=1.0):
    while True:
        x, y = cont(nx, 0.0, scale), cont(ny, shift, scale)
        if not has_ties(x, y):
            return fl(x), fl(y)


def ints(n, lo, hi):
    return fl(rng.integers(lo, hi + 1, n))


# tiny samples, no ties
mwu_case("n1_1", [1.0], [2.0])
mwu_case("n1_2", [3.0], [1.0, 2.0])
mwu_case("n2_1", [0.5, 2.5], [1.5])
mwu_case("n2_2_separated", [1.0, 2.0], [3.0, 4.0])
mwu_case("n2_2_mixed", [1.0, 4.0], [2.0, 3.0])
mwu_case("n1_3", [5.0], [1.0, 2.0, 3.0])
mwu_case("n3_1", [0.1, 0.2, 0.3], [0.25])
mwu_case("n2_3", [10.0, 30.0], [5.0, 20.0, 40.0])
mwu_case("n3_3_separated", [1.1, 2.2, 3.3], [4.4, 5.5, 6.6])
mwu_case("n3_3_interleaved", [1.0, 3.0, 5.0], [2.0, 4.0, 6.0])
# tiny samples with ties
mwu_case("n1_1_equal", [2.0], [2.0])
mwu_case("n1_2_tie", [2.0], [2.0, 3.0])
mwu_case("n2_2_ties", [1.0, 2.0], [2.0, 3.0])
mwu_case("n3_3_ties", [1.0, 1.0, 2.0], [1.0, 2.0, 2.0])
mwu_case("n3_2_ties", [4.0, 4.0, 4.0], [4.0, 5.0])
# all values equal, identical samples
mwu_case("all_equal_1_3", [7.0], [7.0, 7.0, 7.0])
mwu_case("all_equal_5_5", [7.0] * 5, [7.0] * 5)
mwu_case("all_equal_30_30", [3.25] * 30, [3.25] * 30)
same = fl(cont(10))
mwu_case("identical_10", same, same)
same = fl(cont(40))
mwu_case("identical_40", same, same)
# unequal sizes, no ties (exact)
for nx, ny, sh in [(5, 12, 0.5), (17, 9, -0.8), (40, 7, 0.3), (1, 50, 0.0), (50, 1, 1.0),
                   (12, 30, 1.2), (8, 8, 0.0), (20, 20, 0.7)]:
    mwu_case("untied_%d_%d" % (nx, ny), *untied(nx, ny, sh))
# around the exact/normal boundary without ties
mwu_case("untied_50_50", *untied(50, 50, 0.3))
mwu_case("untied_49_50", *untied(49, 50, -0.2))
mwu_case("untied_51_50", *untied(51, 50, 0.3))
mwu_case("untied_50_51", *untied(50, 51, 0.3))
mwu_case("untied_50_3", *untied(50, 3, 0.6))
mwu_case("untied_51_3", *untied(51, 3, 0.6))
mwu_case("untied_3_51", *untied(3, 51, 0.6))
mwu_case("separated_50_50", fl(np.arange(50) + 0.5), fl(np.arange(50) + 100.25))  # p = 2/C(100,50)
mwu_case("separated_51_50", fl(np.arange(51) + 0.5), fl(np.arange(50) + 100.25))
# ties in the exact region: small totals against permutation_test, larger against the DP
for nx, ny, hi in [(10, 10, 9), (8, 12, 5), (6, 7, 3), (4, 9, 4), (2, 5, 1), (9, 11, 2),
                   (3, 3, 2), (7, 5, 6)]:
    mwu_case("ties_%d_%d" % (nx, ny), ints(nx, 0, hi), ints(ny, 0, hi))
mwu_case("ties_shift_9_9", ints(9, 0, 5), ints(9, 3, 8))
for nx, ny, hi in [(15, 20, 9), (20, 25, 2), (24, 25, 6), (25, 25, 9), (25, 13, 4)]:
    mwu_case("ties_%d_%d" % (nx, ny), ints(nx, 0, hi), ints(ny, 0, hi))
mwu_case("ties_separated_25_25", ints(25, 0, 5), ints(25, 10, 15))
# around the boundary with ties
mwu_case("ties_26_25", ints(26, 0, 9), ints(25, 1, 10))
mwu_case("ties_25_26", ints(25, 0, 9), ints(26, 1, 10))
mwu_case("ties_25_50", ints(25, 0, 20), ints(50, 0, 20))
mwu_case("ties_60_45", ints(60, 0, 3), ints(45, 0, 3))
# large shifts (tiny p) in the normal region
mwu_case("separated_200_200", fl(np.arange(200) * 0.5), fl(1000.0 + np.arange(200) * 0.5))
mwu_case("shift_100_120", *untied(100, 120, 1.0))
mwu_case("shift_300_250", *untied(300, 250, 0.15))
# n = 10,000 per side
mwu_case("gen_10000_uniform", {"gen": "uniform", "seed": 1, "n": 10000, "offset": 100.0,
                               "scale": 1.0},
         {"gen": "uniform", "seed": 2, "n": 10000, "offset": 100.01, "scale": 1.0})
mwu_case("gen_10000_int_ties", {"gen": "int", "seed": 3, "n": 10000, "offset": 0, "mod": 50},
         {"gen": "int", "seed": 4, "n": 10000, "offset": 0, "mod": 51})
mwu_case("gen_10000_shifted", {"gen": "uniform", "seed": 5, "n": 10000, "offset": 1.0,
                               "scale": 1.0},
         {"gen": "uniform", "seed": 6, "n": 10000, "offset": 1.0625, "scale": 1.0})
mwu_case("gen_10000_disjoint", {"gen": "uniform", "seed": 7, "n": 10000, "offset": 0.0,
                                "scale": 1.0},
         {"gen": "uniform", "seed": 8, "n": 10000, "offset": 2.0, "scale": 1.0})
assert len(mwu_cases) >= 50, len(mwu_cases)

write("mwu_ref.json", {
    "provenance": "made by tests/data/analysis/gen_compare_ref.py with %s. u: "
    "scipy.stats.mannwhitneyu(x, y).statistic (U of x). p by the region qbdb uses: no ties and "
    "nx, ny <= 50: mannwhitneyu(x, y, alternative='two-sided', method='exact'); ties and "
    "nx, ny <= 25: scipy 1.10 has no exact test with ties, so: a sample of one value: "
    "enumeration of all splits; else for nx + ny <= 20 "
    "scipy.stats.permutation_test((x, y), U, permutation_type='independent', "
    "n_resamples=np.inf, alternative='two-sided') (exhaustive; the script asserts that its "
    "two-sided p equals min(1, 2 * min(p_less, p_greater))), and for larger ones an exact "
    "Python dynamic programme over single values with midranks and integer counts "
    "(tie_dp_p; checked against permutation_test on every small case); otherwise "
    "mannwhitneyu(method='asymptotic', use_continuity=True). z: scipy's _get_mwu_z formula, "
    "signed like U - nx*ny/2. Each case's p_from names its source. Samples given as "
    "{gen,...} come from the script's splitmix64 generator." % PY,
    "cases": mwu_cases})


# --- Hodges-Lehmann ------------------------------------------------------------------------

def untied_cdf(nx, ny):
    """Exact P(U <= u) without ties as fractions: the Gaussian binomial coefficient
    [nx + ny choose nx]_q = prod_{i=1..nx} (1 - q^(ny + i)) / (1 - q^i), in Python integers."""
    c = [1] + [0] * (nx * ny)
    for i in range(1, nx + 1):
        a = ny + i
        for j in range(nx * ny, a - 1, -1):
            c[j] -= c[j - a]
        for j in range(i, nx * ny + 1):
            c[j] += c[j - i]
    total = math.comb(nx + ny, nx)
    assert sum(c) == total and min(c) >= 0
    cdf, acc = [], 0
    for v in c:
        acc += v
        cdf.append(Fraction(acc, total))
    return cdf


# the DP above against scipy's exact distribution (a cross-check of the reference itself)
for nx, ny in [(3, 4), (7, 7), (12, 5), (30, 30)]:
    cdf = untied_cdf(nx, ny)
    for u in range(0, nx * ny + 1, 7):
        assert abs(float(cdf[u]) - stats._mannwhitneyu._mwu_state.cdf(u, nx, ny)) < 1e-12

hl_cases = []


def kth_all(d, ks):
    return np.partition(d, ks)[ks]


def hl_case(name, x, y, conf=0.95):
    xs, ys = data(x), data(y)
    nx, ny = len(xs), len(ys)
    N = nx * ny
    d = np.subtract.outer(ys, xs).ravel()  # every y_j - x_i, rounded as in C
    alpha = 1.0 - conf
    tied = has_ties(xs, ys)
    if not tied and nx <= 50 and ny <= 50:
        cdf = untied_cdf(nx, ny)
        k = -1
        while k + 1 <= N and cdf[k + 1] <= Fraction(alpha / 2):
            k += 1
        # no cdf value within 1e-9 of alpha/2, so C's double comparison decides the same way
        for j in (k, k + 1):
            if 0 <= j <= N:
                assert abs(float(cdf[j]) - alpha / 2) > 1e-9 * alpha, (name, j)
        method = "exact"
        achieved = 1.0 - 2.0 * float(cdf[k]) if k >= 0 else conf
    else:
        z = stats.norm.ppf(1.0 - alpha / 2)
        kd = N / 2 - z * math.sqrt(N * (nx + ny + 1) / 12)
        assert abs(kd - round(kd)) > 1e-6, (name, kd)  # floor is not on a knife edge
        k = math.floor(kd)
        method = "normal"
        achieved = conf
    ks = sorted({(N - 1) // 2, N // 2} | ({k, N - 1 - k} if k >= 0 else set()))
    vals = dict(zip(ks, kth_all(d, ks)))
    est = float(np.median(d))
    assert est == float((vals[(N - 1) // 2] + vals[N // 2]) / 2)
    hl_cases.append({"name": name, "x": x if isinstance(x, dict) else fl(xs),
                     "y": y if isinstance(y, dict) else fl(ys), "nx": nx, "ny": ny,
                     "conf": conf, "method": method, "k": k, "estimate": est,
                     "lo": float(vals[k]) if k >= 0 else None,
                     "hi": float(vals[N - 1 - k]) if k >= 0 else None,
                     "achieved_conf": achieved})


hl_case("n1_1", [1.0], [3.0])
hl_case("n2_3", [1.0, 2.0], [2.5, 4.0, 7.0])
hl_case("n3_3_too_small", [0.3, 1.1, 2.0], [1.5, 2.2, 3.9])
hl_case("n4_4_k0", [0.3, 1.1, 2.0, 0.7], [1.5, 2.2, 3.9, 0.1])
hl_case("n5_7_conf90", *untied(5, 7, 0.4), conf=0.90)
hl_case("n10_12", *untied(10, 12, 1.0))
hl_case("n20_20_conf99", *untied(20, 20, -0.5), conf=0.99)
hl_case("n7_40", *untied(7, 40, 0.2))
hl_case("n50_50", *untied(50, 50, 0.3))
hl_case("n50_50_conf50", *untied(50, 50, 0.0), conf=0.5)
hl_case("n51_50", *untied(51, 50, 0.3))
hl_case("ties_8_10", ints(8, 0, 5), ints(10, 1, 6))
hl_case("ties_heavy_30_30", ints(30, 0, 3), ints(30, 0, 3))
hl_case("all_equal_5_5", [2.5] * 5, [2.5] * 5)
hl_case("mixed_signs_15_11", fl(np.round(rng.normal(0, 1e3, 15), 3)),
        fl(np.round(rng.normal(-200, 1e3, 11), 3)))
hl_case("n200_300_lognormal", fl(rng.lognormal(3.0, 0.5, 200)),
        fl(rng.lognormal(3.1, 0.5, 300)))
hl_case("n2000_3000", fl(rng.normal(10.0, 2.0, 2000)), fl(rng.normal(10.3, 2.5, 3000)))
hl_case("gen_10000_uniform", {"gen": "uniform", "seed": 11, "n": 10000, "offset": 50.0,
                              "scale": 4.0},
        {"gen": "uniform", "seed": 12, "n": 10000, "offset": 50.5, "scale": 4.0})
hl_case("gen_10000_int_ties", {"gen": "int", "seed": 13, "n": 10000, "offset": 0, "mod": 100},
        {"gen": "int", "seed": 14, "n": 10000, "offset": 3, "mod": 100})

write("shift_ref.json", {
    "provenance": "made by tests/data/analysis/gen_compare_ref.py with %s. estimate: "
    "np.median(np.subtract.outer(y, x).ravel()) (all nx*ny differences y_j - x_i, brute force, "
    "up to 10000 x 10000); lo, hi: the 0-based order statistics k and nx*ny-1-k of those "
    "differences (np.partition). k: no ties in the pooled sample and nx, ny <= 50: the largest "
    "k with P(U <= k) <= alpha/2 under the exact null distribution, computed in exact integers "
    "(Gaussian binomial coefficients, untied_cdf; checked against scipy's "
    "stats._mannwhitneyu._mwu_state.cdf), achieved_conf = 1 - 2 P(U <= k); otherwise "
    "k = floor(nx*ny/2 - scipy.stats.norm.ppf(1 - alpha/2) * sqrt(nx*ny*(nx+ny+1)/12)). "
    "k = -1 means no interval (lo = hi = null)." % PY,
    "cases": hl_cases})


# --- Welch ---------------------------------------------------------------------------------

welch_cases = []


def welch_case(name, n1, m1, s1, n2, m2, s2):
    r = stats.ttest_ind_from_stats(m2, s2, n2, m1, s1, n1, equal_var=False)
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    welch_cases.append({"name": name, "n1": n1, "mean1": m1, "sd1": s1, "n2": n2, "mean2": m2,
                        "sd2": s2, "t": float(r.statistic), "df": df, "p": float(r.pvalue)})


welch_case("equal_sizes", 10, 100.0, 5.0, 10, 104.0, 6.0)
welch_case("unequal_sizes", 5, 1.5e-3, 2e-4, 40, 1.62e-3, 1e-4)
welch_case("equal_means", 20, 3.0, 1.0, 30, 3.0, 2.0)
welch_case("negative_t", 12, 50.0, 3.0, 8, 47.5, 4.5)
welch_case("n2_n2", 2, 1.0, 0.5, 2, 2.0, 0.25)
welch_case("one_sd_zero", 15, 10.0, 0.0, 9, 10.4, 0.7)
welch_case("large_n", 100000, 1234.5, 87.0, 80000, 1235.1, 91.0)
welch_case("tiny_p", 50, 100.0, 1.0, 60, 110.0, 1.5)
welch_case("huge_t", 30, 1.0, 0.01, 30, 2.0, 0.01)
welch_case("nanoseconds", 7, 2.1e-9, 3e-11, 11, 2.05e-9, 9e-11)
welch_case("very_unequal_var", 4, 10.0, 20.0, 200, 12.0, 0.1)
welch_case("small_effect", 25, 0.0, 1.0, 25, 0.1, 1.0)

write("welch_ref.json", {
    "provenance": "made by tests/data/analysis/gen_compare_ref.py with %s. t, p: "
    "scipy.stats.ttest_ind_from_stats(mean2, sd2, n2, mean1, sd1, n1, equal_var=False) "
    "(sample 2 against sample 1, so t = (mean2 - mean1) / se); df: the Welch-Satterthwaite "
    "formula as in scipy's _unequal_var_ttest_denom (scipy 1.10's result has no df)." % PY,
    "cases": welch_cases})


# --- Benjamini-Hochberg and geometric mean -------------------------------------------------

def bh(p):
    """BH adjusted p-values from the definition: adj_(k) = min_{j >= k} p_(j) * m / j,
    clipped to 1; NaN stays NaN and does not count in m."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m:
        order = np.argsort(q, kind="stable")
        scaled = q[order] * m / np.arange(1, m + 1)
        adj = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    return out


def nn(v):
    return [None if math.isnan(a) else float(a) for a in v]


bh_cases = []
for name, p in [
        ("bh1995_example", [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                            0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0]),
        ("single", [0.03]),
        ("empty", []),
        ("unsorted_with_ties", [0.04, 0.01, 0.04, 0.2, 0.01, 0.9, 0.04]),
        ("with_nan", [0.02, float("nan"), 0.5, 0.001, float("nan"), 0.049]),
        ("all_nan", [float("nan"), float("nan")]),
        ("zeros_and_ones", [0.0, 1.0, 0.0, 0.5, 1.0]),
        ("all_large", [0.8, 0.9, 0.7, 0.95]),
        ("uniform_200", fl(rng.uniform(0, 1, 200))),
        ("mixed_signal_100", fl(np.concatenate([rng.uniform(0, 1e-3, 10),
                                                rng.uniform(0, 1, 90)]))),
]:
    bh_cases.append({"name": name, "p": nn(p), "adj": nn(bh(p))})

gm_cases = []
for name, r in [("simple", [1.1, 0.9, 1.25, 1.0]),
                ("skips_nonpositive_and_nan", [2.0, 0.0, -1.0, float("nan"), 8.0]),
                ("single", [1.37]), ("none_left", [0.0, -2.0, float("nan")]),
                ("spread", fl(rng.lognormal(0.0, 0.3, 57)))]:
    a = np.array(r, dtype=float)
    keep = a[(a > 0) & ~np.isnan(a)]
    gm_cases.append({"name": name, "ratios": nn(r),
                     "geomean": float(stats.gmean(keep)) if len(keep) else None})

write("fdr_ref.json", {
    "provenance": "made by tests/data/analysis/gen_compare_ref.py with %s. adj: "
    "Benjamini-Hochberg from its definition in numpy (function bh: sort, p_(k) * m / k, "
    "running minimum from the top, clip to 1; NaN ignored and not counted), because scipy "
    "1.10 has no false_discovery_control (added in 1.11); the bh1995_example is the 15 "
    "p-values of Benjamini & Hochberg (1995), section 4. geomean: scipy.stats.gmean of the "
    "positive, non-NaN ratios. null stands for NaN." % PY,
    "bh": bh_cases, "geomean": gm_cases})


# --- median CI, MAD, bootstrap -------------------------------------------------------------

ci_cases = []
for n in list(range(1, 13)) + [15, 20, 30, 50, 100, 1000, 12345]:
    for conf in (0.95, 0.90, 0.99, 0.8):
        half = (1.0 - conf) / 2.0
        k = 0  # 1-based rank of the lower order statistic, 0 = no interval
        for j in range(1, (n + 1) // 2 + 1):
            if stats.binom.cdf(j - 1, n, 0.5) <= half:
                k = j
            else:
                break
        for j in (k, k + 1):  # away from the knife edge, so GSL decides the same way
            if 1 <= j <= (n + 1) // 2:
                assert abs(stats.binom.cdf(j - 1, n, 0.5) - half) > 1e-9 * half, (n, conf, j)
        cov = 1.0 - 2.0 * stats.binom.cdf(k - 1, n, 0.5) if k else None
        assert k == 0 or cov >= conf
        x = 10.0 + 0.5 * np.arange(n)
        ci_cases.append({"n": n, "conf": conf, "k": k, "coverage": cov,
                         "lo": float(x[k - 1]) if k else None,
                         "hi": float(x[n - k]) if k else None})

mad_cases = []
for name, x in [("single", [4.0]), ("two", [1.0, 5.0]),
                ("odd", [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0]),
                ("even_ties", [2.0, 2.0, 2.0, 3.0, 10.0, -4.0]),
                ("lognormal_101", fl(rng.lognormal(5.0, 0.4, 101))),
                ("normal_1000", fl(rng.normal(-3.0, 0.01, 1000)))]:
    mad_cases.append({"name": name, "x": x,
                      "mad": float(stats.median_abs_deviation(np.array(x), scale=1.0))})


def xoshiro_stream(seed, state=None):
    """xoshiro256** seeded with four splitmix64 outputs of seed (or the given state), as a
    generator."""
    s = list(state) if state else splitmix64_stream(seed, 4)
    rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64  # noqa: E731
    while True:
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


# the generators against their published test vectors (splitmix64 from state 1234567;
# xoshiro256** from state {1, 2, 3, 4}, as in the rand_xoshiro crate's tests)
assert splitmix64_stream(1234567, 3) == [6457827717110365317, 3203168211198807973,
                                         9817491932198370423]
_g = xoshiro_stream(0, [1, 2, 3, 4])
assert [next(_g) for _ in range(6)] == [11520, 0, 1509978240, 1215971899390074240,
                                        1216172134540287360, 607988272756665600]


def bootstrap(x, stat, resamples, conf, seed):
    """The C algorithm re-implemented: n indices per resample, uniform by rejection below
    2^64 mod n, then the type-7 quantiles alpha/2 and 1 - alpha/2 of the statistics."""
    g = xoshiro_stream(seed)
    n = len(x)
    threshold = (1 << 64) % n
    out = []
    for _ in range(resamples):
        idx = []
        while len(idx) < n:
            r = next(g)
            if r >= threshold:
                idx.append(r % n)
        out.append(stat(x[idx]))
    alpha = 1.0 - conf
    return float(np.quantile(out, alpha / 2)), float(np.quantile(out, 1 - alpha / 2))


boot_cases = []
bx = np.round(rng.lognormal(2.0, 0.5, 37), 4)
for stat_name, fn in (("median", np.median), ("mean", np.mean)):
    for seed, resamples, conf in ((42, 2000, 0.95), (7, 999, 0.9)):
        lo, hi = bootstrap(bx, fn, resamples, conf, seed)
        boot_cases.append({"x": fl(bx), "statistic": stat_name, "seed": seed,
                           "resamples": resamples, "conf": conf, "lo": lo, "hi": hi})

write("median_ci_ref.json", {
    "provenance": "made by tests/data/analysis/gen_compare_ref.py with %s. median_ci: for "
    "the sample x_i = 10 + 0.5 i (i = 0..n-1), k = the largest integer in [1, (n+1)/2] with "
    "scipy.stats.binom.cdf(k - 1, n, 0.5) <= (1 - conf)/2 (0: none), lo = x_(k), "
    "hi = x_(n+1-k) (1-based), coverage = 1 - 2 binom.cdf(k - 1, n, 0.5). mad: "
    "scipy.stats.median_abs_deviation(x, scale=1.0). bootstrap: the C algorithm "
    "re-implemented in Python (splitmix64-seeded xoshiro256**, both checked against their "
    "published test vectors; rejection-sampled indices), "
    "statistic np.median or np.mean, interval np.quantile(stats, [alpha/2, 1 - alpha/2]) "
    "(linear, type 7)." % PY,
    "median_ci": ci_cases, "mad": mad_cases, "bootstrap": boot_cases})

print("wrote %d mwu, %d shift, %d welch, %d bh, %d geomean, %d median_ci, %d mad, "
      "%d bootstrap cases" % (len(mwu_cases), len(hl_cases), len(welch_cases), len(bh_cases),
                              len(gm_cases), len(ci_cases), len(mad_cases), len(boot_cases)))

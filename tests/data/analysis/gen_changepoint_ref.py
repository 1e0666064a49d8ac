#!/usr/bin/python3
# Reference change points for tests/analysis/test_changepoint.c: a second implementation of the
# algorithm in docs/statistics.md ("Change points"), in plain Python floats (IEEE doubles, the
# same operations in the same order as analysis/changepoint.c, so every mean, divergence and
# decision is the same bit for bit) with scipy's Student t distribution for the p-values (GSL's
# gsl_cdf_tdist_Q in the C code, which agrees with scipy to 2e-10 relative for p >= 1e-8 and to
# 8e-7 below; scipy is the accurate one: at t = 21.086, df = 58 it matches a 50-digit series of
# the incomplete beta function to 4e-15, GSL is 2.6e-7 off). The script checks that no decision
# is within 1e-6 (relative) of its threshold, so that difference cannot change a result.
# Regenerate: /usr/bin/python3 tests/data/analysis/gen_changepoint_ref.py \
#               > tests/data/analysis/changepoint_ref.json
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats

MIN_SEG = 3
OUTLIER_K = 5.0
MAD_DIFF_SD = 0.9538725524089398  # Phi^-1(3/4) * sqrt(2)
assert abs(MAD_DIFF_SD - stats.norm.ppf(0.75) * math.sqrt(2)) < 1e-16

near_threshold = []  # decisions within 1e-6 (relative) of their threshold


def check_margin(p, level):
    if level > 0 and p > 0 and abs(p - level) <= 1e-6 * level:
        near_threshold.append((p, level))


def split_p(m, k, d, ssd, choices):
    """Pooled two-sample t-test p-value times the number of choices, at most 1."""
    df = m + k - 2
    if df < 1 or d == 0 or math.isnan(d) or math.isnan(ssd):
        return 1.0
    sp2 = ssd / df
    if not sp2 > 0:
        return 0.0
    t = abs(d) / math.sqrt(sp2 * (1 / m + 1 / k))
    if math.isnan(t):
        return 1.0
    if math.isinf(t):
        return 0.0
    p = 2 * float(stats.t.sf(t, df)) * choices
    return 1.0 if p > 1 else p


def positions(m, k):
    return float(m + k - 2 * MIN_SEG + 1) if m + k >= 2 * MIN_SEG else 1.0


def magnitude(before, after):
    if before == 0:
        return 0.0 if after == 0 else math.inf
    return abs(after / before - 1)


def median(values):
    s = sorted(values)
    n = len(s)
    if n % 2:
        return s[n // 2]
    lo, hi = s[n // 2 - 1], s[n // 2]
    return lo + (hi - lo) / 2


def clean_outliers(v):
    """Single-run outliers replaced by the median of their (3- or 5-value) neighbourhood."""
    n = len(v)
    y = list(v)
    if n < 5:
        return y
    limit = OUTLIER_K * median([abs(v[i + 1] - v[i]) for i in range(n - 1)]) / MAD_DIFF_SD
    if not limit > 0 or math.isinf(limit):
        return y
    for i in range(n):
        if i < 2:
            lo, hi = 0, 2
        elif i > n - 3:
            lo, hi = n - 3, n - 1
        else:
            lo, hi = i - 2, i + 2
        m = sorted(v[lo:hi + 1])[(hi - lo) // 2]
        if abs(v[i] - m) > limit:
            y[i] = m
    return y


def unit_scale(v, ref):
    amax = 0.0
    for a in v:
        amax = max(amax, abs(a - ref))
    if not amax > 0 or math.isinf(amax):
        return 1.0
    return math.ldexp(1.0, -math.frexp(amax)[1])


class Cfg:
    def __init__(self, window, max_p, min_mag):
        self.w, self.max_p, self.min_mag = window, max_p, min_mag
        self.weak_p = max_p * 10 if max_p < 0.05 else (max_p * 2 if max_p < 0.5 else max_p)


def split_block(x, b0, b1, c, out):
    """Binary segmentation of E-Divisive means on one block, right end searched (kappa)."""
    w = c.w
    n = b1 - b0
    y = clean_outliers(x[b0:b1])
    x0 = y[0]
    sc = unit_scale(y, x0)
    ps, pq = [0.0] * (n + 1), [0.0] * (n + 1)
    for i in range(n):
        v = (y[i] - x0) * sc
        ps[i + 1] = ps[i] + v
        pq[i + 1] = pq[i] + v * v
    rec = [0.0] + [1.0 / j for j in range(1, 2 * w + 1)]
    stack = [(0, n)]
    while stack:
        a, b = stack.pop()
        if b - a < 2 * MIN_SEG:
            continue
        best, best_e, best_q = 0, 0, -1.0
        for t in range(a + MIN_SEG, b - MIN_SEG + 1):
            lo = t - w if t - a > w else a
            m = t - lo
            last = t + w if b - t > w else b
            base = ps[t]
            ml = (base - ps[lo]) * rec[m]
            for e in range(t + MIN_SEG, last + 1):
                k = e - t
                d = (ps[e] - base) * rec[k] - ml
                q = d * d * float(m * k) * rec[m + k]
                if q > best_q:
                    best_q, best, best_e = q, t, e
        if not best:
            continue
        t, e = best, best_e
        lo = t - w if t - a > w else a
        ends = w if b - t > w else b - t
        m, k = float(t - lo), float(e - t)
        sl, sr = ps[t] - ps[lo], ps[e] - ps[t]
        ml, mr = sl / m, sr / k
        ssl = pq[t] - pq[lo] - sl * ml
        ssr = pq[e] - pq[t] - sr * mr
        choices = positions(t - lo, e - t) * float(ends - MIN_SEG + 1)
        p = split_p(m, k, mr - ml, (ssl if ssl > 0 else 0.0) + (ssr if ssr > 0 else 0.0), choices)
        check_margin(p, c.weak_p)
        if not p <= c.weak_p or magnitude(x0 + ml / sc, x0 + mr / sc) < c.min_mag:
            continue
        out.append(b0 + t)
        stack.append((a, t))
        stack.append((t, b))


def candidates(x, c):
    n, w, out = len(x), c.w, []
    b0 = 0
    while b0 + 2 * MIN_SEG <= n:
        split_block(x, b0, b0 + 2 * w if n - b0 > 2 * w else n, c, out)
        b0 += w
    return sorted(set(out))


class Point:
    def __init__(self, index):
        self.index = index


def test_point(x, n, lo_nb, hi_nb, c, pt):
    i = pt.index
    lo = i - c.w if i - lo_nb > c.w else lo_nb
    hi = i + c.w if hi_nb - i > c.w else hi_nb
    m, k = i - lo, hi - i
    y = clean_outliers(x[lo:hi])
    y0 = y[0]
    sc = unit_scale(y, y0)
    sl = sr = ssd = 0.0
    for j in range(m):
        sl += (y[j] - y0) * sc
    for j in range(m, m + k):
        sr += (y[j] - y0) * sc
    ml, mr = sl / m, sr / k
    for j in range(m):
        ssd += ((y[j] - y0) * sc - ml) * ((y[j] - y0) * sc - ml)
    for j in range(m, m + k):
        ssd += ((y[j] - y0) * sc - mr) * ((y[j] - y0) * sc - mr)
    choices = positions(m, k)
    ends = float(c.w - MIN_SEG + 1)
    if m < c.w and lo_nb > 0:
        choices *= ends
    if k < c.w and hi_nb < n:
        choices *= ends
    pt.p = split_p(float(m), float(k), mr - ml, ssd, choices)
    check_margin(pt.p, c.max_p)
    pt.before, pt.after = y0 + ml / sc, y0 + mr / sc
    pt.mag = magnitude(pt.before, pt.after)
    pt.fails = m < MIN_SEG or k < MIN_SEG or not pt.p <= c.max_p or pt.mag < c.min_mag


def neighbours(pts, i, n):
    return (pts[i - 1].index if i > 0 else 0), (pts[i + 1].index if i + 1 < len(pts) else n)


def prune(x, n, pts, c):
    while True:
        worst = None
        for i, pt in enumerate(pts):
            if not pt.fails:
                continue
            if worst is None or pt.p > pts[worst].p or (
                    pt.p == pts[worst].p and pt.mag < pts[worst].mag):
                worst = i
        if worst is None:
            return
        del pts[worst]
        for i in (worst - 1, worst):
            if 0 <= i < len(pts):
                test_point(x, n, *neighbours(pts, i, n), c, pts[i])


def relocate(x, l, r, at, c):
    w = c.w
    frm = at - MIN_SEG + 1 if at - l >= 2 * MIN_SEG - 1 else l + MIN_SEG
    to = at + MIN_SEG - 1 if r - at >= 2 * MIN_SEG - 1 else r - MIN_SEG
    lo = at - w if at - l > w else l
    hi = at + w if r - at > w else r
    y = clean_outliers(x[lo:hi])
    ref = y[0]
    sc = unit_scale(y, ref)
    ps = [0.0] * (hi - lo + 1)
    for j in range(hi - lo):
        ps[j + 1] = ps[j] + (y[j] - ref) * sc
    best, best_q = at, -1.0
    for t in [at] + [t for t in range(frm, to + 1) if t != at]:
        a = t - w if t - lo > w else lo
        last = t + w if hi - t > w else hi
        m = t - a
        ml = (ps[t - lo] - ps[a - lo]) / float(m)
        q = -1.0
        for e in range(t + MIN_SEG, last + 1):
            d = (ps[e - lo] - ps[t - lo]) / float(e - t) - ml
            qe = float(m * (e - t)) / float(m + e - t) * d * d
            q = qe if qe > q else q
        if q > best_q:
            best_q, best = q, t
    return best


def merge_cluster(x, n, pos, c):
    pts = [Point(i) for i in pos]
    for i, pt in enumerate(pts):
        test_point(x, n, *neighbours(pts, i, n), c, pt)
    prune(x, n, pts, c)
    for i, pt in enumerate(pts):
        pt.index = relocate(x, *neighbours(pts, i, n), pt.index, c)
    for i, pt in enumerate(pts):
        test_point(x, n, *neighbours(pts, i, n), c, pt)
    prune(x, n, pts, c)
    return pts


def changepoints(x, window=30, max_p=0.001, min_mag=0.0):
    n = len(x)
    if n < 2 * MIN_SEG:
        return []
    c = Cfg(min(window, n), max_p, min_mag)
    cand = candidates(x, c)
    out, i = [], 0
    while i < len(cand):
        j = i + 1
        while j < len(cand) and cand[j] - cand[j - 1] < c.w:
            j += 1
        out += merge_cluster(x, n, cand[i:j], c)
        i = j
    return [{"index": pt.index, "p": pt.p, "before": pt.before, "after": pt.after} for pt in out]


# The cases: numpy's generator, seeded; every value is stored (json keeps doubles exactly).
rng = np.random.default_rng(20261201)


def history(n, sd, steps, spikes=0.0):
    """100 * level * (1 + sd * N(0, 1)); steps: [(index, relative size)]; spikes: share of runs
    slowed by 5-30 sd."""
    x = []
    for i in range(n):
        level = 100.0
        for at, size in steps:
            if i >= at:
                level *= 1 + size
        v = level * (1 + sd * rng.standard_normal())
        if rng.random() < spikes:
            v *= 1 + sd * rng.uniform(5, 30)
        x.append(float(v))
    return x


cases = [
    ("clean_step", [1.0] * 50 + [2.0] * 50, {}),
    ("two_steps_10_apart", [1.0] * 40 + [2.0] * 10 + [3.0] * 40, {}),
    ("pulse_10", [1.0] * 40 + [2.0] * 10 + [1.0] * 40, {}),
    ("constant", [7.25] * 120, {}),
    ("five_points", [1.0, 1.0, 1.0, 9.0, 9.0], {}),
    ("six_points", [1.0, 1.0, 1.0, 9.0, 9.0, 9.0], {}),
    ("noise_only", history(200, 0.02, []), {}),
    ("noise_spikes", history(300, 0.01, [], 0.03), {}),
    ("one_step", history(150, 0.01, [(70, 0.05)]), {}),
    ("one_step_at_end", history(100, 0.01, [(95, -0.08)]), {}),
    ("close_up_up", history(120, 0.01, [(50, 0.06), (60, 0.07)]), {}),
    ("close_up_down", history(120, 0.01, [(50, 0.08), (60, -0.075)]), {}),
    ("three_steps_spikes", history(300, 0.02, [(60, 0.1), (140, -0.15), (150, 0.2)], 0.02), {}),
    ("many_steps", history(400, 0.005, [(a, s) for a, s in zip(range(20, 400, 25), [0.03, -0.02] * 8)]), {}),
    ("small_steps", history(250, 0.02, [(80, 0.03), (160, -0.04)]), {}),
    ("window_3", history(80, 0.01, [(20, 0.1), (40, -0.1), (60, 0.05)]), {"window": 3}),
    ("window_5", history(120, 0.01, [(30, 0.1), (42, 0.1), (90, -0.05)], 0.02), {"window": 5}),
    ("window_10", history(150, 0.015, [(50, 0.1), (60, -0.1), (100, 0.06)]), {"window": 10}),
    ("window_50", history(300, 0.01, [(100, 0.04), (110, 0.04), (200, -0.06)], 0.01), {"window": 50}),
    ("window_wider_than_series", history(60, 0.01, [(30, 0.1)]), {"window": 1000}),
    ("min_magnitude", history(200, 0.002, [(50, 0.01), (100, 0.05), (150, -0.03)]), {"min_mag": 0.02}),
    ("max_p_loose", history(200, 0.02, [(100, 0.03)], 0.01), {"max_p": 0.05}),
    ("max_p_strict", history(200, 0.02, [(60, 0.05), (130, 0.1)]), {"max_p": 1e-8}),
    ("quantised", [math.floor(v / 4) * 4 for v in history(200, 0.03, [(100, 0.2)])], {}),
    ("mostly_equal", [100.0 if i % 11 else 104.0 for i in range(90)] + [110.0] * 30, {}),
    ("tiny_values", [v * 1e-9 for v in history(150, 0.01, [(75, 0.05)], 0.02)], {}),
    ("negative_values", [-v for v in history(150, 0.01, [(40, 0.05), (100, -0.1)])], {}),
    ("long_noisy", history(1200, 0.03, [(300, 0.1), (310, 0.1), (700, -0.2), (1000, 0.05)], 0.01), {}),
]

out = {
    "provenance": "%s with Python %s, numpy %s, scipy %s: the algorithm of docs/statistics.md "
                  "(Change points) re-implemented in plain Python floats, p-values from "
                  "scipy.stats.t.sf; series from numpy.random.default_rng(20261201)"
                  % (sys.argv[0], sys.version.split()[0], np.__version__, scipy.__version__),
    "cases": [],
}
for name, x, opts in cases:
    window, max_p, min_mag = opts.get("window", 30), opts.get("max_p", 0.001), opts.get("min_mag", 0.0)
    cps = changepoints(x, window, max_p, min_mag)
    out["cases"].append({"name": name, "window": window, "max_p": max_p, "min_magnitude": min_mag,
                         "x": x, "changepoints": cps})
    print("%-26s n=%-5d %s" % (name, len(x), [c["index"] for c in cps]), file=sys.stderr)
assert not near_threshold, near_threshold
json.dump(out, sys.stdout, indent=1)
print()

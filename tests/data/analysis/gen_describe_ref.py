#!/usr/bin/python3
# Reference values for tests/analysis/test_describe.c, computed with numpy/scipy.
# Regenerate: /usr/bin/python3 tests/data/analysis/gen_describe_ref.py > tests/data/analysis/describe_ref.json
import json, sys
import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261125)
cases = {
    "single": [42.5],
    "two": [1.0, 3.0],
    "ties": [5.0, 5.0, 5.0, 1.0, 9.0, 5.0, 5.0],
    "lognormal_50": list(rng.lognormal(mean=10.0, sigma=0.3, size=50)),
    "normal_outliers_200": list(np.concatenate([rng.normal(1000.0, 20.0, 195), [1500.0, 1600.0, 400.0, 2000.0, 1450.0]])),
    "uniform_1000": list(rng.uniform(0.0, 1e6, 1000)),
}
out = {"provenance": "numpy %s / scipy %s via %s: mean=np.mean, stddev=np.std(ddof=1), "
       "quantiles=np.quantile(method='linear') (type 7), outliers=count outside "
       "[q1-1.5*iqr, q3+1.5*iqr], describe=scipy.stats.describe" % (np.__version__, scipy.__version__, sys.argv[0]),
       "cases": []}
for name, xs in cases.items():
    a = np.array(xs, dtype=float)
    q1, q3 = np.quantile(a, 0.25), np.quantile(a, 0.75)
    iqr = q3 - q1
    d = stats.describe(a) if len(a) > 1 else None
    out["cases"].append({
        "name": name, "x": [float(v) for v in a],
        "n": int(len(a)), "min": float(a.min()), "max": float(a.max()),
        "mean": float(d.mean if d else a.mean()),
        "stddev": float(np.sqrt(d.variance)) if d else None,
        "median": float(np.median(a)),
        "q1": float(q1), "q3": float(q3),
        "p95": float(np.quantile(a, 0.95)), "p99": float(np.quantile(a, 0.99)),
        "outliers": int(((a < q1 - 1.5 * iqr) | (a > q3 + 1.5 * iqr)).sum()),
    })
json.dump(out, sys.stdout, indent=1)
print()

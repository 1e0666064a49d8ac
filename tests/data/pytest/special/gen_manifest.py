#!/usr/bin/python3
"""Write manifest.json: the values pytest-benchmark wrote in the files of this folder, read back
with Python's own json module (which reads NaN, Infinity and integers of any size), and what
qbdb must keep of them. Run from this folder: /usr/bin/python3 gen_manifest.py > manifest.json

In the manifest (plain JSON), a value the file wrote beyond JSON is given as qbdb keeps it: NaN,
Infinity and -Infinity as the strings "NaN", "Infinity", "-Infinity", an integer beyond 64 bits as
the string of its decimal digits."""
import json
import math

FILES = {
    "special.json": "pytest --benchmark-json (stats.data always included in 3.2.2)",
    "saved_0001_special.json": "pytest --benchmark-save=special --benchmark-save-data, same run",
    "cprofile.json": "pytest --benchmark-cprofile=tottime --benchmark-json, a second run",
}


def kept(v):
    """v as qbdb keeps it in params / extra (see the module docstring)."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
        return str(v)
    if isinstance(v, dict):
        return {k: kept(x) for k, x in v.items()}
    if isinstance(v, list):
        return [kept(x) for x in v]
    return v


out = {
    "tool": "pytest-benchmark",
    "tool_version": "pytest-benchmark 3.2.2 (Debian package python3-pytest-benchmark 3.2.2-3)",
    "toolchain": "pytest 7.2.1, CPython 3.11.2 (/usr/bin/python3, Debian 12)",
    "test_file": "test_special.py",
    "made_by": "README.md in this folder",
    "files": [],
}
for name, how in FILES.items():
    with open(name) as f:
        text = f.read()
    d = json.loads(text)
    entry = {
        "file": name,
        "how": how,
        "version": d["version"],
        "datetime": d["datetime"],
        "machine": d["machine_info"]["node"],
        "benchmarks": [],
    }
    for b in d["benchmarks"]:
        s = b["stats"]
        mb = {
            "name": b["name"],
            "fullname": b["fullname"],
            "group": b["group"],
            "param": b["param"],
            "params_kept": kept(b["params"]),
            "extra_info_kept": kept(b["extra_info"]),
            "rounds": s["rounds"],
            "iterations": s["iterations"],
            "samples": len(s.get("data", [])),
            "stats": {k: s[k] for k in ("min", "max", "mean", "stddev", "median", "q1", "q3",
                                        "iqr", "ops", "total", "ld15iqr", "hd15iqr",
                                        "iqr_outliers", "stddev_outliers", "outliers")},
        }
        if "cprofile" in b:
            mb["cprofile_rows"] = len(b["cprofile"])
            mb["cprofile"] = b["cprofile"]
        entry["benchmarks"].append(mb)
    out["files"].append(entry)
print(json.dumps(out, indent=2, allow_nan=False))

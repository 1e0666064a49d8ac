#!/usr/bin/python3
"""Write manifest.json: the values pytest-benchmark 5.2.3 wrote in the files of pytest7/ and
pytest9/, read back with Python's own json module (which reads NaN, Infinity and integers of any
size), and what qbdb must keep of them. Run from this folder:
/usr/bin/python3 gen_manifest.py > manifest.json

As in ../special/gen_manifest.py, a value the file wrote beyond JSON is given as qbdb keeps it:
NaN, Infinity and -Infinity as the strings "NaN", "Infinity", "-Infinity", an integer beyond 64
bits as the string of its decimal digits. "started_at" is "datetime" in UTC, formatted as qbdb
formats a time (YYYY-MM-DDTHH:MM:SS.ffffffZ)."""
import glob
import json
import math
from datetime import timezone, datetime

HOW = {
    "special.json": "--benchmark-json with --benchmark-save=special --benchmark-save-data (run 1)",
    "storage/Linux-CPython-3.11-64bit/0001_special.json":
        "the copy --benchmark-save=special --benchmark-save-data saved of run 1",
    "storage/Linux-CPython-3.11-64bit/0002_unversioned_*.json":
        "--benchmark-autosave without --benchmark-save-data (run 2: no stats.data)",
    "cprofile.json": "--benchmark-cprofile=tottime --benchmark-json (run 3)",
    "groups.json": "test_groups.py, --benchmark-json (run 4)",
}
PYTEST = {"pytest7": "pytest 7.2.1 (Debian 12 python3-pytest)",
          "pytest9": "pytest 9.1.1 (Debian sid python3-pytest 9.1.1-1)"}


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
    "tool_version": "pytest-benchmark 5.2.3 (Debian sid package python3-pytest-benchmark 5.2.3-3)",
    "toolchain": "CPython 3.11.2 (/usr/bin/python3, Debian 12); pytest per file",
    "test_files": ["../special/test_special.py", "test_groups.py"],
    "made_by": "README.md and run.sh in this folder",
    "files": [],
}
for sub in ("pytest9", "pytest7"):
    for pattern, how in HOW.items():
        (name,) = glob.glob(f"{sub}/{pattern}")
        with open(name) as f:
            d = json.load(f)
        ci, mi = d["commit_info"], d["machine_info"]
        started = datetime.fromisoformat(d["datetime"]).astimezone(timezone.utc)
        entry = {
            "file": name,
            "pytest": PYTEST[sub],
            "how": how,
            "version": d["version"],
            "datetime": d["datetime"],
            "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "project": ci["project"],
            "branch": ci["branch"],
            "commit_id": ci["id"],
            "commit_info": kept(ci),
            "machine": mi["node"],
            "machine_info": kept(mi),
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
                "options": b["options"],
                "rounds": s["rounds"],
                "iterations": s["iterations"],
                "samples": len(s.get("data", [])),
                "data": s.get("data", []),
                "stats": {k: s[k] for k in ("min", "max", "mean", "stddev", "median", "q1", "q3",
                                            "iqr", "ops", "total", "ld15iqr", "hd15iqr",
                                            "iqr_outliers", "stddev_outliers", "outliers",
                                            "rounds", "iterations")},
                "keys": list(b),
            }
            if "cprofile" in b:
                mb["cprofile_rows"] = len(b["cprofile"])
                mb["cprofile"] = kept(b["cprofile"])
            entry["benchmarks"].append(mb)
        out["files"].append(entry)
print(json.dumps(out, indent=1, allow_nan=False))

#!/usr/bin/python3
"""Stores `qbdb bisect` sessions of the web test's "dash" project (tests/web/gen_db.py) for the
regressions view: its commits are not in any git repository, so the sessions are written into the
SQLite database directly, each state as service/bisect.c writes it (the fields the views read).

Usage: add_bisects.py DB REGRESSIONS_JSON OUT_JSON
  REGRESSIONS_JSON: `qbdb regressions --project dash --format json`
  OUT_JSON: what was stored, for tests/web/test_pages.mjs: {benchmark: {"id", "status",
            "outcome", "culprits": [{"before", "after", "commits", "subject", "change_pct",
            "confirmed"}]}}

Sessions, by the record's benchmark:
  steps/major     done, found: one commit, +14.8%, confirmed; and before it a step of +0.6% its
                  run budget did not confirm
  steps/critical  running (4 runs so far)
  steps/moderate  done, not reproduced
  steps/minor     none
"""
import json
import sqlite3
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: add_bisects.py DB REGRESSIONS_JSON OUT_JSON")
    db, regs_path, out_path = argv
    with open(regs_path) as f:
        regs = {r["benchmark"]: r for r in json.load(f)}
    base_us = 1796000000 * 1000000  # 2026-11-30, after the runs
    mid = "e1" * 20
    culprit = "e2" * 20
    plans = {
        "steps/major": ("done", {"outcome": "found", "runs": 41, "invocations": 41, "seconds": 12.5,
                                  "change_pct": 15.2, "tests": [], "steps": [
                                      {"before": None, "after": mid, "subject": "tidy the tokenizer",
                                       "commits": 1, "change_pct": 0.6, "p": 0.03,
                                       "confirmed": False},
                                      {"before": mid, "after": culprit,
                                       "subject": "parse: allocate a buffer per token",
                                       "commits": 1, "change_pct": 14.8, "p": 1e-5,
                                       "confirmed": True}]}),
        "steps/critical": ("running", None),
        "steps/moderate": ("done", {"outcome": "not reproduced", "runs": 10, "invocations": 10,
                                     "seconds": 3.0, "change_pct": 0.3, "tests": [],
                                     "steps": []}),
    }
    con = sqlite3.connect(db)
    out = {}
    for k, (bench, (status, result)) in enumerate(sorted(plans.items())):
        r = regs[bench]
        good, bad = r["prev_commit"], r["commit"]
        if result:
            for s in result["steps"]:
                if s["before"] is None:
                    s["before"] = good
        obs = [{"commit": i % 2, "ok": True, "value": 2000.0, "run": 0, "status": 0, "secs": 0.5}
               for i in range(4)]
        state = {"format": 1, "options": {"error": 0.05}, "commits": [],
                 "observations": obs, "command": {"argv": ["make", "bench"]}}
        if result:
            state["result"] = result
        started = base_us + k * 60000000
        cur = con.execute(
            "INSERT INTO bisect (project, regression_id, benchmark, metric, machine, good_commit,"
            " bad_commit, status, started_at, updated_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ("dash", r["id"], bench, r["metric"], r["machine"], good, bad, status, started,
             started + 30000000, json.dumps(state)))
        out[bench] = {"id": cur.lastrowid, "status": status,
                      "outcome": result["outcome"] if result else None,
                      "culprits": [{k2: s[k2] for k2 in ("before", "after", "commits", "subject",
                                                         "change_pct", "confirmed")}
                                   for s in (result["steps"] if result else [])]}
    con.commit()
    con.close()
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])

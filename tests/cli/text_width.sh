#!/usr/bin/env bash
# End to end: text tables pad by terminal display width (CJK, Hangul, emoji, combining accents,
# fullwidth names line up) and keep to COLUMNS, or the terminal's width, by shortening benchmark
# names in the middle ("a_very_lo…/n=1000000"); a pipe without COLUMNS gets whole names. The
# runs are real qbdb_runner output (tests/data/text_width/wide_names.c); display widths are
# Python's (tests/data/text_width/ref_widths.py, unicodedata.east_asian_width).
source "$(dirname "$0")/lib.bash"
unset COLUMNS NO_COLOR
W="$DATA/text_width"
LONG=a_very_long_benchmark_name_that_does_not_fit/n=1000000
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# widest, and distinct starts of the second column (the display column after the first run of
# two or more spaces), of the table lines in file $1 (from the header to the first blank line)
table_lines() { tr -d '\r' <"$1" | awk '/^benchmark|^id  /{t=1} t && /^$/{exit} t'; }
max_width() { "$PY" "$W/ref_widths.py" --max <(table_lines "$1"); }
col2_starts() {
  table_lines "$1" | "$PY" -c '
import re, sys
sys.path.insert(0, sys.argv[1])
from ref_widths import width
starts = set()
for line in sys.stdin:
    m = re.search(r"  +", line)
    if m and not line.startswith("geomean"):
        starts.add(width(line[: m.end()]))
print(" ".join(str(s) for s in sorted(starts)))' "$W"
}

run 0 "$QBDB" ingest "$W/run1.jsonl"
run 0 "$QBDB" ingest "$W/run2.jsonl"

# a pipe, no COLUMNS: whole names, and the second column starts at one display column on every
# line (the widest name, 👨‍👩‍👧 family at 13 columns, is passed by LONG at 54: 56)
"$QBDB" compare aaaa bbbb >"$TMP/cmp.txt"
contains "$(cat "$TMP/cmp.txt")" "$LONG  latency" "whole name on a pipe"
equals "$(grep -c '…' "$TMP/cmp.txt" || true)" 0 "nothing shortened on a pipe"
equals "$(col2_starts "$TMP/cmp.txt")" 56 "compare: the metric column lines up after CJK and emoji names"
"$QBDB" show bbbb >"$TMP/show.txt"
equals "$(col2_starts "$TMP/show.txt")" 56 "show: the metric column lines up"
# each table row is as wide as the next: the numbers are right-aligned after padded names
equals "$(table_lines "$TMP/show.txt" | sed 1d | "$PY" -c '
import sys; sys.path.insert(0, sys.argv[1]); from ref_widths import width
print(len({width(l.rstrip("\n")) for l in sys.stdin}))' "$W")" 1 "show: every row as wide"

# COLUMNS=90: compare's table keeps to 90 columns; the long name keeps its start and its
# parameter; CJK and emoji names that fit are whole; the numbers are whole
COLUMNS=90 "$QBDB" compare aaaa bbbb >"$TMP/cmp90.txt"
equals "$(max_width "$TMP/cmp90.txt")" 90 "COLUMNS=90: the table is 90 columns wide"
contains "$(cat "$TMP/cmp90.txt")" "a_very_l…/n=1000000  latency" "middle ellipsis keeps the parameter"
contains "$(cat "$TMP/cmp90.txt")" "排序/n=100           latency   128.2 ns" "CJK name whole"
contains "$(cat "$TMP/cmp90.txt")" "sort 🚀              cpu       128.4 ns   131.9 ns  +2.75%" "emoji name whole"
equals "$(col2_starts "$TMP/cmp90.txt")" 21 "COLUMNS=90: the metric column lines up"
# notes and the footer are prose, not tables: they keep whole names
contains "$(cat "$TMP/cmp90.txt")" "note: $LONG (memory)" "notes keep the whole name"

# COLUMNS=60 is narrower than compare's numbers (71 columns without a name): names go down to
# 12 columns and the numbers stay whole, so the table is 83 wide; show's 100
COLUMNS=60 "$QBDB" compare aaaa bbbb >"$TMP/cmp60.txt"
equals "$(max_width "$TMP/cmp60.txt")" 83 "COLUMNS=60: as narrow as names allow"
contains "$(cat "$TMP/cmp60.txt")" "a_very…00000  memory   1.523 MiB  1.488 MiB  -2.31%" "numbers whole"
COLUMNS=60 "$QBDB" show bbbb >"$TMP/show60.txt"
equals "$(max_width "$TMP/show60.txt")" 100 "show at COLUMNS=60"
# `runs` at 60 columns fits without shortening anything; at 40 the times and commits stay whole
COLUMNS=40 "$QBDB" runs >"$TMP/runs40.txt"
contains "$(cat "$TMP/runs40.txt")" "2026-12-07T21:48:59Z" "times are never shortened"
contains "$(cat "$TMP/runs40.txt")" "bbbb2222" "commits are never shortened"

# COLUMNS does not touch machine formats
COLUMNS=60 "$QBDB" compare --format json aaaa bbbb >"$TMP/cmp.json"
equals "$(jq -r '[.rows[] | .benchmark] | unique | map(select(startswith("a_very"))) | .[0]' "$TMP/cmp.json")" \
  "$LONG" "json keeps the whole name"
COLUMNS=60 "$QBDB" compare --format csv aaaa bbbb >"$TMP/cmp.csv"
contains "$(cat "$TMP/cmp.csv")" "$LONG," "csv keeps the whole name"
# a COLUMNS that is not a number is ignored (a pipe: whole names)
COLUMNS=wide "$QBDB" compare aaaa bbbb >"$TMP/cmpx.txt"
contains "$(cat "$TMP/cmpx.txt")" "$LONG  latency" "COLUMNS=wide is ignored"

# `token list` pads project and name by display width too: "created" starts at one column
run 0 "$QBDB" token create --scope write --project 排序 --name "ﾃｽﾄ token"
run 0 "$QBDB" token create --scope admin --name plain
"$QBDB" token list | sed 's/  created .*/  created/' >"$TMP/tokens.txt"
equals "$("$PY" -c '
import sys; sys.path.insert(0, sys.argv[1]); from ref_widths import width
print(sorted({width(l.rstrip("\n")) for l in open(sys.argv[2], encoding="utf-8")}))' "$W" "$TMP/tokens.txt")" \
  "[50]" "token list: names padded by display width"

# a terminal without COLUMNS: its width (a pty from script(1), set to 90 columns with stty)
if command -v script >/dev/null && command -v stty >/dev/null; then
  script -qec "stty cols 90 rows 50; env -u COLUMNS NO_COLOR=1 '$QBDB' compare aaaa bbbb" /dev/null \
    </dev/null >"$TMP/tty.txt"
  equals "$(max_width "$TMP/tty.txt")" 90 "a 90-column terminal"
  contains "$(tr -d '\r' <"$TMP/tty.txt")" "a_very_l…/n=1000000  latency" "shortened on a terminal"
else
  echo "skipped: no script(1) or stty for the terminal check"
fi

finish

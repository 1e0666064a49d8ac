#!/usr/bin/python3
"""Reference display widths for tests/core/test_utf8width.c and tests/cli/text_width.sh, from
Python's unicodedata (the rule of core/utf8width.h: East Asian Width W or F is two columns;
Mn, Me, Cf (but the soft hyphen and the prepended concatenation marks, which show) and Hangul
medial/final jamo U+1160..U+11FF, U+D7B0..U+D7FF are zero; the rest one).

  /usr/bin/python3 tests/data/text_width/ref_widths.py            the test strings and widths
  /usr/bin/python3 tests/data/text_width/ref_widths.py --max F...  the widest line of files F"""
import sys
import unicodedata as u


VISIBLE_CF = {0x00AD, 0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890,
              0x0891, 0x08E2, 0x110BD, 0x110CD}


def width(s):
    t = 0
    for c in s:
        cp = ord(c)
        cat = u.category(c)
        if cat in ("Mn", "Me") or (cat == "Cf" and cp not in VISIBLE_CF):
            continue
        if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:
            continue
        t += 2 if u.east_asian_width(c) in ("W", "F") else 1
    return t


STRINGS = ["排序/n=100", "sort 🚀", "한국어/정렬", "ｆｕｌｌ", "cafe\u0301", "caf\u00e9",
           "👨\u200d👩\u200d👧 family", "\u2764\ufe0f love", "µs", "ｱｲｳ", "\u1100\u1161\u11a8",
           "🦀", "🫠", "☕", "⌚", "…", "テスト", "e\ufe0e", "\U00020000", "a\u200bb"]

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--max":
        m = 0
        for path in sys.argv[2:]:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                for line in f:
                    m = max(m, width(line.rstrip("\n")))
        print(m)
    else:
        print(u.unidata_version)
        for s in STRINGS:
            print(width(s), s.encode("utf-8"))

#!/usr/bin/env python3
"""cjkchars.py - the Chinese characters a set of files uses, for the font subset.

    python3 tools/cjkchars.py FILE... > chars.txt

Prints each distinct character of the CJK blocks (ideographs, CJK
punctuation, full-width forms) found in the files, once, in code point
order, on one line. book/Makefile gives the list to hb-subset, which keeps
only those glyphs of the Chinese font; tests/render.py checks that every
one of them is drawn.
"""

import sys

RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3400, 0x4DBF),
          (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))


def is_cjk(ch):
    p = ord(ch)
    return any(a <= p <= b for a, b in RANGES)


def chars(paths):
    found = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            found.update(c for c in f.read() if is_cjk(c))
    return "".join(sorted(found))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: cjkchars.py FILE...")
    try:
        print(chars(sys.argv[1:]))
    except OSError as e:
        sys.exit("cjkchars: %s" % e)

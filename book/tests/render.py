#!/usr/bin/env python3
"""render.py - the built book as a reader's browser draws it.

    python3 book/tests/render.py        (make -C book check runs it)

Loads every HTML page of book/out/ and every page of the EPUB into
Debian's headless Chromium and checks what it lays out and draws:

  - Chinese is never tofu. Chromium runs with a fontconfig that knows
    only DejaVu (no Chinese font at all, as on many readers' machines),
    so the glyphs must come from the font the book carries. Each Chinese
    character of each page is drawn with the page's own font and with the
    reference, face 0 of the system's WenQuanYi Micro Hei copied out of
    its collection by this script (not by the build's hb-subset); the two
    drawings must be the same pixels. A control drawing without the
    book's font must differ, or the test could not have seen tofu.
  - No line of code or program output overflows its block, at the width
    of a desktop browser and of a phone; the page never scrolls sideways.
  - Every figure is at most 780 CSS pixels wide, and on a desktop it is
    shown at its natural size, not shrunk.

Pages are copied to a temporary folder with tests/probe.js added (the
book in out/ is left as built). Needs chromium-headless-shell (or
chromium) and the fonts of scripts/deps.sh --all; run `make -C book`
first.
"""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

BOOK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(BOOK, "out")
PROBE = os.path.join(BOOK, "tests", "probe.js")
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LATIN_FONTS = "/usr/share/fonts/truetype/dejavu"
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
WIDTHS = ((1400, "desktop"), (420, "phone"))
EPUB_WIDTH = 800
MAX_FIGURE = 780

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  %s
  <cachedir>%s</cachedir>
</fontconfig>
"""


def ttc_face(data, index=0):
    """Face `index` of a TrueType collection as a font file of its own:
    its tables, unchanged, behind a table directory of their own."""
    if data[:4] != b"ttcf":
        return data
    count = struct.unpack(">I", data[8:12])[0]
    if index >= count:
        raise ValueError("the collection has %d faces" % count)
    off = struct.unpack(">I", data[12 + 4 * index:16 + 4 * index])[0]
    ntables = struct.unpack(">H", data[off + 4:off + 6])[0]
    records = [struct.unpack(">4sIII", data[off + 12 + 16 * i:off + 28 + 16 * i])
               for i in range(ntables)]
    pos = 12 + 16 * ntables
    directory, body = bytearray(), bytearray()
    for tag, checksum, toff, tlen in records:
        table = data[toff:toff + tlen]
        directory += struct.pack(">4sIII", tag, checksum, pos + len(body), tlen)
        body += table + b"\0" * (-len(table) % 4)
    return bytes(data[off:off + 12]) + bytes(directory) + bytes(body)


def browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Renderer:
    def __init__(self, exe, work):
        self.exe = exe
        self.work = work
        conf = os.path.join(work, "fonts.conf")
        dirs = "<dir>%s</dir>" % LATIN_FONTS if os.path.isdir(LATIN_FONTS) else ""
        with open(conf, "w", encoding="utf-8") as f:
            f.write(FONTS_CONF % (dirs, os.path.join(work, "fc-cache")))
        self.env = dict(os.environ, FONTCONFIG_FILE=conf)
        self.profile = os.path.join(work, "profile")

    def probe(self, path, width):
        """The probe's JSON for the page at path, at a window `width` wide."""
        argv = [self.exe, "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=" + self.profile,
                "--window-size=%d,900" % width, "--virtual-time-budget=15000",
                "--dump-dom", "file://" + path]
        p = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        dom = p.stdout.decode("utf-8", "replace")
        m = re.search(r'<pre id="render-probe">(.*?)</pre>', dom, re.S)
        if not m:
            raise RuntimeError("%s: Chromium left no probe result (exit %d): %s"
                               % (path, p.returncode,
                                  p.stderr.decode("utf-8", "replace")[-300:]))
        text = (m.group(1).replace("&lt;", "<").replace("&gt;", ">")
                .replace("&quot;", '"').replace("&amp;", "&"))
        return json.loads(text)


def with_probe(path):
    """Add the probe to the page at path (HTML or XHTML), in place."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tag = '<script src="render-probe.js"></script>'
    if "</body>" not in text:
        raise RuntimeError("%s has no </body>" % path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", tag + "</body>", 1))


def check_chars(where, chars):
    problems = []
    for c in chars:
        if c["page"] != c["reference"]:
            problems.append("%s: %s (U+%04X, font %s) is not drawn with the book's "
                            "Chinese font: tofu or another font"
                            % (where, c["ch"], ord(c["ch"]), c["family"]))
        elif c["control"] == c["reference"]:
            problems.append("%s: %s is drawn even without the book's font: this "
                            "machine has Chinese glyphs of its own, so the test "
                            "proves nothing" % (where, c["ch"]))
    return problems


def check_layout(where, lay, desktop):
    problems = []
    for o in lay["overflow"]:
        problems.append("%s: %s: %r" % (where, o["why"], o["text"][:90]))
    if lay["pageWidth"] > lay["viewWidth"]:
        problems.append("%s: the page is %dpx wide in a %dpx window: it scrolls sideways (%s)"
                        % (where, lay["pageWidth"], lay["viewWidth"], lay["widest"]))
    for fig in lay["figures"]:
        if fig["natural"] > MAX_FIGURE:
            problems.append("%s: figure %s is %dpx wide, more than %dpx"
                            % (where, fig["src"], fig["natural"], MAX_FIGURE))
        elif desktop and abs(fig["shown"] - fig["natural"]) > 1:
            problems.append("%s: figure %s is shown %dpx wide, not at its natural %dpx"
                            % (where, fig["src"], fig["shown"], fig["natural"]))
    return problems


def main():
    exe = browser()
    if not exe:
        print("render: no Chromium (install chromium-headless-shell: scripts/deps.sh --all)",
              file=sys.stderr)
        return 1
    if not os.path.exists(CJK_FONT):
        print("render: no %s (install fonts-wqy-microhei: scripts/deps.sh --all)"
              % CJK_FONT, file=sys.stderr)
        return 1
    epub = os.path.join(OUT, "vmmlab.epub")
    if not os.path.exists(epub):
        print("render: no book in %s: run make -C book first" % OUT, file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="book-render-")
    try:
        return run(exe, work, epub)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepare(folder, reference):
    shutil.copy(PROBE, os.path.join(folder, "render-probe.js"))
    with open(os.path.join(folder, "render-reference.ttf"), "wb") as f:
        f.write(reference)


def run(exe, work, epub):
    with open(CJK_FONT, "rb") as f:
        reference = ttc_face(f.read(), 0)
    r = Renderer(exe, work)
    problems, pages, nchars = [], 0, 0
    nlines, wrapped = {}, {}

    html = os.path.join(work, "html")
    shutil.copytree(OUT, html, ignore=shutil.ignore_patterns(".*", "*.epub"))
    prepare(html, reference)
    names = sorted(n for n in os.listdir(html) if n.endswith(".html"))
    for n in names:
        with_probe(os.path.join(html, n))
    for n in names:
        for width, kind in WIDTHS:
            res = r.probe(os.path.join(html, n), width)
            where = "%s (%s, %dpx)" % (n, kind, width)
            if "error" in res:
                problems.append("%s: the probe failed: %s" % (where, res["error"]))
                continue
            pages += 1
            nchars += len(res["chars"])
            nlines[kind] = nlines.get(kind, 0) + res["layout"]["lines"]
            wrapped[kind] = wrapped.get(kind, 0) + res["layout"]["wrapped"]
            problems += check_chars(where, res["chars"])
            problems += check_layout(where, res["layout"], kind == "desktop")

    book = os.path.join(work, "epub")
    with zipfile.ZipFile(epub) as z:
        z.extractall(book)
    text = os.path.join(book, "EPUB", "text")
    prepare(text, reference)
    for n in sorted(os.listdir(text)):
        if not n.endswith(".xhtml"):
            continue
        with_probe(os.path.join(text, n))
        res = r.probe(os.path.join(text, n), EPUB_WIDTH)
        where = "vmmlab.epub %s (%dpx)" % (n, EPUB_WIDTH)
        if "error" in res:
            problems.append("%s: the probe failed: %s" % (where, res["error"]))
            continue
        pages += 1
        nchars += len(res["chars"])
        problems += check_chars(where, res["chars"])
        problems += check_layout(where, res["layout"], False)

    for p in problems:
        print("book: render: " + p, file=sys.stderr)
    lines = ", ".join("%d on a %s (%d wrapped)" % (nlines[k], k, wrapped[k])
                      for _, k in WIDTHS if k in nlines)
    print("render: %d page renders, %d Chinese glyphs compared, code and output "
          "lines: %s; %d problems" % (pages, nchars, lines, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""test_book.py - tests of the book's build (book/Makefile, filters/book.lua).

    python3 book/tests/test_book.py        (or: make -C book check)

Most tests build a throwaway book in a temporary directory, through the
real Makefile with SRC, ROOT and OUT pointed at it, and check that:
excerpts by function, struct and region come out exactly as the source
says, without exercise or excerpt markers; with HANDOUT= a student
handout, a stubbed exercise is quoted as the handout has it (and `make
md` writes Markdown pages); a missing file, function,
region, figure or link target fails the build with one line naming it.
The last tests read the real book in book/out/: every link and image of
every HTML page and of the EPUB resolves.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

BOOK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BOOK)

# The handout's marker format (grading/README.md, "Exercise regions").
BEGIN_RE = re.compile(r"^[ \t]*/\*\s*EXERCISE\b")
END_RE = re.compile(r"^[ \t]*/\*\s*END\s+EXERCISE\b")

DEMO_C = """\
/* demo.c - a source file for the book's tests. */
#include <stdio.h>

int demo_run(int x);
int demo_proto(void);

struct demo {
\tint a;
\tint b;
};

/* The comment above demo_run. */
int demo_run(int x)
{
\tint y = x;

\t/* EXERCISE 9.demo: Double it.
\t *
\t * Tests: unit.demo
\t * Stub: return -1;
\t */
\ty = 2 * x;
\t/* END EXERCISE 9.demo */
\treturn y;
}

static void
demo_other(void)
{
\t/* excerpt: inner */
\tputs("inner line");
\t/* excerpt: nested */
\tputs("nested line");
\t/* end excerpt: nested */
\t/* end excerpt: inner */
}

/* excerpt: open */
int never_closed;
"""

DEMO_ASM = """\
; demo.asm - nasm source for the book's tests.
bits 16
; excerpt: greet
\tmov si, msg
\tcall puts
; end excerpt: greet
\thlt
"""

DEMO_DOT = "digraph demo { a -> b; }\n"

INDEX = """\
# Test book

A front page. See [the chapter](ch01-demo.md).
"""


def page_text(path):
    """The visible text of an HTML page: tags dropped, entities decoded."""
    with open(path, encoding="utf-8") as f:
        s = f.read()
    s = re.sub(r"<[^>]+>", "", s)
    return html.unescape(s)


class TinyBook:
    """A throwaway book: pages in src/, sources in root/, output in out/."""

    def __init__(self, chapter, root=None, index=INDEX, pages=None):
        self.dir = tempfile.mkdtemp(prefix="book-test-")
        self.src = os.path.join(self.dir, "src")
        self.out = os.path.join(self.dir, "out")
        self.root = root or os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.src, "figures"))
        if root is None:
            os.makedirs(os.path.join(self.root, "src"))
            self.write(os.path.join(self.root, "src", "demo.c"), DEMO_C)
            self.write(os.path.join(self.root, "src", "demo.asm"), DEMO_ASM)
        self.write(os.path.join(self.src, "figures", "demo.dot"), DEMO_DOT)
        self.write(os.path.join(self.src, "index.md"), index)
        self.write(os.path.join(self.src, "ch01-demo.md"), chapter)
        for name, text in (pages or {}).items():
            self.write(os.path.join(self.src, name), text)

    @staticmethod
    def write(path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def build(self, goal="html", *extra):
        p = subprocess.run(
            ["make", "--no-print-directory", "-C", BOOK, goal,
             "SRC=" + self.src, "ROOT=" + self.root, "OUT=" + self.out] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=120)
        return p.returncode, p.stderr

    def text(self, page="ch01-demo.html"):
        return page_text(os.path.join(self.out, page))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def chapter(*blocks):
    return "# Demo chapter\n\n## First {#first}\n\n" + "\n\n".join(blocks) + "\n"


def excerpt(path, **attrs):
    a = " ".join('%s="%s"' % kv for kv in attrs.items())
    return '```{.c include="%s" %s}\n```' % (path, a)


class BookCase(unittest.TestCase):
    def tiny(self, *args, **kw):
        b = TinyBook(*args, **kw)
        self.addCleanup(b.close)
        return b

    def assertFailsNaming(self, book, *words):
        rc, err = book.build()
        self.assertNotEqual(rc, 0, "the build should have failed")
        lines = [l for l in err.splitlines() if l.startswith("book: ")]
        self.assertEqual(len(lines), 1, "expected one 'book:' line, got:\n" + err)
        for w in words:
            self.assertIn(w, lines[0])
        self.assertFalse(os.path.exists(os.path.join(book.out, "ch01-demo.html")),
                         "no page may be left behind by a failed build")


class Excerpts(BookCase):
    def test_function_is_the_definition_without_exercise_markers(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run")))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = b.text()
        # The definition, tabs as 8 spaces, markers gone, reference kept.
        want = ("int demo_run(int x)\n{\n        int y = x;\n\n"
                "        y = 2 * x;\n        return y;\n}")
        self.assertIn(want, text)
        self.assertNotIn("EXERCISE", text)
        self.assertNotIn("Stub:", text)
        self.assertNotIn("int demo_run(int x);", text)   # not the prototype
        self.assertNotIn("The comment above", text)
        self.assertIn("src/demo.c: demo_run()", " ".join(text.split()))  # the label

    def test_function_with_its_comment_and_type_line(self):
        b = self.tiny(chapter(
            excerpt("src/demo.c", function="demo_run", comment="yes"),
            excerpt("src/demo.c", function="demo_other")))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = b.text()
        self.assertIn("/* The comment above demo_run. */\nint demo_run(int x)", text)
        # "static void" on its own line belongs to demo_other; excerpt
        # markers inside a function excerpt are dropped.
        self.assertIn('static void\ndemo_other(void)\n{\n        puts("inner line");\n'
                      '        puts("nested line");\n}', text)
        self.assertNotIn("excerpt:", text)

    def test_struct(self):
        b = self.tiny(chapter(excerpt("src/demo.c", struct="demo")))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        self.assertIn("struct demo {\n        int a;\n        int b;\n};", b.text())

    def test_regions_in_c_and_nasm(self):
        b = self.tiny(chapter(
            excerpt("src/demo.c", region="inner"),
            '```{.nasm include="src/demo.asm" region="greet"}\n```'))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = b.text()
        # Dedented; the nested region's markers dropped, its code kept.
        self.assertIn('puts("inner line");\nputs("nested line");\n', text)
        self.assertIn("mov si, msg\ncall puts\n", text)
        self.assertNotIn("excerpt:", text)
        self.assertNotIn("hlt", text)

    def test_lab_source_by_function_name(self):
        """The real lab: vcpu_handle_exit() as run.c has it, markers out."""
        path = "labs/01-vm-entry/src/core/run.c"
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            lines = f.read().splitlines()
        first = lines.index("int vcpu_handle_exit(struct vcpu *vcpu)")
        last = next(i for i in range(first, len(lines)) if lines[i] == "}")
        want, skip = [], False
        for line in lines[first:last + 1]:
            if BEGIN_RE.match(line):
                skip = True
            if not skip and not END_RE.match(line):
                want.append(line.expandtabs(8))
            if skip and line.rstrip().endswith("*/"):
                skip = False
        self.assertIn("        case KVM_EXIT_IO:", want)

        b = self.tiny(chapter(excerpt(path, function="vcpu_handle_exit")),
                      root=REPO)
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = b.text()
        self.assertIn("\n".join(want), text)
        self.assertNotIn("EXERCISE", text)

    def test_epub_holds_the_excerpt(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run")))
        rc, err = b.build("epub")
        self.assertEqual(rc, 0, err)
        with zipfile.ZipFile(os.path.join(b.out, "vmmlab.epub")) as z:
            body = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                           if n.endswith(".xhtml"))
        self.assertIn("y = 2 * x;", html.unescape(re.sub(r"<[^>]+>", "", body)))


    def test_lines_keep_ranges_and_elide_the_rest(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run",
                                      lines="1-3,6-7")))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = b.text()
        # Lines 4 (blank) and 5 become one "...", indented like line 5.
        self.assertIn("int demo_run(int x)\n{\n        int y = x;\n"
                      "        ...\n        return y;\n}", text)
        self.assertNotIn("2 * x", text)
        self.assertIn("demo_run(), abridged", " ".join(text.split()))

    def test_lines_to_the_end(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run", lines="1,5-")))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        self.assertIn("int demo_run(int x)\n...\n        y = 2 * x;\n"
                      "        return y;\n}", b.text())


# demo.c as a handout has it: exercise 9.demo stubbed, a TODO in its place;
# and a helper of the exercise (demo_twice) that the stub leaves out.
DEMO_HANDOUT_C = DEMO_C.replace("""\t/* EXERCISE 9.demo: Double it.
\t *
\t * Tests: unit.demo
\t * Stub: return -1;
\t */
\ty = 2 * x;
\t/* END EXERCISE 9.demo */
""", """\t/* TODO 9.demo: Double it.
\t *
\t * Checked by: unit.demo (make check-lab 9)
\t */
\treturn -1;
""")


class Handout(BookCase):
    """HANDOUT=DIR: an excerpt of a stubbed exercise comes from the handout."""

    def handout(self, text=DEMO_HANDOUT_C):
        d = tempfile.mkdtemp(prefix="book-handout-")
        self.addCleanup(shutil.rmtree, d, True)
        os.makedirs(os.path.join(d, "src"))
        TinyBook.write(os.path.join(d, "src", "demo.c"), text)
        return d

    def test_stubbed_exercise_shows_the_stub_whole(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run", lines="1-3"),
                              excerpt("src/demo.c", struct="demo")))
        rc, err = b.build("html", "HANDOUT=" + self.handout())
        self.assertEqual(rc, 0, err)
        text = b.text()
        self.assertNotIn("2 * x", text)
        self.assertIn("/* TODO 9.demo: Double it.", text)
        self.assertIn("return -1;\n        return y;\n}", text)   # whole: lines= ignored
        self.assertIn("demo_run(), as in your handout: exercise 9.demo is yours to write",
                      " ".join(text.split()))
        self.assertIn("struct demo {", text)       # not an exercise: as it is

    def test_unchanged_or_missing_copy_keeps_the_reference(self):
        # An earlier lab's exercise, markers removed and code kept, reads
        # as the reference; so does a file the handout does not have.
        kept = DEMO_C.replace("\t/* END EXERCISE 9.demo */\n", "")
        kept = re.sub(r"\t/\* EXERCISE 9.demo:.*?\*/\n", "", kept, flags=re.S)
        gone = self.handout("")
        os.unlink(os.path.join(gone, "src", "demo.c"))
        for d in (self.handout(kept), gone):
            b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run", lines="1-3,6-7")))
            rc, err = b.build("html", "HANDOUT=" + d)
            self.assertEqual(rc, 0, err)
            self.assertIn("demo_run(), abridged", " ".join(b.text().split()))

    def test_helper_the_stub_leaves_out(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run")))
        rc, err = b.build("html", "HANDOUT=" + self.handout(
            DEMO_HANDOUT_C.replace("int demo_run(int x)\n{", "int demo_ran(int x)\n{")))
        self.assertEqual(rc, 0, err)
        text = " ".join(b.text().split())
        self.assertIn("demo_run(), part of exercise 9.demo, yours to write", text)
        self.assertNotIn("2 * x", text)

    def test_markdown_pages(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run"),
                              "See [](#first) and [the front](index.md)."))
        rc, err = b.build("md", "HANDOUT=" + self.handout())
        self.assertEqual(rc, 0, err)
        with open(os.path.join(b.out, "md", "ch01-demo.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertTrue(md.startswith("# Chapter 1: Demo chapter"), md[:80])
        self.assertIn("## 1.1 First", md)
        self.assertIn("[section 1.1](#first)", md)
        self.assertIn("(index.md)", md)
        self.assertIn("/* TODO 9.demo: Double it.", md)
        self.assertNotIn("<span", md)
        self.assertNotIn("2 * x", md)


class Reading(BookCase):
    """Code, output and inline code as the filter writes them for reading."""

    def html(self, b, page="ch01-demo.html"):
        with open(os.path.join(b.out, page), encoding="utf-8") as f:
            return f.read()

    def test_each_line_hangs_under_its_own_text(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run"),
                              '```{.transcript cmd="x"}\nvmm: one\n      indented\n```'))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        h = self.html(b)
        # a continuation starts 4 columns right of the line's own text
        self.assertIn('<span style="--hang:4ch">vmm: one</span>', h)
        self.assertIn('<span style="--hang:10ch">      indented</span>', h)
        self.assertRegex(h, r'<span style="--hang:12ch">        <span class="cf">return</span>')
        self.assertNotIn('aria-hidden', h)        # no line anchors left

    def test_inline_code_breaks_only_at_spaces(self):
        b = self.tiny(chapter("Run `make -C guests` and `--trace`, not `plain`."))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        h = self.html(b)
        self.assertIn('<code>make <span class="nobreak">-C</span> guests</code>', h)
        self.assertIn('<code><span class="nobreak">--trace</span></code>', h)
        self.assertIn("<code>plain</code>", h)

    def test_chinese_is_marked(self):
        b = self.tiny(chapter("A **VM exit (虚拟机退出)** leaves."))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        self.assertIn('<span lang="zh-Hans">虚拟机退出</span>', self.html(b))

    def test_figures_link_to_their_svg(self):
        b = self.tiny(chapter("![A figure](figures/demo.svg){#fig-demo}"))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        self.assertRegex(self.html(b), r'<figure id="fig-demo"><a href="figures/demo.svg"[^>]*>'
                                       r'<img src="figures/demo.svg"')


GLOSSARY_CHAPTER = chapter("""## Map {#seed-map}

| this chapter | book A | key terms |
|---|---|---|
| [First](#first) | §1.1.1 陷入和模拟模型 | trap and emulate (陷入和模拟); VM exit (虚拟机退出) |
| [First](#first), [map](#seed-map) | §1.3 x | Another term (另一个) |
| [First](#first) | §1.4 | — |""")

GLOSSARY_PAGE = "# Glossary\n\n::: {#glossary}\n:::\n"


class Glossary(BookCase):
    def test_terms_of_every_chapter_sorted_and_linked(self):
        b = self.tiny(GLOSSARY_CHAPTER, pages={"glossary.md": GLOSSARY_PAGE})
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        text = " ".join(b.text("glossary.html").split())
        self.assertIn("English 中文 explained in book A "
                      "Another term 另一个 section 1.1 book A §1.3 "
                      "trap and emulate 陷入和模拟 section 1.1 book A §1.1.1 "
                      "VM exit 虚拟机退出 section 1.1 book A §1.1.1", text)
        with open(os.path.join(b.out, "glossary.html"), encoding="utf-8") as f:
            self.assertIn('href="ch01-demo.html#first"', f.read())

    def test_a_term_without_its_chinese_fails(self):
        bad = GLOSSARY_CHAPTER.replace("VM exit (虚拟机退出)", "VM exit 虚拟机退出")
        b = self.tiny(bad, pages={"glossary.md": GLOSSARY_PAGE})
        rc, err = b.build()
        self.assertNotEqual(rc, 0)
        self.assertIn('key term "VM exit 虚拟机退出"', err)


class Failures(BookCase):
    def test_missing_function(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_nope")))
        self.assertFailsNaming(b, "ch01-demo.md", "function demo_nope", "src/demo.c")

    def test_prototype_or_call_is_not_a_definition(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_proto")))
        self.assertFailsNaming(b, "function demo_proto")
        b = self.tiny(chapter(excerpt("src/demo.c", function="puts")))
        self.assertFailsNaming(b, "function puts")

    def test_missing_file(self):
        b = self.tiny(chapter(excerpt("src/nope.c", function="demo_run")))
        self.assertFailsNaming(b, "no file src/nope.c")

    def test_missing_region(self):
        b = self.tiny(chapter(excerpt("src/demo.c", region="nope")))
        self.assertFailsNaming(b, "region nope", "src/demo.c")

    def test_unclosed_region(self):
        b = self.tiny(chapter(excerpt("src/demo.c", region="open")))
        self.assertFailsNaming(b, "region open", "no end marker")

    def test_lines_out_of_range(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run", lines="5-9")))
        self.assertFailsNaming(b, 'lines="5-9"', "within its 7 lines")

    def test_lines_out_of_order(self):
        b = self.tiny(chapter(excerpt("src/demo.c", function="demo_run", lines="4-5,2")))
        self.assertFailsNaming(b, 'lines="4-5,2"')

    def test_missing_struct(self):
        b = self.tiny(chapter(excerpt("src/demo.c", struct="nope")))
        self.assertFailsNaming(b, "struct nope")

    def test_missing_figure(self):
        b = self.tiny(chapter("![A figure](figures/nope.svg){#fig-nope}"))
        self.assertFailsNaming(b, "missing figure figures/nope.svg")

    def test_existing_figure_is_rendered_and_numbered(self):
        b = self.tiny(chapter("![A figure](figures/demo.svg){#fig-demo}",
                              "See [](#fig-demo) and [](#first)."))
        rc, err = b.build()
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(b.out, "figures", "demo.svg")))
        prose = " ".join(b.text().split())
        self.assertIn("Figure 1.1: A figure", prose)
        self.assertIn("See Figure 1.1 and section 1.1.", prose)

    def test_broken_link_on_the_page(self):
        b = self.tiny(chapter("See [here](#nope)."))
        self.assertFailsNaming(b, "#nope")

    def test_link_to_a_page_not_in_the_book(self):
        b = self.tiny(chapter("See [chapter 2](ch02-memory.md)."))
        self.assertFailsNaming(b, "ch02-memory.md")

    def test_link_to_a_missing_id_on_another_page(self):
        b = self.tiny(chapter("Back to [the start](index.md#nope)."))
        self.assertFailsNaming(b, "index.md#nope")

    def test_link_outside_the_book(self):
        b = self.tiny(chapter("See [the code](../labs/01-vm-entry/src/run.c)."))
        self.assertFailsNaming(b, "../labs/01-vm-entry/src/run.c")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import transcripts  # noqa: E402


class Transcripts(unittest.TestCase):
    """tests/transcripts.py, on commands that need no KVM."""

    CMD = ("sh -c 'echo out one; echo trace   12 IO port 0x80; "
           "echo vmm:   per exit, round trip   27483 ns >&2; echo out two; exit 3'")

    def check(self, body, cmd=None):
        return transcripts.check_block("page.md", 1, {"cmd": cmd or self.CMD},
                                       body.splitlines())

    def test_real_output_passes(self):
        self.assertEqual(self.check(
            "$ vmm guest\nout one\n...\nout two\n"
            "vmm:   per exit, round trip            18620 ns\n$ echo $?\n3"), [])

    def test_trace_numbers_and_times_are_not_compared(self):
        self.assertEqual(self.check("trace 9999 IO port 0x80"), [])

    def test_a_vcpus_trace_numbers_are_not_compared(self):
        """From lab 03 on a trace line names its vCPU, "trace cpu1 <exit>":
        the number is not compared (its width neither), the vCPU is."""
        cmd = "sh -c 'echo \"trace cpu1      7 HLT       IF=1\" >&2'"
        self.assertEqual(self.check("trace cpu1  12345 HLT       IF=1", cmd), [])
        self.assertEqual(len(self.check("trace cpu0      7 HLT       IF=1", cmd)), 1)

    def test_a_line_it_did_not_print(self):
        p = self.check("out one\nout three")
        self.assertEqual(len(p), 1)
        self.assertIn("'out three'", p[0])

    def test_order_within_a_stream(self):
        self.assertEqual(len(self.check("out two\nout one")), 1)

    def test_exit_status(self):
        p = self.check("out one\n$ echo $?\n0")
        self.assertEqual(len(p), 1)
        self.assertIn("exited with 3", p[0])

    def test_block_without_command(self):
        p = transcripts.check_block("page.md", 7, {}, ["x"])
        self.assertIn("page.md:7", p[0])

    def test_blocks_are_found_in_a_page(self):
        d = tempfile.mkdtemp(prefix="book-test-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "ch01-x.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write('# X\n\n```{.transcript cmd="true"}\na\nb\n```\n\n'
                    '```{.c}\nint x;\n```\n')
        self.assertEqual(list(transcripts.blocks(path)),
                         [(3, {"cmd": "true"}, ["a", "b"])])


def html_ids_and_refs(text):
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    refs = re.findall(r'\b(?:href|src)="([^"]+)"', text)
    return ids, refs


class RealBook(unittest.TestCase):
    """The book in book/out/, as `make -C book` built it."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(BOOK, "out")
        if not os.path.exists(os.path.join(cls.out, "vmmlab.epub")):
            subprocess.run(["make", "--no-print-directory", "-C", BOOK],
                           check=True)

    def check_refs(self, files, what):
        """files: name -> text. Every local href/src must resolve."""
        ids = {name: html_ids_and_refs(t)[0] for name, t in files.items()}
        bad = []
        for name, t in files.items():
            for ref in html_ids_and_refs(t)[1]:
                if re.match(r"^[a-z][a-z0-9+.-]*:", ref):
                    continue            # https:, mailto:
                path, _, frag = ref.partition("#")
                target = os.path.normpath(os.path.join(os.path.dirname(name), path)) \
                    if path else name
                if path and target not in files and not what(target):
                    bad.append("%s: %s (no file)" % (name, ref))
                elif frag and target in ids and frag not in ids[target]:
                    bad.append("%s: %s (no id)" % (name, ref))
        self.assertEqual(bad, [])

    def test_html_links_and_images(self):
        files = {}
        for n in os.listdir(self.out):
            if n.endswith(".html"):
                with open(os.path.join(self.out, n), encoding="utf-8") as f:
                    files[n] = f.read()
        self.assertIn("index.html", files)
        self.assertIn("ch01-vm-entry.html", files)
        self.check_refs(files, lambda p: os.path.exists(os.path.join(self.out, p)))
        ch1 = files["ch01-vm-entry.html"]
        self.assertIn('id="search-box"', ch1)
        self.assertIn('href="ch01-vm-entry.html"', files["index.html"])
        self.assertGreaterEqual(len(re.findall(r'<img src="figures/[^"]+\.svg"', ch1)), 3)

    def test_epub_links_and_images(self):
        with zipfile.ZipFile(os.path.join(self.out, "vmmlab.epub")) as z:
            names = set(z.namelist())
            files = {n: z.read(n).decode("utf-8") for n in names
                     if n.endswith(".xhtml")}
        self.check_refs(files, lambda p: p in names)
        body = "".join(files.values())
        self.assertIn("vcpu_handle_exit", body)
        self.assertGreaterEqual(len([n for n in names if n.endswith(".svg")]), 3)


    def chapters(self):
        return sorted(n for n in os.listdir(BOOK) if re.match(r"^ch\d\d-.*\.md$", n))

    def test_figures_fit_the_page_and_carry_no_doctype(self):
        """A figure is at most 780 CSS pixels (585 pt) wide, so it is shown
        at its natural size; an SVG DOCTYPE is an error in an EPUB."""
        figs = os.path.join(self.out, "figures")
        names = sorted(n for n in os.listdir(figs) if n.endswith(".svg"))
        self.assertGreaterEqual(len(names), 9)
        for n in names:
            with open(os.path.join(figs, n), encoding="utf-8") as f:
                svg = f.read()
            self.assertNotIn("<!DOCTYPE", svg, n)
            width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))
            self.assertLessEqual(width, 585, "%s is %gpt wide" % (n, width))

    def test_figure_text_is_not_smaller_than_10pt(self):
        for n in os.listdir(os.path.join(BOOK, "figures")):
            with open(os.path.join(BOOK, "figures", n), encoding="utf-8") as f:
                sizes = [float(x) for x in re.findall(r"fontsize\s*=\s*\"?([\d.]+)", f.read())]
            self.assertTrue(sizes and min(sizes) >= 10, "%s: font sizes %s" % (n, sizes))

    def test_epub_pages_are_titled_by_their_chapter(self):
        with zipfile.ZipFile(os.path.join(self.out, "vmmlab.epub")) as z:
            pages = {n: z.read(n).decode("utf-8") for n in z.namelist()
                     if n.startswith("EPUB/text/ch")}
        titles = []
        for n, text in sorted(pages.items()):
            title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
            h1 = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S).group(1)
            self.assertEqual(" ".join(title.split()),
                             " ".join(html.unescape(re.sub(r"<[^>]+>", "", h1)).split()), n)
            titles.append(title)
        self.assertIn("Chapter 1: VM entry and exit", titles)

    def test_epub_carries_its_chinese_font(self):
        with zipfile.ZipFile(os.path.join(self.out, "vmmlab.epub")) as z:
            names = z.namelist()
            css = "".join(z.read(n).decode("utf-8") for n in names if n.endswith(".css"))
        self.assertIn("EPUB/fonts/cjk.ttf", names)
        self.assertIn('font-family: "vmmlab CJK"', css)
        self.assertIn('url("../fonts/cjk.ttf")', css)

    def test_pdf_has_every_chapter_and_its_chinese_font(self):
        with open(os.path.join(self.out, "vmmlab.pdf"), "rb") as f:
            pdf = f.read()
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertIn(b"WenQuanYiMicroHei", pdf)          # the Chinese font, embedded
        with open(os.path.join(self.out, "print.html"), encoding="utf-8") as f:
            printed = f.read()
        for n in self.chapters():
            self.assertIn('id="%s"' % n[:-3], printed)

    def test_every_chapter_ends_with_questions_and_its_map(self):
        """The rule for every chapter: a {#questions} section with a
        numbered list, then the {#seed-map} table with its key terms,
        each written "English (中文)" (the glossary is made of them)."""
        for n in self.chapters():
            with open(os.path.join(BOOK, n), encoding="utf-8") as f:
                text = f.read()
            heads = re.findall(r"^## .*\{#([\w-]+)\}", text, re.M)
            self.assertEqual(heads[-2:], ["questions", "seed-map"], n)
            questions = text.split("{#questions}")[1].split("\n## ")[0]
            numbers = [int(x) for x in re.findall(r"^\s*(\d+)\. ", questions, re.M)]
            self.assertGreaterEqual(len(numbers), 5, n)
            self.assertEqual(numbers, list(range(1, len(numbers) + 1)), n)
            table = text.split("{#seed-map}")[1]
            self.assertIn("| key terms |", table, n)
            for row in re.findall(r"^\|(.*)\|\s*$", table, re.M)[2:]:
                terms = row.split("|")[-1].strip()
                if terms == "—":
                    continue
                for t in terms.split(";"):
                    self.assertRegex(t.strip(), r"^[^()]+ \([^()]+\)$", n)

    def test_book_a_sections_are_written_distinctly(self):
        """In running text a section of book A is "book A §2.4" (a list
        may go on "§2.4 and §2.5"), never a bare §, which a reader could
        take for this book's section 2.4."""
        chain = re.compile(r"book A §[\d.]*\d(?:(?:,| and| or|–)\s*§?[\d.]*\d)*", re.I)
        for n in ["index.md"] + self.chapters():
            with open(os.path.join(BOOK, n), encoding="utf-8") as f:
                lines = f.read().split("\n")
            prose = " ".join(l for l in lines if not l.startswith("|"))
            prose = re.sub(r"```.*?```", "", prose, flags=re.S)
            prose = " ".join(prose.split())
            self.assertNotRegex(prose, r"(?i)book A book A", n)
            left = chain.sub("", prose)
            bare = [left[max(0, i - 40):i + 10] for i in
                    (m.start() for m in re.finditer("§", left))]
            self.assertEqual(bare, [], n)

    def test_key_terms_are_given_in_the_text(self):
        """Each key term of the map table has its Chinese in the chapter."""
        for n in self.chapters():
            with open(os.path.join(BOOK, n), encoding="utf-8") as f:
                body = f.read().partition("{#seed-map}")[0]
            terms = self.key_terms(n)
            self.assertGreater(len(terms), 5, n)
            for en, zh in terms:
                self.assertIn(zh, body, "%s: %s" % (n, en))

    def key_terms(self, n):
        """(English, Chinese) of each key term in chapter n's map table."""
        with open(os.path.join(BOOK, n), encoding="utf-8") as f:
            table = f.read().split("{#seed-map}")[1]
        out = []
        for row in re.findall(r"^\|(.*)\|\s*$", table, re.M)[2:]:
            for t in row.split("|")[-1].split(";"):
                m = re.match(r"^\s*(.+) \(([^()]+)\)\s*$", t)
                if m:
                    out.append(m.groups())
        return out

    def test_glossary_lists_every_term(self):
        text = " ".join(page_text(os.path.join(self.out, "glossary.html")).split())
        for n in self.chapters():
            for en, zh in self.key_terms(n):
                self.assertIn("%s %s" % (en, zh), text)

    def test_every_section_is_in_the_search_index(self):
        with open(os.path.join(self.out, "search.js"), encoding="utf-8") as f:
            index = f.read()
        for n in os.listdir(self.out):
            if not n.endswith(".html") or n == "print.html":
                continue
            with open(os.path.join(self.out, n), encoding="utf-8") as f:
                ids = re.findall(r'<h[23] id="([^"]+)"', f.read())
            for i in ids:
                self.assertIn('"%s#%s"' % (n, i), index)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""handout.py - write the repository as a student receives it.

    python3 grading/handout.py [--lab N] [--out DIR]

In each stage folder the exercise regions of that stage's own lab become a
TODO comment (the task, the tests that check it) followed by the stub;
markers of earlier labs are removed and their code kept; final/ keeps all
its code. --lab N writes only lab N's folder beside the shared parts.
Instructor material (book/, source/, the stage and handout tools) is
left out, and a leak check makes sure no reference body of a stubbed
exercise survives anywhere in the result. grading/README.md ("The student
handout") has the details; the marker format is in "Exercise regions".
"""

import argparse
import collections
import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stages  # noqa: E402
from stages import Fail  # noqa: E402

# Never in a handout: the book quotes the reference code by name (built from
# the handout it would quote stubs), source/ holds every lab's solution (the
# stages are generated from it), and these tools only make sense on the
# reference repository; nor, in a stage folder, the files of
# STAGE_INSTRUCTOR_ONLY below.
INSTRUCTOR_ONLY = (
    "book/",
    "source/",
    "grading/handout.py",
    "grading/handout_check.py",
    "grading/handout-readme.md",
    "grading/mutate.py",
    "grading/mutants.py",
    "grading/stages.py",
    "grading/wrong.py",
    "grading/tests/handout/",
    "grading/tests/mutate/",
    "grading/tests/stages/",
    "grading/tests/wrong/",
)

# The handout's own top README, made from this template (the repository's
# README.md describes the reference repository, not a handout).
README_TEMPLATE = "grading/handout-readme.md"
# The book's sources, and where a handout gets the chapters built from them.
BOOK = "book"

# Files whose text counts as code for the leak check's baseline.
CODE_SUFFIXES = (".c", ".h", ".S", ".s", ".asm", ".inc", ".ld", ".lds")

BEGIN_RE = re.compile(r"^([ \t]*)/\*\s*EXERCISE\b(.*)$")
END_RE = re.compile(r"^[ \t]*/\*\s*END\s+EXERCISE\b(.*)$")
ANY_RE = re.compile(r"/\*\s*(?:END\s+)?EXERCISE\b")
HEAD_RE = re.compile(r"^\s+(\d+)\.([A-Za-z0-9_-]+):\s*(\S.*?)\s*$")
TAIL_RE = re.compile(r"^\s+(\d+)\.([A-Za-z0-9_-]+)\s*\*/\s*$")
MARKER_FORMAT = "`/* EXERCISE N.name: title`"


class Region:
    """One exercise region of one file."""

    def __init__(self, path, start, indent, lab, name, title):
        self.path = path          # repository-relative file
        self.start = start        # 0-based index of the EXERCISE line
        self.indent = indent
        self.lab = lab
        self.name = name
        self.title = title
        self.statement = []       # task lines, comment leaders removed
        self.tests = []
        self.tests_line = 0
        self.stub = []
        self.close = None         # index of the line that ends the comment
        self.end = None           # index of the END EXERCISE line
        self.body = []            # the reference code, between close and end

    @property
    def key(self):
        return "%d.%s" % (self.lab, self.name)

    def where(self, index=None):
        return "%s:%d" % (self.path, (self.start if index is None else index) + 1)


def _comment_text(line):
    """A header line's text without indentation, `*` leader and one space;
    the second value says whether the line closes the comment."""
    s = line.strip()
    closes = s.endswith("*/")
    if closes:
        s = s[:-2].rstrip()
    if s.startswith("*"):
        s = s[1:]
        if s[:1] == " ":
            s = s[1:]
    return s.rstrip(), closes


def _stray_marker(line):
    """A marker that does not start its line (a backtick-quoted mention in
    prose is not one)."""
    m = ANY_RE.search(line)
    if not m or line[:m.start()].strip() == "":
        return False
    return "`" not in line[:m.start()]


def parse_text(path, text, errors):
    """The exercise regions of one file; malformed markers go to errors."""
    lines = text.splitlines()
    regions = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = BEGIN_RE.match(line)
        if END_RE.match(line):
            errors.append("%s:%d: END EXERCISE without an EXERCISE before it"
                          % (path, i + 1))
            i += 1
            continue
        if not m:
            if _stray_marker(line):
                errors.append("%s:%d: an exercise marker must start its line"
                              % (path, i + 1))
            i += 1
            continue
        r, i = _parse_region(path, lines, i, m, errors)
        if r is not None:
            regions.append(r)
    return regions


def _parse_region(path, lines, i, m, errors):
    """Parse the region starting at line i; returns (region, next index)."""
    h = HEAD_RE.match(m.group(2))
    if not h or h.group(3).endswith("*/"):
        errors.append("%s:%d: malformed marker, expected %s followed by the "
                      "task, `Tests:` and `Stub:` lines of the same comment"
                      % (path, i + 1, MARKER_FORMAT))
        return None, i + 1
    r = Region(path, i, m.group(1), int(h.group(1)), h.group(2), h.group(3))
    state = "statement"
    saw_tests = saw_stub = False
    j = i + 1
    while True:
        if j >= len(lines) or BEGIN_RE.match(lines[j]) or END_RE.match(lines[j]):
            errors.append("%s: the comment of EXERCISE %s is not closed with "
                          "`*/`" % (r.where(), r.key))
            return None, j
        text, closes = _comment_text(lines[j])
        if state == "stub":
            r.stub.append(text)
        elif text.startswith("Stub:"):
            saw_stub = True
            state = "stub"
            first = text[len("Stub:"):].strip()
            if first:
                r.stub.append(first)
        elif state == "statement":
            if text.startswith("Tests:"):
                saw_tests = True
                state = "tests"
                r.tests_line = j
                r.tests += text[len("Tests:"):].split()
            else:
                r.statement.append(text)
        elif text == "":
            state = "gap"
        elif state == "tests":
            r.tests += text.split()
        else:
            errors.append("%s:%d: unexpected text between `Tests:` and "
                          "`Stub:` in EXERCISE %s" % (path, j + 1, r.key))
        if closes:
            break
        j += 1
    r.close = j
    bad = True
    if not saw_tests:
        errors.append("%s: EXERCISE %s has no `Tests:` line before its "
                      "`Stub:`" % (r.where(), r.key))
    elif not r.tests:
        errors.append("%s:%d: EXERCISE %s: `Tests:` names no test"
                      % (path, r.tests_line + 1, r.key))
    elif not saw_stub:
        errors.append("%s: EXERCISE %s has no `Stub:` line (it may be empty, "
                      "but must be there)" % (r.where(), r.key))
    else:
        bad = False
    while r.statement and not r.statement[0]:
        r.statement.pop(0)
    while r.statement and not r.statement[-1]:
        r.statement.pop()
    while r.stub and not r.stub[0]:
        r.stub.pop(0)
    while r.stub and not r.stub[-1]:
        r.stub.pop()
    # The body runs to the matching END line.
    k = j + 1
    while k < len(lines):
        if BEGIN_RE.match(lines[k]):
            errors.append("%s: EXERCISE %s has no END before the next "
                          "EXERCISE at line %d (regions do not nest)"
                          % (r.where(), r.key, k + 1))
            return None, k
        e = END_RE.match(lines[k])
        if e:
            t = TAIL_RE.match(e.group(1))
            if not t:
                errors.append("%s:%d: malformed END marker, expected "
                              "`/* END EXERCISE %s */`" % (path, k + 1, r.key))
                return None, k + 1
            if (int(t.group(1)), t.group(2)) != (r.lab, r.name):
                errors.append("%s:%d: END EXERCISE %s.%s closes EXERCISE %s "
                              "(begun at line %d)"
                              % (path, k + 1, t.group(1), t.group(2), r.key,
                                 i + 1))
                return None, k + 1
            r.end = k
            r.body = lines[j + 1:k]
            return (None if bad else r), k + 1
        k += 1
    errors.append("%s: EXERCISE %s is never closed: no `/* END EXERCISE %s */`"
                  % (r.where(), r.key, r.key))
    return None, len(lines)


# --- the repository's labs ---------------------------------------------------

def grade_tests(root, stage):
    """The [lab] number of a stage's grade.ini and its test names (the
    other sections); raises Fail when the file is missing or broken."""
    rel = stage.path + "/tests/grade.ini"
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"),
                                   interpolation=None)
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            cp.read_file(f, rel)
    except FileNotFoundError:
        raise Fail("%s: missing" % rel)
    except (OSError, configparser.Error, UnicodeDecodeError) as e:
        raise Fail("%s: %s" % (rel, str(e).splitlines()[0]))
    number = cp.get("lab", "number", fallback=None)
    tests = [s for s in cp.sections()
             if s.partition(".")[0] in ("unit", "guest", "cli")]
    return number, tests


def _read_text(full):
    if os.path.islink(full) or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Plan:
    """What the handout holds: files to copy, files to rewrite, and the
    regions whose reference body must appear nowhere."""

    def __init__(self, root, lab):
        self.root = root
        self.lab = lab               # None: every stage
        self.stages = []             # stages in the handout
        self.all_stages = []
        self.files = []              # repository-relative, in the handout
        self.regions = {}            # file -> regions in it
        self.texts = {}              # file -> rewritten text
        self.stubbed = []            # regions replaced by a stub

    def stage_of(self, rel):
        for s in self.all_stages:
            if rel.startswith(s.path + "/"):
                return s
        return None

    def exercises(self, stage):
        """The exercises a stage stubs (its own lab's regions)."""
        return [r for r in self.stubbed if r.path.startswith(stage.path + "/")]

    def regions_of(self, stage):
        """The stage's own exercise regions (before they are stubbed)."""
        out = []
        for rel, (_, regions) in sorted(self.regions.items()):
            if rel.startswith(stage.path + "/"):
                out += [r for r in regions if r.lab == stage.number]
        return out


# In every stage folder: the equivalent mutants quote the reference's lines.
STAGE_INSTRUCTOR_ONLY = ("tests/equivalent-mutants",)


def _instructor_only(rel):
    if re.match(r"^(labs/[^/]+|final)/", rel) and \
            rel.split("/", 2 if rel.startswith("labs/") else 1)[-1] in STAGE_INSTRUCTOR_ONLY:
        return True
    return any(rel == p or (p.endswith("/") and rel.startswith(p))
               for p in INSTRUCTOR_ONLY)


def make_plan(root, lab=None):
    """Read and check every marker; raises Fail listing all problems."""
    root = os.path.realpath(root)
    plan = Plan(root, lab)
    plan.all_stages = stages.find_stages(root)
    if lab is not None:
        plan.stages = [s for s in plan.all_stages if s.number == lab]
        if not plan.stages:
            have = ", ".join(s.path for s in plan.all_stages) or "none"
            raise Fail("no folder for lab %d in labs/ (stages: %s)"
                       % (lab, have))
    else:
        plan.stages = list(plan.all_stages)
    kept = set(s.path for s in plan.stages)
    errors = []
    for rel in stages.list_files(root):
        st = plan.stage_of(rel)
        if st is not None and st.path not in kept:
            continue
        if _instructor_only(rel):
            continue
        plan.files.append(rel)
        if st is None:
            continue
        text = _read_text(os.path.join(root, rel))
        if text is None:
            continue
        regions = parse_text(rel, text, errors)
        if regions:
            plan.regions[rel] = (text, regions)
    _validate(plan, errors)
    if errors:
        raise Fail("\n".join(errors))
    for rel, (text, regions) in sorted(plan.regions.items()):
        st = plan.stage_of(rel)
        mine = [r for r in regions if r.lab == st.number]
        plan.stubbed += mine
        plan.texts[rel] = rewrite(text, regions, st.number)
    if "grading/project.ini" in plan.files:
        ini = _read_text(os.path.join(root, "grading/project.ini"))
        if ini is not None:
            plan.texts["grading/project.ini"] = drop_checks(root, ini,
                                                            set(plan.files))
    readme = top_readme(plan)
    if readme is not None:
        if "README.md" not in plan.files:
            plan.files.append("README.md")
        plan.texts["README.md"] = readme
    return plan


def _validate(plan, errors):
    """Lab numbers, test names and uniqueness of every region."""
    by_number = {s.number: s for s in plan.all_stages if s.number is not None}
    for s in plan.stages:
        if s.number is None:
            continue
        try:
            number, _ = grade_tests(plan.root, s)
        except Fail as e:
            errors.append(str(e))
            continue
        if number is not None and number.strip() != str(s.number):
            errors.append("%s/tests/grade.ini: [lab] number = %s, but the "
                          "folder is lab %d" % (s.path, number, s.number))
    seen = {}
    for rel, (_, regions) in sorted(plan.regions.items()):
        st = plan.stage_of(rel)
        for r in regions:
            if st.number is not None and r.lab > st.number:
                errors.append("%s: EXERCISE %s belongs to lab %d, later than "
                              "this folder's lab %d"
                              % (r.where(), r.key, r.lab, st.number))
                continue
            owner = by_number.get(r.lab)
            if owner is None:
                errors.append("%s: EXERCISE %s: there is no folder for lab %d"
                              % (r.where(), r.key, r.lab))
                continue
            try:
                _, tests = grade_tests(plan.root, owner)
            except Fail as e:
                errors.append("%s: EXERCISE %s: %s" % (r.where(), r.key, e))
                continue
            for t in r.tests:
                if t not in tests:
                    errors.append("%s:%d: EXERCISE %s: test %s is not in %s/"
                                  "tests/grade.ini" % (r.path, r.tests_line + 1,
                                                       r.key, t, owner.path))
            k = (st.path, r.key)
            if k in seen:
                errors.append("%s: EXERCISE %s is already at %s"
                              % (r.where(), r.key, seen[k].where()))
            else:
                seen[k] = r


# --- rewriting -------------------------------------------------------------

def _width(s):
    return len(s.expandtabs(8))


def render_todo(r):
    """The TODO comment and the stub that replace a region."""
    ind = r.indent
    out = ["%s/* TODO %s: %s" % (ind, r.key, r.title)]
    if r.statement:
        out.append(ind + " *")
        out += [ind + " *" + (" " + s if s else "") for s in r.statement]
    out.append(ind + " *")
    words = r.tests + ["(make check-lab %d)" % r.lab]
    line = ind + " * Checked by:"
    for w in words:
        if _width(line) + 1 + len(w) > 78 and not line.endswith(":"):
            out.append(line)
            line = ind + " *  "
        line += " " + w
    out.append(line)
    out.append(ind + " */")
    out += [ind + s if s else "" for s in r.stub]
    return out


def rewrite(text, regions, stage_lab):
    """The text with stage_lab's regions stubbed and other markers removed
    (stage_lab None: final/, every marker removed)."""
    lines = text.splitlines()
    out = []
    i = 0
    for r in regions:
        out += lines[i:r.start]
        if r.lab == stage_lab:
            out += render_todo(r)
        else:
            out += r.body
        i = r.end + 1
    out += lines[i:]
    return "\n".join(out) + ("\n" if text.endswith("\n") or not text else "")


def drop_checks(root, text, kept):
    """project.ini without the [check.*] sections whose command names a
    file or folder of the repository that the handout does not have."""
    lines = text.splitlines(keepends=True)
    heads = [i for i, l in enumerate(lines) if re.match(r"^\s*\[", l)]
    drop = set()
    for n, h in enumerate(heads):
        name = lines[h].strip().strip("[]").strip()
        if not name.startswith("check."):
            continue
        stop = heads[n + 1] if n + 1 < len(heads) else len(lines)
        cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"),
                                       interpolation=None)
        try:
            cp.read_string("".join(lines[h:stop]))
            command = cp.get(name, "command", fallback="")
            words = shlex.split(command)
        except (configparser.Error, ValueError):
            continue
        if not any(_names_dropped(root, w, kept) for w in words):
            continue
        # The section ends with its last key line: comments after it
        # introduce the next section.
        last = h
        for k in range(h + 1, stop):
            s = lines[k].strip()
            if s and not s.startswith((";", "#")):
                last = k
        while last + 1 < stop and not lines[last + 1].strip():
            last += 1
        drop.update(range(h, last + 1))
    return "".join(l for i, l in enumerate(lines) if i not in drop)


def _names_dropped(root, word, kept):
    w = word.split("=", 1)[-1].rstrip("/")
    if not w or w.startswith("-") or os.path.isabs(w) or ".." in w.split("/"):
        return False
    if not os.path.exists(os.path.join(root, w)):
        return False
    return w not in kept and not any(k.startswith(w + "/") for k in kept)


# --- the handout's README and book -------------------------------------------

def _stage_title(root, stage):
    """The first heading of a stage's README.md ("Lab 01 — VM entry and exit")."""
    text = _read_text(os.path.join(root, stage.path, "README.md")) or ""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return stage.path


def book_chapters(plan):
    """The book's chapter sources the handout carries: every chapter up to
    its lab's (the earlier ones explain the code it builds on), or all."""
    top = os.path.join(plan.root, BOOK)
    if not os.path.isdir(top):
        return []
    out = []
    for name in sorted(os.listdir(top)):
        m = re.match(r"^ch(\d\d)-.*\.md$", name)
        if m and (plan.lab is None or int(m.group(1)) <= plan.lab):
            out.append(name)
    return out


def top_readme(plan):
    """The handout's README.md, from the template; None without one."""
    text = _read_text(os.path.join(plan.root, README_TEMPLATE))
    if text is None:
        return None
    rows = []
    for st in plan.stages:
        ex = [r.key for r in plan.regions_of(st)]
        rows.append("| [`%s/`](%s/README.md) | %s%s |" % (
            st.path, st.path, _stage_title(plan.root, st),
            (": exercises " + ", ".join(ex)) if ex else ""))
    labs = [s for s in plan.stages if s.number is not None]
    chapters = book_chapters(plan)
    if plan.lab is not None:
        what = "of %s" % _stage_title(plan.root, labs[0])
    else:
        what = "of every lab, each with its own exercises to do"
    newest = plan.stages[-1]
    n = newest.number if newest.number is not None else "final"
    book = ", ".join("`book/%s`" % c.replace(".md", ".html") for c in chapters)
    if len(chapters) > 1:
        book = book.rsplit(", ", 1)[0] + " and " + book.rsplit(", ", 1)[1]
    subst = {
        "@WHAT@": what,
        "@LABS@": "\n".join(rows),
        "@NEWEST@": newest.path,
        "@N@": str(n),
        "@FIRST@": str(labs[0].number) if labs else "1",
        "@CHAPTERS@": book or "(none)",
    }
    for k, v in subst.items():
        text = text.replace(k, v)
    return text


def build_book(plan, out_dir):
    """The book's chapters for this handout, built into out_dir/book/: HTML
    to read and the same pages as Markdown. An excerpt of an exercise of the
    handout's lab shows the handout's stub (book/filters/book.lua, "A
    handout"). Returns the files written, handout-relative."""
    chapters = book_chapters(plan)
    if not chapters:
        return []
    top = os.path.join(plan.root, BOOK)
    work = tempfile.mkdtemp(prefix=".handout-book-", dir=os.path.dirname(out_dir))
    try:
        src = os.path.join(work, "src")
        built = os.path.join(work, "out")
        os.makedirs(src)
        for c in chapters + ["glossary.md"]:
            if os.path.isfile(os.path.join(top, c)):
                shutil.copy2(os.path.join(top, c), os.path.join(src, c))
        shutil.copytree(os.path.join(top, "figures"), os.path.join(src, "figures"))
        with open(os.path.join(src, "index.md"), "w", encoding="utf-8") as f:
            f.write(book_index(plan, chapters))
        cmd = ["make", "--no-print-directory", "-s", "-j%d" % (os.cpu_count() or 1),
               "-C", top, "html", "md",
               "SRC=" + src, "ROOT=" + plan.root, "OUT=" + built,
               "HANDOUT=" + out_dir]
        env = dict(os.environ)
        for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
            env.pop(k, None)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise Fail("the book's chapters could not be built: %s" % e)
        if p.returncode != 0:
            lines = p.stdout.decode("utf-8", "replace").strip().splitlines()
            said = [l for l in lines if l.startswith("book:")] or lines[-1:]
            raise Fail("the book's chapters could not be built (make -C book "
                       "html md; needs pandoc and graphviz: make deps): %s"
                       % (said[0] if said else "exit status %d" % p.returncode))
        dest = os.path.join(out_dir, BOOK)
        written = []
        for top_dir, dirs, files in os.walk(built):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            rel_dir = os.path.relpath(top_dir, built)
            for f in files:
                rel = os.path.normpath(os.path.join(rel_dir, f))
                # The Markdown pages go beside their HTML.
                target = rel[len("md/"):] if rel.startswith("md/") else rel
                os.makedirs(os.path.dirname(os.path.join(dest, target)), exist_ok=True)
                shutil.copy2(os.path.join(top_dir, f), os.path.join(dest, target))
                written.append(os.path.join(BOOK, target))
        return sorted(written)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def book_index(plan, chapters):
    """The front page of a handout's book."""
    lines = ["# The vmmlab book, for this handout", "",
             "These are the chapters of the vmmlab book that go with the labs of "
             "this handout, each read alongside its lab's `README.md`. Where a "
             "chapter quotes code that is one of your exercises, it quotes what "
             "your handout has, the contract and the stub: writing the rest is "
             "the exercise. Each page is here as HTML and as Markdown "
             "(`chNN-name.md`), and the [glossary](glossary.md) lists every key "
             "term in English and Chinese.", ""]
    for c in chapters:
        lines.append("- [](%s)" % c)
    lines.append("")
    return "\n".join(lines)


_LIST_RE = re.compile(r"^(?:\d+[.)]|[-*+])\s+")


def _prose(line):
    """A line as the answers check compares it: norm(), list marker off."""
    return _LIST_RE.sub("", norm(line))


def answers_lines(root):
    """The prose lines of every lab's model answers, which no handout may
    hold: {normalised line: file}."""
    top = os.path.join(root, "source", "stages")
    out = {}
    if not os.path.isdir(top):
        return out
    for st in sorted(os.listdir(top)):
        rel = "/".join(("source", "stages", st, "ANSWERS.md"))
        text = _read_text(os.path.join(root, rel))
        if text is None:
            continue
        for line in text.splitlines():
            n = _prose(line)
            if len(n) >= 40 and not n.startswith("#"):
                out.setdefault(n, rel)
    return out


def answers_check(plan, out_dir):
    """Problems if a model answer, or a file of them, is in the handout."""
    answers = answers_lines(plan.root)
    problems = []
    for rel in plan.files:
        if os.path.basename(rel) == "ANSWERS.md":
            problems.append("%s: a model-answers file is in the handout" % rel)
        text = _read_text(os.path.join(out_dir, rel))
        if text is None or not answers:
            continue
        for no, line in enumerate(text.splitlines(), 1):
            n = _prose(line)
            if n in answers:
                problems.append("%s:%d: a line of %s (model answers) is in the "
                                "handout" % (rel, no, answers[n]))
    return problems


# --- the leak check ----------------------------------------------------------

_LEADER_RE = re.compile(r"^(?:/\*+|\*+|//+|#+|>+|;+)(?=\s)")


def norm(line):
    """A line as the leak check compares it: no indentation, comment
    leaders or closers, whitespace runs collapsed."""
    s = line.strip()
    s = _LEADER_RE.sub("", s).strip()
    if s.endswith("*/"):
        s = s[:-2].rstrip()
    return " ".join(s.split())


def significant(n):
    return len(n) >= 10 and re.search(r"[A-Za-z0-9]", n) is not None


def _later(plan, lab):
    """Stage folders after lab N: they keep lab N's code by design."""
    return [s.path for s in plan.all_stages
            if s.number is None or s.number > lab]


def leak_check(plan, out_dir):
    """Problems, as 'file:line: ...' strings, if a stubbed exercise's
    reference body shows through anywhere in the written handout."""
    problems = []
    # Each file of the handout indexed once, as the check compares it.
    handout = {}
    for rel in plan.files:
        text = _read_text(os.path.join(out_dir, rel))
        if text is not None:
            handout[rel] = _Index(text)
    by_lab = collections.defaultdict(list)
    for r in plan.stubbed:
        by_lab[r.lab].append(r)
    for lab, regions in sorted(by_lab.items()):
        later = _later(plan, lab)

        def in_scope(rel, later=later, lab=lab):
            # A chapter of a later lab quotes that lab's folder, which
            # keeps this lab's code by design.
            m = re.match(r"^%s/ch(\d\d)-" % BOOK, rel)
            if m and int(m.group(1)) > lab:
                return False
            return not any(rel.startswith(p + "/") for p in later)

        baseline = _baseline(plan, lab, in_scope)
        for r in regions:
            problems += _leaks_of(r, baseline, handout, in_scope)
    return problems


def _baseline(plan, lab, in_scope):
    """Lines of the VMM code the handout shows anyway: the code files of
    its stage folders, outside lab's stubbed regions and test folders. A
    copy anywhere else (prose, tests, guests) is what the check is for."""
    count = collections.Counter()
    for rel in plan.files:
        if not in_scope(rel) or plan.stage_of(rel) is None \
                or not rel.endswith(CODE_SUFFIXES) \
                or "tests" in rel.split("/")[:-1]:
            continue
        text = _read_text(os.path.join(plan.root, rel))
        if text is None:
            continue
        lines = text.splitlines()
        cut = set()
        if rel in plan.regions:
            for r in plan.regions[rel][1]:
                if r.lab == lab:
                    cut.update(range(r.start, r.end + 1))
        count.update(norm(l) for i, l in enumerate(lines) if i not in cut)
    # The book's own example programs (book/examples/), which the
    # chapters in the handout show whole: a first VMM of sixty lines.
    top = os.path.join(plan.root, BOOK, "examples")
    for d, _, files in os.walk(top):
        for f in files:
            if f.endswith(CODE_SUFFIXES):
                text = _read_text(os.path.join(d, f)) or ""
                count.update(norm(l) for l in text.splitlines())
    return count


class _Index:
    """One file of the handout: where each normalized line is, and its
    runs of w consecutive significant lines (for w of 2 and 3)."""

    def __init__(self, text):
        self.at = collections.defaultdict(list)     # norm(line): [line number]
        self.sig = []                               # [(line number, norm)]
        for no, n in enumerate(map(norm, text.splitlines()), 1):
            self.at[n].append(no)
            if significant(n):
                self.sig.append((no, n))
        self._runs = {}

    def runs(self, w):
        """{tuple of w significant lines: [index into sig where it starts]}"""
        if w not in self._runs:
            d = collections.defaultdict(list)
            for i in range(len(self.sig) - w + 1):
                d[tuple(n for _, n in self.sig[i:i + w])].append(i)
            self._runs[w] = d
        return self._runs[w]


def _leaks_of(r, baseline, handout, in_scope):
    given = set(norm(s) for s in r.statement + r.stub)
    body = [(r.close + 2 + i, norm(l)) for i, l in enumerate(r.body)]
    body = [(no, n) for no, n in body if significant(n) and n not in given]
    rare = {n: no for no, n in body if baseline[n] == 0}
    seq = [n for _, n in body]
    w = min(3, len(seq))
    windows = {}
    if w >= 2:
        for i in range(len(seq) - w + 1):
            windows.setdefault(tuple(seq[i:i + w]),
                               (body[i][0], body[i + w - 1][0]))
    problems = []
    for rel, index in sorted(handout.items()):
        if not in_scope(rel):
            continue
        hits = sorted((no, n) for n in rare for no in index.at.get(n, ()))
        for no, n in hits:
            problems.append("%s:%d: line %d of the reference of EXERCISE "
                            "%s (%s) is in the handout"
                            % (rel, no, rare[n], r.key, r.path))
        if w < 2:
            continue
        runs = index.runs(w)
        starts = sorted(i for key in windows for i in runs.get(key, ()))
        for i in starts:
            key = tuple(n for _, n in index.sig[i:i + w])
            problems.append("%s:%d: lines %d-%d of the reference of "
                            "EXERCISE %s (%s) are in the handout"
                            % ((rel, index.sig[i][0]) + windows[key]
                               + (r.key, r.path)))
    return problems


# --- writing -----------------------------------------------------------------

def _check_out(root, out):
    """Refuse to write over anything that is not a previous handout."""
    real = os.path.realpath(out)
    if real == root or root.startswith(real + os.sep):
        raise Fail("%s: would overwrite the repository" % out)
    if real.startswith(root + os.sep) and not real.startswith(
            os.path.join(root, "dist") + os.sep):
        raise Fail("%s: inside the repository but not under dist/" % out)
    if os.path.lexists(real) and not os.path.isdir(real):
        raise Fail("%s: exists and is not a folder" % out)
    if os.path.isdir(real) and os.listdir(real) and not real.startswith(
            os.path.join(root, "dist") + os.sep):
        raise Fail("%s: exists and is not empty (remove it first)" % out)
    return real


def write(plan, out):
    """Write the handout to out; returns the stubbed regions."""
    real = _check_out(plan.root, out)
    parent = os.path.dirname(real)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".handout-", dir=parent)
    try:
        for rel in plan.files:
            src = os.path.join(plan.root, rel)
            dst = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif rel in plan.texts:
                with open(dst, "w", encoding="utf-8") as f:
                    f.write(plan.texts[rel])
                shutil.copymode(src, dst)
            else:
                shutil.copy2(src, dst)
        for rel in build_book(plan, tmp):
            if rel not in plan.files:
                plan.files.append(rel)
        problems = leak_check(plan, tmp) + answers_check(plan, tmp)
        if problems:
            raise Fail("reference code or model answers would leak into the "
                       "handout:\n" + "\n".join(problems))
        os.chmod(tmp, 0o755)
        if os.path.isdir(real):
            shutil.rmtree(real)
        os.rename(tmp, real)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp)
    return plan.stubbed


def generate(root, out, lab=None):
    plan = make_plan(root, lab)
    write(plan, out)
    return plan


def _lab_number(s):
    if not s.isdigit():
        raise argparse.ArgumentTypeError("expected a lab number, got %r" % s)
    return int(s)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="handout.py",
        description="Write the student handout: the repository with the "
        "reference code of each lab's exercises replaced by stubs.")
    ap.add_argument("--lab", type=_lab_number, metavar="N",
                    help="only lab N (with the shared parts)")
    ap.add_argument("--out", metavar="DIR",
                    help="where to write it (default: dist/handout, or "
                    "dist/handout-lab-NN with --lab)")
    ap.add_argument("--root", default=stages.repo_root(),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    root = os.path.realpath(args.root)
    out = args.out
    if out is None:
        name = "handout" if args.lab is None else "handout-lab-%02d" % args.lab
        out = os.path.join(root, "dist", name)
    try:
        plan = generate(root, out, args.lab)
    except Fail as e:
        for line in str(e).splitlines():
            print("handout: %s" % line, file=sys.stderr)
        return 1
    what = ", ".join(s.path for s in plan.stages)
    print("handout: wrote %s (%d files; %s)" % (out, len(plan.files), what))
    for s in plan.stages:
        ex = plan.exercises(s)
        if ex:
            print("  %-22s %s" % (s.path, " ".join(r.key for r in ex)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""stages.py - the lab stages, generated from one annotated source.

    source/stages.ini         the stages in order: number and folder
    source/vmm/               the VMM, its tests and test lists, with stage
                              markers saying in which stages each file and
                              each region appears
    source/stages/NN-name/    files whole and different in each stage (the
                              README handout), copied over stage NN's tree

    stages.py write           write every stage folder (make stages)
    stages.py check           the stage folders are what the source writes,
                              and every marker is well formed
    stages.py diff N          what stage N adds, changes and removes
                              (make diff-lab N; N a lab number or final)

grading/README.md ("The stages and their one source") describes the
markers. This file also holds what handout.py shares with it: which files
of the repository count, and where the stage folders are.
"""

import argparse
import configparser
import difflib
import os
import re
import stat
import subprocess
import sys

SOURCE = "source"
VMM = SOURCE + "/vmm"
PER_STAGE = SOURCE + "/stages"
STAGES_INI = SOURCE + "/stages.ini"
GRADE_INI = "tests/grade.ini"
# Instructor material beside the stages, never copied into one: each
# exercise's wrong solutions (grading/wrong.py), and each lab's model
# answers to its written questions, source/stages/NN-name/ANSWERS.md.
WRONG = SOURCE + "/wrong"
ANSWERS = "ANSWERS.md"

# Build outputs, never part of a stage nor of a handout, even when no
# .gitignore says so: whole top-level output folders, any folder with one
# of these names, and object files.
OUTPUT_TREES = ("dist", "grading/out", "guests/out", "book/out")
OUTPUT_DIRNAMES = ("build", "__pycache__", ".git")
OUTPUT_SUFFIXES = (".o", ".pyc")


class Fail(Exception):
    """A bad command line or input file: one line, exit status 2."""


class SourceErrors(Exception):
    """Problems in source/, one per line, each naming its file and line:
    exit status 1."""


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_output(rel):
    """Whether a repository-relative path is a build output."""
    if any(rel == t or rel.startswith(t + "/") for t in OUTPUT_TREES):
        return True
    parts = rel.split("/")
    if any(p in OUTPUT_DIRNAMES for p in parts[:-1]):
        return True
    return rel.endswith(OUTPUT_SUFFIXES)


def _git_toplevel(root):
    try:
        r = subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"],
                           capture_output=True, text=True)
    except OSError:
        return None
    if r.returncode != 0:
        return None
    return os.path.realpath(r.stdout.strip())


def _walk(root, under):
    top = os.path.join(root, under) if under else root
    for dirpath, dirnames, filenames in os.walk(top):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames
                             if not is_output(rel_dir + d + "/x"))
        for name in filenames:
            yield rel_dir + name


def list_files(root, under=None):
    """The files that count, as sorted repository-relative paths.

    In a git work tree: tracked files plus untracked files that are not
    ignored (`git ls-files -co --exclude-standard`); elsewhere (a handout,
    say) every file. Build outputs are left out in both cases.
    """
    root = os.path.realpath(root)
    names = None
    if _git_toplevel(root) == root:
        cmd = ["git", "-C", root, "ls-files", "-z", "-co", "--exclude-standard"]
        if under:
            cmd += ["--", under]
        r = subprocess.run(cmd, capture_output=True)
        if r.returncode == 0:
            names = r.stdout.decode("utf-8", "surrogateescape").split("\0")
    if names is None:
        names = list(_walk(root, under))
    keep = set()
    for n in names:
        # -c also lists files deleted from the work tree but still indexed.
        if n and not is_output(n) and os.path.lexists(os.path.join(root, n)):
            keep.add(n)
    return sorted(keep)


class Stage:
    """One snapshot of the VMM: a lab folder, or final/."""

    def __init__(self, path, number, index=None):
        self.path = path            # "labs/01-vm-entry" or "final"
        self.number = number        # 1, or None for final/
        self.index = index          # position in source/stages.ini

    @property
    def name(self):
        """The folder's own name: the one under source/stages/."""
        return self.path.split("/")[-1]

    @property
    def label(self):
        return "final" if self.number is None else "lab %02d" % self.number

    def __repr__(self):
        return "Stage(%r)" % self.path


def find_stages(root):
    """The stage folders there are: labs/NN-* by number, then final/."""
    stages = []
    seen = {}
    labs = os.path.join(root, "labs")
    if os.path.isdir(labs):
        for d in sorted(os.listdir(labs)):
            m = re.match(r"^(\d+)-", d)
            if not m or not os.path.isdir(os.path.join(labs, d)):
                continue
            n = int(m.group(1))
            if n in seen:
                raise Fail("labs/%s and labs/%s both claim lab number %d"
                           % (seen[n], d, n))
            seen[n] = d
            stages.append(Stage("labs/" + d, n))
    stages.sort(key=lambda s: s.number)
    if os.path.isdir(os.path.join(root, "final")):
        stages.append(Stage("final", None))
    return stages


# --- source/stages.ini ---------------------------------------------------------

def read_stages(root):
    """The stages source/stages.ini lists, in order; raises Fail."""
    path = os.path.join(root, STAGES_INI)
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"),
                                   interpolation=None, delimiters=("=",))
    try:
        with open(path, encoding="utf-8") as f:
            cp.read_file(f, STAGES_INI)
    except FileNotFoundError:
        raise Fail("%s: missing" % STAGES_INI)
    except (OSError, configparser.Error, UnicodeDecodeError) as e:
        raise Fail("%s: %s" % (STAGES_INI, " ".join(str(e).split())))
    if cp.sections() != ["stages"]:
        raise Fail("%s: expected one section, [stages], got %s"
                   % (STAGES_INI, ", ".join(cp.sections()) or "none"))
    stages = []
    for key, folder in cp["stages"].items():
        folder = folder.strip().rstrip("/")
        where = "%s: %s = %s" % (STAGES_INI, key, folder)
        if stages and stages[-1].number is None:
            raise Fail("%s: final must be the last stage" % where)
        if key == "final":
            if folder != "final":
                raise Fail("%s: the final stage's folder is final" % where)
            number = None
        elif re.match(r"^\d\d$", key):
            number = int(key)
            if not re.match(r"^labs/%s-[a-z0-9][a-z0-9-]*$" % key, folder):
                raise Fail("%s: a lab's folder is labs/%s-name" % (where, key))
            if stages and number <= stages[-1].number:
                raise Fail("%s: stages go in increasing order" % where)
        else:
            raise Fail("%s: a stage is a two-digit lab number or final"
                       % where)
        stages.append(Stage(folder, number, len(stages)))
    if not stages:
        raise Fail("%s: no stages" % STAGES_INI)
    return stages


# --- markers -----------------------------------------------------------------

# The comment forms a marker may take, by kind of file.
C_FORMS = (("/*", "*/"), ("//", ""))
HASH_FORMS = (("#", ""),)
INI_FORMS = (("#", ""), (";", ""))
NASM_FORMS = ((";", ""),)
MD_FORMS = (("<!--", "-->"),)
ALL_FORMS = C_FORMS + INI_FORMS + MD_FORMS
BY_SUFFIX = {
    ".c": C_FORMS, ".h": C_FORMS, ".S": C_FORMS, ".ld": C_FORMS,
    ".lds": C_FORMS,
    ".sh": HASH_FORMS, ".mk": HASH_FORMS, ".py": HASH_FORMS,
    ".ini": INI_FORMS,
    ".asm": NASM_FORMS, ".inc": NASM_FORMS,
    ".md": MD_FORMS,
}
BY_NAME = {"Makefile": HASH_FORMS, "makefile": HASH_FORMS}

# Anything that looks like a marker: a comment opener, then @@.
LOOKS_RE = re.compile(r"(?:/\*|//|#|;|<!--)[ \t]*@@(?:[ \t]|\*/|-->|$)")
SPEC_HELP = "N, N..M, ..M (N and M: stage numbers or final)"


def forms_of(rel):
    name = rel.split("/")[-1]
    if name in BY_NAME:
        return BY_NAME[name]
    return BY_SUFFIX.get(os.path.splitext(name)[1], ALL_FORMS)


def _form_text(forms):
    return " or ".join("%s @@ ...%s" % (o, " " + c if c else "")
                       for o, c in forms)


def marker_body(line, forms):
    """The words after @@ when line is a whole-line marker in one of
    forms, else None."""
    s = line.strip()
    for opener, closer in forms:
        if not s.startswith(opener):
            continue
        inner = s[len(opener):]
        if closer:
            if not inner.endswith(closer):
                continue
            inner = inner[:-len(closer)]
        inner = inner.strip()
        if inner == "@@" or inner.startswith(("@@ ", "@@\t")):
            return inner[2:].split()
    return None


class Node:
    """A region of a file: branches, each a stage set and its lines."""

    def __init__(self, line):
        self.line = line              # 1-based, of the opening marker
        self.branches = []            # [Branch]


class Branch:
    def __init__(self, line, spec, stages, is_else):
        self.line = line
        self.spec = spec              # the words, for messages
        self.stages = stages          # a set of stage indexes, or None: else
        self.is_else = is_else
        self.items = []               # (line number, text) or Node
        self.seen = set()             # the stages that see this branch
        self.bad = False              # its stages could not be read


class Marked:
    """One file of source/vmm/, parsed."""

    def __init__(self, rel):
        self.rel = rel
        self.stages = None            # `@@ file` stages, None: every stage
        self.items = []
        self.binary = False
        self.data = b""
        self.exec = False
        self.empty = False            # an empty file: empty in every stage
        self.bad = False              # its `@@ file` stages could not be read
        self.file_line = 0            # where its `@@ file` marker is


class Source:
    """The parsed source: every stage, every file; problems in errors."""

    def __init__(self, root):
        self.root = root
        self.stages = read_stages(root)
        self.errors = []
        self.files = []               # [Marked]
        self.overlays = {}            # stage path -> {rel inside: source rel}
        self.empty = {}               # source rel -> stages it is empty in

    def stage_set(self, words, where):
        """The stage indexes a spec names, or None after an error."""
        if len(words) != 1:
            self.errors.append("%s: expected one stage or range (%s), got %r"
                               % (where, SPEC_HELP, " ".join(words)))
            return None
        spec = words[0]
        m = re.match(r"^(\w*)\.\.(\w+)$", spec) or re.match(r"^(\w+)()$", spec)
        if not m:
            self.errors.append("%s: %r is not a stage or range (%s)"
                               % (where, spec, SPEC_HELP))
            return None
        lo, hi = m.group(1), m.group(2)
        if ".." not in spec:
            hi = None
        a = self.index_of(lo, where) if lo else 0
        b = self.index_of(hi, where) if hi else len(self.stages) - 1
        if a is None or b is None:
            return None
        if a > b:
            self.errors.append("%s: %s is an empty range" % (where, spec))
            return None
        return set(range(a, b + 1))

    def index_of(self, word, where):
        for s in self.stages:
            if (word == "final" and s.number is None) or (
                    word.isdigit() and s.number == int(word)):
                return s.index
        have = ", ".join("%02d" % s.number if s.number is not None
                         else "final" for s in self.stages)
        if word == "final" or word.isdigit():
            self.errors.append("%s: unknown stage %s (%s lists %s)"
                               % (where, word, STAGES_INI, have))
        else:
            self.errors.append("%s: %r is not a stage (%s)"
                               % (where, word, SPEC_HELP))
        return None

    def names(self, indexes):
        """A stage set as words, for messages."""
        out = []
        for i in sorted(indexes):
            s = self.stages[i]
            out.append("%02d" % s.number if s.number is not None else "final")
        return " ".join(out) or "none"


def _lines(text):
    """The lines of text, each with its newline (the last may have none)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def parse_file(src, rel, text):
    """Parse one marked file of source/vmm/ (rel relative to it)."""
    m = Marked(rel)
    where_file = VMM + "/" + rel
    forms = forms_of(rel)
    lines = _lines(text)
    stack = [m.items]
    opened = []                       # [(Node, Branch)]
    for no, line in enumerate(lines, 1):
        where = "%s:%d" % (where_file, no)
        words = marker_body(line, forms)
        if words is None:
            if LOOKS_RE.search(line):
                if marker_body(line, ALL_FORMS) is not None:
                    src.errors.append("%s: a marker in this file is written "
                                      "%s" % (where, _form_text(forms)))
                else:
                    src.errors.append("%s: a stage marker must be a whole "
                                      "line: %s" % (where, _form_text(forms)))
            stack[-1].append((no, line))
            continue
        if not words:
            src.errors.append("%s: empty marker (expected a stage, a range, "
                              "else, end or file)" % where)
            continue
        kind = words[0]
        if kind == "file":
            first = 2 if lines[0].startswith("#!") else 1
            if no != first:
                src.errors.append("%s: `@@ file` must be the file's first "
                                  "line (the second after a #! line)" % where)
                continue
            m.stages = src.stage_set(words[1:], where)
            m.file_line = no
            if m.stages is None:
                m.stages, m.bad = set(), True
            continue
        if kind == "end":
            if len(words) != 1:
                src.errors.append("%s: `@@ end` takes nothing after it"
                                  % where)
            if not opened:
                src.errors.append("%s: `@@ end` without a region to close"
                                  % where)
                continue
            opened.pop()
            stack.pop()
            continue
        if kind == "else":
            if not opened:
                src.errors.append("%s: `@@ else` outside a region" % where)
                continue
            node, last = opened[-1]
            if last.is_else and last.stages is None:
                src.errors.append("%s: a branch after the plain `@@ else` "
                                  "of line %d" % (where, last.line))
            sset = src.stage_set(words[1:], where) if len(words) > 1 else None
            b = Branch(no, " ".join(words), sset, True)
            if len(words) > 1 and sset is None:
                b.stages, b.bad = set(), True
            node.branches.append(b)
            opened[-1] = (node, b)
            stack[-1] = b.items
            continue
        sset = src.stage_set(words, where)
        node = Node(no)
        b = Branch(no, " ".join(words), sset if sset is not None else set(),
                   False)
        b.bad = sset is None
        node.branches.append(b)
        stack[-1].append(node)
        opened.append((node, b))
        stack.append(b.items)
    for node, _ in opened:
        src.errors.append("%s:%d: region never closed with `@@ end`"
                          % (where_file, node.line))
    return m


def _resolve(src, where_file, items, parent):
    """Work out which stages see each branch, inside the stage set parent;
    a branch no stage sees, or a region every stage of parent sees whole,
    is an error."""
    for it in items:
        if not isinstance(it, Node):
            continue
        specs = set()
        for b in it.branches:
            if b.stages is not None:
                specs |= b.stages
        for s in parent:
            chosen = None
            for b in it.branches:
                if (b.stages is None and s not in specs) or (
                        b.stages is not None and s in b.stages):
                    chosen = b
            if chosen is not None:
                chosen.seen.add(s)
        bad = any(b.bad for b in it.branches)
        for b in it.branches:
            if not b.seen and not bad:
                src.errors.append(
                    "%s:%d: `@@ %s` is in no stage (inside stages %s%s)"
                    % (where_file, b.line, b.spec, src.names(parent),
                       ", a later branch takes its stages"
                       if len(it.branches) > 1 else ""))
        if len(it.branches) == 1 and it.branches[0].seen == parent \
                and not bad:
            src.errors.append(
                "%s:%d: `@@ %s` marks nothing: every stage around it (%s) "
                "has it" % (where_file, it.line, it.branches[0].spec,
                            src.names(parent)))
        for b in it.branches:
            _resolve(src, where_file, b.items, b.seen)


def render(items, stage_index):
    """The (line number, text) pairs a stage sees."""
    out = []
    for it in items:
        if not isinstance(it, Node):
            out.append(it)
            continue
        for b in it.branches:
            if stage_index in b.seen:
                out += render(b.items, stage_index)
                break
    return out


# --- tests/grade.ini: a test section carries the stage it starts in ------------

SECTION_RE = re.compile(r"^\[([^\]]*)\]\s*$")
LAB_KEY_RE = re.compile(r"^lab\s*=\s*(.*?)\s*$")


def _blank_or_comment(text):
    s = text.strip()
    return not s or s.startswith((";", "#"))


def filter_grade_ini(src, pairs, stage):
    """Drop the test sections of stages after `stage`, each with the
    comment and blank lines just above its header."""
    where_file = VMM + "/" + GRADE_INI
    heads = [i for i, (_, t) in enumerate(pairs) if SECTION_RE.match(t)]
    # A section starts with the comments and blank lines just above its
    # header (not above the first one: that is the file's own preamble).
    starts = []
    for n, h in enumerate(heads):
        start = h
        while n > 0 and _blank_or_comment(pairs[start - 1][1]):
            start -= 1
        starts.append(start)
    drop = set()
    for n, h in enumerate(heads):
        name = SECTION_RE.match(pairs[h][1]).group(1).strip()
        stop = starts[n + 1] if n + 1 < len(heads) else len(pairs)
        if name == "lab":
            continue
        since = None
        for no, t in pairs[h + 1:stop]:
            k = LAB_KEY_RE.match(t.split(" ;")[0].split(" #")[0])
            if k:
                since = (no, k.group(1))
        if since is None:
            src.errors.append("%s:%d: [%s] has no `lab = N` (the lab its "
                              "test starts in)" % (where_file, pairs[h][0],
                                                   name))
            continue
        no, value = since
        lab = None
        if value.isdigit():
            lab = next((s for s in src.stages
                        if s.number is not None and s.number == int(value)),
                       None)
        if lab is None:
            src.errors.append("%s:%d: [%s] lab = %s: not a lab of %s"
                              % (where_file, no, name, value, STAGES_INI))
            continue
        if lab.index > stage.index:
            drop.update(range(starts[n], stop))
    return [p for i, p in enumerate(pairs) if i not in drop]


# --- reading the source and generating the stages ------------------------------

def _read(full):
    with open(full, "rb") as f:
        data = f.read()
    text = None
    if b"\0" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return data, text


def _is_exec(full):
    return bool(os.stat(full).st_mode & stat.S_IXUSR)


def load_source(root):
    """Parse source/; raises Fail for a bad stages.ini, and leaves marker
    problems in the result's errors."""
    src = Source(root)
    by_name = {s.name: s for s in src.stages}
    for rel in list_files(root, SOURCE):
        full = os.path.join(root, rel)
        if os.path.islink(full):
            src.errors.append("%s: a symbolic link (the stages hold only "
                              "files)" % rel)
            continue
        if rel.startswith(VMM + "/"):
            inner = rel[len(VMM) + 1:]
            data, text = _read(full)
            if text is None:
                m = Marked(inner)
                m.binary = True
                m.data = data
            else:
                m = parse_file(src, inner, text)
                m.empty = text == ""
                every = set(range(len(src.stages)))
                if m.stages == every:
                    src.errors.append("%s:%d: `@@ file` marks nothing: "
                                      "every stage has the file"
                                      % (rel, m.file_line))
                if m.stages is None:
                    m.stages = every
                if not m.bad:
                    _resolve(src, rel, m.items, m.stages)
            m.exec = _is_exec(full)
            src.files.append(m)
        elif rel.startswith(PER_STAGE + "/"):
            parts = rel[len(PER_STAGE) + 1:].split("/", 1)
            st = by_name.get(parts[0])
            if st is None or len(parts) < 2:
                src.errors.append("%s: %s/%s is not a stage of %s"
                                  % (rel, PER_STAGE, parts[0], STAGES_INI))
                continue
            _, text = _read(full)
            if text is not None:
                for no, line in enumerate(_lines(text), 1):
                    if LOOKS_RE.search(line):
                        src.errors.append("%s:%d: a stage marker in a file "
                                          "of one stage" % (rel, no))
            if parts[1] == ANSWERS:
                continue        # the instructor's: not in the stage
            src.overlays.setdefault(st.path, {})[parts[1]] = rel
        elif rel.startswith(WRONG + "/"):
            continue            # the instructor's: read by grading/wrong.py
        elif rel != STAGES_INI:
            src.errors.append("%s: source/ holds stages.ini, vmm/, stages/ "
                              "and wrong/ only" % rel)
    return src


def generate(src, stage):
    """{path inside the stage: (bytes, executable, source path)}."""
    out = {}
    for m in src.files:
        full_rel = VMM + "/" + m.rel
        if m.binary:
            out[m.rel] = (m.data, m.exec, full_rel)
            continue
        if stage.index not in m.stages:
            continue
        pairs = render(m.items, stage.index)
        if m.rel == GRADE_INI:
            pairs = filter_grade_ini(src, pairs, stage)
        text = "".join(t for _, t in pairs)
        if not text and not m.empty:
            src.empty.setdefault(full_rel, []).append(stage.label)
            continue
        out[m.rel] = (text.encode("utf-8"), m.exec, full_rel)
    for inner, rel in sorted(src.overlays.get(stage.path, {}).items()):
        if inner in out:
            src.errors.append("%s: %s also writes %s/%s (leave it out of "
                              "that stage with `@@ file`)"
                              % (rel, out[inner][2], stage.path, inner))
            continue
        full = os.path.join(src.root, rel)
        data, _ = _read(full)
        out[inner] = (data, _is_exec(full), rel)
    return out


def generate_all(root):
    """(source, {stage path: generated files}); raises Fail listing every
    marker problem."""
    src = load_source(root)
    trees = {}
    for st in src.stages:
        trees[st.path] = generate(src, st)
    for rel, labels in src.empty.items():
        src.errors.append("%s: empty in %s after its markers (write "
                          "`@@ file` on its first line to leave it out)"
                          % (rel, ", ".join(labels)))
    if src.errors:
        raise SourceErrors("\n".join(_unique(src.errors)))
    return src, trees


def _unique(items):
    seen = set()
    out = []
    for i in items:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


# --- check -------------------------------------------------------------------

def _first_line_differing(a, b):
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return i
    return min(len(la), len(lb)) + (0 if len(la) == len(lb) else 1)


def compare(root, stage, files):
    """Problems of one stage folder against its generated files."""
    if not os.path.isdir(os.path.join(root, stage.path)):
        return ["%s: missing (make stages writes it)" % stage.path]
    problems = []
    have = {}
    prefix = stage.path + "/"
    for rel in list_files(root, stage.path):
        if rel.startswith(prefix):
            have[rel[len(prefix):]] = rel
    for inner in sorted(set(have) | set(files)):
        rel = prefix + inner
        if inner not in files:
            problems.append("%s: not generated by any file of %s (remove it, "
                            "or add it to the source)" % (rel, SOURCE))
            continue
        data, exe, from_rel = files[inner]
        if inner not in have:
            problems.append("%s: missing; %s generates it (make stages)"
                            % (rel, from_rel))
            continue
        full = os.path.join(root, rel)
        if os.path.islink(full):
            problems.append("%s: a symbolic link; %s generates a file"
                            % (rel, from_rel))
            continue
        with open(full, "rb") as f:
            cur = f.read()
        if cur != data:
            problems.append("%s:%d: differs from what %s generates (edit the "
                            "source, then make stages)"
                            % (rel, _first_line_differing(cur, data),
                               from_rel))
        elif _is_exec(full) != exe:
            problems.append("%s: executable bit %s, but %s's is %s"
                            % (rel, "set" if _is_exec(full) else "clear",
                               from_rel, "set" if exe else "clear"))
    return problems


def cmd_check(root, out=sys.stdout, err=sys.stderr):
    try:
        src, trees = generate_all(root)
    except SourceErrors as e:
        lines = str(e).splitlines()
        for line in lines:
            print("stages: " + line, file=err)
        print("stages: %d problem%s in %s; the first: %s"
              % (len(lines), "" if len(lines) == 1 else "s", SOURCE,
                 lines[0]), file=err)
        return 1
    problems = []
    for st in src.stages:
        p = compare(root, st, trees[st.path])
        problems += p
        print("%-22s %3d files%s" % (st.path, len(trees[st.path]),
                                     "  -- DIFFERS" if p else ", up to date"),
              file=out)
    known = set(s.path for s in src.stages)
    for st in find_stages(root):
        if st.path not in known:
            problems.append("%s: a stage folder that %s does not list"
                            % (st.path, STAGES_INI))
    for p in problems:
        print("stages: " + p, file=err)
    if problems:
        print("stages: %d problem%s; the first: %s"
              % (len(problems), "" if len(problems) == 1 else "s",
                 problems[0]), file=err)
        return 1
    print("stages: %d stages are what %s generates" % (len(src.stages),
                                                        SOURCE), file=out)
    return 0


# --- write -------------------------------------------------------------------

def cmd_write(root, out=sys.stdout):
    src, trees = generate_all(root)
    for st in src.stages:
        files = trees[st.path]
        prefix = st.path + "/"
        have = [rel[len(prefix):] for rel in list_files(root, st.path)
                if rel.startswith(prefix)] \
            if os.path.isdir(os.path.join(root, st.path)) else []
        changed = 0
        for inner in sorted(have):
            if inner not in files:
                os.unlink(os.path.join(root, prefix + inner))
                _prune(root, os.path.dirname(prefix + inner), st.path)
                print("  removed %s%s" % (prefix, inner), file=out)
                changed += 1
        for inner, (data, exe, _) in sorted(files.items()):
            full = os.path.join(root, prefix + inner)
            mode = 0o755 if exe else 0o644
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    same = f.read() == data
                if same and _is_exec(full) == exe:
                    continue
            elif os.path.lexists(full):
                os.unlink(full)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            os.chmod(full, mode)
            changed += 1
        print("%-22s %3d files, %d written or removed"
              % (st.path, len(files), changed), file=out)
    return 0


def _prune(root, rel_dir, top):
    """Remove rel_dir and its parents up to top while they are empty."""
    while rel_dir and rel_dir != top:
        full = os.path.join(root, rel_dir)
        try:
            os.rmdir(full)
        except OSError:
            return
        rel_dir = os.path.dirname(rel_dir)


# --- diff --------------------------------------------------------------------

def _text_lines(data):
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def find_stage(stages, spec):
    spec = spec.strip().rstrip("/")
    for s in stages:
        if spec in (s.path, s.name) or (spec == "final" and s.number is None) \
                or (spec.isdigit() and s.number == int(spec)):
            return s
    have = ", ".join(s.path for s in stages)
    raise Fail("no stage %r (%s lists %s)" % (spec, STAGES_INI, have))


def cmd_diff(root, spec, out=sys.stdout):
    src, trees = generate_all(root)
    stage = find_stage(src.stages, spec)
    prev = src.stages[stage.index - 1] if stage.index else None
    here = trees[stage.path]
    before = trees[prev.path] if prev else {}
    summary, body = [], []
    for f in sorted(set(here) | set(before)):
        a, b = before.get(f), here.get(f)
        if a and b and a[:2] == b[:2]:
            continue
        kind = "changed" if a and b else ("added" if b else "removed")
        la = _text_lines(a[0]) if a else []
        lb = _text_lines(b[0]) if b else []
        name_a = "a/%s/%s" % (prev.path, f) if a else "/dev/null"
        name_b = "b/%s/%s" % (stage.path, f) if b else "/dev/null"
        if la is None or lb is None:
            summary.append("  %-8s %s (binary)" % (kind, f))
            body.append("Binary files %s and %s differ\n" % (name_a, name_b))
            continue
        d = list(difflib.unified_diff(la, lb, name_a, name_b))
        for i, line in enumerate(d):
            if not line.endswith("\n"):
                d[i] = line + "\n\\ No newline at end of file\n"
        if not d:
            summary.append("  %-8s %s (executable bit)" % (kind, f))
            continue
        plus = sum(1 for x in d if x.startswith("+") and not x.startswith("+++"))
        minus = sum(1 for x in d if x.startswith("-") and not x.startswith("---"))
        summary.append("  %-8s %s (+%d -%d)" % (kind, f, plus, minus))
        body.extend(d)
    title = "%s (%s)" % (stage.label, stage.path)
    if prev:
        title += " against %s" % prev.path
    else:
        title += ": the first stage, every file is new"
    out.write(title + "\n")
    out.write("\n".join(summary) + ("\n" if summary else "  no differences\n"))
    out.write("\n")
    out.writelines(body)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="stages.py",
        description="Generate the lab stages from source/ and check them.")
    ap.add_argument("--root", default=repo_root(),
                    help="the repository (default: the one holding this file)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("write", help="write every stage folder from source/")
    sub.add_parser("check", help="the stage folders are what source/ "
                   "generates, and its markers are well formed")
    p = sub.add_parser("diff", help="what a stage adds and changes")
    p.add_argument("stage", metavar="N", help="lab number, or final")
    args = ap.parse_args(argv)
    root = os.path.realpath(args.root)
    try:
        if args.cmd == "check":
            return cmd_check(root)
        if args.cmd == "write":
            return cmd_write(root)
        return cmd_diff(root, args.stage)
    except SourceErrors as e:
        lines = str(e).splitlines()
        for line in lines:
            print("stages: %s" % line, file=sys.stderr)
        print("stages: %d problem%s in %s, nothing done; the first: %s"
              % (len(lines), "" if len(lines) == 1 else "s", SOURCE,
                 lines[0]), file=sys.stderr)
        return 1
    except Fail as e:
        print("stages: %s" % e, file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The lab lineage: lab N is a copy of lab N-1 plus one subsystem.

Each stage (labs/NN-name/ in order, then final/) has a manifest, LINEAGE,
naming the stage before it and the files it adds, changes and removes;
every other file must be byte-identical to the previous stage's copy.
grading/README.md ("The lab lineage") describes the format.

    lineage.py check          every stage against its manifest
    lineage.py carry FILE...  copy a fix in FILE forward to the later stages
                              that inherit it unchanged
    lineage.py diff N         what lab N (or "final") adds and changes

This file also holds what handout.py shares with it: which files of the
repository count, and where the stages are.
"""

import argparse
import difflib
import os
import posixpath
import re
import shutil
import stat
import subprocess
import sys

MANIFEST = "LINEAGE"
KINDS = ("added", "changed", "removed")

# Build outputs, never part of a stage nor of a handout, even when no
# .gitignore says so: whole top-level output folders, any folder with one
# of these names, and object files.
OUTPUT_TREES = ("dist", "grading/out", "guests/out", "book/out")
OUTPUT_DIRNAMES = ("build", "__pycache__", ".git")
OUTPUT_SUFFIXES = (".o", ".pyc")


class Fail(Exception):
    """A bad command line or input file: one line, exit status 2."""


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

    def __init__(self, path, number):
        self.path = path            # "labs/01-vm-entry" or "final"
        self.number = number        # 1, or None for final/

    @property
    def label(self):
        return "final" if self.number is None else "lab %02d" % self.number

    def __repr__(self):
        return "Stage(%r)" % self.path


def find_stages(root):
    """The stages in lineage order: labs/NN-* by number, then final/."""
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


def find_stage(root, spec):
    """A stage named by number ("1", "01"), "final" or folder path."""
    stages = find_stages(root)
    spec = spec.strip().rstrip("/")
    for s in stages:
        if spec in (s.path, s.path.split("/")[-1]):
            return s
    if spec.isdigit():
        for s in stages:
            if s.number == int(spec):
                return s
    have = ", ".join(s.path for s in stages) or "none"
    raise Fail("no stage %r (stages: %s)" % (spec, have))


def stage_files(root, stage):
    """The files of a stage, relative to its folder, manifest excluded."""
    prefix = stage.path + "/"
    out = []
    for rel in list_files(root, stage.path):
        if rel.startswith(prefix) and rel[len(prefix):] != MANIFEST:
            out.append(rel[len(prefix):])
    return out


# --- manifests -------------------------------------------------------------

class Manifest:
    def __init__(self, path):
        self.path = path              # repository-relative
        self.previous = None          # a stage path, or None for "none"
        self.previous_line = 0
        self.entries = {}             # file -> (kind, line number)


def read_manifest(root, stage, errors):
    """Parse stage's LINEAGE; problems are appended to errors."""
    rel = stage.path + "/" + MANIFEST
    man = Manifest(rel)
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        errors.append("%s: missing (every stage needs a lineage manifest)"
                      % rel)
        return None
    except (OSError, UnicodeDecodeError) as e:
        errors.append("%s: cannot read: %s" % (rel, e))
        return None
    seen_previous = False
    for no, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = "%s:%d" % (rel, no)
        if len(words) != 2:
            errors.append("%s: expected `KIND PATH`, got %r" % (where, line))
            continue
        kind, arg = words
        if kind == "previous":
            if seen_previous:
                errors.append("%s: a second `previous` line" % where)
            seen_previous = True
            man.previous = None if arg == "none" else arg.rstrip("/")
            man.previous_line = no
            continue
        if kind not in KINDS:
            errors.append("%s: unknown kind %r (previous, %s)"
                          % (where, kind, ", ".join(KINDS)))
            continue
        if (arg.startswith("/") or posixpath.normpath(arg) != arg
                or arg.split("/")[0] == ".."):
            errors.append("%s: %r is not a plain path inside the stage"
                          % (where, arg))
            continue
        if arg == MANIFEST:
            errors.append("%s: the manifest does not list itself" % where)
            continue
        if arg in man.entries:
            errors.append("%s: %s already listed at line %d"
                          % (where, arg, man.entries[arg][1]))
            continue
        man.entries[arg] = (kind, no)
    if not seen_previous:
        errors.append("%s: no `previous` line (write `previous none` for "
                      "the first stage)" % rel)
        return None
    return man


def _same(a, b):
    """Byte-identical content, same kind of file, same executable bit."""
    la, lb = os.path.islink(a), os.path.islink(b)
    if la or lb:
        return la and lb and os.readlink(a) == os.readlink(b)
    if (os.stat(a).st_mode & stat.S_IXUSR) != (os.stat(b).st_mode & stat.S_IXUSR):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def _first_difference(a, b):
    """A short phrase locating the first difference between two files."""
    if os.path.islink(a) or os.path.islink(b):
        return "symbolic links differ"
    with open(a, "rb") as fa, open(b, "rb") as fb:
        da, db = fa.read(), fb.read()
    if da == db:
        return "executable bit differs"
    la, lb = da.split(b"\n"), db.split(b"\n")
    for i, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return "first difference at line %d" % i
    return "first difference at line %d" % (min(len(la), len(lb)) + 1)


def _chain_errors(stages, mans, errors):
    """Each stage's `previous` must be the stage just before it; returns
    the stages whose manifest gets that wrong."""
    bad = set()
    for i, s in enumerate(stages):
        man = mans.get(s.path)
        if man is None:
            continue
        want = stages[i - 1].path if i else None
        if man.previous != want:
            errors.append("%s:%d: previous is %s; the stage before %s is %s"
                          % (man.path, man.previous_line,
                             man.previous or "none", s.path, want or "none"))
            bad.add(s.path)
    return bad


def check_stage(root, stage, man, errors):
    """Compare one stage with its previous stage; returns a summary."""
    here = set(stage_files(root, stage))
    base = "%s/" % stage.path
    counts = dict.fromkeys(KINDS + ("inherited",), 0)
    if man.previous is None:
        for f, (kind, no) in sorted(man.entries.items()):
            if kind != "added":
                errors.append("%s:%d: the first stage can only add files"
                              % (man.path, no))
            elif f not in here:
                errors.append("%s%s: listed as added (%s:%d) but missing"
                              % (base, f, man.path, no))
        counts["added"] = len(here)
        return counts
    prev = set(stage_files(root, Stage(man.previous, None)))
    pbase = man.previous + "/"
    for f in sorted(here | prev | set(man.entries)):
        kind, no = man.entries.get(f, (None, 0))
        mine, theirs = base + f, pbase + f
        at = "(%s:%d)" % (man.path, no)
        a, b = os.path.join(root, theirs), os.path.join(root, mine)
        if kind is None:
            if f in here and f in prev:
                if _same(a, b):
                    counts["inherited"] += 1
                else:
                    errors.append("%s: differs from %s (%s) but %s does not "
                                  "list it as changed"
                                  % (mine, theirs, _first_difference(a, b),
                                     man.path))
            elif f in here:
                errors.append("%s: not in %s and not listed as added in %s"
                              % (mine, man.previous, man.path))
            else:
                errors.append("%s: missing; %s has it and %s does not list "
                              "it as removed" % (mine, theirs, man.path))
            continue
        counts[kind] += 1
        if kind == "added":
            if f not in here:
                errors.append("%s: listed as added %s but missing" % (mine, at))
            elif f in prev:
                how = "identical: drop the line" if _same(a, b) else \
                    "list it as changed"
                errors.append("%s: listed as added %s but %s has it (%s)"
                              % (mine, at, man.previous, how))
        elif kind == "changed":
            if f not in here:
                errors.append("%s: listed as changed %s but missing"
                              % (mine, at))
            elif f not in prev:
                errors.append("%s: listed as changed %s but %s has no such "
                              "file (list it as added)"
                              % (mine, at, man.previous))
            elif _same(a, b):
                errors.append("%s: listed as changed %s but identical to %s "
                              "(stale manifest)" % (mine, at, theirs))
        else:
            if f in here:
                errors.append("%s: listed as removed %s but present"
                              % (mine, at))
            elif f not in prev:
                errors.append("%s: listed as removed %s but %s has no such "
                              "file" % (mine, at, man.previous))
    return counts


def load_all(root, errors):
    stages = find_stages(root)
    mans = {}
    for s in stages:
        man = read_manifest(root, s, errors)
        if man is not None:
            mans[s.path] = man
    for bad in _chain_errors(stages, mans, errors):
        del mans[bad]
    return stages, mans


def cmd_check(root):
    errors = []
    stages, mans = load_all(root, errors)
    if not stages:
        raise Fail("no stages (labs/NN-name/ or final/) in %s" % root)
    for s in stages:
        man = mans.get(s.path)
        if man is None:
            print("%-24s manifest unusable  -- PROBLEMS" % s.path)
            continue
        n = len(errors)
        c = check_stage(root, s, man, errors)
        if man.previous is None:
            what = "first stage, %d files" % c["added"]
        else:
            what = ("%d added, %d changed, %d removed, %d inherited unchanged"
                    % (c["added"], c["changed"], c["removed"], c["inherited"]))
        print("%-24s %s%s" % (s.path, what,
                              "" if len(errors) == n else "  -- PROBLEMS"))
    for e in errors:
        print("lineage: " + e, file=sys.stderr)
    if errors:
        print("lineage: %d problem%s" % (len(errors),
                                         "" if len(errors) == 1 else "s"))
        return 1
    print("lineage: %d stage%s consistent" % (len(stages),
                                              "" if len(stages) == 1 else "s"))
    return 0


# --- carry -----------------------------------------------------------------

def _head_version(root, rel):
    """The committed content of rel, or None (not committed, no git)."""
    try:
        r = subprocess.run(["git", "-C", root, "show", "HEAD:" + rel],
                           capture_output=True)
    except OSError:
        return None
    return r.stdout if r.returncode == 0 else None


def _locate(root, path):
    """Split a file path into (stage, path inside the stage)."""
    full = os.path.realpath(path)
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    if rel.startswith("../"):
        raise Fail("%s: not inside the repository %s" % (path, root))
    for s in find_stages(root):
        if rel.startswith(s.path + "/"):
            inner = rel[len(s.path) + 1:]
            if inner == MANIFEST:
                raise Fail("%s: a manifest is never carried" % path)
            if is_output(rel):
                raise Fail("%s: a build output, not part of the lineage"
                           % path)
            if not os.path.isfile(full):
                raise Fail("%s: no such file" % path)
            return s, inner
    raise Fail("%s: not inside a stage (labs/NN-name/ or final/)" % path)


def carry_one(root, path, force=False):
    """Copy one fixed file forward; returns the number of refusals."""
    errors = []
    stages, mans = load_all(root, errors)
    if errors:
        raise Fail("fix the manifests first: " + errors[0])
    src, inner = _locate(root, path)
    src_rel = src.path + "/" + inner
    src_full = os.path.join(root, src_rel)
    with open(src_full, "rb") as f:
        new = f.read()
    old = _head_version(root, src_rel)
    idx = [s.path for s in stages].index(src.path)
    later = stages[idx + 1:]
    if not later:
        print("%s: no later stage to carry it to" % src_rel)
        return 0
    refused = 0
    for s in later:
        dst_rel = s.path + "/" + inner
        kind, no = mans[s.path].entries.get(inner, (None, 0))
        if kind is not None:
            print("%s: %s by %s (%s:%d); not carried further, apply the "
                  "fix there by hand" % (dst_rel, kind, s.label,
                                         mans[s.path].path, no))
            break
        dst = os.path.join(root, dst_rel)
        if os.path.exists(dst):
            with open(dst, "rb") as f:
                cur = f.read()
            if cur == new:
                print("%s: already up to date" % dst_rel)
                continue
            if old is not None and cur != old and not force:
                print("%s: differs from both the committed and the fixed %s;"
                      " not overwritten (merge by hand, or --force)"
                      % (dst_rel, src_rel))
                refused += 1
                break
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src_full, dst)
        shutil.copymode(src_full, dst)
        print("%s: updated from %s" % (dst_rel, src_rel))
    else:
        print("%s: carried through to the last stage, %s" % (src_rel,
                                                             later[-1].path))
    return refused


def cmd_carry(root, paths, force):
    refused = 0
    for p in paths:
        refused += carry_one(root, p, force)
    return 1 if refused else 0


# --- diff ------------------------------------------------------------------

def _read_lines(full):
    if os.path.islink(full):
        return ["-> " + os.readlink(full) + "\n"]
    with open(full, "rb") as f:
        data = f.read()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _count_changes(lines):
    plus = sum(1 for l in lines if l.startswith("+") and not l.startswith("+++"))
    minus = sum(1 for l in lines if l.startswith("-") and not l.startswith("---"))
    return plus, minus


def cmd_diff(root, spec, out=sys.stdout):
    errors = []
    stage = find_stage(root, spec)
    man = read_manifest(root, stage, errors)
    if man is None:
        raise Fail(errors[0])
    here = set(stage_files(root, stage))
    prev = set(stage_files(root, Stage(man.previous, None))) \
        if man.previous else set()
    summary, body = [], []
    for f in sorted(here | prev):
        a = os.path.join(root, man.previous, f) if f in prev else None
        b = os.path.join(root, stage.path, f) if f in here else None
        if a and b and _same(a, b):
            continue
        kind = "changed" if a and b else ("added" if b else "removed")
        la = _read_lines(a) if a else []
        lb = _read_lines(b) if b else []
        name_a = "a/%s/%s" % (man.previous, f) if a else "/dev/null"
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
        plus, minus = _count_changes(d)
        summary.append("  %-8s %s (+%d -%d)" % (kind, f, plus, minus))
        body.extend(d)
    title = "%s (%s)" % (stage.label, stage.path)
    if man.previous:
        title += " against %s" % man.previous
    else:
        title += ": the first stage, every file is new"
    out.write(title + "\n")
    out.write("\n".join(summary) + ("\n" if summary else "  no differences\n"))
    out.write("\n")
    out.writelines(body)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="lineage.py",
        description="Check and maintain the lineage of the lab stages.")
    ap.add_argument("--root", default=repo_root(),
                    help="the repository (default: the one holding this file)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="check every stage against its manifest")
    p = sub.add_parser("carry", help="copy a fixed file to the later stages "
                       "that inherit it unchanged")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--force", action="store_true",
                   help="overwrite later copies that differ from the "
                   "committed version too")
    p = sub.add_parser("diff", help="what a stage adds and changes")
    p.add_argument("stage", metavar="N", help="lab number, or final")
    args = ap.parse_args(argv)
    root = os.path.realpath(args.root)
    try:
        if args.cmd == "check":
            return cmd_check(root)
        if args.cmd == "carry":
            return cmd_carry(root, args.files, args.force)
        return cmd_diff(root, args.stage)
    except Fail as e:
        print("lineage: %s" % e, file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

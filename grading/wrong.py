#!/usr/bin/env python3
"""wrong.py - the wrong solutions each exercise's tests must keep failing.

    python3 grading/wrong.py --lab N [--exercise NAME]... [-j J]
                             [--runner host|qemu|auto] [--json PATH]
    python3 grading/wrong.py --all [...]             # the project check check.wrong
    python3 grading/wrong.py --lab N --list          # the wrong solutions, nothing run

Every exercise keeps, in `source/wrong/N.name/`, plausible wrong solutions
(a student's likely slips: a field forgotten, a boundary off by one, a
policy taken from the reference). Each file says which tests must fail on
it. For each, this tool puts the wrong solution in place of the region's
reference body in a scratch copy of lab N (build/wrong/NN-name/), builds
it, runs the named tests as grade.py would (unit and cli tests here, guest
tests through the grader's runner) and insists that every one fails. A
test that passes a wrong solution means the tests no longer catch that
slip. grading/README.md, "Wrong solutions", has the format and the rule.
"""

import argparse
import concurrent.futures
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import grade                                    # noqa: E402
import handout                                  # noqa: E402
import mutate                                   # noqa: E402
from grading.runners import host as host_runner  # noqa: E402

WRONG_DIR = os.path.join("source", "wrong")
MIN_PER_EXERCISE = 3
SKIP_STATUS = 77
FIND, REPLACE = "--- find", "+++ replace"
HEAD_RE = re.compile(r"^/\*\s*(Wrong|Right)\s+(\d+\.[A-Za-z0-9_-]+):\s*(\S.*?)\s*$")


class Fail(Exception):
    """A bad command line, lab or wrong-solution file: exit status 2."""


class Wrong:
    """One wrong solution of one exercise."""

    def __init__(self, rel, exercise, title, right=False):
        self.rel = rel              # repository-relative file
        self.exercise = exercise    # "1.realmode"
        self.right = right          # another correct solution: must pass
        self.slug = os.path.splitext(os.path.basename(rel))[0]
        self.title = title
        self.fails = []             # test names that must fail
        self.body = []              # replacement lines, or
        self.edits = []             # [(find lines, replace lines)]
        self.region = None          # mutate.Exercise
        self.text = None            # the whole file, wrong solution in place
        # outcome
        self.results = {}           # test -> (where or None, why)
        self.broken = ""            # does not build, or not applicable

    @property
    def name(self):
        return "%s/%s" % (self.exercise, self.slug)


def parse_wrong(root, rel):
    """A wrong-solution file: a header comment (`/* Wrong N.name: title`,
    free text, `Fails: tests...`) then either the region's whole new body
    or `--- find` / `+++ replace` blocks."""
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    m = HEAD_RE.match(lines[0]) if lines else None
    if not m or m.group(3).endswith("*/"):
        raise Fail("%s:1: expected `/* Wrong N.name: what it does wrong` "
                   "(or `/* Right N.name: ...` for another correct solution)" % rel)
    w = Wrong(rel, m.group(2), m.group(3), right=m.group(1) == "Right")
    key = "Passes:" if w.right else "Fails:"
    i = 1
    while i < len(lines) and not lines[i].rstrip().endswith("*/"):
        text = lines[i].strip().lstrip("*").strip()
        if text.startswith(key):
            w.fails += text[len(key):].split()
        elif w.fails and text:
            w.fails += text.split()
        i += 1
    if i >= len(lines):
        raise Fail("%s: the header comment is not closed" % rel)
    if not w.fails:
        raise Fail("%s: no `%s` line naming the tests that must %s" % (
            rel, key, "pass" if w.right else "fail"))
    rest = lines[i + 1:]
    if any(l == FIND for l in rest):
        first = next(k for k, l in enumerate(rest) if l.strip())
        if rest[first] != FIND:
            raise Fail("%s:%d: text before the first `%s`" % (rel, i + 2 + first, FIND))
        cur = None
        for k, l in enumerate(rest[first:], i + 2 + first):
            if l == FIND:
                cur = ([], None)
                w.edits.append(cur)
            elif l == REPLACE:
                if cur[1] is not None:
                    raise Fail("%s:%d: a second `%s` for one `%s`" % (rel, k, REPLACE, FIND))
                cur = (cur[0], [])
                w.edits[-1] = cur
            elif cur[1] is None:
                cur[0].append(l)
            else:
                cur[1].append(l)
        for find, repl in w.edits:
            if repl is None or not [l for l in find if l.strip()]:
                raise Fail("%s: every `%s` needs text and a `%s`" % (rel, FIND, REPLACE))
    else:
        w.body = rest
    return w


def load_wrongs(root, number):
    """The wrong solutions of lab `number`'s exercises, by exercise."""
    top = os.path.join(root, WRONG_DIR)
    out = {}
    if not os.path.isdir(top):
        return out
    for ex in sorted(os.listdir(top)):
        if not ex.startswith("%d." % number):
            continue
        d = os.path.join(top, ex)
        for f in sorted(os.listdir(d)):
            if f.startswith(".") or not os.path.isfile(os.path.join(d, f)):
                continue
            w = parse_wrong(root, os.path.join(WRONG_DIR, ex, f))
            if w.exercise != ex:
                raise Fail("%s:1: says %s, but it is in the folder of %s"
                           % (w.rel, w.exercise, ex))
            out.setdefault(ex, []).append(w)
    return out


def _drop_trailing(lines):
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def apply(w, text):
    """The lab file's text with w in place of its region's body."""
    r = w.region.region
    lines = text.split("\n")
    body = lines[r.close + 1:r.end]
    if w.edits:
        joined = "\n".join(body)
        for find, repl in w.edits:
            f = "\n".join(_drop_trailing(find))
            n = joined.count(f)
            if n != 1:
                raise Fail("%s: a `%s` block occurs %d times in the body of "
                           "EXERCISE %s, not once:\n%s"
                           % (w.rel, FIND, n, w.exercise, f))
            joined = joined.replace(f, "\n".join(_drop_trailing(repl)))
        new = joined.split("\n")
    else:
        new = w.body
    return "\n".join(lines[:r.close + 1] + new + lines[r.end:])


# ---------------------------------------------------------------- building, on this machine

def run_wrong(job):
    """Build one wrong solution in this worker's tree and run its host
    tests. Returns (index, broken, {test: why}, vmm copy or "")."""
    index, rel, text, tests, keep_as = job
    w = mutate._worker
    tree, root, targets = w["tree"], w["root"], w["targets"]
    path = os.path.join(tree, rel)
    with open(path, encoding="utf-8") as f:
        original = f.read()
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        status, out = mutate.make(tree, targets, sorted(w["dirty"] | {rel}))
        w["dirty"].discard(rel)
        if status != 0:
            lines = [l for l in out.splitlines() if "error" in l or "warning" in l]
            return index, "does not build: %s" % (lines or out.splitlines() or ["?"])[0], {}, ""
        results = {}
        for t in tests:
            argv0 = os.path.relpath(os.path.join(tree, w["unit"] if t.kind == "unit"
                                                 else w["vmm"]), root)
            j = grade.make_job(t, w["lab"], program=argv0)
            r = host_runner.run_job(j, root)
            skip = grade.probe_skip(t, r)
            results[t.name] = (None, skip) if skip else ("host", grade.judge(t, r))
        vmm = ""
        if keep_as:
            os.makedirs(os.path.dirname(keep_as), exist_ok=True)
            shutil.copy2(os.path.join(tree, w["vmm"]), keep_as)
            vmm = keep_as
        return index, "", results, vmm
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        w["dirty"].add(rel)


class Pending:
    """A wrong solution's guest tests, for LabRun.run_batch()."""

    def __init__(self, w, vmm):
        self.wrong = w
        self.vmm = vmm


def check_lab(root, lab, args):
    """Run every wrong solution of the lab; returns (wrongs, exercises
    with too few, seconds)."""
    found = mutate.find_exercises(lab, args.exercise)
    by_key = {e.key: e for e in found}
    wrongs = load_wrongs(root, lab.number)
    tests = {t.name: t for t in lab.tests}
    problems = []
    for ex, ws in sorted(wrongs.items()):
        if ex not in by_key:
            if args.exercise:
                continue
            problems.append("%s: there is no exercise %s in %s" % (
                os.path.dirname(ws[0].rel), ex, lab.rel))
            continue
        for w in ws:
            w.region = by_key[ex]
            for t in w.fails:
                if t not in tests:
                    problems.append("%s: Fails: %s is not a test of %s/tests/grade.ini"
                                    % (w.rel, t, lab.rel))
    if problems:
        raise Fail(problems[0])
    chosen = [w for ex in sorted(wrongs) if ex in by_key for w in wrongs[ex]]
    missing = [e.key for e in found
               if len([w for w in wrongs.get(e.key, []) if not w.right]) < args.min]
    if args.list or not chosen:
        return chosen, missing, 0.0

    texts = {}
    for w in chosen:
        path = os.path.join(lab.path, w.region.path)
        if path not in texts:
            with open(path, encoding="utf-8") as f:
                texts[path] = f.read()
        w.text = apply(w, texts[path])

    t0 = time.monotonic()
    run = mutate.LabRun(root, lab, args)
    run.scratch = os.path.join(root, "build", "wrong", os.path.basename(lab.path))
    jobs = max(1, args.jobs)
    trees, targets = run.trees(jobs, sorted({w.region.path for w in chosen}))
    keep = os.path.join(run.scratch, "vmms")
    shutil.rmtree(keep, ignore_errors=True)
    os.makedirs(keep)
    run.ref_vmm = os.path.join(keep, "ref")
    shutil.copy2(os.path.join(trees[0], run.vmm_rel), run.ref_vmm)
    work = []
    for i, w in enumerate(chosen):
        ts = [tests[n] for n in w.fails]
        host = mutate.host_tests(ts)
        work.append((i, w.region.path, w.text, host,
                     os.path.join(keep, "w%d" % i) if len(host) < len(ts) else ""))
    ctx = {"root": root, "targets": targets, "lab": lab,
           "vmm": run.vmm_rel, "unit": run.unit_rel}
    mp = multiprocessing.get_context("fork")
    queue = mp.Queue()
    for t in trees:
        queue.put(t)
    pending = []
    with concurrent.futures.ProcessPoolExecutor(
            jobs, mp_context=mp, initializer=mutate.worker_init,
            initargs=(queue, ctx)) as pool:
        for i, broken, results, vmm in pool.map(run_wrong, work, chunksize=1):
            w = chosen[i]
            w.broken, w.results = broken, results
            if vmm:
                pending.append(Pending(w, vmm))
    guest_round(run, lab, pending, tests, args)
    return chosen, missing, time.monotonic() - t0


def guest_round(run, lab, pending, tests, args):
    """Every guest test of every wrong solution, and of the reference, in
    one batch."""
    if not pending:
        return
    choice = grade.choose_runner(args.runner, "--runner %s" % args.runner,
                                 os.environ.get("VMMLAB_KVM_DEV") or "/dev/kvm",
                                 qemu_probe=lambda: grade.probe_qemu(run.root))
    print("wrong: guest tests of %d wrong solutions: runner %s (%s)"
          % (len(pending), choice.name or "none", choice.why),
          file=sys.stderr, flush=True)
    batch = []
    ref = {}
    for p in pending:
        for n in p.wrong.fails:
            t = tests[n]
            if t in mutate.host_tests([t]):
                continue
            batch.append((p, t))
            ref[n] = t
    ref = mutate.reference_to_run(lab, ref)
    batch += [(None, t) for t in ref.values()]
    results = run.run_batch(batch, choice, run.ref_vmm)
    for n, t in ref.items():
        where, why = results[(None, n)]
        if where and why:
            raise Fail("the reference fails %s: %s" % (n, grade.clean(why)))
    for p, t in batch:
        if p is not None:
            p.wrong.results[t.name] = results[(id(p), t.name)]


# ---------------------------------------------------------------- report

def verdict(w):
    """(ok, skipped, one line): ok when every named test failed (passed,
    for a right solution)."""
    if w.broken:
        return False, False, w.broken
    passed = [n for n in w.fails if w.results.get(n, (None, ""))[0] and
              not w.results[n][1]]
    skipped = [n for n in w.fails if not w.results.get(n, (None, ""))[0]]
    caught = [n for n in w.fails if n not in passed and n not in skipped]
    parts = []
    if w.right:
        if passed:
            parts.append("passes " + " ".join(passed))
        if caught:
            parts.append("FAILS " + " ".join(caught) + " (must pass: %s)" % "; ".join(
                grade.clean(w.results[n][1], 100) for n in caught))
    else:
        if caught:
            parts.append("fails " + " ".join(caught))
        if passed:
            parts.append("PASSES " + " ".join(passed) + " (must fail)")
    if skipped:
        parts.append("skipped " + " ".join(skipped))
    bad = caught if w.right else passed
    return not bad, bool(skipped), "; ".join(parts)


def report(lab, wrongs, missing, seconds, least=MIN_PER_EXERCISE):
    print("Wrong solutions: %s" % grade.lab_heading(lab), flush=True)
    width = max([len(w.name) for w in wrongs] + [10])
    passed = failed = skipped = 0
    for w in wrongs:
        ok, skip, line = verdict(w)
        mark = "FAIL" if not ok else "SKIP" if skip else "ok"
        print("  %-*s  %-4s  %s" % (width, w.name, mark, line), flush=True)
        if ok and not skip:
            passed += 1
        elif ok:
            skipped += 1
        else:
            failed += 1
            print("      (%s: %s)" % (w.rel, w.title), flush=True)
    for key in missing:
        failed += 1
        print("  %-*s  FAIL  fewer than %d wrong solutions in %s/%s/"
              % (width, key, least, WRONG_DIR, key), flush=True)
    print("%s: %d wrong solutions in %.0f s" % (lab.rel, len(wrongs), seconds), flush=True)
    return passed, failed, skipped


def parse_args(argv):
    p = argparse.ArgumentParser(prog="wrong.py",
                                description="Check that each exercise's tests fail its wrong solutions.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--lab", metavar="N", help="lab N (a number)")
    which.add_argument("--all", action="store_true", help="every lab with exercises")
    p.add_argument("--exercise", metavar="NAME", action="append", default=[],
                   help="only this exercise (name or N.name); may be repeated")
    p.add_argument("--jobs", "-j", metavar="J", type=int,
                   default=min(2, os.cpu_count() or 1))
    p.add_argument("--min", metavar="K", type=int, default=MIN_PER_EXERCISE,
                   help="wrong solutions each exercise must have (default 3)")
    p.add_argument("--runner", choices=("host", "qemu", "auto"),
                   default=os.environ.get("RUNNER") or "auto")
    p.add_argument("--list", action="store_true", help="list them and run nothing")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--root", metavar="DIR", default=ROOT, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.error("--jobs must be at least 1")
    return a


def main(argv=None):
    args = parse_args(argv)
    root = os.path.abspath(args.root)
    total = [0, 0, 0]
    data = []
    for lab in mutate.labs_of(root, args):
        wrongs, missing, seconds = check_lab(root, lab, args)
        if args.list:
            for w in wrongs:
                print("%s %s: %s (fails: %s)" % (w.name, w.rel, w.title, " ".join(w.fails)))
            for key in missing:
                print("%s: fewer than %d wrong solutions" % (key, args.min))
            continue
        if not wrongs and not missing:
            continue
        p, f, s = report(lab, wrongs, [] if args.exercise else missing, seconds,
                         args.min)
        total = [total[0] + p, total[1] + f, total[2] + s]
        for w in wrongs:
            ok, skip, line = verdict(w)
            data.append({"lab": lab.number, "wrong": w.name, "file": w.rel,
                         "fails": w.fails, "ok": ok, "skipped": skip, "detail": line})
    if args.list:
        return 0
    if args.json:
        grade.write_json(args.json, {"wrong": data})
    closing = "%d passed, %d failed" % (total[0], total[1])
    if total[2]:
        closing += ", %d skipped" % total[2]
    print(closing, flush=True)
    if total[1]:
        return 1
    return SKIP_STATUS if total[2] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Fail, mutate.Fail, grade.ConfigError) as e:
        print("wrong.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("wrong.py: interrupted", file=sys.stderr)
        sys.exit(130)

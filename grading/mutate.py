#!/usr/bin/env python3
"""mutate.py - mutation testing of a lab's exercise regions.

    python3 grading/mutate.py --lab N [--exercise NAME]... [--sample K]
                              [--jobs J] [--runner host|qemu|auto] [--json PATH]
    python3 grading/mutate.py --all [...]
    python3 grading/mutate.py --lab N --list

For every exercise region of lab N (the `EXERCISE N.name` markers of the
lab's sources, grading/README.md "Exercise regions"), makes the mutants of
grading/mutants.py one at a time in a scratch copy of the lab
(build/mutate/NN-name/), builds it, and runs the tests that the region's
`Tests:` line names, as grade.py would: unit and cli tests on this
machine, guest tests through the grader's runner (the lab machine where
there is no usable KVM). A mutant is killed when one of them fails,
stillborn when it does not build, and survives otherwise. Mutants listed
with a reason in the lab's tests/equivalent-mutants are set apart. The
score of a region is killed / (killed + survived); the run fails when a
region scores below --min (90 %). grading/README.md, "Mutation testing",
has the details.
"""

import argparse
import concurrent.futures
import hashlib
import json
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
import mutants as mutgen                        # noqa: E402
from grading.runners import host as host_runner  # noqa: E402
from grading.runners.job import Job             # noqa: E402

EQUIVALENT = os.path.join("tests", "equivalent-mutants")
BUILD_TIMEOUT = 300
MIN_SCORE = 90.0


class Fail(Exception):
    """A bad command line, lab or equivalent list: one line, exit status 2."""


# ---------------------------------------------------------------- the plan

class Exercise:
    def __init__(self, region, path, tests):
        self.region = region        # handout.Region
        self.path = path            # lab-relative source file
        self.tests = tests          # [grade.Test], in the Tests: order
        self.mutants = []           # [mutants.Mutant]
        self.equivalent = {}        # key -> reason

    @property
    def key(self):
        return self.region.key


def region_offsets(text, r):
    """Character offsets of a region's body: after its comment, before END."""
    lines = text.split("\n")
    lo = sum(len(l) + 1 for l in lines[:r.close + 1])
    hi = sum(len(l) + 1 for l in lines[:r.end])
    return lo, hi


def source_files(lab_path):
    out = []
    for top, dirs, files in os.walk(lab_path):
        dirs[:] = sorted(d for d in dirs if d != "build" and not d.startswith("."))
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(top, f), lab_path))
    return out


def find_exercises(lab, only=()):
    """The exercise regions of the lab's own number, with their mutants."""
    errors, found = [], []
    tests = {t.name: t for t in lab.tests}
    for rel in source_files(lab.path):
        with open(os.path.join(lab.path, rel), encoding="utf-8") as f:
            text = f.read()
        for r in handout.parse_text(rel, text, errors):
            if r.lab != lab.number:
                continue
            if only and r.name not in only and r.key not in only:
                continue
            missing = [t for t in r.tests if t not in tests]
            if missing:
                errors.append("%s: EXERCISE %s: Tests: names %s, not in "
                              "tests/grade.ini" % (r.where(), r.key,
                                                   ", ".join(missing)))
                continue
            ex = Exercise(r, rel, [tests[t] for t in r.tests])
            lo, hi = region_offsets(text, r)
            ex.mutants = mutgen.generate(text, lo, hi)
            for m in ex.mutants:
                m.key = "%s: %s" % (rel, m.key)
                m.region = ex
            found.append(ex)
    if errors:
        raise Fail("%s: %s" % (lab.rel, errors[0]))
    if only:
        names = {e.region.name for e in found} | {e.key for e in found}
        for o in only:
            if o not in names:
                raise Fail("%s has no exercise %s of its own" % (lab.rel, o))
    return found


def read_equivalent(lab, exercises, restricted=False):
    """tests/equivalent-mutants: entries `N.name file: before => after`,
    each followed by indented lines saying why it is equivalent."""
    path = os.path.join(lab.path, EQUIVALENT)
    rel = os.path.join(lab.rel, EQUIVALENT)
    if not os.path.isfile(path):
        return
    by_key = {e.key: e for e in exercises}
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t":
                if not entries:
                    raise Fail("%s:%d: a reason before any mutant" % (rel, n))
                entries[-1][2].append(line.strip())
                continue
            ex, _, key = line.partition(" ")
            entries.append((n, ex, [], mutgen.collapse(key)))
    # A later lab's folder carries the list of the labs before it too:
    # those entries are checked when their own lab is mutated.
    own = "%s." % lab.number
    entries = [e for e in entries if e[1].startswith(own) or not re.match(r"^\d+\.", e[1])]
    for n, ex, why, key in entries:
        if not why:
            raise Fail("%s:%d: no reason given for the mutant" % (rel, n))
        if ex not in by_key:
            if restricted:
                continue    # an exercise left out by --exercise
            raise Fail("%s:%d: no exercise %s in %s" % (rel, n, ex, lab.rel))
        e = by_key[ex]
        if key not in {m.key for m in e.mutants}:
            raise Fail("%s:%d: %s has no such mutant (stale entry?): %s"
                       % (rel, n, ex, key))
        e.equivalent[key] = " ".join(why)


def sample(mutants, k):
    """k mutants spread over the operators, the same ones on every run."""
    if not k or len(mutants) <= k:
        return list(mutants)
    h = lambda m: hashlib.sha256(m.key.encode()).hexdigest()
    ops = {}
    for m in sorted(mutants, key=h):
        ops.setdefault(m.op, []).append(m)
    out = []
    while len(out) < k:
        for op in sorted(ops):
            if ops[op] and len(out) < k:
                out.append(ops[op].pop(0))
    return out


# ---------------------------------------------------------------- scratch trees

# A lab's build/ folders that a scratch tree does without: the sanitizer,
# fuzzing and coverage builds.
OTHER_BUILDS = ("san", "fuzz", "cov")


def copy_build(src, dst):
    """Copy the build folder src to dst, times kept, without OTHER_BUILDS."""
    top = os.path.normpath(src)
    shutil.copytree(src, dst, symlinks=True, ignore=lambda folder, names: [
        n for n in names if n in OTHER_BUILDS] if os.path.normpath(folder) == top else [])


def reference_to_run(lab, tests):
    """Of the reference's guest tests ({name: test}), those to run beside
    the mutants or wrong solutions, as a check that a failure is theirs:
    all of them, but those the make check running this one has already
    seen the reference pass (grade.graded_results(): the same lab by
    fingerprint)."""
    done = grade.graded_results(lab)
    skip = sorted(n for n in tests if grade.passed_there(done, n))
    if skip:
        log("%s: the reference passed %d of its guest tests in this make "
            "check's grading, not run again" % (lab.rel, len(skip)))
    return {n: t for n, t in tests.items() if n not in skip}


def seed_tree(src, dst):
    """A new scratch tree: src's files and its build/ (but OTHER_BUILDS),
    times kept, so that make finds the lab's objects up to date and builds
    only what a mutant or a wrong solution changes; a lab not built yet
    leaves an empty build/ and a full build."""
    shutil.copytree(src, dst, symlinks=True, ignore=lambda folder, names: [
        n for n in names if n == "build"] if folder == src else [])
    if os.path.isdir(os.path.join(src, "build")):
        copy_build(os.path.join(src, "build"), os.path.join(dst, "build"))


def sync_tree(src, dst):
    """Make dst hold src's files (no build/), touching only what differs."""
    want = set()
    for top, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != "build"]
        for f in files:
            rel = os.path.relpath(os.path.join(top, f), src)
            want.add(rel)
            a, b = os.path.join(src, rel), os.path.join(dst, rel)
            if os.path.isfile(b):
                with open(a, "rb") as fa, open(b, "rb") as fb:
                    if fa.read() == fb.read():
                        continue
            os.makedirs(os.path.dirname(b), exist_ok=True)
            shutil.copy2(a, b)
            os.utime(b)
    for top, dirs, files in os.walk(dst):
        dirs[:] = [d for d in dirs if d != "build"]
        for f in files:
            rel = os.path.relpath(os.path.join(top, f), dst)
            if rel not in want:
                os.unlink(os.path.join(dst, rel))


# What a scratch tree compiles with, in place of the labs' -O2 -g: a
# mutant or a wrong solution behaves alike at any optimization level (the
# labs' code has no undefined behaviour the sanitizer runs know of), and
# -Og compiles in less than half the time. The objects a tree is seeded
# with keep the lab's flags; make does not track flags, so only the files
# a mutant or a wrong solution changes are compiled with these.
SCRATCH_CFLAGS = "-Og"


def make(tree, targets, what_if=(), jobs=1):
    argv = ["make", "--no-print-directory", "-s", "-C", tree, "-j%d" % jobs,
            "CFLAGS=" + SCRATCH_CFLAGS]
    for w in what_if:
        argv += ["-W", w]
    p = subprocess.run(argv + list(targets), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------- one mutant, on this machine

_worker = {}


def worker_init(queue, ctx):
    _worker["tree"] = queue.get()
    _worker.update(ctx)
    _worker["dirty"] = set()


def host_tests(ex_tests):
    """The tests of a region that run on this machine: unit and cli tests
    (needs = none)."""
    return [t for t in ex_tests if t.kind == "unit" or
            (t.kind == "cli" and t.needs == "none")]


def run_mutant(job):
    """Build one mutant in this worker's tree and run its host tests.
    Returns (index, outcome, detail, vmm copy or "")."""
    index, rel, text, tests, keep_as = job
    tree, root, targets = _worker["tree"], _worker["root"], _worker["targets"]
    path = os.path.join(tree, rel)
    with open(path, encoding="utf-8") as f:
        original = f.read()
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        dirty = sorted(_worker["dirty"] | {rel})
        status, out = make(tree, targets, dirty)
        _worker["dirty"].discard(rel)
        if status != 0:
            lines = [l for l in out.splitlines() if "error" in l]
            return index, "stillborn", (lines or out.splitlines() or ["?"])[0], ""
        for t in tests:
            argv0 = os.path.relpath(os.path.join(tree, _worker["unit"] if t.kind == "unit"
                                                 else _worker["vmm"]), root)
            j = grade.make_job(t, _worker["lab"], program=argv0)
            r = host_runner.run_job(j, root)
            why = "" if grade.probe_skip(t, r) else grade.judge(t, r)
            if why:
                return index, "killed", "%s: %s" % (t.name, grade.clean(why, 120)), ""
        vmm = ""
        if keep_as:
            os.makedirs(os.path.dirname(keep_as), exist_ok=True)
            src = os.path.join(tree, _worker["vmm"])
            if subprocess.run(["strip", "-o", keep_as, src],
                              stderr=subprocess.DEVNULL).returncode != 0:
                shutil.copy2(src, keep_as)
            vmm = keep_as
        return index, "survived", "", vmm
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        _worker["dirty"].add(rel)


# ---------------------------------------------------------------- a lab

class Outcome:
    def __init__(self, m):
        self.mutant = m
        self.result = ""        # killed, survived, stillborn, equivalent
        self.detail = ""
        self.vmm = ""           # a survivor's VMM, for its guest tests
        self.pending = []       # guest tests still to run


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class LabRun:
    def __init__(self, root, lab, args):
        self.root = root
        self.lab = lab
        self.args = args
        self.scratch = os.path.join(root, "build", "mutate", os.path.basename(lab.path))
        self.vmm_rel = os.path.relpath(os.path.join(root, lab.vmm), lab.path)
        self.unit_rel = os.path.relpath(os.path.join(root, lab.unit), lab.path) \
            if lab.unit else ""

    def trees(self, n, sources):
        """n scratch copies of the lab, built; the first is the reference.
        The files mutants change are rebuilt in any case, as a run stopped
        half-way may have left a mutant's objects behind."""
        names = [os.path.join(self.scratch, "w%d" % i) for i in range(n)]
        targets = [t for t in (self.vmm_rel, self.unit_rel) if t]
        for i, tree in enumerate(names):
            if not os.path.isdir(tree):
                os.makedirs(os.path.dirname(tree), exist_ok=True)
                seed_tree(self.lab.path, tree)
            sync_tree(self.lab.path, tree)
            status, out = make(tree, targets, sources, jobs=max(1, self.args.jobs))
            if status != 0:
                raise Fail("%s does not build in %s: %s" % (
                    self.lab.rel, os.path.relpath(tree, self.root),
                    (out.strip().splitlines() or ["?"])[-1]))
        return names, targets

    def run(self, exercises):
        t0 = time.monotonic()
        args = self.args
        todo = []
        for ex in exercises:
            chosen = sample(ex.mutants, args.sample)
            for m in chosen:
                o = Outcome(m)
                if m.key in ex.equivalent:
                    o.result, o.detail = "equivalent", ex.equivalent[m.key]
                todo.append(o)
        texts = {}
        for ex in exercises:
            with open(os.path.join(self.lab.path, ex.path), encoding="utf-8") as f:
                texts[ex.path] = f.read()

        jobs = max(1, args.jobs)
        trees, targets = self.trees(jobs, sorted(texts))
        log("mutate: %s: %d mutants of %d exercises, %d worker%s, scratch %s" % (
            self.lab.rel, len(todo), len(exercises), jobs, "" if jobs == 1 else "s",
            os.path.relpath(self.scratch, self.root)))
        self.check_reference(trees[0], exercises)

        keep = os.path.join(self.scratch, "survivors")
        shutil.rmtree(keep, ignore_errors=True)
        # The reference VMM, as built before any mutant.
        self.ref_vmm = os.path.join(keep, "ref", "vmm")
        os.makedirs(os.path.dirname(self.ref_vmm))
        shutil.copy2(os.path.join(trees[0], self.vmm_rel), self.ref_vmm)
        work = []
        for i, o in enumerate(todo):
            if o.result:
                continue
            ex = o.mutant.region
            text = o.mutant.apply(texts[ex.path])
            guest = [t for t in ex.tests if t not in host_tests(ex.tests)]
            work.append((i, ex.path, text, host_tests(ex.tests),
                         os.path.join(keep, "m%d" % i, "vmm") if guest else ""))
        ctx = {"root": self.root, "targets": targets, "lab": self.lab,
               "vmm": self.vmm_rel, "unit": self.unit_rel}
        mp = multiprocessing.get_context("fork")
        queue = mp.Queue()
        for t in trees:
            queue.put(t)
        done = 0
        with concurrent.futures.ProcessPoolExecutor(
                jobs, mp_context=mp, initializer=worker_init,
                initargs=(queue, ctx)) as pool:
            for i, result, detail, vmm in pool.map(run_mutant, work, chunksize=1):
                o = todo[i]
                o.result, o.detail, o.vmm = result, detail, vmm
                done += 1
                if done % 50 == 0:
                    log("mutate: %d of %d mutants built and unit-tested (%.0f s)"
                        % (done, len(work), time.monotonic() - t0))
        self.guest_rounds(todo)
        self.seconds = time.monotonic() - t0
        return todo

    def check_reference(self, tree, exercises):
        """The reference must pass every test it is scored with."""
        seen = set()
        for ex in exercises:
            for t in host_tests(ex.tests):
                if t.name in seen:
                    continue
                seen.add(t.name)
                j = grade.make_job(t, self.lab, program=os.path.relpath(os.path.join(
                    tree, self.unit_rel if t.kind == "unit" else self.vmm_rel), self.root))
                r = host_runner.run_job(j, self.root)
                why = "" if grade.probe_skip(t, r) else grade.judge(t, r)
                if why:
                    raise Fail("the reference fails %s: %s" % (t.name, grade.clean(why)))

    # -- guest tests, in rounds: each survivor's next test ------------------

    def guest_rounds(self, todo):
        alive = [o for o in todo if o.result == "survived" and o.vmm]
        if not alive:
            return
        choice = grade.choose_runner(self.args.runner, "--runner %s" % self.args.runner,
                                     os.environ.get("VMMLAB_KVM_DEV") or "/dev/kvm",
                                     qemu_probe=lambda: grade.probe_qemu(self.root))
        log("mutate: guest tests of %d survivors: runner %s (%s)" % (
            len(alive), choice.name or "none", choice.why))
        for o in alive:
            ex = o.mutant.region
            o.pending = [t for t in ex.tests if t not in host_tests(ex.tests)]
        ref = self.ref_vmm
        ref_tests = reference_to_run(
            self.lab, {t.name: t for o in alive for t in o.pending})
        first = True
        while alive:
            batch = []      # (outcome or None, test)
            if first:
                batch += [(None, t) for t in ref_tests.values()]
            for o in alive:
                batch.append((o, o.pending.pop(0)))
            results = self.run_batch(batch, choice, ref)
            if first:
                for t in ref_tests.values():
                    where, why = results[(None, t.name)]
                    if where and why:
                        raise Fail("the reference fails %s: %s" % (t.name, why))
                first = False
            still = []
            for (o, t) in batch:
                if o is None:
                    continue
                where, why = results[(id(o), t.name)]
                if where is None:
                    o.skipped = getattr(o, "skipped", []) + [t.name]
                elif why:
                    o.result, o.detail = "killed", "%s: %s" % (t.name, grade.clean(why, 120))
                    continue
                if o.pending:
                    still.append(o)
            alive = still

    def run_batch(self, batch, choice, ref):
        """{(id(outcome) or None, test name): (where or None, why)}."""
        jobs, where = [], {}
        for o, t in batch:
            w, skip = grade.target(t, choice)
            k = (id(o) if o is not None else None, t.name)
            if w is None:
                where[k] = (None, skip)
                continue
            j = grade.make_job(t, self.lab, program=os.path.relpath(
                o.vmm if o is not None else ref, self.root))
            j.name = "%s/%s" % (k[0], t.name)
            jobs.append((k, w, t, j))
        qemu = [(t, j) for _, w, t, j in jobs if w == "qemu"]
        got = {}
        if qemu:
            # A failure in a lab machine that stood still is no kill (nor a
            # wrong solution's failure) until it fails again.
            got.update(grade.run_lab_machine(choice.qemu, qemu, self.root,
                                             {"log": log}))
        for k, w, t, j in jobs:
            r = got[j.name] if w == "qemu" else host_runner.run_job(j, self.root)
            skip = grade.probe_skip(t, r)
            where[k] = (None, skip) if skip else (w, grade.judge(t, r))
        return where


# ---------------------------------------------------------------- report

def score(outs):
    killed = sum(o.result == "killed" for o in outs)
    survived = sum(o.result == "survived" for o in outs)
    return killed, survived, (100.0 * killed / (killed + survived)
                              if killed + survived else 100.0)


def report(lab, exercises, todo, args, seconds):
    lines = []
    say = lines.append
    say("Mutation testing: %s (%s)" % (grade.lab_heading(lab), "every mutant"
                                       if not args.sample else
                                       "a sample of %d mutants per exercise" % args.sample))
    failed = 0
    data = []
    for ex in exercises:
        outs = [o for o in todo if o.mutant.region is ex]
        killed, survived, pct = score(outs)
        still = sum(o.result == "stillborn" for o in outs)
        equiv = sum(o.result == "equivalent" for o in outs)
        ok = pct >= args.min
        failed += not ok
        say("  %-14s %-18s %4d mutants: %4d killed, %3d survived, %3d stillborn, "
            "%2d equivalent  %5.1f %%%s" % (
                ex.key, "%s:%d" % (ex.path, ex.region.start + 1), len(outs),
                killed, survived, still, equiv, pct, "" if ok else
                "  BELOW %g %%" % args.min))
        for o in outs:
            if o.result == "survived":
                skipped = getattr(o, "skipped", [])
                say("      survived  line %d [%s] %s%s" % (
                    o.mutant.line, o.mutant.op, o.mutant.key.split(": ", 1)[1],
                    " (skipped here: %s)" % " ".join(skipped) if skipped else ""))
        data.append({"exercise": ex.key, "file": os.path.join(lab.rel, ex.path),
                     "mutants": len(outs), "killed": killed, "survived": survived,
                     "stillborn": still, "equivalent": equiv,
                     "score": round(pct, 1), "ok": ok,
                     "outcomes": [{"key": o.mutant.key, "op": o.mutant.op,
                                   "line": o.mutant.line, "result": o.result,
                                   "detail": o.detail} for o in outs]})
    say("%s: %d mutants in %.0f s" % (lab.rel, len(todo), seconds))
    return lines, failed, data


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(prog="mutate.py",
                                description="Mutation testing of a lab's exercise regions.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--lab", metavar="N", help="lab N (a number)")
    which.add_argument("--all", action="store_true", help="every lab with exercises")
    p.add_argument("--exercise", metavar="NAME", action="append", default=[],
                   help="only this exercise (name or N.name); may be repeated")
    p.add_argument("--sample", metavar="K", type=int, default=0,
                   help="at most K mutants per exercise, the same ones every run")
    p.add_argument("--jobs", "-j", metavar="J", type=int,
                   default=min(2, os.cpu_count() or 1),
                   help="mutants built and tested at once (default: 2 or the cores)")
    p.add_argument("--min", metavar="PCT", type=float, default=MIN_SCORE,
                   help="the score every exercise must reach (default 90)")
    p.add_argument("--runner", choices=("host", "qemu", "auto"),
                   default=os.environ.get("RUNNER") or "auto",
                   help="where guest tests run (default: $RUNNER, else auto)")
    p.add_argument("--list", action="store_true",
                   help="print the mutants and run nothing")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--root", metavar="DIR", default=ROOT, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.jobs < 1 or a.sample < 0:
        p.error("--jobs must be at least 1 and --sample not negative")
    return a


def labs_of(root, args):
    if args.all:
        return [grade.load_lab(root, n, p) for n, p in grade.find_labs(root)
                if isinstance(n, int)]
    n, p = grade.find_lab(root, args.lab.strip())
    return [grade.load_lab(root, n, p)]


def main(argv=None):
    args = parse_args(argv)
    root = os.path.abspath(args.root)
    total_failed = total_passed = 0
    all_data = []
    for lab in labs_of(root, args):
        exercises = find_exercises(lab, args.exercise)
        if not exercises:
            if not args.all:
                raise Fail("%s has no exercise regions of lab %s" % (lab.rel, lab.number))
            continue
        read_equivalent(lab, exercises, bool(args.exercise))
        if args.list:
            for ex in exercises:
                for m in ex.mutants:
                    eq = " (equivalent)" if m.key in ex.equivalent else ""
                    print("%s %s:%d [%s] %s%s" % (ex.key, ex.path, m.line, m.op,
                                                  m.key.split(": ", 1)[1], eq))
            continue
        run = LabRun(root, lab, args)
        todo = run.run(exercises)
        lines, failed, data = report(lab, exercises, todo, args, run.seconds)
        for l in lines:
            print(l, flush=True)
        total_failed += failed
        total_passed += len(exercises) - failed
        all_data += data
    if args.list:
        return 0
    if args.json:
        grade.write_json(args.json, {"exercises": all_data, "min": args.min,
                                     "sample": args.sample})
    print("%d passed, %d failed" % (total_passed, total_failed), flush=True)
    return 1 if total_failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Fail, grade.ConfigError) as e:
        print("mutate.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("mutate.py: interrupted", file=sys.stderr)
        sys.exit(130)

#!/usr/bin/env python3
"""handout_check.py - the handout invariants, for every lab or one.

    python3 grading/handout_check.py [--lab N] [--keep DIR]

For each lab (DESIGN.md, "Exercises and handouts"):
  (a) the reference builds without warnings and scores full marks;
  (b) the lab's handout (handout.py --lab N, which also proves that no
      reference body of an exercise is left in it) builds without warnings;
  (c) graded, the handout fails exactly the tests named on its exercises'
      `Tests:` lines, each with a reason and none by hanging, and earning
      nothing (a `partial = yes` suite must not pay for checks the stub
      passes), and passes all the others; the grader itself finishes
      normally.
Skipped tests prove nothing either way: they are listed, loudly. Without
--lab, the whole-repository handout is also generated (markers of every
stage, final/ included, and the leak check). Exit status 1 when an
invariant is violated, 77 when none is but tests were skipped, 2 on a bad
command line.
"""

import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grade as grader  # noqa: E402
import handout  # noqa: E402
import mutate  # noqa: E402
import stages as stage_folders  # noqa: E402
from stages import Fail  # noqa: E402

BUILD_TIMEOUT = 900
WARNING_RE = re.compile(r"warning:", re.IGNORECASE)
CLOSING_RE = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
# Reasons the runners give (grading/runners/host.py) when they had to stop
# a job: on the handout a stub must fail, not hang or flood.
UNCLEAN = ((re.compile(r"timed out after"), "hangs"),
           (re.compile(r"floods output"), "floods its output"),
           (re.compile(r"left \d+ process(es)? behind"),
            "leaves processes behind"))
DEFAULT_TEST_TIMEOUT = 60
# The repository's build folders a handout borrows while it is graded.
BORROWED = (("labvm", "link"), ("linux", "copy"))
# Nothing violated but some tests skipped: the exit status grade.py takes
# for a project check that could not fully run (reported as SKIP).
SKIP_STATUS = 77


class Lab:
    """What one lab's check found."""

    def __init__(self, stage):
        self.stage = stage
        self.violations = []
        self.notes = []

    def violate(self, msg):
        self.violations.append(msg)
        say("  VIOLATION  " + msg)


def say(line=""):
    print(line, flush=True)


def make_env():
    """The environment for builds: a parent make's jobserver and flags are
    not ours (make would warn that the jobserver is unavailable)."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(k, None)
    return env


def build(root, stage, lab, what):
    """make -C guests (when it has a Makefile), then make -C <stage>."""
    dirs = []
    if os.path.isfile(os.path.join(root, "guests", "Makefile")):
        dirs.append("guests")
    dirs.append(stage.path)
    t0 = time.monotonic()
    for d in dirs:
        try:
            r = subprocess.run(["make", "-j%d" % (os.cpu_count() or 1),
                                "-C", os.path.join(root, d)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=make_env(), timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            lab.violate("%s: make -C %s took more than %ds"
                        % (what, d, BUILD_TIMEOUT))
            return False
        except OSError as e:
            raise Fail("cannot run make: %s" % e)
        text = r.stdout.decode("utf-8", "backslashreplace")
        warnings = [l for l in text.splitlines() if WARNING_RE.search(l)]
        if r.returncode != 0:
            lab.violate("%s: make -C %s failed (exit status %d)"
                        % (what, d, r.returncode))
            for l in text.splitlines()[-15:]:
                say("             | " + l)
            return False
        if warnings:
            lab.violate("%s: make -C %s printed %d warning%s"
                        % (what, d, len(warnings),
                           "" if len(warnings) == 1 else "s"))
            for l in warnings[:10]:
                say("             | " + l)
            return False
    say("  %-10s built without warnings (make -C %s) in %.1f s"
        % (what, " and -C ".join(dirs), time.monotonic() - t0))
    return True


# What the handout's build may take from the reference's, per folder: its
# build products, but not the sanitizer, fuzzing and coverage builds.
SEEDS = (("guests", "out"), (None, "build"))


def seed_build(root, out, stage):
    """Start the handout's build from the reference's, just built: each
    handout file of guests/ and the lab that is byte for byte the
    reference's gets the reference's modification time, and the
    reference's build products are copied in with theirs, so that make
    compiles only the files the handout changed (its stubs). The rest was
    compiled from the same bytes with -Werror when the reference built."""
    for folder, products in SEEDS:
        folder = folder or stage.path
        mine, theirs = os.path.join(root, folder), os.path.join(out, folder)
        if not os.path.isdir(os.path.join(mine, products)) or \
                os.path.lexists(os.path.join(theirs, products)):
            continue
        for top, dirs, files in os.walk(theirs):
            dirs[:] = [d for d in dirs if not (top == theirs and d == products)]
            for f in files:
                h = os.path.join(top, f)
                r = os.path.join(mine, os.path.relpath(h, theirs))
                try:
                    with open(h, "rb") as a, open(r, "rb") as b:
                        same = a.read() == b.read()
                    if same:
                        st = os.stat(r)
                        os.utime(h, ns=(st.st_atime_ns, st.st_mtime_ns))
                except OSError:
                    pass
        mutate.copy_build(os.path.join(mine, products),
                          os.path.join(theirs, products))


def grade_timeout(root, stage):
    """Time enough for the grader to run every test to its time limit."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"),
                                   interpolation=None)
    cp.read(os.path.join(root, stage.path, "tests", "grade.ini"),
            encoding="utf-8")
    total = 0.0
    for s in cp.sections():
        if s != "lab":
            try:
                total += float(cp.get(s, "timeout",
                                      fallback=DEFAULT_TEST_TIMEOUT))
            except ValueError:
                total += DEFAULT_TEST_TIMEOUT
    return total + 120


def handout_lanes():
    """Lab machines for grading a handout: one more than the grader's own
    choice (grade.lab_machine_lanes()), unless VMMLAB_LANES says. Most of
    a handout's failing tests are a guest waiting for its watchdog (an
    interrupt, a byte that never comes), which leaves its core idle: lab
    04's handout took 47 s in three lab machines, 63 s in two and 57 s in
    four (nested under TCG, 2 cores, nothing beside it)."""
    if os.environ.get("VMMLAB_LANES", "").strip():
        return grader.lab_machine_lanes()
    return grader.lab_machine_lanes() + 1


def grade(root, stage, lab, what, tmp, lanes=None):
    """Run the grader on one lab of the tree at root; returns its tests
    as {name: test}, or None when the grader did not finish properly.
    lanes: how many lab machines at once (VMMLAB_LANES), if not its own
    choice."""
    out = os.path.join(tmp, "results-%s.json" % what)
    if os.path.exists(out):
        os.remove(out)
    cmd = [sys.executable, "grading/grade.py", "--lab", str(stage.number),
           "--json", out]
    env = dict(os.environ)
    if lanes:
        env["VMMLAB_LANES"] = str(lanes)
    limit = grade_timeout(root, stage)
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=root, capture_output=True, timeout=limit,
                           env=env)
    except subprocess.TimeoutExpired:
        lab.violate("%s: the grader did not finish within %ds"
                    % (what, limit))
        return None
    stdout = r.stdout.decode("utf-8", "backslashreplace")
    stderr = r.stderr.decode("utf-8", "backslashreplace")
    if "Traceback (most recent call last)" in stderr or r.returncode not in (0, 1):
        lab.violate("%s: the grader crashed (exit status %d): %s"
                    % (what, r.returncode,
                       (stderr.strip().splitlines() or ["no message"])[-1]))
        return None
    try:
        with open(out, encoding="utf-8") as f:
            data = json.load(f)
        tests = {t["name"]: t for t in data["tests"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        lab.violate("%s: no usable results.json from the grader (%s)"
                    % (what, e))
        return None
    results = [result_of(t) for t in tests.values()]
    lines = [l for l in stdout.splitlines() if l.strip()]
    runner = [l for l in lines if l.startswith("runner:")]
    if runner:
        say("  %-10s %s" % (what, runner[0]))
    say("  %-10s graded in %.1f s%s" % (what, time.monotonic() - t0,
                                         ", %d lab machines at once" % lanes
                                         if lanes else ""))
    m = CLOSING_RE.match(lines[-1]) if lines else None
    want = (results.count("passed"), results.count("failed"),
            results.count("skipped"))
    if not m or tuple(int(x or 0) for x in m.groups()) != want:
        lab.violate("%s: the grader's last line is %r, results.json says "
                    "%d passed, %d failed, %d skipped"
                    % ((what, lines[-1] if lines else "") + want))
    if (r.returncode == 1) != (want[1] > 0):
        lab.violate("%s: the grader exited with %d, with %d tests failed"
                    % (what, r.returncode, want[1]))
    return tests


def result_of(t):
    extra = t.get("extra_data") or {}
    return extra.get("result", "?")


def expected_tests(root, stage):
    _, tests = handout.grade_tests(root, stage)
    return tests


def graded_already(root, stage):
    """The reference's results from the grader that runs this check
    (make check), when it graded this very lab: same repository, same
    test list, and the same VMM, unit-test runner, guests and drivers by
    content (grade.fingerprint). Else None: then it is graded here."""
    if not os.environ.get("VMMLAB_GRADED"):
        return None
    try:
        lab = grader.load_lab(root, stage.number, os.path.join(root, stage.path))
    except grader.ConfigError:
        return None
    return grader.graded_results(lab)


def check_reference(root, lab, tmp):
    if not build(root, lab.stage, lab, "reference"):
        return
    tests = graded_already(root, lab.stage)
    if tests is not None:
        say("  %-10s graded by this make check (the same VMM, unit tests and "
            "guests): not run again" % "reference")
    else:
        tests = grade(root, lab.stage, lab, "reference", tmp)
    if tests is None:
        return
    missing = [n for n in expected_tests(root, lab.stage) if n not in tests]
    for n in missing:
        lab.violate("reference: %s (in grade.ini) is not in the results" % n)
    failed = [n for n, t in tests.items() if result_of(t) == "failed"]
    skipped = [n for n, t in tests.items() if result_of(t) == "skipped"]
    for n in failed:
        lab.violate("reference: %s failed: %s"
                    % (n, tests[n].get("output") or "no reason given"))
    if skipped:
        lab.notes.append("reference: %d skipped, not verified: %s"
                         % (len(skipped), " ".join(sorted(skipped))))
    passed = len(tests) - len(failed) - len(skipped)
    say("  %-10s %d passed, %d failed, %d skipped"
        % ("reference", passed, len(failed), len(skipped)))


def check_handout(root, lab, tmp, keep):
    stage = lab.stage
    try:
        plan = handout.make_plan(root, stage.number)
    except Fail as e:
        for line in str(e).splitlines():
            lab.violate("markers: " + line)
        return
    exercises = plan.exercises(stage)
    out = keep or os.path.join(tmp, "handout")
    try:
        handout.write(plan, out)
    except Fail as e:
        for line in str(e).splitlines():
            lab.violate("handout: " + line)
        return
    say("  %-10s generated%s; stubbed: %s; no reference code left in it"
        % ("handout", " in " + out if keep else "",
           " ".join(r.key for r in exercises) or "nothing"))
    check_contents(root, lab, out)
    seed_build(root, out, stage)
    if not build(out, stage, lab, "handout"):
        return
    # The handout is graded where the reference was: with the lab machine
    # and lab 04's Linux guest the repository has built (ignored folders,
    # so not in the copy; both made from Debian's packages by scripts the
    # handout has unchanged, which find them current and do nothing).
    # The lab machine is linked in; the Linux guest is copied, as a job
    # in the lab machine takes only the repository's own files with it,
    # and a link would point outside the handout.
    borrowed = []
    for name, how in BORROWED:
        mine = os.path.join(root, "build", name)
        theirs = os.path.join(out, "build", name)
        if os.path.isdir(mine) and not os.path.lexists(theirs):
            os.makedirs(os.path.dirname(theirs), exist_ok=True)
            if how == "link":
                os.symlink(os.path.abspath(mine), theirs)
            else:
                shutil.copytree(mine, theirs)
            borrowed.append(theirs)
    try:
        tests = grade(out, stage, lab, "handout", tmp, handout_lanes())
    finally:
        for theirs in borrowed:
            if os.path.islink(theirs):
                os.remove(theirs)
            else:
                shutil.rmtree(theirs, ignore_errors=True)
    if tests is None:
        return
    named = {}
    for r in exercises:
        for t in r.tests:
            named.setdefault(t, []).append(r.key)
    for n in expected_tests(root, stage):
        if n not in tests:
            lab.violate("handout: %s (in grade.ini) is not in the results" % n)
    failed_ok = passed_ok = 0
    skipped = []
    for n, t in sorted(tests.items()):
        res, why = result_of(t), (t.get("output") or "").strip()
        if res == "skipped":
            skipped.append(n)
        elif n in named:
            if res != "failed":
                lab.violate("handout: %s %s, but exercise %s names it on its "
                            "Tests: line" % (n, res, ", ".join(named[n])))
            elif not why:
                lab.violate("handout: %s failed without a reason" % n)
            elif any(p.search(why) for p, _ in UNCLEAN):
                what = [w for p, w in UNCLEAN if p.search(why)][0]
                lab.violate("handout: %s %s on the stub: %s" % (n, what, why))
            elif t.get("score"):
                lab.violate("handout: %s earns %s of %s points on the stub "
                            "(partial credit for checks the stub passes: "
                            "give them a suite of their own, or drop partial)"
                            % (n, t["score"], t.get("max_score")))
            else:
                failed_ok += 1
                say("  %-10s %s fails: %s" % ("", n, why.replace(
                    "\nhint: ", "\n             (hint: ") + (")" if "\nhint: " in why else "")))
        elif res != "passed":
            lab.violate("handout: %s %s (%s), but no exercise of %s names it"
                        % (n, res, why or "no reason given", stage.label))
        else:
            passed_ok += 1
    say("  %-10s %d failed as the exercises say, %d passed, %d skipped"
        % ("handout", failed_ok, passed_ok, len(skipped)))
    # The lab's score is its exercises' work: nothing for an untouched
    # handout (tests no exercise names carry no points; they still run).
    own = [t for t in tests.values()
           if not (t.get("extra_data") or {}).get("regression")]
    earned = sum(t.get("score") or 0 for t in own)
    if earned:
        paid = ["%s (%s)" % (t["name"], t["score"]) for t in own if t.get("score")]
        lab.violate("handout: the untouched handout earns %s of the lab's "
                    "points: %s; a test no exercise names must have points = 0"
                    % (earned, ", ".join(paid)))
    check_weights(lab, exercises, own, named)
    if skipped:
        lab.notes.append("handout: %d skipped, not verified: %s"
                         % (len(skipped), " ".join(skipped)))


MAX_SHARE = 0.5
# A lab of one or two exercises has nothing to balance.
MIN_EXERCISES_TO_BALANCE = 3


def check_weights(lab, exercises, own, named):
    """No exercise alone is worth half the lab: the points of the tests
    that only it names, out of the lab's."""
    total = sum(t.get("max_score") or 0 for t in own)
    if not total or len(exercises) < MIN_EXERCISES_TO_BALANCE:
        return
    for r in exercises:
        alone = sum(t.get("max_score") or 0 for t in own
                    if named.get(t["name"]) == [r.key])
        share = alone / total
        say("  %-10s %s alone: %g of %g points (%.0f %%)"
            % ("weights", r.key, alone, total, 100 * share))
        if share >= MAX_SHARE:
            lab.violate("weights: exercise %s alone is worth %g of the lab's "
                        "%g points (%.0f %%, at most %.0f %%)"
                        % (r.key, alone, total, 100 * share, 100 * MAX_SHARE))


def check_contents(root, lab, out):
    """What a student needs besides the code: the lab's chapter of the
    book (HTML and Markdown), a top README about this handout's labs."""
    stage = lab.stage
    book = os.path.join(root, "book")
    if os.path.isdir(book):
        mine = [c for c in sorted(os.listdir(book))
                if re.match(r"^ch%02d-.*\.md$" % stage.number, c)]
        for c in mine:
            for f in (c, c[:-3] + ".html"):
                if not os.path.isfile(os.path.join(out, "book", f)):
                    lab.violate("handout: no book/%s (the lab's chapter)" % f)
    if not os.path.isfile(os.path.join(root, handout.README_TEMPLATE)):
        return
    try:
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            readme = f.read()
    except OSError:
        lab.violate("handout: no README.md")
        return
    if stage.path not in readme:
        lab.violate("handout: README.md does not name %s" % stage.path)
    for other in stage_folders.find_stages(root):
        if other.path != stage.path and other.path + "/" in readme:
            lab.violate("handout: README.md names %s, which the handout "
                        "does not have" % other.path)


def check_lab(root, stage, keep=None):
    lab = Lab(stage)
    say("== %s (%s)" % (stage.label, stage.path))
    tmp = tempfile.mkdtemp(prefix="vmmlab-handout-check-")
    try:
        check_reference(root, lab, tmp)
        check_handout(root, lab, tmp, keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for n in lab.notes:
        say("  SKIPPED    " + n)
    if lab.violations:
        say("  => %s: %d invariant violation%s"
            % (stage.label, len(lab.violations),
               "" if len(lab.violations) == 1 else "s"))
    else:
        say("  => %s: OK%s" % (stage.label,
                               " (with skipped tests, see above)"
                               if lab.notes else ""))
    return lab


def check_whole(root):
    """Generate the handout of every stage: markers and leaks everywhere."""
    say("== the whole-repository handout")
    tmp = tempfile.mkdtemp(prefix="vmmlab-handout-check-")
    try:
        plan = handout.generate(root, os.path.join(tmp, "handout"))
    except Fail as e:
        for line in str(e).splitlines():
            say("  VIOLATION  " + line)
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say("  => written: %d files, %d stages, no reference code of a stubbed "
        "exercise left in it" % (len(plan.files), len(plan.stages)))
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="handout_check.py",
        description="Check the handout invariants of every lab, or of one.")
    ap.add_argument("--lab", type=handout._lab_number, metavar="N",
                    help="only lab N")
    ap.add_argument("--keep", metavar="DIR",
                    help="with --lab: write the handout to DIR and leave it "
                    "there (DIR must not exist or be empty)")
    ap.add_argument("--root", default=stage_folders.repo_root(),
                   help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    root = os.path.realpath(args.root)
    if args.keep and args.lab is None:
        ap.error("--keep needs --lab")
    try:
        stages = [s for s in stage_folders.find_stages(root)
                  if s.number is not None]
        if args.lab is not None:
            stages = [s for s in stages if s.number == args.lab]
            if not stages:
                raise Fail("no folder for lab %d in labs/" % args.lab)
        if not stages:
            raise Fail("no labs (labs/NN-name/) in %s" % root)
        labs = [check_lab(root, s, args.keep) for s in stages]
        whole_ok = True if args.lab is not None else check_whole(root)
    except Fail as e:
        for line in str(e).splitlines():
            print("handout_check: %s" % line, file=sys.stderr)
        return 2
    bad = [l for l in labs if l.violations]
    skipped = any(l.notes for l in labs)
    say()
    summary = "handout invariants: %d lab%s checked, %d violated" % (
        len(labs), "" if len(labs) == 1 else "s", len(bad))
    if not whole_ok:
        summary += ", the whole-repository handout failed"
    if bad:
        # The last line is what `make check` shows: name the first problem.
        summary += " (first: %s: %s)" % (bad[0].stage.label,
                                          bad[0].violations[0])
    elif skipped:
        summary += "; some tests were skipped, so not everything was verified"
    say(summary)
    if bad or not whole_ok:
        return 1
    return SKIP_STATUS if skipped else 0


if __name__ == "__main__":
    sys.exit(main())

"""A throwaway repository for the handout tests: two tiny labs and final/.

Lab 01 (labs/01-calc) has two exercises, 1.add and 1.mul; lab 02 is lab 01
plus exercise 2.sub; final/ is lab 02 again. The "VMM" is a C library
whose unit-test runner takes CK_RUN_SUITE like the real labs' Check
runners, and grading/grade.py is a small stand-in for the real grader: same
command line, same results.json fields, same closing line
(grading/README.md), unit tests only. The tests edit the files to break
one thing at a time.
"""

import os
import shutil
import subprocess
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
GRADING = os.path.dirname(os.path.dirname(HERE))


def dedent(s):
    return textwrap.dedent(s).lstrip("\n")


CALC_H = dedent("""
    /* calc.h - the arithmetic the unit tests check. */
    int calc_add(int a, int b);
    int calc_mul(int a, int b);
    int calc_neg(int a);
    int calc_sub(int a, int b);
    """)

# Lab 01's calc.c. Exercise bodies use names found nowhere else, so that
# the leak check has distinctive lines to look for.
CALC_C_01 = dedent("""
    /* calc.c - integer arithmetic, the long way. */
    #include "calc.h"

    int calc_add(int a, int b)
    {
    \t/* EXERCISE 1.add: Add two numbers.
    \t *
    \t * Return the sum of a and b.
    \t *
    \t * Tests: unit.add
    \t * Stub: (void)a; (void)b; return 0;
    \t */
    \tint sum_of_both_operands = a + b;

    \treturn sum_of_both_operands;
    \t/* END EXERCISE 1.add */
    }

    int calc_mul(int a, int b)
    {
    \tint product_accumulator = 0;

    \t/* EXERCISE 1.mul: Multiply by repeated addition.
    \t *
    \t * Add a to the result b times, with calc_add().
    \t *
    \t * Tests: unit.mul
    \t *        unit.square
    \t * Stub:
    \t * (void)a;
    \t * (void)b;
    \t */
    \tfor (int step_counter = 0; step_counter < b; step_counter++)
    \t\tproduct_accumulator = calc_add(product_accumulator, a);
    \t/* END EXERCISE 1.mul */
    \treturn product_accumulator;
    }

    int calc_neg(int a)
    {
    \treturn -a;
    }
    """)

SUB_01 = dedent("""
    int calc_sub(int a, int b)
    {
    \treturn a - b;
    }
    """)

SUB_02 = dedent("""
    int calc_sub(int a, int b)
    {
    \t/* EXERCISE 2.sub: Subtract, by adding the negation.
    \t *
    \t * Tests: unit.sub
    \t * Stub: (void)a; (void)b; return 0;
    \t */
    \treturn calc_add(a, calc_neg(b));
    \t/* END EXERCISE 2.sub */
    }
    """)

UNIT_C = dedent("""
    /* unit.c - the suites; CK_RUN_SUITE=name runs one of them. */
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "calc.h"

    static int expect(const char *what, int got, int want)
    {
    \tif (got == want)
    \t\treturn 0;
    \tfprintf(stderr, "%s: expected %d, got %d\\n", what, want, got);
    \treturn 1;
    }

    int main(void)
    {
    \tconst char *s = getenv("CK_RUN_SUITE");

    \tif (!s)
    \t\treturn 2;
    \tif (!strcmp(s, "add"))
    \t\treturn expect("calc_add(2, 3)", calc_add(2, 3), 5);
    \tif (!strcmp(s, "mul"))
    \t\treturn expect("calc_mul(4, 3)", calc_mul(4, 3), 12);
    \tif (!strcmp(s, "square"))
    \t\treturn expect("calc_mul(5, 5)", calc_mul(5, 5), 25);
    \tif (!strcmp(s, "base"))
    \t\treturn expect("calc_neg(4)", calc_neg(4), -4);
    \tif (!strcmp(s, "sub"))
    \t\treturn expect("calc_sub(9, 4)", calc_sub(9, 4), 5);
    \tfprintf(stderr, "no suite %s\\n", s);
    \treturn 2;
    }
    """)

LAB_MAKEFILE = dedent("""
    # A tiny lab: build/unit-tests from src/ and tests/.
    CFLAGS ?= -O0
    CFLAGS += -Wall -Wextra -Werror
    all: build/unit-tests
    build/unit-tests: src/calc.c tests/unit.c src/calc.h
    \tmkdir -p build
    \t$(CC) $(CFLAGS) -Isrc -o $@ src/calc.c tests/unit.c
    clean:
    \trm -rf build
    """)


# The lab each test starts in, and its points: a test that no exercise
# names has none (grading/README.md, "Exercises that teach").
SINCE = {"unit.add": 1, "unit.mul": 1, "unit.square": 1, "unit.base": 1,
         "unit.sub": 2}
POINTS = {"unit.base": 0}


def grade_ini(number, tests):
    out = "[lab]\nnumber = %d\ntitle = calc\nunit = build/unit-tests\n" % number
    for t in tests:
        out += "\n[%s]\nlab = %d\npoints = %d\ntimeout = 5\n" % (
            t, SINCE.get(t, number), POINTS.get(t, 1))
    return out


# A stand-in for grading/grade.py: the same interface and results.json.
FAKE_GRADER = dedent('''
    """Stand-in grader: unit tests only (see handout_fixture.py)."""
    import argparse, configparser, glob, json, os, subprocess, sys

    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    if os.environ.get("FAKE_GRADER_SEES"):
        # What the grader finds in build/: the folders a handout borrows.
        with open(os.environ["FAKE_GRADER_SEES"], "a") as f:
            for n in sorted(os.listdir("build")) if os.path.isdir("build") else []:
                p = os.path.join("build", n, "built")
                f.write("%s %s %s %s\\n" % (
                    os.getcwd(), n, os.path.realpath(os.path.join("build", n)),
                    open(p).read().strip() if os.path.isfile(p) else "-"))
    lab = glob.glob("labs/%02d-*" % int(a.lab))[0]
    cp = configparser.ConfigParser()
    cp.read(os.path.join(lab, "tests", "grade.ini"))
    tests = []
    for name in cp.sections():
        if name == "lab":
            continue
        kind, _, suite = name.partition(".")
        if cp.get(name, "needs", fallback="") == "kvm":
            res, why = "skipped", "skipped: no usable /dev/kvm"
        else:
            env = dict(os.environ, CK_RUN_SUITE=suite)
            try:
                r = subprocess.run([os.path.join(lab, "build/unit-tests")],
                                   env=env, capture_output=True,
                                   timeout=cp.getfloat(name, "timeout"))
                ok = r.returncode == 0
                why = "" if ok else (r.stderr.decode().strip().splitlines()
                                     or ["exit status %d" % r.returncode])[-1]
            except subprocess.TimeoutExpired:
                ok, why = False, "timed out after %ss" % cp.get(name, "timeout")
            res = "passed" if ok else "failed"
        print("  %-12s %s %s" % (name, res, why))
        points = cp.getint(name, "points")
        since = cp.getint(name, "lab", fallback=int(a.lab))
        extra = {"result": res}
        if since < int(a.lab):
            extra["regression"] = since
            points = 0
        tests.append({"name": name, "score": points * (res == "passed"),
                      "max_score": points, "status": res, "output": why,
                      "extra_data": extra})
    with open(a.json, "w") as f:
        json.dump({"tests": tests}, f)
    n = {k: sum(t["extra_data"]["result"] == k for t in tests)
         for k in ("passed", "failed", "skipped")}
    line = "%d passed, %d failed" % (n["passed"], n["failed"])
    print(line + (", %d skipped" % n["skipped"] if n["skipped"] else ""))
    sys.exit(1 if n["failed"] else 0)
    ''')

PROJECT_INI = dedent("""
    ; project checks
    [check.stages]
    command = python3 grading/stages.py check
    timeout = 60
    what = the stages are what source/ generates

    ; the grader's own tests
    [check.grader]
    command = python3 -m unittest discover -s grading/tests
    timeout = 60
    what = the grader

    [check.handout]
    command = python3 grading/handout_check.py
    timeout = 600
    what = the handout invariants
    """)

GUESTS_MAKEFILE = dedent("""
    # Guests: one "binary" made from its source.
    all: out/g.bin
    out/g.bin: g.asm
    \tmkdir -p out
    \tcp g.asm out/g.bin
    """)

FILES = {
    "README.md": "# calc\n",
    "Makefile": "all:\n\t@true\n",
    ".gitignore": "build/\n/dist/\n*.secret\nguests/out/\n",
    "grading/grade.py": FAKE_GRADER,
    "grading/project.ini": PROJECT_INI,
    # Instructor tools: present in the repository, never in a handout.
    "grading/handout.py": "# instructor tool\n",
    "grading/handout_check.py": "# instructor tool\n",
    "grading/stages.py": "# instructor tool\n",
    "grading/tests/stages/test_x.py": "# instructor test\n",
    # The one source the stages are generated from: every solution.
    "source/stages.ini": "[stages]\n01 = labs/01-calc\n02 = labs/02-more\n",
    "source/vmm/src/calc.c": CALC_C_01 + "\n" + SUB_02,
    "grading/tests/handout/test_x.py": "# instructor test\n",
    "grading/tests/test_grade.py": "# the grader's own tests\n",
    "book/ch01.md": "# Chapter 1\n\nThe add exercise is quoted here.\n",
    "guests/Makefile": GUESTS_MAKEFILE,
    "guests/g.asm": "; a guest\n",
    "notes.secret": "ignored by .gitignore\n",
    "labs/01-calc/Makefile": LAB_MAKEFILE,
    "labs/01-calc/README.md": "# Lab 01\n\nWrite calc_add and calc_mul.\n",
    "labs/01-calc/src/calc.h": CALC_H,
    "labs/01-calc/src/calc.c": CALC_C_01 + "\n" + SUB_01,
    "labs/01-calc/tests/unit.c": UNIT_C,
    "labs/01-calc/tests/grade.ini": grade_ini(1, ["unit.add", "unit.mul",
                                                  "unit.square", "unit.base"]),
    "labs/01-calc/build/stale.o": "a build output\n",
    "labs/02-more/Makefile": LAB_MAKEFILE,
    "labs/02-more/README.md": "# Lab 02\n\nWrite calc_sub.\n",
    "labs/02-more/src/calc.h": CALC_H,
    "labs/02-more/src/calc.c": CALC_C_01 + "\n" + SUB_02,
    "labs/02-more/tests/unit.c": UNIT_C,
    "labs/02-more/tests/grade.ini": grade_ini(2, [
        "unit.add", "unit.mul", "unit.square", "unit.base", "unit.sub"]),
    "final/Makefile": LAB_MAKEFILE,
    "final/README.md": "# The whole calculator\n",
    "final/src/calc.h": CALC_H,
    "final/src/calc.c": CALC_C_01 + "\n" + SUB_02,
    "final/tests/unit.c": UNIT_C,
    "final/tests/grade.ini": grade_ini(2, [
        "unit.add", "unit.mul", "unit.square", "unit.base", "unit.sub"]),
}


class Repo:
    """The fixture repository in a fresh temporary folder."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="handout-test-")
        self.root = os.path.join(self.tmp, "repo")
        for rel, text in FILES.items():
            self.write(rel, text)
        subprocess.run(["git", "init", "-q", self.root], check=True)
        # Some files tracked, the rest untracked: both kinds count.
        subprocess.run(["git", "-C", self.root, "add", "labs/01-calc/src",
                        "README.md"], check=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def edit(self, rel, old, new, count=1):
        text = self.read(rel)
        assert old in text, "%r not in %s" % (old, rel)
        self.write(rel, text.replace(old, new, count))

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_tool(name, *args, cwd=None, env=None):
    """Run grading/<name> from the real repository on a fixture. The
    results a surrounding make check hands its project checks
    (VMMLAB_GRADED) are not the fixture's: a test names its own in env."""
    base = {k: v for k, v in os.environ.items() if k != "VMMLAB_GRADED"}
    return subprocess.run(["python3", os.path.join(GRADING, name)] + list(args),
                          capture_output=True, text=True, cwd=cwd,
                          env=dict(base, **(env or {})))

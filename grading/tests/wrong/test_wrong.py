"""Tests of grading/wrong.py (grading/README.md, "Wrong solutions").

The throwaway lab is the mutation tool's (grading/tests/mutate): calc_clamp()
and calc_scale() as exercises 1.clamp and 1.scale, a Check-like unit-test
runner and a "VMM" whose guest tests run on the host runner
(VMMLAB_KVM_DEV=/dev/null stands in for a usable KVM). Each wrong solution
below is known in advance to fail, or not, each test it names.

    python3 -m unittest discover -s grading/tests/wrong
"""

import json
import os
import subprocess
import sys
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GRADING = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "mutate"))
sys.path.insert(0, GRADING)

import test_mutate  # noqa: E402


def dedent(s):
    return textwrap.dedent(s).lstrip("\n")


# Caught: unit.clamp sees clamp(-5, 0, 9) == -5.
NO_LOWER = dedent("""
    /* Wrong 1.clamp: forgets the lower bound.
     *
     * Fails: unit.clamp
     */
    \t(void)lo;
    \tif (x > hi)
    \t\treturn hi;
    \treturn x;
    """)

# Caught, as an edit: the bounds swapped.
SWAPPED = dedent("""
    /* Wrong 1.clamp: returns the other bound.
     * Fails: unit.clamp
     */
    --- find
    \t\treturn lo;
    +++ replace
    \t\treturn hi;
    """)

# Not caught: x <= lo returns lo too; the tool must say the test passes.
EQUAL = dedent("""
    /* Wrong 1.clamp: <= for <, which no test can tell apart.
     * Fails: unit.clamp
     */
    --- find
    \tif (x < lo)
    +++ replace
    \tif (x <= lo)
    """)

# Caught only by the guest test (unit.weak checks 0 alone, which it passes).
TIMES_FOUR = dedent("""
    /* Wrong 1.scale: four times.
     * Fails: guest.five
     */
    --- find
    x * 3
    +++ replace
    x * 4
    """)

BROKEN = dedent("""
    /* Wrong 1.scale: does not compile.
     * Fails: unit.weak
     */
    \treturn y;
    """)


class Repo(test_mutate.Repo):
    def wrong(self, name, text):
        self.write(os.path.join("source", "wrong", name), text)

    def run(self, *args):
        env = dict(os.environ, VMMLAB_KVM_DEV="/dev/null")
        out = os.path.join(self.root, "out.json")
        p = subprocess.run([sys.executable, os.path.join(GRADING, "wrong.py"),
                            "--root", self.root, "--lab", "1", "--runner", "host",
                            "--json", out] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=300)
        data = None
        if os.path.isfile(out):
            with open(out) as f:
                data = json.load(f)
            os.unlink(out)
        return p.returncode, p.stdout.decode(), p.stderr.decode(), data


class TestRun(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        self.repo.close()

    def test_outcomes(self):
        r = self.repo
        r.wrong("1.clamp/no-lower.c", NO_LOWER)
        r.wrong("1.clamp/swapped.c", SWAPPED)
        r.wrong("1.clamp/equal.c", EQUAL)
        r.wrong("1.scale/times-four.c", TIMES_FOUR)
        r.wrong("1.scale/broken.c", BROKEN)
        status, out, err, data = r.run()
        self.assertEqual(status, 1, out + err)
        got = {d["wrong"]: (d["ok"], d["detail"]) for d in data["wrong"]}
        self.assertEqual(got["1.clamp/no-lower"], (True, "fails unit.clamp"))
        self.assertEqual(got["1.clamp/swapped"], (True, "fails unit.clamp"))
        self.assertEqual(got["1.clamp/equal"], (False, "PASSES unit.clamp (must fail)"))
        self.assertEqual(got["1.scale/times-four"], (True, "fails guest.five"))
        self.assertFalse(got["1.scale/broken"][0])
        self.assertTrue(got["1.scale/broken"][1].startswith("does not build"))
        # 1.scale has two, fewer than three.
        self.assertIn("1.scale", out)
        self.assertIn("fewer than 3 wrong solutions in source/wrong/1.scale/", out)
        self.assertIn("(source/wrong/1.clamp/equal.c: <= for <, which no test can tell apart.)",
                      out)
        self.assertEqual(out.splitlines()[-1], "3 passed, 3 failed")
        # The lab itself is untouched.
        with open(os.path.join(r.lab, "src", "calc.c")) as f:
            self.assertEqual(f.read(), test_mutate.CALC_C)

    def test_all_caught(self):
        r = self.repo
        r.wrong("1.clamp/no-lower.c", NO_LOWER)
        r.wrong("1.clamp/swapped.c", SWAPPED)
        r.wrong("1.scale/times-four.c", TIMES_FOUR)
        status, out, err, data = r.run("--min", "1")
        self.assertEqual(status, 0, out + err)
        self.assertEqual(out.splitlines()[-1], "3 passed, 0 failed")
        status, out, err, _ = r.run("--min", "1", "--exercise", "clamp")
        self.assertEqual(out.splitlines()[-1], "2 passed, 0 failed")

    def test_right_solutions_must_pass(self):
        # Another correct solution: <= for < returns lo either way.
        r = self.repo
        r.wrong("1.clamp/no-lower.c", NO_LOWER)
        r.wrong("1.clamp/equal.c", EQUAL.replace("/* Wrong", "/* Right").replace(
            "Fails:", "Passes:"))
        r.wrong("1.clamp/swapped-right.c", SWAPPED.replace("/* Wrong", "/* Right").replace(
            "Fails:", "Passes:"))
        status, out, err, data = r.run("--min", "1", "--exercise", "clamp")
        self.assertEqual(status, 1, out + err)
        got = {d["wrong"]: (d["ok"], d["detail"]) for d in data["wrong"]}
        self.assertEqual(got["1.clamp/equal"], (True, "passes unit.clamp"))
        self.assertFalse(got["1.clamp/swapped-right"][0])
        self.assertTrue(got["1.clamp/swapped-right"][1].startswith("FAILS unit.clamp (must pass: "))
        # A right solution does not count among the wrong ones.
        status, out, err, _ = r.run("--min", "2")
        self.assertIn("fewer than 2 wrong solutions in source/wrong/1.clamp/", out)

    def test_bad_files(self):
        cases = [
            ("1.clamp/a.c", "\treturn x;\n", "a.c:1: expected `/* Wrong N.name"),
            ("1.clamp/a.c", "/* Wrong 1.clamp: x\n */\n\treturn x;\n", "no `Fails:` line"),
            ("1.clamp/a.c", "/* Wrong 1.clamp: x\n * Fails: unit.nope\n */\n\treturn x;\n",
             "Fails: unit.nope is not a test"),
            ("1.clamp/a.c", "/* Wrong 1.scale: x\n * Fails: unit.weak\n */\n\treturn x;\n",
             "says 1.scale, but it is in the folder of 1.clamp"),
            ("1.nope/a.c", "/* Wrong 1.nope: x\n * Fails: unit.weak\n */\n\treturn x;\n",
             "there is no exercise 1.nope"),
            ("1.clamp/a.c", "/* Wrong 1.clamp: x\n * Fails: unit.clamp\n */\n--- find\n"
             "\tif (y < lo)\n+++ replace\n\tif (y)\n",
             "occurs 0 times in the body of EXERCISE 1.clamp"),
            ("1.clamp/a.c", "/* Wrong 1.clamp: x\n * Fails: unit.clamp\n */\n--- find\n"
             "\treturn x;\n", "needs text and a `+++ replace`"),
        ]
        for rel, text, message in cases:
            with self.subTest(text=text):
                self.repo.close()
                self.repo = Repo()
                self.repo.wrong(rel, text)
                status, out, err, _ = self.repo.run("--min", "0")
                self.assertEqual(status, 2, out + err)
                self.assertIn(message, err)

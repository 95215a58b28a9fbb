"""Tests of grading/handout_check.py on the fixture repository: it passes
when the invariants hold and names the broken one otherwise.

These build the fixture's labs with cc and make.

Run: python3 -m unittest discover -s grading/tests/handout
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import handout_fixture as hf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
import grade  # noqa: E402

CALC = "labs/01-calc/src/calc.c"


class TestHandoutCheck(unittest.TestCase):
    def setUp(self):
        self.repo = hf.Repo()
        self.addCleanup(self.repo.cleanup)

    def check(self, *args):
        r = hf.run_tool("handout_check.py", "--root", self.repo.root, *args)
        self.out = r.stdout + r.stderr
        return r

    def assertViolation(self, pattern, *args):
        r = self.check(*args)
        self.assertEqual(r.returncode, 1, self.out)
        self.assertRegex(self.out, r"VIOLATION +" + pattern)
        return r

    def test_invariants_hold(self):
        r = self.check()
        self.assertEqual(r.returncode, 0, self.out)
        self.assertIn("=> lab 01: OK", self.out)
        self.assertIn("=> lab 02: OK", self.out)
        # Exactly the exercises' tests fail, each with the runner's reason.
        self.assertIn("unit.add fails: calc_add(2, 3): expected 5, got 0",
                      self.out)
        self.assertIn("3 failed as the exercises say, 1 passed, 0 skipped",
                      self.out)
        self.assertIn("1 failed as the exercises say, 4 passed, 0 skipped",
                      self.out)
        self.assertNotIn("VIOLATION", self.out)
        self.assertTrue(self.out.rstrip().endswith(
            "handout invariants: 2 labs checked, 0 violated"))

    def test_one_lab(self):
        r = self.check("--lab", "2")
        self.assertEqual(r.returncode, 0, self.out)
        self.assertNotIn("lab 01", self.out)
        self.assertNotIn("whole-repository", self.out)

    def test_keep(self):
        keep = os.path.join(self.repo.tmp, "kept")
        r = self.check("--lab", "1", "--keep", keep)
        self.assertEqual(r.returncode, 0, self.out)
        self.assertTrue(os.path.isfile(os.path.join(
            keep, "labs/01-calc/build/unit-tests")))

    def test_handout_build_starts_from_the_reference(self):
        # The guest, the same bytes as the reference's, is not made again
        # (its product keeps the reference's time); the lab's test runner,
        # built from the stubbed calc.c, is.
        keep = os.path.join(self.repo.tmp, "kept")
        r = self.check("--lab", "1", "--keep", keep)
        self.assertEqual(r.returncode, 0, self.out)
        ref, mine = (os.stat(os.path.join(d, "guests/out/g.bin")).st_mtime_ns
                     for d in (self.repo.root, keep))
        self.assertEqual(mine, ref)
        with open(self.repo.path("labs/01-calc/build/unit-tests"), "rb") as a, \
                open(os.path.join(keep, "labs/01-calc/build/unit-tests"), "rb") as b:
            self.assertNotEqual(a.read(), b.read())

    def graded(self, plant=None):
        """What make check's grader hands its project checks
        (VMMLAB_GRADED): lab 01 graded, with the fingerprint of what ran;
        plant = (test, reason) makes that test's result a failure."""
        for d in ("guests", "labs/01-calc"):
            subprocess.run(["make", "-s", "-C", self.repo.path(d)], check=True,
                           capture_output=True)
        out = os.path.join(self.repo.tmp, "ref.json")
        subprocess.run([sys.executable, "grading/grade.py", "--lab", "1",
                        "--json", out], cwd=self.repo.root, capture_output=True)
        with open(out) as f:
            data = json.load(f)
        lab = grade.load_lab(self.repo.root, 1, self.repo.path("labs/01-calc"))
        data.update(root=self.repo.root, lab=1, fingerprint=grade.fingerprint(lab))
        for t in data["tests"]:
            if plant and t["name"] == plant[0]:
                t.update(status="failed", output=plant[1])
                t["extra_data"]["result"] = "failed"
        d = os.path.join(self.repo.tmp, "graded")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "lab-01.json"), "w") as f:
            json.dump(data, f)
        return {"VMMLAB_GRADED": d}

    def test_reference_graded_by_make_check_is_judged_not_run_again(self):
        # The results make check's grader got are judged as the check's
        # own would be: a failure there is a violation here.
        env = self.graded(("unit.base", "planted: failed in make check"))
        r = hf.run_tool("handout_check.py", "--root", self.repo.root,
                        "--lab", "1", env=env)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        self.assertIn("graded by this make check", out)
        self.assertRegex(out, r"VIOLATION +reference: unit\.base failed: "
                         r"planted: failed in make check")

    def test_reference_not_what_make_check_graded_is_graded_again(self):
        env = self.graded(("unit.base", "planted: failed in make check"))
        # Another binary (a new global, same behaviour): graded here.
        self.repo.edit("labs/01-calc/src/calc.c", "\n", "\nint calc_build = 2;\n")
        r = hf.run_tool("handout_check.py", "--root", self.repo.root,
                        "--lab", "1", env=env)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("graded by this make check", out)
        self.assertNotIn("planted", out)

    def test_handout_borrows_the_lab_machine_and_linux(self):
        # Graded with the repository's build/labvm and build/linux (made
        # from Debian's packages, not built again in each handout), and
        # without them once graded.
        for name in ("labvm", "linux"):
            self.repo.write("build/%s/built" % name, "yes\n")
        seen = os.path.join(self.repo.tmp, "seen")
        r = hf.run_tool("handout_check.py", "--root", self.repo.root,
                        "--lab", "1", env={"FAKE_GRADER_SEES": seen})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        root = os.path.realpath(self.repo.root)
        with open(seen) as f:
            # What the grader saw in the handout (not in the reference).
            seen = [l.split(" ") for l in f.read().splitlines()]
        lines = [l[1:] for l in seen if os.path.realpath(l[0]) != root]
        # The lab machine linked in; the Linux guest a folder of the
        # handout's own (a lab machine's job takes only files inside the
        # repository with it), holding the repository's files.
        self.assertIn(["labvm", "%s/build/labvm" % root, "yes"], lines)
        handout = [l[0] for l in seen if os.path.realpath(l[0]) != root][0]
        self.assertIn(["linux", "%s/build/linux" % os.path.realpath(handout),
                       "yes"], lines)

    def test_unlisted_test_fails_on_the_handout(self):
        # unit.square fails on the stub of 1.mul but is no longer named.
        self.repo.edit(CALC, "\t *        unit.square\n", "")
        self.assertViolation(r"handout: unit\.square failed .*no exercise "
                             r"of lab 01 names it", "--lab", "1")

    def test_listed_test_passes_on_the_handout(self):
        self.repo.edit(CALC, "Tests: unit.add", "Tests: unit.add unit.base")
        self.assertViolation(r"handout: unit\.base passed, but exercise "
                             r"1\.add names it", "--lab", "1")

    def test_reference_fails(self):
        for stage in ("labs/01-calc", "labs/02-more", "final"):
            self.repo.edit(stage + "/src/calc.c", "return -a;", "return a;")
        r = self.assertViolation(r"reference: unit\.base failed: "
                                 r"calc_neg\(4\): expected -4, got 4",
                                 "--lab", "1")
        # The handout inherits the broken code: there too it fails.
        self.assertIn("=> lab 01: 2 invariant violations", self.out)
        # The last line, all `make check` shows, names the first one.
        self.assertRegex(self.out.rstrip().splitlines()[-1],
                         r"1 violated \(first: lab 01: reference: unit\.base "
                         r"failed")

    def test_untouched_handout_earns_nothing(self):
        # unit.base passes on the handout: with points it would pay for
        # work the student did not do.
        self.repo.edit("labs/01-calc/tests/grade.ini",
                       "[unit.base]\nlab = 1\npoints = 0",
                       "[unit.base]\nlab = 1\npoints = 2")
        self.assertViolation(r"handout: the untouched handout earns 2 of the "
                             r"lab's points: unit\.base \(2\)", "--lab", "1")

    def test_one_exercise_worth_half_the_lab(self):
        # A third exercise, so that the lab has something to balance;
        # then 1.mul's two tests are worth half of it.
        self.repo.edit(CALC, "int calc_neg(int a)\n{\n\treturn -a;\n}",
                       "int calc_neg(int a)\n{\n\t/* EXERCISE 1.neg: Negate.\n"
                       "\t *\n\t * Tests: unit.base\n\t * Stub: return a;\n\t */\n"
                       "\treturn -a;\n\t/* END EXERCISE 1.neg */\n}")
        self.repo.edit("labs/01-calc/tests/grade.ini",
                       "[unit.base]\nlab = 1\npoints = 0",
                       "[unit.base]\nlab = 1\npoints = 1")
        r = self.assertViolation(r"weights: exercise 1\.mul alone is worth 2 of "
                                 r"the lab's 4 points \(50 %, at most 50 %\)",
                                 "--lab", "1")
        self.assertIn("1.add alone: 1 of 4 points (25 %)", self.out)

    def test_handout_warns(self):
        for stage in ("labs/01-calc",):
            self.repo.edit(stage + "/Makefile", "-Wall -Wextra -Werror",
                           "-Wall -Wextra")
        self.repo.edit(CALC, "Stub: (void)a; (void)b; return 0;",
                       "Stub: int unused_here; (void)a; (void)b; return 0;")
        self.assertViolation(r"handout: make -C labs/01-calc printed 1 "
                             r"warning", "--lab", "1")
        self.assertRegex(self.out, r"\| .*unused_here")

    def test_handout_does_not_build(self):
        self.repo.edit(CALC, "Stub: (void)a; (void)b; return 0;",
                       "Stub: return a + ;")
        self.assertViolation(r"handout: make -C labs/01-calc failed",
                             "--lab", "1")

    def test_stub_that_hangs(self):
        self.repo.edit(CALC, "Stub: (void)a; (void)b; return 0;",
                       "Stub: (void)a; (void)b; for (;;) {}")
        self.repo.edit("labs/01-calc/tests/grade.ini",
                       "[unit.add]\nlab = 1\npoints = 1\ntimeout = 5",
                       "[unit.add]\nlab = 1\npoints = 1\ntimeout = 1")
        self.assertViolation(r"handout: unit\.add hangs on the stub",
                             "--lab", "1")

    def test_skipped_tests_are_reported_not_counted(self):
        self.repo.edit("labs/01-calc/tests/grade.ini",
                       "[unit.base]\nlab = 1\npoints = 0\ntimeout = 5",
                       "[unit.base]\nlab = 1\npoints = 0\ntimeout = 5\nneeds = kvm")
        r = self.check("--lab", "1")
        self.assertEqual(r.returncode, 77, self.out)
        self.assertRegex(self.out, r"SKIPPED +reference: 1 skipped, not "
                         r"verified: unit\.base")
        self.assertRegex(self.out, r"SKIPPED +handout: 1 skipped, not "
                         r"verified: unit\.base")
        self.assertIn("3 failed as the exercises say, 0 passed, 1 skipped",
                      self.out)
        self.assertTrue(self.out.rstrip().endswith(
            "handout invariants: 1 lab checked, 0 violated; some tests were "
            "skipped, so not everything was verified"))

    def test_grader_crash(self):
        self.repo.edit("grading/grade.py", "a = ap.parse_args()",
                       "a = ap.parse_args()\nraise RuntimeError('boom')")
        self.assertViolation(r"reference: the grader crashed .*boom",
                             "--lab", "1")

    def test_bad_markers(self):
        self.repo.edit(CALC, "Tests: unit.add", "Tests: unit.none")
        self.assertViolation(r"markers: labs/01-calc/src/calc\.c:\d+: .*"
                             r"unit\.none", "--lab", "1")

    def test_leak(self):
        self.repo.write("labs/02-more/README.md",
                        "return calc_add(a, calc_neg(b));\n")
        self.assertViolation(r"handout: labs/02-more/README\.md:1: .*2\.sub",
                             "--lab", "2")

    def test_unknown_lab(self):
        r = self.check("--lab", "5")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no folder for lab 5", self.out)


if __name__ == "__main__":
    unittest.main()

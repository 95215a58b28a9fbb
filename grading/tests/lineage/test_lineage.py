"""Tests of grading/lineage.py on a throwaway repository of four stages.

labs/01-a is the first stage; labs/02-b adds src/c.c and changes src/a.c
and README.md; labs/03-c changes src/b.c; final/ changes nothing. Each test
drifts, breaks or fixes one thing and checks what check, carry and diff
say about it, against grading/README.md ("The lab lineage").

Run: python3 -m unittest discover -s grading/tests/lineage
"""

import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LINEAGE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "lineage.py")

A1 = "int a(void)\n{\n\treturn 1;\n}\n"
A2 = "int a(void)\n{\n\treturn 2;\n}\n"
B1 = "/* b.c */\nint b(void)\n{\n\treturn 10;\n}\n"
B3 = "/* b.c, lab 03 */\nint b(void)\n{\n\treturn 30;\n}\n"
C2 = "int c(void)\n{\n\treturn 3;\n}\n"

STAGES = {
    "labs/01-a": ({"Makefile": "all:\n", "README.md": "# Lab 01\n",
                   "src/a.c": A1, "src/b.c": B1},
                  "# first\nprevious none\n"),
    "labs/02-b": ({"Makefile": "all:\n", "README.md": "# Lab 02\n",
                   "src/a.c": A2, "src/b.c": B1, "src/c.c": C2},
                  "previous labs/01-a\nadded src/c.c   # new\n"
                  "changed src/a.c\nchanged README.md\n"),
    "labs/03-c": ({"Makefile": "all:\n", "README.md": "# Lab 02\n",
                   "src/a.c": A2, "src/b.c": B3, "src/c.c": C2},
                  "previous labs/02-b\nchanged src/b.c\n"),
    "final": ({"Makefile": "all:\n", "README.md": "# Lab 02\n",
               "src/a.c": A2, "src/b.c": B3, "src/c.c": C2},
              "previous labs/03-c\n"),
}


class LineageCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lineage-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = os.path.join(self.tmp, "repo")
        for stage, (files, manifest) in STAGES.items():
            for rel, text in files.items():
                self.write(stage + "/" + rel, text)
            self.write(stage + "/LINEAGE", manifest)
        # Build outputs and ignored files never count.
        self.write("labs/02-b/build/a.o", "object\n")
        self.write("labs/03-c/build/a.o", "another object\n")
        self.write(".gitignore", "*.log\n")
        self.write("labs/02-b/run.log", "ignored\n")
        self.git("init", "-q")

    def git(self, *args):
        subprocess.run(["git", "-C", self.root] + list(args), check=True,
                       capture_output=True)

    def commit(self):
        self.git("add", "-A")
        self.git("-c", "user.name=t", "-c", "user.email=t@t", "commit",
                 "-q", "-m", "stages")

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
        with open(self.path(rel), "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def run_lineage(self, *args):
        r = subprocess.run(["python3", LINEAGE, "--root", self.root]
                           + list(args), capture_output=True, text=True)
        self.out = r.stdout + r.stderr
        return r

    def problems(self):
        """The check's problem lines, without the 'lineage: ' prefix."""
        r = self.run_lineage("check")
        self.assertEqual(r.returncode, 1, self.out)
        return [l[len("lineage: "):] for l in r.stderr.splitlines()]


class TestCheck(LineageCase):
    def test_consistent(self):
        r = self.run_lineage("check")
        self.assertEqual(r.returncode, 0, self.out)
        self.assertIn("labs/02-b                1 added, 2 changed, "
                      "0 removed, 2 inherited unchanged", r.stdout)
        self.assertIn("lineage: 4 stages consistent", r.stdout)

    def test_one_byte_drift_in_an_inherited_file(self):
        self.write("labs/02-b/src/b.c", B1.replace("10", "11"))
        self.assertEqual(self.problems(), [
            "labs/02-b/src/b.c: differs from labs/01-a/src/b.c (first "
            "difference at line 4) but labs/02-b/LINEAGE does not list it "
            "as changed"])

    def test_drift_in_the_last_stage(self):
        self.write("final/src/c.c", C2 + "\n")
        self.assertEqual(len(self.problems()), 1)
        self.assertIn("final/src/c.c: differs from labs/03-c/src/c.c", self.out)

    def test_executable_bit_drift(self):
        os.chmod(self.path("final/Makefile"), 0o755)
        self.assertEqual(self.problems(), [
            "final/Makefile: differs from labs/03-c/Makefile "
            "(executable bit differs) but final/LINEAGE does not list "
            "it as changed"])

    def test_stale_changed_entry(self):
        self.write("labs/02-b/README.md", "# Lab 01\n")
        self.write("labs/03-c/README.md", "# Lab 01\n")
        self.write("final/README.md", "# Lab 01\n")
        self.assertEqual(self.problems(), [
            "labs/02-b/README.md: listed as changed (labs/02-b/LINEAGE:4) "
            "but identical to labs/01-a/README.md (stale manifest)"])

    def test_file_not_accounted_for(self):
        self.write("labs/03-c/src/d.c", "int d;\n")
        self.write("final/src/d.c", "int d;\n")
        self.assertEqual(self.problems(), [
            "labs/03-c/src/d.c: not in labs/02-b and not listed as added "
            "in labs/03-c/LINEAGE"])

    def test_listed_file_missing(self):
        os.remove(self.path("labs/03-c/src/b.c"))
        self.assertEqual(self.problems(), [
            "labs/03-c/src/b.c: listed as changed (labs/03-c/LINEAGE:2) "
            "but missing",
            "final/src/b.c: not in labs/03-c and not listed as added in "
            "final/LINEAGE"])

    def test_inherited_file_missing_and_removed_entry(self):
        os.remove(self.path("final/Makefile"))
        self.assertEqual(self.problems(), [
            "final/Makefile: missing; labs/03-c/Makefile has it and "
            "final/LINEAGE does not list it as removed"])
        self.write("final/LINEAGE", "previous labs/03-c\nremoved Makefile\n")
        self.assertEqual(self.run_lineage("check").returncode, 0, self.out)

    def test_added_entry_for_an_inherited_file(self):
        self.write("labs/03-c/LINEAGE",
                   "previous labs/02-b\nchanged src/b.c\nadded src/c.c\n")
        self.assertEqual(self.problems(), [
            "labs/03-c/src/c.c: listed as added (labs/03-c/LINEAGE:3) but "
            "labs/02-b has it (identical: drop the line)"])

    def test_untracked_files_count_ignored_and_outputs_do_not(self):
        self.git("add", "labs/01-a")
        self.assertEqual(self.run_lineage("check").returncode, 0, self.out)
        self.write("labs/02-b/src/new.log", "ignored\n")
        self.write("labs/02-b/src/__pycache__/x.pyc", "output\n")
        self.assertEqual(self.run_lineage("check").returncode, 0, self.out)

    def test_missing_manifest(self):
        os.remove(self.path("labs/03-c/LINEAGE"))
        problems = self.problems()
        self.assertIn("labs/03-c/LINEAGE: missing (every stage needs a "
                      "lineage manifest)", problems)

    def test_wrong_previous(self):
        self.write("labs/03-c/LINEAGE", "previous labs/01-a\n"
                   "changed src/b.c\n")
        self.assertIn("labs/03-c/LINEAGE:1: previous is labs/01-a; the stage "
                      "before labs/03-c is labs/02-b", self.problems())

    def test_manifest_syntax(self):
        self.write("labs/03-c/LINEAGE", "previous labs/02-b\n"
                   "changed src/b.c\nmodified src/a.c\nchanged src/b.c\n"
                   "added ../x.c\nadded\n")
        problems = self.problems()
        for want in ("labs/03-c/LINEAGE:3: unknown kind 'modified'",
                     "labs/03-c/LINEAGE:4: src/b.c already listed at line 2",
                     "labs/03-c/LINEAGE:5: '../x.c' is not a plain path",
                     "labs/03-c/LINEAGE:6: expected `KIND PATH`"):
            self.assertTrue(any(p.startswith(want) for p in problems),
                            (want, problems))


class TestCarry(LineageCase):
    def test_carry_stops_at_the_stage_that_changes_the_file(self):
        fixed = B1.replace("return 10;", "return 10; /* fixed */")
        self.write("labs/01-a/src/b.c", fixed)
        r = self.run_lineage("carry", self.path("labs/01-a/src/b.c"))
        self.assertEqual(r.returncode, 0, self.out)
        self.assertEqual(self.read("labs/02-b/src/b.c"), fixed)
        self.assertEqual(self.read("labs/03-c/src/b.c"), B3)
        self.assertEqual(self.read("final/src/b.c"), B3)
        self.assertEqual(r.stdout.splitlines(), [
            "labs/02-b/src/b.c: updated from labs/01-a/src/b.c",
            "labs/03-c/src/b.c: changed by lab 03 (labs/03-c/LINEAGE:2); "
            "not carried further, apply the fix there by hand"])
        self.assertEqual(self.run_lineage("check").returncode, 0, self.out)

    def test_carry_to_the_last_stage(self):
        self.write("labs/02-b/src/c.c", C2 + "/* fixed */\n")
        os.chmod(self.path("labs/02-b/src/c.c"), 0o755)
        cwd = os.getcwd()
        os.chdir(self.root)   # a path relative to the current folder
        try:
            r = self.run_lineage("carry", "labs/02-b/src/c.c")
        finally:
            os.chdir(cwd)
        self.assertEqual(r.returncode, 0, self.out)
        for stage in ("labs/03-c", "final"):
            self.assertEqual(self.read(stage + "/src/c.c"), C2 + "/* fixed */\n")
            self.assertTrue(os.access(self.path(stage + "/src/c.c"), os.X_OK))
        self.assertIn("labs/02-b/src/c.c: carried through to the last stage, "
                      "final", r.stdout)
        self.assertEqual(self.run_lineage("check").returncode, 0, self.out)

    def test_carry_refuses_a_copy_that_drifted_on_its_own(self):
        self.commit()
        self.write("labs/03-c/src/c.c", C2 + "/* lab 03's own edit */\n")
        self.write("labs/02-b/src/c.c", C2 + "/* fixed */\n")
        r = self.run_lineage("carry", self.path("labs/02-b/src/c.c"))
        self.assertEqual(r.returncode, 1, self.out)
        self.assertIn("labs/03-c/src/c.c: differs from both the committed and "
                      "the fixed labs/02-b/src/c.c; not overwritten", r.stdout)
        self.assertEqual(self.read("labs/03-c/src/c.c"),
                         C2 + "/* lab 03's own edit */\n")
        r = self.run_lineage("carry", "--force", self.path("labs/02-b/src/c.c"))
        self.assertEqual(r.returncode, 0, self.out)
        self.assertEqual(self.read("final/src/c.c"), C2 + "/* fixed */\n")

    def test_carry_from_the_last_stage(self):
        r = self.run_lineage("carry", self.path("final/src/a.c"))
        self.assertEqual(r.returncode, 0, self.out)
        self.assertIn("no later stage", r.stdout)

    def test_carry_bad_arguments(self):
        for rel, why in (("labs/01-a/LINEAGE", "never carried"),
                         ("labs/02-b/build/a.o", "build output"),
                         ("labs/01-a/src/zz.c", "no such file"),
                         (".gitignore", "not inside a stage")):
            r = self.run_lineage("carry", self.path(rel))
            self.assertEqual(r.returncode, 2, rel)
            self.assertIn(why, r.stderr, rel)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_carry_needs_sound_manifests(self):
        os.remove(self.path("final/LINEAGE"))
        r = self.run_lineage("carry", self.path("labs/01-a/src/b.c"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("final/LINEAGE: missing", r.stderr)


class TestDiff(LineageCase):
    def test_what_lab_02_adds_and_changes(self):
        r = self.run_lineage("diff", "2")
        self.assertEqual(r.returncode, 0, self.out)
        self.assertEqual(r.stdout.splitlines()[:4], [
            "lab 02 (labs/02-b) against labs/01-a",
            "  changed  README.md (+1 -1)",
            "  changed  src/a.c (+1 -1)",
            "  added    src/c.c (+4 -0)"])
        self.assertIn("--- a/labs/01-a/src/a.c\n+++ b/labs/02-b/src/a.c\n"
                      "@@ -1,4 +1,4 @@\n int a(void)\n {\n-\treturn 1;\n"
                      "+\treturn 2;\n }\n", r.stdout)
        self.assertIn("--- /dev/null\n+++ b/labs/02-b/src/c.c\n"
                      "@@ -0,0 +1,4 @@\n+int c(void)\n", r.stdout)
        # Inherited files, manifests, outputs, ignored files: not shown.
        for name in ("src/b.c", "Makefile", "LINEAGE", "build", "run.log"):
            self.assertNotIn("/" + name, r.stdout)

    def test_first_stage_and_no_difference(self):
        r = self.run_lineage("diff", "01")
        self.assertIn("every file is new", r.stdout)
        self.assertIn("+++ b/labs/01-a/src/b.c", r.stdout)
        r = self.run_lineage("diff", "final")
        self.assertEqual(r.stdout, "final (final) against labs/03-c\n"
                         "  no differences\n\n")

    def test_removed_file(self):
        os.remove(self.path("final/Makefile"))
        self.write("final/LINEAGE", "previous labs/03-c\nremoved Makefile\n")
        r = self.run_lineage("diff", "final")
        self.assertIn("  removed  Makefile (+0 -1)", r.stdout)
        self.assertIn("--- a/labs/03-c/Makefile\n+++ /dev/null\n", r.stdout)

    def test_unknown_stage(self):
        r = self.run_lineage("diff", "7")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no stage '7'", r.stderr)


if __name__ == "__main__":
    unittest.main()

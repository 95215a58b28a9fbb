"""Tests of grading/handout.py: what the handout holds, how a region is
stubbed, the marker errors, and the leak check.

The expectations come from grading/README.md ("Exercise regions in the lab
sources", "The student handout"), applied to the fixture's own sources.

Run: python3 -m unittest discover -s grading/tests/handout
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import handout_fixture as hf  # noqa: E402

CALC = "labs/01-calc/src/calc.c"


def files_under(top):
    out = set()
    for d, _, names in os.walk(top):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), top))
    return out


def line_of(text, needle, nth=1):
    """1-based number of the nth line containing needle."""
    seen = 0
    for no, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return no
    raise AssertionError("%r not found" % needle)


class HandoutCase(unittest.TestCase):
    def setUp(self):
        self.repo = hf.Repo()
        self.addCleanup(self.repo.cleanup)
        self.out = os.path.join(self.repo.tmp, "out")

    def handout(self, *args, ok=True):
        r = hf.run_tool("handout.py", "--root", self.repo.root,
                        "--out", self.out, *args)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def read_out(self, rel):
        with open(os.path.join(self.out, rel)) as f:
            return f.read()

    def assertFails(self, rel, needle, nth=1, message=None):
        """The generator refuses, naming rel at the line holding needle."""
        text = self.repo.read(rel)
        r = self.handout(ok=False)
        self.assertNotEqual(r.returncode, 0)
        where = "%s:%d:" % (rel, line_of(text, needle, nth))
        self.assertIn(where, r.stderr)
        if message:
            self.assertIn(message, r.stderr)
        self.assertFalse(os.path.exists(self.out), "nothing written on error")
        return r


class TestLayout(HandoutCase):
    def test_whole_repository(self):
        self.handout()
        got = files_under(self.out)
        # Shared parts and every stage are there; the reference's tools,
        # the source the stages come from and build outputs are not.
        for rel in ("README.md", "Makefile", ".gitignore", "grading/grade.py",
                    "grading/project.ini", "grading/tests/test_grade.py",
                    "guests/g.asm", "labs/01-calc/src/calc.c",
                    "labs/02-more/src/calc.c", "final/src/calc.c"):
            self.assertIn(rel, got)
        for rel in ("notes.secret", "labs/01-calc/build/stale.o",
                    "book/ch01.md", "grading/handout.py",
                    "grading/handout_check.py",
                    "grading/stages.py", "grading/tests/stages/test_x.py",
                    "source/stages.ini", "source/vmm/src/calc.c",
                    "grading/tests/handout/test_x.py"):
            self.assertNotIn(rel, got)

    def test_one_lab(self):
        self.handout("--lab", "2")
        got = files_under(self.out)
        self.assertIn("labs/02-more/src/calc.c", got)
        self.assertIn("grading/grade.py", got)
        self.assertIn("guests/Makefile", got)
        self.assertFalse(any(f.startswith(("labs/01-calc/", "final/"))
                             for f in got), sorted(got))

    def test_untracked_files_count_ignored_ones_do_not(self):
        self.repo.write("labs/01-calc/src/extra.h", "/* new, not added */\n")
        self.repo.write("labs/01-calc/src/local.secret", "ignored\n")
        self.handout()
        got = files_under(self.out)
        self.assertIn("labs/01-calc/src/extra.h", got)
        self.assertNotIn("labs/01-calc/src/local.secret", got)

    def test_project_checks_of_missing_tools_are_dropped(self):
        self.handout()
        ini = self.read_out("grading/project.ini")
        self.assertNotIn("[check.stages]", ini)
        self.assertNotIn("[check.handout]", ini)
        self.assertNotIn("handout_check.py", ini)
        self.assertIn("[check.grader]\ncommand = python3 -m unittest "
                      "discover -s grading/tests\n", ini)
        self.assertIn("; the grader's own tests\n[check.grader]", ini)

    def test_no_marker_left(self):
        self.handout()
        for rel in files_under(self.out):
            self.assertNotIn("EXERCISE", self.read_out(rel), rel)

    def test_executable_bit_kept(self):
        p = self.repo.path("labs/01-calc/src/calc.c")
        os.chmod(p, 0o755)
        self.handout()
        self.assertTrue(os.access(os.path.join(self.out, CALC), os.X_OK))


class TestRegions(HandoutCase):
    def test_own_lab_stubbed(self):
        self.handout("--lab", "1")
        text = self.read_out(CALC)
        # The region of 1.add: the TODO comment at the marker's
        # indentation, the task, the tests, then the one-line stub.
        self.assertIn(
            "int calc_add(int a, int b)\n"
            "{\n"
            "\t/* TODO 1.add: Add two numbers.\n"
            "\t *\n"
            "\t * Return the sum of a and b.\n"
            "\t *\n"
            "\t * Checked by: unit.add (make check-lab 1)\n"
            "\t */\n"
            "\t(void)a; (void)b; return 0;\n"
            "}\n", text)
        # 1.mul: Tests: continued on a second line, a two-line stub; the
        # code around the region stays.
        self.assertIn(
            "\tint product_accumulator = 0;\n"
            "\n"
            "\t/* TODO 1.mul: Multiply by repeated addition.\n"
            "\t *\n"
            "\t * Add a to the result b times, with calc_add().\n"
            "\t *\n"
            "\t * Checked by: unit.mul unit.square (make check-lab 1)\n"
            "\t */\n"
            "\t(void)a;\n"
            "\t(void)b;\n"
            "\treturn product_accumulator;\n", text)
        self.assertNotIn("sum_of_both_operands", text)
        self.assertNotIn("step_counter", text)

    def test_earlier_lab_code_kept_markers_removed(self):
        self.handout("--lab", "2")
        text = self.read_out("labs/02-more/src/calc.c")
        self.assertIn(
            "int calc_add(int a, int b)\n"
            "{\n"
            "\tint sum_of_both_operands = a + b;\n"
            "\n"
            "\treturn sum_of_both_operands;\n"
            "}\n", text)
        self.assertIn("\t/* TODO 2.sub: Subtract, by adding the negation.\n",
                      text)
        self.assertNotIn("calc_neg(b)", text)

    def test_final_keeps_everything(self):
        self.handout()
        text = self.read_out("final/src/calc.c")
        self.assertIn("\treturn calc_add(a, calc_neg(b));\n}\n", text)
        self.assertIn("sum_of_both_operands", text)
        self.assertNotIn("TODO", text)

    def test_long_tests_line_is_wrapped(self):
        names = ["unit.add"] + ["unit.extra%d" % i for i in range(12)]
        self.repo.write("labs/01-calc/tests/grade.ini", hf.grade_ini(
            1, names + ["unit.mul", "unit.square", "unit.base"]))
        self.repo.edit(CALC, "Tests: unit.add", "Tests: " + " ".join(names))
        self.handout("--lab", "1")
        text = self.read_out(CALC)
        start = text.index("Checked by:")
        block = text[text.rindex("\n", 0, start) + 1:text.index("*/", start)]
        lines = block.splitlines()
        self.assertGreater(len(lines), 1)
        for l in lines:
            self.assertLessEqual(len(l.expandtabs(8)), 80, l)
        self.assertEqual(" ".join(" ".join(lines).replace("*", " ").split()),
                         "Checked by: " + " ".join(names)
                         + " (make check-lab 1)")

    def test_empty_stub(self):
        self.repo.edit(CALC, "Stub: (void)a; (void)b; return 0;",
                       "Stub:\n\t * (void)a; (void)b;\n\t *\n\t * return 0;")
        self.handout("--lab", "1")
        self.assertIn("\t */\n\t(void)a; (void)b;\n\n\treturn 0;\n}\n",
                      self.read_out(CALC))


class TestMarkerErrors(HandoutCase):
    def test_unterminated(self):
        self.repo.edit(CALC, "\t/* END EXERCISE 1.mul */\n", "")
        self.assertFails(CALC, "EXERCISE 1.mul:", message="never closed")

    def test_end_name_mismatch(self):
        self.repo.edit(CALC, "END EXERCISE 1.add", "END EXERCISE 1.addd")
        self.assertFails(CALC, "END EXERCISE 1.addd", message="1.add")

    def test_end_lab_mismatch(self):
        self.repo.edit(CALC, "END EXERCISE 1.add", "END EXERCISE 2.add")
        self.assertFails(CALC, "END EXERCISE 2.add")

    def test_missing_tests(self):
        self.repo.edit(CALC, "\t * Tests: unit.add\n", "")
        self.assertFails(CALC, "EXERCISE 1.add:", message="Tests:")

    def test_empty_tests(self):
        self.repo.edit(CALC, "Tests: unit.add", "Tests:")
        self.assertFails(CALC, "Tests:", message="names no test")

    def test_missing_stub(self):
        self.repo.edit(CALC, "\t * Stub: (void)a; (void)b; return 0;\n", "")
        self.assertFails(CALC, "EXERCISE 1.add:", message="Stub:")

    def test_stub_before_tests(self):
        self.repo.edit(CALC, "\t * Tests: unit.add\n"
                       "\t * Stub: (void)a; (void)b; return 0;\n",
                       "\t * Stub: (void)a; (void)b; return 0;\n"
                       "\t * Tests: unit.add\n")
        self.assertFails(CALC, "EXERCISE 1.add:", message="Tests:")

    def test_unknown_test(self):
        self.repo.edit(CALC, "Tests: unit.add", "Tests: unit.add unit.nope")
        self.assertFails(CALC, "unit.nope", message="unit.nope")

    def test_unknown_test_on_continuation_line(self):
        self.repo.edit(CALC, "*        unit.square", "*        unit.sqare")
        # Reported at the Tests: line of that exercise.
        self.assertFails(CALC, "Tests: unit.mul", message="unit.sqare")

    def test_duplicate_name(self):
        self.repo.edit(CALC, "EXERCISE 1.mul", "EXERCISE 1.add")
        self.repo.edit(CALC, "END EXERCISE 1.mul", "END EXERCISE 1.add")
        self.assertFails(CALC, "EXERCISE 1.add:", nth=2, message="already")

    def test_lab_number_later_than_folder(self):
        self.repo.edit(CALC, "EXERCISE 1.mul", "EXERCISE 2.mul")
        self.repo.edit(CALC, "END EXERCISE 1.mul", "END EXERCISE 2.mul")
        self.assertFails(CALC, "EXERCISE 2.mul", message="later")

    def test_malformed_head(self):
        self.repo.edit(CALC, "EXERCISE 1.add: Add two numbers.",
                       "EXERCISE add: Add two numbers.")
        self.assertFails(CALC, "EXERCISE add")

    def test_comment_not_closed(self):
        self.repo.edit(CALC, "return 0;\n\t */\n\tint sum", "return 0;\n\tint sum")
        self.assertFails(CALC, "EXERCISE 1.add:", message="not closed")

    def test_nested(self):
        self.repo.edit(CALC, "\t/* END EXERCISE 1.add */\n", "")
        self.assertFails(CALC, "EXERCISE 1.add:", message="do not nest")

    def test_end_without_begin(self):
        self.repo.edit(CALC, "\treturn -a;\n", "\treturn -a;\n"
                       "\t/* END EXERCISE 1.neg */\n")
        self.assertFails(CALC, "END EXERCISE 1.neg")

    def test_marker_not_starting_its_line(self):
        self.repo.edit(CALC, "\treturn -a;\n",
                       "\treturn -a; /* EXERCISE 1.neg: Negate. */\n")
        self.assertFails(CALC, "EXERCISE 1.neg", message="start its line")

    def test_marker_mentioned_in_backticks_is_prose(self):
        self.repo.write("labs/01-calc/README.md",
                        "Look for `/* EXERCISE 1.add: ...` in src/calc.c.\n")
        self.handout()

    def test_errors_in_later_labs_found_too(self):
        rel = "labs/02-more/src/calc.c"
        self.repo.edit(rel, "Tests: unit.sub", "Tests: unit.subb")
        self.assertFails(rel, "unit.subb")

    def test_every_problem_reported(self):
        self.repo.edit(CALC, "Tests: unit.add", "Tests: unit.one")
        self.repo.edit(CALC, "Tests: unit.mul", "Tests: unit.two")
        r = self.handout(ok=False)
        self.assertIn("unit.one", r.stderr)
        self.assertIn("unit.two", r.stderr)

    def test_grade_ini_number_must_match_folder(self):
        self.repo.edit("labs/01-calc/tests/grade.ini", "number = 1",
                       "number = 7")
        r = self.handout(ok=False)
        self.assertIn("labs/01-calc/tests/grade.ini", r.stderr)


class TestLeaks(HandoutCase):
    def test_readme_quoting_the_reference(self):
        rel = "labs/01-calc/README.md"
        self.repo.write(rel, "# Lab 01\n\nHint:\n\n```c\n"
                        "for (int step_counter = 0; step_counter < b; "
                        "step_counter++)\n"
                        "    product_accumulator = calc_add("
                        "product_accumulator, a);\n```\n")
        self.assertFails(rel, "step_counter", message="1.mul")

    def test_one_distinctive_line_in_a_comment_elsewhere(self):
        rel = "guests/g.asm"
        self.repo.write(rel, "; a guest\n; int sum_of_both_operands = a + b;\n")
        self.assertFails(rel, "sum_of_both_operands", message="1.add")

    def test_common_lines_in_the_reference_order(self):
        # Both lines of 1.mul's body also appear outside the region, but
        # not one after the other: no leak...
        self.repo.edit(CALC, "int calc_neg(int a)\n", (
            "int calc_twice(int a, int b)\n{\n"
            "\tint product_accumulator = 0;\n\n"
            "\tfor (int step_counter = 0; step_counter < b; step_counter++)\n"
            "\t\ta++;\n"
            "\tproduct_accumulator = b * 2 + a - a;\n"
            "\tproduct_accumulator = calc_add(product_accumulator, a);\n"
            "\treturn product_accumulator;\n}\n\n"
            "int calc_neg(int a)\n"))
        self.handout()
        # ...until a file has them in the reference's order.
        rel = "labs/01-calc/tests/notes.txt"
        self.repo.write(rel, "Solution:\n"
                        "  for (int step_counter = 0; step_counter < b; "
                        "step_counter++)\n"
                        "  product_accumulator = calc_add("
                        "product_accumulator, a);\n")
        os.rename(self.out, self.out + ".old")
        self.assertFails(rel, "step_counter", message="1.mul")

    def test_lines_given_in_the_stub_are_no_leak(self):
        self.repo.edit(CALC, "Stub: (void)a; (void)b; return 0;",
                       "Stub:\n\t * int sum_of_both_operands = a + b;\n"
                       "\t *\n\t * return 0;")
        self.handout()
        self.assertIn("\t */\n\tint sum_of_both_operands = a + b;\n\n"
                      "\treturn 0;\n}\n", self.read_out(CALC))

    def test_later_stage_may_keep_the_code(self):
        # Whole-repository handout: lab 02 and final/ keep lab 01's code.
        self.handout()
        self.assertIn("sum_of_both_operands",
                      self.read_out("labs/02-more/src/calc.c"))

    def test_later_lab_is_not_in_a_one_lab_handout(self):
        self.handout("--lab", "1")
        self.assertFalse(os.path.exists(os.path.join(self.out, "labs/02-more")))


class TestAnswers(HandoutCase):
    """A lab's model answers live in source/ and never reach a handout."""

    ANSWERS = ("# Lab 01: model answers\n\n1. Repeated addition costs b "
               "additions, so multiplying by a large b is slow.\n")

    def test_answers_are_not_in_a_stage_or_handout(self):
        self.repo.write("source/stages/01-calc/ANSWERS.md", self.ANSWERS)
        self.handout()
        self.assertNotIn("ANSWERS.md", " ".join(files_under(self.out)))

    def test_a_line_of_an_answer_is_refused(self):
        self.repo.write("source/stages/01-calc/ANSWERS.md", self.ANSWERS)
        rel = "labs/01-calc/README.md"
        self.repo.write(rel, "# Lab 01\n\nRepeated addition costs b additions, "
                        "so multiplying by a large b is slow.\n")
        self.assertFails(rel, "Repeated addition", message="(model answers)")

    def test_a_file_of_answers_is_refused(self):
        rel = "labs/01-calc/ANSWERS.md"
        self.repo.write(rel, "# answers\n")
        r = self.handout(ok=False)
        self.assertIn("labs/01-calc/ANSWERS.md: a model-answers file is in the handout",
                      r.stderr)


class TestReadme(HandoutCase):
    """The handout's README.md comes from grading/handout-readme.md."""

    def test_readme_from_the_template(self):
        self.repo.write("grading/handout-readme.md",
                        "# calc handout @WHAT@\n\n@LABS@\n\nmake run runs @NEWEST@\n"
                        "make check-lab @FIRST@\n")
        self.handout("--lab", "2")
        text = self.read_out("README.md")
        self.assertIn("# calc handout of Lab 02", text)
        self.assertIn("| [`labs/02-more/`](labs/02-more/README.md) | Lab 02: "
                      "exercises 2.sub |", text)
        self.assertIn("make run runs labs/02-more", text)
        self.assertIn("make check-lab 2", text)
        self.assertNotIn("labs/01-calc", text)
        self.assertFalse(os.path.exists(os.path.join(self.out, "grading",
                                                     "handout-readme.md")))

    def test_without_a_template_the_readme_is_kept(self):
        self.handout("--lab", "1")
        self.assertEqual(self.read_out("README.md"), "# calc\n")


class TestCommandLine(HandoutCase):
    def test_unknown_lab(self):
        r = self.handout("--lab", "9", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no folder for lab 9", r.stderr)

    def test_bad_lab_number(self):
        r = self.handout("--lab", "x", ok=False)
        self.assertEqual(r.returncode, 2)

    def test_refuses_non_empty_folder(self):
        os.makedirs(self.out)
        with open(os.path.join(self.out, "keep.txt"), "w") as f:
            f.write("mine\n")
        r = self.handout(ok=False)
        self.assertIn("not empty", r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.out, "keep.txt")))

    def test_refuses_the_repository(self):
        r = hf.run_tool("handout.py", "--root", self.repo.root,
                        "--out", self.repo.path("labs"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not under dist/", r.stderr)

    def test_default_and_rewrite_under_dist(self):
        for _ in range(2):
            r = hf.run_tool("handout.py", "--root", self.repo.root)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(self.repo.path(
            "dist/handout/labs/01-calc/src/calc.c")))
        r = hf.run_tool("handout.py", "--root", self.repo.root, "--lab", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(self.repo.path(
            "dist/handout-lab-01/labs/01-calc/src/calc.c")))
        # dist/ itself is never part of a handout.
        self.assertFalse(os.path.exists(self.repo.path(
            "dist/handout/dist")))


if __name__ == "__main__":
    unittest.main()

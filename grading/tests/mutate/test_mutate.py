"""Tests of grading/mutants.py and grading/mutate.py (grading/README.md,
"Mutation testing").

The mutant generator is checked on small C snippets: each operator makes
exactly the changes it should and nothing in comments, strings or
preprocessor lines. The tool is run on a throwaway repository holding one
tiny lab: a C function per exercise, a unit-test runner that speaks
Check's CK_RUN_SUITE, and a "VMM" whose guest tests run on the host runner
(VMMLAB_KVM_DEV=/dev/null stands in for a usable KVM). What survives, what
a guest test kills in a later round, what does not compile, and what the
equivalent list sets apart are all known in advance.

    python3 -m unittest discover -s grading/tests/mutate
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GRADING = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, GRADING)

import mutants  # noqa: E402
import mutate   # noqa: E402


def dedent(s):
    return textwrap.dedent(s).lstrip("\n")


def keys(src, op=None):
    """The keys of the mutants of src's body between /*{*/ and /*}*/."""
    lo = src.index("/*{*/") + 5
    hi = src.index("/*}*/")
    return [m.key for m in mutants.generate(src, lo, hi)
            if op is None or m.op == op]


class TestGenerate(unittest.TestCase):
    def test_comparisons_flip_both_ways(self):
        src = "int f(int a, int b)\n{\n/*{*/\n\treturn a < b;\n/*}*/\n}\n"
        self.assertEqual(keys(src, "cmp"), [
            "f(): return a < b; => return a <= b;",
            "f(): return a < b; => return a >= b;"])

    def test_every_operator_class(self):
        src = dedent("""
            int g(int a, int b)
            {
            /*{*/
            \tif (a && !b)
            \t\ta += b - 2;
            \th(a, b);
            \treturn a << 1;
            /*}*/
            }
            """)
        got = keys(src)
        want = [
            "g(): if (a && !b) => if (!(a && !b))",
            "g(): if (a && !b) => if (a || !b)",
            "g(): if (a && !b) => if (a && b)",
            "g(): a += b - 2; => a -= b - 2;",
            "g(): a += b - 2; => a += b + 2;",
            "g(): a += b - 2; => a += 2 - b;",
            "g(): a += b - 2; => a += b - 3;",
            "g(): a += b - 2; => a += b - 1;",
            "g(): h(a, b); => h(b, a);",
            "g(): return a << 1; => return a >> 1;",
            "g(): return a << 1; => return 1 << a;",
            "g(): return a << 1; => return a << 2;",
            "g(): return a << 1; => return a << 0;",
            "g(): a += b - 2; => {}",
            "g(): h(a, b); => (nothing)",
            "g(): return a << 1; => (nothing)",
        ]
        self.assertEqual(got, want)

    def test_comments_strings_and_preprocessor_untouched(self):
        src = dedent("""
            void k(void)
            {
            /*{*/
            \t/* a < b && 1 */
            #define X (1 + 2)
            \tputs("a < b + 1"); // c > 3
            /*}*/
            }
            """)
        self.assertEqual(keys(src), ['k(): puts("a < b + 1"); // c > 3 => // c > 3'])

    def test_only_inside_the_region(self):
        src = "int a = 1 + 2;\n/*{*/\nint b = 3;\n/*}*/\nint c = 4 - 5;\n"
        self.assertEqual(keys(src), ["int b = 3; => int b = 4;",
                                     "int b = 3; => int b = 2;"])

    def test_declarations_pointers_and_casts(self):
        # Neither "struct s *p" nor "(uint8_t *)q" is a multiplication, and
        # a declaration is not a statement to drop; a hex constant stays hex.
        src = dedent("""
            void m(struct s *p, char *q)
            {
            /*{*/
            \tstruct s *r = p;
            \tuint8_t *u = (uint8_t *)q;
            \tr->x = 0xFF;
            /*}*/
            }
            """)
        self.assertEqual(keys(src), [
            "m(): r->x = 0xFF; => r->x = 0x100;",
            "m(): r->x = 0xFF; => r->x = 0xFE;",
            "m(): r->x = 0xFF; => (nothing)"])

    def test_body_of_a_control_statement_becomes_empty_block(self):
        src = "void n(int a)\n{\n/*{*/\n\tif (a)\n\t\tz();\n/*}*/\n}\n"
        self.assertIn("n(): z(); => {}", keys(src, "drop"))

    def test_same_change_twice_is_numbered(self):
        src = "int p(int a)\n{\n/*{*/\n\tq(a);\n\tq(a);\n/*}*/\n\treturn 0;\n}\n"
        self.assertEqual(keys(src), ["p(): q(a); => (nothing)",
                                     "p(): q(a); => (nothing) [2]"])

    def test_parameters_of_a_definition_are_not_swapped(self):
        src = "/*{*/static int r(int a, int b)\n{\n\treturn 0;\n}\n/*}*/\n"
        self.assertEqual(keys(src, "swap"), [])

    def test_sample_is_stable_and_spread(self):
        src = "int f(int a)\n{\n/*{*/\n\treturn a < 1 && a + 2 > 3 - a;\n/*}*/\n}\n"
        lo, hi = src.index("/*{*/") + 5, src.index("/*}*/")
        ms = mutants.generate(src, lo, hi)
        a = [m.key for m in mutate.sample(ms, 4)]
        b = [m.key for m in mutate.sample(mutants.generate(src, lo, hi), 4)]
        self.assertEqual(a, b)
        self.assertEqual(len({m.op for m in mutate.sample(ms, 4)}), 4)
        self.assertEqual(len(mutate.sample(ms, 0)), len(ms))


# ---------------------------------------------------------------- a throwaway lab

MAKEFILE = dedent("""
    CFLAGS ?= -O1
    override CFLAGS += -Wall -Wextra -Werror
    all: build/vmm build/unit-tests
    build/vmm: src/main.c src/calc.c src/calc.h
    \tmkdir -p build && $(CC) $(CFLAGS) -o $@ src/main.c src/calc.c
    build/unit-tests: tests/unit/main.c src/calc.c src/calc.h
    \tmkdir -p build && $(CC) $(CFLAGS) -Isrc -o $@ tests/unit/main.c src/calc.c
    """)

CALC_H = "int calc_clamp(int x, int lo, int hi);\nint calc_scale(int x);\n"

CALC_C = dedent("""
    /* calc.c - two exercises for the mutation tool's tests. */
    #include "calc.h"

    int calc_clamp(int x, int lo, int hi)
    {
    \t/* EXERCISE 1.clamp: Clamp x to [lo, hi].
    \t *
    \t * Tests: unit.clamp
    \t * Stub: return x;
    \t */
    \tif (x < lo)
    \t\treturn lo;
    \tif (x > hi)
    \t\treturn hi;
    \treturn x;
    \t/* END EXERCISE 1.clamp */
    }

    int calc_scale(int x)
    {
    \t/* EXERCISE 1.scale: Three times x, less one.
    \t *
    \t * Tests: unit.weak guest.zero guest.five
    \t * Stub: return x;
    \t */
    \treturn x * 3 - 1;
    \t/* END EXERCISE 1.scale */
    }
    """)

# The "VMM": prints calc_scale() of the number in its guest file.
MAIN_C = dedent("""
    #include <stdio.h>
    #include <stdlib.h>
    #include "calc.h"

    int main(int argc, char **argv)
    {
    \tFILE *f = argc > 1 ? fopen(argv[argc - 1], "r") : NULL;
    \tint n;

    \tif (!f || fscanf(f, "%d", &n) != 1)
    \t\treturn 2;
    \tprintf("%d\\n", calc_scale(n));
    \treturn 0;
    }
    """)

# A Check-like runner: CK_RUN_SUITE picks the suite; it prints Check's
# summary line and exits 1 on a failure. "weak" checks calc_scale(0) only.
UNIT_C = dedent("""
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "calc.h"

    static int checks, failures;

    static void expect(int got, int want, const char *what)
    {
    \tchecks++;
    \tif (got != want) {
    \t\tfailures++;
    \t\tprintf("t.c:1:F:calc:%s:0: got %d, want %d\\n", what, got, want);
    \t}
    }

    int main(void)
    {
    \tconst char *s = getenv("CK_RUN_SUITE");

    \tif (s && !strcmp(s, "clamp")) {
    \t\texpect(calc_clamp(-5, 0, 9), 0, "below");
    \t\texpect(calc_clamp(4, 0, 9), 4, "inside");
    \t\texpect(calc_clamp(12, 0, 9), 9, "above");
    \t} else if (s && !strcmp(s, "weak")) {
    \t\texpect(calc_scale(0), -1, "zero");
    \t}
    \tprintf("100%%: Checks: %d, Failures: %d, Errors: 0\\n", checks, failures);
    \treturn failures != 0;
    }
    """)

GRADE_INI = dedent("""
    [lab]
    number = 1
    title = Calc
    vmm = build/vmm
    unit = build/unit-tests

    [unit.clamp]
    points = 1

    [unit.weak]
    points = 1

    [guest.zero]
    points = 1
    guest = zero.txt
    status = 0
    transcript = calc/zero.txt

    [guest.five]
    points = 1
    guest = five.txt
    status = 0
    transcript = calc/five.txt
    """)

# x < lo and x <= lo return the same (lo when x == lo); so do > and >=.
EQUIVALENT = dedent("""
    # the equivalent mutants of the calc lab
    1.clamp src/calc.c: calc_clamp(): if (x < lo) => if (x <= lo)
    \tx == lo returns lo either way.
    1.clamp src/calc.c: calc_clamp(): if (x > hi) => if (x >= hi)
    \tx == hi returns hi either way.
    """)


class Repo:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="mutate-test-")
        lab = os.path.join(self.root, "labs", "01-calc")
        self.lab = lab
        files = {
            "labs/01-calc/Makefile": MAKEFILE,
            "labs/01-calc/src/calc.h": CALC_H,
            "labs/01-calc/src/calc.c": CALC_C,
            "labs/01-calc/src/main.c": MAIN_C,
            "labs/01-calc/tests/unit/main.c": UNIT_C,
            "labs/01-calc/tests/grade.ini": GRADE_INI,
            "guests/out/zero.txt": "0\n",
            "guests/out/five.txt": "5\n",
            "guests/calc/zero.txt": "-1\n",
            "guests/calc/five.txt": "14\n",
        }
        for rel, text in files.items():
            self.write(rel, text)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def mutate(self, *args):
        env = dict(os.environ, VMMLAB_KVM_DEV="/dev/null")
        out = os.path.join(self.root, "out.json")
        p = subprocess.run([sys.executable, os.path.join(GRADING, "mutate.py"),
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

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def outcomes(data, exercise):
    ex = [e for e in data["exercises"] if e["exercise"] == exercise][0]
    return ex, {o["key"].split(": ", 2)[2]: o["result"] for o in ex["outcomes"]}


class TestRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.repo = Repo()
        cls.status, cls.out, cls.err, cls.data = cls.repo.mutate()

    @classmethod
    def tearDownClass(cls):
        cls.repo.close()

    def test_clamp_outcomes(self):
        ex, got = outcomes(self.data, "1.clamp")
        self.assertEqual(got, {
            "if (x < lo) => if (!(x < lo))": "killed",
            "if (x < lo) => if (x <= lo)": "survived",
            "if (x < lo) => if (x >= lo)": "killed",
            "if (x > hi) => if (!(x > hi))": "killed",
            "if (x > hi) => if (x >= hi)": "survived",
            "if (x > hi) => if (x <= hi)": "killed",
            "return lo; => {}": "killed",
            "return hi; => {}": "killed",
            # no return value at the end of an int function: -Werror
            "return x; => (nothing)": "stillborn",
        })
        self.assertEqual((ex["killed"], ex["survived"], ex["stillborn"]), (6, 2, 1))
        self.assertEqual(ex["score"], 75.0)
        self.assertFalse(ex["ok"])

    def test_scale_guest_tests_kill_in_later_rounds(self):
        # unit.weak checks calc_scale(0) only; guest.zero runs the VMM on 0
        # (kills nothing more); guest.five, the next round, kills the rest.
        ex, got = outcomes(self.data, "1.scale")
        self.assertEqual(got, {
            "return x * 3 - 1; => return x / 3 - 1;": "killed",
            "return x * 3 - 1; => return x * 3 + 1;": "killed",
            "return x * 3 - 1; => return x * 1 - 3;": "killed",
            "return x * 3 - 1; => return x * 4 - 1;": "killed",
            "return x * 3 - 1; => return x * 2 - 1;": "killed",
            "return x * 3 - 1; => return x * 3 - 2;": "killed",
            "return x * 3 - 1; => return x * 3 - 0;": "killed",
            "return x * 3 - 1; => (nothing)": "stillborn",
        })
        det = {o["key"].split(": ", 2)[2]: o["detail"] for o in ex["outcomes"]}
        self.assertTrue(det["return x * 3 - 1; => return x * 4 - 1;"].startswith(
            "guest.five: transcript differs at line 1: expected '14', got '19'"))
        self.assertTrue(det["return x * 3 - 1; => return x * 3 + 1;"].startswith(
            "unit.weak: zero"))
        self.assertEqual(ex["score"], 100.0)

    def test_report_and_status(self):
        self.assertEqual(self.status, 1, self.err)
        self.assertIn("1.clamp", self.out)
        self.assertIn("75.0 %  BELOW 90 %", self.out)
        self.assertIn("survived  line 11 [cmp] calc_clamp(): if (x < lo) => if (x <= lo)",
                      self.out)
        self.assertEqual(self.out.splitlines()[-1], "1 passed, 1 failed")

    def test_lab_itself_untouched(self):
        with open(os.path.join(self.repo.lab, "src", "calc.c")) as f:
            self.assertEqual(f.read(), CALC_C)
        self.assertFalse(os.path.exists(os.path.join(self.repo.lab, "build")))


class TestStall(unittest.TestCase):
    """A mutant's guest test that failed while the lab machine stood still
    runs again, and only the second run can kill it."""

    class Machine:
        def __init__(self, answer):
            self.answer, self.batches = answer, []

        def run_jobs(self, jobs, root, opts):
            self.batches.append([j.name for j in jobs])
            return [self.answer(j) for j in jobs]

    def test_stalled_failure_runs_again(self):
        repo = Repo()
        self.addCleanup(repo.close)
        lab = mutate.grade.load_lab(repo.root, 1, repo.lab)
        five = [t for t in lab.tests if t.name == "guest.five"][0]

        def answer(job):
            if job.name.startswith("again-"):     # the second run: a pass
                return mutate.grade.JobResult(job.name, 0, None, b"14\n", b"")
            return mutate.grade.JobResult(job.name, 0, None, b"13\n", b"",
                                          stall=1.5)
        machine = self.Machine(answer)
        choice = mutate.grade.Choice("qemu", "test", False, "", "", qemu=machine)
        run = mutate.LabRun(repo.root, lab, None)

        class Outcome:
            vmm = os.path.join(repo.lab, "build", "vmm")
        o = Outcome()
        got = run.run_batch([(o, five), (None, five)], choice, o.vmm)
        self.assertEqual(machine.batches, [
            ["%d/guest.five" % id(o), "None/guest.five"],
            ["again-0/%d/guest.five" % id(o), "again-1/None/guest.five"]])
        self.assertEqual(got[(id(o), "guest.five")], ("qemu", ""))
        self.assertEqual(got[(None, "guest.five")], ("qemu", ""))


class TestEquivalent(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        self.repo.close()

    def test_listed_mutants_set_apart(self):
        self.repo.write("labs/01-calc/tests/equivalent-mutants", EQUIVALENT)
        status, out, err, data = self.repo.mutate("--exercise", "clamp")
        self.assertEqual(status, 0, out + err)
        ex, got = outcomes(data, "1.clamp")
        self.assertEqual(got["if (x < lo) => if (x <= lo)"], "equivalent")
        self.assertEqual((ex["killed"], ex["survived"], ex["equivalent"]), (6, 0, 2))
        self.assertEqual(out.splitlines()[-1], "1 passed, 0 failed")

    def test_stale_entry_refused(self):
        self.repo.write("labs/01-calc/tests/equivalent-mutants",
                        EQUIVALENT.replace("x <= lo", "x <= lo + 1"))
        status, out, err, _ = self.repo.mutate("--list")
        self.assertEqual(status, 2)
        self.assertIn("equivalent-mutants:2: 1.clamp has no such mutant", err)

    def test_entry_without_reason_refused(self):
        self.repo.write("labs/01-calc/tests/equivalent-mutants",
                        "1.clamp src/calc.c: calc_clamp(): if (x < lo) => if (x <= lo)\n")
        status, out, err, _ = self.repo.mutate("--list")
        self.assertEqual(status, 2)
        self.assertIn("equivalent-mutants:1: no reason given", err)


class TestRefusals(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        self.repo.close()

    def test_failing_reference(self):
        self.repo.write("guests/calc/five.txt", "15\n")
        status, out, err, _ = self.repo.mutate("--exercise", "scale")
        self.assertEqual(status, 2)
        self.assertIn("the reference fails guest.five: transcript differs", err)

    def test_unknown_test_in_region(self):
        self.repo.write("labs/01-calc/src/calc.c",
                        CALC_C.replace("Tests: unit.clamp", "Tests: unit.nope"))
        status, out, err, _ = self.repo.mutate("--list")
        self.assertEqual(status, 2)
        self.assertIn("Tests: names unit.nope, not in tests/grade.ini", err)

    def test_unknown_exercise(self):
        status, out, err, _ = self.repo.mutate("--exercise", "frob", "--list")
        self.assertEqual(status, 2)
        self.assertIn("has no exercise frob", err)

    def test_list(self):
        status, out, err, _ = self.repo.mutate("--list")
        self.assertEqual(status, 0, err)
        self.assertEqual(len(out.splitlines()), 17)
        self.assertIn("1.scale src/calc.c:26 [swap] calc_scale(): "
                      "return x * 3 - 1; => return x * 1 - 3;", out)


class TestSeedTree(unittest.TestCase):
    """A new scratch tree starts from the lab as built: make then rebuilds
    only what depends on the file a mutant changes (make -W), not the
    whole lab, and the sanitizer, fuzzing and coverage builds stay out."""

    MAKEFILE = dedent("""
        build/prog: build/a.o build/b.o
        \t$(CC) -o $@ build/a.o build/b.o
        build/%.o: src/%.c
        \tmkdir -p build && $(CC) -c -o $@ $<
        """)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="seed-test-")
        self.lab = os.path.join(self.tmp, "lab")
        files = {"Makefile": self.MAKEFILE,
                 "src/a.c": "int a(void) { return 1; }\n",
                 "src/b.c": "int a(void);\nint main(void) { return a(); }\n",
                 "build/san/big": "x", "build/fuzz/big": "x"}
        for rel, text in files.items():
            path = os.path.join(self.lab, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        subprocess.run(["make", "-s", "-C", self.lab, "build/prog"], check=True)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plan(self, tree, *what_if):
        """The commands make would run in tree, as a list of lines."""
        argv = ["make", "-n", "-C", tree] + \
            [x for w in what_if for x in ("-W", w)] + ["build/prog"]
        return subprocess.run(argv, capture_output=True, text=True,
                              check=True).stdout

    def test_only_the_changed_file_is_built_again(self):
        tree = os.path.join(self.tmp, "scratch", "w0")
        mutate.seed_tree(self.lab, tree)
        mutate.sync_tree(self.lab, tree)
        self.assertNotIn("cc", self.plan(tree).split())
        plan = self.plan(tree, "src/a.c")
        self.assertIn("src/a.c", plan)
        self.assertNotIn("src/b.c", plan)
        self.assertFalse(os.path.exists(os.path.join(tree, "build", "san")))
        self.assertFalse(os.path.exists(os.path.join(tree, "build", "fuzz")))

    def test_an_unbuilt_lab_is_built_whole(self):
        shutil.rmtree(os.path.join(self.lab, "build"))
        tree = os.path.join(self.tmp, "scratch", "w0")
        mutate.seed_tree(self.lab, tree)
        plan = self.plan(tree)
        self.assertIn("src/a.c", plan)
        self.assertIn("src/b.c", plan)


if __name__ == "__main__":
    unittest.main()

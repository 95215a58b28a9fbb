"""Tests of grading/fuzz.py (grading/README.md, "Fuzzing").

The seed format is checked token by token; then fuzz.py runs on a
throwaway repository with one lab whose only target reads a byte array
past its end when the input is "BUG!" (known by a hash, so that no fuzzer
finds it in a few seconds): clean with harmless seeds,
and failing, with the sanitizer's line and the saved input, when a seed
is that input. It needs clang with libFuzzer; without it the tests skip.

    python3 -m unittest discover -s grading/tests/fuzz
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

import fuzz  # noqa: E402


def dedent(s):
    return textwrap.dedent(s).lstrip("\n")


class TestSeeds(unittest.TestCase):
    def test_tokens(self):
        p = fuzz.parse_seed_line
        self.assertEqual(p('0a 0B"x\\0\\n\\x41\\\\\\""', "t"), b"\x0a\x0bx\x00\nA\\\"")
        self.assertEqual(p("u8:0x1ff u16:258 u32:1 u64:-1", "t"),
                         b"\xff\x02\x01\x01\x00\x00\x00" + b"\xff" * 8)
        self.assertEqual(p("zero:3 c0ffee", "t"), b"\0\0\0\xc0\xff\xee")

    def test_errors(self):
        for bad, why in (("abc", "bad token"), ('"open', "unterminated"),
                         ("u8:zz", "bad number"), ('"\\q"', "unknown escape")):
            with self.assertRaises(fuzz.Fail) as e:
                fuzz.parse_seed_line(bad, "f.txt:3")
            self.assertIn("f.txt:3: " + why, str(e.exception))


MAKEFILE = dedent("""
    fuzz:
    \tmkdir -p build/fuzz
    \tclang -g -O1 -fsanitize=fuzzer,address -o build/fuzz/fuzz-toy tests/fuzz/fuzz_toy.c
    fuzz-cov:
    \tmkdir -p build/fuzzcov
    \tclang -g -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \\
    \t\t-o build/fuzzcov/fuzz-toy tests/fuzz/fuzz_toy.c
    """)

TOY = dedent("""
    /*
     * Covers: tests/fuzz/fuzz_toy.c
     */
    #include <stddef.h>
    #include <stdint.h>
    #include <string.h>

    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
    {
    \tchar small[4] = "ok";
    \tvolatile char c = 0;
    \tuint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a: no fuzzer guesses it */
    \tsize_t i;

    \tfor (i = 0; i < size; i++)
    \t\th = (h ^ data[i]) * 0x100000001b3ULL;
    \tif (h == 0x14ab02a746fb813cULL)	/* "BUG!" */
    \t\tc = small[size + 8];	/* past its end */
    \treturn c;
    }
    """)

GRADE_INI = "[lab]\nnumber = 1\ntitle = toy\nunit = build/unit-tests\n\n[unit.x]\nlab = 1\npoints = 1\n"


@unittest.skipUnless(shutil.which("clang"), "needs clang with libFuzzer")
class TestRun(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="fuzz-test-")
        lab = os.path.join(self.root, "labs", "01-toy")
        for rel, text in (("Makefile", MAKEFILE), ("tests/fuzz/fuzz_toy.c", TOY),
                          ("tests/grade.ini", GRADE_INI),
                          ("tests/fuzz/seeds/toy.txt", '# harmless\n"ok"\nu32:7\n')):
            os.makedirs(os.path.dirname(os.path.join(lab, rel)), exist_ok=True)
            with open(os.path.join(lab, rel), "w") as f:
                f.write(text)
        self.lab = lab

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_fuzz(self, *args):
        out = os.path.join(self.root, "r.json")
        p = subprocess.run([sys.executable, os.path.join(GRADING, "fuzz.py"),
                            "--root", self.root, "--lab", "1", "--json", out] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=300)
        data = None
        if os.path.isfile(out):
            with open(out) as f:
                data = json.load(f)["targets"][0]
        return p, data

    def test_clean_with_coverage(self):
        p, t = self.run_fuzz("--time", "2", "--coverage")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(t["result"], "clean")
        self.assertEqual(t["seeds"], 2)
        self.assertGreater(t["executions"], 1000)
        got, total = t["coverage"]["tests/fuzz/fuzz_toy.c"]
        self.assertTrue(0 < got <= total, t["coverage"])
        self.assertEqual(p.stdout.splitlines()[-1], "1 passed, 0 failed")
        seeds = os.path.join(self.lab, "build", "fuzz", "seeds", "toy")
        self.assertEqual(sorted(open(os.path.join(seeds, f), "rb").read()
                                for f in os.listdir(seeds)), [b"\x07\0\0\0", b"ok"])

    def test_cpu_budget_interrupts_and_keeps_the_figures(self):
        # libFuzzer has no CPU-time limit of its own: without the
        # interrupt this run would not stop before the wall-clock guard.
        p, t = self.run_fuzz("--cpu", "2")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(t["result"], "clean")
        self.assertGreaterEqual(t["cpu_seconds"], 2)
        self.assertLess(t["cpu_seconds"], 5)
        self.assertGreater(t["executions"], 1000)
        self.assertIn("2 s of CPU time", p.stderr)

    def test_changed_only_repeats_nothing_the_lab_before_fuzzed(self):
        # Lab 02 is lab 01 again: its target only runs its regression
        # set. A lab 03 whose covered file differs is fuzzed.
        for n in ("02", "03"):
            shutil.copytree(self.lab, os.path.join(self.root, "labs", n + "-toy"),
                            ignore=shutil.ignore_patterns("build"))
            with open(os.path.join(self.root, "labs", n + "-toy", "tests/grade.ini"),
                      "w") as f:
                f.write(GRADE_INI.replace("number = 1", "number = %d" % int(n)))
        with open(os.path.join(self.root, "labs/03-toy/tests/fuzz/fuzz_toy.c"), "a") as f:
            f.write("/* changed */\n")
        out = os.path.join(self.root, "all.json")
        p = subprocess.run([sys.executable, os.path.join(GRADING, "fuzz.py"),
                            "--root", self.root, "--all", "--time", "1",
                            "--changed-only", "--json", out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(out) as f:
            got = {t["target"]: t for t in json.load(f)["targets"]}
        self.assertEqual(got["01-toy/toy"]["same_as"], None)
        self.assertEqual(got["02-toy/toy"]["same_as"], "01-toy")
        self.assertEqual(got["03-toy/toy"]["same_as"], None)
        self.assertGreater(got["01-toy/toy"]["executions"], 1000)
        self.assertGreater(got["03-toy/toy"]["executions"], 1000)
        # The regression set: the two seeds, and nothing fuzzed.
        self.assertLess(got["02-toy/toy"]["executions"], 10)
        self.assertIn("regression set only: the same as 01-toy's", p.stdout)

    def test_crashing_seed_fails_the_regression_run(self):
        with open(os.path.join(self.lab, "tests/fuzz/seeds/toy.txt"), "a") as f:
            f.write('"BUG!"\n')
        p, t = self.run_fuzz("--time", "0")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(t["result"], "FAIL")
        self.assertRegex(t["detail"], r"ERROR: AddressSanitizer: \S+-buffer-overflow")
        self.assertIn("input: labs/01-toy/build/fuzz/crashes/toy-crash-", t["detail"])
        self.assertEqual(p.stdout.splitlines()[-1], "0 passed, 1 failed")

    def test_bad_seed_file(self):
        with open(os.path.join(self.lab, "tests/fuzz/seeds/toy.txt"), "a") as f:
            f.write("xyz\n")
        p, t = self.run_fuzz("--time", "0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("labs/01-toy/tests/fuzz/seeds/toy.txt:4: bad token", p.stderr)


if __name__ == "__main__":
    unittest.main()

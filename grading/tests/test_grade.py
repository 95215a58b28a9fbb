"""Tests of the autograder itself (grading/grade.py and grading/runners/host.py).

Each test builds a throwaway repository (fakes.py: a grade.ini, a fake VMM
that runs little command-file "guests", a fake Check runner) and runs
grade.py on it as a student would, then checks the report, the exit status
and results.json against grading/README.md. The expected reasons are the
formats that README promises, not text copied from a run.

Run: python3 -m unittest discover -s grading/tests
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GRADE = os.path.join(REPO, "grading", "grade.py")
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)

import fakes                       # noqa: E402
from grading import grade          # noqa: E402
from grading.runners import where  # noqa: E402

LAB_HEAD = """
[lab]
number = 1
title = fake lab
vmm = build/vmm                ; relative to the lab folder
unit = build/unit-tests
"""

HELLO = "args --mem 16M\nout Hello\nout World\nexit 0\n"
HELLO_TXT = "Hello\nWorld\n"


class Run:
    """One finished run of grade.py."""

    def __init__(self, proc, seconds, json_path):
        self.status = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.seconds = seconds
        self.lines = self.out.splitlines()
        self.json_path = json_path
        self.json = None
        if os.path.exists(json_path):
            with open(json_path) as f:
                self.json = json.load(f)

    def row(self, name):
        """(points, result, reason) of a table row."""
        for line in self.lines:
            m = re.match(r"^  (\S+)\s+(\S+)\s+(PASS|FAIL|SKIP)(?:\s+(.*))?$", line)
            if m and m.group(1) == name:
                return m.group(2), m.group(3), m.group(4) or ""
        raise AssertionError("no row for %s in:\n%s" % (name, self.out))

    def test(self, name):
        for t in self.json["tests"]:
            if t["name"] == name:
                return t
        raise AssertionError("no %s in results.json" % name)


class GraderCase(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="vmmlab-grade-test-")
        self.pidfiles = []

    def tearDown(self):
        # Whatever the outcome, leave nothing running.
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def pidfile(self, name):
        path = os.path.join(self.root, name + ".pid")
        self.pidfiles.append(path)
        return path

    def pids(self):
        pids = []
        for path in self.pidfiles:
            try:
                with open(path) as f:
                    pids.append(int(f.read()))
            except (OSError, ValueError):
                pass
        return pids

    def grade(self, *args, env=None, bound=30):
        """Run grade.py on the throwaway repository; insist it ends within
        bound seconds and leaves no process of ours running."""
        e = dict(os.environ)
        # What a surrounding make check sets is not this test's.
        for k in ("RUNNER", "TIMES", "VMMLAB_CHECK_START", "VMMLAB_GRADED"):
            e.pop(k, None)
        e["VMMLAB_KVM_DEV"] = "/dev/null"   # opens read-write anywhere
        e.update(env or {})
        json_path = os.path.join(self.root, "grading", "out", "results.json")
        start = time.monotonic()
        proc = subprocess.run([sys.executable, GRADE, "--root", self.root] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=e, timeout=bound + 60)
        seconds = time.monotonic() - start
        self.assertLess(seconds, bound, "the grader took %.1fs" % seconds)
        self.assertEqual(self.stray(), [], "processes left running")
        return Run(proc, seconds, json_path)

    def stray(self):
        """Live processes started from the throwaway repository."""
        left = []
        for pid in self.pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if state not in ("Z", "X"):
                left.append(pid)
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if self.root.encode() in cmd:
                left.append(int(name))
        return left

    def closing(self, run):
        return run.lines[-1]


class TestScoring(GraderCase):
    def full_lab(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 3
            timeout = 10
            what = a suite that passes

            [guest.hello]
            points = 2
            timeout = 10
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            what = prints two lines

            [guest.exit-code]
            points = 1.5
            timeout = 10
            guest = exit.bin
            status = 15
            stderr = ^vm: guest wrote \\d+ to the exit device$

            [guest.quiet]
            points = 1
            timeout = 10
            guest = quiet.bin
            status = 0
            transcript = quiet/expected.txt

            [guest.thread]
            points = 1
            timeout = 10
            guest = thread.bin
            status = 0
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        fakes.make_guest(self.root, "exit", "err vm: guest wrote 7 to the exit device\nexit 15\n")
        fakes.make_guest(self.root, "quiet", "stdin\nexit 0\n", "")
        # A thread still running when the process exits dies with it.
        fakes.make_guest(self.root, "thread", "thread\nexit 0\n")

    def test_correct_vmm_gets_full_marks(self):
        self.full_lab()
        run = self.grade("--lab", "1", "--runner", "host",
                         env={"CK_RUN_CASE": "only-this-one"})
        self.assertEqual(run.status, 0, run.out + run.err)
        for name in ("unit.good", "guest.hello", "guest.exit-code",
                     "guest.quiet", "guest.thread"):
            self.assertEqual(run.row(name)[1:], ("PASS", ""), name)
        self.assertEqual(run.row("guest.exit-code")[0], "1.5/1.5")
        self.assertIn("Score: 8.5/8.5", run.lines)
        self.assertEqual(self.closing(run), "5 passed, 0 failed")
        self.assertNotIn("SKIP", run.out)
        self.assertIn("runner: host (--runner host; software KVM)", run.lines)

        j = run.json
        self.assertEqual(j["score"], 8.5)
        self.assertEqual([t["name"] for t in j["tests"]],
                         ["unit.good", "guest.hello", "guest.exit-code",
                          "guest.quiet", "guest.thread"])
        t = run.test("guest.hello")
        self.assertEqual((t["score"], t["max_score"], t["status"]), (2, 2, "passed"))
        seconds = t["extra_data"].pop("seconds")
        self.assertEqual(t["extra_data"], {"result": "passed", "lab": 1,
                                           "what": "prints two lines"})
        self.assertTrue(0 < seconds < run.seconds, seconds)
        self.assertIn("Score: 8.5/8.5", j["output"])

    def test_json_path_option(self):
        self.full_lab()
        path = os.path.join(self.root, "elsewhere", "deep", "r.json")
        run = self.grade("--lab", "01", "--runner", "host", "--json", path)
        self.assertEqual(run.status, 0)
        with open(path) as f:
            self.assertEqual(json.load(f)["score"], 8.5)
        self.assertIsNone(run.json)   # the default path was not written

    def test_each_failure_costs_only_its_points(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 3
            [unit.bad]
            points = 2
            [unit.missing]
            points = 1
            [unit.crash]
            points = 1

            [guest.hello]
            points = 2
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt

            [guest.segv]
            points = 2
            guest = segv.bin
            status = 0

            [guest.hang]
            points = 3
            timeout = 2
            guest = hang.bin
            status = 0

            [guest.flood]
            points = 2
            guest = flood.bin
            status = 0

            [guest.fork]
            points = 2
            guest = fork.bin
            status = 0

            [guest.fork-pgrp]
            points = 2
            guest = fork-pgrp.bin
            status = 0

            [guest.daemon]
            points = 2
            guest = daemon.bin
            status = 0

            [guest.status]
            points = 2
            guest = status.bin
            status = 1

            [guest.differs]
            points = 2
            guest = differs.bin
            status = 0
            transcript = hello/expected.txt

            [guest.short]
            points = 2
            guest = short.bin
            status = 0
            transcript = hello/expected.txt

            [guest.long]
            points = 2
            guest = long.bin
            status = 0
            transcript = hello/expected.txt

            [guest.no-newline]
            points = 2
            guest = nonl.bin
            status = 0
            transcript = hello/expected.txt

            [guest.stderr]
            points = 1
            guest = hello.bin
            args = --mem 16M
            status = 0
            stderr = ^panic

            [guest.hello-again]
            points = 4
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        fakes.make_guest(self.root, "segv", "out a\nsegv\n")
        fakes.make_guest(self.root, "hang", "out started\nhang\n")
        fakes.make_guest(self.root, "flood", "flood\n")
        fakes.make_guest(self.root, "fork", "fork %s\nexit 0\n" % self.pidfile("fork"))
        fakes.make_guest(self.root, "fork-pgrp", "fork-pgrp %s\nexit 0\n" % self.pidfile("pgrp"))
        fakes.make_guest(self.root, "daemon", "daemon %s\nexit 0\n" % self.pidfile("daemon"))
        fakes.make_guest(self.root, "status", "err vm: triple fault\nexit 4\n")
        fakes.make_guest(self.root, "differs", "out Hello\nout Wrld\n")
        fakes.make_guest(self.root, "short", "out Hello\n")
        fakes.make_guest(self.root, "long", "out Hello\nout World\nout again\n")
        fakes.make_guest(self.root, "nonl", "out Hello\noutn World\n")

        run = self.grade("--lab", "1", "--runner", "host", bound=2 * 3 + 10)
        self.assertEqual(run.status, 1, run.out + run.err)
        want = {
            "unit.good": ("3/3", "PASS", ""),
            "unit.bad": ("0/2", "FAIL", "test_sum (test_sum.c:42): Assertion "
                         "'sum(1, 1) == 3' failed: sum(1, 1) == 2, 3 == 3"),
            "unit.missing": ("0/1", "FAIL", "suite 'missing' ran no tests (is it in the runner?)"),
            "unit.crash": ("0/1", "FAIL", "crashed: SIGSEGV"),
            "guest.hello": ("2/2", "PASS", ""),
            "guest.segv": ("0/2", "FAIL", "crashed: SIGSEGV"),
            "guest.hang": ("0/3", "FAIL", "timed out after 2s"),
            "guest.flood": ("0/2", "FAIL", "floods output (more than 256 KiB)"),
            "guest.fork": ("0/2", "FAIL", "left 1 process behind"),
            "guest.fork-pgrp": ("0/2", "FAIL", "left 1 process behind"),
            "guest.daemon": ("0/2", "FAIL", "left 1 process behind"),
            "guest.status": ("0/2", "FAIL", "exit status 4, expected 1 (stderr: vm: triple fault)"),
            "guest.differs": ("0/2", "FAIL", "transcript differs at line 2: "
                              "expected 'World', got 'Wrld'"),
            "guest.short": ("0/2", "FAIL", "transcript differs at line 2: "
                            "missing line (expected 'World')"),
            "guest.long": ("0/2", "FAIL", "transcript differs at line 3: extra line 'again'"),
            "guest.no-newline": ("0/2", "FAIL", "transcript differs at line 2: "
                                 "expected 'World\\n', got 'World'"),
            "guest.stderr": ("0/1", "FAIL", "stderr does not match /^panic/"),
            "guest.hello-again": ("4/4", "PASS", ""),
        }
        for name, row in want.items():
            self.assertEqual(run.row(name), row, name)
        self.assertIn("Score: 9/37", run.lines)
        self.assertEqual(self.closing(run), "3 passed, 15 failed")
        self.assertEqual(len(self.pids()), 3)   # the leftovers did start

        j = run.json
        self.assertEqual(j["score"], 9)
        self.assertEqual(len(j["tests"]), len(want))
        for t in j["tests"]:
            pts, result, reason = want[t["name"]]
            self.assertEqual(t["output"], reason)
            self.assertEqual(t["status"], "passed" if result == "PASS" else "failed")
            self.assertEqual(t["extra_data"]["result"], t["status"])
            self.assertEqual("%g/%g" % (t["score"], t["max_score"]), pts)

    def test_build_option(self):
        # make SAN=1 builds into build/san: --build build/san grades that.
        self.full_lab()
        lab = os.path.join(self.root, "labs", "01-fake")
        os.rename(os.path.join(lab, "build"), os.path.join(lab, "san"))
        os.mkdir(os.path.join(lab, "build"))
        os.rename(os.path.join(lab, "san"), os.path.join(lab, "build", "san"))
        run = self.grade("--lab", "1", "--runner", "host", "--build", "build/san")
        self.assertEqual(run.status, 0, run.out + run.err)
        self.assertIn("Score: 8.5/8.5", run.lines)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.hello")[2], "VMM labs/01-fake/build/vmm "
                         "not built (make -C labs/01-fake)")

    def test_build_option_needs_paths_under_build(self):
        fakes.make_lab(self.root, "01-fake", """
            [lab]
            number = 1
            vmm = bin/vmm
            [guest.x]
            points = 1
            guest = x.bin
            status = 0
            """)
        run = self.grade("--lab", "1", "--build", "build/san")
        self.assertEqual(run.status, 2)
        self.assertIn("--build build/san: 'bin/vmm' is not under build/", run.err)

    def test_not_built(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 1
            [guest.hello]
            points = 2
            guest = hello.bin
            status = 0
            [guest.unbuilt-guest]
            points = 2
            guest = nowhere.bin
            status = 0
            """, vmm=False, unit=False)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.status, 1)
        self.assertEqual(run.row("unit.good"), ("0/1", "FAIL", "unit-test runner "
                         "labs/01-fake/build/unit-tests not built (make -C labs/01-fake)"))
        self.assertEqual(run.row("guest.hello"), ("0/2", "FAIL", "VMM "
                         "labs/01-fake/build/vmm not built (make -C labs/01-fake)"))
        self.assertEqual(self.closing(run), "0 passed, 3 failed")
        # Above the closing line, every failure again, so that a log cut
        # to its tail (CI's) still says which tests failed and why.
        self.assertEqual(run.lines[-5:-1], [
            "Failed:",
            "  lab 01 unit.good: unit-test runner labs/01-fake/build/unit-tests"
            " not built (make -C labs/01-fake)",
            "  lab 01 guest.hello: VMM labs/01-fake/build/vmm not built (make -C labs/01-fake)",
            "  lab 01 guest.unbuilt-guest: VMM labs/01-fake/build/vmm not built"
            " (make -C labs/01-fake)"])

    def test_timeout_scale(self):
        """--timeout-scale X stretches every limit (a slow sanitizer build is
        not a hang) and hands Check the same multiplier."""
        lab = fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 1
            timeout = 4
            [guest.slow]
            points = 2
            timeout = 1
            guest = slow.bin
            status = 0
            """)
        fakes.make_guest(self.root, "slow", "sleep 1.5\nout slow\n", None)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.slow"), ("0/2", "FAIL", "timed out after 1s"))
        run = self.grade("--lab", "1", "--runner", "host", "--timeout-scale", "3")
        self.assertEqual(run.row("guest.slow"), ("2/2", "PASS", ""))
        self.assertEqual(self.closing(run), "2 passed, 0 failed")
        loaded = grade.load_lab(self.root, 1, lab)
        unit = loaded.tests[0]
        self.assertNotIn("CK_TIMEOUT_MULTIPLIER", grade.make_job(unit, loaded).env)
        unit.timeout_scale = 3.0
        self.assertEqual(grade.make_job(unit, loaded).env["CK_TIMEOUT_MULTIPLIER"], "3")
        run = self.grade("--lab", "1", "--runner", "host", "--timeout-scale", "0.5")
        self.assertEqual(run.status, 2)

    def test_vmm_that_cannot_run(self):
        lab = fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [guest.hello]
            points = 2
            guest = hello.bin
            status = 0
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        os.chmod(os.path.join(lab, "build", "vmm"), 0o644)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.hello"), ("0/2", "FAIL", "could not run "
                         "labs/01-fake/build/vmm: Permission denied"))


class TestCli(GraderCase):
    def test_cli_tests(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [cli.missing-guest]
            points = 1
            guest = no-such-guest.bin
            status = 2
            stderr = \\Afake vmm: no guest\\n\\Z
            [cli.no-guest]
            points = 2
            args = --mem 1M
            status = 0
            [cli.wants-kvm]
            points = 3
            guest = hello.bin
            args = --mem 16M
            status = 0
            needs = kvm
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        # This fake VMM checks its command line only.
        vmm = os.path.join(self.root, "labs", "01-fake", "build", "vmm")
        fakes.write(vmm, "#!/bin/sh\n"
                    "case \"$*\" in\n"
                    "'--mem 1M') exit 0 ;;\n"
                    "'--mem 16M guests/out/hello.bin') exit 0 ;;\n"
                    "*) test -f \"$1\" || { echo 'fake vmm: no guest' >&2; exit 2; } ;;\n"
                    "esac\n", 0o755)
        run = self.grade("--lab", "1", env={"VMMLAB_KVM_DEV": "/nonexistent",
                                            "RUNNER": "host"})
        self.assertEqual(run.row("cli.missing-guest"), ("1/1", "PASS", ""))
        self.assertEqual(run.row("cli.no-guest"), ("2/2", "PASS", ""))
        self.assertEqual(run.row("cli.wants-kvm")[1], "SKIP")
        self.assertEqual(self.closing(run), "2 passed, 0 failed, 1 skipped")
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(self.closing(run), "3 passed, 0 failed")

    def test_driver_runs_the_vmm(self):
        # `driver` names a program of the repository that runs the VMM:
        # its words come first, then the VMM and its command line.
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [guest.driven]
            points = 1
            driver = guests/drive --tag 'a b'
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = driven.txt
            [guest.not-built]
            points = 1
            driver = guests/none
            guest = hello.bin
            status = 0
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        fakes.write(os.path.join(self.root, "guests", "drive"),
                    "#!/bin/sh\necho \"driver: $1 [$2]\"; shift 2; exec \"$@\"\n",
                    0o755)
        fakes.write(os.path.join(self.root, "guests", "driven.txt"),
                    "driver: --tag [a b]\n" + HELLO_TXT)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.driven"), ("1/1", "PASS", ""))
        self.assertEqual(run.row("guest.not-built")[1], "FAIL")
        self.assertIn("driver guests/none not built", run.row("guest.not-built")[2])

    def test_linux_need(self):
        # needs = linux: lab 04's Linux guest, built by guests/linux/build
        # before anything runs; a test is skipped when it cannot be. Its
        # args name what runs: it needs no `guest`.
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [guest.linux]
            points = 1
            args = --mem 16M guests/out/hello.bin
            status = 0
            needs = kvm linux
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.linux")[1], "SKIP")
        self.assertIn("no Linux guest: guests/linux/build is not here",
                      run.row("guest.linux")[2])
        build = os.path.join(self.root, "guests", "linux", "build")
        fakes.write(build, "import os\n"
                    "os.makedirs('build/linux', exist_ok=True)\n"
                    "for f in ('bzImage', 'initramfs.cpio'):\n"
                    "    open('build/linux/' + f, 'w').close()\n", 0o755)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.linux"), ("1/1", "PASS", ""))


class TestSkip(GraderCase):
    def lab(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 3
            [guest.hello]
            points = 2
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            [guest.linux]
            points = 5
            guest = hello.bin
            args = --mem 16M
            status = 0
            needs = fast-kvm
            [guest.bad-option]
            points = 1
            guest = hello.bin
            args = --bogus
            status = 2
            needs = none
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)

    def test_no_kvm_skips_guest_tests(self):
        self.lab()
        run = self.grade("--lab", "1", env={"VMMLAB_KVM_DEV": "/nonexistent",
                                            "RUNNER": "host"})
        self.assertEqual(run.status, 0, run.out + run.err)
        why = "skipped: /nonexistent not usable (No such file or directory)"
        self.assertEqual(run.row("unit.good"), ("3/3", "PASS", ""))
        self.assertEqual(run.row("guest.hello"), ("0/2", "SKIP", why))
        self.assertEqual(run.row("guest.linux"), ("0/5", "SKIP", why))
        # needs = none: runs without KVM.
        self.assertEqual(run.row("guest.bad-option"), ("1/1", "PASS", ""))
        self.assertEqual(self.closing(run), "2 passed, 0 failed, 2 skipped")
        self.assertIn("Score: 4/11 (2 skipped tests worth 7 points did not run "
                      "and earned nothing)", run.lines)
        self.assertIn("*** 2 tests did NOT run and earned no points.", run.lines)
        self.assertIn("runner: none (RUNNER=host; /nonexistent not usable "
                      "(No such file or directory)): guest tests will be SKIPPED", run.lines)

        j = run.json
        self.assertEqual(j["score"], 4)
        t = run.test("guest.linux")
        self.assertEqual((t["score"], t["max_score"], t["status"], t["output"]),
                         (0, 5, "failed", why))
        self.assertEqual(t["extra_data"]["result"], "skipped")

    def test_fast_kvm_skips_on_software_kvm(self):
        self.lab()
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("guest.hello"), ("2/2", "PASS", ""))
        pts, result, why = run.row("guest.linux")
        self.assertEqual((pts, result), ("0/5", "SKIP"))
        self.assertTrue(why.startswith("skipped: needs a hardware-speed KVM"), why)
        self.assertEqual(self.closing(run), "3 passed, 0 failed, 1 skipped")


class TestPartial(GraderCase):
    """partial = yes: points x passed checks / checks, from Check's summary."""

    def test_partial_credit(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.partial]
            points = 8
            partial = yes
            [unit.bad]
            points = 3
            partial = yes
            [unit.good]
            points = 2
            partial = yes
            [unit.crash]
            points = 1
            partial = yes
            [unit.missing]
            points = 1
            partial = yes
            """)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.status, 1)
        # 8 checks, 2 failures and 1 error: 5 passed, 8 x 5/8 = 5.
        self.assertEqual(run.row("unit.partial")[:2], ("5/8", "FAIL"))
        self.assertTrue(run.row("unit.partial")[2].startswith(
            "5 of 8 checks passed; test_x (test_x.c:7): Assertion"), run.row("unit.partial"))
        # 1 of 2: 3 x 1/2 = 1.5, to the hundredth.
        self.assertEqual(run.row("unit.bad")[:2], ("1.5/3", "FAIL"))
        self.assertEqual(run.row("unit.good"), ("2/2", "PASS", ""))
        # No summary (a crash), or no check run: nothing.
        self.assertEqual(run.row("unit.crash")[:2], ("0/1", "FAIL"))
        self.assertEqual(run.row("unit.missing")[:2], ("0/1", "FAIL"))
        self.assertIn("Score: 8.5/15", run.lines)
        self.assertEqual(self.closing(run), "1 passed, 4 failed")
        t = run.test("unit.partial")
        self.assertEqual((t["score"], t["max_score"], t["status"]), (5, 8, "failed"))
        self.assertEqual(run.json["score"], 8.5)

    def test_without_partial_all_or_nothing(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.partial]
            points = 8
            partial = no
            """)
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(run.row("unit.partial")[:2], ("0/8", "FAIL"))
        self.assertTrue(run.row("unit.partial")[2].startswith("test_x (test_x.c:7)"))


def fake_proc(root, overcommit=0, unprivileged_uffd=0, capeff=0, mem_kb=4 << 20):
    """A stand-in for /proc and /dev for grading/needs.sh."""
    d = os.path.join(root, "fakeproc")
    fakes.write(os.path.join(d, "sys", "vm", "overcommit_memory"), "%d\n" % overcommit)
    fakes.write(os.path.join(d, "sys", "vm", "unprivileged_userfaultfd"),
                "%d\n" % unprivileged_uffd)
    fakes.write(os.path.join(d, "self", "status"),
                "Name:\tsh\nCapEff:\t%016x\n" % capeff)
    fakes.write(os.path.join(d, "meminfo"), "MemTotal:       %d kB\n" % mem_kb)
    return {"VMMLAB_NEEDS_PROC": d, "VMMLAB_NEEDS_DEV": d}


class TestNeedsProbed(GraderCase):
    """needs = userfaultfd, mem:SIZE: probed by grading/needs.sh where the
    test runs; unmet, the test is skipped with the reason."""

    def lab(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [guest.demand]
            points = 4
            guest = hello.bin
            args = --mem 16M   ; an ini comment, as ever, after a space
            status = 0
            transcript = hello/expected.txt
            needs = userfaultfd mem:5G
            [guest.big]
            points = 3
            guest = hello.bin
            args = --mem 16M
            status = 0
            needs = mem:5G
            [guest.small]
            points = 1
            guest = hello.bin
            args = --mem 16M
            status = 0
            needs = mem:1M
            [cli.big]
            points = 1
            guest = hello.bin
            args = --mem 16M
            status = 0
            needs = none mem:5G
            [guest.semicolon]
            points = 1
            guest = semi.bin
            status = 0
            stderr = ^a\\; b[;] c$
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        fakes.make_guest(self.root, "semi", "err a; b; c\nexit 0\n")

    def test_unmet_needs_skip(self):
        self.lab()
        run = self.grade("--lab", "1", "--runner", "host", env=fake_proc(self.root))
        self.assertEqual(run.status, 0, run.out + run.err)
        uffd = ("skipped: needs a userfaultfd that sees KVM's faults: root or "
                "CAP_SYS_PTRACE, sysctl vm.unprivileged_userfaultfd=1, or "
                "read-write /dev/userfaultfd")
        mem = ("skipped: needs room for 5G of guest RAM: this machine has less, "
               "and vm.overcommit_memory is not 1")
        self.assertEqual(run.row("guest.demand"), ("0/4", "SKIP", uffd))
        self.assertEqual(run.row("guest.big"), ("0/3", "SKIP", mem))
        self.assertEqual(run.row("cli.big"), ("0/1", "SKIP", mem))
        self.assertEqual(run.row("guest.small"), ("1/1", "PASS", ""))
        self.assertEqual(run.row("guest.semicolon"), ("1/1", "PASS", ""))
        self.assertEqual(self.closing(run), "2 passed, 0 failed, 3 skipped")
        self.assertEqual(run.test("guest.demand")["extra_data"]["result"], "skipped")

    def test_met_needs_run(self):
        self.lab()
        for env in (fake_proc(self.root, overcommit=1, unprivileged_uffd=1),
                    fake_proc(self.root, capeff=1 << 19, mem_kb=6 << 20)):
            run = self.grade("--lab", "1", "--runner", "host", env=env)
            self.assertEqual(run.status, 0, run.out + run.err)
            self.assertEqual(self.closing(run), "5 passed, 0 failed")

    def test_a_failing_vmm_still_fails(self):
        """Status 77 from the VMM itself (a guest's exit code 38) is not a skip."""
        self.lab()
        fakes.make_guest(self.root, "hello", "exit 77\n")
        run = self.grade("--lab", "1", "--runner", "host",
                         env=fake_proc(self.root, overcommit=1, unprivileged_uffd=1))
        self.assertEqual(run.row("guest.big")[:2], ("0/3", "FAIL"))
        self.assertEqual(run.row("guest.big")[2], "exit status 77, expected 0")


class TestAll(GraderCase):
    def test_all_labs_then_checks(self):
        # `lab` says which lab a test starts in: this one or an earlier one
        # (any lab in final/).
        fakes.make_lab(self.root, "02-second", LAB_HEAD.replace("number = 1", "number = 2") + """
            [unit.good]
            points = 4
            lab = 2
            [guest.hello]
            lab = 1
            points = 6
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            """)
        fakes.make_lab(self.root, "01-first", LAB_HEAD + """
            [guest.hello]
            points = 2
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            [unit.bad]
            points = 1
            """)
        final = os.path.join(self.root, "final")
        fakes.write(os.path.join(final, "tests", "grade.ini"), LAB_HEAD.replace(
            "fake lab", "the whole VMM") + "[unit.good]\npoints = 5\nlab = 6\n")
        fakes.write(os.path.join(final, "build", "unit-tests"),
                    fakes.FAKE_UNIT % {"python": sys.executable}, 0o755)
        # A folder without a test list is not a lab to grade.
        os.makedirs(os.path.join(self.root, "labs", "03-unfinished", "src"))
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        fakes.write(os.path.join(self.root, "grading", "project.ini"), """
; project checks
[check.ok]
command = test -d labs
timeout = 10
what = the labs are there

[check.fails]
command = echo working; echo 'stages: labs/02-second/src/x.c differs' >&2; exit 3
timeout = 10

[check.slow]
command = sleep 100
timeout = 1

[check.after-ok]
command = echo OK >&2; echo 'ok a'; echo "FAIL b differs"; echo 'FAIL c'; exit 1
timeout = 10
""")
        run = self.grade("--all", "--runner", "host")
        self.assertEqual(run.status, 1)
        # A check's own FAIL line is its reason, not stderr's last line
        # (a unittest run's 'OK' before the command that failed); the end
        # of its output is shown below its row, without -v.
        self.assertEqual(run.row("check.after-ok"), ("-", "FAIL", "exit status 1: "
                         "FAIL b differs"))
        at = run.lines.index(next(l for l in run.lines if "check.after-ok" in l and "FAIL" in l))
        self.assertEqual([l.strip() for l in run.lines[at + 1:at + 7]],
                         ["stdout:", "ok a", "FAIL b differs", "FAIL c", "stderr:", "OK"])
        # Every check's whole output is kept beside results.json.
        with open(os.path.join(os.path.dirname(run.json_path), "checks",
                               "check.after-ok.log"), encoding="utf-8") as f:
            log = f.read()
        self.assertIn("check.after-ok: FAIL", log)
        self.assertIn("ok a\nFAIL b differs\nFAIL c\n--- stderr\nOK\n", log)
        with open(os.path.join(os.path.dirname(run.json_path), "checks",
                               "check.ok.log"), encoding="utf-8") as f:
            self.assertIn("check.ok: PASS", f.read())
        # The next run keeps nothing of a check no longer listed, and
        # nothing in that folder that is not a check's log.
        checks = os.path.join(os.path.dirname(run.json_path), "checks")
        fakes.write(os.path.join(checks, "notes.txt"), "mine\n")
        fakes.write(os.path.join(self.root, "grading", "project.ini"),
                    "[check.ok]\ncommand = test -d labs\n")
        self.grade("--all", "--runner", "host")
        self.assertEqual(sorted(os.listdir(checks)), ["check.ok.log", "notes.txt"])
        self.assertEqual(run.row("check.ok"), ("-", "PASS", ""))
        self.assertEqual(run.row("check.fails"), ("-", "FAIL", "exit status 3: "
                         "stages: labs/02-second/src/x.c differs"))
        self.assertEqual(run.row("check.slow"), ("-", "FAIL", "timed out after 1s"))
        heads = [l for l in run.lines if l.startswith("Lab ")]
        self.assertEqual(heads, ["Lab 01: fake lab (labs/01-first)",
                                 "Lab 02: fake lab (labs/02-second)"])
        self.assertIn("Final: the whole VMM (final)", run.lines)
        self.assertIn("Score: 2/3", run.lines)
        # Lab 02's score is its own tests'; lab 01's guest.hello runs again
        # as regression, with no points.
        self.assertIn("Score: 4/4", run.lines)
        self.assertIn("Regression: lab 01's tests, run again (no points)", run.lines)
        self.assertIn("Regression: 1 passed, 0 failed", run.lines)
        self.assertIn("Score: 11/12 (all labs)", run.lines)
        self.assertEqual(self.closing(run), "5 passed, 4 failed")
        j = run.json
        self.assertEqual(j["score"], 11)
        self.assertEqual([(t["name"], t["extra_data"]["lab"]) for t in j["tests"]],
                         [("guest.hello", 1), ("unit.bad", 1), ("unit.good", 2),
                          ("guest.hello", 2), ("unit.good", "final"),
                          ("check.ok", "project"),
                          ("check.fails", "project"), ("check.slow", "project"),
                          ("check.after-ok", "project")])
        self.assertEqual(run.test("check.fails")["max_score"], 0)
        hello2 = [t for t in j["tests"] if t["name"] == "guest.hello"][1]
        self.assertEqual((hello2["score"], hello2["max_score"]), (0, 0))
        self.assertEqual(hello2["extra_data"]["regression"], 1)

    def test_times_and_results_shared_with_the_checks(self):
        # Each test's wall time is in results.json, the total and the
        # slowest items just above the closing line; the project checks
        # find each lab's results (with the fingerprint of what ran) in
        # the folder VMMLAB_GRADED names, which is gone afterwards.
        fakes.make_lab(self.root, "01-first", LAB_HEAD + """
            [guest.hello]
            points = 2
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            [unit.good]
            points = 1
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        seen = os.path.join(self.root, "seen")
        fakes.write(os.path.join(self.root, "grading", "project.ini"), """
[check.share]
command = cp -r "$VMMLAB_GRADED" seen && echo "$VMMLAB_GRADED" > seen/where
[check.nap]
command = sleep 1.2
[check.burn]
command = sh -c 'python3 -c "exec(\\"import time\\\\nwhile time.process_time() < 0.6: pass\\")"'
parallel = yes
""")
        start = time.time()
        run = self.grade("--all", "--runner", "host",
                         env={"VMMLAB_CHECK_START": "%f" % (start - 100)})
        self.assertEqual(run.lines[-1:], ["5 passed, 0 failed"], run.out + run.err)
        secs = {t["name"]: t["extra_data"]["seconds"] for t in run.json["tests"]}
        self.assertGreaterEqual(secs["check.nap"], 1.2)
        self.assertLess(secs["check.share"], secs["check.nap"])
        self.assertGreaterEqual(run.json["execution_time"], 1)
        t = [l for l in run.lines if l.startswith("Time: ")]
        self.assertEqual(len(t), 1, run.out)
        self.assertRegex(t[0], r"^Time: 10\d s wall \(build 10\d s, labs "
                         r"[0-9.]+ s, project checks [0-9.]+ s\)$")
        i = run.lines.index(t[0])
        # The slowest first; a check's CPU time beside its wall time, its
        # grandchildren's included (a lane's checks run one at a time):
        # check.nap sleeps, check.burn spins for 0.6 s of CPU in the side
        # lane.
        slowest = run.lines[i + 1]
        self.assertTrue(slowest.startswith("Slowest: "), slowest)
        items = re.findall(r"(\S+(?: \(CPU ([0-9.]+) s\))?) ([0-9.]+) s(?:, |$)",
                           slowest[len("Slowest: "):])
        walls = [float(w) for _, _, w in items]
        self.assertEqual(walls, sorted(walls, reverse=True), slowest)
        cpu = {n.split()[0]: float(c) for n, c, _ in items if c}
        self.assertLessEqual(cpu["check.nap"], 0.2, slowest)
        self.assertGreaterEqual(cpu["check.burn"], 0.6, slowest)
        self.assertGreaterEqual(dict((n.split()[0], float(w)) for n, _, w in items)
                                ["check.nap"], 1.2, slowest)
        self.assertEqual(i + 3, len(run.lines))
        with open(os.path.join(seen, "lab-01.json")) as f:
            shared = json.load(f)
        self.assertEqual([(t["name"], t["extra_data"]["result"])
                          for t in shared["tests"]],
                         [("guest.hello", "passed"), ("unit.good", "passed")])
        self.assertEqual((shared["root"], shared["lab"]),
                         (os.path.abspath(self.root), 1))
        self.assertRegex(shared["fingerprint"], "^[0-9a-f]{64}$")
        with open(os.path.join(seen, "where")) as f:
            self.assertFalse(os.path.exists(f.read().strip()))
        # The same lab graded again on the same files: the same fingerprint;
        # another VMM: another one.
        sys.path.insert(0, os.path.dirname(GRADE))
        import grade
        lab = grade.load_lab(self.root, 1, os.path.join(self.root, "labs", "01-first"))
        self.assertEqual(grade.fingerprint(lab), shared["fingerprint"])
        # What the checks that would run the reference again (wrong.py,
        # mutate.py, the handout check) read: its results while the
        # fingerprint holds, none without VMMLAB_GRADED or after a change.
        old = os.environ.get("VMMLAB_GRADED")
        try:
            os.environ.pop("VMMLAB_GRADED", None)
            self.assertIsNone(grade.graded_results(lab))
            os.environ["VMMLAB_GRADED"] = seen
            done = grade.graded_results(lab)
            self.assertEqual(sorted(done), ["guest.hello", "unit.good"])
            self.assertTrue(grade.passed_there(done, "guest.hello"))
            self.assertFalse(grade.passed_there(done, "guest.other"))
            done["guest.hello"]["extra_data"]["result"] = "failed"
            self.assertFalse(grade.passed_there(done, "guest.hello"))
            with open(os.path.join(self.root, lab.vmm), "a") as f:
                f.write("# another build\n")
            self.assertNotEqual(grade.fingerprint(lab), shared["fingerprint"])
            self.assertIsNone(grade.graded_results(lab))
        finally:
            os.environ.pop("VMMLAB_GRADED", None)
            if old is not None:
                os.environ["VMMLAB_GRADED"] = old
        # TIMES=1: each lab's time and its lab machine batch too.
        run = self.grade("--all", "--runner", "host", env={"TIMES": "1"})
        self.assertIn("  lab 01: ", run.out)

    def test_parallel_checks(self):
        # parallel = yes: beside the other checks, one at a time; rows in
        # the file's order. side and main each pass only if the other
        # started while it ran. A process one check leaves behind is
        # blamed on it, and the sweep leaves the other check alone.
        fakes.make_lab(self.root, "01-first", LAB_HEAD + "[unit.good]\npoints = 1\n")
        wait = "for i in $(seq 100); do [ -e %s ] && exit 0; sleep 0.1; done; exit 1"
        fakes.write(os.path.join(self.root, "grading", "project.ini"), """
[check.side]
parallel = yes
command = touch side && sleep 1 && %s
[check.main]
command = touch main && %s
[check.late]
parallel = yes
command = sleep 2
[check.escapes]
command = (setsid sleep 100 &) && sleep 2
[check.after]
command = true
""" % (wait % "main", wait % "side"))
        run = self.grade("--all", "--runner", "host")
        rows = [l.split()[0] for l in run.lines if re.match(r"  check\.\S+ +- ", l)]
        self.assertEqual(rows, ["check.side", "check.main", "check.late",
                                "check.escapes", "check.after"])
        for name in ("check.side", "check.main", "check.late", "check.after"):
            self.assertEqual(run.row(name), ("-", "PASS", ""), name)
        self.assertEqual(run.row("check.escapes"),
                         ("-", "FAIL", "left 1 process behind"))
        self.assertEqual(self.closing(run), "5 passed, 1 failed", run.out)
        # Not beside each other, side waits for main in vain.
        for f in ("side", "main"):
            os.remove(os.path.join(self.root, f))
        fakes.write(os.path.join(self.root, "grading", "project.ini"), """
[check.side]
command = touch side && sleep 1 && %s
[check.main]
command = touch main && %s
""" % (wait % "main", wait % "side"))
        run = self.grade("--all", "--runner", "host", bound=60)
        self.assertEqual(run.row("check.side")[1:], ("FAIL", "exit status 1"))
        self.assertEqual(run.row("check.main"), ("-", "PASS", ""))

    def test_only_checks_with_all(self):
        fakes.make_lab(self.root, "01-first", LAB_HEAD + "[unit.good]\npoints = 1\n")
        fakes.write(os.path.join(self.root, "grading", "project.ini"),
                    "[check.fails]\ncommand = false\n")
        run = self.grade("--lab", "1", "--runner", "host")
        self.assertEqual(self.closing(run), "1 passed, 0 failed")
        self.assertNotIn("check.fails", run.out)


class TestRegression(GraderCase):
    """A lab's score is its own tests'; the earlier labs' tests run again,
    are reported apart and fail the run when they fail, with no points."""

    def lab2(self, hello):
        fakes.make_lab(self.root, "02-second", LAB_HEAD.replace("number = 1", "number = 2") + """
            [guest.hello]
            lab = 1
            points = 6
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            [unit.good]
            points = 4
            lab = 2
            [unit.bad]
            points = 2
            lab = 2
            [guest.old]
            lab = 1
            points = 3
            guest = hello.bin
            args = --mem 16M
            status = 0
            """)
        fakes.make_guest(self.root, "hello", hello, HELLO_TXT)

    def test_own_points_regression_apart(self):
        self.lab2(HELLO)
        run = self.grade("--lab", "2", "--runner", "host")
        self.assertEqual(run.status, 1)
        self.assertIn("Score: 4/6", run.lines)
        self.assertEqual(run.row("guest.hello"), ("-", "PASS", ""))
        self.assertEqual(run.row("guest.old"), ("-", "PASS", ""))
        # Own tests first, then the regression heading and its tests.
        i = run.lines.index("Score: 4/6")
        self.assertLess(run.lines.index([l for l in run.lines if "unit.bad" in l][0]), i)
        self.assertEqual(run.lines[i + 2], "Regression: lab 01's tests, run again (no points)")
        self.assertIn("Regression: 2 passed, 0 failed", run.lines)
        self.assertEqual(self.closing(run), "3 passed, 1 failed")
        self.assertEqual(run.json["score"], 4)
        self.assertEqual([t["name"] for t in run.json["tests"]],
                         ["unit.good", "unit.bad", "guest.hello", "guest.old"])
        self.assertEqual(run.test("guest.old")["max_score"], 0)
        self.assertEqual(run.test("unit.good")["max_score"], 4)

    def test_own_but_newest(self):
        # The sanitizer run's choice: each lab its own tests, the newest
        # its whole list (lab 01's tests on lab 02's VMM too), and with
        # --no-checks not the project checks (one that would fail).
        fakes.make_lab(self.root, "01-first", LAB_HEAD + """
            [guest.hello]
            points = 6
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            """)
        self.lab2(HELLO)
        fakes.write(os.path.join(self.root, "grading", "project.ini"),
                    "[check.fails]\ncommand = false\n")
        run = self.grade("--all", "--runner", "host", "--no-checks",
                         "--own-but-newest")
        self.assertEqual([(t["name"], t["extra_data"]["lab"],
                           t["extra_data"].get("regression"))
                          for t in run.json["tests"]],
                         [("guest.hello", 1, None), ("unit.good", 2, None),
                          ("unit.bad", 2, None), ("guest.hello", 2, 1),
                          ("guest.old", 2, 1)])
        self.assertNotIn("check.fails", run.out)
        self.assertEqual(self.closing(run), "4 passed, 1 failed")
        # Both need --all, and --own is the other choice.
        for bad, why in ((["--lab", "2", "--no-checks"], "--no-checks needs --all"),
                         (["--lab", "2", "--own-but-newest"],
                          "--own-but-newest needs --all"),
                         (["--all", "--own", "--own-but-newest"],
                          "--own or --own-but-newest, not both")):
            run = self.grade(*bad, "--runner", "host")
            self.assertEqual(run.status, 2, bad)
            self.assertIn("grade.py: " + why, run.err)

    def test_own_leaves_the_regression_out(self):
        # The regression test would fail (Hallo): --own does not run it.
        self.lab2("out Hallo\nexit 0\n")
        run = self.grade("--lab", "2", "--runner", "host", "--own")
        self.assertEqual([t["name"] for t in run.json["tests"]], ["unit.good", "unit.bad"])
        self.assertNotIn("Regression: lab 01's tests, run again (no points)", run.lines)
        self.assertIn("Score: 4/6", run.lines)
        self.assertEqual(self.closing(run), "1 passed, 1 failed")

    def test_a_regression_fails_the_run(self):
        self.lab2("out Hallo\nexit 0\n")
        run = self.grade("--lab", "2", "--runner", "host")
        self.assertEqual(run.status, 1)
        self.assertEqual(run.row("guest.hello")[:2], ("-", "FAIL"))
        self.assertIn("Regression: 1 passed, 1 failed", run.lines)
        self.assertIn("Score: 4/6", run.lines)
        self.assertEqual(self.closing(run), "2 passed, 2 failed")
        self.assertEqual(run.test("guest.hello")["score"], 0)


class TestHints(GraderCase):
    """A failed test whose evidence matches a [hint.*] says what it points to."""

    def test_hints(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [guest.reset]
            points = 2
            guest = reset.bin
            status = 0
            [guest.unhandled]
            points = 2
            guest = unhandled.bin
            status = 4
            [guest.other]
            points = 1
            guest = unhandled.bin
            status = 0
            [guest.fine]
            points = 1
            guest = fine.bin
            status = 0
            [unit.bad]
            points = 1

            [hint.reset]
            tests = guest.reset guest.fine
            match = ^vm:   cs f000 base 00000000ffff0000
            say = exercise 1.realmode: the vCPU is still at the reset vector
            [hint.unhandled]
            status = 8
            match = unhandled exit reason 2 \(IO\)
            say = exercise 1.dispatch: an IO exit reached the unhandled-exit path
            [hint.later]
            status = 8
            say = a later hint: never shown where an earlier one matched
            [hint.unit]
            match = sum\(1, 1\)
            say = see sum()
            """)
        fakes.make_guest(self.root, "reset", "err vm: internal error\nerr vm:   cs f000 base 00000000ffff0000\nexit 4\n")
        fakes.make_guest(self.root, "unhandled", "err vm: unhandled exit reason 2 (IO)\nexit 8\n")
        fakes.make_guest(self.root, "fine", "err vm:   cs f000 base 00000000ffff0000\nexit 0\n")
        run = self.grade("--lab", "1", "--runner", "host")
        out = run.lines
        i = out.index([l for l in out if l.startswith("  guest.reset ")][0])
        self.assertEqual(out[i + 1], "      hint: exercise 1.realmode: the vCPU is still at the reset vector")
        i = out.index([l for l in out if l.startswith("  guest.unhandled ")][0])
        self.assertEqual(out[i + 1], "      hint: exercise 1.dispatch: an IO exit reached the unhandled-exit path")
        # guest.other fails with status 8 too: the first hint that matches.
        i = out.index([l for l in out if l.startswith("  guest.other ")][0])
        self.assertIn("exercise 1.dispatch", out[i + 1])
        # A passing test gets no hint, whatever it printed.
        i = out.index([l for l in out if l.startswith("  guest.fine ")][0])
        self.assertFalse(out[i + 1].startswith("      hint:"))
        i = out.index([l for l in out if l.startswith("  unit.bad ")][0])
        self.assertEqual(out[i + 1], "      hint: see sum()")
        t = run.test("guest.reset")
        self.assertEqual(t["extra_data"]["hint"], "exercise 1.realmode: the vCPU is still at the reset vector")
        self.assertTrue(t["output"].endswith("\nhint: exercise 1.realmode: the vCPU is still at the reset vector"))
        self.assertNotIn("hint", run.test("guest.fine")["extra_data"])

    def test_bad_hints(self):
        cases = [
            ("[hint.x]\nmatch = a\n", "missing 'say'"),
            ("[hint.x]\nsay = hello\n", "a hint needs 'match' or 'status'"),
            ("[hint.x]\nsay = s\nmatch = (\n", "match: bad regular expression"),
            ("[hint.x]\nsay = s\nstatus = 4\ntests = unit.nope\n", "unit.nope is not a test"),
            ("[hint.x]\nsay = s\nstatus = 4\nwhen = 3\n", "unknown key 'when'"),
            ("[hint.x]\nsay = s\nmatch = a ; b\n", "a ';' after a space"),
            ("[hint.x]\nsay = s\nstatus = 4\nlab = 2\n", "later than this lab"),
        ]
        for text, message in cases:
            with self.subTest(text=text):
                shutil.rmtree(self.root)
                os.makedirs(self.root)
                fakes.make_lab(self.root, "01-fake", LAB_HEAD + "[unit.good]\npoints = 1\n" + text)
                run = self.grade("--lab", "1")
                self.assertEqual(run.status, 2, run.out + run.err)
                self.assertIn(message, run.err)


class TestBadInput(GraderCase):
    def bad(self, grade_ini, message, *args):
        fakes.make_lab(self.root, "01-fake", grade_ini)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        run = self.grade(*(args or ("--lab", "1")))
        self.assertEqual(run.status, 2, run.out + run.err)
        err = run.err.strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(message, err)
        return run

    def test_bad_test_lists(self):
        where = "labs/01-fake/tests/grade.ini: "
        cases = [
            ("[unit.x]\npoints = 1\n", where + "missing the [lab] section"),
            (LAB_HEAD, where + "no tests"),
            (LAB_HEAD + "[unit.x]\npoints = many\n", "[unit.x]: points = 'many' is not a number"),
            (LAB_HEAD + "[unit.x]\npoints = -1\n", "must be a non-negative number"),
            (LAB_HEAD + "[unit.x]\ntimeout = 3\n", "[unit.x]: missing 'points'"),
            (LAB_HEAD + "[unit.x]\npoints = 1\ntimeout = 0\n", "timeout must be more than 0"),
            (LAB_HEAD + "[unit.x]\npoints = 1\npionts = 2\n", "unknown key 'pionts'"),
            (LAB_HEAD + "[test.x]\npoints = 1\n", "[test.x]: a test section is named"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nstatus = 0\n", "[guest.x]: missing 'guest'"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\n", "[guest.x]: missing 'status'"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = zero\n",
             "status = 'zero' is not an integer"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nneeds = gpu\n",
             "[guest.x]: needs: unknown 'gpu' (one of: kvm, fast-kvm, hw-kvm, none, "
             "and userfaultfd, mem:SIZE, linux)"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nneeds = mem:5T\n",
             "[guest.x]: needs: unknown 'mem:5T'"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nneeds = kvm none\n",
             "[guest.x]: needs: kvm and none: one of"),
            (LAB_HEAD + "[unit.x]\npoints = 1\npartial = maybe\n",
             "[unit.x]: partial = 'maybe' (yes or no)"),
            # A ';' after a space in a pattern would silently cut it short.
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\n"
             "stderr = ^vmm: a ;b$\n",
             "[guest.x]: stderr: a ';' after a space would start a comment here"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nstderr = (\n",
             "stderr: bad regular expression"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\n"
             "transcript = nowhere/expected.txt\n",
             "transcript guests/nowhere/expected.txt: No such file or directory"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nargs = 'open\n",
             "[guest.x]: args: No closing quotation"),
            (LAB_HEAD.replace("number = 1", "number = 2") + "[unit.x]\npoints = 1\n",
             "number = 2, but the folder is lab 1"),
            (LAB_HEAD + "[unit.x]\npoints = 1\n[unit.x]\npoints = 2\n", "already exists"),
            (LAB_HEAD + "[unit.x]\npoints = 1\nlab = 2\n",
             "[unit.x]: lab = 2, later than this lab (1)"),
            (LAB_HEAD + "[unit.x]\npoints = 1\nlab = one\n",
             "[unit.x]: lab = 'one' is not a lab number"),
            (LAB_HEAD + "[guest.x]\npoints = 1\nguest = a.bin\nstatus = 0\nlab = 0\n",
             "[guest.x]: lab = '0' is not a lab number"),
        ]
        for ini, message in cases:
            with self.subTest(message=message):
                self.bad(ini, message)

    def test_bad_command_lines(self):
        ok = LAB_HEAD + "[unit.good]\npoints = 1\n"
        self.bad(ok, "no lab 7: no folder labs/07-*", "--lab", "7")
        self.bad(ok, "--lab one: expected a lab number", "--lab", "one")
        fakes.make_lab(self.root, "01-fake", ok)
        run = self.grade("--lab", "1", env={"RUNNER": "fast"})
        self.assertEqual((run.status, run.err.strip()),
                         (2, "grade.py: RUNNER=fast: expected host, qemu or auto"))
        run = self.grade("--lab", "1", "--runner", "fast")
        self.assertEqual(run.status, 2)
        run = self.grade()
        self.assertEqual(run.status, 2)
        os.makedirs(os.path.join(self.root, "labs", "04-empty"))
        self.bad(ok, "labs/04-empty has no tests/grade.ini", "--lab", "4")

    def test_semicolon_in_a_command(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + "[unit.good]\npoints = 1\n")
        fakes.write(os.path.join(self.root, "grading", "project.ini"),
                    "[check.x]\ncommand = true ; false\n")
        run = self.grade("--all", "--runner", "host")
        self.assertEqual(run.status, 2)
        self.assertIn("grading/project.ini: [check.x]: command: a ';' after a "
                      "space would start a comment here", run.err)

    def test_bad_project_ini(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + "[unit.good]\npoints = 1\n")
        fakes.write(os.path.join(self.root, "grading", "project.ini"), "[grader]\ncommand = true\n")
        run = self.grade("--all", "--runner", "host")
        self.assertEqual(run.status, 2)
        self.assertIn("grading/project.ini: [grader]: a section is named check.<name>", run.err)


class FakeLabMachine:
    """Stands in for grading/runners/qemu.py: answers each job as told."""

    def __init__(self, answer=None, sleep=0, error=None):
        self.batches = []
        self.answer = answer
        self.sleep = sleep
        self.error = error

    def run_jobs(self, jobs, root, opts):
        self.batches.append([j.name for j in jobs])
        if self.sleep:
            time.sleep(self.sleep)
        if self.error:
            raise self.error
        return [self.answer(j) for j in jobs if self.answer(j) is not None]


class TestLabMachine(GraderCase):
    """The grader's side of the lab machine, in-process with a fake one."""

    def lab(self):
        fakes.make_lab(self.root, "01-fake", LAB_HEAD + """
            [unit.good]
            points = 1
            [guest.hello]
            points = 2
            timeout = 1
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            [cli.bad-option]
            points = 1
            guest = hello.bin
            args = --bogus
            status = 2
            [guest.exit]
            points = 3
            timeout = 0.5
            guest = hello.bin
            status = 3
            """)
        fakes.make_guest(self.root, "hello", HELLO, HELLO_TXT)
        return grade.load_lab(self.root, 1, os.path.join(self.root, "labs", "01-fake"))

    def grade_with(self, machine):
        lab = self.lab()
        choice = grade.Choice("qemu", "test", False, "", "", qemu=machine)
        rep = grade.Report()
        out = open(os.devnull, "w")
        saved, sys.stdout = sys.stdout, out
        try:
            grade.grade_tests(rep, lab.tests, lab, choice, self.root, {}, 20)
        finally:
            sys.stdout = saved
            out.close()
        return {t.name: (t.result, t.reason) for t in lab.tests}

    def test_batch(self):
        def answer(job):
            if job.name == "guest.hello":
                self.assertEqual(job.argv, ["labs/01-fake/build/vmm", "--mem", "16M",
                                            "guests/out/hello.bin"])
                return grade.JobResult(job.name, 0, None, HELLO_TXT.encode(), b"")
            return None
        machine = FakeLabMachine(answer)
        got = self.grade_with(machine)
        # Guest tests go to the lab machine in one batch; unit and cli
        # tests run here.
        self.assertEqual(machine.batches, [["guest.hello", "guest.exit"]])
        self.assertEqual(got, {
            "unit.good": ("PASS", ""),
            "guest.hello": ("PASS", ""),
            "cli.bad-option": ("PASS", ""),
            "guest.exit": ("FAIL", "the lab machine returned no result"),
        })

    def test_failure_in_a_stall_runs_again(self):
        # guest.exit fails while the lab machine stood still for 2.5 s: it
        # runs once more, alone, and that run counts. guest.hello fails
        # too, but its machine stood still for 0.5 s only: it stays failed.
        def answer(job):
            if job.name == "guest.hello":
                return grade.JobResult(job.name, 0, None, b"Hallo\n", b"",
                                       stall=0.5)
            if job.name == "guest.exit":
                return grade.JobResult(job.name, 0, None, b"", b"", stall=2.5)
            if job.name == "again-0/guest.exit":
                return grade.JobResult(job.name, 3, None, b"", b"")
            return None
        machine = FakeLabMachine(answer)
        got = self.grade_with(machine)
        self.assertEqual(machine.batches, [["guest.hello", "guest.exit"],
                                           ["again-0/guest.exit"]])
        self.assertEqual(got["guest.exit"], ("PASS", ""))
        self.assertEqual(got["guest.hello"][0], "FAIL")
        # A run again that fails again is a failure.
        machine = FakeLabMachine(lambda job: grade.JobResult(
            job.name, 0, None, HELLO_TXT.encode() if "hello" in job.name else b"",
            b"", stall=3.0))
        got = self.grade_with(machine)
        self.assertEqual(machine.batches, [["guest.hello", "guest.exit"],
                                           ["again-0/guest.exit"]])
        self.assertEqual(got["guest.hello"], ("PASS", ""))
        self.assertEqual(got["guest.exit"], ("FAIL", "exit status 0, expected 3"))

    def test_labs_share_one_batch(self):
        # Two labs with the same test names: one batch, each job named by
        # its lab, each result back to its own lab's test.
        first = self.lab()
        fakes.make_lab(self.root, "02-fake", LAB_HEAD.replace("number = 1", "number = 2") + """
            [guest.hello]
            lab = 1
            points = 2
            guest = hello.bin
            args = --mem 16M
            status = 0
            transcript = hello/expected.txt
            """)
        second = grade.load_lab(self.root, 2, os.path.join(self.root, "labs", "02-fake"))

        def answer(job):
            if job.name == "01-fake/guest.hello":
                return grade.JobResult(job.name, 0, None, HELLO_TXT.encode(), b"")
            if job.name == "01-fake/guest.exit":    # fails in a stall
                return grade.JobResult(job.name, 0, None, b"", b"", stall=1.5)
            if job.name == "again-0/01-fake/guest.exit":
                return grade.JobResult(job.name, 3, None, b"", b"")
            if job.name == "02-fake/guest.hello":
                return grade.JobResult(job.name, 0, None, b"Hallo\n", b"")
            return None
        machine = FakeLabMachine(answer)
        choice = grade.Choice("qemu", "test", False, "", "", qemu=machine)
        secs, n = grade.prefetch_lab_machine([first, second], choice, self.root, {})
        self.assertEqual(n, 3)
        self.assertGreaterEqual(secs, 0)
        self.assertEqual(machine.batches, [["01-fake/guest.hello", "01-fake/guest.exit",
                                            "02-fake/guest.hello"],
                                           ["again-0/01-fake/guest.exit"]])
        out = open(os.devnull, "w")
        saved, sys.stdout = sys.stdout, out
        try:
            for lab in (first, second):
                grade.grade_tests(grade.Report(), grade.in_order(lab), lab,
                                  choice, self.root, {}, 20)
        finally:
            sys.stdout = saved
            out.close()
        self.assertEqual(len(machine.batches), 2)
        self.assertEqual({t.name: t.result for t in first.tests},
                         {"unit.good": "PASS", "guest.hello": "PASS",
                          "cli.bad-option": "PASS", "guest.exit": "PASS"})
        self.assertEqual([(t.name, t.result) for t in second.tests],
                         [("guest.hello", "FAIL")])
        self.assertIn("transcript differs at line 1", second.tests[0].reason)
        # One lab alone keeps its own batch.
        self.assertEqual(grade.prefetch_lab_machine([first], choice, self.root, {}),
                         (0.0, 0))
        self.assertEqual(len(machine.batches), 2)

    def test_needs_probed_in_the_lab_machine(self):
        lab = self.lab()
        t = [t for t in lab.tests if t.name == "guest.hello"][0]
        t.probes = ["userfaultfd", "mem:5G"]
        job = grade.make_job(t, lab)
        # The probe runs where the job runs: it is part of the job.
        self.assertEqual(job.argv[:5], ["/bin/sh", grade.NEEDS_SH, "userfaultfd",
                                        "mem:5G", "--"])
        self.assertEqual(job.argv[5], "labs/01-fake/build/vmm")

        def answer(job):
            if job.name == "guest.hello":
                return grade.JobResult(job.name, 77, None, b"",
                                       b"vmmlab-needs: skipped: no room here\n")
            if job.name == "guest.exit":
                return grade.JobResult(job.name, 3, None, b"", b"")
            return None
        rep = grade.Report()
        choice = grade.Choice("qemu", "test", False, "", "", qemu=FakeLabMachine(answer))
        out = open(os.devnull, "w")
        saved, sys.stdout = sys.stdout, out
        try:
            grade.grade_tests(rep, lab.tests, lab, choice, self.root, {}, 20)
        finally:
            sys.stdout = saved
            out.close()
        got = {t.name: (t.result, t.reason) for t in lab.tests}
        self.assertEqual(got["guest.hello"],
                         ("SKIP", "skipped: no room here (in the lab machine)"))
        self.assertEqual(got["guest.exit"], ("PASS", ""))

    def test_failure_names_its_log(self):
        log = "build/labvm/log/20250101-120000-42/boot1.console"

        def answer(job):
            if job.name == "guest.hello":
                return grade.JobResult(job.name, 0, None, HELLO_TXT.encode(), b"",
                                       log=log)
            return grade.JobResult(job.name, 0, None, b"", b"x" * 300 + b"\n", log=log)
        got = self.grade_with(FakeLabMachine(answer))
        self.assertEqual(got["guest.hello"], ("PASS", ""))
        result, why = got["guest.exit"]
        # Cut to fit, the log still named at the end.
        self.assertEqual(result, "FAIL")
        self.assertTrue(why.startswith("exit status 0, expected 3 (stderr: xxx"), why)
        self.assertTrue(why.endswith("x... (log: %s)" % log), why)
        self.assertEqual(len(why), grade.REASON_MAX)

    def test_stuck_lab_machine_is_bounded(self):
        saved = grade.QEMU_SLACK, grade.QEMU_SLACK_PER_JOB
        grade.QEMU_SLACK, grade.QEMU_SLACK_PER_JOB = 0.5, 0
        try:
            start = time.monotonic()
            got = self.grade_with(FakeLabMachine(sleep=60))
            self.assertLess(time.monotonic() - start, 10)
        finally:
            grade.QEMU_SLACK, grade.QEMU_SLACK_PER_JOB = saved
        # 1 s + 0.5 s of time limits, 0.5 s of slack.
        why = "the lab machine did not answer within 2s"
        self.assertEqual(got["guest.hello"], ("FAIL", why))
        self.assertEqual(got["guest.exit"], ("FAIL", why))
        self.assertEqual(got["unit.good"], ("PASS", ""))

    def test_broken_lab_machine(self):
        got = self.grade_with(FakeLabMachine(error=OSError("no qemu")))
        self.assertEqual(got["guest.hello"], ("FAIL", "the lab machine failed: no qemu"))


class TestPieces(unittest.TestCase):
    """The grader's parts, in-process."""

    def test_transcript_diff(self):
        d = grade.transcript_diff
        self.assertEqual(d(b"a\nb\n", b"a\nb\n"), "")
        self.assertEqual(d(b"a\nb\n", b"a\nc\n"),
                         "transcript differs at line 2: expected 'b', got 'c'")
        self.assertEqual(d(b"a\n", b""),
                         "transcript differs at line 1: missing line (expected 'a')")
        self.assertEqual(d(b"", b"\n"), "transcript differs at line 1: extra line ''")
        self.assertEqual(d(b"a\n", b"a"),
                         "transcript differs at line 1: expected 'a\\n', got 'a'")
        self.assertEqual(d(b"\xe9\n", b"\x00\n"),
                         "transcript differs at line 1: expected '\\\\xe9', got '\\x00'")

    def test_clean_makes_one_short_printable_line(self):
        s = grade.clean("a\nb\x1b[31m" + "x" * 500)
        self.assertNotIn("\n", s)
        self.assertNotIn("\x1b", s)
        self.assertEqual(len(s), grade.REASON_MAX)
        self.assertTrue(s.endswith("..."))

    def choose(self, requested, kvm_dev, flags, qemu, source="auto"):
        with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo") as f:
            f.write("processor\t: 0\nflags\t\t: fpu vme %s sse2\n" % flags)
            f.flush()
            return grade.choose_runner(requested, source, kvm_dev, f.name,
                                       qemu_probe=lambda: qemu)

    def test_runner_choice(self):
        nobuilt = (None, "lab machine not built — make labvm")
        ready = (object(), "lab machine ready")
        c = self.choose("auto", "/dev/null", "vmx", ready)
        self.assertEqual((c.name, c.why), ("host", "/dev/null is hardware-backed: vmx"))
        c = self.choose("auto", "/dev/null", "svm", nobuilt)
        self.assertEqual((c.name, c.why), ("host", "/dev/null is hardware-backed: svm"))
        c = self.choose("auto", "/dev/null", "", nobuilt)
        self.assertEqual((c.name, c.why),
                         ("host", "software KVM; lab machine not built — make labvm"))
        c = self.choose("auto", "/dev/null", "", ready)
        self.assertEqual((c.name, c.why), ("qemu", "software KVM on this machine; lab machine ready"))
        c = self.choose("auto", "/nonexistent", "vmx", nobuilt)
        self.assertEqual((c.name, c.why), (None, "/nonexistent not usable (No such file "
                                           "or directory); lab machine not built — make labvm"))
        c = self.choose("auto", "/nonexistent", "", ready)
        self.assertEqual(c.name, "qemu")
        c = self.choose("host", "/dev/null", "", ready, "RUNNER=host")
        self.assertEqual((c.name, c.why), ("host", "RUNNER=host; software KVM"))
        c = self.choose("qemu", "/dev/null", "vmx", nobuilt, "--runner qemu")
        self.assertEqual((c.name, c.why),
                         (None, "--runner qemu, but lab machine not built — make labvm"))

    def test_targets(self):
        def t(**kw):
            base = dict(name="guest.x", kind="guest", points=1, timeout=1)
            base.update(kw)
            return grade.Test(**base)
        soft = grade.Choice("host", "", True, "", "")
        hard = grade.Choice("host", "", True, "", "vmx")
        qemu = grade.Choice("qemu", "", True, "", "")
        none = grade.Choice(None, "no KVM", False, "/dev/kvm not usable (x)", "")
        self.assertEqual(grade.target(t(), soft), ("host", ""))
        self.assertEqual(grade.target(t(needs="fast-kvm"), hard), ("host", ""))
        self.assertEqual(grade.target(t(needs="fast-kvm"), soft)[0], None)
        self.assertEqual(grade.target(t(needs="fast-kvm"), qemu), ("qemu", ""))
        self.assertEqual(grade.target(t(needs="hw-kvm"), hard), ("host", ""))
        self.assertRegex(grade.target(t(needs="hw-kvm"), soft)[1],
                         "^skipped: needs a KVM that behaves as VT-x or AMD-V")
        # When the lab machine was asked for and could not be had, the
        # reason says why instead of suggesting make labvm.
        off = grade.Choice("host", "", True, "", "", probed=(None, "no lab machine: no apt-get"))
        self.assertEqual(grade.target(t(needs="hw-kvm"), off)[1],
                         "skipped: needs a KVM that behaves as VT-x or AMD-V does; this "
                         "machine's is software-only (the lab machine runs it; no lab "
                         "machine: no apt-get)")
        self.assertTrue(grade.target(t(needs="hw-kvm"), soft)[1].endswith(
            "(the lab machine runs it; make labvm)"))
        self.assertEqual(grade.target(t(needs="hw-kvm"), qemu), ("qemu", ""))
        self.assertEqual(grade.target(t(needs="none"), none), ("host", ""))
        self.assertEqual(grade.target(t(kind="unit", name="unit.x"), none), ("host", ""))
        self.assertEqual(grade.target(t(), none), (None, "skipped: no KVM"))
        self.assertEqual(grade.target(t(module_options="kvm_amd npt=0"), hard)[0], None)
        self.assertEqual(grade.target(t(module_options="kvm_amd npt=0"), qemu), ("qemu", ""))
        # RUNNER=auto on a hardware host: the lab machine takes such a test
        # when there is one.
        lab = object()
        auto = grade.Choice("host", "", True, "", "vmx", auto=True,
                            probe=lambda: (lab, "ready"))
        self.assertEqual(grade.target(t(module_options="kvm_amd npt=0"), auto), ("qemu", ""))
        self.assertIs(auto.qemu, lab)
        self.assertEqual(grade.target(t(), auto), ("host", ""))
        auto = grade.Choice("host", "", True, "", "vmx", auto=True,
                            probe=lambda: (None, "not built"))
        self.assertEqual(grade.target(t(module_options="kvm_amd npt=0"), auto)[0], None)


class FakeRunner:
    """Stands in for grading/runners/qemu.py's status(): a lab machine in
    the given state, which a fake build turns ready."""

    def __init__(self, state, why="the lab machine is not built: run `make labvm`"):
        self.state, self.why = state, why

    def status(self, root):
        if self.state == "ready":
            return "ready", "lab machine ready (TCG: no vmx/svm on this host)"
        return self.state, self.why


class TestWhere(unittest.TestCase):
    """Where guest programs run (grading/runners/where.py), with fakes for
    the lab machine, its build and the tools on PATH."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vmmlab-where-")
        self.root = self.tmp.name
        fakes.write(os.path.join(self.root, "grading", "labvm", "build"), "", 0o755)
        self.logged, self.builds = [], []

    def tearDown(self):
        self.tmp.cleanup()

    def lab(self, runner, build_ok=True, which=lambda t: "/usr/bin/" + t):
        def build(root, log):
            self.builds.append(root)
            if not build_ok:
                return "apt-get download linux-image-amd64: 404 Not Found"
            runner.state = "ready"
            return ""
        return where.lab_machine(self.root, "no /dev/kvm here", self.logged.append,
                                 runner, which, build)

    def test_ready_lab_machine_is_not_rebuilt(self):
        runner = FakeRunner("ready")
        self.assertEqual(self.lab(runner), (runner, "lab machine ready (TCG: no vmx/svm on this host)"))
        self.assertEqual((self.builds, self.logged), ([], []))

    def test_unbuilt_lab_machine_is_built_first(self):
        runner = FakeRunner("build")
        mod, why = self.lab(runner)
        self.assertIs(mod, runner)
        self.assertRegex(why, r"^lab machine built just now in \d+ s "
                         r"\(TCG: no vmx/svm on this host\)$")
        self.assertEqual(self.builds, [self.root])
        # One line saying why, and about how long.
        self.assertEqual(self.logged, ["lab machine: building it in build/labvm/ "
                                       "(%s): no /dev/kvm here" % where.BUILD_COST])

    def test_stale_lab_machine_is_rebuilt(self):
        runner = FakeRunner("build", "the lab machine was built from another "
                            "grading/labvm/init: run `make labvm`")
        self.assertIs(self.lab(runner)[0], runner)
        self.assertEqual(len(self.builds), 1)

    def test_failed_build(self):
        mod, why = self.lab(FakeRunner("build"), build_ok=False)
        self.assertIsNone(mod)
        self.assertEqual(why, "the lab machine could not be built: apt-get "
                         "download linux-image-amd64: 404 Not Found")

    def test_no_build_off_debian(self):
        mod, why = self.lab(FakeRunner("build"), which=lambda t: None)
        self.assertIsNone(mod)
        self.assertEqual(why, "no lab machine: this is not a Debian system (no "
                         "apt-get), and the lab machine is built from Debian's packages")
        self.assertEqual((self.builds, self.logged), ([], []))

    def test_no_build_without_a_tool(self):
        mod, why = self.lab(FakeRunner("build"),
                            which=lambda t: None if t == "readelf" else "/usr/bin/" + t)
        self.assertEqual((mod, why), (None, "no lab machine: readelf not found "
                                      "(Debian package binutils)"))
        self.assertEqual(self.builds, [])

    def test_no_qemu_no_build(self):
        runner = FakeRunner("cannot", "qemu-system-x86_64 not found: install "
                            "the Debian package qemu-system-x86")
        self.assertEqual(self.lab(runner), (None, runner.why))
        self.assertEqual(self.builds, [])

    def test_no_build_script_no_build(self):
        os.unlink(os.path.join(self.root, "grading", "labvm", "build"))
        mod, why = self.lab(FakeRunner("build"))
        self.assertEqual((mod, self.builds), (None, []))

    def host(self, kind):
        return {"hardware": where.HostKvm("/dev/kvm", True, "", "svm"),
                "software": where.HostKvm("/dev/kvm", True, "", ""),
                "none": where.HostKvm("/dev/kvm", False, "/dev/kvm not usable "
                                      "(No such file or directory)", "")}[kind]

    def test_host_kvm_names(self):
        self.assertEqual(self.host("hardware").describe(), "hardware (AMD-V)")
        self.assertEqual(where.HostKvm("/dev/kvm", True, "", "vmx").describe(),
                         "hardware (Intel VT-x)")
        self.assertEqual(self.host("software").describe(),
                         "software (no vmx or svm flag in /proc/cpuinfo)")
        self.assertEqual(self.host("none").describe(),
                         "none (/dev/kvm not usable (No such file or directory))")
        self.assertEqual([self.host(k).kind for k in ("hardware", "software", "none")],
                         ["hardware", "software", "none"])

    def place(self, requested, kind, lab_answer):
        asked = []

        def lab(reason):
            asked.append(reason)
            return lab_answer
        got = where.for_programs(requested, self.root, self.host(kind), lab)
        return got, asked

    def test_programs_run_on_any_usable_kvm(self):
        lab = (object(), "lab machine ready")
        for kind in ("hardware", "software"):
            (place, why, mod), asked = self.place("auto", kind, lab)
            self.assertEqual((place, why, mod, asked),
                             ("host", "this machine's /dev/kvm (KVM: %s)" %
                              self.host(kind).describe(), None, []))

    def test_programs_go_to_the_lab_machine_without_kvm(self):
        runner = object()
        (place, why, mod), asked = self.place("auto", "none", (runner, "lab machine ready"))
        self.assertEqual((place, why), ("qemu", "lab machine ready"))
        self.assertIs(mod, runner)
        self.assertEqual(asked, ["/dev/kvm not usable (No such file or directory), "
                                 "so our VMM runs in the lab machine"])
        (place, why, mod), _ = self.place("auto", "none", (None, "no lab machine: x"))
        self.assertEqual((place, why), (None, "/dev/kvm not usable (No such file "
                                        "or directory); no lab machine: x"))

    def test_programs_where_runner_says(self):
        # RUNNER=host: here, even without a KVM (the VMM says what is wrong).
        (place, why, _), asked = self.place("host", "none", (object(), "ready"))
        self.assertEqual((place, why, asked), ("host", "this machine's /dev/kvm (KVM: "
                                               "none (/dev/kvm not usable (No such file "
                                               "or directory)))", []))
        (place, _, _), asked = self.place("qemu", "hardware", (object(), "ready"))
        self.assertEqual((place, asked), ("qemu", ["RUNNER=qemu"]))
        (place, why, _), _ = self.place("qemu", "hardware", (None, "not built"))
        self.assertEqual((place, why), (None, "RUNNER=qemu, but not built"))

    def test_tests_build_the_lab_machine_before_choosing(self):
        # RUNNER=auto asks for the lab machine, which the probe builds,
        # when there is no KVM or only a software one, and never on a
        # hardware host (nothing changes there).
        for flags, dev, asked_for in (("", "/nonexistent", 1), ("", "/dev/null", 1),
                                      ("svm", "/dev/null", 0)):
            asked = []

            def probe():
                asked.append(1)
                return object(), "lab machine built just now in 20 s (TCG)"
            with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo") as f:
                f.write("flags\t\t: fpu %s\n" % flags)
                f.flush()
                c = grade.choose_runner("auto", "auto", dev, f.name, qemu_probe=probe)
            with self.subTest(dev=dev, flags=flags):
                if asked_for:
                    self.assertEqual((c.name, len(asked)), ("qemu", 1))
                    self.assertTrue(c.why.endswith("; lab machine built just now in 20 s (TCG)"))
                else:
                    self.assertEqual((c.name, asked), ("host", []))

    def test_why_the_grader_wants_the_lab_machine(self):
        # The words of the line that announces a build.
        r = where.tests_reason
        self.assertEqual(r("auto", self.host("none")),
                         "/dev/kvm not usable (No such file or directory), so guest "
                         "tests run in the lab machine")
        self.assertEqual(r("auto", self.host("software")), "this machine's KVM is "
                         "software-only, so guest tests run in the lab machine")
        self.assertEqual(r("auto", self.host("hardware")), "a test sets KVM module "
                         "options, which only the lab machine can")
        self.assertEqual(r("qemu", self.host("hardware")), "RUNNER=qemu")

if __name__ == "__main__":
    unittest.main()

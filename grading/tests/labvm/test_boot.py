"""Tests that boot the QEMU lab machine (grading/labvm/) through the qemu
runner and check what grading/README.md, "The lab machine", promises: exit
status, signal, separate and byte-exact stdout and stderr, time limit,
output cap, processes left behind, module options, a working nested
/dev/kvm in every CPU mode, and that a lab machine that crashes or stops
answering costs one job and never hangs the grader.

setUpModule builds the lab machine first (grading/labvm/build: quick when
built). About seven boots in all: a minute or two under TCG.
Run: python3 -m unittest discover -s grading/tests/labvm
"""

import re
import shutil
import subprocess
import sys
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "grading"))

from runners import qemu                        # noqa: E402
from runners.job import Job                     # noqa: E402

VMM = "labs/01-vm-entry/build/vmm"
# One guest per CPU mode the lab-01 loader starts in (guests/README.md).
GUESTS = ("hello16.bin", "hello32.elf", "hello64.elf")
# The module parameter that turns off two-dimensional paging, so that
# KVM shadows the guest's page tables instead.
NO_TDP = {"amd": ("kvm_amd", "npt"), "intel": ("kvm_intel", "ept")}


def setUpModule():
    for tool, why in (("apt-get", "not a Debian system"),
                      ("dpkg-deb", "not a Debian system"),
                      (qemu.QEMU, "QEMU is not installed (qemu-system-x86)")):
        if not shutil.which(tool):
            raise unittest.SkipTest("the lab machine cannot run here: " + why)
    p = subprocess.run([str(ROOT / "grading" / "labvm" / "build")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode:
        raise RuntimeError("grading/labvm/build failed: " +
                           p.stdout.decode(errors="replace").strip())
    ok, why = qemu.available(ROOT)
    if not ok:
        raise RuntimeError(why)


def sh(name, script, timeout=20, **kw):
    return Job(name, ["sh", "-c", script], timeout, **kw)


def expected(guest):
    return (ROOT / "guests" / guest.rsplit(".", 1)[0] /
            "expected.txt").read_bytes()


# QEMU inside the lab machine on the lab machine's own KVM (-accel kvm
# alone: no fallback to TCG), running a guest that ends through QEMU's
# isa-debug-exit device, whose status is (value << 1) | 1.
QEMU_IN_LAB = ["qemu-system-x86_64", "-accel", "kvm", "-m", "32", "-display",
               "none", "-nodefaults", "-no-reboot", "-debugcon", "stdio",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-kernel", "guests/out/exit-code.elf"]


def have_vmm():
    return (ROOT / VMM).is_file() and all(
        (ROOT / "guests" / "out" / g).is_file() for g in GUESTS)


class OneBatch(unittest.TestCase):
    """One run_jobs call: a batch with the default module options and one
    with two-dimensional paging off, so two boots."""

    @classmethod
    def setUpClass(cls):
        cls.module, cls.param = NO_TDP[qemu.lab_vendor()]
        no_tdp = "%s %s=0" % (cls.module, cls.param)
        up = "".join("\\%03o" % i for i in range(256))
        down = "".join("\\%03o" % i for i in reversed(range(256)))
        jobs = [
            sh("status", "echo out; echo err >&2; exit 7"),
            sh("bytes", "printf '%s'; printf '%s' >&2" % (up, down)),
            sh("env", 'echo "$VMMLAB_TEST" "$PWD"', env={"VMMLAB_TEST": "a  b"}),
            sh("hang", "echo before; sleep 1000", timeout=2),
            sh("leftover", "sleep 1000 & echo started"),
            sh("after-leftover", "ps -o comm"),
            sh("flood", "yes", output_cap=5000),
            sh("flood-kib", "yes >&2", output_cap=8192),
            sh("signal", "kill -SEGV $$"),
            # jobrun (the job's parent) made to stand still for 2.5 s, as
            # a lab machine whose timers stop would: its stall is reported.
            sh("stall", "kill -STOP $PPID; sleep 2.5; kill -CONT $PPID"),
            # A job that SIGKILL cannot end: it freezes itself with the
            # cgroup v1 freezer (a frozen task sleeps uninterruptibly until
            # thawed, as a task stuck in the kernel would). The next job
            # thaws it, and waits until it is gone.
            sh("frozen", "mkdir -p /tmp/frz && mount -t cgroup -o freezer "
               "none /tmp/frz && mkdir /tmp/frz/j && echo $$ > /tmp/frozen.pid "
               "&& echo $$ > /tmp/frz/j/tasks && "
               "echo FROZEN > /tmp/frz/j/freezer.state; echo thawed", 2),
            sh("thaw", "echo THAWED > /tmp/frz/j/freezer.state; "
               "while [ -e /proc/$(cat /tmp/frozen.pid) ]; do sleep 0.1; done; "
               "echo gone"),
            Job("missing", ["no-such-program"], 10),
            # The CMOS clock's interrupts (IRQ 8, "rtc0") before and after
            # a second: under TCG init has it tick on its own.
            sh("rtc-tick", "n() { awk '$NF == \"rtc0\" { print $2 }' "
               "/proc/interrupts; }; a=$(n); sleep 1; echo $a $(n)"),
            sh("param", "cat /sys/module/%s/parameters/%s" %
               (cls.module, cls.param)),
            sh("param-no-tdp", "cat /sys/module/%s/parameters/%s" %
               (cls.module, cls.param), module_options=no_tdp),
        ]
        if (ROOT / "guests" / "out" / "exit-code.elf").is_file():
            jobs.append(Job("qemu-in-lab", QEMU_IN_LAB, 120))
        if have_vmm():
            for g in GUESTS:
                for opts in ("", no_tdp):
                    jobs.append(Job("%s %s" % (g, opts), [
                        VMM, "guests/out/" + g], 60, module_options=opts))
        t0 = time.monotonic()
        cls.boots = []
        results = qemu.run_jobs(jobs, ROOT, {"log": cls.boots.append})
        cls.seconds = time.monotonic() - t0
        cls.r = {r.name: r for r in results}
        assert [r.name for r in results] == [j.name for j in jobs]

    def test_one_boot_per_module_options(self):
        self.assertEqual(len(self.boots), 2, self.boots)

    def test_stall(self):
        # jobrun's waits are at most a second: one overslept by 1.5 s or
        # more. A job that only sleeps shows next to none.
        self.assertEqual(self.r["stall"].status, 0)
        self.assertGreaterEqual(self.r["stall"].stall, 1.0, self.r["stall"])
        self.assertLess(self.r["status"].stall, 0.5, self.r["status"])

    def test_status_and_streams(self):
        r = self.r["status"]
        self.assertEqual((r.status, r.signal, r.stdout, r.stderr, r.reason),
                         (7, None, b"out\n", b"err\n", ""))

    def test_output_is_byte_exact(self):
        r = self.r["bytes"]
        self.assertEqual(r.stdout, bytes(range(256)))
        self.assertEqual(r.stderr, bytes(reversed(range(256))))
        self.assertEqual(r.status, 0)

    def test_environment_and_working_folder(self):
        self.assertEqual(self.r["env"].stdout, b"a  b /repo\n")

    def test_time_limit(self):
        r = self.r["hang"]
        self.assertIsNone(r.status)
        self.assertEqual(r.signal, 9)
        self.assertEqual(r.stdout, b"before\n")
        self.assertEqual(r.reason, "timed out after 2s")
        self.assertGreaterEqual(r.seconds, 2.0)
        self.assertLess(r.seconds, 10.0)

    def test_process_left_behind(self):
        r = self.r["leftover"]
        self.assertEqual((r.status, r.stdout), (0, b"started\n"))
        self.assertRegex(r.reason,
                         r"^left 1 process behind: sleep\[\d+\]$")
        # ...and it was killed before the next job.
        after = self.r["after-leftover"]
        self.assertEqual(after.status, 0)
        self.assertNotIn(b"sleep", after.stdout)

    def test_output_cap(self):
        r = self.r["flood"]
        self.assertEqual(r.reason, "floods output (more than 5000 bytes)")
        self.assertEqual(r.stdout, b"y\n" * 2500)
        self.assertEqual(r.signal, 9)

    def test_output_cap_counts_stderr_too(self):
        r = self.r["flood-kib"]
        self.assertEqual(r.reason, "floods output (more than 8 KiB)")
        self.assertEqual((r.stdout, r.stderr), (b"", b"y\n" * 4096))

    def test_signal(self):
        r = self.r["signal"]
        self.assertEqual((r.status, r.signal, r.reason), (None, 11, ""))

    def test_job_that_sigkill_cannot_end(self):
        # Reported 5 s after the SIGKILL at its limit, naming the task's
        # state and where in the kernel it sleeps, rather than never.
        r = self.r["frozen"]
        self.assertIsNone(r.status)
        self.assertRegex(r.reason, r"^timed out after 2s; still there 5 s "
                         r"after SIGKILL: \d+ D __refrigerator$")
        self.assertGreaterEqual(r.seconds, 7.0)
        self.assertEqual(r.stdout, b"")
        self.assertEqual((self.r["thaw"].status, self.r["thaw"].stdout,
                          self.r["thaw"].reason), (0, b"gone\n", ""))

    def test_clock_ticks_on_its_own_under_tcg(self):
        # Under TCG it brings back a timer interrupt that QEMU lost
        # (grading/labvm/jobrun.c, rtc_tick()); with hardware KVM the
        # machine keeps its HPET and the clock is left as it was.
        r = self.r["rtc-tick"]
        self.assertEqual(r.status, 0, r)
        if qemu.host_accel()[0] != "tcg":
            self.skipTest("hardware KVM: no tick asked for")
        before, after = map(int, r.stdout.split())
        self.assertGreater(after, before, r.stdout)

    def test_program_not_found(self):
        r = self.r["missing"]
        self.assertEqual((r.status, r.signal), (None, None))
        self.assertEqual(r.reason,
                         "could not run no-such-program: No such file or directory")

    def test_module_options(self):
        self.assertEqual(self.r["param"].stdout, b"Y\n")
        self.assertEqual(self.r["param-no-tdp"].stdout, b"N\n")

    @unittest.skipUnless((ROOT / "guests" / "out" / "exit-code.elf").is_file(),
                         "the guests are not built")
    def test_qemu_runs_in_the_lab_machine_on_its_kvm(self):
        r = self.r["qemu-in-lab"]
        self.assertEqual((r.status, r.reason), (42 << 1 | 1, ""), r.stderr)
        self.assertEqual(r.stdout, expected("exit-code.elf"))

    @unittest.skipUnless(have_vmm(), "lab 01 or its guests are not built")
    def test_vmm_runs_guests_on_nested_kvm(self):
        for g in GUESTS:
            for opts in ("", "%s %s=0" % (self.module, self.param)):
                with self.subTest(guest=g, module_options=opts):
                    r = self.r["%s %s" % (g, opts)]
                    # A hello guest ends with HLT: status 0.
                    self.assertEqual((r.status, r.reason), (0, ""), r.stderr)
                    self.assertEqual(r.stdout, expected(g))


class Failures(unittest.TestCase):
    """A lab machine that crashes, stops answering or cannot load KVM."""

    @classmethod
    def setUpClass(cls):
        module = NO_TDP[qemu.lab_vendor()][0]
        jobs = [
            sh("crash", "echo c > /proc/sysrq-trigger; sleep 1000", 30),
            sh("after-crash", "echo next"),
            # Hangs the lab machine only after "mark" ran in the same
            # boot: its second try, alone, passes.
            sh("mark", "touch /tmp/mark"),
            sh("flaky", "if [ -e /tmp/mark ]; then kill -STOP $PPID; "
               "sleep 1000; fi; echo fine", 3),
            # Stop jobrun, the lab machine's supervisor: nothing answers.
            sh("stop", "kill -STOP $PPID; sleep 1000", 3),
            sh("after-stop", "echo next"),
            # The same with a long limit: the silent port gives it away.
            sh("stop-long", "kill -STOP $PPID; sleep 1000", 200),
            sh("after-stop-long", "echo next"),
            sh("bad-param", "true", module_options=module + " nosuch=1"),
        ]
        t0 = time.monotonic()
        cls.boots = []
        results = qemu.run_jobs(jobs, ROOT, {"job_slack": 5, "silence": 10,
                                             "nudge_wait": 3,
                                             "log": cls.boots.append})
        cls.seconds = time.monotonic() - t0
        cls.r = {r.name: r for r in results}

    def test_crash_costs_one_job(self):
        r = self.r["crash"]
        self.assertIsNone(r.status)
        self.assertRegex(r.reason, r"^the lab machine crashed: Kernel panic"
                         r".*sysrq triggered crash.*\(log: build/labvm/log/"
                         r".*; the same when run again alone$")
        self.assertEqual(self.r["after-crash"].stdout, b"next\n")

    def test_hang_costs_one_job(self):
        r = self.r["stop"]
        self.assertIsNone(r.status)
        # jobrun stopped: the machine idles, and says so in QEMU's CPU
        # time, well below the job's wall-clock seconds.
        m = re.match(r"the lab machine stopped answering \(no result 5 s "
                     r"after the time limit; QEMU used (\d+) s of CPU in the "
                     r"job's (\d+) s\)", r.reason)
        self.assertTrue(m, r.reason)
        self.assertLess(int(m.group(1)), int(m.group(2)) / 2, r.reason)
        self.assertTrue(r.reason.endswith("; the same when run again alone"),
                        r.reason)
        # Given up 3 s (its limit) + 5 s (the slack) after it started.
        self.assertGreaterEqual(r.seconds, 8.0)
        self.assertLess(r.seconds, 20.0)
        self.assertEqual(self.r["after-stop"].stdout, b"next\n")

    def test_silent_machine_found_before_the_limit(self):
        # jobrun says "=alive" every second: 10 s of silence (the test's
        # setting) and 3 s more after an NMI end the wait, not the job's
        # 200 s limit. The monitor said where the vCPU was; the NMI reached
        # the machine's kernel, which says so on its console.
        r = self.r["stop-long"]
        self.assertIsNone(r.status)
        m = re.match(r"the lab machine stopped answering \(silent for 10 s "
                     r"while a job ran, and 3 s more after an NMI; vCPU at "
                     r"RIP=[0-9a-f]{16}, HLT=[01], IF=[01]; QEMU used \d+ s of "
                     r"CPU in the job's \d+ s\); .*\(log: (\S+)\.console\); "
                     r"the same when run again alone$", r.reason)
        self.assertTrue(m, r.reason)
        self.assertGreaterEqual(r.seconds, 13.0)
        self.assertLess(r.seconds, 40.0)
        regs = (ROOT / (m.group(1) + ".regs")).read_text()
        self.assertIn("== stop-long: silent; info registers:", regs)
        self.assertRegex(regs, r"RIP=[0-9a-f]{16}")
        self.assertRegex(regs, r"info lapic:\n(.*\n)*ISR\b.*\n(.*\n)*IRR\b")
        self.assertIn("NMI received",
                      (ROOT / (m.group(1) + ".console")).read_text())
        self.assertEqual(self.r["after-stop-long"].stdout, b"next\n")

    def test_second_try_alone_counts(self):
        r = self.r["flaky"]
        self.assertEqual((r.status, r.reason, r.stdout), (0, "", b"fine\n"))
        self.assertEqual(self.r["mark"].status, 0)

    def test_unknown_module_parameter(self):
        r = self.r["bad-param"]
        self.assertIsNone(r.status)
        self.assertEqual(r.reason, "the lab machine could not set up KVM: "
                         "%s has no parameter nosuch" %
                         NO_TDP[qemu.lab_vendor()][0])

    def test_boots(self):
        # crash | after-crash, mark, flaky | stop | after-stop, stop-long |
        # after-stop-long; then crash, flaky, stop and stop-long again, each
        # alone; bad-param's own boot.
        self.assertEqual(len(self.boots), 10, self.boots)
        self.assertEqual([b.split(", ", 1)[1] for b in self.boots[5:9]],
                         ["1 job: %s again, alone" % n
                          for n in ("crash", "flaky", "stop", "stop-long")])


class Lanes(unittest.TestCase):
    """lanes = 2: two lab machines at once, each with a share of each
    batch (the graders' setting on two cores): every job still gets its
    own result, in order, and a failure still costs one job."""

    @classmethod
    def setUpClass(cls):
        cls.jobs = [sh("one", "echo 1; exit 1"),
                    sh("two", "echo 2 >&2; exit 2", timeout=30),
                    sh("hang", "echo before; sleep 1000", timeout=2),
                    sh("four", "echo 4; exit 4")]
        cls.boots = []
        cls.results = qemu.run_jobs(cls.jobs, ROOT, {"lanes": 2,
                                                     "log": cls.boots.append})

    def test_two_boots_share_the_batch(self):
        self.assertEqual(sorted(self.boots), ["lab machine: boot 1, 2 job(s)",
                                              "lab machine: boot 2, 2 job(s)"])

    def test_each_job_its_own_result_in_order(self):
        got = [(r.name, r.status, r.stdout, r.stderr) for r in self.results]
        self.assertEqual(got, [("one", 1, b"1\n", b""),
                               ("two", 2, b"", b"2\n"),
                               ("hang", None, b"before\n", b""),
                               ("four", 4, b"4\n", b"")])
        self.assertEqual(self.results[2].reason, "timed out after 2s")

    def test_split_by_time_limits(self):
        items = list(enumerate(Job("j%d" % i, ["x"], t)
                               for i, t in enumerate((10, 600, 30, 30, 60))))
        parts = qemu.split_lanes(items, 2)
        self.assertEqual([[i for i, _ in p] for p in parts],
                         [[1], [0, 2, 3, 4]])
        self.assertEqual(qemu.split_lanes(items, 1), [items])
        self.assertEqual(len(qemu.split_lanes(items[:1], 2)), 1)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""example.py - the first program of chapter 1 builds, runs and greets.

    python3 book/tests/example.py        (make -C book check runs it)

Builds book/examples/hello with its Makefile and runs it where the
grader runs guest tests (grading/README.md, "Runners"): on this machine's
/dev/kvm when it is backed by hardware, otherwise in the QEMU lab machine
when it is built (make labvm), otherwise on a software /dev/kvm. RUNNER
chooses as it does for the grader.

What it must print follows from its guest code alone: the bytes at
0x100f up to the NUL, "Hello, KVM!\\n", one OUT to port 0xE9 each, then
HLT, on which the program exits with status 0 having written nothing on
standard error. The text of chapter 1 shows that output and quotes the
program, so the test also checks the page says what the program prints.

Exits 0 when the program printed that, 1 when it did not or could not
run anywhere (no usable KVM and no lab machine: the reason is printed).
"""

import os
import subprocess
import sys

BOOK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BOOK)
EXAMPLE = os.path.join(BOOK, "examples", "hello")
PROGRAM = "book/examples/hello/build/hello"
EXPECTED = b"Hello, KVM!\n"

sys.path.insert(0, REPO)
from grading import grade                      # noqa: E402
from grading.runners import host               # noqa: E402
from grading.runners.job import Job            # noqa: E402


def build():
    p = subprocess.run(["make", "--no-print-directory", "-s", "-C", EXAMPLE],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if p.returncode != 0:
        print(p.stdout, file=sys.stderr)
        return False
    return True


def run(job):
    """(JobResult or None, the runner's description)."""
    requested = os.environ.get("RUNNER", "auto")
    choice = grade.choose_runner(requested, "RUNNER=" + requested,
                                 os.environ.get("VMMLAB_KVM_DEV", "/dev/kvm"),
                                 qemu_probe=lambda: grade.probe_qemu(REPO))
    opts = {"verbose": False, "kvm_dev": os.environ.get("VMMLAB_KVM_DEV", "/dev/kvm"),
            "log": lambda line: print("example: " + line, file=sys.stderr)}
    if choice.name == "host":
        return host.run_jobs([job], REPO, opts)[0], "host (%s)" % choice.why
    if choice.name == "qemu":
        got = grade.run_qemu_bounded(choice.qemu, [job], REPO, opts)
        return got[job.name], "the lab machine (%s)" % choice.why
    return None, choice.skip_why or choice.why


def page_quotes_the_output():
    """The chapter's transcript of the program is exactly its output."""
    with open(os.path.join(BOOK, "ch01-vm-entry.md"), encoding="utf-8") as f:
        text = f.read()
    fence = '```{.transcript cmd="%s"}\n' % PROGRAM
    if fence not in text:
        return "ch01-vm-entry.md quotes no output of %s" % PROGRAM
    body = text.split(fence, 1)[1].split("```", 1)[0]
    lines = [l for l in body.splitlines() if not l.startswith("$ ")]
    if "\n".join(lines) + "\n" != EXPECTED.decode():
        return "ch01-vm-entry.md shows %r, the program prints %r" % (body, EXPECTED.decode())
    return None


def main():
    problem = page_quotes_the_output()
    if problem:
        print("example: " + problem, file=sys.stderr)
        return 1
    if not build():
        print("example: %s does not build" % EXAMPLE, file=sys.stderr)
        return 1
    job = Job(name="book.hello", argv=[PROGRAM], timeout=60)
    r, where = run(job)
    if r is None:
        print("example: cannot run %s anywhere: %s" % (PROGRAM, where), file=sys.stderr)
        return 1
    if r.reason:
        problem = r.reason
    elif r.signal:
        problem = "killed by signal %d" % r.signal
    elif r.status != 0:
        problem = "exit status %s, expected 0" % r.status
    elif r.stdout != EXPECTED:
        problem = "printed %r, expected %r" % (r.stdout, EXPECTED)
    elif r.stderr:
        problem = "wrote on standard error: %r" % r.stderr[:200]
    if problem:
        print("example: %s on %s: %s (stderr: %r)"
              % (PROGRAM, where, problem, r.stderr[-200:]), file=sys.stderr)
        return 1
    print("example: %s printed %r and exited 0 on %s" % (PROGRAM, EXPECTED.decode(), where))
    return 0


if __name__ == "__main__":
    sys.exit(main())

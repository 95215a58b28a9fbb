"""Throwaway repositories for the grader's own tests.

make_repo() writes, in a temporary folder, the shape grade.py expects:
labs/NN-name/tests/grade.ini, a fake VMM and a fake Check runner in the
lab's build/, guests in guests/out/, transcripts in guests/<name>/, and
optionally grading/project.ini. The fake VMM is a Python program that runs
the "guest" it is given: each guest file is a few lines of commands (print
a line, exit with a status, crash, hang, flood, fork, ...), so that every
way a student's VMM can go wrong is one small guest file.
"""

import os
import sys
import textwrap

FAKE_VMM = r'''#!%(python)s
# A fake VMM: runs the commands of the guest file named by its last argument.
import os, resource, signal, sys, threading, time

opts, guest = sys.argv[1:-1], sys.argv[-1]
with open(guest) as f:
    prog = f.read().splitlines()
out = sys.stdout.buffer
for line in prog:
    op, _, arg = line.partition(" ")
    if op == "out":                 # a line on stdout
        out.write(arg.encode() + b"\n"); out.flush()
    elif op == "outn":              # text on stdout, no newline
        out.write(arg.encode()); out.flush()
    elif op == "err":               # a line on stderr
        sys.stderr.write(arg + "\n"); sys.stderr.flush()
    elif op == "args":              # insist on these VMM options
        if opts != arg.split():
            sys.stderr.write("fake vmm: options %%r, wanted %%r\n" %% (opts, arg.split()))
            sys.exit(2)
    elif op == "exit":
        out.flush(); os._exit(int(arg))
    elif op == "segv":
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), signal.SIGSEGV)
    elif op == "hang":
        time.sleep(100000)
    elif op == "sleep":             # slow, not stuck: arg seconds
        time.sleep(float(arg))
    elif op == "flood":
        while True:
            out.write(b"x" * 4096)
    elif op == "stdin":             # stdin must be at end of file at once
        if sys.stdin.buffer.read():
            os._exit(9)
    elif op == "thread":            # a thread that would run forever
        threading.Thread(target=time.sleep, args=(100000,), daemon=True).start()
    elif op in ("fork", "fork-pgrp"):   # a child that keeps running
        pid = os.fork()
        if pid == 0:
            if op == "fork-pgrp":
                os.setpgid(0, 0)
            time.sleep(100000)
            os._exit(0)
        with open(arg, "w") as f:
            f.write("%%d\n" %% pid)
    elif op == "daemon":            # double fork into a new session
        pid = os.fork()
        if pid == 0:
            os.setsid()
            pid2 = os.fork()
            if pid2 == 0:
                time.sleep(100000)
                os._exit(0)
            with open(arg, "w") as f:
                f.write("%%d\n" %% pid2)
            os._exit(0)
        os.waitpid(pid, 0)
    else:
        sys.stderr.write("fake vmm: unknown command %%r\n" %% op)
        sys.exit(2)
os._exit(0)
'''

FAKE_UNIT = r'''#!%(python)s
# A fake Check runner: its suites print what Check prints.
import os, resource, signal, sys

suite = os.environ.get("CK_RUN_SUITE", "")
if os.environ.get("CK_FORK") != "yes":
    print("fake runner: CK_FORK is not yes")
    sys.exit(3)
if "CK_RUN_CASE" in os.environ:     # the grader must not pass this on
    print("fake runner: CK_RUN_CASE is set")
    sys.exit(3)
if suite == "good":
    print("Running suite(s): good")
    print("100%%: Checks: 3, Failures: 0, Errors: 0")
    sys.exit(0)
if suite == "bad":
    print("Running suite(s): bad")
    print("50%%: Checks: 2, Failures: 1, Errors: 0")
    print("test_sum.c:42:F:core:test_sum:0: Assertion 'sum(1, 1) == 3' failed: sum(1, 1) == 2, 3 == 3")
    sys.exit(1)
if suite == "partial":              # 5 of 8 checks pass
    print("Running suite(s): partial")
    print("62%%: Checks: 8, Failures: 2, Errors: 1")
    print("test_x.c:7:F:core:test_x:0: Assertion 'x == 1' failed: x == 0, 1 == 1")
    sys.exit(1)
if suite == "crash":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.kill(os.getpid(), signal.SIGSEGV)
print("Running suite(s):100%%: Checks: 0, Failures: 0, Errors: 0")
sys.exit(0)
'''


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def make_lab(root, folder, grade_ini, vmm=True, unit=True):
    """labs/<folder>/ with its grade.ini and (unless told not to) the fakes."""
    lab = os.path.join(root, "labs", folder)
    # Test lists are written indented in the tests; ini files are not.
    text = "\n".join(line.strip() for line in grade_ini.splitlines()) + "\n"
    write(os.path.join(lab, "tests", "grade.ini"), text)
    py = {"python": sys.executable}
    if vmm:
        write(os.path.join(lab, "build", "vmm"), FAKE_VMM % py, 0o755)
    if unit:
        write(os.path.join(lab, "build", "unit-tests"), FAKE_UNIT % py, 0o755)
    return lab


def make_guest(root, name, program, transcript=None):
    """guests/out/<name>.bin running program; guests/<name>/expected.txt."""
    write(os.path.join(root, "guests", "out", name + ".bin"), textwrap.dedent(program))
    if transcript is not None:
        write(os.path.join(root, "guests", name, "expected.txt"), transcript)

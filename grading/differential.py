#!/usr/bin/env python3
"""Differential tests: the same guest on QEMU and on a lab's VMM.

    python3 grading/differential.py [--lab N] [--root DIR] [-v]
    python3 grading/differential.py --expected [--lab N] [--root DIR] [-v]

For every guest of guests/qemu.ini that lab N's VMM can run (its `lab`,
the first lab that provides what it needs, is N or lower), runs it under
QEMU with TCG (no KVM: QEMU is the reference machine here) and on
labs/NN-*/build/vmm, and
compares the debug-console transcripts byte for byte and how each run
ended. A mismatch fails with the first differing line. Our VMM runs on
this machine's /dev/kvm, or, when it cannot be opened, in the QEMU lab
machine, all guests in one boot (grading/runners/where.py; RUNNER=host or
qemu chooses). Exits 0 when all match, 1 on a mismatch, 77 (skipped)
when QEMU is missing or our VMM can run nowhere.

With --expected, QEMU's transcript is compared with the guest's own
expected transcript (guests/NAME/expected.txt, or the section's `expected`)
instead, for every guest (or those up to lab N): no VMM and no KVM needed.
That checks the transcripts, written from the datasheets, against QEMU.

A guest whose section says `transcript = serial` prints its transcript on
COM1 instead of the debug console: QEMU gets -serial stdio, our VMM
--serial stdio, and the harness reads their standard output. With
`input = FILE` the harness writes FILE to their standard input once the
guest's first line has arrived (the guest is ready then), and keeps it
open until the run ends. In the lab machine, where a job's standard input
is a file, guests/out/vmmtest does that for our VMM: it waits for the
first line, then writes FILE.
"""

import argparse
import configparser
import json
import os
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from grading.runners import where               # noqa: E402
from grading.runners.job import Job             # noqa: E402

SKIP = 77
QEMU = "qemu-system-x86_64"
# Both must finish long before this on TCG: the guests are tiny.
TIME_LIMIT = 120


def first_difference(want, got):
    """'' if equal, else one line naming the first line that differs."""
    a, b = want.split(b"\n"), got.split(b"\n")
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x != y:
            def show(v):
                return "(no line)" if v is None else repr(v.decode("utf-8", "replace"))
            return "line %d: qemu %s, vmm %s" % (i + 1, show(x), show(y))
    return ""


class Qmp:
    """Just enough of QEMU's machine protocol to ask about the vCPU."""

    def __init__(self, path, deadline):
        self.sock = None
        while time.time() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                self.sock = s
                break
            except OSError:
                time.sleep(0.05)
        if not self.sock:
            raise RuntimeError("QEMU's monitor socket never appeared")
        self.sock.settimeout(10)
        self.buf = b""
        self.read()                      # the greeting
        self.call("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("QEMU closed its monitor")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd, **args):
        self.sock.sendall(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        while True:
            msg = self.read()
            if "return" in msg or "error" in msg:
                return msg

    def halted_with_if_clear(self):
        """TCG's 'info registers' shows HLT=1 and EFL; IF is EFLAGS bit 9."""
        out = self.call("human-monitor-command",
                        **{"command-line": "info registers"}).get("return", "")
        if "HLT=1" not in out:
            return False
        for word in out.split():
            if word.startswith("EFL="):
                return not (int(word[4:], 16) & 0x200)
        return False


class Serial:
    """A guest's COM1 on a child's standard input and output."""

    def __init__(self, sec, root):
        self.on = sec.get("transcript", "console") == "serial"
        self.input = None
        if sec.get("input"):
            with open(os.path.join(root, "guests", sec["input"]), "rb") as f:
                self.input = f.read()

    def talk(self, p, deadline):
        """Everything the child writes on stdout until it exits; the input
        goes in after the first line."""
        out = b""
        fd = p.stdout.fileno()
        fed = self.input is None
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                continue        # drain what is left, then EOF
            if not fed and b"\n" in out:
                p.stdin.write(self.input)
                p.stdin.flush()
                fed = True
        else:
            raise RuntimeError("no end of output in %d s" % TIME_LIMIT)
        return out


def popen(argv, serial):
    return subprocess.Popen(
        argv, stdin=subprocess.PIPE if serial.on else subprocess.DEVNULL,
        stdout=subprocess.PIPE if serial.on else subprocess.DEVNULL,
        stderr=subprocess.PIPE)


def run_qemu(guest, extra, ends, tmp, serial=None):
    """(transcript, how it ended): 'exit N', 'halt' or 'shutdown'."""
    serial = serial or Serial({}, "")
    con = os.path.join(tmp, "debugcon.out")
    mon = os.path.join(tmp, "qmp.sock")
    # The guest's own options come before the console: QEMU's pc-testdev
    # has a byte port at 0xe8-0xeb, and of two overlapping I/O regions the
    # one added last wins, which must be the debug console at 0xe9.
    argv = [QEMU, "-accel", "tcg", "-display", "none", "-nodefaults",
            "-no-reboot"] + extra + ["-kernel", guest,
            "-chardev", "file,id=dc,path=" + con,
            "-device", "isa-debugcon,iobase=0xe9,chardev=dc",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-qmp", "unix:%s,server=on,wait=off" % mon]
    if serial.on:
        argv += ["-serial", "stdio"]
    p = popen(argv, serial)
    deadline = time.time() + TIME_LIMIT
    ended = None
    out = b""
    try:
        if serial.on:
            out = serial.talk(p, deadline)
        if ends == "halt":
            qmp = Qmp(mon, deadline)
            while time.time() < deadline and p.poll() is None:
                if qmp.halted_with_if_clear():
                    ended = "halt"
                    qmp.call("quit")
                    break
                time.sleep(0.1)
        p.wait(timeout=max(1, deadline - time.time()))
    except (subprocess.TimeoutExpired, RuntimeError, OSError) as e:
        p.kill()
        p.wait()
        raise RuntimeError("QEMU did not finish: %s" % e)
    if ended is None:
        if p.returncode % 2 == 1:
            ended = "exit %d" % p.returncode
        elif p.returncode == 0:
            ended = "shutdown"
        else:
            err = p.stderr.read().decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError("QEMU failed with status %d: %s" %
                               (p.returncode, err[-1] if err else ""))
    if serial.on:
        return out, ended
    with open(con, "rb") as f:
        return f.read(), ended


class VmmRun:
    """What subprocess.run gives, for a VMM run that talked on COM1."""

    def __init__(self, vmm, guest, extra, serial):
        argv = [vmm] + (["--serial", "stdio"] if serial.on else []) + extra + [guest]
        p = popen(argv, serial)
        try:
            if serial.on:
                self.stdout = serial.talk(p, time.time() + TIME_LIMIT)
                p.wait(timeout=TIME_LIMIT)
            else:
                self.stdout = b""
                p.wait(timeout=TIME_LIMIT)
        except (RuntimeError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()
            raise subprocess.TimeoutExpired(argv, TIME_LIMIT)
        self.stderr = p.stderr.read()
        self.returncode = p.returncode


def vmm_ended(status, stderr):
    """How a run of our VMM ended, in run_qemu's words."""
    if status == 0:
        return "halt"
    if status == 4:
        return "shutdown"
    if status % 2 == 1:
        return "exit %d" % status
    err = stderr.decode("utf-8", "replace").strip().splitlines()
    return "error %d (%s)" % (status, err[-1] if err else "")


def run_vmm(vmm, guest, extra, serial=None):
    serial = serial or Serial({}, "")
    if serial.on:
        p = VmmRun(vmm, guest, extra, serial)
    else:
        p = subprocess.run([vmm] + extra + [guest], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIME_LIMIT)
    return p.stdout, vmm_ended(p.returncode, p.stderr)


def run_vmm_here(vmm, runs):
    """{name: (transcript, ended)} of our VMM on each (name, guest, extra,
    section) on this machine; a run that did not finish gets a string
    saying so."""
    got = {}
    for name, guest, extra, sec, root in runs:
        try:
            got[name] = run_vmm(vmm, guest, extra, Serial(sec, root))
        except subprocess.TimeoutExpired:
            got[name] = "our VMM did not finish in %d s" % TIME_LIMIT
    return got


def run_vmm_lab(mod, root, vmm, runs):
    """The same, in the lab machine: every run in one boot. A guest on
    COM1 gets --serial stdio, and its input file after its first line,
    from guests/out/vmmtest (whose status is the VMM's)."""
    def rel(path):
        return os.path.relpath(path, root)
    jobs = []
    for name, guest, extra, sec, _ in runs:
        serial = Serial(sec, root)
        argv = [rel(vmm)] + (["--serial", "stdio"] if serial.on else []) + \
            extra + [rel(guest)]
        if serial.input is not None:
            argv = [os.path.join("guests", "out", "vmmtest"), "--wait", "\\n",
                    "--send-file", os.path.join("guests", sec["input"]),
                    "--"] + argv
        jobs.append(Job(name, argv, TIME_LIMIT))
    got = {}
    for r in mod.run_jobs(jobs, root, {}):
        if r.reason and not r.reason.startswith("left "):
            got[r.name] = "our VMM in the lab machine: %s" % r.reason
        elif r.status is None:
            got[r.name] = "our VMM died of signal %s" % r.signal
        else:
            got[r.name] = (r.stdout, vmm_ended(r.status, r.stderr))
    return got


def guest_lab(sec):
    """The first lab whose VMM can run the guest: its `lab` key, or 1."""
    return sec.getint("lab", 1)


def find_lab(root, n):
    top = os.path.join(root, "labs")
    for name in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        if name.split("-", 1)[0] == "%02d" % n:
            return os.path.join(top, name)
    return None


def compare_expected(root, cp, sections, verbose):
    """QEMU against each guest's expected.txt; returns the exit status."""
    failed = 0
    for name in sections:
        sec = cp[name]
        guest = os.path.join(root, "guests", "out", sec["guest"])
        want = os.path.join(root, "guests", sec.get("expected", name + "/expected.txt"))
        ends = sec.get("ends", "exit")
        if not os.path.exists(guest):
            print("differential: %s is missing: run make first" % guest, file=sys.stderr)
            return 2
        with open(want, "rb") as f:
            w_out = f.read()
        with tempfile.TemporaryDirectory(prefix="vmmlab-diff-") as tmp:
            try:
                q_out, q_end = run_qemu(guest, shlex.split(sec.get("qemu", "")), ends,
                                        tmp, Serial(sec, root))
            except RuntimeError as e:
                print("FAIL %-14s %s" % (name, e))
                failed += 1
                continue
        why = first_difference(q_out, w_out).replace("vmm", "expected")
        if not why and not q_end.startswith(ends):
            why = "expected the run to end by %s, QEMU ended by %s" % (ends, q_end)
        if why:
            failed += 1
            print("FAIL %-14s %s" % (name, why))
            if verbose:
                print("  qemu:     %r\n  expected: %r" % (q_out, w_out))
        else:
            print("ok   %-14s QEMU prints the expected transcript (%d lines), ended by %s" %
                  (name, q_out.count(b"\n"), q_end))
    print("differential: %d guest%s on QEMU, %d mismatch%s" %
          (len(sections), "" if len(sections) == 1 else "s",
           failed, "" if failed == 1 else "es"))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", type=int)
    ap.add_argument("--expected", action="store_true",
                    help="compare QEMU with the expected transcripts, not with a VMM")
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("-v", action="store_true", help="show both transcripts on a mismatch")
    args = ap.parse_args()
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",))
    cp.read(os.path.join(args.root, "guests", "qemu.ini"))

    if args.expected:
        if not shutil.which(QEMU):
            print("differential: skipped: %s is not installed (make deps)" % QEMU)
            return SKIP
        sections = [n for n in cp.sections()
                    if args.lab is None or guest_lab(cp[n]) <= args.lab]
        return compare_expected(args.root, cp, sections, args.v)
    if args.lab is None:
        args.lab = 1
    lab = find_lab(args.root, args.lab)
    if not lab:
        print("differential: no lab %d" % args.lab, file=sys.stderr)
        return 2
    vmm = os.path.join(lab, "build", "vmm")
    if not shutil.which(QEMU):
        print("differential: skipped: %s is not installed (make deps)" % QEMU)
        return SKIP
    sections = [n for n in cp.sections()
                if guest_lab(cp[n]) <= args.lab and cp[n].get("only") != "qemu"]
    runs = []
    for name in sections:
        guest = os.path.join(args.root, "guests", "out", cp[name]["guest"])
        for path in (guest, vmm):
            if not os.path.exists(path):
                print("differential: %s is missing: run make first" % path, file=sys.stderr)
                return 2
        runs.append((name, guest, shlex.split(cp[name].get("vmm", "")), cp[name],
                     args.root))
    try:
        requested = where.requested_runner()
    except ValueError as e:
        print("differential: %s" % e, file=sys.stderr)
        return 2
    place, why, mod = where.for_programs(requested, os.path.abspath(args.root))
    if place is None:
        print("differential: skipped: our VMM cannot run: %s" % why)
        return SKIP
    print("differential: QEMU with TCG here; our VMM on %s" % (
        why if place == "host" else "the lab machine's KVM, " + mod.kvm_name()))

    # The reference first, on this machine; then our VMM, where it runs.
    reference = {}
    for name in sections:
        sec = cp[name]
        guest = os.path.join(args.root, "guests", "out", sec["guest"])
        with tempfile.TemporaryDirectory(prefix="vmmlab-diff-") as tmp:
            try:
                reference[name] = run_qemu(guest, shlex.split(sec.get("qemu", "")),
                                           sec.get("ends", "exit"), tmp,
                                           Serial(sec, args.root))
            except RuntimeError as e:
                reference[name] = str(e)
    if place == "host":
        ours = run_vmm_here(vmm, runs)
    else:
        ours = run_vmm_lab(mod, os.path.abspath(args.root), vmm, runs)

    failed = 0
    for name in sections:
        ends = cp[name].get("ends", "exit")
        for got in (reference[name], ours[name]):
            if isinstance(got, str):
                print("FAIL %-14s %s" % (name, got))
                failed += 1
                break
        else:
            (q_out, q_end), (v_out, v_end) = reference[name], ours[name]
            why = first_difference(q_out, v_out)
            if not why and q_end != v_end:
                why = "ended differently: qemu %s, vmm %s" % (q_end, v_end)
            if not why and q_end != ends and not q_end.startswith(ends):
                why = "expected the run to end by %s, both ended by %s" % (ends, q_end)
            if why:
                failed += 1
                print("FAIL %-14s %s" % (name, why))
                if args.v:
                    print("  qemu: %r\n  vmm:  %r" % (q_out, v_out))
            else:
                print("ok   %-14s same transcript (%d lines), both ended by %s" %
                      (name, q_out.count(b"\n"), q_end))
    print("differential: %d guest%s, %d mismatch%s" %
          (len(sections), "" if len(sections) == 1 else "s",
           failed, "" if failed == 1 else "es"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

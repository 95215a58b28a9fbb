#!/usr/bin/env python3
"""transcripts.py - check that the program output quoted in the book is real.

    python3 book/tests/transcripts.py [PAGE.md ...]

A chapter quotes the output of the labs' programs in code blocks of class
`transcript`, each naming the command that produced it:

    ```{.transcript cmd="labs/01-vm-entry/build/vmm --trace guests/out/msr.elf"}
    trace     21 X86_RDMSR msr 0x564d0000 data 0x000062616c6d6d76
    ...
    ```

This script runs each command from the top of the repository and checks
that every line of the block appears in the command's standard output or
standard error, in the block's order within each stream. In a block:

  - a line starting with "$ " shows the command as typed and is skipped;
    the line after "$ echo $?" is the exit status the command must have;
  - a line "..." stands for lines left out;
  - the exit number of a `trace` line (after its `cpuN` from lab 03 on)
    and the times of `--stats` (ms, %, ns) are not compared: they depend on the machine and on the kind of
    KVM, and the text says where they were measured;
  - on an AMD KVM (the lab machine's included) only the names of the
    registers the VMM prints after a shutdown are compared, not their
    values: KVM on AMD resets the vCPU at a SHUTDOWN intercept (the VMCB
    is undefined after one), so the VMM reads the reset state, not the
    state at the triple fault that Intel's KVM and a software one keep.

Everything else must match exactly, so a change to the VMM's output that
the text does not follow fails here with the page and line of the block.
The programs run on this machine's /dev/kvm, or, when it cannot be opened,
in the QEMU lab machine, all in one boot (grading/runners/where.py;
RUNNER=host or qemu chooses); when neither can run them this exits 77 and
says why (a project check then reports SKIP). The labs and guests must be
built (`make`) first.
"""

import os
import re
import shlex
import subprocess
import sys

BOOK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BOOK)
SKIP = 77
TIME_LIMIT = 120

if REPO not in sys.path:
    sys.path.insert(0, REPO)
from grading.runners import where               # noqa: E402
from grading.runners.job import Job             # noqa: E402

FENCE_RE = re.compile(r"^(`{3,})\s*\{([^}]*)\}\s*$")
ATTR_RE = re.compile(r'([A-Za-z][\w-]*)="([^"]*)"')
TRACE_RE = re.compile(r"^trace +(?:(cpu\d+) +)?\d+ ")
TIMING_RE = re.compile(r"in KVM_RUN|in the VMM|per exit")
DUMP_LINE_RE = re.compile(r"^vmm:   [a-z][a-z0-9]*")


def blocks(path):
    """(line number, attributes, lines) of each transcript block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m or ".transcript" not in m.group(2).split():
            i += 1
            continue
        fence, start = m.group(1), i + 1
        attrs = dict(ATTR_RE.findall(m.group(2)))
        body = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != fence:
            body.append(lines[i])
            i += 1
        yield start, attrs, body
        i += 1


def mask(line):
    """A line with the machine-dependent numbers taken out."""
    line = line.rstrip()
    line = TRACE_RE.sub(lambda m: "trace %s# " % (m.group(1) + " " if m.group(1) else ""), line)
    if TIMING_RE.search(line):
        line = " ".join(re.sub(r"[0-9.]+", "#", line).split())
    return line


def mask_all(lines, amd):
    """mask() of each line; on AMD also the values of a register dump that
    follows a shutdown, each dump line cut to its first register name."""
    out, shutdown, dump = [], False, False
    for line in lines:
        if "KVM_EXIT_SHUTDOWN" in line:
            shutdown = True
        if amd and shutdown and dump and DUMP_LINE_RE.match(line):
            out.append(DUMP_LINE_RE.match(line).group(0) + " #")
            continue
        dump = "registers at the exit" in line or \
            (dump and bool(DUMP_LINE_RE.match(line)))
        out.append(mask(line))
    return out


class Ran:
    """What one command did: exit status (None when it did not finish),
    stdout, stderr, why it did not run or finish, and whether its KVM was
    an AMD one."""

    def __init__(self, status, stdout=b"", stderr=b"", error="", amd=False):
        self.status, self.stdout, self.stderr = status, stdout, stderr
        self.error, self.amd = error, amd


def run_here(cmds):
    amd = where.cpu_virt_flag() == "svm"
    ran = []
    for cmd in cmds:
        try:
            p = subprocess.run(shlex.split(cmd), cwd=REPO, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIME_LIMIT)
            ran.append(Ran(p.returncode, p.stdout, p.stderr, amd=amd))
        except (OSError, subprocess.TimeoutExpired) as e:
            ran.append(Ran(None, error=str(e)))
    return ran


def run_in_lab_machine(mod, cmds):
    jobs = [Job("block %d" % i, shlex.split(cmd), TIME_LIMIT)
            for i, cmd in enumerate(cmds)]
    amd = mod.lab_vendor() == "amd"
    ran = []
    for r in mod.run_jobs(jobs, REPO, {}):
        if r.reason and not r.reason.startswith("left "):
            ran.append(Ran(None, error="in the lab machine: " + r.reason))
        elif r.status is None:
            ran.append(Ran(None, error="died of signal %s" % r.signal))
        else:
            ran.append(Ran(r.status, r.stdout, r.stderr, amd=amd))
    return ran


def check_block(page, lineno, attrs, body, p=None):
    """A list of problems with one block (empty when it is real), given
    what its command did (p, a Ran); without p the command runs here."""
    at = "%s:%d" % (page, lineno)
    cmd = attrs.get("cmd")
    if not cmd:
        return ["%s: a transcript block needs cmd=\"...\"" % at]
    if p is None:
        p = run_here([cmd])[0]
    if p.status is None:
        return ["%s: `%s` did not run: %s" % (at, cmd, p.error)]
    streams = [mask_all(p.stdout.decode("utf-8", "replace").splitlines(), p.amd),
               mask_all(p.stderr.decode("utf-8", "replace").splitlines(), p.amd)]
    quoted = mask_all(body, p.amd)
    pos = [0, 0]
    problems = []
    want_status = None
    for k, line in enumerate(body):
        if line.startswith("$ "):
            if line.strip() == "$ echo $?" and k + 1 < len(body):
                want_status = body[k + 1].strip()
            continue
        if want_status is not None and line.strip() == want_status and \
                k > 0 and body[k - 1].strip() == "$ echo $?":
            continue
        if line.strip() == "...":
            continue
        m = quoted[k]
        for s in (0, 1):
            try:
                pos[s] = streams[s].index(m, pos[s]) + 1
                break
            except ValueError:
                pass
        else:
            problems.append("%s: `%s` printed no line %r (at this point)"
                            % (at, cmd, line.rstrip()))
    if want_status is not None and str(p.status) != want_status:
        problems.append("%s: `%s` exited with %d, the text says %s"
                        % (at, cmd, p.status, want_status))
    return problems


def main(argv):
    pages = argv or sorted(
        os.path.join(BOOK, n) for n in os.listdir(BOOK)
        if re.match(r"^(index|ch\d\d-.*)\.md$", n))
    todo = []
    for path in pages:
        for lineno, attrs, body in blocks(path):
            todo.append((os.path.relpath(path, REPO), lineno, attrs, body))
    if not todo:
        print("transcripts: no transcript blocks")
        return 0
    problems = []
    for page, lineno, attrs, body in todo:
        if not attrs.get("cmd"):
            problems += check_block(page, lineno, attrs, body)
    todo = [t for t in todo if t[2].get("cmd")]
    try:
        place, why, mod = where.for_programs(where.requested_runner(), REPO)
    except ValueError as e:
        print("transcripts: %s" % e, file=sys.stderr)
        return 2
    if place is None:
        print("transcripts: SKIP: %s; the quoted output cannot be rerun" % why)
        return SKIP
    cmds = [attrs["cmd"] for _, _, attrs, _ in todo]
    if place == "host":
        ran = run_here(cmds)
    else:
        ran = run_in_lab_machine(mod, cmds)
    for (page, lineno, attrs, body), p in zip(todo, ran):
        problems += check_block(page, lineno, attrs, body, p)
    for p in problems:
        print("book: " + p, file=sys.stderr)
    print("transcripts: %d blocks, %d problems (run on %s)" % (
        len(todo), len(problems),
        why if place == "host" else "the lab machine's KVM, " + mod.kvm_name()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

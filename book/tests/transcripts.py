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
  - the exit number of a `trace` line and the times of `--stats` (ms, %,
    ns) are not compared: they depend on the machine and on the kind of
    KVM, and the text says where they were measured.

Everything else must match exactly, so a change to the VMM's output that
the text does not follow fails here with the page and line of the block.
The programs need a usable /dev/kvm; without one this exits 77 and says
why (a project check then reports SKIP). The labs and guests must be built
(`make`) first.
"""

import os
import re
import shlex
import subprocess
import sys

BOOK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BOOK)
SKIP = 77

FENCE_RE = re.compile(r"^(`{3,})\s*\{([^}]*)\}\s*$")
ATTR_RE = re.compile(r'([A-Za-z][\w-]*)="([^"]*)"')
TRACE_RE = re.compile(r"^trace +\d+ ")
TIMING_RE = re.compile(r"in KVM_RUN|in the VMM|per exit")


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
    line = TRACE_RE.sub("trace # ", line)
    if TIMING_RE.search(line):
        line = " ".join(re.sub(r"[0-9.]+", "#", line).split())
    return line


def check_block(page, lineno, attrs, body):
    """A list of problems with one block (empty when it is real)."""
    where = "%s:%d" % (page, lineno)
    cmd = attrs.get("cmd")
    if not cmd:
        return ["%s: a transcript block needs cmd=\"...\"" % where]
    try:
        p = subprocess.run(shlex.split(cmd), cwd=REPO, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return ["%s: `%s` did not run: %s" % (where, cmd, e)]
    streams = [[mask(l) for l in p.stdout.decode("utf-8", "replace").splitlines()],
               [mask(l) for l in p.stderr.decode("utf-8", "replace").splitlines()]]
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
        m = mask(line)
        for s in (0, 1):
            try:
                pos[s] = streams[s].index(m, pos[s]) + 1
                break
            except ValueError:
                pass
        else:
            problems.append("%s: `%s` printed no line %r (at this point)"
                            % (where, cmd, line.rstrip()))
    if want_status is not None and str(p.returncode) != want_status:
        problems.append("%s: `%s` exited with %d, the text says %s"
                        % (where, cmd, p.returncode, want_status))
    return problems


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "/dev/kvm not usable (%s)" % e.strerror
    os.close(fd)
    return None


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
    why = kvm_usable()
    if why:
        print("transcripts: SKIP: %s; the quoted output cannot be rerun" % why)
        return SKIP
    problems = []
    for page, lineno, attrs, body in todo:
        problems += check_block(page, lineno, attrs, body)
    for p in problems:
        print("book: " + p, file=sys.stderr)
    print("transcripts: %d blocks, %d problems" % (len(todo), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

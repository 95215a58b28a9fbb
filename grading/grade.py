#!/usr/bin/env python3
"""The vmmlab autograder (grading/README.md says what it reads and prints).

    python3 grading/grade.py --lab N [--runner host|qemu|auto] [--json PATH]
    python3 grading/grade.py --all   [--runner host|qemu|auto] [--json PATH]

Grades one lab (or every lab, `final/`, and then the project checks of
grading/project.ini) from the test list in the lab's tests/grade.ini: unit
tests run the lab's Check runner on this machine; guest tests run the lab's
VMM on a guest through a runner (grading/runners/) and compare its exit
status, its stdout transcript and its stderr with what the test expects.
Prints one table, `Score: X/Y`, and as the last line `N passed, N failed`
(`, N skipped` appended when tests could not run), the failed tests listed
again just above it; writes results.json in
Gradescope's format. Exit status: 0 when nothing failed, 1 when something
failed, 2 on a bad command line or a bad test list.
"""

import argparse
import configparser
import hashlib
import json
import multiprocessing
import os
import re
import resource
import shlex
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from typing import List, Optional

GRADER_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if GRADER_ROOT not in sys.path:
    sys.path.insert(0, GRADER_ROOT)

from grading.runners.job import Job, JobResult     # noqa: E402
from grading.runners import host as host_runner    # noqa: E402
from grading.runners import where                  # noqa: E402
from grading.runners.where import probe_kvm, cpu_virt_flag   # noqa: E402,F401

REASON_MAX = 160            # characters in a one-line reason
CHECK_OUTPUT_CAP = 16 * 1024 * 1024   # project checks may be chatty
DEFAULT_TIMEOUT = 30
# The lab machine's batch may take this much beyond its jobs' own limits
# (boots, reboots after a crash, copying results) before the grader stops
# waiting for it: per job, and once.
QEMU_SLACK_PER_JOB = 150
QEMU_SLACK = 300


def lab_machine_lanes():
    """How many lab machines run a batch at once: one per core, two at
    most (each is one vCPU, one core's work under TCG); VMMLAB_LANES
    overrides."""
    env = os.environ.get("VMMLAB_LANES", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))

LAB_KEYS = {"number", "title", "vmm", "unit"}
UNIT_KEYS = {"points", "timeout", "what", "lab", "partial"}
GUEST_KEYS = {"points", "timeout", "what", "lab", "guest", "args", "status",
              "transcript", "stderr", "needs", "module_options", "driver"}
CHECK_KEYS = {"command", "timeout", "what", "parallel"}
HINT_KEYS = {"lab", "tests", "match", "status", "say"}
HINT_MAX = 300              # characters in a hint
NEEDS = ("kvm", "fast-kvm", "hw-kvm", "none")
# What the needs that a software KVM cannot meet ask for.
NEEDS_HW = {"fast-kvm": "a hardware-speed KVM",
            "hw-kvm": "a KVM that behaves as VT-x or AMD-V does"}
# Needs probed where the test runs, by grading/needs.sh (a wrapper around
# the VMM): a privileged userfaultfd, and room for SIZE bytes of guest RAM.
NEEDS_PROBED_RE = re.compile(r"^(userfaultfd|mem:[0-9]+[KMG]?)$")
# A need the grader meets on this machine before anything runs: lab 04's
# Linux guest (guests/linux/build, `make linux`), built now if it can be.
NEEDS_LINUX = "linux"
LINUX_FILES = ("build/linux/bzImage", "build/linux/initramfs.cpio")
LINUX_BUILD = os.path.join("guests", "linux", "build")
NEEDS_SH = os.path.join(GRADER_ROOT, "grading", "needs.sh")
# What needs.sh says, as the first line on stderr, when a need is unmet
# (its exit status is then NEEDS_SKIP_STATUS).
NEEDS_SKIP_PREFIX = b"vmmlab-needs: skipped: "
NEEDS_SKIP_STATUS = 77
# Keys whose value is code, where a " ;" cannot be an ini comment.
NO_COMMENT_KEYS = {"stderr", "command", "match", "driver"}
INLINE_COMMENT_RE = re.compile(r"(?:^|\s);")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
# A Check failure or error line: file:line:F|E:tcase:test:iteration: message
CHECK_FAIL_RE = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>-?\d+):(?P<kind>[FE]):(?P<tcase>[^:\n]*):"
    r"(?P<test>[^:\n]*):(?P<iter>-?\d+):\s?(?P<msg>.*)$", re.M)
CHECK_SUMMARY_RE = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


class ConfigError(Exception):
    """A bad test list or command line: one line, exit status 2."""


@dataclass
class Test:
    name: str                   # the section name, e.g. "guest.hello16"
    kind: str                   # "unit", "guest", "cli" or "check"
    points: float
    timeout: float
    what: str = ""
    lab: object = None          # the lab's number, "final", or "project"
    since: Optional[int] = None  # the lab the test starts in (key `lab`)
    # An earlier lab's test, run again in a later lab: reported, no points.
    regression: bool = False
    timeout_scale: float = 1.0      # --timeout-scale, already in timeout
    # guest tests
    guest: str = ""
    args: List[str] = field(default_factory=list)
    status: int = 0
    transcript: Optional[bytes] = None
    stderr_re: Optional[object] = None
    needs: str = "kvm"
    probes: List[str] = field(default_factory=list)  # userfaultfd, mem:SIZE
    module_options: str = ""
    linux: bool = False         # needs lab 04's Linux guest (build/linux)
    driver: List[str] = field(default_factory=list)  # runs the VMM (key `driver`)
    # unit tests
    partial: bool = False
    # project checks
    command: str = ""
    parallel: bool = False      # may run beside the other checks (key `parallel`)
    # outcome
    result: str = ""            # "PASS", "FAIL" or "SKIP"
    earned: float = 0
    reason: str = ""
    hint: str = ""              # what the evidence points to, from a [hint.*]
    detail: Optional[JobResult] = None
    job: Optional[Job] = None
    seconds: float = 0.0        # wall time of its run (in the lab machine: its job's)
    ran: str = ""               # where it ran: "host" or "qemu"
    cpu: Optional[float] = None  # project checks: CPU seconds, children included


@dataclass
class Lab:
    number: object              # an int, or "final"
    title: str
    path: str                   # absolute
    rel: str                    # relative to the repository root
    root: str = ""              # the repository's absolute path
    vmm: str = ""               # relative to the repository root
    unit: str = ""
    tests: List[Test] = field(default_factory=list)
    hints: List["Hint"] = field(default_factory=list)
    seconds: float = 0.0        # wall time of grading it
    batch: float = 0.0          # wall time of its lab machine batch (boots included)
    batch_jobs: int = 0
    # {test name: JobResult}: its lab machine tests' results, when they
    # ran in one batch with other labs' (prefetch_lab_machine())
    prefetched: Optional[dict] = None


@dataclass
class Hint:
    """A `[hint.NAME]` section: what a failure with this evidence most
    likely means (grading/README.md, "Hints")."""
    name: str
    say: str
    tests: List[str] = field(default_factory=list)   # empty: any test
    match: Optional[object] = None                   # searched in stdout and stderr
    status: Optional[int] = None


# ---------------------------------------------------------------- text helpers

def clean(text, limit=REASON_MAX):
    """One printable line of at most limit characters."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    text = " ".join(str(text).split())
    text = "".join(c if c.isprintable() else "\\x%02x" % (ord(c) & 0xff)
                   for c in text)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def fmt_num(x):
    return "%d" % x if float(x).is_integer() else "%g" % x


def sig_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def plural(n, word, words=None):
    return "%d %s" % (n, word if n == 1 else (words or word + "s"))


def quote_line(b, limit=60):
    s = b.decode("utf-8", "backslashreplace")
    r = repr(s)
    if len(r) > limit:
        r = r[:limit - 4] + "...'"
    return r


def transcript_diff(expected, got):
    """Where two transcripts first differ, as one line; "" when equal."""
    if expected == got:
        return ""
    exp = expected.splitlines(keepends=True)
    out = got.splitlines(keepends=True)
    i = 0
    while i < len(exp) and i < len(out) and exp[i] == out[i]:
        i += 1
    where = "transcript differs at line %d: " % (i + 1)
    if i >= len(out):
        return where + "missing line (expected %s)" % quote_line(exp[i].rstrip(b"\n"))
    if i >= len(exp):
        return where + "extra line %s" % quote_line(out[i].rstrip(b"\n"))
    e, g = exp[i], out[i]
    if e.rstrip(b"\n") != g.rstrip(b"\n"):
        e, g = e.rstrip(b"\n"), g.rstrip(b"\n")
    return where + "expected %s, got %s" % (quote_line(e), quote_line(g))


def first_line(b):
    for line in b.decode("utf-8", "backslashreplace").splitlines():
        if line.strip():
            return line
    return ""


def last_line(b):
    lines = [l for l in b.decode("utf-8", "backslashreplace").splitlines() if l.strip()]
    return lines[-1] if lines else ""


# ---------------------------------------------------------------- test lists

def ini_parser():
    # Inline comments are taken out by strip_comments(), not here.
    return configparser.ConfigParser(interpolation=None,
                                     comment_prefixes=(";", "#"),
                                     strict=True, default_section="\0none")


def strip_comments(cp, rel):
    """A ';' after a space starts a comment, as in any ini file, except in
    a value that is code (a stderr pattern, a shell command), where the
    grader cannot tell a comment from the code: there it is an error."""
    for name in cp.sections():
        for key, value in cp.items(name):
            lines = value.split("\n")
            for i, line in enumerate(lines):
                m = INLINE_COMMENT_RE.search(line)
                if not m:
                    continue
                if key in NO_COMMENT_KEYS:
                    raise ConfigError(
                        "%s: [%s]: %s: a ';' after a space would start a "
                        "comment here: write it [;] or \\; in a pattern, with no "
                        "space before it in a command, or put the comment on a "
                        "line of its own" % (rel, name, key))
                lines[i] = line[:m.start()].rstrip()
            cp.set(name, key, "\n".join(lines).strip())


def read_ini(path, root):
    rel = os.path.relpath(path, root)
    cp = ini_parser()
    try:
        with open(path, encoding="utf-8") as f:
            cp.read_file(f, source=rel)
    except OSError as e:
        raise ConfigError("%s: %s" % (rel, e.strerror))
    except (configparser.Error, UnicodeDecodeError) as e:
        raise ConfigError("%s: %s" % (rel, clean(e, 300)))
    strip_comments(cp, rel)
    return cp, rel


def get_number(sec, key, where, default=None, integer=False):
    raw = sec.get(key)
    if raw is None or raw == "":
        if default is None:
            raise ConfigError("%s: missing '%s'" % (where, key))
        return default
    try:
        v = int(raw, 0) if integer else float(raw)
    except ValueError:
        raise ConfigError("%s: %s = %r is not %s" % (
            where, key, raw, "an integer" if integer else "a number"))
    if not integer and (v < 0 or v != v or v == float("inf")):
        raise ConfigError("%s: %s = %r must be a non-negative number" % (where, key, raw))
    if not integer and v.is_integer():
        v = int(v)
    return v


def get_bool(sec, key, where):
    raw = sec.get(key, "no").strip().lower()
    if raw not in ("yes", "no"):
        raise ConfigError("%s: %s = %r (yes or no)" % (where, key, raw))
    return raw == "yes"


def get_needs(sec, kind, where):
    """`needs`: one kind of KVM (kvm, fast-kvm, hw-kvm or none; by default
    kvm, none for a cli test) and any needs probed where the test runs."""
    words = sec.get("needs", "").split()
    kinds = [w for w in words if w in NEEDS]
    probes = [w for w in words if w not in NEEDS and w != NEEDS_LINUX]
    for w in probes:
        if not NEEDS_PROBED_RE.match(w):
            raise ConfigError("%s: needs: unknown '%s' (one of: %s, and "
                              "userfaultfd, mem:SIZE, linux)" % (where, w, ", ".join(NEEDS)))
    if len(kinds) > 1:
        raise ConfigError("%s: needs: %s: one of %s at most" % (
            where, " and ".join(kinds), ", ".join(NEEDS)))
    return (kinds[0] if kinds else "none" if kind == "cli" else "kvm"), probes


def get_since(sec, where, number):
    """The optional `lab` key: the lab a test starts in, this lab or an
    earlier one (any lab in final/)."""
    raw = sec.get("lab")
    if raw is None:
        return None
    raw = raw.strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError("%s: lab = %r is not a lab number" % (where, raw))
    if isinstance(number, int) and int(raw) > number:
        raise ConfigError("%s: lab = %s, later than this lab (%d)" % (
            where, raw, number))
    return int(raw)


def check_keys(sec, allowed, where):
    for key in sec:
        if key not in allowed:
            raise ConfigError("%s: unknown key '%s' (known: %s)" % (
                where, key, ", ".join(sorted(allowed))))


def built_in(value, build, where):
    """A grade.ini path under build/, moved to the folder `build` instead."""
    if not build:
        return value
    first, _, rest = value.strip().partition("/")
    if first != "build" or not rest:
        raise ConfigError("%s: --build %s: '%s' is not under build/" % (where, build, value))
    return os.path.join(build, rest)


def load_lab(root, number, path, build=None):
    ini = os.path.join(path, "tests", "grade.ini")
    cp, rel = read_ini(ini, root)
    lab = Lab(number=number, title="", path=path, rel=os.path.relpath(path, root),
              root=os.path.abspath(root))
    if not cp.has_section("lab"):
        raise ConfigError("%s: missing the [lab] section" % rel)
    sec = cp["lab"]
    where = "%s: [lab]" % rel
    check_keys(sec, LAB_KEYS, where)
    declared = sec.get("number", "").strip()
    if isinstance(number, int):
        if not declared.isdigit() or int(declared) != number:
            raise ConfigError("%s: number = %s, but the folder is lab %d" % (
                where, declared or "(missing)", number))
    lab.title = sec.get("title", "").strip()
    if sec.get("vmm"):
        lab.vmm = os.path.normpath(os.path.join(lab.rel, built_in(sec["vmm"], build, where)))
    if sec.get("unit"):
        lab.unit = os.path.normpath(os.path.join(lab.rel, built_in(sec["unit"], build, where)))

    hints = []
    for name in cp.sections():
        if name == "lab":
            continue
        where = "%s: [%s]" % (rel, name)
        kind, _, short = name.partition(".")
        if kind == "hint" and NAME_RE.match(short):
            hints.append((name, where))
            continue
        if kind not in ("unit", "guest", "cli") or not NAME_RE.match(short):
            raise ConfigError("%s: a test section is named unit.<suite>, guest.<name> "
                              "or cli.<name> (or hint.<name> for a hint)" % where)
        sec = cp[name]
        t = Test(name=name, kind=kind, lab=lab.number,
                 points=get_number(sec, "points", where),
                 timeout=get_number(sec, "timeout", where, DEFAULT_TIMEOUT),
                 what=clean(sec.get("what", ""), 200))
        if t.timeout <= 0:
            raise ConfigError("%s: timeout must be more than 0" % where)
        t.since = get_since(sec, where, lab.number)
        # In a lab (not final/), an earlier lab's test is regression.
        t.regression = (isinstance(lab.number, int) and t.since is not None
                        and t.since < lab.number)
        if kind == "unit":
            check_keys(sec, UNIT_KEYS, where)
            if not lab.unit:
                raise ConfigError("%s: a unit test needs 'unit' in [lab]" % where)
            t.partial = get_bool(sec, "partial", where)
        else:
            check_keys(sec, GUEST_KEYS, where)
            load_guest(t, sec, where, lab, root)
        lab.tests.append(t)
    if not lab.tests:
        raise ConfigError("%s: no tests" % rel)
    names = {t.name for t in lab.tests}
    for name, where in hints:
        lab.hints.append(load_hint(cp[name], name, where, lab, names))
    return lab


def load_hint(sec, name, where, lab, names):
    """A [hint.NAME] section: `say` when a failed test shows the evidence
    (`match`, a regular expression searched in its stdout and stderr, and
    `status`, its exit status), for the `tests` named (any, if none)."""
    check_keys(sec, HINT_KEYS, where)
    get_since(sec, where, lab.number)
    h = Hint(name=name, say=clean(sec.get("say", ""), HINT_MAX))
    if not h.say:
        raise ConfigError("%s: missing 'say'" % where)
    h.tests = sec.get("tests", "").split()
    for t in h.tests:
        if t not in names:
            raise ConfigError("%s: tests: %s is not a test of this list" % (where, t))
    if sec.get("match"):
        try:
            h.match = re.compile(sec["match"], re.M)
        except re.error as e:
            raise ConfigError("%s: match: bad regular expression: %s" % (where, e))
    if sec.get("status", "").strip():
        h.status = get_number(sec, "status", where, integer=True)
    if h.match is None and h.status is None:
        raise ConfigError("%s: a hint needs 'match' or 'status' (its evidence)" % where)
    return h


def load_guest(t, sec, where, lab, root):
    if not lab.vmm:
        raise ConfigError("%s: a guest test needs 'vmm' in [lab]" % where)
    t.guest = sec.get("guest", "").strip()
    # Lab 04's Linux is no file of guests/out: its args name the kernel.
    t.linux = NEEDS_LINUX in sec.get("needs", "").split()
    if not t.guest and t.kind != "cli" and not t.linux:
        raise ConfigError("%s: missing 'guest'" % where)
    try:
        t.args = shlex.split(sec.get("args", ""))
    except ValueError as e:
        raise ConfigError("%s: args: %s" % (where, e))
    t.status = get_number(sec, "status", where, integer=True)
    # A cli test exercises the command line and normally needs no KVM.
    t.needs, t.probes = get_needs(sec, t.kind, where)
    t.module_options = sec.get("module_options", "").strip()
    try:
        t.driver = shlex.split(sec.get("driver", ""))
    except ValueError as e:
        raise ConfigError("%s: driver: %s" % (where, e))
    if t.driver and (os.path.isabs(t.driver[0]) or t.driver[0].startswith("..")):
        raise ConfigError("%s: driver: %s is not a path in the repository" % (
            where, t.driver[0]))
    if sec.get("transcript"):
        path = os.path.join("guests", sec["transcript"].strip())
        try:
            with open(os.path.join(root, path), "rb") as f:
                t.transcript = f.read()
        except OSError as e:
            raise ConfigError("%s: transcript %s: %s" % (where, path, e.strerror))
    if sec.get("stderr"):
        try:
            t.stderr_re = re.compile(sec["stderr"], re.M)
        except re.error as e:
            raise ConfigError("%s: stderr: bad regular expression: %s" % (where, e))


def find_labs(root):
    """[(number, path)] of every lab with a test list, in order; final/ last."""
    labs = []
    top = os.path.join(root, "labs")
    try:
        names = os.listdir(top)
    except OSError:
        names = []
    for name in names:
        m = re.match(r"^(\d+)-", name)
        path = os.path.join(top, name)
        if m and os.path.isfile(os.path.join(path, "tests", "grade.ini")):
            labs.append((int(m.group(1)), path))
    labs.sort()
    final = os.path.join(root, "final")
    if os.path.isfile(os.path.join(final, "tests", "grade.ini")):
        labs.append(("final", final))
    return labs


def find_lab(root, which):
    if which == "final":
        path = os.path.join(root, "final")
        if not os.path.isfile(os.path.join(path, "tests", "grade.ini")):
            raise ConfigError("final/tests/grade.ini not found")
        return "final", path
    if not which.isdigit():
        raise ConfigError("--lab %s: expected a lab number (1, 02, ...) or 'final'" % which)
    n = int(which)
    top = os.path.join(root, "labs")
    try:
        names = sorted(os.listdir(top))
    except OSError:
        names = []
    for name in names:
        m = re.match(r"^(\d+)-", name)
        if m and int(m.group(1)) == n:
            path = os.path.join(top, name)
            if not os.path.isfile(os.path.join(path, "tests", "grade.ini")):
                raise ConfigError("labs/%s has no tests/grade.ini" % name)
            return n, path
    raise ConfigError("no lab %d: no folder labs/%02d-*" % (n, n))


def load_checks(root):
    path = os.path.join(root, "grading", "project.ini")
    if not os.path.isfile(path):
        return []
    cp, rel = read_ini(path, root)
    checks = []
    for name in cp.sections():
        where = "%s: [%s]" % (rel, name)
        kind, _, short = name.partition(".")
        if kind != "check" or not NAME_RE.match(short):
            raise ConfigError("%s: a section is named check.<name>" % where)
        sec = cp[name]
        check_keys(sec, CHECK_KEYS, where)
        if not sec.get("command", "").strip():
            raise ConfigError("%s: missing 'command'" % where)
        t = Test(name=name, kind="check", points=0, lab="project",
                 timeout=get_number(sec, "timeout", where, 300),
                 what=clean(sec.get("what", ""), 200),
                 command=sec["command"].strip(),
                 parallel=get_bool(sec, "parallel", where))
        if t.timeout <= 0:
            raise ConfigError("%s: timeout must be more than 0" % where)
        checks.append(t)
    return checks


# ---------------------------------------------------------------- runners

@dataclass
class Choice:
    name: Optional[str]         # "host", "qemu", or None (guest tests skip)
    why: str
    kvm_ok: bool
    kvm_why: str
    hw_flag: str                # "vmx", "svm" or ""
    qemu: object = None         # the qemu runner module, when chosen
    skip_why: str = ""          # why guest tests skip, when name is None
    auto: bool = False          # chosen by RUNNER=auto
    probe: object = None        # () -> (qemu module or None, why)
    probed: object = None       # probe's answer, once asked

    def lab_machine(self):
        """The lab machine's runner module, or None, and why."""
        if self.probed is None:
            self.probed = self.probe() if self.probe else (None, "no lab machine")
        return self.probed


def probe_qemu(root, reason=None):
    """(module or None, one line saying why) for the lab-machine runner,
    building the lab machine first when it is not built and can be; reason
    says why it is wanted, for the line that announces a build (by default
    from RUNNER and this machine's /dev/kvm)."""
    if reason is None:
        reason = where.tests_reason(where.requested_runner_or_auto(),
                                    where.host_kvm())
    return where.lab_machine(root, reason)


def choose_runner(requested, source, kvm_dev, cpuinfo="/proc/cpuinfo",
                  qemu_probe=None):
    """Pick the runner for guest tests (grading/README.md, "Runners")."""
    kvm_ok, kvm_why = probe_kvm(kvm_dev)
    flag = cpu_virt_flag(cpuinfo) if kvm_ok else ""
    kind = ("%s is hardware-backed: %s" % (kvm_dev, flag) if flag
            else "software KVM" if kvm_ok else kvm_why)
    c = Choice(None, "", kvm_ok, kvm_why, flag, probe=qemu_probe,
               auto=requested == "auto")
    if requested == "host":
        c.name = "host" if kvm_ok else None
        c.why = "%s; %s" % (source, kind)
        c.skip_why = kvm_why
        return c
    if requested == "qemu":
        mod, qwhy = c.lab_machine()
        if mod is not None:
            c.name, c.qemu = "qemu", mod
            c.why = "%s; %s" % (source, qwhy)
        else:
            c.why = "%s, but %s" % (source, qwhy)
            c.skip_why = qwhy
        return c
    # auto: a hardware KVM here, else the lab machine, built now if it
    # must be, else a software KVM here.
    if kvm_ok and flag:
        c.name = "host"
        c.why = kind
        return c
    mod, qwhy = c.lab_machine()
    if mod is not None:
        c.name, c.qemu = "qemu", mod
        c.why = "%s on this machine; %s" % (kind, qwhy)
    elif kvm_ok:
        c.name = "host"
        c.why = "software KVM; %s" % qwhy
    else:
        c.why = c.skip_why = "%s; %s" % (kind, qwhy)
    return c


def target(t, choice):
    """Where test t runs: ("host"|"qemu", "") or (None, skip reason)."""
    if t.kind not in ("guest", "cli") or t.needs == "none":
        return "host", ""
    if choice.name is None:
        return None, "skipped: " + (choice.skip_why or choice.why)
    if choice.name == "qemu":
        return "qemu", ""
    if not choice.kvm_ok:
        return None, "skipped: " + choice.kvm_why
    if t.module_options:
        # Only the lab machine can load KVM with other parameters.
        mod, why = choice.lab_machine() if choice.auto else (None, "")
        if mod is not None:
            choice.qemu = mod
            return "qemu", ""
        return None, ("skipped: needs KVM module options '%s', which only the "
                      "lab machine can set (%s)" % (t.module_options,
                                                    no_lab_machine(choice)))
    if t.needs in NEEDS_HW and not choice.hw_flag:
        return None, ("skipped: needs %s; this machine's is software-only "
                      "(the lab machine runs it; %s)"
                      % (NEEDS_HW[t.needs], no_lab_machine(choice)))
    return "host", ""


def no_lab_machine(choice):
    """Why there is no lab machine, as far as the choice found out."""
    if choice.probed and choice.probed[0] is None and choice.probed[1]:
        return choice.probed[1]
    return "make labvm"


class LabMachineTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise LabMachineTimeout()


def run_qemu_bounded(mod, jobs, root, opts):
    """Run the lab machine's batch under an alarm, so that a stuck lab
    machine cannot hang the grader; the exception it raises unwinds the
    runner, which stops QEMU on its way out. Returns {name: JobResult}."""
    limit = sum(j.timeout for j in jobs) + QEMU_SLACK_PER_JOB * len(jobs) + QEMU_SLACK
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        results = mod.run_jobs(jobs, root, dict(opts or {}, lanes=lab_machine_lanes()))
        why = ""
    except LabMachineTimeout:
        results, why = [], "the lab machine did not answer within %ss" % fmt_num(limit)
    except Exception as e:
        results, why = [], "the lab machine failed: %s" % clean(e, 100)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    got = {r.name: r for r in (results or [])}
    for j in jobs:
        if j.name not in got:
            got[j.name] = JobResult(j.name, None, None, b"", b"",
                                    reason=why or "the lab machine returned no result")
    return got


# ---------------------------------------------------------------- judging

def make_job(t, lab, program=None):
    """The job that runs test t: its VMM or unit-test runner, or `program`
    instead (a path relative to the repository: a mutant's VMM)."""
    if t.kind == "unit":
        suite = t.name.partition(".")[2]
        env = {"CK_RUN_SUITE": suite, "CK_FORK": "yes", "CK_VERBOSITY": "normal"}
        if t.timeout_scale != 1:
            env["CK_TIMEOUT_MULTIPLIER"] = "%g" % t.timeout_scale
        return Job(name=t.name, argv=[program or lab.unit], timeout=t.timeout,
                   env=env)
    if t.kind == "check":
        return Job(name=t.name, argv=["/bin/sh", "-c", t.command],
                   timeout=t.timeout, output_cap=CHECK_OUTPUT_CAP)
    # A driver runs the VMM itself: its words, then the VMM's command line.
    argv = t.driver + [program or lab.vmm] + t.args
    if t.guest:
        argv.append(os.path.join("guests", "out", t.guest))
    if t.probes:
        # Probed where the job runs: on this machine or in the lab machine.
        sh = NEEDS_SH
        if lab.root and not os.path.relpath(sh, lab.root).startswith(".."):
            sh = os.path.relpath(sh, lab.root)
        argv = ["/bin/sh", sh] + t.probes + ["--"] + argv
    return Job(name=t.name, argv=argv, timeout=t.timeout,
               module_options=t.module_options)


def missing_file(t, lab, root):
    """A one-line reason when what the test runs has not been built."""
    if t.kind == "unit":
        if not os.path.isfile(os.path.join(root, lab.unit)):
            return "unit-test runner %s not built (make -C %s)" % (lab.unit, lab.rel)
    elif t.kind in ("guest", "cli"):
        if not os.path.isfile(os.path.join(root, lab.vmm)):
            return "VMM %s not built (make -C %s)" % (lab.vmm, lab.rel)
        # A cli test may name a missing guest on purpose.
        g = os.path.join("guests", "out", t.guest)
        if t.kind == "guest" and t.guest and not os.path.isfile(os.path.join(root, g)):
            return "guest %s not built (make -C guests)" % g
        if t.driver and not os.path.isfile(os.path.join(root, t.driver[0])):
            return "driver %s not built (make -C guests)" % t.driver[0]
    return ""


_linux = {}


def linux_guest(root):
    """"" when lab 04's Linux guest is in build/linux/, built now (once per
    run, its progress on stderr) if it is not or is stale; else why not."""
    if root in _linux:
        return _linux[root]
    build = os.path.join(root, LINUX_BUILD)
    why = ""
    if not os.path.isfile(build):
        why = "%s is not here" % LINUX_BUILD
    else:
        p = subprocess.run([sys.executable, build], cwd=root,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sys.stderr.write(p.stdout.decode("utf-8", "replace"))
        if p.returncode:
            why = "%s failed: %s" % (LINUX_BUILD, last_line(p.stderr) or
                                     "exit status %d" % p.returncode)
    if not why:
        for f in LINUX_FILES:
            if not os.path.isfile(os.path.join(root, f)):
                why = "%s is missing after %s" % (f, LINUX_BUILD)
    _linux[root] = why
    return why


def is_leftover(reason):
    return reason.startswith("left ")


def probe_skip(t, r):
    """"skipped: why" when grading/needs.sh found a need of t unmet where
    it ran, else ""."""
    if (not t.probes or r.signal is not None or r.reason or
            r.status != NEEDS_SKIP_STATUS or
            not r.stderr.startswith(NEEDS_SKIP_PREFIX)):
        return ""
    return "skipped: " + first_line(r.stderr[len(NEEDS_SKIP_PREFIX):])


def checks_passed(r):
    """(passed, total) from Check's summary line, or None."""
    text = (r.stdout + b"\n" + r.stderr).decode("utf-8", "backslashreplace")
    s = CHECK_SUMMARY_RE.search(text)
    if not s or r.signal is not None or r.reason:
        return None
    total = int(s.group(1))
    return max(0, total - int(s.group(2)) - int(s.group(3))), total


def judge(t, r):
    """The one-line reason test t failed given its run r, or "" on a pass."""
    if r.reason and not is_leftover(r.reason):
        return r.reason
    if t.kind == "unit":
        why = judge_unit(t, r)
    elif t.kind == "check":
        why = judge_check(r)
    else:
        why = judge_guest(t, r)
    if r.reason:
        why = "%s; %s" % (why, r.reason) if why else r.reason
    return why


def judge_guest(t, r):
    if r.signal is not None:
        return "crashed: %s" % sig_name(r.signal)
    if r.status is None:
        return "did not finish"
    if r.status != t.status:
        why = "exit status %d, expected %d" % (r.status, t.status)
        hint = first_line(r.stderr)
        return "%s (stderr: %s)" % (why, hint) if hint else why
    if t.transcript is not None:
        diff = transcript_diff(t.transcript, r.stdout)
        if diff:
            return diff
    if t.stderr_re is not None:
        text = r.stderr.decode("utf-8", "backslashreplace")
        if not t.stderr_re.search(text):
            return "stderr does not match /%s/" % t.stderr_re.pattern
    return ""


def judge_unit(t, r):
    text = (r.stdout + b"\n" + r.stderr).decode("utf-8", "backslashreplace")
    m = CHECK_FAIL_RE.search(text)
    failure = ""
    if m:
        failure = "%s (%s:%s): %s" % (m.group("test"), m.group("file"),
                                      m.group("line"), m.group("msg").strip())
    if r.signal is not None:
        why = "crashed: %s" % sig_name(r.signal)
        return "%s; %s" % (why, failure) if failure else why
    if r.status != 0:
        if failure:
            return failure
        hint = last_line(r.stderr) or last_line(r.stdout)
        why = "exit status %s" % r.status
        return "%s: %s" % (why, hint) if hint else why
    s = CHECK_SUMMARY_RE.search(text)
    if s and int(s.group(1)) == 0:
        return "suite '%s' ran no tests (is it in the runner?)" % t.name.partition(".")[2]
    return ""


# A project check that exits with this status could not run here (the
# automake convention); its last line of output says why.
CHECK_SKIP_STATUS = 77


def check_skipped(t, r):
    return (t.kind == "check" and r.signal is None and not r.reason and
            r.status == CHECK_SKIP_STATUS)


def fail_line(b):
    """A check's first line that starts with FAIL: the failure it found,
    which a last line ('OK' of a unittest run before it) does not say."""
    for line in b.decode("utf-8", "backslashreplace").splitlines():
        if line.startswith("FAIL"):
            return line
    return ""


def judge_check(r):
    if r.signal is not None:
        return "crashed: %s" % sig_name(r.signal)
    if r.status != 0:
        hint = (fail_line(r.stdout) or fail_line(r.stderr) or
                last_line(r.stderr) or last_line(r.stdout))
        why = "exit status %s" % r.status
        return "%s: %s" % (why, hint) if hint else why
    return ""


def settle(t, r, why):
    t.detail = r
    t.reason = clean(why)
    if why:
        t.result, t.earned = "FAIL", 0
        got = checks_passed(r) if t.partial else None
        if got and got[1]:
            # partial = yes: points x passed checks / checks, to 0.01.
            t.earned = round(t.points * got[0] / got[1], 2)
            t.reason = clean("%d of %d checks passed; %s" % (got[0], got[1], why))
        # A failure in the lab machine names the console log of its boot
        # (kernel and KVM messages), unless the reason already does.
        log = getattr(r, "log", "")
        if log and "(log: " not in t.reason:
            tail = " (log: %s)" % log
            t.reason = clean(t.reason, REASON_MAX - len(tail)) + tail
    else:
        t.result, t.earned = "PASS", t.points
    if t.regression:
        t.earned = 0


def find_hint(t, r, hints):
    """The first hint whose evidence the failed run r of test t shows."""
    if t.result != "FAIL" or r is None:
        return ""
    text = None
    for h in hints:
        if h.tests and t.name not in h.tests:
            continue
        if h.status is not None and (r.signal is not None or r.status != h.status):
            continue
        if h.match is not None:
            if text is None:
                text = (r.stdout + b"\n" + r.stderr).decode("utf-8", "backslashreplace")
            if not h.match.search(text):
                continue
        return h.say
    return ""


# ---------------------------------------------------------------- the report

class Report:
    def __init__(self, verbose=False):
        self.lines = []
        self.verbose = verbose

    def say(self, line=""):
        self.lines.append(line)
        print(line, flush=True)

    def text(self):
        return "\n".join(self.lines) + "\n"


def table_head(rep, width):
    rep.say("  %-*s  %7s  %-6s  %s" % (width, "test", "points", "result", "reason"))


def table_row(rep, t, width):
    pts = ("-" if t.kind == "check" or t.regression
           else "%s/%s" % (fmt_num(t.earned), fmt_num(t.points)))
    line = "  %-*s  %7s  %-6s  %s" % (width, t.name, pts, t.result, t.reason)
    rep.say(line.rstrip())
    if t.hint:
        rep.say("      hint: %s" % t.hint)
    if rep.verbose and t.result == "FAIL" and t.job is not None:
        env = ["%s=%s" % kv for kv in sorted(t.job.env.items())]
        rep.say("      run: %s" % clean(shlex.join(env + t.job.argv), 300))
    # A failed project check shows its output's end even without -v: it
    # runs once, in CI too, and its one-line reason may not be enough.
    if ((rep.verbose or t.kind == "check") and t.result == "FAIL" and
            t.detail is not None):
        for label, data in (("stdout", t.detail.stdout), ("stderr", t.detail.stderr)):
            lines = data.decode("utf-8", "backslashreplace").splitlines()
            if not lines:
                continue
            shown = lines[-20:]
            rep.say("      %s%s:" % (label, " (last 20 lines)" if len(lines) > 20 else ""))
            for l in shown:
                rep.say("        " + clean(l, 200))


def scored(t):
    """Does t count in a score? Not a project check, nor regression."""
    return t.kind != "check" and not t.regression


def score_line(tests, label=""):
    earned = sum(t.earned for t in tests if scored(t))
    total = sum(t.points for t in tests if scored(t))
    skipped = [t for t in tests if t.result == "SKIP" and scored(t)]
    line = "Score: %s/%s" % (fmt_num(earned), fmt_num(total))
    if label:
        line += " " + label
    if skipped:
        line += " (%s worth %s points did not run and earned nothing)" % (
            plural(len(skipped), "skipped test"),
            fmt_num(sum(t.points for t in skipped)))
    return line


def skip_banner(rep, tests):
    skipped = [t for t in tests if t.result == "SKIP"]
    if not skipped:
        return
    why = {}
    for t in skipped:
        why.setdefault(t.reason[len("skipped: "):], []).append(t)
    bar = "*" * 72
    rep.say(bar)
    rep.say("*** %s did NOT run and earned no points." % plural(len(skipped), "test"))
    for reason, ts in why.items():
        rep.say("*** %d: %s" % (len(ts), reason))
    rep.say("*** SKIP is not PASS: grade on a machine where these tests can run.")
    rep.say(bar)


def failed_list(rep, labs, checks):
    """Every failed test again, one line each, just above the closing
    line: a log cut to its last lines (CI's) still names them."""
    rows = []
    for lab in labs:
        label = "lab %02d" % lab.number if isinstance(lab.number, int) else "final"
        for t in lab.tests:
            if t.result == "FAIL":
                kind = " (regression)" if t.regression else ""
                rows.append("%s %s%s: %s" % (label, t.name, kind, t.reason))
    rows += ["%s: %s" % (t.name, t.reason) for t in checks if t.result == "FAIL"]
    if not rows:
        return
    rep.say("Failed:")
    for row in rows:
        rep.say("  " + row)


def plan_tests(tests, lab, choice, root):
    """Where each test runs: [(test, "host", "qemu" or None)]. A test that
    cannot run is settled here: SKIP with the reason, or FAIL when a file
    it needs is missing (where None)."""
    plan = []
    for t in tests:
        where, skip = target(t, choice)
        if where is not None and t.linux and linux_guest(root):
            where, skip = None, "skipped: no Linux guest: " + linux_guest(root)
        if where is None:
            t.result, t.reason = "SKIP", clean(skip)
        else:
            missing = missing_file(t, lab, root) if lab else ""
            if missing:
                t.result, t.reason = "FAIL", clean(missing)
                where = None
        plan.append((t, where))
    return plan


# A lab machine job that failed while the machine stood still this long
# (jobrun's "stall": its timers late by that much) runs once more, alone.
STALL_RERUN = 1.0


def rerun_stalled(runs, mod, root, opts):
    """runs: [(test, job, its JobResult from the lab machine)]. Each job
    whose test failed while its lab machine stood still for STALL_RERUN s
    or more (a guest's watchdog or clock may have run out for that alone)
    runs once more, all of them in one batch in the lab machine `mod`,
    and that run's result counts. Returns {job name: JobResult} of the
    new runs."""
    again = [(t, j, r) for t, j, r in runs if r.stall >= STALL_RERUN
             and not probe_skip(t, r) and judge(t, r)]
    if not again:
        return {}
    log = (opts or {}).get("log") or (lambda msg: None)
    jobs = []
    for i, (t, j, r) in enumerate(again):
        log("lab machine: %s failed while the lab machine stood still for "
            "%.1f s: run again" % (j.name, r.stall))
        jobs.append(replace(j, name="again-%d/%s" % (i, j.name)))
    got = run_qemu_bounded(mod, jobs, root, opts)
    return {j.name: replace(got[k.name], name=j.name)
            for (_, j, _), k in zip(again, jobs)}


def run_lab_machine(mod, runs, root, opts):
    """runs: [(test, job)], run in one batch in the lab machine `mod`, and
    those that failed in a stall once more (rerun_stalled()). Returns
    {job name: JobResult}."""
    got = run_qemu_bounded(mod, [j for _, j in runs], root, opts)
    got.update(rerun_stalled([(t, j, got[j.name]) for t, j in runs],
                             mod, root, opts))
    return got


def prefetch_lab_machine(labs, choice, root, opts):
    """The lab machine tests of every lab in one batch, before any lab is
    graded: the lanes stay busy to the end (one lab's long tests beside
    another's short ones), and each lane boots once, not once per lab.
    Each lab's grading then takes its results from lab.prefetched.
    Returns (seconds, jobs); (0, 0) when fewer than two labs have such
    tests, which then run as before, one batch per lab."""
    owner = {}
    for lab in labs:
        for t, where in plan_tests(in_order(lab), lab, choice, root):
            if where == "qemu":
                name = "%s/%s" % (os.path.basename(lab.rel), t.name)
                t.job = replace(make_job(t, lab), name=name)
                owner[name] = (lab, t)
    if len({id(lab) for lab, _ in owner.values()}) < 2:
        return 0.0, 0
    t0 = time.monotonic()
    got = run_lab_machine(choice.qemu, [(t, t.job) for _, t in owner.values()],
                          root, opts)
    for name, (lab, t) in owner.items():
        if lab.prefetched is None:
            lab.prefetched = {}
        lab.prefetched[t.name] = replace(got[name], name=t.name)
    return time.monotonic() - t0, len(owner)


def grade_tests(rep, tests, lab, choice, root, opts, width, boundary=None):
    """Run and print the tests of one lab (or the project checks) in order;
    boundary = (i, f): call f() before printing tests[i]."""
    plan = plan_tests(tests, lab, choice, root)
    qemu_results = lab.prefetched if lab else None
    hints = lab.hints if lab else []
    for i, (t, where) in enumerate(plan):
        if boundary and i == boundary[0]:
            boundary[1]()
        t.ran = where or ""
        if where == "host":
            run_on_host(t, lab, root, opts)
        elif where == "qemu":
            if qemu_results is None:
                for u, w in plan:
                    if w == "qemu":
                        u.job = make_job(u, lab)
                runs = [(u, u.job) for u, w in plan if w == "qemu"]
                t0 = time.monotonic()
                qemu_results = run_lab_machine(choice.qemu, runs, root, opts)
                if lab:
                    lab.batch = time.monotonic() - t0
                    lab.batch_jobs = len(runs)
            r = qemu_results[t.name]
            t.seconds = r.seconds
            if probe_skip(t, r):
                t.detail = r
                t.result = "SKIP"
                t.reason = clean(probe_skip(t, r) + " (in the lab machine)")
            else:
                settle(t, r, judge(t, r))
        if t.result == "FAIL":
            t.hint = find_hint(t, t.detail, hints)
        table_row(rep, t, width)


def run_on_host(t, lab, root, opts):
    """Run test t (or a project check) on this machine and judge it."""
    job = t.job = make_job(t, lab)
    judge_on_host(t, host_runner.run_jobs([job], root, opts)[0])


def judge_on_host(t, r):
    t.seconds = r.seconds
    if check_skipped(t, r):
        t.detail = r
        t.result = "SKIP"
        t.reason = clean("skipped: " + (last_line(r.stdout) or
                                        last_line(r.stderr) or
                                        "the check could not run here"))
    elif probe_skip(t, r):
        t.detail, t.result, t.reason = r, "SKIP", clean(probe_skip(t, r))
    else:
        settle(t, r, judge(t, r))


def side_lane(conn, root, opts):
    """The process that runs the `parallel = yes` checks, one at a time,
    as jobs sent over conn. A child subreaper of its own, so that what a
    check leaves behind is reparented here and blamed on that check, not
    on the one the grader runs meanwhile."""
    host_runner.become_subreaper()
    while True:
        job = conn.recv()
        if job is None:
            return
        before = children_cpu()
        r = host_runner.run_job(job, root, opts)
        conn.send((r, children_cpu() - before))


def children_cpu():
    """CPU seconds (user and system) of this process's children that have
    ended, with the descendants they waited for: around one check at a
    time in a lane, that check's CPU time, lab machines included."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def grade_checks(rep, checks, root, opts, width):
    """Run and print the project checks, in the file's order. Those with
    `parallel = yes` run one after another in a process of their own
    (side_lane), beside the others, which run one after another here;
    each row is printed once it and every row above it are done."""
    side = [t for t in checks if t.parallel]
    done = threading.Condition()
    conn = thread = None
    printed = 0

    def flush():
        """Print the rows that are done and have every row above done."""
        nonlocal printed
        while printed < len(checks) and checks[printed].ran:
            table_row(rep, checks[printed], width)
            printed += 1

    if side:
        # Started before any check runs here: to this process's sweeps it
        # is a child from before, never a leftover.
        mp = multiprocessing.get_context("fork")
        conn, theirs = mp.Pipe()
        lane = mp.Process(target=side_lane, args=(theirs, root,
                                                  {"verbose": opts.get("verbose")}),
                          daemon=True)
        lane.start()

        def feed():
            for t in side:
                t.job = make_job(t, None)
                try:
                    conn.send(t.job)
                    r, t.cpu = conn.recv()
                    judge_on_host(t, r)
                except Exception as e:      # a failed row, never a hang
                    t.result, t.reason = "FAIL", clean(
                        "the grader's second lane failed: %s" % (
                            e or type(e).__name__))
                with done:
                    t.ran = "host"
                    flush()
                    done.notify_all()
            try:
                conn.send(None)
            except OSError:
                pass

        thread = threading.Thread(target=feed, daemon=True)
        thread.start()

    for t in checks:
        if t.parallel:
            continue
        before = children_cpu()
        run_on_host(t, None, root, opts)
        t.cpu = children_cpu() - before
        with done:
            t.ran = "host"
            flush()
    with done:
        while printed < len(checks):
            done.wait_for(lambda: printed >= len(checks) or checks[printed].ran,
                          timeout=1)
            flush()
    if side:
        thread.join()
        lane.join(5)


def keep_check_logs(checks, folder):
    """Each project check's whole output in folder/NAME.log (the last run's
    only): what a passed check printed, such as its own timings, and all
    of a failed one's, beyond the lines shown below its row."""
    try:
        os.makedirs(folder, exist_ok=True)
        # Only our own logs of checks no longer listed go: the folder is
        # beside --json's file, wherever the user put it.
        mine = {t.name + ".log" for t in checks}
        for name in os.listdir(folder):
            if name.startswith("check.") and name.endswith(".log") and name not in mine:
                os.remove(os.path.join(folder, name))
        for t in checks:
            r = t.detail
            if r is None:
                continue
            with open(os.path.join(folder, t.name + ".log"), "wb") as f:
                f.write(b"$ %s\n%s: %s, %.1f s\n--- stdout\n" % (
                    t.command.encode(),
                    t.name.encode(), t.result.encode(), r.seconds))
                f.write(r.stdout)
                f.write(b"--- stderr\n")
                f.write(r.stderr)
    except OSError as e:
        print("grade.py: could not keep the checks' logs in %s: %s" % (folder, e),
              file=sys.stderr)


def in_order(lab):
    """The lab's own tests, then the earlier labs' (regression)."""
    return ([t for t in lab.tests if not t.regression] +
            [t for t in lab.tests if t.regression])


def regression_heading(tests):
    labs = sorted({t.since for t in tests})
    names = ", ".join("%02d" % n for n in labs)
    return "Regression: lab%s %s's tests, run again (no points)" % (
        "s" if len(labs) > 1 else "", names)


def regression_line(tests):
    passed = sum(t.result == "PASS" for t in tests)
    failed = sum(t.result == "FAIL" for t in tests)
    skipped = sum(t.result == "SKIP" for t in tests)
    line = "Regression: %d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    return line


def grade_lab(rep, lab, choice, root, opts, width):
    """A lab's own tests and its score, then its regression tests."""
    tests = in_order(lab)
    own = [t for t in tests if not t.regression]
    regression = [t for t in tests if t.regression]

    def more_hint():
        if not rep.verbose and any(t.result == "FAIL" for t in own):
            rep.say("(-v shows how each failed test was run and what it printed)")

    def between():
        more_hint()
        rep.say(score_line(own))
        rep.say()
        rep.say(regression_heading(regression))
        table_head(rep, width)

    table_head(rep, width)
    t0 = time.monotonic()
    grade_tests(rep, tests, lab, choice, root, opts, width,
                boundary=(len(own), between) if regression else None)
    lab.seconds = time.monotonic() - t0
    if regression:
        if not rep.verbose and any(t.result == "FAIL" for t in regression):
            rep.say("(-v shows how each failed test was run and what it printed)")
        rep.say(regression_line(regression))
    else:
        more_hint()
        rep.say(score_line(own))


def lab_heading(lab):
    n = lab.number
    label = "Lab %02d" % n if isinstance(n, int) else "Final"
    return "%s: %s (%s)" % (label, lab.title or "untitled", lab.rel)


def fmt_secs(x):
    return "%.0f s" % x if x >= 9.5 else "%.1f s" % x


def time_items(labs, checks, shared_batch=(0.0, 0)):
    """(seconds, label) of what took time, without counting anything
    twice: each host-run test or check, and each lab's lab machine batch
    (boots included) as one item."""
    items = []
    if shared_batch[1]:
        items.append((shared_batch[0], "every lab's lab machine batch (%d jobs)"
                      % shared_batch[1]))
    for lab in labs:
        label = "lab %02d" % lab.number if isinstance(lab.number, int) else "final"
        if lab.batch_jobs:
            items.append((lab.batch, "%s lab machine batch (%d jobs)" % (
                label, lab.batch_jobs)))
        items += [(t.seconds, "%s %s" % (label, t.name))
                  for t in lab.tests if t.ran == "host"]
    items += [(t.seconds, t.name if t.cpu is None else "%s (CPU %s)" % (
        t.name, fmt_secs(t.cpu))) for t in checks]
    return sorted(items, key=lambda x: -x[0])


def time_summary(rep, labs, checks, grading, start, many, checks_wall=0.0,
                 shared_batch=(0.0, 0)):
    """The wall time and where it went: one line, then the slowest
    items (TIMES=1 or -v: each lab, and more of them). start: when make
    check began (VMMLAB_CHECK_START, seconds since the epoch), so that
    the build before the grader counts."""
    parts = []
    total = grading
    try:
        before = time.time() - grading - float(start)
        if 0 <= before < 86400:
            parts.append("build %s" % fmt_secs(before))
            total += before
    except ValueError:
        pass
    if checks:
        parts.append("labs %s" % fmt_secs(sum(lab.seconds for lab in labs)
                                          + shared_batch[0]))
        parts.append("project checks %s" % fmt_secs(checks_wall))
    rep.say("Time: %s wall%s" % (fmt_secs(total),
                                 " (%s)" % ", ".join(parts) if parts else ""))
    if many:
        if shared_batch[1]:
            rep.say("  every lab's lab machine batch: %s (%d jobs)" % (
                fmt_secs(shared_batch[0]), shared_batch[1]))
        for lab in labs:
            label = "lab %02d" % lab.number if isinstance(lab.number, int) else "final"
            if lab.prefetched is not None:
                rep.say("  %s: %s, its lab machine tests in that batch" % (
                    label, fmt_secs(lab.seconds)))
                continue
            rep.say("  %s: %s, of which lab machine batch %s (%d jobs)" % (
                label, fmt_secs(lab.seconds), fmt_secs(lab.batch), lab.batch_jobs))
    items = time_items(labs, checks, shared_batch)[:15 if many else 5]
    if items:
        rep.say("Slowest: " + ", ".join("%s %s" % (name, fmt_secs(s))
                                        for s, name in items))


def result_json(rep, labs, checks):
    tests = []
    for t in [t for lab in labs for t in in_order(lab)] + checks:
        extra = {"result": {"PASS": "passed", "FAIL": "failed",
                            "SKIP": "skipped"}[t.result],
                 "lab": t.lab, "what": t.what}
        if t.regression:
            extra["regression"] = t.since
        if t.hint:
            extra["hint"] = t.hint
        extra["seconds"] = round(t.seconds, 2)
        tests.append({
            "name": t.name,
            "score": t.earned,
            "max_score": 0 if t.regression else t.points,
            "status": "passed" if t.result == "PASS" else "failed",
            "output": t.reason + ("\nhint: " + t.hint if t.hint else ""),
            "extra_data": extra,
        })
    return {
        "score": sum(t.earned for lab in labs for t in lab.tests if scored(t)),
        "output": rep.text(),
        "tests": tests,
    }


def fingerprint(lab):
    """What a grading of the lab ran, as one digest: its test list, what
    each test expects (transcript, status, stderr pattern), and every file
    its jobs name (the VMM, the unit-test runner, the guests, drivers and
    Linux images), by content. Two gradings with the same fingerprint ran
    the same programs on the same inputs and judged them alike."""
    h = hashlib.sha256()
    files = {os.path.join(lab.rel, "tests", "grade.ini")}
    for t in lab.tests:
        job = make_job(t, lab)
        h.update(repr((t.name, job.argv, sorted(job.env.items()), t.status,
                       t.transcript, t.stderr_re.pattern if t.stderr_re else None,
                       t.timeout, t.points, t.partial)).encode())
        files.update(w for w in job.argv
                     if not os.path.isabs(w) and
                     os.path.isfile(os.path.join(lab.root, w)))
    for rel in sorted(files):
        h.update(rel.encode() + b"\0")
        with open(os.path.join(lab.root, rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def share_results(rep, labs):
    """Each lab's results, for the project checks that would grade the
    same lab again (the handout check's reference): a folder of
    lab-NN.json with the fingerprint of what ran, named to them by
    VMMLAB_GRADED. Returns the folder."""
    d = tempfile.mkdtemp(prefix="vmmlab-graded-")
    for lab in labs:
        data = result_json(rep, [lab], [])
        data["root"] = lab.root
        data["lab"] = lab.number
        data["fingerprint"] = fingerprint(lab)
        write_json(os.path.join(d, shared_name(lab)), data)
    return d


def shared_name(lab):
    """The file of share_results()'s folder that holds the lab's results."""
    return "lab-%s.json" % ("%02d" % lab.number if isinstance(lab.number, int)
                            else lab.number)


def graded_results(lab):
    """This very lab's results from the make check that runs the caller
    (share_results(), named by VMMLAB_GRADED): {test name: test as in
    results.json} when what was graded there has the lab's fingerprint,
    else None. A check that would run the reference's tests again (the
    handout check, wrong.py, mutate.py) takes them from here."""
    d = os.environ.get("VMMLAB_GRADED", "")
    if not d:
        return None
    try:
        with open(os.path.join(d, shared_name(lab)), encoding="utf-8") as f:
            data = json.load(f)
        if (os.path.realpath(data.get("root") or "/nonexistent")
                != os.path.realpath(lab.root) or data.get("lab") != lab.number
                or data.get("fingerprint") != fingerprint(lab)):
            return None
        return {t["name"]: t for t in data["tests"]}
    except (OSError, ValueError, KeyError, TypeError, ConfigError):
        return None


def passed_there(results, name):
    """Whether graded_results() says test `name` passed."""
    t = (results or {}).get(name)
    return bool(t) and (t.get("extra_data") or {}).get("result") == "passed"


def write_json(path, data):
    d = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(d, exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError("cannot write %s: %s" % (path, e.strerror or e))


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="grade.py",
        description="Grade a vmmlab lab (see grading/README.md).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--lab", metavar="N", help="grade lab N (a number, or 'final')")
    which.add_argument("--all", action="store_true",
                       help="grade every lab, final/, then the project checks")
    p.add_argument("--runner", choices=("host", "qemu", "auto"),
                   help="where guest tests run (default: $RUNNER, else auto)")
    p.add_argument("--json", metavar="PATH",
                   help="where to write results.json (default: grading/out/results.json)")
    p.add_argument("--root", metavar="DIR", default=GRADER_ROOT,
                   help="the repository to grade (default: the one holding this grader)")
    p.add_argument("--build", metavar="DIR",
                   help="run the VMM and unit-test runner built in DIR (relative to "
                   "the lab folder) instead of build/, e.g. build/san (make SAN=1)")
    p.add_argument("--timeout-scale", metavar="X", type=float, default=1.0,
                   help="multiply every test's time limit by X (>= 1; Check's "
                        "own per-test limit too): for slower builds, such as "
                        "the sanitizer builds, whose limits guard against hangs")
    p.add_argument("--own", action="store_true",
                   help="run only each lab's own tests, not the earlier labs' "
                        "(regression): for a run that grades every lab anyway")
    p.add_argument("--own-but-newest", action="store_true",
                   help="with --all: as --own, but the newest lab (final/, else "
                        "the last) keeps its whole list, so that its VMM runs "
                        "every lab's tests")
    p.add_argument("--no-checks", action="store_true",
                   help="with --all: the labs only, not the project checks")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the output of failed tests")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        raise ConfigError("--root %s: not a directory" % args.root)

    if args.runner:
        requested, source = args.runner, "--runner %s" % args.runner
    else:
        env = os.environ.get("RUNNER", "").strip()
        if env and env not in ("host", "qemu", "auto"):
            raise ConfigError("RUNNER=%s: expected host, qemu or auto" % env)
        requested = env or "auto"
        source = "RUNNER=%s" % env if env else "auto"

    # Load every test list before running anything, so that a bad one
    # stops the run at once.
    if (args.own_but_newest or args.no_checks) and not args.all:
        raise ConfigError("--%s needs --all" % (
            "own-but-newest" if args.own_but_newest else "no-checks"))
    if args.own and args.own_but_newest:
        raise ConfigError("--own or --own-but-newest, not both")
    if args.all:
        found = find_labs(root)
        if not found:
            raise ConfigError("no labs with tests/grade.ini under %s" % os.path.join(root, "labs"))
        labs = [load_lab(root, n, p, args.build) for n, p in found]
        checks = [] if args.no_checks else load_checks(root)
    else:
        n, p = find_lab(root, args.lab.strip())
        labs = [load_lab(root, n, p, args.build)]
        checks = []
    if args.own or args.own_but_newest:
        for lab in labs[:-1] if args.own_but_newest else labs:
            lab.tests = [t for t in lab.tests if not t.regression]
    json_path = args.json or os.path.join(root, "grading", "out", "results.json")
    if not args.timeout_scale >= 1:
        raise ConfigError("--timeout-scale %g: expected a number >= 1" % args.timeout_scale)
    for t in (t for lab in labs for t in lab.tests if args.timeout_scale != 1):
        t.timeout *= args.timeout_scale
        t.timeout_scale = args.timeout_scale

    kvm_dev = where.kvm_dev()
    choice = choose_runner(requested, source, kvm_dev,
                           qemu_probe=lambda: probe_qemu(root, where.tests_reason(
                               requested, where.host_kvm(kvm_dev))))
    # Runners may print progress (lab machine boots) on stderr.
    opts = {"verbose": args.verbose, "kvm_dev": kvm_dev,
            "log": lambda msg: print(msg, file=sys.stderr, flush=True)}

    rep = Report(args.verbose)
    started = time.monotonic()
    # Only make check's own grader counts the build: the graders its
    # project checks start do not inherit the start.
    check_start = os.environ.pop("VMMLAB_CHECK_START", "")
    everything = [t for lab in labs for t in lab.tests] + checks
    width = max(len("test"), max(len(t.name) for t in everything))
    rep.say("vmmlab grader: %s" % ("all labs" if args.all else lab_heading(labs[0])))
    if choice.name:
        rep.say("runner: %s (%s)" % (choice.name, choice.why))
    else:
        rep.say("runner: none (%s): guest tests will be SKIPPED" % choice.why)

    shared_batch = (0.0, 0)
    if len(labs) > 1 and choice.qemu is not None:
        shared_batch = prefetch_lab_machine(labs, choice, root, opts)
        if shared_batch[1]:
            rep.say("lab machine: every lab's guest tests in one batch, %d jobs "
                    "in %s" % (shared_batch[1], fmt_secs(shared_batch[0])))
    for lab in labs:
        rep.say()
        if args.all:
            rep.say(lab_heading(lab))
        grade_lab(rep, lab, choice, root, opts, width)
    if checks:
        rep.say()
        rep.say("Project checks (no points)")
        table_head(rep, width)
        shared = share_results(rep, labs)
        os.environ["VMMLAB_GRADED"] = shared
        t0 = time.monotonic()
        try:
            grade_checks(rep, checks, root, opts, width)
            checks_wall = time.monotonic() - t0
        finally:
            del os.environ["VMMLAB_GRADED"]
            shutil.rmtree(shared, ignore_errors=True)
        keep_check_logs(checks, os.path.join(os.path.dirname(json_path), "checks"))

    graded = [t for lab in labs for t in lab.tests]
    rep.say()
    if args.all:
        rep.say(score_line(graded, "(all labs)"))
    times = os.environ.get("TIMES", "").strip()
    time_summary(rep, labs, checks, time.monotonic() - started, check_start,
                 args.verbose or times not in ("", "0"),
                 checks_wall if checks else 0.0, shared_batch)
    skip_banner(rep, everything)
    failed_list(rep, labs, checks)
    passed = sum(t.result == "PASS" for t in everything)
    failed = sum(t.result == "FAIL" for t in everything)
    skipped = sum(t.result == "SKIP" for t in everything)

    closing = "%d passed, %d failed" % (passed, failed)
    if skipped:
        closing += ", %d skipped" % skipped
    rep.lines.append(closing)
    data = result_json(rep, labs, checks)
    data["execution_time"] = round(time.monotonic() - started)
    try:
        write_json(json_path, data)
    except ConfigError as e:
        print(closing, flush=True)
        print("grade.py: %s" % e, file=sys.stderr)
        return 2
    print(closing, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.exit(main())
    except ConfigError as e:
        print("grade.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("grade.py: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # The reader of the report went away (| head): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)

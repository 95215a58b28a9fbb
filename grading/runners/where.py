"""Where guest programs run: this machine's /dev/kvm, or the lab machine.

Every entry point that starts our VMM asks here: the grader for its guest
tests (grade.py), `make run` and `make run-lab` (grading/vmrun.py), the
benchmarks, the differential tests and the book's transcript check. Two
policies (grading/README.md, "Runners", has the why):

  tests     (grade.py, RUNNER=auto): the host when its KVM is backed by
            hardware; otherwise the lab machine; a software KVM only when
            there is no lab machine;
  programs  (everything else): the host whenever its /dev/kvm can be
            opened; otherwise the lab machine.

Either way, when the lab machine is wanted and not built (or built from
other sources) it is built first, with one line on stderr saying why and
about how long, if this machine can build it (apt-get, dpkg-deb, gcc,
readelf, and QEMU to run it).
"""

import errno
import importlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

# What building the lab machine from nothing takes, for the line that
# announces it (grading/README.md, "Measured").
BUILD_COST = "once: about 100 MB from Debian, half a minute on a fast link"
# What the build needs besides Python; the package to install for each.
BUILD_TOOLS = (("apt-get", "apt"), ("apt-cache", "apt"), ("dpkg-deb", "dpkg"),
               ("gcc", "gcc"), ("readelf", "binutils"))


@dataclass
class HostKvm:
    """This machine's KVM device as the tests see it."""
    dev: str
    ok: bool                    # opens read-write
    why: str                    # why not, when not ok
    flag: str                   # "vmx", "svm", or "" (no hardware support)

    @property
    def kind(self):
        if not self.ok:
            return "none"
        return "hardware" if self.flag else "software"

    def describe(self):
        """The words the benchmarks print after "KVM: "."""
        if not self.ok:
            return "none (%s)" % self.why
        if self.flag:
            return "hardware (%s)" % ("Intel VT-x" if self.flag == "vmx"
                                      else "AMD-V")
        return "software (no vmx or svm flag in /proc/cpuinfo)"


def probe_kvm(dev):
    """Can dev be opened read-write? (ok, why not)."""
    try:
        fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        why = e.strerror or str(e)
        if e.errno in (errno.EACCES, errno.EPERM):
            why += "; add yourself to group kvm"
        return False, "%s not usable (%s)" % (dev, why)
    os.close(fd)
    return True, ""


def cpu_virt_flag(cpuinfo="/proc/cpuinfo"):
    """'vmx' or 'svm' when the CPU offers hardware virtualization, else ''."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.partition(":")[2].split())
                    for flag in ("vmx", "svm"):
                        if flag in flags:
                            return flag
                    return ""
    except OSError:
        pass
    return ""


def kvm_dev():
    return os.environ.get("VMMLAB_KVM_DEV") or "/dev/kvm"


def host_kvm(dev=None, cpuinfo="/proc/cpuinfo"):
    dev = dev or kvm_dev()
    ok, why = probe_kvm(dev)
    return HostKvm(dev, ok, why, cpu_virt_flag(cpuinfo) if ok else "")


def build_tools_missing(which=shutil.which):
    """One line naming what this machine lacks to build the lab machine,
    or "" when it has everything."""
    missing = [(t, p) for t, p in BUILD_TOOLS if not which(t)]
    if not missing:
        return ""
    if not which("apt-get"):
        return "this is not a Debian system (no apt-get), and the lab " \
            "machine is built from Debian's packages"
    return "%s not found (Debian package %s)" % (
        ", ".join(t for t, _ in missing),
        ", ".join(sorted({p for _, p in missing})))


def _log_stderr(line):
    print(line, file=sys.stderr, flush=True)


def build_lab_machine(root, log):
    """Run grading/labvm/build, its progress on stderr; "" or why it failed."""
    p = subprocess.run([sys.executable,
                        os.path.join(root, "grading", "labvm", "build")],
                       stdout=sys.stderr, stderr=subprocess.PIPE)
    if p.returncode:
        said = p.stderr.decode(errors="replace").strip().splitlines()
        return said[-1] if said else "exit status %d" % p.returncode
    return ""


def lab_machine(root, reason, log=_log_stderr, runner=None,
                which=shutil.which, build=build_lab_machine, may_build=True):
    """The lab machine's runner module, built first if need be and if it
    can be (and may_build): (module, what it is) or (None, why there is
    none). reason says why it is wanted, for the line that announces a
    build."""
    if runner is None:
        try:
            runner = importlib.import_module("grading.runners.qemu")
        except Exception as e:       # a broken runner must not stop grading
            return None, "grading/runners/qemu.py does not load: %s" % e
    state, why = runner.status(root)
    if state == "ready":
        return runner, why
    if state != "build" or not may_build:
        return None, why
    if not os.path.isfile(os.path.join(root, "grading", "labvm", "build")):
        return None, why
    missing = build_tools_missing(which)
    if missing:
        return None, "no lab machine: %s" % missing
    log("lab machine: building it in build/labvm/ (%s): %s" %
        (BUILD_COST, reason))
    t0 = time.monotonic()
    failed = build(root, log)
    if failed:
        return None, "the lab machine could not be built: %s" % failed
    state, why = runner.status(root)
    if state != "ready":
        return None, why
    return runner, "lab machine built just now in %.0f s (%s)" % (
        time.monotonic() - t0, why.partition("(")[2].rstrip(")") or why)


def for_programs(requested, root, host=None, lab=None):
    """Where a program (make run, a benchmark, ...) runs: ("host", why,
    None), ("qemu", why, the runner module), or (None, why it cannot run
    anywhere, None). requested: "auto", "host" or "qemu" (RUNNER)."""
    host = host or host_kvm()
    lab = lab or (lambda reason: lab_machine(root, reason))
    if requested == "host" or (requested == "auto" and host.ok):
        # RUNNER=host runs it here even without a KVM: the VMM's own
        # message then says what is wrong with /dev/kvm.
        return "host", "this machine's %s (KVM: %s)" % (
            host.dev, host.describe()), None
    reason = "RUNNER=qemu" if requested == "qemu" else \
        "%s, so our VMM runs in the lab machine" % host.why
    mod, why = lab(reason)
    if mod is None:
        if requested == "qemu":
            return None, "RUNNER=qemu, but %s" % why, None
        return None, "%s; %s" % (host.why, why), None
    return "qemu", why, mod


def tests_reason(requested, host):
    """Why the grader wants the lab machine, for the line announcing its
    build: RUNNER=qemu, a software KVM or none here, or (on a hardware
    host) a test that sets KVM module options."""
    if requested == "qemu":
        return "RUNNER=qemu"
    if host.kind == "hardware":
        return "a test sets KVM module options, which only the lab machine can"
    if host.kind == "software":
        return ("this machine's KVM is software-only, so guest tests run in "
                "the lab machine")
    return "%s, so guest tests run in the lab machine" % host.why


def requested_runner_or_auto():
    """RUNNER from the environment, "auto" when it is not a runner."""
    try:
        return requested_runner()
    except ValueError:
        return "auto"


def requested_runner():
    """RUNNER from the environment: "auto", "host" or "qemu"; raises
    ValueError for anything else."""
    r = os.environ.get("RUNNER", "").strip() or "auto"
    if r not in ("auto", "host", "qemu"):
        raise ValueError("RUNNER=%s: expected host, qemu or auto" % r)
    return r

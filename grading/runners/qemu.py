"""The qemu runner: runs jobs inside the QEMU lab machine, on its own KVM.

The lab machine (grading/labvm/, built by `make labvm` into build/labvm/)
is a small Linux VM whose KVM is nested: hardware-backed on a host with a
usable hardware KVM, emulated by QEMU (TCG, `-cpu max`) everywhere else.
One boot runs a whole batch of jobs that share their module options; the
lab machine's init runs each job under jobrun, which enforces the job's
time limit and output cap, keeps stdout and stderr apart and kills what the
job leaves running, and sends one record per job back over the second
serial port. The runner watches that stream: a lab machine that stops
answering or crashes costs the job it was running, and the rest of the
batch goes on in a fresh boot. grading/README.md, "The lab machine", has
the details.

Used by grade.py as `available(root)` and `run_jobs(jobs, root, opts)`;
also a command for trying things by hand:

    python3 grading/runners/qemu.py [-t SECONDS] [-m OPTIONS] -- CMD ARG...
    python3 grading/runners/qemu.py --shell
"""

import base64
import binascii
import hashlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    from .job import Job, JobResult, OUTPUT_CAP
except ImportError:             # run as a script, or imported as "qemu"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from job import Job, JobResult, OUTPUT_CAP

QEMU = "qemu-system-x86_64"
MEMORY_MB = 1024
# One vCPU: with two, the nested KVM under TCG froze about once in sixty
# jobs (no console message, no result); with one, not once in 300, and
# jobs run one at a time anyway.
CPUS = 1
# no_timer_check: on a host whose cores are busy, TCG may not run the
# kernel's boot-time check that the timer interrupt arrives through the
# I/O APIC in time, and the kernel panics ("IO-APIC + timer doesn't work")
# and the whole run with it; the timer works, it was only late.
CMDLINE = ("console=ttyS0 quiet panic=-1 mitigations=off tsc=reliable "
           "cryptomgr.notests no_timer_check")
# Under TCG, QEMU now and then loses the announcement of an interrupt at a
# #VMEXIT, and the lab machine's kernel then gets no more timer ticks
# (grading/labvm/jobrun.c, rtc_tick(), says how): init then has the CMOS
# clock interrupt 16 times a second, which brings the lost one back. The
# machine has no HPET, whose legacy mode would take the clock's IRQ 8.
TCG_CMDLINE = " labvm.rtctick"
# Seconds from starting QEMU until KVM is loaded in the lab machine.
BOOT_LIMIT = {"tcg": 120, "kvm": 30}
# Seconds past a job's own time limit until its result must be in (jobrun
# needs a moment to kill and report; a full output cap takes ~2 s to send).
JOB_SLACK = 20
# Seconds the results port may stay silent while a job runs: jobrun says
# "=alive N" every second, so a silent port means a machine that stopped
# (its kernel hung, or QEMU), found without waiting for the job's limit.
SILENCE = 20
# Then the runner asks QEMU's monitor where the vCPU is (the boot's .regs
# log) and sends it an NMI, a last nudge (it cannot bring back an interrupt
# that QEMU lost: TCG_CMDLINE does), and waits this long for the port to
# speak again before it gives the machine up.
NUDGE_WAIT = 5
POLL = 0.05
# Runs whose boot logs build/labvm/log/ keeps (one run: one run_jobs call):
# every run of a whole make check (mutate.py and wrong.py make one a
# round), so that a failure's log is still there at its end; a run's
# folder is some 100 KB.
KEEP_RUNS = 100
# A run's folder that changed more recently than this is kept even when
# older than the newest KEEP_RUNS: its run may still be going.
IN_USE_SECONDS = 3600
_runs = itertools.count(1)
BASE_ENV = {"PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "HOME": "/root"}
# Module options: "module param=value ...", several joined by ";".
MODULE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
PARAM_RE = re.compile(r"^[A-Za-z0-9_]+(=[A-Za-z0-9_.,:+-]*)?$")

_cpio = None
_cpio_lock = threading.Lock()


def _cpio_module():
    """grading/labvm/cpio.py, which the build script shares."""
    global _cpio
    with _cpio_lock:            # lanes (threads) may ask at once
        if _cpio is None:
            path = Path(__file__).resolve().parents[1] / "labvm" / "cpio.py"
            spec = importlib.util.spec_from_file_location("labvm_cpio", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _cpio = mod
    return _cpio


def _opt(opts, name, default=None):
    """opts may be a dict, an argparse namespace or None."""
    if opts is None:
        return default
    if isinstance(opts, dict):
        return opts.get(name, default)
    return getattr(opts, name, default)


def labvm_dir(root):
    return Path(root) / "build" / "labvm"


def host_accel():
    """("kvm", why) when QEMU can use the host's hardware KVM with nested
    virtualization, else ("tcg", why)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set()
            for line in f:
                if line.startswith("flags"):
                    flags.update(line.split(":", 1)[1].split())
    except OSError:
        flags = set()
    vendor = "amd" if "svm" in flags else "intel" if "vmx" in flags else None
    if not vendor:
        return "tcg", "TCG: no vmx/svm on this host"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "TCG: /dev/kvm not usable"
    try:
        with open("/sys/module/kvm_%s/parameters/nested" % vendor) as f:
            nested = f.read().strip() in ("1", "Y", "y")
    except OSError:
        nested = False
    if not nested:
        return "tcg", "TCG: nested virtualization off in kvm_%s" % vendor
    return "kvm", "nested hardware KVM"


def lab_vendor(accel=None):
    """"amd" or "intel": the CPU the lab machine sees, so whether it loads
    kvm_amd or kvm_intel (module options name one of them)."""
    if (accel or host_accel()[0]) == "tcg":
        return "amd"            # TCG's -cpu max emulates AMD SVM, not VMX
    with open("/proc/cpuinfo") as f:
        return "amd" if re.search(r"^flags\s*:.*\bsvm\b", f.read(),
                                  re.M) else "intel"


def status(root):
    """("ready", what it is), ("build", why it must be built first: not
    built, or built from other sources) or ("cannot", why it cannot run
    here at all)."""
    if not shutil.which(QEMU):
        return "cannot", ("%s not found: install the Debian package "
                          "qemu-system-x86" % QEMU)
    vm = labvm_dir(root)
    built = vm / "base.cpio"
    if not (vm / "kernel" / "vmlinux").exists() or not built.exists():
        return "build", "the lab machine is not built: run `make labvm`"
    try:
        with open(vm / "stamp.json") as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        stamp = {}
    built_from = stamp.get("sources", {})
    src = Path(root) / "grading" / "labvm"
    for name in ("init", "jobrun.c", "cpio.py"):
        with open(src / name, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest()[:16] != \
                    built_from.get(name):
                return "build", ("the lab machine was built from another "
                                 "grading/labvm/%s: run `make labvm`" % name)
    if not stamp.get("qemu"):
        return "build", ("the lab machine was built without QEMU inside: "
                         "run `make labvm`")
    return "ready", "lab machine ready (%s)" % host_accel()[1]


def available(root):
    """(True, how it will run) or (False, why the lab machine cannot)."""
    state, why = status(root)
    return state == "ready", why


def kvm_name(accel=None):
    """The KVM that jobs in the lab machine meet, in the words the
    benchmarks print: "nested under TCG (...)" or "nested on hardware
    (...)"."""
    accel = accel or host_accel()[0]
    vendor = lab_vendor(accel)
    module = "kvm_" + vendor
    ext = "AMD-V" if vendor == "amd" else "VT-x"
    if accel == "tcg":
        return ("nested under TCG (%s in the lab machine, on QEMU's "
                "emulated %s)" % (module, ext))
    return ("nested on hardware (%s in the lab machine, on this machine's "
            "%s)" % (module, ext))


def parse_module_options(text):
    """[(module, [param, ...]), ...] from, say, "kvm_amd npt=0; kvm
    halt_poll_ns=0". Raises ValueError with a one-line reason."""
    out = []
    for clause in (text or "").split(";"):
        words = clause.split()
        if not words:
            continue
        if not MODULE_RE.match(words[0]):
            raise ValueError("bad module name %r in module options" % words[0])
        for p in words[1:]:
            if not PARAM_RE.match(p):
                raise ValueError("bad module parameter %r for %s" %
                                 (p, words[0]))
        out.append((words[0].replace("-", "_"), words[1:]))
    return out


# --- packing a batch --------------------------------------------------------

def _elf_interp(data):
    """The PT_INTERP of an ELF64 file, or None."""
    if data[:5] != b"\x7fELF\x02":
        return None
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        ptype, _, off, _, _, size = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if ptype == 3:
            return data[off:off + size].rstrip(b"\0").decode()
    return None


def _shared_libraries(path):
    """Absolute paths of the loader and libraries a dynamic program needs."""
    p = subprocess.run(["ldd", str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    libs = []
    for line in p.stdout.decode(errors="replace").splitlines():
        m = re.match(r"\s*(?:\S+ => )?(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


class _Batch:
    """The second initramfs archive of one boot: jobs, files, libraries."""

    def __init__(self, root, module_options):
        self.root = Path(root).resolve()
        self.cpio = _cpio_module().Archive(first_inode=1 << 24)
        self.files = set()
        self.count = 0
        lines = "".join("%s %s\n" % (m, " ".join(p))
                        for m, p in parse_module_options(module_options))
        self.cpio.file("jobs/modopts", lines.encode())

    def _add_host_file(self, host_path, cpio_path):
        if cpio_path in self.files:
            return
        self.files.add(cpio_path)
        with open(host_path, "rb") as f:
            data = f.read()
        self.cpio.file(cpio_path, data,
                       0o755 if os.access(host_path, os.X_OK) else 0o644)
        if _elf_interp(data):
            for lib in _shared_libraries(host_path):
                self._add_host_file(os.path.realpath(lib), lib.lstrip("/"))

    def _map_arg(self, arg):
        """An argument naming a file of the repository: add the file and
        give the argument as the lab machine sees it (cwd is /repo)."""
        candidates = [("", arg)]
        prefix, eq, value = arg.partition("=")
        if eq and value:
            candidates.insert(0, (prefix + eq, value))
        for head, path in candidates:
            host = Path(path) if os.path.isabs(path) else self.root / path
            # Stored under the name the job uses (a symbolic link stays
            # usable), but only if it leads to a file in the repository.
            rel = os.path.normpath(os.path.relpath(host, self.root))
            try:
                host.resolve().relative_to(self.root)
                if rel.startswith("..") or not host.is_file():
                    continue
            except (ValueError, OSError):     # outside, or not a file name
                continue
            self._add_host_file(host, "repo/" + rel)
            return head + ("/repo/" + rel if os.path.isabs(path) else path)
        return arg

    def _add_repo_path(self, rel):
        """A file or folder of the repository (relative to its root), with
        everything below it, at /repo/<rel>."""
        host = self.root / rel
        try:
            inside = os.path.normpath(os.path.relpath(host, self.root))
            host.resolve().relative_to(self.root)
        except ValueError:
            inside = ".."
        if inside.startswith(".."):
            raise OSError("%s is not a path inside the repository" % rel)
        if host.is_dir():
            for where, dirs, names in os.walk(host):
                dirs.sort()
                for name in sorted(names):
                    path = Path(where) / name
                    if path.is_file():
                        self._add_host_file(path, "repo/" + os.path.relpath(
                            path, self.root))
        elif host.is_file():
            self._add_host_file(host, "repo/" + inside)
        else:
            raise OSError("%s does not exist" % rel)

    def add(self, job):
        """Pack one job; raises OSError when a file it names is unreadable."""
        for rel in job.files or []:
            self._add_repo_path(rel)
        argv = [self._map_arg(a) for a in job.argv]
        self.count += 1
        d = "jobs/%d/" % self.count
        env = dict(BASE_ENV)
        env.update(job.env or {})
        self.cpio.file(d + "argv", b"".join(a.encode() + b"\0" for a in argv))
        self.cpio.file(d + "env", b"".join(("%s=%s" % kv).encode() + b"\0"
                                           for kv in env.items()))
        self.cpio.file(d + "limits", b"%d %d\n" % (
            max(1, int(job.timeout * 1000)), job.output_cap))

    def write(self, base, path):
        with open(path, "wb") as out, open(base, "rb") as f:
            shutil.copyfileobj(f, out)
            out.write(self.cpio.bytes())


# --- one boot ---------------------------------------------------------------

def qemu_argv(root, accel, initrd, memory_mb, cmdline, rest):
    """The QEMU command line of the lab machine; cmdline: the kernel's
    (CMDLINE, or less), to which TCG adds its clock tick; rest: -serial
    and the like."""
    if accel == "kvm":
        cpu = ["-accel", "kvm", "-cpu", "host"]
        machine = "pc"
    else:
        cpu = ["-accel", "tcg,thread=multi", "-cpu", "max"]
        machine = "pc,hpet=off"
        cmdline += TCG_CMDLINE
    kernel = labvm_dir(root) / "kernel" / "vmlinux"
    return [QEMU, "-nodefaults", "-no-user-config", "-display", "none",
            "-no-reboot", "-machine", machine] + cpu + [
            "-smp", str(CPUS), "-m", str(memory_mb), "-kernel", str(kernel),
            "-initrd", str(initrd), "-append", cmdline] + rest


def _monitor(path, command, seconds=3.0):
    """Send one command to QEMU's human monitor at the Unix socket path;
    returns what it answered ("" when it could not be asked)."""
    def until_prompt(sock, text=b""):
        end = time.monotonic() + seconds
        while not text.rstrip().endswith(b"(qemu)") and time.monotonic() < end:
            sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            text += chunk
        return text
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(seconds)
            sock.connect(str(path))
            until_prompt(sock)
            sock.sendall(command.encode() + b"\n")
            said = until_prompt(sock).decode(errors="replace")
    except OSError:
        return ""
    # The monitor echoes the command as typed, with terminal escapes; keep
    # the answer, and of `info registers` what comes before the FPU's.
    said = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\r", "", said)
    lines = [ln for ln in said.split("\n") if ln.strip()
             and not ln.startswith("(qemu)") and command not in ln]
    if "FCW=" in said:
        lines = lines[:[i for i, ln in enumerate(lines) if "FCW=" in ln][0]]
    return "\n".join(lines)


def _cpu_state(regs):
    """One line from `info registers`: where the vCPU is, halted or not,
    interrupts on or off."""
    rip = re.search(r"([RE]IP)=([0-9a-f]+)", regs)
    hlt = re.search(r"HLT=(\d)", regs)
    efl = re.search(r"[RE]FL=([0-9a-f]+)", regs)
    if not (rip and hlt and efl):
        return "QEMU's monitor did not say where its vCPU was"
    # RIP: the lab machine's kernel (or a 64-bit job's guest); EIP: a
    # 32-bit guest of the job's own KVM, which the vCPU was running.
    return "vCPU at %s=%s, HLT=%s, IF=%d" % (
        rip.group(1), rip.group(2), hlt.group(1), int(efl.group(1), 16) >> 9 & 1)


class _Stream:
    """Reads the results port's records as the lab machine writes them."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.pending = b""
        self.heard = time.monotonic()   # when bytes last came

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        if data:
            self.heard = time.monotonic()
        self.pos += len(data)
        self.pending += data
        *done, self.pending = self.pending.split(b"\n")
        return [line.rstrip(b"\r").decode(errors="replace") for line in done]


def _decode_record(name, fields):
    """A JobResult from a record's "key value" lines, or a reason why not."""
    try:
        kind, _, value = fields["status"].partition(" ")
        status = int(value) if kind == "exit" else None
        sig = int(value) if kind == "signal" else None
        out = {}
        for key in ("stdout", "stderr"):
            length, _, b64 = fields[key].partition(" ")
            out[key] = base64.b64decode(b64, validate=True)
            if len(out[key]) != int(length):
                raise ValueError("%s length" % key)
        return JobResult(name, status, sig, out["stdout"], out["stderr"],
                         fields.get("reason", "").strip(),
                         float(fields["seconds"]),
                         stall=int(fields.get("stall", "0")) / 1000.0)
    except (KeyError, ValueError, binascii.Error) as e:
        return "the lab machine sent a garbled result (%s)" % e


def _cpu_seconds(pid):
    """The CPU time a process has used (user + system), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _console_hint(path):
    """The most telling line of a boot's console log: a panic or oops if
    there is one, else the last line."""
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip()]
    except OSError:
        lines = []
    pick = None
    for ln in lines:
        if re.search(r"Kernel panic|BUG:|Oops|general protection", ln):
            pick = ln
            break
    if pick is None and lines:
        pick = "last console line: " + lines[-1]
    pick = re.sub(r"^\[\s*[\d.]+\]\s*", "", pick or "nothing on its console")
    return pick[:160]


class _Boot:
    """One QEMU run over a list of (index, job)."""

    def __init__(self, root, items, module_options, opts, number, logs,
                 stop=None):
        self.root = Path(root)
        self.stop = stop            # a threading.Event: give up at once
        self.items = items
        self.module_options = module_options
        self.opts = opts
        self.number = number
        self.logs = logs            # this run's log folder
        self.results = {}           # index -> JobResult
        self.culprit = None         # index of the job running at a failure
        self.culprit_seconds = 0.0
        self.failure = None         # why the boot ended badly
        self.kind = None            # done | setup | crash | hang | boot

    def run(self):
        vm = labvm_dir(self.root)
        batch = _Batch(self.root, self.module_options)
        packed = []
        for index, job in self.items:
            try:
                batch.add(job)
                packed.append((index, job))
            except OSError as e:
                self.results[index] = _failed(
                    job, "cannot copy a file it names into the lab machine: "
                    "%s" % e)
        self.items = packed
        if not packed:
            self.kind = "done"
            return
        # The boot's console, results and QEMU's messages go straight to
        # this run's log folder, which later runs leave alone.
        log = {name: self.logs / ("boot%d.%s" % (self.number, name))
               for name in ("console", "results", "qemu")}
        self.log_name = os.path.relpath(log["console"], self.root)
        with tempfile.TemporaryDirectory(prefix="labvm.") as tmp:
            tmp = Path(tmp)
            batch.write(vm / "base.cpio", tmp / "initrd.cpio")
            accel = _opt(self.opts, "accel") or host_accel()[0]
            argv = qemu_argv(self.root, accel, tmp / "initrd.cpio",
                             _opt(self.opts, "memory_mb", MEMORY_MB), CMDLINE,
                             ["-serial", "file:%s" % log["console"],
                              "-serial", "file:%s" % log["results"],
                              "-monitor", "unix:%s,server=on,wait=off"
                              % (tmp / "monitor")])
            self.monitor = tmp / "monitor"
            self.regs_log = self.logs / ("boot%d.regs" % self.number)
            limit = _opt(self.opts, "boot_timeout", BOOT_LIMIT[accel])
            with open(log["qemu"], "wb") as err:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                        stdout=err, stderr=subprocess.STDOUT)
            try:
                self._watch(proc, _Stream(log["results"]),
                            time.monotonic() + limit, log["console"])
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        if self.kind == "boot":
            with open(log["qemu"], errors="replace") as f:
                said = f.read().strip().splitlines()
            if said:
                self.failure += "; QEMU said: " + said[-1][:200]
        for r in self.results.values():
            r.log = self.log_name

    def _note(self, text):
        try:
            with open(self.regs_log, "a") as f:
                f.write(text)
        except OSError:
            pass

    def _nudge(self, job):
        """The port went silent during job: record where QEMU's vCPU is,
        then send it an NMI. Returns a one-line summary."""
        regs = _monitor(self.monitor, "info registers")
        lapic = _monitor(self.monitor, "info lapic")
        self._note("== %s: silent; info registers:\n%s\ninfo lapic:\n%s\n"
                   % (job.name, regs, lapic))
        _monitor(self.monitor, "nmi")
        return _cpu_state(regs)

    def _watch(self, proc, stream, deadline, console):
        ready = False
        current = None              # (index, job, started at)
        cpu_at_start = None         # QEMU's CPU seconds then
        fields = None
        by_number = {n + 1: item for n, item in enumerate(self.items)}
        slack = _opt(self.opts, "job_slack", JOB_SLACK)
        silence = _opt(self.opts, "silence", SILENCE)
        nudge_wait = _opt(self.opts, "nudge_wait", NUDGE_WAIT)
        silent = False
        nudged = None               # the job whose silence brought an NMI
        where = ""                  # where its vCPU was then
        nudged_at = None            # when; None once the port spoke again
        while True:
            exited = proc.poll() is not None
            for line in stream.lines():
                word, _, rest = line.partition(" ")
                now = time.monotonic()
                if word == "=ready":
                    ready = True
                    deadline = now + slack
                elif word == "=setup-failed":
                    self.kind = "setup"
                    self.failure = "the lab machine could not set up KVM: " \
                        + rest
                    return
                elif word == "=start" and rest.isdigit() and \
                        int(rest) in by_number:
                    index, job = by_number[int(rest)]
                    current = (index, job, now)
                    cpu_at_start = _cpu_seconds(proc.pid)
                    deadline = now + job.timeout + slack + \
                        _sending_time(job.output_cap)
                elif word == "=result":
                    fields = {}
                elif word == "=end" and current and fields is not None:
                    index, job, started = current
                    got = _decode_record(job.name, fields)
                    if isinstance(got, str):
                        got = JobResult(job.name, None, None, b"", b"", got,
                                        now - started)
                    self.results[index] = got
                    current, fields = None, None
                    deadline = now + slack
                elif word == "=done":
                    self.kind = "done"
                    return
                elif word == "=alive":
                    pass                # the port is not silent: enough
                elif fields is not None and word:
                    fields[word] = rest
            if exited:
                break
            if self.stop is not None and self.stop.is_set():
                self.kind = "hang"
                self.failure = "stopped: the grader's time bound passed"
                return
            if time.monotonic() > deadline:
                self.kind = "hang"
                break
            quiet = time.monotonic() - stream.heard
            if current and quiet > silence:
                if nudged != current[0]:
                    nudged, nudged_at = current[0], time.monotonic()
                    where = self._nudge(current[1])
                elif quiet > silence + nudge_wait:
                    self.kind, silent = "hang", True
                    break
            if nudged_at is not None and stream.heard > nudged_at:
                # It spoke again after the NMI: the job goes on.
                self._note("the port spoke again %.1f s after the NMI\n"
                           % (stream.heard - nudged_at))
                nudged_at = None
            time.sleep(POLL)
        hint = "%s (log: %s)" % (_console_hint(console), self.log_name)
        if not ready:
            if self.kind == "hang":
                self.failure = "the lab machine did not boot in time: " + hint
            else:
                self.failure = "the lab machine did not boot: QEMU exited " \
                    "with status %s; %s" % (proc.returncode, hint)
            self.kind = "boot"
            return
        if current:
            self.culprit = current[0]
            self.culprit_seconds = time.monotonic() - current[2]
        if self.kind == "hang":
            # Busy (the job, or the machine's kernel, spinning) or starved
            # (the host's cores were given to others)?
            used = _cpu_seconds(proc.pid)
            busy = ""
            if current and used is not None and cpu_at_start is not None:
                busy = "; QEMU used %.0f s of CPU in the job's %.0f s" % (
                    used - cpu_at_start, time.monotonic() - current[2])
            if silent:
                why = "silent for %g s while a job ran, and %g s more after " \
                    "an NMI; %s" % (silence, nudge_wait, where)
            else:
                why = "no result %g s after the time limit" % slack
            self.failure = ("the lab machine stopped answering (%s%s); %s"
                            % (why, busy, hint))
        else:
            self.kind = "crash"
            self.failure = "the lab machine crashed: " + hint


# --- the runner -------------------------------------------------------------

def _sending_time(output_cap):
    """Seconds the results port may need beyond JOB_SLACK for an output cap
    larger than the default (the port carries about 100 KB/s of base64)."""
    return max(0, output_cap - OUTPUT_CAP) / 60000


def _failed(job, reason, seconds=0.0, log=""):
    return JobResult(job.name, None, None, b"", b"", reason, seconds, log)


def _in_use(folder):
    """May a run still be writing there? Its folder or a log in it changed
    within IN_USE_SECONDS: another grader (make check runs some project
    checks side by side) may be booting into it."""
    now = time.time()
    try:
        times = [folder.stat().st_mtime] + [f.stat().st_mtime
                                            for f in folder.iterdir()]
    except OSError:
        return False
    return now - max(times) < IN_USE_SECONDS


def _run_log_dir(root):
    """A new folder build/labvm/log/<date>-<time>-<pid>-<n> for this run's
    boots (n counts the runs of this process); the newest KEEP_RUNS runs
    are kept, older ones removed."""
    logs = labvm_dir(root) / "log"
    logs.mkdir(parents=True, exist_ok=True)
    while True:
        path = logs / ("%s-%d-%d" % (time.strftime("%Y%m%d-%H%M%S"),
                                     os.getpid(), next(_runs)))
        try:
            path.mkdir()
            break
        except FileExistsError:
            continue
    runs = []
    for p in logs.iterdir():
        try:
            if p.is_dir():
                runs.append((p.stat().st_mtime, p.name, p))
            else:
                p.unlink()          # a boot log of the older flat layout
        except OSError:             # another run removed it first
            pass
    for _, _, old in sorted(runs)[:-KEEP_RUNS]:
        if old != path and not _in_use(old):
            shutil.rmtree(old, ignore_errors=True)
    return path


def split_lanes(items, lanes):
    """items [(index, job)] dealt to at most `lanes` parts of about equal
    time limits (longest first, each to the part with the least so far),
    each part in the original order."""
    if lanes <= 1 or len(items) <= 1:
        return [items]
    parts = [[] for _ in range(min(lanes, len(items)))]
    load = [0.0] * len(parts)
    for item in sorted(items, key=lambda it: -it[1].timeout):
        k = load.index(min(load))
        parts[k].append(item)
        load[k] += item[1].timeout
    return [sorted(p, key=lambda it: it[0]) for p in parts if p]


class _Lanes:
    """What the boots of one run_jobs call share: boot numbers, the log,
    and a stop flag that ends them all (the grader's time bound)."""

    def __init__(self, log):
        self.log = log
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def next(self):
        with self.lock:
            return next(self.numbers)


def _run_part(root, items, module_options, opts, logs, lanes):
    """Boot after boot until every job of items has its result; returns
    {index: JobResult}."""
    results = {}
    retry = []                  # (index, job, first failure)
    while items and not lanes.stop.is_set():
        number = lanes.next()
        lanes.log("lab machine: boot %d, %d job(s)%s" % (
            number, len(items),
            ", module options " + module_options if module_options else ""))
        boot = _Boot(root, items, module_options, opts, number, logs, lanes.stop)
        boot.run()
        results.update(boot.results)
        if boot.culprit is not None:
            index = boot.culprit
            retry.append((index, dict(items)[index], boot.failure))
        done = set(results) | {index for index, _, _ in retry}
        left = [(i, j) for i, j in items if i not in done]
        if boot.kind in ("done", "setup", "boot") or len(left) == len(items):
            why = boot.failure or "the lab machine gave no result"
            if boot.kind == "done":
                why = "the lab machine gave no result for this job"
            for index, job in left:
                results[index] = _failed(job, why, log=getattr(
                    boot, "log_name", ""))
            break
        items = left
    # A lab machine may still freeze or die for reasons of its own (its
    # kernel's, QEMU's), so the job that was running gets one more try,
    # alone in a fresh boot; what happens there is its result.
    for index, job, first in retry:
        if lanes.stop.is_set():
            break
        number = lanes.next()
        lanes.log("lab machine: boot %d, 1 job: %s again, alone" % (
            number, job.name))
        boot = _Boot(root, [(index, job)], module_options, opts, number,
                     logs, lanes.stop)
        boot.run()
        if index in boot.results:
            results[index] = boot.results[index]
        elif boot.culprit is not None:
            results[index] = _failed(job, boot.failure + "; the same "
                                     "when run again alone",
                                     boot.culprit_seconds, boot.log_name)
        else:
            results[index] = _failed(job, first + "; run again alone: " +
                                     (boot.failure or "no result"),
                                     log=getattr(boot, "log_name", ""))
    return results


def run_jobs(jobs, root, opts=None):
    """Run the jobs in the lab machine, one boot per distinct
    module_options value; returns one JobResult per job, in order.

    opts (a dict, an argparse namespace or None) may set: log (a function
    given one line per boot), accel ("kvm" or "tcg" instead of the host's
    choice), memory_mb, boot_timeout and job_slack (seconds: how long a
    boot may take until KVM is ready, and how long past a job's own time
    limit its result may take before the lab machine counts as hung), and
    lanes: how many lab machines run at once (default 1), each with a
    share of every batch (split_lanes), so that each runs on a core of
    its own. Jobs must then not depend on each other's order: the
    graders' jobs do not."""
    lanes = _Lanes(_opt(opts, "log") or (lambda msg: None))
    logs = _run_log_dir(root)
    results = {}
    groups = {}
    for index, job in enumerate(jobs):
        groups.setdefault((job.module_options or "").strip(), []).append(
            (index, job))
    width = max(1, int(_opt(opts, "lanes", 1) or 1))
    parts = []
    for module_options, items in groups.items():
        try:
            parse_module_options(module_options)
        except ValueError as e:
            for index, job in items:
                results[index] = _failed(job, str(e))
            continue
        parts += [(module_options, p) for p in split_lanes(items, width)]
    if width == 1 or len(parts) <= 1:
        for module_options, items in parts:
            results.update(_run_part(root, items, module_options, opts, logs,
                                     lanes))
        return [results[i] for i in range(len(jobs))]
    threads = []
    todo = list(parts)

    errors = []

    def lane():
        while not lanes.stop.is_set():
            with lanes.lock:
                if not todo:
                    return
                module_options, items = todo.pop(0)
            try:
                got = _run_part(root, items, module_options, opts, logs, lanes)
            except BaseException as e:      # raised again in the caller
                errors.append(e)
                lanes.stop.set()
                return
            with lanes.lock:
                results.update(got)

    for _ in range(min(width, len(parts))):
        t = threading.Thread(target=lane, daemon=True)
        t.start()
        threads.append(t)
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    finally:
        # Also when the grader's time bound interrupts the wait: every
        # lane's QEMU is stopped before this returns.
        lanes.stop.set()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(jobs))]


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(
        description="Run one command in the QEMU lab machine (cwd: a copy "
        "of the files of this repository that the command names).")
    ap.add_argument("-t", "--timeout", type=float, default=60,
                    help="time limit in seconds (default 60)")
    ap.add_argument("-m", "--module-options", default="",
                    help='e.g. "kvm_amd npt=0"')
    ap.add_argument("--shell", action="store_true",
                    help="boot the lab machine with a shell on this terminal")
    ap.add_argument("command", nargs="*")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parents[2]
    ok, why = available(root)
    if not ok:
        print("qemu.py: " + why, file=sys.stderr)
        return 2
    if args.shell:
        # No jobs in the initramfs: init opens a shell on the console.
        return subprocess.call(qemu_argv(
            root, host_accel()[0], labvm_dir(root) / "base.cpio", MEMORY_MB,
            CMDLINE.replace(" quiet", ""),
            ["-serial", "mon:stdio", "-serial", "null"]))
    if not args.command:
        ap.error("give a command, or --shell")
    job = Job("command", args.command, args.timeout,
              module_options=args.module_options)
    t0 = time.monotonic()
    r = run_jobs([job], root, {"log": lambda m: print(m, file=sys.stderr)})[0]
    sys.stdout.buffer.write(r.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(r.stderr)
    print("qemu.py: %s after %.2f s in the job, %.1f s in all%s" % (
        "exit status %d" % r.status if r.status is not None else
        "signal %d" % r.signal if r.signal else "no status",
        r.seconds, time.monotonic() - t0,
        "; " + r.reason if r.reason else ""), file=sys.stderr)
    return r.status if r.status is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

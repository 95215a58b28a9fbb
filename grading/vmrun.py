#!/usr/bin/env python3
"""Run our VMM (or any program of the repository) where it can run: on this
machine's /dev/kvm, or, without one, in the QEMU lab machine, built first
if need be (grading/runners/where.py, "programs"). `make run` and `make
run-lab N` use it.

    python3 grading/vmrun.py [--heading] [-t SECONDS] [--with PATH]...
                             [--env NAME=VALUE]... CMD...

Each CMD is one command line, split as the shell would, run from the top of
the repository; they run in order and the first that fails stops the rest.
--heading prints "== CMD" before each. One line on stderr says where they
ran. In the lab machine the commands run in one boot, each with the time
limit -t (default 600 s); their stdout and stderr are printed when it ends.
--with packs a file or folder of the repository that no argument names;
--env sets a variable there. The commands find VMMLAB_KVM (the KVM they
meet there, "nested under TCG (...)") and VMMLAB_CPU (this machine's CPU)
in their environment. RUNNER=host|qemu|auto chooses (grading/runners/
where.py, "programs"). The exit status is that of the command that
failed, else 0.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from grading.runners import where               # noqa: E402
from grading.runners.job import Job             # noqa: E402

# Output a command may print in the lab machine (--trace of a long guest).
OUTPUT_CAP = 8 << 20


def say(line):
    print("vmrun: " + line, file=sys.stderr, flush=True)


def on_host(cmds, heading):
    for argv in cmds:
        if heading:
            print("== " + shlex.join(argv), flush=True)
        try:
            st = subprocess.call(argv, cwd=ROOT)
        except OSError as e:
            say("cannot run %s: %s" % (argv[0], e.strerror))
            return 127
        if st:
            return st if st > 0 else 128 - st
    return 0


def host_cpu():
    try:
        with open("/proc/cpuinfo", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return "unknown"


def in_lab_machine(mod, cmds, heading, timeout, files, env):
    # What the benchmarks print as the KVM and the CPU (bench/machine.sh).
    env = dict(env, VMMLAB_KVM=mod.kvm_name(), VMMLAB_CPU=host_cpu())
    jobs = [Job("command %d" % (i + 1), argv, timeout, output_cap=OUTPUT_CAP,
                env=env, files=files) for i, argv in enumerate(cmds)]
    results = mod.run_jobs(jobs, ROOT, {"log": lambda m: None})
    for argv, r in zip(cmds, results):
        if heading:
            print("== " + shlex.join(argv), flush=True)
        sys.stdout.buffer.write(r.stdout)
        sys.stdout.flush()
        sys.stderr.buffer.write(r.stderr)
        sys.stderr.flush()
        if r.reason and not r.reason.startswith("left "):
            say("%s: %s" % (argv[0], r.reason))
            return 1
        if r.signal:
            return 128 + r.signal
        if r.status:
            return r.status
    return 0


def main(argv):
    ap = argparse.ArgumentParser(
        prog="vmrun.py", description="Run our VMM where it can run: on "
        "/dev/kvm, or in the QEMU lab machine.")
    ap.add_argument("--heading", action="store_true",
                    help='print "== CMD" before each command')
    ap.add_argument("-t", "--timeout", type=float, default=600,
                    help="time limit of each command in the lab machine "
                    "(seconds, default 600)")
    ap.add_argument("--with", dest="files", action="append", default=[],
                    metavar="PATH", help="a file or folder of the repository "
                    "to copy into the lab machine")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the commands in the "
                    "lab machine (here they have this environment)")
    ap.add_argument("cmds", nargs="+", metavar="CMD",
                    help="one command line (quoted)")
    args = ap.parse_args(argv)
    try:
        cmds = [shlex.split(c) for c in args.cmds]
        requested = where.requested_runner()
    except ValueError as e:
        ap.error(str(e))
    if any(not c for c in cmds):
        ap.error("an empty command")
    env = {}
    for kv in args.env:
        name, eq, value = kv.partition("=")
        if not eq or not name:
            ap.error("--env %s: expected NAME=VALUE" % kv)
        env[name] = value
    host = where.host_kvm()
    place, why, mod = where.for_programs(requested, ROOT, host)
    if place is None:
        say("cannot run here: %s" % why)
        return 1
    if place == "host":
        say("on " + why)
        return on_host(cmds, args.heading)
    say("%s: in the QEMU lab machine (KVM: %s)" % (
        "RUNNER=qemu" if requested == "qemu" else host.why, mod.kvm_name()))
    return in_lab_machine(mod, cmds, args.heading, args.timeout, args.files,
                          env)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(128 + signal.SIGINT)

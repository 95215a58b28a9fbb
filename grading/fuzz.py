#!/usr/bin/env python3
"""fuzz.py - run the libFuzzer targets of the labs (grading/README.md, "Fuzzing").

    python3 grading/fuzz.py --lab N | --all [--time S | --cpu S] [--runs N]
                            [--target NAME]... [-j J] [--coverage] [--json PATH]

Each lab's tests/fuzz/fuzz_NAME.c is a libFuzzer target, built by the
lab's `make fuzz` (clang, ASan, UBSan) into build/fuzz/fuzz-NAME. For each
target this tool writes its committed seeds (tests/fuzz/seeds/NAME.txt,
text: see below) into build/fuzz/seeds/NAME/, keeps the corpus the runs
grow in build/fuzz/corpus/NAME/, runs every input of both once (the
regression set) and then fuzzes for --time seconds or --runs executions,
whichever comes first; --cpu S counts S seconds of the fuzzer's own CPU
time instead of wall-clock time, for a budget that means the same on a
busy machine (the target is interrupted, and its final figures kept, when
its CPU time reaches S). A crash, a sanitizer report, a leak or an input
slower than the per-input limit fails the target; libFuzzer writes the
input to build/fuzz/crashes/. With --coverage the corpus is run again on
the lab's `make fuzz-cov` build and llvm-cov reports the line coverage of
each file the target's `Covers:` lines name. A target whose source says
`Seeds also: guests/out (prefix HEX)` gets every built guest as a seed
too, after those bytes.

A seed file holds one input per line; '#' starts a comment line. A line is
a sequence of tokens: hex digits (pairs, spaces allowed between them),
"a string" (C escapes \\0 \\n \\t \\\\ \\" \\xNN), u8:V u16:V u32:V u64:V (a
number, little-endian), zero:N (N zero bytes).
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import grade  # noqa: E402

PER_INPUT_TIMEOUT = 25      # seconds: a slower input fails the target
RSS_LIMIT_MB = 2560
STAT_RE = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
COVERS_RE = re.compile(r"Covers:\s*(.*?)\s*(?:\*/)?$", re.M)


class Fail(Exception):
    pass


# ---------------------------------------------------------------- seeds

def parse_seed_line(line, where):
    out = bytearray()
    i = 0
    while i < len(line):
        c = line[i]
        if c.isspace():
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                if line[j] == "\\":
                    j += 1
                    if j >= len(line):
                        break
                    e = line[j]
                    if e == "x":
                        out.append(int(line[j + 1:j + 3], 16))
                        j += 2
                    else:
                        esc = {"0": 0, "n": 10, "t": 9, "\\": 92, '"': 34}
                        if e not in esc:
                            raise Fail("%s: unknown escape \\%s" % (where, e))
                        out.append(esc[e])
                else:
                    out += line[j].encode()
                j += 1
            if j >= len(line):
                raise Fail("%s: unterminated string" % where)
            i = j + 1
            continue
        m = re.compile(r"(u8|u16|u32|u64|zero):(\S+)").match(line, i)
        if m:
            kind, val = m.groups()
            try:
                v = int(val, 0)
            except ValueError:
                raise Fail("%s: bad number %s" % (where, val))
            if kind == "zero":
                out += bytes(v)
            else:
                n = int(kind[1:]) // 8
                out += (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
            i = m.end()
            continue
        m = re.compile(r"[0-9a-fA-F]+").match(line, i)
        if not m or len(m.group()) % 2:
            raise Fail("%s: bad token at %r" % (where, line[i:i + 12]))
        out += bytes.fromhex(m.group())
        i = m.end()
    return bytes(out)


def read_seeds(path, rel):
    seeds = []
    if not os.path.isfile(path):
        return seeds
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            seeds.append(parse_seed_line(s, "%s:%d" % (rel, n)))
    return seeds


def write_dir(path, inputs):
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        os.unlink(os.path.join(path, f))
    for data in inputs:
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- one target

class Target:
    def __init__(self, lab, name, src):
        self.lab = lab
        self.name = name
        self.src = src
        with open(src, encoding="utf-8") as f:
            text = f.read()
        self.covers = []
        for m in COVERS_RE.finditer(text):
            self.covers += m.group(1).split()
        m = re.search(r"Seeds also: guests/out \(prefix ([0-9a-fA-F]*)\)", text)
        self.extra_seeds = bytes.fromhex(m.group(1)) if m else None
        self.stats = {}
        self.result = ""
        self.detail = ""
        self.coverage = {}
        self.seconds = 0.0
        self.same_as = None     # the earlier lab whose same target it repeats

    def digest(self):
        """A hash of what the target fuzzes: its own file, the fuzz
        machine, the files its Covers: lines name and its seeds, as the
        lab holds them (None when one of them is missing)."""
        h = hashlib.sha256()
        for rel in (["tests/fuzz/fuzz_%s.c" % self.name, "tests/fuzz/machine.c",
                     "tests/fuzz/fuzz.h", "tests/fuzz/seeds/%s.txt" % self.name] +
                    self.covers):
            try:
                with open(os.path.join(self.lab.path, rel), "rb") as f:
                    h.update(rel.encode() + b"\0" + f.read() + b"\0")
            except OSError:
                if rel.startswith("tests/fuzz/fuzz_") or rel in self.covers:
                    return None
        return h.hexdigest()

    @property
    def key(self):
        return "%s/%s" % (os.path.basename(self.lab.path), self.name)


def fuzz_dirs(lab):
    b = os.path.join(lab.path, "build", "fuzz")
    return b, os.path.join(lab.path, "build", "fuzzcov")


def prepare(t, root):
    b, _ = fuzz_dirs(t.lab)
    rel = os.path.relpath(os.path.join(t.lab.path, "tests", "fuzz", "seeds",
                                       t.name + ".txt"), root)
    seeds = read_seeds(os.path.join(root, rel), rel)
    if t.extra_seeds is not None:
        out = os.path.join(root, "guests", "out")
        if os.path.isdir(out):
            for f in sorted(os.listdir(out)):
                p = os.path.join(out, f)
                if os.path.isfile(p) and os.path.getsize(p) <= 1 << 20:
                    with open(p, "rb") as fh:
                        seeds.append(t.extra_seeds + fh.read())
    t.nr_seeds = len(seeds)
    write_dir(os.path.join(b, "seeds", t.name), seeds)
    os.makedirs(os.path.join(b, "corpus", t.name), exist_ok=True)
    os.makedirs(os.path.join(b, "crashes"), exist_ok=True)


def cpu_seconds(pid):
    """User plus system CPU time of process pid so far (/proc/PID/stat)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command's ")": state is field 3, utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_target(t, seconds, runs, root, cpu=0):
    """Fuzz one target (regression set first, as libFuzzer loads it).

    With cpu, seconds is a CPU-time budget: libFuzzer gets no time limit of
    its own, and is interrupted (SIGINT: it prints its final figures and
    exits with status 72) once its CPU time reaches the budget."""
    b, _ = fuzz_dirs(t.lab)
    exe = os.path.join(b, "fuzz-" + t.name)
    if t.same_as:
        seconds = 0
    argv = [exe, "-print_final_stats=1", "-close_fd_mask=3",
            "-timeout=%d" % PER_INPUT_TIMEOUT, "-rss_limit_mb=%d" % RSS_LIMIT_MB,
            "-artifact_prefix=%s" % os.path.join(b, "crashes", t.name + "-"),
            "-interrupt_exitcode=72"]
    if not seconds:
        argv.append("-runs=0")
    elif not cpu:
        argv.append("-max_total_time=%d" % max(seconds, 1))
    if seconds and runs:
        argv.append("-runs=%d" % runs)
    argv += [os.path.join(b, "corpus", t.name), os.path.join(b, "seeds", t.name)]
    start = time.monotonic()
    # The wall-clock guard: generous, as a CPU budget on shared cores can
    # take many times its length.
    limit = (seconds or 0) * (20 if cpu else 1) + 600
    interrupted = False
    # In a process group of its own, so that what it starts (ASan's
    # llvm-symbolizer, for a report) can be waited for below.
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    t.cpu = 0.0
    while True:
        # communicate() keeps what it has read when its timeout expires,
        # and a later call goes on from there.
        try:
            raw = p.communicate(timeout=1)[0]
            status = p.returncode
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - start > limit:
            p.kill()
            raw, status = p.communicate()[0], None
            break
        t.cpu = max(t.cpu, cpu_seconds(p.pid))
        if cpu and seconds and not interrupted and t.cpu >= seconds:
            p.send_signal(signal.SIGINT)
            interrupted = True
    settle_group(p.pid)
    out = (raw or b"").decode("utf-8", "replace")
    t.seconds = time.monotonic() - start
    t.stats = {k: int(v) for k, v in STAT_RE.findall(out)}
    t.log = out
    if status == 0 or (interrupted and status == 72):
        t.result = "clean"
        return t
    t.result = "FAIL"
    why = [l for l in out.splitlines()
           if re.search(r"ERROR: |runtime error|SUMMARY|timeout after|out-of-memory|"
                        r"deadly signal|leak", l)]
    if status is None:
        why = ["no result after %d s of wall-clock time" % limit] + why
    art = re.findall(r"Test unit written to (\S+)", out)
    t.detail = grade.clean((why[0] if why else "exit status %s" % status) +
                           ("; input: %s" % os.path.relpath(art[0], root) if art else ""),
                           300)
    return t


def coverage(t, root):
    """Line coverage of t's files by its corpus and seeds (llvm-cov)."""
    b, c = fuzz_dirs(t.lab)
    exe = os.path.join(c, "fuzz-" + t.name)
    raw = os.path.join(c, t.name + ".profraw")
    data = os.path.join(c, t.name + ".profdata")
    env = dict(os.environ, LLVM_PROFILE_FILE=raw)
    subprocess.run([exe, "-runs=0", "-close_fd_mask=3",
                    os.path.join(b, "corpus", t.name), os.path.join(b, "seeds", t.name)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   timeout=1800)
    subprocess.run(["llvm-profdata", "merge", "-sparse", raw, "-o", data], check=True,
                   stdout=subprocess.DEVNULL)
    files = [os.path.join(t.lab.path, f) for f in t.covers]
    p = subprocess.run(["llvm-cov", "report", exe, "-instr-profile=" + data] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       check=True)
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 10 and f[0].endswith(".c"):
            # Filename Regions Missed Cover Functions Missed Cover Lines Missed Cover ...
            lines, missed = int(f[7]), int(f[8])
            # llvm-cov names files relative to the ones they share.
            for want in t.covers:
                if os.path.basename(f[0]) == os.path.basename(want):
                    t.coverage[want] = (lines - missed, lines)
    return t


def settle_group(pgid, seconds=2.0):
    """Wait until no process of the group is alive (the fuzzer has ended,
    but the llvm-symbolizer ASan started for its report may still be
    reading), then kill what is left: a fuzz run leaves nothing behind."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not any(pgrp == pgid and state not in ("Z", "X") for state, _, pgrp, _
                   in grade.host_runner._scan().values()):
            return
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


# ---------------------------------------------------------------- labs

def make(lab, goal):
    p = subprocess.run(["make", "--no-print-directory", "-s", "-C", lab.path,
                        "-j%d" % min(2, os.cpu_count() or 1), goal],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode:
        raise Fail("make -C %s %s failed: %s" % (
            lab.rel, goal, (p.stdout.strip().splitlines() or ["?"])[-1]))


def targets_of(lab, only):
    d = os.path.join(lab.path, "tests", "fuzz")
    found = []
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            m = re.match(r"^fuzz_(\w+)\.c$", f)
            if m and (not only or m.group(1) in only):
                found.append(Target(lab, m.group(1), os.path.join(d, f)))
    return found


def mark_repeats(lab, ts, everyone):
    """Mark the targets of lab that fuzz exactly what the same target of
    the lab before it fuzzes (Target.digest): --changed-only runs only
    their regression set."""
    paths = [l.path for l in everyone]
    i = paths.index(lab.path) if lab.path in paths else 0
    if i == 0:
        return
    before = everyone[i - 1]
    theirs = {t.name: t for t in targets_of(before, [])}
    for t in ts:
        o = theirs.get(t.name)
        mine = t.digest()
        if o and mine is not None and mine == o.digest():
            t.same_as = os.path.basename(before.path)


def fmt_cov(cov):
    if not cov:
        return "-"
    got = sum(a for a, _ in cov.values())
    total = sum(b for _, b in cov.values())
    return "%.0f %%" % (100.0 * got / total) if total else "-"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fuzz.py", description=__doc__.split("\n")[0])
    w = p.add_mutually_exclusive_group(required=True)
    w.add_argument("--lab", metavar="N")
    w.add_argument("--all", action="store_true")
    p.add_argument("--time", type=int, default=30, metavar="S",
                   help="seconds of fuzzing per target (0: the regression set only)")
    p.add_argument("--cpu", type=int, default=0, metavar="S",
                   help="S seconds of each fuzzer's CPU time instead of --time's wall clock")
    p.add_argument("--runs", type=int, default=0, metavar="N",
                   help="stop a target after N executions (0: no limit)")
    p.add_argument("--changed-only", action="store_true",
                   help="fuzz only the targets that differ from the lab before's; "
                        "the others run their regression set")
    p.add_argument("--target", action="append", default=[], metavar="NAME")
    p.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--coverage", action="store_true",
                   help="also report the line coverage of each target's files")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--root", default=ROOT, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if a.cpu:
        a.time = a.cpu
    root = os.path.abspath(a.root)
    if a.all:
        labs = [grade.load_lab(root, n, p) for n, p in grade.find_labs(root)]
    else:
        n, p = grade.find_lab(root, a.lab.strip())
        labs = [grade.load_lab(root, n, p)]
    todo = []
    everyone = [grade.load_lab(root, n, p) for n, p in grade.find_labs(root)]
    for lab in labs:
        ts = targets_of(lab, a.target)
        if a.changed_only:
            mark_repeats(lab, ts, everyone)
        if not ts:
            continue
        make(lab, "fuzz")
        if a.coverage:
            make(lab, "fuzz-cov")
        for t in ts:
            prepare(t, root)
        todo += ts
    if not todo:
        raise Fail("no fuzz targets%s" % (" named " + ", ".join(a.target) if a.target else ""))
    if a.coverage and not shutil.which("llvm-cov"):
        raise Fail("--coverage needs llvm-cov and llvm-profdata (Debian package llvm)")
    start = time.monotonic()
    print("fuzz: %d targets, %s each, %d at a time" % (
        len(todo), "%d s%s" % (a.time, " of CPU time" if a.cpu else "") if a.time else "the regression set", a.jobs),
        file=sys.stderr, flush=True)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        list(pool.map(lambda t: run_target(t, a.time, a.runs, root, a.cpu), todo))
        if a.coverage:
            list(pool.map(lambda t: coverage(t, root), todo))

    # libFuzzer's own rate is per wall-clock second; with --cpu the rate
    # that means the same on a busy machine is per second of CPU time.
    print("  %-24s %12s %10s %8s %8s  %s" % ("target", "executions",
                                             "execs/cpu-s" if a.cpu else "execs/s",
                                             "corpus", "lines", "result"))
    data = []
    for t in todo:
        s = t.stats
        if a.cpu:
            s["average_exec_per_sec"] = int(s.get("number_of_executed_units", 0) /
                                            max(t.cpu, 1e-3))
        print("  %-24s %12d %10d %8d %8s  %s%s" % (
            t.key, s.get("number_of_executed_units", 0),
            s.get("average_exec_per_sec", 0),
            len(os.listdir(os.path.join(fuzz_dirs(t.lab)[0], "corpus", t.name))),
            fmt_cov(t.coverage), t.result,
            "  " + t.detail if t.detail else
            "  (regression set only: the same as %s's)" % t.same_as if t.same_as else ""))
        data.append({"target": t.key, "executions": s.get("number_of_executed_units", 0),
                     "execs_per_sec": s.get("average_exec_per_sec", 0),
                     "seconds": round(t.seconds, 1), "cpu_seconds": round(t.cpu, 1),
                     "seeds": t.nr_seeds,
                     "coverage": {f: list(v) for f, v in t.coverage.items()},
                     "result": t.result, "detail": t.detail,
                     "same_as": t.same_as})
        if a.coverage:
            for f, (got, total) in sorted(t.coverage.items()):
                print("      %-40s %5d of %5d lines  %5.1f %%" % (
                    f, got, total, 100.0 * got / total if total else 0))
    failed = sum(t.result != "clean" for t in todo)
    print("fuzz: %.0f s in all" % (time.monotonic() - start))
    if a.json:
        grade.write_json(a.json, {"targets": data, "time": a.time, "cpu": bool(a.cpu),
                                "runs": a.runs})
    print("%d passed, %d failed" % (len(todo) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Fail, grade.ConfigError) as e:
        print("fuzz.py: %s" % e, file=sys.stderr)
        sys.exit(2)

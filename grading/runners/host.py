"""The host runner: runs grading jobs on this machine (grading/README.md, "Runners").

Each job runs in a session of its own, with stdin on /dev/null and its
stdout and stderr captured up to the job's output cap. A job that runs past
its time limit or prints past the cap has its whole process group killed.
When the job's process has ended, anything it left behind is found and
killed, and the job fails: processes still in its session or process group,
and processes that escaped the session through a double fork (the grader is
made a child subreaper, so those are reparented to it rather than to init).
Every wait here is bounded, so a job can never hang the grader.
"""

import ctypes
import os
import selectors
import signal
import subprocess
import time

from .job import Job, JobResult

PR_SET_CHILD_SUBREAPER = 36

# After the job's process exits, read what is left in the pipes for at most
# this long (a leftover child may hold them open forever).
DRAIN_SECONDS = 0.3
# How long to wait for a SIGKILLed process to be reaped before giving up.
KILL_WAIT_SECONDS = 5.0
# Rounds of "scan /proc, kill what is found" when sweeping leftovers.
SWEEP_ROUNDS = 50

_subreaper = None


def available(root=None):
    """The host runner needs nothing beyond this machine: always usable."""
    return True, "this machine"


def become_subreaper():
    """Make orphaned descendants of this process reparent to it, not to init.

    A VMM that double-forks a child and lets the middle process exit would
    otherwise hide the grandchild from us; as a subreaper we still see it
    (its parent becomes us) and can kill it. Returns whether it worked.
    """
    global _subreaper
    if _subreaper is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            _subreaper = False
    return _subreaper


def run_jobs(jobs, root, opts=None):
    """Run jobs one after another on this machine; one JobResult per Job."""
    become_subreaper()
    return [run_job(job, root, opts) for job in jobs]


def fmt_seconds(s):
    return "%g" % s


def fmt_bytes(n):
    if n % (1024 * 1024) == 0:
        return "%d MiB" % (n // (1024 * 1024))
    if n % 1024 == 0:
        return "%d KiB" % (n // 1024)
    return "%d bytes" % n


def run_job(job, root, opts=None):
    """Run one job to its end; never blocks longer than its time limit
    plus a few seconds of cleanup."""
    become_subreaper()
    start = time.monotonic()
    argv = [str(a) for a in job.argv]
    if argv and "/" in argv[0] and not os.path.isabs(argv[0]):
        argv[0] = os.path.join(root, argv[0])
    # Check's knobs (CK_RUN_CASE, CK_TAGS, ...) left in the caller's
    # environment would silently run fewer unit tests: only the job's own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CK_")}
    env.update({str(k): str(v) for k, v in job.env.items()})
    before = set(_children_of(os.getpid(), _scan()))

    try:
        proc = subprocess.Popen(argv, cwd=root, env=env,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True)
    except (OSError, ValueError) as e:
        what = job.argv[0] if job.argv else "(an empty command)"
        why = getattr(e, "strerror", None) or e
        return JobResult(job.name, None, None, b"", b"",
                         reason="could not run %s: %s" % (what, why),
                         seconds=time.monotonic() - start)

    try:
        out, err, reason = _collect(proc, job, start)
    finally:
        # Also on KeyboardInterrupt: the job is in its own session, so the
        # terminal's ^C never reached it.
        if proc.returncode is None:
            _killpg(proc.pid)
            _wait(proc, KILL_WAIT_SECONDS)
        left = _sweep(proc.pid, before)
        for f in (proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    status, sig = None, None
    if proc.returncode is None:
        reason = reason or "could not be killed (stuck in the kernel?)"
    elif proc.returncode >= 0:
        status = proc.returncode
    else:
        sig = -proc.returncode
    if not reason and left:
        reason = "left %d process%s behind" % (left, "" if left == 1 else "es")
    return JobResult(job.name, status, sig, bytes(out), bytes(err),
                     reason=reason, seconds=time.monotonic() - start)


def _collect(proc, job, start):
    """Read stdout and stderr until the process exits (and its pipes drain),
    the time limit passes, or the output cap is reached."""
    out, err = bytearray(), bytearray()
    bufs = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    sel = selectors.DefaultSelector()
    for fd in bufs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    deadline = start + job.timeout
    exited_at = None
    reason = ""
    try:
        while True:
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None:
                if not sel.get_map() or now - exited_at >= DRAIN_SECONDS:
                    break
            elif now >= deadline:
                reason = "timed out after %ss" % fmt_seconds(job.timeout)
                _killpg(proc.pid)
                break
            if not sel.get_map():
                # Both pipes closed but the process lives on: just wait.
                try:
                    proc.wait(timeout=min(0.1, max(deadline - now, 0.001)))
                except subprocess.TimeoutExpired:
                    pass
                continue
            limit = 0.05 if exited_at is not None else min(0.1, deadline - now)
            for key, _ in sel.select(timeout=max(limit, 0.001)):
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fd)
                    continue
                bufs[key.fd].extend(data)
            if len(out) + len(err) > job.output_cap:
                reason = "floods output (more than %s)" % fmt_bytes(job.output_cap)
                _killpg(proc.pid)
                break
    finally:
        sel.close()
    return out, err, reason


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def _wait(proc, seconds):
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


def _scan():
    """Every process as {pid: (state, ppid, pgrp, session)}, from /proc."""
    procs = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return procs
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after
        # the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) < 4:
            continue
        try:
            procs[int(name)] = (fields[0].decode(), int(fields[1]),
                                int(fields[2]), int(fields[3]))
        except ValueError:
            continue
    return procs


def _children_of(pid, procs):
    return [p for p, (_, ppid, _, _) in procs.items() if ppid == pid]


def _leftovers(sid, before, procs):
    """Processes the job left: in its session or process group, orphans
    reparented to us that were not our children before the job, and all
    their descendants."""
    me = os.getpid()
    found = {p for p, (_, ppid, pgrp, sess) in procs.items()
             if p != me and (sess == sid or pgrp == sid or
                             (ppid == me and p not in before))}
    grew = True
    while grew:
        grew = False
        for p, (_, ppid, _, _) in procs.items():
            if ppid in found and p not in found and p != me:
                found.add(p)
                grew = True
    return found


def _sweep(sid, before):
    """Kill whatever the job left behind; return how many live processes
    were found at first look. Bounded: at most SWEEP_ROUNDS rounds."""
    me = os.getpid()
    first = None
    for _ in range(SWEEP_ROUNDS):
        procs = _scan()
        found = _leftovers(sid, before, procs)
        live = {p for p in found if procs[p][0] not in ("Z", "X")}
        if first is None:
            first = len(live)
        for p in live:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        _killpg(sid)
        # Reap the ones that are (or became) our children.
        for p in found:
            if procs[p][1] == me or p in live:
                try:
                    os.waitpid(p, os.WNOHANG)
                except OSError:
                    pass
        if not live:
            break
        time.sleep(0.02)
    # Reap zombies reparented to us by the kills above.
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        procs = _scan()
        ours = [p for p in _leftovers(sid, before, procs) if procs[p][1] == me]
        if not ours:
            break
        for p in ours:
            try:
                os.waitpid(p, os.WNOHANG)
            except OSError:
                pass
        time.sleep(0.01)
    return first or 0

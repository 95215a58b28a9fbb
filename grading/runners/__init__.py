"""Runners execute grading jobs (grading/README.md, "Runners").

host.py runs them on this machine's /dev/kvm; qemu.py inside the QEMU lab
machine. Both offer run_jobs(jobs, root, opts) -> list of JobResult, with
Job and JobResult from job.py. grade.py imports qemu.py only when the lab
machine is chosen.
"""

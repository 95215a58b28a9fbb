"""What a runner is given and what it gives back (grading/README.md, "Runners")."""

from dataclasses import dataclass, field
from typing import List, Optional

# A VMM that prints more than this on stdout+stderr is flooding.
OUTPUT_CAP = 256 * 1024


@dataclass
class Job:
    name: str                 # the grade.ini section, e.g. "guest.hello16"
    argv: List[str]           # relative paths are relative to the repository root
    timeout: float            # seconds
    output_cap: int = OUTPUT_CAP
    env: dict = field(default_factory=dict)   # extra environment variables
    module_options: str = ""  # lab machine only: e.g. "kvm_amd npt=0"
    # lab machine only: files or folders of the repository the job needs
    # besides those its arguments name (a script's helpers, say)
    files: List[str] = field(default_factory=list)


@dataclass
class JobResult:
    name: str
    status: Optional[int]     # exit status, None if killed or never started
    signal: Optional[int]     # the signal that ended it, if any
    stdout: bytes
    stderr: bytes
    reason: str = ""          # set when the runner stopped the job or could not run it
    seconds: float = 0.0
    log: str = ""             # lab machine only: its console log of the boot that ran the job
    stall: float = 0.0        # lab machine only: seconds its timers stood still at worst (jobrun's "stall")

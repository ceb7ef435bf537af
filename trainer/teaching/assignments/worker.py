"""The process that grades one submission: `python -m trainer.teaching.assignments.worker ...`.

It limits itself first (memory, CPU time, file size), keeps what the student's code prints to a few
kilobytes, then runs the checks one by one and appends to RESULTS one JSON line as each starts and
one as it ends, flushed: when the student's code hangs, exhausts memory or ends the process, the
parent (sandbox.py) still knows which check was running and what the others scored.
"""

import json
import os
import resource
import signal
import sys
from pathlib import Path

from trainer.teaching.assignments.checks import run_check
from trainer.teaching.assignments.spec import load_assignment

FILE_SIZE_LIMIT = 16 * 2**20  # what a submission may write to one file (its printing goes to a file)
PRINTED_KEPT = 4000  # characters of the student's printing kept for the feedback


class Capped:
    """sys.stdout for the student's code: keeps the first characters, counts the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < PRINTED_KEPT:
            self.kept.append(text[: PRINTED_KEPT - self.size])
        self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass


def limit(seconds: float, memory_mb: int) -> None:
    """Limits the kernel enforces where the platform has them (Linux: all three)."""
    for name, value in (
        ("RLIMIT_AS", memory_mb * 2**20),
        ("RLIMIT_CPU", int(seconds) + 2),  # the parent's wall-clock limit usually comes first
        ("RLIMIT_FSIZE", FILE_SIZE_LIMIT),
    ):
        kind = getattr(resource, name, None)
        if kind is not None:
            # CPU: a hard limit above the soft one, or the kernel kills with SIGKILL (read as "memory")
            # before it sends SIGXCPU (read as the time limit)
            resource.setrlimit(kind, (value, value + 1 if name == "RLIMIT_CPU" else value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails in Python instead of killing us


def main(assignment_folder: str, scratch: str, references: str, results: str, visible_only: str) -> None:
    assignment = load_assignment(assignment_folder)
    if visible_only == "visible":
        assignment = assignment.visible()
    limit(assignment.limits.seconds, assignment.limits.memory_mb)
    out = open(results, "a", encoding="utf-8")  # noqa: SIM115 (open for the life of the process)

    def report(line: dict) -> None:
        out.write(json.dumps(line) + "\n")
        out.flush()
        os.fsync(out.fileno())

    printed = Capped()
    sys.stdout = printed
    for check in assignment.checks:
        report({"started": check.name})
        result = run_check(check, Path(scratch), Path(references))
        report({"result": result.to_dict(), "printed": "".join(printed.kept), "printed_size": printed.size})


if __name__ == "__main__":
    os.chdir(sys.argv[2])  # the scratch folder: whatever the student's code writes lands there
    main(*sys.argv[1:6])
    os._exit(0)  # the student's threads or atexit handlers do not decide how this process ends

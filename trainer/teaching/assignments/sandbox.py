"""Grade one submission in a process of its own, in a scratch folder, under the assignment's limits.

The scratch folder holds the assignment's configs (and data/) and the student's files, side by side,
so the configs' `file.py:Name` find the student's code. The worker (worker.py) reports each check
as it starts and ends; a check that never ended gets 0 and a line that says why: the time limit, the
memory limit, or the process ended by the student's code (os._exit, a crash).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from trainer.errors import UserError
from trainer.teaching.assignments.checks import Result
from trainer.teaching.assignments.notebook import python_from_notebook
from trainer.teaching.assignments.report import NOT_RUN
from trainer.teaching.assignments.spec import Assignment

LEFT_OUT = {"assignment.yaml", "starter", "solution", "references"}  # never copied into a scratch folder
GRACE = 5.0  # seconds the process may take to start and to write its last line, beyond the limit


def submitted_files(assignment: Assignment, folder: Path) -> dict[str, Path]:
    """The student's file for each name in `files:`: the .py, or else a notebook of the same stem."""
    found = {}
    for name in assignment.files:
        for candidate in (folder / name, folder / f"{Path(name).stem}.ipynb"):
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def prepare_scratch(assignment: Assignment, submission: Path, scratch: Path) -> list[str]:
    """Copy the configs and the student's files into `scratch`; return the files that are missing."""
    for item in assignment.folder.iterdir():
        if item.name in LEFT_OUT or item.name.startswith("."):
            continue
        target = scratch / item.name
        shutil.copytree(item, target) if item.is_dir() else shutil.copy(item, target)
    found = submitted_files(assignment, submission)
    for name, path in found.items():
        text = python_from_notebook(path) if path.suffix == ".ipynb" else path.read_text(errors="replace")
        (scratch / name).write_text(text)
    return [name for name in assignment.files if name not in found]


def grade_submission(
    assignment: Assignment, submission: Path, references: Path, *, visible_only: bool = False
) -> tuple[list[Result], str]:
    """Every check's result for the submission, and what its code printed (a few kilobytes at most)."""
    checks = assignment.visible().checks if visible_only else assignment.checks
    with tempfile.TemporaryDirectory(prefix="grading-") as folder:
        scratch = Path(folder)
        try:
            missing = prepare_scratch(assignment, submission, scratch)
        except UserError as error:  # a notebook that cannot be read
            return [Result(c.name, 0.0, c.points, str(error), c.visibility) for c in checks], ""
        if missing:
            held = ", ".join(sorted(p.name for p in submission.iterdir())) or "nothing"
            why = f"your submission has no {' and no '.join(missing)} (it holds: {held})."
            return [Result(c.name, 0.0, c.points, why, c.visibility) for c in checks], ""
        lines, ended = _run_worker(assignment, scratch, references, visible_only)
    finished = {line["result"]["name"]: line for line in lines if "result" in line}
    started = [line["started"] for line in lines if "started" in line]
    running = started[-1] if started and started[-1] not in finished else None
    results = []
    for check in checks:
        if check.name in finished:
            results.append(Result(**finished[check.name]["result"]))
            continue
        if check.name == running:
            why = ended
        else:
            why = f"{NOT_RUN} the checks stopped at {running}, before this one." if running else ended
        results.append(Result(check.name, 0.0, check.points, why, check.visibility))
    printed = lines[-1].get("printed", "") if lines and "printed" in lines[-1] else ""
    size = lines[-1].get("printed_size", 0) if lines and "printed" in lines[-1] else 0
    if size > len(printed):
        printed += f"\n... (your code printed {size:,} characters; the first {len(printed):,} are shown)"
    return results, printed


def _run_worker(
    assignment: Assignment, scratch: Path, references: Path, visible_only: bool
) -> tuple[list[dict], str]:
    """Run the worker; its reported lines, and why it stopped early if it did."""
    results = scratch / ".results.jsonl"
    limits = assignment.limits
    command = [sys.executable, "-m", "trainer.teaching.assignments.worker", str(assignment.folder),
               str(scratch), str(references.resolve()), str(results), "visible" if visible_only else "all"]  # fmt: skip
    framework = str(Path(__file__).resolve().parents[3])  # the worker runs this very trainer
    path = os.pathsep.join(filter(None, [framework, os.environ.get("PYTHONPATH")]))
    environment = os.environ | {"PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    with open(scratch / ".printed.txt", "wb") as printed:
        process = subprocess.Popen(
            command, cwd=scratch, stdout=printed, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=environment, start_new_session=True,  # its own process group: killed with all it started
        )  # fmt: skip
        try:
            status = process.wait(timeout=limits.seconds + GRACE)
            ended = _why_it_ended(status, limits.memory_mb, limits.seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            ended = (
                f"did not finish within the time limit of {limits.seconds:g} s: an endless loop, or far "
                f"too much work (a loop over rows where one matrix operation would do?)."
            )
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    lines = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    return lines, ended


def _why_it_ended(status: int, memory_mb: int, seconds: float) -> str:
    if status == -signal.SIGKILL or status == -signal.SIGSEGV:
        return f"the process was killed, most likely for using more than the memory limit of {memory_mb} MB."
    if status == -signal.SIGXCPU:
        return f"used more than the CPU time limit of {seconds:g} s: an endless loop, or far too much work."
    return (
        f"the process ended before this check finished (exit status {status}): your code ended it, with "
        f"os._exit() or a crash, at import or while this check ran. Never end the program in code you hand in."
    )

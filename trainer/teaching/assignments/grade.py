"""Grade a class: SUBMISSIONS/<student>/ each graded in its own process, N at a time (or on Dask);
per student results.json and feedback.md, for the class grades.csv and the report.

A submission whose files and assignment are unchanged since it was last graded into OUT (the same
content hash, kept in OUT/<student>/submission.sha256) is not graded again unless `force`.
"""

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import UserError
from trainer.files import write_atomically
from trainer.teaching.assignments import report, results
from trainer.teaching.assignments.checks import Result
from trainer.teaching.assignments.references import write_references
from trainer.teaching.assignments.sandbox import grade_submission, submitted_files
from trainer.teaching.assignments.spec import Assignment, load_assignment


@dataclass
class ClassGrades:
    graded: list[str]  # students graded this time
    skipped: list[str]  # unchanged since the last grading
    results: dict[str, list[Result]]  # every student's, from this grading or the last
    seconds: float


def grade_class(
    assignment_folder: str | Path,
    submissions: str | Path,
    out: str | Path,
    *,
    workers: int = 1,
    force: bool = False,
    dask: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> ClassGrades:
    started = time.perf_counter()
    assignment = load_assignment(assignment_folder)
    students = _students(Path(submissions))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    references = write_references(assignment, out / ".references")
    fingerprint = _assignment_hash(assignment)
    hashes = {name: _submission_hash(assignment, folder, fingerprint) for name, folder in students.items()}
    todo = [name for name in students if force or not _graded_before(out / name, hashes[name])]

    def grade_one(name: str) -> None:
        checks, printed = grade_submission(assignment, students[name], references)
        text = results.feedback(assignment.title, name, checks, printed)
        results.write_student(out / name, checks, text, hashes[name])
        progress(f"{name}: {sum(c.score for c in checks):g} / {assignment.max_score:g}")

    if dask:
        _on_dask(dask, grade_one, todo)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # each thread waits on its own process
            list(pool.map(grade_one, todo))
    everyone = {name: results.read_student(out / name) for name in students}
    _write_class_files(assignment, everyone, out)
    skipped = [name for name in students if name not in todo]
    return ClassGrades(todo, skipped, everyone, time.perf_counter() - started)


def _students(submissions: Path) -> dict[str, Path]:
    if not submissions.is_dir():
        raise UserError(
            f"{submissions} is not a folder. SUBMISSIONS is a folder with one folder per student, named by "
            f"the student's id, holding that student's files."
        )
    students = {p.name: p for p in sorted(submissions.iterdir()) if p.is_dir() and not p.name.startswith(".")}
    if not students:
        raise UserError(
            f"{submissions} has no student folders: it should hold one folder per student (named by the "
            f"student's id) with that student's files in it."
        )
    return students


def _write_class_files(assignment: Assignment, everyone: dict[str, list[Result]], out: Path) -> None:
    names = [check.name for check in assignment.checks]
    write_atomically(out / "grades.csv", results.grades_csv(names, everyone))
    write_atomically(out / "report.md", report.markdown(assignment.title, everyone, assignment.max_score))
    write_atomically(out / "report.html", report.html_page(assignment.title, everyone, assignment.max_score))


def _assignment_hash(assignment: Assignment) -> str:
    """Of every file of the assignment: a changed check, solution or config grades everyone again."""
    digest = hashlib.sha256()
    for path in sorted(assignment.folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(assignment.folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _submission_hash(assignment: Assignment, folder: Path, fingerprint: str) -> str:
    digest = hashlib.sha256(fingerprint.encode())
    for name, path in sorted(submitted_files(assignment, folder).items()):
        digest.update(f"{name}\0{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _graded_before(folder: Path, content_hash: str) -> bool:
    saved = folder / "submission.sha256"
    return (
        saved.is_file() and (folder / "results.json").is_file() and saved.read_text().strip() == content_hash
    )


def _on_dask(address: str, grade_one: Callable[[str], None], todo: list[str]) -> None:
    """Each submission a Dask task on the cluster at `address`; the workers share this file system."""
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--dask needs the distributed package: pip install 'trainer[dask]'.") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as error:
        raise UserError(f"--dask {address}: no Dask scheduler answers there ({error}).") from None
    with client:
        client.gather(client.map(grade_one, todo, pure=False))


def check_files(
    assignment_folder: str | Path, files: list[str | Path]
) -> tuple[Assignment, list[Result], str]:
    """A student's own check (`mgtrain check`): the visible checks on their files, in a sandbox."""
    assignment = load_assignment(assignment_folder)
    expected = {Path(name).stem for name in assignment.files}
    for file in map(Path, files):
        if not file.is_file():
            raise UserError(
                f"{file} does not exist; name the file you wrote, such as {next(iter(assignment.files))}."
            )
        if file.stem not in expected or file.suffix not in (".py", ".ipynb"):
            raise UserError(
                f"{file.name} is not a file of this assignment; it asks for {', '.join(assignment.files)} "
                f"(or a notebook of the same name, .ipynb)."
            )
    with tempfile.TemporaryDirectory(prefix="check-") as folder:
        submission = Path(folder) / "submission"
        submission.mkdir()
        for file in map(Path, files):
            shutil.copy(file, submission / file.name)
        references = write_references(assignment.visible(), Path(folder) / "references")
        checks, printed = grade_submission(assignment, submission, references, visible_only=True)
    return assignment, checks, printed


def grade_for_gradescope(assignment_folder: str | Path, root: Path) -> None:
    """On Gradescope: grade ROOT/submission, write ROOT/results/results.json (all checks, hidden ones
    shown after the grades are published)."""
    assignment = load_assignment(assignment_folder)
    with tempfile.TemporaryDirectory(prefix="references-") as folder:
        references = write_references(assignment, Path(folder))
        checks, _ = grade_submission(assignment, root / "submission", references)
    (root / "results").mkdir(parents=True, exist_ok=True)
    write_atomically(
        root / "results" / "results.json", json.dumps(results.results_json(checks), indent=2) + "\n"
    )

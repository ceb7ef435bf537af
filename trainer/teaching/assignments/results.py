"""What grading leaves per student, and for the class's spreadsheet.

- results.json in Gradescope's autograder format: `score`, and `tests`, each with `name`, `score`,
  `max_score`, `output` and `visibility` ("visible", or "after_published" for a hidden check: the
  student sees it once the teacher publishes the grades);
- feedback.md for the student: the score, a line per check, the first thing to fix;
- grades.csv: student, score, max_score, then a column per check.
"""

import csv
import io
import json
from pathlib import Path

from trainer.files import write_atomically
from trainer.teaching.assignments.checks import Result

GRADESCOPE_VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def results_json(results: list[Result]) -> dict:
    return {
        "score": round(sum(result.score for result in results), 6),
        "tests": [
            result.to_dict() | {"visibility": GRADESCOPE_VISIBILITY[result.visibility]} for result in results
        ],
    }


def feedback(title: str, student: str, results: list[Result], printed: str) -> str:
    score = sum(result.score for result in results)
    total = sum(result.max_score for result in results)
    lines = [f"# {title}: feedback for {student}", "", f"**Score: {score:g} / {total:g}**", ""]
    lines += [
        f"- {'pass' if r.passed else 'FAIL'} **{r.name}**: {r.score:g} / {r.max_score:g}" for r in results
    ]
    failing = [result for result in results if not result.passed]
    if failing:
        lines += ["", f"## First thing to fix: {failing[0].name}", "", _block(failing[0].output)]
    for result in results:
        lines += ["", f"## {result.name}", "", _block(result.output)]
    if printed.strip():
        lines += ["", "## What your code printed", "", _block(printed)]
    return "\n".join(lines) + "\n"


def _block(text: str) -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}\n{text.strip()}\n{fence}"


def write_student(folder: Path, results: list[Result], feedback_text: str, content_hash: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "results.json", json.dumps(results_json(results), indent=2) + "\n")
    write_atomically(folder / "feedback.md", feedback_text)
    write_atomically(
        folder / "submission.sha256", content_hash + "\n"
    )  # the next grading skips it if unchanged


def read_student(folder: Path) -> list[Result]:
    """The results of an earlier grading, from its results.json."""
    tests = json.loads((folder / "results.json").read_text())["tests"]
    back = {gradescope: ours for ours, gradescope in GRADESCOPE_VISIBILITY.items()}
    return [Result(**(test | {"visibility": back[test["visibility"]]})) for test in tests]


def grades_csv(check_names: list[str], graded: dict[str, list[Result]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", *check_names])
    for student, results in sorted(graded.items()):
        by_name = {result.name: result.score for result in results}
        score = sum(result.score for result in results)
        writer.writerow([student, f"{score:g}", f"{sum(r.max_score for r in results):g}",
                         *(f"{by_name.get(name, 0.0):g}" for name in check_names)])  # fmt: skip
    return out.getvalue()

"""`mgtrain grade`, `check` and `--gradescope`, each submission in its own process: the shipped
assignments graded with their solutions, the classic bugs and hostile code (slow: a few minutes)."""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from tests.assignment_cases import BUGS, HOSTILE, solution, write_submissions
from tests.conftest import ASSIGNMENTS, ROOT, TWO_LAYER_NET
from trainer.cli.main import main
from trainer.teaching.assignments.grade import grade_for_gradescope

pytestmark = pytest.mark.slow


def grades(out) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


@pytest.mark.parametrize("assignment", sorted(BUGS))
def test_a_class_gets_the_scores_and_diagnoses_it_deserves(assignment, tmp_path, capsys):
    write_submissions(assignment, tmp_path / "submissions")
    out = tmp_path / "grades"
    assert main(["grade", str(ASSIGNMENTS / assignment), str(tmp_path / "submissions"), "--out", str(out),
                 "--workers", "2"]) == 0  # fmt: skip
    table = grades(out)
    assert float(table["solution"]["score"]) == float(table["solution"]["max_score"]) == 10
    for submission, _, _, score, diagnosis in BUGS[assignment]:
        assert float(table[submission]["score"]) == score, submission
        assert diagnosis in (out / submission / "feedback.md").read_text(), submission
        written = json.loads((out / submission / "results.json").read_text())
        assert written["score"] == score and sum(test["score"] for test in written["tests"]) == score
    assert list(table["solution"]) == ["student", "score", "max_score", *(json_names(out / "solution"))]
    report = (out / "report.md").read_text()
    assert f"{len(BUGS[assignment]) + 1} submissions" in report and "## The most common failures" in report
    assert "<div class='hist'>" in (out / "report.html").read_text()


def json_names(folder) -> list[str]:
    return [test["name"] for test in json.loads((folder / "results.json").read_text())["tests"]]


def test_hostile_code_gets_zero_and_a_clear_line_while_the_class_is_graded(tmp_path):
    assignment = tmp_path / "assignment"
    shutil.copytree(TWO_LAYER_NET, assignment)
    text = (assignment / "assignment.yaml").read_text()
    (assignment / "assignment.yaml").write_text(
        text.replace("seconds: 60", "seconds: 20").replace("memory_mb: 2000", "memory_mb: 600")
    )
    write_submissions("two_layer_net", tmp_path / "submissions", hostile=True)
    for submission, *_ in BUGS["two_layer_net"]:  # the class: the solution and the hostile ones
        shutil.rmtree(tmp_path / "submissions" / submission)
    name, text = solution("two_layer_net")
    (tmp_path / "submissions" / "chatty").mkdir()
    (tmp_path / "submissions" / "chatty" / name).write_text(f"print('x' * 10**7)\n{text}")
    out = tmp_path / "grades"
    assert (
        main(["grade", str(assignment), str(tmp_path / "submissions"), "--out", str(out), "--workers", "2"])
        == 0
    )
    table = grades(out)
    assert table["solution"]["score"] == "10" and table["chatty"]["score"] == "10"
    assert "your code printed 10,000,001 characters" in (out / "chatty" / "feedback.md").read_text()
    for submission, _, line in HOSTILE:
        assert table[submission]["score"] == "0", submission
        tests = json.loads((out / submission / "results.json").read_text())["tests"]
        assert line in tests[0]["output"], (submission, tests[0]["output"])


def test_unchanged_submissions_are_not_graded_again_unless_forced(tmp_path, capsys):
    name, text = solution("linear_regression")
    for student in ("ada", "bob"):
        (tmp_path / "submissions" / student).mkdir(parents=True)
        (tmp_path / "submissions" / student / name).write_text(text)
    command = ["grade", str(ASSIGNMENTS / "linear_regression"), str(tmp_path / "submissions"), "--out",
               str(tmp_path / "out")]  # fmt: skip
    assert main(command) == 0 and "graded 2 submission(s), 0 unchanged" in capsys.readouterr().out
    (tmp_path / "submissions" / "bob" / name).write_text(text.replace("return mg.mean(", "return mg.sum("))
    assert main(command) == 0 and "graded 1 submission(s), 1 unchanged" in capsys.readouterr().out
    assert grades(tmp_path / "out")["bob"]["score"] == "4"
    assert (
        main([*command, "--force"]) == 0 and "graded 2 submission(s), 0 unchanged" in capsys.readouterr().out
    )


def test_a_notebook_is_graded_like_the_py(tmp_path):
    name, text = solution("logistic_regression")
    cells = [{"cell_type": "code", "source": ["%matplotlib inline\n"]},
             {"cell_type": "code", "source": text.splitlines(keepends=True)}]  # fmt: skip
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / name.replace(".py", ".ipynb")).write_text(json.dumps({"cells": cells}))
    grade_for_gradescope(ASSIGNMENTS / "logistic_regression", tmp_path)
    written = json.loads((tmp_path / "results" / "results.json").read_text())
    assert written["score"] == 10 and {test["visibility"] for test in written["tests"]} == {
        "visible",
        "after_published",
    }


def test_a_student_checks_the_handout_and_learns_what_to_fix_first(tmp_path):
    def mgtrain(*arguments):
        return subprocess.run([sys.executable, "-m", "trainer", *arguments], cwd=tmp_path / "handout",
                              capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})  # fmt: skip

    assert main(["handout", str(TWO_LAYER_NET), str(tmp_path / "handout")]) == 0
    untouched = mgtrain("check", ".", "two_layer_net.py")
    assert untouched.returncode == 1 and "0 of 7 points on the visible checks" in untouched.stdout
    assert "First thing to fix (cross_entropy):\nyour code raised NotImplementedError" in untouched.stdout
    (tmp_path / "handout" / "two_layer_net.py").write_text(solution("two_layer_net")[1])
    solved = mgtrain("check", ".", "two_layer_net.py")
    assert solved.returncode == 0 and "7 of 7 points" in solved.stdout and "training" not in solved.stdout
    wrong_file = mgtrain("check", ".", "two_layer_net.yaml")
    assert wrong_file.returncode == 2 and "is not a file of this assignment" in wrong_file.stderr


def test_a_class_is_graded_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    name, text = solution("linear_regression")
    (tmp_path / "submissions" / "ada").mkdir(parents=True)
    (tmp_path / "submissions" / "ada" / name).write_text(text)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        assert main(["grade", str(ASSIGNMENTS / "linear_regression"), str(tmp_path / "submissions"),
                     "--out", str(tmp_path / "out"), "--dask", cluster.scheduler_address]) == 0  # fmt: skip
    assert grades(tmp_path / "out")["ada"]["score"] == "10"

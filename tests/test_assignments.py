"""Assignments, in this process: the format's errors, the component checks and the diagnosis of each
classic bug, the train check's diagnoses, the handout, notebooks, results.json and grades.csv.
Grading in separate processes is in test_grading_a_class.py."""

import json
import shutil

import numpy as np
import pytest

from tests.assignment_cases import BUGS, solution
from tests.conftest import ASSIGNMENTS, TWO_LAYER_NET
from trainer.cli.main import main
from trainer.errors import UserError
from trainer.teaching.assignments import component, results
from trainer.teaching.assignments.checks import Result, run_check
from trainer.teaching.assignments.handout import write_handout
from trainer.teaching.assignments.notebook import python_from_notebook
from trainer.teaching.assignments.sandbox import prepare_scratch
from trainer.teaching.assignments.spec import ComponentCheck, TrainCheck, load_assignment
from trainer.usercode import load

COMPONENT_BUGS = [
    (assignment, name, old, new, diagnosis)
    for assignment, bugs in BUGS.items()
    for name, old, new, _, diagnosis in bugs
    if name not in ("zero_init", "frozen_bias")  # named by training: test_a_parameter_that_never_changes
]


def _component_failures(assignment: str, text: str, tmp_path) -> list[str]:
    """The message of every component check the file `text` fails, compared with the solution."""
    spec = load_assignment(ASSIGNMENTS / assignment)
    file, solution_text = solution(assignment)
    (tmp_path / "solution").mkdir(exist_ok=True)
    (tmp_path / "solution" / file).write_text(solution_text)
    (tmp_path / file).write_text(text)
    messages = []
    for check in spec.checks:
        if isinstance(check, ComponentCheck):
            name = check.target.split(":")[1]
            reference = component.record(check, load(f"{tmp_path / 'solution' / file}:{name}"))
            try:
                component.compare(check, load(f"{tmp_path / file}:{name}"), reference)
            except component.Failed as failure:
                messages.append(str(failure))
    return messages


@pytest.mark.parametrize("assignment", sorted(BUGS))
def test_the_solution_passes_every_component_check(assignment, tmp_path):
    assert _component_failures(assignment, solution(assignment)[1], tmp_path) == []


@pytest.mark.parametrize(
    "assignment, name, old, new, diagnosis", COMPONENT_BUGS, ids=[f"{a}-{n}" for a, n, *_ in COMPONENT_BUGS]
)
def test_each_classic_bug_is_named(assignment, name, old, new, diagnosis, tmp_path):
    failures = _component_failures(assignment, solution(assignment)[1].replace(old, new), tmp_path)
    assert len(failures) == 1 and diagnosis in failures[0], failures


def test_a_cut_graph_names_the_students_line(tmp_path):
    old, new = "mg.exp(z), axis=1", "mg.exp(z.data), axis=1"
    [failure] = _component_failures("two_layer_net", solution("two_layer_net")[1].replace(old, new), tmp_path)
    assert "two_layer_net.py, line 25: `log_probabilities = z - mg.log(mg.sum(mg.exp(z.data)" in failure


def test_an_error_in_the_students_code_shows_their_line_only(tmp_path):
    text = solution("two_layer_net")[1].replace("z = logits - ", "z = logits.nonexistent - ")
    [failure] = _component_failures("two_layer_net", text, tmp_path)
    assert "your code raised AttributeError" in failure and "calling it in the typical case" in failure
    assert "two_layer_net.py, line 24, in cross_entropy:\n    z = logits.nonexistent" in failure
    assert "mygrad" not in failure and "trainer" not in failure


def _train_check(tmp_path, text: str, expect: dict) -> Result:
    spec = load_assignment(TWO_LAYER_NET)
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "two_layer_net.py").write_text(text)
    (tmp_path / "scratch").mkdir()
    prepare_scratch(spec, tmp_path / "submission", tmp_path / "scratch")
    check = TrainCheck(name="training", kind="train", config="two_layer_net.yaml", points=sum(expect.values()),
                       overrides=("trainer.epochs=4",), expect=expect)  # fmt: skip
    return run_check(check, tmp_path / "scratch", tmp_path)


def test_a_parameter_that_never_changes_is_named(tmp_path):
    text = solution("two_layer_net")[1].replace(
        "rng.normal(0, np.sqrt(2 / n_inputs), size=(n_inputs, hidden))", "np.zeros((n_inputs, hidden))"
    )
    result = _train_check(tmp_path, text, {"status==completed": 1, "test_accuracy>=0.95": 2})
    assert result.score == 1 and "parameter w1, b1, w2 never changed during training" in result.output


def test_a_loss_with_the_wrong_sign_is_named_by_training(tmp_path):
    text = solution("two_layer_net")[1].replace("return -mg.mean(", "return mg.mean(")
    result = _train_check(tmp_path, text, {"test_accuracy>=0.95": 2})
    assert result.score == 0 and "the training loss went below 0" in result.output


def test_the_handout_has_no_solution_and_no_hidden_check(tmp_path):
    files = write_handout(TWO_LAYER_NET, tmp_path / "handout")
    assert files == [
        "assignment.yaml",
        "references/TwoLayerNet.npz",
        "references/cross_entropy.npz",
        "two_layer_net.py",
        "two_layer_net.yaml",
    ]
    handed = load_assignment(tmp_path / "handout")
    assert [check.name for check in handed.checks] == ["cross_entropy", "TwoLayerNet", "gradients"]
    assert "visibility: hidden" not in (tmp_path / "handout" / "assignment.yaml").read_text()
    starter = (TWO_LAYER_NET / "starter" / "two_layer_net.py").read_text()
    assert (tmp_path / "handout" / "two_layer_net.py").read_text() == starter
    assert "mg.maximum(x @ self.w1" in solution("two_layer_net")[1]
    for path in (tmp_path / "handout").rglob("*"):
        if path.is_file() and path.suffix != ".npz":
            assert "mg.maximum(x @ self.w1" not in path.read_text(), path


def test_a_handout_is_never_written_over(tmp_path):
    (tmp_path / "handout").mkdir()
    with pytest.raises(UserError, match="exists already"):
        write_handout(TWO_LAYER_NET, tmp_path / "handout")


BAD_ASSIGNMENTS = [
    (("points: 3\n", "points: -1\n"), "checks.0.points: Input should be greater than or equal to 0"),
    (("kind: gradcheck", "kind: gradchek"), "checks.2: Input tag 'gradchek' found using 'kind' does not match"),
    (("config: two_layer_net.yaml\n    points: 1", "config: missing.yaml\n    points: 1"),
     "check gradients names config missing.yaml, which is not in"),
    (("target: two_layer_net.py:cross_entropy", "target: two_layer_net.py:crossentropy"),
     "`files:` does not list crossentropy in two_layer_net.py"),
    (('"test_accuracy>=0.95": 2', '"test_accuracy=>0.95": 2'), "is not an expectation"),
    (("    visibility: hidden", "    points: 4\n    visibility: hidden"), "checks.3.points: a train check is worth"),
]  # fmt: skip


@pytest.mark.parametrize("change, message", BAD_ASSIGNMENTS)
def test_a_bad_assignment_is_one_clear_error_with_exit_2(tmp_path, capsys, change, message):
    folder = tmp_path / "assignment"
    shutil.copytree(TWO_LAYER_NET, folder)
    text = (folder / "assignment.yaml").read_text()
    assert change[0] in text
    (folder / "assignment.yaml").write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(UserError, match="assignment.yaml") as error:
        load_assignment(folder)
    assert message in str(error.value)
    assert main(["handout", str(folder), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "out").exists()


def test_grading_paths_that_are_not_there_exit_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nothing"), str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "has no assignment.yaml" in capsys.readouterr().err
    assert main(["grade", str(TWO_LAYER_NET), str(tmp_path / "nobody"), "--out", str(tmp_path / "o")]) == 2
    assert "is not a folder. SUBMISSIONS is a folder with one folder per student" in capsys.readouterr().err


def test_a_notebooks_code_cells_run_in_order_without_magics(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# My work"]},
            {
                "cell_type": "code",
                "source": ["%matplotlib inline\n", "import numpy as np\n", "!pip install x"],
            },
            {"cell_type": "code", "source": "%%time\nslow()"},
            {"cell_type": "code", "source": ["def f(x):\n", "    %timeit x\n", "    return np.sum(x)\n"]},
        ],
        "nbformat": 4,
    }
    (tmp_path / "net.ipynb").write_text(json.dumps(notebook))
    code = python_from_notebook(tmp_path / "net.ipynb")
    namespace: dict = {}
    exec(compile(code, "net.py", "exec"), namespace)
    assert namespace["f"](np.ones(3)) == 3 and "slow()" not in code
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(UserError, match="broken.ipynb is not a Jupyter notebook"):
        python_from_notebook(tmp_path / "broken.ipynb")


def test_results_json_is_in_gradescopes_format_and_grades_csv_has_a_column_per_check():
    graded = {
        "s2": [Result("loss", 3.0, 3.0, "ok", "visible"), Result("training", 0.0, 2.0, "FAIL", "hidden")],
        "s1": [Result("loss", 0.0, 3.0, "sign", "visible"), Result("training", 2.0, 2.0, "ok", "hidden")],
    }
    written = results.results_json(graded["s2"])
    assert written == {
        "score": 3.0,
        "tests": [
            {"name": "loss", "score": 3.0, "max_score": 3.0, "output": "ok", "visibility": "visible"},
            {
                "name": "training",
                "score": 0.0,
                "max_score": 2.0,
                "output": "FAIL",
                "visibility": "after_published",
            },
        ],
    }
    assert results.grades_csv(["loss", "training"], graded) == (
        "student,score,max_score,loss,training\ns1,2,5,0,2\ns2,3,5,3,0\n"
    )

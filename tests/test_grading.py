import json

import pytest

from tests.conftest import CONFIGS
from tests.test_cli import train_cli
from trainer.config.dotted import flatten
from trainer.config.load import load_config
from trainer.teaching.grading import Expectation, parse_expectation, summary_fields


def test_expectations_met_exit_0_with_a_table_and_grade_json(tmp_path):
    result = train_cli(
        CONFIGS / "linreg.yaml",
        "--expect",
        "val_loss<0.1",
        "--expect",
        "least_squares.distance <= 0.01",
        "--expect",
        "status==completed",
        "--expect",
        "weights.1>50",
        "--runs-dir",
        tmp_path,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "grade: 4 of 4 expectations met" in result.stdout
    (folder,) = (tmp_path / "linreg").iterdir()
    grade = json.loads((folder / "grade.json").read_text())
    summary = json.loads((folder / "summary.json").read_text())
    assert grade["passed"] is True and grade["passed_count"] == grade["total"] == 4
    first = grade["expectations"][0]
    assert first == {
        "expectation": "val_loss<0.1",
        "field": "val_loss",
        "operator": "<",
        "target": 0.1,
        "value": summary["val_loss"],
        "passed": True,
    }


def test_a_failed_expectation_exits_1(tmp_path):
    result = train_cli(
        CONFIGS / "linreg.yaml",
        "trainer.epochs=1",
        "--expect",
        "val_loss<1e-6",
        "--expect",
        "steps>=13",
        "--runs-dir",
        tmp_path,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "grade: 1 of 2 expectations met" in result.stdout
    fail_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("val_loss<1e-6"))
    assert fail_line.endswith("FAIL")
    (folder,) = (tmp_path / "linreg").iterdir()
    assert json.loads((folder / "grade.json").read_text())["passed"] is False


@pytest.mark.parametrize(
    "expectation, message",
    [
        ("val_loss~0.1", "is not an expectation. Write FIELD OPERATOR VALUE"),
        ("val_loss<", "is not an expectation"),
        ("val_los<0.1", 'has no field val_los. Did you mean "val_loss"?'),
        ("test.accuracy>=0.95", "has no field test.accuracy"),
        ("val_loss<low", "low is not a number"),
        ("status>1", "status is 'running', not a number; compare it with == or !="),
    ],
)
def test_bad_expectations_stop_before_training(tmp_path, expectation, message):
    result = train_cli(
        CONFIGS / "linreg.yaml", "--expect", expectation, "--runs-dir", tmp_path / "runs", cwd=tmp_path
    )
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_fields_follow_the_config():
    linreg = summary_fields(load_config(CONFIGS / "linreg.yaml"))
    assert {"train_loss", "val_loss", "test_loss", "least_squares.distance", "true_bias", "weights.2"} <= set(
        linreg
    )
    assert {"best.value", "stopped_epoch", "best_epoch", "divergence"} <= set(
        linreg
    )  # present whatever the outcome
    assert "weights.3" not in linreg  # three features
    diabetes = summary_fields(load_config(CONFIGS / "diabetes.yaml"))
    assert "true_bias" not in diabetes and "weights.9" in diabetes


def test_a_field_that_stays_null_fails_rather_than_passing():
    expectation = parse_expectation("test_loss<0.1")
    assert expectation.check({"test_loss": None}) == (None, False)
    assert parse_expectation("test_loss!=0").check({"test_loss": None}) == (None, False)
    assert parse_expectation("val_loss>=0.5").check({"val_loss": 0.5}) == (0.5, True)


def test_parsing_and_flattening():
    assert parse_expectation(" least_squares.distance <= 1e-3 ") == Expectation(
        " least_squares.distance <= 1e-3 ", "least_squares.distance", "<=", 0.001
    )
    tree = {"a": {"b": [1, {"c": 2}]}, "d": None}
    assert flatten(tree, lists=True) == {"a.b.0": 1, "a.b.1.c": 2, "d": None}
    assert flatten(tree) == {"a.b": [1, {"c": 2}], "d": None}  # a config's list is one value

"""A finished run loaded again: predictions, scores, and the evaluate command."""

import json
import subprocess
import sys

import numpy as np
import pytest

import trainer
from tests.conftest import CONFIGS, ROOT
from tests.test_cli import run_cli
from trainer.errors import UserError
from trainer.runs.evaluate import read_rows


@pytest.fixture(scope="module")
def logreg_run(tmp_path_factory):
    return trainer.train(CONFIGS / "logreg.yaml", runs_dir=tmp_path_factory.mktemp("runs"))


def test_last_checkpoint_scores_as_the_summary_says(logreg_run):
    loaded = trainer.load_run(logreg_run.folder, "last")
    result = loaded.evaluate()
    assert result["split"] == "test" and result["checkpoint"] == "last"
    assert result["accuracy"] == logreg_run.summary["test_accuracy"]
    assert result["loss"] == pytest.approx(logreg_run.summary["test_loss"], rel=1e-12)


def test_the_summary_names_the_best_checkpoints_scores_which_evaluate_reproduces(logreg_run):
    summary, best = logreg_run.summary, logreg_run.summary["best"]
    result = trainer.load_run(logreg_run.folder).evaluate()  # the best checkpoint, by default
    assert result["checkpoint"] == "best"
    assert result["accuracy"] == best["test_accuracy"] and result["f1"] == best["test_f1"]
    assert result["loss"] == pytest.approx(best["test_loss"], rel=1e-12)
    # its epoch, always there (not only after early stopping), and that epoch's validation scores
    assert summary["status"] == "completed" and summary["best_epoch"] == best["epoch"]
    at_best = logreg_run.history[best["epoch"] - 1]
    assert (
        best["val_loss"]
        == at_best["val_loss"]
        == best["value"]
        == min(h["val_loss"] for h in logreg_run.history)
    )
    assert best["val_accuracy"] == at_best["val_accuracy"] and best["train_loss"] == at_best["train_loss"]
    if best["epoch"] != len(logreg_run.history):  # the last parameters are another model: scored apart
        assert summary["test_loss"] != best["test_loss"]


def test_predict_takes_rows_in_the_datas_own_units(tmp_path, write_config):
    run = trainer.train(write_config(), runs_dir=tmp_path)
    loaded = trainer.load_run(run.folder)
    X = loaded.experiment.splits.dataset.X[:7]
    expected = X @ np.array(run.summary["weights_original_units"]) + run.summary["bias_original_units"]
    assert loaded.checkpoint == "best"
    last = trainer.load_run(run.folder, "last")  # the summary's weights are the last epoch's
    assert np.allclose(last.predict(X), expected, rtol=1e-12)
    assert loaded.predict(X).shape == (7,)
    with pytest.raises(UserError, match=r"rows of 2 features"):
        loaded.predict(np.zeros((3, 5)))


def test_evaluate_command_writes_predictions_and_scores(logreg_run, tmp_path):
    result = run_cli("evaluate", logreg_run.folder, "--output", tmp_path / "p.csv")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "row,target,prediction,p_malignant,p_benign" and len(lines) == 1 + 114
    assert set(lines[1].split(",")[1:3]) <= {"malignant", "benign"}
    scores = json.loads((logreg_run.folder / "evaluation-test.json").read_text())
    assert scores["rows"] == 114 and "accuracy" in result.stdout


def test_evaluate_on_a_csv_file(tmp_path):
    run = trainer.train(CONFIGS / "linreg_csv.yaml", runs_dir=tmp_path)
    loaded = trainer.load_run(run.folder)
    X, y, _ = read_rows(loaded, str(ROOT / "data" / "grunfeld.csv"))
    assert X.shape == (220, 2) and y.shape == (220, 1)
    result = loaded.evaluate(data=(X, y))
    assert result["rows"] == 220 and 0.5 < result["r2"] <= 1


def test_each_data_file_evaluated_gets_its_own_predictions_and_scores(tmp_path):
    run = trainer.train(CONFIGS / "linreg_csv.yaml", ["trainer.epochs=2"], runs_dir=tmp_path)
    rows = (ROOT / "data" / "grunfeld.csv").read_text().splitlines()
    for name, part in [("first half", rows[:111]), ("second", rows[:1] + rows[111:])]:
        (tmp_path / f"{name}.csv").write_text("\n".join(part) + "\n")
        command = [
            sys.executable,
            "-m",
            "trainer",
            "evaluate",
            str(run.folder),
            "--data",
            str(tmp_path / f"{name}.csv"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    for label, count in [("data-first_half", 110), ("data-second", 110)]:
        assert len((run.folder / f"predictions-{label}.csv").read_text().splitlines()) == 1 + count
        assert json.loads((run.folder / f"evaluation-{label}.json").read_text())["rows"] == count


def test_evaluate_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = run_cli("evaluate", tmp_path)
    assert (
        result.returncode == 2 and "is not a run folder" in result.stderr and "Traceback" not in result.stderr
    )

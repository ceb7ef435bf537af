"""Every shipped config reaches its target on the held-out test split: quick ones at their full
budget, the others on a reduced one (their full runs are marked slow). Every full run of a shipped
training config ends with no warning, in summary.json or from Python."""

import pytest
import yaml

import trainer
from tests.conftest import CONFIGS

# config, overrides for the reduced budget, summary key, target (>= for accuracies, < for losses)
TARGETS = [
    ("logreg", [], "test_accuracy", 0.95),
    ("softmax_iris", [], "test_accuracy", 0.90),
    ("mlp_digits", ["trainer.epochs=15"], "test_accuracy", 0.97),
    ("spiral", ["trainer.epochs=30"], "test_accuracy", 0.95),
    ("sine", ["trainer.epochs=40"], "test_mse", 0.01),
]


def reaches(summary, key, target):
    return summary[key] < target if key.endswith("mse") else summary[key] >= target


# the training configs (a descent config has no `data:`); the exercise's is in tests/test_students_code.py
TRAINING = sorted(path.stem for path in CONFIGS.glob("*.yaml") if "data" in yaml.safe_load(path.read_text()))
DESCENT = sorted(path.stem for path in CONFIGS.glob("*.yaml") if path.stem not in TRAINING)

# run at their full budget by the quick tests here, which check them for warnings too
FULL_IN_QUICK_TESTS = {name for name, overrides, *_ in TARGETS if not overrides} | {"linreg_csv"}


@pytest.mark.filterwarnings("error")  # a Python warning (a RuntimeWarning from NumPy, say) fails the test
@pytest.mark.parametrize("name, overrides, key, target", TARGETS, ids=[t[0] for t in TARGETS])
def test_config_reaches_its_target(tmp_path, name, overrides, key, target):
    run = trainer.train(CONFIGS / f"{name}.yaml", overrides, runs_dir=tmp_path)
    assert reaches(run.summary, key, target), f"{name}: {key} = {run.summary[key]}"
    if not overrides:
        assert run.summary["warnings"] == []


@pytest.mark.slow
@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", sorted(set(TRAINING) - FULL_IN_QUICK_TESTS))
def test_every_shipped_config_reaches_its_target_with_no_warning(tmp_path, name):
    run = trainer.train(CONFIGS / f"{name}.yaml", runs_dir=tmp_path)
    assert run.summary["status"] == "completed" and run.summary["warnings"] == [], name
    for key, target in [(k, t) for n, _, k, t in TARGETS if n == name]:
        assert reaches(run.summary, key, target), f"{name}: {key} = {run.summary[key]}"


def test_two_feature_classification_draws_its_decision_boundary_and_1d_regression_its_fit(tmp_path):
    spiral = trainer.train(CONFIGS / "spiral.yaml", ["trainer.epochs=1"], runs_dir=tmp_path)
    assert (spiral.folder / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    sine = trainer.train(CONFIGS / "sine.yaml", ["trainer.epochs=1"], runs_dir=tmp_path)
    assert (sine.folder / "fit.png").read_bytes()[:4] == b"\x89PNG" and not (
        sine.folder / "decision_boundary.png"
    ).exists()


@pytest.mark.filterwarnings("error")
def test_linreg_csv_approaches_the_least_squares_solution_with_no_warning(tmp_path):
    run = trainer.train(CONFIGS / "linreg_csv.yaml", runs_dir=tmp_path)
    assert run.summary["warnings"] == []  # its noisy loss once read as "plateaued early"
    solution = run.summary["least_squares"]
    assert solution["distance"] < 0.01 * abs(solution["weights"][0])
    assert run.summary["test_r2"] >= 0.8


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", DESCENT)
def test_every_shipped_descent_config_runs_with_no_warning(tmp_path, name):
    from trainer.teaching.descent.run import descend

    run = descend(CONFIGS / f"{name}.yaml", runs_dir=tmp_path)  # a Python warning fails the test
    assert (run.folder / "descent.png").exists() and all(descent.verdict for descent in run.descents)

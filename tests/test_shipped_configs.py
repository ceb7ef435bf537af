"""Every shipped config reaches its target on the held-out test split: quick ones at their full
budget, the others on a reduced one (their full runs are marked slow)."""

import pytest

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


@pytest.mark.parametrize("name, overrides, key, target", TARGETS, ids=[t[0] for t in TARGETS])
def test_config_reaches_its_target(tmp_path, name, overrides, key, target):
    run = trainer.train(CONFIGS / f"{name}.yaml", overrides, runs_dir=tmp_path)
    assert reaches(run.summary, key, target), f"{name}: {key} = {run.summary[key]}"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, key, target", [(n, k, t) for n, o, k, t in TARGETS if o], ids=[t[0] for t in TARGETS if t[1]]
)
def test_full_config_reaches_its_target(tmp_path, name, key, target):
    run = trainer.train(CONFIGS / f"{name}.yaml", runs_dir=tmp_path)
    assert reaches(run.summary, key, target), f"{name}: {key} = {run.summary[key]}"


def test_two_feature_classification_draws_its_decision_boundary_and_1d_regression_its_fit(tmp_path):
    spiral = trainer.train(CONFIGS / "spiral.yaml", ["trainer.epochs=1"], runs_dir=tmp_path)
    assert (spiral.folder / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    sine = trainer.train(CONFIGS / "sine.yaml", ["trainer.epochs=1"], runs_dir=tmp_path)
    assert (sine.folder / "fit.png").read_bytes()[:4] == b"\x89PNG" and not (
        sine.folder / "decision_boundary.png"
    ).exists()


def test_linreg_csv_approaches_the_least_squares_solution(tmp_path):
    run = trainer.train(CONFIGS / "linreg_csv.yaml", runs_dir=tmp_path)
    solution = run.summary["least_squares"]
    assert solution["distance"] < 0.01 * abs(solution["weights"][0])
    assert run.summary["test_r2"] >= 0.8

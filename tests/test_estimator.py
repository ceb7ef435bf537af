"""trainer.Estimator: scikit-learn's own conformance suite over a regressor and a classifier, and the
uses the issue asks for: GridSearchCV over a config's key, cross_val_score, Pipeline, partial_fit."""

import numpy as np
import pytest
import yaml
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import trainer
from tests.conftest import CONFIGS

# Small and quick: the suite fits each estimator a few hundred times.
REGRESSOR = {
    "model": "linear",
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 0.05},
    "trainer": {"epochs": 20, "batch_size": 16},
}
CLASSIFIER = {
    "model": "softmax_regression",
    "loss": "cross_entropy",
    "optimizer": {"type": "sgd", "lr": 0.1},
    "trainer": {"epochs": 20, "batch_size": 16},
}


@pytest.mark.slow
@parametrize_with_checks([trainer.Estimator(REGRESSOR), trainer.Estimator(CLASSIFIER)])
def test_scikit_learn_conformance(estimator, check):
    # every check passes: none is marked as an expected failure
    check(estimator)


@pytest.mark.slow
def test_grid_search_over_a_shipped_config_picks_the_better_learning_rate():
    X, y = load_breast_cancer(return_X_y=True)
    search = GridSearchCV(trainer.Estimator(CONFIGS / "logreg.yaml"), {"optimizer__lr": [0.0001, 0.1]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"optimizer__lr": 0.1}
    assert search.best_score_ > 0.95  # logreg.yaml's target
    assert list(search.best_estimator_.classes_) == [0, 1]


def test_a_pipeline_cross_validates_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = make_regression(120, 3, noise=0.5, random_state=0)
    as_text = yaml.safe_dump(REGRESSOR)  # a config may be YAML text too, here without a data block
    scores = cross_val_score(make_pipeline(StandardScaler(), trainer.Estimator(as_text)), X, y, cv=3)
    assert scores.min() > 0.99
    assert list(tmp_path.iterdir()) == []  # no run folders unless runs_dir= asks


def test_parameters_are_the_configs_keys_nested_with_double_underscores():
    estimator = trainer.Estimator(CONFIGS / "logreg.yaml", optimizer__lr=0.5)
    params = estimator.get_params()
    assert params["optimizer__lr"] == 0.5 and params["trainer__epochs"] == 30 and params["loss"] == "bce"
    assert estimator.get_params(deep=False) == {
        "config": CONFIGS / "logreg.yaml", "runs_dir": None, "progress": False, "optimizer__lr": 0.5
    }  # fmt: skip
    estimator.set_params(trainer__epochs=2, optimizer__lrr=0.1)
    with pytest.raises(trainer.ConfigError, match=r'unknown key optimizer.lrr. Did you mean "lr"'):
        estimator.fit(*load_breast_cancer(return_X_y=True))


def test_a_classifier_keeps_its_labels_and_partial_fit_trains_further_epochs():
    X, y = load_breast_cancer(return_X_y=True)
    names = np.where(y == 1, "benign", "malignant")
    estimator = trainer.Estimator(CONFIGS / "logreg.yaml", trainer__epochs=3).fit(X, names)
    assert list(estimator.classes_) == ["benign", "malignant"] and estimator.n_iter_ == 3
    proba = estimator.predict_proba(X[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1)
    assert list(estimator.predict(X[:5])) == list(estimator.classes_[proba.argmax(axis=1)])
    before = [p.data.copy() for p in estimator.model_.parameters]
    estimator.partial_fit(X, names)
    assert estimator.n_iter_ == 4 and len(estimator.history_) == 4
    assert any(not np.array_equal(a, p.data) for a, p in zip(before, estimator.model_.parameters))
    assert not hasattr(trainer.Estimator(REGRESSOR), "predict_proba")  # a regressor has none


def test_runs_dir_keeps_a_run_folder(tmp_path):
    X, y = make_regression(60, 2, noise=0.5, random_state=1)
    estimator = trainer.Estimator(REGRESSOR, runs_dir=tmp_path, trainer__epochs=2).fit(X, y)
    assert (estimator.run_.folder / "summary.json").exists()
    assert estimator.run_.summary["epochs_completed"] == 2 == estimator.n_iter_
    assert estimator.run_.folder.parent == tmp_path / "run"

"""Data sets beyond their conformance (tests/test_conformance_data.py): what the spiral and function sets
draw, class shares in the splits, and the errors of npz and npy files."""

import numpy as np
import pytest

from trainer.data.dataset import DATASETS
from trainer.data.splits import load_splits
from trainer.errors import UserError


def dataset(name, **options):
    return DATASETS.build(DATASETS.schema(name)(type=name, **options), seed=options.pop("seed", 0))


def test_spiral_arms_turn_around_the_origin():
    data = dataset("spiral", n_samples=300, arms=3, turns=1.0, noise=0.0)
    radius = np.hypot(*data.X.T)
    angle = np.arctan2(data.X[:, 1], data.X[:, 0])
    assert np.bincount(data.y).tolist() == [100, 100, 100]
    expected = 2 * np.pi * (data.y / 3 + radius)  # arm k starts at 120k degrees and turns once
    assert np.allclose(np.cos(angle - expected)[radius > 0], 1.0)


def test_function_draws_x_in_its_range_and_adds_noise():
    sine = dataset("function", n_samples=200)
    assert sine.X.shape == sine.y.shape == (200, 1) and np.all(np.abs(sine.X) <= np.pi)
    assert np.array_equal(sine.y, np.sin(sine.X))
    cubic = dataset("function", fn="polynomial", coefficients=[1.0, 0.0, 0.0, 2.0], low=-1.0, high=2.0)
    assert np.allclose(cubic.y, 1 + 2 * cubic.X**3) and cubic.X.min() >= -1
    noisy = dataset("function", fn="cos", noise=0.1)
    assert 0.08 < np.std(noisy.y - np.cos(noisy.X)) < 0.12


def test_classification_splits_keep_labels_and_class_shares():
    block = DATASETS.schema("breast_cancer")(type="breast_cancer", val_fraction=0.2, test_fraction=0.2)
    splits = load_splits(block, seed=0)
    share = np.mean(splits.dataset.y)
    for _, y in (splits.train, splits.val, splits.test):
        assert y.dtype == np.int64 and y.ndim == 1 and abs(np.mean(y) - share) < 0.01


def test_npz_and_npy_files(tmp_path):
    X, labels, values = np.arange(12.0).reshape(6, 2), np.array([0, 1, 2, 0, 1, 2]), np.linspace(0, 1, 6)
    np.savez(tmp_path / "d.npz", X=X, y=labels, t=values)
    data = DATASETS.build(DATASETS.schema("npz")(type="npz", path=str(tmp_path / "d.npz")), seed=0)
    assert data.task == "classification" and data.y.tolist() == labels.tolist()
    regression = DATASETS.build(
        DATASETS.schema("npz")(type="npz", path=str(tmp_path / "d.npz"), y_key="t"), seed=0
    )
    assert regression.task == "regression" and regression.y.shape == (6, 1)
    with pytest.raises(UserError, match='has no array "target"; it holds: X, y, t'):
        DATASETS.build(
            DATASETS.schema("npz")(type="npz", path=str(tmp_path / "d.npz"), y_key="target"), seed=0
        )
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", values[:5])
    with pytest.raises(UserError, match=r"the same N, but they are \(6, 2\) and \(5,\)"):
        DATASETS.build(
            DATASETS.schema("npy")(
                type="npy", x_path=str(tmp_path / "x.npy"), y_path=str(tmp_path / "y.npy")
            ),
            seed=0,
        )

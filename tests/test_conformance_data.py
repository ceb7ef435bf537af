"""Conformance of every registered data set (shapes, dtypes, task, seed) and descent function (value,
gradient, minima).

The tests are parametrized from the registries: registering a component without adding its reference
below makes them fail, saying what to add (tests/conformance.py).
"""

from functools import partial
from typing import NamedTuple

import mygrad as mg
import numpy as np
import pytest

from tests.conformance import assert_no_stale_references, reference_for
from tests.test_training import central_differences
from trainer.data.dataset import DATASETS
from trainer.teaching.descent.functions import FUNCTIONS

FILE = "tests/test_conformance_data.py"


# ---------------------------------------------------------------- data sets


class DataReference(NamedTuple):
    """What the data set built with `options` (a dict, or a function writing its files in a folder and
    returning the dict) must be: its task, X's shape, and the outputs (regression) or classes."""

    task: str
    shape: tuple[int, ...]  # (N, features), or images (N, channels, height, width)
    outputs_or_classes: int
    seeded: bool = False
    options: object = dict


def csv_file(folder):
    (folder / "table.csv").write_text("a,b,name,t\n1,2,x,0.5\n3,4,y,1.5\n5,6,z,2.5\n7,8,w,3.5\n")
    return {"path": str(folder / "table.csv"), "target": "t", "features": ["a", "b"]}


def npz_file(folder):
    np.savez(folder / "d.npz", X=np.arange(12.0).reshape(6, 2), y=np.array([2, 0, 1, 2, 0, 1]))
    return {"path": str(folder / "d.npz")}


def npy_files(folder):
    np.save(folder / "x.npy", np.arange(15, dtype=np.float32).reshape(5, 3))
    np.save(folder / "y.npy", np.linspace(0, 1, 10).reshape(5, 2))
    return {"x_path": str(folder / "x.npy"), "y_path": str(folder / "y.npy")}


DATASET_REFERENCES = {
    "synthetic_linear": DataReference("regression", (500, 3), 1, seeded=True),
    "function": DataReference("regression", (500, 1), 1, seeded=True),
    "diabetes": DataReference("regression", (442, 10), 1),
    "iris": DataReference("classification", (150, 4), 3),
    "wine": DataReference("classification", (178, 13), 3),
    "breast_cancer": DataReference("classification", (569, 30), 2),
    "digits": DataReference("classification", (1797, 64), 10),
    "moons": DataReference("classification", (500, 2), 2, seeded=True),
    "circles": DataReference("classification", (500, 2), 2, seeded=True),
    "blobs": DataReference("classification", (500, 2), 3, seeded=True),
    "spiral": DataReference("classification", (900, 2), 3, seeded=True),
    "shapes": DataReference("classification", (1500, 1, 16, 16), 3, seeded=True),
    "csv": DataReference("regression", (4, 2), 1, options=csv_file),
    "npz": DataReference("classification", (6, 2), 3, options=npz_file),
    "npy": DataReference("regression", (5, 3), 2, options=npy_files),
}


def dataset_reference(name: str) -> DataReference:
    return reference_for(
        DATASET_REFERENCES, name, "data set", "its task, shape and outputs or classes (and a function "
        "writing its files, if it reads any)", "DATASET_REFERENCES", FILE,
    )  # fmt: skip


def load(name: str, folder, seed: int = 0):
    reference = dataset_reference(name)
    options = reference.options(folder) if reference.options is not dict else {}
    return DATASETS.build(DATASETS.schema(name)(type=name, **options), seed=seed)


@pytest.mark.parametrize("name", DATASETS.names())
def test_data_set_has_the_shapes_dtypes_and_task_of_its_reference(name, tmp_path):
    reference, data = dataset_reference(name), load(name, tmp_path)
    n = reference.shape[0]
    assert data.task == reference.task and data.task in ("regression", "classification")
    assert data.X.dtype == np.float64 and data.X.shape == reference.shape and np.all(np.isfinite(data.X))
    assert len(data.feature_names) == np.prod(data.X.shape[1:]) and all(
        isinstance(f, str) for f in data.feature_names
    )
    assert all(isinstance(t, str) for t in data.target_names)
    if data.task == "regression":
        assert data.y.dtype == np.float64 and data.y.shape == (n, reference.outputs_or_classes)
        assert len(data.target_names) == reference.outputs_or_classes and np.all(np.isfinite(data.y))
    else:
        assert data.y.dtype == np.int64 and data.y.shape == (n,)
        assert data.n_classes == len(data.target_names) == reference.outputs_or_classes
        assert set(data.y.tolist()) == set(range(reference.outputs_or_classes)), "labels are 0..K-1"


@pytest.mark.parametrize("name", DATASETS.names())
def test_data_set_follows_its_seed(name, tmp_path):
    first, again, other = (load(name, tmp_path, seed) for seed in (0, 0, 1))
    assert np.array_equal(first.X, again.X) and np.array_equal(first.y, again.y)
    redrawn = not (np.array_equal(first.X, other.X) and np.array_equal(first.y, other.y))
    assert redrawn == dataset_reference(name).seeded, f"data set {name}: seeded should be {redrawn}"


def test_every_dataset_reference_is_registered():
    assert_no_stale_references(DATASET_REFERENCES, DATASETS.names(), "data set", "DATASET_REFERENCES", FILE)


# ---------------------------------------------------------------- descent functions

FUNCTION_REFERENCES = {  # f(x, y, **options) in NumPy, and option sets
    "paraboloid": (lambda x, y: x**2 + y**2, [{}]),
    "bowl": (lambda x, y, a=10.0: x**2 + a * y**2, [{}, {"a": 3.5}]),
    "rosenbrock": (
        lambda x, y, a=1.0, b=100.0: (a - x) ** 2 + b * (y - x**2) ** 2,
        [{}, {"a": -0.5, "b": 20}],
    ),
    "himmelblau": (lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, [{}]),
    "saddle": (lambda x, y: x**2 - y**2, [{}]),
    "rastrigin": (
        lambda x, y, a=10.0: 2 * a + x**2 - a * np.cos(2 * np.pi * x) + y**2 - a * np.cos(2 * np.pi * y),
        [{}, {"a": 4.0}],
    ),
}


def summed(f, points: np.ndarray, options: dict) -> float:
    return f(*points.T, **options).sum()


@pytest.mark.parametrize("name", FUNCTIONS.names())
def test_descent_function_value_gradient_and_minima(name):
    f, cases = reference_for(
        FUNCTION_REFERENCES, name, "function", "f(x, y) in NumPy", "FUNCTION_REFERENCES", FILE
    )
    for options in cases:
        surface = FUNCTIONS.build(FUNCTIONS.schema(name)(type=name, **options))
        (x_low, x_high), (y_low, y_high) = surface.window
        rng = np.random.default_rng(0)
        points = np.column_stack([rng.uniform(x_low, x_high, 20), rng.uniform(y_low, y_high, 20)])
        x, y = mg.tensor(points[:, 0]), mg.tensor(points[:, 1])
        value = surface(x, y)
        mg.sum(value).backward()
        assert np.allclose(value.data, f(*points.T, **options), rtol=1e-12), f"{name} {options}"
        numeric = central_differences(partial(summed, f, points, options), points)
        assert np.allclose(np.column_stack([x.grad, y.grad]), numeric, rtol=1e-6, atol=1e-5)
        for minimum in surface.minima:
            assert x_low <= minimum[0] <= x_high and y_low <= minimum[1] <= y_high
            around = np.asarray(minimum) + 1e-3 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
            assert np.all(f(*around.T, **options) > f(*minimum, **options)), (
                f"{name}: {minimum} is no minimum"
            )


def test_every_function_reference_is_registered():
    assert_no_stale_references(
        FUNCTION_REFERENCES, FUNCTIONS.names(), "function", "FUNCTION_REFERENCES", FILE
    )

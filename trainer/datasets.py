"""More data sets: scikit-learn's bundled and generated ones, the spiral, functions of x, NumPy files.

Classification sets return integer labels (see `trainer.data.classification`); regression sets
return targets shaped (N, outputs). Every generated set is drawn from the config's `seed`.
"""

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from trainer.data import DATASETS, Dataset, InputFile, classification
from trainer.errors import UserError

Count = Annotated[int, Field(ge=2)]
NonNegative = Annotated[float, Field(ge=0)]


def _bundled(loader_name: str) -> Dataset:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    return classification(bunch.data, bunch.target, bunch.feature_names, bunch.target_names)


@DATASETS.register("iris")
def iris() -> Dataset:
    """Fisher's iris flowers: 150 rows, 4 measurements, 3 species."""
    return _bundled("load_iris")


@DATASETS.register("wine")
def wine() -> Dataset:
    """Italian wines: 178 rows, 13 chemical measurements, 3 cultivars."""
    return _bundled("load_wine")


@DATASETS.register("breast_cancer")
def breast_cancer() -> Dataset:
    """Wisconsin breast cancer: 569 tumours, 30 features of the cell nuclei, malignant or benign."""
    return _bundled("load_breast_cancer")


@DATASETS.register("digits")
def digits() -> Dataset:
    """Handwritten digits: 1797 images of 8x8 pixels (64 features, 0-16), 10 classes."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return classification(bunch.data, bunch.target, bunch.feature_names, [str(d) for d in bunch.target_names])


@DATASETS.register("moons")
def moons(n_samples: Count = 500, noise: NonNegative = 0.2, seed: int = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's make_moons)."""
    from sklearn.datasets import make_moons

    return classification(*make_moons(n_samples, noise=noise, random_state=seed))


@DATASETS.register("circles")
def circles(
    n_samples: Count = 500, noise: NonNegative = 0.1, factor: Annotated[float, Field(gt=0, lt=1)] = 0.5, seed: int = 0
) -> Dataset:
    """A small circle inside a large one (scikit-learn's make_circles); `factor` is the radius ratio."""
    from sklearn.datasets import make_circles

    return classification(*make_circles(n_samples, noise=noise, factor=factor, random_state=seed))


@DATASETS.register("blobs")
def blobs(
    n_samples: Count = 500,
    centers: Count = 3,
    n_features: Annotated[int, Field(ge=1)] = 2,
    cluster_std: Annotated[float, Field(gt=0)] = 1.0,
    seed: int = 0,
) -> Dataset:
    """Gaussian clusters, one class each (scikit-learn's make_blobs)."""
    from sklearn.datasets import make_blobs

    return classification(*make_blobs(n_samples, n_features=n_features, centers=centers, cluster_std=cluster_std, random_state=seed))


@DATASETS.register("spiral")
def spiral(
    n_samples: Count = 900, arms: Count = 3, turns: Annotated[float, Field(gt=0)] = 0.75, noise: NonNegative = 0.2, seed: int = 0
) -> Dataset:
    """`arms` interleaved spiral tendrils, one class each (the classic CS231n data).

    Along each arm the radius grows from 0 to 1 while the angle turns `turns` full circles; the
    arms start 360/arms degrees apart, and `noise` (in radians) jitters the angle.
    """
    rng = np.random.default_rng(seed)
    per_arm = np.full(arms, n_samples // arms)
    per_arm[: n_samples % arms] += 1
    radius = np.concatenate([np.linspace(0.0, 1.0, n) for n in per_arm])
    labels = np.repeat(np.arange(arms), per_arm)
    angle = 2 * math.pi * (labels / arms + turns * radius) + noise * rng.standard_normal(n_samples)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return classification(X, labels, class_names=[f"arm {k}" for k in range(arms)])


@DATASETS.register("function")
def function(
    fn: Literal["sin", "cos", "polynomial"] = "sin",
    coefficients: list[float] = [0.0, 1.0],
    n_samples: Count = 500,
    low: float = -math.pi,
    high: float = math.pi,
    noise: NonNegative = 0.0,
    seed: int = 0,
) -> Dataset:
    """y = fn(x) + noise * N(0, 1), x uniform in [low, high]. `polynomial` is c0 + c1 x + c2 x^2 + ...
    with `coefficients` [c0, c1, ...]."""
    if not low < high:
        raise UserError(f"data: low = {low} must be below high = {high}: x is drawn from [low, high].")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=(n_samples, 1))
    exact = {"sin": np.sin, "cos": np.cos, "polynomial": lambda x: np.polynomial.polynomial.polyval(x, coefficients)}[fn](x)
    y = exact + noise * rng.standard_normal(x.shape)
    return Dataset(x, y, ["x"], ["y"], truth={"function": fn, "coefficients": coefficients if fn == "polynomial" else None})


Task = Literal["auto", "regression", "classification"]


@DATASETS.register("npz")
def npz(path: InputFile, x_key: str = "X", y_key: str = "y", task: Task = "auto") -> Dataset:
    """A NumPy .npz archive holding the inputs under `x_key` and the targets under `y_key`."""
    with np.load(path, allow_pickle=False) as archive:
        for key, name in ((x_key, "x_key"), (y_key, "y_key")):
            if key not in archive:
                raise UserError(f'data.{name}: {path} has no array "{key}"; it holds: {", ".join(archive.files)}.')
        return _from_arrays(archive[x_key], archive[y_key], task, str(path))


@DATASETS.register("npy")
def npy(x_path: InputFile, y_path: InputFile, task: Task = "auto", mmap: bool = False) -> Dataset:
    """Two NumPy .npy files: the inputs (N, features) and the targets (N,) or (N, outputs). With
    `mmap: true` they are opened as memory maps and read a batch at a time, for data larger than
    memory (see trainer.outofcore)."""
    source = f"{x_path} and {y_path}"
    X, y, task = _checked(*(np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False) for path in (x_path, y_path)), task, source)
    if mmap:
        from trainer.outofcore import mapped_dataset

        return mapped_dataset(X, y, task, source)
    return _from_arrays(X, y, task, source)


def _checked(X: np.ndarray, y: np.ndarray, task: Task, source: str) -> tuple[np.ndarray, np.ndarray, str]:
    """X as (N, features), the shapes checked; `auto` reads integer (or boolean) targets as class
    labels and floating-point ones as values."""
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    if X.ndim != 2 or len(X) != len(y) or y.ndim > 2:
        raise UserError(
            f"data from {source}: the inputs should be (N, features) and the targets (N,) or (N, outputs) "
            f"with the same N, but they are {X.shape} and {y.shape}."
        )
    if task == "auto":
        task = "classification" if y.dtype.kind in "iub" else "regression"
    if task == "classification" and y.ndim == 2 and y.shape[1] != 1:
        raise UserError(f"data from {source}: class labels should be one column, but the targets are {y.shape}.")
    return X, y, task


def _from_arrays(X: np.ndarray, y: np.ndarray, task: Task, source: str) -> Dataset:
    X, y, task = _checked(X, y, task, source)
    if task == "classification":
        return classification(X, y.reshape(-1))
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    return Dataset(X.astype(np.float64), y.astype(np.float64), [f"x{i}" for i in range(X.shape[1])], [f"y{i}" for i in range(y.shape[1])])

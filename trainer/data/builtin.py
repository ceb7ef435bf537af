"""Data sets that come with the framework: scikit-learn's bundled and generated ones, the spiral, and
functions of x.

Classification sets return integer labels (see `trainer.data.dataset.classification`); regression sets
return targets shaped (N, outputs). Every generated set is drawn from the config's `seed`.
"""

import math
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from trainer.data.dataset import DATASETS, Dataset, classification
from trainer.errors import UserError


@DATASETS.register("synthetic_linear")
def synthetic_linear(
    n_samples: Annotated[int, Field(ge=2)] = 500,
    n_features: Annotated[int, Field(ge=1)] = 3,
    noise: Annotated[float, Field(ge=0)] = 0.1,
    bias: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """y = X @ w + bias + noise, with w drawn by scikit-learn's make_regression and recorded."""
    from sklearn.datasets import make_regression

    X, y, w = make_regression(
        n_samples, n_features, n_informative=n_features, noise=noise, bias=bias, coef=True, random_state=seed
    )
    names = [f"x{i}" for i in range(n_features)]
    return Dataset(X, y.reshape(-1, 1), names, ["y"], truth={"weights": w.tolist(), "bias": bias})


@DATASETS.register("diabetes")
def diabetes() -> Dataset:
    """scikit-learn's diabetes data (442 patients, 10 features), in original units."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    return Dataset(
        bunch.data, bunch.target.reshape(-1, 1), list(bunch.feature_names), ["disease_progression"]
    )


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
def digits(shape: Literal["flat", "image"] = "flat") -> Dataset:
    """Handwritten digits: 1797 images of 8x8 pixels (0-16), 10 classes; `shape: flat` gives 64
    features per row, `shape: image` images of 1 x 8 x 8 (channels, height, width) for convolutions."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = bunch.data if shape == "flat" else bunch.images[:, None]
    return classification(X, bunch.target, bunch.feature_names, [str(d) for d in bunch.target_names])


@DATASETS.register("moons")
def moons(n_samples: Count = 500, noise: NonNegative = 0.2, seed: int = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's make_moons)."""
    from sklearn.datasets import make_moons

    return classification(*make_moons(n_samples, noise=noise, random_state=seed))


@DATASETS.register("circles")
def circles(
    n_samples: Count = 500,
    noise: NonNegative = 0.1,
    factor: Annotated[float, Field(gt=0, lt=1)] = 0.5,
    seed: int = 0,
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

    return classification(
        *make_blobs(
            n_samples, n_features=n_features, centers=centers, cluster_std=cluster_std, random_state=seed
        )
    )


@DATASETS.register("spiral")
def spiral(
    n_samples: Count = 900,
    arms: Count = 3,
    turns: Annotated[float, Field(gt=0)] = 0.75,
    noise: NonNegative = 0.2,
    seed: int = 0,
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
    coefficients: list[float] = [0.0, 1.0],  # noqa: B006 (the config's default; never mutated)
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
    functions: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sin": np.sin,
        "cos": np.cos,
        "polynomial": lambda x: np.polynomial.polynomial.polyval(x, coefficients),
    }
    exact = functions[fn](x)
    y = exact + noise * rng.standard_normal(x.shape)
    return Dataset(
        x,
        y,
        ["x"],
        ["y"],
        truth={"function": fn, "coefficients": coefficients if fn == "polynomial" else None},
    )

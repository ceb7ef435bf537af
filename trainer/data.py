"""Data sets by name, and the seeded train/val/test split with optional standardization.

A loader returns a `Dataset`: X is float64 (N, features). A regression target y is float64
(N, outputs), the same shape as the model's output; a classification target is integer class labels
(N,). scikit-learn is imported inside the functions that use it, so checking a config stays fast.
"""

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pydantic
from pydantic import Field

from trainer.errors import UserError, did_you_mean
from trainer.registry import Component, Registry


class DataComponent(Component):
    """The `data:` block: a data set's own options plus how to split and scale it."""

    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.2
    test_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    standardize: bool = True

    def options(self):
        split_keys = DataComponent.model_fields.keys() - {"type"}
        return {key: value for key, value in super().options().items() if key not in split_keys}

    @pydantic.model_validator(mode="after")
    def _leave_training_data(self):
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError(
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} leaves no "
                f"training data; their sum must be below 1 (for example 0.2 and 0.1)"
            )
        return self


DATASETS = Registry("data set", provided=("seed",), base=DataComponent)


def _input_file(value, info: pydantic.ValidationInfo) -> Path:
    """A path in the config, relative to the config file's folder; it must exist."""
    if not isinstance(value, (str, Path)):
        raise ValueError("it should be a file path (a string)")
    path = Path(value)
    if not path.is_absolute() and info.context:
        path = info.context["base_dir"] / path
    if not path.is_file():
        raise ValueError(f"file {path} does not exist (a relative path is read from the config file's folder)")
    return path.resolve()


InputFile = Annotated[Path, pydantic.BeforeValidator(_input_file)]


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str]  # regression: one name per output; classification: one per class
    truth: dict = field(default_factory=dict)  # e.g. the true weights of a synthetic data set
    task: Literal["regression", "classification"] = "regression"

    @property
    def n_classes(self) -> int:
        return len(self.target_names)


def classification(X, labels, feature_names=None, class_names=None) -> Dataset:
    """A classification Dataset: labels become 0..K-1 (int64), names default to x0.. and the labels."""
    classes, labels = np.unique(np.asarray(labels), return_inverse=True)
    names = [str(name) for name in (class_names if class_names is not None else classes)]
    features = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(X.shape[1])]
    return Dataset(np.asarray(X, dtype=np.float64), labels.astype(np.int64), features, names, task="classification")


@dataclass(frozen=True)
class Splits:
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    dataset: Dataset
    feature_mean: np.ndarray | None = None  # the scaler fitted on the training split
    feature_scale: np.ndarray | None = None


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
    return Dataset(bunch.data, bunch.target.reshape(-1, 1), list(bunch.feature_names), ["disease_progression"])


@DATASETS.register("csv")
def csv_file(path: InputFile, target: str, features: list[str] | None = None) -> Dataset:
    """A CSV file with a header row; `features` defaults to every column but the target."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    if not rows:
        raise UserError(f"data file {path} is empty; it needs a header row naming the columns.")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    columns = features if features is not None else [name for name in header if name != target]
    for name, key in [(target, "target")] + [(name, "features") for name in columns]:
        if name not in header:
            raise UserError(
                f'data.{key}: column "{name}" is not in {path}.{did_you_mean(name, header)} '
                f"Its columns are: {', '.join(header)}."
            )
    if not body:
        raise UserError(f"data file {path} has a header but no rows of data.")
    index = {name: header.index(name) for name in header}
    table = np.empty((len(body), len(columns) + 1))
    for row_number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserError(f"data file {path}, line {row_number}: {len(row)} cells, but the header has {len(header)}.")
        for j, name in enumerate(columns + [target]):
            table[row_number - 2, j] = _number(row[index[name]], path, row_number, name, features is None)
    return Dataset(table[:, :-1], table[:, -1:], columns, [target])


def _number(cell: str, path: Path, line: int, column: str, all_columns: bool) -> float:
    try:
        value = float(cell)
    except ValueError:
        hint = (
            " Only numeric columns can be used: list the ones to use under data.features."
            if all_columns
            else " Every feature and the target must be a number."
        )
        raise UserError(f'data file {path}, line {line}, column "{column}": {cell!r} is not a number.{hint}') from None
    if not math.isfinite(value):
        raise UserError(f'data file {path}, line {line}, column "{column}": {cell!r} is not a finite number.')
    return value


def load_splits(component: DataComponent, seed: int, dtype: str = "float64") -> Splits:
    """Load the data set, split it (shuffled, seeded), standardize on the training split only, and
    give the features (and real-valued targets) the run's `dtype`."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    dataset = DATASETS.build(component, seed=seed)
    if isinstance(dataset.X, np.memmap):  # `mmap: true`: split, scale and read by blocks, never all at once
        from trainer.outofcore import lazy_splits

        return lazy_splits(dataset, component, seed, dtype)
    n = len(dataset.X)
    n_val, n_test = (math.ceil(fraction * n) for fraction in (component.val_fraction, component.test_fraction))
    if n - n_val - n_test < 1:
        raise UserError(
            f"data: {n} rows are too few to hold out {n_val} for validation and {n_test} for test and "
            f"still train on at least one; lower data.val_fraction or data.test_fraction."
        )
    X, y = dataset.X, dataset.y
    parts = {"val": None, "test": None}
    for name, size in (("test", n_test), ("val", n_val)):
        if size:
            stratify = y if _can_stratify(dataset, y, size) else None  # the class shares of the whole, in every split
            X, X_held, y, y_held = train_test_split(X, y, test_size=size, random_state=seed, stratify=stratify)
            parts[name] = (X_held, y_held)
    parts["train"] = (X, y)
    mean = scale = None
    if component.standardize:
        scaler = StandardScaler().fit(X)
        parts = {name: part and (scaler.transform(part[0]), part[1]) for name, part in parts.items()}
        mean, scale = scaler.mean_, scaler.scale_
    target_type = np.int64 if dataset.task == "classification" else dtype
    contiguous = {
        name: part and (np.ascontiguousarray(part[0], dtype=dtype), np.ascontiguousarray(part[1], dtype=target_type))
        for name, part in parts.items()
    }
    for array in (array for part in contiguous.values() if part for array in part):
        # The data is never updated, only the parameters; a full batch is the array itself, so a
        # model that writes into its input would change the data set (NumPy now refuses that).
        array.flags.writeable = False
    return Splits(contiguous["train"], contiguous["val"], contiguous["test"], dataset, mean, scale)


def _can_stratify(dataset: Dataset, y: np.ndarray, size: int) -> bool:
    if dataset.task != "classification":
        return False
    counts = np.bincount(y)
    return counts[counts > 0].min() >= 2 and min(size, len(y) - size) >= np.count_nonzero(counts)


from trainer import datasets  # noqa: E402, F401  (registers the other data sets; it imports the names above)

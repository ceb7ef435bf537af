"""What a data set is: the `Dataset` a loader returns, the `Splits` a run trains on, the `data:`
config block and the DATASETS registry every loader registers in.

A loader returns a `Dataset`: X is float64 (N, features), or images (N, channels, height, width). A regression target y is float64
(N, outputs), the same shape as the model's output; a classification target is integer class labels
(N,). scikit-learn is imported inside the functions that use it, so checking a config stays fast.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pydantic
from pydantic import Field

from trainer.errors import UserError
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

    def held_out(self, n: int, counted: str = "", advice: str = "") -> tuple[int, int]:
        """(validation, test): how many of `n` rows (or blocks, said in `counted`) the split holds out;
        a UserError when that leaves none to train on."""
        n_val, n_test = (math.ceil(fraction * n) for fraction in (self.val_fraction, self.test_fraction))
        if n - n_val - n_test < 1:
            raise UserError(
                f"data: {counted or f'{n} rows'} are too few to hold out {n_val} for validation and {n_test} "
                f"for test and still train on at least one; lower data.val_fraction or data.test_fraction"
                f"{advice}."
            )
        return n_val, n_test


DATASETS = Registry("data set", provided=("seed",), base=DataComponent)


def _input_file(value, info: pydantic.ValidationInfo) -> Path:
    """A path in the config, relative to the config file's folder; it must exist."""
    if not isinstance(value, (str, Path)):
        raise ValueError("it should be a file path (a string)")
    path = Path(value)
    if not path.is_absolute() and info.context:
        path = info.context["base_dir"] / path
    if not path.is_file():
        raise ValueError(
            f"file {path} does not exist (a relative path is read from the config file's folder)"
        )
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
    target_column: str | None = None  # a CSV's column of class names (a regression's is target_names[0])

    @property
    def n_classes(self) -> int:
        return len(self.target_names)


def classification(X, labels, feature_names=None, class_names=None, target_column=None) -> Dataset:
    """A classification Dataset: labels (numbers or names) become 0..K-1 (int64) in sorted order, as
    scikit-learn's LabelEncoder numbers them; class names default to the labels, features to x0.."""
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder()
    labels = encoder.fit_transform(np.asarray(labels).reshape(-1))
    names = [str(name) for name in (class_names if class_names is not None else encoder.classes_)]
    features = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(np.size(X[0]))]
    return Dataset(
        np.asarray(X, dtype=np.float64),
        labels.astype(np.int64),
        features,
        names,
        task="classification",
        target_column=target_column,
    )


@dataclass(frozen=True)
class Splits:
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray] | None
    dataset: Dataset
    feature_mean: np.ndarray | None = None  # the scaler fitted on the training split
    feature_scale: np.ndarray | None = None

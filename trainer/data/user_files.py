"""Data sets read from the user's files: a CSV table, a NumPy archive (.npz) or two .npy arrays.

Paths are relative to the config file. Integer targets are class labels, floating-point ones values
(`task: auto`), unless `task:` says otherwise.
"""

import csv
import math
from pathlib import Path
from typing import Literal

import numpy as np

from trainer import contracts
from trainer.data.dataset import DATASETS, Dataset, InputFile, classification
from trainer.data.images import feature_names
from trainer.errors import UserError, did_you_mean


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
            raise UserError(
                f"data file {path}, line {row_number}: {len(row)} cells, but the header has {len(header)}."
            )
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
        raise UserError(
            f'data file {path}, line {line}, column "{column}": {cell!r} is not a number.{hint}'
        ) from None
    if not math.isfinite(value):
        raise UserError(f'data file {path}, line {line}, column "{column}": {cell!r} is not a finite number.')
    return value


Task = Literal["auto", "regression", "classification"]


@DATASETS.register("npz")
def npz(path: InputFile, x_key: str = "X", y_key: str = "y", task: Task = "auto") -> Dataset:
    """A NumPy .npz archive holding the inputs under `x_key` and the targets under `y_key`."""
    with np.load(path, allow_pickle=False) as archive:
        for key, name in ((x_key, "x_key"), (y_key, "y_key")):
            if key not in archive:
                raise UserError(
                    f'data.{name}: {path} has no array "{key}"; it holds: {", ".join(archive.files)}.'
                )
        return _from_arrays(archive[x_key], archive[y_key], task, str(path))


@DATASETS.register("npy")
def npy(x_path: InputFile, y_path: InputFile, task: Task = "auto", mmap: bool = False) -> Dataset:
    """Two NumPy .npy files: the inputs (N, features) and the targets (N,) or (N, outputs). With
    `mmap: true` they are opened as memory maps and read a batch at a time, for data larger than
    memory (see trainer.data.outofcore)."""
    source = f"{x_path} and {y_path}"
    X, y = (np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False) for path in (x_path, y_path))
    X, y, task = _checked(X, y, task, source)
    if mmap:
        from trainer.data.outofcore import mapped_dataset

        return mapped_dataset(X, y, task, source)
    return _from_arrays(X, y, task, source)


def _checked(
    X: np.ndarray, y: np.ndarray, task: Task, source: str
) -> tuple[np.ndarray, np.ndarray, contracts.Task]:
    """X as (N, features) or images (N, channels, height, width) (grayscale (N, height, width) gets
    its one channel), the shapes checked; `auto` reads integer (or boolean) targets as class labels
    and floating-point ones as values."""
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    X = X.reshape(*X.shape[:1], 1, *X.shape[1:]) if X.ndim == 3 else X  # a view: a memory map stays one
    if X.ndim not in (2, 4) or len(X) != len(y) or y.ndim > 2:
        raise UserError(
            f"data from {source}: the inputs should be (N, features), or images (N, height, width) or "
            f"(N, channels, height, width), and the targets (N,) or (N, outputs) with the same N, but "
            f"they are {X.shape} and {y.shape}."
        )
    if task == "auto":
        task = "classification" if y.dtype.kind in "iub" else "regression"
    if task == "classification" and y.ndim == 2 and y.shape[1] != 1:
        raise UserError(
            f"data from {source}: class labels should be one column, but the targets are {y.shape}."
        )
    return X, y, task


def _from_arrays(X: np.ndarray, y: np.ndarray, task: Task, source: str) -> Dataset:
    X, y, task = _checked(X, y, task, source)
    if task == "classification":
        return classification(X, y.reshape(-1))
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    return Dataset(
        X.astype(np.float64),
        y.astype(np.float64),
        feature_names(X),
        [f"y{i}" for i in range(y.shape[1])],
    )

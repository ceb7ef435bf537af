"""Data sets read from the user's files: a CSV table, a NumPy archive (.npz) or two .npy arrays.

Paths are relative to the config file. With `task: auto`, integer and text targets are class labels,
floating-point ones values (in a CSV: a column of text, or of whole numbers with at most
MAX_AUTO_CLASSES distinct values, each seen twice on average, is one of class labels); `task:` says
otherwise. Every value must
be finite: a NaN or an infinity is refused with its file, row and column.
"""

import codecs
import collections
import csv
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np

from trainer import contracts
from trainer.data.dataset import DATASETS, Dataset, InputFile, classification
from trainer.data.images import feature_names
from trainer.data.limits import require_memory
from trainer.errors import UserError, did_you_mean

Task = Literal["auto", "regression", "classification"]

MAX_AUTO_CLASSES = (
    20  # a column of whole numbers with more distinct values is taken for values (ages, counts)
)


@DATASETS.register("csv")
def csv_file(
    path: InputFile,
    target: str,
    features: list[str] | None = None,
    task: Task = "auto",
    encoding: str = "utf-8",
) -> Dataset:
    """A CSV file with a header row; `features` defaults to every column but the target. The target
    is a class label when its column holds text or a few whole numbers (or with `task: classification`);
    `encoding` is the file's text encoding (a spreadsheet on Windows often writes cp1252)."""
    header, body = read_table(path, encoding)
    columns = features if features is not None else [name for name in header if name != target]
    for name, key in [(target, "target")] + [(name, "features") for name in columns]:
        if name not in header:
            raise UserError(
                f'data.{key}: column "{name}" is not in {path}.{did_you_mean(name, header)} '
                f"Its columns are: {', '.join(header)}."
            )
    if not columns:
        raise UserError(
            f'data file {path} has no column besides the target "{target}": a model needs at least one feature column.'
        )
    index = {name: header.index(name) for name in header}
    X = np.empty((len(body), len(columns)))
    for row_number, row in enumerate(body, start=2):
        for j, name in enumerate(columns):
            X[row_number - 2, j] = _number(row[index[name]], path, row_number, name, features is None)
    cells = [row[index[target]].strip() for row in body]
    if task == "auto":
        task = "classification" if _class_labels(cells) else "regression"
    if task == "classification":
        return classification(X, _sortable(cells), columns, target_column=target)
    y = [[_number(cell, path, line, target, False)] for line, cell in enumerate(cells, start=2)]
    return Dataset(X, np.array(y), columns, [target])


def read_table(
    path: Path, encoding: str = "utf-8", what: str = "data file"
) -> tuple[list[str], list[list[str]]]:
    """The header (names stripped, a byte-order mark dropped) and the rows of a CSV file, each row as
    long as the header; refused with a clear error when it is binary, not text in `encoding`, empty,
    or names a column twice."""
    content = path.read_bytes()
    if b"\0" in content:
        raise UserError(f"{what} {path} is binary (it holds NUL bytes), not a CSV text file.")
    try:  # utf-8-sig: also utf-8, and drops the byte-order mark that would begin the first column's name
        codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        text = content.decode(codec)
    except LookupError:
        raise UserError(
            f'data.encoding: "{encoding}" is not a text encoding Python knows (e.g. utf-8, latin-1, cp1252).'
        ) from None
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise UserError(
            f"{what} {path}, line {line}: byte {content[error.start : error.start + 1]!r} is not {encoding} text. "
            f"Give the file's encoding as data.encoding (latin-1 or cp1252 are common for files from a spreadsheet), "
            f"or save it as UTF-8."
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise UserError(f"{what} {path} is empty; it needs a header row naming the columns.")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    twice = [name for name, count in collections.Counter(header).items() if count > 1]
    if twice:
        positions = [str(number) for number, name in enumerate(header, 1) if name == twice[0]]
        raise UserError(
            f'{what} {path}: the header names column "{twice[0]}" {len(positions)} times (columns {", ".join(positions)}); '
            f"every column needs its own name."
        )
    if not body:
        raise UserError(f"{what} {path} has a header but no rows of data.")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserError(
                f"{what} {path}, line {line}: {len(row)} cells, but the header has {len(header)}."
            )
    return header, body


def _class_labels(cells: list[str]) -> bool:
    """Whether a target column reads as class labels: all text, or a few whole numbers."""
    numbers = [_float_or_none(cell) for cell in cells]
    if all(value is None for value in numbers):
        return True
    whole = all(re.fullmatch(r"[-+]?\d+", cell) for cell in cells)
    # labels recur: a column of whole numbers mostly seen once each is more likely values (y = 3x)
    return whole and len(set(cells)) <= min(MAX_AUTO_CLASSES, len(cells) / 2)


def _sortable(cells: list[str]) -> np.ndarray:
    """Labels that sort as a reader expects: whole numbers as numbers (2 before 10), else as text."""
    if all(re.fullmatch(r"[-+]?\d+", cell) for cell in cells):
        return np.array([int(cell) for cell in cells])
    return np.array(cells)


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
        raise UserError(
            f'data file {path}, line {line}, column "{column}": {cell!r} is not a finite number; '
            f"drop or fill in that row."
        )
    return value


def _float_or_none(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


@DATASETS.register("npz")
def npz(path: InputFile, x_key: str = "X", y_key: str = "y", task: Task = "auto") -> Dataset:
    """A NumPy .npz archive holding the inputs under `x_key` and the targets under `y_key`."""
    with _numpy_file(path, ".npz") as archive:
        for key, name in ((x_key, "x_key"), (y_key, "y_key")):
            if key not in archive:
                raise UserError(
                    f'data.{name}: {path} has no array "{key}"; it holds: {", ".join(archive.files)}.'
                )
        with _readable(path):  # each array is read (and can turn out damaged) only now
            X, y = archive[x_key], archive[y_key]
        return _from_arrays(X, y, task, str(path))


@DATASETS.register("npy")
def npy(x_path: InputFile, y_path: InputFile, task: Task = "auto", mmap: bool = False) -> Dataset:
    """Two NumPy .npy files: the inputs (N, features) and the targets (N,) or (N, outputs). With
    `mmap: true` they are opened as memory maps and read a batch at a time, for data larger than
    memory (see trainer.data.outofcore)."""
    source = f"{x_path} and {y_path}"
    X, y = (_numpy_file(path, ".npy", mmap_mode="r" if mmap else None) for path in (x_path, y_path))
    X, y, task = _checked(X, y, task, source)
    if mmap:
        from trainer.data.outofcore import mapped_dataset

        return mapped_dataset(X, y, task, source)
    return _from_arrays(X, y, task, source)


def _numpy_file(path: Path, kind: str, mmap_mode=None):
    """np.load(path) of the `kind` (.npy: an array, .npz: an archive) the config says, never unpickling."""
    with _readable(path):
        loaded = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    if kind == ".npz" and isinstance(loaded, np.ndarray):
        raise UserError(
            f"data file {path} is a single NumPy array (.npy), not an .npz archive of named arrays: "
            f"use data: {{type: npy, x_path: ..., y_path: ...}}, or np.savez(path, X=X, y=y)."
        )
    if kind == ".npy" and not isinstance(loaded, np.ndarray):
        loaded.close()
        raise UserError(
            f"data file {path} is an .npz archive of named arrays, not a single .npy array: "
            f"use data: {{type: npz, path: ...}} (with x_key and y_key if they are not X and y)."
        )
    return loaded


class _readable:
    """Turns NumPy's errors for a file that is not a clean NumPy file into one clear UserError."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or not isinstance(error, ValueError | OSError | EOFError | zipfile.BadZipFile):
            return False
        text = str(error)
        if "Object arrays" in text:
            problem = (
                "holds Python objects (an object array), which a config never loads: save numbers or text"
            )
        elif "pickled" in text or isinstance(error, zipfile.BadZipFile):
            problem = (
                "is not a NumPy file (it does not begin as np.save or np.savez writes one), or is cut short"
            )
        else:  # "Failed to read all data", "mmap length is greater than file size", a damaged archive member
            problem = f"is cut short or damaged ({text.split('.')[0]}); write it again"
        raise UserError(f"data file {self.path} {problem}.") from None


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
    for array, what in ((X, "inputs"), (y, "targets")):
        if (
            array.dtype.names
            or array.dtype.kind not in "iubfUS"
            or (what == "inputs" and array.dtype.kind in "US")
        ):
            raise UserError(
                f"data from {source}: the {what} are an array of {array.dtype}, not of numbers"
                f"{' (or of class names)' if what == 'targets' else ''}; a structured array is saved one plain array per field."
            )
    if task == "auto":
        task = "classification" if y.dtype.kind in "iubUS" else "regression"
    if task == "classification" and y.ndim == 2 and y.shape[1] != 1:
        raise UserError(
            f"data from {source}: class labels should be one column, but the targets are {y.shape}."
        )
    if task == "regression" and y.dtype.kind in "US":
        raise UserError(
            f"data from {source}: the targets are text, which regression cannot fit; drop data.task: regression."
        )
    return X, y, task


def _from_arrays(X: np.ndarray, y: np.ndarray, task: Task, source: str) -> Dataset:
    X, y, task = _checked(X, y, task, source)
    require_memory(len(X), X.shape[1] + (y.shape[1] if y.ndim == 2 else 1), source)  # as float64, copied
    _all_finite(X, source, "inputs")
    if task == "classification":
        return classification(X, y.reshape(-1))
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    _all_finite(y, source, "targets")
    return Dataset(
        X.astype(np.float64),
        y.astype(np.float64),
        feature_names(X),
        [f"y{i}" for i in range(y.shape[1])],
    )


def _all_finite(array: np.ndarray, source: str, what: str) -> None:
    """Refuse a NaN or an infinity, naming the first one's row and column (counted from 0, as NumPy does)."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        row, column = np.argwhere(~np.isfinite(array.reshape(len(array), -1)))[0]
        raise UserError(
            f"data from {source}: the {what} hold {array.reshape(len(array), -1)[row, column]} at row {row}, column {column} "
            f"(counted from 0); every value must be a finite number. Drop or fill in such rows before training."
        )

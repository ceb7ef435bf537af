"""A finished run, loaded again: predictions for new rows, and scores on held-out or other data.

run = trainer.load_run("runs/logreg/2026-11-29_10-00-00")   # its best checkpoint
run.predict(X)          # class labels, or values, for rows in the data's own units
run.evaluate()          # {"split": "test", "loss": ..., "accuracy": ...}
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.config.load import load_config
from trainer.config.schema import COMPONENTS, Config
from trainer.data.user_files import read_table
from trainer.errors import UserError, did_you_mean
from trainer.files import write_atomically, write_json
from trainer.nn.metrics import class_probabilities, predicted_classes, score
from trainer.nn.metrics import predict as raw_outputs
from trainer.runs.build import Experiment, build
from trainer.runs.folder import require_run_folder
from trainer.training import checkpoint
from trainer.training.loop import evaluate as mean_loss


@dataclass
class LoadedRun:
    folder: Path
    config: Config
    experiment: Experiment  # rebuilt from the config: same data, same split, same scaler
    checkpoint: str  # which one the parameters came from: best or last

    @property
    def model(self):
        return self.experiment.model

    def predict(self, X) -> np.ndarray:
        """Class labels (0..K-1) for a classifier, values for a regression ((N,) for one target), for
        rows in the data's own units."""
        return self._predict_scaled(self._scaled(X))

    def rows(self, split: str | None = None, data=None) -> tuple[np.ndarray, np.ndarray | None, str]:
        """(X as the model sees it, y, a name): a split of the run's data (default `test`, else `val`,
        else `train`), or `data` = (X, y) in the data's own units."""
        if data is not None:
            return self._scaled(data[0]), data[1], "data"
        splits = self.experiment.splits
        name = split or next(part for part in ("test", "val", "train") if getattr(splits, part) is not None)
        if name not in ("train", "val", "test") or getattr(splits, name) is None:
            raise UserError(
                f"the run has no {name} split; choose one of: {', '.join(p for p in ('train', 'val', 'test') if getattr(splits, p) is not None)}."
            )
        return (*getattr(splits, name), name)

    def evaluate(self, split: str | None = None, data=None) -> dict:
        """The mean loss and the metrics on `rows(split, data)` (which needs targets)."""
        X, y, name = self.rows(split, data)
        if y is None:
            raise UserError(
                "the rows to evaluate have no target column, so there is nothing to score them against."
            )
        loss = mean_loss(self.model, self.experiment.loss, (X, y))
        return {"split": name, "rows": len(X), "checkpoint": self.checkpoint, "loss": loss} | score(
            self.experiment.metrics, self.experiment.task, self.model, (X, y)
        )

    def write_predictions(self, path: Path, split: str | None = None, data=None) -> Path:
        """A CSV with one line per row: the target (when known) and the prediction; for a classifier
        the class names, and then each class's probability (p_<class>)."""
        X, y, _ = self.rows(split, data)
        outputs = raw_outputs(self.model, X)
        classes = (
            self.experiment.splits.dataset.target_names if self.experiment.task == "classification" else None
        )
        if classes:
            predicted = predicted_classes(outputs)
            probabilities = [[f"{p:.6g}" for p in row] for row in class_probabilities(outputs)]
            show = lambda value: classes[int(value)]  # noqa: E731
        else:
            predicted = outputs[:, 0] if outputs.shape[1] == 1 else outputs
            probabilities = [[] for _ in predicted]
            show = lambda value: repr(float(np.ravel(value)[0]))  # noqa: E731
        header = (
            ["row"] + ["target"] * (y is not None) + ["prediction"] + [f"p_{name}" for name in classes or ()]
        )
        lines = [",".join(header)]
        for index, value in enumerate(predicted):
            target = [show(y[index])] if y is not None else []
            cells = [str(index), *target, show(value), *probabilities[index]]
            lines.append(",".join(cells))
        write_atomically(path, "\n".join(lines) + "\n")
        return path

    def _predict_scaled(self, X: np.ndarray) -> np.ndarray:
        outputs = raw_outputs(self.model, X)
        if self.experiment.task == "classification":
            return predicted_classes(outputs)
        return outputs[:, 0] if outputs.shape[1] == 1 else outputs

    def _scaled(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        expected = len(self.experiment.splits.dataset.feature_names)
        if X.ndim != 2 or X.shape[1] != expected:
            raise UserError(
                f"predict takes rows of {expected} features ({', '.join(self.experiment.splits.dataset.feature_names)}), as an array of shape (N, {expected}); got shape {X.shape}."
            )
        splits = self.experiment.splits
        return X if splits.feature_mean is None else (X - splits.feature_mean) / splits.feature_scale


def load_run(folder, which: str = "best") -> LoadedRun:
    """A run folder's model with the parameters of its `best` (or `last`) checkpoint."""
    folder = Path(folder)
    require_run_folder(folder)
    order = [which] + [name for name in ("best", "last", "previous") if name != which]
    saved, name, problems = checkpoint.load_first_readable(folder / "checkpoints", order)
    if saved is None or name is None:
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise UserError(
            f"{folder} has no readable checkpoint{detail}: the run stopped before its first epoch ended."
        )
    config = load_config(folder / "config.yaml")
    experiment = build(config)
    for p, value in zip(experiment.model.parameters, saved["parameters"], strict=True):
        p.data[...] = value
    checkpoint.restore_buffers(experiment.model, saved)
    return LoadedRun(folder, config, experiment, name)


def read_rows(run: LoadedRun, source: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Rows to evaluate on: a CSV file with the run's feature columns (and its target, if known),
    or a data block in YAML (`diabetes`, `{type: csv, path: ..., target: ...}`), all of its rows."""
    dataset = run.experiment.splits.dataset
    if source.endswith(".csv"):
        return (*_csv_rows(Path(source), run), source)
    import yaml

    try:
        block = yaml.safe_load(source)
    except yaml.YAMLError:
        block = None
    if isinstance(block, str):
        block = {"type": block}
    if not isinstance(block, dict) or "type" not in block:
        raise UserError(
            f'--data "{source}" should be a CSV file or a data block, e.g. --data diabetes or --data "{{type: csv, path: more.csv, target: y}}".'
        )
    registry = COMPONENTS["data"]
    try:
        component = registry.schema(block["type"]).model_validate(block, context={"base_dir": Path.cwd()})
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise UserError(f"--data {source}: {error}") from None
    other = registry.build(component, seed=run.config.seed)
    if other.feature_names != dataset.feature_names:
        raise UserError(
            f"--data {source} has features {', '.join(other.feature_names)}; the model was trained on {', '.join(dataset.feature_names)}."
        )
    return other.X, other.y, block["type"]


def _csv_rows(path: Path, run: LoadedRun) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise UserError(f"--data {path}: the file does not exist.")
    dataset = run.experiment.splits.dataset
    encoding = run.config.data.options().get("encoding", "utf-8")  # a CSV run's files share theirs
    header, body = read_table(path, encoding, what="--data")
    missing = [name for name in dataset.feature_names if name not in header]
    if missing:
        raise UserError(
            f"--data {path} lacks the feature column{'s' * (len(missing) > 1)} {', '.join(missing)}.{did_you_mean(missing[0], header)} Its columns: {', '.join(header)}."
        )
    try:
        X = np.array([[float(row[header.index(name)]) for name in dataset.feature_names] for row in body])
        target = dataset.target_names[0] if dataset.task == "regression" else dataset.target_column or "label"
        if target not in header:
            return X, None
        column = [row[header.index(target)].strip() for row in body]
        if dataset.task == "regression":
            return X, np.array([float(cell) for cell in column]).reshape(-1, 1)
        return X, np.array([dataset.target_names.index(cell) for cell in column])
    except ValueError as error:
        raise UserError(f"--data {path}: a cell is not a number or not a known class ({error}).") from None


def data_label(source: str) -> str:
    """What the files of `evaluate --data` are named by, from the name read_rows gives its rows, so
    that each file or block gets its own: data-<the CSV's name> or data-<the block's type>."""
    stem = Path(source).stem if source.endswith(".csv") else source
    return "data-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "rows")


def save_evaluation(run: LoadedRun, result: dict, name: str) -> Path:
    path = run.folder / f"evaluation-{name}.json"
    write_json(path, result)
    return path

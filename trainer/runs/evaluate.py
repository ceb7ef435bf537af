"""A finished run, loaded again: predictions for new rows, and scores on held-out or other data.

run = trainer.load_run("runs/logreg/2026-11-29_10-00-00")   # its best checkpoint
run.predict(X)          # class labels, or values, for rows in the data's own units
run.evaluate()          # {"split": "test", "loss": ..., "accuracy": ...}
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.config.load import load_config
from trainer.config.schema import COMPONENTS, Config
from trainer.errors import UserError, did_you_mean
from trainer.files import write_atomically
from trainer.nn.metrics import predict as raw_outputs
from trainer.nn.metrics import predicted_classes, score
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
        """A CSV with one line per row: the target (when known) and the prediction (class names for a classifier)."""
        X, y, _ = self.rows(split, data)
        predicted = self._predict_scaled(X)
        classes = (
            self.experiment.splits.dataset.target_names if self.experiment.task == "classification" else None
        )
        show = (
            (lambda value: classes[int(value)])
            if classes
            else (lambda value: repr(float(np.ravel(value)[0])))
        )
        lines = ["row," + ("target," if y is not None else "") + "prediction"]
        for index, value in enumerate(predicted):
            lines.append(f"{index}," + (f"{show(y[index])}," if y is not None else "") + show(value))
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
        return (*_csv_rows(Path(source), dataset), source)
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


def _csv_rows(path: Path, dataset) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise UserError(f"--data {path}: the file does not exist.")
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    header = [name.strip() for name in rows[0]] if rows else []
    missing = [name for name in dataset.feature_names if name not in header]
    if missing:
        raise UserError(
            f"--data {path} lacks the feature column{'s' * (len(missing) > 1)} {', '.join(missing)}.{did_you_mean(missing[0], header)} Its columns: {', '.join(header)}."
        )
    try:
        X = np.array([[float(row[header.index(name)]) for name in dataset.feature_names] for row in rows[1:]])
        target = dataset.target_names[0] if dataset.task == "regression" else "label"
        if target not in header:
            return X, None
        column = [row[header.index(target)] for row in rows[1:]]
        if dataset.task == "regression":
            return X, np.array([float(cell) for cell in column]).reshape(-1, 1)
        return X, np.array([dataset.target_names.index(cell) for cell in column])
    except ValueError as error:
        raise UserError(f"--data {path}: a cell is not a number or not a known class ({error}).") from None


def save_evaluation(run: LoadedRun, result: dict, name: str) -> Path:
    path = run.folder / f"evaluation-{name}.json"
    write_atomically(path, json.dumps(result, indent=2) + "\n")
    return path

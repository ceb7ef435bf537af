"""Runs side by side: a table of what differs in their configs and how each ended, and their loss
curves on one set of axes.

    comparison = trainer.compare("runs/linreg/*")
    comparison.table      # a list of dicts, one per run; comparison.frame is a DataFrame (with pandas)
    comparison.figure     # a matplotlib Figure; `mgtrain compare runs/linreg/*` writes it as compare.png
"""

import glob
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

import yaml
from matplotlib.figure import Figure

from trainer.errors import UserError
from trainer.runs.live import img_tag
from trainer.runs.plots import figure_with_axes, scale_loss_axis
from trainer.training.callbacks import read_log

# How each run ended, after the config keys that differ: these summary.json fields, where present.
OUTCOME = ("status", "epochs_completed", "train_loss", "val_loss", "test_loss")


@dataclass
class Comparison:
    table: list[dict]  # per run: folder, the config keys that differ between the runs, its outcome
    figure: Figure  # the validation loss of every run per epoch (the training loss without validation)

    @property
    def frame(self):
        """The table as a pandas DataFrame, or None without pandas."""
        try:
            import pandas
        except ImportError:
            return None
        return pandas.DataFrame(self.table)

    def _repr_html_(self) -> str:
        header = "".join(f"<th>{html.escape(column)}</th>" for column in self.table[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(shown(value))}</td>" for value in row.values()) + "</tr>"
            for row in self.table
        )
        return f"<table><tr>{header}</tr>{body}</table>{img_tag(self.figure)}"


def compare(folders) -> Comparison:
    """Compare run folders: a glob pattern ("runs/linreg/*"), a folder, or a list of them."""
    runs = run_folders(folders)
    configs = [flattened(yaml.safe_load((folder / "config.yaml").read_text())) for folder in runs]
    keys = [
        key
        for key in dict.fromkeys(k for c in configs for k in c)
        if len({repr(c.get(key)) for c in configs}) > 1
    ]
    table = []
    for folder, config in zip(runs, configs, strict=True):
        summary = _summary(folder)
        scores = {
            key: value
            for key, value in summary.items()
            if key.startswith(("val_", "test_")) and key not in OUTCOME
        }
        table.append(
            {"run": str(folder), **{key: config.get(key) for key in keys}}
            | {key: summary.get(key) for key in OUTCOME}
            | scores
        )
    empty = [
        column for column in table[0] if all(row.get(column) is None for row in table)
    ]  # e.g. no test split
    table = [{key: value for key, value in row.items() if key not in empty} for row in table]
    return Comparison(table, _overlay(runs, [_label(row, keys) for row in table]))


def run_folders(folders) -> list[Path]:
    """The run folders (with config.yaml and epochs.csv) that `folders` names, in sorted order."""
    patterns = [folders] if isinstance(folders, (str, Path)) else list(folders)
    found = sorted({Path(path) for pattern in patterns for path in glob.glob(str(pattern))})
    runs = [
        folder for folder in found if (folder / "config.yaml").is_file() and (folder / "epochs.csv").is_file()
    ]
    if not runs:
        raise UserError(
            f"no run folders in {', '.join(map(str, patterns))}: a run folder holds config.yaml and "
            f"epochs.csv, e.g. runs/linreg/2026-11-29_10-00-00 (or the pattern runs/linreg/*)."
        )
    return runs


def shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return "" if value is None else str(value)


def _summary(folder: Path) -> dict:
    path = folder / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def flattened(config: dict, separator: str = ".", prefix: str = "") -> dict:
    """Every leaf of a nested config by its key path: {"optimizer.lr": 0.1, "model": "linear", ...}."""
    flat: dict = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= flattened(value, separator, f"{prefix}{key}{separator}")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _label(row: dict, keys: list[str]) -> str:
    return " ".join(f"{key}={shown(row[key])}" for key in keys) or row["run"]


def _overlay(runs: list[Path], labels: list[str]) -> Figure:
    logs = [read_log(folder / "epochs.csv") for folder in runs]
    key = (
        "val_loss" if any(row.get("val_loss") is not None for rows in logs for row in rows) else "train_loss"
    )
    figure, axes = figure_with_axes((8, 4.5))
    everything: list[float] = []
    for rows, label in zip(logs, labels, strict=True):
        losses = [math.nan if (value := row.get(key)) is None else value for row in rows]
        axes.plot([row["epoch"] for row in rows], losses, "o-", ms=2, lw=1, label=label)
        everything += losses
    starts = [first for rows in logs if rows and (first := rows[0].get(key)) is not None]
    if starts:
        scale_loss_axis(axes, everything, start=sorted(starts)[len(starts) // 2])
    axes.set(
        xlabel="epoch", ylabel=key.replace("_", " "), title=f"{key.replace('_', ' ')} of {len(runs)} runs"
    )
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return figure

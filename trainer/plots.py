"""Plots in the run folder: the loss curves, drawn from its CSV logs (so a finished run can be
re-plotted), and what the model learned, where two dimensions can show it."""

import csv
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only: no window, works on machines without a screen
import matplotlib.pyplot as plt  # noqa: E402


def _columns(path: Path) -> dict[str, list[float]]:
    if not path.exists():  # e.g. a run that diverged in its first epoch has no epochs.csv
        return {}
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) if row[key] else float("nan") for row in rows] for key in (rows[0] if rows else {})}


def plot_losses(folder: Path) -> Path:
    """loss.png: the loss of every mini-batch (faint), the training and validation loss per epoch."""
    steps, epochs = _columns(folder / "steps.csv"), _columns(folder / "epochs.csv")
    figure, axes = plt.subplots(figsize=(7, 4.5), layout="constrained")
    if steps:
        per_epoch = max(steps["step"]) / max(epochs["epoch"]) if epochs else 1.0
        axes.plot([s / per_epoch for s in steps["step"]], steps["loss"], color="tab:blue", alpha=0.25, lw=0.8, label="mini-batch loss")
    if epochs:
        axes.plot(epochs["epoch"], epochs["train_loss"], "o-", color="tab:blue", ms=3, label="training loss (epoch mean)")
        if any(v == v for v in epochs["val_loss"]):
            axes.plot(epochs["epoch"], epochs["val_loss"], "s-", color="tab:orange", ms=3, label="validation loss")
    values = [v for v in steps.get("loss", []) + epochs.get("val_loss", []) if v == v and v > 0]
    if values and max(values) / min(values) > 100:
        axes.set_yscale("log")  # a falling loss spans orders of magnitude
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(f"{folder.parent.name}: loss while training")
    axes.grid(True, alpha=0.3)
    axes.legend()
    path = folder / "loss.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_model(folder: Path, experiment) -> Path | None:
    """What the model learned, where it can be drawn: decision_boundary.png for a classification run
    on two features, fit.png for a regression of one output on one feature. Axes in the data's own units."""
    from trainer.metrics import predict, predicted_classes

    splits, dataset = experiment.splits, experiment.splits.dataset
    X, y = dataset.X, dataset.y
    if isinstance(X, np.memmap):  # data larger than memory: too many points to draw, and to read for it
        return None
    mean, scale = splits.feature_mean, splits.feature_scale

    def outputs(grid):  # the model sees features scaled as in training
        return predict(experiment.model, grid if mean is None else (grid - mean) / scale)

    if dataset.task == "classification" and X.shape[1] == 2:
        figure, axes = plt.subplots(figsize=(6, 5.5), layout="constrained")
        low, high = X.min(axis=0), X.max(axis=0)
        margin = 0.05 * (high - low)
        a, b = np.meshgrid(*(np.linspace(lo - m, hi + m, 300) for lo, hi, m in zip(low, high, margin)))
        classes = predicted_classes(outputs(np.column_stack([a.ravel(), b.ravel()]))).reshape(a.shape)
        levels = np.arange(dataset.n_classes + 1) - 0.5
        axes.contourf(a, b, classes, levels=levels, cmap="tab10", vmin=-0.5, vmax=9.5, alpha=0.3)
        axes.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=-0.5, vmax=9.5, s=12, edgecolors="k", linewidths=0.3)
        axes.set_xlabel(dataset.feature_names[0])
        axes.set_ylabel(dataset.feature_names[1])
        axes.set_title(f"{folder.parent.name}: decision regions and the data")
        path = folder / "decision_boundary.png"
    elif dataset.task == "regression" and X.shape[1] == 1 and y.shape[1] == 1:
        figure, axes = plt.subplots(figsize=(7, 4.5), layout="constrained")
        grid = np.linspace(X.min(), X.max(), 400).reshape(-1, 1)
        axes.scatter(X[:, 0], y[:, 0], s=8, alpha=0.5, color="tab:gray", label="data")
        axes.plot(grid[:, 0], outputs(grid)[:, 0], color="tab:red", lw=2, label="model")
        axes.set_xlabel(dataset.feature_names[0])
        axes.set_ylabel(dataset.target_names[0])
        axes.set_title(f"{folder.parent.name}: the learned function")
        axes.legend()
        path = folder / "fit.png"
    else:
        return None
    axes.grid(True, alpha=0.3)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path

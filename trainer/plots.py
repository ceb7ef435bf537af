"""Plots in the run folder, drawn from its CSV logs (so a finished run can be re-plotted)."""

import csv
from pathlib import Path

import matplotlib

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

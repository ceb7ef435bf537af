"""Plots in the run folder: the loss curves, drawn from its CSV logs (so a finished run can be
re-plotted), and what the model learned, where two dimensions can show it.


Figures are `matplotlib.figure.Figure` objects drawn without pyplot: the library never touches
pyplot's state or the backend (a notebook's inline plots keep working), and a figure is freed with
its last reference.
"""

import csv
import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from trainer.training.callbacks import read_log


def _columns(path: Path) -> dict[str, list[float]]:
    """A CSV log by column, empty cells as NaN (matplotlib leaves a gap there)."""
    rows = read_log(path)
    return {
        key: [math.nan if (value := row[key]) is None else value for row in rows]
        for key in (rows[0] if rows else {})
    }


def scale_loss_axis(axes, losses: list[float], start: float) -> None:
    """A log scale when the losses span orders of magnitude (a falling loss does), and the top of the
    axis at 10x the `start` loss when some rise above it: a diverging loss (up to 1e308, inf) then
    leaves the plot at the top instead of squashing every other value into the bottom line."""
    ceiling = 10 * start if math.isfinite(start) and start > 0 else math.inf
    finite = [v for v in losses if math.isfinite(v) and v > 0]
    shown = [v for v in finite if v <= ceiling]
    if not shown:
        return
    low, high = min(shown), max(shown)
    log = high / low > 100
    if log:
        axes.set_yscale("log")
    if max(finite) > ceiling:
        axes.set_ylim(low / 2 if log else low - 0.05 * (ceiling - low), ceiling)


def figure_with_axes(figsize: tuple[float, float], **options):
    """(figure, axes) of a new Figure, as pyplot.subplots gives them but without pyplot."""
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(**options)


def save(figure: Figure, path: Path, outside_legend: bool = False) -> None:
    """Write the figure as a PNG; with `outside_legend`, grown to hold a legend drawn beside the axes
    (which costs a second layout pass, so only figures with one pay it)."""
    figure.savefig(path, dpi=110, bbox_inches="tight" if outside_legend else None)


def plot_losses(folder: Path) -> Path:
    """loss.png, the figure of `loss_figure`."""
    path = folder / "loss.png"
    save(loss_figure(folder), path)
    return path


def loss_figure(folder: Path) -> Figure:
    """The loss of every mini-batch (faint), the training and validation loss per epoch, where a
    diverging loss leaves the plot (marked), and below, the validation metrics of each epoch."""
    steps, epochs = _columns(folder / "steps.csv"), _columns(folder / "epochs.csv")
    metrics = [key for key in epochs if key.startswith("val_") and key != "val_loss"]
    if metrics:
        figure, (axes, lower) = figure_with_axes((7, 7), nrows=2, sharex=True, height_ratios=[3, 2])
    else:
        figure, axes = figure_with_axes((7, 4.5))
    per_epoch = max(steps["step"]) / max(epochs["epoch"]) if steps and epochs else 1.0
    if steps:
        axes.plot(
            [s / per_epoch for s in steps["step"]],
            steps["loss"],
            color="tab:blue",
            alpha=0.25,
            lw=0.8,
            label="mini-batch loss",
        )
    if epochs:
        axes.plot(
            epochs["epoch"],
            epochs["train_loss"],
            "o-",
            color="tab:blue",
            ms=3,
            label="training loss (epoch mean)",
        )
        if any(v == v for v in epochs["val_loss"]):
            axes.plot(
                epochs["epoch"], epochs["val_loss"], "s-", color="tab:orange", ms=3, label="validation loss"
            )
    losses = steps.get("loss", []) + epochs.get("val_loss", [])
    if losses:
        scale_loss_axis(axes, losses, start=losses[0])
        _mark_divergence(axes, steps, per_epoch, ceiling=10 * losses[0])
    axes.set_ylabel("loss")
    axes.set_title(f"{folder.parent.name}: loss while training")
    axes.grid(True, alpha=0.3)
    axes.legend()
    if metrics:
        for key in metrics:
            lower.plot(
                epochs["epoch"],
                epochs[key],
                "o-",
                ms=3,
                label=key.replace("_", " ", 1).replace("val", "validation"),
            )
        lower.set_ylabel("validation metric")
        lower.grid(True, alpha=0.3)
        lower.legend()
        lower.set_xlabel("epoch")
    else:
        axes.set_xlabel("epoch")
    return figure


def _mark_divergence(axes, steps: dict, per_epoch: float, ceiling: float) -> None:
    """A red line where the mini-batch loss first leaves the plot (above `ceiling`, or not a number):
    the axis is capped, so without it a diverged run would look merely cut off."""
    if not math.isfinite(ceiling) or ceiling <= 0:
        return
    for step, loss in zip(steps.get("step", []), steps.get("loss", [])):
        if not (math.isfinite(loss) and loss <= ceiling):
            axes.axvline(
                step / per_epoch,
                color="tab:red",
                ls="--",
                lw=1.2,
                label=f"diverged: loss {loss:.3g} at step {step:g}",
            )
            return


def plot_model(folder: Path, experiment) -> Path | None:
    """decision_boundary.png or fit.png, the figure of `model_figure` (if it can be drawn)."""
    drawn = model_figure(folder, experiment)
    if drawn is None:
        return None
    path = folder / drawn[1]
    save(drawn[0], path, outside_legend=True)  # the decision boundary's class legend is beside it
    return path


def model_figure(folder: Path, experiment) -> tuple[Figure, str] | None:
    """(figure, file name): what the model learned, where it can be drawn: decision_boundary.png for
    a classification run on two features, fit.png for a regression of one output on one feature.
    Axes in the data's own units."""
    from trainer.nn.metrics import predict, predicted_classes

    splits, dataset = experiment.splits, experiment.splits.dataset
    X, y = dataset.X, dataset.y
    if isinstance(X, np.memmap) or X.ndim != 2:  # too many points to draw (and read), or images
        return None
    mean, scale = splits.feature_mean, splits.feature_scale

    def outputs(grid):  # the model sees features scaled as in training
        return predict(experiment.model, grid if mean is None else (grid - mean) / scale)

    if dataset.task == "classification" and X.shape[1] == 2:
        figure, axes = figure_with_axes((6, 5.5))
        low, high = X.min(axis=0), X.max(axis=0)
        margin = 0.05 * (high - low)
        a, b = np.meshgrid(*(np.linspace(lo - m, hi + m, 300) for lo, hi, m in zip(low, high, margin)))
        classes = predicted_classes(outputs(np.column_stack([a.ravel(), b.ravel()]))).reshape(a.shape)
        levels = np.arange(dataset.n_classes + 1) - 0.5
        axes.contourf(a, b, classes, levels=levels, cmap="tab10", vmin=-0.5, vmax=9.5, alpha=0.3)
        colors = matplotlib.colormaps["tab10"]
        for number, name in enumerate(dataset.target_names):  # one scatter per class, for the legend
            shown = y == number
            axes.scatter(
                X[shown, 0],
                X[shown, 1],
                color=colors(number % 10),
                s=12,
                edgecolors="k",
                linewidths=0.3,
                label=name,
            )
        axes.legend(title=dataset.target_column or "class", loc="upper left", bbox_to_anchor=(1.01, 1))
        axes.set_xlabel(dataset.feature_names[0])
        axes.set_ylabel(dataset.feature_names[1])
        axes.set_title(f"{folder.parent.name}: decision regions and the data")
        name = "decision_boundary.png"
    elif dataset.task == "regression" and X.shape[1] == 1 and y.shape[1] == 1:
        figure, axes = figure_with_axes((7, 4.5))
        grid = np.linspace(X.min(), X.max(), 400).reshape(-1, 1)
        axes.scatter(X[:, 0], y[:, 0], s=8, alpha=0.5, color="tab:gray", label="data")
        axes.plot(grid[:, 0], outputs(grid)[:, 0], color="tab:red", lw=2, label="model")
        axes.set_xlabel(dataset.feature_names[0])
        axes.set_ylabel(dataset.target_names[0])
        axes.set_title(f"{folder.parent.name}: the learned function")
        axes.legend()
        name = "fit.png"
    else:
        return None
    axes.grid(True, alpha=0.3)
    return figure, name


def plot_diagnostics(folder: Path) -> Path:
    """diagnostics.png, the figure of `diagnostics_figure`."""
    path = folder / "diagnostics.png"
    save(diagnostics_figure(folder), path)
    return path


def diagnostics_figure(folder: Path) -> Figure:
    """Per parameter, the gradient norm and the update-to-weight ratio of each epoch."""
    with open(folder / "diagnostics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    grad_axes, ratio_axes = figure.subplots(1, 2)
    for name in dict.fromkeys(row["parameter"] for row in rows):
        mine = [row for row in rows if row["parameter"] == name]
        epochs = [int(row["epoch"]) for row in mine]
        grad_axes.plot(epochs, [float(row["grad_norm"]) for row in mine], "o-", ms=3, label=name)
        ratio_axes.plot(epochs, [float(row["update_ratio"] or "nan") for row in mine], "o-", ms=3, label=name)
    ratio_axes.axhline(1e-3, color="grey", ls="--", lw=1, label="1e-3, a common rule of thumb")
    grad_axes.set(xlabel="epoch", ylabel="|dL/dw| (mean over the epoch)", title="gradient norm", yscale="log")
    ratio_axes.set(
        xlabel="epoch",
        ylabel="|w_new - w_old| / |w_old|",
        title="update-to-weight ratio (last step)",
        yscale="log",
    )
    for axes in (grad_axes, ratio_axes):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle(f"{folder.parent.name}: what each step does to each parameter", fontsize=10)
    return figure

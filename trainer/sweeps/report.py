"""A sweep's results side by side: summary.csv, summary.md (best trial first) and curves.png."""

import csv
import io
import math
import statistics
from pathlib import Path

from trainer.files import write_atomically


def rows(sweep, outcomes: dict) -> list[dict]:
    """One row per trial: its id, a column per swept key, status, val_loss, the best monitored value,
    seconds, error; sorted best first (lowest or highest, as the monitor's mode says), trials without one last."""
    best = f"best_{sweep.monitor}"
    table = []
    for trial in sweep.trials:
        outcome = outcomes[trial.id]
        last = outcome.epochs[-1] if outcome.epochs else {}
        value = outcome.best if _finite(outcome.best) else None
        table.append(
            {
                "trial": trial.id,
                **trial.values,
                "status": outcome.status,
                "val_loss": last.get("val_loss"),
                best: value,
                "seconds": outcome.seconds,
                "error": outcome.error,
            }
        )
    sign = 1 if sweep.mode == "min" else -1
    return sorted(table, key=lambda row: (row[best] is None, sign * (row[best] or 0.0)))


def write_tables(folder: Path, table: list[dict]) -> None:
    """summary.csv (numbers written exactly, with repr) and summary.md (rounded, for reading)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(table[0])
    writer.writerows([_csv_cell(value) for value in row.values()] for row in table)
    write_atomically(folder / "summary.csv", text.getvalue())
    write_atomically(folder / "summary.md", "\n".join(markdown(table)) + "\n")


def markdown(table: list[dict]) -> list[str]:
    """The rows as a Markdown table, numbers to 6 significant digits; the error column only if a trial raised."""
    columns = [column for column in table[0] if column != "error" or any(row["error"] for row in table)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(_md_cell(row[column]) for column in columns) + " |" for row in table]


def plot_curves(folder: Path, sweep, outcomes: dict) -> Path:
    """curves.png: every trial's validation loss (training loss without a validation split) per epoch,
    on one set of axes, labelled by its swept values."""
    from trainer.runs.plots import figure_with_axes, save, scale_loss_axis

    rows = [epoch for outcome in outcomes.values() for epoch in outcome.epochs]
    key = "val_loss" if any(_finite(epoch.get("val_loss")) for epoch in rows) else "train_loss"
    figure, axes = figure_with_axes((8, 5))
    curves = {
        _label(trial, outcomes[trial.id].status): [epoch.get(key) for epoch in outcomes[trial.id].epochs]
        for trial in sweep.trials
    }
    curves = {
        label: [math.nan if loss is None else loss for loss in losses]
        for label, losses in curves.items()
        if losses
    }
    for label, losses in curves.items():
        axes.plot(range(1, len(losses) + 1), losses, marker="o", ms=2, lw=1, label=label)
    starts = [losses[0] for losses in curves.values() if _finite(losses[0])]
    if starts:  # the typical first-epoch loss: a few diverging trials do not move it
        scale_loss_axis(
            axes, [loss for losses in curves.values() for loss in losses], start=statistics.median(starts)
        )
    axes.set_xlabel("epoch")
    axes.set_ylabel(key.replace("_", " "))
    axes.set_title(f"{folder.parent.name}: {key.replace('_', ' ')} of every trial")
    axes.grid(True, alpha=0.3)
    if curves:
        axes.legend(
            fontsize="small", ncol=max(1, len(sweep.trials) // 15), loc="upper left", bbox_to_anchor=(1.01, 1)
        )
    path = folder / "curves.png"
    save(figure, path, outside_legend=True)
    return path


def _label(trial, status: str) -> str:
    return trial.label() + ("" if status == "completed" else f" ({status})")


def _finite(value) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _csv_cell(value):
    return "" if value is None else repr(value) if isinstance(value, float) else value


def _md_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."

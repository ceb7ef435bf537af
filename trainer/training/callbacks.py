"""Optional behaviour of the loop as callbacks, as in Keras: the dispatch of hooks (`Hooks`), the
progress bar and the CSV logs. The hooks themselves are `trainer.contracts.Callback`."""

import csv
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from trainer.contracts import Callback, LoopState
from trainer.files import write_atomically

HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class Hooks:
    """Per hook, the bound methods of the callbacks that override it, in the callbacks' order.

    Calling a hook that no callback overrides loops over an empty list, so a callback that does
    nothing per step costs nothing per step.
    """

    on_train_begin: Callable[[LoopState], None]
    on_epoch_begin: Callable[[LoopState], None]
    on_step_begin: Callable[[LoopState], None]
    on_before_update: Callable[[LoopState], None]
    on_step_end: Callable[[LoopState, float], None]
    on_epoch_end: Callable[[LoopState, dict], None]
    on_train_end: Callable[[LoopState], None]

    def __init__(self, callbacks: Iterable[Callback]):
        for name in HOOKS:
            default = getattr(Callback, name)
            methods = [
                getattr(cb, name) for cb in callbacks if getattr(type(cb), name, default) is not default
            ]
            setattr(self, name, _caller(methods))


def _caller(methods: list[Callable[..., None]]) -> Callable[..., None]:
    if not methods:
        return lambda *args: None
    if len(methods) == 1:
        return methods[0]

    def call_each(*args: Any) -> None:
        for method in methods:
            method(*args)

    return call_each


class ProgressBar(Callback):
    """A tqdm bar over all steps, showing the running loss; redrawn a few times a second, not every step.

    In a terminal it shows only when stderr is one; `notebook=True` draws tqdm.auto's widget instead
    (a kernel's stderr is no terminal, so that bar is always on)."""

    def __init__(self, notebook: bool = False):
        self.notebook = notebook

    def on_train_begin(self, state: LoopState) -> None:
        if self.notebook:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        self.bar = tqdm(
            total=state.epochs * state.steps_per_epoch,
            initial=state.step,
            unit="step",
            dynamic_ncols=True,
            disable=False if self.notebook else None,
        )
        self.every = max(1, state.steps_per_epoch // 20)
        self.pending = 0

    def on_step_end(self, state: LoopState, loss: float) -> None:
        self.pending += 1
        if self.pending >= self.every:
            self.bar.set_postfix_str(f"epoch {state.epoch}/{state.epochs} loss {loss:.4g}", refresh=False)
            self.bar.update(self.pending)
            self.pending = 0

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        self.bar.update(self.pending)
        self.pending = 0
        shown = {key: value for key, value in logs.items() if key != "epoch" and value is not None}
        self.bar.set_postfix_str(
            f"epoch {state.epoch}/{state.epochs} " + " ".join(f"{k} {v:.4g}" for k, v in shown.items())
        )

    def on_train_end(self, state: LoopState) -> None:
        self.bar.close()


class CSVLogger(Callback):
    """steps.csv (step, epoch, loss, lr) and epochs.csv (epoch, train_loss, val_loss, ...).

    Both files stay open for the run, and step rows are buffered: an epoch costs two writes and no
    open (which on short epochs cost more than the epoch's arithmetic). The rows reach the files at
    every epoch's end and before every checkpoint. Floats are written with repr, the shortest text
    that reads back to the same number, so equal runs give equal files.
    """

    def __init__(self, folder: Path):
        self.steps_path = folder / "steps.csv"
        self.epochs_path = folder / "epochs.csv"
        self.rows: list[tuple] = []

    def on_train_begin(self, state: LoopState) -> None:
        """Start the files, or, for a resumed run, cut them back to the checkpoint it resumes from
        (a run killed after writing logs but before its next checkpoint wrote rows it will redo)."""
        keep_rows(self.steps_path, "step,epoch,loss,lr", state.step)
        if self.epochs_path.exists():  # its header comes from the first epoch's logs
            keep_rows(self.epochs_path, None, len(state.history))
        self.steps, self.epochs = open(self.steps_path, "a"), open(self.epochs_path, "a")

    def on_step_end(self, state: LoopState, loss: float) -> None:
        self.rows.append((state.step, state.epoch, loss, state.optimizer.lr))  # formatted in bulk by flush()

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if not self.epochs.tell():  # an empty file: the header first
            self.epochs.write(",".join(logs) + "\n")
        self.epochs.write(",".join(_cell(value) for value in logs.values()) + "\n")
        self.flush()

    def on_train_end(self, state: LoopState) -> None:
        self.flush()
        self.steps.close()
        self.epochs.close()

    def flush(self):
        if (
            self.steps.closed
        ):  # the checkpoint of an interrupted run is saved after on_train_end flushed and closed the files
            return
        self.steps.writelines(f"{step},{epoch},{loss!r},{lr!r}\n" for step, epoch, loss, lr in self.rows)
        self.rows.clear()
        self.steps.flush()
        self.epochs.flush()


def read_log(path: Path) -> list[dict[str, float | None]]:
    """The rows of a CSV log this module wrote (steps.csv, epochs.csv), numbers as floats and empty
    cells (no validation split, a value that was not finite) as None; [] when there is no file yet."""
    if not path.exists():  # e.g. a run that diverged in its first epoch has no epochs.csv
        return []
    with open(path, newline="") as file:
        return [
            {key: float(value) if value else None for key, value in row.items()}
            for row in csv.DictReader(file)
        ]


def keep_rows(path: Path, header: str | None, last: int) -> None:
    """Keep the header and the rows whose first cell is at most `last` (or start the file with `header`,
    if there is one: epochs.csv takes its header from the first epoch's logs)."""
    if not path.exists():
        if header is not None:
            path.write_text(header + "\n")
        return
    lines = path.read_text().splitlines(keepends=True)
    # A line without its newline is one the killed process did not finish writing.
    kept = lines[:1] + [
        line for line in lines[1:] if line.endswith("\n") and int(line.split(",", 1)[0]) <= last
    ]
    if kept != lines:
        write_atomically(path, "".join(kept))


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value)

"""Optional behaviour of the loop (progress bar, CSV logs, ...) as callbacks, as in Keras.

A callback overrides any of the hooks below. The loop calls a hook only on the callbacks that
override it, so a callback that does nothing per step costs nothing per step.
"""

import math
from pathlib import Path

HOOKS = ("on_train_begin", "on_step_end", "on_epoch_end", "on_train_end")


class Callback:
    def on_train_begin(self, state) -> None:
        """Before the first step; `state` is the loop's LoopState."""

    def on_step_end(self, state, loss: float) -> None:
        """After each parameter update; `loss` is that mini-batch's mean loss."""

    def on_epoch_end(self, state, logs: dict) -> None:
        """After each epoch; `logs` holds epoch, train_loss, val_loss. Set state.stop to end training."""

    def on_train_end(self, state) -> None:
        """After the last epoch, or after training stopped."""


def hooks(callbacks, name: str) -> list:
    """The bound `name` hooks of those callbacks that override it."""
    default = getattr(Callback, name)
    return [getattr(cb, name) for cb in callbacks if getattr(type(cb), name, default) is not default]


class ProgressBar(Callback):
    """A tqdm bar over all steps, showing the running loss; redrawn a few times a second, not every step."""

    def on_train_begin(self, state):
        from tqdm import tqdm

        self.bar = tqdm(total=state.epochs * state.steps_per_epoch, initial=state.step, unit="step", dynamic_ncols=True, disable=None)
        self.every = max(1, state.steps_per_epoch // 20)
        self.pending = 0

    def on_step_end(self, state, loss):
        self.pending += 1
        if self.pending >= self.every:
            self.bar.set_postfix_str(f"epoch {state.epoch}/{state.epochs} loss {loss:.4g}", refresh=False)
            self.bar.update(self.pending)
            self.pending = 0

    def on_epoch_end(self, state, logs):
        self.bar.update(self.pending)
        self.pending = 0
        shown = {key: value for key, value in logs.items() if key != "epoch" and value is not None}
        self.bar.set_postfix_str(f"epoch {state.epoch}/{state.epochs} " + " ".join(f"{k} {v:.4g}" for k, v in shown.items()))

    def on_train_end(self, state):
        self.bar.close()


class CSVLogger(Callback):
    """steps.csv (step, epoch, loss, lr) and epochs.csv (epoch, train_loss, val_loss, ...).

    Step rows are buffered and written once an epoch, not a write per step. Floats are written
    with repr, the shortest text that reads back to the same number, so equal runs give equal files.
    """

    def __init__(self, folder: Path):
        self.steps_path = folder / "steps.csv"
        self.epochs_path = folder / "epochs.csv"
        self.rows: list[str] = []

    def on_train_begin(self, state):
        if not self.steps_path.exists():
            self.steps_path.write_text("step,epoch,loss,lr\n")

    def on_step_end(self, state, loss):
        self.rows.append(f"{state.step},{state.epoch},{loss!r},{state.optimizer.lr!r}\n")

    def on_epoch_end(self, state, logs):
        self.flush()
        new = not self.epochs_path.exists()
        with open(self.epochs_path, "a") as file:
            if new:
                file.write(",".join(logs) + "\n")
            file.write(",".join(_cell(value) for value in logs.values()) + "\n")

    def on_train_end(self, state):
        self.flush()

    def flush(self):
        with open(self.steps_path, "a") as file:
            file.writelines(self.rows)
        self.rows.clear()


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value)

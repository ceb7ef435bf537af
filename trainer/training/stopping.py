"""Ways a run ends early: early stopping, divergence, and Ctrl-C / SIGTERM."""

import math
import signal
import threading
from collections import deque
from contextlib import contextmanager

import numpy as np

from trainer.contracts import Callback, LoopState
from trainer.nn.models import buffers_of


class Monitor:
    """Tracks the best value of one logged quantity (`val_loss`, ...) in `mode` min or max."""

    def __init__(self, key: str, mode: str, min_delta: float = 0.0):
        self.key, self.mode, self.min_delta = key, mode, min_delta
        self.best: float | None = None

    def improved(self, logs: dict) -> bool:
        """Whether logs[key] beats the best so far by more than min_delta (and record it if so)."""
        value = logs[self.key]
        if value is None or math.isnan(value):
            return False
        better = self.best is None or (
            value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        )
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for `patience` epochs (Keras' EarlyStopping)."""

    def __init__(self, monitor: Monitor, patience: int, restore_best: bool):
        self.monitor, self.patience, self.restore_best = monitor, patience, restore_best
        self.wait = 0
        self.best_epoch = 0
        self.best_parameters: list[np.ndarray] = []
        self.best_buffers: list[np.ndarray] = []  # batch-norm statistics of the best epoch

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if self.monitor.improved(logs):
            self.wait, self.best_epoch = 0, state.epoch
            if self.restore_best:
                self.best_parameters = [p.data.copy() for p in state.model.parameters]
                self.best_buffers = [b.copy() for b in buffers_of(state.model)]
        else:
            self.wait += 1
            if self.wait >= self.patience and state.status == "running":
                state.stop, state.status = True, "stopped_early"

    def on_train_end(self, state: LoopState) -> None:
        if state.status == "stopped_early" and self.best_parameters:
            for p, best in zip(state.model.parameters, self.best_parameters):
                p.data[...] = best
            for buffer, best in zip(buffers_of(state.model), self.best_buffers, strict=True):
                buffer[...] = best

    def state_dict(self) -> dict:
        return {
            "best": self.monitor.best,
            "wait": self.wait,
            "best_epoch": self.best_epoch,
            "best_parameters": self.best_parameters,
            "best_buffers": self.best_buffers,
        }

    def load_state_dict(self, saved: dict) -> None:
        self.monitor.best, self.wait, self.best_epoch = saved["best"], saved["wait"], saved["best_epoch"]
        self.best_parameters = list(saved["best_parameters"])
        self.best_buffers = list(saved.get("best_buffers", []))


class DivergenceGuard(Callback):
    """Stop with status `diverged` when the loss or a parameter is NaN or infinite, or the smoothed
    loss rises `factor` times above its best (and above where it started), and explain why."""

    SMOOTHING = 0.1  # weight of the newest loss in the moving average that ignores mini-batch noise

    def __init__(self, factor: float, standardized: bool):
        self.factor, self.standardized = factor, standardized
        self.recent: deque[float] = deque(maxlen=6)
        self.smoothed: float | None = None  # the moving average of the loss
        self.first: float | None = None  # its first value
        self.best: float | None = None  # its lowest
        self.message: str | None = None

    def on_step_end(self, state: LoopState, loss: float) -> None:
        self.recent.append(loss)
        if not math.isfinite(loss):
            return self._diverge(state, f"the loss became {loss}")
        self.smoothed = (
            loss if self.smoothed is None else (1 - self.SMOOTHING) * self.smoothed + self.SMOOTHING * loss
        )
        self.first = self.smoothed if self.first is None else self.first
        self.best = self.smoothed if self.best is None else min(self.best, self.smoothed)
        if self.smoothed > self.factor * self.best and self.smoothed > self.first:
            self._diverge(
                state,
                f"the loss rose to {self.smoothed:.4g}, over {self.factor:g} times its best ({self.best:.4g})",
            )

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if state.status == "running" and not all(np.isfinite(p.data).all() for p in state.model.parameters):
            self._diverge(state, "a parameter became NaN or infinite")

    def _diverge(self, state, what: str) -> None:
        state.stop, state.status = True, "diverged"
        self.message = explain_divergence(
            what, state.step, list(self.recent), state.optimizer.lr, self.standardized
        )


def explain_divergence(what: str, step: int, losses: list[float], lr: float, standardized: bool) -> str:
    """A beginner's explanation, with advice chosen from what the losses did."""
    shown = ", ".join(f"{loss:.4g}" for loss in losses)
    text = [
        f"Training diverged at step {step}: {what}. The last losses were {shown}; the learning rate was {lr:g}."
    ]
    if not standardized:
        text.append(
            "The features are not standardized: features with large values make the gradient large in their "
            "direction, so a step that suits one feature overshoots on another. Set data.standardize: true."
        )
    finite = [loss for loss in losses if math.isfinite(loss)]
    rises = [b > a for a, b in zip(finite, finite[1:])]
    if len(rises) >= 2 and sum(rises) >= 0.6 * len(rises):
        text.append(
            "Step after step made the loss larger: the learning rate is too large, so every update jumps past "
            f"the minimum and lands higher up the other side. Try a smaller one, e.g. optimizer.lr={lr / 10:g}."
        )
    elif len(finite) < len(losses) and finite and finite[-1] <= min(finite) * 10:
        text.append(
            "The loss jumped from ordinary values to NaN or infinity in one step: look for a division by zero, "
            "the log of a non-positive number or an overflow in the model or the loss, or try a smaller optimizer.lr."
        )
    else:
        text.append(
            "The loss jumped within a few steps: a few very large gradients. Clipping the gradient "
            f"(trainer.clip_grad_norm: 1.0) caps the size of every step; a smaller optimizer.lr (e.g. {lr / 10:g}) also helps."
        )
    text.append("The last checkpoint from before the divergence is kept.")
    return " ".join(text)


@contextmanager
def stop_on_signals(state):
    """Ctrl-C or SIGTERM: finish the current step, then stop with status `interrupted`.

    A second Ctrl-C interrupts at once. Signal handlers can only be set from the main thread;
    elsewhere (a worker thread) the signals keep their usual meaning.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        state.stop, state.status = True, "interrupted"
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

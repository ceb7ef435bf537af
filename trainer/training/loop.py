"""The training loop: epochs of shuffled mini-batches, forward, mean loss, backward, update.

Everything optional (logging, progress, checkpoints, schedules, stopping) is a callback. The loop
state is plain numbers, so a checkpoint of it resumes a run exactly, mid-epoch included.
"""

import contextlib
import math
from collections.abc import Iterable

import mygrad as mg
import numpy as np

from trainer.contracts import Callback, LoopState, Loss, Model
from trainer.nn.models import evaluation_mode
from trainer.training.callbacks import Hooks

# A split: inputs and targets, NumPy arrays (or trainer.data.outofcore.LazySplit, which reads like one).
Split = tuple[np.ndarray, np.ndarray]


def fit(
    state: LoopState,
    loss_fn: Loss,
    train: Split,
    val: Split | None,
    *,
    batch_size: int,
    callbacks: Iterable[Callback] = (),
    guard_memory: bool = False,
) -> LoopState:
    """Train `state.model` in place. The data are NumPy arrays: constants that never get a gradient."""
    X, y = train
    parameters, rng = state.model.parameters, state.rng
    hooks = Hooks(callbacks)
    hooks.on_train_begin(state)
    # Memory guarding (read-only arrays while a graph lives) catches bugs but costs 15-40% per step.
    with contextlib.nullcontext() if guard_memory else mg.mem_guard_off:
        while not state.stop and (state.batch_in_epoch or state.epoch < state.epochs):
            if state.batch_in_epoch:  # resumed mid-epoch: draw this epoch's order again
                assert state.epoch_rng_state is not None  # saved when the epoch began
                rng.bit_generator.state = state.epoch_rng_state
            else:
                state.epoch += 1
                state.epoch_rng_state = rng.bit_generator.state
                state.epoch_loss_sum = 0.0
                hooks.on_epoch_begin(state)
            order = batch_order(X, rng, batch_size)
            for start in range(state.batch_in_epoch * batch_size, len(X), batch_size):
                rows = order[start : start + batch_size]
                inputs, targets = X[rows], y[rows]
                hooks.on_step_begin(state)
                loss = loss_fn(state.model(inputs), targets)
                loss.backward()  # replaces every p.grad and clears the graph
                hooks.on_before_update(state)
                state.optimizer.step(parameters)
                state.step += 1
                state.batch_in_epoch += 1
                value = loss.item()
                state.epoch_loss_sum += value * len(targets)
                hooks.on_step_end(state, value)
                if state.stop:
                    break
            if state.batch_in_epoch < state.steps_per_epoch:
                break  # stopped mid-epoch
            state.batch_in_epoch = 0
            logs = {
                "epoch": state.epoch,
                "train_loss": state.epoch_loss_sum / len(X),
                "val_loss": evaluate(state.model, loss_fn, val),
            }
            state.history.append(logs)
            hooks.on_epoch_end(state, logs)
    if state.status == "running":
        state.status = "completed"
    hooks.on_train_end(state)
    return state


def batch_order(X, rng: np.random.Generator, batch_size: int):
    """This epoch's order of the rows: `order[start:stop]` picks a batch's rows."""
    if hasattr(X, "epoch_order"):  # data read from disk by blocks (trainer.data.outofcore)
        return X.epoch_order(rng)
    if batch_size >= len(X):
        # One batch of every row: its order would change nothing but the rounding of the mean, and
        # gathering a shuffled copy of the data would cost as much as the step itself.
        return ALL_ROWS
    return rng.permutation(len(X))


class AllRows:
    """An order whose every window is all the rows, as they are stored (X[slice(None)] is X itself)."""

    def __getitem__(self, window: slice) -> slice:
        return slice(None)


ALL_ROWS = AllRows()


def evaluate(model: Model, loss_fn: Loss, split: Split | None, chunk: int = 8192) -> float | None:
    """The mean loss over a whole split (None when there is no such split), in evaluation mode (no
    graph, no dropout)."""
    if split is None:
        return None
    X, y = split
    total = 0.0
    with evaluation_mode(model):
        for start in range(0, len(X), chunk):
            total += loss_fn(model(X[start : start + chunk]), y[start : start + chunk]).item() * len(
                X[start : start + chunk]
            )
    return total / len(X)


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    return math.ceil(n_rows / batch_size)

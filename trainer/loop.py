"""The training loop: epochs of shuffled mini-batches, forward, mean loss, backward, update."""

import contextlib
import math
from dataclasses import dataclass, field

import mygrad as mg
import numpy as np

from trainer.callbacks import hooks


@dataclass
class LoopState:
    """What the loop knows, shared with the callbacks."""

    model: object
    optimizer: object
    epochs: int
    steps_per_epoch: int
    epoch: int = 0  # the epoch in progress, or the last one finished
    step: int = 0  # parameter updates so far
    history: list[dict] = field(default_factory=list)  # one entry of logs per finished epoch
    stop: bool = False  # a callback sets it to end training after this epoch


def fit(state: LoopState, loss_fn, train, val, *, batch_size: int, rng: np.random.Generator, callbacks=(), guard_memory=False):
    """Train `state.model` in place. The data are NumPy arrays: constants that never get a gradient."""
    X, y = train
    parameters = state.model.parameters
    step_hooks, epoch_hooks = hooks(callbacks, "on_step_end"), hooks(callbacks, "on_epoch_end")
    for hook in hooks(callbacks, "on_train_begin"):
        hook(state)
    # Memory guarding (read-only arrays while a graph lives) catches bugs but costs 15-40% per step.
    with contextlib.nullcontext() if guard_memory else mg.mem_guard_off:
        while state.epoch < state.epochs and not state.stop:
            state.epoch += 1
            order = rng.permutation(len(X))
            total = 0.0
            for start in range(0, len(X), batch_size):
                batch = order[start : start + batch_size]
                loss = loss_fn(state.model(X[batch]), y[batch])
                loss.backward()  # replaces every p.grad and clears the graph
                state.optimizer.step(parameters)
                state.step += 1
                value = loss.item()
                total += value * len(batch)
                for hook in step_hooks:
                    hook(state, value)
            logs = {"epoch": state.epoch, "train_loss": total / len(X), "val_loss": evaluate(state.model, loss_fn, val)}
            state.history.append(logs)
            for hook in epoch_hooks:
                hook(state, logs)
    for hook in hooks(callbacks, "on_train_end"):
        hook(state)
    return state


def evaluate(model, loss_fn, split, chunk: int = 8192) -> float | None:
    """The mean loss over a whole split (None when there is no such split), without building a graph."""
    if split is None:
        return None
    X, y = split
    total = 0.0
    with mg.no_autodiff:
        for start in range(0, len(X), chunk):
            total += loss_fn(model(X[start : start + chunk]), y[start : start + chunk]).item() * len(X[start : start + chunk])
    return total / len(X)


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    return math.ceil(n_rows / batch_size)

"""The contracts every layer speaks: what a model, a loss, an optimizer, a schedule, a data set and a
callback must provide, and the loop state the callbacks see.

They are `typing.Protocol`s: any object with these attributes fits, whether it subclasses them or
not (a student's model is a plain class). `Callback` is also a base class: subclass it and override
only the hooks you need; the others do nothing (and cost nothing: `trainer.training.callbacks.Hooks`
calls only the hooks a callback overrides).

This module imports nothing of the framework, so every package may import it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import mygrad as mg
import numpy as np

Task = Literal["regression", "classification"]


@runtime_checkable
class Model(Protocol):
    """`model(x) -> Tensor` of shape (N, outputs), with its trainable `parameters`.

    Optional attributes the framework respects: `training` (set to False while the model is
    evaluated, so dropout turns off), `weights` (the parameters a regularization penalty applies to;
    by default those with two or more dimensions), `rng` (a generator whose state is checkpointed)
    and `buffers` (arrays of state that is not trained, such as batch-norm statistics: updated in
    place by the model, checkpointed with the parameters, never touched by the optimizer).
    """

    def __call__(self, x: np.ndarray) -> mg.Tensor: ...

    @property
    def parameters(self) -> tuple[mg.Tensor, ...]: ...


@runtime_checkable
class Loss(Protocol):
    """`loss(prediction, target) -> scalar Tensor`: the mean over the batch.

    A loss may say what targets it `expects` ("values", "classes" or "binary"), which sets the
    model's output width; a loss without it lets the data decide."""

    def __call__(self, prediction: mg.Tensor, target: np.ndarray) -> mg.Tensor: ...


@runtime_checkable
class Optimizer(Protocol):
    """`step(parameters)` updates each `p.data` in place from `p.grad`; `lr` is read and set by the
    schedules. Its state is plain numbers and arrays, so `state_dict()` / `load_state_dict()`
    round-trip through a checkpoint exactly."""

    lr: float

    def step(self, parameters: Sequence[mg.Tensor]) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@runtime_checkable
class Schedule(Protocol):
    """The learning rate of step `step` (0, 1, ...): a function of the step number alone, so that a
    resumed run continues on the same curve."""

    def __call__(self, step: int) -> float: ...


@runtime_checkable
class Dataset(Protocol):
    """What a data set loader returns (trainer.data.dataset.Dataset is the implementation).

    X is (N, features); y is (N, outputs) floats for regression, integer labels 0..K-1 (N,) for
    classification. Read-only: nothing writes to a data set (the implementation is frozen)."""

    @property
    def X(self) -> np.ndarray: ...

    @property
    def y(self) -> np.ndarray: ...

    @property
    def feature_names(self) -> list[str]: ...

    @property
    def target_names(self) -> list[str]:
        """Regression: one name per output; classification: one per class."""
        ...

    @property
    def task(self) -> Task: ...

    @property
    def n_classes(self) -> int: ...


@dataclass
class LoopState:
    """What the loop knows, shared with the callbacks and saved in checkpoints."""

    model: Model
    optimizer: Optimizer
    epochs: int
    steps_per_epoch: int
    rng: np.random.Generator  # orders the batches; its state is checkpointed
    epoch: int = 0  # the epoch in progress, or the last one finished
    step: int = 0  # parameter updates so far
    batch_in_epoch: int = 0  # batches done in the epoch in progress (0 between epochs)
    epoch_loss_sum: float = 0.0  # sum of batch loss * batch size in the epoch in progress
    # the batch generator's state when this epoch drew its order
    epoch_rng_state: Mapping[str, Any] | None = None
    history: list[dict] = field(default_factory=list)  # the logs of every finished epoch
    stop: bool = False  # set by a callback: end after this step
    status: str = "running"  # completed, interrupted, stopped_early, diverged, failed


class Callback(Protocol):
    """Hooks the loop calls, in the order of the run's callbacks (trainer.runs.callbacks). A callback
    with state to keep across a resume also has `state_dict()` and `load_state_dict(saved)` (`Stateful`).

    Each hook says `return None`: a hook whose body is only its docstring would be abstract to a type
    checker, and a subclass that leaves it out could not be instantiated."""

    def on_train_begin(self, state: LoopState) -> None:
        """Before the first step (of this process: a resumed run starts with its saved state)."""
        return None

    def on_epoch_begin(self, state: LoopState) -> None:
        """Before the first step of a new epoch."""
        return None

    def on_step_begin(self, state: LoopState) -> None:
        """Before the forward pass of each step (a schedule sets state.optimizer.lr here)."""
        return None

    def on_before_update(self, state: LoopState) -> None:
        """After backward(), before the optimizer step: every p.grad is fresh (clip it here)."""
        return None

    def on_step_end(self, state: LoopState, loss: float) -> None:
        """After each parameter update; `loss` is that mini-batch's mean loss. Set state.stop to end."""
        return None

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        """After each epoch; `logs` holds epoch, train_loss, val_loss and may be added to."""
        return None

    def on_train_end(self, state: LoopState) -> None:
        """After the last epoch, or after training stopped (state.status says why)."""
        return None


@runtime_checkable
class Stateful(Protocol):
    """A callback (or an optimizer) whose state a checkpoint keeps: plain numbers, arrays, lists and
    dicts of them, given back to `load_state_dict` on resume."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

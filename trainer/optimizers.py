"""Optimizers: `step(parameters)` updates each `p.data` in place from `p.grad`.

Their state is plain numbers and arrays, so `state_dict()` / `load_state_dict()` round-trip
through a checkpoint exactly.
"""

from typing import Annotated

from pydantic import Field

from trainer.registry import Registry

OPTIMIZERS = Registry("optimizer")

LearningRate = Annotated[float, Field(gt=0)]


@OPTIMIZERS.register("sgd")
class SGD:
    """Plain gradient descent: w_new = w_old - lr * dL/dw, for every parameter."""

    def __init__(self, lr: LearningRate):
        self.lr = lr

    def step(self, parameters) -> None:
        for p in parameters:
            # On `p.data`, not `p`: `p -= ...` on the Tensor would be a tracked operation.
            p.data -= self.lr * p.grad

    def state_dict(self) -> dict:
        return {"lr": self.lr}

    def load_state_dict(self, state: dict) -> None:
        self.lr = state["lr"]

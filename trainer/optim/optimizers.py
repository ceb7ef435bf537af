"""Optimizers: `step(parameters)` updates each `p.data` in place from `p.grad`.

Their state is plain numbers and arrays, so `state_dict()` / `load_state_dict()` round-trip
through a checkpoint exactly. Each update rule follows the published formula named in its
docstring (the same as PyTorch's defaults); the tests write each formula out in NumPy.
"""

from collections.abc import Sequence
from typing import Annotated, Any

import mygrad as mg
import numpy as np
from pydantic import Field

from trainer.registry import Registry

OPTIMIZERS = Registry("optimizer", class_needs=("step", "state_dict", "load_state_dict"))

LearningRate = Annotated[float, Field(gt=0)]

NonNegative = Annotated[float, Field(ge=0)]

Decay = Annotated[float, Field(ge=0, lt=1)]

Epsilon = Annotated[float, Field(gt=0)]


class Optimizer:
    """Per-parameter state arrays (`slots`, e.g. Adam's m and v) created at the first step, a step
    counter `t`, and the generic update loop; a subclass writes `update(p, grad, state)`."""

    slots: tuple[str, ...] = ()

    def __init__(self, lr: float):
        self.lr = lr
        self.t = 0
        self.state: dict[str, list[np.ndarray]] = {name: [] for name in self.slots}

    def step(self, parameters: Sequence[mg.Tensor]) -> None:
        if self.slots and not self.state[self.slots[0]]:
            self.state = {name: [np.zeros_like(p.data) for p in parameters] for name in self.slots}
        self.t += 1
        for index, p in enumerate(parameters):
            if p.grad is None:  # not in this step's graph: nothing to update it by (as in PyTorch)
                continue
            # On `p.data`, not `p`: `p -= ...` on the Tensor would be a tracked operation.
            p.data -= self.update(
                p.data, p.grad, {name: arrays[index] for name, arrays in self.state.items()}
            )

    def update(self, weight: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        """The amount to subtract from `weight`; updates the arrays in `state` in place."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "t": self.t,
            **{name: [a.copy() for a in arrays] for name, arrays in self.state.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr, self.t = state["lr"], state["t"]
        self.state = {
            name: [np.array(a) for a in state[name]] for name in self.slots
        }  # copies, in their own dtype


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Gradient descent: w -= lr * g, with g = dL/dw + weight_decay * w.

    With momentum mu (PyTorch's form): b = mu * b + g (b = g at the first step), then w -= lr * b;
    Nesterov: w -= lr * (g + mu * b).
    """

    slots: tuple[str, ...] = ("momentum_buffer",)

    def __init__(
        self, lr: LearningRate, momentum: Decay = 0.0, nesterov: bool = False, weight_decay: NonNegative = 0.0
    ):
        if not momentum:
            self.slots = ()  # plain gradient descent keeps no buffer
        super().__init__(lr)
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def update(self, weight, grad, state):
        g = grad + self.weight_decay * weight if self.weight_decay else grad
        if not self.momentum:
            return self.lr * g
        buffer = state["momentum_buffer"]
        buffer *= self.momentum if self.t > 1 else 0.0
        buffer += g
        return self.lr * (g + self.momentum * buffer if self.nesterov else buffer)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)."""

    slots = ("m", "v")

    def __init__(
        self, lr: LearningRate = 0.001, beta1: Decay = 0.9, beta2: Decay = 0.999, eps: Epsilon = 1e-8
    ):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def update(self, weight, grad, state):
        m, v = state["m"], state["v"]
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * grad**2
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam plus weight decay applied to w directly, not to the
    gradient: w -= lr * (weight_decay * w + m_hat / (sqrt(v_hat) + eps))."""

    def __init__(
        self,
        lr: LearningRate = 0.001,
        beta1: Decay = 0.9,
        beta2: Decay = 0.999,
        eps: Epsilon = 1e-8,
        weight_decay: NonNegative = 0.01,
    ):
        super().__init__(lr, beta1, beta2, eps)
        self.weight_decay = weight_decay

    def update(self, weight, grad, state):
        return self.lr * self.weight_decay * weight + super().update(weight, grad, state)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e): v = alpha v + (1 - alpha) g^2;  w -= lr * g / (sqrt(v) + eps)."""

    slots = ("v",)

    def __init__(self, lr: LearningRate = 0.01, alpha: Decay = 0.99, eps: Epsilon = 1e-8):
        super().__init__(lr)
        self.alpha, self.eps = alpha, eps

    def update(self, weight, grad, state):
        v = state["v"]
        v *= self.alpha
        v += (1 - self.alpha) * grad**2
        return self.lr * grad / (np.sqrt(v) + self.eps)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): s += g^2;  w -= lr * g / (sqrt(s) + eps)."""

    slots = ("sum_of_squares",)

    def __init__(self, lr: LearningRate = 0.01, eps: Epsilon = 1e-10):
        super().__init__(lr)
        self.eps = eps

    def update(self, weight, grad, state):
        s = state["sum_of_squares"]
        s += grad**2
        return self.lr * grad / (np.sqrt(s) + self.eps)

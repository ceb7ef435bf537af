"""Models: a callable `model(x) -> Tensor` with `model.parameters -> tuple[Tensor, ...]`.

The framework supplies `n_inputs` and `n_outputs` (from the data) and `rng` (seeded from the
config); a config block sets the rest.
"""

from typing import Literal

import mygrad as mg
import numpy as np

from trainer.registry import Registry

MODELS = Registry("model", provided=("n_inputs", "n_outputs", "rng"))


@MODELS.register("linear")
class Linear:
    """y = x @ W + b. `init: zeros` starts at the origin; `normal` draws W ~ N(0, 1/n_inputs)."""

    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator, init: Literal["zeros", "normal"] = "zeros"):
        weight = np.zeros((n_inputs, n_outputs))
        if init == "normal":
            weight = rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_outputs))
        self.weight = mg.tensor(weight)
        self.bias = mg.tensor(np.zeros(n_outputs))

    def __call__(self, x):
        return x @ self.weight + self.bias

    @property
    def parameters(self) -> tuple[mg.Tensor, ...]:
        return (self.weight, self.bias)

"""The solution of assignments/linear_regression: never handed out."""

import mygrad as mg
import numpy as np


class LinearModel:
    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator):
        self.w = mg.tensor(rng.normal(0, 0.1, size=(n_inputs, n_outputs)))
        self.b = mg.tensor(np.zeros(n_outputs))

    def __call__(self, x):
        return x @ self.w + self.b

    @property
    def parameters(self):
        return (self.w, self.b)


def mse(prediction, target):
    return mg.mean((prediction - target) ** 2)

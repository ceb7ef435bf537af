"""The solution of assignments/logistic_regression: never handed out."""

import mygrad as mg
import numpy as np


class LogisticModel:
    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator):
        self.w = mg.tensor(rng.normal(0, 0.1, size=(n_inputs, n_outputs)))
        self.b = mg.tensor(np.zeros(n_outputs))

    def __call__(self, x):
        return x @ self.w + self.b

    @property
    def parameters(self):
        return (self.w, self.b)


def binary_cross_entropy(logits, labels):
    z = logits[:, 0]
    return mg.mean(mg.logaddexp(0, z) - labels * z)


binary_cross_entropy.expects = "binary"

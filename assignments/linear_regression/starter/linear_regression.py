"""Linear regression written by hand: a model y = x @ w + b and the mean squared error.

The framework calls `LinearModel(n_inputs=..., n_outputs=..., rng=...)`: it supplies the input width
(from the data), the output width (one per target column) and a seeded random generator. Then, for
each mini-batch, it computes `mse(model(x), y)`, calls `backward()` on it and updates
`model.parameters` with p.data -= lr * p.grad.

Check your work with `mgtrain check . linear_regression.py`; train with `mgtrain train linear_regression.yaml`.
"""

import mygrad as mg  # noqa: F401 (you will need it)
import numpy as np


class LinearModel:
    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator):
        # TODO: two parameters, each a mygrad tensor of a float array:
        #   self.w of shape (n_inputs, n_outputs), drawn from rng.normal(0, 0.1, size=...),
        #   self.b of shape (n_outputs,), zeros.
        raise NotImplementedError("LinearModel.__init__: create w and b")

    def __call__(self, x):
        # TODO: the predictions, shape (rows of x, n_outputs): x @ w + b.
        raise NotImplementedError("LinearModel.__call__: compute x @ w + b")

    @property
    def parameters(self):
        # TODO: a tuple of the two parameter tensors, (w, b).
        raise NotImplementedError("LinearModel.parameters: return (w, b)")


def mse(prediction, target):
    """The mean over every entry of (prediction - target) ** 2.

    prediction: Tensor (N, outputs); target: array of the same shape. Return a scalar Tensor.
    """
    # TODO: use mygrad operations on the Tensor (mg.mean, **), so that the gradient can flow back.
    raise NotImplementedError("mse: compute the mean squared error")

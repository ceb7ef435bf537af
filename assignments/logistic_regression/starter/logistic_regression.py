"""Logistic regression written by hand, on the breast-cancer data: one logit per tumour, and the
binary cross-entropy of that logit.

The framework calls `LogisticModel(n_inputs=..., n_outputs=..., rng=...)`. How many outputs the
model has is the loss's to say: a loss with the attribute `expects = "binary"` gets ONE logit per
row for two classes (without it, the framework gives one logit per class, for a softmax). That is
why `binary_cross_entropy.expects = "binary"` is written below the function.

Check your work with `mgtrain check . logistic_regression.py`; train with
`mgtrain train logistic_regression.yaml`.
"""

import mygrad as mg  # noqa: F401 (you will need it)
import numpy as np


class LogisticModel:
    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator):
        # TODO: self.w of shape (n_inputs, n_outputs) from rng.normal(0, 0.1, size=...) and
        #   self.b of shape (n_outputs,), zeros; n_outputs is 1 here (see `expects` below).
        raise NotImplementedError("LogisticModel.__init__: create w and b")

    def __call__(self, x):
        # TODO: the logits z = x @ w + b, shape (rows of x, 1). Not the sigmoid: the loss takes logits.
        raise NotImplementedError("LogisticModel.__call__: compute the logits")

    @property
    def parameters(self):
        # TODO: (w, b)
        raise NotImplementedError("LogisticModel.parameters: return (w, b)")


def binary_cross_entropy(logits, labels):
    """The mean over the rows of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))].

    logits: Tensor (N, 1); labels: integer array (N,) of 0 and 1. Return a scalar Tensor.
    """
    # TODO: take z = logits[:, 0] (shape (N,), like labels: (N, 1) against (N,) would broadcast to
    #   (N, N)). Simplified, the loss is log(1 + e^z) - y z; compute log(1 + e^z) as
    #   mg.logaddexp(0, z), which stays finite when z is large (log(sigmoid(z)) would reach log(0)).
    raise NotImplementedError("binary_cross_entropy: compute the mean binary cross-entropy")


binary_cross_entropy.expects = "binary"  # one logit per row, labels 0 and 1

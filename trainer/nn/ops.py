"""Fused MyGrad operations: a few steps of a model or a loss as one node of the graph, with the
derivative written out by hand, as PyTorch's `linear` and `cross_entropy` are.

Each one computes exactly what the plain MyGrad expression beside it computes, and its gradient is
the one MyGrad's autodiff would give (tests check both, and against finite differences). They exist
for speed: MyGrad spends a fixed ~10-20 us of Python on every operation, forward and backward, which
on small batches costs more than the arithmetic. `dense` makes `x @ w + b` one node instead of two;
the losses make theirs one node instead of three or more. Anything not built in (a student's own
model or loss) is ordinary MyGrad code and needs none of this.
"""

import mygrad as mg
import numpy as np
from mygrad.operation_base import Operation


class Dense(Operation):
    """x @ w + b for x (N, inputs), w (inputs, outputs), b (outputs,)."""

    def __call__(self, x, w, b):
        self.variables = (x, w, b)
        return x.data @ w.data + b.data

    def backward_var(self, grad, index, **kwargs):
        x, w, _ = self.variables
        if index == 0:
            return grad @ w.data.T
        if index == 1:
            return x.data.T @ grad
        return grad.sum(axis=0)


def dense(x, w, b) -> mg.Tensor:
    """`x @ w + b` as one operation. The data (a NumPy array) stays a constant: it gets no gradient."""
    return mg.execute_op(Dense, x, w, b)


class ReLU(Operation):
    """max(x, 0), elementwise; its derivative is 1 where x > 0, else 0."""

    def __call__(self, x):
        self.variables = (x,)
        return np.maximum(x.data, 0)

    def backward_var(self, grad, index, **kwargs):
        return grad * (self.variables[0].data > 0)


def relu(x) -> mg.Tensor:
    """mygrad.nnet.relu, as a leaner operation."""
    return mg.execute_op(ReLU, x)


class MeanSquaredError(Operation):
    """mean((prediction - target) ** 2) over every element; the target is a constant."""

    def __call__(self, prediction, target):
        self.variables = (prediction,)
        self.residual = prediction.data - target
        return np.asarray(np.mean(self.residual**2))

    def backward_var(self, grad, index, **kwargs):
        return (grad * (2 / self.residual.size)) * self.residual


def mean_squared_error(prediction, target) -> mg.Tensor:
    return mg.execute_op(MeanSquaredError, prediction, op_args=(np.asarray(target),))


class SoftmaxCrossEntropy(Operation):
    """mean over rows of -log softmax(logits)[label]; the labels are constant integers.

    Computed stably through the shifted logits z - max(z); the gradient, softmax(z) - onehot(label)
    over N, is formed only when backward() asks for it, so evaluation never pays for it."""

    def __call__(self, logits, labels):
        self.variables = (logits,)
        shifted = logits.data - logits.data.max(axis=1, keepdims=True)
        self.exp = np.exp(shifted)
        self.total = self.exp.sum(axis=1, keepdims=True)
        self.at_labels = (np.arange(len(labels)), labels)
        return (np.log(self.total).sum() - shifted[self.at_labels].sum()) / len(labels)

    def backward_var(self, grad, index, **kwargs):
        probabilities = self.exp / self.total
        probabilities[self.at_labels] -= 1
        return probabilities * (grad / len(probabilities))


def softmax_cross_entropy(logits, labels) -> mg.Tensor:
    return mg.execute_op(SoftmaxCrossEntropy, logits, op_args=(np.asarray(labels),))


class Softplus(Operation):
    """log(1 + e^z), elementwise: mg.logaddexp(0, z), whose derivative MyGrad forms as 1 / (1 + e^-z)
    and so overflows (a RuntimeWarning the user cannot act on) for a large negative logit. Here the
    derivative, sigmoid(z), is e^(z - softplus(z)): the exponent is never positive, so it never overflows."""

    def __call__(self, z):
        self.variables = (z,)
        self.out = np.logaddexp(z.data.dtype.type(0), z.data)
        return self.out

    def backward_var(self, grad, index, **kwargs):
        return grad * np.exp(self.variables[0].data - self.out)


def softplus(z) -> mg.Tensor:
    return mg.execute_op(Softplus, z)

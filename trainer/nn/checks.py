"""Checks of a model and a loss on a few training rows before training starts.

A student's own model or loss fails here, with a message that says what to fix, rather than deep
inside the loop with a NumPy traceback (or, worse, training on silently wrong numbers).
"""

import mygrad as mg
import numpy as np

from trainer.contracts import Loss, Model
from trainer.errors import UserError


def check_model_and_loss(model: Model, loss_fn: Loss, X: np.ndarray, y: np.ndarray, n_outputs: int) -> None:
    parameters = parameters_of(model)
    rows = min(4, len(X))
    prediction = model(X[:rows])
    if not isinstance(prediction, mg.Tensor):
        raise UserError(
            f"the model returned a {type(prediction).__name__}, not a mygrad Tensor: no gradient can flow back "
            f"through it. Compute the output with mygrad operations on the parameters (x @ self.weight + self.bias), "
            f"without np.asarray, .data or .item()."
        )
    if prediction.shape != (rows, n_outputs):
        raise UserError(
            f"the model returned shape {prediction.shape} for a batch of {rows} rows; it should be "
            f"({rows}, {n_outputs}): one row per input row and {n_outputs} output(s), the width the "
            f"framework passes as n_outputs."
        )
    if prediction.dtype != X.dtype:
        raise UserError(
            f"the model returned {prediction.dtype} numbers for {X.dtype} inputs: something in it was made with "
            f"another dtype (an array or constant created inside the model?). Make it with dtype={X.dtype}, "
            f"the config's `dtype`, so the run computes in one precision."
        )
    loss = loss_fn(prediction, y[:rows])
    if not isinstance(loss, mg.Tensor) or loss.ndim != 0:
        shape = (
            f"shape {loss.shape}" if isinstance(loss, (mg.Tensor, np.ndarray)) else f"a {type(loss).__name__}"
        )
        raise UserError(
            f"the loss returned {shape}; it should return a scalar mygrad Tensor, the mean over the batch "
            f"(for example mg.mean((prediction - target) ** 2)), so that backward() can start from it."
        )
    loss.backward()
    if prediction.grad is None:
        raise UserError(
            "the loss's value does not depend on the model's prediction, as backward() sees it: the graph is "
            "cut inside the loss. `.data`, `.item()`, `float()` and np.array() turn a Tensor into plain "
            "numbers that no gradient flows back through; compute the loss with the Tensors themselves "
            "(mg.mean, mg.log, ...)."
        )
    unused = [f"#{index} (shape {p.shape})" for index, p in enumerate(parameters) if p.grad is None]
    if unused:
        raise UserError(
            f"parameter {', '.join(unused)} of the model got no gradient: the loss does not depend on it. "
            f"Use it in the model's __call__ (through Tensor operations: `.data`, `.item()`, float() or "
            f"np.array() of it cut the graph), or leave it out of `parameters`."
        )


def parameters_of(model: object) -> tuple[mg.Tensor, ...]:
    """The model's parameters, or a UserError that says what is wrong with them."""
    parameters = getattr(model, "parameters", None)
    if parameters is None:
        raise UserError(
            "the model has no `parameters`: give it a property that returns a tuple of its mygrad Tensors."
        )
    if callable(parameters):
        raise UserError(
            "the model's `parameters` is a method; write @property above it, so that model.parameters is the tuple."
        )
    parameters = tuple(parameters)
    if not parameters:
        raise UserError(
            "the model's `parameters` is empty: there is nothing to train. Return the weight and bias Tensors."
        )
    for index, p in enumerate(parameters):
        if not isinstance(p, mg.Tensor) or p.constant:
            what = "a constant Tensor" if isinstance(p, mg.Tensor) else f"a {type(p).__name__}"
            raise UserError(
                f"parameter #{index} of the model is {what}, which gradient descent cannot update. "
                f"Make each parameter with mg.tensor(array) from a float array (not an int array, not constant=True)."
            )
    return parameters

"""What a layer is, the LAYERS registry, and the shape error a layer raises before training.

A layer is a callable `layer(x) -> Tensor` on a batch, built from its config options plus what the
model supplies: `input_shape` (the shape of one example reaching it, inferred layer by layer from the
data), `rng` (the run's seeded generator: initial weights, dropout masks), `n_outputs` (the model's
output width, the default width of a `dense` layer) and `default_init` (the weight initialization
suiting the activation that follows). It has `output_shape` (one example's), `parameters` (trained),
`buffers` (arrays kept but not trained, such as batch-norm statistics: checkpointed, never touched
by the optimizer) and `training` (False while evaluating). A student's own layer (`type:
file.py:Name`) needs only `__call__`; what it lacks is filled in by `trainer.nn.models.Sequential`.
"""

from typing import Annotated

import mygrad as mg
import numpy as np
from pydantic import Field

from trainer.errors import UserError
from trainer.nn.initializers import InitSpec, initialize
from trainer.registry import Registry

LAYERS = Registry(
    "layer", provided=("input_shape", "rng", "n_outputs", "default_init"), class_needs=("__call__",)
)

Shape = tuple[int, ...]
Positive = Annotated[int, Field(ge=1)]


class InputShapeError(UserError):
    """A layer cannot take inputs of this shape; the message says what it needs (the model adds
    which layer it is and the shape it got)."""


class Layer:
    """The base of the built-in layers: no parameters, no buffers, the input's shape kept."""

    parameters: tuple[mg.Tensor, ...] = ()
    buffers: tuple[np.ndarray, ...] = ()
    training = True

    def __init__(self, input_shape: Shape):
        self.output_shape = tuple(input_shape)


def require_dimensions(input_shape: Shape, dimensions: int, what: str, fix: str) -> None:
    if len(input_shape) != dimensions:
        raise InputShapeError(f"needs {what}; {fix}")


def draw(spec: InitSpec, rng: np.random.Generator, shape: Shape, fan_in: int, fan_out: int) -> mg.Tensor:
    """A parameter Tensor drawn by the initializer `spec`, in float64 (the framework casts it to the run's dtype)."""
    return mg.tensor(np.asarray(initialize(spec, rng, shape, fan_in, fan_out), dtype=np.float64))

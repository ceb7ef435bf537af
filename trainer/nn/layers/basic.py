"""Layers of flat or any-shaped examples: dense, flatten, reshape, dropout."""

import math
from typing import Annotated

import numpy as np
from pydantic import Field

from trainer.nn.initializers import InitSpec
from trainer.nn.layers.base import (
    LAYERS,
    InputShapeError,
    Layer,
    Positive,
    Shape,
    draw,
    require_dimensions,
)
from trainer.nn.ops import dense


@LAYERS.register("dense")
class Dense(Layer):
    """x @ W + b: `units` outputs from flat inputs (default: the model's output width, for the last
    layer). `init` defaults to the one suiting the activation after it; `bias_init` to zeros."""

    def __init__(
        self,
        input_shape: Shape,
        rng: np.random.Generator,
        n_outputs: int,
        default_init: str,
        units: Positive | None = None,
        init: InitSpec | None = None,
        bias_init: InitSpec = "zeros",
    ):
        super().__init__(input_shape)
        require_dimensions(input_shape, 1, "flat examples (features,)", "put a `flatten` layer before it")
        width, units = input_shape[0], units or n_outputs
        self.weight = draw(init or default_init, rng, (width, units), width, units)
        self.bias = draw(bias_init, rng, (units,), width, units)
        self.parameters = (self.weight, self.bias)
        self.output_shape = (units,)

    def __call__(self, x):
        return dense(x, self.weight, self.bias)  # one MyGrad operation (trainer/nn/ops.py)


@LAYERS.register("flatten")
class Flatten(Layer):
    """Each example as one flat row: (N, C, H, W) -> (N, C * H * W)."""

    def __init__(self, input_shape: Shape):
        super().__init__(input_shape)
        self.output_shape = (math.prod(input_shape),)

    def __call__(self, x):
        return x.reshape(len(x), -1)


@LAYERS.register("reshape")
class Reshape(Layer):
    """Each example given the `shape` (one entry may be -1: whatever the rest leaves), e.g. [1, 8, 8]."""

    def __init__(self, input_shape: Shape, shape: list[int]):
        super().__init__(input_shape)
        size, known = math.prod(input_shape), math.prod(d for d in shape if d != -1)
        unknown = [d for d in shape if d == -1]
        fits = all(d >= 1 or d == -1 for d in shape) and len(unknown) <= 1
        if not fits or (size % known if unknown else size != known):
            raise InputShapeError(
                f"cannot give its {size} values per example the shape {shape}: the sizes must multiply "
                f"to {size} (one of them may be -1)"
            )
        self.output_shape = tuple(size // known if d == -1 else d for d in shape)

    def __call__(self, x):
        return x.reshape(len(x), *self.output_shape)


@LAYERS.register("dropout")
class Dropout(Layer):
    """While training, zeroes each value with probability `rate` and scales the rest by 1 / (1 - rate)
    (inverted dropout: evaluation needs no rescaling); off while evaluating. The masks come from the
    run's seeded generator, whose state checkpoints keep."""

    def __init__(
        self, input_shape: Shape, rng: np.random.Generator, rate: Annotated[float, Field(ge=0, lt=1)] = 0.5
    ):
        super().__init__(input_shape)
        self.rng, self.rate = rng, rate

    def __call__(self, x):
        if not (self.training and self.rate):
            return x
        keep = (self.rng.random(x.shape) >= self.rate).astype(x.dtype)
        return x * (keep / x.dtype.type(1 - self.rate))

"""Initializers: how a layer's weights and biases start, by name (`init: he_normal`) or as a mapping
with options (`init: {type: constant, value: 0.1}`), shared by every layer.

Each is a function of the run's seeded generator `rng`, the array's `shape` and its fans (`fan_in`:
the inputs feeding one output unit; `fan_out`: the outputs one input feeds; for a convolution both
count every kernel position), drawn in float64; the framework gives the run's dtype afterwards.
The formulas are those of mygrad.nnet.initializers (Glorot & Bengio 2010, He et al. 2015, LeCun
et al. 1998, Saxe et al. 2014), but mygrad's draw from the global np.random: these follow the seed.
"""

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from trainer.errors import UserError
from trainer.registry import Component, Registry

INITIALIZERS = Registry("initializer", provided=("rng", "shape", "fan_in", "fan_out"))


@INITIALIZERS.register("zeros")
def zeros(shape: tuple[int, ...]) -> np.ndarray:
    """Every entry 0 (the usual bias)."""
    return np.zeros(shape)


@INITIALIZERS.register("constant")
def constant(shape: tuple[int, ...], value: float = 0.0) -> np.ndarray:
    """Every entry `value`."""
    return np.full(shape, float(value))


@INITIALIZERS.register("normal")
def normal(
    rng: np.random.Generator, shape: tuple[int, ...], std: Annotated[float, Field(gt=0)] = 0.01
) -> np.ndarray:
    """N(0, std^2) entries."""
    return rng.normal(0.0, std, shape)


@INITIALIZERS.register("uniform")
def uniform(
    rng: np.random.Generator, shape: tuple[int, ...], limit: Annotated[float, Field(gt=0)] = 0.05
) -> np.ndarray:
    """Uniform entries in [-limit, limit)."""
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("glorot_uniform")
def glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    """Uniform in +-sqrt(6 / (fan_in + fan_out)): the variance of the signal is kept both ways (tanh, sigmoid)."""
    return rng.uniform(-1, 1, shape) * np.sqrt(6 / (fan_in + fan_out))


@INITIALIZERS.register("glorot_normal")
def glorot_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out))."""
    return rng.normal(0, np.sqrt(2 / (fan_in + fan_out)), shape)


@INITIALIZERS.register("he_uniform")
def he_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """Uniform in +-sqrt(6 / fan_in): keeps the signal's variance through ReLUs, which zero half of it."""
    return rng.uniform(-1, 1, shape) * np.sqrt(6 / fan_in)


@INITIALIZERS.register("he_normal")
def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """N(0, 2 / fan_in)."""
    return rng.normal(0, np.sqrt(2 / fan_in), shape)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """N(0, 1 / fan_in): the one SELU's self-normalization assumes."""
    return rng.normal(0, np.sqrt(1 / fan_in), shape)


@INITIALIZERS.register("orthogonal")
def orthogonal(rng: np.random.Generator, shape: tuple[int, ...], gain: float = 1.0) -> np.ndarray:
    """`gain` times a random orthogonal matrix (rows or columns orthonormal), the array viewed as
    (shape[0], rest): it keeps every direction's length, so deep linear stacks neither blow up nor fade."""
    rows, columns = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.normal(size=(max(rows, columns), min(rows, columns))))
    q *= np.sign(np.diag(r))  # the QR's signs are arbitrary; this makes q uniform over orthogonal matrices
    return gain * (q if rows >= columns else q.T).reshape(shape)


InitSpec = str | dict[str, Any]  # a name, or a mapping {type: name, option: value, ...}


def initialize(spec: InitSpec, rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int):
    """The initial array of `shape` the config's `spec` asks for; a UserError names what is wrong with it."""
    block = dict(spec) if isinstance(spec, dict) else {"type": spec}
    if not isinstance(block.get("type"), str):
        raise UserError(f"an init given as a mapping needs `type:` (an initializer's name); got {spec!r}.")
    try:
        component: Component = INITIALIZERS.schema(block["type"])(**block)
    except ValueError as error:  # pydantic's ValidationError: an option of the wrong type or range
        raise UserError(f"init {spec!r}: {error}") from None
    return INITIALIZERS.build(component, rng=rng, shape=shape, fan_in=fan_in, fan_out=fan_out)

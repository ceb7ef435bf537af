"""Models: a callable `model(x) -> Tensor` with `model.parameters -> tuple[Tensor, ...]`.

The framework supplies `n_inputs` and `n_outputs` (from the data and the loss) and `rng` (seeded
from the config); a config block sets the rest. Parameters are made in float64 and then given
the config's `dtype` (float64 or float32) by the framework.

Two optional attributes: `training` (set to False while the model is evaluated, so dropout turns
off) and `weights` (the parameters a regularization penalty applies to; by default every parameter
with two or more dimensions, i.e. the weight matrices and not the bias vectors).
"""

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import mygrad as mg
import mygrad.nnet as nnet
import numpy as np
from pydantic import Field

from trainer.contracts import Model
from trainer.errors import UserError
from trainer.nn.ops import dense, relu
from trainer.registry import Registry

MODELS = Registry("model", provided=("n_inputs", "n_outputs", "rng"), class_needs=("__call__",))


@MODELS.register("linear")
class Linear:
    """y = x @ W + b. `init: zeros` starts at the origin; `normal` draws W ~ N(0, 1/n_inputs)."""

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        rng: np.random.Generator,
        init: Literal["zeros", "normal"] = "zeros",
    ):
        weight = np.zeros((n_inputs, n_outputs))
        if init == "normal":
            weight = rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_outputs))
        self.weight = mg.tensor(weight)
        self.bias = mg.tensor(np.zeros(n_outputs))

    def __call__(self, x):
        return dense(x, self.weight, self.bias)  # x @ W + b, as one MyGrad operation (trainer/nn/ops.py)

    @property
    def parameters(self) -> tuple[mg.Tensor, ...]:
        return (self.weight, self.bias)


@MODELS.register("logistic")
class Logistic(Linear):
    """Binary logistic regression: one logit x @ w + b (P(class 1) = sigmoid of it); train with `loss: bce`."""

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        rng: np.random.Generator,
        init: Literal["zeros", "normal"] = "zeros",
    ):
        if n_outputs != 1:
            raise UserError(
                f"model logistic outputs one logit, but the data and loss ask for {n_outputs} outputs. "
                f"Use `loss: bce` with two classes, or `model: softmax_regression` for more classes."
            )
        super().__init__(n_inputs, n_outputs, rng, init)


@MODELS.register("softmax_regression")
class SoftmaxRegression(Linear):
    """Multinomial logistic regression: one logit per class, x @ W + b; train with `loss: cross_entropy`."""


# Weight initializations by the names mygrad.nnet.initializers uses, drawn from the run's seeded
# generator (mygrad's draw from the global np.random). Each maps (fan_in, fan_out) to a distribution.
INITIALIZERS = {
    "glorot_uniform": lambda rng, shape: rng.uniform(-1, 1, shape) * np.sqrt(6 / sum(shape)),
    "glorot_normal": lambda rng, shape: rng.normal(0, np.sqrt(2 / sum(shape)), shape),
    "he_uniform": lambda rng, shape: rng.uniform(-1, 1, shape) * np.sqrt(6 / shape[0]),
    "he_normal": lambda rng, shape: rng.normal(0, np.sqrt(2 / shape[0]), shape),
    "lecun_normal": lambda rng, shape: rng.normal(0, np.sqrt(1 / shape[0]), shape),
}

# The activations of mygrad.nnet by name, with the initialization that keeps their signal's
# variance steady through the layers (He for the ReLU family, Glorot for the saturating ones, LeCun for SELU).
ACTIVATIONS = {
    "relu": (relu, "he_normal"),  # mygrad.nnet.relu as a leaner operation (trainer/nn/ops.py)
    "leaky_relu": (lambda x: nnet.leaky_relu(x, slope=0.01), "he_normal"),
    "elu": (lambda x: nnet.elu(x, alpha=1.0), "he_normal"),  # type: ignore[arg-type]  # mygrad says numbers.Real
    "selu": (nnet.selu, "lecun_normal"),
    "tanh": (nnet.tanh, "glorot_uniform"),
    "sigmoid": (nnet.sigmoid, "glorot_uniform"),
    "soft_sign": (nnet.soft_sign, "glorot_uniform"),
}

# The names above, as the Literal types that validate a config (a type checker sees plain strings:
# a Literal made from a dict's keys is not a static type).
if TYPE_CHECKING:
    Activation = str
    Initializer = str
else:
    Activation = Literal[tuple(ACTIVATIONS)]
    Initializer = Literal[tuple(INITIALIZERS)]


@MODELS.register("mlp")
class MLP:
    """A multilayer perceptron: dense layers of widths `hidden`, each followed by `activation` (and
    dropout while training), then a dense output layer without activation (logits or values).
    `init` defaults to the one that suits the activation."""

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        rng: np.random.Generator,
        hidden: list[Annotated[int, Field(ge=1)]] = [64],  # noqa: B006 (the config's default; never mutated)
        activation: Activation = "relu",
        init: Initializer | None = None,
        dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0,
    ):
        self.activation, default_init = ACTIVATIONS[activation]
        draw = INITIALIZERS[init or default_init]
        widths = [n_inputs, *hidden, n_outputs]
        self.layers = [
            (mg.tensor(draw(rng, (a, b))), mg.tensor(np.zeros(b))) for a, b in zip(widths, widths[1:])
        ]
        self.dropout = dropout
        self.rng = rng  # draws the dropout masks, so they follow the seed too
        self.training = True

    def __call__(self, x):
        *hidden, (w_out, b_out) = self.layers
        for w, b in hidden:
            x = self.activation(dense(x, w, b))  # activation(x @ w + b)
            if self.training and self.dropout:
                # inverted dropout: the kept units are scaled up, so evaluation needs no rescaling
                keep = (self.rng.random(x.shape) >= self.dropout).astype(x.dtype)
                x = x * (keep / x.dtype.type(1 - self.dropout))
        return dense(x, w_out, b_out)

    @property
    def parameters(self) -> tuple[mg.Tensor, ...]:
        return tuple(p for layer in self.layers for p in layer)


def weights_of(model: Model) -> tuple[mg.Tensor, ...]:
    """The parameters a regularization penalty applies to (see the module docstring)."""
    if hasattr(model, "weights"):
        return tuple(model.weights)
    return tuple(p for p in model.parameters if p.ndim >= 2)


@contextlib.contextmanager
def evaluation_mode(model: Any) -> Iterator[None]:  # a Model; `training` is optional
    """Within: no graph is built and `model.training` (when the model has one) is False."""
    training = getattr(model, "training", None)
    if training is not None:
        model.training = False
    try:
        with mg.no_autodiff:
            yield
    finally:
        if training is not None:
            model.training = training

"""Models: a callable `model(x) -> Tensor` with `model.parameters -> tuple[Tensor, ...]`.

The framework supplies `n_inputs` (the width of flat data), `input_shape` (the shape of one
example: (features,) or, for images, (channels, height, width)), `n_outputs` (from the data and the
loss) and `rng` (seeded from the config); a config block sets the rest. Parameters are made in float64 and then given
the config's `dtype` (float64 or float32) by the framework.

Two optional attributes: `training` (set to False while the model is evaluated, so dropout turns
off) and `weights` (the parameters a regularization penalty applies to; by default every parameter
with two or more dimensions, i.e. the weight matrices and not the bias vectors).
"""

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import mygrad as mg
import numpy as np
import pydantic
from pydantic import Field

from trainer import usercode
from trainer.contracts import Model
from trainer.errors import UserError
from trainer.nn.initializers import INITIALIZERS
from trainer.nn.layers import LAYERS, InputShapeError
from trainer.nn.layers.activations import ACTIVATIONS
from trainer.nn.ops import dense
from trainer.registry import Registry

MODELS = Registry(
    "model", provided=("n_inputs", "input_shape", "n_outputs", "rng"), class_needs=("__call__",)
)


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


# The names above, as the Literal types that validate a config (a type checker sees plain strings:
# a Literal made from a registry's names is not a static type).
if TYPE_CHECKING:
    Activation = str
    Initializer = str
else:
    Activation = Literal[tuple(ACTIVATIONS)]
    Initializer = Literal[tuple(INITIALIZERS.names())]

LayerItem = str | dict[str, Any]  # a layer's name, or a mapping {type: name, option: value, ...}


def _layer_files_from_config_folder(items: list, info: pydantic.ValidationInfo) -> list:
    """A student's layer `file.py:Name` is relative to the config file, like any `type:`; made absolute
    here, so the run folder's config.yaml works from anywhere."""
    base_dir = (info.context or {}).get("base_dir")
    if base_dir is None or not isinstance(items, list):
        return items
    resolved = []
    for item in items:
        if (
            isinstance(item, dict)
            and isinstance(item.get("type"), str)
            and usercode.is_external(item["type"])
        ):
            item = {**item, "type": usercode.absolute_type(item["type"], base_dir)}
        elif isinstance(item, str) and usercode.is_external(item):
            item = usercode.absolute_type(item, base_dir)
        resolved.append(item)
    return resolved


LayerItems = Annotated[
    list[LayerItem], Field(min_length=1), pydantic.BeforeValidator(_layer_files_from_config_folder)
]


@MODELS.register("sequential")
class Sequential:
    """Layers applied in order, each item a layer's name (`relu`, `flatten`) or a mapping with `type:`
    and its options (`{type: conv2d, filters: 16}`); `type: file.py:Name` is a student's own layer.
    The shape each layer gets is inferred from the data, layer by layer; the last must give the
    output width the data and loss need (a final `dense` does by default)."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        n_outputs: int,
        rng: np.random.Generator,
        layers: LayerItems = ["flatten", "dense"],  # noqa: B006 (the config's default; never mutated)
    ):
        self.layers: list[Any] = []
        self.parameter_names: list[str] = []  # "2.conv2d.weight": the layer's position, type and attribute
        shape = tuple(input_shape)
        for position, item in enumerate(layers, 1):
            following = layers[position:]
            layer = build_layer(item, f"layer {position}", shape, rng, n_outputs, _init_suiting(following))
            self.layers.append(layer)
            attributes = {
                id(value): key for key, value in vars(layer).items() if isinstance(value, mg.Tensor)
            }
            name = _type_of(item).rpartition(":")[2]
            self.parameter_names += [
                f"{position}.{name}.{attributes.get(id(p), index)}"
                for index, p in enumerate(getattr(layer, "parameters", ()))
            ]
            shape = layer.output_shape
        if shape != (n_outputs,):
            raise UserError(
                f"model sequential: its last layer ({_type_of(layers[-1])}) gives examples of shape {shape}, but "
                f"the data and loss need {n_outputs} output(s) per example, shape ({n_outputs},). End with "
                f"`dense` (its units default to the output width), after a `flatten` for images."
            )
        self.rng = rng  # draws the dropout masks, so they follow the seed too (and are checkpointed)
        self._training = True

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def parameters(self) -> tuple[mg.Tensor, ...]:
        return tuple(p for layer in self.layers for p in getattr(layer, "parameters", ()))

    @property
    def buffers(self) -> tuple[np.ndarray, ...]:
        """State kept but not trained (batch norm's running statistics), checkpointed with the parameters."""
        return tuple(b for layer in self.layers for b in getattr(layer, "buffers", ()))

    @property
    def training(self) -> bool:
        return self._training

    @training.setter
    def training(self, value: bool) -> None:
        self._training = value
        for layer in self.layers:
            if hasattr(layer, "training"):
                layer.training = value


def _type_of(item: LayerItem) -> str:
    return item if isinstance(item, str) else str(item.get("type"))


def _init_suiting(following: list[LayerItem]) -> str:
    """The weight initialization suiting the first activation after a layer (the layers between, such
    as batchnorm, pooling or dropout, do not change which one it is); Glorot when none follows before
    the next layer with weights."""
    for item in following:
        name = _type_of(item)
        if name in ("dense", "conv2d"):
            break
        if name in ACTIVATIONS:
            return ACTIVATIONS[name][1]
    return "glorot_uniform"


def build_layer(
    item: LayerItem, where: str, input_shape: tuple[int, ...], rng, n_outputs: int, default_init: str
):
    """One layer from its config item, for inputs of `input_shape` per example; errors name the layer."""
    block = {"type": item} if isinstance(item, str) else dict(item)
    name = block.get("type")
    if not isinstance(name, str):
        raise UserError(
            f"model sequential, {where}: {item!r} has no `type:`; name a layer, e.g. {{type: dense, units: 64}}."
        )
    try:
        component = LAYERS.schema(name)(**block)
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise UserError(f"model sequential, {where} ({name}): {problems}.") from None
    try:
        layer = LAYERS.build(
            component, input_shape=input_shape, rng=rng, n_outputs=n_outputs, default_init=default_init
        )
    except InputShapeError as error:
        raise UserError(
            f"model sequential, {where} ({name}) gets examples of shape {input_shape}, but it {error}."
        ) from None
    if not hasattr(layer, "output_shape"):  # a student's layer: try it on two examples of zeros
        layer.output_shape = probe_output_shape(layer, where, name, input_shape)
    return layer


def probe_output_shape(layer, where: str, name: str, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape one example has after `layer`, found by calling it on a batch of two zero examples."""
    try:
        with evaluation_mode(layer):
            out = layer(np.zeros((2, *input_shape)))
    except Exception as error:
        raise UserError(
            f"model sequential, {where} ({name}) failed on a batch of examples of shape {input_shape} "
            f"({type(error).__name__}: {error}). Does it expect another input shape?"
        ) from error
    if not isinstance(out, (mg.Tensor, np.ndarray)) or out.ndim < 1 or len(out) != 2:
        raise UserError(
            f"model sequential, {where} ({name}) should return a Tensor with one row per example; for a "
            f"batch of 2 it returned {getattr(out, 'shape', type(out).__name__)}."
        )
    return tuple(out.shape[1:])


@MODELS.register("mlp")
def mlp(
    n_inputs: int,
    n_outputs: int,
    rng: np.random.Generator,
    hidden: list[Annotated[int, Field(ge=1)]] = [64],  # noqa: B006 (the config's default; never mutated)
    activation: Activation = "relu",
    init: Initializer | None = None,
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0,
) -> Sequential:
    """A multilayer perceptron: dense layers of widths `hidden`, each followed by `activation` (and
    dropout while training), then a dense output layer without activation (logits or values).
    `init` defaults to the one that suits the activation. A preset of `sequential`."""
    init = init or ACTIVATIONS[activation][1]
    layers: list[LayerItem] = []
    for units in hidden:
        layers += [{"type": "dense", "units": units, "init": init}, activation]
        layers += [{"type": "dropout", "rate": dropout}] if dropout else []
    layers.append({"type": "dense", "init": init})
    return Sequential((n_inputs,), n_outputs, rng, layers)


def buffers_of(model: Model) -> tuple[np.ndarray, ...]:
    """The model's arrays that are kept but not trained (batch-norm statistics); () for a model without."""
    return tuple(getattr(model, "buffers", ()))


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

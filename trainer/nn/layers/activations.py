"""Every activation of mygrad.nnet as a layer without parameters (`- relu`, `- tanh`, ...).

Each comes with the weight initialization that keeps its signal's variance steady through the
layers (He for the ReLU family, Glorot for the saturating ones, LeCun for SELU): a `dense` or
`conv2d` layer followed by it starts with that one unless its `init:` says otherwise.
"""

from collections.abc import Callable

import mygrad as mg
import mygrad.nnet as nnet

from trainer.nn.layers.base import LAYERS, InputShapeError, Layer, Shape
from trainer.nn.ops import relu

# name -> (the function of a batch, the initialization that suits it)
ACTIVATIONS: dict[str, tuple[Callable[[mg.Tensor], mg.Tensor], str]] = {
    "relu": (relu, "he_normal"),  # mygrad.nnet.relu as a leaner operation (trainer/nn/ops.py)
    "leaky_relu": (lambda x: nnet.leaky_relu(x, slope=0.01), "he_normal"),
    "elu": (lambda x: nnet.elu(x, alpha=1.0), "he_normal"),  # type: ignore[arg-type]  # mygrad says numbers.Real
    "selu": (nnet.selu, "lecun_normal"),
    "tanh": (nnet.tanh, "glorot_uniform"),
    "sigmoid": (nnet.sigmoid, "glorot_uniform"),
    "soft_sign": (nnet.soft_sign, "glorot_uniform"),
    "hard_tanh": (nnet.hard_tanh, "glorot_uniform"),
}

# Activations of a whole example rather than of each value: only as layers, not as an mlp's `activation`.
NORMALIZING = {
    "softmax": (lambda x: nnet.softmax(x, axis=-1), "glorot_uniform"),
    "log_softmax": (lambda x: nnet.logsoftmax(x, axis=-1), "glorot_uniform"),
}


class Activation(Layer):
    """Applies `function` to its input; the output has the input's shape."""

    function: Callable[[mg.Tensor], mg.Tensor]
    suits_init: str

    def __call__(self, x):
        return type(self).function(x)


for _name, (_function, _init) in {**ACTIVATIONS, **NORMALIZING}.items():
    LAYERS.register(_name)(
        type(
            _name,
            (Activation,),
            {
                "function": staticmethod(_function),
                "suits_init": _init,
                "__doc__": f"The {_name} activation of mygrad.nnet; no parameters.",
            },
        )
    )


@LAYERS.register("glu")
class GLU(Activation):
    """The gated linear unit of mygrad.nnet: the first half of the last axis times the sigmoid of the
    second half, so the output is half as wide."""

    function = staticmethod(nnet.glu)
    suits_init = "glorot_uniform"

    def __init__(self, input_shape: Shape):
        super().__init__(input_shape)
        if not input_shape or input_shape[-1] % 2:
            raise InputShapeError(
                "needs an even width on the last axis, which it splits in two halves: give the layer "
                "before it an even number of units"
            )
        self.output_shape = (*input_shape[:-1], input_shape[-1] // 2)

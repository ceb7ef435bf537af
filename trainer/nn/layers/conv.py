"""Layers of images (N, C, H, W): 2-D convolution, max and average pooling (fused operations,
trainer/nn/conv_ops.py)."""

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from trainer.nn.conv_ops import avg_pool2d, conv2d, max_pool2d, output_size
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

NonNegative = Annotated[int, Field(ge=0)]
IMAGES = "images (channels, height, width)"
FIX = "use image data (digits with `shape: image`, shapes, an npy/npz of images) or a `reshape` layer"


def _output_plane(layer: str, input_shape: Shape, kernel: int, stride: int, padding: int) -> tuple[int, int]:
    height, width = (output_size(size, kernel, stride, padding) for size in input_shape[1:])
    if height < 1 or width < 1:
        raise InputShapeError(
            f"needs images of at least {kernel - 2 * padding}x{kernel - 2 * padding} pixels for its "
            f"{kernel}x{kernel} {layer}; lower kernel_size, add padding, or pool less before it"
        )
    return height, width


@LAYERS.register("conv2d")
class Conv2D(Layer):
    """`filters` convolutions of `kernel_size` x `kernel_size` over every input channel, plus a bias
    each; `stride` between positions, `padding` zeros on each side (`same`: the output keeps the
    input's size, for an odd kernel and stride 1). `init` defaults to the one suiting the activation after it."""

    def __init__(
        self,
        input_shape: Shape,
        rng: np.random.Generator,
        default_init: str,
        filters: Positive,
        kernel_size: Positive = 3,
        stride: Positive = 1,
        padding: NonNegative | Literal["same"] = 0,
        init: InitSpec | None = None,
        bias_init: InitSpec = "zeros",
    ):
        super().__init__(input_shape)
        require_dimensions(input_shape, 3, IMAGES, FIX)
        if padding == "same":
            if stride != 1 or kernel_size % 2 == 0:
                raise InputShapeError("padding: same needs stride 1 and an odd kernel_size")
            padding = (kernel_size - 1) // 2
        self.stride, self.padding = stride, padding
        channels = input_shape[0]
        shape = (filters, channels, kernel_size, kernel_size)
        fan_in, fan_out = channels * kernel_size**2, filters * kernel_size**2
        self.weight = draw(init or default_init, rng, shape, fan_in, fan_out)
        self.bias = draw(bias_init, rng, (filters,), fan_in, fan_out)
        self.parameters = (self.weight, self.bias)
        self.output_shape = (
            filters,
            *_output_plane("convolution", input_shape, kernel_size, stride, padding),
        )

    def __call__(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)


class Pooling(Layer):
    """A window of `kernel_size` x `kernel_size` pixels per output pixel, `stride` (default: the
    kernel size, so windows do not overlap) apart; rows or columns left over at the edge are dropped."""

    pool = staticmethod(max_pool2d)

    def __init__(self, input_shape: Shape, kernel_size: Positive = 2, stride: Positive | None = None):
        super().__init__(input_shape)
        require_dimensions(input_shape, 3, IMAGES, FIX)
        self.kernel, self.stride = kernel_size, stride or kernel_size
        plane = _output_plane("pooling window", input_shape, self.kernel, self.stride, 0)
        self.output_shape = (input_shape[0], *plane)

    def __call__(self, x):
        return type(self).pool(x, self.kernel, self.stride)


@LAYERS.register("maxpool2d")
class MaxPool2D(Pooling):
    __doc__ = "The largest value of each window. " + Pooling.__doc__  # type: ignore[operator]


@LAYERS.register("avgpool2d")
class AvgPool2D(Pooling):
    __doc__ = "The mean of each window. " + Pooling.__doc__  # type: ignore[operator]
    pool = staticmethod(avg_pool2d)

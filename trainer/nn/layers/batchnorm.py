"""Batch normalization (Ioffe & Szegedy 2015) of flat examples (per feature) or of images (per
channel, over the batch and every pixel): the training step's statistics in one fused operation,
the running statistics as buffers."""

from typing import Annotated

import mygrad as mg
import numpy as np
from mygrad.operation_base import Operation
from pydantic import Field

from trainer.nn.layers.base import LAYERS, InputShapeError, Layer, Shape


class BatchNormalize(Operation):
    """gamma * (x - mean) / sqrt(var + eps) + beta, with `mean` and `var` the batch's own mean and
    (biased) variance per channel, computed by the layer (which also keeps their running averages)
    and shaped to broadcast along the reduced `axes`, as gamma and beta (C,) are. Backward is the
    closed form: dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / sqrt(var + eps),
    the mean and variance's own dependence on x included."""

    def __call__(self, x, gamma, beta, mean: np.ndarray, var: np.ndarray, axes: tuple[int, ...], eps: float):
        self.variables = (x, gamma, beta)
        self.axes, self.mean = axes, mean
        centered = x.data - mean
        self.inverse_std = 1 / np.sqrt(var + x.dtype.type(eps))
        self.normalized = centered * self.inverse_std
        return self.normalized * self._channels(gamma.data) + self._channels(beta.data)

    def _channels(self, values: np.ndarray) -> np.ndarray:
        """A (C,) array shaped to broadcast over the reduced axes: (1, C) or (1, C, 1, 1)."""
        return values.reshape(self.mean.shape)

    def backward_var(self, grad, index, **kwargs):
        if index == 2:
            return grad.sum(axis=self.axes)
        if index == 1:
            return (grad * self.normalized).sum(axis=self.axes)
        gamma = self.variables[1]
        d_normalized = grad * self._channels(gamma.data)
        return self.inverse_std * (
            d_normalized
            - d_normalized.mean(axis=self.axes, keepdims=True)
            - self.normalized * (d_normalized * self.normalized).mean(axis=self.axes, keepdims=True)
        )


@LAYERS.register("batchnorm")
class BatchNorm(Layer):
    """Normalizes each feature (flat examples) or each channel (images) to mean 0 and variance 1 over
    the batch, then scales by gamma and shifts by beta (trained, starting at 1 and 0). Running
    averages of the mean and variance (unbiased) are kept with `momentum` (new = (1 - momentum) * old +
    momentum * batch) as buffers, and used instead of the batch's while evaluating."""

    def __init__(
        self,
        input_shape: Shape,
        momentum: Annotated[float, Field(gt=0, le=1)] = 0.1,
        eps: Annotated[float, Field(gt=0)] = 1e-5,
    ):
        super().__init__(input_shape)
        if len(input_shape) not in (1, 3):
            raise InputShapeError(
                "needs flat examples (features,) or images (channels, height, width); put a `flatten` before it"
            )
        channels = input_shape[0]
        self.axes = (0,) if len(input_shape) == 1 else (0, 2, 3)
        self.momentum, self.eps = momentum, eps
        self.gamma, self.beta = mg.tensor(np.ones(channels)), mg.tensor(np.zeros(channels))
        self.parameters = (self.gamma, self.beta)
        # updated in place (never replaced), so a checkpoint restores into the very arrays in use
        self.running_mean, self.running_var = np.zeros(channels), np.ones(channels)
        self.buffers = (self.running_mean, self.running_var)

    def __call__(self, x):
        if not self.training:
            return self._with_running_statistics(x)
        data = mg.asarray(x)
        mean = data.mean(axis=self.axes, keepdims=True)
        centered = data - mean
        var = (centered * centered).mean(axis=self.axes, keepdims=True)
        count = data.size // len(self.running_mean)
        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mean.ravel()
        self.running_var *= 1 - self.momentum
        self.running_var += self.momentum * var.ravel() * (count / max(count - 1, 1))
        return mg.execute_op(
            BatchNormalize,
            x,
            self.gamma,
            self.beta,
            op_args=(mean, var),
            op_kwargs={"axes": self.axes, "eps": self.eps},
        )

    def _with_running_statistics(self, x):
        """The same affine map with the running mean and variance: x * gamma / std + (beta - mean * gamma / std)."""
        dtype = x.dtype
        shape = (1, -1) if len(self.axes) == 1 else (1, -1, 1, 1)
        inverse_std = (1 / np.sqrt(self.running_var + self.eps)).astype(dtype)
        scale = (self.gamma * inverse_std).reshape(shape)
        shift = (self.beta - self.gamma * (self.running_mean.astype(dtype) * inverse_std)).reshape(shape)
        return x * scale + shift

"""Fused MyGrad operations for images (N, C, H, W): 2-D convolution with its bias, max pooling and
average pooling, each one node of the graph with its backward pass written by hand.

Why: `mygrad.nnet.layers.conv_nd` and `max_pool` are general (any number of dimensions) and pay for
it in Python and copies. Here a convolution is one im2col and one matrix product (GEMM) forward, and
two products plus a col2im of kernel-size strided additions backward; pooling works on strided
views of its input. Tests compare each with MyGrad's own operations, finite differences and NumPy
references, in float32 and float64.

The im2col layout: for output pixel (n, i, j) the row holds its receptive field, channel by channel,
kernel row by kernel row: `columns[(n, i, j), (c, u, v)] = padded_x[n, c, i * stride + u, j * stride + v]`.
"""

import mygrad as mg
import numpy as np
from mygrad.operation_base import Operation
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """The length of a convolution's (or a pooling's) output along one axis; < 1 when it does not fit."""
    return (size + 2 * padding - kernel) // stride + 1


def _windows(x: np.ndarray, kernel: tuple[int, ...], stride: int) -> np.ndarray:
    """A view (N, C, H_out, W_out, kh, kw) of every receptive field of x: no copy."""
    return sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::stride, ::stride]


def _scatter_windows(
    gradient_of_windows, input_shape: tuple[int, ...], kernel: tuple[int, ...], stride: int, dtype
) -> np.ndarray:
    """col2im: the gradient of x from that of its windows (N, C, H_out, W_out, kh, kw), one strided
    addition per kernel position (a window overlaps its neighbours when stride < kernel)."""
    gradient = np.zeros(input_shape, dtype=dtype)
    _, _, rows, cols = gradient_of_windows.shape[:4]
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            gradient[:, :, u : u + stride * rows : stride, v : v + stride * cols : stride] += (
                gradient_of_windows[..., u, v]
            )
    return gradient


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    if not padding:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


class Conv2D(Operation):
    """The cross-correlation of x (N, C, H, W) with w (F, C, kh, kw), plus b (F,): (N, F, H_out, W_out)."""

    def __call__(self, x, w, b, stride: int = 1, padding: int = 0):
        self.variables = (x, w, b)
        self.stride, self.padding = stride, padding
        self.padded_shape = _pad(x.data[:1], padding).shape[1:]
        windows = _windows(_pad(x.data, padding), w.shape[2:], stride)
        n, _, rows, cols = windows.shape[:4]
        self.output_shape = (n, rows, cols, w.shape[0])
        # im2col: the one copy of the input, laid out so the convolution is a single GEMM
        self.columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * rows * cols, -1)
        out = self.columns @ w.data.reshape(w.shape[0], -1).T
        out += b.data
        return out.reshape(self.output_shape).transpose(0, 3, 1, 2)

    def backward_var(self, grad, index, **kwargs):
        x, w, _ = self.variables
        by_pixel = grad.transpose(0, 2, 3, 1).reshape(-1, w.shape[0])  # (N * H_out * W_out, F)
        if index == 1:
            return (by_pixel.T @ self.columns).reshape(w.shape)
        if index == 2:
            return by_pixel.sum(axis=0)
        gradient_of_columns = (by_pixel @ w.data.reshape(w.shape[0], -1)).reshape(
            *self.output_shape[:3], *w.shape[1:]
        )  # (N, H_out, W_out, C, kh, kw)
        padded = _scatter_windows(
            gradient_of_columns.transpose(0, 3, 1, 2, 4, 5),
            (x.shape[0], *self.padded_shape),
            w.shape[2:],
            self.stride,
            grad.dtype,
        )
        p = self.padding
        return padded[:, :, p : padded.shape[2] - p, p : padded.shape[3] - p] if p else padded


def conv2d(x, w, b, stride: int = 1, padding: int = 0) -> mg.Tensor:
    """Convolve images x (N, C, H, W) with filters w (F, C, kh, kw) and add b (F,), as one operation;
    `padding` zeros on every side, `stride` between receptive fields."""
    return mg.execute_op(Conv2D, x, w, b, op_kwargs={"stride": stride, "padding": padding})


class MaxPool2D(Operation):
    """The largest value of each (kernel x kernel) window, `stride` apart; the gradient goes to it."""

    def __call__(self, x, kernel: int, stride: int):
        self.variables = (x,)
        self.kernel, self.stride = (kernel, kernel), stride
        windows = _windows(x.data, self.kernel, stride)
        flat = windows.reshape(*windows.shape[:4], -1)  # a copy when windows overlap or skip pixels
        self.argmax = flat.argmax(axis=-1)
        return np.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]

    def backward_var(self, grad, index, **kwargs):
        x = self.variables[0]
        positions = np.arange(self.kernel[0] * self.kernel[1]).reshape(self.kernel)
        gradient_of_windows = (self.argmax[..., None, None] == positions) * grad[..., None, None]
        return _scatter_windows(gradient_of_windows, x.shape, self.kernel, self.stride, grad.dtype)


def max_pool2d(x, kernel: int = 2, stride: int | None = None) -> mg.Tensor:
    """Max pooling of x (N, C, H, W) over (kernel x kernel) windows, `stride` (default: kernel) apart."""
    return mg.execute_op(MaxPool2D, x, op_kwargs={"kernel": kernel, "stride": stride or kernel})


class AvgPool2D(Operation):
    """The mean of each (kernel x kernel) window, `stride` apart; each input shares its windows' gradients."""

    def __call__(self, x, kernel: int, stride: int):
        self.variables = (x,)
        self.kernel, self.stride = (kernel, kernel), stride
        return _windows(x.data, self.kernel, stride).mean(axis=(4, 5))

    def backward_var(self, grad, index, **kwargs):
        x = self.variables[0]
        share = grad / grad.dtype.type(self.kernel[0] * self.kernel[1])
        gradient_of_windows = np.broadcast_to(share[..., None, None], (*grad.shape, *self.kernel))
        return _scatter_windows(gradient_of_windows, x.shape, self.kernel, self.stride, grad.dtype)


def avg_pool2d(x, kernel: int = 2, stride: int | None = None) -> mg.Tensor:
    """Average pooling of x (N, C, H, W) over (kernel x kernel) windows, `stride` (default: kernel) apart."""
    return mg.execute_op(AvgPool2D, x, op_kwargs={"kernel": kernel, "stride": stride or kernel})

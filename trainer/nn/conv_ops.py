"""Fused MyGrad operations for images (N, C, H, W): 2-D convolution with its bias, max pooling and
average pooling, each one node of the graph with its backward pass written by hand.

Why: `mygrad.nnet.layers.conv_nd` and `max_pool` are general (any number of dimensions) and pay for
it in Python and copies. Here a convolution is one im2col and one matrix product (GEMM) forward, and
two products plus a col2im of kernel-size strided additions backward; pooling works on strided
views of its input. Tests compare each with MyGrad's own operations, finite differences and NumPy
references, in float32 and float64.

The im2col layout: for output pixel (n, i, j) the row holds its receptive field, channel by channel,
kernel row by kernel row: `columns[(c, u, v), (n, i, j)] = padded_x[n, c, i * stride + u, j * stride + v]`.
"""

import mygrad as mg
import numpy as np
from mygrad.operation_base import Operation
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """The length of a convolution's (or a pooling's) output along one axis; < 1 when it does not fit."""
    return (size + 2 * padding - kernel) // stride + 1


# The arrays are worked on channel-major, (C, N, H, W) in memory, and handed on as (N, C, H, W)
# views of it: then each channel's pixels of the whole batch are one contiguous run, so im2col and
# col2im copy whole image rows (not kernel-wide snippets) and the products need no transposed copies.


def _channel_major(x: np.ndarray, padding: int = 0) -> np.ndarray:
    """x (N, C, H, W) as (C, N, H + 2p, W + 2p), zero-padded: a view when unpadded."""
    x = x.transpose(1, 0, 2, 3)
    if not padding:
        return x
    c, n, height, width = x.shape
    padded = np.zeros((c, n, height + 2 * padding, width + 2 * padding), dtype=x.dtype)
    padded[:, :, padding:-padding, padding:-padding] = x
    return padded


def _windows(x: np.ndarray, kernel: tuple[int, ...], stride: int) -> np.ndarray:
    """A view (C, N, kh, kw, H_out, W_out) of every receptive field of x (C, N, H, W): no copy."""
    return sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::stride, ::stride].transpose(0, 1, 4, 5, 2, 3)


def _scatter_windows(gradient_of_windows: np.ndarray, shape: tuple[int, ...], stride: int) -> np.ndarray:
    """col2im: the gradient of x (C, N, H, W) from that of its windows (C, N, kh, kw, H_out, W_out),
    one strided addition per kernel position (windows overlap their neighbours when stride < kernel)."""
    gradient = np.zeros(shape, dtype=gradient_of_windows.dtype)
    _, _, kh, kw, rows, cols = gradient_of_windows.shape
    for u in range(kh):
        for v in range(kw):
            gradient[:, :, u : u + stride * rows : stride, v : v + stride * cols : stride] += (
                gradient_of_windows[:, :, u, v]
            )
    return gradient


def _batch_major(x: np.ndarray, padding: int = 0) -> np.ndarray:
    """(C, N, H, W) back to an (N, C, H, W) view, the padding cut off."""
    if padding:
        x = x[:, :, padding:-padding, padding:-padding]
    return x.transpose(1, 0, 2, 3)


class Conv2D(Operation):
    """The cross-correlation of x (N, C, H, W) with w (F, C, kh, kw), plus b (F,): (N, F, H_out, W_out)."""

    def __call__(self, x, w, b, stride: int = 1, padding: int = 0):
        self.variables = (x, w, b)
        self.stride, self.padding = stride, padding
        padded = _channel_major(x.data, padding)
        self.padded_shape = padded.shape
        windows = _windows(padded, w.shape[2:], stride)
        c, n, kh, kw, rows, cols = windows.shape
        # im2col, (C * kh * kw, N * H_out * W_out): the one copy of the input, so the convolution is one GEMM
        self.columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(c * kh * kw, n * rows * cols)
        out = w.data.reshape(len(w.data), -1) @ self.columns
        out += b.data[:, None]
        return _batch_major(out.reshape(len(w.data), n, rows, cols))

    def backward_var(self, grad, index, **kwargs):
        x, w, _ = self.variables
        by_filter = _channel_major(grad).reshape(len(w.data), -1)  # (F, N * H_out * W_out)
        if index == 1:
            return (by_filter @ self.columns.T).reshape(w.shape)
        if index == 2:
            return by_filter.sum(axis=1)
        gradient_of_columns = w.data.reshape(len(w.data), -1).T @ by_filter
        c, kh, kw = w.shape[1:]
        n, _, rows, cols = grad.shape
        gradient_of_windows = gradient_of_columns.reshape(c, kh, kw, n, rows, cols).transpose(
            0, 3, 1, 2, 4, 5
        )
        return _batch_major(
            _scatter_windows(gradient_of_windows, self.padded_shape, self.stride), self.padding
        )


def conv2d(x, w, b, stride: int = 1, padding: int = 0) -> mg.Tensor:
    """Convolve images x (N, C, H, W) with filters w (F, C, kh, kw) and add b (F,), as one operation;
    `padding` zeros on every side, `stride` between receptive fields."""
    return mg.execute_op(Conv2D, x, w, b, op_kwargs={"stride": stride, "padding": padding})


class MaxPool2D(Operation):
    """The largest value of each (kernel x kernel) window, `stride` apart; the gradient goes to it
    (to the first one of a tie, as in MyGrad and PyTorch).

    Worked on one strided view per kernel position, each (C, N, H_out, W_out): a handful of
    elementwise maxima and comparisons of whole arrays, rather than an argmax over tiny windows."""

    def __call__(self, x, kernel: int, stride: int):
        self.variables = (x,)
        self.kernel, self.stride = kernel, stride
        views = self._views(_channel_major(x.data))
        out = views[0].copy()
        for view in views[1:]:
            np.maximum(out, view, out=out)
        self.winners = []  # per kernel position: where it holds its window's first maximum
        unclaimed = np.ones(out.shape, dtype=bool)
        for view in views:
            wins = (view == out) & unclaimed
            unclaimed &= ~wins
            self.winners.append(wins)
        return _batch_major(out)

    def _views(self, x: np.ndarray) -> list[np.ndarray]:
        """x (C, N, H, W) at each kernel position (u, v) of every window: x[..., u + stride * i, v + stride * j]."""
        rows, cols = (output_size(size, self.kernel, self.stride) for size in x.shape[2:])
        s = self.stride
        return [
            x[:, :, u : u + s * (rows - 1) + 1 : s, v : v + s * (cols - 1) + 1 : s]
            for u in range(self.kernel)
            for v in range(self.kernel)
        ]

    def backward_var(self, grad, index, **kwargs):
        gradient = np.zeros(_channel_major(self.variables[0].data).shape, dtype=grad.dtype)
        grad = _channel_major(grad)
        for view, wins in zip(self._views(gradient), self.winners):
            view += grad * wins  # a view into `gradient`; += adds where windows overlap
        return _batch_major(gradient)


def max_pool2d(x, kernel: int = 2, stride: int | None = None) -> mg.Tensor:
    """Max pooling of x (N, C, H, W) over (kernel x kernel) windows, `stride` (default: kernel) apart."""
    return mg.execute_op(MaxPool2D, x, op_kwargs={"kernel": kernel, "stride": stride or kernel})


class AvgPool2D(Operation):
    """The mean of each (kernel x kernel) window, `stride` apart; each input shares its windows' gradients."""

    def __call__(self, x, kernel: int, stride: int):
        self.variables = (x,)
        self.kernel, self.stride = kernel, stride
        return _batch_major(_windows(_channel_major(x.data), (kernel, kernel), stride).mean(axis=(2, 3)))

    def backward_var(self, grad, index, **kwargs):
        share = _channel_major(grad) / grad.dtype.type(self.kernel**2)
        gradient_of_windows = np.broadcast_to(
            share[:, :, None, None], (*share.shape[:2], self.kernel, self.kernel, *share.shape[2:])
        )
        shape = _channel_major(self.variables[0].data).shape
        return _batch_major(_scatter_windows(gradient_of_windows, shape, self.stride))


def avg_pool2d(x, kernel: int = 2, stride: int | None = None) -> mg.Tensor:
    """Average pooling of x (N, C, H, W) over (kernel x kernel) windows, `stride` (default: kernel) apart."""
    return mg.execute_op(AvgPool2D, x, op_kwargs={"kernel": kernel, "stride": stride or kernel})

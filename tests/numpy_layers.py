"""Reference implementations of the image layers in plain NumPy, written as directly from the
definitions as possible (loops over output pixels), forward and backward, for the parity tests.
Slow on purpose: nothing here shares code with trainer/nn/conv_ops.py."""

import numpy as np


def pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def conv2d(x, w, b, stride=1, padding=0):
    """out[n, f, i, j] = sum over c, u, v of xp[n, c, i*s + u, j*s + v] * w[f, c, u, v], plus b[f]."""
    xp = pad(x, padding)
    n, _, height, width = xp.shape
    filters, _, kh, kw = w.shape
    rows, cols = (height - kh) // stride + 1, (width - kw) // stride + 1
    out = np.zeros((n, filters, rows, cols), dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("ncuv,fcuv->nf", patch, w) + b
    return out


def conv2d_backward(x, w, grad, stride=1, padding=0):
    """(dx, dw, db) of sum(conv2d(x, w, b) * grad), accumulated pixel by pixel."""
    xp = pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    _, _, kh, kw = w.shape
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            window = (
                slice(None),
                slice(None),
                slice(i * stride, i * stride + kh),
                slice(j * stride, j * stride + kw),
            )
            dw += np.einsum("nf,ncuv->fcuv", grad[:, :, i, j], xp[window])
            dxp[window] += np.einsum("nf,fcuv->ncuv", grad[:, :, i, j], w)
    dx = dxp[:, :, padding : dxp.shape[2] - padding, padding : dxp.shape[3] - padding] if padding else dxp
    return dx, dw, grad.sum(axis=(0, 2, 3))


def pool(x, kernel, stride, kind):
    """Max or mean of each window (torch's floor mode: pixels left over at the edge are dropped)."""
    n, c, height, width = x.shape
    rows, cols = (height - kernel) // stride + 1, (width - kernel) // stride + 1
    out = np.zeros((n, c, rows, cols), dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            window = x[:, :, i * stride : i * stride + kernel, j * stride : j * stride + kernel]
            out[:, :, i, j] = window.max(axis=(2, 3)) if kind == "max" else window.mean(axis=(2, 3))
    return out


def pool_backward(x, grad, kernel, stride, kind):
    dx = np.zeros_like(x)
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            rows, cols = slice(i * stride, i * stride + kernel), slice(j * stride, j * stride + kernel)
            window = x[:, :, rows, cols]
            if kind == "max":
                flat = window.reshape(*window.shape[:2], -1)
                hit = np.zeros_like(flat)
                np.put_along_axis(hit, flat.argmax(axis=2)[..., None], 1, axis=2)
                dx[:, :, rows, cols] += hit.reshape(window.shape) * grad[:, :, i : i + 1, j : j + 1]
            else:
                dx[:, :, rows, cols] += grad[:, :, i : i + 1, j : j + 1] / kernel**2
    return dx


def batchnorm(x, gamma, beta, eps=1e-5):
    """Training mode: each channel (axis 1) normalized over every other axis."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def batchnorm_backward(x, gamma, grad, eps=1e-5):
    """(dx, dgamma, dbeta) by the chain rule through mean and variance, step by step."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    m = x.size // x.shape[1]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    d_x_hat = grad * gamma.reshape(shape)
    d_var = np.sum(d_x_hat * (x - mean) * -0.5 * std**-3, axis=axes, keepdims=True)
    d_mean = np.sum(-d_x_hat / std, axis=axes, keepdims=True) + d_var * np.mean(
        -2 * (x - mean), axis=axes, keepdims=True
    )
    dx = d_x_hat / std + d_var * 2 * (x - mean) / m + d_mean / m
    return dx, np.sum(grad * x_hat, axis=axes), np.sum(grad, axis=axes)

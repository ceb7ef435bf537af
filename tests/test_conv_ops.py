"""The fused image operations (trainer/nn/conv_ops.py) and batch norm's training step against MyGrad's
own conv_nd / max_pool, NumPy references written from the definitions (tests/numpy_layers.py),
finite differences, and torch.nn.functional where PyTorch is installed; in float32 and float64."""

import mygrad as mg
import numpy as np
import pytest
from mygrad.nnet.layers import conv_nd, max_pool

from tests import numpy_layers as reference
from tests.test_ops import gradients
from tests.test_training import central_differences
from trainer.nn.conv_ops import avg_pool2d, conv2d, max_pool2d
from trainer.nn.layers.batchnorm import BatchNormalize

rng = np.random.default_rng(11)
CONV_CASES = [  # (input shape, filter shape, stride, padding)
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1),
    ((3, 2, 9, 8), (5, 2, 3, 2), 2, 0),
    ((1, 1, 8, 8), (2, 1, 5, 5), 3, 2),
    ((2, 2, 5, 5), (3, 2, 1, 1), 1, 0),
]
POOL_CASES = [((2, 3, 8, 6), 2, 2), ((2, 2, 7, 7), 3, 1), ((1, 2, 9, 8), 2, 3), ((2, 1, 7, 5), 2, 2)]
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-4}


def _conv(x, w, b, stride, padding):
    return conv2d(x, w, b, stride, padding)


def _batchnorm(x, gamma, beta):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    mean = mg.asarray(x).mean(axis=axes, keepdims=True)
    var = mg.asarray(x).var(axis=axes, keepdims=True)
    return mg.execute_op(
        BatchNormalize, x, gamma, beta, op_args=(mean, var), op_kwargs={"axes": axes, "eps": 1e-5}
    )


def close(mine, theirs, dtype):
    return mine.dtype == dtype and np.allclose(mine, theirs, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def upstream(shape, dtype):
    """The gradients() helper's upstream weights, to give the NumPy references the same."""
    return np.random.default_rng(0).normal(size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
def test_conv2d_matches_numpy_and_mygrads_conv_nd(dtype, x_shape, w_shape, stride, padding):
    x, w, b = (rng.normal(size=shape).astype(dtype) for shape in (x_shape, w_shape, w_shape[:1]))
    out, grads = gradients(lambda x, w, b: _conv(x, w, b, stride, padding), x, w, b)
    assert close(out, reference.conv2d(x, w, b, stride, padding), dtype)
    expected = reference.conv2d_backward(x, w, upstream(out.shape, dtype), stride, padding)
    for mine, theirs in zip(grads, expected, strict=True):
        assert close(mine, theirs, dtype)
    if all((size + 2 * padding - k) % stride == 0 for size, k in zip(x_shape[2:], w_shape[2:])):
        # conv_nd refuses a stride that leaves pixels over: compare where it works
        plain, plain_grads = gradients(
            lambda x, w, b: conv_nd(x, w, stride=stride, padding=padding) + b.reshape(1, -1, 1, 1), x, w, b
        )
        assert close(out, plain, dtype)
        assert all(close(mine, theirs, dtype) for mine, theirs in zip(grads, plain_grads))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, kernel, stride", POOL_CASES)
def test_pooling_matches_numpy_and_mygrads_max_pool(dtype, x_shape, kernel, stride):
    x = rng.normal(size=x_shape).astype(dtype)
    for kind, operation in (("max", max_pool2d), ("mean", avg_pool2d)):
        out, (grad,) = gradients(lambda x, operation=operation: operation(x, kernel, stride), x)
        assert close(out, reference.pool(x, kernel, stride, kind), dtype), kind
        expected = reference.pool_backward(x, upstream(out.shape, dtype), kernel, stride, kind)
        assert close(grad, expected, dtype), kind
    if all((size - kernel) % stride == 0 for size in x_shape[2:]):
        out, (grad,) = gradients(lambda x: max_pool2d(x, kernel, stride), x)
        plain, (plain_grad,) = gradients(lambda x: max_pool(x, (kernel, kernel), stride), x)
        assert close(out, plain, dtype) and close(grad, plain_grad, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 4, 5)])
def test_batchnorm_step_matches_numpy(dtype, shape):
    x = (3 + 2 * rng.normal(size=shape)).astype(dtype)
    gamma, beta = rng.normal(size=shape[1]).astype(dtype), rng.normal(size=shape[1]).astype(dtype)
    out, grads = gradients(_batchnorm, x, gamma, beta)
    assert close(out, reference.batchnorm(x, gamma, beta), dtype)
    expected = reference.batchnorm_backward(x, gamma, upstream(out.shape, dtype))
    for mine, theirs in zip(grads, expected, strict=True):
        assert close(mine, theirs, dtype)


OPERATIONS = {  # name -> (function of tensors, input shapes)
    "conv2d": (lambda x, w, b: conv2d(x, w, b, 2, 1), [(2, 2, 5, 6), (3, 2, 3, 3), (3,)]),
    "max_pool2d": (lambda x: max_pool2d(x, 3, 2), [(2, 2, 7, 6)]),
    "avg_pool2d": (lambda x: avg_pool2d(x, 2, 1), [(2, 2, 4, 5)]),
    "batchnorm 1-D": (_batchnorm, [(5, 3), (3,), (3,)]),
    "batchnorm 2-D": (_batchnorm, [(3, 2, 3, 3), (2,), (2,)]),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_gradients_match_finite_differences(name):
    operation, shapes = OPERATIONS[name]
    arrays = [rng.normal(size=shape) for shape in shapes]
    _, grads = gradients(operation, *arrays)  # weighted by gradients()'s own upstream weights
    weights = upstream(operation(*arrays).shape, np.float64)
    for array, grad in zip(arrays, grads, strict=True):
        with mg.no_autodiff:
            numeric = central_differences(lambda: float(np.sum(operation(*arrays).data * weights)), array)
        assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-7), name


def test_conv2d_gives_the_data_no_gradient_and_keeps_it_unchanged():
    x = rng.normal(size=(2, 1, 5, 5))
    x.flags.writeable = False  # the framework's data arrays are read-only
    w, b = mg.tensor(rng.normal(size=(2, 1, 3, 3))), mg.tensor(np.zeros(2))
    mg.sum(max_pool2d(conv2d(x, w, b, 1, 1), 2)).backward()
    assert w.grad is not None and w.grad.shape == w.shape and b.grad is not None


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES)
def test_matches_torch_where_installed(x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x, w, b = (rng.normal(size=shape) for shape in (x_shape, w_shape, w_shape[:1]))
    out, grads = gradients(lambda x, w, b: conv2d(x, w, b, stride, padding), x, w, b)
    tx, tw, tb = (torch.tensor(array, requires_grad=True) for array in (x, w, b))
    expected = functional.conv2d(tx, tw, tb, stride=stride, padding=padding)
    (expected * torch.tensor(upstream(out.shape, np.float64))).sum().backward()
    assert np.allclose(out, expected.detach().numpy(), atol=1e-10)
    for mine, tensor in zip(grads, (tx, tw, tb)):
        assert np.allclose(mine, tensor.grad.numpy(), atol=1e-10)
    images = rng.normal(size=(2, 3, 7, 6))
    for mine, theirs in ((max_pool2d, functional.max_pool2d), (avg_pool2d, functional.avg_pool2d)):
        assert np.allclose(mine(images, 3, 2).data, theirs(torch.tensor(images), 3, 2).numpy(), atol=1e-12)
    features = rng.normal(size=(6, 4))
    normalized = functional.batch_norm(torch.tensor(features), None, None, training=True, eps=1e-5)
    assert np.allclose(_batchnorm(features, np.ones(4), np.zeros(4)).data, normalized.numpy(), atol=1e-10)

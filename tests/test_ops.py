"""The fused operations give what the plain MyGrad expressions give: values and gradients alike."""

import mygrad as mg
import numpy as np
import pytest

from trainer.nn.ops import dense, mean_squared_error, relu, softmax_cross_entropy, softplus

rng = np.random.default_rng(3)


def gradients(compute, *arrays):
    """The gradients of sum(compute(*tensors) * weights) with respect to each array, and its value.
    The random weights make the upstream gradient something other than ones."""
    tensors = [mg.tensor(array) for array in arrays]
    out = compute(*tensors)
    weights = np.random.default_rng(0).normal(size=out.shape).astype(out.dtype)
    mg.sum(out * weights).backward()
    return out.data, [t.grad for t in tensors]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_is_x_at_w_plus_b(dtype):
    x, w, b = (rng.normal(size=shape).astype(dtype) for shape in [(5, 3), (3, 4), (4,)])
    fused, fused_grads = gradients(dense, x, w, b)
    plain, plain_grads = gradients(lambda x, w, b: x @ w + b, x, w, b)
    assert fused.dtype == dtype and np.allclose(fused, plain, rtol=1e-6)
    for mine, theirs in zip(fused_grads, plain_grads, strict=True):
        assert mine.dtype == dtype and np.allclose(mine, theirs, rtol=1e-5)


def test_dense_gives_the_data_no_gradient():
    x, w, b = rng.normal(size=(5, 3)), mg.tensor(rng.normal(size=(3, 2))), mg.tensor(np.zeros(2))
    mg.sum(dense(x, w, b)).backward()
    assert np.allclose(w.grad, x.sum(axis=0)[:, None] * np.ones((1, 2))) and np.allclose(b.grad, [5.0, 5.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_squared_error_is_the_mean_of_squared_residuals(dtype):
    prediction, target = rng.normal(size=(6, 2)).astype(dtype), rng.normal(size=(6, 2)).astype(dtype)
    fused, (fused_grad,) = gradients(lambda p: mean_squared_error(p, target), prediction)
    plain, (plain_grad,) = gradients(lambda p: mg.mean((p - target) ** 2), prediction)
    assert fused.dtype == dtype and fused == pytest.approx(plain, rel=1e-6)
    assert fused_grad.dtype == dtype and np.allclose(fused_grad, plain_grad, rtol=1e-5)


@pytest.mark.parametrize("scale", [1.0, 1000.0])  # 1000: exp would overflow without the shift
def test_softmax_cross_entropy_matches_mygrads(scale):
    logits, labels = rng.normal(size=(7, 4)) * scale, rng.integers(0, 4, size=7)
    fused, (fused_grad,) = gradients(lambda z: softmax_cross_entropy(z, labels), logits)
    plain, (plain_grad,) = gradients(lambda z: mg.nnet.softmax_crossentropy(z, labels), logits)
    assert np.isfinite(fused) and fused == pytest.approx(plain, rel=1e-12)
    assert np.allclose(fused_grad, plain_grad, rtol=1e-10, atol=1e-14)  # p - 1 for p near 1 cancels


def test_softmax_cross_entropy_keeps_float32_and_evaluates_without_a_graph():
    logits, labels = rng.normal(size=(3, 5)).astype(np.float32), np.array([0, 4, 2])
    with mg.no_autodiff:
        value = softmax_cross_entropy(mg.tensor(logits), labels)
    assert value.dtype == np.float32 and value.creator is None


def test_relu_is_mygrads():
    x = rng.normal(size=(4, 5))
    fused, (fused_grad,) = gradients(relu, x)
    plain, (plain_grad,) = gradients(mg.nnet.relu, x)
    assert np.array_equal(fused, plain) and np.array_equal(fused_grad, plain_grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_matches_logaddexp_and_stays_finite_and_silent_for_huge_logits(dtype):
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # an overflow anywhere fails the test
        fused, (fused_grad,) = gradients(softplus, z)
    weights = np.random.default_rng(0).normal(size=z.shape).astype(dtype)
    sigmoid = 1 / (1 + np.exp(-z.astype(np.float64).clip(-500, 500)))
    assert fused.dtype == dtype and np.allclose(fused, np.logaddexp(0, z.astype(np.float64)), rtol=1e-6)
    assert fused_grad.dtype == dtype and np.allclose(fused_grad, weights * sigmoid, rtol=1e-5, atol=1e-30)

"""Each optimizer against its published update rule, written out here in NumPy, step by step."""

import mygrad as mg
import numpy as np
import pytest

from trainer.optim.clipping import ClipGradNorm
from trainer.optim.optimizers import OPTIMIZERS

STEPS = 6


def gradients(shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(STEPS)]


class Param:
    """A parameter with a gradient set by hand, as backward() would leave it."""

    def __init__(self, data):
        self.tensor = mg.tensor(data)

    def set_grad(self, grad):
        self.tensor._grad = grad


def run_optimizer(name, options, w0, grads):
    optimizer = OPTIMIZERS.get(name)(**options)
    param = Param(w0.copy())
    trajectory = []
    for g in grads:
        param.set_grad(g.copy())
        optimizer.step([param.tensor])
        trajectory.append(param.tensor.data.copy())
    return trajectory


def sgd_reference(w, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch's SGD: g += wd w; b = mu b + g (b = g at first); step = g + mu b (Nesterov) or b."""
    b, out = None, []
    for g in grads:
        g = g + weight_decay * w
        if momentum:
            b = g if b is None else momentum * b + g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
        out.append(w)
    return out


def adam_reference(w, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """Kingma & Ba, Algorithm 1; AdamW (Loshchilov & Hutter, Algorithm 2) adds lr * wd * w."""
    m = v = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * weight_decay * w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def rmsprop_reference(w, grads, lr, alpha=0.99, eps=1e-8):
    v, out = np.zeros_like(w), []
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(v) + eps)
        out.append(w)
    return out


def adagrad_reference(w, grads, lr, eps=1e-10):
    s, out = np.zeros_like(w), []
    for g in grads:
        s = s + g * g
        w = w - lr * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


CASES = [
    ("sgd", {"lr": 0.1}, sgd_reference),
    ("sgd", {"lr": 0.1, "momentum": 0.9}, sgd_reference),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, sgd_reference),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01}, sgd_reference),
    ("adam", {"lr": 0.01}, adam_reference),
    ("adam", {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6}, adam_reference),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}, adam_reference),
    ("rmsprop", {"lr": 0.01}, rmsprop_reference),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}, rmsprop_reference),
    ("adagrad", {"lr": 0.1}, adagrad_reference),
]


@pytest.mark.parametrize("name, options, reference", CASES, ids=[f"{n}-{'-'.join(o)}" for n, o, _ in CASES])
def test_update_rule_matches_the_published_formula(name, options, reference):
    w0 = np.random.default_rng(1).normal(size=(3, 2))
    grads = gradients(w0.shape)
    for got, expected in zip(run_optimizer(name, options, w0, grads), reference(w0, grads, **options)):
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, options", [(n, o) for n, o, _ in CASES])
def test_state_dict_round_trips_exactly_mid_run(name, options):
    w0 = np.random.default_rng(2).normal(size=(4,))
    grads = gradients(w0.shape, seed=3)
    straight = run_optimizer(name, options, w0, grads)[-1]

    first = OPTIMIZERS.get(name)(**options)
    param = Param(w0.copy())
    for g in grads[:3]:
        param.set_grad(g.copy())
        first.step([param.tensor])
    saved = first.state_dict()
    resumed = OPTIMIZERS.get(name)(**options)
    resumed.load_state_dict(saved)
    for g in grads[3:]:
        param.set_grad(g.copy())
        resumed.step([param.tensor])
    assert np.array_equal(param.tensor.data, straight), "resuming from the state dict must give the same bits"
    for key, value in saved.items():
        assert isinstance(value, (int, float)) or all(type(a) is np.ndarray for a in value), key


def test_clip_grad_norm_rescales_the_global_norm_and_keeps_the_direction():
    a, b = mg.tensor(np.zeros(2)), mg.tensor(np.zeros((1, 2)))
    a._grad, b._grad = np.array([3.0, 0.0]), np.array([[0.0, 4.0]])  # global norm 5

    class State:
        class model:
            parameters = (a, b)

    ClipGradNorm(1.0).on_before_update(State)
    assert np.allclose(a.grad, [0.6, 0.0]) and np.allclose(b.grad, [[0.0, 0.8]])
    ClipGradNorm(10.0).on_before_update(State)  # below the limit: unchanged
    assert np.allclose(a.grad, [0.6, 0.0])

"""Conformance of every registered loss: its value against NumPy, its gradient against finite differences,
the shapes it refuses, a batch of one, float32.

The tests are parametrized from the registries: registering a component without adding its reference
below makes them fail, saying what to add (tests/conformance.py).
"""

from typing import NamedTuple

import mygrad as mg
import numpy as np
import pytest

from tests.conformance import assert_no_stale_references, reference_for
from tests.test_training import central_differences
from trainer.errors import UserError
from trainer.nn.losses import LOSSES

FILE = "tests/test_conformance_losses.py"


# ---------------------------------------------------------------- losses


class LossReference(NamedTuple):
    """`value(prediction, target, **options)` in NumPy; `expects` the targets it takes; option sets."""

    expects: str
    value: object
    cases: list[dict]


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def huber_value(prediction, target, delta=1.0):
    r = np.abs(prediction - target)
    return np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - delta / 2)))


def bce_value(prediction, target):
    p = 1 / (1 + np.exp(-prediction[:, 0]))
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def hinge_value(prediction, target, margin=1.0):
    rows = np.arange(len(target))
    margins = np.maximum(0, margin + prediction - prediction[rows, target][:, None])
    return np.mean(np.sum(margins * (np.arange(prediction.shape[1]) != target[:, None]), axis=1))


LOSS_REFERENCES = {
    "mse": LossReference("values", lambda p, t: np.mean((p - t) ** 2), [{}]),
    "mae": LossReference("values", lambda p, t: np.mean(np.abs(p - t)), [{}]),
    "huber": LossReference("values", huber_value, [{}, {"delta": 0.5}]),
    "bce": LossReference("binary", bce_value, [{}]),
    "cross_entropy": LossReference(
        "classes", lambda p, t: -np.mean(np.log(softmax(p)[np.arange(len(t)), t])), [{}]
    ),
    "multiclass_hinge": LossReference("classes", hinge_value, [{}, {"margin": 2.0}]),
}

# Inputs for each kind of target a loss can expect, and shapes it must refuse (prediction, target).
LOSS_INPUTS = {
    "values": lambda rng, n: (rng.normal(size=(n, 2)), rng.normal(size=(n, 2))),
    "binary": lambda rng, n: (3 * rng.normal(size=(n, 1)), rng.integers(0, 2, size=n)),
    "classes": lambda rng, n: (2 * rng.normal(size=(n, 3)), rng.integers(0, 3, size=n)),
}
MISMATCHED_SHAPES = {
    "values": [((8, 1), (8,)), ((8,), (8, 1)), ((8, 2), (8, 1)), ((8, 2), (7, 2))],
    "binary": [((8, 2), (8,)), ((8, 1), (8, 1)), ((8,), (8,)), ((8, 1), (7,))],
    "classes": [((8, 3), (8, 1)), ((8, 3), (7,)), ((8,), (8,))],
}


def loss_reference(name: str) -> LossReference:
    return reference_for(
        LOSS_REFERENCES,
        name,
        "loss",
        "the targets it expects and its value in NumPy",
        "LOSS_REFERENCES",
        FILE,
    )


def make_loss(name: str, options: dict):
    return LOSSES.build(LOSSES.schema(name)(type=name, **options))


def loss_cases(name: str, n: int = 8):
    """(loss, options, prediction, target, reference value) for each option set of the reference."""
    reference = loss_reference(name)
    for options in reference.cases:
        loss = make_loss(name, options)
        assert getattr(loss, "expects", None) == reference.expects, f"loss {name} expects {reference.expects}"
        assert reference.expects in LOSS_INPUTS, (
            f'no inputs for losses that expect "{reference.expects}": add them to LOSS_INPUTS and MISMATCHED_SHAPES'
        )
        prediction, target = LOSS_INPUTS[reference.expects](np.random.default_rng(n), n)
        yield loss, options, prediction, target, reference.value(prediction, target, **options)


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_value_matches_numpy_and_is_the_batch_mean(name):
    for loss, options, prediction, target, expected in loss_cases(name):
        kept = prediction.copy(), target.copy()
        value = loss(mg.tensor(prediction), target)
        assert isinstance(value, mg.Tensor) and value.shape == (), f"loss {name} must return a scalar Tensor"
        assert value.item() == pytest.approx(expected, rel=1e-12), f"loss {name} {options}"
        assert np.array_equal(prediction, kept[0]) and np.array_equal(target, kept[1]), "inputs changed"
        doubled = loss(mg.tensor(np.concatenate([prediction] * 2)), np.concatenate([target] * 2))
        assert doubled.item() == pytest.approx(expected, rel=1e-12), f"loss {name} is not a mean over rows"


def numeric_gradient(loss, point: np.ndarray, target) -> np.ndarray:
    """Central differences of the loss's value in float64, moving one entry of `point` at a time."""
    return central_differences(lambda: loss(mg.tensor(point), target).item(), point)


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_gradient_matches_finite_differences(name):
    for loss, options, prediction, target, _ in loss_cases(name):
        z = mg.tensor(prediction.copy())
        loss(z, target).backward()
        numeric = numeric_gradient(loss, prediction.copy(), target)
        assert z.grad is not None and np.allclose(z.grad, numeric, atol=1e-8), f"loss {name} {options}"


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_works_on_a_batch_of_one(name):
    for loss, _, prediction, target, expected in loss_cases(name, n=1):
        z = mg.tensor(prediction)
        value = loss(z, target)
        value.backward()
        assert value.item() == pytest.approx(expected, rel=1e-12) and np.all(np.isfinite(z.grad))


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_refuses_mismatched_shapes(name):
    expects = loss_reference(name).expects
    for prediction_shape, target_shape in MISMATCHED_SHAPES[expects]:
        target = np.zeros(target_shape, dtype=np.float64 if expects == "values" else np.int64)
        with pytest.raises(UserError) as refused:
            make_loss(name, {})(mg.tensor(np.zeros(prediction_shape)), target)
        message = str(refused.value)
        assert f"loss {name}" in message and str(prediction_shape) in message and str(target_shape) in message


@pytest.mark.parametrize("name", LOSSES.names())
def test_loss_keeps_float32(name):
    for loss, _, prediction, target, expected in loss_cases(name):
        target = target.astype(np.float32) if target.dtype.kind == "f" else target
        z = mg.tensor(prediction.astype(np.float32))
        value = loss(z, target)
        value.backward()
        assert value.item() == pytest.approx(expected, rel=1e-5) and z.grad.dtype == np.float32
        assert value.dtype == np.float32, f"loss {name} turned a float32 prediction into {value.dtype}"


def test_every_loss_reference_is_registered():
    assert_no_stale_references(LOSS_REFERENCES, LOSSES.names(), "loss", "LOSS_REFERENCES", FILE)

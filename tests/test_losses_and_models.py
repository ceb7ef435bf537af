"""Losses and models beyond their conformance (tests/test_conformance_losses.py, _models.py): extreme
logits, penalties, initialization, dropout's scaling, and a reproducible run."""

import warnings

import mygrad as mg
import numpy as np
import pytest

from trainer.errors import UserError
from trainer.nn.losses import LOSSES, regularized
from trainer.nn.models import MODELS, evaluation_mode, weights_of
from trainer.registry import Component

rng = np.random.default_rng(0)


def loss(name, **options):
    return LOSSES.build(LOSSES.schema(name)(type=name, **options))


def test_bce_is_finite_and_exact_for_huge_logits():
    logits = mg.tensor(np.array([[-80.0], [80.0], [-60.0], [60.0]]))
    labels = np.array([0, 1, 1, 0])
    value = loss("bce")(logits, labels)
    value.backward()
    # confident and right: ~e^-80 each; confident and wrong: the logit's size (60)
    assert value.item() == pytest.approx((60 + 60) / 4, rel=1e-12)
    assert np.allclose(logits.grad[:, 0], np.array([0.0, 0.0, -1.0, 1.0]) / 4, atol=1e-20)


def test_bce_on_logits_that_overflow_exp_warns_nothing():
    logits = mg.tensor(np.array([[-1000.0], [1000.0], [-800.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MyGrad's logaddexp warned "overflow encountered in exp" here
        value = loss("bce")(logits, np.array([1, 0, 0]))
        value.backward()
    assert value.item() == pytest.approx(2000 / 3) and np.allclose(logits.grad[:, 0], [-1 / 3, 1 / 3, 0])


def test_regularization_penalizes_weights_not_biases():
    model = MODELS.build(Component(type="linear"), n_inputs=2, n_outputs=1, rng=rng)
    model.weight.data[...] = [[1.0], [-2.0]]
    model.bias.data[...] = 5.0
    assert weights_of(model) == (model.weight,)
    penalized = regularized(loss("mse"), weights_of(model), l1=0.1, l2=0.01)
    x, y = np.zeros((4, 2)), np.full((4, 1), 5.0)  # a perfect fit: the data loss is 0
    assert penalized(model(x), y).item() == pytest.approx(0.1 * 3 + 0.01 * 5)


def mlp(**options):
    return MODELS.build(
        MODELS.schema("mlp")(type="mlp", **options), n_inputs=3, n_outputs=2, rng=np.random.default_rng(7)
    )


def test_mlp_layers_and_their_initialization():
    model = mlp(hidden=[400, 300])
    shapes = [p.shape for p in model.parameters]
    assert shapes == [(3, 400), (400,), (400, 300), (300,), (300, 2), (2,)]
    assert all(p.dtype == np.float64 for p in model.parameters)
    w = model.parameters[2].data
    assert w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02), "relu defaults to He normal"
    tanh = mlp(hidden=[400, 300], activation="tanh").parameters[2].data
    assert np.abs(tanh).max() <= np.sqrt(6 / 700) and tanh.std() == pytest.approx(
        np.sqrt(2 / 700), rel=0.02
    ), "tanh: Glorot uniform"


def test_inverted_dropout_keeps_the_expected_activation():
    model = mlp(hidden=[200], dropout=0.5)
    X = rng.normal(size=(4, 3))
    with evaluation_mode(model):
        assert model.training is False
        kept = model(X).data
    # inverted dropout keeps the expected activation: the mean over many masks approaches evaluation
    mean = np.mean([model(X).data for _ in range(400)], axis=0)
    assert np.allclose(mean, kept, atol=0.15 * np.abs(kept).max())


def test_logistic_needs_a_single_output():
    with pytest.raises(UserError, match="loss: bce"):
        MODELS.build(Component(type="logistic"), n_inputs=3, n_outputs=2, rng=rng)


def test_an_mlp_run_with_dropout_is_reproducible_bit_for_bit(tmp_path):
    import trainer
    from tests.conftest import CONFIGS

    overrides = [
        "trainer.epochs=2",
        "model.dropout=0.3",
        "schedule={type: cosine, warmup_epochs: 1}",
        "trainer.clip_grad_norm=0.5",
    ]
    first, second = (trainer.train(CONFIGS / "spiral.yaml", overrides, runs_dir=tmp_path) for _ in range(2))
    for name in ("steps.csv", "epochs.csv"):
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes()

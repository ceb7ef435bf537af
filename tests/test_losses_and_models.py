import mygrad as mg
import numpy as np
import pytest

from tests.test_training import central_differences
from trainer.errors import UserError
from trainer.nn.losses import LOSSES, regularized
from trainer.nn.models import MODELS, evaluation_mode, weights_of
from trainer.registry import Component

rng = np.random.default_rng(0)
PRED, TARGET = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
LOGITS, LABELS = rng.normal(size=(8, 3)) * 2, rng.integers(0, 3, size=8)


def loss(name, **options):
    return LOSSES.build(LOSSES.schema(name)(type=name, **options))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    "name, options, prediction, target, expected",
    [
        ("mse", {}, PRED, TARGET, np.mean((PRED - TARGET) ** 2)),
        ("mae", {}, PRED, TARGET, np.mean(np.abs(PRED - TARGET))),
        (
            "huber",
            {"delta": 0.5},
            PRED,
            TARGET,
            np.mean(
                np.where(
                    np.abs(PRED - TARGET) <= 0.5,
                    0.5 * (PRED - TARGET) ** 2,
                    0.5 * (np.abs(PRED - TARGET) - 0.25),
                )
            ),
        ),
        (
            "bce",
            {},
            PRED[:, :1],
            LABELS % 2,
            -np.mean(
                (LABELS % 2) * np.log(1 / (1 + np.exp(-PRED[:, 0])))
                + (1 - LABELS % 2) * np.log(1 - 1 / (1 + np.exp(-PRED[:, 0])))
            ),
        ),
        ("cross_entropy", {}, LOGITS, LABELS, -np.mean(np.log(softmax(LOGITS)[np.arange(8), LABELS]))),
        (
            "multiclass_hinge",
            {"margin": 1.0},
            LOGITS,
            LABELS,
            np.mean(
                np.sum(
                    np.maximum(0, 1 + LOGITS - LOGITS[np.arange(8), LABELS][:, None])
                    * (np.arange(3) != LABELS[:, None]),
                    axis=1,
                )
            ),
        ),
    ],
)
def test_loss_value_and_gradient(name, options, prediction, target, expected):
    loss_fn = loss(name, **options)
    value = loss_fn(mg.tensor(prediction), target)
    assert value.ndim == 0 and value.item() == pytest.approx(expected, rel=1e-12)
    z = mg.tensor(prediction.copy())
    loss_fn(z, target).backward()
    numeric = central_differences(lambda: loss_fn(mg.tensor(z.data), target).item(), z.data)
    assert np.allclose(z.grad, numeric, atol=1e-7)


def test_bce_is_finite_and_exact_for_huge_logits():
    logits = mg.tensor(np.array([[-80.0], [80.0], [-60.0], [60.0]]))
    labels = np.array([0, 1, 1, 0])
    value = loss("bce")(logits, labels)
    value.backward()
    # confident and right: ~e^-80 each; confident and wrong: the logit's size (60)
    assert value.item() == pytest.approx((60 + 60) / 4, rel=1e-12)
    assert np.allclose(logits.grad[:, 0], np.array([0.0, 0.0, -1.0, 1.0]) / 4, atol=1e-20)


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_regression_losses_refuse_to_broadcast(name):
    with pytest.raises(UserError, match=r"prediction has shape \(8, 1\) but the target \(8,\)"):
        loss(name)(mg.tensor(PRED[:, :1]), TARGET[:, 0])


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


def test_mlp_gradients_match_finite_differences():
    model = mlp(hidden=[5, 4], activation="tanh")
    X, labels = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    loss_fn = loss("cross_entropy")
    with mg.no_autodiff:
        expected = [
            central_differences(lambda: loss_fn(model(X), labels).item(), p.data) for p in model.parameters
        ]
    loss_fn(model(X), labels).backward()
    for p, numeric in zip(model.parameters, expected):
        assert np.allclose(p.grad, numeric, atol=1e-7)


def test_mlp_layers_init_and_seed():
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
    assert np.array_equal(w, mlp(hidden=[400, 300]).parameters[2].data), (
        "the same rng seed gives the same weights"
    )
    state = np.random.get_state()[1].copy()
    mlp(hidden=[10])
    assert np.array_equal(state, np.random.get_state()[1]), "the global np.random must not be used"


def test_dropout_is_on_while_training_and_off_in_evaluation():
    model = mlp(hidden=[200], dropout=0.5)
    X = rng.normal(size=(4, 3))
    first, second = model(X).data, model(X).data
    assert not np.array_equal(first, second), "dropout draws a new mask each call while training"
    with evaluation_mode(model):
        assert model.training is False
        kept = model(X).data
        assert np.array_equal(kept, model(X).data)
    assert model.training is True
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

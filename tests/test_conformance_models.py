"""Conformance of every registered model (a forward pass in NumPy, gradients, seeds, dropout) and of every
metric (its formula in NumPy).

The tests are parametrized from the registries: registering a component without adding its reference
below makes them fail, saying what to add (tests/conformance.py).
"""

from typing import NamedTuple

import mygrad as mg
import numpy as np
import pytest

from tests.conformance import assert_no_stale_references, reference_for
from tests.test_training import central_differences
from trainer.nn.metrics import METRICS, score
from trainer.nn.models import ACTIVATIONS, MODELS, evaluation_mode

FILE = "tests/test_conformance_models.py"


# ---------------------------------------------------------------- models


class ModelReference(NamedTuple):
    """`forward(parameters, x, **options)` in NumPy, with the parameters' arrays in the model's order;
    `cases`: option sets; `draws(options)`: whether the initial weights come from the rng."""

    forward: object
    cases: list[dict]
    draws: object
    n_outputs: int = 2


NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "selu": lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.expm1(z)),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "soft_sign": lambda z: z / (1 + np.abs(z)),
    "hard_tanh": lambda z: np.clip(z, -1, 1),
}


def affine(parameters, x, **options):
    weight, bias = parameters
    return x @ weight + bias


def mlp_forward(parameters, x, activation="relu", **options):
    assert activation in NUMPY_ACTIVATIONS, f'add activation "{activation}" to NUMPY_ACTIVATIONS in {FILE}'
    *hidden, (w_out, b_out) = zip(parameters[0::2], parameters[1::2])
    for w, b in hidden:
        x = NUMPY_ACTIVATIONS[activation](x @ w + b)
    return x @ w_out + b_out


def sequential_forward(parameters, x, layers=("flatten", "dense"), **options):
    """Evaluation mode: dropout is the identity, batch norm uses its initial running statistics
    (mean 0, variance 1). Covers the layers the cases below use (tests/test_layers.py has them all)."""
    parameters = list(parameters)
    for item in layers:
        name = item if isinstance(item, str) else item["type"]
        if name == "dense":
            weight, bias = parameters.pop(0), parameters.pop(0)
            x = x @ weight + bias
        elif name == "conv2d":  # of 1x1 kernels: a dense map of the channels at every pixel
            weight, bias = parameters.pop(0), parameters.pop(0)
            x = np.einsum("nchw,fc->nfhw", x, weight[:, :, 0, 0]) + bias[:, None, None]
        elif name == "batchnorm":
            gamma, beta = parameters.pop(0), parameters.pop(0)
            shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
            x = x / np.sqrt(1 + 1e-5) * gamma.reshape(shape) + beta.reshape(shape)
        elif name in ("flatten", "reshape"):
            x = x.reshape(len(x), *(item["shape"] if name == "reshape" else [-1]))
        elif name in NUMPY_ACTIVATIONS:
            x = NUMPY_ACTIVATIONS[name](x)
        else:
            assert name == "dropout", f"add layer {name} to sequential_forward in {FILE}"
    return x


SEQUENTIAL_CASES = [
    {},
    {
        "layers": [
            {"type": "dense", "units": 4, "init": "orthogonal"},
            "tanh",
            "batchnorm",
            {"type": "dropout", "rate": 0.5},
            "dense",
        ]
    },
    {
        "layers": [
            {"type": "reshape", "shape": [3, 1, 1]},
            {"type": "conv2d", "filters": 2, "kernel_size": 1},
            "relu",
            "batchnorm",
            "flatten",
            {"type": "dense", "bias_init": {"type": "constant", "value": 0.5}},
        ]
    },
]

MODEL_REFERENCES = {
    "linear": ModelReference(affine, [{}, {"init": "normal"}], lambda o: o.get("init") == "normal"),
    "logistic": ModelReference(
        affine, [{}, {"init": "normal"}], lambda o: o.get("init") == "normal", n_outputs=1
    ),
    "softmax_regression": ModelReference(
        affine, [{}, {"init": "normal"}], lambda o: o.get("init") == "normal"
    ),
    "mlp": ModelReference(
        mlp_forward,
        [{}, {"hidden": [4], "dropout": 0.5, "init": "glorot_normal"}]
        + [{"hidden": [5, 4], "activation": name} for name in ACTIVATIONS],
        lambda o: True,
    ),
    "sequential": ModelReference(sequential_forward, SEQUENTIAL_CASES, lambda o: True),
}

N_INPUTS = 3


def model_reference(name: str) -> ModelReference:
    return reference_for(
        MODEL_REFERENCES, name, "model", "its forward pass in NumPy and option sets", "MODEL_REFERENCES", FILE
    )


def make_model(name: str, options: dict, seed: int = 7):
    return MODELS.build(
        MODELS.schema(name)(type=name, **options),
        n_inputs=N_INPUTS,
        input_shape=(N_INPUTS,),
        n_outputs=model_reference(name).n_outputs,
        rng=np.random.default_rng(seed),
    )


def arrays(model) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters]


@pytest.mark.parametrize("name", MODELS.names())
def test_model_parameters_are_seeded_trainable_float64_tensors(name):
    reference = model_reference(name)
    for options in reference.cases:
        global_state = np.random.get_state()[1].copy()
        model = make_model(name, options)
        assert np.array_equal(global_state, np.random.get_state()[1]), "the global np.random must not be used"
        parameters = model.parameters
        assert len(parameters) > 0 and len({id(p) for p in parameters}) == len(parameters)
        for p in parameters:
            assert isinstance(p, mg.Tensor) and not p.constant and p.dtype == np.float64, f"{name} {options}"
        same, other = arrays(make_model(name, options)), arrays(make_model(name, options, seed=8))
        assert all(np.array_equal(a, b) for a, b in zip(arrays(model), same)), "same seed, same weights"
        differs = any(not np.array_equal(a, b) for a, b in zip(arrays(model), other))
        assert differs == reference.draws(options), (
            f"{name} {options}: another seed should draw other weights"
        )


@pytest.mark.parametrize("name", MODELS.names())
def test_model_output_matches_numpy_and_evaluation_turns_randomness_off(name):
    reference = model_reference(name)
    x = np.random.default_rng(0).normal(size=(5, N_INPUTS))
    for options in reference.cases:
        model = make_model(name, options, seed=1)
        for p in model.parameters:  # zeros would hide a swapped weight and bias
            p.data[...] = np.random.default_rng(p.size).normal(size=p.shape)
        expected = reference.forward(arrays(model), x, **options)
        with evaluation_mode(model):
            first, second = np.asarray(model(x)), np.asarray(model(x))
        assert first.shape == (5, reference.n_outputs), f"{name}: outputs {first.shape}"
        assert np.array_equal(first, second), f"{name} {options}: evaluation mode must be deterministic"
        assert np.allclose(first, expected, rtol=1e-12, atol=1e-12), f"{name} {options}: output off NumPy's"
        if options.get("dropout") or "dropout" in str(options.get("layers")):
            assert getattr(model, "training", True) is True, "evaluation_mode must restore training"
            assert not np.array_equal(model(x).data, model(x).data), "dropout draws a mask while training"


def gradient_errors(model, x: np.ndarray, target: np.ndarray) -> list[float]:
    """For each parameter, the largest gap between MyGrad's gradient of a squared error and central
    differences; a model with its own rng draws the same dropout mask at every evaluation."""
    draws = getattr(model, "rng", None)
    mask_state = draws.bit_generator.state if draws is not None else None

    def loss():
        if mask_state is not None:
            draws.bit_generator.state = mask_state
        return mg.mean((model(x) - target) ** 2)

    with mg.no_autodiff:
        expected = [central_differences(lambda: loss().item(), p.data) for p in model.parameters]
    loss().backward()
    return [
        np.inf if p.grad is None else float(np.max(np.abs(p.grad - numeric) / (1e-2 + np.abs(numeric))))
        for p, numeric in zip(model.parameters, expected)
    ]


@pytest.mark.parametrize("name", MODELS.names())
def test_model_gradients_match_finite_differences(name):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, N_INPUTS))
    for options in model_reference(name).cases:
        model = make_model(name, options, seed=3)
        errors = gradient_errors(model, x, rng.normal(size=(6, model_reference(name).n_outputs)))
        assert max(errors) < 1e-6, f"{name} {options}: gradient errors {errors}"


def test_every_model_reference_is_registered():
    assert_no_stale_references(MODEL_REFERENCES, MODELS.names(), "model", "MODEL_REFERENCES", FILE)
    assert set(NUMPY_ACTIVATIONS) == set(ACTIVATIONS), f"NUMPY_ACTIVATIONS in {FILE} lists other activations"


# ---------------------------------------------------------------- metrics


def per_class(y, predicted):
    """True positives, true counts and predicted counts of each label seen in either array."""
    labels = np.union1d(y, predicted)
    hits = np.array([np.sum((y == k) & (predicted == k)) for k in labels])
    return (
        hits,
        np.array([np.sum(y == k) for k in labels]),
        np.array([np.sum(predicted == k) for k in labels]),
    )


def r2(y, predicted):
    return 1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)


METRIC_REFERENCES = {
    "accuracy": ("classification", lambda y, p: np.mean(y == p)),
    "balanced_accuracy": ("classification", lambda y, p: np.mean([np.mean(p[y == k] == k) for k in set(y)])),
    "precision": ("classification", lambda y, p: np.mean(per_class(y, p)[0] / per_class(y, p)[2])),
    "recall": ("classification", lambda y, p: np.mean(per_class(y, p)[0] / per_class(y, p)[1])),
    "f1": ("classification", lambda y, p: np.mean(2 * per_class(y, p)[0] / np.add(*per_class(y, p)[1:]))),
    "r2": ("regression", r2),
    "mae": ("regression", lambda y, p: np.mean(np.abs(y - p))),
    "mse": ("regression", lambda y, p: np.mean((y - p) ** 2)),
    "rmse": ("regression", lambda y, p: np.sqrt(np.mean((y - p) ** 2))),
}

LABELS = np.array([0, 1, 2, 2, 1, 0, 2, 1, 1])
PREDICTED = np.array([0, 2, 2, 2, 1, 0, 1, 1, 0])


class Outputs:
    """A model that returns given outputs: row i of X holds the number i."""

    parameters = ()

    def __init__(self, outputs):
        self.outputs = outputs

    def __call__(self, x):
        return mg.tensor(self.outputs[np.asarray(x)[:, 0].astype(int)])


def metric_examples(task):
    """(labels or targets, the model's outputs, what they predict) on small examples."""
    rng = np.random.default_rng(0)
    if task == "classification":
        logits = 3 * np.eye(3)[PREDICTED] + rng.uniform(0, 1, size=(len(PREDICTED), 3))
        binary = (LABELS > 0).astype(np.int64), PREDICTED[:, None] - 0.5, (PREDICTED > 0).astype(np.int64)
        return [(LABELS, logits, PREDICTED), binary]
    y = rng.normal(size=(9, 1))
    return [(y, y + rng.normal(scale=0.5, size=y.shape), None)]


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_matches_its_formula(name):
    task, formula = reference_for(METRIC_REFERENCES, name, "metric", "its formula", "METRIC_REFERENCES", FILE)
    assert METRICS[name][0] == task
    for y, outputs, predicted in metric_examples(task):
        X = np.arange(len(y), dtype=np.float64)[:, None]
        got = score([name], task, Outputs(outputs), (X, y))[name]
        assert got == pytest.approx(formula(y, outputs if predicted is None else predicted), rel=1e-12)


def test_every_metric_reference_is_registered():
    assert_no_stale_references(METRIC_REFERENCES, METRICS, "metric", "METRIC_REFERENCES", FILE)

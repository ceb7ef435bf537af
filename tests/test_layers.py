"""Every registered layer and initializer: shapes inferred, gradients (training and evaluation mode)
against finite differences, seeds, batch norm's buffers, the errors for a wrong shape, a student's
own layer. Parametrized from the registries: a new layer without a case below fails, saying so."""

import mygrad as mg
import numpy as np
import pytest

from tests.conformance import assert_no_stale_references, reference_for
from tests.test_training import central_differences
from trainer.config.load import load_config
from trainer.errors import UserError
from trainer.nn.initializers import INITIALIZERS, initialize
from trainer.nn.layers import LAYERS
from trainer.nn.models import MODELS, buffers_of, evaluation_mode
from trainer.runs.build import build

FILE = "tests/test_layers.py"
IMAGE = (2, 6, 5)  # channels, height, width
FLAT = (6,)

# name -> (options, the input shape of one example, the output shape it gives)
LAYER_CASES = {
    "dense": ({"units": 3, "bias_init": {"type": "normal", "std": 0.5}}, FLAT, (3,)),
    "conv2d": (
        {"filters": 3, "kernel_size": 3, "stride": 2, "padding": 1, "bias_init": "uniform"},
        IMAGE,
        (3, 3, 3),
    ),
    "maxpool2d": ({"kernel_size": 2}, IMAGE, (2, 3, 2)),
    "avgpool2d": ({"kernel_size": 3, "stride": 1}, IMAGE, (2, 4, 3)),
    "flatten": ({}, IMAGE, (60,)),
    "reshape": ({"shape": [3, -1]}, IMAGE, (3, 20)),
    "dropout": ({"rate": 0.4}, FLAT, FLAT),
    "batchnorm": ({"momentum": 0.2}, IMAGE, IMAGE),
    **{name: ({}, FLAT, FLAT) for name in ("relu", "leaky_relu", "elu", "selu", "tanh", "sigmoid")},
    **{name: ({}, FLAT, FLAT) for name in ("soft_sign", "hard_tanh", "softmax", "log_softmax")},
    "glu": ({}, FLAT, (3,)),
}


def make_layer(name, seed=0):
    options, input_shape, _ = reference_for(
        LAYER_CASES, name, "layer", "its options, input and output shape", "LAYER_CASES", FILE
    )
    component = LAYERS.schema(name)(type=name, **options)
    return LAYERS.build(
        component,
        input_shape=input_shape,
        rng=np.random.default_rng(seed),
        n_outputs=4,
        default_init="he_normal",
    )


def test_every_layer_case_is_registered():
    assert_no_stale_references(LAYER_CASES, LAYERS.names(), "layer", "LAYER_CASES", FILE)


@pytest.mark.parametrize("name", LAYERS.names())
def test_layer_infers_its_output_shape_and_gives_it(name):
    layer = make_layer(name)
    _, input_shape, output_shape = LAYER_CASES[name]
    assert layer.output_shape == output_shape
    x = np.random.default_rng(1).normal(size=(4, *input_shape))
    for training in (True, False):
        layer.training = training
        assert layer(x).shape == (4, *output_shape)
    same, other = make_layer(name), make_layer(name, seed=1)
    for mine, again, theirs in zip(layer.parameters, same.parameters, other.parameters, strict=True):
        assert np.array_equal(mine.data, again.data), "same seed, same weights"
        assert mine.ndim == 1 or not np.array_equal(mine.data, theirs.data), "another seed, other weights"


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("name", LAYERS.names())
def test_layer_gradients_match_finite_differences(name, training):
    layer = make_layer(name)
    _, input_shape, _ = LAYER_CASES[name]
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, *input_shape))
    layer.training = training
    if name == "batchnorm":  # statistics other than the initial 0 and 1, so evaluation mode uses them
        layer.running_mean[...], layer.running_var[...] = rng.normal(size=2), rng.uniform(0.5, 2, size=2)
    masks = getattr(layer, "rng", None)
    saved = masks.bit_generator.state if masks is not None else None
    weights = rng.normal(size=(4, *LAYER_CASES[name][2]))

    def loss(inputs):
        if saved is not None:  # the same dropout mask at every evaluation
            masks.bit_generator.state = saved
        return mg.sum(layer(inputs) * weights)

    tensor = mg.tensor(x)
    loss(tensor).backward()
    with mg.no_autodiff:
        numeric_x = central_differences(lambda: loss(x).item(), x)
        numeric = [central_differences(lambda: loss(x).item(), p.data) for p in layer.parameters]
    assert np.allclose(tensor.grad, numeric_x, rtol=1e-5, atol=1e-7), "the input's gradient"
    for p, expected in zip(layer.parameters, numeric, strict=True):
        assert np.allclose(p.grad, expected, rtol=1e-5, atol=1e-7), "a parameter's gradient"


def test_batchnorm_keeps_running_statistics_as_buffers_and_uses_them_in_evaluation():
    layer = make_layer("batchnorm")
    x = 3 + 2 * np.random.default_rng(0).normal(size=(50, *IMAGE))
    layer(x)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)  # unbiased, as PyTorch keeps it
    assert np.allclose(layer.running_mean, 0.2 * mean) and np.allclose(layer.running_var, 0.8 + 0.2 * var)
    assert not any(buffer is p.data for buffer in layer.buffers for p in layer.parameters)
    with evaluation_mode(layer):
        out = layer(x).data
    expected = (x - layer.running_mean[:, None, None]) / np.sqrt(layer.running_var[:, None, None] + 1e-5)
    assert np.allclose(out, expected)
    assert np.allclose(layer.running_mean, 0.2 * mean), "evaluation leaves the statistics alone"


def sequential(layers, input_shape, n_outputs=3):
    component = MODELS.schema("sequential")(type="sequential", layers=layers)
    return MODELS.build(component, input_shape=input_shape, n_outputs=n_outputs, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    "layers, input_shape, message",
    [
        (
            [{"type": "conv2d", "filters": 4}, "flatten", "dense"],
            (64,),
            "layer 1 (conv2d) gets examples of shape (64,), but it needs images (channels, height, width)",
        ),
        (
            [{"type": "conv2d", "filters": 4}, "relu", "dense"],
            (1, 8, 8),
            "layer 3 (dense) gets examples of shape (4, 6, 6), but it needs flat examples (features,); put a `flatten` layer before it",
        ),
        (
            [
                {"type": "conv2d", "filters": 2, "kernel_size": 5},
                {"type": "maxpool2d", "kernel_size": 5},
                "flatten",
                "dense",
            ],
            (1, 8, 8),
            "layer 2 (maxpool2d) gets examples of shape (2, 4, 4), but it needs images of at least 5x5 pixels",
        ),
        (
            [{"type": "reshape", "shape": [5, 5]}, "flatten", "dense"],
            (64,),
            "layer 1 (reshape) gets examples of shape (64,), but it cannot give its 64 values per example the shape [5, 5]",
        ),
        (
            ["flatten", {"type": "dense", "units": 7}],
            (1, 8, 8),
            "its last layer (dense) gives examples of shape (7,), but the data and loss need 3 output(s)",
        ),
        (
            [{"type": "dense", "unit": 3}, "dense"],
            (64,),
            "layer 1 (dense): unit: Extra inputs are not permitted",
        ),
        (["flatten", "dence"], (64,), 'there is no layer called "dence". Did you mean "dense"?'),
    ],
)
def test_a_wrong_shape_or_option_is_a_clear_error_naming_the_layer(layers, input_shape, message):
    with pytest.raises(UserError) as raised:
        sequential(layers, input_shape)
    assert message in str(raised.value)


def test_dense_and_conv_start_with_the_init_suiting_the_next_activation():
    model = sequential(
        [
            {"type": "conv2d", "filters": 64},
            "relu",
            "flatten",
            {"type": "dense", "units": 500},
            "tanh",
            "dense",
        ],
        (3, 9, 9),
    )
    conv, dense = model.layers[0].weight.data, model.layers[3].weight.data
    assert np.std(conv) == pytest.approx(np.sqrt(2 / 27), rel=0.05)  # he_normal: fan_in 3 * 3 * 3
    assert np.abs(dense).max() <= np.sqrt(6 / (64 * 49 + 500)) and np.abs(dense).max() > 0.9 * np.sqrt(
        6 / (64 * 49 + 500)
    )


INITIALIZER_CASES = {  # name -> (options, the std of its entries for fans (200, 100), or None: not random)
    "zeros": ({}, None),
    "constant": ({"value": 0.5}, None),
    "normal": ({"std": 0.3}, 0.3),
    "uniform": ({"limit": 0.3}, 0.3 / np.sqrt(3)),
    "glorot_uniform": ({}, np.sqrt(2 / 300)),
    "glorot_normal": ({}, np.sqrt(2 / 300)),
    "he_uniform": ({}, np.sqrt(2 / 200)),
    "he_normal": ({}, np.sqrt(2 / 200)),
    "lecun_normal": ({}, np.sqrt(1 / 200)),
    "orthogonal": ({"gain": 2.0}, 2 / np.sqrt(200)),
}


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_initializer_draws_seeded_arrays_of_its_scale(name):
    options, std = reference_for(
        INITIALIZER_CASES, name, "initializer", "its options and std", "INITIALIZER_CASES", FILE
    )
    global_state = np.random.get_state()[1].copy()

    def draw(seed):
        return initialize({"type": name, **options}, np.random.default_rng(seed), (200, 100), 200, 100)

    values = draw(0)
    assert np.array_equal(global_state, np.random.get_state()[1]), "the global np.random must not be used"
    assert values.shape == (200, 100) and np.array_equal(values, draw(0))
    if std is None:
        assert np.all(values == options.get("value", 0.0))
    else:
        assert values.std() == pytest.approx(std, rel=0.03) and not np.array_equal(values, draw(1))
    if name == "orthogonal":
        assert np.allclose(values.T @ values, 4 * np.eye(100))


def test_every_initializer_case_is_registered():
    assert_no_stale_references(
        INITIALIZER_CASES, INITIALIZERS.names(), "initializer", "INITIALIZER_CASES", FILE
    )


def test_a_bad_init_is_a_clear_error():
    with pytest.raises(UserError, match="std"):
        sequential([{"type": "dense", "init": {"type": "normal", "std": -1}}], (4,))
    with pytest.raises(UserError, match='no initializer called "he_nromal"'):
        sequential([{"type": "dense", "init": "he_nromal"}], (4,))


STUDENT_LAYER = """\
import mygrad as mg
import numpy as np


class Square:
    '''x ** 2 with a trained scale; no output_shape: the model finds it by trying the layer.'''

    def __init__(self, input_shape, rng, start: float = 1.0):
        self.scale = mg.tensor(np.full(input_shape[0], start))

    def __call__(self, x):
        return self.scale * x**2

    @property
    def parameters(self):
        return (self.scale,)
"""


def test_a_students_own_layer_plugs_in_by_file(tmp_path):
    (tmp_path / "square.py").write_text(STUDENT_LAYER)
    (tmp_path / "config.yaml").write_text(
        "data: {type: digits}\n"
        "model: {type: sequential, layers: [{type: dense, units: 8}, {type: square.py:Square, start: 0.5}, dense]}\n"
        "loss: cross_entropy\noptimizer: {type: sgd, lr: 0.1}\n"
    )
    experiment = build(load_config(tmp_path / "config.yaml"))
    square = experiment.model.layers[1]
    assert square.output_shape == (8,) and any(p is square.scale for p in experiment.model.parameters)
    assert np.all(square.scale.data == 0.5)


def test_buffers_are_the_models_batchnorm_statistics_and_not_parameters():
    model = sequential(
        [{"type": "conv2d", "filters": 2}, "batchnorm", "flatten", "batchnorm", "dense"], (1, 5, 5)
    )
    assert [b.shape for b in buffers_of(model)] == [(2,), (2,), (18,), (18,)]
    assert len(model.parameters) == 2 + 2 + 2 + 2

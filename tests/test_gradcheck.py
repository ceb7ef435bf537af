import mygrad as mg
import numpy as np
import pytest
from mygrad.operation_base import Operation

from tests.conftest import CONFIGS, LINREG, TWO_LAYER_NET
from tests.test_cli import run_cli
from trainer.cli.main import main
from trainer.config.load import load_config
from trainer.config.yamlfile import load_yaml
from trainer.errors import UserError
from trainer.nn.losses import LOSSES
from trainer.teaching.gradcheck import check_gradients


class SquareMissingTheFactorTwo(Operation):
    """A student's hand-written square whose backward forgot the 2: d(a**2)/da written as a."""

    def __call__(self, a):
        self.variables = (a,)
        return a.data**2

    def backward_var(self, grad, index, **kwargs):
        return grad * self.variables[0].data


def wrong_mse():
    def loss(prediction, target):
        return mg.mean(mg.Tensor._op(SquareMissingTheFactorTwo, prediction - target))

    return loss


def detached_abs_mse():
    """|e| * e with |e| taken from .data: the value is right, the gradient misses half of the product rule."""

    def loss(prediction, target):
        error = prediction - target
        return mg.mean(np.abs(error.data) * error)

    return loss


def disconnected_loss():
    def loss(prediction, target):
        return mg.mean(mg.tensor((prediction.data - target) ** 2))

    return loss


def per_row_loss():
    def loss(prediction, target):
        return (prediction - target) ** 2  # forgot the mean: one number per row

    return loss


@pytest.fixture
def student_losses():
    """Losses registered by the test, as a student's file would register them."""
    added = {
        "wrong_mse": wrong_mse,
        "detached_abs_mse": detached_abs_mse,
        "disconnected": disconnected_loss,
        "per_row": per_row_loss,
    }
    for name, factory in added.items():
        LOSSES.register(name)(factory)
    yield
    for name in added:
        del LOSSES._entries[name]
        LOSSES._schemas.pop(name, None)


def test_mse_on_the_linear_model_passes_with_a_tiny_error():
    checks, rows = check_gradients(load_config(CONFIGS / "linreg.yaml"))
    assert rows == 32 and [check.name for check in checks] == ["weight", "bias"]
    assert [check.shape for check in checks] == [(3, 1), (1,)] and [check.checked for check in checks] == [
        3,
        1,
    ]
    assert all(check.passed() and check.relative_error < 1e-8 for check in checks)


def test_cli_passes_a_correct_config_with_exit_0():
    result = run_cli("gradcheck", CONFIGS / "diabetes.yaml")
    assert result.returncode == 0, result.stderr
    assert "weight" in result.stdout and "passed: every parameter" in result.stdout


def test_a_loss_with_a_wrong_backward_fails_with_exit_1(write_config, capsys, student_losses):
    path = write_config(LINREG.replace("loss: mse", "loss: wrong_mse"))
    checks, _ = check_gradients(load_config(path))
    for check in checks:  # MyGrad's gradient is half the true one: relative error |g/2 - g| / |g| = 0.5
        assert check.relative_error == pytest.approx(0.5, rel=1e-6) and not check.passed()
        index, mine, numeric = check.worst[0]
        assert mine == pytest.approx(numeric / 2, rel=1e-6)
    assert main(["gradcheck", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "the largest differences" in out and "FAILED: 2 of 2 parameters" in out


def test_a_loss_that_uses_data_inside_fails(write_config, student_losses):
    checks, _ = check_gradients(
        load_config(write_config(LINREG.replace("loss: mse", "loss: detached_abs_mse")))
    )
    assert all(check.relative_error > 0.1 and not check.passed() for check in checks)


@pytest.mark.parametrize(
    "loss, message",
    [
        ("disconnected", "the graph is cut inside the loss"),
        ("per_row", "it should return a scalar mygrad Tensor"),
    ],
)
def test_a_loss_that_cannot_be_checked_is_a_clear_error_with_exit_2(
    write_config, capsys, student_losses, loss, message
):
    path = write_config(LINREG.replace("loss: mse", f"loss: {loss}"))
    with pytest.raises(UserError, match=message):
        check_gradients(load_config(path))
    assert main(["gradcheck", str(path)]) == 2 and message in capsys.readouterr().err


def test_large_parameters_are_sampled_and_the_threshold_is_an_option(write_config, capsys):
    path = write_config(LINREG.replace("n_features: 2", "n_features: 30"))
    checks, _ = check_gradients(load_config(path), max_entries=7)
    assert [check.checked for check in checks] == [7, 1]
    assert main(["gradcheck", str(path), "--threshold", "1e-30"]) == 1  # no float computation is that exact
    assert main(["gradcheck", str(path), "data.n_features=3"]) == 0


# Every shipped training config (the descent ones name a function instead of a model).
TRAINING_CONFIGS = sorted(path.stem for path in CONFIGS.glob("*.yaml") if "model" in load_yaml(path)[0])


def test_every_shipped_config_trains_a_model_or_descends_a_function():
    for path in CONFIGS.glob("*.yaml"):
        keys = load_yaml(path)[0].keys()
        assert ("model" in keys) != bool(keys & {"function", "expression"}), path.name
    assert {"linreg", "logreg", "mlp_digits", "spiral"} <= set(TRAINING_CONFIGS)


# A CNN's batch of 32 images feeds some 100,000 values into its ReLUs: a few lie within the finite
# difference's step of the kink at 0, where central differences straddle it. Four images do not.
SMALLER_BATCH = {"cnn_digits": ["trainer.batch_size=4"], "cnn_shapes": ["trainer.batch_size=4"]}


@pytest.mark.parametrize("name", TRAINING_CONFIGS)
def test_every_shipped_model_and_loss_has_correct_gradients(name):
    """MLPs with relu, tanh and dropout, CNNs, batch norm, softmax and binary cross-entropy, l2
    penalties: all pass at a generic point."""
    config = load_config(CONFIGS / f"{name}.yaml", SMALLER_BATCH.get(name, []))
    checks, _ = check_gradients(config, max_entries=100)
    assert all(check.passed() for check in checks), [(check.name, check.relative_error) for check in checks]


def test_the_exercise_solution_passes_and_a_loss_normalized_outside_mygrad_fails(tmp_path):
    solution = TWO_LAYER_NET / "solution" / "two_layer_net.py"
    (tmp_path / "wrong.py").write_text(
        "import mygrad as mg\nimport numpy as np\n\n\n"
        "def cross_entropy(logits, labels):\n"
        "    shifted = logits - logits.data.max(axis=1, keepdims=True)\n"
        "    log_norm = np.log(np.exp(shifted.data).sum(axis=1, keepdims=True))  # should be mg.log(mg.sum(mg.exp(shifted), ...))\n"
        "    return -mg.mean((shifted - log_norm)[np.arange(len(labels)), labels])\n"
    )
    exercise = TWO_LAYER_NET / "two_layer_net.yaml"
    right = load_config(exercise, [f"model.type={solution}:TwoLayerNet", f"loss={solution}:cross_entropy"])
    assert all(check.passed() for check in check_gradients(right)[0])
    wrong = load_config(
        exercise, [f"model.type={solution}:TwoLayerNet", f"loss={tmp_path / 'wrong.py'}:cross_entropy"]
    )
    assert not any(check.passed() for check in check_gradients(wrong)[0])


def test_a_float32_config_is_checked_in_float64():
    config = load_config(CONFIGS / "mlp_digits.yaml", ["dtype=float32"])
    checks, _ = check_gradients(config, max_entries=100)
    assert all(check.passed() for check in checks)

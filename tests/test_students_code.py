"""A student's own model or loss, named in the config by file or module, and the messages they get."""

import shutil
import textwrap

import pytest

import trainer
from tests.conftest import TWO_LAYER_NET
from tests.test_cli import train_cli
from trainer.config.load import load_config
from trainer.errors import ConfigError, UserError
from trainer.runs.build import build

SOLUTION = TWO_LAYER_NET / "solution" / "two_layer_net.py"

CONFIG = """\
name: student
data: {type: moons, n_samples: 200, val_fraction: 0.25}
model: {type: "net.py:Net"}
loss: cross_entropy
optimizer: {type: sgd, lr: 0.1}
trainer: {epochs: 2, batch_size: 32}
"""

GOOD_MODEL = """\
import mygrad as mg
import numpy as np

class Net:
    def __init__(self, n_inputs, n_outputs, rng, scale: float = 0.1):
        self.w = mg.tensor(rng.normal(0, scale, (n_inputs, n_outputs)))
        self.b = mg.tensor(np.zeros(n_outputs))

    def __call__(self, x):
        return x @ self.w + self.b

    @property
    def parameters(self):
        return (self.w, self.b)
"""


def student_files(tmp_path, model=GOOD_MODEL, config=CONFIG):
    (tmp_path / "net.py").write_text(textwrap.dedent(model))
    path = tmp_path / "config.yaml"
    path.write_text(config)
    return path


@pytest.mark.filterwarnings("error")
def test_the_exercise_solution_reaches_its_target_with_no_warning(tmp_path):
    folder = tmp_path / "exercise"
    folder.mkdir()
    shutil.copy(TWO_LAYER_NET / "two_layer_net.yaml", folder)
    shutil.copy(SOLUTION, folder / "two_layer_net.py")  # the student's filled-in file
    run = trainer.train(folder / "two_layer_net.yaml", runs_dir=tmp_path)
    assert run.summary["test_accuracy"] >= 0.95 and run.summary["warnings"] == []  # once "oscillates"
    assert (run.folder / "decision_boundary.png").exists()
    assert run.config.model.type == f"{(folder / 'two_layer_net.py').resolve()}:TwoLayerNet", (
        "saved with an absolute path"
    )


def test_the_shipped_stub_fails_in_the_students_file(tmp_path):
    shutil.copy(TWO_LAYER_NET / "two_layer_net.yaml", tmp_path)
    shutil.copy(TWO_LAYER_NET / "starter" / "two_layer_net.py", tmp_path)
    with pytest.raises(NotImplementedError, match="TwoLayerNet.__init__"):
        build(load_config(tmp_path / "two_layer_net.yaml"))


def test_the_students_loss_equals_the_built_in_one():
    import mygrad as mg
    import numpy as np

    from trainer.usercode import load

    cross_entropy = load(f"{SOLUTION}:cross_entropy")
    logits, labels = np.random.default_rng(0).normal(size=(5, 3)) * 30, np.array([0, 2, 1, 1, 0])
    assert cross_entropy(mg.tensor(logits), labels).item() == pytest.approx(
        mg.nnet.softmax_crossentropy(logits, labels).item()
    )


def test_a_model_from_a_module_with_its_options_validated(tmp_path, write_config, monkeypatch):
    (tmp_path / "course_models.py").write_text(SOLUTION.read_text())
    monkeypatch.syspath_prepend(tmp_path)
    path = write_config(
        "allow_modules: [course_models]\n" + CONFIG.replace("net.py:Net", "course_models:TwoLayerNet")
    )
    config = load_config(path, ["model.hidden=8"])
    assert config.model.hidden == 8
    assert "model.hidden = 'x' is not valid" in str(
        pytest.raises(ConfigError, load_config, path, ["model.hidden=x"]).value
    )


def test_an_unknown_option_shows_the_signature(tmp_path):
    path = student_files(tmp_path, config=CONFIG.replace('"net.py:Net"', '"net.py:Net", scal: 0.5'))
    message = str(pytest.raises(ConfigError, load_config, path).value)
    assert 'unknown key model.scal. Did you mean "scale"?' in message
    assert (
        "The signature is Net(n_inputs, n_outputs, rng, scale: float = 0.1); the framework supplies n_inputs, input_shape, n_outputs, rng itself."
        in message
    )


@pytest.mark.parametrize(
    "type_name, expected",
    [
        ("nett.py:Net", "nett.py does not exist"),
        ("net.py:Nte", 'net.py has no "Nte". Did you mean "Net"? It defines: Net.'),
        ("net.py", "name the file and the class or function in it: net.py:Name"),
        ("no_such_package.models:Net", "there is no Python module no_such_package.models"),
    ],
)
def test_missing_file_or_name_lists_what_exists(tmp_path, type_name, expected):
    path = student_files(
        tmp_path, config="allow_modules: [no_such_package]\n" + CONFIG.replace("net.py:Net", type_name)
    )
    assert expected in str(pytest.raises(ConfigError, load_config, path).value)


def test_an_error_while_importing_names_the_students_line(tmp_path):
    path = student_files(tmp_path, model="import numpy as np\n\nx = np.zeros(3)\ny = undefined_name\n")
    assert "importing" in str(pytest.raises(ConfigError, load_config, path).value)
    assert "line 4: NameError: name 'undefined_name' is not defined" in str(
        pytest.raises(ConfigError, load_config, path).value
    )


BROKEN = [
    (
        "return x @ self.w + self.b",
        "return (x @ self.w + self.b)[:, 0]",
        "the model returned shape (4,) for a batch of 4 rows; it should be (4, 2)",
    ),
    (
        "return x @ self.w + self.b",
        "return (x @ self.w + self.b).data",
        "the model returned a ndarray, not a mygrad Tensor",
    ),
    ("return (self.w, self.b)", "return ()", "`parameters` is empty"),
    (
        "return (self.w, self.b)",
        "return (self.w, mg.tensor(self.b, constant=True))",
        "parameter #1 of the model is a constant Tensor",
    ),
    (
        "return (self.w, self.b)",
        "return (self.w, self.b, mg.tensor(np.ones(3)))",
        "parameter #2 (shape (3,)) of the model got no gradient",
    ),
    ("    @property\n", "", "`parameters` is a method; write @property above it"),
]


@pytest.mark.parametrize(
    "old, new, expected", BROKEN, ids=["shape", "array", "empty", "constant", "unused", "method"]
)
def test_a_broken_model_is_explained_before_training(tmp_path, old, new, expected):
    path = student_files(tmp_path, model=GOOD_MODEL.replace(old, new))
    assert expected in str(pytest.raises(UserError, build, load_config(path)).value)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("return mg.nnet.softmax_crossentropy(logits, labels) * mg.ones(3)", "the loss returned shape (3,)"),
        ("return mg.nnet.softmax_crossentropy(logits, labels).item()", "the loss returned a float"),
    ],
)
def test_a_loss_that_is_not_a_scalar_tensor(tmp_path, body, expected):
    model = GOOD_MODEL + f"\n\ndef my_loss(logits, labels):\n    {body}\n"
    path = student_files(
        tmp_path, model=model, config=CONFIG.replace("loss: cross_entropy", 'loss: "net.py:my_loss"')
    )
    assert expected in str(pytest.raises(UserError, build, load_config(path)).value)


def test_a_regression_target_reaches_the_students_loss_shaped_like_the_prediction(tmp_path):
    model = (
        GOOD_MODEL
        + "\n\ndef my_mse(prediction, target):\n    assert prediction.shape == target.shape\n    return mg.mean((prediction - target) ** 2)\n"
    )
    config = CONFIG.replace("moons, n_samples: 200", "function, n_samples: 200").replace(
        "loss: cross_entropy", 'loss: "net.py:my_mse"'
    )
    run = trainer.train(student_files(tmp_path, model=model, config=config), runs_dir=tmp_path)
    assert run.summary["status"] == "completed"


def test_cli_shows_a_students_mistake_in_one_paragraph(tmp_path):
    path = student_files(tmp_path, model=GOOD_MODEL.replace("return (self.w, self.b)", "return ()"))
    result = train_cli(path, "--runs-dir", tmp_path / "runs", cwd=tmp_path)
    assert (
        result.returncode == 2
        and "`parameters` is empty" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "call, expected",
    [
        ("sys.exit(0)", "your code called sys.exit(0), which would end the program"),
        ("undefined_name", "your code raised NameError: name 'undefined_name' is not defined"),
    ],
)
def test_students_code_that_raises_or_exits_shows_their_line_and_exits_2(tmp_path, call, expected):
    model = "import sys\n" + GOOD_MODEL.replace(
        "        return x @ self.w + self.b", f"        {call}\n        return x @ self.w + self.b"
    )
    result = train_cli(student_files(tmp_path, model=model), "--runs-dir", tmp_path / "runs", cwd=tmp_path)
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert "trying your model and loss on the first rows of the training data" in result.stderr
    assert f"net.py, line 11, in __call__:\n    {call}" in result.stderr
    assert "Traceback" not in result.stderr and "trainer/" not in result.stderr

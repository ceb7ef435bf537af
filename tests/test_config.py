import pytest

from tests.conftest import CONFIGS
from trainer.config.load import load_config
from trainer.errors import ConfigError


def error_for(path, overrides=()):
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return str(caught.value)


def test_linreg_config_is_typed_and_filled_with_defaults():
    config = load_config(CONFIGS / "linreg.yaml")
    assert config.name == "linreg"
    assert config.optimizer.type == "sgd" and config.optimizer.lr == 0.05
    assert config.model.type == "linear" and config.model.options() == {"init": "zeros"}
    assert config.data.options() == {"n_samples": 500, "n_features": 3, "noise": 0.1, "bias": 0.0}
    assert config.to_dict()["trainer"]["epochs"] == 20 and config.to_dict()["trainer"]["batch_size"] == 32


def test_name_defaults_to_the_file_stem(write_config):
    path = write_config(
        "data: diabetes\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n", "my-exp.yaml"
    )
    assert load_config(path).name == "my-exp"


def test_overrides_are_parsed_as_yaml_scalars(write_config):
    config = load_config(
        write_config(),
        ["optimizer.lr=1e-3", "trainer.epochs=7", "data.standardize=false", "model.init=normal"],
    )
    assert config.optimizer.lr == 0.001
    assert config.trainer.epochs == 7
    assert config.data.standardize is False
    assert config.model.type == "linear" and config.model.init == "normal"


def test_unknown_key_names_its_line_and_suggests_the_close_name(write_config):
    path = write_config(
        "data: diabetes\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\ntrainer:\n  epocs: 3\n"
    )
    message = error_for(path)
    assert f"{path}, line 6" in message
    assert "trainer.epocs" in message and 'Did you mean "epochs"?' in message


def test_unknown_component_name_suggests_the_close_name(write_config):
    message = error_for(write_config(), ["optimizer.type=sdg"])
    assert 'no optimizer called "sdg"' in message and 'Did you mean "sgd"?' in message
    assert 'override "optimizer.type=sdg"' in message


@pytest.mark.parametrize(
    "override, expected",
    [
        ("optimizer.lr=-0.1", "optimizer.lr = -0.1 is out of range: it must be > 0"),
        ("optimizer.lr=0", "optimizer.lr = 0 is out of range: it must be > 0"),
        ("trainer.batch_size=0", "trainer.batch_size = 0 is out of range: it must be >= 1"),
        ("data.val_fraction=1.0", "data.val_fraction = 1.0 is out of range: it must be in [0, 1)"),
        ("data.test_fraction=-0.1", "data.test_fraction = -0.1 is out of range: it must be in [0, 1)"),
        ("trainer.epochs=2.5", "trainer.epochs = 2.5 is not valid: it should be a valid integer"),
        ("trainer.epochs=true", "trainer.epochs = True is not valid: it should be a valid integer"),
        ("optimizer.lr=fast", "optimizer.lr = 'fast' is not valid: it should be a valid number"),
        ("optimizer.lrr=0.1", 'unknown key optimizer.lrr. Did you mean "lr"?'),
        ("trainer.checkpoint_every=0", "trainer.checkpoint_every = 0 is out of range: it must be >= 1"),
        ("trainer.clip_grad_norm=-1", "trainer.clip_grad_norm = -1 is out of range: it must be > 0"),
        ("traner.epochs=3", 'unknown key traner. Did you mean "trainer"?'),
    ],
)
def test_bad_values_name_key_value_and_allowed_range(write_config, override, expected):
    assert expected in error_for(write_config(), [override])


def test_a_list_item_out_of_range_names_its_position(write_config):
    message = error_for(write_config(), ["model=mlp", "model.hidden=[16, 0]"])
    assert "model.hidden.1 = 0 is out of range: it must be >= 1" in message


def test_fractions_must_leave_training_data(write_config):
    message = error_for(write_config(), ["data.val_fraction=0.5", "data.test_fraction=0.5"])
    assert "val_fraction + test_fraction = 1 leaves no training data" in message


def test_out_of_range_value_in_the_file_names_its_line(write_config):
    path = write_config("data: diabetes\nmodel: linear\nloss: mse\noptimizer:\n  type: sgd\n  lr: -1\n")
    assert error_for(path) == f"{path}, line 6: optimizer.lr = -1 is out of range: it must be > 0."


def test_several_problems_are_reported_together(write_config):
    message = error_for(write_config(), ["optimizer.lr=-1", "trainer.batch_size=0"])
    assert "2 problems" in message and "optimizer.lr" in message and "trainer.batch_size" in message


def test_missing_required_sections_are_named(write_config):
    message = error_for(write_config("data: diabetes\nmodel: linear\n"))
    assert "loss is missing" in message and "optimizer is missing" in message


@pytest.mark.parametrize("override", ["optimizer", "=3", "optimizer..lr=1", "trainer.epochs.x=1"])
def test_malformed_override_is_a_clear_error(write_config, override):
    message = error_for(write_config(), [override])
    assert override in message


def test_invalid_yaml_names_the_line(write_config):
    path = write_config("data: diabetes\nmodel: [linear\nloss: mse\n")
    message = error_for(path)
    assert "is not valid YAML" in message and "line " in message


def test_duplicate_keys_are_an_error(write_config):
    path = write_config(
        "data: diabetes\nmodel: linear\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
    )
    assert "line 3: key model appears twice" in error_for(path)


def test_missing_file_and_non_mapping(tmp_path, write_config):
    assert "does not exist" in error_for(tmp_path / "nope.yaml")
    assert "should hold a mapping" in error_for(write_config("- just\n- a list\n"))


def test_yaml_is_read_with_a_safe_loader(write_config):
    path = write_config("data: !!python/object/apply:os.system ['echo hacked']\n")
    assert "is not valid YAML" in error_for(path)


def test_csv_path_is_relative_to_the_config_and_must_exist(write_config, tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,2\n")
    text = "data: {type: csv, path: d.csv, target: y}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
    config = load_config(write_config(text))
    assert config.data.path == tmp_path / "d.csv"
    message = error_for(write_config(text.replace("d.csv", "missing.csv")))
    assert "data.path" in message and "missing.csv does not exist" in message


@pytest.mark.parametrize(
    "where, text, overrides",
    [
        ("command line", None, ["epochs=5"]),
        ("file", "data: diabetes\nmodel: linear\nloss: mse\noptimizer: sgd\nepochs: 5\n", []),
    ],
)
def test_epochs_one_level_too_high_points_to_trainer_epochs(write_config, where, text, overrides):
    message = error_for(write_config(text) if text else write_config(), overrides)
    assert 'unknown key epochs. Did you mean "trainer.epochs"?' in message


@pytest.mark.parametrize("text", ["1e3", "1000.0"])
def test_a_whole_number_written_as_a_float_is_accepted_as_an_integer(write_config, text):
    config = load_config(write_config(), [f"trainer.epochs={text}", "model={type: mlp, hidden: [1e1, 2.0]}"])
    assert config.trainer.epochs == 1000 and type(config.trainer.epochs) is int
    assert config.model.hidden == [10, 2]
    assert "trainer.epochs = 2.5 is not valid" in error_for(write_config(), ["trainer.epochs=2.5"])


def test_a_file_name_unfit_for_a_folder_gives_a_name_that_is(write_config):
    text = "data: diabetes\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
    assert load_config(write_config(text, "my config (2).yaml")).name == "my_config_2"
    assert load_config(write_config(text, "__.yaml")).name == "run"


def test_a_descent_config_given_to_train_names_the_command_that_fits():
    message = error_for(CONFIGS / "paraboloid.yaml")
    assert "is a config for `mgtrain descend` (it has function, start, steps)" in message
    assert "\n" not in message  # one sentence, not a list of every key

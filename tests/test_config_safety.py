"""A config is data: it never runs a command, names only code it was meant to, and is bounded in
size before it is built (issue 15, items 1 and 2)."""

import pytest

from tests.conftest import LINREG
from trainer.cli.main import main

TRAIN = "data: {type: synthetic_linear, n_samples: 50}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
DESCEND = "optimizer: {type: sgd, lr: 0.1}\nstart: [1, 1]\n"


def run(args, capsys) -> tuple[int, str]:
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    "block, message",
    [
        ('model: {type: "os:system", command: "touch PWNED"}', "can never name code in the module os"),
        (
            'data: {type: "subprocess:getoutput", cmd: "touch PWNED"}',
            "can never name code in the module subprocess",
        ),
        ('model: {type: "os.path:join"}', "can never name code in the module os"),
        ('model: {type: "trainer.runs.run:train"}', "name its components by their registered names"),
        ('loss: "json:loads"', "add `allow_modules: [json]` to the config"),
    ],
)
def test_a_training_config_cannot_run_a_command(tmp_path, write_config, capsys, monkeypatch, block, message):
    monkeypatch.chdir(tmp_path)
    key = block.split(":")[0]
    text = (
        "\n".join(line for line in TRAIN.splitlines() if not line.startswith(key + ":")) + "\n" + block + "\n"
    )
    status, err = run([write_config(text), "--runs-dir", tmp_path / "runs"], capsys)
    assert status == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "function, message",
    [
        ('{type: "shutil:rmtree", path: VICTIM}', "can never name code in the module shutil"),
        ('{type: "SHUTIL_FILE:rmtree", path: VICTIM}', "belongs to the Python installation"),
        (
            '{type: "/usr/lib/python3.11/shutil.py:rmtree", path: VICTIM}',
            "belongs to the Python installation",
        ),
    ],
)
def test_a_descent_config_cannot_delete_a_folder(tmp_path, write_config, capsys, function, message):
    import shutil

    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    function = function.replace("VICTIM", str(victim)).replace("SHUTIL_FILE", shutil.__file__)
    status, err = run(
        ["descend", write_config(f"function: {function}\n{DESCEND}"), "--runs-dir", tmp_path], capsys
    )
    assert status == 2 and message in err and (victim / "sub").is_dir()


def test_an_allowed_module_is_used_and_must_be_a_class_or_function(tmp_path, write_config, capsys):
    loss = "loss: mygrad.nnet.losses:softmax_crossentropy"
    config = write_config(
        "data: iris\nmodel: softmax_regression\noptimizer: {type: sgd, lr: 0.1}\n" + loss + "\n"
    )
    status, err = run([config, "--runs-dir", tmp_path, "--no-progress", "trainer.epochs=2"], capsys)
    assert status == 2 and "allow_modules: [mygrad]" in err
    status, err = run(
        [config, "--runs-dir", tmp_path, "--no-progress", "trainer.epochs=2", "allow_modules=[mygrad]"],
        capsys,
    )
    assert status == 0, err
    status, err = run([config, "allow_modules=[mygrad]", "loss.type=mygrad:__version__", "--check"], capsys)
    assert status == 2 and "not a class or function written in Python" in err


def test_an_optimizer_class_needs_a_step(tmp_path, write_config, capsys):
    (tmp_path / "opt.py").write_text(
        "class Slow:\n    def __init__(self, lr: float = 0.1):\n        self.lr = lr\n"
    )
    status, err = run(
        [write_config(LINREG.replace("{type: sgd, lr: 0.05}", "opt.py:Slow")), "--check"], capsys
    )
    assert (
        status == 2
        and "cannot be the optimizer: it lacks the methods step, state_dict, load_state_dict" in err
    )


def test_an_alias_bomb_is_refused_before_it_is_built(tmp_path, write_config, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]  # 9^10 values
    status, err = run([write_config("\n".join(lines) + "\n" + TRAIN), "--check"], capsys)
    assert status == 2 and "too large" in err and "aliases" in err


def test_deep_nesting_and_huge_files_are_clear_errors(write_config, capsys):
    status, err = run([write_config("x: " + "[" * 100_000 + "]" * 100_000 + "\n" + TRAIN), "--check"], capsys)
    assert status == 2 and "nests too deeply" in err
    status, err = run([write_config("#" + "x" * (2 << 20) + "\n" + TRAIN), "--check"], capsys)
    assert status == 2 and "larger than 1024 KiB" in err
    status, err = run([write_config(TRAIN), "--check", "seed=" + "[" * 70 + "1" + "]" * 70], capsys)
    assert status == 2 and "too large" in err

"""Checkpoints and exact resume: a run killed (SIGKILL) anywhere and resumed equals an uninterrupted run."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import trainer
from tests.conftest import ROOT
from trainer.contracts import Callback
from trainer.errors import UserError
from trainer.training import checkpoint

# 150 training rows, batches of 16: 10 steps an epoch, 4 epochs; a checkpoint every 3 steps too.
RESUMABLE = """\
name: resumable
seed: 5
data: {type: synthetic_linear, n_samples: 200, n_features: 3, noise: 0.5, val_fraction: 0.25}
model: {type: linear, init: normal}
loss: mse
optimizer: {type: sgd, lr: 0.02}
trainer: {epochs: 4, batch_size: 16, checkpoint_every: 3, early_stopping: {patience: 10}}
"""


class KillAt(Callback):
    """SIGKILL this process after `step` steps, or, with `before_epoch_end`, during that step's end."""

    def __init__(self, step: int, before_epoch_end: bool = False):
        self.step, self.before_epoch_end = step, before_epoch_end

    def on_step_begin(self, state):
        if state.step == self.step and not self.before_epoch_end:
            os.kill(os.getpid(), signal.SIGKILL)

    def on_step_end(self, state, loss):
        if state.step == self.step and self.before_epoch_end:
            os.kill(os.getpid(), signal.SIGKILL)


def train_and_get_killed(config, runs_dir, killer):
    process = multiprocessing.get_context("fork").Process(
        target=trainer.train, args=(config,), kwargs={"runs_dir": runs_dir, "callbacks": [killer]}
    )
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    (folder,) = (runs_dir / "resumable").iterdir()
    return folder


def assert_same_run(resumed, reference):
    for name in ("steps.csv", "epochs.csv"):
        assert (resumed.folder / name).read_bytes() == (reference.folder / name).read_bytes(), name
    for mine, theirs in zip(resumed.model.parameters, reference.model.parameters):
        assert np.array_equal(mine.data, theirs.data)
    final = checkpoint.load(resumed.folder / "checkpoints" / "last.npz")
    for saved, theirs in zip(final["parameters"], reference.model.parameters):
        assert np.array_equal(saved, theirs.data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("reference") / "config.yaml"
    path.write_text(RESUMABLE)
    return trainer.train(path, runs_dir=path.parent / "runs")


# Two kills in the quick loop; the others (the loop of kill -9 over more places) with the slow tests.
@pytest.mark.parametrize(
    "killer",
    [
        pytest.param(KillAt(4), id="mid-epoch after a checkpoint"),
        pytest.param(KillAt(20, before_epoch_end=True), id="inside an epoch's end"),
        pytest.param(KillAt(6), id="right after a checkpoint", marks=pytest.mark.slow),
        pytest.param(KillAt(10), id="at an epoch boundary", marks=pytest.mark.slow),
        pytest.param(KillAt(1), id="first step", marks=pytest.mark.slow),
        pytest.param(KillAt(33), id="last epoch", marks=pytest.mark.slow),
    ],
)
def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path, write_config, reference, killer):
    folder = train_and_get_killed(write_config(RESUMABLE), tmp_path / "runs", killer)
    resumed = trainer.train(resume=folder)
    assert resumed.summary["status"] == "completed" and resumed.summary["steps"] == 40
    assert_same_run(resumed, reference)


def test_dropout_masks_resume_exactly_too(tmp_path, write_config):
    text = RESUMABLE.replace(
        "model: {type: linear, init: normal}", "model: {type: mlp, hidden: [8], dropout: 0.3}"
    ).replace("lr: 0.02", "lr: 0.002")
    reference = trainer.train(write_config(text), runs_dir=tmp_path / "reference")
    assert reference.summary["status"] == "completed"
    folder = train_and_get_killed(write_config(text), tmp_path / "runs", KillAt(7))
    assert_same_run(trainer.train(resume=folder), reference)


def test_float32_adam_resumes_exactly(tmp_path, write_config):
    text = RESUMABLE.replace("seed: 5", "seed: 5\ndtype: float32").replace(
        "{type: sgd, lr: 0.02}", "{type: adam, lr: 0.01}"
    )
    reference = trainer.train(write_config(text), runs_dir=tmp_path / "reference")
    folder = train_and_get_killed(write_config(text), tmp_path / "runs", KillAt(14))
    resumed = trainer.train(resume=folder)
    assert {p.dtype for p in resumed.model.parameters} == {np.dtype(np.float32)}
    assert_same_run(resumed, reference)


def test_resume_may_raise_the_epochs_and_matches_a_longer_run(tmp_path, write_config, capsys):
    path = write_config(RESUMABLE)
    short = trainer.train(path, ["trainer.epochs=2"], runs_dir=tmp_path / "a")
    longer = trainer.train(resume=short.folder, overrides=["trainer.epochs=4"])
    straight = trainer.train(path, runs_dir=tmp_path / "b")
    assert longer.folder == short.folder and longer.summary["epochs_completed"] == 4
    assert_same_run(longer, straight)
    again = trainer.train(resume=short.folder)  # nothing left to train: it says how to train longer
    assert again.summary["epochs_completed"] == 4 and "trainer.epochs=8" in capsys.readouterr().err


def test_resume_with_an_edited_config_lists_the_changed_keys(tmp_path, write_config):
    path = write_config(RESUMABLE)
    run = trainer.train(path, ["trainer.epochs=1"], runs_dir=tmp_path)
    with pytest.raises(UserError) as caught:
        trainer.train(
            path, ["optimizer.lr=0.5", "trainer.batch_size=8", "trainer.epochs=3"], resume=run.folder
        )
    message = str(caught.value)
    assert "optimizer.lr: 0.02 -> 0.5" in message and "trainer.batch_size: 16 -> 8" in message
    assert "trainer.epochs" not in message.split("Only")[0]


def test_resume_of_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(UserError, match="is not a run folder"):
        trainer.train(resume=tmp_path)


def test_damaged_last_checkpoint_falls_back_to_the_previous_one(tmp_path, write_config, reference, capsys):
    short = trainer.train(write_config(RESUMABLE), ["trainer.epochs=2"], runs_dir=tmp_path / "runs")
    folder = short.folder
    last = folder / "checkpoints" / "last.npz"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])  # truncated, as by a full disk
    resumed = trainer.train(resume=folder, overrides=["trainer.epochs=4"])
    assert "last.npz cannot be read" in capsys.readouterr().err
    assert_same_run(resumed, reference)


def test_no_readable_checkpoint_is_a_clear_error(tmp_path, write_config):
    folder = train_and_get_killed(write_config(RESUMABLE), tmp_path / "runs", KillAt(8))
    for path in (folder / "checkpoints").iterdir():
        path.write_bytes(b"garbage")
    with pytest.raises(UserError, match="no readable checkpoint"):
        trainer.train(resume=folder)


def test_a_checkpoint_round_trips_every_value_exactly(tmp_path):
    rng = np.random.default_rng(1)
    content = {
        "parameters": [rng.normal(size=(3, 2)), np.zeros(2)],
        "loop": {"loss": 0.1 + 0.2, "rng": rng.bit_generator.state, "none": None},
    }
    checkpoint.save(tmp_path / "c.npz", content)
    loaded = checkpoint.load(tmp_path / "c.npz")
    assert loaded["loop"] == content["loop"]
    assert all(np.array_equal(a, b) for a, b in zip(loaded["parameters"], content["parameters"]))
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_saves_prints_the_resume_command_and_exits_130(tmp_path, write_config, signum):
    path = write_config(
        RESUMABLE.replace("epochs: 4", "epochs: 3000").replace(", early_stopping: {patience: 10}", "")
    )
    command = [
        sys.executable,
        str(ROOT / "scripts" / "train.py"),
        str(path),
        "--runs-dir",
        str(tmp_path / "runs"),
        "--no-progress",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while (
        process.poll() is None
        and not list((tmp_path / "runs").glob("resumable/*/epochs.csv"))
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (folder,) = (tmp_path / "runs" / "resumable").iterdir()
    assert f"--resume {folder}" in err
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "interrupted" and 0 < summary["steps"] < 30000
    saved = checkpoint.load(folder / "checkpoints" / "last.npz")
    assert saved["loop"]["step"] == summary["steps"], "the checkpoint holds the last finished step"

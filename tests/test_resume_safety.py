"""A resume continues the very run it names, or refuses; a run killed after its last checkpoint is
finished by its resume (issue 15, items 7 and 8)."""

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

import trainer
from tests.conftest import ROOT
from tests.test_resume import RESUMABLE, assert_same_run, train_and_get_killed
from trainer.contracts import Callback
from trainer.errors import UserError


class KillAtTrainEnd(Callback):
    """SIGKILL the process once training is over: after the last checkpoint, before summary.json and
    the plots. With `stop_after`, the run first stops at that epoch's end, as early stopping does."""

    def __init__(self, stop_after: int | None = None):
        self.stop_after = stop_after

    def on_epoch_end(self, state, logs):
        if state.epoch == self.stop_after:
            state.stop, state.status = True, "stopped_early"

    def on_train_end(self, state):
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture
def finished(tmp_path, write_config):
    return trainer.train(write_config(RESUMABLE), runs_dir=tmp_path / "runs")


def test_a_hand_edited_config_yaml_is_refused_naming_the_changed_key(finished):
    path = finished.folder / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["optimizer"]["lr"] = 0.2  # ten times the rate the checkpoint was trained with
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    summary_before = (finished.folder / "summary.json").read_bytes()
    with pytest.raises(UserError, match=r"optimizer\.lr: 0\.02 -> 0\.2\).*was it edited"):
        trainer.train(resume=finished.folder, overrides=["trainer.epochs=6"])
    assert (finished.folder / "summary.json").read_bytes() == summary_before


def test_fewer_epochs_than_the_run_trained_are_refused(finished):
    before = {name: (finished.folder / name).read_bytes() for name in ("config.yaml", "summary.json")}
    with pytest.raises(UserError, match="trainer.epochs=3 is fewer than the 4 epochs"):
        trainer.train(resume=finished.folder, overrides=["trainer.epochs=3"])
    assert {name: (finished.folder / name).read_bytes() for name in before} == before


def test_a_run_killed_before_its_summary_is_finished_by_resume(tmp_path, write_config, finished):
    folder = train_and_get_killed(write_config(RESUMABLE), tmp_path / "killed", KillAtTrainEnd())
    assert not (folder / "summary.json").exists() and not (folder / "loss.png").exists()
    command = [sys.executable, "-m", "trainer", "train", "--resume", str(folder), "--expect", "val_loss<100"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Nothing is left to train" in done.stderr and "Traceback" not in done.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["epochs_completed"] == 4
    assert summary["val_loss"] == finished.summary["val_loss"]
    assert (folder / "loss.png").exists() and json.loads((folder / "grade.json").read_text())["passed"]
    assert_same_run(trainer.train(resume=folder), finished)


def test_a_run_that_stopped_early_stays_stopped_when_resumed(tmp_path, write_config):
    folder = train_and_get_killed(write_config(RESUMABLE), tmp_path / "runs", KillAtTrainEnd(stop_after=2))
    resumed = trainer.train(resume=folder)
    assert resumed.summary["status"] == "stopped_early" and resumed.summary["epochs_completed"] == 2


def test_raising_the_epochs_of_a_cosine_run_is_refused_with_the_jump(tmp_path, write_config):
    path = write_config(RESUMABLE + "schedule: {type: cosine}\n")
    short = trainer.train(path, ["trainer.epochs=2"], runs_dir=tmp_path)
    with pytest.raises(
        UserError, match=r"at step 20 would jump from 0 to 0\.01 instead of continuing"
    ) as error:
        trainer.train(resume=short.folder, overrides=["trainer.epochs=4"])
    assert "start a new run with trainer.epochs=4" in str(error.value)


def test_a_schedule_of_the_step_alone_continues_its_curve_when_extended(tmp_path, write_config):
    path = write_config(RESUMABLE + "schedule: {type: exponential, gamma: 0.5}\n")
    short = trainer.train(path, ["trainer.epochs=2"], runs_dir=tmp_path / "a")
    longer = trainer.train(resume=short.folder, overrides=["trainer.epochs=4"])
    assert_same_run(longer, trainer.train(path, runs_dir=tmp_path / "b"))

"""Early stopping, divergence, the reproducibility record, and a runs folder that cannot be used."""

import json
import sys
from collections import namedtuple

import numpy as np
import pytest

import trainer
from tests.test_cli import train_cli
from trainer.errors import UserError
from trainer.training import checkpoint

NOISY = """\
name: noisy
seed: 1
data: {type: synthetic_linear, n_samples: 60, n_features: 20, noise: 30.0, val_fraction: 0.5}
model: linear
loss: mse
optimizer: {type: sgd, lr: 0.05}
trainer: {epochs: 200, batch_size: 8, early_stopping: {patience: 3}}
"""


def test_early_stopping_stops_and_restores_the_best_parameters(tmp_path, write_config):
    run = trainer.train(write_config(NOISY), runs_dir=tmp_path)
    summary = run.summary
    assert summary["status"] == "stopped_early" and summary["stopped_epoch"] < 200
    val_losses = [logs["val_loss"] for logs in run.history]
    best_epoch = int(np.argmin(val_losses)) + 1
    assert summary["best_epoch"] == best_epoch and summary["stopped_epoch"] == best_epoch + 3
    assert summary["best"]["monitor"] == "val_loss" and summary["best"]["mode"] == "min"
    assert summary["best"]["value"] == summary["best"]["val_loss"] == min(val_losses)
    assert summary["best"]["epoch"] == best_epoch
    best = checkpoint.load(run.folder / "checkpoints" / "best.npz")
    for restored, saved in zip(run.model.parameters, best["parameters"]):
        assert np.array_equal(restored.data, saved)


def test_early_stopping_is_off_unless_configured(tmp_path, write_config):
    run = trainer.train(
        write_config(NOISY.replace(", early_stopping: {patience: 3}", "")),
        ["trainer.epochs=30"],
        runs_dir=tmp_path,
    )
    assert run.summary["status"] == "completed" and run.summary["epochs_completed"] == 30


def test_monitor_must_be_a_logged_value(write_config):
    from trainer.config.load import load_config

    with pytest.raises(
        UserError,
        match=r"trainer.early_stopping.monitor = 'val_los' is not logged every epoch. Did you mean \"val_loss\"\?",
    ):
        load_config(write_config(NOISY), ["trainer.early_stopping.monitor=val_los"])


def test_divergence_stops_with_an_explanation_and_keeps_the_last_good_checkpoint(tmp_path, write_config):
    path = write_config()
    run = trainer.train(path, ["optimizer.lr=1.1", "trainer.epochs=50"], runs_dir=tmp_path)
    summary = run.summary
    assert summary["status"] == "diverged" and summary["epochs_completed"] >= 1
    message = summary["divergence"]
    assert f"at step {summary['steps']}" in message and "the learning rate was 1.1" in message
    assert (
        "learning rate is too large" in message
        and "optimizer.lr=0.11" in message
        and "standardize" not in message
    )
    # `best` holds the last improvement (`last`, too, once a save was due before the divergence)
    for path in (run.folder / "checkpoints").glob("*.npz"):
        saved = checkpoint.load(path)
        assert (
            all(np.isfinite(p).all() for p in saved["parameters"])
            and saved["loop"]["step"] < summary["steps"]
        )
    assert (run.folder / "checkpoints" / "best.npz").exists()


def test_divergence_advice_follows_what_the_run_shows(tmp_path, write_config):
    run = trainer.train(
        write_config(), ["data=diabetes", "data.standardize=false", "optimizer.lr=0.01"], runs_dir=tmp_path
    )
    assert run.summary["status"] == "diverged" and "data.standardize: true" in run.summary["divergence"]


def test_cli_exit_status_3_on_divergence(tmp_path, write_config):
    result = train_cli(write_config(), "optimizer.lr=2", "--runs-dir", tmp_path, cwd=tmp_path)
    assert (
        result.returncode == 3
        and "Training diverged at step" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_environment_record(tmp_path, write_config):
    run = trainer.train(write_config(), runs_dir=tmp_path)
    record = json.loads((run.folder / "environment.json").read_text())
    assert record["seed"] == 3 and record["packages"]["mygrad"].startswith("2.")
    assert len(record["config_hash"]) == 64 and len(record["data_hash"]) == 64
    assert record["python"].startswith(sys.version.split()[0])
    assert record["git_commit"] is None or len(record["git_commit"].split("-")[0]) == 40
    again = trainer.train(write_config(), runs_dir=tmp_path)
    assert json.loads((again.folder / "environment.json").read_text())["data_hash"] == record["data_hash"]


def test_a_full_disk_is_reported_before_training(tmp_path, write_config, monkeypatch):
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr("shutil.disk_usage", lambda path: Usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(UserError, match="needs about .* MiB"):
        trainer.train(write_config(), runs_dir=tmp_path / "runs")
    assert not list((tmp_path / "runs").rglob("*.*")), "no run folder is left behind"


def test_a_runs_folder_that_cannot_be_created_is_reported_before_training(write_config):
    with pytest.raises(UserError, match="cannot create a run folder under /proc/trainer-runs"):
        trainer.train(write_config(), runs_dir="/proc/trainer-runs")

"""One process writes a run folder, and writing never follows a planted symlink nor leaves a
temporary file behind (issue 15, items 4 and 6)."""

import os
import subprocess
import sys

import pytest

import trainer
from tests.conftest import LINREG, ROOT
from trainer.errors import UserError
from trainer.files import write_atomically
from trainer.runs.folder import run_lock


@pytest.fixture
def finished_run(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(LINREG)
    return trainer.train(config, runs_dir=tmp_path / "runs")


def test_a_second_trainer_is_refused_with_the_holders_pid(finished_run):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom trainer.runs.folder import run_lock\n"
         f"with run_lock(__import__('pathlib').Path({str(finished_run.folder)!r})):\n"
         "    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match=f"in use: process {holder.pid} is training in it"):
            trainer.train(resume=finished_run.folder, overrides=["trainer.epochs=6"])
    finally:
        holder.kill()
        holder.wait()
    resumed = trainer.train(
        resume=finished_run.folder, overrides=["trainer.epochs=6"]
    )  # the kernel freed the lock
    assert resumed.summary["epochs_completed"] == 6


def test_a_stale_lock_file_never_blocks_a_resume(finished_run):
    (finished_run.folder / "run.lock").write_text("4194303\n")  # a killed process's PID, no lock held
    resumed = trainer.train(resume=finished_run.folder, overrides=["trainer.epochs=6"])
    assert resumed.summary["epochs_completed"] == 6
    assert (finished_run.folder / "run.lock").read_text() == f"{os.getpid()}\n"


def test_the_lock_is_held_while_training(finished_run):
    with run_lock(finished_run.folder), pytest.raises(UserError, match="one run folder has one writer"):
        trainer.train(resume=finished_run.folder, overrides=["trainer.epochs=6"])


def test_planted_symlinks_at_the_old_temporary_names_are_never_followed(finished_run, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    checkpoints = finished_run.folder / "checkpoints"
    for planted in [
        checkpoints / "last.npz.tmp",
        checkpoints / "best.npz.tmp",
        finished_run.folder / "summary.json.tmp",
    ]:
        planted.symlink_to(victim)
    trainer.train(resume=finished_run.folder, overrides=["trainer.epochs=8"])
    assert victim.read_text() == "precious"
    assert not [p for p in finished_run.folder.rglob("*.tmp") if not p.is_symlink()]


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OSError):
        write_atomically(tmp_path / "out", "text")  # a folder is in the way
    assert [p.name for p in tmp_path.iterdir()] == ["out"]

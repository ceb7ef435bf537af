"""Inputs and events that once ended in a traceback now give a clear error (one paragraph, exit
status 2, no run folder left) or a documented fallback (issue 15, item 10: bad values in the config,
broken files, disk, gradcheck arguments, shape changes, signals)."""

import errno
import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import trainer
from tests.conftest import LINREG, ROOT
from tests.test_resume import RESUMABLE, assert_same_run
from trainer.cli.main import main
from trainer.errors import UserError
from trainer.training import checkpoint


def mgtrain(*args, cwd=ROOT, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "trainer", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clear_error(done, *phrases):
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def test_sigterm_during_start_up_is_an_interruption_like_during_training(tmp_path):
    # A model whose construction takes long: the signal comes while the run is being built.
    (tmp_path / "slow.py").write_text(
        textwrap.dedent(
            """\
            import pathlib, time

            class Slow:
                def __init__(self, n_inputs, n_outputs):
                    pathlib.Path(__file__).with_name("building").touch()
                    time.sleep(60)
            """
        )
    )
    config = tmp_path / "config.yaml"
    config.write_text(LINREG.replace("model: linear", 'model: {type: "slow.py:Slow"}'))
    command = [sys.executable, "-m", "trainer", "train", str(config), "--runs-dir", str(tmp_path / "runs")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "building").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130 and err.strip() == "interrupted.", err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "override", ["data.noise=1e400", "optimizer.lr=1e400", "trainer.clip_grad_norm=1e999"]
)
def test_config_numbers_must_be_finite(write_config, capsys, override):
    assert main(["train", str(write_config()), override, "--check"]) == 2
    assert "= inf is not valid: it should be a finite number" in capsys.readouterr().err


def test_an_infinite_number_in_a_config_file_names_its_line(write_config, capsys):
    path = write_config(LINREG.replace("lr: 0.05", "lr: .inf"))
    assert main(["train", str(path), "--check"]) == 2
    assert "config.yaml, line 6: optimizer.lr = inf is not valid" in capsys.readouterr().err


@pytest.fixture
def finished(write_config, tmp_path):
    return trainer.train(write_config(), runs_dir=tmp_path / "runs")


def damage_as_folder(path):
    path.unlink()
    path.mkdir()


def damage_keys(path):
    content = checkpoint.load(path)
    del content["optimizer"]
    checkpoint.save(path, content)


def damage_with_pickle(path):
    path.unlink()  # (best.npz may be the same file: a hard link)
    np.savez(path, __meta__=np.array([{"a": 1}], dtype=object), allow_pickle=True)


@pytest.mark.parametrize(
    "damage, said",
    [
        (damage_as_folder, "last.npz is a folder, not a checkpoint file"),
        (damage_keys, "last.npz is not a whole checkpoint (it lacks optimizer)"),
        (damage_with_pickle, "last.npz cannot be read (it holds pickled objects)"),
    ],
)
def test_a_broken_last_checkpoint_falls_back_with_a_warning_in_our_words(finished, capsys, damage, said):
    damage(finished.folder / "checkpoints" / "last.npz")
    resumed = trainer.train(resume=finished.folder, overrides=["trainer.epochs=6"])
    err = capsys.readouterr().err
    assert f"warning: {said}; resuming from best.npz instead." in err and "allow_pickle" not in err
    assert resumed.summary["status"] == "completed" and resumed.summary["epochs_completed"] == 6


def test_a_corrupt_environment_json_is_replaced_with_a_warning(finished, capsys):
    (finished.folder / "environment.json").write_bytes(b"{\xff not json")
    trainer.train(resume=finished.folder, overrides=["trainer.epochs=6"])
    assert "environment.json cannot be read" in capsys.readouterr().err
    record = json.loads((finished.folder / "environment.json").read_text())
    assert record["seed"] == 3 and "resumes" not in record


@pytest.mark.parametrize(
    "argument, said",
    [
        ("--threshold=nan", "--threshold: should be a finite number > 0"),
        ("--threshold=-1", "--threshold: should be a finite number > 0"),
        ("--max-entries=0", "--max-entries: should be a whole number >= 1"),
        ("--max-entries=-3", "--max-entries: should be a whole number >= 1"),
    ],
)
def test_gradcheck_arguments_out_of_range_are_refused(write_config, capsys, argument, said):
    with pytest.raises(SystemExit) as exit:
        main(["gradcheck", str(write_config()), argument])
    assert exit.value.code == 2 and said in capsys.readouterr().err


def test_evaluate_output_into_a_missing_folder_is_a_clear_error(finished, tmp_path):
    done = mgtrain("evaluate", finished.folder, "--output", tmp_path / "missing" / "predictions.csv")
    assert_clear_error(done, f"the folder {tmp_path / 'missing'} does not exist")
    assert not (tmp_path / "missing").exists()


def test_a_disk_that_fills_mid_run_keeps_the_last_good_checkpoint(write_config, tmp_path, monkeypatch):
    reference = trainer.train(write_config(RESUMABLE), runs_dir=tmp_path / "reference")
    savez, saves = np.savez, []

    def fill_the_disk_at_the_third_save(file, *args, **kwargs):
        saves.append(file)
        if len(saves) >= 3:
            file.write(b"part of a checkpoint")
            raise OSError(errno.ENOSPC, "No space left on device", file.name)
        savez(file, *args, **kwargs)

    monkeypatch.setattr(checkpoint.np, "savez", fill_the_disk_at_the_third_save)
    with pytest.raises(
        UserError, match="No space left on device. The run stopped and its last good"
    ) as error:
        trainer.train(write_config(RESUMABLE), runs_dir=tmp_path / "runs")
    monkeypatch.undo()
    (folder,) = (tmp_path / "runs" / "resumable").iterdir()
    assert f"--resume {folder}" in str(error.value)
    assert not list(folder.rglob("*.tmp"))  # the half-written checkpoint went
    assert_same_run(trainer.train(resume=folder), reference)


def test_resume_on_a_read_only_disk_is_a_clear_error(finished):
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("mounting a read-only folder needs user namespaces (unshare -rm)")
    folder = finished.folder
    resume = f"{sys.executable} -m trainer train --resume {folder} trainer.epochs=6"
    script = f"mount -o bind,ro {folder} {folder} && exec {resume}"
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert_clear_error(done, "Read-only file system")


def test_a_model_whose_output_changes_shape_mid_run_leaves_no_run_folder(tmp_path, capsys):
    (tmp_path / "grow.py").write_text(
        textwrap.dedent(
            """\
            import mygrad as mg
            import numpy as np

            class Grow:
                def __init__(self, n_inputs, n_outputs):
                    self.w, self.calls = mg.tensor(np.zeros((n_inputs, n_outputs))), 0

                @property
                def parameters(self):
                    return (self.w,)

                def __call__(self, x):
                    self.calls += 1  # a second output column from the 21st call on
                    out = x @ self.w
                    return mg.concatenate([out, out], axis=1) if self.calls > 20 else out
            """
        )
    )
    config = tmp_path / "config.yaml"
    config.write_text(LINREG.replace("model: linear", 'model: {type: "grow.py:Grow"}'))
    assert main(["train", str(config), "--runs-dir", str(tmp_path / "runs"), "--no-progress"]) == 2
    assert "the prediction has shape (16, 2) but the target (16, 1)" in capsys.readouterr().err
    assert list((tmp_path / "runs").iterdir()) == []

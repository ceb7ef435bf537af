"""Sizes asked for by a small input are checked against the memory available before anything is
allocated (issue 15, item 3)."""

import subprocess
import sys

import numpy as np
import pytest

import trainer
from tests.conftest import CONFIGS, ROOT
from trainer.data.limits import require_class_count, require_memory
from trainer.errors import UserError


def test_too_many_generated_rows_are_refused_with_the_numbers_and_no_run_folder(tmp_path):
    command = [
        sys.executable,
        "-m",
        "trainer",
        "train",
        str(CONFIGS / "linreg.yaml"),
        "data.n_samples=200000000000",
    ]
    done = subprocess.run(
        [*command, "--runs-dir", str(tmp_path / "runs")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "data.n_samples=200000000000: 200,000,000,000 rows x 4 columns" in done.stderr
    assert "GiB of memory available" in done.stderr and "mmap: true" in done.stderr
    assert not (tmp_path / "runs").exists()


def test_the_memory_check_compares_every_copy_with_what_is_available():
    gib = 2**30
    require_memory(2**20, 32, "data.n_samples", available=gib)  # 256 MiB x 4 copies: exactly fits
    with pytest.raises(
        UserError, match=r"1,048,577 rows x 32 columns .* 0\.3 GiB.* 1\.0 GiB, more than the 1\.0 GiB"
    ):
        require_memory(2**20 + 1, 32, "data.n_samples", available=gib)


def test_memory_mapped_labels_that_run_past_the_row_count_are_refused(tmp_path, write_config):
    np.save(tmp_path / "X.npy", np.zeros((100, 2)))
    labels = np.zeros(100, dtype=np.int64)
    labels[7] = 5 * 10**13  # once made a list of 5e13 class names
    np.save(tmp_path / "y.npy", labels)
    config = write_config(
        """\
        data: {type: npy, x_path: X.npy, y_path: y.npy, mmap: true}
        model: linear
        loss: cross_entropy
        optimizer: {type: sgd, lr: 0.1}
        """
    )
    with pytest.raises(
        UserError, match=r"run up to 50,000,000,000,000, which makes 50,000,000,000,001 classes for 100 rows"
    ):
        trainer.train(config, runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    require_class_count(100, 100, "labels 0..99")  # as many classes as rows is allowed

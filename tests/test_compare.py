"""Comparing runs: trainer.compare from Python, `mgtrain compare` from the command line."""

import pytest
from matplotlib.figure import Figure

import trainer
from tests.conftest import LINREG
from trainer.cli.main import main


@pytest.fixture
def three_runs(tmp_path):
    for lr in (0.01, 0.05, 0.2):
        trainer.train(LINREG, {"optimizer.lr": lr, "trainer.epochs": 2}, runs_dir=tmp_path, progress=False)
    return tmp_path / "tiny"


def test_compare_tables_what_differs_and_how_each_run_ended(three_runs):
    comparison = trainer.compare(three_runs / "*")
    assert [row["optimizer.lr"] for row in comparison.table] == [0.01, 0.05, 0.2]
    assert set(comparison.table[0]) == {
        "run",
        "optimizer.lr",
        "status",
        "epochs_completed",
        "train_loss",
        "val_loss",
        "val_r2",
    }
    assert (
        comparison.table[0]["val_loss"] > comparison.table[2]["val_loss"]
    )  # a larger lr got further in 2 epochs
    assert list(comparison.frame["optimizer.lr"]) == [0.01, 0.05, 0.2]
    assert isinstance(comparison.figure, Figure)
    assert [line.get_label() for line in comparison.figure.axes[0].lines] == [
        "optimizer.lr=0.01", "optimizer.lr=0.05", "optimizer.lr=0.2"
    ]  # fmt: skip


def test_mgtrain_compare_prints_the_table_and_writes_compare_png(three_runs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", *map(str, sorted(three_runs.iterdir()))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["run", "optimizer.lr", "status"] and len(lines) == 5
    assert (tmp_path / "compare.png").stat().st_size > 0


def test_compare_without_run_folders_says_what_one_is(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nothing*")]) == 2
    assert "a run folder holds config.yaml and epochs.csv" in capsys.readouterr().err

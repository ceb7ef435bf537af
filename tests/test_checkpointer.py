"""When checkpoints are written: at every epoch's end once Checkpointer.SAVE_SECONDS have passed,
at the end, and `best` with the next save after an improvement."""

import numpy as np

import trainer
from trainer.training import checkpoint
from trainer.training.checkpoint import Checkpointer


def saved(run, name):
    return checkpoint.load(run.folder / "checkpoints" / f"{name}.npz")


def test_epochs_longer_than_save_seconds_each_get_a_checkpoint(tmp_path, write_config, monkeypatch):
    monkeypatch.setattr(Checkpointer, "SAVE_SECONDS", 0.0)
    run = trainer.train(write_config(), ["trainer.epochs=3"], runs_dir=tmp_path)
    assert saved(run, "previous")["loop"]["epoch"] == 2 and saved(run, "last")["loop"]["epoch"] == 3


def test_short_epochs_are_saved_at_the_end_and_best_is_kept_until_then(tmp_path, write_config, monkeypatch):
    monkeypatch.setattr(Checkpointer, "SAVE_SECONDS", 1e9)
    # mode max on a falling loss: epoch 1 stays the best, and was never a `last`
    best_first = ["trainer.epochs=4", "trainer.monitor=train_loss", "trainer.mode=max"]
    run = trainer.train(write_config(), best_first, runs_dir=tmp_path / "a")
    assert {p.name for p in (run.folder / "checkpoints").iterdir()} == {"last.npz", "best.npz"}
    assert saved(run, "last")["loop"]["epoch"] == 4
    best = saved(run, "best")
    one_epoch = trainer.train(write_config(), [*best_first[1:], "trainer.epochs=1"], runs_dir=tmp_path / "b")
    assert best["loop"]["epoch"] == 1 and best["loop"]["history"] == one_epoch.history
    for kept, after_one_epoch in zip(best["parameters"], one_epoch.model.parameters, strict=True):
        assert np.array_equal(kept, after_one_epoch.data)

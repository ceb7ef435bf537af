"""Data larger than memory: `npy` with `mmap: true` is split, scaled, shuffled and read by blocks."""

import tracemalloc

import numpy as np
import pytest

import trainer
from tests.test_resume import KillAt, assert_same_run, train_and_get_killed
from trainer.config.load import load_config
from trainer.contracts import LoopState
from trainer.data import outofcore
from trainer.data.dataset import Splits
from trainer.errors import UserError
from trainer.runs.build import build
from trainer.runs.provenance import data_hash
from trainer.training.loop import evaluate, fit

WEIGHTS = np.array([1.0, -2.0, 0.5, 3.0, 0.0])

CONFIG = """\
name: resumable
seed: 4
data: {{type: npy, x_path: {x}, y_path: {y}, mmap: true, standardize: {standardize}}}
model: linear
loss: mse
optimizer: {{type: sgd, lr: 0.05}}
trainer: {{epochs: 3, batch_size: 512, checkpoint_every: 7}}
"""


def write_data(folder, rows=20_000, features=5, seed=0, first_column_is_row=False):
    """x.npy and y.npy: y = X @ w + 1.5 + noise, features on different scales."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features)) * np.arange(1, features + 1) + 7
    if first_column_is_row:
        X[:, 0] = np.arange(rows)
    y = X @ np.resize(WEIGHTS, features) + 1.5 + 0.1 * rng.normal(size=rows)
    np.save(folder / "x.npy", X)
    np.save(folder / "y.npy", y)
    return X, y


@pytest.fixture
def mmap_config(tmp_path, write_config):
    write_data(tmp_path)

    def config(standardize=True, extra=""):
        return write_config(
            CONFIG.format(x=tmp_path / "x.npy", y=tmp_path / "y.npy", standardize=str(standardize).lower())
            + extra
        )

    return config


def test_splits_are_whole_blocks_covering_every_row_once(tmp_path, write_config):
    write_data(tmp_path, rows=50_000, first_column_is_row=True)
    config = load_config(
        write_config(CONFIG.format(x=tmp_path / "x.npy", y=tmp_path / "y.npy", standardize="false")),
        ["data.test_fraction=0.1"],
    )
    splits = build(config).splits
    rows = {name: np.asarray(getattr(splits, name)[0])[:, 0].astype(int) for name in ("train", "val", "test")}
    assert sorted(np.concatenate(list(rows.values())).tolist()) == list(range(50_000))
    assert [len(np.unique(rows[name] // outofcore.BLOCK_ROWS)) for name in ("val", "test")] == [
        3,
        2,
    ]  # ceil(0.2 * 13), ceil(0.1 * 13)
    for part in rows.values():
        assert set(np.unique(part // outofcore.BLOCK_ROWS)) == set(part // outofcore.BLOCK_ROWS)
        assert np.all(np.diff(part) > 0)  # in file order
    X, y = np.load(tmp_path / "x.npy"), np.load(tmp_path / "y.npy")
    assert np.array_equal(np.asarray(splits.train[1])[:, 0], y[rows["train"]])
    assert np.array_equal(splits.train[0][[5, 17_000, 3]], X[rows["train"][[5, 17_000, 3]]])


def test_epoch_order_is_a_seeded_permutation_drawn_by_windows():
    sizes = np.array([outofcore.BLOCK_ROWS] * 40 + [123])
    n = int(sizes.sum())
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    order = outofcore.BlockShuffle(sizes, rng)
    whole = order[:]
    assert len(order) == n and np.array_equal(np.sort(whole), np.arange(n))
    assert not np.array_equal(whole, np.arange(n))
    pieces = np.concatenate([order[start : start + 1000] for start in range(0, n, 1000)])
    assert np.array_equal(pieces, whole)
    rng.bit_generator.state = state  # the same generator state draws the same order (exact resume)
    assert np.array_equal(outofcore.BlockShuffle(sizes, rng)[70_000:71_000], whole[70_000:71_000])
    window = outofcore.WINDOW_BLOCKS * outofcore.BLOCK_ROWS
    assert len(np.unique(whole[:window] // outofcore.BLOCK_ROWS)) == outofcore.WINDOW_BLOCKS


def test_training_on_a_memory_map_reaches_least_squares(mmap_config, tmp_path):
    run = trainer.train(mmap_config(), ["trainer.epochs=20", "optimizer.lr=0.02"], runs_dir=tmp_path / "runs")
    X, y = np.load(tmp_path / "x.npy"), np.load(tmp_path / "y.npy")
    splits = build(run.config).splits
    rows = np.concatenate(
        [
            block * outofcore.BLOCK_ROWS + np.arange(size)
            for block, size in zip(splits.train[0].blocks, splits.train[0].block_sizes)
        ]
    )
    assert np.allclose(splits.feature_mean, X[rows].mean(axis=0)) and np.allclose(
        splits.feature_scale, X[rows].std(axis=0)
    )
    standardized = (X[rows] - splits.feature_mean) / splits.feature_scale
    exact, *_ = np.linalg.lstsq(np.column_stack([standardized, np.ones(len(rows))]), y[rows], rcond=None)
    solved = run.summary["least_squares"]  # from the normal equations summed over chunks
    assert np.allclose(solved["weights"], exact[:-1], rtol=1e-9) and solved["bias"] == pytest.approx(
        exact[-1], rel=1e-9
    )
    assert np.linalg.norm(np.append(run.summary["weights"], run.summary["bias"]) - exact) < 0.01
    assert run.summary["val_r2"] > 0.999


def test_data_hash_of_a_lazy_split_is_that_of_the_same_arrays_in_memory(mmap_config):
    splits = build(load_config(mmap_config(), ["dtype=float32", "data.test_fraction=0.2"])).splits
    in_memory = Splits(
        *(tuple(np.asarray(array) for array in part) for part in (splits.train, splits.val, splits.test)),
        splits.dataset,
    )
    assert in_memory.train[0].dtype == np.float32 and in_memory.train[1].dtype == np.float32
    assert data_hash(splits) == data_hash(in_memory)


def test_an_epoch_reads_one_block_at_a_time_and_holds_a_few(tmp_path, write_config, monkeypatch):
    write_data(tmp_path, rows=600_000, features=4)  # 19 MB of features, 5 MB of targets
    config = load_config(
        write_config(CONFIG.format(x=tmp_path / "x.npy", y=tmp_path / "y.npy", standardize="true"))
    )
    experiment = build(config)
    reads = []
    original = outofcore.read_rows
    monkeypatch.setattr(
        outofcore,
        "read_rows",
        lambda array, start, stop: (
            reads.append(min(stop, len(array)) - start) or original(array, start, stop)
        ),
    )
    state = LoopState(experiment.model, experiment.optimizer, 1, 0, np.random.default_rng(0))
    tracemalloc.start()
    fit(state, experiment.loss, experiment.splits.train, experiment.splits.val, batch_size=1024)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert max(reads) == outofcore.BLOCK_ROWS and sum(reads) == 2 * 600_000  # every row of X and y read once
    assert peak < 12e6  # the blocks kept for training and validation (about 10 MB), not the 24 MB
    assert np.isfinite(evaluate(experiment.model, experiment.loss, experiment.splits.val))


@pytest.mark.parametrize(
    "killer",
    [
        pytest.param(KillAt(17), id="mid-epoch"),
        pytest.param(KillAt(29, before_epoch_end=True), id="inside an epoch's end", marks=pytest.mark.slow),
    ],
)
def test_killed_and_resumed_run_on_a_memory_map_is_exact(mmap_config, tmp_path, killer):
    reference = trainer.train(mmap_config(), runs_dir=tmp_path / "reference")
    folder = train_and_get_killed(mmap_config(), tmp_path / "runs", killer)
    assert_same_run(trainer.train(resume=folder), reference)


def test_class_labels_from_a_memory_map(tmp_path, write_config):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=12_000)
    np.save(tmp_path / "x.npy", rng.normal(size=(12_000, 2)) + 3 * np.eye(3)[labels, :2])
    np.save(tmp_path / "y.npy", labels)
    text = """\
        name: mapped_classes
        data: {type: npy, x_path: x.npy, y_path: y.npy, mmap: true}
        model: linear
        loss: cross_entropy
        optimizer: {type: adam, lr: 0.05}
        trainer: {epochs: 3, batch_size: 256}
        """
    run = trainer.train(write_config(text), runs_dir=tmp_path / "runs")
    assert run.summary["val_accuracy"] > 0.8
    np.save(tmp_path / "y.npy", labels - 1)
    with pytest.raises(UserError, match="class labels must be the integers 0, 1, ..., K-1"):
        trainer.train(write_config(text), runs_dir=tmp_path / "runs")


def test_too_few_blocks_to_split(tmp_path, write_config):
    write_data(tmp_path, rows=5000)
    with pytest.raises(UserError, match="5000 rows make 2 blocks of 4096"):
        build(
            load_config(
                write_config(CONFIG.format(x=tmp_path / "x.npy", y=tmp_path / "y.npy", standardize="true")),
                ["data.test_fraction=0.5"],
            )
        )


def test_reading_more_blocks_than_are_kept(mmap_config):
    train, targets = build(load_config(mmap_config(standardize=False))).splits.train
    order = np.random.default_rng(0).permutation(len(train))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outofcore, "CACHED_BLOCKS", 2)  # 4 training blocks, 2 kept
        shuffled = train[order]
    assert np.array_equal(shuffled, np.asarray(train)[order]) and shuffled.shape == (len(train), 5)

"""Image data and convolutional networks end to end: digits as images, npy/npz images, the shapes data
set, standardization per channel, memory-mapped images, and an exact resume of a CNN with batch norm
and dropout killed with SIGKILL."""

import numpy as np
import pytest

import trainer
from tests.test_resume import KillAt, assert_same_run, train_and_get_killed
from trainer.config.load import load_config
from trainer.data.dataset import DATASETS
from trainer.data.splits import load_splits
from trainer.errors import UserError
from trainer.nn.models import buffers_of
from trainer.runs.build import build
from trainer.training import checkpoint


def splits_of(block: dict, seed=0):
    return load_splits(DATASETS.schema(block["type"])(**block), seed)


def test_digits_as_images_are_the_same_pixels_standardized_per_channel():
    images = splits_of({"type": "digits", "shape": "image", "standardize": False}).train[0]
    flat = splits_of({"type": "digits", "standardize": False}).train[0]
    assert images.shape == (len(flat), 1, 8, 8) and np.array_equal(images.reshape(len(flat), -1), flat)
    splits = splits_of({"type": "digits", "shape": "image"})
    X = splits.train[0]
    assert splits.feature_mean.shape == (1, 1, 1)
    assert X.mean() == pytest.approx(0, abs=1e-12) and X.std() == pytest.approx(1)  # one channel: all pixels
    assert np.allclose(X, (images - images.mean()) / images.std())  # the same seed splits the same rows


def test_image_files_npy_and_npz_with_and_without_channels(tmp_path):
    rng = np.random.default_rng(0)
    color = rng.normal(
        loc=[[[[5.0]], [[-2.0]], [[0.0]]]], scale=[[[[1.0]], [[3.0]], [[0.5]]]], size=(90, 3, 4, 5)
    )
    gray, labels = rng.normal(size=(90, 6, 6)), np.arange(90) % 3
    np.save(tmp_path / "color.npy", color)
    np.save(tmp_path / "y.npy", labels)
    np.savez(tmp_path / "gray.npz", X=gray, y=labels)
    color_splits = splits_of(
        {"type": "npy", "x_path": str(tmp_path / "color.npy"), "y_path": str(tmp_path / "y.npy")}
    )
    X = color_splits.train[0]
    assert X.shape[1:] == (3, 4, 5) and color_splits.feature_mean.shape == (3, 1, 1)
    assert np.allclose(X.mean(axis=(0, 2, 3)), 0) and np.allclose(X.std(axis=(0, 2, 3)), 1)
    assert splits_of({"type": "npz", "path": str(tmp_path / "gray.npz")}).train[0].shape[1:] == (1, 6, 6)
    np.save(tmp_path / "bad.npy", rng.normal(size=(90, 2, 3, 4, 5)))
    with pytest.raises(UserError, match=r"images \(N, height, width\) or \(N, channels, height, width\)"):
        splits_of({"type": "npy", "x_path": str(tmp_path / "bad.npy"), "y_path": str(tmp_path / "y.npy")})


def test_memory_mapped_images_are_split_and_standardized_per_channel(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.normal(loc=3.0, scale=2.0, size=(9000, 2, 3, 3))
    images[:, 1] *= 10
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "y.npy", (np.arange(9000) % 2).astype(np.int64))
    block = {
        "type": "npy",
        "x_path": str(tmp_path / "x.npy"),
        "y_path": str(tmp_path / "y.npy"),
        "mmap": True,
    }
    splits = splits_of(block)
    batch = splits.train[0][np.arange(0, 4000, 7)]
    assert batch.shape == (572, 2, 3, 3) and splits.feature_mean.shape == (2, 1, 1)
    assert np.allclose(batch.mean(axis=(0, 2, 3)), 0, atol=0.1) and np.allclose(
        batch.std(axis=(0, 2, 3)), 1, atol=0.1
    )


def test_shapes_are_seeded_balanced_images_of_three_classes():
    dataset = DATASETS.build(
        DATASETS.schema("shapes")(type="shapes", n_samples=300, size=12, noise=0.0), seed=4
    )
    again = DATASETS.build(
        DATASETS.schema("shapes")(type="shapes", n_samples=300, size=12, noise=0.0), seed=4
    )
    assert dataset.X.shape == (300, 1, 12, 12) and dataset.target_names == ["circle", "square", "triangle"]
    assert np.array_equal(dataset.X, again.X) and np.bincount(dataset.y).tolist() == [100, 100, 100]
    assert set(np.unique(dataset.X)) == {0.0, 1.0}  # noise 0: white shapes on black
    filled = dataset.X.reshape(300, -1).mean(axis=1)
    assert filled.min() > 0.05 and filled.max() < 0.8
    # a triangle is wider at its base than at its apex; a square is as wide at the top as at the bottom
    for label, wider_below in ((2, True), (1, False)):
        image = dataset.X[dataset.y == label][0, 0]
        rows = np.flatnonzero(image.sum(axis=1))
        top, bottom = image[rows[0]].sum(), image[rows[-1]].sum()
        assert (bottom > top + 1) == wider_below


CNN = """\
name: resumable
seed: 3
data: {type: shapes, n_samples: 150, size: 8, val_fraction: 0.2}
model:
  type: sequential
  layers: [{type: conv2d, filters: 3, padding: 1}, batchnorm, relu, maxpool2d, flatten,
           {type: dropout, rate: 0.3}, {type: dense, units: 6}, batchnorm, relu, dense]
loss: cross_entropy
optimizer: {type: adam, lr: 0.01}
trainer: {epochs: 3, batch_size: 16, checkpoint_every: 3}
"""


@pytest.mark.slow
def test_a_cnn_with_batchnorm_and_dropout_killed_and_resumed_is_byte_identical(tmp_path, write_config):
    reference = trainer.train(write_config(CNN), runs_dir=tmp_path / "reference")
    assert reference.summary["status"] == "completed"
    folder = train_and_get_killed(write_config(CNN), tmp_path / "runs", KillAt(11))  # mid-epoch 2
    resumed = trainer.train(resume=folder)
    assert_same_run(resumed, reference)
    for mine, theirs in zip(buffers_of(resumed.model), buffers_of(reference.model), strict=True):
        assert np.array_equal(mine, theirs)
    saved = checkpoint.load(resumed.folder / "checkpoints" / "last.npz")["buffers"]
    assert len(saved) == 4 and all(np.array_equal(a, b) for a, b in zip(saved, buffers_of(reference.model)))
    assert not np.array_equal(saved[0], np.zeros(3)), "the running mean moved"


def test_a_cnn_run_leaves_its_pictures_and_load_run_restores_its_buffers(tmp_path, write_config):
    run = trainer.train(write_config(CNN.replace("epochs: 3", "epochs: 1")), runs_dir=tmp_path / "runs")
    for picture in ("confusion.png", "mistakes.png", "filters.png", "loss.png"):
        assert (run.folder / picture).stat().st_size > 5000, picture
    assert not (run.folder / "decision_boundary.png").exists()
    loaded = trainer.load_run(run.folder, "last")
    for mine, theirs in zip(buffers_of(loaded.experiment.model), buffers_of(run.model), strict=True):
        assert np.array_equal(mine, theirs) and np.any(mine != 0)


def test_every_classification_run_gets_a_confusion_matrix_and_only_image_runs_the_rest(
    tmp_path, write_config
):
    text = "data: {type: iris, test_fraction: 0.2}\nmodel: softmax_regression\nloss: cross_entropy\n"
    run = trainer.train(
        write_config(text + "optimizer: {type: sgd, lr: 0.1}\ntrainer: {epochs: 2}\n"), runs_dir=tmp_path
    )
    assert (run.folder / "confusion.png").exists()
    assert not (run.folder / "mistakes.png").exists() and not (run.folder / "filters.png").exists()


def test_confusion_counts_and_mistakes_grid(tmp_path):
    from trainer.runs.image_plots import confusion_matrix, plot_confusion, plot_mistakes

    folder = tmp_path / "run"
    folder.mkdir()
    y, predicted = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
    assert confusion_matrix(y, predicted, 3).tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert plot_confusion(folder, y, predicted, ["a", "b", "c"], "test").exists()
    images = np.random.default_rng(0).normal(size=(6, 1, 5, 5))
    assert plot_mistakes(folder, images, y, predicted, ["a", "b", "c"], "test").exists()
    assert plot_mistakes(folder, images, y, y, ["a", "b", "c"], "test").exists()  # none wrong: an empty grid


def test_building_a_cnn_on_flat_data_says_what_to_change(write_config):
    config = load_config(write_config(CNN.replace("type: shapes, n_samples: 150, size: 8", "type: digits")))
    with pytest.raises(UserError, match=r"layer 1 \(conv2d\) gets examples of shape \(64,\).*shape: image"):
        build(config)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, overrides, target",
    [
        ("cnn_digits", ["trainer.epochs=3"], 0.93),
        ("cnn_shapes", ["trainer.epochs=3", "data.n_samples=600"], 0.9),
        ("batchnorm_mlp", ["trainer.epochs=6"], 0.94),
    ],
)
def test_shipped_layer_configs_learn_on_a_small_budget(tmp_path, name, overrides, target):
    """The full runs (measured in docs/index.md) take tens of seconds each: too long for CI."""
    from tests.conftest import CONFIGS

    run = trainer.train(CONFIGS / f"{name}.yaml", overrides, runs_dir=tmp_path)
    assert run.summary["test_accuracy"] >= target, run.summary["test_accuracy"]

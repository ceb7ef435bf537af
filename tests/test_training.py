import mygrad as mg
import numpy as np
import pytest

import trainer
from tests.conftest import CONFIGS
from trainer.config.load import load_config
from trainer.contracts import Callback
from trainer.nn.losses import LOSSES
from trainer.nn.models import MODELS
from trainer.registry import Component
from trainer.runs.build import build


def test_linreg_reaches_the_least_squares_solution(tmp_path):
    run = trainer.train(CONFIGS / "linreg.yaml", runs_dir=tmp_path)
    solution = run.summary["least_squares"]
    learned = np.r_[run.summary["weights"], run.summary["bias"]]
    assert np.max(np.abs(learned - np.r_[solution["weights"], solution["bias"]])) < 1e-2
    assert run.summary["least_squares"]["distance"] < 1e-2
    # and, because the data were made with known weights, the true ones in the data's own units
    assert np.allclose(run.summary["weights_original_units"], run.summary["true_weights"], atol=0.05)


def central_differences(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = f()
        array[index] = saved - eps
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def test_gradients_of_linear_model_and_mse_match_finite_differences():
    rng = np.random.default_rng(0)
    model = MODELS.build(Component(type="linear"), n_inputs=4, n_outputs=2, rng=rng)
    for p in model.parameters:
        p.data[...] = rng.normal(size=p.shape)
    loss_fn = LOSSES.build(Component(type="mse"))
    X, y = rng.normal(size=(10, 4)), rng.normal(size=(10, 2))
    with mg.no_autodiff:
        expected = [
            central_differences(lambda: loss_fn(model(X), y).item(), p.data) for p in model.parameters
        ]
    loss_fn(model(X), y).backward()
    for p, numeric in zip(model.parameters, expected):
        assert np.allclose(p.grad, numeric, rtol=1e-6, atol=1e-8)


class Spy(Callback):
    """Records every parameter before and after training."""

    def on_train_begin(self, state):
        self.before = [p.data.copy() for p in state.model.parameters]

    def on_train_end(self, state):
        self.after = [p.data.copy() for p in state.model.parameters]


def test_data_are_constants_and_every_parameter_is_updated(tmp_path, write_config, monkeypatch):
    import trainer.runs.build as build_module

    seen = []
    real_build = build_module.build

    def build_and_watch(config):
        experiment = real_build(config)
        model, loss = experiment.model, experiment.loss

        class WatchedModel:
            parameters = model.parameters

            def __call__(self, x):
                seen.append(x)
                return model(x)

        def watched_loss(prediction, target):
            seen.append(target)
            return loss(prediction, target)

        experiment.model, experiment.loss = WatchedModel(), watched_loss
        experiment.splits_copy = [a.copy() for a in (*experiment.splits.train, *experiment.splits.val)]
        watch.append(experiment)
        return experiment

    watch = []
    monkeypatch.setattr("trainer.runs.run.build", build_and_watch)
    spy = Spy()
    trainer.train(write_config(), runs_dir=tmp_path, callbacks=[spy])
    experiment = watch[0]
    for original, now in zip(experiment.splits_copy, (*experiment.splits.train, *experiment.splits.val)):
        assert np.array_equal(original, now), "the data changed during training"
    assert seen and all(type(a) is np.ndarray for a in seen), (
        "inputs and targets must be plain arrays (constants)"
    )
    for before, after in zip(spy.before, spy.after):
        assert not np.array_equal(before, after), "a parameter was never updated"


def test_same_seed_gives_identical_logs_and_other_seed_does_not(tmp_path, write_config):
    path = write_config()
    first, second = (trainer.train(path, runs_dir=tmp_path) for _ in range(2))
    assert first.folder != second.folder
    for name in ("steps.csv", "epochs.csv", "config.yaml"):
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes()
    other = trainer.train(path, ["seed=9"], runs_dir=tmp_path)
    assert (other.folder / "steps.csv").read_bytes() != (first.folder / "steps.csv").read_bytes()


def test_memory_guarding_on_gives_the_same_numbers(tmp_path, write_config):
    path = write_config()
    guarded = trainer.train(path, runs_dir=tmp_path, guard_memory=True)
    fast = trainer.train(path, runs_dir=tmp_path)
    assert (guarded.folder / "steps.csv").read_bytes() == (fast.folder / "steps.csv").read_bytes()
    assert mg.mem_guard_active(), "the loop must leave memory guarding as it found it"


def test_batches_cover_every_row_once_per_epoch_with_a_partial_last_batch(tmp_path, write_config):
    sizes = []

    class BatchSizes(Callback):
        def on_step_end(self, state, loss):
            sizes.append(state.step)

    run = trainer.train(
        write_config(),
        ["trainer.epochs=2", "trainer.batch_size=64"],
        runs_dir=tmp_path,
        callbacks=[BatchSizes()],
    )
    # 150 training rows in batches of 64: 64, 64, 22 -> 3 steps an epoch
    assert run.summary["steps"] == 6 and sizes == list(range(1, 7))
    steps = (run.folder / "steps.csv").read_text().splitlines()
    assert (
        steps[0] == "step,epoch,loss,lr"
        and [line.split(",")[1] for line in steps[1:]] == ["1"] * 3 + ["2"] * 3
    )


def test_run_folder_holds_config_logs_summary_and_plot(tmp_path, write_config):
    run = trainer.train(write_config(), runs_dir=tmp_path)
    assert run.folder.parent == tmp_path / "tiny"
    assert {p.name for p in run.folder.iterdir()} == {
        "config.yaml",
        "environment.json",
        "steps.csv",
        "epochs.csv",
        "summary.json",
        "loss.png",
        "checkpoints",
        "run.lock",
    }
    # a run shorter than Checkpointer.SAVE_SECONDS saves `last` once, at its end (tests/test_checkpointer.py)
    assert {p.name for p in (run.folder / "checkpoints").iterdir()} == {"last.npz", "best.npz"}
    assert load_config(run.folder / "config.yaml").to_dict() == {**run.config.to_dict(), "name": "tiny"}
    summary = run.summary
    for key in (
        "status",
        "epochs_completed",
        "steps",
        "train_loss",
        "val_loss",
        "seconds",
        "weights",
        "bias",
    ):
        assert key in summary
    assert summary["status"] == "completed" and summary["epochs_completed"] == 5
    epochs = (run.folder / "epochs.csv").read_text().splitlines()
    assert (
        epochs[0] == "epoch,train_loss,val_loss,val_r2" and len(epochs) == 6
    )  # r2: the default metric of a regression
    assert float(epochs[-1].split(",")[2]) == summary["val_loss"]
    assert (run.folder / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_validation_loss_is_the_mean_loss_over_the_validation_split(tmp_path, write_config):
    run = trainer.train(write_config(), runs_dir=tmp_path)
    from trainer.runs.build import build

    splits = build(run.config).splits
    X_val, y_val = splits.val
    expected = np.mean((X_val @ run.model.weight.data + run.model.bias.data - y_val) ** 2)
    assert run.summary["val_loss"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_blas_threads_are_limited_while_training(tmp_path, write_config, threads):
    from threadpoolctl import threadpool_info

    seen = []

    class BlasThreads(Callback):
        def on_epoch_end(self, state, logs):
            seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")

    trainer.train(
        write_config(), [f"trainer.blas_threads={threads}"], runs_dir=tmp_path, callbacks=[BlasThreads()]
    )
    assert seen and set(seen) == {threads}


def test_dtype_float32_applies_to_data_and_parameters_alike(tmp_path, write_config):
    path = write_config()
    mlp = ["data=moons", "model=mlp", "model.dropout=0.1", "loss=cross_entropy", "metrics=[accuracy]"]
    single = trainer.train(path, ["dtype=float32", *mlp], runs_dir=tmp_path)
    double = trainer.train(path, mlp, runs_dir=tmp_path)
    assert single.summary["status"] == double.summary["status"] == "completed"
    from trainer.runs.build import build

    splits = build(single.config).splits
    assert (
        splits.train[0].dtype == splits.val[0].dtype == np.float32 and splits.train[1].dtype == np.int64
    )  # labels stay integers
    assert {p.dtype for p in single.model.parameters} == {np.dtype(np.float32)}
    assert {p.dtype for p in double.model.parameters} == {np.dtype(np.float64)}
    assert single.summary["val_loss"] == pytest.approx(double.summary["val_loss"], rel=1e-3)
    assert single.summary["val_loss"] != double.summary["val_loss"]


def test_a_model_that_mixes_dtypes_is_refused(tmp_path, write_config):
    (tmp_path / "mixed.py").write_text(
        "import mygrad as mg, numpy as np\n"
        "class Mixed:\n"
        "    def __init__(self, n_inputs, n_outputs):\n"
        "        self.w = mg.tensor(np.zeros((n_inputs, n_outputs)))\n"
        "    def __call__(self, x):\n"
        "        return x @ self.w + np.ones(1, dtype=np.float64)  # a float64 constant\n"
        "    @property\n"
        "    def parameters(self):\n"
        "        return (self.w,)\n"
    )
    from trainer.errors import UserError

    with pytest.raises(UserError, match="returned float64 numbers for float32 inputs"):
        trainer.train(write_config(), ["dtype=float32", "model=mixed.py:Mixed"], runs_dir=tmp_path)


def test_freed_memory_is_kept_where_there_is_glibc():
    import platform

    from trainer.cli.memory import keep_freed_memory

    assert keep_freed_memory() is (platform.libc_ver()[0] == "glibc")


def test_a_full_batch_is_the_data_as_stored_and_the_data_is_read_only(tmp_path, write_config):
    """Full-batch gradient descent, step by step the NumPy formula on the rows in their stored order."""
    run = trainer.train(
        write_config(), ["trainer.batch_size=1000", "trainer.epochs=3", "optimizer.lr=0.1"], runs_dir=tmp_path
    )
    experiment = build(run.config)
    X, y = experiment.splits.train
    assert not X.flags.writeable and not y.flags.writeable
    w, b = np.zeros((X.shape[1], 1)), np.zeros(1)
    for _ in range(3):
        residual = X @ w + b - y
        gradient = (2 / residual.size) * residual
        w -= 0.1 * (X.T @ gradient)
        b -= 0.1 * gradient.sum(axis=0)
    assert np.array_equal(run.model.weight.data, w) and np.array_equal(run.model.bias.data, b)

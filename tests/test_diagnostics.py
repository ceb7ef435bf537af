import csv
import math
import os
import signal

import numpy as np
import pytest

import trainer
from trainer.contracts import Callback
from trainer.training.diagnostics import learning_rate_warnings, overfitting_warnings


class LastStepSpy(Callback):
    """Records, independently of Diagnostics, every gradient norm and the last step's weights and gradients."""

    def __init__(self):
        self.norms, self.last = [], {}

    def on_epoch_begin(self, state):
        self.norms.append([])

    def on_before_update(self, state):
        self.norms[-1].append([float(np.sqrt(np.sum(p.grad**2))) for p in state.model.parameters])
        self.last[state.epoch] = [(p.data.copy(), p.grad.copy()) for p in state.model.parameters]


def test_diagnostics_csv_holds_mean_gradient_norm_and_last_update_ratio(tmp_path, write_config):
    spy = LastStepSpy()
    run = trainer.train(write_config(), ["trainer.diagnostics=true"], runs_dir=tmp_path, callbacks=[spy])
    with open(run.folder / "diagnostics.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 5 * 2 and [row["parameter"] for row in rows[:2]] == ["weight", "bias"]
    lr = run.config.optimizer.lr
    for row in rows:
        epoch, which = int(row["epoch"]), ["weight", "bias"].index(row["parameter"])
        assert float(row["grad_norm"]) == pytest.approx(
            np.mean([norms[which] for norms in spy.norms[epoch - 1]]), rel=1e-12
        )
        weight, grad = spy.last[epoch][which]
        # with sgd, the last update is lr * gradient: its size relative to the weights it started from
        assert float(row["update_ratio"]) == pytest.approx(
            lr * np.linalg.norm(grad) / np.linalg.norm(weight), rel=1e-12
        )
    assert (run.folder / "diagnostics.png").read_bytes()[:4] == b"\x89PNG"


def test_diagnostics_are_off_by_default(tmp_path, write_config):
    run = trainer.train(write_config(), runs_dir=tmp_path)
    assert not (run.folder / "diagnostics.csv").exists() and run.config.trainer.diagnostics is False


@pytest.mark.parametrize(
    "losses, lr, expected",
    [
        ([10, 5, 2, 1, 0.5, 0.3, 0.2, 0.15, 0.14, 0.14], 0.1, None),  # converged calmly
        (
            [10, 1, 3, 1, 4, 1, 3, 1.2, 3.5, 1],
            0.9,
            "oscillates: it rose by more than 10% in 4 of 8 epochs after the first. The steps overshoot the minimum; try lr 0.3.",
        ),
        ([10, 20, 50, 100, 400], 1.5, "grew from 10 to 400: the learning rate is too large; try lr 0.15."),
        (
            [10, 1, 1.05, 0.95, 1.03, 0.97, 1.04, 0.96, 1.02, 0.98, 1.01, 0.99],
            0.5,
            "plateaued early: from epoch 2 of 12 on it stays near 1",
        ),
        (
            [10, 1, 1.001, 0.999, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            0.5,
            None,
        ),  # settled to within noise: nothing to say
        (
            [10, 9, 8, 7, 6, 5, 4, 3],
            0.001,
            "still falling fast at the end (25% over the last 2 epochs): train for more epochs, or try lr 0.003.",
        ),
        ([10, 9, float("nan"), 7], 2.0, "became nan: the steps are far too large; try lr 0.2."),
        ([10, 20, 50], 1.0, None),  # too few epochs to judge
        ([1.0, 1e-3, 1e-9, 1e-15, 1e-21, 1e-25, 1e-28, 1e-30], 0.1, None),  # exact data: at the minimum
        (
            [3270, 3193, 3116, 3041, 2968, 2896, 2826, 2759, 2690, 2626, 2564, 2499, 2438, 2379],
            0.05,
            "barely learns: the training loss fell only 27% in 14 epochs (from 3270 to 2379). The steps are too "
            "small to get far; try lr 0.5, or train longer.",
        ),  # adam on linreg: each step moves a weight by about lr, and the weights are ~50
        (
            # the spiral: one spike and small rises near the floor, after falling 70-fold
            [
                1.04,
                0.69,
                0.30,
                0.16,
                0.11,
                0.094,
                0.063,
                0.056,
                0.054,
                0.037,
                0.041,
                0.030,
                0.027,
                0.033,
                0.137,
            ]
            + [
                0.042,
                0.022,
                0.029,
                0.019,
                0.025,
                0.018,
                0.022,
                0.015,
                0.019,
                0.016,
                0.022,
                0.014,
                0.017,
                0.015,
            ],
            0.01,
            None,
        ),
        (
            # a noisy plateau that a schedule lowering the lr quiets at the end: settled, not stuck
            [32500, 10535, 8933, 8872, 8652, 8488, 8815, 8702, 8750, 8741, 8548, 8425, 8612, 8605, 8599, 8517]
            + [8462, 8562, 8406, 8609, 8469, 8471, 8524, 8410, 8284, 8326, 8369, 8314, 8241, 8290, 8273, 8273]
            + [8246, 8231, 8230, 8218, 8204, 8202, 8199, 8197],
            0.05,
            None,
        ),
    ],
    ids=[
        "calm",
        "oscillating",
        "growing",
        "noisy plateau",
        "settled",
        "still falling",
        "nan",
        "short",
        "exhausted",
        "barely",
        "spiral",
        "scheduled plateau",
    ],
)
def test_learning_rate_warnings_name_the_problem_and_an_lr_to_try(losses, lr, expected):
    warnings = learning_rate_warnings(losses, lr)
    if expected is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and expected in warnings[0]


MLP_DIGITS_VAL = [0.99, 0.385, 0.358, 0.340, 0.317, 0.318, 0.3075, 0.314, 0.316, 0.324, 0.327, 0.333, 0.332]
MLP_DIGITS_VAL += [0.339, 0.339, 0.344, 0.347, 0.352, 0.354, 0.351, 0.353, 0.351, 0.350, 0.351, 0.351]


def test_a_validation_loss_climbing_while_the_training_loss_falls_is_overfitting():
    train = list(np.geomspace(2.1, 0.014, len(MLP_DIGITS_VAL)))
    (warning,) = overfitting_warnings(train, MLP_DIGITS_VAL)
    assert (
        "the model overfits: the validation loss rose from 0.31" in warning and "Stop near epoch 7" in warning
    )
    assert overfitting_warnings(train, sorted(MLP_DIGITS_VAL, reverse=True)) == []  # falling: fine
    assert overfitting_warnings(list(reversed(train)), MLP_DIGITS_VAL) == []  # both rise: another problem
    # a flat validation loss whose epoch-to-epoch noise is larger than its drift (the spiral's)
    noisy = [0.09, 0.07, 0.055, 0.07, 0.085, 0.06, 0.075, 0.065, 0.09, 0.058, 0.08, 0.072, 0.088, 0.066]
    assert overfitting_warnings(train[: len(noisy)], noisy) == []


def test_overfitting_warns_in_the_summary_unless_early_stopping_acted(tmp_path, write_config):
    config = write_config(
        "name: overfit\nseed: 0\ndata: {type: moons, n_samples: 60, noise: 0.4, val_fraction: 0.5}\n"
        "model: {type: mlp, hidden: [64, 64]}\nloss: cross_entropy\noptimizer: {type: adam, lr: 0.02}\n"
        "trainer: {epochs: 60, batch_size: 10}\n"
    )
    run = trainer.train(config, runs_dir=tmp_path)
    assert any("the model overfits" in warning for warning in run.summary["warnings"]), run.summary[
        "warnings"
    ]
    stopped = trainer.train(config, ["trainer.early_stopping={patience: 5}"], runs_dir=tmp_path)
    assert stopped.summary["status"] == "stopped_early"
    assert not any("overfits" in warning for warning in stopped.summary["warnings"])


def test_an_oscillating_run_warns_in_the_summary_and_the_report(tmp_path):
    from tests.conftest import CONFIGS
    from trainer.runs.report import end_of_run

    run = trainer.train(CONFIGS / "linreg.yaml", ["optimizer.lr=1.0"], runs_dir=tmp_path)
    (warning,) = run.summary["warnings"]
    assert "oscillates" in warning and "try lr 0.333" in warning
    assert f"warning: {warning}" in end_of_run(run.summary)
    calm = trainer.train(CONFIGS / "linreg.yaml", runs_dir=tmp_path)
    assert calm.summary["warnings"] == [] and "warning" not in end_of_run(calm.summary)
    assert math.isfinite(calm.summary["val_loss"])


class KillAtEpochEnd(Callback):
    """SIGKILL at the end of `epoch`: after the logs of that epoch are written, before its checkpoint."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, state, logs):
        if state.epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def with_diagnostics():
    from tests.test_resume import RESUMABLE

    return RESUMABLE.replace("checkpoint_every: 3,", "checkpoint_every: 3, diagnostics: true,")


@pytest.fixture(scope="module")
def diagnosed_reference(tmp_path_factory):
    """The uninterrupted run the killed ones are compared with (the same for every kill)."""
    path = tmp_path_factory.mktemp("reference") / "config.yaml"
    path.write_text(with_diagnostics())
    return trainer.train(path, runs_dir=path.parent / "runs")


@pytest.mark.parametrize(
    "kill_at",
    [
        pytest.param("epoch 2", id="after the logs of an epoch"),
        pytest.param("step 6", id="mid-epoch after a checkpoint", marks=pytest.mark.slow),
        pytest.param("step 20", id="inside an epoch's end", marks=pytest.mark.slow),
    ],
)
def test_diagnostics_of_a_killed_and_resumed_run_equal_an_uninterrupted_one(
    tmp_path, write_config, diagnosed_reference, kill_at
):
    from tests.test_resume import KillAt, train_and_get_killed

    config = write_config(with_diagnostics())
    reference = diagnosed_reference
    when, number = kill_at.split()
    killer = (
        KillAtEpochEnd(int(number))
        if when == "epoch"
        else KillAt(int(number), before_epoch_end=number == "20")
    )
    folder = train_and_get_killed(config, tmp_path / "runs", killer)
    resumed = trainer.train(resume=folder)
    assert (resumed.folder / "diagnostics.csv").read_bytes() == (
        reference.folder / "diagnostics.csv"
    ).read_bytes()

"""Schedules and metrics in a run (steps.csv, summary.json, validation of their options). Each schedule's
formula and each metric's value: tests/test_conformance_optim.py and tests/test_conformance_models.py."""

import csv
import json
import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

import trainer
from trainer.config.load import load_config
from trainer.errors import ConfigError, UserError
from trainer.nn.metrics import predict, predicted_classes
from trainer.runs.build import build

IRIS = """\
name: iris
data: {type: iris, val_fraction: 0.2, test_fraction: 0.2}
model: softmax_regression
loss: cross_entropy
optimizer: {type: sgd, lr: 0.5}
trainer: {epochs: 3, batch_size: 16}
"""


def test_the_lr_of_every_step_lands_in_steps_csv_and_clipping_runs(tmp_path, write_config):
    path = write_config(IRIS)
    overrides = [
        "schedule={type: step, step_size: 1, gamma: 0.5, warmup_epochs: 1}",
        "trainer.clip_grad_norm=1.0",
    ]
    run = trainer.train(
        path, overrides, runs_dir=tmp_path, guard_memory=True
    )  # clipping edits p.grad in place: allowed
    with open(run.folder / "steps.csv") as file:
        rows = list(csv.DictReader(file))
    per_epoch = math.ceil(90 / 16)
    expected = [
        0.5 * (s + 1) / per_epoch if s < per_epoch else 0.5 * 0.5 ** ((s - per_epoch) // per_epoch)
        for s in range(len(rows))
    ]
    assert [float(row["lr"]) for row in rows] == pytest.approx(expected, rel=1e-15)
    assert run.config.to_dict()["schedule"] == {
        "type": "step",
        "warmup_epochs": 1.0,
        "step_size": 1,
        "gamma": 0.5,
    }


def test_schedule_options_are_validated(write_config):
    with pytest.raises(ConfigError, match=r"schedule.gamma = 2 is out of range: it must be in \(0, 1\]"):
        load_config(write_config(IRIS), ["schedule.type=exponential", "schedule.gamma=2"])
    with pytest.raises(ConfigError, match='no schedule called "cosin". Did you mean "cosine"'):
        load_config(write_config(IRIS), ["schedule=cosin"])


def test_metrics_are_scikit_learns_on_the_validation_and_test_splits(tmp_path, write_config):
    run = trainer.train(write_config(IRIS), ["metrics=[accuracy, f1]"], runs_dir=tmp_path)
    splits = build(run.config).splits
    for split, prefix in ((splits.val, "val"), (splits.test, "test")):
        predicted = predict(run.model, split[0]).argmax(axis=1)
        assert run.summary[f"{prefix}_accuracy"] == accuracy_score(split[1], predicted)
        assert run.summary[f"{prefix}_f1"] == f1_score(split[1], predicted, average="macro")
    header = (run.folder / "epochs.csv").read_text().splitlines()[0]
    assert header == "epoch,train_loss,val_loss,val_accuracy,val_f1"
    assert json.loads((run.folder / "summary.json").read_text())["test_f1"] == run.summary["test_f1"]


def test_metric_names_are_checked_against_the_task(write_config):
    with pytest.raises(ConfigError, match='no metric "acuracy". Did you mean "accuracy"'):
        load_config(write_config(IRIS), ["metrics=[acuracy]"])
    with pytest.raises(UserError, match="metric r2 does not apply to classification"):
        build(load_config(write_config(IRIS), ["metrics=[r2]"]))


def test_a_single_logit_predicts_class_one_when_positive():
    assert predicted_classes(np.array([[-0.1], [0.2]])).tolist() == [0, 1]
    assert predicted_classes(np.array([[0.1, 0.3, 0.2]])).tolist() == [1]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["loss=mse"], "loss mse is for real-valued targets, but data iris has class labels"),
        (["loss=bce"], "loss bce is for two classes, but data iris has 3"),
        (["data=diabetes", "loss=cross_entropy"], "loss cross_entropy needs class labels"),
    ],
)
def test_loss_and_data_that_do_not_fit_are_named(write_config, overrides, message):
    with pytest.raises(UserError, match=message):
        build(load_config(write_config(IRIS), overrides))


def test_a_metric_can_be_monitored_with_its_natural_direction(tmp_path, write_config):
    config = load_config(write_config(IRIS), ["metrics=[accuracy]"])
    assert config.monitored("val_accuracy", None) == ("val_accuracy", "max")
    assert config.monitored("val_rmse", None) == ("val_rmse", "min")
    with pytest.raises(ConfigError, match="val_f1' is not logged every epoch"):
        load_config(write_config(IRIS), ["trainer.monitor=val_f1"])
    overrides = [
        "metrics=[accuracy]",
        "trainer.monitor=val_accuracy",
        "trainer.early_stopping={monitor: val_accuracy, patience: 1}",
        "trainer.epochs=30",
    ]
    run = trainer.train(write_config(IRIS), overrides, runs_dir=tmp_path)
    assert run.summary["status"] == "stopped_early" and len(run.history) < 30
    best = max(h["val_accuracy"] for h in run.history)
    assert (run.summary["best"]["monitor"], run.summary["best"]["mode"]) == ("val_accuracy", "max")
    assert run.summary["best"]["value"] == run.summary["best"]["val_accuracy"] == best
    assert run.summary["best_epoch"] == 1 + [h["val_accuracy"] for h in run.history].index(best)  # the first

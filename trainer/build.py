"""Config -> the parts of an experiment: data splits, model, loss, optimizer and the callbacks that
schedule the learning rate, clip gradients and score metrics (via the registries)."""

import zlib
from dataclasses import dataclass, field

import numpy as np

from trainer.checks import check_model_and_loss, parameters_of
from trainer.config import COMPONENTS, Config
from trainer.data import Dataset, Splits, load_splits
from trainer.errors import UserError
from trainer.loop import steps_per_epoch
from trainer.losses import regularized
from trainer.metrics import DEFAULTS, METRICS, EpochMetrics
from trainer.models import weights_of
from trainer.optimizers import ClipGradNorm
from trainer.schedules import LearningRateSchedule, build_schedule


@dataclass
class Experiment:
    config: Config
    splits: Splits
    model: object
    loss: object
    optimizer: object
    metrics: list[str] = field(default_factory=list)
    callbacks: list = field(default_factory=list)  # run before the loggers, so these see and extend the logs first

    @property
    def task(self) -> str:
        return self.splits.dataset.task


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, seeded random stream per purpose ("model", "batches", ...), stable across runs."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def build(config: Config) -> Experiment:
    splits = load_splits(config.data, config.seed, config.dtype)
    X, y = splits.train
    loss = COMPONENTS["loss"].build(config.loss)
    n_outputs = output_width(splits.dataset, loss, config)
    model = COMPONENTS["model"].build(config.model, n_inputs=X.shape[1], n_outputs=n_outputs, rng=rng_for(config.seed, "model"))
    for p in parameters_of(model):  # one dtype per run: models draw their initial values in float64
        p.data = p.data.astype(config.dtype, copy=False)
    check_model_and_loss(model, loss, X, y, n_outputs)
    loss = regularized(loss, weights_of(model), config.regularization.l1, config.regularization.l2)
    optimizer = COMPONENTS["optimizer"].build(config.optimizer)
    experiment = Experiment(config, splits, model, loss, optimizer, metric_names(config, splits.dataset))
    experiment.callbacks = training_callbacks(experiment)
    return experiment


def output_width(dataset: Dataset, loss, config: Config) -> int:
    """Regression: one output per target column. Classification: one logit per class, or a single
    logit for a loss that `expects` binary labels (bce)."""
    expects = getattr(loss, "expects", None)  # a user's own loss says nothing: the data decide
    name, data = config.loss.type, config.data.type
    if dataset.task == "regression":
        if expects in ("classes", "binary"):
            raise UserError(f"loss {name} needs class labels, but data {data} has real-valued targets; for regression use mse, mae or huber.")
        return dataset.y.shape[1]
    if expects == "values":
        raise UserError(f"loss {name} is for real-valued targets, but data {data} has class labels; use cross_entropy (or bce for two classes).")
    if expects == "binary":
        if dataset.n_classes != 2:
            raise UserError(f"loss bce is for two classes, but data {data} has {dataset.n_classes}; use cross_entropy.")
        return 1
    return dataset.n_classes


def metric_names(config: Config, dataset: Dataset) -> list[str]:
    names = config.metrics if config.metrics is not None else DEFAULTS[dataset.task]
    fitting = [name for name, (task, *_) in METRICS.items() if task == dataset.task]
    for name in names:
        if name not in fitting:
            raise UserError(f"metric {name} does not apply to {dataset.task} (data {config.data.type}); the metrics that do: {', '.join(fitting)}.")
    return names


def training_callbacks(experiment: Experiment) -> list:
    config, settings = experiment.config, experiment.config.trainer
    callbacks = [EpochMetrics(experiment.metrics, experiment.task, experiment.splits.val)]
    if config.schedule is not None:
        if not hasattr(experiment.optimizer, "lr"):
            raise UserError(f"schedule: optimizer {config.optimizer.type} has no `lr` attribute for the schedule to set.")
        per_epoch = steps_per_epoch(len(experiment.splits.train[0]), settings.batch_size)
        lr_at = build_schedule(config.schedule, experiment.optimizer.lr, per_epoch, per_epoch * settings.epochs)
        callbacks.append(LearningRateSchedule(lr_at))
    if settings.clip_grad_norm is not None:
        callbacks.append(ClipGradNorm(settings.clip_grad_norm))
    return callbacks

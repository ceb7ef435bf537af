"""Config -> the parts of an experiment: data splits, model, loss, optimizer and metrics (via the
registries); the model and loss are tried on a few rows first."""

import zlib
from dataclasses import dataclass, field

import numpy as np

from trainer.config.schema import COMPONENTS, Config
from trainer.contracts import Loss, Model, Optimizer, Task
from trainer.data.dataset import Dataset, Splits
from trainer.data.splits import load_splits
from trainer.errors import UserError
from trainer.nn.checks import check_model_and_loss, parameters_of
from trainer.nn.losses import regularized
from trainer.nn.metrics import DEFAULTS, METRICS
from trainer.nn.models import weights_of


@dataclass
class Experiment:
    config: Config
    splits: Splits
    model: Model
    loss: Loss
    optimizer: Optimizer
    metrics: list[str] = field(default_factory=list)

    @property
    def task(self) -> Task:
        return self.splits.dataset.task


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, seeded random stream per purpose ("model", "batches", ...), stable across runs."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def build(config: Config, splits: Splits | None = None) -> Experiment:
    """The experiment of `config`, on its data block's data or on `splits` given (trainer.Estimator's)."""
    if splits is None:
        splits = load_splits(config.data, config.seed, config.dtype)
    X, y = splits.train
    loss = COMPONENTS["loss"].build(config.loss)
    n_outputs = output_width(splits.dataset, loss, config)
    model = COMPONENTS["model"].build(
        config.model,
        n_inputs=X.shape[1],
        input_shape=X.shape[1:],
        n_outputs=n_outputs,
        rng=rng_for(config.seed, "model"),
    )
    for p in parameters_of(model):  # one dtype per run: models draw their initial values in float64
        p.data = p.data.astype(config.dtype, copy=False)
    check_model_and_loss(model, loss, X, y, n_outputs)
    loss = regularized(loss, weights_of(model), config.regularization.l1, config.regularization.l2)
    optimizer = COMPONENTS["optimizer"].build(config.optimizer)
    if config.schedule is not None and not hasattr(optimizer, "lr"):
        raise UserError(
            f"schedule: optimizer {config.optimizer.type} has no `lr` attribute for the schedule to set."
        )
    return Experiment(config, splits, model, loss, optimizer, metric_names(config, splits.dataset))


def output_width(dataset: Dataset, loss: Loss, config: Config) -> int:
    """Regression: one output per target column. Classification: one logit per class, or a single
    logit for a loss that `expects` binary labels (bce)."""
    expects = getattr(loss, "expects", None)  # a user's own loss says nothing: the data decide
    name, data = config.loss.type, config.data.type
    if dataset.task == "regression":
        if expects in ("classes", "binary"):
            raise UserError(
                f"loss {name} needs class labels, but data {data} has real-valued targets; for regression use mse, mae or huber."
            )
        return dataset.y.shape[1]
    if expects == "values":
        raise UserError(
            f"loss {name} is for real-valued targets, but data {data} has class labels; use cross_entropy (or bce for two classes)."
        )
    if expects == "binary":
        if dataset.n_classes != 2:
            raise UserError(
                f"loss bce is for two classes, but data {data} has {dataset.n_classes}; use cross_entropy."
            )
        return 1
    return dataset.n_classes


def metric_names(config: Config, dataset: Dataset) -> list[str]:
    names = config.metrics if config.metrics is not None else DEFAULTS[dataset.task]
    fitting = [name for name, (task, *_) in METRICS.items() if task == dataset.task]
    for name in names:
        if name not in fitting:
            raise UserError(
                f"metric {name} does not apply to {dataset.task} (data {config.data.type}); the metrics that do: {', '.join(fitting)}."
            )
    return names

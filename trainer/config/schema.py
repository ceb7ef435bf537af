"""The schema of a training config: its sections as pydantic models, and the registries that type its
component blocks (data, model, loss, optimizer, schedule)."""

import re
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import pydantic
from pydantic import Field

from trainer.data import dataset as data
from trainer.errors import did_you_mean
from trainer.nn import losses, metrics, models
from trainer.optim import optimizers, schedules
from trainer.registry import Component, Registry

Strict = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)  # finite floats


def _folder_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise ValueError(
            "it names the run folder, so it should be 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


Mode = Literal["min", "max"]


class EarlyStoppingSettings(pydantic.BaseModel):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs."""

    model_config = Strict
    monitor: str | None = None  # default: val_loss, or train_loss without a validation split
    mode: Mode | None = None  # default: min for a loss, max otherwise
    patience: Annotated[int, Field(ge=0)] = 5
    min_delta: Annotated[float, Field(ge=0)] = 0.0
    restore_best: bool = True  # on stopping, put back the parameters of the best epoch


class TrainerSettings(pydantic.BaseModel):
    model_config = Strict
    epochs: Annotated[int, Field(ge=1)] = 20
    batch_size: Annotated[int, Field(ge=1)] = 32
    checkpoint_every: Annotated[int, Field(ge=1)] | None = (
        None  # steps; `last` is also saved at epoch ends (Checkpointer.SAVE_SECONDS)
    )
    monitor: str | None = None  # what `best` checkpoints by; defaults as for early stopping
    mode: Mode | None = None
    early_stopping: EarlyStoppingSettings | None = None
    divergence_factor: Annotated[float, Field(gt=1)] = 1000.0  # a loss this many times its best is divergence
    clip_grad_norm: Annotated[float, Field(gt=0)] | None = (
        None  # rescale the gradients to this global L2 norm at most
    )
    # Threads of the BLAS library (matrix products). One is fastest for the small matrices of a
    # classroom model, and steady: with two, many processes ran several times slower (benchmarks/).
    blas_threads: Annotated[int, Field(ge=1)] = 1
    diagnostics: bool = False  # diagnostics.csv and .png: gradient norms and update ratios per parameter (trainer.training.diagnostics)


class Regularization(pydantic.BaseModel):
    """A penalty on the model's weights (not its biases), added to the loss."""

    model_config = Strict
    l1: Annotated[float, Field(ge=0)] = 0.0  # l1 * sum |w|
    l2: Annotated[float, Field(ge=0)] = 0.0  # l2 * sum w^2


def _metric_names(names: list[str]) -> list[str]:
    for name in names:
        if name not in metrics.METRICS:
            raise ValueError(
                f'there is no metric "{name}".{did_you_mean(name, metrics.METRICS)} Known metrics: {", ".join(metrics.METRICS)}'
            )
    return names


class RunConfig(pydantic.BaseModel):
    """What every config that makes a run folder has: a name, and where each key was set."""

    model_config = Strict
    name: Annotated[str, pydantic.AfterValidator(_folder_name)]
    # installed packages whose modules `type: package.module:Name` may name (trainer.usercode)
    allow_modules: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = []
    # sets of top-level keys of which a config gives one: an override setting one replaces the others
    ALTERNATIVES: ClassVar[tuple[frozenset[str], ...]] = ()

    _source: Path | None = pydantic.PrivateAttr(default=None)
    _locations: "Locations | None" = pydantic.PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The config file this came from (relative paths in it are relative to its folder)."""
        return self._source

    def where(self, *key) -> str:
        """Where `key` was set: 'configs/x.yaml, line 7' or 'the command-line override a.b=1'."""
        if self._locations is None:  # made in Python, not read from a file
            return "the config"
        return self._locations.describe(key)

    def to_dict(self) -> dict:
        """The resolved config, every default filled in, ready to save as YAML."""
        return self.model_dump(mode="json")


class Config(RunConfig):
    """A training config."""

    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0
    dtype: Literal["float64", "float32"] = "float64"  # of the data and the parameters alike
    data: data.DataComponent
    model: Component
    loss: Component
    optimizer: Component
    schedule: schedules.ScheduleComponent | None = None
    regularization: Regularization = Regularization()
    metrics: Annotated[list[str], pydantic.AfterValidator(_metric_names)] | None = (
        None  # None: the task's defaults
    )
    trainer: TrainerSettings = TrainerSettings()

    def epoch_log_keys(self) -> list[str]:
        """The values logged every epoch, which `monitor` may name (metrics: those named in `metrics:`)."""
        if not self.data.val_fraction:
            return ["train_loss"]
        return ["train_loss", "val_loss"] + [f"val_{name}" for name in self.metrics or ()]

    def monitored(self, monitor: str | None, mode: str | None) -> tuple[str, str]:
        """(monitor, mode) with their defaults filled in: min for a loss or an error, max for a score."""
        monitor = monitor or ("val_loss" if self.data.val_fraction else "train_loss")
        lower_is_better = monitor.endswith("loss") or monitor.removeprefix("val_") in metrics.LOWER_IS_BETTER
        return monitor, mode or ("min" if lower_is_better else "max")


COMPONENTS: dict[str, Registry] = {
    "data": data.DATASETS,
    "model": models.MODELS,
    "loss": losses.LOSSES,
    "optimizer": optimizers.OPTIMIZERS,
    "schedule": schedules.SCHEDULES,
}


class Locations:
    """Where each key of the raw config came from: a line of its file (or YAML text), an override.

    `path` is the config file, or what the config was when it had none ("the config dict"); overrides
    given in Python are called config keys, those of the command line command-line overrides."""

    def __init__(self, path: Path | str, lines: dict[tuple, int], overrides_from_python: bool = False):
        self.path = path
        self.lines = lines
        self.overrides: dict[tuple, str] = {}
        self.override_label = "config key" if overrides_from_python else "the command-line override"

    @property
    def title(self) -> str:
        """'config configs/x.yaml', or 'the config dict'."""
        return f"config {self.path}" if isinstance(self.path, Path) else self.path

    def describe(self, key: tuple) -> str:
        for override, text in self.overrides.items():
            if override[: len(key)] == key:  # the override set this key or something under it
                return f"{self.override_label} {text}"
        for end in range(len(key), 0, -1):
            if key[:end] in self.overrides:
                return f"{self.override_label} {self.overrides[key[:end]]}"
        for end in range(len(key), 0, -1):
            if key[:end] in self.lines:
                return f"{self.path}, line {self.lines[key[:end]]}"
        return str(self.path)

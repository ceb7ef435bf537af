"""The one place a run's callbacks are assembled, in the one order they run in.

The order, and why:
  1. EpochMetrics          adds val_<metric> to each epoch's logs, which every later callback reads
  2. LearningRateSchedule  sets the lr before each step (the logger records it after the step)
  3. ClipGradNorm          rescales the gradients before the update (and before diagnostics measure them)
  4. CSVLogger             steps.csv and epochs.csv
  5. DivergenceGuard       stops a run whose loss exploded, before anything saves that state
  6. EarlyStopping         (trainer.early_stopping)
  7. Diagnostics           (trainer.diagnostics: true)
  8. the caller's own callbacks (trainer.train(..., callbacks=[...]))
  9. Checkpointer          after all the others, so it saves their state after they saw the epoch
 10. ProgressBar           last, to show the epoch's final logs
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trainer.config.schema import Config
from trainer.contracts import Callback
from trainer.optim.clipping import ClipGradNorm
from trainer.optim.schedules import LearningRateSchedule, build_schedule
from trainer.runs.build import Experiment
from trainer.training.callbacks import CSVLogger, ProgressBar
from trainer.training.checkpoint import Checkpointer
from trainer.training.diagnostics import Diagnostics
from trainer.training.loop import steps_per_epoch
from trainer.training.metrics import EpochMetrics
from trainer.training.stopping import DivergenceGuard, EarlyStopping, Monitor


@dataclass
class RunCallbacks:
    """A run's callbacks in order (`ordered`), and the ones the summary reads."""

    logger: CSVLogger
    guard: DivergenceGuard
    early: EarlyStopping | None
    saver: Checkpointer
    ordered: list[Callback]


def assemble(
    experiment: Experiment,
    folder: Path,
    hashes: dict,
    extra: Iterable[Callback] = (),
    progress: bool = False,
) -> RunCallbacks:
    """The callbacks of a run of `experiment` writing into `folder`, in the order of the module docstring."""
    config = experiment.config
    settings = config.trainer
    ordered = learning_callbacks(experiment)
    logger = CSVLogger(folder)
    guard = DivergenceGuard(settings.divergence_factor, config.data.standardize)
    ordered += [logger, guard]
    early = early_stopping(config)
    if early is not None:
        ordered.append(early)
    if settings.diagnostics:
        ordered.append(Diagnostics(folder))
    ordered += extra
    # The checkpointer gets this very list, to which it and the progress bar are added, for their state_dicts.
    best = Monitor(*config.monitored(settings.monitor, settings.mode))
    saver = Checkpointer(
        folder / "checkpoints", best, settings.checkpoint_every, ordered, hashes, before_save=logger.flush
    )
    ordered.append(saver)
    if progress:
        ordered.append(ProgressBar())
    return RunCallbacks(logger, guard, early, saver, ordered)


def learning_callbacks(experiment: Experiment) -> list[Callback]:
    """1-3 of the order: the metrics of each epoch, the schedule and the clipping (what a run without
    a folder, trainer.Estimator's, has too)."""
    config = experiment.config
    settings = config.trainer
    ordered: list[Callback] = [EpochMetrics(experiment.metrics, experiment.task, experiment.splits.val)]
    if config.schedule is not None:
        per_epoch = steps_per_epoch(len(experiment.splits.train[0]), settings.batch_size)
        lr_at = build_schedule(
            config.schedule, experiment.optimizer.lr, per_epoch, per_epoch * settings.epochs
        )
        ordered.append(LearningRateSchedule(lr_at))
    if settings.clip_grad_norm is not None:
        ordered.append(ClipGradNorm(settings.clip_grad_norm))
    return ordered


def early_stopping(config: Config) -> EarlyStopping | None:
    """6 of the order, when the config asks for it."""
    stopping = config.trainer.early_stopping
    if not stopping:
        return None
    monitor = Monitor(*config.monitored(stopping.monitor, stopping.mode), stopping.min_delta)
    return EarlyStopping(monitor, stopping.patience, stopping.restore_best)

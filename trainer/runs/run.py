"""A run: build the experiment, make (or reopen) its folder, train, and leave config, logs,
checkpoints, summary and plots behind.

    run = trainer.train("configs/linreg.yaml", overrides=["optimizer.lr=0.05"])
    run.summary["val_loss"], run.history, run.model, run.folder
    trainer.train(resume=run.folder, overrides=["trainer.epochs=40"])   # continue it
"""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

from trainer.config.load import load_config
from trainer.config.schema import Config
from trainer.contracts import LoopState
from trainer.errors import UserError
from trainer.files import write_atomically
from trainer.runs.build import build, rng_for
from trainer.runs.callbacks import assemble
from trainer.runs.folder import make_run_folder, require_run_folder, run_lock
from trainer.runs.provenance import (
    config_hash,
    data_hash,
    record_environment,
    resumable_differences,
)
from trainer.runs.summary import summarize
from trainer.training import checkpoint
from trainer.training.loop import fit, steps_per_epoch
from trainer.training.stopping import stop_on_signals


@dataclass
class Run:
    folder: Path
    config: Config
    model: object
    history: list[dict]
    summary: dict


def train(
    config: Config | str | Path | None = None,
    overrides=(),
    *,
    runs_dir="runs",
    folder=None,
    resume=None,
    callbacks=(),
    progress=False,
    guard_memory=False,
) -> Run:
    """Train from a config (or a config file and `key=value` overrides), or continue the run in the
    folder `resume` exactly where its last checkpoint left it; return the finished run.

    A new run's folder is RUNS_DIR/<name>/<timestamp>, or `folder` itself when given (a sweep names
    each trial's folder); `folder` must not exist yet. The run holds its folder's lock throughout."""
    options = {"callbacks": callbacks, "progress": progress, "guard_memory": guard_memory}
    if resume is not None:
        folder = Path(resume)
        require_run_folder(folder)
        with run_lock(folder):  # before reading what another process might be writing
            config = _config_to_resume(folder, config, overrides)
            experiment = build(config)
            hashes = {"config_hash": config_hash(config), "data_hash": data_hash(experiment.splits)}
            saved = _checkpoint_to_resume(folder, config, hashes)
            return _train_in(folder, experiment, hashes, saved, resumed=True, **options)
    if config is None:
        raise UserError("train needs a config (a file or a Config), or resume=RUN_DIR to continue a run.")
    if not isinstance(config, Config):
        config = load_config(config, overrides)
    experiment = build(config)  # bad data fails here, before any folder exists
    hashes = {"config_hash": config_hash(config), "data_hash": data_hash(experiment.splits)}
    runs_folder = None if folder is None else Path(folder)
    folder = make_run_folder(Path(runs_dir), config.name, experiment.model, runs_folder)
    with run_lock(folder):
        return _train_in(folder, experiment, hashes, None, resumed=False, **options)


def _train_in(
    folder: Path,
    experiment,
    hashes: dict,
    saved: dict | None,
    *,
    resumed: bool,
    callbacks,
    progress,
    guard_memory,
) -> Run:
    """Train `experiment` in `folder` (from the checkpoint `saved`, if any) and write what the run leaves."""
    config = experiment.config
    write_atomically(folder / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    record_environment(folder / "environment.json", config, hashes, resumed=resumed)
    settings = config.trainer
    state = LoopState(
        experiment.model,
        experiment.optimizer,
        settings.epochs,
        steps_per_epoch(len(experiment.splits.train[0]), settings.batch_size),
        rng_for(config.seed, "batches"),
    )
    run_callbacks = assemble(experiment, folder, hashes, callbacks, progress)
    if saved is not None:
        checkpoint.restore(state, saved, run_callbacks.ordered)
    started = time.perf_counter()
    with stop_on_signals(state), threadpool_limits(limits=settings.blas_threads, user_api="blas"):
        try:
            fit(state, experiment.loss, experiment.splits.train, experiment.splits.val,
                batch_size=settings.batch_size, callbacks=run_callbacks.ordered, guard_memory=guard_memory)  # fmt: skip
        except KeyboardInterrupt:
            state.status = "interrupted"
            raise
        except Exception:
            state.status = "failed"
            raise
        finally:
            seconds = time.perf_counter() - started
            summary = summarize(config, experiment, state, folder, seconds, run_callbacks)
            write_atomically(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    from trainer.runs.image_plots import plot_classifier
    from trainer.runs.plots import plot_diagnostics, plot_losses, plot_model

    plot_losses(folder)
    plot_model(folder, experiment)
    plot_classifier(folder, experiment)  # confusion.png; for images mistakes.png and filters.png
    if settings.diagnostics:
        plot_diagnostics(folder)
    return Run(folder, config, experiment.model, state.history, summary)


def _config_to_resume(folder: Path, config, overrides) -> Config:
    """The run's saved config, with `overrides` or as `config` asks, if only keys that may change do."""
    require_run_folder(folder)
    saved = load_config(folder / "config.yaml")
    requested = (
        config if isinstance(config, Config) else load_config(config or folder / "config.yaml", overrides)
    )
    changed = resumable_differences(saved, requested)
    if changed:
        raise UserError(
            f"cannot resume {folder} with a different config: {'; '.join(changed)}. Only trainer.epochs and "
            f"trainer.checkpoint_every may change when resuming; for other changes start a new run."
        )
    return requested


def _checkpoint_to_resume(folder: Path, config: Config, hashes: dict) -> dict | None:
    """The checkpoint to continue from; None for a run stopped before its first one (it starts over)."""
    saved, name, problems = checkpoint.load_first_readable(folder / "checkpoints")
    if saved is None and problems:
        raise UserError(
            f"no readable checkpoint in {folder} ({'; '.join(problems)}); the run cannot be resumed. Start it again without --resume."
        )
    if saved is None:
        return None
    if problems:
        print(f"warning: {'; '.join(problems)}; resuming from {name}.npz instead.", file=sys.stderr)
    if saved["data_hash"] != hashes["data_hash"]:
        raise UserError(
            f"the training data changed since {folder} started (its hash differs); the run cannot continue exactly. Start a new run."
        )
    loop = saved["loop"]
    if loop["epoch"] >= config.trainer.epochs and not loop["batch_in_epoch"]:
        raise UserError(
            f"{folder} already finished its {loop['epoch']} epochs; to train longer, raise them: --resume {folder} trainer.epochs={loop['epoch'] * 2}."
        )
    return saved

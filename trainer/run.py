"""A run: build the experiment, make (or reopen) its folder, train, and leave config, logs,
checkpoints, summary and plots behind.

    run = trainer.train("configs/linreg.yaml", overrides=["optimizer.lr=0.05"])
    run.summary["val_loss"], run.history, run.model, run.folder
    trainer.train(resume=run.folder, overrides=["trainer.epochs=40"])   # continue it
"""

import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

from trainer import checkpoint, diagnostics, report
from trainer.build import build, rng_for
from trainer.callbacks import CSVLogger, ProgressBar
from trainer.config import Config, load_config
from trainer.errors import UserError
from trainer.files import write_atomically
from trainer.loop import LoopState, evaluate, fit, steps_per_epoch
from trainer.memory import keep_freed_memory
from trainer.metrics import final_scores
from trainer.provenance import config_hash, data_hash, record_environment, resumable_differences
from trainer.stopping import DivergenceGuard, EarlyStopping, Monitor, stop_on_signals


@dataclass
class Run:
    folder: Path
    config: Config
    model: object
    history: list[dict]
    summary: dict


def train(config: Config | str | Path | None = None, overrides=(), *, runs_dir="runs", folder=None, resume=None,
          callbacks=(), progress=False, guard_memory=False) -> Run:
    """Train from a config (or a config file and `key=value` overrides), or continue the run in the
    folder `resume` exactly where its last checkpoint left it; return the finished run.

    A new run's folder is RUNS_DIR/<name>/<timestamp>, or `folder` itself when given (a sweep names
    each trial's folder); `folder` must not exist yet."""
    if resume is not None:
        folder = Path(resume)
        config = _config_to_resume(folder, config, overrides)
    elif not isinstance(config, Config):
        config = load_config(config, overrides)
    experiment = build(config)  # bad data fails here, before any folder exists
    hashes = {"config_hash": config_hash(config), "data_hash": data_hash(experiment.splits)}
    if resume is not None:
        saved = _checkpoint_to_resume(folder, config, hashes)
    else:
        folder = make_run_folder(Path(runs_dir), config.name, experiment.model, None if folder is None else Path(folder))
    write_atomically(folder / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    record_environment(folder / "environment.json", config, hashes, resumed=resume is not None)

    settings = config.trainer
    X, _ = experiment.splits.train
    state = LoopState(
        experiment.model, experiment.optimizer, settings.epochs, steps_per_epoch(len(X), settings.batch_size), rng_for(config.seed, "batches")
    )
    standard = StandardCallbacks.for_run(config, folder, hashes, callbacks, progress, first=experiment.callbacks)
    if resume is not None and saved is not None:
        checkpoint.restore(state, saved, standard.ordered)

    keep_freed_memory()
    started = time.perf_counter()
    with stop_on_signals(state), threadpool_limits(limits=settings.blas_threads, user_api="blas"):
        try:
            fit(state, experiment.loss, experiment.splits.train, experiment.splits.val, batch_size=settings.batch_size,
                callbacks=standard.ordered, guard_memory=guard_memory)
        except KeyboardInterrupt:
            state.status = "interrupted"
            raise
        except Exception:
            state.status = "failed"
            raise
        finally:
            summary = summarize(config, experiment, state, folder, time.perf_counter() - started, standard)
            write_atomically(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    from trainer.plots import plot_diagnostics, plot_losses, plot_model  # matplotlib is slow to import: only once there is something to draw

    plot_losses(folder)
    plot_model(folder, experiment)
    if settings.diagnostics:
        plot_diagnostics(folder)
    return Run(folder, config, experiment.model, state.history, summary)


@dataclass
class StandardCallbacks:
    """The callbacks every run has, and the order all callbacks run in."""

    logger: CSVLogger
    guard: DivergenceGuard
    early: EarlyStopping | None
    saver: checkpoint.Checkpointer
    ordered: list

    @classmethod
    def for_run(cls, config: Config, folder: Path, hashes: dict, extra, progress: bool, first=()) -> "StandardCallbacks":
        """`first`: the experiment's own callbacks (schedule, clipping, metrics), ahead of all others so
        that the logs, early stopping and checkpoints see the metrics they add."""
        settings = config.trainer
        logger = CSVLogger(folder)
        guard = DivergenceGuard(settings.divergence_factor, config.data.standardize)
        early = None
        if settings.early_stopping:
            stopping = settings.early_stopping
            monitor = Monitor(*config.monitored(stopping.monitor, stopping.mode), stopping.min_delta)
            early = EarlyStopping(monitor, stopping.patience, stopping.restore_best)
        # The checkpointer runs after the others, so it saves their state after they saw the epoch;
        # it gets this very list, to which it and the progress bar are added, for their state_dicts.
        ordered = [*first, logger, guard, *([early] if early else []), *([diagnostics.Diagnostics(folder)] if settings.diagnostics else []), *extra]
        best = Monitor(*config.monitored(settings.monitor, settings.mode))
        saver = checkpoint.Checkpointer(folder / "checkpoints", best, settings.checkpoint_every, ordered, hashes, before_save=logger.flush)
        ordered += [saver] + ([ProgressBar()] if progress else [])
        return cls(logger, guard, early, saver, ordered)


def summarize(config, experiment, state, folder, seconds, standard: StandardCallbacks) -> dict:
    """summary.json. Every key is there whatever the outcome (null when it does not apply), so that a
    grader can rely on them and `--expect` can check the names it is given before training (trainer.grading)."""
    last = state.history[-1] if state.history else {}
    diverged = state.status == "diverged"
    summary = {
        "name": config.name,
        "status": state.status,
        "epochs_completed": len(state.history),
        "steps": state.step,
        "train_loss": last.get("train_loss"),
        "val_loss": last.get("val_loss"),
        "test_loss": None if diverged else evaluate(experiment.model, experiment.loss, experiment.splits.test),
        "best": {"monitor": standard.saver.monitor.key, "mode": standard.saver.monitor.mode, "value": standard.saver.monitor.best},
        "seconds": round(seconds, 3),
        "seed": config.seed,
        "folder": str(folder),
        "stopped_epoch": state.epoch if state.status == "stopped_early" else None,
        "best_epoch": standard.early.best_epoch if state.status == "stopped_early" else None,
        "divergence": standard.guard.message if diverged else None,
        # a diverged run has its own explanation (divergence); the others get advice about the learning rate
        "warnings": [] if diverged else diagnostics.learning_rate_warnings(
            [logs["train_loss"] for logs in state.history], config.optimizer.options().get("lr")
        ),
    }
    test_split = None if diverged else experiment.splits.test  # a diverged model is not scored
    summary |= final_scores(experiment.metrics, experiment.task, experiment.model, state.history, test_split)
    return summary | report.linear_model_facts(experiment)


def make_run_folder(runs_dir: Path, name: str, model, folder: Path | None = None) -> Path:
    """RUNS_DIR/<name>/<timestamp> (or `folder`, when given). Fails before training, not after, when
    the folder cannot be made or the disk has no room for checkpoints."""
    if folder is None:
        folder = make_timestamped_folder(runs_dir / name)
    else:
        try:
            folder.mkdir(parents=True)
        except OSError as error:
            raise UserError(f"cannot create the run folder {folder}: {error.strerror or error}.") from None
    needed = 4 * sum(p.data.nbytes for p in model.parameters) + 10 * 2**20  # 3 checkpoints, optimizer state, logs, plot
    free = shutil.disk_usage(folder).free
    if free < needed:
        folder.rmdir()
        raise UserError(
            f"the disk holding {runs_dir} has {free / 2**20:.1f} MiB free, and this run needs about "
            f"{needed / 2**20:.0f} MiB for its checkpoints and logs. Free some space or choose another place with --runs-dir."
        )
    return folder


def make_timestamped_folder(parent: Path) -> Path:
    """PARENT/<timestamp>, with a suffix when another run took that second."""
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            folder = parent / (stamp if attempt == 1 else f"{stamp}_{attempt}")
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                continue
    except OSError as error:
        raise UserError(f"cannot create a run folder under {parent.parent}: {error.strerror or error}. Choose another place with --runs-dir.") from None
    raise UserError(f"cannot create a run folder under {parent}: too many runs started in the same second.")


def require_run_folder(folder: Path) -> None:
    if not (folder / "config.yaml").is_file() or not (folder / "checkpoints").is_dir():
        raise UserError(
            f"{folder} is not a run folder (it has no config.yaml and checkpoints/); give a folder "
            f"that a run made, e.g. runs/linreg/2026-11-29_10-00-00."
        )


def _config_to_resume(folder: Path, config, overrides) -> Config:
    """The run's saved config, with `overrides` or as `config` asks, if only keys that may change do."""
    require_run_folder(folder)
    saved = load_config(folder / "config.yaml")
    requested = config if isinstance(config, Config) else load_config(config or folder / "config.yaml", overrides)
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
        raise UserError(f"no readable checkpoint in {folder} ({'; '.join(problems)}); the run cannot be resumed. Start it again without --resume.")
    if saved is None:
        return None
    if problems:
        print(f"warning: {'; '.join(problems)}; resuming from {name}.npz instead.", file=sys.stderr)
    if saved["data_hash"] != hashes["data_hash"]:
        raise UserError(f"the training data changed since {folder} started (its hash differs); the run cannot continue exactly. Start a new run.")
    loop = saved["loop"]
    if loop["epoch"] >= config.trainer.epochs and not loop["batch_in_epoch"]:
        raise UserError(
            f"{folder} already finished its {loop['epoch']} epochs; to train longer, raise them: --resume {folder} trainer.epochs={loop['epoch'] * 2}."
        )
    return saved

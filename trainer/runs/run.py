"""A run: build the experiment, make (or reopen) its folder, train, and leave config, logs,
checkpoints, summary and plots behind.

    run = trainer.train("configs/linreg.yaml", overrides=["optimizer.lr=0.05"])
    run.summary["val_loss"], run.history, run.model, run.folder
    trainer.train(resume=run.folder, overrides=["trainer.epochs=40"])   # continue it
"""

import contextlib
import errno
import shutil
import sys
import time
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

from trainer.config.load import load_config
from trainer.config.schema import Config
from trainer.contracts import LoopState
from trainer.errors import UserError
from trainer.files import write_atomically, write_json
from trainer.optim.schedules import build_schedule
from trainer.runs.build import build, rng_for
from trainer.runs.callbacks import assemble
from trainer.runs.folder import make_run_folder, require_run_folder, run_lock
from trainer.runs.handle import Run
from trainer.runs.provenance import (
    config_differences,
    config_hash,
    data_hash,
    record_environment,
)
from trainer.runs.summary import summarize
from trainer.training import checkpoint
from trainer.training.loop import fit, steps_per_epoch
from trainer.training.stopping import stop_on_signals


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
            _check_schedule(config, saved, experiment)
            return _train_in(folder, experiment, hashes, saved, resumed=True, **options)
    if config is None:
        raise UserError("train needs a config (a file or a Config), or resume=RUN_DIR to continue a run.")
    config = load_config(config, overrides)  # a Config without overrides is kept as it is
    experiment = build(config)  # bad data fails here, before any folder exists
    hashes = {"config_hash": config_hash(config), "data_hash": data_hash(experiment.splits)}
    runs_folder = None if folder is None else Path(folder)
    folder = make_run_folder(Path(runs_dir), config.name, experiment.model, runs_folder)
    with run_lock(folder):
        try:
            return _train_in(folder, experiment, hashes, None, resumed=False, **options)
        except UserError:  # e.g. a model whose output changed shape: a clear error, and if no
            if not any((folder / "checkpoints").glob("*.npz")):  # checkpoint is worth keeping, no folder
                shutil.rmtree(folder, ignore_errors=True)
                if runs_folder is None:  # and RUNS_DIR/<name>, if this run was its only one
                    with contextlib.suppress(OSError):
                        folder.parent.rmdir()
            raise


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
    # The checkpoint keeps the config itself beside its hash, to name the keys of a config.yaml edited since.
    run_callbacks = assemble(experiment, folder, hashes | {"config": config.to_dict()}, callbacks, progress)
    if saved is not None:
        checkpoint.restore(state, saved, run_callbacks.ordered)
    with _disk_trouble_explained(folder):  # from here on the files grow: the disk may fill up
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
                write_json(folder / "summary.json", summary)
        from trainer.runs.image_plots import plot_classifier
        from trainer.runs.plots import plot_diagnostics, plot_losses, plot_model

        plot_losses(folder)
        plot_model(folder, experiment)
        plot_classifier(folder, experiment)  # confusion.png; for images mistakes.png and filters.png
        if settings.diagnostics:
            plot_diagnostics(folder)
    return Run(folder, config, experiment, "trained", state.history, summary)


def _check_schedule(config: Config, saved: dict | None, experiment) -> None:
    """Refuse new trainer.epochs that would redraw the lr schedule under a resumed run: a cosine wave
    is drawn over the run's whole length, so the lr would jump (at the end of a finished run, from
    about 0 to half the peak when the epochs double) instead of continuing the curve."""
    if config.schedule is None or saved is None or "config" not in saved:
        return
    trained_for, asked = saved["config"]["trainer"]["epochs"], config.trainer.epochs
    per_epoch = steps_per_epoch(len(experiment.splits.train[0]), config.trainer.batch_size)
    step = saved["loop"]["step"]
    was, would_be = (
        build_schedule(config.schedule, experiment.optimizer.lr, per_epoch, per_epoch * epochs)(step)
        for epochs in (trained_for, asked)
    )
    if was != would_be:
        raise UserError(
            f"the {config.schedule.type} schedule is drawn over the run's whole length, trainer.epochs="
            f"{trained_for}: with trainer.epochs={asked} the learning rate at step {step} would jump from "
            f"{was:.3g} to {would_be:.3g} instead of continuing its curve. To train along one curve of "
            f"{asked} epochs, start a new run with trainer.epochs={asked}."
        )


@contextlib.contextmanager
def _disk_trouble_explained(folder: Path):
    """A disk that fills up (or turns read-only) mid-run stops it with a clear error that says how to
    continue: checkpoints are written whole (trainer.files), so the last good one is kept."""
    try:
        yield
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        raise UserError(
            f"writing {error.filename or 'into ' + str(folder)} failed: {error.strerror}. The run stopped and its "
            f"last good checkpoint is kept; make room on the disk, then continue the run with --resume {folder}."
        ) from None


def _config_to_resume(folder: Path, config, overrides) -> Config:
    """The run's saved config, with `overrides` or as `config` asks, if only keys that may change do."""
    require_run_folder(folder)
    saved = load_config(folder / "config.yaml")
    requested = (
        config if isinstance(config, Config) else load_config(config or folder / "config.yaml", overrides)
    )
    changed = config_differences(saved.to_dict(), requested.to_dict())
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
    if saved["config_hash"] != hashes["config_hash"]:
        changed = config_differences(saved["config"], config.to_dict()) if "config" in saved else []
        raise UserError(
            f"{folder / 'config.yaml'} is not the config this run was trained with"
            + (f" ({'; '.join(changed)})" if changed else " (its hash differs from the checkpoint's)")
            + ": was it edited? Resuming with it would not continue the same run. Put it back as it was, or "
            "start a new run from it (without --resume)."
        )
    _check_progress(folder, saved["loop"], config.trainer.epochs)
    return saved


def _check_progress(folder: Path, loop: dict, epochs: int) -> None:
    """Refuse fewer epochs than the run has trained; say so when a finished run has nothing left to train
    (resuming it then writes what a kill may have left unwritten: the summary, the plots, the grade)."""
    if loop["epoch"] > epochs:
        raise UserError(
            f"trainer.epochs={epochs} is fewer than the {loop['epoch']} epochs {folder} has already trained; "
            f"a resume can only train longer. Leave trainer.epochs out, or give at least {loop['epoch']}."
        )
    if loop["status"] == "stopped_early":
        done = f"stopped early at epoch {loop['epoch']}: early stopping ended it, and a resume keeps it ended"
    elif loop["epoch"] == epochs and not loop["batch_in_epoch"]:
        done = (
            f"trained all its {epochs} epochs (to train longer: --resume {folder} "
            f"trainer.epochs={epochs * 2})"
        )
    else:
        return
    print(
        f"note: {folder} has {done}. Nothing is left to train: the summary and plots are written again.",
        file=sys.stderr,
    )

"""A run: build the experiment, make its folder, train, and leave config, logs, summary and plots.

    run = trainer.train("configs/linreg.yaml", overrides=["optimizer.lr=0.05"])
    run.summary["val_loss"], run.history, run.model, run.folder
"""

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from trainer import report
from trainer.build import build, rng_for
from trainer.callbacks import CSVLogger, ProgressBar
from trainer.config import Config, load_config
from trainer.errors import UserError
from trainer.loop import LoopState, evaluate, fit, steps_per_epoch


@dataclass
class Run:
    folder: Path
    config: Config
    model: object
    history: list[dict]
    summary: dict


def train(config: Config | str | Path, overrides=(), *, runs_dir="runs", folder=None, callbacks=(), progress=False, guard_memory=False) -> Run:
    """Train from a config (or a config file and `key=value` overrides); return the finished run.

    The run folder is a new RUNS_DIR/<name>/<timestamp>, or `folder` itself when given (a sweep
    names each trial's folder); `folder` must not exist yet.
    """
    if not isinstance(config, Config):
        config = load_config(config, overrides)
    experiment = build(config)  # bad data fails here, before any folder exists
    folder = make_run_folder(Path(runs_dir), config.name) if folder is None else _make_folder(Path(folder))
    write_atomically(folder / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    X, _ = experiment.splits.train
    settings = config.trainer
    state = LoopState(experiment.model, experiment.optimizer, settings.epochs, steps_per_epoch(len(X), settings.batch_size))
    loggers = [CSVLogger(folder)] + ([ProgressBar()] if progress else [])
    started = time.perf_counter()
    try:
        fit(
            state, experiment.loss, experiment.splits.train, experiment.splits.val,
            batch_size=settings.batch_size, rng=rng_for(config.seed, "batches"),
            callbacks=[*loggers, *callbacks], guard_memory=guard_memory,
        )
    except KeyboardInterrupt:
        state.status = "interrupted"
        raise
    except Exception:
        state.status = "failed"
        raise
    finally:
        summary = {
            "name": config.name,
            "status": state.status,
            "epochs_completed": len(state.history),
            "steps": state.step,
            "train_loss": state.history[-1]["train_loss"] if state.history else None,
            "val_loss": state.history[-1]["val_loss"] if state.history else None,
            "test_loss": evaluate(experiment.model, experiment.loss, experiment.splits.test),
            "seconds": round(time.perf_counter() - started, 3),
            "seed": config.seed,
            "folder": str(folder),
            **report.linear_model_facts(experiment),
        }
        write_atomically(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    from trainer.plots import plot_losses  # matplotlib is slow to import: only once there is something to draw

    plot_losses(folder)
    return Run(folder, config, experiment.model, state.history, summary)


def make_run_folder(runs_dir: Path, name: str) -> Path:
    """RUNS_DIR/<name>/<timestamp>, with a suffix when another run took that second."""
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    try:
        (runs_dir / name).mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            folder = runs_dir / name / (stamp if attempt == 1 else f"{stamp}_{attempt}")
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                continue
    except OSError as error:
        raise UserError(f"cannot create a run folder under {runs_dir}: {error.strerror or error}. Choose another place with --runs-dir.") from None
    raise UserError(f"cannot create a run folder under {runs_dir / name}: too many runs started in the same second.")


def _make_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True)
    except OSError as error:
        raise UserError(f"cannot create the run folder {folder}: {error.strerror or error}.") from None
    return folder


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file, then rename over `path`: a reader never sees half a file."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)

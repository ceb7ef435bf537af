"""The run folder: RUNS_DIR/<name>/<timestamp>, made before training and checked before resuming, and
locked by the one process that trains in it."""

import contextlib
import fcntl
import os
import shutil
from datetime import datetime
from pathlib import Path

from trainer.errors import UserError


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
    needed = (
        4 * sum(p.data.nbytes for p in model.parameters) + 10 * 2**20
    )  # 3 checkpoints, optimizer state, logs, plot
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
        raise UserError(
            f"cannot create a run folder under {parent.parent}: {error.strerror or error}. Choose another place with --runs-dir."
        ) from None
    raise UserError(f"cannot create a run folder under {parent}: too many runs started in the same second.")


def require_run_folder(folder: Path) -> None:
    if not (folder / "config.yaml").is_file() or not (folder / "checkpoints").is_dir():
        raise UserError(
            f"{folder} is not a run folder (it has no config.yaml and checkpoints/); give a folder "
            f"that a run made, e.g. runs/linreg/2026-11-29_10-00-00."
        )


class RunFolderInUse(UserError):
    """Another process holds the run folder's lock."""


@contextlib.contextmanager
def run_lock(folder: Path):
    """Hold the run folder for this process: one writer per run. The lock is the kernel's (flock on
    `run.lock`, which holds the holder's PID), so it ends with the process however that ends: a run
    killed with kill -9 never blocks its resume."""
    try:
        handle = os.open(folder / "run.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise UserError(f"cannot lock the run folder {folder}: {error.strerror or error}.") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 20, 0).decode(errors="replace").strip() or "another process"
            raise RunFolderInUse(
                f"{folder} is in use: process {holder} is training in it. Wait for it to finish (or stop it) "
                f"before resuming; one run folder has one writer."
            ) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(handle)

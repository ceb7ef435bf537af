"""Sweeps: one config run many times with different values, each trial an ordinary run.

    sweep = plan("configs/linreg.yaml", grid=["optimizer.lr=0.01,0.1"])   # validates every trial
    with open_executor(workers=2) as (executor, slots):                  # or dask="local" / an address
        folder = start(sweep, runs_dir="runs")
        outcomes = run(sweep, folder, executor, slots=slots)

A trial is `run_trial(task)`: a top-level function of plain data that trains into the trial's own
folder and returns what the folder says, so a local process pool and a Dask cluster both run it and
give the same numbers. The trial folders are the record: `--resume` reads their summary.json.
"""

import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from trainer.config.load import load_config
from trainer.errors import ConfigError, UserError
from trainer.files import write_atomically, write_json
from trainer.runs.folder import RunFolderInUse, make_timestamped_folder
from trainer.sweeps.space import Space, Trial, expand, parse_distribution, read_space
from trainer.training.callbacks import read_log

FINISHED = (
    "completed",
    "stopped_early",
    "diverged",
    "failed",
)  # a resumed sweep skips these; others run again

SUCCEEDED = ("completed", "stopped_early")

DASK_CONNECT_SECONDS = 5

# How long an interrupted trial has to stop after its step and save (its checkpoint takes milliseconds,
# its summary and plots about a second) before its worker is killed; its last checkpoint stays good.
WORKER_GRACE_SECONDS = 5

WORKER_IMPORTS = [
    "trainer.sweeps.sweep",
    "trainer.runs.run",
    "trainer.runs.plots",
    "sklearn.datasets",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.preprocessing",
]


@dataclass
class Sweep:
    config: Path  # absolute, so workers in other folders (or on other machines) find it
    overrides: list[str]  # applied to every trial, before the swept values
    space: Space
    trials: list[Trial]
    monitor: str  # what ranks the trials: the config's trainer.monitor (default val_loss, or train_loss)
    mode: str  # min or max: whether a lower or a higher monitored value is better

    def to_dict(self) -> dict:
        """sweep.yaml: what was asked, and the trials it expanded to (exact values, so a resume repeats them)."""
        trials = [{"id": trial.id, "values": trial.values} for trial in self.trials]
        return {
            "config": str(self.config),
            "overrides": self.overrides,
            **self.space.to_dict(),
            "expanded": trials,
        }


@dataclass
class Outcome:
    """What a trial's folder says: its status, losses per epoch, and the error if it raised."""

    status: str  # completed, stopped_early, diverged, failed, interrupted, or "not run"
    epochs: list[dict] = field(default_factory=list)  # rows of epochs.csv
    best: float | None = None  # the best monitored value over the epochs
    seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class TrialTask:
    config: str
    overrides: tuple[str, ...]
    folder: str


def plan(config, overrides=(), grid=(), random=(), trials=None, seed=None) -> Sweep:
    """The sweep's trials, each one's config validated before anything runs. Raises UserError."""
    space = read_space(Path(config), grid, random, trials, seed)
    return _validated(Path(config).resolve(), list(overrides), space, expand(space))


def load(folder: Path) -> Sweep:
    """The sweep recorded in `folder`/sweep.yaml, validated again (the config file may have changed)."""
    path = Path(folder) / "sweep.yaml"
    try:
        recorded = yaml.safe_load(path.read_text())
        random = {key: parse_distribution(text, str(path)) for key, text in recorded["random"].items()}
        space = Space(recorded["grid"], random, recorded["trials"], recorded["seed"])
        trials = [
            Trial(index, entry["id"], entry["values"]) for index, entry in enumerate(recorded["expanded"])
        ]
        config, overrides = Path(recorded["config"]), recorded["overrides"]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise UserError(
            f"cannot resume from {folder}: {path} cannot be read ({type(error).__name__}: {error}). Give the folder of a sweep, the one holding sweep.yaml."
        ) from None
    return _validated(config, overrides, space, trials)


def _validated(config: Path, overrides: list[str], space: Space, trials: list[Trial]) -> Sweep:
    base = load_config(config, overrides)
    for trial in trials:
        try:
            load_config(config, [*overrides, *trial.overrides()])
        except ConfigError as error:
            raise ConfigError(
                f"trial {trial.id} has a bad config, so no trial was started: {error}"
            ) from None
    monitor, mode = base.monitored(base.trainer.monitor, base.trainer.mode)
    return Sweep(config, overrides, space, trials, monitor, mode)


def start(sweep: Sweep, runs_dir) -> Path:
    """A new sweep folder, RUNS_DIR/<name>-sweep/<timestamp>, with sweep.yaml in it."""
    folder = make_timestamped_folder(
        Path(runs_dir) / (load_config(sweep.config, sweep.overrides).name + "-sweep")
    )
    write_atomically(folder / "sweep.yaml", yaml.safe_dump(sweep.to_dict(), sort_keys=False))
    return folder


def run(
    sweep: Sweep,
    folder: Path,
    executor,
    *,
    slots=lambda: os.cpu_count(),
    fail_fast=False,
    on_change=lambda outcomes, running: None,
) -> dict[str, Outcome]:
    """Run the trials that have not finished, at most `slots()` at a time; return every trial's outcome.

    A trial that fails or diverges is recorded and the sweep goes on, unless `fail_fast`: then no
    more trials start (those running finish and are recorded). A broken process pool (a worker
    killed) starts no more trials either. `on_change(outcomes, running)` is called after each
    trial, for progress bars and summaries.
    """
    outcomes = {trial.id: read_outcome(folder / trial.id) for trial in sweep.trials}
    waiting = [trial for trial in sweep.trials if outcomes[trial.id].status not in FINISHED]
    running = {}
    stop = False
    try:
        while running or (waiting and not stop):
            while waiting and not stop and len(running) < slots():
                trial = waiting.pop(0)
                task = TrialTask(
                    str(sweep.config), (*sweep.overrides, *trial.overrides()), str(folder / trial.id)
                )
                try:
                    running[executor.submit(run_trial, task)] = trial
                except BrokenExecutor:
                    stop = True  # the trials not started stay "not run", for --resume
            on_change(outcomes, len(running))
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                trial = running.pop(future)
                outcomes[trial.id] = _result(future)
                stop = stop or (fail_fast and outcomes[trial.id].status not in SUCCEEDED)
    finally:
        for future in running:
            future.cancel()
        on_change(outcomes, 0)
    return outcomes


def _result(future) -> Outcome:
    try:
        return future.result()
    except (
        Exception
    ) as error:  # its worker process died (killed, out of memory; on Dask, more often than it retries)
        return Outcome(
            "interrupted", error=f"{type(error).__name__}: {error}"
        )  # not finished: --resume runs it again


_no_trial_running = threading.Event()  # in a worker: set between trials (see _end_with_the_sweep)
_no_trial_running.set()


def run_trial(task: TrialTask) -> Outcome:
    """Train one trial into its folder and return its outcome. Pure: the result depends only on the task."""
    folder = Path(task.folder)
    _no_trial_running.clear()
    # A diverging trial's overflow warnings would scramble the progress bar (its status says "diverged" instead).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            _continue_or_start(task, folder)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: the run recorded status "interrupted"; --resume continues it
        except RunFolderInUse as error:  # a worker of a killed sweep, still saving: leave its folder be
            return Outcome("interrupted", error=str(error))
        except Exception as error:
            _record_error(folder, error)
        finally:
            _no_trial_running.set()
    return read_outcome(folder)


def _continue_or_start(task: TrialTask, folder: Path) -> None:
    """Continue the trial's run from its last checkpoint when an earlier attempt left one (Ctrl-C, a
    lost worker), so it ends exactly as if never stopped; otherwise start it afresh."""
    from trainer.runs.run import train

    try:
        train(task.config, list(task.overrides), resume=folder, progress=False)
    except RunFolderInUse:
        raise
    except UserError:  # no run there yet, or one that cannot continue exactly (its config or data changed)
        shutil.rmtree(folder, ignore_errors=True)
        train(task.config, list(task.overrides), folder=folder, progress=False)


def _record_error(folder: Path, error: Exception) -> None:
    """Add the error to the run's summary.json (or write one, when the run failed before it had a folder)."""
    path = folder / "summary.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    summary.update(
        status="failed", error=f"{type(error).__name__}: {error}"
    )  # raised, if only while plotting
    folder.mkdir(parents=True, exist_ok=True)
    write_json(path, summary)


def read_outcome(folder: Path) -> Outcome:
    summary_path, epochs_path = folder / "summary.json", folder / "epochs.csv"
    if not summary_path.exists():
        return Outcome("not run")
    summary = json.loads(summary_path.read_text())
    epochs = read_log(epochs_path)
    best = (summary.get("best") or {}).get("value")
    return Outcome(summary["status"], epochs, best, summary.get("seconds"), summary.get("error"))


@contextlib.contextmanager
def open_executor(workers: int | None = None, dask: str | None = None, initializer=None):
    """(executor, slots): a local process pool by default; with `dask`, a Dask cluster's executor.

    `dask` is a scheduler address (tcp://host:8786) or "local" for a LocalCluster of `workers`
    processes on this machine, listening on the loopback interface only.
    `slots()` is how many trials can run at once. `initializer` runs first in each local worker.
    """
    workers = workers or os.cpu_count()
    if dask is None:
        # Workers are forked from a fork server, a clean single-threaded process (not this one, which
        # may hold threads) that imports what a trial needs once: a worker then starts in milliseconds,
        # not the 2-3 s that importing scikit-learn and matplotlib takes.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(WORKER_IMPORTS)
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(initializer,)
        ) as pool:
            try:
                yield pool, lambda: workers
            except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (trainer.cli.common): no worker outlives the sweep
                _end_workers(pool)
                raise
        return
    with _dask_client(dask, workers) as client:
        with client.get_executor(pure=False) as executor:  # pure=False: never merge two equal-looking tasks
            yield executor, lambda: max(1, sum(client.nthreads().values()))


def _start_worker(initializer) -> None:
    """First thing in each pool worker: it ends with the sweep process however that ends (kill -9
    too), and then runs `initializer`. The worker is a child of the fork server, which lives as long
    as any worker does, so the worker itself watches the sweep."""
    threading.Thread(target=_end_with_the_sweep, daemon=True).start()
    if initializer is not None:
        initializer()


def _end_with_the_sweep() -> None:
    sweep_process = multiprocessing.parent_process()
    assert sweep_process is not None  # (this runs in a worker)
    sweep_process.join()  # returns when the sweep process is gone
    os.kill(os.getpid(), signal.SIGTERM)  # a trial stops after its step and saves; an idle worker ends
    _no_trial_running.wait(WORKER_GRACE_SECONDS)
    os._exit(1)  # no one is left to take the trial's outcome or give the worker another


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop an interrupted sweep's workers: SIGTERM, so each running trial stops after its step and
    saves; then the pool's own shutdown ends the idle ones. A worker still there after
    WORKER_GRACE_SECONDS, or at a second Ctrl-C, is killed."""
    workers = multiprocessing.active_children()  # the pool's workers: this process starts no others
    for worker in workers:
        worker.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + WORKER_GRACE_SECONDS
    try:
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        pass  # a second Ctrl-C: wait no more
    finally:
        for worker in workers:
            worker.kill()


@contextlib.contextmanager
def _dask_client(address: str, workers: int):
    try:
        import logging

        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError(
            '--dask needs Dask\'s "distributed" package: pip install "trainer[dask]" (or pip install "dask[distributed]").'
        ) from None
    if address == "local":
        # the scheduler's and workers' dask-scratch-space in a temporary folder that goes with the
        # cluster, not in the shared temporary directory, where Dask would leave it behind
        with (
            tempfile.TemporaryDirectory(prefix="trainer-dask-") as scratch,
            dask.config.set({"temporary-directory": scratch}),
        ):
            with (
                _sigint_ignored()
            ):  # by the worker processes (they inherit it): Ctrl-C stops the sweep, which closes the cluster
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    local_directory=scratch,
                )
            with cluster, Client(cluster) as client:
                yield client
        return
    try:
        client = Client(address, timeout=DASK_CONNECT_SECONDS)
    except Exception as error:  # OSError, TimeoutError, ValueError for a malformed address
        raise UserError(
            f"cannot reach the Dask scheduler at {address} within {DASK_CONNECT_SECONDS} s ({type(error).__name__}: {error}). "
            f"Check the address (tcp://HOST:8786) and that a scheduler runs there, or use --dask local."
        ) from None
    with client:
        yield client


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C while starting child processes; they keep ignoring it, while this process gets it again."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

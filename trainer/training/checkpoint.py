"""Checkpoints: everything needed to continue a run exactly, in one .npz file written atomically.

A checkpoint holds the parameters, the optimizer's state, the loop state (counters, the batch
generator's state, the epoch's partial loss, the history), the callbacks' states and hashes of the
config and the training data. Arrays are stored as arrays and everything else as JSON (Python
writes floats as their shortest exact text), so loading gives back the same bits; nothing is pickled.
"""

import json
import os
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np

from trainer.contracts import Callback, LoopState, Model, Stateful
from trainer.errors import UserError
from trainer.files import open_atomically, replace_or_clean, unused_name_beside
from trainer.nn.models import buffers_of
from trainer.training.stopping import Monitor

# Tried in this order on resume: a damaged file falls back to the one before it.
NAMES = ("last", "previous", "best")
# What every checkpoint holds (see `snapshot`), checked when one is loaded.
REQUIRED = ("parameters", "optimizer", "loop", "model_rng_state", "callbacks", "config_hash", "data_hash")


def save(path: Path, content: dict, fsync: bool = True) -> None:
    """Write `content` (nested dicts/lists of arrays and JSON values) to `path` atomically: a process
    killed at any instant leaves either the old file or the new one, never half of one."""
    arrays: dict[str, np.ndarray] = {}
    meta = _encode(content, "", arrays)
    with open_atomically(path, fsync) as file:
        np.savez(file, allow_pickle=False, __meta__=np.array(json.dumps(meta)), **arrays)


def load(path: Path) -> dict:
    """The content saved at `path`; ValueError if the file is missing, truncated or damaged."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(str(arrays.pop("__meta__")))
        return _decode(meta, arrays)
    except IsADirectoryError:
        raise ValueError(f"{path.name} is a folder, not a checkpoint file") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        # (NumPy's own words for pickled data advise loading it unsafely: a checkpoint never holds any.)
        reason = "it holds pickled objects" if "pickle" in str(error) else f"{type(error).__name__}: {error}"
        raise ValueError(f"{path.name} cannot be read ({reason})") from None


def save_rotating(folder: Path, content: dict, fsync: bool = True) -> None:
    """Save as `last`, keeping the former `last` as `previous`."""
    last = folder / "last.npz"
    if last.exists():
        os.replace(last, folder / "previous.npz")
    save(last, content, fsync)


def load_first_readable(folder: Path, order=NAMES) -> tuple[dict | None, str | None, list[str]]:
    """The first checkpoint in `order` that loads: (content, its name, problems with the ones
    skipped); (None, None, problems) when none does (problems is empty when there is none yet)."""
    problems: list[str] = []
    for name in order:
        path = folder / f"{name}.npz"
        if not path.exists():
            continue
        try:
            content = load(path)
            missing = [key for key in REQUIRED if not isinstance(content, dict) or key not in content]
            if missing:
                raise ValueError(f"{path.name} is not a whole checkpoint (it lacks {', '.join(missing)})")
            return content, name, problems
        except ValueError as error:
            problems.append(str(error))
    return None, None, problems


def _encode(value, key: str, arrays: dict):
    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        return {name: _encode(item, f"{key}/{name}", arrays) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item, f"{key}/{index}", arrays) for index, item in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value, arrays: dict):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {name: _decode(item, arrays) for name, item in value.items()}
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    return value


class Checkpointer(Callback):
    """Saves `last` at an epoch's end once SAVE_SECONDS have passed since the last save, at the end
    of the last epoch (or of the epoch early stopping ends on), every `every` steps, and when
    interrupted; `best` whenever the monitored value improves. Never saves a diverged state.

    So a run killed outright (SIGKILL, a crash) loses at most SAVE_SECONDS and an epoch of training,
    which resuming repeats exactly; Ctrl-C and SIGTERM lose nothing. Epochs longer than SAVE_SECONDS
    each get their checkpoint; shorter ones would otherwise spend more time writing files than
    learning (a checkpoint costs ~2 ms here, a full-batch step of 100,000 rows ~3 ms). A run killed
    before its first checkpoint starts over, which its config and seed reproduce exactly.

    Every write is atomic (a killed process leaves the old file or the new one). Flushing to disk
    (fsync, which only a crash of the machine needs) is done when the last flush is SYNC_SECONDS old,
    so a machine crash loses at most SYNC_SECONDS of training. (Writing from a background thread was
    measured too, and was no faster: the thread competes for the GIL.)
    """

    SAVE_SECONDS = 1.0
    SYNC_SECONDS = 10.0

    def __init__(
        self,
        folder: Path,
        monitor: Monitor,
        every: int | None,
        callbacks,
        hashes: dict,
        before_save=lambda: None,
    ):
        self.folder, self.monitor, self.every = folder, monitor, every
        self.callbacks = callbacks  # whose state_dict() goes into the checkpoint, this one's included
        self.hashes = hashes
        self.before_save = before_save  # e.g. flush the CSV logs, so they are never behind a checkpoint
        self._saved_at = self._synced_at = time.monotonic()
        self._unsynced = False
        self._best: dict | None = None  # an improved state not yet written as `best`
        folder.mkdir(exist_ok=True)

    def on_step_end(self, state: LoopState, loss: float) -> None:
        if (
            self.every
            and state.step % self.every == 0
            and state.batch_in_epoch < state.steps_per_epoch
            and not state.stop
        ):
            self._save(state)

    def on_epoch_end(self, state: LoopState, logs: dict) -> None:
        if state.status == "diverged":
            return
        improved = self.monitor.improved(logs)  # first, so the saved state knows the new best
        if improved:
            self._best = None  # an earlier best not yet written is superseded
        if (
            state.stop
            or state.epoch >= state.epochs
            or time.monotonic() - self._saved_at >= self.SAVE_SECONDS
        ):
            self._save(state)
            if improved:
                # `best` is this very `last`: a hard link costs no second write (files are only ever replaced whole).
                best = self.folder / "best.npz"
                temporary = unused_name_beside(best)
                os.link(self.folder / "last.npz", temporary)
                replace_or_clean(temporary, best)
        elif improved:
            self._best = snapshot(state, self.callbacks, self.hashes)  # written with the next `last`

    def on_train_end(self, state: LoopState) -> None:
        if state.status == "interrupted":
            self._save(state)
        self._write_best()  # e.g. the last improvement before the run diverged
        if self._unsynced and time.monotonic() - self._synced_at >= self.SYNC_SECONDS:
            with open(self.folder / "last.npz", "rb+") as file:
                os.fsync(file.fileno())

    def state_dict(self) -> dict:
        return {"best": self.monitor.best}

    def load_state_dict(self, saved: dict) -> None:
        self.monitor.best = saved["best"]

    def _save(self, state) -> None:
        self.before_save()
        now = time.monotonic()
        sync = now - self._synced_at >= self.SYNC_SECONDS
        save_rotating(self.folder, snapshot(state, self.callbacks, self.hashes), fsync=sync)
        self._saved_at = now
        self._synced_at, self._unsynced = (now, False) if sync else (self._synced_at, True)
        self._write_best()

    def _write_best(self) -> None:
        if self._best is not None:
            save(self.folder / "best.npz", self._best, fsync=False)
            self._best = None


LOOP_FIELDS = ("epoch", "step", "batch_in_epoch", "epoch_loss_sum", "epoch_rng_state", "history", "status")


def snapshot(state: LoopState, callbacks: Iterable[Callback], hashes: dict) -> dict:
    """Everything a resumed run needs, as nested dicts of arrays and JSON values."""
    model_rng = _model_rng(state.model)
    return {
        "parameters": [
            p.data.copy() for p in state.model.parameters
        ],  # a copy: it may be kept while training goes on
        "buffers": [b.copy() for b in buffers_of(state.model)],
        "optimizer": state.optimizer.state_dict(),
        "loop": {name: getattr(state, name) for name in LOOP_FIELDS}
        | {"history": list(state.history), "rng_state": state.rng.bit_generator.state},
        "model_rng_state": model_rng and model_rng.bit_generator.state,
        "callbacks": {key: cb.state_dict() for key, cb in keyed_by_class(callbacks).items()},
        **hashes,
    }


def restore(state: LoopState, content: dict, callbacks: Iterable[Callback]) -> None:
    """Put a snapshot back into the loop state, the model, the optimizer and the callbacks."""
    for p, saved in zip(state.model.parameters, content["parameters"], strict=True):
        if p.shape != saved.shape:
            raise UserError(
                f"the checkpoint's parameters have shape {saved.shape}, the model's {p.shape}: it belongs to another model."
            )
        p.data[...] = saved
    restore_buffers(state.model, content)
    state.optimizer.load_state_dict(content["optimizer"])
    for name in LOOP_FIELDS:
        setattr(state, name, content["loop"][name])
    state.rng.bit_generator.state = content["loop"]["rng_state"]
    model_rng = _model_rng(state.model)
    if model_rng:
        model_rng.bit_generator.state = content["model_rng_state"]
    # A run that stopped early stays stopped: resuming it only writes what a kill left unwritten.
    stopped_early = content["loop"]["status"] == "stopped_early"
    state.status, state.stop = ("stopped_early", True) if stopped_early else ("running", False)
    saved_callbacks = content["callbacks"]
    for key, cb in keyed_by_class(callbacks).items():
        if key in saved_callbacks:
            cb.load_state_dict(saved_callbacks[key])


def restore_buffers(model: Model, content: dict) -> None:
    """Put a snapshot's buffers back into the model's own arrays (a checkpoint from before buffers
    were saved has none: a model without buffers needs none)."""
    for buffer, saved in zip(buffers_of(model), content.get("buffers", []), strict=True):
        buffer[...] = saved


def keyed_by_class(callbacks: Iterable[Callback]) -> dict[str, Stateful]:
    """The callbacks with state, each under a key that does not depend on the others: its class name,
    then NAME#2, NAME#3 for further callbacks of the same class (which must not overwrite each other)."""
    keyed: dict[str, Stateful] = {}
    for cb in callbacks:
        if hasattr(cb, "state_dict"):  # the Stateful contract: it has load_state_dict too
            name = type(cb).__name__
            count = sum(key.partition("#")[0] == name for key in keyed)
            keyed[name if not count else f"{name}#{count + 1}"] = cast(Stateful, cb)
    return keyed


def _model_rng(model: Model) -> np.random.Generator | None:
    """A model's own generator (the MLP's dropout masks), whose state a checkpoint must hold too."""
    rng = getattr(model, "rng", None)
    return rng if isinstance(rng, np.random.Generator) else None

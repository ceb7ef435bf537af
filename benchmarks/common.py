"""Side-by-side timing: every variant runs in the same process, interleaved, on the same data,
initial weights and batch order; medians over repeats and ratios to a baseline are printed."""

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from trainer.cli.memory import keep_freed_memory
from trainer.config.load import load_config
from trainer.contracts import LoopState
from trainer.runs.build import build, rng_for
from trainer.runs.callbacks import assemble
from trainer.runs.provenance import config_hash
from trainer.training.loop import fit, steps_per_epoch

# As in a run, for every variant alike: one BLAS thread (trainer.blas_threads), freed memory kept.
threadpool_limits(limits=1, user_api="blas")
keep_freed_memory()


def interleaved(variants: dict, repeats: int, prepare=lambda: None) -> dict[str, float]:
    """Median seconds of each variant; variant() runs once per repeat, round-robin, after a warm-up.
    `prepare()` runs before each, untimed (e.g. make the framework's next run folder: that is the
    run's setup, like building the experiment, which the hand-written loops have no part of either)."""
    for run in variants.values():
        prepare()
        run()
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            prepare()
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: dict[str, float], baselines: list[str]) -> str:
    lines = [
        f"## {title}",
        "",
        "| variant | median | " + " | ".join(f"/ {b}" for b in baselines) + " |",
        "|---|---|" + "---|" * len(baselines),
    ]
    for name, seconds in medians.items():
        ratios = " | ".join(f"{seconds / medians[b]:.2f}" for b in baselines)
        lines.append(f"| {name} | {seconds * 1e3:.1f} ms | {ratios} |")
    return "\n".join(lines) + "\n"


def train_with_framework(experiment, initial: list, epochs: int, batch_size: int, run_folder) -> list:
    """The framework's loop with the callbacks every run has, from the `initial` parameter values and
    the batch order of seed 0; the parameters it ends with."""
    for p, value in zip(experiment.model.parameters, initial):
        p.data[...] = value
    X, y = experiment.splits.train
    state = LoopState(
        experiment.model,
        experiment.optimizer,
        epochs,
        steps_per_epoch(len(X), batch_size),
        rng_for(0, "batches"),
    )
    hashes = {"config_hash": config_hash(experiment.config), "data_hash": "not measured"}
    callbacks = assemble(experiment, run_folder, hashes).ordered
    fit(state, experiment.loss, (X, y), None, batch_size=batch_size, callbacks=callbacks)
    return [p.data.copy() for p in experiment.model.parameters]


def with_torch(variants: dict, name: str, run) -> dict:
    """`variants` with `name: run` added when PyTorch is installed (it is optional)."""
    import importlib.util

    return variants | ({name: run} if importlib.util.find_spec("torch") else {})


class SameStart:
    """What the variants of a benchmark share: the config's experiment built once, its initial
    weights, the framework's batch order of each epoch, a fresh run folder per repeat, and the check
    that every variant reached the weights of the `reference` one (within `tolerance`)."""

    reference: str
    tolerance: tuple[float, float]  # rtol, atol

    def __init__(self, folder: Path, name: str, config_text: str, epochs: int):
        path = folder / f"{name}.yaml"
        path.write_text(config_text)
        self.config = load_config(path, [f"trainer.epochs={epochs}"])
        self.experiment = build(self.config)
        self.X, self.y = self.experiment.splits.train
        self.initial = [p.data.copy() for p in self.experiment.model.parameters]
        self.batch_size = self.config.trainer.batch_size
        rng = rng_for(0, "batches")  # the framework's batch order, epoch after epoch
        self.epochs, self.orders = epochs, [rng.permutation(len(self.X)) for _ in range(epochs)]
        self.folder = folder
        self.weights: dict[str, list[np.ndarray]] = {}

    def framework(self):
        self.weights["framework"] = train_with_framework(
            self.experiment, self.initial, self.epochs, self.batch_size, self.run_folder
        )

    def new_run_folder(self):
        self.run_folder = Path(tempfile.mkdtemp(dir=self.folder))

    def check_same_weights(self):
        reference = self.weights[self.reference]
        rtol, atol = self.tolerance
        for name, weights in self.weights.items():
            assert all(np.allclose(a, b, rtol=rtol, atol=atol) for a, b in zip(weights, reference)), (
                f"{name} reached other weights"
            )

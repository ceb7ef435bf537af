"""Linear regression, N=100,000, d=20: (a) one epoch with batch 32, (c) one full-batch step.

The framework's loop (trainer.training.loop.fit with the callbacks every run has: CSV logs, divergence
guard, checkpoints) against a minimal hand-written MyGrad loop and hand-written NumPy.

    python benchmarks/bench_linreg.py [--repeats 7]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import mygrad as mg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import interleaved, report  # noqa: E402

from trainer.config.load import load_config
from trainer.contracts import LoopState
from trainer.runs.build import build, rng_for
from trainer.runs.callbacks import assemble
from trainer.runs.provenance import config_hash
from trainer.training.loop import fit, steps_per_epoch

CONFIG = """\
name: bench
seed: 0
data: {type: synthetic_linear, n_samples: 100000, n_features: 20, noise: 0.1, val_fraction: 0.0}
model: linear
loss: mse
optimizer: {type: sgd, lr: 0.01}
trainer: {epochs: 1, batch_size: BATCH}
"""


class Variants:
    """`epochs` epochs of each variant from the same initial weights and batch order."""

    def __init__(self, batch_size: int, folder: Path, epochs: int = 1):
        path = folder / f"bench{batch_size}.yaml"
        path.write_text(CONFIG.replace("BATCH", str(batch_size)))
        self.config = load_config(path)
        self.experiment = build(self.config)
        self.X, self.y = self.experiment.splits.train
        self.batch_size, self.lr, self.folder = batch_size, 0.01, folder
        rng = rng_for(0, "batches")  # the framework's batch order, epoch after epoch
        self.epochs, self.orders = epochs, [rng.permutation(len(self.X)) for _ in range(epochs)]
        self.weights = {}

    def framework(self):
        experiment, config = self.experiment, self.config
        for p in experiment.model.parameters:
            p.data[...] = 0.0
        state = LoopState(
            experiment.model,
            experiment.optimizer,
            self.epochs,
            steps_per_epoch(len(self.X), self.batch_size),
            rng_for(0, "batches"),
        )
        hashes = {"config_hash": config_hash(config), "data_hash": "not measured"}
        callbacks = assemble(experiment, self.run_folder, hashes).ordered
        fit(state, experiment.loss, (self.X, self.y), None, batch_size=self.batch_size, callbacks=callbacks)
        self.weights["framework"] = np.r_[experiment.model.weight.data[:, 0], experiment.model.bias.data]

    def mygrad_by_hand(self):
        X, lr = self.X, self.lr
        w, b = mg.tensor(np.zeros((X.shape[1], 1))), mg.tensor(np.zeros(1))
        with mg.mem_guard_off:
            for xb, yb in self._batches():
                loss = mg.mean((xb @ w + b - yb) ** 2)
                loss.backward()
                w.data -= lr * w.grad
                b.data -= lr * b.grad
                loss.item()
        self.weights["mygrad_by_hand"] = np.r_[w.data[:, 0], b.data]

    def numpy_by_hand(self):
        X, lr = self.X, self.lr
        w, b = np.zeros((X.shape[1], 1)), np.zeros(1)
        for xb, yb in self._batches():
            residual = xb @ w + b - yb
            scale = 2.0 / residual.size
            w -= lr * scale * (xb.T @ residual)
            b -= lr * scale * residual.sum(axis=0)
            float(np.mean(residual**2))
        self.weights["numpy_by_hand"] = np.r_[w[:, 0], b]

    def _batches(self):
        """The framework's batches: windows of its permutation, or, for one batch of all the rows, the
        data as stored (a full-batch loop written by hand does not shuffle, and neither does the framework)."""
        for order in self.orders:
            if self.batch_size >= len(self.X):
                yield self.X, self.y
                continue
            for start in range(0, len(self.X), self.batch_size):
                rows = order[start : start + self.batch_size]
                yield self.X[rows], self.y[rows]

    def new_run_folder(self):
        self.run_folder = Path(tempfile.mkdtemp(dir=self.folder))

    def check_same_weights(self):
        reference = self.weights["mygrad_by_hand"]
        for name, weights in self.weights.items():
            assert np.allclose(weights, reference, rtol=1e-9, atol=1e-12), f"{name} reached other weights"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for title, batch_size, epochs in [
            ("(a) linear regression, N=100,000, d=20, batch 32, one epoch", 32, 1),
            (
                "(c) linear regression, N=100,000, d=20, one full-batch step (a run of one step: its folder, files and checkpoint included)",
                100000,
                1,
            ),
            ("(c) the same, a run of 20 full-batch steps (per-run costs spread out)", 100000, 20),
        ]:
            variants = Variants(batch_size, Path(folder), epochs)
            medians = interleaved(
                {
                    "framework": variants.framework,
                    "mygrad_by_hand": variants.mygrad_by_hand,
                    "numpy_by_hand": variants.numpy_by_hand,
                },
                args.repeats,
                prepare=variants.new_run_folder,
            )
            variants.check_same_weights()
            print(report(title, medians, ["mygrad_by_hand", "numpy_by_hand"]))


if __name__ == "__main__":
    main()

"""MLP 64-256-10 on scikit-learn's digits, batch 64: (b) one training epoch, (d) the evaluation pass.

The framework's loop (trainer.training.loop.fit with the callbacks every run has) against a minimal
hand-written MyGrad loop and hand-written NumPy forward/backward; same data, initial weights and
batch order; each checks that the variants reach the same weights. PyTorch is a column when installed.

    python benchmarks/bench_mlp.py [--repeats 9]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import mygrad as mg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SameStart, interleaved, report, with_torch  # noqa: E402

from trainer.training.loop import evaluate

CONFIG = """\
name: bench_mlp
seed: 0
data: {type: digits, val_fraction: 0.0, test_fraction: 0.0}
model: {type: mlp, hidden: [256], activation: relu}
loss: cross_entropy
optimizer: {type: sgd, lr: 0.05}
metrics: []
trainer: {epochs: 1, batch_size: 64}
"""
LR, BATCH = 0.05, 64


class Variants(SameStart):
    reference, tolerance = "mygrad_by_hand", (1e-9, 1e-12)

    def __init__(self, folder: Path, epochs: int = 1):
        super().__init__(folder, "bench_mlp", CONFIG, epochs)

    def mygrad_by_hand(self):
        w1, b1, w2, b2 = (mg.tensor(value.copy()) for value in self.initial)
        X, y = self.X, self.y
        with mg.mem_guard_off:
            for order, start in self._batches():
                batch = order[start : start + BATCH]
                logits = mg.nnet.relu(X[batch] @ w1 + b1) @ w2 + b2
                loss = mg.nnet.softmax_crossentropy(logits, y[batch])
                loss.backward()
                for p in (w1, b1, w2, b2):
                    p.data -= LR * p.grad
                loss.item()
        self.weights["mygrad_by_hand"] = [p.data.copy() for p in (w1, b1, w2, b2)]

    def numpy_by_hand(self):
        w1, b1, w2, b2 = (value.copy() for value in self.initial)
        X, y = self.X, self.y
        for order, start in self._batches():
            batch = order[start : start + BATCH]
            xb, yb = X[batch], y[batch]
            pre = xb @ w1 + b1
            hidden = np.maximum(pre, 0)
            logits = hidden @ w2 + b2
            shifted = logits - logits.max(axis=1, keepdims=True)
            probabilities = np.exp(shifted)
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            rows = np.arange(len(yb))
            float(-np.log(probabilities[rows, yb]).mean())
            d_logits = probabilities
            d_logits[rows, yb] -= 1
            d_logits /= len(yb)
            d_hidden = (d_logits @ w2.T) * (pre > 0)
            grads = (xb.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0))
            for p, g in zip((w1, b1, w2, b2), grads):
                p -= LR * g
        self.weights["numpy_by_hand"] = [w1, b1, w2, b2]

    def torch_by_hand(self):
        import torch

        torch.set_num_threads(1)
        w1, b1, w2, b2 = (torch.tensor(value, requires_grad=True) for value in self.initial)
        X, y = torch.from_numpy(self.X), torch.from_numpy(self.y)
        for order, start in self._batches():
            batch = torch.from_numpy(order[start : start + BATCH])
            logits = torch.relu(X[batch] @ w1 + b1) @ w2 + b2
            loss = torch.nn.functional.cross_entropy(logits, y[batch])
            loss.backward()
            with torch.no_grad():
                for p in (w1, b1, w2, b2):
                    p -= LR * p.grad
                    p.grad = None
            loss.item()
        self.weights["torch_by_hand"] = [p.detach().numpy().copy() for p in (w1, b1, w2, b2)]

    def _batches(self):
        return ((order, start) for order in self.orders for start in range(0, len(self.X), BATCH))

    def evaluate_framework(self):
        evaluate(self.experiment.model, self.experiment.loss, (self.X, self.y))

    def evaluate_mygrad_by_hand(self):
        w1, b1, w2, b2 = self.experiment.model.parameters
        with mg.no_autodiff:
            mg.nnet.softmax_crossentropy(mg.nnet.relu(self.X @ w1 + b1) @ w2 + b2, self.y).item()

    def evaluate_numpy_by_hand(self):
        w1, b1, w2, b2 = (p.data for p in self.experiment.model.parameters)
        logits = np.maximum(self.X @ w1 + b1, 0) @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        float((np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(self.y)), self.y]).mean())


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for epochs in (1, 10):
            variants = Variants(Path(folder), epochs)
            training = {
                "framework": variants.framework,
                "mygrad_by_hand": variants.mygrad_by_hand,
                "numpy_by_hand": variants.numpy_by_hand,
            }
            training = with_torch(training, "torch_by_hand", variants.torch_by_hand)
            medians = interleaved(
                training,
                args.repeats if epochs == 1 else max(3, args.repeats // 3),
                prepare=variants.new_run_folder,
            )
            variants.check_same_weights()
            title = "(b) MLP 64-256-10 on digits (1797 rows), batch 64, " + (
                "one epoch" if epochs == 1 else f"{epochs} epochs (per-run costs spread out)"
            )
            print(report(title, medians, ["mygrad_by_hand", "numpy_by_hand"]))
        evaluation = {
            "framework": variants.evaluate_framework,
            "mygrad_by_hand": variants.evaluate_mygrad_by_hand,
            "numpy_by_hand": variants.evaluate_numpy_by_hand,
        }
        print(
            report(
                "(d) the evaluation pass of (b), all rows",
                interleaved(evaluation, args.repeats * 3),
                ["mygrad_by_hand", "numpy_by_hand"],
            )
        )


if __name__ == "__main__":
    main()

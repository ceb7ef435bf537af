"""A digits CNN step, side by side in one process: conv 16 + relu + max pool + conv 32 + relu + max
pool + dense, on 1x8x8 images, batch 64, float64, one BLAS thread; SGD on cross-entropy.

    framework        trainer.training.loop.fit with the callbacks every run has (logs, checkpoints, ...)
    mygrad_conv_nd   a hand-written MyGrad loop with mygrad.nnet.layers.conv_nd and max_pool
    torch            PyTorch on the CPU (torch.nn.functional), when installed
    numpy_im2col     forward and backward by hand in NumPy: im2col + GEMM, col2im

Same data, initial weights and batch order for all; each checks that they reach the same weights.
Targets (issue 14): framework / torch <= 1.2 and framework / mygrad_conv_nd <= 0.4.

    python benchmarks/bench_cnn.py [--repeats 7] [--epochs 1]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import mygrad as mg
import numpy as np
from mygrad.nnet.layers import conv_nd, max_pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SameStart, interleaved, report, with_torch  # noqa: E402

from trainer.training.loop import steps_per_epoch

CONFIG = """\
name: bench_cnn
seed: 0
data: {type: digits, shape: image, val_fraction: 0.0, test_fraction: 0.0}
model:
  type: sequential
  layers:
    - {type: conv2d, filters: 16, kernel_size: 3, padding: 1}
    - relu
    - maxpool2d
    - {type: conv2d, filters: 32, kernel_size: 3, padding: 1}
    - relu
    - maxpool2d
    - flatten
    - dense
loss: cross_entropy
optimizer: {type: sgd, lr: 0.05}
metrics: []
trainer: {epochs: 1, batch_size: 64}
"""
LR, BATCH = 0.05, 64


class Variants(SameStart):
    reference, tolerance = "mygrad_conv_nd", (1e-7, 1e-10)

    def __init__(self, folder: Path, epochs: int = 1):
        super().__init__(folder, "bench_cnn", CONFIG, epochs)

    def _batches(self):
        for order in self.orders:
            for start in range(0, len(self.X), BATCH):
                rows = order[start : start + BATCH]
                yield self.X[rows], self.y[rows]

    def mygrad_conv_nd(self):
        parameters = [mg.tensor(value.copy()) for value in self.initial]
        w1, b1, w2, b2, w3, b3 = parameters
        with mg.mem_guard_off:
            for x, y in self._batches():
                h = max_pool(
                    mg.nnet.relu(conv_nd(x, w1, stride=1, padding=1) + b1.reshape(1, -1, 1, 1)), (2, 2), 2
                )
                h = max_pool(
                    mg.nnet.relu(conv_nd(h, w2, stride=1, padding=1) + b2.reshape(1, -1, 1, 1)), (2, 2), 2
                )
                loss = mg.nnet.softmax_crossentropy(h.reshape(len(x), -1) @ w3 + b3, y)
                loss.backward()
                for p in parameters:
                    p.data -= LR * p.grad
                loss.item()
        self.weights["mygrad_conv_nd"] = [p.data.copy() for p in parameters]

    def torch(self):
        import torch
        from torch.nn import functional

        torch.set_num_threads(1)
        parameters = [torch.tensor(value, requires_grad=True) for value in self.initial]
        w1, b1, w2, b2, w3, b3 = parameters
        for x, y in self._batches():
            h = functional.max_pool2d(
                functional.relu(functional.conv2d(torch.from_numpy(x), w1, b1, padding=1)), 2
            )
            h = functional.max_pool2d(functional.relu(functional.conv2d(h, w2, b2, padding=1)), 2)
            loss = functional.cross_entropy(h.reshape(len(x), -1) @ w3 + b3, torch.from_numpy(y))
            loss.backward()
            with torch.no_grad():
                for p in parameters:
                    p -= LR * p.grad
                    p.grad = None
            loss.item()
        self.weights["torch"] = [p.detach().numpy().copy() for p in parameters]

    def numpy_im2col(self):
        parameters = [value.copy() for value in self.initial]
        w1, b1, w2, b2, w3, b3 = parameters
        for x, y in self._batches():
            c1, cache1 = _conv_forward(x, w1, b1)
            p1, mask1 = _pool_forward(np.maximum(c1, 0))
            c2, cache2 = _conv_forward(p1, w2, b2)
            p2, mask2 = _pool_forward(np.maximum(c2, 0))
            flat = p2.reshape(len(x), -1)
            logits = flat @ w3 + b3
            probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            rows = np.arange(len(y))
            float(-np.log(probabilities[rows, y]).mean())
            d_logits = probabilities
            d_logits[rows, y] -= 1
            d_logits /= len(y)
            d_w3, d_b3 = flat.T @ d_logits, d_logits.sum(axis=0)
            d_c2 = _pool_backward((d_logits @ w3.T).reshape(p2.shape), mask2) * (c2 > 0)
            d_p1, d_w2, d_b2 = _conv_backward(d_c2, cache2)
            d_c1 = _pool_backward(d_p1, mask1) * (c1 > 0)
            _, d_w1, d_b1 = _conv_backward(d_c1, cache1, need_input=False)
            for p, g in zip(parameters, (d_w1, d_b1, d_w2, d_b2, d_w3, d_b3)):
                p -= LR * g
        self.weights["numpy_im2col"] = parameters


# The NumPy reference: 3x3 kernels, stride 1, padding 1; 2x2 max pooling of even-sized images.


def _conv_forward(x, w, b):
    n, c, height, width = x.shape
    padded = np.zeros((n, c, height + 2, width + 2))
    padded[:, :, 1:-1, 1:-1] = x
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # (n, c, h, w, 3, 3)
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * height * width, c * 9)
    out = columns @ w.reshape(len(w), -1).T + b
    return out.reshape(n, height, width, len(w)).transpose(0, 3, 1, 2), (x.shape, w, columns)


def _conv_backward(grad, cache, need_input=True):
    shape, w, columns = cache
    n, c, height, width = shape
    by_pixel = grad.transpose(0, 2, 3, 1).reshape(-1, len(w))
    d_w, d_b = (by_pixel.T @ columns).reshape(w.shape), by_pixel.sum(axis=0)
    if not need_input:
        return None, d_w, d_b
    d_columns = (by_pixel @ w.reshape(len(w), -1)).reshape(n, height, width, c, 3, 3)
    d_padded = np.zeros((n, c, height + 2, width + 2))
    for u in range(3):
        for v in range(3):
            d_padded[:, :, u : u + height, v : v + width] += d_columns[..., u, v].transpose(0, 3, 1, 2)
    return d_padded[:, :, 1:-1, 1:-1], d_w, d_b


def _pool_forward(x):
    n, c, height, width = x.shape
    blocks = (
        x.reshape(n, c, height // 2, 2, width // 2, 2)
        .transpose(0, 1, 2, 4, 3, 5)
        .reshape(n, c, height // 2, width // 2, 4)
    )
    winner = blocks.argmax(axis=-1)
    return np.take_along_axis(blocks, winner[..., None], axis=-1)[..., 0], winner


def _pool_backward(grad, winner):
    n, c, rows, cols = grad.shape
    blocks = (winner[..., None] == np.arange(4)) * grad[..., None]
    return (
        blocks.reshape(n, c, rows, cols, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * rows, 2 * cols)
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        variants = Variants(Path(folder), args.epochs)
        training = {
            "framework": variants.framework,
            "mygrad_conv_nd": variants.mygrad_conv_nd,
            "numpy_im2col": variants.numpy_im2col,
        }
        training = with_torch(training, "torch", variants.torch)
        medians = interleaved(training, args.repeats, prepare=variants.new_run_folder)
        variants.check_same_weights()
        steps = args.epochs * steps_per_epoch(len(variants.X), BATCH)
        title = f"digits CNN (conv16-pool-conv32-pool-dense), batch 64, {steps} steps; per step:"
        per_step = {name: seconds / steps for name, seconds in medians.items()}
        baselines = ["mygrad_conv_nd", "numpy_im2col"] + (["torch"] if "torch" in per_step else [])
        print(report(title, per_step, baselines))


if __name__ == "__main__":
    main()

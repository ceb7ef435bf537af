"""Data larger than memory: peak resident memory of one epoch on a 0.2 GB and a 2 GB memory-mapped
.npy file (float64, 20 features, a linear regression target), each trained in a fresh process.

    python benchmarks/bench_outofcore.py [--sizes-gb 0.2 2] [--batch-size 1024] [--folder /tmp]

The files are written to a temporary folder under --folder (about 2.3 GB free needed) and deleted
afterwards. Reported per size: the child's peak RSS (getrusage ru_maxrss, via wait4), its wall time
and the run's training time; then the ratio of the peak RSS of the largest to the smallest (target <= 1.2).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FEATURES = 20
WRITE_ROWS = 2**18  # rows generated and written at a time

CHILD = """
import json, sys, time
started = time.perf_counter()
import trainer
run = trainer.train(sys.argv[1], runs_dir=sys.argv[2])
print(json.dumps({"seconds_training": run.summary["seconds"], "seconds_total": time.perf_counter() - started,
                  "val_loss": run.summary["val_loss"], "distance_to_least_squares": run.summary["least_squares"]["distance"]}))
"""

CONFIG = """\
name: outofcore
seed: 0
data: {{type: npy, x_path: {x}, y_path: {y}, mmap: true}}
model: linear
loss: mse
optimizer: {{type: sgd, lr: 0.01}}
metrics: []
trainer: {{epochs: 1, batch_size: {batch_size}}}
"""


def write_data(folder: Path, rows: int, seed: int = 0) -> tuple[Path, Path]:
    """X (rows, FEATURES) and y = X @ w + noise, written chunk by chunk (never whole in memory)."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=FEATURES)
    x_path, y_path = folder / f"x_{rows}.npy", folder / f"y_{rows}.npy"
    with open(x_path, "wb") as x_file, open(y_path, "wb") as y_file:
        np.lib.format.write_array_header_1_0(
            x_file, {"descr": "<f8", "fortran_order": False, "shape": (rows, FEATURES)}
        )
        np.lib.format.write_array_header_1_0(
            y_file, {"descr": "<f8", "fortran_order": False, "shape": (rows,)}
        )
        for start in range(0, rows, WRITE_ROWS):
            X = rng.normal(size=(min(WRITE_ROWS, rows - start), FEATURES)) * 3 + 1
            x_file.write(X.tobytes())
            y_file.write((X @ weights + 0.1 * rng.normal(size=len(X))).tobytes())
    return x_path, y_path


def train_in_child(folder: Path, x_path: Path, y_path: Path, batch_size: int) -> dict:
    config = folder / f"{x_path.stem}.yaml"
    config.write_text(CONFIG.format(x=x_path, y=y_path, batch_size=batch_size))
    environment = os.environ | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config), str(folder / "runs")],
        stdout=subprocess.PIPE,
        env=environment,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the training process failed (status {status})")
    return json.loads(output) | {"peak_rss_mb": usage.ru_maxrss / 1024}  # ru_maxrss is in KiB on Linux


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes-gb", type=float, nargs="+", default=[0.2, 2.0], help="sizes of the X file")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--folder", default=tempfile.gettempdir(), help="where to write the temporary files")
    args = parser.parse_args()
    needed = sum(args.sizes_gb) * 1e9 * (FEATURES + 1) / FEATURES + 100e6
    free = shutil.disk_usage(args.folder).free
    if free < needed:
        raise SystemExit(
            f"{args.folder} has {free / 1e9:.1f} GB free; the files need {needed / 1e9:.1f} GB. Choose another --folder."
        )
    results = {}
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        for size in args.sizes_gb:
            rows = int(size * 1e9 / (8 * FEATURES))
            started = time.perf_counter()
            x_path, y_path = write_data(Path(folder), rows)
            written = time.perf_counter() - started
            results[size] = train_in_child(Path(folder), x_path, y_path, args.batch_size)
            print(
                f"{size:g} GB ({rows:,} rows, written in {written:.1f} s): "
                + ", ".join(f"{k} {v:.4g}" for k, v in results[size].items()),
                flush=True,
            )
            x_path.unlink()
            y_path.unlink()
    smallest, largest = results[min(results)], results[max(results)]
    print("\n| X file | peak RSS | wall time (process) | training time (epoch) |\n|---|---|---|---|")
    for size, result in results.items():
        print(
            f"| {size:g} GB | {result['peak_rss_mb']:.0f} MB | {result['seconds_total']:.1f} s | {result['seconds_training']:.1f} s |"
        )
    print(
        f"\npeak RSS ratio, {max(results):g} GB / {min(results):g} GB: {largest['peak_rss_mb'] / smallest['peak_rss_mb']:.3f} (target <= 1.2)"
    )


if __name__ == "__main__":
    main()

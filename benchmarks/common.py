"""Side-by-side timing: every variant runs in the same process, interleaved, on the same data,
initial weights and batch order; medians over repeats and ratios to a baseline are printed."""

import statistics
import time

from threadpoolctl import threadpool_limits

from trainer.cli.memory import keep_freed_memory

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

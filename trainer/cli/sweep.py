"""`mgtrain sweep CONFIG [key=value ...] --grid KEY=V1,V2 ...` (also `mgtrain-sweep`, `python scripts/sweep.py`).

A mistake in the input (a swept key that does not exist, an empty value list, a bad distribution,
an unreachable Dask scheduler) prints one paragraph and exits with status 2 before any trial starts.
"""

import os
import sys
import time
from pathlib import Path

from trainer.cli import common
from trainer.cli.memory import keep_freed_memory


def build_parser():
    parser = common.parser(
        "sweep",
        "Train a config many times with different values, on all cores or a Dask cluster.",
        "examples:\n"
        "  mgtrain sweep configs/linreg.yaml --grid optimizer.lr=0.001,0.01,0.1 --grid trainer.batch_size=16,64\n"
        "  mgtrain sweep configs/linreg.yaml --random optimizer.lr=loguniform:1e-4:1e-1 --trials 20\n"
        "  mgtrain sweep configs/linreg.yaml --grid optimizer.lr=0.01,0.1 --dask local\n"
        "  mgtrain sweep --resume runs/linreg-sweep/2026-11-29_22-31-11\n"
        "exit status 1 means a trial raised, or was not run (--fail-fast, a lost worker)",
    )
    common.add_config(parser, "configs/linreg.yaml", optional=True)
    what = parser.add_argument_group(
        "what to sweep (or a sweep: block in the config; a flag replaces its key there)"
    )
    what.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="try every listed value (every combination across --grid flags)",
    )
    what.add_argument(
        "--random",
        action="append",
        default=[],
        metavar="KEY=DIST",
        help="draw a value per trial: uniform:LOW:HIGH, loguniform:LOW:HIGH or choice:A,B,...",
    )
    what.add_argument("--trials", type=int, help="how many random draws (each runs the whole grid)")
    what.add_argument("--seed", type=int, help="seed of the random draws (default 0)")
    how = parser.add_argument_group("how to run")
    how.add_argument(
        "--workers",
        type=common.positive_int,
        help=f"trials at once on this machine (default: the number of cores, {os.cpu_count()})",
    )
    how.add_argument(
        "--dask",
        metavar="ADDRESS",
        help='run on a Dask cluster: its scheduler (tcp://host:8786), or "local" for a LocalCluster of --workers processes',
    )
    how.add_argument(
        "--fail-fast", action="store_true", help="start no more trials once one fails or diverges"
    )
    how.add_argument(
        "--resume",
        metavar="SWEEP_DIR",
        help="continue a sweep: skip its finished trials, run the others again",
    )
    common.add_runs_dir(how, "sweep folders")
    common.add_no_progress(how)
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)  # overrides may follow the flags
    if args.resume and (
        args.config or args.grid or args.random or args.trials is not None or args.seed is not None
    ):
        parser.error(
            "--resume repeats the sweep recorded in SWEEP_DIR/sweep.yaml: give no config, overrides, --grid, --random, --trials or --seed with it"
        )
    if not args.resume and not args.config:
        parser.error("give a config file to sweep (or --resume SWEEP_DIR)")
    from trainer.sweeps import report, sweep

    started = time.perf_counter()
    folder = Path(args.resume) if args.resume else None
    try:
        plan = (
            sweep.load(folder)
            if args.resume
            else sweep.plan(args.config, args.overrides, args.grid, args.random, args.trials, args.seed)
        )
        with sweep.open_executor(args.workers, args.dask, initializer=keep_freed_memory) as (executor, slots):
            folder = folder or sweep.start(plan, args.runs_dir)
            print(f"sweep: {_trials(len(plan.trials))} in {folder}", file=sys.stderr)
            with _ProgressBar(plan, disable=args.no_progress) as bar:

                def on_change(outcomes, running):
                    bar.update(outcomes, running)
                    report.write_tables(folder, report.rows(plan, outcomes))

                outcomes = sweep.run(
                    plan, folder, executor, slots=slots, fail_fast=args.fail_fast, on_change=on_change
                )
    except KeyboardInterrupt:
        print(
            "interrupted."
            + (f" Continue with: {common.program('sweep')} --resume {folder}" if folder else ""),
            file=sys.stderr,
        )
        return common.EXIT_INTERRUPTED
    report.plot_curves(folder, plan, outcomes)
    table = report.rows(plan, outcomes)
    print(_report(table, folder, time.perf_counter() - started))
    every_trial_ran = all(row["status"] in sweep.FINISHED and row["status"] != "failed" for row in table)
    return common.EXIT_OK if every_trial_ran else common.EXIT_FAILED_CHECK


def _report(table: list[dict], folder, seconds: float) -> str:
    """The counts per status and the best few trials, as printed at the end."""
    from collections import Counter

    from trainer.sweeps.report import markdown

    counts = Counter(row["status"] for row in table)
    lines = [
        f"{_trials(len(table))} in {seconds:.1f} s: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
    ]
    lines += markdown(table[:10])
    if len(table) > 10:
        lines.append(f"... {len(table) - 10} more in summary.md")
    lines.append(f"sweep folder: {folder}")
    return "\n".join(lines)


def _trials(count: int) -> str:
    return f"{count} trial{'' if count == 1 else 's'}"


class _ProgressBar:
    """One bar over the trials: 'done 5 failed 1 running 2'."""

    def __init__(self, plan, disable: bool):
        from tqdm import tqdm

        self.bar = tqdm(
            total=len(plan.trials), unit="trial", dynamic_ncols=True, disable=True if disable else None
        )

    def update(self, outcomes: dict, running: int):
        from trainer.sweeps.sweep import FINISHED, SUCCEEDED

        statuses = [outcome.status for outcome in outcomes.values()]
        done = sum(status in SUCCEEDED for status in statuses)
        finished = sum(status in FINISHED for status in statuses)
        self.bar.update(finished - self.bar.n)
        self.bar.set_postfix_str(f"done {done} failed {finished - done} running {running}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()

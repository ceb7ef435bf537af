"""Command line: `mgtrain CONFIG [key=value ...] [--runs-dir DIR] [--expect ...]` (also `python scripts/train.py`),
and the teaching tools `mgtrain descend CONFIG` and `mgtrain gradcheck CONFIG` (trainer.commands).

A mistake in the input prints one paragraph that says what to fix, and exits with status 2.
"""

import argparse
import sys

from trainer.errors import UserError

EXIT_FAILED_EXPECTATION = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
SUBCOMMANDS = {"descend": "descend_main", "gradcheck": "gradcheck_main"}  # functions in trainer.commands


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgtrain",
        description="Train a model described by a YAML config, with MyGrad.",
        epilog="example: mgtrain configs/linreg.yaml optimizer.lr=0.05 trainer.epochs=5 --runs-dir /tmp/runs\n"
        "also:    mgtrain descend CONFIG (descent on a function of x and y), mgtrain gradcheck CONFIG (check gradients)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", help="the YAML config file, e.g. configs/linreg.yaml")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--expect", action="append", default=[], metavar='"FIELD<VALUE"',
        help='check a summary.json field after the run, e.g. --expect "val_loss<0.1" (repeatable); '
        "writes grade.json, exit status 1 if one fails",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        from trainer import commands

        return getattr(commands, SUBCOMMANDS[argv[0]])(argv[1:])
    args = train_parser().parse_args(argv)
    return guarded(lambda: _train(args))


def _train(args) -> int:
    from trainer import grading, report
    from trainer.config import load_config
    from trainer.run import train

    config = load_config(args.config, args.overrides)
    expectations = grading.prepare(args.expect, grading.summary_fields(config)) if args.expect else []
    run = train(config, runs_dir=args.runs_dir, progress=not args.no_progress)
    print(report.end_of_run(run.summary))
    if not expectations:
        return 0
    table, passed = grading.grade(expectations, run.folder)
    print(table)
    return 0 if passed else EXIT_FAILED_EXPECTATION


def guarded(command) -> int:
    """Run `command()` and return its exit status; a UserError prints its message and gives status 2."""
    try:
        return command()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

"""Command line: `mgtrain CONFIG [key=value ...] [--runs-dir DIR]` (also `python scripts/train.py`).

A mistake in the input prints one paragraph that says what to fix, and exits with status 2.
"""

import argparse
import sys

from trainer.errors import UserError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgtrain",
        description="Train a model described by a YAML config, with MyGrad.",
        epilog="example: mgtrain configs/linreg.yaml optimizer.lr=0.05 trainer.epochs=5 --runs-dir /tmp/runs",
    )
    parser.add_argument("config", help="the YAML config file, e.g. configs/linreg.yaml")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = train_parser().parse_args(argv)
    from trainer import report
    from trainer.run import train

    try:
        run = train(args.config, args.overrides, runs_dir=args.runs_dir, progress=not args.no_progress)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(report.end_of_run(run.summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

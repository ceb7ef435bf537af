"""Command line: `mgtrain CONFIG [key=value ...] [--runs-dir DIR] [--expect ...]`, `mgtrain --resume RUN_DIR`
(also `python scripts/train.py ...`), and the teaching tools `mgtrain descend CONFIG` and
`mgtrain gradcheck CONFIG` (trainer.commands).

Exit status: 0 trained (or stopped early), 1 an --expect failed, 2 bad input (one paragraph that says
what to fix), 3 diverged, 130 interrupted (Ctrl-C or SIGTERM; the printed command resumes the run).
"""

import argparse
import os
import sys

from trainer.errors import UserError

EXIT_FAILED_EXPECTATION = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130
SUBCOMMANDS = {"descend": "descend_main", "gradcheck": "gradcheck_main", "evaluate": "evaluate_main"}  # in trainer.commands


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgtrain",
        description="Train a model described by a YAML config, with MyGrad.",
        epilog="examples:\n  mgtrain configs/linreg.yaml optimizer.lr=0.05 trainer.epochs=5 --runs-dir /tmp/runs\n"
        "  mgtrain --resume runs/linreg/2026-11-29_10-00-00 trainer.epochs=40\n"
        "  mgtrain configs/linreg.yaml --expect \"val_loss<0.1\"\n"
        "also: mgtrain descend CONFIG (descent on a function of x and y), mgtrain gradcheck CONFIG (check gradients)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", nargs="?", help="the YAML config file, e.g. configs/linreg.yaml (optional with --resume)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs/)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--check", action="store_true", help="only check the config and print it resolved; train nothing")
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
    parser = train_parser()
    args = parser.parse_intermixed_args(argv)
    if args.config and "=" in args.config and args.resume:  # `--resume DIR key=value`: no config file given
        args.overrides.insert(0, args.config)
        args.config = None
    if not args.config and not args.resume:
        parser.error("give a config file (e.g. configs/linreg.yaml) or --resume RUN_DIR")
    return guarded(lambda: _check(args.config, args.overrides) if args.check else _train(args))


def _train(args) -> int:
    from trainer import grading, report
    from trainer.run import train

    expectations = grading.prepare(args.expect, _config_of(args)) if args.expect else []  # before any training
    run = train(args.config, args.overrides, runs_dir=args.runs_dir, resume=args.resume, progress=not args.no_progress)
    print(report.end_of_run(run.summary))
    if run.summary["status"] == "interrupted":
        print(f"\ninterrupted: the last checkpoint is saved. Continue the run with:\n  {_command()} --resume {run.folder}", file=sys.stderr)
        return EXIT_INTERRUPTED
    passed = True
    if expectations:
        table, passed = grading.grade(expectations, run.folder)
        print(table)
    if run.summary["status"] == "diverged":
        print(f"\n{run.summary['divergence']}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0 if passed else EXIT_FAILED_EXPECTATION


def _config_of(args):
    """The config the run will use: the file's, or, resuming, the run folder's (with the overrides)."""
    from pathlib import Path

    from trainer.config import load_config

    return load_config(args.config or Path(args.resume) / "config.yaml", args.overrides)


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


def _check(config_path: str, overrides: list[str]) -> int:
    import yaml

    from trainer.config import load_config

    config = load_config(config_path, overrides)
    print(yaml.safe_dump(config.to_dict(), sort_keys=False), end="")
    print(f"# {config_path}: the config is valid.", file=sys.stderr)
    return 0


def _command() -> str:
    """How this program was started: `python scripts/train.py` or `mgtrain`."""
    program = sys.argv[0]
    return f"python {program}" if program.endswith(".py") else os.path.basename(program)


if __name__ == "__main__":
    sys.exit(main())

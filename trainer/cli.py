"""Command line: `mgtrain CONFIG [key=value ...] [--runs-dir DIR]`, `mgtrain --resume RUN_DIR`
(also `python scripts/train.py ...`).

Exit status: 0 trained (or stopped early), 2 bad input (one paragraph that says what to fix),
3 diverged, 130 interrupted (Ctrl-C or SIGTERM; the printed command resumes the run).
"""

import argparse
import os
import sys

from trainer.errors import UserError

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgtrain",
        description="Train a model described by a YAML config, with MyGrad.",
        epilog="examples:\n  mgtrain configs/linreg.yaml optimizer.lr=0.05 trainer.epochs=5 --runs-dir /tmp/runs\n"
        "  mgtrain --resume runs/linreg/2026-11-29_10-00-00 trainer.epochs=40",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", nargs="?", help="the YAML config file, e.g. configs/linreg.yaml (optional with --resume)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs/)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--check", action="store_true", help="only check the config and print it resolved; train nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["evaluate"]:
        return evaluate_main(argv[1:])
    parser = train_parser()
    args = parser.parse_intermixed_args(argv)
    if args.config and "=" in args.config and args.resume:  # `--resume DIR key=value`: no config file given
        args.overrides.insert(0, args.config)
        args.config = None
    if not args.config and not args.resume:
        parser.error("give a config file (e.g. configs/linreg.yaml) or --resume RUN_DIR")
    try:
        if args.check:
            return _check(args.config, args.overrides)
        from trainer import report
        from trainer.run import train

        run = train(args.config, args.overrides, runs_dir=args.runs_dir, resume=args.resume, progress=not args.no_progress)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report.end_of_run(run.summary))
    if run.summary["status"] == "diverged":
        print(f"\n{run.summary['divergence']}", file=sys.stderr)
        return EXIT_DIVERGED
    if run.summary["status"] == "interrupted":
        print(f"\ninterrupted: the last checkpoint is saved. Continue the run with:\n  {_command()} --resume {run.folder}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def evaluate_main(argv: list[str] | None = None) -> int:
    """`mgtrain evaluate RUN_DIR`: scores and predictions of a finished run's best checkpoint."""
    parser = argparse.ArgumentParser(prog="mgtrain evaluate", description="Score a finished run on held-out data and write its predictions.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder, e.g. runs/logreg/2026-11-29_10-00-00")
    parser.add_argument("--checkpoint", choices=["best", "last"], default="best", help="which parameters (default: best)")
    parser.add_argument("--split", choices=["test", "val", "train"], help="a split of the run's own data (default: test, else val)")
    parser.add_argument("--data", metavar="CSV_OR_BLOCK", help="other rows: a CSV with the feature columns (and the target), or a data block such as diabetes")
    parser.add_argument("--output", metavar="CSV", help="where the predictions go (default: RUN_DIR/predictions-<split>.csv)")
    args = parser.parse_args(argv)
    from trainer.evaluate import load_run, read_rows

    try:
        run = load_run(args.run, args.checkpoint)
        data = None
        if args.data:
            X, y, _ = read_rows(run, args.data)
            data = (X, y)
        X, y, name = run.rows(args.split, data)
        predictions = run.write_predictions(args.output or run.folder / f"predictions-{name}.csv", args.split, data)
        result = run.evaluate(args.split, data) if y is not None else {"split": name, "rows": len(X), "checkpoint": run.checkpoint}
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from trainer.evaluate import save_evaluation

    saved = save_evaluation(run, result, name)
    print(f"{run.folder} ({result['checkpoint']} checkpoint) on {result['rows']} rows of {args.data or name}:")
    for key, value in result.items():
        if key not in ("split", "rows", "checkpoint"):
            print(f"  {key:<20} {value:.6g}")
    print(f"predictions: {predictions}\nscores: {saved}")
    return 0


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

"""The subcommands of `mgtrain`: `descend CONFIG`, `evaluate RUN_DIR` and `gradcheck CONFIG` (also
`python scripts/descend.py`, `scripts/evaluate.py`, `scripts/gradcheck.py`). Errors exit as `mgtrain` does."""

import argparse

from trainer.cli import guarded

EXIT_FAILED_CHECK = 1


def descend_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mgtrain descend",
        description="Gradient descent on a function f(x, y): prints f and its gradient, draws the path on the contours.",
        epilog="example: mgtrain descend configs/paraboloid.yaml optimizer.lr=0.9 start=[1,2]",
    )
    _config_arguments(parser, example="configs/paraboloid.yaml")
    parser.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs/)")
    args = parser.parse_args(argv)

    def descend() -> int:
        from trainer.descent.run import descend

        run = descend(args.config, args.overrides, runs_dir=args.runs_dir)
        start = run.descents[0].rows[0]
        print(f"f(x, y) = {run.surface.formula}")
        print(f"start: (x, y) = {_pair(start.x, start.y)}   f = {start.f:.6g}   gradient = {_pair(start.dfdx, start.dfdy, '[]')}")
        for descent in run.descents:
            end = descent.rows[-1]
            print(f"{descent.label}, after {end.step} steps: (x, y) = {_pair(end.x, end.y)}   f = {end.f:.6g}   gradient = {_pair(end.dfdx, end.dfdy, '[]')}")
            print(f"  {descent.verdict}")
        print(f"run folder: {run.folder}  (trajectory.csv, descent.png)")
        return 0

    return guarded(descend)


def evaluate_main(argv: list[str] | None = None) -> int:
    """`mgtrain evaluate RUN_DIR`: scores and predictions of a finished run's best checkpoint."""
    parser = argparse.ArgumentParser(prog="mgtrain evaluate", description="Score a finished run on held-out data and write its predictions.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder, e.g. runs/logreg/2026-11-29_10-00-00")
    parser.add_argument("--checkpoint", choices=["best", "last"], default="best", help="which parameters (default: best)")
    parser.add_argument("--split", choices=["test", "val", "train"], help="a split of the run's own data (default: test, else val)")
    parser.add_argument("--data", metavar="CSV_OR_BLOCK", help="other rows: a CSV with the feature columns (and the target), or a data block such as diabetes")
    parser.add_argument("--output", metavar="CSV", help="where the predictions go (default: RUN_DIR/predictions-<split>.csv)")
    args = parser.parse_args(argv)

    def evaluate() -> int:
        from trainer.evaluate import load_run, read_rows, save_evaluation

        run = load_run(args.run, args.checkpoint)
        data = read_rows(run, args.data)[:2] if args.data else None
        X, y, name = run.rows(args.split, data)
        predictions = run.write_predictions(args.output or run.folder / f"predictions-{name}.csv", args.split, data)
        result = run.evaluate(args.split, data) if y is not None else {"split": name, "rows": len(X), "checkpoint": run.checkpoint}
        saved = save_evaluation(run, result, name)
        print(f"{run.folder} ({result['checkpoint']} checkpoint) on {result['rows']} rows of {args.data or name}:")
        for key, value in result.items():
            if key not in ("split", "rows", "checkpoint"):
                print(f"  {key:<20} {value:.6g}")
        print(f"predictions: {predictions}\nscores: {saved}")
        return 0

    return guarded(evaluate)


def gradcheck_main(argv: list[str] | None = None) -> int:
    from trainer import gradcheck

    parser = argparse.ArgumentParser(
        prog="mgtrain gradcheck",
        description="Compare MyGrad's gradient of every parameter with central finite differences, on one batch.",
        epilog="exit status: 0 when every parameter passes, 1 when one fails, 2 for a bad config",
    )
    _config_arguments(parser, example="configs/linreg.yaml")
    parser.add_argument("--threshold", type=float, default=gradcheck.THRESHOLD, help=f"largest relative error that passes (default {gradcheck.THRESHOLD:g})")
    parser.add_argument("--max-entries", type=int, default=1000, help="check a seeded sample of this many entries of larger parameters (default 1000)")
    args = parser.parse_args(argv)

    def check() -> int:
        from trainer.config import load_config

        config = load_config(args.config, args.overrides)
        checks, rows = gradcheck.check_gradients(config, max_entries=args.max_entries)
        print(gradcheck.report(config, checks, rows, args.threshold))
        return 0 if all(check.passed(args.threshold) for check in checks) else EXIT_FAILED_CHECK

    return guarded(check)


def _config_arguments(parser: argparse.ArgumentParser, example: str) -> None:
    parser.add_argument("config", help=f"the YAML config file, e.g. {example}")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05")


def _pair(a: float, b: float, brackets: str = "()") -> str:
    return f"{brackets[0]}{a:.6g}, {b:.6g}{brackets[1]}"

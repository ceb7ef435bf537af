"""The teaching tools' command lines: `mgtrain descend CONFIG` and `mgtrain gradcheck CONFIG`
(also `python scripts/descend.py`, `python scripts/gradcheck.py`). Errors exit as `mgtrain` does."""

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

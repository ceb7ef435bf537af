"""`mgtrain descend CONFIG [key=value ...]`: gradient descent on a function f(x, y), printed and drawn."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    parser = common.parser(
        "descend",
        "Gradient descent on a function f(x, y): prints f and its gradient, draws the path on the contours.",
        "example: mgtrain descend configs/paraboloid.yaml optimizer.lr=0.9 start=[1,2]",
    )
    common.add_config(parser, "configs/paraboloid.yaml")
    common.add_runs_dir(parser)
    args = parser.parse_args(argv)

    from trainer.teaching.descent.run import descend

    run = descend(args.config, args.overrides, runs_dir=args.runs_dir)
    start = run.descents[0].rows[0]
    print(f"f(x, y) = {run.surface.formula}")
    print(
        f"start: (x, y) = {_pair(start.x, start.y)}   f = {start.f:.6g}   gradient = {_pair(start.dfdx, start.dfdy, '[]')}"
    )
    for descent in run.descents:
        end = descent.rows[-1]
        print(
            f"{descent.label}, after {end.step} steps: (x, y) = {_pair(end.x, end.y)}   f = {end.f:.6g}   gradient = {_pair(end.dfdx, end.dfdy, '[]')}"
        )
        print(f"  {descent.verdict}")
    print(f"run folder: {run.folder}  (trajectory.csv, descent.png)")
    return common.EXIT_OK


def _pair(a: float, b: float, brackets: str = "()") -> str:
    return f"{brackets[0]}{a:.6g}, {b:.6g}{brackets[1]}"

"""`mgtrain compare RUN_DIR ...`: finished runs side by side, the config keys that differ and how each
ended, as a table; their loss curves on one set of axes in compare.png."""

from pathlib import Path

from trainer.cli import common


def build_parser():
    parser = common.parser(
        "compare",
        "Compare finished runs: a table of the config keys that differ and the final losses and metrics, "
        "and their loss curves in one picture.",
        'examples:\n  mgtrain compare runs/linreg/*\n  mgtrain compare "runs/linreg-sweep/*/*" --output sweep.png',
    )
    parser.add_argument("folders", nargs="+", metavar="RUN_DIR", help="run folders, or glob patterns of them")
    parser.add_argument(
        "--output", default="compare.png", help="where to write the figure (default: compare.png)"
    )
    return parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from trainer.runs.compare import compare, shown
    from trainer.runs.plots import save

    comparison = compare(args.folders)
    columns = list(comparison.table[0])
    cells = [columns] + [[shown(row[column]) for column in columns] for row in comparison.table]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    output = Path(args.output)
    save(comparison.figure, output)
    print(f"figure: {output}")
    return common.EXIT_OK

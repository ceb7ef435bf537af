"""`mgtrain evaluate RUN_DIR`: scores and predictions of a finished run's best (or last) checkpoint."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    parser = common.parser("evaluate", "Score a finished run on held-out data and write its predictions.")
    parser.add_argument("run", metavar="RUN_DIR", help="a run folder, e.g. runs/logreg/2026-11-29_10-00-00")
    parser.add_argument(
        "--checkpoint", choices=["best", "last"], default="best", help="which parameters (default: best)"
    )
    parser.add_argument(
        "--split",
        choices=["test", "val", "train"],
        help="a split of the run's own data (default: test, else val)",
    )
    parser.add_argument(
        "--data",
        metavar="CSV_OR_BLOCK",
        help="other rows: a CSV with the feature columns (and the target), or a data block such as diabetes",
    )
    parser.add_argument(
        "--output",
        metavar="CSV",
        help="where the predictions go (default: RUN_DIR/predictions-<split>.csv, or predictions-data-<name>.csv "
        "for --data)",
    )
    args = parser.parse_args(argv)

    from trainer.runs.evaluate import data_label, load_run, read_rows, save_evaluation

    run = load_run(args.run, args.checkpoint)
    if args.data:  # each file or block gets its own predictions-data-<name>.csv and evaluation-...json
        *data, source = read_rows(run, args.data)
        X, y, name = (*run.rows(data=data)[:2], data_label(source))
    else:
        data = None
        X, y, name = run.rows(args.split)
    predictions = run.write_predictions(
        args.output or run.folder / f"predictions-{name}.csv", args.split, data
    )
    result = (
        run.evaluate(args.split, data)
        if y is not None
        else {"split": name, "rows": len(X), "checkpoint": run.checkpoint}
    )
    saved = save_evaluation(run, result, name)
    print(
        f"{run.folder} ({result['checkpoint']} checkpoint) on {result['rows']} rows of {args.data or name}:"
    )
    for key, value in result.items():
        if key not in ("split", "rows", "checkpoint"):
            print(f"  {key:<20} {value:.6g}")
    print(f"predictions: {predictions}\nscores: {saved}")
    return common.EXIT_OK

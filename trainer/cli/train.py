"""`mgtrain train CONFIG [key=value ...]` (or just `mgtrain CONFIG`, `python scripts/train.py CONFIG`):
train a model described by a YAML config; `--resume RUN_DIR` continues a run, `--check` only
validates the config, `--expect` grades the run."""

import sys
from pathlib import Path

from trainer.cli import common


def build_parser():
    parser = common.parser(
        "train",
        "Train a model described by a YAML config, with MyGrad.",
        "examples:\n  mgtrain configs/linreg.yaml optimizer.lr=0.05 trainer.epochs=5 --runs-dir /tmp/runs\n"
        "  mgtrain --resume runs/linreg/2026-11-29_10-00-00 trainer.epochs=40\n"
        '  mgtrain configs/linreg.yaml --expect "val_loss<0.1"',
    )
    common.add_config(parser, "configs/linreg.yaml", optional=True)
    common.add_runs_dir(parser)
    parser.add_argument(
        "--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint"
    )
    common.add_no_progress(parser)
    parser.add_argument(
        "--check", action="store_true", help="only check the config and print it resolved; train nothing"
    )
    parser.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar='"FIELD<VALUE"',
        help='check a summary.json field after the run, e.g. --expect "val_loss<0.1" (repeatable); '
        "writes grade.json, exit status 1 if one fails",
    )
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)
    if args.config and "=" in args.config and args.resume:  # `--resume DIR key=value`: no config file given
        args.overrides.insert(0, args.config)
        args.config = None
    if not args.config and not args.resume:
        parser.error("give a config file (e.g. configs/linreg.yaml) or --resume RUN_DIR")
    return _check(args.config, args.overrides) if args.check else _train(args)


def _train(args) -> int:
    from trainer.runs import report
    from trainer.runs.run import train
    from trainer.teaching import grading

    expectations = (
        grading.prepare(args.expect, _config_of(args)) if args.expect else []
    )  # before any training
    run = train(
        args.config, args.overrides, runs_dir=args.runs_dir, resume=args.resume, progress=not args.no_progress
    )
    print(report.end_of_run(run.summary))
    if run.summary["status"] == "interrupted":
        print(
            f"\ninterrupted: the last checkpoint is saved. Continue the run with:\n  {common.program('train')} --resume {run.folder}",
            file=sys.stderr,
        )
        return common.EXIT_INTERRUPTED
    passed = True
    if expectations:
        table, passed = grading.grade(expectations, run.folder)
        print(table)
    if run.summary["status"] == "diverged":
        print(f"\n{run.summary['divergence']}", file=sys.stderr)
        return common.EXIT_DIVERGED
    return common.EXIT_OK if passed else common.EXIT_FAILED_CHECK


def _config_of(args):
    """The config the run will use: the file's, or, resuming, the run folder's (with the overrides)."""
    from trainer.config.load import load_config

    return load_config(args.config or Path(args.resume) / "config.yaml", args.overrides)


def _check(config_path: str, overrides: list[str]) -> int:
    import yaml

    from trainer.config.load import load_config

    config = load_config(config_path, overrides)
    print(yaml.safe_dump(config.to_dict(), sort_keys=False), end="")
    files = sorted(
        {block["type"].rpartition(":")[0] for block in config.to_dict().values() if _names_a_file(block)}
    )
    ran = f" Checking it imported (so ran) the code of {', '.join(files)}." if files else ""
    print(f"# {config_path}: the config is valid.{ran}", file=sys.stderr)
    return common.EXIT_OK


def _names_a_file(block) -> bool:
    return isinstance(block, dict) and ".py:" in str(block.get("type", ""))

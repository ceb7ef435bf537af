"""`mgtrain gradcheck CONFIG [key=value ...]`: MyGrad's gradients against finite differences."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    from trainer.teaching import gradcheck

    parser = common.parser(
        "gradcheck",
        "Compare MyGrad's gradient of every parameter with central finite differences, on one batch.",
        "exit status 1 means a parameter's gradient is wrong",
    )
    common.add_config(parser, "configs/linreg.yaml")
    parser.add_argument(
        "--threshold",
        type=common.positive_number,
        default=gradcheck.THRESHOLD,
        help=f"largest relative error that passes (default {gradcheck.THRESHOLD:g})",
    )
    parser.add_argument(
        "--max-entries",
        type=common.positive_int,
        default=1000,
        help="check a seeded sample of this many entries of larger parameters (default 1000)",
    )
    args = parser.parse_args(argv)

    from trainer.config.load import load_config

    config = load_config(args.config, args.overrides)
    checks, rows = gradcheck.check_gradients(config, max_entries=args.max_entries)
    print(gradcheck.report(config, checks, rows, args.threshold))
    return (
        common.EXIT_OK if all(check.passed(args.threshold) for check in checks) else common.EXIT_FAILED_CHECK
    )

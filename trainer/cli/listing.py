"""`mgtrain list [KIND]`: the registered components and their options, as the docs' reference tables."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    from trainer.config.reference import KINDS, markdown_table

    parser = common.parser("list", "List the components a config can name, with their options and defaults.")
    parser.add_argument("kind", nargs="?", choices=list(KINDS), help="one kind (default: all)")
    args = parser.parse_args(argv)
    for kind in [args.kind] if args.kind else KINDS:
        print(f"## {kind}\n\n{markdown_table(kind)}\n")
    return common.EXIT_OK

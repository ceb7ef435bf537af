"""`mgtrain handout ASSIGNMENT OUT`: the folder students get: starter files, configs, data, visible checks."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    parser = common.parser(
        "handout",
        "Write the student bundle of an assignment: its starter files, configs and data, and the visible "
        "checks with the records of the solution they compare against; nothing of solution/ or of the "
        "hidden checks.",
    )
    parser.add_argument("assignment", help="the assignment's folder, e.g. assignments/two_layer_net")
    parser.add_argument("out", help="a new folder for the bundle")
    args = parser.parse_args(argv)

    from trainer.teaching.assignments.handout import write_handout

    files = write_handout(args.assignment, args.out)
    print(f"handout written to {args.out}: {', '.join(files)}")
    return common.EXIT_OK

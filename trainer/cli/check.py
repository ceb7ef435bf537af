"""`mgtrain check ASSIGNMENT FILE ...`: a student runs the assignment's visible checks on their file."""

from trainer.cli import common


def run(argv: list[str]) -> int:
    parser = common.parser(
        "check",
        "Run an assignment's visible checks on your file(s), each in a sandbox, and say what to fix first.",
        "exit status 1 means a check did not pass",
    )
    parser.add_argument(
        "assignment", help="the assignment's (or the handout's) folder, e.g. . in the handout"
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="your file, e.g. two_layer_net.py (or .ipynb)"
    )
    args = parser.parse_args(argv)

    from trainer.teaching.assignments.grade import check_files

    assignment, results, printed = check_files(args.assignment, args.files)
    score, total = sum(r.score for r in results), sum(r.max_score for r in results)
    print(f"{assignment.title}: {score:g} of {total:g} points on the visible checks")
    for result in results:
        print(
            f"  {'pass' if result.passed else 'FAIL'}  {result.name:<24}{result.score:g} / {result.max_score:g}"
        )
    failing = [result for result in results if not result.passed]
    if failing:
        print(f"\nFirst thing to fix ({failing[0].name}):\n{failing[0].output}")
    if printed.strip():
        print(f"\nYour code printed:\n{printed}")
    return common.EXIT_FAILED_CHECK if failing else common.EXIT_OK

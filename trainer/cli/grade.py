"""`mgtrain grade ASSIGNMENT SUBMISSIONS --out OUT`: grade a class, each submission in its own process."""

from pathlib import Path

from trainer.cli import common

GRADESCOPE = Path("/autograder")  # where Gradescope puts the submission and wants results.json


def run(argv: list[str]) -> int:
    parser = common.parser(
        "grade",
        "Grade every student's folder in SUBMISSIONS (one folder per student, named by the student's id): "
        "OUT/<student>/results.json (Gradescope's format) and feedback.md, OUT/grades.csv, OUT/report.md "
        "and report.html. Unchanged submissions are not graded again.",
        "exit status 0 when every submission was graded, whatever the scores",
    )
    parser.add_argument("assignment", help="the assignment's folder, e.g. assignments/two_layer_net")
    parser.add_argument("submissions", nargs="?", help="a folder with one folder per student")
    parser.add_argument("--out", help="where the grades go")
    parser.add_argument("--workers", type=common.positive_int, default=1, help="submissions graded at once")
    parser.add_argument("--dask", metavar="ADDRESS", help="grade on the Dask scheduler at ADDRESS")
    parser.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    parser.add_argument(
        "--gradescope",
        action="store_true",
        help="grade /autograder/submission into /autograder/results/results.json (Gradescope's autograder)",
    )
    args = parser.parse_args(argv)

    from trainer.errors import UserError
    from trainer.teaching.assignments.grade import grade_class, grade_for_gradescope

    if args.gradescope:
        grade_for_gradescope(args.assignment, GRADESCOPE)
        return common.EXIT_OK
    if not args.submissions or not args.out:
        raise UserError("grade needs SUBMISSIONS and --out OUT (or --gradescope on Gradescope).")
    grades = grade_class(args.assignment, args.submissions, args.out, workers=args.workers, force=args.force,
                         dask=args.dask, progress=print)  # fmt: skip
    print(
        f"graded {len(grades.graded)} submission(s), {len(grades.skipped)} unchanged since the last grading "
        f"(--force grades them again), in {grades.seconds:.1f} s: {Path(args.out) / 'grades.csv'}, report.md, report.html"
    )
    return common.EXIT_OK

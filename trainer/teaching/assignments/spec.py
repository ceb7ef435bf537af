"""assignment.yaml: what a student hands in, the checks and their points, the limits; read and validated.

    title: A two-layer network
    files:                          # each file a student hands in: the names it must define
      two_layer_net.py: [TwoLayerNet, cross_entropy]
    limits: {seconds: 60, memory_mb: 2000}   # for all the checks of one submission
    checks:
      - {name: loss, kind: component, target: two_layer_net.py:cross_entropy, role: loss,
         targets: classes, width: 3, points: 2}
      - {name: gradients, kind: gradcheck, config: two_layer_net.yaml, points: 1, visibility: hidden}
      - {name: training, kind: train, config: two_layer_net.yaml, expect: {"test_accuracy>=0.95": 2}}

The configs sit in the assignment's folder and name the student's file by its bare name
(`two_layer_net.py:TwoLayerNet`): the checks run in a scratch folder holding both side by side.
"""

from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trainer.config.yamlfile import load_yaml
from trainer.errors import UserError
from trainer.teaching.grading import parse_expectation

Case = Literal["typical", "single_row", "large", "float32"]  # the seeded inputs of a component check
CASES: tuple[Case, ...] = get_args(Case)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    seconds: Annotated[float, Field(gt=0)] = 60.0  # wall-clock time for all the checks of one submission
    memory_mb: Annotated[int, Field(ge=256)] = 2000  # address space of the process that runs them


class Check(Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[^,\n]+$")]  # a column of grades.csv
    points: Annotated[float, Field(ge=0)] = 1.0
    visibility: Literal["visible", "hidden"] = "visible"  # hidden: graded, never handed out nor shown


class ComponentCheck(Check):
    """The student's model or loss against the solution's on seeded inputs: value and gradients."""

    kind: Literal["component"]
    target: Annotated[str, Field(pattern=r"^[\w.-]+\.py:[A-Za-z_]\w*$")]  # file.py:Name
    role: Literal["model", "loss"]
    targets: Literal["values", "classes", "binary"] = "values"  # what the loss compares a prediction with
    inputs: Annotated[int, Field(ge=1)] = 3  # a model's input width
    width: Annotated[int, Field(ge=1)] = 1  # a model's output width, and the prediction's width of a loss
    options: dict[str, object] = {}  # keyword arguments of a model, as a config would give them
    cases: tuple[Case, ...] = CASES
    tolerance: Annotated[float, Field(gt=0)] = 1e-6  # relative, in float64; float32 cases allow 1e-3
    points: Annotated[float, Field(ge=0)] = 1.0


class GradcheckCheck(Check):
    """`mgtrain gradcheck` on a config: every parameter's gradient against finite differences."""

    kind: Literal["gradcheck"]
    config: str
    overrides: tuple[str, ...] = ()


class TrainCheck(Check):
    """Train a config; each expectation (the --expect syntax) on its summary.json is worth its points."""

    kind: Literal["train"]
    config: str
    overrides: tuple[str, ...] = ()
    expect: dict[str, Annotated[float, Field(ge=0)]]
    points: float = 0.0  # the sum of the expectations' points, set by load_assignment

    @field_validator("expect")
    @classmethod
    def _parsable(cls, expect: dict) -> dict:
        if not expect:
            raise ValueError("a train check needs at least one expectation")
        for text in expect:
            try:
                parse_expectation(text)
            except UserError as error:  # pydantic reports a ValueError with the key it belongs to
                raise ValueError(str(error)) from None
        return expect


AnyCheck = Annotated[ComponentCheck | GradcheckCheck | TrainCheck, Field(discriminator="kind")]


class Assignment(Strict):
    title: str
    files: dict[Annotated[str, Field(pattern=r"^[\w.-]+\.py$")], tuple[str, ...]]
    limits: Limits = Limits()
    checks: Annotated[tuple[AnyCheck, ...], Field(min_length=1)]
    folder: Path = Path(".")  # where assignment.yaml is (set by load_assignment)

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)

    def visible(self) -> "Assignment":
        return self.model_copy(update={"checks": tuple(c for c in self.checks if c.visibility == "visible")})


def load_assignment(folder: str | Path) -> Assignment:
    """Read FOLDER/assignment.yaml; a UserError names the key and what would be right."""
    folder = Path(folder)
    path = folder / "assignment.yaml"
    if not path.is_file():
        raise UserError(
            f"{folder} is not an assignment: it has no assignment.yaml. An assignment is a folder with "
            f"assignment.yaml, starter/, solution/ and the configs its checks train (see docs/assignments.md)."
        )
    raw, _ = load_yaml(path)
    for number, check in enumerate(raw.get("checks") or []):
        if isinstance(check, dict) and check.get("kind") == "train" and isinstance(check.get("expect"), dict):
            if "points" in check:
                raise UserError(
                    f"{path}: checks.{number}.points: a train check is worth the points of its expectations "
                    f'(expect: {{"test_accuracy>=0.95": 2}}); leave `points` out.'
                )
            check["points"] = sum(v for v in check["expect"].values() if isinstance(v, (int, float)))
    try:
        assignment = Assignment.model_validate({**raw, "folder": folder.resolve()})
    except ValidationError as error:
        raise UserError(f"{path}: {_describe(error, raw)}") from None
    _check_references(assignment, path)
    return assignment


def _describe(error: ValidationError, raw: dict) -> str:
    problems = []
    for problem in error.errors():
        kinds = ("component", "gradcheck", "train")  # pydantic's name for the branch of the union
        location = ".".join(str(part) for part in problem["loc"] if part not in kinds)
        text = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{location or 'the file'}: {text}")
    return "; ".join(problems) + ". The format is described in docs/assignments.md."


def _check_references(assignment: Assignment, path: Path) -> None:
    """Every check names a file the student hands in, and a config that exists; names are unique."""
    names = [check.name for check in assignment.checks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UserError(
            f"{path}: the check name {repeated[0]} is used twice; each names a column of grades.csv."
        )
    for check in assignment.checks:
        if isinstance(check, ComponentCheck):
            file, _, name = check.target.partition(":")
            if name not in assignment.files.get(file, ()):
                raise UserError(
                    f"{path}: check {check.name} tests {check.target}, but `files:` does not list {name} in "
                    f"{file}; files lists {dict(assignment.files)}."
                )
        elif not (assignment.folder / check.config).is_file():
            raise UserError(
                f"{path}: check {check.name} names config {check.config}, which is not in {assignment.folder}."
            )

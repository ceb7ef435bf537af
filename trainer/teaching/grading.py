"""Autograding: `mgtrain CONFIG --expect "test_loss<0.1" --expect "least_squares.distance<=0.01"`.

An expectation is FIELD OPERATOR VALUE: FIELD a key of summary.json (dotted for nested keys and
list entries: `least_squares.distance`, `weights.0`), OPERATOR one of >= <= > < == !=, VALUE a
number (or a word, for == and !=: `status==completed`). They are checked before training against the
fields this config's summary will have, and after it against the run's summary.json; the result
is printed as a table and written to grade.json.
"""

import json
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from trainer.config.dotted import flatten
from trainer.config.yamlfile import parse_value
from trainer.errors import UserError, did_you_mean
from trainer.files import write_json

OPERATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}

ORDERING = {">=", "<=", ">", "<"}

_SYNTAX = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*(>=|<=|==|!=|>|<)\s*(\S.*?)\s*")


@dataclass(frozen=True)
class Expectation:
    text: str
    field: str
    operator: str
    target: float | int | str | bool

    def check(self, summary: dict) -> tuple[object, bool]:
        """(the field's value in `summary`, whether the expectation holds)."""
        value = flatten(summary, lists=True).get(self.field)
        comparable = _is_number(value) if self.operator in ORDERING else value is not None
        return value, comparable and OPERATORS[self.operator](value, self.target)


def parse_expectation(text: str) -> Expectation:
    match = _SYNTAX.fullmatch(text)
    if not match:
        raise UserError(
            f'--expect "{text}" is not an expectation. Write FIELD OPERATOR VALUE, for example '
            f'--expect "val_loss<0.1" or --expect "least_squares.distance<=0.01"; the operators are {" ".join(OPERATORS)}.'
        )
    field, op, value_text = match.groups()
    target = parse_value(value_text)
    if op in ORDERING and not _is_number(target):
        raise UserError(f'--expect "{text}": {value_text} is not a number, and {op} compares numbers.')
    if not isinstance(target, (int, float, str, bool)):
        raise UserError(
            f'--expect "{text}": {value_text} should be a number or a word, such as 0.1 or completed.'
        )
    return Expectation(text, field, op, target)


def prepare(texts: list[str], config) -> list[Expectation]:
    """Parse the expectations and check them against the fields summary.json of a run of `config`
    will have. Raises UserError before anything runs."""
    expectations = [parse_expectation(text) for text in texts]
    fields = summary_fields(config)
    numbers = sorted(name for name, value in fields.items() if value is None or _is_number(value))
    for expectation in expectations:
        if expectation.field not in fields:
            raise UserError(
                f'--expect "{expectation.text}": this run\'s summary.json has no field {expectation.field}.'
                f"{did_you_mean(expectation.field, fields)} Its numeric fields are: {', '.join(_shown(numbers))}."
            )
        if expectation.operator in ORDERING and expectation.field not in numbers:
            raise UserError(
                f'--expect "{expectation.text}": {expectation.field} is {fields[expectation.field]!r}, not a number; '
                f"compare it with == or !=."
            )
    return expectations


def grade(expectations: list[Expectation], folder: Path) -> tuple[str, bool]:
    """Check the run's summary.json; write grade.json beside it; return the table and whether all passed."""
    summary = json.loads((folder / "summary.json").read_text())
    results = []
    for expectation in expectations:
        value, passed = expectation.check(summary)
        results.append(
            {
                "expectation": expectation.text,
                "field": expectation.field,
                "operator": expectation.operator,
                "target": expectation.target,
                "value": value,
                "passed": passed,
            }
        )
    passed = sum(result["passed"] for result in results)
    grade_file = {
        "passed": passed == len(results),
        "passed_count": passed,
        "total": len(results),
        "expectations": results,
    }
    write_json(folder / "grade.json", grade_file)
    width = max(len("expectation"), *(len(result["expectation"]) for result in results)) + 2
    lines = [
        f"grade: {passed} of {len(results)} expectations met",
        f"  {'expectation':<{width}}{'value':>14}  result",
    ]
    for result in results:
        shown = (
            "null"
            if result["value"] is None
            else f"{result['value']:.6g}"
            if _is_number(result["value"])
            else str(result["value"])
        )
        lines.append(
            f"  {result['expectation']:<{width}}{shown:>14}  {'pass' if result['passed'] else 'FAIL'}"
        )
    lines.append(f"grade file: {folder / 'grade.json'}")
    return "\n".join(lines), grade_file["passed"]


def _shown(names: list[str]) -> list[str]:
    """The names with list entries folded: weights.0 ... weights.29 as weights.N."""
    return list(dict.fromkeys(re.sub(r"\.\d+(?=\.|$)", ".N", name) for name in names))


def _is_number(value) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )


def summary_fields(config) -> dict[str, object]:
    """The fields (flattened) summary.json of a run of `config` will have, from the summary of the
    untrained experiment: the same code writes both, so a new field in the summary is known here too."""
    import tempfile

    from trainer.contracts import LoopState
    from trainer.runs.build import build
    from trainer.runs.callbacks import assemble
    from trainer.runs.summary import summarize

    experiment = build(config)
    untrained = LoopState(experiment.model, experiment.optimizer, config.trainer.epochs, 0, rng=None)
    with tempfile.TemporaryDirectory() as folder:  # the callbacks (checkpoints) want a folder
        callbacks = assemble(experiment, Path(folder), {})
        return flatten(summarize(config, experiment, untrained, None, 0.0, callbacks), lists=True)

"""Run one check of an assignment on a submission, in this process, in the submission's scratch folder.

Every check ends in a `Result`: its points, and a message for the student that says what passed or
the first thing to fix. An error in the student's code fails that check alone, shown by the
student's own lines (trainer.usercode); the isolation from other students is sandbox.py's.
"""

import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from trainer.config.load import load_config
from trainer.contracts import Callback
from trainer.errors import UserError
from trainer.nn.checks import parameters_of
from trainer.runs.run import train
from trainer.teaching import gradcheck
from trainer.teaching.assignments import component, diagnose
from trainer.teaching.assignments.spec import AnyCheck, ComponentCheck, GradcheckCheck, TrainCheck
from trainer.teaching.grading import parse_expectation
from trainer.training.diagnostics import parameter_names
from trainer.usercode import explain_students_error, load, raised_in_students_code


@dataclass
class Result:
    """One check's outcome, in the fields of a test of Gradescope's results.json."""

    name: str
    score: float
    max_score: float
    output: str
    visibility: str

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


def run_check(check: AnyCheck, scratch: Path, references: Path) -> Result:
    """Run `check` on the student's files in `scratch`; the solution's records are in `references`."""
    try:
        if isinstance(check, ComponentCheck):
            score, output = _component(check, scratch, references)
        elif isinstance(check, GradcheckCheck):
            score, output = _gradcheck(check, scratch)
        else:
            score, output = _train(check, scratch)
    except component.Failed as failure:
        score, output = 0.0, str(failure)
    except UserError as error:
        score, output = 0.0, str(error)
    except MemoryError:
        score, output = 0.0, "your code ran out of memory: it used more than the assignment's limit."
    except (Exception, SystemExit) as error:
        if not raised_in_students_code(error):
            traceback.print_exc()  # into the submission's printed output, for the teacher
            output = f"the grader itself failed on this check ({type(error).__name__}: {error}); tell your teacher."
            return Result(check.name, 0.0, check.points, output, check.visibility)
        score, output = 0.0, explain_students_error(error, _doing(check))
    # the scratch folder's name means nothing to the student
    return Result(check.name, score, check.points, output.replace(f"{scratch}/", ""), check.visibility)


def _doing(check: AnyCheck) -> str:
    if isinstance(check, GradcheckCheck):
        return f"checking the gradients of {check.config}"
    return f"training {check.config}" if isinstance(check, TrainCheck) else f"testing {check.target}"


def _component(check: ComponentCheck, scratch: Path, references: Path) -> tuple[float, str]:
    students = load(f"{scratch / check.target}")
    with np.load(references / f"{check.name}.npz") as saved:
        reference = dict(saved)
    return check.points, component.compare(check, students, reference)


def _gradcheck(check: GradcheckCheck, scratch: Path) -> tuple[float, str]:
    config = load_config(scratch / check.config, list(check.overrides))
    results, rows = gradcheck.check_gradients(config)
    text = gradcheck.report(config, results, rows)
    return (check.points if all(result.passed() for result in results) else 0.0), text


class _InitialValues(Callback):
    """Keeps a copy of the parameters as training starts, to find those that never change."""

    def on_train_begin(self, state) -> None:
        self.names = parameter_names(state.model)
        self.values = [np.array(p.data) for p in state.model.parameters]


def _train(check: TrainCheck, scratch: Path) -> tuple[float, str]:
    config = load_config(scratch / check.config, list(check.overrides))
    initial = _InitialValues()
    run = train(config, runs_dir=scratch / "runs", callbacks=[initial])
    lines, score = [], 0.0
    for text, points in check.expect.items():
        value, passed = parse_expectation(text).check(run.summary)
        score += points if passed else 0.0
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"{'pass' if passed else 'FAIL'}  {text}  (yours: {shown}; {points:g} points)")
    if score < check.points:
        losses = [row["train_loss"] for row in run.history]
        final = [np.array(p.data) for p in parameters_of(run.model)]
        for finding in (
            diagnose.negative_loss(losses) or diagnose.rising_loss(losses),
            diagnose.frozen_parameters(initial.names, initial.values, final),
        ):
            if finding:
                lines.append(f"Why: {finding}")
    return score, "\n".join(lines)

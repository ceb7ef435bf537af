"""The solution's records for the component checks: made from solution/ when the assignment has it
(the teacher's folder), read from references/ when it does not (a student's handout)."""

from pathlib import Path

import numpy as np

from trainer.errors import UserError
from trainer.teaching.assignments.component import record
from trainer.teaching.assignments.spec import Assignment, ComponentCheck
from trainer.usercode import load


def write_references(assignment: Assignment, folder: Path) -> Path:
    """FOLDER/NAME.npz for every component check of `assignment`; returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for check in assignment.checks:
        if not isinstance(check, ComponentCheck):
            continue
        solution = assignment.folder / "solution" / check.target.split(":")[0]
        recorded = assignment.folder / "references" / f"{check.name}.npz"
        if solution.is_file():
            arrays = record(check, load(f"{solution}:{check.target.split(':')[1]}"))
            np.savez(folder / f"{check.name}.npz", **arrays)  # type: ignore[arg-type]  # numpy's stub wants bool
        elif recorded.is_file():
            (folder / recorded.name).write_bytes(recorded.read_bytes())
        else:
            raise UserError(
                f"check {check.name} compares with the solution, but {assignment.folder} has neither "
                f"solution/{check.target.split(':')[0]} nor references/{check.name}.npz."
            )
    return folder

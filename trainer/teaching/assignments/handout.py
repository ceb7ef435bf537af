"""The student's bundle: the starter files, the configs, the data, the visible checks with the
solution's records they compare against, and nothing of solution/ or of the hidden checks."""

import shutil
from pathlib import Path

import yaml

from trainer.errors import UserError
from trainer.teaching.assignments.references import write_references
from trainer.teaching.assignments.sandbox import LEFT_OUT
from trainer.teaching.assignments.spec import load_assignment


def write_handout(assignment_folder: str | Path, out: str | Path) -> list[str]:
    """Write the bundle into OUT (which must not exist yet); return the files written, relative to OUT."""
    assignment = load_assignment(assignment_folder)
    out = Path(out)
    if out.exists():
        raise UserError(
            f"{out} exists already; the handout goes into a new folder, so nothing is overwritten."
        )
    starter = assignment.folder / "starter"
    missing = [name for name in assignment.files if not (starter / name).is_file()]
    if missing:
        raise UserError(
            f"{assignment.folder}: starter/ has no {', '.join(missing)}, the file students fill in."
        )
    hidden_configs = _configs_only_hidden_checks_use(assignment)
    staging = out.with_name(f".{out.name}.partial")  # renamed into place when complete: nothing half-written
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for item in assignment.folder.iterdir():
            if item.name in LEFT_OUT or item.name.startswith(".") or item.name in hidden_configs:
                continue
            shutil.copytree(item, staging / item.name) if item.is_dir() else shutil.copy(
                item, staging / item.name
            )
        for name in assignment.files:
            shutil.copy(starter / name, staging / name)
        visible = assignment.visible()
        write_references(visible, staging / "references")
        raw = yaml.safe_load((assignment.folder / "assignment.yaml").read_text())
        raw["checks"] = [check for check in raw["checks"] if check.get("visibility", "visible") == "visible"]
        header = "# The checks `mgtrain check . FILE` runs (hidden checks are graded, not handed out).\n"
        (staging / "assignment.yaml").write_text(header + yaml.safe_dump(raw, sort_keys=False))
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())


def _configs_only_hidden_checks_use(assignment) -> set[str]:
    """A config that only hidden checks train stays with the teacher: it would tell what they test."""
    visible = {getattr(check, "config", None) for check in assignment.checks if check.visibility == "visible"}
    hidden = {getattr(check, "config", None) for check in assignment.checks if check.visibility == "hidden"}
    return {name for name in hidden - visible if name}

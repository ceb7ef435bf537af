"""Writing files so that a process killed at any instant leaves the old file or the new one, whole.

Temporary files get unpredictable names, are created exclusively (never through a symlink someone
planted) in the target's own folder, and are removed when the write fails.
"""

import json
import math
import os
import secrets
import tempfile
from pathlib import Path

from trainer.errors import UserError


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write to a temporary file, fsync, and rename over `path`."""
    with open_atomically(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)


def write_json(path: Path, value) -> None:
    """Write `value` as indented JSON, atomically, with null for NaN and the infinities: JSON has no
    such numbers, and JavaScript's JSON.parse (so a web grader) refuses the `NaN` Python would write."""
    write_atomically(path, json.dumps(finite_or_null(value), indent=2, allow_nan=False) + "\n")


def finite_or_null(value):
    """`value` with every float that is not finite replaced by None, in nested dicts and lists."""
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):  # np.float64 is a float too
        return None
    return value


def unused_name_beside(path: Path) -> Path:
    """An unpredictable name for a temporary file in `path`'s folder, for a call that creates it
    exclusively itself (os.link fails rather than follow or replace what is there)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def replace_or_clean(temporary: Path, path: Path) -> None:
    """Rename `temporary` over `path`; if that fails (a folder is there, the disk is read-only), the
    temporary file goes and the error is raised."""
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


class open_atomically:
    """`with open_atomically(path) as file:` writes binary data that appears at `path` only when complete.

    The rename alone makes the write atomic for a process killed at any instant. `fsync=True` also
    puts the data on disk before the rename, so that a crash of the machine leaves the old file or
    the new one, whole."""

    def __init__(self, path: Path, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync

    def __enter__(self):
        try:
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as error:  # no such folder, a read-only disk, no permission
            reason = (
                f"the folder {self.path.parent} does not exist"
                if isinstance(error, FileNotFoundError)
                else error.strerror
            )
            raise UserError(f"cannot write {self.path}: {reason}.") from None
        self.temporary = Path(name)
        self.file = os.fdopen(handle, "wb")
        return self.file

    def __exit__(self, kind, error, traceback):
        try:
            with self.file:  # closed (so flushed) whatever happens
                if kind is None and self.fsync:
                    self.file.flush()
                    os.fsync(self.file.fileno())
        except BaseException:  # the disk is full, say: the temporary file goes
            self.temporary.unlink(missing_ok=True)
            raise
        if kind is not None:
            self.temporary.unlink(missing_ok=True)
            return
        # (An fsync of the folder too would only make the new file certain to be the survivor of a
        # machine crash, at the price of another disk flush.)
        replace_or_clean(self.temporary, self.path)

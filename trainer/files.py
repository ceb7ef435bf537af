"""Writing files so that a process killed at any instant leaves the old file or the new one, whole."""

import os
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write to a temporary file, fsync, and rename over `path`."""
    with open_atomically(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)


class open_atomically:
    """`with open_atomically(path) as file:` writes binary data that appears at `path` only when complete.

    The rename alone makes the write atomic for a process killed at any instant. `fsync=True` also
    puts the data on disk before the rename, so that a crash of the machine leaves the old file or
    the new one, whole."""

    def __init__(self, path: Path, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync
        self.temporary = self.path.with_name(self.path.name + ".tmp")

    def __enter__(self):
        self.file = open(self.temporary, "wb")
        return self.file

    def __exit__(self, kind, error, traceback):
        try:
            if kind is None and self.fsync:
                self.file.flush()
                os.fsync(self.file.fileno())
        finally:
            self.file.close()
        if kind is not None:
            self.temporary.unlink(missing_ok=True)
            return
        # (An fsync of the folder too would only make the new file certain to be the survivor of a
        # machine crash, at the price of another disk flush.)
        os.replace(self.temporary, self.path)

"""Writing files so that a process killed at any instant leaves the old file or the new one, whole."""

import os
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write to a temporary file, fsync, and rename over `path`."""
    with open_atomically(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)


class open_atomically:
    """`with open_atomically(path) as file:` writes binary data that appears at `path` only when complete."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.temporary = self.path.with_name(self.path.name + ".tmp")

    def __enter__(self):
        self.file = open(self.temporary, "wb")
        return self.file

    def __exit__(self, kind, error, traceback):
        try:
            if kind is None:
                self.file.flush()
                os.fsync(self.file.fileno())
        finally:
            self.file.close()
        if kind is not None:
            self.temporary.unlink(missing_ok=True)
            return
        # The data is on disk before the rename, so even a machine crash leaves the old file or the
        # new one, whole. (An fsync of the folder too would only make the new one certain to be the
        # survivor, at the price of another disk flush per checkpoint.)
        os.replace(self.temporary, self.path)

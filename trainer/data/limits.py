"""Sizes a data set asks for, checked before anything is allocated: a slip such as
`data.n_samples=200000000`, or class labels that run up to 5e13, is a clear error with the numbers,
not a machine that swaps until it is out of memory."""

import os

from trainer.errors import UserError

# A run holds its data several times over: as loaded or generated, split, standardized, and in the
# run's dtype. (Measured: building a run of 2,000,000 x 10 synthetic_linear rows peaks at 3.7 tables.)
COPIES = 4
BYTES_PER_NUMBER = 8  # float64, as data sets are loaded


def available_memory() -> int | None:
    """The bytes this machine can still give without swapping (Linux' MemAvailable); else its
    physical memory; None where neither is known."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(rows: int, columns: int, what: str, available: int | None = None) -> None:
    """Refuse a table of `rows` x `columns` numbers that would not fit, with the numbers. `what` says
    where the size came from (a config key, a file)."""
    available = available_memory() if available is None else available
    table = rows * columns * BYTES_PER_NUMBER
    if available is None or table * COPIES <= available:
        return
    raise UserError(
        f"{what}: {rows:,} rows x {columns:,} columns of {BYTES_PER_NUMBER}-byte numbers make {_gib(table)}, "
        f"and a run holds about {COPIES} copies of its data (split, standardized, in the run's dtype): "
        f"{_gib(table * COPIES)}, more than the {_gib(available)} of memory available. Use fewer rows, or "
        f"save the data as .npy files and read them by blocks (data: {{type: npy, mmap: true}})."
    )


def require_class_count(classes: int, rows: int, source: str) -> None:
    """Labels read as they are (0..K-1) make K classes, each with a name and a model output: K may
    not exceed the number of rows."""
    if classes > rows:
        raise UserError(
            f"data from {source}: the class labels run up to {classes - 1:,}, which makes {classes:,} classes "
            f"for {rows:,} rows. Labels must be 0, 1, ..., K-1 with K at most the number of rows; renumber "
            f"them (np.unique(labels, return_inverse=True) gives 0..K-1), or leave out mmap: true, which "
            f"renumbers them itself."
        )


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"

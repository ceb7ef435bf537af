"""Data larger than memory: an `npy` data set opened as a memory map (`mmap: true`) is split, scaled
and shuffled by blocks of rows, and read a batch at a time, so memory does not grow with its rows.

- The split assigns whole blocks of BLOCK_ROWS rows (seeded) to train, validation and test.
- Standardization is fitted with StandardScaler.partial_fit over the training blocks, chunk by chunk.
- A split is a `LazySplit`: indexing it (with positions or a slice) reads the blocks holding those
  rows (a few kept in memory), standardizes them and gives them the run's dtype.
- Each epoch visits the training blocks in a seeded random order; the rows of every WINDOW_BLOCKS
  consecutive blocks of that order are shuffled together (`BlockShuffle`), drawn only when reached.
- Pages of the mapping that were read count as resident memory until released: `read_rows` drops
  them (madvise MADV_DONTNEED; they stay in the OS page cache) after every block it copies.
"""

import math
import mmap
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from trainer.data.limits import require_class_count
from trainer.errors import UserError

if TYPE_CHECKING:
    from trainer.data.dataset import Dataset

BLOCK_ROWS = 4096  # the unit of the split: whole blocks go to train, validation or test

WINDOW_BLOCKS = 16  # an epoch shuffles the rows of this many blocks together (65,536 rows)

CHUNK_ROWS = 16384  # rows per read when scanning a whole split (scaler, hash, least squares)

CACHED_BLOCKS = 2 * WINDOW_BLOCKS  # a batch may span two windows; each block is read once an epoch


def read_rows(array: np.ndarray, start: int, stop: int) -> np.ndarray:
    """A copy of rows start:stop of a memory-mapped array. Then the mapping's pages are released:
    pages read through a mapping count as this process's memory until unmapped, and a page fault
    maps a whole large folio of the page cache (measured: about 1 MB per fault on Linux 6.18)."""
    rows = np.array(array[start:stop])
    array._mmap.madvise(  # type: ignore[attr-defined]  # numpy's private attribute, not in its stubs
        mmap.MADV_DONTNEED
    )  # numpy keeps np.load's mmap object here; the data stay in the page cache
    return rows


class LazySplit:
    """The rows of `blocks` (sorted block numbers) of a memory-mapped array, read a block at a time
    and passed through `prepare` (standardize, cast); the CACHED_BLOCKS blocks used last are kept,
    in one array, so that a batch is gathered with a single fancy index.

    Position i of the split is row i % BLOCK_ROWS of its block i // BLOCK_ROWS; only the file's last
    block may be short, and sorted it comes last, so that holds."""

    def __init__(self, array: np.memmap, blocks: np.ndarray, prepare, dtype, width: tuple):
        self.array, self.blocks, self.prepare = array, blocks, prepare
        self.block_sizes = np.minimum(BLOCK_ROWS, len(array) - blocks * BLOCK_ROWS)
        self.shape = (int(self.block_sizes.sum()), *width)
        self.dtype = np.dtype(dtype)
        self.cached = np.empty(
            (CACHED_BLOCKS * BLOCK_ROWS, *width), self.dtype
        )  # slot k: rows k * BLOCK_ROWS...; pages taken as slots fill
        self.slots: OrderedDict[int, int] = (
            OrderedDict()
        )  # block (its place in this split) -> its slot in `cached`, oldest use first

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        positions = np.arange(*index.indices(len(self))) if isinstance(index, slice) else np.asarray(index)
        blocks, offsets = np.divmod(positions, BLOCK_ROWS)
        needed, which = np.unique(blocks, return_inverse=True)
        if len(needed) <= CACHED_BLOCKS:  # a batch, or a chunk of a split
            starts = np.array([self._slot(block) * BLOCK_ROWS for block in needed], dtype=np.intp)
            return self.cached.take(starts[which] + offsets, axis=0)
        values = np.empty((len(positions), *self.shape[1:]), self.dtype)
        for first in range(
            0, len(needed), CACHED_BLOCKS
        ):  # more blocks than are kept: a group of them at a time
            chosen = (which >= first) & (which < first + CACHED_BLOCKS)
            values[chosen] = self[positions[chosen]]
        return values

    def _slot(self, block: int) -> int:
        """The slot holding `block`, read into the least recently used slot if it is not kept."""
        if block in self.slots:
            self.slots.move_to_end(block)
            return self.slots[block]
        slot = self.slots.popitem(last=False)[1] if len(self.slots) == CACHED_BLOCKS else len(self.slots)
        start = int(self.blocks[block]) * BLOCK_ROWS
        rows = self.prepare(read_rows(self.array, start, start + BLOCK_ROWS))
        self.cached[slot * BLOCK_ROWS : slot * BLOCK_ROWS + len(rows)] = rows
        self.slots[block] = slot
        return slot

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """The whole split in memory: only for what needs it at once (scikit-learn's metrics)."""
        return self[:] if dtype is None else self[:].astype(dtype)

    def chunks(self):
        for start in range(0, len(self), CHUNK_ROWS):
            yield self[start : start + CHUNK_ROWS]

    def epoch_order(self, rng: np.random.Generator) -> "BlockShuffle":
        return BlockShuffle(self.block_sizes, rng)


class BlockShuffle:
    """A seeded permutation of a split's positions, sliced like an array but drawn a window at a
    time: the blocks in random order, then the rows of each window of WINDOW_BLOCKS blocks shuffled.
    It takes two draws from `rng`, so the same generator state gives the same order (exact resume)."""

    def __init__(self, block_sizes: np.ndarray, rng: np.random.Generator):
        self.block_sizes = block_sizes
        self.block_order = rng.permutation(len(block_sizes))
        self.seed = int(rng.integers(2**63))  # window w's rows are shuffled by default_rng([seed, w])
        sizes = block_sizes[self.block_order]
        self.window_ends = np.cumsum(
            [sizes[w : w + WINDOW_BLOCKS].sum() for w in range(0, len(sizes), WINDOW_BLOCKS)]
        )
        self.cached: tuple[int, np.ndarray] | tuple[None, None] = (None, None)  # a window and its positions

    def __len__(self) -> int:
        return int(self.window_ends[-1])

    def __getitem__(self, window: slice) -> np.ndarray:
        start, stop, _ = window.indices(len(self))
        if stop <= start:
            return np.empty(0, np.int64)
        first, last = np.searchsorted(self.window_ends, [start, stop - 1], side="right")
        offset = self.window_ends[first] - len(self._window(first))
        positions = (
            self._window(first)
            if first == last
            else np.concatenate([self._window(w) for w in range(first, last + 1)])
        )
        return positions[start - offset : stop - offset]

    def _window(self, w: int) -> np.ndarray:
        if self.cached[0] != w:
            blocks = self.block_order[w * WINDOW_BLOCKS : (w + 1) * WINDOW_BLOCKS]
            positions = np.concatenate(
                [block * BLOCK_ROWS + np.arange(self.block_sizes[block]) for block in blocks]
            )
            self.cached = (w, np.random.default_rng([self.seed, w]).permutation(positions))
        return self.cached[1]


def mapped_dataset(X: np.ndarray, y: np.ndarray, task: str, source: str) -> "Dataset":
    """A Dataset of two memory maps (np.memmap, and so are their reshaped views), checked with a pass over the labels in chunks, never copied."""
    from trainer.data.dataset import Dataset
    from trainer.data.images import feature_names

    names = feature_names(X)
    if task == "regression":
        y = y.reshape(-1, 1) if y.ndim == 1 else y  # a view: still the mapping
        return Dataset(X, y, names, [f"y{i}" for i in range(y.shape[1])])
    y = y.reshape(-1)
    low, high = np.inf, -np.inf
    for start in range(0, len(y), CHUNK_ROWS):
        chunk = read_rows(y, start, start + CHUNK_ROWS)
        low, high = min(low, chunk.min()), max(high, chunk.max())
    if y.dtype.kind not in "iub" or low < 0:
        raise UserError(
            f"data from {source}: with mmap: true, class labels must be the integers 0, 1, ..., K-1 (they are read as they are, not renumbered)."
        )
    require_class_count(int(high) + 1, len(y), source)
    return Dataset(X, y, names, [str(k) for k in range(int(high) + 1)], task="classification")


def lazy_splits(dataset, component, seed: int, dtype: str):
    """`trainer.data.dataset.load_splits` for a memory-mapped data set: whole blocks to each split (seeded),
    the scaler fitted on the training blocks in chunks, and every split a LazySplit."""
    from sklearn.preprocessing import StandardScaler

    from trainer.data.dataset import Splits
    from trainer.data.images import per_example, pixel_rows

    X, y = dataset.X, dataset.y
    n_blocks = math.ceil(len(X) / BLOCK_ROWS)
    n_val, n_test = component.held_out(
        n_blocks,
        f"{len(X)} rows make {n_blocks} blocks of {BLOCK_ROWS} (a memory-mapped data set is split by blocks), which",
        ", or leave mmap off for data this small",
    )
    shuffled = np.random.default_rng(seed).permutation(n_blocks)
    blocks = {
        "test": shuffled[:n_test],
        "val": shuffled[n_test : n_test + n_val],
        "train": shuffled[n_test + n_val :],
    }
    mean = scale = None
    if component.standardize:
        scaler = StandardScaler()
        for chunk in LazySplit(X, np.sort(blocks["train"]), np.asarray, X.dtype, X.shape[1:]).chunks():
            scaler.partial_fit(pixel_rows(chunk))  # images: per channel
        mean, scale = (per_example(values, X.shape[1:]) for values in (scaler.mean_, scaler.scale_))

    def features(rows):
        return np.asarray(rows if mean is None else (rows - mean) / scale, dtype=dtype)

    target_type = np.int64 if dataset.task == "classification" else dtype

    def targets(rows):
        return rows.astype(target_type)

    def split(name):
        chosen = np.sort(blocks[name])
        if not len(chosen):
            return None
        return (
            LazySplit(X, chosen, features, dtype, X.shape[1:]),
            LazySplit(y, chosen, targets, target_type, y.shape[1:]),
        )

    return Splits(split("train"), split("val"), split("test"), dataset, mean, scale)


def least_squares(X: LazySplit, y: LazySplit) -> np.ndarray:
    """The least-squares weights and bias (last row) from the normal equations, summed over chunks."""
    gram = moment = 0.0
    for features, targets in zip(X.chunks(), y.chunks()):
        design = np.column_stack([features, np.ones(len(features))])
        gram = gram + design.T @ design
        moment = moment + design.T @ targets
    solution, *_ = np.linalg.lstsq(gram, moment, rcond=None)
    return solution

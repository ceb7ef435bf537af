"""The seeded train/validation/test split of a data set, with standardization fitted on the
training split only; memory-mapped data are split by blocks instead (trainer.data.outofcore)."""

import numpy as np

from trainer.data.dataset import DATASETS, DataComponent, Dataset, Splits
from trainer.data.images import per_example, pixel_rows
from trainer.data.limits import require_memory


def load_splits(
    component: DataComponent, seed: int, dtype: str = "float64", dataset: Dataset | None = None
) -> Splits:
    """Load the data set (or take `dataset`, the rows given to trainer.Estimator.fit), split it
    (shuffled, seeded), standardize on the training split only, and give the features (and
    real-valued targets) the run's `dtype`."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if dataset is None:
        options = component.options()
        if "n_samples" in options:  # a generated data set: its size is known before it is made
            rows, columns = options["n_samples"], options.get("n_features", 2) + 1  # (+ the target)
            require_memory(rows, columns, f"data.n_samples={rows}")
        dataset = DATASETS.build(component, seed=seed)
    if isinstance(dataset.X, np.memmap):  # `mmap: true`: split, scale and read by blocks, never all at once
        from trainer.data.outofcore import lazy_splits

        return lazy_splits(dataset, component, seed, dtype)
    n_val, n_test = component.held_out(len(dataset.X))
    X, y = dataset.X, dataset.y
    parts: dict[str, tuple[np.ndarray, np.ndarray] | None] = {"val": None, "test": None}
    for name, size in (("test", n_test), ("val", n_val)):
        if size:
            stratify = (
                y if _can_stratify(dataset, y, size) else None
            )  # the class shares of the whole, in every split
            X, X_held, y, y_held = train_test_split(
                X, y, test_size=size, random_state=seed, stratify=stratify
            )
            parts[name] = (X_held, y_held)
    parts["train"] = (X, y)
    mean = scale = None
    if component.standardize:  # images: per channel (trainer.data.images)
        scaler = StandardScaler().fit(pixel_rows(X))
        mean, scale = (per_example(values, X.shape[1:]) for values in (scaler.mean_, scaler.scale_))
        parts = {name: part and ((part[0] - mean) / scale, part[1]) for name, part in parts.items()}
    target_type = np.int64 if dataset.task == "classification" else dtype
    contiguous = {
        name: part
        and (np.ascontiguousarray(part[0], dtype=dtype), np.ascontiguousarray(part[1], dtype=target_type))
        for name, part in parts.items()
    }
    for array in (array for part in contiguous.values() if part for array in part):
        # The data is never updated, only the parameters; a full batch is the array itself, so a
        # model that writes into its input would change the data set (NumPy now refuses that).
        array.flags.writeable = False
    train = contiguous["train"]
    assert train is not None  # it has at least one row (checked above)
    return Splits(train, contiguous["val"], contiguous["test"], dataset, mean, scale)


def _can_stratify(dataset: Dataset, y: np.ndarray, size: int) -> bool:
    if dataset.task != "classification":
        return False
    counts = np.bincount(y)
    return bool(counts[counts > 0].min() >= 2 and min(size, len(y) - size) >= np.count_nonzero(counts))

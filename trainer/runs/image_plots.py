"""Pictures of a classifier and of image data in the run folder:

- confusion.png: the confusion matrix on the test split (else validation, else training), for every
  classification run;
- mistakes.png: a grid of misclassified images from that split, with true and predicted labels;
- filters.png: the kernels of the model's first convolution layer.

Drawn without pyplot (see trainer.runs.plots).
"""

import math
from pathlib import Path

import numpy as np

from trainer.nn.metrics import predict, predicted_classes
from trainer.runs.plots import figure_with_axes, save

MISTAKES_SHOWN = 24  # the first this many of the split's misclassified images, in its order


def plot_classifier(folder: Path, experiment) -> list[Path]:
    """confusion.png for a classification run; mistakes.png and filters.png too where they apply."""
    splits, dataset = experiment.splits, experiment.splits.dataset
    if dataset.task != "classification" or isinstance(dataset.X, np.memmap):
        return []  # a memory map: too many rows to read for a picture
    name, (X, y) = next(
        (name, split)
        for name, split in (("test", splits.test), ("val", splits.val), ("train", splits.train))
        if split is not None
    )
    predicted = predicted_classes(predict(experiment.model, X))
    paths = [plot_confusion(folder, y, predicted, dataset.target_names, name)]
    if X.ndim == 4:
        paths.append(plot_mistakes(folder, X, y, predicted, dataset.target_names, name))
    kernels = first_convolution_kernels(experiment.model)
    if kernels is not None:
        paths.append(plot_filters(folder, kernels))
    return paths


def confusion_matrix(y: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """counts[i, j]: the examples of true class i predicted as class j."""
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y, predicted), 1)
    return counts


def plot_confusion(folder: Path, y: np.ndarray, predicted: np.ndarray, names: list[str], split: str) -> Path:
    """confusion.png: how many examples of each true class (rows) went to each predicted class (columns)."""
    k = len(names)
    counts = confusion_matrix(y, predicted, k)
    figure, axes = figure_with_axes((1.2 + 0.5 * max(k, 4), 1 + 0.5 * max(k, 4)))
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes, shrink=0.8)
    for (row, col), count in np.ndenumerate(counts):
        if count:
            light = count > counts.max() / 2
            axes.text(
                col,
                row,
                str(count),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if light else "black",
            )
    axes.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0)
    axes.set_yticks(range(k), names)
    axes.set(xlabel="predicted class", ylabel="true class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    axes.set_title(f"{folder.parent.name}: {split} split, accuracy {accuracy:.1%}", fontsize=10)
    path = folder / "confusion.png"
    save(figure, path)
    return path


def plot_mistakes(
    folder: Path, X: np.ndarray, y: np.ndarray, predicted: np.ndarray, names: list[str], split: str
) -> Path:
    """mistakes.png: misclassified images (their first channel, or colour for three), true -> predicted."""
    wrong = np.flatnonzero(predicted != y)[:MISTAKES_SHOWN]
    columns = 8
    rows = max(1, math.ceil(len(wrong) / columns))
    figure, grid = figure_with_axes(
        (1.4 * columns, 1.6 * rows + 0.4), nrows=rows, ncols=columns, squeeze=False
    )
    for axes in grid.flat:
        axes.axis("off")
    for axes, index in zip(grid.flat, wrong):
        image = X[index]
        if image.shape[0] == 3:  # colour: channels last, each scaled to 0..1 for display
            low, high = image.min(), image.max()
            axes.imshow(np.moveaxis((image - low) / max(high - low, 1e-12), 0, -1))
        else:
            axes.imshow(image[0], cmap="gray_r")
        axes.set_title(f"{names[y[index]]} -> {names[predicted[index]]}", fontsize=8, color="tab:red")
    total = int(np.sum(predicted != y))
    title = f"{folder.parent.name}: {total} of {len(y)} {split} images misclassified (true -> predicted)"
    figure.suptitle(title if total else f"{folder.parent.name}: no {split} image misclassified", fontsize=10)
    path = folder / "mistakes.png"
    save(figure, path)
    return path


def first_convolution_kernels(model) -> np.ndarray | None:
    """The weights (F, C, kh, kw) of the model's first layer with a 4-D weight (a convolution), if any."""
    for layer in getattr(model, "layers", ()):
        weight = getattr(layer, "weight", None)
        if weight is not None and weight.ndim == 4:
            return np.asarray(weight.data)
    return None


def plot_filters(folder: Path, kernels: np.ndarray) -> Path:
    """filters.png: each kernel of the first convolution (its first input channel; colour for three),
    on a shared grey scale centred at 0, so that positive (light) and negative (dark) weights compare."""
    count = len(kernels)
    columns = min(count, 8)
    rows = math.ceil(count / columns)
    figure, grid = figure_with_axes(
        (1.1 * columns, 1.1 * rows + 0.5), nrows=rows, ncols=columns, squeeze=False
    )
    limit = np.abs(kernels).max() or 1.0
    for axes in grid.flat:
        axes.axis("off")
    for number, (axes, kernel) in enumerate(zip(grid.flat, kernels)):
        if kernel.shape[0] == 3:
            axes.imshow(np.moveaxis(kernel / (2 * limit) + 0.5, 0, -1))
        else:
            axes.imshow(kernel[0], cmap="gray", vmin=-limit, vmax=limit)
        axes.set_title(str(number), fontsize=7)
    figure.suptitle(f"{folder.parent.name}: the first convolution's {count} kernels", fontsize=10)
    path = folder / "filters.png"
    save(figure, path)
    return path

"""Image data: examples shaped (channels, height, width), standardized per channel, and the synthetic
`shapes` data set (circles, squares and triangles) for teaching convolutional networks without downloads.

Standardization of images fits one mean and one scale per channel, over every training image and
pixel (per pixel, as flat data is scaled, would erase what the edges of a digit have in common with
its middle); the mean and scale are kept shaped (C, 1, 1), so `(X - mean) / scale` broadcasts over
any batch of images.
"""

import math
from typing import Annotated

import numpy as np
from pydantic import Field

from trainer.data.dataset import DATASETS, Dataset, classification


def pixel_rows(X: np.ndarray) -> np.ndarray:
    """Flat data as it is; images (N, C, H, W) as one row of C channel values per pixel, (N * H * W, C):
    a scaler fitted on these rows standardizes per channel."""
    return X if X.ndim == 2 else np.moveaxis(X, 1, -1).reshape(-1, X.shape[1])


def per_example(values: np.ndarray, example_shape: tuple[int, ...]) -> np.ndarray:
    """A scaler's per-column mean or scale, shaped to broadcast over examples of `example_shape`."""
    return values if len(example_shape) == 1 else values.reshape(-1, *([1] * (len(example_shape) - 1)))


def feature_names(X: np.ndarray) -> list[str]:
    """x0, x1, ... for each feature, or each pixel of an image in C order."""
    return [f"x{i}" for i in range(math.prod(X.shape[1:]))]


SHAPES = ("circle", "square", "triangle")


@DATASETS.register("shapes")
def shapes(
    n_samples: Annotated[int, Field(ge=3)] = 1500,
    size: Annotated[int, Field(ge=8, le=64)] = 16,
    noise: Annotated[float, Field(ge=0)] = 0.1,
    seed: int = 0,
) -> Dataset:
    """Grayscale images (1 x size x size) of a filled circle, square or triangle (a third each),
    with seeded position, size and Gaussian pixel `noise`; the shapes are white (1) on black (0)."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n_samples) % len(SHAPES))
    radius = rng.uniform(0.25, 0.45, n_samples) * size  # half the width: 4 pixels or more at size 16
    center = rng.uniform(radius[:, None], size - radius[:, None], (n_samples, 2))
    rows, cols = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    dy = (rows - center[:, 0, None, None]) / radius[:, None, None]  # coordinates in units of the radius
    dx = (cols - center[:, 1, None, None]) / radius[:, None, None]
    inside = {
        "circle": dx**2 + dy**2 <= 1,
        "square": (np.abs(dx) <= 0.85) & (np.abs(dy) <= 0.85),  # about the circle's area
        "triangle": (dy <= 1) & (np.abs(dx) <= (dy + 1) / 2),  # apex up, base at the bottom
    }
    images = np.choose(labels[:, None, None], [inside[name] for name in SHAPES]).astype(np.float64)
    images += noise * rng.standard_normal(images.shape)
    X = images[:, None]
    return classification(X, labels, feature_names(X), list(SHAPES))

"""Config -> the parts of an experiment: data splits, model, loss, optimizer (via the registries)."""

import zlib
from dataclasses import dataclass

import numpy as np

from trainer.config import COMPONENTS, Config
from trainer.data import Splits, load_splits


@dataclass
class Experiment:
    config: Config
    splits: Splits
    model: object
    loss: object
    optimizer: object


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, seeded random stream per purpose ("model", "batches", ...), stable across runs."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def build(config: Config) -> Experiment:
    splits = load_splits(config.data, config.seed)
    X, y = splits.train
    model = COMPONENTS["model"].build(
        config.model, n_inputs=X.shape[1], n_outputs=y.shape[1], rng=rng_for(config.seed, "model")
    )
    loss = COMPONENTS["loss"].build(config.loss)
    optimizer = COMPONENTS["optimizer"].build(config.optimizer)
    return Experiment(config, splits, model, loss, optimizer)

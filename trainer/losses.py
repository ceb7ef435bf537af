"""Losses: `loss(prediction, target) -> scalar Tensor`, the mean over the batch."""

import mygrad as mg

from trainer.registry import Registry

LOSSES = Registry("loss")


@LOSSES.register("mse")
def mse():
    """Mean squared error, averaged over the batch (and the outputs)."""

    def mean_squared_error(prediction, target):
        return mg.mean((prediction - target) ** 2)

    return mean_squared_error

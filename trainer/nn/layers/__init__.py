"""Layers: the pieces a `sequential` model is composed of, registered in LAYERS by name.

base.py         the layer contract, LAYERS, the shape error
basic.py        dense, flatten, reshape, dropout
activations.py  every mygrad.nnet activation (relu, tanh, softmax, glu, ...)
conv.py         conv2d, maxpool2d, avgpool2d
batchnorm.py    batchnorm (1-D and 2-D), with running statistics as buffers
"""

from trainer.nn.layers import activations, basic, batchnorm, conv  # noqa: F401  (each registers its layers)
from trainer.nn.layers.base import LAYERS, InputShapeError, Layer

__all__ = ["LAYERS", "InputShapeError", "Layer"]

"""Exercise: a two-layer neural network and its loss, written by you, trained by the framework.

The framework calls `TwoLayerNet(n_inputs=..., n_outputs=..., rng=..., hidden=...)`: it supplies
the input width (from the data), the output width (one logit per class) and a seeded random
generator; `hidden` comes from the config. Then, for each mini-batch, it computes
`cross_entropy(model(x), labels)`, calls `backward()` on it and updates `model.parameters`.

Check your work with `mgtrain check . two_layer_net.py`; train with `mgtrain train two_layer_net.yaml`.
"""

import numpy as np


class TwoLayerNet:
    def __init__(self, n_inputs: int, n_outputs: int, rng: np.random.Generator, hidden: int = 16):
        # TODO: the parameters, each a mygrad tensor of a float array:
        #   self.w1 of shape (n_inputs, hidden) and self.w2 of shape (hidden, n_outputs), drawn from
        #   rng.normal(0, np.sqrt(2 / fan_in), size=shape) (He initialization: fan_in is the number of rows),
        #   self.b1 of shape (hidden,) and self.b2 of shape (n_outputs,), zeros.
        raise NotImplementedError("TwoLayerNet.__init__: create w1, b1, w2, b2")

    def __call__(self, x):
        # TODO: the logits, shape (rows of x, n_outputs): relu(x @ w1 + b1) @ w2 + b2.
        #   relu(z) is mg.maximum(z, 0). Use mygrad operations only, so the gradient can flow back.
        raise NotImplementedError("TwoLayerNet.__call__: compute the logits")

    @property
    def parameters(self):
        # TODO: a tuple of the four parameter tensors.
        raise NotImplementedError("TwoLayerNet.parameters: return (w1, b1, w2, b2)")


def cross_entropy(logits, labels):
    """The mean over the rows of -log softmax(logits)[label].

    logits: Tensor (N, classes); labels: integer array (N,). Return a scalar Tensor.
    """
    # TODO: log softmax(z)[k] = z[k] - log(sum_j exp(z[j])). Subtract each row's largest logit first
    #   (z = logits - mg.max(logits, axis=1, keepdims=True)): it changes nothing but keeps exp() from
    #   overflowing. Pick each row's true class with log_probabilities[np.arange(len(labels)), labels].
    raise NotImplementedError("cross_entropy: compute the mean negative log-likelihood")

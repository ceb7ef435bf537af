"""Gradient clipping. Each optimizer's update rule and state round trip: tests/test_conformance_optim.py."""

import mygrad as mg
import numpy as np

from trainer.optim.clipping import ClipGradNorm


def test_clip_grad_norm_rescales_the_global_norm_and_keeps_the_direction():
    a, b = mg.tensor(np.zeros(2)), mg.tensor(np.zeros((1, 2)))
    a._grad, b._grad = np.array([3.0, 0.0]), np.array([[0.0, 4.0]])  # global norm 5

    class State:
        class model:
            parameters = (a, b)

    ClipGradNorm(1.0).on_before_update(State)
    assert np.allclose(a.grad, [0.6, 0.0]) and np.allclose(b.grad, [[0.0, 0.8]])
    ClipGradNorm(10.0).on_before_update(State)  # below the limit: unchanged
    assert np.allclose(a.grad, [0.6, 0.0])

"""Gradient clipping (`trainer.clip_grad_norm`), a callback between backward() and the update."""

import numpy as np

from trainer.contracts import Callback, LoopState


class ClipGradNorm(Callback):
    """Scale all gradients together so that their global L2 norm is at most `max_norm`
    (`trainer.clip_grad_norm`); the direction of the step is unchanged."""

    def __init__(self, max_norm: float):
        self.max_norm = max_norm

    def on_before_update(self, state: LoopState) -> None:
        grads = [p.grad for p in state.model.parameters if p.grad is not None]  # None: not in this graph
        norm = np.sqrt(sum(np.sum(g**2) for g in grads))
        if norm > self.max_norm:
            for g in grads:
                g *= self.max_norm / norm

"""A descent path: its points, and the verdict on what it did (converged, slow, oscillating, ...)."""

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

CONVERGED = 1e-3  # the gradient shrank to this share of its size at the start


class Row(NamedTuple):
    """One point of a path: the point after `step` updates, f and its gradient there, and the
    learning rate of the update that leaves it (None at the last point)."""

    step: int
    x: float
    y: float
    f: float
    dfdx: float
    dfdy: float
    lr: float | None


@dataclass
class Descent:
    label: str  # e.g. "sgd lr=0.1"
    rows: list[Row]
    status: str  # completed or diverged (f or the point became inf or nan)

    @property
    def verdict(self) -> str:
        """slow, converged, oscillating or diverging: what the path did, in a word and a reason."""
        first, last = self.rows[0], self.rows[-1]
        if not all(map(math.isfinite, last[1:6])):
            return f"diverged (f became {last.f} at step {last.step})"
        if last.f > first.f:
            return f"diverging (f grew from {first.f:.3g} to {last.f:.3g})"
        moves = np.diff([(row.x, row.y) for row in self.rows], axis=0)
        reversals = np.count_nonzero(np.einsum("ij,ij->i", moves[:-1], moves[1:]) < 0)
        if len(moves) >= 3 and reversals > len(moves) / 2:
            return "oscillating (most steps overshoot and turn back)"
        shrink = math.hypot(last.dfdx, last.dfdy) / max(math.hypot(first.dfdx, first.dfdy), 1e-300)
        if shrink <= CONVERGED:
            return "converged (the gradient is almost zero)"
        if shrink >= 1:
            return "still going downhill (the slope got steeper: f may have no minimum this way)"
        return f"slow (the gradient is still {100 * shrink:.2g}% of its size at the start)"

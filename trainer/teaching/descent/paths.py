"""A descent path: its points, and the verdict on what it did (converged, slow, oscillating, a saddle
point, ...).

Where the gradient has almost vanished, the curvature decides: the Hessian (by central differences
of MyGrad's gradient) with a negative eigenvalue is a saddle point (or a maximum), not a minimum; with
none, a Newton step -H^-1 g estimates how far the minimum still is, so that a point in a flat valley
(Rosenbrock's) is not called converged while it is a long way off.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import mygrad as mg
import numpy as np

CONVERGED = 1e-3  # the gradient shrank to this share of its size at the start, and the point is this
# share of the distance it travelled (at least 1) from the minimum a Newton step predicts

CURVED_DOWN = 1e-6  # an eigenvalue below -this share of the largest one is a real downward curvature


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
    surface: Callable | None = None  # f(x, y) on MyGrad tensors: for the curvature where the path ends

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
        if shrink <= CONVERGED and self.surface is not None:
            return self._flat_point_verdict(first, last)
        if shrink <= CONVERGED:
            return "converged (the gradient is almost zero)"
        if shrink >= 1:
            return "still going downhill (the slope got steeper: f may have no minimum this way)"
        return f"slow (the gradient is still {100 * shrink:.2g}% of its size at the start)"

    def _flat_point_verdict(self, first: Row, last: Row) -> str:
        """Where the gradient is almost zero: a minimum reached, one still some way off, or a saddle."""
        hessian = _hessian(self.surface, last.x, last.y)
        curvatures = np.linalg.eigvalsh(hessian)
        if curvatures.min() < -CURVED_DOWN * max(abs(curvatures).max(), 1e-300):
            return (
                f"a saddle point, not a minimum: the gradient is almost zero, but f curves down in some direction "
                f"(the Hessian's eigenvalues are {', '.join(f'{c:.3g}' for c in curvatures)}); a step off it goes lower"
            )
        gradient = np.array([last.dfdx, last.dfdy])
        remaining = float(np.linalg.norm(np.linalg.pinv(hessian) @ gradient))  # a Newton step's length
        travelled = math.hypot(last.x - first.x, last.y - first.y)
        if remaining > CONVERGED * max(travelled, 1.0):
            return (
                f"slow: near a minimum but not at it: a Newton step puts it about {remaining:.2g} further on "
                f"(f = {last.f:.3g}, the gradient is {100 * math.hypot(*gradient) / math.hypot(first.dfdx, first.dfdy):.2g}% "
                f"of its size at the start)"
            )
        return "converged (the gradient is almost zero, and f curves up all around)"


def _gradient(surface: Callable, x: float, y: float) -> np.ndarray:
    at = mg.tensor([x, y])
    surface(at[0], at[1]).backward()
    return at.grad if at.grad is not None else np.zeros(2)


def _hessian(surface: Callable, x: float, y: float) -> np.ndarray:
    """The 2 x 2 matrix of second derivatives, by central differences of the gradient."""
    h = 1e-5 * max(1.0, abs(x), abs(y))
    columns = [
        (_gradient(surface, x + dx, y + dy) - _gradient(surface, x - dx, y - dy)) / (2 * h)
        for dx, dy in ((h, 0.0), (0.0, h))
    ]
    hessian = np.column_stack(columns)
    return (hessian + hessian.T) / 2

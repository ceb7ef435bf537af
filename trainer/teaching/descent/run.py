"""Descent on f(x, y) with the training loop itself: the point is the model's only parameter.

The "model" ignores its input and returns f at its point; the "loss" is that value; the data set is
one empty row. So every step of `trainer.training.loop.fit` is one update of (x, y) by the configured
optimizer, and callbacks (a learning-rate schedule, ...) act exactly as they do in training.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import mygrad as mg
import numpy as np
import yaml

from trainer.contracts import Callback, LoopState
from trainer.errors import UserError
from trainer.files import write_atomically
from trainer.optim.optimizers import OPTIMIZERS
from trainer.optim.schedules import LearningRateSchedule, build_schedule
from trainer.registry import Component
from trainer.runs.folder import make_run_folder
from trainer.teaching.descent.config import DescentConfig, load_descent_config
from trainer.teaching.descent.functions import Surface
from trainer.teaching.descent.paths import Descent, Row
from trainer.training.loop import fit

NO_DATA = (np.zeros((1, 0)), np.zeros((1, 0)))  # one row with no columns: one step per "epoch"


@dataclass
class DescentRun:
    folder: Path
    config: DescentConfig
    surface: Surface
    descents: list[Descent]


class Point:
    """The model of a descent: calling it gives f at its point (x, y), whatever the input."""

    def __init__(self, surface: Surface, start):
        self.surface = surface
        self.xy = mg.tensor(np.array(start, dtype=np.float64))

    def __call__(self, _inputs=None):
        return self.surface(self.xy[0], self.xy[1])

    @property
    def parameters(self):
        return (self.xy,)

    def row(self, step: int, lr: float | None) -> Row:
        """f and its gradient at the point now (a forward and backward pass of its own)."""
        value = self()
        value.backward()
        return Row(step, *self.xy.data.tolist(), value.item(), *self.xy.grad.tolist(), lr)


def _value_of_f(value, _target):
    return value


class Trajectory(Callback):
    """Records the point, f, the gradient and the lr of every step; stops once they stop being finite."""

    def __init__(self):
        self.rows: list[Row] = []

    def on_before_update(self, state):
        (xy,) = state.model.parameters
        self.before = (state.step, *xy.data.tolist(), *xy.grad.tolist(), state.optimizer.lr)

    def on_step_end(self, state, f):
        step, x, y, dfdx, dfdy, lr = self.before
        self.rows.append(Row(step, x, y, f, dfdx, dfdy, lr))
        if not all(map(math.isfinite, (f, dfdx, dfdy, *state.model.xy.data.tolist()))):
            state.stop, state.status = True, "diverged"


def descend(config: DescentConfig | str | Path, overrides=(), *, runs_dir="runs", callbacks=()) -> DescentRun:
    """Run each configured optimizer from the start point; leave config.yaml, trajectory.csv, descent.png.
    `callbacks` are loop callbacks, given to every path (after the config's schedule, if any)."""
    if not isinstance(config, DescentConfig):
        config = load_descent_config(config, overrides)
    surface = config.surface()
    check_start(surface, config.start)
    optimizers = [
        (label(block), OPTIMIZERS.build(block)) for block in config.optimizers()
    ]  # errors before the folder
    folder = make_run_folder(Path(runs_dir), config.name, Point(surface, config.start))
    write_atomically(folder / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    descents = [
        descend_once(
            surface, config.start, optimizer, config.steps, name, [*_schedule(config, optimizer), *callbacks]
        )
        for name, optimizer in optimizers
    ]
    write_trajectories(folder / "trajectory.csv", descents)
    from trainer.teaching.descent.plots import plot_descent

    plot_descent(
        folder / "descent.png", surface, descents, title=config.function.type if config.function else ""
    )
    return DescentRun(folder, config, surface, descents)


def descend_once(surface: Surface, start, optimizer, steps: int, name: str, callbacks=()) -> Descent:
    point, trajectory = Point(surface, start), Trajectory()
    state = LoopState(
        point, optimizer, epochs=steps, steps_per_epoch=1, rng=np.random.default_rng(0)
    )  # orders one row
    with np.errstate(all="ignore"):  # a diverging path overflows: that is the lesson, not an error
        fit(state, _value_of_f, NO_DATA, None, batch_size=1, callbacks=[trajectory, *callbacks])
        trajectory.rows.append(point.row(state.step, None))
    return Descent(name, trajectory.rows, state.status, surface)


def _schedule(config: DescentConfig, optimizer) -> list:
    """The config's learning-rate schedule as a loop callback, for one optimizer (its lr is the peak);
    a descent's "epoch" is one step, so warmup_epochs and step_size count steps."""
    if config.schedule is None:
        return []
    return [
        LearningRateSchedule(
            build_schedule(config.schedule, optimizer.lr, steps_per_epoch=1, total_steps=config.steps)
        )
    ]


def check_start(surface: Surface, start) -> None:
    """A UserError unless f and its gradient are finite numbers at the start."""
    with np.errstate(all="ignore"):
        row = Point(surface, start).row(0, None)
    if not all(map(math.isfinite, row[3:6])):
        raise UserError(
            f"f({start[0]:g}, {start[1]:g}) = {row.f} with gradient [{row.dfdx}, {row.dfdy}]: f = {surface.formula} "
            f"is not defined (or not differentiable) at the start, e.g. log or sqrt of a negative number or a "
            f"division by zero. Choose another start."
        )


def label(block: Component) -> str:
    """'sgd lr=0.1 momentum=0.9': the optimizer and the options that differ from their defaults."""
    fields = type(block).model_fields
    return " ".join(
        [
            block.type,
            *(f"{key}={value}" for key, value in block.options().items() if value != fields[key].default),
        ]
    )


def write_trajectories(path: Path, descents: list[Descent]) -> None:
    """step, x, y, f, df/dx, df/dy, lr per row (with a first `variant` column when comparing)."""
    compare = len(descents) > 1
    lines = [("variant," if compare else "") + "step,x,y,f,df/dx,df/dy,lr"]
    for descent in descents:
        for row in descent.rows:
            cells = [str(row.step), *map(repr, row[1:6]), "" if row.lr is None else repr(row.lr)]
            lines.append(",".join(([descent.label] if compare else []) + cells))
    write_atomically(path, "\n".join(lines) + "\n")

"""Learning-rate schedules: the lr of every step as a pure function of the step number.

A registry entry takes its options plus the provided `lr` (the optimizer's, the peak),
`steps_per_epoch` and `total_steps`, and returns `lr_at(step)` for step = 0, 1, ... Options given
in epochs are turned into steps here. Every schedule can start with `warmup_epochs` of linear
warm-up. Because the lr depends on the step, a resumed run continues on the same curve; `cosine`
also depends on `total_steps`, so a resume that changes the epochs of a cosine run is refused
(trainer.runs.run).
"""

import math
from typing import Annotated

from pydantic import Field

from trainer.contracts import Callback, LoopState, Schedule
from trainer.registry import Component, Registry


class ScheduleComponent(Component):
    """The `schedule:` block: a schedule's options plus the warm-up every schedule can start with."""

    warmup_epochs: Annotated[float, Field(ge=0)] = 0.0

    def options(self):
        return {key: value for key, value in super().options().items() if key != "warmup_epochs"}


SCHEDULES = Registry("schedule", provided=("lr", "steps_per_epoch", "total_steps"), base=ScheduleComponent)

Factor = Annotated[float, Field(gt=0, le=1)]


@SCHEDULES.register("constant")
def constant(lr: float) -> Schedule:
    """The optimizer's lr throughout."""
    return lambda step: lr


@SCHEDULES.register("step")
def step_decay(
    lr: float, steps_per_epoch: int, step_size: Annotated[int, Field(ge=1)] = 10, gamma: Factor = 0.1
) -> Schedule:
    """lr * gamma^k in the k-th block of `step_size` epochs."""
    return lambda step: lr * gamma ** (step // (step_size * steps_per_epoch))


@SCHEDULES.register("exponential")
def exponential(lr: float, steps_per_epoch: int, gamma: Factor = 0.95) -> Schedule:
    """lr * gamma^(epochs so far): the lr shrinks by `gamma` every epoch, smoothly from step to step."""
    return lambda step: lr * gamma ** (step / steps_per_epoch)


@SCHEDULES.register("cosine")
def cosine(lr: float, total_steps: int, min_lr: Annotated[float, Field(ge=0)] = 0.0) -> Schedule:
    """From lr down to `min_lr` along half a cosine wave over the whole run (Loshchilov & Hutter 2017)."""
    return lambda step: (
        min_lr + (lr - min_lr) * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)) / 2
    )


def build_schedule(
    component: ScheduleComponent, lr: float, steps_per_epoch: int, total_steps: int
) -> Schedule:
    """The schedule of the block, behind `warmup_epochs` of linear warm-up: lr * (step + 1) / warmup_steps."""
    warmup = round(component.warmup_epochs * steps_per_epoch)
    after = SCHEDULES.build(
        component, lr=lr, steps_per_epoch=steps_per_epoch, total_steps=max(1, total_steps - warmup)
    )
    if not warmup:
        return after
    return lambda step: lr * (step + 1) / warmup if step < warmup else after(step - warmup)


class LearningRateSchedule(Callback):
    """Sets `state.optimizer.lr` before every step; CSVLogger records it in steps.csv."""

    def __init__(self, lr_at: Schedule):
        self.lr_at = lr_at

    def on_step_begin(self, state: LoopState) -> None:
        state.optimizer.lr = self.lr_at(state.step)

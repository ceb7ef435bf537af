"""The descent config: which function, where to start, which optimizer(s), how many steps.

    function: paraboloid            # or {type: bowl, a: 10}, or instead: expression: "x**2 + 3*y**2"
    start: [3.0, -4.0]
    optimizer: {type: sgd, lr: 0.1} # or compare: [{type: sgd, lr: 0.01}, {type: sgd, lr: 0.1}, ...]
    schedule: {type: exponential, gamma: 0.9}   # optional; here an "epoch" is one step
    steps: 50

Loaded, overridden and checked by the same code as a training config (trainer.config.load), so errors
read the same way: key, value, what is allowed, file and line.
"""

from pathlib import Path
from typing import Annotated

import pydantic
from pydantic import Field

from trainer.config.load import TRAINING_KEYS, load_validated
from trainer.config.schema import RunConfig
from trainer.optim.optimizers import OPTIMIZERS
from trainer.optim.schedules import SCHEDULES, ScheduleComponent
from trainer.registry import Component
from trainer.teaching.descent.functions import FUNCTIONS, Surface, parse_formula


def _formula(text: str) -> str:
    parse_formula(text)  # raises FormulaError, a ValueError, which the config error names with its line
    return text


class DescentConfig(RunConfig):
    ALTERNATIVES = (frozenset({"function", "expression"}), frozenset({"optimizer", "compare"}))

    function: Component | None = None
    expression: Annotated[str, pydantic.AfterValidator(_formula)] | None = None
    start: Annotated[list[float], Field(min_length=2, max_length=2)]
    optimizer: Component | None = None
    compare: tuple[Component, ...] | None = None
    schedule: ScheduleComponent | None = None
    steps: Annotated[int, Field(ge=1, le=100_000)] = 50

    @pydantic.model_validator(mode="after")
    def _one_of_each(self):
        if (self.function is None) == (self.expression is None):
            raise ValueError(
                "give the function either by name (function: paraboloid) or as a formula "
                '(expression: "x**2 + 3*y**2"), exactly one of the two'
            )
        if (self.optimizer is None) == (self.compare is None) or self.compare == ():
            raise ValueError(
                "give exactly one of optimizer (one descent, e.g. optimizer: {type: sgd, lr: 0.1}) and "
                "compare (a non-empty list of optimizers drawn on one picture)"
            )
        return self

    def surface(self) -> Surface:
        if self.expression is not None:
            return Surface(self.expression)
        return FUNCTIONS.build(self.function)

    def optimizers(self) -> tuple[Component, ...]:
        return self.compare if self.compare is not None else (self.optimizer,)


def load_descent_config(path: str | Path, overrides=()) -> DescentConfig:
    components = {"function": FUNCTIONS, "optimizer": OPTIMIZERS, "schedule": SCHEDULES}
    return load_validated(
        path, overrides, DescentConfig, components, {"compare": OPTIMIZERS}, other_command=TRAINING_KEYS
    )

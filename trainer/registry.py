"""Registries of named components (datasets, models, losses, optimizers).

A component's signature is its schema: the keyword arguments a config block may set are the
parameters of the registered callable, with their annotations and defaults. Arguments the
framework supplies itself (the data's width, a random generator, ...) are named in `provided`
and left out of the schema. A name with a colon (`file.py:Name`, `package.module:Name`) is a
user's own class or function, loaded by `trainer.usercode` and checked the same way.
"""

import functools
import inspect
from collections.abc import Callable
from typing import Any

import pydantic

from trainer import usercode
from trainer.errors import ConfigError, UserError, did_you_mean


class Component(pydantic.BaseModel):
    """A validated config block: `type` plus the keyword arguments for the registered callable."""

    # allow_inf_nan=False: no float option may be NaN or infinite (`noise: 1e400` reads as inf)
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)
    type: str

    def options(self) -> dict[str, Any]:
        """The keyword arguments, without `type`."""
        return {name: getattr(self, name) for name in type(self).model_fields if name != "type"}


class Registry:
    def __init__(
        self,
        kind: str,
        provided: tuple[str, ...] = (),
        base: type[Component] = Component,
        plain_functions_are_entries=False,
        class_needs: tuple[str, ...] = (),
    ):
        """`plain_functions_are_entries`: a user's plain function is the component itself, not a
        factory of it (a loss is `def my_loss(prediction, target)`; a user's class is still built).
        `class_needs`: the methods a user's class must have for this slot (an optimizer's `step`)."""
        self.kind = kind
        self.class_needs = class_needs
        self.plain_functions_are_entries = plain_functions_are_entries
        self.provided = provided
        self.base = base
        self._entries: dict[str, Callable] = {}
        self._schemas: dict[tuple[str, Callable], type[Component]] = {}

    def register(self, name: str):
        def add(factory: Callable) -> Callable:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = factory
            return factory

        return add

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> Callable:
        if usercode.is_external(name):
            found = usercode.load(name)
            self._check_kind(name, found)
            if self.plain_functions_are_entries and inspect.isfunction(found):
                return _returning(found)
            return found
        try:
            return self._entries[name]
        except KeyError:
            own = (
                f" For your own code, name the file and the class or function in it: {name}:Name."
                if name.endswith(".py")
                else ""
            )
            raise ConfigError(
                f'there is no {self.kind} called "{name}".{did_you_mean(name, self._entries)} '
                f"Known {self.kind}s: {', '.join(self.names())}.{own}"
            ) from None

    def _check_kind(self, name: str, found) -> None:
        """A user's entry is a class or a function written in Python, with what the slot needs."""
        if not (inspect.isclass(found) or inspect.isfunction(found)):
            raise ConfigError(
                f"{name} is {type(found).__name__}, not a class or function written in Python; a {self.kind} must be one."
            )
        missing = [
            method for method in self.class_needs if inspect.isclass(found) and not hasattr(found, method)
        ]
        if missing:
            raise ConfigError(f"{name} cannot be the {self.kind}: it lacks the methods {', '.join(missing)}.")

    def schema(self, name: str) -> type[Component]:
        """A pydantic model of the config block for entry `name`, built from its signature."""
        factory = self.get(name)
        if (
            name,
            factory,
        ) not in self._schemas:  # a user's edited file gives a new factory, maybe a new signature
            self._schemas[name, factory] = self._schema_from_signature(name, factory)
        return self._schemas[name, factory]

    def _schema_from_signature(self, name: str, factory: Callable) -> type[Component]:
        fields: dict[str, Any] = {}  # name -> (annotation, default), create_model's field definitions
        for param in inspect.signature(factory, eval_str=True).parameters.values():
            if param.name in self.provided or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = Any if param.annotation is param.empty else param.annotation
            default = ... if param.default is param.empty else param.default
            fields[param.name] = (annotation, default)
        return pydantic.create_model(f"{self.kind}:{name}", __base__=self.base, **fields)

    def build(self, component: Component, **provided):
        """Call the entry with the block's options and those `provided` values it declares."""
        factory = self.get(component.type)
        accepted = inspect.signature(factory).parameters
        supplied = {key: value for key, value in provided.items() if key in accepted}
        try:
            inspect.signature(factory).bind(**component.options(), **supplied)
        except TypeError as error:  # e.g. a user's class whose __init__ takes **kwargs but needs more
            raise UserError(
                f"{self.kind} {component.type} cannot be built from its config block: {error}. "
                f"Its signature is {usercode.describe_signature(factory)}; the framework supplies "
                f"{', '.join(self.provided) or 'nothing'}, the config block the rest."
            ) from None
        return factory(**component.options(), **supplied)


@functools.cache
def _returning(entry: Callable) -> Callable:
    """A factory without options that gives `entry` itself (a user's plain-function loss is the loss);
    one per function, so the schema cached for it is found again."""
    return lambda: entry

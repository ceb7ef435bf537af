"""Reference tables of the registered components, generated from the registries themselves: what
each entry is (its docstring's first sentence) and the options a config block may set (its schema:
default, allowed range, choices). `mgtrain list` prints them and docs/generate.py writes them into
the docs, so neither can drift from the code."""

import inspect
import re
from typing import Literal, get_args, get_origin

from pydantic_core import PydanticUndefined

from trainer.config.schema import COMPONENTS
from trainer.nn.initializers import INITIALIZERS
from trainer.nn.layers import LAYERS
from trainer.nn.metrics import METRICS

# the registries of the config's component blocks, and of what a `sequential` model's items name
REGISTRIES = {**COMPONENTS, "layer": LAYERS, "initializer": INITIALIZERS}

KINDS = {
    "data": "data",
    "models": "model",
    "layers": "layer",
    "initializers": "initializer",
    "losses": "loss",
    "optimizers": "optimizer",
    "schedules": "schedule",
    "metrics": None,
}
SPLIT_KEYS = {"data": ("val_fraction", "test_fraction", "standardize"), "schedule": ("warmup_epochs",)}
TARGETS = {"values": "regression", "binary": "2 classes", "classes": "classes"}  # a loss's `expects`
BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def markdown_table(kind: str) -> str:
    """The table of one kind (a key of KINDS), in Markdown."""
    key = KINDS[kind]
    if key is None:
        rows = [
            f"| `{name}` | {task} | scikit-learn's `{function}{arguments(keywords)}` |"
            for name, (task, function, keywords) in METRICS.items()
        ]
        return "\n".join(["| name | for | computed with |", "|---|---|---|", *rows])
    registry = REGISTRIES[key]
    losses = key == "loss"
    rows = [f"| name |{' for |' if losses else ''} what | options (default; allowed) |"]
    rows.append("|---|---|---|---|" if losses else "|---|---|---|")
    for name in registry.names():
        entry = registry.get(name)
        cells = [f"`{name}`", summary(entry), options(registry.schema(name), SPLIT_KEYS.get(key, ()))]
        if losses:  # a built-in loss says what targets it expects: build it with its defaults to ask
            cells.insert(1, TARGETS.get(str(getattr(entry(), "expects", "")), ""))
        rows.append("| " + " | ".join(cells) + " |")
    if shared := SPLIT_KEYS.get(key):
        schema = registry.schema(registry.names()[0])
        rest = [name for name in schema.model_fields if name not in shared]
        rows.append(f"\nEvery {registry.kind} also takes {options(schema, leave_out=rest)}.")
    return "\n".join(rows)


def summary(entry) -> str:
    """The first sentence of the entry's docstring, on one line."""
    paragraph = " ".join((inspect.getdoc(entry) or "").split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s+(?=[A-Z`])", paragraph, maxsplit=1)[0].replace("|", "\\|")


def options(schema, leave_out=()) -> str:
    """Each option with its default (or "required"), its bounds and its choices."""
    parts = []
    for name, field in schema.model_fields.items():
        if name == "type" or name in leave_out:
            continue
        details = ["required" if field.default is PydanticUndefined else repr(field.default)]
        for constraint in field.metadata:
            details += [
                f"{sign} {getattr(constraint, a)}" for a, sign in BOUNDS.items() if hasattr(constraint, a)
            ]
        if found := choices(field.annotation):
            details.append("one of " + ", ".join(repr(choice) for choice in found))
        parts.append(f"`{name}` ({'; '.join(details)})".replace("|", "\\|"))
    return ", ".join(parts) or "none"


def arguments(keywords: dict) -> str:
    """(average='macro', ...) or nothing."""
    return f"({', '.join(f'{k}={v!r}' for k, v in keywords.items())})" if keywords else ""


def choices(annotation) -> tuple:
    """The values a Literal annotation allows, also inside Optional[...]; () for any other."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    if get_origin(annotation) is list:
        return ()
    return tuple(choice for argument in get_args(annotation) for choice in choices(argument))

"""The messages of config errors: what is wrong, where it stands (file and line, or the override),
and what is allowed there (the keys of the section, a "did you mean", the range of a number)."""

import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import annotated_types
import pydantic
from pydantic_core import ErrorDetails

from trainer.config.schema import Locations, RunConfig
from trainer.errors import did_you_mean

# What a config may be given as: a file's path, YAML text, a dict of its keys, or a Config already read.
ConfigSource = str | Path | dict | RunConfig
# Overrides: `key=value` texts (the value read as YAML), or a dict of dotted keys and their values.
Overrides = Sequence[str] | Mapping[str, Any]


def describe_issue(
    schema: type[pydantic.BaseModel], issue: ErrorDetails, locations: Locations, signatures: dict[tuple, str]
) -> str:
    loc = issue["loc"]
    dotted = ".".join(map(str, loc)) or "the config"
    where = locations.describe(loc)
    kind = issue["type"]
    signature = signatures.get(loc[:-1], "")  # an option of a user's own class: show its signature
    if kind == "extra_forbidden":
        allowed = _fields_at(schema, loc[:-1])
        hint = did_you_mean(loc[-1], allowed) or did_you_mean(
            loc[-1], _section_keys(schema, loc[:-1], loc[-1])
        )
        return (
            f"{where}: unknown key {dotted}.{hint} "
            f"The keys allowed there are: {', '.join(allowed) or 'none'}.{signature}"
        )
    if kind == "missing":
        return f"{where}: {dotted} is missing; it is required.{signature}"
    message = issue["msg"].removeprefix("Value error, ")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{where}: {dotted} = {issue['input']!r} is out of range: it must be {_range(schema, loc, issue.get('ctx', {}))}."
    message = message[0].lower() + message[1:] if message else message
    if not loc:  # a rule about several keys together
        return f"{locations.title}: {message}."
    if "input" in issue and not isinstance(issue["input"], dict):
        return f"{where}: {dotted} = {issue['input']!r} is not valid: {message.replace('input', 'it', 1)}."
    return f"{where}: {dotted}: {message}."


def _child(annotation, part):
    """One level down from `annotation`: (annotation, FieldInfo) of a model's field, or of a tuple's item."""
    if isinstance(part, int):
        items = typing.get_args(annotation)
        return (items[part] if part < len(items) else None), None
    info = getattr(annotation, "model_fields", {}).get(part)
    return (info.annotation if info else None), info


def _field_info(schema, loc):
    info = None
    for part in loc:
        schema, info = _child(schema, part)
    return info


def _fields_at(schema, loc) -> list[str]:
    for part in loc:
        schema, _ = _child(schema, part)
    return list(getattr(schema, "model_fields", {}))


def _section_keys(schema, loc, key) -> list[str]:
    """`trainer.epochs` for `epochs` written one level too high: the sections under `loc` that have `key`."""
    for part in loc:
        schema, _ = _child(schema, part)
    sections = getattr(schema, "model_fields", {})
    found = []
    for section, info in sections.items():
        for annotation in (info.annotation, *typing.get_args(info.annotation)):  # also `Section | None`
            if key in getattr(annotation, "model_fields", {}):
                found.append(".".join(map(str, (*loc, section, key))))
    return found


def _range(schema, loc, violated: dict) -> str:
    """'in [0, 1)' or '> 0', from the field's constraints, or else from the one `violated`
    (pydantic's error context, e.g. {'ge': 1}, for an item of a list)."""
    info = _field_info(schema, loc)
    low = high = None
    bounds = (_constraints(info) if info else []) or [
        getattr(annotated_types, kind.title())(value)
        for kind, value in violated.items()
        if kind in ("gt", "ge", "lt", "le")
    ]
    for bound in bounds:
        if isinstance(bound, annotated_types.Gt):
            low = f"({bound.gt}"
        elif isinstance(bound, annotated_types.Ge):
            low = f"[{bound.ge}"
        elif isinstance(bound, annotated_types.Lt):
            high = f"{bound.lt})"
        elif isinstance(bound, annotated_types.Le):
            high = f"{bound.le}]"
    if low and high:
        return f"in {low}, {high}"
    if low:
        return f"{'>' if low[0] == '(' else '>='} {low[1:]}"
    if high:
        return f"{'<' if high[-1] == ')' else '<='} {high[:-1]}"
    return "within its bounds"  # none found (pydantic reported one, so not expected)


def _constraints(info) -> list:
    """The field's bounds, also those of an optional field (`Annotated[int, Field(ge=1)] | None`
    keeps them inside the union)."""
    found = list(info.metadata)
    for argument in typing.get_args(info.annotation):
        for meta in getattr(argument, "__metadata__", ()):
            found += getattr(meta, "metadata", [meta])
    return found


def join_problems(locations: Locations, problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{locations.title} has {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)

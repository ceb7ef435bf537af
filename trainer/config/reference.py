"""Reference tables of the registered components, generated from the registries themselves: what
each entry is (its docstring's first sentence) and the options a config block may set (its schema).
`mgtrain list` prints them and the docs include them, so neither can drift from the code."""

import inspect

from pydantic_core import PydanticUndefined

from trainer.config.schema import COMPONENTS
from trainer.nn.metrics import METRICS

KINDS = {
    "data": "data",
    "models": "model",
    "losses": "loss",
    "optimizers": "optimizer",
    "schedules": "schedule",
    "metrics": None,
}
SPLIT_KEYS = {"data": ("val_fraction", "test_fraction", "standardize"), "schedule": ("warmup_epochs",)}


def markdown_table(kind: str) -> str:
    """The table of one kind (a key of KINDS), in Markdown."""
    key = KINDS[kind]
    if key is None:
        rows = [
            f"| `{name}` | {task} | scikit-learn's `{function}` |"
            for name, (task, function, _) in METRICS.items()
        ]
        return "\n".join(["| name | for | computed with |", "|---|---|---|", *rows])
    registry = COMPONENTS[key]
    rows = ["| name | what | options (default) |", "|---|---|---|"]
    for name in registry.names():
        rows.append(
            f"| `{name}` | {summary(registry.get(name))} | {options(registry.schema(name), SPLIT_KEYS.get(key, ()))} |"
        )
    shared = SPLIT_KEYS.get(key)
    if shared:
        rows.append(f"\nEvery {registry.kind} also takes {', '.join(f'`{name}`' for name in shared)}.")
    return "\n".join(rows)


def summary(entry) -> str:
    """The first sentence of the entry's docstring, on one line."""
    doc = inspect.getdoc(entry) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    return first.replace("|", "\\|")


def options(schema, leave_out=()) -> str:
    parts = []
    for name, field in schema.model_fields.items():
        if name == "type" or name in leave_out:
            continue
        default = "required" if field.default is PydanticUndefined else repr(field.default)
        parts.append(f"`{name}` ({default})")
    return ", ".join(parts) or "none"

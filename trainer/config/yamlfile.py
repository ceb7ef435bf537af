"""YAML read with a safe loader, remembering the line of every key so errors can point at it."""

import re
from pathlib import Path

import yaml

from trainer.errors import ConfigError


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `1e-3` as a float (YAML 1.2), as a user writing a learning rate means it."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def parse_value(text: str):
    """A command-line value parsed as YAML: `0.1` is a float, `true` a bool, `[64, 32]` a list."""
    return yaml.load(text, Loader=_Loader)


def load_yaml(path: Path) -> tuple[dict, dict[tuple, int]]:
    """The mapping in `path` and the line (1-based) of every key path in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist. Check the path (it is relative to {Path.cwd()})."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}.") from None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise ConfigError(_describe_yaml_error(path, error)) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} should hold a mapping of keys (data:, model:, loss:, ...), "
            f"but it holds {type(data).__name__ if data is not None else 'nothing'}."
        )
    lines: dict[tuple, int] = {}
    _record_lines(path, node, (), lines)
    return data, lines


def _describe_yaml_error(path: Path, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or str(error)
    return f"config file {path}{where} is not valid YAML: {problem}. Check the indentation and the colons on that line."


def _record_lines(path: Path, node, prefix: tuple, lines: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(map(str, prefix + (key,)))
                raise ConfigError(
                    f"config file {path}, line {line}: key {dotted} appears twice; keep one of them."
                )
            seen.add(key)
            lines[prefix + (key,)] = line
            _record_lines(path, value_node, prefix + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[prefix + (index,)] = item.start_mark.line + 1
            _record_lines(path, item, prefix + (index,), lines)

"""YAML read with a safe loader, remembering the line of every key so errors can point at it.

A config is data from anywhere, so it is bounded before it is used: a file over MAX_BYTES is not
read, and a document whose nodes, every alias expanded, pass MAX_NODES (a "billion laughs" of nested
aliases) or nest deeper than MAX_DEPTH is refused before it is built.
"""

import re
from pathlib import Path

import yaml

from trainer.errors import ConfigError

MAX_BYTES = 1 << 20  # a config of a hundred lines is a few KiB
MAX_NODES = 100_000  # values in the document with every alias expanded
MAX_DEPTH = 64  # levels of nesting


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `1e-3` as a float (YAML 1.2), as a user writing a learning rate means it."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def parse_value(text: str):
    """A command-line value parsed as YAML: `0.1` is a float, `true` a bool, `[64, 32]` a list."""
    return _parse(text, f'the value "{text[:40]}"')[0]


def _parse(text: str, what: str) -> tuple[object, yaml.Node | None]:
    """(the data, its node) of a YAML document, refused with a ConfigError when it is too large."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        _check_bounds(node, what)
        return (loader.construct_document(node) if node is not None else None), node
    except RecursionError:
        raise ConfigError(f"{what} nests too deeply to be read; a config nests a few levels.") from None
    finally:
        loader.dispose()


def _check_bounds(root: yaml.Node | None, what: str) -> None:
    """Count the document's nodes as construction would build them (an alias as often as it is used),
    stopping at the bounds, so that this count costs at most MAX_NODES steps."""
    stack, count = [(root, 1)] if root is not None else [], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise ConfigError(
                f"{what} is too large: more than {MAX_DEPTH} levels of nesting or {MAX_NODES:,} values once its "
                f"aliases (*name) are expanded. A config is a few dozen values; remove the repeated aliases."
            )
        if isinstance(node, yaml.MappingNode):
            stack += [(child, depth + 1) for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(child, depth + 1) for child in node.value]


def load_yaml(path: Path) -> tuple[dict, dict[tuple, int]]:
    """The mapping in `path` and the line (1-based) of every key path in it."""
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_BYTES + 1)  # not more, whatever the file (a device never ends)
        if len(content) > MAX_BYTES:
            raise ConfigError(
                f"config file {path} is larger than {MAX_BYTES // 1024} KiB; a config is a few KiB of YAML."
            )
        text = content.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist. Check the path (it is relative to {Path.cwd()})."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}.") from None
    return yaml_mapping(text, f"config file {path}")


def yaml_mapping(text: str, what: str) -> tuple[dict, dict[tuple, int]]:
    """The mapping in the YAML `text` and the line (1-based) of every key path in it; `what` names
    the text in messages ("config file x.yaml", "the YAML text")."""
    try:
        data, node = _parse(text, what)
    except yaml.YAMLError as error:
        raise ConfigError(_describe_yaml_error(what, error)) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{what} should hold a mapping of keys (data:, model:, loss:, ...), "
            f"but it holds {type(data).__name__ if data is not None else 'nothing'}."
        )
    lines: dict[tuple, int] = {}
    _record_lines(what, node, (), lines)
    return data, lines


def _describe_yaml_error(what: str, error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or str(error)
    return f"{what}{where} is not valid YAML: {problem}. Check the indentation and the colons on that line."


def _record_lines(what: str, node, prefix: tuple, lines: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(map(str, prefix + (key,)))
                raise ConfigError(f"{what}, line {line}: key {dotted} appears twice; keep one of them.")
            seen.add(key)
            lines[prefix + (key,)] = line
            _record_lines(what, value_node, prefix + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[prefix + (index,)] = item.start_mark.line + 1
            _record_lines(what, item, prefix + (index,), lines)

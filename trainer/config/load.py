"""Config: a YAML file plus `key=value` overrides -> one validated, typed `Config`.

Every component block (data, model, loss, optimizer, schedule) is checked against the signature
of the registered entry it names (or of the user's own class it points to), so the schema is the
code. Every error names the key, the bad value, what is allowed, and where it stands (file and
line, or the command-line override).
"""

import copy
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import GenericAlias
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from trainer import usercode
from trainer.config.messages import describe_issue, join_problems
from trainer.config.schema import COMPONENTS, Config, Locations, RunConfig
from trainer.config.yamlfile import load_yaml, parse_value, yaml_mapping
from trainer.errors import ConfigError, did_you_mean
from trainer.registry import Registry

# What a config may be given as: a file's path, YAML text, a dict of its keys, or a Config already read.
ConfigSource = str | Path | dict | RunConfig
# Overrides: `key=value` texts (the value read as YAML), or a dict of dotted keys and their values.
Overrides = Sequence[str] | Mapping[str, Any]


def load_config(source: ConfigSource, overrides: Overrides = (), *, from_python: bool = False) -> Config:
    """Read, override and validate a training config. Raises ConfigError with a message for the user,
    which calls the overrides config keys when they came `from_python`, else command-line overrides."""
    if isinstance(source, Config) and not overrides:
        return source
    # the sweep block is read by trainer.sweeps.space; a single run ignores it
    config = load_validated(
        source,
        overrides,
        Config,
        COMPONENTS,
        ignore=("sweep",),
        from_python=from_python,
        other_command=DESCENT_KEYS,
    )
    problems = _unlogged_monitors(config, config._locations)
    if problems:
        raise ConfigError(join_problems(config._locations, problems))
    return config


def load_validated(
    source: ConfigSource,
    overrides: Overrides,
    schema: type[RunConfig],
    components: dict[str, Registry],
    component_lists: dict[str, Registry] | None = None,
    ignore: tuple[str, ...] = (),
    from_python: bool = False,
    other_command: tuple[frozenset[str], str] | None = None,
):
    """Read `source`, apply the overrides and validate it against `schema`, whose keys named in
    `components` are each a component of that registry, and in `component_lists` a list of them;
    top-level keys in `ignore` are left out. `other_command` is (the top-level keys only another
    command's configs have, that command), to point a config given to the wrong command to it."""
    raw, locations, base_dir, path = _read(source, from_python)
    for key in ignore:
        raw.pop(key, None)
    if other_command:
        _refuse_other_commands_config(path, raw, *other_command)
    for key, value, shown in _overrides(overrides, locations):
        _apply_override(raw, key, value, shown, locations, components)
    _drop_replaced_alternatives(raw, locations, schema)
    raw.setdefault("name", _name_from_file(path) if path else "run")
    config = _validate(raw, locations, base_dir, schema, components, component_lists or {})
    config._source = path
    config._locations = locations
    return config


# the top-level keys of each kind of config that the other kind lacks, and the command that runs it
DESCENT_KEYS = (frozenset({"function", "expression", "start", "compare", "steps"}), "descend")
TRAINING_KEYS = (frozenset({"data", "model", "loss", "trainer", "metrics"}), "train")


def _refuse_other_commands_config(path: Path | None, raw: dict, keys: frozenset[str], command: str) -> None:
    """A descent config given to train (or the reverse) is one clear sentence, not a list of every
    key; a single such key is more likely a slip, reported as an unknown key."""
    foreign = sorted(keys & raw.keys())
    if len(foreign) >= 2:
        named = f" {path}" if path else ""
        raise ConfigError(
            f"config{named} is a config for `mgtrain {command}` (it has {', '.join(foreign)}), not for this "
            f"command: run it with `mgtrain {command}{named}` (or python scripts/{command}.py)."
        )


def _name_from_file(path: Path) -> str:
    """The run's name when the config gives none: the file's name made fit for a folder
    (`my config.yaml` -> my_config), since the user never wrote a name to be refused."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._-")[:64]
    return name or "run"


def _drop_replaced_alternatives(raw: dict, locations: Locations, schema) -> None:
    """An override that sets one of a set of alternative keys (`expression=` where the file says
    `function:`) replaces the others the file sets, so the user need not write `function=null` too."""
    overridden = {keys[0] for keys in locations.overrides}
    for group in schema.ALTERNATIVES:
        if group & overridden:
            for key in group - overridden:
                raw.pop(key, None)


def raw_config(source: ConfigSource, overrides: Overrides = ()) -> dict:
    """The config's keys as read and overridden, not validated (trainer.Estimator lists them)."""
    raw, locations, _, _ = _read(source, from_python=True)
    for key, value, shown in _overrides(overrides, locations):
        _apply_override(raw, key, value, shown, locations, COMPONENTS)
    return raw


def _read(source: ConfigSource, from_python: bool) -> tuple[dict, Locations, Path, Path | None]:
    """(the raw mapping, where its keys stand, the folder its relative paths start from, its file)."""
    if isinstance(source, RunConfig):  # overridden: its paths are absolute already
        return source.to_dict(), Locations(f"the config {source.name}", {}, from_python), Path.cwd(), None
    if isinstance(source, dict):
        return (
            _code_named(copy.deepcopy(source)),
            Locations("the config dict", {}, from_python),
            Path.cwd(),
            None,
        )
    if isinstance(source, str) and ("\n" in source or ": " in source or source.lstrip().startswith("{")):
        raw, lines = yaml_mapping(source, "the YAML text")
        return raw, Locations("the YAML text", lines, from_python), Path.cwd(), None
    if not isinstance(source, (str, Path)):
        raise ConfigError(
            f"a config is a file's path, YAML text, a dict of its keys or a Config; got {type(source).__name__}."
        )
    path = Path(source)
    raw, lines = load_yaml(path)
    return raw, Locations(path, lines, from_python), path.resolve().parent, path


def _code_named(raw: dict) -> dict:
    """A dict may give a component as the class or function itself (a model defined in a notebook):
    it is named `module:Name` and its module allowed, as a config file would have to."""
    for key in COMPONENTS:
        block = raw.get(key)
        code = block.get("type") if isinstance(block, dict) else block
        if callable(code) and hasattr(code, "__qualname__"):
            name = f"{code.__module__}:{code.__qualname__}"
            raw[key] = {**block, "type": name} if isinstance(block, dict) else name
            raw["allow_modules"] = [*raw.get("allow_modules", []), code.__module__.split(".")[0]]
    return raw


def _overrides(overrides: Overrides, locations: Locations) -> list[tuple[str, Any, str]]:
    """(dotted key, value, how a message shows it) of each override."""
    if isinstance(overrides, Mapping):
        return [(str(key), value, f"{key}={value!r}") for key, value in overrides.items()]
    if isinstance(overrides, str):  # a single "a.b=1" would otherwise be read letter by letter
        overrides = [overrides]
    found = []
    for text in overrides:
        key, sep, value = str(text).partition("=")
        if not sep or not all(key.strip().split(".")):
            raise ConfigError(
                f'{locations.override_label} "{text}" should look like key=value with a dotted key, '
                f"for example optimizer.lr=0.05 or trainer.epochs=5."
            )
        try:
            found.append((key.strip(), parse_value(value), f'"{text}"'))
        except yaml.YAMLError as error:
            raise ConfigError(
                f'the value in {locations.override_label} "{text}" cannot be read as YAML ({getattr(error, "problem", error)}); '
                f"write a number, true/false, a list like [1, 2], or quote text: {key}='\"{value}\"'."
            ) from None
    return found


def _apply_override(
    raw: dict, key: str, value: Any, shown: str, locations: Locations, components: dict[str, Registry]
) -> None:
    keys = tuple(key.split("."))
    if not all(keys):
        raise ConfigError(
            f"{locations.override_label} {shown}: {key!r} is not a dotted key like optimizer.lr."
        )
    node = raw
    for depth, part in enumerate(keys[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif isinstance(child, str) and ".".join(keys[: depth + 1]) in components:
            child = node[part] = {"type": child}  # `model: linear` written as a mapping to set an option
        elif not isinstance(child, dict):
            dotted = ".".join(keys[: depth + 1])
            raise ConfigError(
                f"{locations.override_label} {shown} cannot set {key}: {dotted} is {child!r}, not a mapping of keys."
            )
        node = child
    node[keys[-1]] = value
    locations.overrides[keys] = shown


def _validate(
    raw: dict, locations: Locations, base_dir: Path, base: type[RunConfig], components, component_lists
) -> RunConfig:
    problems: list[str] = []
    schemas = {}
    signatures = {}  # by the component's key path: of the users' own classes, for messages about their options
    allowed = raw.get("allow_modules") if isinstance(raw.get("allow_modules"), list) else []

    def component(loc: tuple, block, registry: Registry):
        block, schema = _component(loc, block, registry, locations, problems, base_dir, allowed)
        if schema is not Any and usercode.is_external(block["type"]):
            provided = (
                f"; the framework supplies {', '.join(registry.provided)} itself."
                if registry.provided
                else "."
            )
            signatures[loc] = (
                f" The signature is {usercode.describe_signature(registry.get(block['type']))}{provided}"
            )
        return block, schema

    for key, registry in components.items():
        if raw.get(key) is None:
            continue  # reported as missing by the validation below, or optional
        raw[key], schemas[key] = component((key,), raw[key], registry)
    for key, registry in component_lists.items():
        if isinstance(raw.get(key), list):  # validated as a tuple with one schema per item
            items = [component((key, index), item, registry) for index, item in enumerate(raw[key])]
            raw[key] = tuple(block for block, _ in items)
            schemas[key] = GenericAlias(tuple, tuple(schema for _, schema in items))  # tuple[s0, s1, ...]
    schema = _config_schema(base, tuple(schemas.items()))
    try:
        config = schema.model_validate(raw, context={"base_dir": base_dir})
    except pydantic.ValidationError as error:
        if _whole_floats_to_ints(raw, error.errors()):  # `epochs: 1e3` means 1000: read it so, once
            return _validate(raw, locations, base_dir, base, components, component_lists)
        problems += [describe_issue(schema, issue, locations, signatures) for issue in error.errors()]
    if problems:  # (a component with an unknown type was validated as Any, so its problem is only here)
        raise ConfigError(join_problems(locations, problems))
    return config


def _whole_floats_to_ints(raw: dict, issues: list[ErrorDetails]) -> bool:
    """Replace in `raw` each whole float (1e3, 5.0) given where an integer is expected by that integer;
    False when there was none (so a second validation is only ever tried once)."""
    changed = False
    for issue in issues:
        value = issue.get("input")
        if issue["type"] != "int_type" or not isinstance(value, float) or not value.is_integer():
            continue
        parent, key, node = None, None, raw
        for part in issue["loc"]:  # the loc may end in a tag of a union's member (`int`): stop at the value
            if node is value:
                break
            parent, key, node = node, part, _item(node, part)
        if node is value and isinstance(parent, dict | list):
            parent[key] = int(value)
            changed = True
    return changed


def _item(node, part):
    """node[part] for a mapping or a sequence, None when there is no such item."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _unlogged_monitors(config: Config, locations: Locations) -> list[str]:
    logged = config.epoch_log_keys()
    keys = [("trainer", "monitor"), ("trainer", "early_stopping", "monitor")]
    early = config.trainer.early_stopping
    values = [config.trainer.monitor, early.monitor if early else None]
    return [
        f"{locations.describe(key)}: {'.'.join(key)} = {value!r} is not logged every epoch.{did_you_mean(value, logged)} "
        f"It can be one of: {', '.join(logged)}."
        for key, value in zip(keys, values)
        if value is not None and value not in logged
    ]


@functools.cache
def _config_schema(base: type[RunConfig], components: tuple) -> type[RunConfig]:
    """`base` with each component's field typed by the schema of the entry it names."""
    fields: dict[str, Any] = {key: (schema, ...) for key, schema in components}
    return pydantic.create_model(base.__name__, __base__=base, **fields)


def _component(
    loc: tuple,
    block,
    registry: Registry,
    locations: Locations,
    problems: list[str],
    base_dir: Path,
    allowed_modules,
):
    """Normalize `name` or {type: name, ...} and find the schema for its options; a module of an
    installed package must be in `allowed_modules`."""
    if isinstance(block, str):
        block = {"type": block}
    if isinstance(block, dict) and isinstance(block.get("type"), str) and usercode.is_external(block["type"]):
        block["type"] = usercode.absolute_type(block["type"], base_dir)
        try:
            usercode.check_allowed(block["type"], allowed_modules)
        except ConfigError as error:
            problems.append(f"{locations.describe(loc + ('type',))}: {'.'.join(map(str, loc))}.type: {error}")
            return block, Any
    key = ".".join(map(str, loc))
    known = ", ".join(registry.names())
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        problems.append(
            f"{locations.describe(loc)}: {key} should name a {registry.kind} ({known}), "
            f"either as `{key}: NAME` or as a mapping with `type: NAME` and its options."
        )
        return block, Any
    try:
        return block, registry.schema(block["type"])
    except ConfigError as error:
        problems.append(f"{locations.describe(loc + ('type',))}: {key}.type: {error}")
        return block, Any

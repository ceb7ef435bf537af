"""What a sweep asks for, and the trials it expands to.

    --grid optimizer.lr=0.001,0.01,0.1          every combination of the listed values
    --random optimizer.lr=loguniform:1e-4:1e-1  a value drawn per trial (uniform, loguniform, choice)
    --trials 20 --seed 0                        how many draws, from which seeded generator

The same can stand in the config's `sweep:` block (a flag replaces the block's entry for its key):

    sweep:
      grid: {optimizer.lr: [0.001, 0.01, 0.1], trainer.batch_size: [16, 64]}
      random: {optimizer.lr: "loguniform:1e-4:1e-1"}
      trials: 20
      seed: 0

With both, each of the `trials` repetitions runs the whole grid with fresh random draws.
"""

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from trainer.config.yamlfile import load_yaml, parse_value
from trainer.errors import ConfigError, UserError, did_you_mean

MAX_ID_LENGTH = 99  # folder names stay under 100 characters


@dataclass(frozen=True)
class Distribution:
    """Where a random value comes from: `uniform:LOW:HIGH`, `loguniform:LOW:HIGH` or `choice:A,B,...`."""

    text: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    choices: tuple = ()

    def sample(self, rng: np.random.Generator):
        if self.kind == "uniform":
            return float(rng.uniform(self.low, self.high))
        if self.kind == "loguniform":
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return self.choices[int(rng.integers(len(self.choices)))]


KINDS = ("uniform", "loguniform", "choice")


@dataclass
class Space:
    """The swept keys (dotted paths) and their values or distributions."""

    grid: dict[str, list] = field(default_factory=dict)
    random: dict[str, Distribution] = field(default_factory=dict)
    trials: int | None = None  # random draws (repetitions of the grid)
    seed: int = 0

    def keys(self) -> list[str]:
        return [*self.grid, *self.random]

    def to_dict(self) -> dict:
        """As in a `sweep:` block, for sweep.yaml."""
        random = {key: dist.text for key, dist in self.random.items()}
        return {"grid": self.grid, "random": random, "trials": self.trials, "seed": self.seed}


@dataclass(frozen=True)
class Trial:
    index: int
    id: str  # the folder name, e.g. 003-lr=0.1-batch_size=16
    values: dict[str, Any]  # swept dotted key -> value

    def overrides(self) -> list[str]:
        """`key=value` overrides for the config loader; JSON text is YAML that reads back to the same value."""
        return [f"{key}={json.dumps(value)}" for key, value in self.values.items()]

    def label(self) -> str:
        """'lr=0.1, batch_size=16', for a plot legend."""
        return ", ".join(
            f"{name}={_short(value)}" for name, value in zip(short_names(self.values), self.values.values())
        )


def read_space(
    config_path: Path, grid_flags=(), random_flags=(), trials: int | None = None, seed: int | None = None
) -> Space:
    """The config's `sweep:` block with the command-line flags on top; raises UserError on bad input."""
    raw, lines = load_yaml(Path(config_path))
    space = _space_from_block(raw.get("sweep"), config_path, lines)
    flags = [parse_grid_flag(text) for text in grid_flags] + [
        parse_random_flag(text) for text in random_flags
    ]
    keys = [key for key, _ in flags]
    for key in keys:
        if keys.count(key) > 1:
            raise UserError(f"{key} is swept by more than one --grid or --random flag; keep one of them.")
    for key, values in flags:
        space.grid.pop(key, None)
        space.random.pop(key, None)
        (space.random if isinstance(values, Distribution) else space.grid)[key] = values
    if trials is not None:
        space.trials = trials
    if seed is not None:
        space.seed = seed
    _check(space)
    return space


def parse_grid_flag(text: str) -> tuple[str, list]:
    key, values = _split_flag(text, "--grid", "optimizer.lr=0.01,0.1,1")
    return key, _parse_list(values, f'--grid "{text}"')


def parse_random_flag(text: str) -> tuple[str, Distribution]:
    key, dist = _split_flag(text, "--random", "optimizer.lr=loguniform:1e-4:1e-1")
    return key, parse_distribution(dist, f'--random "{text}"')


def parse_distribution(text, where: str) -> Distribution:
    example = "uniform:0.1:0.9, loguniform:1e-4:1e-1 or choice:16,32,64"
    kind, _, rest = str(text).partition(":")
    if kind not in KINDS:
        raise UserError(
            f'{where}: "{kind}" is not a distribution.{did_you_mean(kind, KINDS)} Write one of {example}.'
        )
    if kind == "choice":
        return Distribution(str(text), kind, choices=tuple(_parse_list(rest, where)))
    bounds = rest.split(":")
    numbers = [parse_value(bound) for bound in bounds]
    if len(bounds) != 2 or not all(
        isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in numbers
    ):
        raise UserError(
            f"{where}: {kind} takes two numbers, LOW and HIGH, as in {kind}:{'1e-4:1e-1' if kind == 'loguniform' else '0.1:0.9'}."
        )
    low, high = numbers
    if not low < high:
        raise UserError(f"{where}: LOW must be below HIGH, but {low} >= {high}.")
    if kind == "loguniform" and low <= 0:
        raise UserError(f"{where}: loguniform draws the logarithm uniformly, so LOW must be > 0, not {low}.")
    return Distribution(str(text), kind, float(low), float(high))


def expand(space: Space) -> list[Trial]:
    """Every grid point, repeated `trials` times with fresh random draws; seeded, so the same every time."""
    points = [dict(zip(space.grid, combination)) for combination in itertools.product(*space.grid.values())]
    rng = np.random.default_rng(space.seed)
    values = [
        {**point, **{key: dist.sample(rng) for key, dist in space.random.items()}}
        for _ in range(space.trials or 1)
        for point in points
    ]
    width = max(3, len(str(len(values) - 1)))
    return [Trial(index, trial_id(index, width, chosen), chosen) for index, chosen in enumerate(values)]


def trial_id(index: int, width: int, values: dict) -> str:
    """'003-lr=0.1-batch_size=16': only letters, digits and . _ = + -, so safe on every file system."""
    parts = [f"{index:0{width}d}"] + [
        f"{name}={_short(value)}" for name, value in zip(short_names(values), values.values())
    ]
    text = re.sub(r"[^A-Za-z0-9._=+-]+", "_", "-".join(parts))
    return text[:MAX_ID_LENGTH].rstrip("._")  # the index at the front keeps truncated ids unique


def short_names(values: dict) -> list[str]:
    """The last part of each dotted key (lr), or the whole key where two last parts would clash."""
    last = [key.rsplit(".", 1)[-1] for key in values]
    return [name if last.count(name) == 1 else key for name, key in zip(last, values)]


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _split_flag(text: str, flag: str, example: str) -> tuple[str, str]:
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(key.split(".")):
        raise UserError(
            f'{flag} "{text}" should look like KEY=VALUES with a dotted key, for example {flag} {example}.'
        )
    return key, rest


def _parse_list(text: str, where: str) -> list:
    """'0.1,1e-2,[64,32]' -> [0.1, 0.01, [64, 32]]: split at commas outside brackets, each item read as YAML."""
    items, depth, start = [], 0, 0
    for position, char in enumerate(text + ","):
        depth += (char in "[{") - (char in "]}")
        if char == "," and depth == 0:
            items.append(text[start:position].strip())
            start = position + 1
    if not text.strip():
        raise UserError(
            f"{where}: no values are listed; give one or more, separated by commas, e.g. 0.01,0.1."
        )
    if depth != 0:
        raise UserError(f"{where}: the brackets in {text} do not balance; write a list value as [64,32].")
    if "" in items:
        raise UserError(
            f"{where}: value number {items.index('') + 1} is empty; separate the values by single commas, e.g. 0.01,0.1."
        )
    try:
        return [parse_value(item) for item in items]
    except yaml.YAMLError as error:  # a value such as {a: or "unclosed
        raise UserError(f"{where}: cannot read the values as YAML ({str(error).splitlines()[0]}).") from None


def _space_from_block(block, path, lines: dict) -> Space:
    """The `sweep:` block of a config file, or an empty Space when there is none."""
    if block is None:
        return Space()

    def where(*key) -> str:
        return f"{path}, line {lines.get(('sweep', *key), lines.get(('sweep',), '?'))}: sweep.{'.'.join(map(str, key))}"

    allowed = ("grid", "random", "trials", "seed")
    if not isinstance(block, dict):
        raise ConfigError(
            f"{path}, line {lines.get(('sweep',))}: sweep should be a mapping with the keys {', '.join(allowed)}."
        )
    for key in block:
        if key not in allowed:
            raise ConfigError(
                f"{where(key)}: unknown key.{did_you_mean(key, allowed)} The keys allowed there are: {', '.join(allowed)}."
            )
    space = Space(trials=block.get("trials"), seed=block.get("seed", 0))
    for name in ("grid", "random"):
        if not isinstance(block.get(name, {}), dict):
            raise ConfigError(f"{where(name)} should be a mapping of dotted keys, e.g. optimizer.lr.")
    for key, values in block.get("grid", {}).items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where('grid', key)} should be a non-empty list of values, e.g. [0.01, 0.1].")
        space.grid[str(key)] = values
    for key, text in block.get("random", {}).items():
        space.random[str(key)] = parse_distribution(text, where("random", key))
    return space


def _check(space: Space) -> None:
    if not space.keys():
        raise UserError(
            "nothing to sweep: give --grid KEY=V1,V2,... or --random KEY=DISTRIBUTION (or a sweep: block in the config)."
        )
    if space.random and space.trials is None:
        raise UserError("--random draws values per trial: say how many trials with --trials N.")
    if space.trials is not None and not space.random:
        raise UserError(
            "--trials counts random draws, but nothing is drawn: add --random KEY=DISTRIBUTION, or drop --trials."
        )
    for name, value, low in (("trials", space.trials, 1), ("seed", space.seed, 0)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
            raise UserError(f"the sweep's {name} should be a whole number >= {low}, not {value!r}.")

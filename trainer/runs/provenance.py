"""What makes a run repeatable: hashes of its config and data, and the environment it ran in."""

import hashlib
import json
import platform
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from trainer.config.dotted import flatten
from trainer.files import write_json

# Keys that may change when a run is resumed: they do not change what the finished steps computed.
RESUMABLE_KEYS = {"trainer.epochs", "trainer.checkpoint_every"}

PACKAGES = ("numpy", "mygrad", "scikit-learn", "pydantic", "PyYAML", "tqdm", "matplotlib")


def config_hash(config) -> str:
    """SHA-256 of the resolved config, leaving out the keys that may change on resume."""
    kept = {key: value for key, value in flatten(config.to_dict()).items() if key not in RESUMABLE_KEYS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def data_hash(splits, chunk: int = 16384) -> str:
    """SHA-256 of the train, validation and test arrays as the model sees them, read in chunks of
    rows (the same bytes as the whole array's; a memory-mapped split is never read all at once)."""
    digest = hashlib.sha256()
    for part in (splits.train, splits.val, splits.test):
        for array in part or ():
            digest.update(f"{array.dtype}{array.shape}".encode())
            for start in range(0, len(array), chunk):
                digest.update(np.ascontiguousarray(array[start : start + chunk]).tobytes())
    return digest.hexdigest()


def config_differences(old: dict, new: dict) -> list[str]:
    """'key: old -> new' for every key of two configs (as `Config.to_dict()`) that differs, other than
    those that may change on resume."""
    old, new = flatten(old), flatten(new)
    return [
        f"{key}: {old.get(key)!r} -> {new.get(key)!r}"
        for key in sorted(old.keys() | new.keys())
        if key not in RESUMABLE_KEYS and old.get(key) != new.get(key)
    ]


def record_environment(path: Path, config, hashes: dict, resumed: bool) -> None:
    """environment.json: versions, seed, command line, hashes and git commit; a resume adds an entry."""
    entry = {
        "started": datetime.now().isoformat(timespec="seconds"),
        "command": sys.argv,
        "python": sys.version,
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "git_commit": _git_commit(),
        "seed": config.seed,
        **hashes,
    }
    record = entry
    if resumed and path.exists():
        try:
            earlier = json.loads(path.read_text())
            if not isinstance(earlier, dict):
                raise ValueError("it is not a JSON object")
            record = earlier
            record.setdefault("resumes", []).append(entry)
        except (OSError, ValueError) as error:  # (JSONDecodeError and UnicodeDecodeError are ValueErrors)
            print(
                f"warning: {path} cannot be read ({error}); a new record of this resume replaces it.",
                file=sys.stderr,
            )
    write_json(path, record)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The commit of the trainer's own source tree, with '-dirty' for uncommitted changes; None outside git."""
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None

"""Students' own code in a config: `type: path/to/file.py:Name` or `type: package.module:Name`.

A file path is relative to the config file; `absolute_type` rewrites it to an absolute path, so the
run folder's config.yaml works from anywhere. A file is imported once per process.
"""

import importlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path

from trainer.errors import ConfigError, did_you_mean

_modules: dict[str, object] = {}


def is_external(type_name: str) -> bool:
    return ":" in type_name


def _is_file(source: str) -> bool:
    return source.endswith(".py") or "/" in source or "\\" in source


def absolute_type(type_name: str, base_dir: Path) -> str:
    """'model.py:Net' -> '/abs/folder/model.py:Net' (relative to the config's folder); modules unchanged."""
    source, _, name = type_name.rpartition(":")
    if not _is_file(source):
        return type_name
    path = Path(source)
    return f"{(path if path.is_absolute() else base_dir / path).resolve()}:{name}"


def load(type_name: str):
    """The object `Name` in the file or module, with a message that says what to fix when it is not there."""
    source, _, name = type_name.rpartition(":")
    if not source or not name.isidentifier():
        raise ConfigError(
            f'"{type_name}" should look like path/to/file.py:Name or package.module:Name, '
            f"with Name the class or function to use."
        )
    module = _import_file(source) if _is_file(source) else _import_module(source)
    if not hasattr(module, name):
        defined = [
            key
            for key, value in vars(module).items()
            if not key.startswith("_")
            and callable(value)
            and getattr(value, "__module__", None) == module.__name__
        ]
        raise ConfigError(
            f'{source} has no "{name}".{did_you_mean(name, defined)} '
            f"It defines: {', '.join(defined) or 'no classes or functions'}."
        )
    return getattr(module, name)


def _import_file(source: str):
    path = Path(source)
    if not path.is_file():
        raise ConfigError(
            f"file {path} does not exist (a relative path is read from the config file's folder)."
        )
    key = str(path)
    if key not in _modules:
        spec = importlib.util.spec_from_file_location(f"students_code_{len(_modules)}_{path.stem}", path)
        if spec is None or spec.loader is None:  # Python imports only files named *.py
            raise ConfigError(f"file {path} cannot be imported: a Python file's name ends in .py.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and pickling look a class's module up there
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise ConfigError(f"importing {path} failed: {_where_in(path, error)}") from None
        _modules[key] = module
    return _modules[key]


def _import_module(source: str):
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as error:
        raise ConfigError(
            f"there is no Python module {source} ({error}). A file needs its path and .py, like path/to/{source.split('.')[-1]}.py:Name."
        ) from None


def _where_in(path: Path, error: Exception) -> str:
    """'line 7: NameError: name 'np' is not defined': the line in the student's file, not ours."""
    if isinstance(error, SyntaxError):
        return f"line {error.lineno}: SyntaxError: {error.msg}."
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename) == path]
    line = f"line {frames[-1].lineno}: " if frames else ""
    return f"{line}{type(error).__name__}: {error}."


def describe_signature(factory) -> str:
    """'Net(hidden: int = 32)', for messages about the options a config block may set."""
    try:
        return f"{getattr(factory, '__name__', 'it')}{inspect.signature(factory)}"
    except (TypeError, ValueError):
        return getattr(factory, "__name__", repr(factory))

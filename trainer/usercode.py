"""Students' own code in a config: `type: path/to/file.py:Name` or `type: package.module:Name`.

A config is data, and names only code it was meant to: a `.py` file of the user's (whose code then
runs: naming a file in a config runs it, like `python file.py`), or a module of an installed package
that the config lists under `allow_modules:` (such as mygrad or mynn). Modules that reach the
operating system (os, subprocess, shutil, ...) are never importable, listed or not, and neither are
files of the Python installation. What is named must be a class or a function.

A file path is relative to the config file; `absolute_type` rewrites it to an absolute path, so the
run folder's config.yaml works from anywhere. A file is imported again when its content changed
since it was last imported in this process (a notebook user edits it and trains again), and not
otherwise (two runs of one config share the module, and its classes stay the same objects).
"""

import hashlib
import importlib
import importlib.util
import inspect
import itertools
import re
import sys
import sysconfig
import traceback
from pathlib import Path
from types import ModuleType

from trainer.errors import ConfigError, did_you_mean

_modules: dict[str, tuple[bytes, ModuleType]] = {}  # by the file's path: (its content's digest, its module)
_module_numbers = itertools.count()  # every import of a file gets a module name of its own


# Modules that run commands, touch files, open connections or load code: never named by a config.
NEVER_IMPORTED = frozenset(
    "os posix nt sys subprocess shutil builtins importlib ctypes socket pathlib io pickle marshal shelve "
    "runpy multiprocessing threading signal code codeop pty tempfile glob webbrowser urllib http ftplib "
    "smtplib asyncio concurrent sqlite3 zipfile tarfile pdb inspect gc atexit site sysconfig "
    "setuptools pip trainer".split()
)
LIBRARY_FOLDERS = {
    Path(sysconfig.get_path(kind)).resolve() for kind in ("stdlib", "platstdlib", "purelib", "platlib")
}
# ... and those of any other Python on the machine: .../lib/python3.11/..., site-packages, dist-packages
LIBRARY_PATH = re.compile(
    r"[/\\](lib(64)?[/\\]python\d+(\.\d+)?|site-packages|dist-packages)([/\\]|$)", re.IGNORECASE
)


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


def check_allowed(type_name: str, allowed_modules) -> None:
    """Refuse `package.module:Name` unless its package is in `allowed_modules` (the config's
    `allow_modules:`); a file of the user's needs no listing."""
    source = type_name.rpartition(":")[0]
    if not source or _is_file(source):
        return
    package = source.split(".")[0]
    _refuse_never_imported(package)
    if package not in allowed_modules:
        raise ConfigError(
            f'"{type_name}" names code in the installed module {source}, which a config may use only when it '
            f"says so: add `allow_modules: [{package}]` to the config (or allow_modules=[{package}] on the command "
            f"line). Your own code is named by its file: path/to/file.py:Name."
        )


def _refuse_never_imported(package: str) -> None:
    if package in NEVER_IMPORTED:
        what = (
            "the framework itself: name its components by their registered names"
            if package == "trainer"
            else ("it can run commands or change files")
        )
        raise ConfigError(f"a config can never name code in the module {package}: {what}.")


def load(type_name: str):
    """The object `Name` in the file or module, with a message that says what to fix when it is not there."""
    source, _, name = type_name.rpartition(":")
    if not source or not name.isidentifier():
        raise ConfigError(
            f'"{type_name}" should look like path/to/file.py:Name or package.module:Name, '
            f"with Name the class or function to use."
        )
    if not _is_file(source):
        _refuse_never_imported(source.split(".")[0])
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
    resolved = path.resolve()
    if any(resolved.is_relative_to(folder) for folder in LIBRARY_FOLDERS) or LIBRARY_PATH.search(
        str(resolved)
    ):
        raise ConfigError(
            f"file {path} belongs to the Python installation, not to you; a config names your own .py files "
            f"(or a listed module, see allow_modules)."
        )
    key = str(path.resolve())
    digest = hashlib.sha256(path.read_bytes()).digest()
    if key in _modules and _modules[key][0] == digest:
        return _modules[key][1]
    spec = importlib.util.spec_from_file_location(f"students_code_{next(_module_numbers)}_{path.stem}", path)
    if spec is None or spec.loader is None:  # Python imports only files named *.py
        raise ConfigError(f"file {path} cannot be imported: a Python file's name ends in .py.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look a class's module up there
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # sys.exit() at import must not end the program
        del sys.modules[spec.name]
        raise ConfigError(f"importing {path} failed: {_where_in(path, error)}") from None
    if key in _modules:  # the file changed: its old module goes
        sys.modules.pop(_modules[key][1].__name__, None)
    _modules[key] = (digest, module)
    return module


def _import_module(source: str):
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as error:
        raise ConfigError(
            f"there is no Python module {source} ({error}). A file needs its path and .py, like path/to/{source.split('.')[-1]}.py:Name."
        ) from None


def _where_in(path: Path, error: BaseException) -> str:
    """'line 7: NameError: name 'np' is not defined': the line in the student's file, not ours."""
    if isinstance(error, SyntaxError):
        return f"line {error.lineno}: SyntaxError: {error.msg}."
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename) == path]
    line = f"line {frames[-1].lineno}: " if frames else ""
    if isinstance(error, SystemExit):
        return f"{line}it calls sys.exit({error.code!r}), which would end the program; leave it out."
    if isinstance(error, MemoryError):
        return f"{line}MemoryError: it needs more memory than there is (or than it may use)."
    return f"{line}{type(error).__name__}: {error}."


def is_students(filename: str) -> bool:
    """Whether a traceback frame's file is a user's .py file that a config named (and usercode imported)."""
    return filename in _modules


def raised_in_students_code(error: BaseException) -> bool:
    return any(is_students(frame.filename) for frame in traceback.extract_tb(error.__traceback__))


# What the framework was doing when it called the user's code, by the module of the calling frame
CALLERS = {
    "checks": "trying your model and loss on the first rows of the training data",
    "registry": "creating your model or loss from the config",
    "loop": "training",
    "gradcheck": "checking your gradients",
    "evaluate": "evaluating the trained model",
}


def explain_students_error(error: BaseException, doing: str | None = None) -> str:
    """A user's code raised while the framework was `doing` something ('calling your model on 4 rows',
    else told by the frame that called the user's code): one paragraph naming the error, then the
    user's own lines with their code, innermost last, and nothing of ours."""
    frames = traceback.extract_tb(error.__traceback__)
    first = next((number for number, frame in enumerate(frames) if is_students(frame.filename)), 0)
    if doing is None:
        caller = frames[first - 1] if first else None
        doing = CALLERS.get(Path(caller.filename).stem, "running it") if caller else "running it"
        doing += f" (`{caller.line}`)" if caller and caller.line else ""
    shown = "\n".join(
        f"  {Path(frame.filename).name}, line {frame.lineno}, in {frame.name}:\n    {frame.line}"
        for frame in frames
        if is_students(frame.filename)
    )
    what = (
        f"called sys.exit({error.code!r}), which would end the program"
        if isinstance(error, SystemExit)
        else f"raised {type(error).__name__}: {error}"
    )
    return f"your code {what}, while the framework was {doing}.\n{shown}"


def describe_signature(factory) -> str:
    """'Net(hidden: int = 32)', for messages about the options a config block may set."""
    try:
        return f"{getattr(factory, '__name__', 'it')}{inspect.signature(factory)}"
    except (TypeError, ValueError):
        return getattr(factory, "__name__", repr(factory))

"""Errors a user can fix. The CLI prints their message (no traceback) and exits with status 2."""

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """Bad input: a config, a file, a command-line argument. The message says what to fix."""


class ConfigError(UserError, ValueError):
    """A config value is missing, unknown, of the wrong type or out of range. A ValueError too, so that
    Python code (scikit-learn's model selection among it) treats a bad parameter as it treats its own."""


def did_you_mean(name: object, choices: Iterable[object]) -> str:
    """' Did you mean "lr"?' when a choice is close to `name`, else ''."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""

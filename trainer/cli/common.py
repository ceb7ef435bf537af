"""What every command of `mgtrain` shares: the exit statuses, the one error handler, and the
argument definitions that several commands take."""

import argparse
import contextlib
import math
import os
import signal
import sys
import threading

from trainer import usercode
from trainer.errors import UserError

# The exit statuses of every command.
EXIT_OK = 0
EXIT_FAILED_CHECK = 1  # an --expect or a gradient check failed, or a sweep trial did not finish
EXIT_BAD_INPUT = 2  # a config, a file or an argument is wrong: one paragraph says what to fix
EXIT_DIVERGED = 3
EXIT_BROKEN_PIPE = 141  # the reader of the output went away (`| head`), as a shell reports SIGPIPE
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM; the printed command resumes the run

EXIT_STATUSES = f"""exit status:
  {EXIT_OK}    done
  {EXIT_FAILED_CHECK}    a check failed: an --expect, a gradient check, a sweep trial
  {EXIT_BAD_INPUT}    bad input (a config, a file, an argument): the message says what to fix
  {EXIT_DIVERGED}    the training diverged
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C, SIGTERM): the printed command continues the run"""


def guarded(command) -> int:
    """Run `command()` and return its exit status: a UserError prints its message alone (no
    traceback), an error or a sys.exit() in the user's own code their lines alone, Ctrl-C or SIGTERM
    a line, and a closed pipe nothing."""
    try:
        with sigterm_as_ctrl_c():
            status = command()
        sys.stdout.flush()  # a pipe closed early fails here, not in the flush at exit (a traceback)
        return status
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # Python would print a traceback when flushing stdout at exit: point it at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (Exception, SystemExit) as error:
        if not usercode.raised_in_students_code(error):
            raise
        print(f"error: {usercode.explain_students_error(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


@contextlib.contextmanager
def sigterm_as_ctrl_c():
    """SIGTERM raises KeyboardInterrupt, as Ctrl-C does: the same message and exit status whenever it
    comes, at start-up too (training catches both itself, to stop after a step and save)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def parser(verb: str, description: str, epilog: str = "") -> argparse.ArgumentParser:
    """The parser of `mgtrain VERB`, its epilog ending with the exit statuses."""
    return argparse.ArgumentParser(
        prog=f"mgtrain {verb}",
        description=description,
        epilog=f"{epilog}\n\n{EXIT_STATUSES}".lstrip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_config(parser: argparse.ArgumentParser, example: str, optional: bool = False) -> None:
    """CONFIG [key=value ...]: a YAML file and overrides of its keys."""
    parser.add_argument(
        "config",
        nargs="?" if optional else None,
        help=f"the YAML config file, e.g. {example}" + (" (optional with --resume)" if optional else ""),
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="change a config key, e.g. optimizer.lr=0.05"
    )


def add_runs_dir(parser, what: str = "run folders") -> None:
    parser.add_argument("--runs-dir", default="runs", help=f"where {what} go (default: runs/)")


def add_no_progress(parser) -> None:
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"should be a whole number >= 1, not {text!r}")
    return int(text)


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"should be a finite number > 0, such as 1e-6, not {text!r}")
    return value


def program(verb: str) -> str:
    """How to run `verb` the way this program was started, for the commands it prints:
    `python scripts/train.py`, `python -m trainer train` or `mgtrain train`."""
    name = sys.argv[0]
    if name.endswith("__main__.py"):
        return f"python -m trainer {verb}"
    return f"python {name}" if name.endswith(".py") else f"mgtrain {verb}"

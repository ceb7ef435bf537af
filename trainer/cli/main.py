"""`mgtrain VERB ...`: one program for every command, one error handler, one table of exit statuses.

`mgtrain CONFIG ...` is short for `mgtrain train CONFIG ...`; `python -m trainer`, `mgtrain-sweep` and
`scripts/*.py` are the same program under other names.
"""

import importlib
import sys
from importlib import metadata

from trainer.cli import common
from trainer.cli.memory import keep_freed_memory

# verb -> (module in trainer.cli with run(argv), what it does); modules are imported on use, so
# `mgtrain --help` stays fast
VERBS = {
    "train": ("train", "train a model from a YAML config (the default verb: mgtrain CONFIG)"),
    "sweep": ("sweep", "train a config many times over a grid or random values, on all cores or Dask"),
    "evaluate": ("evaluate", "score a finished run and write its predictions"),
    "compare": ("compare", "finished runs side by side: a table and their loss curves in compare.png"),
    "descend": ("descend", "gradient descent on a function f(x, y), drawn on its contours"),
    "gradcheck": ("gradcheck", "compare MyGrad's gradients with finite differences"),
    "handout": (
        "handout",
        "write the student bundle of an assignment: starter files, configs, visible checks",
    ),
    "check": ("check", "run an assignment's visible checks on your file"),
    "grade": ("grade", "grade a class's submissions: results.json, feedback, grades.csv, a report"),
    "list": ("listing", "list the registered data sets, models, losses, optimizers, schedules, metrics"),
}
TUNED = {"train", "sweep"}  # verbs that train for long: glibc keeps freed memory for the next step


def usage() -> str:
    verbs = "\n".join(f"  {verb:<10} {text}" for verb, (_, text) in VERBS.items())
    return (
        f"usage: mgtrain VERB [arguments]     (mgtrain VERB --help for its arguments)\n\n"
        f"Train models described by YAML configs, with MyGrad.\n\nverbs:\n{verbs}\n\n"
        f"  mgtrain CONFIG [key=value ...]  is short for  mgtrain train CONFIG [key=value ...]\n"
        f"  mgtrain --version   prints the version\n\n{common.EXIT_STATUSES}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]) or not argv:
        return common.guarded(lambda: print(usage()) or common.EXIT_OK)
    if argv[:1] == ["--version"]:
        return common.guarded(lambda: print(f"mgtrain {metadata.version('trainer')}") or common.EXIT_OK)
    verb = argv[0] if argv[0] in VERBS else "train"
    if verb == argv[0]:
        argv = argv[1:]
    if verb in TUNED:
        keep_freed_memory()
    module = importlib.import_module(f"trainer.cli.{VERBS[verb][0]}")
    return common.guarded(lambda: module.run(argv))


def sweep_alias() -> int:
    """`mgtrain-sweep ...`, the older name of `mgtrain sweep ...`."""
    return main(["sweep", *sys.argv[1:]])

"""trainer: a config-driven training framework on MyGrad.

The package's layers, bottom to top (a module imports only from its own layer's package or below):
    trainer.errors, contracts, registry, usercode, files   the base every layer speaks
    trainer.nn, trainer.optim, trainer.data                 components, each in its registry
    trainer.config                                          YAML -> a validated Config
    trainer.training                                        the loop and its callbacks
    trainer.runs                                            an experiment, its run folder, evaluation
    trainer.sweeps, trainer.teaching                        many runs; the teaching tools
    trainer.cli                                             the command line
This module is the Python API; it imports what it needs on use, so `import trainer` stays light.
"""

from pathlib import Path

from trainer.errors import ConfigError, UserError

__all__ = ["ConfigError", "Estimator", "UserError", "compare", "load_run", "train"]


def train(config=None, overrides=(), *, resume=None, callbacks=(), progress="auto", **options):
    """Train from a config (a file's path, YAML text, a dict or a Config) with `overrides` (`key=value`
    texts or a dict of dotted keys), or continue a run with resume=RUN_DIR; return its Run.

    progress: "auto" (in a notebook a progress bar and a live figure, in a terminal the bar), "bar",
    "plot" or False. Other options: see trainer.runs.run.train. Bad input raises trainer.ConfigError
    (a ValueError) or trainer.UserError, whose message says what to fix."""
    from trainer.config.load import load_config
    from trainer.runs.live import feedback
    from trainer.runs.run import train as run_training

    if config is not None or overrides:  # read here, so that messages call the overrides config keys
        config = load_config(
            Path(resume) / "config.yaml" if config is None else config, overrides, from_python=True
        )
    live, terminal_bar = feedback(progress)
    return run_training(
        config, (), resume=resume, callbacks=[*callbacks, *live], progress=terminal_bar, **options
    )


def load_run(folder, which="best"):
    """A finished run (the same kind of object `train` returns), with the parameters of its best or
    last checkpoint; see trainer.runs.handle.Run."""
    from trainer.runs.handle import open_run

    return open_run(folder, which)


def compare(folders):
    """Run folders side by side (a glob pattern, a folder or a list): a table and an overlay figure;
    see trainer.runs.compare.compare."""
    from trainer.runs.compare import compare as side_by_side

    return side_by_side(folders)


def __getattr__(name: str):
    """trainer.Estimator, imported on first use (it imports scikit-learn)."""
    if name == "Estimator":
        from trainer.runs.estimator import Estimator

        return Estimator
    raise AttributeError(f"module 'trainer' has no attribute {name!r}")

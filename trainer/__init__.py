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


def train(config=None, overrides=(), **options):
    """Train from a config file or Config, or continue a run with resume=RUN_DIR; see trainer.runs.run.train."""
    from trainer.runs.run import train as run_training

    return run_training(config, overrides, **options)


def load_run(folder, which="best"):
    """A finished run's model and data, to predict and evaluate with; see trainer.runs.evaluate.load_run."""
    from trainer.runs.evaluate import load_run as load

    return load(folder, which)

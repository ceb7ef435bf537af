"""trainer: a config-driven training framework on MyGrad."""


def train(config=None, overrides=(), **options):
    """Train from a config file or Config, or continue a run with resume=RUN_DIR; see trainer.run.train."""
    from trainer.run import train as run_training  # imported on use, so `import trainer` stays light

    return run_training(config, overrides, **options)


def load_run(folder, which="best"):
    """A finished run's model and data, to predict and evaluate with; see trainer.evaluate.load_run."""
    from trainer.evaluate import load_run as load

    return load(folder, which)

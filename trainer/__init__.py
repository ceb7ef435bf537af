"""trainer: a config-driven training framework on MyGrad."""


def train(config=None, overrides=(), **options):
    """Train from a config file or Config, or continue a run with resume=RUN_DIR; see trainer.runs.run.train."""
    from trainer.runs.run import train as run_training

    return run_training(config, overrides, **options)


def load_run(folder, which="best"):
    """A finished run's model and data, to predict and evaluate with; see trainer.runs.evaluate.load_run."""
    from trainer.runs.evaluate import load_run as load

    return load(folder, which)

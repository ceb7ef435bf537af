"""Runs: build an experiment from a config, assemble its callbacks, train it into a run folder
(config.yaml, logs, checkpoints, summary.json, plots), and load a finished run to predict and evaluate.

May import: every package below it (training, config, nn, optim, data and the base modules).
"""

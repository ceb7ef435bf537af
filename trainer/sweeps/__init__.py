"""Sweeps: a grid or random search over config keys, each trial a run, on a process pool or Dask,
with a summary table and the curves of every trial.

May import: trainer.runs and everything below it. Not trainer.teaching or trainer.cli.
"""

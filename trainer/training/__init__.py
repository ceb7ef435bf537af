"""Training: the loop (one screen), the callbacks it calls (logs, progress, stopping, checkpoints,
diagnostics, metrics per epoch).

May import: the base modules, trainer.nn, trainer.optim, trainer.data, trainer.config.
"""

"""Optimization: optimizers (OPTIMIZERS), learning-rate schedules (SCHEDULES) and gradient clipping.

May import: the base modules (trainer.contracts, errors, registry, usercode, files).
"""

"""Neural-network pieces: models (MODELS), losses (LOSSES), fused MyGrad operations, the checks a
model and loss pass before training, and metrics by name (METRICS).

May import: the base modules (trainer.contracts, errors, registry, usercode, files). Not data, optim
or anything above.
"""

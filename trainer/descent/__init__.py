"""Gradient descent on a function of two variables: the point (x, y) is the only parameter.

    python scripts/descend.py configs/paraboloid.yaml

Same optimizers and training loop as `trainer.run`; the picture shows the path on the contours.
"""

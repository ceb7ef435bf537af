"""Gradient descent on f(x, y) with the training loop itself: its config, the functions, the paths
and their verdicts, and descent.png."""

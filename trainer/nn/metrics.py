"""Metrics by name (`metrics: [accuracy, f1]`), computed with scikit-learn on the model's predictions.

Without `metrics:`, classification reports accuracy and regression r2. The callback that scores
each epoch is trainer.training.metrics.
"""

from typing import Any

import numpy as np

from trainer.nn.models import evaluation_mode

# name -> (task, scikit-learn function name, keyword arguments)
METRICS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "accuracy": ("classification", "accuracy_score", {}),
    "balanced_accuracy": ("classification", "balanced_accuracy_score", {}),
    "f1": ("classification", "f1_score", {"average": "macro"}),
    "precision": ("classification", "precision_score", {"average": "macro", "zero_division": 0}),
    "recall": ("classification", "recall_score", {"average": "macro", "zero_division": 0}),
    "r2": ("regression", "r2_score", {}),
    "mae": ("regression", "mean_absolute_error", {}),
    "mse": ("regression", "mean_squared_error", {}),
    "rmse": ("regression", "root_mean_squared_error", {}),
}

DEFAULTS: dict[str, list[str]] = {"classification": ["accuracy"], "regression": ["r2"]}

LOWER_IS_BETTER = {"mae", "mse", "rmse"}  # errors; the others are scores


def predict(model, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """The model's raw outputs for X (logits or values), in evaluation mode, without a graph."""
    with evaluation_mode(model):
        return np.concatenate(
            [np.asarray(model(X[start : start + chunk])) for start in range(0, len(X), chunk)]
        )


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """One logit per row: class 1 where it is positive; one logit per class: the largest."""
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        return (outputs.reshape(-1) > 0).astype(np.int64)
    return outputs.argmax(axis=1)


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(N, classes) probabilities from the logits: sigmoid of one logit as [1 - p, p], else softmax."""
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        positive = np.exp(-np.logaddexp(0, -outputs.reshape(-1)))  # sigmoid, without overflow
        return np.column_stack([1 - positive, positive])
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def score(names: list[str], task: str, model, split) -> dict[str, float]:
    """{name: value} of each metric on a split (X, y)."""
    import sklearn.metrics

    X, y = split
    outputs = predict(model, X)
    if not np.all(np.isfinite(outputs)):  # a diverged model: scikit-learn would refuse the input
        return {name: float("nan") for name in names}
    predicted = predicted_classes(outputs) if task == "classification" else outputs
    scores = {}
    for name in names:
        _, function, options = METRICS[name]
        scores[name] = float(getattr(sklearn.metrics, function)(y, predicted, **options))
    return scores

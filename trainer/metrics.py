"""Metrics by name (`metrics: [accuracy, f1]`), computed with scikit-learn on the model's predictions.

Each epoch the validation split is scored (`val_accuracy`, ... in epochs.csv); at the end the
test split (`test_accuracy`, ... in summary.json). Without `metrics:`, classification reports
accuracy and regression r2.
"""

import numpy as np

from trainer.callbacks import Callback
from trainer.models import evaluation_mode

# name -> (task, scikit-learn function name, keyword arguments)
METRICS = {
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
DEFAULTS = {"classification": ["accuracy"], "regression": ["r2"]}
LOWER_IS_BETTER = {"mae", "mse", "rmse"}  # errors; the others are scores


def predict(model, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """The model's raw outputs for X (logits or values), in evaluation mode, without a graph."""
    with evaluation_mode(model):
        return np.concatenate([np.asarray(model(X[start : start + chunk])) for start in range(0, len(X), chunk)])


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """One logit per row: class 1 where it is positive; one logit per class: the largest."""
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        return (outputs.reshape(-1) > 0).astype(np.int64)
    return outputs.argmax(axis=1)


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


class EpochMetrics(Callback):
    """Adds `val_<metric>` to each epoch's logs (so to epochs.csv and the history)."""

    def __init__(self, names: list[str], task: str, val_split):
        self.names, self.task, self.val_split = names, task, val_split

    def on_epoch_end(self, state, logs):
        if self.val_split is not None and self.names:  # `metrics: []` predicts nothing
            logs.update({f"val_{name}": value for name, value in score(self.names, self.task, state.model, self.val_split).items()})


def final_scores(names: list[str], task: str, model, history: list[dict], test_split) -> dict[str, float | None]:
    """For summary.json: the last epoch's validation scores and the test split's; each key is there
    even when its split is not (null), so that graders and --expect know the fields before training."""
    last = history[-1] if history else {}
    test = score(names, task, model, test_split) if test_split is not None else {}
    return {f"val_{name}": last.get(f"val_{name}") for name in names} | {f"test_{name}": test.get(name) for name in names}

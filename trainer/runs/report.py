"""What a finished run says about itself: the learned weights next to the closed-form and true ones."""

import numpy as np

from trainer.nn.models import Linear


def linear_model_facts(experiment) -> dict:
    """For a linear model: its weights and bias; with an MSE loss also the least-squares solution on
    the same training split and the distance to it; in the data's own units when the features were
    standardized; and the true weights of a synthetic data set."""
    model, splits = experiment.model, experiment.splits
    if not isinstance(model, Linear):
        return {}
    weights, bias = model.weight.data, model.bias.data
    facts = {"feature_names": splits.dataset.feature_names, "weights": _weights(weights), "bias": _bias(bias)}
    if experiment.config.loss.type == "mse":
        X, y = splits.train
        if isinstance(X, np.ndarray):
            solution, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)
        else:  # a memory-mapped split: too big to hold, summed in chunks
            from trainer.data.outofcore import least_squares

            solution = least_squares(X, y)
        facts["least_squares"] = {
            "weights": _weights(solution[:-1]),
            "bias": _bias(solution[-1]),
            "distance": float(np.linalg.norm(np.vstack([weights, bias]) - solution)),
        }
    if splits.feature_scale is not None:
        original = weights / splits.feature_scale[:, None]
        facts["weights_original_units"] = _weights(original)
        facts["bias_original_units"] = _bias(bias - splits.feature_mean @ original)
    if splits.dataset.truth:
        facts["true_weights"] = splits.dataset.truth["weights"]
        facts["true_bias"] = splits.dataset.truth["bias"]
    return facts


def _weights(array: np.ndarray):
    """(features, outputs) as a flat list for a single output, else nested lists."""
    array = np.asarray(array)
    return array[:, 0].tolist() if array.shape[1] == 1 else array.tolist()


def _bias(array: np.ndarray):
    """(outputs,) as a number for a single output, else a list."""
    array = np.asarray(array).reshape(-1)
    return array.item() if array.size == 1 else array.tolist()


def end_of_run(summary: dict) -> str:
    """The short report printed after training."""
    lines = [
        f"{summary['status']}: {summary['epochs_completed']} epochs, {summary['steps']} steps in {summary['seconds']:.2f} s"
    ]
    losses = [
        f"{key} {summary[key]:.6g}"
        for key in ("train_loss", "val_loss", "test_loss")
        if summary.get(key) is not None
    ]
    if losses:
        lines.append("  " + "   ".join(losses))
    scores = [
        key
        for key in summary
        if key.startswith(("val_", "test_")) and not key.endswith("_loss") and summary[key] is not None
    ]
    if scores:
        lines.append("  " + "   ".join(f"{key} {summary[key]:.4g}" for key in scores))
    if "weights" in summary and isinstance(summary["bias"], float) and summary["status"] != "diverged":
        lines += _weights_table(summary)
    lines += [f"warning: {warning}" for warning in summary.get("warnings", [])]
    lines.append(f"run folder: {summary['folder']}")
    return "\n".join(lines)


def _weights_table(summary: dict) -> list[str]:
    columns = [("learned", summary["weights"] + [summary["bias"]])]
    if "least_squares" in summary:
        solution = summary["least_squares"]
        columns.append(("least squares", solution["weights"] + [solution["bias"]]))
    names = summary["feature_names"] + ["bias"]
    width = max(len(name) for name in names) + 2
    lines = ["  " + "".ljust(width) + "".join(title.rjust(15) for title, _ in columns)]
    for row, name in enumerate(names):
        lines.append("  " + name.ljust(width) + "".join(f"{values[row]:15.6g}" for _, values in columns))
    if "least_squares" in summary:
        lines.append(f"  distance to the least-squares solution: {summary['least_squares']['distance']:.3g}")
    if "true_weights" in summary:
        learned = summary.get("weights_original_units", summary["weights"])
        learned_bias = summary.get("bias_original_units", summary["bias"])
        lines.append(f"  in the data's own units: learned w = {_fmt(learned)}, b = {learned_bias:.4g}")
        lines.append(
            f"                           true    w = {_fmt(summary['true_weights'])}, b = {summary['true_bias']:.4g}"
        )
    return lines


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"
